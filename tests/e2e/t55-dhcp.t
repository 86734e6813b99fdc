#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# address = dhcp: a real DHCP server (dnsmasq) on a test bridge inside this test's network
# namespace; the box gets address, route and DNS from it and releases the lease at logout;
# no server → the login is refused after dhcp_timeout; a server sending a bad lease (a router
# outside the subnet) → refused at once with the reason. The client runs confined: its own
# unprivileged user (dhcp_user) with the two network capabilities it needs as ambient ones,
# no_new_privs, the box's network namespace, PID 1 of a pid namespace of its own, a root of its
# own (the host's programs and /etc read-only, one writable directory). From its credentials
# /etc/shadow cannot be read nor a root process signalled; with the root credentials it had
# before, both can (the probe works).
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

# a search domain of 110 bytes: leases used to cut them at 64
LONGDOM=$(printf 'a%.0s' $(seq 60)).$(printf 'b%.0s' $(seq 40)).dhcp.test
LEASES=$NSBOX_T/dnsmasq.leases
: >"$LEASES"
dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --user=root --group=root \
	--interface=$BR --bind-interfaces --except-interface=lo \
	--dhcp-range=10.78.0.50,10.78.0.60,255.255.255.0,1h \
	--dhcp-option=option:router,10.78.0.1 --dhcp-option=option:dns-server,10.78.0.53 \
	--dhcp-option=option:domain-search,dhcp.test,$LONGDOM \
	--dhcp-leasefile="$LEASES" --pid-file="$NSBOX_T/dnsmasq.pid" --log-facility=- \
	>"$NSBOX_T/dnsmasq.log" 2>&1 &
DNSMASQ=$!
nsbox_track_pid $DNSMASQ
# a server whose lease names a router outside the subnet it hands out
ip link add nsbt-dhbad type bridge
ip addr add 10.78.1.1/24 dev nsbt-dhbad
ip link set nsbt-dhbad up
dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --user=root --group=root \
	--interface=nsbt-dhbad --bind-interfaces --except-interface=lo \
	--dhcp-range=10.78.1.50,10.78.1.60,255.255.255.0,1h \
	--dhcp-option=option:router,10.99.0.1 --dhcp-leasefile="$NSBOX_T/bad.leases" \
	--pid-file="$NSBOX_T/dnsmasq-bad.pid" --log-facility=- >"$NSBOX_T/dnsmasq-bad.log" 2>&1 &
nsbox_track_pid $!
nsbox_wait '[ "$(ss -Hlun "sport = :67" | wc -l)" -ge 2 ]' 5

# dhclient writes its own lease database only after its script ran: this client runs the real
# script and then takes another second, so a session that ends at once ends before the database
# has the lease (the release, which reads it, used to find nothing to send)
mkdir -p "$NSBOX_T/bin"
cat >"$NSBOX_T/bin/dhclient-late-script" <<'EOS'
#!/bin/sh
"$NSBOX_REAL_SCRIPT" "$@"
rc=$?
[ "$reason" = BOUND ] && sleep 1
exit $rc
EOS
cat >"$NSBOX_T/bin/dhclient-late" <<EOS
#!/bin/bash
args=()
while [ \$# -gt 0 ]; do
	if [ "\$1" = -sf ]; then
		args+=(-sf "$NSBOX_T/bin/dhclient-late-script" -e "NSBOX_REAL_SCRIPT=\$2")
		shift 2
		continue
	fi
	args+=("\$1")
	shift
done
exec /sbin/dhclient "\${args[@]}"
EOS
chmod 0755 "$NSBOX_T/bin/dhclient-late" "$NSBOX_T/bin/dhclient-late-script"

for u in nsbt-dh nsbt-dhq nsbt-dhdead nsbt-dhbad nsbt-dhcpc; do nsbox_add_user $u; done
DUID=$(id -u nsbt-dhcpc)
DGID=$(id -g nsbt-dhcpc)
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u
dhcp_user = nsbt-dhcpc

[match user=nsbt-dh]
network = bridge
bridge  = $BR
address = dhcp
dhcp_timeout = 10

[match user=nsbt-dhq]
network = bridge
bridge  = $BR
address = dhcp
dhcp_client = $NSBOX_T/bin/dhclient-late
dhcp_timeout = 10

[match user=nsbt-dhbad]
network = bridge
bridge  = nsbt-dhbad
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
is "$(field RESOLV)" "nameserver 10.78.0.53 search dhcp.test $LONGDOM" "DHCP box: DNS from the lease, a 110-byte search domain whole"
is "$(field ENV)/24" "$(field ADDR)" "DHCP box: NSBOX_IPV4 matches"
is "$(field LEASED)" 1 "DHCP server had one lease during the session"
nsbox_check_clean "DHCP box"
nsbox_wait "[ \$(grep -c . '$LEASES') -eq 0 ]" $NSBOX_SETTLE
is "$(grep -c . "$LEASES")" 0 "DHCP lease released at logout"
is "$(pgrep -f 'dhclient.* /run/nsbox/boxes/' | wc -l)" 0 "no DHCP client of a box left running"

# ---- a session that ends before the client wrote its lease database still releases ----
m=$(nsbox_log_mark)
rel0=$(grep -c DHCPRELEASE "$NSBOX_T/dnsmasq.log")
out=$("$NSBOX_PAMRUN" $SVC nsbt-dhq -- sh -c 'echo ADDR $(ip -o -4 addr show dev eth0 | awk "{print \$4}")' 2>&1)
ok $? "late lease database: login works" "$out"
like "$(printf '%s\n' "$out" | sed -n 's/^ADDR //p')" "^10\.78\.0\.(5[0-9]|60)/24$" "late lease database: address from the server"
nsbox_check_clean "late lease database"
nsbox_wait "[ \$(grep -c . '$LEASES') -eq 0 ] && [ \$(grep -c DHCPRELEASE '$NSBOX_T/dnsmasq.log') -gt $rel0 ]" $NSBOX_SETTLE
is "$(grep -c . "$LEASES")" 0 "late lease database: the lease is released at logout all the same"
is "$(grep -c DHCPRELEASE "$NSBOX_T/dnsmasq.log")" $((rel0 + 1)) "late lease database: the server got one DHCPRELEASE"
unlike "$(nsbox_log_since "$m")" "DHCP release" "late lease database: no release warning in the log"

# ---- the running client, confined ----
mkdir -m 1777 "$NSBOX_T/s"
# (an application that is the OOM killer's first pick, 500: the helper is forked from it, and
# its supervisor sets -1000 for itself only where it has CAP_SYS_RESOURCE)
sh -c 'echo 500 >/proc/self/oom_score_adj && exec "$0" "$@"' "$NSBOX_PAMRUN" $SVC nsbt-dh -- \
	sh -c "echo up >$NSBOX_T/s/held; exec sleep 600" </dev/null >/dev/null 2>&1 &
HELD=$!
nsbox_track_pid $HELD
# the session runs: the login is done, nothing of the box is still being built
nsbox_wait "[ -s $NSBOX_T/s/held ]" 15
BOX=$(nsbox_records | head -1)
C=$(pgrep -f 'dhclient.* /run/nsbox/boxes/' | head -1)
nsbox_wait "grep -q '^init=[1-9]' /run/nsbox/boxes/$BOX/record" 15
INIT=$(sed -n 's/^init=//p' "/run/nsbox/boxes/$BOX/record")
st() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$C/status"; }
note "client $C: $(grep -E '^(Uid|Gid|Groups|NSpid|Cap|NoNewPrivs)' /proc/$C/status | tr '\n\t' '  ')"
is "$(st Uid)" "$DUID	$DUID	$DUID	$DUID" "client: runs as its own user, nsbt-dhcpc (dhcp_user), not root"
is "$(st Gid)/$(st Groups | tr -d ' ')" "$DGID	$DGID	$DGID	$DGID/$DGID" "client: its group only"
# CAP_NET_BIND_SERVICE (10) and CAP_NET_RAW (13) only
is "$(st CapEff)" 0000000000002400 "client: effective capabilities are net_bind_service and net_raw only"
is "$(st CapPrm)" 0000000000002400 "client: permitted the same"
is "$(st CapBnd)" 0000000000002400 "client: bounding set the same (its script gets no more)"
is "$(st CapInh)/$(st CapAmb)" 0000000000002400/0000000000002400 "client: the two as ambient capabilities (and inheritable, which ambient ones need)"
is "$(st NoNewPrivs)" 1 "client: no_new_privs"
# the client parses the bridge's packets: one that makes it grow must make it the OOM killer's
# pick, never carry its supervisor's score (-1000, or here the application's 500)
SUP=$(sed -n 's/^supervisor=//p' "/run/nsbox/boxes/$BOX/record")
like "$(cat /proc/$SUP/oom_score_adj)" '^(-1000|500)$' "the supervisor's oom_score_adj is not 0 (the probe works)"
is "$(cat /proc/$C/oom_score_adj)" 0 "client: oom_score_adj 0, not the supervisor's"
is "$(readlink /proc/$C/ns/net)" "$(readlink /proc/$INIT/ns/net)" "client: in the box's network namespace"
like "$(st NSpid)" "^$C	1$" "client: PID 1 of a pid namespace of its own"
isnt "$(readlink /proc/$C/ns/pid)" "$(readlink /proc/$INIT/ns/pid)" "client: not the box's pid namespace (which dies with the box's init before the release)"
isnt "$(readlink /proc/$C/ns/mnt)" "$(readlink /proc/self/ns/mnt)" "client: not in the host's mount namespace"
isnt "$(readlink /proc/$C/ns/mnt)" "$(readlink /proc/$INIT/ns/mnt)" "client: not in the box's mount namespace (its own)"
# its view of the file system
cview() { nsenter --target "$C" --mount -- "$@"; }
# (and the top of the script's directory, next to the helper, when it is not below /usr)
top=$(echo "$NSBOX_BUILD" | cut -d/ -f2)
want=$(for d in bin dev etc lib lib32 lib64 libx32 proc run sbin usr $top; do
	case $d in dev | proc | run) echo $d ;; *) [ -e /$d ] && echo $d ;; esac
done | sort -u | tr '\n' ' ')
is "$(cview ls -A / | tr '\n' ' ')" "$want" \
	"client's root: programs, libraries, /etc, /dev, /proc and /run (no /home, /root, /tmp, /var, /srv, /sys)"
is "$(cview ls -A /dev | tr '\n' ' ')" "full null random urandom zero " "client's /dev: five nodes"
is "$(cview ls /proc | grep -cE '^[0-9]+$')" 1 "client's /proc: its own pid namespace, one process"
is "$(cview find /run -mindepth 1 -maxdepth 4 | tr '\n' ' ')" "/run/nsbox /run/nsbox/boxes /run/nsbox/boxes/$BOX /run/nsbox/boxes/$BOX/dhcp " \
	"client's /run: only the way to its own directory"
probe=$NSBOX_T/client-probe
touch "$probe" && rm -f "$probe"
ok $? "probe: root writes $probe in the host's mount namespace"
cview touch "$probe" 2>/dev/null
isnt $? 0 "probe: not in the client's view (no $NSBOX_T there)"
cview touch /usr/nsbt-probe 2>/dev/null
isnt $? 0 "probe: the host's directories are read-only there"
cview setpriv --reuid=$DUID --regid=$DGID --clear-groups touch "/run/nsbox/boxes/$BOX/dhcp/probe" 2>/dev/null
ok $? "probe: its own directory is writable for its user (pid file, lease database, the script's output)"
is "$(stat -c '%U %a' "/run/nsbox/boxes/$BOX/dhcp")" "nsbt-dhcpc 700" "which is its user's, 0700, inside the box's root-only directory"

# ---- what the client's credentials can do if a packet takes it over ----
# A root process to signal: one of ours (signal 0 is only the check).
sleep 600 &
ROOTP=$!
nsbox_track_pid $ROOTP
# the credentials the client runs with, from its status, and the root ones it ran with before
cred_of_client="--reuid=$(st Uid | cut -f1) --regid=$(st Gid | cut -f1) --clear-groups"
caps="--inh-caps=-all,+net_raw,+net_bind_service --bounding-set=-all,+net_raw,+net_bind_service"
attack='r=""; head -c1 /etc/shadow >/dev/null 2>&1 && r="$r shadow"; kill -0 '$ROOTP' 2>/dev/null && r="$r kill"; echo "got:$r"'
out=$(setpriv $cred_of_client $caps --ambient-caps=+net_raw,+net_bind_service --no-new-privs sh -c "$attack" 2>&1)
is "$out" "got:" "with the client's credentials: /etc/shadow unreadable, root's process not signalled"
out=$(nsenter --target "$C" --mount --pid -- setpriv $cred_of_client $caps \
	--ambient-caps=+net_raw,+net_bind_service --no-new-privs sh -c "$attack; echo root-procs: \$(ps -eo user= | grep -cx root)" 2>&1)
is "$out" "got:
root-procs: 0" "in the client's namespaces too, and no root process is even visible there"
out=$(setpriv --reuid=0 --regid=0 --clear-groups $caps --no-new-privs sh -c "$attack" 2>&1)
is "$out" "got: shadow kill" "control: the root credentials it had before read /etc/shadow and signal root's process"
_nsbox_kill_pids 10 $ROOTP
"$NSBOX_CTL" stop --wait "$BOX" >/dev/null 2>&1
wait $HELD 2>/dev/null
nsbox_check_clean "held DHCP box"

# ---- the client dies with its supervisor: its own user's credentials must not cost it its
# parent-death signal (a credential change clears it) ----
rm -f "$NSBOX_T/s/held"
"$NSBOX_PAMRUN" $SVC nsbt-dh -- sh -c "echo up >$NSBOX_T/s/held; exec sleep 600" </dev/null >/dev/null 2>&1 &
HELD=$!
nsbox_track_pid $HELD
nsbox_wait "[ -s $NSBOX_T/s/held ]" 15
BOX=$(nsbox_records | head -1)
SUP=$(sed -n 's/^supervisor=//p' "/run/nsbox/boxes/$BOX/record")
C=$(pgrep -f "dhclient.* /run/nsbox/boxes/$BOX/" | head -1)
ok $([ -n "$SUP" ] && [ -n "$C" ]; echo $?) "held DHCP box: supervisor $SUP, client $C"
kill -KILL "$SUP"
nsbox_wait "! nsbox_alive $C" $NSBOX_SETTLE
ok $? "kill -9 of the supervisor: its DHCP client ends with it"
wait $HELD 2>/dev/null
nsbox_check_clean "supervisor killed"

# ---- a bad lease: refused at once, with the reason ----
m=$(nsbox_log_mark)
rm -f "$NSBOX_T/ran"
"$NSBOX_PAMRUN" $SVC nsbt-dhbad -- touch "$NSBOX_T/ran" 2>/dev/null
isnt $? 0 "off-subnet router: login refused"
ok $([ ! -e "$NSBOX_T/ran" ]; echo $?) "off-subnet router: command did not run"
like "$(nsbox_log_since "$m")" "no box for user 'nsbt-dhbad': DHCP lease on 'nsbt-dhbad' refused: router 10\.99\.0\.1 is not another address inside 10\.78\.1\.0/24; session denied" "off-subnet router: the log says why, in one line"
nsbox_check_clean "off-subnet router"
is "$(pgrep -f 'dhclient.* /run/nsbox/boxes/' | wc -l)" 0 "no DHCP client left after the bad lease"

m=$(nsbox_log_mark)
rm -f "$NSBOX_T/ran"
"$NSBOX_PAMRUN" $SVC nsbt-dhdead -- touch "$NSBOX_T/ran" 2>/dev/null
isnt $? 0 "no DHCP server: login refused"
ok $([ ! -e "$NSBOX_T/ran" ]; echo $?) "no DHCP server: command did not run"
like "$(nsbox_log_since "$m")" "no box for user 'nsbt-dhdead': no DHCP lease on 'nsbt-deadbr' within 1 s; session denied" "no DHCP server: the log says why"
nsbox_check_clean "no DHCP server"
is "$(pgrep -f 'dhclient.* /run/nsbox/boxes/' | wc -l)" 0 "no DHCP client of a box left after the refusal"
