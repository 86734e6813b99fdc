// SPDX-License-Identifier: BSD-3-Clause
/* nsbox.conf as text: the trust checks and reading of each file, include globs, lines, bytes,
 * comments, words and the messages that quote them. Pure code: no privileged work, no logging;
 * runs in nsbox-helper (as root, for every login), nsboxctl and the tests. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "nsbox/cleanup.h"
#include "trust.h"

/* ---- small helpers ---- */

void
conf_copy_str(char *dst, const char *src, size_t n)
{
	size_t l = strnlen(src, n - 1);

	memcpy(dst, src, l);
	dst[l] = 0;
}

bool
conf_is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

char *
conf_trim(char *s)
{
	size_t l;

	while (conf_is_blank(*s))
		s++;
	l = strlen(s);
	while (l > 0 && conf_is_blank(s[l - 1]))
		s[--l] = 0;
	return s;
}

/* A '#' at the start or after a blank starts a comment. */
void
conf_strip_comment(char *s)
{
	for (size_t i = 0; s[i]; i++)
		if (s[i] == '#' && (i == 0 || conf_is_blank(s[i - 1]))) {
			s[i] = 0;
			return;
		}
}

size_t
conf_split(char *s, char **tok, size_t max)
{
	size_t n = 0;

	for (;;) {
		while (conf_is_blank(*s))
			s++;
		if (!*s)
			return n;
		if (n < max)
			tok[n] = s;
		n++;
		while (*s && !conf_is_blank(*s))
			s++;
		if (*s)
			*s++ = 0;
	}
}

const char *
conf_quote(char *buf, size_t n, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char tmp[4];
		size_t tl = 1;

		if (ch < 0x20 || ch >= 0x7f || ch == '\'' || ch == '\\') {
			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = hex[ch >> 4];
			tmp[3] = hex[ch & 15];
			tl = 4;
		} else
			tmp[0] = (char)ch;
		if (o + tl + 4 > n) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, tmp, tl);
		o += tl;
	}
	buf[o] = 0;
	return buf;
}

int
conf_vfail(struct nsbox_conf_err *err, const char *file, unsigned line, int r, const char *fmt,
	   va_list ap)
{
	conf_copy_str(err->file, file ? file : "", sizeof(err->file));
	err->line = line;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return r;
}

int
conf_fail(struct nsbox_conf_err *err, const char *file, unsigned line, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = conf_vfail(err, file, line, r, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- include ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Like GLOB_ERR, but a directory that does not exist is no match, not an error. */
static int
glob_err(const char *path, int e)
{
	(void)path;
	return e != ENOENT;
}

static void
globfreep(glob_t *g)
{
	globfree(g);
}

static int
do_include(struct parser *p, const char *file, unsigned line, char *val, unsigned depth)
{
	_cleanup_(globfreep) glob_t g = { 0 };
	char *tok[2];
	char q[QBUF];
	size_t n;
	int r;

	if (!p->allow_include)
		return conf_fail(p->err, file, line, -EPERM, "include is not allowed here");
	conf_copy_str(p->orig, val, NSBOX_CONF_MAX_LINE + 1);
	n = conf_split(val, tok, ARRAY_SIZE(tok));
	if (n != 1)
		return conf_fail(p->err, file, line, -EINVAL,
				 "bad value '%s' for 'include' (want one absolute path or glob)",
				 conf_quote(q, sizeof(q), p->orig));
	if (tok[0][0] != '/')
		return conf_fail(p->err, file, line, -EINVAL, "include path '%s' is not absolute",
				 conf_quote(q, sizeof(q), tok[0]));
	if (depth + 1 > NSBOX_CONF_MAX_DEPTH)
		return conf_fail(p->err, file, line, -ELOOP, "includes nested too deeply (max %d)",
				 NSBOX_CONF_MAX_DEPTH);
	r = glob(tok[0], GLOB_NOSORT, glob_err, &g);
	if (r == GLOB_NOMATCH)
		return 0;
	if (r == GLOB_NOSPACE)
		return conf_fail(p->err, file, line, -ENOMEM, "out of memory");
	if (r != 0)
		return conf_fail(p->err, file, line, -EIO, "cannot read include '%s'",
				 conf_quote(q, sizeof(q), tok[0]));
	if (g.gl_pathc > NSBOX_CONF_MAX_FILES - p->n_files)
		return conf_fail(p->err, file, line, -E2BIG, "too many included files (max %d)",
				 NSBOX_CONF_MAX_FILES);
	qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), cmp_str);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		r = conf_load_file(p, g.gl_pathv[i], depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- lines ---- */

/* "key = value" in the section *CUR. */
static int
parse_key(struct parser *p, const char *file, unsigned line, ssize_t cur, const char *key,
	  char *val)
{
	char q[QBUF];
	struct section *sec;
	int k;

	if (cur < 0)
		return conf_fail(p->err, file, line, -EINVAL, "key outside a section");
	k = key_find(key);
	if (k < 0)
		return conf_fail(p->err, file, line, -EINVAL, "unknown key '%s'",
				 conf_quote(q, sizeof(q), key));
	sec = &p->c->sec[cur];
	if (sec->key_line[k])
		return conf_fail(p->err, file, line, -EINVAL, "duplicate key '%s'",
				 key_table[k].name);
	if (!*val)
		return conf_fail(p->err, file, line, -EINVAL, "empty value for '%s'",
				 key_table[k].name);
	if (key_parse((enum key)k, val, p->orig, p->err, file, line, &sec->v) < 0)
		return -EINVAL;
	sec->key_line[k] = line;
	return 0;
}

static int
parse_line(struct parser *p, const char *file, unsigned line, ssize_t *cur, unsigned depth)
{
	char q[QBUF];
	char *s = conf_trim(p->line), *eq, *key, *val;

	if (!*s || *s == '#')
		return 0;
	if (*s == '[')
		return conf_section_header(p, file, line, s, cur);
	eq = strchr(s, '=');
	if (!eq) {
		conf_strip_comment(s);
		return conf_fail(p->err, file, line, -EINVAL, "syntax error: '%s'",
				 conf_quote(q, sizeof(q), conf_trim(s)));
	}
	*eq = 0;
	key = conf_trim(s);
	val = eq + 1;
	conf_strip_comment(val);
	val = conf_trim(val);
	if (!*key)
		return conf_fail(p->err, file, line, -EINVAL,
				 "syntax error: missing key before '='");
	if (!strcmp(key, "include")) {
		if (!*val)
			return conf_fail(p->err, file, line, -EINVAL, "empty value for 'include'");
		return do_include(p, file, line, val, depth);
	}
	return parse_key(p, file, line, *cur, key, val);
}

/* Length of the valid UTF-8 sequence at S (at most N bytes), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp, min;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int
check_bytes(struct parser *p, const char *file, unsigned line, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l;

		/* a file saved with DOS line ends: name it, a bare 0x0d means nothing to most */
		if (u[i] == '\r' && i + 1 == n)
			return conf_fail(p->err, file, line, -EINVAL,
					 "CRLF line end: save the file with LF line ends (dos2unix)");
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			return conf_fail(p->err, file, line, -EINVAL, "invalid character 0x%02x",
					 u[i]);
		l = utf8_len(u + i, n - i);
		if (!l)
			return conf_fail(p->err, file, line, -EINVAL, "invalid UTF-8");
		i += l;
	}
	return 0;
}

int
conf_parse_buf(struct parser *p, const char *file, const char *buf, size_t len, unsigned depth)
{
	ssize_t cur = -1; /* index of the section keys go to; an included file starts afresh */
	unsigned line = 0;
	size_t pos = 0;
	int r;

	if (len > NSBOX_CONF_MAX_FILE)
		return conf_fail(p->err, file, 0, -EFBIG, "file too large (max %d bytes)",
				 NSBOX_CONF_MAX_FILE);
	while (pos < len) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - start) : len - pos;

		line++;
		pos += ll + (nl ? 1 : 0);
		if (ll > NSBOX_CONF_MAX_LINE)
			return conf_fail(p->err, file, line, -EINVAL,
					 "line too long (max %d bytes)", NSBOX_CONF_MAX_LINE);
		r = check_bytes(p, file, line, start, ll);
		if (r < 0)
			return r;
		memcpy(p->line, start, ll);
		p->line[ll] = 0;
		r = parse_line(p, file, line, &cur, depth);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- trust and reading ---- */

static int
errno_fail(struct parser *p, const char *path, const char *what)
{
	int r = -errno;

	return conf_fail(p->err, path, 0, r, "%s: %s", what, strerror(-r));
}

static int
not_owned(struct parser *p, const char *file, const char *what)
{
	if (p->uid == 0)
		return conf_fail(p->err, file, 0, -EPERM, "%snot owned by root", what);
	return conf_fail(p->err, file, 0, -EPERM, "%snot owned by uid %u", what, (unsigned)p->uid);
}

/* Ownership and modes of the opened file FD and its directory DFD. */
static int
check_owner(struct parser *p, const char *path, int fd, int dfd, const struct stat *st)
{
	struct stat st2, dst;

	if (fstat(fd, &st2) < 0)
		return errno_fail(p, path, "cannot stat");
	if (!S_ISREG(st2.st_mode) || st2.st_dev != st->st_dev || st2.st_ino != st->st_ino)
		return conf_fail(p->err, path, 0, -EAGAIN, "changed while being opened");
	if (st2.st_uid != p->uid)
		return not_owned(p, path, "");
	if (st2.st_mode & (S_IWGRP | S_IWOTH))
		return conf_fail(p->err, path, 0, -EPERM, "writable by group or others");
	if (fstat(dfd, &dst) < 0)
		return errno_fail(p, path, "cannot stat directory");
	if (dst.st_uid != p->uid)
		return not_owned(p, path, "directory ");
	if (dst.st_mode & (S_IWGRP | S_IWOTH))
		return conf_fail(p->err, path, 0, -EPERM, "directory writable by group or others");
	return 0;
}

/* The directory PATH is in, opened O_PATH, and PATH's last component. */
static int
open_parent(struct parser *p, const char *path, int *dfd, const char **base)
{
	_cleanup_free_ char *dir = NULL;
	const char *slash = strrchr(path, '/');
	struct trust_err te;

	if (slash) {
		dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
		*base = slash + 1;
	} else {
		dir = strdup(".");
		*base = path;
	}
	if (!dir)
		return conf_fail(p->err, path, 0, -ENOMEM, "out of memory");
	if (!**base)
		return conf_fail(p->err, path, 0, -EINVAL, "not a regular file");
	/* every directory from "/" down, not only the parent: whoever can write any of them can
	 * swap the ones below */
	*dfd = trust_open_dir(dir, p->uid, &te);
	if (*dfd == -EPERM && te.what)
		return conf_fail(p->err, path, 0, -EPERM, "directory '%s' is %s", te.path, te.what);
	if (*dfd < 0) {
		errno = -*dfd;
		return errno_fail(p, path, "cannot open");
	}
	return 0;
}

static int
open_trusted(struct parser *p, const char *path, int *out)
{
	_cleanup_close_ int dfd = -1, pfd = -1, fd = -1;
	const char *base;
	struct stat st;
	int r;

	r = open_parent(p, path, &dfd, &base);
	if (r < 0)
		return r;
	/* Look first without opening: a FIFO, device or symlink is refused before any open()
	 * could block or have side effects. */
	pfd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return errno_fail(p, path, "cannot open");
	if (fstat(pfd, &st) < 0)
		return errno_fail(p, path, "cannot stat");
	if (S_ISLNK(st.st_mode))
		return conf_fail(p->err, path, 0, -ELOOP, "is a symlink");
	if (!S_ISREG(st.st_mode))
		return conf_fail(p->err, path, 0, -EINVAL, "not a regular file");
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return conf_fail(p->err, path, 0, -ELOOP, "is a symlink");
		return errno_fail(p, path, "cannot open");
	}
	r = check_owner(p, path, fd, dfd, &st);
	if (r < 0)
		return r;
	*out = steal_fd(fd);
	return 0;
}

int
conf_load_file(struct parser *p, const char *path, unsigned depth)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	if (p->n_files >= NSBOX_CONF_MAX_FILES)
		return conf_fail(p->err, path, 0, -E2BIG, "too many included files (max %d)",
				 NSBOX_CONF_MAX_FILES);
	p->n_files++;
	r = open_trusted(p, path, &fd);
	if (r < 0)
		return r;
	buf = malloc(NSBOX_CONF_MAX_FILE + 1);
	if (!buf)
		return conf_fail(p->err, path, 0, -ENOMEM, "out of memory");
	while (len < NSBOX_CONF_MAX_FILE + 1) {
		ssize_t n = read(fd, buf + len, NSBOX_CONF_MAX_FILE + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno_fail(p, path, "cannot read");
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > NSBOX_CONF_MAX_FILE)
		return conf_fail(p->err, path, 0, -EFBIG, "file too large (max %d bytes)",
				 NSBOX_CONF_MAX_FILE);
	return conf_parse_buf(p, path, buf, len, depth);
}
