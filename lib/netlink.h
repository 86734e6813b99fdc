// SPDX-License-Identifier: BSD-3-Clause
/* Rtnetlink through libmnl for nsbox-helper (supervisor and box init, root) and nsboxctl check
 * (root); each call acts in the caller's current network namespace and never logs. */
#ifndef NSBOX_NETLINK_H
#define NSBOX_NETLINK_H

#include <stddef.h>

#include "conf.h"

struct nl_veth {
	const char *host;          /* host end, created down in the caller's namespace */
	const char *peer;          /* box end, created directly in peer_netns_fd */
	const unsigned char *peer_mac;
	unsigned mtu;              /* 0 = kernel default */
	int peer_netns_fd;         /* an nsfs fd (/proc/PID/ns/net), not a pidfd */
};
int nl_link_up(const char *ifname);
int nl_link_v6_off(const char *ifname);
int nl_link_del(const char *ifname);
/* IFNAME up, into bridge MASTER_INDEX, and IPv6 addr_gen_mode=none in one request: for a veth
 * whose peer is still down (no carrier, so no link-local address can have been made before the
 * mode applies). */
int nl_link_master_up_v6_off(const char *ifname, int master_index);
/* Index (> 0) of IFNAME and its kind into KIND ("bridge", "veth", "" for a plain device). */
int nl_link_get(const char *ifname, char *kind, size_t kindlen);
/* Makes bridge port IFNAME isolated (IFLA_BRPORT_ISOLATED): the bridge forwards nothing between
 * two isolated ports, only between an isolated port and the others (the bridge itself, an
 * uplink). Checked by reading the port back: -EOPNOTSUPP when the kernel did not take it. */
int nl_port_isolate(const char *ifname);
int nl_veth_create(const struct nl_veth *v);
int nl_addr_add(int index, const struct nsbox_cidr *a);
/* A route in the main table out of interface INDEX: to DST/DST_LEN (NULL: the default route),
 * through GW (NULL: on the link itself); ONLINK: GW is on the link though no address's subnet
 * there holds it. */
struct nl_route {
	int index;
	const struct nsbox_ip *dst;
	unsigned dst_len;
	const struct nsbox_ip *gw;
	bool onlink;
};
int nl_route_add(const struct nl_route *r);
/* FN with every IPv4 and IPv6 address of the caller's network namespace, the index of its
 * interface and its label (IPv4: the interface's name, unless an alias label was given; IPv6:
 * NULL): one dump. 0 or -errno. */
int nl_addr_each(void (*fn)(int index, const char *label, const struct nsbox_ip *ip, void *arg),
		 void *arg);
/* FN with every static route of the main table (both families; RTPROT_STATIC, as nl_route_add
 * makes them, not the kernel's own prefix routes): its output interface (0: none) and destination
 * (DST_LEN 0: the default route). 0 or -errno. */
int nl_route_each(void (*fn)(int index, const struct nsbox_ip *dst, unsigned dst_len, void *arg),
		  void *arg);
/* FN with the name of each nf_tables table of FAMILY (NFPROTO_*) in the caller's network
 * namespace: one dump, no library. 0 or -errno. */
int nl_nft_tables(int family, void (*fn)(const char *name, void *arg), void *arg);
/* Deletes the nf_tables table NAME of FAMILY (and every chain, rule and set in it) in one
 * transaction: 0, -ENOENT when there is none, or the kernel's -errno. */
int nl_nft_table_del(int family, const char *name);

#endif
