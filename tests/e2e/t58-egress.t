#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# egress = DEST...: a bridged box reaches only what its list names, enforced on the host end of
# its veth (helper/egress.c: a netdev table per box on the ingress of that end). An "uplink"
# namespace on the test's bridge holds listeners on two addresses (TCP 22 and 80, UDP 53), the
# gateway (the host) one of its own. A box with a list connects to each: the allowed ones
# answer, the others are refused at once (a reset, an ICMP error: never a timeout); a box without
# a list reaches them all (so each probe works). The rules exist while the box does and are gone
# after logout and after a kill -9 of the supervisor (its sweeper removes them). All inside this
# test's own network namespace.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_require_cmd socat nft iptables
nsbox_private_state

BR=nsbt-egbr0
GW=10.89.0.1
U1=10.89.0.2
U2=10.89.0.3
nsbox_bridge $BR $GW/24
ip addr add fd89::1/64 dev $BR nodad
socat TCP-LISTEN:8001,bind=$GW,reuseaddr,fork SYSTEM:'echo GW-8001' </dev/null >/dev/null 2>&1 &
nsbox_track_pid $!

nsbox_peer_ns LAB nsbt-egup egup-eth0
ip link set nsbt-egup master $BR up
up() { nsenter --net=/proc/$LAB/ns/net "$@"; }
up ip addr add $U1/24 dev egup-eth0
up ip addr add $U2/24 dev egup-eth0
up ip addr add fd89::2/64 dev egup-eth0 nodad
up ip addr add fd89::3/64 dev egup-eth0 nodad
up ip link set egup-eth0 up
# each listener is the background job itself (nsenter execs socat), so the harness's kill at exit
# reaches it: a function or eval in between would leave socat running in the uplink namespace
listen() { nsenter --net=/proc/$LAB/ns/net socat "$1,reuseaddr,fork" "SYSTEM:echo $2" </dev/null >/dev/null 2>&1 &
	nsbox_track_pid $!; }
listen TCP-LISTEN:22,bind=$U1 U1-22
listen TCP-LISTEN:80,bind=$U1 U1-80
listen TCP-LISTEN:22,bind=$U2 U2-22
listen UDP-RECVFROM:53,bind=$U2 U2-53
listen UDP-RECVFROM:53,bind=$U1 U1-53
listen "TCP6-LISTEN:22,bind=[fd89::2]" V2-22
listen "TCP6-LISTEN:22,bind=[fd89::3]" V3-22
listen "TCP6-LISTEN:80,bind=[fd89::2]" V2-80
listen "UDP6-RECVFROM:53,bind=[fd89::3]" V3-53

# a routed destination: a "far" namespace behind the host, reached through the box's gateway
# with the host forwarding (in this test's network namespace only): the list holds for traffic
# the host routes as for traffic the bridge carries at L2
FAR=10.91.0.2
echo 1 >/proc/sys/net/ipv4/ip_forward
# unprivileged ping as a systemd host allows it (a box copies the host's range; Debian 13's ping
# has no file capability, so without it the ICMP probe could not succeed anywhere: t47)
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
nsbox_peer_ns FARNS nsbt-egfar egfar-eth0
ip addr add 10.91.0.1/24 dev nsbt-egfar
ip link set nsbt-egfar up
far() { nsenter --net=/proc/$FARNS/ns/net "$@"; }
far ip addr add $FAR/24 dev egfar-eth0
far ip link set egfar-eth0 up
far ip route add default via 10.91.0.1
echo 1 >/proc/sys/net/ipv6/conf/all/forwarding
ip addr add fd91::1/64 dev nsbt-egfar nodad
far ip addr add fd91::2/64 dev egfar-eth0 nodad
far ip -6 route add default via fd91::1
# what reaches the far host by the carriers the rules must let through somewhere (neighbour
# discovery, DHCP): counted as it arrives, before anything there could drop it
far nft -f - <<'NFT'
table inet nsbt-far {
	counter ns { }
	counter dhcp { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		icmpv6 type nd-neighbor-solicit counter name ns
		udp dport 67 counter name dhcp
	}
}
NFT
farcount() { far nft list counter inet nsbt-far "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
for port in 22 80; do
	nsenter --net=/proc/$FARNS/ns/net socat "TCP-LISTEN:$port,bind=$FAR,reuseaddr,fork" \
		"SYSTEM:echo FAR-$port" </dev/null >/dev/null 2>&1 &
	nsbox_track_pid $!
done
nsenter --net=/proc/$FARNS/ns/net socat "TCP6-LISTEN:22,bind=[fd91::2],reuseaddr,fork" \
	"SYSTEM:echo FAR6-22" </dev/null >/dev/null 2>&1 &
nsbox_track_pid $!
# carriers, sent by root in a box from a raw socket: an ICMPv6 neighbour solicitation (hop
# limit 255, as a real one) to ADDR, and a UDP datagram from port 68 to ADDR's port 67 (a DHCP
# client's ports) with source SRC
carry_ns="python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
a = sys.argv[1]
for i in range(3):
    s.sendto(bytes([135, 0, 0, 0, 0, 0, 0, 0]) + socket.inet_pton(socket.AF_INET6, a) + b\"data\", (a, 0))
print(\"NS-SENT\")'"
carry_dhcp="python3 -c 'import socket,struct,sys
src, dst = sys.argv[1], sys.argv[2]
udp = struct.pack(\"!HHHH\", 68, 67, 12, 0) + b\"data\"
ip = struct.pack(\"!BBHHHBBH4s4s\", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(3):
    s.sendto(ip + udp, (dst, 0))
print(\"DHCP-SENT\")'"

U=nsbt-eg
nsbox_add_user $U
nsbox_add_user nsbt-egdhc # the DHCP client's own user (dhcp_user)
CONF=$(nsbox_conf nsbox.conf "[defaults]
network  = bridge
bridge   = $BR
address  = pool 10.89.0.0/24 10.89.0.100-10.89.0.199
gateway  = $GW
address6 = pool fd89::/64 fd89::100-fd89::1ff
gateway6 = fd89::1

[match service=nsbox-test-eglist]
egress = $U1:22/tcp $U2/udp [fd89::2]:22/tcp $FAR:22/tcp
egress_log = yes

[match service=nsbox-test-eglab]
profile = lab
egress = $U1:22/tcp [fd91::2]:22/tcp

[match service=nsbox-test-eglabany]
profile = lab

[match service=nsbox-test-egdns]
dns = $U2
egress = $U1:22/tcp

[match service=nsbox-test-egdhcp]
bridge  = nsbt-egdh
address = dhcp
dhcp_timeout = 10
dhcp_user = nsbt-egdhc
egress  = $U1:22/tcp

[match service=nsbox-test-egdhcplab]
profile = lab
bridge  = nsbt-egdh
address = dhcp
dhcp_timeout = 10
dhcp_user = nsbt-egdhc
egress  = $FAR:22/tcp

[match service=nsbox-test-egdhcplabany]
profile = lab
bridge  = nsbt-egdh
address = dhcp
dhcp_timeout = 10
dhcp_user = nsbt-egdhc")
nsbox_service nsbox-test-eglist "conf=$CONF"
nsbox_service nsbox-test-eglab "conf=$CONF"
nsbox_service nsbox-test-eglabany "conf=$CONF"
nsbox_service nsbox-test-egdns "conf=$CONF"
nsbox_service nsbox-test-egdhcp "conf=$CONF"
nsbox_service nsbox-test-egdhcplab "conf=$CONF"
nsbox_service nsbox-test-egdhcplabany "conf=$CONF"
nsbox_service nsbox-test-egany "conf=$CONF"
like "$("$NSBOX_CTL" check "$CONF" --user $U --service nsbox-test-eglist 2>&1)" \
	$'\negress = 10\\.89\\.0\\.2:22/tcp 10\\.89\\.0\\.3/udp \\[fd89::2\\]:22/tcp 10\\.91\\.0\\.2:22/tcp\n' "nsboxctl check shows the list"

# probe: one line per destination: open (its banner), refused (an error at once) or hung. The
# banner comes after the probe's stdin ended, so socat waits for it (-t) longer than its default
# half second (a loaded host forks the listener's shell slower); a UDP datagram can be lost, so UDP
# asks up to three times, as a DNS client would. A refusal (reset, ICMP) ends each at once
probe='ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }
tcp() { t0=$(date +%s%N); out=$(socat -T3 -t3 - TCP:$1:$2,connect-timeout=4 </dev/null 2>&1); case $out in
	*-*[0-9]) r=open;; *"timed out"*|"") r=hung;; *) r=refused;; esac; echo "$1:$2/tcp $r $(ms) ms"; }
udp() { t0=$(date +%s%N); for try in 1 2 3; do
	out=$(echo x | socat -T2 -t2 - UDP:$1:$2 2>&1); [ -z "$out" ] || break; done; case $out in
	*-*[0-9]) r=open;; "") r=hung;; *) r=refused;; esac; echo "$1:$2/udp $r $(ms) ms"; }
ping1() { t0=$(date +%s%N); if ping -c1 -W3 $1 >/dev/null 2>&1; then r=open; else r=refused; fi
	echo "$1/icmp $r $(ms) ms"; }
tcp6() { t0=$(date +%s%N); out=$(socat -T3 -t3 - TCP6:[$1]:$2,connect-timeout=4 </dev/null 2>&1); case $out in
	*-*[0-9]) r=open;; *"timed out"*|"") r=hung;; *) r=refused;; esac; echo "[$1]:$2/tcp $r $(ms) ms"; }
udp6() { t0=$(date +%s%N); for try in 1 2 3; do
	out=$(echo x | socat -T2 -t2 - UDP6:[$1]:$2 2>&1); [ -z "$out" ] || break; done; case $out in
	*-*[0-9]) r=open;; "") r=hung;; *) r=refused;; esac; echo "[$1]:$2/udp $r $(ms) ms"; }
tcp '$U1' 22; tcp '$U1' 80; tcp '$U2' 22; udp '$U2' 53; udp '$U1' 53; tcp '$GW' 8001; ping1 '$U1'
tcp '$FAR' 22; tcp '$FAR' 80
tcp6 fd89::2 22; tcp6 fd89::2 80; tcp6 fd89::3 22; udp6 fd89::3 53'
run() { "$NSBOX_PAMRUN" "$1" $U -- sh -c "echo ID \$NSBOX_ID; $probe; $2" 2>&1; }

out=$(run nsbox-test-egany "")
NOLIST=$out
for p in "$U1:22/tcp" "$U1:80/tcp" "$U2:22/tcp" "$U2:53/udp" "$U1:53/udp" "$GW:8001/tcp" "$U1/icmp" \
	"[fd89::2]:22/tcp" "[fd89::2]:80/tcp" "[fd89::3]:22/tcp" "[fd89::3]:53/udp" "$FAR:22/tcp" \
	"$FAR:80/tcp"; do
	like "$out" "$(re "$p") open" "no list: $p answers (the probe works)"
done
nsbox_check_clean "no list"

S=$NSBOX_T/s
mkdir -m 1777 "$S"
field() { printf '%s\n' "$2" | sed -n "s/^$1 //p"; }
tables() { nft list tables netdev 2>/dev/null | grep -c 'nsbox-' || true; }

# hold: a session with the list that probes, then waits for $S/go; sets OUT, ID, PA
hold() {
	rm -f "$S/out" "$S/go"
	"$NSBOX_PAMRUN" nsbox-test-eglist $U -- sh -c "{ echo ID \$NSBOX_ID; $probe; } >$S/tmp; mv $S/tmp $S/out
		while [ ! -e $S/go ]; do sleep 0.05; done" >"$S/log" 2>&1 &
	PA=$!
	nsbox_track_pid $PA
	nsbox_wait "[ -s $S/out ]" 30
	ok $? "a box with the list is up" "$(cat "$S/log")"
	OUT=$(cat "$S/out")
	ID=$(field ID "$OUT")
}

hold
for p in "$U1:22/tcp open" "$U1:80/tcp refused" "$U2:22/tcp refused" "$U2:53/udp open" \
	"$U1:53/udp refused" \
	"$GW:8001/tcp refused" "$U1/icmp refused" "[fd89::2]:22/tcp open" "[fd89::2]:80/tcp refused" \
	"[fd89::3]:22/tcp refused" "[fd89::3]:53/udp refused" \
	"$FAR:22/tcp open" "$FAR:80/tcp refused"; do
	like "$OUT" "(^|$(printf '\n'))$(re "$p") [0-9]+ ms($(printf '\n')|\$)" "with the list: $p"
done
got() { printf '%s\n' "$2" | awk -v d="$1" '$1 == d { $1 = ""; sub(/^ /, ""); print }'; }
# the table for the record: each destination, what the list says of it, and what the probes got
# (with the time each took) with no list and with the list. An open UDP probe takes about 2 s:
# socat waits its -t for more after the answer, as UDP has no end
note "$(
	printf '%-18s %-8s %-18s %s\n' DESTINATION "LIST" "NO LIST" "WITH THE LIST"
	for p in "$U1:22/tcp allowed" "$U1:80/tcp denied" "$U2:22/tcp denied" "$U2:53/udp allowed" "$U1:53/udp denied" \
		"$GW:8001/tcp denied" "$U1/icmp denied" "[fd89::2]:22/tcp allowed" "[fd89::2]:80/tcp denied" \
		"[fd89::3]:22/tcp denied" "[fd89::3]:53/udp denied" \
		"$FAR:22/tcp allowed" "$FAR:80/tcp denied"; do
		d=${p% *}
		printf '%-18s %-8s %-18s %s\n' "$d" "${p##* }" "$(got "$d" "$NOLIST")" "$(got "$d" "$OUT")"
	done
)"
unlike "$OUT" "hung" "nothing refused hangs: each refusal came at once"
like "$(nft list table netdev nsbox-$ID 2>&1)" "hook ingress device \"nsb$ID\"" \
	"the box's table hooks the host end of its veth"
like "$(nft list table netdev nsbox-$ID 2>&1)" "limit rate 1/minute burst 1 packets log prefix \"nsbox-$ID egress: \"" \
	"egress_log = yes: one rate-limited log rule before the refusals"
is "$("$NSBOX_CTL" show "$ID" | sed -n 's/^egress = //p')" "$U1:22/tcp $U2/udp [fd89::2]:22/tcp $FAR:22/tcp" \
	"nsboxctl show: the list"
like "$("$NSBOX_CTL" show --json "$ID")" "\"egress\":\"$(re "$U1:22/tcp $U2/udp [fd89::2]:22/tcp $FAR:22/tcp")\"" \
	"nsboxctl show --json: the list"
touch "$S/go"
wait $PA
nsbox_check_clean "logout"
is "$(tables)" 0 "after logout no nsbox table is left"

hold
sup=$(sed -n 's/^supervisor=//p' "/run/nsbox/boxes/$ID/record")
ok $([ "$(tables)" = 1 ]; echo $?) "a second box has its table"
kill -9 "$sup"
nsbox_wait '[ "$(tables)" = 0 ]' 10
ok $? "kill -9 of the supervisor: its sweeper removes the table"
touch "$S/go"
wait $PA 2>/dev/null
nsbox_check_clean "supervisor killed"

# ---- root in a lab box (all its capabilities in the box's namespaces) tries to get out ----
# its own netfilter is flushed (nft and iptables), its address changed, a raw socket sends: the rules are on the
# host's side of the veth, in a namespace the box cannot enter
labprobe="
	echo CAPS \$(grep ^CapEff /proc/self/status | cut -f2)
	nft flush ruleset && echo NFT-FLUSHED
	iptables -P OUTPUT ACCEPT && iptables -F && iptables -t raw -F && echo IPT-FLUSHED
	echo HOSTTABLES \$(nft list tables 2>/dev/null | grep -c nsbox-)
	ip addr add 10.89.0.250/24 dev eth0 && echo READDRESSED
	$probe
	out=\$(socat -T3 -t3 - TCP:$U1:80,bind=10.89.0.250,connect-timeout=4 </dev/null 2>&1); echo \"SPOOFED \$out\"
	ping -c1 -W3 -I 10.89.0.250 $U1 >/dev/null 2>&1 && echo RAW-PASSED || echo RAW-STOPPED
	$carry_ns fd91::2
	tcp6 fd91::2 22"
# control: the same probes from a lab box without the list get through (so each works)
out=$("$NSBOX_PAMRUN" nsbox-test-eglabany root -- sh -c "$labprobe" 2>&1)
like "$out" "SPOOFED U1-80" "lab box without a list: the spoofed connection answers (the probe works)"
like "$out" "RAW-PASSED" "lab box without a list: the raw echo answers (the probe works)"
like "$out" "NS-SENT" "lab box without a list: root sends neighbour solicitations to a far host" "$out"
nsbox_wait '[ "$(farcount ns)" -ge 3 ]' 10
ok $? "lab box without a list: they reach it, routed by the host (the probe works)" "$(farcount ns)"
nsbox_check_clean "lab box without a list"
ns_before=$(farcount ns)
out=$("$NSBOX_PAMRUN" nsbox-test-eglab root -- sh -c "$labprobe" 2>&1)
like "$out" "CAPS 000001ffffffffff|CAPS 0000003fffffffff|CAPS 000001fffeffffff" "lab box: root has its capabilities" 
like "$out" "NFT-FLUSHED" "lab box: root flushes the box's own nftables"
like "$out" "IPT-FLUSHED" "lab box: and its iptables"
like "$out" "HOSTTABLES 0" "lab box: the host's table is not in the box's view"
like "$out" "READDRESSED" "lab box: root adds an address of its choice"
like "$out" "$(re "$U1:22/tcp") open" "lab box: the allowed destination still answers"
like "$out" "$(re "$U1:80/tcp") refused" "lab box: after the flush, a denied destination is still refused"
like "$out" "SPOOFED .*(refused|reset)" "lab box: from another source address too"
like "$out" "RAW-STOPPED" "lab box: a raw ICMP echo from it is stopped"
like "$out" "NS-SENT" "lab box: root sends neighbour solicitations to a far host" "$out"
like "$out" "$(re "[fd91::2]:22/tcp") open" "lab box: then connects to that host, which the list allows"
is "$(farcount ns)" "$ns_before" \
	"lab box: no solicitation got there before it (neighbour discovery stays on the link)"
unlike "$out" "hung" "lab box: nothing hangs"
nsbox_check_clean "lab box"
is "$(tables)" 0 "lab box: its table is gone after logout"

# ---- the box's own DNS servers pass without being listed ----
like "$("$NSBOX_CTL" check "$CONF" --user $U --service nsbox-test-egdns 2>&1)" \
	"# egress also lets through the box's dns servers" "nsboxctl check says the DNS servers pass"
out=$("$NSBOX_PAMRUN" nsbox-test-egdns $U -- sh -c "$probe" 2>&1)
like "$out" "$(re "$U2:53/udp") open" "dns = $U2: its port 53 answers though the list does not name it"
like "$out" "$(re "$U2:22/tcp") refused" "and the rest of that host stays refused"
nsbox_check_clean "dns under egress"

# ---- the gc: a table whose box is gone (its supervisor and sweeper both died) goes at the next
# login; a live box's table and a table not named like ours stay ----
nft add table netdev nsbox-0dead0ff
nft add table netdev nsbox-mine
m=$(nsbox_log_mark)
hold
nsbox_wait '! nft list tables netdev | grep -q nsbox-0dead0ff' 10
ok $? "the next login's gc removes the table of a box that is gone"
nsbox_wait 'nsbox_log_since "$m" | grep -q "removed the egress rules of 1 ended box$"' 10
ok $? "and says so, in one line"
like "$(nft list tables netdev)" "nsbox-$ID" "the live box's table stays"
like "$(nft list tables netdev)" "nsbox-mine" "a table not named like ours stays"
nft delete table netdev nsbox-mine
touch "$S/go"
wait $PA
nsbox_check_clean "gc"
is "$(tables)" 0 "gc: nothing of ours left"

# ---- address = dhcp under a list: the lease comes through, and so do the lease's DNS servers
# (added once the lease names them), while the rest of that server's host is refused ----
if command -v dnsmasq >/dev/null && [ -x /sbin/dhclient ]; then
	nsbox_bridge nsbt-egdh 10.90.0.1/24
	dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --user=root --group=root \
		--interface=nsbt-egdh --bind-interfaces --except-interface=lo \
		--dhcp-range=10.90.0.50,10.90.0.60,255.255.255.0,1h \
		--dhcp-option=option:router,10.90.0.1 --dhcp-option=option:dns-server,10.90.0.1 \
		--dhcp-leasefile="$NSBOX_T/dnsmasq.leases" --pid-file="$NSBOX_T/dnsmasq.pid" \
		--log-facility=- >"$NSBOX_T/dnsmasq.log" 2>&1 &
	nsbox_track_pid $!
	socat UDP-RECVFROM:53,bind=10.90.0.1,reuseaddr,fork SYSTEM:'echo H-53' </dev/null >/dev/null 2>&1 &
	nsbox_track_pid $!
	socat TCP-LISTEN:8002,bind=10.90.0.1,reuseaddr,fork SYSTEM:'echo H-8002' </dev/null >/dev/null 2>&1 &
	nsbox_track_pid $!
	out=$("$NSBOX_PAMRUN" nsbox-test-egdhcp $U -- sh -c "echo IP \$NSBOX_IPV4; $probe; udp 10.90.0.1 53; tcp 10.90.0.1 8002" 2>&1)
	like "$(field IP "$out")" '^10\.90\.0\.(5[0-9]|60)$' "dhcp under a list: the box got its lease" "$out"
	like "$out" "10\.90\.0\.1:53/udp open" "dhcp under a list: the lease's DNS server answers"
	like "$out" "10\.90\.0\.1:8002/tcp refused" "dhcp under a list: the rest of that host is refused"
	nsbox_check_clean "dhcp under egress"
	is "$(tables)" 0 "dhcp under egress: its table is gone after logout"

	# DHCP goes to the broadcast address and to the server that gave the lease (its renewals),
	# nowhere else: root in a lab box sends from port 68 to a far host's port 67 and to the
	# server's; the probe: without a list the far host gets them
	nft -f - <<'NFT'
table inet nsbt-host {
	counter srv { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip daddr 10.90.0.1 udp sport 68 udp dport 67 counter name srv
	}
}
NFT
	hostcount() { nft list counter inet nsbt-host srv | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
	dprobe="echo IP \$NSBOX_IPV4; $probe; $carry_dhcp \$NSBOX_IPV4 $FAR; $carry_dhcp \$NSBOX_IPV4 10.90.0.1
		tcp $FAR 22"
	out=$("$NSBOX_PAMRUN" nsbox-test-egdhcplabany root -- sh -c "$dprobe" 2>&1)
	like "$out" "DHCP-SENT" "dhcp lab box without a list: root sends from port 68 to a far host's 67" "$out"
	nsbox_wait '[ "$(farcount dhcp)" -ge 3 ]' 10
	ok $? "dhcp lab box without a list: they reach it (the probe works)" "$(farcount dhcp)"
	nsbox_check_clean "dhcp lab box without a list"
	far_before=$(farcount dhcp) srv_before=$(hostcount)
	out=$("$NSBOX_PAMRUN" nsbox-test-egdhcplab root -- sh -c "$dprobe" 2>&1)
	like "$(field IP "$out")" '^10\.90\.0\.(5[0-9]|60)$' "dhcp lab box: it got its lease" "$out"
	like "$out" "DHCP-SENT" "dhcp lab box: root sends from port 68 to a far host's 67 and the server's" "$out"
	like "$out" "$(re "$FAR:22/tcp") open" "dhcp lab box: then connects to that host, which the list allows"
	is "$(farcount dhcp)" "$far_before" "dhcp lab box: nothing from port 68 got to the far host"
	nsbox_wait '[ "$(hostcount)" -ge $((srv_before + 3)) ]' 10
	ok $? "dhcp lab box: the lease's server gets them (renewals go there)" "$(hostcount)"
	nsbox_check_clean "dhcp lab box"
	nft delete table inet nsbt-host
else
	fail "dhcp under egress: dnsmasq and dhclient are needed (tests/install-deps.sh installs them)"
fi

# ---- no libnftables: a box with a list is refused (never let out unlisted), one line says why,
# nothing is left; a box without a list does not need the library ----
lib=$(ldconfig -p | awk '$1 == "libnftables.so.1" { print $NF; exit }')
ok $([ -f "$lib" ]; echo $?) "the library is installed here ($lib)"
mount --bind /dev/null "$lib" # this test's mount namespace only
m=$(nsbox_log_mark)
"$NSBOX_PAMRUN" nsbox-test-eglist $U -- true >"$NSBOX_T/nolib" 2>&1
isnt $? 0 "without libnftables a box with a list is refused" "$(cat "$NSBOX_T/nolib")"
nsbox_wait 'nsbox_log_since "$m" | grep -q "cannot load libnftables.so.1"' 10
ok $? "one line says why" "$(nsbox_log_since "$m")"
nsbox_check_clean "no libnftables"
is "$(tables)" 0 "no libnftables: no table left"
out=$("$NSBOX_PAMRUN" nsbox-test-egany $U -- sh -c 'echo ID $NSBOX_ID' 2>&1)
like "$out" "^ID [0-9a-f]{8}" "without libnftables a box without a list still starts"
umount "$lib"
nsbox_check_clean "no libnftables, no list"
