#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A shared box (share = user) outlives the logind session that built it: its
# supervisor and init live in the box's own unit, not in the first session's scope, so
# `loginctl terminate-session` of the first member, or its logout under KillUserProcesses=yes,
# ends that session's processes (shown) and leaves the box to the others; the box ends with its
# last member.
. "$(dirname "$0")/lib.sh"
sd_require_guest

U=nsbt-sds
sd_user $U
UID_U=$(id -u $U)
sd_stacks on
sd_profile lab "share = user"
# logind kills a session's processes at its end
mkdir -p /etc/systemd/logind.conf.d
printf '[Login]\nKillUserProcesses=yes\n' >/etc/systemd/logind.conf.d/nsbt-kill.conf
nsbox_at_exit "rm -f /etc/systemd/logind.conf.d/nsbt-kill.conf; systemctl restart systemd-logind"
systemctl restart systemd-logind
is "$(busctl get-property org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager KillUserProcesses)" \
	"b true" "logind runs with KillUserProcesses=yes"

# start NAME : a held ssh session of U that prints its box and session, then runs until
# stop NAME makes the file it waits for (in the home, which every box shares)
HOME_U=$(getent passwd $U | cut -d: -f6)
start() {
	sd_ssh $U -- "echo \"ID \$NSBOX_ID\"; echo \"SESSION \$XDG_SESSION_ID\"; echo READY
		while [ ! -e ~/stop.$1 ]; do sleep 0.1; done" </dev/null >"$NSBOX_T/out.$1" 2>&1 &
	nsbox_wait "grep -qs READY $NSBOX_T/out.$1" 30
}
field() { sed -n "s/^$2 //p" "$NSBOX_T/out.$1"; }
stop() { touch "$HOME_U/stop.$1"; }
# the processes of NAME's logind session, by its scope (pids inside a box are the box's own)
procs() { cat "/sys/fs/cgroup/user.slice/user-$UID_U.slice/session-$(field "$1" SESSION).scope/cgroup.procs" 2>/dev/null; }
box_alive() { # ID: its record, its unit active, its init alive
	local init
	init=$(sed -n 's/^init=\([0-9]*\).*/\1/p' /run/nsbox/boxes/$1/record 2>/dev/null)
	[ -n "$init" ] && kill -0 "$init" 2>/dev/null &&
		[ "$(systemctl show -P ActiveState "nsbox-$1.scope")" = active ]
}

# 1. terminate-session of the member that built the box
start a
start b
ID=$(field a ID)
like "$ID" '^[0-9a-f]{8}$' "first session boxed"
is "$(field b ID)" "$ID" "second session joined the same box"
SA=$(field a SESSION)
loginctl terminate-session "$SA"
nsbox_wait "! loginctl list-sessions --no-legend | grep -q '^ *$SA '" 20
ok $? "terminate-session $SA: logind ended the first session"
isnt "$(procs b)" "" "the second member's session has processes"
nsbox_wait '[ -z "$(procs a)" ]' 20
ok $? "... and killed its processes (the probe: what is in the session's scope dies)"
box_alive "$ID"
ok $? "the shared box lives on: record, unit nsbox-$ID.scope and init"
isnt "$(procs b)" "" "the second member's session still runs"
start c
is "$(field c ID)" "$ID" "a new session joins the box its first member left"
stop a
stop b
stop c
wait
nsbox_wait "! box_alive $ID && [ ! -e /run/nsbox/boxes/$ID ]" 20
ok $? "the box ends with its last member"

# 2. logout of the first member under KillUserProcesses=yes
start d
start e
ID=$(field d ID)
is "$(field e ID)" "$ID" "two sessions in one box again"
stop d
nsbox_wait '[ -z "$(procs d)" ]' 20
ok $? "the first member logged out, and its session's processes are gone"
box_alive "$ID"
ok $? "KillUserProcesses=yes: the box lives on for the other member"
isnt "$(procs e)" "" "... whose session still runs"
stop e
wait
nsbox_wait "! box_alive $ID && [ ! -e /run/nsbox/boxes/$ID ]" 20
ok $? "the box ends with its last member"
