#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The records' garbage collection runs after a login has its answer, never before: a record of a
# dead supervisor (a full one and a half-built .new-ID one) goes soon after the next login; one
# whose supervisor lives, or whose liveness cannot be told, stays; a login with a group= rule
# still gets the box its group picks, and one without needs no group lookup to succeed.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

U=nsbt-gc
nsbox_add_group nsbt-gcgrp
nsbox_add_user $U nsbt-gcgrp
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-plain")
GCONF=$(nsbox_conf group.conf "[defaults]
hostname = %u-plain
[match group=nsbt-gcgrp]
hostname = %u-grp")
nsbox_service nsbox-test-gc "conf=$CONF"
nsbox_service nsbox-test-gcg "conf=$GCONF"
B=/run/nsbox/boxes

# a first login makes the boxes directory; its own gc stamp counts from now
is "$("$NSBOX_PAMRUN" nsbox-test-gc $U -- hostname)" "$U-plain" "a login without group rules gets its box"
nsbox_check_clean "first login"

# planted records: a dead supervisor (pid beyond pid_max), a half-built one of a dead helper,
# and one naming this shell with its real start time (alive)
start=$(awk '{print $22}' /proc/$$/stat)
# box directories are root-owned 0700, as the helper makes them (others are never read)
mkdir -p -m 0700 $B/0dead000 $B/.new-0dead001 $B/0a11fe00
printf 'supervisor=2147483632\nsupervisor_start=1\n' >$B/0dead000/record
printf 'supervisor=2147483632\nsupervisor_start=1\n' >$B/.new-0dead001/record
printf 'supervisor=%s\nsupervisor_start=%s\n' $$ "$start" >$B/0a11fe00/record
# the gc is skipped while the last one started less than 10x its own duration ago: make the
# stamp say it ran long ago, so that this test does not depend on how fast the first one was
touch -d '-10 seconds' $B/.gc
m=$(nsbox_log_mark)
is "$("$NSBOX_PAMRUN" nsbox-test-gcg $U -- hostname)" "$U-grp" "a group= rule still matches the user's group"
nsbox_wait '[ ! -e $B/0dead000 ] && [ ! -e $B/.new-0dead001 ]' 5
ok $([ ! -e $B/0dead000 ]; echo $?) "after the login: the dead supervisor's record is gone"
ok $([ ! -e $B/.new-0dead001 ]; echo $?) "after the login: the half-built one is gone"
ok $([ -e $B/0a11fe00/record ]; echo $?) "the record of a live supervisor stays"
unlike "$(nsbox_log_since "$m")" "collecting the records" "no gc warning"
rm -rf $B/0a11fe00
nsbox_check_clean "gc after the reply"

done_testing
