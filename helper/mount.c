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

/* A detached copy of the mount at SOURCE (a file or directory), with ATTR set before it is
 * attached anywhere: a read-only bind is never writable, even for a moment. */
static int
tree_clone(const char *source, unsigned attr)
{
	_cleanup_close_ int sfd = open_path(source, false);
	struct mount_attr ma = { .attr_set = attr };

	if (sfd < 0)
		return sfd;
	_cleanup_close_ int t = open_tree(sfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (t < 0)
		return -errno;
	if (attr && mount_setattr(t, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0)
		return -errno;
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

static int
op_run(const struct mnt_op *o)
{
	bool follow = o->flags & MNT_F_FOLLOW;
	_cleanup_close_ int tfd = open_path(o->target, follow), mfd = -1;
	struct mount_attr ma = { .attr_set = o->attr ? o->attr : MOUNT_ATTR_RDONLY };
	struct stat st;
	int r;

	if (tfd < 0 && (o->flags & MNT_F_OPTIONAL) &&
	    (tfd == -ENOENT || tfd == -ELOOP || tfd == -ENOTDIR))
		return 0;
	if (tfd < 0)
		return tfd;
	if (fstat(tfd, &st) < 0)
		return -errno;
	switch (o->kind) {
	case MNT_SLAVE:
		ma = (struct mount_attr){ .propagation = MS_SLAVE };
		return mount_setattr(tfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma, sizeof(ma)) < 0
			       ? -errno : 0;
	case MNT_RDONLY:
		return mount_setattr(tfd, "", AT_EMPTY_PATH |
					      (o->flags & MNT_F_RECURSIVE ? AT_RECURSIVE : 0),
				     &ma, sizeof(ma)) < 0 ? -errno : 0;
	case MNT_BIND:
		mfd = tree_clone(o->source, o->attr);
		break;
	case MNT_COVER:
		if (S_ISDIR(st.st_mode))
			mfd = fs_make("tmpfs", "mode=0,size=4k,nr_inodes=1", MOUNT_ATTR_RDONLY |
				      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
		else
			mfd = tree_clone("/dev/null", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
						      MOUNT_ATTR_NOEXEC);
		break;
	default: /* a fresh filesystem */
		if (!S_ISDIR(st.st_mode))
			return o->flags & MNT_F_OPTIONAL ? 0 : -ENOTDIR;
		if (o->flags & MNT_F_FRESH) {
			/* Nothing of the host's instance may stay reachable underneath. */
			r = detach(tfd);
			if (r < 0)
				return r;
			nsbox_closep(&tfd);
			tfd = open_path(o->target, follow);
			if (tfd < 0)
				return tfd;
		}
		mfd = fs_make(fs_type(o->kind), o->data, o->attr);
		break;
	}
	if (mfd < 0)
		return mfd;
	return attach(mfd, tfd);
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
