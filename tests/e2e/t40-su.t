#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# util-linux su and su -l with pam_nsbox (test copies of their PAM files bind-mounted over the
# stock ones inside this test's private mount namespace only).
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

U=nsbt-su
nsbox_add_user $U
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = su-%u")
stack="auth     sufficient pam_rootok.so
account  required   pam_permit.so
session  required   pam_permit.so
session  required   $NSBOX_MODULE helper=$NSBOX_HELPER conf=$CONF"
nsbox_pam_bind_over su "$stack"
nsbox_pam_bind_over su-l "@include su"
probe='echo NET $(readlink /proc/self/ns/net) PID $(readlink /proc/self/ns/pid) HOST $(hostname) ID $NSBOX_ID PWD $(pwd) WHO $(id -un)'
host_net=$(readlink /proc/self/ns/net)
host_pid=$(readlink /proc/self/ns/pid)

cd /tmp
out=$(su $U -c "$probe" </dev/null 2>&1)
ok $? "su runs the command" "$out"
like "$out" "WHO $U" "su: runs as the user"
unlike "$out" "NET $(re "$host_net")" "su: command is in the box's network namespace"
unlike "$out" "PID $(re "$host_pid")" "su: command is in the box's pid namespace"
like "$out" "HOST su-$U" "su: hostname from the template"
like "$out" "ID [0-9a-f]{8}" "su: NSBOX_ID set"
like "$out" "PWD /tmp" "su: keeps the working directory"
nsbox_check_clean "su"

m=$(nsbox_log_mark)
out=$(su -l $U -c "$probe" </dev/null 2>&1)
ok $? "su -l runs the command" "$out"
unlike "$out" "NET $(re "$host_net")" "su -l: in the box"
like "$out" "PWD /home/$U" "su -l: starts in the home directory"
nsbox_wait "nsbox_log_since $m | grep -q 'ended:'" 5
is "$(nsbox_log_since "$m" | grep -c 'started: user=')" 1 "su -l (which includes su) builds one box"
nsbox_check_clean "su -l"

# su run by an ordinary user (pam_permit stands in for the password): the helper must not keep
# the invoker's real uid, environment or limits, and the invoker cannot signal it
INV=nsbt-suinv
nsbox_add_user $INV
nsbox_pam_bind_over su "auth     sufficient pam_permit.so
account  required   pam_permit.so
session  required   $NSBOX_MODULE helper=$NSBOX_HELPER conf=$CONF"
(ulimit -c unlimited && ulimit -n 64 && exec setpriv --reuid=$INV --regid=$INV --clear-groups env -i LD_PRELOAD=/nonexistent.so FOO=bar \
	su $U -c 'sleep 3' </dev/null >/dev/null 2>&1) &
sp=$!
nsbox_wait '[ -n "$(nsbox_records)" ] && grep -q "^init=[1-9]" /run/nsbox/boxes/$(nsbox_records | head -1)/record' 5
ID=$(nsbox_records | head -1)
SUP=$(sed -n 's/^supervisor=//p' /run/nsbox/boxes/$ID/record)
ok $([ -n "$SUP" ]; echo $?) "su by an ordinary user opens a box (supervisor $SUP)"
is "$(awk '/^Uid:/ {print $2, $3, $4, $5}' /proc/$SUP/status)" "0 0 0 0" "helper under su: all uids are root"
is "$(awk '/^Gid:/ {print $2, $3, $4, $5}' /proc/$SUP/status)" "0 0 0 0" "helper under su: all gids are root"
is "$(awk '/^Groups:/ {print $2}' /proc/$SUP/status)" "" "helper under su: no supplementary groups"
is "$(tr '\0' '\n' </proc/$SUP/environ | wc -c)" 0 "helper under su: empty environment"
is "$(grep -c . /proc/$SUP/environ)" 0 "helper under su: no LD_PRELOAD or anything else inherited"
# (and its own box directory, whose flock says it lives: lib/record.c)
is "$(for f in /proc/$SUP/fd/*; do readlink "$f"; done | grep '^/' | grep -vx -e /dev/null -e "/run/nsbox/boxes/$ID")" "" \
	"helper under su: holds no file or directory of the invoker's (only /dev/null, its box directory, sockets, pidfds)"
# (raising a limit the invoker lowered needs CAP_SYS_RESOURCE, which root lacks on some
# sandboxed machines; lowering always works, so the core-dump limit is the one to check)
is "$(awk '/^Max core file size/ {print $5, $6}' /proc/$SUP/limits)" "0 0" "helper under su: no core dumps, whatever the invoker allowed"
setpriv --reuid=$INV --regid=$INV --clear-groups kill -TERM "$SUP" 2>/dev/null
isnt $? 0 "the invoking user cannot signal the helper"
ok $(nsbox_alive "$SUP"; echo $?) "the helper survived the attempt"
wait $sp
nsbox_check_clean "su by an ordinary user"

# a failed box: the shell does not start
BAD=$(nsbox_conf bad.conf "[match colour=red]")
nsbox_pam_bind_over su "auth sufficient pam_rootok.so
account required pam_permit.so
session required $NSBOX_MODULE helper=$NSBOX_HELPER conf=$BAD"
m=$(nsbox_log_mark)
out=$(su $U -c "echo SHOULD-NOT-RUN" </dev/null 2>&1)
isnt $? 0 "su with a failed box fails"
unlike "$out" "SHOULD-NOT-RUN" "su with a failed box: the command did not run"
like "$(nsbox_log_since "$m")" "pam_nsbox\(su:session\): no box for user '$U': bad config" "su: the module logs why"
nsbox_check_clean "su failed box"
