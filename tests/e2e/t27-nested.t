#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A login from inside a box is never boxed again, also from a box without a
# pid namespace of its own (namespaces = mount ipc uts net): such a box sees the host's /proc,
# whose PID 1 is the host's init, so only the identity of its namespaces tells a helper that it
# runs inside a box. A boxed user runs su and sudo whose PAM stacks end with pam_nsbox (bound over
# /etc/pam.d/su and sudo in this test's mount namespace only; the box inherits them): the helper
# they start refuses with one line, no second box is made, and the host's records are untouched.
# A login from a box with a pid namespace (judged by its PID 1) is refused the same way, and the
# marks go with the box.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_require_cmd su sudo visudo
nsbox_private_state

U=nsbt-nest
U2=nsbt-nest2
nsbox_add_user $U
nsbox_add_user $U2
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box
namespaces = mount ipc uts net

[match user=root]
namespaces = pid mount ipc uts net")
SVC=nsbox-test-nest
nsbox_service $SVC "conf=$CONF"
STACK="auth     sufficient pam_permit.so
account  required   pam_permit.so
session  required   pam_permit.so
session  required   $NSBOX_MODULE helper=$NSBOX_HELPER conf=$CONF"
nsbox_pam_bind_over su "$STACK"
nsbox_pam_bind_over sudo "$STACK"
# sudo: a rule for the boxed user, on a tmpfs over /etc/sudoers.d (this mount namespace only)
mount -t tmpfs -o mode=0755,nosuid,nodev,size=1m nsbt-nest-sudoers /etc/sudoers.d ||
	nsbox_die "harness: tmpfs on /etc/sudoers.d"
printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' $U >"$NSBOX_T/sudoers"
visudo -cqf "$NSBOX_T/sudoers" && install -m 0440 -o root -g root "$NSBOX_T/sudoers" /etc/sudoers.d/nsbt-nest ||
	nsbox_die "harness: sudoers rule"

HOST_INIT=$(cat /proc/1/comm)
S=$NSBOX_T/s
mkdir -m 1777 "$S"
m=$(nsbox_log_mark)
out=$("$NSBOX_PAMRUN" $SVC $U -- sh -c "
echo INIT \$(cat /proc/1/comm)
echo NET \$(readlink /proc/self/ns/net)
echo RECORDS \$(ls /run/nsbox/boxes 2>/dev/null | grep -cE '^[0-9a-f]{8}\$' || true)
su $U2 -c 'echo SU-RAN \$NSBOX_ID' </dev/null; echo SU-RC \$?
sudo -n sh -c 'echo SUDO-RAN \$NSBOX_ID' </dev/null; echo SUDO-RC \$?
" 2>&1)
ok $? "the boxed login runs" "$out"
f() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }
is "$(f INIT)" "$HOST_INIT" "the box has no pid namespace: its PID 1 is the host's ($HOST_INIT), not a box init"
isnt "$(f NET)" "$(readlink /proc/self/ns/net)" "but a network namespace of its own"
isnt "$(f SU-RC)" 0 "su inside the box: refused"
unlike "$out" "SU-RAN" "su's command did not run"
isnt "$(f SUDO-RC)" 0 "sudo inside the box: refused"
unlike "$out" "SUDO-RAN" "sudo's command did not run"
log=$(nsbox_log_since "$m")
is "$(printf '%s\n' "$log" | grep -c "no box for user '\(root\|$U2\)': a login from inside a box is not boxed again; session denied")" 2 \
	"each refusal is one line that says why" "$log"
is "$(printf '%s\n' "$log" | grep -c ' started: ')" 1 "one box only: the login's own" "$log"
is "$(printf '%s\n' "$log" | grep -oE 'box=[0-9a-f]{8}' | sort -u | wc -l)" 1 \
	"the nested helpers reserved no box of their own in the host's records" "$log"
nsbox_check_clean "nested su and sudo"

# ---- with a pid namespace: the box init is PID 1 there (root boxed runs the session runner
# again inside its box) ----
m=$(nsbox_log_mark)
out=$("$NSBOX_PAMRUN" $SVC root -- sh -c "echo INIT \$(cat /proc/1/comm); \"$NSBOX_PAMRUN\" $SVC $U -- echo NESTED-RAN; echo RC \$?" 2>&1)
is "$(f INIT)" nsbox-init "a box with its own pid namespace: PID 1 is the box init"
unlike "$out" NESTED-RAN "a nested login there is refused too"
like "$(nsbox_log_since "$m")" "no box for user '$U': a login from inside a box is not boxed again; session denied" \
	"with the same line"
nsbox_check_clean "nested in a pid namespace"

# ---- the marks: one per namespace of a live box, gone with it ----
"$NSBOX_PAMRUN" $SVC $U -- sh -c "echo up >$S/up; while [ ! -e $S/done ]; do sleep 0.05; done" >/dev/null 2>&1 &
P=$!
nsbox_wait "[ -s $S/up ]" 10
ID=$(nsbox_records | head -1)
INIT=$(sed -n 's/^init=//p' "/run/nsbox/boxes/$ID/record")
want=""
for t in ipc mnt net uts; do
	want="$want $t:$(stat -L -c %i /proc/$INIT/ns/$t)->$ID"
done
got=""
for e in $(nsbox_nsmarks | sort); do got="$got $e->$(readlink "/run/nsbox/ns/$e")"; done
is "$got" "$want" "the box's four namespaces are marked (no pid mark: that one is the host's)"
touch "$S/done"
wait $P
nsbox_check_clean "marks"
