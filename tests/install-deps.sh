#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what building, the demo and the tests need (Debian 12 and 13). Root.
#   --demo   what `make demo` needs: the build, an sshd binary, ssh, iproute2 and sudo (to show
#            it refused); no daemon is started, and an openssh-server installed here is left
#            disabled, as the host had no sshd before
#   (none)   everything `make check` needs on top: pamtester, su/login, cron, at, dnsmasq, a
#            DHCP client, strace, clang and libFuzzer (make fuzz), valgrind (t80-valgrind) ...
#   --deb    and what `make deb` needs
#   --print  with one of the above: the package list, nothing installed
# Used by .ci/run, the Debian 13 CI root (.ci/trixie.sh), make demo and make check.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
mode=check print=0
for a in "$@"; do
	case $a in
	--demo) mode=demo ;;
	--deb) mode=deb ;;
	--print) print=1 ;;
	*) echo "usage: $0 [--demo | --deb] [--print]" >&2; exit 2 ;;
	esac
done
pkgs=(
	build-essential pkg-config
	libpam0g-dev libcap-dev libmnl-dev libseccomp-dev libsystemd-dev libnftables-dev
	openssh-server openssh-client iproute2 util-linux procps passwd sudo
)
[ $mode = demo ] || pkgs+=(
	pamtester psmisc login
	socat iputils-ping dnsmasq-base isc-dhcp-client nftables iptables
	mandoc perl bash-completion
	cron at tmux bsdutils python3 strace
	clang libclang-rt-dev valgrind
)
[ $mode = deb ] && pkgs+=(dpkg-dev debhelper fakeroot lintian)
if [ $print = 1 ]; then
	printf '%s\n' "${pkgs[@]}"
	exit 0
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
ssh_before=$(dpkg-query -W -f='${Status}' openssh-server 2>/dev/null | grep -c 'install ok installed' || true)
if [ "${#missing[@]}" -gt 0 ] || [ "${NSBOX_FORCE_APT:-}" = 1 ]; then
	# The demo starts no daemon of the host's: Debian's policy-rc.d says "do not start" to every
	# package script while it is in place (one the admin keeps there already is left alone).
	guard=
	if [ $mode = demo ] && [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# make demo (pam_nsbox): no service starts while it installs\nexit 101\n' \
			>/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		guard=/usr/sbin/policy-rc.d
		trap 'rm -f "$guard"' EXIT
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
	if [ $mode = demo ] && [ "$ssh_before" = 0 ]; then
		# installed for its binary only: the host had no sshd at boot before, and has none now
		if [ -d /run/systemd/system ]; then
			systemctl disable --quiet ssh.service ssh.socket 2>/dev/null || true
		else
			update-rc.d ssh disable >/dev/null 2>&1 || true
		fi
		echo "install-deps: openssh-server installed for the demo's sshd binary; ssh is not started and left disabled"
	fi
fi
# sshd refuses to start without its privilege-separation directory.
mkdir -p /run/sshd
