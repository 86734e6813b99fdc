// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for egress destinations (conf/addr.c nsbox_dest_*) and the egress key
 * (conf/keys.c): every form of ADDRESS[/PREFIX][:PORT[-PORT]][/tcp|/udp] parses and prints back
 * in its shortest form, every malformed one is refused with the error that names it, a
 * destination matches exactly the packets it describes, and the key's any / none / list, its
 * implicit-allowance comment and its load-time checks. Runs as any user. Output: TAP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "tap.h"

static void
good(const char *in, const char *want)
{
	struct nsbox_dest d;
	char out[128] = "";
	int r = nsbox_dest_parse(in, &d);

	if (r == 0)
		nsbox_dest_text(&d, out, sizeof(out));
	ok(r == 0 && !strcmp(out, want), "'%s' parses, prints as '%s' (got %d, '%s')", in, want, r,
	   out);
}

static void
bad(const char *in, int want)
{
	struct nsbox_dest d;

	is_int(nsbox_dest_parse(in, &d), want, "'%s' refused", in);
}

static void
allows(const char *dest, const char *ip, int proto, unsigned port, bool want)
{
	struct nsbox_dest d;
	struct nsbox_ip a;

	ok(nsbox_dest_parse(dest, &d) == 0 && nsbox_ip_parse(ip, &a) == 0 &&
		   nsbox_dest_allows(&d, &a, proto, port) == want,
	   "%s %s %s %s:%u", dest, want ? "lets through" : "stops",
	   proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "icmp", ip, port);
}

/* CONF's first login's settings into S, or the error text into ERR; the load's status. */
static int
load(const char *text, struct nsbox_settings *s, char *err, size_t n)
{
	struct nsbox_conf *c = NULL;
	struct nsbox_conf_err e = { 0 };
	struct nsbox_login who = { .user = "alice", .service = "sshd" };
	int r = nsbox_conf_parse_string("t", text, strlen(text), &c, &e);

	err[0] = 0;
	if (r < 0)
		nsbox_conf_err_format(&e, err, n);
	else
		nsbox_conf_resolve(c, &who, s);
	nsbox_conf_free(c);
	return r;
}

int
main(void)
{
	good("10.0.0.5", "10.0.0.5");
	good("10.0.0.5/32", "10.0.0.5");
	good("10.0.0.0/8", "10.0.0.0/8");
	good("0.0.0.0/0", "0.0.0.0/0");
	good("10.0.0.5:22", "10.0.0.5:22");
	good("10.0.0.5:22/tcp", "10.0.0.5:22/tcp");
	good("10.0.0.0/24:1000-2000/udp", "10.0.0.0/24:1000-2000/udp");
	good("10.0.0.5/tcp", "10.0.0.5/tcp");
	good("10.0.0.5:22-22", "10.0.0.5:22");
	good("2001:db8::1", "2001:db8::1");
	good("2001:db8::/32", "2001:db8::/32");
	good("2001:db8::/32/udp", "2001:db8::/32/udp");
	good("[2001:db8::1]:22", "[2001:db8::1]:22");
	good("[2001:db8::/32]:443/tcp", "[2001:db8::/32]:443/tcp");
	good("::/0", "::/0");

	bad("", -EINVAL);
	bad("any", -EINVAL);
	bad("10.0.0.5/24", -EDOM);
	bad("2001:db8::1/32", -EDOM);
	bad("10.0.0.5:0", -ERANGE);
	bad("10.0.0.5:65536", -ERANGE);
	bad("10.0.0.5:22-21", -ERANGE);
	bad("10.0.0.5:", -EINVAL);
	bad("10.0.0.5:ssh", -EINVAL);
	bad("10.0.0.5/33", -EINVAL);
	bad("10.0.0.5/tcp/udp", -EINVAL);
	bad("10.0.0.5/icmp", -EINVAL);
	bad("[10.0.0.5]:22", -EINVAL);
	bad("[2001:db8::1]", -EINVAL);
	bad("[2001:db8::1]22", -EINVAL);
	bad("2001:db8::1]:22", -EINVAL);
	bad("host.example:22", -EINVAL);
	bad("10.0.0.5 ", -EINVAL);

	allows("10.0.0.5:22/tcp", "10.0.0.5", IPPROTO_TCP, 22, true);
	allows("10.0.0.5:22/tcp", "10.0.0.5", IPPROTO_TCP, 23, false);
	allows("10.0.0.5:22/tcp", "10.0.0.5", IPPROTO_UDP, 22, false);
	allows("10.0.0.5:22/tcp", "10.0.0.6", IPPROTO_TCP, 22, false);
	allows("10.0.0.5:53", "10.0.0.5", IPPROTO_UDP, 53, true);
	allows("10.0.0.5:53", "10.0.0.5", IPPROTO_TCP, 53, true);
	allows("10.0.0.5:53", "10.0.0.5", IPPROTO_ICMP, 0, false);
	allows("10.0.0.5", "10.0.0.5", IPPROTO_ICMP, 0, true);
	allows("10.0.0.0/24:1000-2000", "10.0.0.77", IPPROTO_TCP, 2000, true);
	allows("10.0.0.0/24:1000-2000", "10.0.0.77", IPPROTO_TCP, 999, false);
	allows("10.0.0.0/24", "10.0.1.1", IPPROTO_TCP, 80, false);
	allows("0.0.0.0/0:443/tcp", "192.0.2.1", IPPROTO_TCP, 443, true);
	allows("0.0.0.0/0:443/tcp", "2001:db8::1", IPPROTO_TCP, 443, false);
	allows("[2001:db8::/32]:443", "2001:db8:1::5", IPPROTO_TCP, 443, true);
	allows("[2001:db8::/32]:443", "2001:db9::5", IPPROTO_TCP, 443, false);

	/* the key */
	const char *net = "[defaults]\nnetwork = bridge\nbridge = br0\naddress = pool 10.1.0.0/24\n";
	struct nsbox_settings s;
	char text[1024], err[600];
	snprintf(text, sizeof(text), "%s", net);
	is_int(load(text, &s, err, sizeof(err)), 0, "no egress key: loads");
	ok(!s.egress_limited && s.n_egress == 0, "the built-in egress is any");
	snprintf(text, sizeof(text), "%segress = none\n", net);
	is_int(load(text, &s, err, sizeof(err)), 0, "egress = none loads");
	ok(s.egress_limited && s.n_egress == 0, "none: limited, nothing listed");
	snprintf(text, sizeof(text), "%segress = 10.0.0.5:22/tcp [2001:db8::1]:443\n", net);
	is_int(load(text, &s, err, sizeof(err)), 0, "a list loads");
	ok(s.egress_limited && s.n_egress == 2 && s.egress[1].port_lo == 443,
	   "a list: limited, two destinations");
	char *printed = NULL;
	size_t plen = 0;
	FILE *f = open_memstream(&printed, &plen);
	nsbox_settings_print(f, &s);
	fclose(f);
	ok(strstr(printed, "\negress = 10.0.0.5:22/tcp [2001:db8::1]:443\n") != NULL,
	   "printed back as written");
	ok(strstr(printed, "# egress also lets through the box's dns servers") != NULL,
	   "and the implicit DNS and DHCP said");
	free(printed);
	snprintf(text, sizeof(text), "%s[match user=alice]\negress = any\n", net);
	strcat(text, "");
	is_int(load(text, &s, err, sizeof(err)), 0, "egress = any in a [match]");
	ok(!s.egress_limited, "any: not limited");

	snprintf(text, sizeof(text), "[defaults]\negress = 10.0.0.5\n");
	is_int(load(text, &s, err, sizeof(err)), -EINVAL, "a list on a box without its own network");
	is_str(err, "t:2: 'egress' needs network = bridge or routed", "is a load-time error naming the line");
	snprintf(text, sizeof(text), "%segress = none 10.0.0.5\n", net);
	load(text, &s, err, sizeof(err));
	is_str(err, "t:5: 'none' stands alone in 'egress'", "none among destinations");
	snprintf(text, sizeof(text), "%segress = 10.0.0.5/24\n", net);
	load(text, &s, err, sizeof(err));
	is_str(err, "t:5: '10.0.0.5/24' in 'egress' has host bits set past its prefix",
	       "host bits past the prefix, named");
	text[0] = 0;
	strcat(text, net);
	strcat(text, "egress =");
	for (int i = 0; i <= NSBOX_MAX_EGRESS; i++) {
		char one[24];
		snprintf(one, sizeof(one), " 10.0.0.%d", i + 1);
		strcat(text, one);
	}
	strcat(text, "\n");
	load(text, &s, err, sizeof(err));
	is_str(err, "t:5: too many values for 'egress' (max 32)", "at most 32 destinations");

	/* the record's copy: "" unbridged, the list, a long one cut after a whole destination */
	char rec[1000];
	snprintf(text, sizeof(text), "[defaults]\n");
	load(text, &s, err, sizeof(err));
	nsbox_egress_text(&s, rec, sizeof(rec));
	is_str(rec, "", "record: an unbridged box has no egress value");
	snprintf(text, sizeof(text), "%segress = none\n", net);
	load(text, &s, err, sizeof(err));
	nsbox_egress_text(&s, rec, sizeof(rec));
	is_str(rec, "none", "record: none");
	char big[4096];
	int o = snprintf(big, sizeof(big), "%segress =", net);
	for (int i = 0; i < NSBOX_MAX_EGRESS; i++)
		o += snprintf(big + o, sizeof(big) - (size_t)o, " [2001:db8:%x::/48]:1000-2000/tcp", i);
	snprintf(big + o, sizeof(big) - (size_t)o, "\n");
	is_int(load(big, &s, err, sizeof(err)), 0, "32 long destinations load");
	nsbox_egress_text(&s, rec, sizeof(rec));
	size_t rl = strlen(rec);
	ok(rl < sizeof(rec) && rl > 4 && !strcmp(rec + rl - 4, " ...") && rec[rl - 5] == 'p',
	   "record: a list too long is cut after a whole destination (%zu bytes, ends '%s')", rl,
	   rec + rl - 12);
	return tap_done();
}
