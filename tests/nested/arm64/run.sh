#!/bin/bash
# tests/nested/arm64/run.sh - L0-side entry of the nested arm64 tests: an arm64
# L1 (Debian 12's arm64 kernel: KVM with VHE, vfio-pci, GICv3 ITS, SMMUv3)
# under qemu-system-aarch64/TCG on this x86 machine, with QEMU's NVMe at
# 0000:00:02.0 bound to vfio-pci in L1 (shared/NESTED-ARM64.md's recipe).
# Owns building what it needs (build.sh), booting L1, watching it, going on in
# a new L1 after an L1 death, and the summary.
#
#   run.sh                    the suite (NESTED_SUITE, default arm64) against
#                             CONDUIT_BIN_ARM64; ends with "nested-arm64: retries: N
#                             (...)" and "nested-arm64: N passed, N failed"
#   run.sh --exec BIN [ARGS]  run the static arm64 program BIN with ARGS in L1
#                             (the NVMe on vfio-pci, /dev/kvm there), print L1's
#                             console, exit with BIN's exit code; it runs in
#                             /nested/exec/, beside A64_EXEC_FILES="F1 F2" (copied
#                             there); the L2 Image and initramfs are in /nested/l2/
#   run.sh --shell            a shell in L1
# Environment:
#   CONDUIT_BIN_ARM64   the static arm64 conduit (make ARCH=arm64 STATIC=1)
#   CONDUIT_VMM=qemu    Debian's arm64 QEMU as the L1 VMM (the cases' stand-in)
#   NESTED_SUITE / NESTED_CASES="a b"   what to run (suites/ beside this file)
#   NESTED_SHOW_OUTPUT=1  every case's whole VMM output; NESTED_VERBOSE=1  L1's console live
#   NESTED_RETRIES (3)  new L1s booted after an L1 death before giving up
#   NESTED_A64_TIMEOUT (1500 s) / NESTED_A64_STALL (180 s)   whole run / silent console
#   NESTED_A64_L1_CPUS (2) / NESTED_A64_L1_MEM (2048) / NESTED_A64_L1_APPEND
#   NESTED_A64_L1_KERNEL=project  L1 on the project's arm64 6.12 test kernel
#                       (KERNEL_ARCH=arm64 ../kernel.sh: IOMMUFD, the VFIO cdev; cached)
#   NESTED_VFIO_BACKEND=iommufd|legacy  every conduit run in L1 gets --vfio-backend
#   CONDUIT_CACHE       cache root (default <repo>/.cache); logs in nested/arm64/out/
set -u
A64_DIR=$(cd "$(dirname "$0")" && pwd)
. "$A64_DIR/lib.sh"
. "$A64_DIR/results.sh"

NESTED_SUITE=${NESTED_SUITE:-arm64}
CONDUIT_VMM=${CONDUIT_VMM:-conduit}
RETRIES=0 RETRY_CAUSES='' EXTRA_FAIL=0

phase() {
	echo "# phase $1: $(($(now_ms) - $2)) ms"
}

# build WHAT: build.sh into $A64_OUT/build.log; sets A64_IMAGE, A64_L1_INITRD
# (and A64_L1_IMAGE, the project's test kernel, with NESTED_A64_L1_KERNEL=project).
build() {
	local t
	t=$(now_ms)
	if [ "${NESTED_A64_L1_KERNEL:-debian}" = project ]; then
		KERNEL_ARCH=arm64 bash "$NESTED_DIR/kernel.sh" >"$A64_OUT/kernel.log" 2>&1 ||
			{ cat "$A64_OUT/kernel.log"; exit 2; }
		grep '^nested:' "$A64_OUT/kernel.log" >&2
		A64_L1_IMAGE=$(sed -n 's/^L1_KERNEL=//p' "$A64_OUT/kernel.log")
		export A64_L1_IMAGE
		phase kernel "$t"
	fi
	bash "$A64_DIR/build.sh" all >"$A64_OUT/build.log" 2>&1 || { cat "$A64_OUT/build.log"; exit 2; }
	grep '^nested-arm64:' "$A64_OUT/build.log" >&2
	eval "$(grep -E '^(A64_IMAGE|A64_L1_INITRD)=' "$A64_OUT/build.log")"
	phase build "$t"
}

# watch_l1 PID START: until L1 ends: prints the launch-to-init phase once
# CONDUIT-L1-INIT is on the console; kills L1's group when its console stays
# silent $A64_STALL s (STALLED=silent).
watch_l1() {
	local pid=$1 start=$2 size last=-1 changed seen=''
	changed=$(now_ms)
	STALLED=''
	while kill -0 "$pid" 2>/dev/null; do
		if [ -z "$seen" ] && grep -aq CONDUIT-L1-INIT "$L1_LOG"; then
			seen=1
			L1_BOOT_MS=$(($(now_ms) - start))
			echo "# phase l1-launch-to-init: $L1_BOOT_MS ms"
		fi
		size=$(stat -c %s "$L1_LOG")
		if [ "$size" != "$last" ]; then
			last=$size
			changed=$(now_ms)
		elif [ $(($(now_ms) - changed)) -gt $((A64_STALL * 1000)) ]; then
			STALLED=silent
			kill -TERM -- "-$pid" 2>/dev/null
			sleep 2
			kill -KILL -- "-$pid" 2>/dev/null
			return
		fi
		sleep 0.2
	done
}

# run_l1 ARGS: one L1 boot with kernel parameters ARGS; sets L1_RC (stalled
# when watch_l1 killed it).
run_l1() {
	local t pid tailpid=''
	t=$(now_ms)
	: >"$L1_LOG"
	a64_boot_l1 "$A64_L1_INITRD" "$1" &
	pid=$!
	if [ -n "${NESTED_VERBOSE:-}" ]; then
		tail -n +1 -f --pid="$pid" "$L1_LOG" &
		tailpid=$!
	fi
	watch_l1 "$pid" "$t"
	wait "$pid"
	L1_RC=$?
	[ -z "$tailpid" ] || wait "$tailpid"
	[ -z "$STALLED" ] || L1_RC=stalled
	phase l1-run "$t"
}

# l1_death: why the last L1 died before its init finished, or nothing.
l1_death() {
	if [ -n "$STALLED" ]; then
		echo "L1 silent ${A64_STALL}s"
	elif tr -d '\r' <"$L1_LOG" | grep -av '^#' | grep -aqE 'Kernel panic|BUG: (unable to handle|TASK stack)|Internal error: Oops'; then
		echo "L1 kernel death"
	elif [ "$L1_RC" = 124 ] || [ "$L1_RC" = 137 ]; then
		echo "L1 timed out after ${A64_TIMEOUT}s"
	elif ! grep -aq CONDUIT-L1-DONE "$L1_LOG"; then
		echo "L1 ended without CONDUIT-L1-DONE (QEMU exit $L1_RC)"
	fi
}

run_exec() {
	local bin=$1 rc
	shift
	[ -f "$bin" ] || { echo "nested-arm64: --exec: no file $bin" >&2; exit 2; }
	export A64_EXEC=$bin A64_EXEC_ARGS="$*"
	build
	a64_disk_image
	L1_LOG=$A64_OUT/l1-console.log
	run_l1 "conduit.mode=exec"
	tr -d '\r' <"$L1_LOG"
	why=$(l1_death)
	[ -z "$why" ] || { echo "nested-arm64: L1 died: $why"; exit 1; }
	rc=$(tr -d '\r' <"$L1_LOG" | sed -n 's/^L1-EXEC-EXIT=//p' | tail -n 1)
	[ -n "$rc" ] || { echo "nested-arm64: no L1-EXEC-EXIT line"; exit 1; }
	echo "nested-arm64: the program exited $rc"
	exit "$rc"
}

run_suite() {
	local args cases todo tries=0 why all_log plan pass fail skip got
	if [ "$CONDUIT_VMM" = conduit ]; then
		[ -n "${CONDUIT_BIN_ARM64:-}" ] && [ -f "$CONDUIT_BIN_ARM64" ] || {
			echo "not ok 1 - conduit arm64 binary: CONDUIT_BIN_ARM64='${CONDUIT_BIN_ARM64:-}' not found (make ARCH=arm64 STATIC=1)"
			echo "nested-arm64: retries: 0"
			echo "nested-arm64: 0 passed, 1 failed"
			exit 1
		}
	else
		export INCLUDE_QEMU=1
	fi
	case "$NESTED_SUITE ${NESTED_CASES:-}" in *bench*) export INCLUDE_QEMU=1 ;; esac
	build
	a64_disk_image
	if [ -n "${NESTED_CASES:-}" ]; then
		cases=$(echo "$NESTED_CASES" | tr ',' ' ')
	else
		[ -f "$A64_DIR/suites/$NESTED_SUITE" ] || { echo "nested-arm64: no suite $NESTED_SUITE" >&2; exit 2; }
		cases=$(sed 's/#.*//' "$A64_DIR/suites/$NESTED_SUITE" | tr '\n' ' ')
	fi
	args="conduit.mode=test conduit.vmm=$CONDUIT_VMM conduit.suite=$NESTED_SUITE"
	args="$args conduit.diskmd5=$(cat "$A64_DISK.md5")"
	[ -z "${NESTED_SHOW_OUTPUT:-}" ] || args="$args conduit.verbose=1"
	[ -z "${BENCH_RUNS:-}" ] || args="$args conduit.benchruns=$BENCH_RUNS"
	[ -z "${NESTED_VFIO_BACKEND:-}" ] || args="$args conduit.backend=$NESTED_VFIO_BACKEND"
	L1_LOG=$A64_OUT/l1-console.log
	all_log=$A64_OUT/l1-all.log
	: >"$all_log"
	todo=$cases
	while :; do
		# shellcheck disable=SC2086
		run_l1 "$args conduit.cases=$(echo $todo | tr ' ' ,)${RESUMED:+ conduit.resumed=1}"
		cat "$L1_LOG" >>"$all_log"
		why=$(l1_death)
		[ -n "$why" ] || break
		# shellcheck disable=SC2086
		todo=$(a64_unreported "$all_log" $cases)
		echo "# L1 died: $why (log kept in $A64_OUT/l1-console.attempt$((tries + 1)).log)"
		cp "$L1_LOG" "$A64_OUT/l1-console.attempt$((tries + 1)).log"
		tr -d '\r' <"$L1_LOG" | grep -aE 'Kernel panic|BUG:|Oops|^not ok' | head -n 5 | sed 's/^/#   | /'
		[ -n "$todo" ] || break
		if [ "$tries" -ge "${NESTED_RETRIES:-3}" ]; then
			echo "# NOT RETRIED: NESTED_RETRIES=${NESTED_RETRIES:-3} new L1s already"
			EXTRA_FAIL=1
			break
		fi
		tries=$((tries + 1))
		RETRIES=$tries
		RETRY_CAUSES="$RETRY_CAUSES${RETRY_CAUSES:+, }$why during $(echo "$todo" | awk '{ print $1 }')"
		RESUMED=1
		echo "# going on in a new L1 with: $todo"
	done
	# Results: each case's last line (a case run again after a retry counts once).
	# shellcheck disable=SC2086
	set -- $cases
	plan=$#
	a64_compose "$all_log" >"$A64_OUT/results.log"
	cat "$A64_OUT/results.log"
	read -r pass fail skip <<<"$(a64_counts "$A64_OUT/results.log" "$plan")"
	got=$(grep -cE '^(not )?ok [0-9]+ - ' "$A64_OUT/results.log")
	[ "$got" -ge "$plan" ] || echo "not ok - $((plan - got)) case(s) never reported (see $all_log)"
	if [ "$skip" -gt 0 ] && [ "${CI:-}" = true ]; then
		echo "not ok - $skip case(s) skipped, and CI=true allows none"
		fail=$((fail + skip))
	fi
	fail=$((fail + EXTRA_FAIL))
	phase total "$T0"
	echo "nested-arm64: retries: $RETRIES${RETRY_CAUSES:+ ($RETRY_CAUSES)}"
	if [ "$skip" -gt 0 ]; then
		echo "nested-arm64: $pass passed, $fail failed, $skip skipped"
	else
		echo "nested-arm64: $pass passed, $fail failed"
	fi
	[ "$fail" -eq 0 ] && [ $((pass + skip)) -gt 0 ]
}

T0=$(now_ms)
L1_BOOT_MS=''
command -v qemu-system-aarch64 >/dev/null 2>&1 || {
	echo "SKIP: no qemu-system-aarch64 (scripts/install-deps.sh installs qemu-system-arm)"
	if [ "${CI:-}" = true ]; then echo "nested-arm64: 0 passed, 1 failed"; exit 1; fi
	echo "nested-arm64: 0 passed, 0 failed, 1 skipped"
	exit 0
}
mkdir -p "$A64_OUT"
case ${1:-} in
--exec)
	shift
	[ $# -ge 1 ] || { echo "usage: run.sh --exec BIN [ARGS...]" >&2; exit 2; }
	run_exec "$@"
	;;
--shell)
	build
	a64_disk_image
	a64_boot_l1 "$A64_L1_INITRD" "conduit.mode=shell" interactive
	;;
'')
	run_suite
	;;
*) echo "usage: run.sh [--exec BIN [ARGS...] | --shell]" >&2; exit 2 ;;
esac
