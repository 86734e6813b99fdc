# SPDX-License-Identifier: BSD-3-Clause
# Shared harness for the end-to-end tests (tests/e2e/tNN-*.t). Sourced by bash test scripts that
# prove runs from the repository root, as root. Owns: TAP output, the test's private network and
# mount namespaces (with a private /dev and a syslog sink at /dev/log), a per-script temp dir,
# test users and groups, test PAM service files, a test sshd, and cleanup of all of it in the
# EXIT trap, which runs even when the script fails or is interrupted.
#
# Usage at the top of every script:
#     . "$(dirname "$0")/lib.sh"
#     nsbox_require_root
#     nsbox_enter_private_ns "$@"
#
# Safety rules kept here: users must be named nsbt-*, groups nsbt-*, PAM services nsbox-test-*;
# stock /etc/pam.d files are only ever bind-mounted over inside the private mount namespace;
# processes are killed only by the pids this harness or the script started.
#
# Environment: CI=true or NSBOX_MUST_RUN=1 turn every skip into a failure. NSBOX_KEEP=1 keeps
# $NSBOX_T (logs, configs) after the run. NSBOX_SSH_TIMEOUT (default 30) bounds ssh/sftp/scp.

# ---------------------------------------------------------------------------------------------
# Paths

NSBOX_TOP=${NSBOX_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NSBOX_BUILD=${NSBOX_BUILD:-$NSBOX_TOP/build}
NSBOX_MODULE=${NSBOX_MODULE:-$NSBOX_BUILD/pam_nsbox.so}
NSBOX_HELPER=${NSBOX_HELPER:-$NSBOX_BUILD/nsbox-helper}
NSBOX_CTL=${NSBOX_CTL:-$NSBOX_BUILD/nsboxctl}
NSBOX_PAMRUN=${NSBOX_PAMRUN:-$NSBOX_BUILD/tests/pam-run}
NSBOX_LOGSINK=${NSBOX_LOGSINK:-$NSBOX_BUILD/tests/logsink}
NSBOX_REAPER=${NSBOX_REAPER:-$NSBOX_BUILD/tests/reaper}
NSBOX_PTYRUN=${NSBOX_PTYRUN:-$NSBOX_BUILD/tests/pty-run}
NSBOX_SSHD_BIN=${NSBOX_SSHD_BIN:-/usr/sbin/sshd}
NSBOX_SFTP_SERVER=${NSBOX_SFTP_SERVER:-/usr/lib/openssh/sftp-server}
NSBOX_SSH_TIMEOUT=${NSBOX_SSH_TIMEOUT:-30}
export NSBOX_TOP NSBOX_BUILD NSBOX_MODULE NSBOX_HELPER NSBOX_CTL NSBOX_PAMRUN NSBOX_PTYRUN

# ---------------------------------------------------------------------------------------------
# TAP

_nsbox_n=0            # tests run
_nsbox_failed=0       # tests failed
_nsbox_plan_done=0    # a plan line was printed (skip_all)

_nsbox_must_run() { [ "${CI:-}" = true ] || [ "${NSBOX_MUST_RUN:-}" = 1 ]; }

# diag LINE... : diagnostics on stderr, each line prefixed with "# "
diag() {
	local l
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@" | while IFS= read -r l; do printf '# %s\n' "$l"; done >&2
}

# note LINE... : like diag, on stdout (shown by prove -v only)
note() {
	local l
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@" | while IFS= read -r l; do printf '# %s\n' "$l"; done
}

_nsbox_desc() { # one line, and no '#' that TAP would read as a directive
	local d=${1//$'\n'/ }
	printf '%s' "${d//#/\\#}"
}

# ok STATUS "desc" [DIAG...] : passes when STATUS is 0; on failure prints DIAG as diagnostics.
# Returns 0 when it passed, 1 when not.
ok() {
	local st=$1 desc=${2:-}
	shift 2 2>/dev/null || shift $#
	_nsbox_n=$((_nsbox_n + 1))
	if [ "$st" = 0 ]; then
		echo "ok $_nsbox_n - $(_nsbox_desc "$desc")"
		return 0
	fi
	echo "not ok $_nsbox_n - $(_nsbox_desc "$desc")"
	_nsbox_failed=$((_nsbox_failed + 1))
	if [ "$st" = 1 ]; then diag "  Failed test '$desc'" "$@"; else diag "  Failed test '$desc' (status '$st')" "$@"; fi
	return 1
}

pass() { ok 0 "$1"; }

# fail "desc" [DIAG...]
fail() {
	local desc=$1
	shift
	ok 1 "$desc" "$@"
}

# check "desc" CMD [ARGS...] : runs CMD; ok when it exits 0; its output is the diagnostic.
check() {
	local desc=$1 out st
	shift
	out=$("$@" 2>&1)
	st=$?
	ok "$st" "$desc" "command: $*" "exit status: $st" "output:" "$out"
}

# is GOT WANT "desc"
is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3" "         got: '$1'" "    expected: '$2'"; fi
}

# isnt GOT UNWANTED "desc"
isnt() {
	if [ "$1" != "$2" ]; then ok 0 "$3"; else ok 1 "$3" "         got: '$1'" "    expected: anything else"; fi
}

# like GOT REGEX "desc" : bash [[ =~ ]] (POSIX ERE; ^ and $ anchor the whole string)
like() {
	if [[ $1 =~ $2 ]]; then ok 0 "$3"; else ok 1 "$3" "                  '$1'" "    doesn't match '$2'"; fi
}

# re TEXT : TEXT as a regex that matches only itself (namespace ids hold brackets)
re() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'; }

# unlike GOT REGEX "desc"
unlike() {
	if ! [[ $1 =~ $2 ]]; then ok 0 "$3"; else ok 1 "$3" "                  '$1'" "          matches '$2'"; fi
}

# skip "reason" [COUNT] : records COUNT (default 1) skipped tests; a failure under CI.
skip() {
	local reason=$1 count=${2:-1} i
	for ((i = 0; i < count; i++)); do
		if _nsbox_must_run; then
			fail "skipped, but CI=true/NSBOX_MUST_RUN=1 forbid skipping: $reason"
		else
			_nsbox_n=$((_nsbox_n + 1))
			echo "ok $_nsbox_n # skip $(_nsbox_desc "$reason")"
		fi
	done
}

# skip_all "reason" : skips the whole script (1..0 # SKIP); under CI this is a failure instead.
skip_all() {
	local reason=$1
	if _nsbox_must_run; then
		fail "cannot skip under CI=true/NSBOX_MUST_RUN=1: $reason"
		exit 1
	fi
	if [ "$_nsbox_n" -gt 0 ]; then # tests already ran: skip the rest
		skip "$reason"
		exit 0
	fi
	echo "1..0 # SKIP $(_nsbox_desc "$reason")"
	_nsbox_plan_done=1
	exit 0
}

# done_testing : prints the plan; called from the EXIT trap, scripts need not call it.
done_testing() {
	[ "$_nsbox_plan_done" = 1 ] && return 0
	_nsbox_plan_done=1
	echo "1..$_nsbox_n"
}

# nsbox_die "msg" [DIAG...] : a failed test, then exit (cleanup and plan follow in the trap)
nsbox_die() {
	fail "$@"
	exit 1
}

# ---------------------------------------------------------------------------------------------
# Cleanup registry and the EXIT trap

_nsbox_pids=()        # processes to kill at exit (by pid)
_nsbox_pamfiles=()    # /etc/pam.d/nsbox-test-* written by this script
_nsbox_binds=()       # /etc/pam.d/<stock> bind-mounted over (private mount ns only)
_nsbox_users=()       # nsbt-* users created
_nsbox_groups=()      # nsbt-* groups created
_nsbox_sshd_pid=""
_nsbox_logsink_pid=""
_nsbox_cleaned=0
_nsbox_exit_hooks=()  # commands a harness on top of this one runs first at exit

# nsbox_at_exit CMD : runs CMD (eval'd) at exit, after the processes are ended and before the
# PAM files and users go, newest first
nsbox_at_exit() { _nsbox_exit_hooks=("$1" "${_nsbox_exit_hooks[@]}"); }

# nsbox_track_pid PID... : kill these (TERM, then KILL) at exit
nsbox_track_pid() { _nsbox_pids+=("$@"); }

# nsbox_alive PID : true while PID runs. Unlike `kill -0`, false for a zombie: orphans are
# reparented to pid 1, and on some machines pid 1 reaps them only every few seconds.
nsbox_alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[ -n "$st" ] && [[ $st != Z* ]]
}

# Sends TERM to each live pid, waits up to $1 tenths of a second, then KILLs what is left.
_nsbox_kill_pids() {
	local tenths=$1 p i live
	shift
	live=()
	for p in "$@"; do
		[ -n "$p" ] && kill -0 "$p" 2>/dev/null && live+=("$p")
	done
	[ ${#live[@]} -gt 0 ] || return 0
	kill -TERM "${live[@]}" 2>/dev/null
	for ((i = 0; i < tenths; i++)); do
		local any=0
		for p in "${live[@]}"; do
			if nsbox_alive "$p"; then
				any=1
			fi
		done
		[ $any = 0 ] && break
		sleep 0.1
	done
	for p in "${live[@]}"; do
		if nsbox_alive "$p"; then
			_nsbox_clean_err+=("process $p ($(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null)) ignored SIGTERM; killed")
			kill -KILL "$p" 2>/dev/null
		fi
	done
	wait "${live[@]}" 2>/dev/null
	return 0
}

_nsbox_cleanup() {
	local st=$1 p u g f
	[ "$_nsbox_cleaned" = 1 ] && return 0
	_nsbox_cleaned=1
	_nsbox_clean_err=()
	trap '' INT TERM HUP

	# 1. processes: sshd's connections (their monitors close the PAM sessions), sshd, then the
	# script's other background jobs and tracked pids; the log sink stays up until the end
	local jobpids=() j
	nsbox_sshd_stop
	for j in $(jobs -p 2>/dev/null); do
		[ "$j" = "$_nsbox_logsink_pid" ] || jobpids+=("$j")
	done
	_nsbox_kill_pids 20 "${jobpids[@]}" "${_nsbox_pids[@]}"
	for f in "${_nsbox_exit_hooks[@]}"; do
		eval "$f" || _nsbox_clean_err+=("exit hook failed: $f")
	done

	# 2. stock PAM files bound over (only in our mount namespace, which dies with us anyway)
	for f in "${_nsbox_binds[@]}"; do
		umount -l "$f" 2>/dev/null || _nsbox_clean_err+=("cannot unmount the bind over $f")
	done

	# 3. PAM service files
	for f in "${_nsbox_pamfiles[@]}"; do
		rm -f -- "$f"
		[ -e "$f" ] && _nsbox_clean_err+=("cannot remove $f")
	done

	# 4. users, then groups (a user's private group goes with the user)
	for u in "${_nsbox_users[@]}"; do
		_nsbox_userdel "$u"
	done
	for g in "${_nsbox_groups[@]}"; do
		if getent group "$g" >/dev/null; then
			groupdel "$g" >/dev/null 2>&1 || _nsbox_clean_err+=("cannot delete group $g: $(groupdel "$g" 2>&1)")
		fi
	done

	# 5. a login that went through the stock /etc/pam.d/sshd instead of the test's service
	# (an sshd that ignored how the harness named the service) ran unboxed and unchecked:
	# whatever the script asserted, that is a failure
	if [ -n "$NSBOX_SSHD_PAM_BY" ] && [ -s "${NSBOX_T:-}/syslog" ] &&
		grep -qE '\(sshd:(auth|account|session|password)\)' "$NSBOX_T/syslog"; then
		_nsbox_clean_err+=("a login used the stock PAM service 'sshd', not the test's (sshd told by $NSBOX_SSHD_PAM_BY):"
			"$(grep -E '\(sshd:(auth|account|session|password)\)' "$NSBOX_T/syslog" | head -n 3)")
	fi

	# 6. on failure, the end of the logs helps more than nothing
	if [ -n "${NSBOX_T:-}" ] && { [ "$_nsbox_failed" -gt 0 ] || [ "$st" != 0 ]; }; then
		if [ -s "$NSBOX_T/syslog" ]; then
			diag "last syslog lines ($NSBOX_T/syslog):"
			diag "$(grep -v 'nsbox-log-sync' "$NSBOX_T/syslog" | tail -n 25)"
		fi
		if [ -s "$NSBOX_T/sshd.log" ]; then
			diag "last sshd log lines:"
			diag "$(tail -n 15 "$NSBOX_T/sshd.log")"
		fi
	fi

	# 7. the log sink last: everything above may still log
	[ -n "$_nsbox_logsink_pid" ] && _nsbox_kill_pids 20 "$_nsbox_logsink_pid"

	# 8. the temp dir
	if [ -n "${NSBOX_T:-}" ] && [ -d "$NSBOX_T" ]; then
		if [ "${NSBOX_KEEP:-}" = 1 ]; then
			diag "NSBOX_KEEP=1: kept $NSBOX_T"
		else
			mountpoint -q "$NSBOX_T/dev" 2>/dev/null && umount -R -l "$NSBOX_T/dev"
			rm -rf --one-file-system -- "$NSBOX_T" 2>/dev/null
			[ -e "$NSBOX_T" ] && _nsbox_clean_err+=("cannot remove $NSBOX_T")
		fi
	fi
	if [ -n "${NSBOX_HOSTTMP:-}" ] && [ -d "$NSBOX_HOSTTMP" ] && [ "${NSBOX_KEEP:-}" != 1 ]; then
		rm -rf --one-file-system -- "$NSBOX_HOSTTMP" 2>/dev/null
		[ -e "$NSBOX_HOSTTMP" ] && _nsbox_clean_err+=("cannot remove $NSBOX_HOSTTMP")
	fi

	if [ ${#_nsbox_clean_err[@]} -gt 0 ]; then
		fail "harness cleanup left something behind" "${_nsbox_clean_err[@]}"
	fi
}

# nsbox_ours PID : true when PID descends from this test's reaper (tests/reaper.c, the script's
# parent once it runs in its private namespaces), as everything the test starts does: boxes,
# sshd's sessions, and every orphan, which the reaper adopts. A container or guest on the same
# machine (another suite's, whose test users have the same uids as ours) is never counted as
# ours, let alone killed.
_nsbox_reaper_pid=$PPID
nsbox_ours() {
	local p=$1 i
	for ((i = 0; i < 64; i++)); do
		[ "$p" = "$_nsbox_reaper_pid" ] && return 0
		[ -n "$p" ] && [ "$p" -gt 1 ] || return 1
		p=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
	done
	return 1
}

# nsbox_procs_of USER : this test's live (not zombie) processes of USER, one pid a line
nsbox_procs_of() {
	local p
	for p in $(ps -o pid=,stat= -u "$1" 2>/dev/null | awk '$2 !~ /^Z/ {print $1}'); do
		nsbox_ours "$p" && echo "$p"
	done
}

_nsbox_userdel() {
	local u=$1 i out left
	getent passwd "$u" >/dev/null || return 0
	# the script's sessions should have ended: what is left is a leak, reported, then ended.
	# Zombies do not count: orphans are reparented to pid 1, which may be slow to reap them.
	left=$(nsbox_procs_of "$u")
	if [ -n "$left" ]; then
		_nsbox_clean_err+=("processes of $u still running: $(ps -o pid=,args= -p "$(echo $left | tr ' ' ,)" | tr '\n' ';')")
		_nsbox_kill_pids 10 $left
	fi
	for i in 1 2 3 4 5 6 7 8 9 10; do
		out=$(userdel -r "$u" 2>&1) && return 0
		getent passwd "$u" >/dev/null || return 0 # deleted, only mail spool or home warnings
		sleep 0.2
	done
	_nsbox_clean_err+=("userdel -r $u failed: $out" "processes of $u: $(nsbox_procs_of "$u" | tr '\n' ' ')")
	userdel -r -f "$u" >/dev/null 2>&1 || _nsbox_clean_err+=("userdel -r -f $u failed too")
}

_nsbox_on_exit() {
	local st=$?
	_nsbox_cleanup "$st"
	if [ "$_nsbox_plan_done" != 1 ]; then
		if [ "$_nsbox_n" = 0 ]; then
			fail "the script ran no test (exit status $st)"
		elif [ "$st" != 0 ] && [ "$_nsbox_failed" = 0 ]; then
			fail "the script ended with exit status $st"
		fi
	fi
	done_testing
	if [ "$_nsbox_failed" -gt 0 ]; then
		exit $((_nsbox_failed > 254 ? 254 : _nsbox_failed))
	fi
	exit "$st"
}

_nsbox_on_signal() {
	fail "interrupted by SIG$1"
	exit $((128 + $2))
}

trap _nsbox_on_exit EXIT
trap '_nsbox_on_signal INT 2' INT
trap '_nsbox_on_signal TERM 15' TERM
trap '_nsbox_on_signal HUP 1' HUP

# ---------------------------------------------------------------------------------------------
# Requirements and the private namespaces

# nsbox_require_root : skip (fail under CI) unless root
nsbox_require_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
}

# nsbox_require_cmd CMD... : skip (fail under CI) unless every CMD is installed
nsbox_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || skip_all "$c is not installed"
	done
}

# true when running in the private namespaces made by nsbox_enter_private_ns (the marker alone
# is not trusted: the namespaces must differ from the ones the script was started in)
nsbox_in_private_ns() {
	[ "${NSBOX_TEST_NS:-}" = 1 ] && [ -n "${NSBOX_OUTER_MNTNS:-}" ] && [ -n "${NSBOX_OUTER_NETNS:-}" ] &&
		[ "$(readlink /proc/self/ns/mnt)" != "$NSBOX_OUTER_MNTNS" ] &&
		[ "$(readlink /proc/self/ns/net)" != "$NSBOX_OUTER_NETNS" ]
}

# nsbox_enter_private_ns "$@" : re-execs the script in new network and mount namespaces, then
# (inside) brings lo up, gives it a private /dev with a syslog sink at /dev/log, and checks it.
nsbox_enter_private_ns() {
	if ! nsbox_in_private_ns; then
		local script
		script=$(readlink -f "$0")
		unshare --net --mount --propagation private -- true 2>/dev/null ||
			skip_all "cannot create network and mount namespaces (unshare --net --mount)"
		# nothing was set up yet in this process: the exec loses nothing
		trap - EXIT INT TERM HUP
		rm -rf -- "$NSBOX_T" "$NSBOX_HOSTTMP"
		[ -x "$NSBOX_REAPER" ] || nsbox_die "harness: $NSBOX_REAPER missing (make tests)"
		# NSBOX_OUTER_PID: a process still in the namespaces we came from (prove, usually).
		# The reaper (tests/reaper.c) reaps the test's orphans at once, as a host's systemd
		# does: the machine's PID 1 may take seconds, and a box ends only once they are reaped.
		exec unshare --net --mount --propagation private -- "$NSBOX_REAPER" \
			env NSBOX_TEST_NS=1 NSBOX_OUTER_PID="$PPID" \
			NSBOX_OUTER_MNTNS="$(readlink /proc/self/ns/mnt)" \
			NSBOX_OUTER_NETNS="$(readlink /proc/self/ns/net)" \
			"$BASH" "$script" "$@"
	fi
	[ -x "$NSBOX_LOGSINK" ] || nsbox_die "harness: $NSBOX_LOGSINK missing (make tests)"
	# the developer's terminal is not for the tools under test (ssh, su) to read from
	exec </dev/null
	ip link set lo up || nsbox_die "harness: cannot bring lo up"
	_nsbox_private_dev || nsbox_die "harness: cannot build the private /dev"
	_nsbox_start_logsink || nsbox_die "harness: log sink did not start"
	_nsbox_check_dev || nsbox_die "harness: the private /dev does not work"
	_nsbox_close_fds
}

# Closes every fd >= 3 of this shell but bash's own script fd (255, close-on-exec): whatever the
# caller (prove, a CI runner, bash's own `exec <` which keeps a copy on fd 10) left open would
# otherwise reach every command, and the tests check that sessions get only 0 1 2.
_nsbox_close_fds() {
	local f n fds=()
	for f in /proc/$$/fd/*; do
		n=${f##*/}
		[ "$n" -gt 2 ] && [ "$n" != 255 ] && fds+=("$n")
	done
	for n in "${fds[@]}"; do
		[ -e "/proc/$$/fd/$n" ] && eval "exec $n>&-"
	done
}

# A tmpfs with copies of the basic device nodes, the host's devpts bound in, a fresh /dev/shm
# and an empty mqueue dir, moved over /dev. The host's /dev is a devtmpfs shared with the host
# even across mount namespaces: a /dev/log created there would be the host's.
_nsbox_private_dev() {
	local d=$NSBOX_T/dev n
	mkdir -p "$d" || return 1
	mount -t tmpfs -o mode=0755,nosuid,size=4m nsbox-test-dev "$d" || return 1
	for n in null zero full random urandom tty ptmx console; do
		[ -c "/dev/$n" ] && { cp -a "/dev/$n" "$d/$n" || return 1; }
	done
	ln -s /proc/self/fd "$d/fd"
	ln -s /proc/self/fd/0 "$d/stdin"
	ln -s /proc/self/fd/1 "$d/stdout"
	ln -s /proc/self/fd/2 "$d/stderr"
	[ -L /dev/core ] && cp -a /dev/core "$d/core"
	mkdir -m 0755 "$d/pts" "$d/mqueue" || return 1
	mkdir -m 1777 "$d/shm" || return 1
	# /dev/ptmx opens the devpts mounted at "pts" next to it
	mount --rbind /dev/pts "$d/pts" || return 1
	mount -t tmpfs -o mode=1777,nosuid,nodev nsbox-test-shm "$d/shm" || return 1
	mount --move "$d" /dev || return 1
}

_nsbox_check_dev() {
	local out
	[ "$(stat -f -c %T /dev)" = tmpfs ] || { diag "/dev is not the private tmpfs"; return 1; }
	echo test >/dev/null || return 1
	[ "$(head -c 4 /dev/zero | od -An -tx1 | tr -d ' ')" = 00000000 ] || { diag "/dev/zero"; return 1; }
	[ "$(head -c 16 /dev/urandom | wc -c)" = 16 ] || { diag "/dev/urandom"; return 1; }
	out=$(script -qec 'tty' /dev/null </dev/null 2>&1) || { diag "pty allocation: $out"; return 1; }
	[[ $out =~ /dev/pts/[0-9]+ ]] || { diag "pty allocation: tty says '$out'"; return 1; }
	[ -S /dev/log ] || { diag "/dev/log is not a socket"; return 1; }
}

_nsbox_start_logsink() {
	local i
	: >"$NSBOX_T/syslog"
	"$NSBOX_LOGSINK" /dev/log "$NSBOX_T/syslog" >"$NSBOX_T/logsink.out" 2>&1 </dev/null &
	_nsbox_logsink_pid=$!
	for ((i = 0; i < 100; i++)); do
		grep -qx ready "$NSBOX_T/logsink.out" 2>/dev/null && return 0
		kill -0 "$_nsbox_logsink_pid" 2>/dev/null || break
		sleep 0.05
	done
	diag "logsink: $(cat "$NSBOX_T/logsink.out" 2>/dev/null)"
	return 1
}

# ---------------------------------------------------------------------------------------------
# The per-script temp dir (root-owned, 0755: configs and helpers in it must pass the product's
# trust checks, which refuse any group- or other-writable directory on the path, /tmp too; and
# test users must be able to read authorized keys in it)

NSBOX_T=$(mktemp -d /var/lib/nsbox-t.XXXXXX) || { echo "not ok 1 - mktemp"; echo "1..1"; exit 1; }
chmod 0755 "$NSBOX_T"
export NSBOX_T
# and one under the host's /tmp, for what a box must or must not see there (nothing the product
# must trust goes in it)
NSBOX_HOSTTMP=$(mktemp -d /tmp/nsbox-h.XXXXXX) || { echo "not ok 1 - mktemp"; echo "1..1"; exit 1; }
chmod 0755 "$NSBOX_HOSTTMP"
export NSBOX_HOSTTMP

# nsbox_conf NAME CONTENT : writes $NSBOX_T/NAME (root, 0644) and prints its path
nsbox_conf() {
	local f=$NSBOX_T/$1
	mkdir -p "$(dirname "$f")"
	printf '%s\n' "$2" >"$f"
	chmod 0644 "$f"
	echo "$f"
}

# ---------------------------------------------------------------------------------------------
# Syslog captured by the sink. Every access first syncs: it sends a marker through /dev/log and
# waits until the sink wrote it, so every line logged before the call is in the file. Marker
# lines (tag nsbox-log-sync) are filtered out of what these functions print.

NSBOX_SYSLOG=$NSBOX_T/syslog

# nsbox_log_sync : waits until everything logged so far is in $NSBOX_SYSLOG
nsbox_log_sync() {
	local tok="$BASHPID-$SRANDOM" i
	logger --socket-errors=on -u /dev/log -t nsbox-log-sync -- "$tok" 2>/dev/null || return 1
	for ((i = 0; i < 500; i++)); do
		grep -qF "nsbox-log-sync: $tok" "$NSBOX_SYSLOG" && return 0
		sleep 0.01
	done
	diag "nsbox_log_sync: the log sink did not write the marker within 5 s"
	return 1
}

# nsbox_log_mark : prints a mark (the current line count) for nsbox_log_since
nsbox_log_mark() {
	nsbox_log_sync
	wc -l <"$NSBOX_SYSLOG"
}

# nsbox_log_since MARK : prints the syslog lines logged after MARK
nsbox_log_since() {
	nsbox_log_sync
	tail -n +"$((${1:-0} + 1))" "$NSBOX_SYSLOG" | grep -v 'nsbox-log-sync' || true
}

# nsbox_log_grep REGEX [MARK] : prints lines since MARK (default: all) matching the ERE;
# status 0 when one matched
nsbox_log_grep() {
	nsbox_log_since "${2:-0}" | grep -E -- "$1"
}

# ---------------------------------------------------------------------------------------------
# Users and groups (host-visible: /etc/passwd is not namespaced)

_nsbox_check_name() { # PREFIX NAME
	[[ $2 =~ ^$1[a-z0-9][a-z0-9_-]*$ ]] && [ ${#2} -le 32 ] ||
		nsbox_die "harness: refusing name '$2' (must be $1[a-z0-9_-]*, at most 32 chars)"
}

# nsbox_add_group NAME : groupadd NAME (nsbt-*), deleted at exit
nsbox_add_group() {
	local g=$1 out
	_nsbox_check_name nsbt- "$g"
	if getent group "$g" >/dev/null; then
		diag "removing leftover group $g"
		groupdel "$g" >/dev/null 2>&1
	fi
	_nsbox_groups+=("$g")
	out=$(groupadd "$g" 2>&1) || nsbox_die "harness: groupadd $g" "$out"
}

# nsbox_add_user NAME [GROUP,...] : useradd -m -s /bin/bash (nsbt-*), password field '*' (no
# password, not locked: pubkey logins work), supplementary GROUPs; deleted with home at exit
nsbox_add_user() {
	local u=$1 groups=${2:-} out
	_nsbox_check_name nsbt- "$u"
	if getent passwd "$u" >/dev/null; then
		diag "removing leftover user $u"
		userdel -r -f "$u" >/dev/null 2>&1
	fi
	_nsbox_users+=("$u")
	out=$(useradd -m -s /bin/bash ${groups:+-G "$groups"} "$u" 2>&1) ||
		nsbox_die "harness: useradd $u" "$out"
	out=$(usermod -p '*' "$u" 2>&1) || nsbox_die "harness: usermod -p '*' $u" "$out"
}

# nsbox_add_user_badname NAME : like nsbox_add_user, for a name useradd refuses by default
# ("nsbt-x@ad.example", "nsbt-m$", "nsbt-DOM\w": what SSSD, machine accounts and winbind give):
# still nsbt-*, and never ':', '/', whitespace or a control character
nsbox_add_user_badname() {
	local u=$1 out
	[[ $u == nsbt-?* ]] && [ ${#u} -le 32 ] && [[ $u != *[:/[:space:][:cntrl:]]* ]] ||
		nsbox_die "harness: refusing name '$u' (must be nsbt-*, at most 32 chars, no ':', '/' or blank)"
	if getent passwd "$u" >/dev/null; then
		diag "removing leftover user $u"
		userdel -r -f "$u" >/dev/null 2>&1
	fi
	_nsbox_users+=("$u")
	# shadow's option; newer ones spell it --badnames
	out=$(useradd --badname -m -s /bin/bash "$u" 2>&1) ||
		out=$(useradd --badnames -m -s /bin/bash "$u" 2>&1) || nsbox_die "harness: useradd $u" "$out"
	out=$(usermod -p '*' "$u" 2>&1) || nsbox_die "harness: usermod -p '*' $u" "$out"
}

# ---------------------------------------------------------------------------------------------
# PAM service files

# nsbox_pam_service NAME CONTENT : writes /etc/pam.d/NAME (nsbox-test-*), removed at exit
nsbox_pam_service() {
	local name=$1 f=/etc/pam.d/$1
	_nsbox_check_name nsbox-test- "$name"
	[[ " ${_nsbox_pamfiles[*]} " == *" $f "* ]] || _nsbox_pamfiles+=("$f")
	printf '%s\n' "$2" >"$f.nsbox-tmp.$$" && chmod 0644 "$f.nsbox-tmp.$$" &&
		mv -f "$f.nsbox-tmp.$$" "$f" || nsbox_die "harness: cannot write $f"
}

# nsbox_pam_bind_over STOCKNAME CONTENT : shows CONTENT as /etc/pam.d/STOCKNAME inside this
# test's private mount namespace only (a bind mount of $NSBOX_T/pam.d/STOCKNAME); calling it
# again for the same name rewrites the content in place
nsbox_pam_bind_over() {
	local name=$1 f=/etc/pam.d/$1 src=$NSBOX_T/pam.d/$1
	[[ $name =~ ^[a-z0-9][a-z0-9._-]*$ ]] || nsbox_die "harness: bad PAM service name '$name'"
	nsbox_in_private_ns || nsbox_die "harness: nsbox_pam_bind_over outside the private mount namespace"
	[ -f "$f" ] || nsbox_die "harness: $f does not exist (nothing to bind over)"
	mkdir -p "$NSBOX_T/pam.d"
	printf '%s\n' "$2" >"$src" || nsbox_die "harness: cannot write $src" # same inode: stays bound
	chmod 0644 "$src"
	if [[ " ${_nsbox_binds[*]} " != *" $f "* ]]; then
		mount --bind "$src" "$f" || nsbox_die "harness: cannot bind $src over $f"
		_nsbox_binds+=("$f")
	fi
}

# nsbox_pam_fixed NAME CONTENT : shows CONTENT as /etc/pam.d/NAME inside this test's private
# mount namespace only, for a fixed service name that may not exist on this machine
# (systemd-user lives in /usr/lib/pam.d on Debian 13): an existing file is bound over; else a
# copy of /etc/pam.d with NAME added is bound over the directory (nsbox-test-* files written
# later by nsbox_pam_service then land in the copy, which goes with the namespace)
_nsbox_pamd_copy=0
nsbox_pam_fixed() {
	local name=$1 d=$NSBOX_T/pam.d.copy
	if [ "$_nsbox_pamd_copy" = 0 ] && [ -f "/etc/pam.d/$name" ]; then
		nsbox_pam_bind_over "$name" "$2"
		return
	fi
	[[ $name =~ ^[a-z0-9][a-z0-9._-]*$ ]] || nsbox_die "harness: bad PAM service name '$name'"
	nsbox_in_private_ns || nsbox_die "harness: nsbox_pam_fixed outside the private mount namespace"
	if [ "$_nsbox_pamd_copy" = 0 ]; then
		mkdir -p "$d" && cp -a /etc/pam.d/. "$d/" && chmod 0755 "$d" ||
			nsbox_die "harness: cannot copy /etc/pam.d"
		mount --bind "$d" /etc/pam.d || nsbox_die "harness: cannot bind $d over /etc/pam.d"
		_nsbox_binds+=(/etc/pam.d)
		_nsbox_pamd_copy=1
	fi
	printf '%s\n' "$2" >"/etc/pam.d/$name" && chmod 0644 "/etc/pam.d/$name" ||
		nsbox_die "harness: cannot write /etc/pam.d/$name in the copy"
}

# ---------------------------------------------------------------------------------------------
# sshd

NSBOX_SSH_KEY=$NSBOX_T/ssh/client_ed25519
NSBOX_SSH_PORT=""
NSBOX_SSHD_PAM_BY=""
NSBOX_SSHD_LOG=$NSBOX_T/sshd.log

_nsbox_ssh_keys() {
	[ -f "$NSBOX_SSH_KEY" ] && return 0
	mkdir -p -m 0700 "$NSBOX_T/ssh"
	mkdir -p -m 0755 "$NSBOX_T/keys"
	ssh-keygen -q -t ed25519 -N '' -C nsbox-test-host -f "$NSBOX_T/ssh/host_ed25519" </dev/null >/dev/null &&
		ssh-keygen -q -t ed25519 -N '' -C nsbox-test-client -f "$NSBOX_SSH_KEY" </dev/null >/dev/null ||
		nsbox_die "harness: ssh-keygen failed"
}

_nsbox_port_listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# nsbox_sshd_start SERVICE [EXTRA_CONFIG] : starts sshd on 127.0.0.1:$NSBOX_SSH_PORT with PAM
# service SERVICE (nsbox-test-*), pubkey auth with keys from $NSBOX_T/keys/%u; EXTRA_CONFIG lines
# are appended to the config (after everything else: it may hold Match blocks). Logs to
# $NSBOX_SSHD_LOG. A second call stops the first sshd. How sshd is told the service name
# differs by version: OpenSSH >= 9.8 takes it from PAMServiceName (default "sshd") and ignores
# argv[0]; older ones take it from argv[0]'s basename and do not know the option. Which one was
# used is in $NSBOX_SSHD_PAM_BY (PAMServiceName or argv0).
nsbox_sshd_start() {
	local svc=$1 extra=${2:-} cfg=$NSBOX_T/sshd_config port i
	_nsbox_check_name nsbox-test- "$svc"
	nsbox_in_private_ns || nsbox_die "harness: sshd outside the private network namespace"
	[ -x "$NSBOX_SSHD_BIN" ] || skip_all "$NSBOX_SSHD_BIN is not installed"
	nsbox_sshd_stop
	_nsbox_ssh_keys
	mkdir -p /run/sshd && chmod 0755 /run/sshd # privilege separation dir (normal Debian dir)
	port=22022
	while _nsbox_port_listening $port; do port=$((port + 1)); done
	cat >"$cfg" <<-EOF
		ListenAddress 127.0.0.1
		Port $port
		HostKey $NSBOX_T/ssh/host_ed25519
		PidFile $NSBOX_T/sshd.pid
		UsePAM yes
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		AuthorizedKeysFile $NSBOX_T/keys/%u
		StrictModes no
		UseDNS no
		PermitRootLogin no
		AllowTcpForwarding yes
		X11Forwarding no
		PrintMotd no
		PrintLastLog no
		MaxStartups 100
		MaxSessions 50
		Subsystem sftp $NSBOX_SFTP_SERVER
		LogLevel VERBOSE
		SyslogFacility AUTH
	EOF
	local bin
	if "$NSBOX_SSHD_BIN" -T -f "$cfg" -o "PAMServiceName=$svc" 2>/dev/null |
		grep -qx "pamservicename $svc"; then
		echo "PAMServiceName $svc" >>"$cfg"
		bin=$NSBOX_SSHD_BIN
		NSBOX_SSHD_PAM_BY=PAMServiceName
	else
		# absolute argv[0]: sshd re-execs itself from it; its basename is the PAM service name
		ln -sfn "$NSBOX_SSHD_BIN" "$NSBOX_T/$svc"
		bin=$NSBOX_T/$svc
		NSBOX_SSHD_PAM_BY=argv0
	fi
	printf '%s\n' "$extra" >>"$cfg"
	"$bin" -t -f "$cfg" >"$NSBOX_T/sshd-t.out" 2>&1 ||
		nsbox_die "harness: sshd rejects its config" "$(cat "$NSBOX_T/sshd-t.out")"
	"$bin" -D -f "$cfg" -E "$NSBOX_SSHD_LOG" </dev/null >>"$NSBOX_T/sshd.out" 2>&1 &
	_nsbox_sshd_pid=$!
	for ((i = 0; i < 200; i++)); do
		_nsbox_port_listening $port && break
		kill -0 "$_nsbox_sshd_pid" 2>/dev/null || break
		sleep 0.05
	done
	if ! _nsbox_port_listening $port; then
		nsbox_die "harness: sshd did not start" "$(cat "$NSBOX_T/sshd.out" "$NSBOX_SSHD_LOG" 2>/dev/null)"
	fi
	NSBOX_SSH_PORT=$port
}

# nsbox_sshd_stop : stops the sshd (and its connections) started by nsbox_sshd_start
nsbox_sshd_stop() {
	[ -n "$_nsbox_sshd_pid" ] || return 0
	_nsbox_kill_pids 20 $(pgrep -P "$_nsbox_sshd_pid" 2>/dev/null)
	_nsbox_kill_pids 30 "$_nsbox_sshd_pid"
	_nsbox_sshd_pid=""
}

# nsbox_sshd_pid : prints the listener's pid
nsbox_sshd_pid() { echo "$_nsbox_sshd_pid"; }

# nsbox_ssh_authorize USER... : the harness's client key may log in as USER
nsbox_ssh_authorize() {
	local u
	_nsbox_ssh_keys
	for u in "$@"; do
		cp "$NSBOX_SSH_KEY.pub" "$NSBOX_T/keys/$u" && chmod 0644 "$NSBOX_T/keys/$u" ||
			nsbox_die "harness: cannot authorize $u"
	done
}

_nsbox_ssh_opts() {
	_NSBOX_SSH_OPTS=(-F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no
		-o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR
		-o KexAlgorithms=curve25519-sha256 -o IdentitiesOnly=yes -o IdentityAgent=none
		-o ConnectTimeout=10 -i "$NSBOX_SSH_KEY")
	[ -n "$NSBOX_SSH_PORT" ] || nsbox_die "harness: nsbox_ssh before nsbox_sshd_start"
}

# nsbox_ssh USER [SSH-OPTS...] -- [CMD...] : ssh USER@127.0.0.1 to the test sshd, bounded by
# $NSBOX_SSH_TIMEOUT s (status 124 on timeout); the remote status otherwise (255: ssh error)
nsbox_ssh() {
	local user=$1 opts=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	_nsbox_ssh_opts
	timeout -k 5 "$NSBOX_SSH_TIMEOUT" ssh "${_NSBOX_SSH_OPTS[@]}" -p "$NSBOX_SSH_PORT" "${opts[@]}" \
		"$user@127.0.0.1" "$@"
}

# nsbox_sftp USER BATCHFILE [SFTP-OPTS...] : sftp -b BATCHFILE as USER
nsbox_sftp() {
	local user=$1 batch=$2
	shift 2
	_nsbox_ssh_opts
	timeout -k 5 "$NSBOX_SSH_TIMEOUT" sftp "${_NSBOX_SSH_OPTS[@]}" -P "$NSBOX_SSH_PORT" -b "$batch" \
		"$@" "$user@127.0.0.1"
}

# nsbox_scp SCP-ARGS... : scp to/from the test sshd (write remote paths as USER@127.0.0.1:PATH)
nsbox_scp() {
	_nsbox_ssh_opts
	timeout -k 5 "$NSBOX_SSH_TIMEOUT" scp "${_NSBOX_SSH_OPTS[@]}" -P "$NSBOX_SSH_PORT" "$@"
}
