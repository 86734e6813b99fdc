#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The systemd user manager of a boxed user is refused. systemd opens the systemd-user
# PAM session in the process that then execs `systemd --user` (pam-run -m exec does the same),
# so no box could hold the manager, and every unit it started would run outside the user's box.
# With pam_nsbox in that stack a boxed user's manager does not start: one log line, nothing
# built, on_error = allow notwithstanding; an exempt rule for the service lets it start unboxed.
# Also nsboxctl check --service on such stacks and on login stacks (the leave line, the order).
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

U=nsbt-mgr
nsbox_add_user $U
HOST_NET=$(readlink /proc/self/ns/net)
CONF=$(nsbox_conf nsbox.conf "[defaults]
profile = restricted")
ALLOW=$(nsbox_conf allow.conf "[defaults]
profile = lab
on_error = allow")
EXEMPT=$(nsbox_conf exempt.conf "[defaults]
profile = restricted

[match service=systemd-user]
exempt = yes")
manager_stack() { # $1: the config
	nsbox_pam_fixed systemd-user "account  required pam_permit.so
session  required pam_permit.so
session  required $NSBOX_MODULE helper=$NSBOX_HELPER conf=$1"
}
start_manager() { # as systemd does: open the session, drop to the user, exec in that process
	"$NSBOX_PAMRUN" -m exec systemd-user $U -- sh -c 'echo MANAGER NET=$(readlink /proc/self/ns/net)' 2>&1
}

for c in CONF ALLOW; do
	manager_stack "${!c}"
	m=$(nsbox_log_mark)
	out=$(start_manager)
	rc=$?
	is $rc 126 "$c: the manager's session is refused before its exec (exit 126)"
	unlike "$out" "MANAGER" "$c: the manager did not run"
	log=$(nsbox_log_since "$m" | grep -E 'pam_nsbox|nsbox-helper')
	like "$log" "pam_nsbox\(systemd-user:session\): no box for user '$U': the systemd user manager is not started for a boxed user: systemd runs it in the process that opened this session.*session denied" \
		"$c: the module says why, and that it denied"
	is "$(grep -c . <<<"$log")" 1 "$c: one log line"
	is "$(grep -c 'box=.* started' <<<"$log")" 0 "$c: no box was built"
	nsbox_check_clean "$c"
done

manager_stack "$EXEMPT"
m=$(nsbox_log_mark)
out=$(start_manager)
is $? 0 "exempt service=systemd-user: the manager runs" "$out"
is "$(sed -n 's/^MANAGER NET=//p' <<<"$out")" "$HOST_NET" "exempt: unboxed, as the admin chose"
is "$(nsbox_log_since "$m" | grep -c pam_nsbox)" 0 "exempt: nothing logged"

# nsboxctl check --service, on the manager's stack and on login stacks
manager_stack "$CONF"
out=$("$NSBOX_CTL" check "$CONF" --service systemd-user 2>&1)
is $? 0 "check --service systemd-user: OK with the line last" "$out"
like "$out" "/etc/pam.d/systemd-user: pam_nsbox.so lines OK" "check --service systemd-user: says so"

nsbox_pam_service nsbox-test-mgr-good "auth     required pam_permit.so
session  optional $NSBOX_MODULE leave
session  required pam_permit.so
session  optional pam_systemd.so
session  required $NSBOX_MODULE conf=$CONF"
out=$("$NSBOX_CTL" check "$CONF" --service nsbox-test-mgr-good 2>&1)
is $? 0 "check --service: leave first, box last, the manager's stack refusing: OK" "$out"

nsbox_pam_service nsbox-test-mgr-bad "auth     required pam_permit.so
session  required pam_permit.so
session  required $NSBOX_MODULE conf=$CONF
session  optional pam_systemd.so"
out=$("$NSBOX_CTL" check "$CONF" --service nsbox-test-mgr-bad 2>&1)
is $? 1 "check --service: a bad stack fails" "$out"
like "$out" "nsbox-test-mgr-bad:4: pam_systemd.so \(/etc/pam.d/nsbox-test-mgr-bad:4\) comes after pam_nsbox.so" \
	"check --service: pam_systemd after the box line, with its place"
like "$out" "no 'session optional pam_nsbox.so leave' line first" "check --service: the leave line missing"

manager_stack "$CONF"
nsbox_pam_fixed systemd-user "account  required pam_permit.so
session  optional pam_systemd.so"
out=$("$NSBOX_CTL" check "$CONF" --service nsbox-test-mgr-good 2>&1)
is $? 1 "check --service: a login stack is not OK while the manager's stack lets it start" "$out"
like "$out" "systemd-user: no 'session required pam_nsbox.so' line: the systemd user manager of a boxed user runs outside the box" \
	"check --service: says the manager would run outside the box"
