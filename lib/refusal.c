// SPDX-License-Identifier: BSD-3-Clause
/* The refusal log's lines (refusal.h): written by pam_nsbox.so as root inside the PAM
 * application when it refuses a login, read by nsboxctl refusals (root) and the unit tests. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nsbox/cleanup.h"
#include "refusal.h"

void
refusal_new_ref(char ref[NSBOX_REF_LEN + 1])
{
	unsigned v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16); /* unique enough to find */
	snprintf(ref, NSBOX_REF_LEN + 1, "%08x", v);
}

/* KEY=VALUE with VALUE encoded, appended at OUT+*O; false when it does not fit. */
static bool
put(char *out, size_t n, size_t *o, const char *key, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	int l = snprintf(out + *o, n - *o, " %s=", key);

	if (l < 0 || (size_t)l >= n - *o)
		return false;
	*o += (size_t)l;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		bool plain = *p > 0x20 && *p < 0x7f && *p != '%' && *p != '=';
		if (*o + (plain ? 1 : 3) >= n)
			return false;
		if (plain) {
			out[(*o)++] = (char)*p;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[*p >> 4];
			out[(*o)++] = hex[*p & 15];
		}
	}
	out[*o] = 0;
	return true;
}

int
refusal_format(const struct nsbox_refusal *r, char *out, size_t n)
{
	size_t o;
	int l = snprintf(out, n, "%lld", r->time);

	if (l < 0 || (size_t)l >= n)
		return -ENOSPC;
	o = (size_t)l;
	if (!put(out, n, &o, "ref", r->ref) || !put(out, n, &o, "user", r->user) ||
	    !put(out, n, &o, "service", r->service) || !put(out, n, &o, "rhost", r->rhost) ||
	    !put(out, n, &o, "tty", r->tty) || !put(out, n, &o, "reason", r->reason) || o + 1 >= n)
		return -ENOSPC;
	out[o++] = '\n';
	out[o] = 0;
	return 0;
}

static int
unhex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The encoded VALUE (up to the next space or the end) into DST (N bytes); its end in *END. */
static bool
get(const char *v, char *dst, size_t n, const char **end)
{
	size_t o = 0;

	for (; *v && *v != ' '; v++) {
		int c = (unsigned char)*v;
		if (c == '%') {
			int h = unhex(v[1]), l = h < 0 ? -1 : unhex(v[2]);
			if (l < 0)
				return false;
			c = h << 4 | l;
			v += 2;
		}
		if (c == 0 || o + 1 >= n)
			return false;
		dst[o++] = (char)c;
	}
	dst[o] = 0;
	*end = v;
	return true;
}

int
refusal_parse(const char *line, struct nsbox_refusal *r)
{
	struct {
		const char *key;
		char *dst;
		size_t n;
	} f[] = { { "ref", r->ref, sizeof(r->ref) },	     { "user", r->user, sizeof(r->user) },
		  { "service", r->service, sizeof(r->service) }, { "rhost", r->rhost, sizeof(r->rhost) },
		  { "tty", r->tty, sizeof(r->tty) },	     { "reason", r->reason, sizeof(r->reason) } };
	char *end;

	memset(r, 0, sizeof(*r));
	errno = 0;
	r->time = strtoll(line, &end, 10);
	if (errno || end == line || r->time < 0)
		return -EINVAL;
	const char *p = end;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		size_t kl = strlen(f[i].key);
		if (*p != ' ' || strncmp(p + 1, f[i].key, kl) || p[kl + 1] != '=' ||
		    !get(p + kl + 2, f[i].dst, f[i].n, &p))
			return -EINVAL;
	}
	return *p ? -EINVAL : 0;
}

/* PATH opened for appending, created 0600; -EPERM when it is not root's regular file alone. */
static int
open_log(const char *path, struct stat *st)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0)
		return -errno;
	/* a file someone else made here, or a second name of another file, is not ours to write */
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_uid != 0 || (st->st_mode & 077) ||
	    st->st_nlink != 1) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

int
refusal_append(const char *path, const char *old, const struct nsbox_refusal *r)
{
	char line[NSBOX_REFUSAL_LINE_MAX];
	struct stat st;
	int e = refusal_format(r, line, sizeof(line));

	if (e < 0)
		return e;
	_cleanup_close_ int fd = open_log(path, &st);
	if (fd < 0)
		return fd;
	/* a concurrent login may rename it too: then both append to the fresh one */
	if (st.st_size > NSBOX_REFUSALS_MAX && rename(path, old) == 0) {
		close(fd);
		fd = open_log(path, &st);
		if (fd < 0)
			return fd;
	}
	size_t len = strlen(line);
	ssize_t w = write(fd, line, len);
	return w == (ssize_t)len ? 0 : w < 0 ? -errno : -EIO;
}
