// SPDX-License-Identifier: BSD-3-Clause
/* The values of nsbox.conf's network keys: mac, addresses and address specs (static, pool, dhcp),
 * dns, search, bridge, egress and pool_share, one parser and one printer each, named by key_table
 * (keys.c). Pure code: no privileged work, no logging; runs in nsbox-helper (root), nsboxctl and
 * the tests. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "internal.h"

/* mac_auto, then mac. */
int
parse_mac(const struct kv *v, struct nsbox_settings *s)
{
	const char *t = v->tok[0];
	unsigned char m[6];

	if (!strcmp(t, "auto")) {
		s->mac_auto = true;
		memset(s->mac, 0, sizeof(s->mac));
		return 0;
	}
	if (strlen(t) != 17)
		return bad_value(v, t);
	for (int i = 0; i < 6; i++) {
		unsigned x = 0;

		for (int j = 0; j < 2; j++) {
			char ch = t[i * 3 + j];

			x <<= 4;
			if (ch >= '0' && ch <= '9')
				x |= (unsigned)(ch - '0');
			else if (ch >= 'a' && ch <= 'f')
				x |= (unsigned)(ch - 'a' + 10);
			else if (ch >= 'A' && ch <= 'F')
				x |= (unsigned)(ch - 'A' + 10);
			else
				return bad_value(v, t);
		}
		if (i < 5 && t[i * 3 + 2] != ':')
			return bad_value(v, t);
		m[i] = (unsigned char)x;
	}
	/* multicast / broadcast, or all zero */
	if ((m[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return bad_value(v, t);
	memcpy(s->mac, m, 6);
	s->mac_auto = false;
	return 0;
}

int
format_mac(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	const unsigned char *m = s->mac;

	(void)k;
	if (s->mac_auto)
		snprintf(out, n, "auto");
	else
		snprintf(out, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}

/* An address of K->family. */
int
parse_ip(const struct kv *v, struct nsbox_settings *s)
{
	struct nsbox_ip ip;

	if (nsbox_ip_parse(v->tok[0], &ip) < 0 || ip.family != v->key->family)
		return bad_value(v, v->tok[0]);
	*(struct nsbox_ip *)field(v->key, s) = ip;
	return 0;
}

int
format_ip(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	const struct nsbox_ip *ip = cfield(k, s);

	if (!ip->family)
		return -ENOENT;
	nsbox_ip_text(ip, out, n);
	return 0;
}

/* dns: up to NSBOX_MAX_DNS addresses of either family, then n_dns. */
int
parse_ip_list(const struct kv *v, struct nsbox_settings *s)
{

	if (v->n > NSBOX_MAX_DNS)
		return too_many(v, NSBOX_MAX_DNS);
	for (size_t i = 0; i < v->n; i++)
		if (nsbox_ip_parse(v->tok[i], &s->dns[i]) < 0)
			return bad_value(v, v->tok[i]);
	s->n_dns = (unsigned)v->n;
	return 0;
}

int
format_ip_list(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	char t[INET6_ADDRSTRLEN];
	size_t o = 0;

	(void)k;
	if (!s->n_dns)
		return -ENOENT;
	for (unsigned i = 0; i < s->n_dns && i < NSBOX_MAX_DNS; i++) {
		nsbox_ip_text(&s->dns[i], t, sizeof(t));
		append_word(out, n, &o, t);
	}
	return 0;
}

/* egress: "any", "none", or up to NSBOX_MAX_EGRESS destinations (nsbox_dest_parse). */
int
parse_egress(const struct kv *v, struct nsbox_settings *s)
{
	char q[QBUF];

	s->egress_limited = true;
	s->n_egress = 0;
	if (v->n == 1 && (!strcmp(v->tok[0], "any") || !strcmp(v->tok[0], "none"))) {
		s->egress_limited = v->tok[0][0] == 'n';
		return 0;
	}
	/* tokens past KV_MAX_TOK are counted, not kept: the bound comes before any is read */
	if (v->n > NSBOX_MAX_EGRESS)
		return too_many(v, NSBOX_MAX_EGRESS);
	for (size_t i = 0; i < v->n; i++) {
		if (!strcmp(v->tok[i], "any") || !strcmp(v->tok[i], "none"))
			return kv_fail(v, "'%s' stands alone in 'egress'", v->tok[i]);
		int r = nsbox_dest_parse(v->tok[i], &s->egress[i]);
		if (r == -EDOM)
			return kv_fail(v, "'%s' in 'egress' has host bits set past its prefix",
				       conf_quote(q, sizeof(q), v->tok[i]));
		if (r == -ERANGE)
			return kv_fail(v, "'%s' in 'egress': a port is 1-65535, a range low-high",
				       conf_quote(q, sizeof(q), v->tok[i]));
		if (r < 0)
			return bad_value(v, v->tok[i]);
	}
	s->n_egress = (unsigned)v->n;
	return 0;
}

int
format_egress(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	char t[INET6_ADDRSTRLEN + 32];
	size_t o = 0;

	(void)k;
	/* not limited is any: said for a box with a veth, unset (like its other keys) for the rest */
	if (!s->egress_limited && !nsbox_net_veth(s->network))
		return -ENOENT;
	if (!s->egress_limited || !s->n_egress) {
		snprintf(out, n, "%s", s->egress_limited ? "none" : "any");
		return 0;
	}
	out[0] = 0;
	for (unsigned i = 0; i < s->n_egress && i < NSBOX_MAX_EGRESS; i++) {
		nsbox_dest_text(&s->egress[i], t, sizeof(t));
		append_word(out, n, &o, t);
	}
	return 0;
}

void
nsbox_egress_text(const struct nsbox_settings *s, char *out, size_t n)
{
	char buf[NSBOX_CONF_MAX_LINE + 1];

	if (!n)
		return;
	if (format_egress(NULL, s, buf, sizeof(buf)) < 0)
		buf[0] = 0;
	size_t len = strlen(buf);
	/* cut at a destination, never inside one */
	if (len >= n && n > 4) {
		buf[n - 4] = 0;
		char *sp = strrchr(buf, ' ');
		len = sp ? (size_t)(sp - buf) : 0;
		memcpy(buf + len, " ...", 5);
		len += 4;
	}
	if (len >= n)
		len = n - 1;
	memcpy(out, buf, len);
	out[len] = 0;
}

/* search: up to NSBOX_MAX_SEARCH domain names, then n_search. */
int
parse_names(const struct kv *v, struct nsbox_settings *s)
{

	if (v->n > NSBOX_MAX_SEARCH)
		return too_many(v, NSBOX_MAX_SEARCH);
	for (size_t i = 0; i < v->n; i++) {
		if (!name_valid(v->tok[i], sizeof(s->search[i]) - 1))
			return bad_value(v, v->tok[i]);
		conf_copy_str(s->search[i], v->tok[i], sizeof(s->search[i]));
	}
	s->n_search = (unsigned)v->n;
	return 0;
}

int
format_names(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	size_t o = 0;

	(void)k;
	if (!s->n_search)
		return -ENOENT;
	for (unsigned i = 0; i < s->n_search && i < NSBOX_MAX_SEARCH; i++)
		append_word(out, n, &o, s->search[i]);
	return 0;
}

/* bridge: 1 to NSBOX_MAX_BRIDGES interface names, each once, then n_bridges. */
int
parse_bridges(const struct kv *v, struct nsbox_settings *s)
{
	if (v->n > NSBOX_MAX_BRIDGES)
		return too_many(v, NSBOX_MAX_BRIDGES);
	for (size_t i = 0; i < v->n; i++) {
		if (!nsbox_ifname_valid(v->tok[i]))
			return bad_value(v, v->tok[i]);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(v->tok[i], v->tok[j])) {
				char q[QBUF];
				return kv_fail(v, "bridge '%s' is listed twice",
					       conf_quote(q, sizeof(q), v->tok[i]));
			}
		conf_copy_str(s->bridge[i], v->tok[i], sizeof(s->bridge[i]));
	}
	s->n_bridges = (unsigned)v->n;
	return 0;
}

int
format_bridges(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	size_t o = 0;

	(void)k;
	if (!s->n_bridges)
		return -ENOENT;
	for (unsigned i = 0; i < s->n_bridges && i < NSBOX_MAX_BRIDGES; i++)
		append_word(out, n, &o, s->bridge[i]);
	return 0;
}

/* ---- address and address6 ---- */

/* "ADDR/N": neither the network nor the (IPv4) broadcast address, while the subnet has them. */
static int
parse_static(const struct kv *v, struct nsbox_addrspec *a)
{
	struct nsbox_ip net, top;
	char q[QBUF];

	a->mode = NSBOX_ADDR_STATIC;
	if (nsbox_cidr_parse(v->tok[0], v->key->family, &a->cidr) < 0)
		return bad_value(v, v->orig);
	net = nsbox_cidr_net(&a->cidr);
	top = nsbox_cidr_top(&a->cidr);
	if (nsbox_cidr_has_net_addr(&a->cidr) && nsbox_ip_eq(&a->cidr.ip, &net))
		return kv_fail(v, "%s '%s' is the network address", v->key->name,
			       conf_quote(q, sizeof(q), v->tok[0]));
	if (nsbox_cidr_has_net_addr(&a->cidr) && a->cidr.ip.family == AF_INET &&
	    nsbox_ip_eq(&a->cidr.ip, &top))
		return kv_fail(v, "%s '%s' is the broadcast address", v->key->name,
			       conf_quote(q, sizeof(q), v->tok[0]));
	return 0;
}

/* "FIRST-LAST" of a pool: inside it, in order, leaving out the network and broadcast address. */
static int
parse_pool_range(const struct kv *v, struct nsbox_addrspec *a)
{
	char *dash = strchr(v->tok[2], '-');
	char q[QBUF], t[INET6_ADDRSTRLEN + 8];
	struct nsbox_ip net = nsbox_cidr_net(&a->cidr), top = nsbox_cidr_top(&a->cidr);
	int family = v->key->family, r;

	if (!dash)
		return bad_value(v, v->orig);
	*dash = 0;
	r = nsbox_ip_parse(v->tok[2], &a->first) < 0 || nsbox_ip_parse(dash + 1, &a->last) < 0 ||
	    a->first.family != family || a->last.family != family;
	*dash = '-';
	if (r)
		return bad_value(v, v->orig);
	conf_quote(q, sizeof(q), v->tok[2]);
	nsbox_net_text(&a->cidr, t, sizeof(t));
	if (!nsbox_ip_in_cidr(&a->first, &a->cidr) || !nsbox_ip_in_cidr(&a->last, &a->cidr))
		return kv_fail(v, "pool range '%s' is outside %s", q, t);
	if (nsbox_ip_cmp(&a->first, &a->last) > 0)
		return kv_fail(v, "pool range '%s' is reversed", q);
	if (nsbox_ip_eq(&a->first, &net))
		return kv_fail(v, "pool range '%s' includes the network address", q);
	if (family == AF_INET && nsbox_ip_eq(&a->last, &top))
		return kv_fail(v, "pool range '%s' includes the broadcast address", q);
	return 0;
}

/* "pool NET/N [FIRST-LAST]". */
static int
parse_pool(const struct kv *v, struct nsbox_addrspec *a)
{
	unsigned maxp = nsbox_ip_bits(v->key->family) - 2;
	struct nsbox_ip net;
	char q[QBUF];

	a->mode = NSBOX_ADDR_POOL;
	if (nsbox_cidr_parse(v->tok[1], v->key->family, &a->cidr) < 0)
		return bad_value(v, v->orig);
	net = nsbox_cidr_net(&a->cidr);
	if (!nsbox_ip_eq(&a->cidr.ip, &net))
		return kv_fail(v, "host bits set in pool '%s'", conf_quote(q, sizeof(q), v->tok[1]));
	if (a->cidr.prefix > maxp)
		return kv_fail(v, "pool '%s' is too small (want prefix <= %u)",
			       conf_quote(q, sizeof(q), v->tok[1]), maxp);
	if (v->n == 2)
		return nsbox_cidr_hosts(&a->cidr, &a->first, &a->last);
	return parse_pool_range(v, a);
}

int
parse_addrspec(const struct kv *v, struct nsbox_settings *s)
{
	struct nsbox_addrspec a;
	int r;

	memset(&a, 0, sizeof(a));
	if (v->n == 1 && !strcmp(v->tok[0], "dhcp") && v->key->family == AF_INET) {
		a.mode = NSBOX_ADDR_DHCP;
		r = 0;
	} else if (v->n == 1)
		r = parse_static(v, &a);
	else if ((v->n == 2 || v->n == 3) && !strcmp(v->tok[0], "pool"))
		r = parse_pool(v, &a);
	else
		r = bad_value(v, v->orig);
	if (r < 0)
		return r;
	*(struct nsbox_addrspec *)field(v->key, s) = a;
	return 0;
}

int
format_addrspec(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	const struct nsbox_addrspec *a = cfield(k, s);
	char t[INET6_ADDRSTRLEN * 3 + 16];

	if (a->mode == NSBOX_ADDR_NONE)
		return -ENOENT;
	if (a->mode == NSBOX_ADDR_DHCP) {
		snprintf(out, n, "dhcp");
		return 0;
	}
	nsbox_addrspec_text(a, t, sizeof(t));
	snprintf(out, n, "%s%s", a->mode == NSBOX_ADDR_POOL ? "pool " : "", t);
	return 0;
}

/* ---- pool_share ---- */

/* pool_share: "none", N (1-65535) or P% (1-100); then pool_share_pct. */
int
parse_pool_share(const struct kv *v, struct nsbox_settings *s)
{
	const char *t = v->tok[0];
	size_t len = strlen(t);
	bool pct = len > 1 && t[len - 1] == '%';
	char num[8];
	unsigned n;

	if (!strcmp(t, "none")) {
		s->pool_share = 0;
		s->pool_share_pct = false;
		return 0;
	}
	if (len - pct >= sizeof(num))
		return bad_value(v, t);
	memcpy(num, t, len - pct);
	num[len - pct] = 0;
	if (nsbox_uint_parse(num, 1, pct ? 100 : 65535, &n) < 0)
		return bad_value(v, t);
	s->pool_share = n;
	s->pool_share_pct = pct;
	return 0;
}

int
format_pool_share(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	(void)k;
	if (!s->pool_share)
		snprintf(out, n, "none");
	else
		snprintf(out, n, "%u%s", s->pool_share, s->pool_share_pct ? "%" : "");
	return 0;
}

unsigned long long
nsbox_pool_share_limit(const struct nsbox_settings *s, unsigned long long pool_size)
{
	unsigned long long l;

	if (!s->pool_share || !s->pool_share_pct)
		return s->pool_share;
	/* size * P / 100 without overflowing: a /64 pool has 2^64 - 1 addresses */
	l = pool_size / 100 * s->pool_share + pool_size % 100 * s->pool_share / 100;
	return l ? l : 1;
}
