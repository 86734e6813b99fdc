// SPDX-License-Identifier: BSD-3-Clause
/* Process identity (pid + start time) and liveness, for nsbox-helper (supervisor and box init
 * records, leases) and nsboxctl (root), and the unit tests (any user); reads /proc only. */
#ifndef NSBOX_PROC_H
#define NSBOX_PROC_H

#include <sys/types.h>

/* One process for good: a pid alone may be reused, the pair never is (within one boot). */
struct nsbox_proc {
	pid_t pid;
	unsigned long long start; /* field 22 of /proc/PID/stat, in clock ticks since boot */
};

/* PID's identity into *OUT. 0; -ESRCH when PID is gone; other -errno when /proc/PID/stat cannot
 * be read or parsed. */
int proc_id(pid_t pid, struct nsbox_proc *out);
/* The caller's identity, and the signals it ignores (bit N-1 for signal N), from one read of
 * /proc/self/stat; 0 or -errno. */
int proc_self(struct nsbox_proc *out, unsigned long long *sigignore);
/* 1 while P's process runs (same pid, same start time, not a zombie); 0 when it is gone, a
 * zombie, its pid was reused, or P names no process (pid <= 0). -errno when that cannot be told:
 * a caller must then treat P as alive, never remove what P owns. */
int proc_alive(const struct nsbox_proc *p);
/* 1 when the caller runs outside every box, as the helper and nsboxctl must: its own /proc is the
 * one it sees (a process that joined a box's mount namespace alone cannot find itself there),
 * PID 1 of its pid namespace is not a box init, and none of its namespaces is a live box's by
 * identity (the index under NSBOX_NS_DIR, lib/record.c): a helper that su or sudo started inside
 * a box, with or without a pid namespace of its own. 0 when not; -errno when that cannot be told. */
int proc_on_host(void);
/* PID's name (from /proc/PID/status) and its parent; -errno when unreadable. */
int proc_comm_ppid(pid_t pid, char *comm, size_t n, pid_t *ppid);
/* The pid behind the pidfd FD, from its fdinfo; 0 when it cannot be told. */
int proc_pidfd_pid(int fd);
/* Names the caller NAME in ps and top: its comm, and its command line rewritten in place (the
 * argument area the kernel shows as /proc/self/cmdline), NAME cut to fit. 0 or -errno (the comm
 * is set even then). */
int proc_set_title(const char *name);
/* The start time and state letter from the text of a /proc/PID/stat file; 0 or -EIO. */
int proc_stat_parse(const char *buf, unsigned long long *start, char *state);

#endif
