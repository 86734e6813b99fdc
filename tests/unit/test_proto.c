// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for the record transport (lib/proto.c) over a real SOCK_SEQPACKET socketpair: a
 * record carries exactly the fds it may, extra fds are refused and closed, never kept. Runs
 * unprivileged or as root. */

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "../../lib/proto.c"

#include "tap.h"

static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Sends NFD copies of /dev/null with an 8-byte record; the receiver takes at most TAKE. */
static int
round_trip(int sv[2], size_t nfd, size_t take, int got[NSBOX_MAX_FDS])
{
	int fds[NSBOX_MAX_FDS + 1];
	char out[8] = "record!", in[8];

	for (size_t i = 0; i < nfd; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int r = nfd <= NSBOX_MAX_FDS ? nsbox_send_fds(sv[0], out, sizeof(out), fds, nfd) : 0;
	if (nfd > NSBOX_MAX_FDS) { /* more than a sender of ours attaches: a hand-made message */
		struct iovec iov = { .iov_base = out, .iov_len = sizeof(out) };
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(fds))];
		} ctl = { 0 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
				      .msg_controllen = CMSG_SPACE(nfd * sizeof(int)) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfd * sizeof(int));
		r = sendmsg(sv[0], &msg, 0) == sizeof(out) ? 0 : -1;
	}
	for (size_t i = 0; i < nfd; i++)
		close(fds[i]);
	if (r < 0)
		return -1000;
	r = nsbox_recv_fds(sv[1], in, sizeof(in), got, take, MSG_DONTWAIT);
	if (r >= 0 && memcmp(in, out, sizeof(in)))
		return -2000;
	return r;
}

static volatile sig_atomic_t storm_hits;

static void
on_storm(int sig)
{
	(void)sig;
	storm_hits++;
}

/* In a child: a SIGALRM every 200 us (a handler without SA_RESTART, like an application's SIGCHLD
 * handler: every one interrupts poll) while waiting TIMEOUT_MS on FD. Exit status: 0 when the wait
 * ended with WANT, 2 when it ended otherwise, 3 when a wait that had to time out saw no signal
 * (the storm did not work). */
static int
storm_wait(int fd, int timeout_ms, int want)
{
	struct sigaction sa = { .sa_handler = on_storm };
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	pid_t pid = fork();

	if (pid == 0) {
		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		int r = nsbox_wait_readable(fd, timeout_ms);
		setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, NULL);
		_exit(storm_hits == 0 && want == -ETIMEDOUT ? 3 : r == want ? 0 : 2);
	}
	/* a wait that never ends is the bug: give it ten seconds, then fail */
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), st = -1;
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	if (pidfd >= 0 && poll(&p, 1, 10000) == 1 && waitpid(pid, &st, 0) == pid)
		st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	else {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (pidfd >= 0)
		close(pidfd);
	return st;
}

int
main(void)
{
	int sv[2], got[NSBOX_MAX_FDS], base;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		printf("Bail out! socketpair\n");
		return 1;
	}
	base = open_fds();

	is_int(round_trip(sv, 0, 0, got), 0, "a record without fds, none wanted: 0 fds");
	is_int(round_trip(sv, 2, 2, got), 2, "two fds, two wanted: both come");
	ok(got[0] >= 0 && got[1] >= 0 && (fcntl(got[0], F_GETFD) & FD_CLOEXEC) &&
		   (fcntl(got[1], F_GETFD) & FD_CLOEXEC),
	   "both are open and close-on-exec");
	close(got[0]);
	close(got[1]);
	is_int(round_trip(sv, 1, 2, got), 1, "one fd where two may come: 1 (the caller judges)");
	ok(got[0] >= 0 && got[1] == -1, "the first slot has it, the second is -1");
	close(got[0]);
	is_int(round_trip(sv, 2, 1, got), -EBADMSG, "two fds where one may come: refused");
	ok(got[0] == -1, "and nothing kept");
	is_int(round_trip(sv, 3, 2, got), -EBADMSG, "three fds where two may come: refused");
	ok(got[0] == -1 && got[1] == -1, "and nothing kept");
	is_int(round_trip(sv, 1, 0, got), -EBADMSG, "an fd where none may come: refused");
	is_int(open_fds(), base, "every refused fd was closed");

	/* nsbox_recv: at most one */
	int fd = -1, dn = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char out[8] = "record!", in[8];
	is_int(nsbox_send(sv[0], out, sizeof(out), dn), 0, "nsbox_send with an fd");
	is_int(nsbox_recv(sv[1], in, sizeof(in), &fd), 0, "nsbox_recv takes it: 0");
	ok(fd >= 0 && fd != dn, "as a new fd");
	close(fd);
	close(dn);
	is_int(nsbox_send(sv[0], out, sizeof(out), -1), 0, "nsbox_send without one");
	is_int(nsbox_recv(sv[1], in, sizeof(in), &fd), 0, "nsbox_recv: 0");
	is_int(fd, -1, "and *fd is -1");
	is_int(nsbox_send(sv[0], out, 4, -1), 0, "a short record");
	is_int(nsbox_recv(sv[1], in, sizeof(in), NULL), -EBADMSG, "is refused");
	is_int(nsbox_send_fds(sv[0], out, sizeof(out), got, NSBOX_MAX_FDS + 1), -EINVAL,
	       "more fds than a record carries are not sent");
	close(sv[0]);
	is_int(nsbox_recv(sv[1], in, sizeof(in), NULL), -ECONNRESET, "the peer gone: -ECONNRESET");
	close(sv[1]);
	is_int(open_fds(), base - 2, "no fd left over");
	/* nsbox_wait_readable: the module's wait for the helper, and the helper's for its children */
	int w[2];
	ok(pipe2(w, O_CLOEXEC) == 0, "pipe");
	is_int(nsbox_wait_readable(w[0], 0), -ETIMEDOUT, "wait: nothing to read, no time: -ETIMEDOUT");
	is_int(storm_wait(w[0], 300, -ETIMEDOUT), 0,
	       "wait: a deadline passes under a storm of signals: -ETIMEDOUT, not a wait for ever");
	ok(write(w[1], "x", 1) == 1, "something to read");
	is_int(nsbox_wait_readable(w[0], 1000), 0, "wait: readable: 0");
	is_int(storm_wait(w[0], 10000, 0), 0, "wait: readable under a storm of signals: 0");
	close(w[0]);
	close(w[1]);
	return tap_done();
}
