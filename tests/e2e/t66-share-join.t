#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# share = user, a join that the joining helper gives up on: the module gets one
# answer, always. The joining helper runs under strace (tests/fault-wrap): its wait for the
# owner's ack (the poll with the 30 s join timeout) is made to return "timed out" at once, and
# stopped there (SIGSTOP) until the test lets it go on.
#   - The owner acks and answers the module while the joiner is stopped: the joiner must see the
#     ack and stay silent (a second, FAILED answer on the module's socket was the bug).
#   - The owner is stopped too and acks only after the joiner gave up: the joiner refuses the
#     login with the reason, and the owner, whose ack can no longer be sent, does not answer.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/faults.sh"
nsbox_require_cmd strace
nsbox_private_state

U=nsbt-shj
nsbox_add_user $U
FW_USERS=$U
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box
share = user")
SVC=nsbox-test-shj
nsbox_service $SVC "conf=$CONF"
fw_setup
JSVC=nsbox-test-shjw
fw_service $JSVC "$CONF" debug
S=$NSBOX_T/s
mkdir -m 1777 "$S"

# session SERVICE NAME : a held login whose command writes its box id to $S/NAME.out and waits
# for $S/NAME.hold to go; its pid in $!
session() {
	rm -f "$S/$2.out"
	touch "$S/$2.hold"
	"$NSBOX_PAMRUN" "$1" $U -- sh -c "echo \$NSBOX_ID >$S/$2.out; while [ -e $S/$2.hold ]; do sleep 0.05; done" \
		</dev/null >"$S/$2.log" 2>&1 &
}
record_field() { sed -n "s/^$2=//p" "/run/nsbox/boxes/$1/record" 2>/dev/null; }
# the traced helper: the child of the strace that fault-wrap runs
traced_helper() {
	local st
	st=$(fw_procs | awk -F: '/strace/ {print $1; exit}')
	[ -n "$st" ] && ps -o pid=,comm= --ppid "$st" | awk '$2 == "nsbox-helper" {print $1; exit}'
}
stopped() { [[ $(ps -o stat= -p "$1" 2>/dev/null) == [tT]* ]]; }

# ---- the owner's box ----
session $SVC owner
OWNER=$!
nsbox_track_pid $OWNER
nsbox_wait "[ -s $S/owner.out ]" 10
ID=$(cat "$S/owner.out")
SUP=$(record_field "$ID" supervisor)
ok $([ -n "$ID" ] && [ -n "$SUP" ]; echo $?) "the owner's box $ID (supervisor $SUP)"

# ---- which poll of the joining helper waits for the ack: from a recorded join ----
rm -f "$FW_TRACE"/t.*
fw_args /usr/bin/strace -f -ff -qq -o "$FW_TRACE/t" -e trace=poll -- "$NSBOX_HELPER" --session
out=$("$NSBOX_PAMRUN" $JSVC $U -- sh -c 'echo $NSBOX_ID' 2>&1)
is "$out" "$ID" "a recorded join lands in the owner's box"
first=$(ls "$FW_TRACE"/t.* | sed 's/.*\.//' | sort -n | head -1)
N=$(grep -n '^poll(' "$FW_TRACE/t.$first" | grep -m1 ', 30000)' | cut -d: -f1)
N=$(head -n "${N:-0}" "$FW_TRACE/t.$first" | grep -c '^poll(')
ok $([ "$N" -gt 0 ]; echo $?) "the joining helper's wait for the ack is its poll number $N"

# inject RUN : the joining helper's Nth poll returns 0 (timed out) at once, and the helper stops
inject() {
	rm -f "$FW_TRACE"/t.*
	fw_args /usr/bin/strace -f -ff -qq -o "$FW_TRACE/t" -e trace=poll,sendmsg \
		-e inject=poll:retval=0:signal=SIGSTOP:when=$N -- "$NSBOX_HELPER" --session
}
# replies TRACE : the joining helper's messages on the module's socket (fd 3)
replies() { grep -c '^sendmsg(3,' "$1"; }

# ---- the owner answers while the joiner is stopped at its timeout ----
inject
m=$(nsbox_log_mark)
session $JSVC late
J=$!
nsbox_wait '[ -n "$(traced_helper)" ] && stopped "$(traced_helper)"' 10
JH=$(traced_helper)
ok $(stopped "$JH"; echo $?) "the joining helper ($JH) gave up waiting for the ack, and is stopped there"
nsbox_wait "nsbox_log_grep 'box=$ID joined: ' $m >/dev/null" 10
ok $? "meanwhile the owner took the session and answered the module"
kill -CONT "$JH"
nsbox_wait "[ -s $S/late.out ]" 10
is "$(cat "$S/late.out" 2>/dev/null)" "$ID" "the login runs in the owner's box"
nsbox_wait "! nsbox_alive $JH" 10
is "$(replies "$FW_TRACE/t.$JH")" 0 "the joining helper sent the module nothing (one answer: the owner's)"
like "$(nsbox_log_since "$m")" "user '$U' handed to box=$ID" "the joining helper saw the ack: the session is the owner's"
unlike "$(nsbox_log_since "$m" | grep pam_nsbox)" "no box for user" "the module logged no refusal"
is "$(record_field "$ID" members)" 2 "the owner's box has two sessions"
rm -f "$S/late.hold"
wait $J
is $? 0 "the login ends normally"

# ---- the owner answers only after the joiner gave up: the joiner refuses, alone ----
inject
m=$(nsbox_log_mark)
kill -STOP "$SUP"
session $JSVC gaveup
J=$!
nsbox_wait '[ -n "$(traced_helper)" ] && stopped "$(traced_helper)"' 10
JH=$(traced_helper)
kill -CONT "$JH"
wait $J
is $? 126 "the owner stopped: the login is refused"
like "$(nsbox_log_since "$m" | grep pam_nsbox)" "no box for user '$U': box $ID did not answer the join within 30 s; session denied" \
	"the module's one line says why"
is "$(replies "$FW_TRACE/t.$JH")" 1 "the joining helper sent the module one answer"
kill -CONT "$SUP"
ok $([ ! -s "$S/gaveup.out" ]; echo $?) "the refused login's command did not run"
# the owner now takes the queued join, its ack fails, and it answers nobody; a later login is
# taken after it (the owner accepts in order)
fw_plain
session $SVC after
A=$!
nsbox_wait "[ -s $S/after.out ]" 10
is "$(cat "$S/after.out" 2>/dev/null)" "$ID" "a later login joins the owner's box"
is "$(record_field "$ID" members)" 2 "which has two sessions: the refused one never became one"
is "$(nsbox_log_since "$m" | grep -c "box=$ID joined: ")" 1 "the owner logged one join: the later login's"
rm -f "$S/after.hold"
wait $A

fw_plain
rm -f "$S/owner.hold"
wait $OWNER
nsbox_check_clean "share join timeout"
