#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Teardown and error paths: a box with a process stuck in the kernel (D state, from a
# FUSE file system that never answers: tests/fuse-hang.c) still frees its veth, lease, record
# and network namespace name at logout, and its supervisor exits after a bounded wait with one
# log line; a full /run/nsbox says "No space left on device", not "pool exhausted"; half-built
# box directories of dead helpers are collected.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state

FUSEHANG=${NSBOX_FUSEHANG:-$NSBOX_BUILD/tests/fuse-hang}
[ -x "$FUSEHANG" ] || nsbox_die "harness: $FUSEHANG missing (make tests)"
grep -qw fuse /proc/filesystems || modprobe fuse 2>/dev/null
grep -qw fuse /proc/filesystems || skip_all "the kernel has no FUSE"

BR=nsbt-br26
ip link add $BR type bridge
ip addr add 10.78.0.1/24 dev $BR
ip link set $BR up

nsbox_add_user nsbt-hang
nsbox_add_user nsbt-udh
nsbox_add_user nsbt-dhcpc
# A stand-in for busybox udhcpc (the helper tells it by its name): never gets a lease, and
# exits on SIGTERM as udhcpc -R does after its release.
mkdir -p -m 0755 "$NSBOX_T/bin"
cat >"$NSBOX_T/bin/udhcpc" <<'EOS'
#!/bin/sh
trap 'exit 0' TERM
while :; do sleep 0.05; done
EOS
chmod 0755 "$NSBOX_T/bin/udhcpc"
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u

[match user=nsbt-hang]
network = bridge
bridge  = $BR
address = pool 10.78.0.0/24 10.78.0.100-10.78.0.109
gateway = 10.78.0.1

[match user=nsbt-udh]
network = bridge
bridge  = $BR
address = dhcp
dhcp_client = $NSBOX_T/bin/udhcpc
dhcp_timeout = 1
dhcp_user = nsbt-dhcpc")
SVC=nsbox-test-td
nsbox_service $SVC "conf=$CONF"

# ---- a FUSE file system that takes requests and never answers ----
# the private /dev has no fuse node; the test's own tmpfs may get one
[ -c /dev/fuse ] || mknod -m 0666 /dev/fuse c 10 229 || nsbox_die "harness: mknod /dev/fuse"
FCTL=$NSBOX_T/fusectl
# The mounts below live in $NSBOX_T, which the harness removes without crossing file systems:
# they go first (lazily: a daemon the harness kills later may still hold its connection), even
# when the script dies early.
t26_unmount() {
	local m
	for m in $(findmnt -rn -o TARGET | grep -F "$NSBOX_T/" | grep -v "^$NSBOX_T/dev" | sort -r); do
		umount -l "$m" 2>/dev/null
	done
}
trap 't26_st=$?; t26_unmount; (exit $t26_st); _nsbox_on_exit' EXIT
mkdir -p "$FCTL" && mount -t fusectl nsbox-test-fusectl "$FCTL" ||
	nsbox_die "harness: cannot mount fusectl"

# hang_start NAME: a fresh hanging mount at $NSBOX_T/NAME; sets HANG_PID, HANG_DIR, HANG_READY
hang_start() {
	HANG_DIR=$NSBOX_T/$1
	HANG_READY=$NSBOX_T/$1.ready
	mkdir -p "$HANG_DIR"
	rm -f "$HANG_READY"
	"$FUSEHANG" "$HANG_DIR" "$HANG_READY" </dev/null >"$NSBOX_T/$1.out" 2>&1 &
	HANG_PID=$!
	# killing the daemon ends its connection, and with it every request it left unanswered:
	# the harness's cleanup frees a stuck box even when an assertion failed
	nsbox_track_pid $HANG_PID
	nsbox_wait '[ -s "$HANG_READY" ]' 5 || nsbox_die "fuse-hang did not mount" "$(cat "$NSBOX_T/$1.out")"
}
hang_abort() { echo 1 >"$FCTL/$(cut -d' ' -f1 "$HANG_READY")/abort"; }
hung_requests() { cut -d' ' -f2 "$HANG_READY" 2>/dev/null || echo 0; }

# pids of nsbt-hang's processes in uninterruptible sleep
stuck_procs() { ps -u nsbt-hang -o pid=,stat= 2>/dev/null | awk '$2 ~ /^D/ {print $1}'; }

# stuck_login: a boxed login whose shell leaves a process stuck on the hanging mount, then logs
# out; sets ID, INIT, SUP (the supervisor) from the "started" log line, and OUT
stuck_login() {
	local m line
	m=$(nsbox_log_mark)
	# the shell waits until the daemon holds the request: a request not yet read by it would
	# still be killable, and the box would end normally
	OUT=$(timeout 30 "$NSBOX_PAMRUN" $SVC nsbt-hang -- sh -c "
		stat '$HANG_DIR/x' >/dev/null 2>&1 &
		i=0
		while [ \"\$(cut -d' ' -f2 '$HANG_READY')\" = 0 ] && [ \$i -lt 200 ]; do
			sleep 0.05; i=\$((i + 1))
		done
		echo ID=\$NSBOX_ID ADDR=\$(ip -o -4 addr show dev eth0 | awk '{print \$4}')
		echo HUNG=\$(cut -d' ' -f2 '$HANG_READY')" 2>&1)
	LOGIN_RC=$?
	LOGOUT_AT=$SECONDS
	ID=$(printf '%s\n' "$OUT" | sed -n 's/^ID=\([0-9a-f]*\) .*/\1/p')
	line=$(nsbox_log_grep "box=$ID started:" "$m")
	INIT=$(printf '%s\n' "$line" | sed -n 's/.* init=\([0-9]*\) .*/\1/p')
	SUP=$(printf '%s\n' "$line" | sed -n 's/.*nsbox-helper\[\([0-9]*\)\]:.*/\1/p')
	MARK=$m
}

# ---- 1. the init outlives the bound: the host side is freed at once, the supervisor goes ----
hang_start hang1
stuck_login
is "$LOGIN_RC" 0 "stuck box: the login ran its shell" "$OUT"
like "$OUT" "ID=[0-9a-f]{8} ADDR=10\.78\.0\.10[0-9]/24" "stuck box: bridged, with a pool address"
like "$OUT" "HUNG=[1-9]" "stuck box: its process has a request the daemon never answers"
like "$INIT:$SUP" "^[0-9]+:[0-9]+$" "stuck box: init and supervisor pids from the log"

# the bound is 10 s; everything of the host must go long before it
nsbox_wait '[ -z "$(host_veths)" ] && [ "$(held_leases)" = 0 ] && [ ! -e /run/nsbox/boxes/$ID ] && [ ! -e /run/netns/nsbox-$ID ]' 3
is "$(host_veths | tr '\n' ' ')" "" "stuck box: its veth is gone within 3 s of the logout"
is "$(held_leases)" 0 "stuck box: its lease is free within 3 s"
ok $([ ! -e /run/nsbox/boxes/$ID ]; echo $?) "stuck box: its record is gone within 3 s"
ok $([ ! -e /run/netns/nsbox-$ID ]; echo $?) "stuck box: its network namespace name is gone within 3 s"
is "$(nsbox_log_grep "box=$ID ended:" "$MARK" | wc -l)" 1 "stuck box: the session's end is logged at once"
stuck=$(stuck_procs)
isnt "$stuck" "" "stuck box: meanwhile its process is still in D state (the scenario holds)"
ok $(nsbox_alive "$INIT"; echo $?) "stuck box: and the init has not ended (it cannot while a member lives)"
tally=$((SECONDS - LOGOUT_AT))
ok $([ $tally -le 5 ]; echo $?) "stuck box: all of it took ${tally} s"

# then the supervisor gives up waiting, says so once, and exits
nsbox_wait '! nsbox_alive "$SUP"' 20
ok $(! nsbox_alive "$SUP"; echo $?) "stuck box: the supervisor exits after the bound"
line=$(nsbox_log_grep "box=$ID init=$INIT still exiting" "$MARK")
like "$line" "box=$ID init=$INIT still exiting 10 s after the teardown .*leaving it to the kernel" \
	"stuck box: one line says the init outlived the bound"
is "$(printf '%s\n' "$line" | grep -c .)" 1 "stuck box: exactly one such line"
ok $(nsbox_alive "$INIT"; echo $?) "stuck box: the init is still there when the supervisor has gone"
# (the init, mid-exit, has no executable any more: it is not counted as a helper)
is "$(nsbox_helper_pids | tr '\n' ' ')" "" "stuck box: no other helper process is left"

# the request ends: so does its process, and the init, which pid 1 now reaps
hang_abort
nsbox_wait '[ -z "$(stuck_procs)" ] && ! nsbox_alive "$INIT"' 10
is "$(stuck_procs | tr '\n' ' ')" "" "stuck box: after the abort the process has ended"
ok $(! nsbox_alive "$INIT"; echo $?) "stuck box: and so has the init"
nsbox_check_clean "stuck box"

# ---- 2. the init ends within the bound: the supervisor reaps it and says nothing more ----
hang_start hang2
stuck_login
like "$OUT" "HUNG=[1-9]" "briefly stuck box: its process hangs"
nsbox_wait '[ -z "$(host_veths)" ] && [ "$(held_leases)" = 0 ] && [ ! -e /run/nsbox/boxes/$ID ]' 3
ok $([ -z "$(host_veths)" ] && [ "$(held_leases)" = 0 ] && [ ! -e /run/nsbox/boxes/$ID ]; echo $?) \
	"briefly stuck box: veth, lease and record freed at once"
ok $(nsbox_alive "$SUP"; echo $?) "briefly stuck box: the supervisor waits for the init"
hang_abort
nsbox_wait '! nsbox_alive "$SUP"' 5
ok $(! nsbox_alive "$SUP"; echo $?) "briefly stuck box: once the init ends, the supervisor exits"
is "$(nsbox_log_grep "box=$ID init=.* still exiting" "$MARK" | wc -l)" 0 \
	"briefly stuck box: no 'still exiting' line"
nsbox_check_clean "briefly stuck box"

# ---- 3. a full /run/nsbox: the cause, not "pool exhausted" ----
# A tiny tmpfs over this test's /run/nsbox, filled to leave PAGES free pages: a box record
# needs one, a lease file one.
full_run() {
	local pages=$1 free bs
	mount -t tmpfs -o size=64k,mode=0700 nsbox-test-full /run/nsbox || return 1
	mkdir -m 0700 /run/nsbox/boxes /run/nsbox/leases || return 1
	bs=$(stat -f -c %S /run/nsbox)
	free=$(stat -f -c %a /run/nsbox)
	[ "$free" -gt "$pages" ] || return 1
	dd if=/dev/zero of=/run/nsbox/fill bs="$bs" count=$((free - pages)) status=none || return 1
	[ "$(stat -f -c %a /run/nsbox)" = "$pages" ]
}
full_done() { umount /run/nsbox; }

full_run 1 || nsbox_die "harness: cannot make a full /run/nsbox"
nsbox_refused $SVC nsbt-hang "no box for user 'nsbt-hang': .*lease.*No space left on device; session denied" \
	"full /run, room for the record only"
unlike "$(nsbox_log_since "$MARK")" "exhausted" "full /run, room for the record only: nothing says 'exhausted'"
full_done

full_run 0 || nsbox_die "harness: cannot make a full /run/nsbox"
nsbox_refused $SVC nsbt-hang "no box for user 'nsbt-hang': .*record.*No space left on device; session denied \(ref [0-9a-f]{8}, not kept in /run/nsbox/refusals: No space left on device\)" \
	"full /run, no room at all"
full_done

# ---- 4. half-built box directories of dead helpers are collected, a live one's kept ----
mkdir -p -m 0700 /run/nsbox/boxes
mkdir -m 0700 /run/nsbox/boxes/.new-0dead001 /run/nsbox/boxes/.new-0dead002 /run/nsbox/boxes/.new-0f00d003
: >/run/nsbox/boxes/.new-0dead002/.record.tmp
touch -d '-10 minutes' /run/nsbox/boxes/.new-0dead001 /run/nsbox/boxes/.new-0dead002
"$NSBOX_CTL" list >/dev/null 2>&1
ok $([ ! -e /run/nsbox/boxes/.new-0dead001 ] && [ ! -e /run/nsbox/boxes/.new-0dead002 ]; echo $?) \
	"gc: an old half-built directory without a record goes (empty, or with a partial .record.tmp)"
ok $([ -e /run/nsbox/boxes/.new-0f00d003 ]; echo $?) "gc: a fresh one (a helper building it now) stays"
rmdir /run/nsbox/boxes/.new-0f00d003

# ---- 5. no signal to a pid after it was reaped (the udhcpc branch did kill() one) ----
# The whole login under strace: every wait that reaped a pid, and every kill() by pid after it.
if command -v strace >/dev/null; then
	m=$(nsbox_log_mark)
	strace -f -qq -o "$NSBOX_T/udh.strace" -e trace=kill,wait4,waitid,pidfd_send_signal \
		"$NSBOX_PAMRUN" $SVC nsbt-udh -- true >/dev/null 2>&1
	isnt $? 0 "udhcpc without a lease: login refused"
	like "$(nsbox_log_since "$m")" "no DHCP lease on '$BR' within 1 s" "udhcpc without a lease: the log says why"
	# strace -f: "PID syscall(args) = RET", or split in "<unfinished ...>" and "<... resumed>"
	late=$(python3 - "$NSBOX_T/udh.strace" <<'EOP'
import re, sys
reaped, pending, bad = set(), {}, []
for line in open(sys.argv[1]):
    m = re.match(r'(\d+) +(.*)', line)
    if not m:
        continue
    who, rest = m.groups()
    call = re.match(r'(wait4|kill)\((-?\d+)', rest)
    if call and '<unfinished' in rest:
        pending[who] = call.groups()
        continue
    res = re.match(r'<\.\.\. (\w+) resumed>.*= (-?\d+)', rest)
    if res and who in pending:
        call, ret = pending.pop(who), int(res.group(2))
        name, arg = call
    elif call:
        ret = re.search(r'= (-?\d+)', rest)
        name, arg, ret = call.group(1), call.group(2), int(ret.group(1)) if ret else -1
    else:
        continue
    if name == 'wait4' and ret > 0:
        reaped.add(ret)
    elif name == 'kill' and int(arg) in reaped:
        bad.append(line.strip())
print('\n'.join(bad))
EOP
)
	is "$late" "" "no kill() of a pid the helper had already reaped"
	is "$(grep -E '^[0-9]+ +kill\(' "$NSBOX_T/udh.strace" | head -3)" "" \
		"no signal by pid at all: the helper's children are signalled through pidfds"
	like "$(grep -c 'pidfd_send_signal(.*SIGTERM' "$NSBOX_T/udh.strace")" "^[1-9]" \
		"udhcpc got its SIGTERM (the release) through a pidfd"
	nsbox_check_clean "udhcpc without a lease"
else
	skip "strace is not installed" 5
fi
