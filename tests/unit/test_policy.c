// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests of the session policy (pam_module/policy.c): each denied syscall is refused in a
 * forked child with the filter and reaches the kernel without it, the capability sets and
 * no_new_privs are as asked, and the fork guard restricts children, not the application.
 * Runs as root (the bounding set needs CAP_SETPCAP); nothing here changes the host. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../pam_module/policy.h"
#include "nsbox/cleanup.h"
#include "tap.h"

/* Each probe makes one call with arguments that fail harmlessly if the call reaches the
 * kernel (a different errno than the filter's), or succeed harmlessly in a throwaway child. */

static long s_unshare(void) { return syscall(SYS_unshare, CLONE_NEWUTS); }
static long s_setns(void) { return syscall(SYS_setns, -1, 0); }
static long s_mount(void) { return syscall(SYS_mount, "none", "/nonexistent-nsbox", "tmpfs", 0, NULL); }
static long s_umount2(void) { return syscall(SYS_umount2, "/nonexistent-nsbox", 0); }
static long s_pivot_root(void) { return syscall(SYS_pivot_root, "/nonexistent-nsbox", "/nonexistent-nsbox"); }
static long s_fsopen(void) { return syscall(SYS_fsopen, "nsbox-no-such-fs", 0); }
static long s_fsconfig(void) { return syscall(SYS_fsconfig, -1, 0, NULL, NULL, 0); }
static long s_fsmount(void) { return syscall(SYS_fsmount, -1, 0, 0); }
static long s_fspick(void) { return syscall(SYS_fspick, -1, "/nonexistent-nsbox", 0); }
static long s_move_mount(void) { return syscall(SYS_move_mount, -1, "", -1, "", 0); }
static long s_open_tree(void) { return syscall(SYS_open_tree, -1, "/nonexistent-nsbox", 0); }
static long s_mount_setattr(void) { return syscall(SYS_mount_setattr, -1, "/nonexistent-nsbox", 0, NULL, 0); }
static long s_keyctl(void) { return syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0); }
static long s_add_key(void) { return syscall(SYS_add_key, "nsbox-no-such-type", "d", "x", 1, -2); }
static long s_request_key(void) { return syscall(SYS_request_key, "nsbox-no-such-type", "d", NULL, 0); }
static long s_bpf(void) { return syscall(SYS_bpf, 5 /* PROG_LOAD */, NULL, 0); }
static long s_perf(void) { return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0); }
static long s_uffd(void) { return syscall(SYS_userfaultfd, ~0); }
static long s_kexec(void) { return syscall(SYS_kexec_load, 0, 0, NULL, ~0ul); }
static long s_kexec_file(void) { return syscall(SYS_kexec_file_load, -1, -1, 0, NULL, ~0ul); }
static long s_init_module(void) { return syscall(SYS_init_module, NULL, 0, ""); }
static long s_finit_module(void) { return syscall(SYS_finit_module, -1, "", 0); }
static long s_delete_module(void) { return syscall(SYS_delete_module, "nsbox_no_such_module", O_NONBLOCK); }
static long s_reboot(void) { return syscall(SYS_reboot, 0, 0, 0, NULL); /* bad magic: EINVAL */ }
static long s_swapon(void) { return syscall(SYS_swapon, "/nonexistent-nsbox", 0); }
static long s_swapoff(void) { return syscall(SYS_swapoff, "/nonexistent-nsbox"); }
static long s_obha(void) { return syscall(SYS_open_by_handle_at, -1, NULL, 0); }
static long s_uring_setup(void) { return syscall(SYS_io_uring_setup, 1, NULL); /* EFAULT */ }
static long s_uring_enter(void) { return syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0); }
static long s_uring_register(void) { return syscall(SYS_io_uring_register, -1, 0, NULL, 0); }
static long s_clone3(void) { return syscall(SYS_clone3, NULL, 0); }
static long s_tiocsti(void) { char c = 'x'; return ioctl(0, TIOCSTI, &c); }
static long s_tiocsti_hi(void) { char c = 'x'; return syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | 1ul << 32, &c); }
static long s_tioclinux(void) { char c = 0; return ioctl(0, TIOCLINUX, &c); }
static long s_pers_rie(void) { return syscall(SYS_personality, READ_IMPLIES_EXEC) < 0 ? -1 : 0; }
static long s_pers_hi(void) { return syscall(SYS_personality, 0x80400000ul) < 0 ? -1 : 0; }
static long s_pers_norand(void) { return syscall(SYS_personality, ADDR_NO_RANDOMIZE) < 0 ? -1 : 0; }

static long
s_clone_ns(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

static const struct {
	const char *name;
	long (*call)(void);
	int denied; /* errno with the filter */
} probes[] = {
	{ "unshare", s_unshare, EPERM }, { "setns", s_setns, EPERM },
	{ "mount", s_mount, EPERM }, { "umount2", s_umount2, EPERM },
	{ "pivot_root", s_pivot_root, EPERM }, { "fsopen", s_fsopen, EPERM },
	{ "fsconfig", s_fsconfig, EPERM }, { "fsmount", s_fsmount, EPERM },
	{ "fspick", s_fspick, EPERM }, { "move_mount", s_move_mount, EPERM },
	{ "open_tree", s_open_tree, EPERM }, { "mount_setattr", s_mount_setattr, EPERM },
	{ "keyctl", s_keyctl, EPERM }, { "add_key", s_add_key, EPERM },
	{ "request_key", s_request_key, EPERM }, { "bpf", s_bpf, EPERM },
	{ "perf_event_open", s_perf, EPERM }, { "userfaultfd", s_uffd, EPERM },
	{ "kexec_load", s_kexec, EPERM }, { "kexec_file_load", s_kexec_file, EPERM },
	{ "init_module", s_init_module, EPERM }, { "finit_module", s_finit_module, EPERM },
	{ "delete_module", s_delete_module, EPERM }, { "reboot", s_reboot, EPERM },
	{ "swapon", s_swapon, EPERM }, { "swapoff", s_swapoff, EPERM },
	{ "open_by_handle_at", s_obha, EPERM }, { "clone3", s_clone3, ENOSYS },
	{ "io_uring_setup", s_uring_setup, EPERM }, { "io_uring_enter", s_uring_enter, EPERM },
	{ "io_uring_register", s_uring_register, EPERM },
	{ "clone(CLONE_NEWUTS)", s_clone_ns, EPERM },
	{ "ioctl(TIOCSTI)", s_tiocsti, EPERM }, { "ioctl(TIOCSTI | 1 << 32)", s_tiocsti_hi, EPERM },
	{ "ioctl(TIOCLINUX)", s_tioclinux, EPERM },
	{ "personality(READ_IMPLIES_EXEC)", s_pers_rie, EPERM },
	{ "personality(0x80400000)", s_pers_hi, EPERM },
	{ "personality(ADDR_NO_RANDOMIZE)", s_pers_norand, EPERM },
};

static const struct nsbox_policy restricted = {
	.flags = NSBOX_POL_NNP | NSBOX_POL_CAPS | NSBOX_POL_SECCOMP, .caps_keep = 0,
};

/* Runs FN in a child (under POL when given) and returns what FN returned, or -1. */
static int
in_child(const struct nsbox_policy *pol, int (*fn)(const void *), const void *arg)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		/* stdin on /dev/null: the tty ioctls then fail harmlessly with ENOTTY */
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0)
			_exit(250);
		if (pol && nsbox_policy_apply(pol) < 0)
			_exit(251);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int
run_probe(const void *arg)
{
	size_t i = (size_t)(uintptr_t)arg;
	return probes[i].call() < 0 ? (errno & 0xff) : 0;
}

/* The value of FIELD in /proc/self/status, as text. */
static int
status_field(const char *field, char *out, size_t n)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t fl = strlen(field);
	int r = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, fl) && line[fl] == ':') {
			char *v = line + fl + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			snprintf(out, n, "%s", v);
			r = 0;
		}
	fclose(f);
	return r;
}

/* Exit code: 0 when /proc/self/status shows the restricted state asked by ARG ("bnd=HEX"). */
static int
check_state(const void *arg)
{
	const char *want_bnd = arg;
	char bnd[32], inh[32], amb[32], nnp[8], sec[8];

	if (status_field("CapBnd", bnd, sizeof(bnd)) || status_field("CapInh", inh, sizeof(inh)) ||
	    status_field("CapAmb", amb, sizeof(amb)) || status_field("NoNewPrivs", nnp, sizeof(nnp)) ||
	    status_field("Seccomp", sec, sizeof(sec)))
		return 10;
	if (strcmp(bnd, want_bnd))
		return 11;
	if (strcmp(inh, "0000000000000000") || strcmp(amb, "0000000000000000"))
		return 12;
	if (strcmp(nnp, "1") || strcmp(sec, "2"))
		return 13;
	return 0;
}

static int
allowed_calls(const void *arg)
{
	pthread_t t;
	(void)arg;
	if (syscall(SYS_personality, 0xffffffffu) < 0 || syscall(SYS_personality, PER_LINUX) < 0)
		return 20;
	pid_t pid = fork(); /* libc's fork must still work: clone without namespace flags */
	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, NULL, 0) < 0)
		return 21;
	/* pthread_create tries clone3 first and falls back on ENOSYS */
	if (pthread_create(&t, NULL, (void *(*)(void *))(uintptr_t)getpid, NULL) || pthread_join(t, NULL))
		return 22;
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0 || errno != ENOTTY) /* other tty ioctls reach the kernel */
		return 23;
	return 0;
}

static int fds_in_child[2];

static int
guard_child_view(const void *arg)
{
	char nnp[8], filters[8];
	(void)arg;
	struct stat st;
	/* the module's fds must be gone (their numbers may be reused: look at what they are) */
	for (int i = 0; i < 2; i++)
		if (fstat(fds_in_child[i], &st) == 0 && S_ISFIFO(st.st_mode))
			return 30;
	if (status_field("NoNewPrivs", nnp, sizeof(nnp)) || strcmp(nnp, "1"))
		return 31;
	/* a grandchild inherits the one filter and does not stack a second */
	pid_t pid = fork();
	if (pid == 0) {
		_exit(status_field("Seccomp_filters", filters, sizeof(filters)) == 0 &&
			      !strcmp(filters, "1") ? 0 : 1);
	}
	int ws;
	if (pid < 0 || waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws))
		return 32;
	return 0;
}

/* The guard's mount namespace step: the child is in the namespace the guard names, in the
 * directory saved before (found there by its path and identity). */
static char want_mnt[64], want_cwd[4096];

static int
guard_child_mnt(const void *arg)
{
	char got[64], cwd[4096];
	ssize_t n = readlink("/proc/self/ns/mnt", got, sizeof(got) - 1);

	(void)arg;
	if (n < 0)
		return 40;
	got[n] = 0;
	if (strcmp(got, want_mnt))
		return 41;
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, want_cwd))
		return 42;
	return 0;
}

/* A process in a mount namespace of its own (a copy of ours), blocked until killed: *PIDFD. */
static pid_t
other_mntns(int *pidfd)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNS) < 0)
			_exit(1);
		(void)!write(p[1], "x", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	*pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return *pidfd < 0 ? -1 : pid;
}

int
main(void)
{
	int r;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (the bounding set needs CAP_SETPCAP)\n");
		return 0;
	}
	ok(nsbox_policy_supported(&restricted), "this kernel supports seccomp filters");

	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		int without = in_child(NULL, run_probe, (void *)(uintptr_t)i);
		int with = in_child(&restricted, run_probe, (void *)(uintptr_t)i);
		ok(without >= 0 && without != probes[i].denied,
		   "%s reaches the kernel without the filter (errno %d: %s)", probes[i].name, without,
		   without > 0 ? strerror(without) : "success");
		ok(with == probes[i].denied, "%s is refused with %s under the filter (got %d)",
		   probes[i].name, strerror(probes[i].denied), with);
	}
	is_int(in_child(&restricted, allowed_calls, NULL), 0,
	       "under the filter: personality query and PER_LINUX, fork, threads, other ioctls work");
	is_int(in_child(&restricted, check_state, "0000000000000000"), 0,
	       "caps drop ALL: empty bounding, inheritable and ambient sets; no_new_privs; seccomp");
	struct nsbox_policy keep = restricted;
	keep.caps_keep = 1ull << 10; /* CAP_NET_BIND_SERVICE */
	is_int(in_child(&keep, check_state, "0000000000000400"), 0,
	       "caps keep NET_BIND_SERVICE: the bounding set holds just that");

	/* The fork guard: children of the application get the policy and lose its fds; the
	 * application keeps both. */
	int p[2];
	r = pipe2(p, O_CLOEXEC);
	ok(r == 0, "pipe");
	fds_in_child[0] = p[0];
	fds_in_child[1] = p[1];
	int held[2] = { p[0], p[1] };
	struct nsbox_guard g = { .owner = getpid(), .fds = held, .n_fds = 2, .boxfd = -1,
				 .attach = -1, .pol = restricted };
	ok(nsbox_guard_arm(&g) == 0, "guard armed");
	is_int(in_child(NULL, guard_child_view, NULL), 0,
	       "a child of a guarded process lost the module's fds, has no_new_privs and one filter");
	char nnp[8];
	ok(status_field("NoNewPrivs", nnp, sizeof(nnp)) == 0 && !strcmp(nnp, "0"),
	   "the guarded process itself is not restricted");
	ok(fcntl(p[0], F_GETFD) >= 0 && held[0] == p[0], "and keeps its fds");
	nsbox_guard_disarm(&g);
	is_int(in_child(NULL, check_state, "0000000000000000"), 11,
	       "after disarm, children are not restricted");

	/* With a box: the child joins its mount namespace and finds the directory again there. */
	int pidfd = -1;
	pid_t other = other_mntns(&pidfd);
	ok(other > 0, "a process in a mount namespace of its own");
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)other);
	ssize_t n = readlink(path, want_mnt, sizeof(want_mnt) - 1);
	want_mnt[n > 0 ? n : 0] = 0;
	struct nsbox_cwd cwd;
	ok(chdir("/usr/bin") == 0 && getcwd(want_cwd, sizeof(want_cwd)), "in /usr/bin");
	nsbox_cwd_save(&cwd);
	struct nsbox_guard gm = { .owner = getpid(), .fds = held, .n_fds = 0, .boxfd = pidfd,
				  .attach = -1, .cwd = &cwd, .pol = restricted };
	ok(nsbox_guard_arm(&gm) == 0, "guard with a mount namespace armed");
	is_int(in_child(NULL, guard_child_mnt, NULL), 0,
	       "a child of a guarded process is in the box's mount namespace, in the same directory");
	char mine[64];
	n = readlink("/proc/self/ns/mnt", mine, sizeof(mine) - 1);
	mine[n > 0 ? n : 0] = 0;
	ok(strcmp(mine, want_mnt) != 0, "the guarded process itself stays in its own");
	nsbox_guard_disarm(&gm);
	struct nsbox_guard gbad = gm;
	gbad.boxfd = held[0]; /* not a namespace: the child cannot join and must not go on */
	ok(nsbox_guard_arm(&gbad) == 0, "guard with a bad namespace fd armed");
	is_int(in_child(NULL, guard_child_mnt, NULL), 126,
	       "a child that cannot join the box's mount namespace exits 126");
	nsbox_guard_disarm(&gbad);
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	return tap_done();
}
