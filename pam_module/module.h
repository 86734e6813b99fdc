// SPDX-License-Identifier: BSD-3-Clause
/* What the files of pam_nsbox.so share, inside the PAM application (root): the module's options
 * and one open session (pam_nsbox.c, the PAM entry points), and the helper's start and reply
 * (spawn.c). Functions return 0 or -errno; only pam_nsbox.c logs. */
#ifndef NSBOX_MODULE_H
#define NSBOX_MODULE_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <security/pam_modules.h>

#include "nsbox/ns.h"
#include "nsbox/proto.h"
#include "policy.h"

struct opts {
	const char *conf;
	const char *helper;
	bool debug;
	bool leave;   /* the first session line: at close, back to the host before the others */
	int on_error; /* -1 unset, 0 deny, 1 allow */
	int timeout_ms; /* for the helper's reply */
};

/* What one open session holds, in the process that opened it. */
struct session {
	pid_t owner;
	union { /* every fd, as one array for the fork guard to close in children */
		struct {
			int sock;   /* to the supervisor */
			int initfd; /* pidfd of the box init */
			int hold;   /* the application's hold (helper/hold.c), until joined */
			int saved[NSBOX_N_NS];
		};
		int fds[3 + NSBOX_N_NS];
	};
	struct nsbox_guard guard; /* armed while boxed: children get the box, not the fds */
	struct nsbox_cwd cwd;     /* the working directory at the join, for the guard's children */
	struct statx root; /* "/" of our mount namespace, from the spawn's root probe */
	int root_err;      /* or why the probe failed */
	char id[NSBOX_ID_LEN + 1];
	bool closed;
	bool left;   /* back in our own namespaces (the leave line ran at close) */
	bool shared; /* share = user: other sessions live in the box; its supervisor ends it */
};
_Static_assert(sizeof(((struct session *)0)->fds) == (3 + NSBOX_N_NS) * sizeof(int),
	       "the fds overlay sock, initfd, hold and saved exactly");

/* The OPEN request for USER from the PAM items and the options O. */
void make_request(pam_handle_t *pamh, const struct opts *o, const char *user,
		  struct nsbox_request *req);
/* Starts the helper with REQ already queued on its socket; returns our end of the socket or
 * -errno (WHY may point into WHYBUF, N bytes). S gets the root probe for join_box, SELFP our
 * pidfd (the one the supervisor watches; join_box asks it for our namespaces). */
int spawn_helper(const struct opts *o, const struct nsbox_request *req, struct session *s,
		 int *selfp, const char **why, char *whybuf, size_t n);
/* The helper's reply on SOCK within TIMEOUT_MS, with the fds it passes; -errno with WHY. */
int wait_reply(int sock, int timeout_ms, struct nsbox_reply *rep, int fds[2], const char **why);

#endif
