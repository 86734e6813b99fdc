#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# valgrind over the su-like session runner (tests/pam-run.c): open/close cycles of boxed, exempt
# and refused sessions show no leak and no memory error in pam_nsbox.so (nor in libpam or the
# runner). tests/valgrind/nsbox.supp suppresses only what lies outside our code. The probe: the
# same valgrind run over a test module that leaks (tests/valgrind/pam_nsbt_leak.c) must fail.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_require_cmd valgrind /usr/bin/python3
nsbox_private_state

U=nsbt-vg
nsbox_add_user $U
nsbox_add_user nsbt-vgex
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box

[match user=nsbt-vgex]
exempt = yes")
BAD=$(nsbox_conf bad.conf "[defaults]
colour = blue")
nsbox_service nsbox-test-vg "conf=$CONF"
nsbox_service nsbox-test-vgbad "conf=$BAD"
nsbox_pam_service nsbox-test-vgnohelper "account required pam_permit.so
session required $NSBOX_MODULE helper=$NSBOX_T/no-such-helper conf=$CONF"
nsbox_pam_service nsbox-test-vgplain "account required pam_permit.so
session required pam_permit.so"
nsbox_pam_service nsbox-test-vgleak "account required pam_permit.so
session required $NSBOX_BUILD/tests/pam_nsbt_leak.so"

VG_STATUS=99 # valgrind's status when it found an error (the runner never exits 99)
# vg NAME [PAM-RUN ARGS...]: pam-run under memcheck, its report in $NSBOX_T/vg-NAME.log.
# Children are not traced: the helper and the command run natively once exec'd; the module's own
# short-lived forks stay under valgrind until their exec or _exit and report nothing.
# --keep-debuginfo: pam_end unloads the modules before the leak check; their frames keep names.
# valgrind 3.24 does not know pidfd_send_signal(2) either (it warns "unhandled syscall 424"): the
# module's SIGKILL of the init at close fails there, and the supervisor ends the box on CLOSE as
# it does whenever that kill is late; nsbox_check_clean below sees that it did.
vg() {
	local name=$1
	shift
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=$VG_STATUS \
		--keep-debuginfo=yes --child-silent-after-fork=yes --num-callers=30 \
		--suppressions="$NSBOX_TOP/tests/valgrind/nsbox.supp" \
		--log-file="$NSBOX_T/vg-$name.log" "$NSBOX_PAMRUN" "$@"
}
vglog() { cat "$NSBOX_T/vg-$1.log" 2>/dev/null; }

# ---- the probe first: a leak in a PAM module makes the run fail, and valgrind names it ----
out=$(vg plain nsbox-test-vgplain $U -- true 2>&1)
is "$?" 0 "pam_permit-only session under valgrind: clean (runner and libpam need no more suppressions)" "$out" "$(vglog plain)"
out=$(vg leak nsbox-test-vgleak $U -- true 2>&1)
is "$?" $VG_STATUS "a session through a leaking test module: valgrind fails the run" "$out"
like "$(vglog leak)" "definitely lost in loss record .* pam_sm_open_session \(pam_nsbt_leak\.c:[0-9]+\)" "and its report names the leak in the module"

# Debian 12's valgrind (3.19) does not know pidfd_open(2), so under it the module cannot
# open any session (it fails closed: ENOSYS); only the refusal path can be checked there.
vgver=$(valgrind --version | sed 's/^valgrind-//')
# (the distribution's python3 by path: a wrapper script on PATH would exec it outside valgrind)
if valgrind --tool=none -q /usr/bin/python3 -c 'import os; os.close(os.pidfd_open(os.getpid()))' >/dev/null 2>&1; then
	full=1
else
	full=0
	# a newer valgrind that cannot do it is a failure, not a reason to check less
	ok $(printf '%s\n3.20\n' "$vgver" | sort -V -C; echo $?) \
		"valgrind $vgver without pidfd_open is Debian 12's (older than 3.20)"
	note "valgrind $vgver has no pidfd_open: the boxed, exempt and helper-failure cycles run" \
		"where valgrind has it (the Debian 13 stage of .ci/run); here only the module's refusal"
fi

if [ $full = 1 ]; then
	for i in 1 2 3; do
		out=$(vg box$i nsbox-test-vg $U -- sh -c 'echo $NSBOX_ID' 2>&1)
		is "$?" 0 "boxed session $i (open, command, close) under valgrind: no leak, no error" "$out" "$(vglog box$i)"
		like "$out" "^[0-9a-f]{8}$" "boxed session $i ran in a box"
	done
	nsbox_check_clean "boxed sessions under valgrind"

	out=$(vg exempt nsbox-test-vg nsbt-vgex -- true 2>&1)
	is "$?" 0 "exempt session under valgrind: no leak, no error" "$out" "$(vglog exempt)"

	out=$(vg badconf nsbox-test-vgbad $U -- true 2>&1)
	is "$?" 126 "refused session (bad config) under valgrind: refused, no leak, no error" "$out" "$(vglog badconf)"
	nsbox_check_clean "refused sessions under valgrind"
else
	out=$(vg nosys nsbox-test-vg $U -- true 2>&1)
	is "$?" 126 "session refused by the module (pidfd_open: ENOSYS under valgrind $vgver): no leak, no error" "$out" "$(vglog nosys)"
fi

out=$(vg nohelper nsbox-test-vgnohelper $U -- true 2>&1)
is "$?" 126 "refused session (no helper) under valgrind: refused, no leak, no error" "$out" "$(vglog nohelper)"
nsbox_check_clean "after the valgrind runs"
