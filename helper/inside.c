// SPDX-License-Identifier: BSD-3-Clause
/* Short children of nsbox-helper's supervisor (root): each is held by a pidfd from its fork to
 * its reaping, so it is never signalled by a pid that may name someone else; run_inside's join a
 * box's namespaces to configure it from inside, so the supervisor itself never stays in the
 * wrong namespace. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "nsbox/cleanup.h"

pid_t
child_fork(int *pidfd)
{
	pid_t parent = getpid(), pid = fork();

	*pidfd = -1;
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* the supervisor's death ends us; one that died before the prctl has a new parent */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(126);
		return 0;
	}
	/* our unreaped child: the pid cannot be reused before we reap it */
	*pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (*pidfd < 0) {
		int r = -errno;
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return r;
	}
	return pid;
}

pid_t
child_fork_pidns(int *pidfd, int *parent)
{
	struct clone_args ca = { .flags = CLONE_PIDFD | CLONE_NEWPID, .exit_signal = SIGCHLD };
	int fd = -1;
	/* the child sees its parent as pid 0: it checks us through a pidfd of ours */
	_cleanup_close_ int self = (int)syscall(SYS_pidfd_open, getpid(), 0);

	*pidfd = *parent = -1;
	if (self < 0)
		return -errno;
	ca.pidfd = (uint64_t)(uintptr_t)&fd;
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		*parent = steal_fd(self);
		if (child_rearm(*parent) < 0)
			_exit(126);
		return 0;
	}
	*pidfd = fd;
	return pid;
}

int
child_rearm(int parent)
{
	struct pollfd p = { .fd = parent, .events = POLLIN };

	/* the supervisor's death ends us; one that died before the prctl shows in its pidfd */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return -errno;
	return poll(&p, 1, 0) == 0 ? 0 : -ESRCH;
}

int
fd_wait(int fd, int timeout_ms)
{
	return nsbox_wait_readable(fd, timeout_ms);
}

int
child_wait(int *pidfd, int timeout_ms, int *status)
{
	siginfo_t si = { 0 };
	int r;

	if (*pidfd < 0)
		return 0;
	r = fd_wait(*pidfd, timeout_ms);
	if (r < 0)
		return r;
	if (waitid(P_PIDFD, (id_t)*pidfd, &si, WEXITED | WNOHANG) < 0 && errno != ECHILD)
		return -errno;
	if (status)
		*status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	nsbox_closep(pidfd);
	*pidfd = -1;
	return 0;
}

int
child_stop(int *pidfd, int sig, int timeout_ms)
{
	int r;

	if (*pidfd < 0)
		return 0;
	/* a pidfd names its process for good: once it has exited this is ESRCH, never another's */
	if (syscall(SYS_pidfd_send_signal, *pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
		return -errno;
	r = child_wait(pidfd, timeout_ms, NULL);
	if (r != -ETIMEDOUT || sig == SIGKILL)
		return r;
	if (syscall(SYS_pidfd_send_signal, *pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
		return -errno;
	return child_wait(pidfd, KILLED_WAIT_MS, NULL);
}

int
run_inside(const struct box *b, int nstypes, inside_fn fn, void *arg, struct nsbox_err *err)
{
	struct inside_result res = { 0 };
	int p[2], pidfd = -1, r;
	pid_t pid;
	ssize_t got = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = child_fork(&pidfd);
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		err_set(err, (int)pid, "configuring the box: fork: %s", strerror((int)-pid));
		return (int)pid;
	}
	if (pid == 0) {
		close(p[0]);
		if (setns(b->init_pidfd, nstypes) < 0) {
			res.err = -errno;
			snprintf(res.step, sizeof(res.step), "joining the box");
		} else
			res.err = fn(arg, &res);
		_exit(write(p[1], &res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(p[1]);
	r = fd_wait(p[0], INSIDE_TIMEOUT_MS);
	if (r == 0)
		got = read(p[0], &res, sizeof(res));
	close(p[0]);
	/* done or stuck: it gets no more time either way */
	child_stop(&pidfd, SIGKILL, KILLED_WAIT_MS);
	nsbox_closep(&pidfd);
	if (r == -ETIMEDOUT) {
		err_set(err, r, "configuring the box: a step inside it did not finish within %d s",
			INSIDE_TIMEOUT_MS / 1000);
		return r;
	}
	if (got != sizeof(res)) {
		err_set(err, -EIO, "configuring the box: child died");
		return -EIO;
	}
	if (res.err < 0) {
		res.step[sizeof(res.step) - 1] = 0;
		err_set(err, res.err, "%s: %s", res.step, strerror(-res.err));
		return res.err;
	}
	return res.err; /* 0, or what FN reports beyond success */
}
