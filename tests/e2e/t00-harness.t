#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Self-test of the e2e harness without the product: the private namespaces and /dev, the syslog
# sink, test users and PAM services, the su-like session runner (pam-run), a real sshd with
# ssh/pty/sftp/scp, and the harness's own cleanup (checked from outside a sub-test).
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_require_cmd pamtester logger script ss ssh sftp scp ssh-keygen unshare ps pgrep "$NSBOX_PAMRUN"
nsbox_enter_private_ns "$@"

# ---- private namespaces and /dev ----
is "$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')" "lo " "the private netns has only lo"
like "$(ip -o link show lo)" "<[A-Z_,]*\bUP\b" "lo is up"
# the namespaces the script was started in, seen through a process still in them (prove)
H=/proc/$NSBOX_OUTER_PID
like "$(readlink $H/ns/net)" "^net:" "the outer namespaces are visible through $H"
isnt "$(readlink /proc/self/ns/net)" "$(readlink $H/ns/net)" "own network namespace"
isnt "$(readlink /proc/self/ns/mnt)" "$(readlink $H/ns/mnt)" "own mount namespace"
is "$(stat -f -c %T /dev)" tmpfs "/dev is the private tmpfs"
isnt "$(stat -L -c %d:%i /dev/log)" "$(stat -L -c %d:%i $H/root/dev/log 2>/dev/null)" \
	"/dev/log is ours, not the host's"
ok $([ -d /dev/mqueue ] && [ -c /dev/null ] && [ -c /dev/ptmx ] && [ -c /dev/urandom ]; echo $?) \
	"device nodes and the mqueue dir exist"
is "$(stat -f -c %T /dev/shm)" tmpfs "/dev/shm is a tmpfs"
isnt "$(stat -c %d /dev/shm)" "$(stat -c %d $H/root/dev/shm)" "/dev/shm is not the host's"
is "$(stat -f -c %T /dev/pts)" devpts "/dev/pts is a devpts"
like "$(script -qec tty /dev/null </dev/null)" "^/dev/pts/[0-9]+" "a pty can be allocated"
like "$(readlink /proc/self/fd/0)" "^/dev/null$" "stdin is /dev/null, not a terminal"
# open fds without opening any (a glob or ls over /proc/self/fd shows its own directory fd)
fdprobe='for n in $(seq 0 300); do [ -e /proc/self/fd/$n ] && printf "%s " $n; done; echo'
is "$(sh -c "$fdprobe")" "0 1 2 " "a command started by the test shell inherits only fds 0 1 2"

# ---- log sink ----
m=$(nsbox_log_mark)
logger -t nsbt-selftest "hello-$$"
like "$(nsbox_log_since "$m")" "^<13>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} nsbt-selftest: hello-$$$" \
	"a logger line is captured, one line, nothing else"
nsbox_log_grep "nsbt-selftest: hello-$$" "$m" >/dev/null
ok $? "nsbox_log_grep finds it"
nsbox_log_grep "nsbt-selftest: hello-$$" "$(nsbox_log_mark)" >/dev/null
isnt $? 0 "nothing is logged after a fresh mark"
logger -t nsbt-selftest $'ctl\tchars'
like "$(nsbox_log_since "$m")" "nsbt-selftest: ctl\?chars" "control characters become '?'"
unlike "$(nsbox_log_since 0)" "nsbox-log-sync" "sync markers are filtered out"

sh -c 'sleep 0.1 & exec sleep 2' & # the exec'd sleep 2 never reaps the sleep 0.1
zp=$!
sleep 0.4
z=$(pgrep -P $zp)
ok $([ -n "$z" ] && nsbox_alive $$ && kill -0 $z && ! nsbox_alive $z; echo $?) "nsbox_alive: false for an unreaped zombie"
kill $zp
wait $zp

# ---- users and groups ----
U=nsbt-h0
nsbox_add_group nsbt-h0grp
nsbox_add_user $U nsbt-h0grp
ok $(getent passwd $U >/dev/null; echo $?) "user $U exists"
like " $(id -nG $U) " " nsbt-h0grp " "and is in nsbt-h0grp"
is "$(getent shadow $U | cut -d: -f2)" "*" "password field is '*'"
ok $([ -d /home/$U ]; echo $?) "home directory created"
out=$(nsbox_add_user h0-bad 2>&1)
isnt $? 0 "a user not named nsbt-* is refused"
ok $(! getent passwd h0-bad >/dev/null; echo $?) "and not created"

# ---- PAM services, pamtester ----
permit="auth     required pam_permit.so
account  required pam_permit.so
session  required pam_permit.so"
nsbox_pam_service nsbox-test-h0permit "$permit"
is "$(stat -c '%U %a' /etc/pam.d/nsbox-test-h0permit)" "root 644" "PAM service file written"
check "pamtester open_session close_session on a pam_permit service" \
	pamtester -v nsbox-test-h0permit $U open_session close_session
out=$(nsbox_pam_service other "x" 2>&1)
isnt $? 0 "a PAM service not named nsbox-test-* is refused"

# ---- pam-run ----
W=$NSBOX_T/w
mkdir -m 0777 "$W"
cd "$NSBOX_T" || fail "cd"
ENVCONF=$(nsbox_conf pam_env.conf "NSBOX_ID DEFAULT=selftest-id")
nsbox_pam_service nsbox-test-h0env "$permit
session  required pam_env.so readenv=0 user_readenv=0 conffile=$ENVCONF"
out=$("$NSBOX_PAMRUN" nsbox-test-h0permit $U -- id -un 2>&1)
ok $? "pam-run runs a command" "$out"
is "$out" "$U" "pam-run: the command runs as the user"
out=$("$NSBOX_PAMRUN" nsbox-test-h0env $U -- sh -c 'echo "$(id -u):$(id -g) $(id -G)|$HOME|$USER|$LOGNAME|$SHELL|$NSBOX_ID|$(pwd)"')
is "$out" "$(id -u $U):$(id -g $U) $(id -G $U)|/home/$U|$U|$U|/bin/bash|selftest-id|$NSBOX_T" \
	"pam-run: ids, groups, environment (with the PAM env), stays in the cwd"
is "$("$NSBOX_PAMRUN" -l nsbox-test-h0permit $U -- pwd)" "/home/$U" "pam-run -l: starts in the home directory"
is "$("$NSBOX_PAMRUN" nsbox-test-h0permit $U -- sh -c "$fdprobe")" "0 1 2 " \
	"pam-run: the command gets only fds 0 1 2"
out=$("$NSBOX_PAMRUN" nsbox-test-h0permit $U -- sh -c 'echo $$ $(ps -o sid= -p $$)')
is "$(echo $out | awk '{print ($1 == $2)}')" 1 "pam-run: the command leads its own session (setsid)"
"$NSBOX_PAMRUN" nsbox-test-h0permit $U -- sh -c 'exit 7'
is $? 7 "pam-run: exit status passed through"
"$NSBOX_PAMRUN" nsbox-test-h0permit $U -- sh -c 'kill -TERM $$'
is $? 143 "pam-run: killed by a signal -> 128+N"
"$NSBOX_PAMRUN" nsbox-test-h0permit $U -- /nonexistent/cmd 2>/dev/null
is $? 127 "pam-run: a command that cannot run -> 127"
"$NSBOX_PAMRUN" nsbox-test-h0permit $U -- sleep 30 &
p=$!
sleep 0.3
kill -TERM $p
wait $p
is $? 143 "pam-run: SIGTERM is passed to the command, the session still closes"

rm -f "$W/ran"
"$NSBOX_PAMRUN" nsbox-test-h0permit $U -- touch "$W/ran"
ok $([ -e "$W/ran" ] && [ "$(stat -c %U "$W/ran")" = $U ]; echo $?) "marker check works: the user can create $W/ran"
nsbox_pam_service nsbox-test-h0deny "auth     required pam_permit.so
account  required pam_permit.so
session  required pam_deny.so"
rm -f "$W/ran"
m=$(nsbox_log_mark)
out=$("$NSBOX_PAMRUN" nsbox-test-h0deny $U -- touch "$W/ran" 2>&1)
is $? 126 "pam-run: a failed open_session exits 126"
ok $([ ! -e "$W/ran" ]; echo $?) "and the command did not run"
like "$out" "^pam-run: open_session: " "and says so on stderr"
out=$("$NSBOX_PAMRUN" -n nsbox-test-h0deny $U -- id -un 2>&1)
is "$out" "$U" "pam-run -n: no PAM at all, runs as the user"

# ---- sshd ----
SVC=nsbox-test-h0sshd
nsbox_pam_service $SVC "$permit
session  optional pam_warn.so"
m=$(nsbox_log_mark)
nsbox_sshd_start $SVC
nsbox_ssh_authorize $U
like "$NSBOX_SSH_PORT" "^[0-9]+$" "sshd listens on 127.0.0.1:$NSBOX_SSH_PORT"
out=$(nsbox_ssh $U -- echo hi 2>&1)
ok $? "ssh runs a command" "$out" "$(tail -n 20 "$NSBOX_SSHD_LOG")"
is "$out" "hi" "ssh: echo hi"
like "$NSBOX_SSHD_PAM_BY" "^(PAMServiceName|argv0)$" "sshd told its PAM service by $NSBOX_SSHD_PAM_BY"
if "$NSBOX_SSHD_BIN" -T -f /dev/null -h "$NSBOX_T/ssh/host_ed25519" -o PAMServiceName=x >/dev/null 2>&1; then
	is "$NSBOX_SSHD_PAM_BY" PAMServiceName "this sshd knows PAMServiceName (OpenSSH >= 9.8), so the harness uses it"
else
	is "$NSBOX_SSHD_PAM_BY" argv0 "this sshd does not know PAMServiceName, so the harness names it by argv[0]"
fi
log=$(nsbox_log_since "$m")
like "$log" "pam_warn\($SVC:session\).*service=\[$SVC\].*user=\[$U\]" \
	"the ssh login ran under the test's PAM service, and PAM's syslog reaches the sink"
unlike "$log" "\(sshd:(auth|account|session)\)" "and not under the stock sshd service"
out=$(nsbox_ssh $U -tt -- tty 2>&1)
like "$out" "^/dev/pts/[0-9]+" "ssh -tt: the command has a pty"
out=$(printf 'echo TTY $(tty)\nexit\n' | nsbox_ssh $U -tt -- 2>&1)
like "$out" "TTY /dev/pts/[0-9]+" "ssh -tt: an interactive shell on a pty"
echo "payload-$$" >"$NSBOX_T/payload"
printf 'put %s upload\nls -1\n' "$NSBOX_T/payload" >"$NSBOX_T/batch"
out=$(nsbox_sftp $U "$NSBOX_T/batch" 2>&1)
ok $? "sftp batch runs" "$out"
like "$out" "upload" "sftp: ls shows the upload"
is "$(cat /home/$U/upload 2>&1)" "payload-$$" "sftp: the upload landed in the home directory"
out=$(nsbox_scp "$NSBOX_T/payload" "$U@127.0.0.1:scp-copy" 2>&1)
ok $? "scp works" "$out"
is "$(cat /home/$U/scp-copy 2>&1)" "payload-$$" "scp: the file arrived"
nsbox_ssh nsbt-h0grp -- true 2>/dev/null
is $? 255 "ssh as a user without an authorized key is refused"

nsbox_pam_service $SVC "auth     required pam_permit.so
account  required pam_permit.so
session  required pam_deny.so"
out=$(nsbox_ssh $U -- echo SHOULD-NOT-RUN 2>&1)
is $? 254 "a failed pam_open_session: ssh exits 254"
unlike "$out" "SHOULD-NOT-RUN" "and the command did not run"

# ---- the harness's own cleanup, seen from outside a sub-test ----
SUB=$NSBOX_T/sub.t
cat >"$SUB" <<'EOF'
#!/bin/bash
. "$NSBOX_TOP/tests/e2e/lib.sh"
nsbox_require_root
[ "$SUB_MODE" = skip ] && skip_all "deliberate skip"
nsbox_enter_private_ns
echo "$NSBOX_T" >"$SUB_INFO"
[ "$SUB_MODE" = empty ] && exit 0
nsbox_add_group nsbt-h0subg
nsbox_add_user nsbt-h0sub nsbt-h0subg
nsbox_pam_service nsbox-test-h0sub "session required pam_permit.so"
nsbox_pam_bind_over su "# nsbox-test-h0sub bound over su"
is "$(head -1 /etc/pam.d/su)" "# nsbox-test-h0sub bound over su" "bind over su"
sleep 300 &
nsbox_track_pid $!
echo "SLEEP $!" >>"$SUB_INFO"
sleep 301 &
echo "JOB $!" >>"$SUB_INFO"
nsbox_sshd_start nsbox-test-h0sub
echo "SSHD $(nsbox_sshd_pid)" >>"$SUB_INFO"
echo "LOGSINK $(pgrep -P $$ -x logsink)" >>"$SUB_INFO"
pass "sub-test ran"
case $SUB_MODE in
stock) logger -p authpriv.info -t sshd "pam_unix(sshd:session): session opened for user nsbt-h0sub(uid=1) by (uid=0)" ;;
crash) exit 3 ;;
fail) fail "deliberate failure" ;;
esac
EOF
chmod 0755 "$SUB"
su_before=$(md5sum </etc/pam.d/su)
sub() { # MODE [env...]: runs the sub-test; sets OUT RC INFO
	local mode=$1
	shift
	: >"$NSBOX_T/sub.info"
	OUT=$(env -u NSBOX_TEST_NS -u CI -u NSBOX_MUST_RUN SUB_MODE=$mode SUB_INFO="$NSBOX_T/sub.info" \
		"$@" "$BASH" "$SUB" 2>&1)
	RC=$?
	INFO=$(cat "$NSBOX_T/sub.info")
	note "sub-test ($mode) said:" "$OUT"
}
sub_clean() { # MODE: nothing of the sub-test is left
	local mode=$1 p
	ok $(! getent passwd nsbt-h0sub >/dev/null; echo $?) "$mode: sub-test's user deleted"
	ok $(! getent group nsbt-h0subg >/dev/null; echo $?) "$mode: sub-test's group deleted"
	ok $([ ! -e /etc/pam.d/nsbox-test-h0sub ]; echo $?) "$mode: sub-test's PAM file removed"
	ok $([ ! -e /home/nsbt-h0sub ]; echo $?) "$mode: sub-test's home removed"
	is "$(md5sum </etc/pam.d/su)" "$su_before" "$mode: /etc/pam.d/su unchanged here"
	local t
	t=$(head -1 <<<"$INFO")
	ok $([ -n "$t" ] && [ ! -e "$t" ]; echo $?) "$mode: sub-test's temp dir $t removed"
	for p in $(awk '$1 != "/" && NF == 2 {print $2}' <<<"$INFO"); do
		ok $(! nsbox_alive "$p"; echo $?) "$mode: sub-test's process $p ($(grep " $p$" <<<"$INFO" | cut -d' ' -f1)) ended"
	done
}
sub pass
is "$RC" 0 "sub-test passes"
like "$OUT" "ok 2 - sub-test ran" "sub-test's TAP"
like "$OUT" $'\n1\\.\\.2$' "sub-test's plan at the end"
unlike "$OUT" "not ok" "sub-test: no failure (cleanup included)"
is "$(grep -cE '^(SLEEP|JOB|SSHD|LOGSINK) [0-9]+$' <<<"$INFO")" 4 "sub-test started its processes"
sub_clean pass

sub crash
isnt "$RC" 0 "sub-test that crashes fails"
like "$OUT" "not ok 3 - the script ended with exit status 3" "crash: a failing test is added"
like "$OUT" $'\n1\\.\\.3$' "crash: plan printed anyway"
sub_clean crash

sub fail
isnt "$RC" 0 "sub-test with a failed test fails"
like "$OUT" "not ok 3 - deliberate failure" "fail: the failure is reported"
sub_clean fail

sub stock
isnt "$RC" 0 "sub-test whose sshd login went through the stock sshd PAM service fails"
like "$OUT" "not ok 3 - .*a login used the stock PAM service 'sshd'" "stock: says so"
sub_clean stock

sub empty
isnt "$RC" 0 "sub-test that runs no test fails"
like "$OUT" "not ok 1 - the script ran no test" "empty: says so"

sub skip
is "$RC" 0 "skip_all outside CI: exit 0"
like "$OUT" "^1\.\.0 # SKIP deliberate skip$" "skip_all outside CI: 1..0 # SKIP"
sub skip CI=true
isnt "$RC" 0 "skip_all with CI=true fails"
like "$OUT" "not ok 1 - cannot skip under CI" "CI=true: not ok"
sub skip NSBOX_MUST_RUN=1
isnt "$RC" 0 "skip_all with NSBOX_MUST_RUN=1 fails"
