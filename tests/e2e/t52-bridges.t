#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bridge = br0 br1 ...: boxes spread over several bridges, each box on the bridge its id picks
# first; a missing bridge and a full one (1023 ports, the kernel's limit) are passed over; the
# login is refused, with one line naming the bridges, only when none takes the box. All inside
# this test's own network namespace (no real NIC is touched).
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

BRA=nsbt-bra BRB=nsbt-brb BRF=nsbt-brfull
for b in $BRA $BRB $BRF; do ip link add $b type bridge && ip link set $b up; done
# fill BRF: 1023 ports is all a bridge takes (BR_MAX_PORTS 1024, port 0 reserved)
for i in $(seq 1 1023); do
	echo "link add nsbt-f$i type veth peer name nsbt-g$i"
	echo "link set nsbt-f$i master $BRF"
done >"$NSBOX_T/fill"
ip -batch "$NSBOX_T/fill"
is "$(ip -o link show master $BRF | wc -l)" 1023 "the full bridge has 1023 ports"
ip link add nsbt-x type veth peer name nsbt-y
out=$(ip link set nsbt-x master $BRF 2>&1)
like "$out" "Exchange full" "the kernel refuses port 1024 with EXFULL (Exchange full)"
ip link del nsbt-x

for u in nsbt-spread nsbt-skip nsbt-full nsbt-onefull nsbt-none; do nsbox_add_user $u; done
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u
network = bridge
bridge = $BRA
address = pool 10.78.0.0/16

[match user=nsbt-spread]
bridge = $BRA $BRB

[match user=nsbt-skip]
bridge = nsbt-nobr1 $BRA

[match user=nsbt-full]
bridge = $BRF $BRB

[match user=nsbt-onefull]
bridge = $BRF

[match user=nsbt-none]
bridge = nsbt-nobr1 $BRF nsbt-nobr2")
SVC=nsbox-test-brs
nsbox_service $SVC "conf=$CONF"

# ---- nsboxctl check looks up every listed bridge ----
out=$("$NSBOX_CTL" check "$CONF" 2>&1)
isnt $? 0 "nsboxctl check fails while a listed bridge is missing"
like "$out" "$(re "$CONF"):[0-9]+: bridge 'nsbt-nobr1' does not exist" "nsboxctl check names the first missing bridge"
like "$out" "$(re "$CONF"):[0-9]+: bridge 'nsbt-nobr2' does not exist" "and the last one of a list"
unlike "$out" "'$BRA'|'$BRB'" "and not the bridges that exist"
out=$("$NSBOX_CTL" check "$CONF" --user nsbt-spread 2>&1)
like "$out" "bridge = $BRA $BRB" "nsboxctl check --user prints the list"

on_bridge() { ip -o link show master "$1" 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^nsb[0-9a-f]' || true; }
rel=$NSBOX_T/release
hold() { # user: a session that lasts until $rel exists
	"$NSBOX_PAMRUN" $SVC "$1" -- sh -c "while [ ! -e '$rel' ]; do sleep 0.1; done" &
	nsbox_track_pid $!
	held+=($!)
}
release() { touch "$rel"; wait "${held[@]}"; held=(); }
held=()

# ---- 16 boxes over two bridges: each on the one its id picks ----
rm -f "$rel"
for i in $(seq 16); do hold nsbt-spread; done
nsbox_wait '[ "$(host_veths | wc -l)" -eq 16 ] && [ "$(($(on_bridge $BRA | wc -l) + $(on_bridge $BRB | wc -l)))" -eq 16 ]' 20
na=$(on_bridge $BRA | wc -l) nb=$(on_bridge $BRB | wc -l)
is "$((na + nb))" 16 "16 boxes: every host veth is on one of the two bridges"
note "spread: $na on $BRA, $nb on $BRB"
ok $([ "$na" -gt 0 ] && [ "$nb" -gt 0 ]; echo $?) "both bridges carry boxes ($na and $nb)"
bad=0
for id in $(nsbox_records); do
	want=$BRA
	[ $((16#$id % 2)) -eq 1 ] && want=$BRB
	on_bridge $want | grep -qx "nsb$id" || bad=$((bad + 1))
done
is "$bad" 0 "each box is on the bridge its id starts at (id mod 2)"
release
nsbox_check_clean "16 spread boxes"
is "$(host_veths | tr '\n' ' ')" "" "16 spread boxes: no veth left"

# ---- a missing bridge and a full one are passed over ----
rm -f "$rel"
for i in $(seq 6); do hold nsbt-skip; done
for i in $(seq 6); do hold nsbt-full; done
nsbox_wait '[ "$(host_veths | wc -l)" -eq 12 ]' 20
is "$(on_bridge $BRA | wc -l)" 6 "missing first bridge: all 6 boxes on the existing one"
is "$(on_bridge $BRB | wc -l)" 6 "full first bridge: all 6 boxes on the next one"
is "$(ip -o link show master $BRF | wc -l)" 1023 "the full bridge got no port"
release
nsbox_check_clean "passed-over bridges"

# ---- none takes the box: refused, one line that names the bridges ----
refuse() { nsbox_refused $SVC "$@"; }
refuse nsbt-none "no box for user 'nsbt-none': no bridge of .*:[0-9]+ takes the box: 'nsbt-nobr1' does not exist, '$BRF' is full, 'nsbt-nobr2' does not exist; session denied" "no bridge of three"
refuse nsbt-onefull "attaching 'nsb[0-9a-f]+' to bridge '$BRF': Exchange full" "the one bridge is full"
ip link del $BRA
refuse nsbt-skip "no bridge of .*:[0-9]+ takes the box: 'nsbt-nobr1' does not exist, '$BRA' does not exist" "both bridges missing"

done_testing
