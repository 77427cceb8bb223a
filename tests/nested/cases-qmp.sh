# tests/nested/cases-qmp.sh - conduit's QMP control socket (issue 14:
# --api-socket PATH, `conduit ctl SOCKET COMMAND key=value...`), sourced by
# runner.sh; suites/qmp lists them (order matters: qmp-bind before the
# hotplug cases, qmp-unbind last). Driven by QEMU's own client (qemu.qmp's
# QMPClient through qmp-client.py, and scripts/qmp/qmp-shell, from QEMU
# 7.2's source: scripts/fetch-qemu-qmp.sh) and by `conduit ctl`, in L1 (an
# L1 built with INCLUDE_PYTHON=1, which run.sh sets for these suites).
# The guests are l2-init.sh's counter, powerbtn and hotplug agents; their
# markers (L2-COUNT, L2-TICK, L2-POWER-BUTTON, L2-HP-*) come only from L2's
# console in conduit's output, the client's lines (QMP-*) only from the
# client's log: neither is L0's or L1's own output.
#
# What conduit must do for them to pass:
#   --api-socket PATH   a unix socket speaking QMP: the greeting
#     {"QMP": {"version": ..., "capabilities": [...]}}, qmp_capabilities,
#     one client after another (qmp-shell, then qmp-client.py, then ctl)
#   query-status -> {"status": "running"|"paused", "running": true|false}
#   stop / cont -> {} and the events STOP / RESUME; the vCPUs do not run
#     while paused
#   system_powerdown -> {}, an ACPI power-button press: L2 powers off and
#     conduit exits 0
#   device_add driver=vfio-pci host=BDF id=NAME -> {}, the device appears in
#     L2 (ACPI hotplug) and L2's nvme driver binds it and reads the disk
#   device_del id=NAME -> {}, then the event DEVICE_DELETED
#     {"device": NAME, ...} once L2 let go of it; the device stays on
#     vfio-pci in L1 and can be added again
#   query-pci -> QEMU's form: [{"bus": 0, "devices": [{"id": {"vendor": V,
#     "device": D, ...}, "qdev_id": NAME, ...}]}]
#   getfd fdname=N (an fd by SCM_RIGHTS) / closefd fdname=N -> {}; closefd of
#     an unknown name -> an error
#   errors as {"error": {"class": ..., "desc": D}} with D the start-time
#     wording of the same check (vfio/host/messages.c, pci_addr.c):
#       "'00:3.0' is not a PCI address"   "there is no PCI device 0000:00:1e.0"
#       "BDF is bound to DRIVER, not to vfio-pci"
#     and (conduit's wording, 2026-12-06) "driver 'e1000' cannot be added:
#     conduit hot-adds vfio-pci devices only", "Duplicate device ID 'NAME'",
#     "BDF: the device is busy: already in use by this guest (id 'NAME'",
#     QEMU's "Device 'NAME' not found", "The command X has not been found",
#     "File descriptor named 'N' not found", "No file descriptor supplied
#     via SCM_RIGHTS"
#   getfd: the fd as QEMU's client sends it, SCM_RIGHTS on a lone ' ' sent
#     before the command (qemu.qmp's send_fd_scm), kept until getfd
#   `conduit ctl SOCKET CMD k=v...`: exit 0 on a return, non-zero with the
#     error's desc in its output on an error
#   the socket: owner root, not connectable by another user (mode 0600 or
#     no other-access)

QMP_DIR=/nested/qmp
QMP_UID=1000
# The hot-added device's id in every case.
QMP_ID=nvme0

# qmp_tools: python3 and the client are in L1 (INCLUDE_PYTHON=1), else fails.
qmp_tools() {
	[ -x /usr/bin/python3 ] && [ -f "$QMP_DIR/qmp-client.py" ] ||
		{ fail "no python3 or $QMP_DIR in L1 (build.sh l1 with INCLUDE_PYTHON=1)"; return 1; }
}

# qmp_vm TEST [CONDUIT ARGS...]: conduit with --api-socket on guest TEST in
# the background (QMP_CMDLINE: more L2 kernel parameters): pid in vm,
# output in OUT, socket in sock. Waits for
# CONDUIT-L2-INIT, the guest's L2-ACPID-READY and the socket.
qmp_vm() {
	test=$1
	shift
	OUT=$RUNNER_WORK/$CASE_NAME.out
	sock=$RUNNER_WORK/$CASE_NAME.sock
	rm -f "$sock"
	"$CONDUIT_BIN" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory "${L2_MEMORY}M" \
		--cmdline "console=ttyS0 quiet conduit.test=$test${QMP_CMDLINE:+ $QMP_CMDLINE}" --api-socket "$sock" "$@" \
		</dev/null >"$OUT" 2>&1 &
	vm=$!
	wait_for "$OUT" CONDUIT-L2-INIT "$BOOT_TIMEOUT" "$vm" || { fail "the VM did not start"; return 1; }
	wait_for "$OUT" L2-ACPID-READY "$BOOT_TIMEOUT" "$vm" || { fail "the guest agent did not start"; return 1; }
	[ -S "$sock" ] || { fail "no socket $sock from --api-socket"; return 1; }
}

# qmp_vm_end: the VM powered off by the power button if it still runs,
# killed after EXIT_TIMEOUT; RC is its exit code. Cleanup only: no verdict.
qmp_vm_end() {
	[ -n "${vm:-}" ] || return 0
	if kill -0 "$vm" 2>/dev/null; then
		qmp_close 2>/dev/null
		"$CONDUIT_BIN" ctl "$sock" system_powerdown >/dev/null 2>&1
		wait_exit "$vm" "$EXIT_TIMEOUT" "$OUT"
	else
		wait_exit "$vm" 1
	fi
	vm=''
}

# qmp_open: QEMU's QMPClient (qmp-client.py) on sock, fed from a FIFO (fd 5);
# its log in qlog. Waits for the greeting.
qmp_open() {
	qlog=$RUNNER_WORK/$CASE_NAME.qmp
	qfifo=$RUNNER_WORK/$CASE_NAME.qfifo
	rm -f "$qfifo" "$qlog"
	: >"$qlog"
	mkfifo "$qfifo"
	exec 5<>"$qfifo"
	PYTHONPATH=$QMP_DIR/python /usr/bin/python3 "$QMP_DIR/qmp-client.py" "$sock" \
		<"$qfifo" >"$qlog" 2>&1 5>&- &
	qpid=$!
	wait_for "$qlog" QMP-GREETING 30 "$qpid" ||
		{ fail "no QMP greeting: $(head -c 300 "$qlog")"; return 1; }
}

# qmp_close: ends the client session (waits up to 10 s).
qmp_close() {
	[ -n "${qpid:-}" ] || return 0
	echo end >&5
	exec 5>&-
	qmp_wait_pid "$qpid" 10
	qpid=''
}

qmp_wait_pid() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# wait_new FILE FROM PATTERN SECONDS: 0 once a line after line FROM of FILE
# matches the extended regex PATTERN (its first such line in LINE), 1 at
# the timeout.
wait_new() {
	deadline=$(($(now_ms) + $4 * 1000))
	while :; do
		LINE=$(tail -n +"$(($2 + 1))" "$1" 2>/dev/null | tr -d '\r' | grep -a -m 1 -E -- "$3")
		[ -z "$LINE" ] || return 0
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

lines() {
	wc -l <"$1" | tr -d ' '
}

# qmp CMD [ARGS...]: one command through the open session; REPLY is its
# QMP-RETURN or QMP-ERROR line. Returns 0 on a return, 1 on an error, 2 when
# no reply came in 30 s.
qmp() {
	qn=$(lines "$qlog")
	echo "$*" >&5
	if ! wait_new "$qlog" "$qn" "^QMP-(RETURN|ERROR) $1( |\$)" 30; then
		REPLY="no reply to '$*'"
		return 2
	fi
	REPLY=$LINE
	case $REPLY in QMP-RETURN*) return 0 ;; esac
	return 1
}

# qmp_ok CMD [ARGS...]: qmp, failing the case on anything but a return.
qmp_ok() {
	qmp "$@" || { fail "$1: $REPLY"; return 1; }
}

# qmp_event NAME SECS: 0 once event NAME arrived (since the last command
# was sent).
qmp_event() {
	qn=$(lines "$qlog")
	echo "wait-event $1 $2" >&5
	wait_new "$qlog" "$qn" "^QMP-(WAITED|WAIT-TIMEOUT) $1( |\$)" $(($2 + 10))
	case $LINE in "QMP-WAITED $1 "*) return 0 ;; esac
	return 1
}

# guest_alive: a new L2-TICK within 5 s (the guest still runs and prints).
guest_alive() {
	gn=$(lines "$OUT")
	wait_new "$OUT" "$gn" '^L2-TICK [0-9]+' 5 || { fail "the guest stopped ticking ($1)"; return 1; }
}

# qmp_show: the session's lines and the guest's markers, as diagnostics.
qmp_show() {
	[ -z "${qlog:-}" ] || tr -d '\r' <"$qlog" | cut -c1-200 | sed 's/^/# qmp: /'
	tr -d '\r' <"$OUT" | grep -a '^L2-HP\|^L2-POWER\|^L2-ACPID' | sed 's/^/# /'
}

# --- the tooling ---------------------------------------------------------------

# python3 in L1 imports QEMU's client and qmp-shell starts (no conduit
# needed): what the other cases stand on.
case_qmp_python() {
	qmp_tools || return
	OUT=$RUNNER_WORK/$CASE_NAME.out
	PYTHONPATH=$QMP_DIR/python /usr/bin/python3 -c \
		'import qemu.qmp, qemu.qmp.qmp_shell, qemu.qmp.legacy, readline, ssl, sys
from qemu.qmp import QMPClient
print("QMP-PY-OK", sys.version.split()[0])' >"$OUT" 2>&1 || fail "python3 cannot import qemu.qmp: $(tail -n 3 "$OUT")"
	PYTHON=/usr/bin/python3 "$QMP_DIR/bin/qmp-shell" --help >>"$OUT" 2>&1 || fail "qmp-shell --help failed"
	expect_out QMP-PY-OK
	expect_out "usage: qmp-shell"
}

# --- the socket ----------------------------------------------------------------

case_qmp_greeting() {
	qmp_tools || return
	qmp_vm powerbtn || { qmp_vm_end; return; }
	qmp_open || { qmp_vm_end; return; }
	grep -q '^QMP-GREETING {"QMP": {.*"capabilities": \[' "$qlog" ||
		fail "greeting without QMP.capabilities: $(head -n 1 "$qlog")"
	grep -q '^QMP-GREETING {"QMP": {.*"version": {' "$qlog" ||
		fail "greeting without QMP.version: $(head -n 1 "$qlog")"
	qmp_ok query-status &&
		case $REPLY in *'"running": true'*'"status": "running"'*) ;;
		*) fail "query-status: $REPLY" ;; esac
	# The client's second connection after the first one closed.
	qmp_close
	qmp_open && qmp_ok query-status
	# qmp-shell, QEMU's own script, on the same socket.
	qmp_close
	printf 'query-status\n' | PYTHON=/usr/bin/python3 timeout 30 "$QMP_DIR/bin/qmp-shell" "$sock" \
		>"$RUNNER_WORK/$CASE_NAME.shell" 2>&1
	grep -q '"return": {.*"status": "running"' "$RUNNER_WORK/$CASE_NAME.shell" ||
		fail "qmp-shell query-status: $(tail -n 3 "$RUNNER_WORK/$CASE_NAME.shell")"
	# conduit's own client.
	"$CONDUIT_BIN" ctl "$sock" query-status >"$RUNNER_WORK/$CASE_NAME.ctl" 2>&1 ||
		fail "conduit ctl query-status exit $?: $(head -n 3 "$RUNNER_WORK/$CASE_NAME.ctl")"
	grep -q running "$RUNNER_WORK/$CASE_NAME.ctl" || fail "conduit ctl query-status says: $(head -n 3 "$RUNNER_WORK/$CASE_NAME.ctl")"
	guest_alive "after the sessions"
	qmp_show
	qmp_vm_end
}

# last_count: the guest counter's last value in OUT.
last_count() {
	tr -d '\r' <"$OUT" | sed -n 's/^L2-COUNT \([0-9]*\)$/\1/p' | tail -n 1
}

# stop: no L2-COUNT line while paused (2 s, 0.5 s after the STOP reply for
# lines already on their way), and the STOP / RESUME events.
case_qmp_stop_cont() {
	qmp_tools || return
	qmp_vm counter || { qmp_vm_end; return; }
	qmp_open || { qmp_vm_end; return; }
	wait_for "$OUT" "L2-COUNT 20" 30 "$vm" || fail "the guest counter does not run"
	qmp_ok stop
	qmp_event STOP 10 || fail "no STOP event"
	qmp_ok query-status &&
		case $REPLY in *'"running": false'*'"status": "paused"'*) ;;
		*) fail "query-status while stopped: $REPLY" ;; esac
	sleep 0.5
	c1=$(last_count)
	sleep 2
	c2=$(last_count)
	[ "$c1" = "$c2" ] || fail "the guest counted from $c1 to $c2 while stopped"
	qmp_ok cont
	qmp_event RESUME 10 || fail "no RESUME event"
	qmp_ok query-status &&
		case $REPLY in *'"running": true'*'"status": "running"'*) ;;
		*) fail "query-status after cont: $REPLY" ;; esac
	sleep 1
	c3=$(last_count)
	[ "${c3:-0}" -gt "${c2:-0}" ] || fail "the guest counter did not go on after cont ($c2 -> $c3)"
	echo "# counter: $c1 at stop + 0.5 s, $c2 2 s later, $c3 1 s after cont"
	# conduit ctl does the same (one client at a time: the session ends).
	qmp_close
	"$CONDUIT_BIN" ctl "$sock" stop >/dev/null 2>&1 || fail "conduit ctl stop failed"
	sleep 0.5
	c4=$(last_count)
	sleep 1.5
	[ "$(last_count)" = "$c4" ] || fail "the guest counted after conduit ctl stop ($c4 -> $(last_count))"
	"$CONDUIT_BIN" ctl "$sock" cont >/dev/null 2>&1 || fail "conduit ctl cont failed"
	sleep 1
	[ "$(last_count)" -gt "$c4" ] || fail "the guest counter did not go on after conduit ctl cont"
	qmp_show
	qmp_vm_end
}

# system_powerdown: the power button; the guest's acpid powers it off and
# conduit exits 0.
case_qmp_powerdown() {
	qmp_tools || return
	qmp_vm powerbtn || { qmp_vm_end; return; }
	qmp_open || { qmp_vm_end; return; }
	qmp_ok system_powerdown
	wait_exit "$vm" "$EXIT_TIMEOUT" "$OUT" || fail "conduit still running ${EXIT_TIMEOUT}s after system_powerdown"
	vm=''
	expect_rc 0
	expect_out L2-POWER-BUTTON
	qmp_close
	grep -q '^QMP-CLOSED' "$qlog" || fail "the client did not see the socket close"
	grep -q '^QMP-EVENT POWERDOWN\|^QMP-EVENT SHUTDOWN' "$qlog" ||
		echo "# no POWERDOWN or SHUTDOWN event (QEMU sends both; not required)"
	[ ! -e "$sock" ] || fail "the socket $sock is still there after conduit exited"
	qmp_show
}

# --- hotplug -----------------------------------------------------------------

case_qmp_bind() {
	pt_dev || return
	bind_case "$dev"
}

case_qmp_unbind() {
	pt_dev || return
	unbind_case "$dev"
}

# hp_added GEN: the guest bound the NVMe (generation GEN) and its md5 is the
# image's.
hp_added() {
	wait_for "$OUT" "L2-HP-MD5 gen=$1 " 60 "$vm" ||
		{ fail "no L2-HP-MD5 gen=$1 from the guest after device_add"; return 1; }
	grep -aq '^L2-HP-BOUND .* driver=nvme' "$OUT" || fail "the guest's nvme driver did not bind"
	md5=$(tr -d '\r' <"$OUT" | sed -n "s/^L2-HP-MD5 gen=$1 [^ ]* \([0-9a-f]*\)$/\1/p" | tail -n 1)
	if [ -n "${DISK_MD5:-}" ]; then
		[ "$md5" = "$DISK_MD5" ] || fail "gen $1: guest md5 $md5, L0's image $DISK_MD5"
	else
		[ ${#md5} = 32 ] || fail "gen $1: no md5"
	fi
}

# The NVMe hot-added by qmp-shell (QEMU's script), found by query-pci,
# removed by device_del: DEVICE_DELETED, gone from the guest.
case_qmp_hotplug_shell() {
	qmp_tools || return
	pt_dev || return
	qmp_vm hotplug || { qmp_vm_end; return; }
	sh_out=$RUNNER_WORK/$CASE_NAME.shell
	printf 'device_add driver=vfio-pci host=%s id=%s\n' "$dev" "$QMP_ID" |
		PYTHON=/usr/bin/python3 timeout 60 "$QMP_DIR/bin/qmp-shell" "$sock" >"$sh_out" 2>&1
	grep -q '{"return": {}}' "$sh_out" || fail "qmp-shell device_add: $(tail -n 3 "$sh_out" | tr '\n' ' ')"
	hp_added 1
	qmp_open || { qmp_vm_end; return; }
	qmp_ok query-pci &&
		case $REPLY in *'"vendor": 6966'*) ;; *) fail "query-pci lacks the NVMe (vendor 0x1b36): $REPLY" ;; esac
	case $REPLY in *"\"qdev_id\": \"$QMP_ID\""*) ;; *) fail "query-pci lacks qdev_id $QMP_ID" ;; esac
	qmp_ok device_del id=$QMP_ID
	qmp_event DEVICE_DELETED 30 || fail "no DEVICE_DELETED within 30 s"
	grep -q "^QMP-EVENT DEVICE_DELETED .*\"device\": \"$QMP_ID\"" "$qlog" ||
		fail "DEVICE_DELETED does not name $QMP_ID: $(grep DEVICE_DELETED "$qlog")"
	wait_for "$OUT" "L2-HP-GONE " 10 "$vm" || fail "the guest did not see the NVMe go"
	guest_alive "after device_del"
	[ "$(pt_driver "$dev")" = vfio-pci ] || fail "$dev is on '$(pt_driver "$dev")' in L1 after device_del, want vfio-pci"
	qmp_show
	qmp_vm_end
	[ "$RC" = 0 ] || fail "conduit exit code $RC at the end, want 0"
}

# vfio_open_ok: the device's VFIO node (the group's, or its cdev with the
# iommufd backend) opens in L1: nobody holds it. Sets node.
vfio_open_ok() {
	if [ "${CONDUIT_VFIO_BACKEND:-}" = iommufd ]; then
		n=$(ls "/sys/bus/pci/devices/$dev/vfio-dev" 2>/dev/null | head -n 1)
		node=/dev/vfio/devices/$n
	else
		node=/dev/vfio/$(basename "$(readlink "/sys/bus/pci/devices/$dev/iommu_group")")
	fi
	( exec 3<>"$node" ) 2>/dev/null
}

vfio_openable() {
	vfio_open_ok || fail "$node does not open in L1 after device_del (still held?)"
}

# The same by conduit ctl, and a second round: device_del, the device free
# in L1, device_add again, read again.
case_qmp_hotplug_ctl() {
	qmp_tools || return
	pt_dev || return
	qmp_vm hotplug || { qmp_vm_end; return; }
	ctl=$RUNNER_WORK/$CASE_NAME.ctl
	"$CONDUIT_BIN" ctl "$sock" device_add driver=vfio-pci host="$dev" id=$QMP_ID >"$ctl" 2>&1 ||
		fail "conduit ctl device_add exit $?: $(head -n 3 "$ctl")"
	hp_added 1
	"$CONDUIT_BIN" ctl "$sock" device_del id=$QMP_ID >"$ctl" 2>&1 ||
		fail "conduit ctl device_del exit $?: $(head -n 3 "$ctl")"
	wait_for "$OUT" "L2-HP-GONE " 30 "$vm" || fail "the guest did not see the NVMe go"
	# conduit lets go of the device after the guest did; give it 10 s.
	i=0
	while [ $i -lt 50 ] && ! vfio_open_ok; do
		sleep 0.2
		i=$((i + 1))
	done
	vfio_openable
	"$CONDUIT_BIN" ctl "$sock" device_add driver=vfio-pci host="$dev" id=$QMP_ID >"$ctl" 2>&1 ||
		fail "conduit ctl device_add (again) exit $?: $(head -n 3 "$ctl")"
	hp_added 2
	guest_alive "after the second device_add"
	qmp_show
	qmp_vm_end
	[ "$RC" = 0 ] || fail "conduit exit code $RC at the end, want 0"
}

# device_del while the guest reads the disk: DEVICE_DELETED arrives, the
# reader ends, the guest lives on; the device is free in L1, added again
# and read again.
case_qmp_unplug_reader() {
	qmp_tools || return
	pt_dev || return
	qmp_vm hotplug || { qmp_vm_end; return; }
	qmp_open || { qmp_vm_end; return; }
	qmp_ok device_add driver=vfio-pci host="$dev" id=$QMP_ID
	hp_added 1
	wait_for "$OUT" "L2-HP-READER-START gen=1" 30 "$vm" || fail "the guest's reader did not start"
	sleep 1
	grep -aq "L2-HP-READER-END gen=1" "$OUT" && fail "the reader ended before device_del"
	qmp_ok device_del id=$QMP_ID
	qmp_event DEVICE_DELETED 30 || fail "no DEVICE_DELETED within 30 s"
	wait_for "$OUT" "L2-HP-READER-END gen=1" 30 "$vm" || fail "the guest's reader did not end"
	wait_for "$OUT" "L2-HP-GONE " 10 "$vm" || fail "the guest did not see the NVMe go"
	guest_alive "after device_del during reads"
	qmp_ok query-status &&
		case $REPLY in *'"status": "running"'*) ;; *) fail "query-status after device_del: $REPLY" ;; esac
	[ "$(pt_driver "$dev")" = vfio-pci ] || fail "$dev is on '$(pt_driver "$dev")' in L1, want vfio-pci"
	vfio_openable
	qmp_ok device_add driver=vfio-pci host="$dev" id=$QMP_ID
	hp_added 2
	guest_alive "after the device came back"
	qmp_show
	qmp_vm_end
	[ "$RC" = 0 ] || fail "conduit exit code $RC at the end, want 0"
}

# qmp_err WANT CMD ARGS...: CMD fails with WANT in its error, the guest
# still runs, query-status still answers.
qmp_err() {
	want=$1
	shift
	qmp "$@"
	case $? in
	0) fail "$1 $2 succeeded, want an error with '$want'" ;;
	2) fail "$REPLY" ;;
	*) case $REPLY in *"$want"*) ;; *) fail "$1 $2: '$REPLY', want '$want'" ;; esac ;;
	esac
	echo "# $REPLY"
	guest_alive "after $1 $2"
	qmp query-status || fail "query-status after $1 $2: $REPLY"
}

case_qmp_errors() {
	qmp_tools || return
	pt_dev || return
	qmp_vm hotplug || { qmp_vm_end; return; }
	qmp_open || { qmp_vm_end; return; }
	qmp_err "'00:3.0' is not a PCI address" device_add driver=vfio-pci host=00:3.0 id=bad1
	qmp_err "there is no PCI device 0000:00:1e.0" device_add driver=vfio-pci host=0000:00:1e.0 id=bad2
	if [ -n "${CONDUIT_TEST_IO_DEVICE:-}" ] && [ -n "$(pt_driver "$CONDUIT_TEST_IO_DEVICE")" ] &&
		[ "$(pt_driver "$CONDUIT_TEST_IO_DEVICE")" != vfio-pci ]; then
		qmp_err "$CONDUIT_TEST_IO_DEVICE is bound to $(pt_driver "$CONDUIT_TEST_IO_DEVICE"), not to vfio-pci" \
			device_add driver=vfio-pci host="$CONDUIT_TEST_IO_DEVICE" id=bad3
	fi
	qmp_err "driver 'e1000' cannot be added: conduit hot-adds vfio-pci devices only" \
		device_add driver=e1000 id=bad4
	qmp_err "DeviceNotFound: Device 'nosuch' not found" device_del id=nosuch
	qmp_err "CommandNotFound: The command no-such-command has not been found" no-such-command
	# The same id twice: the second add fails, the first device stays.
	qmp_ok device_add driver=vfio-pci host="$dev" id=$QMP_ID
	hp_added 1
	qmp_err "Duplicate device ID '$QMP_ID'" device_add driver=vfio-pci host="$dev" id=$QMP_ID
	qmp_err "$dev: the device is busy: already in use by this guest (id '$QMP_ID'" \
		device_add driver=vfio-pci host="$dev" id=other
	grep -aq '^L2-HP-GONE' "$OUT" && fail "the NVMe went from the guest after a failed device_add"
	qmp_ok device_del id=$QMP_ID
	qmp_event DEVICE_DELETED 30 || fail "no DEVICE_DELETED within 30 s"
	qmp_close
	# conduit ctl: exit code and the message.
	ctl=$RUNNER_WORK/$CASE_NAME.ctl
	"$CONDUIT_BIN" ctl "$sock" device_add driver=vfio-pci host=00:3.0 id=bad5 >"$ctl" 2>&1 &&
		fail "conduit ctl device_add with a bad BDF exited 0"
	grep -q "'00:3.0' is not a PCI address" "$ctl" || fail "conduit ctl said: $(head -n 2 "$ctl")"
	guest_alive "after conduit ctl's error"
	qmp_show
	qmp_vm_end
	[ "$RC" = 0 ] || fail "conduit exit code $RC at the end, want 0"
}

# The socket is root's: uid QMP_UID can neither connect with QEMU's client
# nor with conduit ctl.
case_qmp_permission() {
	qmp_tools || return
	qmp_vm powerbtn || { qmp_vm_end; return; }
	mode=$(stat -c '%a %u' "$sock")
	echo "# socket mode and owner: $mode"
	case ${mode%% *} in *[2367]) fail "the socket is writable by others: $mode" ;; esac
	# The directory must be searchable, or the test shows nothing.
	chmod 755 "$RUNNER_WORK"
	u=$RUNNER_WORK/$CASE_NAME.user
	printf 'query-status\n' | nsenter -S "$QMP_UID" -G "$QMP_UID" -F -- env PYTHONPATH=$QMP_DIR/python \
		/usr/bin/python3 "$QMP_DIR/qmp-client.py" "$sock" >"$u" 2>&1
	grep -q '^QMP-CONNECT-ERROR' "$u" || fail "uid $QMP_UID's QMP client: $(head -n 2 "$u")"
	grep -q '^QMP-RETURN' "$u" && fail "uid $QMP_UID ran a command on the socket"
	nsenter -S "$QMP_UID" -G "$QMP_UID" -F -- "$CONDUIT_BIN" ctl "$sock" query-status >"$u.ctl" 2>&1 &&
		fail "conduit ctl as uid $QMP_UID exited 0"
	# root still can.
	qmp_open && qmp_ok query-status
	qmp_show
	qmp_vm_end
}

# getfd / closefd: an fd passed by SCM_RIGHTS is kept under a name and
# closed by name; closing it twice is an error.
case_qmp_getfd() {
	qmp_tools || return
	qmp_vm powerbtn || { qmp_vm_end; return; }
	qmp_open || { qmp_vm_end; return; }
	nfd0=$(ls "/proc/$vm/fd" | wc -l)
	echo "send-fd /dev/null" >&5
	qmp_ok getfd fdname=qmptest
	nfd1=$(ls "/proc/$vm/fd" | wc -l)
	[ "$nfd1" -gt "$nfd0" ] || fail "conduit holds $nfd1 fds after getfd, $nfd0 before"
	qmp_ok closefd fdname=qmptest
	nfd2=$(ls "/proc/$vm/fd" | wc -l)
	[ "$nfd2" -lt "$nfd1" ] || fail "conduit holds $nfd2 fds after closefd, $nfd1 before"
	qmp_err "File descriptor named 'qmptest' not found" closefd fdname=qmptest
	qmp_err "No file descriptor supplied via SCM_RIGHTS" getfd fdname=nofd
	qmp_show
	qmp_vm_end
}

# --- hotplug beyond the NVMe by address ----------------------------------------

# The kernel's mtty mdev (a 2-port 16550 pair: I/O-port BARs, INTx) hot-added
# by sysfsdev=: the guest's 8250 driver binds it and a pattern comes back
# through mtty's loopback (port I/O trapped by conduit, interrupts counted
# in L2), then device_del: DEVICE_DELETED, the card gone from the guest,
# the mdev free in L1 (removable). Both backends.
case_qmp_hotplug_mtty() {
	qmp_tools || return
	mtty_create || return
	# Short enough for mtty's 16-byte receive FIFO.
	PT_MTTY=m$(head -c 5 /dev/urandom | od -An -tx1 | tr -d ' \n')
	QMP_CMDLINE="conduit.hpid=4348:3253 conduit.pattern=$PT_MTTY" qmp_vm hotplug ||
		{ qmp_vm_end; mtty_remove; return; }
	qmp_open || { qmp_vm_end; mtty_remove; return; }
	qmp_ok device_add driver=vfio-pci sysfsdev=/sys/bus/mdev/devices/$uuid id=mtty0
	wait_for "$OUT" "L2-HP-MTTY-READ gen=1" 60 "$vm" ||
		fail "no L2-HP-MTTY-READ from the guest after device_add"
	grep -aq '^L2-HP-BOUND .* driver=serial' "$OUT" || fail "the guest's serial driver did not bind the mtty card"
	got=$(tr -d '\r' <"$OUT" | sed -n 's/^L2-HP-MTTY-READ gen=1 \(.*\)$/\1/p' | tail -n 1)
	[ "$got" = "$PT_MTTY" ] || fail "the guest read '$got' through mtty's loopback, wrote '$PT_MTTY'"
	irqs=$(tr -d '\r' <"$OUT" | sed -n 's/^L2-HP-MTTY-IRQS gen=1 \([0-9]*\)$/\1/p' | tail -n 1)
	[ "${irqs:-0}" -gt 0 ] || fail "no mtty interrupts counted in L2 (got '$irqs')"
	if qmp_ok x-conduit-query-stats; then
		pio=$(echo "$REPLY" | sed -n 's/.*"pio-exits": \([0-9]*\).*/\1/p')
		[ "${pio:-0}" -gt 0 ] || fail "x-conduit-query-stats: no trapped port accesses for the mdev: $REPLY"
		echo "# mtty: $irqs interrupts in L2, $pio port accesses trapped by conduit"
	fi
	qmp_ok device_del id=mtty0
	qmp_event DEVICE_DELETED 30 || fail "no DEVICE_DELETED within 30 s"
	grep -q '^QMP-EVENT DEVICE_DELETED .*"device": "mtty0"' "$qlog" ||
		fail "DEVICE_DELETED does not name mtty0: $(grep DEVICE_DELETED "$qlog")"
	wait_for "$OUT" "L2-HP-GONE " 10 "$vm" || fail "the guest did not see the mtty card go"
	guest_alive "after device_del of the mdev"
	qmp_ok query-status
	qmp_show
	tr -d '\r' <"$OUT" | grep -a '^L2-HP-MTTY\|^L2-IRQ' | sed 's/^/# /'
	qmp_vm_end
	[ "$RC" = 0 ] || fail "conduit exit code $RC at the end, want 0"
	mtty_remove
}

# A VFIO device cdev handed over by the client (qemu.qmp's send_fd_scm,
# then getfd) and hot-added by device_add fd=NAME. iommufd: the guest binds
# the NVMe and reads it (md5), device_del gives DEVICE_DELETED. legacy
# (type1 needs the group, a cdev is no use to it): refused, naming the
# iommufd backend, and the guest goes on. Either way conduit holds no more
# fds than before getfd and the device opens in L1 afterwards.
case_qmp_hotplug_fd() {
	qmp_tools || return
	pt_dev || return
	n=$(ls "/sys/bus/pci/devices/$dev/vfio-dev" 2>/dev/null | head -n 1)
	[ -n "$n" ] || { skip "$dev has no VFIO device cdev in L1 (a kernel without VFIO_DEVICE_CDEV)"; return; }
	cdev=/dev/vfio/devices/$n
	if [ "${CONDUIT_VFIO_BACKEND:-}" != legacy ] && [ ! -c /dev/iommu ]; then
		skip "no /dev/iommu: the fd case needs the iommufd backend (or legacy for its refusal)"
		return
	fi
	qmp_vm hotplug || { qmp_vm_end; return; }
	qmp_open || { qmp_vm_end; return; }
	nfd0=$(ls "/proc/$vm/fd" | wc -l)
	echo "send-fd $cdev" >&5
	qmp_ok getfd fdname=nvmefd
	if [ "${CONDUIT_VFIO_BACKEND:-}" = legacy ]; then
		qmp_err "fd=nvmefd was handed over as a device cdev, which only the iommufd backend can use" \
			device_add driver=vfio-pci fd=nvmefd id=$QMP_ID
		grep -aq '^L2-HP-ADDED' "$OUT" && fail "the guest saw a device after a refused device_add"
	else
		qmp_ok device_add driver=vfio-pci fd=nvmefd id=$QMP_ID
		hp_added 1
		qmp_ok query-pci &&
			case $REPLY in *"\"qdev_id\": \"$QMP_ID\""*) ;; *) fail "query-pci lacks qdev_id $QMP_ID" ;; esac
		qmp_ok device_del id=$QMP_ID
		qmp_event DEVICE_DELETED 30 || fail "no DEVICE_DELETED within 30 s"
		wait_for "$OUT" "L2-HP-GONE " 10 "$vm" || fail "the guest did not see the NVMe go"
		guest_alive "after device_del of the fd device"
		qmp_ok query-status
	fi
	nfd1=$(ls "/proc/$vm/fd" | wc -l)
	echo "# conduit's fds: $nfd0 before getfd, $nfd1 at the end"
	[ "$nfd1" -le "$nfd0" ] || fail "conduit holds $nfd1 fds at the end, $nfd0 before getfd (the handed-over fd kept?)"
	vfio_openable
	qmp_show
	qmp_vm_end
	[ "$RC" = 0 ] || fail "conduit exit code $RC at the end, want 0"
}

# system_reset with a hot-added NVMe (at addr=12): the RESET event, the
# guest boots again (a second CONDUIT-L2-INIT and agent start) and finds the
# NVMe at boot, bound, with the image's md5; query-pci has it under its id
# (its slot is qmp-reset-addr's), and device_del still removes it. Before the reset, an add at the
# taken slot is refused ("PCI slot 12 is taken") and the guest goes on.
case_qmp_reset() {
	qmp_tools || return
	pt_dev || return
	qmp_vm hotplug || { qmp_vm_end; return; }
	qmp_open || { qmp_vm_end; return; }
	qmp_ok device_add driver=vfio-pci host="$dev" id=$QMP_ID addr=12
	hp_added 1
	qmp_err "addr 0c.0: PCI slot 12 is taken by" device_add driver=vfio-pci host="$dev" id=other addr=12
	n0=$(lines "$OUT")
	qmp_ok system_reset
	qmp_event RESET 30 || fail "no RESET event"
	grep -q '^QMP-EVENT RESET .*"reason": "host-qmp-system-reset"' "$qlog" ||
		fail "RESET event without reason host-qmp-system-reset: $(grep 'EVENT RESET' "$qlog")"
	wait_new "$OUT" "$n0" 'CONDUIT-L2-INIT' 60 || { fail "the guest did not boot again after system_reset"; qmp_show; qmp_vm_end; return; }
	wait_new "$OUT" "$n0" '^L2-ACPID-READY' 60 || fail "the guest agent did not start again"
	wait_new "$OUT" "$n0" '^L2-HP-BOUND .* driver=nvme' 60 ||
		fail "the NVMe is not bound in the guest after system_reset"
	if wait_new "$OUT" "$n0" '^L2-HP-MD5 gen=1 ' 60; then
		md5=${LINE##* }
		[ -z "${DISK_MD5:-}" ] || [ "$md5" = "$DISK_MD5" ] || fail "after the reset: guest md5 $md5, L0's image $DISK_MD5"
	else
		fail "no L2-HP-MD5 after system_reset"
	fi
	# Where the device is after the reset: qmp-reset-addr's verdict.
	rm -f "$RUNNER_WORK/qmp-reset.slot"
	if qmp_ok query-pci; then
		case $REPLY in *"\"qdev_id\": \"$QMP_ID\""*) ;; *) fail "query-pci lacks $QMP_ID after the reset" ;; esac
		slot=$(echo "$REPLY" | sed "s/.*\"qdev_id\": \"$QMP_ID\"//" | grep -o '"slot": [0-9]*' | head -n 1)
		echo "${slot#\"slot\": }" >"$RUNNER_WORK/qmp-reset.slot"
		echo "# after the reset, query-pci has $QMP_ID at slot ${slot#\"slot\": }"
	fi
	qmp_ok device_del id=$QMP_ID
	qmp_event DEVICE_DELETED 30 || fail "no DEVICE_DELETED within 30 s after the reset"
	wait_new "$OUT" "$n0" '^L2-HP-GONE ' 10 || fail "the guest did not see the NVMe go after the reset"
	guest_alive "after the reset and device_del"
	qmp_ok query-status
	qmp_show
	qmp_vm_end
	[ "$RC" = 0 ] || fail "conduit exit code $RC at the end, want 0"
}

# The NVMe that qmp-reset added with addr=12 is at slot 12 after the reset
# too, as in QEMU (a device keeps its address over system_reset): query-pci
# after the reset, as qmp-reset saw it (no guest of its own).
case_qmp_reset_addr() {
	[ -s "$RUNNER_WORK/qmp-reset.slot" ] || { fail "qmp-reset left no slot (it failed before query-pci, or did not run)"; return; }
	got=$(cat "$RUNNER_WORK/qmp-reset.slot")
	[ "$got" = 12 ] || fail "after system_reset the device added with addr=12 is at slot $got (conduit plugs hot-added devices again at the lowest free slot, not at their own)"
}

# A guest that never ejects (acpiphp.disable=1: nothing in it handles the
# slot's notifications): device_del answers, after conduit's 15 s, with an
# error saying the device stays; the guest goes on, conduit powers off
# normally and the device is free in L1 after.
case_qmp_eject_timeout() {
	qmp_tools || return
	pt_dev || return
	QMP_CMDLINE="acpiphp.disable=1" qmp_vm hotplug || { qmp_vm_end; return; }
	qmp_open || { qmp_vm_end; return; }
	qmp_ok device_add driver=vfio-pci host="$dev" id=$QMP_ID
	sleep 2
	grep -aq '^L2-HP-ADDED' "$OUT" && fail "the guest took the device with acpiphp disabled: the case shows nothing"
	qmp_err "device '$QMP_ID': the guest did not eject it within 15 s" device_del id=$QMP_ID
	grep -q '^QMP-EVENT DEVICE_DELETED' "$qlog" && fail "DEVICE_DELETED although the guest never ejected"
	qmp_show
	qmp_vm_end
	[ "$RC" = 0 ] || fail "conduit exit code $RC at the end, want 0"
	vfio_openable
}

# --- checking the cases themselves -------------------------------------------

# qmp-standin-on / qmp-standin-off (in no suite): the cases between them run
# against QEMU playing conduit's QMP surface (qmp-standin.sh), to check the
# harness before conduit has the socket.
case_qmp_standin_on() {
	command -v qemu-system-x86_64 >/dev/null || { fail "no QEMU in L1 (INCLUDE_QEMU=1)"; return; }
	QMP_REAL_BIN=$CONDUIT_BIN
	CONDUIT_BIN=$QMP_DIR/qmp-standin.sh
	echo "# the QMP cases from here run against QEMU (qmp-standin.sh), not conduit"
}

case_qmp_standin_off() {
	CONDUIT_BIN=${QMP_REAL_BIN:-$CONDUIT_BIN}
}
