// SPDX-License-Identifier: BSD-3-Clause
/* Whether a path can be trusted as root's: every directory from "/" down owned by root (or one
 * given uid) and writable by nobody else. For the module (root, inside the PAM application: the
 * helper's path), the config reader (the helper and nsboxctl, root) and the helper's look at the
 * host's resolv.conf (root). Never logs. */
#ifndef NSBOX_TRUST_H
#define NSBOX_TRUST_H

#include <limits.h>
#include <stdbool.h>
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

/* How trust_walk judges a path, and what it found there. */
struct trust_walk {
	uid_t uid;       /* a directory may be root's or UID's */
	bool no_sticky;  /* a root-owned sticky directory others may write is not trusted either */
	bool root_links; /* a symlink on the way must be root's */
	bool leaf;       /* PATH names a file: its last component is neither opened nor judged, and
			  * may be missing */
	/* called with each directory a symlink was read in, as reached from "/" ("" for "/") */
	void (*on_link)(const char *dir, void *arg);
	void *arg;
	unsigned links;       /* out: the symlinks followed */
	char final[PATH_MAX]; /* out, with LEAF: the last component's path without a symlink */
};

/* The walk of trust_open_dir, as W says: the last directory reached (with LEAF: the directory
 * FINAL is in), opened O_PATH, close-on-exec; or -errno with E filled: -EPERM when a directory
 * or a symlink is not trusted; with LEAF, -EISDIR when PATH ends in a directory. */
int trust_walk(const char *path, struct trust_walk *w, struct trust_err *e);

#endif
