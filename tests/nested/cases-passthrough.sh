# tests/nested/cases-passthrough.sh - passthrough cases for suites/passthrough,
# sourced by runner.sh. Owns the device's round trip: errors before binding,
# conduit bind, L2 reading the whole disk by DMA (md5 against L0's image) with
# MSI-X counting and nothing relayed by conduit, a second user refused, a write
# that L1 and L0 read back, conduit unbind. The device is CONDUIT_TEST_DEVICE
# (nested: the emulated NVMe at 0000:00:03.0); cases skip without one.
# The cases depend on their order in the suite (bind before use, unbind last).

# pt_dev / pt_io / pt_msi: set dev, io or msi to the device under test, or
# skip the case. Not called as $(...): skip() must run in the case's shell.
pt_dev() {
	[ -n "${CONDUIT_TEST_DEVICE:-}" ] || { skip "no CONDUIT_TEST_DEVICE"; return 1; }
	dev=$CONDUIT_TEST_DEVICE
}

pt_driver() {
	basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null
}

# conduit_fails NAME WANT_RC PATTERN ARGS...: runs conduit (no guest should
# start) and checks the exit code and the one-line error.
conduit_fails() {
	want=$1 pattern=$2
	shift 2
	OUT=$RUNNER_WORK/$CASE_NAME.out
	"$CONDUIT_BIN" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" "$@" >"$OUT" 2>&1 </dev/null
	RC=$?
	expect_rc "$want"
	expect_out "$pattern"
	[ "$(wc -l <"$OUT")" -eq 1 ] || fail "error is not one line"
}

case_pt_host_driver() {
	pt_dev || return
	drv=$(pt_driver "$dev")
	case $drv in
	vfio-pci | *vfio*) skip "$dev is already bound to $drv" && return ;;
	esac
	conduit_fails 1 "$dev is bound to $drv, not to vfio-pci" --passthrough "$dev"
}

case_pt_bad_bdf() {
	conduit_fails 1 "'00:3.0' is not a PCI address" --passthrough 00:3.0
}

case_pt_no_device() {
	conduit_fails 1 "there is no PCI device 0000:00:1e.0" --passthrough 0000:00:1e.0
}

# bind_case BDF: conduit bind succeeds and leaves BDF on vfio-pci.
bind_case() {
	OUT=$RUNNER_WORK/$CASE_NAME.out
	"$CONDUIT_BIN" bind "$1" >"$OUT" 2>&1
	RC=$?
	expect_rc 0
	[ "$(pt_driver "$1")" = vfio-pci ] || fail "driver is '$(pt_driver "$1")' after bind"
}

# unbind_case BDF: conduit unbind succeeds and takes BDF off vfio-pci.
unbind_case() {
	OUT=$RUNNER_WORK/$CASE_NAME.out
	"$CONDUIT_BIN" unbind "$1" >"$OUT" 2>&1
	RC=$?
	expect_rc 0
	[ "$(pt_driver "$1")" != vfio-pci ] || fail "still bound to vfio-pci"
}

case_pt_bind() {
	pt_dev || return
	bind_case "$dev"
}

case_pt_nvme_read() {
	pt_dev || return
	CONDUIT_EXTRA_ARGS="--passthrough $dev --stats" run_guest 2 virtio nvme-read
	expect_rc 0
	if [ -n "${DISK_MD5:-}" ]; then
		expect_out "L2-MD5=$DISK_MD5"
	else
		grep -q '^L2-MD5=[0-9a-f]\{32\}' "$OUT" || fail "no md5 from L2"
	fi
	# MSI-X, not MSI or INTx: the vectors counting in L2 are PCI-MSIX ones,
	# and the guest programmed them through conduit's table emulation.
	irqs=$(sed -n 's/^L2-NVME-IRQS=\([0-9]*\) msix.*/\1/p' "$OUT" | tr -d '\r')
	[ "${irqs:-0}" -gt 0 ] || fail "no NVMe MSI-X interrupts counted in L2 (got '$(grep -a L2-NVME-IRQS "$OUT" | tr -d '\r')')"
	tw=$(tr -d '\r' <"$OUT" | sed -n "s/.*stats $dev: .*(table writes \([0-9]*\)).*/\1/p")
	[ "${tw:-0}" -gt 0 ] || fail "no MSI-X table writes seen by conduit (got '$tw')"
	expect_out "interrupts relayed by conduit 0"
	expect_out "BAR data exits: MMIO 0, PIO 0"
	grep -a "stats\|L2-NVME-IRQS" "$OUT" | tr -d '\r' | sed 's/^/# /'
}

case_pt_in_use() {
	pt_dev || return
	first=$RUNNER_WORK/$CASE_NAME.first
	"$CONDUIT_BIN" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --passthrough "$dev" \
		--cmdline "console=ttyS0 quiet conduit.test=hang" --memory "${L2_MEMORY}M" \
		</dev/null >"$first" 2>&1 &
	pid=$!
	if ! wait_for "$first" CONDUIT-L2-INIT "$BOOT_TIMEOUT" "$pid"; then
		fail "first VM did not start"
		tail -n 15 "$first" | tr -cd '\11\12\40-\176' | sed 's/^/# first VM | /'
		! kill -0 "$pid" 2>/dev/null || stuck_report "$pid" "$first"
	fi
	if [ "${CONDUIT_VFIO_BACKEND:-}" = iommufd ]; then
		conduit_fails 1 "$dev: VFIO_DEVICE_BIND_IOMMUFD: the device is busy: already in use by another VMM or conduit" \
			--passthrough "$dev"
	else
		g=$(basename "$(readlink "/sys/bus/pci/devices/$dev/iommu_group")")
		conduit_fails 1 "$dev: /dev/vfio/$g is busy: the device is already in use by another VMM or conduit" \
			--passthrough "$dev"
	fi
	kill -TERM "$pid"
	wait_exit "$pid" "$EXIT_TIMEOUT" || fail "first VM ignored SIGTERM"
	[ "$RC" = 143 ] || fail "first VM exit code $RC after SIGTERM, want 143"
}

# The guest reboots in place: conduit builds the machine again, resets the
# NVMe and maps RAM anew; the second boot reads what the first one wrote.
case_pt_reboot() {
	pt_dev || return
	PT_TOKEN=reboot-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
	CONDUIT_EXTRA_ARGS="--passthrough $dev -v" L2_EXTRA_CMDLINE="conduit.pattern=$PT_TOKEN" \
		EXIT_TIMEOUT=90 run_guest 1 virtio reboot-nvme
	expect_rc 0
	expect_out L2-REBOOT-WROTE
	expect_out "L2-REBOOT-SEEN=$PT_TOKEN"
	expect_out "the guest rebooted: booting it again (boot 2)"
	[ "$(grep -c CONDUIT-L2-INIT "$OUT")" -eq 2 ] || fail "want 2 boots, saw $(grep -c CONDUIT-L2-INIT "$OUT")"
	[ "$(grep -c "passed through at guest" "$OUT")" -eq 2 ] || fail "the device was not attached twice"
}

case_pt_nvme_write() {
	pt_dev || return
	PT_PATTERN=conduit-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
	CONDUIT_EXTRA_ARGS="--passthrough $dev" L2_EXTRA_CMDLINE="conduit.pattern=$PT_PATTERN" \
		run_guest 1 virtio nvme-write
	expect_rc 0
	expect_out "L2-READBACK=$PT_PATTERN"
	# run.sh checks the image on L0 after L1 is gone.
	echo "L1-WROTE=1000:$PT_PATTERN"
}

case_pt_unbind() {
	pt_dev || return
	unbind_case "$dev"
	# The NVMe has a host driver: it must be back on it.
	[ -n "$(pt_driver "$dev")" ] || fail "no host driver took $dev after unbind"
	# The host driver has the disk again: L1 sees what L2 wrote.
	[ -n "${PT_PATTERN:-}" ] || return 0
	i=0
	while [ ! -b /dev/nvme0n1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	got=$(dd if=/dev/nvme0n1 bs=512 skip=1000 count=1 iflag=direct 2>/dev/null | head -c ${#PT_PATTERN})
	[ "$got" = "$PT_PATTERN" ] || fail "L1 reads '$got' at sector 1000, L2 wrote '$PT_PATTERN'"
}

# The second device: QEMU's pci-serial, a 16550 behind an I/O-port BAR with
# INTx, passed through together with the NVMe.
pt_io() {
	[ -n "${CONDUIT_TEST_IO_DEVICE:-}" ] || { skip "no CONDUIT_TEST_IO_DEVICE"; return 1; }
	io=$CONDUIT_TEST_IO_DEVICE
}

case_pt_io_bind() {
	pt_io || return
	bind_case "$io"
}

case_pt_two_devices() {
	pt_dev || return
	pt_io || return
	PT_SERIAL=serial-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
	CONDUIT_EXTRA_ARGS="--passthrough $dev --passthrough $io --stats" \
		L2_EXTRA_CMDLINE="conduit.pattern=$PT_SERIAL" run_guest 1 virtio nvme-serial
	expect_rc 0
	[ -z "${DISK_MD5:-}" ] || expect_out "L2-MD5=$DISK_MD5"
	expect_out "L2-PCISERIAL-SENT"
	pio=$(tr -d '\r' <"$OUT" | sed -n "s/.*stats $io: BAR data exits: MMIO [0-9]*, PIO \([0-9]*\);.*/\1/p")
	[ "${pio:-0}" -gt 256 ] || fail "too few trapped I/O-port accesses for $io (got '$pio')"
	intx=$(sed -n 's/^L2-INTX=\([0-9]*\).*/\1/p' "$OUT" | tr -d '\r')
	[ "${intx:-0}" -gt 0 ] || fail "no INTx interrupts from $io counted in L2"
	grep -a "stats\|L2-INTX\|L2-IRQ\|L2-PCISERIAL" "$OUT" | tr -d '\r' | sed 's/^/# /'
	# run.sh checks the chardev file on L0 after L1 is gone.
	echo "L1-SERIAL=$PT_SERIAL"
}

# The host takes the card back while L2 runs (hot-remove in L1): vfio-pci
# signals the request interrupt, conduit says so in one line and stops the
# guest (exit 1) so the removal can finish; a rescan brings the card back.
case_pt_device_removed() {
	pt_io || return
	first=$RUNNER_WORK/$CASE_NAME.out
	OUT=$first
	"$CONDUIT_BIN" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --passthrough "$io" \
		--cmdline "console=ttyS0 quiet conduit.test=hang" --memory "${L2_MEMORY}M" \
		</dev/null >"$first" 2>&1 &
	pid=$!
	wait_for "$first" CONDUIT-L2-INIT "$BOOT_TIMEOUT" "$pid" || { fail "the VM did not start"; return; }
	echo 1 >"/sys/bus/pci/devices/$io/remove" &
	rmpid=$!
	wait_exit "$pid" "$EXIT_TIMEOUT" || fail "conduit kept running after the device was removed"
	expect_rc 1
	expect_out "$io: the host asked for the device back (it is being unbound or removed): stopping the guest"
	wait "$rmpid" || fail "the removal in L1 failed"
	echo 1 >/sys/bus/pci/rescan
	i=0
	while [ ! -e "/sys/bus/pci/devices/$io" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "/sys/bus/pci/devices/$io" ] || fail "$io did not come back after a rescan"
	grep -a "$io" "$first" | tr -d '\r' | sed 's/^/# /'
}

case_pt_io_unbind() {
	pt_io || return
	unbind_case "$io"
}

# The third device: QEMU's vmxnet3 NIC on L0's user network, passed through
# with msix=off: L2's vmxnet3 driver falls back to MSI, which conduit
# emulates; its DMA carries a DHCP exchange with L0's QEMU.
pt_msi() {
	[ -n "${CONDUIT_TEST_MSI_DEVICE:-}" ] || { skip "no CONDUIT_TEST_MSI_DEVICE"; return 1; }
	msi=$CONDUIT_TEST_MSI_DEVICE
}

case_pt_msi_bind() {
	pt_msi || return
	bind_case "$msi"
}

case_pt_msi() {
	pt_msi || return
	CONDUIT_EXTRA_ARGS="--passthrough $msi,msix=off --stats" run_guest 1 virtio net-dhcp
	expect_rc 0
	expect_out "L2-LEASE=10.0.2."
	expect_out "L2-NET-IRQMODE=msi "
	irqs=$(sed -n 's/^L2-NET-IRQS=\([0-9]*\).*/\1/p' "$OUT" | tr -d '\r')
	[ "${irqs:-0}" -gt 0 ] || fail "no NIC MSI interrupts counted in L2 (got '$irqs')"
	msiw=$(tr -d '\r' <"$OUT" | sed -n "s/.*stats $msi: .*MSI capability writes \([0-9]*\);.*/\1/p")
	[ "${msiw:-0}" -gt 0 ] || fail "conduit saw no MSI capability writes (got '$msiw')"
	expect_out "MSI-X table/PBA accesses 0"
	expect_out "interrupts relayed by conduit 0"
	grep -a "stats $msi\|L2-LEASE\|L2-NET\|L2-IRQ" "$OUT" | tr -d '\r' | sed 's/^/# /'
}

case_pt_bad_option() {
	conduit_fails 1 "unknown option 'msi=off' (the one option is msix=off)" --passthrough 00:03.0,msi=off
}

case_pt_msi_unbind() {
	pt_msi || return
	unbind_case "$msi"
}
