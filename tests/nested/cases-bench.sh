# tests/nested/cases-bench.sh - boot-time benchmark cases (suites/bench), sourced
# by runner.sh. Each case boots the same L2 kernel and initramfs to its init
# marker and power-off with one VMM, BENCH_RUNS times, and prints
#   BENCH <vmm> <launch-to-init ms> <total ms>
# and for conduit also BENCH-OWN-KIB <peak RSS minus resident guest RAM>.
# All VMMs get the same kernel command line, memory and vCPU count.

BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_CMDLINE="console=ttyS0 conduit.test=init"

# bench_boot NAME COMMAND...: one timed boot.
bench_boot() {
	name=$1
	shift
	OUT=$RUNNER_WORK/$CASE_NAME.out
	: >"$OUT"
	t0=$(now_ms)
	"$@" </dev/null >"$OUT" 2>&1 &
	pid=$!
	ok=1
	if wait_for "$OUT" CONDUIT-L2-INIT "$BOOT_TIMEOUT" "$pid"; then
		boot=$(($(now_ms) - t0))
	else
		fail "$name: no CONDUIT-L2-INIT"
		boot=none ok=''
	fi
	wait_exit "$pid" "$EXIT_TIMEOUT" || { fail "$name: did not power off"; ok=''; }
	[ "$RC" = 0 ] || { fail "$name: exit code $RC"; ok=''; }
	# A failed run's output is shown now: the next run reuses the file.
	[ -n "$ok" ] || tail -n 25 "$OUT" | tr -cd '\11\12\40-\176' | sed "s/^/# $name failed | /"
	echo "BENCH $name $boot $(($(now_ms) - t0))"
}

bench_loop() {
	i=0
	while [ $i -lt "$BENCH_RUNS" ]; do
		"$@"
		i=$((i + 1))
	done
}

conduit_once() {
	bench_boot conduit "$CONDUIT_BIN" -v --kernel "$L2_KERNEL" --initrd "$L2_INITRD" \
		--cmdline "$BENCH_CMDLINE" --memory "${L2_MEMORY}M" --cpus 1
	own=$(sed -n "s/.*conduit's own \(-*[0-9]*\) KiB.*/\1/p" "$OUT" | tr -d '\r')
	echo "BENCH-OWN-KIB ${own:-none}"
}

qemu_once() {
	bench_boot "qemu-$1" qemu-system-x86_64 -enable-kvm -cpu host -machine "$1" \
		-m "$L2_MEMORY" -smp 1 -nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$L2_KERNEL" -initrd "$L2_INITRD" -append "$BENCH_CMDLINE"
}

case_bench_conduit() {
	bench_loop conduit_once
}

case_bench_qemu_q35() {
	command -v qemu-system-x86_64 >/dev/null || { skip "no QEMU in L1 (INCLUDE_QEMU=1)"; return; }
	bench_loop qemu_once q35
}

case_bench_qemu_microvm() {
	command -v qemu-system-x86_64 >/dev/null || { skip "no QEMU in L1 (INCLUDE_QEMU=1)"; return; }
	bench_loop qemu_once microvm
}
