// SPDX-License-Identifier: BSD-3-Clause
/* A bridged or routed box's egress list as nftables rules on the host end of its veth, made by
 * nsbox-helper's supervisor (root, host namespaces) and removed, by name over netlink, with
 * everything else the box holds (lib/held.c). One netdev table per box, nsbox-ID, whose chain
 * hooks the ingress of the host end: every frame the box sends, before the bridge forwards it or
 * the host routes or receives it, so a bridged uplink, a routed bridge and the host's own
 * addresses obey one list, and root in the box cannot reach it. Stateless on the
 * destination (replies come back on the other direction, which it does not see); what is not
 * allowed is refused at once (a TCP reset, an ICMP unreachable) so clients do not hang. Through
 * libnftables, loaded only for a box with a list. */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "dhcp.h"
#include "helper.h"
#include "nsbox/paths.h"

struct nft_api {
	typeof(nft_ctx_new) *ctx_new;
	typeof(nft_ctx_free) *ctx_free;
	typeof(nft_ctx_buffer_error) *buffer_error;
	typeof(nft_ctx_get_error_buffer) *error_buffer;
	typeof(nft_run_cmd_from_buffer) *run;
};

/* The library, once per process; 0, or -ENOENT with ERR (WHAT: what it was loaded for). */
static int
nft_load(struct nft_api *a, const char *what, struct nsbox_err *err)
{
	static void *h;

	if (!h)
		h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return err_set(err, -ENOENT, "%s: cannot load libnftables.so.1: %s", what,
			       dlerror());
	*(void **)&a->ctx_new = dlsym(h, "nft_ctx_new");
	*(void **)&a->ctx_free = dlsym(h, "nft_ctx_free");
	*(void **)&a->buffer_error = dlsym(h, "nft_ctx_buffer_error");
	*(void **)&a->error_buffer = dlsym(h, "nft_ctx_get_error_buffer");
	*(void **)&a->run = dlsym(h, "nft_run_cmd_from_buffer");
	if (!a->ctx_new || !a->ctx_free || !a->buffer_error || !a->error_buffer || !a->run)
		return err_set(err, -ENOENT, "%s: libnftables.so.1 lacks a function we call",
			       what);
	return 0;
}

/* Runs SCRIPT as one transaction (all of it or none); 0, or -errno with ERR: WHAT, then the
 * library's first line of complaint (-EINVAL). */
static int
nft_run(const char *script, const char *what, struct nsbox_err *err)
{
	struct nft_api a = { 0 };
	int r = nft_load(&a, what, err);

	if (r < 0)
		return r;
	struct nft_ctx *ctx = a.ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return err_set(err, -ENOMEM, "%s: nft_ctx_new failed", what);
	a.buffer_error(ctx);
	if (a.run(ctx, script) != 0) {
		const char *e = a.error_buffer(ctx);
		r = err_set(err, -EINVAL, "%s: %.*s", what, (int)strcspn(e ? e : "?", "\n"),
			    e ? e : "?");
	}
	a.ctx_free(ctx);
	return r;
}

struct script {
	char buf[16384];
	size_t o;
	const char *id;
	const char *verb; /* "add" (after the chain's rules) or "insert" (before them) */
	bool full;
};

/* One rule of the box's chain. */
__attribute__((format(printf, 2, 3))) static void
rule(struct script *sc, const char *fmt, ...)
{
	va_list ap;
	int l = snprintf(sc->buf + sc->o, sizeof(sc->buf) - sc->o, "%s rule netdev nsbox-%s egress ",
			 sc->verb ? sc->verb : "add", sc->id);

	if (l < 0 || (size_t)l >= sizeof(sc->buf) - sc->o)
		goto full;
	sc->o += (size_t)l;
	va_start(ap, fmt);
	l = vsnprintf(sc->buf + sc->o, sizeof(sc->buf) - sc->o, fmt, ap);
	va_end(ap);
	if (l < 0 || (size_t)l + 1 >= sizeof(sc->buf) - sc->o)
		goto full;
	sc->o += (size_t)l;
	sc->buf[sc->o++] = '\n';
	sc->buf[sc->o] = 0;
	return;
full:
	sc->full = true;
}

/* The neighbour discovery a host sends (RFC 4861): router solicitations, neighbour solicitations
 * and advertisements. */
#define ND_TYPES "nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert"

/* D as the match of an accept rule. */
static void
dest_rule(struct script *sc, const struct nsbox_dest *d)
{
	char net[INET6_ADDRSTRLEN + 8], l4[64] = "", ports[24] = "";
	const char *fam = d->net.ip.family == AF_INET6 ? "ip6" : "ip";

	nsbox_ip_text(&d->net.ip, net, sizeof(net));
	snprintf(net + strlen(net), sizeof(net) - strlen(net), "/%u", d->net.prefix);
	const char *proto = d->proto == IPPROTO_TCP ? "tcp" : d->proto == IPPROTO_UDP ? "udp"
										    : "{ tcp, udp }";
	if (d->port_lo == d->port_hi)
		snprintf(ports, sizeof(ports), "%u", d->port_lo);
	else
		snprintf(ports, sizeof(ports), "%u-%u", d->port_lo, d->port_hi);
	if (d->port_lo)
		snprintf(l4, sizeof(l4), " meta l4proto %s th dport %s", proto, ports);
	else if (d->proto)
		snprintf(l4, sizeof(l4), " meta l4proto %s", proto);
	rule(sc, "%s daddr %s%s accept", fam, net, l4);
}

int
egress_apply(const char *id, const char *host_if, const struct nsbox_settings *s,
	     struct nsbox_err *err)
{
	struct script sc = { .id = id };
	char ip[INET6_ADDRSTRLEN], what[48];
	int l;

	if (!s->egress_limited)
		return 0;
	l = snprintf(sc.buf, sizeof(sc.buf),
		     "add table netdev nsbox-%s\n"
		     "add chain netdev nsbox-%s egress { type filter hook ingress device \"%s\" "
		     "priority 0; policy accept; }\n", id, id, host_if);
	sc.o = (size_t)l;
	/* what the box needs to talk at all: neighbours, its DHCP lease, its DNS servers. Each is
	 * bound to where it is meant to go: an ICMPv6 neighbour message or a DHCP request is as
	 * good a carrier as any other packet, and unbounded it would reach any host the bridge's
	 * uplink or the host's routes lead to. Neighbour discovery stays on the link (link-local
	 * and link-scope multicast destinations, the box's own IPv6 subnet, hop limit 255 as RFC
	 * 4861 requires); DHCP goes to the broadcast address, and the server a lease names is let
	 * through once it is known (egress_allow_lease). */
	rule(&sc, "ether type arp accept");
	rule(&sc, "ip6 hoplimit 255 ip6 daddr { fe80::/10, ff02::/16 } icmpv6 type { %s } accept",
	     ND_TYPES);
	if (s->address6.mode == NSBOX_ADDR_STATIC || s->address6.mode == NSBOX_ADDR_POOL) {
		struct nsbox_ip net6 = nsbox_cidr_net(&s->address6.cidr);
		nsbox_ip_text(&net6, ip, sizeof(ip));
		rule(&sc, "ip6 hoplimit 255 ip6 daddr %s/%u icmpv6 type { %s } accept", ip,
		     s->address6.cidr.prefix, ND_TYPES);
	}
	/* routed: the box's one neighbour is its host end, at gateway6 wherever that is (routed.c) */
	if (s->network == NSBOX_NET_ROUTED && s->gateway6.family) {
		nsbox_ip_text(&s->gateway6, ip, sizeof(ip));
		rule(&sc, "ip6 hoplimit 255 ip6 daddr %s icmpv6 type { %s } accept", ip, ND_TYPES);
	}
	if (s->address.mode == NSBOX_ADDR_DHCP)
		rule(&sc, "ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept");
	for (unsigned i = 0; i < s->n_dns && i < NSBOX_MAX_DNS; i++) {
		nsbox_ip_text(&s->dns[i], ip, sizeof(ip));
		rule(&sc, "%s daddr %s meta l4proto { tcp, udp } th dport 53 accept",
		     s->dns[i].family == AF_INET6 ? "ip6" : "ip", ip);
	}
	for (unsigned i = 0; i < s->n_egress && i < NSBOX_MAX_EGRESS; i++)
		dest_rule(&sc, &s->egress[i]);
	/* the rest is refused at once: a reset for TCP, "administratively prohibited" for the
	 * other IP traffic; what is neither IP nor ARP is dropped */
	if (s->egress_log)
		rule(&sc, "limit rate 1/minute burst 1 packets log prefix \"nsbox-%s egress: \"", id);
	rule(&sc, "meta l4proto tcp reject with tcp reset");
	rule(&sc, "meta protocol { ip, ip6 } reject with icmpx admin-prohibited");
	rule(&sc, "drop");
	if (sc.full) {
		err_set(err, -E2BIG, "egress rules for '%s': too long", host_if);
		return -E2BIG;
	}
	snprintf(what, sizeof(what), "egress rules on '%s'", host_if);
	return nft_run(sc.buf, what, err);
}

int
egress_allow_lease(const char *id, const struct nsbox_settings *s, const struct dhcp_lease *l,
		   struct nsbox_err *err)
{
	/* after the refusals an appended rule would never be reached: these go first */
	struct script sc = { .id = id, .verb = "insert" };
	const char *what = "egress rules for the lease's DHCP and DNS servers";
	char ip[INET6_ADDRSTRLEN];

	if (!s->egress_limited || (!l->ndns && !l->server.family))
		return 0;
	for (unsigned i = 0; i < l->ndns && i < NSBOX_MAX_DNS; i++) {
		nsbox_ip_text(&l->dns[i], ip, sizeof(ip));
		rule(&sc, "%s daddr %s meta l4proto { tcp, udp } th dport 53 accept",
		     l->dns[i].family == AF_INET6 ? "ip6" : "ip", ip);
	}
	/* the client renews its lease with the server that gave it, unicast */
	if (l->server.family) {
		nsbox_ip_text(&l->server, ip, sizeof(ip));
		rule(&sc, "ip daddr %s udp sport 68 udp dport 67 accept", ip);
	}
	if (sc.full)
		return err_set(err, -E2BIG, "%s: too long", what);
	return nft_run(sc.buf, what, err);
}
