/* The application's hold, made by nsbox-helper's supervisor (root) in a short child: a mount
 * namespace for the PAM application while its session is boxed, a private copy of the
 * application's own mount tree in which no file can be executed.
 *
 * Why: the module moves the application into the box's other namespaces, but into this one for
 * its mounts. Only a child the application makes with fork(2) goes on into the box's mount
 * namespace, and it gets the session's policy on the way (pam_module/policy.c, a pthread_atfork
 * handler). A child made any other way (vfork, posix_spawn, system(), a raw clone or clone3) runs
 * no fork handler and would run user code without the policy; so would an application that
 * execs in the process that opened the session (systemd's user manager). Here all of them find
 * nothing they can execute, so user code runs in the box under its policy or not at all. The
 * application itself keeps its view of the host's files (its /proc/self works) and may read and
 * write them as before; private, so that no mount made on the host later arrives executable. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"
#include "nsbox/cleanup.h"

int
hold_make(int *out, struct nsbox_why *why)
{
	struct mount_attr ma = { .attr_set = MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID,
				 .propagation = MS_PRIVATE };
	_cleanup_close_ int rd = -1, wr = -1;
	char path[64];
	int p[2], pidfd = -1, err = 0, r;
	pid_t pid;

	*out = -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		why_set(why, "making the application's hold: pipe: %s", strerror(errno));
		return -errno;
	}
	rd = p[0];
	wr = p[1];
	pid = child_fork(&pidfd);
	if (pid < 0) {
		why_set(why, "making the application's hold: fork: %s", strerror((int)-pid));
		return (int)pid;
	}
	if (pid == 0) {
		/* "/" of the new namespace and every mount below it, hidden ones included */
		if (unshare(CLONE_NEWNS) < 0 ||
		    syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &ma, sizeof(ma)) < 0)
			err = -errno;
		if (write(wr, &err, sizeof(err)) != sizeof(err))
			_exit(1);
		/* kept alive until the supervisor holds the namespace, then killed */
		for (;;)
			pause();
	}
	nsbox_closep(&wr);
	wr = -1;
	r = fd_wait(rd, INSIDE_TIMEOUT_MS);
	if (r == 0 && read(rd, &err, sizeof(err)) != sizeof(err))
		r = -EIO;
	if (r == 0 && err == 0) {
		/* our unreaped child: the pid names it until child_stop below */
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
		*out = open(path, O_RDONLY | O_CLOEXEC);
		if (*out < 0)
			r = -errno;
	}
	child_stop(&pidfd, SIGKILL, KILLED_WAIT_MS);
	nsbox_closep(&pidfd);
	if (r < 0)
		why_set(why, "making the application's hold: %s", r == -ETIMEDOUT
								? "the child did not answer"
								: strerror(-r));
	else if (err < 0)
		why_set(why, "making the application's hold (a private, noexec copy of its mounts): %s",
			strerror(-err));
	return r < 0 ? r : err;
}
