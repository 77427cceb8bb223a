# scripts/trixie-apt.sh - sourced: apt-get and apt-cache against Debian
# trixie's archive with a private sources list, lists and cache under
# $TRIXIE_APT_DIR (default <repo>/.cache/trixie-apt), so the system's own
# apt configuration (bookworm) is never changed. Used for trixie's
# linux-libc-dev (the IOMMUFD and VFIO cdev uAPI headers, scripts/fetch-uapi.sh)
# and linux-source-6.12 (the test kernel, tests/nested/kernel.sh).
#   trixie_apt_update             fetch trixie's package lists (once a day)
#   trixie_apt get|cache ARGS...  apt-get / apt-cache with the private lists
#   private_apt DIR get|cache ARGS...  the same for another private list in DIR
#   trixie_version PACKAGE        the candidate version of PACKAGE in trixie
#   trixie_download PACKAGE DIR   DIR/PACKAGE_VERSION_all.deb (kept; printed)

TRIXIE_APT_DIR=${TRIXIE_APT_DIR:-$(cd "$(dirname "${BASH_SOURCE:-$0}")/.." && pwd)/.cache/trixie-apt}
TRIXIE_MIRROR=${TRIXIE_MIRROR:-http://deb.debian.org/debian}

# private_apt DIR get|cache ARGS...: apt-get / apt-cache with the sources
# list, lists and cache under DIR alone (also scripts/fetch-qemu-qmp.sh's).
private_apt() {
	dir=$1
	tool=$2
	shift 2
	"apt-$tool" -q -o Dir::Etc::SourceList="$dir/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$dir/lists" \
		-o Dir::Cache="$dir/cache" -o Dir::State::status=/dev/null \
		-o APT::Sandbox::User=root "$@"
}

trixie_apt() {
	private_apt "$TRIXIE_APT_DIR" "$@"
}

trixie_apt_update() {
	mkdir -p "$TRIXIE_APT_DIR/lists/partial" "$TRIXIE_APT_DIR/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $TRIXIE_MIRROR trixie main" \
		>"$TRIXIE_APT_DIR/sources.list"
	# Lists younger than a day are good enough: versions are pinned by the
	# caller's cache keys, not by the lists.
	if [ -n "$(find "$TRIXIE_APT_DIR/lists" -maxdepth 1 -name '*_Packages' -mmin -1440 2>/dev/null)" ]; then
		return 0
	fi
	# make's uAPI fetch and the kernel build may update at the same time:
	# one waits for the other (apt's own lock would fail the second).
	flock "$TRIXIE_APT_DIR/update.lock" sh -c '
		[ -n "$(find "$1/lists" -maxdepth 1 -name "*_Packages" -mmin -1440 2>/dev/null)" ] && exit 0
		shift
		exec "$@"' sh "$TRIXIE_APT_DIR" \
		apt-get -q -o Dir::Etc::SourceList="$TRIXIE_APT_DIR/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$TRIXIE_APT_DIR/lists" \
		-o Dir::Cache="$TRIXIE_APT_DIR/cache" -o Dir::State::status=/dev/null \
		-o APT::Sandbox::User=root update >"$TRIXIE_APT_DIR/update.log" 2>&1 || {
		cat "$TRIXIE_APT_DIR/update.log" >&2
		echo "trixie-apt: apt-get update of trixie's lists failed (network?)" >&2
		return 1
	}
}

trixie_version() {
	trixie_apt cache policy "$1" 2>/dev/null | awk '/^ *Candidate:/ { print $2; exit }'
}

trixie_download() {
	pkg=$1 dir=$2
	ver=$(trixie_version "$pkg")
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || {
		echo "trixie-apt: trixie has no $pkg" >&2
		return 1
	}
	mkdir -p "$dir"
	deb=$(ls "$dir/${pkg}_${ver}_"*.deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ]; then
		(cd "$dir" && trixie_apt get download "$pkg=$ver" >"$dir/download.log" 2>&1) || {
			cat "$dir/download.log" >&2
			echo "trixie-apt: apt-get download $pkg=$ver failed" >&2
			return 1
		}
		deb=$(ls "$dir/${pkg}_${ver}_"*.deb | head -n 1)
	fi
	echo "$deb"
}
