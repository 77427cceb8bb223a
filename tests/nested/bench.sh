#!/bin/bash
# tests/nested/bench.sh - `make bench`: boots the same L2 guest with conduit,
# QEMU q35 and QEMU microvm inside one L1 run (nested under QEMU/TCG here, or
# natively on a dev box), and prints per VMM the launch-to-init times, the
# median, the ratio conduit/QEMU, and conduit's own memory (peak RSS minus
# resident guest RAM). Then the passthrough benchmark in the same L1 run:
# MB/s of a sequential direct-I/O read of the whole NVMe in L1 natively, in L2
# under conduit and in L2 under QEMU's vfio-pci (medians, the ratios), conduit's
# BAR data exits, and its time to DMA-map 256 MiB, 1 GiB and 4 GiB of guest RAM.
# Absolute figures under TCG mean little; the ratios measured in the same L1
# run are the figures.
set -u
NESTED_DIR=$(cd "$(dirname "$0")" && pwd)
# BENCH_SUITE=bench-passthrough: only the passthrough part (NESTED_CASES: any cases).
export INCLUDE_QEMU=1 NESTED_SUITE=${BENCH_SUITE:-bench} BENCH_RUNS=${BENCH_RUNS:-3}
# The passthrough part pins 4 GiB of guest RAM in L1 for the DMA-map figure,
# which takes half a minute or more under TCG: L1 gets 6 GiB and more time.
export NESTED_L1_MEM=${NESTED_L1_MEM:-6144} NESTED_TIMEOUT=${NESTED_TIMEOUT:-1800}
export NESTED_STALL=${NESTED_STALL:-400}
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

# Passthrough: MB/s medians (one decimal) of the BENCH-DD runs per setup.
fmedian() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "none"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
fratio() {
	[ "$1" != none ] && [ "$2" != none ] &&
		awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }' || echo n/a
}
set -- $(tr -d '\r' <"$src" | awk '$1 == "BENCH-PT-INFO" { print $2, $3 }' | tail -n 1)
echo "passthrough: sequential read of the whole NVMe (${1:-?} MiB, ${2:-?} times a run), dd bs=1M iflag=direct,"
echo "MB/s (10^6 B/s), the three setups taking turns ($BENCH_RUNS rounds), one L1 run:"
for s in l1 conduit qemu; do
	runs=$(tr -d '\r' <"$src" | awk -v s="$s" '$1 == "BENCH-DD" && $2 == s { print $3 }')
	eval "dd_$s=$(echo "$runs" | grep . | fmedian)"
	printf '  %-22s %d runs: %s  median %s  best %s\n' "$(case $s in l1) echo "L1 native" ;;
		conduit) echo "L2 under conduit" ;; qemu) echo "L2 under QEMU vfio-pci" ;; esac)" \
		"$(echo "$runs" | grep -c .)" "$(echo $runs)" "$(eval echo \$dd_$s)" \
		"$(echo "$runs" | grep . | sort -n | tail -n 1)"
done
echo "  conduit / L1 native = $(fratio "$dd_conduit" "$dd_l1")   (target >= 0.90)"
echo "  conduit / QEMU      = $(fratio "$dd_conduit" "$dd_qemu")   (target >= 1.00)"
# The same ratios per round (means of a round's reads): the load of the
# machine changes between rounds more than within one.
tr -d '\r' <"$src" | awk '$1 == "BENCH-DD" && $4 != "" { s[$4, $2] += $3; n[$4, $2]++; if ($4 > max) max = $4 }
	function r(a, b) { return n[i, a] && n[i, b] ? sprintf("%.2f", (s[i, a] / n[i, a]) / (s[i, b] / n[i, b])) : "n/a" }
	END { for (i = 1; i <= max; i++) { l = l " " r("conduit", "l1"); q = q " " r("conduit", "qemu") }
		if (max) printf "  per round: conduit / L1 native:%s   conduit / QEMU:%s\n", l, q }'
set -- $(tr -d '\r' <"$src" | awk '$1 == "BENCH-PT-EXITS" { n++; if ($2 $3 ~ /^[0-9]+$/) { m += $2; p += $3 } else bad = 1 }
	END { if (n && !bad) print m, p, n }')
echo "  conduit BAR data exits outside the MSI-X table/PBA: MMIO ${1:-none}, PIO ${2:-none} (${3:-0} boots)   (target 0, 0)"
echo "DMA-map time of guest RAM (conduit --passthrough --stats; QEMU does not report its own):"
for mib in $(tr -d '\r' <"$src" | awk '$1 == "BENCH-MAP" { print $2 }' | sort -nu); do
	runs=$(tr -d '\r' <"$src" | awk -v m="$mib" '$1 == "BENCH-MAP" && $2 == m && $3 != "none" { print $3 }')
	ms=$(echo "$runs" | grep . | fmedian)
	[ "$ms" = none ] || ms=$(awk -v ms="$ms" -v mib="$mib" 'BEGIN { printf "%.0f ms (%.0f ms per GiB)", ms, ms * 1024 / mib }')
	printf '  %5d MiB %d runs: %s  median %s\n' "$mib" "$(echo "$runs" | grep -c .)" \
		"$(echo $runs | awk '{ for (i = 1; i <= NF; i++) printf "%s%.0f", (i > 1 ? " " : ""), $i }')" "$ms"
done
grep -E '^nested:' "$log"
exit $rc
