#!/bin/bash
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
unlike "$out" "NET $host_net" "su: command is in the box's network namespace"
unlike "$out" "PID $host_pid" "su: command is in the box's pid namespace"
like "$out" "HOST su-$U" "su: hostname from the template"
like "$out" "ID [0-9a-f]{8}" "su: NSBOX_ID set"
like "$out" "PWD /tmp" "su: keeps the working directory"
nsbox_check_clean "su"

m=$(nsbox_log_mark)
out=$(su -l $U -c "$probe" </dev/null 2>&1)
ok $? "su -l runs the command" "$out"
unlike "$out" "NET $host_net" "su -l: in the box"
like "$out" "PWD /home/$U" "su -l: starts in the home directory"
nsbox_wait "nsbox_log_since $m | grep -q 'ended:'" 5
is "$(nsbox_log_since "$m" | grep -c 'started for user')" 1 "su -l (which includes su) builds one box"
nsbox_check_clean "su -l"

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
