#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# An NSS outage never unboxes a login. With "[defaults] exempt = yes" and
# "[match group=nsbt-lab] exempt = no", a lab user whose lab group lives only in a directory that
# is down (a test NSS module that fails every group lookup, seen only in a mount namespace of
# its own: nsswitch.conf, /etc/group without the lab group, and the module in the libc directory
# are bound there and vanish with it) must be refused with one log line, never let in unboxed:
# both a user whose primary group is the lab group (getgrgid of its gid fails) and one who is a
# supplementary member (getgrouplist just lists fewer groups when a source fails, so the helper
# looks up the config's plain group names one by one). A gid or a group name that no source
# knows at all is not an error: it matches no group= rule.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

NSS_LIB=$NSBOX_BUILD/tests/nss
[ -f "$NSS_LIB/libnss_nsbtfail.so.2" ] && [ -f "$NSS_LIB/libnss_nsbtdown.so.2" ] ||
	nsbox_die "missing $NSS_LIB/libnss_nsbt*.so.2 (make tests)"
nsbox_nss_libdir

G=nsbt-lab
U=nsbt-nss
nsbox_add_group $G
nsbox_add_user $U
usermod -g $G $U || nsbox_die "usermod -g $G $U"
# the user's private group is no longer its primary one: userdel at exit would leave it
groupdel $U || nsbox_die "groupdel $U"
U2=nsbt-nss2 # a supplementary member of the lab group
nsbox_add_user $U2 $G
GID=$(getent group $G | cut -d: -f3)

CONF=$(nsbox_conf nsbox.conf "[defaults]
exempt = yes

[match group=$G]
exempt = no")
nsbox_service nsbox-test-nss "conf=$CONF"

# the views: the lab group only in "the directory" (gone from /etc/group), group lookups through
# files and then a failing source, or through files alone (the lab gid then has no name)
mkdir -m 0755 "$NSBOX_T/nss" "$NSBOX_T/nsslib"
cp "$NSS_LIB"/libnss_nsbt*.so.2 "$NSBOX_T/nsslib/"
grep -v "^$G:" /etc/group >"$NSBOX_T/nss/group"
for src in nsbtfail nsbtdown none; do
	sed "s/^group:.*/group: files${src/none/}/" /etc/nsswitch.conf |
		sed "s/^group: files\(nsbt.*\)/group: files \1/" >"$NSBOX_T/nss/nsswitch.$src"
	grep -q "^group:" "$NSBOX_T/nss/nsswitch.$src" || echo "group: files${src/none/}" >>"$NSBOX_T/nss/nsswitch.$src"
done
chmod 0644 "$NSBOX_T"/nss/*

# in_view SRC CMD... : CMD in a mount namespace of its own with SRC's view (never ours)
in_view() {
	local src=$1
	shift
	NSS_SRC=$src NSS_LOWER="$NSBOX_T/nsslib:$LIBDIR" LIBDIR=$LIBDIR NSS_DIR=$NSBOX_T/nss \
		unshare --mount --propagation private -- bash -c '
		mount -t overlay nsbt-nss -o "lowerdir=$NSS_LOWER" "$LIBDIR" &&
		mount --bind "$NSS_DIR/nsswitch.$NSS_SRC" /etc/nsswitch.conf &&
		mount --bind "$NSS_DIR/group" /etc/group || exit 124
		exec "$@"' in_view "$@"
}

is "$(in_view nsbtfail sh -c "getent group $GID; echo rc=\$?")" "rc=2" \
	"the view: the lab gid has no answer (the source is down)"
is "$(in_view none sh -c "getent group $GID; echo rc=\$?")" "rc=2" \
	"the view without the failing source: the lab gid has no name"
is "$(grep -c "^$G:" /etc/group)" 1 "the test's own /etc/group is untouched"
is "$(grep -c nsbt /etc/nsswitch.conf)" 0 "the test's own nsswitch.conf is untouched"

run='echo ${NSBOX_ID:-unboxed}'

# 1. no outage: the lab user is boxed
out=$("$NSBOX_PAMRUN" nsbox-test-nss $U -- sh -c "$run" 2>&1)
like "$out" '^[0-9a-f]{8}$' "no outage: the lab user is boxed"
out=$("$NSBOX_PAMRUN" nsbox-test-nss $U2 -- sh -c "$run" 2>&1)
like "$out" '^[0-9a-f]{8}$' "no outage: the supplementary lab member is boxed"
out=$(in_view none "$NSBOX_PAMRUN" -n nsbox-test-nss $U -- sh -c 'echo "$(id -u) ok"' 2>&1)
like "$out" '^[0-9]+ ok$' "the views run the session runner (the lab user is known)"
nsbox_check_clean "no outage"

# 2. the directory is down (TRYAGAIN with EAGAIN, then UNAVAIL with ENOENT): refused
for src in nsbtfail:'Resource temporarily unavailable' nsbtdown:'No such file or directory'; do
	name=${src%%:*} err=${src#*:}
	m=$(nsbox_log_mark)
	out=$(in_view "$name" "$NSBOX_PAMRUN" nsbox-test-nss $U -- sh -c "$run" 2>&1)
	rc=$?
	is "$rc" 126 "$name: the lab user's login is refused (rc 126)"
	unlike "$out" 'unboxed' "$name: the command did not run unboxed"
	lines=$(nsbox_log_since "$m" | grep pam_nsbox)
	is "$(printf '%s\n' "$lines" | grep -c .)" 1 "$name: one log line"
	like "$lines" "no box for user '$U': cannot look up group $GID of '$U': $err; session denied" \
		"$name: the line names the group and the cause"
	out=$(in_view "$name" "$NSBOX_CTL" check "$CONF" --user $U 2>&1)
	rc=$?
	isnt "$rc" 0 "$name: nsboxctl check --user fails too"
	like "$out" "nsboxctl: cannot look up group $GID of '$U': $err" "$name: nsboxctl says why"
	m=$(nsbox_log_mark)
	out=$(in_view "$name" "$NSBOX_PAMRUN" nsbox-test-nss $U2 -- sh -c "$run" 2>&1)
	rc=$?
	is "$rc" 126 "$name: the supplementary member's login is refused (rc 126)"
	unlike "$out" 'unboxed' "$name: the supplementary member did not get in unboxed"
	lines=$(nsbox_log_since "$m" | grep pam_nsbox)
	is "$(printf '%s\n' "$lines" | grep -c .)" 1 "$name: one log line for the member"
	like "$lines" "no box for user '$U2': cannot look up group '$G' of '$U2': $err; session denied" \
		"$name: the line names the group looked up by name"
	nsbox_check_clean "$name"
done

# 3. no source names the lab gid (no outage, just a number): it matches no group= rule
out=$(in_view none "$NSBOX_PAMRUN" nsbox-test-nss $U -- sh -c "$run" 2>&1)
is "$out" unboxed "a gid no source names matches no group= rule: the user is exempt"
out=$(in_view none "$NSBOX_PAMRUN" nsbox-test-nss $U2 -- sh -c "$run" 2>&1)
is "$out" unboxed "a group name no source knows matches nobody: the member is exempt"
nsbox_check_clean "unnamed gid"
