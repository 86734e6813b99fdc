/* The DHCP client of a bridged box, run by nsbox-helper's supervisor (root): a trusted external
 * client (dhclient or busybox udhcpc) started confined (network capabilities only, its own
 * read-only mount namespace, no_new_privs) in the box's network namespace, waited for within
 * dhcp_timeout, and told to release at the end of the session. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
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
 * configures nothing itself, the helper does with the lease). */
static const int client_caps[] = { CAP_NET_RAW, CAP_NET_BIND_SERVICE };

/* In the client's child, as root, before exec: the client parses packets from a shared bridge, so
 * what it can do if one of them takes it over is cut to what it needs. Its own mount namespace,
 * a copy of the host's in which every mount is read-only (and nosuid) but the box's directory,
 * where its pid file, lease database and the script's output live: it writes nothing else, and
 * nobody's mounts reach its view (the box's namespace would let the box's admin config decide
 * what a root process reads). Only the capabilities above, in every set and the bounding set,
 * so the script it runs has no more; no_new_privs. It stays in the host's pid namespace: the
 * release (dhclient -r) signals the pid in the pid file. */
static int
confine_client(const char *boxdir)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID };
	struct mount_attr rw = { .attr_clr = MOUNT_ATTR_RDONLY,
				 .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };
	uint64_t keep = 0;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
	    mount(boxdir, boxdir, NULL, MS_BIND, NULL) < 0 ||
	    mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0 ||
	    mount_setattr(AT_FDCWD, boxdir, 0, &rw, sizeof(rw)) < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(client_caps) / sizeof(client_caps[0]); i++)
		keep |= 1ull << client_caps[i];
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	for (int c = 0; c < 64; c++) {
		if (keep & (1ull << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past the kernel's last capability */
			return -errno;
		}
	}
	d[0].effective = d[0].permitted = (uint32_t)keep;
	d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &h, d) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* What a child that could not exec says on its status pipe. */
struct spawn_err {
	int err;
	char step[32];
};

/* Through the netns fd we hold, not the init: the DHCP release must still work after the module
 * killed the init at logout. Returns the pid (held by *PIDFD) once the client is exec'd; -errno,
 * with STEP naming what failed, when it could not start. */
static pid_t
spawn_in_box(const struct box_net *n, char *const argv[], char *const envp[], int *pidfd,
	     char *step, size_t steplen)
{
	struct spawn_err e = { 0 };
	char boxdir[128];
	int p[2];
	sigset_t none;

	snprintf(step, steplen, "box directory");
	if (box_path(n->id, NULL, boxdir, sizeof(boxdir)) < 0)
		return -ENAMETOOLONG;
	snprintf(step, steplen, "pipe");
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	snprintf(step, steplen, "fork");
	pid_t pid = child_fork(pidfd);
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
		else if (setns(n->netns, CLONE_NEWNET) < 0)
			e = (struct spawn_err){ -errno, "joining the box's network" };
		else if ((e.err = confine_client(boxdir)) < 0)
			snprintf(e.step, sizeof(e.step), "confining the client");
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
	 struct dhcp_lease *l, struct nsbox_why *why)
{
	char script[PATH_MAX], out[300], pidf[300], leasef[300], env[340];
	int r = trusted_exe(s->dhcp_client);

	if (r < 0) {
		why_set(why, "DHCP client '%s': %s", s->dhcp_client,
			r == -EPERM ? "not a root-owned, unwritable file" : strerror(-r));
		return r;
	}
	r = dhcp_script_path(script, sizeof(script));
	if (r < 0) {
		why_set(why, "DHCP script next to the helper: %s", strerror(-r));
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

	char step[32];
	n->dhcp_udhcpc = is_udhcpc(s->dhcp_client);
	n->dhcp_pid = spawn_in_box(n, n->dhcp_udhcpc ? udhcpc_argv : dhclient_argv, envp,
				   &n->dhcp_pidfd, step, sizeof(step));
	if (n->dhcp_pid < 0) {
		r = n->dhcp_pid;
		n->dhcp_pid = 0;
		why_set(why, "starting the DHCP client '%s': %s: %s", s->dhcp_client, step,
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
				why_set(why, "DHCP lease on '%s' refused: %s", n->bridge, l->bad);
				return r;
			}
		}
		if (child_wait(&n->dhcp_pidfd, 0, NULL) == 0) {
			n->dhcp_pid = 0;
			why_set(why, "DHCP client '%s' exited without a lease", s->dhcp_client);
			return -EIO;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= (long)s->dhcp_timeout * 1000) {
			why_set(why, "no DHCP lease on '%s' within %u s", n->bridge,
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
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
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
 * names and then sleep a second. 0, or -errno with STEP naming what failed (the lease then
 * expires on the server by itself). */
int
dhcp_stop(const struct nsbox_settings *s, struct box_net *n, char *step, size_t steplen)
{
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
			snprintf(step, steplen, "dhclient wrote no lease database");
		child_stop(&n->dhcp_pidfd, SIGTERM, KILLED_WAIT_MS);
		if (unlink(a_pid) < 0 && errno != ENOENT && !r) {
			r = -errno;
			snprintf(step, steplen, "removing its pid file");
		}
		if (n->dhcp_bound && !r) {
			pid_t pid = spawn_in_box(n, argv, envp, &relfd, step, steplen);
			if (pid < 0)
				r = pid;
			else if ((r = child_wait(&relfd, DHCP_RELEASE_WAIT_MS, &status)) < 0) {
				snprintf(step, steplen, "dhclient -r");
				child_stop(&relfd, SIGKILL, KILLED_WAIT_MS);
			} else if (status != 0) {
				snprintf(step, steplen, "dhclient -r: exit status %d", status);
				r = -EIO;
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
