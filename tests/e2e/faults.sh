# SPDX-License-Identifier: BSD-3-Clause
# Fault-injection harness shared by tests/e2e/t80-faults.t (short form) and tests/soak/faults.t
# (every occurrence): runs the real nsbox-helper under `strace --inject` through the test-only
# wrapper build/tests/fault-wrap, and checks that after each fault nothing of the box remains.
# Sourced after lib.sh and common.sh, inside the test's private namespaces (root).
#
# strace counts `when=N` per process, from 1 at each process's own first call: an injection
# "SYSCALL N" hits the Nth call of SYSCALL in the supervisor and, if it gets that far, in the box
# init too (the harness's enumeration records which process made which call).

NSBOX_FAULTWRAP=${NSBOX_FAULTWRAP:-$NSBOX_BUILD/tests/fault-wrap}
FW_DIR=$NSBOX_T/fw
FW_ARGS=$FW_DIR/fault.args
FW_HELPER=$FW_DIR/nsbox-helper
FW_TRACE=$NSBOX_T/trace

# The syscalls enumerated and injected: every step of setup and teardown makes at least one.
# (Reads of /proc and config files are openat/read; netlink is socket/bind/sendto/sendmsg/
# recvmsg/recvfrom; the record and leases are openat/write/flock/renameat/linkat/unlinkat.)
FW_SYSCALLS=${FW_SYSCALLS:-clone3,mount,umount2,mount_setattr,open_tree,move_mount,fsopen,fsconfig,fsmount,mkdir,mkdirat,openat,read,write,pwrite64,fsync,fdatasync,ftruncate,flock,renameat2,renameat,rename,linkat,unlinkat,unlink,socket,bind,sendto,sendmsg,recvmsg,recvfrom,setsockopt,sethostname,setns,pidfd_open,pidfd_send_signal,kill,wait4,waitid,poll,ppoll,pipe2,signalfd4,prctl,setresuid,setresgid,setgroups,capset,chdir,newfstatat,fstat,statx,getdents64,close_range,dup3,fcntl,connect}

fw_setup() {
	mkdir -p "$FW_DIR" "$FW_TRACE"
	chmod 0755 "$FW_DIR"
	install -m 0755 "$NSBOX_FAULTWRAP" "$FW_HELPER" || nsbox_die "harness: cannot install fault-wrap"
	: >"$FW_ARGS"
	chmod 0644 "$FW_ARGS"
}

# fw_service SERVICE CONF [MODULE-ARG...] : a PAM service whose helper is the wrapper
fw_service() {
	local svc=$1 conf=$2
	shift 2
	nsbox_pam_service "$svc" "auth required pam_permit.so
account required pam_permit.so
session required $NSBOX_MODULE helper=$FW_HELPER conf=$conf${*:+ $*}"
}

# fw_args ARG... : what the wrapper runs next (one argument per line)
fw_args() { printf '%s\n' "$@" >"$FW_ARGS"; }

# fw_plain : the wrapper runs the helper untraced
fw_plain() { fw_args "$NSBOX_HELPER" --session; }

# fw_record : the next run writes one trace per process to $FW_TRACE/t.PID
fw_record() {
	rm -f "$FW_TRACE"/t.*
	fw_args /usr/bin/strace -f -ff -qq -o "$FW_TRACE/t" -e "trace=$FW_SYSCALLS" -- \
		"$NSBOX_HELPER" --session
}

# fw_inject SYSCALL N error|kill : the next run fails the Nth call of SYSCALL in each process
# with EIO (ENOMEM for clone3), or SIGKILLs the process making it. strace 6.1 does not deliver
# an injected signal under --seccomp-bpf, which only the error injections use for speed.
fw_inject() {
	local spec=error=EIO bpf=--seccomp-bpf
	[ "$1" = clone3 ] && spec=error=ENOMEM
	[ "$3" = kill ] && spec=signal=SIGKILL bpf=
	fw_args /usr/bin/strace -f $bpf -qq -o /dev/null -e "trace=$1" -e "inject=$1:$spec:when=$2" -- \
		"$NSBOX_HELPER" --session
}

# fw_enumerate : from the recorded traces, "ROLE SYSCALL COUNT" per process and syscall, ROLE
# being sup (the supervisor: the first process), init (the one that sethostname/mounts in the
# box: the clone3 child) or child (any other)
fw_enumerate() {
	local f first role
	first=$(ls "$FW_TRACE"/t.* 2>/dev/null | sed 's/.*\.//' | sort -n | head -1)
	for f in "$FW_TRACE"/t.*; do
		[ -e "$f" ] || continue
		if [ "${f##*.}" = "$first" ]; then role=sup
		elif grep -q 'prctl(PR_SET_NAME, "nsbox-init")' "$f"; then role=init
		else role=child; fi
		grep -oE '^[a-z0-9_]+\(' "$f" | tr -d '(' | sort | uniq -c |
			awk -v r="$role" '{print r, $2, $1}'
	done
}

# ---------------------------------------------------------------------------------------------
# What must be left after a login, failed or not: nothing. Every check prints what it found.

# processes: the helper's supervisors and inits (this build's helper binary), strace processes
# tracing it, and live processes of the test users in $FW_USERS
fw_procs() {
	local users=" $FW_USERS " pid stat comm user exe
	while read -r pid stat comm user; do
		[[ $stat == Z* ]] && continue
		case $comm in
		nsbox-helper | nsbox-init | nsbox-sweeper)
			exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
			[ "${exe% (deleted)}" = "$NSBOX_HELPER" ] || continue ;;
		strace) grep -qF -- "$NSBOX_HELPER" "/proc/$pid/cmdline" 2>/dev/null || continue ;;
		*) [[ $users == *" $user "* ]] || continue ;;
		esac
		echo "$pid:$user:$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")"
	done < <(ps -eo pid=,stat=,comm=,user:32= 2>/dev/null)
}

# the mount table of this test's namespace (mount points and sources, not ids); /run/netns
# itself, a mount point once any box had a named netns, is in the baseline (a warm-up login)
fw_mounts() { awk '{print $5, $9, $10}' /proc/self/mountinfo | sort; }

fw_netns() { ls /run/netns 2>/dev/null | grep '^nsbox-' || true; }

# records, reserved ids and temporaries under /run/nsbox/boxes (the gc stamp excepted)
fw_records() { ls -A /run/nsbox/boxes 2>/dev/null | grep -vx '\.gc' || true; }

# "live PID" or "dead PID" per held lease (the holder is the supervisor named by PID)
fw_leases() {
	cat /run/nsbox/leases/v* 2>/dev/null | awk '$2 == "held" {print $4}' |
		while read -r p; do if nsbox_alive "$p"; then echo "live $p"; else echo "dead $p"; fi; done
}

fw_baseline() {
	# after a warm-up login: its teardown may still be removing the box's netns name, a mount
	# the baseline must not hold (it would then be reported missing at every later check)
	nsbox_wait '[ -z "$(fw_procs)$(fw_netns)$(fw_records)$(nsbox_nsmarks)" ]' 10 ||
		nsbox_die "harness: the warm-up login left: $(echo $(fw_procs) $(fw_netns) $(fw_records))"
	FW_BASE_MOUNTS=$(fw_mounts)
}

# fw_leftovers : one line per thing left behind (empty when clean)
fw_leftovers() {
	local x
	x=$(fw_procs) && [ -n "$x" ] && printf 'process %s\n' $x
	x=$(diff <(echo "$FW_BASE_MOUNTS") <(fw_mounts) | grep '^[<>]') && printf 'mount %s\n' "$x"
	x=$(host_veths) && [ -n "$x" ] && printf 'veth %s\n' $x
	x=$(fw_netns) && [ -n "$x" ] && printf 'netns %s\n' $x
	x=$(fw_records) && [ -n "$x" ] && printf 'record %s\n' $x
	x=$(nsbox_nsmarks) && [ -n "$x" ] && printf 'nsmark %s\n' $x
	x=$(fw_leases) && [ -n "$x" ] && printf 'lease held by %s\n' "$x"
	return 0
}

# How long a verdict waits for the teardown to finish: a bound against a hang, not a speed claim
# (a loaded 2-core CI machine can take seconds to run an strace-slowed teardown).
FW_SETTLE=${FW_SETTLE:-10}

# fw_clean_within SECONDS : polls until nothing is left, at most SECONDS; prints what is left
# then. Status 0 when clean. Once no helper, strace or user process is left, nothing of the
# product is there to remove anything: what stays unchanged for a quarter second stays.
# How long each call took to see nothing left goes to $FW_TIMES, with $FW_WHAT (a figure for
# fw_times, the issue's "within 2 s": reported, never asserted).
FW_TIMES=$NSBOX_T/fw-clean-ms
fw_clean_within() {
	local t=$1 i left prev="" same=0 t0=${EPOCHREALTIME/./}
	for ((i = 0; i <= t * 20; i++)); do
		left=$(fw_leftovers)
		if [ -z "$left" ]; then
			echo "$(((${EPOCHREALTIME/./} - t0) / 1000)) ${FW_WHAT:-}" >>"$FW_TIMES"
			return 0
		fi
		if [[ $left != *process* ]] && [ "$left" = "$prev" ]; then
			same=$((same + 1))
			[ $same -ge 5 ] && break
		else
			same=0
		fi
		prev=$left
		sleep 0.05
	done
	echo "left ${FW_WHAT:-}" >>"$FW_TIMES"
	printf '%s\n' "$left"
	return 1
}

# fw_times LABEL [each] : one line on how long the checks above took to find nothing left (those
# that found something left first are counted: what only the gc or the next login collects);
# with "each", first a line per check
fw_times() {
	[ -s "$FW_TIMES" ] || return 0
	[ "${2:-}" = each ] && sed -E 's/^([0-9]+) /\1 ms: /; s/^left /something left (for the gc): /' "$FW_TIMES"
	grep -v '^left' "$FW_TIMES" | sort -n | awk -v label="$1" -v left="$(grep -c '^left' "$FW_TIMES")" '
		{ v[NR] = $1; w = $0; sub(/^[0-9]+ */, "", w); if ($1 > 2000) over++ }
		END { printf "%s: nothing left after %d checks: median %d ms, p99 %d ms, max %d ms%s; %d over 2 s; %d found something left for the gc first\n",
			label, NR, v[int((NR + 1) / 2)], v[int(NR * 0.99 + 0.999)], v[NR], w != "" ? " (" w ")" : "", over, left }'
	: >"$FW_TIMES"
}

# ---------------------------------------------------------------------------------------------
# One injection and its verdict

FW_HOST_PIDNS=$(readlink /proc/self/ns/pid)
FW_RUNS=0        # logins run under an injection
FW_DENIED=0      # ... refused
FW_RAN=0         # ... that ran the command boxed (the fault was after the reply, or tolerated)
FW_ENDED=0       # ... whose box ended under the session (supervisor or init died after the reply)
FW_GC=0          # ... that left something only the next gc (nsboxctl list) collects
FW_BAD=()        # one line per injection that broke a rule
FW_GCLIST=()     # one line per injection whose leftovers only the gc collected

# fw_login SERVICE USER : one login under the current wrapper args; prints the outcome word
# (ran | denied | ended | unboxed | other:RC) and leaves the command's output in $FW_OUT
fw_login() {
	local rc
	FW_OUT=$(timeout -k 5 60 "$NSBOX_PAMRUN" "$1" "$2" -- readlink /proc/self/ns/pid 2>&1)
	rc=$?
	if [ $rc = 0 ] && [ "$FW_OUT" = "$FW_HOST_PIDNS" ]; then echo unboxed
	elif [ $rc = 0 ]; then echo ran
	elif [ $rc = 126 ]; then echo denied
	# the box ended between the reply and the session's fork (the supervisor died or gave
	# up right after answering): pam-run's fork into the dead pid namespace fails
	elif [ $rc = 125 ] && [[ $FW_OUT == *"fork"* ]]; then echo ended
	# the box ended under the running command (its supervisor or init died): the pid
	# namespace's end SIGKILLs the command, before or after it printed the box's pid namespace
	# (never the host's); an unboxed command would have lived
	elif [ $rc = 137 ] && { [ -z "$FW_OUT" ] ||
		[[ $FW_OUT =~ ^pid:\[[0-9]+\]$ && $FW_OUT != "$FW_HOST_PIDNS" ]]; }; then echo ended
	else echo "other:$rc"; fi
}

# fw_gc : what an admin or the next login runs: collects the records of dead supervisors
fw_gc() { "$NSBOX_CTL" list >/dev/null 2>&1; }

# fw_one SERVICE USER SYSCALL N KIND(error|kill) : one injection, judged. Appends to FW_BAD
# what broke a rule and to FW_GCLIST what only the gc collected; status 0 when all is well.
fw_one() {
	local svc=$1 user=$2 sc=$3 n=$4 kind=$5 outcome left FW_WHAT="$1 $3#$4 $5"
	fw_inject "$sc" "$n" "$kind"
	outcome=$(fw_login "$svc" "$user")
	FW_RUNS=$((FW_RUNS + 1))
	case $outcome in
	denied) FW_DENIED=$((FW_DENIED + 1)) ;;
	ended) FW_ENDED=$((FW_ENDED + 1)) ;;
	ran) FW_RAN=$((FW_RAN + 1)) ;;
	*) FW_BAD+=("$svc $sc#$n $kind: login outcome $outcome: $FW_OUT") ;;
	esac
	local good=1
	[[ $outcome =~ ^(denied|ended|ran)$ ]] && good=0
	left=$(fw_clean_within $FW_SETTLE) && return $good
	[ -z "$left" ] && return 1
	# What a dead supervisor (killed, or failed in the removal itself) could not remove: its
	# record and the named netns that keeps the box's network alive are the gc's (nsboxctl
	# list here, the next login in production); a dead holder's lease is the next lease's.
	fw_gc
	if fw_clean_within $FW_SETTLE >/dev/null || fw_reclaim "$svc" "$user"; then
		FW_GC=$((FW_GC + 1))
		FW_GCLIST+=("$svc $sc#$n $kind ($outcome): left to the gc: $(echo $left)")
		return $good
	fi
	FW_BAD+=("$svc $sc#$n $kind ($outcome): left: $(echo $left); after the gc: $(fw_leftovers | tr '\n' ' ')")
	fw_force_clean
	return 1
}

# Only a dead holder's lease left: the next login of USER through SERVICE (untraced) reclaims it,
# and after its logout nothing is left.
fw_reclaim() {
	[ -z "$(fw_leftovers | grep -v '^lease held by dead ')" ] || return 1
	fw_plain
	[ "$(fw_login "$1" "$2")" = ran ] || return 1
	fw_clean_within $FW_SETTLE >/dev/null
}

# leftover of a broken injection, so the next one starts clean: everything this run made
fw_force_clean() {
	local p id
	for p in $(fw_procs | cut -d: -f1); do kill -KILL "$p" 2>/dev/null; done
	for id in $(fw_netns); do umount -l "/run/netns/$id" 2>/dev/null; rm -f "/run/netns/$id"; done
	for id in $(host_veths); do ip link del "$id" 2>/dev/null; done
	nsbox_wait '[ -z "$(fw_procs)" ]' 5
	fw_gc
	rm -f /run/nsbox/leases/* /run/nsbox/ns/* 2>/dev/null
	for id in $(fw_records); do rm -rf "/run/nsbox/boxes/$id"; done
}

# fw_plan SYSCALLS-REGEX STEP : "SYSCALL N" lines to inject, from the enumeration: every
# occurrence (STEP 1) or, for syscalls not matching SYSCALLS-REGEX, the first, the last and every
# STEP-th
fw_plan() {
	local all=$1 step=$2
	fw_enumerate | awk '{ if ($3 > max[$2]) max[$2] = $3 } END { for (s in max) print s, max[s] }' |
		sort | while read -r sc cnt; do
			for ((n = 1; n <= cnt; n++)); do
				if [[ $sc =~ ^($all)$ ]] || [ "$step" = 1 ] || [ $n = 1 ] || [ $n = "$cnt" ] ||
					[ $((n % step)) = 0 ]; then
					echo "$sc $n"
				fi
			done
		done
}

# fw_describe SYSCALL N : the Nth call of SYSCALL in each recorded process (for diagnostics)
fw_describe() {
	local f
	for f in "$FW_TRACE"/t.*; do
		grep -E "^$1\(" "$f" | sed -n "${2}p" | cut -c1-140
	done
}
