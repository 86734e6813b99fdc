// SPDX-License-Identifier: BSD-3-Clause
/* nsboxctl check's warnings: a config that loads but does not do what its author meant. A
 * [match] section no login it names can reach, a group= name no source knows, root or an
 * administrator boxed with a profile that takes sudo away. Runs in nsboxctl (any user): NSS
 * lookups only, each warning one line on stderr. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "groups.h"
#include "lint.h"
#include "nsbox/cleanup.h"

enum { CRIT_USER, CRIT_GROUP, CRIT_SERVICE };

/* The groups a Debian, Fedora or BSD-style host gives its administrators. */
static const char *const admin_groups[] = { "sudo", "wheel", "admin" };

/* A service no [match service=...] names: how a section that names no service is judged. */
#define ANY_SERVICE "\x01(any service)"

struct names {
	char **v;
	size_t n;
};

static int
names_add(struct names *ns, const char *name)
{
	for (size_t i = 0; i < ns->n; i++)
		if (!strcmp(ns->v[i], name))
			return 0;
	if (ns->n >= 4096)
		return -E2BIG; /* a group that large is not enumerated */
	char **v = realloc(ns->v, (ns->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ns->v = v;
	if (!(ns->v[ns->n] = strdup(name)))
		return -ENOMEM;
	ns->n++;
	return 0;
}

static void
names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	*ns = (struct names){ NULL, 0 };
}

static bool
has_glob(const char *list)
{
	for (const char *g = list; g && *g; g += strlen(g) + 1)
		if (strpbrk(g, "*?[\\"))
			return true;
	return false;
}

/* The members of group NAME a source lists (gr_mem), and the users whose primary group it is.
 * 0; -ENOENT when no source knows the group; other -errno. */
static int
group_members(const char *name, struct names *out)
{
	struct group *gr;
	struct passwd *pw;
	int r = 0;

	errno = 0;
	gr = getgrnam(name);
	if (!gr)
		return errno ? -errno : -ENOENT;
	gid_t gid = gr->gr_gid;
	for (char **m = gr->gr_mem; m && *m && r == 0; m++)
		r = names_add(out, *m);
	setpwent();
	while (r == 0 && (pw = getpwent()))
		if (pw->pw_gid == gid)
			r = names_add(out, pw->pw_name);
	endpwent();
	return r;
}

/* The section that applies to USER through SERVICE: -1 none, -2 USER cannot be looked up. */
static long
applies_to(const struct nsbox_conf *c, const char *user, const char *service,
	   struct nsbox_settings *s)
{
	struct passwd pw;
	_cleanup_free_ char *buf = NULL;
	char **groups = NULL, bad[300];
	size_t n = 0;

	if (user_lookup(user, &pw, &buf) < 0 ||
	    login_groups(c, &pw, &groups, &n, bad, sizeof(bad)) < 0)
		return -2;
	struct nsbox_login who = { .user = user, .service = service,
				   .groups = (const char *const *)groups, .n_groups = n };
	long m = nsbox_conf_first_match(c, &who);
	if (s)
		nsbox_conf_resolve(c, &who, s);
	groups_free(groups, n);
	return m;
}

/* The section that applies through SERVICE to a user no user= or group= rule names: one that
 * takes everyone, or -1. */
static long
applies_to_nobody(const struct nsbox_conf *c, const char *service)
{
	struct nsbox_login who = { .user = "\x01(nobody)", .service = service };

	return nsbox_conf_first_match(c, &who);
}

/* "[match user=a,b group=g]" for section I. */
static const char *
header(const struct nsbox_section_info *si, char *out, size_t n)
{
	static const char *const crit[3] = { "user", "group", "service" };
	size_t o = (size_t)snprintf(out, n, "[match");

	for (int k = 0; k < 3; k++) {
		if (!si->crit[k] || o >= n)
			continue;
		o += (size_t)snprintf(out + o, n - o, " %s=", crit[k]);
		for (const char *g = si->crit[k]; *g && o < n; g += strlen(g) + 1)
			o += (size_t)snprintf(out + o, n - o, "%s%s", g == si->crit[k] ? "" : ",", g);
	}
	if (o < n)
		snprintf(out + o, n - o, "]");
	return out;
}

/* Group names of section SI that no source knows: the section matches no one by them (a "wheel"
 * copied onto a Debian host). */
static int
lint_groups(const struct nsbox_section_info *si)
{
	int w = 0;

	for (const char *g = si->crit[CRIT_GROUP]; g && *g; g += strlen(g) + 1) {
		if (strpbrk(g, "*?[\\"))
			continue;
		errno = 0;
		if (!getgrnam(g) && !errno) {
			fprintf(stderr, "nsboxctl: %s:%u: warning: no group '%s' on this host: the section "
					"matches no one through it\n", si->file, si->line, g);
			w++;
		}
	}
	return w;
}

/* The users section SI names; false when it cannot tell (a glob in its user= or group= list, a
 * group no source lists). A section without user= and group= names everyone: none is listed. */
static bool
named_users(const struct nsbox_section_info *si, struct names *users)
{
	if (has_glob(si->crit[CRIT_USER]) || has_glob(si->crit[CRIT_GROUP]))
		return false;
	for (const char *u = si->crit[CRIT_USER]; u && *u; u += strlen(u) + 1)
		if (names_add(users, u) < 0)
			return false;
	if (!si->crit[CRIT_USER])
		for (const char *g = si->crit[CRIT_GROUP]; g && *g; g += strlen(g) + 1)
			if (group_members(g, users) < 0)
				return false;
	return true;
}

/* The services section SI names, or ANY_SERVICE for none or a glob. 0 or -errno. */
static int
named_services(const struct nsbox_section_info *si, struct names *services)
{
	int r = 0;

	if (!si->crit[CRIT_SERVICE] || has_glob(si->crit[CRIT_SERVICE]))
		return names_add(services, ANY_SERVICE);
	for (const char *v = si->crit[CRIT_SERVICE]; *v && r == 0; v += strlen(v) + 1)
		r = names_add(services, v);
	return r;
}

/* Section I, when earlier sections take every login it names. Through each service it names,
 * either an earlier section takes everyone (it takes a user no rule names), or the section
 * that applies to each user it names (who exists here) is an earlier one. Prints the warning;
 * 1 or 0. */
static int
lint_shadowed(const struct nsbox_conf *c, size_t i, const struct nsbox_section_info *si)
{
	struct names users = { 0 }, services = { 0 };
	bool listed = named_users(si, &users);
	bool shadowed = named_services(si, &services) == 0;
	long by = -1;

	for (size_t v = 0; shadowed && v < services.n; v++) {
		long m = applies_to_nobody(c, services.v[v]);
		if (m >= 0 && (size_t)m < i) {
			by = m;
			continue;
		}
		size_t looked_up = 0;
		for (size_t u = 0; listed && shadowed && u < users.n; u++) {
			m = applies_to(c, users.v[u], services.v[v], NULL);
			if (m == -2)
				continue; /* not a user here (yet): it proves nothing */
			looked_up++;
			if (m < 0 || (size_t)m >= i)
				shadowed = false;
			else
				by = m;
		}
		if (!looked_up)
			shadowed = false;
	}
	names_free(&users);
	names_free(&services);
	struct nsbox_section_info e;
	if (!shadowed || by < 0 || nsbox_conf_section(c, (size_t)by, &e) < 0)
		return 0;
	char h[600], he[600];
	fprintf(stderr, "nsboxctl: %s:%u: warning: %s never applies: %s at %s:%u comes first and "
			"takes every login it names\n", si->file, si->line, header(si, h, sizeof(h)),
		header(&e, he, sizeof(he)), e.file, e.line);
	return 1;
}

/* Root and the members of the administrators' groups, when a login through SERVICE (sshd and
 * login when NULL) would box them with no_new_privs: sudo and su then fail in their sessions,
 * and a boxed root can still rewrite this config. One warning per user. */
static int
lint_admins(const struct nsbox_conf *c, const char *service)
{
	const char *const svcs[] = { service ? service : "sshd", service ? NULL : "login" };
	struct names users = { 0 };
	int w = 0;

	names_add(&users, "root");
	for (size_t g = 0; g < sizeof(admin_groups) / sizeof(admin_groups[0]); g++)
		group_members(admin_groups[g], &users);
	for (size_t u = 0; u < users.n; u++)
		for (size_t v = 0; v < 2 && svcs[v]; v++) {
			struct nsbox_settings s;
			if (applies_to(c, users.v[u], svcs[v], &s) == -2 || s.exempt ||
			    !s.no_new_privs)
				continue;
			fprintf(stderr, "nsboxctl: warning: %s %s would be boxed with no_new_privs "
					"(profile %s, %s) through %s: sudo and su fail in that box; exempt "
					"%s in a [match] section before the others\n",
				strcmp(users.v[u], "root") ? "administrator" : "the superuser",
				users.v[u], nsbox_profile_name(s.profile), s.matched, svcs[v],
				strcmp(users.v[u], "root") ? "the administrators' group" : "root");
			w++;
			break;
		}
	names_free(&users);
	return w;
}

/* A sysctl of 0 or 1; -errno when it cannot be read. */
static int
sysctl_flag(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	int v = -1;

	if (!f)
		return -errno;
	return fscanf(f, "%d", &v) == 1 ? v : -EINVAL;
}

struct routed_lint {
	char where4[300], where6[300]; /* the first routed box of each family */
};

static void
routed_seen(const char *where, bool v4, bool v6, void *arg)
{
	struct routed_lint *l = arg;

	if (v4 && !l->where4[0])
		snprintf(l->where4, sizeof(l->where4), "%s", where);
	if (v6 && !l->where6[0])
		snprintf(l->where6, sizeof(l->where6), "%s", where);
}

/* Routed boxes while the host does not forward: they reach the host and nothing past it. The
 * product never turns forwarding on; the admin does (nsbox.conf(5)). One warning per family. */
static int
lint_routed(const struct nsbox_conf *c)
{
	static const struct {
		const char *sysctl, *path;
	} fam[2] = { { "net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward" },
		     { "net.ipv6.conf.all.forwarding", "/proc/sys/net/ipv6/conf/all/forwarding" } };
	struct routed_lint l = { "", "" };
	int w = 0;

	nsbox_conf_foreach_routed(c, routed_seen, &l);
	for (int i = 0; i < 2; i++) {
		const char *where = i ? l.where6 : l.where4;
		if (!where[0] || sysctl_flag(fam[i].path) != 0)
			continue;
		fprintf(stderr, "nsboxctl: %s: warning: network = routed, but %s is 0 on this host: "
				"its routed boxes reach the host and nothing past it\n", where,
			fam[i].sysctl);
		w++;
	}
	return w;
}

int
nsbox_lint(const struct nsbox_conf *c, const char *service)
{
	struct nsbox_section_info si;
	int w = lint_routed(c);

	for (size_t i = 0; nsbox_conf_section(c, i, &si) == 0; i++)
		if (si.is_match)
			w += lint_groups(&si) + lint_shadowed(c, i, &si);
	return w + lint_admins(c, service);
}
