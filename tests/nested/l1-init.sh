#!/bin/sh
# tests/nested/l1-init.sh - /init of the L1 initramfs (busybox sh). Owns bringing
# L1 up (mounts, module loading, /dev/kvm check) and handing over according to
# the kernel command line, then powering L1 off:
#   conduit.mode=test   (default) run /nested/runner.sh on conduit.suite=NAME
#                       (default basic) or conduit.cases=a,b,c
#   conduit.mode=shell  an interactive shell on the console
#   conduit.mode=demo   conduit (or QEMU) on the default L2 guest, console attached
#   conduit.vmm=conduit|qemu   the L1 VMM the runner drives (qemu = stand-in)
#   conduit.verbose=1   the runner prints every case's whole VMM output

echo CONDUIT-L1-INIT
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1

echo "L1-UPTIME-INIT=$(cut -d' ' -f1 /proc/uptime)"

for m in $(cat /lib/modules/order); do
	insmod "/lib/modules/$m" || echo "L1-ERROR: insmod $m failed"
done
[ -c /dev/kvm ] || echo "L1-ERROR: no /dev/kvm after loading kvm modules"
echo "L1-UPTIME-MODULES=$(cut -d' ' -f1 /proc/uptime)"

# L1's KVM takes the TSC rate of the kernel's early calibration (built in,
# or loaded before the refined calibration a second or more later). When the
# refined rate is higher by more than KVM's 250 ppm tolerance, KVM cannot
# give an L2 vCPU that rate on QEMU's emulated SVM (no TSC scaling): every
# vCPU creation logs "user requested TSC rate below hardware speed" and the
# L2 guests' timers misfire (seen: L2s whose poweroff stalled for 30 s, RCU
# "Possible timer handling issue", in every passthrough case of that L1).
# Under TCG on a loaded host the early calibration is that far off now and
# then. Such an L1 says L1-TSC-MISMATCH and stops; run.sh boots another.
tsc_check() {
	i=0
	while ! dmesg | grep -q 'Refined TSC clocksource calibration\|Marking TSC unstable' &&
	      [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# "Detected N MHz TSC" when the TSC's rate is not the CPU's (as with
	# tsc_early_khz=), else "Detected N MHz processor" is both.
	early=$(dmesg | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz TSC.*/\1/p' | head -n 1)
	[ -n "$early" ] ||
		early=$(dmesg | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | head -n 1)
	refined=$(dmesg | sed -n 's/.*Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' | head -n 1)
	[ -n "$early" ] && [ -n "$refined" ] || return 0
	ppm=$(awk -v a="$early" -v b="$refined" 'BEGIN { printf "%d", (b - a) / a * 1e6 }')
	echo "L1-TSC: early $early MHz, refined $refined MHz ($ppm ppm)"
	[ "$ppm" -le 250 ] && return 0
	echo "L1-TSC-MISMATCH: refined TSC rate $ppm ppm above the one KVM took: L2 timers would misfire"
	return 1
}

MODE=test SUITE=basic CASES='' VMM=conduit
for w in $(cat /proc/cmdline); do
	case $w in
	conduit.mode=*) MODE=${w#*=} ;;
	conduit.suite=*) SUITE=${w#*=} ;;
	conduit.cases=*) CASES=$(echo "${w#*=}" | tr , ' ') ;;
	conduit.resumed=1) export NESTED_RESUMED=1 ;;
	conduit.vmm=*) VMM=${w#*=} ;;
	conduit.verbose=*) export RUNNER_VERBOSE=${w#*=} ;;
	conduit.diskmd5=*) export DISK_MD5=${w#*=} ;;
	conduit.benchruns=*) export BENCH_RUNS=${w#*=} ;;
	conduit.backend=*) export CONDUIT_VFIO_BACKEND=${w#*=} ;;
	conduit.sanitize=1)
		# conduit built with ASan and UBSan: stop at the first report.
		# Leak checking stays in `make check-sanitize`: LSan's exit-time
		# scan uses ptrace, which the seccomp sandbox refuses.
		export ASAN_OPTIONS=abort_on_error=1:detect_leaks=0
		export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
		;;
	esac
done

export CONDUIT_VMM=$VMM CONDUIT_BIN=/usr/bin/conduit CONDUIT_TEST_DEVICE=0000:00:03.0
# QEMU's pci-serial: a 16550 behind an I/O-port BAR, INTx only; what L2
# writes to it is checked on L0 in the chardev file.
export CONDUIT_TEST_IO_DEVICE=0000:00:04.0
# QEMU's vmxnet3 on L0's user network (DHCP only, restrict=on): passed
# through with its MSI-X hidden (msix=off), L2's driver falls back to MSI.
export CONDUIT_TEST_MSI_DEVICE=0000:00:06.0
# QEMU's ivshmem-plain: an 8 GiB 64-bit BAR backed by a sparse file on L0.
export CONDUIT_TEST_BIG_BAR_DEVICE=0000:00:07.0
# QEMU's secondary-vga with 512 MiB of video memory: a 32-bit BAR that
# fills conduit's whole 32-bit window, so its next BAR cannot fit
# (cases-scale.sh). L1 has no driver for it.
export CONDUIT_TEST_BAR32_DEVICE=0000:00:09.0
# QEMU's e1000e with its iPXE option ROM (efi-e1000e.rom): the firmware runs
# the ROM of a passed-through device (cases-firmware.sh).
export CONDUIT_TEST_ROM_DEVICE=0000:00:08.0
# Two more pci-serial cards behind a pci-bridge (00:05.0): one IOMMU group,
# both on the serial driver; cases-errors.sh binds only the first.
export CONDUIT_TEST_GROUP_DEVICE=0000:01:01.0 CONDUIT_TEST_GROUP_PEER=0000:01:02.0
export L2_KERNEL=/nested/l2/vmlinuz L2_INITRD=/nested/l2/initrd.cpio.gz

case $MODE in
test)
	if ! tsc_check; then
		:       # run.sh sees L1-TSC-MISMATCH and boots another L1
	elif [ -n "$CASES" ]; then
		/nested/runner.sh --cases "$CASES"
	else
		/nested/runner.sh --suite "/nested/suites/$SUITE"
	fi
	echo "L1-RUNNER-EXIT=$?"
	# L1 boots quiet: its clock and stall messages, for a post-mortem.
	dmesg | grep -i -E 'tsc|clocksource|rcu.*stall|watchdog|lockup|hung_task' |
		tail -n 12 | sed 's/^/# L1 dmesg: /'
	;;
shell)
	echo "L1 shell: conduit is /usr/bin/conduit, the L2 kernel and initramfs are in"
	echo "/nested/l2, /nested/runner.sh runs cases; exit the shell to power off."
	setsid cttyhack sh -l
	;;
demo)
	tsc_check || echo "L1-WARNING: the guest's timers may misfire in this L1; run again if it stalls"
	/nested/runner.sh --demo
	;;
*) echo "L1-ERROR: unknown conduit.mode=$MODE" ;;
esac
echo CONDUIT-L1-DONE
poweroff -f
sleep 10
