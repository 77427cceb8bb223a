#!/bin/bash
# scripts/fetch-arm64-sysroot.sh DIR - the arm64 libraries a cross-built
# static conduit links (`make ARCH=arm64` on a machine that is not arm64):
# Debian's arm64 -dev packages (headers and .a files) fetched with
# `apt-get download PKG:arm64` and unpacked with `dpkg -x` into DIR, never
# installed system-wide. Needs the arm64 architecture added to dpkg
# (scripts/install-deps.sh does that) so that apt knows the arm64 packages.
# The Makefile runs this when DIR is incomplete.
set -eu
dir=$1
# the last package's header marks the set complete
PKGS="liburing-dev libjansson-dev liblzma-dev libzstd-dev zlib1g-dev libfdt-dev libxxhash-dev"
MARK=usr/include/xxhash.h
[ ! -f "$dir/$MARK" ] || exit 0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "fetch-arm64-sysroot: dpkg has no arm64 architecture: run scripts/install-deps.sh" >&2
	exit 1
fi
debs=$(mktemp -d)
chmod 755 "$debs"     # apt-get download runs as _apt
trap 'rm -rf "$debs"' EXIT
fetch() {
	(cd "$debs" && apt-get download -q $(printf '%s:arm64 ' "$@"))
}
if ! fetch $PKGS; then
	echo "fetch-arm64-sysroot: apt-get download failed (try apt-get update)" >&2
	exit 1
fi
mkdir -p "$dir"
for p in $PKGS; do
	dpkg -x "$debs/${p}"_*_arm64.deb "$dir"
done
[ -f "$dir/$MARK" ] || { echo "fetch-arm64-sysroot: $MARK missing after unpacking" >&2; exit 1; }
echo "fetch-arm64-sysroot: $PKGS (arm64) in $dir"
