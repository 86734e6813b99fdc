// SPDX-License-Identifier: BSD-3-Clause
/* Table-driven config tests, run unprivileged (or as root in CI): every tests/data/bad/NAME.conf
 * must fail to load with exactly the error in NAME.err (the token FILE stands for the path);
 * every tests/data/good/NAME.conf and the shipped conf/nsbox.conf must load. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "nsbox/cleanup.h"
#include "tap.h"

/* A fresh clone under umask 002 has group-writable files; the loader rightly refuses those,
 * so drop the bits first (only ever removes permissions). */
static void
drop_go_w(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && !S_ISLNK(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)))
		chmod(path, st.st_mode & 07755);
}

static char *
slurp(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = calloc(1, 4096);
	if (!buf)
		return NULL;
	n = fread(buf, 1, 4095, f);
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return buf;
}

/* WANT with every "FILE" replaced by PATH. */
static char *
expand_file(const char *want, const char *path)
{
	size_t cap = strlen(want) * (strlen(path) + 1) + 1, o = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	while (*want) {
		if (!strncmp(want, "FILE", 4)) {
			memcpy(out + o, path, strlen(path));
			o += strlen(path);
			want += 4;
		} else
			out[o++] = *want++;
	}
	out[o] = 0;
	return out;
}

static int
cmp_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
conf_only(const struct dirent *d)
{
	size_t l = strlen(d->d_name);

	return l > 5 && !strcmp(d->d_name + l - 5, ".conf");
}

static int
for_each_conf(const char *dir, void (*fn)(const char *dir, const char *name))
{
	struct dirent **list;
	int n = scandir(dir, &list, conf_only, cmp_name);

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		fn(dir, list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return n;
}

static void
bad_one(const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL, *errpath = NULL, *want = NULL, *wantx = NULL;
	struct nsbox_conf *c = NULL;
	struct nsbox_conf_err err;
	char got[1024];
	int r;

	if (asprintf(&path, "%s/%s", dir, name) < 0 ||
	    asprintf(&errpath, "%.*s.err", (int)(strlen(path) - 5), path) < 0) {
		ok(0, "%s: out of memory", name);
		return;
	}
	want = slurp(errpath);
	if (!want) {
		ok(0, "%s: no .err file next to it", name);
		return;
	}
	wantx = expand_file(want, path);
	drop_go_w(path);
	r = nsbox_conf_load(path, geteuid(), &c, &err);
	ok(r < 0 && !c, "bad/%s is refused", name);
	nsbox_conf_free(c);
	nsbox_conf_err_format(&err, got, sizeof(got));
	is_str(got, wantx, "bad/%s: error text", name);
}

static void
good_one(const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL;
	struct nsbox_conf *c = NULL;
	struct nsbox_conf_err err;
	char got[1024] = "";
	int r;

	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		ok(0, "%s: out of memory", name);
		return;
	}
	drop_go_w(path);
	r = nsbox_conf_load(path, geteuid(), &c, &err);
	if (r < 0)
		nsbox_conf_err_format(&err, got, sizeof(got));
	ok(r == 0 && c && nsbox_conf_n_sections(c) > 0, "good/%s loads (%s)", name, got);
	nsbox_conf_free(c);
}

int
main(int argc, char **argv)
{
	const char *data = argc > 1 ? argv[1] : getenv("NSBOX_TESTDATA");
	_cleanup_free_ char *bad = NULL, *good = NULL, *shipped = NULL, *shipdir = NULL;
	int n;

	if (!data || !*data)
		data = "tests/data";
	if (asprintf(&bad, "%s/bad", data) < 0 || asprintf(&good, "%s/good", data) < 0 ||
	    asprintf(&shipdir, "%s/../../conf", data) < 0 ||
	    asprintf(&shipped, "%s/nsbox.conf", shipdir) < 0)
		return 99;
	drop_go_w(bad);
	drop_go_w(good);

	n = for_each_conf(bad, bad_one);
	ok(n >= 40, "found %d bad configs in %s (want at least 40)", n, bad);
	n = for_each_conf(good, good_one);
	ok(n >= 1, "found %d good configs in %s", n, good);

	/* The shipped default includes /etc/security/nsbox.d/ (a glob): if this machine has such
	 * files they are root's, and only root can trust them. */
	{
		glob_t g;
		bool installed = glob("/etc/security/nsbox.d/*.conf", 0, NULL, &g) == 0;

		if (installed)
			globfree(&g);
		if (installed && geteuid() != 0) {
			ok(1, "# skip shipped conf/nsbox.conf: /etc/security/nsbox.d has files");
		} else {
			struct nsbox_conf *c = NULL;
			struct nsbox_conf_err err;
			struct nsbox_settings s;
			struct nsbox_login who = { .user = "alice", .service = "sshd" };
			char got[1024] = "";
			int r;

			drop_go_w(shipdir);
			drop_go_w(shipped);
			r = nsbox_conf_load(shipped, geteuid(), &c, &err);
			if (r < 0)
				nsbox_conf_err_format(&err, got, sizeof(got));
			ok(r == 0, "shipped %s loads (%s)", shipped, got);
			nsbox_conf_resolve(c, &who, &s);
			is_int(s.namespaces, NSBOX_NS_ALL, "shipped: all namespaces");
			is_str(s.hostname, "%u-box", "shipped: hostname %%u-box");
			is_int(s.network, NSBOX_NET_NONE, "shipped: network none");
			is_int(s.on_error, NSBOX_ON_ERROR_DENY, "shipped: on_error deny");
			is_int(s.exempt, 0, "shipped: nobody exempt");
			is_int(s.max_boxes, 8, "shipped: max_boxes 8");
			ok(s.pool_share == 10 && s.pool_share_pct, "shipped: pool_share 10%%");
			nsbox_conf_free(c);
		}
	}
	return tap_done();
}
