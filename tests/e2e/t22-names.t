#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# hostname = %u-box for user names a host name cannot hold: a Debian name with
# '_', an SSSD fully-qualified name, a machine account's '$', a winbind DOMAIN\user. Each login
# gets a box whose host name is the user name mapped to what a host name holds, with a short
# hash (conf/match.c; the exact mapping is unit-tested in test_conf): valid, one label, apart
# from every other, and the same in the record and the log. None of them is refused.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box")
SVC=nsbox-test-names
nsbox_service $SVC "conf=$CONF"

nsbox_add_user nsbt-a_b
nsbox_add_user nsbt-a-b
nsbox_add_user_badname 'nsbt-x@ad.example'
nsbox_add_user_badname 'nsbt-m$'
nsbox_add_user_badname 'nsbt-DOM\w'
# USER|the host name it must get (an ERE)
CASES='nsbt-a_b|nsbt-a-b-[0-9a-f]{6}-box
nsbt-a-b|nsbt-a-b-box
nsbt-x@ad.example|nsbt-x-ad-example-[0-9a-f]{6}-box
nsbt-m$|nsbt-m-[0-9a-f]{6}-box
nsbt-DOM\w|nsbt-DOM-w-[0-9a-f]{6}-box'

declare -A NAME
while IFS='|' read -r u want; do
	m=$(nsbox_log_mark)
	out=$("$NSBOX_PAMRUN" $SVC "$u" -- sh -c 'echo HOST $(hostname); echo ID $NSBOX_ID; echo WHO $(id -un)' 2>&1)
	ok $? "user '$u': the login is boxed, not refused" "$out"
	h=$(printf '%s\n' "$out" | sed -n 's/^HOST //p')
	is "$(printf '%s\n' "$out" | sed -n 's/^WHO //p')" "$u" "user '$u': the session runs as that user"
	like "$h" "^$want\$" "user '$u': the box's host name is '$h'"
	like "$(nsbox_log_since "$m")" "box=[0-9a-f]{8} started: user='$(re "$u")' .* hostname='$(re "$h")'" \
		"user '$u': the log's start line names it"
	NAME[$u]=$h
done <<<"$CASES"
is "$(printf '%s\n' "${NAME[@]}" | sort -u | wc -l)" 5 "five users, five host names: ${NAME[*]}"
nsbox_check_clean "user names"
