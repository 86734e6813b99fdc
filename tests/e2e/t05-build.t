#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Static properties of the build: man pages lint clean, every fd the product opens is
# close-on-exec, the module exports only pam_sm_*, binaries are hardened, and make install /
# uninstall put the right files with the right modes under DESTDIR.
. "$(dirname "$0")/lib.sh"
cd "$NSBOX_TOP" || exit 1

out=$(mandoc -Tlint -Wwarning man/*.[58] 2>&1)
is "$out" "" "man pages pass mandoc -Tlint"

# The license: LICENSE is BSD-3-Clause, every source file says so in an SPDX line, and the
# package's copyright file names it (the tree is read with find: CI's Debian 13 stage has no .git).
src_files() {
	find . \( -path ./build -o -path ./build-san -o -path ./build-deb -o -path ./.git \
		-o -path ./debian/pam-nsbox -o -path ./debian/.debhelper -o -path ./bench/results \
		-o -path ./tests/fuzz/corpus -o -path ./tests/fuzz/regress -o -path ./tests/data \) -prune \
		-o -type f \( -name '*.[ch]' -o -name '*.sh' -o -name '*.t' -o -name '*.map' -o -name '*.supp' \
		-o -name Makefile -o -path './man/*' -o -path './.ci/*' -o -path ./debian/rules \
		-o -name '*.postinst' -o -name '*.postrm' -o -name '*.prerm' -o -name '*.bash' \
		-o -path ./helper/nsbox-dhcp-script \) -print | sort
}
like "$(head -n 1 LICENSE)" "^BSD 3-Clause License$" "LICENSE is the BSD 3-Clause license"
is "$(src_files | wc -l | awk '$1 > 150 {print "many"}')" "many" "the source list is the whole tree (over 150 files)"
is "$(src_files | xargs grep -L 'SPDX-License-Identifier: BSD-3-Clause')" "" "every source file has its SPDX line"
like "$(grep -E '^License:' debian/copyright | sort -u)" "^License: BSD-3-Clause$" "debian/copyright names BSD-3-Clause only"
# the tree explains itself: no tracker numbers a reader of the tree cannot look up
is "$({ src_files; find . -maxdepth 3 \( -name '*.md' -o -name INSTALL -o -name '*.README.Debian' \
	-o -name nsbox.conf \) -not -path './bench/results/*' -not -path './build*'; } |
	xargs grep -nE '[Ii]ssues? #?[0-9]+|[Ff]inding [0-9]+' | grep -v 't05-build.t:')" "" \
	"no tracker numbers in code, tests or docs"

# fd-creating calls in product code must say CLOEXEC (or glibc's "e" mode); dup2 onto 0-3 in
# the exec paths is the one deliberate exception.
# (a call split over lines is read to its closing parenthesis; comment lines are skipped)
bad=$(awk '/(^|[^a-z_0-9])(open|openat|socket|socketpair|pipe2|fopen|dup3|accept4|memfd_create|eventfd|epoll_create1|inotify_init1)\(/ && !/^[ \t]*(\*|\/\/|\/\*)/ {
		s = $0; n = FNR
		while (gsub(/\(/, "(", s) > gsub(/\)/, ")", s) && (getline l) > 0) s = s " " l
		print FILENAME ":" n ": " s
	}' pam_module/*.c helper/*.c ctl/*.c lib/*.c conf/*.c |
	grep -vE 'CLOEXEC|"re"|"we"|\bnl_open\(|^[^:]+:[0-9]+: [a-z_]+\(' || true)
is "$bad" "" "every fd the product opens is close-on-exec"

syms=$(nm -D --defined-only build/pam_nsbox.so | awk '{print $3}' | sort | tr '\n' ' ')
is "$syms" "pam_sm_close_session pam_sm_open_session pam_sm_setcred " "the module exports only pam_sm_*"
like "$(readelf -d build/pam_nsbox.so)" "BIND_NOW" "module linked with -z now"
like "$(readelf -l build/nsbox-helper)" "GNU_RELRO" "helper linked with relro"
like "$(readelf -h build/nsbox-helper)" "DYN \(Position-Independent Executable file\)|DYN \(Shared object file\)" "helper is PIE"

D=$(mktemp -d /tmp/nsbox-inst.XXXXXX)
make -s install DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
ok $? "make install DESTDIR=... PREFIX=/usr"
pamdir=$(pkg-config --variable=libdir pam 2>/dev/null || echo /lib/x86_64-linux-gnu)/security
for f in "$pamdir/pam_nsbox.so:644" /usr/libexec/nsbox/nsbox-helper:755 /usr/libexec/nsbox/nsbox-dhcp-script:755 \
	/usr/sbin/nsboxctl:755 /etc/security/nsbox.conf:644 /usr/share/man/man5/nsbox.conf.5:644 \
	/usr/share/man/man8/pam_nsbox.8:644 /usr/share/man/man8/nsboxctl.8:644 /usr/share/man/man8/nsbox-helper.8:644 /usr/share/bash-completion/completions/nsboxctl:644; do
	path=${f%:*} mode=${f##*:}
	is "$(stat -c %a "$D$path" 2>&1)" "$mode" "installed $path with mode $mode"
done
ok $([ ! -u "$D/usr/libexec/nsbox/nsbox-helper" ] && [ ! -g "$D/usr/libexec/nsbox/nsbox-helper" ]; echo $?) "the helper is never setuid or setgid"
like "$(strings "$D/$pamdir/pam_nsbox.so" | grep /nsbox-helper)" "^/usr/libexec/nsbox/nsbox-helper$" "the module looks for the helper where it was installed"
echo "# local edit" >>"$D/etc/security/nsbox.conf"
make -s install DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
like "$(tail -1 "$D/etc/security/nsbox.conf")" "local edit" "make install keeps an existing nsbox.conf"
make -s uninstall DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
ok $? "make uninstall"
is "$(cd "$D" && find . -type f | sort | tr '\n' ' ')" "./etc/security/nsbox.conf " "uninstall removes everything but the admin's config"
rm -rf "$D"

# The PREFIX trap: a tree built for /usr, then installed for /usr/local, must install a module
# that starts the helper it installed (the module is rebuilt), and the default build comes back.
make -s all >/dev/null 2>&1
D=$(mktemp -d /tmp/nsbox-inst.XXXXXX)
make -s install DESTDIR="$D" PREFIX=/usr/local >/dev/null 2>&1
ok $? "make install PREFIX=/usr/local after a build for /usr"
like "$(strings "$D/$pamdir/pam_nsbox.so" | grep /nsbox-helper)" "^/usr/local/libexec/nsbox/nsbox-helper$" \
	"the module installed for /usr/local starts /usr/local/libexec/nsbox/nsbox-helper"
ok $([ -x "$D/usr/local/libexec/nsbox/nsbox-helper" ]; echo $?) "and that helper is installed"
rm -rf "$D"
make -s all >/dev/null 2>&1
like "$(strings build/pam_nsbox.so | grep /nsbox-helper)" "^/usr/libexec/nsbox/nsbox-helper$" \
	"a plain make rebuilds the module for the default PREFIX again"

# bash completion (ctl/nsboxctl.bash, installed above): commands, each command's options, users
# and PAM services; box ids are t70's, which has live boxes.
complete_line() { # LINE: the candidates offered with the cursor at its end, sorted, one line
	bash -c '. /usr/share/bash-completion/bash_completion && . ctl/nsboxctl.bash || exit 1
		COMP_LINE=$1; COMP_POINT=${#1}; read -ra COMP_WORDS <<<"$1"
		[[ $1 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _nsboxctl
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$1" 2>&1
}
is "$(complete_line "nsboxctl ")" "--help --version check enter explain list show stop " "completion: the commands"
is "$(complete_line "nsboxctl st")" "stop " "completion: a command's prefix"
is "$(complete_line "nsboxctl stop --")" "--all --user --wait " "completion: stop's options"
is "$(complete_line "nsboxctl explain --")" "--conf --rhost --service --user " "completion: explain's options"
is "$(complete_line "nsboxctl explain --user roo")" "root " "completion: --user takes a user name"
is "$(complete_line "nsboxctl check --service ss")" "$(cd /etc/pam.d && ls -d ss* 2>/dev/null | tr '\n' ' ')" \
	"completion: --service takes a PAM service"

# make demo installs what the demo needs (tests/install-deps.sh --demo), make check the rest
demo_pkgs=$(./tests/install-deps.sh --demo --print | sort)
all_pkgs=$(./tests/install-deps.sh --print | sort)
is "$(grep -xE 'cron|at|dnsmasq-base|isc-dhcp-client|clang|libclang-rt-dev|valgrind|pamtester|tmux|strace' <<<"$demo_pkgs")" "" \
	"the demo installs no daemon and no test tool"
is "$(comm -23 <(echo "$demo_pkgs") <(echo "$all_pkgs"))" "" "make check installs everything the demo does"
like "$(make -s -n demo)" "install-deps.sh --demo" "make demo installs with --demo"
unlike "$(make -s -n demo | grep -v install-deps)" "seccomp-fail|fuse-hang|nsbtfail|valgrind" \
	"make demo builds none of the test-only programs"
