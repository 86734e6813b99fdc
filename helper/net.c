/* Bridged networking of one box, in nsbox-helper's supervisor (root, host namespaces): leases,
 * the veth pair, configuration inside the box from short children, DHCP, resolv.conf; and the
 * teardown of all of it after the session. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "lease.h"
#include "nsbox/cleanup.h"



/* Locally administered unicast MAC, stable for the same key. */
static void
derive_mac(const char *key, unsigned char mac[6])
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)(h >> (8 * i));
	mac[0] = (unsigned char)((mac[0] & 0xfe) | 0x02);
}

static void
fmt_ip(const struct nsbox_ip *ip, char *out, size_t n)
{
	if (nsbox_ip_format(ip, out, n) < 0)
		snprintf(out, n, "?");
}

static void
fmt_spec(const struct nsbox_addrspec *a, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	fmt_ip(&a->cidr.ip, ip, sizeof(ip));
	snprintf(out, n, "%s/%u", ip, a->cidr.prefix);
}

static int
take_lease(struct box_net *n, const struct nsbox_settings *s, const struct nsbox_addrspec *spec,
	   const char *id, const char *user, const struct nsbox_proc *self, struct nsbox_ip *out,
	   bool *held, struct nsbox_why *why)
{
	struct lease_owner o = { .proc = *self };
	struct lease_result res = { 0 };
	char what[80];
	int r;

	snprintf(o.id, sizeof(o.id), "%s", id);
	snprintf(o.user, sizeof(o.user), "%s", user);
	const struct nsbox_ip *gw = spec->cidr.ip.family == AF_INET ? &s->gateway : &s->gateway6;
	r = lease_acquire_excluding(NSBOX_LEASE_DIR, spec, &o, s->sticky, lease_owner_alive,
				    gw->family ? gw : NULL, &res);
	fmt_spec(spec, what, sizeof(what));
	n->reclaimed += res.reclaimed;
	n->corrupt += res.corrupt;
	if (r == -ENOSPC)
		why_set(why, "address pool %s (%s) is exhausted", what, s->matched);
	else if (r == -EADDRINUSE)
		why_set(why, "address %s (%s) is in use by another box", what, s->matched);
	else if (r < 0)
		why_set(why, "leasing an address from %s: %s", what, strerror(-r));
	if (r < 0)
		return r;
	*out = res.ip;
	*held = true;
	return 0;
}

/* Runs FN in a child that has joined the box's network (and mount) namespace, so the helper
 * itself never stays in the wrong namespace. The child reports an errno and a step. */
struct inside_result {
	int err;
	char step[96];
};
typedef int (*inside_fn)(void *arg, struct inside_result *res);

static int
run_inside(const struct box *b, int nstypes, inside_fn fn, void *arg, struct nsbox_why *why)
{
	struct inside_result res = { 0 };
	int p[2], st;
	pid_t pid;
	ssize_t got;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setns(b->init_pidfd, nstypes) < 0) {
			res.err = -errno;
			snprintf(res.step, sizeof(res.step), "joining the box");
		} else
			res.err = fn(arg, &res);
		_exit(write(p[1], &res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(p[1]);
	got = read(p[0], &res, sizeof(res));
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (got != sizeof(res)) {
		why_set(why, "configuring the box network: child died");
		return -EIO;
	}
	if (res.err < 0) {
		res.step[sizeof(res.step) - 1] = 0;
		why_set(why, "%s: %s", res.step, strerror(-res.err));
		return res.err;
	}
	return 0;
}

struct inside_cfg {
	const struct nsbox_settings *s;
	const struct box_net *n;
	bool link; /* bring the interface up (IPv6 off unless configured) */
	bool v4;   /* IPv4 address and default route */
	bool v6;   /* IPv6 address and default route */
};

#define STEP(name, expr)                                                  \
	do {                                                              \
		snprintf(res->step, sizeof(res->step), "%s", name);       \
		int _r = (expr);                                          \
		if (_r < 0)                                               \
			return _r;                                        \
	} while (0)

static int
cfg_link(void *arg, struct inside_result *res)
{
	const struct inside_cfg *c = arg;
	const struct nsbox_settings *s = c->s;
	const struct box_net *n = c->n;
	int idx;

	if (c->link && s->address6.mode == NSBOX_ADDR_NONE)
		STEP("turning IPv6 off on the box interface", nl_link_v6_off(s->ifname));
	if (c->link)
		STEP("bringing up the box interface", nl_link_up(s->ifname));
	snprintf(res->step, sizeof(res->step), "finding the box interface");
	idx = nl_link_get(s->ifname, NULL, 0);
	if (idx < 0)
		return idx;
	if (c->v4 && n->ip4.family) {
		struct nsbox_cidr a = { .ip = n->ip4, .prefix = n->prefix4 };
		STEP("adding the IPv4 address", nl_addr_add(idx, &a));
	}
	if (c->v6 && n->ip6.family) {
		struct nsbox_cidr a = { .ip = n->ip6, .prefix = s->address6.cidr.prefix };
		STEP("adding the IPv6 address", nl_addr_add(idx, &a));
	}
	if (c->v4 && n->gw4.family)
		STEP("adding the IPv4 default route", nl_route_default(idx, &n->gw4));
	if (c->v6 && s->gateway6.family)
		STEP("adding the IPv6 default route", nl_route_default(idx, &s->gateway6));
	return 0;
}

static int
cfg_resolv(void *arg, struct inside_result *res)
{
	const char *src = arg;

	/* Bind our file over the box's /etc/resolv.conf (following a symlink such as
	 * systemd-resolved's): the host's file is never written. */
	STEP("mounting the box's resolv.conf",
	     mount(src, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0 ? -errno : 0);
	STEP("making the box's resolv.conf read-only",
	     mount(NULL, "/etc/resolv.conf", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID |
			     MS_NODEV | MS_NOEXEC, NULL) < 0 ? -errno : 0);
	return 0;
}
#undef STEP

static int
write_resolv(const struct box_net *n, const struct nsbox_ip *dns, unsigned ndns,
	     char search[][254], unsigned nsearch)
{
	/* In place, never by rename: the box has this inode bind-mounted. */
	char path[128];
	_cleanup_fclose_ FILE *f = NULL;

	box_path(n->id, BOX_RESOLV, path, sizeof(path));
	f = file_create(AT_FDCWD, path, 0644);

	if (!f)
		return -errno;
	fprintf(f, "# written by nsbox-helper for this box\n");
	for (unsigned i = 0; i < ndns; i++) {
		char ip[INET6_ADDRSTRLEN];
		fmt_ip(&dns[i], ip, sizeof(ip));
		fprintf(f, "nameserver %s\n", ip);
	}
	if (nsearch) {
		fprintf(f, "search");
		for (unsigned i = 0; i < nsearch; i++)
			fprintf(f, " %s", search[i]);
		fprintf(f, "\n");
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}

/* ---- DHCP: an external client in the box's network namespace ---- */

static bool
is_udhcpc(const char *path)
{
	const char *b = strrchr(path, '/');

	return strcmp(b ? b + 1 : path, "udhcpc") == 0;
}

static int
trusted_exe(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return 0;
}

/* The DHCP script ships next to the helper binary. */
static int
dhcp_script_path(char *out, size_t n)
{
	char self[PATH_MAX];
	ssize_t l = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (l <= 0)
		return -EIO;
	self[l] = 0;
	char *slash = strrchr(self, '/');
	if (!slash)
		return -EIO;
	*slash = 0;
	if ((size_t)snprintf(out, n, "%s/nsbox-dhcp-script", self) >= n)
		return -ENAMETOOLONG;
	return trusted_exe(out);
}

/* Through the netns fd we hold, not the init: the DHCP release must still work after the module
 * killed the init at logout. */
static pid_t
spawn_in_box(const struct box_net *n, char *const argv[], char *const envp[])
{
	pid_t pid = fork();

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setns(n->netns, CLONE_NEWNET) < 0)
		_exit(126);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	syscall(SYS_close_range, 3, ~0U, 0);
	execve(argv[0], argv, envp);
	_exit(127);
}

struct dhcp_lease {
	struct nsbox_ip ip, gw;
	unsigned prefix;
	struct nsbox_ip dns[NSBOX_MAX_DNS];
	unsigned ndns;
	char search[NSBOX_MAX_SEARCH][254];
	unsigned nsearch;
};

static void
split_words(const char *v, void (*add)(struct dhcp_lease *, const char *), struct dhcp_lease *l)
{
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		add(l, w);
}

static void
add_dns(struct dhcp_lease *l, const char *w)
{
	if (l->ndns < NSBOX_MAX_DNS && nsbox_ip_parse(w, &l->dns[l->ndns]) == 0)
		l->ndns++;
}

static void
add_search(struct dhcp_lease *l, const char *w)
{
	char d[254];
	size_t n;

	/* dhclient hands domains over fully qualified, with the root's dot */
	snprintf(d, sizeof(d), "%s", w);
	n = strlen(d);
	if (n && d[n - 1] == '.')
		d[n - 1] = 0;
	if (l->nsearch < NSBOX_MAX_SEARCH && nsbox_hostname_valid(d))
		snprintf(l->search[l->nsearch++], sizeof(l->search[0]), "%s", d);
}

static void
add_router(struct dhcp_lease *l, const char *w)
{
	if (!l->gw.family)
		nsbox_ip_parse(w, &l->gw);
}

static int
dhcp_kv(const char *k, const char *v, void *arg)
{
	struct dhcp_lease *l = arg;

	if (!strcmp(k, "ip"))
		nsbox_ip_parse(v, &l->ip);
	else if (!strcmp(k, "mask")) {
		struct in_addr m;
		if (inet_pton(AF_INET, v, &m) == 1)
			l->prefix = (unsigned)__builtin_popcount(m.s_addr);
		else if (*v && strspn(v, "0123456789") == strlen(v))
			l->prefix = (unsigned)atoi(v);
	} else if (!strcmp(k, "routers"))
		split_words(v, add_router, l);
	else if (!strcmp(k, "dns"))
		split_words(v, add_dns, l);
	else if (!strcmp(k, "search"))
		split_words(v, add_search, l);
	return 0;
}

static int
read_dhcp_lease(const char *path, struct dhcp_lease *l)
{
	memset(l, 0, sizeof(*l));
	int r = kv_read(AT_FDCWD, path, dhcp_kv, l);
	if (r < 0)
		return r;
	if (l->ip.family != AF_INET || l->prefix < 1 || l->prefix > 32)
		return -EBADMSG;
	return 0;
}

static int
run_dhcp(const struct box *b, const struct nsbox_settings *s, struct box_net *n,
	 struct dhcp_lease *l, struct nsbox_why *why)
{
	char script[PATH_MAX], out[300], pidf[300], leasef[300], env[340];
	int r = trusted_exe(s->dhcp_client);

	if (r < 0) {
		why_set(why, "DHCP client '%s': %s", s->dhcp_client,
			r == -EPERM ? "not a root-owned, unwritable file" : strerror(-r));
		return r;
	}
	r = dhcp_script_path(script, sizeof(script));
	if (r < 0) {
		why_set(why, "DHCP script next to the helper: %s", strerror(-r));
		return r;
	}
	box_path(b->id, BOX_DHCP_LEASE, out, sizeof(out));
	box_path(b->id, BOX_DHCP_PID, pidf, sizeof(pidf));
	box_path(b->id, BOX_DHCLIENT_LEASES, leasef, sizeof(leasef));
	snprintf(env, sizeof(env), "NSBOX_DHCP_OUT=%s", out);

	/* execve wants mutable strings: our own copies of the settings' */
	char ifname[16], client[256];
	snprintf(ifname, sizeof(ifname), "%s", s->ifname);
	snprintf(client, sizeof(client), "%s", s->dhcp_client);
	static char o4[] = "-4", od[] = "-d", osf[] = "-sf", opf[] = "-pf", olf[] = "-lf",
		    oe[] = "-e", of[] = "-f", oi[] = "-i", os[] = "-s", oR[] = "-R", op[] = "-p";
	static char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	char *const dhclient_argv[] = { client, o4, od, osf, script, opf, pidf, olf, leasef,
					oe, env, ifname, NULL };
	char *const udhcpc_argv[] = { client, of, oR, oi, ifname, os, script, op, pidf, NULL };
	char *const envp[] = { path_env, env, NULL };

	n->dhcp_udhcpc = is_udhcpc(s->dhcp_client);
	n->dhcp_pid = spawn_in_box(n, n->dhcp_udhcpc ? udhcpc_argv : dhclient_argv, envp);
	if (n->dhcp_pid < 0) {
		r = n->dhcp_pid;
		n->dhcp_pid = 0;
		why_set(why, "starting the DHCP client: %s", strerror(-r));
		return r;
	}

	/* Bounded: the login waits at most dhcp_timeout seconds for a lease. */
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (access(out, F_OK) == 0 && read_dhcp_lease(out, l) == 0)
			return 0;
		if (waitpid(n->dhcp_pid, NULL, WNOHANG) == n->dhcp_pid) {
			n->dhcp_pid = 0;
			why_set(why, "DHCP client '%s' exited without a lease", s->dhcp_client);
			return -EIO;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= (long)s->dhcp_timeout * 1000) {
			why_set(why, "no DHCP lease on '%s' within %u s", s->bridge,
				s->dhcp_timeout);
			return -ETIMEDOUT;
		}
		poll(NULL, 0, 20);
	}
}

/* Sends the release and stops the client; bounded, and done while the box's network lives. */
static void
stop_dhcp(const struct nsbox_settings *s, struct box_net *n)
{
	if (n->dhcp_pid <= 0)
		return;
	if (!n->dhcp_udhcpc && n->netns >= 0) {
		char a_client[256], ifname[16], a_pid[300], a_lease[300], a_script[PATH_MAX];
		static char o4[] = "-4", or[] = "-r", opf[] = "-pf", olf[] = "-lf", osf[] = "-sf";
		static char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
		snprintf(a_client, sizeof(a_client), "%s", s->dhcp_client);
		snprintf(ifname, sizeof(ifname), "%s", s->ifname);
		box_path(n->id, BOX_DHCP_PID, a_pid, sizeof(a_pid));
		box_path(n->id, BOX_DHCLIENT_LEASES, a_lease, sizeof(a_lease));
		if (dhcp_script_path(a_script, sizeof(a_script)) < 0)
			snprintf(a_script, sizeof(a_script), "/bin/true");
		char *const argv[] = { a_client, o4, or, osf, a_script, opf, a_pid, olf, a_lease,
				       ifname, NULL };
		char *const envp[] = { path_env, NULL };
		pid_t rel = spawn_in_box(n, argv, envp);
		for (int i = 0; rel > 0 && i < 100; i++) {
			if (waitpid(rel, NULL, WNOHANG) == rel) {
				rel = 0;
				break;
			}
			poll(NULL, 0, 20);
		}
		if (rel > 0) {
			kill(rel, SIGKILL);
			waitpid(rel, NULL, 0);
		}
	} else if (n->dhcp_udhcpc) {
		kill(n->dhcp_pid, SIGTERM); /* -R: udhcpc releases on SIGTERM */
		for (int i = 0; i < 100 && waitpid(n->dhcp_pid, NULL, WNOHANG) != n->dhcp_pid; i++)
			poll(NULL, 0, 20);
	}
	kill(n->dhcp_pid, SIGKILL);
	waitpid(n->dhcp_pid, NULL, WNOHANG);
	n->dhcp_pid = 0;
}

int
net_setup(const struct box *b, const struct nsbox_settings *s, const char *user,
	  const struct nsbox_proc *self, struct box_net *n, struct nsbox_why *why)
{
	char kind[32] = "", path[64];
	unsigned char mac[6];
	int br, r;

	memset(n, 0, sizeof(*n));
	n->netns = -1;
	if (s->network != NSBOX_NET_BRIDGE)
		return 0;
	n->active = true;
	snprintf(n->id, sizeof(n->id), "%s", b->id);

	br = nl_link_get(s->bridge, kind, sizeof(kind));
	if (br == -ENODEV) {
		why_set(why, "bridge '%s' (%s) does not exist", s->bridge, s->matched);
		return br;
	}
	if (br < 0) {
		why_set(why, "looking up bridge '%s': %s", s->bridge, strerror(-br));
		return br;
	}
	if (strcmp(kind, "bridge") != 0) {
		why_set(why, "'%s' (%s) is not a bridge", s->bridge, s->matched);
		return -ENOTSUP;
	}

	if (s->address.mode == NSBOX_ADDR_STATIC || s->address.mode == NSBOX_ADDR_POOL) {
		r = take_lease(n, s, &s->address, b->id, user, self, &n->ip4, &n->leased4, why);
		if (r < 0)
			return r;
		n->prefix4 = s->address.cidr.prefix;
		n->gw4 = s->gateway;
	}
	if (s->address6.mode == NSBOX_ADDR_STATIC || s->address6.mode == NSBOX_ADDR_POOL) {
		r = take_lease(n, s, &s->address6, b->id, user, self, &n->ip6, &n->leased6, why);
		if (r < 0)
			return r;
	}

	if (!s->mac_auto)
		memcpy(mac, s->mac, 6);
	else {
		/* Stable per user and address (so DHCP/ARP caches stay valid across logins),
		 * unique per box where the address is unique. */
		char key[400], ip[INET6_ADDRSTRLEN] = "";
		if (n->ip4.family)
			fmt_ip(&n->ip4, ip, sizeof(ip));
		else
			snprintf(ip, sizeof(ip), "%s", b->id);
		snprintf(key, sizeof(key), "%s/%s/%s", user, ip, s->ifname);
		derive_mac(key, mac);
	}

	snprintf(n->host_if, sizeof(n->host_if), "nsb%s", b->id);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)b->init.pid);
	/* The init is our unreaped child: its pid cannot be reused under us. */
	n->netns = open(path, O_RDONLY | O_CLOEXEC);
	if (n->netns < 0) {
		r = -errno;
		why_set(why, "opening the box's network namespace: %s", strerror(-r));
		return r;
	}
	struct nl_veth v = { .host = n->host_if, .peer = s->ifname, .peer_mac = mac,
			     .mtu = s->mtu, .peer_netns_fd = n->netns };
	r = nl_veth_create(&v);
	if (r < 0) {
		why_set(why, "creating veth '%s': %s", n->host_if, strerror(-r));
		return r;
	}
	n->veth_made = true;
	r = nl_link_v6_off(n->host_if);
	if (r < 0) {
		why_set(why, "turning IPv6 off on '%s': %s", n->host_if, strerror(-r));
		return r;
	}
	r = nl_link_master_up(n->host_if, br);
	if (r < 0) {
		why_set(why, "attaching '%s' to bridge '%s': %s", n->host_if, s->bridge,
			strerror(-r));
		return r;
	}

	struct inside_cfg c = { .s = s, .n = n, .link = true, .v4 = true, .v6 = true };
	r = run_inside(b, CLONE_NEWNET, cfg_link, &c, why);
	if (r < 0)
		return r;

	struct nsbox_ip *dns = (struct nsbox_ip *)(uintptr_t)s->dns;
	unsigned ndns = s->n_dns, nsearch = s->n_search;
	char(*search)[254] = (char(*)[254])(uintptr_t)s->search;
	struct dhcp_lease dl;
	if (s->address.mode == NSBOX_ADDR_DHCP) {
		r = run_dhcp(b, s, n, &dl, why);
		if (r < 0)
			return r;
		n->ip4 = dl.ip;
		n->prefix4 = dl.prefix;
		n->gw4 = dl.gw;
		struct inside_cfg c4 = { .s = s, .n = n, .v4 = true };
		r = run_inside(b, CLONE_NEWNET, cfg_link, &c4, why);
		if (r < 0)
			return r;
		dns = dl.dns;
		ndns = dl.ndns;
		if (!nsearch) { /* a configured search list wins over the lease's */
			search = dl.search;
			nsearch = dl.nsearch;
		}
	}

	if (ndns || nsearch) {
		char resolv[128];
		box_path(b->id, BOX_RESOLV, resolv, sizeof(resolv));
		r = write_resolv(n, dns, ndns, search, nsearch);
		if (r < 0) {
			why_set(why, "writing %s: %s", resolv, strerror(-r));
			return r;
		}
		r = run_inside(b, CLONE_NEWNS, cfg_resolv, resolv, why);
		if (r < 0)
			return r;
	}
	return 0;
}

void
net_release_early(const struct nsbox_settings *s, struct box_net *n)
{
	if (n->active)
		stop_dhcp(s, n);
}

void
net_teardown(const struct nsbox_settings *s, struct box_net *n, const char *id)
{
	if (!n->active)
		return;
	/* Our fd was the namespace's last hold once the init is gone; deleting the host end
	 * ourselves makes its disappearance synchronous for whoever looks next. Off the login
	 * path: the module never waits for us. */
	nsbox_closep(&n->netns);
	if (n->veth_made)
		nl_link_del(n->host_if);
	if (n->leased4)
		lease_release(NSBOX_LEASE_DIR, &s->address, id);
	if (n->leased6)
		lease_release(NSBOX_LEASE_DIR, &s->address6, id);
	/* resolv.conf and the DHCP files go with the box's directory (box_remove). */
	memset(n, 0, sizeof(*n));
	n->netns = -1;
}
