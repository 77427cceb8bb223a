#!/bin/bash
# tests/nested/selftest.sh - checks resume.sh (what run.sh runs again in a
# new L1) on made-up L1 consoles; part of `make check`, needs no QEMU.
# Ends with "nested-harness: N passed, N failed".
set -u
NESTED_DIR=$(cd "$(dirname "$0")" && pwd)
. "$NESTED_DIR/resume.sh"
OUT_DIR=$(mktemp -d)
trap 'rm -rf "$OUT_DIR"' EXIT
. "$NESTED_DIR/same.sh"

SUITE="init pt-bind pt-read fw-listing pt-write pt-unbind fw-rom-bind fw-optionrom fw-rom-unbind last"

# CI of 2026-12-06: two guests died in one L1, one inside each bind; the
# L1 went on and ran every case, the unbinds too.
printf '%s\r\n' '1..10' 'ok 1 - init' 'ok 2 - pt-bind' 'ok 3 - pt-read' \
	"not ok 4 - fw-listing: SeaBIOS did not reach 'No bootable device'" \
	'#   | conduit: error: vCPU 0: guest triple fault (shutdown)' \
	'ok 5 - pt-write' 'ok 6 - pt-unbind' 'ok 7 - fw-rom-bind' \
	'not ok 8 - fw-optionrom: no iPXE banner on the console' \
	'#   | conduit: error: vCPU 0: guest triple fault (shutdown)' \
	'ok 9 - fw-rom-unbind' 'ok 10 - last' >"$OUT_DIR/l1"
same "each retried case inside its own bind" "$(resume_cases "$OUT_DIR/l1" $SUITE)" \
	"pt-bind fw-listing pt-unbind fw-rom-bind fw-optionrom fw-rom-unbind "
same "the deaths named" "$(crashes <"$OUT_DIR/l1" | tr '\t' ':' | tr '\n' ' ')" \
	"L2 triple fault:fw-listing L2 triple fault:fw-optionrom "

# CI of 2026-12-06 again: pt-in-use's first VM (not the case's OUT) died;
# runner.sh's show_guest_deaths names its file after the result.
printf '%s\n' 'ok 1 - pt-bind' '# first VM | conduit: error: vCPU 0: guest triple fault (shutdown)' \
	'not ok 2 - pt-in-use: first VM did not start' '#   | [    0.000000] Linux version 6.1.0' \
	'#   | pt-in-use.first: conduit: error: vCPU 0: guest triple fault (shutdown)' \
	'ok 3 - pt-reboot' 'ok 4 - pt-unbind' >"$OUT_DIR/l1h"
same "a death in another VMM output" "$(crashes <"$OUT_DIR/l1h" | tr '\t' ':')" "L2 triple fault:pt-in-use"
same "that case again, in its bind" "$(resume_cases "$OUT_DIR/l1h" pt-bind pt-in-use pt-reboot pt-unbind)" \
	"pt-bind pt-in-use pt-unbind "
head -n 3 "$OUT_DIR/l1h" >"$OUT_DIR/l1i"
same "a death before the result is not its case's" "$(crashes <"$OUT_DIR/l1i")" ""

# A failure that is no guest's death is not run again.
sed 's/guest triple fault/no such device/' "$OUT_DIR/l1" >"$OUT_DIR/l1b"
same "a plain failure stays" "$(resume_cases "$OUT_DIR/l1b" $SUITE)" ""
same "no deaths" "$(crashes <"$OUT_DIR/l1b")" ""

# L1 died during pt-write: the rest, pt-bind first.
printf '%s\n' '1..10' 'ok 1 - init' 'ok 2 - pt-bind' 'ok 3 - pt-read' 'ok 4 - fw-listing' \
	'[ 9.1] Kernel panic - not syncing: ok 7 - x' >"$OUT_DIR/l1c"
same "after an L1 death" "$(resume_cases "$OUT_DIR/l1c" $SUITE)" \
	"pt-bind pt-write pt-unbind fw-rom-bind fw-optionrom fw-rom-unbind last "

# L1 died during pt-unbind: bound again to be unbound.
printf '%s\n' 'ok 1 - init' 'ok 2 - pt-bind' 'ok 3 - pt-read' 'ok 4 - fw-listing' 'ok 5 - pt-write' \
	>"$OUT_DIR/l1d"
same "during an unbind" "$(resume_cases "$OUT_DIR/l1d" $SUITE)" \
	"pt-bind pt-unbind fw-rom-bind fw-optionrom fw-rom-unbind last "

# A bind whose unbind is not in the run (NESTED_CASES), a case after it.
printf '%s\n' 'ok 1 - pt-bind' 'not ok 2 - pt-read: x' '#   | conduit: error: vCPU 0: guest triple fault (shutdown)' \
	'ok 3 - last' >"$OUT_DIR/l1e"
same "no unbind in the run" "$(resume_cases "$OUT_DIR/l1e" pt-bind pt-read last)" "pt-bind pt-read "

# An L1 timer death: the case it was found in runs again, nothing else.
printf '%s\n' 'ok 1 - init' 'L1-TIMER-DEAD: a 0.2 s sleep pinned to L1 CPU(s) 1 did not end in 5 s' \
	'not ok 2 - last: VMM still running' >"$OUT_DIR/l1f"
same "L1 timer death" "$(resume_cases "$OUT_DIR/l1f" init last)" "last "

# Everything done: nothing.
printf '%s\n' 'ok 1 - init' 'ok 2 - last' >"$OUT_DIR/l1g"
same "all done" "$(resume_cases "$OUT_DIR/l1g" init last)" ""

echo "nested-harness: $P passed, $F failed"
[ "$F" -eq 0 ]
