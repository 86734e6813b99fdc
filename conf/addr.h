// SPDX-License-Identifier: BSD-3-Clause
/* IP addresses, CIDRs and address specs: text forms and 128-bit arithmetic. Pure code, no
 * privilege, no logging; used by conf/ (in nsbox-helper as root, nsboxctl, the tests) and meant
 * for the lease allocator too, so that one copy of the arithmetic serves both. */
#ifndef NSBOX_ADDR_H
#define NSBOX_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

struct nsbox_ip {
	int family; /* AF_INET or AF_INET6; 0 = unset */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

struct nsbox_cidr {
	struct nsbox_ip ip; /* as written (host address for static, network for pool) */
	unsigned prefix;
};

enum nsbox_addr_mode { NSBOX_ADDR_NONE = 0, NSBOX_ADDR_STATIC, NSBOX_ADDR_POOL, NSBOX_ADDR_DHCP };

/* address / address6 value: static CIDR, "pool CIDR [FIRST-LAST]", or "dhcp" (v4 only). */
struct nsbox_addrspec {
	enum nsbox_addr_mode mode;
	struct nsbox_cidr cidr;        /* static: host address + prefix; pool: network + prefix */
	struct nsbox_ip first, last;   /* pool only: inclusive range inside cidr */
};

/* An address of either family as one integer (IPv4 in the low 32 bits), so that ranges compare,
 * mask and step without walking bytes. */
typedef unsigned __int128 nsbox_u128;

/* 32 for AF_INET, 128 for AF_INET6, 0 for anything else. */
unsigned nsbox_ip_bits(int family);
/* -EINVAL when IP has no family. */
int nsbox_ip_to_u128(const struct nsbox_ip *ip, nsbox_u128 *out);
void nsbox_ip_from_u128(int family, nsbox_u128 v, struct nsbox_ip *out);
/* The host bits of a /PREFIX of FAMILY (PREFIX <= nsbox_ip_bits(FAMILY)). */
nsbox_u128 nsbox_host_mask(int family, unsigned prefix);

/* Order of two addresses of one family. */
int nsbox_ip_cmp(const struct nsbox_ip *a, const struct nsbox_ip *b);
/* Same family (not unset) and same address. */
bool nsbox_ip_eq(const struct nsbox_ip *a, const struct nsbox_ip *b);
/* IP plus or minus one, wrapping inside its family. */
struct nsbox_ip nsbox_ip_step(const struct nsbox_ip *ip, bool up);
/* C's address with the host bits all zero (the network) or all one (the IPv4 broadcast). */
struct nsbox_ip nsbox_cidr_net(const struct nsbox_cidr *c);
struct nsbox_ip nsbox_cidr_top(const struct nsbox_cidr *c);
/* Whether C's subnet has a network (and an IPv4 broadcast) address: /31 and /32 (/127 and /128)
 * do not. */
bool nsbox_cidr_has_net_addr(const struct nsbox_cidr *c);
/* The addresses a pool of C hands out when no range is given: all but the network address and,
 * for IPv4, the broadcast address. -EINVAL when that leaves none. */
int nsbox_cidr_hosts(const struct nsbox_cidr *c, struct nsbox_ip *first, struct nsbox_ip *last);
bool nsbox_ip_in_cidr(const struct nsbox_ip *ip, const struct nsbox_cidr *net);
/* IP inside the pool range FIRST..LAST of A. */
bool nsbox_addrspec_in_range(const struct nsbox_ip *ip, const struct nsbox_addrspec *a);
/* A pool whose range is not the whole of nsbox_cidr_hosts(). */
bool nsbox_pool_range_explicit(const struct nsbox_addrspec *a);
/* A static address or a pool: one the helper leases from its lease files (lib/lease.c). */
bool nsbox_addr_leased(const struct nsbox_addrspec *a);
/* How many addresses pool A hands out: its range FIRST..LAST, less EXCLUDE (its gateway, or
 * NULL) when that lies inside; at most ULLONG_MAX (an IPv6 pool can be bigger). */
unsigned long long nsbox_pool_size(const struct nsbox_addrspec *a, const struct nsbox_ip *exclude);

/* One destination of an egress list: a network (one address is a /32 or /128), a port range
 * and a protocol. */
struct nsbox_dest {
	struct nsbox_cidr net;     /* the network address: no host bit set; prefix 0..bits */
	unsigned port_lo, port_hi; /* 1..65535, lo <= hi; 0, 0: every port */
	int proto;                 /* IPPROTO_TCP, IPPROTO_UDP; 0: every protocol */
};
/* ADDRESS[/PREFIX][:PORT[-PORT]][/tcp|/udp], an IPv6 address in brackets before a port
 * ("[2001:db8::/32]:443/tcp"). 0; -EINVAL for what is not that; -EDOM for host bits set past
 * the prefix ("10.0.0.5/24"); -ERANGE for a port outside 1..65535 or a range backwards. */
int nsbox_dest_parse(const char *s, struct nsbox_dest *out);
/* D in the form nsbox_dest_parse reads, shortest: no /32 or /128, brackets only before a port. */
void nsbox_dest_text(const struct nsbox_dest *d, char *out, size_t n);
/* Whether D lets a packet to IP, PROTO, PORT through (PORT 0: a protocol without ports). */
bool nsbox_dest_allows(const struct nsbox_dest *d, const struct nsbox_ip *ip, int proto,
		       unsigned port);

/* Decimal digits only, in MIN..MAX: 0, -EINVAL or -ERANGE. */
int nsbox_uint_parse(const char *s, unsigned min, unsigned max, unsigned *out);
/* Either family; 0 or -EINVAL. */
int nsbox_ip_parse(const char *s, struct nsbox_ip *out);
/* "IP/N" of FAMILY with N in 1..bits; 0 or -EINVAL. */
int nsbox_cidr_parse(const char *s, int family, struct nsbox_cidr *out);
int nsbox_ip_format(const struct nsbox_ip *ip, char *out, size_t outlen);
/* Text forms for messages and nsbox.conf syntax; "?" for an address that does not format. */
void nsbox_ip_text(const struct nsbox_ip *ip, char *out, size_t n);
/* "NET/N" with the network address. */
void nsbox_net_text(const struct nsbox_cidr *c, char *out, size_t n);
/* "ADDR/N" of a static address, "NET/N" or "NET/N FIRST-LAST" of a pool (the range only when it
 * is explicit). */
void nsbox_addrspec_text(const struct nsbox_addrspec *a, char *out, size_t n);

#endif
