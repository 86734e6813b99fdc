#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A cron job of a boxed user runs boxed too, with the restricted policy, when pam_nsbox is in
# cron's PAM service: Debian's cron opens a PAM session in the per-job child and forks the job
# from it. A real cron daemon runs in this test's private mount namespace only, with a test copy
# of /etc/pam.d/cron bound over the stock one, private spool, /etc/crontab and /etc/cron.d (so
# none of the host's system jobs run here) and its own /run for the pid file. An exempt user's
# job, run by the same daemon in the same minute, shows the probe sees the host's namespaces.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
nsbox_require_cmd cron
. "$(dirname "$0")/common.sh"

# Private /run first (cron's pid file; a host cron may hold its lock), then /run/nsbox on it.
mount -t tmpfs -o mode=0755 nsbt-cron-run /run || nsbox_die "harness: private /run"
nsbox_private_state
mount -t tmpfs -o mode=1730,nosuid,nodev,size=1m nsbt-cron-spool /var/spool/cron/crontabs &&
	chgrp crontab /var/spool/cron/crontabs ||
	nsbox_die "harness: private cron spool"
mount -t tmpfs -o mode=0755,size=1m nsbt-cron-d /etc/cron.d || nsbox_die "harness: empty /etc/cron.d"
: >"$NSBOX_T/crontab"
mount --bind "$NSBOX_T/crontab" /etc/crontab || nsbox_die "harness: empty /etc/crontab"

U=nsbt-cron
UX=nsbt-cronx
nsbox_add_user $U
nsbox_add_user $UX
CONF=$(nsbox_conf nsbox.conf "[defaults]
profile = restricted
hostname = cron-%u

[match user=$UX]
exempt = yes")
nsbox_pam_bind_over cron "auth     required pam_permit.so
account  required pam_permit.so
session  required pam_permit.so
session  required $NSBOX_MODULE helper=$NSBOX_HELPER conf=$CONF"

probe='echo NS $(readlink /proc/self/ns/pid) $(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/net) INIT $(cat /proc/1/comm) NNP $(sed -n "s/^NoNewPrivs:\t//p" /proc/self/status) HOST $(hostname)'
for u in $U $UX; do
	printf '%s\n' "* * * * * $probe >\$HOME/cron.out 2>&1" >/var/spool/cron/crontabs/$u
	chown $u:crontab /var/spool/cron/crontabs/$u
	chmod 0600 /var/spool/cron/crontabs/$u
done
host_ns="$(readlink /proc/self/ns/pid) $(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/net)"

m=$(nsbox_log_mark)
cron -f -L 15 >"$NSBOX_T/cron.log" 2>&1 &
CRON=$!
nsbox_track_pid $CRON
# cron runs jobs at the next full minute
nsbox_wait "[ -s /home/$U/cron.out ] && [ -s /home/$UX/cron.out ]" 75
ok $? "both users' cron jobs ran within 75 s" "$(cat "$NSBOX_T/cron.log")"
boxed=$(cat /home/$U/cron.out)
plain=$(cat /home/$UX/cron.out)
note "boxed: $boxed" "exempt: $plain" "test: $host_ns"
nsof() { printf '%s\n' "$1" | sed -n 's/^NS \(.*\) INIT .*/\1/p'; }
is "$(nsof "$plain")" "$host_ns" "probe: the exempt user's job runs in the host's namespaces"
like "$plain" "NNP 0 " "probe: without a box the job has no no_new_privs"
like "$boxed" "^NS pid:\[[0-9]+\] mnt:\[[0-9]+\] net:\[[0-9]+\] INIT nsbox-init " "the boxed user's job runs under a box init"
set -- $(nsof "$boxed")
isnt "$1" "$(readlink /proc/self/ns/pid)" "in a pid namespace of its own"
isnt "$2" "$(readlink /proc/self/ns/mnt)" "a mount namespace of its own"
isnt "$3" "$(readlink /proc/self/ns/net)" "and a network namespace of its own"
like "$boxed" "NNP 1 HOST cron-$U$" "with the restricted policy (no_new_privs) and the box's hostname"
like "$(nsbox_log_since "$m")" "box=[0-9a-f]{8} started: user='$U' service='cron'" \
	"the helper logged the box under cron's PAM service"
kill $CRON
wait $CRON 2>/dev/null
nsbox_check_clean "after cron"
done_testing
