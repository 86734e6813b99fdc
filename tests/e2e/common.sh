# Product-specific helpers for the e2e tests, on top of lib.sh; sourced after it, inside the
# test's private network and mount namespaces (root).

# A private /run/nsbox per test run: leftover checks see only what this test made, and a real
# installation's state on this machine is never touched.
nsbox_private_state() {
	mkdir -p /run/nsbox
	mount -t tmpfs -o mode=0700 nsbox-test /run/nsbox
}

# Standard PAM stack for SERVICE with pam_nsbox last; extra module args in $2.
nsbox_service() {
	local svc=$1 args=${2:-}
	nsbox_pam_service "$svc" "auth     required pam_permit.so
account  required pam_permit.so
session  required pam_permit.so
session  required $NSBOX_MODULE helper=$NSBOX_HELPER $args"
}

nsbox_records() { ls /run/nsbox/boxes 2>/dev/null | grep -E '^[0-9a-f]{8}$' || true; }
# pids of helper processes (supervisors and box inits) that this run's helper binary started
# (only this build's: an installed pam_nsbox on the same machine has live boxes of its own)
nsbox_helper_pids() {
	local p
	for p in $(pgrep -f "^nsbox-helper --session"); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$NSBOX_HELPER" ] && nsbox_alive "$p" && echo "$p"
	done
}

# Waits up to ${2:-5} s for "$1" (a shell condition) to hold.
nsbox_wait() {
	local cond=$1 t=${2:-5} i=0
	while ! eval "$cond"; do
		i=$((i + 1))
		[ "$i" -ge $((t * 20)) ] && return 1
		sleep 0.05
	done
}

# Everything a finished session must leave behind: nothing.
nsbox_check_clean() {
	local what=$1
	nsbox_wait '[ -z "$(nsbox_records)" ]' 10
	is "$(nsbox_records | tr '\n' ' ')" "" "$what: no box record left"
	nsbox_wait '[ -z "$(nsbox_helper_pids)" ]' 10
	is "$(nsbox_helper_pids | tr '\n' ' ')" "" "$what: no helper or box init left"
}

# The namespaces the test itself runs in: what "unboxed" looks like.
nsbox_host_ns() {
	local t out=""
	for t in pid mnt ipc uts net; do out="$out $(readlink /proc/self/ns/$t)"; done
	echo "${out# }"
}

# Live (not zombie) processes of user $1: what "the user's processes are dead" looks at.
nsbox_user_procs() { ps -u "$1" -o pid=,stat= 2>/dev/null | awk '$2 !~ /^Z/ {print $1}'; }
