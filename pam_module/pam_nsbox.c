// SPDX-License-Identifier: BSD-3-Clause
/* pam_nsbox.so: thin glue inside the PAM application (sshd monitor, su, login, sudo), as root;
 * must never exit, never leak an fd, never block on the box. Spawns nsbox-helper (spawn.c), joins
 * the box it builds, and hands the box back at close_session. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "module.h"
#include "nsbox/cleanup.h"
#include "nsbox/ns.h"
#include "nsbox/proto.h"
#include "nsbox/paths.h"
#include "policy.h"
#include "refusal.h"

#ifndef NSBOX_HELPER_PATH
#define NSBOX_HELPER_PATH "/usr/libexec/nsbox/nsbox-helper"
#endif
#define NSBOX_CONF_PATH   "/etc/security/nsbox.conf"
#define DATA_NAME         "pam_nsbox"

#define EXPORT __attribute__((visibility("default")))

static void
session_free_fds(struct session *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(s->fds); i++) {
		nsbox_closep(&s->fds[i]);
		s->fds[i] = -1;
	}
}

/* Runs on pam_end in every process that holds the handle (su's and login's forked child call it
 * with PAM_DATA_SILENT): only ever frees, never tears down. */
static void
session_cleanup(pam_handle_t *pamh, void *data, int status)
{
	struct session *s = data;

	(void)pamh;
	(void)status;
	nsbox_guard_disarm(&s->guard);
	session_free_fds(s);
	free(s);
}

/* timeout=SECONDS: 1 to 3600, decimal digits only; into milliseconds. */
static int
parse_secs(const char *v, int *ms)
{
	long n = 0;

	if (!*v)
		return -EINVAL;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || (n = n * 10 + (*v - '0')) > 3600)
			return -EINVAL;
	}
	if (n < 1)
		return -EINVAL;
	*ms = (int)n * 1000;
	return 0;
}

static int
parse_opts(pam_handle_t *pamh, int argc, const char **argv, struct opts *o)
{
	*o = (struct opts){ .conf = NSBOX_CONF_PATH, .helper = NSBOX_HELPER_PATH, .on_error = -1,
			    .timeout_ms = NSBOX_REPLY_TIMEOUT_MS };
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "conf=", 5) == 0 && a[5] == '/')
			o->conf = a + 5;
		else if (strncmp(a, "helper=", 7) == 0 && a[7] == '/')
			o->helper = a + 7;
		else if (strcmp(a, "debug") == 0)
			o->debug = true;
		else if (strcmp(a, "leave") == 0)
			o->leave = true;
		else if (strcmp(a, "on_error=deny") == 0)
			o->on_error = 0;
		else if (strcmp(a, "on_error=allow") == 0)
			o->on_error = 1;
		else if (strncmp(a, "timeout=", 8) == 0 && parse_secs(a + 8, &o->timeout_ms) == 0) {
			if (o->timeout_ms < NSBOX_REPLY_TIMEOUT_MIN_MS) {
				pam_syslog(pamh, LOG_ERR,
					   "bad module argument '%s': below the helper's own bounds "
					   "(at least %d s)", a, NSBOX_REPLY_TIMEOUT_MIN_MS / 1000);
				return -EINVAL;
			}
		} else {
			pam_syslog(pamh, LOG_ERR, "bad module argument '%s'", a);
			return -EINVAL;
		}
	}
	if (strlen(o->conf) >= sizeof(((struct nsbox_request *)0)->conf)) {
		pam_syslog(pamh, LOG_ERR, "bad module argument: conf path too long");
		return -EINVAL;
	}
	return 0;
}
static int
threads_of_self(void)
{
	_cleanup_close_ int fd = -1;
	char buf[4096];
	struct stat st;
	ssize_t n;

	/* /proc/PID/task counts 2 + the process's threads as its links (proc_task_getattr): one
	 * stat instead of the kernel generating all of /proc/self/status */
	if (stat("/proc/self/task", &st) == 0 && st.st_nlink >= 3 && st.st_nlink < INT_MAX)
		return (int)(st.st_nlink - 2);
	/* one read: the file is generated whole per read, and Threads: is in its first 1 KiB */
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	for (char *l = buf; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (strncmp(l, "Threads:", 8) == 0)
			return atoi(l + 8);
	return -EIO;
}

/* PIDFD_GET_<NS>_NAMESPACE (Linux 6.11, pidfs; not in older uapi headers): the ioctl number of
 * the pidfd request for the namespace FLAG, or 0. */
static unsigned long
pidfd_ns_ioctl(unsigned long flag)
{
	switch (flag) {
	case CLONE_NEWIPC: return _IO(0xFF, 2);
	case CLONE_NEWNS:  return _IO(0xFF, 3);
	case CLONE_NEWNET: return _IO(0xFF, 4);
	case CLONE_NEWPID: return _IO(0xFF, 5); /* the process's own, as /proc/self/ns/pid */
	case CLONE_NEWUTS: return _IO(0xFF, 10);
	}
	return 0;
}

/* An fd of our own namespace I (nsbox_ns_table), O_CLOEXEC: asked of SELF, our pidfd, where the
 * kernel can (no path walk through /proc), else opened in /proc/self/ns. -errno. */
static int
own_ns_fd(int self, size_t i, bool *no_ioctl)
{
	char path[64];
	int fd;

	if (!*no_ioctl) {
		fd = ioctl(self, pidfd_ns_ioctl(nsbox_ns_table[i].flag), 0);
		if (fd >= 0)
			return fd;
		if (errno != ENOTTY && errno != EINVAL && errno != EOPNOTSUPP)
			return -errno;
		*no_ioctl = true; /* before 6.11: a pidfd has no ioctls */
	}
	snprintf(path, sizeof(path), "/proc/self/ns/%s", nsbox_ns_table[i].proc);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* 1 when this process's root is not its mount namespace's root (a chroot), 0 when it is, or
 * -errno. setns() into a mount namespace resets the root to that namespace's root, so joining a
 * box would take a chrooted application out of its chroot. The namespace's root is what such a
 * setns() gives: the spawn's middle child joined our own mount namespace and kept its "/"
 * (device, inode and, since a bind mount of "/" has the same inode, mount ID) to compare with
 * ours. */
static int
chrooted(const struct session *s)
{
	const struct statx *nsroot = &s->root;
	struct statx mine;

	if (s->root_err < 0)
		return s->root_err;
	if (statx(AT_FDCWD, "/", 0, STATX_INO | STATX_MNT_ID, &mine) < 0)
		return -errno;
	return mine.stx_dev_major != nsroot->stx_dev_major ||
	       mine.stx_dev_minor != nsroot->stx_dev_minor || mine.stx_ino != nsroot->stx_ino ||
	       ((mine.stx_mask & nsroot->stx_mask & STATX_MNT_ID) &&
		mine.stx_mnt_id != nsroot->stx_mnt_id);
}

/* Back to the namespaces saved at open. Returns the first error, goes on regardless. */
static int
leave_box(struct session *s)
{
	int r = 0;

	for (size_t i = 0; i < NSBOX_N_NS; i++)
		if (s->saved[i] >= 0 && setns(s->saved[i], (int)nsbox_ns_table[i].flag) < 0 && r == 0)
			r = -errno;
	int c = nsbox_cwd_enter(&s->cwd);
	return r < 0 ? r : c;
}

/* Moves this process into the box's namespaces, but for its mounts into the application's hold
 * (helper/hold.c): its fork(2) children go on into the box's mounts (policy.c). 0, -errno, or 1
 * when policy refuses (WHY says why). On failure nothing has changed. */
static int
join_box(struct session *s, unsigned long ns, int self, const char **why)
{
	bool no_ioctl = self < 0;
	int r = threads_of_self();

	if (r != 1) {
		/* setns(mnt) on a threaded process would change the root of every thread, and the
		 * kernel does not refuse it for pidfds: refuse ourselves. */
		*why = r < 0 ? "cannot read /proc/self/status" : "application is multi-threaded";
		return r < 0 ? r : 1;
	}
	r = chrooted(s);
	if (r != 0) {
		*why = r < 0 ? "cannot compare the root with the mount namespace's"
			     : "application is chrooted (joining the box would end its chroot)";
		return r < 0 ? r : 1;
	}
	nsbox_cwd_save(&s->cwd);
	for (size_t i = 0; i < NSBOX_N_NS; i++) {
		if (!(ns & nsbox_ns_table[i].flag))
			continue;
		r = own_ns_fd(self, i, &no_ioctl);
		if (r < 0) {
			*why = "cannot save own namespaces";
			return r;
		}
		s->saved[i] = r;
	}
	/* One call for the box's: the kernel joins all or none. */
	if ((ns & ~(unsigned long)CLONE_NEWNS) && setns(s->initfd, (int)(ns & ~CLONE_NEWNS)) < 0) {
		*why = "setns into the box";
		return -errno;
	}
	if (setns(s->hold, CLONE_NEWNS) < 0) {
		r = -errno;
		*why = "setns into the application's hold";
		leave_box(s);
		return r;
	}
	nsbox_closep(&s->hold);
	s->hold = -1;
	(void)nsbox_cwd_enter(&s->cwd); /* only a root that cannot chdir("/") fails */
	return 0;
}

/* Ends the session without waiting for the box (its members may be our own children): CLOSE
 * queued for the supervisor, the init killed (not a shared box's: its supervisor ends it with its
 * last session), our fds gone. */
static void
end_box(struct session *s)
{
	struct nsbox_request req = { .version = NSBOX_PROTO_VERSION, .op = NSBOX_OP_CLOSE };

	s->closed = true;
	nsbox_send(s->sock, &req, sizeof(req), -1);
	if (!s->shared)
		syscall(SYS_pidfd_send_signal, s->initfd, SIGKILL, NULL, 0);
	session_free_fds(s);
}

/* A refused login in the refusal log (lib/refusal.h) for nsboxctl refusals: only as root, and
 * only into a /run/nsbox that is root's alone. 0 or -errno. */
static int
record_refusal(pam_handle_t *pamh, const char *user, const char *ref, const char *reason)
{
	struct nsbox_refusal r = { .time = (long long)time(NULL) };
	struct stat st;
	const void *v;

	if (geteuid() != 0)
		return -EPERM;
	if (mkdir(NSBOX_RUN_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(NSBOX_RUN_DIR, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		return -EPERM;
	snprintf(r.ref, sizeof(r.ref), "%s", ref);
	snprintf(r.user, sizeof(r.user), "%s", user);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	const struct { int item; char *dst; size_t n; } items[] = {
		{ PAM_SERVICE, r.service, sizeof(r.service) },
		{ PAM_RHOST, r.rhost, sizeof(r.rhost) },
		{ PAM_TTY, r.tty, sizeof(r.tty) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(items); i++)
		if (pam_get_item(pamh, items[i].item, &v) == PAM_SUCCESS && v)
			snprintf(items[i].dst, items[i].n, "%s", (const char *)v);
	return refusal_append(NSBOX_REFUSALS, NSBOX_REFUSALS_OLD, &r);
}

static int
fail(pam_handle_t *pamh, int flags, const char *user, int on_error, const char *what, int err)
{
	const char *why = err ? strerror(-err) : NULL;
	char ref[NSBOX_REF_LEN + 1], reason[600];

	if (on_error == 1) {
		pam_syslog(pamh, LOG_WARNING,
			   "no box for user '%s': %s%s%s; continuing unboxed (on_error=allow)", user,
			   what, why ? ": " : "", why ? why : "");
		return PAM_SUCCESS;
	}
	refusal_new_ref(ref);
	snprintf(reason, sizeof(reason), "%s%s%s", what, why ? ": " : "", why ? why : "");
	/* one line either way: a refusal log that cannot be written (a full /run) is said in it */
	int r = record_refusal(pamh, user, ref, reason);
	bool lost = r < 0 && r != -EPERM;
	pam_syslog(pamh, LOG_ERR, "no box for user '%s': %s; session denied (ref %s%s%s)", user,
		   reason, ref, lost ? ", not kept in " NSBOX_REFUSALS ": " : "",
		   lost ? strerror(-r) : "");
	/* The user learns that, and what to quote, never why: the reason can name the host's
	 * files, bridges and limits. Where the application shows a PAM message (a terminal: ssh
	 * with a pty, su, login) this is the one line it prints. */
	if (!(flags & PAM_SILENT))
		pam_error(pamh, "Login refused: this session could not be set up. "
				"Reference for the administrator: %s", ref);
	/* PAM_SYSTEM_ERR, not PAM_SESSION_ERR: sudo ignores the latter and runs unboxed. */
	return PAM_SYSTEM_ERR;
}

static struct session *
session_new(void)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->owner = getpid();
	s->root_err = -EIO; /* until a spawn's probe says otherwise */
	s->sock = s->initfd = -1;
	for (size_t i = 0; i < NSBOX_N_NS; i++)
		s->saved[i] = -1;
	return s;
}

/* Takes the init's pidfd and the application's hold, FDS, out of a BOXED reply (closing them on
 * any other): 0, 1 for EXEMPT, or -errno with WHY (a FAILED reply's own message, or "bad
 * reply"). */
static int
take_box(struct session *s, const struct nsbox_reply *rep, int fds[2], const char **why)
{
	const uint32_t known = NSBOX_POL_NNP | NSBOX_POL_CAPS | NSBOX_POL_SECCOMP;

	if (rep->status == NSBOX_REPLY_BOXED && fds[0] >= 0 && fds[1] >= 0 &&
	    !(rep->namespaces & ~(uint64_t)NSBOX_NS_ALL) && (rep->namespaces & CLONE_NEWNS) &&
	    !(rep->policy.flags & ~known) &&
	    !(rep->box_flags & ~(uint32_t)(NSBOX_BOX_SHARED | NSBOX_BOX_ATTACH))) {
		s->initfd = fds[0];
		s->hold = fds[1];
		s->shared = rep->box_flags & NSBOX_BOX_SHARED;
		snprintf(s->id, sizeof(s->id), "%s", rep->id);
		return 0;
	}
	for (int i = 0; i < 2; i++)
		nsbox_closep(&fds[i]);
	if (rep->status == NSBOX_REPLY_EXEMPT)
		return 1;
	if (rep->status != NSBOX_REPLY_BOXED) {
		*why = rep->msg[0] ? rep->msg : "helper failed";
		return rep->msg[0] ? 0 : rep->error;
	}
	*why = "bad reply from helper";
	return -EBADMSG;
}

/* NSBOX_ID, NSBOX_IPV4, NSBOX_IPV6 for the session. */
static int
put_env(pam_handle_t *pamh, const struct session *s, const struct nsbox_reply *rep)
{
	char e[96];
	int r;

	snprintf(e, sizeof(e), "NSBOX_ID=%s", s->id);
	r = pam_putenv(pamh, e);
	if (r == PAM_SUCCESS && rep->ipv4[0] && nsbox_str_ok(rep->ipv4, sizeof(rep->ipv4))) {
		snprintf(e, sizeof(e), "NSBOX_IPV4=%s", rep->ipv4);
		r = pam_putenv(pamh, e);
	}
	if (r == PAM_SUCCESS && rep->ipv6[0] && nsbox_str_ok(rep->ipv6, sizeof(rep->ipv6))) {
		snprintf(e, sizeof(e), "NSBOX_IPV6=%s", rep->ipv6);
		r = pam_putenv(pamh, e);
	}
	return r;
}

EXPORT int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct opts o;
	struct nsbox_request req;
	struct nsbox_reply rep;
	struct session *s;
	const void *old = NULL;
	const char *user = NULL, *why = NULL;
	char whybuf[PATH_MAX + 64];
	_cleanup_close_ int self = -1;
	int r, fds[2] = { -1, -1 }, on_error;

	if (parse_opts(pamh, argc, argv, &o) < 0)
		return PAM_SYSTEM_ERR;
	if (o.leave)
		return PAM_IGNORE; /* its work is at close */
	/* su -l includes the su stack: the second call on one handle finds the box already open. */
	if (pam_get_data(pamh, DATA_NAME, &old) == PAM_SUCCESS && old &&
	    !((const struct session *)old)->closed) {
		if (o.debug)
			pam_syslog(pamh, LOG_DEBUG, "session already boxed");
		return PAM_SUCCESS;
	}
	on_error = o.on_error < 0 ? 0 : o.on_error;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user)
		return fail(pamh, flags, "?", on_error, "no user name", 0);
	if (!nsbox_str_ok(user, sizeof(req.user)))
		return fail(pamh, flags, "?", on_error, "user name too long or not printable", 0);
	/* Refused before anything is built (a threaded application cannot join a mount namespace:
	 * join_box checks again, at the moment it matters). */
	r = threads_of_self();
	if (r != 1)
		return fail(pamh, flags, user, on_error,
			    r < 0 ? "cannot read /proc/self/status" : "application is multi-threaded",
			    r < 0 ? r : 0);
	make_request(pamh, &o, user, &req);
	s = session_new();
	if (!s)
		return fail(pamh, flags, user, on_error, "out of memory", 0);

	s->sock = spawn_helper(&o, &req, s, &self, &why, whybuf, sizeof(whybuf));
	if (s->sock < 0) {
		r = s->sock;
		s->sock = -1;
		goto out_fail;
	}
	r = wait_reply(s->sock, o.timeout_ms, &rep, fds, &why);
	if (r < 0)
		goto out_fail;
	if (o.on_error < 0)
		on_error = rep.on_error == 1 ? 1 : 0;
	if (rep.status == NSBOX_REPLY_DENIED)
		on_error = 0; /* a limit is a decision, not a failure to fall back from */
	r = take_box(s, &rep, fds, &why);
	if (r == 1) {
		if (o.debug)
			pam_syslog(pamh, LOG_DEBUG, "user '%s' is exempt", user);
		session_cleanup(pamh, s, 0);
		return PAM_SUCCESS;
	}
	if (r < 0 || why)
		goto out_fail;

	if (!nsbox_policy_supported(&rep.policy)) {
		why = "seccomp = default, but this kernel has no seccomp filters";
		r = -ENOSYS;
		goto out_fail;
	}
	r = join_box(s, rep.namespaces, self, &why);
	if (r != 0) {
		r = r > 0 ? 0 : r;
		goto out_fail; /* closing the socket below makes the supervisor end the box */
	}
	r = put_env(pamh, s, &rep);
	if (r == PAM_SUCCESS)
		r = pam_set_data(pamh, DATA_NAME, s, session_cleanup);
	if (r != PAM_SUCCESS) {
		leave_box(s);
		why = "cannot store session state";
		r = -ENOMEM;
		goto out_fail;
	}
	/* From here every fork of the application is a session process: sshd's post-auth child,
	 * su's and login's shell. They get the box's mounts and policy and none of our fds. */
	s->guard = (struct nsbox_guard){
		.owner = s->owner, .fds = s->fds, .n_fds = ARRAY_SIZE(s->fds), .boxfd = s->initfd,
		.attach = rep.box_flags & NSBOX_BOX_ATTACH ? s->sock : -1, .cwd = &s->cwd,
		.pol = rep.policy
	};
	r = nsbox_guard_arm(&s->guard);
	if (r < 0) {
		/* pam_set_data owns S now: it is freed at pam_end */
		leave_box(s);
		end_box(s);
		return fail(pamh, flags, user, on_error, "cannot guard the session's processes", r);
	}
	if (o.debug)
		pam_syslog(pamh, LOG_DEBUG, "box=%s joined: user='%s'", s->id, user);
	return PAM_SUCCESS;

out_fail:
	session_cleanup(pamh, s, 0);
	return fail(pamh, flags, user, on_error, why ? why : "internal error", r);
}

/* The application back in its own namespaces, the guard off: from here its forks are the host's
 * again. 0 or -errno (logged). */
static int
leave_session(pam_handle_t *pamh, struct session *s)
{
	int r;

	s->left = true;
	nsbox_guard_disarm(&s->guard);
	r = leave_box(s);
	if (r < 0)
		pam_syslog(pamh, LOG_ERR, "box=%s cannot restore namespaces: %s", s->id,
			   strerror(-r));
	return r;
}

/* The session's own line (last in the stack) ends the box; a "leave" line (first in the stack)
 * only puts the application back on the host, so that every module between them closes there:
 * pam_systemd reaches the system bus, close hooks exec as they would unboxed. */
EXPORT int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *v = NULL;
	struct session *s;
	struct opts o;
	int r = 0;

	(void)flags;
	if (parse_opts(pamh, argc, argv, &o) < 0)
		return PAM_SYSTEM_ERR;
	if (pam_get_data(pamh, DATA_NAME, &v) != PAM_SUCCESS || !v)
		return o.leave ? PAM_IGNORE : PAM_SUCCESS; /* exempt, unboxed, or never opened */
	s = (struct session *)(uintptr_t)v;
	if (s->closed || s->owner != getpid())
		return o.leave ? PAM_IGNORE : PAM_SUCCESS; /* only the one that joined may leave */
	if (o.leave) {
		if (s->left)
			return PAM_IGNORE;
		return leave_session(pamh, s) < 0 ? PAM_SESSION_ERR : PAM_SUCCESS;
	}
	s->closed = true;
	/* Leave first, so the application can fork and start threads again; then end the box
	 * without waiting: sshd reaps its user child (a box member) only after we return. */
	if (!s->left)
		r = leave_session(pamh, s);
	end_box(s);
	if (r < 0)
		return PAM_SESSION_ERR;
	if (o.debug)
		pam_syslog(pamh, LOG_DEBUG, "box=%s closed", s->id);
	return PAM_SUCCESS;
}

EXPORT int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	/* Called in sshd's user child and between fork and exec of root shells: nothing to do. */
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
