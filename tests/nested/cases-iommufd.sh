# tests/nested/cases-iommufd.sh - the IOMMU backend cases, sourced by
# runner.sh. suites/iommufd runs in an L1 on the project's kernel (IOMMUFD,
# the VFIO cdev, the mtty sample) with every conduit run forced to
# --vfio-backend iommufd; suites/all (Debian's kernel, no IOMMUFD) has the
# forced-backend error that needs a host without /dev/iommu. Owns: the auto
# choice, the forced-backend errors, the mtty mdev under both backends, and
# a guest run unprivileged on a device handed over by `conduit bind --serve`.

FD_UID=1000

# backend_has_iommufd: skips (returns 1) on a host without /dev/iommu.
backend_has_iommufd() {
	[ -c /dev/iommu ] || { skip "no /dev/iommu on this host"; return 1; }
}

# On a host without /dev/iommu (Debian's kernels; on the project's kernel
# the test hides it: a private mount namespace with an empty tmpfs on /dev)
# forcing the backend is an error before any VM exists.
case_backend_iommufd_missing() {
	pt_dev || return
	if [ ! -e /dev/iommu ]; then
		conduit_fails 1 "--vfio-backend iommufd: this host has no /dev/iommu (its kernel lacks CONFIG_IOMMUFD" \
			--vfio-backend iommufd --passthrough "$dev"
	else
		OUT=$RUNNER_WORK/$CASE_NAME.out
		unshare -m sh -c "mount -t tmpfs none /dev && exec $CONDUIT_BIN --kernel $L2_KERNEL \
			--initrd $L2_INITRD --vfio-backend iommufd --passthrough $dev" >"$OUT" 2>&1 </dev/null
		RC=$?
		expect_rc 1
		expect_out "--vfio-backend iommufd: this host has no /dev/iommu (its kernel lacks CONFIG_IOMMUFD"
		[ "$(wc -l <"$OUT")" -eq 1 ] || fail "error is not one line"
	fi
	expect_out "use --vfio-backend legacy"
	err_show
}

# auto picks IOMMUFD where the host has it, says so, and the disk reads.
case_iommufd_auto() {
	pt_dev || return
	backend_has_iommufd || return
	CONDUIT_EXTRA_ARGS="--passthrough $dev --vfio-backend auto -v --stats" run_guest 1 virtio nvme-read
	expect_rc 0
	expect_out "vfio: backend iommufd (auto: /dev/iommu and every device's cdev are there)"
	expect_out "vfio: iommufd backend (IOAS "
	[ -z "${DISK_MD5:-}" ] || expect_out "L2-MD5=$DISK_MD5"
	expect_out "interrupts relayed by conduit 0"
	grep -a "vfio: \|L2-MD5\|stats" "$OUT" | tr -d '\r' | sed 's/^/# /'
}

# Legacy forced where the host has no VFIO container: /dev/vfio hidden by
# an empty tmpfs in a private mount namespace.
case_backend_legacy_missing() {
	pt_dev || return
	OUT=$RUNNER_WORK/$CASE_NAME.out
	unshare -m sh -c "mount -t tmpfs none /dev/vfio && exec $CONDUIT_BIN --kernel $L2_KERNEL \
		--initrd $L2_INITRD --vfio-backend legacy --passthrough $dev" >"$OUT" 2>&1 </dev/null
	RC=$?
	expect_rc 1
	expect_out "--vfio-backend legacy: this host has no /dev/vfio/vfio (a kernel without CONFIG_VFIO_CONTAINER"
	[ ! -c /dev/iommu ] || expect_out "it has /dev/iommu: use --vfio-backend iommufd"
	[ "$(wc -l <"$OUT")" -eq 1 ] || fail "error is not one line"
	err_show
}

# fd_serve SOCKET: `conduit bind DEV --serve SOCKET --user FD_UID` in the
# background (pid in srv, output in srv_out); waits for the socket.
fd_serve() {
	srv_out=$RUNNER_WORK/$CASE_NAME.serve
	"$CONDUIT_BIN" bind "$dev" --serve "$1" --user "$FD_UID" >"$srv_out" 2>&1 &
	srv=$!
	i=0
	# Ready once it says so (after the socket's owner and mode are set and
	# it listens), not when the socket file appears (bind comes first).
	while ! grep -q "^serving on $1:" "$srv_out" 2>/dev/null && kill -0 "$srv" 2>/dev/null &&
	      [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "^serving on $1:" "$srv_out" 2>/dev/null && [ -S "$1" ] ||
		{ fail "no socket from 'conduit bind --serve': $(cat "$srv_out")"; return 1; }
}

# A guest run as uid FD_UID, with no access to /dev/vfio, /dev/iommu or
# sysfs writes, on the NVMe handed over by a privileged `conduit bind
# --serve`; the guest reboots in place once (the handed-over fds are kept
# and the device attached again) and reads back what its first boot wrote.
case_pt_fd_pass() {
	pt_dev || return
	backend_has_iommufd || return
	sock=$RUNNER_WORK/nvme.sock
	rm -f "$sock"
	kvm=$(err_save /dev/kvm)
	chmod 666 /dev/kvm
	fd_serve "$sock" || { err_restore /dev/kvm "$kvm"; return; }
	[ "$(stat -c '%u %a' "$sock")" = "$FD_UID 600" ] ||
		fail "socket is '$(stat -c '%u %a' "$sock")', want '$FD_UID 600'"
	# What the unprivileged side could not open itself.
	for n in /dev/iommu /dev/vfio/devices/*; do
		nsenter -S "$FD_UID" -G "$FD_UID" -- sh -c "exec 3<>$n" 2>/dev/null &&
			fail "uid $FD_UID can open $n: the test shows nothing"
	done
	PT_TOKEN=fdpass-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
	ERR_BIN=$CONDUIT_BIN
	w=$RUNNER_WORK/conduit-fd-user
	printf '#!/bin/sh\nulimit -l unlimited || exit 99\nexec nsenter -S %s -G %s -F -- %s "$@"\n' \
		"$FD_UID" "$FD_UID" "$ERR_BIN" >"$w"
	chmod 755 "$w"
	CONDUIT_BIN=$w
	CONDUIT_EXTRA_ARGS="--passthrough fd:$sock -v" L2_EXTRA_CMDLINE="conduit.pattern=$PT_TOKEN" \
		EXIT_TIMEOUT=90 run_guest 1 virtio reboot-nvme
	CONDUIT_BIN=$ERR_BIN
	expect_rc 0
	expect_out "vfio: $dev handed over on $sock"
	expect_out "vfio: backend iommufd"
	expect_out "iommufd handed over"
	expect_out L2-REBOOT-WROTE
	expect_out "L2-REBOOT-SEEN=$PT_TOKEN"
	[ "$(grep -c "passed through at guest" "$OUT")" -eq 2 ] || fail "the device was not attached twice"
	wait "$srv"
	[ $? -eq 0 ] || fail "'conduit bind --serve' failed: $(cat "$srv_out")"
	grep -q "$dev: handed over on $sock" "$srv_out" || fail "bind --serve said: $(cat "$srv_out")"
	[ ! -e "$sock" ] || fail "the socket is still there"
	err_restore /dev/kvm "$kvm"
	grep -a "vfio: \|L2-REBOOT\|rebooted" "$OUT" | tr -d '\r' | sed 's/^/# /'
}

# A handed-over device is a cdev: the legacy backend cannot take it.
case_backend_legacy_fd() {
	pt_dev || return
	backend_has_iommufd || return
	sock=$RUNNER_WORK/legacy.sock
	rm -f "$sock"
	fd_serve "$sock" || return
	conduit_fails 1 "--vfio-backend legacy: $dev was handed over as a device cdev, which only the iommufd backend can use" \
		--vfio-backend legacy --passthrough "fd:$sock"
	wait "$srv" || fail "'conduit bind --serve' failed: $(cat "$srv_out")"
}

# --- mtty: the kernel's sample mediated device ------------------------------

MTTY_TYPES=/sys/class/mdev_bus/mtty/mdev_supported_types

# mtty_create: makes a 2-port mtty mdev, its UUID in uuid; skips without one.
mtty_create() {
	[ -d "$MTTY_TYPES/mtty-2" ] || { skip "no mtty sample driver (project kernel only)"; return 1; }
	uuid=$(cat /proc/sys/kernel/random/uuid)
	echo "$uuid" >"$MTTY_TYPES/mtty-2/create" || { fail "cannot create an mtty mdev"; return 1; }
	[ -e "/sys/bus/mdev/devices/$uuid" ] || { fail "mdev $uuid did not appear"; return 1; }
}

mtty_remove() {
	echo 1 >"/sys/bus/mdev/devices/$uuid/remove" || fail "cannot remove mdev $uuid"
}

# mtty_run BACKEND: L2's serial driver binds to the mdev, what it writes to
# the first port comes back through mtty's loopback, by trapped port I/O and
# INTx through irqfd.
mtty_run() {
	mtty_create || return
	# Short enough for mtty's 16-byte receive FIFO.
	PT_MTTY=m$(head -c 5 /dev/urandom | od -An -tx1 | tr -d ' \n')
	CONDUIT_EXTRA_ARGS="--passthrough mdev:$uuid --vfio-backend $1 --stats -v" \
		L2_EXTRA_CMDLINE="conduit.pattern=$PT_MTTY" run_guest 1 virtio mtty
	expect_rc 0
	expect_out "vfio: backend $2"
	expect_out "$uuid: passed through at guest"
	expect_out "L2-MTTY-READ=$PT_MTTY"
	pio=$(tr -d '\r' <"$OUT" | sed -n "s/.*stats $uuid: BAR data exits: MMIO [0-9]*, PIO \([0-9]*\);.*/\1/p")
	[ "${pio:-0}" -gt 0 ] || fail "no trapped port accesses for the mdev (got '$pio')"
	irqs=$(sed -n 's/^L2-MTTY-IRQS=\([0-9]*\).*/\1/p' "$OUT" | tr -d '\r')
	[ "${irqs:-0}" -gt 0 ] || fail "no mtty interrupts counted in L2"
	expect_out "interrupts relayed by conduit 0"
	# mtty masks its INTx as it fires and takes no unmask eventfd:
	# conduit unmasks at each EOI, and says so.
	expect_out "$uuid: INTx takes no unmask eventfd: conduit unmasks it at each EOI"
	unmasks=$(tr -d '\r' <"$OUT" | sed -n "s/.*stats $uuid: .*INTx unmasks by conduit \([0-9]*\).*/\1/p")
	[ "${unmasks:-0}" -gt 0 ] || fail "conduit unmasked mtty's INTx 0 times (got '$unmasks')"
	grep -a "vfio: backend\|L2-MTTY\|L2-IRQ\|stats $uuid" "$OUT" | tr -d '\r' | sed 's/^/# /'
	mtty_remove
}

case_pt_mtty() {
	mtty_run iommufd "iommufd (as asked)"
}

case_pt_mtty_legacy() {
	mtty_run legacy "legacy (type1), as asked"
}
