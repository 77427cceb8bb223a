# tests/nested/cases-scale.sh - passthrough at scale, sourced by runner.sh:
# a device with a BAR larger than 4 GiB (QEMU's ivshmem-plain, 8 GiB backed
# by a sparse file on L0) passed through and written by L2 through its BAR;
# a guest whose RAM is 2 MiB hugetlbfs pages with the NVMe passed through
# (md5 check); the error when the host has too few such pages; and a guest
# with RAM above 4 GiB; a device whose 512 MiB 32-bit BAR (QEMU's
# secondary-vga) leaves no room for its next BAR: the placement error.
# The NVMe cases run while pt-bind has it on vfio-pci, and before any case
# writes to the disk (pt-hugepages compares the whole disk's md5).

# pt_big: sets big to the device with the 8 GiB BAR, or skips the case.
pt_big() {
	[ -n "${CONDUIT_TEST_BIG_BAR_DEVICE:-}" ] || { skip "no CONDUIT_TEST_BIG_BAR_DEVICE"; return 1; }
	big=$CONDUIT_TEST_BIG_BAR_DEVICE
}

case_pt_bigbar_bind() {
	pt_big || return
	bind_case "$big"
}

case_pt_bigbar() {
	pt_big || return
	w0=$(head -c 4 /dev/urandom | od -An -tx4 | tr -d ' \n')
	w1=$(head -c 4 /dev/urandom | od -An -tx4 | tr -d ' \n')
	CONDUIT_EXTRA_ARGS="--passthrough $big --stats" L2_EXTRA_CMDLINE="conduit.pattern=$w0,$w1" \
		run_guest 1 virtio ivshmem
	expect_rc 0
	expect_out "L2-IVSHMEM-BAR2="
	size=$(tr -d '\r' <"$OUT" | sed -n 's/^L2-IVSHMEM-BAR2=[^ ]* \([0-9]*\).*/\1/p')
	[ "${size:-0}" = $((8 << 30)) ] || fail "L2 sees BAR2 of '$size' bytes, want 8 GiB"
	got=$(tr -d '\r' <"$OUT" | sed -n 's/^L2-IVSHMEM-READ=//p' | tr 'A-F' 'a-f')
	[ "$got" = "0x$w0 0x$w1" ] || fail "L2 read back '$got', wrote '0x$w0 0x$w1'"
	# Writes went to the mmap'd BAR: no exit for BAR data.
	expect_out "stats $big: BAR data exits: MMIO 0, PIO 0"
	grep -a "L2-IVSHMEM\|stats $big" "$OUT" | tr -d '\r' | sed 's/^/# /'
	# run.sh finds both words in the backing file on L0 after the run.
	echo "L1-IVSHMEM=$w0,$w1"
}

case_pt_bigbar_unbind() {
	pt_big || return
	unbind_case "$big"
}

# pt_bar32: sets wide to the device whose 32-bit BAR fills conduit's 32-bit
# window, or skips the case.
pt_bar32() {
	[ -n "${CONDUIT_TEST_BAR32_DEVICE:-}" ] || { skip "no CONDUIT_TEST_BAR32_DEVICE"; return 1; }
	wide=$CONDUIT_TEST_BAR32_DEVICE
}

case_pt_nofit_bind() {
	pt_bar32 || return
	bind_case "$wide"
}

# A BAR that cannot be placed: one line naming the device, the BAR, its size,
# the window and what fills it, before any guest RAM is pinned. Largest
# first, the 512 MiB BAR takes the whole window, so the next largest 32-bit
# BAR (virtio-console's) is the one left out.
case_pt_nofit() {
	pt_bar32 || return
	conduit_fails 1 "virtio-console: BAR0 of 32 KiB does not fit the 32-bit PCI window 0xc0000000-0xdfffffff (0 bytes free from 0xe0000000, and a BAR must be aligned to its size; the largest BAR in it is $wide BAR0 of 512 MiB)" \
		--memory 1G --passthrough "$wide"
	# With -v: the device was opened; the prefault that runs meanwhile was
	# stopped short of 4 GiB, and nothing was mapped for DMA.
	"$CONDUIT_BIN" -v --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory 4G \
		--passthrough "$wide" >"$OUT" 2>&1 </dev/null
	RC=$?
	expect_rc 1
	expect_out "$wide: passed through at guest 00:"
	got=$(tr -d '\r' <"$OUT" | sed -n 's/.*guest RAM prefault stopped: \([0-9]*\) of 4096 MiB handed out.*/\1/p')
	[ -n "$got" ] && [ "$got" -lt 4096 ] || fail "prefault not stopped short of 4096 MiB (got '$got')"
	! grep -aq "prefaulted in\|mapped for DMA" "$OUT" || fail "guest RAM was pinned before the BARs were placed"
	tr -d '\r' <"$OUT" | tail -n 3 | sed 's/^/# /'
	[ "$(pt_driver "$wide")" = vfio-pci ] || fail "driver is '$(pt_driver "$wide")' after the run"
}

case_pt_nofit_unbind() {
	pt_bar32 || return
	unbind_case "$wide"
}

HP_POOL=/sys/kernel/mm/hugepages/hugepages-2048kB

# A guest in 2 MiB hugetlbfs pages, the NVMe passed through.
case_pt_hugepages() {
	pt_dev || return
	[ -d "$HP_POOL" ] || { skip "no 2 MiB hugepage pool"; return; }
	echo 160 >"$HP_POOL/nr_hugepages"
	[ "$(cat "$HP_POOL/free_hugepages")" -ge 128 ] || fail "L1 gave only $(cat "$HP_POOL/free_hugepages") of 160 pages"
	CONDUIT_EXTRA_ARGS="--passthrough $dev --hugepages 2M --stats" run_guest 1 virtio nvme-read
	expect_rc 0
	[ -z "${DISK_MD5:-}" ] || expect_out "L2-MD5=$DISK_MD5"
	expect_out "interrupts relayed by conduit 0"
	# All of it was in use while the guest ran, and is free again now.
	[ "$(cat "$HP_POOL/free_hugepages")" -ge 160 ] || fail "hugepages not given back: $(cat "$HP_POOL/free_hugepages") free"
	grep -a "stats $dev: guest RAM" "$OUT" | tr -d '\r' | sed 's/^/# /'
	echo 0 >"$HP_POOL/nr_hugepages"
}

# Too few pages: one line naming what is needed and how to reserve it.
case_pt_hugepages_short() {
	[ -d "$HP_POOL" ] || { skip "no 2 MiB hugepage pool"; return; }
	echo 0 >"$HP_POOL/nr_hugepages"
	conduit_fails 1 "256 MiB of guest RAM needs 128 pages of 2M, the host has 0 free: reserve more with 'echo 128 > $HP_POOL/nr_hugepages'" \
		--hugepages 2M --memory 256M
}

# 5 GiB of guest RAM: 3 GiB below the PCI hole, 2 GiB from 4 GiB up, all of
# it seen by the guest.
case_memory_5g() {
	L2_MEMORY=5120 run_guest 1 virtio meminfo
	expect_rc 0
	expect_out "L2-E820: 100000000-17fffffff : System RAM"
	kb=$(tr -d '\r' <"$OUT" | sed -n 's/^L2-MEMTOTAL-KB=//p')
	# MemTotal is RAM minus what the kernel keeps: well over 4.5 GiB.
	[ "${kb:-0}" -gt $((4608 * 1024)) ] || fail "L2 MemTotal ${kb} kB, want most of 5 GiB"
	grep -a "L2-MEMTOTAL\|L2-E820" "$OUT" | tr -d '\r' | sed 's/^/# /'
}
