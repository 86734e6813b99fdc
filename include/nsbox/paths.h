// SPDX-License-Identifier: BSD-3-Clause
/* Where nsbox-helper keeps its runtime state (tmpfs, root only), read by nsboxctl too; each path
 * spelled once. No privilege of its own. */
#ifndef NSBOX_PATHS_H
#define NSBOX_PATHS_H

#define NSBOX_RUN_DIR   "/run/nsbox"
#define NSBOX_BOXES_DIR NSBOX_RUN_DIR "/boxes"  /* one directory per live box (record.h) */
#define NSBOX_LEASE_DIR NSBOX_RUN_DIR "/leases" /* one lease file per pool (lease.h) */
#define NSBOX_USERS_DIR NSBOX_RUN_DIR "/users"  /* per-user lock files (helper/share.c) */
/* One symlink per namespace of a live box, named by the namespace's kind and inode number
 * (NSBOX_NS_ENTRY), leading to the box's id: how a helper or nsboxctl tells that it runs inside a
 * box (lib/proc.c proc_on_host), written and removed by lib/record.c. */
#define NSBOX_NS_DIR    NSBOX_RUN_DIR "/ns"
#define NSBOX_NS_ENTRY  "%s:%llu" /* /proc/PID/ns name, inode number */

#endif
