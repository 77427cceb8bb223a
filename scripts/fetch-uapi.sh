#!/bin/bash
# scripts/fetch-uapi.sh DIR - puts the kernel uAPI headers conduit needs
# beyond Debian 12's linux-libc-dev (6.1) into DIR/linux/: iommufd.h (added
# in 6.2) and vfio.h with the VFIO cdev ioctls (VFIO_DEVICE_BIND_IOMMUFD,
# VFIO_DEVICE_ATTACH_IOMMUFD_PT, 6.6). Both come from trixie's
# linux-libc-dev package, extracted here, never copied into the repository.
# The Makefile runs this when DIR/linux/iommufd.h is missing; so does
# scripts/install-deps.sh.
set -eu
. "$(dirname "$0")/trixie-apt.sh"
dir=$1
[ ! -f "$dir/linux/iommufd.h" ] || exit 0
trixie_apt_update
deb=$(trixie_download linux-libc-dev "$TRIXIE_APT_DIR/debs")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg -x "$deb" "$tmp"
mkdir -p "$dir/linux"
for h in vfio.h iommufd.h; do     # iommufd.h last: it marks the set complete
	cp "$tmp/usr/include/linux/$h" "$dir/linux/$h.new"
	mv "$dir/linux/$h.new" "$dir/linux/$h"
done
echo "fetch-uapi: linux/iommufd.h and linux/vfio.h from $(basename "$deb") in $dir"
