// SPDX-License-Identifier: BSD-3-Clause
/* Address leases for bridged boxes: the pools, the owners, and the allocation, release and counts
 * over the host's one database per address family (lease_store.c keeps them on disk). Runs inside
 * nsbox-helper as root (and in the unit tests and the fuzzer as any user). Pure file work: no
 * netlink, no logging; every function returns 0 or -errno.
 *
 * Keyed by address, not by pool: every pool and static address of a family, on every bridge,
 * shares one database, so widening, narrowing or moving a pool while boxes are live can never
 * hand out an address a live box holds. One host-wide database is stricter
 * than needed for two bridges on separate L2 segments, and that is the point: nothing about a
 * bridge or a pool can make two boxes share an address.
 *
 * Entries outside the pool being leased from are kept untouched (they belong to other pools).
 * Addresses are 128-bit integers for both families, so no operation ever walks the pool:
 * everything is O(n log n) in the number of entries. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lease.h"
#include "lease_store.h"
#include "nsbox/cleanup.h"

/* The addresses one pool (or static address) hands out: lo..hi inclusive, inside net/prefix. */
struct lease_pool {
	int family;
	unsigned prefix;
	u128 net, lo, hi;
};

static bool
in_pool(const struct lease_pool *p, u128 a)
{
	return a >= p->lo && a <= p->hi;
}

static int
pool_from_spec(const struct nsbox_addrspec *spec, struct lease_pool *p)
{
	struct nsbox_ip first, last;
	unsigned bits;
	u128 a, mask;
	int r;

	if (!spec || (spec->mode != NSBOX_ADDR_POOL && spec->mode != NSBOX_ADDR_STATIC))
		return -EINVAL;
	p->family = spec->cidr.ip.family;
	bits = nsbox_ip_bits(p->family);
	if (!bits || spec->cidr.prefix > bits)
		return -EINVAL;
	r = nsbox_ip_to_u128(&spec->cidr.ip, &a);
	if (r < 0)
		return r;
	p->prefix = spec->cidr.prefix;
	mask = nsbox_host_mask(p->family, p->prefix);
	p->net = a & ~mask;

	if (spec->mode == NSBOX_ADDR_STATIC) {
		p->lo = p->hi = a;
		return 0;
	}
	if (spec->first.family != 0) {
		if (spec->first.family != p->family || spec->last.family != p->family)
			return -EINVAL;
		first = spec->first;
		last = spec->last;
	} else if (nsbox_cidr_hosts(&spec->cidr, &first, &last) < 0)
		/* IPv4: neither the network nor the broadcast address; IPv6: not the
		 * subnet-router anycast address (host part 0). */
		return -EINVAL;
	if (nsbox_ip_to_u128(&first, &p->lo) < 0 || nsbox_ip_to_u128(&last, &p->hi) < 0)
		return -EINVAL;
	if (p->lo > p->hi || (p->lo & ~mask) != p->net || (p->hi & ~mask) != p->net)
		return -EINVAL;
	return 0;
}

int
lease_file_name(const struct nsbox_addrspec *spec, char *out, size_t n)
{
	struct lease_pool p;
	int r = pool_from_spec(spec, &p);

	if (r < 0)
		return r;
	if (snprintf(out, n, "%s", db_name(p.family)) >= (int)n)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- owners ---- */

static bool
owner_valid(const struct lease_owner *o)
{
	return o && token_ok(o->id, LEASE_ID_MAX, false) && strcmp(o->id, "-") != 0 &&
	       token_ok(o->user, LEASE_USER_MAX, true) && o->proc.pid > 0;
}

static bool
same_owner(const struct lease_owner *a, const struct lease_owner *b)
{
	return a->proc.pid == b->proc.pid && a->proc.start == b->proc.start &&
	       strcmp(a->id, b->id) == 0;
}

int
lease_owner_alive(const struct lease_owner *o)
{
	return o ? proc_alive(&o->proc) : 0;
}

/* Opens DIR, locks and reads the database of SPEC's family (legacy files merged in). Returns
 * the lock fd (>= 0); *NAME is the database's name. */
static int
lease_open(const char *dir, const struct nsbox_addrspec *spec, struct lease_pool *p, int *dirfd,
	   const char **name, struct lease_db *db)
{
	int r = pool_from_spec(spec, p);

	if (r < 0)
		return r;
	*name = db_name(p->family);
	if (!*name)
		return -EAFNOSUPPORT;
	_cleanup_close_ int dfd = lease_dir_open(dir);
	if (dfd < 0)
		return dfd;
	_cleanup_close_ int lfd = lease_lock(dfd, *name, true);
	if (lfd < 0)
		return lfd;
	r = db_read(dfd, *name, p->family, db);
	if (r < 0)
		return r;
	r = migrate_legacy(dfd, *name, p->family, db);
	if (r < 0)
		return r;
	*dirfd = steal_fd(dfd);
	return steal_fd(lfd);
}

/* ---- allocation ---- */

#define NO_ENTRY SIZE_MAX

/* The lowest address of P not held (and, with SKIP_FREE, not remembered as free either). DB is
 * sorted by address and unique. *IDX: the free entry at that address, or NO_ENTRY. */
static int
lowest_gap(const struct lease_pool *p, const struct lease_db *db, bool skip_free, u128 *addr,
	   size_t *idx)
{
	u128 cand = p->lo;

	for (size_t i = 0; i < db->n; i++) {
		const struct lease_entry *e = &db->v[i];
		bool taken = e->held || skip_free;

		if (e->addr < cand)
			continue;
		if (!taken) {
			if (e->addr == cand) {
				*addr = cand;
				*idx = i;
				return 0;
			}
			continue;
		}
		if (e->addr > cand)
			break;
		if (cand == p->hi)
			return -EADDRNOTAVAIL; /* not ENOSPC: that is a full file system's */
		cand++;
	}
	*addr = cand;
	*idx = NO_ENTRY;
	return 0;
}

static int
pick(const struct lease_pool *p, const struct lease_db *db, const struct lease_owner *owner,
     bool is_static, bool sticky, u128 *addr, size_t *idx)
{
	size_t best = NO_ENTRY;

	/* Asked again by the same supervisor: the same answer. */
	for (size_t i = 0; i < db->n; i++) {
		if (db->v[i].held && in_pool(p, db->v[i].addr) && same_owner(&db->v[i].o, owner)) {
			*addr = db->v[i].addr;
			*idx = i;
			return 0;
		}
	}
	if (is_static) {
		*addr = p->lo;
		*idx = NO_ENTRY;
		for (size_t i = 0; i < db->n; i++) {
			if (db->v[i].addr != p->lo)
				continue;
			if (db->v[i].held)
				return -EADDRINUSE;
			*idx = i;
		}
		return 0;
	}
	if (sticky) {
		for (size_t i = 0; i < db->n; i++) {
			const struct lease_entry *e = &db->v[i];
			if (!e->held && in_pool(p, e->addr) && strcmp(e->o.user, owner->user) == 0 &&
			    (best == NO_ENTRY || e->seq > db->v[best].seq))
				best = i;
		}
		if (best != NO_ENTRY) {
			*addr = db->v[best].addr;
			*idx = best;
			return 0;
		}
		/* Leave the addresses other users held last to them while there is room. */
		if (lowest_gap(p, db, true, addr, idx) == 0)
			return 0;
	}
	return lowest_gap(p, db, false, addr, idx);
}

int
lease_acquire(const char *dir, const struct nsbox_addrspec *spec, const struct lease_owner *owner,
	      bool sticky, lease_alive_fn alive, struct lease_result *out)
{
	return lease_acquire_excluding(dir, spec, owner, sticky, alive, NULL, out);
}

/* The address becomes free and remembers its last user (for sticky). */
static void
entry_free(struct lease_entry *e)
{
	e->held = false;
	strcpy(e->o.id, "-");
	e->o.proc = (struct nsbox_proc){ 0 };
}

/* Frees E's address when its owner is known dead: only a known death frees it, an owner we
 * cannot judge keeps it. Returns 1 when freed. */
static unsigned
reclaim_one(struct lease_entry *e, lease_alive_fn alive)
{
	if (!e->held || alive(&e->o) != 0)
		return 0;
	entry_free(e);
	return 1;
}

/* Frees the addresses of every owner known to be dead: what an acquire does when the pool has
 * nothing free, O(held) liveness checks. Returns how many. */
static unsigned
reclaim_dead(struct lease_db *db, lease_alive_fn alive)
{
	unsigned n = 0;

	for (size_t i = 0; i < db->n; i++)
		n += reclaim_one(&db->v[i], alive);
	return n;
}

/* Liveness checks an acquire makes while the pool has a free address: judging every
 * holder in /proc made each lease cost O(live boxes). With at most this many holders all are
 * judged (so a dead holder's address is free again at the next lease, as before); with more,
 * this many picked at random, so the dead are still found over the following leases, and all of
 * them as soon as the pool has nothing free (reclaim_dead). */
#define LEASE_RECLAIM_CHECKS 8

static unsigned
reclaim_some(struct lease_db *db, lease_alive_fn alive)
{
	size_t held = 0;
	unsigned n = 0, seed;
	struct timespec t;

	for (size_t i = 0; i < db->n; i++)
		held += db->v[i].held;
	if (held <= LEASE_RECLAIM_CHECKS)
		return reclaim_dead(db, alive);
	clock_gettime(CLOCK_MONOTONIC, &t);
	seed = (unsigned)getpid() ^ (unsigned)t.tv_nsec;
	/* the k-th held entry, k random: a few repeats are harmless (a freed one is not held) */
	for (unsigned c = 0; c < LEASE_RECLAIM_CHECKS; c++) {
		size_t k = (size_t)rand_r(&seed) % held;
		for (size_t i = 0; i < db->n; i++) {
			if (!db->v[i].held)
				continue;
			if (k-- == 0) {
				n += reclaim_one(&db->v[i], alive);
				break;
			}
		}
	}
	return n;
}

/* The excluded address (the gateway) takes part in the pick as if held and is never written:
 * a temporary entry (*TMP), or a free entry held for the moment (*HELD_BACK). */
struct exclusion {
	size_t tmp, held_back;
};

static int
exclude_hold(struct lease_db *db, const struct lease_pool *p, const struct nsbox_ip *exclude,
	     struct exclusion *x)
{
	bool found = false;
	u128 a;

	x->tmp = x->held_back = NO_ENTRY;
	if (!exclude || exclude->family != p->family || nsbox_ip_to_u128(exclude, &a) < 0 || a < p->lo ||
	    a > p->hi)
		return 0;
	for (size_t i = 0; i < db->n; i++) {
		if (db->v[i].addr != a)
			continue;
		found = true;
		if (!db->v[i].held) {
			x->held_back = i;
			db->v[i].held = true;
		}
	}
	if (found)
		return 0;
	struct lease_entry g = { .addr = a, .held = true, .seq = ULONG_MAX };
	int r = db_push(db, &g);
	if (r < 0)
		return r;
	qsort(db->v, db->n, sizeof(db->v[0]), cmp_addr);
	for (size_t i = 0; i < db->n; i++)
		if (db->v[i].addr == a && db->v[i].seq == ULONG_MAX)
			x->tmp = i;
	return 0;
}

/* Undoes exclude_hold; *IDX (an index into DB) follows the entries it moves. */
static void
exclude_release(struct lease_db *db, const struct exclusion *x, size_t *idx)
{
	if (x->held_back != NO_ENTRY)
		db->v[x->held_back].held = false;
	if (x->tmp == NO_ENTRY)
		return;
	memmove(&db->v[x->tmp], &db->v[x->tmp + 1], (db->n - x->tmp - 1) * sizeof(db->v[0]));
	db->n--;
	if (*idx != NO_ENTRY && *idx > x->tmp)
		(*idx)--;
}

/* pick, with EXCLUDE (a pool's gateway) taken as held. */
static int
pick_excluding(struct lease_db *db, const struct lease_pool *p, const struct nsbox_addrspec *spec,
	       const struct lease_owner *owner, bool sticky, const struct nsbox_ip *exclude,
	       u128 *addr, size_t *idx)
{
	struct exclusion x;
	int r = exclude_hold(db, p, spec->mode == NSBOX_ADDR_POOL ? exclude : NULL, &x);

	if (r < 0)
		return r;
	r = pick(p, db, owner, spec->mode == NSBOX_ADDR_STATIC, sticky, addr, idx);
	exclude_release(db, &x, idx);
	return r;
}

int
lease_acquire_excluding(const char *dir, const struct nsbox_addrspec *spec,
			const struct lease_owner *owner, bool sticky, lease_alive_fn alive,
			const struct nsbox_ip *exclude, struct lease_result *out)
{
	_cleanup_(lease_db_free) struct lease_db db = { 0 };
	_cleanup_close_ int dfd = -1;
	struct lease_result dummy;
	const char *name;
	struct lease_pool p;
	bool dirty;
	size_t idx = NO_ENTRY;
	u128 addr;
	int r, w;

	if (!out)
		out = &dummy;
	memset(out, 0, sizeof(*out));
	if (!owner_valid(owner))
		return -EINVAL;
	if (!alive)
		alive = lease_owner_alive;
	_cleanup_close_ int lfd = lease_open(dir, spec, &p, &dfd, &name, &db);
	if (lfd < 0)
		return lfd;
	out->corrupt = db.corrupt;
	out->reclaimed = reclaim_some(&db, alive);
	dirty = out->reclaimed || out->corrupt;

	r = pick_excluding(&db, &p, spec, owner, sticky, exclude, &addr, &idx);
	/* Nothing free: only now is every holder judged, so exhaustion is exact. */
	if (r == -EADDRNOTAVAIL || r == -EADDRINUSE) {
		unsigned n = reclaim_dead(&db, alive);
		if (n) {
			out->reclaimed += n;
			dirty = true;
			r = pick_excluding(&db, &p, spec, owner, sticky, exclude, &addr, &idx);
		}
	}
	if (r == 0 && (idx == NO_ENTRY || !db.v[idx].held)) {
		struct lease_entry e = { .addr = addr, .held = true, .o = *owner };
		e.seq = db.next_seq++;
		if (idx == NO_ENTRY)
			r = db_push(&db, &e);
		else
			db.v[idx] = e;
		dirty = true;
	}
	if (dirty) {
		w = db_write(dfd, name, p.family, &db);
		if (r == 0)
			r = w;
	}
	if (r < 0)
		return r;
	nsbox_ip_from_u128(p.family, addr, &out->ip);
	return 0;
}

int
lease_release(const char *dir, const struct nsbox_addrspec *spec, const char *id)
{
	_cleanup_(lease_db_free) struct lease_db db = { 0 };
	_cleanup_close_ int dfd = -1;
	const char *name;
	struct lease_pool p;
	bool dirty;

	if (!id || !token_ok(id, LEASE_ID_MAX, false) || strcmp(id, "-") == 0)
		return -EINVAL;
	_cleanup_close_ int lfd = lease_open(dir, spec, &p, &dfd, &name, &db);
	if (lfd < 0)
		return lfd;
	dirty = db.corrupt > 0;
	for (size_t i = 0; i < db.n; i++) {
		struct lease_entry *e = &db.v[i];
		if (!e->held || strcmp(e->o.id, id) != 0)
			continue;
		entry_free(e);
		e->seq = db.next_seq++;
		dirty = true;
	}
	return dirty ? db_write(dfd, name, p.family, &db) : 0;
}

static int
cmp_idp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Live leases of SPEC's range; with IDS (N box ids, sorted), only those of these boxes. */
static int
count_held(const char *dir, const struct nsbox_addrspec *spec, lease_alive_fn alive,
	   const char *const *ids, size_t n_ids)
{
	_cleanup_(lease_db_free) struct lease_db db = { 0 };
	_cleanup_close_ int dfd = -1;
	const char *name;
	struct lease_pool p;
	int n = 0;

	if (!alive)
		alive = lease_owner_alive;
	_cleanup_close_ int lfd = lease_open(dir, spec, &p, &dfd, &name, &db);
	if (lfd < 0)
		return lfd;
	for (size_t i = 0; i < db.n && n < INT_MAX; i++) {
		const struct lease_entry *e = &db.v[i];
		const char *id = e->o.id;

		if (!e->held || !in_pool(&p, e->addr))
			continue;
		if (ids && !bsearch(&id, ids, n_ids, sizeof(*ids), cmp_idp))
			continue;
		if (alive(&e->o) != 0)
			n++;
	}
	return n;
}

int
lease_count(const char *dir, const struct nsbox_addrspec *spec, lease_alive_fn alive)
{
	return count_held(dir, spec, alive, NULL, 0);
}

int
lease_count_held_by(const char *dir, const struct nsbox_addrspec *spec, const char *const *ids,
		    size_t n, lease_alive_fn alive)
{
	_cleanup_free_ const char **sorted = NULL;

	if (!n)
		return 0;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, ids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_idp);
	return count_held(dir, spec, alive, sorted, n);
}
