// SPDX-License-Identifier: BSD-3-Clause
/* Box directories under /run/nsbox/boxes: created and written by nsbox-helper (root), read by
 * nsboxctl (root). Kept on tmpfs so a reboot forgets them; liveness is checked, never trusted. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boxdir.h"
#include "file.h"
#include "nsbox/cleanup.h"
#include "held.h"
#include "record.h"

/* The one list of record fields: the writer prints it, the reader parses it. */
enum field_kind { F_STR, F_INT, F_ULL, F_LL, F_UL };
static const struct field {
	const char *key;
	enum field_kind kind;
	size_t off, size;
} fields[] = {
#define FIELD(key, kind, member) \
	{ key, kind, offsetof(struct box_record, member), sizeof(((struct box_record *)0)->member) }
	FIELD("id", F_STR, id),
	FIELD("user", F_STR, user),
	FIELD("uid", F_LL, uid),
	FIELD("service", F_STR, service),
	FIELD("supervisor", F_INT, supervisor.pid),
	FIELD("supervisor_start", F_ULL, supervisor.start),
	FIELD("init", F_INT, init.pid),
	FIELD("init_start", F_ULL, init.start),
	FIELD("started", F_LL, started),
	FIELD("namespaces", F_UL, namespaces),
	FIELD("hostname", F_STR, hostname),
	FIELD("ipv4", F_STR, ipv4),
	FIELD("ipv6", F_STR, ipv6),
	FIELD("rhost", F_STR, rhost),
	FIELD("tty", F_STR, tty),
	FIELD("app", F_INT, app),
	FIELD("profile", F_STR, profile),
	FIELD("caps_keep", F_ULL, caps_keep),
	FIELD("no_new_privs", F_INT, no_new_privs),
	FIELD("seccomp", F_INT, seccomp),
	FIELD("tmp_private", F_INT, tmp_private),
	FIELD("network", F_STR, network),
	FIELD("veth", F_STR, veth),
	FIELD("bridge", F_STR, bridge),
	FIELD("neighbours", F_STR, neighbours),
	FIELD("egress", F_STR, egress),
	FIELD("share", F_INT, share),
	FIELD("digest", F_ULL, digest),
	FIELD("members", F_INT, members),
	FIELD("memory_max", F_ULL, memory_max),
	FIELD("tasks_max", F_INT, tasks_max),
	FIELD("cpu_quota", F_INT, cpu_quota),
	FIELD("unit", F_STR, unit),
	FIELD("cgroup0", F_STR, cgroup[0]),
	FIELD("cgroup1", F_STR, cgroup[1]),
	FIELD("cgroup2", F_STR, cgroup[2]),
#undef FIELD
};

static void
field_print(FILE *f, const struct field *d, const struct box_record *r)
{
	const void *p = (const char *)r + d->off;

	switch (d->kind) {
	case F_STR:
		fprintf(f, "%s=%s\n", d->key, (const char *)p);
		break;
	case F_INT:
		fprintf(f, "%s=%d\n", d->key, *(const int *)p);
		break;
	case F_ULL:
		fprintf(f, "%s=%llu\n", d->key, *(const unsigned long long *)p);
		break;
	case F_LL:
		fprintf(f, "%s=%lld\n", d->key, *(const long long *)p);
		break;
	case F_UL:
		fprintf(f, "%s=%lu\n", d->key, *(const unsigned long *)p);
		break;
	}
}

static int
field_parse(const char *k, const char *v, void *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct field *d = &fields[i];
		void *p = (char *)arg + d->off;
		if (strcmp(k, d->key) != 0)
			continue;
		switch (d->kind) {
		case F_STR:
			snprintf(p, d->size, "%s", v);
			break;
		case F_INT:
			*(int *)p = atoi(v);
			break;
		case F_ULL:
			*(unsigned long long *)p = strtoull(v, NULL, 10);
			break;
		case F_LL:
			*(long long *)p = strtoll(v, NULL, 10);
			break;
		case F_UL:
			*(unsigned long *)p = strtoul(v, NULL, 10);
			break;
		}
	}
	return 0;
}

bool
box_id_valid(const char *id)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
			return false;
	return i == NSBOX_ID_LEN;
}

int
box_path(const char *id, const char *name, char *out, size_t n)
{
	int len;

	if (!box_id_valid(id))
		return -EINVAL;
	len = name ? snprintf(out, n, NSBOX_BOXES_DIR "/%s/%s", id, name)
		   : snprintf(out, n, NSBOX_BOXES_DIR "/%s", id);
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

/* DIR, one of NSBOX_RUN_DIR's, created if missing (with NSBOX_RUN_DIR); someone else's directory
 * there would let them forge or hide boxes (we run as root: "ours" is root's). */
int
state_dir_open(const char *dir, bool create)
{
	if (create && mkdir(NSBOX_RUN_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return open_private_dir(dir);
}

static int
boxes_dir_open(bool create)
{
	return state_dir_open(NSBOX_BOXES_DIR, create);
}

static int
box_dir_open(const char *id)
{
	if (!box_id_valid(id))
		return -EINVAL;
	_cleanup_close_ int bfd = boxes_dir_open(false);
	if (bfd < 0)
		return bfd;
	int fd = openat(bfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int
record_write_at(int dfd, const struct box_record *r)
{
	_cleanup_fclose_ FILE *f = file_create(dfd, "." BOX_RECORD ".tmp", 0600);

	if (!f)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		field_print(f, &fields[i], r);
	int e = file_flush(f);
	/* rename: a reader sees the old record or the whole new one */
	if (e == 0 && renameat(dfd, "." BOX_RECORD ".tmp", dfd, BOX_RECORD) < 0)
		e = -errno;
	if (e < 0)
		unlinkat(dfd, "." BOX_RECORD ".tmp", 0); /* a partial one is nobody's */
	return e;
}

/* A box directory is built as ".new-ID-PID-START", PID and START its supervisor's identity, and
 * renamed into place with its record in it, so that every directory named by an id has a record
 * that says who owns it, and one still being built names its owner from the moment it exists: a
 * builder killed before the rename leaves a directory the next gc can judge at once. Earlier
 * versions named it ".new-ID" (no owner): such a one is judged by its age (BUILD_ABANDONED_S). */
static int
building_name(char *out, size_t n, const char *id, const struct nsbox_proc *owner)
{
	int len = snprintf(out, n, NEW_PREFIX "%s-%d-%llu", id, (int)owner->pid, owner->start);

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

/* NAME as a directory being built: 1 for ".new-ID-PID-START" (*OWNER filled), 0 for an earlier
 * version's ".new-ID", -1 for anything else. ID gets the id. */
static int
building_parse(const char *name, char id[NSBOX_ID_LEN + 1], struct nsbox_proc *owner)
{
	const char *p = name + strlen(NEW_PREFIX);
	unsigned long long pid, start;
	char *end;

	if (strncmp(name, NEW_PREFIX, strlen(NEW_PREFIX)) || strlen(p) < NSBOX_ID_LEN)
		return -1;
	memcpy(id, p, NSBOX_ID_LEN);
	id[NSBOX_ID_LEN] = 0;
	if (!box_id_valid(id))
		return -1;
	p += NSBOX_ID_LEN;
	if (!*p)
		return 0;
	if (*p != '-' || p[1] < '1' || p[1] > '9')
		return -1;
	errno = 0;
	pid = strtoull(p + 1, &end, 10);
	if (errno || *end != '-' || pid > INT_MAX || end[1] < '0' || end[1] > '9')
		return -1;
	p = end + 1;
	start = strtoull(p, &end, 10);
	if (errno || *end)
		return -1;
	*owner = (struct nsbox_proc){ .pid = (pid_t)pid, .start = start };
	return 1;
}

/* The supervisor holds an flock on its box directory from before the directory has its record
 * until it exits (the lock goes with the directory's inode through the rename), so a gc that
 * finds the lock held knows the box is owned without reading its record or /proc. Nobody else
 * takes it exclusively: scanners only probe it (LOCK_SH | LOCK_NB, released at once). The fd is
 * left open on purpose, close-on-exec; the box init's fd cleanup (helper/box.c) drops its copy. */
int
box_reserve(char id[NSBOX_ID_LEN + 1], const struct nsbox_proc *supervisor)
{
	return box_reserve_with(id, supervisor, NULL, NULL);
}

int
box_reserve_with(char id[NSBOX_ID_LEN + 1], const struct nsbox_proc *supervisor,
		 int (*before)(const char *id, void *arg), void *arg)
{
	_cleanup_close_ int bfd = boxes_dir_open(true);
	char tmp[NAME_MAX + 1];
	/* only the supervisor itself can hold the lock that says it lives (the unit tests reserve
	 * for processes that are not themselves) */
	const bool lock = supervisor->pid == getpid();

	if (bfd < 0)
		return bfd;
	for (int tries = 0; tries < 16; tries++) {
		struct box_record r = { .supervisor = *supervisor, .uid = -1 };
		uint32_t v;
		int e;
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			return -EIO;
		snprintf(id, NSBOX_ID_LEN + 1, "%08" PRIx32, v);
		e = building_name(tmp, sizeof(tmp), id, supervisor);
		if (e == 0 && before)
			e = before(id, arg);
		if (e < 0)
			return e;
		snprintf(r.id, sizeof(r.id), "%s", id);
		if (mkdirat(bfd, tmp, 0700) < 0) {
			if (errno == EEXIST)
				continue;
			return -errno;
		}
		_cleanup_close_ int dfd =
			openat(bfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		e = dfd < 0 ? -errno : 0;
		/* blocking: a scanner's probe holds it shared for a moment only */
		if (e == 0 && lock && flock(dfd, LOCK_EX) < 0)
			e = -errno;
		if (e == 0)
			e = record_write_at(dfd, &r);
		/* NOREPLACE: the id is ours only if nobody has it */
		if (e == 0 && renameat2(bfd, tmp, bfd, id, RENAME_NOREPLACE) < 0)
			e = -errno;
		if (e == 0) {
			if (lock)
				(void)steal_fd(dfd); /* held until we exit */
			return 0;
		}
		dir_remove_tree(bfd, tmp);
		if (e != -EEXIST)
			return e;
	}
	return -EEXIST;
}

int
box_record_write(const struct box_record *r)
{
	_cleanup_close_ int dfd = box_dir_open(r->id);

	if (dfd < 0)
		return dfd;
	return record_write_at(dfd, r);
}

/* The record in the box directory DFD. */
static int
record_read_dir(int dfd, struct box_record *r)
{
	struct stat st;

	/* Only the helper (root) makes these: a box directory or record anyone else could have
	 * written may name any process, and nsboxctl would signal or enter it. */
	if (fstat(dfd, &st) < 0)
		return -errno;
	if (st.st_uid != geteuid() || (st.st_mode & 077))
		return -EPERM;
	if (fstatat(dfd, BOX_RECORD, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	memset(r, 0, sizeof(*r));
	r->uid = -1; /* a record without the field is not root's */
	return kv_read(dfd, BOX_RECORD, field_parse, r);
}

static int
record_read_at(int bfd, const char *name, struct box_record *r)
{
	_cleanup_close_ int dfd = openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return dfd < 0 ? -errno : record_read_dir(dfd, r);
}

int
box_record_read(const char *id, struct box_record *r)
{
	_cleanup_close_ int bfd = -1;
	int e;

	if (!box_id_valid(id))
		return -EINVAL;
	bfd = boxes_dir_open(false);
	if (bfd < 0)
		return bfd;
	e = record_read_at(bfd, id, r);
	/* the directory's name is the id; the file's copy only helps a human reader */
	snprintf(r->id, sizeof(r->id), "%s", id);
	return e;
}

int
box_remove(const char *id)
{
	/* an id is a name box_remove_dir takes */
	return box_id_valid(id) ? box_remove_dir(id) : -EINVAL;
}

int
box_orphan_lock(const char *id, const struct nsbox_proc *owner, char *name, size_t n)
{
	if (!box_id_valid(id))
		return -EINVAL;
	_cleanup_close_ int bfd = boxes_dir_open(false);
	if (bfd < 0)
		return bfd;
	/* the record's name first: a box is renamed into place once, never back */
	int r = snprintf(name, n, "%s", id) >= (int)n ? -ENAMETOOLONG : 0;
	int fd = r < 0 ? r : openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && r == 0) {
		r = building_name(name, n, id, owner);
		fd = r < 0 ? r : openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return r < 0 ? r : -errno;
	/* A reused id's new box names its own supervisor (the building name names OWNER already):
	 * never ours to touch, whoever holds its lock. Read through FD, the directory we lock. */
	struct box_record rec = { .supervisor.pid = 0 };
	if (strcmp(name, id) == 0 && record_read_dir(fd, &rec) == 0 &&
	    (rec.supervisor.pid != owner->pid || rec.supervisor.start != owner->start)) {
		close(fd);
		return -EEXIST;
	}
	struct stat st;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
	else if (fstat(fd, &st) < 0)
		r = -errno;
	else if (st.st_nlink == 0)
		r = -ENOENT; /* removed since we opened it: its teardown finished */
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int
box_remove_dir(const char *name)
{
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	_cleanup_close_ int bfd = boxes_dir_open(false);
	if (bfd < 0)
		return bfd == -ENOENT ? 0 : bfd;
	return dir_remove_tree(bfd, name);
}

int
box_alive(const struct box_record *r)
{
	return proc_alive(&r->supervisor);
}

int
box_record_live(const struct box_record *r, bool (*is_helper)(pid_t pid))
{
	char comm[32];
	pid_t ppid;
	int a, b;

	if (r->supervisor.pid <= 0 || r->init.pid <= 0)
		return 0;
	a = proc_alive(&r->supervisor);
	if (a != 1)
		return a;
	if (!is_helper(r->supervisor.pid))
		return -EPERM;
	b = proc_alive(&r->init);
	if (b != 1)
		return b;
	if (proc_comm_ppid(r->init.pid, comm, sizeof(comm), &ppid) < 0 || strcmp(comm, "nsbox-init") ||
	    ppid != r->supervisor.pid)
		return -EPERM;
	/* alive now with the recorded start time: the process judged above was this one */
	a = proc_alive(&r->supervisor);
	b = proc_alive(&r->init);
	return a < 0 ? a : b < 0 ? b : a == 1 && b == 1;
}

/* A directory being built gets its record within microseconds of its mkdir (box_reserve): one
 * still without a record this long after is a killed helper's, with no owner left to ask. */
#define BUILD_ABANDONED_S 60

static bool
building_abandoned(int bfd, const char *name)
{
	struct stat st;
	struct timespec now;

	if (fstatat(bfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return false;
	/* a clock stepped back makes it look young: kept, which is the safe side */
	return now.tv_sec - st.st_mtim.tv_sec > BUILD_ABANDONED_S;
}


/* A directory being built, NAME. Removed when its owner is known dead: named in its
 * name (and the lock not held), or for an earlier version's ".new-ID" by the record it may hold,
 * else by its age. Returns 1 when removed. No netns name is made before the rename, so there
 * is none to remove. */
static int
scan_building(int bfd, const char *name, int fmt, const struct nsbox_proc *owner)
{
	struct box_record r = { .supervisor.pid = 0 };
	int q;

	if (fmt == 1) {
		/* unlocked is not enough: between mkdirat and flock a live builder holds none */
		q = dir_lock_held(bfd, name);
		if (q == 0 && proc_alive(owner) == 0)
			return dir_remove_tree(bfd, name) == 0;
	} else {
		q = record_read_at(bfd, name, &r);
		if ((q == -ENOENT && building_abandoned(bfd, name)) || (q == 0 && box_alive(&r) == 0))
			return dir_remove_tree(bfd, name) == 0;
	}
	return 0;
}

/* Frees what a dead box held, as its teardown and its sweeper would have (held.h): its
 * namespace's name (a supervisor killed outright left it behind), the veth, table and leases its
 * directory names, its cgroups, and the directory, which stays (to be tried again) while any of
 * them does. */
static int
collect_dead(int bfd, const char *id)
{
	struct box_held h;
	struct nsbox_err err = { 0 }; /* a gc says only how many it collected */

	/* an unreadable description still names what the id does (held_read) */
	(void)held_read(bfd, id, id, &h);
	box_netns_remove(id);
	int r = held_release(&h, &err);
	return r < 0 ? r : held_finish(&h, id, 0, &err);
}

int
box_scan(int (*fn)(const struct box_record *r, void *arg), void *arg)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;
	int n = 0, bfd = boxes_dir_open(false);

	if (bfd < 0)
		return bfd == -ENOENT ? 0 : bfd;
	d = fdopendir(bfd);
	if (!d) {
		n = -errno;
		close(bfd);
		return n;
	}
	while ((e = readdir(d))) {
		struct box_record r = { .supervisor.pid = 0 };
		struct nsbox_proc owner;
		char bid[NSBOX_ID_LEN + 1];
		int fmt = building_parse(e->d_name, bid, &owner);

		/* a directory still being built counts for gc only */
		if (fmt >= 0) {
			n += scan_building(bfd, e->d_name, fmt, &owner);
			continue;
		}
		const char *id = e->d_name;
		if (!box_id_valid(id))
			continue;
		/* Its supervisor holds the lock: owned, nothing to read (a gc's cost per live box is
		 * an open and a failed flock, not a record and a /proc file). */
		int locked = dir_lock_held(bfd, id);
		if (locked == 1 && !fn)
			continue;
		int q = record_read_at(bfd, id, &r);
		/* A box directory is renamed into place with its record in it and loses the record
		 * only in box_remove: one without it is a removal cut short (its supervisor died
		 * mid-teardown), which nobody else would ever finish. */
		if (q == -ENOENT && locked != 1) {
			n += collect_dead(bfd, id) == 0;
			continue;
		}
		if (q < 0)
			continue;
		/* Only a supervisor known to be dead gives its box up; one we cannot judge stays. */
		if (locked != 1 && box_alive(&r) == 0) {
			n += collect_dead(bfd, id) == 0;
		} else if (fn) {
			memcpy(r.id, id, NSBOX_ID_LEN + 1); /* box_id_valid: exactly that long */
			fn(&r, arg);
		}
	}
	/* marks go stale only with a box that a scan finds dead (its teardown and its sweeper
	 * remove their own): looked at then, not at every scan of thousands of live boxes */
	if (n > 0)
		ns_index_sweep(bfd, NULL);
	return n + netns_sweep(bfd);
}

/* NSBOX_USERS_DIR/UID.boxes, made with CREATE. */
static int
uid_dir_open(uid_t uid, bool create)
{
	char path[64];

	snprintf(path, sizeof(path), NSBOX_USERS_DIR "/%u.boxes", (unsigned)uid);
	if (create && ((mkdir(NSBOX_RUN_DIR, 0700) < 0 && errno != EEXIST) ||
		       (mkdir(NSBOX_USERS_DIR, 0700) < 0 && errno != EEXIST) ||
		       (mkdir(path, 0700) < 0 && errno != EEXIST)))
		return -errno;
	return open_private_dir(path);
}

int
box_uid_add(uid_t uid, const char *id)
{
	if (!box_id_valid(id))
		return -EINVAL;
	_cleanup_close_ int ufd = uid_dir_open(uid, true);
	if (ufd < 0)
		return ufd;
	int fd = openat(ufd, id, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int
box_scan_uid(uid_t uid, int (*fn)(const struct box_record *r, void *arg), void *arg)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;
	int n = 0, ufd = uid_dir_open(uid, false);

	if (ufd < 0)
		return ufd == -ENOENT ? 0 : ufd;
	_cleanup_close_ int bfd = boxes_dir_open(false);
	if (bfd < 0) {
		close(ufd);
		return bfd == -ENOENT ? 0 : bfd;
	}
	d = fdopendir(ufd);
	if (!d) {
		n = -errno;
		close(ufd);
		return n;
	}
	while ((e = readdir(d))) {
		struct box_record r;

		if (!box_id_valid(e->d_name))
			continue;
		/* its box went: a box directory is made before its entry (a new box that draws
		 * the same random id writes its entry again with its record) */
		if (faccessat(bfd, e->d_name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
			unlinkat(dirfd(d), e->d_name, 0);
			continue;
		}
		/* a record being rewritten or removed, or a reused id's of another uid */
		if (record_read_at(bfd, e->d_name, &r) < 0 || r.uid != (long long)uid)
			continue;
		memcpy(r.id, e->d_name, NSBOX_ID_LEN + 1); /* box_id_valid: exactly that long */
		fn(&r, arg);
		n++;
	}
	return n;
}

int
box_gc(void)
{
	return box_scan(NULL, NULL);
}

/* Not a valid id, so box_scan never takes it for a box. Its mtime is when the last gc started,
 * its atime when that one ended. */
#define GC_STAMP ".gc"

static long long
ts_ns(struct timespec t)
{
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int
box_gc_maybe(unsigned duty)
{
	_cleanup_close_ int bfd = boxes_dir_open(false);
	_cleanup_close_ int fd = -1;
	struct timespec now, t[2];
	struct stat st;
	int n;

	if (bfd < 0)
		return bfd == -ENOENT ? 0 : bfd;
	fd = openat(bfd, GC_STAMP, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* one collector at a time: the others would only race it for the same dead boxes */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 0 : -errno;
	if (fstat(fd, &st) < 0 || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return -errno;
	long long began = ts_ns(st.st_mtim), took = ts_ns(st.st_atim) - began;
	/* a stamp in the future (clock stepped back) or a nonsense one does not stop collection */
	if (took > 0 && began <= ts_ns(now) && ts_ns(now) - began < took * (long long)duty)
		return 0;
	n = box_scan(NULL, NULL);
	if (clock_gettime(CLOCK_REALTIME, &t[0]) < 0)
		return -errno;
	t[1] = now;
	if (futimens(fd, t) < 0)
		return -errno;
	return n;
}
