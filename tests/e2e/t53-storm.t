#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Login storm: STORM_LOGINS bridged logins from STORM_USERS users, all started at once,
# against a pool of STORM_POOL addresses; sessions hold until the test lets them go. Never more
# boxes than addresses, no address twice, no deadlock (all settled within STORM_BOUND s), every
# refused login refused with the exhaustion line, and nothing left afterwards. `make check` runs
# the issue's figures, 200 logins / 20 users / 64 addresses (about 5 s here: logins that find the
# pool full are refused early, so the full form is cheap); tests/soak/storm.t (make soak) runs
# twice that: 400 / 40 / 128.
# A test bridge in this test's own network namespace.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

N=${STORM_LOGINS:-200} NU=${STORM_USERS:-20} POOL=${STORM_POOL:-64} BOUND=${STORM_BOUND:-60}
[ "$POOL" -ge 1 ] && [ "$POOL" -le 200 ] || nsbox_die "STORM_POOL must be 1..200"
EXPECT=$((N < POOL ? N : POOL))

BR=nsbt-br53
ip link add $BR type bridge
ip addr add 10.53.0.1/24 dev $BR
ip link set $BR up

users=()
for i in $(seq -w 1 "$NU"); do nsbox_add_user "nsbt-st$i"; users+=("nsbt-st$i"); done
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u

[match user=nsbt-st*]
network = bridge
bridge  = $BR
address = pool 10.53.0.0/24 10.53.0.10-10.53.0.$((9 + POOL))
gateway = 10.53.0.1")
SVC=nsbox-test-storm
nsbox_service $SVC "conf=$CONF"

# Each session prints its address and reads the FIFO (its stdin) to EOF, so the pool really
# fills; fd 9, the test's write end, is closed for them (pam-run passes fds >= 3 on).
FIFO=$NSBOX_T/hold
mkfifo "$FIFO"
exec 9<>"$FIFO"
O=$NSBOX_T/out
mkdir "$O"

# peak sampler: boxes (host veths), held leases and addresses held twice, every 20 ms or so
sample() {
	while [ ! -e "$NSBOX_T/stop-sampling" ]; do
		echo "$(ip -o link show type veth 2>/dev/null | grep -c ': nsb[0-9a-f]')" \
			"$(awk '$2 == "held" {n++; if (seen[$1]++) d++} END {print n + 0, d + 0}' \
				/run/nsbox/leases/v4 2>/dev/null || echo 0 0)"
		sleep 0.02
	done >"$NSBOX_T/samples"
}
sample 9>&- &
SAMPLER=$!
nsbox_track_pid $SAMPLER

m=$(nsbox_log_mark)
t0=$(date +%s.%N)
pids=()
for i in $(seq 1 "$N"); do
	u=${users[$(((i - 1) % NU))]}
	{
		"$NSBOX_PAMRUN" $SVC "$u" -- sh -c 'echo $NSBOX_IPV4; read x; exit 0' \
			<"$FIFO" >"$O/$i.out" 2>"$O/$i.err" 9>&-
		echo $? >"$O/$i.rc"
	} 9>&- &
	pids+=($!)
done
nsbox_track_pid "${pids[@]}"

secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }
started() { grep -l '^10\.53\.0\.' "$O"/*.out 2>/dev/null | wc -l; }
finished() { ls "$O" | grep -c '\.rc$'; }
# settled: the pool is full (or every login is in) and every other login has been answered
nsbox_wait '[ "$(started)" -ge '$EXPECT' ] && [ "$(finished)" -ge '$((N - EXPECT))' ]' "$BOUND"
ok $? "storm settled within $BOUND s: $(started) boxes up, $(finished) logins answered"
t1=$(date +%s.%N)
sleep 0.5 # a late extra box would show here (and in the samples)
S=$(started)
is "$S" "$EXPECT" "exactly $EXPECT boxes ($N logins, $POOL addresses)"
addrs=$(cat "$O"/*.out | grep '^10\.53\.0\.' | sort)
is "$(printf '%s\n' "$addrs" | uniq -d | tr '\n' ' ')" "" "no address handed out twice"
is "$(printf '%s\n' "$addrs" | grep -c .)" "$S" "every box printed one address"
refused=$(grep -L '^0$' "$O"/*.rc 2>/dev/null | wc -l)
is "$refused" "$((N - EXPECT))" "the other $((N - EXPECT)) logins were refused"
is "$(grep -l '^0$' "$O"/*.rc 2>/dev/null | wc -l)" 0 "no box ended before it was let go"
log=$(nsbox_log_since "$m" | grep pam_nsbox)
exh=$(printf '%s\n' "$log" | grep -c "address pool 10\.53\.0\.0/24 .*is exhausted; session denied")
is "$exh" "$refused" "every refused login was refused with the exhaustion line"
is "$(printf '%s\n' "$log" | grep -c .)" "$refused" "and the module logged nothing else" \
	"$(printf '%s\n' "$log" | grep -v 'is exhausted' | head -5)"

# let the boxes go
exec 9>&-
wait "${pids[@]}"
t2=$(date +%s.%N)
is "$(grep -c '^0$' "$O"/*.rc | awk -F: '$2 == 1' | wc -l)" "$EXPECT" "every box's session ended with status 0"
nsbox_check_clean "storm"
nsbox_wait '[ -z "$(host_veths)" ] && [ "$(held_leases)" -eq 0 ]' 10
is "$(host_veths | wc -l)" 0 "no veth left"
is "$(held_leases)" 0 "no lease left"
touch "$NSBOX_T/stop-sampling"
wait $SAMPLER
read -r pv pl pd < <(awk 'BEGIN {v = l = d = 0} {if ($1 > v) v = $1; if ($2 > l) l = $2; if ($3 > d) d = $3} END {print v, l, d}' "$NSBOX_T/samples")
ok $([ "$pv" -le "$POOL" ] && [ "$pl" -le "$POOL" ]; echo $?) \
	"never more than $POOL boxes at once (peak: $pv veths, $pl held leases over $(wc -l <"$NSBOX_T/samples") samples)"
is "$pd" 0 "no address held twice in any sample"
note "storm: $N logins / $NU users / $POOL addresses: settled in $(secs "$t0" "$t1") s" \
	"($S boxes, $refused refused), all ended and released $(secs "$t1" "$t2") s after the release;" \
	"peak $pv veths, $pl held leases"

done_testing
