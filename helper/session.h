// SPDX-License-Identifier: BSD-3-Clause
/* One login's session in nsbox-helper's supervisor (root, host namespaces), as helper.c (main and
 * the supervision) and session.c (the box built and freed) share it. */
#ifndef NSBOX_SESSION_H
#define NSBOX_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "helper.h"
#include "share.h"

struct session {
	struct nsbox_request req;
	struct nsbox_settings set;
	struct box box;
	struct box_net net;
	struct box_record rec;
	struct nsbox_proc self; /* this supervisor */
	char hostname[NSBOX_HOSTNAME_MAX + 1];
	unsigned long long nsino[NSBOX_N_NS]; /* the box's namespaces in the index (box_ns_mark) */
	uid_t uid;
	gid_t gid;
	bool reserved;
	bool denied;                /* refused by a rule, not a failure: on_error does not apply */
	int sweeper;                /* our end of the sweeper's socket (sweeper.c) */
	pid_t sweeper_pid;
	char unit[64];              /* the box's systemd unit, where systemd runs (unit.c) */
	struct held_file held;      /* what it holds on the host (held.h), from box_reserve on */
	bool finish_after_reap;     /* its directory goes after its cgroups, once the init ended */
	int hold;                   /* the application's hold (hold.c), for every member */
	/* share = user, max_boxes (share.c) */
	int user_lock;              /* from the lookup on; until when: share.c's table */
	int join_listen;            /* a shared box's join socket */
	unsigned long long digest;
	char joined[NSBOX_ID_LEN + 1]; /* the box another supervisor took this login into */
};

/* How a login that open_box did not refuse goes on. Kept apart from the -errno of a refusal and
 * from the reply: only the edge (helper.c) turns it into what the module is told. */
enum session_outcome {
	SESSION_BUILT,  /* a box of its own: this supervisor answers and supervises it */
	SESSION_EXEMPT, /* no box: this supervisor answers, and is done */
	SESSION_JOINED, /* handed to the user's shared box, whose supervisor answered the module */
};

/* Decides and builds: 0 with *OUT, or -errno with ERR saying why (S->denied when a rule, not a
 * failure, refused it). */
int open_box(struct session *s, struct nsbox_reply *rep, int appfd, enum session_outcome *out,
	     struct nsbox_err *err);
/* Frees what the box holds on the host without waiting for its processes; logs each step that
 * fails and goes on. */
void teardown_host(struct session *s);
/* Waits BOX_REAP_TIMEOUT_MS at most for the killed init, then removes what waited for it. */
void reap_box(struct session *s);

#endif
