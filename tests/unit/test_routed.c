// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for network = routed in conf/ through its public API (conf.h): what a routed section
 * must and must not say, what resolution drops, and how it prints. Runs unprivileged. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "nsbox/cleanup.h"
#include "tap.h"

static char last_err[1024];

static struct nsbox_conf *
parse(const char *text)
{
	struct nsbox_conf *c = NULL;
	struct nsbox_conf_err err;
	int r = nsbox_conf_parse_string("t", text, strlen(text), &c, &err);

	last_err[0] = 0;
	if (r < 0)
		nsbox_conf_err_format(&err, last_err, sizeof(last_err));
	return c;
}

static void
good(const char *text, const char *what)
{
	struct nsbox_conf *c = parse(text);

	ok(c != NULL, "good: %s (%s)", what, last_err);
	nsbox_conf_free(c);
}

static void
bad(const char *text, const char *want, const char *what)
{
	struct nsbox_conf *c = parse(text);

	ok(c == NULL, "bad: %s is refused", what);
	is_str(last_err, want, "bad: %s: message", what);
	nsbox_conf_free(c);
}

/* The settings user U resolves to, printed (nsbox_settings_print). */
static char *
printed(const char *text, const char *user)
{
	_cleanup_free_ char *buf = NULL;
	struct nsbox_conf *c = parse(text);
	struct nsbox_login who = { .user = user, .service = "s" };
	struct nsbox_settings s;
	size_t len = 0;
	FILE *f;

	if (!c)
		return NULL;
	nsbox_conf_resolve(c, &who, &s);
	nsbox_conf_free(c);
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	nsbox_settings_print(f, &s);
	fclose(f);
	return steal_ptr(buf);
}

#define R "[defaults]\nnetwork = routed\n"

static void
test_good(void)
{
	good(R "address = 10.30.0.5/32\ngateway = 10.30.0.1\n", "a static /32, gateway elsewhere");
	good(R "address = pool 10.30.0.0/16\ngateway = 10.30.0.1\n", "a pool, gateway inside it");
	good(R "address = pool 10.30.0.0/24 10.30.0.10-10.30.0.200\ngateway = 192.0.2.1\n",
	     "a pool with a range, gateway outside its subnet");
	good(R "address6 = pool fd00:30::/64\ngateway6 = fe80::1\n", "IPv6 only, link-local gateway");
	good(R "address = pool 10.30.0.0/16\ngateway = 10.30.0.1\n"
	       "address6 = pool fd00:30::/64\ngateway6 = fd00:30::1\ndns = 10.30.0.1\n"
	       "egress = 192.0.2.0/24:443/tcp\n",
	     "both families, dns and egress");
	good("[defaults]\nnetwork = bridge\nbridge = br0\naddress = 10.0.0.5/24\n"
	     "[match user=r]\nnetwork = routed\naddress = pool 10.30.0.0/16\ngateway = 10.30.0.1\n",
	     "a routed match over bridged defaults: their bridge is dropped, not an error");
}

static void
test_bad(void)
{
	bad(R "bridge = br0\naddress = 10.30.0.5/32\ngateway = 10.30.0.1\n",
	    "t:3: 'bridge' conflicts with network = routed", "a routed section with bridge");
	bad(R "address = dhcp\n", "t:3: network = routed takes a static or pool 'address', not dhcp",
	    "dhcp");
	bad(R "dns = 10.0.0.1\n", "t:2: network = routed needs 'address' or 'address6'",
	    "no address");
	bad(R "address = pool 10.30.0.0/16\n",
	    "t:3: network = routed needs 'gateway', the host end's address", "no gateway");
	bad(R "address6 = pool fd00:30::/64\n",
	    "t:3: network = routed needs 'gateway6', the host end's address", "no gateway6");
	bad(R "address = 10.30.0.5/24\ngateway = 10.30.0.5\n",
	    "t:4: gateway '10.30.0.5' is the box's own address", "gateway is the box's address");
	bad(R "address = pool 10.30.0.0/24 10.30.0.1-10.30.0.20\ngateway = 10.30.0.7\n",
	    "t:3: pool '10.30.0.0/24 10.30.0.1-10.30.0.20' contains gateway '10.30.0.7'",
	    "gateway inside the pool's range");
	bad("[defaults]\nnamespaces = pid mount\nnetwork = routed\naddress = 10.30.0.5/32\n"
	    "gateway = 10.30.0.1\n",
	    "t:3: network = routed needs 'net' in namespaces", "no net namespace");
	bad("[defaults]\nnetwork = bridge\nbridge = br0\naddress = 10.0.0.5/24\n"
	    "[match user=r]\nnetwork = routed\nbridge = br1\naddress = 10.30.0.5/32\n"
	    "gateway = 10.30.0.1\n",
	    "t:7: 'bridge' conflicts with network = routed", "a routed match that names a bridge");
}

static void
test_print(void)
{
	_cleanup_free_ char *p = printed(
		"[defaults]\nnetwork = bridge\nbridge = br0\naddress = 10.0.0.5/24\n"
		"[match user=r]\nnetwork = routed\naddress = pool 10.30.0.0/16\ngateway = 10.30.0.1\n",
		"r");
	_cleanup_free_ char *q = printed(R "address = 10.30.0.5/32\ngateway = 10.30.0.1\n", "x");

	ok(p && strstr(p, "\nnetwork = routed\n"), "network = routed prints as written");
	ok(p && strstr(p, "# bridge (not set)\n"), "the defaults' bridge is dropped for routed");
	ok(p && strstr(p, "\naddress = pool 10.30.0.0/16\n") && strstr(p, "\ngateway = 10.30.0.1\n"),
	   "the routed address and gateway are kept");
	ok(q && strstr(q, "\negress = any\n"), "a routed box's egress says any, as a bridged one's");
}

int
main(void)
{
	test_good();
	test_bad();
	test_print();
	return tap_done();
}
