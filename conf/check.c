// SPDX-License-Identifier: BSD-3-Clause
/* Load-time consistency checks of nsbox.conf: every combination of [defaults] with each [match]
 * must make a box that can be built, and static addresses and pools must not clash, so that
 * resolving a login never fails. Pure code: no privileged work, no logging; runs in nsbox-helper
 * (root), nsboxctl and the tests. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nsbox/cleanup.h"

struct checker {
	const struct nsbox_conf *c;
	struct nsbox_conf_err *err;
	const struct layered *l;
	const struct section *m; /* the [match] being checked; NULL for [defaults] alone */
};

/* 0 built in, 1 [defaults], 2 [match]: a key set at a more specific level than the key it
 * conflicts with is an error; a less specific one is dropped at resolve time (a [match] with
 * network = none turns off the [defaults] network, it does not have to undo each key). */
static int
rank(const struct layered *l, enum key k)
{
	return !l->src[k] ? 0 : l->src[k]->is_match ? 2 : 1;
}

/* Reports at K1 or K2 (-1: none) when set by the section being checked, else at the [match]
 * header. */
__attribute__((format(printf, 4, 5))) static int
fail_at(const struct checker *ck, int k1, int k2, const char *fmt, ...)
{
	const int ks[2] = { k1, k2 };
	const char *file = ck->c->top;
	unsigned line = 0;
	va_list ap;
	int r;

	for (int i = 0; i < 2; i++)
		if (ks[i] >= 0 && ck->l->src[ks[i]] && (!ck->m || ck->l->src[ks[i]] == ck->m)) {
			file = ck->l->src[ks[i]]->file;
			line = ck->l->src[ks[i]]->key_line[ks[i]];
			goto found;
		}
	if (ck->m) {
		file = ck->m->file;
		line = ck->m->line;
	}
found:
	va_start(ap, fmt);
	r = conf_vfail(ck->err, file, line, -EINVAL, fmt, ap);
	va_end(ap);
	return r;
}

/* A key with FLAG set at least as specifically as the key ON it depends on: "'KEY' WHY". */
static int
check_flagged(const struct checker *ck, unsigned flag, enum key on, const char *why)
{
	for (int k = 0; k < K_N; k++)
		if ((key_table[k].flags & flag) && ck->l->src[k] &&
		    rank(ck->l, (enum key)k) >= rank(ck->l, on))
			return fail_at(ck, k, (int)on, "'%s' %s", key_table[k].name, why);
	return 0;
}

static bool
link_local6(const struct nsbox_ip *ip)
{
	return ip->family == AF_INET6 && ip->v6.s6_addr[0] == 0xfe &&
	       (ip->v6.s6_addr[1] & 0xc0) == 0x80;
}

/* Gateway KG inside the subnet of address KA, and not an address the box or the subnet owns. */
static int
check_gateway(const struct checker *ck, enum key kg, enum key ka)
{
	const struct nsbox_ip *gw = key_cfield(&ck->l->s, kg);
	const struct nsbox_addrspec *a = key_cfield(&ck->l->s, ka);
	const char *ng = key_table[kg].name, *na = key_table[ka].name;
	char g[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN + 64];
	struct nsbox_ip net, top;

	if (a->mode != NSBOX_ADDR_STATIC && a->mode != NSBOX_ADDR_POOL)
		return fail_at(ck, (int)kg, -1, "'%s' needs a static or pool '%s'", ng, na);
	if (link_local6(gw))
		return 0; /* routers announce themselves with link-local addresses */
	nsbox_ip_text(gw, g, sizeof(g));
	nsbox_net_text(&a->cidr, t, sizeof(t));
	/* routed: the box's address is a /32 (/128) and its default route onlink, so the host
	 * end's address may be anywhere but on the box */
	if (ck->l->s.network == NSBOX_NET_ROUTED)
		goto own;
	if (!nsbox_ip_in_cidr(gw, &a->cidr))
		return fail_at(ck, (int)kg, (int)ka, "gateway '%s' is outside %s", g, t);
	net = nsbox_cidr_net(&a->cidr);
	top = nsbox_cidr_top(&a->cidr);
	if (nsbox_cidr_has_net_addr(&a->cidr) && nsbox_ip_eq(gw, &net))
		return fail_at(ck, (int)kg, (int)ka, "gateway '%s' is the network address of %s",
			       g, t);
	if (nsbox_cidr_has_net_addr(&a->cidr) && gw->family == AF_INET && nsbox_ip_eq(gw, &top))
		return fail_at(ck, (int)kg, (int)ka, "gateway '%s' is the broadcast address of %s",
			       g, t);
own:
	if (a->mode == NSBOX_ADDR_STATIC && nsbox_ip_eq(gw, &a->cidr.ip))
		return fail_at(ck, (int)kg, (int)ka, "gateway '%s' is the box's own address", g);
	if (a->mode == NSBOX_ADDR_POOL && nsbox_pool_range_explicit(a) &&
	    nsbox_addrspec_in_range(gw, a)) {
		nsbox_addrspec_text(a, t, sizeof(t));
		return fail_at(ck, (int)ka, (int)kg, "pool '%s' contains gateway '%s'", t, g);
	}
	return 0;
}

/* network = routed: no bridge, no DHCP (nothing serves it on a veth of its own), and the host
 * end's address named for each family the box has, since every routed box routes through it. */
static int
check_routed(const struct checker *ck)
{
	const struct layered *l = ck->l;
	const struct nsbox_settings *s = &l->s;
	int r = check_flagged(ck, KF_PORT, K_NETWORK, "conflicts with network = routed");

	if (r < 0)
		return r;
	if (s->address.mode == NSBOX_ADDR_DHCP)
		return fail_at(ck, K_ADDRESS, K_NETWORK,
			       "network = routed takes a static or pool 'address', not dhcp");
	if (s->address.mode == NSBOX_ADDR_NONE && s->address6.mode == NSBOX_ADDR_NONE)
		return fail_at(ck, K_NETWORK, -1, "network = routed needs 'address' or 'address6'");
	if (s->address.mode != NSBOX_ADDR_NONE && !l->src[K_GATEWAY])
		return fail_at(ck, K_ADDRESS, K_NETWORK,
			       "network = routed needs 'gateway', the host end's address");
	if (s->address6.mode != NSBOX_ADDR_NONE && !l->src[K_GATEWAY6])
		return fail_at(ck, K_ADDRESS6, K_NETWORK,
			       "network = routed needs 'gateway6', the host end's address");
	if (l->src[K_GATEWAY] && (r = check_gateway(ck, K_GATEWAY, K_ADDRESS)) < 0)
		return r;
	if (l->src[K_GATEWAY6] && (r = check_gateway(ck, K_GATEWAY6, K_ADDRESS6)) < 0)
		return r;
	return 0;
}

static int
check_layered(const struct checker *ck)
{
	const struct layered *l = ck->l;
	const struct nsbox_settings *s = &l->s;
	int r;

	if (s->proc_opts[0] && !(s->namespaces & CLONE_NEWPID))
		return fail_at(ck, K_PROC, K_NAMESPACES,
			       "proc needs the pid namespace (the box mounts no /proc without it)");
	if (s->network == NSBOX_NET_NONE)
		return check_flagged(ck, KF_BRIDGE, K_NETWORK, "needs network = bridge or routed");
	/* Without its own network namespace the box's interface, addresses and routes would be
	 * the host's. */
	if (!(s->namespaces & CLONE_NEWNET))
		return fail_at(ck, K_NETWORK, K_NAMESPACES, "network = %s needs 'net' in namespaces",
			       s->network == NSBOX_NET_ROUTED ? "routed" : "bridge");
	if (s->network == NSBOX_NET_ROUTED)
		return check_routed(ck);
	if (!l->src[K_BRIDGE])
		return fail_at(ck, K_NETWORK, -1, "network = bridge needs 'bridge'");
	if (s->address.mode == NSBOX_ADDR_NONE && s->address6.mode == NSBOX_ADDR_NONE)
		return fail_at(ck, K_NETWORK, -1, "network = bridge needs 'address' or 'address6'");
	if (s->address.mode == NSBOX_ADDR_DHCP) {
		r = check_flagged(ck, KF_LEASE, K_ADDRESS, "conflicts with address = dhcp");
		if (r < 0)
			return r;
	} else if (l->src[K_GATEWAY]) {
		r = check_gateway(ck, K_GATEWAY, K_ADDRESS);
		if (r < 0)
			return r;
	}
	if (l->src[K_GATEWAY6]) {
		r = check_gateway(ck, K_GATEWAY6, K_ADDRESS6);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- addresses across sections ---- */

/* The keys whose static addresses and pools must not overlap across sections. */
static const enum key addr_keys[] = { K_ADDRESS, K_ADDRESS6 };

struct aitem {
	const struct section *s;
	enum key k;
	const struct nsbox_addrspec *a;
};

/* Reports a clash of B (later) with A (earlier): SA, SB tell which of them is static. */
static int
conflict(struct nsbox_conf_err *err, const struct aitem *b, const struct aitem *a, bool sa,
	 bool sb)
{
	const char *bf = b->s->file, *nb = key_table[b->k].name, *na = key_table[a->k].name;
	unsigned bl = b->s->key_line[b->k], al = a->s->key_line[a->k];
	char at[QBUF], ta[INET6_ADDRSTRLEN * 3 + 16], tb[INET6_ADDRSTRLEN * 3 + 16];

	conf_quote(at, sizeof(at), a->s->file);
	if (sa)
		nsbox_ip_text(&a->a->cidr.ip, ta, sizeof(ta));
	else
		nsbox_addrspec_text(a->a, ta, sizeof(ta));
	if (sb)
		nsbox_ip_text(&b->a->cidr.ip, tb, sizeof(tb));
	else
		nsbox_addrspec_text(b->a, tb, sizeof(tb));
	if (sa && sb)
		return conf_fail(err, bf, bl, -EINVAL, "%s '%s' also used at %s:%u", nb, tb, at, al);
	if (sa)
		return conf_fail(err, bf, bl, -EINVAL, "pool '%s' contains %s '%s' of %s:%u", tb, na,
				 ta, at, al);
	if (sb)
		return conf_fail(err, bf, bl, -EINVAL, "%s '%s' is inside pool '%s' of %s:%u", nb,
				 tb, ta, at, al);
	return conf_fail(err, bf, bl, -EINVAL, "pool '%s' overlaps pool '%s' of %s:%u", tb, ta, at,
			 al);
}

static bool
clashes(const struct aitem *a, const struct aitem *b)
{
	bool sa = a->a->mode == NSBOX_ADDR_STATIC, sb = b->a->mode == NSBOX_ADDR_STATIC;

	if (sa && sb)
		return nsbox_ip_eq(&a->a->cidr.ip, &b->a->cidr.ip);
	if (sa)
		return nsbox_addrspec_in_range(&a->a->cidr.ip, b->a);
	if (sb)
		return nsbox_addrspec_in_range(&b->a->cidr.ip, a->a);
	return nsbox_ip_cmp(&a->a->first, &b->a->last) <= 0 &&
	       nsbox_ip_cmp(&b->a->first, &a->a->last) <= 0;
}

static int
check_addresses(const struct nsbox_conf *c, struct nsbox_conf_err *err)
{
	_cleanup_free_ struct aitem *it = NULL;
	size_t n = 0;

	it = calloc(c->n * ARRAY_SIZE(addr_keys) + 1, sizeof(*it));
	if (!it)
		return conf_fail(err, c->top, 0, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < ARRAY_SIZE(addr_keys); j++) {
			const struct section *s = &c->sec[i];
			const struct nsbox_addrspec *a = key_cfield(&s->v, addr_keys[j]);

			if (s->key_line[addr_keys[j]] &&
			    (a->mode == NSBOX_ADDR_STATIC || a->mode == NSBOX_ADDR_POOL))
				it[n++] = (struct aitem){ s, addr_keys[j], a };
		}
	for (size_t j = 1; j < n; j++)
		for (size_t i = 0; i < j; i++)
			if (it[i].k == it[j].k && clashes(&it[i], &it[j]))
				return conflict(err, &it[j], &it[i],
						it[i].a->mode == NSBOX_ADDR_STATIC,
						it[j].a->mode == NSBOX_ADDR_STATIC);
	return 0;
}

int
conf_check(const struct nsbox_conf *c, struct nsbox_conf_err *err)
{
	struct layered d, dm;
	struct checker ck = { .c = c, .err = err };
	int r;

	layer_init(&d);
	for (size_t i = 0; i < c->n; i++)
		if (!c->sec[i].is_match)
			layer_apply(&d, &c->sec[i]);
	ck.l = &d;
	r = check_layered(&ck);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n; i++) {
		if (!c->sec[i].is_match)
			continue;
		dm = d;
		layer_apply(&dm, &c->sec[i]);
		ck.l = &dm;
		ck.m = &c->sec[i];
		r = check_layered(&ck);
		if (r < 0)
			return r;
	}
	return check_addresses(c, err);
}
