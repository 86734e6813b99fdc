#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The fallbacks for kernels without the newer interfaces, forced by a seccomp filter on the
# process that runs the PAM stack (tests/seccomp-fail; the module's helper, its box init and the
# session inherit it), each followed by a real boxed login checked from the user's process and
# after its teardown:
#  - the module saves the application's namespaces through PIDFD_GET_<NS>_NAMESPACE ioctls on
#    its own pidfd (Linux 6.11), else through /proc/self/ns: the ioctl fails as an older kernel
#    fails it (ENOTTY: a pidfd without ioctls; EINVAL, EOPNOTSUPP, which the code takes too), and
#    the namespaces it saved must be the ones it goes back to at the leave line (a close hook
#    after it runs on the host);
#  - the box init sets mount attributes and propagation with mount_setattr (Linux 5.12), else
#    with mount(2) remounts (helper/mount.c): its calls through an fd (AT_EMPTY_PATH) fail with
#    ENOSYS, and / must still be a slave, a hidden file still covered read-only, every mount of
#    the box as a box's without the filter;
#  - each session child enters the saved working directory through openat2 (Linux 5.6), else by
#    path and then checks its inode: strace fails openat2 of that directory alone (a filter
#    cannot tell it from the helper's calls), and a directory swapped for a symlink into another
#    user's home must not be entered.
# Each has a control that shows the call was hit: strace sees it fail with the forced errno (and
# the fallback run), and the same filter with an errno the code has no fallback for refuses the
# login. Where the product has no fallback at all, the login is refused, with nothing left:
# mount_setattr failing for every call (as before Linux 5.12: the application's hold needs it),
# and seccomp = default on a kernel without seccomp filters.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_require_cmd strace
nsbox_private_state
# / shared, as on a systemd host: a box's / must show as a slave of it (in the private mount
# namespace nsbox_enter_private_ns made, every mount is private, and a slave of a private mount
# is private)
mount --make-rshared / || nsbox_die "harness: cannot make / shared"

SFAIL=$NSBOX_BUILD/tests/seccomp-fail
[ -x "$SFAIL" ] || nsbox_die "missing $SFAIL (make tests)"
ENOTTY=25 EINVAL=22 EOPNOTSUPP=95 ENOSYS=38 EPERM=1
U=nsbt-fb
nsbox_add_user $U
chmod 0755 "$NSBOX_T"
# a file the box hides (a cover of a non-directory is a bind of /dev/null, made read-only after
# it is attached when mount_setattr is missing)
install -d -m 0755 "$NSBOX_T/pub"
echo host-secret >"$NSBOX_T/pub/secret"
chmod 0644 "$NSBOX_T/pub/secret"
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box
hide = $NSBOX_T/pub/secret")
OUTD=$NSBOX_T/out
install -d -m 0777 "$OUTD"
HOOK=$NSBOX_T/close-hook
printf '%s\n' '#!/bin/sh' \
	"for t in pid mnt ipc uts net; do printf '%s ' \"\$(readlink /proc/self/ns/\$t)\"; done >'$OUTD/hook'" \
	>"$HOOK"
chmod 0755 "$HOOK"
SVC=nsbox-test-fb
nsbox_pam_service $SVC "auth     required pam_permit.so
account  required pam_permit.so
session  optional $NSBOX_MODULE helper=$NSBOX_HELPER leave
session  optional pam_exec.so type=close_session $HOOK
session  required $NSBOX_MODULE helper=$NSBOX_HELPER conf=$CONF"

# the filter for the next login, one argument per line; $WRAP runs pam-run under it
FILTER=$NSBOX_T/filter
filter() { printf '%s\n' "$@" >"$FILTER"; }
WRAP=$NSBOX_T/filtered-run
printf '%s\n' '#!/bin/bash' "mapfile -t f <'$FILTER'" \
	"exec '$SFAIL' \"\${f[@]}\" -- '$NSBOX_PAMRUN' \"\$@\"" >"$WRAP"
chmod 0755 "$WRAP"
HOST_NS=$(nsbox_host_ns)
mounts() { awk '$5 != "/run/netns" {print $5, $9, $10}' /proc/self/mountinfo | sort; }

probe='
echo NS $(for t in pid mnt ipc uts net; do printf "%s " "$(readlink /proc/self/ns/$t)"; done)
echo INIT $(cat /proc/1/comm)
echo PIDS $(ls /proc | grep -E "^[0-9]+$" | tr "\n" " ")
echo HOST $(hostname)
echo NET $(ls /sys/class/net | tr "\n" " ")
echo SHMDEV $(stat -c %d /dev/shm)
echo ROOT $(awk "\$5 == \"/\" {for (i = 7; \$i != \"-\"; i++) if (sub(/:[0-9]+\$/, \"\", \$i)) print \$i}" /proc/self/mountinfo)
echo PROC $(awk "\$5 == \"/proc\" {print \$6}" /proc/self/mountinfo)
echo SYS $(awk "\$5 == \"/sys\" {print \$6}" /proc/self/mountinfo)
echo SECRET $(cat "$1" | wc -c) $(awk -v p="$1" "\$5 == p {print \$6}" /proc/self/mountinfo)
echo ID $NSBOX_ID
awk "{o = \"\"; for (i = 7; \$i != \"-\"; i++) { f = \$i; sub(/:[0-9]+\$/, \"\", f); o = o \" \" f }
	print \"MT\", \$5, \$6, \$(i + 1), \$(i + 3) o}" /proc/self/mountinfo
'

# box_ok DESC : a login through the filter; what its user sees is a box, mounted as the first
# one (the baseline) was: the same mount points with the same options and propagation; the close
# hook after the leave line runs in the host's namespaces; nothing is left
MT_BASE=
box_ok() {
	local desc=$1 out rc b h t before
	before=$(mounts)
	rm -f "$OUTD/hook"
	out=$("$WRAP" $SVC $U -- sh -c "$probe" probe "$NSBOX_T/pub/secret" 2>&1)
	rc=$?
	ok $rc "$desc: the boxed login runs" "$out"
	field() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }
	for t in pid mnt ipc uts net; do
		b=$(field NS | tr ' ' '\n' | grep "^$t:")
		h=$(echo "$HOST_NS" | tr ' ' '\n' | grep "^$t:")
		like "$b" "^$t:\[[0-9]+\]$" "$desc: the session has a $t namespace"
		isnt "$b" "$h" "$desc: ... not the host's"
	done
	is "$(field INIT)" nsbox-init "$desc: PID 1 is the box init"
	like "$(field PIDS)" "^1 " "$desc: /proc is the box's (it lists the init as 1)"
	unlike " $(field PIDS) " " $$ " "$desc: /proc does not list the test's own pid"
	is "$(field HOST)" "$U-box" "$desc: the box's hostname"
	is "$(field NET)" lo "$desc: /sys/class/net shows only lo"
	isnt "$(field SHMDEV)" "$(stat -c %d /dev/shm)" "$desc: /dev/shm is a private tmpfs"
	is "$(field ROOT)" master "$desc: / is a slave mount (of the test's shared /)"
	like "$(field PROC)" "nosuid,nodev,noexec" "$desc: /proc is nosuid,nodev,noexec"
	like "$(field SYS)" "^ro," "$desc: /sys is read-only"
	like "$(field SECRET)" "^0 ro,nosuid,(nodev,)?noexec" "$desc: the hidden file is empty, read-only"
	like "$(field ID)" "^[0-9a-f]{8}$" "$desc: NSBOX_ID is set"
	# /run/netns left out: which netns names a box's table holds depends on the boxes before it
	if [ -z "$MT_BASE" ]; then
		MT_BASE=$(field MT | grep -v '^/run/netns')
	else
		is "$(diff <(echo "$MT_BASE") <(field MT | grep -v '^/run/netns'))" "" \
			"$desc: the box's mounts have the baseline's options and propagation"
	fi
	is "$(cat "$OUTD/hook" 2>/dev/null)" "$HOST_NS " \
		"$desc: after the leave line, the close hook runs in the host's namespaces"
	nsbox_check_clean "$desc"
	is "$(diff <(echo "$before") <(mounts))" "" "$desc: no mount left in the test's namespace"
}

# traced SYSCALLS : strace (outside the filter) of a login under it, one file per process
# ($TRACE.PID: no call split by another process's)
TRACE=$NSBOX_T/trace
traced() {
	rm -f "$TRACE".*
	strace -ff -qq -o "$TRACE" -e trace="$1" -- "$WRAP" $SVC $U -- true >/dev/null 2>&1
}
# seen ERE : how many traced calls match ERE
seen() { cat "$TRACE".* | grep -cE "$1"; }

# refused REGEX DESC : a login through the filter is refused (the module's one line says why),
# its command does not run, and nothing is left
refused() { NSBOX_PAMRUN=$WRAP nsbox_refused $SVC $U "$@"; }

filter -m 0 acct 0 $EPERM # called by nothing in the stack: a filter that hits nothing
box_ok "baseline (a filter on nothing the product calls)"

# ---- PIDFD_GET_<NS>_NAMESPACE: ioctl(pidfd, 0xff02..0xff0a, 0) ----
for e in ENOTTY EINVAL EOPNOTSUPP; do
	filter -a 1 -m 0xffffff00 ioctl 0xff00 ${!e}
	box_ok "pidfd namespace ioctls fail with $e"
done
filter -a 1 -m 0xffffff00 ioctl 0xff00 $ENOTTY
traced ioctl
cat "$TRACE".* | grep -E 'PIDFD|0xff' | head -3 | while read -r l; do note "$l"; done
n=$(seen '^ioctl\([0-9]+, (PIDFD_GET_[A-Z]+_NAMESPACE|0xff0[0-9a-f]|_IOC\(_IOC_NONE, 0xff, 0x[0-9a-f]+, 0\)), .*= -1 ENOTTY')
ok $([ "$n" -ge 1 ]; echo $?) "pidfd namespace ioctls: control: strace sees $n of them fail with ENOTTY"
for e in ENOSYS EPERM; do
	filter -a 1 -m 0xffffff00 ioctl 0xff00 ${!e}
	refused "no box for user '$U': cannot save own namespaces: .*; session denied" \
		"pidfd namespace ioctls fail with $e (no fallback: not what an old kernel says)"
done

# ---- mount_setattr through an fd (AT_EMPTY_PATH = 0x1000): the box init's mount plan ----
filter -a 2 -m 0x1000 mount_setattr 0x1000 $ENOSYS
box_ok "mount_setattr through an fd fails with ENOSYS"
traced mount_setattr,mount
cat "$TRACE".* | grep -Ev '^(---|\+\+\+)' | while read -r l; do note "$l"; done
is "$(seen '^mount_setattr\([0-9]+, "", AT_EMPTY_PATH\|AT_RECURSIVE, .*propagation=MS_SLAVE.*= -1 ENOSYS')" 1 \
	"mount_setattr: control: strace sees the box init's MS_SLAVE of / fail with ENOSYS"
is "$(seen '^mount\(NULL, "/proc/self/fd/[0-9]+", NULL, MS_REC\|MS_SLAVE, NULL\) = 0')" 1 \
	"mount_setattr: ... and its fallback, mount(2) through the fd, make / a slave"
is "$(seen '^mount_setattr\([0-9]+, "", AT_EMPTY_PATH, \{attr_set=MOUNT_ATTR_RDONLY\|MOUNT_ATTR_NOSUID\|MOUNT_ATTR_NOEXEC,.*= -1 ENOSYS')" 2 \
	"mount_setattr: control: strace sees the read-only of the hidden file's cover fail with ENOSYS (detached, then attached)"
is "$(seen '^mount\(NULL, "/proc/self/fd/[0-9]+", NULL, MS_RDONLY\|MS_NOSUID\|(MS_NODEV\|)?MS_NOEXEC\|MS_REMOUNT\|MS_BIND.*, NULL\) = 0')" 1 \
	"mount_setattr: ... and its fallback, a bind remount through the fd, make it read-only"
is "$(seen '^mount_setattr\(AT_FDCWD, "/", AT_RECURSIVE, .*\) = 0')" 1 \
	"mount_setattr: control: the hold's call (by path, not through an fd) is not hit"
filter -a 2 -m 0x1000 mount_setattr 0x1000 $EPERM
refused "no box for user '$U': .*making / a slave mount.*; session denied" \
	"mount_setattr through an fd fails with EPERM (no fallback)"

# ---- mount_setattr missing altogether (before Linux 5.12): no fallback for the hold ----
filter -m 0 mount_setattr 0 $ENOSYS
refused "no box for user '$U': .*hold.*Function not implemented; session denied" \
	"mount_setattr fails with ENOSYS for every call"

# ---- openat2 (Linux 5.6): the session's working directory, entered by identity ----
# The module saves the application's working directory and enters it again in each session
# child (policy.c): through openat2 without symlinks, its inode checked, else (ENOSYS) through
# chdir(2) by path, then the inode checked. openat2 takes its flags in memory, out of a filter's
# reach, and the helper calls it too (its mount plan): strace fails it for the one path alone
# (-P). The swap (tests/swapcwd.c, as t41-cwd.t makes it) puts a symlink into another user's
# 0700 home in place of the directory: the fallback follows it, and must see it is not the
# directory it saved.
SHIM=$NSBOX_BUILD/tests/libswapcwd.so
[ -f "$SHIM" ] || nsbox_die "missing $SHIM (make tests)"
V=nsbt-fbv
nsbox_add_user $V
VH=$(getent passwd $V | cut -d: -f6)
AH=$(getent passwd $U | cut -d: -f6)
chmod 0700 "$VH"
install -d -m 0755 -o $V -g $V "$VH/inner"
echo victim-secret >"$VH/inner/secret"
chown $V:$V "$VH/inner/secret"
chmod 0644 "$VH/inner/secret"
install -d -m 0755 -o $U -g $U "$AH/work" "$AH/work/d"
D=$AH/work/d
cwdprobe='echo "PWD $(pwd -P) ID ${NSBOX_ID:-none}"; cat secret 2>/dev/null || echo no-secret'
# cwd_login [SWAP-TO] : a login from $D, openat2 of $D failed with ENOSYS (traced to $TRACE)
cwd_login() {
	local swap=()
	[ $# = 1 ] && swap=(-E LD_PRELOAD="$SHIM" -E NSBT_SWAP_DIR="$D" -E NSBT_SWAP_TO="$1")
	rm -f "$TRACE".*
	(cd "$D" && strace -ff -qq -o "$TRACE" "${swap[@]}" -P "$D" -e trace=openat2,chdir \
		-e inject=openat2:error=ENOSYS -- "$NSBOX_PAMRUN" $SVC $U -- sh -c "$cwdprobe" 2>&1)
}
m=$(nsbox_log_mark)
out=$(cwd_login)
ok $? "openat2 fails with ENOSYS: the login runs" "$out"
like "$out" "^PWD $(re "$D") ID [0-9a-f]{8}" "openat2 fails with ENOSYS: boxed, in the same directory"
n=$(seen "^openat2\\(AT_FDCWD, \"$(re "$D")\", .*= -1 ENOSYS .*\\(INJECTED\\)")
cat "$TRACE".* | grep -Ev '^(---|\+\+\+)' | while read -r l; do note "$l"; done
ok $([ "$n" -ge 1 ]; echo $?) "openat2: control: strace failed $n openat2 calls of the directory"
n=$(seen "^chdir\\(\"$(re "$D")\"\\) += 0")
ok $([ "$n" -ge 1 ]; echo $?) "openat2: ... and the fallback entered it by path ($n chdir calls)"
is "$(nsbox_log_since "$m" | grep -c 'pam_nsbox.*\(error\|denied\|cannot\)')" 0 "openat2 fails with ENOSYS: nothing logged"
nsbox_check_clean "openat2 fails with ENOSYS"

is "$(su -s /bin/sh $U -c "cat '$VH/inner/secret'" 2>/dev/null || echo denied)" denied \
	"baseline: $U cannot reach $V's directory through the 0700 home"
out=$(cwd_login "$VH/inner")
rc=$?
ok $([ -L "$D" ] && [ "$(readlink "$D")" = "$VH/inner" ]; echo $?) \
	"openat2 fails, cwd swapped: the swap happened (the path is now a symlink into $V's home)"
is "$rc" 0 "openat2 fails, cwd swapped: the session still runs"
like "$out" "^PWD / ID [0-9a-f]{8}" "openat2 fails, cwd swapped: boxed, in / rather than in $V's directory"
unlike "$out" "victim-secret" "openat2 fails, cwd swapped: $V's file is not read through the cwd"
n=$(seen "^chdir\\(\"$(re "$D")\"\\) += 0")
ok $([ "$n" -ge 1 ]; echo $?) "openat2 fails, cwd swapped: control: the fallback followed the symlink ($n chdir calls)"
nsbox_check_clean "openat2 fails, cwd swapped"
rm -f "$D" && mv "$D.orig" "$D"

# ---- seccomp = default without seccomp filters: no fallback, the login is refused ----
# The module asks the kernel first (seccomp(SECCOMP_GET_ACTION_AVAIL = 2, ...), Linux 4.14); a
# kernel without CONFIG_SECCOMP_FILTER answers ENOSYS or EINVAL. Control: the same filter with
# seccomp = off logs in, and seccomp = default without the filter does.
SCONF=$(nsbox_conf seccomp.conf "[defaults]
seccomp = default")
nsbox_service nsbox-test-fbsc "conf=$SCONF"
nsbox_service nsbox-test-fboff "conf=$CONF"
for e in ENOSYS EINVAL; do
	filter seccomp 2 ${!e}
	NSBOX_PAMRUN=$WRAP nsbox_refused nsbox-test-fbsc $U \
		"no box for user '$U': seccomp = default, but this kernel has no seccomp filters.*; session denied" \
		"seccomp(SECCOMP_GET_ACTION_AVAIL) fails with $e, seccomp = default"
	out=$("$WRAP" nsbox-test-fboff $U -- sh -c 'echo ID $NSBOX_ID' 2>&1)
	like "$out" "^ID [0-9a-f]{8}$" "seccomp(SECCOMP_GET_ACTION_AVAIL) fails with $e: control: seccomp = off logs in boxed"
	nsbox_check_clean "seccomp = off"
done
filter -m 0 acct 0 $EPERM
out=$("$WRAP" nsbox-test-fbsc $U -- sh -c 'echo ID $NSBOX_ID $(sed -n "s/^Seccomp:\t//p" /proc/self/status)' 2>&1)
like "$out" "^ID [0-9a-f]{8} 2$" "control: seccomp = default without the filter logs in boxed, under a filter"
nsbox_check_clean "seccomp = default"

nsbox_check_clean "end"
