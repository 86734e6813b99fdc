/* nsbox.conf: trust checks, parser, load-time consistency checks, rule matcher, hostname
 * templates and address helpers. Pure code: no privileged work, no logging, no exit. Linked into
 * nsbox-helper (runs as root and loads the config for every login), nsboxctl and the tests. */
#include "conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsbox/cleanup.h"

#define MAX_SECTIONS 4096
#define QBUF         88 /* one quoted user string in a message, "..." when cut */

enum key {
	K_EXEMPT,
	K_NAMESPACES,
	K_HOSTNAME,
	K_ON_ERROR,
	K_NETWORK,
	K_BRIDGE,
	K_IFNAME,
	K_MAC,
	K_MTU,
	K_ADDRESS,
	K_GATEWAY,
	K_ADDRESS6,
	K_GATEWAY6,
	K_DNS,
	K_SEARCH,
	K_STICKY,
	K_DHCP_CLIENT,
	K_DHCP_TIMEOUT,
	K_N
};

static const char *const key_name[K_N] = {
	[K_EXEMPT] = "exempt",		 [K_NAMESPACES] = "namespaces",
	[K_HOSTNAME] = "hostname",	 [K_ON_ERROR] = "on_error",
	[K_NETWORK] = "network",	 [K_BRIDGE] = "bridge",
	[K_IFNAME] = "ifname",		 [K_MAC] = "mac",
	[K_MTU] = "mtu",		 [K_ADDRESS] = "address",
	[K_GATEWAY] = "gateway",	 [K_ADDRESS6] = "address6",
	[K_GATEWAY6] = "gateway6",	 [K_DNS] = "dns",
	[K_SEARCH] = "search",		 [K_STICKY] = "sticky",
	[K_DHCP_CLIENT] = "dhcp_client", [K_DHCP_TIMEOUT] = "dhcp_timeout",
};

/* What a bad value message says is wanted. */
static const char *const key_want[K_N] = {
	[K_EXEMPT] = "yes or no",
	[K_NAMESPACES] = "pid, mount, ipc, uts or net",
	[K_HOSTNAME] = "a host name template with %u %i %s %h %%, or keep",
	[K_ON_ERROR] = "deny or allow",
	[K_NETWORK] = "none or bridge",
	[K_BRIDGE] = "an interface name",
	[K_IFNAME] = "an interface name",
	[K_MAC] = "auto or a unicast xx:xx:xx:xx:xx:xx",
	[K_MTU] = "68-65535 or auto",
	[K_ADDRESS] = "A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp",
	[K_GATEWAY] = "an IPv4 address",
	[K_ADDRESS6] = "an IPv6 CIDR or pool CIDR [FIRST-LAST]",
	[K_GATEWAY6] = "an IPv6 address",
	[K_DNS] = "1-3 IP addresses",
	[K_SEARCH] = "1-6 domain names",
	[K_STICKY] = "yes or no",
	[K_DHCP_CLIENT] = "an absolute path",
	[K_DHCP_TIMEOUT] = "1-120",
};

enum crit { C_USER, C_GROUP, C_SERVICE, C_N };
static const char *const crit_name[C_N] = { "user", "group", "service" };

struct section {
	bool is_match;
	char *file;
	unsigned line;		/* of the header */
	char *crit[C_N];	/* NUL-separated globs ending in an empty one; NULL = no criterion */
	uint32_t set;		/* bit per enum key */
	unsigned key_line[K_N];
	struct nsbox_settings v; /* only the fields of keys in SET mean anything */
};

struct nsbox_conf {
	struct section *sec;
	size_t n, cap;
	char *top; /* the file loaded (or the name parsed), for messages without a better place */
};

struct parser {
	struct nsbox_conf *c;
	struct nsbox_conf_err *err;
	uid_t uid;
	bool allow_include;
	unsigned n_files;
	char *line; /* NSBOX_CONF_MAX_LINE + 1: the line being parsed, cut up in place */
	char *orig; /* NSBOX_CONF_MAX_LINE + 1: a value before it is split, for messages */
};

/* ---- small helpers ---- */

static void
copy_str(char *dst, const char *src, size_t n)
{
	size_t l = strnlen(src, n - 1);

	memcpy(dst, src, l);
	dst[l] = 0;
}

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static char *
trim(char *s)
{
	size_t l;

	while (is_blank(*s))
		s++;
	l = strlen(s);
	while (l > 0 && is_blank(s[l - 1]))
		s[--l] = 0;
	return s;
}

/* A '#' at the start or after a blank starts a comment. */
static void
strip_comment(char *s)
{
	for (size_t i = 0; s[i]; i++)
		if (s[i] == '#' && (i == 0 || is_blank(s[i - 1]))) {
			s[i] = 0;
			return;
		}
}

/* Splits S at blanks in place; stores up to MAX tokens, returns how many there are. */
static size_t
split(char *s, char **tok, size_t max)
{
	size_t n = 0;

	for (;;) {
		while (is_blank(*s))
			s++;
		if (!*s)
			return n;
		if (n < max)
			tok[n] = s;
		n++;
		while (*s && !is_blank(*s))
			s++;
		if (*s)
			*s++ = 0;
	}
}

/* Escapes S for a message: bytes outside printable ASCII, quote and backslash become \xNN; long
 * strings are cut with "...". */
static const char *
quote(char *buf, size_t n, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char tmp[4];
		size_t tl = 1;

		if (ch < 0x20 || ch >= 0x7f || ch == '\'' || ch == '\\') {
			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = hex[ch >> 4];
			tmp[3] = hex[ch & 15];
			tl = 4;
		} else
			tmp[0] = (char)ch;
		if (o + tl + 4 > n) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, tmp, tl);
		o += tl;
	}
	buf[o] = 0;
	return buf;
}

__attribute__((format(printf, 5, 0))) static int
vfail(struct nsbox_conf_err *err, const char *file, unsigned line, int r, const char *fmt,
      va_list ap)
{
	copy_str(err->file, file ? file : "", sizeof(err->file));
	err->line = line;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return r;
}

__attribute__((format(printf, 5, 6))) static int
fail(struct nsbox_conf_err *err, const char *file, unsigned line, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = vfail(err, file, line, r, fmt, ap);
	va_end(ap);
	return r;
}

static int
bad_value(struct parser *p, const char *file, unsigned line, enum key k, const char *val)
{
	char q[QBUF];

	return fail(p->err, file, line, -EINVAL, "bad value '%s' for '%s' (want %s)",
		    quote(q, sizeof(q), val), key_name[k], key_want[k]);
}

/* Decimal in MIN..MAX, digits only. */
static int
parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
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

/* ---- addresses ---- */

static size_t
ip_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static unsigned char *
ip_raw(struct nsbox_ip *ip)
{
	return ip->family == AF_INET ? (unsigned char *)&ip->v4 : ip->v6.s6_addr;
}

static const unsigned char *
ip_craw(const struct nsbox_ip *ip)
{
	return ip->family == AF_INET ? (const unsigned char *)&ip->v4 : ip->v6.s6_addr;
}

static unsigned
ip_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Sorts by bytes (network order): only for addresses of one family. */
static int
ip_cmp(const struct nsbox_ip *a, const struct nsbox_ip *b)
{
	return memcmp(ip_craw(a), ip_craw(b), ip_len(a->family));
}

static bool
ip_eq(const struct nsbox_ip *a, const struct nsbox_ip *b)
{
	return a->family == b->family && a->family && ip_cmp(a, b) == 0;
}

/* IP with the bits after PREFIX all zero (ONES false) or all one. */
static struct nsbox_ip
ip_host(const struct nsbox_ip *ip, unsigned prefix, bool ones)
{
	struct nsbox_ip r = *ip;
	unsigned char *b = ip_raw(&r);
	size_t n = ip_len(r.family);

	for (size_t i = 0; i < n; i++) {
		unsigned lo = (unsigned)i * 8;
		unsigned char keep;

		if (prefix >= lo + 8)
			keep = 0xff;
		else if (prefix <= lo)
			keep = 0;
		else
			keep = (unsigned char)(0xff << (8 - (prefix - lo)));
		b[i] = ones ? (unsigned char)(b[i] | (unsigned char)~keep) : (unsigned char)(b[i] & keep);
	}
	return r;
}

/* IP plus or minus one, wrapping. */
static struct nsbox_ip
ip_step(const struct nsbox_ip *ip, bool up)
{
	struct nsbox_ip r = *ip;
	unsigned char *b = ip_raw(&r);

	for (size_t i = ip_len(r.family); i-- > 0;) {
		if (up) {
			if (++b[i] != 0)
				break;
		} else if (b[i]-- != 0)
			break;
	}
	return r;
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
nsbox_ip_format(const struct nsbox_ip *ip, char *out, size_t outlen)
{
	if (!outlen)
		return -ENOSPC;
	out[0] = 0;
	if (!ip || (ip->family != AF_INET && ip->family != AF_INET6))
		return -EAFNOSUPPORT;
	if (outlen > INT32_MAX)
		outlen = INT32_MAX;
	if (!inet_ntop(ip->family, ip_craw(ip), out, (socklen_t)outlen)) {
		out[0] = 0;
		return -ENOSPC;
	}
	return 0;
}

bool
nsbox_ip_in_cidr(const struct nsbox_ip *ip, const struct nsbox_cidr *net)
{
	struct nsbox_ip a, b;

	if (!ip || !net || !ip->family || ip->family != net->ip.family ||
	    net->prefix > ip_bits(ip->family))
		return false;
	a = ip_host(ip, net->prefix, false);
	b = ip_host(&net->ip, net->prefix, false);
	return ip_eq(&a, &b);
}

static void
ip_text(const struct nsbox_ip *ip, char *out, size_t n)
{
	if (nsbox_ip_format(ip, out, n) < 0)
		copy_str(out, "?", n);
}

/* "A.B.C.D/N" with the network address. */
static void
net_text(const struct nsbox_cidr *c, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN];
	struct nsbox_ip net = ip_host(&c->ip, c->prefix, false);

	ip_text(&net, ip, sizeof(ip));
	snprintf(out, n, "%s/%u", ip, c->prefix);
}

/* "ADDR/N" of a static address, "NET/N" or "NET/N FIRST-LAST" of a pool (range only when it is
 * not the whole pool). */
static bool pool_range_explicit(const struct nsbox_addrspec *a);

static void
spec_text(const struct nsbox_addrspec *a, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN], f[INET6_ADDRSTRLEN], l[INET6_ADDRSTRLEN];

	ip_text(&a->cidr.ip, ip, sizeof(ip));
	if (a->mode == NSBOX_ADDR_POOL && pool_range_explicit(a)) {
		ip_text(&a->first, f, sizeof(f));
		ip_text(&a->last, l, sizeof(l));
		snprintf(out, n, "%s/%u %s-%s", ip, a->cidr.prefix, f, l);
	} else
		snprintf(out, n, "%s/%u", ip, a->cidr.prefix);
}

/* "IP/N" of FAMILY with N in 1..bits. */
static int
parse_cidr(const char *s, int family, struct nsbox_cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	unsigned prefix;

	if (strnlen(s, sizeof(buf)) >= sizeof(buf))
		return -EINVAL;
	copy_str(buf, s, sizeof(buf));
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	if (nsbox_ip_parse(buf, &out->ip) < 0 || out->ip.family != family)
		return -EINVAL;
	if (parse_uint(slash + 1, 1, ip_bits(family), &prefix) < 0)
		return -EINVAL;
	out->prefix = prefix;
	return 0;
}

/* Static addresses and pool ranges must leave out the network address (and the broadcast
 * address for IPv4) as long as the subnet has them: /31 and /32 (/127 and /128) do not. */
static bool
has_net_addr(const struct nsbox_cidr *c)
{
	return c->prefix + 2 <= ip_bits(c->ip.family);
}

static void
pool_implicit(const struct nsbox_cidr *c, struct nsbox_ip *first, struct nsbox_ip *last)
{
	struct nsbox_ip net = ip_host(&c->ip, c->prefix, false);
	struct nsbox_ip top = ip_host(&c->ip, c->prefix, true);

	*first = ip_step(&net, true);
	*last = c->ip.family == AF_INET ? ip_step(&top, false) : top;
}

static bool
pool_range_explicit(const struct nsbox_addrspec *a)
{
	struct nsbox_ip f, l;

	pool_implicit(&a->cidr, &f, &l);
	return !ip_eq(&f, &a->first) || !ip_eq(&l, &a->last);
}

static bool
in_range(const struct nsbox_ip *ip, const struct nsbox_addrspec *a)
{
	return ip->family == a->first.family && ip_cmp(ip, &a->first) >= 0 &&
	       ip_cmp(ip, &a->last) <= 0;
}

static int
parse_addrspec(struct parser *p, const char *file, unsigned line, enum key k, char **tok, size_t n,
	       struct nsbox_addrspec *out)
{
	int family = k == K_ADDRESS ? AF_INET : AF_INET6;
	struct nsbox_addrspec a;
	char q[QBUF], t[INET6_ADDRSTRLEN + 8];
	struct nsbox_ip net, top;

	memset(&a, 0, sizeof(a));
	if (n == 1 && !strcmp(tok[0], "dhcp") && family == AF_INET) {
		a.mode = NSBOX_ADDR_DHCP;
	} else if (n == 1) {
		a.mode = NSBOX_ADDR_STATIC;
		if (parse_cidr(tok[0], family, &a.cidr) < 0)
			return bad_value(p, file, line, k, p->orig);
		net = ip_host(&a.cidr.ip, a.cidr.prefix, false);
		top = ip_host(&a.cidr.ip, a.cidr.prefix, true);
		if (has_net_addr(&a.cidr) && ip_eq(&a.cidr.ip, &net))
			return fail(p->err, file, line, -EINVAL, "%s '%s' is the network address",
				    key_name[k], quote(q, sizeof(q), tok[0]));
		if (has_net_addr(&a.cidr) && family == AF_INET && ip_eq(&a.cidr.ip, &top))
			return fail(p->err, file, line, -EINVAL, "%s '%s' is the broadcast address",
				    key_name[k], quote(q, sizeof(q), tok[0]));
	} else if ((n == 2 || n == 3) && !strcmp(tok[0], "pool")) {
		unsigned maxp = ip_bits(family) - 2;

		a.mode = NSBOX_ADDR_POOL;
		if (parse_cidr(tok[1], family, &a.cidr) < 0)
			return bad_value(p, file, line, k, p->orig);
		net = ip_host(&a.cidr.ip, a.cidr.prefix, false);
		top = ip_host(&a.cidr.ip, a.cidr.prefix, true);
		if (!ip_eq(&a.cidr.ip, &net))
			return fail(p->err, file, line, -EINVAL, "host bits set in pool '%s'",
				    quote(q, sizeof(q), tok[1]));
		if (a.cidr.prefix > maxp)
			return fail(p->err, file, line, -EINVAL,
				    "pool '%s' is too small (want prefix <= %u)",
				    quote(q, sizeof(q), tok[1]), maxp);
		if (n == 2) {
			pool_implicit(&a.cidr, &a.first, &a.last);
		} else {
			char *dash = strchr(tok[2], '-');

			if (!dash)
				return bad_value(p, file, line, k, p->orig);
			*dash = 0;
			if (nsbox_ip_parse(tok[2], &a.first) < 0 ||
			    nsbox_ip_parse(dash + 1, &a.last) < 0 || a.first.family != family ||
			    a.last.family != family) {
				*dash = '-';
				return bad_value(p, file, line, k, p->orig);
			}
			*dash = '-';
			quote(q, sizeof(q), tok[2]);
			net_text(&a.cidr, t, sizeof(t));
			if (!nsbox_ip_in_cidr(&a.first, &a.cidr) || !nsbox_ip_in_cidr(&a.last, &a.cidr))
				return fail(p->err, file, line, -EINVAL,
					    "pool range '%s' is outside %s", q, t);
			if (ip_cmp(&a.first, &a.last) > 0)
				return fail(p->err, file, line, -EINVAL,
					    "pool range '%s' is reversed", q);
			if (ip_eq(&a.first, &net))
				return fail(p->err, file, line, -EINVAL,
					    "pool range '%s' includes the network address", q);
			if (family == AF_INET && ip_eq(&a.last, &top))
				return fail(p->err, file, line, -EINVAL,
					    "pool range '%s' includes the broadcast address", q);
		}
	} else
		return bad_value(p, file, line, k, p->orig);
	*out = a;
	return 0;
}

/* ---- values ---- */

static int
parse_yesno(const char *s, bool *out)
{
	if (!strcmp(s, "yes"))
		*out = true;
	else if (!strcmp(s, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int
parse_mac(const char *s, unsigned char mac[6])
{
	unsigned char m[6];

	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		unsigned v = 0;

		for (int j = 0; j < 2; j++) {
			char ch = s[i * 3 + j];

			v <<= 4;
			if (ch >= '0' && ch <= '9')
				v |= (unsigned)(ch - '0');
			else if (ch >= 'a' && ch <= 'f')
				v |= (unsigned)(ch - 'a' + 10);
			else if (ch >= 'A' && ch <= 'F')
				v |= (unsigned)(ch - 'A' + 10);
			else
				return -EINVAL;
		}
		if (i < 5 && s[i * 3 + 2] != ':')
			return -EINVAL;
		m[i] = (unsigned char)v;
	}
	if (m[0] & 1)
		return -EINVAL; /* multicast / broadcast */
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return -EINVAL;
	memcpy(mac, m, 6);
	return 0;
}

static const struct {
	const char *name;
	unsigned long flag;
} ns_names[] = {
	{ "pid", CLONE_NEWPID }, { "mount", CLONE_NEWNS }, { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
};

static int
parse_value(struct parser *p, const char *file, unsigned line, enum key k, char *val,
	    struct nsbox_settings *s)
{
	char *tok[8];
	size_t n;
	char q[QBUF];
	unsigned u;
	int r;

	copy_str(p->orig, val, NSBOX_CONF_MAX_LINE + 1);
	n = split(val, tok, ARRAY_SIZE(tok));

	switch (k) {
	case K_NAMESPACES: {
		unsigned long ns = 0;

		if (n > ARRAY_SIZE(ns_names))
			return fail(p->err, file, line, -EINVAL, "too many values for '%s' (max %zu)",
				    key_name[k], ARRAY_SIZE(ns_names));
		for (size_t i = 0; i < n; i++) {
			size_t j;

			for (j = 0; j < ARRAY_SIZE(ns_names); j++)
				if (!strcmp(tok[i], ns_names[j].name))
					break;
			if (j == ARRAY_SIZE(ns_names))
				return bad_value(p, file, line, k, tok[i]);
			if (ns & ns_names[j].flag)
				return fail(p->err, file, line, -EINVAL, "duplicate '%s' in '%s'",
					    ns_names[j].name, key_name[k]);
			ns |= ns_names[j].flag;
		}
		if (!(ns & CLONE_NEWNS))
			return fail(p->err, file, line, -EINVAL, "namespaces must include mount");
		s->namespaces = ns;
		return 0;
	}
	case K_DNS:
		if (n > NSBOX_MAX_DNS)
			return fail(p->err, file, line, -EINVAL, "too many values for '%s' (max %d)",
				    key_name[k], NSBOX_MAX_DNS);
		for (size_t i = 0; i < n; i++)
			if (nsbox_ip_parse(tok[i], &s->dns[i]) < 0)
				return bad_value(p, file, line, k, tok[i]);
		s->n_dns = (unsigned)n;
		return 0;
	case K_SEARCH:
		if (n > NSBOX_MAX_SEARCH)
			return fail(p->err, file, line, -EINVAL, "too many values for '%s' (max %d)",
				    key_name[k], NSBOX_MAX_SEARCH);
		for (size_t i = 0; i < n; i++) {
			if (!name_valid(tok[i], sizeof(s->search[i]) - 1))
				return bad_value(p, file, line, k, tok[i]);
			copy_str(s->search[i], tok[i], sizeof(s->search[i]));
		}
		s->n_search = (unsigned)n;
		return 0;
	case K_ADDRESS:
	case K_ADDRESS6:
		return parse_addrspec(p, file, line, k, tok, n,
				      k == K_ADDRESS ? &s->address : &s->address6);
	default:
		break;
	}

	/* the rest take exactly one word */
	if (n != 1)
		return bad_value(p, file, line, k, p->orig);
	val = tok[0];

	switch (k) {
	case K_EXEMPT:
		r = parse_yesno(val, &s->exempt);
		break;
	case K_STICKY:
		r = parse_yesno(val, &s->sticky);
		break;
	case K_HOSTNAME: {
		static const struct nsbox_tmpl_vars sample = { "u", "1", "s", "h" };
		char out[NSBOX_HOSTNAME_MAX + 1];

		if (!strcmp(val, "keep")) {
			s->hostname[0] = 0;
			return 0;
		}
		if (strlen(val) >= sizeof(s->hostname))
			return fail(p->err, file, line, -EINVAL,
				    "hostname template '%s' is too long (max %zu bytes)",
				    quote(q, sizeof(q), val), sizeof(s->hostname) - 1);
		r = nsbox_template_expand(val, &sample, out, sizeof(out));
		if (r == -EINVAL)
			break;
		if (r == -ENAMETOOLONG)
			return fail(p->err, file, line, -EINVAL,
				    "hostname template '%s' gives more than %d bytes",
				    quote(q, sizeof(q), val), NSBOX_HOSTNAME_MAX);
		if (r < 0)
			return fail(p->err, file, line, -EINVAL,
				    "hostname template '%s' does not give a valid host name",
				    quote(q, sizeof(q), val));
		copy_str(s->hostname, val, sizeof(s->hostname));
		return 0;
	}
	case K_ON_ERROR:
		r = 0;
		if (!strcmp(val, "deny"))
			s->on_error = NSBOX_ON_ERROR_DENY;
		else if (!strcmp(val, "allow"))
			s->on_error = NSBOX_ON_ERROR_ALLOW;
		else
			r = -EINVAL;
		break;
	case K_NETWORK:
		r = 0;
		if (!strcmp(val, "none"))
			s->network = NSBOX_NET_NONE;
		else if (!strcmp(val, "bridge"))
			s->network = NSBOX_NET_BRIDGE;
		else
			r = -EINVAL;
		break;
	case K_BRIDGE:
	case K_IFNAME:
		r = nsbox_ifname_valid(val) ? 0 : -EINVAL;
		if (!r)
			copy_str(k == K_BRIDGE ? s->bridge : s->ifname, val, sizeof(s->bridge));
		break;
	case K_MAC:
		r = 0;
		if (!strcmp(val, "auto")) {
			s->mac_auto = true;
			memset(s->mac, 0, sizeof(s->mac));
		} else if ((r = parse_mac(val, s->mac)) == 0)
			s->mac_auto = false;
		break;
	case K_MTU:
		r = 0;
		if (!strcmp(val, "auto"))
			s->mtu = 0;
		else
			r = parse_uint(val, 68, 65535, &s->mtu);
		break;
	case K_GATEWAY:
	case K_GATEWAY6: {
		struct nsbox_ip *gw = k == K_GATEWAY ? &s->gateway : &s->gateway6;

		r = nsbox_ip_parse(val, gw);
		if (!r && gw->family != (k == K_GATEWAY ? AF_INET : AF_INET6)) {
			memset(gw, 0, sizeof(*gw));
			r = -EINVAL;
		}
		break;
	}
	case K_DHCP_CLIENT:
		r = val[0] == '/' && strlen(val) < sizeof(s->dhcp_client) ? 0 : -EINVAL;
		if (!r)
			copy_str(s->dhcp_client, val, sizeof(s->dhcp_client));
		break;
	case K_DHCP_TIMEOUT:
		r = parse_uint(val, 1, 120, &u);
		if (!r)
			s->dhcp_timeout = u;
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (r < 0)
		return bad_value(p, file, line, k, val);
	return 0;
}

/* ---- sections ---- */

static void
settings_builtin(struct nsbox_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->namespaces = NSBOX_NS_ALL;
	copy_str(s->hostname, "%u-box", sizeof(s->hostname));
	s->on_error = NSBOX_ON_ERROR_DENY;
	s->network = NSBOX_NET_NONE;
	copy_str(s->ifname, "eth0", sizeof(s->ifname));
	s->mac_auto = true;
	copy_str(s->dhcp_client, "/sbin/dhclient", sizeof(s->dhcp_client));
	s->dhcp_timeout = 5;
	copy_str(s->matched, "defaults", sizeof(s->matched));
}

static void
copy_key(struct nsbox_settings *d, const struct nsbox_settings *s, enum key k)
{
	switch (k) {
	case K_EXEMPT: d->exempt = s->exempt; break;
	case K_NAMESPACES: d->namespaces = s->namespaces; break;
	case K_HOSTNAME: memcpy(d->hostname, s->hostname, sizeof(d->hostname)); break;
	case K_ON_ERROR: d->on_error = s->on_error; break;
	case K_NETWORK: d->network = s->network; break;
	case K_BRIDGE: memcpy(d->bridge, s->bridge, sizeof(d->bridge)); break;
	case K_IFNAME: memcpy(d->ifname, s->ifname, sizeof(d->ifname)); break;
	case K_MAC:
		d->mac_auto = s->mac_auto;
		memcpy(d->mac, s->mac, sizeof(d->mac));
		break;
	case K_MTU: d->mtu = s->mtu; break;
	case K_ADDRESS: d->address = s->address; break;
	case K_GATEWAY: d->gateway = s->gateway; break;
	case K_ADDRESS6: d->address6 = s->address6; break;
	case K_GATEWAY6: d->gateway6 = s->gateway6; break;
	case K_DNS:
		memcpy(d->dns, s->dns, sizeof(d->dns));
		d->n_dns = s->n_dns;
		break;
	case K_SEARCH:
		memcpy(d->search, s->search, sizeof(d->search));
		d->n_search = s->n_search;
		break;
	case K_STICKY: d->sticky = s->sticky; break;
	case K_DHCP_CLIENT: memcpy(d->dhcp_client, s->dhcp_client, sizeof(d->dhcp_client)); break;
	case K_DHCP_TIMEOUT: d->dhcp_timeout = s->dhcp_timeout; break;
	case K_N: break;
	}
}

static int
section_new(struct parser *p, const char *file, unsigned line, bool is_match, size_t *idx)
{
	struct nsbox_conf *c = p->c;
	struct section *s;

	if (c->n >= MAX_SECTIONS)
		return fail(p->err, file, line, -E2BIG, "too many sections (max %d)", MAX_SECTIONS);
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct section *ns = realloc(c->sec, cap * sizeof(*ns));

		if (!ns)
			return fail(p->err, file, line, -ENOMEM, "out of memory");
		c->sec = ns;
		c->cap = cap;
	}
	s = &c->sec[c->n];
	memset(s, 0, sizeof(*s));
	s->file = strdup(file);
	if (!s->file)
		return fail(p->err, file, line, -ENOMEM, "out of memory");
	s->is_match = is_match;
	s->line = line;
	settings_builtin(&s->v);
	*idx = c->n++;
	return 0;
}

static int
parse_criteria(struct parser *p, const char *file, unsigned line, char *text, struct section *sec)
{
	char *tok[C_N + 1];
	size_t n = split(text, tok, ARRAY_SIZE(tok));
	char q[QBUF];

	if (n == 0)
		return fail(p->err, file, line, -EINVAL, "match needs user=, group= or service=");
	if (n > C_N)
		return fail(p->err, file, line, -EINVAL, "too many criteria (max %d)", C_N);
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(tok[i], '='), *list;
		size_t c, len;

		if (!eq)
			return fail(p->err, file, line, -EINVAL,
				    "bad criterion '%s' (want user=, group= or service=)",
				    quote(q, sizeof(q), tok[i]));
		*eq = 0;
		for (c = 0; c < C_N; c++)
			if (!strcmp(tok[i], crit_name[c]))
				break;
		if (c == C_N)
			return fail(p->err, file, line, -EINVAL, "unknown criterion '%s'",
				    quote(q, sizeof(q), tok[i]));
		if (sec->crit[c])
			return fail(p->err, file, line, -EINVAL, "duplicate criterion '%s'",
				    crit_name[c]);
		len = strlen(eq + 1);
		if (len == 0 || eq[1] == ',' || eq[len] == ',' || strstr(eq + 1, ",,"))
			return fail(p->err, file, line, -EINVAL, "empty element in %s= list '%s'",
				    crit_name[c], quote(q, sizeof(q), eq + 1));
		list = malloc(len + 2);
		if (!list)
			return fail(p->err, file, line, -ENOMEM, "out of memory");
		memcpy(list, eq + 1, len + 1);
		list[len + 1] = 0;
		for (char *x = list; *x; x++)
			if (*x == ',')
				*x = 0;
		sec->crit[c] = list;
	}
	return 0;
}

static int
parse_header(struct parser *p, const char *file, unsigned line, char *s, ssize_t *cur)
{
	char q[QBUF];
	char *inner, *name;
	size_t len, idx;
	int r;

	strip_comment(s);
	s = trim(s);
	len = strlen(s);
	if (len < 2 || s[len - 1] != ']')
		return fail(p->err, file, line, -EINVAL, "bad section header '%s'",
			    quote(q, sizeof(q), s));
	s[len - 1] = 0;
	inner = trim(s + 1);
	if (!strcmp(inner, "defaults")) {
		r = section_new(p, file, line, false, &idx);
		if (r < 0)
			return r;
		*cur = (ssize_t)idx;
		return 0;
	}
	name = inner;
	while (*inner && !is_blank(*inner))
		inner++;
	if (*inner)
		*inner++ = 0;
	if (!strcmp(name, "defaults"))
		return fail(p->err, file, line, -EINVAL, "garbage after [defaults]");
	if (strcmp(name, "match") != 0)
		return fail(p->err, file, line, -EINVAL, "unknown section '%s'",
			    quote(q, sizeof(q), name));
	r = section_new(p, file, line, true, &idx);
	if (r < 0)
		return r;
	*cur = (ssize_t)idx;
	return parse_criteria(p, file, line, inner, &p->c->sec[idx]);
}

static int load_file(struct parser *p, const char *path, unsigned depth);

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Like GLOB_ERR, but a directory that does not exist is no match, not an error. */
static int
glob_err(const char *path, int e)
{
	(void)path;
	return e != ENOENT;
}

static void
globfreep(glob_t *g)
{
	globfree(g);
}

static int
do_include(struct parser *p, const char *file, unsigned line, char *val, unsigned depth)
{
	_cleanup_(globfreep) glob_t g = { 0 };
	char *tok[2];
	char q[QBUF];
	size_t n;
	int r;

	if (!p->allow_include)
		return fail(p->err, file, line, -EPERM, "include is not allowed here");
	copy_str(p->orig, val, NSBOX_CONF_MAX_LINE + 1);
	n = split(val, tok, ARRAY_SIZE(tok));
	if (n != 1)
		return fail(p->err, file, line, -EINVAL,
			    "bad value '%s' for 'include' (want one absolute path or glob)",
			    quote(q, sizeof(q), p->orig));
	if (tok[0][0] != '/')
		return fail(p->err, file, line, -EINVAL, "include path '%s' is not absolute",
			    quote(q, sizeof(q), tok[0]));
	if (depth + 1 > NSBOX_CONF_MAX_DEPTH)
		return fail(p->err, file, line, -ELOOP, "includes nested too deeply (max %d)",
			    NSBOX_CONF_MAX_DEPTH);
	r = glob(tok[0], GLOB_NOSORT, glob_err, &g);
	if (r == GLOB_NOMATCH)
		return 0;
	if (r == GLOB_NOSPACE)
		return fail(p->err, file, line, -ENOMEM, "out of memory");
	if (r != 0)
		return fail(p->err, file, line, -EIO, "cannot read include '%s'",
			    quote(q, sizeof(q), tok[0]));
	if (g.gl_pathc > NSBOX_CONF_MAX_FILES - p->n_files)
		return fail(p->err, file, line, -E2BIG, "too many included files (max %d)",
			    NSBOX_CONF_MAX_FILES);
	qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), cmp_str);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		r = load_file(p, g.gl_pathv[i], depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
parse_line(struct parser *p, const char *file, unsigned line, ssize_t *cur, unsigned depth)
{
	char q[QBUF];
	char *s = trim(p->line), *eq, *key, *val;
	struct section *sec;
	size_t k;

	if (!*s || *s == '#')
		return 0;
	if (*s == '[')
		return parse_header(p, file, line, s, cur);
	eq = strchr(s, '=');
	if (!eq) {
		strip_comment(s);
		return fail(p->err, file, line, -EINVAL, "syntax error: '%s'",
			    quote(q, sizeof(q), trim(s)));
	}
	*eq = 0;
	key = trim(s);
	val = eq + 1;
	strip_comment(val);
	val = trim(val);
	if (!*key)
		return fail(p->err, file, line, -EINVAL, "syntax error: missing key before '='");
	if (!strcmp(key, "include")) {
		if (!*val)
			return fail(p->err, file, line, -EINVAL, "empty value for 'include'");
		return do_include(p, file, line, val, depth);
	}
	if (*cur < 0)
		return fail(p->err, file, line, -EINVAL, "key outside a section");
	for (k = 0; k < K_N; k++)
		if (!strcmp(key, key_name[k]))
			break;
	if (k == K_N)
		return fail(p->err, file, line, -EINVAL, "unknown key '%s'",
			    quote(q, sizeof(q), key));
	sec = &p->c->sec[*cur];
	if (sec->set & (1u << k))
		return fail(p->err, file, line, -EINVAL, "duplicate key '%s'", key_name[k]);
	if (!*val)
		return fail(p->err, file, line, -EINVAL, "empty value for '%s'", key_name[k]);
	if (parse_value(p, file, line, (enum key)k, val, &sec->v) < 0)
		return -EINVAL;
	sec->set |= 1u << k;
	sec->key_line[k] = line;
	return 0;
}

/* Length of the valid UTF-8 sequence at S (at most N bytes), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp, min;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int
check_bytes(struct parser *p, const char *file, unsigned line, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l;

		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			return fail(p->err, file, line, -EINVAL, "invalid character 0x%02x", u[i]);
		l = utf8_len(u + i, n - i);
		if (!l)
			return fail(p->err, file, line, -EINVAL, "invalid UTF-8");
		i += l;
	}
	return 0;
}

static int
parse_buf(struct parser *p, const char *file, const char *buf, size_t len, unsigned depth)
{
	ssize_t cur = -1; /* index of the section keys go to; an included file starts afresh */
	unsigned line = 0;
	size_t pos = 0;
	int r;

	if (len > NSBOX_CONF_MAX_FILE)
		return fail(p->err, file, 0, -EFBIG, "file too large (max %d bytes)",
			    NSBOX_CONF_MAX_FILE);
	while (pos < len) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - start) : len - pos;

		line++;
		pos += ll + (nl ? 1 : 0);
		if (ll > NSBOX_CONF_MAX_LINE)
			return fail(p->err, file, line, -EINVAL, "line too long (max %d bytes)",
				    NSBOX_CONF_MAX_LINE);
		r = check_bytes(p, file, line, start, ll);
		if (r < 0)
			return r;
		memcpy(p->line, start, ll);
		p->line[ll] = 0;
		r = parse_line(p, file, line, &cur, depth);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- trust and reading ---- */

static int
not_owned(struct parser *p, const char *file, const char *what)
{
	if (p->uid == 0)
		return fail(p->err, file, 0, -EPERM, "%snot owned by root", what);
	return fail(p->err, file, 0, -EPERM, "%snot owned by uid %u", what, (unsigned)p->uid);
}

static int
open_trusted(struct parser *p, const char *path, int *out)
{
	_cleanup_close_ int dfd = -1, pfd = -1, fd = -1;
	_cleanup_free_ char *dir = NULL;
	const char *slash = strrchr(path, '/'), *base;
	struct stat st, st2, dst;
	int r;

	if (slash) {
		dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
		base = slash + 1;
	} else {
		dir = strdup(".");
		base = path;
	}
	if (!dir)
		return fail(p->err, path, 0, -ENOMEM, "out of memory");
	if (!*base)
		return fail(p->err, path, 0, -EINVAL, "not a regular file");

	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		return fail(p->err, path, 0, r, "cannot open: %s", strerror(-r));
	}
	/* Look first without opening: a FIFO, device or symlink is refused before any open()
	 * could block or have side effects. */
	pfd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0) {
		r = -errno;
		return fail(p->err, path, 0, r, "cannot open: %s", strerror(-r));
	}
	if (fstat(pfd, &st) < 0) {
		r = -errno;
		return fail(p->err, path, 0, r, "cannot stat: %s", strerror(-r));
	}
	if (S_ISLNK(st.st_mode))
		return fail(p->err, path, 0, -ELOOP, "is a symlink");
	if (!S_ISREG(st.st_mode))
		return fail(p->err, path, 0, -EINVAL, "not a regular file");
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP)
			return fail(p->err, path, 0, r, "is a symlink");
		return fail(p->err, path, 0, r, "cannot open: %s", strerror(-r));
	}
	if (fstat(fd, &st2) < 0) {
		r = -errno;
		return fail(p->err, path, 0, r, "cannot stat: %s", strerror(-r));
	}
	if (!S_ISREG(st2.st_mode) || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
		return fail(p->err, path, 0, -EAGAIN, "changed while being opened");
	if (st2.st_uid != p->uid)
		return not_owned(p, path, "");
	if (st2.st_mode & (S_IWGRP | S_IWOTH))
		return fail(p->err, path, 0, -EPERM, "writable by group or others");
	if (fstat(dfd, &dst) < 0) {
		r = -errno;
		return fail(p->err, path, 0, r, "cannot stat directory: %s", strerror(-r));
	}
	if (dst.st_uid != p->uid)
		return not_owned(p, path, "directory ");
	if (dst.st_mode & (S_IWGRP | S_IWOTH))
		return fail(p->err, path, 0, -EPERM, "directory writable by group or others");
	*out = steal_fd(fd);
	return 0;
}

static int
load_file(struct parser *p, const char *path, unsigned depth)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	if (p->n_files >= NSBOX_CONF_MAX_FILES)
		return fail(p->err, path, 0, -E2BIG, "too many included files (max %d)",
			    NSBOX_CONF_MAX_FILES);
	p->n_files++;
	r = open_trusted(p, path, &fd);
	if (r < 0)
		return r;
	buf = malloc(NSBOX_CONF_MAX_FILE + 1);
	if (!buf)
		return fail(p->err, path, 0, -ENOMEM, "out of memory");
	while (len < NSBOX_CONF_MAX_FILE + 1) {
		ssize_t n = read(fd, buf + len, NSBOX_CONF_MAX_FILE + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			return fail(p->err, path, 0, r, "cannot read: %s", strerror(-r));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > NSBOX_CONF_MAX_FILE)
		return fail(p->err, path, 0, -EFBIG, "file too large (max %d bytes)",
			    NSBOX_CONF_MAX_FILE);
	return parse_buf(p, path, buf, len, depth);
}

/* ---- load-time checks ---- */

/* The settings one login could get, and which section set each key (NULL: built in). */
struct layered {
	struct nsbox_settings s;
	const struct section *src[K_N];
};

static void
layer_init(struct layered *l)
{
	memset(l->src, 0, sizeof(l->src));
	settings_builtin(&l->s);
}

static void
layer_apply(struct layered *l, const struct section *sec)
{
	for (int k = 0; k < K_N; k++)
		if (sec->set & (1u << k)) {
			copy_key(&l->s, &sec->v, (enum key)k);
			l->src[k] = sec;
		}
}

/* 0 built in, 1 [defaults], 2 [match]: a key set at a more specific level than the key it
 * conflicts with is an error; a less specific one is dropped at resolve time (a [match] with
 * network = none turns off the [defaults] network, it does not have to undo each key). */
static int
rank(const struct layered *l, enum key k)
{
	return !l->src[k] ? 0 : l->src[k]->is_match ? 2 : 1;
}

static const enum key net_keys[] = { K_BRIDGE, K_ADDRESS, K_GATEWAY, K_ADDRESS6,
				     K_GATEWAY6, K_DNS, K_SEARCH };

/* Drops what the check above allows to be overridden. */
static void
layer_finish(struct layered *l)
{
	struct nsbox_settings b;

	settings_builtin(&b);
	if (l->s.network == NSBOX_NET_NONE) {
		for (size_t i = 0; i < ARRAY_SIZE(net_keys); i++)
			copy_key(&l->s, &b, net_keys[i]);
	} else if (l->s.address.mode == NSBOX_ADDR_DHCP) {
		copy_key(&l->s, &b, K_GATEWAY);
		copy_key(&l->s, &b, K_DNS);
	}
}

struct checker {
	const struct nsbox_conf *c;
	struct nsbox_conf_err *err;
	const struct layered *l;
	const struct section *m; /* the [match] being checked; NULL for [defaults] alone */
};

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
	r = vfail(ck->err, file, line, -EINVAL, fmt, ap);
	va_end(ap);
	return r;
}

static bool
link_local6(const struct nsbox_ip *ip)
{
	return ip->family == AF_INET6 && ip->v6.s6_addr[0] == 0xfe &&
	       (ip->v6.s6_addr[1] & 0xc0) == 0x80;
}

static int
check_gateway(const struct checker *ck, enum key kg, enum key ka)
{
	const struct nsbox_ip *gw = kg == K_GATEWAY ? &ck->l->s.gateway : &ck->l->s.gateway6;
	const struct nsbox_addrspec *a = ka == K_ADDRESS ? &ck->l->s.address : &ck->l->s.address6;
	char g[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN + 64];
	struct nsbox_ip net, top;

	if (a->mode != NSBOX_ADDR_STATIC && a->mode != NSBOX_ADDR_POOL)
		return fail_at(ck, (int)kg, -1, "'%s' needs a static or pool '%s'", key_name[kg],
			       key_name[ka]);
	if (link_local6(gw))
		return 0; /* routers announce themselves with link-local addresses */
	ip_text(gw, g, sizeof(g));
	net_text(&a->cidr, t, sizeof(t));
	if (!nsbox_ip_in_cidr(gw, &a->cidr))
		return fail_at(ck, (int)kg, (int)ka, "gateway '%s' is outside %s", g, t);
	if (a->mode == NSBOX_ADDR_STATIC && ip_eq(gw, &a->cidr.ip))
		return fail_at(ck, (int)kg, (int)ka, "gateway '%s' is the box's own address", g);
	net = ip_host(&a->cidr.ip, a->cidr.prefix, false);
	top = ip_host(&a->cidr.ip, a->cidr.prefix, true);
	if (has_net_addr(&a->cidr) && ip_eq(gw, &net))
		return fail_at(ck, (int)kg, (int)ka, "gateway '%s' is the network address of %s",
			       g, t);
	if (has_net_addr(&a->cidr) && gw->family == AF_INET && ip_eq(gw, &top))
		return fail_at(ck, (int)kg, (int)ka, "gateway '%s' is the broadcast address of %s",
			       g, t);
	if (a->mode == NSBOX_ADDR_POOL && pool_range_explicit(a) && in_range(gw, a)) {
		spec_text(a, t, sizeof(t));
		return fail_at(ck, (int)ka, (int)kg, "pool '%s' contains gateway '%s'", t, g);
	}
	return 0;
}

static int
check_layered(const struct checker *ck)
{
	const struct layered *l = ck->l;
	const struct nsbox_settings *s = &l->s;
	int r;

	if (s->network == NSBOX_NET_NONE) {
		for (size_t i = 0; i < ARRAY_SIZE(net_keys); i++) {
			enum key k = net_keys[i];

			if (l->src[k] && rank(l, k) >= rank(l, K_NETWORK))
				return fail_at(ck, (int)k, K_NETWORK, "'%s' needs network = bridge",
					       key_name[k]);
		}
		return 0;
	}
	/* Without its own network namespace the box's interface, addresses and routes would be
	 * the host's. */
	if (!(s->namespaces & CLONE_NEWNET))
		return fail_at(ck, K_NETWORK, K_NAMESPACES, "network = bridge needs 'net' in namespaces");
	if (!l->src[K_BRIDGE])
		return fail_at(ck, K_NETWORK, -1, "network = bridge needs 'bridge'");
	if (s->address.mode == NSBOX_ADDR_NONE && s->address6.mode == NSBOX_ADDR_NONE)
		return fail_at(ck, K_NETWORK, -1, "network = bridge needs 'address' or 'address6'");
	if (s->address.mode == NSBOX_ADDR_DHCP) {
		static const enum key from_lease[] = { K_GATEWAY, K_DNS };

		for (size_t i = 0; i < ARRAY_SIZE(from_lease); i++) {
			enum key k = from_lease[i];

			if (l->src[k] && rank(l, k) >= rank(l, K_ADDRESS))
				return fail_at(ck, (int)k, K_ADDRESS,
					       "'%s' conflicts with address = dhcp", key_name[k]);
		}
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
	const char *bf = b->s->file;
	unsigned bl = b->s->key_line[b->k], al = a->s->key_line[a->k];
	char at[QBUF], ta[INET6_ADDRSTRLEN * 3 + 16], tb[INET6_ADDRSTRLEN * 3 + 16];

	quote(at, sizeof(at), a->s->file);
	if (sa)
		ip_text(&a->a->cidr.ip, ta, sizeof(ta));
	else
		spec_text(a->a, ta, sizeof(ta));
	if (sb)
		ip_text(&b->a->cidr.ip, tb, sizeof(tb));
	else
		spec_text(b->a, tb, sizeof(tb));
	if (sa && sb)
		return fail(err, bf, bl, -EINVAL, "%s '%s' also used at %s:%u", key_name[b->k], tb,
			    at, al);
	if (sa)
		return fail(err, bf, bl, -EINVAL, "pool '%s' contains %s '%s' of %s:%u", tb,
			    key_name[a->k], ta, at, al);
	if (sb)
		return fail(err, bf, bl, -EINVAL, "%s '%s' is inside pool '%s' of %s:%u",
			    key_name[b->k], tb, ta, at, al);
	return fail(err, bf, bl, -EINVAL, "pool '%s' overlaps pool '%s' of %s:%u", tb, ta, at, al);
}

static int
check_addresses(const struct nsbox_conf *c, struct nsbox_conf_err *err)
{
	_cleanup_free_ struct aitem *it = NULL;
	size_t n = 0;

	it = calloc(c->n * 2 + 1, sizeof(*it));
	if (!it)
		return fail(err, c->top, 0, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->n; i++) {
		const struct section *s = &c->sec[i];

		if ((s->set & (1u << K_ADDRESS)) && (s->v.address.mode == NSBOX_ADDR_STATIC ||
						     s->v.address.mode == NSBOX_ADDR_POOL))
			it[n++] = (struct aitem){ s, K_ADDRESS, &s->v.address };
		if ((s->set & (1u << K_ADDRESS6)) && (s->v.address6.mode == NSBOX_ADDR_STATIC ||
						      s->v.address6.mode == NSBOX_ADDR_POOL))
			it[n++] = (struct aitem){ s, K_ADDRESS6, &s->v.address6 };
	}
	for (size_t j = 1; j < n; j++) {
		const struct aitem *b = &it[j];
		bool sb = b->a->mode == NSBOX_ADDR_STATIC;

		for (size_t i = 0; i < j; i++) {
			const struct aitem *a = &it[i];
			bool sa = a->a->mode == NSBOX_ADDR_STATIC, clash;

			if (a->k != b->k)
				continue;
			if (sa && sb)
				clash = ip_eq(&a->a->cidr.ip, &b->a->cidr.ip);
			else if (sa)
				clash = in_range(&a->a->cidr.ip, b->a);
			else if (sb)
				clash = in_range(&b->a->cidr.ip, a->a);
			else
				clash = ip_cmp(&a->a->first, &b->a->last) <= 0 &&
					ip_cmp(&b->a->first, &a->a->last) <= 0;
			if (clash)
				return conflict(err, b, a, sa, sb);
		}
	}
	return 0;
}

static int
check_conf(const struct nsbox_conf *c, struct nsbox_conf_err *err)
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

/* ---- public ---- */

void
nsbox_conf_free(struct nsbox_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->sec[i].file);
		for (int k = 0; k < C_N; k++)
			free(c->sec[i].crit[k]);
	}
	free(c->sec);
	free(c->top);
	free(c);
}

static void
conf_freep(struct nsbox_conf **c)
{
	nsbox_conf_free(*c);
}

static void
parser_done(struct parser *p)
{
	free(p->line);
	free(p->orig);
}

static int
parser_init(struct parser *p, const char *name, struct nsbox_conf_err *err)
{
	memset(err, 0, sizeof(*err));
	p->err = err;
	p->c = calloc(1, sizeof(*p->c));
	p->line = malloc(NSBOX_CONF_MAX_LINE + 1);
	p->orig = malloc(NSBOX_CONF_MAX_LINE + 1);
	if (p->c)
		p->c->top = strdup(name);
	if (!p->c || !p->c->top || !p->line || !p->orig)
		return fail(err, name, 0, -ENOMEM, "out of memory");
	return 0;
}

int
nsbox_conf_load(const char *path, uid_t trusted_uid, struct nsbox_conf **out,
		struct nsbox_conf_err *err)
{
	struct nsbox_conf_err dummy;
	_cleanup_(parser_done) struct parser p = { .uid = trusted_uid, .allow_include = true };
	_cleanup_(conf_freep) struct nsbox_conf *c = NULL;
	int r;

	if (!err)
		err = &dummy;
	*out = NULL;
	if (!path)
		return fail(err, "", 0, -EINVAL, "no file name");
	r = parser_init(&p, path, err);
	c = p.c;
	if (r < 0)
		return r;
	r = load_file(&p, path, 0);
	if (r < 0)
		return r;
	r = check_conf(c, err);
	if (r < 0)
		return r;
	*out = steal_ptr(c);
	return 0;
}

int
nsbox_conf_parse_string(const char *name, const char *text, size_t len, struct nsbox_conf **out,
			struct nsbox_conf_err *err)
{
	struct nsbox_conf_err dummy;
	_cleanup_(parser_done) struct parser p = { .allow_include = false };
	_cleanup_(conf_freep) struct nsbox_conf *c = NULL;
	int r;

	if (!err)
		err = &dummy;
	*out = NULL;
	if (!name)
		name = "(string)";
	r = parser_init(&p, name, err);
	c = p.c;
	if (r < 0)
		return r;
	r = parse_buf(&p, name, text ? text : "", text ? len : 0, 0);
	if (r < 0)
		return r;
	r = check_conf(c, err);
	if (r < 0)
		return r;
	*out = steal_ptr(c);
	return 0;
}

size_t
nsbox_conf_n_sections(const struct nsbox_conf *c)
{
	return c ? c->n : 0;
}

static bool
glob_list_match(const char *list, const char *s)
{
	if (!s)
		return false;
	for (const char *g = list; *g; g += strlen(g) + 1)
		if (fnmatch(g, s, 0) == 0)
			return true;
	return false;
}

static bool
section_matches(const struct section *sec, const struct nsbox_login *who)
{
	if (sec->crit[C_USER] && !glob_list_match(sec->crit[C_USER], who->user))
		return false;
	if (sec->crit[C_SERVICE] && !glob_list_match(sec->crit[C_SERVICE], who->service))
		return false;
	if (sec->crit[C_GROUP]) {
		bool any = false;

		for (size_t i = 0; i < who->n_groups && who->groups && !any; i++)
			any = glob_list_match(sec->crit[C_GROUP], who->groups[i]);
		if (!any)
			return false;
	}
	return true;
}

void
nsbox_conf_resolve(const struct nsbox_conf *c, const struct nsbox_login *who,
		   struct nsbox_settings *out)
{
	struct layered l;

	layer_init(&l);
	for (size_t i = 0; c && i < c->n; i++)
		if (!c->sec[i].is_match)
			layer_apply(&l, &c->sec[i]);
	for (size_t i = 0; c && who && i < c->n; i++)
		if (c->sec[i].is_match && section_matches(&c->sec[i], who)) {
			layer_apply(&l, &c->sec[i]);
			snprintf(l.s.matched, sizeof(l.s.matched), "%s:%u", c->sec[i].file,
				 c->sec[i].line);
			break;
		}
	layer_finish(&l);
	*out = l.s;
}

int
nsbox_template_expand(const char *tmpl, const struct nsbox_tmpl_vars *v, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen)
		out[0] = 0;
	if (!tmpl)
		return -EINVAL;
	for (const char *t = tmpl; *t; t++)
		if (*t == '%') {
			t++;
			if (*t != 'u' && *t != 'i' && *t != 's' && *t != 'h' && *t != '%')
				return -EINVAL;
		}
	for (const char *t = tmpl; *t; t++) {
		const char *add = t;
		size_t alen = 1;

		if (*t == '%') {
			t++;
			switch (*t) {
			case 'u': add = v ? v->user : NULL; break;
			case 'i': add = v ? v->id : NULL; break;
			case 's': add = v ? v->service : NULL; break;
			case 'h': add = v ? v->host : NULL; break;
			default: add = "%"; break;
			}
			if (!add)
				add = "";
			alen = strnlen(add, NSBOX_HOSTNAME_MAX + 1);
		}
		if (o + alen > NSBOX_HOSTNAME_MAX)
			return -ENAMETOOLONG;
		if (o + alen >= outlen)
			return -ENOSPC;
		memcpy(out + o, add, alen);
		o += alen;
		out[o] = 0;
	}
	if (!nsbox_hostname_valid(outlen ? out : ""))
		return -EDOM;
	return 0;
}

static void
print_addr(FILE *f, const char *key, const struct nsbox_addrspec *a)
{
	char t[INET6_ADDRSTRLEN * 3 + 16];

	switch (a->mode) {
	case NSBOX_ADDR_NONE:
		fprintf(f, "# %s (not set)\n", key);
		break;
	case NSBOX_ADDR_DHCP:
		fprintf(f, "%s = dhcp\n", key);
		break;
	case NSBOX_ADDR_STATIC:
		spec_text(a, t, sizeof(t));
		fprintf(f, "%s = %s\n", key, t);
		break;
	case NSBOX_ADDR_POOL:
		spec_text(a, t, sizeof(t));
		fprintf(f, "%s = pool %s\n", key, t);
		break;
	}
}

static void
print_ip(FILE *f, const char *key, const struct nsbox_ip *ip)
{
	char t[INET6_ADDRSTRLEN];

	if (!ip->family)
		fprintf(f, "# %s (not set)\n", key);
	else {
		ip_text(ip, t, sizeof(t));
		fprintf(f, "%s = %s\n", key, t);
	}
}

void
nsbox_settings_print(FILE *f, const struct nsbox_settings *s)
{
	char t[INET6_ADDRSTRLEN];

	fprintf(f, "exempt = %s\n", s->exempt ? "yes" : "no");
	fprintf(f, "namespaces =");
	for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++)
		if (s->namespaces & ns_names[i].flag)
			fprintf(f, " %s", ns_names[i].name);
	fprintf(f, "\n");
	fprintf(f, "hostname = %s\n", s->hostname[0] ? s->hostname : "keep");
	fprintf(f, "on_error = %s\n", s->on_error == NSBOX_ON_ERROR_ALLOW ? "allow" : "deny");
	fprintf(f, "network = %s\n", s->network == NSBOX_NET_BRIDGE ? "bridge" : "none");
	if (s->bridge[0])
		fprintf(f, "bridge = %s\n", s->bridge);
	else
		fprintf(f, "# bridge (not set)\n");
	fprintf(f, "ifname = %s\n", s->ifname);
	if (s->mac_auto)
		fprintf(f, "mac = auto\n");
	else
		fprintf(f, "mac = %02x:%02x:%02x:%02x:%02x:%02x\n", s->mac[0], s->mac[1], s->mac[2],
			s->mac[3], s->mac[4], s->mac[5]);
	if (s->mtu)
		fprintf(f, "mtu = %u\n", s->mtu);
	else
		fprintf(f, "mtu = auto\n");
	print_addr(f, "address", &s->address);
	print_ip(f, "gateway", &s->gateway);
	print_addr(f, "address6", &s->address6);
	print_ip(f, "gateway6", &s->gateway6);
	if (s->n_dns) {
		fprintf(f, "dns =");
		for (unsigned i = 0; i < s->n_dns && i < NSBOX_MAX_DNS; i++) {
			ip_text(&s->dns[i], t, sizeof(t));
			fprintf(f, " %s", t);
		}
		fprintf(f, "\n");
	} else
		fprintf(f, "# dns (not set)\n");
	if (s->n_search) {
		fprintf(f, "search =");
		for (unsigned i = 0; i < s->n_search && i < NSBOX_MAX_SEARCH; i++)
			fprintf(f, " %s", s->search[i]);
		fprintf(f, "\n");
	} else
		fprintf(f, "# search (not set)\n");
	fprintf(f, "sticky = %s\n", s->sticky ? "yes" : "no");
	fprintf(f, "dhcp_client = %s\n", s->dhcp_client);
	fprintf(f, "dhcp_timeout = %u\n", s->dhcp_timeout);
	fprintf(f, "# matched %s\n", s->matched);
}

void
nsbox_conf_err_format(const struct nsbox_conf_err *err, char *out, size_t outlen)
{
	char file[sizeof(err->file) * 4 + 4];
	char msg[sizeof(err->msg) + 1];

	if (!outlen)
		return;
	/* The file name can come from a glob match: escape it like any user string. */
	quote(file, sizeof(file), err->file);
	copy_str(msg, err->msg, sizeof(msg));
	if (err->line)
		snprintf(out, outlen, "%s:%u: %s", file, err->line, msg);
	else
		snprintf(out, outlen, "%s: %s", file, msg);
}

void
nsbox_conf_foreach_bridge(const struct nsbox_conf *c,
			  void (*fn)(const char *bridge, const char *where, void *arg), void *arg)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct section *sec = &c->sec[i];
		char where[300];

		if (!(sec->set & (UINT32_C(1) << K_BRIDGE)))
			continue;
		snprintf(where, sizeof(where), "%s:%u", sec->file, sec->key_line[K_BRIDGE]);
		fn(sec->v.bridge, where, arg);
	}
}
