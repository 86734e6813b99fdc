// SPDX-License-Identifier: BSD-3-Clause
/*
 * pty-run: runs a command as the session leader and foreground process group of a new pty, for
 * the end-to-end tests (login(1)). Runs as root inside the test's private namespaces.
 *
 *   pty-run [-e EXPECT] CMD [ARG...]
 *
 * script(1) puts its command in a process group of its own, which util-linux's login (setpgrp(),
 * then tcsetattr()) turns into a background group that stops on SIGTTOU. Here the child calls
 * setsid() and takes the pty as its controlling terminal, so it is the foreground group.
 * The pty's output is copied to stdout. Stdin is copied to the pty only once the output has
 * shown EXPECT (default: at once), so a test's input reaches the shell, not login. Exits with
 * the command's status (128+N when killed by signal N) once the command has exited and its
 * output has been drained.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEEN_MAX 65536

static void
die(const char *what)
{
	fprintf(stderr, "pty-run: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			die("write");
		p += w;
		n -= (size_t)w;
	}
}

static void
nap(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

/* Appends output to the window searched for EXPECT (keeping its tail); true once it was seen. */
static int
remember(char *seen, size_t *nseen, const char *p, size_t n, const char *expect)
{
	size_t keep = strlen(expect);

	if (*nseen + n > SEEN_MAX) {
		memmove(seen, seen + *nseen - keep, keep);
		*nseen = keep;
	}
	memcpy(seen + *nseen, p, n);
	*nseen += n;
	return memmem(seen, *nseen, expect, keep) != NULL;
}

int
main(int argc, char **argv)
{
	const char *expect = NULL;
	static char seen[SEEN_MAX];
	size_t nseen = 0;
	char buf[4096];
	int opt, master, status = 0, exited = 0, armed, in_open = 1;
	pid_t child;

	while ((opt = getopt(argc, argv, "+e:")) != -1) {
		if (opt != 'e') {
			fprintf(stderr, "usage: pty-run [-e EXPECT] CMD [ARG...]\n");
			return 125;
		}
		expect = optarg;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: pty-run [-e EXPECT] CMD [ARG...]\n");
		return 125;
	}
	armed = expect == NULL || *expect == '\0';

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		die("allocating a pty");
	const char *slave_name = ptsname(master);
	if (slave_name == NULL)
		die("ptsname");

	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		if (setsid() < 0)
			die("setsid");
		int slave = open(slave_name, O_RDWR);
		if (slave < 0)
			die(slave_name);
		if (ioctl(slave, TIOCSCTTY, 0) < 0)
			die("TIOCSCTTY");
		if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
			die("dup2");
		if (slave > 2)
			close(slave);
		execvp(argv[optind], argv + optind);
		die(argv[optind]);
	}

	for (;;) {
		struct pollfd p[2] = { { master, POLLIN, 0 }, { 0, POLLIN, 0 } };
		int np = armed && in_open ? 2 : 1;

		if (!exited && waitpid(child, &status, WNOHANG) == child)
			exited = 1;
		int r = poll(p, (nfds_t)np, exited ? 0 : 100);
		if (r < 0 && errno != EINTR)
			die("poll");
		if (r <= 0) {
			if (exited) /* nothing more to read and the command is gone */
				break;
			continue;
		}
		ssize_t n = 0;
		if (p[0].revents & POLLIN)
			n = read(master, buf, sizeof buf);
		if (n > 0) {
			write_all(1, buf, (size_t)n);
			if (!armed)
				armed = remember(seen, &nseen, buf, (size_t)n, expect);
		} else if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			/* EIO/hangup: no slave fd open right now (login's vhangup() and reopen, or the end) */
			if (exited)
				break;
			nap();
			continue;
		}
		if (np == 2 && (p[1].revents & (POLLIN | POLLHUP))) {
			n = read(0, buf, sizeof buf);
			if (n > 0)
				write_all(master, buf, (size_t)n);
			else if (n == 0 || errno != EINTR)
				in_open = 0;
		}
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
