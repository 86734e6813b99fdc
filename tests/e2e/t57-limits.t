#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A box cannot exhaust the host: tasks_max, memory_max and cpu_quota bound every
# process of the box, enforced here on this host's cgroup v1 controllers (no systemd: cgroups of
# the box's own below the test's, which the box init and the session's processes are moved
# into). Each attack runs in a box with the limit and in one without (the probe works): a fork
# bomb stops at tasks_max; a memory hog and a tmpfs fill stop at memory_max (the cgroup's peak
# stays below the limit); a CPU spinner is throttled at cpu_quota (the cgroup's throttling
# counters, never wall-clock time). Also: a cgroup namespace (no host path in /proc/self/cgroup),
# a daemon the session starts stays bound, nothing left after logout, and a limit whose
# controller is missing refuses the login with one line.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_require_cmd python3
nsbox_private_state

for c in memory pids cpu; do
	grep -qE "^[0-9]+:([^:]*,)?$c(,[^:]*)?:" /proc/self/cgroup ||
		skip_all "no cgroup v1 $c controller here (this test is for the hybrid hosts CI runs on)"
done
U=nsbt-lim
nsbox_add_user $U
LIM=$(nsbox_conf limited.conf "[defaults]
profile = restricted
memory_max = 64m
tasks_max = 40
cpu_quota = 20%")
SHARED=$(nsbox_conf shared.conf "[defaults]
profile = restricted
share = user
memory_max = 64m")
FREE=$(nsbox_conf free.conf "[defaults]
profile = restricted
memory_max = none
tasks_max = none
cpu_quota = none")
nsbox_service nsbox-test-lim "conf=$LIM"
nsbox_service nsbox-test-free "conf=$FREE"
nsbox_service nsbox-test-limsh "conf=$SHARED"
check "nsboxctl check shows the limits" sh -c "'$NSBOX_CTL' check '$LIM' --user $U | grep -qxE 'memory_max = 64m|tasks_max = 40|cpu_quota = 20%'"
is "$("$NSBOX_CTL" check conf/nsbox.conf --user $U | grep -E '^(memory_max|tasks_max|cpu_quota) =' | tr '\n' ' ')" \
	"memory_max = 2g tasks_max = 512 cpu_quota = 100% " "the shipped restricted profile's limits"

# the box's cgroup directory in hierarchy C of process P (the test's own view: full paths)
cgdir() {
	local rel
	rel=$(sed -nE "s/^[0-9]+:([^:]*,)?$1(,[^:]*)?:(.*)$/\3/p" /proc/$2/cgroup)
	echo "/sys/fs/cgroup/$1$rel"
}
S=$NSBOX_T/s
mkdir -m 1777 "$S"
# hold SVC NAME CMD : a session that runs CMD, writes its output to $S/NAME.out, then waits for
# $S/NAME.go to exist (in the background; its pid in $held)
hold() {
	rm -f "$S/$2.out" "$S/$2.go"
	"$NSBOX_PAMRUN" "$1" $U -- sh -c "{ $3; } >$S/$2.out 2>&1; echo DONE >>$S/$2.out; while [ ! -e $S/$2.go ]; do sleep 0.1; done" &
	held=$!
	nsbox_wait "grep -qs DONE $S/$2.out" 60
}
# the first box's init; with limits, once it has joined the box's cgroups (it does so after its
# answer: box.c)
box_init_pid() { sed -n 's/^init=\([0-9]*\).*/\1/p' /run/nsbox/boxes/$(nsbox_records | head -1)/record; }
box_init() {
	local p
	p=$(box_init_pid)
	nsbox_wait "grep -qE '/nsbox-[0-9a-f]{8}\$' /proc/$p/cgroup" $NSBOX_SETTLE ||
		diag "box init $p did not join the box's cgroups: $(tr '\n' ' ' </proc/$p/cgroup)"
	echo "$p"
}

# 1. the cgroups, the namespace, the session's processes in them, a daemon too
hold nsbox-test-lim ns 'cat /proc/self/cgroup; (setsid sleep 1000 </dev/null >/dev/null 2>&1 &)'
INIT=$(box_init)
MEM=$(cgdir memory "$INIT")
like "$MEM" "/nsbox-[0-9a-f]{8}$" "the box init is in a memory cgroup of the box's own ($MEM)"
like "$(cgdir memory $$)" "^$(re "$(dirname "$MEM")")" "... made below the cgroup the login came from"
is "$(cat "$MEM/memory.limit_in_bytes")" $((64 << 20)) "memory_max = 64m is the cgroup's limit"
is "$(cat "$(cgdir pids "$INIT")/pids.max")" 40 "tasks_max = 40 is its pids.max"
is "$(cat "$(cgdir cpu "$INIT")/cpu.cfs_quota_us") $(cat "$(cgdir cpu "$INIT")/cpu.cfs_period_us")" \
	"20000 100000" "cpu_quota = 20% is 20 ms per 100 ms"
out=$(cat "$S/ns.out")
unlike "$out" ":/[a-z_]" "the session's /proc/self/cgroup shows no host path" "$out"
ok $(grep -qx '0::/' <<<"$out"; echo $?) "... its cgroup v2 line is its namespace's root"
members=$(cat "$MEM/cgroup.procs" | wc -l)
ok $([ "$members" -ge 3 ]; echo $?) "the session's shell, its daemon and the init are in the box's cgroup ($members processes)"
show=$("$NSBOX_CTL" show "$(nsbox_records | head -1)")
like "$show" "memory_max = 64m" "nsboxctl show: memory_max"
like "$show" "tasks_max = 40" "nsboxctl show: tasks_max"
like "$show" "cpu_quota = 20%" "nsboxctl show: cpu_quota"
like "$show" "cgroup = $(re "$MEM")" "nsboxctl show: the box's cgroups"
daemon=$(pgrep -u $U -x sleep | head -1)
is "$(cgdir memory "$daemon")" "$MEM" "a daemon the session started is in it"
touch "$S/ns.go"
wait $held
nsbox_wait "[ ! -d '$MEM' ]" 10
ok $? "logout: the box's cgroups are gone"
nsbox_check_clean "limits"

# 1a. a supervisor killed outright: its sweeper removes the box's cgroups too (they are in the
# description of what a box holds that teardown and sweeper share)
hold nsbox-test-lim kill 'echo K'
ID=$(nsbox_records | head -1)
MEM=$(cgdir memory "$(box_init)")
sup=$(sed -n 's/^supervisor=\([0-9]*\).*/\1/p' /run/nsbox/boxes/$ID/record)
kill -9 "$sup"
nsbox_wait "[ ! -d '$MEM' ] && [ ! -e /run/nsbox/boxes/$ID ]" 10
ok $? "supervisor killed: its sweeper removed the box's cgroups and its directory"
like "$(nsbox_log_since 0 | grep "box=$ID sweeper")" "removed what the box held" "... and said so"
wait $held 2>/dev/null
nsbox_check_clean "killed supervisor"

# 1b. a shared box: every member's processes are in the one box's cgroup
hold nsbox-test-limsh m1 'echo M1'
first=$held
hold nsbox-test-limsh m2 'echo M2'
second=$held
is "$(nsbox_records | wc -l)" 1 "shared: two sessions, one box"
MEM=$(cgdir memory "$(box_init)")
n=0
for p in $(cat "$MEM/cgroup.procs"); do [ "$(stat -c %U /proc/$p 2>/dev/null)" = $U ] && n=$((n + 1)); done
ok $([ $n -ge 2 ]; echo $?) "shared: both members' processes are in the box's memory cgroup ($n of the user's)"
touch "$S/m1.go" "$S/m2.go"
wait $first $second
nsbox_wait "[ ! -d '$MEM' ]" 10
ok $? "shared: the box's cgroups go with its last member"
nsbox_check_clean "shared limits"

# 2. the attacks, with and without the limits
# (the bomb's children are ended by pid before the next attack, which needs to fork)
fork_bomb='n=0; while [ $n -lt 200 ] && (sleep 60 & echo $! >>/tmp/bomb; exit 0) 2>/dev/null; do n=$((n + 1)); done; echo FORKED $n; kill $(cat /tmp/bomb); wait'
hog='python3 -c "a = bytearray(200 << 20); print(\"HOG survived\")"; echo HOG $?'
fill='dd if=/dev/zero of=/tmp/fill bs=1M count=200 2>/dev/null; echo FILL $(( $(stat -c %s /tmp/fill) >> 20 ))'
spin='timeout 1 sh -c "while :; do :; done"; echo SPUN'
for svc in nsbox-test-lim nsbox-test-free; do
	lim=$([ $svc = nsbox-test-lim ] && echo limited || echo free)
	hold $svc attack.$lim "$fork_bomb; $hog; $fill; $spin"
	if [ $lim = limited ]; then INIT=$(box_init); else INIT=$(box_init_pid); fi
	out=$(cat "$S/attack.$lim.out")
	note "$lim: $(tr '\n' ' ' <<<"$out")"
	forked=$(sed -n 's/^FORKED //p' <<<"$out")
	peak=$(cat "$(cgdir memory "$INIT")/memory.max_usage_in_bytes" 2>/dev/null || echo 0)
	throttled=$(sed -n 's/^nr_throttled //p' "$(cgdir cpu "$INIT")/cpu.stat" 2>/dev/null || echo 0)
	if [ $lim = limited ]; then
		ok $([ "${forked:-0}" -lt 40 ]; echo $?) "fork bomb: stopped at tasks_max ($forked of 200)"
		unlike "$out" "HOG survived" "memory hog: killed at memory_max"
		ok $([ "$peak" -le $((64 << 20)) ]; echo $?) "memory: the box's peak ($((peak >> 20)) MiB) stays within memory_max"
		ok $([ "$(sed -n 's/^FILL //p' <<<"$out")" -lt 64 ]; echo $?) "tmpfs fill: stopped below memory_max ($(sed -n 's/^FILL //p' <<<"$out") MiB written)"
		ok $([ "${throttled:-0}" -gt 0 ]; echo $?) "CPU spinner: throttled at cpu_quota ($throttled periods)"
	else
		is "$forked" 200 "no limits: the fork bomb's 200 forks all worked (the probe works)"
		like "$out" "HOG survived" "no limits: the memory hog got its 200 MiB"
		is "$(sed -n 's/^FILL //p' <<<"$out")" 200 "no limits: the tmpfs fill wrote 200 MiB"
	fi
	touch "$S/attack.$lim.go"
	wait $held
	nsbox_check_clean "$lim attacks"
done
# the host is unharmed: the test itself still forks
check "the host still forks" sh -c 'true & wait'

# 2a. a login from a cgroup a user may write (su run from a cgroup delegated to that user): its
# owner could remove the box's cgroup and make one of their own in its place, limits theirs to
# set. Refused, with one line; the same login from it once it is root's again is boxed.
DELEG=$(cgdir memory $$)
DELEG=${DELEG%/}/nsbt-deleg-$$
mkdir "$DELEG" || nsbox_die "harness: mkdir $DELEG"
nsbox_at_exit "[ ! -d '$DELEG' ] || rmdir '$DELEG'"
printf '#!/bin/sh\necho $$ >"%s/cgroup.procs" || exit 99\nexec "%s" "$@"\n' "$DELEG" \
	"$NSBOX_PAMRUN" >"$NSBOX_T/in-deleg" && chmod 755 "$NSBOX_T/in-deleg"
PAMRUN=$NSBOX_PAMRUN
NSBOX_PAMRUN=$NSBOX_T/in-deleg
chown $U "$DELEG"
nsbox_refused nsbox-test-lim $U "no box for user '$U': memory_max: this login's cgroup $(re "$DELEG") may be written by uid $(id -u $U) gid 0" \
	"a login from a cgroup the user owns"
chown root "$DELEG"
out=$("$NSBOX_PAMRUN" nsbox-test-lim $U -- sh -c 'readlink /proc/self/ns/net' 2>&1)
ok $? "the same login from a root-owned cgroup is boxed (the probe works)" "$out"
isnt "$out" "$(readlink /proc/self/ns/net)" "... in a network namespace of its own"
NSBOX_PAMRUN=$PAMRUN
nsbox_check_clean "a login from a root-owned child cgroup"
nsbox_wait "rmdir '$DELEG' 2>/dev/null" $NSBOX_SETTLE
ok $? "the test's cgroup is gone"

# 2b. a long mountinfo: each live box adds its netns name to the host's, and the helper reads it
# whole to find the cgroup mounts (a fixed 256 KiB used to refuse every login with limits past
# about 2600 live boxes). 3000 mounts more here.
MANY=$NSBOX_T/many
mkdir "$MANY" && mount -t tmpfs -o size=1m nsbt-many "$MANY" || nsbox_die "harness: tmpfs $MANY"
for i in $(seq 3000); do mkdir "$MANY/$i" && mount --bind "$MANY/$i" "$MANY/$i" || break; done
n=$(wc -c </proc/self/mountinfo)
ok $([ "$n" -gt $((256 * 1024)) ]; echo $?) "the host's mountinfo is $n bytes, more than 256 KiB"
out=$("$NSBOX_PAMRUN" nsbox-test-lim $U -- cat /proc/self/cgroup 2>&1)
ok $? "a login with limits still runs" "$out"
umount -l "$MANY"
nsbox_check_clean "a long mountinfo"

# 3. a limit whose controller is not there: refused, with one line, whatever on_error says
umount -l /sys/fs/cgroup/pids
nsbox_refused nsbox-test-lim $U "no box for user '$U': tasks_max: no pids controller below this login's cgroup" \
	"tasks_max without a pids controller"
