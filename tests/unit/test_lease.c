// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for the address lease allocator (lib/lease.c, lib/lease_store.c): allocation order, release, static
 * conflicts, reclaim of dead owners, exhaustion, ranges, sticky, IPv6, untrusted files, lock
 * timeout, 50 concurrent acquirers, pools widened or overlapping while live (one database per
 * family) and the merge of the per-pool files of earlier versions. Runs as any user in a mkdtemp directory under /tmp; a few
 * ownership checks run only as root. Output: TAP. */

/* The Makefile links every tests/unit/test_*.c with conf.o only, so the allocator is compiled
 * into this file; that also gives the tests its static helpers (lease_parse_line, ...). */
#include "../../lib/lease.c"
#include "../../lib/lease_store.c"
#include "../../lib/proc.c"
#include "../../lib/file.c"

#include <signal.h>
#include <sys/wait.h>

#include "tap.h"

static char base[64];
static char cur[128];

/* ---- fixtures ---- */

static void
ip_set(struct nsbox_ip *ip, const char *s)
{
	memset(ip, 0, sizeof(*ip));
	if (!s)
		return;
	ip->family = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(ip->family, s, ip->family == AF_INET ? (void *)&ip->v4 : (void *)&ip->v6) != 1)
		abort();
}

static struct nsbox_addrspec
spec(enum nsbox_addr_mode mode, const char *ip, unsigned prefix, const char *first, const char *last)
{
	struct nsbox_addrspec s;

	memset(&s, 0, sizeof(s));
	s.mode = mode;
	ip_set(&s.cidr.ip, ip);
	s.cidr.prefix = prefix;
	ip_set(&s.first, first);
	ip_set(&s.last, last);
	return s;
}

static void
usedir(const char *name)
{
	snprintf(cur, sizeof(cur), "%s/%s", base, name);
}

/* Fake liveness: every owner is alive unless its pid is in the dead table. */
static pid_t dead[256];
static size_t n_dead;

static int
fake_alive(const struct lease_owner *o)
{
	for (size_t i = 0; i < n_dead; i++)
		if (dead[i] == o->proc.pid)
			return 0;
	return 1;
}

static int
all_alive(const struct lease_owner *o)
{
	(void)o;
	return 1;
}

/* /proc could not be read: neither alive nor dead. */
static int
unknown_alive(const struct lease_owner *o)
{
	(void)o;
	return -EIO;
}

static unsigned alive_calls;

static int
counting_alive(const struct lease_owner *o)
{
	alive_calls++;
	return fake_alive(o);
}

/* The first 8 owners asked about (an acquire's sample) cannot be told; the rest as fake_alive. */
static int
sample_unknown_alive(const struct lease_owner *o)
{
	return ++alive_calls <= 8 ? -EIO : fake_alive(o);
}

static int
none_alive(const struct lease_owner *o)
{
	(void)o;
	return 0;
}

static void
kill_owner(pid_t pid)
{
	if (n_dead < ARRAY_SIZE(dead))
		dead[n_dead++] = pid;
}

static struct lease_owner
owner(const char *id, const char *user, pid_t pid)
{
	struct lease_owner o;

	memset(&o, 0, sizeof(o));
	snprintf(o.id, sizeof(o.id), "%s", id);
	snprintf(o.user, sizeof(o.user), "%s", user);
	o.proc.pid = pid;
	o.proc.start = (unsigned long long)pid * 7;
	return o;
}

static char got[INET6_ADDRSTRLEN];
static struct lease_result res;

/* Acquires for box ID of USER (supervisor PID) into got/res. */
static int
acq(const struct nsbox_addrspec *s, const char *id, const char *user, pid_t pid, bool sticky)
{
	struct lease_owner o = owner(id, user, pid);
	int r;

	got[0] = '\0';
	r = lease_acquire(cur, s, &o, sticky, fake_alive, &res);
	if (r == 0)
		inet_ntop(res.ip.family, res.ip.family == AF_INET ? (void *)&res.ip.v4 : (void *)&res.ip.v6,
			  got, sizeof(got));
	return r;
}

static void
path_of(const struct nsbox_addrspec *s, char *out, size_t n)
{
	char name[NAME_MAX + 1];

	if (lease_file_name(s, name, sizeof(name)) < 0)
		abort();
	snprintf(out, n, "%s/%s", cur, name);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "we");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

/* The lease file of S in cur, pre-filled with TEXT (cur is created first). */
static void
prefill(const struct nsbox_addrspec *s, const char *text, size_t len)
{
	char path[PATH_MAX];
	int fd = lease_dir_open(cur);

	if (fd < 0)
		abort();
	close(fd);
	path_of(s, path, sizeof(path));
	write_file(path, text, len);
}

static char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0;

	struct stat st;

	*len = 0;
	if (!f)
		return NULL;
	buf = fstat(fileno(f), &st) == 0 ? malloc((size_t)st.st_size + 1) : NULL;
	if (buf)
		n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- tests ---- */

static void
test_file_name(void)
{
	char name[NAME_MAX + 1];
	struct nsbox_addrspec s;

	s = spec(NSBOX_ADDR_POOL, "10.20.0.0", 16, "10.20.0.10", "10.20.0.99");
	is_int(lease_file_name(&s, name, sizeof(name)), 0, "name of a v4 range");
	is_str(name, "v4", "every v4 pool leases from the one v4 database");
	s = spec(NSBOX_ADDR_STATIC, "10.0.0.5", 24, NULL, NULL);
	lease_file_name(&s, name, sizeof(name));
	is_str(name, "v4", "static v4: the same database");
	s = spec(NSBOX_ADDR_POOL, "fd00::", 64, NULL, NULL);
	lease_file_name(&s, name, sizeof(name));
	is_str(name, "v6", "v6 pool: the v6 database");
	s = spec(NSBOX_ADDR_POOL, "::ffff:10.0.0.0", 120, NULL, NULL);
	lease_file_name(&s, name, sizeof(name));
	is_str(name, "v6", "v4-mapped v6 pool: v6");
	is_int(lease_file_name(&s, name, 2), -ENAMETOOLONG, "short buffer: -ENAMETOOLONG");

	s = spec(NSBOX_ADDR_NONE, "10.0.0.0", 24, NULL, NULL);
	is_int(lease_file_name(&s, name, sizeof(name)), -EINVAL, "mode none: -EINVAL");
	s = spec(NSBOX_ADDR_POOL, "10.0.0.0", 31, NULL, NULL);
	is_int(lease_file_name(&s, name, sizeof(name)), -EINVAL, "/31 pool has no hosts: -EINVAL");
	s = spec(NSBOX_ADDR_POOL, "10.0.0.0", 33, NULL, NULL);
	is_int(lease_file_name(&s, name, sizeof(name)), -EINVAL, "prefix 33: -EINVAL");
	s = spec(NSBOX_ADDR_POOL, "10.0.0.0", 24, "10.0.1.1", "10.0.1.5");
	is_int(lease_file_name(&s, name, sizeof(name)), -EINVAL, "range outside the net: -EINVAL");
	s = spec(NSBOX_ADDR_POOL, "10.0.0.0", 24, "10.0.0.9", "10.0.0.5");
	is_int(lease_file_name(&s, name, sizeof(name)), -EINVAL, "reversed range: -EINVAL");
	s = spec(NSBOX_ADDR_POOL, "10.0.0.0", 24, "fd00::1", "fd00::5");
	is_int(lease_file_name(&s, name, sizeof(name)), -EINVAL, "range of the other family: -EINVAL");
}

/* A pool widened (or moved, or overlapping another) while boxes are live
 * never hands out an address a live box holds. Under the old per-pool files the widened pool
 * started an empty database and gave .10 a second time. */
static void
test_widen(void)
{
	struct nsbox_addrspec narrow = spec(NSBOX_ADDR_POOL, "10.3.0.0", 24, "10.3.0.10", "10.3.0.11");
	struct nsbox_addrspec wide = spec(NSBOX_ADDR_POOL, "10.3.0.0", 24, "10.3.0.10", "10.3.0.20");
	struct nsbox_addrspec other = spec(NSBOX_ADDR_POOL, "10.3.0.0", 16, "10.3.0.5", "10.3.0.12");
	struct nsbox_addrspec stat = spec(NSBOX_ADDR_STATIC, "10.3.0.13", 24, NULL, NULL);
	bool twice = false;
	char seen[8][INET6_ADDRSTRLEN];

	usedir("widen");
	is_int(acq(&narrow, "w0000001", "alice", 11001, false), 0, "narrow pool: first box");
	is_str(got, "10.3.0.10", "first box has .10");
	snprintf(seen[0], sizeof(seen[0]), "%s", got);
	is_int(acq(&wide, "w0000002", "bob", 11002, false), 0, "widened pool: second box");
	is_str(got, "10.3.0.11", "widened pool: not the live box's .10");
	snprintf(seen[1], sizeof(seen[1]), "%s", got);
	is_int(lease_count(cur, &wide, fake_alive), 2, "the widened pool sees both leases");
	is_int(acq(&narrow, "w0000003", "carol", 11003, false), -EADDRNOTAVAIL,
	       "narrowed back: both addresses held, exhausted");
	/* an overlapping pool of another subnet (another bridge) and a static address inside the
	 * wide pool: still one database */
	is_int(acq(&other, "w0000004", "dave", 11004, false), 0, "overlapping pool");
	is_str(got, "10.3.0.5", "overlapping pool: below the held ones");
	snprintf(seen[2], sizeof(seen[2]), "%s", got);
	is_int(acq(&stat, "w0000005", "erin", 11005, false), 0, "static address inside the pool");
	snprintf(seen[3], sizeof(seen[3]), "%s", got);
	for (int i = 0; i < 4; i++) {
		char id[16];
		snprintf(id, sizeof(id), "w000001%d", i & 7);
		if (acq(i % 2 ? &other : &wide, id, "crowd", 11010 + i, false) != 0)
			snprintf(got, sizeof(got), "none%d", i);
		snprintf(seen[4 + i], sizeof(seen[4 + i]), "%s", got);
	}
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < i; j++)
			twice |= strcmp(seen[i], seen[j]) == 0;
	ok(!twice, "8 boxes over 3 overlapping definitions: 8 distinct addresses (%s .. %s)",
	   seen[0], seen[7]);
	ok(strcmp(seen[4], "10.3.0.13") && strcmp(seen[6], "10.3.0.13"),
	   "the static .13 is skipped by the pool");
	is_int(lease_release(cur, &narrow, "w0000002"), 0, "release through the other definition");
	is_int(lease_count(cur, &wide, fake_alive), 4, "released whatever pool it came from");
}

/* A host upgraded with live boxes still has the per-pool files of the old layout: their leases
 * are merged under the new lock, the old files go, and a held address is not handed out. */
static void
test_legacy(void)
{
	struct nsbox_addrspec wide = spec(NSBOX_ADDR_POOL, "10.2.0.0", 24, "10.2.0.10", "10.2.0.20");
	const char *old_a = "10.2.0.10 held l0000001 12001 1 alice\n10.2.0.12 free - 0 0 bob\n";
	const char *old_b = "10.2.0.11 held l0000002 12002 1 carol\ngarbage\n";
	const char *old6 = "fd02::10 held l0000006 12006 1 v6\n";
	char path[PATH_MAX];
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t len;
	int fd;

	usedir("legacy");
	fd = lease_dir_open(cur);
	close(fd);
	snprintf(path, sizeof(path), "%s/v4-10.2.0.0-24-10.2.0.10-10.2.0.11", cur);
	write_file(path, old_a, strlen(old_a));
	snprintf(path, sizeof(path), "%s/.v4-10.2.0.0-24-10.2.0.10-10.2.0.11.lock", cur);
	write_file(path, "", 0);
	snprintf(path, sizeof(path), "%s/v4-10.2.0.0-16-10.2.0.11-10.2.0.11", cur);
	write_file(path, old_b, strlen(old_b));
	snprintf(path, sizeof(path), "%s/v6-fd02__-64-fd02__1-fd02__ffff", cur);
	write_file(path, old6, strlen(old6));

	is_int(acq(&wide, "l0000003", "dave", 12003, true), 0, "acquire over legacy files (sticky)");
	is_str(got, "10.2.0.13", "legacy held .10 and .11 skipped, bob's .12 (free) left to sticky");
	is_int(res.corrupt, 1, "legacy garbage line counted, the merge itself is not damage");
	snprintf(path, sizeof(path), "%s/v4-10.2.0.0-24-10.2.0.10-10.2.0.11", cur);
	ok(stat(path, &st) < 0 && errno == ENOENT, "legacy file removed");
	snprintf(path, sizeof(path), "%s/.v4-10.2.0.0-24-10.2.0.10-10.2.0.11.lock", cur);
	ok(stat(path, &st) < 0 && errno == ENOENT, "legacy lock removed");
	snprintf(path, sizeof(path), "%s/v4-10.2.0.0-16-10.2.0.11-10.2.0.11", cur);
	ok(stat(path, &st) < 0 && errno == ENOENT, "second legacy file removed");
	snprintf(path, sizeof(path), "%s/v6-fd02__-64-fd02__1-fd02__ffff", cur);
	ok(stat(path, &st) == 0, "the v6 legacy file waits for the v6 database");
	is_int(lease_count(cur, &wide, fake_alive), 3, "3 live leases after the merge");
	snprintf(path, sizeof(path), "%s/v4", cur);
	text = read_all(path, &len);
	ok(text && strstr(text, "10.2.0.10 held l0000001 12001 1 alice\n") &&
		   strstr(text, "10.2.0.11 held l0000002 12002 1 carol\n") &&
		   strstr(text, "10.2.0.12 free - 0 0 bob\n"),
	   "the v4 database holds the legacy entries");
	is_int(acq(&wide, "l0000004", "bob", 12004, true), 0, "bob again, sticky");
	is_str(got, "10.2.0.12", "sticky memory survived the merge");
	is_int(lease_release(cur, &wide, "l0000001"), 0, "a legacy lease releases from the database");
	is_int(lease_count(cur, &wide, fake_alive), 3, "released");

	struct nsbox_addrspec s6 = spec(NSBOX_ADDR_POOL, "fd02::", 64, "fd02::10", "fd02::20");
	is_int(acq(&s6, "l0000007", "w", 12007, false), 0, "v6 acquire over the v6 legacy file");
	is_str(got, "fd02::11", "v6 legacy lease kept");
	snprintf(path, sizeof(path), "%s/v6-fd02__-64-fd02__1-fd02__ffff", cur);
	ok(stat(path, &st) < 0 && errno == ENOENT, "v6 legacy file removed");

	/* a legacy file whose lock an old helper holds: the login waits, then fails, never
	 * leases around it */
	snprintf(path, sizeof(path), "%s/v4-10.2.0.0-24-10.2.0.30-10.2.0.30", cur);
	write_file(path, "10.2.0.14 held l0000008 12008 1 x\n", 34);
	snprintf(path, sizeof(path), "%s/.v4-10.2.0.0-24-10.2.0.30-10.2.0.30.lock", cur);
	write_file(path, "", 0);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ok(fd >= 0 && flock(fd, LOCK_EX) == 0, "an old helper holds a legacy lock");
	is_int(acq(&wide, "l0000009", "y", 12009, false), -ETIMEDOUT, "legacy lock held: -ETIMEDOUT");
	close(fd);
	is_int(acq(&wide, "l0000009", "y", 12009, false), 0, "legacy lock free: acquire");
	is_str(got, "10.2.0.10", "the legacy .14 is not handed out (.10 was released)");
	is_int(acq(&wide, "l0000010", "z", 12010, false), 0, "next");
	is_str(got, "10.2.0.15", "next skips .13, .14");
	snprintf(path, sizeof(path), "%s/.v4-10.2.0.0-24-10.2.0.30-10.2.0.30.lock", cur);
	ok(stat(path, &st) < 0 && errno == ENOENT, "the legacy lock went with its file");

	/* an old helper's release recreates its lock (and no file): the lock goes next time */
	write_file(path, "", 0);
	is_int(lease_release(cur, &wide, "l0000010"), 0, "release");
	ok(stat(path, &st) < 0 && errno == ENOENT, "a legacy lock without its file is removed");
	snprintf(path, sizeof(path), "%s/.v4.lock", cur);
	ok(stat(path, &st) == 0, "the database's own lock stays");
}

static void
test_sequential_release(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.0.0.0", 24, NULL, NULL);

	usedir("seq");
	is_int(acq(&s, "b0000001", "alice", 1001, false), 0, "first acquire");
	is_str(got, "10.0.0.1", "first address is .1 (not the network)");
	is_int(res.reclaimed + res.corrupt, 0, "nothing reclaimed or corrupt");
	acq(&s, "b0000002", "bob", 1002, false);
	is_str(got, "10.0.0.2", "second is .2");
	acq(&s, "b0000003", "carol", 1003, false);
	is_str(got, "10.0.0.3", "third is .3");
	is_int(lease_count(cur, &s, fake_alive), 3, "3 leases");
	is_int(acq(&s, "b0000001", "alice", 1001, false), 0, "same owner asks again");
	is_str(got, "10.0.0.1", "same owner: same address");
	is_int(lease_count(cur, &s, fake_alive), 3, "still 3 leases");

	is_int(lease_release(cur, &s, "b0000002"), 0, "release .2");
	is_int(lease_count(cur, &s, fake_alive), 2, "2 leases");
	is_int(lease_release(cur, &s, "b0000002"), 0, "release twice: 0");
	is_int(lease_release(cur, &s, "ffffffff"), 0, "release unknown id: 0");
	is_int(lease_release(cur, &s, "bad id"), -EINVAL, "release of a bad id: -EINVAL");
	acq(&s, "b0000004", "dave", 1004, false);
	is_str(got, "10.0.0.2", "released address reused (lowest free)");
	acq(&s, "b0000005", "erin", 1005, false);
	is_str(got, "10.0.0.4", "then the next one");
}

static void
test_static(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_STATIC, "10.0.0.5", 24, NULL, NULL);

	usedir("static");
	is_int(acq(&s, "c0000001", "alice", 2001, false), 0, "static acquire");
	is_str(got, "10.0.0.5", "static: exactly the configured address");
	is_int(acq(&s, "c0000002", "bob", 2002, false), -EADDRINUSE, "held by a live box: -EADDRINUSE");
	is_int(acq(&s, "c0000001", "alice", 2001, false), 0, "same owner again: 0");
	kill_owner(2001);
	is_int(acq(&s, "c0000002", "bob", 2002, false), 0, "owner dead: taken over");
	is_str(got, "10.0.0.5", "same static address");
	is_int(res.reclaimed, 1, "one lease reclaimed");
	is_int(lease_release(cur, &s, "c0000002"), 0, "release");
	is_int(acq(&s, "c0000003", "carol", 2003, false), 0, "free again after release");
}

static void
test_reclaim(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.0.1.0", 24, NULL, NULL);

	usedir("reclaim");
	acq(&s, "d0000001", "alice", 3001, false);
	acq(&s, "d0000002", "bob", 3002, false);
	acq(&s, "d0000003", "carol", 3003, false);
	is_str(got, "10.0.1.3", "three leases");
	kill_owner(3001);
	kill_owner(3002);
	is_int(lease_count(cur, &s, fake_alive), 1, "count: only live owners");
	is_int(acq(&s, "d0000004", "dave", 3004, false), 0, "acquire after deaths");
	is_int(res.reclaimed, 2, "two dead leases reclaimed");
	is_str(got, "10.0.1.1", "lowest reclaimed address reused");
	is_int(lease_count(cur, &s, fake_alive), 2, "2 live leases");
	is_int(acq(&s, "d0000005", "erin", 3005, false), 0, "next");
	is_int(res.reclaimed, 0, "nothing left to reclaim");
	is_str(got, "10.0.1.2", "the other reclaimed address");
}

/* What the boxes of one user hold of one pool (pool_share counts it): only their ids, only that
 * pool's range, only live owners. */
static void
test_held_by(void)
{
	struct nsbox_addrspec a = spec(NSBOX_ADDR_POOL, "10.0.3.0", 24, "10.0.3.10", "10.0.3.19");
	struct nsbox_addrspec b = spec(NSBOX_ADDR_POOL, "10.0.3.0", 24, "10.0.3.20", "10.0.3.29");
	const char *mine[] = { "e0000003", "e0000001", "e0000004" };

	usedir("heldby");
	acq(&a, "e0000001", "alice", 3101, false);
	acq(&a, "e0000002", "bob", 3102, false);
	acq(&a, "e0000003", "alice2", 3103, false);
	acq(&b, "e0000004", "alice", 3104, false);
	is_int(lease_count_held_by(cur, &a, mine, 3, fake_alive), 2,
	       "held by the user's boxes: 2 of pool a (another user's lease not counted)");
	is_int(lease_count_held_by(cur, &b, mine, 3, fake_alive), 1, "and 1 of pool b");
	is_int(lease_count_held_by(cur, &a, mine, 0, fake_alive), 0, "no boxes: none held");
	kill_owner(3103);
	is_int(lease_count_held_by(cur, &a, mine, 3, fake_alive), 1, "a dead owner's lease not counted");
	is_int(lease_count(cur, &a, fake_alive), 2, "lease_count: every live lease of the pool");
}

static void
test_exhaustion_range(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.0.2.0", 30, NULL, NULL);

	usedir("small");
	is_int(acq(&s, "e0000001", "alice", 4001, false), 0, "/30: first");
	is_str(got, "10.0.2.1", "/30: .1");
	is_int(acq(&s, "e0000002", "bob", 4002, false), 0, "/30: second");
	is_str(got, "10.0.2.2", "/30: .2 (not the broadcast .3)");
	is_int(acq(&s, "e0000003", "carol", 4003, false), -EADDRNOTAVAIL, "/30: third: -EADDRNOTAVAIL");
	lease_release(cur, &s, "e0000001");
	is_int(acq(&s, "e0000003", "carol", 4003, false), 0, "after a release: room again");
	is_str(got, "10.0.2.1", "the released one");

	s = spec(NSBOX_ADDR_POOL, "10.1.0.0", 16, "10.1.0.10", "10.1.0.12");
	acq(&s, "e0000011", "u1", 4011, false);
	is_str(got, "10.1.0.10", "range: starts at FIRST");
	acq(&s, "e0000012", "u2", 4012, false);
	is_str(got, "10.1.0.11", "range: second");
	acq(&s, "e0000013", "u3", 4013, false);
	is_str(got, "10.1.0.12", "range: LAST");
	is_int(acq(&s, "e0000014", "u4", 4014, false), -EADDRNOTAVAIL, "range exhausted: -EADDRNOTAVAIL");
}

/* The pool's gateway is never handed out, and nothing about it is written to the file. */
static void
test_exclude_gateway(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.0.3.0", 29, NULL, NULL);
	struct nsbox_ip gw, far;
	struct lease_owner o;
	char path[256], buf[512];

	ip_set(&gw, "10.0.3.1");
	ip_set(&far, "10.9.9.9");
	usedir("gateway");
	o = owner("f0000001", "alice", 5001);
	is_int(lease_acquire_excluding(cur, &s, &o, false, fake_alive, &gw, &res), 0,
	       "exclude: first acquire");
	inet_ntop(AF_INET, &res.ip.v4, got, sizeof(got));
	is_str(got, "10.0.3.2", "exclude: the gateway .1 is skipped");
	o = owner("f0000002", "bob", 5002);
	lease_acquire_excluding(cur, &s, &o, false, fake_alive, &far, &res);
	inet_ntop(AF_INET, &res.ip.v4, got, sizeof(got));
	is_str(got, "10.0.3.1", "exclude: an address outside the pool changes nothing");
	lease_release(cur, &s, "f0000002");
	path_of(&s, path, sizeof(path));
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	ok(strstr(buf, "10.0.3.1 held") == NULL, "exclude: the gateway is never written as held");
	for (int i = 0; i < 4; i++) {
		char id[24];
		snprintf(id, sizeof(id), "f000001%d", i);
		o = owner(id, "u", 5010 + i);
		lease_acquire_excluding(cur, &s, &o, false, fake_alive, &gw, &res);
		inet_ntop(AF_INET, &res.ip.v4, got, sizeof(got));
		ok(strcmp(got, "10.0.3.1") != 0, "exclude: acquire %d does not get the gateway (%s)", i,
		   got);
	}
	o = owner("f0000020", "u", 5020);
	is_int(lease_acquire_excluding(cur, &s, &o, false, fake_alive, &gw, &res), -EADDRNOTAVAIL,
	       "exclude: a /29 with its gateway excluded holds 5 boxes");
}

static void
test_sticky(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.0.3.0", 24, NULL, NULL);

	usedir("sticky");
	acq(&s, "f0000001", "alice", 5001, true);
	acq(&s, "f0000002", "bob", 5002, true);
	is_str(got, "10.0.3.2", "bob has .2");
	lease_release(cur, &s, "f0000001");
	is_int(acq(&s, "f0000003", "carol", 5003, true), 0, "carol while alice's .1 is free");
	is_str(got, "10.0.3.3", "sticky: alice's last address is left to her");
	is_int(acq(&s, "f0000004", "alice", 5004, true), 0, "alice again");
	is_str(got, "10.0.3.1", "sticky: alice gets .1 back");

	lease_release(cur, &s, "f0000002"); /* bob frees .2 */
	lease_release(cur, &s, "f0000004"); /* alice frees .1 */
	is_int(acq(&s, "f0000005", "bob", 5005, true), 0, "bob again, sticky");
	is_str(got, "10.0.3.2", "sticky: bob gets .2, not the lowest free .1");
	lease_release(cur, &s, "f0000005");
	is_int(acq(&s, "f0000006", "bob", 5006, false), 0, "bob again, not sticky");
	is_str(got, "10.0.3.1", "no sticky: the lowest free address");

	/* Only remembered addresses left: a newcomer still gets one. */
	s = spec(NSBOX_ADDR_POOL, "10.0.4.0", 30, NULL, NULL);
	acq(&s, "f0000011", "alice", 5011, true);
	acq(&s, "f0000012", "bob", 5012, true);
	lease_release(cur, &s, "f0000011");
	lease_release(cur, &s, "f0000012");
	is_int(acq(&s, "f0000013", "carol", 5013, true), 0, "sticky pool of remembered addresses");
	is_str(got, "10.0.4.1", "newcomer takes the lowest remembered one");
	is_int(acq(&s, "f0000014", "bob", 5014, true), 0, "bob");
	is_str(got, "10.0.4.2", "bob still gets his");
}

static void
test_ipv6(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "fd00::", 64, NULL, NULL);
	char path[PATH_MAX];
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	usedir("v6");
	is_int(acq(&s, "a6000001", "alice", 6001, false), 0, "v6 /64 acquire");
	is_str(got, "fd00::1", "first is ::1 (::0 skipped)");
	acq(&s, "a6000002", "bob", 6002, false);
	is_str(got, "fd00::2", "then ::2");

	/* 1000 live leases: the walk goes over the leases, not over 2^64 addresses. */
	s = spec(NSBOX_ADDR_POOL, "fd01::", 64, NULL, NULL);
	text = malloc(64 * 1000);
	for (unsigned i = 1; i <= 1000; i++)
		len += (size_t)sprintf(text + len, "fd01::%x held a%07u %u 1 u%u\n", i, i, 10000 + i, i);
	prefill(&s, text, len);
	is_int(acq(&s, "a6000003", "carol", 6003, false), 0, "/64 with 1000 leases");
	is_str(got, "fd01::3e9", "next after 1000 leases");
	is_int(res.corrupt, 0, "no corrupt line");
	is_int(lease_count(cur, &s, all_alive), 1001, "1001 leases");

	/* The whole address space, and its very top (no overflow past 2^128 - 1). */
	s = spec(NSBOX_ADDR_POOL, "::", 0, NULL, NULL);
	is_int(acq(&s, "a6000004", "dave", 6004, false), 0, "::/0 pool");
	is_str(got, "::1", "::/0: ::1");
	s = spec(NSBOX_ADDR_POOL, "::", 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
		 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	acq(&s, "a6000005", "u5", 6005, false);
	is_str(got, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "top range: first");
	acq(&s, "a6000006", "u6", 6006, false);
	is_str(got, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "top range: the last address");
	is_int(acq(&s, "a6000007", "u7", 6007, false), -EADDRNOTAVAIL, "top range exhausted: -EADDRNOTAVAIL");

	usedir("v6-static");
	s = spec(NSBOX_ADDR_STATIC, "fd00::42", 64, NULL, NULL);
	is_int(acq(&s, "a6000008", "u8", 6008, false), 0, "v6 static");
	is_str(got, "fd00::42", "v6 static address");
	path_of(&s, path, sizeof(path));
	free(text);
	text = read_all(path, &len);
	is_str(text, "fd00::42 held a6000008 6008 42056 u8\n", "file format");
}

static void
test_corrupt(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.9.0.0", 24, NULL, NULL);
	static const char junk[] = "\x01\x02\xff\xfe\0\0binary\0junk";
	char path[PATH_MAX], longline[2100];
	_cleanup_free_ char *text = NULL;
	char buf[8192];
	size_t len = 0;
	bool dup = false;

	usedir("corrupt");
	memset(longline, 'x', 2000);
	longline[2000] = '\0';
#define ADD(...) (len += (size_t)snprintf(buf + len, sizeof(buf) - len, __VA_ARGS__))
	ADD("10.9.0.1 held aaaa 100 700 alice\n");         /* valid */
	ADD("garbage\n");                                 /* 1 */
	ADD("10.9.0.1 held bbbb 101 707 bob\n");           /* 2: duplicate held */
	ADD("10.9.1.1 held cccc 102 714 carol\n");         /* valid: another pool's */
	ADD("10.9.0.0 held dddd 103 1 dave\n");            /* valid: another pool's */
	ADD("10.9.0.2 held  eeee 104 1 eve\n");            /* 5: empty field */
	ADD("10.9.0.3 held ffff 0 1 fay\n");               /* 6: pid 0 */
	ADD("10.9.0.4 held gggg 105 1 user name\n");       /* 7: seven fields */
	ADD("10.9.0.5 free - 0 0 hank\n");                 /* valid free */
	memcpy(buf + len, junk, sizeof(junk));             /* 8: binary junk with NULs */
	len += sizeof(junk);
	ADD("\n");
	ADD("10.9.0.6 held hhhh 106 1 %s\n", longline);    /* 9: over-long line */
	ADD("10.9.0.7 held iiii 99999999999999999999 1 x\n"); /* 10: pid overflow */
	ADD("10.9.0.9 held kkkk 108 1 jo\r\n");            /* 11: CR */
	ADD("fd00::1 held llll 109 1 v6\n");               /* 12: other family */
	ADD("10.9.0.10 lent mmmm 110 1 x\n");              /* 13: unknown state */
	ADD("\n");                                        /* 14: empty line */
	ADD("10.9.0.8 held jjjj 107 1 ivan\n");            /* valid */
	ADD("10.9.0.11 held nnnn 111 1 tr");               /* 15: cut short */
#undef ADD
	prefill(&s, buf, len);
	is_int(acq(&s, "bad00001", "zed", 9001, false), 0, "acquire from a corrupt file");
	is_int(res.corrupt, 13, "13 bad lines counted");
	is_str(got, "10.9.0.2", "lowest address not held by a valid line");
	path_of(&s, path, sizeof(path));
	text = read_all(path, &len);
	is_str(text,
	       "10.9.0.1 held aaaa 100 700 alice\n"
	       "10.9.1.1 held cccc 102 714 carol\n"
	       "10.9.0.0 held dddd 103 1 dave\n"
	       "10.9.0.5 free - 0 0 hank\n"
	       "10.9.0.8 held jjjj 107 1 ivan\n"
	       "10.9.0.2 held bad00001 9001 63007 zed\n",
	       "the rewritten file holds only the valid lines (other pools' too), in recency order");
	for (int i = 0; i < 6; i++) {
		char id[16];
		snprintf(id, sizeof(id), "bad1%04d", i);
		acq(&s, id, "zed", 9100 + i, false);
		if (!strcmp(got, "10.9.0.1") || !strcmp(got, "10.9.0.8"))
			dup = true;
	}
	is_str(got, "10.9.0.9", "the free .5 was reused, the held .8 skipped");
	ok(!dup, "held addresses of valid lines are never handed out again");
	is_int(lease_count(cur, &s, fake_alive), 9, "2 valid in the pool + 7 new leases");
	is_int(acq(&s, "bad00002", "zed", 9200, false), 0, "next acquire");
	is_int(res.corrupt, 0, "nothing corrupt any more");

	/* Truncated mid-line and a lone number. */
	s = spec(NSBOX_ADDR_POOL, "10.9.1.0", 24, NULL, NULL);
	const char *cut = "10.9.1.1 held a 1 1 u\n10.9.1.2 he";
	prefill(&s, cut, strlen(cut));
	is_int(acq(&s, "bad00003", "zed", 9300, false), 0, "truncated last line");
	is_int(res.corrupt, 1, "counted once");
	is_str(got, "10.9.1.2", "address of the cut line is free");

	/* Past the limit: one valid line, then junk lines beyond LEASE_MAX_FILE. */
	const size_t over = LEASE_MAX_FILE + 1024 * 1024;
	s = spec(NSBOX_ADDR_POOL, "10.9.2.0", 24, NULL, NULL);
	free(text);
	text = malloc(over + 64);
	len = (size_t)sprintf(text, "10.9.2.1 held big1 1 1 u\n");
	while (len < over) {
		memcpy(text + len, "junkjunk\n", 9);
		len += 9;
	}
	prefill(&s, text, len);
	is_int(acq(&s, "bad00004", "zed", 9400, false), 0, "file past the limit: acquire works");
	ok(res.corrupt > 1, "file past the limit: junk counted (%u)", res.corrupt);
	is_str(got, "10.9.2.2", "file past the limit: the valid holder kept");
	path_of(&s, path, sizeof(path));
	struct stat st;
	ok(stat(path, &st) == 0 && st.st_size < 1024, "rewritten small (%lld bytes)",
	   (long long)st.st_size);

	/* Past the limit in one line without newline. */
	s = spec(NSBOX_ADDR_POOL, "10.9.3.0", 24, NULL, NULL);
	memset(text, 'A', over);
	prefill(&s, text, over);
	is_int(acq(&s, "bad00005", "zed", 9500, false), 0, "one line past the limit: acquire works");
	ok(res.corrupt >= 1, "one line past the limit: counted");
	is_str(got, "10.9.3.1", "one line past the limit: first address");

	/* The free entries are capped, newest kept. */
	s = spec(NSBOX_ADDR_POOL, "10.8.0.0", 16, NULL, NULL);
	len = 0;
	for (unsigned i = 0; i < 5000; i++)
		len += (size_t)sprintf(text + len, "10.8.%u.%u free - 0 0 user%u\n", 1 + i / 250,
				       1 + i % 250, i);
	prefill(&s, text, len);
	is_int(acq(&s, "bad00006", "newbie", 9600, true), 0, "5000 free entries");
	ok(strcmp(got, "10.8.0.1") == 0, "sticky: a never-used address (%s)", got);
	path_of(&s, path, sizeof(path));
	free(text);
	text = read_all(path, &len);
	is_int(count_lines(text), LEASE_MAX_FREE + 1, "file keeps 4096 free + 1 held");
	ok(text && !strstr(text, " user0\n") && strstr(text, " user4999\n"),
	   "the oldest free entries were dropped");
}

/* A /16 pool, every address held by a box of a user with a 255-byte name but one: every holder
 * is read and written (the 1 MiB cap of earlier versions held 3,500 such leases and handed out
 * addresses that were held), the one free address is found, and then the pool is exhausted. */
static void
test_big_pool(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.77.0.0", 16, NULL, NULL);
	char user[256], path[PATH_MAX];
	const unsigned hosts = 65534, free_at = 51000; /* 10.77.199.56 */
	size_t len = 0, cap = (size_t)hosts * 320;
	_cleanup_free_ char *text = malloc(cap);

	usedir("bigpool");
	memset(user, 'u', 255);
	user[255] = '\0';
	for (unsigned i = 1; text && i <= hosts; i++)
		if (i != free_at)
			len += (size_t)snprintf(text + len, cap - len, "10.77.%u.%u held %08x %u %u %s\n",
						i >> 8, i & 255, i, 200000 + i, i, user);
	ok(text && len > 16 * 1024 * 1024, "a /16 of held leases with 255-byte names: %zu MiB", len >> 20);
	if (!text)
		return;
	prefill(&s, text, len);
	is_int(acq(&s, "b16a0001", user, 99001, false), 0, "acquire from the full pool");
	is_str(got, "10.77.199.56", "the one address nobody holds");
	is_int(res.corrupt, 0, "no line dropped");
	is_int(acq(&s, "b16a0002", user, 99002, false), -EADDRNOTAVAIL, "then the pool is exhausted");
	path_of(&s, path, sizeof(path));
	_cleanup_free_ char *after = read_all(path, &len);
	is_int(count_lines(after), hosts, "the file holds every lease");
	is_int(lease_release(cur, &s, "b16a0001"), 0, "release");
	is_int(acq(&s, "b16a0003", user, 99003, false), 0, "and the released address is leased again");
	is_str(got, "10.77.199.56", "the same one");
}

static void
test_parse_line(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.0.0.0", 24, NULL, NULL);
	struct lease_pool p;
	struct lease_entry e;
#define L(str) lease_parse_line(str, strlen(str), p.family, &e)

	pool_from_spec(&s, &p);
	is_int(L("10.0.0.7 held 0123abcd 42 99 alice"), 0, "parse a held line");
	ok(e.held && e.o.proc.pid == 42 && e.o.proc.start == 99 && !strcmp(e.o.user, "alice") &&
		   !strcmp(e.o.id, "0123abcd"),
	   "fields");
	is_int(L("10.0.0.7 free - 0 0 al\xc3\xa9"), 0, "free line, UTF-8 user");
	is_int(L("10.0.0.7 held - 42 99 alice"), -EINVAL, "held without id");
	is_int(L("10.0.0.7 held 0123456789abcdef0 42 99 a"), -EINVAL, "id too long");
	is_int(L("10.0.0.7 held id -1 99 a"), -EINVAL, "negative pid");
	is_int(L("10.0.0.7 held id 2147483648 99 a"), -EINVAL, "pid over INT_MAX");
	is_int(L("10.0.0.7 held id 1 18446744073709551616 a"), -EINVAL, "start overflow");
	is_int(L("10.0.0.7 held id 1 18446744073709551615 a"), 0, "start max");
	is_int(L("10.0.0.255 held id 1 1 a"), 0, "any address of the family (another pool's)");
	is_int(L("fd00::1 held id 1 1 a"), -EINVAL, "the other family");
	is_int(L("10.0.0.7 held id 1 1 a "), -EINVAL, "trailing space");
	is_int(L("10.0.0.7\theld id 1 1 a"), -EINVAL, "tab");
	is_int(L("10.0.0.7 held id 1 1 a\x7f"), -EINVAL, "DEL in user");
	is_int(L("010.0.0.7 held id 1 1 a"), -EINVAL, "leading zero in address");
	is_int(L(""), -EINVAL, "empty");
#undef L
}

static void
test_dir_safety(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.7.0.0", 24, NULL, NULL);
	char path[PATH_MAX], target[PATH_MAX];
	struct stat st;

	usedir("deep/er/dir");
	is_int(acq(&s, "dd000001", "alice", 7001, false), 0, "missing parents created");
	ok(stat(cur, &st) == 0 && (st.st_mode & 0777) == 0700, "dir is 0700");
	path_of(&s, path, sizeof(path));
	ok(stat(path, &st) == 0 && (st.st_mode & 077) == 0, "lease file is private");
	snprintf(path, sizeof(path), "%s/.v4.lock", cur);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "lock file is 0600");

	snprintf(target, sizeof(target), "%s/real", base);
	mkdir(target, 0700);
	snprintf(path, sizeof(path), "%s/link", base);
	ok(symlink(target, path) == 0, "symlink to a dir");
	usedir("link");
	is_int(acq(&s, "dd000002", "bob", 7002, false), -EPERM, "symlinked dir: -EPERM");
	snprintf(path, sizeof(path), "%s/file", base);
	write_file(path, "x", 1);
	usedir("file");
	is_int(acq(&s, "dd000002", "bob", 7002, false), -EPERM, "file as dir: -EPERM");
	snprintf(path, sizeof(path), "%s/open", base);
	mkdir(path, 0700);
	chmod(path, 0777);
	usedir("open");
	is_int(acq(&s, "dd000002", "bob", 7002, false), -EPERM, "world-writable dir: -EPERM");
	chmod(path, 0720);
	is_int(acq(&s, "dd000002", "bob", 7002, false), -EPERM, "group-writable dir: -EPERM");
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/theirs", base);
		mkdir(path, 0700);
		ok(chown(path, 1, 1) == 0, "chown to uid 1");
		usedir("theirs");
		is_int(acq(&s, "dd000002", "bob", 7002, false), -EPERM, "dir not ours: -EPERM");
	} else {
		ok(1, "# SKIP not root");
		ok(1, "# SKIP not root");
	}

	usedir("links");
	acq(&s, "dd000003", "carol", 7003, false);
	path_of(&s, path, sizeof(path));
	unlink(path);
	ok(symlink("/etc/passwd", path) == 0, "symlink planted");
	is_int(acq(&s, "dd000004", "dave", 7004, false), -EPERM, "symlinked lease file: -EPERM");
	unlink(path);
	snprintf(path, sizeof(path), "%s/.v4.lock", cur);
	unlink(path);
	ok(symlink("/etc/passwd", path) == 0, "symlink planted");
	is_int(acq(&s, "dd000004", "dave", 7004, false), -EPERM, "symlinked lock file: -EPERM");
	unlink(path);
	chmod(cur, 0700);
	mkfifo(path, 0600);
	is_int(acq(&s, "dd000004", "dave", 7004, false), -EPERM, "FIFO as lock file: -EPERM");
	unlink(path);
	is_int(acq(&s, "dd000004", "dave", 7004, false), 0, "clean again: works");

	struct lease_owner o = owner("with space", "u", 1);
	is_int(lease_acquire(cur, &s, &o, false, fake_alive, &res), -EINVAL, "bad id: -EINVAL");
	o = owner("-", "u", 1);
	is_int(lease_acquire(cur, &s, &o, false, fake_alive, &res), -EINVAL, "id '-': -EINVAL");
	o = owner("ok", "", 1);
	is_int(lease_acquire(cur, &s, &o, false, fake_alive, &res), -EINVAL, "empty user: -EINVAL");
	o = owner("ok", "a\nb", 1);
	is_int(lease_acquire(cur, &s, &o, false, fake_alive, &res), -EINVAL, "newline in user: -EINVAL");
	o = owner("ok", "u", 0);
	is_int(lease_acquire(cur, &s, &o, false, fake_alive, &res), -EINVAL, "pid 0: -EINVAL");
}

static void
test_owner_alive(void)
{
	struct lease_owner o = owner("self", "u", getpid());
	unsigned long long start;
	pid_t child;
	int st;

	is_int(proc_id(getpid(), &o.proc), 0, "own start time read");
	start = o.proc.start;
	ok(lease_owner_alive(&o), "self is alive");
	o.proc.start = start + 1;
	ok(!lease_owner_alive(&o), "wrong start time: not alive (pid reused)");
	o.proc.pid = 0;
	ok(!lease_owner_alive(&o), "pid 0: not alive");

	fflush(stdout);
	child = fork();
	if (child == 0)
		_exit(0);
	usleep(100 * 1000);
	proc_id(child, &o.proc);
	ok(!lease_owner_alive(&o), "zombie: not alive");
	waitpid(child, &st, 0);
	ok(!lease_owner_alive(&o), "reaped: not alive");
}

/* A start time that cannot be read is an error, never "dead": the lease of an owner nobody can
 * judge is kept and counted. Probe: the same file with a dead owner is
 * reclaimed. */
static void
test_owner_unknown(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.4.2.0", 30, NULL, NULL);
	const char *held = "10.4.2.1 held b1 4242 1 u\n";
	struct lease_owner o = owner("b2", "u", 4343);
	unsigned long long start;
	char state;

	usedir("unknown");
	prefill(&s, held, strlen(held));
	is_int(lease_acquire(cur, &s, &o, false, unknown_alive, &res), 0, "unknown owner: acquire works");
	is_int(res.reclaimed, 0, "unknown owner: its lease is not reclaimed");
	ok(res.ip.v4.s_addr == inet_addr("10.4.2.2"), "unknown owner: its address is not handed out");
	is_int(lease_count(cur, &s, unknown_alive), 2, "unknown owners are counted");
	usedir("unknown-dead");
	prefill(&s, held, strlen(held));
	is_int(lease_acquire(cur, &s, &o, false, none_alive, &res), 0, "dead owner: acquire works");
	is_int(res.reclaimed, 1, "probe: a dead owner's lease is reclaimed");

	is_int(proc_stat_parse("1 (a) b) S 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 777 0\n", &start,
			       &state), 0, "stat with ')' in comm parses");
	ok(start == 777 && state == 'S', "start time and state from the last ')'");
	is_int(proc_stat_parse("1 (a) S 0 0", &start, &state), -EIO, "short stat: -EIO, not dead");
	is_int(proc_stat_parse("1 (a) S 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 x 0", &start, &state),
	       -EIO, "non-numeric start time: -EIO");
	struct nsbox_proc none = { 0 };
	is_int(proc_id(0, &none), -EINVAL, "proc_id of pid 0: -EINVAL");
}

static void
test_lock_timeout(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.6.0.0", 24, NULL, NULL);
	char path[PATH_MAX], name[NAME_MAX + 1], c;
	int pfd[2], st;
	pid_t child;

	usedir("lock");
	is_int(acq(&s, "ee000001", "alice", 8001, false), 0, "lock test: first acquire");
	lease_file_name(&s, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/.%s.lock", cur, name);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		abort();
	fflush(stdout);
	child = fork();
	if (child == 0) {
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		sleep(6);
		_exit(0);
	}
	close(pfd[1]);
	is_int(read(pfd[0], &c, 1), 1, "child holds the lock");
	close(pfd[0]);
	is_int(acq(&s, "ee000002", "bob", 8002, false), -ETIMEDOUT, "lock held elsewhere: -ETIMEDOUT");
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	is_int(acq(&s, "ee000002", "bob", 8002, false), 0, "lock free again: acquire works");
	is_str(got, "10.6.0.2", "and gets the next address");
}

#define N_CONC 50

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_concurrent(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.5.0.0", 24, NULL, NULL);
	char addrs[N_CONC][64];
	pid_t kids[N_CONC];
	int pfd[2], failed = 0, distinct = 1;
	size_t n = 0;

	usedir("conc");
	if (pipe2(pfd, O_CLOEXEC) < 0)
		abort();
	fflush(stdout);
	for (int i = 0; i < N_CONC; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			struct lease_owner o;
			struct lease_result r;
			char id[16], msg[64] = "";
			snprintf(id, sizeof(id), "c%07d", i);
			o = owner(id, "crowd", 20000 + i);
			close(pfd[0]);
			if (lease_acquire(cur, &s, &o, false, all_alive, &r) == 0)
				inet_ntop(AF_INET, &r.ip.v4, msg, sizeof(msg));
			else
				snprintf(msg, sizeof(msg), "error");
			_exit(write(pfd[1], msg, sizeof(msg)) == (ssize_t)sizeof(msg) ? 0 : 1);
		}
	}
	close(pfd[1]);
	while (n < N_CONC && read(pfd[0], addrs[n], sizeof(addrs[n])) == sizeof(addrs[n]))
		n++;
	close(pfd[0]);
	for (int i = 0; i < N_CONC; i++) {
		int st;
		if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	is_int(n, N_CONC, "50 answers");
	is_int(failed, 0, "every child exited cleanly");
	qsort(addrs, n, sizeof(addrs[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(addrs[i], "10.5.0.", 7) != 0 || (i > 0 && !strcmp(addrs[i], addrs[i - 1])))
			distinct = 0;
	}
	ok(distinct, "50 distinct addresses from the pool");
	is_int(lease_count(cur, &s, all_alive), N_CONC, "lease_count == 50");
	is_int(acq(&s, "c9999999", "late", 29999, false), 0, "one more");
	is_str(got, "10.5.0.51", "after 50 concurrent: .51");
}

static void
test_reboot(void)
{
	struct nsbox_addrspec s = spec(NSBOX_ADDR_POOL, "10.4.0.0", 24, NULL, NULL);
	char buf[8192];
	size_t len = 0;

	usedir("reboot");
	for (int i = 1; i <= 100; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "10.4.0.%d held r%07d %d 1 u%d\n",
					i, i, 40000 + i, i);
	prefill(&s, buf, len);
	n_dead = 0;
	for (int i = 1; i <= 100; i++)
		kill_owner(40000 + i);
	is_int(lease_count(cur, &s, fake_alive), 0, "100%% stale: no live lease");
	/* while the pool has free addresses, an acquire judges a bounded number of
	 * holders, not all of them */
	alive_calls = 0;
	is_int(lease_acquire(cur, &s, &(struct lease_owner){ .id = "r0000998", .user = "first",
							      .proc = { 49998, 1 } },
			     false, counting_alive, &res), 0, "first login after reboot");
	ok(alive_calls <= 8, "a pool with free addresses: at most 8 holders judged (%u)", alive_calls);
	ok(res.reclaimed >= 1 && res.reclaimed <= 8, "and the dead among them reclaimed (%u)",
	   res.reclaimed);
	is_int(lease_count(cur, &s, fake_alive), 1, "1 live lease");
	/* A pool with nothing free once the sampled holders are judged (here: they cannot be
	 * told, so they keep their addresses): every holder is judged, the dead all reclaimed. */
	usedir("reboot-full");
	struct nsbox_addrspec full = spec(NSBOX_ADDR_POOL, "10.4.0.0", 24, "10.4.0.1", "10.4.0.100");
	prefill(&full, buf, len);
	alive_calls = 0;
	is_int(lease_acquire(cur, &full, &(struct lease_owner){ .id = "r0000999", .user = "first",
								 .proc = { 49999, 1 } },
			     false, sample_unknown_alive, &res), 0, "first login after reboot, full pool");
	is_int(res.reclaimed, 100, "all 100 stale leases reclaimed at once");
	res.ip.family = AF_INET;
	inet_ntop(AF_INET, &res.ip.v4, got, sizeof(got));
	is_str(got, "10.4.0.1", "lowest address");
	is_int(lease_count(cur, &full, fake_alive), 1, "1 live lease");
	n_dead = 0;

	/* Real liveness: pids that cannot exist are dead. */
	s = spec(NSBOX_ADDR_POOL, "10.4.1.0", 24, NULL, NULL);
	const char *stale = "10.4.1.1 held dead1 2147483646 1 u\n";
	prefill(&s, stale, strlen(stale));
	struct lease_owner o = owner("real", "u", getpid());
	proc_id(getpid(), &o.proc);
	is_int(lease_acquire(cur, &s, &o, false, NULL, &res), 0, "default liveness check");
	is_int(res.reclaimed, 1, "impossible pid reclaimed");
	is_int(lease_count(cur, &s, NULL), 1, "self counted alive");
}

int
main(void)
{
	snprintf(base, sizeof(base), "/tmp/test_lease.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	test_file_name();
	test_widen();
	test_legacy();
	test_parse_line();
	test_sequential_release();
	test_static();
	test_reclaim();
	test_held_by();
	test_exhaustion_range();
	test_exclude_gateway();
	test_sticky();
	test_ipv6();
	test_corrupt();
	test_big_pool();
	test_reboot();
	test_dir_safety();
	test_owner_alive();
	test_owner_unknown();
	test_concurrent();
	test_lock_timeout();

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", base);
	return tap_done();
}
