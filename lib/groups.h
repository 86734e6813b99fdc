// SPDX-License-Identifier: BSD-3-Clause
/* The user and group names of a login through NSS (LDAP/SSSD too), for nsbox-helper (root) and
 * nsboxctl check alike; returns 0 or -errno, never logs. A source that fails (an LDAP or SSSD
 * outage) is an error, never a shorter answer: a missing group could exempt a login. */
#ifndef NSBOX_GROUPS_H
#define NSBOX_GROUPS_H

#include <stddef.h>
#include <sys/types.h>

#define NSBOX_MAX_GROUPS 1024

struct passwd;
/* NAME's passwd entry into *PW, its strings in *BUF (free() it): 0, -ENOENT when no source
 * knows NAME, or the -errno of a source that failed. */
int user_lookup(const char *name, struct passwd *pw, char **buf);
/* *NAMES gets a calloc'ed vector of *N strdup'ed names; free it with groups_free. A gid that no
 * source knows is left out (it has no name a group= rule could match); a gid whose lookup
 * fails is an error, and *BAD (when not NULL) gets that gid. */
int user_groups(const struct passwd *pw, char ***names, size_t *n, gid_t *bad);
/* Adds each group of WANT (N_WANT names) that PW's user is in (its primary group, or a member)
 * and *NAMES does not hold yet. A lookup that fails is an error, and *BAD (when not NULL) gets
 * that name: the check getgrouplist cannot make, since it lists fewer groups when a source
 * fails. A name no source knows is skipped. */
int user_groups_named(const struct passwd *pw, const char *const *want, size_t n_want,
		      char ***names, size_t *n, const char **bad);
void groups_free(char **v, size_t n);

struct nsbox_conf;
/* The groups of PW's user as config C can match them: user_groups, then user_groups_named
 * for C's plain group names. On a failed lookup BAD (N bytes) names the group ("1003" or
 * "'lab'"). 0 or -errno. */
int login_groups(const struct nsbox_conf *c, const struct passwd *pw, char ***names, size_t *n,
		 char *bad, size_t bad_n);

#endif
