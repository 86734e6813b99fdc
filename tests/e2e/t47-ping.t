#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Unprivileged ping inside a box: net.ipv4.ping_group_range is per network namespace and starts
# at "1 0" (nobody) in each new one, so a box gets the host's value. Ping runs under
# no_new_privs, which ignores Debian 12's file capability, so it needs the range there too (on
# Debian 13 ping has no capability at all). The host's value is what systemd sets on a real
# host ("0 2147483647"), set here in the test's own network namespace (this machine has none).
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state
nsbox_require_cmd ping setpriv "$NSBOX_PAMRUN"

U=nsbt-ping
UB=nsbt-pingbr
nsbox_add_user $U
nsbox_add_user $UB
RANGE=$'0\t2147483647'
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
is "$(cat /proc/sys/net/ipv4/ping_group_range)" "$RANGE" "the test's (host's) range is systemd's"

BR=nsbt-pbr0
ip link add $BR type bridge
ip addr add 10.78.0.1/24 dev $BR
ip link set $BR up
CONF=$(nsbox_conf nsbox.conf "[defaults]
network = none

[match user=$UB]
network = bridge
bridge  = $BR
address = 10.78.0.10/24
gateway = 10.78.0.1")
nsbox_service nsbox-test-ping "conf=$CONF"

nnp_ping() { echo "setpriv --no-new-privs ping -n -c 1 -W 5 $1 >/dev/null 2>&1; echo PING \$?"; }
probe="echo NET \$(readlink /proc/self/ns/net); echo RANGE \$(cat /proc/sys/net/ipv4/ping_group_range)"

# without the inherited range (a fresh network namespace: "1 0"), the same ping fails
out=$(unshare --net sh -c "ip link set lo up; echo RANGE \$(cat /proc/sys/net/ipv4/ping_group_range);
	setpriv --reuid $U --regid $U --init-groups sh -c '$(nnp_ping 127.0.0.1)'")
like "$out" "RANGE 1 0" "probe: a new network namespace starts at '1 0'"
like "$out" "PING [1-9]" "probe: and there the user's ping fails"

out=$("$NSBOX_PAMRUN" nsbox-test-ping $U -- sh -c "$probe; $(nnp_ping 127.0.0.1)")
field() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }
isnt "$(field NET)" "$(readlink /proc/self/ns/net)" "loopback box: its own network namespace"
is "$(field RANGE)" "0 2147483647" "loopback box: ping_group_range is the host's"
is "$(field PING)" 0 "loopback box: the user's ping 127.0.0.1 works"
nsbox_check_clean "loopback box"

out=$("$NSBOX_PAMRUN" nsbox-test-ping $UB -- sh -c "$probe; $(nnp_ping 10.78.0.1)")
isnt "$(field NET)" "$(readlink /proc/self/ns/net)" "bridged box: its own network namespace"
is "$(field RANGE)" "0 2147483647" "bridged box: ping_group_range is the host's"
is "$(field PING)" 0 "bridged box: the user's ping to the bridge's address works"
nsbox_check_clean "bridged box"

# the host's value is copied, whatever it is
echo "1000 1000" >/proc/sys/net/ipv4/ping_group_range
out=$("$NSBOX_PAMRUN" nsbox-test-ping $U -- sh -c "$probe")
is "$(field RANGE)" "1000 1000" "another host value is copied too"
nsbox_check_clean "second range"
ip link del $BR
