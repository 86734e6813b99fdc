// SPDX-License-Identifier: BSD-3-Clause
/*
 * pam-run: a small su-like PAM session runner for the end-to-end tests. Runs as root, started
 * by a test script; never installed.
 *
 *   pam-run [-a] [-l] [-n] [-T] [-m MODE] SERVICE USER [--] CMD [ARGS...]
 *
 * Does what util-linux su does around a session (su-common.c), minus authentication:
 * pam_start(SERVICE, USER), [-a: pam_acct_mgmt], initgroups, pam_setcred(ESTABLISH),
 * pam_open_session; then forks. The child: setsid, setgid+setuid to USER (checked with
 * getresuid/getresgid), chdir to the home directory with -l (else stays), a clean environment
 * (TERM if set, HOME USER LOGNAME SHELL PATH, then everything from pam_getenvlist),
 * pam_end(PAM_SUCCESS | PAM_DATA_SILENT) as the user, execvp(CMD). The parent ignores SIGINT
 * and SIGQUIT, forwards SIGTERM and SIGHUP to the child, waits for it, then pam_close_session,
 * pam_setcred(DELETE), pam_end.
 *
 * -n: no PAM at all (a "host" baseline run of CMD as USER through the same fork and drop).
 * -T: start an idle second thread first (a multi-threaded application).
 * -m MODE: how the command is started once the session is open, as applications do it:
 *   fork (the default, as above), vfork (setgid+setuid in the vfork child, then exec),
 *   spawn (posix_spawnp, as root: it cannot change identity), system (system(3) of CMD and ARGS
 *   joined by spaces, as root; glibc runs the shell through posix_spawn), clone3 (a raw
 *   clone3 without CLONE_VM, then as fork's child), exec (no child: drop to USER and exec in the
 *   process that opened the session, as systemd does for its user manager; the session is never
 *   closed by us). Each prints "pam-run: MODE: cannot execute CMD: ERROR" and exits 127 when
 *   the command could not be executed.
 * SIGWINCH has a handler that does nothing (no SA_RESTART), like an application's SIGCHLD
 * handler: a test can interrupt the module's waits with a stream of them.
 *
 * File descriptors >= 3 are deliberately NOT closed before exec: the tests check that the
 * module and helper leak none into the session. pam-run itself opens nothing without O_CLOEXEC.
 *
 * Prints nothing on success. Exit status: the command's (128+N if killed by signal N);
 * 2 usage; 125 internal error (unknown user, fork, identity change); 126 a PAM step before
 * the command failed (the command did not run); 127 the command could not be executed.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/sched.h>
#include <pthread.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define EXIT_USAGE 2
#define EXIT_INTERNAL 125
#define EXIT_PAM 126
#define EXIT_EXEC 127

#define USER_PATH "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"

static volatile sig_atomic_t caught_signal;
static const char *exec_tag = ""; /* "MODE: " in a failed exec's message, but for fork */

__attribute__((format(printf, 1, 2))) static void
warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs("pam-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
usage(void)
{
	fputs("usage: pam-run [-a] [-l] [-n] [-T] [-m MODE] SERVICE USER [--] CMD [ARGS...]\n"
	      "  -a  also run pam_acct_mgmt\n"
	      "  -m  fork (default), vfork, spawn, system, clone3 or exec: how CMD is started\n"
	      "  -l  change to the user's home directory (like su -l)\n"
	      "  -n  no PAM session at all: run CMD as USER unboxed (baseline)\n"
	      "  -T  start an idle second thread first (a multi-threaded application)\n",
	      stderr);
	exit(EXIT_USAGE);
}

/* Messages go to stderr; any prompt fails the conversation (nothing here authenticates). */
static int
conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r;
	int i;

	(void)data;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			fprintf(stderr, "%s\n", msg[i]->msg ? msg[i]->msg : "");
			break;
		default:
			fprintf(stderr, "pam-run: refusing prompt: %s\n",
				msg[i]->msg ? msg[i]->msg : "");
			free(r);
			return PAM_CONV_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static void
on_signal(int sig)
{
	caught_signal = sig;
}

static void
on_winch(int sig)
{
	(void)sig;
}

static void
set_signal(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: waitpid() must return EINTR to forward */
	sigaction(sig, &sa, NULL);
}

/* Puts NAME=VALUE into the environment; the string is owned by environ from then on. */
static int
put_env(const char *name, const char *value)
{
	char *s;

	if (asprintf(&s, "%s=%s", name, value) < 0)
		return -ENOMEM;
	if (putenv(s) != 0) {
		free(s);
		return -errno;
	}
	return 0;
}

/* In the child: become the user, enter the session environment, end our PAM handle, exec. */
static __attribute__((noreturn)) void
run_child(pam_handle_t *pamh, const struct passwd *pw, int login, char **cmd)
{
	char *term = getenv("TERM") ? strdup(getenv("TERM")) : NULL;
	char **penv = NULL;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int i;

	set_signal(SIGINT, SIG_DFL);
	set_signal(SIGQUIT, SIG_DFL);
	set_signal(SIGTERM, SIG_DFL);
	set_signal(SIGHUP, SIG_DFL);

	if (setsid() < 0) {
		warnx_("setsid: %s", strerror(errno));
		_exit(EXIT_INTERNAL);
	}
	/* supplementary groups were set in the parent before pam_setcred, as su does */
	if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		warnx_("cannot become user '%s': %s", pw->pw_name, strerror(errno));
		_exit(EXIT_INTERNAL);
	}
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != pw->pw_uid || eu != pw->pw_uid || su != pw->pw_uid ||
	    rg != pw->pw_gid || eg != pw->pw_gid || sg != pw->pw_gid) {
		warnx_("identity change to '%s' did not stick", pw->pw_name);
		_exit(EXIT_INTERNAL);
	}
	if (login && chdir(pw->pw_dir) < 0) {
		warnx_("cannot change directory to %s: %s", pw->pw_dir, strerror(errno));
		_exit(EXIT_INTERNAL);
	}

	if (pamh)
		penv = pam_getenvlist(pamh);
	if (clearenv() != 0 ||
	    (term && put_env("TERM", term) < 0) ||
	    put_env("HOME", pw->pw_dir) < 0 || put_env("USER", pw->pw_name) < 0 ||
	    put_env("LOGNAME", pw->pw_name) < 0 ||
	    put_env("SHELL", pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh") < 0 ||
	    put_env("PATH", USER_PATH) < 0) {
		warnx_("cannot build the environment");
		_exit(EXIT_INTERNAL);
	}
	for (i = 0; penv && penv[i]; i++) {
		if (!strchr(penv[i], '=') || putenv(penv[i]) != 0) /* environ owns it now */
			free(penv[i]);
	}
	free(penv);
	free(term);

	/* As su does: the module's pam_set_data cleanups run here, in the child, as the user. */
	if (pamh)
		pam_end(pamh, PAM_SUCCESS | PAM_DATA_SILENT);

	execvp(cmd[0], cmd);
	warnx_("%scannot execute %s: %s", exec_tag, cmd[0], strerror(errno));
	_exit(EXIT_EXEC);
}

enum mode { MODE_FORK, MODE_VFORK, MODE_SPAWN, MODE_SYSTEM, MODE_CLONE3, MODE_EXEC };
static const char *const mode_names[] = { "fork", "vfork", "spawn", "system", "clone3", "exec" };

static int
parse_mode(const char *s)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(s, mode_names[i]) == 0)
			return (int)i;
	return -1;
}

static volatile int vfork_errno; /* the vfork child's, seen by the parent (shared memory) */

/* The vfork child becomes the user and execs; only what a vfork child may do. */
static pid_t
start_vfork(const struct passwd *pw, char **cmd)
{
	pid_t pid = vfork();

	if (pid == 0) {
		if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
			vfork_errno = errno;
			_exit(EXIT_INTERNAL);
		}
		execvp(cmd[0], cmd);
		vfork_errno = errno;
		_exit(EXIT_EXEC);
	}
	return pid;
}

/* system(3) of CMD's words joined by spaces: its exit status, 127 when no shell ran. */
static int
run_system(char **cmd)
{
	size_t len = 1;
	char *line;
	int st;

	for (char **a = cmd; *a; a++)
		len += strlen(*a) + 1;
	line = calloc(1, len);
	if (!line)
		return EXIT_INTERNAL;
	for (char **a = cmd; *a; a++) {
		strcat(line, *a);
		if (a[1])
			strcat(line, " ");
	}
	st = system(line);
	free(line);
	if (st < 0 || !WIFEXITED(st)) {
		warnx_("system: %s", st < 0 ? strerror(errno) : "killed");
		return EXIT_INTERNAL;
	}
	if (WEXITSTATUS(st) == EXIT_EXEC)
		warnx_("system: cannot execute /bin/sh: exit status 127");
	return WEXITSTATUS(st);
}

/* In the process that opened the session, as systemd's user manager is started: never returns. */
static __attribute__((noreturn)) void
run_exec(const struct passwd *pw, int login, char **cmd)
{
	if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		warnx_("exec: cannot become user '%s': %s", pw->pw_name, strerror(errno));
		_exit(EXIT_INTERNAL);
	}
	if (login && chdir(pw->pw_dir) < 0) {
		warnx_("exec: cannot change directory to %s: %s", pw->pw_dir, strerror(errno));
		_exit(EXIT_INTERNAL);
	}
	execvp(cmd[0], cmd);
	warnx_("exec: cannot execute %s: %s", cmd[0], strerror(errno));
	_exit(EXIT_EXEC);
}

static void *
idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t idle;
	static const struct pam_conv pconv = { conv, NULL };
	const char *service, *user;
	pam_handle_t *pamh = NULL;
	int acct = 0, login = 0, nopam = 0, mode = MODE_FORK, opt, r, status, rc;
	int cred_set = 0;
	struct passwd *pw, pwcopy;
	pid_t child, w;
	char **cmd;

	while ((opt = getopt(argc, argv, "+alnTm:h")) != -1) {
		switch (opt) {
		case 'm':
			mode = parse_mode(optarg);
			if (mode < 0)
				usage();
			break;
		case 'T':
			/* an application with a second thread, as pam_nsbox must refuse to move */
			if (pthread_create(&idle, NULL, idle_thread, NULL) != 0) {
				warnx_("pthread_create failed");
				return EXIT_INTERNAL;
			}
			break;
		case 'a':
			acct = 1;
			break;
		case 'l':
			login = 1;
			break;
		case 'n':
			nopam = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	service = argv[optind++];
	user = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc)
		usage();
	cmd = argv + optind;

	if (geteuid() != 0) {
		warnx_("must run as root");
		return EXIT_INTERNAL;
	}
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		warnx_("unknown user '%s'%s%s", user, errno ? ": " : "", errno ? strerror(errno) : "");
		return EXIT_INTERNAL;
	}
	/* keep our own copy: PAM modules may call getpwnam() and overwrite the static buffer */
	pwcopy = *pw;
	pw = &pwcopy;
	/* static, not strdup: t80-valgrind.t runs this under valgrind's leak check, which must see
	 * only the modules' leaks, on every return path */
	static char name[256], dir[4096], shell[4096];
	if ((size_t)snprintf(name, sizeof(name), "%s", pw->pw_name) >= sizeof(name) ||
	    (size_t)snprintf(dir, sizeof(dir), "%s", pw->pw_dir) >= sizeof(dir) ||
	    (size_t)snprintf(shell, sizeof(shell), "%s", pw->pw_shell ? pw->pw_shell : "") >=
		    sizeof(shell)) {
		warnx_("user '%s': name, home or shell too long", user);
		return EXIT_INTERNAL;
	}
	pw->pw_name = name;
	pw->pw_dir = dir;
	pw->pw_shell = shell;

	if (initgroups(pw->pw_name, pw->pw_gid) < 0) {
		warnx_("initgroups: %s", strerror(errno));
		return EXIT_INTERNAL;
	}

	if (!nopam) {
		r = pam_start(service, pw->pw_name, &pconv, &pamh);
		if (r != PAM_SUCCESS) {
			warnx_("pam_start: %s", pam_strerror(pamh, r));
			return EXIT_PAM;
		}
		if (acct) {
			r = pam_acct_mgmt(pamh, 0);
			if (r != PAM_SUCCESS) {
				warnx_("acct_mgmt: %s", pam_strerror(pamh, r));
				pam_end(pamh, r);
				return EXIT_PAM;
			}
		}
		r = pam_setcred(pamh, PAM_ESTABLISH_CRED);
		if (r != PAM_SUCCESS) {
			warnx_("setcred: %s", pam_strerror(pamh, r));
			pam_end(pamh, r);
			return EXIT_PAM;
		}
		cred_set = 1;
		set_signal(SIGWINCH, on_winch);
		r = pam_open_session(pamh, 0);
		if (r != PAM_SUCCESS) {
			warnx_("open_session: %s", pam_strerror(pamh, r));
			pam_setcred(pamh, PAM_DELETE_CRED);
			pam_end(pamh, r);
			return EXIT_PAM;
		}
	}

	fflush(NULL);
	switch (mode) {
	case MODE_EXEC:
		run_exec(pw, login, cmd);
	case MODE_SYSTEM:
		rc = run_system(cmd);
		goto close;
	case MODE_SPAWN:
		r = posix_spawnp(&child, cmd[0], NULL, NULL, cmd, environ);
		if (r != 0) {
			warnx_("spawn: cannot execute %s: %s", cmd[0], strerror(r));
			rc = EXIT_EXEC;
			goto close;
		}
		break;
	case MODE_VFORK:
		child = start_vfork(pw, cmd);
		break;
	case MODE_CLONE3: {
		/* a plain child, but made without glibc: no fork handler runs in it */
		struct clone_args ca = { .exit_signal = SIGCHLD };
		exec_tag = "clone3: ";
		child = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		break;
	}
	default:
		child = fork();
	}
	if (child < 0) {
		warnx_("%s: %s", mode_names[mode], strerror(errno));
		rc = EXIT_INTERNAL;
		goto close;
	}
	if (child == 0)
		run_child(pamh, pw, login, cmd);

	set_signal(SIGINT, SIG_IGN);
	set_signal(SIGQUIT, SIG_IGN);
	set_signal(SIGTERM, on_signal);
	set_signal(SIGHUP, on_signal);
	for (;;) {
		w = waitpid(child, &status, 0);
		if (w == child)
			break;
		if (w < 0 && errno == EINTR) {
			if (caught_signal) {
				kill(child, caught_signal);
				caught_signal = 0;
			}
			continue;
		}
		warnx_("waitpid: %s", strerror(errno));
		status = EXIT_INTERNAL << 8;
		break;
	}
	if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		rc = 128 + WTERMSIG(status);
	else
		rc = EXIT_INTERNAL;
	if (mode == MODE_VFORK && vfork_errno)
		warnx_("vfork: cannot %s %s: %s", rc == EXIT_EXEC ? "execute" : "become user for",
		       cmd[0], strerror(vfork_errno));

close:
	if (pamh) {
		r = pam_close_session(pamh, 0);
		if (r != PAM_SUCCESS)
			warnx_("close_session: %s", pam_strerror(pamh, r));
		if (cred_set) {
			r = pam_setcred(pamh, PAM_DELETE_CRED);
			if (r != PAM_SUCCESS)
				warnx_("setcred(DELETE): %s", pam_strerror(pamh, r));
		}
		pam_end(pamh, r);
	}
	return rc;
}
