// SPDX-License-Identifier: BSD-3-Clause
/* What a box holds on the host besides its processes, and the one way it is freed, for
 * nsbox-helper's supervisor (writes it, root), its sweeper and the gc in nsbox-helper and nsboxctl
 * (read it, root). Returns 0 or -errno, never logs.
 *
 * The supervisor writes the description into the box's directory before it makes each thing
 * (held_add), so that whoever frees the box finds everything that may exist: its own teardown
 * (from memory), its sweeper once it died (from the file), the gc once both died (from the file).
 * All three free it by held_release and held_finish alone. A new kind of host resource is a
 * HELD_* bit, what identifies it in struct box_held, a held_add before it is made, and its
 * removal in held_release: nothing else frees anything. Beside it, named by the id and freed by
 * the same three: the box's ip-netns name and namespace marks (record.h), and the directory. */
#ifndef NSBOX_HELD_H
#define NSBOX_HELD_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "err.h"
#include "nsbox/paths.h"
#include "nsbox/proto.h"

#define BOX_HELD "held" /* in the box's directory: the description, see held.c */

/* The longest path of a box's cgroup directory (/sys/fs/cgroup/.../nsbox-ID). */
#define BOX_CGROUP_MAX 512

/* The cgroups of a box that limits itself where systemd does not run (helper/limits.c). */
struct box_cgroups {
	unsigned n;
	char dir[3][BOX_CGROUP_MAX]; /* ours, one per hierarchy (memory, pids, cpu at most) */
	bool v2[3];                  /* dir[k] is in the cgroup2 hierarchy */
	int ctl_dir[3];              /* memory, pids, cpu: 1 + the index of its dir, 0 none */
};

enum {
	HELD_VETH = 1 << 0,    /* the host end of its veth (held_veth_name) */
	HELD_EGRESS = 1 << 1,  /* its netdev table of egress rules, "nsbox-ID" (helper/egress.c) */
	HELD_LEASE4 = 1 << 2,  /* a lease of its id in pool4 (lib/lease.c) */
	HELD_LEASE6 = 1 << 3,  /* a lease of its id in pool6 */
	HELD_CGROUPS = 1 << 4, /* cg's directories */
	HELD_ALL = (1 << 5) - 1 /* every bit above: a new one goes below its last, and here */
};

struct box_held {
	char id[NSBOX_ID_LEN + 1];
	unsigned what;                      /* HELD_*: made, or about to be */
	struct nsbox_addrspec pool4, pool6; /* HELD_LEASE4, HELD_LEASE6 */
	struct box_cgroups cg;              /* HELD_CGROUPS */
};

/* The description a supervisor keeps: in memory, and in its box's directory through FD. */
struct held_file {
	int fd;
	struct box_held h;
};

/* The host end of box ID's veth. */
void held_veth_name(const char *id, char *out, size_t n);
/* Starts box ID's description, holding nothing yet; its directory is the caller's (box_reserve). */
void held_start(struct held_file *f, const char *id);
/* Adds WHAT (with what identifies it, already in F->h) to the description, in the directory's
 * file (made at the first, close-on-exec) before the caller makes it. */
int held_add(struct held_file *f, unsigned what);
/* The description in box directory NAME of the boxes' directory BFD into H, for id ID. -ENOENT:
 * none, the box held nothing (its supervisor died before it made anything). Another -errno: it
 * cannot be read (a version of another layout): H then names what can be named by the id alone
 * (the veth, the egress table). */
int held_read(int bfd, const char *name, const char *id, struct box_held *h);
/* Frees the veth, egress table and leases H names, clearing each bit once it is gone (again is a
 * no-op), going on after a failure. 0, or the first -errno with ERR. */
int held_release(struct box_held *h, struct nsbox_err *err);
/* The end of freeing a box, once its processes are gone: its cgroups, waiting at most WAIT_MS
 * for the last of its processes to leave them (a pid namespace's end is the kernel's to finish),
 * then its directory NAME under NSBOX_BOXES_DIR, never before them, so that the description that
 * names them stays while they are busy. 0, or -errno with ERR. */
int held_finish(struct box_held *h, const char *name, int wait_ms, struct nsbox_err *err);
/* Removes the egress tables ("nsbox-ID") of boxes that have no directory at all, which no
 * description names: an earlier version's, whose directory did not describe them (its supervisor
 * and sweeper both died). Lists the tables over netlink and looks each one's directory up; at
 * most 64 a call. *REMOVED how many. 0 or the first -errno. */
int held_sweep_tables(unsigned *removed);

#endif
