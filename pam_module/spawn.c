// SPDX-License-Identifier: BSD-3-Clause
/* pam_nsbox.so's side of the helper, inside the PAM application (root; must never exit, never
 * leak an fd): the request made from the PAM items, the helper's binary checked, the helper
 * started with the request queued on its socket, and its reply read. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "module.h"
#include "nsbox/cleanup.h"
#include "trust.h"

static int
pidfd_open_self(void)
{
	return (int)syscall(SYS_pidfd_open, getpid(), 0);
}

/* The helper runs as root with our privileges: only a root-owned binary that nobody else can
 * write, below directories that nobody else can write either (or they could swap it), and never
 * a symlink. The O_PATH fd checked here is the one exec_helper runs (execveat), so the file
 * checked is the file run. -EPERM with WHY filled when it is not trusted. */
static int
open_helper(const char *path, char *why, size_t n)
{
	_cleanup_free_ char *dir = strndup(path, (size_t)(strrchr(path, '/') - path));
	const char *base = strrchr(path, '/') + 1;
	_cleanup_close_ int dfd = -1, fd = -1;
	struct trust_err te;
	struct stat st;

	if (!dir)
		return -ENOMEM;
	dfd = trust_open_dir(dir[0] ? dir : "/", 0, &te);
	if (dfd == -EPERM && te.what) {
		snprintf(why, n, "helper's directory '%s' is %s", te.path, te.what);
		return -EPERM;
	}
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode)) {
		snprintf(why, n, "helper is a symlink");
		return -EPERM;
	}
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    (st.st_mode & (S_ISUID | S_ISGID))) { /* never setuid: refuse one someone made so */
		snprintf(why, n, "helper is not root-owned, or is writable or setuid");
		return -EPERM;
	}
	return steal_fd(fd);
}

/* What the middle child reports, through a pipe (see spawn_start). */
struct spawn_out {
	int err;           /* -errno of the first step that failed in either child, or 0 */
	int root_err;      /* the probe of the mount namespace's root: -errno or 0 */
	struct statx root; /* "/" as a process that joins our own mount namespace sees it */
};

/* What the spawn's two children share with the application (CLONE_VM). */
struct spawn {
	int sock, exefd;   /* what the helper gets as fds 3 and 4 */
	int self;          /* the application's pidfd */
	int report;        /* the pipe's write end, for OUT */
	bool as_root;      /* the application's effective uid is 0 */
	char *final_stack; /* the top of the helper's stack, below the middle child's */
	struct spawn_out out;
};

#define SPAWN_STACK (32 * 1024) /* per child; each uses well under 4 KiB */

/* The helper, child of the middle child, until its exec: async-signal-safe and no libc state (it
 * runs on the application's memory and the calling thread's TLS): raw syscalls, and glibc's
 * sigaction and _exit, which are no more. Ends in execveat of the fd open_helper checked, or in
 * _exit with SP->err set. */
static int
spawn_final(void *arg)
{
	static char arg0[] = "nsbox-helper", arg1[] = "--session";
	char *const argv[] = { arg0, arg1, NULL };
	static char *const envp[] = { NULL };
	struct sigaction sa = { .sa_handler = SIG_DFL };
	struct spawn *sp = arg;
	const uint64_t none = 0;
	long sock, exefd, null;

	/* Lift both above the target numbers first, so neither dup clobbers the other. */
	sock = syscall(SYS_fcntl, sp->sock, F_DUPFD_CLOEXEC, 10);
	exefd = syscall(SYS_fcntl, sp->exefd, F_DUPFD_CLOEXEC, 10);
	if (sock < 0 || exefd < 0 || syscall(SYS_dup3, sock, NSBOX_HELPER_FD, 0) < 0 ||
	    syscall(SYS_dup3, exefd, 4, O_CLOEXEC) < 0)
		goto fail;
	null = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		goto fail;
	for (int fd = 0; fd <= 2; fd++) /* a closed stdin makes NULL one of them: keep it open */
		if (null == fd ? syscall(SYS_fcntl, fd, F_SETFD, 0) < 0
			       : syscall(SYS_dup3, null, fd, 0) < 0)
			goto fail;
	if (syscall(SYS_close_range, 5, ~0U, 0) < 0)
		goto fail;
	/* A child of sshd inherits ignored signals (exec keeps SIG_IGN); a caught one would run
	 * the application's handler here. Until the mask is lifted below none is delivered. */
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
	syscall(SYS_execveat, 4, "", argv, envp, AT_EMPTY_PATH);
fail:
	sp->out.err = -errno;
	_exit(127);
}

/* The middle child: starts the helper, so that the helper's parent is this short process and not
 * the application (login waits for every child; sshd reaps whatever it finds), then probes the
 * root of our mount namespace for join_box (setns(CLONE_NEWNS) would end a chroot: see
 * chrooted). Async-signal-safe only, like spawn_final. */
static int
spawn_middle(void *arg)
{
	struct spawn *sp = arg;

	/* Under su our real uid is the invoking user's, who may signal a process with it. Killed
	 * while the helper still ran on the shared memory, this child would release the
	 * application early, which would unmap the stack the helper was running on (and might
	 * map something else there). Root before the helper exists: then only root can. */
	sp->out.root_err = -EIO;
	if (sp->as_root && syscall(SYS_setresuid, 0, 0, 0) < 0)
		sp->out.err = -errno;
	/* CLONE_VFORK: the helper is past its exec (or gone) when clone returns, and this stack,
	 * which its start used, is free again */
	else if (clone(spawn_final, sp->final_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, sp) < 0)
		sp->out.err = -errno;
	/* the application's pidfd: its mount namespace, which is ours */
	else if (sp->out.err == 0)
		sp->out.root_err = syscall(SYS_setns, sp->self, CLONE_NEWNS) < 0 ||
					   syscall(SYS_statx, AT_FDCWD, "/", 0,
						   STATX_INO | STATX_MNT_ID, &sp->out.root) < 0
				   ? -errno
				   : 0;
	(void)!syscall(SYS_write, sp->report, &sp->out, sizeof(sp->out));
	return 0;
}

/* Double fork without copying the application's memory: both children share it (CLONE_VM) and
 * run on a stack of their own while the calling thread waits (CLONE_VFORK) until the helper has
 * exec'd and the middle child has exited. They run no atfork handler and no signal handler of
 * the application (all signals stay blocked until the helper has reset every action), share no
 * fd table, cwd or signal actions with it, and the middle child's exit signal is 0: the
 * application gets no SIGCHLD and its waitpid(-1) never sees it (only __WCLONE does). Other
 * threads of a threaded application run on meanwhile; the children touch only SP, their own
 * stack and the calling thread's errno. What they found comes back through a pipe, not the
 * shared memory: valgrind runs CLONE_VM|CLONE_VFORK as a plain fork. 0 or -errno (OUT->err: the
 * helper did not start). */
static int
spawn_start(struct spawn *sp, struct spawn_out *out)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE), len = page + 2 * SPAWN_STACK;
	const uint64_t all = ~(uint64_t)0;
	_cleanup_close_ int rd = -1, wr = -1;
	uint64_t old;
	char *stk;
	pid_t pid;
	int r = 0, pfd[2];
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	rd = pfd[0];
	wr = pfd[1];
	sp->report = wr;
	/* [guard page][the helper's stack][the middle child's stack] */
	stk = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stk == MAP_FAILED)
		return -errno;
	if (mprotect(stk, page, PROT_NONE) < 0) {
		r = -errno;
		goto out;
	}
	sp->final_stack = stk + page + SPAWN_STACK;
	/* the raw call, so that glibc's own signals (cancellation, setxid) are blocked too */
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof(all)) < 0) {
		r = -errno;
		goto out;
	}
	pid = clone(spawn_middle, stk + len, CLONE_VM | CLONE_VFORK, sp);
	if (pid < 0)
		r = -errno;
	else
		while (waitpid(pid, NULL, __WCLONE) < 0 && errno == EINTR)
			;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof(old));
	nsbox_closep(&wr);
	wr = -1;
	/* EOF (a middle child that died first) counts as a helper that did not start */
	if (r == 0 && (n = read(rd, out, sizeof(*out))) != (ssize_t)sizeof(*out))
		r = n < 0 ? -errno : -ECHILD;
out:
	munmap(stk, len);
	return r;
}

/* Starts the helper with the request already queued on its socket; returns our end of the socket
 * or -errno (WHY may point into WHYBUF, N bytes). S gets the root probe for join_box, SELFP our
 * pidfd (the one the supervisor watches; join_box asks it for our namespaces). */
int
spawn_helper(const struct opts *o, const struct nsbox_request *req, struct session *s,
	     int *selfp, const char **why, char *whybuf, size_t n)
{
	_cleanup_close_ int exefd = -1, self = -1, mine = -1, theirs = -1;
	struct spawn sp = { .out.err = 0 };
	struct spawn_out out;
	int sv[2], r;

	exefd = open_helper(o->helper, whybuf, n);
	if (exefd < 0) {
		*why = exefd == -EPERM ? whybuf : "cannot open helper";
		return exefd;
	}
	self = pidfd_open_self();
	if (self < 0) {
		*why = "pidfd_open";
		return -errno;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		*why = "socketpair";
		return -errno;
	}
	mine = sv[0];
	theirs = sv[1];
	/* Queued before the helper exists: its first read finds the request waiting. */
	r = nsbox_send(mine, req, sizeof(*req), self);
	if (r < 0) {
		*why = "cannot send the request";
		return r;
	}
	sp.sock = theirs;
	sp.exefd = exefd;
	sp.self = self;
	sp.as_root = geteuid() == 0;
	r = spawn_start(&sp, &out);
	if (r < 0) {
		*why = "cannot start helper";
		return r;
	}
	if (out.err < 0) {
		*why = "cannot run helper";
		return out.err;
	}
	s->root = out.root;
	s->root_err = out.root_err;
	*selfp = steal_fd(self);
	return steal_fd(mine);
}

int
wait_reply(int sock, int timeout_ms, struct nsbox_reply *rep, int fds[2], const char **why)
{
	int r = nsbox_wait_readable(sock, timeout_ms);

	if (r < 0) {
		*why = r == -ETIMEDOUT ? "helper timed out" : "poll";
		return r;
	}
	r = nsbox_recv_fds(sock, rep, sizeof(*rep), fds, 2, 0);
	if (r < 0) {
		*why = r == -ECONNRESET ? "helper exited without a reply" : "bad reply from helper";
		return r;
	}
	if (!nsbox_reply_ok(rep)) {
		*why = "bad reply from helper";
		return -EBADMSG;
	}
	return 0;
}

static void
copy_item(pam_handle_t *pamh, int item, char *dst, size_t n)
{
	const void *v = NULL;

	if (pam_get_item(pamh, item, &v) == PAM_SUCCESS && v)
		snprintf(dst, n, "%s", (const char *)v);
}

/* pam_systemd moves the process it registers into its session's scope: on a host where systemd
 * runs, a process in none is a session logind does not know (pam_systemd is not in the stack,
 * comes after us, or failed). One small read; the helper works out which, off the login path. */
static bool
outside_logind(void)
{
	_cleanup_close_ int fd = -1;
	char buf[2048];
	ssize_t n;

	if (access("/run/systemd/system/", F_OK) < 0)
		return false;
	fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return false;
	buf[n] = 0;
	for (char *l = buf, *nl; l; l = nl ? nl + 1 : NULL) {
		nl = strchr(l, '\n');
		if (nl)
			*nl = 0;
		char *s = strstr(l, "/session-");
		if (s && strstr(s, ".scope"))
			return false;
	}
	return true;
}

void
make_request(pam_handle_t *pamh, const struct opts *o, const char *user, struct nsbox_request *req)
{
	memset(req, 0, sizeof(*req));
	req->version = NSBOX_PROTO_VERSION;
	req->op = NSBOX_OP_OPEN;
	req->flags = (o->debug ? NSBOX_REQ_DEBUG : 0) |
		     (o->on_error == 0 ? NSBOX_REQ_ON_ERROR_DENY : 0) |
		     (o->on_error == 1 ? NSBOX_REQ_ON_ERROR_ALLOW : 0) |
		     (outside_logind() ? NSBOX_REQ_NO_LOGIND : 0);
	snprintf(req->user, sizeof(req->user), "%s", user);
	copy_item(pamh, PAM_SERVICE, req->service, sizeof(req->service));
	copy_item(pamh, PAM_RUSER, req->ruser, sizeof(req->ruser));
	copy_item(pamh, PAM_RHOST, req->rhost, sizeof(req->rhost));
	copy_item(pamh, PAM_TTY, req->tty, sizeof(req->tty));
	snprintf(req->conf, sizeof(req->conf), "%s", o->conf);
}
