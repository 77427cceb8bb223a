# tests/nested/cases-firmware.sh - boots through firmware (--bios seabios),
# sourced by runner.sh: SeaBIOS's banner and its PCI listing against what
# conduit reports for its bus (with the NVMe passed through, so a device's
# mmap'd BAR follows the firmware), the iPXE option ROM of a passed-through
# e1000e run by the firmware, and Linux booted through the firmware (conduit's
# option ROM) with the NVMe passed through and the md5 check.
# fw-listing and fw-linux-nvme run while pt-bind has the NVMe on vfio-pci.

FW_TIMEOUT=${FW_TIMEOUT:-90}

# fw_run OUT LOG ARGS...: starts conduit on the firmware alone (no kernel),
# waits for SeaBIOS to give up booting, stops it (SIGTERM: exit 143).
fw_run() {
	out=$1 log=$2
	shift 2
	: >"$out"
	"$CONDUIT_BIN" --bios seabios --bios-log "$log" --memory 256M -v "$@" </dev/null >"$out" 2>&1 &
	pid=$!
	wait_for "$out" "No bootable device" "$FW_TIMEOUT" "$pid" || fail "SeaBIOS did not reach 'No bootable device'"
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" "$EXIT_TIMEOUT"
	expect_rc 143
}

# The BARs SeaBIOS assigned ("bdf bar addr", addr in hex without 0x) and the
# ones conduit mapped, and the vendor:device each saw per slot.
fw_bars() {
	tr -d '\r' <"$1" | sed -n 's/^PCI: map device bdf=\([0-9a-f:.]*\) *bar \([0-5]\), addr \([0-9a-f]*\), .*/\1 \2 \3/p' |
		sed 's/ 0*\([0-9a-f][0-9a-f]*\)$/ \1/' | sort
}
# conduit logs every move (the firmware sizes 64-bit BARs a half at a time
# with decoding on): the last address per BAR is where it stayed.
conduit_bars() {
	tr -d '\r' <"$1" | sed -n 's/^conduit: pci \([0-9a-f:.]*\) .*: BAR\([0-5]\) at 0x\([0-9a-f]*\),.*/\1 \2 \3/p' |
		awk '{ last[$1 " " $2] = $3 } END { for (k in last) print k, last[k] }' | sort
}
fw_ids() {
	tr -d '\r' <"$1" | sed -n 's/^PCI: init bdf=\([0-9a-f:.]*\) id=\([0-9a-f:]*\).*/\1 \2/p' | grep -v '^00:00.0' | sort
}
conduit_ids() {
	tr -d '\r' <"$1" | sed -n 's/^conduit: pci \([0-9a-f:.]*\) \([0-9a-f]*:[0-9a-f]*\) .*/\1 \2/p' | sort
}

case_fw_listing() {
	pt_dev || return
	OUT=$RUNNER_WORK/$CASE_NAME.out
	log=$RUNNER_WORK/$CASE_NAME.bios.log
	fw_run "$OUT" "$log" --passthrough "$dev"
	grep -q "^SeaBIOS (version" "$log" || fail "no SeaBIOS banner in --bios-log"
	expect_out "SeaBIOS (version"
	fb=$(fw_bars "$log") cb=$(conduit_bars "$OUT")
	fi=$(fw_ids "$log") ci=$(conduit_ids "$OUT")
	[ -n "$fb" ] && [ "$fb" = "$cb" ] || fail "BARs: SeaBIOS '$(echo $fb)', conduit '$(echo $cb)'"
	[ -n "$fi" ] && [ "$fi" = "$ci" ] || fail "devices: SeaBIOS '$(echo $fi)', conduit '$(echo $ci)'"
	# The NVMe (vendor 1b36, device 0010) is on the bus with its BAR0 where
	# the firmware put it.
	echo "$ci" | grep -q ' 1b36:0010$' || fail "the passed-through NVMe is not on conduit's bus"
	echo "# SeaBIOS BARs (bdf bar addr): $(echo $fb)"
	echo "# devices: $(echo $fi)"
}

# Linux through the firmware: SeaBIOS runs conduit's option ROM, which loads
# kernel, initrd and command line over fw_cfg; L2 reads the whole NVMe.
case_fw_linux_nvme() {
	pt_dev || return
	CONDUIT_EXTRA_ARGS="--bios seabios --passthrough $dev --stats" run_guest 2 virtio nvme-read
	expect_rc 0
	expect_out "SeaBIOS (version"
	[ -z "${DISK_MD5:-}" ] || expect_out "L2-MD5=$DISK_MD5"
	expect_out "BAR data exits: MMIO 0, PIO 0"
	grep -a "L2-MD5\|stats $dev: BAR" "$OUT" | tr -d '\r' | sed 's/^/# /'
}

# expect_no_refused_slot: conduit's own warning that it could not give a
# passed-through BAR its memory slot ("conduit: warning: BDF: BARn: memory
# slot at 0xADDR refused; that area will trap") must not be in $OUT, the
# output of this case's conduit (L1's and L0's consoles are not read). Seen
# at every SeaBIOS boot with the e1000e (its BAR0 and BAR1 at 0xfffe0000, an
# address of the firmware's BAR sizing, over the BIOS at the top of 4 GiB).
expect_no_refused_slot() {
	refused=$(tr -d '\r' <"$OUT" | grep -aoE 'conduit: warning: [0-9a-f:.]+: BAR[0-5]: memory slot at 0x[0-9a-f]+ refused')
	[ -n "$refused" ] || return 0
	fail "conduit refused $(echo "$refused" | wc -l) BAR memory slot(s): $(echo "$refused" | head -n 1 | sed 's/^conduit: warning: //')"
	echo "$refused" | sed 's/^/# /'
}

# pt_rom: sets rom to the device with an option ROM, or skips the case.
pt_rom() {
	[ -n "${CONDUIT_TEST_ROM_DEVICE:-}" ] || { skip "no CONDUIT_TEST_ROM_DEVICE"; return 1; }
	rom=$CONDUIT_TEST_ROM_DEVICE
}

case_fw_rom_bind() {
	pt_rom || return
	bind_case "$rom"
}

# The e1000e's iPXE ROM, read through conduit's trapped ROM BAR, run by
# SeaBIOS: its banner reaches the guest console (SeaBIOS's serial console);
# every BAR of the card got its memory slot (expect_no_refused_slot).
case_fw_optionrom() {
	pt_rom || return
	OUT=$RUNNER_WORK/$CASE_NAME.out
	log=$RUNNER_WORK/$CASE_NAME.bios.log
	: >"$OUT"
	"$CONDUIT_BIN" --bios seabios --bios-log "$log" --memory 256M -v --passthrough "$rom" \
		</dev/null >"$OUT" 2>&1 &
	pid=$!
	if ! wait_for "$OUT" "iPXE" "$FW_TIMEOUT" "$pid"; then
		STUCK_LAST=$(grep -a -m1 '^conduit: error' "$OUT")      # conduit ended
		! kill -0 "$pid" 2>/dev/null || guest_stuck "$pid" "$OUT" 0 fw-optionrom
		fail "no iPXE banner on the console in $FW_TIMEOUT s; the guest's last line: '$STUCK_LAST'"
	fi
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" "$EXIT_TIMEOUT"
	expect_rc 143
	expect_out "ROM at 0x"
	expect_no_refused_slot
	grep -a "iPXE" "$OUT" | head -n 2 | tr -cd '\11\12\40-\176' | sed 's/^/# /'
	grep -a "ROM at\|option rom\|Running option rom" "$OUT" "$log" | head -n 4 | sed 's/^/# /'
}

case_fw_rom_unbind() {
	pt_rom || return
	unbind_case "$rom"
}
