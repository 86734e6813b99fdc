# SPDX-License-Identifier: BSD-3-Clause
# pam_nsbox build: module, helper, admin tool, tests. See README.md.
PREFIX    ?= /usr
SBINDIR   ?= $(PREFIX)/sbin
LIBEXEC   ?= $(PREFIX)/libexec/nsbox
MANDIR    ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONF   ?= /etc
PAMDIR    ?= $(shell pkg-config --variable=libdir pam 2>/dev/null || echo /lib/x86_64-linux-gnu)/security
HELPER_PATH ?= $(LIBEXEC)/nsbox-helper

CC      ?= cc
WERROR  ?= -Werror
WARN    = -Wall -Wextra $(WERROR) -Wformat=2 -Wshadow -Wmissing-prototypes \
          -Wstrict-prototypes -Wcast-qual -Wwrite-strings -Wundef -Wvla
HARDEN  = -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
          -fstack-clash-protection -fcf-protection
LDHARD  = -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed
OPT     ?= -O2 -g
CFLAGS  ?=
BASE    = -std=gnu11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) -Iinclude -Iconf -Ilib -I$(B)/gen \
          -DNSBOX_HELPER_PATH='"$(HELPER_PATH)"' $(CFLAGS)

B = build
# Every compile also writes the headers (and #included .c files) it read to TARGET.d, read back at
# the end of this file: a changed header rebuilds exactly what includes it. -MP: a header that is
# gone does not stop the build.
DEP     = -MMD -MP -MF $@.d
CONF_SRC   = conf/conf.c conf/lex.c conf/keys.c conf/values.c conf/values_net.c conf/check.c conf/match.c conf/addr.c conf/pamstack.c \
             conf/trust.c
CONF_OBJ   = $(patsubst %.c,$(B)/pie/%.o,$(CONF_SRC))
LIB_SRC    = lib/err.c lib/record.c lib/held.c lib/lease.c lib/lease_store.c lib/boxns.c lib/member.c lib/file.c lib/proc.c lib/netlink.c lib/groups.c
HELPER_SRC = helper/helper.c helper/session.c helper/box.c helper/mount.c helper/inside.c helper/veth.c helper/routed.c helper/dhcp.c \
             helper/dhcp_lease.c helper/resolv.c helper/share.c helper/sweeper.c helper/hold.c helper/unit.c helper/limits.c helper/egress.c lib/proto.c $(LIB_SRC)
CTL_SRC    = ctl/nsboxctl.c ctl/boxes.c ctl/lint.c ctl/refusals.c lib/refusal.c $(LIB_SRC)
MOD_SRC    = pam_module/pam_nsbox.c pam_module/spawn.c pam_module/policy.c lib/proto.c conf/trust.c lib/refusal.c

UNIT_TESTS = $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
# the fuzz targets as plain programs that replay their seed corpus and regression inputs
FUZZ_NAMES = conf dhcp lease proto
FUZZ_REPLAY = $(patsubst %,$(B)/tests/fuzz_%,$(FUZZ_NAMES))
TEST_BINS  = $(B)/tests/pam-run $(B)/tests/logsink $(B)/tests/pty-run $(B)/tests/nsbox-probe \
             $(B)/tests/pam_nsbt_leak.so $(B)/tests/fuse-hang \
             $(B)/tests/nss/libnss_nsbtfail.so.2 $(B)/tests/nss/libnss_nsbtdown.so.2 \
             $(B)/tests/nss/libnss_nsbtci.so.2 \
             $(B)/tests/libswapcwd.so $(B)/tests/fault-wrap $(B)/tests/seccomp-fail \
             $(B)/tests/reaper

all: $(B)/pam_nsbox.so $(B)/nsbox-helper $(B)/nsboxctl $(B)/nsbox-dhcp-script

$(B)/nsbox-dhcp-script: helper/nsbox-dhcp-script
	@mkdir -p $(B)
	install -m 0755 $< $@

$(B)/pie/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIE -c -o $@ $<

$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIC -fvisibility=hidden -c -o $@ $<

$(B)/nsbox-helper: $(patsubst %.c,$(B)/pie/%.o,$(HELPER_SRC) $(CONF_SRC))
	$(CC) -pie $(LDHARD) -o $@ $^ -lmnl

# The version is the package's (debian/changelog), shown by nsboxctl --version.
VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
$(B)/pie/ctl/nsboxctl.o: CFLAGS += -DNSBOX_VERSION='"$(VERSION)"'
$(B)/pie/ctl/nsboxctl.o: debian/changelog

$(B)/nsboxctl: $(patsubst %.c,$(B)/pie/%.o,$(CTL_SRC) $(CONF_SRC))
	$(CC) -pie $(LDHARD) -o $@ $^ -lmnl -lcap

# The seccomp denylist is compiled by libseccomp at build time into a constant the module
# installs (pam_module/seccomp-gen.c): libseccomp is a build dependency only.
$(B)/seccomp-gen: pam_module/seccomp-gen.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIE -pie -o $@ $< -lseccomp

$(B)/gen/seccomp_prog.h: $(B)/seccomp-gen
	@mkdir -p $(dir $@)
	$(B)/seccomp-gen > $@.tmp && mv $@.tmp $@

# (named here too: on a first build there is no .d yet to say so)
$(B)/pic/pam_module/policy.o $(B)/pie/pam_module/policy.o: $(B)/gen/seccomp_prog.h

# The helper's path is compiled into the module: a build for another PREFIX (or HELPER_PATH)
# rebuilds the module, so `make install PREFIX=/usr/local` after a build for /usr never installs
# a module that starts a helper from where none was installed. The file changes only when the
# path does.
$(B)/gen/helper-path: FORCE
	@mkdir -p $(dir $@)
	@echo '$(HELPER_PATH)' | cmp -s - $@ || echo '$(HELPER_PATH)' > $@

$(B)/pic/pam_module/pam_nsbox.o: $(B)/gen/helper-path

FORCE:

$(B)/pam_nsbox.so: $(patsubst %.c,$(B)/pic/%.o,$(MOD_SRC)) pam_module/pam_nsbox.map
	$(CC) -shared $(LDHARD) -Wl,--no-undefined -Wl,--version-script=pam_module/pam_nsbox.map \
		-o $@ $(filter %.o,$^) -lpam

# A unit test may #include the lib/ file it tests (for its static functions); its .d names it.
# One source per compile, so that the .d names all it read: other sources come as objects.
$(B)/tests/test_%: tests/unit/test_%.c $(CONF_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -Itests/unit -fPIE -pie -o $@ $< $(CONF_OBJ) $(UNIT_OBJ) $(UNIT_LIBS) -lcap

# The box directories' tests include record.c, whose gc frees what a dead box held (held.c), and
# held.c's includes it, which frees through the lease store and netlink.
HELD_OBJ = $(patsubst %.c,$(B)/pie/%.o,lib/err.c lib/held.c lib/lease.c lib/lease_store.c lib/netlink.c)
HELD_DEPS = $(patsubst %.c,$(B)/pie/%.o,lib/err.c lib/record.c lib/boxns.c lib/file.c lib/proc.c lib/lease.c \
	    lib/lease_store.c lib/netlink.c)
$(B)/tests/test_record $(B)/tests/test_member: $(HELD_OBJ)
$(B)/tests/test_record $(B)/tests/test_member: UNIT_OBJ = $(HELD_OBJ)
$(B)/tests/test_record $(B)/tests/test_member $(B)/tests/test_held: UNIT_LIBS = -lmnl
$(B)/tests/test_held: $(HELD_DEPS)
$(B)/tests/test_held: UNIT_OBJ = $(HELD_DEPS)

# A fuzz target #includes the lib/ or helper/ file it fuzzes (static parsers), as unit tests do.
$(FUZZ_REPLAY): $(B)/tests/fuzz_%: tests/fuzz/fuzz_%.c $(B)/tests/replay/%.o $(CONF_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -DFUZZ_NAME='"$*"' -fPIE -pie -o $@ $< $(B)/tests/replay/$*.o $(CONF_OBJ) -lcap

$(B)/tests/replay/%.o: tests/fuzz/replay.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -DFUZZ_NAME='"$*"' -fPIE -c -o $@ $<

$(B)/tests/test_limits: tests/unit/test_limits.c $(B)/pie/lib/proto.o
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -Itests/unit -fPIE -pie -o $@ $< $(B)/pie/lib/proto.o

$(B)/tests/test_policy: tests/unit/test_policy.c $(B)/pie/pam_module/policy.o $(B)/pie/lib/proto.o
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -Itests/unit -fPIE -pie -o $@ $< $(B)/pie/pam_module/policy.o \
		$(B)/pie/lib/proto.o -lpthread

$(B)/tests/pam-run: tests/pam-run.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIE -pie -o $@ $< -lpam

$(B)/tests/logsink: tests/logsink.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIE -pie -o $@ $<

$(B)/tests/pty-run: tests/pty-run.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIE -pie -o $@ $<

$(B)/tests/reaper: tests/reaper.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIE -pie -o $@ $<

# t80-valgrind.t's probe: a PAM module that leaks (the check must catch it)
$(B)/tests/pam_nsbt_leak.so: tests/valgrind/pam_nsbt_leak.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIC -fvisibility=hidden -shared $(LDHARD) -o $@ $< -lpam

# t26-teardown.t: a FUSE daemon that never answers (a box process stuck in D state)
$(B)/tests/fuse-hang: tests/fuse-hang.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIE -pie -o $@ $<

# The symlink swap of t41-cwd.t, made deterministic (LD_PRELOAD into the session runner)
$(B)/tests/libswapcwd.so: tests/swapcwd.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIC -shared -o $@ $< -ldl

# A failing NSS source for t16-nss.t, in two flavours (TRYAGAIN/EAGAIN, UNAVAIL/ENOENT)
$(B)/tests/nss/libnss_nsbtfail.so.2: tests/nss/nsbtfail.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIC -shared -DNSBT_NAME=nsbtfail -o $@ $<

$(B)/tests/nss/libnss_nsbtdown.so.2: tests/nss/nsbtfail.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIC -shared -DNSBT_NAME=nsbtdown -DNSBT_DOWN -o $@ $<

# A user directory with case-insensitive names, for t66-uid.t (SSSD's case_sensitive = false)
$(B)/tests/nss/libnss_nsbtci.so.2: tests/nss/nsbtci.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIC -shared -o $@ $<

# t80-faults.t, t81-kills.t: runs the helper under strace --inject (fault.args)
$(B)/tests/fault-wrap: tests/fault-wrap.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIE -pie -o $@ $<

# t82-errors.t, t84-fallbacks.t: fails one call by one of its arguments (where strace's
# per-process count cannot)
$(B)/tests/seccomp-fail: tests/seccomp-fail.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIE -pie -o $@ $< -lseccomp

$(B)/tests/nsbox-probe: tests/escape/probe.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIE -pie -o $@ $<

tests: all $(UNIT_TESTS) $(FUZZ_REPLAY) $(TEST_BINS)

# The test tools (pamtester, cron, dnsmasq, clang, ...) are installed here, not by make demo;
# nothing is fetched when they are all there.
check-deps:
	NSBOX_FORCE_APT= ./tests/install-deps.sh

check: check-deps tests
	prove -v $(UNIT_TESTS) $(FUZZ_REPLAY) $(sort $(wildcard tests/e2e/t*.t)) $(sort $(wildcard tests/escape/t*.t))

# make soak: the long forms (tests/soak/*.t), root, under the e2e lock like make check.
soak: tests
	prove -v $(sort $(wildcard tests/soak/*.t))

check-unit: $(UNIT_TESTS) $(FUZZ_REPLAY)
	prove $(UNIT_TESTS) $(FUZZ_REPLAY)

check-san:
	$(MAKE) B=build-san OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
		HARDEN= LDHARD="-fsanitize=address,undefined" check-unit

# make fuzz: each target built with clang's libFuzzer, ASan and UBSan, run FUZZ_SECONDS on a
# scratch copy of its corpus (tests/fuzz/run.sh); fails on a crash and names the input to keep in
# tests/fuzz/regress/NAME/. FUZZ_CC: a clang with libclang-rt (Debian: clang, libclang-rt-dev).
FUZZ_SECONDS ?= 30
FUZZ_CC    ?= clang
FUZZ_FLAGS = -std=gnu11 -D_GNU_SOURCE -g -O1 $(WARN) -Iinclude -Iconf -Ilib \
             -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

FUZZ_CONF_OBJ = $(patsubst %.c,$(B)/fuzz/obj/%.o,$(CONF_SRC))

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(DEP) -c -o $@ $<

FUZZ_BINS = $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_NAMES))

$(FUZZ_BINS): $(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_CONF_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(DEP) -o $@ $< $(FUZZ_CONF_OBJ) -lcap

fuzz: $(FUZZ_BINS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(B)/fuzz $(FUZZ_NAMES)

NET ?= none
# What the demo runs: the harness's pieces only (tests/e2e/lib.sh), none of the test tools.
DEMO_BINS = $(B)/tests/pam-run $(B)/tests/logsink $(B)/tests/reaper
demo:
	./tests/install-deps.sh --demo
	$(MAKE) all $(DEMO_BINS)
	NET=$(NET) ./tests/demo.sh

# make bench: figures only (bench/README.md). BENCH_N rounds per compared row, SCALE_MAX live
# boxes at most, STORM_SECS of login storm; BENCH_SETUP=0 skips installing the compared tools.
BENCH_N    ?= 200
SCALE_MAX  ?= 4000
STORM_SECS ?= 30
BENCH_SETUP ?= 1
BENCH_BINS = $(B)/bench/pambench $(B)/bench/floor

$(B)/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -fPIE -c -o $@ $<

$(B)/bench/pambench: $(B)/bench/pambench.o $(B)/bench/floor.o
	$(CC) $(BASE) -fPIE -pie -o $@ $^ -lpam -lmnl

$(B)/bench/floor: bench/floor.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(DEP) -DFLOOR_MAIN -fPIE -pie -o $@ $< -lmnl

bench: all $(TEST_BINS) $(BENCH_BINS)
	[ "$(BENCH_SETUP)" = 0 ] || ./bench/setup.sh
	BENCH_N=$(BENCH_N) SCALE_MAX=$(SCALE_MAX) STORM_SECS=$(STORM_SECS) ./bench/run.sh

lint:
	mandoc -Tlint -Wwarning man/*.[58]

# The DHCP client's own user (nsbox.conf's dhcp_user): made by a direct install, not a staged one
# (DESTDIR: the package's postinst makes it).
DHCP_USER ?= _nsbox-dhcp

install: all
	[ -n "$(DESTDIR)" ] || getent passwd $(DHCP_USER) >/dev/null || \
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin $(DHCP_USER)
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(LIBEXEC) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONF)/security \
		$(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 $(B)/pam_nsbox.so $(DESTDIR)$(PAMDIR)/pam_nsbox.so
	install -m 0755 $(B)/nsbox-helper $(DESTDIR)$(LIBEXEC)/nsbox-helper
	install -m 0755 $(B)/nsbox-dhcp-script $(DESTDIR)$(LIBEXEC)/nsbox-dhcp-script
	install -m 0755 $(B)/nsboxctl $(DESTDIR)$(SBINDIR)/nsboxctl
	install -m 0644 man/nsbox.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/pam_nsbox.8 man/nsboxctl.8 man/nsbox-helper.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 ctl/nsboxctl.bash $(DESTDIR)$(BASHCOMPDIR)/nsboxctl
	[ -e $(DESTDIR)$(SYSCONF)/security/nsbox.conf ] || \
		install -m 0644 conf/nsbox.conf $(DESTDIR)$(SYSCONF)/security/nsbox.conf

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_nsbox.so $(DESTDIR)$(LIBEXEC)/nsbox-helper \
		$(DESTDIR)$(LIBEXEC)/nsbox-dhcp-script \
		$(DESTDIR)$(SBINDIR)/nsboxctl $(DESTDIR)$(MANDIR)/man5/nsbox.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/pam_nsbox.8 $(DESTDIR)$(MANDIR)/man8/nsboxctl.8 \
		$(DESTDIR)$(MANDIR)/man8/nsbox-helper.8 $(DESTDIR)$(BASHCOMPDIR)/nsboxctl
	-rmdir $(DESTDIR)$(LIBEXEC)
	@echo "left $(SYSCONF)/security/nsbox.conf in place (remove it by hand if unwanted)"
	@echo "left the user $(DHCP_USER) in place (userdel $(DHCP_USER) if unwanted)"

clean:
	rm -rf build build-san

.PHONY: FORCE all tests check check-deps soak check-unit check-san fuzz demo bench lint install uninstall clean

# The Debian package (debian/, debhelper): dpkg-buildpackage writes next to the tree; the
# results are moved into $(B)/. Needs dpkg-dev, debhelper and the build dependencies.
deb:
	dpkg-buildpackage -us -uc -b
	@mkdir -p $(B)
	v=$$(dpkg-parsechangelog -S Version) a=$$(dpkg-architecture -qDEB_HOST_ARCH) && \
		mv ../pam-nsbox_$${v}_$${a}.deb ../pam-nsbox_$${v}_$${a}.buildinfo \
		../pam-nsbox_$${v}_$${a}.changes $(B)/ && \
		{ [ ! -e ../pam-nsbox-dbgsym_$${v}_$${a}.deb ] || mv ../pam-nsbox-dbgsym_$${v}_$${a}.deb $(B)/; } && \
		echo "built $(B)/pam-nsbox_$${v}_$${a}.deb"

.PHONY: deb

# What each compile read (DEP above); only this Makefile's own directories under $(B), which may
# hold other trees (a cached CI root).
-include $(wildcard $(B)/seccomp-gen.d $(B)/pie/*/*.d $(B)/pic/*/*.d $(B)/tests/*.d $(B)/tests/*/*.d \
	$(B)/bench/*.d $(B)/fuzz/*.d $(B)/fuzz/obj/*/*.d)
