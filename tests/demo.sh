#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make demo: a real boxed login through OpenSSH on 127.0.0.1, shown side by side with the host.
# Root. Runs inside its own private network and mount namespaces (tests/e2e/lib.sh), creates a
# throwaway user nsbt-demo and PAM service nsbox-test-demo, and removes both when it ends.
# NET=bridge: the box gets a veth on a throwaway bridge with a leased address.
. "$(dirname "$0")/e2e/lib.sh"
nsbox_require_root
nsbox_enter_private_ns "$@"
. "$(dirname "$0")/e2e/common.sh"
nsbox_private_state

NET=${NET:-none}
U=nsbt-demo
nsbox_add_user $U
if [ "$NET" = bridge ]; then
	ip link add nsbt-demobr type bridge
	ip addr add 10.99.0.1/24 dev nsbt-demobr
	ip link set nsbt-demobr up
	netconf="network = bridge
bridge = nsbt-demobr
address = pool 10.99.0.0/24
gateway = 10.99.0.1
dns = 10.99.0.1"
fi
CONF=$(nsbox_conf nsbox.conf "[defaults]
hostname = %u-box
profile = restricted
${netconf:-network = none}")
nsbox_service nsbox-test-demo "conf=$CONF"
nsbox_sshd_start nsbox-test-demo
nsbox_ssh_authorize $U

show='echo "== id"; id
echo "== hostname"; hostname
echo "== namespaces"; for t in pid mnt ipc uts net; do readlink /proc/self/ns/$t; done
echo "== ps aux"; ps -eo user:10,pid,ppid,comm | head -12
echo "== ip -br link"; ip -br link | cut -c1-40
echo "== ip -br addr"; ip -br addr | cut -c1-45
echo "== ip route"; ip route | cut -c1-45
echo "== NSBOX_ID=${NSBOX_ID:--}  NSBOX_IPV4=${NSBOX_IPV4:--}"
echo "== policy"; grep -E "^(NoNewPrivs|Seccomp|CapBnd):" /proc/self/status | tr -d "\t"
echo "== sudo -n true"; sudo -n true 2>&1 | cut -c1-45 || true
echo "== ls /tmp | wc -l"; ls /tmp | wc -l'

# the left column looks at the machine's real network namespace (read-only commands)
host=$(nsenter --net=/proc/$NSBOX_OUTER_PID/ns/net "$NSBOX_PAMRUN" -n nsbox-test-demo $U -- bash -c "$show" 2>&1)
box=$(nsbox_ssh $U -- "$show" 2>&1)
rc=$?
echo
echo "pam_nsbox demo (NET=$NET): the same commands, run as $U on the host (left) and in an ssh login (right)"
echo "($("$NSBOX_SSHD_BIN" -V 2>&1 | head -1); its PAM service nsbox-test-demo set by $NSBOX_SSHD_PAM_BY)"
echo
paste -d '\t' <(printf '%s\n' "---- host ----" "$host") <(printf '%s\n' "---- boxed ssh login ----" "$box") |
	awk -F '\t' '{ printf "%-56.56s %s\n", $1, $2 }'
echo
echo "---- syslog ----"
nsbox_log_since 0 | grep -E 'nsbox|pam_nsbox' | sed 's/^<[0-9]*>//'
echo
ok $rc "boxed ssh login ran"
isnt "$(printf '%s\n' "$box" | grep '^pid:')" "$(printf '%s\n' "$host" | grep '^pid:')" "the login has its own pid namespace"
like "$(printf '%s\n' "$box" | grep -A1 '== hostname' | tail -1)" "^$U-box$" "the login has its own hostname"
like "$(printf '%s\n' "$box" | grep -A3 '== policy')" "NoNewPrivs:1" "the login runs under the restricted profile (no_new_privs)"
like "$(nsbox_log_since 0)" "box=[0-9a-f]{8} started: user='$U' service='nsbox-test-demo'" \
	"the login was boxed under the demo's PAM service, not the stock sshd one"
nsbox_check_clean "after logout"
