// SPDX-License-Identifier: BSD-3-Clause
/* Public API of conf/, the nsbox.conf parser, rule matcher and templates: pure code, no privileged
 * work, no logging; linked into nsbox-helper (root), nsboxctl and the unit tests. */
#ifndef NSBOX_CONF_H
#define NSBOX_CONF_H

#define NSBOX_DHCP_TIMEOUT_MAX 120 /* seconds; keys.c enforces it */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "addr.h"     /* struct nsbox_ip, nsbox_cidr, nsbox_addrspec and their text forms */
#include "nsbox/ns.h" /* nsbox_ns_table, NSBOX_NS_ALL: the bits of `namespaces` */

#define NSBOX_CONF_DEFAULT   "/etc/security/nsbox.conf"
#define NSBOX_CONF_MAX_LINE  4096          /* bytes per line, newline excluded */
#define NSBOX_CONF_MAX_FILE  (1024 * 1024) /* bytes per file */
#define NSBOX_CONF_MAX_DEPTH 4             /* include nesting */
#define NSBOX_CONF_MAX_FILES 256           /* files read in total through include */
#define NSBOX_MAX_DNS        3
#define NSBOX_MAX_SEARCH     6
#define NSBOX_MAX_EGRESS     32          /* destinations of one egress list */
#define NSBOX_HOSTNAME_MAX   64            /* HOST_NAME_MAX */
#define NSBOX_TEMPLATE_MAX   256
#define NSBOX_MAX_PATHS      16            /* hide, readonly */
#define NSBOX_PATH_MAX       256
#define NSBOX_MAX_BRIDGES    8             /* bridge = br0 br1 ...: one takes 1023 ports */

enum nsbox_network { NSBOX_NET_NONE = 0, NSBOX_NET_BRIDGE, NSBOX_NET_ROUTED };
/* Whether S gives the box a veth pair (bridged or routed): its leases, host end and egress. */
static inline bool
nsbox_net_veth(enum nsbox_network n)
{
	return n == NSBOX_NET_BRIDGE || n == NSBOX_NET_ROUTED;
}
enum nsbox_on_error { NSBOX_ON_ERROR_DENY = 0, NSBOX_ON_ERROR_ALLOW };
enum nsbox_profile { NSBOX_PROFILE_NONE = 0, NSBOX_PROFILE_RESTRICTED, NSBOX_PROFILE_LAB };

/* Absolute paths without "." or ".." components, empty components or a trailing slash. */
struct nsbox_paths {
	char p[NSBOX_MAX_PATHS][NSBOX_PATH_MAX];
	unsigned n;
};

/* One parse error: printed as "file:line: msg" (line 0: "file: msg"). */
struct nsbox_conf_err {
	char file[256];
	unsigned line;
	char msg[256];
};

/* The settings for one login: built-in defaults, then every [defaults] key in file order, then the
 * first matching [match] section laid over. */
enum nsbox_share {
	NSBOX_SHARE_NONE = 0,
	NSBOX_SHARE_USER = 1, /* a user's logins with the same resolved settings join one box */
};

struct nsbox_settings {
	bool exempt;
	unsigned long namespaces;              /* CLONE_NEW* bits; always contains CLONE_NEWNS */
	char hostname[NSBOX_TEMPLATE_MAX];     /* template, "" = keep the host's name */
	enum nsbox_on_error on_error;
	enum nsbox_network network;
	/* network = bridge */
	/* host bridges: the box joins the first that takes it, starting at a place given by its
	 * id; bridge[0] is the only one of a single-bridge config */
	char bridge[NSBOX_MAX_BRIDGES][16];
	unsigned n_bridges;
	char ifname[16];                       /* box side, default "eth0" */
	bool mac_auto;                         /* default true: derived from box/user */
	unsigned char mac[6];
	unsigned mtu;                          /* 0 = kernel default */
	struct nsbox_addrspec address;         /* IPv4 */
	struct nsbox_ip gateway;
	struct nsbox_addrspec address6;        /* IPv6 (mode DHCP not allowed) */
	struct nsbox_ip gateway6;
	struct nsbox_ip dns[NSBOX_MAX_DNS];
	unsigned n_dns;
	char search[NSBOX_MAX_SEARCH][254];
	unsigned n_search;
	bool sticky;                           /* pool: same user gets the same address while free */
	bool isolated;                         /* neighbours = deny: the box's bridge port is isolated */
	char dhcp_client[256];                 /* absolute path, default "/sbin/dhclient" */
	unsigned dhcp_timeout;                 /* seconds, default 5, at most NSBOX_DHCP_TIMEOUT_MAX */
	char dhcp_user[33];                    /* the client's own unprivileged user, "_nsbox-dhcp" */
	/* hardening: what the session's processes may do (see profile) */
	enum nsbox_profile profile;            /* the preset the hardening keys started from */
	bool no_new_privs;
	unsigned long long caps_keep;          /* bounding set: bit N keeps capability N */
	bool seccomp;                          /* the built-in denylist */
	bool tmp_private;                      /* one fresh tmpfs for /tmp and /var/tmp */
	unsigned long long tmp_size;           /* bytes, of /tmp and /var/tmp together */
	bool runtime_private;                  /* fresh /run/user with only the user's dir */
	bool run_private;                      /* run_writable = private: a fresh tmpfs over each
						* world-writable directory right under /run */
	struct nsbox_paths hide;               /* covered with an empty node */
	struct nsbox_paths readonly;           /* remounted read-only, with submounts */
	unsigned long long shm_size;           /* bytes of /dev/shm */
	char proc_opts[64];                    /* procfs options: hidepid=, subset=pid */
	/* sharing and limits (helper/share.c) */
	enum nsbox_share share;                /* none: a box per login; user: one per user */
	unsigned max_boxes;                    /* live boxes per user, 0 = no limit */
	unsigned max_sessions;                 /* members of one shared box, 0 = no limit */
	/* resource limits of the whole box (helper/limits.c; systemd's MemoryMax=, TasksMax=,
	 * CPUQuota=): 0 = none */
	unsigned long long memory_max;         /* bytes */
	unsigned tasks_max;
	unsigned cpu_quota;                    /* percent of one CPU */
	/* addresses of one pool the boxes of one uid may hold at a time, 0 = no limit; a
	 * percentage of the pool's size with pool_share_pct (nsbox_pool_share_limit) */
	unsigned pool_share;
	bool pool_share_pct;
	/* egress = any (false, 0), none (true, 0) or a list (true, N): all a bridged box may reach
	 * through its veth besides its DNS servers and, with address = dhcp, DHCP */
	bool egress_limited;
	struct nsbox_dest egress[NSBOX_MAX_EGRESS];
	unsigned n_egress;
	bool egress_log; /* a kernel log line per box and minute for what the list refuses */
	/* where the match came from, for nsboxctl check and logs: "FILE:LINE" of the [match] line,
	 * or "defaults" */
	char matched[300];
	/* "FILE:LINE" of the bridge key that applies, for messages about the bridge */
	char bridge_at[300];
};

/* Who is logging in. groups: every group name the user is in (primary and supplementary),
 * looked up through NSS by the caller. */
struct nsbox_login {
	const char *user;
	const char *service;
	const char *const *groups;
	size_t n_groups;
};

struct nsbox_conf;

/* Loads PATH and everything it includes. Every file must be a regular file owned by
 * TRUSTED_UID (0 in the helper), not group- or other-writable, not a symlink, and so must the
 * directory it is in. Returns 0, or -errno / -EINVAL with ERR filled. */
int nsbox_conf_load(const char *path, uid_t trusted_uid, struct nsbox_conf **out,
		    struct nsbox_conf_err *err);

/* Parses TEXT as if it were file NAME; include lines are refused (-EPERM, in ERR). For tests
 * and fuzzing. */
int nsbox_conf_parse_string(const char *name, const char *text, size_t len,
			    struct nsbox_conf **out, struct nsbox_conf_err *err);

void nsbox_conf_free(struct nsbox_conf *c);

/* Number of sections read ([defaults] and [match]), for nsboxctl check. */
size_t nsbox_conf_n_sections(const struct nsbox_conf *c);

/* Calls FN for every bridge a section names, with "FILE:LINE" of that key: nsboxctl check looks
 * them up, since whether a bridge exists is not the parser's business. */
void nsbox_conf_foreach_bridge(const struct nsbox_conf *c,
			       void (*fn)(const char *bridge, const char *where, void *arg),
			       void *arg);
/* Calls FN for [defaults] and each [match] whose box is routed, with "FILE:LINE" of the network
 * key that makes it so and whether the box has IPv4 and IPv6 addresses: nsboxctl check looks at
 * the host's forwarding, which is not the parser's business either. */
void nsbox_conf_foreach_routed(const struct nsbox_conf *c,
			       void (*fn)(const char *where, bool v4, bool v6, void *arg),
			       void *arg);

/* Whether some [match] section has a group= criterion: only then does nsbox_conf_resolve look at
 * WHO's groups, so only then need the caller ask NSS for them (a lookup that may be slow, and
 * whose failure refuses the login). */
bool nsbox_conf_uses_groups(const struct nsbox_conf *c);
/* Calls FN for each group= pattern that is a plain name (no glob character), once per section
 * that has it. getgrouplist cannot say that a source failed (it just lists fewer groups): the
 * caller looks these names up one by one, where a failing source is an error it can see. */
void nsbox_conf_group_names(const struct nsbox_conf *c, void (*fn)(const char *name, void *arg),
			    void *arg);

/* The index of the [match] section that applies to WHO (the first whose criteria all hold), or
 * -1 when none does. */
long nsbox_conf_first_match(const struct nsbox_conf *c, const struct nsbox_login *who);
/* Section I of C, for nsboxctl check's warnings. crit[] is indexed user, group, service: each
 * the section's globs NUL-separated and ending in an empty one, or NULL for no such criterion.
 * 0, or -ENOENT past the last section. */
struct nsbox_section_info {
	const char *file;
	unsigned line;
	bool is_match;
	const char *crit[3];
};
int nsbox_conf_section(const struct nsbox_conf *c, size_t i, struct nsbox_section_info *out);

/* Resolves the settings for WHO. Never fails on a loaded config: every combination was checked at
 * load time. */
void nsbox_conf_resolve(const struct nsbox_conf *c, const struct nsbox_login *who,
			struct nsbox_settings *out);

/* How one section fared against a login, for nsboxctl explain. crit[] is indexed user, group,
 * service; held: -1 the section has no such criterion, 0 it failed, 1 it held. applied: the
 * section's keys are in the result ([defaults] always; the first matching [match] only). */
struct nsbox_section_result {
	const char *file;
	unsigned line;
	bool is_match;
	struct {
		const char *name;  /* "user", "group", "service" */
		char globs[512];   /* as written, comma-separated */
		int held;
	} crit[3];
	bool matches;  /* every criterion it has held */
	bool applied;
};
/* Calls FN for each section of C in file order as nsbox_conf_resolve judges it for WHO. */
void nsbox_conf_explain(const struct nsbox_conf *c, const struct nsbox_login *who,
			void (*fn)(const struct nsbox_section_result *r, void *arg), void *arg);

/* Hostname template: %u user, %i box id, %s service, %h host's hostname, %% a percent sign. Any
 * user name gives a host name: in the value of %u and %s (and %h, which keeps its dots) each
 * byte a host name cannot hold becomes '-' (a run of them one, none at either end), and a value
 * so changed gets "-" and six hex digits of a hash of it ("a_b" -> "a-b-HASH", "DOMAIN\user" ->
 * "DOMAIN-user-HASH"); when the name would be longer than NSBOX_HOSTNAME_MAX, or a label longer
 * than 63, the longest of those values is cut and hashed the same way. Returns 0; -EINVAL for
 * an unknown %-escape or a trailing %; -ENAMETOOLONG when the template's own text leaves no
 * room; -EDOM when its own text makes no RFC 1123 host name ("-%u", "a%%b"). */
struct nsbox_tmpl_vars {
	const char *user, *id, *service, *host;
};
int nsbox_template_expand(const char *tmpl, const struct nsbox_tmpl_vars *v, char *out,
			  size_t outlen);

/* RFC 1123: dot-separated labels of 1-63 [A-Za-z0-9-], no hyphen at either end, total <= 64. */
bool nsbox_hostname_valid(const char *name);
/* A DNS domain name (RFC 1123 labels), at most 253 bytes: a search domain. */
bool nsbox_domain_valid(const char *name);
/* Kernel dev_valid_name(): 1-15 bytes, not "." or "..", no '/', ':' or whitespace. */
bool nsbox_ifname_valid(const char *name);

/* The addresses of a pool of POOL_SIZE that pool_share leaves one uid's boxes: N, or P percent
 * of the size rounded down but at least 1; 0 when there is no limit. */
unsigned long long nsbox_pool_share_limit(const struct nsbox_settings *s,
					  unsigned long long pool_size);

/* S's egress value in nsbox.conf syntax ("any", "none" or the list) for a bridged box, "" for
 * the rest; a list too long for OUT is cut after a whole destination and ends in " ...". */
void nsbox_egress_text(const struct nsbox_settings *s, char *out, size_t n);
/* Prints every field of S as "key = value" lines, in nsbox.conf syntax. */
void nsbox_settings_print(FILE *f, const struct nsbox_settings *s);
/* "none", "restricted", "lab". */
const char *nsbox_profile_name(enum nsbox_profile p);

/* "file:line: msg" into OUT. */
void nsbox_conf_err_format(const struct nsbox_conf_err *err, char *out, size_t outlen);

#endif
