# SPDX-License-Identifier: GPL-2.0-only
#
# smoothfs top-level build.  Plain GNU make: the kernel module must be
# built by Kbuild (make), debhelper drives make natively, and the userspace
# is a handful of small C units; see docs/development.md.
#
#   make                  module for $(KVER), library, daemon
#   make check            dependencies, unit tests, then the VM suite on
#                         every supported kernel (6.1 and 6.12)
#   make vm-check KVER=…  the VM suite on one kernel (TESTS=… for a subset)
#   make torture          the direct-mode VM suite on a KASAN/lockdep/
#                         kmemleak kernel built from linux-source-6.1
#   make demo             the demonstration, in the VM
#   make bench            benchmarks in the VM (BENCH_KVER, BENCH_SCALE, …;
#                         see bench/run and docs/benchmarks.md)
#   make bench-move       movement benchmarks only (bench/run-move)
#   make bench-scale      mount time and memory with 10k-1M files (bench/run-scale)
#   make bench-tiering    the policy end to end: a pool tiered under Zipf reads
#   make bench-report     the last runs' tables into docs/benchmarks.md, plots
#                         into docs/bench/ (bench/report; make bench ends with it)
#   make deb              Debian packages
#   make install          userspace and the DKMS source tree into DESTDIR

SHELL := /bin/bash
VERSION := $(shell cat VERSION)
B ?= build
export SMOOTHFS_BUILD_DIR = $(abspath $(B))

# Kernels: every supported one installed (oldest first); KVER picks one.
KVERS = $(shell tools/kernels)
KVER ?= $(lastword $(KVERS))
# KVER=debug: the KASAN/lockdep/kmemleak kernel tools/debug-kernel builds
# from linux-source-6.1 (see make torture).
DEBUG_KDIR = $(abspath $(B))/debug-kernel/current/linux-source-6.1
DEBUG_RELEASE = $(B)/debug-kernel/current/release
KDIR ?= $(if $(filter debug,$(KVER)),$(DEBUG_KDIR),/lib/modules/$(KVER)/build)
KMOD_DIR = $(B)/kmod/$(KVER)

PREFIX ?= /usr
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes -Wno-unused-parameter
BASE_CFLAGS := -std=gnu11 $(WARNINGS) -D_GNU_SOURCE -Iinclude/uapi \
	-Isrc/libsmoothfs/include -Isrc/libsmoothfs
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TEST_CFLAGS := $(BASE_CFLAGS) -O1 -g $(SANITIZE)
LIB_PKGS := libnl-genl-3.0 libsystemd uuid
LIB_CFLAGS = $(shell pkg-config --cflags $(LIB_PKGS))
LIB_LDLIBS = $(shell pkg-config --libs $(LIB_PKGS))
TEST_LDLIBS = $(shell pkg-config --libs cmocka) $(LIB_LDLIBS)

VM_DIRECT_TESTS ?= $(sort $(wildcard tests/vm/t/*.t))
VM_SYSTEMD_TESTS ?= $(sort $(wildcard tests/vm/systemd/*.t))

.PHONY: all lib daemon dbus-check install-daemon vm-progs policy-sim fuzz checkpatch module deps check check-built unit-check vm-check vm-check-all vm-selftest \
	torture torture-soak \
	dkms-check demo bench bench-move bench-scale bench-dbus bench-tiering bench-report deb deb-built installed-check old-debs install install-lib install-dkms clean

all: module lib daemon


deps:
	tools/deps

# --- kernel module -------------------------------------------------------
# Kbuild writes objects next to the sources, so each kernel gets its own
# staged copy of src/kmod plus the uapi header, as DKMS lays it out.
KMOD_SRCS := $(wildcard src/kmod/*.c src/kmod/*.h) src/kmod/Kbuild

module: $(KMOD_DIR)/smoothfs.ko

$(KMOD_DIR)/smoothfs.ko: $(KMOD_SRCS) include/uapi/linux/smoothfs.h VERSION \
		$(if $(filter debug,$(KVER)),$(DEBUG_RELEASE))
	@test -n "$(KVER)" || { echo "no supported kernel headers installed: run tools/deps" >&2; exit 1; }
	@mkdir -p $(KMOD_DIR)/include/uapi/linux
	@cp -p $(KMOD_SRCS) VERSION $(KMOD_DIR)/
	@cp -p include/uapi/linux/smoothfs.h $(KMOD_DIR)/include/uapi/linux/
	$(MAKE) -C $(KDIR) M=$(abspath $(KMOD_DIR)) modules

# The debug kernel: built once per fragment (15-30 min), then cached.
$(DEBUG_RELEASE): tests/vm/debug-kernel.config
	tools/debug-kernel >/dev/null

# --- libsmoothfs ------------------------------------------------------------
LIB_SONAME := libsmoothfs.so.1
LIB_SO := $(B)/lib/$(LIB_SONAME).0.0
LIB_SRCS := $(sort $(wildcard src/libsmoothfs/*.c))
LIB_HDRS := $(wildcard src/libsmoothfs/*.h src/libsmoothfs/include/smoothfs/*.h) \
	include/uapi/linux/smoothfs.h
LIB_OBJS := $(patsubst src/libsmoothfs/%.c,$(B)/lib/%.o,$(LIB_SRCS))
LIB_ASAN_OBJS := $(patsubst src/libsmoothfs/%.c,$(B)/asan/lib/%.o,$(LIB_SRCS))

lib: $(B)/lib/libsmoothfs.so $(B)/lib/smoothfs.pc

$(B)/lib/%.o: src/libsmoothfs/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=default $(LIB_CFLAGS) -c -o $@ $<

$(LIB_SO): $(LIB_OBJS) src/libsmoothfs/libsmoothfs.sym
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=src/libsmoothfs/libsmoothfs.sym -Wl,--no-undefined \
		-o $@ $(LIB_OBJS) $(LIB_LDLIBS)

$(B)/lib/libsmoothfs.so: $(LIB_SO)
	ln -sf $(notdir $(LIB_SO)) $(B)/lib/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $@

LIBDIR ?= $(PREFIX)/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
$(B)/lib/smoothfs.pc: src/libsmoothfs/smoothfs.pc.in VERSION
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' $< >$@

# --- smoothfsd ---------------------------------------------------------------
# Every src/smoothfsd/*.c is part of the daemon; all but main.c are also
# linked into the daemon's unit tests (ASan build), so new files are
# picked up by both without touching this file.  The daemon links the
# library's objects directly.
DAEMON_PKGS := $(LIB_PKGS) sqlite3
DAEMON_CFLAGS = $(shell pkg-config --cflags $(DAEMON_PKGS)) -DSMOOTHFSD_VERSION='"$(VERSION)"'
DAEMON_LDLIBS = $(shell pkg-config --libs $(DAEMON_PKGS)) -lm
DAEMON_SRCS := $(sort $(wildcard src/smoothfsd/*.c))
DAEMON_HDRS := $(wildcard src/smoothfsd/*.h) $(LIB_HDRS)
DAEMON_OBJS := $(patsubst src/smoothfsd/%.c,$(B)/daemon/%.o,$(DAEMON_SRCS))
DAEMON_ASAN_OBJS := $(patsubst src/smoothfsd/%.c,$(B)/asan/daemon/%.o,\
	$(filter-out src/smoothfsd/main.c,$(DAEMON_SRCS)))

daemon: $(B)/smoothfsd

$(B)/daemon/%.o: src/smoothfsd/%.c $(DAEMON_HDRS) VERSION
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(DAEMON_CFLAGS) -c -o $@ $<

$(B)/smoothfsd: $(DAEMON_OBJS) $(LIB_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DAEMON_LDLIBS)

$(B)/asan/daemon/%.o: src/smoothfsd/%.c $(DAEMON_HDRS) VERSION
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(DAEMON_CFLAGS) -c -o $@ $<

# The daemon with ASan + UBSan, for the D-Bus tests: a leak or an error
# makes it exit non-zero on SIGTERM, which the tests check.
$(B)/asan/smoothfsd: $(DAEMON_ASAN_OBJS) $(B)/asan/daemon/main.o $(LIB_ASAN_OBJS)
	$(CC) $(TEST_CFLAGS) $(LDFLAGS) -o $@ $^ $(DAEMON_LDLIBS)

# D-Bus tests: a private system bus with our policy and a mock polkitd.
dbus-check: $(B)/asan/smoothfsd
	tests/dbus/run $(B)/asan/smoothfsd

# --- unit tests (ASan + UBSan) -------------------------------------------
# Tests link the library's objects directly, so they reach internal
# (hidden) functions too.
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(sort $(wildcard tests/unit/test-*.c)))

$(B)/asan/lib/%.o: src/libsmoothfs/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(LIB_CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(LIB_ASAN_OBJS) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(LIB_CFLAGS) -Itests/unit -o $@ $< $(LIB_ASAN_OBJS) $(TEST_LDLIBS)

# The daemon's tests (the more specific pattern wins) link its objects too.
$(B)/tests/test-smoothfsd-%: tests/unit/test-smoothfsd-%.c $(DAEMON_ASAN_OBJS) $(LIB_ASAN_OBJS) \
		$(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(DAEMON_CFLAGS) -Itests/unit -Isrc/smoothfsd -o $@ $< \
		$(DAEMON_ASAN_OBJS) $(LIB_ASAN_OBJS) $(TEST_LDLIBS) $(DAEMON_LDLIBS)

# The policy simulator runs the engine's pure logic (heat, planner) optimised.
ENGINE_SRCS := src/smoothfsd/heat.c src/smoothfsd/planner.c
$(B)/bench/policy-sim: bench/policy-sim.c $(ENGINE_SRCS) $(ENGINE_SRCS:.c=.h) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O2 -g -Isrc/smoothfsd -o $@ bench/policy-sim.c $(ENGINE_SRCS) -lm

# Deterministic (seeded): fails when the planner misses a target.  make
# check runs the 10% case; this runs every fast-tier size of the report.
policy-sim: $(B)/bench/policy-sim
	@set -e; for pct in 1 5 10 20; do $(B)/bench/policy-sim -p $$pct; echo; done

# The documented example must keep compiling against the public header.
$(B)/examples/%: docs/examples/%.c $(B)/lib/libsmoothfs.so
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< -L$(B)/lib -lsmoothfs

unit-check: $(UNIT_TESTS) $(B)/examples/watch-events $(B)/lib/libsmoothfs.so $(B)/bench/policy-sim
	tools/check-exports $(B)/lib/libsmoothfs.so
	@set -e; for t in $(UNIT_TESTS); do \
		echo "== $$t"; \
		SEED_CONTRACT=tests/unit/seed-contract.txt TESTS_DIR=tests/unit $$t; \
	done
	$(B)/bench/policy-sim

# --- fuzzing (clang libFuzzer) -------------------------------------------
# make fuzz FUZZ_SECONDS=600 runs each target for that long, keeping its
# corpus in build/fuzz/ (seeded from tests/fuzz/corpus/<target>/).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz-*.c)))
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude/uapi -Isrc/libsmoothfs/include \
	-Isrc/libsmoothfs -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

# fuzz-dbus-*: the daemon's argument parsing, with the daemon's sources it needs.
FUZZ_DAEMON_SRCS := $(addprefix src/smoothfsd/,options.c policy.c errors.c log.c)

$(B)/fuzz/fuzz-dbus-%: tests/fuzz/fuzz-dbus-%.c $(FUZZ_DAEMON_SRCS) $(DAEMON_HDRS)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -Isrc/smoothfsd -o $@ $< $(FUZZ_DAEMON_SRCS) -lsystemd

$(B)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) $(LIB_CFLAGS) -o $@ $< $(LIB_SRCS) $(LIB_LDLIBS)

fuzz: $(addprefix $(B)/fuzz/,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(B)/fuzz/corpus-$$t; \
		seeds=; [ -d tests/fuzz/corpus/$$t ] && seeds=tests/fuzz/corpus/$$t; \
		echo "== $$t for $(FUZZ_SECONDS)s"; \
		$(B)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(B)/fuzz/corpus-$$t $$seeds 2>&1 | grep -E '^(stat::|#[0-9]+.*DONE|==[0-9]+==|SUMMARY|Done)' ; \
		test $${PIPESTATUS[0]} -eq 0; \
	done

# Objects made by pattern rules are intermediate to make; keep them.
.SECONDARY: $(LIB_OBJS) $(LIB_ASAN_OBJS) $(DAEMON_OBJS) $(DAEMON_ASAN_OBJS) \
	$(B)/asan/daemon/main.o

# --- programs the VM tests run (linked against the built library) --------
VM_PROGS := $(patsubst tests/vm/prog/%.c,$(B)/vm-progs/%,$(sort $(wildcard tests/vm/prog/*.c)))

$(B)/vm-progs/%: tests/vm/prog/%.c $(B)/lib/libsmoothfs.so
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< -L$(B)/lib -Wl,-rpath,$(abspath $(B)/lib) -lsmoothfs

vm-progs: $(VM_PROGS)

# --- VM suite ------------------------------------------------------------
# The crash tests stop the guest 16 + 25 times in full (make torture); in
# make check each kernel takes one direction of every protocol step (6.1
# demotions, 6.12 promotions) and two storms.
# tests/vm/installed/ installs the packages of make deb; upgrade.t also
# those of an older build (tools/old-debs, from the repository's history).
VM_NEEDS_DEB = $(filter tests/vm/installed/%,$(TESTS))
VM_NEEDS_OLD_DEB = $(filter %/upgrade.t,$(TESTS))

vm-check: module vm-progs daemon $(if $(VM_NEEDS_DEB),deb-built) $(if $(VM_NEEDS_OLD_DEB),old-debs)
	@test -n "$(KVER)" || { echo "no supported kernel installed: run tools/deps" >&2; exit 1; }
ifneq ($(TESTS),)
	tests/vm/run -k $(KVER) $(if $(filter tests/vm/systemd/% tests/vm/installed/% tests/vm/soak/%,$(TESTS)),-m systemd) \
		$(if $(filter tests/vm/installed/% tests/vm/soak/%,$(TESTS)),-t 5400) $(TESTS)
else
	SMOOTHFS_T_CRASH_DIRS=$${SMOOTHFS_T_CRASH_DIRS-$(if $(filter 6.1.%,$(KVER)),demote,promote)} \
	SMOOTHFS_T_CRASH_STORM_RUNS=$${SMOOTHFS_T_CRASH_STORM_RUNS-2} \
		tests/vm/run -k $(KVER) -m direct -t 4200 $(VM_DIRECT_TESTS)
ifneq ($(KVER),debug)
	tests/vm/run -k $(KVER) -m systemd -t 2400 $(VM_SYSTEMD_TESTS)
endif
endif

# The direct-mode suite on the debug kernel (KASAN, lockdep, kmemleak);
# slow, so not part of make check.  See docs/development.md.
TORTURE_TIMEOUT ?= 14400
TORTURE_TEST_TIMEOUT ?= 2400
TORTURE_STORM_RUNS ?= 25

torture:
	@$(MAKE) --no-print-directory module vm-progs KVER=debug
	SMOOTHFS_VM_TEST_TIMEOUT=$(TORTURE_TEST_TIMEOUT) SMOOTHFS_T_CRASH_STORM_RUNS=$(TORTURE_STORM_RUNS) \
		tests/vm/run -k debug -t $(TORTURE_TIMEOUT) -m direct $(or $(TESTS),$(VM_DIRECT_TESTS))

# The soak (tests/vm/soak/soak.t) for SOAK_SECONDS on every kernel;
# systemd mode, so on the stock kernels.  Not in make check yet.
SOAK_SECONDS ?= 1800

torture-soak: module vm-progs daemon
	@set -e; for k in $(KVERS); do \
		$(MAKE) --no-print-directory module vm-progs KVER=$$k; \
		SMOOTHFS_T_SOAK_SECONDS=$(SOAK_SECONDS) \
		SMOOTHFS_VM_TEST_TIMEOUT=$$(($(SOAK_SECONDS) + 900)) \
			tests/vm/run -k $$k -m systemd -t $$(($(SOAK_SECONDS) + 1500)) \
			tests/vm/soak/soak.t; \
	done

# The harness's own test: it must fail bad tests and kernel warnings.
SELFTEST_DIR = $(B)/selftest/$(KVER)

vm-selftest: module
	@mkdir -p $(SELFTEST_DIR)
	@cp -p tests/vm/selftest/kwarn/* $(SELFTEST_DIR)/
	$(MAKE) -s -C $(KDIR) M=$(abspath $(SELFTEST_DIR)) modules
	tests/vm/selftest/check $(KVER)

# make check must cover both supported series, and the installed
# packages on the newest (about 9 minutes: DKMS under TCG).
vm-check-all:
	@case " $(KVERS)" in *" 6.1."*) ;; *) echo "no 6.1 kernel installed (tools/deps)" >&2; exit 1 ;; esac
	@case " $(KVERS)" in *" 6.12."*) ;; *) echo "no 6.12 kernel installed (tools/deps)" >&2; exit 1 ;; esac
	@set -e; for k in $(KVERS); do $(MAKE) --no-print-directory vm-check KVER=$$k; done
	$(MAKE) --no-print-directory vm-check KVER=$(lastword $(KVERS)) TESTS=tests/vm/installed/installed.t

# The packages installed with apt in the VM (systemd as PID 1), DKMS
# building the module for the guest's kernel, on every supported kernel,
# and an upgrade from an older build with a pool mounted.
installed-check: module vm-progs daemon
	@set -e; for k in $(KVERS); do \
		$(MAKE) --no-print-directory vm-check KVER=$$k TESTS=tests/vm/installed/installed.t; \
		$(MAKE) --no-print-directory vm-check KVER=$$k TESTS=tests/vm/installed/upgrade.t; \
	done

# The packages of an older build, for upgrade.t.
old-debs:
	tools/old-debs

# Build the module through DKMS for every supported kernel, in a private
# DKMS tree (nothing is installed on this machine).
dkms-check:
	@set -e; for k in $(KVERS); do \
		tools/dkms-build $(VERSION) $$k $(B)/dkms; \
	done

# Kernel coding style (checkpatch --strict) over the module sources.
checkpatch:
	tools/checkpatch

# deps first: a sub-make then sees the kernels it installed.
check: deps
	@$(MAKE) --no-print-directory check-built

check-built: checkpatch unit-check dbus-check dkms-check deb-built vm-selftest vm-check-all

# --- demonstration ---------------------------------------------------------
demo: deps
	@$(MAKE) --no-print-directory module vm-progs daemon
	tests/vm/run -k $(KVER) -m systemd -d 3 -s 1G tests/vm/demo/demo.sh

# --- benchmarks ----------------------------------------------------------------
# make bench BENCH_KVER=… BENCH_SCALE=0.1: smoothfs against bare ext4,
# overlayfs and mergerfs in the VM; prints a markdown table.
BENCH_KVER ?= $(KVER)

$(B)/bench/metabench: bench/prog/metabench.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $<

bench:
	@$(MAKE) --no-print-directory module KVER=$(BENCH_KVER)
	@$(MAKE) --no-print-directory $(B)/bench/metabench
	BENCH_KVER=$(BENCH_KVER) bench/run
	@$(MAKE) --no-print-directory bench-move
	@$(MAKE) --no-print-directory bench-scale
	@$(MAKE) --no-print-directory bench-dbus
	@$(MAKE) --no-print-directory bench-tiering
	@$(MAKE) --no-print-directory bench-report

# The placement policy end to end (bench/run-tiering): Zipf reads on a
# three-tier pool while smoothfsd tiers it, with systemd as PID 1.
$(B)/bench/zipfread: bench/prog/zipfread.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< -lm

bench-tiering:
	@$(MAKE) --no-print-directory module daemon KVER=$(BENCH_KVER)
	@$(MAKE) --no-print-directory $(B)/bench/zipfread
	BENCH_KVER=$(BENCH_KVER) bench/run-tiering

# The tables of the last runs (build/bench/*/report.md) and the policy
# simulator's into docs/benchmarks.md; the figures into docs/bench/.
bench-report: $(B)/bench/policy-sim
	BENCH_KVER=$(BENCH_KVER) bench/report

# Movement (bench/run-move): the mover against cp, the writer's pause at
# cutover, foreground I/O next to moves.  movebench links the library's
# objects, for the mover's internal steps.
$(B)/bench/movebench: bench/prog/movebench.c $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(LIB_CFLAGS) -pthread -o $@ $< $(LIB_OBJS) $(LIB_LDLIBS)

bench-move:
	@$(MAKE) --no-print-directory module KVER=$(BENCH_KVER)
	@$(MAKE) --no-print-directory $(B)/bench/metabench $(B)/bench/movebench
	BENCH_KVER=$(BENCH_KVER) bench/run-move

# Scale (bench/run-scale): mount time and kernel memory of a pool over
# tiers that already hold 10k, 100k and 1M files.
bench-scale:
	@$(MAKE) --no-print-directory module vm-progs KVER=$(BENCH_KVER)
	BENCH_KVER=$(BENCH_KVER) bench/run-scale

# The D-Bus API (bench/run-dbus): call rates with 100 pools, CreatePool
# and Destroy against systemd-mount, with systemd as PID 1.
$(B)/bench/dbusbench: bench/prog/dbusbench.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(shell pkg-config --libs libsystemd)

bench-dbus:
	@$(MAKE) --no-print-directory module daemon KVER=$(BENCH_KVER)
	@$(MAKE) --no-print-directory $(B)/bench/dbusbench
	BENCH_KVER=$(BENCH_KVER) bench/run-dbus

# --- packaging and installation --------------------------------------------
# The packages, the .buildinfo and the .changes go to $(B)/deb (not to the
# parent directory); the package build itself uses $(B)/pkg (debian/rules).
# deb-built rebuilds them when a tracked file changed, for the installed
# VM test (tests/vm/installed/installed.t, make installed-check).
DEB_ARCH := $(shell dpkg-architecture -qDEB_HOST_ARCH 2>/dev/null)
DEB_CHANGES := $(B)/deb/smoothfs_$(VERSION)_$(DEB_ARCH).changes
DEB_INPUTS := $(wildcard $(shell git ls-files 2>/dev/null | grep -v -e "^tests/" -e "^bench/"))

deb: deps
	@$(MAKE) --no-print-directory deb-built

deb-built: $(DEB_CHANGES)

$(DEB_CHANGES): $(DEB_INPUTS)
	@test "$$(dpkg-parsechangelog -S Version)" = "$(VERSION)" || \
		{ echo "debian/changelog and VERSION disagree" >&2; exit 1; }
	rm -rf $(B)/deb && mkdir -p $(B)/deb
	SMOOTHFS_DEB_DIR=$(abspath $(B))/deb dpkg-buildpackage -us -uc -b \
		--buildinfo-option=-u$(abspath $(B))/deb --changes-option=-u$(abspath $(B))/deb \
		--buildinfo-file=$(B)/deb/smoothfs_$(VERSION)_$(DEB_ARCH).buildinfo \
		--changes-file=$@
	lintian --fail-on error $@ || { rm -f $@; exit 1; }

install: install-lib install-daemon install-dkms

INCLUDEDIR := $(PREFIX)/include
MANDIR := $(PREFIX)/share/man

install-lib: lib
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/smoothfs/uapi/linux \
		$(DESTDIR)$(MANDIR)/man3
	install -m 644 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libsmoothfs.so
	install -m 644 $(B)/lib/smoothfs.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 644 src/libsmoothfs/include/smoothfs/smoothfs.h $(DESTDIR)$(INCLUDEDIR)/smoothfs/
	install -m 644 include/uapi/linux/smoothfs.h $(DESTDIR)$(INCLUDEDIR)/smoothfs/uapi/linux/
	install -m 644 man/smoothfs.3 $(DESTDIR)$(MANDIR)/man3/

SBINDIR := $(PREFIX)/sbin
DATADIR := $(PREFIX)/share
UNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)

install-daemon: daemon
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/dbus-1/system.d \
		$(DESTDIR)$(DATADIR)/dbus-1/system-services $(DESTDIR)$(DATADIR)/dbus-1/interfaces \
		$(DESTDIR)$(DATADIR)/polkit-1/actions $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(B)/smoothfsd $(DESTDIR)$(SBINDIR)/smoothfsd
	install -m 644 dbus/org.smoothfs1.conf $(DESTDIR)$(DATADIR)/dbus-1/system.d/
	install -m 644 dbus/org.smoothfs1.service $(DESTDIR)$(DATADIR)/dbus-1/system-services/
	install -m 644 dbus/org.smoothfs1.Manager.xml dbus/org.smoothfs1.Pool.xml \
		$(DESTDIR)$(DATADIR)/dbus-1/interfaces/
	install -m 644 polkit/org.smoothfs1.policy $(DESTDIR)$(DATADIR)/polkit-1/actions/
	install -m 644 units/smoothfsd.service $(DESTDIR)$(UNITDIR)/
	install -m 644 man/smoothfsd.8 $(DESTDIR)$(MANDIR)/man8/

# The DKMS source tree: what dkms.conf expects under /usr/src.
install-dkms:
	install -d $(DESTDIR)/usr/src/smoothfs-$(VERSION)/include/uapi/linux
	install -m 644 $(KMOD_SRCS) $(DESTDIR)/usr/src/smoothfs-$(VERSION)/
	install -m 644 VERSION $(DESTDIR)/usr/src/smoothfs-$(VERSION)/
	install -m 644 include/uapi/linux/smoothfs.h $(DESTDIR)/usr/src/smoothfs-$(VERSION)/include/uapi/linux/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms/dkms.conf >$(DESTDIR)/usr/src/smoothfs-$(VERSION)/dkms.conf

clean:
	rm -rf $(B)
