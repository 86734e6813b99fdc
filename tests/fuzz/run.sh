#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make fuzz: runs each libFuzzer target (built by the Makefile into DIR) for FUZZ_SECONDS on a
# scratch copy of its seed corpus plus its regression inputs; unprivileged, writes only under DIR.
# One summary line per target and a last "fuzz: Result: PASS|FAIL"; exits non-zero when a target
# crashed (the input is kept as DIR/crash/NAME-*: fix the bug, then add the input to
# tests/fuzz/regress/NAME/ so `make check` replays it).
#
#   tests/fuzz/run.sh DIR NAME...
set -uo pipefail
dir=$1
shift
secs=${FUZZ_SECONDS:-30}
top=$(cd "$(dirname "$0")/../.." && pwd)

# longest input worth trying per target: a config, a lease file, a DHCP lease, one record
maxlen() {
	case $1 in
	conf) echo 16384 ;;
	lease) echo 8192 ;;
	dhcp) echo 4096 ;;
	*) echo 2048 ;;
	esac
}

fail=0
for name in "$@"; do
	bin=$dir/fuzz_$name work=$dir/work/$name log=$dir/$name.log
	mkdir -p "$work" "$dir/crash"
	seeds=("$top/tests/fuzz/corpus/$name")
	[ -d "$top/tests/fuzz/regress/$name" ] && seeds+=("$top/tests/fuzz/regress/$name")
	# -timeout: one input taking 10 s is a hang, and a failure like a crash
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$(maxlen "$name")" \
		-print_final_stats=1 -artifact_prefix="$dir/crash/$name-" "$work" "${seeds[@]}" \
		>"$log" 2>&1
	st=$?
	stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
	runs=$(stat number_of_executed_units) rate=$(stat average_exec_per_sec)
	corpus=$(find "$work" -type f | wc -l)
	if [ "$st" = 0 ]; then
		echo "fuzz $name: ${runs:-?} runs in ${secs} s (${rate:-?} exec/s), corpus $corpus inputs, no crash"
	else
		fail=1
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		echo "fuzz $name: FAILED (exit $st) after ${runs:-?} runs; input: ${art:-none written}; log: $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY:|.*runtime error:)' "$log" | head -n 5 | sed 's/^/    /'
	fi
done
if [ $fail = 0 ]; then
	echo "fuzz: Result: PASS ($# targets, $secs s each)"
else
	echo "fuzz: Result: FAIL"
fi
exit $fail
