#!/bin/bash
# tests/nested/arm64/bench.sh - `make bench-arm64`: in one arm64 L1 (run.sh),
# the same L2 (Debian's arm64 Image, 2 vCPUs, L2_MEMORY MiB, a quiet console)
# booted BENCH_RUNS times (3) under conduit and under Debian's arm64 QEMU
# (-M virt,gic-version=3 -accel kvm -cpu host), one of each a round, taking
# turns which goes first (suites/bench-arm64). Prints per
# VMM the launch-to-init times and their median, the VMM's peak RSS (VmHWM),
# conduit's own memory (peak RSS minus resident guest RAM) and the ratio
# conduit/QEMU of the medians. Without CONDUIT_BIN_ARM64 only QEMU is measured
# (and the run says so and fails). Absolute figures under TCG mean little;
# the ratio measured in the same L1 is the figure.
set -u
A64_DIR=$(cd "$(dirname "$0")" && pwd)
export BENCH_RUNS=${BENCH_RUNS:-3} INCLUDE_QEMU=1 NESTED_SUITE=bench-arm64
missing=''
if [ -z "${CONDUIT_BIN_ARM64:-}" ] || [ ! -f "$CONDUIT_BIN_ARM64" ]; then
	missing=1
	echo "bench-arm64: no conduit arm64 binary (CONDUIT_BIN_ARM64='${CONDUIT_BIN_ARM64:-}'): QEMU only"
	export NESTED_CASES=a64-bench-qemu CONDUIT_VMM=qemu
fi
log=$(mktemp)
bash "$A64_DIR/run.sh" | tee "$log"
rc=${PIPESTATUS[0]}

. "$A64_DIR/results.sh"
c=$(a64_median "$log" conduit)
q=$(a64_median "$log" qemu-virt)
echo "bench-arm64: boot to init, median of $BENCH_RUNS (ms): conduit $c, QEMU -M virt $q"
echo "bench-arm64: ratio conduit/QEMU $(a64_ratio "$c" "$q")"
echo "bench-arm64: peak RSS (VmHWM, KiB): conduit $(a64_peak "$log" BENCH-HWM-KIB conduit), QEMU $(a64_peak "$log" BENCH-HWM-KIB qemu-virt)"
echo "bench-arm64: conduit's own memory (peak RSS minus guest RAM, KiB): $(a64_peak "$log" BENCH-OWN-KIB)"
tr -d '\r' <"$log" | grep -a '^# phase l1-launch-to-init' | sed 's/^# phase /bench-arm64: L1 /'
rm -f "$log"
[ -z "$missing" ] || exit 1
exit "$rc"
