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

# --- the host-side helpers and a config file on arm64 ----------------------

# a64_helper ARGS...: one run of a conduit helper (devices, bind, unbind)
# into OUT, its exit code in RC.
a64_helper() {
	OUT=$RUNNER_WORK/$CASE_NAME.out
	"$CONDUIT_BIN" "$@" >"$OUT" 2>&1 </dev/null
	RC=$?
}

# a64_row BDF: conduit devices' row of BDF in OUT (address, id, class,
# driver, group, group sharers, verdict...), or nothing.
a64_row() {
	tr -d '\r' <"$OUT" | awk -v d="$1" '$1 == d'
}

# `conduit devices` on the arm64 L1: its table lists the NVMe on vfio-pci in
# its own IOMMU group (the SMMUv3's), ready, and the pci-serial card on its
# host driver, bindable; then the helpers' one-line errors and a no-op
# unbind, as on x86 (tests/cli/host_pci.sh). No guest.
case_a64_devices() {
	[ "$CONDUIT_VMM" = conduit ] || { skip "conduit's own helper (stand-in run)"; return; }
	dev=$CONDUIT_TEST_DEVICE
	a64_helper devices
	expect_rc 0
	tr -d '\r' <"$OUT" | head -n 1 | grep -q '^ADDRESS  *ID  *CLASS  *DRIVER  *GROUP  *SHARES GROUP WITH  *VERDICT$' ||
		fail "no table header: $(head -n 1 "$OUT")"
	grep -q "the IOMMU is off" "$OUT" && fail "devices says the IOMMU is off"
	grp=$(basename "$(readlink "/sys/bus/pci/devices/$dev/iommu_group")")
	set -- $(a64_row "$dev")
	[ "${2:-}" = 1b36:0010 ] && [ "${3:-}" = 0108 ] && [ "${4:-}" = vfio-pci ] &&
		[ "${5:-}" = "$grp" ] && [ "${6:-}" = - ] && [ "${7:-}" = ready ] ||
		fail "NVMe row '$*', want '$dev 1b36:0010 0108 vfio-pci $grp - ready'"
	drv=$(a64_driver "$A64_OTHER_DEVICE")
	ogrp=$(basename "$(readlink "/sys/bus/pci/devices/$A64_OTHER_DEVICE/iommu_group")")
	set -- $(a64_row "$A64_OTHER_DEVICE")
	[ "${2:-}" = 1b36:0002 ] && [ "${4:-}" = serial ] && [ "$4" = "$drv" ] &&
		[ "${5:-}" = "$ogrp" ] && [ "$ogrp" != "$grp" ] && [ "${7:-}" = bindable ] ||
		fail "pci-serial row '$*', want '$A64_OTHER_DEVICE 1b36:0002 ... serial $ogrp ... bindable'"
	a64_row "$dev" | sed 's/^/# devices: /'
	a64_row "$A64_OTHER_DEVICE" | sed 's/^/# devices: /'
	# A device that is not there, an address that is not one, no address.
	a64_helper bind 0000:00:1f.0
	expect_rc 1
	expect_out "there is no PCI device 0000:00:1f.0 on this host: 'conduit devices' lists"
	[ "$(wc -l <"$OUT")" -eq 1 ] || fail "bind of a missing device: $(wc -l <"$OUT") lines"
	a64_helper unbind zz
	expect_rc 2
	expect_out "unbind: 'zz' is not a PCI address"
	[ "$(wc -l <"$OUT")" -eq 1 ] || fail "unbind zz: $(wc -l <"$OUT") lines"
	a64_helper bind
	expect_rc 2
	expect_out "bind: missing BDF (see conduit bind --help)"
	# unbind of a device vfio does not have: exit 0, nothing changed.
	a64_helper unbind "$A64_OTHER_DEVICE"
	expect_rc 0
	expect_out "$A64_OTHER_DEVICE: not bound to vfio (it has $drv); nothing to release"
	[ "$(a64_driver "$A64_OTHER_DEVICE")" = "$drv" ] || fail "$A64_OTHER_DEVICE left $drv"
}

# a64_nvme_l1: L1's nvme driver has the disk again: /dev/nvme0n1 of 64 MiB
# (131072 sectors) appears within 10 s; its md5 as L1 reads it in L1_MD5.
a64_nvme_l1() {
	L1_MD5=
	i=0
	while [ ! -b /dev/nvme0n1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -b /dev/nvme0n1 ] || { fail "no /dev/nvme0n1 in L1 after unbind"; return; }
	[ "$(cat /sys/block/nvme0n1/size 2>/dev/null)" = 131072 ] ||
		fail "L1's nvme0n1 has $(cat /sys/block/nvme0n1/size 2>/dev/null) sectors, want 131072"
	t=$(now_ms)
	L1_MD5=$(md5sum </dev/nvme0n1 | cut -d' ' -f1)
	echo "# L1's nvme driver reads md5 $L1_MD5 in $(($(now_ms) - t)) ms"
	[ "${#L1_MD5}" -eq 32 ] || fail "no md5 of /dev/nvme0n1 in L1 ('$L1_MD5')"
}

# a64_serve SOCKET: `conduit bind DEV --serve SOCKET` in the background (pid
# in srv, output in srv_out), until it says it serves.
a64_serve() {
	srv_out=$RUNNER_WORK/$CASE_NAME.serve
	rm -f "$1"
	"$CONDUIT_BIN" bind "$dev" --serve "$1" >"$srv_out" 2>&1 </dev/null &
	srv=$!
	i=0
	while ! grep -q "^serving on $1:" "$srv_out" && kill -0 "$srv" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "^serving on $1: start conduit with --passthrough fd:$1" "$srv_out" && [ -S "$1" ] ||
		{ fail "no socket from 'conduit bind --serve': $(cat "$srv_out")"; return 1; }
	[ "$(stat -c '%u %a' "$1")" = "0 600" ] || fail "socket is '$(stat -c '%u %a' "$1")', want '0 600'"
}

# a64_config_guest CONF: conduit --config CONF -v (nothing else on its
# command line but what the runner's backend wrapper adds), bounded like
# run_guest; sets OUT, RC, BOOT_MS.
a64_config_guest() {
	OUT=$RUNNER_WORK/$CASE_NAME.out
	: >"$OUT"
	BOOT_MS='' t0=$(now_ms)
	"$CONDUIT_BIN" --config "$1" -v </dev/null >"$OUT" 2>&1 &
	pid=$!
	wait_for "$OUT" CONDUIT-L2-INIT "$BOOT_TIMEOUT" "$pid"
	case $? in
	0) BOOT_MS=$(($(now_ms) - t0)) ;;
	1) fail "conduit exited before CONDUIT-L2-INIT" ;;
	2) fail "no CONDUIT-L2-INIT within ${BOOT_TIMEOUT}s" ;;
	esac
	wait_exit "$pid" "$EXIT_TIMEOUT" "$OUT" || fail "conduit still running after ${EXIT_TIMEOUT}s, killed"
	echo "# time $CASE_NAME: launch-to-init=${BOOT_MS:-none} ms total=$(($(now_ms) - t0)) ms"
}

# a64_back_to_vfio: after a failure, the NVMe back on vfio-pci for the
# cases after this one (by sysfs, as l1-init.sh put it there).
a64_back_to_vfio() {
	[ "$(a64_driver "$dev")" != vfio-pci ] || return 0
	echo vfio-pci >"/sys/bus/pci/devices/$dev/driver_override"
	[ -z "$(a64_driver "$dev")" ] || echo "$dev" >"/sys/bus/pci/devices/$dev/driver/unbind"
	echo "$dev" >/sys/bus/pci/drivers_probe
	echo "# $dev put back on '$(a64_driver "$dev")' by sysfs"
}

# The NVMe's round trip through the helpers, then a guest from a config
# file: `conduit unbind` gives it back to L1's nvme driver (its disk
# appears in L1), `conduit bind` puts it on vfio-pci again. On a host with
# IOMMUFD and the VFIO cdev (the project's arm64 kernel) `conduit bind
# --serve` hands it over and the guest takes it as fd:SOCKET; on one
# without (Debian's 6.1: vfio0 in sysfs, no /dev/vfio/devices/vfio0) `bind
# --serve` says why in one line, exit 1, and the guest takes the BDF. The guest: `--config FILE -v` alone, the file giving
# kernel and initrd (relative to it), cmdline, memory, cpus, console,
# passthrough and stats; L2 reads the whole disk (md5 equal to what L1's
# nvme driver read of it after the unbind) and conduit's own lines show the file's 2 vCPUs, 320 MiB and --stats.
case_a64_rebind_config() {
	[ "$CONDUIT_VMM" = conduit ] || { skip "conduit's own helpers (stand-in run)"; return; }
	dev=$CONDUIT_TEST_DEVICE
	grp=$(basename "$(readlink "/sys/bus/pci/devices/$dev/iommu_group")")
	a64_helper unbind "$dev"
	expect_rc 0
	expect_out "$dev: released from vfio-pci; now bound to nvme"
	[ "$(a64_driver "$dev")" = nvme ] || fail "$dev on '$(a64_driver "$dev")' after unbind, want nvme"
	sed 's/^/# unbind: /' "$OUT"
	a64_nvme_l1
	a64_helper bind "$dev"
	expect_rc 0
	expect_out "$dev: bound to vfio-pci (was: nvme); IOMMU group $grp"
	sed 's/^/# bind: /' "$OUT"
	[ "$(a64_driver "$dev")" = vfio-pci ] || fail "$dev on '$(a64_driver "$dev")' after bind"
	[ -z "$FAIL" ] || { a64_back_to_vfio; return; }
	sock=$RUNNER_WORK/nvme.sock
	cdev=$(ls "/sys/bus/pci/devices/$dev/vfio-dev" 2>/dev/null)
	if [ -c /dev/iommu ] && [ -n "$cdev" ] && [ -c "/dev/vfio/devices/$cdev" ]; then
		a64_serve "$sock" || return
		pt=fd:$sock
		echo "# bind --serve: $(head -n 2 "$srv_out" | tr '\n' ' ')"
	else
		a64_helper bind "$dev" --serve "$sock"
		expect_rc 1
		# Debian's 6.1 names vfio0 in sysfs, without the /dev node.
		expect_out "conduit: error: bind --serve: $dev has no VFIO device cdev ("
		expect_out "): the kernel needs CONFIG_VFIO_DEVICE_CDEV"
		[ "$(grep -vc "already bound to vfio-pci" "$OUT")" -eq 1 ] ||
			fail "bind --serve without a cdev: want one error line, got: $(cat "$OUT")"
		[ ! -e "$sock" ] || fail "bind --serve left $sock"
		sed 's/^/# bind --serve: /' "$OUT"
		pt=$dev srv=''
	fi
	conf=/nested/l2/a64-guest.conf
	cat >"$conf" <<-CONF
		# the guest of a64-rebind-config (cases-arm64.sh)
		kernel = Image
		initrd = initrd.cpio.gz
		cmdline = "console=ttyS0 quiet conduit.test=nvme-read"
		memory = 320M
		cpus = 2
		console = virtio
		passthrough = $pt
		stats = true
	CONF
	a64_config_guest "$conf"
	expect_rc 0
	# What L1's nvme driver read before the bind (a64-reboot, earlier in
	# the suite, wrote to the disk since L0 took DISK_MD5).
	expect_out "L2-MD5=$L1_MD5"
	expect_out "guest started: 2 vCPU(s), 320 MiB, console virtio"
	expect_out "BAR data exits: MMIO 0, PIO 0"
	if [ -n "$srv" ]; then
		if kill -0 "$srv" 2>/dev/null && ! grep -q "handed over" "$srv_out"; then
			fail "nobody took the device from 'conduit bind --serve'"
			kill "$srv"
		fi
		expect_out "vfio: $dev handed over on $sock"
		expect_out "vfio: backend iommufd"
		wait "$srv" || fail "'conduit bind --serve' failed: $(cat "$srv_out")"
		grep -q "^$dev: handed over on $sock$" "$srv_out" || fail "bind --serve said: $(cat "$srv_out")"
		[ ! -e "$sock" ] || fail "the socket is still there"
	fi
	[ "$(a64_driver "$dev")" = vfio-pci ] || { fail "$dev on '$(a64_driver "$dev")' after the guest"; a64_back_to_vfio; }
	grep -a "guest started\|vfio: \|L2-MD5\|BAR data" "$OUT" | tr -d '\r' | sed 's/^/# /'
}
