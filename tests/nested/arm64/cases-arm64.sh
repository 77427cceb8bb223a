# tests/nested/arm64/cases-arm64.sh - conduit's cases on an arm64 host, for
# suites/arm64, sourced by ../runner.sh inside the arm64 L1 (l1-init.sh gave
# the NVMe, CONDUIT_TEST_DEVICE=0000:00:02.0, to vfio-pci). Owns: 2 vCPUs,
# virtio-console both ways, the NVMe passed through (md5 of the whole disk
# against L0's image, MSI-X vectors counting through the GICv3 ITS, 0 BAR data
# exits in --stats), poweroff and reboot, --dump-dtb, and the one-line errors (a file that
# is not an arm64 Image, a device on another driver, no such device).
# Every marker checked is one only L2's agent (../l2-init.sh) or conduit prints.
# With CONDUIT_VMM=qemu (QEMU -M virt as the stand-in, checking the cases
# themselves) what only conduit prints is not checked, and its error cases skip.

# The pci-serial card L0 puts at 00:03.0, on L1's 8250_pci driver ("serial").
A64_OTHER_DEVICE=${A64_OTHER_DEVICE:-0000:00:03.0}

a64_driver() {
	basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null
}

# a64_fails WANT_RC PATTERN ARGS...: conduit (no guest starts) exits WANT_RC
# with one line of output containing PATTERN.
a64_fails() {
	want=$1 pattern=$2
	shift 2
	[ "$CONDUIT_VMM" = conduit ] || { skip "conduit's own error (stand-in run)"; return 1; }
	OUT=$RUNNER_WORK/$CASE_NAME.out
	"$CONDUIT_BIN" "$@" >"$OUT" 2>&1 </dev/null
	RC=$?
	expect_rc "$want"
	expect_out "$pattern"
	[ "$(wc -l <"$OUT")" -eq 1 ] || fail "error is not one line ($(wc -l <"$OUT") lines)"
	sed 's/^/# /' "$OUT"
}

# L2's kernel brings up both vCPUs (secondary started by PSCI CPU_ON).
case_a64_nproc_2() {
	run_guest 2 virtio nproc
	expect_out L2-NPROC=2
	expect_rc 0
}

# virtio-console over PCI both ways: L2's line out, the runner's line in and back.
case_a64_echo_hvc() {
	run_guest 1 virtio echo-hvc 1
	[ -n "$ECHO_LINE" ] && expect_out "L2-ECHO:$ECHO_LINE"
	expect_rc 0
}

# The NVMe passed through: L2 reads the whole disk by DMA through the SMMU
# (md5 against L0's image), its MSI-X vectors count through the ITS, and no
# BAR access of the guest went through conduit.
case_a64_nvme_md5() {
	dev=$CONDUIT_TEST_DEVICE
	CONDUIT_EXTRA_ARGS="--passthrough $dev --stats" STANDIN_EXTRA_ARGS="-device vfio-pci,host=$dev" \
		run_guest 2 virtio nvme-read
	expect_rc 0
	if [ -n "${DISK_MD5:-}" ]; then
		expect_out "L2-MD5=$DISK_MD5"
	else
		fail "no DISK_MD5 from L0 (conduit.diskmd5=)"
	fi
	set -- $(sed -n 's/^L2-NVME-ITS=//p' "$OUT" | tr -d '\r')
	[ "${1:-0}" -gt 0 ] && [ "${2:-0}" -gt 0 ] ||
		fail "no NVMe interrupts through the ITS in L2 (L2-NVME-ITS='$*')"
	grep -q '^L2-NVME-IRQS=[0-9]* msix' "$OUT" || fail "the NVMe's vectors are not MSI-X in L2 ($(grep -a L2-NVME-IRQS "$OUT" | tr -d '\r'))"
	if [ "$CONDUIT_VMM" = conduit ]; then
		expect_out "BAR data exits: MMIO 0, PIO 0"
		grep -a "stats" "$OUT" | tr -d '\r' | sed 's/^/# /'
	fi
	grep -a "L2-NVME" "$OUT" | tr -d '\r' | sed 's/^/# /'
}

# A guest poweroff (PSCI SYSTEM_OFF) ends conduit with 0.
case_a64_poweroff() {
	run_guest 1 virtio poweroff
	expect_out L2-POWEROFF
	expect_rc 0
}

# A guest reboot (PSCI SYSTEM_RESET) boots it again in place, the NVMe reset
# and attached anew: the first boot writes a token to the disk and reboots,
# the second finds it (L2-REBOOT-SEEN) and powers off.
case_a64_reboot() {
	dev=$CONDUIT_TEST_DEVICE
	tok=reboot-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
	CONDUIT_EXTRA_ARGS="--passthrough $dev" STANDIN_EXTRA_ARGS="-device vfio-pci,host=$dev" \
		STANDIN_NO_REBOOT='' L2_EXTRA_CMDLINE="conduit.pattern=$tok" EXIT_TIMEOUT=90 \
		run_guest 1 virtio reboot-nvme
	expect_rc 0
	expect_out L2-REBOOT-WROTE
	expect_out "L2-REBOOT-SEEN=$tok"
	[ "$(grep -c CONDUIT-L2-INIT "$OUT")" -eq 2 ] || fail "want 2 boots, saw $(grep -c CONDUIT-L2-INIT "$OUT")"
}

# A file that is not an arm64 Image: one line, exit 1, no guest.
case_a64_bad_image() {
	a64_fails 1 "not an arm64 Linux Image" --kernel /nested/l2/not-an-image \
		--initrd "$L2_INITRD" --memory "${L2_MEMORY}M" || return
	expect_out /nested/l2/not-an-image
}

# A device on another host driver is refused in one line, and left there.
case_a64_non_vfio() {
	drv=$(a64_driver "$A64_OTHER_DEVICE")
	[ -n "$drv" ] || { fail "$A64_OTHER_DEVICE has no driver in L1 (want serial)"; return; }
	a64_fails 1 "$A64_OTHER_DEVICE is bound to $drv, not to vfio-pci" --kernel "$L2_KERNEL" \
		--initrd "$L2_INITRD" --memory "${L2_MEMORY}M" --passthrough "$A64_OTHER_DEVICE" || return
	[ "$(a64_driver "$A64_OTHER_DEVICE")" = "$drv" ] || fail "$A64_OTHER_DEVICE left $drv"
}

case_a64_no_device() {
	a64_fails 1 "there is no PCI device 0000:00:1f.0" --kernel "$L2_KERNEL" \
		--initrd "$L2_INITRD" --memory "${L2_MEMORY}M" --passthrough 0000:00:1f.0
}

# --dump-dtb writes the guest's device tree for L2's Image and initrd and
# starts no guest: exit 0, a flattened device tree (magic
# d00dfeed) of at most 2 MiB naming the PCI host bridge, the ITS, the
# initrd and the command line given. (Byte for byte it is what
# build/arm64-dtb-tool writes on x86 for the same inputs, which dtc reads
# without a warning: checked by hand, see README.)
case_a64_dump_dtb() {
	[ "$CONDUIT_VMM" = conduit ] || { skip "conduit's own option (stand-in run)"; return; }
	dtb=$RUNNER_WORK/guest.dtb
	OUT=$RUNNER_WORK/$CASE_NAME.out
	rm -f "$dtb"
	"$CONDUIT_BIN" --dump-dtb "$dtb" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" \
		--memory "${L2_MEMORY}M" --cpus 2 --cmdline "a64-dtb-marker quiet" >"$OUT" 2>&1 </dev/null
	RC=$?
	expect_rc 0
	[ ! -s "$OUT" ] || fail "output: $(head -c 200 "$OUT")"
	[ -f "$dtb" ] || { fail "no $dtb"; return; }
	magic=$(head -c 4 "$dtb" | od -An -tx1 | tr -d ' \n')
	[ "$magic" = d00dfeed ] || fail "not a flattened device tree (starts $magic)"
	size=$(wc -c <"$dtb")
	[ "$size" -gt 64 ] && [ "$size" -le 2097152 ] || fail "blob of $size bytes"
	for s in pci-host-ecam-generic arm,gic-v3-its linux,initrd-start "a64-dtb-marker quiet"; do
		grep -q "$s" "$dtb" || fail "no '$s' in the blob"
	done
	echo "# --dump-dtb: $size bytes"
}

# For testing the harness itself (in no suite): the first L1 panics here on
# purpose; run.sh must boot a new L1, count the retry and go on.
case_a64_debug_l1_panic() {
	[ -z "${NESTED_RESUMED:-}" ] || return 0
	echo "# a64-debug-l1-panic: crashing L1 on purpose"
	echo c >/proc/sysrq-trigger
	sleep 30
	fail "L1 still alive 30 s after sysrq c"
}
