#!/bin/bash
# address = dhcp: a real DHCP server (dnsmasq) on a test bridge inside this test's network
# namespace; the box gets address, route and DNS from it and releases the lease at logout;
# no server → the login is refused after dhcp_timeout.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

command -v dnsmasq >/dev/null || skip_all "dnsmasq not installed"
[ -x /sbin/dhclient ] || skip_all "dhclient not installed"

BR=nsbt-dhbr
ip link add $BR type bridge
ip addr add 10.78.0.1/24 dev $BR
ip link set $BR up
ip link add nsbt-deadbr type bridge
ip link set nsbt-deadbr up

LEASES=$NSBOX_T/dnsmasq.leases
: >"$LEASES"
dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --user=root --group=root \
	--interface=$BR --bind-interfaces --except-interface=lo \
	--dhcp-range=10.78.0.50,10.78.0.60,255.255.255.0,1h \
	--dhcp-option=option:router,10.78.0.1 --dhcp-option=option:dns-server,10.78.0.53 \
	--dhcp-option=option:domain-search,dhcp.test \
	--dhcp-leasefile="$LEASES" --pid-file="$NSBOX_T/dnsmasq.pid" --log-facility=- \
	>"$NSBOX_T/dnsmasq.log" 2>&1 &
DNSMASQ=$!
nsbox_track_pid $DNSMASQ
sleep 0.3

for u in nsbt-dh nsbt-dhdead; do nsbox_add_user $u; done
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u

[match user=nsbt-dh]
network = bridge
bridge  = $BR
address = dhcp
dhcp_timeout = 10

[match user=nsbt-dhdead]
network = bridge
bridge  = nsbt-deadbr
address = dhcp
dhcp_timeout = 1")
SVC=nsbox-test-dhcp
nsbox_service $SVC "conf=$CONF"

out=$("$NSBOX_PAMRUN" $SVC nsbt-dh -- sh -c '
echo ADDR $(ip -o -4 addr show dev eth0 | awk "{print \$4}")
echo ROUTE $(ip route show default)
echo RESOLV $(grep -v "^#" /etc/resolv.conf | tr "\n" " ")
echo ENV $NSBOX_IPV4
echo LEASED $(grep -c . '"$LEASES"')
' 2>&1)
ok $? "DHCP box: login works" "$out"
field() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }
like "$(field ADDR)" "^10\.78\.0\.(5[0-9]|60)/24$" "DHCP box: address from the server"
like "$(field ROUTE)" "^default via 10.78.0.1 dev eth0" "DHCP box: default route from the lease"
is "$(field RESOLV)" "nameserver 10.78.0.53 search dhcp.test" "DHCP box: DNS from the lease"
is "$(field ENV)/24" "$(field ADDR)" "DHCP box: NSBOX_IPV4 matches"
is "$(field LEASED)" 1 "DHCP server had one lease during the session"
nsbox_check_clean "DHCP box"
nsbox_wait "[ \$(grep -c . '$LEASES') -eq 0 ]" 5
is "$(grep -c . "$LEASES")" 0 "DHCP lease released at logout"
is "$(pgrep -f 'dhclient.* /run/nsbox/boxes/' | wc -l)" 0 "no DHCP client of a box left running"

m=$(nsbox_log_mark)
rm -f "$NSBOX_T/ran"
"$NSBOX_PAMRUN" $SVC nsbt-dhdead -- touch "$NSBOX_T/ran" 2>/dev/null
isnt $? 0 "no DHCP server: login refused"
ok $([ ! -e "$NSBOX_T/ran" ]; echo $?) "no DHCP server: command did not run"
like "$(nsbox_log_since "$m")" "no box for user 'nsbt-dhdead': no DHCP lease on 'nsbt-deadbr' within 1 s; session denied" "no DHCP server: the log says why"
nsbox_check_clean "no DHCP server"
is "$(pgrep -f 'dhclient.* /run/nsbox/boxes/' | wc -l)" 0 "no DHCP client of a box left after the refusal"
