// SPDX-License-Identifier: BSD-3-Clause
/* Address leases for boxes: one database per address family for the whole host under
 * /run/nsbox/leases ("v4", "v6"), each guarded by one lock file; used by nsbox-helper (root).
 * Pure file work: no netlink, no logging. */
#ifndef NSBOX_LEASE_H
#define NSBOX_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "nsbox/paths.h"
#include "proc.h"

#define NSBOX_LEASE_LOCK_TIMEOUT_MS 5000

/* Who holds a lease: the box's supervisor, identified by pid + /proc start time so a reused pid
 * is never mistaken for the owner. */
struct lease_owner {
	char id[16];      /* box id */
	char user[256];
	struct nsbox_proc proc;
};

/* Liveness test for an owner: 1 alive, 0 dead, -errno when it cannot be told (the lease is then
 * kept and counted). The helper passes lease_owner_alive (checks /proc), unit tests their own. */
typedef int (*lease_alive_fn)(const struct lease_owner *o);
/* proc_alive of O's supervisor. */
int lease_owner_alive(const struct lease_owner *o);

struct lease_result {
	struct nsbox_ip ip;
	unsigned reclaimed; /* leases of dead owners dropped during this call */
	unsigned corrupt;   /* unparsable lines dropped during this call */
};

/* Leases one address of SPEC (mode POOL: any free address in the range; mode STATIC: exactly
 * that address) in DIR (created 0700 if missing, must be root-owned and not group/other
 * writable when running as root). Leases whose owner is known dead are reclaimed: a few holders
 * judged per call (all of them when there are at most 8), and every holder when nothing is free,
 * so exhaustion is exact and the cost per call does not grow with the holders. With STICKY,
 * the free address that OWNER->user held last is preferred. Returns 0; -EADDRINUSE for a static
 * address held by a live owner; -EADDRNOTAVAIL when the pool is exhausted; -ETIMEDOUT when the
 * lock cannot be had within NSBOX_LEASE_LOCK_TIMEOUT_MS; other -errno as the file system gave it
 * (-ENOSPC: DIR's file system is full). */
int lease_acquire(const char *dir, const struct nsbox_addrspec *spec, const struct lease_owner *owner,
		  bool sticky, lease_alive_fn alive, struct lease_result *out);

/* The same, never handing out EXCLUDE (the pool's gateway) when it lies in a pool's range. */
int lease_acquire_excluding(const char *dir, const struct nsbox_addrspec *spec,
			    const struct lease_owner *owner, bool sticky, lease_alive_fn alive,
			    const struct nsbox_ip *exclude, struct lease_result *out);

/* Releases what box ID holds in the database of SPEC's family (whatever pool it came from).
 * Missing lease: 0. */
int lease_release(const char *dir, const struct nsbox_addrspec *spec, const char *id);

/* Counts live leases of addresses in SPEC's range (for tests and nsboxctl). */
int lease_count(const char *dir, const struct nsbox_addrspec *spec, lease_alive_fn alive);
/* The same, of the leases held by the boxes IDS (N ids, any order) only: what the boxes of one
 * user hold of a pool (pool_share). */
int lease_count_held_by(const char *dir, const struct nsbox_addrspec *spec, const char *const *ids,
			size_t n, lease_alive_fn alive);

/* File name (no directory) of the database SPEC leases from: "v4" or "v6". */
int lease_file_name(const struct nsbox_addrspec *spec, char *out, size_t n);

/* ---- the parser, for the fuzzer and the unit tests ---- */

struct lease_entry {
	nsbox_u128 addr;
	unsigned long seq; /* recency: line number when read, higher when changed */
	bool held;
	struct lease_owner o;
};

/* One family's database: entries sorted by address, one per address. */
struct lease_db {
	struct lease_entry *v;
	size_t n, cap;
	unsigned long next_seq;
	unsigned corrupt; /* lines dropped */
};

/* Parses LEN bytes of lease-file text (untrusted, need not be NUL-terminated) of FAMILY
 * (AF_INET, AF_INET6) into DB, appending to what DB holds; DB ends sorted and unique. Bad lines
 * are dropped and counted in DB->corrupt. Pure: no file, no global state. Returns 0; -ENOMEM;
 * -EAFNOSUPPORT for another family. Free DB with lease_db_free. */
int lease_db_parse(struct lease_db *db, int family, const char *buf, size_t len);
void lease_db_free(struct lease_db *db);

#endif
