// SPDX-License-Identifier: BSD-3-Clause
/* The application's hold, made by nsbox-helper's supervisor (root) in a short child: a mount
 * namespace for the PAM application while its session is boxed, a copy (a slave) of the
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
 * write them as before. A slave, as the box's own mount namespace is: an unmount on the host
 * reaches it, so a session does not keep the host's filesystems (a USB disk, an NFS export, another
 * program's netns names) alive after the admin unmounted them. The price: a mount made on the host
 * after the login arrives here with its own flags, executable, so a non-fork child could run a
 * program that lives on it (never the shell or anything under /usr, mounted before the login). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "nsbox/cleanup.h"

int
hold_make(int *out, struct nsbox_err *err)
{
	struct mount_attr ma = { .attr_set = MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID,
				 .propagation = MS_SLAVE };
	_cleanup_close_ int pidfd = -1;
	int sv[2], child_err = 0, r, fd = -1;
	pid_t pid;

	*out = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		return err_set(err, -errno, "making the application's hold: socketpair: %s",
			       strerror(errno));
	}
	/* A plain fork, not child_fork: it ends by itself once it has sent the namespace (it is in
	 * our pid namespace, so /proc/self names it), and needs no parent-death signal, which
	 * would race the box init's own for the same call. */
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		/* "/" of the new namespace and every mount below it, hidden ones included; then,
		 * a slave (an unmount in a shared mount would propagate to the host), without the
		 * host's netns names: a copy of each would keep every live box's network namespace
		 * for as long as this hold lives, and at N live boxes every login would copy N. */
		if (unshare(CLONE_NEWNS) < 0 ||
		    syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &ma, sizeof(ma)) < 0 ||
		    (umount2(NSBOX_NETNS_DIR, MNT_DETACH) < 0 && errno != EINVAL &&
		     errno != ENOENT) ||
		    (fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC)) < 0)
			child_err = -errno;
		_exit(nsbox_send(sv[1], &child_err, sizeof(child_err), fd) == 0 ? 0 : 1);
	}
	close(sv[1]);
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		err_set(err, r, "making the application's hold: fork: %s", strerror(-r));
		return r;
	}
	/* our unreaped child: the pid names it until it is reaped below */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	r = fd_wait(sv[0], INSIDE_TIMEOUT_MS);
	if (r == 0)
		r = nsbox_recv(sv[0], &child_err, sizeof(child_err), &fd);
	close(sv[0]);
	if (pidfd >= 0)
		child_stop(&pidfd, SIGKILL, KILLED_WAIT_MS);
	else
		waitpid(pid, NULL, 0);
	if (r < 0)
		err_set(err, r, "making the application's hold: %s",
			r == -ETIMEDOUT ? "the child did not answer" : strerror(-r));
	else if (child_err < 0)
		err_set(err, child_err,
			"making the application's hold (a noexec copy of its mounts): %s",
			strerror(-child_err));
	if (r == 0 && child_err == 0 && fd >= 0) {
		*out = fd;
		return 0;
	}
	nsbox_closep(&fd);
	return r < 0 ? r : child_err < 0 ? child_err : -EIO;
}
