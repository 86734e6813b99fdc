#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The place of pam_nsbox's lines in a real stack, against the guest's
# Debian sshd stack, pam_systemd and logind:
#  - the box line before "@include common-session": every module after it opens inside the box
#    (in the application's hold, where nothing can be executed); pam_systemd still reaches
#    logind from there, but the helper says once per login that the order is wrong, and
#    nsboxctl check --service says why;
#  - without the leave line, a pam_exec close hook above pam_nsbox runs inside the box under the
#    session's policy; with it, in the host's namespaces with full capabilities, and pam_systemd
#    closes on the host.
. "$(dirname "$0")/lib.sh"
sd_require_guest

U=nsbt-sdo
sd_user $U
sd_profile restricted
probe='echo "CG $(tail -n 1 /proc/self/cgroup)"; echo "SESSION ${XDG_SESSION_ID:-none}"; echo "NET $(readlink /proc/self/ns/net)"'
field() { sed -n "s/^$1 //p" <<<"$2"; }

# 1. wrong order
sd_stacks early
out=$(nsboxctl check --service sshd 2>&1)
is $? 1 "early: nsboxctl check --service sshd fails"
like "$out" "pam_systemd.so \(/etc/pam.d/common-session:[0-9]+\) comes after pam_nsbox.so: logind cannot register a session from inside the box" \
	"early: ... naming pam_systemd and where it is"
c=$(sd_log_mark)
out=$(sd_ssh $U -- "$probe")
ok $? "early: the login still runs (pam_systemd is optional)" "$out"
isnt "$(field NET "$out")" "$SD_HOST_NET" "early: boxed"
like "$(field SESSION "$out")" '^[0-9a-z]+$' "early: pam_systemd reached logind all the same (the hold keeps the host's files)"
nsbox_wait "sd_log_since '$c' | grep -q 'box=.* ended'" 10
logs=$(sd_log_since "$c" _COMM=nsbox-helper)
like "$logs" "box=[0-9a-f]{8} service 'sshd': pam_nsbox.so ran before pam_systemd.so \(/etc/pam.d/common-session:[0-9]+\), so every module after it opened this session inside the box.*must be the last session line" \
	"early: the helper says the order is wrong"
is "$(grep -c 'ran before pam_systemd' <<<"$logs")" 1 "early: once"

# 2. the right order: no such line
sd_stacks on
c=$(sd_log_mark)
out=$(sd_ssh $U -- "$probe")
ok $? "on: the login runs" "$out"
like "$(field SESSION "$out")" '^[0-9a-z]+$' "on: logind registered the session"
nsbox_wait "sd_log_since '$c' | grep -q 'box=.* ended'" 10
is "$(sd_log_since "$c" _COMM=nsbox-helper | grep -c 'pam_systemd')" 0 "on: no warning"

# 3. a close hook above pam_nsbox, without and with the leave line
HOOK=$NSBOX_T/close-hook
cat >"$HOOK" <<EOF
#!/bin/sh
echo "HOOK NET=\$(readlink /proc/self/ns/net) NNP=\$(sed -n 's/^NoNewPrivs:\t//p' /proc/self/status) BND=\$(sed -n 's/^CapBnd:\t//p' /proc/self/status)" >"$NSBOX_T/hook.\$1"
EOF
chmod 0755 "$HOOK"
HOST_BND=$(sed -n 's/^CapBnd:\t//p' /proc/1/status)
for how in without with; do
	sd_stacks on
	hook="session    optional     pam_exec.so type=close_session $HOOK $how"
	if [ $how = with ]; then
		sed -i "/pam_nsbox.so leave/a $hook" /etc/pam.d/sshd
	else
		sed -i "/pam_nsbox.so leave/c $hook" /etc/pam.d/sshd
	fi
	c=$(sd_log_mark)
	out=$(sd_ssh $U -- "$probe")
	ok $? "$how the leave line: the login runs" "$out"
	nsbox_wait "[ -s $NSBOX_T/hook.$how ]" 10
	h=$(cat "$NSBOX_T/hook.$how" 2>/dev/null)
	note "$how: $h"
	if [ $how = without ]; then
		unlike "$h" "NET=$(re "$SD_HOST_NET")" "without: the close hook ran in the box, not the host"
		like "$h" "NNP=1 BND=0000000000000000" "without: ... under the session's policy"
	else
		like "$h" "NET=$(re "$SD_HOST_NET") NNP=0 BND=$HOST_BND" \
			"with: the close hook ran in the host's namespaces, unrestricted"
		nsbox_wait "sd_log_since '$c' | grep -q 'box=.* ended'" 10
		unlike "$(sd_log_since "$c")" "pam_systemd\(sshd:session\).*(Failed|rror)" \
			"with: pam_systemd closed without an error"
	fi
done
