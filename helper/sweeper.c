// SPDX-License-Identifier: BSD-3-Clause
/* The supervisor's sweeper: `nsbox-helper --sweep`, root, a process of its own that the
 * supervisor forks and execs before it builds anything, and that outlives it. A supervisor that
 * dies without its teardown (SIGKILL, the OOM killer, a crash), or whose teardown failed a step,
 * would leave the box's ip-netns name, veth, leases and directory to the next login's gc; the
 * sweeper, woken by the end of the supervisor's socket, removes them at once. After a normal
 * teardown it finds nothing and exits.
 *
 * It shares nothing with the supervisor but that socket: its own memory (the OOM killer kills
 * every process that shares the victim's; a clone with CLONE_VM died with it), its own libc and
 * errno. The supervisor tells it each box id before the id's directory may exist, and that the
 * id is reserved; the sweeper only reads until the socket ends. What the box holds it reads from
 * the box's directory (lib/held.h), and frees as the teardown and the gc do. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "nsbox/cleanup.h"

/* On the socket, each way one whole message: READY from the sweeper once it runs; NOTE and
 * RESERVED from the supervisor. What it says last before the end is what the sweeper sweeps:
 * nothing (no NOTE), an id told (its directory may exist from then on), or reserved (the
 * directory exists until the teardown removes it). */
enum { SWEEP_READY = 1, SWEEP_NOTE, SWEEP_RESERVED };
struct sweep_msg {
	uint32_t kind;
	struct sweep_note note; /* NOTE */
};

/* The sweeper's fd in the --sweep process. */
#define SWEEP_FD 3
/* How long the sweeper waits for a box directory that someone else holds locked for a moment (a
 * gc probing it, a child of the dead supervisor not yet gone) before it leaves it to the gc. */
#define SWEEP_LOCK_WAIT_MS 2000

int
sweeper_start(int *fd, pid_t *pidp)
{
	static char arg0[] = "nsbox-helper", arg1[] = "--sweep";
	char *const argv[] = { arg0, arg1, NULL };
	char *const envp[] = { NULL };
	int sv[2];
	sigset_t all;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* A copy of the supervisor while it is still small (before the config and NSS), for as
	 * long as the exec takes. Not child_fork: no PR_SET_PDEATHSIG, it is for after our death. */
	pid_t pid = fork();
	if (pid == 0) {
		/* Every signal blocked while it waits (an admin's kill meant for the supervisor
		 * must not take its sweeper too); --sweep unblocks them once it sweeps. Only the
		 * socket goes along: not the module's socket (fd 3 here; the supervisor must see
		 * it hang up), not the box directory's lock, not syslog's socket. */
		sigfillset(&all);
		close(sv[0]); /* (close-on-exec, but it could be below 3) */
		if (sigprocmask(SIG_SETMASK, &all, NULL) < 0 ||
		    (sv[1] == SWEEP_FD ? fcntl(SWEEP_FD, F_SETFD, 0) : dup2(sv[1], SWEEP_FD)) < 0 ||
		    syscall(SYS_close_range, SWEEP_FD + 1, ~0U, 0) < 0)
			_exit(126);
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	close(sv[1]);
	if (pid < 0) {
		int r = -errno;
		close(sv[0]);
		return r;
	}
	*fd = sv[0];
	*pidp = pid;
	return 0;
}

int
sweeper_ready(int fd)
{
	struct sweep_msg m;
	int r = fd_wait(fd, INSIDE_TIMEOUT_MS);

	if (r < 0)
		return r;
	ssize_t k = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
	if (k < 0)
		return -errno;
	return k == (ssize_t)sizeof(m) && m.kind == SWEEP_READY ? 0 : -ECHILD;
}

static int
sweeper_send(int fd, const struct sweep_msg *m)
{
	return send(fd, m, sizeof(*m), MSG_NOSIGNAL) == (ssize_t)sizeof(*m) ? 0 : -errno;
}

int
sweeper_tell(int fd, const struct sweep_note *n)
{
	struct sweep_msg m = { .kind = SWEEP_NOTE, .note = *n };

	return sweeper_send(fd, &m);
}

int
sweeper_reserved(int fd)
{
	struct sweep_msg m = { .kind = SWEEP_RESERVED };

	return sweeper_send(fd, &m);
}

/* How long the sweeper waits for a dead box's processes to leave its cgroups. */
#define SWEEP_CGROUP_WAIT_MS 2000

static int
sleep_ms(long ms)
{
	struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };

	return nanosleep(&d, NULL);
}

/* Frees what the box's directory says it holds, as the teardown would have: the network
 * namespace's name and marks (by the id), held_release, then held_finish. Returns the first
 * failure's -errno with ERR; after one the directory stays, for the gc to try again. *REMOVED:
 * whether there was anything of the box to remove. */
static int
sweep(const struct sweep_note *n, bool *removed, struct nsbox_err *err)
{
	char name[NAME_MAX + 1];
	struct box_held h = { .what = 0 };
	int r = 0, q, lock;

	*removed = false;
	/* Locked while the directory is the owner's: someone holds it for a moment (a gc's probe,
	 * a child of the owner not yet gone). Try again until it is ours, gone, or too long held. */
	for (long waited = 0;; waited += 10) {
		lock = box_orphan_lock(n->id, &n->owner, name, sizeof(name));
		if (lock != -EBUSY || waited >= SWEEP_LOCK_WAIT_MS)
			break;
		sleep_ms(10);
	}
	_cleanup_close_ int held = lock;
	if (lock == -ENOENT || lock == -EEXIST)
		return 0; /* its teardown finished, or the id is another live box's now */
	if (lock == -EBUSY)
		return err_set(err, lock, "its directory stayed locked for %d s; left to the gc: %s",
			       SWEEP_LOCK_WAIT_MS / 1000, strerror(-lock));
	if (lock < 0)
		return err_set(err, lock, "locking its directory: %s", strerror(-lock));
	*removed = true;
	_cleanup_close_ int bfd = open(NSBOX_BOXES_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* none: it died before it made anything; unreadable: what the id names is freed */
	snprintf(h.id, sizeof(h.id), "%s", n->id);
	if (bfd < 0 || ((q = held_read(bfd, name, n->id, &h)) < 0 && q != -ENOENT)) {
		q = bfd < 0 ? -errno : q;
		r = err_set(err, q, "reading what it holds from its directory: %s", strerror(-q));
	}
	if ((q = box_netns_remove(n->id)) < 0)
		r = r ? r : err_set(err, q, "removing its ip-netns name: %s", strerror(-q));
	if ((q = held_release(&h, err)) < 0)
		r = r ? r : q;
	box_ns_forget(n->id);
	if (r < 0)
		return r;
	return held_finish(&h, name, SWEEP_CGROUP_WAIT_MS, err);
}

/* Our socket closes in the supervisor's exit before the kernel marks it dead: wait for that
 * (its pidfd turns readable), at most KILLED_WAIT_MS. 0 once OWNER is dead, else -errno. */
static int
owner_wait_dead(const struct nsbox_proc *owner)
{
	_cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, owner->pid, 0);

	if (fd < 0)
		return errno == ESRCH ? 0 : -errno;
	/* the pidfd names the process that has the pid now: the owner only if the start agrees */
	int r = proc_alive(owner);
	if (r <= 0)
		return r;
	r = fd_wait(fd, KILLED_WAIT_MS);
	return r < 0 ? r : (proc_alive(owner) == 0 ? 0 : -EBUSY);
}

/* What the socket said until its end: 0 with *STATE the last of NOTE or RESERVED (0: none) and
 * *N the last note; -errno when it failed (which says nothing of the supervisor). */
static int
listen_until_end(struct sweep_note *n, int *state)
{
	struct sweep_msg m;

	*state = 0;
	for (;;) {
		ssize_t k = recv(SWEEP_FD, &m, sizeof(m), 0);
		if (k == 0)
			return 0; /* every copy of the other end is closed: the supervisor is gone */
		if (k < 0 && errno == EINTR)
			continue;
		if (k != (ssize_t)sizeof(m))
			return k < 0 ? -errno : -EBADMSG;
		if (m.kind == SWEEP_NOTE) {
			*n = m.note;
			*state = SWEEP_NOTE;
		} else if (m.kind == SWEEP_RESERVED && *state)
			*state = SWEEP_RESERVED;
		else
			return -EBADMSG;
	}
}

/* fd 3 is a SOCK_SEQPACKET unix socket: what sweeper_start hands over. */
static bool
started_by_supervisor(void)
{
	int type = 0, dom = 0;
	socklen_t l = sizeof(type);

	if (getsockopt(SWEEP_FD, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
		return false;
	l = sizeof(dom);
	return getsockopt(SWEEP_FD, SOL_SOCKET, SO_DOMAIN, &dom, &l) == 0 && dom == AF_UNIX &&
	       type == SOCK_SEQPACKET;
}

int
sweeper_run(void)
{
	struct sweep_msg ready = { .kind = SWEEP_READY };
	struct sweep_note n = { .id = "" };
	struct nsbox_err err = { 0 };
	char path[sizeof(NSBOX_BOXES_DIR) + 1 + NSBOX_ID_LEN + 1];
	bool removed;
	sigset_t none;
	int state;

	if (geteuid() != 0 || !started_by_supervisor()) {
		openlog("nsbox-helper", LOG_PID, LOG_AUTHPRIV);
		syslog(LOG_ERR, "--sweep: started by nsbox-helper's supervisor only");
		return 2;
	}
	prctl(PR_SET_NAME, "nsbox-sweeper");
	prctl(PR_SET_DUMPABLE, 0);
	/* the OOM killer's choice should it come to that: never us, who free what its victim held
	 * (a few pages; everything that grows is the supervisor's) */
	int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (adj >= 0) {
		(void)!write(adj, "-1000", 5);
		close(adj);
	}
	if (sweeper_send(SWEEP_FD, &ready) < 0)
		return 1;
	int r = listen_until_end(&n, &state);
	close(SWEEP_FD);
	if (r < 0 || state == 0)
		return r < 0 ? 1 : 0; /* a failed read says nothing of the supervisor: never sweep */
	if (memchr(n.id, 0, sizeof(n.id)) == NULL || !box_id_valid(n.id))
		return 1;
	/* the teardown removes the directory last: gone means it finished */
	snprintf(path, sizeof(path), NSBOX_BOXES_DIR "/%s", n.id);
	if (state == SWEEP_RESERVED && access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	openlog("nsbox-helper", LOG_PID, LOG_AUTHPRIV);
	if (owner_wait_dead(&n.owner) < 0)
		return 1; /* alive (someone else held its socket), or it cannot be told */
	r = sweep(&n, &removed, &err);
	if (r < 0)
		syslog(LOG_ERR,
		       "box=%s sweeper: supervisor %d ended before its teardown was done; %s",
		       n.id, (int)n.owner.pid, err.msg);
	else if (removed)
		syslog(LOG_WARNING,
		       "box=%s sweeper: supervisor %d ended before its teardown was done; removed what "
		       "the box held on the host",
		       n.id, (int)n.owner.pid);
	return r < 0 ? 1 : 0;
}
