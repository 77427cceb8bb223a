#!/bin/bash
# tests/nested/bench.sh - `make bench`: boots the same L2 guest with conduit,
# QEMU q35 and QEMU microvm inside one L1 run (nested under QEMU/TCG here, or
# natively on a dev box), and prints per VMM the launch-to-init times, the
# median, the ratio conduit/QEMU, and conduit's own memory (peak RSS minus
# resident guest RAM). Absolute times under TCG mean little; the ratios
# measured in the same L1 run are the figures.
set -u
NESTED_DIR=$(cd "$(dirname "$0")" && pwd)
export INCLUDE_QEMU=1 NESTED_SUITE=bench BENCH_RUNS=${BENCH_RUNS:-3}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bash "$NESTED_DIR/run.sh" >"$log" 2>&1
rc=$?
L1_LOG=$(sed -n 's/^# booting L1 (log: \(.*\))$/\1/p' "$log" | tail -n 1)
src=${L1_LOG:-$log}
[ -f "$src" ] || src=$log

median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "none"; else if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

echo "boot to guest init (ms, launch -> CONDUIT-L2-INIT), one L1 run:"
for vmm in conduit qemu-q35 qemu-microvm; do
	runs=$(tr -d '\r' <"$src" | awk -v v="$vmm" '$1 == "BENCH" && $2 == v && $3 != "none" { print $3 }')
	eval "med_${vmm//-/_}=$(echo "$runs" | grep . | median)"
	printf '  %-13s %d runs: %s  median %s\n' "$vmm" "$(echo "$runs" | grep -c .)" \
		"$(echo $runs)" "$(eval echo \$med_${vmm//-/_})"
done
ratio() {
	[ "$1" != none ] && [ "$2" != none ] && [ "$2" -gt 0 ] &&
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo n/a
}
echo "  conduit / qemu-q35     = $(ratio "$med_conduit" "$med_qemu_q35")   (target <= 0.60)"
echo "  conduit / qemu-microvm = $(ratio "$med_conduit" "$med_qemu_microvm")   (target <= 1.00)"
own=$(tr -d '\r' <"$src" | awk '$1 == "BENCH-OWN-KIB" { print $2 }' | sort -n | tail -n 1)
echo "conduit's own memory (peak RSS - resident guest RAM): ${own:-none} KiB   (target < 8192)"
grep -E '^nested:' "$log"
exit $rc
