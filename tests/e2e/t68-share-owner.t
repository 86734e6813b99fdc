#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# share = user, the transitions of the join (helper/share.c's table) that need a helper stopped
# at one point: the owning supervisor stopped (SIGSTOP, or strace at one syscall) while a login
# connects, so that its module goes away, the last member leaves, or the init dies before the
# owner takes the join; and a helper run under strace (tests/fault-wrap) whose join socket
# cannot be bound, whose first answer fails with a join queued, or which connects as a joiner
# and never sends its request. Every login here is $W's, whose settings say share = user and
# max_boxes = 1: a login that goes on to build its own box shows the box it skipped was not
# counted. The map from table rows to tests is at the end.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/faults.sh"
nsbox_require_cmd strace ss
nsbox_private_state

W=nsbt-s9w
nsbox_add_user $W
FW_USERS=$W
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box
share = user
max_boxes = 1")
SVC=nsbox-test-s9
nsbox_service $SVC "conf=$CONF"
fw_setup
FSVC=nsbox-test-s9w
fw_service $FSVC "$CONF"

S=$NSBOX_T/s
mkdir -m 1777 "$S"
SESSP=()
# session SERVICE NAME : a held login whose command writes its box id to $S/NAME.out and waits
# for $S/NAME.hold to go; its pid in $!
session() {
	rm -f "$S/$2.out"
	touch "$S/$2.hold"
	"$NSBOX_PAMRUN" "$1" $W -- sh -c "echo \${NSBOX_ID:-unboxed} >$S/$2.tmp; mv $S/$2.tmp $S/$2.out
		while [ -e $S/$2.hold ]; do sleep 0.05; done" </dev/null >"$S/$2.log" 2>&1 &
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
pstate() { awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null; }
stopped() { [[ $(pstate "$1") == [tT] ]]; }
# session helpers of this build other than $1 (the joining ones)
others() {
	local p
	for p in $(nsbox_helper_pids); do
		[ "$p" != "$1" ] && [ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" = "nsbox-helper --session " ] && echo "$p"
	done
}
# the helper that fault-wrap runs under strace: strace's child
traced_helper() {
	local st
	st=$(fw_procs | awk -F: '/strace/ {print $1; exit}')
	[ -n "$st" ] && ps -o pid=,comm= --ppid "$st" | awk '$2 == "nsbox-helper" {print $1; exit}'
}
# joiner_waiting SUP ID : a joining helper has connected to box ID's join socket (the connection
# waits on the listener: SUP, stopped, does not accept it) and waits for the ack in poll (after
# its connect nothing else of it blocks)
joiner_waiting() {
	local p
	[ "$(ss -xlH src "/run/nsbox/boxes/$2/join" 2>/dev/null | awk '{print $3; exit}')" = 1 ] || return 1
	for p in $(others "$1"); do
		case $(cut -d' ' -f1 "/proc/$p/syscall" 2>/dev/null) in 7 | 271) return 0 ;; esac
	done
	return 1
}
# owner SERVICE NAME : a held first login; sets A (its box) and SUP (its supervisor)
owner() {
	session "$1" "$2"
	OWNER=$!
	started "$2" 20
	ok $? "$2: the owner's box is up" "$(cat "$S/$2.log")"
	A=$(boxid "$2")
	SUP=$(rec "$A" supervisor)
}

# ==== O2: a joiner's module goes away after it connected: ack 0, the answer fails, dropped ====
owner $SVC a
m=$(nsbox_log_mark)
kill -STOP "$SUP"
session $SVC j
PJ=$!
nsbox_wait "joiner_waiting $SUP $A" 10
ok $? "a login connected to the stopped owner and waits for its ack"
# the PAM application, and the module's end of its socket with it
kill -9 $PJ
wait $PJ 2>/dev/null
kill -CONT "$SUP"
nsbox_wait "nsbox_log_grep 'box=$A module of user .$W. went away before the reply' $m >/dev/null" 10
ok $? "the owner acked, and logs that the module went away before its answer"
nsbox_wait '[ -z "$(others "$SUP")" ]' 10
ok $? "the joining helper is gone (it exited on the ack)"
is "$(rec "$A" members)" 1 "the box keeps its one member"
unlike "$(nsbox_log_since "$m")" "box=$A joined" "no join is logged"
out=$("$NSBOX_PAMRUN" $SVC $W -- sh -c 'echo $NSBOX_ID' 2>&1)
is "$out" "$A" "the owner goes on: a later login joins its box"
end_sessions
nsbox_check_clean "module gone after the ack"

# ==== O2: a join racing the last leave: leaves first, the box ends, the joiner builds anew ====
owner $SVC a
m=$(nsbox_log_mark)
kill -STOP "$SUP"
session $SVC j
nsbox_wait "joiner_waiting $SUP $A" 10
ok $? "a login connected to the stopped owner and waits for its ack"
rm "$S/a.hold"
nsbox_wait "! nsbox_alive $OWNER" 10
ok $? "meanwhile the box's last session ended (its module queued CLOSE)"
kill -CONT "$SUP"
started j 20
ok $? "the joining login goes on (max_boxes = 1: the ending box was not counted)" "$(cat "$S/j.log")"
like "$(boxid j)" '^[0-9a-f]{8}$' "the joining login is boxed"
isnt "$(boxid j)" "$A" "in a box of its own"
out=$(nsbox_log_since "$m")
like "$out" "box=$A ended: reason='last session ended'" "the owner took the leave first and ended"
unlike "$out" "box=$A joined" "the ending box took no join"
end_sessions
nsbox_check_clean "join racing the last leave"

# ==== O2: the init gone between the owner's accept and its check: ack -ESHUTDOWN ====
owner $SVC a
INIT=$(rec "$A" init)
m=$(nsbox_log_mark)
strace -qq -p "$SUP" -s 300 -e trace=accept4,sendmsg -e inject=accept4:signal=SIGSTOP:when=1 \
	-o "$S/owner.trace" &
TR=$!
nsbox_track_pid $TR
nsbox_wait "[ \"\$(awk '/^TracerPid/ {print \$2}' /proc/$SUP/status)\" = $TR ]" 10
ok $? "the owner is traced, to stop at its first accept"
session $SVC j
nsbox_wait "stopped $SUP" 10
ok $? "the owner accepted the join and is stopped there"
kill -9 "$INIT"
nsbox_wait "[ \"\$(pstate $INIT)\" = Z ]" 10
ok $? "the box init is dead (unreaped: its owner is stopped)"
kill -CONT "$SUP"
started j 20
ok $? "the joining login goes on (max_boxes = 1: the ending box was not counted)" "$(cat "$S/j.log")"
isnt "$(boxid j)" "$A" "it is in a box of its own"
nsbox_wait '! nsbox_alive $TR' 10
like "$(cat "$S/owner.trace")" 'sendmsg\(.*box ending' "the owner answered the join 'box ending' (-ESHUTDOWN)"
out=$(nsbox_log_since "$m")
like "$out" "box=$A ended: reason='box init exited'" "and then ended: its init exited"
unlike "$out" "box=$A joined" "the ending box took no join"
end_sessions
nsbox_check_clean "init gone at the join"

# ---- the helper under strace (no -f: the supervisor or joiner alone, not its init or sweeper)
# a recorded first login: which of the owner's sendmsg answers the module (fd 3), which bind is
# the join socket's
fw_args /usr/bin/strace -qq -o "$FW_TRACE/o" -e trace=sendmsg,bind -- "$NSBOX_HELPER" --session
out=$("$NSBOX_PAMRUN" $FSVC $W -- sh -c 'echo $NSBOX_ID' 2>&1)
like "$out" '^[0-9a-f]{8}$' "a recorded login is boxed" "$out"
nsbox_check_clean "recorded login"
NREPLY=$(grep '^sendmsg(' "$FW_TRACE/o" | grep -n -m1 '^sendmsg(3,' | cut -d: -f1)
NBIND=$(grep '^bind(' "$FW_TRACE/o" | grep -n -m1 '/join"' | cut -d: -f1)
ok $([ "${NREPLY:-0}" -gt 0 ] && [ "${NBIND:-0}" -gt 0 ]; echo $?) \
	"the owner's answer is its sendmsg number $NREPLY, its join socket its bind number $NBIND"

# ==== O0: the join socket cannot be bound: FAILED, refused, nothing left ====
fw_args /usr/bin/strace -qq -o /dev/null -e trace=bind -e inject=bind:error=EADDRINUSE:when=$NBIND -- \
	"$NSBOX_HELPER" --session
nsbox_refused $FSVC $W "no box for user '$W': cannot make the box's join socket: Address already in use; session denied" \
	"join socket bind fails"

# ==== O1: the owner's first answer fails with a join queued: it ends, the joiner builds anew ====
fw_args /usr/bin/strace -qq -o /dev/null -e trace=sendmsg \
	-e inject=sendmsg:error=EPIPE:signal=SIGSTOP:when=$NREPLY -- "$NSBOX_HELPER" --session
m=$(nsbox_log_mark)
session $FSVC a
OWNER=$!
nsbox_wait '[ -n "$(traced_helper)" ] && stopped "$(traced_helper)"' 20
ok $? "the owner's helper built its box and is stopped at its answer"
SUP=$(traced_helper)
A=$(ls /run/nsbox/boxes | grep -E '^[0-9a-f]{8}$')
fw_plain
session $SVC j
nsbox_wait "joiner_waiting $SUP $A" 10
ok $? "a login connected to the stopped owner and waits for its ack"
kill -CONT "$SUP"
wait $OWNER
isnt $? 0 "the first login, never answered, is refused"
started j 20
ok $? "the joining login goes on (max_boxes = 1: the failed box was not counted)" "$(cat "$S/j.log")"
isnt "$(boxid j)" "$A" "it is in a box of its own"
out=$(nsbox_log_since "$m")
like "$out" "box=$A module went away before the reply" "the owner logs its failed answer"
unlike "$out" "box=$A (joined|started)" "the failed box took no join and never started"
end_sessions
nsbox_check_clean "owner's answer fails"

# ==== O2/J3: a joiner that connects and never sends: dropped after JOIN_RECV_MS, no ack ====
owner $SVC a
# a recorded join: the fd it connects to the join socket, and its request's sendmsg
fw_args /usr/bin/strace -qq -o "$FW_TRACE/j" -e trace=connect,sendmsg -- "$NSBOX_HELPER" --session
out=$("$NSBOX_PAMRUN" $FSVC $W -- sh -c 'echo $NSBOX_ID' 2>&1)
is "$out" "$A" "a recorded join lands in the owner's box"
JFD=$(sed -n 's/^connect(\([0-9]*\), .*\/join".*/\1/p' "$FW_TRACE/j" | head -1)
NREQ=$(grep '^sendmsg(' "$FW_TRACE/j" | grep -n -m1 "^sendmsg($JFD," | cut -d: -f1)
LREQ=$(grep "^sendmsg($JFD," "$FW_TRACE/j" | head -1 | sed 's/.*= \([0-9]*\)$/\1/')
ok $([ "${NREQ:-0}" -gt 0 ] && [ "${LREQ:-0}" -gt 0 ]; echo $?) \
	"the joiner's request is its sendmsg number $NREQ ($LREQ bytes, on fd $JFD)"
nsbox_wait '[ "$(rec $A members)" = 1 ]' 10
# the request is not sent, the helper is told it was and stops there
fw_args /usr/bin/strace -qq -o "$FW_TRACE/s" -e trace=sendmsg,recvmsg \
	-e inject=sendmsg:retval=$LREQ:signal=SIGSTOP:when=$NREQ -- "$NSBOX_HELPER" --session
m=$(nsbox_log_mark)
session $FSVC silent
nsbox_wait '[ -n "$(traced_helper)" ] && stopped "$(traced_helper)"' 20
ok $? "the joining helper connected, sent nothing, and is stopped"
JH=$(traced_helper)
fw_plain
# the owner waits for the request (a poll of one fd, 5000 ms), then is back in its loop; read
# from /proc/PID/syscall (x86_64, where glibc's poll is syscall 7: nr, fds, nfds, timeout)
inrecv() { [ "$(cut -d' ' -f1,3,4 "/proc/$SUP/syscall" 2>/dev/null)" = "7 0x1 0x1388" ]; }
nsbox_wait inrecv 10
ok $? "the owner accepted the silent join and waits for its request"
t0=${EPOCHREALTIME/./}
nsbox_wait '! inrecv' 20
ok $? "the owner stops waiting"
waited=$(((${EPOCHREALTIME/./} - t0) / 1000))
# from when the wait was seen, not from the accept: a bound with room for a slow look
ok $([ "$waited" -ge 3000 ]; echo $?) "after JOIN_RECV_MS (5 s): it waited $waited ms more"
nsbox_wait "[ \"\$(cut -d' ' -f1,3 /proc/$SUP/syscall 2>/dev/null)\" = '7 0x6' ]" 5
ok $? "the owner is back in its loop (a poll of 6 fds: its own, and one member's)"
unlike "$(nsbox_log_since "$m")" "box=$A (joined|refused)" "the owner logged nothing of the silent join"
# the silent helper holds the user's lock: let go, it finds its connection closed
kill -CONT "$JH"
started silent 20
ok $? "the silent login goes on once let go (max_boxes = 1: the box that dropped it not counted)" "$(cat "$S/silent.log")"
isnt "$(boxid silent)" "$A" "it is in a box of its own"
like "$(grep "^recvmsg($JFD," "$FW_TRACE/s" 2>/dev/null)" '= 0$' "its wait for the ack ended in EOF, no ack"
# the owner serves on: a login joins it (the oldest of the user's two boxes)
out=$("$NSBOX_PAMRUN" $SVC $W -- sh -c 'echo $NSBOX_ID' 2>&1)
is "$out" "$A" "the owner goes on serving: a later login joins its box"
end_sessions
fw_plain
nsbox_check_clean "silent joiner"

# ==== J2: the request cannot be sent: skipped, not counted, the login builds its own box ====
owner $SVC a
fw_args /usr/bin/strace -qq -o "$FW_TRACE/f" -e trace=sendmsg \
	-e inject=sendmsg:error=EPIPE:when=$NREQ -- "$NSBOX_HELPER" --session
m=$(nsbox_log_mark)
session $FSVC f
started f 20
ok $? "a joiner whose request fails goes on (max_boxes = 1: the box not counted)" "$(cat "$S/f.log")"
like "$(boxid f)" '^[0-9a-f]{8}$' "it is boxed"
isnt "$(boxid f)" "$A" "in a box of its own"
like "$(grep "^sendmsg($JFD," "$FW_TRACE/f")" 'EPIPE.*INJECTED' "its request to the owner failed (injected)"
unlike "$(nsbox_log_since "$m")" "box=$A joined|name no live" "no join, no warning"
is "$(rec "$A" members)" 1 "the owner keeps its one member"
fw_plain
end_sessions
nsbox_check_clean "request not sent"

done_testing

# Which row of helper/share.c's table each test covers (TAP numbers of this file):
#   O2 "ack 0 sent, M's socket fails: drop it, log"
#   1-9     the joiner's PAM application killed while the owner is stopped (7: serves on)
#   O2 leaves before joins ("n = 0: last session ended"), O3 "queued J: EOF", J3 "EOF"
#   10-19   a join racing the last leave
#   O2 "init gone: ack -ESHUTDOWN", J3 "other ack: skip; not counted"
#   20-30   the init killed while the owner is stopped at its accept (26: the ack, traced)
#   31-34   setup: which sendmsg and bind of a recorded owner to fail
#   O0 "build fails: teardown, answer M" at the join socket's bind (share_listen)
#   35-42   the bind fails: refused with one line, nothing left
#   O1 "M's socket fails: log, teardown; queued J: EOF"
#   43-51   the owner's first answer fails with a join queued
#   O2 "no request: close, no ack, no log" after JOIN_RECV_MS, J3 "EOF without one"
#   52-66   a joiner that connects and never sends (64: the owner serves on)
#   J2 "the send fails: skip; not counted"
#   67-75   the joiner's request fails
# Rows covered elsewhere: J3 "ack -EUSERS" (t65 max_sessions), J3 JOIN_TIMEOUT_MS with the owner
# stopped and O2 "ack 0 cannot be sent" (t66-share-join), O2 "signalfd" (t65 nsboxctl stop).
# Not covered: J3/O2 -EPROTO and -ENOMEM (no real helper sends a bad request; no memory
# pressure on demand), J2 "or that one gone" (the supervisor dying between connect and check).
