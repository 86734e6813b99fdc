// SPDX-License-Identifier: BSD-3-Clause
/* nsbox.conf rules: [defaults] and [match ...] sections, their criteria, which section a login
 * gets, and hostname templates (%u %i %s %h). Pure code: no privileged work, no logging; runs in
 * nsbox-helper (root, for every login), nsboxctl and the tests. */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nsbox/array.h"
#include "nsbox/cleanup.h"

static const char *const crit_name[C_N] = { "user", "group", "service" };

/* ---- sections ---- */

static int
section_new(struct parser *p, const char *file, unsigned line, bool is_match, ssize_t *cur)
{
	struct nsbox_conf *c = p->c;
	struct section *s;

	if (c->n >= MAX_SECTIONS)
		return conf_fail(p->err, file, line, -E2BIG, "too many sections (max %d)",
				 MAX_SECTIONS);
	struct section *ns = nsbox_grow(c->sec, c->n, &c->cap, sizeof(*ns), 8);

	if (!ns)
		return conf_fail(p->err, file, line, -ENOMEM, "out of memory");
	c->sec = ns;
	s = &c->sec[c->n];
	memset(s, 0, sizeof(*s));
	s->file = strdup(file);
	if (!s->file)
		return conf_fail(p->err, file, line, -ENOMEM, "out of memory");
	s->is_match = is_match;
	s->line = line;
	settings_builtin(&s->v);
	*cur = (ssize_t)c->n++;
	return 0;
}

/* One "NAME=GLOB,GLOB..." criterion TOK into SEC. */
static int
parse_criterion(struct parser *p, const char *file, unsigned line, char *tok, struct section *sec)
{
	char *eq = strchr(tok, '='), *list;
	char q[QBUF];
	size_t c, len;

	if (!eq)
		return conf_fail(p->err, file, line, -EINVAL,
				 "bad criterion '%s' (want user=, group= or service=)",
				 conf_quote(q, sizeof(q), tok));
	*eq = 0;
	for (c = 0; c < C_N; c++)
		if (!strcmp(tok, crit_name[c]))
			break;
	if (c == C_N)
		return conf_fail(p->err, file, line, -EINVAL, "unknown criterion '%s'",
				 conf_quote(q, sizeof(q), tok));
	if (sec->crit[c])
		return conf_fail(p->err, file, line, -EINVAL, "duplicate criterion '%s'",
				 crit_name[c]);
	len = strlen(eq + 1);
	if (len == 0 || eq[1] == ',' || eq[len] == ',' || strstr(eq + 1, ",,"))
		return conf_fail(p->err, file, line, -EINVAL, "empty element in %s= list '%s'",
				 crit_name[c], conf_quote(q, sizeof(q), eq + 1));
	list = malloc(len + 2);
	if (!list)
		return conf_fail(p->err, file, line, -ENOMEM, "out of memory");
	memcpy(list, eq + 1, len + 1);
	list[len + 1] = 0;
	for (char *x = list; *x; x++)
		if (*x == ',')
			*x = 0;
	sec->crit[c] = list;
	return 0;
}

static int
parse_criteria(struct parser *p, const char *file, unsigned line, char *text, struct section *sec)
{
	char *tok[C_N + 1];
	size_t n = conf_split(text, tok, ARRAY_SIZE(tok));
	int r;

	if (n == 0)
		return conf_fail(p->err, file, line, -EINVAL,
				 "match needs user=, group= or service=");
	if (n > C_N)
		return conf_fail(p->err, file, line, -EINVAL, "too many criteria (max %d)", C_N);
	for (size_t i = 0; i < n; i++) {
		r = parse_criterion(p, file, line, tok[i], sec);
		if (r < 0)
			return r;
	}
	return 0;
}

int
conf_section_header(struct parser *p, const char *file, unsigned line, char *s, ssize_t *cur)
{
	char q[QBUF];
	char *inner, *name;
	size_t len;
	int r;

	conf_strip_comment(s);
	s = conf_trim(s);
	len = strlen(s);
	if (len < 2 || s[len - 1] != ']')
		return conf_fail(p->err, file, line, -EINVAL, "bad section header '%s'",
				 conf_quote(q, sizeof(q), s));
	s[len - 1] = 0;
	inner = conf_trim(s + 1);
	if (!strcmp(inner, "defaults"))
		return section_new(p, file, line, false, cur);
	name = inner;
	while (*inner && !conf_is_blank(*inner))
		inner++;
	if (*inner)
		*inner++ = 0;
	if (!strcmp(name, "defaults"))
		return conf_fail(p->err, file, line, -EINVAL, "garbage after [defaults]");
	if (strcmp(name, "match") != 0)
		return conf_fail(p->err, file, line, -EINVAL, "unknown section '%s'",
				 conf_quote(q, sizeof(q), name));
	r = section_new(p, file, line, true, cur);
	if (r < 0)
		return r;
	return parse_criteria(p, file, line, inner, &p->c->sec[*cur]);
}

/* ---- matching ---- */

static bool
glob_list_match(const char *list, const char *s)
{
	if (!s)
		return false;
	for (const char *g = list; *g; g += strlen(g) + 1)
		if (fnmatch(g, s, 0) == 0)
			return true;
	return false;
}

static bool
group_match(const char *list, const struct nsbox_login *who)
{
	for (size_t i = 0; i < who->n_groups && who->groups; i++)
		if (glob_list_match(list, who->groups[i]))
			return true;
	return false;
}

void
nsbox_conf_explain(const struct nsbox_conf *c, const struct nsbox_login *who,
		   void (*fn)(const struct nsbox_section_result *r, void *arg), void *arg)
{
	bool found = false;

	for (size_t i = 0; c && who && i < c->n; i++) {
		const struct section *sec = &c->sec[i];
		struct nsbox_section_result r = { .file = sec->file, .line = sec->line,
						  .is_match = sec->is_match, .matches = true };
		for (size_t k = 0; k < C_N; k++) {
			const char *list = sec->crit[k];
			size_t o = 0;

			r.crit[k].name = crit_name[k];
			r.crit[k].held = -1;
			if (!list)
				continue;
			for (const char *g = list; *g && o < sizeof(r.crit[k].globs); g += strlen(g) + 1)
				o += (size_t)snprintf(r.crit[k].globs + o, sizeof(r.crit[k].globs) - o,
						      "%s%s", o ? "," : "", g);
			r.crit[k].held = k == C_GROUP ? group_match(list, who)
						      : glob_list_match(list, k == C_USER ? who->user
											  : who->service);
			if (!r.crit[k].held)
				r.matches = false;
		}
		r.applied = !sec->is_match || (r.matches && !found);
		if (sec->is_match && r.matches)
			found = true;
		fn(&r, arg);
	}
}

static bool
section_matches(const struct section *sec, const struct nsbox_login *who)
{
	if (sec->crit[C_USER] && !glob_list_match(sec->crit[C_USER], who->user))
		return false;
	if (sec->crit[C_SERVICE] && !glob_list_match(sec->crit[C_SERVICE], who->service))
		return false;
	if (sec->crit[C_GROUP]) {
		bool any = false;

		for (size_t i = 0; i < who->n_groups && who->groups && !any; i++)
			any = glob_list_match(sec->crit[C_GROUP], who->groups[i]);
		if (!any)
			return false;
	}
	return true;
}

bool
nsbox_conf_uses_groups(const struct nsbox_conf *c)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (c->sec[i].is_match && c->sec[i].crit[C_GROUP])
			return true;
	return false;
}

void
nsbox_conf_group_names(const struct nsbox_conf *c, void (*fn)(const char *name, void *arg),
		       void *arg)
{
	for (size_t i = 0; c && i < c->n; i++) {
		const char *list = c->sec[i].is_match ? c->sec[i].crit[C_GROUP] : NULL;

		for (const char *g = list; g && *g; g += strlen(g) + 1)
			if (!strpbrk(g, "*?[\\"))
				fn(g, arg);
	}
}

long
nsbox_conf_first_match(const struct nsbox_conf *c, const struct nsbox_login *who)
{
	for (size_t i = 0; c && who && i < c->n; i++)
		if (c->sec[i].is_match && section_matches(&c->sec[i], who))
			return (long)i;
	return -1;
}

int
nsbox_conf_section(const struct nsbox_conf *c, size_t i, struct nsbox_section_info *out)
{
	if (!c || i >= c->n)
		return -ENOENT;
	*out = (struct nsbox_section_info){ .file = c->sec[i].file, .line = c->sec[i].line,
					    .is_match = c->sec[i].is_match };
	for (size_t k = 0; k < C_N; k++)
		out->crit[k] = c->sec[i].crit[k];
	return 0;
}

void
nsbox_conf_resolve(const struct nsbox_conf *c, const struct nsbox_login *who,
		   struct nsbox_settings *out)
{
	struct layered l;
	long m = nsbox_conf_first_match(c, who);

	layer_init(&l);
	for (size_t i = 0; c && i < c->n; i++)
		if (!c->sec[i].is_match)
			layer_apply(&l, &c->sec[i]);
	if (m >= 0) {
		layer_apply(&l, &c->sec[m]);
		snprintf(l.s.matched, sizeof(l.s.matched), "%s:%u", c->sec[m].file, c->sec[m].line);
	}
	/* a bridge that is missing is reported at its key's line, as nsboxctl check reports it */
	if (l.src[K_BRIDGE])
		snprintf(l.s.bridge_at, sizeof(l.s.bridge_at), "%s:%u", l.src[K_BRIDGE]->file,
			 l.src[K_BRIDGE]->key_line[K_BRIDGE]);
	layer_finish(&l);
	*out = l.s;
}

/* ---- templates ---- */

#define TMPL_HASH_LEN 6  /* hex digits of the hash a changed value gets */
#define TMPL_VALUE_MAX 255

static bool
host_char(unsigned char c, bool dots)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || (dots && c == '.');
}

/* VALUE as host-name text of at most MAX bytes (MAX >= TMPL_HASH_LEN) into OUT: each byte a host
 * name cannot hold (with DOTS, a dot can) becomes '-', a run of them one, none at either end.
 * When that changed VALUE, or it had to be cut to MAX, "-" and a hash of the whole VALUE follow,
 * so that two values that map alike ("a_b", "a.b") still give two names. Returns the length. */
static size_t
value_map(const char *value, bool dots, size_t max, char *out)
{
	char m[TMPL_VALUE_MAX + 1];
	size_t n = 0, vlen = strnlen(value, TMPL_VALUE_MAX + 1);
	uint32_t h = 0x811c9dc5; /* FNV-1a */

	for (size_t i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)value[i];
		h = (h ^ c) * 0x01000193;
		if (i >= TMPL_VALUE_MAX)
			continue;
		if (c == '.' && dots) { /* a label's end: never empty, no hyphen before it */
			if (n && m[n - 1] == '-')
				m[n - 1] = '.';
			else if (n && m[n - 1] != '.')
				m[n++] = '.';
		} else if (!host_char(c, dots) || c == '-') {
			if (n && m[n - 1] != '-' && m[n - 1] != '.')
				m[n++] = '-';
		} else
			m[n++] = (char)c;
	}
	while (n && (m[n - 1] == '-' || m[n - 1] == '.'))
		n--;
	m[n] = 0;
	if (vlen <= TMPL_VALUE_MAX && n <= max && strcmp(m, value) == 0) {
		memcpy(out, m, n + 1);
		return n;
	}
	/* cut to leave room for "-HASH", no hyphen or dot left at the cut */
	size_t keep = max > TMPL_HASH_LEN ? max - TMPL_HASH_LEN - 1 : 0;
	if (keep > n)
		keep = n;
	while (keep && (m[keep - 1] == '-' || m[keep - 1] == '.'))
		keep--;
	memcpy(out, m, keep);
	return keep + (size_t)sprintf(out + keep, "%s%0*x", keep ? "-" : "", TMPL_HASH_LEN,
				      (unsigned)(h & ((1u << (4 * TMPL_HASH_LEN)) - 1)));
}

/* The longest label of NAME (LEN bytes). */
static size_t
longest_label(const char *name, size_t len)
{
	size_t best = 0, cur = 0;

	for (size_t i = 0; i < len; i++) {
		cur = name[i] == '.' ? 0 : cur + 1;
		if (cur > best)
			best = cur;
	}
	return best;
}

#define TMPL_MAX_VARS 32

int
nsbox_template_expand(const char *tmpl, const struct nsbox_tmpl_vars *v, char *out, size_t outlen)
{
	/* each %-escape's value: where it comes from, and how long it may be (it is cut, with a
	 * hash, when the name is too long) */
	struct {
		const char *value;
		bool dots, fixed;
		size_t max;
	} var[TMPL_MAX_VARS];
	size_t nvar = 0;
	char buf[TMPL_MAX_VARS * (TMPL_VALUE_MAX + TMPL_HASH_LEN + 2) + NSBOX_TEMPLATE_MAX];

	if (outlen)
		out[0] = 0;
	if (!tmpl)
		return -EINVAL;
	/* buf holds the template's own text at most NSBOX_TEMPLATE_MAX long (as the hostname key
	 * takes it), plus what the escapes expand to */
	if (strnlen(tmpl, NSBOX_TEMPLATE_MAX) == NSBOX_TEMPLATE_MAX)
		return -ENAMETOOLONG;
	for (const char *t = tmpl; *t; t++) {
		if (*t != '%')
			continue;
		t++;
		if (*t != 'u' && *t != 'i' && *t != 's' && *t != 'h' && *t != '%')
			return -EINVAL;
		if (*t == '%')
			continue;
		if (nvar == TMPL_MAX_VARS)
			return -E2BIG;
		const char *val = !v ? NULL : *t == 'u' ? v->user : *t == 'i' ? v->id
							: *t == 's' ? v->service : v->host;
		var[nvar++] = (typeof(var[0])){ .value = val ? val : "", .dots = *t == 'h',
						 .fixed = *t == 'i', .max = TMPL_VALUE_MAX + 1 + TMPL_HASH_LEN };
	}
	for (;;) {
		size_t o = 0, k = 0, len[TMPL_MAX_VARS];
		for (const char *t = tmpl; *t; t++) {
			if (*t != '%') {
				buf[o++] = *t;
			} else if (*++t == '%') {
				buf[o++] = '%';
			} else {
				len[k] = value_map(var[k].value, var[k].dots, var[k].max, buf + o);
				o += len[k++];
			}
		}
		buf[o] = 0;
		/* too long: the longest value that may be cut gives what is over */
		size_t over = o > NSBOX_HOSTNAME_MAX ? o - NSBOX_HOSTNAME_MAX : 0;
		size_t lab = longest_label(buf, o);
		if (lab > 63 && lab - 63 > over)
			over = lab - 63;
		if (over) {
			size_t best = nvar;
			for (k = 0; k < nvar; k++)
				if (!var[k].fixed && len[k] > TMPL_HASH_LEN &&
				    (best == nvar || len[k] > len[best]))
					best = k;
			if (best == nvar)
				return -ENAMETOOLONG;
			var[best].max = len[best] < over + TMPL_HASH_LEN ? TMPL_HASH_LEN
									  : len[best] - over;
			continue;
		}
		if (o >= outlen)
			return -ENOSPC;
		memcpy(out, buf, o + 1);
		return nsbox_hostname_valid(out) ? 0 : -EDOM;
	}
}
