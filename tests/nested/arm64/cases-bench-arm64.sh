# tests/nested/arm64/cases-bench-arm64.sh - the arm64 boot benchmark
# (suites/bench-arm64, bench.sh beside this file), sourced by ../runner.sh in
# the arm64 L1.
# Each case boots the same L2 (Debian's arm64 Image, the agent's init test:
# the marker, then power-off) BENCH_RUNS times with one VMM (a64-bench: with
# each, in turns), 2 vCPUs and L2_MEMORY MiB, and prints per boot
#   BENCH <vmm> <launch-to-init ms> <total ms>
#   BENCH-HWM-KIB <vmm> <the VMM process's peak RSS, VmHWM, KiB>
# and for conduit also BENCH-OWN-KIB <its own memory: peak RSS minus the
# guest RAM resident, conduit -v's figure>.

A64_BENCH_CMDLINE="console=ttyS0 quiet conduit.test=init"

# a64_hwm_watch PID: VmHWM of PID (KiB) sampled every 0.1 s until it ends;
# the last value read is printed as A64_HWM once it is gone.
a64_hwm_watch() {
	hwm=none
	while kill -0 "$1" 2>/dev/null; do
		v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
		[ -z "$v" ] || hwm=$v
		sleep 0.1
	done
	echo "$hwm" >"$RUNNER_WORK/$CASE_NAME.hwm"
}

# a64_bench_boot NAME COMMAND...: one boot to CONDUIT-L2-INIT and power-off
# (BENCH_BOOT_TIMEOUT to the marker: a slow boot is a figure, only a hang a
# failure; EXIT_TIMEOUT after it), the VMM's VmHWM watched; anything but a
# clean boot fails the case.
a64_bench_boot() {
	name=$1
	shift
	OUT=$RUNNER_WORK/$CASE_NAME.out
	: >"$OUT"
	rm -f "$RUNNER_WORK/$CASE_NAME.hwm"
	t0=$(now_ms)
	"$@" </dev/null >"$OUT" 2>&1 &
	pid=$!
	a64_hwm_watch "$pid" &
	watcher=$!
	BOOT=none
	if wait_for "$OUT" CONDUIT-L2-INIT "${BENCH_BOOT_TIMEOUT:-150}" "$pid"; then
		BOOT=$(($(now_ms) - t0))
	else
		fail "$name: no CONDUIT-L2-INIT"
	fi
	wait_exit "$pid" "$EXIT_TIMEOUT" || fail "$name: did not power off"
	TOTAL=$(($(now_ms) - t0))
	[ "$RC" = 0 ] || [ "$RC" = 137 ] || fail "$name: exit code $RC"
	wait "$watcher"
	[ "$BOOT" != none ] && [ "$RC" = 0 ] ||
		tail -n 25 "$OUT" | tr -cd '\11\12\40-\176' | awk -v p="# $name failed | " '{ print p $0 }'
	echo "BENCH $name $BOOT $TOTAL"
	echo "BENCH-HWM-KIB $name $(cat "$RUNNER_WORK/$CASE_NAME.hwm" 2>/dev/null || echo none)"
}

a64_bench_loop() {
	i=0
	while [ $i -lt "${BENCH_RUNS:-3}" ]; do
		"$@"
		i=$((i + 1))
	done
}

a64_conduit_once() {
	a64_bench_boot conduit "$CONDUIT_BIN" -v --kernel "$L2_KERNEL" --initrd "$L2_INITRD" \
		--cmdline "$A64_BENCH_CMDLINE" --memory "${L2_MEMORY}M" --cpus 2
	own=$(sed -n "s/.*conduit's own \(-*[0-9]*\) KiB.*/\1/p" "$OUT" | tr -d '\r')
	echo "BENCH-OWN-KIB ${own:-none}"
}

a64_qemu_once() {
	a64_bench_boot qemu-virt /usr/bin/qemu-system-aarch64 -machine virt,gic-version=3 -accel kvm \
		-cpu host -m "$L2_MEMORY" -smp 2 -nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$L2_KERNEL" -initrd "$L2_INITRD" \
		-append "$(echo "$A64_BENCH_CMDLINE" | sed 's/ttyS0/ttyAMA0/')"
}

case_a64_bench_conduit() {
	[ -x "$CONDUIT_BIN" ] || { fail "no conduit in L1 (CONDUIT_BIN_ARM64)"; return; }
	a64_bench_loop a64_conduit_once
}

case_a64_bench_qemu() {
	command -v qemu-system-aarch64 >/dev/null || { fail "no QEMU in L1 (INCLUDE_QEMU=1)"; return; }
	a64_bench_loop a64_qemu_once
}

# Both VMMs in BENCH_RUNS rounds, one boot each a round, taking turns which
# goes first, so that the machine's changing load falls on both alike
# (suites/bench-arm64).
case_a64_bench() {
	[ -x "$CONDUIT_BIN" ] || { fail "no conduit in L1 (CONDUIT_BIN_ARM64)"; return; }
	command -v qemu-system-aarch64 >/dev/null || { fail "no QEMU in L1 (INCLUDE_QEMU=1)"; return; }
	r=0
	while [ $r -lt "${BENCH_RUNS:-3}" ]; do
		if [ $((r % 2)) = 0 ]; then
			a64_conduit_once
			a64_qemu_once
		else
			a64_qemu_once
			a64_conduit_once
		fi
		r=$((r + 1))
	done
}
