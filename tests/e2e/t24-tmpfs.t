#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Bounded RAM-backed files. A private /tmp and /var/tmp are two directories of one
# tmpfs: a fill of both stops at the one tmp_size budget (df in the box shows one file system
# and one size). The restricted defaults are sized for a shared host (tmp 256m for both, /dev/shm
# 64m, /run/user 16m). run_writable = private (restricted) gives every world-writable directory
# right under /run (/run/lock, ...) a fresh 1 MiB tmpfs: a file one user plants there is not
# seen in another user's box (and is, without it), and a fill stops there, where without it the
# fill reaches the host's /run and every later login fails. This test gives itself a /run of its
# own (a tmpfs in its own mount namespace, holding its /run/nsbox too, as a host whose /run is one
# file system does), so the host's /run is never written.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"

nsbox_in_private_ns || nsbox_die "harness: a /run of our own outside the private mount namespace"
mount -t tmpfs -o mode=0755,size=8m nsbt-run /run || nsbox_die "harness: tmpfs on /run"
install -d -m 0700 /run/nsbox
install -d -m 1777 /run/lock          # Debian's
install -d -m 0755 /run/user          # logind's: the box covers it (a host without it gives the box none)
install -d -m 0777 /run/nsbt-ww       # another world-writable one
install -d -m 2775 /run/nsbt-grp      # group-writable only: not covered
ln -s /tmp /run/nsbt-link             # a link to a world-writable one: not covered

A=nsbt-tf1
B=nsbt-tf2
for u in $A $B; do nsbox_add_user $u; done
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u

[match service=nsbox-test-tfr]
profile = restricted

[match service=nsbox-test-tfb]
profile = restricted
tmp_size = 8m

[match service=nsbox-test-tfs]
profile = restricted
run_writable = shared")
for m in r b s n; do nsbox_service nsbox-test-tf$m "conf=$CONF"; done
setting() { "$NSBOX_CTL" check "$CONF" --user $A --service "$1" 2>/dev/null | sed -n "s/^$2 = //p"; }
is "$(setting nsbox-test-tfr run_writable)" private "nsboxctl check: restricted has run_writable = private"
is "$(setting nsbox-test-tfn run_writable)" shared "nsboxctl check: no profile: shared"
is "$(setting nsbox-test-tfr tmp_size)" 256m "nsboxctl check: tmp_size is 256m by default"

S=$NSBOX_T/s # a scratch dir every test user can write
mkdir -m 1777 "$S"
field() { printf '%s\n' "$2" | sed -n "s/^$1 //p"; }
kib() { echo "df -k --output=size $1 | tail -n 1 | tr -d ' '"; }

# ---- the restricted defaults ----
echo host >/run/lock/nsbt-host
echo host >/run/nsbt-grp/nsbt-host
out=$("$NSBOX_PAMRUN" nsbox-test-tfr $A -- sh -c "
echo HOSTLOCK \$(cat /run/lock/nsbt-host 2>/dev/null || echo unseen)
echo TMP \$($(kib /tmp)) \$(stat -c %d /tmp)
echo VARTMP \$($(kib /var/tmp)) \$(stat -c %d /var/tmp)
echo SHM \$($(kib /dev/shm))
echo RUNUSER \$($(kib /run/user))
echo LOCK \$($(kib /run/lock)) \$(stat -c %a /run/lock) \$(stat -f -c %T /run/lock)
echo WW \$(stat -c %a /run/nsbt-ww) \$(stat -f -c %T /run/nsbt-ww)
echo GRP \$(cat /run/nsbt-grp/nsbt-host 2>/dev/null || echo unseen)
echo LINK \$(readlink /run/nsbt-link)
echo MODES \$(stat -c %a /tmp /var/tmp | tr '\n' ' ')")
ok $? "restricted box with the default sizes" "$out"
read -r tsz tdev <<<"$(field TMP "$out")"
read -r vsz vdev <<<"$(field VARTMP "$out")"
is "$tsz" 262144 "restricted: /tmp is 256 MiB"
is "$vsz $vdev" "$tsz $tdev" "restricted: /var/tmp is the same file system, the same 256 MiB"
is "$(field MODES "$out")" "1777 1777" "restricted: /tmp and /var/tmp are mode 1777"
is "$(field SHM "$out")" 65536 "restricted: /dev/shm is 64 MiB"
is "$(field RUNUSER "$out")" 16384 "restricted: /run/user is 16 MiB"
is "$(field LOCK "$out")" "1024 1777 tmpfs" "restricted: /run/lock is a fresh 1 MiB tmpfs, mode 1777"
is "$(field WW "$out")" "777 tmpfs" "restricted: another world-writable directory of /run too, its mode kept"
is "$(field HOSTLOCK "$out")" unseen "restricted: the host's /run/lock files are not seen"
is "$(field GRP "$out")" host "restricted: a group-writable directory is left as it is (the host's file is seen)"
is "$(field LINK "$out")" /tmp "restricted: a symbolic link is left as it is"
rm -f /run/lock/nsbt-host /run/nsbt-grp/nsbt-host
nsbox_check_clean "restricted defaults"

# ---- /tmp and /var/tmp: one budget ----
out=$("$NSBOX_PAMRUN" nsbox-test-tfb $A -- sh -c '
dd if=/dev/zero of=/tmp/fill bs=64k count=96 2>/dev/null; echo TMPRC $?
dd if=/dev/zero of=/var/tmp/fill bs=64k count=96 2>/dev/null; echo VARRC $?
echo SIZES $(stat -c %s /tmp/fill /var/tmp/fill | tr "\n" " ")
echo DF $(df -k --output=size,used /tmp | tail -n 1) $(df -k --output=size,used /var/tmp | tail -n 1)')
ok $? "tmp_size = 8m: the box ran the fill" "$out"
is "$(field TMPRC "$out")" 0 "tmp_size = 8m: 6 MiB into /tmp fit (the probe fills)"
isnt "$(field VARRC "$out")" 0 "tmp_size = 8m: 6 MiB more into /var/tmp do not"
read -r s1 s2 <<<"$(field SIZES "$out")"
ok $([ $((s1 + s2)) -le $((8 << 20)) ] && [ $((s1 + s2)) -ge $((7 << 20)) ]; echo $?) \
	"tmp_size = 8m: /tmp and /var/tmp took 8 MiB together, not more ($s1 + $s2 bytes)"
read -r dsz dused vsz vused <<<"$(field DF "$out")"
ok $([ "$dsz" = 8192 ] && [ "$vsz" = 8192 ] && [ "$dused" = "$vused" ] && [ "$dused" -ge 7168 ]; echo $?) \
	"tmp_size = 8m: df shows one 8 MiB file system, full, at both places" "$(field DF "$out")"
nsbox_check_clean "one budget"

# ---- /run/lock: a plant in one user's box ----
# plant SERVICE : A plants a file in /run/lock and /run/nsbt-ww and holds; B (same service)
# lists them; PLANT and SEEN the results
plant() {
	local svc=$1 pa
	rm -f "$S/a.up"
	touch "$S/a.hold"
	"$NSBOX_PAMRUN" "$svc" $A -- sh -c "echo planted >/run/lock/nsbt-plant && echo planted >/run/nsbt-ww/nsbt-plant && touch $S/a.up
		while [ -e $S/a.hold ]; do sleep 0.05; done" >"$S/a.log" 2>&1 &
	pa=$!
	nsbox_track_pid $pa
	nsbox_wait "[ -e $S/a.up ]" 10
	ok $? "$svc: $A planted a file in /run/lock and /run/nsbt-ww" "$(cat "$S/a.log")"
	SEEN=$("$NSBOX_PAMRUN" "$svc" $B -- sh -c 'cat /run/lock/nsbt-plant /run/nsbt-ww/nsbt-plant 2>/dev/null | tr "\n" " "')
	HOST=$(cat /run/lock/nsbt-plant /run/nsbt-ww/nsbt-plant 2>/dev/null | tr '\n' ' ')
	rm -f "$S/a.hold"
	wait $pa
	rm -f /run/lock/nsbt-plant /run/nsbt-ww/nsbt-plant
	nsbox_check_clean "$svc plant"
}
plant nsbox-test-tfs
is "$SEEN" "planted planted " "run_writable = shared (the probe works): $B's box reads what $A planted"
is "$HOST" "planted planted " "run_writable = shared: and so does the host"
plant nsbox-test-tfr
is "$SEEN" "" "restricted: $B's box does not see what $A planted"
is "$HOST" "" "restricted: nor does the host"

# ---- /run/lock: a fill ----
# fill SERVICE : A fills /run/lock; then B logs in; the host's /run as it was left
fill() {
	FILL=$("$NSBOX_PAMRUN" "$1" $A -- sh -c 'dd if=/dev/zero of=/run/lock/fill bs=64k 2>/dev/null; stat -c %s /run/lock/fill')
	NEXT=$("$NSBOX_PAMRUN" "$1" $B -- sh -c 'echo $NSBOX_ID' 2>&1)
	NEXTRC=$?
}
m=$(nsbox_log_mark)
fill nsbox-test-tfs
ok $([ "${FILL:-0}" -gt $((4 << 20)) ]; echo $?) "run_writable = shared (the probe works): the fill took the host's /run ($FILL bytes)"
isnt "$NEXTRC" 0 "run_writable = shared: the next login fails"
like "$(nsbox_log_since "$m" | grep pam_nsbox)" "no box for user '$B': .*No space left on device" \
	"run_writable = shared: for want of room in /run"
rm -f /run/lock/fill
nsbox_check_clean "shared fill"
used=$(df -k --output=used /run | tail -n 1 | tr -d ' ')
fill nsbox-test-tfr
is "$FILL" $((1 << 20)) "restricted: the fill stops at the box's 1 MiB"
is "$NEXTRC" 0 "restricted: the next login works ($NEXT)"
ok $([ -z "$(ls -A /run/lock)" ] && [ "$(df -k --output=used /run | tail -n 1 | tr -d ' ')" -le $((used + 64)) ]; echo $?) \
	"restricted: nothing reached the host's /run"
nsbox_check_clean "restricted fill"
