// SPDX-License-Identifier: BSD-3-Clause
/* Session policy of pam_nsbox.so, inside the PAM application (root): in every process the
 * application forks while a session is boxed, joins the box's mount namespace, enters the
 * working directory there, closes the module's own fds and applies no_new_privs, the capability
 * bounding set and the seccomp denylist.
 *
 * Why in the children and not in the application: the user's session descends from the
 * application (sshd's post-auth child, su's shell), not from the box init; and the application
 * itself must keep working through close_session (setns back, other modules' close hooks, root
 * helpers they exec). A pthread_atfork child handler runs in the new child before fork()
 * returns there, i.e. before the application's code can drop to the user; sshd, su, login,
 * sudo and cron all start the session with fork(2). A child made any other way runs no handler:
 * it stays in the application's hold, where nothing can be executed (helper/hold.c). glibc
 * unregisters the handler when the module is unloaded (pam_end → dlclose). */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy.h"
#include "seccomp_prog.h" /* generated at build time by seccomp-gen */

static struct nsbox_guard *guards;
static bool handler_registered;

void
nsbox_cwd_save(struct nsbox_cwd *c)
{
	struct stat st;

	c->ino = 0;
	if (!getcwd(c->path, sizeof(c->path)) || c->path[0] != '/' || stat(".", &st) < 0) {
		strcpy(c->path, "/");
		return;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
}

/* Raw calls only: this runs in the guard's children, where the application may be threaded.
 * getcwd's path has no symlink, so one found now was planted. */
int
nsbox_cwd_enter(const struct nsbox_cwd *c)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	struct stat st;
	long fd;

	if (c->ino) {
		fd = syscall(SYS_openat2, AT_FDCWD, c->path, &how, sizeof(how));
		if (fd >= 0) {
			int ok = syscall(SYS_fstat, fd, &st) == 0 && st.st_dev == c->dev &&
				 st.st_ino == c->ino && syscall(SYS_fchdir, fd) == 0;
			syscall(SYS_close, fd);
			if (ok)
				return 0;
		} else if (errno == ENOSYS && syscall(SYS_chdir, c->path) == 0 &&
			   syscall(SYS_newfstatat, AT_FDCWD, ".", &st, 0) == 0 && st.st_dev == c->dev &&
			   st.st_ino == c->ino) {
			/* no openat2 (before 5.6): follow the path, then judge where it led */
			return 0;
		}
	}
	return syscall(SYS_chdir, "/") < 0 ? -errno : 0;
}

int
nsbox_policy_apply(const struct nsbox_policy *p)
{
	if (p->flags & NSBOX_POL_CAPS) {
		struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct d[2];

		/* Inheritable and ambient first: with either left, a root exec regains what the
		 * bounding set no longer has. */
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
		if (syscall(SYS_capget, &h, d) < 0)
			return -errno;
		d[0].inheritable = d[1].inheritable = 0;
		if (syscall(SYS_capset, &h, d) < 0)
			return -errno;
		for (unsigned cap = 0; cap < 64; cap++)
			if (!(p->caps_keep & (1ull << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
			    errno != EINVAL) /* EINVAL: past the kernel's last capability */
				return -errno;
	}
	if ((p->flags & NSBOX_POL_NNP) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (p->flags & NSBOX_POL_SECCOMP) {
		struct sock_fprog prog = {
			.len = sizeof(nsbox_seccomp_prog) / sizeof(nsbox_seccomp_prog[0]),
			.filter = (struct sock_filter *)(uintptr_t)nsbox_seccomp_prog,
		};
		/* still root here (the application drops to the user after fork), so no
		 * no_new_privs is needed to install it */
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
			return -errno;
	}
	return 0;
}

bool
nsbox_policy_supported(const struct nsbox_policy *p)
{
	unsigned action = SECCOMP_RET_ERRNO;

	if (!(p->flags & NSBOX_POL_SECCOMP))
		return true;
	/* a kernel without CONFIG_SECCOMP_FILTER answers EINVAL or ENOSYS */
	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* Has the box's supervisor move this new child into the box's cgroups (or unit), over the
 * session socket SOCK, and waits for its word: a socket pair of our own to answer on, whose
 * SO_PEERCRED tells the supervisor who we are. 0 or -errno. */
static int
guard_attach(int sock)
{
	struct nsbox_request req = { .version = NSBOX_PROTO_VERSION, .op = NSBOX_OP_ATTACH };
	int sv[2], st = -EIO, r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	r = nsbox_send(sock, &req, sizeof(req), sv[1]);
	close(sv[1]);
	if (r == 0) {
		/* the application's signals (SIGCHLD, an alarm) reach this child too */
		r = nsbox_wait_readable(sv[0], NSBOX_ATTACH_TIMEOUT_MS);
		if (r == 0 && read(sv[0], &st, sizeof(st)) != (ssize_t)sizeof(st))
			r = -EIO;
		if (r == 0)
			r = st;
	}
	close(sv[0]);
	return r;
}

/* In the child of every fork(2): async-signal-safe only (the application may be threaded). */
static void
guard_child(void)
{
	struct nsbox_guard *g;
	struct nsbox_policy pol = { .caps_keep = ~0ull };

	if (!guards)
		return;
	/* Into the box's cgroups first, so that nothing below runs outside its limits; then a
	 * cgroup namespace rooted there, so the session sees no host path in /proc/self/cgroup.
	 * Then out of the application's hold, into the box's files: one mount namespace, the
	 * newest session's (two sessions in one process are nested su's, the inner one's box).
	 * setns resets the working directory to the box's "/". */
	if (guards->attach >= 0 && guard_attach(guards->attach) < 0)
		_exit(126);
	if (guards->boxfd >= 0 && unshare(CLONE_NEWCGROUP) < 0)
		_exit(126);
	if (guards->boxfd >= 0 &&
	    (syscall(SYS_setns, guards->boxfd, CLONE_NEWNS) < 0 ||
	     (guards->cwd && nsbox_cwd_enter(guards->cwd) < 0)))
		_exit(126);
	for (g = guards; g; g = g->next) {
		for (size_t i = 0; i < g->n_fds; i++)
			if (g->fds[i] >= 0) {
				close(g->fds[i]);
				g->fds[i] = -1;
			}
		/* two sessions in one process: the stricter of each */
		pol.flags |= g->pol.flags;
		if (g->pol.flags & NSBOX_POL_CAPS)
			pol.caps_keep &= g->pol.caps_keep;
	}
	/* The policy is inherited from here on: this child's own forks need nothing more. */
	guards = NULL;
	if (nsbox_policy_apply(&pol) < 0)
		_exit(126); /* half-restricted: never run the session like this */
}

int
nsbox_guard_arm(struct nsbox_guard *g)
{
	if (!handler_registered) {
		int r = pthread_atfork(NULL, NULL, guard_child);
		if (r != 0)
			return -r;
		handler_registered = true;
	}
	g->next = guards;
	guards = g;
	return 0;
}

void
nsbox_guard_disarm(struct nsbox_guard *g)
{
	for (struct nsbox_guard **p = &guards; *p; p = &(*p)->next)
		if (*p == g) {
			*p = g->next;
			break;
		}
	g->next = NULL;
}
