/* Where nsbox-helper keeps its runtime state (tmpfs, root only), read by nsboxctl too; each path
 * spelled once. No privilege of its own. */
#ifndef NSBOX_PATHS_H
#define NSBOX_PATHS_H

#define NSBOX_RUN_DIR   "/run/nsbox"
#define NSBOX_BOXES_DIR NSBOX_RUN_DIR "/boxes"  /* one directory per live box (record.h) */
#define NSBOX_LEASE_DIR NSBOX_RUN_DIR "/leases" /* one lease file per pool (lease.h) */
#define NSBOX_USERS_DIR NSBOX_RUN_DIR "/users"  /* per-user lock files (helper/share.c) */

#endif
