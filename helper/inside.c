/* Short children of nsbox-helper's supervisor (root) that join a box's namespaces to configure
 * it from inside, so the supervisor itself never stays in the wrong namespace. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

int
run_inside(const struct box *b, int nstypes, inside_fn fn, void *arg, struct nsbox_why *why)
{
	struct inside_result res = { 0 };
	int p[2], st;
	pid_t pid;
	ssize_t got;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setns(b->init_pidfd, nstypes) < 0) {
			res.err = -errno;
			snprintf(res.step, sizeof(res.step), "joining the box");
		} else
			res.err = fn(arg, &res);
		_exit(write(p[1], &res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(p[1]);
	got = read(p[0], &res, sizeof(res));
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (got != sizeof(res)) {
		why_set(why, "configuring the box network: child died");
		return -EIO;
	}
	if (res.err < 0) {
		res.step[sizeof(res.step) - 1] = 0;
		why_set(why, "%s: %s", res.step, strerror(-res.err));
		return res.err;
	}
	return res.err; /* 0, or what FN reports beyond success */
}

