#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The restricted profile as the user's process sees it, through the su-like session runner
# (tests/pam-run.c): no_new_privs, the bounding set, seccomp, private /tmp and /run/user/UID,
# hidden and read-only paths, sized /dev/shm, procfs options; the same checks without the
# profile show the probes work. Also: nested logins refused, symlinked paths refused, and the
# application itself left unrestricted.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

U=nsbt-rstr
nsbox_add_user $U
UID_U=$(id -u $U)

# Host-side things the box must not see or change: a file under the host's /tmp (in this
# test's own dir there, removed with it), and a stand-in system bus socket on a tmpfs over
# /run/dbus that exists only in this test's mount namespace.
HOSTTMP=$NSBOX_HOSTTMP/host-file
echo host-secret >"$HOSTTMP"
chmod 0755 "$NSBOX_T"
chmod 0644 "$HOSTTMP"
made_run_dbus=0
[ -d /run/dbus ] || { mkdir /run/dbus && made_run_dbus=1; }
mount -t tmpfs -o mode=0755 nsbt-dbus /run/dbus
perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Local => $ARGV[0], Listen => 1) or die' \
	/run/dbus/system_bus_socket
chmod 0666 /run/dbus/system_bus_socket

RCONF=$(nsbox_conf restricted.conf "[defaults]
profile = restricted
shm_size = 8m
proc = hidepid=invisible")
PCONF=$(nsbox_conf plain.conf "[defaults]
hostname = %u-box")
nsbox_service nsbox-test-rstr "conf=$RCONF"
nsbox_service nsbox-test-plain "conf=$PCONF"

probe='
echo NNP $(sed -n "s/^NoNewPrivs:\t//p" /proc/self/status)
echo BND $(sed -n "s/^CapBnd:\t//p" /proc/self/status)
echo SECCOMP $(sed -n "s/^Seccomp:\t//p" /proc/self/status)
echo HOSTTMP $(cat '"$HOSTTMP"' 2>/dev/null || echo unreadable)
echo TMPFS $(stat -f -c %T /tmp) $(stat -c %a /tmp)
echo VARTMP $(stat -f -c %T /var/tmp)
echo RUNUSER $(stat -c "%U %a" /run/user/'"$UID_U"' 2>/dev/null || echo missing) $(ls -A /run/user | tr "\n" " ")
echo DBUS $(ls -A /run/dbus | wc -l)
echo PROCSYS $( (echo 1 >/proc/sys/kernel/ns_last_pid) 2>&1 | grep -c "Read-only" )
echo PROCSYSRO $(awk "\$5 == \"/proc/sys\" {print \$6}" /proc/self/mountinfo | cut -d, -f1)
echo SHM $(df -k --output=size /dev/shm | tail -1 | tr -d " ")
echo HIDEPID $(awk "\$5 == \"/proc\"" /proc/self/mountinfo | grep -c "hidepid=invisible")
echo UNSHARE $(unshare -U true 2>/dev/null && echo ran || echo refused)
echo FDS $(for n in $(seq 0 300); do [ -e /proc/self/fd/$n ] && printf "%s " $n; done)
'
run() { "$NSBOX_PAMRUN" "$1" $U -- sh -c "$probe"; }

for prof in plain restricted; do
	svc=nsbox-test-plain
	[ $prof = restricted ] && svc=nsbox-test-rstr
	out=$(run $svc)
	ok $? "$prof: the boxed command runs" "$out"
	printf '%s\n' "$out" >"$NSBOX_T/probe.$prof"
	note "$prof:" "$out"
done
f_plain() { sed -n "s/^$1 //p" "$NSBOX_T/probe.plain"; }
f_restricted() { sed -n "s/^$1 //p" "$NSBOX_T/probe.restricted"; }

is "$(f_plain NNP)" "0" "plain: no_new_privs is off (the probe reads it)"
is "$(f_restricted NNP)" "1" "restricted: no_new_privs is on in the user's process"
isnt "$(f_plain BND)" "0000000000000000" "plain: the bounding set is full"
is "$(f_restricted BND)" "0000000000000000" "restricted: the bounding set is empty"
is "$(f_plain SECCOMP)" "0" "plain: no seccomp filter"
is "$(f_restricted SECCOMP)" "2" "restricted: a seccomp filter is installed"
is "$(f_plain HOSTTMP)" "host-secret" "plain: the host's /tmp files are visible"
is "$(f_restricted HOSTTMP)" "unreadable" "restricted: the host's /tmp files are not"
is "$(f_restricted TMPFS)" "tmpfs 1777" "restricted: /tmp is a fresh tmpfs, mode 1777"
is "$(f_restricted VARTMP)" "tmpfs" "restricted: /var/tmp is a fresh tmpfs"
# a host without logind's /run/user gives the box none (t28-runuser.t shows both cases)
if [ -d /run/user ]; then
	is "$(f_restricted RUNUSER)" "$U 700 $UID_U" "restricted: /run/user holds only the user's own dir, 0700"
else
	is "$(f_restricted RUNUSER)" "missing" "restricted: no /run/user on the host, none in the box"
fi
isnt "$(f_plain DBUS)" "0" "plain: /run/dbus shows its contents"
is "$(f_restricted DBUS)" "0" "restricted: /run/dbus is hidden"
is "$(f_restricted PROCSYSRO)" "ro" "restricted: /proc/sys is a read-only mount"
is "$(f_restricted SHM)" "8192" "restricted: /dev/shm has the configured size"
is "$(f_restricted HIDEPID)" "1" "proc = hidepid=invisible reaches the box's /proc"
is "$(f_plain UNSHARE)" "ran" "plain: an unprivileged user namespace can be made (probe works)"
is "$(f_restricted UNSHARE)" "refused" "restricted: unshare is refused"
is "$(f_restricted FDS)" "0 1 2" "restricted: no fd of the module or helper reaches the user"
is "$(cat "$HOSTTMP")" "host-secret" "the host's /tmp file is untouched"
nsbox_check_clean "after the sessions"

# The application itself stays unrestricted (it must leave the box at close_session); its
# forked session process does not.
"$NSBOX_PAMRUN" nsbox-test-rstr $U -- sleep 60 &
APP=$!
nsbox_track_pid $APP
nsbox_wait '[ -n "$(pgrep -P $APP -u $U sleep)" ]' 10
CHILD=$(pgrep -P $APP -u $U sleep)
status_of() { grep -E "^(NoNewPrivs|Seccomp):" /proc/$1/status | tr -d "\t" | tr "\n" " "; }
is "$(status_of $APP)" "NoNewPrivs:0 Seccomp:0 " "the PAM application itself keeps no_new_privs off and no filter"
is "$(status_of $CHILD)" "NoNewPrivs:1 Seccomp:2 " "its forked session process has both"
kill $CHILD
wait $APP
is $? 143 "the session ends when its process does (killed by SIGTERM: 128 + 15)"
nsbox_check_clean "after the held session"

# A symlink in a hide path: the login is refused with one line naming the step.
mkdir -p /srv/nsbt-rstr-real
ln -sfn /srv/nsbt-rstr-real /srv/nsbt-rstr-link
LCONF=$(nsbox_conf link.conf "[defaults]
hide = /srv/nsbt-rstr-link/x")
nsbox_service nsbox-test-link "conf=$LCONF"
m=$(nsbox_log_mark)
"$NSBOX_PAMRUN" nsbox-test-link $U -- true
isnt $? 0 "a hide path through a symlink: the login is refused"
like "$(nsbox_log_since "$m")" "no box for user '$U': box init: hiding /srv/nsbt-rstr-link/x: Too many levels of symbolic links; session denied" \
	"and the log says which path"
rm -rf /srv/nsbt-rstr-link /srv/nsbt-rstr-real
nsbox_check_clean "after the refused login"

# Nested: root boxed without a profile runs the session runner again inside its box; the
# helper it starts sees the box's /proc and refuses.
ROOTCONF=$(nsbox_conf root.conf "[defaults]
hostname = outer")
nsbox_service nsbox-test-outer "conf=$ROOTCONF"
m=$(nsbox_log_mark)
out=$("$NSBOX_PAMRUN" nsbox-test-outer root -- "$NSBOX_PAMRUN" nsbox-test-plain $U -- true 2>&1)
rc=$?
isnt $rc 0 "a login from inside a box is refused"
like "$(nsbox_log_since "$m")" "no box for user '$U': a login from inside a box is not boxed again; session denied" \
	"with one clear line"
nsbox_check_clean "after the nested attempt"
umount /run/dbus
[ "$made_run_dbus" = 1 ] && rmdir /run/dbus
done_testing
