// SPDX-License-Identifier: BSD-3-Clause
/* The DHCP client of a bridged box, run by nsbox-helper's supervisor (root): a trusted external
 * client (dhclient or busybox udhcpc) started confined in the box's network namespace (its own
 * unprivileged user, dhcp_user, with the two network capabilities it needs; PID 1 of a pid
 * namespace of its own; a root of its own with the host's programs and /etc read-only and one
 * writable directory; no_new_privs), waited for within dhcp_timeout, and told to release at the
 * end of the session. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dhcp.h"
#include "groups.h"
#include "helper.h"
#include "nsbox/cleanup.h"

static bool
is_udhcpc(const char *path)
{
	const char *b = strrchr(path, '/');

	return strcmp(b ? b + 1 : path, "udhcpc") == 0;
}

static int
trusted_exe(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return 0;
}

/* The DHCP script ships next to the helper binary. */
static int
dhcp_script_path(char *out, size_t n)
{
	char self[PATH_MAX];
	ssize_t l = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (l <= 0)
		return -EIO;
	self[l] = 0;
	char *slash = strrchr(self, '/');
	if (!slash)
		return -EIO;
	*slash = 0;
	if ((size_t)snprintf(out, n, "%s/nsbox-dhcp-script", self) >= n)
		return -ENAMETOOLONG;
	return trusted_exe(out);
}

/* What the client keeps of root (dhclient, checked: a packet socket and UDP port 68; it
 * configures nothing itself, the helper does with the lease), as ambient capabilities of its
 * own unprivileged user. */
static const int client_caps[] = { CAP_NET_RAW, CAP_NET_BIND_SERVICE };

/* What the client sees of the host, read-only: programs, libraries and /etc (what of it its user
 * may read is its user's business: not /etc/shadow, not the ssh host keys). Not /home, /root,
 * /run (sockets of the system bus and of daemons), /var, /tmp, /srv or /sys. */
static const char *const view_dirs[] = { "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32",
					 "/lib64", "/libx32" };
static const char *const view_devs[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
					 "/dev/urandom" };
/* Where the client's root is built, in its own mount namespace (covering nothing of the host) */
#define VIEW "/tmp"

/* The client's own user (dhcp_user), never root. */
static int
client_user(const struct nsbox_settings *s, uid_t *uid, gid_t *gid)
{
	struct passwd pw;
	_cleanup_free_ char *buf = NULL;
	int r = user_lookup(s->dhcp_user, &pw, &buf);

	if (r < 0)
		return r;
	if (pw.pw_uid == 0 || pw.pw_gid == 0)
		return -EPERM;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

/* The box directory's BOX_DHCP_DIR, the client's own: the one place it writes (pid file, lease
 * database, the script's output). Its files are read as a user's: regular files only, no
 * symlink followed (open_regular). */
static int
client_dir(const struct box_net *n)
{
	char box[128];
	int r = box_path(n->id, NULL, box, sizeof(box));

	if (r < 0)
		return r;
	_cleanup_close_ int bfd = open(box, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bfd < 0)
		return -errno;
	if (mkdirat(bfd, BOX_DHCP_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	_cleanup_close_ int dfd = openat(bfd, BOX_DHCP_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	return fchown(dfd, n->dhcp_uid, n->dhcp_gid) < 0 || fchmod(dfd, 0700) < 0 ? -errno : 0;
}

/* mkdir -p of PATH (absolute) below VIEW. */
static int
view_mkdir(const char *path)
{
	char p[PATH_MAX];

	if ((size_t)snprintf(p, sizeof(p), VIEW "%s", path) >= sizeof(p))
		return -ENAMETOOLONG;
	for (char *c = p + sizeof(VIEW); ; c++) {
		if (*c != '/' && *c)
			continue;
		char end = *c;
		*c = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (!end)
			return 0;
		*c = '/';
	}
}

/* PATH of the host bound at the same path below VIEW, with ATTR on it and every mount below. */
static int
view_bind(const char *path, unsigned attr, bool file)
{
	char to[PATH_MAX];
	struct mount_attr ma = { .attr_set = attr, .attr_clr = attr & MOUNT_ATTR_RDONLY ? 0 : MOUNT_ATTR_RDONLY };
	int r;

	if ((size_t)snprintf(to, sizeof(to), VIEW "%s", path) >= sizeof(to))
		return -ENAMETOOLONG;
	if (file) {
		int fd = open(to, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
	} else if ((r = view_mkdir(path)) < 0)
		return r;
	if (mount(path, to, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount_setattr(AT_FDCWD, to, AT_RECURSIVE, &ma, sizeof(ma)) < 0)
		return -errno;
	return 0;
}

/* The directory DIR (of the client or the script), unless the view has it already. */
static int
view_dir_of(const char *file)
{
	char dir[PATH_MAX], in[PATH_MAX];
	struct stat st;
	const char *slash = strrchr(file, '/');

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - file) : 0, file);
	if (!dir[0])
		return 0;
	if ((size_t)snprintf(in, sizeof(in), VIEW "%s", dir) >= sizeof(in))
		return -ENAMETOOLONG;
	if (stat(in, &st) == 0)
		return 0; /* under /usr, /sbin, ... */
	return view_bind(dir, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, false);
}

/* The client's root: a tmpfs holding VIEW_DIRS, the client's and the script's directories
 * (read-only), a /dev of VIEW_DEVS, a /proc of its own pid namespace and STATE, its own
 * directory, at the paths the host has them. STEP names what failed. */
static int
view_build(const char *state, const char *client, const char *script, const char **step)
{
	const unsigned ro = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	char p[PATH_MAX], link[PATH_MAX];
	struct stat st;
	int r;

	*step = "its root";
	if (mount("nsbox-dhcp", VIEW, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755,size=1m,nr_inodes=1024") < 0)
		return -errno;
	*step = "the host's directories";
	for (size_t i = 0; i < ARRAY_SIZE(view_dirs); i++) {
		if (lstat(view_dirs[i], &st) < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (S_ISLNK(st.st_mode)) { /* merged /usr: /bin -> usr/bin */
			ssize_t k = readlink(view_dirs[i], link, sizeof(link) - 1);
			if (k < 0)
				return -errno;
			link[k] = 0;
			snprintf(p, sizeof(p), VIEW "%s", view_dirs[i]); /* short: the table's */
			if (symlink(link, p) < 0)
				return -errno;
		} else if (S_ISDIR(st.st_mode) && (r = view_bind(view_dirs[i], ro, false)) < 0)
			return r;
	}
	*step = "the client's directory";
	if ((r = view_dir_of(client)) < 0)
		return r;
	*step = "the script's directory";
	if ((r = view_dir_of(script)) < 0)
		return r;
	*step = "its /dev";
	if ((r = view_mkdir("/dev")) < 0)
		return r;
	if (mount("nsbox-dhcp-dev", VIEW "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
		  "mode=0755,size=16k,nr_inodes=16") < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(view_devs); i++)
		if (access(view_devs[i], F_OK) == 0 &&
		    (r = view_bind(view_devs[i], MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, true)) < 0)
			return r;
	*step = "its /proc";
	if ((r = view_mkdir("/proc")) < 0)
		return r;
	if (mount("proc", VIEW "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	*step = "its directory";
	if ((r = view_bind(state, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, false)) < 0)
		return r;
	*step = "its root";
	struct mount_attr top = { .attr_set = MOUNT_ATTR_RDONLY };
	if (mount_setattr(AT_FDCWD, VIEW, 0, &top, sizeof(top)) < 0 || chdir(VIEW) < 0 ||
	    syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return -errno;
	return 0;
}

/* From root to the client's user, keeping CLIENT_CAPS only: ambient (so that they survive the
 * exec of a file without capabilities), and the bounding set cut to them, so the script it runs
 * has no more; no_new_privs. */
static int
drop_to_client(uid_t uid, gid_t gid)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };
	uint64_t keep = 0;

	for (size_t i = 0; i < ARRAY_SIZE(client_caps); i++)
		keep |= 1ull << client_caps[i];
	for (int c = 0; c < 64; c++) {
		if (keep & (1ull << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past the kernel's last capability */
			return -errno;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	d[0].effective = d[0].permitted = d[0].inheritable = (uint32_t)keep;
	d[1].effective = d[1].permitted = d[1].inheritable = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(client_caps); i++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, client_caps[i], 0, 0) < 0)
			return -errno;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

/* What a child that could not exec says on its status pipe. */
struct spawn_err {
	int err;
	char step[48];
};

/* In the client's child, PID 1 of a pid namespace of its own, as root: the client parses packets
 * from a shared bridge, so what it can do if one of them takes it over is cut to what it needs.
 * The box's network namespace (through the netns fd we hold, not the init: the release must
 * still work after the module killed the init at logout); a mount namespace of its own whose
 * root is view_build's; its own user with CLIENT_CAPS. */
static struct spawn_err
confine_client(const struct box_net *n, const char *client, const char *script)
{
	struct spawn_err e = { 0 };
	char state[128];
	const char *step = "";
	int r;

	box_path(n->id, BOX_DHCP_DIR, state, sizeof(state));
	if (setns(n->netns, CLONE_NEWNET) < 0)
		return (struct spawn_err){ -errno, "joining the box's network" };
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return (struct spawn_err){ -errno, "a mount namespace of its own" };
	if ((r = view_build(state, client, script, &step)) < 0) {
		e.err = r;
		snprintf(e.step, sizeof(e.step), "building %s", step);
		return e;
	}
	/* not the supervisor's -1000: a client that a packet made grow is the OOM killer's to take */
	_cleanup_close_ int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (adj < 0 || write(adj, "0", 1) != 1)
		return (struct spawn_err){ adj < 0 ? -errno : -EIO, "resetting its OOM score" };
	if ((r = drop_to_client(n->dhcp_uid, n->dhcp_gid)) < 0)
		return (struct spawn_err){ r, "dropping to its user" };
	return e;
}

/* Returns the pid (held by *PIDFD) once the client is exec'd; -errno, with STEP naming what
 * failed, when it could not start. SCRIPT: the DHCP script, which the view must hold. */
static pid_t
spawn_in_box(const struct box_net *n, const char *script, char *const argv[], char *const envp[],
	     int *pidfd, char *step, size_t steplen)
{
	struct spawn_err e = { 0 };
	int p[2];
	sigset_t none;

	snprintf(step, steplen, "pipe");
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	snprintf(step, steplen, "fork");
	int parent;
	pid_t pid = child_fork_pidns(pidfd, &parent);
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return pid;
	}
	if (pid == 0) {
		int w = p[1], null = -1;

		close(p[0]);
		sigemptyset(&none);
		/* the supervisor blocks its stop signals; the client (udhcpc -R) needs SIGTERM */
		if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
			e = (struct spawn_err){ -errno, "sigprocmask" };
		else if ((e = confine_client(n, argv[0], script)).err < 0)
			;
		/* its own user now: the kernel forgot its death with us */
		else if ((e.err = child_rearm(parent)) < 0)
			snprintf(e.step, sizeof(e.step), "dying with the supervisor");
		else if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 || dup2(null, 0) < 0 ||
			 dup2(null, 1) < 0 || dup2(null, 2) < 0)
			e = (struct spawn_err){ -errno, "/dev/null" };
		/* only our status pipe stays, as fd 3, and it closes at exec */
		else if (w != 3 && dup3(w, 3, O_CLOEXEC) < 0)
			e = (struct spawn_err){ -errno, "closing inherited fds" };
		else if ((w = 3, syscall(SYS_close_range, 4, ~0U, 0) < 0))
			e = (struct spawn_err){ -errno, "closing inherited fds" };
		else {
			execve(argv[0], argv, envp);
			e = (struct spawn_err){ -errno, "exec" };
		}
		(void)!write(w, &e, sizeof(e));
		_exit(127);
	}
	close(p[1]);
	ssize_t got = read(p[0], &e, sizeof(e));
	close(p[0]);
	if (got == 0)
		return pid; /* exec'd: the pipe closed */
	child_wait(pidfd, KILLED_WAIT_MS, NULL);
	nsbox_closep(pidfd);
	*pidfd = -1;
	e.step[sizeof(e.step) - 1] = 0;
	snprintf(step, steplen, "%s", got == sizeof(e) ? e.step : "child died");
	return got == sizeof(e) && e.err < 0 ? e.err : -EIO;
}

int
dhcp_run(const struct box *b, const struct nsbox_settings *s, struct box_net *n,
	 struct dhcp_lease *l, struct nsbox_err *err)
{
	char script[PATH_MAX], out[300], pidf[300], leasef[300], env[340];
	int r = trusted_exe(s->dhcp_client);

	if (r < 0) {
		err_set(err, r, "DHCP client '%s': %s", s->dhcp_client,
			r == -EPERM ? "not a root-owned, unwritable file" : strerror(-r));
		return r;
	}
	r = dhcp_script_path(script, sizeof(script));
	if (r < 0) {
		err_set(err, r, "DHCP script next to the helper: %s", strerror(-r));
		return r;
	}
	r = client_user(s, &n->dhcp_uid, &n->dhcp_gid);
	if (r < 0) {
		err_set(err, r, "DHCP client user '%s' (dhcp_user): %s", s->dhcp_user,
			r == -ENOENT ? "no such user (make install and the package create it)"
			: r == -EPERM ? "is root or in group 0" : strerror(-r));
		return r;
	}
	r = client_dir(n);
	if (r < 0) {
		err_set(err, r, "making the DHCP client's directory in the box's: %s", strerror(-r));
		return r;
	}
	box_path(b->id, BOX_DHCP_LEASE, out, sizeof(out));
	box_path(b->id, BOX_DHCP_PID, pidf, sizeof(pidf));
	box_path(b->id, BOX_DHCLIENT_LEASES, leasef, sizeof(leasef));
	snprintf(env, sizeof(env), "NSBOX_DHCP_OUT=%s", out);

	/* execve wants mutable strings: our own copies of the settings' */
	char ifname[16], client[256];
	snprintf(ifname, sizeof(ifname), "%s", s->ifname);
	snprintf(client, sizeof(client), "%s", s->dhcp_client);
	static char o4[] = "-4", od[] = "-d", osf[] = "-sf", opf[] = "-pf", olf[] = "-lf",
		    oe[] = "-e", of[] = "-f", oi[] = "-i", os[] = "-s", oR[] = "-R", op[] = "-p";
	static char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	char *const dhclient_argv[] = { client, o4, od, osf, script, opf, pidf, olf, leasef,
					oe, env, ifname, NULL };
	char *const udhcpc_argv[] = { client, of, oR, oi, ifname, os, script, op, pidf, NULL };
	char *const envp[] = { path_env, env, NULL };

	char step[64];
	n->dhcp_udhcpc = is_udhcpc(s->dhcp_client);
	n->dhcp_pid = spawn_in_box(n, script, n->dhcp_udhcpc ? udhcpc_argv : dhclient_argv, envp,
				   &n->dhcp_pidfd, step, sizeof(step));
	if (n->dhcp_pid < 0) {
		r = n->dhcp_pid;
		n->dhcp_pid = 0;
		err_set(err, r, "starting the DHCP client '%s': %s: %s", s->dhcp_client, step,
			strerror(-r));
		return r;
	}

	/* Bounded: the login waits at most dhcp_timeout seconds for a lease. */
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (access(out, F_OK) == 0) {
			r = dhcp_lease_read(out, l);
			if (r == 0)
				return 0;
			if (r == -EBADMSG) {
				err_set(err, r, "DHCP lease on '%s' refused: %s", n->bridge, l->bad);
				return r;
			}
		}
		if (child_wait(&n->dhcp_pidfd, 0, NULL) == 0) {
			n->dhcp_pid = 0;
			err_set(err, -EIO, "DHCP client '%s' exited without a lease",
				s->dhcp_client);
			return -EIO;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= (long)s->dhcp_timeout * 1000) {
			err_set(err, -ETIMEDOUT, "no DHCP lease on '%s' within %u s", n->bridge,
				s->dhcp_timeout);
			return -ETIMEDOUT;
		}
		poll(NULL, 0, 20);
	}
}

/* dhclient writes its lease database only after its script ran, so a session that ends at once
 * can stop it before it wrote the lease, and the release (which reads the database) has nothing
 * to send. Waits, at most DHCP_DB_WAIT_MS, for a complete last lease block (dhclient writes one
 * with a single flush); 0, or -ETIMEDOUT. */
static int
lease_db_wait(const struct box_net *n)
{
	char path[300];

	box_path(n->id, BOX_DHCLIENT_LEASES, path, sizeof(path));
	for (int waited = 0;; waited += 20) {
		/* the client's file: a regular one or nothing (a FIFO would block us) */
		_cleanup_close_ int fd = open_regular(AT_FDCWD, path);
		char tail[2];
		off_t end = fd >= 0 ? lseek(fd, -2, SEEK_END) : -1;
		if (end >= 0 && read(fd, tail, 2) == 2 && tail[0] == '}' && tail[1] == '\n')
			return 0;
		if (waited >= DHCP_DB_WAIT_MS)
			return -ETIMEDOUT;
		poll(NULL, 0, 20);
	}
}

/* Sends the release and stops the client, within DHCP_STOP_MAX_MS, while the box's network
 * lives. Every signal goes through a pidfd: the running dhclient is stopped by us and its pid
 * file removed before `dhclient -r` runs, which would otherwise signal whatever pid the file
 * names and then sleep a second. 0, or -errno with ERR (the lease then expires on the server by
 * itself). */
int
dhcp_stop(const struct nsbox_settings *s, struct box_net *n, struct nsbox_err *err)
{
	char step[64];
	int r = 0;

	if (n->dhcp_pid <= 0)
		return 0;
	if (!n->dhcp_udhcpc && n->netns >= 0) {
		char a_client[256], ifname[16], a_pid[300], a_lease[300], a_script[PATH_MAX];
		static char o4[] = "-4", or[] = "-r", opf[] = "-pf", olf[] = "-lf", osf[] = "-sf";
		static char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
		int relfd = -1, status = 0;
		snprintf(a_client, sizeof(a_client), "%s", s->dhcp_client);
		snprintf(ifname, sizeof(ifname), "%s", s->ifname);
		box_path(n->id, BOX_DHCP_PID, a_pid, sizeof(a_pid));
		box_path(n->id, BOX_DHCLIENT_LEASES, a_lease, sizeof(a_lease));
		if (dhcp_script_path(a_script, sizeof(a_script)) < 0)
			snprintf(a_script, sizeof(a_script), "/bin/true");
		char *const argv[] = { a_client, o4, or, osf, a_script, opf, a_pid, olf, a_lease,
				       ifname, NULL };
		char *const envp[] = { path_env, NULL };
		if (n->dhcp_bound && (r = lease_db_wait(n)) < 0)
			err_set(err, r, "dhclient wrote no lease database: %s", strerror(-r));
		/* not SIGTERM: as PID 1 of its pid namespace it would not see it; and it has nothing
		 * to do at its end, the release below reads what it wrote */
		child_stop(&n->dhcp_pidfd, SIGKILL, KILLED_WAIT_MS);
		if (unlink(a_pid) < 0 && errno != ENOENT && !r)
			r = err_set(err, -errno, "removing its pid file: %s", strerror(errno));
		if (n->dhcp_bound && !r) {
			pid_t pid = spawn_in_box(n, a_script, argv, envp, &relfd, step, sizeof(step));
			if (pid < 0)
				r = err_set(err, pid, "%s: %s", step, strerror(-pid));
			else if ((r = child_wait(&relfd, DHCP_RELEASE_WAIT_MS, &status)) < 0) {
				err_set(err, r, "dhclient -r: %s", strerror(-r));
				child_stop(&relfd, SIGKILL, KILLED_WAIT_MS);
			} else if (status != 0) {
				r = err_set(err, -EIO, "dhclient -r: exit status %d: %s", status,
					    strerror(EIO));
			}
			nsbox_closep(&relfd);
		}
	} else if (n->dhcp_udhcpc) {
		/* -R: udhcpc releases on SIGTERM */
		child_stop(&n->dhcp_pidfd, SIGTERM, DHCP_RELEASE_WAIT_MS);
	}
	child_stop(&n->dhcp_pidfd, SIGKILL, KILLED_WAIT_MS);
	nsbox_closep(&n->dhcp_pidfd);
	n->dhcp_pidfd = -1;
	n->dhcp_pid = 0;
	n->dhcp_bound = false;
	return r;
}
