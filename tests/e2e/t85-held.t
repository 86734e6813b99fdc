#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# One crash-cleanup path (lib/held.h): a box that holds every kind of host resource there is (the
# host end of its veth, its egress table, an IPv4 and an IPv6 lease, its own cgroups) beside what
# its id names (its ip-netns name, its directory), and each of the three that free it releasing
# all of it: the supervisor's teardown at logout, its sweeper when the supervisor is killed, and
# the gc (nsboxctl list) when both are. Before the gc nothing frees them (the control that the gc
# did it), and with the description removed from the box's directory the gc leaves the table,
# the leases and the cgroups behind: it frees what the description names, not what it finds.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/faults.sh"
nsbox_require_cmd nft
nsbox_private_state

for c in memory pids; do
	grep -qE "^[0-9]+:([^:]*,)?$c(,[^:]*)?:" /proc/self/cgroup ||
		skip_all "no cgroup v1 $c controller here (this test is for the hybrid hosts CI runs on)"
done
BR=nsbt-hdbr0
ip link add $BR type bridge && ip addr add 10.85.0.1/24 dev $BR && ip addr add fd85::1/64 dev $BR &&
	ip link set $BR up || nsbox_die "cannot make the test bridge"
U=nsbt-held
nsbox_add_user $U
FW_USERS=$U
CONF=$(nsbox_conf nsbox.conf "[defaults]
network  = bridge
bridge   = $BR
address  = pool 10.85.0.0/24 10.85.0.10-10.85.0.20
gateway  = 10.85.0.1
address6 = pool fd85::/64 fd85::10-fd85::20
gateway6 = fd85::1
egress   = 10.85.0.1:22/tcp
memory_max = 256m
tasks_max = 200")
SVC=nsbox-test-held
nsbox_service $SVC "conf=$CONF"
S=$NSBOX_T/s
mkdir -m 1777 "$S"

"$NSBOX_PAMRUN" $SVC $U -- true
ok $? "warm-up login works"
fw_baseline

record_field() { sed -n "s/^$2=//p" "/run/nsbox/boxes/$1/record" 2>/dev/null; }

# held ID : one word per thing of box ID there is on the host
held() {
	local id=$1 w=""
	ip link show "nsb$id" >/dev/null 2>&1 && w+=" veth"
	nft list table netdev "nsbox-$id" >/dev/null 2>&1 && w+=" egress"
	grep -qs " held $id " /run/nsbox/leases/v4 && w+=" lease4"
	grep -qs " held $id " /run/nsbox/leases/v6 && w+=" lease6"
	[ -n "$(cgroups "$id")" ] && w+=" cgroups"
	[ -e "/run/netns/nsbox-$id" ] && w+=" netns"
	[ -e "/run/nsbox/boxes/$id" ] && w+=" directory"
	echo "${w# }"
}
ALL="veth egress lease4 lease6 cgroups netns directory"
cgroups() { find /sys/fs/cgroup -maxdepth 8 -type d -name "nsbox-$1" 2>/dev/null; }

# session : a login whose command waits for $S/hold; sets SP (its runner), ID, SUP (the
# supervisor), SW (its sweeper), INIT (the box init)
session() {
	touch "$S/hold"
	"$NSBOX_PAMRUN" $SVC $U -- sh -c "echo up >$S/up; while [ -e $S/hold ]; do sleep 0.05; done" \
		</dev/null >/dev/null 2>&1 &
	SP=$!
	nsbox_wait "[ -s $S/up ]" 20
	rm -f "$S/up"
	ID=$(nsbox_records | head -1)
	SUP=$(record_field "$ID" supervisor | cut -d' ' -f1)
	INIT=$(record_field "$ID" init | cut -d' ' -f1)
	SW=$(ps -o pid=,comm= --ppid "$SUP" | awk '$2 == "nsbox-sweeper" {print $1; exit}')
	# the init joins the box's cgroups after the answer (box.c)
	nsbox_wait "grep -qE '/nsbox-$ID\$' /proc/$INIT/cgroup" 10
	[ -n "$ID" ] && [ -n "$SUP" ] && [ -n "$SW" ] && [ -n "$INIT" ]
}

# ---- the teardown ----
session
ok $? "a box (id $ID, supervisor $SUP, sweeper $SW)"
is "$(held "$ID")" "$ALL" "it holds every kind of host resource"
ok "$([ -f "/run/nsbox/boxes/$ID/held" ]; echo $?)" "its directory describes them (held)"
rm -f "$S/hold"
wait $SP
ok $? "logout"
nsbox_wait "[ -z \"\$(held $ID)\" ]" 10
is "$(held "$ID")" "" "the teardown freed all of it"
left=$(fw_clean_within $FW_SETTLE)
ok "$([ -z "$left" ]; echo $?)" "teardown: nothing else left" "$left"

# ---- the sweeper: the supervisor killed ----
session
ok $? "a box (id $ID, supervisor $SUP, sweeper $SW)"
is "$(held "$ID")" "$ALL" "it holds every kind of host resource"
m=$(nsbox_log_mark)
kill -KILL "$SUP"
nsbox_wait "[ -z \"\$(held $ID)\" ]" 10
is "$(held "$ID")" "" "supervisor killed: its sweeper freed all of it, without a gc"
like "$(nsbox_log_since "$m")" "box=$ID sweeper: supervisor $SUP ended before its teardown was done; removed what the box held on the host" \
	"the sweeper says so"
rm -f "$S/hold"
wait $SP 2>/dev/null
left=$(fw_clean_within $FW_SETTLE)
ok "$([ -z "$left" ]; echo $?)" "sweeper: nothing else left" "$left"

# kill_both : the sweeper, then the supervisor (whose death takes the box init along); waits
# until all three are gone
kill_both() {
	kill -KILL "$SW" && nsbox_wait "! nsbox_alive $SW" 10 &&
		kill -KILL "$SUP" && nsbox_wait "! nsbox_alive $SUP && ! nsbox_alive $INIT" 10
}

# ---- the gc: supervisor and sweeper both killed ----
session
ok $? "a box (id $ID, supervisor $SUP, sweeper $SW)"
kill_both
ok $? "sweeper, supervisor and box init killed"
is "$(held "$ID")" "$ALL" "nobody has freed any of it yet (the control: what follows is the gc's)"
fw_gc
is "$(held "$ID")" "" "the gc (nsboxctl list) freed all of it"
rm -f "$S/hold"
wait $SP 2>/dev/null
left=$(fw_clean_within $FW_SETTLE)
ok "$([ -z "$left" ]; echo $?)" "gc: nothing else left" "$left"

# ---- the probe: without the description, the gc frees only what the id names ----
session
ok $? "a box (id $ID, supervisor $SUP, sweeper $SW)"
CGS=$(cgroups "$ID")
kill_both
ok $? "sweeper, supervisor and box init killed"
rm -f "/run/nsbox/boxes/$ID/held"
fw_gc
# the veth went with its namespace once the gc removed the namespace's name
is "$(held "$ID")" "egress lease4 lease6 cgroups" \
	"without its description the gc leaves the egress table, the leases and the cgroups"
nft delete table netdev "nsbox-$ID"
for d in $(echo "$CGS" | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-); do rmdir "$d"; done
# the next lease from the pools reclaims the dead supervisor's
"$NSBOX_PAMRUN" $SVC $U -- true
ok $? "a login after it works"
is "$(held "$ID")" "" "which reclaimed the dead box's leases"
rm -f "$S/hold"
wait $SP 2>/dev/null
left=$(fw_clean_within $FW_SETTLE)
ok "$([ -z "$left" ]; echo $?)" "probe: nothing else left" "$left"

