/* The box init: cloned by nsbox-helper (root) into the new namespaces, builds the box's mounts,
 * hostname and loopback, then drops every capability and only reaps orphans until its lifeline
 * to the supervisor breaks. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "nsbox/cleanup.h"

#define INIT_READY_TIMEOUT_MS 10000

/* What the init reports once: 0, or the errno of the step that failed. */
struct init_status {
	int err;
	char step[64];
};

static void
noop_handler(int sig)
{
	(void)sig;
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
remount_fresh(const char *target, const char *type, unsigned long flags, const char *data)
{
	/* Detach the host's instance first, so nothing of it is reachable underneath. */
	if (umount2(target, MNT_DETACH) < 0 && errno != EINVAL)
		return -errno;
	if (mount(type, target, type, flags, data) < 0)
		return -errno;
	return 0;
}

/* net.ipv4.ping_group_range is per network namespace and starts at "1 0" (nobody) in each new
 * one; a ping without a file capability (Debian 13's, or any under no_new_privs) needs it. A box
 * gets the host's value: the supervisor reads it before the clone (the file answers for the
 * opener's namespace), the init writes its copy inside the box's. Empty: leave the default. */
static char host_ping_group_range[64];

static void
ping_group_range_read(void)
{
	_cleanup_close_ int fd = open("/proc/sys/net/ipv4/ping_group_range", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, host_ping_group_range, sizeof(host_ping_group_range) - 1);

	host_ping_group_range[n > 0 ? n : 0] = 0;
}

static int
ping_group_range_write(void)
{
	size_t len = strlen(host_ping_group_range);
	_cleanup_close_ int fd = -1;

	if (len == 0)
		return 0;
	fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, host_ping_group_range, len);
	if (w < 0)
		return -errno;
	return w == (ssize_t)len ? 0 : -EIO;
}

static int
init_build(unsigned long ns, const char *hostname, struct init_status *st)
{
	const unsigned long safe = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	int r = 0;

#define STEP(name, expr)                                                   \
	do {                                                               \
		snprintf(st->step, sizeof(st->step), "%s", name);          \
		r = (expr);                                                \
		if (r < 0)                                                 \
			return r;                                          \
	} while (0)

	/* Before any other mount: nothing we do may propagate back to the host. */
	STEP("making / a slave mount",
	     mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ? -errno : 0);
	if (ns & CLONE_NEWPID)
		STEP("mounting /proc", remount_fresh("/proc", "proc", safe, NULL));
	if (ns & CLONE_NEWNET)
		STEP("mounting /sys", remount_fresh("/sys", "sysfs", safe | MS_RDONLY, NULL));
	if (is_dir("/dev/shm"))
		STEP("mounting /dev/shm",
		     mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0
			     ? -errno
			     : 0);
	if ((ns & CLONE_NEWIPC) && is_dir("/dev/mqueue"))
		STEP("mounting /dev/mqueue",
		     mount("mqueue", "/dev/mqueue", "mqueue", safe, NULL) < 0 ? -errno : 0);
	if ((ns & CLONE_NEWUTS) && hostname[0])
		STEP("setting the hostname",
		     sethostname(hostname, strlen(hostname)) < 0 ? -errno : 0);
	if (ns & CLONE_NEWNET)
		STEP("bringing up lo", nl_link_up("lo"));
	if (ns & CLONE_NEWNET)
		STEP("setting net.ipv4.ping_group_range", ping_group_range_write());

	/* The init needs no privilege to reap: keep none, so nothing in the box can borrow it. */
	cap_t none = cap_init();
	STEP("dropping capabilities", none && cap_set_proc(none) == 0 ? 0 : -errno);
	cap_free(none);
	st->step[0] = 0;
#undef STEP
	return 0;
}

__attribute__((noreturn)) static void
init_main(int ready, int lifeline, unsigned long ns, const char *hostname)
{
	struct init_status st = { 0 };
	struct sigaction sa = { .sa_handler = noop_handler, .sa_flags = SA_NOCLDSTOP };
	sigset_t all, chld;
	int sfd;

	/* Only the two pipes stay: not the application's pidfd, not the module's socket. */
	ready = fcntl(ready, F_DUPFD_CLOEXEC, 10);
	lifeline = fcntl(lifeline, F_DUPFD_CLOEXEC, 10);
	if (ready < 0 || lifeline < 0 || dup3(ready, 3, O_CLOEXEC) < 0 ||
	    dup3(lifeline, 4, O_CLOEXEC) < 0)
		_exit(1);
	ready = 3;
	lifeline = 4;
	syscall(SYS_close_range, 5, ~0U, 0);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "nsbox-init");

	/* PID 1 gets no signal whose handler is SIG_DFL, even a blocked one: give SIGCHLD a
	 * handler so signalfd sees it, and block everything. */
	sigaction(SIGCHLD, &sa, NULL);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);

	st.err = sfd < 0 ? -errno : init_build(ns, hostname, &st);
	if (sfd < 0)
		snprintf(st.step, sizeof(st.step), "signalfd");
	if (write(ready, &st, sizeof(st)) != sizeof(st) || st.err < 0)
		_exit(1);
	close(ready);

	for (;;) {
		struct pollfd p[2] = { { .fd = lifeline, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };
		struct signalfd_siginfo si;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		if (p[0].revents)
			_exit(0); /* supervisor gone or done: the kernel kills the box with us */
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

int
box_create(struct box *b, const struct nsbox_settings *s, const char *hostname,
	   struct nsbox_why *why)
{
	_cleanup_close_ int ready_r = -1, ready_w = -1, life_r = -1, life_w = -1;
	struct init_status st = { 0 };
	int pfd[2], pidfd = -1;
	struct clone_args ca = { 0 };
	struct pollfd p;
	ssize_t n;
	pid_t pid;

	b->init_pid = 0;
	b->init_pidfd = b->lifeline = -1;

	if (pipe2(pfd, O_CLOEXEC) == 0) {
		ready_r = pfd[0];
		ready_w = pfd[1];
		if (pipe2(pfd, O_CLOEXEC) == 0) {
			life_r = pfd[0];
			life_w = pfd[1];
		}
	}
	if (life_w < 0) {
		int r = -errno;
		why_set(why, "pipe: %s", strerror(-r));
		return r;
	}

	if (s->namespaces & CLONE_NEWNET)
		ping_group_range_read();
	ca.flags = CLONE_PIDFD | s->namespaces;
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0) {
		int r = -errno;
		why_set(why, "creating the box namespaces: %s", strerror(-r));
		return r;
	}
	if (pid == 0)
		init_main(ready_w, life_r, s->namespaces, hostname);

	b->init_pid = pid;
	b->init_pidfd = pidfd;
	b->lifeline = steal_fd(life_w);
	nsbox_closep(&ready_w);
	ready_w = -1;

	p = (struct pollfd){ .fd = ready_r, .events = POLLIN };
	n = poll(&p, 1, INIT_READY_TIMEOUT_MS);
	if (n == 0) {
		why_set(why, "box init timed out");
		box_destroy(b);
		return -ETIMEDOUT;
	}
	n = read(ready_r, &st, sizeof(st));
	if (n != sizeof(st)) {
		why_set(why, "box init died while building the box");
		box_destroy(b);
		return -EIO;
	}
	if (st.err < 0) {
		st.step[sizeof(st.step) - 1] = 0;
		why_set(why, "box init: %s: %s", st.step, strerror(-st.err));
		box_destroy(b);
		return st.err;
	}
	return 0;
}

void
box_destroy(struct box *b)
{
	if (b->init_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, b->init_pidfd, SIGKILL, NULL, 0);
	nsbox_closep(&b->lifeline);
	b->lifeline = -1;
	if (b->init_pid > 0)
		while (waitpid(b->init_pid, NULL, 0) < 0 && errno == EINTR)
			;
	b->init_pid = 0;
	nsbox_closep(&b->init_pidfd);
	b->init_pidfd = -1;
}
