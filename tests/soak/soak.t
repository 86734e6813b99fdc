#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Soak (make soak): SOAK_N (default 1000) login/logout cycles through a real sshd on 127.0.0.1,
# a mix of loopback-only and bridged (pooled addresses on a test bridge inside the test's netns)
# boxes, every SOAK_SFTP-th an sftp session; then the host must be exactly as before: the same
# mount table, no veth, every lease free, no record, no zombie once the reaper ran, the sshd
# listener's fd count unchanged, a long-lived supervisor's RSS and the /run usage back to the
# baseline. Prints the figures (cycles, time, per-cycle median and 95th percentile).
. "$(dirname "$0")/../e2e/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/../e2e/common.sh"
. "$(dirname "$0")/../e2e/faults.sh"
nsbox_private_state

N=${SOAK_N:-1000}
SFTP_EVERY=${SOAK_SFTP:-10}

BR=nsbt-sbr0
ip link add $BR type bridge && ip addr add 10.80.0.1/24 dev $BR && ip link set $BR up ||
	nsbox_die "cannot make the test bridge"
U=nsbt-soak
UB=nsbt-soakbr
UL=nsbt-soaklong
for u in $U $UB $UL; do nsbox_add_user $u; done
FW_USERS="$U $UB"
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box

[match user=$UB]
network = bridge
bridge  = $BR
address = pool 10.80.0.0/24 10.80.0.10-10.80.0.29
gateway = 10.80.0.1
dns     = 10.80.0.1")
SVC=nsbox-test-soak
nsbox_service $SVC "conf=$CONF"
nsbox_sshd_start $SVC
nsbox_ssh_authorize $U $UB $UL
echo "soak-payload" >"$NSBOX_T/payload"
printf 'put %s /dev/shm/x\nls /dev/shm\n' "$NSBOX_T/payload" >"$NSBOX_T/batch"

SSHD=$(nsbox_sshd_pid)
zombies() { ps -eo stat= | grep -c '^Z' || true; }
# what the product writes under /run: its state (a private tmpfs here) and the netns names; /run
# itself is on the root file system of this VM, shared with everything else, so its df is only
# printed
run_used() { du -sk --one-file-system /run/nsbox /run/netns 2>/dev/null | awk '{s += $1} END {print s}'; }
run_df() { df -k --output=used /run | tail -1 | tr -d ' '; }
nsbox_used() { du -sk /run/nsbox | cut -f1; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# warm-up: /run/netns becomes a mount point at the first named netns; the lease file exists
nsbox_ssh $U -- true && nsbox_ssh $UB -- true
ok $? "warm-up logins work"
nsbox_wait '[ -z "$(nsbox_records)" ]' 5
FW_BASE_MOUNTS=$(fw_mounts)
warm_mounts=$FW_BASE_MOUNTS
ok "$(fw_clean_within 5 >/dev/null; echo $?)" "warm-up leaves nothing" "$(fw_leftovers)"

# the long-lived session whose supervisor's RSS is watched (it runs gc after its reply and
# then only waits: its memory must not grow while 1000 other boxes come and go)
NSBOX_SSH_TIMEOUT=100000 nsbox_ssh $UL -- 'sleep 100000' </dev/null >/dev/null 2>&1 &
LP=$!
nsbox_wait '[ -n "$(nsbox_records)" ]' 10
LID=$(nsbox_records | head -1)
LSUP=$(sed -n 's/^supervisor=//p' "/run/nsbox/boxes/$LID/record")
ok $([ -n "$LSUP" ]; echo $?) "long-lived session: supervisor $LSUP"
fw_baseline
base_mounts=$FW_BASE_MOUNTS
base_fds=$(fds "$SSHD")
base_rss=$(rss "$LSUP")
base_sshd_rss=$(rss "$SSHD")
base_zombies=$(zombies)
base_run=$(run_used)
base_df=$(run_df)
base_nsbox=$(nsbox_used)
base_records="$LID"

times=()
fails=()
t_start=$(date +%s%N)
for ((i = 1; i <= N; i++)); do
	if ((i % 2)); then u=$U; else u=$UB; fi
	((i % SFTP_EVERY == 0 && (i / SFTP_EVERY) % 2)) && u=$U
	t0=$(date +%s%N)
	if ((i % SFTP_EVERY == 0)); then
		out=$(nsbox_sftp $u "$NSBOX_T/batch" 2>&1)
		rc=$?
		[[ $out == *"/dev/shm/x"* ]] || rc=99
	else
		out=$(nsbox_ssh $u -- 'echo $NSBOX_ID $NSBOX_IPV4' 2>&1)
		rc=$?
		if [ $u = $UB ]; then [[ $out =~ ^[0-9a-f]{8}\ 10\.80\.0\.[0-9]+$ ]] || rc=98
		else [[ $out =~ ^[0-9a-f]{8}$ ]] || rc=98; fi
	fi
	t1=$(date +%s%N)
	times+=($(((t1 - t0) / 1000000)))
	[ $rc = 0 ] || fails+=("cycle $i ($u): rc=$rc: $out")
	((i % 100 == 0)) && note "$i cycles, $(((t1 - t_start) / 1000000000)) s, $(nsbox_records | wc -l) records now"
done
t_end=$(date +%s%N)
is "${#fails[@]}" 0 "$N login/logout cycles all worked" "${fails[@]:0:10}"

# Everything back: the short sessions' teardown is asynchronous, so wait for it
nsbox_wait '[ "$(nsbox_records | tr "\n" " ")" = "$base_records " ]' 10
is "$(nsbox_records | tr '\n' ' ')" "$base_records " "no record but the long-lived session's"
nsbox_wait '[ -z "$(host_veths)" ]' 5
is "$(host_veths | tr '\n' ' ')" "" "no veth left"
nsbox_wait '[ "$(held_leases)" = 0 ]' 5
is "$(held_leases)" 0 "every lease free"
is "$(fw_netns | tr '\n' ' ')" "$(echo nsbox-$LID) " "no named netns but the long-lived session's"
diff_m=$(diff <(echo "$base_mounts") <(fw_mounts))
is "$diff_m" "" "the mount table is as before"
nsbox_wait '[ "$(zombies)" -le "$base_zombies" ]' 30
ok $? "no zombie left once the reaper ran (now $(zombies), before $base_zombies)"
is "$(fds "$SSHD")" "$base_fds" "sshd listener's fd count unchanged ($base_fds)"
end_rss=$(rss "$LSUP")
ok $([ "$end_rss" -le $((base_rss + 64)) ]; echo $?) \
	"long-lived supervisor's RSS back to baseline (${base_rss} kB -> ${end_rss} kB)"
end_sshd_rss=$(rss "$SSHD")
note "sshd listener RSS ${base_sshd_rss} kB -> ${end_sshd_rss} kB"
nsbox_wait '[ "$(nsbox_used)" -le "$base_nsbox" ]' 5
ok $? "/run/nsbox usage back to baseline (${base_nsbox} kB -> $(nsbox_used) kB)"
ok $([ "$(run_used)" -le "$base_run" ]; echo $?) \
	"/run usage (/run/nsbox, /run/netns) back to baseline (${base_run} kB -> $(run_used) kB)"
note "df /run (the machine's, shared with everything else): ${base_df} kB used -> $(run_df) kB"

# the long-lived session ends cleanly too: its command ends (sshd keeps a session without a
# pty open as long as its command runs, whatever the client does), then the client
for p in $(nsbox_user_procs $UL); do kill "$p" 2>/dev/null; done
nsbox_wait "! kill -0 $LP 2>/dev/null" 10
kill "$LP" 2>/dev/null
wait "$LP" 2>/dev/null
FW_USERS="$U $UB $UL"
FW_BASE_MOUNTS=$warm_mounts # from before the long-lived session's named netns
left=$(fw_clean_within 10)
ok "$([ -z "$left" ]; echo $?)" "after the long-lived session: nothing left" "$left"

sorted=$(printf '%s\n' "${times[@]}" | sort -n)
med=$(echo "$sorted" | sed -n "$(((N + 1) / 2))p")
p95=$(echo "$sorted" | sed -n "$(((N * 95 + 99) / 100))p")
max=$(echo "$sorted" | tail -1)
total=$(((t_end - t_start) / 1000000))
note "soak: $N cycles ($((N / 2)) loopback, $((N - N / 2)) bridged, $((N / SFTP_EVERY)) of them sftp) in $((total / 1000)).$(printf %03d $((total % 1000))) s; per cycle median $med ms, p95 $p95 ms, max $max ms"
