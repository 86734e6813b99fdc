#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The Debian package in CI, inside the Debian 13 root (.ci/trixie.sh), as root: `make deb`,
# lintian, install, one boxed ssh login against the installed files (tests/deb/installed-login.t),
# purge, and a check that the purge left nothing and no PAM service was ever changed. Prints
# "deb: Result: PASS" last when all of that held.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
fails=0
step() { echo "== deb: $*"; }
bad() { echo "deb: FAIL: $*"; fails=$((fails + 1)); }

step "make deb"
make deb >build/deb-build.log 2>&1 || { tail -n 40 build/deb-build.log; echo "deb: Result: FAIL"; exit 1; }
v=$(dpkg-parsechangelog -S Version)
a=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=build/pam-nsbox_${v}_${a}.deb
[ -f "$deb" ] || { bad "$deb was not built"; echo "deb: Result: FAIL"; exit 1; }
echo "built $deb ($(stat -c %s "$deb") bytes)"

step "lintian $(lintian --version | awk '{print $2}') (every tag shown; errors, warnings and info fail)"
lintian --display-info --pedantic --show-overrides --fail-on error,warning,info \
	build/pam-nsbox_${v}_${a}.changes 2>&1 | tee build/lintian.out || bad "lintian"
[ -s build/lintian.out ] || echo "(no tags)"

# everything but the pseudo filesystems and this tree: what install + purge may not leave behind.
# /run/adduser is adduser's own lock file (Debian 13), left by every call of it; the postinst's
# system user _nsbox-dhcp is kept on purge on purpose (Debian keeps system users).
snapshot() {
	find / \( -path /proc -o -path /sys -o -path /dev -o -path /src -o -path /tmp \
		-o -path /var/log -o -path /var/cache -o -path /var/lib/dpkg -o -path /var/lib/apt \
		-o -path /run/adduser \) -prune \
		-o -print 2>/dev/null | sort
}
pam_sums() { md5sum /etc/pam.d/* | sort; }
snapshot >build/before.list
pam_sums >build/pam-before.sums

step "install"
# dpkg -i: its dependencies are installed already (they are the build's), and there is no network
dpkg -i "$deb" >build/deb-install.log 2>&1 || { cat build/deb-install.log; bad "dpkg -i $deb"; }
dpkg-query -W -f='${Status}\n' pam-nsbox | grep -qx 'install ok installed' || bad "not installed"
pam_sums | cmp -s - build/pam-before.sums || bad "installing changed a file in /etc/pam.d"
dpkg-query -W -f='${Conffiles}\n' pam-nsbox | grep -q '^ /etc/security/nsbox.conf ' ||
	bad "/etc/security/nsbox.conf is not a conffile"
dpkg -L pam-nsbox 2>&1 | grep -E 'security/pam_nsbox.so|libexec/nsbox/nsbox-helper|sbin/nsboxctl|man8/pam_nsbox.8' |
	sed 's/^/  /' || bad "dpkg -L pam-nsbox lists the wrong files"

step "one boxed ssh login against the installed files"
prove -v tests/deb/installed-login.t || bad "boxed login with the installed package"

step "purge"
apt-get purge -y -q pam-nsbox >build/deb-purge.log 2>&1 || { cat build/deb-purge.log; bad "apt-get purge"; }
dpkg-query -W -f='${Status}\n' pam-nsbox 2>/dev/null | grep -q 'installed' && bad "still installed"
ls /var/lib/dpkg/info/pam-nsbox.* >/dev/null 2>&1 && bad "dpkg still has pam-nsbox's control files"
snapshot >build/after.list
left=$(comm -13 build/before.list build/after.list)
if [ -n "$left" ]; then bad "the purge left: $(echo $left)"; else echo "nothing left behind"; fi
pam_sums | cmp -s - build/pam-before.sums || bad "a file in /etc/pam.d changed"

if [ "$fails" = 0 ]; then echo "deb: Result: PASS"; else echo "deb: Result: FAIL ($fails)"; exit 1; fi
