// SPDX-License-Identifier: BSD-3-Clause
/* A box's own resolv.conf, written by nsbox-helper's supervisor (root) into the box's directory
 * and bound read-only in the box's mount namespace by a short child that joined it; the host's
 * file is never written. The supervisor then watches the host's side and binds again when the
 * host's resolver manager replaces the file by rename (which detaches a bind on it). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"
#include "mount.h"
#include "nsbox/cleanup.h"
#include "trust.h"

#define RESOLV_PATH "/etc/resolv.conf"

/* The watch of one box (a supervisor serves one box). */
static struct {
	int ifd; /* inotify, -1 until resolv_apply bound something */
	char file[128], dir[128]; /* the box's resolv.conf and its directory for a bound directory */
} watch = { .ifd = -1 };

static int
write_resolv(const char *path, const struct nsbox_ip *dns, unsigned ndns,
	     char search[][254], unsigned nsearch)
{
	/* In place, never by rename: the box has this inode bind-mounted. */
	_cleanup_fclose_ FILE *f = file_create(AT_FDCWD, path, 0644);

	if (!f)
		return -errno;
	fprintf(f, "# written by nsbox-helper for this box\n");
	for (unsigned i = 0; i < ndns; i++) {
		char ip[INET6_ADDRSTRLEN];
		nsbox_ip_text(&dns[i], ip, sizeof(ip));
		fprintf(f, "nameserver %s\n", ip);
	}
	if (nsearch) {
		fprintf(f, "search");
		for (unsigned i = 0; i < nsearch; i++)
			fprintf(f, " %s", search[i]);
		fprintf(f, "\n");
	}
	return file_flush(f);
}

/* A directory in which the walk to RESOLV_PATH read a symlink: a rename there is a new target. */
static void
watch_link_dir(const char *dir, void *arg)
{
	int ifd = *(const int *)arg;

	if (ifd >= 0)
		inotify_add_watch(ifd, *dir ? dir : "/",
				  IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR |
					  IN_DONT_FOLLOW);
}

static bool
same_inode(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* In the box's mount namespace (a child of the supervisor): finds what /etc/resolv.conf leads
 * to and makes it the box's file, unless it already is. A target reached through a symlink lives
 * in a directory the host's manager keeps and renames files inside (/run/systemd/resolve): the
 * box's own directory goes over that directory, so no rename on the host reaches the box. A
 * plain file in /etc (which cannot be covered) gets the file bound over it, and the supervisor's
 * watch binds it again after a rename. Returns 1 when it bound something, 0 when all was in
 * place. */
static int
ensure_resolv(void *arg, struct inside_result *res)
{
	int ifd = *(const int *)arg;
	struct mnt_plan plan = { .n = 0 };
	/* what RESOLV_PATH leads to, every directory and symlink on the way root's alone */
	struct trust_walk w = { .uid = 0, .no_sticky = true, .root_links = true, .leaf = true,
				.on_link = watch_link_dir, .arg = &ifd };
	struct trust_err te;
	char dir[PATH_MAX], name[NAME_MAX + 1], src[PATH_MAX];
	int r = trust_walk(RESOLV_PATH, &w, &te);

	if (r >= 0) {
		close(r);
		r = 0;
	}
	if (r == -EPERM && te.what) {
		snprintf(res->step, sizeof(res->step),
			 "not following " RESOLV_PATH " through '%.160s' (not root-owned, or "
			 "writable by group or others)",
			 te.path);
		return r;
	}
	if (r < 0) {
		snprintf(res->step, sizeof(res->step), "resolving " RESOLV_PATH);
		return r;
	}
	char *slash = strrchr(w.final, '/');
	snprintf(name, sizeof(name), "%s", slash + 1);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - w.final), w.final);
	bool by_dir = w.links > 0 && dir[0] && strcmp(dir, "/etc") != 0;

	if (ifd >= 0 && !by_dir)
		inotify_add_watch(ifd, dir[0] ? dir : "/",
				  IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR |
					  IN_DONT_FOLLOW);
	if (by_dir) {
		if (same_inode(dir, watch.dir))
			return 0;
		if ((size_t)snprintf(src, sizeof(src), "%s/%s", watch.dir, name) >= sizeof(src))
			return -ENAMETOOLONG;
		if (mkdir(watch.dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		/* one inode under every name the host's symlink ever pointed at */
		if (link(watch.file, src) < 0 && errno != EEXIST) {
			snprintf(res->step, sizeof(res->step), "linking the box's resolv.conf");
			return -errno;
		}
		r = mnt_plan_add(&plan, MNT_BIND, dir, 0,
				 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					 MOUNT_ATTR_NOEXEC,
				 watch.dir, NULL, "mounting the box's resolv.conf directory");
	} else {
		if (same_inode(w.final, watch.file))
			return 0;
		r = mnt_plan_add(&plan, MNT_BIND, w.final, 0,
				 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					 MOUNT_ATTR_NOEXEC,
				 watch.file, NULL, "mounting the box's resolv.conf");
	}
	if (r < 0) {
		snprintf(res->step, sizeof(res->step), "planning the resolv.conf mount");
		return r;
	}
	r = mnt_plan_run(&plan, res->step, sizeof(res->step));
	return r < 0 ? r : 1;
}

int
resolv_apply(const struct box *b, const struct nsbox_ip *dns, unsigned ndns,
	     char search[][254], unsigned nsearch, struct nsbox_err *err)
{
	int r;

	if (!ndns && !nsearch)
		return 0; /* nothing to say: the box keeps the host's resolver settings */
	r = box_path(b->id, BOX_RESOLV, watch.file, sizeof(watch.file));
	if (r == 0)
		r = box_path(b->id, BOX_RESOLV_DIR, watch.dir, sizeof(watch.dir));
	if (r == 0)
		r = write_resolv(watch.file, dns, ndns, search, nsearch);
	if (r < 0) {
		err_set(err, r, "writing %s: %s", watch.file, strerror(-r));
		return r;
	}
	/* The watch exists before the first lookup: no replacement slips in between. */
	if (watch.ifd < 0) {
		watch.ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (watch.ifd < 0) {
			r = -errno;
			err_set(err, r, "watching " RESOLV_PATH ": %s", strerror(-r));
			return r;
		}
	}
	r = run_inside(b, CLONE_NEWNS, ensure_resolv, &watch.ifd, err);
	return r < 0 ? r : 0;
}

int
resolv_watch_fd(void)
{
	return watch.ifd;
}

int
resolv_watch_handle(const struct box *b, struct nsbox_err *err)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	/* Drained whole: one look at the box for a burst of events. */
	while (read(watch.ifd, buf, sizeof(buf)) > 0)
		;
	if (errno != EAGAIN && errno != EINTR) {
		int r = -errno;
		err_set(err, r, "reading the " RESOLV_PATH " watch: %s", strerror(-r));
		return r;
	}
	return run_inside(b, CLONE_NEWNS, ensure_resolv, &watch.ifd, err);
}
