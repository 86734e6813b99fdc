// SPDX-License-Identifier: BSD-3-Clause
/* share = user and the per-user limits (share.c), in nsbox-helper (root): a login finds its user's
 * shared box through root-owned records only and hands its session to that box's supervisor,
 * which then supervises every member. Functions return 0/positive or -errno; share_supervise,
 * the owner's loop, logs each join and leave as helper.c's main logs a box's start and end. */
#ifndef NSBOX_SHARE_H
#define NSBOX_SHARE_H

#include <stdbool.h>
#include <sys/types.h>

#include "helper.h"
#include "member.h"

/* A digest of everything that shapes a box (the resolved settings as nsboxctl check prints them,
 * the matched section included; on_error left out): logins share a box only when theirs are
 * equal. */
unsigned long long share_digest(const struct nsbox_settings *s);

/* The user's lock, NSBOX_USERS_DIR/UID.lock, held (flock, no bound) from the lookup until the
 * login is joined, built or refused (share.c's table says when): two logins of one user at one
 * instant end in one box, and a limit is counted against boxes that cannot appear meanwhile,
 * except those of logins that take no lock. An fd, or -errno. */
int share_lock_user(uid_t uid);

/* A login looking for its box (the joining side). */
struct share_login {
	const struct nsbox_request *req;
	uid_t uid;
	unsigned long long digest;
	bool share;           /* look for a box to join (share = user) */
	uint32_t on_error;    /* enum nsbox_on_error of this login, sent to the box it joins */
	unsigned max_boxes;   /* 0: no limit */
	int sock, appfd;      /* the module's socket and the application's pidfd, to hand on */
	/* out */
	char box[NSBOX_ID_LEN + 1]; /* the box joined */
	unsigned refused;     /* records of the user naming live processes that are no box */
	char refused_id[NSBOX_ID_LEN + 1];
	char (*ids)[NSBOX_ID_LEN + 1]; /* the user's live boxes counted (share_login_done frees) */
	size_t n_ids;
};
#define SHARE_JOINED 1
/* How long a joining login waits for the owner's ack: the owner answers at once; this bounds a
 * hung one (helper.c counts it among the stages before the module's answer). */
#define JOIN_TIMEOUT_MS 30000
/* Under the user's lock: with share, hands the login to a live shared box of the user with the
 * same digest, which answers the module itself (SHARE_JOINED); else counts the user's live boxes
 * against max_boxes. 0: build a box of our own. -errno with ERR: the login is denied (a limit). */
int share_lookup(struct share_login *l, struct nsbox_err *err);
/* pool_share, after share_lookup found L's boxes: 0 when they hold fewer addresses of each pool of
 * S than S's share of it; -EUSERS with ERR (one line naming the user, the pool and the limit) when
 * they hold their share of one; -errno with ERR when the leases cannot be read. The user's lock
 * keeps the count true until the login holds its own lease. */
int share_pool_check(const struct share_login *l, const struct nsbox_settings *s,
		     struct nsbox_err *err);
void share_login_done(struct share_login *l);

/* The owner of a shared box: its supervisor. */
struct share_member {
	int sock, appfd;
	struct box_member info;
};
struct share_owner {
	char id[NSBOX_ID_LEN + 1];
	char user[256];
	uid_t uid;
	unsigned long long digest;
	unsigned max_sessions; /* 0: BOX_MEMBERS_MAX */
	int listen;
	int init_pidfd;
	int hold;                /* the application's hold (hold.c), sent with init_pidfd */
	struct nsbox_proc init;
	struct nsbox_reply rep;  /* what every member's module is sent, as the first one was */
	struct box_record *rec;  /* the box's record, rewritten at each join and leave */
	struct share_member *m;
	size_t n, cap;
	struct box_attach attach; /* where the members' processes go (limits.c session_event) */
	/* the supervisor's own watches (resolv.conf replaced on the host): fd and handler */
	int watch_fd;
	void (*on_watch)(void *arg);
	void *watch_arg;
};
/* The box's join socket, NSBOX_BOXES_DIR/ID/BOX_JOIN, listening; made before the record. */
int share_listen(const char *id);
/* Supervises the box until its last member is gone, its init dies or a signal stops it; the
 * first member is the session that built it (SOCK, APPFD, REQ). Returns why the box ends. */
const char *share_supervise(struct share_owner *o, int sock, int appfd, int sfd,
			    const struct nsbox_request *req);

#endif
