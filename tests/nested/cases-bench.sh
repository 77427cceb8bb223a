# tests/nested/cases-bench.sh - benchmark cases (suites/bench), sourced
# by runner.sh. Each case boots the same L2 kernel and initramfs to its init
# marker and power-off with one VMM, BENCH_RUNS times, and prints
#   BENCH <vmm> <launch-to-init ms> <total ms>
# and for conduit also BENCH-OWN-KIB <peak RSS minus resident guest RAM>.
# All VMMs get the same kernel command line, memory and vCPU count.
# The passthrough benchmark (bench-pt-*) is further down.

BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_CMDLINE="console=ttyS0 conduit.test=init"
# Launch to CONDUIT-L2-INIT (s): a slow boot is a figure, not a failure (other
# QEMUs on the same cores make boots here take 15 to 50 s); only a hang is.
BENCH_BOOT_TIMEOUT=${BENCH_BOOT_TIMEOUT:-150}

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
	if wait_for "$OUT" CONDUIT-L2-INIT "$BENCH_BOOT_TIMEOUT" "$pid"; then
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

# --- passthrough throughput (suites/bench-passthrough) -------------------------
# Sequential read of the whole NVMe (CONDUIT_TEST_DEVICE) with dd, direct I/O,
# 1 MiB blocks: in L1 natively, in L2 under conduit and in L2 under QEMU with
# vfio-pci (same kernel, initramfs, memory, 1 vCPU). The three setups take
# turns, BENCH_RUNS rounds of L1 / bind / conduit / QEMU / unbind, so that
# the load of the machine (other QEMUs on the same cores) changes all three
# alike; each turn times BENCH_PT_READS reads of BENCH_PASSES whole-disk
# passes. Then conduit's time to DMA-map 1 GiB and 4 GiB of guest RAM (L1
# needs more than 4 GiB: bench.sh). Prints
#   BENCH-PT-INFO <disk MiB> <passes>
#   BENCH-DD <l1|conduit|qemu> <MB/s, 10^6 B/s> <round>    one line a read
#   BENCH-PT-EXITS <MMIO> <PIO>       a conduit boot's BAR data exits (MSI-X table apart)
#   BENCH-MAP <MiB> <ms>              conduit's DMA-map time of that much guest RAM
BENCH_PASSES=${BENCH_PASSES:-16}
BENCH_PT_READS=${BENCH_PT_READS:-2}
# Bound on one passthrough guest's reads or one 4 GiB map (s).
BENCH_PT_TIMEOUT=${BENCH_PT_TIMEOUT:-300}

# bench_pt_dev: sets dev to the device under test, or skips the case.
bench_pt_dev() {
	dev=$CONDUIT_TEST_DEVICE
	[ -n "$dev" ] || skip "no CONDUIT_TEST_DEVICE"
	[ -n "$dev" ]
}

# bench_pt_block BDF: the block device of NVMe BDF in L1 (/dev/nvme0n1),
# waiting up to 10 s for it (after an unbind the driver probes it again).
bench_pt_block() {
	i=0
	while [ $i -lt 100 ]; do
		for b in /sys/block/nvme*n1; do
			case $(readlink -f "$b") in
			*/$1/*) [ -b "/dev/${b##*/}" ] && echo "/dev/${b##*/}" && return 0 ;;
			esac
		done
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# bench_pt_l1 BLOCK MIB ROUND: BENCH_PT_READS timed reads in L1.
bench_pt_l1() {
	OUT=$RUNNER_WORK/$CASE_NAME.out
	i=0
	while [ $i -lt "$BENCH_PT_READS" ]; do
		: >"$OUT"
		t0=$(now_ms) p=0
		while [ $p -lt "$BENCH_PASSES" ]; do
			dd if="$1" of=/dev/null bs=1M iflag=direct 2>>"$OUT"
			p=$((p + 1))
		done
		ms=$(($(now_ms) - t0))
		[ "$(grep -c "^$2+0 records in" "$OUT")" = "$BENCH_PASSES" ] ||
			{ fail "l1: dd did not read $2 MiB of $1"; return; }
		awk -v b=$(($2 * 1048576 * BENCH_PASSES)) -v ms="$ms" -v r="$3" \
			'BEGIN { printf "BENCH-DD l1 %.1f %d\n", (ms > 0 ? b / ms / 1000 : 0), r }'
		i=$((i + 1))
	done
}

# bench_pt_boot NAME ROUND COMMAND...: one guest running the nvme-dd agent;
# its reads become BENCH-DD NAME lines.
# pt_bad REASON: fail, and remember that this boot failed.
pt_bad() {
	fail "$@"
	ok=''
}

bench_pt_boot() {
	name=$1 round=$2
	shift 2
	OUT=$RUNNER_WORK/$CASE_NAME.out
	: >"$OUT"
	t0=$(now_ms) ok=1
	"$@" </dev/null >"$OUT" 2>&1 &
	pid=$!
	wait_for "$OUT" CONDUIT-L2-INIT "$BENCH_BOOT_TIMEOUT" "$pid"
	case $? in
	0) wait_exit "$pid" "$BENCH_PT_TIMEOUT" || pt_bad "$name: still running after ${BENCH_PT_TIMEOUT}s, killed" ;;
	*)
		wait_exit "$pid" 1
		pt_bad "$name: no CONDUIT-L2-INIT (exit code $RC after $(($(now_ms) - t0)) ms)"
		;;
	esac
	[ "$RC" = 0 ] || pt_bad "$name: exit code $RC"
	err=$(tr -d '\r' <"$OUT" | grep -a -m 1 '^L2-ERROR')
	[ -z "$err" ] || pt_bad "$name: $err"
	tr -d '\r' <"$OUT" | awk -v n="$name" -v r="$round" '$1 == "L2-DD" { print "BENCH-DD", n, $2, r }'
	got=$(tr -d '\r' <"$OUT" | grep -c '^L2-DD ')
	[ "$got" = "$BENCH_PT_READS" ] || pt_bad "$name: $got of $BENCH_PT_READS reads reported"
	# A failed boot's output is shown now: the next boot reuses the file.
	[ -n "$ok" ] || tail -n 15 "$OUT" | tr -cd '\11\12\40-\176' | sed "s/^/# $name failed | /"
}

BENCH_PT_CMDLINE="console=ttyS0 quiet conduit.test=nvme-dd conduit.runs=$BENCH_PT_READS conduit.passes=$BENCH_PASSES"

bench_pt_conduit() {
	bench_pt_boot conduit "$1" "$CONDUIT_BIN" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" \
		--cmdline "$BENCH_PT_CMDLINE" --memory "${L2_MEMORY}M" --cpus 1 \
		--passthrough "$dev" --stats
	tr -d '\r' <"$OUT" | grep -a "stats $dev" | sed 's/^/# /'
	exits=$(tr -d '\r' <"$OUT" | sed -n "s/.*stats $dev: BAR data exits: MMIO \([0-9]*\), PIO \([0-9]*\);.*/\1 \2/p")
	echo "BENCH-PT-EXITS ${exits:-none}"
	[ "$exits" = "0 0" ] || fail "conduit: BAR data exits '$exits', want '0 0'"
	map=$(tr -d '\r' <"$OUT" | sed -n "s/.*stats $dev: guest RAM DMA-mapped in \([0-9.]*\) ms.*/\1/p")
	echo "BENCH-MAP $L2_MEMORY ${map:-none}"
}

bench_pt_qemu() {
	bench_pt_boot qemu "$1" qemu-system-x86_64 -enable-kvm -cpu host -machine q35 \
		-m "$L2_MEMORY" -smp 1 -nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$L2_KERNEL" -initrd "$L2_INITRD" -append "$BENCH_PT_CMDLINE" \
		-device "vfio-pci,host=$dev"
}

# bench-pt: BENCH_RUNS rounds of L1 native, conduit and QEMU (see above).
case_bench_pt() {
	bench_pt_dev || return
	blk=$(bench_pt_block "$dev") || { fail "no NVMe block device of $dev in L1"; return; }
	mib=$(($(cat "/sys/block/${blk#/dev/}/size") / 2048))
	echo "BENCH-PT-INFO $mib $BENCH_PASSES"
	qemu=$(command -v qemu-system-x86_64) || echo "# no QEMU in L1 (INCLUDE_QEMU=1): no QEMU figures"
	round=0
	while [ "$round" -lt "$BENCH_RUNS" ]; do
		round=$((round + 1))
		blk=$(bench_pt_block "$dev") || { fail "round $round: no block device of $dev in L1"; return; }
		bench_pt_l1 "$blk" "$mib" "$round"
		bind_case "$dev"
		[ "$(pt_driver "$dev")" = vfio-pci ] || return
		bench_pt_conduit "$round"
		[ -z "$qemu" ] || bench_pt_qemu "$round"
		unbind_case "$dev"
	done
}

case_bench_pt_bind() {
	bench_pt_dev || return
	bind_case "$dev"
}

# bench_pt_map GIB: conduit DMA-maps GIB GiB of guest RAM; stopped with
# SIGTERM once mapped (the guest need not boot), --stats gives the time.
bench_pt_map() {
	bench_pt_dev || return
	OUT=$RUNNER_WORK/$CASE_NAME.out
	"$CONDUIT_BIN" -v --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory "${1}G" \
		--cmdline "console=ttyS0 quiet conduit.test=hang" --passthrough "$dev" --stats \
		</dev/null >"$OUT" 2>&1 &
	pid=$!
	wait_for "$OUT" "mapped for DMA" "$BENCH_PT_TIMEOUT" "$pid" || fail "guest RAM never DMA-mapped"
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" "$BENCH_PT_TIMEOUT" || fail "conduit ignored SIGTERM"
	[ "$RC" = 143 ] || fail "exit code $RC after SIGTERM, want 143"
	tr -d '\r' <"$OUT" | grep -a "mapped for DMA\|DMA-mapped" | sed 's/^/# /'
	map=$(tr -d '\r' <"$OUT" | sed -n "s/.*stats $dev: guest RAM DMA-mapped in \([0-9.]*\) ms.*/\1/p")
	[ -n "$map" ] || fail "no DMA-map time in --stats"
	echo "BENCH-MAP $(($1 * 1024)) ${map:-none}"
}

case_bench_pt_map_1g() {
	bench_pt_map 1
}

case_bench_pt_map_4g() {
	bench_pt_map 4
}

case_bench_pt_unbind() {
	bench_pt_dev || return
	unbind_case "$dev"
}
