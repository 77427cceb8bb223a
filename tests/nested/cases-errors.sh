# tests/nested/cases-errors.sh - passthrough error cases for suites/passthrough,
# sourced by runner.sh. Owns the errors that need a particular host set-up:
# an IOMMU group shared with a device on a host driver (not viable), a
# /dev/vfio/N the user may not open, and a memlock limit too low to pin guest
# RAM for DMA. The last two run conduit as uid/gid 1000 without capabilities
# (busybox nsenter -S/-G). Each case binds its device, asserts conduit's exit
# code and one-line error (conduit_fails, cases-passthrough.sh), then gives
# the device back and restores every mode and owner it changed.
# Devices (exported by l1-init.sh; the cases skip without them):
#   CONDUIT_TEST_GROUP_DEVICE / CONDUIT_TEST_GROUP_PEER  two pci-serial cards
#     behind one pci-bridge, so in one IOMMU group, both on the serial driver
#   CONDUIT_TEST_IO_DEVICE  the pci-serial with a group of its own

ERR_UID=1000

# err_dev VAR: sets D to the device in $VAR; skips (returns 1) when it is
# unset, absent, already on vfio (a case before did not give it back), or
# when not root. Not called in $(...): skip must set SKIP in this shell.
err_dev() {
	eval "D=\${$1:-}"
	[ -n "$D" ] || { skip "no $1"; return 1; }
	[ -e "/sys/bus/pci/devices/$D" ] || { skip "no device $D ($1)"; return 1; }
	[ "$(id -u)" -eq 0 ] || { skip "needs root to change device permissions"; return 1; }
	case $(pt_driver "$D") in
	*vfio*) skip "$D is already bound to $(pt_driver "$D")" && return 1 ;;
	esac
}

err_group() {
	basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"
}

# err_as_user [MEMLOCK_KIB]: writes a wrapper that runs conduit as uid/gid
# $ERR_UID (no capabilities, no supplementary groups), after lowering
# RLIMIT_MEMLOCK to MEMLOCK_KIB when given; sets CONDUIT_BIN to it (the
# caller restores it from ERR_BIN).
err_as_user() {
	ERR_BIN=$CONDUIT_BIN
	w=$RUNNER_WORK/conduit-as-user
	{
		echo '#!/bin/sh'
		[ -z "${1:-}" ] || echo "ulimit -l $1 || exit 99"
		echo "exec nsenter -S $ERR_UID -G $ERR_UID -F -- $ERR_BIN \"\$@\""
	} >"$w"
	chmod 755 "$w"
	CONDUIT_BIN=$w
}

# err_save PATH: prints "MODE UID GID" of PATH; err_restore PATH SAVED.
err_save() {
	stat -c '%a %u %g' "$1"
}

err_restore() {
	# shellcheck disable=SC2086 # SAVED splits into its three fields
	set -- "$1" $2
	if ! chmod "$2" "$1" || ! chown "$3:$4" "$1"; then
		fail "cannot restore $1 to $2 $3:$4"
	fi
}

# err_show: conduit's error line as a diagnostic.
err_show() {
	tr -d '\r' <"$OUT" | sed 's/^/# /'
}

case_pt_group_not_viable() {
	err_dev CONDUIT_TEST_GROUP_DEVICE || return
	dev=$D
	err_dev CONDUIT_TEST_GROUP_PEER || return
	peer=$D
	g=$(err_group "$dev")
	if [ -z "$g" ] || [ "$(err_group "$peer")" != "$g" ]; then
		fail "$dev and $peer are not in one IOMMU group ('$g', '$(err_group "$peer")')"
		return
	fi
	prev=$(pt_driver "$dev") pdrv=$(pt_driver "$peer")
	case $pdrv in
	'' | *vfio*) fail "$peer has driver '$pdrv', want a host driver" && return ;;
	esac
	bind_case "$dev"
	[ -z "$FAIL" ] || return
	conduit_fails 1 "$dev: IOMMU group $g is not viable: it also holds" --passthrough "$dev"
	expect_out "$peer ($pdrv)"
	expect_out "run 'conduit bind $peer'"
	err_show
	unbind_case "$dev"
	[ "$(pt_driver "$dev")" = "$prev" ] || fail "$dev has '$(pt_driver "$dev")' after unbind, want $prev"
	[ "$(pt_driver "$peer")" = "$pdrv" ] || fail "$peer has '$(pt_driver "$peer")', want $pdrv"
}

# unpriv_begin: binds the I/O test device (dev, its previous driver prev,
# its group g) and opens /dev/kvm to everyone, saving the modes of /dev/kvm
# and of the node the backend opens for the device (node: /dev/vfio/$g, or
# with the iommufd backend its cdev, then /dev/iommu is opened to everyone
# too); unpriv_end restores them and gives the device back.
unpriv_begin() {
	err_dev CONDUIT_TEST_IO_DEVICE || return 1
	dev=$D
	prev=$(pt_driver "$dev")
	bind_case "$dev"
	[ -z "$FAIL" ] || return 1
	g=$(err_group "$dev")
	node=/dev/vfio/$g
	if [ "${CONDUIT_VFIO_BACKEND:-}" = iommufd ]; then
		node=/dev/vfio/devices/$(ls "/sys/bus/pci/devices/$dev/vfio-dev")
		iommu=$(err_save /dev/iommu)
		chmod 666 /dev/iommu
	fi
	kvm=$(err_save /dev/kvm) vfio=$(err_save "$node")
	chmod 666 /dev/kvm
}

unpriv_end() {
	err_restore /dev/kvm "$kvm"
	err_restore "$node" "$vfio"
	[ "${CONDUIT_VFIO_BACKEND:-}" != iommufd ] || err_restore /dev/iommu "$iommu"
	unbind_case "$dev"
	[ "$(pt_driver "$dev")" = "$prev" ] || fail "$dev has '$(pt_driver "$dev")' after unbind, want $prev"
}

case_pt_vfio_permission() {
	unpriv_begin || return
	chmod 600 "$node" && chown 0:0 "$node"
	err_as_user
	conduit_fails 1 "cannot open $node: Permission denied: run conduit as root" \
		--passthrough "$dev"
	CONDUIT_BIN=$ERR_BIN
	expect_out "'chown you $node'"
	err_show
	unpriv_end
}

# 64 KiB cannot hold 256 MiB of guest RAM; root would not be limited at all
# (CAP_IPC_LOCK), so the failure also shows conduit really ran unprivileged.
case_pt_memlock() {
	unpriv_begin || return
	chown "$ERR_UID:$ERR_UID" "$node"
	err_as_user 64
	conduit_fails 1 "cannot pin guest RAM for DMA: the memlock limit is 64 KiB, passthrough needs 256 MiB" \
		--memory 256M --passthrough "$dev"
	expect_out "(raise it: ulimit -l 327680,"
	err_show
	# Nothing held: a second run gets as far again (the group is not busy).
	conduit_fails 1 "the memlock limit is 64 KiB" --memory 256M --passthrough "$dev"
	CONDUIT_BIN=$ERR_BIN
	dmesg | grep 'RLIMIT_MEMLOCK' | tail -n 1 | sed 's/^/# dmesg: /'
	# ... and the device is still bindable and unbindable.
	unpriv_end
	bind_case "$dev"
	unbind_case "$dev"
	[ "$(pt_driver "$dev")" = "$prev" ] || fail "$dev has '$(pt_driver "$dev")' after the second unbind"
}
