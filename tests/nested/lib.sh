# tests/nested/lib.sh - shared helpers of the nested end-to-end harness (L0 side).
# Owns: paths and cache layout, fetching/extracting the Debian cloud kernel, module
# dependency ordering, busybox/binary installation into a root tree, cpio packing
# (with device nodes written by hand so no root is needed), and booting L1 under
# QEMU/TCG. Sourced by the bash scripts run.sh and build.sh.
#
# Cache layout (${CONDUIT_CACHE:-<repo>/.cache}/nested):
#   kernel/<package>_<version>/   the extracted kernel package, keyed by version
#   kernel/<package>_<version>/.done  written once extraction completed
#   build/                        initramfs trees and archives (rebuilt every run)
#   disk.img disk.img.md5         the NVMe image L1 sees at 0000:00:03.0 (kept)
#   ivshmem.img                   sparse 8 GiB backing of ivshmem's BAR2 (00:07.0), new each run
#   out/                          console logs of the last run

NESTED_DIR=${NESTED_DIR:-$(cd "$(dirname "$0")" && pwd)}
REPO_DIR=${REPO_DIR:-$(cd "$NESTED_DIR/../.." && pwd)}
CACHE_DIR=${CONDUIT_CACHE:-$REPO_DIR/.cache}/nested
# What L2 writes to the passed-through PCI serial card lands here (on L0).
PCI_SERIAL_OUT=${PCI_SERIAL_OUT:-$CACHE_DIR/pci-serial.out}
BUILD_DIR=$CACHE_DIR/build
# NESTED_L1_KERNEL=project: L1 runs the project's test kernel (IOMMUFD, the
# VFIO cdev, mtty; tests/nested/kernel.sh) instead of Debian's cloud kernel,
# which stays the L2 kernel. Its runs keep their logs apart.
NESTED_L1_KERNEL=${NESTED_L1_KERNEL:-debian}
OUT_DIR=$CACHE_DIR/out
[ "$NESTED_L1_KERNEL" = debian ] || OUT_DIR=$CACHE_DIR/out-$NESTED_L1_KERNEL
KERNEL_META=${NESTED_KERNEL_META:-linux-image-cloud-amd64}
# Hard limit on one L1 run (s). suites/all (36 cases, 20 L2 boots) takes
# about 6-7 minutes on an idle 2-core machine and twice that on a loaded one;
# a hung L1 is caught sooner by NESTED_STALL.
NESTED_TIMEOUT=${NESTED_TIMEOUT:-1500}
# L1 is killed when its console stays silent this long (s); a case prints at
# least every 45+30 s, so only a hung L1 is this quiet.
NESTED_STALL=${NESTED_STALL:-150}

log() { echo "nested: $*" >&2; }
die() { echo "nested: error: $*" >&2; exit 1; }

# Milliseconds since the epoch (GNU date) or since boot (busybox).
now_ms() {
	t=$(date +%s%N 2>/dev/null)
	case $t in
	*N* | "") awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime ;;
	*) echo $((t / 1000000)) ;;
	esac
}

# --- kernel ------------------------------------------------------------------

# Prints the versioned kernel package the metapackage depends on.
kernel_package() {
	if [ -n "${NESTED_KERNEL_PKG:-}" ]; then
		echo "$NESTED_KERNEL_PKG"
		return
	fi
	apt-cache depends "$KERNEL_META" 2>/dev/null |
		awk '/^ *Depends: linux-image-/ { print $2; exit }'
}

# Prints the candidate version of package $1.
package_version() {
	apt-cache policy "$1" 2>/dev/null | awk '/^ *Candidate:/ { print $2; exit }'
}

# Prints the newest already-extracted kernel dir, if any (offline fallback).
kernel_cached_dir() {
	ls -d "$CACHE_DIR"/kernel/*/.done 2>/dev/null | sort | tail -n 1 | sed 's,/\.done$,,'
}

# Downloads and extracts the kernel once per package version. Sets KERNEL_DIR,
# KERNEL_RELEASE (uname -r), VMLINUZ and MODULES_DIR.
kernel_fetch() {
	ver='' pkg=$(kernel_package)
	if [ -z "$pkg" ] && [ -z "$(kernel_cached_dir)" ] && [ "$(id -u)" -eq 0 ]; then
		log "apt lists know no $KERNEL_META; running apt-get update"
		apt-get update -q >/dev/null 2>&1 || true
		pkg=$(kernel_package)
	fi
	if [ -n "$pkg" ]; then
		ver=$(package_version "$pkg")
		[ -n "$ver" ] || die "no candidate version for $pkg"
		KERNEL_DIR=$CACHE_DIR/kernel/${pkg}_$ver
	else
		KERNEL_DIR=$(kernel_cached_dir)
		[ -n "$KERNEL_DIR" ] || die "cannot resolve $KERNEL_META (apt-cache) and nothing cached"
		log "apt-cache cannot resolve $KERNEL_META; using cached $KERNEL_DIR"
	fi
	if [ ! -f "$KERNEL_DIR/.done" ]; then
		log "fetching $pkg $ver"
		rm -rf "$KERNEL_DIR"
		mkdir -p "$KERNEL_DIR/deb"
		(cd "$KERNEL_DIR/deb" && apt-get download "$pkg=$ver" >../download.log 2>&1) || {
			cat "$KERNEL_DIR/download.log" >&2
			die "apt-get download $pkg=$ver failed"
		}
		dpkg -x "$KERNEL_DIR"/deb/*.deb "$KERNEL_DIR/root" || die "dpkg -x failed"
		rm -rf "$KERNEL_DIR/deb"
		touch "$KERNEL_DIR/.done"
	fi
	KERNEL_RELEASE=$(ls "$KERNEL_DIR/root/lib/modules" | head -n 1)
	VMLINUZ=$KERNEL_DIR/root/boot/vmlinuz-$KERNEL_RELEASE
	MODULES_DIR=$KERNEL_DIR/root/lib/modules/$KERNEL_RELEASE
	[ -f "$VMLINUZ" ] || die "no vmlinuz in $KERNEL_DIR"
}

# --- modules -----------------------------------------------------------------

# Prints the .ko file of module $1 ('-' and '_' are interchangeable).
module_file() {
	a=$(echo "$1" | tr _ -)
	b=$(echo "$1" | tr - _)
	find "$MODULES_DIR/kernel" \( -name "$a.ko" -o -name "$b.ko" -o -name "$a.ko.xz" \
		-o -name "$b.ko.xz" \) 2>/dev/null | head -n 1
}

# True when module $1 is built into the kernel.
module_builtin() {
	b=$(echo "$1" | tr - _)
	a=$(echo "$1" | tr _ -)
	grep -qE "/($a|$b)\.ko\$" "$MODULES_DIR/modules.builtin" 2>/dev/null
}

# Prints the .ko files for modules "$@" and all their dependencies, each once,
# dependencies first (depth-first on `modinfo -F depends`).
MOD_SEEN=""
module_order() {
	local m key f deps
	for m in "$@"; do
		key=" $(echo "$m" | tr - _) "
		case $MOD_SEEN in *"$key"*) continue ;; esac
		MOD_SEEN="$MOD_SEEN$key"
		f=$(module_file "$m")
		if [ -z "$f" ]; then
			module_builtin "$m" && continue
			die "module $m not found in $MODULES_DIR"
		fi
		deps=$(modinfo -F depends "$f" | tr , ' ')
		# shellcheck disable=SC2086
		[ -z "$deps" ] || module_order $deps
		echo "$f"
	done
}

# Copies modules "$@" (with deps) to $DEST/lib/modules/ and writes the load order
# to $DEST/lib/modules/order (one file name a line).
install_modules() {
	dest=$1
	shift
	mkdir -p "$dest/lib/modules"
	MOD_SEEN=""
	files=$(module_order "$@") || exit 1
	: >"$dest/lib/modules/order"
	for f in $files; do
		n=$(basename "$f")
		case $n in
		*.xz) xz -dc "$f" >"$dest/lib/modules/${n%.xz}" && n=${n%.xz} ;;
		*) cp "$f" "$dest/lib/modules/$n" ;;
		esac
		echo "$n" >>"$dest/lib/modules/order"
	done
}

# install_exec_modules DIR: DIR/RELEASE, the L2 kernel's module tree as
# `conduit exec --modules` reads it (cases-exec.sh): depmod's modules.dep,
# modules.alias, modules.builtin and modules.builtin.modinfo (the built-in
# drivers' aliases), and the .ko files of modules "$@" with
# their dependencies at their paths; vmxnet3's compressed to .ko.xz (and
# so named in modules.dep), so a real guest loads one conduit decompressed.
install_exec_modules() {
	dest=$1/$KERNEL_RELEASE
	shift
	[ -f "$MODULES_DIR/modules.dep" ] && [ -f "$MODULES_DIR/modules.alias" ] ||
		depmod -b "$KERNEL_DIR/root" "$KERNEL_RELEASE" || die "depmod failed"
	mkdir -p "$dest"
	cp "$MODULES_DIR/modules.builtin" "$MODULES_DIR/modules.builtin.modinfo" "$dest/"
	sed 's#^\(kernel/.*/vmxnet3\.ko\):#\1.xz:#' "$MODULES_DIR/modules.dep" >"$dest/modules.dep"
	cp "$MODULES_DIR/modules.alias" "$dest/"
	MOD_SEEN=""
	files=$(module_order "$@") || exit 1
	for f in $files; do
		rel=${f#"$MODULES_DIR"/}
		mkdir -p "$dest/$(dirname "$rel")"
		case $rel in
		*/vmxnet3.ko) xz -c "$f" >"$dest/$rel.xz" ;;
		*) cp "$f" "$dest/$rel" ;;
		esac
	done
}

# --- root trees ----------------------------------------------------------------

# True when ELF binary $1 needs no shared libraries (ldd fails on static ones).
is_static() {
	! ldd "$1" >/dev/null 2>&1
}

# Dies naming the first missing tool among "$@".
need_tools() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			die "$t not found (scripts/install-deps.sh installs what this needs)"
	done
}

# Installs busybox (static) with one symlink per applet into root tree $1.
install_busybox() {
	root=$1
	bb=$(command -v busybox) || die "busybox not found (install busybox-static)"
	is_static "$bb" || die "$bb is not static (install busybox-static)"
	mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin"
	cp "$bb" "$root/bin/busybox"
	"$bb" --list-full | while read -r p; do
		[ "$p" = bin/busybox ] && continue
		[ -e "$root/$p" ] && continue
		mkdir -p "$root/$(dirname "$p")"
		case $p in
		bin/*) ln -s busybox "$root/$p" ;;
		*) ln -s /bin/busybox "$root/$p" ;;
		esac
	done
	mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/run" "$root/root"
}

# Copies binary $1 to $2/$3 (path inside the tree) plus every shared library
# `ldd` names, at the same absolute paths, so it runs inside the tree.
install_binary() {
	src=$1 root=$2 rel=$3
	mkdir -p "$root/$(dirname "$rel")"
	cp -L "$src" "$root/$rel"
	chmod 755 "$root/$rel"
	is_static "$src" && return 0
	ldd "$src" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r lib; do
		[ -e "$root/$lib" ] && continue
		mkdir -p "$root/$(dirname "$lib")"
		cp -L "$lib" "$root/$lib"
	done
}

# --- cpio --------------------------------------------------------------------

# One newc header + name (+ no data) for a node: cpio_entry NAME MODE_OCTAL MAJ MIN
cpio_entry() {
	namesize=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$CPIO_INO" "$((0$2))" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0
	printf '%s\0' "$1"
	pad=$(((4 - (110 + namesize) % 4) % 4))
	[ "$pad" -eq 0 ] || head -c "$pad" /dev/zero
	CPIO_INO=$((CPIO_INO + 1))
}

# An uncompressed cpio archive holding /dev, /dev/console and /dev/null, made
# without mknod (so without root). The kernel needs /dev/console before /init.
cpio_devnodes() {
	CPIO_INO=900000
	cpio_entry dev 040755 0 0
	cpio_entry dev/console 020600 5 1
	cpio_entry dev/null 020666 1 3
	cpio_entry TRAILER!!! 0 0 0
}

# Packs root tree $1 into archive $2; $3 = gzip|none. Files are owned by root in
# the archive whoever runs this. Device nodes come first, in their own archive.
pack_cpio() {
	root=$1 out=$2 comp=${3:-gzip}
	rm -f "$out"
	{
		cpio_devnodes
		(cd "$root" && find . -mindepth 1 ! -path ./dev ! -path './dev/*' | sort |
			cpio -o -H newc -R 0:0 --quiet)
	} | case $comp in
	gzip) gzip -1 -n ;;
	*) cat ;;
	esac >"$out"
}

# --- L0 ----------------------------------------------------------------------

# Creates the 64 MiB random NVMe image once; its md5 goes next to it.
make_disk_image() {
	DISK_IMG=$CACHE_DIR/disk.img
	mkdir -p "$CACHE_DIR"
	if [ ! -f "$DISK_IMG" ]; then
		head -c $((64 * 1024 * 1024)) /dev/urandom >"$DISK_IMG.tmp"
		mv "$DISK_IMG.tmp" "$DISK_IMG"
	fi
	# Every run: the passthrough cases write into the image.
	md5sum <"$DISK_IMG" | awk '{ print $1 }' >"$DISK_IMG.md5"
	# ivshmem's 8 GiB BAR in L1: a sparse file, zero again every run.
	IVSHMEM_IMG=$CACHE_DIR/ivshmem.img
	rm -f "$IVSHMEM_IMG"
	truncate -s 8G "$IVSHMEM_IMG"
}

# L1's timer interrupt runs in periodic mode (no high-resolution timers, no
# tickless idle). In one-shot mode, one lost timer interrupt stops that L1
# CPU's timers for good (QEMU/TCG's nested SVM loses one now and then while
# L2 runs; fw-optionrom's SeaBIOS hit it in 3 L1s of 3 within two runs,
# tests/nested/README.md); periodic mode fires again at the next tick.
# NESTED_L1_TIMER_ARGS='' gives the kernels' defaults back.
L1_TIMER_ARGS=${NESTED_L1_TIMER_ARGS-highres=off nohz=off}

# The TSC rate the last L1 refined (l1-init.sh's L1-TSC line), handed to the
# next L1 as tsc_early_khz: its built-in KVM takes the early rate, and a
# rough early calibration (TCG on a loaded host: 600-2900 ppm low seen) makes
# that L1 useless for L2s (L1-TSC-MISMATCH, tests/nested/README.md).
L1_TSC_FILE=$CACHE_DIR/l1-tsc-khz

# l1_tsc_args: " tsc_early_khz=N" when an earlier L1 told its rate.
l1_tsc_args() {
	[ -s "$L1_TSC_FILE" ] && printf ' tsc_early_khz=%s' "$(cat "$L1_TSC_FILE")"
	return 0
}

# l1_tsc_learn LOG: keep the refined rate of the L1 whose console is LOG.
l1_tsc_learn() {
	khz=$(tr -d '\r' <"$1" | sed -n 's/^L1-TSC: .* refined \([0-9]*\)\.\([0-9][0-9][0-9]\) MHz.*/\1\2/p' | tail -n 1)
	[ -z "$khz" ] || echo "$khz" >"$L1_TSC_FILE"
}

# Boots L1 under QEMU/TCG: boot_l1 INITRD APPEND_EXTRA [interactive]
# Non-interactive: call it with '&'; it becomes a process-group leader (so its $!
# can be killed as a group: kill -- -$!) writing L1's console to $L1_LOG, and a
# hung run is killed after $NESTED_TIMEOUT s (exit code 124).
boot_l1() {
	initrd=$1 extra=$2 interactive=${3:-}
	mkdir -p "$CACHE_DIR"
	# Going on after an L1 death (run.sh): what L2 sent earlier is kept
	# (the chardev appends: QEMU would truncate the file at each boot).
	[ -n "${NESTED_RESUME:-}" ] || : >"$PCI_SERIAL_OUT"
	set -- qemu-system-x86_64 -machine q35 -accel tcg -cpu "${NESTED_L1_CPU:-max}" \
		-m "${NESTED_L1_MEM:-6144}" -smp "${NESTED_L1_CPUS:-2}" \
		-nodefaults -nographic -no-reboot -serial stdio \
		-device intel-iommu,intremap=on \
		-drive "file=$DISK_IMG,if=none,id=d0,format=raw" \
		-device nvme,drive=d0,serial=abc,addr=0x3 \
		-chardev "file,id=ps0,path=$PCI_SERIAL_OUT,append=on" \
		-device pci-serial,chardev=ps0,addr=0x4 \
		-device pci-bridge,id=br1,chassis_nr=1,shpc=off,addr=0x5 \
		-chardev null,id=psn1 -device pci-serial,chardev=psn1,bus=br1,addr=0x1 \
		-chardev null,id=psn2 -device pci-serial,chardev=psn2,bus=br1,addr=0x2 \
		-netdev user,id=n0,restrict=on -device vmxnet3,netdev=n0,addr=0x6,romfile= \
		-object "memory-backend-file,id=shm0,share=on,size=8G,mem-path=$IVSHMEM_IMG" \
		-device ivshmem-plain,memdev=shm0,addr=0x7 \
		-netdev user,id=n1,restrict=on -device e1000e,netdev=n1,addr=0x8 \
		-device secondary-vga,vgamem_mb=512,addr=0x9 \
		-kernel "${L1_VMLINUZ:-$VMLINUZ}" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 intel_iommu=on quiet $L1_TIMER_ARGS$(l1_tsc_args) $extra${NESTED_L1_APPEND:+ $NESTED_L1_APPEND}"
	if [ -n "$interactive" ]; then
		"$@"
		return $?
	fi
	exec setsid timeout -k 5 "$NESTED_TIMEOUT" "$@" </dev/null >"$L1_LOG" 2>&1
}
