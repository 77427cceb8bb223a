# tests/nested/cases-bench.sh - benchmark cases (suites/bench), sourced
# by runner.sh. Each case boots the same L2 kernel and initramfs to its init
# marker and power-off with one VMM, BENCH_RUNS times, and prints
#   BENCH <vmm> <launch-to-init ms> <total ms>
# and for conduit also BENCH-OWN-KIB <peak RSS minus resident guest RAM>.
# All VMMs get the same kernel command line, memory and vCPU count.
# The passthrough benchmark (bench-pt-*) is further down.

# boot-rate (below) takes BENCH_RUNS as its count too, 100 unless given.
BOOT_RATE_RUNS=${BENCH_RUNS:-100}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_CMDLINE="console=ttyS0 conduit.test=init"
# Launch to CONDUIT-L2-INIT (s): a slow boot is a figure, not a failure (other
# QEMUs on the same cores make boots here take 15 to 50 s); only a hang is.
BENCH_BOOT_TIMEOUT=${BENCH_BOOT_TIMEOUT:-150}

# boot_timed NAME COMMAND...: one boot to CONDUIT-L2-INIT and power-off,
# bounded by BENCH_BOOT_TIMEOUT to the marker and EXIT_TIMEOUT after it
# (BOOT_STATES=1: conduit's vCPU states in the stuck report of a boot past
# them). Judges nothing: sets OUT, BOOT (launch to the marker in ms, or
# none), TOTAL (ms), RC (137: killed) and END: ok (marker, exit code 0),
# no-init (no marker: ended without it or killed), no-exit (killed after the
# marker) or rc (marker, exit code RC).
boot_timed() {
	OUT=$RUNNER_WORK/$CASE_NAME.out
	: >"$OUT"
	t0=$(now_ms)
	shift
	"$@" </dev/null >"$OUT" 2>&1 &
	pid=$!
	END=ok
	if wait_for "$OUT" CONDUIT-L2-INIT "$BENCH_BOOT_TIMEOUT" "$pid"; then
		BOOT=$(($(now_ms) - t0))
	else
		BOOT=none END=no-init
	fi
	if ! wait_exit "$pid" "$EXIT_TIMEOUT" ${BOOT_STATES:+"$OUT"}; then
		[ "$END" = no-init ] || END=no-exit
	fi
	[ "$END" != ok ] || [ "$RC" = 0 ] || END=rc
	TOTAL=$(($(now_ms) - t0))
}

# bench_boot NAME COMMAND...: one timed boot (boot_timed); anything but a
# clean boot fails the case.
bench_boot() {
	boot_timed "$@"
	case $END in
	no-init) fail "$1: no CONDUIT-L2-INIT" ;;
	no-exit) fail "$1: did not power off" ;;
	rc) fail "$1: exit code $RC" ;;
	esac
	# A failed run's output is shown now: the next run reuses the file. awk
	# ends the last line too (a guest that died mid-line leaves it open).
	[ "$END" = ok ] || tail -n 25 "$OUT" | tr -cd '\11\12\40-\176' | awk -v p="# $1 failed | " '{ print p $0 }'
	echo "BENCH $1 $BOOT $TOTAL"
}

bench_loop() {
	i=0
	while [ $i -lt "$BENCH_RUNS" ]; do
		"$@"
		i=$((i + 1))
	done
}

# conduit_once, qemu_once MACHINE: one boot of the benchmark's guest with
# ${BOOT_WITH:-bench_boot} (boot-rate passes its own).
conduit_once() {
	${BOOT_WITH:-bench_boot} conduit "$CONDUIT_BIN" -v --kernel "$L2_KERNEL" --initrd "$L2_INITRD" \
		--cmdline "$BENCH_CMDLINE" --memory "${L2_MEMORY}M" --cpus 1
	own=$(sed -n "s/.*conduit's own \(-*[0-9]*\) KiB.*/\1/p" "$OUT" | tr -d '\r')
	echo "BENCH-OWN-KIB ${own:-none}"
}

# Through SeaBIOS (--bios seabios): conduit's option ROM loads the kernel.
conduit_bios_once() {
	bench_boot conduit-bios "$CONDUIT_BIN" -v --bios seabios --kernel "$L2_KERNEL" \
		--initrd "$L2_INITRD" --cmdline "$BENCH_CMDLINE" --memory "${L2_MEMORY}M" --cpus 1
}

qemu_once() {
	${BOOT_WITH:-bench_boot} "qemu-$1" qemu-system-x86_64 -enable-kvm -cpu host -machine "$1" \
		-m "$L2_MEMORY" -smp 1 -nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$L2_KERNEL" -initrd "$L2_INITRD" -append "$BENCH_CMDLINE"
}

case_bench_conduit() {
	bench_loop conduit_once
}

case_bench_conduit_bios() {
	[ -r /usr/share/seabios/bios.bin ] || { skip "no SeaBIOS in L1"; return; }
	bench_loop conduit_bios_once
}

case_bench_qemu_q35() {
	command -v qemu-system-x86_64 >/dev/null || { skip "no QEMU in L1 (INCLUDE_QEMU=1)"; return; }
	bench_loop qemu_once q35
}

case_bench_qemu_microvm() {
	command -v qemu-system-x86_64 >/dev/null || { skip "no QEMU in L1 (INCLUDE_QEMU=1)"; return; }
	bench_loop qemu_once microvm
}

# --- boot rate: crashes and hangs, conduit against QEMU (suites/boot-rate) ----
# BOOT_RATE_RUNS rounds (BENCH_RUNS; 100 unless given); in each, one boot of
# the benchmark's guest (conduit.test=init: to init, then power-off; 1 vCPU,
# L2_MEMORY MiB, the same kernel, initramfs and command line) under conduit
# and one under QEMU q35 (conduit_once, qemu_once), taking turns which goes
# first so that the load of the machine falls on both alike. Prints
#   RATE-INFO <rounds> <MiB> <vCPUs>
#   RATE-BOOT <vmm> <round>    before each boot (an L1 death is that VMM's)
#   RATE <vmm> <round> <class> <cause> <ms to init|none> <total ms> <warned>
# (rate_class; warned 1: the guest printed a kernel WARNING, shown), and the
# output of every boot that was not ok. The case fails
# only when it cannot measure: crashes and hangs are its figures (bench.sh
# BENCH_SUITE=boot-rate tabulates them), and run.sh would run a failed case
# with a crashed guest again. In no suite of `make test`.

# rate_class: "CLASS CAUSE" of the boot just made (boot_timed's END, RC, OUT):
#   crash triple-fault|internal-error|entry-failed   the VMM's report (conduit:
#         "guest triple fault", "KVM internal error", "VM entry failed";
#         QEMU: "KVM internal error")
#   crash panic       the guest's "Kernel panic"
#   crash reset       ended with exit code 0 without the guest's "reboot: Power
#                     down" (QEMU -no-reboot ends so on a triple fault)
#   hang before-init | after-init   killed at BENCH_BOOT_TIMEOUT + EXIT_TIMEOUT
#                     without the init marker, or EXIT_TIMEOUT after it
#   other exit-RC     any other end (exit-RC-no-init: without the marker)
#   ok -              the marker, power-off, exit code 0
rate_class() {
	tr -d '\r' <"$OUT" >"$OUT.txt"
	if grep -aq 'guest triple fault' "$OUT.txt"; then
		echo crash triple-fault
	elif grep -aq 'KVM internal error' "$OUT.txt"; then
		echo crash internal-error
	elif grep -aq 'VM entry failed' "$OUT.txt"; then
		echo crash entry-failed
	elif grep -aq 'Kernel panic' "$OUT.txt"; then
		echo crash panic
	elif [ "$RC" = 137 ]; then
		[ "$END" = no-init ] && echo hang before-init || echo hang after-init
	elif [ "$RC" = 0 ] && ! grep -aq 'reboot: Power down' "$OUT.txt"; then
		echo crash reset
	elif [ "$END" = ok ]; then
		echo ok -
	else
		echo "other exit-$RC$([ "$END" != no-init ] || echo -no-init)"
	fi
}

# rate_boot NAME COMMAND...: one boot (boot_timed) as a RATE line; a boot
# that was not ok shows its VMM's fault lines and its output's tail.
rate_boot() {
	echo "RATE-BOOT $1 $RATE_ROUND"
	boot_timed "$@"
	# shellcheck disable=SC2046 # "CLASS CAUSE": two words
	set -- "$1" $(rate_class)
	# A guest kernel warning (WARN_ON's "WARNING:") is counted and shown
	# too: the same guest under the other VMM may have none.
	warn=$(grep -a -m 1 -E 'WARNING: |XSAVE consistency problem' "$OUT.txt")
	echo "RATE $1 $RATE_ROUND $2 $3 $BOOT $TOTAL $([ -n "$warn" ] && echo 1 || echo 0)"
	[ -z "$warn" ] || echo "$warn" | tr -cd '\11\12\40-\176' | sed "s/^/# rate $1 $RATE_ROUND guest warning | /"
	[ "$2" != ok ] || return 0
	{
		grep -a -m 6 -E 'guest triple fault|KVM internal error|VM entry failed|Kernel panic|rip=|RIP[=:]' "$OUT.txt"
		echo "(last 30 lines)"
		tail -n 30 "$OUT.txt"
	} | tr -cd '\11\12\40-\176' | awk -v p="# rate $1 $RATE_ROUND $2 $3 | " '{ print p $0 }'
}

rate_conduit() {
	BOOT_WITH=rate_boot BOOT_STATES=1 conduit_once
}

rate_qemu() {
	BOOT_WITH=rate_boot qemu_once q35
}

case_boot_rate() {
	command -v qemu-system-x86_64 >/dev/null || { skip "no QEMU in L1 (INCLUDE_QEMU=1)"; return; }
	[ "$BOOT_RATE_RUNS" -gt 0 ] || { fail "BENCH_RUNS=$BOOT_RATE_RUNS: nothing to measure"; return; }
	echo "RATE-INFO $BOOT_RATE_RUNS $L2_MEMORY 1"
	RATE_ROUND=0
	while [ "$RATE_ROUND" -lt "$BOOT_RATE_RUNS" ]; do
		RATE_ROUND=$((RATE_ROUND + 1))
		if [ $((RATE_ROUND % 2)) = 1 ]; then
			rate_conduit
			rate_qemu
		else
			rate_qemu
			rate_conduit
		fi
	done
}

# --- passthrough throughput (suites/bench-passthrough) -------------------------
# Sequential read of the whole NVMe (CONDUIT_TEST_DEVICE) with dd, direct I/O,
# 1 MiB blocks: in L1 natively, in L2 under conduit and in L2 under QEMU with
# vfio-pci (same kernel, initramfs, memory, 1 vCPU). The three setups take
# turns, BENCH_RUNS rounds of L1 / bind / conduit / QEMU / unbind, so that
# the load of the machine (other QEMUs on the same cores) changes all three
# alike; each turn times BENCH_PT_READS reads of BENCH_PASSES whole-disk
# passes. Then guest RAM prefault + DMA-map time of 1, 2 and 4 GiB, conduit
# against QEMU (bench-pt-map-*, below; L1 needs more than 4 GiB: bench.sh).
# Prints
#   BENCH-PT-INFO <disk MiB> <passes>
#   BENCH-DD <l1|conduit|qemu> <MB/s, 10^6 B/s> <round>    one line a read
#   BENCH-PT-EXITS <MMIO> <PIO>       a conduit boot's BAR data exits (MSI-X table apart)
#   BENCH-MAP <MiB> <ms>              a bench-pt boot's DMA-map time (--stats)
BENCH_PASSES=${BENCH_PASSES:-16}
BENCH_PT_READS=${BENCH_PT_READS:-2}
# Bound on one passthrough guest's reads or one launch of a map case (s).
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
	[ -n "$ok" ] || tail -n 15 "$OUT" | tr -cd '\11\12\40-\176' | awk -v p="# $name failed | " '{ print p $0 }'
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

# --- guest RAM prefault + DMA-map time, conduit against QEMU -------------------
# For each backing (bench-pt-map-none, -thp, -2m) and size (BENCH_MAP_MIB),
# in BENCH_MAP_RUNS rounds, four launches (six with 2M) take turns so that the
# load of the machine changes them alike; each is stopped once its setup is done:
#   conduit --passthrough --stats -v --hugepages B: launch to "guest started"
#     (logged after prefault, DMA map and vCPU start), then SIGTERM; --stats
#     gives prefault and map time as conduit measures them
#   the same without --passthrough: conduit's baseline
#   QEMU -S -monitor stdio with prealloc and -device vfio-pci: launch to its
#     answer to "info status" (the monitor answers only from the main loop,
#     after RAM prealloc, vfio realize with its DMA map, and system reset),
#     then "quit"
#   the same without prealloc and vfio-pci: QEMU's baseline
# Wall time minus baseline is what prefault/prealloc, device setup and DMA map
# cost, measured the same way on both sides. Backings: none = conduit's 4 KiB
# pages (MADV_NOHUGEPAGE), QEMU with THP off in sysfs (never) for the case;
# thp = conduit's default (MADV_HUGEPAGE), QEMU's default (it madvises
# MADV_HUGEPAGE too) with -mem-prealloc; 2M = conduit --hugepages 2M, QEMU
# -object memory-backend-memfd,hugetlb=on,hugetlbsize=2M,prealloc=on. Both use
# 2 prefault threads (conduit: one per L1 core; QEMU: -smp 2, as its prealloc
# threads default to the vCPU count, and prealloc-threads=2 on the memfd).
# L1 keeps BENCH_MAP_HEADROOM MiB free: a size that does not fit is skipped
# (for 2M: more pages than L1 would give). With 2M QEMU runs once more as a 1-vCPU
# guest (qemu-smp1: one prealloc thread, QEMU's default for such a guest).
# Prints
#   BENCH-MAPX <backing> <MiB> conduit <prefault ms> <map ms> <wall ms> <baseline ms>
#   BENCH-MAPX <backing> <MiB> qemu|qemu-smp1 - - <wall ms> <baseline ms>
#   BENCH-MAPX-SKIP <backing> <MiB> <why>
BENCH_MAP_MIB=${BENCH_MAP_MIB:-1024 2048 4096}
BENCH_MAP_RUNS=${BENCH_MAP_RUNS:-2}
# What L1 keeps free beside the guest RAM under test (MiB).
BENCH_MAP_HEADROOM=${BENCH_MAP_HEADROOM:-512}
BENCH_HP_POOL=/sys/kernel/mm/hugepages/hugepages-2048kB
BENCH_THP=/sys/kernel/mm/transparent_hugepage/enabled

# map_wait FILE STRING SECONDS PID: like wait_for (0 found, 1 PID gone, 2
# timeout), but polls 10 times a second with shell builtins and sleep only,
# so the poll takes little CPU from the threads being timed.
map_wait() {
	n=$(($3 * 10))
	while :; do
		while IFS= read -r l; do
			case $l in *"$2"*) return 0 ;; esac
		done <"$1"
		if ! kill -0 "$4" 2>/dev/null; then
			grep -qF -- "$2" "$1" && return 0
			return 1
		fi
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 2
		sleep 0.1
	done
}

# map_mem_avail: L1's MemAvailable in MiB.
map_mem_avail() {
	awk '$1 == "MemAvailable:" { print int($2 / 1024) }' /proc/meminfo
}

# map_conduit BACKING MIB [ARGS...]: one conduit launch; sets WALL (ms to
# "guest started", or none) and OUT.
map_conduit() {
	mb=$1 mmib=$2
	shift 2
	OUT=$RUNNER_WORK/$CASE_NAME.out
	: >"$OUT"
	t0=$(now_ms)
	"$CONDUIT_BIN" -v --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory "${mmib}M" --cpus 2 \
		--hugepages "$mb" --cmdline "console=ttyS0 quiet conduit.test=hang" "$@" \
		</dev/null >"$OUT" 2>&1 &
	pid=$!
	map_wait "$OUT" "guest started" "$BENCH_PT_TIMEOUT" "$pid"
	r=$?
	WALL=$(($(now_ms) - t0))
	[ "$r" = 0 ] || WALL=none
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" "$BENCH_PT_TIMEOUT" || fail "conduit $mb $mmib MiB $*: ignored SIGTERM"
	if [ "$WALL" = none ] || [ "$RC" != 143 ]; then
		fail "conduit $mb $mmib MiB $*: exit code $RC, want 143 after 'guest started' (wait: $r)"
		tail -n 8 "$OUT" | tr -cd '\11\12\40-\176' | awk -v p="# conduit $mb $mmib failed | " '{ print p $0 }'
	fi
}

# map_qemu BACKING MIB pt|base VCPUS: one QEMU launch, paused (-S), with
# VCPUS prealloc threads; sets WALL (ms to the monitor's answer, or none) and OUT.
map_qemu() {
	mb=$1 mmib=$2 mkind=$3 msmp=$4
	set -- -enable-kvm -cpu host -machine q35 -smp "$msmp" -m "${mmib}M" -nodefaults -display none \
		-S -monitor stdio
	pre=off
	[ "$mkind" = base ] || pre=on
	if [ "$mb" = 2M ]; then
		set -- "$@" -object "memory-backend-memfd,id=ram0,size=${mmib}M,hugetlb=on,hugetlbsize=2M,prealloc=$pre,prealloc-threads=$msmp" \
			-machine memory-backend=ram0
	elif [ "$pre" = on ]; then
		set -- "$@" -mem-prealloc
	fi
	[ "$pre" = off ] || set -- "$@" -device "vfio-pci,host=$dev"
	OUT=$RUNNER_WORK/$CASE_NAME.out
	fifo=$RUNNER_WORK/$CASE_NAME.fifo
	rm -f "$fifo"
	: >"$OUT"
	mkfifo "$fifo" || { fail "mkfifo failed"; WALL=none; return; }
	exec 3<>"$fifo"
	t0=$(now_ms)
	qemu-system-x86_64 "$@" <"$fifo" >"$OUT" 2>&1 3>&- &
	pid=$!
	echo "info status" >&3
	map_wait "$OUT" "VM status" "$BENCH_PT_TIMEOUT" "$pid"
	r=$?
	WALL=$(($(now_ms) - t0))
	[ "$r" = 0 ] || WALL=none
	echo quit >&3
	wait_exit "$pid" "$BENCH_PT_TIMEOUT" || fail "QEMU $mb $mmib MiB $mkind -smp $msmp: did not quit"
	exec 3>&-
	if [ "$WALL" = none ] || [ "$RC" != 0 ]; then
		fail "QEMU $mb $mmib MiB $mkind -smp $msmp: exit code $RC, want 0 after 'VM status' (wait: $r)"
		tail -n 8 "$OUT" | tr -cd '\11\12\40-\176' | awk -v p="# QEMU $mb $mmib $mkind failed | " '{ print p $0 }'
	fi
}

# bench_map BACKING MAXMIB: BENCH_MAP_RUNS rounds over the sizes up to MAXMIB
# MiB. With 2M, QEMU also runs as a 1-vCPU guest (-smp 1): prealloc-threads
# defaults to the vCPU count, so that is QEMU's own default of one thread.
bench_map() {
	for mib in $BENCH_MAP_MIB; do
		[ "$mib" -le "$2" ] || echo "BENCH-MAPX-SKIP $1 $mib does not fit in L1 (at most $2 MiB)"
	done
	run=0
	while [ "$run" -lt "$BENCH_MAP_RUNS" ]; do
		run=$((run + 1))
		for mib in $BENCH_MAP_MIB; do
			[ "$mib" -le "$2" ] || continue
			map_conduit "$1" "$mib"
			base=$WALL
			map_conduit "$1" "$mib" --passthrough "$dev" --stats
			tr -d '\r' <"$OUT" | grep -a "mapped for DMA in\|opened and set up in" | sed 's/^/# /'
			pf=$(tr -d '\r' <"$OUT" | sed -n "s/.*stats $dev: guest RAM prefaulted in \([0-9.]*\) ms.*/\1/p")
			map=$(tr -d '\r' <"$OUT" | sed -n "s/.*stats $dev: guest RAM DMA-mapped in \([0-9.]*\) ms.*/\1/p")
			[ -n "$map" ] || pf=''
			[ -n "$pf" ] || fail "conduit $1 $mib MiB: no prefault or DMA-map time in --stats"
			echo "BENCH-MAPX $1 $mib conduit ${pf:-none} ${map:-none} $WALL $base"
			[ -n "$qemu" ] || continue
			map_qemu "$1" "$mib" base 2
			base=$WALL
			map_qemu "$1" "$mib" pt 2
			echo "BENCH-MAPX $1 $mib qemu - - $WALL $base"
			[ "$1" = 2M ] || continue
			map_qemu "$1" "$mib" base 1
			base=$WALL
			map_qemu "$1" "$mib" pt 1
			echo "BENCH-MAPX $1 $mib qemu-smp1 - - $WALL $base"
		done
	done
}

# map_setup: dev, qemu and avail (MiB of guest RAM L1 can give), or skips.
map_setup() {
	bench_pt_dev || return 1
	[ "$(pt_driver "$dev")" = vfio-pci ] || { fail "$dev is not on vfio-pci (bench-pt-bind)"; return 1; }
	qemu=$(command -v qemu-system-x86_64) || echo "# no QEMU in L1 (INCLUDE_QEMU=1): no QEMU figures"
	avail=$(($(map_mem_avail) - BENCH_MAP_HEADROOM))
	echo "# L1: MemAvailable $(map_mem_avail) MiB, $BENCH_MAP_HEADROOM MiB kept free"
}

case_bench_pt_map_none() {
	map_setup || return
	# QEMU has no switch for small pages: THP off for the whole case.
	thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$BENCH_THP" 2>/dev/null)
	[ -z "$thp" ] || echo never >"$BENCH_THP"
	bench_map none "$avail"
	[ -z "$thp" ] || echo "$thp" >"$BENCH_THP"
}

case_bench_pt_map_thp() {
	map_setup || return
	echo "# THP: $(cat "$BENCH_THP" 2>/dev/null)"
	bench_map thp "$avail"
}

# 2M: the pool is reserved for the largest size that fits, and emptied after.
case_bench_pt_map_2m() {
	map_setup || return
	[ -d "$BENCH_HP_POOL" ] || { skip "no 2 MiB hugepage pool in L1"; return; }
	want=0
	for mib in $BENCH_MAP_MIB; do
		[ "$mib" -gt "$avail" ] || [ "$mib" -le "$want" ] || want=$mib
	done
	echo $((want / 2)) >"$BENCH_HP_POOL/nr_hugepages"
	got=$(cat "$BENCH_HP_POOL/free_hugepages")
	echo "# 2M pool: $got of $((want / 2)) pages reserved ($((got * 2)) MiB)"
	bench_map 2M $((got * 2))
	echo 0 >"$BENCH_HP_POOL/nr_hugepages"
	[ "$(cat "$BENCH_HP_POOL/nr_hugepages")" = 0 ] || fail "2M pool not released: $(cat "$BENCH_HP_POOL/nr_hugepages") pages"
}

case_bench_pt_unbind() {
	bench_pt_dev || return
	unbind_case "$dev"
}

# --- the two IOMMU backends: map time and pinned-page accounting -------------
# bench-backends (suites/bench-iommufd, an L1 on the project kernel): for each
# size in BENCH_BACKEND_MIB, BENCH_BACKEND_RUNS rounds, the four setups taking
# turns: --vfio-backend legacy and iommufd, each with the NVMe alone and with
# the NVMe and the pci-serial card (two IOMMU groups). Each conduit is
# stopped (SIGTERM) once "guest started" is logged, after the DMA map; just
# before, the host's accounting of its pinned pages is read from
# /proc/PID/status: type1 charges locked_vm (VmLck), IOMMUFD pinned_vm
# (VmPin) of the process (and, in its default rlimit mode, the user's
# locked_vm, which /proc does not show). Prints
#   BENCH-BACKEND <backend> <devices> <MiB> <prefault ms> <map ms> <VmLck KiB> <VmPin KiB>
BENCH_BACKEND_MIB=${BENCH_BACKEND_MIB:-1024 2048}
BENCH_BACKEND_RUNS=${BENCH_BACKEND_RUNS:-2}

# backend_status PID FIELD: FIELD (VmLck, VmPin) of PID in KiB, or none.
backend_status() {
	awk -v f="$2:" '$1 == f { print $2; found = 1 } END { if (!found) print "none" }' \
		"/proc/$1/status" 2>/dev/null || echo none
}

# backend_run BACKEND NDEV MIB: one launch, one BENCH-BACKEND line.
backend_run() {
	bk=$1 nd=$2 bmib=$3
	set -- --passthrough "$dev"
	[ "$nd" = 1 ] || set -- "$@" --passthrough "$io"
	OUT=$RUNNER_WORK/$CASE_NAME.out
	: >"$OUT"
	"$BACKEND_BIN" -v --stats --vfio-backend "$bk" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" \
		--memory "${bmib}M" --cpus 1 --cmdline "console=ttyS0 quiet conduit.test=hang" "$@" \
		</dev/null >"$OUT" 2>&1 &
	pid=$!
	map_wait "$OUT" "guest started" "$BENCH_PT_TIMEOUT" "$pid"
	r=$?
	lck=$(backend_status "$pid" VmLck)
	pin=$(backend_status "$pid" VmPin)
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" "$BENCH_PT_TIMEOUT" || fail "conduit $bk $nd $bmib MiB: ignored SIGTERM"
	if [ "$r" != 0 ] || [ "$RC" != 143 ]; then
		fail "conduit $bk $nd device(s) $bmib MiB: exit code $RC, want 143 after 'guest started' (wait: $r)"
		tail -n 8 "$OUT" | tr -cd '\11\12\40-\176' | awk -v p="# conduit $bk $nd failed | " '{ print p $0 }'
		return
	fi
	grep -aq "vfio: backend $bk" "$OUT" || fail "conduit $bk: the log does not name the $bk backend"
	pf=$(tr -d '\r' <"$OUT" | sed -n "s/.*stats $dev: guest RAM prefaulted in \([0-9.]*\) ms.*/\1/p")
	map=$(tr -d '\r' <"$OUT" | sed -n "s/.*stats $dev: guest RAM DMA-mapped in \([0-9.]*\) ms.*/\1/p")
	[ -n "$pf" ] && [ -n "$map" ] || fail "conduit $bk $nd $bmib MiB: no prefault or DMA-map time in --stats"
	echo "BENCH-BACKEND $bk $nd $bmib ${pf:-none} ${map:-none} $lck $pin"
}

case_bench_backends() {
	bench_pt_dev || return
	pt_io || return
	[ -c /dev/iommu ] || { fail "no /dev/iommu: suites/bench-iommufd needs the project kernel (NESTED_L1_KERNEL=project)"; return; }
	for d in "$dev" "$io"; do
		[ "$(pt_driver "$d")" = vfio-pci ] || { fail "$d is not on vfio-pci"; return; }
	done
	# The real binary: the backend is what this case varies.
	BACKEND_BIN=${REAL_CONDUIT_BIN:-$CONDUIT_BIN}
	run=0
	while [ "$run" -lt "$BENCH_BACKEND_RUNS" ]; do
		run=$((run + 1))
		for mib in $BENCH_BACKEND_MIB; do
			for nd in 1 2; do
				backend_run legacy "$nd" "$mib"
				backend_run iommufd "$nd" "$mib"
			done
		done
	done
}
