// SPDX-License-Identifier: BSD-3-Clause
/* nsboxctl's view of the live boxes, run by root from a shell: which records under /run/nsbox
 * name a real box, such a box pinned by pidfds of its processes, and list and show printing
 * them as a table, key = value lines or JSON. */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "member.h"
#include "netlink.h"
#include "nsbox/array.h"
#include "nsbox/cleanup.h"
#include "nsbox/ns.h"

/* ---- which records name a real box ---- */

/* The supervisor's name: nsboxctl does not run the helper's executable to compare with. */
static bool
named_helper(pid_t pid)
{
	char comm[32];
	pid_t ppid;

	return proc_comm_ppid(pid, comm, sizeof(comm), &ppid) == 0 && !strcmp(comm, "nsbox-helper");
}

/* 1 when R names a live box, its supervisor nsbox-helper by name; 0 when not; -errno when that
 * cannot be told. */
static int
record_live(const struct box_record *r)
{
	int e = box_record_live(r, named_helper);

	return e == -EPERM ? 0 : e;
}

void
unpin(struct pinned *p)
{
	nsbox_closep(&p->initfd);
	nsbox_closep(&p->supfd);
}

/* 0, or 1 with a message printed. */
int
pin_box(const char *id, struct pinned *p)
{
	int e;

	p->initfd = p->supfd = -1;
	if (!box_id_valid(id)) {
		fprintf(stderr, "nsboxctl: '%s' is not a box id (8 hex digits)\n", id);
		return 1;
	}
	e = box_record_read(id, &p->r);
	if (e == -ENOENT) {
		fprintf(stderr, "nsboxctl: no live box '%s'\n", id);
		return 1;
	}
	if (e == -EPERM) {
		fprintf(stderr, "nsboxctl: box '%s': its record is not root's alone; refused\n", id);
		return 1;
	}
	if (e < 0) {
		fprintf(stderr, "nsboxctl: box '%s': cannot read its record: %s\n", id, strerror(-e));
		return 1;
	}
	if (p->r.init.pid > 0 && p->r.supervisor.pid > 0) {
		p->initfd = (int)syscall(SYS_pidfd_open, p->r.init.pid, 0);
		p->supfd = (int)syscall(SYS_pidfd_open, p->r.supervisor.pid, 0);
	}
	e = p->initfd < 0 || p->supfd < 0 ? 0 : record_live(&p->r);
	if (e == 1)
		return 0;
	unpin(p);
	if (e < 0)
		fprintf(stderr, "nsboxctl: cannot tell whether box '%s' is live: %s\n", id,
			strerror(-e));
	else
		fprintf(stderr, "nsboxctl: no live box '%s' (its record names no running box)\n",
			id);
	return 1;
}

/* ---- list and show ---- */

static void
age_str(long long started, char *out, size_t n)
{
	long long a = (long long)time(NULL) - started;

	if (a < 0)
		a = 0;
	if (a < 60)
		snprintf(out, n, "%llds", a);
	else if (a < 3600)
		snprintf(out, n, "%lldm%02llds", a / 60, a % 60);
	else if (a < 86400)
		snprintf(out, n, "%lldh%02lldm", a / 3600, a % 3600 / 60);
	else
		snprintf(out, n, "%lldd%02lldh", a / 86400, a % 86400 / 3600);
}

static void
addresses(const struct box_record *r, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s", r->ipv4, r->ipv4[0] && r->ipv6[0] ? "," : "", r->ipv6);
	if (!out[0])
		snprintf(out, n, "-");
}

/* The namespace link of the init, e.g. "net:[4026532281]"; "" when unreadable. */
static void
ns_link(const struct box_record *r, const char *ns, char *out, size_t n)
{
	char path[64];
	ssize_t l;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)r->init.pid, ns);
	l = readlink(path, out, n - 1);
	out[l > 0 ? l : 0] = 0;
}

/* A limit as nsbox.conf writes it: none, a size (UNIT "b": 2g, 512m), N or N%. */
static const char *
limit_str(unsigned long long v, const char *unit, char *out, size_t n)
{
	if (!v)
		snprintf(out, n, "none");
	else if (strcmp(unit, "b"))
		snprintf(out, n, "%llu%s", v, unit);
	else if (v % (1ull << 30) == 0)
		snprintf(out, n, "%llug", v >> 30);
	else if (v % (1ull << 20) == 0)
		snprintf(out, n, "%llum", v >> 20);
	else
		snprintf(out, n, "%llu", v);
	return out;
}

static void
print_json(const struct box_record *r)
{
	char b[6][1600], age[32], uid[24] = "null";

	age_str(r->started, age, sizeof(age));
	if (r->uid >= 0)
		snprintf(uid, sizeof(uid), "%lld", r->uid);
	printf("{\"id\":\"%s\",\"user\":\"%s\",\"uid\":%s,\"service\":\"%s\",\"rhost\":\"%s\",\"tty\":\"%s\","
	       "\"started\":%lld,\"age\":\"%s\",\"init\":%d,\"supervisor\":%d,\"app\":%d,"
	       "\"hostname\":\"%s\",\"ipv4\":\"%s\",\"ipv6\":\"%s\",\"network\":\"%s\",\"veth\":\"%s\","
	       "\"bridge\":\"%s\",\"neighbours\":\"%s\",\"egress\":\"%s\",\"profile\":\"%s\",\"no_new_privs\":%s,\"caps_keep\":\"0x%llx\","
	       "\"seccomp\":%s,\"tmp_private\":%s,\"share\":\"%s\",\"members\":%d,"
	       "\"memory_max\":%llu,\"tasks_max\":%d,\"cpu_quota\":%d,\"unit\":\"%s\","
	       "\"netns\":\"%s%s\",\"namespaces\":{",
	       r->id, ctl_js(r->user, b[0], sizeof(b[0])), uid, ctl_js(r->service, b[1], sizeof(b[1])),
	       ctl_js(r->rhost, b[2], sizeof(b[2])), ctl_js(r->tty, b[3], sizeof(b[3])), r->started, age,
	       (int)r->init.pid, (int)r->supervisor.pid, r->app, ctl_js(r->hostname, b[4], sizeof(b[4])),
	       r->ipv4, r->ipv6, r->network, r->veth, r->bridge, r->neighbours, r->egress,
	       ctl_js(r->profile, b[5], sizeof(b[5])),
	       r->no_new_privs ? "true" : "false", r->caps_keep, r->seccomp ? "true" : "false",
	       r->tmp_private ? "true" : "false", r->share ? "user" : "none",
	       r->members > 0 ? r->members : 1, r->memory_max, r->tasks_max, r->cpu_quota, r->unit,
	       r->namespaces & CLONE_NEWNET ? NSBOX_NETNS_PREFIX : "", r->namespaces & CLONE_NEWNET ? r->id : "");
	bool first = true;
	for (size_t i = 0; i < NSBOX_N_NS; i++) {
		char link[64];
		if (!(r->namespaces & nsbox_ns_table[i].flag))
			continue;
		ns_link(r, nsbox_ns_table[i].proc, link, sizeof(link));
		printf("%s\"%s\":\"%s\"", first ? "" : ",", nsbox_ns_table[i].proc, link);
		first = false;
	}
	printf("}}");
}

static int
collect(const struct box_record *r, void *arg)
{
	struct boxes *b = arg;

	if (record_live(r) != 1 || (b->user && strcmp(b->user, r->user)))
		return 0;
	struct box_record *v = nsbox_grow(b->v, b->n, &b->cap, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	b->v = v;
	b->v[b->n++] = *r;
	return 0;
}

static int
by_start(const void *a, const void *b)
{
	const struct box_record *x = a, *y = b;

	return x->started < y->started ? -1 : x->started > y->started ? 1 : strcmp(x->id, y->id);
}

/* The live boxes (of USER, when not NULL), oldest first: 0, or -errno with a message. */
int
scan_boxes(struct boxes *b, const char *user)
{
	int r;

	*b = (struct boxes){ .user = user };
	r = box_scan(collect, b);
	if (r < 0) {
		fprintf(stderr, "nsboxctl: cannot read " NSBOX_BOXES_DIR ": %s\n", strerror(-r));
		free(b->v);
		return r;
	}
	if (b->n)
		qsort(b->v, b->n, sizeof(*b->v), by_start);
	return 0;
}

enum { COL_ID, COL_USER, COL_SERVICE, COL_RHOST, COL_TTY, COL_AGE, COL_INIT, COL_MEMBERS,
       COL_HOST, COL_ADDR, N_COL };

int
cmd_list(int argc, char **argv)
{
	static const char *const head[N_COL] = { "ID",  "USER", "SERVICE", "RHOST",    "TTY",
						 "AGE", "INIT", "MEMBERS", "HOSTNAME", "ADDRESSES" };
	bool json = false;
	struct boxes b;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = true;
	else if (argc != 1)
		return ctl_bad_usage("unexpected argument", argv[1]);
	if (scan_boxes(&b, NULL) < 0)
		return EXIT_FAIL;
	if (json) {
		printf("[");
		for (size_t i = 0; i < b.n; i++) {
			printf(i ? "," : "");
			print_json(&b.v[i]);
		}
		printf("]\n");
		free(b.v);
		return EXIT_OK;
	}
	/* every cell as text first, for the column widths */
	char(*cell)[N_COL][300] = calloc(b.n + 1, sizeof(*cell));
	int w[N_COL] = { 0 };
	if (!cell) {
		free(b.v);
		return EXIT_FAIL;
	}
	for (size_t i = 0; i <= b.n; i++) {
		if (i == 0) {
			for (int c = 0; c < N_COL; c++)
				snprintf(cell[0][c], sizeof(cell[0][c]), "%s", head[c]);
		} else {
			const struct box_record *r = &b.v[i - 1];
			snprintf(cell[i][COL_ID], 300, "%s", r->id);
			snprintf(cell[i][COL_USER], 300, "%s", r->user);
			snprintf(cell[i][COL_SERVICE], 300, "%s", r->service);
			snprintf(cell[i][COL_RHOST], 300, "%s", r->rhost[0] ? r->rhost : "-");
			snprintf(cell[i][COL_TTY], 300, "%s", r->tty[0] ? r->tty : "-");
			age_str(r->started, cell[i][COL_AGE], 300);
			snprintf(cell[i][COL_INIT], 300, "%d", (int)r->init.pid);
			/* a record of an older helper, or a box that is not shared: one session */
			snprintf(cell[i][COL_MEMBERS], 300, "%d", r->members > 0 ? r->members : 1);
			snprintf(cell[i][COL_HOST], 300, "%s", r->hostname[0] ? r->hostname : "-");
			addresses(r, cell[i][COL_ADDR], 300);
		}
		for (int c = 0; c < N_COL; c++) {
			int l = (int)strlen(cell[i][c]);
			w[c] = l > w[c] ? l : w[c];
		}
	}
	for (size_t i = 0; i <= b.n; i++)
		for (int c = 0; c < N_COL; c++)
			if (c == N_COL - 1)
				printf("%s\n", cell[i][c]);
			else
				printf(c == COL_INIT || c == COL_MEMBERS ? "%*s  " : "%-*s  ", w[c],
				       cell[i][c]);
	free(cell);
	free(b.v);
	return EXIT_OK;
}

/* Capability bits as names ("all", "none", or "cap_a,cap_b"). */
static void
caps_str(unsigned long long keep, char *out, size_t n)
{
	size_t o = 0;

	out[0] = 0;
	if (keep == ~0ull) {
		snprintf(out, n, "all");
		return;
	}
	for (int c = 0; c < 64; c++) {
		if (!(keep & (1ull << c)))
			continue;
		char *name = cap_to_name((cap_value_t)c);
		o += (size_t)snprintf(out + o, o < n ? n - o : 0, "%s%s", o ? "," : "",
				      name ? name : "?");
		cap_free(name);
	}
	if (!out[0])
		snprintf(out, n, "none");
}

/* A shared box's sessions, one "member = " line each: service, tty, rhost, start time, app pid. */
static void
show_members(const struct box_record *r)
{
	struct box_member *m = NULL;
	size_t n = 0;
	int e;

	if (!r->share)
		return;
	e = box_members_read(r->id, &m, &n);
	if (e < 0) {
		fprintf(stderr, "nsboxctl: box '%s': cannot read its members: %s\n", r->id,
			strerror(-e));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char when[32];
		time_t t = (time_t)m[i].started;
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime(&t));
		printf("member = service=%s tty=%s rhost=%s started=%s app=%d\n", m[i].service,
		       m[i].tty[0] ? m[i].tty : "-", m[i].rhost[0] ? m[i].rhost : "-", when,
		       m[i].app);
	}
	free(m);
}

struct host_end {
	int index;
	char list[1024];
	size_t o;
};

static void
host_add(struct host_end *h, const struct nsbox_ip *ip, unsigned prefix)
{
	char t[INET6_ADDRSTRLEN];
	int l;

	nsbox_ip_text(ip, t, sizeof(t));
	l = snprintf(h->list + h->o, sizeof(h->list) - h->o, "%s%s/%u", h->o ? " " : "", t, prefix);
	if (l > 0 && (size_t)l < sizeof(h->list) - h->o)
		h->o += (size_t)l;
}

static void
host_addr(int index, const char *label, const struct nsbox_ip *ip, void *arg)
{
	struct host_end *h = arg;

	(void)label;
	if (index == h->index)
		host_add(h, ip, ip->family == AF_INET ? 32 : 128);
}

static void
host_route(int index, const struct nsbox_ip *dst, unsigned dst_len, void *arg)
{
	struct host_end *h = arg;

	if (index == h->index && dst_len)
		host_add(h, dst, dst_len);
}

/* What the host holds on box's host end IFNAME, read from the kernel: its addresses (a routed
 * box's gateways) and the routes through it (a routed box's host routes). */
static void
show_host_end(const char *ifname)
{
	struct host_end a = { .index = (int)if_nametoindex(ifname) }, rt = { .index = a.index };

	if (!a.index)
		return;
	nl_addr_each(host_addr, &a);
	nl_route_each(host_route, &rt);
	printf("host_addresses = %s\nhost_routes = %s\n", a.list, rt.list);
}

int
cmd_show(int argc, char **argv)
{
	struct pinned p;
	bool json = false;
	const char *id = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!id && argv[i][0] != '-')
			id = argv[i];
		else
			return ctl_bad_usage("unexpected argument", argv[i]);
	}
	if (!id)
		return ctl_bad_usage("which box? give its ID (nsboxctl list)", NULL);
	if (pin_box(id, &p))
		return EXIT_FAIL;
	const struct box_record *r = &p.r;
	if (json) {
		print_json(r);
		printf("\n");
		unpin(&p);
		return EXIT_OK;
	}
	char age[32], caps[2048], when[32], lim[3][32];
	time_t t = (time_t)r->started;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime(&t));
	age_str(r->started, age, sizeof(age));
	caps_str(r->caps_keep, caps, sizeof(caps));
	char uid[24] = "-";
	if (r->uid >= 0)
		snprintf(uid, sizeof(uid), "%lld", r->uid);
	printf("id = %s\nuser = %s\nuid = %s\nservice = %s\nrhost = %s\ntty = %s\nstarted = %s (%s ago)\n"
	       "init = %d\nsupervisor = %d\napp = %d\nhostname = %s\nipv4 = %s\nipv6 = %s\n"
	       "network = %s\nveth = %s\nbridge = %s\nneighbours = %s\negress = %s\nnetns = %s%s\nprofile = %s\n"
	       "no_new_privs = %s\n"
	       "caps = %s\nseccomp = %s\ntmp = %s\nshare = %s\nmembers = %d\n",
	       r->id, r->user, uid, r->service, r->rhost, r->tty, when, age, (int)r->init.pid,
	       (int)r->supervisor.pid, r->app, r->hostname, r->ipv4, r->ipv6, r->network, r->veth,
	       r->bridge,
	       r->neighbours, r->egress, r->namespaces & CLONE_NEWNET ? NSBOX_NETNS_PREFIX : "",
	       r->namespaces & CLONE_NEWNET ? r->id : "", r->profile,
	       r->no_new_privs ? "yes" : "no", caps, r->seccomp ? "default" : "off",
	       r->tmp_private ? "private" : "shared", r->share ? "user" : "none",
	       r->members > 0 ? r->members : 1);
	for (size_t i = 0; i < NSBOX_N_NS; i++) {
		char link[64];
		if (!(r->namespaces & nsbox_ns_table[i].flag))
			continue;
		ns_link(r, nsbox_ns_table[i].proc, link, sizeof(link));
		printf("ns.%s = %s\n", nsbox_ns_table[i].proc, link);
	}
	if (r->veth[0])
		show_host_end(r->veth);
	printf("memory_max = %s\ntasks_max = %s\ncpu_quota = %s\n",
	       limit_str(r->memory_max, "b", lim[0], sizeof(lim[0])),
	       limit_str((unsigned long long)r->tasks_max, "", lim[1], sizeof(lim[1])),
	       limit_str((unsigned long long)r->cpu_quota, "%", lim[2], sizeof(lim[2])));
	if (r->unit[0])
		printf("unit = %s\n", r->unit);
	for (size_t i = 0; i < ARRAY_SIZE(r->cgroup); i++)
		if (r->cgroup[i][0])
			printf("cgroup = %s\n", r->cgroup[i]);
	show_members(r);
	unpin(&p);
	return EXIT_OK;
}
