#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make bench, part 7: where one box's time goes. Run by bench/run.sh inside its private
# namespaces (root), after the PAM services nsbox-bench-* exist; writes into the results dir $1.
# strace slows every syscall down, so its raw times are inflated: the phase table also shows an
# estimate with a fixed per-syscall tracing cost taken out (calibrated against the same sessions
# timed without strace). perf (cpu-clock sampling, this VM has no PMU) gives the CPU split.
set -u
R=$1
PB=$NSBOX_BUILD/bench/pambench
ROW="pam|box-lo|nsbox-bench-lo||"

if ! command -v strace >/dev/null; then
	echo "skipped: strace not installed"
	exit 0
fi
# reference: the same sessions without tracing
"$PB" compare 50 "$R/prof-ref" "$ROW" >/dev/null
ref_open=$(awk -F, '$2 == "open" {print $5}' "$R/prof-ref.csv")
ref_close=$(awk -F, '$2 == "close" {print $5}' "$R/prof-ref.csv")

# 1. syscall counts and time, whole process tree, 3 warm-up + 20 sessions
strace -f -c -S calls -o "$R/strace-c.txt" "$PB" compare 20 "$R/prof-c" "$ROW" >/dev/null
echo "-- strace -c -f: syscalls per session (23 sessions: driver, its forks, helper, box init)"
awk 'NR > 2 && $NF != "total" && $1 !~ /^-/ {
	calls = ($5 ~ /^[0-9]+$/ && NF == 6) ? $4 : $4; name = $NF; err = (NF == 6) ? $5 : 0
	printf "  %-20s %6.1f calls  %5.1f failing\n", name, calls / 23, err / 23 }' "$R/strace-c.txt" |
	head -n 16

# 2. timeline of one session: 3 warm-up + 1 measured; the last helper exec'd is the measured one
strace -f -ttt -T -s 80 -o "$R/strace-T.txt" "$PB" compare 1 "$R/prof-T" "$ROW" >/dev/null
echo "-- phases of one session (strace -f -ttt -T, $R/strace-T.txt; reference without strace:"
echo "   open $ref_open ms, close $ref_close ms median of 50)"
awk -v ref_open="$ref_open" '
function ts(l) { split(l, a, " "); return a[2] + 0 }
function pid(l) { split(l, a, " "); return a[1] }
NR == 1 { D = pid($0) }
{ line[NR] = $0 }
/execveat\(/ { H = pid($0); hstart = NR }
END {
	# the measured session: from the driver opening the helper before the last exec
	for (i = hstart; i > 0; i--) if (pid(line[i]) == D && line[i] ~ /nsbox-helper", O_RDONLY\|O_CLOEXEC\|O_PATH/) break
	start = i
	for (i = hstart; i <= NR; i++) if (pid(line[i]) == H && line[i] ~ /clone3\(/) break
	for (; i <= NR; i++) if (line[i] ~ /clone3 resumed.* = [0-9]+/) { n = split(line[i], a, " "); I = a[n - 1]; break }
	np = 0
	P[++np] = "module: open helper, pidfd_open, socketpair";          W[np] = D; X[np] = "nsbox-helper\", O_RDONLY\\|O_CLOEXEC\\|O_PATH"
	P[++np] = "module: fork, child forks again, fd + 64 signal resets"; W[np] = D; X[np] = "^[0-9]+ [0-9.]+ clone\\("
	P[++np] = "helper: execveat + ld.so (libmnl, libcap, libc)";     W[np] = H; X[np] = "execveat\\("
	P[++np] = "helper: libc/libcap init, sanitize (creds, rlimits, 64 sigactions)"; W[np] = H; X[np] = "prlimit64\\(0, RLIMIT_STACK"
	P[++np] = "helper: receive the request";                          W[np] = H; X[np] = "recvmsg\\(3"
	P[++np] = "helper: state_gc (scan /run/nsbox/boxes)";             W[np] = H; X[np] = "\"/run/nsbox/boxes\", O_RDONLY"
	P[++np] = "helper: config open + parse";                          W[np] = H; X[np] = "O_PATH\\|O_DIRECTORY"
	P[++np] = "helper: NSS getpwnam + groups (files, libnss_systemd dlopen, userdb probes)"; W[np] = H; X[np] = "nsswitch.conf"
	P[++np] = "helper: reserve the box id, record";                   W[np] = H; X[np] = "mkdir\\(\"/run/nsbox\""
	P[++np] = "helper: clone3 into 5 new namespaces";                 W[np] = H; X[np] = "clone3\\("
	P[++np] = "init: fd setup, signals, / rslave, proc, sys, shm, mqueue"; W[np] = I; X[np] = "fcntl\\("
	P[++np] = "init: sethostname, lo up (netlink), drop capabilities"; W[np] = I; X[np] = "sethostname\\("
	P[++np] = "helper: wakes on ready, net_setup (none), writes the record"; W[np] = I; X[np] = "write\\(3,"
	P[++np] = "helper: reply with the init pidfd (SCM_RIGHTS)";       W[np] = H; X[np] = "sendmsg\\(3"
	P[++np] = "module: wake, recv, Threads check, save 5 ns fds, setns, chdir"; W[np] = D; X[np] = "recvmsg\\("
	P[++np] = "(open_session returned) driver: putenv, pam_set_data";  W[np] = D; X[np] = "chdir\\("
	P[++np] = "close: setns back x5, chdir, send CLOSE, SIGKILL the init, close fds"; W[np] = D; X[np] = "setns\\("
	P[++np] = "(close_session returned) rest of the cycle";            W[np] = D; X[np] = "pidfd_send_signal\\("
	k = 1; at[1] = start
	for (i = start + 1; i <= NR && k < np; i++)
		if (pid(line[i]) == W[k + 1] && line[i] ~ X[k + 1] && line[i] !~ /resumed/) at[++k] = i
	# calibrate the tracing cost per syscall on the open path (phases 1..15)
	nopen = 0; for (i = at[1]; i < at[16]; i++) if (line[i] !~ /resumed|\+\+\+|---/) nopen++
	topen = (ts(line[at[16]]) - ts(line[at[1]])) * 1000
	over = (topen - ref_open) / nopen
	printf "   %-72s %9s %6s %9s\n", "phase (open path, then close)", "strace ms", "calls", "est. ms"
	for (p = 1; p <= k; p++) {
		e = (p < k) ? at[p + 1] : at[p] + 1
		if (p == np) break
		c = 0; for (i = at[p]; i < e; i++) if (line[i] !~ /resumed|\+\+\+|---/) c++
		d = (ts(line[e]) - ts(line[at[p]])) * 1000
		est = d - c * over; if (est < 0) est = 0
		printf "   %-72s %9.3f %6d %9.3f\n", P[p], d, c, est
		if (p == 15) printf "   %-72s %9.3f %6d %9.3f  (tracing cost %.1f us/syscall)\n", "= open_session", topen, nopen, ref_open, over * 1000
	}
	if (k < np) printf "   (only %d of %d phase markers found: the helper changed; read the trace)\n", k, np
}' "$R/strace-T.txt"

# 3. CPU split by process and DSO, sampled over the whole machine (kworkers included)
if perf stat -e cpu-clock true >/dev/null 2>&1; then
	perf record -q -a -g -e cpu-clock -F 2999 -o "$R/perf.data" -- \
		"$PB" compare 100 "$R/prof-perf" "$ROW" >/dev/null 2>&1
	echo "-- perf (cpu-clock, whole machine, 103 sessions; other worktrees' tests included): by comm, dso"
	perf report -i "$R/perf.data" --no-children --sort comm,dso --stdio -g none 2>/dev/null |
		grep -E '^ +[0-9]' | grep -v swapper | head -n 18
	echo "-- perf: top symbols, by process (same samples)"
	perf report -i "$R/perf.data" --no-children --sort comm,dso,sym --stdio -g none 2>/dev/null |
		grep -E '^ +[0-9]' | grep -E 'pambench|nsbox|kworker|netns' | head -n 30
	rm -f "$R/perf.data"
else
	echo "-- perf: skipped (perf stat -e cpu-clock does not work here)"
fi
