// SPDX-License-Identifier: BSD-3-Clause
/* libswapcwd.so: an LD_PRELOAD shim for t41-cwd.t, never installed. It makes the race of the
 * restored working directory deterministic: just before the PAM application joins the box (its first setns()
 * through libc: pam_nsbox's join, after it saved the working directory and before it goes back
 * into it; the spawn's own setns is a raw syscall) it renames $NSBT_SWAP_DIR aside and puts a
 * symlink to $NSBT_SWAP_TO in its place (an empty $NSBT_SWAP_TO: a new directory), as a user
 * racing the module would. Then it calls the real setns. */
#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int setns(int fd, int nstype);

int
setns(int fd, int nstype)
{
	static int done;
	int (*real)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "setns");
	const char *dir = getenv("NSBT_SWAP_DIR"), *to = getenv("NSBT_SWAP_TO");

	if (!done && dir && to) {
		char aside[4096];

		done = 1;
		snprintf(aside, sizeof(aside), "%s.orig", dir);
		if (rename(dir, aside) < 0 || (*to ? symlink(to, dir) : mkdir(dir, 0755)) < 0)
			perror("libswapcwd: swap");
	}
	return real ? real(fd, nstype) : -1;
}
