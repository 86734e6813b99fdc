#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# max_boxes counts a user's boxes by uid, not by name: a second name for the uid
# (useradd -o) and another spelling of the name that a case-insensitive directory accepts (a
# test NSS module, as SSSD with case_sensitive = false; seen only in a mount namespace of its
# own) are the same user to the kernel, and each is refused at the limit with one line, whichever
# name opened the boxes counted. A shared box is still joined only by logins under the name that
# opened it.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

NSS_LIB=$NSBOX_BUILD/tests/nss
[ -f "$NSS_LIB/libnss_nsbtci.so.2" ] || nsbox_die "missing $NSS_LIB/libnss_nsbtci.so.2 (make tests)"
nsbox_nss_libdir

U=nsbt-uid
A=nsbt-uida     # a second name for U's uid
CI=NSBT-UID     # U's name in capitals: only the case-insensitive directory knows it
nsbox_add_user $U
UIDN=$(id -u $U)
if getent passwd $A >/dev/null; then
	diag "removing leftover user $A"
	userdel -f $A >/dev/null 2>&1
fi
_nsbox_users+=($A) # the harness deletes it at exit
# its own group, and no home: userdel -r at exit must not take U's
out=$(useradd -o -u "$UIDN" -M -d /nonexistent -s /bin/bash $A 2>&1) || nsbox_die "useradd -o -u $UIDN $A" "$out"
is "$(id -u $A)" "$UIDN" "$A is a second name for $U's uid $UIDN"

SVC=nsbox-test-uid
SHARE=nsbox-test-uidsh
CONF=$(nsbox_conf nsbox.conf "[defaults]
max_boxes = 2

[match service=$SHARE]
share = user
max_boxes = 2")
nsbox_service $SVC "conf=$CONF"
nsbox_service $SHARE "conf=$CONF"

# the case-insensitive view, for this test's own mount namespace (it goes with it): passwd
# through files, then the test's directory, which the listed libc directory now holds
ok $(! id -u $CI >/dev/null 2>&1; echo $?) "before the view nobody is called $CI"
mkdir -m 0755 "$NSBOX_T/nss" "$NSBOX_T/nsslib"
cp "$NSS_LIB/libnss_nsbtci.so.2" "$NSBOX_T/nsslib/"
sed 's/^passwd:.*/passwd: files nsbtci/' /etc/nsswitch.conf >"$NSBOX_T/nss/nsswitch.conf"
grep -q '^passwd: files nsbtci$' "$NSBOX_T/nss/nsswitch.conf" || echo 'passwd: files nsbtci' >>"$NSBOX_T/nss/nsswitch.conf"
chmod 0644 "$NSBOX_T/nss/nsswitch.conf"
nsbox_in_private_ns || nsbox_die "harness: the view outside the private mount namespace"
mount -t overlay nsbt-nss -o "lowerdir=$NSBOX_T/nsslib:$LIBDIR" "$LIBDIR" &&
	mount --bind "$NSBOX_T/nss/nsswitch.conf" /etc/nsswitch.conf || nsbox_die "harness: the NSS view"
is "$(id -u $CI 2>&1)" "$UIDN" "the case-insensitive view: $CI is uid $UIDN"
is "$(id -un $CI 2>&1)" "$U" "under its own spelling"

# a scratch dir every test user can write; a session holds while its file exists
S=$NSBOX_T/s
mkdir -m 1777 "$S"
SESSP=()
# session NAME SERVICE USER : a held session in the background, its NSBOX_ID into $S/NAME.id
session() {
	local name=$1 svc=$2 user=$3
	rm -f "$S/$name.id"
	touch "$S/$name.hold"
	"$NSBOX_PAMRUN" "$svc" "$user" -- sh -c "echo \$NSBOX_ID >$S/$name.id; while [ -e $S/$name.hold ]; do sleep 0.05; done" \
		>"$S/$name.log" 2>&1 &
	nsbox_track_pid $!
	SESSP+=($!)
	nsbox_wait "[ -s $S/$name.id ]" 10
	ok $? "$name: $user's session is up" "$(cat "$S/$name.log")"
}
end_sessions() {
	rm -f "$S"/*.hold
	[ ${#SESSP[@]} -eq 0 ] || wait "${SESSP[@]}" 2>/dev/null
	SESSP=()
}
rec() { sed -n "s/^$2=//p" "/run/nsbox/boxes/$1/record"; }

# refused NAME SERVICE USER [ssh] : the login is refused with one line naming the uid's boxes.
# The session runner, as su, opens the session under the name getpwnam gives; sshd opens it
# under the name the client sent, which is how another spelling reaches PAM
refused() {
	local name=$1 svc=$2 user=$3 how=${4:-} m out
	local re="no box for user '$user': user '$user' \(uid $UIDN\) has 2 live boxes \(max_boxes = 2\); session denied"
	if [ "$how" != ssh ]; then
		nsbox_denied "$svc" "$user" "$re" "$name: $user's third box"
		return
	fi
	m=$(nsbox_log_mark)
	nsbox_sshd_start "$svc"
	out=$(nsbox_ssh "$user" -- echo RAN 2>/dev/null)
	isnt "$out" RAN "$name: $user's third box: login refused, no command ran"
	out=$(nsbox_log_since "$m" | grep pam_nsbox)
	like "$out" "$re" "$name: $user's third box: log says why"
	is "$(printf '%s\n' "$out" | grep -c .)" 1 "$name: $user's third box: one log line"
}
nsbox_ssh_authorize $U

# ---- two boxes of U: the alias and the other spelling are at the limit too ----
session u1 $SVC $U
session u2 $SVC $U
B1=$(cat "$S/u1.id")
is "$(rec "$B1" uid)" "$UIDN" "the record says the box's uid"
is "$("$NSBOX_CTL" show "$B1" | sed -n 's/^uid = //p')" "$UIDN" "nsboxctl show says the uid"
refused same $SVC $U
refused alias $SVC $A
refused upper $SVC $CI ssh
is "$(nsbox_records | wc -l)" 2 "the refused logins left no box"

# ---- one of U's boxes goes: the alias gets one, and U is then at the limit with it ----
rm "$S/u1.hold"
nsbox_wait '[ "$(nsbox_records | wc -l)" -eq 1 ]' 10
session a1 $SVC $A
is "$(rec "$(cat "$S/a1.id")" user)" "$A" "the alias's box is recorded under the alias's name"
is "$(rec "$(cat "$S/a1.id")" uid)" "$UIDN" "and U's uid"
refused mixed $SVC $U
refused mixed-upper $SVC $CI ssh
end_sessions
nsbox_check_clean "max_boxes per uid"

# ---- share = user: a box is joined only under the name that opened it ----
session s1 $SHARE $U
session s2 $SHARE $A
isnt "$(cat "$S/s2.id")" "$(cat "$S/s1.id")" "share = user: the alias gets a box of its own, not U's"
session s3 $SHARE $A
is "$(cat "$S/s3.id")" "$(cat "$S/s2.id")" "share = user: the alias's second login joins the alias's box"
session s4 $SHARE $U
is "$(cat "$S/s4.id")" "$(cat "$S/s1.id")" "share = user: U's second login joins U's box"
refused shared-upper $SHARE $CI ssh
end_sessions
nsbox_check_clean "share = user per name"
