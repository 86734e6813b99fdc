#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# network = routed: a veth pair per box and no bridge (helper/routed.c). The host end carries the
# gateway (a /32, and gateway6 a /128) and a host route to the box's address; in the box the
# address is a /32 (/128) with an onlink default route. A "far" namespace behind the host holds
# listeners; the host forwards only inside this test's own network namespace (the product never
# turns forwarding on). Real traffic: a box reaches the host end's address and the far host, over
# IPv4 and IPv6; two boxes get distinct addresses and host routes; one box reaches another only
# through the host's forwarding (never as a neighbour: its only neighbour is the host end); the
# egress list holds; bad settings are refused with one line and leave nothing; nothing is left
# after logout, after kill -9 of the supervisor (the sweeper), or after a gc.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_require_cmd socat nft
nsbox_private_state

echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
fwd() { # fwd 0|1 : the host's forwarding, in this test's network namespace only
	echo "$1" >/proc/sys/net/ipv4/ip_forward && echo "$1" >/proc/sys/net/ipv6/conf/all/forwarding
}
fwd 1

# the far host: 10.59.1.2 and fd59:1::2 behind nsbt-rtfar, routed back through this namespace
nsbox_peer_ns FAR nsbt-rtfar rtfar-eth0
ip addr add 10.59.1.1/24 dev nsbt-rtfar && ip -6 addr add fd59:1::1/64 dev nsbt-rtfar nodad &&
	ip link set nsbt-rtfar up || nsbox_die "harness: far link"
far() { nsenter --net=/proc/$FAR/ns/net "$@"; }
far ip addr add 10.59.1.2/24 dev rtfar-eth0 && far ip -6 addr add fd59:1::2/64 dev rtfar-eth0 nodad &&
	far ip link set rtfar-eth0 up && far ip route add default via 10.59.1.1 &&
	far ip -6 route add default via fd59:1::1 || nsbox_die "harness: far addresses"
# listeners: each is the background job itself (nsenter and socat exec), so the harness kills it
nsenter --net=/proc/$FAR/ns/net socat TCP6-LISTEN:7000,ipv6only=0,reuseaddr,fork SYSTEM:'echo FAR' \
	</dev/null >/dev/null 2>&1 &
nsbox_track_pid $!
nsenter --net=/proc/$FAR/ns/net socat TCP-LISTEN:7002,reuseaddr,fork SYSTEM:'echo FAR-7002' \
	</dev/null >/dev/null 2>&1 &
nsbox_track_pid $!
# the host's own listener, on every address: a box reaches it at its gateway
socat TCP6-LISTEN:7001,ipv6only=0,reuseaddr,fork SYSTEM:'echo HOST' </dev/null >/dev/null 2>&1 &
nsbox_track_pid $!
nsbox_wait '[ -n "$(ss -Hltn "sport = :7001")" ] && [ -n "$(far ss -Hltn "sport = :7002")" ]' 5 ||
	nsbox_die "harness: listeners"

for u in nsbt-rt1 nsbt-rt2 nsbt-rtst nsbt-rteg nsbt-rtov nsbt-rtgw; do nsbox_add_user $u; done
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u

[match user=nsbt-rt1,nsbt-rt2]
network  = routed
address  = pool 10.59.0.0/27
gateway  = 10.59.0.1
address6 = pool fd59::/64
gateway6 = fd59::1
dns      = 10.59.0.53

[match user=nsbt-rtst]
network  = routed
address  = 10.59.2.5/32
gateway  = 10.59.0.1
address6 = fd59:2::5/128
gateway6 = fe80::1

[match user=nsbt-rteg]
network = routed
address = pool 10.59.3.0/24
gateway = 10.59.3.1
egress  = 10.59.1.2:7000/tcp

[match user=nsbt-rtov]
network = routed
address = pool 10.59.1.0/28
gateway = 10.59.0.1

[match user=nsbt-rtgw]
network = routed
address = 10.59.4.5/32
gateway = 10.59.1.1")
SVC=nsbox-test-rt
nsbox_service $SVC "conf=$CONF"
S=$NSBOX_T/s
mkdir -m 1777 "$S"
field() { printf '%s\n' "$2" | sed -n "s/^$1 //p"; }
host_routes() { { ip -4 route show proto static; ip -6 route show proto static; } | grep nsb || true; }
tables() { nft list tables netdev 2>/dev/null | grep -c 'nsbox-' || true; }
# everything a routed box holds on the host: its host end (and with it the gateway addresses and
# the host routes), its leases, its egress table; and the rest nsbox_check_clean sees
rt_clean() {
	nsbox_wait '[ -z "$(host_veths)$(host_routes)" ] && [ "$(held_leases)" -eq 0 ] && [ "$(tables)" -eq 0 ]' 10
	is "$(host_veths | tr '\n' ' ')" "" "$1: no host end left"
	is "$(host_routes | tr '\n' ' ')" "" "$1: no host route left"
	is "$(held_leases)" 0 "$1: no lease left"
	is "$(tables)" 0 "$1: no egress table left"
	nsbox_check_clean "$1"
}

probe='echo ID $NSBOX_ID
echo V4 $NSBOX_IPV4
echo V6 $NSBOX_IPV6
echo ADDR $(ip -o -4 addr show dev eth0 | awk "{print \$4}")
echo ADDR6 $(ip -o -6 addr show dev eth0 scope global | awk "{print \$4}")
echo ROUTE $(ip route show default)
echo ROUTE6 $(ip -6 route show default | sed "s/ proto [a-z]*//; s/ metric [0-9]*//; s/ pref [a-z]*//")
echo RESOLV $(grep -v "^#" /etc/resolv.conf | tr "\n" " ")
echo HOST $(socat -T2 -t2 - TCP:10.59.0.1:7001 </dev/null 2>&1)
echo FAR $(socat -T2 -t2 - TCP:10.59.1.2:7000 </dev/null 2>&1)
echo HOST6 $(socat -T2 -t2 - TCP6:[fd59::1]:7001 </dev/null 2>&1)
echo FAR6 $(socat -T2 -t2 - TCP6:[fd59:1::2]:7000 </dev/null 2>&1)'

# hold NAME USER [CMD]: a session of USER that runs the probe (and CMD), then waits for $S/go-NAME;
# its output in $S/NAME, its runner's pid in PID_NAME
hold() {
	local name=$1 user=$2 cmd=${3:-true}
	rm -f "$S/$name" "$S/go-$name"
	"$NSBOX_PAMRUN" $SVC "$user" -- sh -c "{ $probe; $cmd; } >$S/tmp-$name 2>&1; mv $S/tmp-$name $S/$name
		while [ ! -e $S/go-$name ]; do sleep 0.05; done" >"$S/log-$name" 2>&1 &
	printf -v "PID_$name" %s $!
	nsbox_track_pid $!
	nsbox_wait "[ -s $S/$name ]" 30
	ok $? "$name: a routed box of $user is up" "$(cat "$S/log-$name" 2>/dev/null)"
}
release() { touch "$S/go-$1"; local p="PID_$1"; wait "${!p}"; }

# ---- nsboxctl check: the config is fine ----
out=$("$NSBOX_CTL" check "$CONF" --user nsbt-rt1 2>&1)
ok $? "nsboxctl check accepts the routed config" "$out"
like "$out" "network = routed" "nsboxctl check --user shows network = routed"

# ---- two routed boxes: addresses, routes, DNS, the host end and the far host, v4 and v6 ----
hold A nsbt-rt1
hold B nsbt-rt2
A=$(cat "$S/A")
B=$(cat "$S/B")
IA=$(field ID "$A")
IB=$(field ID "$B")
A4=$(field V4 "$A")
B4=$(field V4 "$B")
A6=$(field V6 "$A")
B6=$(field V6 "$B")
# the gateway is inside both pools (never leased): the second box's check sees it on the first
# one's host end, where it belongs
like "$A4" '^10\.59\.0\.([2-9]|[12][0-9]|30)$' "box A got a pool address ($A4)"
like "$B4" '^10\.59\.0\.([2-9]|[12][0-9]|30)$' "box B got a pool address ($B4)"
isnt "$A4" "$B4" "the two routed boxes have distinct IPv4 addresses"
like "$A6" '^fd59::[0-9a-f]+$' "box A got an IPv6 pool address ($A6)"
isnt "$A6" "$B6" "the two routed boxes have distinct IPv6 addresses"
is "$(field ADDR "$A")" "$A4/32" "box A: its address is a /32"
is "$(field ADDR6 "$A")" "$A6/128" "box A: its IPv6 address is a /128"
is "$(field ROUTE "$A")" "default via 10.59.0.1 dev eth0 proto static onlink" "box A: onlink default route via the gateway"
is "$(field ROUTE6 "$A")" "default via fd59::1 dev eth0 onlink" "box A: onlink IPv6 default route via gateway6"
is "$(field RESOLV "$A")" "nameserver 10.59.0.53" "box A: its resolv.conf, as a bridged box's"
for x in A B; do
	o=$(cat "$S/$x")
	is "$(field HOST "$o")" "HOST" "box $x reaches the host end's address (IPv4)"
	is "$(field FAR "$o")" "FAR" "box $x reaches the far host behind the host (IPv4)"
	is "$(field HOST6 "$o")" "HOST" "box $x reaches the host end's address (IPv6)"
	is "$(field FAR6 "$o")" "FAR" "box $x reaches the far host behind the host (IPv6)"
done
# host_end NAME ID V4 V6 : what the host holds for one routed box
host_end() {
	local n=$1 id=$2 v4=$3 v6=$4
	like "$(ip -o link show dev nsb$id)" "nsb$id@.*state UP" "box $n: host end nsb$id is up"
	unlike "$(ip -o link show dev nsb$id)" "master" "box $n: host end on no bridge"
	is "$(ip -o -4 addr show dev nsb$id | awk '{print $4}')" "10.59.0.1/32" "box $n: host end carries gateway/32"
	is "$(ip -o -6 addr show dev nsb$id | awk '{print $4}')" "fd59::1/128" "box $n: host end carries gateway6/128, no link-local"
	like "$(ip route show $v4)" "^$(re $v4) dev nsb$id proto static scope link" "box $n: host route to $v4 through nsb$id"
	like "$(ip -6 route show $v6)" "^$(re $v6) dev nsb$id proto static" "box $n: IPv6 host route to $v6 through nsb$id"
}
host_end A "$IA" "$A4" "$A6"
host_end B "$IB" "$B4" "$B6"
is "$(held_leases)" 4 "two routed boxes hold four leases"
ok $([ -e /run/netns/nsbox-$IA ]; echo $?) "box A's network namespace has its ip-netns name"

# nsboxctl show: the host end, its addresses and routes
out=$("$NSBOX_CTL" show "$IA" 2>&1)
like "$out" "(^|
)network = routed(
|\$)" "nsboxctl show: network = routed"
like "$out" "(^|
)veth = nsb$IA(
|\$)" "nsboxctl show: the host end"
like "$out" "(^|
)host_addresses = 10\.59\.0\.1/32 fd59::1/128(
|\$)" "nsboxctl show: the host end's addresses"
like "$out" "(^|
)host_routes = $(re "$A4")/32 $(re "$A6")/128(
|\$)" "nsboxctl show: the host routes through it"
like "$("$NSBOX_CTL" show --json "$IA" 2>&1)" '"network":"routed"' "nsboxctl show --json: network routed"

# one box reaches the other only through the host's forwarding: with it, B reaches A, and B's
# only neighbour is the gateway (A's frames never reach B); without it (the control), B does not
pb() { nsenter --net=/run/netns/nsbox-$IB "$@"; }
ok $(pb ping -c1 -W2 "$A4" >/dev/null 2>&1; echo $?) "forwarding on: box B reaches box A through the host"
is "$(pb ip -4 neigh show dev eth0 | awk '{print $1}' | sort -u | tr '\n' ' ')" "10.59.0.1 " \
	"box B's only IPv4 neighbour is the gateway (box A is not on its link)"
fwd 0
isnt $(pb ping -c1 -W1 "$A4" >/dev/null 2>&1; echo $?) 0 "forwarding off: box B does not reach box A"
isnt $(pb ping -c1 -W1 10.59.1.2 >/dev/null 2>&1; echo $?) 0 "forwarding off: box B does not reach the far host"
ok $(pb ping -c1 -W2 10.59.0.1 >/dev/null 2>&1; echo $?) "forwarding off: box B still reaches the host end"
fwd 1

# ---- nsboxctl check warns when forwarding is off and a routed rule exists ----
fwd 0
out=$("$NSBOX_CTL" check "$CONF" 2>&1)
like "$out" "$(re "$CONF"):[0-9]+: warning: network = routed, but net.ipv4.ip_forward is 0" \
	"nsboxctl check warns: routed rules, IPv4 forwarding off"
like "$out" "warning: network = routed, but net.ipv6.conf.all.forwarding is 0" \
	"nsboxctl check warns: routed rules with IPv6, IPv6 forwarding off"
fwd 1
unlike "$("$NSBOX_CTL" check "$CONF" 2>&1)" "forward" "nsboxctl check: no warning with forwarding on"

release A
release B
rt_clean "after logout"

# ---- a static routed box with a link-local gateway6 ----
hold C nsbt-rtst
C=$(cat "$S/C")
is "$(field ADDR "$C")" "10.59.2.5/32" "static routed box: its /32"
is "$(field ADDR6 "$C")" "fd59:2::5/128" "static routed box: its /128"
is "$(field ROUTE6 "$C")" "default via fe80::1 dev eth0 onlink" "static routed box: default via fe80::1"
is "$(field HOST "$C")" "HOST" "static routed box reaches the host"
is "$(field FAR6 "$C")" "FAR" "static routed box reaches the far host over IPv6 via fe80::1"
release C
rt_clean "static routed box"

# ---- the egress list applies to a routed box, on the host end ----
hold E nsbt-rteg "echo P7002 \$(socat -T2 -t2 - TCP:10.59.1.2:7002 </dev/null 2>&1)"
E=$(cat "$S/E")
is "$(field FAR "$E")" "FAR" "egress: the listed far port answers"
unlike "$(field P7002 "$E")" "FAR-7002" "egress: a port not listed does not"
like "$(field P7002 "$E")" "Connection refused|reset" "egress: refused at once"
is "$(tables)" 1 "egress: the box's table exists"
release E
rt_clean "egress box"
# the control: the same port answers from a box without a list
hold F nsbt-rt1 "echo P7002 \$(socat -T2 -t2 - TCP:10.59.1.2:7002 </dev/null 2>&1)"
is "$(field P7002 "$(cat "$S/F")")" "FAR-7002" "control: without a list the same port answers"
release F
rt_clean "control box"

# ---- bad settings: one line, nothing left ----
nsbox_refused $SVC nsbt-rtov "include 10\.59\.1\.1, an address of host interface 'nsbt-rtfar'" \
	"a pool overlapping a host address"
nsbox_refused $SVC nsbt-rtgw "gateway 10\.59\.1\.1 .*is an address of host interface 'nsbt-rtfar', not a routed box's host end" \
	"a gateway that is not a host end's"
BAD=$(nsbox_conf bad.conf "[defaults]
network = routed
bridge  = nsbt-br0
address = pool 10.59.0.0/24
gateway = 10.59.0.1")
nsbox_service nsbox-test-rtbad "conf=$BAD"
nsbox_refused nsbox-test-rtbad nsbt-rt1 "'bridge' conflicts with network = routed" "a routed section with bridge ="

# ---- kill -9 of the supervisor: the sweeper removes the host end, routes, leases, table ----
record_field() { sed -n "s/^$2=//p" "/run/nsbox/boxes/$1/record" 2>/dev/null; }
hold K nsbt-rteg
IK=$(field ID "$(cat "$S/K")")
SUP=$(record_field "$IK" supervisor)
is "$(host_veths | wc -l)/$(held_leases)/$(tables)" "1/1/1" "kill: the box holds a host end, a lease and a table"
kill -9 "$SUP"
rt_clean "kill -9 of the supervisor"
touch "$S/go-K"
wait "$PID_K" 2>/dev/null

# ---- kill -9 of supervisor and sweeper: the gc (nsboxctl list) removes it all ----
hold G nsbt-rt1
IG=$(field ID "$(cat "$S/G")")
SUP=$(record_field "$IG" supervisor)
SW=$(ps -o pid=,comm= --ppid "$SUP" | awk '$2 == "nsbox-sweeper" {print $1; exit}')
ok $([ -n "$SW" ]; echo $?) "gc: the supervisor's sweeper is $SW"
kill -9 "$SW" "$SUP"
nsbox_wait '! nsbox_alive '"$SUP"' && ! nsbox_alive '"$SW" 5
nsbox_wait '[ -z "$(nsbox_helper_pids)" ]' 10
is "$(host_veths | wc -l)/$(held_leases)" "1/2" "gc: with both killed the host end and leases stay (the probe sees them)"
"$NSBOX_CTL" list >/dev/null 2>&1
rt_clean "after a gc"
touch "$S/go-G"
wait "$PID_G" 2>/dev/null
# the pool works on after it: the next box takes a lease and gives it back
hold H nsbt-rt1
release H
rt_clean "the next login after the gc"

done_testing
