// SPDX-License-Identifier: BSD-3-Clause
/* rtnetlink requests through libmnl, run by nsbox-helper or the box init (root) in whatever
 * network namespace the calling process is in; every request is ACKed and the kernel's errno kept. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netlink.h"

#define NL_BUF 8192 /* MNL_SOCKET_BUFFER_SIZE is a sysconf() call: a VLA */

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
};

static int
nl_open_proto(struct nl *nl, int proto)
{
	nl->sock = mnl_socket_open2(proto, SOCK_CLOEXEC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return r;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	return 0;
}

static int
nl_open(struct nl *nl)
{
	return nl_open_proto(nl, NETLINK_ROUTE);
}

static void
nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* Sends NLH (NLM_F_ACK is added) and waits for its ACK, passing any data replies to CB.
 * Returns 0 or the kernel's -errno. */
static int
nl_talk_cb(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[NL_BUF];
	unsigned seq = ++nl->seq;
	int r;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, data);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static int
nl_talk(struct nl *nl, struct nlmsghdr *nlh)
{
	return nl_talk_cb(nl, nlh, NULL, NULL);
}

/* One request on a fresh socket: every public function is a single short transaction. */
typedef void (*nl_build_fn)(struct nlmsghdr *nlh, const void *arg);

static int
nl_once(nl_build_fn build, const void *arg)
{
	char buf[NL_BUF];
	struct nl nl = { 0 };
	int r = nl_open(&nl);

	if (r < 0)
		return r;
	build(mnl_nlmsg_put_header(buf), arg);
	r = nl_talk(&nl, (struct nlmsghdr *)buf);
	nl_close(&nl);
	return r;
}

/* A link request of TYPE for the link named IFNAME. */
static struct ifinfomsg *
put_link(struct nlmsghdr *nlh, int type, const char *ifname)
{
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = (uint16_t)type;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = 0;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	return ifm;
}

/* IPv6 addr_gen_mode=none: no link-local address, so no DAD, router solicitations or MLD
 * flooding the bridge (whose cost grows with the square of the number of boxes). */
static void
put_v6_off(struct nlmsghdr *nlh)
{
	struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	struct nlattr *in6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, spec);
}

static void
build_up(struct nlmsghdr *nlh, const void *arg)
{
	struct ifinfomsg *ifm = put_link(nlh, RTM_NEWLINK, arg);

	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
}

int
nl_link_up(const char *ifname)
{
	return nl_once(build_up, ifname);
}

static void
build_v6_off(struct nlmsghdr *nlh, const void *arg)
{
	put_link(nlh, RTM_NEWLINK, arg);
	put_v6_off(nlh);
}

int
nl_link_v6_off(const char *ifname)
{
	return nl_once(build_v6_off, ifname);
}

static void
build_del(struct nlmsghdr *nlh, const void *arg)
{
	put_link(nlh, RTM_DELLINK, arg);
}

int
nl_link_del(const char *ifname)
{
	return nl_once(build_del, ifname);
}

struct master_arg {
	const char *ifname;
	int master;
};

static void
build_master_up(struct nlmsghdr *nlh, const void *arg)
{
	const struct master_arg *a = arg;

	build_up(nlh, a->ifname);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)a->master);
	put_v6_off(nlh);
}

int
nl_link_master_up_v6_off(const char *ifname, int master_index)
{
	struct master_arg a = { ifname, master_index };

	return nl_once(build_master_up, &a);
}

/* ---- link lookup ---- */

struct link_info {
	int index;
	char kind[32];
	int isolated; /* a bridge port's IFLA_BRPORT_ISOLATED; -1 when not reported */
};

/* IFLA_INFO_SLAVE_DATA of a bridge port: the port's flags */
static void
port_attrs(const struct nlattr *sd, struct link_info *li)
{
	const struct nlattr *p;

	mnl_attr_for_each_nested(p, sd) {
		if (mnl_attr_get_type(p) == IFLA_BRPORT_ISOLATED &&
		    mnl_attr_validate(p, MNL_TYPE_U8) >= 0)
			li->isolated = mnl_attr_get_u8(p);
	}
}

static int
link_attr_cb(const struct nlattr *a, void *data)
{
	struct link_info *li = data;

	if (mnl_attr_get_type(a) != IFLA_LINKINFO)
		return MNL_CB_OK;
	const struct nlattr *in;
	mnl_attr_for_each_nested(in, a) {
		if (mnl_attr_get_type(in) == IFLA_INFO_SLAVE_DATA)
			port_attrs(in, li);
		if (mnl_attr_get_type(in) == IFLA_INFO_KIND &&
		    mnl_attr_validate(in, MNL_TYPE_STRING) >= 0) {
			const char *k = mnl_attr_get_str(in);
			size_t n = strnlen(k, mnl_attr_get_payload_len(in));
			if (n >= sizeof(li->kind))
				n = sizeof(li->kind) - 1;
			memcpy(li->kind, k, n);
			li->kind[n] = 0;
		}
	}
	return MNL_CB_OK;
}

static int
link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_info *li = data;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	li->index = ifm->ifi_index;
	mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, li);
	return MNL_CB_OK;
}

/* What the kernel says of IFNAME into LI: 0, or -ENODEV. */
static int
link_query(const char *ifname, struct link_info *li)
{
	char buf[NL_BUF];
	struct nl nl = { 0 };
	struct nlmsghdr *nlh;
	int r = nl_open(&nl);

	*li = (struct link_info){ .isolated = -1 };
	if (r < 0)
		return r;
	nlh = mnl_nlmsg_put_header(buf);
	put_link(nlh, RTM_GETLINK, ifname);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_talk_cb(&nl, nlh, link_cb, li);
	nl_close(&nl);
	if (r < 0)
		return r;
	return li->index > 0 ? 0 : -ENODEV;
}

/* Index of IFNAME (> 0) and its kind ("bridge", "veth", "" for none), or -ENODEV. */
int
nl_link_get(const char *ifname, char *kind, size_t kindlen)
{
	struct link_info li;
	int r = link_query(ifname, &li);

	if (r < 0)
		return r;
	if (kind)
		snprintf(kind, kindlen, "%s", li.kind);
	return li.index;
}

/* ---- bridge port isolation ---- */

static void
build_isolate(struct nlmsghdr *nlh, const void *arg)
{
	put_link(nlh, RTM_NEWLINK, arg);
	struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, "bridge");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_ISOLATED, 1);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
}

int
nl_port_isolate(const char *ifname)
{
	struct link_info li;
	int r = nl_once(build_isolate, ifname);

	if (r < 0)
		return r;
	/* A kernel that does not know the attribute (before 4.18) ignores it and says 0: only
	 * the port's own report shows that it took. */
	r = link_query(ifname, &li);
	if (r < 0)
		return r;
	return li.isolated == 1 ? 0 : -EOPNOTSUPP;
}

/* ---- veth ---- */

static void
build_veth(struct nlmsghdr *nlh, const void *arg)
{
	const struct nl_veth *v = arg;
	struct ifinfomsg *peer;

	put_link(nlh, RTM_NEWLINK, v->host);
	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	if (v->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, v->mtu);
	struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *pe = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* the peer's own ifinfomsg header comes first inside VETH_INFO_PEER */
	peer = mnl_nlmsg_put_extra_header(nlh, sizeof(*peer));
	peer->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, v->peer);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, v->peer_mac);
	if (v->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, v->mtu);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)v->peer_netns_fd);
	mnl_attr_nest_end(nlh, pe);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
}

int
nl_veth_create(const struct nl_veth *v)
{
	return nl_once(build_veth, v);
}

/* ---- addresses and routes (inside the box) ---- */

struct addr_arg {
	int index;
	const struct nsbox_cidr *a;
};

static void
build_addr(struct nlmsghdr *nlh, const void *arg)
{
	const struct addr_arg *x = arg;
	const struct nsbox_cidr *c = x->a;
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)c->ip.family;
	ifa->ifa_prefixlen = (uint8_t)c->prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)x->index;
	if (c->ip.family == AF_INET) {
		uint32_t host = ntohl(c->ip.v4.s_addr);
		uint32_t mask = c->prefix ? ~0u << (32 - c->prefix) : 0;
		uint32_t brd = htonl(host | ~mask);
		mnl_attr_put(nlh, IFA_LOCAL, 4, &c->ip.v4);
		mnl_attr_put(nlh, IFA_ADDRESS, 4, &c->ip.v4);
		if (c->prefix < 31)
			mnl_attr_put(nlh, IFA_BROADCAST, 4, &brd);
	} else {
		mnl_attr_put(nlh, IFA_LOCAL, 16, &c->ip.v6);
		mnl_attr_put(nlh, IFA_ADDRESS, 16, &c->ip.v6);
		/* usable at once: no duplicate address detection on the login path */
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
}

int
nl_addr_add(int index, const struct nsbox_cidr *a)
{
	struct addr_arg x = { index, a };

	return nl_once(build_addr, &x);
}

static void
build_route(struct nlmsghdr *nlh, const void *arg)
{
	const struct nl_route *x = arg;
	const struct nsbox_ip *any = x->gw ? x->gw : x->dst;
	struct rtmsg *rtm;
	size_t len = any->family == AF_INET ? 4 : 16;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)any->family;
	rtm->rtm_dst_len = (uint8_t)(x->dst ? x->dst_len : 0);
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = x->gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_flags = x->onlink ? RTNH_F_ONLINK : 0;
	if (x->dst)
		mnl_attr_put(nlh, RTA_DST, len, &x->dst->v4);
	if (x->gw)
		mnl_attr_put(nlh, RTA_GATEWAY, len, &x->gw->v4);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)x->index);
}

int
nl_route_add(const struct nl_route *r)
{
	if (!r->gw && !r->dst)
		return -EINVAL;
	return nl_once(build_route, r);
}

struct route_dump {
	void (*fn)(int index, const struct nsbox_ip *dst, unsigned dst_len, void *arg);
	void *arg;
};

static int
route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct route_dump *d = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct nsbox_ip dst = { .family = rtm->rtm_family };
	size_t len = rtm->rtm_family == AF_INET ? 4 : 16;
	int oif = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_table != RT_TABLE_MAIN ||
	    rtm->rtm_protocol != RTPROT_STATIC ||
	    (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_get_payload_len(a) == len)
			memcpy(&dst.v4, mnl_attr_get_payload(a), len);
		else if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			oif = (int)mnl_attr_get_u32(a);
	}
	d->fn(oif, &dst, rtm->rtm_dst_len, d->arg);
	return MNL_CB_OK;
}

static int
dump(int type, size_t hdr, mnl_cb_t cb, void *data)
{
	char buf[NL_BUF];
	struct nl nl = { 0 };
	int r = nl_open(&nl);

	if (r < 0)
		return r;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_DUMP;
	/* the family, first byte of both ifaddrmsg and rtmsg, AF_UNSPEC: both */
	memset(mnl_nlmsg_put_extra_header(nlh, hdr), 0, hdr);
	r = nl_talk_cb(&nl, nlh, cb, data);
	nl_close(&nl);
	return r;
}

int
nl_route_each(void (*fn)(int index, const struct nsbox_ip *dst, unsigned dst_len, void *arg),
	      void *arg)
{
	struct route_dump d = { fn, arg };

	return dump(RTM_GETROUTE, sizeof(struct rtmsg), route_cb, &d);
}

struct addr_dump {
	void (*fn)(int index, const char *label, const struct nsbox_ip *ip, void *arg);
	void *arg;
};

static int
addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct addr_dump *d = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *local = NULL, *addr = NULL;
	const char *label = NULL;
	struct nsbox_ip ip = { .family = ifa->ifa_family };
	size_t len = ifa->ifa_family == AF_INET ? 4 : 16;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(a) == IFA_LOCAL && mnl_attr_get_payload_len(a) == len)
			local = a;
		else if (mnl_attr_get_type(a) == IFA_ADDRESS && mnl_attr_get_payload_len(a) == len)
			addr = a;
		else if (mnl_attr_get_type(a) == IFA_LABEL &&
			 mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			label = mnl_attr_get_str(a);
	}
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer's on a point-to-point
	 * link, and the only one IPv6 sends */
	if (!local)
		local = addr;
	if (!local)
		return MNL_CB_OK;
	memcpy(&ip.v4, mnl_attr_get_payload(local), len);
	d->fn((int)ifa->ifa_index, label, &ip, d->arg);
	return MNL_CB_OK;
}

int
nl_addr_each(void (*fn)(int index, const char *label, const struct nsbox_ip *ip, void *arg),
	     void *arg)
{
	struct addr_dump d = { fn, arg };

	return dump(RTM_GETADDR, sizeof(struct ifaddrmsg), addr_cb, &d);
}

struct table_dump {
	void (*fn)(const char *name, void *arg);
	void *arg;
};

static int
table_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct table_dump *d = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_TABLE_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			d->fn(mnl_attr_get_str(a), d->arg);
	return MNL_CB_OK;
}

int
nl_nft_tables(int family, void (*fn)(const char *name, void *arg), void *arg)
{
	char buf[NL_BUF];
	struct nl nl = { 0 };
	struct table_dump d = { fn, arg };
	int r = nl_open_proto(&nl, NETLINK_NETFILTER);

	if (r < 0)
		return r;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
	nlh->nlmsg_flags = NLM_F_DUMP;
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = (uint8_t)family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	r = nl_talk_cb(&nl, nlh, table_cb, &d);
	nl_close(&nl);
	return r;
}

/* A batch message (NFNL_MSG_BATCH_BEGIN or _END) for the nf_tables subsystem. */
static void
put_batch(struct nlmsghdr *nlh, int type, unsigned seq)
{
	struct nfgenmsg *g;

	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(NFNL_SUBSYS_NFTABLES);
}

int
nl_nft_table_del(int family, const char *name)
{
	char buf[NL_BUF];
	struct nl nl = { 0 };
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	int r = nl_open_proto(&nl, NETLINK_NETFILTER);

	if (r < 0)
		return r;
	/* nf_tables changes only in a transaction: begin, the deletion (acked), end */
	unsigned seq = ++nl.seq;
	put_batch(mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b)), NFNL_MSG_BATCH_BEGIN, seq++);
	mnl_nlmsg_batch_next(b);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = (uint8_t)family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	mnl_nlmsg_batch_next(b);
	put_batch(mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b)), NFNL_MSG_BATCH_END, seq + 1);
	mnl_nlmsg_batch_next(b);
	if (mnl_socket_sendto(nl.sock, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0)
		r = -errno;
	mnl_nlmsg_batch_stop(b);
	while (r == 0) {
		ssize_t n = mnl_socket_recvfrom(nl.sock, buf, sizeof(buf));
		if (n < 0)
			r = -errno;
		else if ((r = mnl_cb_run(buf, (size_t)n, seq, nl.portid, NULL, NULL)) < 0)
			r = -errno;
		else if (r == MNL_CB_STOP)
			break;
		else
			r = 0;
	}
	nl_close(&nl);
	return r < 0 ? r : 0;
}
