// SPDX-License-Identifier: BSD-3-Clause
/* The key registry of nsbox.conf: one row per key (name, parser, printer, built-in value, the bytes
 * of struct nsbox_settings it owns, flags), so that parsing, defaults, layering and printing are
 * loops over one table. Pure code: no privileged work, no logging; runs in nsbox-helper (root),
 * nsboxctl and the tests. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "nsbox/cleanup.h"

/* ---- messages ---- */

static int
bad_value(const struct kv *v, const char *val)
{
	char q[QBUF];

	return conf_fail(v->err, v->file, v->line, -EINVAL, "bad value '%s' for '%s' (want %s)",
			 conf_quote(q, sizeof(q), val), v->key->name, v->key->want);
}

__attribute__((format(printf, 2, 3))) static int
kv_fail(const struct kv *v, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = conf_vfail(v->err, v->file, v->line, -EINVAL, fmt, ap);
	va_end(ap);
	return r;
}

static int
too_many(const struct kv *v, size_t max)
{
	return kv_fail(v, "too many values for '%s' (max %zu)", v->key->name, max);
}

/* ---- names ---- */

static bool
is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* RFC 1123 name of at most MAX bytes. */
static bool
name_valid(const char *s, size_t max)
{
	size_t len = strnlen(s, max + 1), label = 0;

	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(s[i]) || s[i] == '-') {
			if (s[i] == '-' && label == 0)
				return false;
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return label > 0 && s[len - 1] != '-';
}

bool
nsbox_hostname_valid(const char *name)
{
	return name && name_valid(name, NSBOX_HOSTNAME_MAX);
}

bool
nsbox_domain_valid(const char *name)
{
	return name && name_valid(name, 253);
}

bool
nsbox_ifname_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, IFNAMSIZ);
	if (len == 0 || len >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		/* dev_valid_name() refuses '/', ':' and whitespace; stricter here: no control or
		 * non-ASCII bytes, and no '%' (the kernel expands "%d" in names it creates). */
		if (ch <= 0x20 || ch >= 0x7f || ch == '/' || ch == ':' || ch == '%')
			return false;
	}
	return true;
}

/* ---- parsers and printers, one pair per kind of value ---- */

/* The bytes key K owns in S, for the kinds of value stored in one field. */
static void *
field(const struct key_def *k, struct nsbox_settings *s)
{
	return (char *)s + k->off;
}

static const void *
cfield(const struct key_def *k, const struct nsbox_settings *s)
{
	return (const char *)s + k->off;
}

/* A word of K->words, stored as its index in a bool or an enum. */
static int
parse_choice(const struct kv *v, struct nsbox_settings *s)
{
	for (unsigned i = 0; v->key->words[i]; i++)
		if (!strcmp(v->tok[0], v->key->words[i])) {
			if (v->key->size == sizeof(bool))
				*(bool *)field(v->key, s) = i;
			else
				*(int *)field(v->key, s) = (int)i;
			return 0;
		}
	return bad_value(v, v->tok[0]);
}

static int
format_choice(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	const void *f = cfield(k, s);
	unsigned i = k->size == sizeof(bool) ? *(const bool *)f : (unsigned)*(const int *)f;

	snprintf(out, n, "%s", k->words[i]);
	return 0;
}

/* A word that fits the key's char array. */
static int
parse_string(const struct kv *v, struct nsbox_settings *s)
{
	const char *t = v->tok[0];

	if (strlen(t) >= v->key->size)
		return bad_value(v, t);
	conf_copy_str(field(v->key, s), t, v->key->size);
	return 0;
}

static int
format_string(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	const char *t = cfield(k, s);

	if (!*t)
		return -ENOENT;
	snprintf(out, n, "%s", t);
	return 0;
}

static int
parse_ifname(const struct kv *v, struct nsbox_settings *s)
{
	if (!nsbox_ifname_valid(v->tok[0]))
		return bad_value(v, v->tok[0]);
	return parse_string(v, s);
}

/* A system account's name, as useradd takes it without --badname: [A-Za-z0-9_.-], not starting
 * with '-' or '.', at most 32 bytes. */
static int
parse_username(const struct kv *v, struct nsbox_settings *s)
{
	const char *u = v->tok[0];
	size_t len = strlen(u);

	if (len == 0 || len > 32 || u[0] == '-' || u[0] == '.' ||
	    strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len)
		return bad_value(v, u);
	return parse_string(v, s);
}

static int
parse_path(const struct kv *v, struct nsbox_settings *s)
{
	if (v->tok[0][0] != '/')
		return bad_value(v, v->tok[0]);
	return parse_string(v, s);
}

static int
parse_number(const struct kv *v, struct nsbox_settings *s)
{
	if (v->key->zero && !strcmp(v->tok[0], v->key->zero)) {
		*(unsigned *)field(v->key, s) = 0;
		return 0;
	}
	if (nsbox_uint_parse(v->tok[0], v->key->min, v->key->max, field(v->key, s)) < 0)
		return bad_value(v, v->tok[0]);
	return 0;
}

/* An unsigned field as the key's word for zero, or the number and UNIT. */
static int
format_unsigned(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n,
		const char *unit)
{
	unsigned u = *(const unsigned *)cfield(k, s);

	if (k->zero && !u)
		snprintf(out, n, "%s", k->zero);
	else
		snprintf(out, n, "%u%s", u, unit);
	return 0;
}

static int
format_number(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	return format_unsigned(k, s, out, n, "");
}

/* Appends WORD to the blank-separated list in OUT (N bytes), *O bytes long so far. */
static void
append_word(char *out, size_t n, size_t *o, const char *word)
{
	int l = snprintf(out + *o, *o < n ? n - *o : 0, "%s%s", *o ? " " : "", word);

	if (l > 0)
		*o += (size_t)l;
}

/* The order nsbox.conf(5) lists namespaces in and nsbox_settings_print writes them;
 * nsbox_ns_table is in join order. */
static const unsigned long ns_print_order[] = { CLONE_NEWPID, CLONE_NEWNS, CLONE_NEWIPC,
						CLONE_NEWUTS, CLONE_NEWNET };
_Static_assert(ARRAY_SIZE(ns_print_order) == NSBOX_N_NS, "every namespace printed once");

static int
parse_namespaces(const struct kv *v, struct nsbox_settings *s)
{
	unsigned long ns = 0;

	if (v->n > NSBOX_N_NS)
		return too_many(v, NSBOX_N_NS);
	for (size_t i = 0; i < v->n; i++) {
		const struct nsbox_ns *e = nsbox_ns_by_conf(v->tok[i]);

		if (!e)
			return bad_value(v, v->tok[i]);
		if (ns & e->flag)
			return kv_fail(v, "duplicate '%s' in '%s'", e->conf, v->key->name);
		ns |= e->flag;
	}
	if (!(ns & CLONE_NEWNS))
		return kv_fail(v, "namespaces must include mount");
	s->namespaces = ns;
	return 0;
}

static int
format_namespaces(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	size_t o = 0;

	(void)k;
	out[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(ns_print_order); i++) {
		if (!(s->namespaces & ns_print_order[i]))
			continue;
		for (size_t j = 0; j < NSBOX_N_NS; j++)
			if (nsbox_ns_table[j].flag == ns_print_order[i])
				append_word(out, n, &o, nsbox_ns_table[j].conf);
	}
	return 0;
}

static int
parse_hostname(const struct kv *v, struct nsbox_settings *s)
{
	/* every value at its shortest (one that maps to its hash alone) and at its longest (cut to
	 * fit): any user name, service and host then give a host name */
	static const struct nsbox_tmpl_vars shortest = { "_", "0a1b2c3d", "_", "_" };
	char longest_value[256];
	struct nsbox_tmpl_vars longest = { longest_value, "0a1b2c3d", longest_value, longest_value };
	char out[NSBOX_HOSTNAME_MAX + 1], q[QBUF];
	const char *val = v->tok[0];
	int r;

	memset(longest_value, 'x', sizeof(longest_value) - 1);
	longest_value[sizeof(longest_value) - 1] = 0;

	if (!strcmp(val, "keep")) {
		s->hostname[0] = 0;
		return 0;
	}
	if (strlen(val) >= v->key->size)
		return kv_fail(v, "hostname template '%s' is too long (max %zu bytes)",
			       conf_quote(q, sizeof(q), val), v->key->size - 1);
	r = nsbox_template_expand(val, &shortest, out, sizeof(out));
	if (r == 0)
		r = nsbox_template_expand(val, &longest, out, sizeof(out));
	if (r == -EINVAL)
		return bad_value(v, val);
	if (r == -ENAMETOOLONG)
		return kv_fail(v, "hostname template '%s' gives more than %d bytes",
			       conf_quote(q, sizeof(q), val), NSBOX_HOSTNAME_MAX);
	if (r < 0)
		return kv_fail(v, "hostname template '%s' does not give a valid host name",
			       conf_quote(q, sizeof(q), val));
	conf_copy_str(s->hostname, val, sizeof(s->hostname));
	return 0;
}

static int
format_hostname(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	if (format_string(k, s, out, n) < 0)
		snprintf(out, n, "keep");
	return 0;
}

/* mac_auto, then mac. */
static int
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

static int
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
static int
parse_ip(const struct kv *v, struct nsbox_settings *s)
{
	struct nsbox_ip ip;

	if (nsbox_ip_parse(v->tok[0], &ip) < 0 || ip.family != v->key->family)
		return bad_value(v, v->tok[0]);
	*(struct nsbox_ip *)field(v->key, s) = ip;
	return 0;
}

static int
format_ip(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	const struct nsbox_ip *ip = cfield(k, s);

	if (!ip->family)
		return -ENOENT;
	nsbox_ip_text(ip, out, n);
	return 0;
}

/* dns: up to NSBOX_MAX_DNS addresses of either family, then n_dns. */
static int
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

static int
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
static int
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

static int
format_egress(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	char t[INET6_ADDRSTRLEN + 32];
	size_t o = 0;

	(void)k;
	/* not limited is any: said for a bridged box, unset (like its other keys) for the rest */
	if (!s->egress_limited && s->network != NSBOX_NET_BRIDGE)
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
static int
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

static int
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
static int
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

static int
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

static int
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

static int
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

/* ---- hardening ---- */

/* The kernel's capability names (linux/capability.h, the order of their numbers), as libcap
 * spells them without "cap_": a table here keeps libcap and its constructor out of the helper's
 * exec, which parses this on every login. A capability newer than the table is named by its
 * number when printed and cannot be named in the config. */
static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
	"setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
	"net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
	"sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
	"audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

/* NAME's number ("cap_" prefix optional, any case), or -1. */
static int
cap_number(const char *name)
{
	if (!strncasecmp(name, "cap_", 4))
		name += 4;
	for (size_t c = 0; c < ARRAY_SIZE(cap_names); c++)
		if (!strcasecmp(name, cap_names[c]))
			return (int)c;
	return -1;
}

/* caps: "keep ALL", "drop ALL", "drop NAME...", "keep NAME..." with libcap's names, the
 * "cap_" prefix optional. */
#define CAPS_MAX_NAMES 15
static int
parse_caps(const struct kv *v, struct nsbox_settings *s)
{
	bool keep;
	unsigned long long set = 0;

	if (v->n < 2 || (strcmp(v->tok[0], "keep") && strcmp(v->tok[0], "drop")))
		return bad_value(v, v->orig);
	keep = !strcmp(v->tok[0], "keep");
	if (v->n == 2 && !strcmp(v->tok[1], "ALL")) {
		s->caps_keep = keep ? ~0ull : 0;
		return 0;
	}
	if (v->n > CAPS_MAX_NAMES + 1)
		return too_many(v, CAPS_MAX_NAMES);
	for (size_t i = 1; i < v->n; i++) {
		int c = cap_number(v->tok[i]);

		if (c < 0)
			return bad_value(v, v->tok[i]);
		set |= 1ull << c;
	}
	s->caps_keep = keep ? set : ~set;
	return 0;
}

static int
format_caps(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	unsigned long long c = s->caps_keep;
	bool keep = __builtin_popcountll(c) <= 32;
	size_t o = 0;

	(void)k;
	if (c == ~0ull || c == 0) {
		snprintf(out, n, "%s ALL", c ? "keep" : "drop");
		return 0;
	}
	append_word(out, n, &o, keep ? "keep" : "drop");
	for (unsigned b = 0; b < 64; b++)
		if (!!(c & (1ull << b)) == keep) {
			char num[4];

			snprintf(num, sizeof(num), "%u", b);
			append_word(out, n, &o, b < ARRAY_SIZE(cap_names) ? cap_names[b] : num);
		}
	return 0;
}

/* A size: a number of bytes with an optional k, m or g suffix, from 1m to 1t; or the key's word
 * for none (0). */
static int
parse_size(const struct kv *v, struct nsbox_settings *s)
{
	const char *t = v->tok[0];
	size_t len = strlen(t);
	unsigned long long mult = 1, x = 0;

	if (v->key->zero && !strcmp(t, v->key->zero)) {
		*(unsigned long long *)field(v->key, s) = 0;
		return 0;
	}
	if (len && strchr("kKmMgG", t[len - 1])) {
		mult = strchr("kK", t[len - 1]) ? 1ull << 10 : strchr("mM", t[len - 1]) ? 1ull << 20
											 : 1ull << 30;
		len--;
	}
	if (!len || len > 13)
		return bad_value(v, t);
	for (size_t i = 0; i < len; i++) {
		if (t[i] < '0' || t[i] > '9')
			return bad_value(v, t);
		x = x * 10 + (unsigned)(t[i] - '0');
	}
	if (x > (1ull << 40) / mult || x * mult < (1ull << 20))
		return bad_value(v, t);
	*(unsigned long long *)field(v->key, s) = x * mult;
	return 0;
}

static int
format_size(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	unsigned long long x = *(const unsigned long long *)cfield(k, s);

	if (k->zero && !x)
		snprintf(out, n, "%s", k->zero);
	else if (x % (1ull << 30) == 0)
		snprintf(out, n, "%llug", x >> 30);
	else if (x % (1ull << 20) == 0)
		snprintf(out, n, "%llum", x >> 20);
	else if (x % (1ull << 10) == 0)
		snprintf(out, n, "%lluk", x >> 10);
	else
		snprintf(out, n, "%llu", x);
	return 0;
}

/* An absolute path the helper can open one component at a time: no "." or "..", no empty
 * component, no trailing slash, not "/" itself, printable ASCII. */
static bool
path_valid(const char *p)
{
	size_t len = strlen(p);

	if (p[0] != '/' || len < 2 || len >= NSBOX_PATH_MAX || p[len - 1] == '/')
		return false;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return false;
	for (const char *c = p; c; c = strchr(c + 1, '/')) {
		size_t l = strcspn(c + 1, "/");
		if (l == 0 || (l == 1 && c[1] == '.') || (l == 2 && c[1] == '.' && c[2] == '.'))
			return false;
	}
	return true;
}

static int
parse_paths(const struct kv *v, struct nsbox_settings *s)
{
	struct nsbox_paths *ps = field(v->key, s);

	if (v->n > NSBOX_MAX_PATHS)
		return too_many(v, NSBOX_MAX_PATHS);
	memset(ps, 0, sizeof(*ps));
	for (size_t i = 0; i < v->n; i++) {
		if (!path_valid(v->tok[i]))
			return bad_value(v, v->tok[i]);
		conf_copy_str(ps->p[i], v->tok[i], sizeof(ps->p[i]));
	}
	ps->n = (unsigned)v->n;
	return 0;
}

static int
format_paths(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	const struct nsbox_paths *ps = cfield(k, s);
	size_t o = 0;

	if (!ps->n)
		return -ENOENT;
	out[0] = 0;
	for (unsigned i = 0; i < ps->n && i < NSBOX_MAX_PATHS; i++)
		append_word(out, n, &o, ps->p[i]);
	return 0;
}

/* proc: the procfs options a box may choose, each at most once. */
static int
parse_proc(const struct kv *v, struct nsbox_settings *s)
{
	static const char *const allowed[] = { "hidepid=0", "hidepid=1", "hidepid=2",
					       "hidepid=noaccess", "hidepid=invisible",
					       "hidepid=ptraceable", "subset=pid", NULL };
	char buf[sizeof(s->proc_opts)], *save = NULL;
	bool hidepid = false, subset = false;

	if (strlen(v->tok[0]) >= sizeof(buf))
		return bad_value(v, v->tok[0]);
	conf_copy_str(buf, v->tok[0], sizeof(buf));
	for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		size_t i;
		bool *seen = !strncmp(o, "hidepid=", 8) ? &hidepid : &subset;

		for (i = 0; allowed[i] && strcmp(o, allowed[i]); i++)
			;
		if (!allowed[i] || *seen)
			return bad_value(v, v->tok[0]);
		*seen = true;
	}
	if (v->tok[0][0] == ',' || v->tok[0][strlen(v->tok[0]) - 1] == ',' || strstr(v->tok[0], ",,"))
		return bad_value(v, v->tok[0]);
	conf_copy_str(s->proc_opts, v->tok[0], sizeof(s->proc_opts));
	return 0;
}

/* cpu_quota: N% of one CPU, 1% to 100000% (systemd's CPUQuota=), or none. */
static int
parse_percent(const struct kv *v, struct nsbox_settings *s)
{
	const char *t = v->tok[0];
	size_t len = strlen(t);
	char num[16];

	if (v->key->zero && !strcmp(t, v->key->zero)) {
		*(unsigned *)field(v->key, s) = 0;
		return 0;
	}
	if (len < 2 || len > sizeof(num) || t[len - 1] != '%')
		return bad_value(v, t);
	memcpy(num, t, len - 1);
	num[len - 1] = 0;
	if (nsbox_uint_parse(num, v->key->min, v->key->max, field(v->key, s)) < 0)
		return bad_value(v, t);
	return 0;
}

/* pool_share: "none", N (1-65535) or P% (1-100); then pool_share_pct. */
static int
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

static int
format_percent(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	return format_unsigned(k, s, out, n, "%");
}

static int
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

/* What each profile gives the KF_PROFILE keys; a key it does not name gets its built-in value. */
static const char *const profile_values[][K_N] = {
	[NSBOX_PROFILE_RESTRICTED] = {
		[K_NO_NEW_PRIVS] = "yes", [K_CAPS] = "drop ALL", [K_SECCOMP] = "default",
		[K_TMP] = "private", [K_RUNTIME_DIR] = "private", [K_RUN_WRITABLE] = "private",
		[K_HIDE] = "/run/dbus /run/systemd/private /run/screen",
		[K_READONLY] = "/proc/sys",
		[K_NEIGHBOURS] = "deny",
		/* a shared host: a fork bomb, a memory hog or a spinner takes its own box down, not
		 * the host (nsbox.conf(5) says why these numbers) */
		[K_MEMORY_MAX] = "2g", [K_TASKS_MAX] = "512", [K_CPU_QUOTA] = "100%",
	},
	[NSBOX_PROFILE_LAB] = { [K_TMP] = "private" },
};

/* ---- the table ---- */

#define FIELD(f) offsetof(struct nsbox_settings, f), sizeof(((struct nsbox_settings *)0)->f)
/* Fields A..B, for a key stored in more than one. */
#define SPAN(a, b)                                                                                 \
	offsetof(struct nsbox_settings, a),                                                        \
		offsetof(struct nsbox_settings, b) + sizeof(((struct nsbox_settings *)0)->b) -     \
			offsetof(struct nsbox_settings, a)

/* The kinds of value: a parser, its printer and their parameter. */
#define CHOICE(w)         .parse = parse_choice, .format = format_choice, .words = (w)
#define NUMBER(lo, hi, z)                                                                          \
	.parse = parse_number, .format = format_number, .min = (lo), .max = (hi), .zero = (z)
#define IFNAME            .parse = parse_ifname, .format = format_string
#define PATH              .parse = parse_path, .format = format_string
#define ADDRESS(f)        .parse = parse_ip, .format = format_ip, .family = (f)
#define ADDRSPEC(f)                                                                                \
	.parse = parse_addrspec, .format = format_addrspec, .family = (f), .list = true
#define OWN(p, f)         .parse = (p), .format = (f)
#define SIZE              .parse = parse_size, .format = format_size
#define PATHS             .parse = parse_paths, .format = format_paths, .list = true

static const char *const yes_no[] = { "no", "yes", NULL };
static const char *const on_error_words[] = { [NSBOX_ON_ERROR_DENY] = "deny",
					      [NSBOX_ON_ERROR_ALLOW] = "allow", NULL };
static const char *const network_words[] = { [NSBOX_NET_NONE] = "none",
					     [NSBOX_NET_BRIDGE] = "bridge", NULL };
static const char *const profile_words[] = { [NSBOX_PROFILE_NONE] = "none",
					     [NSBOX_PROFILE_RESTRICTED] = "restricted",
					     [NSBOX_PROFILE_LAB] = "lab", NULL };
static const char *const seccomp_words[] = { "off", "default", NULL };
static const char *const shared_private[] = { "shared", "private", NULL };
/* neighbours: whether boxes on one bridge reach each other (deny: isolated bridge ports) */
static const char *const neighbours_words[] = { "allow", "deny", NULL };
static const char *const share_words[] = { [NSBOX_SHARE_NONE] = "none",
					   [NSBOX_SHARE_USER] = "user", NULL };
_Static_assert(sizeof(enum nsbox_profile) == sizeof(int), "choices are stored as int");

const char *
nsbox_profile_name(enum nsbox_profile p)
{
	return (unsigned)p < ARRAY_SIZE(profile_words) && profile_words[p] ? profile_words[p] : "?";
}
_Static_assert(sizeof(enum nsbox_on_error) == sizeof(int) && sizeof(enum nsbox_network) ==
	       sizeof(int) && sizeof(enum nsbox_share) == sizeof(int), "choices are stored as int");

/* clang-format off */
const struct key_def key_table[K_N] = {
	/* name, what a bad value wants, built-in value, where it is stored, kind, flags */
	[K_EXEMPT] = { "exempt", "yes or no", "no", FIELD(exempt), CHOICE(yes_no) },
	[K_NAMESPACES] = { "namespaces", "pid, mount, ipc, uts or net", "pid mount ipc uts net",
		FIELD(namespaces), OWN(parse_namespaces, format_namespaces), .list = true },
	[K_HOSTNAME] = { "hostname", "a host name template with %u %i %s %h %%, or keep", "%u-box",
		FIELD(hostname), OWN(parse_hostname, format_hostname) },
	[K_ON_ERROR] = { "on_error", "deny or allow", "deny", FIELD(on_error),
		CHOICE(on_error_words) },
	[K_NETWORK] = { "network", "none or bridge", "none", FIELD(network),
		CHOICE(network_words) },
	[K_BRIDGE] = { "bridge", "an interface name", NULL, SPAN(bridge, n_bridges),
		OWN(parse_bridges, format_bridges), .list = true, .flags = KF_BRIDGE },
	[K_IFNAME] = { "ifname", "an interface name", "eth0", FIELD(ifname), IFNAME },
	[K_MAC] = { "mac", "auto or a unicast xx:xx:xx:xx:xx:xx", "auto", SPAN(mac_auto, mac),
		OWN(parse_mac, format_mac) },
	[K_MTU] = { "mtu", "68-65535 or auto", "auto", FIELD(mtu), NUMBER(68, 65535, "auto") },
	[K_ADDRESS] = { "address", "A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp", NULL,
		FIELD(address), ADDRSPEC(AF_INET), .flags = KF_BRIDGE },
	[K_GATEWAY] = { "gateway", "an IPv4 address", NULL, FIELD(gateway), ADDRESS(AF_INET),
		.flags = KF_BRIDGE | KF_LEASE },
	[K_ADDRESS6] = { "address6", "an IPv6 CIDR or pool CIDR [FIRST-LAST]", NULL,
		FIELD(address6), ADDRSPEC(AF_INET6), .flags = KF_BRIDGE },
	[K_GATEWAY6] = { "gateway6", "an IPv6 address", NULL, FIELD(gateway6), ADDRESS(AF_INET6),
		.flags = KF_BRIDGE },
	[K_DNS] = { "dns", "1-3 IP addresses", NULL, SPAN(dns, n_dns),
		OWN(parse_ip_list, format_ip_list), .list = true, .flags = KF_BRIDGE | KF_LEASE },
	[K_SEARCH] = { "search", "1-6 domain names", NULL, SPAN(search, n_search),
		OWN(parse_names, format_names), .list = true, .flags = KF_BRIDGE },
	[K_STICKY] = { "sticky", "yes or no", "no", FIELD(sticky), CHOICE(yes_no) },
	[K_NEIGHBOURS] = { "neighbours", "allow or deny", "allow", FIELD(isolated),
		CHOICE(neighbours_words), .flags = KF_PROFILE },
	[K_DHCP_CLIENT] = { "dhcp_client", "an absolute path", "/sbin/dhclient",
		FIELD(dhcp_client), PATH },
	[K_DHCP_TIMEOUT] = { "dhcp_timeout", "1-120", "5", FIELD(dhcp_timeout),
		NUMBER(1, NSBOX_DHCP_TIMEOUT_MAX, NULL) },
	[K_DHCP_USER] = { "dhcp_user", "a user name", "_nsbox-dhcp", FIELD(dhcp_user),
		OWN(parse_username, format_string) },
	[K_PROFILE] = { "profile", "restricted, lab or none", "none", FIELD(profile),
		CHOICE(profile_words) },
	[K_NO_NEW_PRIVS] = { "no_new_privs", "yes or no", "no", FIELD(no_new_privs),
		CHOICE(yes_no), .flags = KF_PROFILE },
	[K_CAPS] = { "caps", "keep ALL, drop ALL, drop NAME... or keep NAME...", "keep ALL",
		FIELD(caps_keep), OWN(parse_caps, format_caps), .list = true, .flags = KF_PROFILE },
	[K_SECCOMP] = { "seccomp", "default or off", "off", FIELD(seccomp), CHOICE(seccomp_words),
		.flags = KF_PROFILE },
	[K_TMP] = { "tmp", "shared or private", "shared", FIELD(tmp_private),
		CHOICE(shared_private), .flags = KF_PROFILE },
	[K_TMP_SIZE] = { "tmp_size", "a size from 1m to 1024g", "256m", FIELD(tmp_size), SIZE },
	[K_RUNTIME_DIR] = { "runtime_dir", "shared or private", "shared", FIELD(runtime_private),
		CHOICE(shared_private), .flags = KF_PROFILE },
	[K_RUN_WRITABLE] = { "run_writable", "shared or private", "shared", FIELD(run_private),
		CHOICE(shared_private), .flags = KF_PROFILE },
	[K_HIDE] = { "hide", "1-16 absolute paths", NULL, FIELD(hide), PATHS,
		.flags = KF_PROFILE },
	[K_READONLY] = { "readonly", "1-16 absolute paths", NULL, FIELD(readonly), PATHS,
		.flags = KF_PROFILE },
	[K_SHM_SIZE] = { "shm_size", "a size from 1m to 1024g", "64m", FIELD(shm_size), SIZE },
	[K_PROC] = { "proc", "hidepid=0|1|2|noaccess|invisible|ptraceable and subset=pid, "
		"comma-separated", NULL, FIELD(proc_opts), OWN(parse_proc, format_string) },
	[K_SHARE] = { "share", "none or user", "none", FIELD(share), CHOICE(share_words) },
	[K_MAX_BOXES] = { "max_boxes", "1-65535 or none", "none", FIELD(max_boxes),
		NUMBER(1, 65535, "none") },
	[K_MAX_SESSIONS] = { "max_sessions", "1-1000 or none", "none", FIELD(max_sessions),
		NUMBER(1, 1000, "none") },
	[K_MEMORY_MAX] = { "memory_max", "a size from 1m to 1024g, or none", "none",
		FIELD(memory_max), SIZE, .zero = "none", .flags = KF_PROFILE },
	[K_TASKS_MAX] = { "tasks_max", "1-4194304 or none", "none", FIELD(tasks_max),
		NUMBER(1, 4194304, "none"), .flags = KF_PROFILE },
	[K_CPU_QUOTA] = { "cpu_quota", "1%-100000% of one CPU, or none", "none", FIELD(cpu_quota),
		.parse = parse_percent, .format = format_percent, .min = 1, .max = 100000,
		.zero = "none", .flags = KF_PROFILE },
	[K_POOL_SHARE] = { "pool_share", "1-65535, 1%-100% or none", "none",
		SPAN(pool_share, pool_share_pct), OWN(parse_pool_share, format_pool_share) },
	[K_EGRESS] = { "egress", "any, none or ADDRESS[/PREFIX][:PORT[-PORT]][/tcp|/udp]...",
		NULL, SPAN(egress_limited, n_egress), OWN(parse_egress, format_egress),
		.list = true, .flags = KF_BRIDGE },
	[K_EGRESS_LOG] = { "egress_log", "yes or no", "no", FIELD(egress_log), CHOICE(yes_no) },
};
/* clang-format on */

/* ---- loops over the table ---- */

int
key_find(const char *name)
{
	for (int k = 0; k < K_N; k++)
		if (!strcmp(name, key_table[k].name))
			return k;
	return -1;
}

void *
key_field(struct nsbox_settings *s, enum key k)
{
	return field(&key_table[k], s);
}

const void *
key_cfield(const struct nsbox_settings *s, enum key k)
{
	return cfield(&key_table[k], s);
}

int
key_parse(enum key k, char *val, char *orig, struct nsbox_conf_err *err, const char *file,
	  unsigned line, struct nsbox_settings *s)
{
	char *tok[KV_MAX_TOK];
	struct kv v = { &key_table[k], err, file, line, tok, 0, orig };

	memcpy(orig, val, strlen(val) + 1);
	v.n = conf_split(val, tok, ARRAY_SIZE(tok));
	if (!v.key->list && v.n != 1)
		return bad_value(&v, orig);
	return v.key->parse(&v, s);
}

void
settings_builtin(struct nsbox_settings *s)
{
	struct nsbox_conf_err err;

	memset(s, 0, sizeof(*s));
	for (int k = 0; k < K_N; k++) {
		char val[64], orig[64];

		if (!key_table[k].builtin)
			continue;
		conf_copy_str(val, key_table[k].builtin, sizeof(val));
		/* cannot fail: test_keys parses every built-in value */
		(void)key_parse((enum key)k, val, orig, &err, "builtin", 0, s);
	}
	conf_copy_str(s->matched, "defaults", sizeof(s->matched));
}

void
layer_init(struct layered *l)
{
	memset(l->src, 0, sizeof(l->src));
	settings_builtin(&l->s);
}

/* The preset of profile P, laid over L as if SEC had set each of its keys. */
static void
profile_apply(struct layered *l, enum nsbox_profile p, const struct section *sec)
{
	struct nsbox_settings b;

	settings_builtin(&b);
	for (int k = 0; k < K_N; k++) {
		struct nsbox_conf_err err;
		char val[NSBOX_CONF_MAX_LINE + 1], orig[NSBOX_CONF_MAX_LINE + 1];

		if (!(key_table[k].flags & KF_PROFILE))
			continue;
		if (profile_values[p][k]) {
			conf_copy_str(val, profile_values[p][k], sizeof(val));
			/* cannot fail: test_keys parses every preset */
			(void)key_parse((enum key)k, val, orig, &err, "profile", 0, &l->s);
		} else
			memcpy(key_field(&l->s, (enum key)k), key_cfield(&b, (enum key)k),
			       key_table[k].size);
		l->src[k] = sec;
	}
}

int
profile_value(unsigned profile, int k, const char **value)
{
	if (profile >= ARRAY_SIZE(profile_values) || k < 0 || k >= K_N)
		return -EINVAL;
	*value = profile_values[profile][k];
	return 0;
}

void
layer_apply(struct layered *l, const struct section *sec)
{
	/* the section's profile first, so that its explicit keys win whatever their order */
	if (sec->key_line[K_PROFILE])
		profile_apply(l, sec->v.profile, sec);
	for (int k = 0; k < K_N; k++)
		if (sec->key_line[k]) {
			memcpy(key_field(&l->s, (enum key)k), key_cfield(&sec->v, (enum key)k),
			       key_table[k].size);
			l->src[k] = sec;
		}
}

void
layer_finish(struct layered *l)
{
	unsigned drop = l->s.network == NSBOX_NET_NONE	       ? KF_BRIDGE
			: l->s.address.mode == NSBOX_ADDR_DHCP ? KF_LEASE
							       : 0;
	struct nsbox_settings b;

	if (!drop)
		return;
	settings_builtin(&b);
	for (int k = 0; k < K_N; k++)
		if (key_table[k].flags & drop)
			memcpy(key_field(&l->s, (enum key)k), key_cfield(&b, (enum key)k),
			       key_table[k].size);
}

void
nsbox_settings_print(FILE *f, const struct nsbox_settings *s)
{
	char buf[NSBOX_CONF_MAX_LINE + 1];

	for (int k = 0; k < K_N; k++) {
		const struct key_def *d = &key_table[k];

		if (d->format(d, s, buf, sizeof(buf)) < 0)
			fprintf(f, "# %s (not set)\n", d->name);
		else
			fprintf(f, "%s = %s\n", d->name, buf);
	}
	if (s->egress_limited)
		fprintf(f, "# egress also lets through the box's dns servers (port 53) and, with "
			   "address = dhcp, DHCP\n");
	fprintf(f, "# matched %s\n", s->matched);
}
