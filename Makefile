# conduit: a small KVM VMM for PCI passthrough.
#   make            build ./conduit (for this machine's architecture)
#   make STATIC=1   link it statically (for the nested test guest)
#   make ARCH=arm64 on x86: cross-compile a static arm64 conduit,
#                   build-arm64/conduit (scripts/fetch-arm64-sysroot.sh
#                   fetches the arm64 libraries into .cache/arm64-sysroot)
#   make check      unit tests (Check) and command-line tests; no KVM needed
#   make kvm-save-check  the x86 vCPU and VM state save against /dev/kvm
#   make kvm-arm64-check  vmm/arm64/ against a real arm64 KVM (tests/kvm/arm64_probe.c in the nested arm64 L1)
#   make e2e        end-to-end tests: nested under QEMU, or native on a dev box
#   make fuzz       build the libFuzzer fuzzers (clang) and run each for
#                   FUZZ_SECONDS; fails on any crash or sanitizer report
#   make check-sanitize  unit and command-line tests built with ASan+UBSan
#   make e2e-sanitize  the end-to-end tests with conduit built with ASan+UBSan
#   make test       check + check-sanitize + fuzz + e2e + e2e-sanitize (what CI runs)
#   make demo       boot the default guest (nested under QEMU where needed)
#   make bench      boot-time and memory benchmark against QEMU
#   make bench-stream  the snapshot stream's cost per byte, on the host
#   make e2e-arm64 / bench-arm64   the nested arm64 cases / boot bench (CONDUIT_BIN_ARM64)

# The architecture: x86 or arm64, this machine's unless ARCH says. Its
# code is in vmm/$(ARCH)/ and boot/$(ARCH)/ behind vmm/arch.h; the rest is
# the same for both. ARCH=arm64 on a machine that is not arm64 cross-builds
# (aarch64-linux-gnu-gcc, static, against Debian's arm64 libraries unpacked
# into ARM64_SYSROOT) into build-arm64/; the tests are x86's.
HOST_ARCH := $(shell uname -m | sed -e 's/^x86_64$$/x86/' -e 's/^aarch64$$/arm64/')
ARCH      ?= $(HOST_ARCH)
ifeq ($(filter $(ARCH),x86 arm64),)
$(error ARCH=$(ARCH): conduit builds for x86 or arm64)
endif
ARM64_SYSROOT := .cache/arm64-sysroot
ifneq ($(ARCH),$(HOST_ARCH))
CROSS   := 1
CC      := aarch64-linux-gnu-gcc
STATIC  := 1
B       := build-$(ARCH)
SYSROOT_MARK := $(ARM64_SYSROOT)/usr/include/xxhash.h
else
CC      ?= gcc
B       := build
endif
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter \
           -Werror=implicit-function-declaration -D_GNU_SOURCE -MMD -MP
# Kernel uAPI headers newer than Debian 12's (IOMMUFD, the VFIO cdev): from
# trixie's linux-libc-dev, extracted by scripts/fetch-uapi.sh, searched first.
UAPI_DIR := .cache/uapi
UAPI_HDR := $(UAPI_DIR)/linux/iommufd.h
CFLAGS  += -isystem $(UAPI_DIR)
ifeq ($(CROSS),1)
# The arm64 libraries' headers and .a files, after the cross compiler's own
# (libc6-dev-arm64-cross: glibc and the arm64 uAPI, asm/kvm.h included).
CFLAGS  += -isystem $(ARM64_SYSROOT)/usr/include \
           -isystem $(ARM64_SYSROOT)/usr/include/aarch64-linux-gnu
LDFLAGS += -L$(ARM64_SYSROOT)/usr/lib/aarch64-linux-gnu
JANSSON_LIBS  := -ljansson
COMPRESS_LIBS := -llzma -lzstd -lz
endif
# jansson parses and writes the control socket's JSON (vmm/qmp/): a strict
# RFC 8259 parser (duplicate keys rejected, integers apart from reals) on a
# buffer of given length. Debian's libjansson-dev has libjansson.a too, for
# the static build.
JANSSON_LIBS ?= $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
# Module files for a guest's initramfs (boot/module_read.c) come .ko.xz,
# .ko.zst or .ko.gz: liblzma-dev, libzstd-dev and zlib1g-dev decompress
# them, and ship the .a files the static build links.
COMPRESS_LIBS ?= $(shell pkg-config --libs liblzma libzstd zlib 2>/dev/null || \
                   echo -llzma -lzstd -lz)
# libxxhash-dev's XXH64 is the snapshot stream's checksum (vmm/snapshot/
# checksum.c says why); it ships libxxhash.a for the static build.
XXHASH_LIBS ?= -lxxhash
LDLIBS  += $(JANSSON_LIBS) $(COMPRESS_LIBS) $(XXHASH_LIBS) -luring -lpthread
# libfdt writes the arm64 guest's device tree (boot/arm64/fdt.c).
FDT_LIBS   := $(if $(CROSS),-lfdt,$(shell pkg-config --libs libfdt 2>/dev/null || echo -lfdt))
ifeq ($(ARCH),arm64)
LDLIBS  += $(FDT_LIBS)
endif
ifeq ($(STATIC),1)
LDFLAGS += -static
endif

GENERIC_SRCS := $(wildcard vmm/*.c vmm/qmp/*.c vmm/snapshot/*.c devices/*.c boot/*.c \
                  vfio/*.c vfio/host/*.c)
ARCH_SRCS := $(wildcard vmm/$(ARCH)/*.c boot/$(ARCH)/*.c)
SRCS := $(GENERIC_SRCS) $(ARCH_SRCS)
OBJS := $(SRCS:%.c=$(B)/%.o)
LIB_OBJS := $(filter-out $(B)/vmm/main.o,$(OBJS))
ifeq ($(ARCH),x86)
ROM_OBJ  := $(B)/boot/x86/linuxboot_blob.o $(B)/boot/exec_blobs.o
ROM_CC   ?= gcc
else
ROM_OBJ  := $(B)/boot/exec_blobs.o
ROM_CC   := $(CC)
endif

# The arm64 port's pure logic (the Image header, the memory map, the device
# tree, the KVM side in vmm/arm64/): not in the x86 binary, built and
# unit-tested on x86 all the same. The device tree is written with libfdt
# (libfdt-dev). vmm/arm64/ is built against the arm64 uAPI's asm/kvm.h and
# the three asm headers it includes, copied from libc6-dev-arm64-cross's
# tree into build/arm64-uapi/ and searched before the host's asm/. Only
# plain types and the architecture-neutral parts of linux/kvm.h cross
# vmm/arm64/'s headers, so x86 and arm64 struct layouts never meet.
# vmm/arm64/'s arch_*.c and seccomp_arch.c are the arm64 implementation of
# vmm/arch.h and vmm/seccomp_arch.h: only in the arm64 binary (they define
# what vmm/x86/'s do).
ARM64_IMPL_SRCS := $(wildcard vmm/arm64/arch_*.c) vmm/arm64/seccomp_arch.c
ARM64_SRCS := $(filter-out $(ARM64_IMPL_SRCS),$(wildcard boot/arm64/*.c vmm/arm64/*.c))
ARM64_OBJS := $(ARM64_SRCS:%.c=build/%.o)
# The boot side alone (Image, memory map, device tree): no KVM header, so
# the fuzzers and build/arm64-dtb-tool take it as it is.
ARM64_BOOT_OBJS := $(patsubst %.c,build/%.o,$(wildcard boot/arm64/*.c) vmm/arm64/layout.c)
ARM64_ASM_DIR := /usr/aarch64-linux-gnu/include/asm
ARM64_UAPI    := build/arm64-uapi
ARM64_UAPI_HDRS := $(addprefix $(ARM64_UAPI)/asm/,kvm.h ptrace.h sve_context.h hwcap.h)
ARM64_HOSTED_SRCS := $(filter-out $(ARM64_IMPL_SRCS),$(wildcard vmm/arm64/*.c))

# Shared test support (tests/support/): fake vfio device, fake KVM vm fd,
# the ioctl() override that reaches them, fake sysfs trees. All of it goes
# into the unit tests; a fuzzer gets the objects it lists in FUZZ_SUPPORT_x.
SUPPORT_SRCS := $(wildcard tests/support/*.c)
TEST_SRCS := $(wildcard tests/unit/*.c) $(SUPPORT_SRCS)
TEST_OBJS := $(TEST_SRCS:%.c=build/%.o)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

ifeq ($(CROSS),1)
all: $(B)/conduit
else
all: conduit
endif

conduit $(B)/conduit: $(OBJS) $(ROM_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(UAPI_HDR):
	bash scripts/fetch-uapi.sh $(UAPI_DIR)

$(SYSROOT_MARK):
	bash scripts/fetch-arm64-sysroot.sh $(ARM64_SYSROOT)

$(B)/%.o: %.c | $(UAPI_HDR) $(SYSROOT_MARK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# The option ROM that boots Linux through SeaBIOS (boot/x86/linuxboot.S,
# 16-bit code) is assembled with gcc, linked at 0 into a flat 512-byte image
# and embedded as data by boot/x86/linuxboot_blob.S. That one object goes
# into every variant (sanitizer and fuzz builds too).
build/boot/x86/linuxboot.elf: boot/x86/linuxboot.S boot/x86/linuxboot.h
	@mkdir -p $(dir $@)
	$(ROM_CC) -m16 -c -o $@ $<

build/boot/x86/linuxboot.bin: build/boot/x86/linuxboot.elf
	$(LD) -m elf_i386 -Ttext 0 --oformat binary -o $@ $<

build/boot/x86/linuxboot_blob.o: boot/x86/linuxboot_blob.S build/boot/x86/linuxboot.bin
	$(ROM_CC) -c -Wa,-I,build/boot/x86 -o $@ $<

# `conduit exec`'s guest side: the report helper (boot/x86/exec_report.S, a
# static x86-64 program without libc, a few hundred bytes; it reports on a
# port, so arm64 has none yet: an empty one, which conduit exec refuses)
# and the init script (boot/exec_init.sh), embedded as data by
# boot/exec_blobs.S.
ifeq ($(ARCH),x86)
$(B)/boot/exec_report: boot/x86/exec_report.S
	@mkdir -p $(dir $@)
	$(ROM_CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-n -s -o $@ $<
else
$(B)/boot/exec_report:
	@mkdir -p $(dir $@)
	: > $@
endif

$(B)/boot/exec_blobs.o: boot/exec_blobs.S $(B)/boot/exec_report boot/exec_init.sh
	$(ROM_CC) -c -Wa,-I,$(B)/boot -Wa,-I,boot -o $@ $<

$(ARM64_UAPI)/asm/%.h: $(ARM64_ASM_DIR)/%.h
	@mkdir -p $(dir $@)
	cp $< $@

ifeq ($(ARCH),x86)
# (on an arm64 machine they build against its own asm/ headers)
$(ARM64_HOSTED_SRCS:%.c=build/%.o): CFLAGS += -I$(ARM64_UAPI)
$(ARM64_HOSTED_SRCS:%.c=build/%.o): | $(ARM64_UAPI_HDRS)
endif

build/unit-tests: $(TEST_OBJS) $(LIB_OBJS) $(ARM64_OBJS) $(ROM_OBJ)
	$(CC) -o $@ $^ $(CHECK_LIBS) $(FDT_LIBS) $(LDLIBS)

# The arm64 guest's device tree for a given Image, RAM, vCPUs, initrd and
# command line, written by the same code conduit uses (tests/arm64/dtb_tool.c);
# arm64-dtb-check boots Debian's arm64 kernel under QEMU TCG on it (no KVM;
# needs qemu-system-arm and the arm64 kernel the nested arm64 harness fetches).
build/arm64-dtb-tool: tests/arm64/dtb_tool.c $(ARM64_BOOT_OBJS) build/vmm/memmap.o | $(UAPI_HDR)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $^ $(FDT_LIBS)

arm64-dtb-check: build/arm64-dtb-tool
	bash tests/arm64/dtb-qemu.sh

check: conduit build/unit-tests build/bench-stream
	./build/unit-tests
	sh tests/cli/run.sh ./conduit
	sh tests/cli/host_pci.sh ./conduit
	bash tests/nested/arm64/selftest.sh
	bash tests/nested/selftest.sh

# The x86 state save and restore (vmm/x86/) against this host's /dev/kvm:
# two VMs with recognisable state captured, encoded, decoded, restored into
# fresh VMs and compared field by field. Not part of make check (it needs
# KVM); see tests/kvm/save_roundtrip.c.
X86_SAVE_OBJS := $(filter build/vmm/x86/vcpu_save% build/vmm/x86/vm_save% \
                   build/vmm/snapshot/cursor.o build/vmm/snapshot/section.o,$(LIB_OBJS))
build/kvm-save-check: tests/kvm/save_roundtrip.c $(X86_SAVE_OBJS) | $(UAPI_HDR)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $< $(X86_SAVE_OBJS)

kvm-save-check: build/kvm-save-check
	./build/kvm-save-check

# A static arm64 program that checks vmm/arm64/ against a real arm64 KVM
# (tests/kvm/arm64_probe.c: GICv3 + ITS, two vCPUs, PSCI, MMIO, routes,
# a tiny guest); cross-built here, run in the nested arm64 L1.
ARM64_CC ?= aarch64-linux-gnu-gcc
ARM64_PROBE_SRCS := tests/kvm/arm64_probe.c tests/kvm/arm64_probe_guest.S $(ARM64_HOSTED_SRCS)
build/arm64-probe: $(ARM64_PROBE_SRCS) $(wildcard vmm/arm64/*.h)
	@mkdir -p $(dir $@)
	$(ARM64_CC) -static $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $(ARM64_PROBE_SRCS) -lpthread

# The probe in the nested arm64 L1 (about a minute; needs no conduit):
# fails unless every one of its checks passes.
kvm-arm64-check: build/arm64-probe
	bash tests/nested/arm64/run.sh --exec $(CURDIR)/build/arm64-probe

# The nested harness copies a static conduit into its L1 initramfs.
build/conduit-static: $(OBJS) $(ROM_OBJ)
	$(CC) -static -o $@ $^ $(LDLIBS)

# In an L1 on the project's test kernel (tests/nested/kernel.sh builds it
# once and caches it; under QEMU/TCG, L1s on Debian's 6.1 kernel died
# several times a suite, see tests/nested/README.md): suites/all with every
# conduit on the type1 backend, then suites/iommufd on IOMMUFD, then the
# QMP control socket (suites/qmp: an L1 with python3 and QEMU's client; its
# device cases on legacy, IOMMUFD in e2e-sanitize), then `conduit exec` (suites/exec) on each backend; last the
# arm64 cases (e2e-arm64, below: `make ARCH=arm64`'s conduit in an arm64 L1,
# on Debian's kernel and on the project's arm64 kernel with IOMMUFD: about
# 3.5 minutes, plus that kernel's build in a fresh clone, about 5).
ALL_E2E     := NESTED_L1_KERNEL=project NESTED_VFIO_BACKEND=legacy NESTED_SUITE=all
IOMMUFD_E2E := NESTED_L1_KERNEL=project NESTED_VFIO_BACKEND=iommufd NESTED_SUITE=iommufd
QMP_E2E     := NESTED_L1_KERNEL=project NESTED_SUITE=qmp
EXEC_E2E    := NESTED_L1_KERNEL=project NESTED_SUITE=exec
# The QMP suite's cases that pass a device through (mtty, the NVMe, a
# cdev) run here on the legacy backend, in the suite's order; on IOMMUFD
# they run in e2e-sanitize's QMP run (ASan and UBSan on), which takes the
# whole suite, the cases without devices (QMP itself, snapshot and live
# migration of a guest without devices) among them. make test took 68
# minutes from a clean clone with the whole suite run on both backends here
# as well, and 60 with the device cases on both (README, "make test").
QMP_NO_DEVICE := qmp-python qmp-greeting qmp-stop-cont snap-save-restore snap-paused \
                 snap-refusals snap-bios live-migrate live-refused live-migrate-bios migrate-cancel \
                 migrate-mempattern-unix migrate-mempattern-tcp qmp-powerdown \
                 qmp-permission qmp-getfd
QMP_DEVICE_CASES := $(filter-out $(QMP_NO_DEVICE),$(shell grep -v '^\#' tests/nested/suites/qmp))
# Cases for the legacy type1 backend only (live-mtty-type1: the container's
# own dirty tracking); the IOMMUFD runs leave them out rather than skip
# them, since a skip in CI counts as a failure.
QMP_LEGACY_ONLY  := live-mtty-type1
QMP_IOMMUFD_CASES := $(filter-out $(QMP_LEGACY_ONLY),$(shell grep -v '^\#' tests/nested/suites/qmp))

e2e: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static $(ALL_E2E) bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/conduit-static $(IOMMUFD_E2E) bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/conduit-static $(QMP_E2E) NESTED_VFIO_BACKEND=legacy \
		NESTED_CASES="$(QMP_DEVICE_CASES)" bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/conduit-static $(EXEC_E2E) NESTED_VFIO_BACKEND=legacy bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/conduit-static $(EXEC_E2E) NESTED_VFIO_BACKEND=iommufd bash tests/nested/run.sh
	$(MAKE) e2e-arm64

# The end-to-end suite once more with conduit built with ASan and UBSan
# (dynamically linked: the harness copies its libraries into L1). Any report
# fails the run. The whole QMP suite once, on IOMMUFD (the only run of its
# device cases on that backend, and of the cases without devices; about
# 10 minutes), and the exec suite once, on IOMMUFD.
e2e-sanitize: build/san/conduit
	CONDUIT_BIN=$(CURDIR)/build/san/conduit NESTED_SANITIZE=1 NESTED_SHOW_OUTPUT=1 \
		$(ALL_E2E) bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/san/conduit NESTED_SANITIZE=1 NESTED_SHOW_OUTPUT=1 \
		$(IOMMUFD_E2E) bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/san/conduit NESTED_SANITIZE=1 NESTED_SHOW_OUTPUT=1 \
		$(QMP_E2E) NESTED_VFIO_BACKEND=iommufd NESTED_CASES="$(QMP_IOMMUFD_CASES)" \
		bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/san/conduit NESTED_SANITIZE=1 NESTED_SHOW_OUTPUT=1 \
		$(EXEC_E2E) NESTED_VFIO_BACKEND=iommufd bash tests/nested/run.sh

test: check check-sanitize fuzz e2e e2e-sanitize

demo: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static bash tests/nested/run.sh --demo

bench: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static bash tests/nested/bench.sh
	$(MAKE) bench-arm64

# conduit exec's boot to command alone (a part of `make bench`).
bench-exec: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static BENCH_SUITE=bench-exec bash tests/nested/bench.sh

# Snapshot save and restore-to-running against QEMU's migrate to a file and
# -incoming, alone (the last part of `make bench`; BENCH_SNAPSHOT=0 leaves
# it out there).
bench-snapshot: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static BENCH_SUITE=bench-snapshot bash tests/nested/bench.sh

# Live migration against QEMU's -incoming, alone (the last part of `make
# bench`; BENCH_MIGRATE=0 leaves it out there).
bench-migrate: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static BENCH_SUITE=bench-migrate bash tests/nested/bench.sh
# The snapshot stream's cost per byte on the host (tests/bench/stream_bench.c):
# 256 MiB through the real writer, a socketpair and the real reader.
STREAM_BENCH_OBJS := $(patsubst %.c,$(B)/%.o,$(wildcard vmm/snapshot/*.c))
build/bench-stream: build/tests/bench/stream_bench.o $(STREAM_BENCH_OBJS)
	$(CC) -o $@ $^ $(XXHASH_LIBS) -lz -lpthread

bench-stream: build/bench-stream
	./build/bench-stream

# The arm64 port's nested tests (tests/nested/arm64/): a static arm64 conduit
# in an arm64 L1 under QEMU's TCG (shared/NESTED-ARM64.md); part of e2e.
# The binary is `make ARCH=arm64`'s (build-arm64/conduit, static) unless
# CONDUIT_BIN_ARM64 names another.
CONDUIT_BIN_ARM64 ?= $(CURDIR)/build-arm64/conduit
arm64-conduit:
	$(MAKE) ARCH=arm64

# Twice: on Debian 12's arm64 kernel (6.1, the type1 backend), then on the
# project's arm64 6.12 test kernel with --vfio-backend iommufd (kernel.sh
# KERNEL_ARCH=arm64 cross-builds it once, about 5 minutes on 2 idle cores,
# and caches it; the run itself about 1.5 minutes).
ARM64_IOMMUFD_E2E := NESTED_A64_L1_KERNEL=project NESTED_VFIO_BACKEND=iommufd
e2e-arm64: arm64-conduit
	CONDUIT_BIN_ARM64=$(CONDUIT_BIN_ARM64) bash tests/nested/arm64/run.sh
	CONDUIT_BIN_ARM64=$(CONDUIT_BIN_ARM64) $(ARM64_IOMMUFD_E2E) bash tests/nested/arm64/run.sh

# arm64 boot to init, conduit against Debian's arm64 QEMU -M virt, in one L1.
bench-arm64: arm64-conduit
	CONDUIT_BIN_ARM64=$(CONDUIT_BIN_ARM64) bash tests/nested/arm64/bench.sh

# Fuzzers (tests/fuzz/fuzz_*.c): libFuzzer with ASan and UBSan, linked
# against the project's objects built by clang in build/fuzz/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 12
SAN_FLAGS    := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_CFLAGS  := $(filter-out -O% -g,$(CFLAGS)) -O1 -g $(SAN_FLAGS) \
                -fsanitize=fuzzer-no-link
FUZZERS      := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIB_OBJS := $(LIB_OBJS:build/%=build/fuzz/%) $(ARM64_BOOT_OBJS:build/%=build/fuzz/%)

build/fuzz/%.o: %.c | $(UAPI_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

build/fuzz/libconduit.a: $(FUZZ_LIB_OBJS) $(ROM_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

build/fuzz/fuzz_%: build/fuzz/tests/fuzz/fuzz_%.o build/fuzz/libconduit.a
	$(FUZZ_CC) $(SAN_FLAGS) -fsanitize=fuzzer -o $@ $^ $(FDT_LIBS) $(LDLIBS)

# Fuzzers that drive vfio/ through the fakes, ioctl() override included;
# the others never link it (they would lose their real ioctl()).
FUZZ_SUPPORT_vfio_config := fake_ioctl fake_kvm fake_kvm_x86 fake_vfio fake_vfio_mig fake_iommufd fake_type1
build/fuzz/fuzz_vfio_config: build/fuzz/tests/fuzz/fuzz_vfio_config.o \
		$(FUZZ_SUPPORT_vfio_config:%=build/fuzz/tests/support/%.o) build/fuzz/libconduit.a
	$(FUZZ_CC) $(SAN_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZERS:%=build/fuzz/fuzz_%)
.SECONDARY: $(FUZZERS:%=build/fuzz/tests/fuzz/fuzz_%.o)

fuzz: fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

# The unit and command-line tests again, built with ASan and UBSan in
# build/san/; any sanitizer report (they go to build/san/reports/) fails.
# The sanitizer runtimes make system calls of their own that the seccomp
# sandbox refuses: gettid and sigaltstack (so the seccomp suite runs in
# `make check` only), and LeakSanitizer's check at exit needs prctl and a
# tracer thread (so tests/cli/run.sh, one of whose cases boots a sandboxed
# guest, runs without leak checking; ASan and UBSan stay on).
SAN_CC       ?= $(CC)
SAN_CFLAGS   := $(filter-out -O% -g,$(CFLAGS)) -O1 -g $(SAN_FLAGS)
SAN_OBJS     := $(OBJS:build/%=build/san/%)
SAN_TEST_OBJS := $(TEST_OBJS:build/%=build/san/%)
SAN_SUITES    = $(filter-out seccomp,$(shell sed -n \
                's/.*suite_create("\([a-z0-9_]*\)").*/\1/p' $(wildcard tests/unit/*.c)))
SAN_ENV      := ASAN_OPTIONS=log_path=$(CURDIR)/build/san/reports/asan:detect_leaks=1 \
                UBSAN_OPTIONS=log_path=$(CURDIR)/build/san/reports/ubsan:print_stacktrace=1

build/san/%.o: %.c | $(UAPI_HDR)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CFLAGS) -c -o $@ $<

ifeq ($(ARCH),x86)
$(ARM64_HOSTED_SRCS:%.c=build/san/%.o): SAN_CFLAGS += -I$(ARM64_UAPI)
$(ARM64_HOSTED_SRCS:%.c=build/san/%.o): | $(ARM64_UAPI_HDRS)
endif

build/san/conduit: $(SAN_OBJS) $(ROM_OBJ)
	$(SAN_CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

build/san/unit-tests: $(SAN_TEST_OBJS) $(filter-out build/san/vmm/main.o,$(SAN_OBJS)) \
		$(ARM64_OBJS:build/%=build/san/%) $(ROM_OBJ)
	$(SAN_CC) $(SAN_FLAGS) -o $@ $^ $(CHECK_LIBS) $(FDT_LIBS) $(LDLIBS)

check-sanitize: build/san/conduit build/san/unit-tests
	rm -rf build/san/reports && mkdir -p build/san/reports
	for s in $(SAN_SUITES); do CK_RUN_SUITE=$$s $(SAN_ENV) ./build/san/unit-tests || exit 1; done
	$(subst detect_leaks=1,detect_leaks=0,$(SAN_ENV)) sh tests/cli/run.sh ./build/san/conduit
	$(SAN_ENV) sh tests/cli/host_pci.sh ./build/san/conduit
	@if [ -n "$$(ls build/san/reports)" ]; then cat build/san/reports/*; \
		echo "check-sanitize: sanitizer reports above"; exit 1; fi
	@echo "check-sanitize: no sanitizer reports"

clean:
	rm -rf build build-arm64 conduit

.PHONY: all check arm64-dtb-check kvm-save-check kvm-arm64-check e2e e2e-sanitize e2e-arm64 bench-arm64 arm64-conduit test demo bench bench-exec bench-snapshot bench-migrate bench-stream clean fuzz fuzz-build check-sanitize
-include $(OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(ARM64_OBJS:.o=.d)
-include $(wildcard build/fuzz/*/*.d build/fuzz/*/*/*.d build/san/*/*.d build/san/*/*/*.d)
