// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for the member list of a shared box (lib/member.c): a member line round-trips, odd
 * strings are made printable, malformed lines are refused. Runs unprivileged or as root. */

#include "../../lib/file.c"
#include "../../lib/member.c"
#include "../../lib/proc.c"
#include "../../lib/record.c"
#include "../../lib/boxns.c"

#include "tap.h"

int
main(void)
{
	struct box_member m = { .app = 4242, .started = 1764620000LL }, r;
	char line[1024];

	snprintf(m.service, sizeof(m.service), "sshd");
	snprintf(m.tty, sizeof(m.tty), "ssh");
	snprintf(m.rhost, sizeof(m.rhost), "host with spaces.example");
	is_int(box_member_format(&m, line, sizeof(line)), 0, "a member formats");
	is_str(line, "4242\t1764620000\tsshd\tssh\thost with spaces.example", "tab-separated fields");
	is_int(box_member_parse(line, &r), 0, "and parses back");
	ok(r.app == 4242 && r.started == 1764620000LL && !strcmp(r.service, "sshd") &&
		   !strcmp(r.tty, "ssh") && !strcmp(r.rhost, m.rhost),
	   "every field round-trips");

	m.tty[0] = 0;
	snprintf(m.rhost, sizeof(m.rhost), "evil\tfield\nline");
	is_int(box_member_format(&m, line, sizeof(line)), 0, "a member with control characters");
	is_str(line, "4242\t1764620000\tsshd\t\tevil?field?line",
	       "tabs and newlines become '?', an empty tty stays empty");
	is_int(box_member_parse(line, &r), 0, "parses back");
	is_str(r.rhost, "evil?field?line", "as one field");
	is_str(r.tty, "", "the empty tty too");

	is_int(box_member_parse("4242\t1\tsshd\tssh", &r), -EINVAL, "too few fields: refused");
	is_int(box_member_parse("4242\t1\tsshd\tssh\th\tx", &r), -EINVAL, "too many: refused");
	is_int(box_member_parse("x\t1\tsshd\tssh\th", &r), -EINVAL, "a bad pid: refused");
	is_int(box_member_parse("\t1\tsshd\tssh\th", &r), -EINVAL, "an empty pid: refused");
	is_int(box_member_parse("1\t1y\tsshd\tssh\th", &r), -EINVAL, "a bad start time: refused");
	return tap_done();
}
