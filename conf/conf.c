// SPDX-License-Identifier: BSD-3-Clause
/* The public entry points of conf/: loading or parsing a whole config, freeing it, and what
 * nsboxctl asks of it. Pure code: no privileged work, no logging, no exit; linked into
 * nsbox-helper (runs as root and loads the config for every login), nsboxctl and the tests.
 * The work is in lex.c (text, trust, include), match.c (sections, rules, templates), keys.c
 * (the key registry), check.c (load-time checks) and addr.c (addresses). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nsbox/cleanup.h"

void
nsbox_conf_free(struct nsbox_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->sec[i].file);
		for (int k = 0; k < C_N; k++)
			free(c->sec[i].crit[k]);
	}
	free(c->sec);
	free(c->top);
	free(c);
}

static void
conf_freep(struct nsbox_conf **c)
{
	nsbox_conf_free(*c);
}

static void
parser_done(struct parser *p)
{
	free(p->line);
	free(p->orig);
}

static int
parser_init(struct parser *p, const char *name, struct nsbox_conf_err *err)
{
	memset(err, 0, sizeof(*err));
	p->err = err;
	p->c = calloc(1, sizeof(*p->c));
	p->line = malloc(NSBOX_CONF_MAX_LINE + 1);
	p->orig = malloc(NSBOX_CONF_MAX_LINE + 1);
	if (p->c)
		p->c->top = strdup(name);
	if (!p->c || !p->c->top || !p->line || !p->orig)
		return conf_fail(err, name, 0, -ENOMEM, "out of memory");
	return 0;
}

/* Reads the file NAME (TEXT NULL: with its includes, every file trusted only when owned by UID)
 * or the string TEXT of LEN bytes as if it were file NAME, then checks the whole. */
static int
conf_read(const char *name, const char *text, size_t len, uid_t uid, struct nsbox_conf **out,
	  struct nsbox_conf_err *err)
{
	_cleanup_(parser_done) struct parser p = { .uid = uid, .allow_include = !text };
	_cleanup_(conf_freep) struct nsbox_conf *c = NULL;
	int r;

	r = parser_init(&p, name, err);
	c = p.c;
	if (r < 0)
		return r;
	r = text ? conf_parse_buf(&p, name, text, len, 0) : conf_load_file(&p, name, 0);
	if (r < 0)
		return r;
	r = conf_check(c, err);
	if (r < 0)
		return r;
	*out = steal_ptr(c);
	return 0;
}

int
nsbox_conf_load(const char *path, uid_t trusted_uid, struct nsbox_conf **out,
		struct nsbox_conf_err *err)
{
	struct nsbox_conf_err dummy;

	if (!err)
		err = &dummy;
	*out = NULL;
	if (!path)
		return conf_fail(err, "", 0, -EINVAL, "no file name");
	return conf_read(path, NULL, 0, trusted_uid, out, err);
}

int
nsbox_conf_parse_string(const char *name, const char *text, size_t len, struct nsbox_conf **out,
			struct nsbox_conf_err *err)
{
	struct nsbox_conf_err dummy;

	if (!err)
		err = &dummy;
	*out = NULL;
	return conf_read(name ? name : "(string)", text ? text : "", text ? len : 0, 0, out, err);
}

size_t
nsbox_conf_n_sections(const struct nsbox_conf *c)
{
	return c ? c->n : 0;
}

void
nsbox_conf_foreach_bridge(const struct nsbox_conf *c,
			  void (*fn)(const char *bridge, const char *where, void *arg), void *arg)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct section *sec = &c->sec[i];
		char where[300];

		if (!sec->key_line[K_BRIDGE])
			continue;
		snprintf(where, sizeof(where), "%s:%u", sec->file, sec->key_line[K_BRIDGE]);
		for (unsigned b = 0; b < sec->v.n_bridges && b < NSBOX_MAX_BRIDGES; b++)
			fn(sec->v.bridge[b], where, arg);
	}
}

void
nsbox_conf_foreach_routed(const struct nsbox_conf *c,
			  void (*fn)(const char *where, bool v4, bool v6, void *arg), void *arg)
{
	struct layered d, dm;

	layer_init(&d);
	for (size_t i = 0; i < c->n; i++)
		if (!c->sec[i].is_match)
			layer_apply(&d, &c->sec[i]);
	for (size_t i = 0; i <= c->n; i++) {
		char where[300];

		/* i == c->n: [defaults] alone, the box of a login no [match] takes */
		if (i < c->n && !c->sec[i].is_match)
			continue;
		dm = d;
		if (i < c->n)
			layer_apply(&dm, &c->sec[i]);
		if (dm.s.network != NSBOX_NET_ROUTED || !dm.src[K_NETWORK])
			continue;
		snprintf(where, sizeof(where), "%s:%u", dm.src[K_NETWORK]->file,
			 dm.src[K_NETWORK]->key_line[K_NETWORK]);
		fn(where, dm.s.address.mode != NSBOX_ADDR_NONE, dm.s.address6.mode != NSBOX_ADDR_NONE,
		   arg);
	}
}

void
nsbox_conf_err_format(const struct nsbox_conf_err *err, char *out, size_t outlen)
{
	char file[sizeof(err->file) * 4 + 4];
	char msg[sizeof(err->msg) + 1];

	if (!outlen)
		return;
	/* The file name can come from a glob match: escape it like any user string. */
	conf_quote(file, sizeof(file), err->file);
	conf_copy_str(msg, err->msg, sizeof(msg));
	if (err->line)
		snprintf(out, outlen, "%s:%u: %s", file, err->line, msg);
	else
		snprintf(out, outlen, "%s: %s", file, msg);
}
