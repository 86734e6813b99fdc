// SPDX-License-Identifier: BSD-3-Clause
/* Bridged and routed networking of one box, in nsbox-helper's supervisor (root, host namespaces):
 * the bridge check, address leases, the veth pair, addresses and routes set from a short child
 * inside the box; DHCP (dhcp.c) and resolv.conf (resolv.c) in order; and the teardown after the
 * session. A routed box's host end is routed.c's in place of the bridge attach. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "helper.h"
#include "lease.h"
#include "nsbox/cleanup.h"

/* Locally administered unicast MAC, stable for the same key. */
static void
derive_mac(const char *key, unsigned char mac[6])
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)(h >> (8 * i));
	mac[0] = (unsigned char)((mac[0] & 0xfe) | 0x02);
}

static void
fmt_spec(const struct nsbox_addrspec *a, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	nsbox_ip_text(&a->cidr.ip, ip, sizeof(ip));
	snprintf(out, n, "%s/%u", ip, a->cidr.prefix);
}

static int
take_lease(struct box_net *n, const struct nsbox_settings *s, const struct nsbox_addrspec *spec,
	   const char *id, const char *user, const struct nsbox_proc *self, struct nsbox_ip *out,
	   unsigned bit, struct nsbox_err *err)
{
	struct lease_owner o = { .proc = *self };
	struct lease_result res = { 0 };
	char what[80];
	int r;

	fmt_spec(spec, what, sizeof(what));
	*(bit == HELD_LEASE4 ? &n->held->h.pool4 : &n->held->h.pool6) = *spec;
	r = held_add(n->held, bit);
	if (r < 0)
		return err_set(err, r, "noting the lease of %s in the box's directory: %s", what,
			       strerror(-r));
	snprintf(o.id, sizeof(o.id), "%s", id);
	snprintf(o.user, sizeof(o.user), "%s", user);
	const struct nsbox_ip *gw = spec->cidr.ip.family == AF_INET ? &s->gateway : &s->gateway6;
	r = lease_acquire_excluding(NSBOX_LEASE_DIR, spec, &o, s->sticky, lease_owner_alive,
				    gw->family ? gw : NULL, &res);
	n->reclaimed += res.reclaimed;
	n->corrupt += res.corrupt;
	if (r == -EADDRNOTAVAIL)
		err_set(err, r, "address pool %s (%s) is exhausted", what, s->matched);
	else if (r == -ENOSPC || r == -EDQUOT)
		err_set(err, r, "cannot write the lease file under " NSBOX_LEASE_DIR " (%s): %s",
			what, strerror(-r));
	else if (r == -EADDRINUSE)
		err_set(err, r, "address %s (%s) is in use by another box", what, s->matched);
	else if (r < 0)
		err_set(err, r, "leasing an address from %s: %s", what, strerror(-r));
	if (r < 0)
		return r;
	*out = res.ip;
	return 0;
}

struct inside_cfg {
	const struct nsbox_settings *s;
	const struct box_net *n;
	bool link; /* bring the interface up (IPv6 off unless configured) */
	bool v4;   /* IPv4 address and default route */
	bool v6;   /* IPv6 address and default route */
};

/* Each step names itself in RES before it runs, so a failure says where it stopped. */
static int
cfg_step(struct inside_result *res, const char *what, int r)
{
	snprintf(res->step, sizeof(res->step), "%s", what);
	return r;
}

static int
cfg_link(void *arg, struct inside_result *res)
{
	const struct inside_cfg *c = arg;
	const struct nsbox_settings *s = c->s;
	const struct box_net *n = c->n;
	struct nsbox_cidr a4 = { .ip = n->ip4, .prefix = n->prefix4 };
	struct nsbox_cidr a6 = { .ip = n->ip6, .prefix = s->address6.cidr.prefix };
	bool routed = s->network == NSBOX_NET_ROUTED;
	struct nl_route d4 = { .gw = &n->gw4, .onlink = routed };
	struct nl_route d6 = { .gw = &s->gateway6, .onlink = routed };
	int idx, r = 0;

	/* routed: the box's only neighbour is its host end (routed.c), so its address is a /128
	 * (its IPv4 prefix is 32 already, net_setup) and its default route onlink */
	if (routed)
		a6.prefix = 128;

	if (c->link && s->address6.mode == NSBOX_ADDR_NONE)
		r = cfg_step(res, "turning IPv6 off on the box interface", nl_link_v6_off(s->ifname));
	if (r == 0 && c->link)
		r = cfg_step(res, "bringing up the box interface", nl_link_up(s->ifname));
	if (r < 0)
		return r;
	idx = cfg_step(res, "finding the box interface", nl_link_get(s->ifname, NULL, 0));
	if (idx < 0)
		return idx;
	d4.index = d6.index = idx;
	if (c->v4 && n->ip4.family)
		r = cfg_step(res, "adding the IPv4 address", nl_addr_add(idx, &a4));
	if (r == 0 && c->v6 && n->ip6.family)
		r = cfg_step(res, "adding the IPv6 address", nl_addr_add(idx, &a6));
	if (r == 0 && c->v4 && n->gw4.family)
		r = cfg_step(res, "adding the IPv4 default route", nl_route_add(&d4));
	if (r == 0 && c->v6 && s->gateway6.family)
		r = cfg_step(res, "adding the IPv6 default route", nl_route_add(&d6));
	return r;
}

/* The bridges a box may join, in the order it tries them: bridge = br0 br1 ... starts at a place
 * given by the box's random id, so that boxes spread evenly and one bridge's 1023 ports are not a
 * limit. A bridge that is missing (or full, at attach) is passed over; the login is refused only
 * when none takes the box. */
struct bridges {
	unsigned n;           /* how many of order[] exist and are bridges */
	unsigned order[NSBOX_MAX_BRIDGES];
	int index[NSBOX_MAX_BRIDGES];
	char why_not[NSBOX_MAX_BRIDGES][48]; /* per settings' bridge, why it was passed over */
};

/* Why the settings' bridges could not take the box, as one line; returns R. */
static int
bridges_refuse(const struct nsbox_settings *s, const struct bridges *bs, int r,
	       struct nsbox_err *err)
{
	char list[NSBOX_MAX_BRIDGES * 72] = "";
	size_t o = 0;

	for (unsigned i = 0; i < s->n_bridges; i++) {
		int l = snprintf(list + o, sizeof(list) - o, "%s'%s' %s", i ? ", " : "",
				 s->bridge[i], bs->why_not[i]);
		if (l < 0 || (size_t)l >= sizeof(list) - o)
			break;
		o += (size_t)l;
	}
	return err_set(err, r, "no bridge of %s takes the box: %s", s->bridge_at, list);
}

/* Looks the bridges up, in the box's order. 0, or -errno with ERR set when none is usable. */
static int
find_bridges(const struct box *b, const struct nsbox_settings *s, struct bridges *bs,
	     struct nsbox_err *err)
{
	unsigned start = s->n_bridges > 1 ? (unsigned)(strtoul(b->id, NULL, 16) % s->n_bridges) : 0;
	int last = -ENODEV;

	memset(bs, 0, sizeof(*bs));
	for (unsigned k = 0; k < s->n_bridges; k++) {
		unsigned i = (start + k) % s->n_bridges;
		char kind[32] = "";
		int br = nl_link_get(s->bridge[i], kind, sizeof(kind));

		if (br >= 0 && strcmp(kind, "bridge") == 0) {
			bs->order[bs->n] = i;
			bs->index[bs->n++] = br;
			continue;
		}
		last = br < 0 ? br : -ENOTSUP;
		snprintf(bs->why_not[i], sizeof(bs->why_not[i]), "%s",
			 br == -ENODEV ? "does not exist"
			 : br < 0      ? strerror(-br)
				       : "is not a bridge");
	}
	if (bs->n)
		return 0;
	/* one bridge: the messages single-bridge configs always had */
	if (s->n_bridges == 1 && last == -ENODEV)
		err_set(err, last, "bridge '%s' (%s) does not exist", s->bridge[0], s->bridge_at);
	else if (s->n_bridges == 1 && last == -ENOTSUP)
		err_set(err, last, "'%s' (%s) is not a bridge", s->bridge[0], s->bridge_at);
	else if (s->n_bridges == 1)
		err_set(err, last, "looking up bridge '%s': %s", s->bridge[0], strerror(-last));
	else
		bridges_refuse(s, bs, last, err);
	return last;
}

static int
take_leases(const struct box *b, const struct nsbox_settings *s, const char *user,
	    const struct nsbox_proc *self, struct box_net *n, struct nsbox_err *err)
{
	int r;

	if (nsbox_addr_leased(&s->address)) {
		r = take_lease(n, s, &s->address, b->id, user, self, &n->ip4, HELD_LEASE4, err);
		if (r < 0)
			return r;
		n->prefix4 = s->address.cidr.prefix;
		n->gw4 = s->gateway;
	}
	if (nsbox_addr_leased(&s->address6))
		return take_lease(n, s, &s->address6, b->id, user, self, &n->ip6, HELD_LEASE6, err);
	return 0;
}

static void
box_mac(const struct box *b, const struct nsbox_settings *s, const char *user,
	const struct box_net *n, unsigned char mac[6])
{
	/* Stable per user and address (so DHCP/ARP caches stay valid across logins), unique per
	 * box where the address is unique. */
	char key[400], ip[INET6_ADDRSTRLEN] = "";

	if (!s->mac_auto) {
		memcpy(mac, s->mac, 6);
		return;
	}
	if (n->ip4.family)
		nsbox_ip_text(&n->ip4, ip, sizeof(ip));
	else
		snprintf(ip, sizeof(ip), "%s", b->id);
	snprintf(key, sizeof(key), "%s/%s/%s", user, ip, s->ifname);
	derive_mac(key, mac);
}

/* neighbours = deny: the host end becomes an isolated bridge port. Isolation is a property of the
 * port, so it is set once the veth is one; until then no frame passes, since the box's end is
 * down (no carrier: the port forwards nothing) until the init configures it, after this. */
static int
isolate_port(const struct nsbox_settings *s, const struct box_net *n, struct nsbox_err *err)
{
	int r = s->isolated ? nl_port_isolate(n->host_if) : 0;

	if (r < 0)
		err_set(err, r, "isolating bridge port '%s' on '%s' (neighbours = deny, %s): %s",
			n->host_if, n->bridge, s->matched,
			r == -EOPNOTSUPP ? "the kernel does not isolate bridge ports" : strerror(-r));
	return r;
}

/* The veth pair: host end on the first of BS that takes it, box end in the box's network
 * namespace. */
static int
make_veth(const struct box *b, const struct nsbox_settings *s, const unsigned char mac[6],
	  struct bridges *bs, struct box_net *n, struct nsbox_err *err)
{
	char path[64];
	int r;

	held_veth_name(b->id, n->host_if, sizeof(n->host_if));
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)b->init.pid);
	/* The init is our unreaped child: its pid cannot be reused under us. */
	n->netns = open(path, O_RDONLY | O_CLOEXEC);
	if (n->netns < 0) {
		r = -errno;
		err_set(err, r, "opening the box's network namespace: %s", strerror(-r));
		return r;
	}
	struct nl_veth v = { .host = n->host_if, .peer = s->ifname, .peer_mac = mac,
			     .mtu = s->mtu, .peer_netns_fd = n->netns };
	r = held_add(n->held, HELD_VETH | (s->egress_limited ? HELD_EGRESS : 0));
	if (r < 0)
		return err_set(err, r, "noting veth '%s' in the box's directory: %s", n->host_if,
			       strerror(-r));
	r = nl_veth_create(&v);
	if (r < 0) {
		err_set(err, r, "creating veth '%s': %s", n->host_if, strerror(-r));
		return r;
	}
	/* before the box's end comes up (the init brings it up): no frame passes unfiltered */
	r = egress_apply(b->id, n->host_if, s, err);
	if (r < 0)
		return r;
	if (s->network == NSBOX_NET_ROUTED)
		return routed_host_setup(s, n, err);
	for (unsigned k = 0; k < bs->n; k++) {
		unsigned i = bs->order[k];

		/* IPv6 off on the host end (no DAD, router solicitations or MLD flooding the
		 * bridge) with the attach: the box's end is down until the init configures it */
		r = nl_link_master_up_v6_off(n->host_if, bs->index[k]);
		if (r == 0) {
			snprintf(n->bridge, sizeof(n->bridge), "%s", s->bridge[i]);
			return isolate_port(s, n, err);
		}
		/* EXFULL: the bridge has its 1023 ports (the kernel's BR_MAX_PORTS); ENODEV: it
		 * went away since the lookup. Anything else is not the bridge's fault. */
		if (s->n_bridges == 1 || (r != -EXFULL && r != -ENODEV)) {
			err_set(err, r, "attaching '%s' to bridge '%s': %s", n->host_if,
				s->bridge[i], strerror(-r));
			return r;
		}
		snprintf(bs->why_not[i], sizeof(bs->why_not[i]), "%s",
			 r == -EXFULL ? "is full" : "does not exist");
	}
	return bridges_refuse(s, bs, r, err);
}

int
net_cfg_in_box(const struct nsbox_settings *s, const struct box_net *n, char *step, size_t steplen)
{
	struct inside_cfg c = { .s = s, .n = n, .link = true, .v4 = true, .v6 = true };
	struct inside_result res = { 0 };
	int r = cfg_link(&c, &res);

	snprintf(step, steplen, "%s", res.step);
	return r;
}

int
net_setup(struct box *b, const struct nsbox_settings *s, const char *user,
	  const struct nsbox_proc *self, struct held_file *held, struct box_net *n,
	  struct nsbox_err *err)
{
	unsigned char mac[6];
	struct bridges bs;
	int r;

	memset(n, 0, sizeof(*n));
	n->netns = n->dhcp_pidfd = -1;
	if (!nsbox_net_veth(s->network))
		return 0;
	n->active = true;
	n->held = held;
	snprintf(n->id, sizeof(n->id), "%s", b->id);

	if (s->network == NSBOX_NET_ROUTED)
		r = routed_check_host(s, err);
	else
		r = find_bridges(b, s, &bs, err);
	if (r < 0)
		return r;
	r = take_leases(b, s, user, self, n, err);
	if (r < 0)
		return r;
	if (s->network == NSBOX_NET_ROUTED)
		n->prefix4 = 32;
	box_mac(b, s, user, n, mac);
	r = make_veth(b, s, mac, &bs, n, err);
	if (r < 0)
		return r;
	r = box_send_net(b, n);
	if (r < 0)
		err_set(err, r, "handing the box interface to the box init: %s", strerror(-r));
	return r;
}

int
net_finish(const struct box *b, const struct nsbox_settings *s, struct box_net *n,
	   struct nsbox_err *err)
{
	int r;

	if (!n->active)
		return 0;
	const struct nsbox_ip *dns = s->dns;
	unsigned ndns = s->n_dns, nsearch = s->n_search;
	char(*search)[254] = (char(*)[254])(uintptr_t)s->search;
	struct dhcp_lease dl;
	if (s->address.mode == NSBOX_ADDR_DHCP) {
		r = dhcp_run(b, s, n, &dl, err);
		if (r < 0)
			return r;
		n->dhcp_bound = true;
		r = egress_allow_lease(b->id, s, &dl, err);
		if (r < 0)
			return r;
		n->ip4 = dl.ip;
		n->prefix4 = dl.prefix;
		n->gw4 = dl.gw;
		struct inside_cfg c4 = { .s = s, .n = n, .v4 = true };
		r = run_inside(b, CLONE_NEWNET, cfg_link, &c4, err);
		if (r < 0)
			return r;
		dns = dl.dns;
		ndns = dl.ndns;
		if (!nsearch) { /* a configured search list wins over the lease's */
			search = dl.search;
			nsearch = dl.nsearch;
		}
	}
	return resolv_apply(b, dns, ndns, search, nsearch, err);
}

int
net_release_early(const struct nsbox_settings *s, struct box_net *n, struct nsbox_err *err)
{
	return n->active ? dhcp_stop(s, n, err) : 0;
}

void
net_close(struct box_net *n)
{
	/* the namespace first: deleting the host end then takes the box's end along at once */
	nsbox_closep(&n->netns);
	memset(n, 0, sizeof(*n));
	n->netns = n->dhcp_pidfd = -1;
}
