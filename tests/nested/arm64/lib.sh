# tests/nested/arm64/lib.sh - helpers of the nested arm64 harness (L0 side, bash).
# Owns: the arm64 cache layout, fetching Debian's arm64 packages (apt-get
# download PKG:arm64 + dpkg -x, cached per version), the arm64 kernel and
# busybox, the NVMe disk image L1 sees at 0000:00:02.0, and booting L1 under
# qemu-system-aarch64 (TCG, virt with EL2, GICv3 + ITS and an SMMUv3), as
# shared/NESTED-ARM64.md describes. The generic pieces (module order, cpio
# packing, now_ms, log/die) come from ../lib.sh, sourced first.
#
# Cache layout (${CONDUIT_CACHE:-<repo>/.cache}/nested/arm64):
#   deb/<package>_<version>/root/  an unpacked arm64 package (.done when complete)
#   build/                         L1 and L2 initramfs trees and archives
#   disk.img disk.img.md5          the NVMe image (64 MiB of random data, kept)
#   out/                           console logs of the last run

A64_DIR=${A64_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
NESTED_DIR=$(cd "$A64_DIR/.." && pwd)
REPO_DIR=$(cd "$NESTED_DIR/../.." && pwd)
# shellcheck source=../lib.sh
. "$NESTED_DIR/lib.sh"
A64_CACHE=$CACHE_DIR/arm64
A64_BUILD=$A64_CACHE/build
A64_OUT=$A64_CACHE/out
A64_KERNEL_META=${NESTED_A64_KERNEL_META:-linux-image-arm64}
# In L1: the NVMe at 0000:00:02.0 (vfio-pci) and a pci-serial card at
# 0000:00:03.0 (8250_pci's "serial" driver, for the non-vfio error case).
# One L1 run at most (s), and L1's console silent this long means it hung.
A64_TIMEOUT=${NESTED_A64_TIMEOUT:-1500}
A64_STALL=${NESTED_A64_STALL:-180}

log() { echo "nested-arm64: $*" >&2; }
die() { echo "nested-arm64: error: $*" >&2; exit 1; }

# a64_apt_ready: apt knows the arm64 architecture and its package lists.
a64_apt_ready() {
	dpkg --print-foreign-architectures | grep -qx arm64 ||
		die "dpkg has no arm64 architecture (scripts/install-deps.sh adds it)"
	[ -n "$(apt-cache policy busybox-static:arm64 2>/dev/null | awk '/Candidate:/ { print $2 }')" ] ||
		die "apt knows no arm64 packages (run apt-get update after dpkg --add-architecture arm64)"
}

# a64_deb PKG: unpacks arm64 package PKG (its candidate version) once into
# the cache and prints the directory holding its tree (root/).
a64_deb() {
	local pkg=$1 ver dir
	ver=$(apt-cache policy "$pkg:arm64" 2>/dev/null | awk '/Candidate:/ { print $2; exit }')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate version of $pkg:arm64"
	dir=$A64_CACHE/deb/${pkg}_$(echo "$ver" | tr ':' '_')
	if [ ! -f "$dir/.done" ]; then
		log "fetching $pkg:arm64 $ver"
		rm -rf "$dir"
		mkdir -p "$dir/dl"
		chmod 777 "$dir/dl"
		(cd "$dir/dl" && apt-get download "$pkg:arm64=$ver" >../download.log 2>&1) || {
			cat "$dir/download.log" >&2
			die "apt-get download $pkg:arm64=$ver failed"
		}
		dpkg -x "$dir"/dl/*.deb "$dir/root" || die "dpkg -x $pkg failed"
		rm -rf "$dir/dl"
		touch "$dir/.done"
	fi
	echo "$dir"
}

# a64_kernel: the arm64 kernel package the metapackage names, unpacked, with
# modules.dep made by depmod -b. Sets KERNEL_DIR (package root), KERNEL_RELEASE,
# A64_IMAGE (the uncompressed Image) and MODULES_DIR.
a64_kernel() {
	local pkg dir
	pkg=$(apt-cache depends "$A64_KERNEL_META:arm64" 2>/dev/null |
		awk '/^ *Depends: linux-image-/ { print $2; exit }' | sed 's/:arm64$//')
	[ -n "$pkg" ] || die "apt-cache cannot resolve $A64_KERNEL_META:arm64"
	dir=$(a64_deb "$pkg") || exit 1
	KERNEL_DIR=$dir/root
	KERNEL_RELEASE=$(ls "$KERNEL_DIR/lib/modules" | head -n 1)
	A64_IMAGE=$KERNEL_DIR/boot/vmlinuz-$KERNEL_RELEASE
	MODULES_DIR=$KERNEL_DIR/lib/modules/$KERNEL_RELEASE
	[ -f "$A64_IMAGE" ] || die "no kernel Image in $KERNEL_DIR"
	[ -f "$MODULES_DIR/modules.dep" ] || depmod -b "$KERNEL_DIR" "$KERNEL_RELEASE" ||
		die "depmod -b $KERNEL_DIR failed"
}

# a64_install_busybox ROOT: the arm64 busybox-static with one symlink per
# applet. The applet list is the host's busybox-static's (the same Debian
# source and configuration): an arm64 binary cannot run here to list its own.
a64_install_busybox() {
	local root=$1 dir bb p
	dir=$(a64_deb busybox-static) || exit 1
	bb=$(command -v busybox) || die "busybox not found (install busybox-static)"
	mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin"
	cp "$dir/root/bin/busybox" "$root/bin/busybox"
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

# a64_is_arm64_static FILE: FILE is a static (or static-pie) aarch64 ELF.
a64_is_arm64_static() {
	local f
	f=$(file -bL "$1" 2>/dev/null)
	case $f in *"ARM aarch64"*) ;; *) return 1 ;; esac
	case $f in *"statically linked"* | *"static-pie linked"*) return 0 ;; esac
	return 1
}

# a64_disk_image: the 64 MiB random NVMe image, made once; its md5 beside it
# every run (cases may write to it).
a64_disk_image() {
	A64_DISK=$A64_CACHE/disk.img
	mkdir -p "$A64_CACHE"
	if [ ! -f "$A64_DISK" ]; then
		head -c $((64 * 1024 * 1024)) /dev/urandom >"$A64_DISK.tmp"
		mv "$A64_DISK.tmp" "$A64_DISK"
	fi
	md5sum <"$A64_DISK" | awk '{ print $1 }' >"$A64_DISK.md5"
}

# a64_boot_l1 INITRD APPEND [interactive]: L0 QEMU/TCG booting L1 on the arm64
# Image (A64_L1_IMAGE when set: the project's test kernel, run.sh). Non-interactive: call with '&'; it leads its own process group, its
# console goes to $L1_LOG and it is killed after $A64_TIMEOUT s (rc 124).
a64_boot_l1() {
	local initrd=$1 extra=$2 interactive=${3:-}
	set -- qemu-system-aarch64 \
		-machine virt,virtualization=on,gic-version=3,iommu=smmuv3 \
		-cpu max,pauth-impdef=on -accel tcg \
		-smp "${NESTED_A64_L1_CPUS:-2}" -m "${NESTED_A64_L1_MEM:-2048}" \
		-nodefaults -nographic -no-reboot -serial stdio -nic none \
		-drive "file=$A64_DISK,if=none,id=d0,format=raw" \
		-device nvme,drive=d0,serial=conduit-a64,addr=0x2 \
		-chardev null,id=ps0 -device pci-serial,chardev=ps0,addr=0x3 \
		-kernel "${A64_L1_IMAGE:-$A64_IMAGE}" -initrd "$initrd" \
		-append "console=ttyAMA0 panic=-1 quiet $extra${NESTED_A64_L1_APPEND:+ $NESTED_A64_L1_APPEND}"
	if [ -n "$interactive" ]; then
		"$@"
		return $?
	fi
	exec setsid timeout -k 5 "$A64_TIMEOUT" "$@" </dev/null >"$L1_LOG" 2>&1
}
