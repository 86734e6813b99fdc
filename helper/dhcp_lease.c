// SPDX-License-Identifier: BSD-3-Clause
/* The lease a box's DHCP client hands over through nsbox-dhcp-script, parsed by nsbox-helper's
 * supervisor (root). Untrusted input (the DHCP server chose it): every value is checked and a
 * lease with any bad value is refused as a whole, with the reason in the lease's BAD; nothing is
 * trusted past its buffer; fuzzed by tests/fuzz/fuzz_dhcp.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dhcp.h"
#include "file.h"
#include "nsbox/cleanup.h"

#define LEASE_MAX_LINE 2048 /* "search=" and six names of 253 fit */
#define LEASE_MAX_FILE (16 * 1024)

__attribute__((format(printf, 2, 3))) static int
bad(struct dhcp_lease *l, const char *fmt, ...)
{
	va_list ap;

	if (!l->bad[0]) {
		va_start(ap, fmt);
		vsnprintf(l->bad, sizeof(l->bad), fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* Host order. */
static uint32_t
v4(const struct nsbox_ip *a)
{
	return ntohl(a->v4.s_addr);
}

static uint32_t
mask_of(unsigned prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

/* An address a host may use: not 0.0.0.0/8, loopback, multicast, class E or broadcast. */
static bool
v4_unicast(uint32_t a)
{
	return (a >> 24) != 0 && (a >> 24) != 127 && (a >> 28) < 0xe;
}

/* "24" or "255.255.255.0": a contiguous mask, 1..32 bits */
static int
parse_mask(const char *v, unsigned *prefix)
{
	struct in_addr m;

	if (inet_pton(AF_INET, v, &m) == 1) {
		uint32_t h = ntohl(m.s_addr), inv = ~h;
		if (inv & (inv + 1)) /* ones after a zero */
			return -EINVAL;
		*prefix = (unsigned)__builtin_popcount(h);
	} else {
		char *end;
		if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 2)
			return -EINVAL;
		errno = 0;
		unsigned long p = strtoul(v, &end, 10);
		if (errno || *end || p > 32)
			return -EINVAL;
		*prefix = (unsigned)p;
	}
	return *prefix >= 1 ? 0 : -EINVAL;
}

static int
parse_ip4(const char *v, struct nsbox_ip *out)
{
	return nsbox_ip_parse(v, out) == 0 && out->family == AF_INET ? 0 : -EINVAL;
}

/* Whitespace-separated words of V, each handed to ADD; stops at the first error. */
static int
each_word(char *v, int (*add)(struct dhcp_lease *, const char *), struct dhcp_lease *l)
{
	char *save = NULL;

	for (char *w = strtok_r(v, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		int r = add(l, w);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
add_dns(struct dhcp_lease *l, const char *w)
{
	struct nsbox_ip a;

	if (parse_ip4(w, &a) < 0 || !v4_unicast(v4(&a)))
		return bad(l, "DNS server '%.64s' is not a unicast IPv4 address", w);
	if (l->ndns < NSBOX_MAX_DNS) /* resolv.conf reads no more */
		l->dns[l->ndns++] = a;
	return 0;
}

static int
add_search(struct dhcp_lease *l, const char *w)
{
	char d[256];
	size_t n = strlen(w);

	/* dhclient hands domains over fully qualified, with the root's dot */
	if (n && w[n - 1] == '.')
		n--;
	if (n > 253)
		return bad(l, "search domain of %zu bytes (at most 253)", n);
	memcpy(d, w, n);
	d[n] = 0;
	if (!nsbox_domain_valid(d))
		return bad(l, "search domain '%.64s' is not a valid name", d);
	if (l->nsearch < NSBOX_MAX_SEARCH) /* the config's limit */
		memcpy(l->search[l->nsearch++], d, n + 1);
	return 0;
}

static int
add_router(struct dhcp_lease *l, const char *w)
{
	struct nsbox_ip a;

	if (l->gw.family)
		return 0; /* the first router is the default route; the rest are not used */
	if (parse_ip4(w, &a) < 0 || !v4_unicast(v4(&a)))
		return bad(l, "router '%.64s' is not a unicast IPv4 address", w);
	l->gw = a;
	return 0;
}

static int
add_server(struct dhcp_lease *l, const char *w)
{
	struct nsbox_ip a;

	if (l->server.family)
		return 0; /* one server gave the lease */
	if (parse_ip4(w, &a) < 0 || !v4_unicast(v4(&a)))
		return bad(l, "server '%.64s' is not a unicast IPv4 address", w);
	l->server = a;
	return 0;
}

static int
lease_kv(struct dhcp_lease *l, const char *k, char *v)
{
	if (!strcmp(k, "ip")) {
		if (parse_ip4(v, &l->ip) < 0 || !v4_unicast(v4(&l->ip)))
			return bad(l, "address '%.64s' is not a unicast IPv4 address", v);
	} else if (!strcmp(k, "mask")) {
		if (parse_mask(v, &l->prefix) < 0)
			return bad(l, "netmask '%.64s' is not a contiguous mask of 1-32 bits", v);
	} else if (!strcmp(k, "routers"))
		return each_word(v, add_router, l);
	else if (!strcmp(k, "dns"))
		return each_word(v, add_dns, l);
	else if (!strcmp(k, "search"))
		return each_word(v, add_search, l);
	else if (!strcmp(k, "server"))
		return each_word(v, add_server, l);
	return 0; /* the script writes nothing else; an unknown key is no value of the lease */
}

/* The values together: an address in its subnet, the router inside it. */
static int
lease_check(struct dhcp_lease *l)
{
	if (!l->ip.family)
		return bad(l, "no address");
	if (!l->prefix)
		return bad(l, "no netmask");
	uint32_t m = mask_of(l->prefix), ip = v4(&l->ip);
	if (l->prefix <= 30 && ((ip & ~m) == 0 || (ip & ~m) == ~m))
		return bad(l, "address is the network or broadcast address of its /%u", l->prefix);
	if (l->gw.family) {
		uint32_t g = v4(&l->gw);
		char gs[INET_ADDRSTRLEN], ns[INET_ADDRSTRLEN];
		struct in_addr na = { htonl(ip & m) };
		if ((g & m) != (ip & m) || g == ip) {
			nsbox_ip_text(&l->gw, gs, sizeof(gs));
			inet_ntop(AF_INET, &na, ns, sizeof(ns));
			return bad(l, "router %s is not another address inside %s/%u", gs, ns,
				   l->prefix);
		}
	}
	return 0;
}

int
dhcp_lease_parse(const char *text, struct dhcp_lease *l)
{
	memset(l, 0, sizeof(*l));
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		char line[LEASE_MAX_LINE], *eq;

		if (len >= sizeof(line))
			return bad(l, "line of %zu bytes (at most %d)", len, LEASE_MAX_LINE - 1);
		memcpy(line, text, len);
		line[len] = 0;
		text += nl ? len + 1 : len;
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq++ = 0;
		if (lease_kv(l, line, eq) < 0)
			return -EBADMSG;
	}
	return lease_check(l);
}

int
dhcp_lease_read(const char *path, struct dhcp_lease *l)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	memset(l, 0, sizeof(*l));
	_cleanup_close_ int fd = open_regular(AT_FDCWD, path);
	if (fd < 0)
		return fd;
	buf = malloc(LEASE_MAX_FILE + 1);
	if (!buf)
		return -ENOMEM;
	r = read_full(fd, buf, LEASE_MAX_FILE, &len);
	if (r < 0)
		return r;
	buf[len] = 0;
	return dhcp_lease_parse(buf, l);
}
