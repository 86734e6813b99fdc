// SPDX-License-Identifier: BSD-3-Clause
/* User and group names of a login through NSS, for nsbox-helper (root, host namespaces) and
 * nsboxctl check (root): getgrouplist sees LDAP/SSSD groups that /etc/group does not list. The
 * reentrant calls tell "no such entry" (0 and no result) from "the source failed" (an error
 * number), which the plain getgrgid folds into one NULL. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "groups.h"
#include "nsbox/cleanup.h"

#define NSS_BUF_MIN 1024
#define NSS_BUF_MAX (1024 * 1024) /* a group of some thousand members; ERANGE beyond */

/* Grows *BUF until LOOKUP stops saying ERANGE: LOOKUP's result, 0 or an error number. */
#define NSS_RETRY(buf, len, lookup)                                           \
	({                                                                    \
		int _r = ERANGE;                                              \
		for (size_t _l = NSS_BUF_MIN; _r == ERANGE && _l <= NSS_BUF_MAX; \
		     _l *= 2) {                                               \
			char *_b = realloc(*(buf), _l);                       \
			if (!_b) {                                            \
				_r = ENOMEM;                                  \
				break;                                        \
			}                                                     \
			*(buf) = _b;                                          \
			(len) = _l;                                           \
			_r = (lookup);                                        \
		}                                                             \
		_r;                                                           \
	})

int
user_lookup(const char *name, struct passwd *pw, char **buf)
{
	struct passwd *res = NULL;
	size_t len = 0;
	int r;

	*buf = NULL;
	r = NSS_RETRY(buf, len, getpwnam_r(name, pw, *buf, len, &res));
	if (r == 0 && !res)
		r = ENOENT;
	if (r != 0) {
		free(*buf);
		*buf = NULL;
		return -r;
	}
	return 0;
}

int
user_groups(const struct passwd *pw, char ***names, size_t *n, gid_t *bad)
{
	gid_t gids[NSBOX_MAX_GROUPS];
	int ng = NSBOX_MAX_GROUPS;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, k = 0;
	char **v;

	if (getgrouplist(pw->pw_name, pw->pw_gid, gids, &ng) < 0)
		return -E2BIG;
	v = calloc((size_t)ng + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < ng; i++) {
		struct group g, *res = NULL;
		int r = NSS_RETRY(&buf, len, getgrgid_r(gids[i], &g, buf, len, &res));

		if (r == 0 && !res)
			continue; /* a numeric gid no source names: nothing to match */
		if (r == 0 && !(v[k] = strdup(g.gr_name)))
			r = ENOMEM;
		if (r != 0) {
			if (bad)
				*bad = gids[i];
			groups_free(v, k);
			return -r;
		}
		k++;
	}
	*names = v;
	*n = k;
	return 0;
}

static bool
has_name(char **v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], name))
			return true;
	return false;
}

static bool
is_member(const struct group *g, const struct passwd *pw)
{
	if (g->gr_gid == pw->pw_gid)
		return true;
	for (char **m = g->gr_mem; m && *m; m++)
		if (!strcmp(*m, pw->pw_name))
			return true;
	return false;
}

int
user_groups_named(const struct passwd *pw, const char *const *want, size_t n_want,
		  char ***names, size_t *n, const char **bad)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	for (size_t i = 0; i < n_want; i++) {
		struct group g, *res = NULL;
		char **v;
		int r;

		if (has_name(*names, *n, want[i]))
			continue;
		r = NSS_RETRY(&buf, len, getgrnam_r(want[i], &g, buf, len, &res));
		if (r != 0) {
			if (bad)
				*bad = want[i];
			return -r;
		}
		if (!res || !is_member(&g, pw))
			continue;
		v = realloc(*names, (*n + 2) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		*names = v;
		v[*n] = strdup(want[i]);
		if (!v[*n])
			return -ENOMEM;
		v[++*n] = NULL;
	}
	return 0;
}

#define MAX_NAMED 64 /* plain group names looked up one by one; more are left to getgrouplist */

struct named {
	const char *v[MAX_NAMED];
	size_t n;
};

static void
add_named(const char *name, void *arg)
{
	struct named *w = arg;

	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->v[i], name))
			return;
	if (w->n < MAX_NAMED)
		w->v[w->n++] = name;
}

int
login_groups(const struct nsbox_conf *c, const struct passwd *pw, char ***names, size_t *n,
	     char *bad, size_t bad_n)
{
	struct named w = { .n = 0 };
	const char *bad_name = NULL;
	gid_t bad_gid = 0;
	int r;

	r = user_groups(pw, names, n, &bad_gid);
	if (r < 0) {
		snprintf(bad, bad_n, "%u", (unsigned)bad_gid);
		return r;
	}
	nsbox_conf_group_names(c, add_named, &w);
	r = user_groups_named(pw, w.v, w.n, names, n, &bad_name);
	if (r < 0) {
		snprintf(bad, bad_n, "'%s'", bad_name ? bad_name : "?");
		groups_free(*names, *n);
		*names = NULL;
		*n = 0;
	}
	return r;
}

void
groups_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
