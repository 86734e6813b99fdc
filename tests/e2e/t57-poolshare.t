#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# pool_share: the boxes of one user hold at most their share of a pool's addresses,
# so one user cannot exhaust a pool that others use. A pool of 4 with pool_share = 2: a user's
# third bridged login is refused with one line naming the user, the pool and the limit (whatever
# on_error says), leaving nothing behind, while another user still gets an address. Then the
# issue's attack through a real sshd: three `ssh -N` sessions of one user on a 3-address pool
# hold the whole pool and lock everyone else out without a share (the probe works), and are
# refused with the shipped conf/nsbox.conf's settings. All inside this test's own network
# namespace (no real NIC is touched).
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

BR=nsbt-psbr0
nsbox_bridge $BR 10.80.0.1/24

P1=nsbt-ps1
P2=nsbt-ps2
for u in $P1 $P2; do nsbox_add_user $u; done
POOL="pool 10.80.0.0/24 10.80.0.100-10.80.0.103"
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname   = %u
network    = bridge
bridge     = $BR
address    = $POOL
gateway    = 10.80.0.1
pool_share = 2")
SVC=nsbox-test-ps
nsbox_service $SVC "conf=$CONF"
nsbox_service nsbox-test-psallow "conf=$CONF on_error=allow"
is "$("$NSBOX_CTL" check "$CONF" --user $P1 --service $SVC 2>/dev/null | sed -n 's/^pool_share = //p')" 2 \
	"nsboxctl check shows pool_share"

S=$NSBOX_T/s
mkdir -m 1777 "$S"
SESSP=()
# session NAME USER : a held session in the background, its address into $S/NAME.ip
session() {
	rm -f "$S/$1.ip"
	touch "$S/$1.hold"
	"$NSBOX_PAMRUN" $SVC "$2" -- sh -c "echo \$NSBOX_IPV4 >$S/$1.ip; while [ -e $S/$1.hold ]; do sleep 0.05; done" \
		>"$S/$1.log" 2>&1 &
	nsbox_track_pid $!
	SESSP+=($!)
	nsbox_wait "[ -s $S/$1.ip ]" 10
	ok $? "$1: $2's box is up ($(cat "$S/$1.ip" 2>/dev/null))" "$(cat "$S/$1.log")"
}
end_sessions() {
	rm -f "$S"/*.hold
	[ ${#SESSP[@]} -eq 0 ] || wait "${SESSP[@]}" 2>/dev/null
	SESSP=()
}
# share_refused SERVICE USER DESC : refused by its share with one line, the command did not run,
# and the boxes, veths and leases that were there are all that is there
share_refused() {
	local svc=$1 user=$2 desc=$3 boxes=$(nsbox_records | wc -l) leases=$(held_leases)
	nsbox_denied "$svc" "$user" "no box for user '$user': user '$user' \(uid $(id -u "$user")\) holds 2 addresses of pool $(re "${POOL#pool }") \(defaults\) \(pool_share = 2\); session denied" "$desc"
	nsbox_wait "[ \$(nsbox_records | wc -l) -eq $boxes ] && [ \$(host_veths | wc -l) -eq $boxes ]" 10
	is "$(nsbox_records | wc -l)" "$boxes" "$desc: no box left of it"
	is "$(host_veths | wc -l)" "$boxes" "$desc: no veth left of it"
	is "$(held_leases)" "$leases" "$desc: no lease left of it"
}

# ---- a pool of 4, pool_share = 2 ----
session a1 $P1
session a2 $P1
is "$(held_leases)" 2 "$P1 holds 2 of the 4 addresses"
share_refused $SVC $P1 "$P1's third box"
share_refused nsbox-test-psallow $P1 "$P1's third box with on_error=allow"
session b1 $P2
like "$(cat "$S/b1.ip")" '^10\.80\.0\.10[0-3]$' "$P2 still gets an address of the pool"
session b2 $P2
share_refused $SVC $P2 "$P2's third box (the pool is full, but the share says why)"
rm -f "$S/a1.hold"
nsbox_wait '[ "$(held_leases)" -eq 3 ]' 10
session a3 $P1
is "$(cat "$S/a3.ip")" "$(cat "$S/a1.ip")" "$P1 below its share again: the freed address"
end_sessions
nsbox_check_clean "pool_share = 2"
is "$(host_veths | tr '\n' ' ')" "" "pool_share = 2: no veth left"
is "$(held_leases)" 0 "pool_share = 2: no lease left"

# ---- the attack: three ssh -N of one user on a 3-address pool ----
ATTACK_POOL="pool 10.80.0.0/24 10.80.0.110-10.80.0.112"
lab="[match user=nsbt-ps*]
network = bridge
bridge  = $BR
address = $ATTACK_POOL
gateway = 10.80.0.1"
# the shipped file as it is, without its drop-in directory (the host's own, not this test's)
SHIPPED=$(nsbox_conf shipped.conf "$(grep -v '^include' "$NSBOX_TOP/conf/nsbox.conf")
$lab")
NOSHARE=$(nsbox_conf noshare.conf "$(grep -v '^include' "$NSBOX_TOP/conf/nsbox.conf")
$lab
pool_share = none")
is "$("$NSBOX_CTL" check "$SHIPPED" --user $P1 2>/dev/null | grep -E '^(max_boxes|pool_share) = ' | tr '\n' ' ')" \
	"max_boxes = 8 pool_share = 10% " "the shipped settings: max_boxes = 8, pool_share = 10%"
nsbox_ssh_authorize $P1 $P2
ATT=()
# attack CONF : three ssh -N of P1, one after the other, each judged before the next
attack() {
	local i m
	nsbox_service nsbox-test-psssh "conf=$1"
	nsbox_sshd_start nsbox-test-psssh
	for i in 1 2 3; do
		m=$(nsbox_log_mark)
		NSBOX_SSH_TIMEOUT=300 nsbox_ssh $P1 -N -- >"$S/n$i.log" 2>&1 &
		ATT+=($!)
		nsbox_wait "nsbox_log_grep 'box=[0-9a-f]+ started: user=.$P1.|no box for user .$P1.' $m >/dev/null" 20
	done
}
end_attack() {
	local p c
	# each background nsbox_ssh is a subshell running timeout(1), which passes a TERM on to its
	# ssh client: ending the clients (this test's own, by pid) closes their sessions
	for p in "${ATT[@]}"; do
		for c in $(pgrep -P "$p"); do kill "$c" 2>/dev/null; done
	done
	wait "${ATT[@]}" 2>/dev/null
	ATT=()
	nsbox_sshd_stop
}

attack "$NOSHARE"
is "$(held_leases)" 3 "without pool_share (the probe works): three ssh -N of $P1 hold the 3-address pool"
m=$(nsbox_log_mark)
out=$(nsbox_ssh $P2 -- 'echo $NSBOX_IPV4' 2>&1)
isnt "$?" 0 "without pool_share: $P2 is locked out"
like "$(nsbox_log_since "$m" | grep pam_nsbox)" "no box for user '$P2': address pool .* is exhausted" \
	"without pool_share: the pool is exhausted"
end_attack
nsbox_check_clean "the attack without pool_share"
is "$(held_leases)" 0 "the attack without pool_share: no lease left"

m0=$(nsbox_log_mark)
attack "$SHIPPED"
is "$(held_leases)" 1 "shipped settings: the three ssh -N of $P1 hold one address"
out=$(nsbox_log_since "$m0" | grep pam_nsbox)
is "$(printf '%s\n' "$out" | grep -c "no box for user '$P1': user '$P1' (uid $(id -u $P1)) holds 1 address of pool 10.80.0.0/24 10.80.0.110-10.80.0.112 (.*) (pool_share = 10% of 3 addresses: 1); session denied")" 2 \
	"shipped settings: the second and third are refused, one line each, naming the pool and the share" "$out"
out=$(nsbox_ssh $P2 -- 'echo $NSBOX_IPV4' 2>&1)
like "$out" '^10\.80\.0\.11[0-2]$' "shipped settings: $P2 gets an address ($out)"
end_attack
nsbox_check_clean "the attack with the shipped settings"
is "$(held_leases)" 0 "the attack with the shipped settings: no lease left"
is "$(host_veths | tr '\n' ' ')" "" "the attack with the shipped settings: no veth left"
