#!/bin/bash
# tests/nested/arm64/selftest.sh - checks results.sh (the arm64 harness's
# reporting) on made-up L1 consoles; part of `make check`, needs no QEMU.
# Ends with "arm64-harness: N passed, N failed".
set -u
A64_DIR=$(cd "$(dirname "$0")" && pwd)
. "$A64_DIR/results.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$A64_DIR/../same.sh"

# An L1 that died in b (c never ran), then a second L1 that ran b and c.
printf '%s\r\n' '1..3' 'ok 1 - a' '# time a: launch-to-init=5 ms total=6 ms' \
	'[ 9.1] Kernel panic - not syncing: ok 7 - x' >"$T/l1"
same "unreported after a death" "$(a64_unreported "$T/l1" a b c)" "b c "
same "unreported, nothing ran" "$(a64_unreported /dev/null a b)" "a b "
printf '%s\n' '1..2' 'not ok 1 - b: no CONDUIT-L2-INIT' 'ok 2 - c # SKIP why' >>"$T/l1"
same "unreported, all reported" "$(a64_unreported "$T/l1" a b c)" ""
printf '%s\n' 'ok 1 - b' 'BENCH qemu-virt 11000 13050' 'L1-KVM: kvm [1]: VHE mode' \
	'# L2 says ok 3 - z' >>"$T/l1"
a64_compose "$T/l1" >"$T/res"
same "compose: last result per case" "$(grep -E '^(not )?ok' "$T/res" | tr '\n' '|')" \
	"ok 1 - a|ok 1 - b|ok 2 - c # SKIP why|"
same "compose keeps timing, bench, L1 lines" "$(grep -cE '^# time a:|^BENCH qemu|^L1-KVM' "$T/res")" 3
same "counts" "$(a64_counts "$T/res" 3)" "2 0 1"
same "counts: a case never reported fails" "$(a64_counts "$T/res" 4)" "2 1 1"
printf '%s\n' 'not ok 4 - d: exit code 1' >>"$T/res"
same "counts: a failure" "$(a64_counts "$T/res" 4)" "2 1 1"

printf '%s\n' 'BENCH conduit 900 1000' 'BENCH-HWM-KIB conduit 30000' 'BENCH conduit 700 800' \
	'BENCH conduit none 150000' 'BENCH conduit 800 900' 'BENCH qemu-virt 1600 2000' \
	'BENCH qemu-virt 1500 1900' 'BENCH-HWM-KIB qemu-virt 148052' 'BENCH-HWM-KIB conduit 31000' \
	'BENCH-OWN-KIB 5120' 'BENCH-OWN-KIB none' >"$T/bench"
same "median of 3, a failed boot left out" "$(a64_median "$T/bench" conduit)" 800
same "median of 2: the lower" "$(a64_median "$T/bench" qemu-virt)" 1500
same "median of none" "$(a64_median "$T/bench" qemu-microvm)" none
same "peak per VMM" "$(a64_peak "$T/bench" BENCH-HWM-KIB conduit)" 31000
same "peak, no VMM word" "$(a64_peak "$T/bench" BENCH-OWN-KIB)" 5120
same "peak of none" "$(a64_peak "$T/bench" BENCH-OWN-KIB conduit)" none
same "ratio" "$(a64_ratio 800 1500)" 0.53
same "ratio with none" "$(a64_ratio none 1500)" none

echo "arm64-harness: $P passed, $F failed"
[ "$F" -eq 0 ]
