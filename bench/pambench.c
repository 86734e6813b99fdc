// SPDX-License-Identifier: BSD-3-Clause
/* make bench driver: runs the real PAM stack in-process (pam_start, open/close_session, pam_end)
 * against the built pam_nsbox.so and times it side by side with the kernel floor (floor.c) and
 * external tools; also holds thousands of live boxes (scale) and runs parallel workers (storm).
 * Root, inside the benchmark's private network and mount namespaces (bench/run.sh). Prints
 * figures and writes CSV; never judges them.
 *
 *   pambench compare N OUT ROW...        ROW = kind|label|arg|ref|base
 *       kind pam (arg: PAM service), floor (4ns|5ns|veth), cmd (argv split on spaces),
 *       na (arg: the reason printed). ref: the row a ratio is taken to; base: the row whose
 *       median is subtracted for the "added" ratio. Rows run interleaved, N rounds.
 *   pambench scale SERVICE MAX OUT CHECKPOINT...
 *   pambench storm SERVICE WORKERS SECS OUT
 * Environment: BENCH_USER (the login), BENCH_BRIDGE (bridge for the veth floor).
 *
 * CPU time of the helper: the module double-forks it, so RUSAGE_CHILDREN of the application
 * never sees it. The driver makes itself a child subreaper (PR_SET_CHILD_SUBREAPER): the
 * orphaned helper is reparented to the driver, which reaps it with wait4() after the session;
 * the helper's own figure then includes the box init it reaped. Exact, per session, and needs
 * neither cgroups (this VM's cgroup2 has no controllers) nor taskstats. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "floor.h"

#define NS4 (CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS)
#define NS5 (NS4 | CLONE_NEWNET)

static const char *user = "nsbt-bench";

static long long
now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long
cpu_ns(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static __attribute__((noreturn, format(printf, 1, 2))) void
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pambench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of V[0..N) (sorts V). */
static long long
pct(long long *v, int n, int p)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof(*v), cmp_ll);
	int k = (n * p + 99) / 100 - 1;
	return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

/* ------------------------------------------------------------------------------------------ */
/* Children */

/* Reaps every child (helpers reparented to us included) until none is left or TIMEOUT_MS
 * passes; returns how many are still there. SIGCHLD is blocked in main. */
static int
reap_all(int timeout_ms)
{
	long long end = now_ns() + timeout_ms * 1000000LL;
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		pid_t p;
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (p < 0 && errno == ECHILD)
			return 0;
		long long left = end - now_ns();
		if (left <= 0)
			return 1;
		struct timespec ts = { left / 1000000000LL, left % 1000000000LL };
		sigtimedwait(&chld, NULL, &ts);
	}
}

static void
reap_some(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* ------------------------------------------------------------------------------------------ */
/* Kernel counters */

struct mem {
	long long avail, slab, sunreclaim, kstack, ptables, percpu; /* KiB */
};

static void
meminfo(struct mem *m)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char k[64];
	long long v;

	memset(m, 0, sizeof(*m));
	if (!f)
		return;
	while (fscanf(f, "%63s %lld%*[^\n]", k, &v) == 2) {
		if (!strcmp(k, "MemAvailable:"))
			m->avail = v;
		else if (!strcmp(k, "Slab:"))
			m->slab = v;
		else if (!strcmp(k, "SUnreclaim:"))
			m->sunreclaim = v;
		else if (!strcmp(k, "KernelStack:"))
			m->kstack = v;
		else if (!strcmp(k, "PageTables:"))
			m->ptables = v;
		else if (!strcmp(k, "Percpu:"))
			m->percpu = v;
	}
	fclose(f);
}

/* struct net objects the kernel holds, live or waiting for cleanup_net: active objects of the
 * net_namespace slab cache (SLUB counts free objects of per-CPU slabs as active, so this is
 * exact to within a few slabs of 7 objects). -1 when the cache is not listed. */
static long
netns_slab(void)
{
	FILE *f = fopen("/proc/slabinfo", "re");
	char line[512];
	long n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "net_namespace ", 14)) {
			n = strtol(line + 14, NULL, 10);
			break;
		}
	fclose(f);
	return n;
}

/* Distinct network namespaces some process is in (the /proc/PID/ns/net inodes), and how many
 * nsbox-helper supervisors run. */
static long
netns_procs(long *helpers)
{
	static unsigned long long set[1 << 16];
	DIR *d = opendir("/proc");
	struct dirent *e;
	long n = 0, h = 0;

	memset(set, 0, sizeof(set));
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], buf[64];
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		/* only supervisors reparented to us, not other worktrees' test boxes */
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		FILE *f = helpers ? fopen(path, "re") : NULL;
		if (f) {
			char comm[64];
			int ppid = 0;
			if (fscanf(f, "%*d (%63[^)]) %*c %d", comm, &ppid) == 2 &&
			    !strcmp(comm, "nsbox-helper") && ppid == getpid())
				h++;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		ssize_t l = readlink(path, buf, sizeof(buf) - 1);
		if (l < 6)
			continue;
		buf[l] = 0;
		unsigned long long ino = strtoull(buf + 5, NULL, 10); /* "net:[N]" */
		size_t i = (size_t)(ino * 0x9E3779B97F4A7C15ULL >> 48);
		while (set[i] && set[i] != ino)
			i = (i + 1) & ((1 << 16) - 1);
		if (!set[i]) {
			set[i] = ino;
			n++;
		}
	}
	closedir(d);
	if (helpers)
		*helpers = h;
	return n;
}

/* ------------------------------------------------------------------------------------------ */
/* One PAM session */

static int
conv_none(int n, const struct pam_message **m, struct pam_response **r, void *d)
{
	(void)n;
	(void)m;
	(void)r;
	(void)d;
	return PAM_CONV_ERR;
}

struct cycle {
	long long start, open, close, end; /* phase durations, ns */
	bool boxed;
};

/* pam_start, open, close, pam_end; when HOLD >= 0 it reads HOLD until EOF between open and
 * close (a holder in the scale run). Returns 0 or the failing PAM status. */
static int
pam_cycle(const char *service, struct cycle *c, int hold, void (*opened)(const struct cycle *))
{
	static const struct pam_conv conv = { conv_none, NULL };
	pam_handle_t *h = NULL;
	long long t0, t1, t2, t3, t4;
	int r;

	t0 = now_ns();
	r = pam_start(service, user, &conv, &h);
	if (r != PAM_SUCCESS)
		return r;
	t1 = now_ns();
	r = pam_open_session(h, 0);
	t2 = now_ns();
	if (r != PAM_SUCCESS) {
		pam_end(h, r);
		return r;
	}
	c->boxed = pam_getenv(h, "NSBOX_ID") != NULL;
	c->start = t1 - t0;
	c->open = t2 - t1;
	if (opened)
		opened(c);
	if (hold >= 0) {
		char b;
		ssize_t l;
		do
			l = read(hold, &b, 1);
		while (l > 0 || (l < 0 && errno == EINTR));
		t2 = now_ns();
	}
	r = pam_close_session(h, 0);
	t3 = now_ns();
	pam_end(h, r);
	t4 = now_ns();
	c->close = t3 - t2;
	c->end = t4 - t3;
	return r == PAM_SUCCESS ? 0 : r;
}

/* ------------------------------------------------------------------------------------------ */
/* compare */

enum kind { K_PAM, K_FLOOR, K_CMD, K_NA };
enum { PH_OPEN, PH_CLOSE, PH_CYCLE, N_PH };
static const char *const ph_name[N_PH] = { "open", "close", "cycle" };

struct row {
	enum kind kind;
	char *label, *arg, *ref, *base;
	char **argv;
	unsigned long ns;
	bool veth;
	long long *t[N_PH];
	long long self_cpu, child_cpu;
	int boxed, n;
	long long med[N_PH];
};

static char **
split(char *s)
{
	size_t n = 0;
	char **v = calloc(strlen(s) / 2 + 2, sizeof(*v));
	for (char *tok = strtok(s, " "); tok; tok = strtok(NULL, " "))
		v[n++] = tok;
	return v;
}

static void
parse_row(struct row *r, char *spec)
{
	char *f[5] = { 0 };
	for (int i = 0; i < 5; i++)
		f[i] = strsep(&spec, "|");
	if (!f[0] || !f[1] || !f[2])
		die("bad row '%s'", f[0] ? f[0] : "");
	r->label = f[1];
	r->arg = f[2];
	r->ref = f[3] && *f[3] ? f[3] : NULL;
	r->base = f[4] && *f[4] ? f[4] : NULL;
	if (!strcmp(f[0], "pam"))
		r->kind = K_PAM;
	else if (!strcmp(f[0], "na"))
		r->kind = K_NA;
	else if (!strcmp(f[0], "cmd")) {
		r->kind = K_CMD;
		r->argv = split(strdup(r->arg));
	} else if (!strcmp(f[0], "floor")) {
		r->kind = K_FLOOR;
		r->ns = strcmp(r->arg, "4ns") ? NS5 : NS4;
		r->veth = !strcmp(r->arg, "veth");
	} else
		die("bad row kind '%s'", f[0]);
}

static int
run_cmd(char **argv)
{
	pid_t p = fork();
	int st;
	if (p < 0)
		return -errno;
	if (p == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(p, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* One round of row R; records into slot I when I >= 0. */
static void
run_once(struct row *r, int i)
{
	long long c0 = cpu_ns(RUSAGE_SELF), k0 = cpu_ns(RUSAGE_CHILDREN), t0, t1;
	struct cycle c = { 0 };
	int e = 0;

	t0 = now_ns();
	switch (r->kind) {
	case K_PAM:
		e = pam_cycle(r->arg, &c, -1, NULL);
		if (e)
			die("%s: PAM session failed: %s", r->label, pam_strerror(NULL, e));
		break;
	case K_FLOOR:
		e = floor_once(r->ns, r->veth);
		if (e < 0)
			die("%s: %s", r->label, strerror(-e));
		break;
	case K_CMD:
		if (run_cmd(r->argv) < 0)
			die("%s: '%s' failed", r->label, r->arg);
		break;
	case K_NA:
		return;
	}
	t1 = now_ns();
	long long c1 = cpu_ns(RUSAGE_SELF);
	/* the helper ends after close_session returned: reap it (and count its CPU) untimed */
	if (reap_all(5000))
		die("%s: a child did not exit within 5 s", r->label);
	if (i < 0)
		return;
	r->self_cpu += c1 - c0;
	r->child_cpu += cpu_ns(RUSAGE_CHILDREN) - k0;
	r->boxed += c.boxed;
	r->t[PH_CYCLE][i] = t1 - t0;
	r->t[PH_OPEN][i] = r->kind == K_PAM ? c.open : 0;
	r->t[PH_CLOSE][i] = r->kind == K_PAM ? c.close : 0;
	r->n = i + 1;
}

static struct row *
find_row(struct row *rows, int n, const char *label)
{
	for (int i = 0; label && i < n; i++)
		if (!strcmp(rows[i].label, label))
			return &rows[i];
	return NULL;
}

static double
ms(long long ns)
{
	return (double)ns / 1e6;
}

static int
compare(int n, const char *out, int nrows, char **specs)
{
	struct row *rows = calloc((size_t)nrows, sizeof(*rows));
	char path[4096];

	for (int r = 0; r < nrows; r++) {
		parse_row(&rows[r], specs[r]);
		for (int p = 0; p < N_PH; p++)
			rows[r].t[p] = calloc((size_t)n, sizeof(long long));
	}
	/* warm caches and the dynamic loader's state for every row */
	for (int w = 0; w < 3; w++)
		for (int r = 0; r < nrows; r++)
			run_once(&rows[r], -1);
	/* interleaved, each round starting one row later: drift and other load hit every row */
	for (int i = 0; i < n; i++)
		for (int k = 0; k < nrows; k++)
			run_once(&rows[(i + k) % nrows], i);

	snprintf(path, sizeof(path), "%s-raw.csv", out);
	FILE *raw = fopen(path, "we");
	if (!raw)
		die("%s: %s", path, strerror(errno));
	fprintf(raw, "row,iter,phase,usec\n");
	for (int r = 0; r < nrows; r++)
		for (int i = 0; i < rows[r].n; i++)
			for (int p = 0; p < N_PH; p++)
				if (rows[r].kind == K_PAM || p == PH_CYCLE)
					fprintf(raw, "\"%s\",%d,%s,%.1f\n", rows[r].label, i, ph_name[p],
						rows[r].t[p][i] / 1e3);
	fclose(raw);

	for (int r = 0; r < nrows; r++)
		for (int p = 0; p < N_PH; p++)
			rows[r].med[p] = pct(rows[r].t[p], rows[r].n, 50);

	snprintf(path, sizeof(path), "%s.csv", out);
	FILE *csv = fopen(path, "we");
	if (!csv)
		die("%s: %s", path, strerror(errno));
	fprintf(csv, "row,phase,n,min_ms,median_ms,p90_ms,p99_ms,ratio_to_ref,added_ratio_to_ref,"
		     "ref,base,driver_cpu_ms,children_cpu_ms\n");
	printf("%-44s %-5s %7s %7s %7s %7s %8s %8s %7s %7s\n", "row (ms; n per row below)", "phase",
	       "min", "median", "p90", "p99", "x ref", "+x ref", "cpu:drv", "cpu:chl");
	for (int r = 0; r < nrows; r++) {
		struct row *w = &rows[r];
		if (w->kind == K_NA) {
			printf("%-44.44s %s\n", w->label, w->arg);
			fprintf(csv, "\"%s\",cycle,0,,,,,,,,,,\n", w->label);
			continue;
		}
		struct row *ref = find_row(rows, nrows, w->ref);
		struct row *base = find_row(rows, nrows, w->base);
		struct row *rbase = ref ? find_row(rows, nrows, ref->base) : NULL;
		for (int p = 0; p < N_PH; p++) {
			if (w->kind != K_PAM && p != PH_CYCLE)
				continue;
			long long v[3];
			long long mn = pct(w->t[p], w->n, 0);
			v[0] = pct(w->t[p], w->n, 50);
			v[1] = pct(w->t[p], w->n, 90);
			v[2] = pct(w->t[p], w->n, 99);
			char x[16] = "", ax[16] = "", dc[16] = "", cc[16] = "";
			if (p == PH_CYCLE && ref) {
				snprintf(x, sizeof(x), "%.2f", (double)w->med[p] / (double)ref->med[p]);
				long long a = w->med[p] - (base ? base->med[p] : 0);
				long long b = ref->med[p] - (rbase ? rbase->med[p] : 0);
				if (b > 0)
					snprintf(ax, sizeof(ax), "%.2f", (double)a / (double)b);
			}
			if (p == PH_CYCLE) {
				snprintf(dc, sizeof(dc), "%.3f", ms(w->self_cpu / w->n));
				snprintf(cc, sizeof(cc), "%.3f", ms(w->child_cpu / w->n));
			}
			printf("%-44.44s %-5s %7.3f %7.3f %7.3f %7.3f %8s %8s %7s %7s\n",
			       p == 0 || w->kind != K_PAM ? w->label : "", ph_name[p], ms(mn), ms(v[0]),
			       ms(v[1]), ms(v[2]), x, ax, dc, cc);
			fprintf(csv, "\"%s\",%s,%d,%.4f,%.4f,%.4f,%.4f,%s,%s,\"%s\",\"%s\",%s,%s\n",
				w->label, ph_name[p], w->n, ms(mn), ms(v[0]), ms(v[1]), ms(v[2]), x, ax,
				ref ? ref->label : "", base ? base->label : "", dc, cc);
		}
		if (w->kind == K_PAM && strstr(w->label, "box") && w->boxed != w->n)
			printf("  (!) only %d of %d sessions of this row were boxed\n", w->boxed, w->n);
	}
	fclose(csv);
	printf("n = %d interleaved rounds per row; x ref = median / median of the ref row;\n"
	       "+x ref = (median - its base) / (ref median - ref's base), the cost each adds\n", n);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* scale */

struct hold_rec {
	int idx, err;
	long long open_ns;
};

static int hold_fd = -1, hold_idx;

static void
holder_opened(const struct cycle *c)
{
	struct hold_rec rec = { hold_idx, 0, c->open };
	if (write(hold_fd, &rec, sizeof(rec)) != sizeof(rec))
		_exit(1);
}

static int
scale(const char *service, int max, const char *out, int ncp, char **cps)
{
	int rel[2], res[2], held = 0;
	long long *lat = calloc((size_t)max + 1, sizeof(long long));
	struct mem m0, m;
	char path[4096];
	long ns_slab0, ns_proc0;
	struct rlimit rl = { 1 << 16, 1 << 16 };

	setrlimit(RLIMIT_NOFILE, &rl);
	if (pipe2(rel, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	reap_all(2000);
	/* a previous run's memory may still be coming back (netns cleanup, freed page tables):
	 * the baseline waits until MemAvailable holds still (2 MiB over 0.5 s; 30 s at most) */
	meminfo(&m0);
	for (int i = 0; i < 60; i++) {
		usleep(500000);
		meminfo(&m);
		long long d = m.avail - m0.avail;
		m0 = m;
		if (d < 2048 && d > -2048)
			break;
	}
	ns_slab0 = netns_slab();
	ns_proc0 = netns_procs(NULL);

	snprintf(path, sizeof(path), "%s.csv", out);
	FILE *csv = fopen(path, "we");
	snprintf(path, sizeof(path), "%s-opens.csv", out);
	FILE *opens = fopen(path, "we");
	if (!csv || !opens)
		die("%s: %s", path, strerror(errno));
	fprintf(csv, "service,live,next_open_med_ms,next_open_p90_ms,next_close_med_ms,"
		     "next_cycle_med_ms,memavail_kib_per_box,slab_kib_per_box,sunreclaim_kib_per_box,"
		     "kstack_kib_per_box,ptables_kib_per_box,percpu_kib_per_box,netns_slab,netns_procs\n");
	fprintf(opens, "live,open_ms\n");
	printf("%-26s %6s %9s %9s %9s %9s | per box KiB: %8s %7s %7s %7s %7s | %6s\n", "service",
	       "live", "open med", "open p90", "close med", "cycle med", "MemAvail", "Slab",
	       "SUnrecl", "KStack", "PgTbl", "netns");

	for (int c = 0; c < ncp; c++) {
		int target = atoi(cps[c]);
		if (target > max)
			break;
		while (held < target) {
			pid_t p = fork();
			if (p < 0)
				die("fork at %d live: %s", held, strerror(errno));
			if (p == 0) {
				struct cycle cy;
				close(rel[1]);
				close(res[0]);
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				hold_fd = res[1];
				hold_idx = held;
				int e = pam_cycle(service, &cy, rel[0], holder_opened);
				if (e) {
					struct hold_rec rec = { held, e, 0 };
					(void)!write(res[1], &rec, sizeof(rec));
				}
				_exit(e ? 1 : 0);
			}
			struct hold_rec rec;
			if (read(res[0], &rec, sizeof(rec)) != sizeof(rec) || rec.err)
				die("holder %d: PAM session failed (%s)", held,
				    rec.err ? pam_strerror(NULL, rec.err) : "died");
			lat[held] = rec.open_ns;
			fprintf(opens, "%d,%.4f\n", held, ms(rec.open_ns));
			held++;
		}
		/* the next box at this many live ones: open+close in the driver itself */
		enum { K = 11 };
		long long o[K], cl[K], cy[K];
		for (int k = 0; k < K; k++) {
			struct cycle x;
			long long t0 = now_ns();
			int e = pam_cycle(service, &x, -1, NULL);
			cy[k] = now_ns() - t0;
			if (e)
				die("probe at %d live: %s", held, pam_strerror(NULL, e));
			o[k] = x.open;
			cl[k] = x.close;
			/* its helper exits after close; the holders' helpers are ours as well */
			reap_some();
		}
		meminfo(&m);
		long nsl = netns_slab(), npr = netns_procs(NULL);
		double d = held ? (double)held : 1;
		long long omed = pct(o, K, 50), op90 = pct(o, K, 90), cmed = pct(cl, K, 50),
			  ymed = pct(cy, K, 50);
		printf("%-26.26s %6d %9.3f %9.3f %9.3f %9.3f | %21.1f %7.1f %7.1f %7.1f %7.1f | %6ld\n",
		       service, held, ms(omed), ms(op90), ms(cmed), ms(ymed), (m0.avail - m.avail) / d,
		       (m.slab - m0.slab) / d, (m.sunreclaim - m0.sunreclaim) / d,
		       (m.kstack - m0.kstack) / d, (m.ptables - m0.ptables) / d, nsl - ns_slab0);
		fprintf(csv, "%s,%d,%.4f,%.4f,%.4f,%.4f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%ld,%ld\n",
			service, held, ms(omed), ms(op90), ms(cmed), ms(ymed),
			(m0.avail - m.avail) / d, (m.slab - m0.slab) / d,
			(m.sunreclaim - m0.sunreclaim) / d, (m.kstack - m0.kstack) / d,
			(m.ptables - m0.ptables) / d, (m.percpu - m0.percpu) / d, nsl - ns_slab0,
			npr - ns_proc0);
		fflush(csv);
		fflush(opens);
		fflush(stdout);
	}

	/* all end at once: EOF on the release pipe */
	/* gone = back to where it was before the release, less the boxes that were live */
	long slab_rel = netns_slab(), proc_rel = netns_procs(NULL);
	long slab_goal = slab_rel - (slab_rel > ns_slab0 ? slab_rel - ns_slab0 : 0);
	long proc_goal = proc_rel - (proc_rel > ns_proc0 ? proc_rel - ns_proc0 : 0);
	long long t0 = now_ns(), t_procs = -1, t_slab = -1, t_proc = -1, t_95 = -1;
	long slab_95 = slab_rel - (slab_rel - slab_goal) * 95 / 100; /* robust to others' +-200 */
	close(rel[1]);
	while (now_ns() - t0 < 120 * 1000000000LL) {
		long long t = now_ns() - t0;
		pid_t p;
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (t_procs < 0 && p < 0 && errno == ECHILD)
			t_procs = t;
		long s = netns_slab();
		if (t_slab < 0 && s >= 0 && s <= slab_goal + 16)
			t_slab = t;
		if (t_95 < 0 && s >= 0 && s <= slab_95)
			t_95 = t;
		/* only for the record: other worktrees' tests start netns processes too */
		if (t_proc < 0 && netns_procs(NULL) <= proc_goal)
			t_proc = t;
		if (t_procs >= 0 && (t_slab >= 0 || (t_95 >= 0 && t > 30 * 1000000000LL)))
			break;
		usleep(10000);
	}
#define SECS(t) ((t) < 0 ? -1.0 : (double)(t) / 1e9)
	printf("%-26.26s all %d ended: processes (holders, helpers, inits) gone after %.2f s; "
	       "kernel's struct net count (net_namespace slab) 95%% of the way back after %.2f s, "
	       "back to its start (+-16) after %.2f s (-1: not within 120 s; other runs' netns "
	       "count too); no process in a box netns after %.2f s\n",
	       service, held, SECS(t_procs), SECS(t_95), SECS(t_slab), SECS(t_proc));
	fprintf(csv, "# teardown of %d: procs_gone_s=%.3f netns_slab_95pct_s=%.3f "
		     "netns_slab_gone_s=%.3f netns_procs_gone_s=%.3f\n",
		held, SECS(t_procs), SECS(t_95), SECS(t_slab), SECS(t_proc));
	fclose(csv);
	fclose(opens);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* storm */

struct storm_rec {
	int worker, err;
	long long end_ns, cycle_ns, open_ns, close_ns;
};

static int
storm(const char *service, int workers, int secs, const char *out)
{
	int res[2];
	long long t0, deadline;
	char path[4096];
	size_t cap = 1 << 16, nrec = 0;
	struct storm_rec *recs = malloc(cap * sizeof(*recs));

	if (pipe2(res, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	reap_all(2000);
	long ns_slab0 = netns_slab(), ns_proc0 = netns_procs(NULL);
	t0 = now_ns();
	deadline = t0 + secs * 1000000000LL;
	pid_t *wp = calloc((size_t)workers, sizeof(pid_t));
	for (int w = 0; w < workers; w++) {
		wp[w] = fork();
		if (wp[w] < 0)
			die("fork: %s", strerror(errno));
		if (wp[w] == 0) {
			close(res[0]);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			while (now_ns() < deadline) {
				struct cycle c;
				long long a = now_ns();
				int e = pam_cycle(service, &c, -1, NULL);
				struct storm_rec r = { w, e, now_ns() - t0, now_ns() - a, c.open, c.close };
				if (write(res[1], &r, sizeof(r)) != sizeof(r) || e)
					_exit(1);
			}
			_exit(0);
		}
	}
	close(res[1]);

	snprintf(path, sizeof(path), "%s.csv", out);
	FILE *csv = fopen(path, "we");
	if (!csv)
		die("%s: %s", path, strerror(errno));
	fprintf(csv, "t_s,boxes,p50_ms,p99_ms,netns_slab,netns_procs,helpers\n");
	printf("%5s %7s %8s %8s %10s %11s %8s\n", "t s", "boxes/s", "p50 ms", "p99 ms",
	       "netns slab", "netns procs", "helpers");
	int eof = 0, sec = 1, errs = 0, workers_left = workers;
	size_t from = 0;
	long long drained = -1, ended = -1;
	long max_slab = 0;
	while (sec < secs + 120) {
		long long tick = t0 + sec * 1000000000LL;
		while (!eof && now_ns() < tick) {
			struct pollfd p = { res[0], POLLIN, 0 };
			int to = (int)((tick - now_ns()) / 1000000) + 1;
			if (poll(&p, 1, to) > 0) {
				struct storm_rec r;
				ssize_t l = read(res[0], &r, sizeof(r));
				if (l == 0)
					eof = 1;
				else if (l == sizeof(r)) {
					if (r.err)
						errs++;
					if (nrec == cap)
						recs = realloc(recs, (cap *= 2) * sizeof(*recs));
					recs[nrec++] = r;
				}
			}
			pid_t q;
			while ((q = waitpid(-1, NULL, WNOHANG)) > 0)
				for (int w = 0; w < workers; w++)
					if (q == wp[w])
						workers_left--;
		}
		if (eof) {
			pid_t q;
			while ((q = waitpid(-1, NULL, WNOHANG)) > 0)
				;
			usleep((useconds_t)((tick - now_ns()) / 1000 > 0 ? (tick - now_ns()) / 1000 : 0));
		}
		/* the second that just ended */
		size_t k = 0;
		long long *v = malloc((nrec - from + 1) * sizeof(long long));
		for (size_t i = from; i < nrec; i++)
			v[k++] = recs[i].cycle_ns;
		long helpers = 0, npr = netns_procs(&helpers), nsl = netns_slab();
		if (nsl - ns_slab0 > max_slab)
			max_slab = nsl - ns_slab0;
		long long p50 = pct(v, (int)k, 50), p99 = pct(v, (int)k, 99);
		printf("%5d %7zu %8.3f %8.3f %10ld %11ld %8ld\n", sec, k, ms(p50), ms(p99),
		       nsl - ns_slab0, npr - ns_proc0, helpers);
		fprintf(csv, "%d,%zu,%.4f,%.4f,%ld,%ld,%ld\n", sec, k, ms(p50), ms(p99), nsl - ns_slab0,
			npr - ns_proc0, helpers);
		fflush(stdout);
		free(v);
		from = nrec;
		if (eof && ended < 0)
			ended = now_ns();
		if (eof && nsl - ns_slab0 <= 7 && helpers == 0) {
			drained = now_ns();
			break;
		}
		sec++;
	}
	(void)workers_left;
	long long *all = malloc((nrec + 1) * sizeof(long long));
	long long *op = malloc((nrec + 1) * sizeof(long long));
	long long *cl = malloc((nrec + 1) * sizeof(long long));
	for (size_t i = 0; i < nrec; i++) {
		all[i] = recs[i].cycle_ns;
		op[i] = recs[i].open_ns;
		cl[i] = recs[i].close_ns;
	}
	double rate = (double)nrec / secs;
	printf("storm %s: %d workers, %d s: %zu boxes (%.1f/s), %d failed; cycle p50 %.3f p99 "
	       "%.3f ms; open p99 %.3f ms; close p50 %.3f p99 %.3f ms; most struct net waiting "
	       "at once %+ld; all freed %.1f s after the last logout\n",
	       service, workers, secs, nrec, rate, errs, ms(pct(all, (int)nrec, 50)),
	       ms(pct(all, (int)nrec, 99)), ms(pct(op, (int)nrec, 99)), ms(pct(cl, (int)nrec, 50)),
	       ms(pct(cl, (int)nrec, 99)), max_slab,
	       drained > 0 && ended > 0 ? (drained - ended) / 1e9 + 1 : -1.0);
	fprintf(csv, "# total=%zu rate=%.2f cycle_p50_ms=%.4f cycle_p99_ms=%.4f failed=%d\n", nrec,
		rate, ms(pct(all, (int)nrec, 50)), ms(pct(all, (int)nrec, 99)), errs);
	fclose(csv);
	return 0;
}

int
main(int argc, char **argv)
{
	sigset_t chld;

	if (getenv("BENCH_USER"))
		user = getenv("BENCH_USER");
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* helpers double-forked by the module become ours: we reap them and see their CPU time */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	if (argc >= 4 && !strcmp(argv[1], "compare")) {
		int r = floor_init(getenv("BENCH_BRIDGE"));
		if (r < 0)
			die("bridge %s: %s", getenv("BENCH_BRIDGE"), strerror(-r));
		return compare(atoi(argv[2]), argv[3], argc - 4, argv + 4);
	}
	if (argc >= 6 && !strcmp(argv[1], "scale"))
		return scale(argv[2], atoi(argv[3]), argv[4], argc - 5, argv + 5);
	if (argc == 6 && !strcmp(argv[1], "storm"))
		return storm(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
	fprintf(stderr, "usage: pambench compare N OUT ROW... | scale SERVICE MAX OUT CP... | "
			"storm SERVICE WORKERS SECS OUT\n");
	return 2;
}
