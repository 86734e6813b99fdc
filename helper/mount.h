// SPDX-License-Identifier: BSD-3-Clause
/* The mount plan of a box: a list of mount operations that nsbox-helper's supervisor (root)
 * builds from the settings and that the box init (root, in the box's mount namespace) or a
 * short child that joined it carries out in order. Returns 0 or -errno, never logs. */
#ifndef NSBOX_MOUNT_H
#define NSBOX_MOUNT_H

#include <stddef.h>

/* the fixed mounts, private /tmp and runtime dir, 16 world-writable dirs of /run, 16 hide, 16
 * readonly */
#define MNT_PLAN_MAX 80

enum mnt_kind {
	MNT_SLAVE,  /* make the tree at target a recursive slave: nothing propagates back */
	MNT_PROC,   /* a fresh filesystem of this type at target ... */
	MNT_SYSFS,
	MNT_TMPFS,
	MNT_MQUEUE,
	MNT_BIND,   /* source bound over target */
	MNT_RDONLY, /* the mount at target (and below, with MNT_F_RECURSIVE) made read-only */
	MNT_COVER,  /* target hidden: an empty read-only tmpfs over a directory, /dev/null over a file */
	MNT_SELF_RDONLY, /* the tree at target (not only a mount root) bound onto itself read-only,
			  * with every mount below it */
	MNT_DIR,    /* a directory made at target if missing; data "mode=0700,uid=N,gid=N" */
	MNT_TMPFS_SPLIT, /* a fresh tmpfs (data) holding two directories of mode 1777, one bound
			  * at target and the other, when source exists, at source: one size
			  * budget for both */
};

enum mnt_flags {
	MNT_F_OPTIONAL = 1u << 0,  /* skip when target is missing, a symlink, or not a directory */
	MNT_F_FRESH = 1u << 1,     /* detach what is mounted at target first (the host's /proc) */
	MNT_F_FOLLOW = 1u << 2,    /* target may go through symlinks: root-owned paths only */
	MNT_F_RECURSIVE = 1u << 3, /* MNT_RDONLY: submounts too */
	MNT_F_IF_EXISTS = 1u << 4, /* skip when target (MNT_DIR: its parent) is missing; a symlink
				    * on the way still fails */
};

struct mnt_op {
	enum mnt_kind kind;
	unsigned flags;      /* enum mnt_flags */
	unsigned attr;       /* MOUNT_ATTR_* of the new mount (MNT_RDONLY: set on the old one) */
	char target[256];
	char source[256];    /* MNT_BIND; MNT_TMPFS_SPLIT: the second target */
	char data[128];      /* filesystem options "k=v,flag,...", e.g. tmpfs "mode=1777,size=64m" */
	char what[64];       /* the step's name in an error, e.g. "mounting /proc" */
};

struct mnt_plan {
	struct mnt_op op[MNT_PLAN_MAX];
	size_t n;
};

/* Appends one operation; WHAT NULL names it "mounting TARGET". -E2BIG when the plan is full,
 * -ENAMETOOLONG when a string does not fit. */
int mnt_plan_add(struct mnt_plan *p, enum mnt_kind kind, const char *target, unsigned flags,
		 unsigned attr, const char *source, const char *data, const char *what);
/* Carries out P in order in the caller's mount namespace; each target (and bind source) is opened
 * without following symlinks (unless MNT_F_FOLLOW) and mounted through its fd. On failure STEP
 * gets the failing operation's name and nothing after it is done. */
int mnt_plan_run(const struct mnt_plan *p, char *step, size_t n);

#endif
