#!/bin/bash
# make bench: what a box costs a login on this machine, printed as figures; nothing passes or
# fails on time. Root; runs in its own private network and mount namespaces through the test
# harness (tests/e2e/lib.sh), touches no stock PAM file and no real NIC.
#   N=200 make bench     # iterations per runner measurement (ssh uses N/5)
. "$(dirname "$0")/../tests/e2e/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$NSBOX_TOP/tests/e2e/common.sh"
nsbox_private_state

N=${N:-200}
U=nsbt-bench
nsbox_add_user $U
ip link add nsbt-benchbr type bridge
ip addr add 10.79.0.1/16 dev nsbt-benchbr
ip link set nsbt-benchbr up

LO=$(nsbox_conf lo.conf "[defaults]
hostname = %u-box")
BR=$(nsbox_conf br.conf "[defaults]
hostname = %u-box
network = bridge
bridge = nsbt-benchbr
address = pool 10.79.0.0/16
gateway = 10.79.0.1")
nsbox_pam_service nsbox-test-bench-none "account required pam_permit.so
session required pam_permit.so"
nsbox_service nsbox-test-bench-lo "conf=$LO"
nsbox_service nsbox-test-bench-br "conf=$BR"

# median and p90 in ms of "$@" run $1 times
measure() {
	local n=$1 i t0 t1
	shift
	for i in $(seq 1 "$n"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | sort -n | awk -v n="$n" '{a[NR]=$1} END {printf "median %7.2f ms   p90 %7.2f ms   (n=%d)\n", a[int(n/2)+1]/1000, a[int(n*0.9)]/1000, n}'
}
row() { printf '  %-38s ' "$1"; shift; measure "$@"; }

echo "== session runner: fork, PAM open, exec /bin/true as the user, PAM close =="
row "no pam_nsbox (pam_permit only)" "$N" "$NSBOX_PAMRUN" nsbox-test-bench-none $U -- /bin/true
row "boxed, loopback only" "$N" "$NSBOX_PAMRUN" nsbox-test-bench-lo $U -- /bin/true
row "boxed, bridged (veth + pool lease)" "$N" "$NSBOX_PAMRUN" nsbox-test-bench-br $U -- /bin/true

S=$((N / 5))
[ "$S" -ge 5 ] || S=5
echo "== real sshd on 127.0.0.1: ssh user@127.0.0.1 true (curve25519 key exchange) =="
for v in none lo br; do
	nsbox_sshd_start nsbox-test-bench-$v
	nsbox_ssh_authorize $U
	label=$v
	[ $v = none ] && label="no pam_nsbox"
	[ $v = lo ] && label="boxed, loopback only"
	[ $v = br ] && label="boxed, bridged (veth + pool lease)"
	row "$label" "$S" nsbox_ssh $U -- true
done
nsbox_sshd_stop
nsbox_check_clean "after the benchmark"
