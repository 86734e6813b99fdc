#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Lease databases: keyed by address, one per family for the whole host, so a pool
# widened while a box is live does not hand out the live box's address again; the
# per-pool files of earlier versions are merged in on upgrade; and no ordinary user can open
# (so flock) any lease, lock or record file under /run/nsbox, shown with a probe that succeeds
# on a copy whose modes are relaxed. A test bridge in this test's own network namespace.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state
nsbox_require_cmd python3

BR=nsbt-br51
ip link add $BR type bridge
ip addr add 10.51.0.1/24 dev $BR
ip link set $BR up

for u in nsbt-wa1 nsbt-wa2 nsbt-wa3 nsbt-lk; do nsbox_add_user $u; done
pool_conf() { # FIRST-LAST of the pool
	nsbox_conf nsbox.conf "[defaults]
hostname = %u

[match user=nsbt-wa*]
network = bridge
bridge  = $BR
address = pool 10.51.0.0/24 $1
gateway = 10.51.0.1"
}
CONF=$(pool_conf 10.51.0.10-10.51.0.11)
SVC=nsbox-test-lease
nsbox_service $SVC "conf=$CONF"

# Sessions that last until the test closes its end of $FIFO: each reads its stdin (the FIFO)
# to EOF. Fd 9, the test's write end, is closed for them (pam-run passes fds >= 3 on).
FIFO=$NSBOX_T/hold
mkfifo "$FIFO"
exec 9<>"$FIFO"
hold() { # USER OUTFILE
	"$NSBOX_PAMRUN" $SVC "$1" -- sh -c 'echo $NSBOX_IPV4; read x; exit 0' <"$FIFO" >"$2" 2>&1 9>&- &
	nsbox_track_pid $!
	held+=($!)
}
release() { exec 9>&-; wait "${held[@]}"; held=(); exec 9<>"$FIFO"; }
held=()

# ---- widen the pool while a box holds an address ----
hold nsbt-wa1 "$NSBOX_T/a1"
nsbox_wait '[ -s "$NSBOX_T/a1" ]' 10
A1=$(head -1 "$NSBOX_T/a1")
is "$A1" "10.51.0.10" "first box, pool .10-.11: gets .10"
CONF=$(pool_conf 10.51.0.10-10.51.0.20)
hold nsbt-wa2 "$NSBOX_T/a2"
nsbox_wait '[ -s "$NSBOX_T/a2" ]' 10
A2=$(head -1 "$NSBOX_T/a2")
like "$A2" '^10\.51\.0\.(1[0-9]|20)$' "second user after widening to .10-.20 gets a pool address ($A2)"
isnt "$A2" "$A1" "the widened pool does not hand out the live box's address again"
is "$(held_leases)" 2 "both leases held, in one database"
is "$(ls /run/nsbox/leases | tr '\n' ' ')" "v4 " "one lease database for IPv4, named v4"
release
nsbox_check_clean "widened pool"
is "$(held_leases)" 0 "widened pool: both leases released"

# ---- upgrade: a per-pool file of an earlier version, held by a live owner, is honoured ----
sleep 1000 </dev/null >/dev/null 2>&1 9>&- &
OWNER=$!
nsbox_track_pid $OWNER
START=$(awk '{sub(/^.*\) /, ""); print $20}' /proc/$OWNER/stat)
OLD=/run/nsbox/leases/v4-10.51.0.0-24-10.51.0.10-10.51.0.11
printf '10.51.0.10 held 0ld00001 %s %s nsbt-old\n' $OWNER "$START" >"$OLD"
chmod 0600 "$OLD"
: >"/run/nsbox/leases/.v4-10.51.0.0-24-10.51.0.10-10.51.0.11.lock"
hold nsbt-wa3 "$NSBOX_T/a3"
nsbox_wait '[ -s "$NSBOX_T/a3" ]' 10
A3=$(head -1 "$NSBOX_T/a3")
like "$A3" '^10\.51\.0\.' "login next to a legacy lease file works ($A3)"
isnt "$A3" "10.51.0.10" "the live legacy lease's address is not handed out"
ok $([ ! -e "$OLD" ] && [ ! -e "/run/nsbox/leases/.v4-10.51.0.0-24-10.51.0.10-10.51.0.11.lock" ]; echo $?) \
	"the legacy file and its lock were merged and removed"
like "$(cat /run/nsbox/leases/v4)" "10\.51\.0\.10 held 0ld00001 $OWNER $START nsbt-old" \
	"the legacy lease is in the v4 database"

# ---- lock safety: while boxes are live, as an ordinary user, nothing under /run/nsbox opens ----
hold nsbt-wa1 "$NSBOX_T/a4"
nsbox_wait '[ -s "$NSBOX_T/a4" ]' 10
# python3 as the user: open(O_RDONLY) and flock(LOCK_EX|LOCK_NB) each path; one line per path
PROBE='import errno, fcntl, os, sys
for p in sys.argv[1:]:
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        print(p, "open", errno.errorcode[e.errno]); continue
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print(p, "locked")
    except OSError as e:
        print(p, "flock", errno.errorcode[e.errno])
    os.close(fd)'
probe() { runuser -u nsbt-lk -- python3 -c "$PROBE" "$@" 2>&1; }
mapfile -t paths < <(find /run/nsbox -mindepth 0 ! -type l)
kinds=$(for p in "${paths[@]}"; do basename "$p"; done | sed 's/^[0-9a-f]\{8\}$/ID/' | sort -u)
missing=$(for k in nsbox boxes ID record leases v4 .v4.lock; do grep -qxF -- "$k" <<<"$kinds" || echo "$k"; done)
is "$missing" "" "the probe covers the lease database, its lock, the box directories and records ($(echo $kinds))"
out=$(probe "${paths[@]}")
is "$(printf '%s\n' "$out" | grep -vc ' open EACCES$')" 0 "an ordinary user cannot open any of the ${#paths[@]} paths under /run/nsbox (EACCES)" "$out"
is "$(printf '%s\n' "$out" | grep -c .)" "${#paths[@]}" "one answer per path"
# each file of the lease directory and each record is private by itself too, not only by the
# 0700 directories above it
bad=$(find /run/nsbox/leases /run/nsbox/boxes \( -type f -o -type d \) -perm /077 \
	! -name resolv.conf -printf '%m %p\n')
is "$bad" "" "lease files, lock files, box directories and records have no group/other bits"
is "$(stat -c %a /run/nsbox/leases)" 700 "the lease directory is 0700"
# the probe itself: on a copy with modes relaxed, the same open and flock succeed
COPY=$NSBOX_T/relaxed
cp -a /run/nsbox "$COPY"
chmod -R go+rX "$COPY"
mapfile -t cpaths < <(find "$COPY" -mindepth 0 ! -type l)
out=$(probe "${cpaths[@]}")
is "$(printf '%s\n' "$out" | grep -vc ' locked$')" 0 "probe: on a relaxed copy the user opens and locks all ${#cpaths[@]} paths" "$out"
# and a lock the user holds there would block a helper: that is what the modes prevent
runuser -u nsbt-lk -- python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX); print("held", flush=True); time.sleep(30)' \
	"$COPY/leases/.v4.lock" >"$NSBOX_T/lk" 2>&1 9>&- &
LK=$!
nsbox_track_pid $LK
nsbox_wait '[ -s "$NSBOX_T/lk" ]' 5
out=$(python3 -c 'import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print("free")
except BlockingIOError:
    print("blocked")' "$COPY/leases/.v4.lock")
is "$out" "blocked" "probe: a user's flock on a readable lock file blocks root's LOCK_EX"
kill $LK
wait $LK 2>/dev/null

release
kill $OWNER
wait $OWNER 2>/dev/null
nsbox_check_clean "lock safety"
is "$(held_leases)" 1 "only the legacy lease of the (now dead) owner is left in the file"
# the next acquire reclaims it
out=$("$NSBOX_PAMRUN" $SVC nsbt-wa2 -- sh -c 'echo $NSBOX_IPV4' 2>&1)
is "$out" "10.51.0.10" "the dead legacy owner's address is reclaimed and handed out"
nsbox_check_clean "after reclaim"
is "$(held_leases)" 0 "no lease left"
is "$(host_veths | tr '\n' ' ')" "" "no veth left"

done_testing
