// SPDX-License-Identifier: BSD-3-Clause
/* nsbox-helper main: started by pam_nsbox.so (never setuid), runs as root in the host namespaces;
 * resolves the login's rules, builds the box, answers the module, then supervises the box until
 * the session ends and tears it down. The only place here that logs. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
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

#include "groups.h"
#include "helper.h"
#include "lease.h"
#include "pamstack.h"
#include "nsbox/cleanup.h"
#include "share.h"

void
why_set(struct nsbox_why *w, const char *fmt, ...)
{
	va_list ap;

	if (w->msg[0])
		return; /* the first failure is the cause; later ones are consequences */
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
}

/* The module gives up on us after NSBOX_REPLY_TIMEOUT_MIN_MS at the earliest; every stage before
 * our answer that can wait has a bound of its own, and together they end well before it, so that
 * the user is told what was slow, not that the helper timed out. The worst case, in order: a
 * share = user join that gets no answer (share.c), the two lease locks of the pool_share count,
 * the two lease locks (IPv4 and IPv6), the box's systemd unit, the box init, four children (the
 * application's hold; inside the box: link, the DHCP address, resolv.conf), the longest
 * dhcp_timeout, and on failure the teardown before the answer (the DHCP release, the two lease
 * locks again). Reading the config and NSS lookups have no bound here: the module's timeout is
 * theirs. */
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

struct session {
	struct nsbox_request req;
	struct nsbox_settings set;
	struct box box;
	struct box_net net;
	struct box_record rec;
	struct nsbox_proc self; /* this supervisor */
	char hostname[NSBOX_HOSTNAME_MAX + 1];
	unsigned long long nsino[NSBOX_N_NS]; /* the box's namespaces in the index (box_ns_mark) */
	uid_t uid;
	gid_t gid;
	bool reserved;
	bool denied;                /* refused by a rule, not a failure: on_error does not apply */
	int sweeper;                /* our end of the sweeper's socket (sweeper.c) */
	pid_t sweeper_pid;
	char unit[64];              /* the box's systemd unit, where systemd runs (unit.c) */
	struct sweep_note host;     /* what it holds on the host: the sweeper has a copy */
	bool finish_after_reap;     /* its directory goes after its cgroups, once the init ended */
	int hold;                   /* the application's hold (hold.c), for every member */
	/* share = user, max_boxes (share.c) */
	int user_lock;              /* held from the lookup until the record is written */
	int join_listen;            /* a shared box's join socket */
	unsigned long long digest;
	char joined[NSBOX_ID_LEN + 1]; /* the box another supervisor took this login into */
};

/* open_box's status when another box's supervisor answered the module */
#define STATUS_JOINED 100

/* The settings for this login, from the config, the user's groups and the module's arguments. */
static int
resolve_settings(struct session *s, struct nsbox_why *why)
{
	struct nsbox_conf *conf = NULL;
	struct nsbox_conf_err cerr = { 0 };
	struct passwd pw;
	_cleanup_free_ char *pwbuf = NULL;
	char **groups = NULL;
	size_t ngroups = 0;
	char bad[300];
	int r;

	r = nsbox_conf_load(s->req.conf, 0, &conf, &cerr);
	if (r < 0) {
		char m[600];
		nsbox_conf_err_format(&cerr, m, sizeof(m));
		why_set(why, "bad config: %s", m);
		return r;
	}
	r = user_lookup(s->req.user, &pw, &pwbuf);
	if (r < 0) {
		nsbox_conf_free(conf);
		if (r == -ENOENT)
			why_set(why, "unknown user '%s'", s->req.user);
		else
			why_set(why, "cannot look up user '%s': %s", s->req.user, strerror(-r));
		return r;
	}
	s->uid = pw.pw_uid;
	s->gid = pw.pw_gid;
	/* getgrouplist asks every NSS source (dlopen of each module, remote directories): only
	 * for a config that can use the answer. A source that fails denies: the group it would
	 * have named could be the one that boxes this user. */
	r = nsbox_conf_uses_groups(conf)
		    ? login_groups(conf, &pw, &groups, &ngroups, bad, sizeof(bad)) : 0;
	if (r < 0) {
		nsbox_conf_free(conf);
		if (r == -E2BIG)
			why_set(why, "cannot list groups of '%s': more than %d groups", s->req.user,
				NSBOX_MAX_GROUPS);
		else
			why_set(why, "cannot look up group %s of '%s': %s", bad, s->req.user,
				strerror(-r));
		return r;
	}
	struct nsbox_login who = { .user = s->req.user, .service = s->req.service,
				   .groups = (const char *const *)groups, .n_groups = ngroups };
	nsbox_conf_resolve(conf, &who, &s->set);
	groups_free(groups, ngroups);
	nsbox_conf_free(conf);

	if (s->req.flags & NSBOX_REQ_ON_ERROR_ALLOW)
		s->set.on_error = NSBOX_ON_ERROR_ALLOW;
	else if (s->req.flags & NSBOX_REQ_ON_ERROR_DENY)
		s->set.on_error = NSBOX_ON_ERROR_DENY;
	return 0;
}

static int
expand_hostname(struct session *s, struct nsbox_why *why)
{
	char host[NSBOX_HOSTNAME_MAX + 1] = "";
	int r;

	if (!s->set.hostname[0])
		return 0;
	gethostname(host, sizeof(host) - 1);
	struct nsbox_tmpl_vars v = { .user = s->req.user, .id = s->box.id,
				     .service = s->req.service, .host = host };
	r = nsbox_template_expand(s->set.hostname, &v, s->hostname, sizeof(s->hostname));
	if (r < 0)
		why_set(why, "hostname template '%s' (%s): %s", s->set.hostname, s->set.matched,
			r == -EDOM ? "result is not a valid host name" : strerror(-r));
	return r;
}

/* A string PAM gave us (the remote host, the tty) as one line of printable text: control
 * characters, and with QUOTE also single quotes (for a log line that quotes it), become '?'. */
static void
printable_copy(char *dst, size_t n, const char *src, bool quote)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < n; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f || (quote && src[i] == '\'')
				 ? '?'
				 : src[i];
	dst[i] = 0;
}

/* The pid behind a pidfd, from its fdinfo; 0 when it cannot be told. */
static int
pidfd_pid(int fd)
{
	char path[64], buf[1024];
	size_t len = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	_cleanup_close_ int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0 || read_full(f, buf, sizeof(buf) - 1, &len) < 0)
		return 0;
	buf[len] = 0;
	const char *p = strstr(buf, "\nPid:");
	return p ? atoi(p + 6) : 0;
}

static int
write_record(struct session *s, const struct nsbox_reply *rep, int appfd, struct nsbox_why *why)
{
	int r;

	s->rec = (struct box_record){ .supervisor = s->self, .init = s->box.init,
				      .started = (long long)time(NULL),
				      .namespaces = s->set.namespaces };
	snprintf(s->rec.id, sizeof(s->rec.id), "%s", s->box.id);
	snprintf(s->rec.user, sizeof(s->rec.user), "%s", s->req.user);
	s->rec.uid = s->uid;
	snprintf(s->rec.service, sizeof(s->rec.service), "%s", s->req.service);
	snprintf(s->rec.hostname, sizeof(s->rec.hostname), "%s", s->hostname);
	snprintf(s->rec.ipv4, sizeof(s->rec.ipv4), "%s", rep->ipv4);
	snprintf(s->rec.ipv6, sizeof(s->rec.ipv6), "%s", rep->ipv6);
	printable_copy(s->rec.rhost, sizeof(s->rec.rhost), s->req.rhost, false);
	printable_copy(s->rec.tty, sizeof(s->rec.tty), s->req.tty, false);
	s->rec.app = pidfd_pid(appfd);
	snprintf(s->rec.profile, sizeof(s->rec.profile), "%s", nsbox_profile_name(s->set.profile));
	s->rec.caps_keep = s->set.caps_keep;
	s->rec.no_new_privs = s->set.no_new_privs;
	s->rec.seccomp = s->set.seccomp;
	s->rec.tmp_private = s->set.tmp_private;
	snprintf(s->rec.veth, sizeof(s->rec.veth), "%s", s->net.veth_made ? s->net.host_if : "");
	/* the bridge of the list that took the box */
	snprintf(s->rec.bridge, sizeof(s->rec.bridge), "%s",
		 s->set.network == NSBOX_NET_BRIDGE ? s->net.bridge : "");
	snprintf(s->rec.neighbours, sizeof(s->rec.neighbours), "%s",
		 s->set.network != NSBOX_NET_BRIDGE ? "" : s->set.isolated ? "deny" : "allow");
	nsbox_egress_text(&s->set, s->rec.egress, sizeof(s->rec.egress));
	s->rec.share = s->set.share == NSBOX_SHARE_USER;
	s->rec.digest = s->rec.share ? s->digest : 0;
	s->rec.members = 1;
	/* the uid's list first: a record that names the uid is always on it (share.c counts) */
	r = box_uid_add(s->uid, s->box.id);
	if (r < 0) {
		why_set(why, "cannot list the box under " NSBOX_USERS_DIR "/%u.boxes: %s",
			(unsigned)s->uid, strerror(-r));
		return r;
	}
	s->rec.memory_max = s->set.memory_max;
	s->rec.tasks_max = (int)s->set.tasks_max;
	s->rec.cpu_quota = (int)s->set.cpu_quota;
	snprintf(s->rec.unit, sizeof(s->rec.unit), "%s", s->unit);
	_Static_assert(sizeof(s->rec.cgroup) == sizeof(s->host.cg.dir),
		       "the record holds every cgroup");
	memcpy(s->rec.cgroup, s->host.cg.dir, sizeof(s->rec.cgroup));
	r = box_record_write(&s->rec);
	if (r < 0)
		why_set(why, "cannot write the box record: %s", strerror(-r));
	return r;
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

/* pool_share applies: a bridged box with a pooled address and a share set. */
static bool
pool_shared(const struct nsbox_settings *set)
{
	return set->pool_share && set->network == NSBOX_NET_BRIDGE &&
	       (set->address.mode == NSBOX_ADDR_POOL || set->address6.mode == NSBOX_ADDR_POOL);
}

/* With share = user, max_boxes or pool_share: under the user's lock, join the user's shared box
 * (STATUS_JOINED), or go on to build one (0) within the limits; -errno: denied. */
static int
share_begin(struct session *s, int appfd, struct nsbox_why *why)
{
	struct share_login l = { .req = &s->req, .uid = s->uid,
				 .share = s->set.share == NSBOX_SHARE_USER,
				 .on_error = (uint32_t)s->set.on_error,
				 .max_boxes = s->set.max_boxes, .sock = NSBOX_HELPER_FD,
				 .appfd = appfd };
	int r;

	if (!l.share && !l.max_boxes && !pool_shared(&s->set))
		return 0;
	s->digest = l.digest = share_digest(&s->set);
	r = share_lock_user(s->uid);
	if (r < 0) {
		why_set(why, "cannot lock " NSBOX_USERS_DIR "/%u.lock: %s", (unsigned)s->uid,
			strerror(-r));
		return r;
	}
	s->user_lock = r;
	r = share_lookup(&l, why);
	if (l.refused)
		syslog(LOG_WARNING,
		       "user '%s': %u record(s) (last: box=%s) name no live nsbox supervisor and init: "
		       "not joined",
		       s->req.user, l.refused, l.refused_id);
	if (r == SHARE_JOINED) {
		snprintf(s->joined, sizeof(s->joined), "%s", l.box);
		r = STATUS_JOINED;
	} else if (r == 0 && pool_shared(&s->set))
		r = share_pool_check(&l, &s->set, why);
	share_login_done(&l);
	return r;
}

/* The steps of open_box that need only the box's namespaces, done while the init builds the
 * box: the veth and the pool or static leases, the network namespace's name, the join socket,
 * and the record (without DHCP: its address comes later). */
static int
open_beside_init(struct session *s, struct nsbox_reply *rep, int appfd, struct nsbox_why *why)
{
	int r;

	r = hold_make(&s->hold, why);
	if (r < 0)
		return r;
	r = net_setup(&s->box, &s->set, s->req.user, &s->self, &s->net, why);
	if (s->net.corrupt)
		syslog(LOG_WARNING, "box=%s dropped %u unreadable lines from the lease files",
		       s->box.id, s->net.corrupt);
	if (r < 0)
		return r;
	if (s->net.ip4.family)
		nsbox_ip_format(&s->net.ip4, rep->ipv4, sizeof(rep->ipv4));
	if (s->net.ip6.family)
		nsbox_ip_format(&s->net.ip6, rep->ipv6, sizeof(rep->ipv6));
	if (s->set.namespaces & CLONE_NEWNET) {
		r = box_netns_add(s->box.id, s->box.init.pid);
		if (r < 0) {
			why_set(why, "cannot name the network namespace " NSBOX_NETNS_DIR
				"/" NSBOX_NETNS_PREFIX "%s: %s", s->box.id, strerror(-r));
			return r;
		}
	}
	/* before the module hears of the box: from then on, a helper started in any of its
	 * namespaces knows it is inside a box */
	r = box_ns_mark(s->box.id, s->box.init.pid, s->set.namespaces, s->nsino);
	if (r < 0) {
		why_set(why, "cannot mark the box's namespaces under " NSBOX_NS_DIR ": %s",
			strerror(-r));
		return r;
	}
	if (s->set.share == NSBOX_SHARE_USER) {
		r = share_listen(s->box.id);
		if (r < 0) {
			why_set(why, "cannot make the box's join socket: %s", strerror(-r));
			return r;
		}
		s->join_listen = r;
	}
	return write_record(s, rep, appfd, why);
}

/* box_reserve_with's BEFORE: the sweeper learns the id before its directory exists, so that
 * from the first mkdir on our death leaves nothing it cannot find. */
static int
tell_sweeper(const char *id, void *arg)
{
	struct session *s = arg;

	s->host = (struct sweep_note){
		.owner = s->self,
		.bridged = s->set.network == NSBOX_NET_BRIDGE,
		.egress = s->set.network == NSBOX_NET_BRIDGE && s->set.egress_limited,
		.v4 = s->set.address,
		.v6 = s->set.address6,
	};
	snprintf(s->host.id, sizeof(s->host.id), "%s", id);
	return sweeper_tell(s->sweeper, &s->host);
}

/* Decides and builds. Returns the reply status; on FAILED, WHY says why. */
static int
open_box(struct session *s, struct nsbox_reply *rep, int appfd, struct nsbox_why *why)
{
	int r;

	r = resolve_settings(s, why);
	if (r < 0)
		return r;
	rep->on_error = s->set.on_error;
	if (s->set.exempt)
		return NSBOX_REPLY_EXEMPT;
	/* systemd runs the user manager in the process that opens its session and closes it in
	 * another: no box can hold the manager, so every unit it started would run outside the
	 * user's box. A boxed user gets none (the application's hold would refuse its exec too). */
	if (strcmp(s->req.service, NSBOX_USER_MANAGER_SERVICE) == 0) {
		s->denied = true;
		why_set(why, "the systemd user manager is not started for a boxed user: systemd runs "
			"it in the process that opened this session, which no box can hold (exempt "
			"service=%s in nsbox.conf to let it run unboxed)", NSBOX_USER_MANAGER_SERVICE);
		return -EPERM;
	}
	r = share_begin(s, appfd, why);
	if (r != 0)
		return r;

	r = s->self.pid > 0 ? 0 : proc_id(getpid(), &s->self);
	if (r < 0) {
		why_set(why, "reading the helper's own start time: %s", strerror(-r));
		return r;
	}
	r = sweeper_ready(s->sweeper);
	if (r < 0) {
		why_set(why, "the box's sweeper did not start: %s", strerror(-r));
		return r;
	}
	r = box_reserve_with(s->box.id, &s->self, tell_sweeper, s);
	if (r < 0) {
		why_set(why, "cannot create a record under " NSBOX_BOXES_DIR ": %s",
			strerror(-r));
		return r;
	}
	s->reserved = true;
	r = sweeper_reserved(s->sweeper);
	if (r < 0) {
		why_set(why, "the box's sweeper is gone: %s", strerror(-r));
		return r;
	}
	r = expand_hostname(s, why);
	if (r < 0)
		return r;
	/* Out of the login's logind scope before the init is born, so that it is born in ours, which
	 * carries the limits; elsewhere the limits get cgroups of the box's own, which the init
	 * joins first thing. */
	if (unit_systemd_running()) {
		const pid_t pids[] = { s->self.pid, s->sweeper_pid };
		struct unit_spec u = { .id = s->box.id, .user = s->req.user, .uid = s->uid,
				       .pids = pids, .n_pids = ARRAY_SIZE(pids), .set = &s->set };
		r = unit_start(&u, s->unit, sizeof(s->unit), why);
	} else if ((r = limits_plan(s->box.id, &s->set, &s->host.cg, why)) == 0 && s->host.cg.n) {
		/* the sweeper learns of them before they exist */
		r = sweeper_tell(s->sweeper, &s->host);
		if (r == 0)
			r = sweeper_reserved(s->sweeper);
		if (r < 0)
			why_set(why, "the box's sweeper is gone: %s", strerror(-r));
		else
			r = limits_make(&s->set, &s->host.cg, why);
	}
	if (r < 0)
		return r;
	r = box_start(&s->box, &s->set, &s->host.cg, s->hostname, s->uid, s->gid, why);
	if (r < 0)
		return r;
	/* While the init mounts: what needs only its namespaces and our own state. */
	struct nsbox_why beside = { { 0 } };
	r = open_beside_init(s, rep, appfd, &beside);
	if (r < 0) {
		box_early_failure(&s->box, why);
		why_set(why, "%s", beside.msg);
		return r;
	}
	r = box_wait_ready(&s->box, why);
	if (r < 0)
		return r;
	/* DHCP and resolv.conf: in the box's network and mount namespaces as the init built them */
	r = net_finish(&s->box, &s->set, &s->net, why);
	if (r < 0 || !s->net.active || s->set.address.mode != NSBOX_ADDR_DHCP)
		return r < 0 ? r : NSBOX_REPLY_BOXED;
	/* the record again, with the address the DHCP server gave */
	if (s->net.ip4.family)
		nsbox_ip_format(&s->net.ip4, rep->ipv4, sizeof(rep->ipv4));
	r = write_record(s, rep, appfd, why);
	return r < 0 ? r : NSBOX_REPLY_BOXED;
}

/* Frees what the box holds on the host, each step in the order that keeps the next possible:
 * the network namespace's name (it would keep the box's network alive), the DHCP release
 * (needs that network), the init killed (and every process of the box with it), the veth and
 * the leases, the record. Waits for none of the box's processes: a member stuck in the kernel
 * (a hung NFS home) must not keep the host's veth, addresses and record; reap_box waits, with a
 * bound, after all of this is done. Logs each step that fails and goes on. */
static void
teardown_host(struct session *s)
{
	char what[64] = "";
	int r;

	bool failed = false;

	/* first: once the init is killed its namespaces may end, and their inode numbers may be
	 * given to new ones, which a mark of ours would then misname */
	if (s->box.id[0] && (r = box_ns_unmark(s->box.id, s->nsino)) < 0) {
		syslog(LOG_ERR, "box=%s teardown: removing its marks under " NSBOX_NS_DIR ": %s",
		       s->box.id, strerror(-r));
		failed = true;
	}
	if (s->box.id[0] && (r = box_netns_remove(s->box.id)) < 0) {
		syslog(LOG_ERR, "box=%s teardown: removing " NSBOX_NETNS_DIR "/" NSBOX_NETNS_PREFIX
		       "%s: %s", s->box.id, s->box.id, strerror(-r));
		failed = true;
	}
	if ((r = net_release_early(&s->set, &s->net, what, sizeof(what))) < 0)
		syslog(LOG_WARNING, "box=%s teardown: DHCP release: %s: %s", s->box.id, what,
		       strerror(-r));
	box_kill(&s->box);
	r = net_teardown(&s->set, &s->net, s->box.id, what, sizeof(what));
	if (r < 0) {
		syslog(LOG_ERR, "box=%s teardown: %s: %s", s->box.id, what, strerror(-r));
		failed = true;
	}
	/* After a failed step the directory stays: our sweeper finds it once we are gone and
	 * tries the steps again (sweeper.c), and failing that, the gc collects it. */
	if (s->reserved && failed)
		syslog(LOG_WARNING, "box=%s teardown: left to its sweeper", s->box.id);
	else if (s->reserved && s->host.cg.n)
		s->finish_after_reap = true; /* the record names the cgroups until they are gone */
	else if (s->reserved && (r = box_remove(s->box.id)) < 0)
		syslog(LOG_ERR, "box=%s teardown: removing its record: %s", s->box.id,
		       strerror(-r));
	s->reserved = false;
}

/* Waits BOX_REAP_TIMEOUT_MS at most for the killed init, which ends only once every process of
 * its pid namespace has. Past the bound we exit anyway: nothing of the host is held by then
 * (teardown_host), our fds close with us, and the kernel hands the init to pid 1 to reap. */
static void
reap_box(struct session *s)
{
	const pid_t init = s->box.init.pid;
	int r = box_reap(&s->box, BOX_REAP_TIMEOUT_MS);

	if (r == -ETIMEDOUT)
		syslog(LOG_WARNING,
		       "box=%s init=%d still exiting %d s after the teardown (a process of the box "
		       "is stuck in the kernel); its veth, leases and record are freed; leaving it "
		       "to the kernel",
		       s->box.id, (int)init, BOX_REAP_TIMEOUT_MS / 1000);
	else if (r < 0)
		syslog(LOG_ERR, "box=%s teardown: reaping init=%d: %s", s->box.id, (int)init,
		       strerror(-r));
	/* the box's cgroups, once nothing runs in them (the init ends last), then its directory */
	char step[96];
	if (s->finish_after_reap && (r = box_host_finish(&s->host, s->box.id, 0, step,
							 sizeof(step))) < 0)
		syslog(LOG_WARNING, "box=%s teardown: %s: %s; left to the gc", s->box.id, step,
		       strerror(-r));
	s->finish_after_reap = false;
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
	char what[400] = "";
	unsigned gone = 0;

	if (r < 0)
		syslog(LOG_WARNING, "collecting the records of ended boxes: %s", strerror(-r));
	/* after the records: a dead box's directory goes first, then its table */
	r = egress_gc(&gone, what, sizeof(what));
	if (r < 0)
		syslog(LOG_WARNING, "collecting the egress rules of ended boxes: %s", what);
	else if (gone)
		syslog(LOG_NOTICE, "removed the egress rules of %u ended box%s", gone,
		       gone == 1 ? "" : "es");
}

/* The host replaced /etc/resolv.conf (or what it leads to) and with it maybe the box's bind. */
static void
resolv_rebind(struct session *s)
{
	struct nsbox_why why = { { 0 } };
	int r = resolv_watch_handle(&s->box, &why);

	if (r > 0)
		syslog(LOG_NOTICE, "box=%s /etc/resolv.conf was replaced on the host; bound the "
				   "box's again", s->box.id);
	else if (r < 0)
		syslog(LOG_WARNING, "box=%s /etc/resolv.conf was replaced on the host and the box's "
				    "could not be bound again: %s", s->box.id, why.msg);
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
	const struct box_attach at = { .id = s->box.id, .unit = s->unit, .cg = &s->host.cg };

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
				 .attach = { .id = s->box.id, .unit = s->unit, .cg = &s->host.cg },
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

static int
session_main(void)
{
	struct session s = { 0 };
	struct nsbox_reply rep = { .version = NSBOX_PROTO_VERSION, .status = NSBOX_REPLY_FAILED };
	struct nsbox_why why = { { 0 } };
	const int sock = NSBOX_HELPER_FD;
	int appfd = -1, sfd = -1, r, status;

	s.net.netns = s.net.dhcp_pidfd = -1;
	s.box.init_pidfd = s.box.lifeline = s.box.ready = s.box.go = -1;
	s.user_lock = s.join_listen = s.sweeper = s.hold = -1;
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
	const int on_host = r = proc_on_host();
	if (r != 1) {
		status = r < 0 ? r : -EPERM;
		why_set(&why, "%s", r < 0 ? "cannot tell whether the helper runs on the host"
					  : "a login from inside a box is not boxed again");
	} else if ((r = sweeper_start(&s.sweeper, &s.sweeper_pid)) < 0) {
		status = r;
		why_set(&why, "cannot start the box's sweeper: %s", strerror(-r));
	} else
		status = open_box(&s, &rep, appfd, &why);
	if (status == NSBOX_REPLY_BOXED && (sfd = stop_signals()) < 0) {
		status = sfd;
		why_set(&why, "cannot receive stop signals (signalfd): %s", strerror(-sfd));
	}
	if (status < 0) {
		/* a limit of share.c: denied whatever on_error says */
		rep.status = status == -EUSERS || s.denied ? NSBOX_REPLY_DENIED : NSBOX_REPLY_FAILED;
		rep.error = status;
		snprintf(rep.msg, sizeof(rep.msg), "%s", why.msg[0] ? why.msg : strerror(-status));
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
	/* the record is written, or the login is another box's member now */
	nsbox_closep(&s.user_lock);
	if (status == STATUS_JOINED) {
		if (s.req.flags & NSBOX_REQ_DEBUG)
			syslog(LOG_DEBUG, "user '%s' handed to box=%s", s.req.user, s.joined);
		return EXIT_OK;
	}
	rep.status = (uint32_t)status;
	if (status == NSBOX_REPLY_EXEMPT) {
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
