#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A refused login tells the user, and the admin can find why. Through each entry path (ssh with
# a pty, ssh running a command, sftp, su, login, pamtester) a login that pam_nsbox refuses (a
# config error) is refused; where the path shows PAM messages the user reads one line with a
# reference and never the reason; the reference is in the log line and in nsboxctl refusals,
# which gives the reason. What each path showed is printed as a table.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state
nsbox_require_cmd login su "$NSBOX_PTYRUN"

U=nsbt-rfs
nsbox_add_user $U
# the reason names this file and a key: neither may reach the user
BAD=$(nsbox_conf secret-policy.conf "[defaults]
network = sideways")
SVC=nsbox-test-rfs
nsbox_service $SVC "conf=$BAD"
nsbox_sshd_start $SVC
nsbox_ssh_authorize $U
nsbox_pam_bind_over su "auth     sufficient pam_rootok.so
account  required   pam_permit.so
session  required   pam_permit.so
session  required   $NSBOX_MODULE helper=$NSBOX_HELPER conf=$BAD"
nsbox_pam_bind_over login "auth     sufficient pam_rootok.so
account  required   pam_permit.so
session  required   pam_permit.so
session  required   $NSBOX_MODULE helper=$NSBOX_HELPER conf=$BAD"
rm -f /run/nsbox/refusals /run/nsbox/refusals.old

LINE='Login refused: this session could not be set up. Reference for the administrator: '
clean() { sed 's/\x1b\][^\x07]*\x07//g; s/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g'; }
declare -A SHOWN
# path NAME OUTPUT: the refusal's checks for what the user saw through NAME
path() {
	local name=$1 out=$2 ref logref
	unlike "$out" "secret-policy|sideways|bad config|network" "$name: the user is never told the reason"
	unlike "$out" "SHOULD-NOT-RUN-42" "$name: nothing ran"
	ref=$(printf '%s\n' "$out" | sed -n "s/.*$LINE\([0-9a-f]\{8\}\).*/\1/p" | tail -n 1)
	logref=$(nsbox_log_since "$m" | sed -n "s/.*no box for user '$U': .*; session denied (ref \([0-9a-f]\{8\}\))$/\1/p" | tail -n 1)
	like "$logref" "^[0-9a-f]{8}$" "$name: the log line carries a reference"
	if [ -n "$ref" ]; then
		SHOWN[$name]="the line, ref $ref"
		is "$ref" "$logref" "$name: the user's reference is the log's"
	else
		SHOWN[$name]="nothing of pam_nsbox's ($(printf '%s' "$out" | tr '\n' ' ' | cut -c1-60))"
	fi
	REFS+=("$logref")
}
REFS=()

m=$(nsbox_log_mark)
out=$(printf 'echo SHOULD-NOT-RUN-$((6*7))\nexit\n' | nsbox_ssh $U -tt -- 2>&1 | clean)
path "ssh with a pty" "$out"
like "$out" "$LINE[0-9a-f]{8}" "ssh with a pty: the user reads the line"

m=$(nsbox_log_mark)
out=$(nsbox_ssh $U -- 'echo SHOULD-NOT-RUN-$((6*7))' 2>&1)
path "ssh running a command" "$out"
like "$out" "$LINE[0-9a-f]{8}" "ssh running a command: the user reads the line"

m=$(nsbox_log_mark)
printf 'ls /\n' >"$NSBOX_T/batch"
out=$(nsbox_sftp $U "$NSBOX_T/batch" 2>&1)
isnt $? 0 "sftp: refused"
path "sftp" "$out"
# the line reaches sftp's protocol stream, whose client reads its first four bytes as a length
len=$((0x$(printf '%s' "${LINE:0:4}" | od -An -tx1 | tr -d ' \n')))
like "$out" "Received message too long $len" "sftp: the client reports the line's first bytes as a length ($len)"

m=$(nsbox_log_mark)
out=$(su $U -c 'echo SHOULD-NOT-RUN-$((6*7))' </dev/null 2>&1)
isnt $? 0 "su: refused"
path "su" "$out"
like "$out" "$LINE[0-9a-f]{8}" "su: the user reads the line"

m=$(nsbox_log_mark)
out=$(printf 'echo SHOULD-NOT-RUN-$((6*7))\nexit\n' | timeout 20 "$NSBOX_PTYRUN" -e "$U@" login -f $U 2>&1 | clean)
path "login" "$out"
like "$out" "$LINE[0-9a-f]{8}" "login: the user reads the line"

m=$(nsbox_log_mark)
out=$(pamtester $SVC $U open_session 2>&1)
path "pamtester" "$out"
like "$out" "$LINE[0-9a-f]{8}" "pamtester: the line comes through the conversation"
# PAM_SILENT: the application asked for no messages
m=$(nsbox_log_mark)
out=$(pamtester $SVC $U "open_session(PAM_SILENT)" 2>&1)
unlike "$out" "Login refused" "PAM_SILENT: no message"
like "$(nsbox_log_since "$m")" "session denied \(ref [0-9a-f]{8}\)" "PAM_SILENT: still refused and logged"

for p in "ssh with a pty" "ssh running a command" "sftp" "su" "login" "pamtester"; do
	note "$(printf '%-22s %s' "$p:" "${SHOWN[$p]}")"
done
nsbox_check_clean "refused logins"

# ---- nsboxctl refusals ----
out=$("$NSBOX_CTL" refusals --all)
ok $? "nsboxctl refusals" "$out"
like "$(head -n 1 <<<"$out")" "^TIME +REF +USER +SERVICE +RHOST +TTY +REASON$" "refusals: the header"
for r in "${REFS[@]}"; do
	like "$out" " $r  $U " "refusals: reference $r is listed with its user"
done
is "$(grep -c " $U " <<<"$out")" "$((${#REFS[@]} + 1))" "refusals: one line per refused login (the silent one too)"
ssh_ref=${REFS[0]}
out=$("$NSBOX_CTL" refusals "$ssh_ref")
ok $? "refusals REF"
like "$out" " $ssh_ref  $U +$SVC +127\.0\.0\.1 .* bad config: $(re "$BAD"):2: .*sideways" \
	"refusals REF: the service, the remote host and the reason"
out=$("$NSBOX_CTL" refusals --json "$ssh_ref")
like "$out" "^\[\{\"time\":[0-9]+,\"ref\":\"$ssh_ref\",\"user\":\"$U\",\"service\":\"$SVC\",\"rhost\":\"127\.0\.0\.1\"," \
	"refusals --json"
is "$("$NSBOX_CTL" refusals -n 1 | tail -n +2 | wc -l)" 1 "refusals -n 1: the last one"
"$NSBOX_CTL" refusals 0badc0de >/dev/null 2>"$NSBOX_T/err"
is "$? $(cat "$NSBOX_T/err")" "1 nsboxctl: no refusal with the reference '0badc0de' (the log keeps the last ~2000)" \
	"refusals of an unknown reference: exit 1, says so"
is "$(stat -c '%a %U' /run/nsbox/refusals)" "600 root" "the log is root's alone"
setpriv --reuid=$U --regid=$U --clear-groups "$NSBOX_CTL" refusals >/dev/null 2>&1
is $? 4 "non-root nsboxctl refusals: exit 4"
# a user name that tries to forge a line is kept as one field
rm -f /run/nsbox/refusals
pamtester $SVC "$U user=x reason=forged" open_session >/dev/null 2>&1
out=$("$NSBOX_CTL" refusals --json)
is "$(grep -o '"user":"[^"]*"' <<<"$out")" "\"user\":\"$U user=x reason=forged\"" \
	"a user name with spaces and '=' stays one field"
rm -f /run/nsbox/refusals /run/nsbox/refusals.old
