// SPDX-License-Identifier: BSD-3-Clause
/* nsboxctl: the admin tool, run by root from a shell: main and the usage, and the commands that
 * check and explain nsbox.conf and enter and stop live boxes (list and show: boxes.c, refusals:
 * refusals.c). */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
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
