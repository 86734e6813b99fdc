#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A real OpenSSH sshd on 127.0.0.1 (inside the test's network namespace) with pam_nsbox last in
# its session stack: shell, pty, command, sftp, scp and -L forwarding all run inside the box;
# a failed box gives none of them; killing the monitor ends the box.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

U=nsbt-ssh
U2=nsbt-ssh2
nsbox_add_user $U
nsbox_add_user $U2
nsbox_add_group nsbt-ops
nsbox_add_user nsbt-sshadm nsbt-ops
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = box-%u

[match user=nsbt-sshadm]
exempt = yes")
SVC=nsbox-test-sshd
nsbox_service $SVC "conf=$CONF"
nsbox_sshd_start $SVC
for u in $U $U2 nsbt-sshadm; do nsbox_ssh_authorize $u; done

host_ns=$(nsbox_host_ns)
probe='for t in pid mnt ipc uts net; do printf "%s " "$(readlink /proc/self/ns/$t)"; done; echo'

# ---- a command ----
m=$(nsbox_log_mark)
out=$(nsbox_ssh $U -- "echo NS \$($probe); echo HOST \$(hostname); echo ID \$NSBOX_ID; echo NET \$(ls /sys/class/net); echo PIDS \$(ls /proc | grep -cE '^[0-9]+\$')")
ok $? "ssh command runs" "$out"
# every other check here means nothing if sshd used the stock PAM service (OpenSSH >= 9.8
# ignores argv[0]): the helper names the service it boxed for
like "$(nsbox_log_since "$m")" "nsbox-helper.*: box=[0-9a-f]{8} started: user='$U' service='$SVC'" \
	"ssh command: boxed under the test's PAM service $SVC (sshd told by $NSBOX_SSHD_PAM_BY)"
field() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }
box_ns=$(field NS)
for t in pid mnt ipc uts net; do
	h=$(echo "$host_ns" | tr ' ' '\n' | grep "^$t:")
	b=$(echo "$box_ns" | tr ' ' '\n' | grep "^$t:")
	ok $([ -n "$b" ] && [ "$b" != "$h" ]; echo $?) "ssh command: $t namespace is the box's ($b vs host $h)"
done
is "$(field HOST)" "box-$U" "ssh command: hostname from the template"
like "$(field ID)" "^[0-9a-f]{8}$" "ssh command: NSBOX_ID set"
is "$(field NET)" "lo" "ssh command: only lo"
ok $([ "$(field PIDS)" -le 8 ]; echo $?) "ssh command: /proc lists only the box ($(field PIDS) pids)"
nsbox_check_clean "ssh command"

# ---- a pty shell ----
out=$(printf 'echo TTY $(tty); echo NET $(readlink /proc/self/ns/net); exit\n' | nsbox_ssh $U -tt -- )
like "$out" "TTY /dev/pts/[0-9]+" "ssh -tt: the shell has a pty" 
n=$(printf '%s\n' "$out" | sed -n 's/^NET \(net:\[[0-9]*\]\).*/\1/p' | head -1)
ok $([ -n "$n" ] && [ "$n" != "$(readlink /proc/self/ns/net)" ]; echo $?) "ssh -tt: the pty shell is in the box's network namespace ($n)"
nsbox_check_clean "pty shell"

# ---- sftp and scp land in the box's mount namespace ----
echo "payload-$$" >"$NSBOX_T/payload"
printf 'put %s /dev/shm/sftp-marker\nls /dev/shm\n' "$NSBOX_T/payload" >"$NSBOX_T/batch"
out=$(nsbox_sftp $U "$NSBOX_T/batch" 2>&1)
ok $? "sftp session works" "$out"
like "$out" "sftp-marker" "sftp sees its upload in /dev/shm"
ok $([ ! -e /dev/shm/sftp-marker ]; echo $?) "sftp's /dev/shm is the box's, not the host's"
out=$(nsbox_scp "$NSBOX_T/payload" "$U@127.0.0.1:/dev/shm/scp-marker" 2>&1)
ok $? "scp works" "$out"
ok $([ ! -e /dev/shm/scp-marker ]; echo $?) "scp wrote into the box's /dev/shm, not the host's"
nsbox_check_clean "sftp and scp"

# ---- -L forwarding reaches the box's loopback, not the host's ----
socat TCP-LISTEN:7777,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo HOST' </dev/null >/dev/null 2>&1 &
decoy=$!
nsbox_track_pid $decoy
nsbox_wait "socat -T1 -t1 - TCP:127.0.0.1:7777 </dev/null 2>/dev/null | grep -q HOST" 5
nsbox_ssh $U -L 17777:127.0.0.1:7777 -- "socat TCP-LISTEN:7777,bind=127.0.0.1,reuseaddr SYSTEM:'echo BOX-\$NSBOX_ID' & sleep 3" &
fwd=$!
got=""
for i in $(seq 1 40); do
	got=$(socat -T1 -t1 - TCP:127.0.0.1:17777 </dev/null 2>/dev/null)
	[ -n "$got" ] && break
	sleep 0.1
done
like "$got" "^BOX-[0-9a-f]{8}$" "ssh -L forwards to a listener inside the box (got '$got')"
wait $fwd
nsbox_check_clean "forwarding"

# ---- two concurrent logins get two boxes ----
nsbox_ssh $U -- 'echo $NSBOX_ID $(readlink /proc/self/ns/net); sleep 1' >"$NSBOX_T/c1" &
p1=$!
nsbox_ssh $U2 -- 'echo $NSBOX_ID $(readlink /proc/self/ns/net); sleep 1' >"$NSBOX_T/c2" &
p2=$!
wait $p1 $p2
ok $([ -s "$NSBOX_T/c1" ] && [ -s "$NSBOX_T/c2" ] && [ "$(cat "$NSBOX_T/c1")" != "$(cat "$NSBOX_T/c2")" ]; echo $?) "two concurrent logins, two boxes: $(cat "$NSBOX_T/c1") / $(cat "$NSBOX_T/c2")"
nsbox_check_clean "concurrent logins"

# ---- exempt user: not boxed ----
out=$(nsbox_ssh nsbt-sshadm -- "$probe")
is "$(echo $out)" "$host_ns" "exempt user's command runs in the host's namespaces"
is "$(nsbox_records | wc -l)" 0 "no box record for the exempt user"

# ---- kill -9 of the sshd monitor ends the box ----
nsbox_ssh $U -- 'sleep 300' &
sp=$!
nsbox_wait '[ -n "$(nsbox_records)" ] && grep -q "^init=[1-9]" /run/nsbox/boxes/$(nsbox_records | head -1)/record' 10
ID=$(nsbox_records | head -1)
INIT=$(sed -n 's/^init=//p' /run/nsbox/boxes/$ID/record)
nsbox_wait "pgrep -f ': $U \\[priv\\]' >/dev/null" 5
mon=$(pgrep -f ": $U \[priv\]" | head -1)
nsbox_wait "pgrep -x sleep -u $U >/dev/null" 5
sleeper=$(pgrep -x sleep -u $U | head -1)
ok $([ -n "$mon" ] && [ -n "$sleeper" ]; echo $?) "held ssh session (monitor $mon, user's sleep $sleeper)"
kill -9 "$mon"
nsbox_wait "! nsbox_alive $sleeper && [ -z \"\$(nsbox_user_procs $U)\" ]" $NSBOX_SETTLE
ok $? "kill -9 of the sshd monitor kills the user's processes in the box"
# the init finishes once the host's PID 1 has reaped the orphaned sshd user child
nsbox_wait "! nsbox_alive $INIT" 10
ok $? "and the box init is gone"
wait $sp 2>/dev/null
nsbox_check_clean "monitor killed"

# ---- a failed box: no shell, no command, no sftp, no forwarding ----
BAD=$(nsbox_conf bad.conf "[defaults]
network = sideways")
nsbox_service $SVC "conf=$BAD"
m=$(nsbox_log_mark)
out=$(nsbox_ssh $U -- "echo SHOULD-NOT-RUN" 2>&1)
rc=$?
is "$rc" 254 "failed box: ssh command exits 254"
unlike "$out" "SHOULD-NOT-RUN" "failed box: the command did not run"
like "$(nsbox_log_since "$m")" "pam_nsbox\(nsbox-test-sshd:session\): no box for user 'nsbt-ssh': bad config: .*bad.conf:2: .*session denied" "failed box: the module logs why"
out=$(printf 'echo SHELL-$((6*7))\nexit\n' | nsbox_ssh $U -tt -- 2>&1)
unlike "$out" "SHELL-42" "failed box: no pty shell"
out=$(nsbox_sftp $U "$NSBOX_T/batch" 2>&1)
isnt $? 0 "failed box: sftp fails"
rm -f /dev/shm/sftp-marker
nsbox_ssh $U -N -L 17778:127.0.0.1:7777 -- &
fp=$!
sleep 1.5
got=$(socat -T1 -t1 - TCP:127.0.0.1:17778 </dev/null 2>/dev/null)
unlike "$got" "HOST" "failed box: -L forwarding does not reach the host's loopback"
kill $fp 2>/dev/null
wait $fp 2>/dev/null
nsbox_check_clean "failed box"
