// SPDX-License-Identifier: BSD-3-Clause
/* One login's box in nsbox-helper's supervisor (root, host namespaces): the settings resolved for
 * the login, the per-user limits and the shared box (share.c), the box built beside its network,
 * record and sweeper, and freed again on the host once it ends. Returns 0 or -errno with ERR
 * filled; only the teardown logs, one line a failed step. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "groups.h"
#include "nsbox/cleanup.h"
#include "pamstack.h"
#include "session.h"

/* The settings for this login, from the config, the user's groups and the module's arguments. */
static int
resolve_settings(struct session *s, struct nsbox_err *err)
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
		err_set(err, r, "bad config: %s", m);
		return r;
	}
	r = user_lookup(s->req.user, &pw, &pwbuf);
	if (r < 0) {
		nsbox_conf_free(conf);
		if (r == -ENOENT)
			err_set(err, r, "unknown user '%s'", s->req.user);
		else
			err_set(err, r, "cannot look up user '%s': %s", s->req.user, strerror(-r));
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
			err_set(err, r, "cannot list groups of '%s': more than %d groups",
				s->req.user, NSBOX_MAX_GROUPS);
		else
			err_set(err, r, "cannot look up group %s of '%s': %s", bad, s->req.user,
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
expand_hostname(struct session *s, struct nsbox_err *err)
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
		err_set(err, r, "hostname template '%s' (%s): %s", s->set.hostname, s->set.matched,
			r == -EDOM ? "result is not a valid host name" : strerror(-r));
	return r;
}

static int
write_record(struct session *s, const struct nsbox_reply *rep, int appfd, struct nsbox_err *err)
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
	s->rec.app = proc_pidfd_pid(appfd);
	snprintf(s->rec.profile, sizeof(s->rec.profile), "%s", nsbox_profile_name(s->set.profile));
	s->rec.caps_keep = s->set.caps_keep;
	s->rec.no_new_privs = s->set.no_new_privs;
	s->rec.seccomp = s->set.seccomp;
	s->rec.tmp_private = s->set.tmp_private;
	snprintf(s->rec.network, sizeof(s->rec.network), "%s",
		 s->set.network == NSBOX_NET_ROUTED ? "routed"
		 : s->set.network == NSBOX_NET_BRIDGE ? "bridge" : "none");
	snprintf(s->rec.veth, sizeof(s->rec.veth), "%s",
		 s->held.h.what & HELD_VETH ? s->net.host_if : "");
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
		err_set(err, r, "cannot list the box under " NSBOX_USERS_DIR "/%u.boxes: %s",
			(unsigned)s->uid, strerror(-r));
		return r;
	}
	s->rec.memory_max = s->set.memory_max;
	s->rec.tasks_max = (int)s->set.tasks_max;
	s->rec.cpu_quota = (int)s->set.cpu_quota;
	snprintf(s->rec.unit, sizeof(s->rec.unit), "%s", s->unit);
	_Static_assert(sizeof(s->rec.cgroup) == sizeof(s->held.h.cg.dir),
		       "the record shows every cgroup");
	memcpy(s->rec.cgroup, s->held.h.cg.dir, sizeof(s->rec.cgroup));
	r = box_record_write(&s->rec);
	if (r < 0)
		err_set(err, r, "cannot write the box record: %s", strerror(-r));
	return r;
}

/* pool_share applies: a bridged or routed box with a pooled address and a share set. */
static bool
pool_shared(const struct nsbox_settings *set)
{
	return set->pool_share && nsbox_net_veth(set->network) &&
	       (set->address.mode == NSBOX_ADDR_POOL || set->address6.mode == NSBOX_ADDR_POOL);
}

/* With share = user, max_boxes or pool_share: under the user's lock, join the user's shared box
 * (0, *OUT SESSION_JOINED), or go on to build one (0) within the limits; -errno: denied. */
static int
share_begin(struct session *s, int appfd, enum session_outcome *out, struct nsbox_err *err)
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
		err_set(err, r, "cannot lock " NSBOX_USERS_DIR "/%u.lock: %s", (unsigned)s->uid,
			strerror(-r));
		return r;
	}
	s->user_lock = r;
	r = share_lookup(&l, err);
	if (l.refused)
		syslog(LOG_WARNING,
		       "user '%s': %u record(s) (last: box=%s) name no live nsbox supervisor and init: "
		       "not joined",
		       s->req.user, l.refused, l.refused_id);
	if (r == SHARE_JOINED) {
		snprintf(s->joined, sizeof(s->joined), "%s", l.box);
		*out = SESSION_JOINED;
		r = 0;
	} else if (r == 0 && pool_shared(&s->set))
		r = share_pool_check(&l, &s->set, err);
	share_login_done(&l);
	return r;
}

/* The steps of open_box that need only the box's namespaces, done while the init builds the
 * box: the veth and the pool or static leases, the network namespace's name, the join socket,
 * and the record (without DHCP: its address comes later). */
static int
open_beside_init(struct session *s, struct nsbox_reply *rep, int appfd, struct nsbox_err *err)
{
	int r;

	r = hold_make(&s->hold, err);
	if (r < 0)
		return r;
	r = net_setup(&s->box, &s->set, s->req.user, &s->self, &s->held, &s->net, err);
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
			err_set(err, r, "cannot name the network namespace " NSBOX_NETNS_DIR
				"/" NSBOX_NETNS_PREFIX "%s: %s", s->box.id, strerror(-r));
			return r;
		}
	}
	/* before the module hears of the box: from then on, a helper started in any of its
	 * namespaces knows it is inside a box */
	r = box_ns_mark(s->box.id, s->box.init.pid, s->set.namespaces, s->nsino);
	if (r < 0) {
		err_set(err, r, "cannot mark the box's namespaces under " NSBOX_NS_DIR ": %s",
			strerror(-r));
		return r;
	}
	if (s->set.share == NSBOX_SHARE_USER) {
		r = share_listen(s->box.id);
		if (r < 0) {
			err_set(err, r, "cannot make the box's join socket: %s", strerror(-r));
			return r;
		}
		s->join_listen = r;
	}
	return write_record(s, rep, appfd, err);
}

/* box_reserve_with's BEFORE: the sweeper learns the id before its directory exists, so that
 * from the first mkdir on our death leaves nothing it cannot find. */
static int
tell_sweeper(const char *id, void *arg)
{
	struct session *s = arg;
	struct sweep_note n = { .owner = s->self };

	snprintf(n.id, sizeof(n.id), "%s", id);
	return sweeper_tell(s->sweeper, &n);
}

/* Decides and builds: 0 with *OUT, or -errno with ERR saying why. */
int
open_box(struct session *s, struct nsbox_reply *rep, int appfd, enum session_outcome *out,
	 struct nsbox_err *err)
{
	int r;

	*out = SESSION_BUILT;
	r = resolve_settings(s, err);
	if (r < 0)
		return r;
	rep->on_error = s->set.on_error;
	if (s->set.exempt) {
		*out = SESSION_EXEMPT;
		return 0;
	}
	/* systemd runs the user manager in the process that opens its session and closes it in
	 * another: no box can hold the manager, so every unit it started would run outside the
	 * user's box. A boxed user gets none (the application's hold would refuse its exec too). */
	if (strcmp(s->req.service, NSBOX_USER_MANAGER_SERVICE) == 0) {
		s->denied = true;
		err_set(err, -EPERM,
			"the systemd user manager is not started for a boxed user: systemd runs "
			"it in the process that opened this session, which no box can hold (exempt "
			"service=%s in nsbox.conf to let it run unboxed)", NSBOX_USER_MANAGER_SERVICE);
		return -EPERM;
	}
	r = share_begin(s, appfd, out, err);
	if (r < 0 || *out == SESSION_JOINED)
		return r;

	r = s->self.pid > 0 ? 0 : proc_id(getpid(), &s->self);
	if (r < 0) {
		err_set(err, r, "reading the helper's own start time: %s", strerror(-r));
		return r;
	}
	r = sweeper_ready(s->sweeper);
	if (r < 0) {
		err_set(err, r, "the box's sweeper did not start: %s", strerror(-r));
		return r;
	}
	r = box_reserve_with(s->box.id, &s->self, tell_sweeper, s);
	if (r < 0) {
		err_set(err, r, "cannot create a record under " NSBOX_BOXES_DIR ": %s",
			strerror(-r));
		return r;
	}
	s->reserved = true;
	r = sweeper_reserved(s->sweeper);
	if (r < 0) {
		err_set(err, r, "the box's sweeper is gone: %s", strerror(-r));
		return r;
	}
	held_start(&s->held, s->box.id);
	r = expand_hostname(s, err);
	if (r < 0)
		return r;
	/* Out of the login's logind scope before the init is born, so that it is born in ours, which
	 * carries the limits; elsewhere the limits get cgroups of the box's own, which the init
	 * joins first thing. */
	if (unit_systemd_running()) {
		const pid_t pids[] = { s->self.pid, s->sweeper_pid };
		struct unit_spec u = { .id = s->box.id, .user = s->req.user, .uid = s->uid,
				       .pids = pids, .n_pids = ARRAY_SIZE(pids), .set = &s->set };
		r = unit_start(&u, s->unit, sizeof(s->unit), err);
	} else if ((r = limits_plan(s->box.id, &s->set, &s->held.h.cg, err)) == 0 &&
		   s->held.h.cg.n) {
		r = held_add(&s->held, HELD_CGROUPS);
		if (r < 0)
			err_set(err, r, "noting the box's cgroups in its directory: %s",
				strerror(-r));
		else
			r = limits_make(&s->set, &s->held.h.cg, err);
	}
	if (r < 0)
		return r;
	r = box_start(&s->box, &s->set, &s->held.h.cg, s->hostname, s->uid, s->gid, err);
	if (r < 0)
		return r;
	/* While the init mounts: what needs only its namespaces and our own state. */
	struct nsbox_err beside = { 0 };
	r = open_beside_init(s, rep, appfd, &beside);
	if (r < 0) {
		box_early_failure(&s->box, err);
		err_take(err, &beside);
		return r;
	}
	r = box_wait_ready(&s->box, err);
	if (r < 0)
		return r;
	/* DHCP and resolv.conf: in the box's network and mount namespaces as the init built them */
	r = net_finish(&s->box, &s->set, &s->net, err);
	if (r < 0 || !s->net.active || s->set.address.mode != NSBOX_ADDR_DHCP)
		return r < 0 ? r : 0;
	/* the record again, with the address the DHCP server gave */
	if (s->net.ip4.family)
		nsbox_ip_format(&s->net.ip4, rep->ipv4, sizeof(rep->ipv4));
	r = write_record(s, rep, appfd, err);
	return r < 0 ? r : 0;
}

/* Frees what the box holds on the host, each step in the order that keeps the next possible:
 * the network namespace's name (it would keep the box's network alive), the DHCP release
 * (needs that network), the init killed (and every process of the box with it), the veth and
 * the leases, the record. Waits for none of the box's processes: a member stuck in the kernel
 * (a hung NFS home) must not keep the host's veth, addresses and record; reap_box waits, with a
 * bound, after all of this is done. Logs each step that fails and goes on. */
void
teardown_host(struct session *s)
{
	struct nsbox_err err = { 0 };
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
	if (net_release_early(&s->set, &s->net, &err) < 0)
		syslog(LOG_WARNING, "box=%s teardown: DHCP release: %s", s->box.id, err.msg);
	err_clear(&err);
	box_kill(&s->box);
	net_close(&s->net);
	if (held_release(&s->held.h, &err) < 0) {
		syslog(LOG_ERR, "box=%s teardown: %s", s->box.id, err.msg);
		failed = true;
	}
	/* After a failed step the directory stays: our sweeper finds it once we are gone and
	 * tries the steps again (sweeper.c), and failing that, the gc collects it. */
	if (s->reserved && failed)
		syslog(LOG_WARNING, "box=%s teardown: left to its sweeper", s->box.id);
	else if (s->reserved && (s->held.h.what & HELD_CGROUPS))
		s->finish_after_reap = true; /* the record names the cgroups until they are gone */
	else if (s->reserved && (r = box_remove(s->box.id)) < 0)
		syslog(LOG_ERR, "box=%s teardown: removing its record: %s", s->box.id,
		       strerror(-r));
	s->reserved = false;
}

/* Waits BOX_REAP_TIMEOUT_MS at most for the killed init, which ends only once every process of
 * its pid namespace has. Past the bound we exit anyway: nothing of the host is held by then
 * (teardown_host), our fds close with us, and the kernel hands the init to pid 1 to reap. */
void
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
	struct nsbox_err err = { 0 };
	if (s->finish_after_reap && held_finish(&s->held.h, s->box.id, 0, &err) < 0)
		syslog(LOG_WARNING, "box=%s teardown: %s; left to the gc", s->box.id, err.msg);
	s->finish_after_reap = false;
}
