/* Group names of a login through NSS (LDAP/SSSD groups too), for nsbox-helper (root) and
 * nsboxctl check alike; returns 0 or -errno, never logs. */
#ifndef NSBOX_GROUPS_H
#define NSBOX_GROUPS_H

#include <stddef.h>

#define NSBOX_MAX_GROUPS 1024

struct passwd;
/* *NAMES gets a calloc'ed vector of *N strdup'ed names; free it with groups_free. */
int user_groups(const struct passwd *pw, char ***names, size_t *n);
void groups_free(char **v, size_t n);

#endif
