// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for lib/proc.c's reading of the caller's own /proc/self/stat (proc_self): the
 * identity the helper keeps for its records and the ignored signals it resets from the same
 * read. Runs as any user. Output: TAP. */

#include "../../lib/proc.c"
#include "../../lib/file.c"

#include <signal.h>
#include <sys/wait.h>

#include "tap.h"

int
main(void)
{
	struct nsbox_proc self = { 0 }, byid = { 0 };
	unsigned long long ign = 0;

	signal(SIGUSR2, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	is_int(proc_self(&self, &ign), 0, "own stat read");
	is_int(self.pid, getpid(), "pid is ours");
	is_int(proc_id(getpid(), &byid), 0, "proc_id of ourselves");
	ok(self.start == byid.start && self.start > 0, "start time as proc_id reads it");
	ok(!(ign & (1ull << (SIGUSR2 - 1))), "SIGUSR2 at SIG_DFL is not in the ignored mask");

	/* probe: the mask follows what is ignored */
	signal(SIGUSR2, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	is_int(proc_self(&self, &ign), 0, "own stat read again");
	ok(ign & (1ull << (SIGUSR2 - 1)), "ignored SIGUSR2 is in the mask");
	ok(ign & (1ull << (SIGPIPE - 1)), "ignored SIGPIPE is in the mask");
	ok(!(ign & (1ull << (SIGTERM - 1))), "SIGTERM is not");
	signal(SIGUSR2, SIG_DFL);

	/* proc_set_title: what ps shows of a child that names itself, long and short names */
	const char *names[] = { "nsbox-init", "a-name-longer-than-the-arguments-of-this-test-program-"
					      "which-must-be-cut-to-fit-the-area-the-kernel-gave" };
	for (size_t i = 0; i < 2; i++) {
		int pfd[2];
		char cmd[512] = "", comm[64] = "", path[64];
		pid_t ppid, pid;

		if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0)
			return 1;
		if (pid == 0) {
			char c = proc_set_title(names[i]) == 0 ? 'y' : 'n';
			if (write(pfd[1], &c, 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
		char c = 0;
		close(pfd[1]);
		if (read(pfd[0], &c, 1) != 1)
			c = 0;
		close(pfd[0]);
		is_int(c, 'y', "proc_set_title succeeds");
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, cmd, sizeof(cmd) - 1);
		if (fd >= 0)
			close(fd);
		cmd[n > 0 ? n : 0] = 0;
		proc_comm_ppid(pid, comm, sizeof(comm), &ppid);
		if (i == 0) {
			is_str(cmd, "nsbox-init", "the command line ps shows is the name");
			is_str(comm, "nsbox-init", "and so is the comm");
		} else {
			ok(strlen(cmd) > 0 && !strncmp(cmd, names[i], strlen(cmd)),
			   "a long name is cut to the argument area: '%s'", cmd);
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return tap_done();
}
