/* rtnetlink requests through libmnl, run by nsbox-helper or the box init (root) in whatever
 * network namespace the calling process is in; every request is ACKed and the kernel's errno kept. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helper.h"

#define NL_BUF 8192 /* MNL_SOCKET_BUFFER_SIZE is a sysconf() call: a VLA */

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
};

static int
nl_open(struct nl *nl)
{
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
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

static void
nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* Sends NLH (NLM_F_ACK is added) and waits for its ACK. Returns 0 or the kernel's -errno. */
static int
nl_talk(struct nl *nl, struct nlmsghdr *nlh)
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
		r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, NULL, NULL);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

int
nl_link_up(const char *ifname)
{
	char buf[NL_BUF];
	struct nl nl = { 0 };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	int r;

	r = nl_open(&nl);
	if (r < 0)
		return r;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	r = nl_talk(&nl, nlh);
	nl_close(&nl);
	return r;
}
