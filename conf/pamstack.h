// SPDX-License-Identifier: BSD-3-Clause
/* A PAM service's session stack as Linux-PAM runs it (/etc/pam.d syntax, includes followed), and
 * what is wrong with it for pam_nsbox: pure code, no privileged work, no logging; used by nsboxctl
 * check --service and by nsbox-helper (root) to say why logind does not know a session. */
#ifndef NSBOX_PAMSTACK_H
#define NSBOX_PAMSTACK_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h" /* struct nsbox_conf_err */

#define NSBOX_PAM_MAX_DEPTH   16          /* nested includes, as Linux-PAM's substack limit */
#define NSBOX_PAM_MAX_ENTRIES 512
#define NSBOX_PAM_MAX_FILE    (256 * 1024)
/* The service systemd opens for a user manager (user@.service: PAMName=systemd-user). */
#define NSBOX_USER_MANAGER_SERVICE "systemd-user"

/* One session line, where it is written. */
struct nsbox_pam_entry {
	char file[256];
	unsigned line;
	bool dash;          /* "-session": skipped when the module is missing */
	char control[128];  /* "required", "optional", "[success=ok default=bad]", ... */
	char module[256];   /* as written: a name or a path */
	char args[512];     /* the arguments, single-spaced */
};

struct nsbox_pam_stack {
	char file[256]; /* the service's own file */
	struct nsbox_pam_entry *e;
	size_t n;
};

/* Reads SERVICE's session lines in the order Linux-PAM runs them: the first of DIRS (NULL: /etc/pam.d,
 * then /usr/lib/pam.d) that has the file; "@include F", "session include F" and "session substack F"
 * followed (F looked up the same way). 0, -ENOENT when no directory has the service (Linux-PAM
 * would use "other"), or -errno with ERR filled. */
int nsbox_pam_stack_load(const char *service, const char *const *dirs, struct nsbox_pam_stack *st,
			 struct nsbox_conf_err *err);
void nsbox_pam_stack_free(struct nsbox_pam_stack *st);

/* The module's file name without its directory ("pam_unix.so"). */
const char *nsbox_pam_module_name(const struct nsbox_pam_entry *e);
/* True when E is pam_nsbox's leave line (the "leave" argument). */
bool nsbox_pam_is_leave(const struct nsbox_pam_entry *e);
/* The index of the first entry of module NAME (a file name), or -1. */
long nsbox_pam_find(const struct nsbox_pam_stack *st, const char *name);

/* Everything wrong with ST for pam_nsbox, one call of FN each (AT: the entry concerned, or NULL):
 * no box line, a box line that is not required or not the last session module, pam_systemd after
 * it, no leave line first (not needed by USER_MANAGER, the systemd-user stack, where the module
 * only refuses). Returns how many. */
unsigned nsbox_pam_stack_check(const struct nsbox_pam_stack *st, bool user_manager,
			       void (*fn)(const struct nsbox_pam_entry *at, const char *msg,
					  void *arg),
			       void *arg);

#endif
