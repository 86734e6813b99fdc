#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Chroots. setns() into a mount namespace resets the caller's root to that namespace's root, so a
# PAM application running inside a chroot would put the user outside it: the module refuses to
# join from a chroot (exempt users still pass). sshd's ChrootDirectory is applied by the session
# child after the session opened, inside the box: an sftp-only chrooted user is boxed and stays
# chrooted. Every chroot lives under a tmpfs on /mnt in this test's private mount namespace (none
# under $NSBOX_T, which the harness removes with rm -rf).
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state
nsbox_require_cmd chroot nsenter unshare "$NSBOX_PAMRUN"

U=nsbt-chr
UX=nsbt-chrx
US=nsbt-sftp
for u in $U $UX $US; do nsbox_add_user $u; done
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = box-%u

[match user=$UX]
exempt = yes")
SVC=nsbox-test-chroot
nsbox_service $SVC "conf=$CONF"

mount -t tmpfs -o mode=0755 nsbt-chroots /mnt || nsbox_die "cannot mount a tmpfs on /mnt"
# the application's chroot: all of / (so every binary, library, PAM file and /dev/log is there),
# with a marker only visible inside it
JAIL=/mnt/jail
mkdir -m 0755 $JAIL
mount --rbind / $JAIL || nsbox_die "cannot bind / at $JAIL"
mount --make-rslave $JAIL
mount -t tmpfs -o mode=0755 nsbt-jailmnt $JAIL/mnt || nsbox_die "cannot mount $JAIL/mnt"
touch $JAIL/mnt/nsbt-in-jail
where='if [ -e /mnt/nsbt-in-jail ]; then echo IN-JAIL; else echo OUTSIDE; fi'

# ---- the kernel fact the refusal rests on (fails if setns kept the chroot) ----
unshare --mount sleep 100000 </dev/null >/dev/null 2>&1 &
other=$!
nsbox_track_pid $other
nsbox_wait "[ \"\$(readlink /proc/$other/ns/mnt)\" != \"\$(readlink /proc/self/ns/mnt)\" ]" 5
out=$(chroot $JAIL sh -c "$where; nsenter --mount=/proc/$other/ns/mnt sh -c '$where'" 2>&1)
is "$(echo $out)" "IN-JAIL OUTSIDE" "probe: a chrooted process that joins a mount namespace leaves its chroot"
kill $other
wait $other 2>/dev/null

# ---- a chrooted PAM application: refused ----
m=$(nsbox_log_mark)
out=$(chroot $JAIL "$NSBOX_PAMRUN" $SVC $U -- sh -c "echo RAN; $where" 2>&1)
rc=$?
is "$rc" 126 "chrooted application: the session is refused (pam-run exits 126)"
unlike "$out" "RAN" "chrooted application: the command did not run"
log=$(nsbox_log_since "$m" | grep 'pam_nsbox(')
like "$log" "^<[0-9]+>.* pam_nsbox\($SVC:session\): no box for user '$U': application is chrooted \(joining the box would end its chroot\); session denied \(ref [0-9a-f]{8}\)$" \
	"chrooted application: the module says why, in one line"
is "$(printf '%s\n' "$log" | grep -c .)" 1 "chrooted application: one log line"
nsbox_check_clean "chrooted application"

# ---- the same application unchrooted: boxed; an exempt user through the chroot: passes ----
out=$("$NSBOX_PAMRUN" $SVC $U -- sh -c 'echo HOST $(hostname)' 2>&1)
is "$out" "HOST box-$U" "not chrooted: the same service boxes the user"
nsbox_check_clean "not chrooted"
out=$(chroot $JAIL "$NSBOX_PAMRUN" $SVC $UX -- sh -c "echo RAN; $where" 2>&1)
is "$(echo $out)" "RAN IN-JAIL" "chrooted application, exempt user: runs, still in the chroot"
is "$(nsbox_records | wc -l)" 0 "exempt user: no box"

# ---- sshd's ChrootDirectory for an sftp-only user: boxed and chrooted ----
SJ=/mnt/sftpjail
mkdir -m 0755 $SJ $SJ/upload
chown $US: $SJ/upload
echo marker >$SJ/jail-marker
nsbox_sshd_start $SVC "Match User $US
	ChrootDirectory $SJ
	ForceCommand internal-sftp"
nsbox_ssh_authorize $US
echo "payload-$$" >"$NSBOX_T/payload"
printf 'pwd\nls /\nput %s /upload/sent\n' "$NSBOX_T/payload" >"$NSBOX_T/batch"
m=$(nsbox_log_mark)
out=$(nsbox_sftp $US "$NSBOX_T/batch" 2>&1)
ok $? "sftp-only chrooted user: sftp works" "$out"
like "$out" "Remote working directory: /" "sftp-only: starts at the chroot's /"
like "$out" "jail-marker" "sftp-only: / is the chroot (its marker is listed)"
unlike "$out" "nsbt-in-jail|/home|/etc" "sftp-only: nothing of the real root is listed"
is "$(cat $SJ/upload/sent 2>&1)" "payload-$$" "sftp-only: the upload landed in the chroot"
like "$(nsbox_log_since "$m")" "box=[0-9a-f]{8} started: user='$US' service='$SVC'" \
	"sftp-only: the login was boxed under the test's service"
nsbox_check_clean "sftp-only"

# a held session, to look at the user's process: in the box's namespaces, root at the chroot
mkfifo "$NSBOX_T/hold"
nsbox_ssh $US -s -- sftp <"$NSBOX_T/hold" >/dev/null 2>&1 &
held=$!
exec 7>"$NSBOX_T/hold"
# sshd's post-auth child runs as the user, unchrooted; the session process it forks chroots
in_jail() {
	local q
	for q in $(nsbox_user_procs $US); do
		[ "$(readlink /proc/$q/root 2>/dev/null)" = "$SJ" ] && echo $q
	done
}
nsbox_wait '[ -n "$(in_jail)" ]' 10
ok $? "sftp-only: the user's session process is chrooted at $SJ" "$(ps -o pid,user,args -u $US)"
ID=$(nsbox_records | head -1)
INIT=$(sed -n 's/^init=//p' /run/nsbox/boxes/$ID/record 2>/dev/null)
like "$INIT" "^[1-9][0-9]*$" "sftp-only: the held session has a box ($ID, init $INIT)"
for q in $(nsbox_user_procs $US); do
	for t in mnt net pid; do
		n=$(readlink /proc/$q/ns/$t)
		ok $([ -n "$n" ] && [ "$n" = "$(readlink /proc/$INIT/ns/$t)" ] &&
			[ "$n" != "$(readlink /proc/self/ns/$t)" ]; echo $?) \
			"sftp-only: $(cat /proc/$q/comm 2>/dev/null) ($q) is in the box's $t namespace ($n)"
	done
done
exec 7>&-
nsbox_wait "! kill -0 $held 2>/dev/null" 10
ok $? "sftp-only: the held session ends when its input closes"
wait $held 2>/dev/null
nsbox_check_clean "held sftp-only session"
