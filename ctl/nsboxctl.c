// SPDX-License-Identifier: BSD-3-Clause
/* nsboxctl: the admin tool, run by root from a shell: checks nsbox.conf, lists, shows, enters
 * and stops live boxes through their records under /run/nsbox. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "groups.h"
#include "ctl.h"
#include "lint.h"
#include "pamstack.h"
#include "netlink.h"
#include "member.h"
#include "record.h"
#include "nsbox/cleanup.h"
#include "nsbox/ns.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: nsboxctl check [CONF] [--user USER] [--service SERVICE]\n"
		   "       nsboxctl explain --user USER [--service SERVICE] [--rhost HOST] [--conf CONF]\n"
		   "       nsboxctl list [--json]\n"
		   "       nsboxctl show ID [--json]\n"
		   "       nsboxctl enter ID [--] [CMD [ARG...]]\n"
		   "       nsboxctl stop [--wait] ID... | --user USER | --all\n"
		   "       nsboxctl refusals [--json] [-n N | --all] [REF]\n"
		   "       nsboxctl --version | --help\n");
}

static const char *cmd_name; /* the command being run, for messages */

int
ctl_bad_usage(const char *why, const char *arg)
{
	if (why && arg)
		fprintf(stderr, "nsboxctl: %s: %s '%s'\n", cmd_name, why, arg);
	else if (why)
		fprintf(stderr, "nsboxctl: %s: %s\n", cmd_name, why);
	usage(stderr);
	return EXIT_USAGE;
}

/* A bridge that is missing now refuses every login its sections match (one of a list of
 * bridges: is passed over, and the others must carry its boxes). */
static void
check_bridge(const char *bridge, const char *where, void *arg)
{
	char kind[32] = "";
	int r = nl_link_get(bridge, kind, sizeof(kind));

	if (r >= 0 && strcmp(kind, "bridge") == 0)
		return;
	if (r == -ENODEV)
		fprintf(stderr, "nsboxctl: %s: bridge '%s' does not exist\n", where, bridge);
	else if (r < 0)
		fprintf(stderr, "nsboxctl: %s: bridge '%s': %s\n", where, bridge, strerror(-r));
	else
		fprintf(stderr, "nsboxctl: %s: '%s' is not a bridge\n", where, bridge);
	(*(int *)arg)++;
}

/* USER's passwd entry and group names, as the helper would see them (an NSS source that fails
 * is an error, as it is for a login): 0, or -errno after one line on stderr. */
static int
lookup_login(const struct nsbox_conf *conf, const char *user, struct passwd *pw, char **pwbuf,
	     char ***names, size_t *n)
{
	char bad[300];
	int r = user_lookup(user, pw, pwbuf);

	if (r == -ENOENT)
		fprintf(stderr, "nsboxctl: unknown user '%s'\n", user);
	else if (r < 0)
		fprintf(stderr, "nsboxctl: cannot look up user '%s': %s\n", user, strerror(-r));
	if (r < 0)
		return r;
	r = login_groups(conf, pw, names, n, bad, sizeof(bad));
	if (r == -E2BIG)
		fprintf(stderr, "nsboxctl: cannot list groups of '%s': more than %d groups\n", user,
			NSBOX_MAX_GROUPS);
	else if (r < 0)
		fprintf(stderr, "nsboxctl: cannot look up group %s of '%s': %s\n", bad, user,
			strerror(-r));
	return r;
}

/* What USER logging in through SERVICE would get: printed as a config, then (unless BROKEN: the
 * config already failed) its host name tried. 0, or 1 on an error. */
static int
check_login(const struct nsbox_conf *conf, const char *user, const char *service, bool broken)
{
	struct passwd pw;
	_cleanup_free_ char *pwbuf = NULL;
	char **names = NULL;
	size_t n = 0;
	int r;

	if (lookup_login(conf, user, &pw, &pwbuf, &names, &n) < 0)
		return 1;
	struct nsbox_login who = { .user = user, .service = service,
				   .groups = (const char *const *)names, .n_groups = n };
	struct nsbox_settings s;
	nsbox_conf_resolve(conf, &who, &s);
	groups_free(names, n);

	printf("# user '%s' service '%s'\n", user, service);
	nsbox_settings_print(stdout, &s);
	if (broken || s.exempt || !s.hostname[0])
		return 0;
	char host[NSBOX_HOSTNAME_MAX + 1] = "", out[NSBOX_HOSTNAME_MAX + 1];
	gethostname(host, sizeof(host) - 1);
	struct nsbox_tmpl_vars v = { .user = user, .id = "0123abcd", .service = service,
				     .host = host };
	r = nsbox_template_expand(s.hostname, &v, out, sizeof(out));
	if (r < 0) {
		fprintf(stderr, "nsboxctl: hostname template '%s' for '%s': %s\n", s.hostname, user,
			r == -EDOM ? "result is not a valid host name" : strerror(-r));
		return 1;
	}
	printf("# hostname would be '%s' (for box id 0123abcd)\n", out);
	return 0;
}

static void
stack_problem(const struct nsbox_pam_entry *at, const char *msg, void *arg)
{
	const struct nsbox_pam_stack *st = arg;

	if (at)
		fprintf(stderr, "nsboxctl: %s:%u: %s\n", at->file, at->line, msg);
	else
		fprintf(stderr, "nsboxctl: %s: %s\n", st->file, msg);
}

/* SERVICE's PAM stack, as pam_nsbox needs it; with a user manager stack on the host, that one
 * too (a boxed user's manager must be refused). 0, or 1 when anything is wrong. */
static int
check_stack(const char *service)
{
	struct nsbox_pam_stack st;
	struct nsbox_conf_err err;
	bool manager = strcmp(service, NSBOX_USER_MANAGER_SERVICE) == 0;
	int r = nsbox_pam_stack_load(service, NULL, &st, &err);
	unsigned n;

	if (r < 0) {
		char m[600];
		nsbox_conf_err_format(&err, m, sizeof(m));
		fprintf(stderr, "nsboxctl: PAM service: %s\n", m);
		return 1;
	}
	n = nsbox_pam_stack_check(&st, manager, stack_problem, &st);
	if (!n)
		printf("%s: pam_nsbox.so lines OK (%s)\n", st.file,
		       manager ? "last: a boxed user's manager is refused"
			       : "leave first, the box last");
	nsbox_pam_stack_free(&st);
	if (manager)
		return n ? 1 : 0;
	/* systemd's user manager runs the user's units; unless its stack refuses boxed users, it
	 * starts them outside the box */
	r = nsbox_pam_stack_load(NSBOX_USER_MANAGER_SERVICE, NULL, &st, &err);
	if (r == -ENOENT)
		return n ? 1 : 0;
	if (r < 0) {
		fprintf(stderr, "nsboxctl: PAM service %s: %s\n", err.file, err.msg);
		return 1;
	}
	long i;
	for (i = (long)st.n - 1; i >= 0; i--)
		if (!strcmp(nsbox_pam_module_name(&st.e[i]), "pam_nsbox.so") &&
		    !nsbox_pam_is_leave(&st.e[i]))
			break;
	if (i < 0) {
		fprintf(stderr, "nsboxctl: %s: no 'session required pam_nsbox.so' line: the systemd "
				"user manager of a boxed user runs outside the box, and with it every unit "
				"the user starts or plants (see pam_nsbox(8), SYSTEMD HOSTS)\n", st.file);
		n++;
	}
	nsbox_pam_stack_free(&st);
	return n ? 1 : 0;
}

static int
cmd_check(int argc, char **argv)
{
	static const struct option lo[] = { { "user", required_argument, NULL, 'u' },
					    { "service", required_argument, NULL, 's' },
					    { NULL, 0, NULL, 0 } };
	const char *user = NULL, *service = "sshd", *path = NSBOX_CONF_DEFAULT;
	struct nsbox_conf *conf = NULL;
	struct nsbox_conf_err err = { 0 };
	bool stack = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "u:s:", lo, NULL)) != -1) {
		if (c == 'u')
			user = optarg;
		else if (c == 's')
			service = optarg, stack = true;
		else
			return ctl_bad_usage(NULL, NULL);
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc)
		return ctl_bad_usage("one configuration file at most; unexpected", argv[optind]);
	r = nsbox_conf_load(path, 0, &conf, &err);
	if (r < 0) {
		char m[600];
		nsbox_conf_err_format(&err, m, sizeof(m));
		fprintf(stderr, "nsboxctl: %s\n", m);
		return 1;
	}
	int missing = 0;
	nsbox_conf_foreach_bridge(conf, check_bridge, &missing);
	int bad_stack = stack ? check_stack(service) : 0;
	/* warnings do not fail the check: the config works, just not as its author may think */
	int warnings = nsbox_lint(conf, stack ? service : NULL);
	if (!user) {
		if (!missing && warnings)
			printf("%s: OK (%zu sections), %d warning%s\n", path, nsbox_conf_n_sections(conf),
			       warnings, warnings == 1 ? "" : "s");
		else if (!missing)
			printf("%s: OK (%zu sections)\n", path, nsbox_conf_n_sections(conf));
		nsbox_conf_free(conf);
		return missing || bad_stack ? 1 : 0;
	}

	r = check_login(conf, user, service, missing);
	nsbox_conf_free(conf);
	return missing || r || bad_stack ? 1 : 0;
}

const char *
ctl_js(const char *in, char *out, size_t n)
{
	size_t o = 0;

	for (; *in && o + 7 < n; in++) {
		unsigned char c = (unsigned char)*in;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, n - o, "\\u%04x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = 0;
	return out;
}

/* ---- which records name a real box ---- */

/* 1 when R names a live box: its supervisor and init run with the recorded start times, the
 * init is nsbox-init and a child of that supervisor, which is nsbox-helper; 0 when not; -errno
 * when that cannot be told. */
static int
record_live(const struct box_record *r)
{
	char comm[32];
	pid_t ppid;
	int a, b;

	if (r->init.pid <= 0 || r->supervisor.pid <= 0)
		return 0;
	a = proc_alive(&r->supervisor);
	b = proc_alive(&r->init);
	if (a < 0 || b < 0)
		return a < 0 ? a : b;
	if (!a || !b)
		return 0;
	if (proc_comm_ppid(r->init.pid, comm, sizeof(comm), &ppid) < 0 ||
	    strcmp(comm, "nsbox-init") || ppid != r->supervisor.pid)
		return 0;
	if (proc_comm_ppid(r->supervisor.pid, comm, sizeof(comm), &ppid) < 0 ||
	    strcmp(comm, "nsbox-helper"))
		return 0;
	return 1;
}

/* A pinned box: pidfds of its init and supervisor, opened and then checked against the record,
 * so they name the very processes the record does. */
struct pinned {
	struct box_record r;
	int initfd, supfd;
};

static void
unpin(struct pinned *p)
{
	nsbox_closep(&p->initfd);
	nsbox_closep(&p->supfd);
}

/* 0, or 1 with a message printed. */
static int
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
	       "\"hostname\":\"%s\",\"ipv4\":\"%s\",\"ipv6\":\"%s\",\"veth\":\"%s\","
	       "\"bridge\":\"%s\",\"neighbours\":\"%s\",\"egress\":\"%s\",\"profile\":\"%s\",\"no_new_privs\":%s,\"caps_keep\":\"0x%llx\","
	       "\"seccomp\":%s,\"tmp_private\":%s,\"share\":\"%s\",\"members\":%d,"
	       "\"memory_max\":%llu,\"tasks_max\":%d,\"cpu_quota\":%d,\"unit\":\"%s\","
	       "\"netns\":\"%s%s\",\"namespaces\":{",
	       r->id, ctl_js(r->user, b[0], sizeof(b[0])), uid, ctl_js(r->service, b[1], sizeof(b[1])),
	       ctl_js(r->rhost, b[2], sizeof(b[2])), ctl_js(r->tty, b[3], sizeof(b[3])), r->started, age,
	       (int)r->init.pid, (int)r->supervisor.pid, r->app, ctl_js(r->hostname, b[4], sizeof(b[4])),
	       r->ipv4, r->ipv6, r->veth, r->bridge, r->neighbours, r->egress,
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

struct boxes {
	struct box_record *v;
	size_t n, cap;
	const char *user; /* only this user's, when set */
};

static int
collect(const struct box_record *r, void *arg)
{
	struct boxes *b = arg;

	if (record_live(r) != 1 || (b->user && strcmp(b->user, r->user)))
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 16;
		struct box_record *v = realloc(b->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
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
static int
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

static int
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

static int
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
	       "veth = %s\nbridge = %s\nneighbours = %s\negress = %s\nnetns = %s%s\nprofile = %s\n"
	       "no_new_privs = %s\n"
	       "caps = %s\nseccomp = %s\ntmp = %s\nshare = %s\nmembers = %d\n",
	       r->id, r->user, uid, r->service, r->rhost, r->tty, when, age, (int)r->init.pid,
	       (int)r->supervisor.pid, r->app, r->hostname, r->ipv4, r->ipv6, r->veth, r->bridge,
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

/* ---- stop ---- */

/* Waits until box ID's directory is gone (the supervisor removes it last), up to a bound. */
static bool
wait_gone(const char *id, int supfd)
{
	char path[128];
	struct pollfd pf = { .fd = supfd, .events = POLLIN };
	struct stat st;

	if (box_path(id, NULL, path, sizeof(path)) < 0)
		return false;
	/* the supervisor's exit first: its cleanup is done by then */
	while (poll(&pf, 1, 30000) < 0 && errno == EINTR)
		;
	for (int i = 0; i < 200; i++) {
		if (lstat(path, &st) < 0 && errno == ENOENT)
			return true;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		if (i == 20)
			box_gc(); /* a supervisor that died mid-teardown leaves it to gc */
	}
	return false;
}

static int
stop_one(const char *id, bool wait)
{
	struct pinned p;

	if (pin_box(id, &p))
		return 1;
	/* The supervisor tears the box down on SIGTERM, as on logout. */
	if (syscall(SYS_pidfd_send_signal, p.supfd, SIGTERM, NULL, 0) < 0) {
		fprintf(stderr, "nsboxctl: cannot stop box '%s': %s\n", id, strerror(errno));
		unpin(&p);
		return 1;
	}
	int e = 0;
	if (wait && !wait_gone(id, p.supfd)) {
		fprintf(stderr, "nsboxctl: box '%s' was told to stop but is not gone yet\n", id);
		e = 1;
	} else
		printf("box %s: %s\n", id, wait ? "stopped" : "told to stop");
	unpin(&p);
	return e;
}

static int
cmd_stop(int argc, char **argv)
{
	static const struct option lo[] = { { "user", required_argument, NULL, 'u' },
					    { "all", no_argument, NULL, 'a' },
					    { "wait", no_argument, NULL, 'w' },
					    { NULL, 0, NULL, 0 } };
	const char *user = NULL;
	bool all = false, wait = false;
	int c, fails = 0;

	while ((c = getopt_long(argc, argv, "+u:aw", lo, NULL)) != -1) {
		if (c == 'u')
			user = optarg;
		else if (c == 'a')
			all = true;
		else if (c == 'w')
			wait = true;
		else
			return ctl_bad_usage(NULL, NULL);
	}
	bool ids = optind < argc;
	if (ids + !!user + all != 1)
		return ctl_bad_usage("give box IDs, --user USER or --all: exactly one of them", NULL);
	if (ids) {
		for (int i = optind; i < argc; i++)
			fails += stop_one(argv[i], wait);
		return fails ? EXIT_FAIL : EXIT_OK;
	}
	struct boxes b;
	if (scan_boxes(&b, user) < 0)
		return EXIT_FAIL;
	if (user && b.n == 0) {
		fprintf(stderr, "nsboxctl: no live box of user '%s'\n", user);
		free(b.v);
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < b.n; i++)
		fails += stop_one(b.v[i].id, wait);
	free(b.v);
	return fails ? EXIT_FAIL : EXIT_OK;
}

/* ---- enter ---- */

static int
cmd_enter(int argc, char **argv)
{
	struct pinned p;
	int a = 1;

	if (argc < 2 || argv[1][0] == '-')
		return ctl_bad_usage("which box? give its ID (nsboxctl list)", NULL);
	const char *id = argv[a++];
	if (a < argc && !strcmp(argv[a], "--"))
		a++;
	if (pin_box(id, &p))
		return EXIT_FAIL;
	/* setns through the pidfd joins all of them at once, or none */
	if (setns(p.initfd, (int)(p.r.namespaces & NSBOX_NS_ALL)) < 0) {
		fprintf(stderr, "nsboxctl: cannot enter box '%s': %s\n", id, strerror(errno));
		unpin(&p);
		return EXIT_FAIL;
	}
	unpin(&p);
	if (chdir("/") < 0)
		return EXIT_FAIL;
	/* Joining a pid namespace takes effect for children only. */
	pid_t pid = fork();
	if (pid < 0)
		return EXIT_FAIL;
	if (pid == 0) {
		struct passwd *pw = getpwuid(0);
		const char *sh = pw && pw->pw_shell[0] == '/' ? pw->pw_shell : "/bin/sh";
		char login[64];
		snprintf(login, sizeof(login), "-%s", strrchr(sh, '/') + 1);
		setenv("NSBOX_ID", id, 1);
		if (a < argc) {
			execvp(argv[a], argv + a);
			fprintf(stderr, "nsboxctl: %s: %s\n", argv[a], strerror(errno));
		} else {
			execl(sh, login, (char *)NULL);
			fprintf(stderr, "nsboxctl: %s: %s\n", sh, strerror(errno));
		}
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return EXIT_FAIL;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- explain ---- */

static void
explain_section(const struct nsbox_section_result *r, void *arg)
{
	const struct nsbox_login *who = arg;

	printf("%s:%u ", r->file, r->line);
	if (!r->is_match) {
		printf("[defaults]: applied\n");
		return;
	}
	printf("[match");
	for (int k = 0; k < 3; k++)
		if (r->crit[k].held >= 0)
			printf(" %s=%s", r->crit[k].name, r->crit[k].globs);
	printf("]: %s\n", r->applied ? "MATCHED, applied"
			  : r->matches ? "matches too, but an earlier section matched: not applied"
				       : "no match");
	for (int k = 0; k < 3; k++) {
		if (r->crit[k].held < 0)
			continue;
		const char *what = k == 0 ? who->user : k == 2 ? who->service : NULL;
		if (what)
			printf("    %s '%s' %s %s\n", r->crit[k].name, what,
			       r->crit[k].held ? "matches" : "does not match", r->crit[k].globs);
		else
			printf("    group: %s of the user's groups matches %s\n",
			       r->crit[k].held ? "one" : "none", r->crit[k].globs);
	}
}

static int
cmd_explain(int argc, char **argv)
{
	static const struct option lo[] = { { "user", required_argument, NULL, 'u' },
					    { "service", required_argument, NULL, 's' },
					    { "rhost", required_argument, NULL, 'r' },
					    { "conf", required_argument, NULL, 'c' },
					    { NULL, 0, NULL, 0 } };
	const char *user = NULL, *service = "sshd", *rhost = NULL, *path = NSBOX_CONF_DEFAULT;
	struct nsbox_conf *conf = NULL;
	struct nsbox_conf_err err = { 0 };
	int c, r;

	while ((c = getopt_long(argc, argv, "u:s:r:c:", lo, NULL)) != -1) {
		if (c == 'u')
			user = optarg;
		else if (c == 's')
			service = optarg;
		else if (c == 'r')
			rhost = optarg;
		else if (c == 'c')
			path = optarg;
		else
			return ctl_bad_usage(NULL, NULL);
	}
	if (optind < argc)
		return ctl_bad_usage("unexpected argument", argv[optind]);
	if (!user)
		return ctl_bad_usage("whose login? give --user USER", NULL);
	r = nsbox_conf_load(path, 0, &conf, &err);
	if (r < 0) {
		char m[600];
		nsbox_conf_err_format(&err, m, sizeof(m));
		fprintf(stderr, "nsboxctl: %s\n", m);
		return EXIT_FAIL;
	}
	struct passwd pw;
	_cleanup_free_ char *pwbuf = NULL;
	char **names = NULL;
	size_t n = 0;
	if (lookup_login(conf, user, &pw, &pwbuf, &names, &n) < 0) {
		nsbox_conf_free(conf);
		return EXIT_FAIL;
	}
	struct nsbox_login who = { .user = user, .service = service,
				   .groups = (const char *const *)names, .n_groups = n };
	printf("# user '%s' service '%s' groups", user, service);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? "," : " ", names[i]);
	printf("\n");
	if (rhost)
		printf("# remote host '%s': not a match criterion (sections match on user, group "
		       "and service)\n", rhost);
	nsbox_conf_explain(conf, &who, explain_section, &who);
	struct nsbox_settings s;
	nsbox_conf_resolve(conf, &who, &s);
	printf("# result: %s (%s)\n", s.exempt ? "exempt: no box" : "boxed", s.matched);
	nsbox_settings_print(stdout, &s);
	groups_free(names, n);
	nsbox_conf_free(conf);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
		bool root; /* reads /run/nsbox and other users' /proc */
	} cmds[] = { { "check", cmd_check, false }, { "explain", cmd_explain, false },
		     { "list", cmd_list, true },    { "show", cmd_show, true },
		     { "enter", cmd_enter, true },  { "stop", cmd_stop, true },
		     { "refusals", cmd_refusals, true } };

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *c = argv[1];
	if (!strcmp(c, "-h") || !strcmp(c, "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(c, "--version")) {
		printf("nsboxctl (pam_nsbox) %s\n", NSBOX_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(c, cmds[i].name))
			continue;
		/* getopt names argv[0] in its messages: make that "nsboxctl CMD", not "CMD" */
		static char self[32];
		snprintf(self, sizeof(self), "nsboxctl: %s", cmds[i].name);
		argv[1] = self;
		cmd_name = cmds[i].name;
		if (cmds[i].root && geteuid() != 0) {
			fprintf(stderr, "nsboxctl: %s: must be run as root\n", c);
			return EXIT_NOT_ROOT;
		}
		/* Inside a box, /run/nsbox and /proc are not the host's: every answer would be
		 * wrong. */
		if (cmds[i].root && proc_on_host() != 1) {
			fprintf(stderr, "nsboxctl: must run in the host's pid and mount namespaces, "
					"not inside a box\n");
			return EXIT_FAIL;
		}
		return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "nsboxctl: unknown command '%s'\n", c);
	usage(stderr);
	return EXIT_USAGE;
}
