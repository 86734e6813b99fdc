#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Fault injection at every step of box setup and teardown (short form; `make soak` runs every
# occurrence in tests/soak/faults.t): the real helper runs under `strace --inject`
# (tests/e2e/faults.sh), once per injected fault: an error (EIO; ENOMEM for clone3) or a SIGKILL
# at the Nth call of each syscall the helper and the box init make. After each, the login is
# refused or ran boxed (never unboxed), and once it settles nothing is left: no helper, init or user
# process, no mount, veth, named netns, record or held lease. A supervisor killed outright
# leaves its record to the gc (nsboxctl list here, the next login in production) and a dead
# holder's lease to the next lease: that is checked too. Then the kill -9 and SIGSTOP cases of
# the whole chain: sshd's monitor, the supervisor, the box init.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/faults.sh"
nsbox_require_cmd strace
nsbox_private_state

# FW_STEP: for syscalls made many times (openat, read, fstat...), every FW_STEP-th occurrence
# (with the first and the last); the step syscalls in FW_EVERY always get every occurrence.
FW_STEP=${FW_STEP:-8}
FW_EVERY=${FW_EVERY:-'clone3|mount|umount2|mount_setattr|open_tree|move_mount|fsopen|fsconfig|fsmount|mkdir|mkdirat|write|flock|renameat2|renameat|rename|linkat|unlinkat|unlink|socket|bind|sendto|sendmsg|recvmsg|recvfrom|sethostname|setns|pidfd_open|pidfd_send_signal|kill|wait4|waitid|pipe2|signalfd4|capset|setresuid|setresgid|setgroups|connect'}

BR=nsbt-fbr0
ip link add $BR type bridge && ip addr add 10.78.0.1/24 dev $BR && ip link set $BR up ||
	nsbox_die "cannot make the test bridge"

U=nsbt-flt
UB=nsbt-fltbr
nsbox_add_user $U
nsbox_add_user $UB
FW_USERS="$U $UB"
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box

[match user=$UB]
network = bridge
bridge  = $BR
address = pool 10.78.0.0/24 10.78.0.10-10.78.0.11
gateway = 10.78.0.1
dns     = 10.78.0.1")
fw_setup
SVC=nsbox-test-flt
fw_service $SVC "$CONF"

# warm-up (makes /run/netns a mount point, as any first box does), then the baseline
fw_plain
is "$(fw_login $SVC $U)" ran "untraced loopback login through the wrapper runs boxed"
is "$(fw_login $SVC $UB)" ran "untraced bridged login through the wrapper runs boxed"
fw_baseline
ok "$(fw_clean_within $FW_SETTLE >/dev/null; echo $?)" "warm-up leaves nothing" "$(fw_leftovers)"

inject_all() { # USER LABEL
	local user=$1 label=$2 plan sc n kind total t0 prev="" bad0
	fw_record
	is "$(fw_login $SVC "$user")" ran "$label: recorded run under strace works"
	ok "$(fw_clean_within $FW_SETTLE >/dev/null; echo $?)" "$label: recorded run leaves nothing" "$(fw_leftovers)"
	plan=$(fw_plan "$FW_EVERY" "$FW_STEP")
	total=$(echo "$plan" | wc -l)
	note "$label: $(fw_enumerate | awk '{c[$1] += $3} END {for (r in c) printf "%s %d calls; ", r, c[r]}')$total injection points x 2 kinds"
	ok $([ "$total" -gt 20 ]; echo $?) "$label: the enumeration found the steps ($total points)"
	t0=$SECONDS
	local runs0=$FW_RUNS denied0=$FW_DENIED ran0=$FW_RAN gc0=$FW_GC ended0=$FW_ENDED
	for kind in error kill; do
		prev=""
		while read -r sc n; do
			if [ "$sc" != "$prev" ]; then
				[ -n "$prev" ] && fw_report "$label" "$prev" "$kind" "$bad0"
				prev=$sc
				bad0=${#FW_BAD[@]}
			fi
			fw_one $SVC "$user" "$sc" "$n" "$kind"
		done <<<"$plan"
		fw_report "$label" "$prev" "$kind" "$bad0"
	done
	note "$label: $((FW_RUNS - runs0)) injections in $((SECONDS - t0)) s: $((FW_DENIED - denied0)) refused, $((FW_RAN - ran0)) ran boxed, $((FW_ENDED - ended0)) boxes ended under the session, $((FW_GC - gc0)) left something to the gc"
}

# Leaks found by this test and reported, not fixed here (their code belongs to other work):
# each is a TODO line, so it shows in every run without failing it. A pattern is
# matched against the FW_BAD line. Empty the list to see them fail.
FW_KNOWN=(
	# none left: the .new-ID one (a supervisor killed between mkdirat and the rename in
	# box_reserve) is gone since a directory being built names its owner (.new-ID-PID-START)
)

fw_known() { local k; for k in "${FW_KNOWN[@]}"; do [[ $1 =~ $k ]] && return 0; done; return 1; }

# one TAP line per syscall and kind: every injection at that syscall was judged fine; known
# leaks get a TODO line of their own
fw_report() { # LABEL SYSCALL KIND BAD-INDEX-BEFORE
	local new=("${FW_BAD[@]:$4}") d=() k=() l sc n
	for l in "${new[@]}"; do
		read -r sc n <<<"$(echo "$l" | sed -E 's/^[^ ]+ ([a-z0-9_]+)#([0-9]+).*/\1 \2/')"
		if fw_known "$l"; then
			k+=("$l" "  that call: $(fw_describe "$sc" "$n" | tr '\n' '|')")
		else
			d+=("$l" "  that call: $(fw_describe "$sc" "$n" | tr '\n' '|')")
		fi
	done
	ok $((${#d[@]} / 2)) "$1: $3 at each $2 call: refused or boxed, nothing left" "${d[@]}"
	if [ ${#k[@]} -gt 0 ]; then
		_nsbox_n=$((_nsbox_n + 1))
		echo "not ok $_nsbox_n - $1: $3 at $2: $((${#k[@]} / 2)) known leak(s) # TODO reported, see FW_KNOWN"
		note "${k[@]}"
	fi
}

# FW_ONLY=loopback|bridged runs one half
[ "${FW_ONLY:-}" = bridged ] || inject_all $U loopback
[ "${FW_ONLY:-}" = loopback ] || inject_all $UB bridged
[ ${#FW_GCLIST[@]} -eq 0 ] || note "left to the gc, and collected by it:" "${FW_GCLIST[@]}"
fw_plain
note "fault injection total: $FW_RUNS injections, $FW_DENIED refused, $FW_RAN ran boxed, $FW_ENDED ended under the session, $FW_GC left to the gc, ${#FW_BAD[@]} broke a rule"
note "$(fw_times "fault injection")"
