#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The session's working directory is restored by identity, not by path.
# The module saves the application's working directory (under su: the invoker's), joins the box,
# then goes back into it, as root. A user who swaps a component of that path for a symlink in
# between would land the session in a directory behind another user's 0700 home. The swap is
# made deterministic by tests/swapcwd.c, preloaded into the su-like session runner: it renames
# the directory aside and plants the symlink right before the module's setns into the box.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

SHIM=$NSBOX_BUILD/tests/libswapcwd.so
[ -f "$SHIM" ] || nsbox_die "missing $SHIM (make tests)"
A=nsbt-cwa # swaps its own directory
V=nsbt-cwv # has a directory behind a 0700 home
nsbox_add_user $A
nsbox_add_user $V
VH=$(getent passwd $V | cut -d: -f6)
AH=$(getent passwd $A | cut -d: -f6)
chmod 0700 "$VH"
install -d -m 0755 -o $V -g $V "$VH/inner"
echo victim-secret >"$VH/inner/secret"
chown $V:$V "$VH/inner/secret"
chmod 0644 "$VH/inner/secret"
install -d -m 0755 -o $A -g $A "$AH/work" "$AH/work/d"
D=$AH/work/d

CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = cwd-%u")
nsbox_service nsbox-test-cwd "conf=$CONF"
probe='echo "PWD $(pwd -P) ID ${NSBOX_ID:-none}"; cat secret 2>/dev/null || echo no-secret'

is "$(su -s /bin/sh $A -c "cat '$VH/inner/secret'" 2>/dev/null || echo denied)" denied \
	"baseline: $A cannot reach $V's directory through the 0700 home"

# 1. nothing swapped: the session starts where the application was
out=$(cd "$D" && "$NSBOX_PAMRUN" nsbox-test-cwd $A -- sh -c "$probe" 2>&1)
like "$out" "^PWD $(re "$D") ID [0-9a-f]{8}" "no swap: boxed, in the same directory"
nsbox_check_clean "no swap"

# 2. the path's last component swapped for a symlink into the victim's home at the setns
m=$(nsbox_log_mark)
out=$(cd "$D" && LD_PRELOAD=$SHIM NSBT_SWAP_DIR=$D NSBT_SWAP_TO=$VH/inner \
	"$NSBOX_PAMRUN" nsbox-test-cwd $A -- sh -c "$probe" 2>&1)
rc=$?
ok $([ -L "$D" ] && [ "$(readlink "$D")" = "$VH/inner" ]; echo $?) \
	"the swap happened (the path is now a symlink into $V's home)"
is "$(cd "$D" && pwd -P)" "$VH/inner" "the probe works: as root, the path now leads to $V's directory"
is "$rc" 0 "swapped: the session still runs"
like "$out" "ID [0-9a-f]{8}" "swapped: the session is boxed"
unlike "$out" "PWD $(re "$VH")" "swapped: the session is not in $V's directory"
like "$out" "^PWD / " "swapped: the session starts in / instead"
unlike "$out" "victim-secret" "swapped: the session cannot read $V's file through its cwd"
is "$(nsbox_log_since "$m" | grep -c 'pam_nsbox.*\(error\|denied\)')" 0 "swapped: no error logged"
nsbox_check_clean "swapped"
rm -f "$D" && mv "$D.orig" "$D"

# 3. the directory swapped for another real one (same path, no symlink, another inode)
out=$(cd "$D" && LD_PRELOAD=$SHIM NSBT_SWAP_DIR=$D NSBT_SWAP_TO= \
	"$NSBOX_PAMRUN" nsbox-test-cwd $A -- sh -c "$probe" 2>&1)
ok $([ -d "$D" ] && [ ! -L "$D" ] && [ -d "$D.orig" ]; echo $?) "the directory was replaced by a new one"
like "$out" "^PWD / ID [0-9a-f]{8}" "replaced directory: the session starts in /, not in the new one"
nsbox_check_clean "replaced directory"
