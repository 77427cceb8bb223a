#!/bin/bash
# tests/nested/arm64/build.sh - builds the nested arm64 harness's initramfs
# images into the cache. Owns what L1 and L2 contain.
#   build.sh l2       L2: arm64 busybox, virtio/nvme modules, ../l2-init.sh as /init
#   build.sh l1       L1: arm64 busybox, the vfio modules, l1-init.sh, the runner
#                     and the arm64 cases, the L2 kernel + initramfs, conduit
#                     (CONDUIT_BIN_ARM64) and the --exec program (A64_EXEC)
#   build.sh all      both (default)
# Environment: CONDUIT_BIN_ARM64 (a static arm64 conduit; none: L1 has none),
# A64_EXEC=FILE and A64_EXEC_ARGS="..." (a static arm64 program L1 runs in
# exec mode; A64_EXEC_FILES="F1 F2" more files it needs, put beside it in
# /nested/exec/), NESTED_A64_L1_KERNEL=project (L1 on the project's arm64
# test kernel: no modules to load), INCLUDE_QEMU=1 (Debian's arm64 QEMU and its libraries in L1:
# the bench's peer and the cases' stand-in), CONDUIT_CACHE.
# Prints the paths it made as NAME=PATH lines on stdout.
set -eu
A64_DIR=$(cd "$(dirname "$0")" && pwd)
. "$A64_DIR/lib.sh"

# virtio_pci + virtio_console: conduit's virtio-console (hvc0); nvme: the
# passed-through disk. All are modules in Debian's arm64 kernel.
A64_L2_MODULES="virtio_pci virtio_console"
# KVM, the SMMUv3 and the GICv3 ITS are built in; VFIO is modules. nvme:
# L1's own driver of the NVMe, which `conduit unbind` gives it back to
# (a64-rebind-config); l1-init.sh takes it to vfio-pci first.
A64_L1_MODULES="vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci nvme"

build_l2() {
	local root=$A64_BUILD/l2root
	rm -rf "$root"
	mkdir -p "$root"
	a64_install_busybox "$root"
	# nvme and its dependencies load first in every L2 (/lib/modules/early,
	# ../l2-init.sh); the virtio ones when a test asks (/lib/modules/order).
	install_modules "$root" nvme
	mv "$root/lib/modules/order" "$root/lib/modules/early"
	install_modules "$root" $A64_L2_MODULES
	cp "$NESTED_DIR/l2-init.sh" "$root/init"
	chmod 755 "$root/init"
	A64_L2_INITRD=$A64_BUILD/l2.cpio.gz
	pack_cpio "$root" "$A64_L2_INITRD" gzip
}

# install_qemu_a64 ROOT: Debian's qemu-system-aarch64 (arm64) and the shared
# libraries it needs, found by walking the ELF NEEDED entries through the
# arm64 packages' library directories (objdump of the cross binutils).
install_qemu_a64() {
	bash "$A64_DIR/qemu-l1.sh" "$1" || die "putting arm64 QEMU into L1 failed"
}

build_l1() {
	local root=$A64_BUILD/l1root
	rm -rf "$root"
	mkdir -p "$root/nested/l2" "$root/nested/suites" "$root/nested/exec"
	a64_install_busybox "$root"
	if [ "${NESTED_A64_L1_KERNEL:-debian}" = project ]; then
		# The project's arm64 test kernel has everything built in.
		mkdir -p "$root/lib/modules"
		: >"$root/lib/modules/order"
	else
		install_modules "$root" $A64_L1_MODULES
	fi
	cp "$A64_DIR/l1-init.sh" "$root/init"
	cp "$NESTED_DIR/runner.sh" "$A64_DIR"/cases-*.sh "$root/nested/"
	cp "$A64_DIR"/suites/* "$root/nested/suites/" 2>/dev/null || true
	chmod 755 "$root/init" "$root/nested/runner.sh"
	cp "$A64_IMAGE" "$root/nested/l2/Image"
	cp "$A64_BUILD/l2.cpio.gz" "$root/nested/l2/initrd.cpio.gz"
	# A file that is not an arm64 Image, for the bad-Image error case.
	head -c 65536 /dev/urandom >"$root/nested/l2/not-an-image"
	if [ -n "${CONDUIT_BIN_ARM64:-}" ]; then
		[ -f "$CONDUIT_BIN_ARM64" ] || die "CONDUIT_BIN_ARM64=$CONDUIT_BIN_ARM64: no such file"
		a64_is_arm64_static "$CONDUIT_BIN_ARM64" ||
			die "CONDUIT_BIN_ARM64=$CONDUIT_BIN_ARM64 is not a static arm64 binary ($(file -b "$CONDUIT_BIN_ARM64"))"
		mkdir -p "$root/usr/bin"
		cp "$CONDUIT_BIN_ARM64" "$root/usr/bin/conduit"
		chmod 755 "$root/usr/bin/conduit"
	fi
	if [ -n "${A64_EXEC:-}" ]; then
		a64_is_arm64_static "$A64_EXEC" ||
			die "$A64_EXEC is not a static arm64 binary ($(file -b "$A64_EXEC"))"
		cp "$A64_EXEC" "$root/nested/exec/prog"
		chmod 755 "$root/nested/exec/prog"
		printf '%s\n' "${A64_EXEC_ARGS:-}" >"$root/nested/exec/args"
		for f in ${A64_EXEC_FILES:-}; do
			[ -f "$f" ] || die "A64_EXEC_FILES: no file $f"
			cp "$f" "$root/nested/exec/"
		done
	fi
	[ "${INCLUDE_QEMU:-0}" = 0 ] || install_qemu_a64 "$root"
	A64_L1_INITRD=$A64_BUILD/l1.cpio.gz
	pack_cpio "$root" "$A64_L1_INITRD" gzip
}

what=${1:-all}
need_tools apt-get apt-cache dpkg busybox cpio gzip modinfo depmod file
a64_apt_ready
mkdir -p "$A64_BUILD"
a64_kernel
echo "A64_IMAGE=$A64_IMAGE"
case $what in
l2) build_l2 && echo "A64_L2_INITRD=$A64_L2_INITRD" ;;
l1) build_l1 && echo "A64_L1_INITRD=$A64_L1_INITRD" ;;
all)
	build_l2 && echo "A64_L2_INITRD=$A64_L2_INITRD"
	build_l1 && echo "A64_L1_INITRD=$A64_L1_INITRD"
	;;
*) die "usage: build.sh [l2|l1|all]" ;;
esac
