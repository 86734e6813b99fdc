// SPDX-License-Identifier: BSD-3-Clause
/* share = user, in nsbox-helper (root, host namespaces): a login's helper finds the user's shared
 * box through the root-owned records under NSBOX_BOXES_DIR, verifies the box's supervisor and init
 * are the live processes the record names (the supervisor runs our own binary, the init is its
 * nsbox-init child) before it hands anything over, and passes the module's socket and the
 * application's pidfd to that supervisor over the box's root-only join socket. The supervisor
 * re-verifies its own init, answers the module as it answered the first session, and supervises
 * every member until the last one is gone. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lease.h"
#include "member.h"
#include "nsbox/array.h"
#include "nsbox/cleanup.h"
#include "share.h"

/* The join as one state machine. J: the helper of a login whose settings have share = user,
 * max_boxes or pool_share (session.c share_begin, then share_lookup and try_join). O: the
 * supervisor of a shared box (helper.c session_main, then share_supervise and accept_join). M:
 * the login's module, which takes one answer on its socket, from J or from O, never both.
 *
 * STATE        EVENT                                ACTION                          NEXT
 * J0 resolved  none of share, max_boxes, pool_share -                               build, unlocked
 *              else                                 flock UID.lock (no bound)       J1
 *              the lock fails                       FAILED "cannot lock"            refused
 * J1 locked    the uid's list cannot be read        FAILED "cannot read"            refused
 *              next record, oldest first:
 *               supervisor or init gone (a dead     skip; not counted               J1
 *               owner, a stale record, an ending)
 *               live, but no nsbox box (-EPERM)     skip; one warning a login       J1
 *               live, share, same name and digest   connect to ID/join              J2
 *               live, anything else                 counted against the limits      J1
 *              no record left                       -                               J4
 * J2 candidate connect fails (no socket, closed)    skip; not counted               J1
 *              peer not root, not the record's      skip as -EPERM (warned)         J1
 *              supervisor, or that one gone
 *              else                                 send the request, M's socket    J3
 *                                                   and app pidfd (SCM_RIGHTS)
 *               the send fails                      skip; not counted               J1
 * J3 waiting   ack 0                                unlock, exit; answer nothing    joined
 *              ack -EUSERS (max_sessions)           DENIED, the ack's message       refused
 *              other ack, or EOF without one        skip; not counted               J1
 *              JOIN_TIMEOUT_MS without an ack       shutdown(SHUT_RDWR), read:
 *               an ack was queued                   as that ack
 *               none                                FAILED "did not answer"         refused
 * J4 counted   live boxes >= max_boxes              DENIED "has N live boxes"       refused
 *              pool_share reached                   DENIED "holds N addresses"      refused
 *              (leases unreadable: FAILED)
 *              else                                 build, still locked             own box
 *                                                                                   (shared: O0)
 * O0 building  build fails                          teardown, answer M, unlock      gone
 *              built (listening since before its    unlock, answer M: BOXED,        O1
 *              record: share=1, digest, members=1)  SHARED, init pidfd and hold
 * O1 answering M's socket fails                     log, teardown; queued J: EOF    gone
 *              answered (joins queue meanwhile)     n = 1                           O2
 * O2 running   init pidfd readable                  "box init exited"               O3
 *              signalfd (nsboxctl stop)             "stopped by signal"             O3
 *              a member's ATTACH                    move the child, answer it       O2
 *              a member's CLOSE, EOF, socket error  n--, log "left", republish      O2
 *              or application exit
 *               and n = 0 (leaves before joins)     "last session ended"            O3
 *              join socket readable                 accept; the loop waits at most  O2
 *                                                   JOIN_RECV_MS for the request:
 *               peer not root, not our executable;  close, no ack, no log
 *               no request, or not 1 record + 2 fds
 *               bad version, strings, socket type   ack -EPROTO
 *               other name, uid or digest           ack -EXDEV
 *               n >= max_sessions (none:            ack -EUSERS, log it
 *               BOX_MEMBERS_MAX)
 *               init gone                           ack -ESHUTDOWN
 *               no memory                           ack -ENOMEM
 *               ack 0 cannot be sent (J gave up)    drop it; answer nobody
 *               ack 0 sent, M's socket fails        drop it, log
 *               ack 0 sent                          answer M as the first (with J's
 *                                                   own on_error), n++, log
 *                                                   "joined", republish
 * O3 ending    -                                    close the join socket (queued   gone
 *                                                   J: EOF), teardown, log "ended"
 *
 * One answer: O answers M only once its ack 0 went out, J only when it read no ack 0, and J's
 * shutdown at its timeout leaves an ack either queued for it or never sent (try_join). A
 * member's M at close queues CLOSE and kills nothing: O ends the box with its last member. A dead
 * O (SIGKILL, the OOM killer) takes its init along (PDEATHSIG), its sweeper frees what the box
 * held, and its record names a dead supervisor until it goes (J1: skipped).
 *
 * Bounds: JOIN_TIMEOUT_MS (share.h), J's wait for each ack, counted in helper.c's worst case;
 * JOIN_RECV_MS, O's wait for the request of a join it accepted; NSBOX_REPLY_TIMEOUT_MIN_MS, M's
 * wait for any answer, the wait for the lock included. The lock has no bound of its own: it lasts
 * as long as what its holder does under it. A member has no timer: it lasts as long as its
 * application and its socket.
 *
 * The lock, NSBOX_USERS_DIR/UID.lock: one per uid (a second name or spelling of it takes the
 * same), taken by J0 only, held over the lookup, the join, the counts and the whole build of a
 * box (record, DHCP, the record again); let go when joined (after the ack), built (before M's
 * answer) or refused (after the teardown and the answer). O never takes it: its loop alone orders
 * joins and leaves. A login with none of the three keys takes none, so its box can appear during
 * another login's count.
 *
 * Who logs: M the one line of a refused login (the answer's message); J only the warning for
 * records that name no box, and a debug line for a join; O each join, leave and end, a
 * max_sessions refusal, and a member whose module went away before its answer. */

#define SHARE_PROTO      2  /* 2: the joiner's own on_error */
#define JOIN_RECV_MS     5000  /* a joiner sends its request right after connecting */

/* Joining helper → owner, with two fds: the module's socket and the application's pidfd. */
struct share_join {
	uint32_t version;
	uint32_t uid;
	uint64_t digest;
	uint32_t on_error; /* the joiner's: what its module falls back to is its own service's */
	uint32_t pad;
	struct nsbox_request req;
};

/* Owner → joining helper: 0 joined (the owner answers the module), -EUSERS the box is full (the
 * login is denied), anything else: not joinable (the joiner goes on to its next box, J3). */
struct share_ack {
	int32_t status;
	uint32_t members;
	char msg[256];
};

/* ---- digest and lock ---- */

unsigned long long
share_digest(const struct nsbox_settings *s)
{
	struct nsbox_settings c = *s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned long long h = 0xcbf29ce484222325ull; /* FNV-1a 64 */

	if (!f)
		return 0;
	/* what happens when a box cannot be built does not shape a box that stands (the module's
	 * on_error argument may differ between services) */
	c.on_error = NSBOX_ON_ERROR_DENY;
	nsbox_settings_print(f, &c);
	if (fclose(f) != 0) {
		free(buf);
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)buf[i];
		h *= 0x100000001b3ull;
	}
	free(buf);
	return h ? h : 1; /* 0 is "no digest" in a record */
}

int
share_lock_user(uid_t uid)
{
	char name[32];
	int fd;

	if (mkdir(NSBOX_RUN_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(NSBOX_USERS_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	_cleanup_close_ int dfd = open_private_dir(NSBOX_USERS_DIR);
	if (dfd < 0)
		return dfd;
	snprintf(name, sizeof(name), "%u.lock", (unsigned)uid);
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int r = -errno;
			close(fd);
			return r;
		}
	}
	return fd;
}

/* Exactly LEN bytes and exactly two fds (into FDS, close-on-exec), or -EBADMSG with none kept. */
static int
recv_two_fds(int sock, void *buf, size_t len, int fds[2])
{
	int r = nsbox_recv_fds(sock, buf, len, fds, 2, MSG_DONTWAIT);

	if (r == 2 || r < 0)
		return r < 0 ? r : 0;
	nsbox_closep(&fds[0]);
	fds[0] = -1;
	return -EBADMSG;
}

/* ---- who is at the other end ---- */

/* Whether process PID runs the same executable file as we do (nsbox-helper). */
static bool
same_exe(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	return stat("/proc/self/exe", &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* 1 when R names a live box of ours (its supervisor runs our executable), not our own; else as
 * box_record_live. */
static int
record_verified(const struct box_record *r)
{
	return r->supervisor.pid == getpid() ? 0 : box_record_live(r, same_exe);
}

static int
peer_cred(int sock, struct ucred *uc)
{
	socklen_t l = sizeof(*uc);

	return getsockopt(sock, SOL_SOCKET, SO_PEERCRED, uc, &l) < 0 ? -errno : 0;
}

static int
join_addr(const char *id, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	return box_path(id, BOX_JOIN, sa->sun_path, sizeof(sa->sun_path));
}

/* ---- the joining side ---- */

struct candidates {
	struct box_record *v;
	size_t n, cap;
};

static int
collect_user(const struct box_record *r, void *arg)
{
	struct candidates *c = arg;
	struct box_record *v = nsbox_grow(c->v, c->n, &c->cap, sizeof(*v), 8);

	if (!v)
		return -ENOMEM;
	c->v = v;
	c->v[c->n++] = *r;
	return 0;
}

/* Hands L's session to box R's supervisor: 0 joined, -EUSERS full (ACK's message in ERR),
 * -ETIMEDOUT no ack in time (ERR; the owner will not answer the module either), -ESHUTDOWN or a
 * connection error: not joinable now. */
static int
try_join(const struct box_record *r, struct share_login *l, struct nsbox_err *err)
{
	struct sockaddr_un sa;
	struct ucred uc;
	struct share_join j = { .version = SHARE_PROTO, .uid = (uint32_t)l->uid,
				.digest = l->digest, .on_error = l->on_error, .req = *l->req };
	struct share_ack ack;
	int fds[2] = { l->sock, l->appfd };
	int e = join_addr(r->id, &sa);

	if (e < 0)
		return e;
	_cleanup_close_ int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -errno;
	if (connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	/* the listener is the record's supervisor, still the same process, and root */
	e = peer_cred(c, &uc);
	if (e < 0)
		return e;
	if (uc.uid != 0 || uc.pid != r->supervisor.pid || proc_alive(&r->supervisor) != 1)
		return -EPERM;
	e = nsbox_send_fds(c, &j, sizeof(j), fds, 2);
	if (e < 0)
		return e;
	struct pollfd p = { .fd = c, .events = POLLIN };
	do
		e = poll(&p, 1, JOIN_TIMEOUT_MS);
	while (e < 0 && errno == EINTR);
	/* Late, the owner may be acking this very moment and then answer the module. Once our end
	 * is shut, its ack can no longer be sent (the kernel checks and queues under our socket's
	 * lock), and an owner whose ack failed leaves the module to us (accept_join): what it said is
	 * queued by now, or it never says it. So exactly one of us answers. */
	const bool late = e <= 0;
	if (late)
		(void)shutdown(c, SHUT_RDWR); /* fails only with no peer left to send */
	e = nsbox_recv(c, &ack, sizeof(ack), NULL);
	if (e < 0 && late) {
		err_set(err, -ETIMEDOUT, "box %s did not answer the join within %d s", r->id,
			JOIN_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	if (e < 0)
		return e == -ECONNRESET ? -ESHUTDOWN : e; /* closed before it took us: not joined */
	ack.msg[sizeof(ack.msg) - 1] = 0;
	if (ack.status == -EUSERS)
		err_set(err, ack.status, "%s",
			nsbox_str_ok(ack.msg, sizeof(ack.msg)) ? ack.msg : "box full");
	return ack.status > 0 ? -EPROTO : ack.status;
}

static int
by_age(const void *a, const void *b)
{
	const struct box_record *x = a, *y = b;

	return x->started < y->started ? -1 : x->started > y->started;
}

/* One more of the user's live boxes, for pool_share. */
static int
keep_id(struct share_login *l, const char *id)
{
	void *v = reallocarray(l->ids, l->n_ids + 1, sizeof(*l->ids));

	if (!v)
		return -ENOMEM;
	l->ids = v;
	snprintf(l->ids[l->n_ids++], sizeof(l->ids[0]), "%s", id);
	return 0;
}

void
share_login_done(struct share_login *l)
{
	free(l->ids);
	l->ids = NULL;
	l->n_ids = 0;
}

int
share_lookup(struct share_login *l, struct nsbox_err *err)
{
	struct candidates c = { .v = NULL };
	size_t live = 0;
	int r;

	l->box[0] = 0;
	l->refused = 0;
	share_login_done(l);
	/* The boxes of the login's uid, whatever name they were opened under: a second name for
	 * the uid (useradd -o) or another spelling a case-insensitive directory accepts is the same
	 * user to the kernel, and a limit counted by name would let it past. From the uid's own
	 * list, not by reading every record of the host at every login. */
	r = box_scan_uid(l->uid, collect_user, &c);
	if (r < 0) {
		free(c.v);
		err_set(err, r, "cannot read " NSBOX_BOXES_DIR ": %s", strerror(-r));
		return r;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), by_age);
	for (size_t i = 0; i < c.n; i++) {
		struct box_record *b = &c.v[i];
		int v = record_verified(b);
		if (v != 1) {
			/* gone, or alive by its record's word only: not counted, never joined */
			if (v == -EPERM) {
				l->refused++;
				snprintf(l->refused_id, sizeof(l->refused_id), "%s", b->id);
			}
			continue;
		}
		/* only a box opened under the same name: the name shapes the box (its hostname,
		 * its records) as much as the settings do */
		if (l->share && b->share && b->digest == l->digest && !l->box[0] &&
		    !strcmp(b->user, l->req->user)) {
			r = try_join(b, l, err);
			if (r == 0) {
				snprintf(l->box, sizeof(l->box), "%s", b->id);
				free(c.v);
				return SHARE_JOINED;
			}
			if (r == -EUSERS || r == -ETIMEDOUT) {
				free(c.v);
				return r;
			}
			if (r == -EPERM) {
				l->refused++;
				snprintf(l->refused_id, sizeof(l->refused_id), "%s", b->id);
				continue;
			}
			/* ending (or its socket gone): it will not be the user's box for long */
			continue;
		}
		live++;
		if ((r = keep_id(l, b->id)) < 0) {
			free(c.v);
			err_set(err, r, "counting the boxes of user '%s': %s", l->req->user,
				strerror(-r));
			return r;
		}
	}
	free(c.v);
	if (l->max_boxes && live >= l->max_boxes) {
		err_set(err, -EUSERS, "user '%s' (uid %u) has %zu live boxes (max_boxes = %u)",
			l->req->user, (unsigned)l->uid, live, l->max_boxes);
		return -EUSERS;
	}
	return 0;
}

/* What the user's boxes hold of pool SPEC (GW its gateway) against S's share of it. */
static int
pool_check(const struct share_login *l, const struct nsbox_settings *s,
	   const struct nsbox_addrspec *spec, const struct nsbox_ip *gw, struct nsbox_err *err)
{
	unsigned long long size = nsbox_pool_size(spec, gw), limit = nsbox_pool_share_limit(s, size);
	char pool[INET6_ADDRSTRLEN * 3 + 16], share[96];
	_cleanup_free_ const char **ids = NULL;
	int held;

	if (spec->mode != NSBOX_ADDR_POOL || !limit)
		return 0;
	ids = calloc(l->n_ids ? l->n_ids : 1, sizeof(*ids));
	if (!ids) {
		err_set(err, -ENOMEM, "counting the leases of user '%s': out of memory",
			l->req->user);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l->n_ids; i++)
		ids[i] = l->ids[i];
	nsbox_addrspec_text(spec, pool, sizeof(pool));
	held = lease_count_held_by(NSBOX_LEASE_DIR, spec, ids, l->n_ids, lease_owner_alive);
	if (held < 0) {
		err_set(err, held, "counting the leases of user '%s' in pool %s: %s", l->req->user,
			pool, strerror(-held));
		return held;
	}
	if ((unsigned long long)held < limit)
		return 0;
	if (s->pool_share_pct)
		snprintf(share, sizeof(share), "pool_share = %u%% of %llu addresses: %llu",
			 s->pool_share, size, limit);
	else
		snprintf(share, sizeof(share), "pool_share = %llu", limit);
	err_set(err, -EUSERS, "user '%s' (uid %u) holds %d address%s of pool %s (%s) (%s)",
		l->req->user, (unsigned)l->uid, held, held == 1 ? "" : "es", pool, s->matched,
		share);
	return -EUSERS;
}

int
share_pool_check(const struct share_login *l, const struct nsbox_settings *s,
		 struct nsbox_err *err)
{
	int r = 0;

	if (!nsbox_net_veth(s->network))
		return 0;
	r = pool_check(l, s, &s->address, &s->gateway, err);
	return r < 0 ? r : pool_check(l, s, &s->address6, &s->gateway6, err);
}

/* ---- the owner ---- */

int
share_listen(const char *id)
{
	struct sockaddr_un sa;
	int e = join_addr(id, &sa);

	if (e < 0)
		return e;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* the directory is root's and 0700: nobody else can reach the socket; the mode says so too */
	mode_t old = umask(077);
	e = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (e < 0 || listen(fd, 128) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static void
info_from(struct box_member *m, const struct nsbox_request *req, int appfd)
{
	memset(m, 0, sizeof(*m));
	m->started = (long long)time(NULL);
	snprintf(m->service, sizeof(m->service), "%s", req->service);
	snprintf(m->tty, sizeof(m->tty), "%s", req->tty);
	snprintf(m->rhost, sizeof(m->rhost), "%s", req->rhost);
	m->app = proc_pidfd_pid(appfd);
}

static int
member_add(struct share_owner *o, int sock, int appfd, const struct nsbox_request *req)
{
	struct share_member *v = nsbox_grow(o->m, o->n, &o->cap, sizeof(*v), 8);

	if (!v)
		return -ENOMEM;
	o->m = v;
	struct share_member *m = &o->m[o->n++];
	m->sock = sock;
	m->appfd = appfd;
	info_from(&m->info, req, appfd);
	return 0;
}

/* The record's member count and the member list, after each change; a failure only makes
 * nsboxctl's view stale, so it is logged, not fatal. */
static void
publish(struct share_owner *o)
{
	struct box_member *v = calloc(o->n ? o->n : 1, sizeof(*v));
	int r;

	for (size_t i = 0; v && i < o->n; i++)
		v[i] = o->m[i].info;
	r = v ? box_members_write(o->id, v, o->n) : -ENOMEM;
	free(v);
	o->rec->members = (int)o->n;
	if (r == 0)
		r = box_record_write(o->rec);
	if (r < 0)
		syslog(LOG_WARNING, "box=%s cannot rewrite its record: %s", o->id, strerror(-r));
}

static void
log_member(const struct share_owner *o, const struct box_member *m, const char *what,
	   const char *reason)
{
	char rhost[sizeof(m->rhost)], tty[sizeof(m->tty)];

	printable_copy(rhost, sizeof(rhost), m->rhost, true);
	printable_copy(tty, sizeof(tty), m->tty, true);
	syslog(LOG_INFO, "box=%s %s: user='%s' service='%s' rhost='%s' tty='%s' app=%d%s%s%s members=%zu",
	       o->id, what, o->user, m->service, rhost, tty, m->app, reason ? " reason='" : "",
	       reason ? reason : "", reason ? "'" : "", o->n);
}

static void
member_remove(struct share_owner *o, size_t i, const char *reason)
{
	struct box_member info = o->m[i].info;

	nsbox_closep(&o->m[i].sock);
	nsbox_closep(&o->m[i].appfd);
	memmove(&o->m[i], &o->m[i + 1], (o->n - i - 1) * sizeof(o->m[0]));
	o->n--;
	log_member(o, &info, "left", reason);
	if (o->n)
		publish(o);
}

static bool
init_alive(const struct share_owner *o)
{
	struct pollfd p = { .fd = o->init_pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 0 && proc_alive(&o->init) == 1;
}

static void
ack(int c, int status, size_t members, const char *msg, bool *sent)
{
	struct share_ack a = { .status = status, .members = (uint32_t)members };

	snprintf(a.msg, sizeof(a.msg), "%s", msg ? msg : "");
	*sent = nsbox_send(c, &a, sizeof(a), -1) == 0;
}

/* One joining login on the listening socket: verified, answered, and made a member. */
static void
accept_join(struct share_owner *o)
{
	struct share_join j;
	struct ucred uc;
	int fds[2] = { -1, -1 }, r;
	bool sent = false;
	char msg[256];

	_cleanup_close_ int c = accept4(o->listen, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	/* only another nsbox-helper, as root, hands us a session */
	if (peer_cred(c, &uc) < 0 || uc.uid != 0 || !same_exe(uc.pid))
		return;
	struct pollfd p = { .fd = c, .events = POLLIN };
	if (poll(&p, 1, JOIN_RECV_MS) <= 0)
		return;
	if (recv_two_fds(c, &j, sizeof(j), fds) < 0)
		return;
	_cleanup_close_ int msock = fds[0], mapp = fds[1];
	int type = 0;
	socklen_t tl = sizeof(type);
	if (j.version != SHARE_PROTO ||
	    (j.on_error != NSBOX_ON_ERROR_DENY && j.on_error != NSBOX_ON_ERROR_ALLOW) ||
	    !nsbox_str_ok(j.req.user, sizeof(j.req.user)) ||
	    !nsbox_str_ok(j.req.service, sizeof(j.req.service)) ||
	    getsockopt(msock, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET) {
		ack(c, -EPROTO, o->n, "bad join request", &sent);
		return;
	}
	j.req.rhost[sizeof(j.req.rhost) - 1] = 0;
	j.req.tty[sizeof(j.req.tty) - 1] = 0;
	/* this box is for one user and one set of settings: anything else builds its own */
	if (strcmp(j.req.user, o->user) != 0 || j.uid != (uint32_t)o->uid || j.digest != o->digest) {
		ack(c, -EXDEV, o->n, "another user or other settings", &sent);
		return;
	}
	unsigned max = o->max_sessions ? o->max_sessions : BOX_MEMBERS_MAX;
	if (o->n >= max) {
		snprintf(msg, sizeof(msg), "box %s has %zu sessions (max_sessions = %u)", o->id, o->n,
			 max);
		ack(c, -EUSERS, o->n, msg, &sent);
		syslog(LOG_NOTICE, "box=%s refused a session of user '%s': %s", o->id, o->user, msg);
		return;
	}
	if (!init_alive(o)) {
		ack(c, -ESHUTDOWN, o->n, "box ending", &sent);
		return;
	}
	r = member_add(o, msock, mapp, &j.req);
	if (r < 0) {
		ack(c, r, o->n, "out of memory", &sent);
		return;
	}
	/* The joiner exits on this ack and never answers the module: only then do we. */
	ack(c, 0, o->n, NULL, &sent);
	if (!sent) {
		o->n--; /* it gave up (timeout): it answers the module, not us */
		return;
	}
	steal_fd(msock);
	steal_fd(mapp);
	struct share_member *m = &o->m[o->n - 1];
	/* the box's answer, with what this login's module falls back to if joining fails: its own
	 * service's on_error, never the first login's (the digest leaves on_error out, so a login
	 * whose service says deny can share a box with one whose service says allow) */
	struct nsbox_reply rep = o->rep;
	rep.on_error = j.on_error;
	r = nsbox_send_fds(m->sock, &rep, sizeof(rep), (const int[]){ o->init_pidfd, o->hold }, 2);
	if (r < 0) {
		syslog(LOG_WARNING, "box=%s module of user '%s' went away before the reply: %s",
		       o->id, o->user, strerror(-r));
		nsbox_closep(&m->sock);
		nsbox_closep(&m->appfd);
		o->n--;
		return;
	}
	log_member(o, &m->info, "joined", NULL);
	publish(o);
}

/* What member M's socket and application say: NULL while the session goes on, else why it
 * ended. */
static const char *
member_event(const struct share_owner *o, struct share_member *m, short sock_ev, short app_ev)
{
	const char *why = session_event(m->sock, sock_ev, m->info.app, &o->attach);

	return why ? why : app_ev ? "application exited" : NULL;
}

const char *
share_supervise(struct share_owner *o, int sock, int appfd, int sfd,
		const struct nsbox_request *req)
{
	struct rlimit rl = { 2 * BOX_MEMBERS_MAX + 64, 2 * BOX_MEMBERS_MAX + 64 };
	const char *reason = NULL;
	struct pollfd *p = NULL;

	/* two fds per member */
	setrlimit(RLIMIT_NOFILE, &rl);
	if (member_add(o, sock, appfd, req) < 0)
		return "out of memory";
	publish(o);

	while (!reason) {
		size_t np = 4 + 2 * o->n;
		struct pollfd *q = realloc(p, np * sizeof(*p));
		if (!q) {
			reason = "out of memory";
			break;
		}
		p = q;
		p[0] = (struct pollfd){ .fd = o->listen, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = o->init_pidfd, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		p[3] = (struct pollfd){ .fd = o->watch_fd, .events = POLLIN };
		for (size_t i = 0; i < o->n; i++) {
			p[4 + 2 * i] = (struct pollfd){ .fd = o->m[i].sock, .events = POLLIN };
			p[5 + 2 * i] = (struct pollfd){ .fd = o->m[i].appfd, .events = POLLIN };
		}
		if (poll(p, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			reason = "poll failed";
			break;
		}
		if (p[1].revents) {
			reason = "box init exited";
			break;
		}
		if (p[2].revents) {
			reason = "stopped by signal";
			break;
		}
		if (p[3].revents && o->on_watch)
			o->on_watch(o->watch_arg);
		/* Leaves first, from the last so the indexes of p stay right; a join in the same
		 * round is taken only while a member is left: the box ends when its last session
		 * does, and a login racing that ending builds a box of its own. */
		size_t before = o->n;
		for (size_t i = before; i-- > 0;) {
			const char *why = member_event(o, &o->m[i], p[4 + 2 * i].revents,
						       p[5 + 2 * i].revents);
			if (why)
				member_remove(o, i, why);
		}
		if (o->n == 0) {
			reason = "last session ended";
			break;
		}
		if (p[0].revents)
			accept_join(o);
	}
	/* no joins from here: a login that has connected finds the socket closed and builds anew */
	nsbox_closep(&o->listen);
	o->listen = -1;
	free(p);
	return reason;
}
