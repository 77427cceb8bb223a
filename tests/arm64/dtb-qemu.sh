#!/bin/bash
# tests/arm64/dtb-qemu.sh - boots Debian's arm64 kernel under QEMU's virt
# machine (TCG, GICv3 + ITS) on the device tree conduit builds for an
# arm64 guest (build/arm64-dtb-tool), and checks what the kernel made of
# it: the model, PSCI, both vCPUs up, the GIC and ITS, the PCI host
# bridge's three windows, MSI-X through the ITS by msi-map (virtio-rng),
# INTx by interrupt-map (a pci-serial card in slot 2: GIC INTID 37) and
# PSCI SYSTEM_OFF. No KVM needed; about 40 s under TCG.
#
# The one change to conduit's map: QEMU 7.2 has its ECAM at 0x40_1000_0000
# with highmem on (and no option to move it), so the tool moves the ECAM
# alone (--qemu-ecam). The UART is a PL011 in QEMU: the kernel's messages
# come through earlycon, the console is the pci-serial card.
#
# Inputs (by default the nested arm64 harness's: Debian's arm64 kernel
# package and busybox-static, fetched once into its cache by
# tests/nested/arm64/lib.sh, apt-get download + dpkg -x):
#   A64_KERNEL   an arm64 Image           A64_BUSYBOX  a static arm64 busybox
#   A64_MODULES  lib/modules/VERSION/kernel of that kernel (virtio_pci, virtio-rng)
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
QEMU=${QEMU:-qemu-system-aarch64}
TIMEOUT=${DTB_QEMU_TIMEOUT:-300}
if [ -z "${A64_KERNEL:-}" ] || [ -z "${A64_BUSYBOX:-}" ] || [ -z "${A64_MODULES:-}" ]; then
	# shellcheck source=SCRIPTDIR/../nested/arm64/lib.sh
	. "$REPO/tests/nested/arm64/lib.sh"
	a64_apt_ready
	a64_kernel
	A64_KERNEL=${A64_KERNEL:-$A64_IMAGE}
	A64_MODULES=${A64_MODULES:-$MODULES_DIR/kernel}
	A64_BUSYBOX=${A64_BUSYBOX:-$(a64_deb busybox-static)/root/bin/busybox}
fi

die() { echo "dtb-qemu: error: $*" >&2; exit 1; }
[ -f "$A64_KERNEL" ] || die "no arm64 kernel (set A64_KERNEL)"
[ -f "$A64_BUSYBOX" ] || die "no arm64 busybox (set A64_BUSYBOX)"
[ -d "$A64_MODULES" ] || die "no arm64 modules (set A64_MODULES)"
command -v "$QEMU" >/dev/null || die "no $QEMU (Debian's qemu-system-arm)"
make -C "$REPO" -s build/arm64-dtb-tool || die "cannot build arm64-dtb-tool"

WORK=$(mktemp -d /tmp/conduit-dtb-qemu.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
mkdir -p "$ROOT"/bin "$ROOT"/proc "$ROOT"/sys "$ROOT"/dev "$ROOT"/m
cp "$A64_BUSYBOX" "$ROOT"/bin/busybox
for m in virtio/virtio_pci_legacy_dev virtio/virtio_pci_modern_dev virtio/virtio_pci \
	 char/hw_random/virtio-rng; do
	cp "$A64_MODULES/drivers/$m.ko" "$ROOT"/m/ || die "no module $m.ko"
done
cat > "$ROOT"/init <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc p /proc; mount -t sysfs s /sys; mount -t devtmpfs d /dev
log() { echo "DTBQ $*" > /dev/kmsg; }
for m in virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio-rng; do
	insmod /m/$m.ko || log "insmod $m failed"
done
log "cpus-online=$(cat /sys/devices/system/cpu/online)"
log "hwrng-bytes=$(dd if=/dev/hwrng bs=16 count=4 2>/dev/null | wc -c)"
for i in 1 2 3 4 5 6 7 8; do echo "dtbq-intx-line-$i" > /dev/ttyS0; done
sleep 1
grep -E "ITS-MSI|GICv3" /proc/interrupts | while read -r l; do log "irq $l"; done
log "done"
poweroff -f
INIT
chmod +x "$ROOT"/init
(cd "$ROOT" && find . | cpio -o -H newc 2>/dev/null | gzip > "$WORK"/initrd.gz) || die "cpio"

CMDLINE="earlycon=pl011,0x9000000 keep_bootcon console=ttyS0 panic=-1"
"$REPO"/build/arm64-dtb-tool --qemu-ecam "$A64_KERNEL" "$WORK"/guest.dtb 1024 2 \
	"$(stat -c %s "$WORK"/initrd.gz)" "$CMDLINE" >/dev/null || die "arm64-dtb-tool failed"
timeout "$TIMEOUT" "$QEMU" -M virt,gic-version=3 -cpu max,pauth-impdef=on -smp 2 -m 1024 \
	-nographic -no-reboot -nic none -dtb "$WORK"/guest.dtb -kernel "$A64_KERNEL" \
	-initrd "$WORK"/initrd.gz -append "$CMDLINE" -device virtio-rng-pci \
	-chardev file,id=ps,path="$WORK"/ttyS0.out -device pci-serial,chardev=ps \
	> "$WORK"/console.log 2>&1
rc=$?
tr -d '\r' < "$WORK"/console.log > "$WORK"/console.txt

pass=0 fail=0
check() {       # check NAME COMMAND...
	local name=$1
	shift
	if "$@"; then
		echo "ok - $name"
		pass=$((pass + 1))
	else
		echo "not ok - $name"
		fail=$((fail + 1))
	fi
}
has() { grep -aqE "$1" "$WORK"/console.txt; }
# The count column(s) of an /proc/interrupts line the guest logged, summed.
irq_count() {
	grep -aE "DTBQ irq .*$1" "$WORK"/console.txt | head -1 |
		awk '{ s = 0; for (i = 5; i <= 6; i++) s += $i; print s }'
}
positive() { [ "${1:-0}" -gt 0 ] 2>/dev/null; }

check "QEMU exited 0 (rc $rc)" test "$rc" -eq 0
check "the kernel took conduit's tree (Machine model: conduit)" has 'Machine model: conduit$'
check "PSCI from the tree (its version call by hvc answered)" has 'psci: PSCIv[0-9.]+ detected in firmware'
check "both vCPUs up by PSCI CPU_ON" has 'smp: Brought up 1 node, 2 CPUs'
check "cpus online 0-1" has 'DTBQ cpus-online=0-1$'
check "GICv3 redistributor of CPU1 found" has 'GICv3: CPU1: found redistributor 1 region 0:0x00000000080c0000'
check "the ITS found at 0x8080000" has 'ITS \[mem 0x08080000-0x0809ffff\]'
check "PCI I/O window" has 'IO 0x003eff0000\.\.0x003effffff -> 0x0000000000'
check "PCI 32-bit window" has 'MEM 0x0010000000\.\.0x003efeffff -> 0x0010000000'
check "PCI 64-bit window" has 'MEM 0x8000000000\.\.0xffffffffff -> 0x8000000000'
check "virtio-rng read through MSI-X" has 'DTBQ hwrng-bytes=64$'
check "MSI-X interrupts through the ITS (msi-map)" positive "$(irq_count 'ITS-MSI [0-9]+ Edge +virtio0-input')"
check "INTx of slot 2 on GIC INTID 37 (interrupt-map swizzle)" positive "$(irq_count 'GICv3 +37 Level +ttyS0')"
check "the pci-serial got all 8 lines" test "$(grep -c '^dtbq-intx-line-' "$WORK"/ttyS0.out 2>/dev/null)" = 8
check "PSCI SYSTEM_OFF" has 'reboot: Power down'
if [ "$fail" -ne 0 ]; then
	echo "--- console (last 60 lines)"
	tail -60 "$WORK"/console.txt
fi
echo "dtb-qemu: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
