// SPDX-License-Identifier: BSD-3-Clause
/* IP addresses, CIDRs and address specs: text forms and 128-bit arithmetic. Pure code, no
 * privilege, no logging; runs wherever conf/ runs (nsbox-helper as root, nsboxctl, the tests). */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

unsigned
nsbox_ip_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

int
nsbox_ip_to_u128(const struct nsbox_ip *ip, nsbox_u128 *out)
{
	nsbox_u128 v = 0;

	if (ip->family == AF_INET) {
		*out = ntohl(ip->v4.s_addr);
		return 0;
	}
	if (ip->family != AF_INET6)
		return -EINVAL;
	for (size_t i = 0; i < 16; i++)
		v = (v << 8) | ip->v6.s6_addr[i];
	*out = v;
	return 0;
}

void
nsbox_ip_from_u128(int family, nsbox_u128 v, struct nsbox_ip *out)
{
	memset(out, 0, sizeof(*out));
	out->family = family;
	if (family == AF_INET) {
		out->v4.s_addr = htonl((uint32_t)v);
		return;
	}
	for (int i = 15; i >= 0; i--) {
		out->v6.s6_addr[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

nsbox_u128
nsbox_host_mask(int family, unsigned prefix)
{
	unsigned host = nsbox_ip_bits(family) - prefix;

	return host == 0 ? 0 : host >= 128 ? ~(nsbox_u128)0 : ((nsbox_u128)1 << host) - 1;
}

/* IP as an integer; an unset address counts as 0. */
static nsbox_u128
ip_value(const struct nsbox_ip *ip)
{
	nsbox_u128 v = 0;

	(void)nsbox_ip_to_u128(ip, &v);
	return v;
}

int
nsbox_ip_cmp(const struct nsbox_ip *a, const struct nsbox_ip *b)
{
	nsbox_u128 x = ip_value(a), y = ip_value(b);

	return x < y ? -1 : x > y;
}

bool
nsbox_ip_eq(const struct nsbox_ip *a, const struct nsbox_ip *b)
{
	return a->family == b->family && a->family && nsbox_ip_cmp(a, b) == 0;
}

struct nsbox_ip
nsbox_ip_step(const struct nsbox_ip *ip, bool up)
{
	struct nsbox_ip r;
	nsbox_u128 v = ip_value(ip);

	nsbox_ip_from_u128(ip->family, up ? v + 1 : v - 1, &r);
	return r;
}

/* C's address with the host bits all zero (ONES false) or all one. */
static struct nsbox_ip
cidr_fill(const struct nsbox_cidr *c, bool ones)
{
	nsbox_u128 mask = nsbox_host_mask(c->ip.family, c->prefix), v = ip_value(&c->ip);
	struct nsbox_ip r;

	nsbox_ip_from_u128(c->ip.family, ones ? v | mask : v & ~mask, &r);
	return r;
}

struct nsbox_ip
nsbox_cidr_net(const struct nsbox_cidr *c)
{
	return cidr_fill(c, false);
}

struct nsbox_ip
nsbox_cidr_top(const struct nsbox_cidr *c)
{
	return cidr_fill(c, true);
}

bool
nsbox_cidr_has_net_addr(const struct nsbox_cidr *c)
{
	return c->prefix + 2 <= nsbox_ip_bits(c->ip.family);
}

int
nsbox_cidr_hosts(const struct nsbox_cidr *c, struct nsbox_ip *first, struct nsbox_ip *last)
{
	struct nsbox_ip net = nsbox_cidr_net(c), top = nsbox_cidr_top(c);
	unsigned bits = nsbox_ip_bits(c->ip.family);

	/* IPv6 keeps the top address: it has no broadcast. */
	if (!bits || c->prefix + (c->ip.family == AF_INET ? 2 : 1) > bits)
		return -EINVAL;
	*first = nsbox_ip_step(&net, true);
	*last = c->ip.family == AF_INET ? nsbox_ip_step(&top, false) : top;
	return 0;
}

bool
nsbox_ip_in_cidr(const struct nsbox_ip *ip, const struct nsbox_cidr *net)
{
	struct nsbox_cidr mine;
	struct nsbox_ip a, b;

	if (!ip || !net || !ip->family || ip->family != net->ip.family ||
	    net->prefix > nsbox_ip_bits(ip->family))
		return false;
	mine = (struct nsbox_cidr){ *ip, net->prefix };
	a = nsbox_cidr_net(&mine);
	b = nsbox_cidr_net(net);
	return nsbox_ip_eq(&a, &b);
}

bool
nsbox_addrspec_in_range(const struct nsbox_ip *ip, const struct nsbox_addrspec *a)
{
	return ip->family == a->first.family && nsbox_ip_cmp(ip, &a->first) >= 0 &&
	       nsbox_ip_cmp(ip, &a->last) <= 0;
}

bool
nsbox_addr_leased(const struct nsbox_addrspec *a)
{
	return a->mode == NSBOX_ADDR_STATIC || a->mode == NSBOX_ADDR_POOL;
}

unsigned long long
nsbox_pool_size(const struct nsbox_addrspec *a, const struct nsbox_ip *exclude)
{
	nsbox_u128 lo, hi, n;

	if (a->mode != NSBOX_ADDR_POOL || nsbox_ip_to_u128(&a->first, &lo) < 0 ||
	    nsbox_ip_to_u128(&a->last, &hi) < 0 || hi < lo)
		return 0;
	n = hi - lo + 1;
	if (exclude && exclude->family && nsbox_addrspec_in_range(exclude, a))
		n--;
	return n > (nsbox_u128)ULLONG_MAX ? ULLONG_MAX : (unsigned long long)n;
}

bool
nsbox_pool_range_explicit(const struct nsbox_addrspec *a)
{
	struct nsbox_ip f, l;

	if (nsbox_cidr_hosts(&a->cidr, &f, &l) < 0)
		return true;
	return !nsbox_ip_eq(&f, &a->first) || !nsbox_ip_eq(&l, &a->last);
}

/* ---- text ---- */

int
nsbox_uint_parse(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	if (v < min)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

int
nsbox_ip_parse(const char *s, struct nsbox_ip *out)
{
	struct nsbox_ip ip;

	memset(&ip, 0, sizeof(ip));
	if (!s || strnlen(s, INET6_ADDRSTRLEN) >= INET6_ADDRSTRLEN)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &ip.v4) == 1)
		ip.family = AF_INET;
	else if (inet_pton(AF_INET6, s, &ip.v6) == 1)
		ip.family = AF_INET6;
	else
		return -EINVAL;
	*out = ip;
	return 0;
}

int
nsbox_cidr_parse(const char *s, int family, struct nsbox_cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	unsigned prefix;

	if (strnlen(s, sizeof(buf)) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	if (nsbox_ip_parse(buf, &out->ip) < 0 || out->ip.family != family)
		return -EINVAL;
	if (nsbox_uint_parse(slash + 1, 1, nsbox_ip_bits(family), &prefix) < 0)
		return -EINVAL;
	out->prefix = prefix;
	return 0;
}

int
nsbox_ip_format(const struct nsbox_ip *ip, char *out, size_t outlen)
{
	const void *raw;

	if (!outlen)
		return -ENOSPC;
	out[0] = 0;
	if (!ip || (ip->family != AF_INET && ip->family != AF_INET6))
		return -EAFNOSUPPORT;
	if (outlen > INT32_MAX)
		outlen = INT32_MAX;
	raw = ip->family == AF_INET ? (const void *)&ip->v4 : (const void *)&ip->v6;
	if (!inet_ntop(ip->family, raw, out, (socklen_t)outlen)) {
		out[0] = 0;
		return -ENOSPC;
	}
	return 0;
}

void
nsbox_ip_text(const struct nsbox_ip *ip, char *out, size_t n)
{
	if (nsbox_ip_format(ip, out, n) < 0)
		snprintf(out, n, "?");
}

void
nsbox_net_text(const struct nsbox_cidr *c, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN];
	struct nsbox_ip net = nsbox_cidr_net(c);

	nsbox_ip_text(&net, ip, sizeof(ip));
	snprintf(out, n, "%s/%u", ip, c->prefix);
}

void
nsbox_addrspec_text(const struct nsbox_addrspec *a, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN], f[INET6_ADDRSTRLEN], l[INET6_ADDRSTRLEN];

	nsbox_ip_text(&a->cidr.ip, ip, sizeof(ip));
	if (a->mode == NSBOX_ADDR_POOL && nsbox_pool_range_explicit(a)) {
		nsbox_ip_text(&a->first, f, sizeof(f));
		nsbox_ip_text(&a->last, l, sizeof(l));
		snprintf(out, n, "%s/%u %s-%s", ip, a->cidr.prefix, f, l);
	} else
		snprintf(out, n, "%s/%u", ip, a->cidr.prefix);
}

/* "N" or "N-M" of ports into D; 0 or -EINVAL / -ERANGE. */
static int
ports_parse(char *s, struct nsbox_dest *d)
{
	char *dash = strchr(s, '-');
	int r;

	if (dash)
		*dash = 0;
	r = nsbox_uint_parse(s, 1, 65535, &d->port_lo);
	if (r == 0)
		r = dash ? nsbox_uint_parse(dash + 1, 1, 65535, &d->port_hi) : 0;
	if (r == 0 && !dash)
		d->port_hi = d->port_lo;
	if (r == 0 && d->port_hi < d->port_lo)
		r = -ERANGE;
	return r;
}

int
nsbox_dest_parse(const char *s, struct nsbox_dest *out)
{
	char buf[INET6_ADDRSTRLEN + 32], *addr = buf, *ports = NULL, *slash;
	size_t len = strnlen(s, sizeof(buf));
	unsigned prefix;
	int r;

	*out = (struct nsbox_dest){ .proto = 0 };
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	/* the protocol is last: "/tcp" cannot be a prefix */
	if (len > 4 && (!strcmp(buf + len - 4, "/tcp") || !strcmp(buf + len - 4, "/udp"))) {
		out->proto = buf[len - 3] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
		buf[len - 4] = 0;
	}
	if (buf[0] == '[') { /* IPv6 before a port */
		char *close = strchr(buf, ']');
		if (!close || close[1] != ':' || !close[2])
			return -EINVAL;
		*close = 0;
		addr = buf + 1;
		ports = close + 2;
	} else {
		char *colon = strchr(buf, ':');
		/* one colon: IPv4 and a port; more: an IPv6 address, which takes a port in brackets */
		if (colon && !strchr(colon + 1, ':')) {
			*colon = 0;
			ports = colon + 1;
		}
	}
	slash = strchr(addr, '/');
	if (slash)
		*slash = 0;
	if (nsbox_ip_parse(addr, &out->net.ip) < 0 || (buf[0] == '[' && out->net.ip.family != AF_INET6))
		return -EINVAL;
	prefix = nsbox_ip_bits(out->net.ip.family);
	if (slash && nsbox_uint_parse(slash + 1, 0, prefix, &prefix) < 0)
		return -EINVAL;
	out->net.prefix = prefix;
	nsbox_u128 v = 0;
	if (nsbox_ip_to_u128(&out->net.ip, &v) < 0 || (v & nsbox_host_mask(out->net.ip.family, prefix)))
		return -EDOM;
	if (ports && (r = ports_parse(ports, out)) < 0)
		return r;
	return 0;
}

void
nsbox_dest_text(const struct nsbox_dest *d, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN], pre[8] = "", ports[16] = "";
	bool v6 = d->net.ip.family == AF_INET6;

	nsbox_ip_text(&d->net.ip, ip, sizeof(ip));
	if (d->net.prefix != nsbox_ip_bits(d->net.ip.family))
		snprintf(pre, sizeof(pre), "/%u", d->net.prefix);
	if (d->port_lo && d->port_lo == d->port_hi)
		snprintf(ports, sizeof(ports), ":%u", d->port_lo);
	else if (d->port_lo)
		snprintf(ports, sizeof(ports), ":%u-%u", d->port_lo, d->port_hi);
	snprintf(out, n, "%s%s%s%s%s%s", v6 && *ports ? "[" : "", ip, pre, v6 && *ports ? "]" : "",
		 ports, d->proto == IPPROTO_TCP ? "/tcp" : d->proto == IPPROTO_UDP ? "/udp" : "");
}

bool
nsbox_dest_allows(const struct nsbox_dest *d, const struct nsbox_ip *ip, int proto, unsigned port)
{
	if (!nsbox_ip_in_cidr(ip, &d->net))
		return false;
	if (d->proto && d->proto != proto)
		return false;
	if (d->port_lo && (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return false;
	return !d->port_lo || (port >= d->port_lo && port <= d->port_hi);
}
