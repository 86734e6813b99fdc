#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The session's policy holds however the PAM application starts user code.
# tests/pam-run.c opens a restricted session and starts the probe the way applications do: fork
# (sshd, su, login, cron), vfork, posix_spawn, system(3), a raw clone3, or exec in the process that
# opened the session (systemd's user manager). A fork(2) child gets the box and the policy (the
# module's fork handler); every other one runs no handler and stays in the application's hold,
# where nothing can be executed: the probe must either report the policy or not run at all.
# The same modes without PAM (-n) show that each of them does start the probe.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

U=nsbt-spwn
nsbox_add_user $U
CONF=$(nsbox_conf restricted.conf "[defaults]
profile = restricted")
nsbox_service nsbox-test-spawn "conf=$CONF"

HOST_PID=$(readlink /proc/self/ns/pid)
HOST_MNT=$(readlink /proc/self/ns/mnt)
HOST_NET=$(readlink /proc/self/ns/net)
probe='echo "PROBE NNP=$(sed -n "s/^NoNewPrivs:\t//p" /proc/self/status) SECCOMP=$(sed -n "s/^Seccomp:\t//p" /proc/self/status) BND=$(sed -n "s/^CapBnd:\t//p" /proc/self/status) PID=$(readlink /proc/self/ns/pid) MNT=$(readlink /proc/self/ns/mnt) NET=$(readlink /proc/self/ns/net) ID=${NSBOX_ID:-none}"'
field() { sed -n "s/.*PROBE.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

for mode in fork vfork spawn system clone3 exec; do
	# the probe as one word for system(3), which joins the words with spaces
	cmd=(sh -c "$probe")
	[ $mode = system ] && cmd=("sh -c '${probe//\'/\'\\\'\'}'")

	out=$("$NSBOX_PAMRUN" -n -m $mode nsbox-test-spawn $U -- "${cmd[@]}" 2>&1)
	ok $? "$mode, no PAM: the probe runs" "$out"
	is "$(field NNP "$out")" 0 "$mode, no PAM: the probe reads no_new_privs off"
	is "$(field PID "$out")" "$HOST_PID" "$mode, no PAM: in the host's pid namespace"

	m=$(nsbox_log_mark)
	out=$("$NSBOX_PAMRUN" -m $mode nsbox-test-spawn $U -- "${cmd[@]}" 2>&1)
	rc=$?
	note "$mode, boxed: exit $rc:" "$out"
	if [ $mode = fork ]; then
		is $rc 0 "fork, boxed: the probe runs"
		is "$(field NNP "$out") $(field SECCOMP "$out") $(field BND "$out")" \
			"1 2 0000000000000000" "fork, boxed: no_new_privs, the filter, an empty bounding set"
		isnt "$(field PID "$out")" "$HOST_PID" "fork, boxed: in the box's pid namespace"
		isnt "$(field MNT "$out")" "$HOST_MNT" "fork, boxed: in the box's mount namespace"
		isnt "$(field NET "$out")" "$HOST_NET" "fork, boxed: in the box's network namespace"
		like "$(field ID "$out")" '^[0-9a-f]{8}$' "fork, boxed: NSBOX_ID is set"
	else
		is $rc 127 "$mode, boxed: the command could not be executed (exit 127)"
		unlike "$out" "PROBE" "$mode, boxed: the probe never ran, with or without the policy"
		like "$out" "$mode: cannot execute .*(Permission denied|status 127)" \
			"$mode, boxed: the application says it could not execute it"
		is "$(nsbox_log_since "$m" | grep -c 'box=.* started')" 1 \
			"$mode, boxed: the session itself was opened (the box was built)"
	fi
	nsbox_check_clean "$mode, boxed"
done

# ---- the hold copies no other box's netns name ----
# Each live box has an ip-netns name, a mount under /run/netns. The application's hold is a copy
# of the application's mounts: a copy of those names would keep every other live box's network
# namespace alive for as long as this session lasts, and make each login copy one per live box.
hold_netns() { grep -c " /run/netns/" "/proc/$1/mountinfo" 2>/dev/null; }
"$NSBOX_PAMRUN" nsbox-test-spawn $U -- sleep 600 </dev/null >/dev/null 2>&1 &
A=$!
nsbox_track_pid $A
nsbox_wait '[ "$(nsbox_records | wc -l)" = 1 ] && grep -q " /run/netns/nsbox-" /proc/self/mountinfo' $NSBOX_SETTLE
ok $? "a live box A has its netns name on the host" "$(grep /run/netns /proc/self/mountinfo)"
"$NSBOX_PAMRUN" nsbox-test-spawn $U -- sleep 600 </dev/null >/dev/null 2>&1 &
B=$!
nsbox_track_pid $B
nsbox_wait '[ "$(nsbox_records | wc -l)" = 2 ] && [ "$(readlink /proc/'$B'/ns/mnt)" != "$HOST_MNT" ]' $NSBOX_SETTLE
ok $? "a second box B is up, its application in its hold" "$(nsbox_records)"
is "$(grep -c " /run/netns/nsbox-" /proc/self/mountinfo)" 2 "the host names both boxes' netns"
is "$(hold_netns $B)" 0 "B's hold holds no copy of a netns name" "$(grep /run/netns /proc/$B/mountinfo)"
is "$(hold_netns $A)" 0 "nor does A's"
_nsbox_kill_pids 50 $A $B
nsbox_check_clean "two held boxes"

# ---- an unmount on the host reaches the hold ----
# The hold is a slave of the application's mounts, as the box's own mount namespace is: a
# filesystem the admin unmounts on the host (a USB disk, an NFS export, another program's netns
# names) is not kept alive by the sessions that started while it was mounted. Shared, as
# systemd makes every mount on a systemd host (this test's mount namespace is private).
# (an unmount travels through the parent mount's peers: PIN sits in a shared mount of its own)
PARENT=$NSBOX_T/pinp
PIN=$PARENT/pin
mkdir -p "$PARENT" && mount -t tmpfs -o size=1m nsbt-pinp "$PARENT" &&
	mount --make-shared "$PARENT" && mkdir "$PIN" && mount -t tmpfs -o size=1m nsbt-pin "$PIN"
ok $? "a mount on the host, in a shared one" "$(grep " $PIN " /proc/self/mountinfo)"
"$NSBOX_PAMRUN" nsbox-test-spawn $U -- sleep 600 </dev/null >/dev/null 2>&1 &
C=$!
nsbox_track_pid $C
nsbox_wait '[ "$(readlink /proc/'$C'/ns/mnt)" != "$HOST_MNT" ]' $NSBOX_SETTLE
ok $? "a held session C"
grep " $PIN " /proc/$C/mountinfo | grep -q noexec
ok $? "C's hold has the mount, made before the login, noexec" "$(grep " $PIN " /proc/$C/mountinfo)"
umount "$PIN"
ok $? "the host unmounts it"
is "$(grep -c " $PIN " /proc/$C/mountinfo)" 0 "the unmount reached C's hold" \
	"$(grep " $PIN " /proc/$C/mountinfo)"
_nsbox_kill_pids 50 $C
umount "$PARENT"
nsbox_check_clean "held box, host unmount"
