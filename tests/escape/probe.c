// SPDX-License-Identifier: BSD-3-Clause
/* nsbox-probe: the escape-probe suite's one test binary (tests/escape/t60-escape.t). Runs as a
 * boxed user (or, installed setuid root in a test-only tmpfs, as euid 0 for a test user only);
 * each subcommand tries exactly one escape with raw syscalls, so no libc fallback hides a
 * refusal, and prints one line "PROBE NAME: ok|blocked (detail)".
 * Exit: 0 the escape worked, 1 it was blocked, 2 harness error (bad usage, missing input). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/nsfs.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/tiocl.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static const char *probe_name = "?";

/* ok/blocked/harness: print the one result line and exit with the documented status */
__attribute__((format(printf, 1, 2), noreturn)) static void
ok(const char *fmt, ...)
{
	va_list ap;
	printf("PROBE %s: ok (", probe_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	exit(0);
}

__attribute__((format(printf, 1, 2), noreturn)) static void
blocked(const char *fmt, ...)
{
	va_list ap;
	printf("PROBE %s: blocked (", probe_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	exit(1);
}

__attribute__((format(printf, 1, 2), noreturn)) static void
harness(const char *fmt, ...)
{
	va_list ap;
	printf("PROBE %s: error (", probe_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	exit(2);
}

/* "blocked (STEP: ENOSYS ...)": the errno name matters (seccomp may answer EPERM or ENOSYS) */
static const char *
ename(int e)
{
	static char buf[96];
	const char *n = strerrorname_np(e);
	snprintf(buf, sizeof(buf), "%s: %s", n ? n : "E?", strerror(e));
	return buf;
}

static int
need_args(int argc, int n, const char *usage)
{
	if (argc < n)
		harness("usage: %s", usage);
	return 0;
}

/* comma list of namespace names -> CLONE_NEW* flags */
static unsigned long
ns_flags(const char *list)
{
	static const struct {
		const char *n;
		unsigned long f;
	} t[] = { { "user", CLONE_NEWUSER }, { "net", CLONE_NEWNET }, { "mnt", CLONE_NEWNS },
		  { "uts", CLONE_NEWUTS },   { "ipc", CLONE_NEWIPC }, { "pid", CLONE_NEWPID },
		  { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME } };
	unsigned long f = 0;
	char *dup = strdup(list), *save = NULL, *tok;
	size_t i;

	if (!dup)
		harness("out of memory");
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (strcmp(tok, t[i].n) == 0)
				break;
		if (i == sizeof(t) / sizeof(t[0]))
			harness("unknown namespace '%s'", tok);
		f |= t[i].f;
	}
	free(dup);
	return f;
}

static int
write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return 0;
}

/* -U: become root of a fresh user namespace (with new mount, uts and net namespaces), the
 * unprivileged road to mount/chroot/sethostname */
static void
enter_userns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWNET) < 0)
		blocked("-U unshare(CLONE_NEWUSER|NEWNS|NEWUTS|NEWNET): %s", ename(errno));
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		blocked("-U uid_map: %s", ename(errno));
	if (write_file("/proc/self/setgroups", "deny") < 0)
		blocked("-U setgroups: %s", ename(errno));
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		blocked("-U gid_map: %s", ename(errno));
}

/* ---- namespaces ---- */

static int
p_unshare(int argc, char **argv)
{
	need_args(argc, 2, "unshare user,net,mnt,...");
	if (syscall(SYS_unshare, ns_flags(argv[1])) < 0)
		blocked("unshare(%s): %s", argv[1], ename(errno));
	ok("unshare(%s) succeeded", argv[1]);
}

/* a child in the new namespaces exits at once; the parent reaps it */
static void
reap(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		harness("waitpid after %s: %s", what, ename(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		harness("%s child status %d", what, st);
}

static int
p_clone3(int argc, char **argv)
{
	struct clone_args ca;
	long pid;

	need_args(argc, 2, "clone3 user,net,...");
	memset(&ca, 0, sizeof(ca));
	ca.flags = ns_flags(argv[1]);
	ca.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0 && errno == ENOSYS)
		blocked("clone3(%s): ENOSYS (clone3 refused as unimplemented: libc falls back to clone)", argv[1]);
	if (pid < 0)
		blocked("clone3(%s): %s", argv[1], ename(errno));
	if (pid == 0)
		_exit(0);
	reap((pid_t)pid, "clone3");
	ok("clone3(%s) made a child in new namespaces", argv[1]);
}

static int
p_clone(int argc, char **argv)
{
	long pid;

	need_args(argc, 2, "clone user,net,...");
	/* x86_64 order: flags, stack, parent_tid, child_tid, tls; a NULL stack forks like fork() */
	pid = syscall(SYS_clone, ns_flags(argv[1]) | SIGCHLD, NULL, NULL, NULL, 0UL);
	if (pid < 0)
		blocked("clone(%s): %s", argv[1], ename(errno));
	if (pid == 0)
		_exit(0);
	reap((pid_t)pid, "clone");
	ok("clone(%s) made a child in new namespaces", argv[1]);
}

static const char *const ns_names[] = { "cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts" };

/* inode of this process's own namespace of the type NAME (0 when unknown) */
static ino_t
own_ns(const char *name)
{
	char p[64];
	struct stat st;

	snprintf(p, sizeof(p), "/proc/self/ns/%s", name);
	return stat(p, &st) == 0 ? st.st_ino : 0;
}

/* "net:[4026531840]" -> type "net", inode; 0 when LINK is not an nsfs link */
static int
parse_nslink(const char *link, char *type, size_t tlen, unsigned long long *ino)
{
	const char *c = strchr(link, ':');
	char *end;

	if (!c || (size_t)(c - link) >= tlen || c[1] != '[')
		return 0;
	memcpy(type, link, (size_t)(c - link));
	type[c - link] = 0;
	*ino = strtoull(c + 2, &end, 10);
	return strcmp(end, "]") == 0;
}

static int
is_ns_type(const char *t)
{
	size_t i;

	for (i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
		if (strcmp(t, ns_names[i]) == 0)
			return 1;
	return 0;
}

/* tries setns on PATH in a child (so attempts do not change each other's credentials or
 * root); returns 0 on success, else an errno */
static int
try_setns(const char *path)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return errno;
	if (pid == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			_exit(errno & 0xff);
		if (setns(fd, 0) < 0)
			_exit(errno & 0xff);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return EIO;
	return WEXITSTATUS(st);
}

/* setns PATH...: every PATH that names a namespace other than ours is tried */
static int
setns_paths(int n, char **paths, const char *what)
{
	char done[512] = "", last[160] = "";
	int tried = 0, worked = 0, i;

	for (i = 0; i < n; i++) {
		char link[128], type[16];
		unsigned long long ino;
		ssize_t l = readlink(paths[i], link, sizeof(link) - 1);
		int e;

		if (l < 0) {
			/* bind-mounted nsfs files are not links: stat them */
			struct stat st;
			int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
			int t;

			if (fd < 0 || fstat(fd, &st) < 0 || (t = ioctl(fd, NS_GET_NSTYPE)) < 0) {
				if (fd >= 0)
					close(fd);
				continue;
			}
			close(fd);
			snprintf(link, sizeof(link), "%s:[%llu]",
				 t == CLONE_NEWNET ? "net" : t == CLONE_NEWNS ? "mnt" : t == CLONE_NEWPID ? "pid" :
				 t == CLONE_NEWUSER ? "user" : t == CLONE_NEWUTS ? "uts" : t == CLONE_NEWIPC ? "ipc" :
				 t == CLONE_NEWCGROUP ? "cgroup" : "time", (unsigned long long)st.st_ino);
		} else {
			link[l] = 0;
		}
		if (!parse_nslink(link, type, sizeof(type), &ino) || !is_ns_type(type))
			continue;
		if (own_ns(type) == (ino_t)ino)
			continue;
		tried++;
		e = try_setns(paths[i]);
		if (e == 0) {
			worked++;
			size_t dl = strlen(done);

			if (snprintf(done + dl, sizeof(done) - dl, "%s%s via %s", dl ? ", " : "", link,
				     paths[i]) >= (int)(sizeof(done) - dl))
				done[dl] = 0; /* the list is long enough: keep whole entries only */
		} else {
			snprintf(last, sizeof(last), "%s %s", link, ename(e));
		}
	}
	if (worked)
		ok("%s: setns into %d of %d foreign namespaces: %s", what, worked, tried, done);
	if (!tried)
		blocked("%s: no foreign namespace visible", what);
	blocked("%s: all %d foreign namespaces refused, last %s", what, tried, last);
}

static int
p_setns(int argc, char **argv)
{
	need_args(argc, 2, "setns PATH...");
	return setns_paths(argc - 1, argv + 1, "given paths");
}

/* setns-pid PID: every /proc/PID/ns/ link */
static int
p_setns_pid(int argc, char **argv)
{
	char *paths[sizeof(ns_names) / sizeof(ns_names[0])];
	size_t i;

	need_args(argc, 2, "setns-pid PID");
	for (i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
		if (asprintf(&paths[i], "/proc/%s/ns/%s", argv[1], ns_names[i]) < 0)
			harness("out of memory");
	return setns_paths((int)i, paths, "pid's ns links");
}

/* setns-scan: every /proc/N/ns/ link and every nsfs fd in /proc/N/fd of every visible process */
static int
p_setns_scan(int argc, char **argv)
{
	glob_t g1, g2;
	char **all;
	size_t i, n = 0;

	(void)argc;
	(void)argv;
	memset(&g1, 0, sizeof(g1));
	memset(&g2, 0, sizeof(g2));
	glob("/proc/[0-9]*/ns/*", 0, NULL, &g1);
	glob("/proc/[0-9]*/fd/*", 0, NULL, &g2);
	all = calloc(g1.gl_pathc + g2.gl_pathc + 1, sizeof(*all));
	if (!all)
		harness("out of memory");
	for (i = 0; i < g1.gl_pathc; i++)
		all[n++] = g1.gl_pathv[i];
	for (i = 0; i < g2.gl_pathc; i++)
		all[n++] = g2.gl_pathv[i];
	return setns_paths((int)n, all, "scan of /proc/*/ns and /proc/*/fd");
}

/* ---- mounts ---- */

static int
p_mount_tmpfs(int argc, char **argv)
{
	struct statfs sf;

	need_args(argc, 2, "mount-tmpfs DIR");
	if (mount("nsbt-probe", argv[1], "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0)
		blocked("mount tmpfs on %s: %s", argv[1], ename(errno));
	if (statfs(argv[1], &sf) < 0 || sf.f_type != TMPFS_MAGIC)
		harness("mount returned 0 but %s is no tmpfs", argv[1]);
	umount2(argv[1], MNT_DETACH);
	ok("tmpfs mounted on %s (then unmounted)", argv[1]);
}

static int
p_mount_bind(int argc, char **argv)
{
	need_args(argc, 3, "mount-bind SRC DIR");
	if (mount(argv[1], argv[2], NULL, MS_BIND, NULL) < 0)
		blocked("bind %s on %s: %s", argv[1], argv[2], ename(errno));
	umount2(argv[2], MNT_DETACH);
	ok("bound %s on %s (then unmounted)", argv[1], argv[2]);
}

static int
p_mount_proc(int argc, char **argv)
{
	struct statfs sf;

	need_args(argc, 2, "mount-proc DIR");
	if (mount("proc", argv[1], "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		blocked("mount proc on %s: %s", argv[1], ename(errno));
	if (statfs(argv[1], &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
		harness("mount returned 0 but %s is no procfs", argv[1]);
	umount2(argv[1], MNT_DETACH);
	ok("proc mounted on %s (then unmounted)", argv[1]);
}

/* fsopen + fsconfig + fsmount + move_mount: a tmpfs attached with the new mount API */
static int
p_fsmount(int argc, char **argv)
{
	int fs, mnt;
	struct statfs sf;

	need_args(argc, 2, "fsmount DIR");
	fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		blocked("fsopen(tmpfs): %s", ename(errno));
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		blocked("fsconfig(CMD_CREATE): %s", ename(errno));
	mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		blocked("fsmount: %s", ename(errno));
	if (syscall(SYS_move_mount, mnt, "", AT_FDCWD, argv[1], MOVE_MOUNT_F_EMPTY_PATH) < 0)
		blocked("move_mount to %s: %s", argv[1], ename(errno));
	if (statfs(argv[1], &sf) < 0 || sf.f_type != TMPFS_MAGIC)
		harness("move_mount returned 0 but %s is no tmpfs", argv[1]);
	umount2(argv[1], MNT_DETACH);
	ok("fsopen/fsconfig/fsmount/move_mount attached a tmpfs on %s", argv[1]);
}

static int
p_open_tree(int argc, char **argv)
{
	int fd;

	need_args(argc, 2, "open_tree PATH");
	fd = (int)syscall(SYS_open_tree, AT_FDCWD, argv[1], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		blocked("open_tree(%s, OPEN_TREE_CLONE): %s", argv[1], ename(errno));
	ok("open_tree cloned the mount at %s (detached, then closed)", argv[1]);
}

static int
p_fspick(int argc, char **argv)
{
	int fd;

	need_args(argc, 2, "fspick PATH");
	fd = (int)syscall(SYS_fspick, AT_FDCWD, argv[1], FSPICK_CLOEXEC);
	if (fd < 0)
		blocked("fspick(%s): %s", argv[1], ename(errno));
	ok("fspick opened the superblock config of %s", argv[1]);
}

static int
p_mount_setattr(int argc, char **argv)
{
	struct mount_attr a;

	need_args(argc, 2, "mount_setattr PATH");
	memset(&a, 0, sizeof(a));
	a.attr_set = MOUNT_ATTR_NOEXEC;
	if (syscall(SYS_mount_setattr, AT_FDCWD, argv[1], 0, &a, sizeof(a)) < 0)
		blocked("mount_setattr(%s, NOEXEC): %s", argv[1], ename(errno));
	ok("mount_setattr set noexec on %s", argv[1]);
}

static int
p_umount2(int argc, char **argv)
{
	need_args(argc, 2, "umount2 PATH");
	if (umount2(argv[1], MNT_DETACH) < 0)
		blocked("umount2(%s): %s", argv[1], ename(errno));
	ok("unmounted %s", argv[1]);
}

static int
p_chroot(int argc, char **argv)
{
	need_args(argc, 2, "chroot DIR");
	if (chroot(argv[1]) < 0)
		blocked("chroot(%s): %s", argv[1], ename(errno));
	if (chdir("/") < 0)
		harness("chdir / after chroot: %s", ename(errno));
	ok("chroot(%s)", argv[1]);
}

/* pivot_root in a child's own mount namespace onto a fresh tmpfs at DIR (the box's root and
 * the box's other processes are left alone) */
static int
p_pivot_root(int argc, char **argv)
{
	pid_t pid;
	int st, p[2];
	char msg[200] = "";
	ssize_t n;

	need_args(argc, 2, "pivot_root DIR");
	if (pipe2(p, O_CLOEXEC) < 0)
		harness("pipe: %s", ename(errno));
	pid = fork();
	if (pid < 0)
		harness("fork: %s", ename(errno));
	if (pid == 0) {
		char old[4096];
		const char *step;

		close(p[0]);
		step = "unshare(CLONE_NEWNS)";
		if (syscall(SYS_unshare, CLONE_NEWNS) < 0)
			goto fail;
		step = "make / private";
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			goto fail;
		step = "mount tmpfs";
		if (mount("nsbt-probe", argv[1], "tmpfs", 0, "size=64k") < 0)
			goto fail;
		snprintf(old, sizeof(old), "%s/old", argv[1]);
		step = "mkdir old";
		if (mkdir(old, 0700) < 0)
			goto fail;
		step = "pivot_root";
		if (syscall(SYS_pivot_root, argv[1], old) < 0)
			goto fail;
		_exit(0);
fail:
		dprintf(p[1], "%s: %s", step, ename(errno));
		_exit(1);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof(msg) - 1);
	if (n > 0)
		msg[n] = 0;
	close(p[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		harness("pivot_root child died");
	if (WEXITSTATUS(st) != 0)
		blocked("%s", msg);
	ok("pivot_root onto a tmpfs at %s (in a child's own mount namespace)", argv[1]);
}

/* ---- terminals ---- */

static int
tty_open(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		harness("open %s: %s", path, ename(errno));
	return fd;
}

/* tiocsti TTY TEXT [high]: pushes TEXT into TTY's input queue, one character per ioctl */
static int
p_tiocsti(int argc, char **argv)
{
	unsigned long req = TIOCSTI;
	int fd;
	const char *c;
	char *text;
	size_t i, len;

	need_args(argc, 3, "tiocsti TTY TEXT [high]");
	if (argc > 3 && strcmp(argv[3], "high") == 0)
		req |= 1UL << 32;
	fd = tty_open(argv[1]);
	/* "\n" in TEXT stands for a newline (TEXT travels through shells) */
	text = strdup(argv[2]);
	if (!text)
		harness("out of memory");
	for (c = argv[2], len = 0; *c; c++) {
		if (c[0] == '\\' && c[1] == 'n') {
			text[len++] = '\n';
			c++;
		} else {
			text[len++] = *c;
		}
	}
	for (i = 0; i < len; i++)
		if (syscall(SYS_ioctl, fd, req, &text[i]) < 0)
			blocked("ioctl(%s, TIOCSTI%s): %s", argv[1], req != TIOCSTI ? "|1<<32" : "",
				ename(errno));
	ok("pushed %zu bytes into %s with TIOCSTI%s", len, argv[1], req != TIOCSTI ? "|1<<32" : "");
}

/* tioclinux TTY [high]: TIOCLINUX reaches the tty layer (TIOCL_GETSHIFTSTATE: harmless and
 * unprivileged; the dangerous subcodes, selection paste, need a VT and CAP_SYS_ADMIN) */
static int
p_tioclinux(int argc, char **argv)
{
	unsigned long req = TIOCLINUX;
	char arg[8] = { TIOCL_GETSHIFTSTATE };
	long r;
	int fd, e;

	need_args(argc, 2, "tioclinux TTY [high]");
	if (argc > 2 && strcmp(argv[2], "high") == 0)
		req |= 1UL << 32;
	fd = tty_open(argv[1]);
	r = syscall(SYS_ioctl, fd, req, arg);
	e = errno;
	/* a pty is no VT: the VT driver's refusal (ENOTTY/EINVAL) shows that the request reached
	 * it, which is all a filter on the request number has to stop */
	if (r < 0 && (e == ENOTTY || e == EINVAL))
		ok("TIOCLINUX%s reached the tty driver of %s, which answered %s: not a VT",
		   req != TIOCLINUX ? "|1<<32" : "", argv[1], ename(e));
	if (r < 0)
		blocked("ioctl(%s, TIOCLINUX%s, GETSHIFTSTATE): %s", argv[1],
			req != TIOCLINUX ? "|1<<32" : "", ename(e));
	ok("TIOCLINUX%s reached %s (shift state %d)", req != TIOCLINUX ? "|1<<32" : "", argv[1], arg[0]);
}

/* ---- kernel facilities ---- */

static int
p_add_key(int argc, char **argv)
{
	long k;

	(void)argc;
	(void)argv;
	k = syscall(SYS_add_key, "user", "nsbt-probe", "x", (size_t)1, KEY_SPEC_PROCESS_KEYRING);
	if (k < 0)
		blocked("add_key: %s", ename(errno));
	ok("add_key made key %ld", k);
}

static int
p_keyctl(int argc, char **argv)
{
	long k;

	(void)argc;
	(void)argv;
	k = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1);
	if (k < 0)
		blocked("keyctl(GET_KEYRING_ID): %s", ename(errno));
	ok("keyctl: session keyring %ld", k);
}

/* request_key: a search (no callout); ENOKEY means the syscall ran and searched */
static int
p_request_key(int argc, char **argv)
{
	long k;

	(void)argc;
	(void)argv;
	k = syscall(SYS_request_key, "user", "nsbt-probe-none", NULL, 0);
	if (k < 0 && errno != ENOKEY)
		blocked("request_key: %s", ename(errno));
	ok("request_key searched the keyrings (%s)", k < 0 ? "ENOKEY" : "found");
}

static int
p_bpf(int argc, char **argv)
{
	union bpf_attr a;
	long fd;

	(void)argc;
	(void)argv;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
	if (fd < 0)
		blocked("bpf(BPF_MAP_CREATE): %s", ename(errno));
	ok("bpf created map fd %ld", fd);
}

static int
p_perf(int argc, char **argv)
{
	struct perf_event_attr a;
	long fd;

	(void)argc;
	(void)argv;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0UL);
	if (fd < 0)
		blocked("perf_event_open(task clock, self): %s", ename(errno));
	ok("perf_event_open fd %ld", fd);
}

static int
p_userfaultfd(int argc, char **argv)
{
	long fd;

	(void)argc;
	(void)argv;
	/* unprivileged users may have user-mode-only ones even with vm.unprivileged_userfaultfd=0 */
	fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		blocked("userfaultfd(UFFD_USER_MODE_ONLY): %s", ename(errno));
	ok("userfaultfd fd %ld", fd);
}

/* io_uring: a ring of the caller's own, and an io_uring_enter on it (the call that makes the
 * kernel run what the ring holds) */
static int
p_io_uring(int argc, char **argv)
{
	struct io_uring_params p;
	long fd;

	(void)argc;
	(void)argv;
	memset(&p, 0, sizeof(p));
	fd = syscall(SYS_io_uring_setup, 4, &p);
	if (fd < 0)
		blocked("io_uring_setup(4 entries): %s", ename(errno));
	if (syscall(SYS_io_uring_enter, (int)fd, 0, 0, 0, NULL, 0) < 0)
		blocked("io_uring_enter on ring fd %ld: %s", fd, ename(errno));
	ok("io_uring_setup gave ring fd %ld (%u sq entries), io_uring_enter works on it", fd,
	   p.sq_entries);
}

static int
p_mknod(int argc, char **argv)
{
	struct stat st;

	need_args(argc, 2, "mknod PATH");
	if (mknod(argv[1], S_IFCHR | 0600, makedev(1, 3)) < 0)
		blocked("mknod(%s, char 1:3): %s", argv[1], ename(errno));
	if (lstat(argv[1], &st) < 0 || !S_ISCHR(st.st_mode))
		harness("mknod returned 0 but %s is no char device", argv[1]);
	unlink(argv[1]);
	ok("made char device 1:3 at %s (then removed)", argv[1]);
}

static int
p_sethostname(int argc, char **argv)
{
	char got[256] = "";

	need_args(argc, 2, "sethostname NAME");
	if (sethostname(argv[1], strlen(argv[1])) < 0)
		blocked("sethostname: %s", ename(errno));
	gethostname(got, sizeof(got) - 1);
	if (strcmp(got, argv[1]) != 0)
		harness("sethostname returned 0 but hostname is '%s'", got);
	ok("hostname is now '%s'", got);
}

static int
p_personality(int argc, char **argv)
{
	unsigned long flag;
	int cur;

	need_args(argc, 2, "personality read_implies_exec|addr_no_randomize");
	if (strcmp(argv[1], "read_implies_exec") == 0)
		flag = READ_IMPLIES_EXEC;
	else if (strcmp(argv[1], "addr_no_randomize") == 0)
		flag = ADDR_NO_RANDOMIZE;
	else
		harness("unknown personality flag '%s'", argv[1]);
	cur = (int)syscall(SYS_personality, 0xffffffffUL);
	if (cur < 0)
		blocked("personality(query): %s", ename(errno));
	if (syscall(SYS_personality, (unsigned long)cur | flag) < 0)
		blocked("personality(%s): %s", argv[1], ename(errno));
	cur = (int)syscall(SYS_personality, 0xffffffffUL);
	if (cur < 0 || !((unsigned long)cur & flag))
		blocked("personality(%s) returned but the flag is not set (0x%x)", argv[1], cur);
	ok("personality now 0x%x", cur);
}

static int
p_raw_packet(int argc, char **argv)
{
	int s;

	(void)argc;
	(void)argv;
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (s < 0)
		blocked("socket(AF_PACKET, SOCK_RAW): %s", ename(errno));
	ok("AF_PACKET raw socket fd %d", s);
}

static int
p_raw_icmp(int argc, char **argv)
{
	int s;

	(void)argc;
	(void)argv;
	s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (s < 0)
		blocked("socket(AF_INET, SOCK_RAW, ICMP): %s", ename(errno));
	ok("raw ICMP socket fd %d", s);
}

/* ---- files, sockets, processes ---- */

/* connect PATH: a unix stream socket; reports the first line the listener sends */
static int
p_connect(int argc, char **argv)
{
	struct sockaddr_un a;
	struct pollfd pf;
	char buf[128] = "";
	ssize_t n = 0;
	int s;

	need_args(argc, 2, "connect PATH");
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(a.sun_path))
		harness("path too long");
	strcpy(a.sun_path, argv[1]);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		harness("socket: %s", ename(errno));
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		blocked("connect(%s): %s", argv[1], ename(errno));
	pf.fd = s;
	pf.events = POLLIN;
	if (poll(&pf, 1, 3000) > 0)
		n = read(s, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		buf[strcspn(buf, "\r\n")] = 0;
	}
	ok("connected to %s; it said '%s'", argv[1], buf);
}

/* read PATH: a file's first bytes, or a directory's entries (an empty one counts as hidden) */
static int
p_read(int argc, char **argv)
{
	struct stat st;
	char buf[128];
	int fd;
	ssize_t n;

	need_args(argc, 2, "read PATH");
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		blocked("open(%s): %s", argv[1], ename(errno));
	if (fstat(fd, &st) < 0)
		harness("fstat: %s", ename(errno));
	if (S_ISDIR(st.st_mode)) {
		DIR *d = fdopendir(fd);
		struct dirent *e;
		int count = 0;
		char first[64] = "";

		if (!d)
			harness("fdopendir: %s", ename(errno));
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && count++ == 0)
				snprintf(first, sizeof(first), "%.60s", e->d_name);
		if (count == 0)
			blocked("%s is an empty directory", argv[1]);
		ok("%s lists %d entries ('%s', ...)", argv[1], count, first);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		blocked("read(%s): %s", argv[1], ename(errno));
	buf[n] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	ok("read %zd bytes of %s: '%s'", n, argv[1], buf);
}

/* write PATH [TEXT]: opens an existing file for appending (never creates) and writes TEXT
 * (nothing when absent: opening for writing is the proof, and the file stays as it was) */
static int
p_write(int argc, char **argv)
{
	const char *t = argc > 2 ? argv[2] : "";
	int fd;

	need_args(argc, 2, "write PATH [TEXT]");
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		blocked("open(%s, O_WRONLY): %s", argv[1], ename(errno));
	if (write(fd, t, strlen(t)) < 0)
		blocked("write(%s): %s", argv[1], ename(errno));
	ok("opened %s for writing and wrote %zu bytes", argv[1], strlen(t));
}

/* rewrite PATH: writes back the value just read (a sysctl keeps its value; the write is the
 * proof) */
static int
p_rewrite(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;
	int fd;

	need_args(argc, 2, "rewrite PATH");
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		harness("open(%s) for reading: %s", argv[1], ename(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		harness("read(%s): %s", argv[1], n < 0 ? ename(errno) : "empty");
	close(fd);
	buf[n] = 0;
	fd = open(argv[1], O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		blocked("open(%s, O_WRONLY): %s", argv[1], ename(errno));
	if (write(fd, buf, (size_t)n) < 0)
		blocked("write(%s): %s", argv[1], ename(errno));
	buf[strcspn(buf, "\n")] = 0;
	ok("wrote '%s' back to %s", buf, argv[1]);
}

/* rofs PATH: whether the mount holding PATH is writable (readonly= shows as ST_RDONLY) */
static int
p_rofs(int argc, char **argv)
{
	struct statvfs sv;

	need_args(argc, 2, "rofs PATH");
	if (statvfs(argv[1], &sv) < 0)
		blocked("statvfs(%s): %s", argv[1], ename(errno));
	if (sv.f_flag & ST_RDONLY)
		blocked("%s is on a read-only mount", argv[1]);
	ok("%s is on a writable mount", argv[1]);
}

/* kill PID [SIG]: signal 0 by default (the permission check, no effect) */
static int
p_kill(int argc, char **argv)
{
	int sig = argc > 2 ? atoi(argv[2]) : 0;

	need_args(argc, 2, "kill PID [SIG]");
	if (kill(atoi(argv[1]), sig) < 0)
		blocked("kill(%s, %d): %s", argv[1], sig, ename(errno));
	ok("kill(%s, %d) permitted", argv[1], sig);
}

/* ptrace PID: PTRACE_SEIZE (does not stop the tracee; our exit detaches) */
static int
p_ptrace(int argc, char **argv)
{
	need_args(argc, 2, "ptrace PID");
	if (ptrace(PTRACE_SEIZE, atoi(argv[1]), NULL, NULL) < 0)
		blocked("ptrace(SEIZE, %s): %s", argv[1], ename(errno));
	ok("ptrace seized pid %s", argv[1]);
}

/* status: the credentials and confinement this probe runs with (diagnostics, exit 0) */
static int
p_status(int argc, char **argv)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	(void)argc;
	(void)argv;
	printf("PROBE status: uid=%u euid=%u", (unsigned)getuid(), (unsigned)geteuid());
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "NoNewPrivs:", 11) || !strncmp(line, "Seccomp:", 8) ||
		    !strncmp(line, "CapBnd:", 7) || !strncmp(line, "CapEff:", 7)) {
			line[strcspn(line, "\n")] = 0;
			printf(" %s", line);
		}
	printf("\n");
	if (f)
		fclose(f);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} probes[] = {
	{ "unshare", p_unshare },	    { "clone3", p_clone3 },	       { "clone", p_clone },
	{ "setns", p_setns },		    { "setns-pid", p_setns_pid },      { "setns-scan", p_setns_scan },
	{ "mount-tmpfs", p_mount_tmpfs },   { "mount-bind", p_mount_bind },    { "mount-proc", p_mount_proc },
	{ "fsmount", p_fsmount },	    { "open_tree", p_open_tree },      { "fspick", p_fspick },
	{ "mount_setattr", p_mount_setattr }, { "umount2", p_umount2 },	       { "chroot", p_chroot },
	{ "pivot_root", p_pivot_root },	    { "tiocsti", p_tiocsti },	       { "tioclinux", p_tioclinux },
	{ "add_key", p_add_key },	    { "keyctl", p_keyctl },	       { "request_key", p_request_key },
	{ "bpf", p_bpf },		    { "perf_event_open", p_perf },     { "userfaultfd", p_userfaultfd },
	{ "mknod", p_mknod },		    { "sethostname", p_sethostname },  { "personality", p_personality },
	{ "raw-packet", p_raw_packet },	    { "raw-icmp", p_raw_icmp },	       { "connect", p_connect },
	{ "read", p_read },		    { "write", p_write },	       { "rewrite", p_rewrite },
	{ "rofs", p_rofs },		    { "kill", p_kill },		       { "ptrace", p_ptrace },
	{ "status", p_status },		    { "io_uring", p_io_uring },
};

/* Installed setuid root only for the suite: it serves test users (nsbt-esc*) and no one else. */
static void
check_setuid_caller(void)
{
	struct passwd *pw;

	if (getuid() == geteuid())
		return;
	pw = getpwuid(getuid());
	if (!pw || strncmp(pw->pw_name, "nsbt-esc", 8) != 0) {
		fprintf(stderr, "nsbox-probe: setuid copy serves nsbt-esc* test users only\n");
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	size_t i;
	int use_userns = 0;

	check_setuid_caller();
	setvbuf(stdout, NULL, _IOLBF, 0);
	argc--;
	argv++;
	if (argc > 0 && strcmp(argv[0], "-U") == 0) {
		use_userns = 1;
		argc--;
		argv++;
	}
	if (argc < 1) {
		fprintf(stderr, "usage: nsbox-probe [-U] PROBE [ARGS...]\n");
		return 2;
	}
	probe_name = argv[0];
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		if (strcmp(argv[0], probes[i].name) == 0) {
			if (use_userns)
				enter_userns();
			return probes[i].fn(argc, argv);
		}
	harness("unknown probe '%s'", argv[0]);
}
