// SPDX-License-Identifier: BSD-3-Clause
/* The lease databases on disk, one per address family under NSBOX_LEASE_DIR ("v4", "v6"): their
 * text, read and written whole under the lock file next to each, and the merge of the per-pool
 * files of earlier versions. For the allocator (lease.c) in nsbox-helper (root), and the unit
 * tests and the fuzzer (any user). Pure file work: no netlink, no logging; every function returns
 * 0 or -errno.
 *
 * File format, one line per address, at most LEASE_MAX_LINE bytes, newline-terminated:
 *
 *     ADDR STATE ID PID START USER
 *
 * STATE "held": ID, PID and START name the box supervisor that holds ADDR. STATE "free": ID is
 * "-", PID and START are 0, USER is who held ADDR last (for sticky addresses). Line order is
 * recency: the last line is the most recently changed entry.
 *
 * The file is never trusted: a line that does not parse, an address of the other family, a second
 * entry for an address, a line over LEASE_MAX_LINE bytes, a last line without newline and
 * everything past LEASE_MAX_FILE bytes are dropped and counted as corrupt.
 *
 * Before this layout there was one file per pool, "v4-NET-PREFIX-LO-HI" with its lock
 * ".v4-NET-PREFIX-LO-HI.lock". A host upgraded while boxes are live still has them: every open of
 * the family's database merges such files into it, under both locks, and removes them (see
 * migrate_legacy). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "lease_store.h"
#include "nsbox/array.h"
#include "nsbox/cleanup.h"

#define LEASE_MAX_LINE 1024 /* bytes per line, newline excluded */
/* Bytes read from a lease file; never written larger. Every held entry is written, so this is
 * only a bound against a runaway file, far above what leases need: a held line is at most 350
 * bytes (an IPv6 address, a 255-byte user name), so a whole /16 pool of such lines and the
 * remembered free entries take 24 MiB; 64 MiB is 190,000 such leases, more live boxes than
 * 100 GiB of memory holds (bench/README.md). */
#define LEASE_MAX_FILE (64 * 1024 * 1024)
#define LEASE_MAX_FREE 4096          /* free entries remembered (for sticky), newest kept */

void
lease_db_free(struct lease_db *db)
{
	free(db->v);
	db->v = NULL;
	db->n = db->cap = 0;
}

/* ---- addresses as integers ---- */

static int
addr_format(int family, u128 v, char *buf, size_t n)
{
	struct nsbox_ip ip;

	nsbox_ip_from_u128(family, v, &ip);
	if (!inet_ntop(family, family == AF_INET ? (const void *)&ip.v4 : (const void *)&ip.v6, buf,
		       (socklen_t)n))
		return -errno;
	return 0;
}

static int
addr_parse(int family, const char *s, u128 *out)
{
	struct nsbox_ip ip = { .family = family };

	if (inet_pton(family, s, family == AF_INET ? (void *)&ip.v4 : (void *)&ip.v6) != 1)
		return -EINVAL;
	return nsbox_ip_to_u128(&ip, out);
}

/* The database of FAMILY: "v4" or "v6" (its lock: ".v4.lock"). */
const char *
db_name(int family)
{
	return family == AF_INET ? "v4" : family == AF_INET6 ? "v6" : NULL;
}


/* ---- owners ---- */

/* 1..MAX bytes, no whitespace, no control characters; bytes >= 0x80 only with HIGH (UTF-8
 * user names). */
bool
token_ok(const char *s, size_t max, bool high)
{
	size_t i;

	for (i = 0; i <= max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || (c >= 0x80 && !high))
			return false;
	}
	return i > 0 && i <= max;
}

/* ---- parsing ---- */

static int
parse_ull(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 20)
			return -EINVAL;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (i == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* One line of LEN bytes (no newline, not NUL-terminated) of FAMILY's database into E. Fields are
 * separated by exactly one space. Returns 0 or -EINVAL; E->seq is left to the caller. */
static int
lease_parse_line(const char *line, size_t len, int family, struct lease_entry *e)
{
	char buf[LEASE_MAX_LINE + 1], *f[6], *s = buf;
	unsigned long long pid, start;
	size_t nf = 0;

	if (len == 0 || len > LEASE_MAX_LINE || memchr(line, '\0', len))
		return -EINVAL;
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (;;) {
		char *sp;
		if (nf == ARRAY_SIZE(f))
			return -EINVAL;
		f[nf++] = s;
		sp = strchr(s, ' ');
		if (!sp)
			break;
		*sp = '\0';
		s = sp + 1;
	}
	if (nf != ARRAY_SIZE(f))
		return -EINVAL;

	memset(e, 0, sizeof(*e));
	if (addr_parse(family, f[0], &e->addr) < 0)
		return -EINVAL;
	if (strcmp(f[1], "held") == 0)
		e->held = true;
	else if (strcmp(f[1], "free") != 0)
		return -EINVAL;
	if (!token_ok(f[2], LEASE_ID_MAX, false) || !token_ok(f[5], LEASE_USER_MAX, true))
		return -EINVAL;
	if (parse_ull(f[3], INT_MAX, &pid) < 0 || parse_ull(f[4], ULLONG_MAX, &start) < 0)
		return -EINVAL;
	if (e->held && (pid == 0 || strcmp(f[2], "-") == 0))
		return -EINVAL;
	strcpy(e->o.id, f[2]);   /* lengths checked by token_ok */
	strcpy(e->o.user, f[5]);
	e->o.proc.pid = (pid_t)pid;
	e->o.proc.start = start;
	return 0;
}

int
db_push(struct lease_db *db, const struct lease_entry *e)
{
	struct lease_entry *v = nsbox_grow(db->v, db->n, &db->cap, sizeof(*v), 64);

	if (!v)
		return -ENOMEM;
	db->v = v;
	db->v[db->n++] = *e;
	return 0;
}

int
cmp_addr(const void *a, const void *b)
{
	const struct lease_entry *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->held != y->held)
		return x->held ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
cmp_seq(const void *a, const void *b)
{
	const struct lease_entry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts DB by address and keeps one entry per address: a held one before a free one, then the
 * first in the file. The others are counted as corrupt. */
static void
db_dedup(struct lease_db *db)
{
	size_t j = 0;

	if (db->n)
		qsort(db->v, db->n, sizeof(*db->v), cmp_addr);
	for (size_t i = 0; i < db->n; i++) {
		if (j > 0 && db->v[j - 1].addr == db->v[i].addr) {
			db->corrupt++;
			continue;
		}
		if (j != i)
			db->v[j] = db->v[i];
		j++;
	}
	db->n = j;
}

int
lease_db_parse(struct lease_db *db, int family, const char *buf, size_t len)
{
	if (!db_name(family))
		return -EAFNOSUPPORT;
	size_t pos = 0, lines = 0;

	/* room for every line at once: growing by doubling copies thousands of entries */
	for (const char *p = buf, *end = buf + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		lines++;
	if (lines && db->n + lines > db->cap) {
		struct lease_entry *v = reallocarray(db->v, db->n + lines, sizeof(*v));
		if (!v)
			return -ENOMEM;
		db->v = v;
		db->cap = db->n + lines;
	}

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		struct lease_entry e;

		if (!nl) {
			db->corrupt++; /* last line without newline: cut short */
			break;
		}
		size_t l = (size_t)(nl - (buf + pos));
		if (lease_parse_line(buf + pos, l, family, &e) < 0) {
			db->corrupt++;
		} else {
			e.seq = db->next_seq++;
			if (db_push(db, &e) < 0)
				return -ENOMEM;
		}
		pos += l + 1;
	}
	db_dedup(db);
	return 0;
}

int
db_read(int dirfd, const char *name, int family, struct lease_db *db)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	struct stat st;
	_cleanup_close_ int fd = open_regular(dirfd, name);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd == -ELOOP ? -EPERM : fd;
	/* Its size is exact: under the lock nobody writes it (a writer renames a new file over
	 * it), so a buffer of that size, not of the cap, for every lease. */
	if (fstat(fd, &st) < 0)
		return -errno;
	size_t want = st.st_size > LEASE_MAX_FILE ? LEASE_MAX_FILE + 1 : (size_t)st.st_size + 1;
	buf = malloc(want);
	if (!buf)
		return -ENOMEM;
	r = read_full(fd, buf, want, &len);
	if (r < 0)
		return r;
	if (len > LEASE_MAX_FILE) {
		/* Too big: keep the whole lines within LEASE_MAX_FILE bytes, drop the rest. */
		const char *nl = memrchr(buf, '\n', LEASE_MAX_FILE);
		len = nl ? (size_t)(nl - buf) + 1 : 0;
		db->corrupt++;
	}
	return lease_db_parse(db, family, buf, len);
}

/* ---- writing ---- */

static int
format_line(int family, const struct lease_entry *e, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	int r = addr_format(family, e->addr, a, sizeof(a));

	if (r < 0)
		return r;
	if (e->held)
		r = snprintf(buf, n, "%s held %s %d %llu %s\n", a, e->o.id, (int)e->o.proc.pid,
			     e->o.proc.start, e->o.user);
	else
		r = snprintf(buf, n, "%s free - 0 0 %s\n", a, e->o.user);
	if (r < 0 || (size_t)r >= n || (size_t)r > LEASE_MAX_LINE + 1)
		return -EOVERFLOW;
	return r;
}

/* The file text for DB, in recency order. Every held entry is written; free ones newest first
 * while there are at most LEASE_MAX_FREE of them and the text stays within LEASE_MAX_FILE.
 * Reorders DB. Returns the length; -EADDRNOTAVAIL when the held entries alone do not fit (no
 * address can be recorded: the pool is as good as exhausted). */
static ssize_t
db_serialize(int family, struct lease_db *db, char **out)
{
	char line[LEASE_MAX_LINE + 2];
	size_t size = 0, nfree = 0, len = 0;
	_cleanup_free_ bool *keep = NULL;
	_cleanup_free_ char *buf = NULL;
	int r;

	if (db->n)
		qsort(db->v, db->n, sizeof(*db->v), cmp_seq);
	keep = calloc(db->n ? db->n : 1, sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < db->n; i++) {
		if (!db->v[i].held)
			continue;
		r = format_line(family, &db->v[i], line, sizeof(line));
		if (r < 0)
			return r;
		size += (size_t)r;
		keep[i] = true;
	}
	if (size > LEASE_MAX_FILE)
		return -EADDRNOTAVAIL;
	for (size_t i = db->n; i-- > 0;) {
		if (db->v[i].held || nfree >= LEASE_MAX_FREE)
			continue;
		r = format_line(family, &db->v[i], line, sizeof(line));
		if (r < 0)
			return r;
		if (size + (size_t)r > LEASE_MAX_FILE)
			continue;
		size += (size_t)r;
		nfree++;
		keep[i] = true;
	}
	buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < db->n; i++) {
		if (!keep[i])
			continue;
		r = format_line(family, &db->v[i], buf + len, size + 1 - len);
		if (r < 0)
			return r;
		len += (size_t)r;
	}
	*out = steal_ptr(buf);
	return (ssize_t)len;
}

int
db_write(int dirfd, const char *name, int family, struct lease_db *db)
{
	_cleanup_free_ char *buf = NULL;
	char tmp[NAME_MAX + 1];
	ssize_t len;
	size_t off = 0;
	int r = 0;

	len = db_serialize(family, db, &buf);
	if (len < 0)
		return (int)len;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	/* A leftover of a killed writer: remove it rather than follow or reuse it. */
	if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
		return -errno;
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (off < (size_t)len) {
		ssize_t k = write(fd, buf + off, (size_t)len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			break;
		}
		off += (size_t)k;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}

/* ---- directory and lock ---- */

static int
mkdir_parents(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

/* DIR, created 0700 if missing; it must be a real directory of ours that nobody else can
 * write (else anyone could swap lease files or hold the lock). */
int
lease_dir_open(const char *dir)
{
	if (!dir || !*dir)
		return -EINVAL;
	if (mkdir(dir, 0700) < 0) {
		int r = errno;
		if (r == ENOENT) {
			r = mkdir_parents(dir);
			if (r < 0)
				return r;
			if (mkdir(dir, 0700) < 0 && errno != EEXIST)
				return -errno;
		} else if (r != EEXIST) {
			return -r;
		}
	}
	return open_private_dir(dir);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Locks database NAME: ".NAME.lock", created with CREATE (else -ENOENT when missing). The lock
 * goes with the returned fd. */
int
lease_lock(int dirfd, const char *name, bool create)
{
	char path[NAME_MAX + 1];
	struct timespec t0;
	struct stat st;
	unsigned seed;

	if (snprintf(path, sizeof(path), ".%s.lock", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	_cleanup_close_ int fd = openat(dirfd, path,
					O_RDWR | (create ? O_CREAT : 0) | O_NOFOLLOW | O_NONBLOCK |
						O_NOCTTY | O_CLOEXEC,
					0600);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return -EPERM;
	/* flock() works on a read-only fd: nobody else may open the lock at all. */
	if ((st.st_mode & 077) && fchmod(fd, 0600) < 0)
		return -errno;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	seed = (unsigned)getpid() ^ (unsigned)t0.tv_nsec;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return steal_fd(fd);
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (ms_since(&t0) >= NSBOX_LEASE_LOCK_TIMEOUT_MS)
			return -ETIMEDOUT;
		/* 2-10 ms, jittered so that waiters do not retry in lock step. */
		struct timespec d = { 0, (long)(2 + rand_r(&seed) % 9) * 1000000L };
		nanosleep(&d, NULL);
	}
}

/* ---- the per-pool files of earlier versions ---- */

/* "v4-NET-PREFIX-LO-HI" (v6: ':' as '_') of FAMILY: what earlier versions named a pool's file. */
static bool
legacy_name(const char *n, int family)
{
	const char *want = family == AF_INET ? "v4-" : "v6-";

	return strncmp(n, want, 3) == 0 && n[3] &&
	       strspn(n + 3, "0123456789abcdef._-") == strlen(n + 3) &&
	       strlen(n) <= NAME_MAX - 6 /* ".NAME.lock" */;
}

/* Merges the entries of legacy file NAME into DB. A duplicate is not damage here: the same
 * address in two files (a pool widened under the old layout) keeps the held entry, else the
 * one already in DB; only lines that do not parse count as corrupt. */
static int
legacy_merge(int dirfd, const char *name, int family, struct lease_db *db)
{
	_cleanup_(lease_db_free) struct lease_db old = { 0 };
	unsigned corrupt = db->corrupt;
	int r = db_read(dirfd, name, family, &old);

	if (r < 0)
		return r;
	qsort(old.v, old.n, sizeof(*old.v), cmp_seq);
	for (size_t i = 0; i < old.n; i++) {
		struct lease_entry e = old.v[i];
		e.seq = db->next_seq++;
		if ((r = db_push(db, &e)) < 0)
			return r;
	}
	db_dedup(db);
	db->corrupt = corrupt + old.corrupt;
	return 0;
}

/* An old helper releasing a lease after its file was merged creates the legacy lock again (and
 * writes nothing): such a lock without its file goes, once nobody holds it. True for any
 * legacy lock name without its file (handled or left for next time). */
static bool
stale_legacy_lock(int dirfd, const char *n, int family)
{
	char base[NAME_MAX + 1];
	size_t len = strlen(n);
	struct stat st;

	if (n[0] != '.' || len < 7 || strcmp(n + len - 5, ".lock") != 0)
		return false;
	snprintf(base, sizeof(base), "%.*s", (int)(len - 6), n + 1);
	if (!legacy_name(base, family) || fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return false;
	int fd = lease_lock(dirfd, base, false);
	if (fd >= 0) {
		unlinkat(dirfd, n, 0);
		close(fd);
	}
	return true;
}

/* Moves every legacy file of FAMILY into DB (read under NAME's lock, which the caller holds):
 * under the legacy file's own lock too (an old helper may still be writing it), merge, write DB
 * as NAME, only then remove the legacy file, its temporary and its lock. A leftover of a killed
 * migration is merged again next time, which changes nothing. */
int
migrate_legacy(int dirfd, const char *name, int family, struct lease_db *db)
{
	int r = 0;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	for (;;) {
		char tmp[NAME_MAX + 1], lock[NAME_MAX + 1];
		struct dirent *de;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				r = -errno;
			break;
		}
		if (stale_legacy_lock(dirfd, de->d_name, family))
			continue;
		if (!legacy_name(de->d_name, family))
			continue;
		/* no lock file: no old helper has it open, nothing to wait for */
		_cleanup_close_ int lfd = lease_lock(dirfd, de->d_name, false);
		if (lfd < 0 && lfd != -ENOENT) {
			r = lfd;
			break;
		}
		r = legacy_merge(dirfd, de->d_name, family, db);
		if (r == 0)
			r = db_write(dirfd, name, family, db);
		if (db->n) /* db_write left it in recency order */
			qsort(db->v, db->n, sizeof(*db->v), cmp_addr);
		if (r < 0)
			break;
		if (snprintf(tmp, sizeof(tmp), ".%s.tmp", de->d_name) >= (int)sizeof(tmp) ||
		    snprintf(lock, sizeof(lock), ".%s.lock", de->d_name) >= (int)sizeof(lock))
			continue; /* cannot be: legacy_name bounds the length */
		if (unlinkat(dirfd, de->d_name, 0) < 0 && errno != ENOENT) {
			r = -errno;
			break;
		}
		unlinkat(dirfd, tmp, 0);
		unlinkat(dirfd, lock, 0);
	}
	closedir(d);
	return r;
}
