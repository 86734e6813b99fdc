#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# share = user: a user's concurrent logins (session runner and a real sshd) join one box and
# share its pid, net, uts, ipc and mount namespaces; the box outlives the first logout and goes
# with the last; a killed member leaves the others working; users and settings never mix; 20
# logins at once make one box; max_boxes and max_sessions deny with one line; share = none is
# unchanged; a forged record is never joined and its socket never gets the session's fds.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_require_cmd socat ss pamtester
nsbox_private_state

BR=nsbt-shbr0
ip link add $BR type bridge
ip addr add 10.78.0.1/24 dev $BR
ip link set $BR up

U=nsbt-sh1
U2=nsbt-sh2
for u in $U $U2 nsbt-shn nsbt-shm nsbt-shb nsbt-shbr; do nsbox_add_user $u; done
SVC=nsbox-test-share
OTHER=nsbox-test-share2
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = box-%u

[match user=$U service=$OTHER]
share = user
hostname = other-%u

[match user=$U,$U2]
share = user

[match user=nsbt-shm]
share = user
max_sessions = 2

[match user=nsbt-shb]
max_boxes = 2

[match user=nsbt-shbr]
share = user
network = bridge
bridge = $BR
address = pool 10.78.0.0/24 10.78.0.100-10.78.0.199
gateway = 10.78.0.1")
nsbox_service $SVC "conf=$CONF"
nsbox_service $OTHER "conf=$CONF"
ALLOW=nsbox-test-share3
nsbox_service $ALLOW "conf=$CONF on_error=allow"
check "nsboxctl check shows share = user" sh -c "'$NSBOX_CTL' check '$CONF' --user $U --service $SVC | grep -qx 'share = user'"
check "nsboxctl check shows max_sessions" sh -c "'$NSBOX_CTL' check '$CONF' --user nsbt-shm | grep -qx 'max_sessions = 2'"
check "nsboxctl check shows max_boxes" sh -c "'$NSBOX_CTL' check '$CONF' --user nsbt-shb | grep -qx 'max_boxes = 2'"
check "nsboxctl explain shows share" sh -c "'$NSBOX_CTL' explain --conf '$CONF' --user $U | grep -qx 'share = user'"

# a scratch dir every test user can write; a session holds while its file exists
S=$NSBOX_T/s
mkdir -m 1777 "$S"
probe='for t in pid mnt ipc uts net; do printf "%s " "$(readlink /proc/self/ns/$t)"; done; echo'
# hold NAME : a session command that reports its namespaces and box, then waits for $S/NAME.hold
hold() { echo "echo \$NSBOX_ID \$($probe) >$S/$1.out; while [ -e $S/$1.hold ]; do sleep 0.05; done"; }
# session SERVICE USER NAME : a held session through the runner, in the background; pid in $!
session() {
	rm -f "$S/$3.out"
	touch "$S/$3.hold"
	"$NSBOX_PAMRUN" "$1" "$2" -- sh -c "$(hold "$3")" >"$S/$3.log" 2>&1 &
	nsbox_track_pid $!
	SESSP+=($!)
}
SESSP=()
# ends every session started so far and waits for them (never for the test's sshd): a failed
# check before never leaves the script waiting on a held session
wait_sessions() {
	rm -f "$S"/*.hold
	[ ${#SESSP[@]} -eq 0 ] || wait "${SESSP[@]}" 2>/dev/null
	SESSP=()
}
started() { nsbox_wait "[ -s $S/$1.out ]" "${2:-10}"; }
boxid() { cut -d' ' -f1 "$S/$1.out"; }
nsof() { cut -d' ' -f2- "$S/$1.out"; }
rec() { sed -n "s/^$2=//p" "/run/nsbox/boxes/$1/record"; }
members() { rec "$1" members; }

# ---- two sessions of one user share one box ----
m=$(nsbox_log_mark)
session $SVC $U a
pa=$!
started a
ok $? "first session is up" "$(cat "$S/a.log")"
ID=$(boxid a)
like "$ID" '^[0-9a-f]{8}$' "first session: NSBOX_ID"
is "$(rec "$ID" share)" 1 "the record says the box is shared"
DIGEST=$(rec "$ID" digest)
NSV=$(rec "$ID" namespaces)
session $SVC $U b
pb=$!
started b
ok $? "second session is up" "$(cat "$S/b.log")"
is "$(boxid b)" "$ID" "second session: the same NSBOX_ID"
is "$(nsof b)" "$(nsof a)" "the two sessions share pid, mnt, ipc, uts and net namespaces"
isnt "$(nsof a)" "$(nsbox_host_ns) " "and they are not the host's"
is "$(nsbox_records | tr '\n' ' ')" "$ID " "one record"
is "$(members "$ID")" 2 "the record counts 2 members"
like "$(nsbox_log_since "$m")" "box=$ID joined: user='$U' service='$SVC' .* members=2" "the helper logs the join with the member count"
out=$("$NSBOX_CTL" list)
like "$out" "MEMBERS" "nsboxctl list has a MEMBERS column"
like "$(printf '%s\n' "$out" | grep "^$ID")" " 2 " "nsboxctl list: 2 members"
note "nsboxctl list:" "$out"
out=$("$NSBOX_CTL" show "$ID")
is "$(printf '%s\n' "$out" | grep -c "^member = ")" 2 "nsboxctl show lists both member sessions" "$out"
note "nsboxctl show:" "$out"

# processes and loopback across sessions
"$NSBOX_PAMRUN" $SVC $U -- sh -c "socat TCP-LISTEN:8000,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo FROM-BOX' </dev/null >/dev/null 2>&1 & echo \$! >$S/srv.pid" 
nsbox_wait "[ -s $S/srv.pid ]" 5
out=$("$NSBOX_PAMRUN" $SVC $U -- sh -c "echo ID \$NSBOX_ID; for i in \$(seq 50); do socat -T1 -t1 - TCP:127.0.0.1:8000 </dev/null 2>/dev/null && break; sleep 0.1; done; ps -e -o pid=,args= | grep -c '[w]hile \\[ -e $S/a.hold'")
like "$out" "ID $ID" "a third session joins the same box"
like "$out" "FROM-BOX" "it reaches a loopback server a session started earlier (and that session ended)"
like "$out" $'\n1$' "it sees the first session's processes"
ok $([ -z "$(ss -Hltn 'sport = :8000')" ]; echo $?) "the server is not on the test's (host's) loopback"

# ---- the box outlives the first logout ----
m=$(nsbox_log_mark)
rm "$S/a.hold"
nsbox_wait "! nsbox_alive $pa" 10
ok $? "first session logged out"
nsbox_wait "[ \"\$(members $ID)\" = 1 ]" 5
is "$(members "$ID")" 1 "one member left"
like "$(nsbox_log_since "$m")" "box=$ID left: user='$U' .* reason='session closed' members=1" "the helper logs the leave"
out=$("$NSBOX_PAMRUN" $SVC $U -- sh -c "echo ID \$NSBOX_ID; socat -T1 -t1 - TCP:127.0.0.1:8000 </dev/null")
like "$out" "ID $ID.*FROM-BOX" "after the first logout the box and its server live on"

# ---- the last logout ends it ----
srv=$(pgrep -u $U -x socat | head -1)
rm "$S/b.hold"
nsbox_wait "! nsbox_alive $pb" 10
nsbox_check_clean "last logout"
is "$(nsbox_user_procs $U | tr '\n' ' ')" "" "last logout: the user's processes (the server) are gone"
like "$(nsbox_log_grep "box=$ID ended")" "reason='last session ended'" "the box ended with its last session"

# ---- two users never share; other settings get their own box ----
session $SVC $U a
started a
session $SVC $U2 c
started c
session $OTHER $U d
started d
isnt "$(boxid c)" "$(boxid a)" "another user gets another box"
isnt "$(nsof c)" "$(nsof a)" "and other namespaces"
isnt "$(boxid d)" "$(boxid a)" "other settings (another section) get their own box"
is "$(nsbox_records | wc -l)" 3 "three boxes"
rm "$S/a.hold" "$S/c.hold" "$S/d.hold"
wait_sessions
nsbox_check_clean "two users"

# ---- 20 logins at once: one box, 20 members, one veth, one lease ----
for i in $(seq 1 20); do session $SVC nsbt-shbr p$i; done
ok0=0
for i in $(seq 1 20); do started p$i 30 || ok0=1; done
ok $ok0 "20 simultaneous sessions are up"
is "$(for i in $(seq 1 20); do boxid p$i; done | sort -u | wc -l)" 1 "all 20 in one box"
is "$(nsbox_records | wc -l)" 1 "one record"
PID=$(boxid p1)
is "$(members "$PID")" 20 "20 members"
is "$("$NSBOX_CTL" show "$PID" | grep -c '^member = ')" 20 "nsboxctl show lists 20 members"
is "$(host_veths | wc -l)" 1 "one veth"
is "$(held_leases)" 1 "one lease"
rm -f "$S"/p*.hold
wait_sessions
nsbox_check_clean "20 logins"
is "$(host_veths | tr '\n' ' ')" "" "20 logins: no veth left"
is "$(held_leases)" 0 "20 logins: no lease left"

# ---- a real sshd: shared sessions, ssh -L into the other session's listener, kill -9 of a
# member's monitor ----
nsbox_sshd_start $SVC
nsbox_ssh_authorize $U
# ssh_session NAME [SSH-OPTS...] -- [PREFIX-CMD] : a held ssh session in the background
ssh_session() {
	local name=$1 pre=""
	shift
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	pre=${1:-}
	rm -f "$S/$name.out"
	touch "$S/$name.hold"
	nsbox_ssh $U "${opts[@]}" -- "$pre $(hold "$name")" >"$S/$name.log" 2>&1 &
	nsbox_track_pid $!
	SESSP+=($!)
}
ssh_session s1
started s1 20
ok $? "ssh: first session is up" "$(cat "$S/s1.log")"
SID=$(boxid s1)
ssh_session s2 -- "socat TCP-LISTEN:8001,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo SSH-BOX' </dev/null >/dev/null 2>&1 &"
started s2 20
ok $? "ssh: second session is up" "$(cat "$S/s2.log")"
is "$(boxid s2)" "$SID" "ssh: both sessions in one box"
is "$(nsof s2)" "$(nsof s1)" "ssh: same pid, mnt, ipc, uts and net namespaces"
ssh_session s3 -L 18001:127.0.0.1:8001
started s3 20
is "$(boxid s3)" "$SID" "ssh: a third session with -L joins too"
got=""
for i in $(seq 1 50); do
	got=$(socat -T1 -t1 - TCP:127.0.0.1:18001 </dev/null 2>/dev/null)
	[ -n "$got" ] && break
	sleep 0.1
done
is "$got" "SSH-BOX" "ssh -L from one session reaches a listener started in another"
is "$(members "$SID")" 3 "ssh: 3 members"
out=$("$NSBOX_CTL" list)
note "nsboxctl list (three ssh sessions of $U in one box):" "$out"
note "nsboxctl show $SID:" "$("$NSBOX_CTL" show "$SID" | grep -E '^(id|user|share|members|member) ')"
# the PAM application of a member is its sshd monitor; the second member is s2's
mon=$(sed -n 's/^member=\([0-9]*\)	.*/\1/p' "/run/nsbox/boxes/$SID/members" | sed -n 2p)
like "$(ps -o args= -p "$mon" 2>/dev/null)" "$U \[priv\]" "the second member's application is its sshd monitor ($mon)"
m=$(nsbox_log_mark)
kill -9 "$mon"
nsbox_wait "[ \"\$(members $SID)\" = 2 ]" 10
is "$(members "$SID")" 2 "kill -9 of one member's sshd monitor: that member left"
like "$(nsbox_log_since "$m")" "box=$SID left: user='$U' .* app=$mon reason='(application exited|session socket closed)' members=2" "the leave is logged with its reason"
out=$(nsbox_ssh $U -- 'echo $NSBOX_ID; socat -T1 -t1 - TCP:127.0.0.1:8001 </dev/null')
like "$out" "^$SID.SSH-BOX" "the other members' box works on: a new ssh session joins it and reaches the server"
is "$(cat "/run/nsbox/boxes/$SID/record" >/dev/null && echo yes)" yes "the box is still there"
rm -f "$S"/s[123].hold
wait_sessions
nsbox_check_clean "ssh sessions"
is "$(nsbox_user_procs $U | tr '\n' ' ')" "" "ssh: every process of the box is gone after the last logout"
nsbox_sshd_stop

# ---- limits ----
session $SVC nsbt-shm m1
started m1
session $SVC nsbt-shm m2
started m2
m=$(nsbox_log_mark)
"$NSBOX_PAMRUN" $SVC nsbt-shm -- touch "$S/m3.ran" 2>/dev/null
isnt $? 0 "max_sessions = 2: a third session is refused"
ok $([ ! -e "$S/m3.ran" ]; echo $?) "max_sessions: its command did not run"
out=$(nsbox_log_since "$m" | grep pam_nsbox)
like "$out" "no box for user 'nsbt-shm': box [0-9a-f]{8} has 2 sessions \(max_sessions = 2\); session denied" "max_sessions: the log says why"
is "$(printf '%s\n' "$out" | grep -c .)" 1 "max_sessions: one line"
is "$(members "$(boxid m1)")" 2 "max_sessions: the box keeps its 2 members"
m=$(nsbox_log_mark)
out=$("$NSBOX_PAMRUN" $ALLOW nsbt-shm -- sh -c 'echo RAN $NSBOX_ID' 2>/dev/null)
isnt $? 0 "max_sessions with on_error=allow: still refused, never unboxed"
unlike "$out" "RAN" "max_sessions with on_error=allow: the command did not run"
like "$(nsbox_log_since "$m" | grep pam_nsbox)" "max_sessions = 2\); session denied" "max_sessions with on_error=allow: denied, says the log"
rm "$S/m1.hold" "$S/m2.hold"
wait_sessions

session $SVC nsbt-shb b1
started b1
session $SVC nsbt-shb b2
started b2
isnt "$(boxid b1)" "$(boxid b2)" "share = none (max_boxes only): a box per login"
isnt "$(nsof b1)" "$(nsof b2)" "share = none: namespaces differ, as before"
m=$(nsbox_log_mark)
"$NSBOX_PAMRUN" $SVC nsbt-shb -- touch "$S/b3.ran" 2>/dev/null
isnt $? 0 "max_boxes = 2: a third box is refused"
ok $([ ! -e "$S/b3.ran" ]; echo $?) "max_boxes: its command did not run"
out=$(nsbox_log_since "$m" | grep pam_nsbox)
like "$out" "no box for user 'nsbt-shb': user 'nsbt-shb' \(uid $(id -u nsbt-shb)\) has 2 live boxes \(max_boxes = 2\); session denied" "max_boxes: the log says why"
is "$(printf '%s\n' "$out" | grep -c .)" 1 "max_boxes: one line"
rm "$S/b1.hold"
nsbox_wait "[ \$(nsbox_records | wc -l) = 1 ]" 10
out=$("$NSBOX_PAMRUN" $SVC nsbt-shb -- sh -c 'echo $NSBOX_ID')
like "$out" '^[0-9a-f]{8}$' "max_boxes: below the limit again, a login is boxed"
rm "$S/b2.hold"
wait_sessions
nsbox_check_clean "limits"

# ---- share = none: unchanged ----
session $SVC nsbt-shn n1
started n1
session $SVC nsbt-shn n2
started n2
isnt "$(boxid n1)" "$(boxid n2)" "share = none: two logins, two boxes"
is "$(rec "$(boxid n1)" share)" 0 "share = none: the record is not shared"
is "$("$NSBOX_CTL" show "$(boxid n1)" | grep -c '^member = ')" 0 "share = none: no member list"
rm "$S/n1.hold" "$S/n2.hold"
wait_sessions
nsbox_check_clean "share = none"

# ---- pamtester (open and close in one process) joins and leaves; nsboxctl stop ends every
# member session ----
session $SVC $U a
started a
ID=$(boxid a)
session $SVC $U b
started b
m=$(nsbox_log_mark)
out=$(pamtester -v $SVC $U open_session close_session 2>&1)
ok $? "pamtester open+close in a shared box" "$out"
nsbox_wait "nsbox_log_grep 'box=$ID left: .* members=2' $m >/dev/null" 5
like "$(nsbox_log_since "$m")" "box=$ID joined: .* members=3.*box=$ID left: .* members=2" "pamtester: joined as the third member, left again"
is "$(members "$ID")" 2 "pamtester: the box keeps its 2 members"
m=$(nsbox_log_mark)
check "nsboxctl stop --wait ends the shared box" "$NSBOX_CTL" stop --wait "$ID"
nsbox_wait "! nsbox_alive ${SESSP[0]} && ! nsbox_alive ${SESSP[1]}" 10
ok $? "nsboxctl stop: both member sessions ended"
like "$(nsbox_log_since "$m")" "box=$ID ended: reason='stopped by signal'" "nsboxctl stop: the box ended by signal"
wait_sessions
rm -f "$S/a.hold" "$S/b.hold"
nsbox_check_clean "nsboxctl stop"
is "$(nsbox_user_procs $U | tr '\n' ' ')" "" "nsboxctl stop: no process of the user is left"

# ---- a forged record is never joined ----
# As root, a record for $U, on its list of boxes, with the right digest, naming a listener of ours
# on the box's join socket as the supervisor and its child named nsbox-init as the init:
# everything a record can say, but not a process running nsbox-helper.
FID=deadbeef
FD=/run/nsbox/boxes/$FID
mkdir -m 0700 -p "$FD"
cp /bin/sleep "$NSBOX_T/nsbox-init"
bash -c "'$NSBOX_T/nsbox-init' 300 & exec socat -u UNIX-LISTEN:$FD/join,type=5,fork OPEN:$S/forged.got,creat,append" &
FSUP=$!
nsbox_track_pid $FSUP
nsbox_wait "[ -S $FD/join ] && pgrep -P $FSUP -x nsbox-init >/dev/null" 5
FINIT=$(pgrep -P $FSUP -x nsbox-init)
nsbox_track_pid $FINIT
st() { awk '{ sub(/.*\) /, ""); print $20 }' /proc/$1/stat; }
cat >"$FD/record" <<EOF
id=$FID
user=$U
uid=$(id -u $U)
service=$SVC
supervisor=$FSUP
supervisor_start=$(st $FSUP)
init=$FINIT
init_start=$(st $FINIT)
started=$(date +%s)
namespaces=$NSV
share=1
digest=$DIGEST
members=1
EOF
chmod 0600 "$FD/record"
# and on the user's list of boxes, as the helper puts a box there
install -d -m 0700 "/run/nsbox/users/$(id -u $U).boxes" && touch "/run/nsbox/users/$(id -u $U).boxes/$FID"
m=$(nsbox_log_mark)
out=$("$NSBOX_PAMRUN" $SVC $U -- sh -c 'echo $NSBOX_ID')
like "$out" '^[0-9a-f]{8}$' "forged record: the login is boxed"
isnt "$out" "$FID" "forged record: not in the forged box"
ok $([ ! -s "$S/forged.got" ]; echo $?) "forged record: its socket never received anything"
like "$(nsbox_log_since "$m")" "nsbox-helper.*user '$U': 1 record\(s\) \(last: box=$FID\) name no live nsbox supervisor and init: not joined" "forged record: the helper says it refused it"
# the control: the forged socket takes whatever is sent to it
echo probe | socat -u - UNIX-CONNECT:$FD/join,type=5 2>/dev/null
nsbox_wait "grep -q probe $S/forged.got" 5
ok $? "forged record (control): its socket does receive what a client sends"
kill $FINIT $FSUP 2>/dev/null
wait $FSUP 2>/dev/null
rm -rf "$FD"
nsbox_check_clean "forged record"
