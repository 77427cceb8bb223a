#!/bin/bash
# tests/nested/kernel.sh - builds the project's test kernel (the L1 kernel of
# the IOMMUFD runs) and caches it. Debian trixie's linux-source-6.12 package,
# `make tinyconfig`, configs/l1-kernel.config merged on top, `make bzImage`.
# The result is kept under <cache>/nested/l1-kernel/<source version>-<hash of
# the fragment>/bzImage, so a later run with the same source and fragment
# skips the build; the source tree is deleted after a build (about 1.4 GB).
# Every option the fragment sets must survive olddefconfig: a dependency the
# fragment misses is an error that names the option, not a silent change.
# Prints L1_KERNEL=PATH on stdout. Needs flex bison bc libelf-dev libssl-dev
# (scripts/install-deps.sh). Environment: KERNEL_JOBS (default: nproc);
# KERNEL_ARCH=arm64: the arm64 test kernel instead (configs/l1-kernel-arm64.config,
# cross built with aarch64-linux-gnu-, an Image kept under l1-kernel-arm64/).
set -eu
NESTED_DIR=$(cd "$(dirname "$0")" && pwd)
. "$NESTED_DIR/lib.sh"
. "$REPO_DIR/scripts/trixie-apt.sh"

FRAGMENT=$REPO_DIR/configs/l1-kernel.config
SRC_PKG=linux-source-6.12
# What differs for an arm64 kernel: the fragment, make's ARCH and
# CROSS_COMPILE, the image target and where it is kept.
KMAKE="make" KTARGET=bzImage KIMAGE=arch/x86/boot/bzImage KCACHE=l1-kernel
if [ "${KERNEL_ARCH:-x86}" = arm64 ]; then
	FRAGMENT=$REPO_DIR/configs/l1-kernel-arm64.config
	KMAKE="make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-"
	KTARGET=Image KIMAGE=arch/arm64/boot/Image KCACHE=l1-kernel-arm64
fi

trixie_apt_update || die "cannot reach trixie's package lists for $SRC_PKG"
ver=$(trixie_version "$SRC_PKG")
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "trixie has no $SRC_PKG"
hash=$(sha256sum "$FRAGMENT" | cut -c1-12)
out=$CACHE_DIR/$KCACHE/$ver-$hash
if [ -f "$out/$KTARGET" ]; then
	log "test kernel cached: $out (source $SRC_PKG $ver, fragment $hash)"
	echo "L1_KERNEL=$out/$KTARGET"
	exit 0
fi
for t in flex bison bc make gcc; do
	command -v $t >/dev/null 2>&1 || die "$t missing: run scripts/install-deps.sh"
done
deb=$(trixie_download "$SRC_PKG" "$TRIXIE_APT_DIR/debs") || die "cannot download $SRC_PKG $ver"
work=$CACHE_DIR/$KCACHE/build
rm -rf "$work"
mkdir -p "$work"
log "building the test kernel from $SRC_PKG $ver (fragment $hash); several minutes"
t0=$(now_ms)
dpkg -x "$deb" "$work/pkg"
tar -xJf "$work"/pkg/usr/src/linux-source-*.tar.xz -C "$work"
rm -rf "$work/pkg"
src=$(ls -d "$work"/linux-source-*)
jobs=${KERNEL_JOBS:-$(nproc)}
(
	cd "$src"
	$KMAKE tinyconfig >"$work/config.log" 2>&1
	scripts/kconfig/merge_config.sh -m .config "$FRAGMENT" >>"$work/config.log" 2>&1
	$KMAKE olddefconfig >>"$work/config.log" 2>&1
) || { tail -n 20 "$work/config.log" >&2; die "configuring the test kernel failed"; }
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$FRAGMENT" | while IFS= read -r line; do
	grep -qx "$line" "$src/.config" || echo "${line%%=*}"
done)
[ -z "$missing" ] || die "configs/l1-kernel.config: not set after olddefconfig (a dependency is missing):" $missing
if ! (cd "$src" && $KMAKE -j"$jobs" $KTARGET >"$work/build.log" 2>&1); then
	grep -E 'error|Error' "$work/build.log" | head -n 20 >&2
	die "building the test kernel failed (log: $work/build.log)"
fi
mkdir -p "$out"
cp "$src/$KIMAGE" "$out/$KTARGET.new"
cp "$src/.config" "$out/config"
mv "$out/$KTARGET.new" "$out/$KTARGET"
rm -rf "$work"
log "test kernel built in $(( ($(now_ms) - t0) / 1000 )) s: $out/$KTARGET ($(stat -c %s "$out/$KTARGET") bytes)"
echo "L1_KERNEL=$out/$KTARGET"
