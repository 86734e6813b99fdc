/* nsboxctl: the admin tool, run by root from a shell: checks nsbox.conf, lists, shows, enters
 * and stops live boxes through their records under /run/nsbox. */
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "groups.h"
#include "netlink.h"
#include "record.h"
#include "nsbox/cleanup.h"
#include "nsbox/ns.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: nsboxctl check [CONF] [--user USER] [--service SERVICE]\n"
		   "       nsboxctl list [--json]\n"
		   "       nsboxctl show ID\n"
		   "       nsboxctl enter ID [CMD [ARG...]]\n"
		   "       nsboxctl stop ID\n");
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

/* What USER logging in through SERVICE would get: printed as a config, then (unless BROKEN: the
 * config already failed) its host name tried. 0, or 1 on an error. */
static int
check_login(const struct nsbox_conf *conf, const char *user, const char *service, bool broken)
{
	struct passwd *pw = getpwnam(user);
	char **names = NULL;
	size_t n = 0;
	int r;

	if (!pw) {
		fprintf(stderr, "nsboxctl: unknown user '%s'\n", user);
		return 1;
	}
	r = user_groups(pw, &names, &n);
	if (r < 0) {
		fprintf(stderr, "nsboxctl: cannot list groups of '%s': %s\n", user, strerror(-r));
		return 1;
	}
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

static int
cmd_check(int argc, char **argv)
{
	static const struct option lo[] = { { "user", required_argument, NULL, 'u' },
					    { "service", required_argument, NULL, 's' },
					    { NULL, 0, NULL, 0 } };
	const char *user = NULL, *service = "sshd", *path = NSBOX_CONF_DEFAULT;
	struct nsbox_conf *conf = NULL;
	struct nsbox_conf_err err = { 0 };
	int c, r;

	while ((c = getopt_long(argc, argv, "u:s:", lo, NULL)) != -1) {
		if (c == 'u')
			user = optarg;
		else if (c == 's')
			service = optarg;
		else
			return 2;
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	r = nsbox_conf_load(path, 0, &conf, &err);
	if (r < 0) {
		char m[600];
		nsbox_conf_err_format(&err, m, sizeof(m));
		fprintf(stderr, "nsboxctl: %s\n", m);
		return 1;
	}
	int missing = 0;
	nsbox_conf_foreach_bridge(conf, check_bridge, &missing);
	if (!user) {
		if (!missing)
			printf("%s: OK (%zu sections)\n", path, nsbox_conf_n_sections(conf));
		nsbox_conf_free(conf);
		return missing ? 1 : 0;
	}

	r = check_login(conf, user, service, missing);
	nsbox_conf_free(conf);
	return missing || r ? 1 : 0;
}

/* JSON string body: records hold validated, printable text, but quotes and backslashes pass. */
static const char *
js(const char *in, char *out, size_t n)
{
	size_t o = 0;

	for (; *in && o + 7 < n; in++) {
		unsigned char c = (unsigned char)*in;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20)
			o += (size_t)snprintf(out + o, n - o, "\\u%04x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = 0;
	return out;
}

static int
print_row(const struct box_record *r, void *arg)
{
	bool json = *(bool *)arg;
	char when[32], u[1600], sv[400], h[400];

	if (r->init.pid == 0)
		return 0; /* still being built */
	time_t t = (time_t)r->started;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", localtime(&t));
	if (json)
		printf("%s{\"id\":\"%s\",\"user\":\"%s\",\"service\":\"%s\",\"init\":%d,"
		       "\"supervisor\":%d,\"started\":%lld,\"hostname\":\"%s\",\"ipv4\":\"%s\","
		       "\"ipv6\":\"%s\"}",
		       ((bool *)arg)[1] ? "," : "", r->id, js(r->user, u, sizeof(u)),
		       js(r->service, sv, sizeof(sv)), (int)r->init.pid, (int)r->supervisor.pid,
		       r->started, js(r->hostname, h, sizeof(h)), r->ipv4, r->ipv6);
	else
		printf("%-8s  %-16s %-12s %8d  %-19s %-20s %s\n", r->id, r->user, r->service,
		       (int)r->init.pid, when, r->hostname, r->ipv4[0] ? r->ipv4 : "-");
	((bool *)arg)[1] = true;
	return 0;
}

static int
cmd_list(int argc, char **argv)
{
	bool st[2] = { false, false };

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		st[0] = true;
	else if (argc != 1) {
		usage(stderr);
		return 2;
	}
	if (st[0])
		printf("[");
	else
		printf("%-8s  %-16s %-12s %8s  %-19s %-20s %s\n", "ID", "USER", "SERVICE", "INIT",
		       "STARTED", "HOSTNAME", "IPV4");
	int r = box_scan(print_row, st);
	if (st[0])
		printf("]\n");
	return r < 0 ? 1 : 0;
}

/* 1 when both the supervisor and the init named in R run; 0 when either is known gone;
 * -errno when that cannot be told. */
static int
record_live(const struct box_record *r)
{
	int a = proc_alive(&r->supervisor), b = proc_alive(&r->init);

	if (a < 0 || b < 0)
		return a < 0 ? a : b;
	return a && b;
}

static int
live_record(const char *id, struct box_record *r)
{
	int e = box_record_read(id, r);

	if (e == 0 && r->init.pid != 0)
		e = record_live(r);
	if (e < 0 && e != -ENOENT && e != -EINVAL) {
		fprintf(stderr, "nsboxctl: cannot tell whether box '%s' is live: %s\n", id,
			strerror(-e));
		return e;
	}
	if (e <= 0 || r->init.pid == 0) {
		fprintf(stderr, "nsboxctl: no live box '%s'\n", id);
		return -ENOENT;
	}
	return 0;
}

/* A pidfd of PID (the record's supervisor or init), checked after it is open: the pidfd pins the
 * pid, so a record that still matches names that very process. -ESRCH when the box is gone. */
static int
pidfd_of_live(const struct box_record *r, pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), live;

	if (fd < 0)
		return -errno;
	live = record_live(r);
	if (live == 1)
		return fd;
	close(fd);
	return live < 0 ? live : -ESRCH;
}

/* The live box named by the command's one argument: 0, or the exit code to return. */
static int
one_box(int argc, char **argv, struct box_record *r)
{
	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	return live_record(argv[1], r) < 0 ? 1 : 0;
}

static int
cmd_show(int argc, char **argv)
{
	struct box_record r;
	int e = one_box(argc, argv, &r);

	if (e)
		return e;
	printf("id = %s\nuser = %s\nservice = %s\ninit = %d\nsupervisor = %d\nstarted = %lld\n"
	       "hostname = %s\nipv4 = %s\nipv6 = %s\n",
	       r.id, r.user, r.service, (int)r.init.pid, (int)r.supervisor.pid, r.started,
	       r.hostname, r.ipv4, r.ipv6);
	for (size_t i = 0; i < NSBOX_N_NS; i++) {
		const char *ns = nsbox_ns_table[i].proc;
		char path[64], link[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)r.init.pid, ns);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			printf("ns.%s = %s\n", ns, link);
		}
	}
	return 0;
}

static int
cmd_stop(int argc, char **argv)
{
	struct box_record r;
	int e = one_box(argc, argv, &r);

	if (e)
		return e;
	/* The supervisor tears the box down on SIGTERM. */
	int fd = pidfd_of_live(&r, r.supervisor.pid);
	if (fd < 0 || syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0) < 0) {
		fprintf(stderr, "nsboxctl: cannot stop box '%s': %s\n", r.id,
			strerror(fd < 0 ? -fd : errno));
		nsbox_closep(&fd);
		return 1;
	}
	close(fd);
	return 0;
}

static int
cmd_enter(int argc, char **argv)
{
	struct box_record r;
	static char shell[] = "/bin/sh";
	char *const sh[] = { shell, NULL };

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (live_record(argv[1], &r) < 0)
		return 1;
	int fd = pidfd_of_live(&r, r.init.pid);
	if (fd < 0 || setns(fd, (int)r.namespaces) < 0) {
		fprintf(stderr, "nsboxctl: cannot enter box '%s': %s\n", r.id,
			strerror(fd < 0 ? -fd : errno));
		nsbox_closep(&fd);
		return 1;
	}
	close(fd);
	if (chdir("/") < 0)
		return 1;
	/* Joining a pid namespace takes effect for children only. */
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		char *const *cmd = argc > 2 ? argv + 2 : sh;
		execvp(cmd[0], cmd);
		fprintf(stderr, "nsboxctl: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *c = argv[1];
	argc--;
	argv++;
	/* Inside a box, /run/nsbox and /proc are not the host's: every answer would be wrong. */
	if (strcmp(c, "check") && strcmp(c, "-h") && strcmp(c, "--help") && proc_on_host() != 1) {
		fprintf(stderr, "nsboxctl: must run in the host's pid and mount namespaces, not "
				"inside a box\n");
		return 1;
	}
	if (!strcmp(c, "check"))
		return cmd_check(argc, argv);
	if (!strcmp(c, "list"))
		return cmd_list(argc, argv);
	if (!strcmp(c, "show"))
		return cmd_show(argc, argv);
	if (!strcmp(c, "enter"))
		return cmd_enter(argc, argv);
	if (!strcmp(c, "stop"))
		return cmd_stop(argc, argv);
	if (!strcmp(c, "-h") || !strcmp(c, "--help")) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
