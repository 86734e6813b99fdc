// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for conf/ through its public API (conf.h): parsing, resolution, values, templates,
 * name checks, addresses, settings_print round trips and the trust checks of nsbox_conf_load
 * (files made in a private directory under /tmp). Runs unprivileged or as root. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "internal.h"
#include "nsbox/cleanup.h"
#include "tap.h"

/* ---- helpers ---- */

static char last_err[1024];

/* Parses TEXT as file "t"; returns the config or NULL with last_err set. */
static struct nsbox_conf *
parse(const char *text, int *rp)
{
	struct nsbox_conf *c = NULL;
	struct nsbox_conf_err err;
	int r = nsbox_conf_parse_string("t", text, strlen(text), &c, &err);

	last_err[0] = 0;
	if (r < 0)
		nsbox_conf_err_format(&err, last_err, sizeof(last_err));
	if (rp)
		*rp = r;
	return c;
}

static void
good(const char *text, const char *what)
{
	struct nsbox_conf *c = parse(text, NULL);

	ok(c != NULL, "good: %s (%s)", what, last_err);
	nsbox_conf_free(c);
}

static void
bad(const char *text, const char *want, const char *what)
{
	int r;
	struct nsbox_conf *c = parse(text, &r);

	ok(c == NULL && r < 0, "bad: %s is refused", what);
	is_str(last_err, want, "bad: %s: message", what);
	nsbox_conf_free(c);
}

static void
resolve(const struct nsbox_conf *c, const char *user, const char *service, const char *groups,
	struct nsbox_settings *s)
{
	/* GROUPS: comma separated */
	char buf[256];
	const char *g[16];
	size_t n = 0;
	struct nsbox_login who = { .user = user, .service = service, .groups = g };

	snprintf(buf, sizeof(buf), "%s", groups ? groups : "");
	for (char *tok = strtok(buf, ","); tok && n < 16; tok = strtok(NULL, ","))
		g[n++] = tok;
	who.n_groups = n;
	nsbox_conf_resolve(c, &who, s);
}

static char *
print_settings(const struct nsbox_settings *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	nsbox_settings_print(f, s);
	fclose(f);
	return buf;
}

/* Drops the "# matched" comment line. */
static void
drop_matched(char *s)
{
	char *m = strstr(s, "# matched ");

	if (m) {
		char *e = strchr(m, '\n');
		memmove(m, e ? e + 1 : m + strlen(m), strlen(e ? e + 1 : m + strlen(m)) + 1);
	}
}

static const char *
ipstr(const struct nsbox_ip *ip)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int i;

	i = (i + 1) % 4;
	if (nsbox_ip_format(ip, buf[i], sizeof(buf[i])) < 0)
		snprintf(buf[i], sizeof(buf[i]), "(none)");
	return buf[i];
}

/* ---- parsing and resolution ---- */

static const char design[] =
	"[defaults]\n"
	"namespaces = pid mount ipc uts net\n"
	"hostname   = %u-box             # %u user  %i box id\n"
	"network    = none               # none | bridge\n"
	"on_error   = deny\n"
	"\n"
	"[match group=wheel]\n"
	"exempt = yes\n"
	"\n"
	"[match user=alice]\n"
	"network = bridge\n"
	"bridge  = br0\n"
	"address = 10.5.0.10/24\n"
	"gateway = 10.5.0.1\n"
	"dns     = 10.5.0.1\n"
	"\n"
	"[match group=students service=sshd]\n"
	"network = bridge\n"
	"bridge  = labbr0\n"
	"address = pool 10.20.0.0/16     # leased per box\n"
	"gateway = 10.20.0.1\n";

static void
test_builtin(void)
{
	struct nsbox_conf *c;
	struct nsbox_settings s;

	c = parse("", NULL);
	ok(c != NULL, "empty config parses");
	is_int(nsbox_conf_n_sections(c), 0, "empty config has no sections");
	resolve(c, "alice", "sshd", "alice", &s);
	is_int(s.exempt, 0, "builtin exempt = no");
	is_int(s.namespaces, NSBOX_NS_ALL, "builtin namespaces = all five");
	is_str(s.hostname, "%u-box", "builtin hostname");
	is_int(s.on_error, NSBOX_ON_ERROR_DENY, "builtin on_error = deny");
	is_int(s.network, NSBOX_NET_NONE, "builtin network = none");
	is_str(s.ifname, "eth0", "builtin ifname");
	ok(s.mac_auto, "builtin mac auto");
	is_int(s.mtu, 0, "builtin mtu 0");
	is_int(s.sticky, 0, "builtin sticky no");
	is_str(s.dhcp_client, "/sbin/dhclient", "builtin dhcp_client");
	is_int(s.dhcp_timeout, 5, "builtin dhcp_timeout");
	is_str(s.matched, "defaults", "builtin matched");
	is_int(s.address.mode, NSBOX_ADDR_NONE, "builtin no address");
	is_int(s.n_dns, 0, "builtin no dns");
	is_int(s.share, NSBOX_SHARE_NONE, "builtin share = none");
	is_int(s.max_boxes, 0, "builtin max_boxes = none");
	is_int(s.max_sessions, 0, "builtin max_sessions = none");
	nsbox_conf_free(c);

	c = parse("# only\n   # comments\n\n\t\n", NULL);
	ok(c && nsbox_conf_n_sections(c) == 0, "comments only parse");
	nsbox_conf_free(c);
	c = parse("[defaults]", NULL);
	ok(c && nsbox_conf_n_sections(c) == 1, "no final newline");
	nsbox_conf_free(c);
	nsbox_conf_resolve(NULL, NULL, &s);
	is_str(s.matched, "defaults", "resolve with no config gives builtins");
}

static void
test_resolution(void)
{
	struct nsbox_conf *c = parse(design, NULL);
	struct nsbox_settings s;

	ok(c != NULL, "design example parses (%s)", last_err);
	is_int(nsbox_conf_n_sections(c), 4, "design example: 4 sections");

	resolve(c, "alice", "sshd", "alice,users", &s);
	is_str(s.matched, "t:10", "alice matches [match user=alice]");
	is_int(s.network, NSBOX_NET_BRIDGE, "alice: bridge");
	is_str(s.bridge[0], "br0", "alice: br0");
	is_int(s.n_bridges, 1, "alice: one bridge");
	is_int(s.address.mode, NSBOX_ADDR_STATIC, "alice: static");
	is_str(ipstr(&s.address.cidr.ip), "10.5.0.10", "alice: address");
	is_int(s.address.cidr.prefix, 24, "alice: prefix");
	is_str(ipstr(&s.gateway), "10.5.0.1", "alice: gateway");
	is_int(s.n_dns, 1, "alice: one dns");
	is_str(s.hostname, "%u-box", "alice: hostname from defaults");

	resolve(c, "alice", "sshd", "alice,wheel", &s);
	is_str(s.matched, "t:7", "alice in wheel: first match wins");
	ok(s.exempt, "alice in wheel: exempt");
	is_int(s.network, NSBOX_NET_NONE, "alice in wheel: no network");

	resolve(c, "carol", "sshd", "carol,cdrom,students", &s);
	is_str(s.matched, "t:17", "carol: group through the supplementary list");
	is_int(s.address.mode, NSBOX_ADDR_POOL, "carol: pool");
	is_str(ipstr(&s.address.first), "10.20.0.1", "carol: implicit pool first");
	is_str(ipstr(&s.address.last), "10.20.255.254", "carol: implicit pool last");

	resolve(c, "carol", "login", "carol,students", &s);
	is_str(s.matched, "defaults", "carol via login: criteria must all hold");
	is_int(s.network, NSBOX_NET_NONE, "carol via login: defaults");

	resolve(c, "dave", "sshd", NULL, &s);
	is_str(s.matched, "defaults", "no groups: defaults");
	nsbox_conf_free(c);

	c = parse("[match user=a*,bob service=ssh*]\nhostname = one\n"
		  "[match group=adm,wh?el]\nhostname = two\n"
		  "[match service=su,sudo]\nhostname = three\n"
		  "[match user=[xy]ves]\nhostname = four\n",
		  NULL);
	ok(c != NULL, "glob config parses (%s)", last_err);
	resolve(c, "anna", "sshd", "", &s);
	is_str(s.hostname, "one", "user glob a*");
	resolve(c, "bob", "ssh-x", "", &s);
	is_str(s.hostname, "one", "comma list second element, service glob");
	resolve(c, "bobby", "sshd", "", &s);
	is_str(s.hostname, "%u-box", "glob is anchored: bobby is not bob");
	resolve(c, "anna", "login", "users,whzel", &s);
	is_str(s.hostname, "two", "group glob wh?el");
	resolve(c, "x", "sudo", "users", &s);
	is_str(s.hostname, "three", "service list");
	resolve(c, "yves", "cron", "", &s);
	is_str(s.hostname, "four", "bracket glob");
	resolve(c, NULL, NULL, "", &s);
	is_str(s.matched, "defaults", "NULL user and service match nothing");
	nsbox_conf_free(c);

	c = parse("[defaults]\nhostname = a\non_error = allow\n"
		  "[match user=x]\nexempt = yes\n"
		  "[defaults]\nhostname = b\n"
		  "[defaults]\nnamespaces = mount net\n",
		  NULL);
	ok(c != NULL, "several [defaults] sections parse (%s)", last_err);
	resolve(c, "y", "s", NULL, &s);
	is_str(s.hostname, "b", "later [defaults] overrides earlier");
	is_int(s.on_error, NSBOX_ON_ERROR_ALLOW, "earlier [defaults] key kept");
	is_int(s.namespaces, CLONE_NEWNS | CLONE_NEWNET, "third [defaults]");
	resolve(c, "x", "s", NULL, &s);
	ok(s.exempt && !strcmp(s.hostname, "b"), "match laid over all [defaults]");
	nsbox_conf_free(c);

	/* a [match] turning the network off drops inherited network keys */
	c = parse("[defaults]\nnetwork = bridge\nbridge = br0\naddress = pool 10.0.0.0/24\n"
		  "gateway = 10.0.0.1\ndns = 10.0.0.1\n"
		  "[match user=guest]\nnetwork = none\n"
		  "[match user=dhcp]\naddress = dhcp\n",
		  NULL);
	ok(c != NULL, "network = none in a match (%s)", last_err);
	resolve(c, "guest", "s", NULL, &s);
	ok(s.network == NSBOX_NET_NONE && !s.n_bridges && !s.bridge[0][0] &&
		   s.address.mode == NSBOX_ADDR_NONE && !s.gateway.family && !s.n_dns,
	   "network = none clears inherited network keys");
	resolve(c, "dhcp", "s", NULL, &s);
	ok(s.address.mode == NSBOX_ADDR_DHCP && !s.gateway.family && !s.n_dns &&
		   !strcmp(s.bridge[0], "br0"),
	   "address = dhcp in a match drops inherited gateway and dns");
	resolve(c, "other", "s", NULL, &s);
	ok(s.address.mode == NSBOX_ADDR_POOL && s.gateway.family == AF_INET && s.n_dns == 1,
	   "others keep the pool");
	nsbox_conf_free(c);
}

static void
test_syntax(void)
{
	char buf[8192];

	good("[defaults]\n  hostname\t=\tbox   # comment\n", "blanks and trailing comment");
	good("[ defaults ]   # comment\n", "blanks inside header");
	good("[match   user=a   group=b\tservice=c ]\n", "criteria separated by blanks");
	good("[defaults]\n# caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n", "UTF-8 in a comment");
	bad("[defaults]\nhostname = box#x\n",
	    "t:2: hostname template 'box#x' does not give a valid host name",
	    "# inside a value is not a comment");
	bad("hostname = x\n", "t:1: key outside a section", "key outside a section");
	bad("[defaults]\ncolour = blue\n", "t:2: unknown key 'colour'", "unknown key");
	bad("[defaults]\nHostname = x\n", "t:2: unknown key 'Hostname'", "keys are case sensitive");
	bad("[defaults]\nhostname = a\nhostname = b\n", "t:3: duplicate key 'hostname'",
	    "duplicate key");
	bad("[defaults]\nfoo\n", "t:2: syntax error: 'foo'", "garbage");
	bad("[defaults]\nmtu =\n", "t:2: empty value for 'mtu'", "empty value");
	bad("[global]\n", "t:1: unknown section 'global'", "unknown section");
	bad("[defaults\n", "t:1: bad section header '[defaults'", "unterminated header");
	bad("[]\n", "t:1: unknown section ''", "empty header");
	bad("[match]\n", "t:1: match needs user=, group= or service=", "match without criteria");
	bad("[match host=x]\n", "t:1: unknown criterion 'host'", "unknown criterion");
	bad("[match user=a group=b user=c]\n", "t:1: duplicate criterion 'user'",
	    "duplicate criterion");
	bad("[match user=a group=b service=c user=d]\n", "t:1: too many criteria (max 3)",
	    "four criteria");
	bad("[match user=]\n", "t:1: empty element in user= list ''", "empty list");
	bad("[match user=,a]\n", "t:1: empty element in user= list ',a'", "leading comma");
	bad("[defaults]\r\n", "t:1: CRLF line end: save the file with LF line ends (dos2unix)", "CRLF");
	bad("[defaults]\nprofile = none\r\n", "t:2: CRLF line end: save the file with LF line ends (dos2unix)",
	    "CRLF on a key line");
	bad("[defaults]\r \n", "t:1: invalid character 0x0d", "a CR inside a line is no line end");
	bad("[defaults]\n\x7f\n", "t:2: invalid character 0x7f", "DEL");
	bad("[defaults]\n#\xed\xa0\x80\n", "t:2: invalid UTF-8", "UTF-8 surrogate");
	bad("[defaults]\n#\xf4\x90\x80\x80\n", "t:2: invalid UTF-8", "beyond U+10FFFF");
	bad("[defaults]\n#\xe2\x82\n", "t:2: invalid UTF-8", "truncated UTF-8");
	bad("include = /etc/*.conf\n", "t:1: include is not allowed here",
	    "include refused in a string");
	{
		struct nsbox_conf *c = NULL;
		struct nsbox_conf_err err;
		int r = nsbox_conf_parse_string("t", "include = /x\n", 13, &c, &err);

		is_int(r, -EPERM, "include in a string: -EPERM");
		r = nsbox_conf_parse_string("t", "[defaults]\nhost\0name = x\n", 25, &c, &err);
		ok(r == -EINVAL && err.line == 2 && !strcmp(err.msg, "invalid character 0x00"),
		   "NUL byte inside a string");
	}

	/* line length: exactly the limit is fine, one more is not */
	memset(buf, 0, sizeof(buf));
	buf[0] = '#';
	memset(buf + 1, 'x', NSBOX_CONF_MAX_LINE - 1);
	good(buf, "a line of exactly NSBOX_CONF_MAX_LINE bytes");
	buf[NSBOX_CONF_MAX_LINE] = 'x';
	bad(buf, "t:1: line too long (max 4096 bytes)", "a line one byte too long");
	{
		size_t big = NSBOX_CONF_MAX_FILE + 1;
		char *t = malloc(big);
		struct nsbox_conf *c = NULL;
		struct nsbox_conf_err err;
		int r;

		if (t) {
			memset(t, '\n', big);
			r = nsbox_conf_parse_string("t", t, big, &c, &err);
			ok(r == -EFBIG && err.line == 0, "file one byte too large: -EFBIG");
			is_str(err.msg, "file too large (max 1048576 bytes)", "file too large: message");
			r = nsbox_conf_parse_string("t", t, big - 1, &c, &err);
			ok(r == 0, "file of exactly NSBOX_CONF_MAX_FILE bytes");
			nsbox_conf_free(c);
			free(t);
		}
	}
	/* log injection: the bad bytes come out escaped */
	bad("[defaults]\nnetwork = bri'dge\xc3\xa9\n",
	    "t:2: bad value 'bri\\x27dge\\xc3\\xa9' for 'network' (want none, bridge or routed)",
	    "quote and UTF-8 escaped in messages");
	{
		char longv[600];

		snprintf(longv, sizeof(longv), "[defaults]\nnetwork = %0300d\n", 7);
		bad(longv,
		    "t:2: bad value '00000000000000000000000000000000000000000000000000000000000000000"
		    "0000000000000000000...' for 'network' (want none, bridge or routed)",
		    "long values are cut in messages");
	}
	/* many sections are fine; beyond the cap is an error */
	{
		size_t cap = 4097 * 20 + 1, o = 0;
		char *t = malloc(cap);

		if (t) {
			for (int i = 0; i < 4096; i++)
				o += (size_t)snprintf(t + o, cap - o, "[match user=u%d]\n", i);
			good(t, "4096 sections");
			snprintf(t + o, cap - o, "[defaults]\n");
			bad(t, "t:4097: too many sections (max 4096)", "4097 sections");
			free(t);
		}
	}
}

struct value_case {
	const char *line;
	const char *err; /* NULL: good */
};

static void
test_values(void)
{
	static const struct value_case plain[] = {
		{ "exempt = yes", NULL },
		{ "exempt = no", NULL },
		{ "exempt = Yes", "t:2: bad value 'Yes' for 'exempt' (want yes or no)" },
		{ "sticky = yes", NULL },
		{ "sticky = on", "t:2: bad value 'on' for 'sticky' (want yes or no)" },
		{ "namespaces = mount", NULL },
		{ "namespaces = net uts ipc mount pid", NULL },
		{ "namespaces = pid ipc", "t:2: namespaces must include mount" },
		{ "namespaces = mount pid pid", "t:2: duplicate 'pid' in 'namespaces'" },
		{ "namespaces = mount cgroup",
		  "t:2: bad value 'cgroup' for 'namespaces' (want pid, mount, ipc, uts or net)" },
		{ "namespaces = mount pid ipc uts net pid", "t:2: too many values for 'namespaces' (max 5)" },
		{ "hostname = keep", NULL },
		{ "hostname = %u-%s-%i.%h", NULL },
		{ "hostname = box", NULL },
		{ "hostname = 1box", NULL },
		{ "hostname = %u%%",
		  "t:2: hostname template '%u%%' does not give a valid host name" },
		{ "hostname = %U",
		  "t:2: bad value '%U' for 'hostname' (want a host name template with %u %i %s %h %%, or keep)" },
		{ "hostname = a%",
		  "t:2: bad value 'a%' for 'hostname' (want a host name template with %u %i %s %h %%, or keep)" },
		{ "hostname = a_b", "t:2: hostname template 'a_b' does not give a valid host name" },
		{ "hostname = %u.", "t:2: hostname template '%u.' does not give a valid host name" },
		{ "hostname = a b", "t:2: bad value 'a b' for 'hostname' (want a host name template with %u %i %s %h %%, or keep)" },
		{ "on_error = allow", NULL },
		{ "on_error = deny", NULL },
		{ "on_error = warn", "t:2: bad value 'warn' for 'on_error' (want deny or allow)" },
		{ "network = none", NULL },
		{ "network = Bridge", "t:2: bad value 'Bridge' for 'network' (want none, bridge or routed)" },
		{ "ifname = veth-box_1.x", NULL },
		{ "ifname = abcdefghijklmno", NULL },
		{ "ifname = abcdefghijklmnop", "t:2: bad value 'abcdefghijklmnop' for 'ifname' (want an interface name)" },
		{ "ifname = a:b", "t:2: bad value 'a:b' for 'ifname' (want an interface name)" },
		{ "ifname = eth%d", "t:2: bad value 'eth%d' for 'ifname' (want an interface name)" },
		{ "ifname = .", "t:2: bad value '.' for 'ifname' (want an interface name)" },
		{ "mac = auto", NULL },
		{ "mac = 02:00:00:AB:cd:01", NULL },
		{ "mac = 03:00:00:00:00:01", "t:2: bad value '03:00:00:00:00:01' for 'mac' (want auto or a unicast xx:xx:xx:xx:xx:xx)" },
		{ "mac = ff:ff:ff:ff:ff:ff", "t:2: bad value 'ff:ff:ff:ff:ff:ff' for 'mac' (want auto or a unicast xx:xx:xx:xx:xx:xx)" },
		{ "mac = 02:00:00:00:00", "t:2: bad value '02:00:00:00:00' for 'mac' (want auto or a unicast xx:xx:xx:xx:xx:xx)" },
		{ "mac = 02:00:00:00:00:0g", "t:2: bad value '02:00:00:00:00:0g' for 'mac' (want auto or a unicast xx:xx:xx:xx:xx:xx)" },
		{ "mac = 02-00-00-00-00-01", "t:2: bad value '02-00-00-00-00-01' for 'mac' (want auto or a unicast xx:xx:xx:xx:xx:xx)" },
		{ "mtu = 68", NULL },
		{ "mtu = 65535", NULL },
		{ "mtu = auto", NULL },
		{ "mtu = 65536", "t:2: bad value '65536' for 'mtu' (want 68-65535 or auto)" },
		{ "mtu = 0", "t:2: bad value '0' for 'mtu' (want 68-65535 or auto)" },
		{ "mtu = -1500", "t:2: bad value '-1500' for 'mtu' (want 68-65535 or auto)" },
		{ "mtu = +1500", "t:2: bad value '+1500' for 'mtu' (want 68-65535 or auto)" },
		{ "mtu = 1500x", "t:2: bad value '1500x' for 'mtu' (want 68-65535 or auto)" },
		{ "mtu = 0x5dc", "t:2: bad value '0x5dc' for 'mtu' (want 68-65535 or auto)" },
		{ "mtu = 18446744073709551616", "t:2: bad value '18446744073709551616' for 'mtu' (want 68-65535 or auto)" },
		{ "dhcp_client = /usr/sbin/dhclient", NULL },
		{ "dhcp_client = ./dhclient", "t:2: bad value './dhclient' for 'dhcp_client' (want an absolute path)" },
		{ "dhcp_client = /sbin/dhclient -v", "t:2: bad value '/sbin/dhclient -v' for 'dhcp_client' (want an absolute path)" },
		{ "dhcp_timeout = 1", NULL },
		{ "dhcp_timeout = 120", NULL },
		{ "dhcp_timeout = 0", "t:2: bad value '0' for 'dhcp_timeout' (want 1-120)" },
		{ "dhcp_user = nsbt-dhcp", NULL },
		{ "dhcp_user = _nsbox-dhcp", NULL },
		{ "dhcp_user = -x", "t:2: bad value '-x' for 'dhcp_user' (want a user name)" },
		{ "dhcp_user = a/b", "t:2: bad value 'a/b' for 'dhcp_user' (want a user name)" },
		{ "dhcp_user = a:b", "t:2: bad value 'a:b' for 'dhcp_user' (want a user name)" },
		{ "dhcp_user = abcdefghijklmnopqrstuvwxyz0123456", "t:2: bad value 'abcdefghijklmnopqrstuvwxyz0123456' for 'dhcp_user' (want a user name)" },
		{ "share = none", NULL },
		{ "share = user", NULL },
		{ "share = group", "t:2: bad value 'group' for 'share' (want none or user)" },
		{ "share = User", "t:2: bad value 'User' for 'share' (want none or user)" },
		{ "max_boxes = 1", NULL },
		{ "max_boxes = 65535", NULL },
		{ "max_boxes = none", NULL },
		{ "max_boxes = 0", "t:2: bad value '0' for 'max_boxes' (want 1-65535 or none)" },
		{ "max_boxes = 65536", "t:2: bad value '65536' for 'max_boxes' (want 1-65535 or none)" },
		{ "max_boxes = -1", "t:2: bad value '-1' for 'max_boxes' (want 1-65535 or none)" },
		{ "max_sessions = 1", NULL },
		{ "max_sessions = 1000", NULL },
		{ "max_sessions = none", NULL },
		{ "pool_share = none", NULL },
		{ "pool_share = 1", NULL },
		{ "pool_share = 65535", NULL },
		{ "pool_share = 1%", NULL },
		{ "pool_share = 100%", NULL },
		{ "pool_share = 0", "t:2: bad value '0' for 'pool_share' (want 1-65535, 1%-100% or none)" },
		{ "pool_share = 65536", "t:2: bad value '65536' for 'pool_share' (want 1-65535, 1%-100% or none)" },
		{ "pool_share = 0%", "t:2: bad value '0%' for 'pool_share' (want 1-65535, 1%-100% or none)" },
		{ "pool_share = 101%", "t:2: bad value '101%' for 'pool_share' (want 1-65535, 1%-100% or none)" },
		{ "pool_share = %", "t:2: bad value '%' for 'pool_share' (want 1-65535, 1%-100% or none)" },
		{ "pool_share = 5%%", "t:2: bad value '5%%' for 'pool_share' (want 1-65535, 1%-100% or none)" },
		{ "pool_share = -1", "t:2: bad value '-1' for 'pool_share' (want 1-65535, 1%-100% or none)" },
		{ "pool_share = 10 %", "t:2: bad value '10 %' for 'pool_share' (want 1-65535, 1%-100% or none)" },
		{ "max_sessions = 1001", "t:2: bad value '1001' for 'max_sessions' (want 1-1000 or none)" },
		{ "max_sessions = 2 3", "t:2: bad value '2 3' for 'max_sessions' (want 1-1000 or none)" },
		{ "memory_max = 1m", NULL },
		{ "memory_max = 2g", NULL },
		{ "memory_max = none", NULL },
		{ "memory_max = 0", "t:2: bad value '0' for 'memory_max' (want a size from 1m to 1024g, or none)" },
		{ "memory_max = 50%", "t:2: bad value '50%' for 'memory_max' (want a size from 1m to 1024g, or none)" },
		{ "memory_max = 2x", "t:2: bad value '2x' for 'memory_max' (want a size from 1m to 1024g, or none)" },
		{ "tasks_max = 1", NULL },
		{ "tasks_max = 4194304", NULL },
		{ "tasks_max = none", NULL },
		{ "tasks_max = 0", "t:2: bad value '0' for 'tasks_max' (want 1-4194304 or none)" },
		{ "tasks_max = 4194305", "t:2: bad value '4194305' for 'tasks_max' (want 1-4194304 or none)" },
		{ "cpu_quota = 1%", NULL },
		{ "cpu_quota = 100%", NULL },
		{ "cpu_quota = 100000%", NULL },
		{ "cpu_quota = none", NULL },
		{ "cpu_quota = 0%", "t:2: bad value '0%' for 'cpu_quota' (want 1%-100000% of one CPU, or none)" },
		{ "cpu_quota = 100", "t:2: bad value '100' for 'cpu_quota' (want 1%-100000% of one CPU, or none)" },
		{ "cpu_quota = 100001%", "t:2: bad value '100001%' for 'cpu_quota' (want 1%-100000% of one CPU, or none)" },
		{ "cpu_quota = %", "t:2: bad value '%' for 'cpu_quota' (want 1%-100000% of one CPU, or none)" },
	};
	static const struct value_case net[] = {
		{ "gateway = 10.0.0.1", NULL },
		{ "gateway = 10.0.0.256", "t:5: bad value '10.0.0.256' for 'gateway' (want an IPv4 address)" },
		{ "gateway = 10.0.0.1/24", "t:5: bad value '10.0.0.1/24' for 'gateway' (want an IPv4 address)" },
		{ "gateway = 10.0.0.0", "t:5: gateway '10.0.0.0' is the network address of 10.0.0.0/24" },
		{ "address6 = fd00::5/64", NULL },
		{ "address6 = fd00::/64", "t:5: address6 'fd00::/64' is the network address" },
		{ "address6 = fd00::5/129", "t:5: bad value 'fd00::5/129' for 'address6' (want an IPv6 CIDR or pool CIDR [FIRST-LAST])" },
		{ "address6 = pool fd00::/64", NULL },
		{ "address6 = pool fd00::/126", NULL },
		{ "address6 = pool fd00::/64 fd00::10-fd00::ffff", NULL },
		{ "address6 = pool fd00::1/64", "t:5: host bits set in pool 'fd00::1/64'" },
		{ "address6 = pool fd00::/64 fd00::-fd00::10", "t:5: pool range 'fd00::-fd00::10' includes the network address" },
		{ "address6 = pool fd00::/64 fd01::1-fd01::10", "t:5: pool range 'fd01::1-fd01::10' is outside fd00::/64" },
		{ "gateway6 = fd00::1", "t:5: 'gateway6' needs a static or pool 'address6'" },
		{ "gateway6 = 10.0.0.1", "t:5: bad value '10.0.0.1' for 'gateway6' (want an IPv6 address)" },
		{ "dns = 10.0.0.1", NULL },
		{ "dns = 10.0.0.1 fd00::1 1.1.1.1", NULL },
		{ "dns = 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4", "t:5: too many values for 'dns' (max 3)" },
		{ "dns = 1.1.1", "t:5: bad value '1.1.1' for 'dns' (want 1-3 IP addresses)" },
		{ "dns = fe80::1%eth0", "t:5: bad value 'fe80::1%eth0' for 'dns' (want 1-3 IP addresses)" },
		{ "search = example.org", NULL },
		{ "search = a b c d e f", NULL },
		{ "search = a b c d e f g", "t:5: too many values for 'search' (max 6)" },
		{ "search = -a.org", "t:5: bad value '-a.org' for 'search' (want 1-6 domain names)" },
		{ "search = a..org", "t:5: bad value 'a..org' for 'search' (want 1-6 domain names)" },
		{ "search = example.org.", "t:5: bad value 'example.org.' for 'search' (want 1-6 domain names)" },
	};
	static const struct value_case addr[] = {
		{ "address = 10.0.0.5/24", NULL },
		{ "address = 10.0.0.0/31", NULL },
		{ "address = 10.0.0.1/32", NULL },
		{ "address = 10.0.0.255/30", "t:4: address '10.0.0.255/30' is the broadcast address" },
		{ "address = 10.0.0.4/30", "t:4: address '10.0.0.4/30' is the network address" },
		{ "address = 10.0.0.5/0", "t:4: bad value '10.0.0.5/0' for 'address' (want A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp)" },
		{ "address = 10.0.0.5/33", "t:4: bad value '10.0.0.5/33' for 'address' (want A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp)" },
		{ "address = 10.0.0.5/", "t:4: bad value '10.0.0.5/' for 'address' (want A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp)" },
		{ "address = 010.0.0.5/24", "t:4: bad value '010.0.0.5/24' for 'address' (want A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp)" },
		{ "address = 10.0.0.5/24 10.0.0.6/24", "t:4: bad value '10.0.0.5/24 10.0.0.6/24' for 'address' (want A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp)" },
		{ "address = dhcp", NULL },
		{ "address = DHCP", "t:4: bad value 'DHCP' for 'address' (want A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp)" },
		{ "address = pool 10.0.0.0/30", NULL },
		{ "address = pool 10.0.0.0/8", NULL },
		{ "address = pool 10.0.0.0/1", "t:4: host bits set in pool '10.0.0.0/1'" },
		{ "address = pool 0.0.0.0/1", NULL },
		{ "address = pool 10.0.0.0/32", "t:4: pool '10.0.0.0/32' is too small (want prefix <= 30)" },
		{ "address = pool 10.0.0.0/24 10.0.0.1-10.0.0.254", NULL },
		{ "address = pool 10.0.0.0/24 10.0.0.7-10.0.0.7", NULL },
		{ "address = pool 10.0.0.0/24 10.0.0.7-", "t:4: bad value 'pool 10.0.0.0/24 10.0.0.7-' for 'address' (want A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp)" },
		{ "address = pool 10.0.0.0/24 10.0.0.7-10.0.0.9 x", "t:4: bad value 'pool 10.0.0.0/24 10.0.0.7-10.0.0.9 x' for 'address' (want A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp)" },
		{ "address = pool 10.0.0.0/24 fd00::1-fd00::2", "t:4: bad value 'pool 10.0.0.0/24 fd00::1-fd00::2' for 'address' (want A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp)" },
		{ "address = pool fd00::/64", "t:4: bad value 'pool fd00::/64' for 'address' (want A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp)" },
		{ "address = 10.0.0.5 / 24", "t:4: bad value '10.0.0.5 / 24' for 'address' (want A.B.C.D/N, pool A.B.C.D/N [FIRST-LAST] or dhcp)" },
	};
	char text[1024];

	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		snprintf(text, sizeof(text), "[defaults]\n%s\n", plain[i].line);
		if (plain[i].err)
			bad(text, plain[i].err, plain[i].line);
		else
			good(text, plain[i].line);
	}
	for (size_t i = 0; i < ARRAY_SIZE(net); i++) {
		snprintf(text, sizeof(text),
			 "[defaults]\nnetwork = bridge\nbridge = br0\naddress = 10.0.0.5/24\n%s\n",
			 net[i].line);
		if (net[i].err)
			bad(text, net[i].err, net[i].line);
		else
			good(text, net[i].line);
	}
	for (size_t i = 0; i < ARRAY_SIZE(addr); i++) {
		snprintf(text, sizeof(text), "[defaults]\nnetwork = bridge\nbridge = br0\n%s\n",
			 addr[i].line);
		if (addr[i].err)
			bad(text, addr[i].err, addr[i].line);
		else
			good(text, addr[i].line);
	}

	good("[defaults]\nnetwork = bridge\naddress = dhcp\nbridge = br-lab.10\n", "bridge name");
	/* bridge = br0 br1 ...: up to NSBOX_MAX_BRIDGES names, each once */
	{
		struct nsbox_conf *c = parse("[defaults]\nnetwork = bridge\naddress = dhcp\n"
					     "bridge = br0\n[match user=spread]\n"
					     "bridge = brA brB br-c\n",
					     NULL);
		struct nsbox_settings s;

		ok(c != NULL, "a list of bridges parses (%s)", last_err);
		resolve(c, "spread", "s", NULL, &s);
		ok(s.n_bridges == 3 && !strcmp(s.bridge[0], "brA") &&
			   !strcmp(s.bridge[1], "brB") && !strcmp(s.bridge[2], "br-c"),
		   "the list lands in order");
		resolve(c, "other", "s", NULL, &s);
		ok(s.n_bridges == 1 && !strcmp(s.bridge[0], "br0") && !s.bridge[1][0],
		   "one bridge: n_bridges 1, the match's list does not leak");
		nsbox_conf_free(c);
	}
	good("[defaults]\nnetwork = bridge\naddress = dhcp\nbridge = b1 b2 b3 b4 b5 b6 b7 b8\n",
	     "eight bridges");
	bad("[defaults]\nnetwork = bridge\naddress = dhcp\nbridge = b1 b2 b3 b4 b5 b6 b7 b8 b9\n",
	    "t:4: too many values for 'bridge' (max 8)", "nine bridges");
	bad("[defaults]\nnetwork = bridge\naddress = dhcp\nbridge = br0 br1 br0\n",
	    "t:4: bridge 'br0' is listed twice", "a bridge listed twice");
	bad("[defaults]\nnetwork = bridge\naddress = dhcp\nbridge = br0 br:1\n",
	    "t:4: bad value 'br:1' for 'bridge' (want an interface name)", "a bad name in the list");
	bad("[defaults]\nnetwork = bridge\naddress = dhcp\nbridge = br0 0123456789abcdef\n",
	    "t:4: bad value '0123456789abcdef' for 'bridge' (want an interface name)",
	    "a name of 16 bytes in the list");
	bad("[defaults]\nnetwork = none\n[match user=x]\nbridge = br0 br1\n",
	    "t:4: 'bridge' needs network = bridge or routed", "a list of bridges without network = bridge");
	{
		struct nsbox_conf *c = parse("[defaults]\nnetwork = bridge\naddress = dhcp\n"
					     "bridge = brA brB\n",
					     NULL);
		struct nsbox_settings s;
		_cleanup_free_ char *p = NULL;

		resolve(c, "u", "s", NULL, &s);
		p = print_settings(&s);
		ok(p && strstr(p, "\nbridge = brA brB\n"), "a list of bridges prints as written");
		nsbox_conf_free(c);
	}
	bad("[defaults]\nnetwork = bridge\naddress = dhcp\nbridge = br0:1\n",
	    "t:4: bad value 'br0:1' for 'bridge' (want an interface name)", "bridge alias name");

	/* parsed values land where they should */
	{
		struct nsbox_conf *c = parse(
			"[defaults]\nnetwork = bridge\nbridge = br0\nifname = box0\n"
			"mac = 02:00:00:AB:cd:01\nmtu = 9000\n"
			"address = pool 10.1.0.0/24 10.1.0.100-10.1.0.199\ngateway = 10.1.0.1\n"
			"address6 = pool fd00:1::/64\ngateway6 = fe80::1\n"
			"dns = 10.1.0.1 fd00:1::1\nsearch = a.example b.example\nsticky = yes\n"
			"dhcp_client = /usr/sbin/dhclient\ndhcp_timeout = 30\nhostname = keep\n"
			"namespaces = mount net\n",
			NULL);
		struct nsbox_settings s;

		ok(c != NULL, "full config parses (%s)", last_err);
		resolve(c, "u", "s", NULL, &s);
		is_str(s.ifname, "box0", "ifname");
		ok(!s.mac_auto && s.mac[0] == 2 && s.mac[3] == 0xab && s.mac[4] == 0xcd &&
			   s.mac[5] == 1,
		   "mac");
		is_int(s.mtu, 9000, "mtu");
		is_str(ipstr(&s.address.first), "10.1.0.100", "pool first");
		is_str(ipstr(&s.address.last), "10.1.0.199", "pool last");
		is_str(ipstr(&s.address.cidr.ip), "10.1.0.0", "pool network");
		is_str(ipstr(&s.address6.first), "fd00:1::1", "v6 pool first skips the anycast");
		is_str(ipstr(&s.address6.last), "fd00:1::ffff:ffff:ffff:ffff", "v6 pool last");
		is_str(ipstr(&s.gateway6), "fe80::1", "link-local gateway6");
		ok(s.n_dns == 2 && s.dns[1].family == AF_INET6, "dns v4 and v6");
		ok(s.n_search == 2 && !strcmp(s.search[1], "b.example"), "search");
		ok(s.sticky, "sticky");
		is_str(s.dhcp_client, "/usr/sbin/dhclient", "dhcp_client");
		is_int(s.dhcp_timeout, 30, "dhcp_timeout");
		is_str(s.hostname, "", "hostname keep is empty");
		is_int(s.namespaces, CLONE_NEWNS | CLONE_NEWNET, "namespaces");
		nsbox_conf_free(c);
	}
	{
		char longest[512];

		/* 253-byte search domain is fine, 254 is not */
		char d[300];
		memset(d, 'a', sizeof(d));
		for (int i = 63; i < 300; i += 64)
			d[i] = '.';
		d[253] = 0;
		snprintf(longest, sizeof(longest),
			 "[defaults]\nnetwork = bridge\nbridge = b\naddress = dhcp\nsearch = %s\n", d);
		good(longest, "253-byte search domain");
		d[253] = 'a';
		d[254] = 0;
		snprintf(longest, sizeof(longest),
			 "[defaults]\nnetwork = bridge\nbridge = b\naddress = dhcp\nsearch = %s\n", d);
		ok(parse(longest, NULL) == NULL, "254-byte search domain refused");
	}
	{
		/* template of NSBOX_TEMPLATE_MAX - 1 bytes is parsed (then found too long) */
		char t[NSBOX_TEMPLATE_MAX + 64];
		int n = snprintf(t, sizeof(t), "[defaults]\nhostname = ");

		memset(t + n, 'a', NSBOX_TEMPLATE_MAX);
		snprintf(t + n + NSBOX_TEMPLATE_MAX, sizeof(t) - (size_t)n - NSBOX_TEMPLATE_MAX, "\n");
		ok(parse(t, NULL) == NULL && strstr(last_err, "is too long (max 255 bytes)"),
		   "hostname template over NSBOX_TEMPLATE_MAX - 1 (%s)", last_err);
	}
}

static void
test_cross(void)
{
	good("[defaults]\nnetwork = bridge\nbridge = br0\naddress6 = fd00::5/64\n",
	     "IPv6 only");
	good("[defaults]\nnetwork = bridge\nbridge = br0\naddress = dhcp\nsearch = lab\n",
	     "dhcp with search");
	good("[defaults]\nnetwork = bridge\nbridge = br0\naddress = 10.0.0.5/31\ngateway = 10.0.0.4\n",
	     "/31 gateway on the other address");
	good("[defaults]\nnetwork = bridge\nbridge = br0\naddress = pool 10.0.0.0/24 10.0.0.10-10.0.0.20\n"
	     "gateway = 10.0.0.1\n"
	     "[match user=a]\naddress = 10.0.0.5/24\n"
	     "[match user=b]\naddress = 10.0.0.6/24\n"
	     "[match user=c]\naddress = pool 10.0.0.0/24 10.0.0.21-10.0.0.30\n",
	     "statics outside the pool range, adjacent ranges");
	good("[defaults]\nnetwork = bridge\nbridge = br0\naddress = 10.0.0.5/24\n"
	     "address6 = fd00::5/64\n[match user=a]\naddress6 = fd00::6/64\n",
	     "same host part in another family");
	good("[defaults]\n[match user=a]\nnetwork = bridge\nbridge = b\naddress = dhcp\n"
	     "[match user=b]\nnetwork = none\n",
	     "bridge only in one match");
	bad("[defaults]\nnetwork = bridge\nbridge = br0\naddress = dhcp\n"
	    "[match user=a]\naddress = 10.0.0.5/24\ngateway = 10.0.1.1\n",
	    "t:7: gateway '10.0.1.1' is outside 10.0.0.0/24", "gateway outside in a match");
	bad("[defaults]\nnetwork = bridge\nbridge = br0\naddress = dhcp\ndns = 1.1.1.1\n",
	    "t:5: 'dns' conflicts with address = dhcp", "dns with dhcp");
	bad("[defaults]\nnetwork = bridge\nbridge = br0\naddress = 10.0.0.5/24\ngateway = 10.0.0.1\n"
	    "[match user=a]\naddress = dhcp\ngateway = 10.0.0.2\n",
	    "t:8: 'gateway' conflicts with address = dhcp", "gateway set next to dhcp in a match");
	bad("[defaults]\nnetwork = bridge\nbridge = br0\naddress = dhcp\n"
	    "[match user=a]\ngateway = 10.0.0.2\n",
	    "t:6: 'gateway' conflicts with address = dhcp", "match adds gateway to dhcp defaults");
	bad("[defaults]\nsearch = lab\n", "t:2: 'search' needs network = bridge or routed",
	    "search with network none");
	bad("[defaults]\nnetwork = bridge\nbridge = br0\naddress = 10.0.0.5/24\n"
	    "[match user=a]\nnetwork = none\nbridge = br1\n",
	    "t:7: 'bridge' needs network = bridge or routed", "match turns network off and sets a bridge");
	bad("[defaults]\n[match user=a]\nnetwork = bridge\naddress = dhcp\n",
	    "t:3: network = bridge needs 'bridge'", "bridge missing in a match");
	bad("[defaults]\nnetwork = bridge\nbridge = b\naddress6 = fd00::5/64\ngateway6 = fd00:1::1\n",
	    "t:5: gateway 'fd00:1::1' is outside fd00::/64", "gateway6 outside");
	bad("[defaults]\nnetwork = bridge\nbridge = b\naddress6 = fd00::5/64\ngateway6 = fd00::\n",
	    "t:5: gateway 'fd00::' is the network address of fd00::/64", "gateway6 anycast");
	bad("[defaults]\nnetwork = bridge\nbridge = b\naddress6 = pool fd00::/64 fd00::1-fd00::ff\n"
	    "gateway6 = fd00::1\n",
	    "t:4: pool 'fd00::/64 fd00::1-fd00::ff' contains gateway 'fd00::1'",
	    "gateway6 inside the pool range");
	bad("[defaults]\nnetwork = bridge\nbridge = b\naddress6 = fd00::5/64\n"
	    "[match user=a]\naddress6 = fd00::5/64\n",
	    "t:6: address6 'fd00::5' also used at t:4", "same static v6 address twice");
	bad("[defaults]\nnetwork = bridge\nbridge = b\naddress6 = pool fd00::/64\n"
	    "[match user=a]\naddress6 = pool fd00::/96\n",
	    "t:6: pool 'fd00::/96' overlaps pool 'fd00::/64' of t:4", "v6 pools overlap");
	bad("[defaults]\nnetwork = bridge\nbridge = br0\naddress = pool 10.0.0.0/24 10.0.0.10-10.0.0.20\n"
	    "[match user=c]\naddress = pool 10.0.0.0/24 10.0.0.20-10.0.0.30\n",
	    "t:6: pool '10.0.0.0/24 10.0.0.20-10.0.0.30' overlaps pool '10.0.0.0/24 10.0.0.10-10.0.0.20' of t:4",
	    "pool ranges sharing one address");
}

/* ---- templates and names ---- */

static void
test_template(void)
{
	struct nsbox_tmpl_vars v = { .user = "alice", .id = "0a1b2c3d", .service = "sshd",
				     .host = "lab1" };
	char out[NSBOX_HOSTNAME_MAX + 1];
	char small[8];

	is_int(nsbox_template_expand("%u-box", &v, out, sizeof(out)), 0, "%%u-box");
	is_str(out, "alice-box", "%%u-box expands");
	is_int(nsbox_template_expand("%u.%s.%i.%h", &v, out, sizeof(out)), 0, "all escapes");
	is_str(out, "alice.sshd.0a1b2c3d.lab1", "all escapes expand");
	is_int(nsbox_template_expand("plain", &v, out, sizeof(out)), 0, "no escapes");
	is_str(out, "plain", "no escapes: copied");
	is_int(nsbox_template_expand("a%%b", &v, out, sizeof(out)), -EDOM, "%%%% gives a '%%' (not a host name)");
	is_int(nsbox_template_expand("box%", &v, out, sizeof(out)), -EINVAL, "trailing %%");
	is_int(nsbox_template_expand("%x", &v, out, sizeof(out)), -EINVAL, "unknown escape");
	is_int(nsbox_template_expand("%%x%q", &v, out, sizeof(out)), -EINVAL,
	       "unknown escape after %%%%");
	is_int(nsbox_template_expand("", &v, out, sizeof(out)), -EDOM, "empty template");
	is_int(nsbox_template_expand("-%u", &v, out, sizeof(out)), -EDOM,
	       "the template's own leading hyphen");
	is_int(nsbox_template_expand("%u.", &v, out, sizeof(out)), -EDOM, "the template's own trailing dot");
	is_int(nsbox_template_expand("%u-box", &v, small, sizeof(small)), -ENOSPC,
	       "output buffer too small");
	v.host = NULL;
	is_int(nsbox_template_expand("%h", &v, out, sizeof(out)), -EDOM, "NULL variable is empty");
	is_int(nsbox_template_expand("a%hb", &v, out, sizeof(out)), 0, "NULL variable inside");
	is_str(out, "ab", "NULL variable inside expands to nothing");
	v.host = "lab1";

	/* Any user name gives a host name: what a host name cannot hold becomes '-', and
	 * a name so changed gets a hash, so that names that map alike stay apart. */
	static const struct {
		const char *user, *mapped;
	} names[] = {
		{ "a_b", "a-b" },		   /* Debian allows '_' */
		{ "x@ad.example", "x-ad-example" }, /* SSSD fully qualified */
		{ "m$", "m" },			   /* a machine account */
		{ "DOMAIN\\user", "DOMAIN-user" },  /* winbind */
		{ "john.doe", "john-doe" },	   /* one label, not a domain */
		{ "-x", "x" },
		{ "x\nroot", "x-root" },
		{ "jos\xc3\xa9", "jos" },
		{ "a  b", "a-b" },
		{ "$$", "" },
		{ "a-_-b", "a-b" },
	};
	char first[sizeof(names) / sizeof(names[0])][NSBOX_HOSTNAME_MAX + 1];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char want[80], q[40];
		size_t n = strlen(names[i].mapped);

		v.user = names[i].user;
		snprintf(q, sizeof(q), "%s", names[i].user);
		for (char *c = q; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x80)
				*c = '?';
		is_int(nsbox_template_expand("%u-box", &v, out, sizeof(out)), 0, "user '%s': a host name", q);
		ok(nsbox_hostname_valid(out), "user '%s': '%s' is valid", q, out);
		snprintf(want, sizeof(want), "%s%s", names[i].mapped, n ? "-" : "");
		ok(strncmp(out, want, strlen(want)) == 0 && strlen(out) == strlen(want) + 6 + 4 &&
			   strspn(out + strlen(want), "0123456789abcdef") == 6 &&
			   strcmp(out + strlen(want) + 6, "-box") == 0,
		   "user '%s': '%s' is '%s' and six hex digits of a hash, then -box", q, out, want);
		snprintf(first[i], sizeof(first[i]), "%s", out);
		nsbox_template_expand("%u-box", &v, out, sizeof(out));
		is_str(out, first[i], "user '%s': the same name every time", q);
	}
	size_t clash = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (size_t j = i + 1; j < sizeof(names) / sizeof(names[0]); j++)
			clash += !strcmp(first[i], first[j]);
	is_int(clash, 0, "eleven such users: eleven host names");
	const char *alike[] = { "a_b", "a.b", "a@b", "a-b" };
	char got[4][NSBOX_HOSTNAME_MAX + 1];
	for (size_t i = 0; i < 4; i++) {
		v.user = alike[i];
		nsbox_template_expand("%u-box", &v, got[i], sizeof(got[i]));
	}
	ok(strcmp(got[0], got[1]) && strcmp(got[0], got[2]) && strcmp(got[1], got[2]) &&
		   strcmp(got[0], got[3]),
	   "a_b, a.b, a@b, a-b: four host names (%s %s %s %s)", got[0], got[1], got[2], got[3]);
	is_str(got[3], "a-b-box", "a valid name is kept as it is, no hash");

	/* %h keeps its dots; an odd host name is mapped the same way, label by label */
	v.user = "alice";
	v.host = "lab1.example.org";
	is_int(nsbox_template_expand("%u.%h", &v, out, sizeof(out)), 0, "a dotted host name");
	is_str(out, "alice.lab1.example.org", "kept as it is");
	v.host = ".my_host..example.-org.";
	is_int(nsbox_template_expand("%u.%h", &v, out, sizeof(out)), 0, "an odd host name");
	ok(nsbox_hostname_valid(out) && !strncmp(out, "alice.my-host.example.org-", 26),
	   "its labels mapped, then the hash ('%s')", out);
	v.host = "lab1";

	/* Too long: the longest value is cut and hashed to fit; the template's own text is kept. */
	char u255[256], u255b[256], keep[NSBOX_HOSTNAME_MAX + 1];
	memset(u255, 'a', 255);
	u255[255] = 0;
	memcpy(u255b, u255, sizeof(u255b));
	u255b[254] = 'b';
	v.user = u255;
	is_int(nsbox_template_expand("%u-box", &v, out, sizeof(out)), 0, "a 255-byte user name");
	ok(strlen(out) == 63 && nsbox_hostname_valid(out) && !strcmp(out + strlen(out) - 4, "-box"),
	   "cut to one label of 63 bytes, the template's -box kept ('%s')", out);
	snprintf(keep, sizeof(keep), "%s", out);
	v.user = u255b;
	nsbox_template_expand("%u-box", &v, out, sizeof(out));
	ok(strcmp(out, keep) != 0, "two long names that differ at their end: two host names");
	v.user = u255;
	is_int(nsbox_template_expand("%u.%h", &v, out, sizeof(out)), 0, "a long user in a dotted name");
	ok(nsbox_hostname_valid(out) && strchr(out, '.') - out <= 63 && !strcmp(strchr(out, '.'), ".lab1"),
	   "its label cut to 63 at most ('%s')", out);
	is_int(nsbox_template_expand("%u-%s-%h", &v, out, sizeof(out)), 0, "three values, one long");
	ok(strlen(out) <= NSBOX_HOSTNAME_MAX && !strcmp(out + strlen(out) - 10, "-sshd-lab1"),
	   "only the long one is cut ('%s')", out);
	char lit[80];
	memset(lit, 'x', 57);
	strcpy(lit + 57, "%u");
	is_int(nsbox_template_expand(lit, &v, out, sizeof(out)), 0, "57 bytes of template and a long user");
	is_int(strlen(out), 63, "the user's part cut to its hash");
	memset(lit, 'x', 58);
	strcpy(lit + 58, "%u");
	is_int(nsbox_template_expand(lit, &v, out, sizeof(out)), -ENAMETOOLONG,
	       "58 bytes of template leave no room for a hash in a 63-byte label");
	v.user = "alice";
	is_int(nsbox_template_expand(lit, &v, out, sizeof(out)), 0, "(a short user still fits)");
	/* a template longer than the hostname key takes: refused, never copied (the fuzzer found
	 * a 4-kB input overflow the expansion's buffer) */
	char huge[4 * NSBOX_TEMPLATE_MAX];
	memset(huge, 'a', sizeof(huge) - 3);
	strcpy(huge + sizeof(huge) - 3, "%u");
	is_int(nsbox_template_expand(huge, &v, out, sizeof(out)), -ENAMETOOLONG,
	       "a template of %zu bytes: -ENAMETOOLONG", strlen(huge));
	memset(huge, 'a', NSBOX_TEMPLATE_MAX - 3);
	strcpy(huge + NSBOX_TEMPLATE_MAX - 3, "%z");
	is_int(nsbox_template_expand(huge, &v, out, sizeof(out)), -EINVAL,
	       "the longest template the key takes (%d bytes) is read to its end, not refused for "
	       "its size", NSBOX_TEMPLATE_MAX - 1);
}

struct name_case {
	const char *name;
	bool host, ifname;
};

static void
test_names(void)
{
	char n32[33], n33[34], n63[64], n64[65], n255[256];
	struct name_case cases[] = {
		{ "alice", true, true },
		{ "Alice", true, true },
		{ "a", true, true },
		{ "0day", true, true },
		{ "1", true, true },
		{ "alice-box", true, true },
		{ "alice.box", true, true },
		{ "a.b.c", true, true },
		{ "", false, false },
		{ ".", false, false },
		{ "..", false, false },
		{ "-alice", false, true },
		{ "alice-", false, true },
		{ "alice.-x", false, true },
		{ "alice-.x", false, true },
		{ ".alice", false, true },
		{ "alice.", false, true },
		{ "a..b", false, true },
		{ "john_doe", false, true },
		{ "john doe", false, false },
		{ "john\tdoe", false, false },
		{ "john\n", false, false },
		{ "a/b", false, false },
		{ "a:b", false, false },
		{ "user@example.com", false, false },
		{ "user@example", false, true },
		{ "DOMAIN\\user", false, true },
		{ "j\xc3\xb6rg", false, false },
		{ "$(reboot)", false, true },
		{ "a;b", false, true },
		{ "eth%d", false, false },
		{ "abcdefghijklmno", true, true },
		{ "abcdefghijklmnop", true, false },
		{ n32, true, false },
		{ n33, true, false },
		{ n63, true, false },
		{ n64, false, false },
		{ n255, false, false },
	};

	memset(n32, 'u', sizeof(n32));
	n32[32] = 0;
	memset(n33, 'u', sizeof(n33));
	n33[33] = 0;
	memset(n63, 'x', sizeof(n63));
	n63[63] = 0;
	memset(n64, 'x', sizeof(n64));
	n64[64] = 0;
	memset(n255, 'y', sizeof(n255));
	n255[255] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char q[64];

		snprintf(q, sizeof(q), "%.40s%s", cases[i].name, strlen(cases[i].name) > 40 ? "..." : "");
		for (char *x = q; *x; x++)
			if ((unsigned char)*x < 0x20)
				*x = '?';
		is_int(nsbox_hostname_valid(cases[i].name), cases[i].host, "hostname_valid('%s')", q);
		is_int(nsbox_ifname_valid(cases[i].name), cases[i].ifname, "ifname_valid('%s')", q);
	}
	{
		/* labels: 63 fine, 64 not, even inside the 64-byte total */
		char l[70];

		memset(l, 'a', sizeof(l));
		l[63] = 0;
		ok(nsbox_hostname_valid(l), "63-byte label");
		l[63] = 'a';
		l[64] = 0;
		ok(!nsbox_hostname_valid(l), "64-byte label");
		memset(l, 'a', sizeof(l));
		l[2] = '.';
		l[64] = 0;
		ok(nsbox_hostname_valid(l), "64 bytes with short labels");
	}
	ok(!nsbox_hostname_valid(NULL) && !nsbox_ifname_valid(NULL), "NULL names are invalid");
}

/* ---- addresses ---- */

static void
test_ip(void)
{
	struct nsbox_ip ip;
	struct nsbox_cidr net;
	char buf[INET6_ADDRSTRLEN];
	static const char *const good_ips[] = { "0.0.0.0",  "255.255.255.255", "10.0.0.1", "::",
						"::1",      "fd00::1",	       "::ffff:10.0.0.1",
						"FD00::A" };
	static const char *const bad_ips[] = { "",	   "10.0.0",	  "10.0.0.1.2", "10.0.0.256",
					       "010.0.0.1", "10.0.0.1 ", " 10.0.0.1", "1::2::3",
					       "fe80::1%eth0", "10.0.0.1/24", "g::1",
					       "0x0a.0.0.1", "1:2:3:4:5:6:7:8:9",
					       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };

	for (size_t i = 0; i < ARRAY_SIZE(good_ips); i++)
		ok(nsbox_ip_parse(good_ips[i], &ip) == 0, "ip_parse('%s')", good_ips[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad_ips); i++)
		is_int(nsbox_ip_parse(bad_ips[i], &ip), -EINVAL, "ip_parse('%s') fails", bad_ips[i]);
	is_int(nsbox_ip_parse(NULL, &ip), -EINVAL, "ip_parse(NULL)");

	nsbox_ip_parse("10.1.2.3", &ip);
	is_int(ip.family, AF_INET, "v4 family");
	is_int(nsbox_ip_format(&ip, buf, sizeof(buf)), 0, "format v4");
	is_str(buf, "10.1.2.3", "format v4 text");
	is_int(nsbox_ip_format(&ip, buf, 5), -ENOSPC, "format into a small buffer");
	is_str(buf, "", "small buffer left empty");
	nsbox_ip_parse("FD00:0:0::0A", &ip);
	is_int(ip.family, AF_INET6, "v6 family");
	nsbox_ip_format(&ip, buf, sizeof(buf));
	is_str(buf, "fd00::a", "format v6 canonical");
	memset(&ip, 0, sizeof(ip));
	is_int(nsbox_ip_format(&ip, buf, sizeof(buf)), -EAFNOSUPPORT, "format unset");

	nsbox_ip_parse("10.0.0.0", &net.ip);
	net.prefix = 8;
	nsbox_ip_parse("10.255.255.255", &ip);
	ok(nsbox_ip_in_cidr(&ip, &net), "10.255.255.255 in 10/8");
	nsbox_ip_parse("11.0.0.0", &ip);
	ok(!nsbox_ip_in_cidr(&ip, &net), "11.0.0.0 not in 10/8");
	nsbox_ip_parse("::ffff:10.0.0.1", &ip);
	ok(!nsbox_ip_in_cidr(&ip, &net), "mapped v6 is not in a v4 net");
	nsbox_ip_parse("10.0.0.7", &net.ip);
	net.prefix = 32;
	nsbox_ip_parse("10.0.0.7", &ip);
	ok(nsbox_ip_in_cidr(&ip, &net), "/32 contains itself");
	nsbox_ip_parse("10.0.0.6", &ip);
	ok(!nsbox_ip_in_cidr(&ip, &net), "/32 contains nothing else");
	net.prefix = 33;
	ok(!nsbox_ip_in_cidr(&ip, &net), "prefix 33 contains nothing");
	net.prefix = 0;
	ok(nsbox_ip_in_cidr(&ip, &net), "prefix 0 contains every v4 address");
	nsbox_ip_parse("128.0.0.0", &net.ip);
	net.prefix = 1;
	nsbox_ip_parse("200.1.1.1", &ip);
	ok(nsbox_ip_in_cidr(&ip, &net), "/1 upper half");
	nsbox_ip_parse("127.255.255.255", &ip);
	ok(!nsbox_ip_in_cidr(&ip, &net), "/1 lower half is outside");
	nsbox_ip_parse("fd00:1:2:3::", &net.ip);
	net.prefix = 61;
	nsbox_ip_parse("fd00:1:2:7:ffff::1", &ip);
	ok(nsbox_ip_in_cidr(&ip, &net), "v6 /61 inside (odd prefix)");
	nsbox_ip_parse("fd00:1:2:8::1", &ip);
	ok(!nsbox_ip_in_cidr(&ip, &net), "v6 /61 outside");
	net.prefix = 128;
	ok(!nsbox_ip_in_cidr(&ip, &net), "v6 /128 other");
	ok(!nsbox_ip_in_cidr(NULL, &net), "NULL ip");

	/* pool edge: /30 has two hosts */
	{
		struct nsbox_conf *c =
			parse("[defaults]\nnetwork = bridge\nbridge = b\naddress = pool 192.168.1.4/30\n"
			      "address6 = pool fd00::/126\n",
			      NULL);
		struct nsbox_settings s;

		ok(c != NULL, "/30 and /126 pools (%s)", last_err);
		resolve(c, "u", "s", NULL, &s);
		is_str(ipstr(&s.address.first), "192.168.1.5", "/30 pool first");
		is_str(ipstr(&s.address.last), "192.168.1.6", "/30 pool last");
		is_str(ipstr(&s.address6.first), "fd00::1", "/126 pool first");
		is_str(ipstr(&s.address6.last), "fd00::3", "/126 pool last");
		nsbox_conf_free(c);
	}
}

/* ---- print round trip ---- */

static void
round_trip(const char *conf, const char *user, const char *service, const char *groups,
	   const char *what)
{
	struct nsbox_conf *c = parse(conf, NULL), *c2 = NULL;
	struct nsbox_settings s, s2;
	_cleanup_free_ char *p1 = NULL, *p2 = NULL, *text = NULL;

	if (!ok(c != NULL, "round trip %s: parses (%s)", what, last_err))
		return;
	resolve(c, user, service, groups, &s);
	nsbox_conf_free(c);
	p1 = print_settings(&s);
	if (!p1)
		return;
	drop_matched(p1);
	if (asprintf(&text, "[defaults]\n%s", p1) < 0)
		return;
	c2 = parse(text, NULL);
	if (!ok(c2 != NULL, "round trip %s: printed settings parse (%s)", what, last_err)) {
		printf("# %s", text);
		return;
	}
	resolve(c2, "nobody-else", "x", NULL, &s2);
	nsbox_conf_free(c2);
	p2 = print_settings(&s2);
	if (p2)
		drop_matched(p2);
	is_str(p2, p1, "round trip %s: same settings", what);
	ok(s.exempt == s2.exempt && s.namespaces == s2.namespaces &&
		   !strcmp(s.hostname, s2.hostname) && s.network == s2.network &&
		   s.address.mode == s2.address.mode && s.n_dns == s2.n_dns && s.mtu == s2.mtu &&
		   s.mac_auto == s2.mac_auto && !memcmp(s.mac, s2.mac, 6),
	   "round trip %s: same fields", what);
}

static void
test_print(void)
{
	struct nsbox_settings s;
	_cleanup_free_ char *p = NULL;

	nsbox_conf_resolve(NULL, NULL, &s);
	p = print_settings(&s);
	is_str(p,
	       "exempt = no\n"
	       "namespaces = pid mount ipc uts net\n"
	       "hostname = %u-box\n"
	       "on_error = deny\n"
	       "network = none\n"
	       "# bridge (not set)\n"
	       "ifname = eth0\n"
	       "mac = auto\n"
	       "mtu = auto\n"
	       "# address (not set)\n"
	       "# gateway (not set)\n"
	       "# address6 (not set)\n"
	       "# gateway6 (not set)\n"
	       "# dns (not set)\n"
	       "# search (not set)\n"
	       "sticky = no\n"
	       "neighbours = allow\n"
	       "dhcp_client = /sbin/dhclient\n"
	       "dhcp_timeout = 5\n"
	       "dhcp_user = _nsbox-dhcp\n"
	       "profile = none\n"
	       "no_new_privs = no\n"
	       "caps = keep ALL\n"
	       "seccomp = off\n"
	       "tmp = shared\n"
	       "tmp_size = 256m\n"
	       "runtime_dir = shared\n"
	       "run_writable = shared\n"
	       "# hide (not set)\n"
	       "# readonly (not set)\n"
	       "shm_size = 64m\n"
	       "# proc (not set)\n"
	       "share = none\n"
	       "max_boxes = none\n"
	       "max_sessions = none\n"
	       "memory_max = none\n"
	       "tasks_max = none\n"
	       "cpu_quota = none\n"
	       "pool_share = none\n"
	       "# egress (not set)\n"
	       "egress_log = no\n"
	       "# matched defaults\n",
	       "print of the built-in settings");

	round_trip("", "u", "s", NULL, "built-in");
	round_trip(design, "alice", "sshd", "alice", "static address");
	round_trip(design, "carol", "sshd", "students", "implicit pool");
	round_trip(design, "bob", "sshd", "wheel", "exempt");
	round_trip("[defaults]\nnetwork = bridge\nbridge = br0\nifname = box0\n"
		   "mac = 02:00:00:AB:cd:01\nmtu = 9000\n"
		   "address = pool 10.1.0.0/24 10.1.0.100-10.1.0.199\ngateway = 10.1.0.1\n"
		   "address6 = pool fd00:1::/64 fd00:1::1:0-fd00:1::1:ffff\ngateway6 = fe80::1\n"
		   "dns = 10.1.0.1 fd00:1::1 9.9.9.9\nsearch = a.example b.example c d e f\n"
		   "sticky = yes\ndhcp_client = /usr/sbin/dhclient\ndhcp_timeout = 30\n"
		   "hostname = keep\nnamespaces = mount net\non_error = allow\nexempt = no\n",
		   "u", "s", NULL, "every key");
	round_trip("[defaults]\nnetwork = bridge\nbridge = br0 br1 br2\naddress = pool 10.0.0.0/16\n",
		   "u", "s", NULL, "three bridges");
	round_trip("[defaults]\nnetwork = bridge\nbridge = br0\naddress = dhcp\n"
		   "address6 = fd00::5/64\ngateway6 = fd00::1\n",
		   "u", "s", NULL, "dhcp and static v6");
	round_trip("[defaults]\nnetwork = bridge\nbridge = br0\naddress = 10.0.0.5/24\n"
		   "[match user=g*]\nnetwork = none\nmtu = 1280\n",
		   "guest", "s", NULL, "network turned off in a match");
}

/* ---- loading from files ---- */

static char tmpdir[PATH_MAX];

static char *
tpath(const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", tmpdir, name) < 0)
		abort();
	return p;
}

static void
write_file(const char *name, const char *text, mode_t mode)
{
	_cleanup_free_ char *p = tpath(name);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) < 0)
		abort();
}

static int
load(const char *name, uid_t uid, struct nsbox_conf **c, char *msg, size_t n)
{
	_cleanup_free_ char *p = tpath(name);
	struct nsbox_conf_err err;
	int r = nsbox_conf_load(p, uid, c, &err);

	msg[0] = 0;
	if (r < 0) {
		char full[1024];

		nsbox_conf_err_format(&err, full, sizeof(full));
		/* report relative to the temporary directory */
		if (!strncmp(full, tmpdir, strlen(tmpdir)))
			snprintf(msg, n, "%s", full + strlen(tmpdir) + 1);
		else
			snprintf(msg, n, "%s", full);
	}
	return r;
}

static void
load_bad(const char *name, uid_t uid, int want_r, const char *want, const char *what)
{
	struct nsbox_conf *c = NULL;
	char msg[1024];
	int r = load(name, uid, &c, msg, sizeof(msg));

	ok(r == want_r && !c, "load %s: refused with %d (got %d)", what, want_r, r);
	is_str(msg, want, "load %s: message", what);
	nsbox_conf_free(c);
}

static void
test_load(void)
{
	uid_t me = geteuid();
	struct nsbox_conf *c = NULL;
	struct nsbox_settings s;
	char msg[1024], buf[PATH_MAX + 256];
	_cleanup_free_ char *p = NULL, *sub = NULL, *inc = NULL, *big = NULL;

	/* Next to this binary: every directory on a config's path must be root's and writable by
	 * nobody else (a sticky one only towards root's entries), which a private /tmp dir may not be. */
	ssize_t el = readlink("/proc/self/exe", tmpdir, sizeof(tmpdir) - 32);
	if (el <= 0 || !memchr(tmpdir, '/', (size_t)el)) {
		ok(0, "readlink /proc/self/exe");
		return;
	}
	tmpdir[el] = 0;
	strcpy(strrchr(tmpdir, '/'), "/conf-test-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	chmod(tmpdir, 0755);

	write_file("good.conf", "[defaults]\nhostname = g\n", 0644);
	ok(load("good.conf", me, &c, msg, sizeof(msg)) == 0 && c, "load a good file (%s)", msg);
	nsbox_conf_free(c);
	c = NULL;
	write_file("ro.conf", "[defaults]\n", 0400);
	ok(load("ro.conf", me, &c, msg, sizeof(msg)) == 0, "load a 0400 file (%s)", msg);
	nsbox_conf_free(c);
	c = NULL;

	load_bad("missing.conf", me, -ENOENT, "missing.conf: cannot open: No such file or directory",
		 "missing file");
	load_bad("nodir/x.conf", me, -ENOENT, "nodir/x.conf: cannot open: No such file or directory",
		 "missing directory");

	p = tpath("link.conf");
	if (symlink("good.conf", p) == 0)
		load_bad("link.conf", me, -ELOOP, "link.conf: is a symlink", "symlink");
	free(p);
	p = tpath("fifo.conf");
	if (mkfifo(p, 0644) == 0)
		load_bad("fifo.conf", me, -EINVAL, "fifo.conf: not a regular file", "FIFO (no hang)");
	free(p);
	p = tpath("dir.conf");
	if (mkdir(p, 0755) == 0)
		load_bad("dir.conf", me, -EINVAL, "dir.conf: not a regular file", "directory");
	free(p);
	p = NULL;

	write_file("gw.conf", "[defaults]\n", 0664);
	load_bad("gw.conf", me, -EPERM, "gw.conf: writable by group or others", "group-writable");
	write_file("ow.conf", "[defaults]\n", 0646);
	load_bad("ow.conf", me, -EPERM, "ow.conf: writable by group or others", "other-writable");
	if (me != 0) {
		load_bad("good.conf", 0, -EPERM, "good.conf: not owned by root", "not owned by root");
	} else {
		_cleanup_free_ char *q = tpath("other.conf");

		write_file("other.conf", "[defaults]\n", 0644);
		if (chown(q, 1, 1) == 0)
			load_bad("other.conf", 0, -EPERM, "other.conf: not owned by root",
				 "not owned by root");
	}
	snprintf(buf, sizeof(buf), "good.conf: not owned by uid %u", (unsigned)me + 1);
	load_bad("good.conf", me + 1, -EPERM, buf, "owned by another uid");

	sub = tpath("open");
	mkdir(sub, 0755);
	chmod(sub, 0777);
	write_file("open/x.conf", "[defaults]\n", 0644);
	snprintf(buf, sizeof(buf), "open/x.conf: directory '%s/open' is writable by group or others",
		 tmpdir);
	load_bad("open/x.conf", me, -EPERM, buf, "writable parent directory");
	chmod(sub, 0775);
	load_bad("open/x.conf", me, -EPERM, buf, "group-writable parent directory");
	chmod(sub, 0755);
	ok(load("open/x.conf", me, &c, msg, sizeof(msg)) == 0, "parent fixed: loads (%s)", msg);
	nsbox_conf_free(c);
	c = NULL;

	/* every directory on the path, not only the parent */
	{
		_cleanup_free_ char *a = tpath("anc"), *ab = tpath("anc/b"), *lk = tpath("lk"),
				    *lk2 = tpath("lk2");

		mkdir(a, 0755);
		mkdir(ab, 0755);
		write_file("anc/b/x.conf", "[defaults]\n", 0644);
		ok(load("anc/b/x.conf", me, &c, msg, sizeof(msg)) == 0, "ancestor: loads (%s)", msg);
		nsbox_conf_free(c);
		c = NULL;
		chmod(a, 0775);
		snprintf(buf, sizeof(buf),
			 "anc/b/x.conf: directory '%s/anc' is writable by group or others", tmpdir);
		load_bad("anc/b/x.conf", me, -EPERM, buf, "group-writable grandparent");
		chmod(a, 0757);
		load_bad("anc/b/x.conf", me, -EPERM, buf, "other-writable grandparent");
		chmod(a, 0755);
		if (me == 0 && chown(a, 1, 1) == 0) {
			snprintf(buf, sizeof(buf),
				 "anc/b/x.conf: directory '%s/anc' is not owned by root", tmpdir);
			load_bad("anc/b/x.conf", 0, -EPERM, buf, "grandparent owned by another user");
			if (chown(a, 0, 0) < 0)
				abort();
		}
		/* a symlinked directory is followed, and its target checked the same way */
		if (symlink("anc/b", lk) == 0) {
			ok(load("lk/x.conf", me, &c, msg, sizeof(msg)) == 0,
			   "symlinked directory to a trusted one: loads (%s)", msg);
			nsbox_conf_free(c);
			c = NULL;
			chmod(a, 0775);
			snprintf(buf, sizeof(buf),
				 "lk/x.conf: directory '%s/anc' is writable by group or others",
				 tmpdir);
			load_bad("lk/x.conf", me, -EPERM, buf, "symlink into a writable directory");
			chmod(a, 0755);
		}
		if (symlink(a, lk2) == 0) {
			ok(load("lk2/b/x.conf", me, &c, msg, sizeof(msg)) == 0,
			   "absolute symlink on the way: loads (%s)", msg);
			nsbox_conf_free(c);
			c = NULL;
		}
		ok(load("anc/b/../b/./x.conf", me, &c, msg, sizeof(msg)) == 0,
		   "'..' and '.' on the way: loads (%s)", msg);
		nsbox_conf_free(c);
		c = NULL;
	}

	/* too large */
	big = malloc(NSBOX_CONF_MAX_FILE + 2);
	if (big) {
		memset(big, '#', NSBOX_CONF_MAX_FILE + 1);
		for (size_t i = 100; i < NSBOX_CONF_MAX_FILE + 1; i += 100)
			big[i] = '\n';
		big[NSBOX_CONF_MAX_FILE + 1] = 0;
		write_file("big.conf", big, 0644);
		load_bad("big.conf", me, -EFBIG, "big.conf: file too large (max 1048576 bytes)",
			 "too large");
		big[NSBOX_CONF_MAX_FILE] = 0;
		write_file("big.conf", big, 0644);
		ok(load("big.conf", me, &c, msg, sizeof(msg)) == 0,
		   "exactly NSBOX_CONF_MAX_FILE bytes loads (%s)", msg);
		nsbox_conf_free(c);
		c = NULL;
	}

	/* include: sorted, in place, section continues after it */
	inc = tpath("inc.d");
	mkdir(inc, 0755);
	write_file("inc.d/b.conf", "[match user=x]\nhostname = from-b\n", 0644);
	write_file("inc.d/a.conf", "[match user=x]\nhostname = from-a\n[match user=y]\nhostname = y\n",
		   0644);
	write_file("inc.d/c.txt", "garbage\n", 0644);
	snprintf(buf, sizeof(buf),
		 "[defaults]\nhostname = main\ninclude = %s/inc.d/*.conf   # drop-ins\n"
		 "on_error = allow\n[match user=x]\nhostname = late\n",
		 tmpdir);
	write_file("main.conf", buf, 0644);
	ok(load("main.conf", me, &c, msg, sizeof(msg)) == 0 && c, "include a glob (%s)", msg);
	is_int(nsbox_conf_n_sections(c), 5, "include: all sections read");
	resolve(c, "x", "s", NULL, &s);
	is_str(s.hostname, "from-a", "include: files read in sorted order");
	ok(strstr(s.matched, "inc.d/a.conf:1") != NULL, "include: matched names the file (%s)",
	   s.matched);
	is_int(s.on_error, NSBOX_ON_ERROR_ALLOW, "include: section continues after include");
	resolve(c, "z", "s", NULL, &s);
	is_str(s.hostname, "main", "include: defaults");
	nsbox_conf_free(c);
	c = NULL;

	snprintf(buf, sizeof(buf), "[defaults]\ninclude = %s/nothing.d/*.conf\n", tmpdir);
	write_file("nomatch.conf", buf, 0644);
	ok(load("nomatch.conf", me, &c, msg, sizeof(msg)) == 0, "include without a match (%s)",
	   msg);
	nsbox_conf_free(c);
	c = NULL;

	write_file("inc.d/d.conf", "hostname = x\n", 0644);
	load_bad("main.conf", me, -EINVAL, "inc.d/d.conf:1: key outside a section",
		 "included file must open its own section");
	write_file("inc.d/d.conf", "[defaults]\n", 0664);
	load_bad("main.conf", me, -EPERM, "inc.d/d.conf: writable by group or others",
		 "included file is checked too");
	p = tpath("inc.d/d.conf");
	unlink(p);
	free(p);
	p = NULL;

	snprintf(buf, sizeof(buf), "[defaults]\ninclude = %s/self.conf\n", tmpdir);
	write_file("self.conf", buf, 0644);
	load_bad("self.conf", me, -ELOOP, "self.conf:2: includes nested too deeply (max 4)",
		 "a file including itself");
	snprintf(buf, sizeof(buf), "include = %s/ping.conf\n", tmpdir);
	write_file("pong.conf", buf, 0644);
	snprintf(buf, sizeof(buf), "include = %s/pong.conf\n", tmpdir);
	write_file("ping.conf", buf, 0644);
	load_bad("ping.conf", me, -ELOOP, "ping.conf:1: includes nested too deeply (max 4)",
		 "two files including each other");

	/* depth 4 is allowed */
	for (int i = 0; i < 5; i++) {
		char name[32];

		snprintf(name, sizeof(name), "d%d.conf", i);
		if (i < 4)
			snprintf(buf, sizeof(buf), "include = %s/d%d.conf\n", tmpdir, i + 1);
		else
			snprintf(buf, sizeof(buf), "[defaults]\nhostname = deep\n");
		write_file(name, buf, 0644);
	}
	ok(load("d0.conf", me, &c, msg, sizeof(msg)) == 0, "include depth 4 (%s)", msg);
	nsbox_conf_free(c);
	c = NULL;

	/* too many files: a glob with more than the limit */
	{
		_cleanup_free_ char *many = tpath("many.d");

		mkdir(many, 0755);
		for (int i = 0; i < NSBOX_CONF_MAX_FILES; i++) {
			char name[64];

			snprintf(name, sizeof(name), "many.d/%03d.conf", i);
			write_file(name, "[defaults]\n", 0644);
		}
		snprintf(buf, sizeof(buf), "include = %s/many.d/*.conf\n", tmpdir);
		write_file("many.conf", buf, 0644);
		load_bad("many.conf", me, -E2BIG, "many.conf:1: too many included files (max 256)",
			 "more than NSBOX_CONF_MAX_FILES files");
		p = tpath("many.d/255.conf");
		unlink(p);
		free(p);
		p = NULL;
		ok(load("many.conf", me, &c, msg, sizeof(msg)) == 0 && nsbox_conf_n_sections(c) == 255,
		   "exactly NSBOX_CONF_MAX_FILES files (%s)", msg);
		nsbox_conf_free(c);
		c = NULL;
	}

	/* cross-section errors name the included file */
	write_file("inc.d/e.conf", "[match user=q]\nnetwork = bridge\n", 0644);
	load_bad("main.conf", me, -EINVAL, "inc.d/e.conf:2: network = bridge needs 'bridge'",
		 "cross check inside an included file");

	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		ok(system(cmd) == 0, "cleanup");
	}
}

static void
test_err_format(void)
{
	struct nsbox_conf_err e = { .file = "/etc/x\n.conf", .line = 3, .msg = "bad" };
	char out[300], tiny[6];

	nsbox_conf_err_format(&e, out, sizeof(out));
	is_str(out, "/etc/x\\x0a.conf:3: bad", "err_format escapes the file name");
	e.line = 0;
	nsbox_conf_err_format(&e, out, sizeof(out));
	is_str(out, "/etc/x\\x0a.conf: bad", "err_format without a line");
	nsbox_conf_err_format(&e, tiny, sizeof(tiny));
	is_str(tiny, "/etc/", "err_format truncates");
}

/* The hardening keys and profiles (issue: restricted boxes). */
static void
test_hardening(void)
{
	struct nsbox_settings s;
	struct nsbox_conf *c;
	char *out;

	/* values */
	good("[defaults]\ncaps = drop ALL\n", "caps = drop ALL");
	good("[defaults]\ncaps = keep cap_net_bind_service\n", "caps with the cap_ prefix");
	good("[defaults]\ncaps = drop NET_RAW sys_admin\n", "caps in capitals");
	bad("[defaults]\ncaps = drop nonesuch\n",
	    "t:2: bad value 'nonesuch' for 'caps' (want keep ALL, drop ALL, drop NAME... or keep NAME...)",
	    "unknown capability");
	bad("[defaults]\ncaps = remove ALL\n",
	    "t:2: bad value 'remove ALL' for 'caps' (want keep ALL, drop ALL, drop NAME... or keep NAME...)",
	    "caps without keep or drop");
	bad("[defaults]\ncaps = drop\n",
	    "t:2: bad value 'drop' for 'caps' (want keep ALL, drop ALL, drop NAME... or keep NAME...)",
	    "caps with no names");
	bad("[defaults]\nseccomp = strict\n",
	    "t:2: bad value 'strict' for 'seccomp' (want default or off)", "seccomp value");
	bad("[defaults]\ntmp = yes\n", "t:2: bad value 'yes' for 'tmp' (want shared or private)",
	    "tmp value");
	bad("[defaults]\nneighbours = no\n",
	    "t:2: bad value 'no' for 'neighbours' (want allow or deny)", "neighbours value");
	c = parse("[defaults]\nprofile = restricted\n[match user=talk]\nneighbours = allow\n"
		  "[match user=lab]\nprofile = lab\nneighbours = deny\n", NULL);
	resolve(c, "talk", "s", NULL, &s);
	ok(!s.isolated && s.seccomp, "neighbours = allow in a later section, the rest of restricted kept");
	resolve(c, "lab", "s", NULL, &s);
	ok(s.isolated && !s.seccomp, "neighbours = deny over lab in the same section");
	nsbox_conf_free(c);
	bad("[defaults]\nprofile = paranoid\n",
	    "t:2: bad value 'paranoid' for 'profile' (want restricted, lab or none)", "profile value");
	good("[defaults]\nshm_size = 1m\ntmp_size = 1024g\n", "sizes at both ends");
	bad("[defaults]\nshm_size = 512k\n",
	    "t:2: bad value '512k' for 'shm_size' (want a size from 1m to 1024g)", "size too small");
	bad("[defaults]\ntmp_size = 1025g\n",
	    "t:2: bad value '1025g' for 'tmp_size' (want a size from 1m to 1024g)", "size too large");
	bad("[defaults]\ntmp_size = 12x\n",
	    "t:2: bad value '12x' for 'tmp_size' (want a size from 1m to 1024g)", "size suffix");
	good("[defaults]\nhide = /run/dbus /srv/secret\nreadonly = /etc /usr/local\n", "paths");
	static const char *const bad_paths[] = { "run/dbus", "/", "/a/../b", "/a/./b", "/a//b",
						 "/a/", "/a/..", NULL };
	for (size_t i = 0; bad_paths[i]; i++) {
		char text[128], want[160];
		snprintf(text, sizeof(text), "[defaults]\nhide = %s\n", bad_paths[i]);
		snprintf(want, sizeof(want),
			 "t:2: bad value '%s' for 'hide' (want 1-16 absolute paths)", bad_paths[i]);
		bad(text, want, bad_paths[i]);
	}
	bad("[defaults]\nreadonly = /1 /2 /3 /4 /5 /6 /7 /8 /9 /10 /11 /12 /13 /14 /15 /16 /17\n",
	    "t:2: too many values for 'readonly' (max 16)", "17 read-only paths");
	good("[defaults]\nproc = hidepid=invisible,subset=pid\n", "proc options");
	bad("[defaults]\nproc = hidepid=2,hidepid=1\n",
	    "t:2: bad value 'hidepid=2,hidepid=1' for 'proc' (want hidepid=0|1|2|noaccess|invisible|ptraceable and subset=pid, comma-separated)",
	    "proc option twice");
	bad("[defaults]\nproc = gid=5\n",
	    "t:2: bad value 'gid=5' for 'proc' (want hidepid=0|1|2|noaccess|invisible|ptraceable and subset=pid, comma-separated)",
	    "proc option not allowed");
	bad("[defaults]\nproc = hidepid=2,\n",
	    "t:2: bad value 'hidepid=2,' for 'proc' (want hidepid=0|1|2|noaccess|invisible|ptraceable and subset=pid, comma-separated)",
	    "proc trailing comma");
	bad("[defaults]\nnamespaces = mount net\nproc = hidepid=2\n",
	    "t:3: proc needs the pid namespace (the box mounts no /proc without it)",
	    "proc without pid namespace");

	/* what each spelling stores */
	c = parse("[defaults]\ncaps = drop net_raw sys_admin\n[match user=k]\ncaps = keep "
		  "net_bind_service\n[match user=a]\ncaps = drop ALL\n", NULL);
	resolve(c, "u", "s", NULL, &s);
	ok(s.caps_keep == ~((1ull << 13) | (1ull << 21)), "drop NAMES clears just those bits");
	resolve(c, "k", "s", NULL, &s);
	ok(s.caps_keep == 1ull << 10, "keep NAME keeps just that bit");
	resolve(c, "a", "s", NULL, &s);
	ok(s.caps_keep == 0, "drop ALL keeps none");
	nsbox_conf_free(c);
	c = parse("[defaults]\nshm_size = 1048576\ntmp_size = 2g\n", NULL);
	resolve(c, "u", "s", NULL, &s);
	ok(s.shm_size == 1u << 20 && s.tmp_size == 2ull << 30, "sizes in bytes");
	nsbox_conf_free(c);

	/* profiles */
	c = parse("[defaults]\nprofile = restricted\n"
		  "[match user=tmpuser]\ntmp = shared\nprofile = restricted\n"
		  "[match user=labuser]\nprofile = lab\n"
		  "[match user=capuser]\ncaps = keep net_bind_service\n"
		  "[match user=plain]\nprofile = none\n", NULL);
	ok(c != NULL, "profile config parses (%s)", last_err);
	resolve(c, "u", "s", NULL, &s);
	ok(s.profile == NSBOX_PROFILE_RESTRICTED && s.no_new_privs && s.caps_keep == 0 &&
		   s.seccomp && s.tmp_private && s.runtime_private,
	   "restricted: no_new_privs, no capabilities, seccomp, private /tmp and runtime dir");
	ok(s.hide.n == 3 && !strcmp(s.hide.p[0], "/run/dbus") &&
		   !strcmp(s.hide.p[1], "/run/systemd/private") && !strcmp(s.hide.p[2], "/run/screen"),
	   "restricted hides /run/dbus, /run/systemd/private, /run/screen");
	ok(s.readonly.n == 1 && !strcmp(s.readonly.p[0], "/proc/sys"),
	   "restricted makes /proc/sys read-only");
	ok(s.isolated, "restricted: neighbours = deny (an isolated bridge port)");
	ok(s.run_private, "restricted: run_writable = private");
	resolve(c, "tmpuser", "s", NULL, &s);
	ok(!s.tmp_private && s.no_new_privs && s.seccomp,
	   "an explicit key wins over the same section's profile, whatever the order");
	resolve(c, "labuser", "s", NULL, &s);
	ok(s.profile == NSBOX_PROFILE_LAB && s.tmp_private && !s.no_new_privs &&
		   s.caps_keep == ~0ull && !s.seccomp && !s.runtime_private && !s.hide.n &&
		   !s.readonly.n && !s.isolated && !s.run_private,
	   "a later section's profile replaces the earlier one whole (lab: only private /tmp)");
	resolve(c, "capuser", "s", NULL, &s);
	ok(s.caps_keep == 1ull << 10 && s.no_new_privs && s.seccomp && s.tmp_private,
	   "a key in a later section changes just that key of the profile");
	resolve(c, "plain", "s", NULL, &s);
	ok(!s.no_new_privs && s.caps_keep == ~0ull && !s.seccomp && !s.tmp_private && !s.isolated,
	   "profile = none: the built-in values (neighbours = allow)");
	resolve(c, "capuser", "s", NULL, &s);
	out = print_settings(&s);
	ok(out && strstr(out, "profile = restricted\nno_new_privs = yes\ncaps = keep net_bind_service\n"
		  "seccomp = default\ntmp = private\ntmp_size = 256m\nruntime_dir = private\n"
		  "run_writable = private\n"
		  "hide = /run/dbus /run/systemd/private /run/screen\nreadonly = /proc/sys\n"),
	   "nsboxctl check prints the policy in force");
	free(out);
	nsbox_conf_free(c);
	int stray = 0;
	for (unsigned p = NSBOX_PROFILE_NONE; p <= NSBOX_PROFILE_LAB; p++)
		for (int k = 0; k < K_N; k++) {
			const char *v = NULL;
			if (profile_value(p, k, &v) == 0 && v && !(key_table[k].flags & KF_PROFILE))
				stray++;
		}
	is_int(stray, 0, "profiles set only keys that profile resets");
}

/* nsbox_conf_explain: one line per section, "LINE:held" per criterion, "*" when applied. */
static void
explain_line(const struct nsbox_section_result *r, void *arg)
{
	char *out = arg;
	size_t o = strlen(out);

	o += (size_t)snprintf(out + o, 512 - o, "%u%s%s", r->line, r->matches ? "+" : "-",
			      r->applied ? "*" : "");
	for (int k = 0; k < 3; k++)
		if (r->crit[k].held >= 0)
			o += (size_t)snprintf(out + o, 512 - o, " %s=%s:%d", r->crit[k].name,
					      r->crit[k].globs, r->crit[k].held);
	snprintf(out + o, 512 - o, "\n");
}

static void
test_explain(void)
{
	struct nsbox_conf *c = parse("[defaults]\nhostname = d\n"
				     "[match user=alice,bob service=sshd]\nhostname = a\n"
				     "[match group=ops]\nexempt = yes\n"
				     "[match user=a*]\nhostname = b\n",
				     NULL);
	const char *g[] = { "ops" };
	struct nsbox_login who = { .user = "alice", .service = "su", .groups = g, .n_groups = 1 };
	char out[512] = "";

	ok(c != NULL, "explain: config parses (%s)", last_err);
	nsbox_conf_explain(c, &who, explain_line, out);
	is_str(out,
	       "1+*\n3- user=alice,bob:1 service=sshd:0\n5+* group=ops:1\n7+ user=a*:1\n",
	       "explain: each section, each criterion, only the first match applied");
	out[0] = 0;
	who.n_groups = 0;
	who.service = "sshd";
	nsbox_conf_explain(c, &who, explain_line, out);
	is_str(out,
	       "1+*\n3+* user=alice,bob:1 service=sshd:1\n5- group=ops:0\n7+ user=a*:1\n",
	       "explain: a later match is reported but not applied");
	struct nsbox_settings s;
	nsbox_conf_resolve(c, &who, &s);
	is_str(s.matched, "t:3", "explain agrees with resolve");
	nsbox_conf_free(c);
}

/* nsbox_conf_uses_groups: the helper asks NSS for groups only when it says so. */
/* share and the limits are per section like any key: a section without them keeps the defaults' */
static void
test_share(void)
{
	struct nsbox_settings s;
	struct nsbox_conf *c = parse("[defaults]\nmax_boxes = 3\n"
				     "[match user=lab*]\nshare = user\nmax_sessions = 20\n"
				     "[match user=solo]\nmax_boxes = none\n", NULL);

	ok(c != NULL, "share config parses");
	resolve(c, "lab1", "sshd", NULL, &s);
	is_int(s.share, NSBOX_SHARE_USER, "share = user in the matching section");
	is_int(s.max_sessions, 20, "max_sessions from the section");
	is_int(s.max_boxes, 3, "max_boxes from [defaults]");
	resolve(c, "solo", "sshd", NULL, &s);
	is_int(s.share, NSBOX_SHARE_NONE, "another section keeps share = none");
	is_int(s.max_boxes, 0, "max_boxes = none lifts the limit");
	resolve(c, "other", "su", NULL, &s);
	is_int(s.max_boxes, 3, "defaults' max_boxes for everyone else");
	char *out = print_settings(&(struct nsbox_settings){ .share = NSBOX_SHARE_USER,
							      .max_sessions = 7 });
	ok(out && strstr(out, "\nshare = user\n") && strstr(out, "\nmax_boxes = none\n") &&
		   strstr(out, "\nmax_sessions = 7\n"),
	   "check --user prints share, max_boxes and max_sessions");
	free(out);
	nsbox_conf_free(c);
}

/* pool_share: the limit it gives a pool of a given size; the size of a pool */
static void
test_pool_share(void)
{
	struct nsbox_settings s;
	struct nsbox_conf *c = parse("[defaults]\nnetwork = bridge\nbridge = br0\n"
				     "address = pool 10.0.0.0/24\ngateway = 10.0.0.1\n"
				     "address6 = pool fd00::/64\ngateway6 = fd00::1\npool_share = 10%\n"
				     "[match user=n]\naddress = pool 10.1.0.0/24 10.1.0.100-10.1.0.103\n"
				     "gateway = 10.1.0.1\npool_share = 2\n", NULL);
	static const struct {
		unsigned share;
		bool pct;
		unsigned long long size, want;
	} t[] = {
		{ 0, false, 100, 0 },  { 2, false, 4, 2 },    { 2, false, 1, 2 },
		{ 50, true, 4, 2 },    { 10, true, 3, 1 },    { 10, true, 254, 25 },
		{ 100, true, 3, 3 },   { 1, true, 1, 1 },     { 100, true, ULLONG_MAX, ULLONG_MAX },
		{ 1, true, ULLONG_MAX, ULLONG_MAX / 100 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		s.pool_share = t[i].share;
		s.pool_share_pct = t[i].pct;
		ok(nsbox_pool_share_limit(&s, t[i].size) == t[i].want,
		   "pool_share = %u%s of a pool of %llu: %llu", t[i].share, t[i].pct ? "%" : "",
		   t[i].size, t[i].want);
	}
	ok(c != NULL, "pool_share config parses (%s)", last_err);
	resolve(c, "u", "sshd", NULL, &s);
	ok(s.pool_share == 10 && s.pool_share_pct, "pool_share = 10%% from [defaults]");
	ok(nsbox_pool_size(&s.address, &s.gateway) == 253,
	   "a /24 pool without a range: 254 hosts less its gateway");
	ok(nsbox_pool_size(&s.address, NULL) == 254, "and 254 without one");
	ok(nsbox_pool_size(&s.address6, &s.gateway6) == ULLONG_MAX - 1,
	   "a /64 pool: 2^64 - 1 hosts (no subnet-router anycast) less its gateway");
	resolve(c, "n", "sshd", NULL, &s);
	ok(s.pool_share == 2 && !s.pool_share_pct, "pool_share = 2 from the section");
	ok(nsbox_pool_size(&s.address, &s.gateway) == 4, "a range of 4 (the gateway outside it)");
	ok(nsbox_pool_size(&s.address6, NULL) == ULLONG_MAX, "size of a /64 pool without a gateway");
	nsbox_conf_free(c);
	s.address = (struct nsbox_addrspec){ .mode = NSBOX_ADDR_DHCP };
	ok(nsbox_pool_size(&s.address, NULL) == 0, "dhcp is no pool");
}

static void
test_uses_groups(void)
{
	static const struct {
		const char *text, *what;
		bool want;
	} t[] = {
		{ "", "an empty config", false },
		{ "[defaults]\nhostname = h\n", "defaults only", false },
		{ "[match user=alice]\nexempt = yes\n[match service=su]\nexempt = yes\n",
		  "user= and service= rules", false },
		{ "[match group=wheel]\nexempt = yes\n", "one group= rule", true },
		{ "[match user=a]\nexempt = yes\n[match user=b service=sshd group=staff,lab*]\n",
		  "a group= among other criteria, in a later section", true },
	};
	struct nsbox_conf *c;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c = parse(t[i].text, NULL);
		ok(c && nsbox_conf_uses_groups(c) == t[i].want, "uses groups: %s: %s", t[i].what,
		   t[i].want ? "yes" : "no");
		nsbox_conf_free(c);
	}
	c = parse(design, NULL);
	ok(c && nsbox_conf_uses_groups(c), "uses groups: the design example (group=wheel)");
	nsbox_conf_free(c);
	ok(!nsbox_conf_uses_groups(NULL), "uses groups: no config: no");
}

int
main(void)
{
	test_explain();
	test_builtin();
	test_resolution();
	test_syntax();
	test_values();
	test_cross();
	test_template();
	test_names();
	test_ip();
	test_print();
	test_load();
	test_err_format();
	test_hardening();
	test_uses_groups();
	test_share();
	test_pool_share();
	return tap_done();
}
