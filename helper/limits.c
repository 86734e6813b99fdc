// SPDX-License-Identifier: BSD-3-Clause
/* A box's resource limits (memory_max, tasks_max, cpu_quota) where systemd is not PID 1, in
 * nsbox-helper's supervisor (root): cgroups of the box's own, nsbox-ID, made below the cgroups the
 * login came from in each hierarchy that has a controller the limits need: cgroup v1 where the
 * controller is bound to v1 (hybrid hosts), cgroup v2 where it is enabled below the login's
 * cgroup. Never at a hierarchy's root unless the login is there (a box would leave the limits
 * set above its login), never writing to a cgroup it did not make. Where systemd runs, the
 * limits are properties of the box's unit (unit.c). Either way the session's processes are moved
 * in at the request of the module's fork guard, which session_event reads off the session socket
 * with the rest of what a session says. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "helper.h"
#include "nsbox/cleanup.h"

/* The controllers the limits use, and whether S sets each. */
static const char *const ctl_names[] = { "memory", "pids", "cpu" };

static bool
ctl_wanted(const struct nsbox_settings *s, size_t i)
{
	return i == 0 ? s->memory_max != 0 : i == 1 ? s->tasks_max != 0 : s->cpu_quota != 0;
}

bool
limits_wanted(const struct nsbox_settings *s)
{
	return s->memory_max || s->tasks_max || s->cpu_quota;
}

/* True when the list L, separated by commas (mount options, v1 controllers) or blanks
 * (cgroup.subtree_control), holds the word W: "cpu" is not "cpuset" nor "cpuacct". */
static bool
has_word(const char *l, const char *w)
{
	const char *const sep = ", \n";
	size_t n = strlen(w);

	for (const char *p = l; *p; p += strspn(p, sep)) {
		size_t len = strcspn(p, sep);
		if (len == n && !strncmp(p, w, n))
			return true;
		p += len;
	}
	return false;
}

/* PATH whole into BUF (N bytes, NUL-terminated): procfs files come a record at a time. */
static int
read_small(const char *path, char *buf, size_t n)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t got;

	if (fd < 0)
		return -errno;
	while (len + 1 < n && (got = read(fd, buf + len, n - 1 - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		len += (size_t)got;
	}
	if (len + 1 >= n)
		return -EFBIG;
	buf[len] = 0;
	return 0;
}

/* PATH whole into a buffer of the size it needs (*OUT, freed by the caller): each live box adds a
 * netns name to the host's mountinfo, so that file has no small bound on a busy host. */
static int
read_grown(const char *path, char **out)
{
	for (size_t n = 64 * 1024; n <= 32 * 1024 * 1024; n *= 2) {
		char *buf = malloc(n);
		int r;

		if (!buf)
			return -ENOMEM;
		r = read_small(path, buf, n);
		if (r == 0) {
			*out = buf;
			return 0;
		}
		free(buf);
		if (r != -EFBIG)
			return r;
	}
	return -EFBIG;
}

static int
write_str(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX + 64];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(val);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, val, len);
	if (w < 0)
		return -errno;
	return (size_t)w == len ? 0 : -EIO;
}

/* Our cgroup in the hierarchy whose /proc/self/cgroup controller field is CTLS ("" for v2). */
static int
own_cgroup(const char *cgfile, bool v2, const char *ctl, char *out, size_t n)
{
	for (const char *l = cgfile; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *c = strchr(l, ':'), *p = c ? strchr(c + 1, ':') : NULL;
		if (!p)
			continue;
		char ctls[128];
		size_t cl = (size_t)(p - c - 1);
		if (cl >= sizeof(ctls))
			continue;
		memcpy(ctls, c + 1, cl);
		ctls[cl] = 0;
		if (v2 ? cl != 0 : !has_word(ctls, ctl))
			continue;
		size_t pl = strcspn(p + 1, "\n");
		if (pl >= n)
			return -ENAMETOOLONG;
		memcpy(out, p + 1, pl);
		out[pl] = 0;
		return 0;
	}
	return -ENOENT;
}

/* The mount of the hierarchy with controller CTL (v1), or of cgroup2 (CTL NULL), from
 * mountinfo: its mount point and the cgroup path it shows as its root. */
static int
find_mount(const char *mountinfo, const char *ctl, char *mnt, char *root, size_t n)
{
	for (const char *l = mountinfo; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char f[2][PATH_MAX], type[32], src[64], opts[512];
		const char *dash = strstr(l, " - ");
		if (!dash || sscanf(l, "%*s %*s %*s %4095s %4095s", f[0], f[1]) != 2 ||
		    sscanf(dash + 3, "%31s %63s %511s", type, src, opts) != 3)
			continue;
		if (ctl ? strcmp(type, "cgroup") || !has_word(opts, ctl) : strcmp(type, "cgroup2"))
			continue;
		if (strlen(f[0]) >= n || strlen(f[1]) >= n)
			return -ENAMETOOLONG;
		strcpy(root, f[0]);
		strcpy(mnt, f[1]);
		return 0;
	}
	return -ENOENT;
}

/* Where controller I lives for us: DIR, the directory of our own cgroup in its hierarchy.
 * v1 first (a controller bound to v1 is not in v2); v2 only when our cgroup lets its children
 * use it (cgroup.subtree_control: we never enable it ourselves, that file is not ours). */
static int
locate(const char *mountinfo, const char *cgfile, size_t i, char *dir, size_t n, bool *v2)
{
	char mnt[PATH_MAX], root[PATH_MAX], own[PATH_MAX], ctl[256];
	int r;

	*v2 = false;
	r = find_mount(mountinfo, ctl_names[i], mnt, root, sizeof(mnt));
	if (r == -ENOENT) {
		*v2 = true;
		r = find_mount(mountinfo, NULL, mnt, root, sizeof(mnt));
	}
	if (r < 0)
		return r;
	r = own_cgroup(cgfile, *v2, ctl_names[i], own, sizeof(own));
	if (r < 0)
		return r;
	/* a mount of a subtree (in a container) shows the cgroup paths below its root */
	size_t rl = strcmp(root, "/") ? strlen(root) : 0;
	if (strncmp(own, root, rl) || (own[rl] && own[rl] != '/'))
		return -ENOENT;
	/* the login's cgroup is the hierarchy's root: "/sys/fs/cgroup/pids", not ".../pids/" */
	const char *below = strcmp(own + rl, "/") ? own + rl : "";
	if ((size_t)snprintf(dir, n, "%s%s", mnt, below) >= n)
		return -ENAMETOOLONG;
	if (*v2) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
		if (read_small(path, ctl, sizeof(ctl)) < 0 || !has_word(ctl, ctl_names[i]))
			return -ENOENT;
	}
	return 0;
}

/* The limit lines for controller I in S. */
static int
apply(const char *dir, bool v2, size_t i, const struct nsbox_settings *s)
{
	char v[64];
	int r;

	if (i == 0) {
		snprintf(v, sizeof(v), "%llu", s->memory_max);
		return write_str(dir, v2 ? "memory.max" : "memory.limit_in_bytes", v);
	}
	if (i == 1) {
		snprintf(v, sizeof(v), "%u", s->tasks_max);
		return write_str(dir, "pids.max", v);
	}
	/* cpu_quota percent of one CPU per 100 ms period */
	if (v2) {
		snprintf(v, sizeof(v), "%llu 100000", (unsigned long long)s->cpu_quota * 1000);
		return write_str(dir, "cpu.max", v);
	}
	r = write_str(dir, "cpu.cfs_period_us", "100000");
	snprintf(v, sizeof(v), "%llu", (unsigned long long)s->cpu_quota * 1000);
	return r < 0 ? r : write_str(dir, "cpu.cfs_quota_us", v);
}

int
limits_plan(const char *id, const struct nsbox_settings *s, struct box_cgroups *cg,
	    struct nsbox_err *err)
{
	_cleanup_free_ char *mountinfo = NULL, *cgfile = NULL;
	char dir[sizeof(cg->dir[0])];
	struct stat st;
	bool v2;
	int r;

	_Static_assert(ARRAY_SIZE(cg->dir) == ARRAY_SIZE(ctl_names), "a directory per controller");
	*cg = (struct box_cgroups){ .n = 0 };
	if (!limits_wanted(s))
		return 0;
	r = read_grown("/proc/self/mountinfo", &mountinfo);
	if (r == 0)
		r = read_grown("/proc/self/cgroup", &cgfile);
	if (r < 0) {
		err_set(err, r, "reading this process's cgroups: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ctl_names); i++) {
		if (!ctl_wanted(s, i))
			continue;
		const char *key = i == 0 ? "memory_max" : i == 1 ? "tasks_max" : "cpu_quota";
		r = locate(mountinfo, cgfile, i, dir, sizeof(dir) - 16, &v2);
		if (r == -ENOENT) {
			err_set(err, -EOPNOTSUPP,
				"%s: no %s controller below this login's cgroup (cgroup v1, or "
				"cgroup v2 with %s in the login cgroup's cgroup.subtree_control; or "
				"run systemd; or set %s = none)", key, ctl_names[i], ctl_names[i], key);
			return -EOPNOTSUPP;
		}
		if (r < 0) {
			err_set(err, r, "%s: finding this login's %s cgroup: %s", key, ctl_names[i],
				strerror(-r));
			return r;
		}
		/* whoever may write the parent may remove ours and make their own in its place, or
		 * (cgroup v2) move the box's processes out of it: su from a delegated cgroup */
		if (stat(dir, &st) < 0) {
			r = -errno;
			err_set(err, r, "%s: %s: %s", key, dir, strerror(-r));
			return r;
		}
		if (st.st_uid != 0 || (st.st_mode & S_IWOTH) ||
		    ((st.st_mode & S_IWGRP) && st.st_gid != 0)) {
			err_set(err, -EPERM,
				"%s: this login's cgroup %s may be written by uid %u gid %u: the "
				"box's limits are never put below a cgroup a user controls", key, dir,
				(unsigned)st.st_uid, (unsigned)st.st_gid);
			return -EPERM;
		}
		strcat(dir, "/nsbox-");
		strncat(dir, id, NSBOX_ID_LEN);
		/* one directory per hierarchy: v2 and co-mounted v1 controllers share it */
		unsigned k;
		for (k = 0; k < cg->n && strcmp(cg->dir[k], dir); k++)
			;
		if (k == cg->n) {
			snprintf(cg->dir[k], sizeof(cg->dir[k]), "%s", dir);
			cg->v2[k] = v2;
			cg->n++;
		}
		cg->ctl_dir[i] = (int)k + 1;
	}
	return 0;
}

int
limits_make(const struct nsbox_settings *s, const struct box_cgroups *cg, struct nsbox_err *err)
{
	int r;

	for (unsigned k = 0; k < cg->n; k++)
		if (mkdir(cg->dir[k], 0755) < 0 && errno != EEXIST) {
			r = -errno;
			err_set(err, r, "making the box's cgroup %s: %s", cg->dir[k], strerror(-r));
			return r;
		}
	for (size_t i = 0; i < ARRAY_SIZE(ctl_names); i++) {
		if (!cg->ctl_dir[i])
			continue;
		const unsigned k = (unsigned)cg->ctl_dir[i] - 1;
		r = apply(cg->dir[k], cg->v2[k], i, s);
		if (r < 0) {
			err_set(err, r, "setting the box's %s limit in %s: %s", ctl_names[i],
				cg->dir[k], strerror(-r));
			return r;
		}
	}
	return 0;
}

int
limits_attach(const struct box_cgroups *cg, pid_t pid)
{
	char v[32];

	snprintf(v, sizeof(v), "%d", (int)pid);
	for (unsigned i = 0; i < cg->n; i++) {
		int r = write_str(cg->dir[i], "cgroup.procs", v);
		if (r < 0)
			return r;
	}
	return 0;
}

int
limits_procs_open(const struct box_cgroups *cg, int fds[3])
{
	char path[PATH_MAX + 32];

	for (unsigned i = 0; i < cg->n; i++) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dir[i]);
		fds[i] = open(path, O_WRONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			int r = -errno;
			while (i--)
				nsbox_closep(&fds[i]);
			return r;
		}
	}
	return 0;
}

int
limits_procs_join(int fds[3], unsigned n)
{
	int r = 0;

	for (unsigned i = 0; i < n; i++) {
		if (r == 0 && write(fds[i], "0", 1) != 1)
			r = -errno;
		nsbox_closep(&fds[i]);
	}
	return r;
}

/* A child of the session's application asks, through ACKFD, to be moved into the box's cgroups
 * (or unit): only a direct child of APP (its pid from the socket's SO_PEERCRED, which the
 * kernel fills), answered 0 or -errno. */
static void
attach_one(const struct box_attach *at, int ackfd, pid_t app)
{
	struct ucred uc = { .pid = 0 };
	socklen_t l = sizeof(uc);
	char comm[32];
	pid_t ppid = 0;
	int32_t st;

	if (getsockopt(ackfd, SOL_SOCKET, SO_PEERCRED, &uc, &l) < 0)
		st = -errno;
	else if (proc_comm_ppid(uc.pid, comm, sizeof(comm), &ppid) < 0 || ppid != app || app <= 0)
		st = -EPERM;
	else if (at->unit && at->unit[0])
		st = unit_attach(at->unit, uc.pid);
	else
		st = limits_attach(at->cg, uc.pid);
	if (st < 0)
		syslog(LOG_ERR, "box=%s cannot move process %d of the session into the box's %s: %s",
		       at->id, (int)uc.pid, at->unit && at->unit[0] ? "unit" : "cgroups",
		       strerror(-st));
	(void)!send(ackfd, &st, sizeof(st), MSG_NOSIGNAL);
}

const char *
session_event(int sock, short revents, pid_t app, const struct box_attach *at)
{
	struct nsbox_request req;
	int fd = -1, r;

	if (!revents)
		return NULL;
	r = nsbox_recv_fds(sock, &req, sizeof(req), &fd, 1, 0);
	if (r >= 0 && req.op == NSBOX_OP_ATTACH && fd >= 0)
		attach_one(at, fd, app);
	nsbox_closep(&fd);
	if (r >= 0 && req.op == NSBOX_OP_CLOSE)
		return "session closed";
	if (r == -ECONNRESET || (r < 0 && (revents & (POLLHUP | POLLERR))))
		return "session socket closed";
	/* anything else on the socket is ignored, but never spun on */
	if (r < 0 && r != -EBADMSG && r != -EAGAIN)
		return "session socket error";
	return NULL;
}
