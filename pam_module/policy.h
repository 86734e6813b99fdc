/* The session policy guard of pam_nsbox.so, inside the PAM application (root): what every
 * process the application forks while boxed gets, and which of the module's fds it must not. */
#ifndef NSBOX_POLICY_H
#define NSBOX_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "nsbox/proto.h"

/* One open session's claim on the application's forks. */
struct nsbox_guard {
	struct nsbox_guard *next;
	pid_t owner;              /* the process that opened the session */
	int *fds;                 /* the module's fds for it, closed in every child */
	size_t n_fds;
	struct nsbox_policy pol;  /* applied in every child */
};

/* Registers G: from now on every fork(2) of this process closes G's fds in the child and
 * applies G's policy there before the application's own code runs. Returns 0 or -errno. */
int nsbox_guard_arm(struct nsbox_guard *g);
/* Unregisters G (safe on one that was never armed). */
void nsbox_guard_disarm(struct nsbox_guard *g);

/* Applies P to the calling process, async-signal-safe. Returns 0 or -errno; on error the
 * process is partly restricted and must not go on. */
int nsbox_policy_apply(const struct nsbox_policy *p);
/* True when the running kernel can enforce what P asks for (seccomp filters). */
bool nsbox_policy_supported(const struct nsbox_policy *p);

#endif
