#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The checked calls a review found unchecked, one at a time: a failure the code once ignored now
# refuses the login with one line naming the step, and leaves nothing. The box init's
# close_range(5, ...) and PR_SET_PDEATHSIG and its signalfd are failed by a seccomp filter on the
# argument (tests/seccomp-fail: strace's per-process count would hit the supervisor's own
# close_range first); the supervisor's signalfd by strace without -f (only the supervisor is
# traced). The module's wait for the reply under a stream of signals (each poll interrupted)
# must still end at its timeout. Each case has a control that runs the same way with the fault
# aimed elsewhere and logs in.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/faults.sh"
nsbox_require_cmd strace
nsbox_private_state

SFAIL=$NSBOX_BUILD/tests/seccomp-fail
EIO=5
U=nsbt-err
nsbox_add_user $U
FW_USERS=$U
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box")
fw_setup
SVC=nsbox-test-err
fw_service $SVC "$CONF"

fw_plain
is "$(fw_login $SVC $U)" ran "untraced login through the wrapper runs boxed"
fw_baseline
# the init's close_range is close_range(FIRST, ~0U, 0), FIRST its first fd not kept: from a
# recorded run (the supervisor's own, at start-up, has another FIRST)
fw_record
is "$(fw_login $SVC $U)" ran "recorded login runs boxed"
INIT_TRACE=$(grep -l 'prctl(PR_SET_NAME, "nsbox-init")' "$FW_TRACE"/t.* | head -1)
INIT_CR=$(sed -nE 's/^close_range\(([0-9]+), .*/\1/p' "$INIT_TRACE" | head -1)
SUP_CR=$(grep -h '^close_range(' "$FW_TRACE"/t.* | grep -vc "^close_range($INIT_CR,")
ok $([ -n "$INIT_CR" ] && [ "$SUP_CR" -gt 0 ]; echo $?) \
	"the init's close_range starts at fd $INIT_CR; the other $SUP_CR close_range call(s) start elsewhere"

# seccomp_case SYSCALL ARG0 REGEX DESC : the helper under a filter failing SYSCALL(ARG0, ...)
# with EIO is refused with one line matching REGEX; the same filter on another ARG0 logs in
seccomp_case() {
	local sc=$1 arg=$2 re=$3 desc=$4 other=$(($2 + 1000))
	fw_args "$SFAIL" "$sc" "$arg" $EIO -- "$NSBOX_HELPER" --session
	nsbox_refused $SVC $U "$re" "$desc"
	is "$(fw_clean_within $FW_SETTLE)" "" "$desc: nothing left (mounts, netns, processes)"
	fw_args "$SFAIL" "$sc" "$other" $EIO -- "$NSBOX_HELPER" --session
	is "$(fw_login $SVC $U)" ran "$desc: control: the filter on $sc($other) lets the login run boxed"
}

seccomp_case close_range "${INIT_CR:-5}" \
	"no box for user '$U': box init: closing inherited fds: Input/output error; session denied" \
	"box init's close_range fails"
# PR_SET_PDEATHSIG = 1: the init's lifeline (child_fork's is the same call, made later)
seccomp_case prctl 1 \
	"no box for user '$U': box init: PR_SET_PDEATHSIG: Input/output error; session denied" \
	"box init's PR_SET_PDEATHSIG fails"
seccomp_case signalfd4 -1 \
	"no box for user '$U': box init: signalfd: Input/output error; session denied" \
	"box init's signalfd fails"

# the supervisor's own signalfd (its stop signals, made before the reply): without it
# `nsboxctl stop` would be ignored, so the login is refused
fw_args /usr/bin/strace -qq -o "$NSBOX_T/sfd.trace" -e trace=signalfd4 \
	-e inject=signalfd4:error=EIO:when=1 -- "$NSBOX_HELPER" --session
nsbox_refused $SVC $U "no box for user '$U': cannot receive stop signals \\(signalfd\\): Input/output error; session denied" \
	"supervisor's signalfd fails"
like "$(cat "$NSBOX_T/sfd.trace")" "signalfd4\(.*INJECTED" "supervisor's signalfd: the fault was injected"
is "$(fw_clean_within $FW_SETTLE)" "" "supervisor's signalfd fails: nothing left"
fw_args /usr/bin/strace -qq -o /dev/null -e trace=signalfd4 -e inject=signalfd4:error=EIO:when=2 \
	-- "$NSBOX_HELPER" --session
is "$(fw_login $SVC $U)" ran "supervisor's signalfd: control: a fault at a second call that is never made lets it run"

# ---- the module's reply wait under a stream of signals ----
# pam-run has a SIGWINCH handler that does nothing (an application's SIGCHLD handler; the
# default action ignores it, so a signal before the handler is set is harmless): every signal
# interrupts the module's poll with EINTR. The wait must go on with the time it has left: a
# login still works. That a wait whose deadline has passed ends while the signals keep coming is
# tested where it can be without waiting out the module's 240 s: the wait itself,
# nsbox_wait_readable, under a timer's storm in test_proto.
mkfifo -m 0600 "$NSBOX_T/tick"
exec {tick}<>"$NSBOX_T/tick"
# storm PID : SIGWINCH to PID every 2 ms until it is gone (at most 60 s); prints how many
storm() {
	local n=0 end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ] && kill -WINCH "$1" 2>/dev/null; do
		n=$((n + 1))
		read -r -t 0.002 -u $tick
	done
	echo $n
}
signal_login() { # SERVICE : runs a login under a signal storm; sets rc, n
	"$NSBOX_PAMRUN" "$1" $U -- echo RAN >"$NSBOX_T/storm.out" 2>&1 &
	local lp=$!
	n=$(storm $lp)
	kill -9 $lp 2>/dev/null
	wait $lp
	rc=$?
}
fw_plain
signal_login $SVC
is $rc 0 "signal storm: the login runs ($n SIGWINCH sent while it lasted)"
[ $rc = 0 ] || note "$(cat "$NSBOX_T/storm.out")"
is "$(cat "$NSBOX_T/storm.out")" RAN "signal storm: its command ran"
ok $([ "$n" -gt 0 ]; echo $?) "signal storm: the signals came ($n)"
nsbox_check_clean "signal storm"
exec {tick}>&-

nsbox_check_clean "end"
