// SPDX-License-Identifier: BSD-3-Clause
/* Wire format between pam_nsbox.so (inside the PAM application, root) and nsbox-helper (root):
 * fixed-size records over a SOCK_SEQPACKET socketpair, fds passed with SCM_RIGHTS. */
#ifndef NSBOX_PROTO_H
#define NSBOX_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NSBOX_PROTO_VERSION 3
#define NSBOX_HELPER_FD     3 /* the socket's number in the helper */
#define NSBOX_ID_LEN        8 /* hex digits; host veth "nsb" + id fits IFNAMSIZ */
/* How long the module waits for the helper's answer: a backstop for a helper that hangs where
 * it has no bound of its own (an NSS lookup). Every stage the helper bounds ends well before it,
 * with its own message (helper.c adds those bounds up and checks them against the minimum). The
 * module's timeout= argument may raise it, never below the minimum: shorter, a slow stage would
 * be reported as "helper timed out" instead of what was slow. */
#define NSBOX_REPLY_TIMEOUT_MIN_MS 250000
#define NSBOX_REPLY_TIMEOUT_MS     NSBOX_REPLY_TIMEOUT_MIN_MS

enum nsbox_op {
	NSBOX_OP_OPEN = 1,  /* module → helper, carries the application's pidfd */
	NSBOX_OP_CLOSE = 2, /* module → supervisor: the session ended, end the box */
	/* a new child of the application (the module's fork guard) → supervisor: move me into the
	 * box's cgroups or unit; carries a socket the supervisor answers on (an int32: 0 or
	 * -errno) and whose SO_PEERCRED names the child */
	NSBOX_OP_ATTACH = 3,
};

enum nsbox_req_flags {
	NSBOX_REQ_DEBUG = 1u << 0,
	NSBOX_REQ_ON_ERROR_DENY = 1u << 1,  /* module argument overrides the config */
	NSBOX_REQ_ON_ERROR_ALLOW = 1u << 2,
	/* systemd runs on the host, yet the application is in no logind session: pam_systemd
	 * did not register it (the helper says why, from the service's PAM stack) */
	NSBOX_REQ_NO_LOGIND = 1u << 3,
};

struct nsbox_request {
	uint32_t version;
	uint32_t op;
	uint32_t flags;
	char user[256];
	char service[64];
	char ruser[256];
	char rhost[256];
	char tty[64];
	char conf[256];
};

enum nsbox_status {
	NSBOX_REPLY_BOXED = 0,  /* carries the box init's pidfd and the application's hold */
	NSBOX_REPLY_EXEMPT = 1, /* the user is exempt: no box */
	NSBOX_REPLY_FAILED = 2, /* msg says why */
	NSBOX_REPLY_DENIED = 3, /* a limit (max_boxes, max_sessions) refuses it: msg says which;
				 * on_error = allow does not apply, or a user could log in unboxed
				 * by opening one session more */
};

/* What every process the application forks while boxed gets (pam_module/policy.c). */
enum nsbox_policy_flags {
	NSBOX_POL_NNP = 1u << 0,     /* no_new_privs */
	NSBOX_POL_CAPS = 1u << 1,    /* bounding set cut to caps_keep; inheritable, ambient cleared */
	NSBOX_POL_SECCOMP = 1u << 2, /* the built-in denylist */
};

struct nsbox_policy {
	uint32_t flags;
	uint32_t reserved;
	uint64_t caps_keep; /* bit N: keep capability N in the bounding set */
};

struct nsbox_reply {
	uint32_t version;
	uint32_t status;
	int32_t error;          /* -errno when FAILED */
	uint32_t on_error;      /* enum nsbox_on_error that applies to this login */
	uint64_t namespaces;    /* CLONE_NEW* the application must join */
	struct nsbox_policy policy;
	char id[NSBOX_ID_LEN + 1];
	char ipv4[64];
	char ipv6[64];
	char msg[512];
	uint32_t box_flags;     /* enum nsbox_box_flags */
};

enum nsbox_box_flags {
	/* share = user: the box may have other member sessions; the module leaves it alive at
	 * close, and its supervisor ends it when its last member is gone */
	NSBOX_BOX_SHARED = 1u << 0,
	/* the box has resource limits: every child of the application asks to be moved into the
	 * box's cgroups (NSBOX_OP_ATTACH) before it runs anything */
	NSBOX_BOX_ATTACH = 1u << 1,
};
/* How long a child of the application waits for its move into the box's cgroups. */
#define NSBOX_ATTACH_TIMEOUT_MS 10000

/* The most fds a record carries (a join passes the module's socket and the application). */
#define NSBOX_MAX_FDS 2
/* Sends one record with the NFD fds of FDS attached. Returns 0 or -errno. */
int nsbox_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfd);
/* Sends one record, with FD attached when FD >= 0. Returns 0 or -errno. */
int nsbox_send(int sock, const void *buf, size_t len, int fd);
/* Receives exactly one record of LEN bytes and at most NFD passed fds (O_CLOEXEC) into FDS, the
 * rest -1; FLAGS go to recvmsg. Returns how many fds came. A record of another size, a truncated
 * one, or more than NFD fds → -EBADMSG, with none kept. EOF → -ECONNRESET. */
int nsbox_recv_fds(int sock, void *buf, size_t len, int *fds, size_t nfd, int flags);
/* nsbox_recv_fds for at most one fd into *FD (none when FD is NULL); 0 or -errno. */
int nsbox_recv(int sock, void *buf, size_t len, int *fd);
/* Waits at most TIMEOUT_MS (< 0: for ever) for FD to be readable: after a signal it goes on with
 * the time left, and once the deadline has passed the wait is over, however many signals keep
 * interrupting it. 0, -ETIMEDOUT, or -errno. */
int nsbox_wait_readable(int fd, int timeout_ms);
/* True when S is NUL-terminated inside its N bytes and holds no control characters. */
int nsbox_str_ok(const char *s, size_t n);
/* True when REQ is an OPEN request of this version whose user, service and conf the helper may
 * use as strings (rhost and tty are only ever copied bounded). Fuzzed by tests/fuzz/fuzz_proto.c. */
int nsbox_request_ok(const struct nsbox_request *req);
/* True when REP is a reply of this version whose msg and id are strings. */
int nsbox_reply_ok(const struct nsbox_reply *rep);

#endif
