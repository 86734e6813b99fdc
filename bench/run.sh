#!/bin/bash
# make bench: prints what a box costs a login on this machine. Root; runs inside its own private
# network and mount namespaces; touches no stock PAM file and no real NIC. Prints figures only:
# nothing here passes or fails on time.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "${NSBOX_BENCH_NS:-}" != 1 ]; then
	exec unshare --net --mount --propagation private -- env NSBOX_BENCH_NS=1 "$0" "$@"
fi
N=${N:-200}
T=$(mktemp -d /tmp/nsbox-bench.XXXXXX)
chmod 755 "$T"
user=nsbt-bench
svcs=()
cleanup() {
	set +e
	for s in "${svcs[@]}"; do rm -f "/etc/pam.d/$s"; done
	getent passwd $user >/dev/null && userdel -r $user >/dev/null 2>&1
	ip link del nsbt-benchbr 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ip link set lo up
mkdir -p /run/nsbox && mount -t tmpfs -o mode=0700 nsbox-bench /run/nsbox
useradd -M -s /bin/sh $user
ip link add nsbt-benchbr type bridge && ip addr add 10.79.0.1/16 dev nsbt-benchbr && ip link set nsbt-benchbr up

cat >"$T/lo.conf" <<EOC
[defaults]
hostname = %u-box
EOC
cat >"$T/br.conf" <<EOC
[defaults]
hostname = %u-box
network = bridge
bridge = nsbt-benchbr
address = pool 10.79.0.0/16
gateway = 10.79.0.1
EOC
svc() { # name module-line
	printf 'account required pam_permit.so\nsession required %s\n' "$2" >"/etc/pam.d/$1"
	svcs+=("$1")
}
svc nsbox-test-bench-none "pam_permit.so"
svc nsbox-test-bench-lo "$top/build/pam_nsbox.so helper=$top/build/nsbox-helper conf=$T/lo.conf"
svc nsbox-test-bench-br "$top/build/pam_nsbox.so helper=$top/build/nsbox-helper conf=$T/br.conf"

# median and p90 of N runs of "pam-run SERVICE user true", in ms
measure() {
	local svc=$1 i t0 t1
	for i in $(seq 1 "$N"); do
		t0=$(date +%s%N)
		"$top/build/tests/pam-run" "$svc" $user -- /bin/true
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | sort -n | awk -v n="$N" '{a[NR]=$1} END {printf "median %.2f ms  p90 %.2f ms  (n=%d)\n", a[int(n/2)+1]/1000, a[int(n*0.9)]/1000, n}'
}
echo "== login + command + logout through the session runner (fork, PAM, exec /bin/true) =="
printf '%-34s ' "no pam_nsbox (pam_permit only):"; measure nsbox-test-bench-none
printf '%-34s ' "boxed, loopback only:"; measure nsbox-test-bench-lo
printf '%-34s ' "boxed, bridged (veth + pool lease):"; measure nsbox-test-bench-br
