#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make bench: what a box costs a login on this machine, side by side with the kernel floor and
# the tools an admin would use instead; figures only, nothing passes or fails on time. Root; runs
# in its own private network and mount namespaces through the test harness (tests/e2e/lib.sh),
# writes only /etc/pam.d/nsbox-bench-* and the user nsbt-bench (both removed at exit), touches no
# stock PAM file and no real NIC. Run it under the e2e lock: flock /tmp/nsbox-e2e.lock make bench
#   BENCH_N=200 SCALE_MAX=4000 STORM_SECS=30 BENCH_PROFILE=1 ./bench/run.sh
. "$(dirname "$0")/../tests/e2e/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$NSBOX_TOP/tests/e2e/common.sh"
nsbox_private_state

BENCH_N=${BENCH_N:-200}
SCALE_MAX=${SCALE_MAX:-4000}
STORM_SECS=${STORM_SECS:-30}
BENCH_PROFILE=${BENCH_PROFILE:-1}
BENCH_PARTS=${BENCH_PARTS:-compare ssh scale scale-br scale-rt storm}
part() { [[ " $BENCH_PARTS " == *" $1 "* ]]; }
PB=$NSBOX_BUILD/bench/pambench
[ -x "$PB" ] || nsbox_die "$PB missing (make bench builds it)"
RES=$NSBOX_TOP/bench/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RES"
export BENCH_USER=nsbt-bench BENCH_BRIDGE=nsbt-benchbr
U=$BENCH_USER

# /etc/pam.d/nsbox-bench-NAME, removed by the harness at exit
bench_pam() {
	local f=/etc/pam.d/nsbox-bench-$1
	[[ $1 =~ ^[a-z0-9-]+$ ]] || nsbox_die "bad service name $1"
	_nsbox_pamfiles+=("$f")
	printf '%s\n' "$2" >"$f.tmp.$$" && chmod 0644 "$f.tmp.$$" && mv -f "$f.tmp.$$" "$f" ||
		nsbox_die "cannot write $f"
}
PERMIT="auth     required pam_permit.so
account  required pam_permit.so
session  required pam_permit.so"
bench_box() { bench_pam "$1" "$PERMIT
session  required $NSBOX_MODULE helper=$NSBOX_HELPER conf=$2"; }

nsbox_add_user $U
ip link add $BENCH_BRIDGE type bridge || nsbox_die "cannot create the bench bridge"
ip addr add 10.79.0.1/16 dev $BENCH_BRIDGE
ip link set $BENCH_BRIDGE up

LO=$(nsbox_conf lo.conf "[defaults]
hostname = %u-box")
NONET=$(nsbox_conf nonet.conf "[defaults]
namespaces = pid mount ipc uts
hostname = %u-box")
BR=$(nsbox_conf br.conf "[defaults]
hostname = %u-box
network = bridge
bridge = $BENCH_BRIDGE
address = pool 10.79.0.0/16
gateway = 10.79.0.1")
# the routed box: a veth and no bridge, the host end with the gateway and a host route
# (helper/routed.c); the bench's namespace does not forward, which a login does not need
RT=$(nsbox_conf rt.conf "[defaults]
hostname = %u-box
network = routed
address = pool 10.80.0.0/16
gateway = 10.80.0.1")
# the bridged box with a 10-destination egress list (its table on the host end of the veth)
BREG=$(nsbox_conf bregress.conf "[defaults]
hostname = %u-box
network = bridge
bridge = $BENCH_BRIDGE
address = pool 10.79.0.0/16
gateway = 10.79.0.1
egress = 10.0.0.5:22/tcp 10.0.0.6:22/tcp 10.1.0.0/16 10.2.0.0/24:443/tcp 10.3.0.1:53/udp \
	192.168.0.0/16:1000-2000 [2001:db8::1]:22/tcp 2001:db8:1::/48 [2001:db8:2::5]:443 0.0.0.0/0:80/tcp")
RSTR=$(nsbox_conf rstr.conf "[defaults]
hostname = %u-box
profile = restricted")
RSTR_NOLIM=$(nsbox_conf rstr-nolim.conf "[defaults]
hostname = %u-box
profile = restricted
memory_max = none
tasks_max = none
cpu_quota = none")
LIM=$(nsbox_conf lim.conf "[defaults]
hostname = %u-box
memory_max = 2g
tasks_max = 512
cpu_quota = 100%")
bench_pam permit "$PERMIT"
bench_box lo "$LO"
bench_box rstr "$RSTR"
bench_box lim "$LIM"
bench_box rstr-nolim "$RSTR_NOLIM"
bench_box nonet "$NONET"
bench_box br "$BR"
bench_box bregress "$BREG"
bench_box rt "$RT"

# BENCH_BASELINE=DIR: another build's module and helper (DIR/pam_nsbox.so, DIR/nsbox-helper, e.g.
# the build of the commit before a change): its rows run next to these in parts 1, 4 and 4b
bench_base() { bench_pam "base-$1" "$PERMIT
session  required $BENCH_BASELINE/pam_nsbox.so helper=$BENCH_BASELINE/nsbox-helper conf=$2"; }
if [ -n "${BENCH_BASELINE:-}" ]; then
	[ -f "$BENCH_BASELINE/pam_nsbox.so" ] && [ -x "$BENCH_BASELINE/nsbox-helper" ] ||
		nsbox_die "BENCH_BASELINE=$BENCH_BASELINE: no pam_nsbox.so and nsbox-helper there"
	bench_base lo "$LO"
	bench_base nonet "$NONET"
	bench_base br "$BR"
fi

load() { awk '{printf "%s %s %s", $1, $2, $3}' /proc/loadavg; }
others() { # e2e or unit runs of other worktrees happening now: the figures are noisier then
	pgrep -c -f 'prove|tests/e2e/t[0-9]' 2>/dev/null || true
}
{
	echo "date: $(date -Is)  host: $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print $2" kB"}' /proc/meminfo)"
	echo "commit: $(git -C "$NSBOX_TOP" rev-parse --short HEAD 2>/dev/null) $(git -C "$NSBOX_TOP" status --porcelain 2>/dev/null | grep -q . && echo '(dirty)')"
	echo "load average at start: $(load); other test processes running: $(others)"
	echo "BENCH_N=$BENCH_N SCALE_MAX=$SCALE_MAX STORM_SECS=$STORM_SECS"
} | tee "$RES/env.txt"

# ---------------------------------------------------------------------------------------------
if part compare; then
echo
echo "== 1+2. one login's box, in-process PAM, interleaved with the kernel floor and other tools =="
rows=(
	"cmd|exec true|true||"
	"pam|pam_permit only (PAM baseline)|nsbox-bench-permit||"
	"pam|box: loopback only, 5 ns|nsbox-bench-lo|unshare -n: 5 ns|pam_permit only (PAM baseline)"
	"pam|box: no net, 4 ns|nsbox-bench-nonet|unshare: 4 ns, no -n|pam_permit only (PAM baseline)"
	"pam|box: bridged, veth + pool lease|nsbox-bench-br|unshare -n: 5 ns|pam_permit only (PAM baseline)"
	"pam|box: routed, veth + pool lease|nsbox-bench-rt|unshare -n: 5 ns|pam_permit only (PAM baseline)"
	"pam|box: bridged + egress, 10 destinations|nsbox-bench-bregress|box: bridged, veth + pool lease|pam_permit only (PAM baseline)"
	"pam|box: restricted profile (shipped)|nsbox-bench-rstr|unshare -n: 5 ns|pam_permit only (PAM baseline)"
	"pam|box: restricted, limits none|nsbox-bench-rstr-nolim|unshare -n: 5 ns|pam_permit only (PAM baseline)"
	"pam|box: loopback + limits|nsbox-bench-lim|box: loopback only, 5 ns|pam_permit only (PAM baseline)"
	"floor|floor: clone 4 ns + mounts|4ns|unshare: 4 ns, no -n|"
	"floor|floor: clone 5 ns + mounts|5ns|unshare -n: 5 ns|"
	"floor|floor: 5 ns + veth, addr, route|veth|unshare -n: 5 ns|"
	"cmd|unshare -n: 5 ns|unshare -p -f -m -i -u -n --mount-proc true|unshare -n: 5 ns|exec true"
	"cmd|unshare: 4 ns, no -n|unshare -p -f -m -i -u --mount-proc true|unshare: 4 ns, no -n|exec true"
)
# BENCH_BASELINE: the same box rows through the other build, interleaved with these rows
if [ -n "${BENCH_BASELINE:-}" ]; then
	rows+=(
		"pam|baseline build: loopback only|nsbox-bench-base-lo|unshare -n: 5 ns|pam_permit only (PAM baseline)"
		"pam|baseline build: no net, 4 ns|nsbox-bench-base-nonet|unshare: 4 ns, no -n|pam_permit only (PAM baseline)"
		"pam|baseline build: bridged|nsbox-bench-base-br|unshare -n: 5 ns|pam_permit only (PAM baseline)"
	)
fi
# where systemd is PID 1 every box gets a transient unit over D-Bus (helper/unit.c): the same
# round trips, made by systemd-run for a scope of its own, show that part of a box's cost
if [ -d /run/systemd/system ]; then
	rows+=("cmd|systemd-run --scope true (a transient unit)|systemd-run --scope --quiet true|exec true|exec true")
fi
if command -v bwrap >/dev/null; then
	rows+=("cmd|bwrap --unshare-all|bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev true|unshare -n: 5 ns|exec true")
else
	rows+=("na|bwrap --unshare-all|skipped: bwrap not installed (bench/setup.sh could not install bubblewrap)||")
fi
if ! command -v firejail >/dev/null; then
	rows+=("na|firejail --net=none|skipped: firejail not installed||")
elif ! out=$(firejail --quiet --noprofile --net=none true 2>&1); then
	rows+=("na|firejail --net=none|skipped: firejail fails here: $(echo "$out" | head -n 1)||")
else
	rows+=("cmd|firejail --net=none|firejail --quiet --noprofile --net=none true|unshare -n: 5 ns|exec true")
fi
"$PB" compare "$BENCH_N" "$RES/compare" "${rows[@]}" | tee "$RES/compare.txt" ||
	nsbox_die "pambench compare failed"
echo "(ns = namespaces; every box row is all five unless it says otherwise; the bridged box's"
echo " unshare(1) counterpart has no veth, so its ratio also carries the veth and the lease)"
fi

# ---------------------------------------------------------------------------------------------
# Where systemd is PID 1, part 1's box rows carry the box's unit (helper/unit.c), whose limits
# are its properties. Here the same boxes without it: systemd hidden from the helper (an empty
# /run/systemd in a mount namespace of this pass only). The unit's cost is the difference of
# the two passes' rows; limits cannot come along (without the unit they are cgroups of the
# box's own, below the login's: a login in a logind scope has no controllers there), so the
# restricted profile runs here with its limits off, and part 1 shows it with them too.
if part compare && [ -d /run/systemd/system ]; then
echo
echo "== 1b. with systemd hidden from the helper: the same boxes without their unit =="
unshare -m --propagation private sh -c 'mount -t tmpfs -o size=4k nsbox-bench /run/systemd &&
	exec "$@"' sh "$PB" compare "$BENCH_N" "$RES/compare-nounit" \
	"pam|pam_permit only (PAM baseline)|nsbox-bench-permit||" \
	"pam|no unit: loopback only|nsbox-bench-lo||pam_permit only (PAM baseline)" \
	"pam|no unit: restricted, limits none|nsbox-bench-rstr-nolim|no unit: loopback only|pam_permit only (PAM baseline)" |
	tee "$RES/compare-nounit.txt"
[ "${PIPESTATUS[0]}" = 0 ] || nsbox_die "pambench compare (systemd hidden) failed"
echo "(the unit's cost: part 1's loopback row against this pass's; the restricted row of part 1"
echo " adds the unit and its limits)"
fi

# ---------------------------------------------------------------------------------------------
if part ssh; then
echo
echo "== 3. ssh login to 127.0.0.1, one sshd build, two PAM services, logins alternated =="
SSH_N=$((BENCH_N / 5))
[ "$SSH_N" -ge 30 ] || SSH_N=30
bench_pam ssh-plain "$PERMIT"
bench_box ssh-box "$LO"
bench_box ssh-rstr "$RSTR"
nsbox_ssh_authorize $U
_nsbox_ssh_keys
mkdir -p /run/sshd && chmod 0755 /run/sshd
sshver=$(ssh -V 2>&1 | sed -n 's/^OpenSSH_\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
new_sshd=0
[ -n "$sshver" ] && set -- $sshver && { [ "$1" -gt 9 ] || { [ "$1" = 9 ] && [ "$2" -ge 8 ]; }; } && new_sshd=1
# bench_sshd SERVICE PORT : a listener of $NSBOX_SSHD_BIN whose logins use PAM service SERVICE
bench_sshd() {
	local svc=$1 port=$2 cfg=$NSBOX_T/sshd_config.$1 i arg0 extra=()
	sed -e "s/^Port .*/Port $port/" -e "s|^PidFile .*|PidFile $NSBOX_T/sshd.$svc.pid|" \
		"$NSBOX_T/sshd_config.base" >"$cfg"
	if [ $new_sshd = 1 ]; then
		arg0=$NSBOX_SSHD_BIN
		extra=(-o "PAMServiceName=$svc")
	else # 9.7 and older name the PAM service after argv[0]
		arg0=$NSBOX_T/$svc
		ln -sfn "$NSBOX_SSHD_BIN" "$arg0"
	fi
	"$arg0" -D -f "$cfg" "${extra[@]}" -E "$NSBOX_T/sshd.$svc.log" </dev/null >/dev/null 2>&1 &
	nsbox_track_pid $!
	bench_sshd_pids+=($!)
	for ((i = 0; i < 200; i++)); do
		_nsbox_port_listening "$port" && return 0
		sleep 0.05
	done
	nsbox_die "sshd for $svc did not start" "$(cat "$NSBOX_T/sshd.$svc.log")"
}
bench_sshd_pids=()
# the listeners go before the scale run: it should not count them
nsbox_kill_tracked_sshd() { _nsbox_kill_pids 20 "${bench_sshd_pids[@]}"; }
cat >"$NSBOX_T/sshd_config.base" <<EOF
ListenAddress 127.0.0.1
Port 0
HostKey $NSBOX_T/ssh/host_ed25519
PidFile x
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $NSBOX_T/keys/%u
StrictModes no
UseDNS no
PermitRootLogin no
PrintMotd no
PrintLastLog no
MaxStartups 100
LogLevel ERROR
EOF
bench_sshd nsbox-bench-ssh-plain 22101
bench_sshd nsbox-bench-ssh-box 22102
bench_sshd nsbox-bench-ssh-rstr 22103
NSBOX_SSH_PORT=1 _nsbox_ssh_opts
sshcmd="timeout 30 ssh ${_NSBOX_SSH_OPTS[*]} -p"
"$PB" compare "$SSH_N" "$RES/ssh" \
	"cmd|ssh, plain PAM stack|$sshcmd 22101 $U@127.0.0.1 true|ssh, plain PAM stack|" \
	"cmd|ssh, + pam_nsbox (loopback box)|$sshcmd 22102 $U@127.0.0.1 true|ssh, plain PAM stack|" \
	"cmd|ssh, + pam_nsbox (restricted: limits, attach)|$sshcmd 22103 $U@127.0.0.1 true|ssh, plain PAM stack|" |
	tee "$RES/ssh.txt" || nsbox_die "ssh comparison failed"
echo "(x ref of the boxed row = ratio of medians, boxed / plain; the client is ssh(1) with"
echo " curve25519, key auth; OpenSSH $(ssh -V 2>&1 | cut -d, -f1))"
nsbox_kill_tracked_sshd
fi

# ---------------------------------------------------------------------------------------------
if part scale; then
echo
echo "== 4. scale: N live loopback boxes, each held by its own process (like an sshd monitor) =="
cps=()
for c in 1 10 100 500 1000 2000 3000 4000 6000 8000; do
	[ "$c" -le "$SCALE_MAX" ] && cps+=("$c")
done
[[ " ${cps[*]} " == *" $SCALE_MAX "* ]] || cps+=("$SCALE_MAX")
echo "-- reference: the same holder processes with pam_permit only (no box):"
"$PB" scale nsbox-bench-permit "$SCALE_MAX" "$RES/scale-permit" "${cps[@]}" | tee "$RES/scale-permit.txt"
if [ -n "${BENCH_BASELINE:-}" ]; then
	echo "-- boxes of the baseline build ($BENCH_BASELINE), run just before this build's:"
	"$PB" scale nsbox-bench-base-lo "$SCALE_MAX" "$RES/scale-base-lo" "${cps[@]}" |
		tee "$RES/scale-base-lo.txt" || nsbox_die "baseline scale run failed"
fi
echo "-- boxes:"
"$PB" scale nsbox-bench-lo "$SCALE_MAX" "$RES/scale-lo" "${cps[@]}" | tee "$RES/scale-lo.txt" ||
	nsbox_die "scale run failed"
echo "-- memory per box, net of its holder process (box row minus pam_permit row; the kernel"
echo "   stacks and page tables are the supervisor's, the init's and the sweeper's):"
mem_rows() { # CSV LABEL
	awk -F, -v label="$2" 'FNR == 1 || /^#/ {next}
		FILENAME ~ /permit/ {a[$2] = $7; s[$2] = $8; k[$2] = $10; p[$2] = $11; next}
		($2 in a) {printf "  %-9s %5d live: MemAvailable %7.1f KiB, Slab %6.1f, KStack %5.1f, PgTbl %5.1f KiB per box\n",
			label, $2, $7 - a[$2], $8 - s[$2], $10 - k[$2], $11 - p[$2]}' "$RES/scale-permit.csv" "$1"
}
{
	[ -n "${BENCH_BASELINE:-}" ] && mem_rows "$RES/scale-base-lo.csv" baseline
	mem_rows "$RES/scale-lo.csv" this
} | tee "$RES/scale-mem.txt"
fi

# ---------------------------------------------------------------------------------------------
if part scale-br; then
echo
echo "== 4b. scale: N live bridged boxes (veth + pool lease), spread over bridges by 'bridge = ...' =="
# one bridge takes 1023 ports: one per 900 boxes, the bench bridge (with the gateway) first
brs=($BENCH_BRIDGE)
for ((i = 1; i * 900 < SCALE_MAX && i < 8; i++)); do
	ip link add nsbt-benchbr$i type bridge && ip link set nsbt-benchbr$i up ||
		nsbox_die "cannot create bridge nsbt-benchbr$i"
	brs+=(nsbt-benchbr$i)
done
BRS=$(nsbox_conf brs.conf "[defaults]
hostname = %u-box
network = bridge
bridge = ${brs[*]}
address = pool 10.79.0.0/16
gateway = 10.79.0.1")
bench_box brs "$BRS"
cps=()
for c in 1 10 100 500 1000 2000 3000 4000 6000 8000; do
	[ "$c" -le "$SCALE_MAX" ] && cps+=("$c")
done
[[ " ${cps[*]} " == *" $SCALE_MAX "* ]] || cps+=("$SCALE_MAX")
echo "-- bridge = ${brs[*]}"
if [ -n "${BENCH_BASELINE:-}" ]; then
	bench_base brs "$BRS"
	echo "-- boxes of the baseline build ($BENCH_BASELINE), run just before this build's:"
	"$PB" scale nsbox-bench-base-brs "$SCALE_MAX" "$RES/scale-base-br" "${cps[@]}" |
		tee "$RES/scale-base-br.txt" || nsbox_die "baseline bridged scale run failed"
	echo "-- boxes:"
fi
"$PB" scale nsbox-bench-brs "$SCALE_MAX" "$RES/scale-br" "${cps[@]}" | tee "$RES/scale-br.txt" ||
	nsbox_die "bridged scale run failed"
fi

# ---------------------------------------------------------------------------------------------
if part scale-rt; then
echo
echo "== 4c. scale: N live routed boxes (veth + pool lease, no bridge: one host end each) =="
cps=()
for c in 1 10 100 500 1000 2000 3000 4000 6000 8000; do
	[ "$c" -le "$SCALE_MAX" ] && cps+=("$c")
done
[[ " ${cps[*]} " == *" $SCALE_MAX "* ]] || cps+=("$SCALE_MAX")
"$PB" scale nsbox-bench-rt "$SCALE_MAX" "$RES/scale-rt" "${cps[@]}" | tee "$RES/scale-rt.txt" ||
	nsbox_die "routed scale run failed"
fi

# ---------------------------------------------------------------------------------------------
if part storm; then
echo
echo "== 5. login storm: 8 workers doing open/close cycles of loopback boxes for $STORM_SECS s =="
"$PB" storm nsbox-bench-lo 8 "$STORM_SECS" "$RES/storm" | tee "$RES/storm.txt" ||
	nsbox_die "storm failed"
fi

# ---------------------------------------------------------------------------------------------
if [ "$BENCH_PROFILE" = 1 ]; then
	echo
	echo "== 7. where the time goes (strace of 20 loopback sessions; see bench/README.md) =="
	"$NSBOX_TOP/bench/profile.sh" "$RES" 2>&1 | tee "$RES/profile.txt"
fi

# ---------------------------------------------------------------------------------------------
echo
echo "== 6. plots =="
if command -v gnuplot >/dev/null; then
	"$NSBOX_TOP/bench/plot.sh" "$RES" && ls "$RES"/*.png
else
	echo "skipped: gnuplot not installed (bench/setup.sh could not install gnuplot-nox)"
fi
echo "load average at the end: $(load); other test processes running: $(others)" | tee -a "$RES/env.txt"
echo "results: $RES"
nsbox_check_clean "after the benchmark"
