// SPDX-License-Identifier: BSD-3-Clause
/* Carries out a box's mount plan (mount.h) inside the box's mount namespace: run by the box init
 * (root, before it drops every capability) and by the supervisor's short children that joined the
 * box (root). Every target is opened without following symlinks and mounted through its fd with
 * the new mount API, so a path a user can write cannot redirect a mount. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mount.h"
#include "nsbox/cleanup.h"

int
mnt_plan_add(struct mnt_plan *p, enum mnt_kind kind, const char *target, unsigned flags,
	     unsigned attr, const char *source, const char *data, const char *what)
{
	struct mnt_op *o;

	if (p->n >= MNT_PLAN_MAX)
		return -E2BIG;
	o = &p->op[p->n];
	*o = (struct mnt_op){ .kind = kind, .flags = flags, .attr = attr };
	if ((size_t)snprintf(o->target, sizeof(o->target), "%s", target) >= sizeof(o->target) ||
	    (size_t)snprintf(o->source, sizeof(o->source), "%s", source ? source : "") >=
		    sizeof(o->source) ||
	    (size_t)snprintf(o->data, sizeof(o->data), "%s", data ? data : "") >= sizeof(o->data))
		return -ENAMETOOLONG;
	/* a long step name is cut, never refused */
	if (what)
		snprintf(o->what, sizeof(o->what), "%s", what);
	else
		snprintf(o->what, sizeof(o->what), "mounting %.*s", (int)sizeof(o->what) - 10, target);
	p->n++;
	return 0;
}

/* An O_PATH fd for PATH: no symlink anywhere on the way (unless FOLLOW), never a magic link. */
static int
open_path(const char *path, bool follow)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_NO_MAGICLINKS | (follow ? 0 : RESOLVE_NO_SYMLINKS) };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

static const char *
fs_type(enum mnt_kind k)
{
	switch (k) {
	case MNT_PROC:
		return "proc";
	case MNT_SYSFS:
		return "sysfs";
	case MNT_MQUEUE:
		return "mqueue";
	default:
		return "tmpfs";
	}
}

/* A new, still detached filesystem of TYPE with options DATA ("k=v,flag,..."). */
static int
fs_make(const char *type, const char *data, unsigned attr)
{
	char opts[128], *save = NULL;
	_cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);

	if (fs < 0)
		return -errno;
	snprintf(opts, sizeof(opts), "%s", data);
	for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');
		int r;
		if (eq) {
			*eq++ = 0;
			r = fsconfig(fs, FSCONFIG_SET_STRING, o, eq, 0);
		} else
			r = fsconfig(fs, FSCONFIG_SET_FLAG, o, NULL, 0);
		if (r < 0)
			return -errno;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	int m = fsmount(fs, FSMOUNT_CLOEXEC, attr);
	return m < 0 ? -errno : m;
}

/* The mount(2) flags for MOUNT_ATTR_* bits, and for what fstatvfs says a mount has. */
static unsigned long
ms_of_attr(unsigned a)
{
	return (a & MOUNT_ATTR_RDONLY ? MS_RDONLY : 0) | (a & MOUNT_ATTR_NOSUID ? MS_NOSUID : 0) |
	       (a & MOUNT_ATTR_NODEV ? MS_NODEV : 0) | (a & MOUNT_ATTR_NOEXEC ? MS_NOEXEC : 0);
}

static unsigned long
ms_of_statvfs(unsigned long f)
{
	return (f & ST_RDONLY ? MS_RDONLY : 0) | (f & ST_NOSUID ? MS_NOSUID : 0) |
	       (f & ST_NODEV ? MS_NODEV : 0) | (f & ST_NOEXEC ? MS_NOEXEC : 0) |
	       (f & ST_NOATIME ? MS_NOATIME : 0) | (f & ST_NODIRATIME ? MS_NODIRATIME : 0) |
	       (f & ST_RELATIME ? MS_RELATIME : 0);
}

/* mount(2) on the mount FD is: through /proc/self/fd/FD, as crun does. A child that joined a
 * box's mount namespace but not its pid namespace cannot see itself in the box's /proc: then
 * through PATH, which only a root-owned path may be (MNT_F_FOLLOW), else -ENOSYS. */
static int
mount_on_fd(int fd, const char *path, unsigned long ms)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (access(p, F_OK) < 0) {
		if (!path)
			return -ENOSYS;
		snprintf(p, sizeof(p), "%s", path);
	}
	return mount(NULL, p, NULL, ms, NULL) < 0 ? -errno : 0;
}

/* Sets ATTR on the mount whose root FD is (RECURSIVE: and on its submounts). Linux before 5.12
 * has no mount_setattr: there a bind remount keeps the flags the mount has and adds ATTR. */
static int
set_attr(int fd, unsigned attr, bool recursive, const char *path)
{
	struct mount_attr ma = { .attr_set = attr };
	struct statvfs sv;

	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &ma,
			  sizeof(ma)) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	if (recursive)
		return -ENOSYS;
	if (fstatvfs(fd, &sv) < 0)
		return -errno;
	return mount_on_fd(fd, path, MS_BIND | MS_REMOUNT | ms_of_statvfs(sv.f_flag) | ms_of_attr(attr));
}

static int
set_slave(int fd)
{
	struct mount_attr ma = { .propagation = MS_SLAVE };

	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma, sizeof(ma)) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	return mount_on_fd(fd, NULL, MS_REC | MS_SLAVE);
}

/* A detached copy of the mount at SOURCE (a file or directory), with ATTR set before it is
 * attached anywhere, so that a read-only bind is never writable, even for a moment. *LATE is set
 * when the kernel cannot do that (no mount_setattr): ATTR is then set after the attach. */
static int
tree_clone(const char *source, unsigned attr, bool *late)
{
	_cleanup_close_ int sfd = open_path(source, false);
	struct mount_attr ma = { .attr_set = attr };

	*late = false;
	if (sfd < 0)
		return sfd;
	_cleanup_close_ int t = open_tree(sfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (t < 0)
		return -errno;
	if (attr && mount_setattr(t, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0) {
		if (errno != ENOSYS)
			return -errno;
		*late = true;
	}
	return steal_fd(t);
}

static int
attach(int mfd, int tfd)
{
	if (move_mount(mfd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* Detaches the mount whose root TFD is, through the fd: no path is looked up again. */
static int
detach(int tfd)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d", tfd);
	if (umount2(p, MNT_DETACH) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

/* A read-only copy of the whole tree at TFD (the same object the plan opened, not a path looked
 * up again), attributes set before it is attached. */
static int
self_clone_rdonly(int tfd, bool *late)
{
	struct mount_attr ma = { .attr_set = MOUNT_ATTR_RDONLY };
	_cleanup_close_ int t = open_tree(tfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
						   AT_EMPTY_PATH | AT_RECURSIVE);

	*late = false;
	if (t < 0)
		return -errno;
	if (mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma, sizeof(ma)) < 0)
		return -errno; /* no recursive fallback before Linux 5.12: refuse, never half */
	return steal_fd(t);
}

/* "mode=0700,uid=N,gid=N" */
static int
dir_opts(const char *data, mode_t *mode, uid_t *uid, gid_t *gid)
{
	unsigned m, u, g;

	if (sscanf(data, "mode=%o,uid=%u,gid=%u", &m, &u, &g) != 3 || m > 07777)
		return -EINVAL;
	*mode = (mode_t)m;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

/* MNT_DIR: the parent opened without following symlinks, the directory made, owned and
 * permissioned through its fd, so a link planted in its place is never followed. */
static int
make_dir(const struct mnt_op *o)
{
	char parent[sizeof(o->target)];
	const char *name = strrchr(o->target, '/');
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct stat st;
	int r = dir_opts(o->data, &mode, &uid, &gid);

	if (r < 0 || !name || !name[1])
		return -EINVAL;
	snprintf(parent, sizeof(parent), "%.*s", (int)(name - o->target), o->target);
	_cleanup_close_ int pfd = open_path(parent[0] ? parent : "/", false);
	if (pfd == -ENOENT && (o->flags & MNT_F_IF_EXISTS))
		return 0;
	if (pfd < 0)
		return pfd;
	_cleanup_close_ int dfd = -1;
	if (mkdirat(pfd, name + 1, 0700) < 0 && errno != EEXIST)
		return -errno;
	dfd = openat(pfd, name + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (fstat(dfd, &st) < 0)
		return -errno;
	if ((st.st_uid != uid || st.st_gid != gid) && fchown(dfd, uid, gid) < 0)
		return -errno;
	return (st.st_mode & 07777) != mode && fchmod(dfd, mode) < 0 ? -errno : 0;
}

/* The new mount for O at the target TFD (of mode MODE): an fd of a detached mount, or -errno.
 * *LATE: its attributes still have to be set once it is attached. */
static int
new_mount(const struct mnt_op *o, int *tfd, mode_t mode, bool *late)
{
	const unsigned hide = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;

	*late = false;
	switch (o->kind) {
	case MNT_BIND:
		return tree_clone(o->source, o->attr, late);
	case MNT_SELF_RDONLY:
		return self_clone_rdonly(*tfd, late);
	case MNT_COVER:
		if (S_ISDIR(mode))
			return fs_make("tmpfs", "mode=0,size=4k,nr_inodes=1", hide | MOUNT_ATTR_NODEV);
		return tree_clone("/dev/null", hide, late);
	default: /* a fresh filesystem */
		if (!S_ISDIR(mode))
			return -ENOTDIR;
		if (o->flags & MNT_F_FRESH) {
			/* Nothing of the host's instance may stay reachable underneath. */
			int r = detach(*tfd);
			if (r < 0)
				return r;
			nsbox_closep(tfd);
			*tfd = open_path(o->target, o->flags & MNT_F_FOLLOW);
			if (*tfd < 0)
				return *tfd;
		}
		return fs_make(fs_type(o->kind), o->data, o->attr);
	}
}

/* A world-writable sticky directory NAME made in the tmpfs at MFD, and a detached copy of it. */
static int
split_dir(int mfd, const char *name)
{
	if (mkdirat(mfd, name, 0700) < 0 || fchmodat(mfd, name, 01777, 0) < 0)
		return -errno;
	int t = open_tree(mfd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	return t < 0 ? -errno : t;
}

/* MNT_TMPFS_SPLIT: the tmpfs is attached at target for a moment (older kernels clone subtrees of
 * attached mounts only), its two directories cloned, and it is detached again: the clones keep
 * it, and are all that is left of it. */
static int
split_run(const struct mnt_op *o, int tfd)
{
	_cleanup_close_ int sfd = open_path(o->source, false), mfd = -1, stage = -1, a = -1, b = -1;
	int r;

	/* the second place is optional, as a fresh /var/tmp always was */
	if (sfd < 0 && sfd != -ENOENT && sfd != -ELOOP && sfd != -ENOTDIR)
		return sfd;
	mfd = fs_make("tmpfs", o->data, o->attr);
	if (mfd < 0)
		return mfd;
	r = attach(mfd, tfd);
	if (r < 0)
		return r;
	stage = open_path(o->target, false);
	if (stage < 0)
		return stage;
	a = split_dir(stage, "tmp");
	b = a >= 0 && sfd >= 0 ? split_dir(stage, "var-tmp") : -1;
	r = detach(stage);
	if (a < 0 || (sfd >= 0 && b < 0))
		return a < 0 ? a : b;
	if (r < 0)
		return r;
	/* the target opens to what it showed before the staging mount */
	nsbox_closep(&stage);
	stage = open_path(o->target, false);
	if (stage < 0)
		return stage;
	r = attach(a, stage);
	return r < 0 || sfd < 0 ? r : attach(b, sfd);
}

static int
op_run(const struct mnt_op *o)
{
	bool follow = o->flags & MNT_F_FOLLOW, optional = o->flags & MNT_F_OPTIONAL, late;
	_cleanup_close_ int tfd = -1, mfd = -1;
	struct stat st;
	int r;

	if (o->kind == MNT_DIR)
		return make_dir(o);
	tfd = open_path(o->target, follow);
	if (tfd < 0 && optional && (tfd == -ENOENT || tfd == -ELOOP || tfd == -ENOTDIR))
		return 0;
	if (tfd < 0 && (o->flags & MNT_F_IF_EXISTS) && tfd == -ENOENT)
		return 0;
	if (tfd < 0)
		return tfd;
	if (fstat(tfd, &st) < 0)
		return -errno;
	if (o->kind == MNT_SLAVE)
		return set_slave(tfd);
	if (o->kind == MNT_TMPFS_SPLIT)
		return S_ISDIR(st.st_mode) ? split_run(o, tfd) : -ENOTDIR;
	if (o->kind == MNT_RDONLY)
		return set_attr(tfd, o->attr | MOUNT_ATTR_RDONLY, o->flags & MNT_F_RECURSIVE,
				follow ? o->target : NULL);
	if (optional && o->kind != MNT_BIND && o->kind != MNT_COVER && !S_ISDIR(st.st_mode))
		return 0;
	mfd = new_mount(o, &tfd, st.st_mode, &late);
	if (mfd < 0)
		return mfd;
	r = attach(mfd, tfd);
	if (r < 0 || !late)
		return r;
	/* The target now opens to the new mount's root. */
	nsbox_closep(&tfd);
	tfd = open_path(o->target, follow);
	if (tfd < 0)
		return tfd;
	return set_attr(tfd, o->kind == MNT_BIND ? o->attr
						 : MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC,
			false, follow ? o->target : NULL);
}

int
mnt_plan_run(const struct mnt_plan *p, char *step, size_t n)
{
	for (size_t i = 0; i < p->n; i++) {
		int r = op_run(&p->op[i]);
		if (r < 0) {
			snprintf(step, n, "%s", p->op[i].what);
			return r;
		}
	}
	return 0;
}
