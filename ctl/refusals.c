// SPDX-License-Identifier: BSD-3-Clause
/* nsboxctl refusals: the logins pam_nsbox refused lately, from its refusal log (lib/refusal.h),
 * oldest first, so that a reference a user quotes leads to the reason. Runs in nsboxctl as root. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "nsbox/array.h"
#include "nsbox/cleanup.h"
#include "refusal.h"

struct list {
	struct nsbox_refusal *v;
	size_t n, cap;
};

/* Adds the lines of PATH that match REF (any when NULL); a missing file adds nothing. Lines it
 * cannot read are counted in *BAD. 0 or -errno. */
static int
read_log(const char *path, const char *ref, struct list *l, unsigned *bad)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[NSBOX_REFUSAL_LINE_MAX];

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		struct nsbox_refusal r;
		line[strcspn(line, "\n")] = 0;
		if (refusal_parse(line, &r) < 0) {
			(*bad)++;
			continue;
		}
		if (ref && strcmp(ref, r.ref))
			continue;
		struct nsbox_refusal *v = nsbox_grow(l->v, l->n, &l->cap, sizeof(*v), 64);
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->v[l->n++] = r;
	}
	return ferror(f) ? -EIO : 0;
}

/* S with every control byte as '?': the log keeps what PAM gave, a terminal gets no escapes. */
static const char *
shown(const char *s, char *out, size_t n)
{
	size_t o = 0;

	for (; *s && o + 1 < n; s++)
		out[o++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	out[o] = 0;
	return *out ? out : "-";
}

static void
print_json(const struct nsbox_refusal *v, size_t n)
{
	char a[1024], b[1024], c[1024], d[1024], e[4096];

	printf("[");
	for (size_t i = 0; i < n; i++)
		printf("%s{\"time\":%lld,\"ref\":\"%s\",\"user\":\"%s\",\"service\":\"%s\","
		       "\"rhost\":\"%s\",\"tty\":\"%s\",\"reason\":\"%s\"}",
		       i ? "," : "", v[i].time, v[i].ref, ctl_js(v[i].user, a, sizeof(a)),
		       ctl_js(v[i].service, b, sizeof(b)), ctl_js(v[i].rhost, c, sizeof(c)),
		       ctl_js(v[i].tty, d, sizeof(d)), ctl_js(v[i].reason, e, sizeof(e)));
	printf("]\n");
}

static void
print_table(const struct nsbox_refusal *v, size_t n)
{
	char a[256], b[64], c[256], d[64], e[600], when[32];

	printf("%-19s  %-8s  %-12s  %-10s  %-15s  %-6s  %s\n", "TIME", "REF", "USER", "SERVICE",
	       "RHOST", "TTY", "REASON");
	for (size_t i = 0; i < n; i++) {
		time_t t = (time_t)v[i].time;
		struct tm tm;
		if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
			snprintf(when, sizeof(when), "%lld", v[i].time);
		printf("%-19s  %-8s  %-12s  %-10s  %-15s  %-6s  %s\n", when, v[i].ref,
		       shown(v[i].user, a, sizeof(a)), shown(v[i].service, b, sizeof(b)),
		       shown(v[i].rhost, c, sizeof(c)), shown(v[i].tty, d, sizeof(d)),
		       shown(v[i].reason, e, sizeof(e)));
	}
}

int
cmd_refusals(int argc, char **argv)
{
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' },
					    { "all", no_argument, NULL, 'a' },
					    { NULL, 0, NULL, 0 } };
	struct list l = { 0 };
	unsigned bad = 0;
	bool json = false;
	long max = 20;
	const char *ref = NULL;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "+n:", lo, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'a')
			max = 0;
		else if (c == 'n') {
			errno = 0;
			max = strtol(optarg, &end, 10);
			if (errno || *end || max < 1)
				return ctl_bad_usage("-n takes a count of 1 or more, not", optarg);
		} else
			return ctl_bad_usage(NULL, NULL);
	}
	if (optind < argc)
		ref = argv[optind++];
	if (optind < argc)
		return ctl_bad_usage("one reference at most; unexpected", argv[optind]);
	int r = read_log(NSBOX_REFUSALS_OLD, ref, &l, &bad);
	if (r == 0)
		r = read_log(NSBOX_REFUSALS, ref, &l, &bad);
	if (r < 0) {
		fprintf(stderr, "nsboxctl: cannot read " NSBOX_REFUSALS ": %s\n", strerror(-r));
		free(l.v);
		return EXIT_FAIL;
	}
	if (bad)
		fprintf(stderr, "nsboxctl: %u unreadable line%s in " NSBOX_REFUSALS " skipped\n", bad,
			bad == 1 ? "" : "s");
	if (ref && !l.n) {
		fprintf(stderr, "nsboxctl: no refusal with the reference '%s' (the log keeps the "
				"last ~2000)\n", ref);
		free(l.v);
		return EXIT_FAIL;
	}
	size_t first = max && l.n > (size_t)max ? l.n - (size_t)max : 0;
	if (json)
		print_json(l.v + first, l.n - first);
	else
		print_table(l.v + first, l.n - first);
	free(l.v);
	return EXIT_OK;
}
