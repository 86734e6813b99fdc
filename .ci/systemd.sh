#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# CI on a systemd host: boots a Debian 13 guest with systemd as PID 1 (systemd-nspawn, its own
# network namespace with only lo), builds the Debian package inside it, installs it, and runs the
# systemd suite (tests/systemd/*.t, as root in the guest) against the guest's real ssh.service,
# systemd-logind, dbus and user@.service, with Debian's stock PAM stacks plus the lines the docs
# give. Runs as root on the CI machine (no systemd needed here: nspawn runs without a host
# manager with --register=no --keep-unit); exits non-zero when the suite fails. Its prove summary
# and "systemd: Result: PASS|FAIL" are the last lines.
#
# The guest's root is cached in build/systemd-root (debootstrap of trixie with systemd and what
# building and testing need) and rebuilt when missing or when the package list below changes;
# each run boots an overlay over it, so the cache stays clean. NSBOX_DEBIAN_MIRROR overrides the
# mirror. `.ci/systemd.sh --prepare` only builds the cached root; `.ci/systemd.sh --run 'CMD'`
# runs CMD (bash, in /src of the booted guest, after the package is installed) instead of the
# suite. See ../shared/reference/systemd-notes.md for what was seen booting such a guest here.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
ROOT=${NSBOX_SYSTEMD_ROOT:-$TOP/build/systemd-root}
MIRROR=${NSBOX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BOOT_TIMEOUT=${NSBOX_BOOT_TIMEOUT:-120}
export LC_ALL=C.UTF-8

# what the guest needs: systemd as init with logind, dbus and the user manager; sshd; the
# package's build dependencies; what the suite runs (prove, ssh, busctl, loginctl: systemd's)
PKGS=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,openssh-server,openssh-client
PKGS+=,iproute2,procps,util-linux,passwd,login,sudo,perl,psmisc
PKGS+=,build-essential,pkgconf,dpkg-dev,debhelper,fakeroot
PKGS+=,libpam0g-dev,libcap-dev,libmnl-dev,libseccomp-dev,libsystemd-dev,libnftables-dev
stamp() { printf '%s\n' "$PKGS" | sha256sum | cut -d' ' -f1; }

# ---- the cached root ------------------------------------------------------------------------
if [ ! -f "$ROOT/.nsbox-stamp" ] || [ "$(cat "$ROOT/.nsbox-stamp")" != "$(stamp)" ]; then
	command -v debootstrap >/dev/null && command -v systemd-nspawn >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq debootstrap systemd-container; }
	echo "== debootstrap trixie (systemd guest) from $MIRROR into $ROOT"
	rm -rf --one-file-system "$ROOT" "$ROOT.tmp"
	mkdir -p "$(dirname "$ROOT")"
	t0=$SECONDS
	debootstrap --variant=minbase --include="$PKGS" trixie "$ROOT.tmp" "$MIRROR" \
		>"$TOP/build/debootstrap-systemd.log" 2>&1 ||
		{ tail -n 30 "$TOP/build/debootstrap-systemd.log"; exit 1; }
	echo nsbox-guest >"$ROOT.tmp/etc/hostname"
	apt-get -o RootDir="$ROOT.tmp" clean >/dev/null 2>&1 || true
	stamp >"$ROOT.tmp/.nsbox-stamp"
	mv "$ROOT.tmp" "$ROOT"
	echo "== debootstrap took $((SECONDS - t0)) s"
fi
command -v systemd-nspawn >/dev/null || { apt-get update -qq && apt-get install -y -qq systemd-container; }
[ "${1:-}" = --prepare ] && exit 0

# ---- one boot on an overlay over the cached root --------------------------------------------
default_cmd='prove -v tests/systemd/t*.t'
cmd=$default_cmd
[ "${1:-}" = --run ] && cmd=${2:?--run needs a command}
RUN=$(mktemp -d "$TOP/build/systemd-run.XXXXXX")
mkdir "$RUN/upper" "$RUN/work" "$RUN/merged"
git -C "$TOP" ls-files -z -co --exclude-standard |
	tar -C "$TOP" --null --ignore-failed-read -T - -cf "$RUN/src.tar"

# The overlay and the guest live in a mount namespace of their own; this shell (still on the
# host) finds the guest's PID 1 as the child of systemd-nspawn and enters it with nsenter.
unshare --mount --propagation private -- /bin/bash -ec '
	mount -t overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" ci-systemd "$2/merged"
	mkdir "$2/merged/src" && tar -C "$2/merged/src" -xf "$2/src.tar"
	exec env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn -q -D "$2/merged" \
		-M nsbox-ci-$$ -b --private-network --register=no --keep-unit --console=passive
' ci "$ROOT" "$RUN" >"$RUN/nspawn.log" 2>&1 &
NSPAWN=$!
guest=""
cleanup() {
	local i
	if [ -n "$guest" ] && kill -0 "$guest" 2>/dev/null; then
		kill -s RTMIN+4 "$guest" 2>/dev/null # systemd: poweroff
		for ((i = 0; i < 300 && $(kill -0 $NSPAWN 2>/dev/null && echo 1 || echo 0); i++)); do
			sleep 0.1
		done
	fi
	kill -0 $NSPAWN 2>/dev/null && kill -KILL $NSPAWN 2>/dev/null
	wait $NSPAWN 2>/dev/null
	rm -rf --one-file-system "$RUN"
}
trap cleanup EXIT

# the guest's PID 1: systemd, the (only) child of the unshare'd nspawn process
t0=$SECONDS
while [ -z "$guest" ] && [ $((SECONDS - t0)) -lt 30 ]; do
	kill -0 $NSPAWN 2>/dev/null || { cat "$RUN/nspawn.log"; echo "systemd: nspawn exited"; exit 1; }
	for p in $(pgrep -P $NSPAWN); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = systemd ] && guest=$p
	done
	[ -n "$guest" ] || sleep 0.2
done
[ -n "$guest" ] || { cat "$RUN/nspawn.log"; echo "systemd: no guest PID 1 after 30 s"; exit 1; }
in_guest() { nsenter -t "$guest" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	LC_ALL=C.UTF-8 CI="${CI:-}" NSBOX_MUST_RUN="${NSBOX_MUST_RUN:-}" /bin/bash -c "$1"; }
# until the manager answers (its socket comes up early in the boot) and has finished starting
state=""
while [ $((SECONDS - t0)) -lt "$BOOT_TIMEOUT" ]; do
	state=$(in_guest 'systemctl is-system-running 2>/dev/null' || true)
	case $state in running | degraded | maintenance | stopping) break ;; esac
	kill -0 $NSPAWN 2>/dev/null || break
	sleep 0.2
done
echo "== guest PID 1 is $guest: ${state:-no answer} after $((SECONDS - t0)) s"
if [ "$state" != running ]; then
	in_guest 'systemctl --failed --no-pager; journalctl -b --no-pager -p warning | tail -n 30' || true
	[ "$state" = degraded ] || { echo "systemd: the guest did not boot"; exit 1; }
fi

# the guest's sshd needs host keys (the package's postinst made them; a root cached by an
# older version of this script may lack them)
in_guest 'ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1 || { ssh-keygen -A && systemctl restart ssh; }
	systemctl is-active -q ssh' || { echo "systemd: Result: FAIL (the guest's ssh.service does not run)"; exit 1; }

echo "== make deb and install it in the guest"
in_guest 'cd /src && mkdir -p build && make deb >build/deb-build.log 2>&1 || { tail -n 40 build/deb-build.log; exit 1; }
	dpkg -i build/pam-nsbox_*_amd64.deb >build/deb-install.log 2>&1 || { cat build/deb-install.log; exit 1; }
	make -j2 tests >build/tests-build.log 2>&1 || { tail -n 40 build/tests-build.log; exit 1; }' ||
	{ echo "systemd: Result: FAIL (building or installing the package)"; exit 1; }

echo "== $cmd"
st=0
in_guest "cd /src && $cmd" || st=$?
if [ "$cmd" = "$default_cmd" ]; then
	if [ $st = 0 ]; then echo "systemd: Result: PASS"; else echo "systemd: Result: FAIL"; fi
fi
exit $st
