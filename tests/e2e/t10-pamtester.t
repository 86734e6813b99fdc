#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Module lifecycle through pamtester (open and close in one process): success, exempt users,
# every way the module must refuse, and that nothing is left behind.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

U=nsbt-pt
nsbox_add_user $U
nsbox_add_group nsbt-admins
nsbox_add_user nsbt-ptadm nsbt-admins

CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box

[match group=nsbt-admins]
exempt = yes")
nsbox_service nsbox-test-pt "conf=$CONF"

pt() { pamtester -v "$@" 2>&1; }

# ---- success: open, close, clean ----
m=$(nsbox_log_mark)
out=$(pt nsbox-test-pt $U open_session close_session)
ok $? "pamtester open+close succeeds" "$out"
nsbox_wait "nsbox_log_since $m | grep -q \"ended: reason='session closed'\"" 5
log=$(nsbox_log_since "$m")
like "$log" "nsbox-helper\[[0-9]+\]: box=[0-9a-f]{8} started: user='nsbt-pt' service='nsbox-test-pt'" "helper logs the start"
like "$log" "box=[0-9a-f]{8} ended: reason='session closed' duration=[0-9]+s" "helper logs the end"
nsbox_check_clean "open+close"

# ---- exempt user: no box ----
m=$(nsbox_log_mark)
out=$(pt nsbox-test-pt nsbt-ptadm open_session close_session)
ok $? "exempt user's session opens" "$out"
sleep 0.2
unlike "$(nsbox_log_since "$m")" "started: user='nsbt-ptadm'" "no box for the exempt user"
nsbox_check_clean "exempt"

# ---- refusals: each one a denied session, one clear line, nothing left ----
deny() { # desc service user regex
	local desc=$1 svc=$2 user=$3 re=$4 m out rc
	m=$(nsbox_log_mark)
	out=$(pt "$svc" "$user" open_session close_session)
	rc=$?
	isnt "$rc" 0 "$desc: session refused"
	sleep 0.1
	local lines
	lines=$(nsbox_log_since "$m" | grep 'pam_nsbox' || true)
	like "$lines" "$re" "$desc: log says why"
	is "$(printf '%s\n' "$lines" | grep -c 'pam_nsbox')" 1 "$desc: exactly one module log line"
	nsbox_check_clean "$desc"
}

nsbox_service nsbox-test-badarg "conf=$CONF bogus=1"
deny "unknown module argument" nsbox-test-badarg $U "bad module argument 'bogus=1'"

# timeout=: never shorter than the helper's own bounds (include/nsbox/proto.h), or a slow stage
# would be refused as "helper timed out" instead of by what was slow
TMIN=$(sed -nE 's/^#define NSBOX_REPLY_TIMEOUT_MIN_MS ([0-9]+)$/\1/p' "$NSBOX_TOP/include/nsbox/proto.h")
TMIN=$((TMIN / 1000))
nsbox_service nsbox-test-shorttmo "conf=$CONF timeout=$((TMIN - 1))"
deny "timeout below the helper's bounds" nsbox-test-shorttmo $U \
	"bad module argument 'timeout=$((TMIN - 1))': below the helper's own bounds \(at least $TMIN s\)"
nsbox_service nsbox-test-badtmo "conf=$CONF timeout=3601"
deny "timeout over an hour" nsbox-test-badtmo $U "bad module argument 'timeout=3601'"
nsbox_service nsbox-test-tmo "conf=$CONF timeout=$TMIN"
out=$(pt nsbox-test-tmo $U open_session close_session)
ok $? "timeout=$TMIN (the shortest allowed): the session opens" "$out"
nsbox_check_clean "timeout=$TMIN"

nsbox_pam_service nsbox-test-nohelper "account required pam_permit.so
session required $NSBOX_MODULE helper=$NSBOX_T/no-such-helper conf=$CONF"
deny "missing helper" nsbox-test-nohelper $U "no box for user 'nsbt-pt': cannot open helper: No such file or directory; session denied"

cp "$NSBOX_HELPER" "$NSBOX_T/helper-gw" && chmod 0775 "$NSBOX_T/helper-gw"
nsbox_pam_service nsbox-test-gwhelper "account required pam_permit.so
session required $NSBOX_MODULE helper=$NSBOX_T/helper-gw conf=$CONF"
deny "group-writable helper" nsbox-test-gwhelper $U "helper is not root-owned, or is writable or setuid"

cp /bin/false "$NSBOX_T/helper-crash" && chmod 0755 "$NSBOX_T/helper-crash"
nsbox_pam_service nsbox-test-crashhelper "account required pam_permit.so
session required $NSBOX_MODULE helper=$NSBOX_T/helper-crash conf=$CONF"
deny "helper that dies" nsbox-test-crashhelper $U "helper exited without a reply"

# the helper is exec'd from its checked fd, close-on-exec: a script's interpreter could not open it
printf '#!/bin/sh\nexit 3\n' >"$NSBOX_T/helper-script" && chmod 0755 "$NSBOX_T/helper-script"
nsbox_pam_service nsbox-test-scripthelper "account required pam_permit.so
session required $NSBOX_MODULE helper=$NSBOX_T/helper-script conf=$CONF"
deny "helper that cannot be exec'd" nsbox-test-scripthelper $U "no box for user 'nsbt-pt': cannot run helper: No such file or directory; session denied"

nsbox_service nsbox-test-noconf "conf=$NSBOX_T/missing.conf"
deny "missing config" nsbox-test-noconf $U "bad config: $NSBOX_T/missing.conf: cannot open: No such file or directory"

BAD=$(nsbox_conf bad.conf "[defaults]
colour = blue")
nsbox_service nsbox-test-badconf "conf=$BAD"
deny "unknown key" nsbox-test-badconf $U "bad config: $BAD:2: unknown key 'colour'"

chmod 0666 "$BAD"
deny "world-writable config" nsbox-test-badconf $U "bad config: $BAD: .*writable by group or others"
chmod 0644 "$BAD"

ln -s "$CONF" "$NSBOX_T/link.conf"
nsbox_service nsbox-test-symconf "conf=$NSBOX_T/link.conf"
deny "symlinked config" nsbox-test-symconf $U "is a symlink"

deny "unknown user" nsbox-test-pt nsbt-nosuchuser "unknown user 'nsbt-nosuchuser'"


# ---- on_error = allow: warn and go on unboxed ----
nsbox_service nsbox-test-allow "conf=$BAD on_error=allow"
m=$(nsbox_log_mark)
out=$(pt nsbox-test-allow $U open_session close_session)
ok $? "on_error=allow lets the session open despite a bad config" "$out"
like "$(nsbox_log_since "$m")" "no box for user 'nsbt-pt': bad config: .*continuing unboxed \(on_error=allow\)" "and logs a warning"
nsbox_check_clean "on_error=allow"

ALLOWCONF=$(nsbox_conf allow.conf "[defaults]
on_error = allow
network = bridge
bridge = nsbt-nosuchbr
address = 10.9.0.5/24")
nsbox_service nsbox-test-allowconf "conf=$ALLOWCONF"
m=$(nsbox_log_mark)
out=$(pt nsbox-test-allowconf $U open_session close_session)
ok $? "on_error = allow from the config applies to a box failure" "$out"
like "$(nsbox_log_since "$m")" "no box for user 'nsbt-pt': bridge 'nsbt-nosuchbr' .*does not exist; continuing unboxed" "and logs a warning"
nsbox_service nsbox-test-denyarg "conf=$ALLOWCONF on_error=deny"
deny "module argument on_error=deny overrides the config" nsbox-test-denyarg $U "session denied"

# ---- a second open on one handle is a no-op (su -l includes su) ----
nsbox_pam_service nsbox-test-twice "account required pam_permit.so
session required $NSBOX_MODULE helper=$NSBOX_HELPER conf=$CONF
session required $NSBOX_MODULE helper=$NSBOX_HELPER conf=$CONF"
m=$(nsbox_log_mark)
out=$(pt nsbox-test-twice $U open_session close_session)
ok $? "module stacked twice opens and closes" "$out"
nsbox_wait "nsbox_log_since $m | grep -q 'ended:'" 5
is "$(nsbox_log_since "$m" | grep -c 'started: user=')" 1 "only one box for two opens on one handle"
nsbox_check_clean "stacked twice"
