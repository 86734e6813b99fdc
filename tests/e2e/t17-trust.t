#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The whole path is trusted, not only the file and its directory: a config
# or a helper below a directory (an ancestor, not the parent) that is group- or other-writable
# or owned by another user is refused with one clear line; the same path with the right modes
# works. The helper that runs is the file that was checked (execveat of the checked fd), and a
# symlinked helper is refused.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

U=nsbt-trust
O=nsbt-trusto # owns a directory on the way
nsbox_add_user $U
nsbox_add_user $O

pt() { pamtester -v "$@" 2>&1; }
works() { # desc service
	local out
	out=$(pt "$2" $U open_session close_session)
	ok $? "$1: the session opens" "$out"
	nsbox_check_clean "$1"
}
deny() { # desc service regex
	local m out rc lines
	m=$(nsbox_log_mark)
	out=$(pt "$2" $U open_session close_session)
	rc=$?
	isnt "$rc" 0 "$1: session refused"
	lines=$(nsbox_log_since "$m" | grep 'pam_nsbox' || true)
	like "$lines" "$3" "$1: the line names the directory and why"
	is "$(printf '%s\n' "$lines" | grep -c 'pam_nsbox')" 1 "$1: one module log line"
	nsbox_check_clean "$1"
}

# ---- the config: $NSBOX_T/c/a/b/nsbox.conf, with a (the grandparent) going wrong ----
mkdir -p -m 0755 "$NSBOX_T/c/a/b"
CONF=$NSBOX_T/c/a/b/nsbox.conf
printf '[defaults]\nhostname = trust\n' >"$CONF"
chmod 0644 "$CONF"
nsbox_service nsbox-test-trustc "conf=$CONF"
works "config, every directory root's and 0755" nsbox-test-trustc

chmod 0775 "$NSBOX_T/c/a"
deny "config below a group-writable grandparent" nsbox-test-trustc \
	"no box for user '$U': bad config: $(re "$CONF"): directory '$(re "$NSBOX_T/c/a")' is writable by group or others; session denied"
chmod 0757 "$NSBOX_T/c/a"
deny "config below an other-writable grandparent" nsbox-test-trustc \
	"bad config: $(re "$CONF"): directory '$(re "$NSBOX_T/c/a")' is writable by group or others"
chmod 0755 "$NSBOX_T/c/a"
chown $O "$NSBOX_T/c"
deny "config below a directory owned by $O" nsbox-test-trustc \
	"bad config: $(re "$CONF"): directory '$(re "$NSBOX_T/c")' is not owned by root; session denied"
chown root "$NSBOX_T/c"
works "config, modes fixed again" nsbox-test-trustc

# A root-owned sticky directory (like /tmp, where a checkout may live) is passed towards an entry
# root owns, which nobody else may rename or remove there; an entry another user owns is refused.
chmod 1777 "$NSBOX_T/c/a"
works "config below a root-owned sticky 1777 grandparent, root's entries" nsbox-test-trustc
chown $O "$NSBOX_T/c/a/b"
deny "config below a sticky directory, through an entry owned by $O" nsbox-test-trustc \
	"bad config: $(re "$CONF"): directory '$(re "$NSBOX_T/c/a/b")' is not owned by root, in a directory others may write; session denied"
chown root "$NSBOX_T/c/a/b"
mv "$NSBOX_T/c/a/b" "$NSBOX_T/c/a/real"
ln -s real "$NSBOX_T/c/a/b"
chown -h $O "$NSBOX_T/c/a/b"
deny "config through a symlink owned by $O in a sticky directory" nsbox-test-trustc \
	"bad config: $(re "$CONF"): directory '$(re "$NSBOX_T/c/a/b")' is not owned by root, in a directory others may write"
rm "$NSBOX_T/c/a/b"
mv "$NSBOX_T/c/a/real" "$NSBOX_T/c/a/b"
chown $O "$NSBOX_T/c/a"
deny "config below a sticky directory $O owns" nsbox-test-trustc \
	"bad config: $(re "$CONF"): directory '$(re "$NSBOX_T/c/a")' is not owned by root; session denied"
chown root "$NSBOX_T/c/a"
chmod 0755 "$NSBOX_T/c/a"
works "config, modes fixed once more" nsbox-test-trustc

# an included file is checked the same way
mkdir -p -m 0755 "$NSBOX_T/inc/d"
printf '[match user=nobody]\nhostname = x\n' >"$NSBOX_T/inc/d/x.conf"
chmod 0644 "$NSBOX_T/inc/d/x.conf"
INC=$(nsbox_conf inc.conf "[defaults]
include = $NSBOX_T/inc/d/*.conf")
nsbox_service nsbox-test-trusti "conf=$INC"
works "include, every directory root's" nsbox-test-trusti
chmod 0775 "$NSBOX_T/inc"
deny "include below a group-writable grandparent" nsbox-test-trusti \
	"directory '$(re "$NSBOX_T/inc")' is writable by group or others; session denied"
chmod 0755 "$NSBOX_T/inc"

# ---- the helper: $NSBOX_T/h/x/nsbox-helper ----
OK_CONF=$(nsbox_conf ok.conf "[defaults]
hostname = trust")
mkdir -p -m 0755 "$NSBOX_T/h/x"
H=$NSBOX_T/h/x/nsbox-helper
cp "$NSBOX_HELPER" "$H" && chmod 0755 "$H"
nsbox_pam_service nsbox-test-trusth "account required pam_permit.so
session required $NSBOX_MODULE helper=$H conf=$OK_CONF"
works "helper, every directory root's and 0755" nsbox-test-trusth

chmod 0775 "$NSBOX_T/h"
deny "helper below a group-writable grandparent" nsbox-test-trusth \
	"no box for user '$U': helper's directory '$(re "$NSBOX_T/h")' is writable by group or others: Operation not permitted; session denied"
chmod 0755 "$NSBOX_T/h"
chown $O "$NSBOX_T/h"
deny "helper below a directory owned by $O" nsbox-test-trusth \
	"helper's directory '$(re "$NSBOX_T/h")' is not owned by root"
chown root "$NSBOX_T/h"
works "helper, modes fixed again" nsbox-test-trusth

ln -s "$H" "$NSBOX_T/h/link"
nsbox_pam_service nsbox-test-trustl "account required pam_permit.so
session required $NSBOX_MODULE helper=$NSBOX_T/h/link conf=$OK_CONF"
deny "symlinked helper" nsbox-test-trustl "no box for user '$U': helper is a symlink"
