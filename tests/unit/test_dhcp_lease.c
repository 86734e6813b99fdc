// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for the DHCP lease parser of helper/dhcp_lease.c (what nsbox-dhcp-script hands over
 * from an untrusted DHCP server): good leases, and each kind of bad value refused as a whole with
 * its reason. Runs as any user, touches no file. Output: TAP. */

#include "../../helper/dhcp_lease.c"
#include "../../lib/file.c"

#include "tap.h"

static const char *
ip(const struct nsbox_ip *a)
{
	static char b[4][INET6_ADDRSTRLEN];
	static int i;

	i = (i + 1) % 4;
	nsbox_ip_text(a, b[i], sizeof(b[i]));
	return b[i];
}

/* parses TEXT, expects refusal with a reason matching WANT (a substring) */
static void
refused(const char *text, const char *want, const char *what)
{
	struct dhcp_lease l;
	int r = dhcp_lease_parse(text, &l);

	if (!ok(r == -EBADMSG && strstr(l.bad, want), "refused: %s", what))
		printf("#   r=%d bad='%s' want '%s'\n", r, l.bad, want);
}

static char *
name_of(size_t len)
{
	static char d[600];
	size_t i;

	/* labels of 63 'a's joined by dots, cut to LEN */
	for (i = 0; i < len; i++)
		d[i] = (i % 64 == 63) ? '.' : 'a';
	if (len && d[len - 1] == '.')
		d[len - 1] = 'b';
	d[len] = 0;
	return d;
}

int
main(void)
{
	struct dhcp_lease l;
	char buf[4096];

	/* ---- good leases ---- */
	is_int(dhcp_lease_parse("ip=10.78.0.51\nmask=255.255.255.0\nrouters=10.78.0.1\n"
				"dns=10.78.0.53 10.78.0.54\nsearch=dhcp.test. lab.test\n", &l),
	       0, "dhclient-style lease parses");
	is_str(ip(&l.ip), "10.78.0.51", "address");
	is_int(l.prefix, 24, "dotted netmask -> /24");
	is_str(ip(&l.gw), "10.78.0.1", "router");
	is_int(l.ndns, 2, "two DNS servers");
	is_str(ip(&l.dns[1]), "10.78.0.54", "second DNS server");
	is_int(l.nsearch, 2, "two search domains");
	is_str(l.search[0], "dhcp.test", "the root's dot is dropped");
	is_int(dhcp_lease_parse("ip=192.168.5.9\nmask=16\nrouters=192.168.0.1\ndns=\nsearch=\n", &l),
	       0, "udhcpc-style numeric mask");
	is_int(l.prefix, 16, "numeric mask -> /16");
	is_int(dhcp_lease_parse("ip=10.1.2.3\nmask=255.255.255.248\nrouters=\n", &l), 0,
	       "no router is fine");
	is_int(l.gw.family, 0, "no router set");
	is_int(dhcp_lease_parse("ip=10.1.2.3\nmask=8\ndns=1.1.1.1 1.0.0.1 9.9.9.9 8.8.8.8\n", &l), 0,
	       "four DNS servers");
	is_int(l.ndns, NSBOX_MAX_DNS, "DNS servers beyond the limit dropped");
	is_int(l.server.family, 0, "no server named: none known");
	is_int(dhcp_lease_parse("ip=10.1.2.3\nmask=24\nserver=10.9.8.7\n", &l), 0,
	       "the server that gave the lease");
	is_str(ip(&l.server), "10.9.8.7", "server kept (it may be outside the subnet: a relay)");
	is_int(dhcp_lease_parse("ip=10.1.2.3\nmask=24\nserver=\n", &l), 0, "an empty server");
	is_int(l.server.family, 0, "an empty server: none known");

	/* search domains up to 253 bytes (they were cut at 64) */
	snprintf(buf, sizeof(buf), "ip=10.1.2.3\nmask=24\nsearch=%s.\n", name_of(253));
	is_int(dhcp_lease_parse(buf, &l), 0, "a 253-byte search domain (with the root's dot)");
	is_int(strlen(l.search[0]), 253, "kept whole, 253 bytes");
	snprintf(buf, sizeof(buf), "ip=10.1.2.3\nmask=24\nsearch=%s", name_of(253));
	for (int i = 0; i < 5; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " %s", name_of(253));
	is_int(dhcp_lease_parse(buf, &l), 0, "six search domains of 253 bytes");
	is_int(l.nsearch, 6, "all six kept");

	/* ---- bad leases ---- */
	refused("mask=24\n", "no address", "no address");
	refused("ip=10.1.2.3\n", "no netmask", "no netmask");
	refused("ip=10.1.2.3\nmask=255.0.255.0\n", "not a contiguous mask", "non-contiguous netmask");
	refused("ip=10.1.2.3\nmask=255.255.255.1\n", "not a contiguous mask", "mask with a stray low bit");
	refused("ip=10.1.2.3\nmask=0.0.0.0\n", "not a contiguous mask", "all-zero mask");
	refused("ip=10.1.2.3\nmask=4294967320\n", "not a contiguous mask", "numeric mask overflowing 32 bits (atoi wrapped to 24)");
	refused("ip=10.1.2.3\nmask=33\n", "not a contiguous mask", "mask of 33 bits");
	refused("ip=10.1.2.3\nmask=-8\n", "not a contiguous mask", "negative mask");
	refused("ip=10.1.2.3\nmask=024\n", "", "three-digit mask");
	refused("ip=10.1.2.3\nmask=24\nrouters=10.9.0.1\n", "router 10.9.0.1 is not another address inside 10.1.2.0/24", "router outside the subnet");
	refused("ip=10.1.2.3\nmask=24\nrouters=10.1.2.3\n", "router 10.1.2.3", "router equal to the address");
	refused("ip=10.1.2.3\nmask=24\nrouters=fe80::1\n", "not a unicast IPv4", "IPv6 router for an IPv4 lease");
	refused("ip=10.1.2.3\nmask=24\nrouters=garbage\n", "not a unicast IPv4", "unparsable router");
	refused("ip=fd00::5\nmask=24\n", "not a unicast IPv4", "IPv6 address");
	refused("ip=10.1.2.300\nmask=24\n", "not a unicast IPv4", "octet overflow in the address");
	refused("ip=224.0.0.5\nmask=24\n", "not a unicast IPv4", "multicast address");
	refused("ip=127.0.0.5\nmask=8\n", "not a unicast IPv4", "loopback address");
	refused("ip=10.1.2.0\nmask=24\n", "network or broadcast", "network address");
	refused("ip=10.1.2.255\nmask=24\n", "network or broadcast", "broadcast address");
	refused("ip=10.1.2.3\nmask=24\ndns=10.1.2.53 nonsense\n", "DNS server 'nonsense'", "bad DNS server");
	refused("ip=10.1.2.3\nmask=24\ndns=255.255.255.255\n", "DNS server", "broadcast DNS server");
	refused("ip=10.1.2.3\nmask=24\ndns=0.0.0.0\n", "DNS server", "0.0.0.0 DNS server");
	refused("ip=10.1.2.3\nmask=24\nserver=255.255.255.255\n", "server '255.255.255.255' is not a unicast IPv4", "broadcast server");
	refused("ip=10.1.2.3\nmask=24\nserver=fd00::1\n", "server 'fd00::1'", "IPv6 server");
	snprintf(buf, sizeof(buf), "ip=10.1.2.3\nmask=24\nsearch=%s\n", name_of(254));
	refused(buf, "search domain of 254 bytes", "254-byte search domain");
	refused("ip=10.1.2.3\nmask=24\nsearch=ok.test bad_name!\n", "search domain 'bad_name!'", "invalid search name");
	refused("ip=10.1.2.3\nmask=24\nsearch=a..b\n", "not a valid name", "empty label");
	memset(buf, 'a', 3000);
	memcpy(buf, "search=", 7);
	buf[3000] = 0;
	refused(buf, "line of 3000 bytes", "overlong line");
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
