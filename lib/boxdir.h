// SPDX-License-Identifier: BSD-3-Clause
/* What the box directories (record.c) and the names of a box's namespaces (boxns.c) share, for
 * those two files only: nsbox-helper and nsboxctl (root). Returns 0 or -errno, never logs. */
#ifndef NSBOX_BOXDIR_H
#define NSBOX_BOXDIR_H

#include <stdbool.h>

/* A box directory being built is named so, then its id and its builder (record.c). */
#define NEW_PREFIX ".new-"

/* DIR, one of NSBOX_RUN_DIR's, created if missing (with NSBOX_RUN_DIR), opened when it is
 * ours alone. */
int state_dir_open(const char *dir, bool create);
/* Removes the names under NSBOX_NETNS_DIR whose box directory in BFD is gone; how many. */
int netns_sweep(int bfd);
/* With ID: removes every mark of the namespace index that leads to ID. Without: every mark whose
 * box has no directory in BFD. */
void ns_index_sweep(int bfd, const char *id);

#endif
