# conduit: a small KVM VMM for PCI passthrough.
#   make            build ./conduit
#   make STATIC=1   link it statically (for the nested test guest)
#   make check      unit tests (Check) and command-line tests; no KVM needed
#   make kvm-save-check  the x86 vCPU and VM state save against /dev/kvm
#   make e2e        end-to-end tests: nested under QEMU, or native on a dev box
#   make fuzz       build the libFuzzer fuzzers (clang) and run each for
#                   FUZZ_SECONDS; fails on any crash or sanitizer report
#   make check-sanitize  unit and command-line tests built with ASan+UBSan
#   make e2e-sanitize  the end-to-end tests with conduit built with ASan+UBSan
#   make test       check + check-sanitize + fuzz + e2e + e2e-sanitize (what CI runs)
#   make demo       boot the default guest (nested under QEMU where needed)
#   make bench      boot-time and memory benchmark against QEMU

CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter \
           -Werror=implicit-function-declaration -D_GNU_SOURCE -MMD -MP
# Kernel uAPI headers newer than Debian 12's (IOMMUFD, the VFIO cdev): from
# trixie's linux-libc-dev, extracted by scripts/fetch-uapi.sh, searched first.
UAPI_DIR := .cache/uapi
UAPI_HDR := $(UAPI_DIR)/linux/iommufd.h
CFLAGS  += -isystem $(UAPI_DIR)
# jansson parses and writes the control socket's JSON (vmm/qmp/): a strict
# RFC 8259 parser (duplicate keys rejected, integers apart from reals) on a
# buffer of given length. Debian's libjansson-dev has libjansson.a too, for
# the static build.
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
# Module files for a guest's initramfs (boot/module_read.c) come .ko.xz,
# .ko.zst or .ko.gz: liblzma-dev, libzstd-dev and zlib1g-dev decompress
# them, and ship the .a files the static build links.
COMPRESS_LIBS := $(shell pkg-config --libs liblzma libzstd zlib 2>/dev/null || \
                   echo -llzma -lzstd -lz)
LDLIBS  += $(JANSSON_LIBS) $(COMPRESS_LIBS) -luring -lpthread
ifeq ($(STATIC),1)
LDFLAGS += -static
endif

SRCS := $(wildcard vmm/*.c vmm/qmp/*.c vmm/snapshot/*.c vmm/x86/*.c devices/*.c boot/*.c vfio/*.c vfio/host/*.c)
OBJS := $(SRCS:%.c=build/%.o)
LIB_OBJS := $(filter-out build/vmm/main.o,$(OBJS))
ROM_OBJ  := build/boot/linuxboot_blob.o build/boot/exec_blobs.o
ROM_CC   ?= gcc

# The arm64 port's pure logic (the Image header, the memory map, the device
# tree): not in the x86 binary, built and unit-tested on x86 all the same.
# The device tree is written with libfdt (libfdt-dev).
ARM64_SRCS := $(wildcard boot/arm64/*.c) vmm/arm64/layout.c
ARM64_OBJS := $(ARM64_SRCS:%.c=build/%.o)
FDT_LIBS   := $(shell pkg-config --libs libfdt 2>/dev/null || echo -lfdt)

# Shared test support (tests/support/): fake vfio device, fake KVM vm fd,
# the ioctl() override that reaches them, fake sysfs trees. All of it goes
# into the unit tests; a fuzzer gets the objects it lists in FUZZ_SUPPORT_x.
SUPPORT_SRCS := $(wildcard tests/support/*.c)
TEST_SRCS := $(wildcard tests/unit/*.c) $(SUPPORT_SRCS)
TEST_OBJS := $(TEST_SRCS:%.c=build/%.o)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

all: conduit

conduit: $(OBJS) $(ROM_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(UAPI_HDR):
	bash scripts/fetch-uapi.sh $(UAPI_DIR)

build/%.o: %.c | $(UAPI_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# The option ROM that boots Linux through SeaBIOS (boot/linuxboot.S, 16-bit
# code) is assembled with gcc, linked at 0 into a flat 512-byte image and
# embedded as data by boot/linuxboot_blob.S. That one object goes into every
# variant (sanitizer and fuzz builds too).
build/boot/linuxboot.elf: boot/linuxboot.S boot/linuxboot.h
	@mkdir -p $(dir $@)
	$(ROM_CC) -m16 -c -o $@ $<

build/boot/linuxboot.bin: build/boot/linuxboot.elf
	$(LD) -m elf_i386 -Ttext 0 --oformat binary -o $@ $<

build/boot/linuxboot_blob.o: boot/linuxboot_blob.S build/boot/linuxboot.bin
	$(ROM_CC) -c -Wa,-I,build/boot -o $@ $<

# `conduit exec`'s guest side: the report helper (boot/exec_report.S, a
# static x86-64 program without libc, a few hundred bytes) and the init
# script (boot/exec_init.sh), embedded as data by boot/exec_blobs.S.
build/boot/exec_report: boot/exec_report.S
	@mkdir -p $(dir $@)
	$(ROM_CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-n -s -o $@ $<

build/boot/exec_blobs.o: boot/exec_blobs.S build/boot/exec_report boot/exec_init.sh
	$(ROM_CC) -c -Wa,-I,build/boot -Wa,-I,boot -o $@ $<

build/unit-tests: $(TEST_OBJS) $(LIB_OBJS) $(ARM64_OBJS) $(ROM_OBJ)
	$(CC) -o $@ $^ $(CHECK_LIBS) $(FDT_LIBS) $(LDLIBS)

# The arm64 guest's device tree for a given Image, RAM, vCPUs, initrd and
# command line, written by the same code conduit uses (tests/arm64/dtb_tool.c);
# arm64-dtb-check boots Debian's arm64 kernel under QEMU TCG on it (no KVM;
# needs qemu-system-arm and the arm64 kernel the nested arm64 harness fetches).
build/arm64-dtb-tool: tests/arm64/dtb_tool.c $(ARM64_OBJS) build/vmm/memmap.o | $(UAPI_HDR)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $^ $(FDT_LIBS)

arm64-dtb-check: build/arm64-dtb-tool
	bash tests/arm64/dtb-qemu.sh

check: conduit build/unit-tests
	./build/unit-tests
	sh tests/cli/run.sh ./conduit
	sh tests/cli/host_pci.sh ./conduit

# The x86 state save and restore (vmm/x86/) against this host's /dev/kvm:
# two VMs with recognisable state captured, encoded, decoded, restored into
# fresh VMs and compared field by field. Not part of make check (it needs
# KVM); see tests/kvm/save_roundtrip.c.
X86_SAVE_OBJS := $(filter build/vmm/x86/%,$(LIB_OBJS))
build/kvm-save-check: tests/kvm/save_roundtrip.c $(X86_SAVE_OBJS) | $(UAPI_HDR)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $< $(X86_SAVE_OBJS)

kvm-save-check: build/kvm-save-check
	./build/kvm-save-check

# The nested harness copies a static conduit into its L1 initramfs.
build/conduit-static: $(OBJS) $(ROM_OBJ)
	$(CC) -static -o $@ $^ $(LDLIBS)

# In an L1 on the project's test kernel (tests/nested/kernel.sh builds it
# once and caches it; under QEMU/TCG, L1s on Debian's 6.1 kernel died
# several times a suite, see tests/nested/README.md): suites/all with every
# conduit on the type1 backend, then suites/iommufd on IOMMUFD, then the
# QMP control socket (suites/qmp: an L1 with python3 and QEMU's client) on
# each backend, then `conduit exec` (suites/exec) on each backend.
ALL_E2E     := NESTED_L1_KERNEL=project NESTED_VFIO_BACKEND=legacy NESTED_SUITE=all
IOMMUFD_E2E := NESTED_L1_KERNEL=project NESTED_VFIO_BACKEND=iommufd NESTED_SUITE=iommufd
QMP_E2E     := NESTED_L1_KERNEL=project NESTED_SUITE=qmp
EXEC_E2E    := NESTED_L1_KERNEL=project NESTED_SUITE=exec

e2e: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static $(ALL_E2E) bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/conduit-static $(IOMMUFD_E2E) bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/conduit-static $(QMP_E2E) NESTED_VFIO_BACKEND=legacy bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/conduit-static $(QMP_E2E) NESTED_VFIO_BACKEND=iommufd bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/conduit-static $(EXEC_E2E) NESTED_VFIO_BACKEND=legacy bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/conduit-static $(EXEC_E2E) NESTED_VFIO_BACKEND=iommufd bash tests/nested/run.sh

# The end-to-end suite once more with conduit built with ASan and UBSan
# (dynamically linked: the harness copies its libraries into L1). Any report
# fails the run. The QMP suite once, on IOMMUFD (it runs the fd device
# there too; about 3.5 minutes), and the exec suite once, on IOMMUFD.
e2e-sanitize: build/san/conduit
	CONDUIT_BIN=$(CURDIR)/build/san/conduit NESTED_SANITIZE=1 NESTED_SHOW_OUTPUT=1 \
		$(ALL_E2E) bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/san/conduit NESTED_SANITIZE=1 NESTED_SHOW_OUTPUT=1 \
		$(IOMMUFD_E2E) bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/san/conduit NESTED_SANITIZE=1 NESTED_SHOW_OUTPUT=1 \
		$(QMP_E2E) NESTED_VFIO_BACKEND=iommufd bash tests/nested/run.sh
	CONDUIT_BIN=$(CURDIR)/build/san/conduit NESTED_SANITIZE=1 NESTED_SHOW_OUTPUT=1 \
		$(EXEC_E2E) NESTED_VFIO_BACKEND=iommufd bash tests/nested/run.sh

test: check check-sanitize fuzz e2e e2e-sanitize

demo: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static bash tests/nested/run.sh --demo

bench: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static bash tests/nested/bench.sh

# conduit exec's boot to command alone (a part of `make bench`).
bench-exec: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static BENCH_SUITE=bench-exec bash tests/nested/bench.sh

# Snapshot save and restore-to-running against QEMU's migrate to a file and
# -incoming, alone (the last part of `make bench`; BENCH_SNAPSHOT=0 leaves
# it out there).
bench-snapshot: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static BENCH_SUITE=bench-snapshot bash tests/nested/bench.sh

# Fuzzers (tests/fuzz/fuzz_*.c): libFuzzer with ASan and UBSan, linked
# against the project's objects built by clang in build/fuzz/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 12
SAN_FLAGS    := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_CFLAGS  := $(filter-out -O% -g,$(CFLAGS)) -O1 -g $(SAN_FLAGS) \
                -fsanitize=fuzzer-no-link
FUZZERS      := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIB_OBJS := $(LIB_OBJS:build/%=build/fuzz/%) $(ARM64_OBJS:build/%=build/fuzz/%)

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
FUZZ_SUPPORT_vfio_config := fake_ioctl fake_kvm fake_kvm_x86 fake_vfio fake_vfio_mig fake_iommufd
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
	rm -rf build conduit

.PHONY: all check arm64-dtb-check kvm-save-check e2e e2e-sanitize test demo bench bench-exec bench-snapshot clean fuzz fuzz-build check-sanitize
-include $(OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(ARM64_OBJS:.o=.d)
-include $(wildcard build/fuzz/*/*.d build/fuzz/*/*/*.d build/san/*/*.d build/san/*/*/*.d)
