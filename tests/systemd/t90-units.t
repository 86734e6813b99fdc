#!/bin/bash
# A boxed ssh login on a systemd host, the stacks as the docs give them: logind registers the
# session and the user's shell sits in its session scope; the box's supervisor, sweeper and init
# sit in a unit of their own, nsbox-ID.scope in the user's slice; XDG_RUNTIME_DIR works in the
# box; the helper's journal lines are root's (_UID=0, _COMM=nsbox-helper), which a user's logger
# cannot fake; logout runs on the host (pam_systemd reaches logind: no bus error) and ends the
# box and its unit.
. "$(dirname "$0")/lib.sh"
sd_require_guest

U=nsbt-sdu
sd_user $U
UID_U=$(id -u $U)
sd_stacks on
out=$(nsboxctl check --service sshd 2>&1)
is $? 0 "nsboxctl check --service sshd: the stacks as the docs give them pass" "$out"

for prof in restricted lab none; do
	sd_profile $prof
	c=$(sd_log_mark)
	mkfifo "$NSBOX_T/hold.$prof"
	sd_ssh $U -- 'echo "NET $(readlink /proc/self/ns/net)"; echo "CG $(tail -n 1 /proc/self/cgroup)"
		echo "ID $NSBOX_ID"; echo "XDG $XDG_RUNTIME_DIR $(stat -c "%U %a" "$XDG_RUNTIME_DIR") $(touch "$XDG_RUNTIME_DIR/w" && echo writable)"
		echo "SESSION $XDG_SESSION_ID"; logger -t nsbox-helper "box=$NSBOX_ID forged by the user"; echo READY; cat >/dev/null' \
		<"$NSBOX_T/hold.$prof" >"$NSBOX_T/out.$prof" 2>&1 &
	exec 7>"$NSBOX_T/hold.$prof"
	nsbox_wait "grep -qs READY $NSBOX_T/out.$prof" 30
	ok $? "$prof: the boxed ssh login runs" "$(cat "$NSBOX_T/out.$prof")"
	f() { sed -n "s/^$1 //p" "$NSBOX_T/out.$prof"; }
	ID=$(f ID)
	isnt "$(f NET)" "$SD_HOST_NET" "$prof: the login is boxed (its own network namespace)"
	like "$(f CG)" "^0::/user.slice/user-$UID_U.slice/session-[0-9a-z]+\.scope$" \
		"$prof: the user's shell is in its logind session's scope"
	like "$(f SESSION)" "^[0-9a-z]+$" "$prof: pam_systemd gave it XDG_SESSION_ID"
	like "$(loginctl list-sessions --no-legend 2>&1)" "$(f SESSION) +$UID_U +$U" "$prof: logind lists the session"
	is "$(f XDG)" "/run/user/$UID_U $U 700 writable" "$prof: XDG_RUNTIME_DIR is the user's, 0700, writable in the box"
	unit=nsbox-$ID.scope
	is "$(systemctl show -P ActiveState "$unit")" active "$prof: the box's unit $unit is active"
	is "$(systemctl show -P Slice "$unit")" "user-$UID_U.slice" "$prof: in the user's slice"
	sup=$(sed -n 's/^supervisor=\([0-9]*\).*/\1/p' /run/nsbox/boxes/$ID/record)
	init=$(sed -n 's/^init=\([0-9]*\).*/\1/p' /run/nsbox/boxes/$ID/record)
	cg=/user.slice/user-$UID_U.slice/$unit
	is "$(sed -n 's/^0:://p' /proc/$sup/cgroup) $(sed -n 's/^0:://p' /proc/$init/cgroup)" "$cg $cg" \
		"$prof: the supervisor and the box init are in it"
	is "$(systemd-cgls --no-pager -u "$unit" 2>/dev/null | grep -c 'nsbox-helper')" 3 \
		"$prof: ... with the sweeper: three processes of nsbox-helper"
	logs=$(journalctl -q --no-pager _COMM=nsbox-helper -o json --after-cursor "$c" 2>/dev/null |
		grep -F "\"box=$ID started" || true)
	like "$logs" '"_UID" *: *"0"' "$prof: journalctl _COMM=nsbox-helper has the box's start line, logged by root"
	is "$(journalctl -q --no-pager _COMM=nsbox-helper --after-cursor "$c" | grep -c 'forged by the user')" 0 \
		"$prof: a user's 'logger -t nsbox-helper' is not among _COMM=nsbox-helper"
	like "$(journalctl -q --no-pager -t nsbox-helper --after-cursor "$c")" 'forged by the user' \
		"$prof: ... though -t nsbox-helper shows it (the probe works)"
	c=$(sd_log_mark)
	exec 7>&-
	wait
	nsbox_wait "[ \"\$(systemctl show -P ActiveState $unit)\" != active ] && [ ! -e /run/nsbox/boxes/$ID ]" 20
	ok $? "$prof: logout ends the box and its unit"
	nsbox_wait "sd_log_since '$c' | grep -q 'box=$ID ended'" 10
	logs=$(sd_log_since "$c")
	unlike "$logs" "pam_systemd\(sshd:session\): Failed" "$prof: pam_systemd closed on the host (no bus error at logout)"
	like "$logs" "pam_unix\(sshd:session\): session closed for user $U" "$prof: the stack closed"
	nsbox_wait "! loginctl list-sessions --no-legend | grep -q ' $U '" 20
	ok $? "$prof: logind no longer lists the session"
done
