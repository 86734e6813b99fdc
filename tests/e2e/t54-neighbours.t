#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# neighbours = allow | deny: with deny the host end of each box's veth is an isolated
# bridge port, so the boxes of two users on one bridge do not reach each other (a listener on
# 0.0.0.0:8000 in one box is not read from the other) while both reach the gateway (the
# bridge's own address) and the uplink (a non-isolated port: a "lab host" namespace on the
# bridge); with allow the same listener is read. restricted denies by default, lab allows. All
# inside this test's own network namespace (no real NIC is touched).
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_require_cmd socat
nsbox_private_state

BR=nsbt-nbr0
GW=10.79.0.1
UP=10.79.0.2
nsbox_bridge $BR $GW/24
# the gateway's own service, on the bridge's address (socat is the job itself: $! is its pid)
socat TCP-LISTEN:8001,bind=$GW,reuseaddr,fork SYSTEM:'echo GW' </dev/null >/dev/null 2>&1 &
nsbox_track_pid $!

# The uplink: a process holding its own network namespace, one veth on the bridge, not a box.
nsbox_peer_ns LAB nsbt-nbup nbup-eth0
ip link set nsbt-nbup master $BR up
lab() { nsenter --net=/proc/$LAB/ns/net "$@"; }
lab ip addr add $UP/24 dev nbup-eth0
lab ip link set nbup-eth0 up
nsenter --net=/proc/$LAB/ns/net socat TCP-LISTEN:8002,bind=$UP,reuseaddr,fork SYSTEM:'echo UPLINK' \
	</dev/null >/dev/null 2>&1 &
nsbox_track_pid $!

A=nsbt-nb1
B=nsbt-nb2
for u in $A $B; do nsbox_add_user $u; done
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u
network  = bridge
bridge   = $BR
address  = pool 10.79.0.0/24 10.79.0.100-10.79.0.199
gateway  = $GW

[match service=nsbox-test-nbdeny]
neighbours = deny

[match service=nsbox-test-nballow]
neighbours = allow

[match service=nsbox-test-nbrestr]
profile = restricted

[match service=nsbox-test-nblab]
profile = lab")
for m in deny allow restr lab; do nsbox_service nsbox-test-nb$m "conf=$CONF"; done

# ---- what nsboxctl says each section gives ----
setting() { "$NSBOX_CTL" check "$CONF" --user $A --service "$1" 2>/dev/null | sed -n 's/^neighbours = //p'; }
is "$(setting nsbox-test-nbdeny)" deny "nsboxctl check: neighbours = deny"
is "$(setting nsbox-test-nballow)" allow "nsboxctl check: neighbours = allow"
is "$(setting nsbox-test-nbrestr)" deny "nsboxctl check: restricted denies by default"
is "$(setting nsbox-test-nblab)" allow "nsboxctl check: lab allows by default"
is "$(setting nsbox-test-other)" allow "nsboxctl check: no profile allows (the built-in value)"
like "$("$NSBOX_CTL" explain --conf "$CONF" --user $A --service nsbox-test-nbrestr)" \
	$'\nneighbours = deny\n' "nsboxctl explain shows it"

S=$NSBOX_T/s
mkdir -m 1777 "$S"
# what a box asks of its network: the gateway's and the uplink's services
reach="echo GW \$(socat -T2 -t2 - TCP:$GW:8001 </dev/null 2>&1); echo UPLINK \$(socat -T2 -t2 - TCP:$UP:8002 </dev/null 2>&1)"
field() { printf '%s\n' "$2" | sed -n "s/^$1 //p"; }

# mode SERVICE WANT(deny|allow) : A's box listens on 0.0.0.0:8000; B's box tries it, the gateway
# and the uplink; A's box tries the gateway and the uplink
mode() {
	local svc=$1 want=$2 m=$3 pa ip veth out peer
	rm -f "$S/a.out"
	touch "$S/a.hold"
	"$NSBOX_PAMRUN" "$svc" $A -- sh -c "socat TCP-LISTEN:8000,bind=0.0.0.0,reuseaddr,fork SYSTEM:'echo FROM-A' </dev/null >/dev/null 2>&1 & srv=\$!
		{ echo IP \$NSBOX_IPV4; echo ID \$NSBOX_ID; $reach; } >$S/a.tmp; mv $S/a.tmp $S/a.out
		while [ -e $S/a.hold ]; do sleep 0.05; done; kill \$srv" >"$S/a.log" 2>&1 &
	pa=$!
	nsbox_track_pid $pa
	nsbox_wait "[ -s $S/a.out ]" 15
	ok $? "$m: A's box is up" "$(cat "$S/a.log")"
	out=$(cat "$S/a.out")
	ip=$(field IP "$out")
	like "$ip" '^10\.79\.0\.1[0-9][0-9]$' "$m: A's box has a pool address ($ip)"
	is "$(field GW "$out")" GW "$m: A's box reaches the gateway"
	is "$(field UPLINK "$out")" UPLINK "$m: A's box reaches the uplink"
	veth=nsb$(field ID "$out")
	# (ip, not /sys: this test's /sys shows the namespace it was mounted in)
	is "$(ip -d link show dev $veth 2>&1 | grep -o 'isolated o[nf]*')" "isolated $([ $want = deny ] && echo on || echo off)" \
		"$m: the host end $veth is $([ $want = deny ] || echo 'not ')an isolated port"
	is "$("$NSBOX_CTL" show "$(field ID "$out")" | sed -n 's/^neighbours = //p')" $want \
		"$m: nsboxctl show says neighbours = $want"
	# the listener is up before B tries it: the gateway's side reads it
	nsbox_wait "socat -T1 -t1 - TCP:$ip:8000 </dev/null 2>/dev/null | grep -q FROM-A" 10
	ok $? "$m: A's listener on 0.0.0.0:8000 answers the gateway's side"
	out=$("$NSBOX_PAMRUN" "$svc" $B -- sh -c "echo IP \$NSBOX_IPV4; echo PEER \$(socat -T3 -t3 - TCP:$ip:8000,connect-timeout=3 </dev/null 2>&1 | head -n 1); $reach")
	ok $? "$m: B's box is up" "$out"
	peer=$(field PEER "$out")
	if [ $want = deny ]; then
		isnt "$peer" FROM-A "$m: B's box does not reach A's listener ($peer)"
	else
		is "$peer" FROM-A "$m: B's box reaches A's listener"
	fi
	is "$(field GW "$out")" GW "$m: B's box reaches the gateway"
	is "$(field UPLINK "$out")" UPLINK "$m: B's box reaches the uplink"
	rm -f "$S/a.hold"
	wait $pa
	nsbox_check_clean "$m"
	is "$(host_veths | tr '\n' ' ')" "" "$m: no veth left"
	is "$(held_leases)" 0 "$m: no lease left"
}

mode nsbox-test-nbdeny deny "neighbours = deny"
mode nsbox-test-nballow allow "neighbours = allow (the probe works)"
mode nsbox-test-nbrestr deny "restricted"
mode nsbox-test-nblab allow "lab"
