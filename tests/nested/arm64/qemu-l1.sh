#!/bin/bash
# tests/nested/arm64/qemu-l1.sh ROOT - puts Debian's arm64 QEMU
# (qemu-system-aarch64 from qemu-system-arm:arm64) and the shared libraries it
# needs into the L1 tree ROOT: the peer of the arm64 bench and the cases'
# stand-in (CONDUIT_VMM=qemu). The library packages of its Depends closure are
# fetched once (apt-get download PKG:arm64, cached per QEMU version in
# .cache/nested/arm64/qemu-<version>/), unpacked together, and only the
# libraries its ELF NEEDED entries reach (aarch64-linux-gnu-objdump) are
# copied, with the arm64 dynamic loader.
set -eu
A64_DIR=$(cd "$(dirname "$0")" && pwd)
. "$A64_DIR/lib.sh"
root=$1
need_tools aarch64-linux-gnu-objdump
ver=$(apt-cache policy qemu-system-arm:arm64 | awk '/Candidate:/ { print $2; exit }')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate version of qemu-system-arm:arm64"
dir=$A64_CACHE/qemu-$(echo "$ver" | tr ':' '_')
if [ ! -f "$dir/.done" ]; then
	rm -rf "$dir"
	mkdir -p "$dir/dl"
	chmod 777 "$dir/dl"
	# The arm64 packages of the Depends closure (no Recommends): the libraries are
	# among them (zlib1g's libz has no lib in its package name).
	pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances qemu-system-arm:arm64 2>/dev/null |
		grep -v '^ ' | grep -E '^[^<>]*:arm64$' | grep -v '^qemu-system-arm:' | sort -u)
	log "fetching qemu-system-arm:arm64 $ver and $(echo "$pkgs" | wc -l) library packages"
	# shellcheck disable=SC2086
	(cd "$dir/dl" && apt-get download "qemu-system-arm:arm64=$ver" $pkgs >../download.log 2>&1) || {
		tail -n 5 "$dir/download.log" >&2
		die "apt-get download failed"
	}
	for d in "$dir"/dl/*.deb; do
		dpkg -x "$d" "$dir/root" || die "dpkg -x $d failed"
	done
	rm -rf "$dir/dl"
	touch "$dir/.done"
fi
stage=$dir/root
qemu=$stage/usr/bin/qemu-system-aarch64
[ -f "$qemu" ] || die "no qemu-system-aarch64 in qemu-system-arm:arm64"

# find_lib SONAME: its path in the staged tree (the arm64 library dirs).
find_lib() {
	for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu lib usr/lib; do
		[ -e "$stage/$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}

mkdir -p "$root/usr/bin" "$root/lib"
cp "$qemu" "$root/usr/bin/qemu-system-aarch64"
todo=usr/bin/qemu-system-aarch64 seen=' '
while [ -n "$todo" ]; do
	set -- $todo
	f=$1
	shift
	todo=$*
	for so in $(aarch64-linux-gnu-objdump -p "$stage/$f" 2>/dev/null | awk '$1 == "NEEDED" { print $2 }'); do
		case $seen in *" $so "*) continue ;; esac
		seen="$seen$so "
		rel=$(find_lib "$so") || die "QEMU needs $so, in none of the fetched packages"
		mkdir -p "$root/$(dirname "$rel")"
		cp -L "$stage/$rel" "$root/$rel"
		todo="$todo $rel"
	done
done
# The dynamic loader named in the binary's PT_INTERP.
cp -L "$stage/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1" "$root/lib/ld-linux-aarch64.so.1"
# -M virt wants its option ROM for virtio-net only; -nodefaults needs nothing
# more. The keymaps are for a display (none).
echo "qemu-l1: $(echo "$seen" | wc -w) libraries, $(du -sh "$root/usr/bin/qemu-system-aarch64" | cut -f1) binary" >&2
