// SPDX-License-Identifier: BSD-3-Clause
/* Shared by the files of conf/ only (never by helper/ or nsboxctl): the key registry, the parsed
 * config, the parser's state and the message helpers. Pure code, no privilege, no logging. */
#ifndef NSBOX_CONF_INTERNAL_H
#define NSBOX_CONF_INTERNAL_H

#include <stdarg.h>

#include "conf.h"

#define MAX_SECTIONS 4096
#define QBUF         88 /* one quoted user string in a message, "..." when cut */

/* ---- the key registry (keys.c) ---- */

/* A key, by its row in key_table; also the order nsbox_settings_print writes them in. Only the
 * checks and nsbox_conf_foreach_bridge name keys; everything else loops over the table. */
enum key {
	K_EXEMPT,
	K_NAMESPACES,
	K_HOSTNAME,
	K_ON_ERROR,
	K_NETWORK,
	K_BRIDGE,
	K_IFNAME,
	K_MAC,
	K_MTU,
	K_ADDRESS,
	K_GATEWAY,
	K_ADDRESS6,
	K_GATEWAY6,
	K_DNS,
	K_SEARCH,
	K_STICKY,
	K_NEIGHBOURS,
	K_DHCP_CLIENT,
	K_DHCP_TIMEOUT,
	K_DHCP_USER,
	K_PROFILE,
	K_NO_NEW_PRIVS,
	K_CAPS,
	K_SECCOMP,
	K_TMP,
	K_TMP_SIZE,
	K_RUNTIME_DIR,
	K_RUN_WRITABLE,
	K_HIDE,
	K_READONLY,
	K_SHM_SIZE,
	K_PROC,
	K_SHARE,
	K_MAX_BOXES,
	K_MAX_SESSIONS,
	K_MEMORY_MAX,
	K_TASKS_MAX,
	K_CPU_QUOTA,
	K_POOL_SHARE,
	K_EGRESS,
	K_EGRESS_LOG,
	K_N
};

enum key_flag {
	KF_BRIDGE = 1u << 0, /* needs a veth (bridge or routed); dropped when network = none */
	KF_LEASE = 1u << 1,  /* the DHCP lease gives it: conflicts with, and dropped by, address = dhcp */
	KF_PROFILE = 1u << 2, /* set by `profile`, overridden by the same key in the same section */
	KF_PORT = 1u << 3,   /* a bridge port's: conflicts with, and dropped by, network = routed */
};

struct key_def;

/* One "key = value" being parsed, for the key's parser and its messages. */
struct kv {
	const struct key_def *key;
	struct nsbox_conf_err *err;
	const char *file;
	unsigned line;
	char **tok;       /* the value split at blanks: N words, only the first KV_MAX_TOK kept */
	size_t n;
	const char *orig; /* the value as written */
};
/* the longest list a key takes (egress), and one more to tell "too many" */
#define KV_MAX_TOK (NSBOX_MAX_EGRESS + 1)
_Static_assert(NSBOX_MAX_EGRESS >= NSBOX_MAX_PATHS, "KV_MAX_TOK covers hide and readonly");

struct key_def {
	const char *name;
	const char *want;    /* what a bad value message says is wanted */
	const char *builtin; /* the built-in value in nsbox.conf syntax; NULL: not set */
	size_t off, size;    /* the bytes of struct nsbox_settings this key owns */
	/* Stores the value of V into the key's bytes of S; 0 or -EINVAL with V->err filled. */
	int (*parse)(const struct kv *v, struct nsbox_settings *s);
	/* The value of K in S in nsbox.conf syntax; -ENOENT when not set. */
	int (*format)(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
	unsigned flags;           /* enum key_flag */
	bool list;                /* the parser takes every word of the value; else it must be one */
	const char *const *words; /* choice: word i is stored as i (bool or enum) */
	unsigned min, max;        /* number */
	const char *zero;         /* number: the word that stands for 0, or NULL */
	int family;               /* address, gateway: AF_INET or AF_INET6 */
};

extern const struct key_def key_table[K_N];

/* The row named NAME, or -1. */
int key_find(const char *name);
/* Parses VAL (trimmed, not empty; cut up in place) as the value of K into S. ORIG: room for
 * strlen(VAL) + 1 bytes, keeps the value as written for messages. 0 or -EINVAL with ERR filled. */
int key_parse(enum key k, char *val, char *orig, struct nsbox_conf_err *err, const char *file,
	      unsigned line, struct nsbox_settings *s);
/* The bytes K owns in S. */
void *key_field(struct nsbox_settings *s, enum key k);
const void *key_cfield(const struct nsbox_settings *s, enum key k);
/* The value profile PROFILE gives key K (NULL: the built-in one), for the tests. */
int profile_value(unsigned profile, int k, const char **value);
/* Every key at its built-in value. */
void settings_builtin(struct nsbox_settings *s);

/* The bytes key K owns in S, for the kinds of value stored in one field. */
static inline void *
field(const struct key_def *k, struct nsbox_settings *s)
{
	return (char *)s + k->off;
}

static inline const void *
cfield(const struct key_def *k, const struct nsbox_settings *s)
{
	return (const char *)s + k->off;
}

/* ---- the kinds of value (values.c, values_net.c), as key_table names them ---- */

/* "bad value" for V, VAL as written: -EINVAL with V->err filled. */
int bad_value(const struct kv *v, const char *val);
__attribute__((format(printf, 2, 3))) int kv_fail(const struct kv *v, const char *fmt, ...);
int too_many(const struct kv *v, size_t max);
/* RFC 1123 name of at most MAX bytes. */
bool name_valid(const char *s, size_t max);
/* Appends WORD to the blank-separated list in OUT (N bytes), *O bytes long so far. */
void append_word(char *out, size_t n, size_t *o, const char *word);

/* Each parser stores the value of V into the key's bytes of S (0, or -EINVAL with V->err
 * filled); each printer writes the value of K in S in nsbox.conf syntax (-ENOENT: not set). */
int parse_choice(const struct kv *v, struct nsbox_settings *s);
int format_choice(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int format_string(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int parse_ifname(const struct kv *v, struct nsbox_settings *s);
int parse_username(const struct kv *v, struct nsbox_settings *s);
int parse_path(const struct kv *v, struct nsbox_settings *s);
int parse_number(const struct kv *v, struct nsbox_settings *s);
int format_number(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int parse_namespaces(const struct kv *v, struct nsbox_settings *s);
int format_namespaces(const struct key_def *k, const struct nsbox_settings *s, char *out,
		      size_t n);
int parse_hostname(const struct kv *v, struct nsbox_settings *s);
int format_hostname(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int parse_caps(const struct kv *v, struct nsbox_settings *s);
int format_caps(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int parse_size(const struct kv *v, struct nsbox_settings *s);
int format_size(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int parse_paths(const struct kv *v, struct nsbox_settings *s);
int format_paths(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int parse_proc(const struct kv *v, struct nsbox_settings *s);
int parse_percent(const struct kv *v, struct nsbox_settings *s);
int format_percent(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
/* values_net.c */
int parse_mac(const struct kv *v, struct nsbox_settings *s);
int format_mac(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int parse_ip(const struct kv *v, struct nsbox_settings *s);
int format_ip(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int parse_ip_list(const struct kv *v, struct nsbox_settings *s);
int format_ip_list(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int parse_egress(const struct kv *v, struct nsbox_settings *s);
int format_egress(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int parse_names(const struct kv *v, struct nsbox_settings *s);
int format_names(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int parse_bridges(const struct kv *v, struct nsbox_settings *s);
int format_bridges(const struct key_def *k, const struct nsbox_settings *s, char *out, size_t n);
int parse_addrspec(const struct kv *v, struct nsbox_settings *s);
int format_addrspec(const struct key_def *k, const struct nsbox_settings *s, char *out,
		    size_t n);
int parse_pool_share(const struct kv *v, struct nsbox_settings *s);
int format_pool_share(const struct key_def *k, const struct nsbox_settings *s, char *out,
		      size_t n);

/* ---- the parsed config ---- */

enum crit { C_USER, C_GROUP, C_SERVICE, C_N };

struct section {
	bool is_match;
	char *file;
	unsigned line;	       /* of the header */
	char *crit[C_N];       /* NUL-separated globs ending in an empty one; NULL = no criterion */
	unsigned key_line[K_N]; /* where the section sets each key; 0 = it does not */
	struct nsbox_settings v; /* only the fields of keys it sets mean anything */
};

struct nsbox_conf {
	struct section *sec;
	size_t n, cap;
	char *top; /* the file loaded (or the name parsed), for messages without a better place */
};

/* The settings one login could get, and which section set each key (NULL: built in). */
struct layered {
	struct nsbox_settings s;
	const struct section *src[K_N];
};

void layer_init(struct layered *l);
/* Lays the keys SEC sets over L. */
void layer_apply(struct layered *l, const struct section *sec);
/* Drops the keys network = none and address = dhcp make meaningless (see check.c). */
void layer_finish(struct layered *l);

/* ---- parsing (lex.c, match.c) ---- */

struct parser {
	struct nsbox_conf *c;
	struct nsbox_conf_err *err;
	uid_t uid;
	bool allow_include;
	unsigned n_files;
	char *line; /* NSBOX_CONF_MAX_LINE + 1: the line being parsed, cut up in place */
	char *orig; /* NSBOX_CONF_MAX_LINE + 1: a value before it is split, for messages */
};

/* Parses LEN bytes of BUF as file FILE into P->c. */
int conf_parse_buf(struct parser *p, const char *file, const char *buf, size_t len,
		   unsigned depth);
/* Loads PATH after its trust checks. */
int conf_load_file(struct parser *p, const char *path, unsigned depth);
/* A "[...]" line S: starts a section, whose index goes to *CUR. */
int conf_section_header(struct parser *p, const char *file, unsigned line, char *s, ssize_t *cur);
/* Load-time consistency checks of a whole config. */
int conf_check(const struct nsbox_conf *c, struct nsbox_conf_err *err);

/* ---- small helpers (lex.c) ---- */

void conf_copy_str(char *dst, const char *src, size_t n);
bool conf_is_blank(char ch);
char *conf_trim(char *s);
void conf_strip_comment(char *s);
/* Splits S at blanks in place; stores up to MAX tokens, returns how many there are. */
size_t conf_split(char *s, char **tok, size_t max);
/* Escapes S for a message: bytes outside printable ASCII, quote and backslash become \xNN; long
 * strings are cut with "...". */
const char *conf_quote(char *buf, size_t n, const char *s);
/* Fills ERR and returns R. */
__attribute__((format(printf, 5, 0))) int conf_vfail(struct nsbox_conf_err *err, const char *file,
						     unsigned line, int r, const char *fmt,
						     va_list ap);
__attribute__((format(printf, 5, 6))) int conf_fail(struct nsbox_conf_err *err, const char *file,
						    unsigned line, int r, const char *fmt, ...);

#endif
