// SPDX-License-Identifier: BSD-3-Clause
/*
 * reaper: runs an e2e test script as a child subreaper, as root inside the test's private
 * namespaces (lib.sh's nsbox_enter_private_ns). A box's processes include sshd's user child,
 * whose parent (sshd's monitor) is outside the box: when the monitor dies that child is
 * reparented, and the box init cannot end until it is reaped. Without this, the reaper is the
 * machine's PID 1, which on some VMs reaps seconds late; a real host's systemd reaps at once. So
 * that the tests measure the product and not the machine's init, orphans of the test's process
 * tree come here and are reaped at once.
 *
 *   reaper CMD [ARG...]   exits with CMD's status (128 + N if a signal N ended it)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t child;

/* prove's or a developer's signal goes to the test, whose traps clean up */
static void
forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = forward };
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: reaper CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		perror("reaper: PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("reaper: fork");
		return 1;
	}
	if (pid == 0) {
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		execvp(argv[1], argv + 1);
		perror("reaper: exec");
		_exit(127);
	}
	child = pid;
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nothing left */
		}
		if (p == pid) {
			status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			/* what the test left running is reparented on to PID 1 as we go */
			break;
		}
	}
	return status;
}
