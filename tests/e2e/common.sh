# SPDX-License-Identifier: BSD-3-Clause
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
# marks of box namespaces (lib/boxns.c box_ns_mark), one per namespace of a live box
nsbox_nsmarks() { ls -A /run/nsbox/ns 2>/dev/null || true; }
# pids of helper processes (supervisors, box inits and sweepers) that this run's helper binary
# started (only this build's: an installed pam_nsbox on the same machine has live boxes of its
# own)
nsbox_helper_pids() {
	local p
	# the box init renames itself nsbox-init (its command line too): matched by exe like the rest
	for p in $(pgrep -f "^(nsbox-helper --(session|sweep)|nsbox-init)$"); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$NSBOX_HELPER" ] && nsbox_alive "$p" && echo "$p"
	done
}

# How long a test waits for what should happen at once (a process dying, a teardown): a bound
# against a hang, not a claim about speed, so it is generous for a loaded 2-core CI machine.
NSBOX_SETTLE=${NSBOX_SETTLE:-10}

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
	nsbox_wait '[ -z "$(nsbox_records)$(nsbox_nsmarks)" ]' 10
	is "$(nsbox_records | tr '\n' ' ')$(nsbox_nsmarks | tr '\n' ' ')" "" "$what: no box record left"
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
nsbox_user_procs() { nsbox_procs_of "$1"; }

# Bridged boxes: leases held in this run's lease files, and host ends of veths (nsb<id>).
held_leases() { cat /run/nsbox/leases/v* 2>/dev/null | grep -c ' held ' || true; }
host_veths() { ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^nsb[0-9a-f]' || true; }

# nsbox_denied SERVICE USER REGEX DESC: a login of USER through SERVICE is refused, its command
# does not run, and the module logs exactly one line, matching REGEX (other boxes may live on).
nsbox_denied() {
	local svc=$1 user=$2 re=$3 desc=$4 m rc ran=$NSBOX_T/denied/ran
	# where the user's command could leave its mark, had it run
	[ -d "$NSBOX_T/denied" ] || mkdir -m 1777 "$NSBOX_T/denied"
	m=$(nsbox_log_mark)
	rm -f "$ran"
	"$NSBOX_PAMRUN" "$svc" "$user" -- touch "$ran" 2>/dev/null
	rc=$?
	isnt $rc 0 "$desc: login refused"
	ok $([ ! -e "$ran" ]; echo $?) "$desc: command did not run"
	like "$(nsbox_log_since "$m" | grep pam_nsbox)" "$re" "$desc: log says why"
	is "$(nsbox_log_since "$m" | grep -c pam_nsbox)" 1 "$desc: one log line"
}

# nsbox_refused SERVICE USER REGEX DESC: nsbox_denied, and no record, helper, veth or lease is
# left.
nsbox_refused() {
	local desc=$4
	nsbox_denied "$@"
	nsbox_check_clean "$desc"
	is "$(host_veths | tr '\n' ' ')" "" "$desc: no veth left"
	is "$(held_leases)" 0 "$desc: no lease left"
}

# nsbox_bridge NAME ADDRESS/PREFIX : a bridge of this test's network namespace with the gateway's
# address, up
nsbox_bridge() {
	ip link add "$1" type bridge && ip addr add "$2" dev "$1" && ip link set "$1" up ||
		nsbox_die "harness: bridge $1"
}

# nsbox_peer_ns VAR HOSTIF PEERIF : another host for a test: a process holding a network namespace
# of its own (tracked, so it goes at exit), joined to this namespace by a veth pair, HOSTIF here
# and PEERIF there (both down, unaddressed; lo up there). Its pid in VAR: reach it with
# nsenter --net=/proc/$VAR/ns/net
nsbox_peer_ns() {
	local pid
	unshare --net sleep 100000 </dev/null >/dev/null 2>&1 &
	pid=$!
	nsbox_track_pid $pid
	nsbox_wait '[ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/self/ns/net)" ]' 5 ||
		nsbox_die "harness: the namespace behind $2 did not come up"
	ip link add "$2" type veth peer name "$3" && ip link set "$3" netns "/proc/$pid/ns/net" &&
		nsenter --net="/proc/$pid/ns/net" ip link set lo up || nsbox_die "harness: veth $2"
	printf -v "$1" %s "$pid"
}

# nsbox_nss_libdir : sets LIBDIR to where glibc's dlopen finds libnss_*.so.2 without a path (the
# directory libc itself is in), for a test NSS module bound there in a mount namespace of the
# test's own; skips where a caching daemon would answer in place of the test's nsswitch.conf
nsbox_nss_libdir() {
	LIBDIR=$(dirname "$(readlink -f "$(ldd /bin/true | awk '$1 == "libc.so.6" {print $3}')")")
	[ -d "$LIBDIR" ] || nsbox_die "cannot find the libc directory"
	if pgrep -x nscd >/dev/null || pgrep -x sssd >/dev/null; then
		skip_all "nscd or sssd runs on this host: NSS lookups bypass the test's nsswitch.conf"
	fi
}
