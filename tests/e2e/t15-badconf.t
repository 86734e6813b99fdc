#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Every malformed config in tests/data/bad denies a real login (pamtester) with one log line that
# carries the expected error, and leaves nothing behind.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

U=nsbt-bad
nsbox_add_user $U
mkdir -m 0755 "$NSBOX_T/bad"
n=0
for f in "$NSBOX_TOP"/tests/data/bad/*.conf; do
	name=$(basename "$f" .conf)
	conf="$NSBOX_T/bad/$name.conf"
	cp "$f" "$conf"
	chmod 0644 "$conf"
	want=$(sed "s|FILE|$conf|g" "${f%.conf}.err")
	svc=nsbox-test-bad
	nsbox_service $svc "conf=$conf"
	m=$(nsbox_log_mark)
	out=$(pamtester $svc $U open_session close_session 2>&1)
	rc=$?
	lines=$(nsbox_log_since "$m" | grep 'pam_nsbox')
	if [ $rc -ne 0 ] && [ "$(printf '%s\n' "$lines" | grep -c .)" -eq 1 ] &&
		printf '%s\n' "$lines" | grep -qF "no box for user '$U': bad config: $want; session denied"; then
		pass "$name: denied with '$want'"
	else
		fail "$name: denied with '$want'" "rc=$rc" "$out" "$lines"
	fi
	n=$((n + 1))
done
ok $([ "$n" -ge 40 ]; echo $?) "ran $n bad configs"
nsbox_check_clean "all bad configs"
