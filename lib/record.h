// SPDX-License-Identifier: BSD-3-Clause
/* One directory per live box under /run/nsbox/boxes/ID (its record, resolv.conf, DHCP files),
 * for nsbox-helper (writes, root) and nsboxctl (reads, root); returns 0 or -errno, never logs. */
#ifndef NSBOX_RECORD_H
#define NSBOX_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "held.h"
#include "nsbox/ns.h"
#include "nsbox/paths.h"
#include "nsbox/proto.h"
#include "proc.h"

/* What a box's directory holds; every path below it is made by box_path from one of these. */
#define BOX_RECORD          "record"          /* key=value lines, see record.c */
#define BOX_RESOLV          "resolv.conf"     /* bind-mounted over the box's /etc/resolv.conf */
#define BOX_RESOLV_DIR      "resolv.d"        /* over the directory a resolv.conf symlink leads to */
#define BOX_DHCP_DIR        "dhcp"            /* the DHCP client's, owned by its user: */
#define BOX_DHCP_LEASE      "dhcp/lease"      /* the DHCP script's output */
#define BOX_DHCP_PID        "dhcp/pid"        /* the DHCP client's pid file */
#define BOX_DHCLIENT_LEASES "dhcp/dhclient.leases" /* dhclient's own lease database */
#define BOX_MEMBERS         "members"         /* a shared box's sessions, see member.h */
#define BOX_JOIN            "join"            /* a shared box's socket for joining logins */

struct box_record {
	char id[NSBOX_ID_LEN + 1];
	char user[256];               /* the login name, as PAM gave it */
	long long uid;                /* the user's uid; -1: not known (a record being built, or one
				       * written by a version that had no such field) */
	char service[64];
	struct nsbox_proc supervisor; /* the helper that owns the box */
	struct nsbox_proc init;       /* the box's PID 1, in the host's pid namespace */
	long long started;            /* unix time */
	unsigned long namespaces;
	char hostname[65];
	char ipv4[64];
	char ipv6[64];
	/* who logged in from where, as PAM told the module */
	char rhost[256];
	char tty[64];
	int app;                      /* the PAM application's pid (host view) */
	/* the policy in force in the box's sessions */
	char profile[16];
	unsigned long long caps_keep; /* bounding set, bit N keeps capability N */
	int no_new_privs, seccomp, tmp_private;
	char network[8];              /* none, bridge or routed; "" from a version without it */
	char veth[16];                /* host end, "" for network = none */
	char bridge[16];
	char neighbours[8];           /* "deny": its bridge port is isolated; "allow"; "" unbridged */
	char egress[1000];            /* the egress key's value (nsbox_egress_text), "" unbridged */
	/* share = user (helper/share.c): joinable by the user's logins with settings of this
	 * digest; who the members are is in BOX_MEMBERS */
	int share;
	unsigned long long digest;
	int members;                  /* sessions in the box; 1 for a box that is not shared */
	/* resource limits (0: none) and where they live: the box's systemd unit, or (where
	 * systemd does not run) its cgroup directories, which a gc of a dead box removes too */
	unsigned long long memory_max;
	int tasks_max, cpu_quota;
	char unit[64];
	char cgroup[3][BOX_CGROUP_MAX];
};

bool box_id_valid(const char *id);
/* NSBOX_BOXES_DIR/ID, or NSBOX_BOXES_DIR/ID/NAME when NAME is not NULL. */
int box_path(const char *id, const char *name, char *out, size_t n);
/* Reserves a fresh random id by creating its directory exclusively, with a record naming only
 * SUPERVISOR, so that a helper dying right after leaves something gc can judge: the directory
 * is built as ".new-ID-PID-START" (SUPERVISOR's identity) and renamed to ID. When SUPERVISOR is
 * the calling process, it keeps an flock on the directory until it exits (an fd left open,
 * close-on-exec): a scan that finds it held skips the record and /proc. */
int box_reserve(char id[NSBOX_ID_LEN + 1], const struct nsbox_proc *supervisor);
/* box_reserve, calling BEFORE (if not NULL) with each id it is about to create: a BEFORE that
 * fails ends the reservation with its -errno, nothing created. */
int box_reserve_with(char id[NSBOX_ID_LEN + 1], const struct nsbox_proc *supervisor,
		     int (*before)(const char *id, void *arg), void *arg);
/* Replaces the box's record as a whole (a reader sees the old one or the new one). */
int box_record_write(const struct box_record *r);
/* Reads the record of box ID. -EPERM unless the box's directory is root's and 0700 and the record
 * a root-owned regular file nobody else may write: anything else is not the helper's. */
int box_record_read(const char *id, struct box_record *r);
/* Removes the box's directory and everything in it, following no symlink. */
int box_remove(const char *id);
/* For the sweeper of OWNER, a supervisor that died (helper/sweeper.c): opens box ID's directory,
 * or the one OWNER was building, and locks it exclusively without waiting. Returns the fd (which
 * holds the lock) with NAME set to the directory's name; -ENOENT when there is neither (its
 * teardown finished); -EEXIST when its record names another supervisor (a reused id: a live box
 * that is not OWNER's); -EBUSY when it is OWNER's but someone holds its lock for now (a gc's
 * probe, a child of OWNER's not yet gone). */
int box_orphan_lock(const char *id, const struct nsbox_proc *owner, char *name, size_t n);
/* Removes directory NAME of NSBOX_BOXES_DIR and everything in it (box_orphan_lock's NAME). */
int box_remove_dir(const char *name);
/* proc_alive of the record's supervisor: 1, 0, or -errno when it cannot be told. */
int box_alive(const struct box_record *r);
/* 1 when R names a live box: its supervisor runs with its recorded start time and IS_HELPER says
 * it is nsbox-helper (the caller knows how to tell), and its init is that supervisor's
 * nsbox-init child with its recorded start time. 0 when the box is gone or ending; -EPERM when a
 * live process the record names is not what it claims (a record root wrote by hand, naming any
 * other process, is no box); other -errno when that cannot be told. */
int box_record_live(const struct box_record *r, bool (*is_helper)(pid_t pid));
/* Removes boxes whose supervisor is known dead and calls FN (if any) for every other one. Returns
 * how many it removed. A box whose directory lock is held is owned (no record or /proc read
 * without FN); an unlocked one is judged by /proc as before, so the lock only ever keeps. */
int box_scan(int (*fn)(const struct box_record *r, void *arg), void *arg);
/* The boxes of one uid, so that a login counts its user's boxes without reading every record
 * of the host: NSBOX_USERS_DIR/UID.boxes/ID, an empty file made before the record that names
 * the uid is written. box_uid_add: 0 or -errno. */
int box_uid_add(uid_t uid, const char *id);
/* Calls FN for the record of each box of UID that box_uid_add named (live or not: the caller
 * judges), O(the uid's boxes); an entry whose box directory is gone is removed. Returns how many
 * records FN got, or -errno. */
int box_scan_uid(uid_t uid, int (*fn)(const struct box_record *r, void *arg), void *arg);
int box_gc(void);
/* box_gc, unless another one is running or the last one started less than DUTY times its own
 * duration ago (a stamp file in NSBOX_BOXES_DIR): what a login may run after its reply. A few
 * boxes cost a few microseconds and are judged at every login; thousands cost milliseconds, and
 * the collection then takes at most 1/DUTY of one CPU, not one scan per login. Returns how many
 * it removed (0 when it did not run). */
int box_gc_maybe(unsigned duty);

/* The namespace index (NSBOX_NS_DIR, read by proc_on_host): box ID's namespaces of the kinds in
 * NSTYPES (CLONE_NEW*), those of its init INIT, each marked as the box's before anything of the
 * session can run in them; INO gets their inode numbers (0 for a kind the box does not have).
 * 0 or -errno. */
int box_ns_mark(const char *id, pid_t init, unsigned long nstypes,
		unsigned long long ino[NSBOX_N_NS]);
/* Removes those marks again (before the box's namespaces can end, so that no mark ever names a
 * namespace that is gone while its box's lock is held); a mark another box has since taken
 * stays. 0 or the first -errno. */
int box_ns_unmark(const char *id, const unsigned long long ino[NSBOX_N_NS]);
/* Removes every mark that leads to ID, whatever its inode: the sweeper's, which does not know
 * them. (box_scan removes the marks of boxes it finds gone.) */
void box_ns_forget(const char *id);

/* ip-netns(8) names: NSBOX_NETNS_DIR/NSBOX_NETNS_PREFIX ID, a bind mount of the box init's
 * network namespace, made as iproute2 makes its own (a shared NSBOX_NETNS_DIR). */
#define NSBOX_NETNS_DIR    "/run/netns"
#define NSBOX_NETNS_PREFIX "nsbox-"
int box_netns_add(const char *id, pid_t init);
/* Detaches and removes the name; 0 when there was none. */
int box_netns_remove(const char *id);

#endif
