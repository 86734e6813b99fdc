// SPDX-License-Identifier: BSD-3-Clause
/* The key registry of nsbox.conf: one row per key (name, parser, printer, built-in value, the bytes
 * of struct nsbox_settings it owns, flags), so that parsing, defaults, layering and printing are
 * loops over one table; the parsers and printers are values.c's and values_net.c's. Pure code: no
 * privileged work, no logging; runs in nsbox-helper (root), nsboxctl and the tests. */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "nsbox/cleanup.h"

/* What each profile gives the KF_PROFILE keys; a key it does not name gets its built-in value. */
static const char *const profile_values[][K_N] = {
	[NSBOX_PROFILE_RESTRICTED] = {
		[K_NO_NEW_PRIVS] = "yes", [K_CAPS] = "drop ALL", [K_SECCOMP] = "default",
		[K_TMP] = "private", [K_RUNTIME_DIR] = "private", [K_RUN_WRITABLE] = "private",
		[K_HIDE] = "/run/dbus /run/systemd/private /run/screen",
		[K_READONLY] = "/proc/sys",
		[K_NEIGHBOURS] = "deny",
		/* a shared host: a fork bomb, a memory hog or a spinner takes its own box down, not
		 * the host (nsbox.conf(5) says why these numbers) */
		[K_MEMORY_MAX] = "2g", [K_TASKS_MAX] = "512", [K_CPU_QUOTA] = "100%",
	},
	[NSBOX_PROFILE_LAB] = { [K_TMP] = "private" },
};

/* ---- the table ---- */

#define FIELD(f) offsetof(struct nsbox_settings, f), sizeof(((struct nsbox_settings *)0)->f)
/* Fields A..B, for a key stored in more than one. */
#define SPAN(a, b)                                                                                 \
	offsetof(struct nsbox_settings, a),                                                        \
		offsetof(struct nsbox_settings, b) + sizeof(((struct nsbox_settings *)0)->b) -     \
			offsetof(struct nsbox_settings, a)

/* The kinds of value: a parser, its printer and their parameter. */
#define CHOICE(w)         .parse = parse_choice, .format = format_choice, .words = (w)
#define NUMBER(lo, hi, z)                                                                          \
	.parse = parse_number, .format = format_number, .min = (lo), .max = (hi), .zero = (z)
#define IFNAME            .parse = parse_ifname, .format = format_string
#define PATH              .parse = parse_path, .format = format_string
#define ADDRESS(f)        .parse = parse_ip, .format = format_ip, .family = (f)
#define ADDRSPEC(f)                                                                                \
	.parse = parse_addrspec, .format = format_addrspec, .family = (f), .list = true
#define OWN(p, f)         .parse = (p), .format = (f)
#define SIZE              .parse = parse_size, .format = format_size
#define PATHS             .parse = parse_paths, .format = format_paths, .list = true

static const char *const yes_no[] = { "no", "yes", NULL };
static const char *const on_error_words[] = { [NSBOX_ON_ERROR_DENY] = "deny",
					      [NSBOX_ON_ERROR_ALLOW] = "allow", NULL };
static const char *const network_words[] = { [NSBOX_NET_NONE] = "none",
					     [NSBOX_NET_BRIDGE] = "bridge",
					     [NSBOX_NET_ROUTED] = "routed", NULL };
static const char *const profile_words[] = { [NSBOX_PROFILE_NONE] = "none",
					     [NSBOX_PROFILE_RESTRICTED] = "restricted",
					     [NSBOX_PROFILE_LAB] = "lab", NULL };
static const char *const seccomp_words[] = { "off", "default", NULL };
static const char *const shared_private[] = { "shared", "private", NULL };
/* neighbours: whether boxes on one bridge reach each other (deny: isolated bridge ports) */
static const char *const neighbours_words[] = { "allow", "deny", NULL };
static const char *const share_words[] = { [NSBOX_SHARE_NONE] = "none",
					   [NSBOX_SHARE_USER] = "user", NULL };
_Static_assert(sizeof(enum nsbox_profile) == sizeof(int), "choices are stored as int");

const char *
nsbox_profile_name(enum nsbox_profile p)
{
	return (unsigned)p < ARRAY_SIZE(profile_words) && profile_words[p] ? profile_words[p] : "?";
}
_Static_assert(sizeof(enum nsbox_on_error) == sizeof(int) && sizeof(enum nsbox_network) ==
	       sizeof(int) && sizeof(enum nsbox_share) == sizeof(int), "choices are stored as int");

/* clang-format off */
const struct key_def key_table[K_N] = {
	/* name, what a bad value wants, built-in value, where it is stored, kind, flags */
	[K_EXEMPT] = { "exempt", "yes or no", "no", FIELD(exempt), CHOICE(yes_no) },
	[K_NAMESPACES] = { "namespaces", "pid, mount, ipc, uts or net", "pid mount ipc uts net",
		FIELD(namespaces), OWN(parse_namespaces, format_namespaces), .list = true },
	[K_HOSTNAME] = { "hostname", "a host name template with %u %i %s %h %%, or keep", "%u-box",
		FIELD(hostname), OWN(parse_hostname, format_hostname) },
	[K_ON_ERROR] = { "on_error", "deny or allow", "deny", FIELD(on_error),
		CHOICE(on_error_words) },
	[K_NETWORK] = { "network", "none, bridge or routed", "none", FIELD(network),
		CHOICE(network_words) },
	[K_BRIDGE] = { "bridge", "an interface name", NULL, SPAN(bridge, n_bridges),
		OWN(parse_bridges, format_bridges), .list = true, .flags = KF_BRIDGE | KF_PORT },
	[K_IFNAME] = { "ifname", "an interface name", "eth0", FIELD(ifname), IFNAME },
	[K_MAC] = { "mac", "auto or a unicast xx:xx:xx:xx:xx:xx", "auto", SPAN(mac_auto, mac),
		OWN(parse_mac, format_mac) },
	[K_MTU] = { "mtu", "68-65535 or auto", "auto", FIELD(mtu), NUMBER(68, 65535, "auto") },
	[K_ADDRESS] = { "address", "A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp", NULL,
		FIELD(address), ADDRSPEC(AF_INET), .flags = KF_BRIDGE },
	[K_GATEWAY] = { "gateway", "an IPv4 address", NULL, FIELD(gateway), ADDRESS(AF_INET),
		.flags = KF_BRIDGE | KF_LEASE },
	[K_ADDRESS6] = { "address6", "an IPv6 CIDR or pool CIDR [FIRST-LAST]", NULL,
		FIELD(address6), ADDRSPEC(AF_INET6), .flags = KF_BRIDGE },
	[K_GATEWAY6] = { "gateway6", "an IPv6 address", NULL, FIELD(gateway6), ADDRESS(AF_INET6),
		.flags = KF_BRIDGE },
	[K_DNS] = { "dns", "1-3 IP addresses", NULL, SPAN(dns, n_dns),
		OWN(parse_ip_list, format_ip_list), .list = true, .flags = KF_BRIDGE | KF_LEASE },
	[K_SEARCH] = { "search", "1-6 domain names", NULL, SPAN(search, n_search),
		OWN(parse_names, format_names), .list = true, .flags = KF_BRIDGE },
	[K_STICKY] = { "sticky", "yes or no", "no", FIELD(sticky), CHOICE(yes_no) },
	[K_NEIGHBOURS] = { "neighbours", "allow or deny", "allow", FIELD(isolated),
		CHOICE(neighbours_words), .flags = KF_PROFILE },
	[K_DHCP_CLIENT] = { "dhcp_client", "an absolute path", "/sbin/dhclient",
		FIELD(dhcp_client), PATH },
	[K_DHCP_TIMEOUT] = { "dhcp_timeout", "1-120", "5", FIELD(dhcp_timeout),
		NUMBER(1, NSBOX_DHCP_TIMEOUT_MAX, NULL) },
	[K_DHCP_USER] = { "dhcp_user", "a user name", "_nsbox-dhcp", FIELD(dhcp_user),
		OWN(parse_username, format_string) },
	[K_PROFILE] = { "profile", "restricted, lab or none", "none", FIELD(profile),
		CHOICE(profile_words) },
	[K_NO_NEW_PRIVS] = { "no_new_privs", "yes or no", "no", FIELD(no_new_privs),
		CHOICE(yes_no), .flags = KF_PROFILE },
	[K_CAPS] = { "caps", "keep ALL, drop ALL, drop NAME... or keep NAME...", "keep ALL",
		FIELD(caps_keep), OWN(parse_caps, format_caps), .list = true, .flags = KF_PROFILE },
	[K_SECCOMP] = { "seccomp", "default or off", "off", FIELD(seccomp), CHOICE(seccomp_words),
		.flags = KF_PROFILE },
	[K_TMP] = { "tmp", "shared or private", "shared", FIELD(tmp_private),
		CHOICE(shared_private), .flags = KF_PROFILE },
	[K_TMP_SIZE] = { "tmp_size", "a size from 1m to 1024g", "256m", FIELD(tmp_size), SIZE },
	[K_RUNTIME_DIR] = { "runtime_dir", "shared or private", "shared", FIELD(runtime_private),
		CHOICE(shared_private), .flags = KF_PROFILE },
	[K_RUN_WRITABLE] = { "run_writable", "shared or private", "shared", FIELD(run_private),
		CHOICE(shared_private), .flags = KF_PROFILE },
	[K_HIDE] = { "hide", "1-16 absolute paths", NULL, FIELD(hide), PATHS,
		.flags = KF_PROFILE },
	[K_READONLY] = { "readonly", "1-16 absolute paths", NULL, FIELD(readonly), PATHS,
		.flags = KF_PROFILE },
	[K_SHM_SIZE] = { "shm_size", "a size from 1m to 1024g", "64m", FIELD(shm_size), SIZE },
	[K_PROC] = { "proc", "hidepid=0|1|2|noaccess|invisible|ptraceable and subset=pid, "
		"comma-separated", NULL, FIELD(proc_opts), OWN(parse_proc, format_string) },
	[K_SHARE] = { "share", "none or user", "none", FIELD(share), CHOICE(share_words) },
	[K_MAX_BOXES] = { "max_boxes", "1-65535 or none", "none", FIELD(max_boxes),
		NUMBER(1, 65535, "none") },
	[K_MAX_SESSIONS] = { "max_sessions", "1-1000 or none", "none", FIELD(max_sessions),
		NUMBER(1, 1000, "none") },
	[K_MEMORY_MAX] = { "memory_max", "a size from 1m to 1024g, or none", "none",
		FIELD(memory_max), SIZE, .zero = "none", .flags = KF_PROFILE },
	[K_TASKS_MAX] = { "tasks_max", "1-4194304 or none", "none", FIELD(tasks_max),
		NUMBER(1, 4194304, "none"), .flags = KF_PROFILE },
	[K_CPU_QUOTA] = { "cpu_quota", "1%-100000% of one CPU, or none", "none", FIELD(cpu_quota),
		.parse = parse_percent, .format = format_percent, .min = 1, .max = 100000,
		.zero = "none", .flags = KF_PROFILE },
	[K_POOL_SHARE] = { "pool_share", "1-65535, 1%-100% or none", "none",
		SPAN(pool_share, pool_share_pct), OWN(parse_pool_share, format_pool_share) },
	[K_EGRESS] = { "egress", "any, none or ADDRESS[/PREFIX][:PORT[-PORT]][/tcp|/udp]...",
		NULL, SPAN(egress_limited, n_egress), OWN(parse_egress, format_egress),
		.list = true, .flags = KF_BRIDGE },
	[K_EGRESS_LOG] = { "egress_log", "yes or no", "no", FIELD(egress_log), CHOICE(yes_no) },
};
/* clang-format on */

/* ---- loops over the table ---- */

int
key_find(const char *name)
{
	for (int k = 0; k < K_N; k++)
		if (!strcmp(name, key_table[k].name))
			return k;
	return -1;
}

void *
key_field(struct nsbox_settings *s, enum key k)
{
	return field(&key_table[k], s);
}

const void *
key_cfield(const struct nsbox_settings *s, enum key k)
{
	return cfield(&key_table[k], s);
}

int
key_parse(enum key k, char *val, char *orig, struct nsbox_conf_err *err, const char *file,
	  unsigned line, struct nsbox_settings *s)
{
	char *tok[KV_MAX_TOK];
	struct kv v = { &key_table[k], err, file, line, tok, 0, orig };

	memcpy(orig, val, strlen(val) + 1);
	v.n = conf_split(val, tok, ARRAY_SIZE(tok));
	if (!v.key->list && v.n != 1)
		return bad_value(&v, orig);
	return v.key->parse(&v, s);
}

void
settings_builtin(struct nsbox_settings *s)
{
	struct nsbox_conf_err err;

	memset(s, 0, sizeof(*s));
	for (int k = 0; k < K_N; k++) {
		char val[64], orig[64];

		if (!key_table[k].builtin)
			continue;
		conf_copy_str(val, key_table[k].builtin, sizeof(val));
		/* cannot fail: test_keys parses every built-in value */
		(void)key_parse((enum key)k, val, orig, &err, "builtin", 0, s);
	}
	conf_copy_str(s->matched, "defaults", sizeof(s->matched));
}

void
layer_init(struct layered *l)
{
	memset(l->src, 0, sizeof(l->src));
	settings_builtin(&l->s);
}

/* The preset of profile P, laid over L as if SEC had set each of its keys. */
static void
profile_apply(struct layered *l, enum nsbox_profile p, const struct section *sec)
{
	struct nsbox_settings b;

	settings_builtin(&b);
	for (int k = 0; k < K_N; k++) {
		struct nsbox_conf_err err;
		char val[NSBOX_CONF_MAX_LINE + 1], orig[NSBOX_CONF_MAX_LINE + 1];

		if (!(key_table[k].flags & KF_PROFILE))
			continue;
		if (profile_values[p][k]) {
			conf_copy_str(val, profile_values[p][k], sizeof(val));
			/* cannot fail: test_keys parses every preset */
			(void)key_parse((enum key)k, val, orig, &err, "profile", 0, &l->s);
		} else
			memcpy(key_field(&l->s, (enum key)k), key_cfield(&b, (enum key)k),
			       key_table[k].size);
		l->src[k] = sec;
	}
}

int
profile_value(unsigned profile, int k, const char **value)
{
	if (profile >= ARRAY_SIZE(profile_values) || k < 0 || k >= K_N)
		return -EINVAL;
	*value = profile_values[profile][k];
	return 0;
}

void
layer_apply(struct layered *l, const struct section *sec)
{
	/* the section's profile first, so that its explicit keys win whatever their order */
	if (sec->key_line[K_PROFILE])
		profile_apply(l, sec->v.profile, sec);
	for (int k = 0; k < K_N; k++)
		if (sec->key_line[k]) {
			memcpy(key_field(&l->s, (enum key)k), key_cfield(&sec->v, (enum key)k),
			       key_table[k].size);
			l->src[k] = sec;
		}
}

void
layer_finish(struct layered *l)
{
	unsigned drop = l->s.network == NSBOX_NET_NONE ? KF_BRIDGE
			: l->s.network == NSBOX_NET_ROUTED ? KF_PORT
			: 0;

	if (l->s.address.mode == NSBOX_ADDR_DHCP && l->s.network == NSBOX_NET_BRIDGE)
		drop |= KF_LEASE;
	struct nsbox_settings b;

	if (!drop)
		return;
	settings_builtin(&b);
	for (int k = 0; k < K_N; k++)
		if (key_table[k].flags & drop)
			memcpy(key_field(&l->s, (enum key)k), key_cfield(&b, (enum key)k),
			       key_table[k].size);
}

void
nsbox_settings_print(FILE *f, const struct nsbox_settings *s)
{
	char buf[NSBOX_CONF_MAX_LINE + 1];

	for (int k = 0; k < K_N; k++) {
		const struct key_def *d = &key_table[k];

		if (d->format(d, s, buf, sizeof(buf)) < 0)
			fprintf(f, "# %s (not set)\n", d->name);
		else
			fprintf(f, "%s = %s\n", d->name, buf);
	}
	if (s->egress_limited)
		fprintf(f, "# egress also lets through the box's dns servers (port 53) and, with "
			   "address = dhcp, DHCP\n");
	fprintf(f, "# matched %s\n", s->matched);
}
