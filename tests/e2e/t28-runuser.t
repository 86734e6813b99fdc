#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# runtime_dir = private changes nothing on the host's /run: the box covers
# /run/user with a tmpfs of its own and makes the user's directory there; the host's /run/user
# keeps its mode and content, and a host without one (no logind) does not get one. The test runs
# on a /run of its own (a tmpfs over /run in this test's mount namespace), so it decides what
# the "host's" /run holds.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
mount -t tmpfs -o mode=0755,nosuid,nodev nsbt-run /run || nsbox_die "harness: tmpfs on /run"
nsbox_private_state

U=nsbt-runu
nsbox_add_user $U
UIDN=$(id -u $U)
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box
profile = restricted")
SVC=nsbox-test-runu
nsbox_service $SVC "conf=$CONF"
probe='echo RUNUSER $(stat -c "%U %a" /run/user/$(id -u) 2>/dev/null || echo missing) $(ls -A /run/user 2>/dev/null | tr "\n" " ")'

# ---- a host without /run/user ----
out=$("$NSBOX_PAMRUN" $SVC $U -- sh -c "$probe" 2>&1)
ok $? "login without a host /run/user" "$out"
is "$out" "RUNUSER missing" "the box has no /run/user either"
ok $([ ! -e /run/user ]; echo $?) "and nothing was made in the host's /run" "$(ls -la /run)"
nsbox_check_clean "no /run/user"

# ---- the host's /run/user, with a mode of its own and another user's directory ----
rm -rf /run/user && mkdir -m 0711 /run/user && mkdir -m 0700 /run/user/4242 || nsbox_die "harness: /run/user"
out=$("$NSBOX_PAMRUN" $SVC $U -- sh -c "$probe" 2>&1)
ok $? "login with a host /run/user" "$out"
is "$out" "RUNUSER $U 700 $UIDN" "the box's /run/user holds only the user's own directory, 0700"
is "$(stat -c %a /run/user)" 711 "the host's /run/user keeps its mode"
is "$(ls -A /run/user | tr '\n' ' ')" "4242 " "and its content: no directory of the user's made there"
nsbox_check_clean "host /run/user"
