// SPDX-License-Identifier: BSD-3-Clause
/* Kernel floor of a box, for make bench: the least work the kernel must do for one box (clone
 * into the namespaces, / rslave, proc, hostname, optionally a veth with address and route by
 * libmnl), in-process with no exec. Root, inside the benchmark's private netns; linked into
 * bench/pambench and, with -DFLOOR_MAIN, a standalone `floor N NS [BRIDGE]`. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "floor.h"

static struct mnl_socket *host_nl;
static unsigned bridge_index;
static unsigned seq = 1;
static unsigned veth_no;

int
floor_init(const char *bridge)
{
	if (!bridge)
		return 0;
	bridge_index = if_nametoindex(bridge);
	if (!bridge_index)
		return -errno;
	host_nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!host_nl || mnl_socket_bind(host_nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	return 0;
}

/* Reads one ack per message sent; returns the first error. */
static int
read_acks(struct mnl_socket *nl, int n)
{
	char buf[8192];
	int first = 0;

	while (n > 0) {
		ssize_t len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, (int)len);
		     h = mnl_nlmsg_next(h, (int *)&len)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
				if (e->error && !first)
					first = e->error;
				n--;
			}
		}
	}
	return first;
}

static struct nlmsghdr *
put_link(char **p, int type, unsigned flags, int index, unsigned ifflags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(*p);
	h->nlmsg_type = (uint16_t)type;
	h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	h->nlmsg_seq = seq++;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	ifi->ifi_flags = ifflags;
	ifi->ifi_change = ifflags ? IFF_UP : 0;
	return h;
}

static int
veth_plumb(pid_t child)
{
	char buf[4096], path[64], name[IFNAMSIZ];
	char *p = buf;
	int netns, self, r;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
	netns = open(path, O_RDONLY | O_CLOEXEC);
	if (netns < 0)
		return -errno;
	snprintf(name, sizeof(name), "nsbf%u", veth_no++ % 100000);

	/* One message: host end on the bridge and up, peer born in the box as eth0, index 2. */
	struct nlmsghdr *h = put_link(&p, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, IFF_UP);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	mnl_attr_put_u32(h, IFLA_MASTER, bridge_index);
	struct nlattr *li = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	struct nlattr *peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
	struct ifinfomsg *pi = mnl_nlmsg_put_extra_header(h, sizeof(*pi));
	pi->ifi_index = 2;
	mnl_attr_put_strz(h, IFLA_IFNAME, "eth0");
	mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)netns);
	mnl_attr_nest_end(h, peer);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, li);
	r = mnl_socket_sendto(host_nl, h, h->nlmsg_len) < 0 ? -errno : read_acks(host_nl, 1);
	if (r < 0) {
		close(netns);
		return r;
	}

	/* Inside: lo up, eth0 up, address, default route, one batch over one socket. */
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || setns(netns, CLONE_NEWNET) < 0) {
		r = -errno;
		goto out;
	}
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* the benchmark must never continue in the box's netns */
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		if (nl)
			mnl_socket_close(nl);
		goto out;
	}
	p = buf;
	h = put_link(&p, RTM_NEWLINK, 0, 1, IFF_UP);
	p += h->nlmsg_len;
	h = put_link(&p, RTM_NEWLINK, 0, 2, IFF_UP);
	p += h->nlmsg_len;

	h = mnl_nlmsg_put_header(p);
	h->nlmsg_type = RTM_NEWADDR;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	h->nlmsg_seq = seq++;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 16;
	ifa->ifa_index = 2;
	uint32_t a = htonl(0x0a4e0002); /* 10.78.0.2: alone in its netns, may repeat */
	mnl_attr_put_u32(h, IFA_LOCAL, a);
	mnl_attr_put_u32(h, IFA_ADDRESS, a);
	p += h->nlmsg_len;

	h = mnl_nlmsg_put_header(p);
	h->nlmsg_type = RTM_NEWROUTE;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	h->nlmsg_seq = seq++;
	struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(h, RTA_GATEWAY, htonl(0x0a4e0001));
	mnl_attr_put_u32(h, RTA_OIF, 2);
	p += h->nlmsg_len;

	r = mnl_socket_sendto(nl, buf, (size_t)(p - buf)) < 0 ? -errno : read_acks(nl, 4);
	mnl_socket_close(nl);
out:
	if (self >= 0)
		close(self);
	close(netns);
	return r;
}

static int
child_main(unsigned long ns, int ready, int go)
{
	const char host[] = "floor-box";
	char c = 0;

	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return 1;
	if ((ns & CLONE_NEWPID) &&
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return 1;
	if ((ns & CLONE_NEWUTS) && sethostname(host, sizeof(host) - 1) < 0)
		return 1;
	if (ready >= 0) {
		if (write(ready, &c, 1) != 1 || read(go, &c, 1) < 0)
			return 1;
	}
	return 0;
}

int
floor_once(unsigned long ns, bool veth)
{
	int rp[2] = { -1, -1 }, gp[2] = { -1, -1 }, st = 0, r = 0;
	pid_t pid;
	char c;

	if (veth && (!host_nl || !(ns & CLONE_NEWNET)))
		return -EINVAL;
	if (veth && (pipe2(rp, O_CLOEXEC) < 0 || pipe2(gp, O_CLOEXEC) < 0))
		return -errno;
	pid = (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD | ns, NULL, NULL, NULL, 0);
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (veth) {
			close(rp[0]);
			close(gp[1]); /* or the child never sees the EOF it waits for */
		}
		_exit(child_main(ns, rp[1], gp[0]));
	}
	if (veth) {
		close(rp[1]);
		close(gp[0]);
		if (read(rp[0], &c, 1) != 1)
			r = -EIO;
		else
			r = veth_plumb(pid);
		close(gp[1]); /* EOF: the child exits, its netns takes the veth pair with it */
		close(rp[0]);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (r == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		r = -EIO;
	return r;
}

#ifdef FLOOR_MAIN
static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		unsigned long ns;
		bool veth;
	} modes[] = {
		{ "4ns", CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS, false },
		{ "5ns", CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWNET, false },
		{ "veth", CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWNET, true },
	};
	if (argc < 3) {
		fprintf(stderr, "usage: floor N 4ns|5ns|veth [BRIDGE]\n");
		return 2;
	}
	int n = atoi(argv[1]), m = -1;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[2], modes[i].name))
			m = (int)i;
	if (n < 1 || m < 0 || floor_init(argc > 3 ? argv[3] : NULL) < 0) {
		fprintf(stderr, "floor: bad arguments or bridge\n");
		return 2;
	}
	long long *t = calloc((size_t)n, sizeof(*t));
	for (int i = 0; i < n; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		int r = floor_once(modes[m].ns, modes[m].veth);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (r < 0) {
			fprintf(stderr, "floor: %s\n", strerror(-r));
			return 1;
		}
		t[i] = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_ll);
	printf("%s: min %.3f median %.3f p90 %.3f ms (n=%d)\n", argv[2], t[0] / 1e6, t[n / 2] / 1e6,
	       t[n * 9 / 10] / 1e6, n);
	return 0;
}
#endif
