#!/bin/sh
# tests/nested/arm64/l1-init.sh - /init of the arm64 L1 initramfs (busybox sh).
# Owns bringing the arm64 L1 up (mounts, the VFIO modules, /dev/kvm check),
# giving the emulated NVMe (0000:00:02.0) to vfio-pci, and handing over
# according to the kernel command line, then powering L1 off:
#   conduit.mode=exec   run /nested/exec/prog with the words of /nested/exec/args,
#                       print L1-EXEC-EXIT=rc (run.sh --exec)
#   conduit.mode=test   (default) /nested/runner.sh on conduit.suite=NAME
#                       (default arm64) or conduit.cases=a,b,c
#   conduit.mode=shell  an interactive shell on the console
#   conduit.vmm=conduit|qemu   the VMM the runner drives (qemu = stand-in)
#   conduit.diskmd5=MD5 the NVMe image's md5 on L0
#   conduit.verbose=1   the runner prints every case's whole VMM output
#   conduit.backend=iommufd|legacy  every conduit run gets --vfio-backend (runner.sh)

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
[ -c /dev/kvm ] || echo "L1-ERROR: no /dev/kvm"
dmesg | grep -m 1 -E 'kvm.*(VHE|Hyp) mode' | sed -e 's/^\[[ 0-9.]*\] *//' -e 's/^/L1-KVM: /'

NVME=0000:00:02.0
# vfio_bind BDF: driver_override, unbind from any driver, probe again.
vfio_bind() {
	d=/sys/bus/pci/devices/$1
	[ -d "$d" ] || { echo "L1-ERROR: no PCI device $1"; return 1; }
	echo vfio-pci >"$d/driver_override"
	[ ! -e "$d/driver" ] || echo "$1" >"$d/driver/unbind"
	echo "$1" >/sys/bus/pci/drivers_probe
	drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	[ "$drv" = vfio-pci ] || { echo "L1-ERROR: $1 is on '$drv' after binding, not vfio-pci"; return 1; }
	echo "L1-VFIO: $1 on vfio-pci, IOMMU group $(basename "$(readlink "$d/iommu_group")")"
}
vfio_bind "$NVME"
[ ! -c /dev/iommu ] || echo "L1-IOMMUFD: /dev/iommu $(ls /dev/vfio/devices 2>/dev/null | tr '\n' ' ')"
echo "L1-UPTIME-READY=$(cut -d' ' -f1 /proc/uptime)"

MODE=test SUITE=arm64 CASES='' VMM=conduit
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
	esac
done

export CONDUIT_VMM=$VMM CONDUIT_BIN=/usr/bin/conduit CONDUIT_TEST_DEVICE=$NVME
export L2_KERNEL=/nested/l2/Image L2_INITRD=/nested/l2/initrd.cpio.gz

case $MODE in
exec)
	echo "L1-EXEC: $(ls -l /dev/kvm 2>&1)"
	echo "L1-EXEC: $(ls /dev/vfio 2>&1 | tr '\n' ' ')"
	echo "L1-EXEC: running /nested/exec/prog $(cat /nested/exec/args)"
	# shellcheck disable=SC2046
	(cd /nested/exec && ./prog $(cat args))
	echo "L1-EXEC-EXIT=$?"
	;;
test)
	if [ -n "$CASES" ]; then
		/nested/runner.sh --cases "$CASES"
	else
		/nested/runner.sh --suite "/nested/suites/$SUITE"
	fi
	echo "L1-RUNNER-EXIT=$?"
	;;
shell)
	echo "L1 shell: conduit is /usr/bin/conduit (if given), L2 in /nested/l2,"
	echo "the NVMe $NVME is on vfio-pci; exit the shell to power off."
	setsid cttyhack sh -l
	;;
*) echo "L1-ERROR: unknown conduit.mode=$MODE" ;;
esac
echo CONDUIT-L1-DONE
poweroff -f
sleep 10
