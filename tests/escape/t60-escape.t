#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The escape-probe suite: a hostile boxed user, logged in through a real sshd (and
# through a real su run by root from a pty for the terminal probes), tries each known way out.
# Every probe runs in three boxes: "plain" (no profile: today's box), where it must work, so the
# probe is known to work; "restricted" (profile = restricted), where it must be blocked; and
# "lab" (profile = lab), where it must give what nsbox.conf(5) says a lab box does and does not
# contain (RESTRICTED BOXES): everything plain gives but what the private /tmp takes away, sudo
# working with its effects kept in the box. The results end as a table of "# " notes.
#
# Everything the suite makes on shared paths is a tmpfs inside the test's private mount
# namespace (the probe copies with the setuid one, sudoers.d, the cron and at spools,
# /run/user, the /run/dbus stand-in), so the host never sees a setuid probe or a sudo rule; the
# tmux server's socket dir in the host's /tmp and the users are removed at exit.
#
. "$(dirname "$0")/../e2e/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/../e2e/common.sh"
nsbox_private_state
nsbox_require_cmd sudo visudo crontab at atq atrm tmux socat script setpriv unshare nsenter
PROBE_BIN=$NSBOX_BUILD/tests/nsbox-probe
[ -x "$PROBE_BIN" ] || nsbox_die "harness: $PROBE_BIN missing (make tests)"

U=nsbt-esc
U2=nsbt-esc2
G=nsbt-escg
SVC=nsbox-test-esc
D=/srv/nsbt-esc            # probe copies, on a tmpfs that allows setuid (private mount ns only)
P=$D/nsbox-probe
S=$D/nsbox-probe-suid

# ---------------------------------------------------------------------------------------------
# Cleanup of what lib.sh does not know about; runs before the harness's own (users last)

_esc_tmux_pid=""
_esc_tmux_dir=""
_esc_made_run_dbus=0
_esc_made_run_user=0
_esc_cleanup() {
	local j
	if [ "$_esc_made_run_user" = 1 ]; then
		umount -l /run/user 2>/dev/null
		rmdir /run/user 2>/dev/null
	fi
	if [ "$_esc_made_run_dbus" = 1 ]; then
		umount -l /run/dbus 2>/dev/null
		rmdir /run/dbus 2>/dev/null
	fi
	if [ -n "$_esc_tmux_dir" ]; then
		[ -S "$_esc_tmux_dir/default" ] &&
			setpriv --reuid=$U --regid=$U --init-groups tmux -S "$_esc_tmux_dir/default" kill-server >/dev/null 2>&1
		[ -n "$_esc_tmux_pid" ] && _nsbox_kill_pids 20 "$_esc_tmux_pid"
		rm -rf --one-file-system -- "$_esc_tmux_dir"
	fi
	if getent passwd $U >/dev/null; then
		crontab -r -u $U >/dev/null 2>&1
		for j in $(atq 2>/dev/null | awk -v u=$U '$NF == u {print $1}'); do atrm "$j" 2>/dev/null; done
	fi
	return 0
}
trap '_esc_st=$?; _esc_cleanup; (exit $_esc_st); _nsbox_on_exit' EXIT

# ---------------------------------------------------------------------------------------------
# t PROFILE STATUS DESC [DIAG...] : one assertion, named after the profile it is about

t() {
	local prof=$1 st=$2 desc=$3
	shift 3
	ok "$st" "$prof: $desc" "$@"
}

# ---------------------------------------------------------------------------------------------
# Users, configs, the probe copies

nsbox_add_group $G
nsbox_add_user $U $G
nsbox_add_user $U2 $G
UIDN=$(id -u $U)
HOMEU=$(getent passwd $U | cut -d: -f6)

CONF_plain=$(nsbox_conf plain.conf "[defaults]
hostname = esc-%u")
CONF_restricted=$(nsbox_conf restricted.conf "[defaults]
hostname = esc-%u
profile = restricted")
CONF_lab=$(nsbox_conf lab.conf "[defaults]
hostname = esc-%u
profile = lab")

# a tmpfs without nosuid: the setuid copy works on it, and it exists only in this mount ns
mount -t tmpfs -o mode=0755,nodev,size=8m nsbt-esc-srv /srv || nsbox_die "harness: tmpfs on /srv"
install -d -m 0750 -o root -g $G $D &&
	install -m 0755 -o root -g root "$PROBE_BIN" $P &&
	install -m 4755 -o root -g root "$PROBE_BIN" $S || nsbox_die "harness: installing the probes"
check "the setuid probe copy gives euid 0 to a test user (outside any box)" \
	bash -c "setpriv --reuid=$U --regid=$U --init-groups $S status | grep -q 'uid=$UIDN euid=0'"

# sudo: a rule for the test user, on a tmpfs over /etc/sudoers.d (this mount ns only)
mount -t tmpfs -o mode=0755,nosuid,nodev,size=1m nsbt-esc-sudoers /etc/sudoers.d ||
	nsbox_die "harness: tmpfs on /etc/sudoers.d"
printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' $U >"$NSBOX_T/sudoers"
visudo -cqf "$NSBOX_T/sudoers" && install -m 0440 -o root -g root "$NSBOX_T/sudoers" /etc/sudoers.d/nsbt-esc ||
	nsbox_die "harness: sudoers rule"
check "sudo works for the test user outside any box" \
	bash -c "setpriv --reuid=$U --regid=$U --init-groups sudo -n id -u | grep -qx 0"

# the cron and at spools, private: a job the box schedules lands where the host's daemons look
# (these paths), but only inside this mount ns
mount -t tmpfs -o mode=1730,nosuid,nodev,size=1m nsbt-esc-cron /var/spool/cron/crontabs &&
	chgrp crontab /var/spool/cron/crontabs &&
	mount -t tmpfs -o mode=1770,nosuid,nodev,size=1m nsbt-esc-atjobs /var/spool/cron/atjobs &&
	mount -t tmpfs -o mode=1770,nosuid,nodev,size=1m nsbt-esc-atspool /var/spool/cron/atspool &&
	chown daemon:daemon /var/spool/cron/atjobs /var/spool/cron/atspool &&
	install -m 0600 -o daemon -g daemon /dev/null /var/spool/cron/atjobs/.SEQ ||
	nsbox_die "harness: private cron/at spools"

# the host's user runtime dir with stand-ins for the user bus and systemd's private socket
# (modes as systemd makes them), served by the user outside any box
# a host without logind has no /run/user: make it for the mount, remove it at exit
[ -d /run/user ] || { mkdir /run/user && _esc_made_run_user=1; } || nsbox_die "harness: mkdir /run/user"
mount -t tmpfs -o mode=0755,nosuid,nodev,size=1m nsbt-esc-runuser /run/user || nsbox_die "harness: /run/user"
install -d -m 0700 -o $U -g $U /run/user/$UIDN && install -d -m 0755 -o $U -g $U /run/user/$UIDN/systemd ||
	nsbox_die "harness: /run/user/$UIDN"
# (an array, not a function: "$AS_U ... &" must leave $! the pid that becomes the program)
AS_U=(setpriv --reuid=$U --regid=$U --init-groups env -i HOME=$HOMEU PATH=/usr/bin:/bin)
"${AS_U[@]}" socat UNIX-LISTEN:/run/user/$UIDN/bus,fork,mode=0666 SYSTEM:'echo HOST-USERBUS' </dev/null >/dev/null 2>&1 &
nsbox_track_pid $!
"${AS_U[@]}" socat UNIX-LISTEN:/run/user/$UIDN/systemd/private,fork,mode=0777 SYSTEM:'echo HOST-SYSTEMD' </dev/null >/dev/null 2>&1 &
nsbox_track_pid $!

# the system bus: the real socket if there is one (only ever connected to), else a stand-in
# on a tmpfs over /run/dbus
if [ -S /run/dbus/system_bus_socket ]; then
	note "using the real /run/dbus/system_bus_socket"
else
	# a host without D-Bus has no /run/dbus: make it for the mount, remove it at exit
	[ -d /run/dbus ] || { mkdir /run/dbus && _esc_made_run_dbus=1; } || nsbox_die "harness: mkdir /run/dbus"
	mount -t tmpfs -o mode=0755,nosuid,nodev,size=1m nsbt-esc-dbus /run/dbus || nsbox_die "harness: /run/dbus"
	socat UNIX-LISTEN:/run/dbus/system_bus_socket,fork,mode=0777 SYSTEM:'echo HOST-SYSTEMBUS' </dev/null >/dev/null 2>&1 &
	nsbox_track_pid $!
fi
# a host unix socket for ssh -L (in the host's /tmp) and a host /tmp file
socat UNIX-LISTEN:"$NSBOX_HOSTTMP/fwd.sock",fork,mode=0777 SYSTEM:'echo HOST-FWD' </dev/null >/dev/null 2>&1 &
nsbox_track_pid $!
echo nsbt-host-tmp >"$NSBOX_HOSTTMP/hostfile" && chmod 0644 "$NSBOX_HOSTTMP/hostfile"
for s in /run/user/$UIDN/bus /run/user/$UIDN/systemd/private /run/dbus/system_bus_socket "$NSBOX_HOSTTMP/fwd.sock"; do
	nsbox_wait "[ -S '$s' ]" 5 || nsbox_die "harness: listener $s did not come up"
done

# a same-uid tmux server outside the box, in the host's /tmp where tmux puts it
_esc_tmux_dir=/tmp/tmux-$UIDN
rm -rf --one-file-system -- "$_esc_tmux_dir"
install -d -m 0700 -o $U -g $U "$_esc_tmux_dir" || nsbox_die "harness: $_esc_tmux_dir"
"${AS_U[@]}" tmux -S "$_esc_tmux_dir/default" new-session -d -s nsbt 'sleep 900' </dev/null >/dev/null 2>&1 ||
	nsbox_die "harness: tmux server"
_esc_tmux_pid=$("${AS_U[@]}" tmux -S "$_esc_tmux_dir/default" display-message -p '#{pid}' 2>/dev/null)
[[ $_esc_tmux_pid =~ ^[0-9]+$ ]] || nsbox_die "harness: tmux server pid '$_esc_tmux_pid'"
nsbox_track_pid "$_esc_tmux_pid"

# su: pam_permit for the nested su inside a box (no pam_nsbox: a nested box is another issue)
SU_PLAIN="auth     sufficient pam_permit.so
account  required   pam_permit.so
session  required   pam_permit.so"
nsbox_pam_bind_over su "$SU_PLAIN"

nsbox_service $SVC "conf=$CONF_plain"
nsbox_sshd_start $SVC
nsbox_ssh_authorize $U $U2
HOST_NET=$(readlink /proc/self/ns/net)
HOST_HOSTNAME=$(hostname)

# another user's live box, whose record the probes try to forge
NSBOX_SSH_TIMEOUT=1800 nsbox_ssh $U2 -- 'echo UP; exec sleep 1800' >"$NSBOX_T/other.out" 2>&1 &
OTHER_SSH=$!
nsbox_wait "grep -qx UP '$NSBOX_T/other.out'" 15 || nsbox_die "harness: $U2's box did not start" "$(cat "$NSBOX_T/other.out")"
OTHER_REC=$(grep -lx "user=$U2" /run/nsbox/boxes/*/record 2>/dev/null | head -1)
OTHER_ID=${OTHER_REC%/record}
OTHER_ID=${OTHER_ID##*/}
[[ $OTHER_ID =~ ^[0-9a-f]{8}$ ]] || nsbox_die "harness: no record for $U2's box"
OTHER_SUM=$(sha256sum <"$OTHER_REC")
OTHER_SUP=$(sed -n 's/^supervisor=//p' "$OTHER_REC")
# what to say when the record is not what it was: whether the box still lives, and what the log
# says of it (its end, a sweeper, a gc)
other_box_state() {
	local s=dead
	nsbox_alive "$OTHER_SUP" && s=alive
	echo "supervisor $OTHER_SUP $s; directory: $(ls -A "/run/nsbox/boxes/$OTHER_ID" 2>&1 | tr '\n' ' ')"
	nsbox_log_since 0 | grep -E "box=$OTHER_ID|nsbt-esc2" | tail -n 5
}

# ---------------------------------------------------------------------------------------------
# The probes run in one ssh session per profile. NAME|PLAIN-EXPECTATION|SHELL COMMAND (run in
# the box as $U; its last "PROBE ...: ok|blocked" line is the result). PLAIN-EXPECTATION is
# "ok" where the probe shows the escape working in today's box, "blocked" where even today's
# box stops it (then the plain run still shows the probe ran). Restricted expects "blocked".

PROBES=$(cat <<'EOF'
unshare-user|ok|$P unshare user
unshare-r-n (userns+netns)|ok|$P unshare user,net
unshare-r-m (userns+mntns)|ok|$P unshare user,mnt
unshare(1) -r -n -m|ok|if unshare -r -n -m true 2>/tmp/e$$; then echo "PROBE unshare(1): ok (unshare -r -n -m ran true)"; else echo "PROBE unshare(1): blocked ($(head -c 150 /tmp/e$$))"; fi; rm -f /tmp/e$$
suid unshare -n|ok|$S unshare net
suid unshare -m|ok|$S unshare mnt
clone3 CLONE_NEWUSER|ok|$P clone3 user
clone3 all ns flags|ok|$P clone3 user,net,mnt,uts,ipc,pid,cgroup
clone ns flags|ok|$P clone user,net,mnt
setns via /proc/PID/ns/* (user)|ok|hold; $P setns-pid $h; unhold
setns scan /proc/*/ns,fd (user)|ok|hold; $P setns-scan; unhold
suid setns scan /proc/*/ns,fd|ok|hold; $S setns-scan; unhold
suid mount tmpfs|ok|$S mount-tmpfs $M
suid mount bind|ok|$S mount-bind /etc $M
suid mount proc|ok|$S mount-proc $M
userns mount tmpfs|ok|$P -U mount-tmpfs $M
suid fsopen/fsmount/move_mount|ok|$S fsmount $M
suid open_tree|ok|$S open_tree /
suid fspick|ok|$S fspick /dev/mqueue
suid mount_setattr|ok|$S mount_setattr /dev/mqueue
suid umount2|ok|$S umount2 /dev/mqueue
suid chroot|ok|$S chroot /
userns chroot|ok|$P -U chroot /
suid pivot_root|ok|$S pivot_root $M
add_key|ok|$P add_key
keyctl|ok|$P keyctl
request_key|ok|$P request_key
suid bpf|ok|$S bpf
perf_event_open|ok|$P perf_event_open
userfaultfd|ok|$P userfaultfd
io_uring|ok|$P io_uring
suid mknod (char dev in $HOME)|ok|$S mknod $HOME/nsbt-null
suid write /proc/sys (global sysctl)|ok|$S rewrite /proc/sys/kernel/printk_ratelimit
/proc/sys mount writable|ok|$P rofs /proc/sys
suid sethostname|ok|$S sethostname nsbt-esc-evil
personality READ_IMPLIES_EXEC|ok|$P personality read_implies_exec
personality ADDR_NO_RANDOMIZE|ok|$P personality addr_no_randomize
suid raw AF_PACKET|ok|$S raw-packet
suid raw ICMP|ok|$S raw-icmp
crontab|ok|rm -f /tmp/e$$; if printf '17 3 * * * echo nsbt-esc-cron\n' | crontab - 2>/tmp/e$$ && crontab -l 2>>/tmp/e$$ | grep -q nsbt-esc-cron; then echo "PROBE crontab: ok (job installed)"; else echo "PROBE crontab: blocked ($(head -c 150 /tmp/e$$))"; fi; rm -f /tmp/e$$
at|ok|if echo 'echo nsbt-esc-at' | at -q n now + 1 hour >/tmp/e$$ 2>&1; then echo "PROBE at: ok ($(grep -o 'job [0-9]*' /tmp/e$$))"; else echo "PROBE at: blocked ($(head -c 150 /tmp/e$$))"; fi; rm -f /tmp/e$$
tmux server outside (run-shell)|ok|rm -f $HOME/tmux-ran; if tmux -S /tmp/tmux-$(id -u)/default run-shell "readlink /proc/self/ns/net >$HOME/tmux-ran" >/tmp/e$$ 2>&1 && [ -s $HOME/tmux-ran ]; then r=$(cat $HOME/tmux-ran); if [ "$r" != "$(readlink /proc/self/ns/net)" ]; then echo "PROBE tmux: ok (run-shell ran in $r, the box is $(readlink /proc/self/ns/net))"; else echo "PROBE tmux: blocked (ran inside the box)"; fi; else echo "PROBE tmux: blocked ($(head -c 150 /tmp/e$$))"; fi; rm -f /tmp/e$$ $HOME/tmux-ran
user bus /run/user/UID/bus|ok|$P connect /run/user/$(id -u)/bus
systemd /run/user/UID/systemd/private|ok|$P connect /run/user/$(id -u)/systemd/private
/run/dbus/system_bus_socket|ok|$P connect /run/dbus/system_bus_socket
read hidden /run/dbus|ok|$P read /run/dbus
host /tmp file|ok|$P read $H/hostfile
sudo|ok|out=$(sudo -n $P status 2>&1); case "$out" in *"uid=0 euid=0"*) echo "PROBE sudo: ok ($(echo $out | head -c 200))";; *) echo "PROBE sudo: blocked ($(echo $out | head -c 200))";; esac
suid kill box init (sig 0)|ok|$S kill 1
suid ptrace box init|ok|$S ptrace 1
user kill box init (sig 0)|blocked|$P kill 1
forge other box record (user)|blocked|$P write $OTHER_REC
suid forge other box record|ok|$S write $OTHER_REC
nested su|ok|out=$(su nsbt-esc2 -c 'id -un' </dev/null 2>&1); if [ "$out" = nsbt-esc2 ]; then echo "PROBE su: ok (su ran id as $out)"; else echo "PROBE su: blocked ($(echo $out | head -c 150))"; fi
EOF
)

# the batch script the box runs; its helpers: hold/unhold a user-namespace holder (a foreign
# namespace the setns probes can find; it can only be made where unshare works)
cat >$D/batch.sh <<'EOF'
#!/bin/bash
export P=$1 S=$2 NSBOX_T=$3 OTHER_REC=$4 H=$5 M=$HOME/mnt
mkdir -p "$M"
hold() {
	unshare -U sleep 60 </dev/null >/dev/null 2>&1 &
	h=$!
	for i in $(seq 1 100); do
		kill -0 $h 2>/dev/null || break
		[ "$(readlink /proc/$h/ns/user 2>/dev/null)" != "$(readlink /proc/self/ns/user)" ] && break
		sleep 0.02
	done
}
unhold() { kill $h 2>/dev/null; wait $h 2>/dev/null; }
export -f hold unhold
echo "BEGIN status"; $P status; echo "END status"
while IFS='|' read -r name expect cmd; do
	echo "BEGIN $name"
	timeout 20 bash -c "$cmd" </dev/null 2>&1
	echo "END $name"
done <"$(dirname "$0")/probes.txt"
EOF
printf '%s\n' "$PROBES" >$D/probes.txt
chmod 0644 $D/batch.sh $D/probes.txt

# The lab column: as plain, but for what lives in the host's /tmp (nsbox.conf(5): a lab box
# keeps only tmp = private)
declare -A LAB_WANT=(["tmux server outside (run-shell)"]=blocked ["host /tmp file"]=blocked)

declare -A R DET
NAMES=()
while IFS='|' read -r name expect cmd; do NAMES+=("$name"); done <<<"$PROBES"
EXTRA=("ssh -L to a host unix socket" "host ns fds in box processes (host scan)" "TIOCSTI under su" "TIOCSTI high bit (1<<32) under su" "TIOCLINUX under su" "TIOCLINUX high bit (1<<32) under su")

# block NAME FILE : the output of probe NAME in a batch output
block() { awk -v n="$1" '$0 == "BEGIN " n {on = 1; next} $0 == "END " n {on = 0} on' "$2"; }
# verdict TEXT : ok | blocked | error | missing (from the last PROBE line)
verdict() {
	local l
	l=$(printf '%s\n' "$1" | grep -E '^PROBE [^:]+: (ok|blocked|error) ' | tail -n 1)
	[ -n "$l" ] || { echo missing; return; }
	l=${l#PROBE *: }
	echo "${l%% *}"
}

run_batch() { # PROFILE
	local prof=$1 f=$NSBOX_T/batch-$1.out rc name expect cmd b v want
	nsbox_service $SVC "conf=$(eval echo \$CONF_$prof)"
	NSBOX_SSH_TIMEOUT=300 nsbox_ssh $U -- "bash $D/batch.sh $P $S $NSBOX_T $OTHER_REC $NSBOX_HOSTTMP" >"$f" 2>&1
	rc=$?
	if ! grep -q '^BEGIN status' "$f"; then
		t $prof 1 "the boxed login runs the probes" "ssh status $rc" "$(head -c 600 "$f")"
		for name in "${NAMES[@]}"; do
			R[$prof,$name]=refused
			# one line per probe all the same: the plan does not depend on whether the login works
			t $prof 1 "$name: $([ $prof = restricted ] && echo blocked || echo the probe runs)" "no login"
		done
		return
	fi
	t $prof 0 "the boxed login runs the probes"
	note "$prof box: $(block status "$f" | tr '\t' ' ')"
	while IFS='|' read -r name expect cmd; do
		b=$(block "$name" "$f")
		v=$(verdict "$b")
		R[$prof,$name]=$v
		DET[$prof,$name]=$(printf '%s\n' "$b" | grep -E '^PROBE [^:]+: (ok|blocked|error) ' | tail -n 1)
		case $prof in
		plain) want=$expect ;;
		restricted) want=blocked ;;
		lab) want=${LAB_WANT[$name]:-$expect} ;;
		esac
		t $prof $([ "$v" = "$want" ]; echo $?) "$name: $want" "$b"
	done <<<"$PROBES"
}

# host-side evidence after each batch
host_evidence() { # PROFILE
	local prof=$1 v
	# cron and at: a job scheduled from the box sits in the host's spool, where cron/atd (run
	# in the host's namespaces) would run it; restricted must leave nothing there
	v=no
	grep -qs nsbt-esc-cron /var/spool/cron/crontabs/$U && v=yes
	if [ "$prof" != restricted ]; then
		t $prof $([ $v = yes ]; echo $?) "the box's crontab is in the host's cron spool"
	elif [ "$prof" = restricted ]; then
		t $prof $([ $v = no ] && [ "${R[$prof,crontab]}" = blocked ]; echo $?) \
			"crontab refused in the box and nothing in the host's cron spool" "$(ls -la /var/spool/cron/crontabs)"
	fi
	crontab -r -u $U >/dev/null 2>&1
	v=$(atq -q n 2>/dev/null | awk -v u=$U '$NF == u' | wc -l)
	if [ "$prof" != restricted ]; then
		t $prof $([ "$v" -ge 1 ]; echo $?) "the box's at job is queued on the host ($v job)"
	elif [ "$prof" = restricted ]; then
		t $prof $([ "$v" = 0 ] && [ "${R[$prof,at]}" = blocked ]; echo $?) \
			"at refused in the box and no job of the box's queued on the host" "$(atq 2>&1)"
	fi
	for j in $(atq 2>/dev/null | awk -v u=$U '$NF == u {print $1}'); do atrm "$j"; done
	# the box's sethostname and mounts never reach the host
	is "$(hostname)" "$HOST_HOSTNAME" "$prof: the host's hostname is unchanged"
	v=$(sha256sum <"$OTHER_REC" 2>&1)
	ok $([ "$v" = "$OTHER_SUM" ]; echo $?) "$prof: $U2's box record is unchanged" "got: '$v'" \
		"$U2's box: $(other_box_state)"
	if [ "$prof" = restricted ]; then
		b=$(block sudo "$NSBOX_T/batch-$prof.out")
		# sudo 1.9 names the flag; older ones say "effective uid is not 0"
		t $prof $([[ $b == *'"no new privileges" flag is set'* || $b == *"effective uid is not 0"* ]] &&
			[[ $b != *"euid=0"* ]] && [ "$(verdict "$b")" = blocked ]; echo $?) \
			"sudo fails cleanly (no_new_privs) and the command did not run" "$b"
	fi
}

# ssh -L from the box to a unix socket of the host's (in the host's /tmp)
fwd_probe() { # PROFILE
	local prof=$1 port=17100 got="" pid i v
	while _nsbox_port_listening $port; do port=$((port + 1)); done
	: >"$NSBOX_T/fwd-$prof.out"
	nsbox_ssh $U -L 127.0.0.1:$port:"$NSBOX_HOSTTMP/fwd.sock" -- 'echo UP; sleep 41' >"$NSBOX_T/fwd-$prof.out" 2>&1 &
	pid=$!
	if nsbox_wait "grep -qx UP '$NSBOX_T/fwd-$prof.out' || ! kill -0 $pid 2>/dev/null" 15 &&
		grep -qx UP "$NSBOX_T/fwd-$prof.out"; then
		for i in 1 2 3 4 5 6 7 8 9 10; do
			got=$(socat -T1 -t1 - TCP:127.0.0.1:$port </dev/null 2>/dev/null)
			[ -n "$got" ] && break
			sleep 0.2
		done
		if [ "$got" = HOST-FWD ]; then v=ok; else v=blocked; fi
	else
		v=refused
	fi
	end_remote $U 41
	wait $pid 2>/dev/null
	R[$prof,${EXTRA[0]}]=$v
	DET[$prof,${EXTRA[0]}]="got '$got' through 127.0.0.1:$port"
	case $prof in
	plain) t $prof $([ $v = ok ]; echo $?) "${EXTRA[0]}: ok (got '$got')" "$(cat "$NSBOX_T/fwd-$prof.out")" ;;
	# lab: the socket is in the host's /tmp, which a lab box has a private one over
	restricted | lab) t $prof $([ $v = blocked ]; echo $?) "${EXTRA[0]}: blocked (got '$got')" "$(cat "$NSBOX_T/fwd-$prof.out")" ;;
	esac
}

# nsfs fds of namespaces other than the box's own, in processes of the box's pid namespace
# (as root from the host); prints "PID FD LINK" lines
foreign_ns_fds() { # INIT
	local init=$1 pidns own="" p f l
	pidns=$(readlink /proc/$init/ns/pid) || return 1
	for f in /proc/$init/ns/*; do own="$own $(readlink "$f")"; done
	for p in /proc/[0-9]*; do
		[ "$(readlink $p/ns/pid 2>/dev/null)" = "$pidns" ] || continue
		for f in $p/fd/*; do
			l=$(readlink "$f" 2>/dev/null) || continue
			[[ $l =~ ^(cgroup|ipc|mnt|net|pid|pid_for_children|time|time_for_children|user|uts):\[[0-9]+\]$ ]] || continue
			[[ " $own " == *" $l "* ]] || echo "${p#/proc/} ${f##*/} $l"
		done
	done
}

# end_remote USER SECONDS : ends a held ssh session by its remote "sleep SECONDS" (a background
# nsbox_ssh is a subshell: killing it would leave ssh running)
end_remote() {
	local p
	p=$(pgrep -u "$1" -x -f "sleep $2")
	[ -n "$p" ] && kill $p
	return 0
}

# the record of $U's one live box (after earlier sessions' boxes are gone)
u_record() {
	nsbox_wait '[ "$(grep -lx "user=$U" /run/nsbox/boxes/*/record 2>/dev/null | wc -l)" = 1 ]' 10
	grep -lx "user=$U" /run/nsbox/boxes/*/record 2>/dev/null | head -1
}
u_no_box() { nsbox_wait '[ -z "$(grep -lx "user=$U" /run/nsbox/boxes/*/record 2>/dev/null)" ]' 10; }

hostfd_probe() { # PROFILE
	local prof=$1 pid id init found ctl ctlpid v
	u_no_box
	: >"$NSBOX_T/hfd-$prof.out"
	nsbox_ssh $U -- 'echo UP; sleep 42' >"$NSBOX_T/hfd-$prof.out" 2>&1 &
	pid=$!
	if ! { nsbox_wait "grep -qx UP '$NSBOX_T/hfd-$prof.out' || ! kill -0 $pid 2>/dev/null" 15 &&
		grep -qx UP "$NSBOX_T/hfd-$prof.out"; }; then
		R[$prof,${EXTRA[1]}]=refused
		[ "$prof" != plain ] && t $prof 1 "${EXTRA[1]}: the login came up" "$(cat "$NSBOX_T/hfd-$prof.out")"
		wait $pid 2>/dev/null
		return
	fi
	id=$(u_record)
	init=$(sed -n 's/^init=//p' "$id" 2>/dev/null)
	found=$(foreign_ns_fds "$init")
	if [ -n "$found" ]; then v=ok; else v=blocked; fi
	R[$prof,${EXTRA[1]}]=$v
	DET[$prof,${EXTRA[1]}]=$(echo $found)
	if [ "$prof" = plain ]; then
		# positive control: a box process that holds a host netns fd must be found
		nsenter -t "$init" -m -u -i -n -p -- sleep 30 7<"/proc/$BASHPID/ns/net" &
		ctl=$!
		nsbox_wait "[ -n \"\$(pgrep -P $ctl)\" ]" 5
		ctlpid=$(pgrep -P $ctl)
		nsbox_wait "[ -e /proc/$ctlpid/fd/7 ]" 5
		foreign_ns_fds "$init" | grep -q "^$ctlpid 7 net:\["
		ok $? "plain: the host scan finds a host netns fd planted in box process $ctlpid (the probe works)" \
			"$(foreign_ns_fds "$init")"
		_nsbox_kill_pids 10 $ctlpid $ctl
		note "plain: host-namespace fds found in today's box processes: ${found:-none}"
	else
		t $prof $([ -z "$found" ]; echo $?) "${EXTRA[1]}: none (box init $init)" "$found"
	fi
	end_remote $U 42
	wait $pid 2>/dev/null
}

# terminal injection from a boxed su session into root's terminal: root runs an interactive
# shell on a pty (script), types "su $U", the user's shell runs the probe and exits; root's
# shell then runs whatever was pushed into the tty. The injected command creates a marker.
# the user's shell under su: a bash of $U whose parent is su (never another session's shell)
su_shell() {
	local p pp
	for p in $(pgrep -u $U -x bash); do
		pp=$(ps -o ppid= -p "$p" | tr -d ' ')
		[ -n "$pp" ] && [ "$(cat /proc/$pp/comm 2>/dev/null)" = su ] && echo "$p"
	done
}
clean_tty() { sed 's/\x1b\][^\x07]*\x07//g; s/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g'; }
tty_probe() { # PROFILE INDEX PROBE-ARGS...
	local prof=$1 idx=$2 tag=$1-$2 fifo fd sp v out marker sentinel
	shift 2
	local name=${EXTRA[$idx]}
	marker=$NSBOX_T/tty-hit-$tag
	sentinel=$NSBOX_T/tty-done-$tag
	out=$HOMEU/tty-$tag.out
	rm -f "$marker" "$sentinel" "$out"
	nsbox_pam_bind_over su "auth     sufficient pam_rootok.so
account  required   pam_permit.so
session  required   pam_permit.so
session  required   $NSBOX_MODULE helper=$NSBOX_HELPER conf=$(eval echo \$CONF_$prof)"
	fifo=$NSBOX_T/tty-$tag.in
	mkfifo -m 0600 "$fifo"
	timeout 60 script -qfec "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb bash --norc --noprofile -i" \
		/dev/null <"$fifo" >"$NSBOX_T/tty-$tag.log" 2>&1 &
	sp=$!
	exec {fd}>"$fifo"
	printf 'su %s\n' $U >&$fd
	v=refused
	# (su refusing the session says so on the pty: no need to wait the whole time)
	if nsbox_wait '[ -n "$(su_shell)" ] || grep -q "^su: " "$NSBOX_T/tty-$tag.log" || ! kill -0 $sp 2>/dev/null' 10 &&
		[ -n "$(su_shell)" ]; then
		# only now, with the user's shell reading: never typed into root's shell
		printf '%s %s >%s 2>&1; exit\n' "$P" "$*" "$out" >&$fd
		nsbox_wait "grep -q '^PROBE' '$out' 2>/dev/null" 15
		nsbox_wait '[ -z "$(su_shell)" ]' 10
		printf 'echo R$((6*7)) >%s\n' "$sentinel" >&$fd
		nsbox_wait "[ -s '$sentinel' ]" 10
		v=$(verdict "$(cat "$out" 2>/dev/null)")
	else
		[ -n "$(su_shell)" ] && _nsbox_kill_pids 10 $(su_shell)
	fi
	printf 'exit\n' >&$fd
	exec {fd}>&-
	wait $sp 2>/dev/null
	R[$prof,$name]=$v
	DET[$prof,$name]=$(cat "$out" 2>/dev/null)
	case "$1" in
	tiocsti)
		local hit=no
		[ -e "$marker" ] && [ "$(stat -c %u "$marker")" = 0 ] && hit=yes
		DET[$prof,$name]="${DET[$prof,$name]} root-shell-ran-it=$hit"
		case $prof in
		plain | lab) t $prof $([ $v = ok ] && [ $hit = yes ]; echo $?) "$name: ok, and root's shell ran the pushed command" \
			"probe: $(cat "$out" 2>/dev/null)" "pty log: $(clean_tty <"$NSBOX_T/tty-$tag.log" | tail -n 15)" ;;
		restricted) t $prof $([ $v = blocked ] && [ $hit = no ] && [ -s "$sentinel" ]; echo $?) \
			"$name: blocked, and nothing reached root's shell" \
			"probe: $(cat "$out" 2>/dev/null)" "pty log: $(clean_tty <"$NSBOX_T/tty-$tag.log" | tail -n 15)" ;;
		esac ;;
	*)
		case $prof in
		plain | lab) t $prof $([ $v = ok ]; echo $?) "$name: ok" "probe: $(cat "$out" 2>/dev/null)" ;;
		restricted) t $prof $([ $v = blocked ]; echo $?) "$name: blocked" "probe: $(cat "$out" 2>/dev/null)" ;;
		esac ;;
	esac
	rm -f "$fifo" "$out"
	nsbox_pam_bind_over su "$SU_PLAIN"
}

# lab (and, as the baseline, plain): sudo works, and a tmpfs mount and the hostname it sets stay
# in the box
sudo_effects() { # PROFILE
	local prof=$1 pid f=$NSBOX_T/sudo-$1.out init id up
	u_no_box
	: >"$f"
	nsbox_ssh $U -- "mkdir -p \$HOME/mnt && sudo -n mount -t tmpfs nsbt-esc-sudo-tmpfs \$HOME/mnt && sudo -n hostname nsbt-esc-sudo && echo DONE \$(hostname); sleep 43" >"$f" 2>&1 &
	pid=$!
	nsbox_wait "grep -q '^DONE' '$f' || ! kill -0 $pid 2>/dev/null" 15
	id=$(u_record)
	init=$(sed -n 's/^init=//p' "$id" 2>/dev/null)
	grep -qx 'DONE nsbt-esc-sudo' "$f"
	up=$?
	t $prof $up "sudo mounts a tmpfs and sets the hostname in the box" "$(cat "$f")"
	t $prof $([ $up = 0 ] && grep -qs nsbt-esc-sudo-tmpfs /proc/$init/mountinfo; echo $?) "the tmpfs is in the box's mount table"
	t $prof $([ $up = 0 ] && ! grep -q nsbt-esc-sudo-tmpfs /proc/self/mountinfo /proc/$NSBOX_OUTER_PID/mountinfo; echo $?) \
		"the tmpfs is not in the host's mount table"
	t $prof $([ $up = 0 ] && [ "$(hostname)" = "$HOST_HOSTNAME" ]; echo $?) "the host's hostname is still '$HOST_HOSTNAME' ($(hostname))"
	end_remote $U 43
	wait $pid 2>/dev/null
}

for prof in plain restricted lab; do
	run_batch $prof
	host_evidence $prof
	fwd_probe $prof
	hostfd_probe $prof
	tty_probe $prof 2 tiocsti /dev/tty "'touch $NSBOX_T/tty-hit-$prof-2\n'"
	tty_probe $prof 3 tiocsti /dev/tty "'touch $NSBOX_T/tty-hit-$prof-3\n'" high
	tty_probe $prof 4 tioclinux /dev/tty
	tty_probe $prof 5 tioclinux /dev/tty high
	case $prof in plain | lab) sudo_effects $prof ;; esac
done

end_remote $U2 1800
wait $OTHER_SSH 2>/dev/null
nsbox_check_clean "escape probes"

# ---------------------------------------------------------------------------------------------
# The table (paste into the issue note)

note "" "escape probes x profile (ok = the escape worked, blocked = refused, refused = no login)"
note "| probe | unprotected | restricted | lab |" "|---|---|---|---|"
n=0
for name in "${NAMES[@]}" "${EXTRA[@]}"; do
	n=$((n + 1))
	note "| $name | ${R[plain,$name]:-?} | ${R[restricted,$name]:-?} | ${R[lab,$name]:-?} |"
done
note "$n probes" "" "details (unprotected):"
for name in "${NAMES[@]}" "${EXTRA[@]}"; do
	note "  $name: ${DET[plain,$name]}"
done
for prof in restricted lab; do
	[ "${R[$prof,${NAMES[0]}]}" = refused ] && continue
	note "" "details ($prof):"
	for name in "${NAMES[@]}" "${EXTRA[@]}"; do note "  $name: ${DET[$prof,$name]}"; done
done
