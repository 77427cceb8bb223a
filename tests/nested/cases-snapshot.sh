# tests/nested/cases-snapshot.sh - snapshot and restore (issue 15), in
# suites/qmp, sourced by runner.sh. Owns: a guest counting on hvc0 stopped
# and saved with QMP migrate to file: (through `conduit ctl`), conduit quit,
# then `conduit --restore` of the file with the same arguments: the counter
# goes on from the count it had at the stop, the guest's power button
# (ACPI state restored, busybox acpid still running) powers it off with
# exit 0; --paused holds it until cont; the refusals, one line each:
# migrate of a running guest, onto an existing file, a restore with other
# --memory or --cpus, a truncated snapshot and a file that is no snapshot;
# a guest booted with --bios seabios saved, restored and reset (snap-bios),
# and migrated live (live-migrate-bios);
# the mtty mdev saved and restored through VFIO migration v2, and the NVMe
# (no migration under plain vfio-pci) refused by name.
# Uses qmp_vm, qmp_vm_end and last_count from cases-qmp.sh, mtty_create and
# mtty_remove from cases-iommufd.sh, pt_dev and bind_case from
# cases-passthrough.sh.

SNAP_FILE=''

# snap_ctl SOCK CMD [ARGS...]: conduit ctl; CTL its output, returns its code.
snap_ctl() {
	CTL=$("$CONDUIT_BIN" ctl "$@" 2>&1)
}

# snap_restore NAME ARGS...: conduit -v --restore in the background (pid
# rvm, output ROUT, socket rsock).
snap_restore() {
	ROUT=$RUNNER_WORK/$CASE_NAME.$1.out
	rsock=$RUNNER_WORK/$CASE_NAME.$1.sock
	shift
	rm -f "$rsock"
	"$CONDUIT_BIN" -v --kernel "$L2_KERNEL" --api-socket "$rsock" "$@" </dev/null >"$ROUT" 2>&1 &
	rvm=$!
}

# counts_in FILE: the L2-COUNT values in FILE, one a line.
counts_in() {
	tr -d '\r' <"$1" | sed -n 's/^L2-COUNT \([0-9]*\)$/\1/p'
}

# snap_quit FILE: QMP quit of the saved guest (sock, vm), which exits 5;
# returns 1 (after fail) when FILE, its snapshot, is missing or empty.
snap_quit() {
	snap_ctl "$sock" quit
	wait_exit "$vm" "$EXIT_TIMEOUT" "$OUT"
	vm=''
	[ "$RC" = 5 ] || fail "quit: exit $RC, want 5"
	[ -s "$1" ] || { fail "no snapshot file"; return 1; }
}

case_snap_save_restore() {
	qmp_vm counter || { qmp_vm_end; return; }
	wait_for "$OUT" "L2-COUNT 20" 30 "$vm" || fail "the guest counter does not run"
	SNAP_FILE=$RUNNER_WORK/guest.snap
	rm -f "$SNAP_FILE"
	snap_ctl "$sock" migrate "uri=file:$SNAP_FILE" &&
		fail "migrate of a running guest was not refused: $CTL"
	case $CTL in *"the guest is running: stop it first"*) ;; *) fail "migrate while running: $CTL" ;; esac
	snap_ctl "$sock" stop || fail "stop: $CTL"
	sleep 0.5
	c1=$(last_count)
	snap_ctl "$sock" migrate "uri=file:$SNAP_FILE" || fail "migrate: $CTL"
	snap_ctl "$sock" query-migrate
	case $CTL in *'"status": "completed"'*) ;; *) fail "query-migrate: $CTL" ;; esac
	echo "# query-migrate: $(echo "$CTL" | tr -d '\n' | cut -c1-200)"
	snap_ctl "$sock" migrate "uri=file:$SNAP_FILE" && fail "migrate onto an existing file was not refused"
	case $CTL in *"File exists (conduit writes a snapshot to a new file only)"*) ;; *) fail "migrate onto a file: $CTL" ;; esac
	snap_quit "$SNAP_FILE" || return
	echo "# snapshot: $(wc -c <"$SNAP_FILE") bytes of a ${L2_MEMORY} MiB guest, counter at $c1"

	snap_restore run --restore "$SNAP_FILE" --memory "${L2_MEMORY}M"
	wait_for "$ROUT" "L2-COUNT $((c1 + 20))" 30 "$rvm" ||
		fail "the restored guest does not count on past $c1: $(counts_in "$ROUT" | head -n 3 | tr '\n' ' ')"
	first=$(counts_in "$ROUT" | head -n 1)
	[ -n "$first" ] && [ "$first" -gt "$c1" ] && [ "$first" -le $((c1 + 2)) ] ||
		fail "the restored guest's first count is '$first', the saved one's last $c1"
	echo "# restored: first count $first after $c1; $(tr -d '\r' <"$ROUT" | grep -m1 'restored from')"
	snap_ctl "$rsock" system_powerdown || fail "system_powerdown: $CTL"
	wait_exit "$rvm" "$EXIT_TIMEOUT" "$ROUT" || fail "the restored guest did not power off"
	[ "$RC" = 0 ] || fail "the restored guest's poweroff: exit $RC, want 0"
	OUT=$ROUT
}

# --paused: the restored guest waits, counts nothing until cont.
case_snap_paused() {
	[ -s "$SNAP_FILE" ] || { fail "no snapshot from snap-save-restore"; return; }
	snap_restore paused --restore "$SNAP_FILE" --memory "${L2_MEMORY}M" --paused
	OUT=$ROUT
	wait_for "$ROUT" "paused (--paused): QMP cont runs the guest" 60 "$rvm" ||
		{ fail "no restore: $(grep -m1 '^conduit: error' "$ROUT")"; return; }
	i=0
	while [ ! -S "$rsock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 2
	[ -z "$(counts_in "$ROUT")" ] || fail "the guest counted while --paused"
	snap_ctl "$rsock" query-status
	case $CTL in *'"status": "paused"'*) ;; *) fail "query-status: $CTL" ;; esac
	snap_ctl "$rsock" cont || fail "cont: $CTL"
	wait_for "$ROUT" "L2-COUNT" 30 "$rvm" || fail "no count after cont"
	snap_ctl "$rsock" system_powerdown
	wait_exit "$rvm" "$EXIT_TIMEOUT" "$ROUT"
	[ "$RC" = 0 ] || fail "poweroff: exit $RC, want 0"
}

# snap_refused NAME WANT ARGS...: a restore that must end with exit 1 and
# one error line containing WANT, the guest never run.
snap_refused() {
	name=$1 want=$2
	shift 2
	snap_restore "$name" "$@"
	wait_exit "$rvm" 60 "$ROUT" || { fail "$name: still running"; return; }
	[ "$RC" = 1 ] || fail "$name: exit $RC, want 1"
	n=$(grep -c '^conduit: error' "$ROUT")
	[ "$n" = 1 ] || fail "$name: $n error lines: $(head -c 300 "$ROUT")"
	grep -qF -- "$want" "$ROUT" || fail "$name: no '$want' in: $(grep '^conduit: error' "$ROUT")"
	! grep -q 'L2-COUNT' "$ROUT" || fail "$name: the guest ran"
}

case_snap_refusals() {
	[ -s "$SNAP_FILE" ] || { fail "no snapshot from snap-save-restore"; return; }
	snap_refused memory "the snapshot's guest has ${L2_MEMORY} MiB of RAM, this machine 512 MiB (--memory)" \
		--restore "$SNAP_FILE" --memory 512M
	snap_refused cpus "the snapshot has 1 vCPU, this machine 2 (--cpus)" \
		--restore "$SNAP_FILE" --memory "${L2_MEMORY}M" --cpus 2
	head -c 3000000 "$SNAP_FILE" >"$RUNNER_WORK/truncated.snap"
	snap_refused truncated "truncated" --restore "$RUNNER_WORK/truncated.snap" --memory "${L2_MEMORY}M"
	echo "not a snapshot" >"$RUNNER_WORK/text.snap"
	snap_refused text "not a conduit snapshot" --restore "$RUNNER_WORK/text.snap" --memory "${L2_MEMORY}M"
	snap_refused missing "--restore $RUNNER_WORK/none.snap: No such file or directory" \
		--restore "$RUNNER_WORK/none.snap" --memory "${L2_MEMORY}M"
	OUT=$ROUT
}

# A guest booted through SeaBIOS (--bios seabios, Linux loaded by conduit's
# option ROM over fw_cfg) saved and restored with the same arguments: the
# counter goes on; a restore without --bios is refused naming it, and so is
# snap-save-restore's snapshot with --bios; system_reset of the restored
# guest boots through SeaBIOS again (its banner in the new --bios-log) and
# the counter starts over.
case_snap_bios() {
	blog=$RUNNER_WORK/$CASE_NAME.bios.log
	bcmd="console=ttyS0 quiet conduit.test=counter${QMP_CMDLINE:+ $QMP_CMDLINE}"
	qmp_vm counter --bios seabios --bios-log "$blog" || { qmp_vm_end; return; }
	grep -q "^SeaBIOS (version" "$blog" || fail "no SeaBIOS banner in --bios-log: not a --bios boot"
	wait_for "$OUT" "L2-COUNT 20" 30 "$vm" || fail "the guest counter does not run"
	bsnap=$RUNNER_WORK/bios.snap
	rm -f "$bsnap"
	snap_ctl "$sock" stop || fail "stop: $CTL"
	sleep 0.5
	c1=$(last_count)
	snap_ctl "$sock" migrate "uri=file:$bsnap" || { fail "migrate: $CTL"; qmp_vm_end; return; }
	snap_quit "$bsnap" || return
	echo "# --bios snapshot: $(wc -c <"$bsnap") bytes, counter at $c1"

	snap_refused nobios "this machine has none: give --bios (the snapshot's guest was booted with it)" \
		--restore "$bsnap" --initrd "$L2_INITRD" --memory "${L2_MEMORY}M" \
		--cmdline "$bcmd"
	if [ -s "$SNAP_FILE" ]; then
		snap_refused withbios "the snapshot has none: leave out --bios (the snapshot's guest was booted without it)" \
			--restore "$SNAP_FILE" --memory "${L2_MEMORY}M" --bios seabios
	else
		fail "no snapshot from snap-save-restore for the --bios refusal"
	fi

	rlog=$RUNNER_WORK/$CASE_NAME.restored.bios.log
	snap_restore run --restore "$bsnap" --bios seabios --bios-log "$rlog" --initrd "$L2_INITRD" \
		--memory "${L2_MEMORY}M" --cmdline "$bcmd"
	OUT=$ROUT
	wait_for "$ROUT" "L2-COUNT $((c1 + 20))" 30 "$rvm" ||
		{ fail "the restored guest does not count on past $c1: $(counts_in "$ROUT" | head -n 3 | tr '\n' ' ') $(grep -m1 '^conduit: error' "$ROUT")"; kill "$rvm" 2>/dev/null; wait_exit "$rvm" "$EXIT_TIMEOUT"; return; }
	first=$(counts_in "$ROUT" | head -n 1)
	[ -n "$first" ] && [ "$first" -gt "$c1" ] && [ "$first" -le $((c1 + 2)) ] ||
		fail "the restored guest's first count is '$first', the saved one's last $c1"
	! grep -q "SeaBIOS (version" "$ROUT" || fail "the restored guest ran SeaBIOS before its reset"
	echo "# restored: first count $first after $c1; $(tr -d '\r' <"$ROUT" | grep -m1 'restored from')"
	bios_reset_boots "$rlog"
}

# bios_reset_boots LOG: system_reset of the restored --bios guest (rsock,
# rvm, ROUT) boots it through SeaBIOS again (its banner on the console and
# appended to --bios-log LOG, which had none before), the counter starts
# over, and the power button powers it off with exit 0.
bios_reset_boots() {
	! grep -q "SeaBIOS (version" "$1" || fail "SeaBIOS ran in the restored guest before its reset"
	n0=$(lines "$ROUT")
	snap_ctl "$rsock" system_reset || fail "system_reset: $CTL"
	wait_new "$ROUT" "$n0" 'the guest rebooted: booting it again \(boot 2\)' 30 ||
		fail "no second boot after system_reset"
	if ! wait_new "$ROUT" "$n0" '^L2-COUNT 5$' "$BOOT_TIMEOUT"; then
		guest_stuck "$rvm" "$ROUT" "$n0" "after the reset"
		fail "the counter did not start over in $BOOT_TIMEOUT s after the reset; the guest's last line: '$STUCK_LAST' $(tail -n +"$((n0 + 1))" "$ROUT" | grep -a -m1 '^conduit: error')"
	fi
	grep -q "^SeaBIOS (version" "$1" || fail "no SeaBIOS banner in --bios-log after the reset"
	wait_new "$ROUT" "$n0" 'SeaBIOS \(version' 1 || fail "no SeaBIOS banner on the console after the reset"
	snap_ctl "$rsock" system_powerdown || fail "system_powerdown: $CTL"
	wait_exit "$rvm" "$EXIT_TIMEOUT" "$ROUT" || fail "the restored guest did not power off"
	[ "$RC" = 0 ] || fail "the restored guest's poweroff: exit $RC, want 0"
}

# The mtty mdev passed through, its port held open by L2's serial driver
# and used through mtty's loopback before the save; the guest saved and
# restored onto the same mdev: mtty's own state (its UART registers, the
# interrupt enable the driver set) goes through VFIO migration v2
# (STOP_COPY on the source, RESUMING on the destination), conduit's view of
# it (config space, BARs, INTx) through the snapshot; after the restore the
# same open port carries a second pattern through the loopback, by INTx,
# while the counter goes on from where it stopped.
case_snap_mtty() {
	mtty_create || return
	pat=snap-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
	QMP_CMDLINE="conduit.pattern=$pat" qmp_vm mtty-snap --passthrough "mdev:$uuid" ||
		{ qmp_vm_end; mtty_remove; return; }
	wait_for "$OUT" L2-MTTY-BEFORE= 30 "$vm" || fail "the guest did not use mtty"
	before=$(tr -d '\r' <"$OUT" | sed -n 's/^L2-MTTY-BEFORE=//p' | head -n 1)
	[ "$before" = "${pat}a" ] || fail "mtty's loopback before the save gave '$before', want '${pat}a'"
	snap=$RUNNER_WORK/mtty.snap
	rm -f "$snap"
	snap_ctl "$sock" stop || fail "stop: $CTL"
	c1=$(last_count)
	snap_ctl "$sock" migrate "uri=file:$snap" || fail "migrate: $CTL"
	snap_ctl "$sock" query-migrate
	echo "# query-migrate: $(echo "$CTL" | tr -d '\n' | cut -c1-240)"
	snap_quit "$snap"
	[ "${c1:-100}" -lt 95 ] || fail "the counter was at $c1 at the stop: too late for the check at 100"
	snap_restore mtty --restore "$snap" --memory "${L2_MEMORY}M" --passthrough "mdev:$uuid"
	wait_for "$ROUT" "L2-MTTY-AFTER=" 60 "$rvm" || fail "the restored guest did not use mtty again"
	after=$(tr -d '\r' <"$ROUT" | sed -n 's/^L2-MTTY-AFTER=//p' | head -n 1)
	[ "$after" = "${pat}b" ] || fail "mtty's loopback after the restore gave '$after', want '${pat}b'"
	first=$(counts_in "$ROUT" | head -n 1)
	[ -n "$first" ] && [ "$first" -gt "${c1:-0}" ] && [ "$first" -le $((${c1:-0} + 2)) ] ||
		fail "the restored guest's first count is '$first', the saved one's last $c1"
	echo "# mtty: '$before' before the save at count $c1, '$after' after the restore; $(grep -a -m1 'restored from' "$ROUT")"
	snap_ctl "$rsock" system_powerdown
	wait_exit "$rvm" "$EXIT_TIMEOUT" "$ROUT"
	[ "$RC" = 0 ] || fail "the restored guest's poweroff: exit $RC, want 0"
	OUT=$ROUT
	mtty_remove
}

# The NVMe under plain vfio-pci has no VFIO migration: migrate is refused,
# naming it and why, before anything changes; the guest goes on.
case_snap_nvme_refused() {
	pt_dev || return
	bind_case "$dev"
	[ "$RC" = 0 ] || return
	qmp_vm counter --passthrough "$dev" || { qmp_vm_end; "$CONDUIT_BIN" unbind "$dev" >/dev/null 2>&1; return; }
	snap_ctl "$sock" stop
	snap_ctl "$sock" migrate "uri=file:$RUNNER_WORK/nvme.snap" &&
		fail "migrate with the NVMe was not refused"
	case $CTL in *"$dev: vfio-pci offers no migration"*) ;; *) fail "the refusal: $CTL" ;; esac
	[ ! -e "$RUNNER_WORK/nvme.snap" ] || fail "a snapshot file was left"
	snap_ctl "$sock" cont
	c1=$(last_count)
	sleep 1
	[ "$(last_count)" -gt "${c1:-0}" ] || fail "the guest does not go on after the refusal"
	qmp_vm_end
	"$CONDUIT_BIN" unbind "$dev" >/dev/null 2>&1 || fail "unbind failed"
}

# --- live migration (unix:) within one L1 --------------------------------------

# live_dest NAME ARGS...: a destination conduit -v --incoming on a socket
# in RUNNER_WORK (URI in mig_uri), waiting for the source.
live_dest() {
	mig_uri=unix:$RUNNER_WORK/$CASE_NAME.mig
	rm -f "$RUNNER_WORK/$CASE_NAME.mig"
	dname=$1
	shift
	snap_restore "$dname" --incoming "$mig_uri" "$@"
	wait_for "$ROUT" "waiting for a migration on $mig_uri" 60 "$rvm" ||
		{ fail "the destination does not listen: $(grep -m1 '^conduit: error' "$ROUT")"; return 1; }
}

# live_end: after a live migration, the source (paused) quits with exit 5
# and the destination powers off with exit 0; OUT becomes the
# destination's output for what the case shows after.
live_end() {
	snap_ctl "$sock" quit
	wait_exit "$vm" "$EXIT_TIMEOUT" "$OUT"
	vm=''
	[ "$RC" = 5 ] || fail "the source's quit: exit $RC, want 5"
	snap_ctl "$rsock" system_powerdown || fail "system_powerdown at the destination: $CTL"
	wait_exit "$rvm" "$EXIT_TIMEOUT" "$ROUT"
	[ "$RC" = 0 ] || fail "the destination's poweroff: exit $RC, want 0"
	OUT=$ROUT
}

# live_wait SOCK STATUS SECS: query-migrate on SOCK until its status is
# STATUS (CTL: the last answer); 1 at the timeout.
live_wait() {
	i=0
	while [ $i -lt $(($3 * 5)) ]; do
		snap_ctl "$1" query-migrate
		case $CTL in *"\"status\": \"$2\""*) return 0 ;; esac
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# A running guest migrated live to a second conduit in the same L1: the
# counter goes on there from where the source paused it, the source stays
# paused (query-status), the destination powers off by its button.
case_live_migrate() {
	qmp_vm counter || { qmp_vm_end; return; }
	wait_for "$OUT" "L2-COUNT 20" 30 "$vm" || fail "the guest counter does not run"
	live_dest run --memory "${L2_MEMORY}M" || { qmp_vm_end; return; }
	snap_ctl "$sock" migrate "uri=$mig_uri" || fail "migrate: $CTL"
	live_wait "$sock" completed 120 || fail "the migration did not complete: $CTL"
	echo "# query-migrate: $(echo "$CTL" | tr -d '\n' | cut -c1-300)"
	snap_ctl "$sock" query-status
	case $CTL in *'"status": "paused"'*) ;; *) fail "the source after the migration: $CTL" ;; esac
	c1=$(last_count)
	if ! wait_for "$ROUT" "L2-COUNT $((c1 + 20))" 30 "$rvm"; then
		guest_stuck "$rvm" "$ROUT" 0 destination
		fail "the destination does not count on past $c1: $(counts_in "$ROUT" | head -n 3 | tr '\n' ' '); its last line: '$STUCK_LAST'"
	fi
	first=$(counts_in "$ROUT" | head -n 1)
	[ -n "$first" ] && [ "$first" -gt "${c1:-0}" ] && [ "$first" -le $((${c1:-0} + 2)) ] ||
		fail "the destination's first count is '$first', the source's last $c1"
	echo "# live: source's last count $c1, destination's first $first; $(grep -a -m1 'restored from' "$ROUT")"
	live_end
}

# live-migrate with a guest booted through SeaBIOS on both sides: the
# counter goes on at the destination, whose system_reset then boots
# through SeaBIOS again.
case_live_migrate_bios() {
	bcmd="console=ttyS0 quiet conduit.test=counter${QMP_CMDLINE:+ $QMP_CMDLINE}"
	qmp_vm counter --bios seabios --bios-log "$RUNNER_WORK/$CASE_NAME.bios.log" ||
		{ qmp_vm_end; return; }
	wait_for "$OUT" "L2-COUNT 20" 30 "$vm" || fail "the guest counter does not run"
	rlog=$RUNNER_WORK/$CASE_NAME.dest.bios.log
	live_dest run --bios seabios --bios-log "$rlog" --initrd "$L2_INITRD" \
		--memory "${L2_MEMORY}M" --cmdline "$bcmd" || { qmp_vm_end; return; }
	snap_ctl "$sock" migrate "uri=$mig_uri" || fail "migrate: $CTL"
	live_wait "$sock" completed 120 || fail "the migration did not complete: $CTL"
	echo "# query-migrate: $(echo "$CTL" | tr -d '\n' | cut -c1-300)"
	c1=$(last_count)
	snap_ctl "$sock" quit
	wait_exit "$vm" "$EXIT_TIMEOUT" "$OUT"
	vm=''
	[ "$RC" = 5 ] || fail "the source's quit: exit $RC, want 5"
	OUT=$ROUT
	wait_for "$ROUT" "L2-COUNT $((c1 + 20))" 30 "$rvm" ||
		{ fail "the destination does not count on past $c1: $(counts_in "$ROUT" | head -n 3 | tr '\n' ' ') $(grep -m1 '^conduit: error' "$ROUT")"; kill "$rvm" 2>/dev/null; wait_exit "$rvm" "$EXIT_TIMEOUT"; return; }
	first=$(counts_in "$ROUT" | head -n 1)
	[ -n "$first" ] && [ "$first" -gt "${c1:-0}" ] && [ "$first" -le $((${c1:-0} + 2)) ] ||
		fail "the destination's first count is '$first', the source's last $c1"
	echo "# live --bios: source's last count $c1, destination's first $first; $(grep -a -m1 'restored from' "$ROUT")"
	bios_reset_boots "$rlog"
}

# A destination given other --memory refuses the stream with one line; the
# migration fails at the source, which runs on as before.
case_live_refused() {
	qmp_vm counter || { qmp_vm_end; return; }
	wait_for "$OUT" "L2-COUNT 10" 30 "$vm" || fail "the guest counter does not run"
	live_dest memory --memory 512M || { qmp_vm_end; return; }
	snap_ctl "$sock" migrate "uri=$mig_uri" || fail "migrate: $CTL"
	live_wait "$sock" failed 120 || fail "the migration did not fail: $CTL"
	echo "# query-migrate: $(echo "$CTL" | tr -d '\n' | cut -c1-300)"
	case $CTL in *"the destination closed the connection (its own error says why)"*) ;;
	*) fail "the source's error: $CTL" ;; esac
	wait_exit "$rvm" 60 "$ROUT"
	[ "$RC" = 1 ] || fail "the destination: exit $RC, want 1"
	grep -qF "the snapshot's guest has ${L2_MEMORY} MiB of RAM, this machine 512 MiB (--memory)" "$ROUT" ||
		fail "the destination's error: $(grep -m1 '^conduit: error' "$ROUT")"
	snap_ctl "$sock" query-status
	case $CTL in *'"status": "running"'*) ;; *) fail "the source after the failed migration: $CTL" ;; esac
	c1=$(last_count)
	sleep 1
	[ "$(last_count)" -gt "${c1:-0}" ] || fail "the source's guest does not go on"
	qmp_vm_end
}
