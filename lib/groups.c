/* Group names of a login through NSS, for nsbox-helper (root, host namespaces) and nsboxctl
 * check (root): getgrouplist sees LDAP/SSSD groups that /etc/group does not list. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "groups.h"

int
user_groups(const struct passwd *pw, char ***names, size_t *n)
{
	gid_t gids[NSBOX_MAX_GROUPS];
	int ng = NSBOX_MAX_GROUPS;
	char **v;

	if (getgrouplist(pw->pw_name, pw->pw_gid, gids, &ng) < 0)
		return -E2BIG;
	v = calloc((size_t)ng + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*n = 0;
	for (int i = 0; i < ng; i++) {
		struct group *g = getgrgid(gids[i]);
		if (g && g->gr_name && (v[*n] = strdup(g->gr_name)))
			(*n)++;
	}
	*names = v;
	return 0;
}

void
groups_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
