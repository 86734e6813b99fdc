// SPDX-License-Identifier: BSD-3-Clause
/* The values of nsbox.conf's keys: one parser and one printer per kind of value (choices,
 * strings, numbers, sizes, paths, host and interface names, namespaces, the hostname template, the
 * hardening keys) that key_table (keys.c) names, and the messages a bad value gets. Pure code: no
 * privileged work, no logging; runs in nsbox-helper (root), nsboxctl and the tests. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "nsbox/cleanup.h"

/* ---- messages ---- */

int
bad_value(const struct kv *v, const char *val)
{
	char q[QBUF];

	return conf_fail(v->err, v->file, v->line, -EINVAL, "bad value '%s' for '%s' (want %s)",
			 conf_quote(q, sizeof(q), val), v->key->name, v->key->want);
}

__attribute__((format(printf, 2, 3))) int
kv_fail(const struct kv *v, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = conf_vfail(v->err, v->file, v->line, -EINVAL, fmt, ap);
	va_end(ap);
	return r;
}

int
too_many(const struct kv *v, size_t max)
{
	return kv_fail(v, "too many values for '%s' (max %zu)", v->key->name, max);
}

/* ---- names ---- */

static bool
is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* RFC 1123 name of at most MAX bytes. */
bool
name_valid(const char *s, size_t max)
{
	size_t len = strnlen(s, max + 1), label = 0;

	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(s[i]) || s[i] == '-') {
			if (s[i] == '-' && label == 0)
				return false;
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return label > 0 && s[len - 1] != '-';
}

bool
nsbox_hostname_valid(const char *name)
{
	return name && name_valid(name, NSBOX_HOSTNAME_MAX);
}

bool
nsbox_domain_valid(const char *name)
{
	return name && name_valid(name, 253);
}

bool
nsbox_ifname_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, IFNAMSIZ);
	if (len == 0 || len >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		/* dev_valid_name() refuses '/', ':' and whitespace; stricter here: no control or
		 * non-ASCII bytes, and no '%' (the kernel expands "%d" in names it creates). */
		if (ch <= 0x20 || ch >= 0x7f || ch == '/' || ch == ':' || ch == '%')
			return false;
	}
	return true;
}

/* ---- parsers and printers, one pair per kind of value ---- */

/* A word of K->words, stored as its index in a bool or an enum. */
int
parse_choice(const struct kv *v, struct nsbox_settings *s)
{
	for (unsigned i = 0; v->key->words[i]; i++)
		if (!strcmp(v->tok[0], v->key->words[i])) {
			if (v->key->size == sizeof(bool))
				*(bool *)field(v->key, s) = i;
			else
				*(int *)field(v->key, s) = (int)i;
			return 0;
		}
	return bad_value(v, v->tok[0]);
}

int
format_choice(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	const void *f = cfield(k, s);
	unsigned i = k->size == sizeof(bool) ? *(const bool *)f : (unsigned)*(const int *)f;

	snprintf(out, n, "%s", k->words[i]);
	return 0;
}

/* A word that fits the key's char array. */
static int
parse_string(const struct kv *v, struct nsbox_settings *s)
{
	const char *t = v->tok[0];

	if (strlen(t) >= v->key->size)
		return bad_value(v, t);
	conf_copy_str(field(v->key, s), t, v->key->size);
	return 0;
}

int
format_string(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	const char *t = cfield(k, s);

	if (!*t)
		return -ENOENT;
	snprintf(out, n, "%s", t);
	return 0;
}

int
parse_ifname(const struct kv *v, struct nsbox_settings *s)
{
	if (!nsbox_ifname_valid(v->tok[0]))
		return bad_value(v, v->tok[0]);
	return parse_string(v, s);
}

/* A system account's name, as useradd takes it without --badname: [A-Za-z0-9_.-], not starting
 * with '-' or '.', at most 32 bytes. */
int
parse_username(const struct kv *v, struct nsbox_settings *s)
{
	const char *u = v->tok[0];
	size_t len = strlen(u);

	if (len == 0 || len > 32 || u[0] == '-' || u[0] == '.' ||
	    strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len)
		return bad_value(v, u);
	return parse_string(v, s);
}

int
parse_path(const struct kv *v, struct nsbox_settings *s)
{
	if (v->tok[0][0] != '/')
		return bad_value(v, v->tok[0]);
	return parse_string(v, s);
}

int
parse_number(const struct kv *v, struct nsbox_settings *s)
{
	if (v->key->zero && !strcmp(v->tok[0], v->key->zero)) {
		*(unsigned *)field(v->key, s) = 0;
		return 0;
	}
	if (nsbox_uint_parse(v->tok[0], v->key->min, v->key->max, field(v->key, s)) < 0)
		return bad_value(v, v->tok[0]);
	return 0;
}

/* An unsigned field as the key's word for zero, or the number and UNIT. */
static int
format_unsigned(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n,
		const char *unit)
{
	unsigned u = *(const unsigned *)cfield(k, s);

	if (k->zero && !u)
		snprintf(out, n, "%s", k->zero);
	else
		snprintf(out, n, "%u%s", u, unit);
	return 0;
}

int
format_number(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	return format_unsigned(k, s, out, n, "");
}

/* Appends WORD to the blank-separated list in OUT (N bytes), *O bytes long so far. */
void
append_word(char *out, size_t n, size_t *o, const char *word)
{
	int l = snprintf(out + *o, *o < n ? n - *o : 0, "%s%s", *o ? " " : "", word);

	if (l > 0)
		*o += (size_t)l;
}

/* The order nsbox.conf(5) lists namespaces in and nsbox_settings_print writes them;
 * nsbox_ns_table is in join order. */
static const unsigned long ns_print_order[] = { CLONE_NEWPID, CLONE_NEWNS, CLONE_NEWIPC,
						CLONE_NEWUTS, CLONE_NEWNET };
_Static_assert(ARRAY_SIZE(ns_print_order) == NSBOX_N_NS, "every namespace printed once");

int
parse_namespaces(const struct kv *v, struct nsbox_settings *s)
{
	unsigned long ns = 0;

	if (v->n > NSBOX_N_NS)
		return too_many(v, NSBOX_N_NS);
	for (size_t i = 0; i < v->n; i++) {
		const struct nsbox_ns *e = nsbox_ns_by_conf(v->tok[i]);

		if (!e)
			return bad_value(v, v->tok[i]);
		if (ns & e->flag)
			return kv_fail(v, "duplicate '%s' in '%s'", e->conf, v->key->name);
		ns |= e->flag;
	}
	if (!(ns & CLONE_NEWNS))
		return kv_fail(v, "namespaces must include mount");
	s->namespaces = ns;
	return 0;
}

int
format_namespaces(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	size_t o = 0;

	(void)k;
	out[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(ns_print_order); i++) {
		if (!(s->namespaces & ns_print_order[i]))
			continue;
		for (size_t j = 0; j < NSBOX_N_NS; j++)
			if (nsbox_ns_table[j].flag == ns_print_order[i])
				append_word(out, n, &o, nsbox_ns_table[j].conf);
	}
	return 0;
}

int
parse_hostname(const struct kv *v, struct nsbox_settings *s)
{
	/* every value at its shortest (one that maps to its hash alone) and at its longest (cut to
	 * fit): any user name, service and host then give a host name */
	static const struct nsbox_tmpl_vars shortest = { "_", "0a1b2c3d", "_", "_" };
	char longest_value[256];
	struct nsbox_tmpl_vars longest = { longest_value, "0a1b2c3d", longest_value, longest_value };
	char out[NSBOX_HOSTNAME_MAX + 1], q[QBUF];
	const char *val = v->tok[0];
	int r;

	memset(longest_value, 'x', sizeof(longest_value) - 1);
	longest_value[sizeof(longest_value) - 1] = 0;

	if (!strcmp(val, "keep")) {
		s->hostname[0] = 0;
		return 0;
	}
	if (strlen(val) >= v->key->size)
		return kv_fail(v, "hostname template '%s' is too long (max %zu bytes)",
			       conf_quote(q, sizeof(q), val), v->key->size - 1);
	r = nsbox_template_expand(val, &shortest, out, sizeof(out));
	if (r == 0)
		r = nsbox_template_expand(val, &longest, out, sizeof(out));
	if (r == -EINVAL)
		return bad_value(v, val);
	if (r == -ENAMETOOLONG)
		return kv_fail(v, "hostname template '%s' gives more than %d bytes",
			       conf_quote(q, sizeof(q), val), NSBOX_HOSTNAME_MAX);
	if (r < 0)
		return kv_fail(v, "hostname template '%s' does not give a valid host name",
			       conf_quote(q, sizeof(q), val));
	conf_copy_str(s->hostname, val, sizeof(s->hostname));
	return 0;
}

int
format_hostname(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	if (format_string(k, s, out, n) < 0)
		snprintf(out, n, "keep");
	return 0;
}

/* ---- hardening ---- */

/* The kernel's capability names (linux/capability.h, the order of their numbers), as libcap
 * spells them without "cap_": a table here keeps libcap and its constructor out of the helper's
 * exec, which parses this on every login. A capability newer than the table is named by its
 * number when printed and cannot be named in the config. */
static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
	"setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
	"net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
	"sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
	"audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

/* NAME's number ("cap_" prefix optional, any case), or -1. */
static int
cap_number(const char *name)
{
	if (!strncasecmp(name, "cap_", 4))
		name += 4;
	for (size_t c = 0; c < ARRAY_SIZE(cap_names); c++)
		if (!strcasecmp(name, cap_names[c]))
			return (int)c;
	return -1;
}

/* caps: "keep ALL", "drop ALL", "drop NAME...", "keep NAME..." with libcap's names, the
 * "cap_" prefix optional. */
#define CAPS_MAX_NAMES 15
int
parse_caps(const struct kv *v, struct nsbox_settings *s)
{
	bool keep;
	unsigned long long set = 0;

	if (v->n < 2 || (strcmp(v->tok[0], "keep") && strcmp(v->tok[0], "drop")))
		return bad_value(v, v->orig);
	keep = !strcmp(v->tok[0], "keep");
	if (v->n == 2 && !strcmp(v->tok[1], "ALL")) {
		s->caps_keep = keep ? ~0ull : 0;
		return 0;
	}
	if (v->n > CAPS_MAX_NAMES + 1)
		return too_many(v, CAPS_MAX_NAMES);
	for (size_t i = 1; i < v->n; i++) {
		int c = cap_number(v->tok[i]);

		if (c < 0)
			return bad_value(v, v->tok[i]);
		set |= 1ull << c;
	}
	s->caps_keep = keep ? set : ~set;
	return 0;
}

int
format_caps(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	unsigned long long c = s->caps_keep;
	bool keep = __builtin_popcountll(c) <= 32;
	size_t o = 0;

	(void)k;
	if (c == ~0ull || c == 0) {
		snprintf(out, n, "%s ALL", c ? "keep" : "drop");
		return 0;
	}
	append_word(out, n, &o, keep ? "keep" : "drop");
	for (unsigned b = 0; b < 64; b++)
		if (!!(c & (1ull << b)) == keep) {
			char num[4];

			snprintf(num, sizeof(num), "%u", b);
			append_word(out, n, &o, b < ARRAY_SIZE(cap_names) ? cap_names[b] : num);
		}
	return 0;
}

/* A size: a number of bytes with an optional k, m or g suffix, from 1m to 1t; or the key's word
 * for none (0). */
int
parse_size(const struct kv *v, struct nsbox_settings *s)
{
	const char *t = v->tok[0];
	size_t len = strlen(t);
	unsigned long long mult = 1, x = 0;

	if (v->key->zero && !strcmp(t, v->key->zero)) {
		*(unsigned long long *)field(v->key, s) = 0;
		return 0;
	}
	if (len && strchr("kKmMgG", t[len - 1])) {
		mult = strchr("kK", t[len - 1]) ? 1ull << 10 : strchr("mM", t[len - 1]) ? 1ull << 20
											 : 1ull << 30;
		len--;
	}
	if (!len || len > 13)
		return bad_value(v, t);
	for (size_t i = 0; i < len; i++) {
		if (t[i] < '0' || t[i] > '9')
			return bad_value(v, t);
		x = x * 10 + (unsigned)(t[i] - '0');
	}
	if (x > (1ull << 40) / mult || x * mult < (1ull << 20))
		return bad_value(v, t);
	*(unsigned long long *)field(v->key, s) = x * mult;
	return 0;
}

int
format_size(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	unsigned long long x = *(const unsigned long long *)cfield(k, s);

	if (k->zero && !x)
		snprintf(out, n, "%s", k->zero);
	else if (x % (1ull << 30) == 0)
		snprintf(out, n, "%llug", x >> 30);
	else if (x % (1ull << 20) == 0)
		snprintf(out, n, "%llum", x >> 20);
	else if (x % (1ull << 10) == 0)
		snprintf(out, n, "%lluk", x >> 10);
	else
		snprintf(out, n, "%llu", x);
	return 0;
}

/* An absolute path the helper can open one component at a time: no "." or "..", no empty
 * component, no trailing slash, not "/" itself, printable ASCII. */
static bool
path_valid(const char *p)
{
	size_t len = strlen(p);

	if (p[0] != '/' || len < 2 || len >= NSBOX_PATH_MAX || p[len - 1] == '/')
		return false;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return false;
	for (const char *c = p; c; c = strchr(c + 1, '/')) {
		size_t l = strcspn(c + 1, "/");
		if (l == 0 || (l == 1 && c[1] == '.') || (l == 2 && c[1] == '.' && c[2] == '.'))
			return false;
	}
	return true;
}

int
parse_paths(const struct kv *v, struct nsbox_settings *s)
{
	struct nsbox_paths *ps = field(v->key, s);

	if (v->n > NSBOX_MAX_PATHS)
		return too_many(v, NSBOX_MAX_PATHS);
	memset(ps, 0, sizeof(*ps));
	for (size_t i = 0; i < v->n; i++) {
		if (!path_valid(v->tok[i]))
			return bad_value(v, v->tok[i]);
		conf_copy_str(ps->p[i], v->tok[i], sizeof(ps->p[i]));
	}
	ps->n = (unsigned)v->n;
	return 0;
}

int
format_paths(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	const struct nsbox_paths *ps = cfield(k, s);
	size_t o = 0;

	if (!ps->n)
		return -ENOENT;
	out[0] = 0;
	for (unsigned i = 0; i < ps->n && i < NSBOX_MAX_PATHS; i++)
		append_word(out, n, &o, ps->p[i]);
	return 0;
}

/* proc: the procfs options a box may choose, each at most once. */
int
parse_proc(const struct kv *v, struct nsbox_settings *s)
{
	static const char *const allowed[] = { "hidepid=0", "hidepid=1", "hidepid=2",
					       "hidepid=noaccess", "hidepid=invisible",
					       "hidepid=ptraceable", "subset=pid", NULL };
	char buf[sizeof(s->proc_opts)], *save = NULL;
	bool hidepid = false, subset = false;

	if (strlen(v->tok[0]) >= sizeof(buf))
		return bad_value(v, v->tok[0]);
	conf_copy_str(buf, v->tok[0], sizeof(buf));
	for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		size_t i;
		bool *seen = !strncmp(o, "hidepid=", 8) ? &hidepid : &subset;

		for (i = 0; allowed[i] && strcmp(o, allowed[i]); i++)
			;
		if (!allowed[i] || *seen)
			return bad_value(v, v->tok[0]);
		*seen = true;
	}
	if (v->tok[0][0] == ',' || v->tok[0][strlen(v->tok[0]) - 1] == ',' || strstr(v->tok[0], ",,"))
		return bad_value(v, v->tok[0]);
	conf_copy_str(s->proc_opts, v->tok[0], sizeof(s->proc_opts));
	return 0;
}

/* cpu_quota: N% of one CPU, 1% to 100000% (systemd's CPUQuota=), or none. */
int
parse_percent(const struct kv *v, struct nsbox_settings *s)
{
	const char *t = v->tok[0];
	size_t len = strlen(t);
	char num[16];

	if (v->key->zero && !strcmp(t, v->key->zero)) {
		*(unsigned *)field(v->key, s) = 0;
		return 0;
	}
	if (len < 2 || len > sizeof(num) || t[len - 1] != '%')
		return bad_value(v, t);
	memcpy(num, t, len - 1);
	num[len - 1] = 0;
	if (nsbox_uint_parse(num, v->key->min, v->key->max, field(v->key, s)) < 0)
		return bad_value(v, t);
	return 0;
}

int
format_percent(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n)
{
	return format_unsigned(k, s, out, n, "%");
}
