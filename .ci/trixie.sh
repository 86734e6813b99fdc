#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# CI on Debian 13: builds (or reuses) a trixie root under build/, enters it in private mount, pid
# and network namespaces with pivot_root, runs `make check` and `make demo` on a copy of the tree,
# then builds, installs, tries and purges the .deb there (.ci/deb-test.sh). Runs as root on the CI
# machine; exits non-zero when any of them failed.
#
# The root is cached in build/trixie-root (debootstrap plus tests/install-deps.sh --deb) and
# rebuilt when missing or when install-deps.sh changed. Each run works on an overlay over it, so
# the cached root stays clean. NSBOX_DEBIAN_MIRROR overrides the mirror (default: Debian's).
# `.ci/trixie.sh --prepare` only builds the cached root (no e2e test: no need for the e2e lock);
# `.ci/trixie.sh --run 'CMD'` runs CMD (bash, in /src) there instead of the whole set.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
ROOT=${NSBOX_TRIXIE_ROOT:-$TOP/build/trixie-root}
MIRROR=${NSBOX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
export LC_ALL=C.UTF-8

# ---- inside: runs as PID 1 of the new pid namespace, still on the host's filesystem ----------
# inside ROOTDIR CMD : mounts /proc, /sys, a /dev, /run and /tmp under ROOTDIR, pivots into it
# and runs CMD with bash; stays PID 1 (bash reaps orphans, which the tests rely on)
if [ "${1:-}" = --inside ]; then
	r=$2 cmd=$3
	mount --bind "$r" "$r" # pivot_root needs the new root to be a mount point
	mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
	mount -t sysfs -o nosuid,nodev,noexec sysfs "$r/sys"
	# the host's cgroup hierarchies: the boxes' resource limits live there
	mount --rbind /sys/fs/cgroup "$r/sys/fs/cgroup"
	mount -t tmpfs -o mode=0755,nosuid,size=8m ci-dev "$r/dev"
	for n in null zero full random urandom tty ptmx; do cp -a "/dev/$n" "$r/dev/$n"; done
	ln -s /proc/self/fd "$r/dev/fd"
	ln -s /proc/self/fd/0 "$r/dev/stdin"
	ln -s /proc/self/fd/1 "$r/dev/stdout"
	ln -s /proc/self/fd/2 "$r/dev/stderr"
	mkdir -m 0755 "$r/dev/pts" "$r/dev/mqueue"
	mkdir -m 1777 "$r/dev/shm"
	# a devpts instance of our own: /dev/ptmx opens the "pts" next to it
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 ci-devpts "$r/dev/pts"
	mount -t tmpfs -o mode=1777,nosuid,nodev ci-shm "$r/dev/shm"
	mount -t tmpfs -o mode=0755,nosuid,nodev ci-run "$r/run"
	mount -t tmpfs -o mode=1777,nosuid,nodev ci-tmp "$r/tmp"
	mkdir -p "$r/run/lock" "$r/run/sshd"
	mkdir -p "$r/.ci-oldroot"
	cd "$r"
	pivot_root . .ci-oldroot
	exec /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		CI="${CI:-}" NSBOX_MUST_RUN="${NSBOX_MUST_RUN:-}" DEBIAN_FRONTEND=noninteractive \
		/bin/bash -c 'umount -l /.ci-oldroot && rmdir /.ci-oldroot && cd / && '"$cmd"
fi

# enter MODE ROOTDIR CMD : MODE net (a new, empty network namespace: the tests) or hostnet
# (apt needs the mirror); a mount and a pid namespace either way
enter() {
	local flags=(--mount --pid --fork --propagation private)
	[ "$1" = net ] && flags+=(--net)
	unshare "${flags[@]}" -- /bin/bash "$TOP/.ci/trixie.sh" --inside "$2" "$3"
}

stamp() { sha256sum tests/install-deps.sh | cut -d' ' -f1; }

# ---- the cached root ------------------------------------------------------------------------
if [ ! -f "$ROOT/.nsbox-deps" ] || [ "$(cat "$ROOT/.nsbox-deps")" != "$(stamp)" ]; then
	if [ ! -x "$ROOT/bin/bash" ]; then
		command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
		echo "== debootstrap trixie from $MIRROR into $ROOT"
		rm -rf --one-file-system "$ROOT.tmp"
		mkdir -p "$(dirname "$ROOT")"
		t0=$SECONDS
		debootstrap --variant=minbase trixie "$ROOT.tmp" "$MIRROR" >"$TOP/build/debootstrap.log" 2>&1 ||
			{ tail -n 30 "$TOP/build/debootstrap.log"; exit 1; }
		# no daemon may start from a package's maintainer scripts in here
		printf '#!/bin/sh\nexit 101\n' >"$ROOT.tmp/usr/sbin/policy-rc.d"
		chmod 0755 "$ROOT.tmp/usr/sbin/policy-rc.d"
		mv "$ROOT.tmp" "$ROOT"
		echo "== debootstrap took $((SECONDS - t0)) s"
	fi
	echo "== installing the dependencies inside the root"
	cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
	rm -rf "$ROOT/ci-src" && mkdir "$ROOT/ci-src" && cp tests/install-deps.sh "$ROOT/ci-src/"
	enter hostnet "$ROOT" 'NSBOX_FORCE_APT=1 /ci-src/install-deps.sh --deb && apt-get clean'
	rm -rf "$ROOT/ci-src"
	stamp >"$ROOT/.nsbox-deps"
fi

[ "${1:-}" = --prepare ] && exit 0

# ---- one run on an overlay over the cached root ---------------------------------------------
default_cmd='cd /src && echo "== make check on $(. /etc/os-release; echo "$PRETTY_NAME")" &&
	r=0; make check || r=1
	echo "== make demo on Debian 13"; make demo || r=1
	.ci/deb-test.sh || r=1
	exit $r'
run_cmd=""
[ "${1:-}" = --run ] && run_cmd="cd /src && ${2:?--run needs a command}"
RUN=$(mktemp -d "$TOP/build/trixie-run.XXXXXX")
cleanup() { rm -rf --one-file-system "$RUN"; }
trap cleanup EXIT
mkdir "$RUN/upper" "$RUN/work" "$RUN/merged"
# the tree as git sees it (tracked and new files, nothing ignored: no build output, no
# debhelper leftovers), copied in after the overlay is mounted
if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$TOP" ls-files -z -co --exclude-standard |
		tar -C "$TOP" --null --ignore-failed-read -T - -cf "$RUN/src.tar"
else
	tar -C "$TOP" --exclude=./build --exclude=./build-san --exclude=./build-deb -cf "$RUN/src.tar" .
fi
# the overlay lives in a mount namespace of its own; the run's namespaces nest inside it
unshare --mount --propagation private -- /bin/bash -ec '
	mount -t overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" ci-trixie "$2/merged"
	mkdir "$2/merged/src" && tar -C "$2/merged/src" -xf "$2/src.tar"
	exec unshare --mount --pid --fork --net --propagation private -- \
		/bin/bash "$3/.ci/trixie.sh" --inside "$2/merged" "$4"
' ci "$ROOT" "$RUN" "$TOP" "${run_cmd:-$default_cmd}"
