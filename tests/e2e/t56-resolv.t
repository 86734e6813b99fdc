#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A box's own resolv.conf against the host replacing its file: the host
# (this test, in its own mount namespace over a private copy of /etc, so the real host file is
# never touched) renames a new file over /etc/resolv.conf, as systemd-resolved, NetworkManager
# and resolvconf do; the box must keep its own DNS. Three layouts: a plain file (re-bound by the
# supervisor), a systemd-resolved-like symlink chain (the box's own directory over the target's),
# and a symlink through a user-writable directory (refused, never followed as root).
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

# The test's own /etc: a copy bound over it in this mount namespace only. Users and PAM files
# made below live in the copy and vanish with the namespace.
cp -a /etc "$NSBOX_T/etc" && mount --bind "$NSBOX_T/etc" /etc || nsbox_die "cannot bind a copy of /etc"
# host_resolv FILE N: what a host's resolver manager does, a new file renamed over FILE
host_resolv() { printf 'nameserver 10.255.0.%s\n' "$2" >"$1.nsbt-new" && mv -f "$1.nsbt-new" "$1"; }

BR=nsbt-rvbr
ip link add $BR type bridge
ip addr add 10.79.0.1/24 dev $BR
ip link set $BR up

U=nsbt-rv
nsbox_add_user $U
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u

[match user=$U]
network = bridge
bridge  = $BR
address = 10.79.0.10/24
gateway = 10.79.0.1
dns     = 10.79.0.53
search  = box.test")
SVC=nsbox-test-resolv
nsbox_service $SVC "conf=$CONF"
BOXDNS="nameserver 10.79.0.53 search box.test"

rec() { sed -n "s/^$2=//p" "/run/nsbox/boxes/$1/record"; }
# hold: a session in the background; sets BOX and INIT
hold() {
	"$NSBOX_PAMRUN" $SVC $U -- sleep 600 </dev/null >"$NSBOX_T/hold.out" 2>&1 &
	HELD=$!
	nsbox_track_pid $HELD
	nsbox_wait '[ -n "$(nsbox_records)" ]' 10
	BOX=$(nsbox_records | head -1)
	nsbox_wait "grep -q '^init=[1-9]' /run/nsbox/boxes/$BOX/record" 10
	INIT=$(rec "$BOX" init)
}
release() {
	"$NSBOX_CTL" stop --wait "$BOX" >/dev/null 2>&1
	wait "$HELD" 2>/dev/null
	nsbox_check_clean "$1"
}
# what the box's processes read as /etc/resolv.conf, through the init's root
box_resolv() { grep -v '^#' "/proc/$INIT/root/etc/resolv.conf" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

# ---- a plain file, replaced by rename on the host ----
rm -f /etc/resolv.conf
printf 'nameserver 10.255.0.1\n' >/etc/resolv.conf
m=$(nsbox_log_mark)
hold
is "$(box_resolv)" "$BOXDNS" "plain file: the box reads its own resolv.conf"
host_resolv /etc/resolv.conf 11
is "$(cat /etc/resolv.conf)" "nameserver 10.255.0.11" "plain file: the host's rename took place on the host"
nsbox_wait "nsbox_log_grep 'box=$BOX /etc/resolv.conf was replaced on the host' $m >/dev/null" 5
like "$(nsbox_log_since "$m")" "box=$BOX /etc/resolv.conf was replaced on the host; bound the box's again" \
	"plain file: the supervisor noticed the replacement and said so once"
nsbox_wait "[ \"\$(box_resolv)\" = '$BOXDNS' ]" 5
is "$(box_resolv)" "$BOXDNS" "plain file: after the host's rename the box still reads its own DNS"
host_resolv /etc/resolv.conf 12
nsbox_wait "[ \$(nsbox_log_grep 'box=$BOX /etc/resolv.conf was replaced' $m | wc -l) -ge 2 ]" 5
nsbox_wait "[ \"\$(box_resolv)\" = '$BOXDNS' ]" 5
is "$(box_resolv)" "$BOXDNS" "plain file: a second rename is handled as well"
n=$(grep -c ' /etc/resolv.conf ' "/proc/$INIT/mountinfo")
is "$n" 1 "plain file: one mount on the box's /etc/resolv.conf, not one per re-bind"
release "plain file"

# ---- systemd-resolved-like: /etc/resolv.conf -> ../etc/nsbt-run/resolve/stub-resolv.conf,
#      /etc/nsbt-run -> nsbt-real (relative, with .., through a directory symlink) ----
mkdir -p /etc/nsbt-real/resolve
printf 'nameserver 10.255.0.2\n' >/etc/nsbt-real/resolve/stub-resolv.conf
printf 'nameserver 10.255.0.3\n' >/etc/nsbt-real/resolve/resolv.conf
ln -s nsbt-real /etc/nsbt-run
rm -f /etc/resolv.conf
ln -s ../etc/nsbt-run/resolve/stub-resolv.conf /etc/resolv.conf
hold
is "$(box_resolv)" "$BOXDNS" "symlinked: the box reads its own resolv.conf"
host_resolv /etc/nsbt-real/resolve/stub-resolv.conf 21
is "$(cat /etc/resolv.conf)" "nameserver 10.255.0.21" "symlinked: the host's rename took place"
is "$(box_resolv)" "$BOXDNS" "symlinked: right after the host's rename the box still reads its own DNS (no window)"
is "$(readlink /proc/$INIT/root/etc/resolv.conf)" "../etc/nsbt-run/resolve/stub-resolv.conf" "symlinked: the box's /etc/resolv.conf is still the host's symlink"
release "symlinked"

# ---- a symlink through a directory an ordinary user can write: never followed as root ----
mkdir -p $NSBOX_T/plant && chmod 1777 $NSBOX_T/plant
printf 'nameserver 10.255.0.4\n' >$NSBOX_T/plant/resolv.conf
rm -f /etc/resolv.conf
ln -s $NSBOX_T/plant/resolv.conf /etc/resolv.conf
m=$(nsbox_log_mark)
"$NSBOX_PAMRUN" $SVC $U -- true >/dev/null 2>&1
isnt $? 0 "user-writable symlink chain: the login is refused"
like "$(nsbox_log_since "$m")" "no box for user '$U': not following /etc/resolv.conf through '$(re "$NSBOX_T/plant")' \\(not root-owned, or writable by group or others\\): Operation not permitted; session denied" \
	"user-writable symlink chain: the log says why"
nsbox_check_clean "user-writable symlink chain"

done_testing
