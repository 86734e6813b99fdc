#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# login(1) (shadow's on Debian 12, util-linux's on Debian 13), as the foreground process group
# of a pty from tests/pty-run (util-linux's login stops on SIGTTOU under script(1)), with
# pam_nsbox in a test copy of /etc/pam.d/login bind-mounted over the stock one inside this
# test's private mount namespace.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state
nsbox_require_cmd login "$NSBOX_PTYRUN"

U=nsbt-login
nsbox_add_user $U
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = tty-%u")
nsbox_pam_bind_over login "auth     sufficient pam_rootok.so
account  required   pam_permit.so
session  required   pam_permit.so
session  required   $NSBOX_MODULE helper=$NSBOX_HELPER conf=$CONF"
host_net=$(readlink /proc/self/ns/net)

# The shell's answers carry a computed marker, so the pty's echo of the input never matches.
# The input is sent once the shell's prompt (user@hostname) shows, so the shell, not login,
# reads it; terminal escapes are stripped.
clean() { sed 's/\x1b\][^\x07]*\x07//g; s/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g'; }
out=$(printf 'echo "R$((6*7)) NET $(readlink /proc/self/ns/net) HOST $(hostname) ID $NSBOX_ID TTY $(tty) INIT $(cat /proc/1/comm)"\nexit\n' |
	timeout 20 "$NSBOX_PTYRUN" -e "$U@tty-$U:" login -f $U 2>&1 | clean)
line=$(printf '%s\n' "$out" | grep -o 'R42 .*')
like "$line" "^R42 NET net:\[[0-9]+\] " "login: the shell ran"
unlike "$line" "NET $(re "$host_net") " "login: the shell is in the box's network namespace"
like "$line" "HOST tty-$U " "login: hostname from the template"
like "$line" "ID [0-9a-f]{8} " "login: NSBOX_ID set"
like "$line" "TTY /dev/pts/[0-9]+ " "login: the shell has its terminal"
like "$line" "INIT nsbox-init$" "login: PID 1 is the box init"
nsbox_check_clean "login"

BAD=$(nsbox_conf bad.conf "[defaults]
hostname = -bad")
nsbox_pam_bind_over login "auth sufficient pam_rootok.so
account required pam_permit.so
session required $NSBOX_MODULE helper=$NSBOX_HELPER conf=$BAD"
m=$(nsbox_log_mark)
out=$(printf 'echo "R$((6*7))"\nexit\n' | timeout 20 "$NSBOX_PTYRUN" -e "$U@" login -f $U 2>&1 | clean)
unlike "$out" "R42" "login with a failed box: no shell"
like "$(nsbox_log_since "$m")" "pam_nsbox\(login:session\): no box for user '$U': bad config" "login: the module logs why"
nsbox_check_clean "login failed box"
