// SPDX-License-Identifier: BSD-3-Clause
/* Internal interfaces of nsbox-helper (root): the box init and its lifetime (box.c), children
 * inside the box (inside.c), the box's network (veth.c, dhcp.c, resolv.c). Functions return 0 or
 * -errno and never log; helper.c's main logs. */
#ifndef NSBOX_HELPER_H
#define NSBOX_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <sys/types.h>

#include "conf.h"
#include "err.h"
#include "file.h"
#include "held.h"
#include "netlink.h"
#include "nsbox/proto.h"
#include "record.h"

/* ---- box.c: the box init and its lifetime ---- */
struct box {
	char id[NSBOX_ID_LEN + 1];
	struct nsbox_proc init; /* in the host's pid namespace */
	int init_pidfd;
	int lifeline;    /* write end; the init exits when it reads EOF */
	int ready;       /* read end of the init's one report, until box_wait_ready */
	int go;          /* bridged: the box interface's settings to the init (box_send_net) */
};

/* Clones the box init into new namespaces; it builds the box (mounts, hostname, lo up) while the
 * caller goes on with what needs only the namespaces (the veth, leases, records), then
 * box_wait_ready. HOSTNAME "" keeps the host's. On failure the init, if any, is killed and left
 * for box_reap. */
int box_start(struct box *b, const struct nsbox_settings *s, const struct box_cgroups *cg,
	      const char *hostname, uid_t uid, gid_t gid, struct nsbox_err *err);
/* Waits (BOX_READY_TIMEOUT_MS at most) for the init's report: 0 once the box is built; else
 * -errno with the init's failing step in ERR, and the init killed. */
int box_wait_ready(struct box *b, struct nsbox_err *err);
/* Bridged: the veth exists; the init configures the box's end from N (net_cfg_in_box) before it
 * reports ready, and fails with its step when that fails. */
struct box_net;
int box_send_net(struct box *b, const struct box_net *n);
/* After a step beside the init failed: when the init has reported (or died) by now, its report
 * goes into ERR first, as the likelier cause. Does not wait. */
void box_early_failure(struct box *b, struct nsbox_err *err);
/* Kills the init, and with it every process of the box; does not wait. Idempotent. */
void box_kill(struct box *b);
/* Waits at most TIMEOUT_MS for the killed init to end and reaps it: 0, or -ETIMEDOUT when it
 * outlived the bound (a member of the box stuck in the kernel keeps a pid namespace's init
 * from exiting; the kernel reaps it later). Either way the box holds nothing of ours after.
 * Idempotent. */
int box_reap(struct box *b, int timeout_ms);
/* How long a teardown waits for the init, after everything else of the box is freed. */
#define BOX_REAP_TIMEOUT_MS 10000
/* How long the init may take to build the box (mounts, hostname, lo). */
#define BOX_READY_TIMEOUT_MS 10000

/* ---- inside.c: children held by pidfd ---- */
/* A run_inside child does a few netlink calls or one mount: anything longer is stuck. */
#define INSIDE_TIMEOUT_MS 5000
/* After SIGKILL a child ends at once unless the kernel holds it (D state): we wait no longer. */
#define KILLED_WAIT_MS 1000
/* fork(): the child gets 0 (and dies with us); we get its pid and *PIDFD, or -errno. */
pid_t child_fork(int *pidfd);
/* The same, the child PID 1 of a new pid namespace of its own (it sees no other process);
 * the child gets in *PARENT a pidfd of ours (close-on-exec) for child_rearm. */
pid_t child_fork_pidns(int *pidfd, int *parent);
/* In such a child, after a change of its credentials (which clears it): its death with the
 * supervisor set again, and whether the supervisor still lives. 0, or -errno. */
int child_rearm(int parent);
/* Waits at most TIMEOUT_MS (< 0: forever) for FD to be readable, restarting after a signal
 * with the time left: 0 or -ETIMEDOUT (or -errno). */
int fd_wait(int fd, int timeout_ms);
/* Waits at most TIMEOUT_MS for the child to exit, then reaps it and closes *PIDFD (-1 after);
 * *STATUS (if given): its exit status, or 128 + the signal. 0, -ETIMEDOUT or -errno. */
int child_wait(int *pidfd, int timeout_ms, int *status);
/* Sends SIG, waits TIMEOUT_MS, then SIGKILL and a short wait: 0 once reaped, or -ETIMEDOUT
 * when the kernel holds it (*PIDFD stays open then). Never signals anyone but that child. */
int child_stop(int *pidfd, int sig, int timeout_ms);

/* ---- inside.c: run FN in a child that joined the box's NSTYPES namespaces (through the init's
 * pidfd); the child reports an errno and the step that failed, which land in ERR ---- */
struct inside_result {
	int err;
	char step[256];
};
typedef int (*inside_fn)(void *arg, struct inside_result *res);
int run_inside(const struct box *b, int nstypes, inside_fn fn, void *arg, struct nsbox_err *err);

/* ---- veth.c: bridged networking of one box, run by the supervisor ---- */
struct box_net {
	bool active, dhcp_udhcpc, dhcp_bound;
	struct held_file *held;      /* the box's description: each thing noted before it is made */
	char host_if[16];
	char bridge[16];             /* the one of the settings' bridges it joined */
	struct nsbox_ip ip4, gw4, ip6;
	unsigned prefix4;
	unsigned reclaimed, corrupt; /* lease housekeeping, for the log */
	int netns;                   /* the box's network namespace, held until teardown */
	pid_t dhcp_pid;              /* > 0 while the client runs; then dhcp_pidfd holds it */
	int dhcp_pidfd;
	uid_t dhcp_uid;              /* the client's own user (dhcp_user), never 0 once it ran */
	gid_t dhcp_gid;
	char id[NSBOX_ID_LEN + 1];   /* its files live in the box's directory */
};
/* Builds the veth, static or pooled addresses and routes of a bridged box (nothing for
 * network = none): needs only the box's network namespace, so it runs while the init builds the
 * rest. The veth, egress rules and leases go into HELD before they are made (held.h), and are
 * freed from there. On failure the caller still calls net_release_early and net_close. */
int net_setup(struct box *b, const struct nsbox_settings *s, const char *user,
	      const struct nsbox_proc *self, struct held_file *held, struct box_net *n,
	      struct nsbox_err *err);
/* In the box init (its network namespace, before it drops its capabilities): the box's end up
 * (IPv6 off unless configured), the addresses and default routes of N. 0, or -errno with the
 * step into STEP. */
int net_cfg_in_box(const struct nsbox_settings *s, const struct box_net *n, char *step,
		   size_t steplen);
/* Then, once the init has built the box: DHCP and resolv.conf (a bind in the box's mount
 * namespace, which must be a slave of the host's first). Same failure contract. */
int net_finish(const struct box *b, const struct nsbox_settings *s, struct box_net *n,
	       struct nsbox_err *err);
/* While the box's network still lives: release the DHCP lease. 0, or -errno with ERR. */
int net_release_early(const struct nsbox_settings *s, struct box_net *n, struct nsbox_err *err);
/* Once the init is killed (it need not have ended): lets go of the box's network namespace, so
 * that held_release's deletion of the host end takes the pair along at once. */
void net_close(struct box_net *n);

/* ---- routed.c: the host side of a routed box (see there) ---- */
/* S's box addresses and gateways against the host's: 0, or -errno with ERR when an address of the
 * host is among the box's, or the gateway is on a host interface that is not a routed box's host
 * end. */
int routed_check_host(const struct nsbox_settings *s, struct nsbox_err *err);
/* N's host end up, addressed with the gateways, and the host routes to the box's addresses
 * through it. 0, or -errno with ERR; everything goes with the device. */
int routed_host_setup(const struct nsbox_settings *s, const struct box_net *n,
		      struct nsbox_err *err);

struct dhcp_lease;
/* ---- dhcp.c: the box's DHCP client; its lease into L ---- */
int dhcp_run(const struct box *b, const struct nsbox_settings *s, struct box_net *n,
	     struct dhcp_lease *l, struct nsbox_err *err);
/* Sends the release and stops the client; bounded (DHCP_STOP_MAX_MS), done while the box's
 * network lives. 0, or -errno with ERR. */
int dhcp_stop(const struct nsbox_settings *s, struct box_net *n, struct nsbox_err *err);
#define DHCP_DB_WAIT_MS      2000
#define DHCP_RELEASE_WAIT_MS 2000
#define DHCP_STOP_MAX_MS (DHCP_DB_WAIT_MS + DHCP_RELEASE_WAIT_MS + 4 * KILLED_WAIT_MS)

/* ---- sweeper.c: what a supervisor that died without its teardown leaves, removed at once ---- */
/* Which box the sweeper frees should we die, and whose it is: what the box holds is in its
 * directory (held.h). */
struct sweep_note {
	char id[NSBOX_ID_LEN + 1];
	struct nsbox_proc owner; /* the supervisor */
};
/* Forks and execs the sweeper, `nsbox-helper --sweep` (before anything is built); *FD is our end
 * of its socket, kept open until we exit, close-on-exec; *PID the sweeper. 0 or -errno. */
int sweeper_start(int *fd, pid_t *pid);
/* Waits (INSIDE_TIMEOUT_MS at most) for the sweeper on FD to say it runs: 0, -ETIMEDOUT, or
 * -ECHILD when it ended instead. */
int sweeper_ready(int fd);
/* What the sweeper sweeps should we die: told each id before its directory is made
 * (box_reserve_with), then that it is reserved. 0, or -errno when the sweeper is gone. */
int sweeper_tell(int fd, const struct sweep_note *n);

/* ---- egress.c: the egress list as rules on the host end of the veth (see there) ---- */
/* Box ID's egress rules on HOST_IF for S's list (nothing for egress = any). 0, or -errno with
 * ERR (-ENOENT: libnftables is not installed). */
int egress_apply(const char *id, const char *host_if, const struct nsbox_settings *s,
		 struct nsbox_err *err);
/* Lets box ID's list through to the DNS servers and the DHCP server of lease L (the rules were
 * made before the lease). 0, or -errno with ERR. */
int egress_allow_lease(const char *id, const struct nsbox_settings *s, const struct dhcp_lease *l,
		       struct nsbox_err *err);
int sweeper_reserved(int fd);
/* `nsbox-helper --sweep`: waits on fd 3 for the supervisor's end, then sweeps; the exit
 * status. */
int sweeper_run(void);

/* ---- hold.c: the application's hold (see there) ---- */
/* A copy (a slave) of the caller's mount namespace with every mount noexec and nosuid, made in a
 * short child; *FD its namespace, O_CLOEXEC. 0, or -errno with ERR. */
int hold_make(int *fd, struct nsbox_err *err);

/* ---- limits.c: the box's cgroups where systemd is not PID 1 (see there) ---- */
/* True when S sets a resource limit. */
bool limits_wanted(const struct nsbox_settings *s);
/* Where box ID's cgroups go, below our own, for the limits S sets: CG filled, nothing made. 0,
 * or -errno with ERR (-EOPNOTSUPP: a controller the limits need is not there for us). */
int limits_plan(const char *id, const struct nsbox_settings *s, struct box_cgroups *cg,
		struct nsbox_err *err);
/* Makes the cgroups CG plans and sets S's limits in them. 0, or -errno with ERR. */
int limits_make(const struct nsbox_settings *s, const struct box_cgroups *cg,
		struct nsbox_err *err);
/* Moves PID into every cgroup of CG. 0 or -errno. */
int limits_attach(const struct box_cgroups *cg, pid_t pid);
/* Opens the cgroup.procs file of every cgroup of CG into FDS (CG->n of them), for a process
 * that joins them later, once the paths are gone from its view. 0 or -errno (none left open). */
int limits_procs_open(const struct box_cgroups *cg, int fds[3]);
/* Moves the caller into the cgroups whose cgroup.procs are FDS (limits_procs_open), closing
 * them. 0 or -errno. */
int limits_procs_join(int fds[3], unsigned n);

/* Where a session's processes go: the box's unit (a name) where systemd runs, else its cgroups. */
struct box_attach {
	const char *id;
	const char *unit;
	const struct box_cgroups *cg;
};
/* What came on a session socket that poll marked with REVENTS: NULL while the session goes on
 * (an ATTACH from a child of APP is carried out and answered), else why the session ended. */
const char *session_event(int sock, short revents, pid_t app, const struct box_attach *at);

/* ---- unit.c: the box's own systemd unit (see there) ---- */
/* Each call to systemd (Subscribe, StartTransientUnit) and the wait for its job: at most this. */
#define UNIT_TIMEOUT_MS 5000
struct unit_spec {
	const char *id, *user;
	uid_t uid;
	const pid_t *pids; /* moved into the unit: the supervisor and its sweeper */
	size_t n_pids;
	const struct nsbox_settings *set; /* memory_max, tasks_max, cpu_quota as properties */
};
/* True when systemd is PID 1 (sd_booted). */
bool unit_systemd_running(void);
/* Starts the scope nsbox-ID.scope in nsbox.slice with U's processes, and waits (bounded) for
 * its job; NAME gets the unit's name. 0, or -errno with ERR. */
int unit_start(const struct unit_spec *u, char *name, size_t namelen, struct nsbox_err *err);
/* Moves PID into unit NAME (AttachProcessesToUnit; the unit is delegated for it). 0 or -errno. */
int unit_attach(const char *name, pid_t pid);

/* ---- resolv.c: the box's resolv.conf from DNS and SEARCH (nothing when both are empty) ---- */
int resolv_apply(const struct box *b, const struct nsbox_ip *dns, unsigned ndns,
		 char search[][254], unsigned nsearch, struct nsbox_err *err);
/* The supervisor polls this fd (-1: nothing to watch) for the host replacing /etc/resolv.conf
 * and then calls resolv_watch_handle: 1 when it bound the box's file again, 0 when nothing of the
 * box's had gone, -errno. */
int resolv_watch_fd(void);
int resolv_watch_handle(const struct box *b, struct nsbox_err *err);

#endif
