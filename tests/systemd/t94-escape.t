#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Nothing a boxed user starts runs outside a box, the user manager included. From a boxed ssh
# login the user tries every way to the systemd user manager, which runs on the host:
#   v1  systemd-run --user --wait --pipe
#   v2  a unit written into ~/.config/systemd/user, then systemctl --user start
#   v3  a unit linked into ~/.config/systemd/user/default.target.wants: the next login's manager
#   v4  a timer in ~/.local/share/systemd/user, linked into timers.target.wants: the same
#   v5  a planted unit, and the admin enables lingering: the manager starts with no login
#   v6  busctl --user: StartTransientUnit on the user bus
# Each payload writes, into the user's home, the network namespace it ran in. "escaped": it
# ran in the host's; "boxed": in a box's; "-": it never ran. Off: the sshd stack as the docs
# give it, the user manager's stack stock (today's hole: each vector must escape where the
# profile lets it reach the manager at all, so the probe is known to work); on: pam_nsbox in the
# user manager's stack too, which refuses a boxed user's manager: nothing may escape.
. "$(dirname "$0")/lib.sh"
sd_require_guest

# The payload, a script in the home: where it ran, into ~/probe-V.
probe_sh='echo "NET=$(readlink /proc/self/ns/net) NNP=$(sed -n "s/^NoNewPrivs:\t//p" /proc/self/status)" >"$HOME/probe-$1"'
unit() { printf '[Service]\nType=oneshot\nExecStart=/bin/sh %%h/probe.sh %s\n' "$1"; }
# What the boxed user does in the first login: v1, v6 and v2 at once, v3-v5 planted.
in_box=$(cat <<EOF
cd
printf '%s\n' '$probe_sh' >probe.sh
mkdir -p .config/systemd/user/default.target.wants .local/share/systemd/user/timers.target.wants
printf '%s\n' "$(unit v2)" >.config/systemd/user/nsbt-v2.service
printf '%s\n' "$(unit v3)" >.config/systemd/user/nsbt-v3.service
ln -sf ../nsbt-v3.service .config/systemd/user/default.target.wants/nsbt-v3.service
printf '%s\n' "$(unit v4)" >.local/share/systemd/user/nsbt-v4.service
printf '[Timer]\nOnStartupSec=1\nAccuracySec=1ms\n' >.local/share/systemd/user/nsbt-v4.timer
ln -sf ../nsbt-v4.timer .local/share/systemd/user/timers.target.wants/nsbt-v4.timer
printf '%s\n' "$(unit v5)" >.config/systemd/user/nsbt-v5.service
ln -sf ../nsbt-v5.service .config/systemd/user/default.target.wants/nsbt-v5.service
echo "V1 \$(timeout 20 systemd-run --user --wait --pipe --quiet /bin/sh \$HOME/probe.sh v1 2>&1 | head -n 1)"
echo "V6 \$(timeout 20 busctl --user call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
	org.freedesktop.systemd1.Manager StartTransientUnit 'ssa(sv)a(sa(sv))' nsbt-v6.service fail 1 \
	ExecStart 'a(sasb)' 1 /bin/sh 3 /bin/sh \$HOME/probe.sh v6 false 0 2>&1 | head -n 1)"
# systemctl's private socket refuses a peer it cannot see in its pid namespace (the box's own),
# so the same Reload and StartUnit also go over the user bus, as any client can send them
echo "V2 \$( { timeout 20 systemctl --user daemon-reload && timeout 20 systemctl --user start nsbt-v2.service; } 2>&1 | head -n 1)"
busctl --user call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager Reload >/dev/null 2>&1 &&
	echo "V2 bus: \$(timeout 20 busctl --user call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
	org.freedesktop.systemd1.Manager StartUnit ss nsbt-v2.service replace 2>&1 | head -n 1)"
true
EOF
)

# the user's home, and the probe files in it
home() { getent passwd "$1" | cut -d: -f6; }
# cell USER V: escaped, boxed or - (never ran), from the probe file the payload writes
cell() {
	local f
	f=$(home "$1")/probe-$2
	[ -s "$f" ] || { echo -; return; }
	if grep -qF "NET=$SD_HOST_NET " "$f"; then echo escaped; else echo boxed; fi
}
# manager_settled USER : user@UID.service has started, or failed to
manager_settled() { [[ $(sd_user_manager_state "$1") =~ ^(active|failed)$ ]]; }
# forget USER : ends the user's manager and sessions and waits until logind has let go of the
# user (logind starts no manager for a user it still holds, be it stopping)
forget() {
	loginctl terminate-user "$1" 2>/dev/null
	nsbox_wait "! loginctl show-user $1 >/dev/null 2>&1" 30
}

declare -A got
for prot in off on; do
	for prof in restricted lab none; do
		u=nsbt-e$prot-${prof:0:3}
		sd_user $u
		sd_stacks $prot
		sd_profile $prof
		c=$(sd_log_mark)
		out=$(sd_ssh $u -- "$in_box")
		ok $? "$prot/$prof: the first (boxed) login runs" "$out"
		note "$prot/$prof: $(tr '\n' ' ' <<<"$out")"
		# v1 and v2 are done when their command returns; v6 is a job: give it time to run
		h=$(home $u)
		grep -q '^V6 o ' <<<"$out" && nsbox_wait "[ -s $h/probe-v6 ]" 15
		grep -q '^V2 bus: o ' <<<"$out" && nsbox_wait "[ -s $h/probe-v2 ]" 15
		forget $u
		# the next login starts the manager (when it may) with what was planted
		out=$(sd_ssh $u -- true)
		ok $? "$prot/$prof: the second login runs" "$out"
		nsbox_wait "manager_settled $u" 20
		if [ "$(sd_user_manager_state $u)" = active ]; then
			nsbox_wait "[ -s $h/probe-v3 ] && [ -s $h/probe-v4 ]" 15
		fi
		# lingering, allowed by the admin: the manager starts with no login at all
		forget $u
		rm -f "$h/probe-v5"
		loginctl enable-linger $u
		nsbox_wait "manager_settled $u" 20
		if [ "$(sd_user_manager_state $u)" = active ]; then
			nsbox_wait "[ -s $h/probe-v5 ]" 15
		fi
		loginctl disable-linger $u
		forget $u
		for v in v1 v2 v3 v4 v5 v6; do got[$prot/$prof/$v]=$(cell $u $v); done
		if [ $prot = on ]; then
			like "$(sd_log_since "$c")" "pam_nsbox\(systemd-user:session\): no box for user '$u': the systemd user manager is not started for a boxed user" \
				"on/$prof: the module refused the user's manager, and said why"
			isnt "$(sd_user_manager_state $u)" active "on/$prof: the user's manager is not running"
		fi
		nsbox_wait '[ -z "$(sd_boxes)" ]' 20
		is "$(sd_boxes | tr '\n' ' ')" "" "$prot/$prof: no box left"
	done
done

# The table, and what each cell must be. Off, restricted: its private /run/user hides the bus
# from v1, v2 and v6 (they never run), but what the next manager starts escapes.
expect() {
	case $1/$3 in
	off/v1 | off/v2 | off/v6) [ $2 = restricted ] && echo - || echo escaped ;;
	off/*) echo escaped ;;
	on/*) echo - ;;
	esac
}
note "vector  off:restricted lab none   on:restricted lab none"
for v in v1 v2 v3 v4 v5 v6; do
	line="$v     "
	for prot in off on; do
		for prof in restricted lab none; do line+=" $(printf '%-8s' "${got[$prot/$prof/$v]}")"; done
		line+="  "
	done
	note "$line"
done
for prot in off on; do
	for prof in restricted lab none; do
		for v in v1 v2 v3 v4 v5 v6; do
			is "${got[$prot/$prof/$v]}" "$(expect $prot $prof $v)" "$prot/$prof/$v"
		done
	done
done
