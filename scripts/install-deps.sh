#!/bin/sh
# Installs every Debian package that building, testing and benchmarking conduit needs.
# Safe to run again; needs root (or sudo) on a Debian 12 machine.
set -eu
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
# clang and libclang-rt-14-dev (libFuzzer and the sanitizer runtimes, only a
# Recommends of clang's) build the fuzzers of `make fuzz`.
# flex, bison, bc, libelf-dev and libssl-dev build the project's test kernel
# (tests/nested/kernel.sh, configs/l1-kernel.config) for the IOMMUFD runs.
# libjansson-dev: the control socket's JSON (vmm/qmp/), shared and static.
# python3 drives conduit on a pty in the terminal-restore tests (tests/cli).
# acpica-tools (iasl) disassembles and recompiles the DSDT in the unit tests.
# liblzma-dev, libzstd-dev and zlib1g-dev decompress kernel modules
# (boot/module_read.c), shared and static; zstd compresses the unit tests'
# fake modules.
# libxxhash-dev: XXH64, the snapshot stream's checksum (vmm/snapshot/
# checksum.c), shared and static.
# libfdt-dev writes the arm64 guest's device tree (boot/arm64/fdt.c, unit-
# tested on x86 too); device-tree-compiler (dtc) checks it in the tests.
PKGS="build-essential pkg-config liburing-dev libjansson-dev check clang libclang-rt-14-dev \
      qemu-system-x86 qemu-utils busybox-static cpio kmod seabios ipxe-qemu gzip xz-utils \
      util-linux flex bison bc libelf-dev libssl-dev debian-archive-keyring python3 \
      acpica-tools liblzma-dev libzstd-dev zlib1g-dev zstd libxxhash-dev libfdt-dev \
      device-tree-compiler"
# The nested arm64 tests (tests/nested/arm64/): qemu-system-aarch64 (in
# qemu-system-arm) runs the arm64 L1, the cross compiler builds static arm64
# programs, `file` checks them; libc6-dev-arm64-cross also brings the arm64
# uAPI (asm/kvm.h) that vmm/arm64/ is built against in the x86 unit tests;
# arm64 .debs (kernel, busybox, QEMU) are
# fetched with apt-get download PKG:arm64, which needs dpkg's arm64
# architecture and its package lists (nothing arm64 is installed).
PKGS="$PKGS qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross file"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
	$SUDO apt-get update -q
fi
missing=""
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
else
	echo "install-deps: installing$missing"
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
# `make ARCH=arm64` (a static arm64 conduit, cross-built) links Debian's
# arm64 liburing, libfdt, libjansson, liblzma, libzstd and zlib: their
# arm64 -dev packages unpacked into .cache/arm64-sysroot, never installed.
# The Makefile fetches them itself when missing; done here too so that a
# fresh machine has everything after this script.
bash "$(dirname "$0")/fetch-arm64-sysroot.sh" "$(dirname "$0")/../.cache/arm64-sysroot"
