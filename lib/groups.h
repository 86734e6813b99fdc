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
void groups_free(char **v, size_t n);

#endif
