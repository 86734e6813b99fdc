// SPDX-License-Identifier: BSD-3-Clause
/* The lease databases on disk (lease_store.c) as the allocator (lease.c) uses them: shared by
 * those two files only, in nsbox-helper (root) and the unit tests and fuzzer (any user). Every
 * function returns 0 or -errno and never logs. */
#ifndef NSBOX_LEASE_STORE_H
#define NSBOX_LEASE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "lease.h"

#define LEASE_ID_MAX   (sizeof(((struct lease_owner *)0)->id) - 1)
#define LEASE_USER_MAX (sizeof(((struct lease_owner *)0)->user) - 1)

typedef nsbox_u128 u128; /* conf/addr.h: both families as one integer */

/* The database of FAMILY: "v4" or "v6"; NULL for another family. */
const char *db_name(int family);
/* 1..MAX bytes, no whitespace, no control characters; bytes >= 0x80 only with HIGH. */
bool token_ok(const char *s, size_t max, bool high);
/* Appends E to DB. */
int db_push(struct lease_db *db, const struct lease_entry *e);
/* qsort order of a database: by address, a held entry before a free one, then by recency. */
int cmp_addr(const void *a, const void *b);
/* Reads database NAME in DIRFD into DB (a missing file is an empty database). */
int db_read(int dirfd, const char *name, int family, struct lease_db *db);
/* Writes DB as database NAME through a temporary file renamed over it; leaves DB in recency
 * order. */
int db_write(int dirfd, const char *name, int family, struct lease_db *db);
/* DIR, created 0700 if missing, opened when it is a real directory nobody else can write. */
int lease_dir_open(const char *dir);
/* Locks database NAME of DIRFD, its lock file created with CREATE; the lock goes with the fd. */
int lease_lock(int dirfd, const char *name, bool create);
/* Merges every per-pool file of earlier versions of FAMILY into DB, the database NAME whose lock
 * the caller holds, and removes them. */
int migrate_legacy(int dirfd, const char *name, int family, struct lease_db *db);

#endif
