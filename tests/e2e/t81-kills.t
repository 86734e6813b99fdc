#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Killing each link of a live session's chain, and stopping the supervisor mid-login: kill -9
# of the sshd monitor, of the supervisor, of the box init, each mid-session (loopback and
# bridged); SIGSTOP of the supervisor while it builds the box, the application killed
# meanwhile. Each time the session ends (or the login is refused) and nothing is left: no
# process, mount, veth, named netns, record or held lease (tests/e2e/faults.sh lists them).
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/faults.sh"
nsbox_require_cmd strace
nsbox_private_state

BR=nsbt-kbr0
ip link add $BR type bridge && ip addr add 10.79.0.1/24 dev $BR && ip link set $BR up ||
	nsbox_die "cannot make the test bridge"
U=nsbt-kill
UB=nsbt-killbr
nsbox_add_user $U
nsbox_add_user $UB
FW_USERS="$U $UB"
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box

[match user=$UB]
network = bridge
bridge  = $BR
address = pool 10.79.0.0/24 10.79.0.10-10.79.0.11
gateway = 10.79.0.1")
SVC=nsbox-test-kill
nsbox_service $SVC "conf=$CONF"
nsbox_sshd_start $SVC
nsbox_ssh_authorize $U $UB
fw_setup

# warm-up: /run/netns becomes a mount point at the first named netns; then the baseline
nsbox_ssh $U -- true && nsbox_ssh $UB -- true
ok $? "warm-up logins work"
nsbox_wait '[ -z "$(nsbox_records)" ]' 5
fw_baseline
ok "$(fw_clean_within 5 >/dev/null; echo $?)" "warm-up leaves nothing" "$(fw_leftovers)"

# record_field ID KEY : a value from the box's record
record_field() { sed -n "s/^$2=//p" "/run/nsbox/boxes/$1/record" 2>/dev/null; }

# held_session USER : starts `ssh USER sleep 300` in the background; sets SP (ssh), ID, INIT,
# SUP (the supervisor), MON (sshd's monitor), SLEEPER (the user's process in the box)
held_session() {
	local u=$1
	nsbox_ssh "$u" -- 'sleep 300' </dev/null >/dev/null 2>&1 &
	SP=$!
	nsbox_wait '[ -n "$(nsbox_records)" ] && [ -n "$(record_field $(nsbox_records | head -1) init)" ]' 10
	ID=$(nsbox_records | head -1)
	INIT=$(record_field "$ID" init | cut -d' ' -f1)
	SUP=$(record_field "$ID" supervisor | cut -d' ' -f1)
	nsbox_wait "pgrep -f ': $u \\[priv\\]' >/dev/null" 5
	MON=$(pgrep -f ": $u \[priv\]" | head -1)
	nsbox_wait "pgrep -x sleep -u $u >/dev/null" 5
	SLEEPER=$(pgrep -x sleep -u "$u" | head -1)
	[ -n "$ID" ] && [ -n "$INIT" ] && [ -n "$SUP" ] && [ -n "$MON" ] && [ -n "$SLEEPER" ]
}

# after_kill WHAT [reaper] : the user's processes die; everything else is gone (bound $FW_SETTLE s),
# without a gc (a supervisor killed outright is swept by its sweeper)
after_kill() {
	local what=$1 left FW_WHAT=$1
	nsbox_wait "! nsbox_alive $SLEEPER" $FW_SETTLE
	ok $? "$what: the user's process in the box is dead"
	left=$(fw_clean_within $FW_SETTLE)
	# a kill of sshd's monitor orphans its user child to the host's PID 1, and the box init
	# lives until that child is reaped: on a host whose PID 1 reaps late (this VM's reaps
	# seconds late) the init may outlive that bound; everything else must not
	if [ -n "$left" ] && [ "${2:-}" = reaper ]; then
		local rest
		rest=$(echo "$left" | grep -v "^process $INIT:")
		if [ -z "$rest" ]; then
			note "$what: only the box init $INIT is left after $FW_SETTLE s (waiting for the host's reaper)"
			nsbox_wait "! nsbox_alive $INIT" 30
			left=$(fw_clean_within $FW_SETTLE)
		fi
	fi
	ok "$([ -z "$left" ]; echo $?)" "$what: nothing left (process, mount, veth, netns, record, lease)" "$left"
	wait "$SP" 2>/dev/null
	[ -z "$left" ] || fw_force_clean
}

# The sweeper's probe (after held_session): with the sweeper killed as well, what the box held
# stays until the gc, so the checks above can see it. Not a figure of the product.
no_sweeper_probe() {
	local FW_TIMES=/dev/null left sw
	sw=$(ps -o pid=,comm= --ppid "$SUP" | awk '$2 == "nsbox-sweeper" {print $1; exit}')
	kill -9 "$sw" "$SUP"
	nsbox_wait "! nsbox_alive $INIT" $FW_SETTLE
	nsbox_wait "! nsbox_alive $SLEEPER" $FW_SETTLE
	left=$(fw_clean_within 2)
	like "$(echo $left)" "record $ID" "$kind: probe: with its sweeper killed too, the record is left (the check sees it)"
	[ $kind = loopback ] || like "$(echo $left)" "veth nsb$ID" "$kind: probe: and the veth"
	fw_gc
	left=$(fw_clean_within $FW_SETTLE) || { fw_reclaim $SVC "$u" && left=""; }
	ok "$([ -z "$left" ]; echo $?)" "$kind: probe: the gc then collects it" "$left"
	wait "$SP" 2>/dev/null
	[ -z "$left" ] || fw_force_clean
}

for u in $U $UB; do
	kind=loopback
	[ $u = $UB ] && kind=bridged

	# ---- kill -9 of the sshd monitor ----
	held_session $u
	ok $? "$kind: held ssh session (monitor $MON, supervisor $SUP, init $INIT)"
	kill -9 "$MON"
	after_kill "$kind: kill -9 of sshd's monitor" reaper

	# ---- kill -9 of the supervisor: its sweeper removes what the box held, no gc needed ----
	held_session $u
	ok $? "$kind: held ssh session (supervisor $SUP)"
	SWEEPER=$(ps -o pid=,comm= --ppid "$SUP" | awk '$2 == "nsbox-sweeper" {print $1; exit}')
	ok "$([ -n "$SWEEPER" ]; echo $?)" "$kind: the supervisor has its sweeper ($SWEEPER)"
	m=$(nsbox_log_mark)
	kill -9 "$SUP"
	nsbox_wait "! nsbox_alive $INIT" $FW_SETTLE
	ok $? "$kind: kill -9 of the supervisor: the box init follows it"
	after_kill "$kind: kill -9 of the supervisor"
	like "$(nsbox_log_since "$m")" "box=$ID sweeper: supervisor $SUP ended before its teardown was done; removed what the box held on the host" \
		"$kind: kill -9 of the supervisor: the sweeper says what it did, in one line"

	# ---- the probe without the sweeper: kill -9 of both leaves the box to the gc ----
	held_session $u
	ok $? "$kind: held ssh session (supervisor $SUP)"
	no_sweeper_probe

	# ---- kill -9 of the box init ----
	held_session $u
	ok $? "$kind: held ssh session (init $INIT)"
	kill -9 "$INIT"
	after_kill "$kind: kill -9 of the box init"
	nsbox_wait "! kill -0 $SP 2>/dev/null" 5
	ok $? "$kind: kill -9 of the box init: the ssh session ends"
done

# the kills' figure; the SIGSTOP cases below wait out a deliberate 3 s delay, so they are not in it
note "$(fw_times "kills" each)"

# ---- SIGSTOP of the supervisor during the login, the application killed meanwhile ----
# The helper runs under strace (tests/fault-wrap) with a 3 s delay at its clone3, after the
# box's id is reserved; the test stops it there and kills the PAM application (the module's own
# timeout cannot be shorter than the helper's bounds, NSBOX_REPLY_TIMEOUT_MIN_MS; t82 waits for
# it once), then lets the helper go on: it finds the module gone and tears down what it built.
fw_service nsbox-test-stop "$CONF"
for u in $U $UB; do
	kind=loopback
	[ $u = $UB ] && kind=bridged
	fw_args /usr/bin/strace -f -qq -o /dev/null -e trace=clone3 -e inject=clone3:delay_enter=3000000:when=1 \
		-- "$NSBOX_HELPER" --session
	m=$(nsbox_log_mark)
	"$NSBOX_PAMRUN" nsbox-test-stop $u -- touch "$NSBOX_T/ran" >/dev/null 2>&1 &
	lp=$!
	nsbox_wait '[ -n "$(fw_procs | grep -F "$NSBOX_HELPER --session" | grep -v strace)" ]' 5
	sup=$(ps -o pid=,comm= --ppid "$(fw_procs | awk -F: '/strace/ {print $1; exit}')" | awk '$2 == "nsbox-helper" {print $1; exit}')
	kill -STOP "$sup" 2>/dev/null
	ok $? "$kind SIGSTOP: supervisor $sup stopped mid-login"
	kill -KILL $lp
	wait $lp 2>/dev/null
	ok $([ ! -e "$NSBOX_T/ran" ]; echo $?) "$kind SIGSTOP: the command did not run"
	kill -CONT "$sup"
	# the delay still runs out (3 s from the clone3), then the build, the failed reply, undo
	left=$(fw_clean_within $((FW_SETTLE + 3)))
	ok "$([ -z "$left" ]; echo $?)" "$kind SIGSTOP: once continued, nothing is left" "$left" \
		"$(nsbox_log_since "$m")"
	like "$(nsbox_log_since "$m")" "box=[0-9a-f]{8} module went away before the reply" \
		"$kind SIGSTOP: once continued, the helper finds the module gone and says so"
	[ -z "$left" ] || fw_force_clean
	rm -f "$NSBOX_T/ran"
done
fw_plain
