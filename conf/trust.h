// SPDX-License-Identifier: BSD-3-Clause
/* Whether a path can be trusted as root's: every directory from "/" down owned by root (or one
 * given uid) and writable by nobody else. For the module (root, inside the PAM application: the
 * helper's path) and the config reader (the helper and nsboxctl, root). Never logs. */
#ifndef NSBOX_TRUST_H
#define NSBOX_TRUST_H

#include <limits.h>
#include <sys/types.h>

struct trust_err {
	char path[PATH_MAX]; /* the directory that failed, as reached from "/" */
	const char *what;    /* why it is not trusted; NULL: a system call failed (the -errno) */
};

/* DIR opened O_PATH after checking every directory on its way from "/" (from the working
 * directory's absolute path when DIR is relative): each a directory owned by root or UID, not
 * writable by group or others. A symlink on the way is followed only from a directory that
 * passed, and its target is checked the same way. An fd (close-on-exec), or -errno with E
 * filled: -EPERM when a directory is not trusted. */
int trust_open_dir(const char *dir, uid_t uid, struct trust_err *e);

#endif
