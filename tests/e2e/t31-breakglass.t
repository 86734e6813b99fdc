#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The way back in when nsbox.conf is broken (fail-closed refuses every boxed login, root's
# included): a line before pam_nsbox in the PAM stack that skips it for the administrators, as
# README and pam_nsbox(8) show. It does not read nsbox.conf, so it holds with the config
# unreadable, malformed or gone. Shown through a real sshd: with the config broken, a member of
# the admin group logs in (unboxed) while an ordinary user is refused; the probe: the same stack
# without the skip line refuses the admin too. The console (login) without the line is t45's.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

nsbox_add_group nsbt-bgadmins
nsbox_add_user nsbt-bgadm nsbt-bgadmins
nsbox_add_user nsbt-bgusr
GOOD=$(nsbox_conf nsbox.conf "[defaults]
profile = restricted")
SVC=nsbox-test-bg
# stack SKIPLINE CONF : the service's stack, with the break-glass line when SKIPLINE is 1
stack() {
	local skip=
	[ "$1" = 1 ] && skip="session  [success=1 default=ignore] pam_succeed_if.so quiet user ingroup nsbt-bgadmins"
	nsbox_pam_service $SVC "auth     required pam_permit.so
account  required pam_permit.so
session  required pam_permit.so
$skip
session  required $NSBOX_MODULE helper=$NSBOX_HELPER conf=$2"
}
stack 1 "$GOOD"
nsbox_sshd_start $SVC
nsbox_ssh_authorize nsbt-bgadm nsbt-bgusr
host_net=$(readlink /proc/self/ns/net)
login_net() { nsbox_ssh "$1" -- 'readlink /proc/self/ns/net' 2>/dev/null; }

# the config works: the ordinary user is boxed, the admin skips the box by the PAM line
isnt "$(login_net nsbt-bgusr)" "$host_net" "config fine: the ordinary user is boxed"
is "$(login_net nsbt-bgadm)" "$host_net" "config fine: the admin's login skips pam_nsbox"

for broken in malformed world-writable missing; do
	BAD=$NSBOX_T/broken.conf
	case $broken in
	malformed) printf '[defaults]\nprofile = restricted\nnetwork = sideways\n' >"$BAD"; chmod 0644 "$BAD" ;;
	world-writable) printf '[defaults]\n' >"$BAD"; chmod 0666 "$BAD" ;; # world-writable: refused
	missing) rm -f "$BAD" ;;
	esac
	stack 1 "$BAD"
	m=$(nsbox_log_mark)
	out=$(nsbox_ssh nsbt-bgusr -- 'echo RAN-$((6*7))' 2>&1)
	unlike "$out" "RAN-42" "config $broken: the ordinary user is refused"
	like "$(nsbox_log_since "$m")" "no box for user 'nsbt-bgusr': .*session denied" "config $broken: the refusal is logged"
	is "$(login_net nsbt-bgadm)" "$host_net" "config $broken: the admin still logs in (unboxed)"
done
nsbox_check_clean "break-glass logins"

# probe: without the line the admin is refused like everyone else, so the line is what works
stack 0 "$BAD"
out=$(nsbox_ssh nsbt-bgadm -- 'echo RAN-$((6*7))' 2>&1)
unlike "$out" "RAN-42" "without the skip line the admin is refused too (the probe works)"
nsbox_check_clean "probe"
