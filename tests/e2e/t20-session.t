#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# What a boxed user's processes see, through the su-like session runner (tests/pam-run.c):
# namespaces, /proc, hostname, interfaces, /dev/shm, IPC, fds; concurrency; and that killing the
# init, the supervisor or the application ends the whole box.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

U=nsbt-sess
nsbox_add_user $U
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-%s")
nsbox_service nsbox-test-sess "conf=$CONF"

run() { "$NSBOX_PAMRUN" nsbox-test-sess $U -- "$@"; }
probe='for t in pid mnt ipc uts net; do printf "%s " "$(readlink /proc/self/ns/$t)"; done; echo'

host_ns=$(nsbox_host_ns)
plain_ns=$("$NSBOX_PAMRUN" -n nsbox-test-sess $U -- sh -c "$probe")
is "$(echo $plain_ns)" "$host_ns" "baseline: an unboxed run shares the test's namespaces"

# /run/netns itself, made a shared mount point at the first box as `ip netns add` makes it, stays;
# every name in it (/run/netns/nsbox-ID) is counted
mounts() { awk '$5 != "/run/netns"' /proc/self/mountinfo | wc -l; }
mounts_before=$(mounts)
ipcmk -M 4096 >/dev/null
host_shm_dev=$(stat -c %d /dev/shm)

out=$(run sh -c "
echo NS \$($probe)
echo PID \$\$
echo INIT \$(cat /proc/1/comm)
echo INITPS \$(ps -o args= -p 1)
echo PIDS \$(ls /proc | grep -E '^[0-9]+\$' | tr '\n' ' ')
echo HOST \$(hostname)
echo NET \$(ls /sys/class/net | tr '\n' ' ')
echo SHMDEV \$(stat -c %d /dev/shm)
echo MQ \$(stat -f -c %T /dev/mqueue)
echo SYSV \$(ipcs -m | grep -c '^0x')
echo ID \$NSBOX_ID
echo FDS \$(for n in \$(seq 0 300); do [ -e /proc/self/fd/\$n ] && printf '%s ' \$n; done)
echo LO \$(cat /sys/class/net/lo/operstate)
echo NETNS \$(ls -A /run/netns 2>/dev/null | tr '\n' ' ')
echo NETNSMNT \$(grep -c ' /run/netns/' /proc/self/mountinfo)
")
rc=$?
ok $rc "boxed command runs" "$out"
field() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }
box_ns=$(field NS)
for t in pid mnt ipc uts net; do
	h=$(echo "$host_ns" | tr ' ' '\n' | grep "^$t:")
	b=$(echo "$box_ns" | tr ' ' '\n' | grep "^$t:")
	like "$b" "^$t:\[[0-9]+\]$" "box has a $t namespace id"
	isnt "$b" "$h" "box $t namespace differs from the host's"
done
pid=$(field PID)
ok $([ "$pid" -gt 1 ] 2>/dev/null; echo $?) "user's process is not PID 1 (pid $pid)"
is "$(field INIT)" "nsbox-init" "PID 1 of the box is the nsbox init"
is "$(field INITPS)" "nsbox-init" "and ps shows it so (its command line, not nsbox-helper --session)"
pids=$(field PIDS)
like "$pids" "^1 " "/proc lists the box init"
n=$(echo $pids | wc -w)
ok $([ "$n" -le 6 ]; echo $?) "/proc lists only the box's few processes ($pids)"
unlike " $pids " " $$ " "/proc does not list the test's own pid"
is "$(field HOST)" "$U-nsbox-test-sess" "hostname from the template"
is "$(field NET)" "lo" "/sys/class/net shows only lo"
is "$(field LO)" "unknown" "lo is up"
isnt "$(field SHMDEV)" "$host_shm_dev" "/dev/shm is a private tmpfs"
is "$(field MQ)" "mqueue" "/dev/mqueue is the box's own mqueue"
is "$(field SYSV)" "0" "host SysV shared memory is invisible"
like "$(field ID)" "^[0-9a-f]{8}$" "NSBOX_ID is set"
is "$(field FDS)" "0 1 2" "no fd of the module or helper reaches the user's process"
# the host's netns names (its own included) are mounts the box would otherwise hold a copy of,
# and receive every later one: O(live boxes) mounts per box, and every box's id
is "$(field NETNS)" "" "/run/netns in the box is empty: no host netns name, not even its own"
is "$(field NETNSMNT)" "0" "and no netns name is mounted in the box's mount namespace"
is "$(hostname)" "$(uname -n)" "host hostname unchanged"
ipcrm --all=shm >/dev/null 2>&1
nsbox_check_clean "after the session"
is "$(mounts)" "$mounts_before" "no mount appeared in the test's namespace"

# ---- failure: the command must not run ----
BAD=$(nsbox_conf bad.conf "[defaults]
nonsense = 1")
nsbox_service nsbox-test-sessbad "conf=$BAD"
rm -f "$NSBOX_T/ran"
"$NSBOX_PAMRUN" nsbox-test-sessbad $U -- touch "$NSBOX_T/ran" 2>/dev/null
isnt $? 0 "failed box: the runner reports failure"
ok $([ ! -e "$NSBOX_T/ran" ]; echo $?) "failed box: the command did not run"
nsbox_check_clean "failed box"

# ---- a multi-threaded application is refused ----
m=$(nsbox_log_mark)
rm -f "$NSBOX_T/ran"
"$NSBOX_PAMRUN" -T nsbox-test-sess $U -- touch "$NSBOX_T/ran" 2>/dev/null
isnt $? 0 "multi-threaded application: session refused"
ok $([ ! -e "$NSBOX_T/ran" ]; echo $?) "multi-threaded application: the command did not run"
like "$(nsbox_log_since "$m")" "no box for user '$U': application is multi-threaded; session denied" "multi-threaded application: the log says why"
unlike "$(nsbox_log_since "$m")" "nsbox-helper" "multi-threaded application: refused before the helper ran (no box built, no helper log line)"
nsbox_check_clean "multi-threaded application"

# ---- nsboxctl list, show, enter, stop on a live box ----
"$NSBOX_PAMRUN" nsbox-test-sess $U -- sleep 300 &
held=$!
nsbox_wait '[ -n "$(nsbox_records)" ] && grep -q "^init=[1-9]" /run/nsbox/boxes/$(nsbox_records | head -1)/record' 5
ID=$(nsbox_records | head -1)
like "$("$NSBOX_CTL" list | grep "^$ID")" "^$ID +$U +nsbox-test-sess +- +- +[0-9]+s +[0-9]+ +" "nsboxctl list shows the box"
like "$("$NSBOX_CTL" list --json)" "^\[\{\"id\":\"$ID\",\"user\":\"$U\"" "nsboxctl list --json"
like "$("$NSBOX_CTL" show "$ID")" "ns.net = net:\[[0-9]+\]" "nsboxctl show gives the box's namespaces"
is "$("$NSBOX_CTL" enter "$ID" hostname)" "$U-nsbox-test-sess" "nsboxctl enter runs a command inside the box"
"$NSBOX_CTL" show 00000000 >/dev/null 2>&1
is $? 1 "nsboxctl show of an unknown box fails"
"$NSBOX_CTL" stop "$ID"
ok $? "nsboxctl stop"
nsbox_wait "! nsbox_alive $held" 5
ok $? "nsboxctl stop ends the session's box and its processes"
wait $held 2>/dev/null
nsbox_check_clean "nsboxctl stop"

# ---- two concurrent sessions: two boxes ----
run sh -c "echo \$NSBOX_ID \$(readlink /proc/self/ns/net); sleep 1" >"$NSBOX_T/a" &
a=$!
run sh -c "echo \$NSBOX_ID \$(readlink /proc/self/ns/net); sleep 1" >"$NSBOX_T/b" &
b=$!
nsbox_wait '[ "$(nsbox_records | wc -l)" -eq 2 ]' 5
is "$(nsbox_records | wc -l)" 2 "two concurrent sessions have two box records"
wait $a $b
isnt "$(cat "$NSBOX_T/a")" "$(cat "$NSBOX_T/b")" "two concurrent sessions get two boxes (ids and net ns differ)"
nsbox_check_clean "concurrent sessions"

# ---- kill points: init, supervisor, application ----
# Starts a session whose box holds a long sleep; sets SESS (runner pid), ID, INIT, SUP, SLEEPER.
start_held() {
	"$NSBOX_PAMRUN" nsbox-test-sess $U -- sh -c 'sleep 300 & wait' &
	SESS=$!
	nsbox_wait '[ -n "$(nsbox_records)" ]' 5
	ID=$(nsbox_records | head -1)
	nsbox_wait "grep -q '^init=[1-9]' /run/nsbox/boxes/$ID/record" 5
	INIT=$(sed -n 's/^init=//p' /run/nsbox/boxes/$ID/record)
	SUP=$(sed -n 's/^supervisor=//p' /run/nsbox/boxes/$ID/record)
	nsbox_wait "pgrep -x sleep -u $U >/dev/null" 5
	SLEEPER=$(pgrep -x sleep -u $U | head -1)
}
# The user's processes die at once (waited for up to $NSBOX_SETTLE s). The init itself finishes only once every
# process of the box is reaped, and orphans whose parent was outside the box (the runner's child)
# are reaped by the host's PID 1, which on some machines takes seconds: wait longer for it.
users_gone() { ! nsbox_alive "$SLEEPER" && [ -z "$(nsbox_user_procs $U)" ]; }
box_gone() { users_gone && ! nsbox_alive "$INIT"; }

start_held
ok $([ -n "$SLEEPER" ] && [ -n "$INIT" ]; echo $?) "held session started (init $INIT, sleeper $SLEEPER)"
kill -9 "$INIT"
nsbox_wait box_gone $NSBOX_SETTLE
ok $? "kill -9 of the box init ends the box"
wait $SESS 2>/dev/null
nsbox_check_clean "init killed"

start_held
kill -9 "$SUP"
nsbox_wait users_gone $NSBOX_SETTLE
ok $? "kill -9 of the supervisor kills the user's processes"
nsbox_wait box_gone 10
ok $? "and the box init is gone"
wait $SESS 2>/dev/null
# the supervisor could not remove its own record: the next box's helper collects it
run true
nsbox_check_clean "supervisor killed (record collected by the next login)"

start_held
kill -9 "$SESS"
nsbox_wait users_gone $NSBOX_SETTLE
ok $? "kill -9 of the application kills the user's processes"
nsbox_wait box_gone 10
ok $? "and the box init is gone"
wait $SESS 2>/dev/null
nsbox_check_clean "application killed"
