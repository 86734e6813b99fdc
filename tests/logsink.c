// SPDX-License-Identifier: BSD-3-Clause
/*
 * logsink: a minimal syslog sink for the end-to-end tests (no syslog daemon runs on the test
 * machines; glibc's syslog() writes datagrams to /dev/log). Runs as root inside the test's
 * private mount namespace, started and stopped (SIGTERM, by pid) by tests/e2e/lib.sh.
 *
 *   logsink SOCKETPATH OUTFILE
 *
 * Binds an AF_UNIX SOCK_DGRAM socket at SOCKETPATH (a stale socket there is removed first;
 * anything else there is an error), makes it mode 0666 so unprivileged senders can log, then
 * prints "ready" on stdout and points stdout at /dev/null (so `$(...)` or a pipe reader sees
 * EOF). Every datagram is appended to OUTFILE as one line with one write(2): trailing
 * newlines and NULs stripped, other control characters replaced by '?'. On SIGTERM, SIGINT
 * or SIGHUP it writes what is still queued, removes the socket and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAXMSG 65536

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
die(const char *what, const char *arg)
{
	fprintf(stderr, "logsink: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "",
		strerror(errno));
	exit(1);
}

/* Cleans one datagram in place into a single line ending in '\n'; returns its length. */
static size_t
to_line(char *buf, size_t n)
{
	size_t i;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0' || buf[n - 1] == '\r'))
		n--;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c < 0x20 || c == 0x7f)
			buf[i] = '?';
	}
	buf[n++] = '\n';
	return n;
}

/* Receives and writes datagrams until none is queued. */
static int
pump(int sock, int out, char *buf)
{
	for (;;) {
		ssize_t n = recv(sock, buf, MAXMSG, MSG_DONTWAIT);
		size_t len;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return 0;
			return -errno;
		}
		len = to_line(buf, (size_t)n > MAXMSG ? MAXMSG : (size_t)n);
		if (write(out, buf, len) != (ssize_t)len)
			return errno ? -errno : -EIO;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sigaction act;
	struct pollfd pfd;
	sigset_t block, orig;
	struct stat st;
	int sock, out, devnull, r;
	char *buf;

	if (argc != 3) {
		fputs("usage: logsink SOCKETPATH OUTFILE\n", stderr);
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "logsink: socket path too long: %s\n", argv[1]);
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	buf = malloc(MAXMSG + 1); /* +1: room for the '\n' to_line() appends */
	if (!buf)
		die("malloc", NULL);

	/* Termination signals are only delivered inside ppoll(): no lost wakeup. */
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigemptyset(&act.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGHUP, &act, NULL);
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGINT);
	sigdelset(&orig, SIGHUP);

	out = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (out < 0)
		die("open", argv[2]);

	if (lstat(argv[1], &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			die("refusing to replace non-socket", argv[1]);
		}
		if (unlink(argv[1]) < 0)
			die("unlink", argv[1]);
	}
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		die("socket", NULL);
	if (bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind", argv[1]);
	if (chmod(argv[1], 0666) < 0)
		die("chmod", argv[1]);

	printf("ready\n");
	if (fflush(stdout) != 0)
		die("stdout", NULL);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}

	pfd.fd = sock;
	pfd.events = POLLIN;
	while (!stop) {
		r = ppoll(&pfd, 1, NULL, &orig);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("poll", NULL);
		}
		r = pump(sock, out, buf);
		if (r < 0) {
			errno = -r;
			die("write", argv[2]);
		}
	}
	pump(sock, out, buf);
	unlink(argv[1]);
	return 0;
}
