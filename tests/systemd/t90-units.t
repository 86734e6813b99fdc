#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A boxed ssh login on a systemd host, the stacks as the docs give them: logind registers the
# session; the box's supervisor, sweeper and init sit in a unit of their own, nsbox-ID.scope in
# nsbox.slice, which carries the box's limits; with limits (restricted) the user's processes
# are moved into it too, without (lab, none) they stay in the session's scope; every box process
# has a cgroup namespace of its own (no host path); XDG_RUNTIME_DIR works in the
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
	is "$(f CG)" "0::/" "$prof: the session's cgroup namespace shows no host path"
	like "$(f SESSION)" "^[0-9a-z]+$" "$prof: pam_systemd gave it XDG_SESSION_ID"
	# by uid: logind may still hold an earlier test user's name for a reused uid
	like "$(loginctl list-sessions --no-legend 2>&1)" "(^|[[:space:]])$(f SESSION) +$UID_U " "$prof: logind lists the session"
	is "$(f XDG)" "/run/user/$UID_U $U 700 writable" "$prof: XDG_RUNTIME_DIR is the user's, 0700, writable in the box"
	unit=nsbox-$ID.scope
	is "$(systemctl show -P ActiveState "$unit")" active "$prof: the box's unit $unit is active"
	is "$(systemctl show -P Slice "$unit")" "nsbox.slice" "$prof: in nsbox.slice"
	sup=$(sed -n 's/^supervisor=\([0-9]*\).*/\1/p' /run/nsbox/boxes/$ID/record)
	init=$(sed -n 's/^init=\([0-9]*\).*/\1/p' /run/nsbox/boxes/$ID/record)
	cg=/nsbox.slice/$unit
	is "$(sed -n 's/^0:://p' /proc/$sup/cgroup) $(sed -n 's/^0:://p' /proc/$init/cgroup)" "$cg $cg" \
		"$prof: the supervisor and the box init are in it"
	cgls=$(systemd-cgls --no-pager -u "$unit" 2>/dev/null)
	is "$(grep -c 'nsbox-helper' <<<"$cgls") $(grep -c 'nsbox-init' <<<"$cgls")" "2 1" \
		"$prof: ... with the sweeper: the supervisor and the sweeper (nsbox-helper), the box init (nsbox-init)"
	# the user's own processes (sshd's user child, the shell): in which unit
	users_in() { for p in $(cat "/sys/fs/cgroup/$1/cgroup.procs" 2>/dev/null); do
		[ "$(stat -c %u /proc/$p 2>/dev/null)" = "$UID_U" ] && echo "$p"; done; }
	in_box=$(users_in "nsbox.slice/$unit" | wc -l)
	in_session=$(users_in "user.slice/user-$UID_U.slice/session-$(f SESSION).scope" | wc -l)
	if [ $prof = restricted ]; then
		is "$(systemctl show -P MemoryMax "$unit") $(systemctl show -P TasksMax "$unit") $(systemctl show -P CPUQuotaPerSecUSec "$unit")" \
			"$((2 << 30)) 512 1s" "$prof: the unit carries memory_max, tasks_max and cpu_quota"
		ok $([ "$in_box" -ge 2 ] && [ "$in_session" = 0 ]; echo $?) \
			"$prof: the user's processes were moved into the box's unit ($in_box there, $in_session in the session's scope)"
	else
		is "$(systemctl show -P MemoryMax "$unit") $(systemctl show -P CPUQuotaPerSecUSec "$unit")" \
			"infinity infinity" "$prof: no limits on the unit"
		ok $([ "$in_session" -ge 2 ] && [ "$in_box" = 0 ]; echo $?) \
			"$prof: without limits the user's processes stay in the session's scope ($in_session there)"
	fi
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

# The user's slice stops when unneeded (user-.slice.d), so a login can come while the slice is
# stopping (the user's last unit going, terminate-user); the box's unit, in nsbox.slice, neither
# waits for that stop nor is refused by it ("transaction is destructive"). Made certain here: a
# scope in the user's slice that takes seconds to stop, and the slice's stop queued behind it,
# when a login (with no logind session, as cron's) comes.
nsbox_pam_service nsbox-test-sdu "auth     required pam_permit.so
account  required pam_permit.so
session  required pam_nsbox.so"
sd_profile restricted
systemd-run --quiet --scope --unit=nsbt-slow-$$.scope --slice=user-$UID_U.slice -p TimeoutStopSec=5 \
	-p CollectMode=inactive-or-failed \
	sh -c "trap '' TERM; touch $NSBOX_T/slow.ready; while :; do sleep 0.1; done" </dev/null >/dev/null 2>&1 &
slow=$!
nsbox_wait "[ -e $NSBOX_T/slow.ready ]" 10
systemctl stop --no-block user-$UID_U.slice
like "$(systemctl list-jobs --no-legend)" "user-$UID_U.slice +stop" "the user's slice has a stop queued"
out=$("$NSBOX_PAMRUN" nsbox-test-sdu $U -- sh -c 'echo ID $NSBOX_ID' 2>&1)
ok $? "a login meanwhile is boxed all the same" "$out"
like "$out" "ID [0-9a-f]{8}" "... with a box id"
systemctl kill -s KILL nsbt-slow-$$.scope 2>/dev/null
wait $slow 2>/dev/null || true # the scope was killed: its status is 137
