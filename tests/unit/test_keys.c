// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for the key registry of conf/keys.c: every row complete, rows owning distinct bytes
 * of struct nsbox_settings, every built-in value parsing and printing back as written. Runs
 * unprivileged or as root. */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "tap.h"

static void
test_rows(void)
{
	static unsigned char owner[sizeof(struct nsbox_settings)];
	bool overlap = false;

	for (int k = 0; k < K_N; k++) {
		const struct key_def *d = &key_table[k];

		ok(d->name && d->want && d->parse && d->format, "row %d (%s) is complete", k,
		   d->name ? d->name : "?");
		ok(d->size && d->off + d->size <= sizeof(struct nsbox_settings),
		   "%s lies inside struct nsbox_settings", d->name);
		is_int(key_find(d->name), k, "%s is found by name", d->name);
		for (size_t b = d->off; b < d->off + d->size && b < sizeof(owner); b++) {
			overlap |= owner[b] != 0;
			owner[b] = (unsigned char)(k + 1);
		}
	}
	ok(!overlap, "no two keys own the same bytes of struct nsbox_settings");
	is_int(key_find("include"), -1, "include is not a key");
	is_int(key_find("nonesuch"), -1, "an unknown name is no key");
}

static void
test_builtins(void)
{
	struct nsbox_settings s;
	char out[NSBOX_CONF_MAX_LINE + 1];

	settings_builtin(&s);
	for (int k = 0; k < K_N; k++) {
		const struct key_def *d = &key_table[k];
		struct nsbox_conf_err err = { .msg = "" };
		struct nsbox_settings t;
		char val[128], orig[128];
		int r;

		if (!d->builtin) {
			is_int(d->format(d, &s, out, sizeof(out)), -ENOENT, "%s is not set by default",
			       d->name);
			continue;
		}
		memset(&t, 0, sizeof(t));
		snprintf(val, sizeof(val), "%s", d->builtin);
		r = key_parse((enum key)k, val, orig, &err, "builtin", 0, &t);
		is_int(r, 0, "built-in '%s' of %s parses %s", d->builtin, d->name, err.msg);
		is_int(d->format(d, &s, out, sizeof(out)), 0, "%s is set by default", d->name);
		is_str(out, d->builtin, "%s prints its built-in value back", d->name);
	}
}

/* A parser writes only the bytes its row says the key owns: layering copies no others. */
static void
test_parsers_stay_inside(void)
{
	static const char *const sample[K_N] = {
		[K_EXEMPT] = "yes",
		[K_NAMESPACES] = "mount net",
		[K_HOSTNAME] = "box-%u",
		[K_ON_ERROR] = "allow",
		[K_NETWORK] = "bridge",
		[K_BRIDGE] = "br0",
		[K_IFNAME] = "veth9",
		[K_MAC] = "02:00:00:00:00:01",
		[K_MTU] = "1400",
		[K_ADDRESS] = "pool 10.0.0.0/24 10.0.0.10-10.0.0.20",
		[K_GATEWAY] = "10.0.0.1",
		[K_ADDRESS6] = "fd00::10/64",
		[K_GATEWAY6] = "fd00::1",
		[K_DNS] = "10.0.0.1 fd00::1",
		[K_SEARCH] = "example.org lab.example.org",
		[K_STICKY] = "yes",
		[K_NEIGHBOURS] = "deny",
		[K_RUN_WRITABLE] = "private",
		[K_DHCP_CLIENT] = "/usr/sbin/dhclient",
		[K_DHCP_TIMEOUT] = "30",
		[K_DHCP_USER] = "nsbt-dhcp",
		[K_PROFILE] = "restricted",
		[K_NO_NEW_PRIVS] = "yes",
		[K_CAPS] = "drop net_raw",
		[K_SECCOMP] = "default",
		[K_TMP] = "private",
		[K_TMP_SIZE] = "1g",
		[K_RUNTIME_DIR] = "private",
		[K_HIDE] = "/run/dbus",
		[K_READONLY] = "/proc/sys /etc",
		[K_SHM_SIZE] = "16m",
		[K_PROC] = "hidepid=invisible",
		[K_SHARE] = "user", [K_MAX_BOXES] = "4", [K_MAX_SESSIONS] = "20",
		[K_MEMORY_MAX] = "512m", [K_TASKS_MAX] = "64", [K_CPU_QUOTA] = "50%",
		[K_POOL_SHARE] = "25%",
		[K_EGRESS] = "10.0.0.5:22/tcp [2001:db8::/32]:443", [K_EGRESS_LOG] = "yes",
	};

	for (int k = 0; k < K_N; k++) {
		const struct key_def *d = &key_table[k];
		struct nsbox_conf_err err = { .msg = "" };
		struct nsbox_settings s, before;
		char val[128], orig[128];
		bool outside = false, inside = false;

		if (!ok(sample[k] != NULL, "test has a sample value for %s", d->name))
			continue;
		memset(&s, 0xa5, sizeof(s));
		before = s;
		snprintf(val, sizeof(val), "%s", sample[k]);
		is_int(key_parse((enum key)k, val, orig, &err, "t", 1, &s), 0, "%s = %s parses %s",
		       d->name, sample[k], err.msg);
		for (size_t b = 0; b < sizeof(s); b++) {
			bool changed = ((unsigned char *)&s)[b] != ((unsigned char *)&before)[b];

			if (b >= d->off && b < d->off + d->size)
				inside |= changed;
			else
				outside |= changed;
		}
		ok(inside && !outside, "%s = %s writes only the bytes of its row", d->name,
		   sample[k]);
	}
}

int
main(void)
{
	test_rows();
	test_builtins();
	test_parsers_stay_inside();
	return tap_done();
}
