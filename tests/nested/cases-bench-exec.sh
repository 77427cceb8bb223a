# tests/nested/cases-bench-exec.sh - `conduit exec`'s boot-to-command
# benchmark (suites/bench-exec, issue 17 point 5), sourced by runner.sh;
# bench.sh BENCH_SUITE=bench-exec prints its table.
#
# Every VMM boots the same kernel (L2_KERNEL, Debian's cloud kernel) and
# the same initramfs: the one conduit exec builds, written out by
# `conduit exec --dump-initramfs` (the command `true`; virtio_mmio added
# with --module for QEMU microvm: Debian's cloud kernel has it as a module,
# CONFIG_VIRTIO_MMIO=m, and microvm's virtio devices sit on virtio-mmio).
# The same init (boot/exec_init.sh) runs in each: it loads the modules,
# waits for hvc0 and ttyS1, says "conduit-exec: running the command" on
# the console (ttyS0), runs `true` and reports its status on port 0x501.
#   conduit-exec   conduit exec -v (builds the archive itself, as a user's
#                  run does; -v echoes the console to stderr)
#   conduit-plain  conduit -v --initrd THE_DUMP --cmdline (exec's): no exit
#                  port and no second UART (ttyS1 is there but dead), so the
#                  guest ends with its init's poweroff -f
#   qemu-q35       QEMU q35 (SeaBIOS), virtio-serial-pci + virtconsole (hvc0),
#                  COM1 (console) and an isa-serial at 0x2f8 (ttyS1),
#                  isa-debug-exit at 0x501
#   qemu-microvm   QEMU microvm (qboot, ACPI: the kernel finds virtio-mmio as
#                  LNRO0005 in the DSDT, no virtio_mmio.device= needed),
#                  virtio-serial-device + virtconsole, its isa-serial
#                  (COM1) and one more at 0x2f8, isa-debug-exit at 0x501
#   qemu-microvm-rtc  the same with rtc=on: by default microvm's guest finds
#                  no RTC ("rtc_cmos: broken or not accessible") 3.9 s after
#                  the line before it in a trace boot
# Boot to command is launch to the marker in the console's file, polled the
# same way for all; total is launch to the VMM's exit. BENCH_RUNS rounds,
# the four taking turns (each round starts one further along the list), so
# the load of the machine falls on all alike. Prints per boot
#   BENCH-EXEC <vmm> <round> <boot ms|none> <total ms|none> <own KiB|-> <conduit's own ms|->
# (own KiB: conduit's -v "conduit's own N KiB", peak RSS minus resident
# guest RAM; conduit's own ms: exec's -v "the command started N ms after
# conduit did", from after it built the initramfs), and BENCH-EXEC-INFO
# <initramfs bytes> <MiB> <vCPUs> <rounds>.

BENCH_BOOT_TIMEOUT=${BENCH_BOOT_TIMEOUT:-150}
BENCH_EXEC_CMDLINE="console=ttyS0 quiet panic=-1 rdinit=/init"
BENCH_EXEC_MARK="conduit-exec: running the command"
BENCH_EXEC_VMMS="conduit-exec conduit-plain qemu-q35 qemu-microvm qemu-microvm-rtc"

# exec_bench_boot NAME MARKFILE WANT_RCS COMMAND... (WANT_RCS: 0, 1 or 1|0): one timed boot, its
# stdout in BE_OUT and stderr in BE_ERR (MARKFILE: the one with the guest's
# console); sets BOOT and TOTAL (ms or none) and fails the case on anything
# but the marker and exit code WANT_RC, showing the output's tail. A QEMU
# peer's boot that misses is shown and left out of its median (its count
# of misses is in the table), not a failure of conduit's: only conduit's
# own boots fail the case.
be_fail() {
	case $name in
	qemu-*) echo "# $* (a peer's miss: shown as none, not counted)" ;;
	*) fail "$*" ;;
	esac
}

exec_bench_boot() {
	name=$1 mark=$2 want=$3
	shift 3
	: >"$BE_OUT"
	: >"$BE_ERR"
	t0=$(now_ms)
	# The archive carries the working directory: every VMM starts there.
	(cd "$RUNNER_WORK" && exec "$@") </dev/null >"$BE_OUT" 2>"$BE_ERR" &
	pid=$!
	if wait_for "$mark" "$BENCH_EXEC_MARK" "$BENCH_BOOT_TIMEOUT" "$pid"; then
		BOOT=$(($(now_ms) - t0))
	else
		BOOT=none
	fi
	ok=1
	wait_exit "$pid" "$EXIT_TIMEOUT" || { be_fail "$name round $round: still running ${EXIT_TIMEOUT}s after the marker, killed"; ok=''; }
	TOTAL=$(($(now_ms) - t0))
	[ "$BOOT" != none ] || { be_fail "$name round $round: no '$BENCH_EXEC_MARK' (exit code $RC)"; ok=''; }
	case "|$want|" in *"|$RC|"*) ;; *) false ;; esac || { be_fail "$name round $round: exit code $RC, want $want"; ok=''; }
	[ -n "$ok" ] || TOTAL=none
	[ -n "$ok" ] || for f in "$BE_OUT" "$BE_ERR"; do
		[ -s "$f" ] && tail -n 12 "$f" | tr -cd '\11\12\40-\176' | awk -v p="# $name round $round failed ($(basename "$f")) | " '{ print p $0 }'
	done
}

# be_line FIELDS: the boot's BENCH-EXEC line (none for the trace boots).
be_line() {
	[ "$round" = trace ] || echo "BENCH-EXEC $*"
}

bench_exec_conduit() {
	exec_bench_boot conduit-exec "$BE_ERR" 0 "$CONDUIT_BIN" exec -v --kernel "$L2_KERNEL" \
		--modules "$BE_MODULES" --module virtio_mmio --memory "${L2_MEMORY}M" --cpus 1 \
		${BE_EXTRA:+--cmdline "$BE_EXTRA"} -- true
	grep -qF "exec: the command exited with status 0" "$BE_ERR" ||
		fail "conduit-exec round $round: no 'the command exited with status 0'"
	own=$(tr -d '\r' <"$BE_ERR" | sed -n "s/.*conduit's own \(-*[0-9]*\) KiB.*/\1/p")
	self=$(tr -d '\r' <"$BE_ERR" | sed -n 's/.*the command started \([0-9]*\) ms after conduit did.*/\1/p')
	be_line "conduit-exec $round $BOOT $TOTAL ${own:--} ${self:--}"
}

bench_exec_plain() {
	exec_bench_boot conduit-plain "$BE_OUT" 0 "$CONDUIT_BIN" -v --kernel "$L2_KERNEL" \
		--initrd "$BE_CPIO" --cmdline "$BENCH_EXEC_CMDLINE${BE_EXTRA:+ $BE_EXTRA}" --memory "${L2_MEMORY}M" --cpus 1
	own=$(tr -d '\r' <"$BE_ERR" | sed -n "s/.*conduit's own \(-*[0-9]*\) KiB.*/\1/p")
	be_line "conduit-plain $round $BOOT $TOTAL ${own:--} -"
}

# QEMU's isa-debug-exit exits with (value << 1) | 1: the report's
# 0xc0de5e00 | 0 gives 1. Under q35 here the report's OUT, allowed by
# ioperm, takes a general protection fault in every boot (the guest's
# "traps: report[N] general protection fault" at the OUT; not with
# microvm or conduit; not with q35 under TCG alone; -machine smm=off
# changes nothing): the guest then ends with its init's poweroff -f, so
# q35's end is exit code 1 or 0 after "cannot report exit status".
bench_exec_qemu() {
	name=qemu-$1 mach=$1 want=1 vser=virtio-serial-device
	case $1 in
	q35) vser=virtio-serial-pci want='1|0' ;;
	microvm-rtc) mach=microvm,rtc=on ;;
	esac
	exec_bench_boot "$name" "$BE_OUT" "$want" qemu-system-x86_64 -enable-kvm -cpu host -machine "$mach" \
		-m "$L2_MEMORY" -smp 1 -nodefaults -display none -no-reboot \
		-kernel "$L2_KERNEL" -initrd "$BE_CPIO" -append "$BENCH_EXEC_CMDLINE${BE_EXTRA:+ $BE_EXTRA}" \
		-serial stdio -chardev "file,id=err,path=$BE_TTYS1" -device isa-serial,chardev=err,iobase=0x2f8,irq=3 \
		-device "$vser" -chardev "file,id=out,path=$BE_HVC" -device virtconsole,chardev=out \
		-device isa-debug-exit,iobase=0x501,iosize=4
	if [ "$RC" = 0 ] && [ "$1" = q35 ]; then
		if grep -aq "cannot report exit status 0" "$BE_OUT"; then
			echo "# $name round $round: the report's OUT faulted; ended by the guest's poweroff"
		else
			fail "$name round $round: exit code 0 without the report's fault"
		fi
	fi
	be_line "$name $round $BOOT $TOTAL - -"
}

case_bench_exec() {
	command -v qemu-system-x86_64 >/dev/null || { skip "no QEMU in L1 (INCLUDE_QEMU=1)"; return; }
	BE_MODULES=$(ls -d /nested/l2/modules/* 2>/dev/null | head -n 1)
	[ -n "$BE_MODULES" ] || { skip "no /nested/l2/modules/RELEASE in this L1"; return; }
	BE_OUT=$RUNNER_WORK/$CASE_NAME.out
	BE_ERR=$RUNNER_WORK/$CASE_NAME.err
	BE_HVC=$RUNNER_WORK/$CASE_NAME.hvc0
	BE_TTYS1=$RUNNER_WORK/$CASE_NAME.ttyS1
	BE_CPIO=$RUNNER_WORK/bench-exec.cpio
	OUT=$BE_ERR
	for f in "$BE_CPIO" "$BE_CPIO.2"; do
		(cd "$RUNNER_WORK" && exec "$CONDUIT_BIN" exec --kernel "$L2_KERNEL" --modules "$BE_MODULES" --module virtio_mmio \
			--dump-initramfs "$f" -- true) >"$BE_ERR" 2>&1 </dev/null ||
			{ fail "conduit exec --dump-initramfs: $(head -c 300 "$BE_ERR")"; return; }
	done
	# The same input gives the same bytes: what conduit-exec boots is this.
	cmp -s "$BE_CPIO" "$BE_CPIO.2" || { fail "two --dump-initramfs runs differ"; return; }
	echo "BENCH-EXEC-INFO $(wc -c <"$BE_CPIO") $L2_MEMORY 1 $BENCH_RUNS"
	round=0
	while [ "$round" -lt "$BENCH_RUNS" ]; do
		round=$((round + 1))
		# shellcheck disable=SC2086 # the list, rotated
		set -- $BENCH_EXEC_VMMS
		n=$(((round - 1) % $#))
		while [ "$n" -gt 0 ]; do
			set -- "$@" "$1"
			shift
			n=$((n - 1))
		done
		for vmm in "$@"; do
			bench_exec_one "$vmm"
		done
	done
	# Where each boot spends its time: one more boot each, not counted,
	# with the kernel's messages (loglevel=7 after exec's quiet).
	round=trace BE_EXTRA=loglevel=7
	for vmm in $BENCH_EXEC_VMMS; do
		bench_exec_one "$vmm"
		con=$BE_OUT
		[ "$vmm" != conduit-exec ] || con=$BE_ERR
		bench_exec_gaps "$vmm" "$con"
	done
	BE_EXTRA=''
}

bench_exec_one() {
	case $1 in
	conduit-exec) bench_exec_conduit ;;
	conduit-plain) bench_exec_plain ;;
	qemu-q35) bench_exec_qemu q35 ;;
	qemu-microvm) bench_exec_qemu microvm ;;
	qemu-microvm-rtc) bench_exec_qemu microvm-rtc ;;
	esac
}

# bench_exec_gaps NAME CONSOLE: the kernel's first and last timestamped
# lines, each gap of BENCH_EXEC_GAP s or more between two (the lines on
# either side), and the marker, as "# trace NAME | ..." lines.
BENCH_EXEC_GAP=${BENCH_EXEC_GAP:-0.4}
bench_exec_gaps() {
	echo "# trace $1: launch to marker $BOOT ms, to exit $TOTAL ms; kernel lines around gaps >= ${BENCH_EXEC_GAP}s:"
	tr -d '\r' <"$2" | tr -cd '\11\12\40-\176' | awk -v g="$BENCH_EXEC_GAP" -v n="$1" -v m="$BENCH_EXEC_MARK" '
	function show(l) { print "# trace " n " | " l }
	/^\[ *[0-9]+\.[0-9]+\]/ {
		t = substr($0, 2, index($0, "]") - 2) + 0
		if (!seen++) show($0)
		else if (t - pt >= g) { show(prev); show($0 "   (+" sprintf("%.2f", t - pt) " s)") }
		pt = t; prev = $0; next
	}
	index($0, m) { show(prev); show($0); marked = 1 }
	END { if (seen && !marked) show("last: " prev) }'
}
