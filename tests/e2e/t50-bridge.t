#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Bridged boxes through a real sshd and the session runner: a test bridge with an address and a
# "lab host" namespace plugged into it, all inside this test's own network namespace (no real
# NIC is ever touched). Static and pooled addresses, routes, DNS, IPv6, reachability, leases,
# exhaustion, bad bridges, and cleanup.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

# what systemd sets on a real host (this machine has none); a box inherits it, and ping without
# a file capability (Debian 13) needs it
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range

BR=nsbt-br0
ip link add $BR type bridge
ip addr add 10.77.0.1/24 dev $BR
ip -6 addr add fd77::1/64 dev $BR nodad
ip link set $BR up

# The lab host: a process holding its own network namespace, one veth on the bridge.
nsbox_peer_ns LAB nsbt-lab0 lab-eth0
ip link set nsbt-lab0 master $BR up
lab() { nsenter --net=/proc/$LAB/ns/net "$@"; }
lab ip link set lab-eth0 name eth0
lab ip addr add 10.77.0.2/24 dev eth0
lab ip link set eth0 up
# nsenter execs socat, so $! is the server itself (a shell function would fork a subshell)
nsenter --net=/proc/$LAB/ns/net socat TCP-LISTEN:7000,bind=10.77.0.2,reuseaddr,fork \
	SYSTEM:'echo LAB' </dev/null >/dev/null 2>&1 &
nsbox_track_pid $!

for u in nsbt-st1 nsbt-pool1 nsbt-pool2 nsbt-small nsbt-v6 nsbt-v6p nsbt-nobr nsbt-notbr; do nsbox_add_user $u; done
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u

[match user=nsbt-st1]
network = bridge
bridge  = $BR
address = 10.77.0.10/24
gateway = 10.77.0.1
dns     = 10.77.0.53
search  = lab.test

[match user=nsbt-pool*]
network = bridge
bridge  = $BR
address = pool 10.77.0.0/24 10.77.0.100-10.77.0.199
gateway = 10.77.0.1

[match user=nsbt-small]
network = bridge
bridge  = $BR
address = pool 10.77.0.0/24 10.77.0.240-10.77.0.241

[match user=nsbt-v6]
network  = bridge
bridge   = $BR
address6 = fd77::10/64
gateway6 = fd77::1
mtu      = 1400
mac      = 02:00:5e:00:77:10
ifname   = lab0

[match user=nsbt-v6p]
network  = bridge
bridge   = $BR
address  = pool 10.77.0.0/24 10.77.0.200-10.77.0.209
address6 = pool fd77::/64 fd77::100-fd77::1ff

[match user=nsbt-nobr]
network = bridge
bridge  = nsbt-nosuchbr
address = 10.77.0.20/24

[match user=nsbt-notbr]
network = bridge
bridge  = nsbt-lab0
address = 10.77.0.21/24")
SVC=nsbox-test-br
nsbox_service $SVC "conf=$CONF"
nsbox_sshd_start $SVC
for u in nsbt-st1 nsbt-pool1 nsbt-pool2 nsbt-small nsbt-v6 nsbt-v6p; do nsbox_ssh_authorize $u; done

# ---- nsboxctl check: the config is fine, its bridges exist; a missing bridge is reported ----
out=$("$NSBOX_CTL" check "$CONF" 2>&1)
isnt $? 0 "nsboxctl check fails while a configured bridge is missing"
like "$out" "$CONF:[0-9]+: bridge 'nsbt-nosuchbr' does not exist" "nsboxctl check names the missing bridge"
chk_line=$(printf '%s\n' "$out" | sed -n "s/.*:\([0-9]*\): bridge 'nsbt-nosuchbr' does not exist.*/\1/p" | head -n 1)
like "$out" "$CONF:[0-9]+: 'nsbt-lab0' is not a bridge" "nsboxctl check names a non-bridge"
out=$("$NSBOX_CTL" check "$CONF" --user nsbt-pool1 2>&1)
like "$out" "network = bridge" "nsboxctl check --user shows the bridged settings"
like "$out" "address = pool 10.77.0.0/24 10.77.0.100-10.77.0.199" "nsboxctl check --user shows the pool"

resolv_sum=$(md5sum </etc/resolv.conf 2>/dev/null)

# ---- static address, route, DNS, reachability ----
out=$(nsbox_ssh nsbt-st1 -- '
echo NET $(ls /sys/class/net | tr "\n" " ")
echo ADDR $(ip -o -4 addr show dev eth0 | awk "{print \$4}")
echo ADDR6 $(ip -o -6 addr show dev eth0 | wc -l)
echo ROUTE $(ip route show default)
echo RESOLV $(grep -v "^#" /etc/resolv.conf | tr "\n" " ")
echo ENV $NSBOX_IPV4
echo LAB $(socat -T2 -t2 - TCP:10.77.0.2:7000 </dev/null 2>&1)
echo GW $(socat -T2 -t2 - TCP:10.77.0.1:22022 </dev/null 2>&1 | head -c 7)
echo HOSTIF $(cat /sys/class/net/eth0/address)
')
ok $? "static box: login works" "$out"
field() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }
is "$(field NET)" "eth0 lo" "static box: interfaces are lo and eth0 only"
is "$(field ADDR)" "10.77.0.10/24" "static box: eth0 has the configured address"
is "$(field ADDR6)" "0" "static box: no IPv6 on eth0 when none is configured"
like "$(field ROUTE)" "^default via 10.77.0.1 dev eth0" "static box: default route via the gateway"
is "$(field RESOLV)" "nameserver 10.77.0.53 search lab.test" "static box: its own resolv.conf"
is "$(field ENV)" "10.77.0.10" "static box: NSBOX_IPV4 in the session environment"
is "$(field LAB)" "LAB" "static box reaches the lab host over the bridge"
like "$(field HOSTIF)" "^[0-9a-f][26ae]:" "static box: locally administered MAC"
is "$(md5sum </etc/resolv.conf 2>/dev/null)" "$resolv_sum" "host resolv.conf unchanged"
nsbox_wait '[ -z "$(host_veths)" ]' 5
is "$(host_veths | tr '\n' ' ')" "" "static box: host veth gone after logout"
# the supervisor deletes the veth first, then releases the lease: wait for the release itself
nsbox_wait '[ "$(held_leases)" -eq 0 ]' 5
is "$(held_leases)" 0 "static box: lease released after logout"
nsbox_check_clean "static box"

# ---- while a box is up: host end on the bridge, IPv6 off on it; a second login with the
#      same static address is refused ----
nsbox_ssh nsbt-st1 -- 'sleep 3' &
hp=$!
nsbox_wait '[ -n "$(host_veths)" ]' 5
hv=$(host_veths | head -1)
like "$hv" "^nsb[0-9a-f]{8}$" "host end is named nsb<id> ($hv)"
like "$(ip -o link show dev "$hv")" "master $BR .*state UP|master $BR" "host end is attached to the bridge"
is "$(ip -o -6 addr show dev "$hv" | wc -l)" 0 "host end has no IPv6 address"
m=$(nsbox_log_mark)
out=$(nsbox_ssh nsbt-st1 -- 'echo SHOULD-NOT-RUN' 2>&1)
is "$?" 254 "second login with the same static address is refused"
like "$(nsbox_log_since "$m")" "address 10.77.0.10/24 .* is in use by another box" "and the log says why"
wait $hp
nsbox_check_clean "static in use"

# ---- two pool boxes reach each other and the lab host ----
nsbox_ssh nsbt-pool1 -- 'echo $NSBOX_IPV4; socat -T5 TCP-LISTEN:7100,reuseaddr SYSTEM:"echo FROM-A"' >"$NSBOX_T/a" &
pa=$!
nsbox_wait '[ -s "$NSBOX_T/a" ]' 10
A=$(head -1 "$NSBOX_T/a")
like "$A" "^10\.77\.0\.1[0-9][0-9]$" "pool box A got a pool address ($A)"
# A's listener may not be up yet when B starts: B retries until it answers (a refused connect
# does not use up A's one-shot socat), bounded
out=$(nsbox_ssh nsbt-pool2 -- "echo IP \$NSBOX_IPV4; for i in \$(seq 100); do r=\$(socat -T2 -t2 - TCP:$A:7100 </dev/null 2>/dev/null) && [ -n \"\$r\" ] && break; sleep 0.05; done; echo PEER \$r; echo LAB \$(socat -T2 -t2 - TCP:10.77.0.2:7000 </dev/null 2>&1)")
field() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }
B=$(field IP)
like "$B" "^10\.77\.0\.1[0-9][0-9]$" "pool box B got a pool address ($B)"
isnt "$B" "$A" "the two pool boxes have different addresses"
is "$(field PEER)" "FROM-A" "box B reaches box A over the bridge"
is "$(field LAB)" "LAB" "box B reaches the lab host"
wait $pa
nsbox_check_clean "two pool boxes"
is "$(held_leases)" 0 "pool leases released after logout"

# ---- 50 parallel logins get 50 distinct addresses ----
pids=()
for i in $(seq 1 50); do
	"$NSBOX_PAMRUN" $SVC nsbt-pool1 -- sh -c 'echo $NSBOX_IPV4 $(ip -o -4 addr show dev eth0 | awk "{print \$4}"); sleep 2' >"$NSBOX_T/p$i" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"
all=$(cat "$NSBOX_T"/p* | awk '{print $1}' | sort)
is "$(echo "$all" | grep -c '^10\.77\.0\.')" 50 "50 parallel logins all got an address"
is "$(echo "$all" | sort -u | grep -c '^10\.77\.0\.')" 50 "50 parallel logins got 50 distinct addresses"
is "$(cat "$NSBOX_T"/p* | awk '$2 != $1"/24"' | wc -l)" 0 "each box's eth0 carries the address it was told"
nsbox_check_clean "50 parallel logins"
is "$(held_leases)" 0 "50 parallel logins: all leases released"

# ---- a pool of 2 refuses the third login ----
# the two held until the third was judged (a release file, not a sleep that may run out first)
rm -f "$NSBOX_T/rel-small"
hold="while [ ! -e '$NSBOX_T/rel-small' ]; do sleep 0.05; done"
"$NSBOX_PAMRUN" $SVC nsbt-small -- sh -c "$hold" &
s1=$!
"$NSBOX_PAMRUN" $SVC nsbt-small -- sh -c "$hold" &
s2=$!
nsbox_wait '[ "$(nsbox_records | wc -l)" -eq 2 ]' 5
m=$(nsbox_log_mark)
rm -f "$NSBOX_T/ran3"
"$NSBOX_PAMRUN" $SVC nsbt-small -- touch "$NSBOX_T/ran3" 2>/dev/null
isnt $? 0 "third login on a pool of 2 is refused"
ok $([ ! -e "$NSBOX_T/ran3" ]; echo $?) "and its command did not run"
like "$(nsbox_log_since "$m")" "no box for user 'nsbt-small': address pool 10.77.0.0/24 .*is exhausted; session denied" "the log says the pool is exhausted"
is "$(host_veths | wc -l)" 2 "the refused login left no veth"
touch "$NSBOX_T/rel-small"
wait $s1 $s2
nsbox_check_clean "exhausted pool"

# ---- kill -9 of the sshd monitor frees the lease ----
nsbox_ssh nsbt-pool1 -- 'sleep 300' &
sp=$!
nsbox_wait '[ "$(held_leases)" -eq 1 ]' 10
is "$(held_leases)" 1 "held session holds one lease"
nsbox_wait "pgrep -f ': nsbt-pool1 \\[priv\\]' >/dev/null" 5
kill -9 "$(pgrep -f ': nsbt-pool1 \[priv\]' | head -1)"
nsbox_wait '[ "$(held_leases)" -eq 0 ]' 5
is "$(held_leases)" 0 "kill -9 of the monitor released the lease"
wait $sp 2>/dev/null
nsbox_check_clean "monitor killed"
nsbox_wait '[ -z "$(host_veths)" ]' 5
is "$(host_veths | tr '\n' ' ')" "" "kill -9 of the monitor: host veth gone"

# ---- IPv6 static, with a fixed MAC, MTU and interface name ----
out=$(nsbox_ssh nsbt-v6 -- 'echo ADDR $(ip -o -6 addr show dev lab0 scope global | awk "{print \$4}"); echo ROUTE $(ip -6 route show default); echo ENV $NSBOX_IPV6; echo MTU $(cat /sys/class/net/lab0/mtu); echo MAC $(cat /sys/class/net/lab0/address); echo PING $(ping -6 -c1 -W2 fd77::1 >/dev/null 2>&1 && echo yes)')
field() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }
is "$(field ADDR)" "fd77::10/64" "IPv6 box: static address"
like "$(field ROUTE)" "^default via fd77::1 dev lab0" "IPv6 box: default route"
is "$(field ENV)" "fd77::10" "IPv6 box: NSBOX_IPV6 set"
is "$(field MTU)" "1400" "configured MTU"
is "$(field MAC)" "02:00:5e:00:77:10" "configured MAC"
is "$(field PING)" "yes" "IPv6 box reaches the bridge's IPv6 address"
nsbox_check_clean "IPv6 box"

# ---- IPv4 and IPv6 pools together ----
out=$(nsbox_ssh nsbt-v6p -- 'echo V4 $NSBOX_IPV4; echo V6 $NSBOX_IPV6; echo ADDR6 $(ip -o -6 addr show dev eth0 scope global | awk "{print \$4}")')
field() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }
is "$(field V4)" "10.77.0.200" "dual-stack pool box: first IPv4 of the range"
is "$(field V6)" "fd77::100" "dual-stack pool box: first IPv6 of the range"
is "$(field ADDR6)" "fd77::100/64" "dual-stack pool box: the IPv6 address is on eth0"
nsbox_check_clean "dual-stack pool box"
is "$(held_leases)" 0 "dual-stack pool box: both leases released"

# ---- bad bridges: refused, one line, nothing left ----
refuse() { nsbox_refused $SVC "$@"; }
refuse nsbt-nobr "bridge 'nsbt-nosuchbr' .*does not exist" "missing bridge"
like "$(nsbox_log_since 0 | grep "'nsbt-nosuchbr' (" | tail -n 1)" \
	"bridge 'nsbt-nosuchbr' \($(re "$CONF"):$chk_line\) does not exist" \
	"the refused login's line cites the line nsboxctl check cites ($chk_line: the bridge key)"
refuse nsbt-notbr "'nsbt-lab0' .*is not a bridge" "not a bridge"
