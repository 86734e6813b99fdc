#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The installed Debian package, not build/: one real boxed ssh login through pam_nsbox.so loaded
# by name from the release's PAM module directory, the module's built-in helper path
# (/usr/libexec/nsbox/nsbox-helper) and the packaged /etc/security/nsbox.conf. Run as root by
# .ci/deb-test.sh between installing and purging the package; uses the real /run/nsbox.
PAMDIR=$(pkg-config --variable=libdir pam)/security
export NSBOX_MODULE=$PAMDIR/pam_nsbox.so NSBOX_HELPER=/usr/libexec/nsbox/nsbox-helper \
	NSBOX_CTL=/usr/sbin/nsboxctl
. "$(dirname "$0")/../e2e/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/../e2e/common.sh"

for f in "$NSBOX_MODULE" "$NSBOX_HELPER" "$NSBOX_CTL" /etc/security/nsbox.conf; do
	like "$(dpkg -S "$f" 2>&1)" "^pam-nsbox: $f$" "$f is the package's"
done
is "$(stat -c '%U %a' "$NSBOX_HELPER")" "root 755" "the helper is root's, 0755, not setuid"

U=nsbt-deb
SVC=nsbox-test-deb
nsbox_add_user $U
# the one line README.Debian gives, with no argument: module by name, default helper and conf
nsbox_pam_service $SVC "auth     required pam_permit.so
account  required pam_permit.so
session  required pam_permit.so
session  required pam_nsbox.so"
nsbox_sshd_start $SVC
nsbox_ssh_authorize $U

m=$(nsbox_log_mark)
out=$(nsbox_ssh $U -- 'echo NET $(readlink /proc/self/ns/net); echo PID $(readlink /proc/self/ns/pid); echo HOST $(hostname); echo ID $NSBOX_ID; echo INIT $(cat /proc/1/comm)')
ok $? "ssh login with the installed module" "$out"
field() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }
isnt "$(field NET)" "$(readlink /proc/self/ns/net)" "the login has its own network namespace"
isnt "$(field PID)" "$(readlink /proc/self/ns/pid)" "the login has its own pid namespace"
is "$(field HOST)" "$U-box" "hostname from the packaged nsbox.conf"
like "$(field ID)" "^[0-9a-f]{8}$" "NSBOX_ID set"
is "$(field INIT)" "nsbox-init" "PID 1 is the box init"
like "$(nsbox_log_since "$m")" "nsbox-helper\[[0-9]+\]: box=$(field ID) started: user='$U' service='$SVC' .*section=defaults" \
	"the installed helper logged the box under the test's service"
nsbox_check_clean "installed login"

# a held login: the box init runs the installed helper, the sshd monitor maps the installed module
mkfifo "$NSBOX_T/hold"
nsbox_ssh $U -- 'cat >/dev/null' <"$NSBOX_T/hold" >/dev/null 2>&1 &
held=$!
exec 7>"$NSBOX_T/hold"
nsbox_wait '[ -n "$(nsbox_records)" ] && grep -q "^init=[1-9]" /run/nsbox/boxes/$(nsbox_records | head -1)/record' 10
ID=$(nsbox_records | head -1)
INIT=$(sed -n 's/^init=//p' /run/nsbox/boxes/$ID/record 2>/dev/null)
is "$(readlink /proc/$INIT/exe)" "$NSBOX_HELPER" "the box init is the installed helper"
mon=$(pgrep -f ": $U \[priv\]" | head -1)
like "$(grep -o '/[^ ]*pam_nsbox\.so' /proc/$mon/maps 2>/dev/null | sort -u)" "^$NSBOX_MODULE$" \
	"the sshd monitor loaded the module from $PAMDIR"
like "$("$NSBOX_CTL" list 2>&1)" "$ID" "the installed nsboxctl lists the box"
exec 7>&-
nsbox_wait "! kill -0 $held 2>/dev/null" 10
ok $? "the held login ends when its input closes"
wait $held 2>/dev/null
nsbox_check_clean "held installed login"
