#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A login that joins a shared box falls back by its own service's on_error, never by the first
# login's. The digest that decides which logins share a box leaves on_error out (it shapes no
# box), so a login through a service whose module says on_error=allow and one through a service
# that says nothing (deny) share one box; the box answers each member's module. When joining then
# fails in the module (here: a chrooted application, which setns would take out of its chroot),
# the deny login must be refused, not let in unboxed because the first login allowed it. The
# probe: the same failing join through the allow service does go on unboxed.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state
nsbox_require_cmd chroot "$NSBOX_PAMRUN"

U=nsbt-soe
nsbox_add_user $U
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = box-%u
share = user")
DENY=nsbox-test-soedeny
ALLOW=nsbox-test-soeallow
nsbox_service $DENY "conf=$CONF"
nsbox_service $ALLOW "conf=$CONF on_error=allow"

# the application's chroot: all of / under a tmpfs of this test's mount namespace (as t48)
mount -t tmpfs -o mode=0755 nsbt-soe-chroots /mnt || nsbox_die "cannot mount a tmpfs on /mnt"
JAIL=/mnt/jail
mkdir -m 0755 $JAIL
mount --rbind / $JAIL || nsbox_die "cannot bind / at $JAIL"
mount --make-rslave $JAIL

# the first login, through the allow service, holds the shared box
S=$NSBOX_T/s
mkdir -m 1777 "$S"
"$NSBOX_PAMRUN" $ALLOW $U -- sh -c "echo \$NSBOX_ID >$S/id.tmp; mv $S/id.tmp $S/id
	while [ ! -e $S/go ]; do sleep 0.05; done" >"$NSBOX_T/first" 2>&1 &
FIRST=$!
nsbox_track_pid $FIRST
nsbox_wait "[ -s $S/id ]" 30
ok $? "the first login (on_error=allow) holds a shared box" "$(cat "$NSBOX_T/first")"
ID=$(cat "$S/id")
members() { sed -n 's/^members=//p' "/run/nsbox/boxes/$ID/record"; }

# the second login, through the deny service, from a chroot: it joins, its module cannot enter
m=$(nsbox_log_mark)
out=$(chroot $JAIL "$NSBOX_PAMRUN" $DENY $U -- sh -c 'echo RAN $NSBOX_ID' 2>&1)
rc=$?
is "$rc" 126 "a joined login whose join fails is refused: its own service says deny" "$out"
unlike "$out" "RAN" "its command did not run"
nsbox_wait 'nsbox_log_since "$m" | grep -q "box=$ID .*joined"' 10
ok $? "it had joined the shared box (the box answered its module)" "$(nsbox_log_since "$m")"
like "$(nsbox_log_since "$m" | grep "pam_nsbox($DENY:session)")" \
	"no box for user '$U': application is chrooted .*; session denied \(ref [0-9a-f]{8}\)$" \
	"the module says why and that it denied, in one line"
unlike "$(nsbox_log_since "$m")" "continuing unboxed" "never continued unboxed"
nsbox_wait '[ "$(members)" = 1 ]' 10
ok $? "the refused login left the box: one member again" "members=$(members)"

# the probe: the same failing join through the allow service goes on unboxed, as it says
m=$(nsbox_log_mark)
out=$(chroot $JAIL "$NSBOX_PAMRUN" $ALLOW $U -- sh -c 'echo RAN ${NSBOX_ID:-unboxed}' 2>&1)
is "$?" 0 "probe: through the allow service the failing join goes on" "$out"
like "$out" "RAN unboxed" "probe: unboxed (its own on_error=allow)"
like "$(nsbox_log_since "$m")" "continuing unboxed \(on_error=allow\)" "probe: and says so"

touch "$S/go"
wait $FIRST
nsbox_check_clean "after the last logout"
