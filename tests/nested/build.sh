#!/bin/bash
# tests/nested/build.sh - builds the nested harness's artifacts into the cache.
# Owns the contents of the L2 and L1 initramfs images.
#   build.sh kernel   fetch + extract the cloud kernel (skipped when cached)
#   build.sh l2       L2 initramfs: busybox, virtio modules, the agent as /init
#   build.sh l1       L1 initramfs: busybox, kvm/vfio modules, conduit, the L2
#                     kernel + initramfs, the runner (needs l2)
#   build.sh all      all three (default)
# Environment: CONDUIT_BIN (default <repo>/conduit), INCLUDE_QEMU=1 (put QEMU and
# its firmware into L1 too), INCLUDE_PYTHON=1 (python3 and QEMU's QMP client,
# /nested/qmp, for cases-qmp.sh), L1_COMPRESS=gzip|none (default gzip),
# NESTED_L1_KERNEL=project (L1 on the project's kernel: no modules to load),
# CONDUIT_CACHE (cache root, default <repo>/.cache).
# Prints the paths it made as NAME=PATH lines on stdout.
set -eu
NESTED_DIR=$(cd "$(dirname "$0")" && pwd)
. "$NESTED_DIR/lib.sh"

# button and evdev: the ACPI power button as an input device, for busybox
# acpid in the QMP cases (system_powerdown; l2-init.sh's agent_start).
L2_MODULES="virtio_pci virtio_console vmxnet3 button evdev"
# What `conduit exec` loads in L2 (cases-exec.sh; virtio_mmio for QEMU microvm in
# cases-bench-exec.sh): /nested/l2/modules.
EXEC_MODULES="virtio_pci virtio_console vmxnet3 virtio_mmio"
L1_MODULES="irqbypass kvm kvm-amd vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci"
CONDUIT_BIN=${CONDUIT_BIN:-$REPO_DIR/conduit}
# What QEMU (as L1 VMM) reads for -machine q35 / microvm with -kernel and
# -nodefaults -vga none: seen with strace on Debian 12's QEMU 7.2.
QEMU_FIRMWARE="/usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin
	/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/linuxboot.bin
	/usr/share/qemu/qboot.rom /usr/share/qemu/pvh.bin"

build_l2() {
	root=$BUILD_DIR/l2root
	rm -rf "$root"
	mkdir -p "$root"
	install_busybox "$root"
	install_modules "$root" $L2_MODULES
	cp "$NESTED_DIR/l2-init.sh" "$root/init"
	chmod 755 "$root/init"
	# the live migration cases' memory-pattern agent (l2-init.sh's mempattern)
	mkdir -p "$root/bin"
	${CC:-gcc} -static -O2 -o "$root/bin/mempattern" "$NESTED_DIR/mempattern.c" ||
		die "cannot build tests/nested/mempattern.c (gcc with static glibc)"
	# busybox acpid runs /etc/acpi/PWRF/00000080 at a power-button press
	# (its built-in tables; the QMP cases' system_powerdown).
	mkdir -p "$root/etc/acpi/PWRF"
	printf '#!/bin/sh\necho L2-POWER-BUTTON >/dev/console\nsleep 0.1\npoweroff -f\n' \
		>"$root/etc/acpi/PWRF/00000080"
	chmod 755 "$root/etc/acpi/PWRF/00000080"
	L2_INITRD=$BUILD_DIR/l2.cpio.gz
	pack_cpio "$root" "$L2_INITRD" gzip
}

# Puts QEMU, its libraries and firmware into tree $1.
install_qemu() {
	root=$1
	install_binary "$(command -v qemu-system-x86_64)" "$root" usr/bin/qemu-system-x86_64
	mkdir -p "$root/usr/share/qemu" "$root/usr/share/seabios"
	for f in $QEMU_FIRMWARE; do
		[ -e "$f" ] || die "QEMU firmware $f missing (install qemu-system-x86 seabios)"
		cp -L "$f" "$root/$f"
	done
	ln -sf qboot.rom "$root/usr/share/qemu/bios-microvm.bin"
	# Debian builds TCG as a module; KVM is built in. TCG lets the stand-in run
	# without KVM (STANDIN_ACCEL=tcg) when debugging L1 itself.
	f=/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
	[ ! -e "$f" ] || install_binary "$f" "$root" "${f#/}"
}

# Puts Debian's python3 (its binary, libraries and the parts of its
# standard library a client needs) and QEMU's own QMP client (python/qemu/qmp,
# scripts/qmp/qmp-shell from QEMU's source, scripts/fetch-qemu-qmp.sh) into
# tree $1: the QMP cases (cases-qmp.sh) drive conduit's --api-socket with it.
# Left out: what neither qemu.qmp (asyncio, json, socket, ssl, logging),
# qmp-shell (argparse, readline, ast) nor tracebacks need: tests, IDLE,
# tkinter, lib2to3, ensurepip, pydoc, the build config, site/dist-packages,
# distutils, email, xml, http, multiprocessing, unittest, sqlite3, ctypes,
# curses, dbm, the CJK codecs, the test extension modules and the optimized
# .pyc copies (.opt-1/.opt-2). scripts/fetch-qemu-qmp.sh's client imports
# in L1 are checked by cases-qmp.sh (qmp-python).
PYTHON_SKIP='test idlelib tkinter turtledemo turtle.py ensurepip lib2to3 pydoc_data pydoc.py
	site-packages dist-packages config-3.* distutils email xml xmlrpc html http urllib
	wsgiref multiprocessing unittest doctest.py venv sqlite3 ctypes curses dbm tomllib
	_pydecimal.py lib-dynload/_test* lib-dynload/xx* lib-dynload/_ctypes*
	lib-dynload/_sqlite3* lib-dynload/_dbm* lib-dynload/nis.* lib-dynload/_curses*
	lib-dynload/_codecs_* lib-dynload/_decimal* lib-dynload/audioop* lib-dynload/ossaudiodev*
	lib-dynload/_lzma* lib-dynload/_bz2* lib-dynload/_crypt*'
install_python() {
	root=$1
	py=$(readlink -f /usr/bin/python3)
	[ -x "$py" ] || die "no /usr/bin/python3 (install python3)"
	ver=$(basename "$py")
	lib=/usr/lib/$ver
	[ -d "$lib" ] || die "no $lib"
	install_binary "$py" "$root" "usr/bin/$ver"
	ln -sf "$ver" "$root/usr/bin/python3"
	mkdir -p "$root$lib"
	excl=''
	for d in $PYTHON_SKIP; do excl="$excl --exclude=./$d"; done
	# shellcheck disable=SC2086
	(cd "$lib" && tar -cf - $excl --exclude='*.opt-1.pyc' --exclude='*.opt-2.pyc' .) |
		(cd "$root$lib" && tar -xf -)
	for so in "$root$lib"/lib-dynload/*.so; do
		ldd "$so" 2>/dev/null | awk '/=> \// { print $3 }' | while read -r l; do
			[ -e "$root/$l" ] && continue
			mkdir -p "$root/$(dirname "$l")"
			cp -L "$l" "$root/$l"
		done
	done
	qmp=$(bash "$REPO_DIR/scripts/fetch-qemu-qmp.sh" | sed -n 's/^QEMU_QMP_DIR=//p')
	[ -n "$qmp" ] || die "scripts/fetch-qemu-qmp.sh failed"
	mkdir -p "$root/nested/qmp"
	cp -r "$qmp/python" "$qmp/scripts" "$qmp/bin" "$root/nested/qmp/"
	cp "$NESTED_DIR/qmp-client.py" "$NESTED_DIR/qmp-standin.sh" "$root/nested/qmp/"
}

build_l1() {
	root=$BUILD_DIR/l1root
	rm -rf "$root"
	mkdir -p "$root/nested/l2" "$root/nested/suites"
	install_busybox "$root"
	if [ "$NESTED_L1_KERNEL" = debian ]; then
		install_modules "$root" $L1_MODULES
	else
		# The project's kernel has everything built in.
		mkdir -p "$root/lib/modules"
		: >"$root/lib/modules/order"
	fi
	cp "$NESTED_DIR/l1-init.sh" "$root/init"
	cp "$NESTED_DIR/runner.sh" "$NESTED_DIR"/cases-*.sh "$root/nested/"
	cp "$NESTED_DIR"/suites/* "$root/nested/suites/"
	cp "$REPO_DIR/configs/nested-l2.conf" "$root/nested/"
	chmod 755 "$root/init" "$root/nested/runner.sh"
	cp "$VMLINUZ" "$root/nested/l2/vmlinuz"
	cp "$BUILD_DIR/l2.cpio.gz" "$root/nested/l2/initrd.cpio.gz"
	install_exec_modules "$root/nested/l2/modules" $EXEC_MODULES
	if [ -f "$CONDUIT_BIN" ]; then
		install_binary "$CONDUIT_BIN" "$root" usr/bin/conduit
	else
		log "no conduit binary at $CONDUIT_BIN (build it with 'make STATIC=1'); L1 has none"
	fi
	# conduit --bios seabios in L1 (cases-firmware.sh, bench-conduit-bios).
	mkdir -p "$root/usr/share/seabios"
	cp -L /usr/share/seabios/bios.bin "$root/usr/share/seabios/bios.bin" ||
		die "no /usr/share/seabios/bios.bin (install seabios)"
	[ "${INCLUDE_QEMU:-0}" = 0 ] || install_qemu "$root"
	[ "${INCLUDE_PYTHON:-0}" = 0 ] || install_python "$root"
	L1_INITRD=$BUILD_DIR/l1.cpio
	[ "${L1_COMPRESS:-gzip}" = none ] || L1_INITRD=$L1_INITRD.gz
	rm -f "$BUILD_DIR"/l1.cpio "$BUILD_DIR"/l1.cpio.gz
	pack_cpio "$root" "$L1_INITRD" "${L1_COMPRESS:-gzip}"
}

what=${1:-all}
need_tools apt-get apt-cache dpkg busybox cpio gzip modinfo ldd depmod xz
mkdir -p "$BUILD_DIR"
kernel_fetch
echo "VMLINUZ=$VMLINUZ"
case $what in
kernel) ;;
l2) build_l2 && echo "L2_INITRD=$L2_INITRD" ;;
l1) build_l1 && echo "L1_INITRD=$L1_INITRD" ;;
all)
	build_l2 && echo "L2_INITRD=$L2_INITRD"
	build_l1 && echo "L1_INITRD=$L1_INITRD"
	;;
*) die "usage: build.sh [kernel|l2|l1|all]" ;;
esac
