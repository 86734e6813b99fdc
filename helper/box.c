// SPDX-License-Identifier: BSD-3-Clause
/* The box init: cloned by nsbox-helper (root) into the new namespaces, builds the box from its
 * mount plan, sets hostname and loopback (and a bridged box's interface, once the supervisor has
 * made the veth), then drops every capability and only reaps orphans until its lifeline to the
 * supervisor breaks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "mount.h"
#include "nsbox/cleanup.h"

/* What the init reports once: 0, or the errno of the step that failed. */
struct init_status {
	int err;
	char step[64];
};

static void
noop_handler(int sig)
{
	(void)sig;
}

/* A box's tmpfs pin RAM that the OOM killer cannot free, inodes included, which their size does
 * not count (tmpfs allows half of RAM's pages of them by default): one per 4 KiB of the size,
 * what the size would hold in one-page files. */
static unsigned long long
tmpfs_inodes(unsigned long long size)
{
	return size / 4096 > 1024 ? size / 4096 : 1024;
}

/* The box's mounts, from its namespaces: what the host's instances would show wrongly inside. */
static int
plan_fresh(struct mnt_plan *p, const struct nsbox_settings *s)
{
	const unsigned safe = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	const unsigned long ns = s->namespaces;
	char shm[96];
	/* First: nothing the box mounts may propagate back to the host. */
	int r = mnt_plan_add(p, MNT_SLAVE, "/", 0, 0, NULL, NULL, "making / a slave mount");

	if (r == 0 && (ns & CLONE_NEWPID))
		r = mnt_plan_add(p, MNT_PROC, "/proc", MNT_F_FRESH, safe, NULL, s->proc_opts, NULL);
	if (r == 0 && (ns & CLONE_NEWNET))
		r = mnt_plan_add(p, MNT_SYSFS, "/sys", MNT_F_FRESH, safe | MOUNT_ATTR_RDONLY, NULL,
				 "ro", NULL);
	/* The host's netns names (lib/record.c) are mounts: the box would keep a copy of each and
	 * receive every later one (/ is a slave), O(live boxes) mounts per box. */
	if (r == 0)
		r = mnt_plan_add(p, MNT_TMPFS, NSBOX_NETNS_DIR, MNT_F_FRESH | MNT_F_OPTIONAL,
				 safe | MOUNT_ATTR_RDONLY, NULL, "mode=0755,size=4k,nr_inodes=1",
				 "detaching the host's " NSBOX_NETNS_DIR);
	snprintf(shm, sizeof(shm), "mode=1777,size=%llu,nr_inodes=%llu", s->shm_size,
		 tmpfs_inodes(s->shm_size));
	if (r == 0)
		r = mnt_plan_add(p, MNT_TMPFS, "/dev/shm", MNT_F_OPTIONAL,
				 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, NULL, shm, NULL);
	if (r == 0 && (ns & CLONE_NEWIPC))
		r = mnt_plan_add(p, MNT_MQUEUE, "/dev/mqueue", MNT_F_OPTIONAL, safe, NULL, NULL, NULL);
	return r;
}

/* World-writable directories under /run that a box covers at most (each is one mount; the plan
 * holds MNT_PLAN_MAX). */
#define BOX_RUN_DIRS_MAX 16

/* run_writable = private: a fresh small tmpfs, with the directory's mode and owner, over each
 * world-writable directory right under /run (/run/lock): a place every user of the host can
 * write is a channel between boxes and a place to plant files (lock files) for another user's
 * programs, and where it is one file system with /run (or /), filling it fails every later
 * login. Read here, in the host's view, which the box's slave copy of / shows too. */
static int
plan_run_dirs(struct mnt_plan *p)
{
	const unsigned safe = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	_cleanup_closedir_ DIR *d = opendir("/run");
	struct dirent *e;
	unsigned n = 0;
	int r = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (r == 0 && (e = readdir(d))) {
		char target[NAME_MAX + 8], data[96];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode) || !(st.st_mode & S_IWOTH))
			continue;
		if (++n > BOX_RUN_DIRS_MAX)
			return -EMLINK;
		snprintf(target, sizeof(target), "/run/%s", e->d_name);
		snprintf(data, sizeof(data), "mode=%o,uid=%u,gid=%u,size=1m,nr_inodes=1024",
			 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);
		r = mnt_plan_add(p, MNT_TMPFS, target, MNT_F_OPTIONAL, safe, NULL, data, NULL);
	}
	return r;
}

/* tmp = private, runtime_dir = private, run_writable = private: fresh, empty, the user's own. */
static int
plan_private(struct mnt_plan *p, const struct nsbox_settings *s, uid_t uid, gid_t gid)
{
	const unsigned nosuid = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	char tmp[96], dir[64], user[64];
	int r = 0;

	/* One tmpfs, not one each: /tmp and /var/tmp share one budget, and pin it once. */
	snprintf(tmp, sizeof(tmp), "mode=0700,size=%llu,nr_inodes=%llu", s->tmp_size,
		 tmpfs_inodes(s->tmp_size));
	if (s->tmp_private)
		r = mnt_plan_add(p, MNT_TMPFS_SPLIT, "/tmp", 0, nosuid, "/var/tmp", tmp,
				 "mounting /tmp and /var/tmp");
	if (r == 0 && s->runtime_private) {
		/* /run/user is logind's, and the host's /run is the box's until something covers
		 * it: nothing is made, owned or permissioned there. A host without it has no
		 * runtime directories to hide, and the box gets none either; the user's own is
		 * made inside the box's tmpfs. It holds sockets and small files (XDG_RUNTIME_DIR):
		 * 16 MiB. */
		r = mnt_plan_add(p, MNT_TMPFS, "/run/user", MNT_F_IF_EXISTS,
				 nosuid | MOUNT_ATTR_NOEXEC, NULL, "mode=0755,size=16m,nr_inodes=4096",
				 NULL);
		snprintf(user, sizeof(user), "/run/user/%u", (unsigned)uid);
		snprintf(dir, sizeof(dir), "mode=0700,uid=%u,gid=%u", (unsigned)uid, (unsigned)gid);
		if (r == 0)
			r = mnt_plan_add(p, MNT_DIR, user, MNT_F_IF_EXISTS, 0, NULL, dir, NULL);
	}
	return r == 0 && s->run_private ? plan_run_dirs(p) : r;
}

/* hide and readonly, last: they may name paths under the mounts above (/proc/sys). A path that
 * does not exist is skipped; a symlink anywhere in one fails the login. */
static int
plan_paths(struct mnt_plan *p, const struct nsbox_settings *s)
{
	char what[64];
	int r = 0;

	for (unsigned i = 0; r == 0 && i < s->hide.n; i++) {
		snprintf(what, sizeof(what), "hiding %.48s", s->hide.p[i]);
		r = mnt_plan_add(p, MNT_COVER, s->hide.p[i], MNT_F_IF_EXISTS, 0, NULL, NULL, what);
	}
	for (unsigned i = 0; r == 0 && i < s->readonly.n; i++) {
		snprintf(what, sizeof(what), "making %.44s read-only", s->readonly.p[i]);
		r = mnt_plan_add(p, MNT_SELF_RDONLY, s->readonly.p[i], MNT_F_IF_EXISTS, 0, NULL, NULL,
				 what);
	}
	return r;
}

static int
box_mount_plan(struct mnt_plan *p, const struct nsbox_settings *s, uid_t uid, gid_t gid)
{
	int r = plan_fresh(p, s);

	if (r == 0)
		r = plan_private(p, s, uid, gid);
	return r < 0 ? r : plan_paths(p, s);
}

/* net.ipv4.ping_group_range is per network namespace and starts at "1 0" (nobody) in each new
 * one; a ping without a file capability (Debian 13's, or any under no_new_privs) needs it. A box
 * gets the host's value: the supervisor reads it before the clone (the file answers for the
 * opener's namespace), the init writes its copy inside the box's. Empty: leave the default. */
static char host_ping_group_range[64];

static void
ping_group_range_read(void)
{
	_cleanup_close_ int fd = open("/proc/sys/net/ipv4/ping_group_range", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, host_ping_group_range, sizeof(host_ping_group_range) - 1);

	host_ping_group_range[n > 0 ? n : 0] = 0;
}

static int
ping_group_range_write(void)
{
	size_t len = strlen(host_ping_group_range);
	_cleanup_close_ int fd = -1;

	if (len == 0)
		return 0;
	fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, host_ping_group_range, len);
	if (w < 0)
		return -errno;
	return w == (ssize_t)len ? 0 : -EIO;
}

/* What the init is given at its clone (its copy of the supervisor's memory). */
struct init_args {
	const struct mnt_plan *plan;
	const struct nsbox_settings *s;
	const struct box_cgroups *cg; /* the box's cgroups to move into, where systemd does not run */
	const char *hostname;
	int ready, lifeline, go; /* go: -1 unless bridged (box_send_net) */
};

/* A bridged box's interface, configured from the init once the supervisor has made the veth
 * (box_send_net): one child fewer than configuring it from outside, and it overlaps the mounts. */
static int
init_net(const struct init_args *a, struct init_status *st)
{
	struct box_net n;
	ssize_t got;

	snprintf(st->step, sizeof(st->step), "waiting for the box interface");
	/* every signal is blocked here: no EINTR; EOF: the supervisor gave up, and kills us */
	got = read(a->go, &n, sizeof(n));
	if (got != (ssize_t)sizeof(n))
		return got < 0 ? -errno : -EPIPE;
	return net_cfg_in_box(a->s, &n, st->step, sizeof(st->step));
}

/* CGFDS: the box's cgroup.procs files, opened here while /sys is the host's; the init joins
 * them once the box is built (init_main). */
static int
init_build(const struct init_args *a, struct init_status *st, int cgfds[3])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[2] = { { 0 } };
	const unsigned long ns = a->s->namespaces;
	const char *hostname = a->hostname;
	int r = 0;

	snprintf(st->step, sizeof(st->step), "opening the box's cgroups");
	if ((r = limits_procs_open(a->cg, cgfds)) < 0)
		return r;
	/* a cgroup namespace of our own: our /proc/self/cgroup shows nothing of the host's above
	 * the login's cgroup (the session's processes make theirs in the box's cgroups) */
	snprintf(st->step, sizeof(st->step), "unsharing the cgroup namespace");
	if (unshare(CLONE_NEWCGROUP) < 0)
		return -errno;
	/* Before the plan, which may make /proc/sys read-only; the file answers for our (the box's)
	 * network namespace whichever /proc it is opened through. */
	snprintf(st->step, sizeof(st->step), "setting net.ipv4.ping_group_range");
	if ((ns & CLONE_NEWNET) && (r = ping_group_range_write()) < 0)
		return r;
	r = mnt_plan_run(a->plan, st->step, sizeof(st->step));
	if (r < 0)
		return r;
	snprintf(st->step, sizeof(st->step), "setting the hostname");
	if ((ns & CLONE_NEWUTS) && hostname[0] && sethostname(hostname, strlen(hostname)) < 0)
		return -errno;
	snprintf(st->step, sizeof(st->step), "bringing up lo");
	if ((ns & CLONE_NEWNET) && (r = nl_link_up("lo")) < 0)
		return r;
	if (a->go >= 0 && (r = init_net(a, st)) < 0)
		return r;
	/* The init needs no privilege to reap: keep none, so nothing in the box can borrow it. */
	snprintf(st->step, sizeof(st->step), "dropping capabilities");
	if (syscall(SYS_capset, &h, none) < 0)
		return -errno;
	st->step[0] = 0;
	return 0;
}

/* The init's own setup before it builds anything: its fds, its death with the supervisor, its
 * signals. */
static int
init_setup(int *sfd, struct init_status *st)
{
	struct sigaction sa = { .sa_handler = noop_handler, .sa_flags = SA_NOCLDSTOP };
	sigset_t all, chld;

	/* Only the pipes (3 to 5) stay: not the application's pidfd, not the module's socket. */
	snprintf(st->step, sizeof(st->step), "closing inherited fds");
	if (syscall(SYS_close_range, 6, ~0U, 0) < 0)
		return -errno;
	/* the lifeline covers a supervisor that died before this */
	snprintf(st->step, sizeof(st->step), "PR_SET_PDEATHSIG");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return -errno;
	/* ps shows the command line: the box's PID 1 is "nsbox-init", as the docs call it, not
	 * the "nsbox-helper --session" it was forked from */
	proc_set_title("nsbox-init");

	/* PID 1 gets no signal whose handler is SIG_DFL, even a blocked one: give SIGCHLD a
	 * handler so signalfd sees it, and block everything. */
	snprintf(st->step, sizeof(st->step), "signalfd");
	sigfillset(&all);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigaction(SIGCHLD, &sa, NULL) < 0 || sigprocmask(SIG_BLOCK, &all, NULL) < 0)
		return -errno;
	*sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	return *sfd < 0 ? -errno : 0;
}

__attribute__((noreturn)) static void
init_main(struct init_args *a)
{
	struct init_status st = { 0 };
	int sfd = -1, ready, lifeline, go = -1, cgfds[3] = { -1, -1, -1 };

	/* at 3, 4 (and 5), above everything else first so that no dup clobbers another */
	ready = fcntl(a->ready, F_DUPFD_CLOEXEC, 10);
	lifeline = fcntl(a->lifeline, F_DUPFD_CLOEXEC, 10);
	if (a->go >= 0 && (go = fcntl(a->go, F_DUPFD_CLOEXEC, 10)) < 0)
		_exit(1);
	if (ready < 0 || lifeline < 0 || dup3(ready, 3, O_CLOEXEC) < 0 ||
	    dup3(lifeline, 4, O_CLOEXEC) < 0 || (go >= 0 && dup3(go, 5, O_CLOEXEC) < 0))
		_exit(1);
	a->ready = ready = 3;
	a->lifeline = lifeline = 4;
	a->go = go >= 0 ? 5 : -1;
	if (go < 0)
		close(5);

	st.err = init_setup(&sfd, &st);
	if (st.err == 0)
		st.err = init_build(a, &st, cgfds);
	if (write(ready, &st, sizeof(st)) != sizeof(st) || st.err < 0)
		_exit(1);
	close(ready);
	if (a->go >= 0)
		close(a->go);
	/* Into the box's cgroups (where systemd runs it was born in the box's unit), after the
	 * answer: the kernel makes a move into a cgroup wait for an RCU grace period
	 * (cgroup_threadgroup_rwsem; on cgroup v1, and v2 without favordynmods), ~10 ms the box's
	 * build need not wait for. The init forks nothing; every process of the session joins
	 * the cgroups on its own (the module's fork guard). Failing ends the box: the supervisor
	 * sees its init die. No capability needed: the files are root's, and so are we. */
	if (limits_procs_join(cgfds, a->cg->n) < 0)
		_exit(1);
	/* a copy of the supervisor's heap, which the init never uses: the pages it shares with
	 * the supervisor are freed once both have let go of them (helper.c trims its own) */
	malloc_trim(0);

	for (;;) {
		struct pollfd p[2] = { { .fd = lifeline, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };
		struct signalfd_siginfo si;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		if (p[0].revents)
			_exit(0); /* supervisor gone or done: the kernel kills the box with us */
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

/* The init's one report on READY: 0 once the box is built, else -errno with the failing step. */
static int
wait_ready(int ready, struct nsbox_err *err)
{
	struct init_status st = { 0 };
	int r = fd_wait(ready, BOX_READY_TIMEOUT_MS);

	if (r == -ETIMEDOUT) {
		err_set(err, r, "box init did not build the box within %d s",
			BOX_READY_TIMEOUT_MS / 1000);
		return r;
	}
	if (r < 0) {
		err_set(err, r, "waiting for the box init: %s", strerror(-r));
		return r;
	}
	if (read(ready, &st, sizeof(st)) != sizeof(st)) {
		err_set(err, -EIO, "box init died while building the box");
		return -EIO;
	}
	if (st.err < 0) {
		st.step[sizeof(st.step) - 1] = 0;
		err_set(err, st.err, "box init: %s: %s", st.step, strerror(-st.err));
		return st.err;
	}
	return 0;
}

int
box_start(struct box *b, const struct nsbox_settings *s, const struct box_cgroups *cg,
	  const char *hostname, uid_t uid, gid_t gid, struct nsbox_err *err)
{
	_cleanup_close_ int ready_r = -1, ready_w = -1, life_r = -1, life_w = -1, go_r = -1,
			    go_w = -1;
	struct mnt_plan plan = { .n = 0 };
	int pfd[2], pidfd = -1;
	struct clone_args ca = { 0 };
	pid_t pid;

	b->init = (struct nsbox_proc){ 0 };
	b->init_pidfd = b->lifeline = b->ready = b->go = -1;

	int r = box_mount_plan(&plan, s, uid, gid);
	if (r == -EMLINK)
		err_set(err, r, "planning the box's mounts: more than %d world-writable directories "
			"under /run (run_writable = private)", BOX_RUN_DIRS_MAX);
	else if (r < 0)
		err_set(err, r, "planning the box's mounts: %s", strerror(-r));
	if (r < 0)
		return r;

	if (pipe2(pfd, O_CLOEXEC) == 0) {
		ready_r = pfd[0];
		ready_w = pfd[1];
		if (pipe2(pfd, O_CLOEXEC) == 0) {
			life_r = pfd[0];
			life_w = pfd[1];
		}
	}
	if (life_w >= 0 && nsbox_net_veth(s->network) &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pfd) == 0) {
		go_r = pfd[0];
		go_w = pfd[1];
	}
	if (life_w < 0 || (nsbox_net_veth(s->network) && go_w < 0)) {
		r = -errno;
		err_set(err, r, "pipe: %s", strerror(-r));
		return r;
	}

	if (s->namespaces & CLONE_NEWNET)
		ping_group_range_read();
	ca.flags = CLONE_PIDFD | s->namespaces;
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0) {
		r = -errno;
		err_set(err, r, "creating the box namespaces: %s", strerror(-r));
		return r;
	}
	if (pid == 0) {
		struct init_args a = { .plan = &plan, .s = s, .cg = cg, .hostname = hostname,
				       .ready = ready_w, .lifeline = life_r, .go = go_r };
		init_main(&a);
	}

	b->init.pid = pid;
	b->init_pidfd = pidfd;
	b->lifeline = steal_fd(life_w);
	b->ready = steal_fd(ready_r);
	b->go = steal_fd(go_w);
	/* Our unreaped child: its pid is ours until box_reap, so this names it for good. */
	r = proc_id(pid, &b->init);
	if (r < 0) {
		err_set(err, r, "reading the box init's start time: %s", strerror(-r));
		box_kill(b);
	}
	return r;
}

int
box_wait_ready(struct box *b, struct nsbox_err *err)
{
	int r = wait_ready(b->ready, err);

	nsbox_closep(&b->ready);
	b->ready = -1;
	if (r < 0)
		box_kill(b);
	return r;
}

int
box_send_net(struct box *b, const struct box_net *n)
{
	ssize_t w;
	int r;

	if (b->go < 0)
		return -EBADF;
	/* an init that died is EPIPE here, not a SIGPIPE for us */
	w = send(b->go, n, sizeof(*n), MSG_NOSIGNAL);
	r = w == (ssize_t)sizeof(*n) ? 0 : w < 0 ? -errno : -EIO;
	nsbox_closep(&b->go);
	b->go = -1;
	return r;
}

void
box_early_failure(struct box *b, struct nsbox_err *err)
{
	struct pollfd p = { .fd = b->ready, .events = POLLIN };

	/* Whatever failed beside the init may have failed because of it (a namespace that is gone
	 * with it): its own report, if it has one, names the cause. */
	if (b->ready >= 0 && poll(&p, 1, 0) == 1)
		box_wait_ready(b, err);
}

void
box_kill(struct box *b)
{
	if (b->init_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, b->init_pidfd, SIGKILL, NULL, 0);
	nsbox_closep(&b->lifeline);
	nsbox_closep(&b->go);
	b->lifeline = b->go = -1;
}

int
box_reap(struct box *b, int timeout_ms)
{
	/* The init ends only when every member of its pid namespace has: one that the kernel holds
	 * (a hung NFS or FUSE request) holds it too. Our pidfd closes either way; an init that
	 * outlives us is the kernel's to reap, through pid 1. */
	int r = b->init_pidfd >= 0 ? child_wait(&b->init_pidfd, timeout_ms, NULL) : 0;

	nsbox_closep(&b->init_pidfd);
	nsbox_closep(&b->ready);
	b->init_pidfd = b->ready = -1;
	b->init = (struct nsbox_proc){ 0 };
	return r;
}
