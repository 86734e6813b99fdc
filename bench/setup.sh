#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make bench: installs the benchmark's own comparison tools from Debian (root, host package
# database); a tool that cannot be installed is skipped with a printed reason, never an error.
# tests/install-deps.sh owns the product's and the tests' dependencies; this owns only these.
set -u
want=(bubblewrap firejail gnuplot-nox hyperfine linux-perf strace valgrind)
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0
if [ "$(id -u)" != 0 ]; then
	echo "bench/setup.sh: not root; not installing ${missing[*]}" >&2
	exit 0
fi
echo "bench/setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || echo "bench/setup.sh: apt-get update failed; trying the cached lists" >&2
# One at a time: one unavailable package must not stop the others.
for p in "${missing[@]}"; do
	if ! out=$(apt-get install -y -qq --no-install-recommends "$p" 2>&1); then
		echo "bench/setup.sh: skipping $p: $(printf '%s\n' "$out" | grep -E '^E:' | head -n 1)" >&2
	fi
done
exit 0
