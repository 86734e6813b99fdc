#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Logout runs on the host. PAM closes a session's modules in stack order, so
# with pam_nsbox last every module above it closes while the application is still boxed. A
# `session optional pam_nsbox.so leave` line first in the stack puts the application back into
# its own namespaces, with the fork guard off, before any of them: a pam_exec close hook then runs
# in the host's namespaces with full capabilities. The same hook without the leave line runs in
# the box under the policy (or, under the hold, cannot run at all): that is what the line fixes.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

U=nsbt-leave
nsbox_add_user $U
CONF=$(nsbox_conf restricted.conf "[defaults]
profile = restricted")
# where the hook writes, from the host or from a restricted box alike ($NSBOX_T is in /var/lib)
OUTD=$NSBOX_T/out
mkdir -p "$OUTD"
HOOK=$NSBOX_T/close-hook
cat >"$HOOK" <<EOF
#!/bin/sh
{ echo "HOOK NET=\$(readlink /proc/self/ns/net) MNT=\$(readlink /proc/self/ns/mnt) UTS=\$(readlink /proc/self/ns/uts) NNP=\$(sed -n 's/^NoNewPrivs:\t//p' /proc/self/status) SECCOMP=\$(sed -n 's/^Seccomp:\t//p' /proc/self/status) BND=\$(sed -n 's/^CapBnd:\t//p' /proc/self/status)"; } >"$OUTD/\$1" 2>&1
EOF
chmod 0755 "$HOOK"
chmod 0755 "$NSBOX_T"

stack() { # $1: with or without the leave line
	local leave=""
	[ "$1" = with ] && leave="session optional $NSBOX_MODULE helper=$NSBOX_HELPER leave"
	nsbox_pam_service nsbox-test-leave "auth     required pam_permit.so
account  required pam_permit.so
$leave
session  optional pam_exec.so type=close_session $HOOK $1
session  required $NSBOX_MODULE helper=$NSBOX_HELPER conf=$CONF"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$OUTD/$2" 2>/dev/null; }
HOST_NET=$(readlink /proc/self/ns/net)
HOST_MNT=$(readlink /proc/self/ns/mnt)
HOST_BND=$(sed -n 's/^CapBnd:\t//p' /proc/self/status)

for how in without with; do
	stack $how
	m=$(nsbox_log_mark)
	out=$("$NSBOX_PAMRUN" nsbox-test-leave $U -- sh -c 'echo BOX $(readlink /proc/self/ns/net)' 2>&1)
	ok $? "$how the leave line: the session runs" "$out"
	boxnet=$(sed -n 's/^BOX //p' <<<"$out")
	isnt "$boxnet" "$HOST_NET" "$how the leave line: the session was boxed"
	note "$how: $(cat "$OUTD/$how" 2>/dev/null || echo 'the hook did not run')"
	if [ $how = without ]; then
		# the hook is forked while the guard is armed: into the box, under the policy
		is "$(field NET $how)" "$boxnet" "without: the close hook ran in the box's network namespace"
		is "$(field NNP $how) $(field BND $how)" "1 0000000000000000" \
			"without: the close hook ran with no_new_privs and no capabilities"
	else
		is "$(field NET $how)" "$HOST_NET" "with: the close hook ran in the host's network namespace"
		is "$(field MNT $how)" "$HOST_MNT" "with: ... and the host's mount namespace"
		is "$(field NNP $how) $(field SECCOMP $how) $(field BND $how)" "0 0 $HOST_BND" \
			"with: ... with no policy and the full bounding set"
		is "$(nsbox_log_since "$m" | grep -c 'pam_nsbox.*\(error\|cannot\)')" 0 \
			"with: no error logged at close"
	fi
	nsbox_check_clean "$how the leave line"
done

# The leave line for a login that has no box (exempt): nothing to do, nothing logged, success.
ECONF=$(nsbox_conf exempt.conf "[defaults]
exempt = yes")
nsbox_pam_service nsbox-test-leave "auth     required pam_permit.so
account  required pam_permit.so
session  optional $NSBOX_MODULE helper=$NSBOX_HELPER leave
session  required $NSBOX_MODULE helper=$NSBOX_HELPER conf=$ECONF"
m=$(nsbox_log_mark)
out=$("$NSBOX_PAMRUN" nsbox-test-leave $U -- sh -c 'echo NET $(readlink /proc/self/ns/net)' 2>&1)
ok $? "exempt user with the leave line: the session runs" "$out"
is "$(sed -n 's/^NET //p' <<<"$out")" "$HOST_NET" "exempt user: unboxed"
is "$(nsbox_log_since "$m" | grep -c pam_nsbox)" 0 "exempt user: the module logs nothing"

# An unknown argument next to leave is still refused (the line is not a free-for-all).
nsbox_pam_service nsbox-test-leave "auth     required pam_permit.so
account  required pam_permit.so
session  required $NSBOX_MODULE helper=$NSBOX_HELPER leave bogus
session  required $NSBOX_MODULE helper=$NSBOX_HELPER conf=$CONF"
m=$(nsbox_log_mark)
"$NSBOX_PAMRUN" nsbox-test-leave $U -- true 2>/dev/null
isnt $? 0 "leave with a bad argument: the login is refused"
like "$(nsbox_log_since "$m" | grep pam_nsbox)" "bad module argument 'bogus'" "leave with a bad argument: the log says which"
nsbox_check_clean "bad argument"
