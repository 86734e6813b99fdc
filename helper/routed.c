// SPDX-License-Identifier: BSD-3-Clause
/* The host side of a routed box (network = routed), in nsbox-helper's supervisor (root, host
 * namespaces): the settings checked against the host's addresses, then the host end of the veth
 * addressed and routed. The veth itself, leases, egress and teardown are veth.c's, as for a
 * bridged box; only the bridge attach is replaced by this.
 *
 * The shape: every routed box's host end carries the same address, `gateway` as a /32 (and
 * `gateway6` as a /128), and the host a /32 (/128) route to the box's address through that host
 * end; in the box its address is a /32 (/128) with an onlink default route via the gateway. Why
 * one shared host-end address with host routes, rather than a subnet per box or proxy ARP/NDP:
 * no per-box subnet to carve out of a pool (a /30 per box quarters it), no address spent per
 * host end, no proxy ARP/NDP turned on (a host setting, and one that answers for the whole
 * subnet on every interface it is on); and since each box's only on-link neighbour is its host
 * end, boxes never exchange frames: whether one box reaches another is the host's forwarding
 * policy alone. Nothing here turns on forwarding or NAT. */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "helper.h"

/* How many times a dump of the host's addresses is read before an interrupted one fails the
 * login (each is a few ms at thousands of routed boxes). */
#define ROUTED_DUMP_TRIES 8

struct host_scan {
	const struct nsbox_settings *s;
	struct nsbox_ip clash;        /* a host address inside the box's addresses */
	struct nsbox_ip foreign;      /* the gateway, found on something other than a host end */
	int clash_index, foreign_index;
};

static bool
in_spec(const struct nsbox_ip *ip, const struct nsbox_addrspec *a)
{
	if (a->mode == NSBOX_ADDR_STATIC)
		return nsbox_ip_eq(ip, &a->cidr.ip);
	return a->mode == NSBOX_ADDR_POOL && nsbox_addrspec_in_range(ip, a);
}

/* A routed box's host end: named as held_veth_name names it, "nsb" and a box id (a name the
 * product reserves, DESIGN.md). By name alone, from the address's label where it has one: at
 * thousands of routed boxes every one of their host ends carries the gateway, and a request per
 * host end would make each login's check cost grow with their number. */
static bool
routed_host_end(int index, const char *label)
{
	char name[IF_NAMESIZE] = "";

	if (!label)
		label = if_indextoname((unsigned)index, name);
	return label && !strncmp(label, "nsb", 3) && strlen(label + 3) == NSBOX_ID_LEN &&
	       strspn(label + 3, "0123456789abcdef") == NSBOX_ID_LEN;
}

static void
scan_one(int index, const char *label, const struct nsbox_ip *ip, void *arg)
{
	struct host_scan *h = arg;
	const struct nsbox_settings *s = h->s;
	const struct nsbox_ip *gw = ip->family == AF_INET ? &s->gateway : &s->gateway6;

	/* the gateway is never leased (lease_acquire_excluding), and on another routed box's host
	 * end it is where it belongs: only where else it is matters (below) */
	if (!h->clash.family && !nsbox_ip_eq(ip, gw) &&
	    (in_spec(ip, &s->address) || in_spec(ip, &s->address6))) {
		h->clash = *ip;
		h->clash_index = index;
	}
	if (!h->foreign.family && gw->family && nsbox_ip_eq(ip, gw) && !routed_host_end(index, label)) {
		h->foreign = *ip;
		h->foreign_index = index;
	}
}

int
routed_check_host(const struct nsbox_settings *s, struct nsbox_err *err)
{
	struct host_scan h;
	char ip[INET6_ADDRSTRLEN], ifn[IF_NAMESIZE] = "?";
	int r = -EINTR;

	/* The kernel marks a dump that an address change cut short (NLM_F_DUMP_INTR: -EINTR here),
	 * and on a busy host one often is: every routed box that ends takes its host end's gateway
	 * address along. Such a dump is read again from the start, never half believed. */
	for (int tries = 0; r == -EINTR && tries < ROUTED_DUMP_TRIES; tries++) {
		h = (struct host_scan){ .s = s };
		r = nl_addr_each(scan_one, &h);
	}
	if (r < 0)
		return err_set(err, r, "listing the host's addresses (network = routed, %s): %s",
			       s->matched, strerror(-r));
	if (h.clash.family) {
		nsbox_ip_text(&h.clash, ip, sizeof(ip));
		if_indextoname((unsigned)h.clash_index, ifn);
		return err_set(err, -EADDRINUSE,
			       "the routed box's addresses (%s) include %s, an address of host "
			       "interface '%s'", s->matched, ip, ifn);
	}
	if (h.foreign.family) {
		nsbox_ip_text(&h.foreign, ip, sizeof(ip));
		if_indextoname((unsigned)h.foreign_index, ifn);
		return err_set(err, -EADDRINUSE,
			       "gateway %s (%s) is an address of host interface '%s', not a routed "
			       "box's host end", ip, s->matched, ifn);
	}
	return 0;
}

/* One family: the gateway on the host end, the host route to the box's address through it. */
static int
host_family(const struct box_net *n, int idx, const struct nsbox_ip *gw, const struct nsbox_ip *box,
	    struct nsbox_err *err)
{
	struct nsbox_cidr a = { .ip = *gw, .prefix = nsbox_ip_bits(gw->family) };
	struct nl_route rt = { .index = idx, .dst = box, .dst_len = nsbox_ip_bits(box->family) };
	char t[INET6_ADDRSTRLEN];
	int r = nl_addr_add(idx, &a);

	/* EEXIST: a link-local gateway6 the kernel made already cannot be, with addr_gen_mode none */
	if (r < 0) {
		nsbox_ip_text(gw, t, sizeof(t));
		return err_set(err, r, "adding gateway %s to '%s': %s", t, n->host_if,
			       strerror(-r));
	}
	r = nl_route_add(&rt);
	if (r < 0) {
		nsbox_ip_text(box, t, sizeof(t));
		return err_set(err, r, "adding the host route to %s through '%s': %s", t,
			       n->host_if, strerror(-r));
	}
	return 0;
}

int
routed_host_setup(const struct nsbox_settings *s, const struct box_net *n, struct nsbox_err *err)
{
	int idx, r;

	/* IPv6 on, but no link-local address of its own (no DAD, router solicitations or MLD):
	 * the only IPv6 address it needs is gateway6. Up before its routes (a route needs its
	 * device up); the box's end is still down, so nothing passes yet. */
	r = nl_link_v6_off(n->host_if);
	if (r == 0)
		r = nl_link_up(n->host_if);
	if (r < 0)
		return err_set(err, r, "bringing up '%s': %s", n->host_if, strerror(-r));
	idx = nl_link_get(n->host_if, NULL, 0);
	if (idx < 0)
		return err_set(err, idx, "finding '%s': %s", n->host_if, strerror(-idx));
	if (n->ip4.family && (r = host_family(n, idx, &s->gateway, &n->ip4, err)) < 0)
		return r;
	if (n->ip6.family && (r = host_family(n, idx, &s->gateway6, &n->ip6, err)) < 0)
		return r;
	return 0;
}
