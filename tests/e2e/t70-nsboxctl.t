#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# nsboxctl against real sshd logins: list, show (text and JSON, checked against a probe inside
# the box), enter, stop (one id, --user, --all, --wait), explain, the ip netns name of each box
# (gone after a SIGKILLed supervisor), forged records refused, a non-root caller refused.
. "$(dirname "$0")/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/common.sh"
nsbox_private_state
nsbox_require_cmd python3
NSBOX_SSH_TIMEOUT=120 # held sessions end by nsboxctl stop, well before this

U=nsbt-ctl
U2=nsbt-ctl2
nsbox_add_user $U
nsbox_add_user $U2
nsbox_add_group nsbt-ctlops
nsbox_add_user nsbt-ctladm nsbt-ctlops
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = box-%u

[match user=$U2 service=nosuch]
hostname = never

[match group=nsbt-ctlops]
exempt = yes

[match user=nsbt-ctl*]
profile = restricted")
SVC=nsbox-test-ctl
nsbox_service $SVC "conf=$CONF"
nsbox_sshd_start $SVC
nsbox_ssh_authorize $U $U2 nsbt-ctladm
CTL=$NSBOX_CTL
rec() { sed -n "s/^$2=//p" "/run/nsbox/boxes/$1/record"; }

# hold: a session of user $1 that prints a probe of its box and then sleeps; sets HELD, BOX
hold() {
	local out=$NSBOX_T/probe-$1 i
	# emptied here, not only by the background job's redirection: that one may come after the
	# wait below has already found the PROBE line of this user's previous session
	: >"$out"
	nsbox_ssh "$1" -tt -- 'echo "PROBE $NSBOX_ID $(hostname) $(readlink /proc/self/ns/net) $(readlink /proc/self/ns/pid) $(tty)"; exec sleep 600' \
		</dev/null >"$out" 2>&1 &
	HELD=$!
	nsbox_track_pid $HELD
	nsbox_wait "grep -q '^PROBE' '$out'" 15 || note "hold $1: no PROBE line yet: $(cat "$out")"
	BOX=$(sed -n 's/^PROBE \([0-9a-f]*\) .*/\1/p' "$out" | head -1)
	PROBE=$(grep '^PROBE' "$out" | tr -d '\r')
}
jget() { # JSON-TEXT EXPR: python3 evaluates EXPR over the parsed value j
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- list and show of a live ssh login ----
hold $U
like "$BOX" '^[0-9a-f]{8}$' "held ssh session in box $BOX"
read -r _ p_id p_host p_net p_pid p_tty <<<"$PROBE"
out=$("$CTL" list)
ok $? "nsboxctl list" "$out"
like "$(printf '%s\n' "$out" | head -1)" '^ID +USER +SERVICE +RHOST +TTY +AGE +INIT +MEMBERS +HOSTNAME +ADDRESSES$' "list: header"
row=$(printf '%s\n' "$out" | grep "^$BOX ")
# sshd opens the PAM session before it allocates the pty, and says PAM_TTY=ssh for every one
like "$row" "^$BOX +$U +$SVC +127\.0\.0\.1 +ssh +[0-9]+s +$(rec $BOX init) " \
	"list: the row has user, service, rhost, the tty sshd gave PAM (the shell's is $p_tty), age, init"
like "$row" " box-$U +- *$" "list: hostname, no addresses (network = none)"
json=$("$CTL" list --json)
ok $? "nsboxctl list --json"
is "$(jget "$json" 'len(j)')" 1 "list --json: one box, parsed by python3 json"
is "$(jget "$json" '" ".join(str(j[0][k]) for k in ("id","user","service","rhost","hostname","profile"))')" \
	"$BOX $U $SVC 127.0.0.1 box-$U restricted" "list --json: id, user, service, rhost, hostname, profile"
is "$(jget "$json" 'j[0]["namespaces"]["net"]+" "+j[0]["namespaces"]["pid"]')" "$p_net $p_pid" \
	"list --json: namespace ids are the ones the probe inside the box sees"
is "$(jget "$json" 'j[0]["init"]')" "$(rec $BOX init)" "list --json: init pid"
is "$(jget "$json" 'j[0]["tty"]')" "ssh" "list --json: tty"
like "$p_tty" "^/dev/pts/[0-9]+$" "the probe's own tty is a pty (PAM's tty is sshd's 'ssh')"
sj=$("$CTL" show "$BOX" --json)
is "$(jget "$sj" 'j["id"]+" "+j["namespaces"]["net"]+" "+str(j["no_new_privs"])+" "+str(j["seccomp"])')" \
	"$BOX $p_net True True" "show --json: the box and its policy (restricted: no_new_privs, seccomp)"
st=$("$CTL" show "$BOX")
ok $? "nsboxctl show"
like "$st" "ns\.net = $(re "$p_net")" "show: the net namespace the probe sees"
like "$st" "hostname = box-$U" "show: hostname"
like "$st" "profile = restricted" "show: profile"
like "$st" "no_new_privs = yes" "show: no_new_privs"
like "$st" "rhost = 127\.0\.0\.1" "show: rhost"
like "$st" "app = [1-9][0-9]*" "show: the PAM application's pid"
like "$st" "netns = nsbox-$BOX" "show: the ip netns name"

# ---- enter ----
is "$("$CTL" enter "$BOX" -- hostname)" "box-$U" "enter ID -- CMD: the box's hostname"
is "$("$CTL" enter "$BOX" hostname)" "box-$U" "enter ID CMD (no --)"
is "$("$CTL" enter "$BOX" -- readlink /proc/self/ns/net)" "$p_net" "enter: the box's network namespace"
n=$("$CTL" enter "$BOX" -- sh -c 'ls /proc | grep -cE "^[0-9]+$"')
ok $([ "$n" -le 10 ]; echo $?) "enter: the box's /proc ($n pids)"
is "$("$CTL" enter "$BOX" -- sh -c 'exit 7'; echo $?)" 7 "enter: the command's exit status"

# ---- ip netns ----
like "$(ip netns list)" "nsbox-$BOX" "ip netns list shows nsbox-$BOX"
is "$(ip netns exec "nsbox-$BOX" readlink /proc/self/ns/net)" "$p_net" "ip netns exec nsbox-ID: the box's namespace"
is "$(ip netns exec "nsbox-$BOX" ip -o link | awk -F': ' '{print $2}' | tr '\n' ' ')" \
	"$("$CTL" enter "$BOX" -- ls /sys/class/net | tr '\n' ' ')" "ip netns exec nsbox-ID ip link: the box's interfaces"

# ---- forged records: refused by show, enter, stop ----
forge() { # NAME: a copy of the live record under a fresh id, which the caller then spoils
	FID=$1
	mkdir -m 0700 "/run/nsbox/boxes/$FID"
	cp "/run/nsbox/boxes/$BOX/record" "/run/nsbox/boxes/$FID/record"
	chmod 0600 "/run/nsbox/boxes/$FID/record"
}
refused() { # WHAT
	local c
	for c in "show $FID" "enter $FID -- true" "stop $FID"; do
		"$CTL" $c >"$NSBOX_T/forge.out" 2>&1
		is "$?" 1 "forged record ($1): nsboxctl $c refused"
	done
	like "$(cat "$NSBOX_T/forge.out")" "nsboxctl: .*$FID" "forged record ($1): a message names it"
	unlike "$("$CTL" list)" "^$FID" "forged record ($1): not listed"
	rm -rf "/run/nsbox/boxes/$FID"
}
forge aaaa0001
chown $U "/run/nsbox/boxes/$FID/record"
refused "owned by a user"
forge aaaa0002
chown $U "/run/nsbox/boxes/$FID"
refused "directory owned by a user"
forge aaaa0003
chmod 0755 "/run/nsbox/boxes/$FID"
refused "directory not 0700"
sleep 600 &
decoy=$!
nsbox_track_pid $decoy
dstart=$(awk '{print $22}' /proc/$decoy/stat)
forge aaaa0004
sed -i "s/^init=.*/init=$decoy/; s/^init_start=.*/init_start=$dstart/" "/run/nsbox/boxes/$FID/record"
refused "init is not a box process"
forge aaaa0005
sed -i "s/^init_start=.*/init_start=$(($(rec $BOX init_start) + 1))/" "/run/nsbox/boxes/$FID/record"
refused "recycled init pid (start time differs)"
ok $(nsbox_alive $decoy; echo $?) "the decoy process was not signalled"
ok $(nsbox_alive $HELD; echo $?) "the real session survived the forged stops"

# ---- stop ends the ssh session and leaves nothing ----
# bash completion offers the live box's id (ctl/nsboxctl.bash; its other words are t05's)
comp=$(PATH=$(dirname "$CTL"):$PATH bash -c '. /usr/share/bash-completion/bash_completion && . ctl/nsboxctl.bash || exit 1
	COMP_WORDS=(nsboxctl show ""); COMP_CWORD=2; COMP_LINE="nsboxctl show "; COMP_POINT=14
	_nsboxctl; echo "${COMPREPLY[*]}"' 2>&1)
like "$comp" "(^| )$BOX( |\$)" "completion: nsboxctl show offers the live box's id"
m=$(nsbox_log_mark)
out=$("$CTL" stop --wait "$BOX")
ok $? "nsboxctl stop --wait"
is "$out" "box $BOX: stopped" "stop --wait says what it did"
ok $([ ! -e "/run/nsbox/boxes/$BOX" ]; echo $?) "stop --wait: the box directory is gone when it returns"
nsbox_wait "! nsbox_alive $HELD" 10
ok $? "stop: the ssh session ended"
wait $HELD 2>/dev/null
unlike "$(ip netns list)" "nsbox-$BOX" "stop: the ip netns name is gone"
like "$(nsbox_log_since "$m")" "box=$BOX ended: reason='stopped by signal' duration=[0-9]+s" "stop: the end line says why"
nsbox_check_clean "nsboxctl stop"

# ---- stop --user and --all ----
hold $U
b1=$BOX h1=$HELD
hold $U2
b2=$BOX h2=$HELD
out=$("$CTL" stop --user $U)
ok $? "stop --user $U"
is "$out" "box $b1: told to stop" "stop without --wait says the box was told to stop"
nsbox_wait "[ ! -e /run/nsbox/boxes/$b1 ]" 10
ok $? "stop --user: the box is gone soon after"
nsbox_wait "! nsbox_alive $h1" 10
ok $? "stop --user: $U's session ended"
ok $(nsbox_alive $h2; echo $?) "stop --user: $U2's session still runs"
is "$("$CTL" list --json | python3 -c 'import json,sys; print(" ".join(b["id"] for b in json.load(sys.stdin)))')" \
	"$b2" "stop --user: only $U2's box is left"
"$CTL" stop --user nsbt-nosuch 2>"$NSBOX_T/err"
is $? 1 "stop --user with no box: exit 1"
hold $U
"$CTL" stop --all --wait
ok $? "stop --all"
nsbox_wait "! nsbox_alive $h2 && ! nsbox_alive $HELD" 10
ok $? "stop --all: both sessions ended"
wait $h1 $h2 $HELD 2>/dev/null
nsbox_check_clean "stop --all"

# ---- a SIGKILLed supervisor: the name goes at the next gc, no namespace lingers ----
hold $U
sup=$(rec $BOX supervisor)
netid=$(readlink /run/netns/nsbox-$BOX 2>/dev/null; stat -L -c %i /run/netns/nsbox-$BOX)
kill -9 "$sup"
nsbox_wait "! nsbox_alive $HELD" 10
ok $? "SIGKILL of the supervisor ends the session"
wait $HELD 2>/dev/null
# the next login's garbage collection (here: nsboxctl list's) removes the stale name
nsbox_ssh $U -- true
nsbox_wait "! ip netns list | grep -q nsbox-$BOX" 5
ok $? "the stale name nsbox-$BOX is gone after the next login"
ok $([ ! -e /run/netns/nsbox-$BOX ]; echo $?) "no file left under /run/netns"
# (an inode number is reused once its namespace is gone: only this test's processes count, not
# those of another suite that may run on the machine)
lingers=$(for p in /proc/[0-9]*; do
	[ "$(stat -L -c %i $p/ns/net 2>/dev/null)" = "${netid##*$'\n'}" ] && nsbox_ours "${p#/proc/}" && echo "$p"
done | grep -c .)
is "$lingers" 0 "no process is in the dead box's network namespace (inode ${netid##*$'\n'})"
unlike "$(cat /proc/self/mountinfo)" "nsbox-$BOX" "no mount of it left"
nsbox_check_clean "supervisor killed"

# ---- explain ----
out=$("$CTL" explain --user $U2 --service $SVC --rhost 192.0.2.1 --conf "$CONF")
ok $? "nsboxctl explain" "$out"
like "$out" "$(re "$CONF"):4 \[match user=$U2 service=nosuch\]: no match" "explain: a section that failed"
like "$out" "service '$SVC' does not match nosuch" "explain: names the failing criterion"
like "$out" "user '$U2' matches $U2" "explain: and the one that held"
like "$out" "group: none of the user's groups matches nsbt-ctlops" "explain: a failing group criterion"
like "$out" "$(re "$CONF"):10 \[match user=nsbt-ctl\*\]: MATCHED, applied" "explain: the matching section"
like "$out" "# result: boxed \($(re "$CONF"):10\)" "explain: the result"
like "$out" "profile = restricted" "explain: the resolved settings"
like "$out" "remote host '192.0.2.1': not a match criterion" "explain: rhost is reported as no criterion"
out=$("$CTL" explain --user nsbt-ctladm --conf "$CONF")
like "$out" ":7 \[match group=nsbt-ctlops\]: MATCHED, applied" "explain: an exempt user's section"
like "$out" ":10 \[match user=nsbt-ctl\*\]: matches too, but an earlier section matched: not applied" \
	"explain: a later match is not applied"
like "$out" "# result: exempt" "explain: exempt"

# ---- errors ----
"$CTL" show 0000dead >/dev/null 2>"$NSBOX_T/err"
is $? 1 "show of an unknown id: exit 1"
like "$(cat "$NSBOX_T/err")" "no live box '0000dead'" "show of an unknown id: says so"
"$CTL" show not-an-id 2>/dev/null
is $? 1 "show of a malformed id: exit 1"
"$CTL" list --bogus >/dev/null 2>"$NSBOX_T/err"
is $? 2 "bad usage: exit 2"
is "$(head -n 2 "$NSBOX_T/err" | cut -c1-20 | tr '\n' '|')" "nsboxctl: list: unex|usage: nsboxctl chec|" \
	"bad usage: one line saying why, then the usage on a line of its own"
"$CTL" stop >/dev/null 2>"$NSBOX_T/err"
is $? 2 "stop without a box: exit 2"
is "$(head -n 1 "$NSBOX_T/err")" "nsboxctl: stop: give box IDs, --user USER or --all: exactly one of them" \
	"stop without a box: says what it needs"
"$CTL" stop --bogus >/dev/null 2>"$NSBOX_T/err"
is "$? $(head -n 1 "$NSBOX_T/err")" "2 nsboxctl: stop: unrecognized option '--bogus'" \
	"an unknown option: exit 2, named with the command"
"$CTL" frobnicate >/dev/null 2>"$NSBOX_T/err"
is "$? $(head -n 1 "$NSBOX_T/err")" "2 nsboxctl: unknown command 'frobnicate'" "unknown command: exit 2, named"
like "$("$CTL" --version)" "^nsboxctl \(pam_nsbox\) [0-9]+\.[0-9]+" "nsboxctl --version"
like "$(setpriv --reuid=$U --regid=$U --clear-groups "$CTL" --version)" "^nsboxctl \(pam_nsbox\)" \
	"--version needs no root"
for c in list "show 0000dead" "enter 0000dead" "stop --all"; do
	setpriv --reuid=$U --regid=$U --clear-groups "$CTL" $c >"$NSBOX_T/out" 2>"$NSBOX_T/err"
	is $? 4 "non-root nsboxctl $c: exit 4"
	is "$(cat "$NSBOX_T/err")" "nsboxctl: ${c%% *}: must be run as root" "non-root nsboxctl $c: the message"
	is "$(cat "$NSBOX_T/out")" "" "non-root nsboxctl $c: nothing on stdout"
done

done_testing
