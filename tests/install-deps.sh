#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what building, testing and the demo need (Debian 12 and 13); used by .ci/run, the
# Debian 13 CI root (.ci/trixie.sh) and make demo. --deb adds what `make deb` needs. Root.
# make fuzz needs clang and its libFuzzer runtime (libclang-rt-dev, only a Recommends of clang);
# t80-valgrind.t needs valgrind.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(
	build-essential pkg-config
	libpam0g-dev libcap-dev libmnl-dev libseccomp-dev libsystemd-dev
	pamtester openssh-server openssh-client
	iproute2 util-linux procps psmisc passwd login
	socat iputils-ping dnsmasq-base isc-dhcp-client
	mandoc perl bash-completion
	sudo cron at tmux bsdutils python3 strace
	clang libclang-rt-dev valgrind
)
[ "${1:-}" = --deb ] && pkgs+=(dpkg-dev debhelper fakeroot lintian)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] || [ "${NSBOX_FORCE_APT:-}" = 1 ]; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
fi
# sshd refuses to start without its privilege-separation directory.
mkdir -p /run/sshd
