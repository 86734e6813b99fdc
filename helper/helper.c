// SPDX-License-Identifier: BSD-3-Clause
/* nsbox-helper main: started by pam_nsbox.so (never setuid), runs as root in the host namespaces;
 * has the login's box built (session.c), answers the module, then supervises the box until the
 * session ends and tears it down. Logs the session's lines (session.c its teardown's). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "lease.h"
#include "pamstack.h"
#include "nsbox/cleanup.h"
#include "session.h"
#include "share.h"

/* The module gives up on us after NSBOX_REPLY_TIMEOUT_MIN_MS at the earliest; every stage before
 * our answer that can wait has a bound of its own, and together they end well before it, so that
 * the user is told what was slow, not that the helper timed out. The worst case, in order: a
 * share = user join that gets no answer (share.c), the two lease locks of the pool_share count,
 * the two lease locks (IPv4 and IPv6), the box's systemd unit, the box init, four children (the
 * application's hold; inside the box: link, the DHCP address, resolv.conf), the longest
 * dhcp_timeout, and on failure the teardown before the answer (the DHCP release, the two lease
 * locks again). Reading the config, NSS lookups and the wait for the user's lock (share.c: as
 * long as the logins of the user before this one take) have no bound here: the module's timeout
 * is theirs. */
#define WORST_BEFORE_REPLY_MS                                                               \
	(JOIN_TIMEOUT_MS + 4LL * NSBOX_LEASE_LOCK_TIMEOUT_MS + BOX_READY_TIMEOUT_MS +        \
	 4LL * (INSIDE_TIMEOUT_MS + KILLED_WAIT_MS) + 2LL * UNIT_TIMEOUT_MS +                 \
	 NSBOX_DHCP_TIMEOUT_MAX * 1000LL +                                                    \
	 DHCP_STOP_MAX_MS + 2LL * NSBOX_LEASE_LOCK_TIMEOUT_MS)
_Static_assert(WORST_BEFORE_REPLY_MS + 10000 <= NSBOX_REPLY_TIMEOUT_MIN_MS,
	       "the module's shortest reply timeout must exceed the helper's bounded stages");

/* Exit codes (nsbox-helper(8)). */
enum { EXIT_OK = 0, EXIT_DENIED = 1, EXIT_USAGE = 2, EXIT_SETUP = 3 };

/* Under su the helper starts with the invoking user's real uid, environment limits and signal
 * state: take none of it. *SELF: this process, read here once for the signal state and kept for
 * its records (pid 0 when that read failed). */
static int
sanitize(struct nsbox_proc *self)
{
	static const struct {
		int res;
		rlim_t cur, max;
	} lim[] = {
		{ RLIMIT_CPU, RLIM_INFINITY, RLIM_INFINITY },
		{ RLIMIT_FSIZE, RLIM_INFINITY, RLIM_INFINITY },
		{ RLIMIT_DATA, RLIM_INFINITY, RLIM_INFINITY },
		{ RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY },
		{ RLIMIT_NPROC, RLIM_INFINITY, RLIM_INFINITY },
		{ RLIMIT_NOFILE, 1024, 4096 },
		{ RLIMIT_CORE, 0, 0 },
	};
	struct sigaction sa = { .sa_handler = SIG_DFL };
	unsigned long long ignored = ~0ull;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	sigset_t all;

	if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
		return -errno;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (ru || eu || su || rg || eg || sg)
		return -EPERM;
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(lim); i++) {
		struct rlimit rl = { lim[i].cur, lim[i].max };
		setrlimit(lim[i].res, &rl);
	}
	/* exec left every caught signal at SIG_DFL; only an ignored one (the kernel's sigignore
	 * mask) is inherited, and would reach the box init and what we exec. pam_nsbox.so resets
	 * them all before its exec; this covers a helper started some other way. A failed read
	 * resets every signal. */
	if (proc_self(self, &ignored) < 0) {
		*self = (struct nsbox_proc){ 0 };
		ignored = ~0ull;
	}
	for (int sig = 1; sig < NSIG && ignored; sig++, ignored >>= 1)
		if (ignored & 1)
			sigaction(sig, &sa, NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	umask(022);
	if (chdir("/") < 0)
		return -errno;
	setsid(); /* away from su's terminal and its job-control signals */
	/* whatever else the application left open would reach the box init and its children */
	return syscall(SYS_close_range, NSBOX_HELPER_FD + 1, ~0U, 0) < 0 ? -errno : 0;
}

/* The supervisor, its sweeper and the box init count against the box's memory limit where
 * systemd runs (they live in its unit): a box that fills its memory must lose its own processes
 * to the OOM killer, never the ones that tear it down. Inherited by what we clone. */
static void
oom_protect(void)
{
	_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd >= 0)
		(void)!write(fd, "-1000", 5);
}

static int
check_socket(int fd)
{
	int type = 0, dom = 0;
	socklen_t l = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
		return -errno;
	l = sizeof(dom);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) < 0)
		return -errno;
	return type == SOCK_SEQPACKET && dom == AF_UNIX ? 0 : -ENOTSOCK;
}

/* What every process of the session gets, applied by the module in each child of the
 * application (pam_module/policy.c). */
static struct nsbox_policy
session_policy(const struct nsbox_settings *set)
{
	struct nsbox_policy p = { .caps_keep = set->caps_keep };

	if (set->no_new_privs)
		p.flags |= NSBOX_POL_NNP;
	if (set->caps_keep != ~0ull)
		p.flags |= NSBOX_POL_CAPS;
	if (set->seccomp)
		p.flags |= NSBOX_POL_SECCOMP;
	return p;
}

/* The module found this login in no logind session on a host where systemd runs. When the
 * service's stack runs pam_systemd, say why once per login, after the module has its answer:
 * pam_systemd comes after the box line (every module after it opens in the box, where nothing
 * can run a program), or it came before and did not register the session. */
static void
logind_check(const struct session *s)
{
	struct nsbox_pam_stack st;
	struct nsbox_conf_err err;
	long sd, box = -1;

	if (!(s->req.flags & NSBOX_REQ_NO_LOGIND) ||
	    nsbox_pam_stack_load(s->req.service, NULL, &st, &err) < 0)
		return;
	sd = nsbox_pam_find(&st, "pam_systemd.so");
	for (size_t i = 0; i < st.n; i++)
		if (!strcmp(nsbox_pam_module_name(&st.e[i]), "pam_nsbox.so") &&
		    !nsbox_pam_is_leave(&st.e[i]))
			box = (long)i;
	if (sd >= 0 && sd > box)
		syslog(LOG_WARNING,
		       "box=%s service '%s': pam_nsbox.so ran before pam_systemd.so (%s:%u), so every "
		       "module after it opened this session inside the box, where it cannot run "
		       "programs; pam_nsbox.so must be the last session line (nsboxctl check "
		       "--service %s)",
		       s->box.id, s->req.service, st.e[sd].file, st.e[sd].line, s->req.service);
	else if (sd >= 0)
		syslog(LOG_WARNING,
		       "box=%s service '%s': pam_systemd.so (%s:%u) did not register this login with "
		       "logind (see its own log line): logind cannot track or end this session",
		       s->box.id, s->req.service, st.e[sd].file, st.e[sd].line);
	nsbox_pam_stack_free(&st);
}

/* Collects the records of dead supervisors, once the module has its answer: judging every live
 * box costs time in proportion to their number, which no login should wait for; with thousands
 * of boxes, at most a tenth of a CPU goes to it (nsboxctl list collects as well). A helper
 * inside a box never gets here. */
#define GC_DUTY 10

static void
gc_after_reply(void)
{
	int r = box_gc_maybe(GC_DUTY);
	unsigned gone = 0;

	if (r < 0)
		syslog(LOG_WARNING, "collecting the records of ended boxes: %s", strerror(-r));
	/* tables that no directory describes (an earlier version's boxes) */
	r = held_sweep_tables(&gone);
	if (r < 0)
		syslog(LOG_WARNING, "collecting the egress rules of ended boxes: %s", strerror(-r));
	else if (gone)
		syslog(LOG_NOTICE, "removed the egress rules of %u ended box%s", gone,
		       gone == 1 ? "" : "es");
}

/* The host replaced /etc/resolv.conf (or what it leads to) and with it maybe the box's bind. */
static void
resolv_rebind(struct session *s)
{
	struct nsbox_err err = { 0 };
	int r = resolv_watch_handle(&s->box, &err);

	if (r > 0)
		syslog(LOG_NOTICE, "box=%s /etc/resolv.conf was replaced on the host; bound the "
				   "box's again", s->box.id);
	else if (r < 0)
		syslog(LOG_WARNING, "box=%s /etc/resolv.conf was replaced on the host and the box's "
				    "could not be bound again: %s", s->box.id, err.msg);
}

static void
resolv_rebind_cb(void *arg)
{
	resolv_rebind(arg);
}

/* SIGTERM, SIGINT, SIGHUP (nsboxctl stop, an admin's kill) as a readable fd, set up before the
 * module is answered: a supervisor that could not hear them could not be stopped, so that
 * fails the login. */
static int
stop_signals(void)
{
	sigset_t set;
	int sfd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd >= 0)
		return sfd;
	sfd = -errno;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return sfd;
}

/* Waits for the end of the session and says why it ended. */
static const char *
supervise(struct session *s, int sock, int appfd, int sfd)
{
	const struct box_attach at = { .id = s->box.id, .unit = s->unit, .cg = &s->held.h.cg };

	for (;;) {
		struct pollfd p[5] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = appfd, .events = POLLIN },
			{ .fd = s->box.init_pidfd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = resolv_watch_fd(), .events = POLLIN },
		};
		if (poll(p, 5, -1) < 0) {
			if (errno == EINTR)
				continue;
			return "poll failed";
		}
		/* The socket first: the module queues CLOSE before it kills the init. */
		const char *why = session_event(sock, p[0].revents, s->rec.app, &at);
		if (why)
			return why;
		if (p[1].revents)
			return "application exited";
		if (p[2].revents)
			return "box init exited";
		if (p[3].revents)
			return "stopped by signal";
		if (p[4].revents)
			resolv_rebind(s);
	}
}

/* The box's supervisor as the owner of a shared box: every later member gets REP, as the first. */
static const char *
share_run(struct session *s, const struct nsbox_reply *rep, int sock, int appfd, int sfd)
{
	struct share_owner o = { .uid = s->uid, .digest = s->digest,
				 .max_sessions = s->set.max_sessions, .listen = s->join_listen,
				 .init_pidfd = s->box.init_pidfd, .hold = s->hold, .init = s->box.init,
				 .rep = *rep,
				 .rec = &s->rec, .watch_fd = resolv_watch_fd(),
				 .attach = { .id = s->box.id, .unit = s->unit, .cg = &s->held.h.cg },
				 .on_watch = resolv_rebind_cb, .watch_arg = s };
	const char *reason;

	snprintf(o.id, sizeof(o.id), "%s", s->box.id);
	snprintf(o.user, sizeof(o.user), "%s", s->req.user);
	s->join_listen = -1;
	reason = share_supervise(&o, sock, appfd, sfd, &s->req);
	for (size_t i = 0; i < o.n; i++) {
		nsbox_closep(&o.m[i].sock);
		nsbox_closep(&o.m[i].appfd);
	}
	free(o.m);
	return reason;
}

/* What the module is told of a login this supervisor answers (a joined one was answered by the box
 * it joined): the one place where a session's outcome becomes an NSBOX_REPLY_* status. R: 0, or
 * the -errno that refused the login; DENIED: a rule refused it, not a failure. */
static enum nsbox_status
reply_status(int r, enum session_outcome out, bool denied)
{
	if (r < 0)
		/* a limit of share.c: denied whatever on_error says */
		return r == -EUSERS || denied ? NSBOX_REPLY_DENIED : NSBOX_REPLY_FAILED;
	return out == SESSION_EXEMPT ? NSBOX_REPLY_EXEMPT : NSBOX_REPLY_BOXED;
}

static int
session_main(void)
{
	struct session s = { 0 };
	struct nsbox_reply rep = { .version = NSBOX_PROTO_VERSION };
	struct nsbox_err err = { 0 };
	enum session_outcome out = SESSION_BUILT;
	const int sock = NSBOX_HELPER_FD;
	int appfd = -1, sfd = -1, r;

	s.net.netns = s.net.dhcp_pidfd = -1;
	s.box.init_pidfd = s.box.lifeline = s.box.ready = s.box.go = -1;
	s.user_lock = s.join_listen = s.sweeper = s.hold = s.held.fd = -1;
	r = sanitize(&s.self);
	openlog("nsbox-helper", LOG_PID, LOG_AUTHPRIV);
	if (r < 0) {
		syslog(LOG_ERR, "cannot take root credentials (or close inherited fds): %s",
		       strerror(-r));
		return EXIT_SETUP;
	}
	if (check_socket(sock) < 0) {
		syslog(LOG_ERR, "started without a session socket; run by pam_nsbox.so only");
		return EXIT_USAGE;
	}
	oom_protect();
	r = nsbox_recv(sock, &s.req, sizeof(s.req), &appfd);
	if (r < 0 || appfd < 0 || !nsbox_request_ok(&s.req)) {
		syslog(LOG_ERR, "bad request from the module");
		return EXIT_USAGE;
	}

	/* A helper that su or sudo started inside a box sees the box's /proc and mounts: its
	 * garbage collection would judge every live box dead, its records and leases would name
	 * box pids. Refuse before touching any state. */
	const int on_host = proc_on_host();
	if (on_host != 1)
		r = err_set(&err, on_host < 0 ? on_host : -EPERM, "%s",
			    on_host < 0 ? "cannot tell whether the helper runs on the host"
					: "a login from inside a box is not boxed again");
	else if ((r = sweeper_start(&s.sweeper, &s.sweeper_pid)) < 0)
		err_set(&err, r, "cannot start the box's sweeper: %s", strerror(-r));
	else
		r = open_box(&s, &rep, appfd, &out, &err);
	if (r == 0 && out == SESSION_BUILT && (sfd = stop_signals()) < 0)
		r = err_set(&err, sfd, "cannot receive stop signals (signalfd): %s", strerror(-sfd));
	if (r == 0 && out == SESSION_JOINED) {
		/* the box it joined has answered the module: the login is that box's member now */
		nsbox_closep(&s.user_lock);
		if (s.req.flags & NSBOX_REQ_DEBUG)
			syslog(LOG_DEBUG, "user '%s' handed to box=%s", s.req.user, s.joined);
		return EXIT_OK;
	}
	rep.status = reply_status(r, out, s.denied);
	if (r < 0) {
		rep.error = r;
		snprintf(rep.msg, sizeof(rep.msg), "%s", err_isset(&err) ? err.msg : strerror(-r));
		teardown_host(&s);
		/* The module logs the one line for this login; we only answer. */
		if (nsbox_send(sock, &rep, sizeof(rep), -1) < 0)
			syslog(LOG_ERR, "user '%s': %s (and the module is gone)", s.req.user,
			       rep.msg);
		nsbox_closep(&s.user_lock);
		if (on_host == 1)
			gc_after_reply();
		reap_box(&s); /* after the answer: a stuck init must not delay the refusal */
		return EXIT_DENIED;
	}
	/* the record is written */
	nsbox_closep(&s.user_lock);
	if (out == SESSION_EXEMPT) {
		if (s.req.flags & NSBOX_REQ_DEBUG)
			syslog(LOG_DEBUG, "user '%s' exempt (%s)", s.req.user, s.set.matched);
		nsbox_send(sock, &rep, sizeof(rep), -1);
		gc_after_reply();
		return EXIT_OK;
	}

	rep.namespaces = s.set.namespaces;
	rep.policy = session_policy(&s.set);
	rep.box_flags = (s.set.share == NSBOX_SHARE_USER ? NSBOX_BOX_SHARED : 0) |
			(limits_wanted(&s.set) ? NSBOX_BOX_ATTACH : 0);
	snprintf(rep.id, sizeof(rep.id), "%s", s.box.id);
	r = nsbox_send_fds(sock, &rep, sizeof(rep), (const int[]){ s.box.init_pidfd, s.hold }, 2);
	if (r < 0) {
		syslog(LOG_ERR, "box=%s module went away before the reply: %s", s.box.id,
		       strerror(-r));
		teardown_host(&s);
		reap_box(&s);
		return EXIT_SETUP;
	}
	/* user and service passed nsbox_str_ok; rhost and tty are the client's word */
	char rhost[sizeof(s.req.rhost)], tty[sizeof(s.req.tty)];
	printable_copy(rhost, sizeof(rhost), s.req.rhost, true);
	printable_copy(tty, sizeof(tty), s.req.tty, true);
	syslog(LOG_INFO,
	       "box=%s started: user='%s' service='%s' rhost='%s' tty='%s' init=%d hostname='%s'%s%s%s%s"
	       " section=%s",
	       s.box.id, s.req.user, s.req.service, rhost, tty, (int)s.box.init.pid, s.hostname,
	       rep.ipv4[0] ? " ipv4=" : "", rep.ipv4, rep.ipv6[0] ? " ipv6=" : "", rep.ipv6,
	       s.set.matched);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	logind_check(&s);
	gc_after_reply();
	/* what setup allocated (the config, NSS, the gc's scan) is freed by now; a supervisor lives
	 * as long as the session, one per box: give the pages back */
	malloc_trim(0);
	const char *reason = s.set.share == NSBOX_SHARE_USER
				     ? share_run(&s, &rep, sock, appfd, sfd)
				     : supervise(&s, sock, appfd, sfd);
	teardown_host(&s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	syslog(LOG_INFO, "box=%s ended: reason='%s' duration=%llds user='%s'", s.box.id, reason,
	       (long long)(t1.tv_sec - t0.tv_sec), s.req.user);
	reap_box(&s);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--session") == 0)
		return session_main();
	if (argc == 2 && strcmp(argv[1], "--sweep") == 0)
		return sweeper_run();
	fprintf(stderr, "nsbox-helper: started by pam_nsbox.so only; see nsbox-helper(8)\n");
	return EXIT_USAGE;
}
