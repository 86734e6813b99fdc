// SPDX-License-Identifier: BSD-3-Clause
/* The session policy guard of pam_nsbox.so, inside the PAM application (root): what every
 * process the application forks while boxed gets (the box's mount namespace, the working
 * directory found again there, the policy), and which of the module's fds it must not. */
#ifndef NSBOX_POLICY_H
#define NSBOX_POLICY_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "nsbox/proto.h"

/* A working directory: its path, to find it again in another mount namespace, and what it was
 * (device, inode), so that only the same directory is entered there. */
struct nsbox_cwd {
	char path[PATH_MAX];
	dev_t dev;
	ino_t ino; /* 0: nothing saved, "/" is entered */
};
/* Saves the caller's working directory into C ("/" when it has no usable one). */
void nsbox_cwd_save(struct nsbox_cwd *c);
/* Enters the directory C saved, found by its path without following any symlink (a component
 * swapped for one since the save would lead a root process behind another user's 0700 home), and
 * only if it is the same directory; else "/". Async-signal-safe. 0 or -errno. */
int nsbox_cwd_enter(const struct nsbox_cwd *c);

/* One open session's claim on the application's forks. */
struct nsbox_guard {
	struct nsbox_guard *next;
	pid_t owner;              /* the process that opened the session */
	int *fds;                 /* the module's fds for it, closed in every child */
	size_t n_fds;
	int boxfd;                /* pidfd of the box init: every child joins its mount namespace */
	int attach;               /* the session socket when the box has limits, else -1: every
				   * child asks the supervisor to move it into the box's cgroups */
	const struct nsbox_cwd *cwd; /* and enters this directory there */
	struct nsbox_policy pol;  /* applied in every child */
};

/* Registers G: from now on every fork(2) of this process has the child moved into the box's
 * cgroups (G->attach, unless -1), gives it a cgroup namespace of its own, moves it into the
 * box's mount namespace (G->boxfd, unless -1) and G's working directory there, closes G's fds in
 * it and applies G's policy, before the application's own code runs in the child; a child that
 * cannot have all of that exits with status 126. Returns 0 or -errno. */
int nsbox_guard_arm(struct nsbox_guard *g);
/* Unregisters G (safe on one that was never armed). */
void nsbox_guard_disarm(struct nsbox_guard *g);

/* Applies P to the calling process, async-signal-safe. Returns 0 or -errno; on error the
 * process is partly restricted and must not go on. */
int nsbox_policy_apply(const struct nsbox_policy *p);
/* True when the running kernel can enforce what P asks for (seccomp filters). */
bool nsbox_policy_supported(const struct nsbox_policy *p);

#endif
