#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# nsboxctl check warns where a config loads but does not do what its author meant (ctl/lint.c),
# and the shipped config leaves root and the administrators unboxed. Each warning is shown to
# fire where the mistake is and to stay silent where it is not; a real login (pamtester) shows
# that the shadowed rule really does not apply. Warnings do not fail the check (exit 0).
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

getent group sudo >/dev/null || nsbox_die "this test needs Debian's administrators' group sudo"
nsbox_add_group nsbt-lwlab
nsbox_add_user nsbt-lw1 nsbt-lwlab
nsbox_add_user nsbt-lw2 nsbt-lwlab
# an administrator: a member of sudo (no sudoers change; the user is removed at exit)
nsbox_add_user nsbt-lwadm sudo
CTL=$NSBOX_CTL

# check CONF [ARGS...]: sets OUT (stdout and stderr) and RC
check() { OUT=$("$CTL" check "$@" 2>&1); RC=$?; }
# at FILE TEXT: the line number of the line TEXT in FILE
at() { grep -n -F -x -- "$2" "$1" | head -n 1 | cut -d: -f1; }
root_exempt='[match user=root]
exempt = yes

[match group=sudo]
exempt = yes
'

# ---- the shipped config ----
check "$NSBOX_TOP/conf/nsbox.conf"
is "$RC $OUT" "0 $NSBOX_TOP/conf/nsbox.conf: OK (3 sections)" "shipped config: OK, no warning"
for u in root nsbt-lwadm; do
	like "$("$CTL" explain --user $u --conf "$NSBOX_TOP/conf/nsbox.conf")" "# result: exempt" \
		"shipped config: $u logs in unboxed"
done
like "$("$CTL" explain --user nsbt-lw2 --conf "$NSBOX_TOP/conf/nsbox.conf")" "profile = restricted" \
	"shipped config: an ordinary user is boxed restricted"

# ---- root and administrators boxed with no_new_privs ----
C=$(nsbox_conf boxall.conf "[defaults]
profile = restricted")
check "$C"
is "$RC" 0 "warnings do not fail the check"
like "$OUT" "$(re "$C"): OK \(1 sections\), [0-9]+ warnings" "the summary counts the warnings"
like "$OUT" "warning: the superuser root would be boxed with no_new_privs \(profile restricted, defaults\) through sshd: sudo and su fail in that box; exempt root" \
	"root boxed restricted: warned"
like "$OUT" "warning: administrator nsbt-lwadm would be boxed with no_new_privs \(profile restricted, defaults\) through sshd" \
	"a member of sudo boxed restricted: warned"
unlike "$OUT" "nsbt-lw1|nsbt-lw2" "ordinary users: no warning"
check "$C" --service login
like "$OUT" "root would be boxed .* through login:" "--service: the warning names that service"
C=$(nsbox_conf lab.conf "[defaults]
profile = lab")
check "$C"
unlike "$OUT" "warning: .*(root|nsbt-lwadm)" "profile lab keeps sudo: no warning"
C=$(nsbox_conf exempt.conf "[defaults]
profile = restricted

$root_exempt")
check "$C"
is "$RC $OUT" "0 $C: OK (3 sections)" "root and sudo exempt: no warning"

# ---- a rule an earlier one hides ----
C=$(nsbox_conf shadow.conf "[defaults]
profile = restricted

$root_exempt
[match group=nsbt-lwlab]
profile = lab

[match user=nsbt-lw1]
exempt = yes")
check "$C"
like "$OUT" "$(re "$C"):$(at "$C" "[match user=nsbt-lw1]"): warning: \[match user=nsbt-lw1\] never applies: \[match group=nsbt-lwlab\] at $(re "$C"):$(at "$C" "[match group=nsbt-lwlab]") comes first and takes every login it names" \
	"a user rule after a group rule the user is in: warned, with both lines"
# what the warning says is what a login gets: nsbt-lw1 is boxed (lab), not exempt
nsbox_service nsbox-test-lint "conf=$C"
m=$(nsbox_log_mark)
pamtester nsbox-test-lint nsbt-lw1 open_session close_session >/dev/null 2>&1
like "$(nsbox_log_since "$m")" "started: user='nsbt-lw1' " "a login of nsbt-lw1 is boxed all the same"
nsbox_check_clean "shadowed rule login"
# probe: the same two sections the other way round warn of nothing
C=$(nsbox_conf order.conf "[defaults]
profile = restricted

$root_exempt
[match user=nsbt-lw1]
exempt = yes

[match group=nsbt-lwlab]
profile = lab")
check "$C"
is "$RC $OUT" "0 $C: OK (5 sections)" "the exemption first: no warning (the group rule still takes nsbt-lw2)"
# a rule for everyone of a service hides a later rule of that service
C=$(nsbox_conf catchall.conf "[defaults]
$root_exempt
[match service=nsbox-test-*]
hostname = t-%u

[match user=nsbt-* service=nsbox-test-lint]
hostname = never

[match user=nsbt-* service=sshd]
hostname = s-%u")
check "$C"
like "$OUT" ":$(at "$C" "[match user=nsbt-* service=nsbox-test-lint]"): warning: \[match user=nsbt-\* service=nsbox-test-lint\] never applies: \[match service=nsbox-test-\*\] at .*:$(at "$C" "[match service=nsbox-test-*]") " \
	"a service rule for everyone hides a later rule of that service, globs and all"
unlike "$OUT" ":$(at "$C" "[match user=nsbt-* service=sshd]"): warning" "but not a rule of another service"

# ---- a group no source knows ----
C=$(nsbox_conf wheel.conf "[defaults]
$root_exempt
[match group=nsbt-nosuchgrp]
exempt = yes")
check "$C"
like "$OUT" "$(re "$C"):$(at "$C" "[match group=nsbt-nosuchgrp]"): warning: no group 'nsbt-nosuchgrp' on this host: the section matches no one through it" \
	"a group that does not exist: warned"
C=$(nsbox_conf known.conf "[defaults]
$root_exempt
[match group=nsbt-lwlab]
exempt = yes")
check "$C"
is "$RC $OUT" "0 $C: OK (4 sections)" "a group that exists: no warning"
