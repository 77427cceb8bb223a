# tests/nested/cases-migrate-vfio.sh - live migration with passed-through
# devices (issue 15: VFIO migration v2 pre-copy, device dirty tracking), in
# suites/qmp, sourced by runner.sh; each case under both backends in one L1
# (or the run's backend only, when it gives one).
# The guest is L2's mtty-live agent (l2-init.sh): 64 MiB of files in RAM
# rewritten and checked again and again (L2-MEMCHECK), a counter on the
# console (L2-COUNT) and on virtio-console (L2-HVC), and every 10th count
# bytes through mtty's loopback on an open port (L2-MTTY-LOOP). mtty offers
# PRE_COPY, P2P and DMA logging (which reports nothing: it does no DMA);
# QEMU's intel-iommu has no dirty tracking. So by default mtty's pages come
# from its DMA logging; with x-conduit-device-dirty-tracking=false (no DMA
# logging) they come on the legacy backend from the type1 container's
# VFIO_IOMMU_DIRTY_PAGES, and with x-conduit-container-dirty-tracking=false
# too (or on IOMMUFD) the live migration is refused naming the device,
# unless x-conduit-dirty-all-dma=true counts every DMA-mapped page dirty.
# Cases: live-mtty-refused (that refusal, then with all-dma a destination
# with other --memory and one without the device: the source runs on, its
# device back in RUNNING, mtty still loops), live-mtty (mdev A to mdev B in
# the same L1 by DMA logging: nothing lost, counters go on, pre-copy used,
# device data at the destination), live-mtty-type1 (the same by the type1
# container's dirty tracking: legacy only, a SKIP when the run is IOMMUFD's
# alone), live-mtty-cancel (all-dma, so every
# round is all of RAM: migrate_cancel in round 2, the device PRE_COPY ->
# RUNNING, mtty loops), live-mtty-two (two mdevs: snapshot and restore,
# then live with all-dma; every device quiesced before any STOP_COPY, every
# device RUNNING_P2P before any RUNNING, from the -v logs).
# Uses snap_ctl, snap_restore, live_dest, live_wait, live_end and counts_in from
# cases-snapshot.sh, qmp_vm, qmp_vm_end from cases-qmp.sh, mtty_create and
# mtty_remove from cases-iommufd.sh.

# Each case runs under every backend in MV_BACKENDS, in one L1: both when
# the run gives none (NESTED_VFIO_BACKEND unset), else the run's.
MV_BACKENDS=${CONDUIT_VFIO_BACKEND:-legacy iommufd}

# mv_each FN: FN once per backend (MV_BE), a failure naming the backend.
mv_each() {
	for MV_BE in $MV_BACKENDS; do
		echo "# --vfio-backend $MV_BE"
		"$1"
		case $FAIL in '' | '['*) ;; *) FAIL="[$MV_BE] $FAIL" ;; esac
	done
}

case_live_mtty_refused() { mv_each mv_live_mtty_refused; }
case_live_mtty() { mv_each mv_live_mtty; }
# The container's dirty tracking is the legacy backend's alone.
case_live_mtty_type1() {
	case " $MV_BACKENDS " in
	*" legacy "*) ;;
	*)
		skip "the type1 container's dirty tracking needs --vfio-backend legacy"
		return
		;;
	esac
	MV_BE=legacy
	echo "# --vfio-backend $MV_BE"
	mv_live_mtty_type1
	case $FAIL in '' | '['*) ;; *) FAIL="[$MV_BE] $FAIL" ;; esac
}
case_live_mtty_cancel() { mv_each mv_live_mtty_cancel; }
case_live_mtty_two() { mv_each mv_live_mtty_two; }

# mv_mdevs N: N mtty mdevs, their UUIDs in MV_UUIDS (space-separated).
mv_mdevs() {
	MV_UUIDS=''
	k=0
	while [ $k -lt "$1" ]; do
		mtty_create || { mv_remove; return 1; }
		MV_UUIDS="$MV_UUIDS $uuid"
		k=$((k + 1))
	done
}

mv_remove() {
	for uuid in $MV_UUIDS; do
		mtty_remove
	done
	MV_UUIDS=''
}

# mv_src ARGS...: the mtty-live guest under conduit -v with ARGS, its 64 MiB
# filled and checked once, mtty looping.
mv_src() {
	MV_PAT=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
	QMP_CMDLINE="conduit.pattern=$MV_PAT" qmp_vm mtty-live -v --vfio-backend "$MV_BE" "$@" || return 1
	wait_for "$OUT" "L2-MEM-FILLED" 120 "$vm" || { fail "the guest did not fill its memory"; return 1; }
	wait_for "$OUT" "L2-MEMCHECK pass=1 ok" 120 "$vm" ||
		{ fail "the guest's first memory check: $(mv_clean "$OUT" | grep -m1 'L2-MEMCHECK')"; return 1; }
	wait_for "$OUT" "L2-MTTY-LOOP n=" 60 "$vm" || { fail "the guest did not use mtty"; return 1; }
	mv_clean "$OUT" | grep -q 'L2-MTTY-LOOP n=[0-9]* ok' ||
		{ fail "mtty's loopback: $(mv_clean "$OUT" | grep -m1 'L2-MTTY-LOOP')"; return 1; }
}

# mv_clean FILE: FILE without carriage returns.
mv_clean() {
	tr -d '\r' <"$1"
}

# mv_last_loop FILE: the last mtty loop count in FILE (0: none).
mv_last_loop() {
	n=$(mv_clean "$1" | sed -n 's/^L2-MTTY-LOOP n=\([0-9]*\) ok$/\1/p' | tail -n 1)
	echo "${n:-0}"
}

# mv_goes_on WHAT: the source's guest counts on and mtty loops back again
# after WHAT, and nothing went wrong in it.
mv_goes_on() {
	l0=$(mv_last_loop "$OUT")
	snap_ctl "$sock" query-status
	case $CTL in *'"status": "running"'*) ;; *) fail "$1: the source is not running: $CTL" ;; esac
	i=0
	while [ "$(mv_last_loop "$OUT")" -le "$l0" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(mv_last_loop "$OUT")" -gt "$l0" ] ||
		fail "$1: mtty does not loop back after loop $l0: $(mv_clean "$OUT" | grep 'L2-MTTY-LOOP' | tail -n 1)"
	mv_guest_ok "$OUT" "$1"
}

# mv_guest_ok FILE WHAT: no mtty loop, memory check or agent error in FILE.
mv_guest_ok() {
	bad=$(mv_clean "$1" | grep -m1 -E 'L2-MTTY-LOOP n=[0-9]* bad|L2-MEMCHECK-BAD|L2-ERROR')
	[ -z "$bad" ] || fail "$2: $bad"
}

# mv_refused_dest NAME WANT ARGS...: a destination with ARGS that refuses the
# stream with WANT; the source's migration fails, the source goes on.
mv_refused_dest() {
	name=$1 want=$2
	shift 2
	live_dest "$name" --vfio-backend "$MV_BE" "$@" || return
	snap_ctl "$sock" migrate "uri=$mig_uri" || fail "$name: migrate: $CTL"
	live_wait "$sock" failed 300 || fail "$name: the migration did not fail: $CTL"
	echo "# $name: source: $(echo "$CTL" | tr -d '\n' | sed 's/.*"error-desc": *//' | cut -c1-160)"
	wait_exit "$rvm" 60 "$ROUT"
	[ "$RC" = 1 ] || fail "$name: the destination: exit $RC, want 1"
	grep -qF -- "$want" "$ROUT" || fail "$name: the destination's error: $(grep -m1 '^conduit: error' "$ROUT")"
	grep -q "migrate: $MV_A: back in RUNNING" "$OUT" || fail "$name: no '$MV_A: back in RUNNING' at the source"
	mv_goes_on "$name"
}

# Without x-conduit-dirty-all-dma: refused naming the device, before
# anything changes. Then with it, destinations that refuse the stream: other
# --memory, and no mtty. The source runs on each time, mtty loops.
mv_live_mtty_refused() {
	mv_mdevs 2 || return
	set -- $MV_UUIDS
	MV_A=$1 MV_B=$2
	mv_src --passthrough "mdev:$MV_A" || { qmp_vm_end; mv_remove; return; }
	snap_ctl "$sock" migrate-set-parameters x-conduit-device-dirty-tracking=false \
		x-conduit-container-dirty-tracking=false || fail "migrate-set-parameters: $CTL"
	snap_ctl "$sock" migrate "uri=unix:$RUNNER_WORK/nobody.mig" &&
		fail "live migration without device dirty tracking was not refused: $CTL"
	if [ "$MV_BE" = legacy ]; then
		why="its DMA logging is off (x-conduit-device-dirty-tracking=false), its type1 container's dirty tracking is off (x-conduit-container-dirty-tracking=false) and the legacy backend has no IOMMU dirty tracking"
	else
		why="its DMA logging is off (x-conduit-device-dirty-tracking=false) and its IOMMU no dirty tracking"
	fi
	case $CTL in
	*"$MV_A: live migration cannot see the guest RAM it writes by DMA: $why"*"x-conduit-dirty-all-dma=true counts every DMA-mapped page dirty"*) ;;
	*) fail "the refusal: $CTL" ;;
	esac
	echo "# refused: $(echo "$CTL" | tr -d '\n' | cut -c1-260)"
	mv_goes_on "the refusal"
	snap_ctl "$sock" migrate-set-parameters x-conduit-dirty-all-dma=true x-conduit-max-rounds=2 ||
		fail "migrate-set-parameters: $CTL"
	! grep -q "migrate: $MV_A: back in RUNNING" "$OUT" ||
		fail "the refused migrate took a device out of RUNNING"
	mv_refused_dest memory "the snapshot's guest has ${L2_MEMORY} MiB of RAM, this machine 512 MiB (--memory)" \
		--memory 512M --passthrough "mdev:$MV_B"
	mv_refused_dest nodevice "00:0" --memory "${L2_MEMORY}M"
	grep -a '^conduit: error' "$ROUT" | head -n 1 | sed 's/^/# nodevice: destination: /'
	qmp_vm_end
	mv_remove
}

# mv_live_pair: two mtty instances, A (MV_A) passed to a source guest and
# B (MV_B) to a destination waiting for it; 1, everything undone, when
# either does not start.
mv_live_pair() {
	mv_mdevs 2 || return 1
	set -- $MV_UUIDS
	MV_A=$1 MV_B=$2
	mv_src --passthrough "mdev:$MV_A" || { qmp_vm_end; mv_remove; return 1; }
	live_dest run --vfio-backend "$MV_BE" --memory "${L2_MEMORY}M" --passthrough "mdev:$MV_B" ||
		{ qmp_vm_end; mv_remove; return 1; }
}

# mtty instance A to instance B, the guest writing all the while.
mv_live_mtty() {
	mv_live_pair || return
	c0=$(last_count)
	snap_ctl "$sock" migrate "uri=$mig_uri" || fail "migrate: $CTL"
	live_wait "$sock" completed 600 || fail "the migration did not complete: $CTL"
	echo "# query-migrate: $(echo "$CTL" | tr -d '\n' | tr -s ' ' | cut -c1-700)"
	pre=$(echo "$CTL" | tr -d '\n ' | sed -n 's/.*"precopy-bytes":\([0-9]*\).*/\1/p')
	stopc=$(echo "$CTL" | tr -d '\n ' | sed -n 's/.*"stop-copy-bytes":\([0-9]*\).*/\1/p')
	kvm=$(echo "$CTL" | tr -d '\n ' | sed -n 's/.*"total":{"kvm":\([0-9]*\),.*/\1/p')
	[ "${pre:-0}" -gt 0 ] || fail "no device data in pre-copy: '$pre'"
	[ "${stopc:-0}" -gt 0 ] || fail "no device data in stop-copy: '$stopc'"
	[ "${kvm:-0}" -gt 0 ] || fail "no dirty pages counted from KVM: '$kvm'"
	case $CTL in *'"dma-logging": 0'*) ;; *) fail "query-migrate has no dma-logging count: $CTL" ;; esac
	grep -q "migrate: $MV_A: its DMA writes tracked by dma-logging" "$OUT" ||
		fail "mtty's DMA writes not tracked by its DMA logging: $(grep -a -m1 'DMA writes tracked' "$OUT")"
	grep -q "migrate: $MV_A: PRE_COPY (it offers STOP_COPY+P2P+PRE_COPY)" "$OUT" ||
		fail "the source's device did not go to PRE_COPY: $(grep -a -m1 "migrate: $MV_A:" "$OUT")"
	grep -a 'migrate: dirty pages' "$OUT" | head -n 4 | sed 's/^.*migrate: /# source: /'
	snap_ctl "$sock" query-status
	case $CTL in *'"status": "paused"'*) ;; *) fail "the source after the migration: $CTL" ;; esac
	c1=$(last_count)
	h1=$(mv_clean "$OUT" | sed -n 's/^L2-HVC \([0-9]*\)$/\1/p' | tail -n 1)
	l1=$(mv_last_loop "$OUT")
	# The destination: counters go on, mtty loops, two whole memory checks.
	mv_dest_counts
	hfirst=$(mv_clean "$ROUT" | sed -n 's/^L2-HVC \([0-9]*\)$/\1/p' | head -n 1)
	[ -n "$hfirst" ] && [ "$hfirst" -gt "${h1:-0}" ] && [ "$hfirst" -le $((${h1:-0} + 2)) ] ||
		fail "virtio-console: the destination's first L2-HVC is '$hfirst', the source's last $h1"
	mv_dest_checks
	grep -q "VFIO device data: [1-9][0-9]* bytes in [2-9][0-9]* runs" "$ROUT" ||
		fail "the destination's device data: $(grep -a -m1 'VFIO device data' "$ROUT")"
	echo "# live: counts $c0..$c1 at the source, $first on at the destination; mtty loops to $l1 there, to $(mv_last_loop "$ROUT") here; $checks memory checks"
	grep -a -m1 'VFIO device data' "$ROUT" | sed 's/^/# destination: /'
	live_end
	mv_remove
}

# mv_dest_counts: the destination's counter goes on 50 past the source's
# last ($c1), and its first count ($first) is the next one or the one after.
mv_dest_counts() {
	wait_for "$ROUT" "L2-COUNT $((c1 + 50))" 120 "$rvm" ||
		fail "the destination does not count on past $c1: $(counts_in "$ROUT" | head -n 3 | tr '\n' ' ')"
	first=$(counts_in "$ROUT" | head -n 1)
	[ -n "$first" ] && [ "$first" -gt "${c1:-0}" ] && [ "$first" -le $((${c1:-0} + 2)) ] ||
		fail "the destination's first count is '$first', the source's last $c1"
}

# mv_dest_checks: at the destination two whole memory checks pass ($checks)
# and mtty loops past the source's last ($l1); neither guest printed an
# error.
mv_dest_checks() {
	i=0
	while [ "$(mv_clean "$ROUT" | grep -c '^L2-MEMCHECK pass=[0-9]* ok')" -lt 2 ] && [ $i -lt 1800 ]; do
		kill -0 "$rvm" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	checks=$(mv_clean "$ROUT" | grep -c '^L2-MEMCHECK pass=[0-9]* ok')
	[ "$checks" -ge 2 ] || fail "the destination made $checks whole memory checks, want 2"
	[ "$(mv_last_loop "$ROUT")" -gt "$l1" ] || fail "mtty does not loop back at the destination"
	mv_guest_ok "$OUT" "the source"
	mv_guest_ok "$ROUT" "the destination"
}

# mtty A to B with no DMA logging (x-conduit-device-dirty-tracking=false):
# the type1 container's VFIO_IOMMU_DIRTY_PAGES tracks it, started once,
# a GET_BITMAP each round and region, stopped once (from the -v log and
# query-migrate); the guest's checks pass at the destination as in live-mtty.
# mtty pins no page, so the container reports none of them dirty.
mv_live_mtty_type1() {
	mv_live_pair || return
	snap_ctl "$sock" migrate-set-parameters x-conduit-device-dirty-tracking=false ||
		fail "migrate-set-parameters: $CTL"
	c0=$(last_count)
	snap_ctl "$sock" migrate "uri=$mig_uri" || fail "migrate: $CTL"
	live_wait "$sock" completed 600 || fail "the migration did not complete: $CTL"
	echo "# query-migrate: $(echo "$CTL" | tr -d '\n' | tr -s ' ' | cut -c1-700)"
	case $CTL in *'"type1": '[0-9]*) ;; *) fail "query-migrate has no type1 count: $CTL" ;; esac
	grep -q "migrate: $MV_A: its DMA writes tracked by type1" "$OUT" ||
		fail "mtty's DMA writes not tracked by the container: $(grep -a -m1 'DMA writes tracked' "$OUT")"
	starts=$(grep -ac 'migrate: type1 container: VFIO_IOMMU_DIRTY_PAGES started' "$OUT")
	[ "$starts" = 1 ] || fail "the container's tracking started $starts times, want 1"
	rounds=$(grep -ac 'migrate: dirty pages after round [0-9]*: .*type1 [0-9]*' "$OUT")
	gets=$(sed -n 's/.*migrate: type1 container: VFIO_IOMMU_DIRTY_PAGES stopped after \([0-9]*\) GET_BITMAP reports.*/\1/p' "$OUT" | tr -d '\r')
	[ -n "$gets" ] && [ "$(echo "$gets" | wc -l)" = 1 ] ||
		fail "the container's tracking stopped: '$gets', want once"
	[ "$rounds" -ge 1 ] && [ "${gets:-0}" -ge "$rounds" ] 2>/dev/null ||
		fail "$gets GET_BITMAP reports for $rounds rounds"
	grep -a 'migrate: dirty pages\|migrate: type1 container' "$OUT" | head -n 5 | sed 's/^.*migrate: /# source: /'
	snap_ctl "$sock" query-status
	case $CTL in *'"status": "paused"'*) ;; *) fail "the source after the migration: $CTL" ;; esac
	c1=$(last_count)
	l1=$(mv_last_loop "$OUT")
	mv_dest_counts
	mv_dest_checks
	echo "# type1: counts $c0..$c1 at the source, $first on at the destination; $rounds rounds, $gets GET_BITMAP reports; $checks memory checks"
	live_end
	mv_remove
}

# migrate_cancel once the second round is under way: every round is all of
# RAM (x-conduit-dirty-all-dma) and there are up to 30 of them, so the
# cancel lands in the middle.
mv_live_mtty_cancel() {
	mv_live_pair || return
	snap_ctl "$sock" migrate-set-parameters x-conduit-device-dirty-tracking=false \
		x-conduit-container-dirty-tracking=false x-conduit-dirty-all-dma=true \
		x-conduit-max-rounds=30 ||
		fail "migrate-set-parameters: $CTL"
	snap_ctl "$sock" migrate "uri=$mig_uri" || fail "migrate: $CTL"
	wait_for "$OUT" "migrate: dirty pages after round 2" 300 "$vm" || fail "no second round"
	snap_ctl "$sock" migrate_cancel || fail "migrate_cancel: $CTL"
	live_wait "$sock" cancelled 120 || fail "the migration was not cancelled: $CTL"
	echo "# query-migrate: $(echo "$CTL" | tr -d '\n' | tr -s ' ' | cut -c1-300)"
	grep -q "$MV_A: migration PRE_COPY -> RUNNING" "$OUT" ||
		fail "the device did not go PRE_COPY -> RUNNING: $(grep -a "$MV_A: migration" "$OUT" | tail -n 2 | tr '\n' ' ')"
	grep -q "migrate: $MV_A: back in RUNNING" "$OUT" || fail "no '$MV_A: back in RUNNING'"
	mv_goes_on "the cancel"
	wait_exit "$rvm" 60 "$ROUT"
	[ "$RC" = 1 ] || fail "the destination after the cancel: exit $RC, want 1"
	qmp_vm_end
	mv_remove
}

# mv_order FILE WHAT FIRST THEN: in FILE, every line matching FIRST comes
# before every line matching THEN (ERE), each of them present for every
# device in MV_UUIDS.
mv_order() {
	for u in $MV_UUIDS; do
		grep -qE "$u: migration .*$3" "$1" || fail "$2: no '$u: ... $3' in the log"
		grep -qE "$u: migration .*$4" "$1" || fail "$2: no '$u: ... $4' in the log"
	done
	lastf=$(grep -nE "migration .*$3" "$1" | tail -n 1 | cut -d: -f1)
	firstt=$(grep -nE "migration .*$4" "$1" | head -n 1 | cut -d: -f1)
	[ -n "$lastf" ] && [ -n "$firstt" ] && [ "$lastf" -lt "$firstt" ] ||
		fail "$2: a device took '$4' (line $firstt) before every one took '$3' (line $lastf)"
}

# Two mtty devices: saved and restored, then migrated live; the P2P order
# on each side from the -v log.
mv_live_mtty_two() {
	mv_mdevs 4 || return
	set -- $MV_UUIDS
	MV_A=$1
	all=$MV_UUIDS
	MV_UUIDS="$1 $2"
	mv_src --passthrough "mdev:$1" --passthrough "mdev:$2" ||
		{ qmp_vm_end; MV_UUIDS=$all; mv_remove; return; }
	snap=$RUNNER_WORK/two.snap
	rm -f "$snap"
	snap_ctl "$sock" stop || fail "stop: $CTL"
	snap_ctl "$sock" migrate "uri=file:$snap" || fail "migrate to file: $CTL"
	mv_order "$OUT" "save" "-> RUNNING_P2P" "-> STOP_COPY"
	snap_ctl "$sock" quit
	wait_exit "$vm" "$EXIT_TIMEOUT" "$OUT"
	vm=''
	SRC1=$OUT
	[ "$RC" = 5 ] || fail "the source's quit: exit $RC, want 5"
	# restored on the same two mdevs, with a socket of its own, so the live
	# half can drive it as a source
	OUT=$RUNNER_WORK/$CASE_NAME.restored.out
	sock=$RUNNER_WORK/$CASE_NAME.restored.sock
	rm -f "$sock"
	"$CONDUIT_BIN" -v --vfio-backend "$MV_BE" --kernel "$L2_KERNEL" --api-socket "$sock" --restore "$snap" \
		--memory "${L2_MEMORY}M" --passthrough "mdev:$1" --passthrough "mdev:$2" \
		</dev/null >"$OUT" 2>&1 &
	vm=$!
	wait_for "$OUT" "restored from" 120 "$vm" || { fail "no restore: $(grep -a -m1 '^conduit: error' "$OUT")"; MV_UUIDS=$all; mv_remove; return; }
	mv_order "$OUT" "restore" "STOP -> RUNNING_P2P" "RUNNING_P2P -> RUNNING"
	l0=$(mv_last_loop "$SRC1")
	i=0
	while [ "$(mv_last_loop "$OUT")" -le "$l0" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(mv_last_loop "$OUT")" -gt "$l0" ] || fail "the restored guest's mtty does not loop back"
	wait_for "$OUT" "L2-MEMCHECK pass=" 180 "$vm" || fail "no memory check after the restore"
	mv_guest_ok "$OUT" "after the restore"
	echo "# restored: mtty loops to $(mv_last_loop "$OUT") after $l0"
	# live, to the other two mdevs
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	live_dest run --vfio-backend "$MV_BE" --memory "${L2_MEMORY}M" --passthrough "mdev:$3" --passthrough "mdev:$4" ||
		{ qmp_vm_end; MV_UUIDS=$all; mv_remove; return; }
	snap_ctl "$sock" migrate-set-parameters x-conduit-device-dirty-tracking=false \
		x-conduit-container-dirty-tracking=false x-conduit-dirty-all-dma=true \
		x-conduit-max-rounds=2 || fail "migrate-set-parameters: $CTL"
	snap_ctl "$sock" migrate "uri=$mig_uri" || fail "migrate: $CTL"
	live_wait "$sock" completed 600 || fail "the live migration did not complete: $CTL"
	alldma=$(echo "$CTL" | tr -d '\n ' | sed -n 's/.*"total":{[^}]*"all-dma":\([0-9]*\).*/\1/p')
	[ "${alldma:-0}" -gt 0 ] || fail "no dirty pages counted from all-dma: '$alldma'"
	echo "# query-migrate: $(echo "$CTL" | tr -d '\n' | tr -s ' ' | cut -c1-600)"
	# this log holds the restore's arcs too: only what follows the migrate
	sed -n '/migrate: live to/,$p' "$OUT" >"$RUNNER_WORK/two.live.log"
	mv_order "$RUNNER_WORK/two.live.log" "live source" "-> PRE_COPY_P2P" "-> STOP_COPY"
	l1=$(mv_last_loop "$OUT")
	i=0
	while [ "$(mv_last_loop "$ROUT")" -le "$l1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(mv_last_loop "$ROUT")" -gt "$l1" ] || fail "mtty does not loop back at the live destination"
	MV_UUIDS="$3 $4"
	mv_order "$ROUT" "live destination" "STOP -> RUNNING_P2P" "RUNNING_P2P -> RUNNING"
	mv_guest_ok "$ROUT" "the live destination"
	echo "# live: mtty loops to $l1 at the source, $(mv_last_loop "$ROUT") at the destination"
	snap_ctl "$sock" quit
	wait_exit "$vm" "$EXIT_TIMEOUT" "$OUT"
	vm=''
	snap_ctl "$rsock" system_powerdown
	wait_exit "$rvm" "$EXIT_TIMEOUT" "$ROUT"
	[ "$RC" = 0 ] || fail "the live destination's poweroff: exit $RC, want 0"
	OUT=$ROUT
	MV_UUIDS=$all
	mv_remove
}
