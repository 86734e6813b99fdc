// SPDX-License-Identifier: BSD-3-Clause
/* A shared box's member list, BOX_MEMBERS in NSBOX_BOXES_DIR/ID: written whole by the box's
 * supervisor (nsbox-helper, root) through a temporary file and a rename, read by nsboxctl (root).
 * One "member=APP STARTED SERVICE TTY RHOST" line per session, tab-separated: the strings are
 * printable (no control characters), so a tab cannot occur in them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "member.h"
#include "nsbox/cleanup.h"
#include "record.h"

#define MEMBERS_TMP "." BOX_MEMBERS ".tmp"
#define MEMBERS_MAX_FILE (BOX_MEMBERS_MAX * 1024)

int
box_member_format(const struct box_member *m, char *out, size_t n)
{
	char svc[sizeof(m->service)], tty[sizeof(m->tty)], rhost[sizeof(m->rhost)];
	int l;

	printable_copy(svc, sizeof(svc), m->service, false);
	printable_copy(tty, sizeof(tty), m->tty, false);
	printable_copy(rhost, sizeof(rhost), m->rhost, false);
	l = snprintf(out, n, "%d\t%lld\t%s\t%s\t%s", m->app, m->started, svc, tty, rhost);
	return l < 0 || (size_t)l >= n ? -ENAMETOOLONG : 0;
}

int
box_member_parse(const char *val, struct box_member *m)
{
	char buf[1024], *p = buf, *f[5];

	if (snprintf(buf, sizeof(buf), "%s", val) >= (int)sizeof(buf))
		return -EINVAL;
	for (int i = 0; i < 5; i++) {
		f[i] = strsep(&p, "\t");
		if (!f[i])
			return -EINVAL;
	}
	if (p) /* more fields than we know */
		return -EINVAL;
	char *end;
	memset(m, 0, sizeof(*m));
	m->app = (int)strtol(f[0], &end, 10);
	if (*end || !f[0][0])
		return -EINVAL;
	m->started = strtoll(f[1], &end, 10);
	if (*end || !f[1][0])
		return -EINVAL;
	snprintf(m->service, sizeof(m->service), "%s", f[2]);
	snprintf(m->tty, sizeof(m->tty), "%s", f[3]);
	snprintf(m->rhost, sizeof(m->rhost), "%s", f[4]);
	return 0;
}

/* The box's directory, checked as record.c checks it: root's alone. */
static int
members_dir(const char *id)
{
	char path[128];
	int r = box_path(id, NULL, path, sizeof(path));

	return r < 0 ? r : open_private_dir(path);
}

int
box_members_write(const char *id, const struct box_member *m, size_t n)
{
	_cleanup_close_ int dfd = members_dir(id);
	char line[1024];

	if (dfd < 0)
		return dfd;
	_cleanup_fclose_ FILE *f = file_create(dfd, MEMBERS_TMP, 0600);
	if (!f)
		return -errno;
	for (size_t i = 0; i < n; i++)
		if (box_member_format(&m[i], line, sizeof(line)) == 0)
			fprintf(f, "member=%s\n", line);
	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	/* rename: a reader sees the old list or the whole new one */
	return renameat(dfd, MEMBERS_TMP, dfd, BOX_MEMBERS) < 0 ? -errno : 0;
}

struct collect {
	struct box_member *v;
	size_t n;
};

static int
collect_line(const char *key, const char *val, void *arg)
{
	struct collect *c = arg;

	if (strcmp(key, "member") != 0 || c->n >= BOX_MEMBERS_MAX)
		return 0;
	if (box_member_parse(val, &c->v[c->n]) == 0)
		c->n++;
	return 0;
}

int
box_members_read(const char *id, struct box_member **m, size_t *n)
{
	_cleanup_close_ int dfd = members_dir(id);
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct collect c = { 0 };
	struct stat st;
	size_t len = 0;
	int r;

	*m = NULL;
	*n = 0;
	if (dfd < 0)
		return dfd;
	fd = open_regular(dfd, BOX_MEMBERS);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	buf = malloc(MEMBERS_MAX_FILE + 1);
	c.v = calloc(BOX_MEMBERS_MAX, sizeof(*c.v));
	if (!buf || !c.v) {
		free(c.v);
		return -ENOMEM;
	}
	r = read_full(fd, buf, MEMBERS_MAX_FILE, &len);
	if (r < 0) {
		free(c.v);
		return r;
	}
	buf[len] = 0;
	kv_parse(buf, collect_line, &c);
	*m = c.v;
	*n = c.n;
	return 0;
}
