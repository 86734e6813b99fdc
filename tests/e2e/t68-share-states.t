#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# share = user, the transitions of the join (helper/share.c's table) that a test can reach from
# outside the helper without stopping it: records naming dead or reused pids, a live box without
# its join socket, a join socket served by a process that is not the box's supervisor, an owner
# that refuses the join (other settings), the box init dying under members, the owner's
# max_sessions line, a broken per-user lock and an unreadable list of the user's boxes, and
# max_boxes under on_error=allow. The map from table rows to tests is at the end.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_require_cmd socat strace setpriv
nsbox_private_state

D=nsbt-s8d # dead and stale records
J=nsbt-s8j # join socket gone, impostor listeners, a refusing owner
I=nsbt-s8i # the init dies under members
M=nsbt-s8m # max_sessions
L=nsbt-s8l # the lock and the list
B=nsbt-s8b # max_boxes under on_error=allow
for u in $D $J $I $M $L $B; do nsbox_add_user $u; done
SVC=nsbox-test-s8
OTHER=nsbox-test-s8o
ALLOW=nsbox-test-s8a
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = box-%u

[match user=$D,$J service=$OTHER]
share = user
max_boxes = 1
hostname = other-%u

[match user=$D,$J]
share = user
max_boxes = 1

[match user=$I]
share = user
max_boxes = 1

[match user=$L]
share = user

[match user=$M]
share = user
max_sessions = 1

[match user=$B]
max_boxes = 1")
nsbox_service $SVC "conf=$CONF"
nsbox_service $OTHER "conf=$CONF"
nsbox_service $ALLOW "conf=$CONF on_error=allow"

S=$NSBOX_T/s
mkdir -m 1777 "$S"
SESSP=()
# session SERVICE USER NAME : a held login whose command writes its box id to $S/NAME.out and
# waits for $S/NAME.hold to go; its pid in $!
session() {
	rm -f "$S/$3.out"
	touch "$S/$3.hold"
	"$NSBOX_PAMRUN" "$1" "$2" -- sh -c "echo \${NSBOX_ID:-unboxed} >$S/$3.tmp; mv $S/$3.tmp $S/$3.out
		while [ -e $S/$3.hold ]; do sleep 0.05; done" </dev/null >"$S/$3.log" 2>&1 &
	nsbox_track_pid $!
	SESSP+=($!)
}
started() { nsbox_wait "[ -s $S/$1.out ]" "${2:-10}"; }
boxid() { cat "$S/$1.out" 2>/dev/null; }
end_sessions() {
	rm -f "$S"/*.hold
	[ ${#SESSP[@]} -eq 0 ] || wait "${SESSP[@]}" 2>/dev/null
	SESSP=()
}
rec() { sed -n "s/^$2=//p" "/run/nsbox/boxes/$1/record" 2>/dev/null; }
# st PID : the start time of PID as a record holds it
st() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat"; }
# a listener: every connection appends "conn" and whatever it was sent to FILE
listener() { # PATH FILE [setpriv args...]
	local path=$1 file=$2
	shift 2
	"$@" socat UNIX-LISTEN:"$path",type=5,fork,perm=0777 SYSTEM:"echo conn >>$file; cat >>$file" </dev/null >/dev/null 2>&1 &
	nsbox_track_pid $!
	LSN=$!
}
NOJOIN="name no live nsbox supervisor and init"
pstate() { awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null; }
# joiner_waiting SUP ID : a joining helper (a session helper other than SUP) has connected to box
# ID's join socket (a connection waits on the listener, which SUP, stopped, does not accept)
# and waits for the ack (in poll: nothing after its connect but the ack's wait blocks)
joiner_waiting() {
	local p
	[ "$(ss -xlH src "/run/nsbox/boxes/$2/join" 2>/dev/null | awk '{print $3; exit}')" = 1 ] || return 1
	for p in $(nsbox_helper_pids); do
		[ "$p" != "$1" ] && [ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" = "nsbox-helper --session " ] || continue
		case $(cut -d' ' -f1 "/proc/$p/syscall" 2>/dev/null) in 7 | 271) return 0 ;; esac
	done
	return 1
}

# ==== J1: records naming a dead supervisor or a reused pid are skipped and not counted ====
session $SVC $D d0
started d0
ok $? "$D: a first box, for its record's digest" "$(cat "$S/d0.log")"
DIGEST=$(rec "$(boxid d0)" digest)
NSV=$(rec "$(boxid d0)" namespaces)
end_sessions
nsbox_check_clean "$D's first box"
# dead pids, with the start times they had
sleep 300 &
DSUP=$!
DSUP_ST=$(st $DSUP)
sleep 300 &
DINIT=$!
DINIT_ST=$(st $DINIT)
kill $DSUP $DINIT
wait $DSUP $DINIT 2>/dev/null
# plant ID SUP SUP_START INIT INIT_START : a shared record of $D with the right digest, on $D's
# list, older than any real box, with a listener on its join socket logging to $S/ID.conn
plant() {
	local d=/run/nsbox/boxes/$1
	mkdir -m 0700 -p "$d"
	cat >"$d/record" <<EOF
id=$1
user=$D
uid=$(id -u $D)
service=$SVC
supervisor=$2
supervisor_start=$3
init=$4
init_start=$5
started=$(($(date +%s) - 100))
namespaces=$NSV
share=1
digest=$DIGEST
members=1
EOF
	chmod 0600 "$d/record"
	install -d -m 0700 "/run/nsbox/users/$(id -u $D).boxes"
	touch "/run/nsbox/users/$(id -u $D).boxes/$1"
	: >"$S/$1.conn"
	listener "$d/join" "$S/$1.conn"
	nsbox_wait "[ -S $d/join ]" 5
}
plant dead0001 $DSUP "$DSUP_ST" $DINIT "$DINIT_ST"
L1=$LSN
# this shell is alive, but not with the start time the record says: its pid was reused
plant dead0002 $$ 1 $$ 1
L2=$LSN
# the control: a planted socket logs a connection (the helper's gc may remove the planted
# directories once a login is answered, so before it)
socat -u - UNIX-CONNECT:/run/nsbox/boxes/dead0001/join,type=5 </dev/null 2>/dev/null
nsbox_wait "grep -q conn $S/dead0001.conn" 5
ok $? "control: a planted join socket does log a connection"
: >"$S/dead0001.conn"
m=$(nsbox_log_mark)
session $SVC $D d1
started d1
ok $? "a login with two dead records on its list (max_boxes = 1) is boxed: neither was counted" "$(cat "$S/d1.log")"
like "$(boxid d1)" '^[0-9a-f]{8}$' "in a box"
unlike "$(boxid d1)" '^dead000[12]$' "of its own, not a planted one"
is "$(cat "$S/dead0001.conn" "$S/dead0002.conn")" "" "neither planted join socket was connected to"
unlike "$(nsbox_log_since "$m")" "$NOJOIN" "no warning: a dead owner is no impostor"
like "$(nsbox_log_since "$m")" "box=$(boxid d1) started: user='$D'" "the helper logs a box of its own"
# the control of the count: a live box of another section is counted
m=$(nsbox_log_mark)
"$NSBOX_PAMRUN" $OTHER $D -- touch "$S/d2.ran" 2>/dev/null
isnt $? 0 "control: a login of other settings is refused by max_boxes = 1"
like "$(nsbox_log_since "$m" | grep pam_nsbox)" "user '$D' \(uid $(id -u $D)\) has 1 live boxes \(max_boxes = 1\); session denied" \
	"control: it counted the one live box, not the dead records"
kill $L1 $L2 2>/dev/null
wait $L1 $L2 2>/dev/null
end_sessions
rm -rf /run/nsbox/boxes/dead000[12] "/run/nsbox/users/$(id -u $D).boxes"/dead000[12]
nsbox_check_clean "dead records"

# ==== J2: a live box without its join socket is skipped and not counted ====
session $SVC $J a
started a
A=$(boxid a)
# the control: with its socket, a login joins it
session $SVC $J a2
started a2
is "$(boxid a2)" "$A" "control: a second login joins $J's box"
rm -f "$S/a2.hold"
nsbox_wait "[ \"\$(rec $A members)\" = 1 ]" 10
rm /run/nsbox/boxes/$A/join
m=$(nsbox_log_mark)
session $SVC $J b
started b
ok $? "join socket gone: the login (max_boxes = 1) is boxed: the socketless box was not counted" "$(cat "$S/b.log")"
B1=$(boxid b)
like "$B1" '^[0-9a-f]{8}$' "join socket gone: in a box"
isnt "$B1" "$A" "join socket gone: a box of its own"
is "$(rec "$A" members)" 1 "join socket gone: the first box keeps its one member"
unlike "$(nsbox_log_since "$m")" "box=$A joined|$NOJOIN" "join socket gone: no join, no warning"
# the control of the count: a login of other settings counts both boxes
m=$(nsbox_log_mark)
"$NSBOX_PAMRUN" $OTHER $J -- true 2>/dev/null
isnt $? 0 "control: a login of other settings is refused"
like "$(nsbox_log_since "$m" | grep pam_nsbox)" "has 2 live boxes \(max_boxes = 1\); session denied" \
	"control: it counted both boxes (neither was a box it could join)"
end_sessions
nsbox_check_clean "join socket gone"

# ==== J2: a listener on the join socket that is not the box's supervisor: -EPERM, warned ====
session $SVC $J a
started a
A=$(boxid a)
SUP=$(rec "$A" supervisor)
rm /run/nsbox/boxes/$A/join
: >"$S/root.conn"
listener /run/nsbox/boxes/$A/join "$S/root.conn"
LR=$LSN
nsbox_wait "[ -S /run/nsbox/boxes/$A/join ]" 5
m=$(nsbox_log_mark)
session $SVC $J b
started b
ok $? "a root listener in place of the supervisor: the login is boxed" "$(cat "$S/b.log")"
B1=$(boxid b)
isnt "$B1" "$A" "root listener: a box of its own (not counted against max_boxes = 1)"
nsbox_wait "grep -q conn $S/root.conn" 5
is "$(cat "$S/root.conn")" "conn" "root listener: connected to once, and sent nothing"
out=$(nsbox_log_since "$m")
like "$out" "user '$J': 1 record\(s\) \(last: box=$A\) $NOJOIN: not joined" "root listener: the helper warns"
is "$(printf '%s\n' "$out" | grep -c "$NOJOIN")" 1 "root listener: in one line"
kill $LR 2>/dev/null
wait $LR 2>/dev/null
# a listener of the user's own: bound where the user can write (/run/nsbox is root's alone),
# bound over the join socket's name by root (this test's mount namespace is the helpers'); the
# listeners' sockets are mode 0777, so that only who listens tells them from a real join socket
rm -f /run/nsbox/boxes/$A/join
: >"$S/user.conn"
chmod 0666 "$S/user.conn"
listener "$S/user.sock" "$S/user.conn" setpriv --reuid=$J --regid=$J --clear-groups
LU=$LSN
nsbox_wait "[ -S $S/user.sock ]" 5
is "$(stat -c %U "$S/user.sock")" "$J" "the user's listener socket is the user's"
touch /run/nsbox/boxes/$A/join
mount --bind "$S/user.sock" /run/nsbox/boxes/$A/join
# records are tried oldest first, by a start time in seconds: $A made older than $B1 for sure
sed -i "s/^started=.*/started=$(($(rec "$A" started) - 100))/" /run/nsbox/boxes/$A/record
is "$(stat -c %F /run/nsbox/boxes/$A/join)" "socket" "and is now at the box's join socket's name"
m=$(nsbox_log_mark)
session $SVC $J c
started c
ok $? "a listener of the user's: the login is boxed" "$(cat "$S/c.log")"
is "$(boxid c)" "$B1" "user's listener: skipped, and the login joins the user's next box"
nsbox_wait "grep -q conn $S/user.conn" 5
is "$(cat "$S/user.conn")" "conn" "user's listener: connected to once, and sent nothing"
out=$(nsbox_log_since "$m")
like "$out" "user '$J': 1 record\(s\) \(last: box=$A\) $NOJOIN: not joined" "user's listener: the helper warns"
is "$(printf '%s\n' "$out" | grep -c "$NOJOIN")" 1 "user's listener: in one line"
like "$out" "box=$B1 joined: user='$J'" "user's listener: the next box logs the join"
umount /run/nsbox/boxes/$A/join
kill $LU 2>/dev/null
wait $LU 2>/dev/null
end_sessions
nsbox_check_clean "impostor listeners"

# ==== J3: an owner that refuses the join (-EXDEV: other settings) is skipped, not counted ====
session $OTHER $J o
started o
D2=$(rec "$(boxid o)" digest)
end_sessions
nsbox_check_clean "$J's other box"
session $SVC $J a
started a
A=$(boxid a)
SUP=$(rec "$A" supervisor)
isnt "$(rec "$A" digest)" "$D2" "the two services' settings have two digests"
# the record now says the other settings' digest: the joiner tries the box, the owner (which
# compares its own) refuses; its answers are traced
sed -i "s/^digest=.*/digest=$D2/" /run/nsbox/boxes/$A/record
strace -qq -p "$SUP" -s 300 -e trace=sendmsg -o "$S/owner.trace" &
TR=$!
nsbox_track_pid $TR
nsbox_wait "[ \"\$(awk '/^TracerPid/ {print \$2}' /proc/$SUP/status)\" = $TR ]" 10
ok $? "the owner's sends are traced"
m=$(nsbox_log_mark)
session $OTHER $J b
started b
ok $? "an owner that refuses the join: the login (max_boxes = 1) is boxed" "$(cat "$S/b.log")"
isnt "$(boxid b)" "$A" "refusing owner: a box of its own (the refusing box not counted)"
is "$(rec "$A" members)" 1 "refusing owner: its box keeps one member"
unlike "$(nsbox_log_since "$m")" "box=$A joined|$NOJOIN" "refusing owner: no join, no warning"
kill $TR 2>/dev/null
wait $TR 2>/dev/null
like "$(cat "$S/owner.trace")" 'sendmsg\(.*another user or other settings' "the owner answered the join with its refusal (-EXDEV)"
end_sessions
nsbox_check_clean "refusing owner"

# ==== O2: the box init exits under two members, a join queued: every session ends, the joiner
# (EOF, no ack) builds its own box, nothing is left ====
# A member's processes are its application's children, which must reap them before the init can
# end: killed with its box, a member's module closes before the init's pidfd says it exited. With
# the owner stopped meanwhile it finds both at once, and the init first.
session $SVC $I a
started a
A=$(boxid a)
PA=$!
session $SVC $I b
started b
PB=$!
is "$(boxid b)" "$A" "$I: two sessions in one box"
SUP=$(rec "$A" supervisor)
INIT=$(rec "$A" init)
m=$(nsbox_log_mark)
kill -STOP "$SUP"
session $SVC $I c
PC=$!
nsbox_wait "joiner_waiting $SUP $A" 10
ok $? "a third login connected to the stopped owner and waits for its ack"
kill -9 "$INIT"
nsbox_wait "! nsbox_alive $PA && ! nsbox_alive $PB && [ \"\$(pstate $INIT)\" = Z ]" 10
ok $? "box init killed: both member sessions ended, the init is dead (unreaped: its owner is stopped)"
kill -CONT "$SUP"
started c 20
ok $? "the queued login goes on once the owner ends (max_boxes = 1: the ending box was not counted)" "$(cat "$S/c.log")"
isnt "$(boxid c)" "$A" "the queued login is in a box of its own"
out=$(nsbox_log_since "$m")
like "$out" "box=$A ended: reason='box init exited'" "box init killed: the owner says so"
unlike "$out" "box=$A joined" "the queued login never joined the ending box"
rm -f "$S/c.hold"
wait $PC
is "$(nsbox_user_procs $I | tr '\n' ' ')" "" "box init killed: no process of the user is left"
end_sessions
nsbox_check_clean "box init exited"

# ==== O2: max_sessions: the owner logs its refusal ====
session $SVC $M a
started a
A=$(boxid a)
m=$(nsbox_log_mark)
"$NSBOX_PAMRUN" $SVC $M -- touch "$S/m2.ran" 2>/dev/null
isnt $? 0 "max_sessions = 1: a second login is refused"
ok $([ ! -e "$S/m2.ran" ]; echo $?) "max_sessions: its command did not run"
out=$(nsbox_log_since "$m" | grep 'nsbox-helper')
like "$out" "box=$A refused a session of user '$M': box $A has 1 sessions \(max_sessions = 1\)" "max_sessions: the owner logs the refusal"
is "$(printf '%s\n' "$out" | grep -c 'refused a session')" 1 "max_sessions: in one line"
is "$(rec "$A" members)" 1 "max_sessions: the box keeps its member"
end_sessions
nsbox_check_clean "max_sessions"

# ==== J0: the user's lock cannot be taken: FAILED "cannot lock", refused, nothing left ====
LUID=$(id -u $L)
install -d -m 0700 /run/nsbox/users
mkdir /run/nsbox/users/$LUID.lock
nsbox_refused $SVC $L "no box for user '$L': cannot lock /run/nsbox/users/$LUID.lock: Is a directory; session denied" \
	"lock is a directory"
rmdir /run/nsbox/users/$LUID.lock
ln -s /dev/null /run/nsbox/users/$LUID.lock
nsbox_refused $SVC $L "no box for user '$L': cannot lock /run/nsbox/users/$LUID.lock: Too many levels of symbolic links; session denied" \
	"lock is a symlink"
# a failure, not a rule's refusal: on_error=allow goes on unboxed (the control for max_boxes below)
m=$(nsbox_log_mark)
out=$("$NSBOX_PAMRUN" $ALLOW $L -- sh -c 'echo RAN ${NSBOX_ID:-unboxed}' 2>/dev/null)
is "$out" "RAN unboxed" "lock failure with on_error=allow: the login goes on unboxed"
like "$(nsbox_log_since "$m" | grep pam_nsbox)" "cannot lock .*; continuing unboxed \(on_error=allow\)" "and says so"
rm /run/nsbox/users/$LUID.lock
chmod 0777 /run/nsbox/users
nsbox_refused $SVC $L "no box for user '$L': cannot lock /run/nsbox/users/$LUID.lock: Operation not permitted; session denied" \
	"users directory writable by others"
chmod 0700 /run/nsbox/users
out=$("$NSBOX_PAMRUN" $SVC $L -- sh -c 'echo $NSBOX_ID' 2>/dev/null)
like "$out" '^[0-9a-f]{8}$' "control: with the lock restored the login is boxed"
nsbox_check_clean "lock restored"

# ==== J1: the uid's list of boxes cannot be read: FAILED "cannot read", refused ====
rm -rf /run/nsbox/users/$LUID.boxes
touch /run/nsbox/users/$LUID.boxes
nsbox_refused $SVC $L "no box for user '$L': cannot read /run/nsbox/boxes: Operation not permitted; session denied" \
	"list is a file"
rm /run/nsbox/users/$LUID.boxes
install -d -m 0777 /run/nsbox/users/$LUID.boxes
nsbox_refused $SVC $L "no box for user '$L': cannot read /run/nsbox/boxes: Operation not permitted; session denied" \
	"list writable by others"
chmod 0700 /run/nsbox/users/$LUID.boxes
out=$(timeout 20 "$NSBOX_PAMRUN" $SVC $L -- sh -c 'echo $NSBOX_ID' 2>/dev/null)
like "$out" '^[0-9a-f]{8}$' "control: with the list restored the login is boxed (the refusals let the lock go)"
nsbox_check_clean "list restored"

# ==== J4: max_boxes under on_error=allow: DENIED, never unboxed ====
session $SVC $B b1
started b1
m=$(nsbox_log_mark)
out=$("$NSBOX_PAMRUN" $ALLOW $B -- sh -c 'echo RAN ${NSBOX_ID:-unboxed}' 2>/dev/null)
isnt $? 0 "max_boxes = 1 with on_error=allow: the second login is refused"
unlike "$out" "RAN" "max_boxes with on_error=allow: its command did not run, boxed or not"
out=$(nsbox_log_since "$m" | grep pam_nsbox)
like "$out" "no box for user '$B': user '$B' \(uid $(id -u $B)\) has 1 live boxes \(max_boxes = 1\); session denied" \
	"max_boxes with on_error=allow: denied, says the log"
unlike "$out" "continuing unboxed" "max_boxes with on_error=allow: not continued unboxed"
is "$(printf '%s\n' "$out" | grep -c .)" 1 "max_boxes with on_error=allow: one line"
end_sessions
nsbox_check_clean "max_boxes under on_error=allow"

done_testing

# Which row of helper/share.c's table each test covers (TAP numbers of this file):
#   1-3     setup: the digest of $D's settings
#   J1 "supervisor or init gone (a dead owner, a stale record): skip; not counted"
#   4-14    dead records: a dead supervisor and init, and a pid reused by a live process, with
#           max_boxes = 1; their join sockets never connected (4: the control that they log a
#           connection; 11-12: the control that a live box is counted)
#   J2 "connect fails (no socket, closed): skip; not counted"
#   15-24   join socket gone (15: the control that the box is joinable with it; 21-22: the
#           control that it counts when it is no candidate)
#   J2 "peer not root, not the record's supervisor: skip as -EPERM (warned)"
#   25-29   a root listener that is not the supervisor
#   30-39   a listener of the user's own (33, 37: the skip goes on to the next record, joined)
#   J3 "other ack ... skip; not counted"
#   40-50   the owner refuses with -EXDEV (48: its ack, in a trace of the owner)
#   O2 "init pidfd readable: box init exited", O3 "queued J: EOF", J3 "EOF without one"
#   51-60   the init killed under two members, a join queued at the stopped owner
#   O2 "n >= max_sessions: ack -EUSERS, log it"
#   61-67   the owner's line (the module's one line is t65's)
#   J0 "the lock fails: FAILED cannot lock"
#   68-96   the lock a directory, a symlink, the users directory writable by others (84-85:
#           on_error=allow turns this FAILED into an unboxed login, the control for 116-120;
#           94-96: the control that the restored lock boxes)
#   J1 "the uid's list cannot be read: FAILED cannot read"
#   97-115  the list a file, or writable by others (113: restored, the lock was let go)
#   J4 "live boxes >= max_boxes: DENIED" under on_error=allow
#   116-122 refused, never unboxed
# t68-share-owner.t covers the rows that need a stopped helper.
