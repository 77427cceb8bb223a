#!/bin/bash
# scripts/fetch-qemu-qmp.sh - QEMU's own QMP client, from the source package
# of the QEMU that Debian 12 ships (bookworm's qemu 7.2), for the tests of
# conduit's QMP socket (--api-socket, tests/nested/cases-qmp.sh): the pure-
# Python package python/qemu/qmp/ (QMPClient, the legacy
# QEMUMonitorProtocol, qmp_shell) and scripts/qmp/qmp-shell. PyPI is not
# reachable here; Debian's archive is.
#
#   fetch-qemu-qmp.sh [DIR]   (default <repo>/.cache/qemu-qmp)
#
# A private sources list (deb-src of bookworm, bookworm-updates and
# bookworm-security), lists and cache under <repo>/.cache/qemu-src-apt, the
# way scripts/trixie-apt.sh keeps trixie's: /etc/apt is never changed. The
# source version is the installed qemu-system-x86's (its Source: field), so
# the client is the same QEMU release as the L0/L1 QEMU; else the
# candidate. `apt-get source --download-only` fetches the .dsc and its
# tarballs (the orig tarball is about 120 MB), then tar extracts only
# */python/qemu/qmp/* and */scripts/qmp/* from it, and the tarballs are
# deleted. DIR/.done holds the version: a second run costs nothing.
# Result:
#   DIR/python/qemu/qmp/*.py    PYTHONPATH=DIR/python: `from qemu.qmp import QMPClient`
#   DIR/python/qemu/__init__.py (python/qemu/ has none in 7.2: a namespace
#                               package; an empty one is written for clarity)
#   DIR/scripts/qmp/qmp-shell   QEMU's script (finds DIR/python itself)
#   DIR/bin/qmp-shell           runs it with $PYTHON (default python3)
# Prints QEMU_QMP_DIR=DIR on stdout.
set -eu
REPO_DIR=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$REPO_DIR/.cache/qemu-qmp}
APT_DIR=${QEMU_SRC_APT_DIR:-$REPO_DIR/.cache/qemu-src-apt}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

. "$REPO_DIR/scripts/trixie-apt.sh"      # private_apt

die() { echo "fetch-qemu-qmp: error: $*" >&2; exit 1; }
log() { echo "fetch-qemu-qmp: $*" >&2; }

# qmp_parts: the parts of the patch on stdin that change files under
# python/qemu/qmp/ or scripts/qmp/ (a file's part starts at its "--- "
# line followed by "+++ "; Debian's point-release diffs touch the whole
# tree, and only these paths are extracted).
qmp_parts() {
	awk '{ l[NR] = $0 }
		END {
			for (i = 1; i <= NR; i++) {
				if (l[i] ~ /^--- / && l[i + 1] ~ /^\+\+\+ /)
					keep = l[i + 1] ~ /^\+\+\+ [^ ]*\/(python\/qemu\/qmp|scripts\/qmp)\//
				else if (l[i] ~ /^diff /)
					keep = 0
				if (keep) print l[i]
			}
		}'
}

# apt-get / apt-cache on the private deb-src list in APT_DIR.
src_apt() {
	private_apt "$APT_DIR" "$@"
}

# The version to fetch: the installed QEMU's source version, if any.
want=${QEMU_SRC_VERSION:-}
if [ -z "$want" ]; then
	want=$(dpkg-query -W -f '${source:Version}' qemu-system-x86 2>/dev/null || true)
fi
if [ -f "$DIR/.done" ] && { [ -z "$want" ] || [ "$(cat "$DIR/.done")" = "$want" ]; } &&
	[ -f "$DIR/python/qemu/qmp/__init__.py" ] && [ -x "$DIR/bin/qmp-shell" ]; then
	echo "QEMU_QMP_DIR=$DIR"
	exit 0
fi

mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
kr=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$kr" ] || die "no $kr (install debian-archive-keyring)"
cat >"$APT_DIR/sources.list" <<EOF
deb-src [signed-by=$kr] $MIRROR bookworm main
deb-src [signed-by=$kr] $MIRROR bookworm-updates main
deb-src [signed-by=$kr] $SECURITY bookworm-security main
EOF
if [ -z "$(find "$APT_DIR/lists" -maxdepth 1 -name '*_Sources' -mmin -1440 2>/dev/null)" ]; then
	t0=$(date +%s)
	src_apt get update >"$APT_DIR/update.log" 2>&1 || {
		cat "$APT_DIR/update.log" >&2
		die "apt-get update of bookworm's deb-src lists failed (network?)"
	}
	log "deb-src lists fetched in $(($(date +%s) - t0)) s"
fi
# The installed version may be gone from the archive (an older point
# release): fall back to the newest bookworm has.
have=$(src_apt cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p')
ver=''
for v in $have; do
	[ "$v" = "$want" ] && ver=$v
done
if [ -z "$ver" ]; then
	ver=$(printf '%s\n' $have | sort -V | tail -n 1)
	[ -n "$ver" ] || die "bookworm's deb-src lists have no qemu"
	[ -z "$want" ] || log "qemu source $want not in the archive; taking $ver"
fi

work=$APT_DIR/src
rm -rf "$work"
mkdir -p "$work"
t0=$(date +%s)
(cd "$work" && src_apt get source --download-only "qemu=$ver" >"$work/download.log" 2>&1) || {
	cat "$work/download.log" >&2
	die "apt-get source --download-only qemu=$ver failed"
}
log "downloaded qemu $ver source ($(du -sm "$work" | cut -f1) MB) in $(($(date +%s) - t0)) s"
orig=$(ls "$work"/qemu_*.orig.tar.* | head -n 1)
[ -n "$orig" ] || die "no orig tarball in $work"
rm -rf "$DIR"
mkdir -p "$DIR/tree"
t0=$(date +%s)
tar -xaf "$orig" -C "$DIR/tree" --wildcards '*/python/qemu/qmp/*' '*/scripts/qmp/*' ||
	die "extracting python/qemu/qmp and scripts/qmp from $orig failed"
# Debian's patches could touch these files: apply those that do.
deb=$(ls "$work"/qemu_*.debian.tar.* 2>/dev/null | head -n 1)
if [ -n "$deb" ] && tar -taf "$deb" | grep -q '^debian/patches/series$'; then
	mkdir -p "$work/debian"
	tar -xaf "$deb" -C "$work" debian/patches
	top=$(ls "$DIR/tree")
	for p in $(grep -v '^#' "$work/debian/patches/series" | awk '{ print $1 }'); do
		grep -qE '^\+\+\+ [^ ]*/(python/qemu/qmp|scripts/qmp)/' "$work/debian/patches/$p" || continue
		log "applying Debian patch $p (its python/qemu/qmp and scripts/qmp parts)"
		qmp_parts <"$work/debian/patches/$p" >"$work/qmp.patch"
		(cd "$DIR/tree/$top" && patch -p1 --no-backup-if-mismatch -s -i "$work/qmp.patch") ||
			die "Debian patch $p does not apply to python/qemu/qmp or scripts/qmp"
	done
fi
log "extracted in $(($(date +%s) - t0)) s"
top=$(ls "$DIR/tree")
mkdir -p "$DIR/python/qemu" "$DIR/bin" "$DIR/scripts"
mv "$DIR/tree/$top/python/qemu/qmp" "$DIR/python/qemu/qmp"
mv "$DIR/tree/$top/scripts/qmp" "$DIR/scripts/qmp"
: >"$DIR/python/qemu/__init__.py"
rm -rf "$DIR/tree" "$work"
# scripts/qmp/qmp-shell in 7.2 is a stub that imports qemu.qmp.qmp_shell
# from ../../python (DIR/python here): bin/qmp-shell runs QEMU's script as
# it is, with the python3 named by PYTHON (default: python3 on PATH).
cat >"$DIR/bin/qmp-shell" <<'EOF'
#!/bin/sh
# QEMU's own scripts/qmp/qmp-shell (it finds qemu.qmp in ../../python).
d=$(cd "$(dirname "$0")/.." && pwd)
exec "${PYTHON:-python3}" "$d/scripts/qmp/qmp-shell" "$@"
EOF
chmod 755 "$DIR/bin/qmp-shell"
echo "$ver" >"$DIR/.done"
log "QEMU's QMP client $ver in $DIR ($(du -sk "$DIR" | cut -f1) KiB)"
echo "QEMU_QMP_DIR=$DIR"
