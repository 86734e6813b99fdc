#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The sweeper (helper/sweeper.c) in the two cases a review found it failing in: the supervisor
# OOM-killed in a small memory cgroup (the OOM killer kills every process sharing its victim's
# memory: a sweeper that was a CLONE_VM clone died with it, and nothing was swept), and a box
# directory that someone (a gc's probe) holds locked when the sweeper comes (it gave up
# silently: it must try again, and say when it gives up). Each time the box holds a veth, a
# pool lease, a named netns and its record; the sweeper removes them without any gc.
#
# The memory cgroup is a child of the one this test runs in (never at the hierarchy's root),
# made for the test and removed at exit; the memory hog and every process moved into it are
# killed or moved back first.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/faults.sh"
nsbox_private_state

BR=nsbt-swbr0
ip link add $BR type bridge && ip addr add 10.81.0.1/24 dev $BR && ip link set $BR up ||
	nsbox_die "cannot make the test bridge"
U=nsbt-sweep
nsbox_add_user $U
FW_USERS=$U
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box
network = bridge
bridge  = $BR
address = pool 10.81.0.0/24 10.81.0.10-10.81.0.20
gateway = 10.81.0.1")
SVC=nsbox-test-sweep
nsbox_service $SVC "conf=$CONF"
S=$NSBOX_T/s
mkdir -m 1777 "$S"

# ---------------------------------------------------------------------------------------------
# The memory cgroup: v1's memory hierarchy (mounted privately when this root has it unmounted),
# else cgroup2 with the memory controller delegated to our cgroup's children

CG=""
CG_PARENT=""
_sw_cleanup() {
	local p
	[ -n "$CG" ] && [ -d "$CG" ] || return 0
	for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
		echo "$p" >"$CG_PARENT/cgroup.procs" 2>/dev/null
	done
	rmdir "$CG" 2>/dev/null || diag "cannot remove the test's cgroup $CG"
}
trap '_sw_st=$?; _sw_cleanup; (exit $_sw_st); _nsbox_on_exit' EXIT

cgroup_setup() {
	local rel root
	rel=$(sed -n 's/^[0-9]*:memory:\(.*\)$/\1/p' /proc/self/cgroup)
	if [ -n "$rel" ]; then
		root=/sys/fs/cgroup/memory
		if [ ! -f "$root/cgroup.procs" ]; then
			mkdir -p "$NSBOX_T/memcg" && mount -t cgroup -o memory nsbt-memcg "$NSBOX_T/memcg" ||
				return 1
			root=$NSBOX_T/memcg
		fi
		CG_PARENT=$root${rel%/}
		CG=$CG_PARENT/nsbt-oom-$$
		mkdir "$CG" && echo $((64 << 20)) >"$CG/memory.limit_in_bytes" || return 1
		CG_OOMS() { sed -n 's/^oom_kill //p' "$CG/memory.oom_control"; }
	else
		rel=$(sed -n 's/^0::\(.*\)$/\1/p' /proc/self/cgroup)
		CG_PARENT=/sys/fs/cgroup${rel%/}
		grep -qw memory "$CG_PARENT/cgroup.subtree_control" 2>/dev/null || return 1
		CG=$CG_PARENT/nsbt-oom-$$
		mkdir "$CG" && echo $((64 << 20)) >"$CG/memory.max" || return 1
		CG_OOMS() { sed -n 's/^oom_kill //p' "$CG/memory.events"; }
	fi
	[ -d "$CG" ]
}

# ---------------------------------------------------------------------------------------------

# warm-up: /run/netns becomes a mount point at the first named netns; then the baseline
"$NSBOX_PAMRUN" $SVC $U -- true
ok $? "warm-up login works"
nsbox_wait '[ -z "$(nsbox_records)" ]' 5
fw_baseline

record_field() { sed -n "s/^$2=//p" "/run/nsbox/boxes/$1/record" 2>/dev/null; }

# held_session : a login whose command waits for $S/hold; sets SP (the session runner), ID, SUP
# (the supervisor), SW (its sweeper), SLEEPER (the user's process in the box)
held_session() {
	touch "$S/hold"
	"$NSBOX_PAMRUN" $SVC $U -- sh -c "echo up >$S/up; while [ -e $S/hold ]; do sleep 0.05; done" \
		</dev/null >/dev/null 2>&1 &
	SP=$!
	nsbox_wait "[ -s $S/up ]" 10
	rm -f "$S/up"
	ID=$(nsbox_records | head -1)
	SUP=$(record_field "$ID" supervisor)
	SW=$(ps -o pid=,comm= --ppid "$SUP" | awk '$2 == "nsbox-sweeper" {print $1; exit}')
	SLEEPER=$(pgrep -u $U -x sh | head -1)
	[ -n "$ID" ] && [ -n "$SUP" ] && [ -n "$SW" ] && [ -n "$SLEEPER" ]
}

# ---- the OOM killer takes the supervisor: its sweeper survives and sweeps ----
cgroup_setup || skip_all "no memory cgroup to make below $(grep -E '(^0::|:memory:)' /proc/self/cgroup | tr '\n' ' ')"
note "memory cgroup: $CG"
held_session
ok $? "held session (box $ID, supervisor $SUP, sweeper $SW)"
is "$(held_leases)/$(host_veths | wc -l)/$(fw_netns | wc -l)" "1/1/1" "the box holds a lease, a veth and a named netns"
m=$(nsbox_log_mark)
# the supervisor and its sweeper in the small cgroup, the supervisor the OOM killer's choice
# (oom_score_adj 1000 adds about the cgroup's size to its score); then four hogs that fill the
# cgroup together (tail keeps the endless line of /dev/zero), each with about a quarter of it
# when it is full: smaller than the supervisor's score, larger than the sweeper's
echo "$SUP" >"$CG/cgroup.procs" && echo "$SW" >"$CG/cgroup.procs" && echo 1000 >"/proc/$SUP/oom_score_adj"
ok $? "supervisor and sweeper moved into the 64 MiB cgroup; the supervisor's oom_score_adj is 1000"
oom0=$(CG_OOMS)
HOGS=()
for i in 1 2 3 4; do
	sh -c "echo \$\$ >'$CG/cgroup.procs' && exec tail /dev/zero" >/dev/null 2>&1 &
	HOGS+=($!)
done
nsbox_track_pid "${HOGS[@]}"
nsbox_wait "! nsbox_alive $SUP" 30
ok $? "the supervisor is dead"
ok $([ "$(CG_OOMS)" -gt "$oom0" ]; echo $?) "killed by the cgroup's OOM killer ($oom0 -> $(CG_OOMS) kills)"
left=$(fw_clean_within $FW_SETTLE)
ok "$([ -z "$left" ]; echo $?)" "its sweeper removed what the box held: nothing left without a gc" "$left"
like "$(nsbox_log_since "$m")" "box=$ID sweeper: supervisor $SUP ended before its teardown was done; removed what the box held on the host" \
	"the sweeper says what it did, in one line"
_nsbox_kill_pids 10 "${HOGS[@]}"
rm -f "$S/hold"
wait $SP 2>/dev/null
[ -z "$left" ] || fw_force_clean
_sw_cleanup
ok $([ ! -d "$CG" ]; echo $?) "the test's cgroup is removed"
CG=""

# ---- a box directory someone holds locked when the sweeper comes ----
# The supervisor holds its directory's lock until it dies; a gc's probe takes it shared for a
# moment. The test stops the sweeper, kills the supervisor, takes the lock as a probe would, and
# lets the sweeper go on while it is held.
# lock_dir : a shared flock on the box's directory until $S/lock.hold goes
lock_dir() {
	touch "$S/lock.hold"
	flock -s "/run/nsbox/boxes/$ID" sh -c "touch $S/locked; while [ -e $S/lock.hold ]; do sleep 0.05; done" &
	FL=$!
	nsbox_wait "[ -e $S/locked ]" 5
	rm -f "$S/locked"
}
# sleeping SWEEPER : the sweeper sleeps between two tries ((clock_)nanosleep), or is gone
sleeping() { ! nsbox_alive "$1" || grep -qE '^(35|230) ' "/proc/$1/syscall" 2>/dev/null; }

# kill_locked : the supervisor killed, the lock taken, the sweeper let go on
kill_locked() {
	kill -STOP "$SW"
	kill -KILL "$SUP"
	nsbox_wait "! nsbox_alive $SUP" 5
	lock_dir
	kill -CONT "$SW"
}

held_session
ok $? "held session (box $ID, supervisor $SUP, sweeper $SW)"
m=$(nsbox_log_mark)
kill_locked
nsbox_wait "sleeping $SW" 5
ok $(nsbox_alive "$SW"; echo $?) "the sweeper waits while the directory is locked"
rm -f "$S/lock.hold"
wait $FL
left=$(fw_clean_within $FW_SETTLE)
ok "$([ -z "$left" ]; echo $?)" "the lock released, the sweeper removes what the box held" "$left"
like "$(nsbox_log_since "$m")" "box=$ID sweeper: supervisor $SUP ended before its teardown was done; removed what the box held on the host" \
	"and says so"
rm -f "$S/hold"
wait $SP 2>/dev/null
[ -z "$left" ] || fw_force_clean

# held past the sweeper's bound: it gives up and says so; the gc collects the box later
held_session
ok $? "held session (box $ID, supervisor $SUP, sweeper $SW)"
m=$(nsbox_log_mark)
kill_locked
nsbox_wait "nsbox_log_grep 'box=$ID sweeper: ' $m >/dev/null" 15
like "$(nsbox_log_since "$m")" "box=$ID sweeper: supervisor $SUP ended before its teardown was done; its directory stayed locked for [0-9]+ s; left to the gc: " \
	"locked for good: the sweeper gives up, in one line"
ok "$([ -n "$(fw_records)" ]; echo $?)" "and the record is still there"
rm -f "$S/lock.hold"
wait $FL
# the gc (nsboxctl list here, the next login's in production) takes the record and the netns
# name; the next lease reclaims the dead holder's address
fw_gc
"$NSBOX_PAMRUN" $SVC $U -- true
left=$(fw_clean_within $FW_SETTLE)
ok "$([ -z "$left" ]; echo $?)" "the gc and the next login collect what the sweeper left" "$left"
rm -f "$S/hold"
wait $SP 2>/dev/null
[ -z "$left" ] || fw_force_clean

nsbox_check_clean "sweeper"
