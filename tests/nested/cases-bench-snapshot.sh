# tests/nested/cases-bench-snapshot.sh - snapshot save and restore-to-running
# against QEMU's migrate to a file and -incoming from it (issue 15, point 9,
# the snapshot part), sourced by runner.sh; suites/bench-snapshot, run by
# bench.sh (BENCH_SUITE=bench-snapshot, or `make bench-snapshot`), which
# prints the table. Needs QEMU and python3 with QEMU's QMP client in L1
# (run.sh sets INCLUDE_QEMU=1 and INCLUDE_PYTHON=1 for this suite).
#
# The guest: l2-init.sh's `counter` (L2-COUNT n every 0.1 s on the console,
# ttyS0), no passthrough, BENCH_SNAP_MIB of RAM (1024 and 512), 1 vCPU,
# the same kernel and initramfs for both. BENCH_SNAP_ROUNDS rounds
# (BENCH_RUNS, 3); in each, for each size, conduit and QEMU take turns
# (odd rounds conduit first, even rounds QEMU first). One turn:
#   boot, wait for L2-COUNT 20, QEMU's client (qmp-client.py, QMPClient)
#   on the socket: `stop`, 0.5 s for lines on their way, the last count;
#   save: `migrate` (conduit uri=file:PATH; QEMU 7.2, which has no file:
#     URI, uri="exec:cat > PATH"), timed from sending it to its reply
#     (conduit answers when the file is written) and to the first
#     query-migrate (polled every 10 ms) that says completed; total-time
#     from one more query-migrate 0.3 s later (QEMU 7.2 says completed a
#     moment before it sets total-time, 0 until then); then `quit`, and
#     the file's size once the VMM is gone (QEMU's cat is its child);
#   restore: conduit `--restore PATH --memory SIZE` (its guest runs at
#     once); QEMU the same command line with -incoming "exec:cat PATH",
#     its client started before it and connecting as soon as the socket is
#     there (QMP_CONNECT_WAIT), query-migrate polled until completed, then
#     `cont` (a guest saved stopped comes back paused). Restore-to-running
#     is launch to the first L2-COUNT line in the VMM's output (polled
#     every 20 ms, the same for both); also launch to loaded: QEMU's
#     query-migrate completed, conduit's "restored from" line (-v).
#   check: the restored guest's first count is one or two past the last
#     one before the stop, and it counts 5 more; else the turn is no figure
#     (conduit's: a failure of the case; QEMU's: shown, counted as none).
#   the file removed (L1's /tmp is RAM).
# Lines:
#   BENCH-SNAP VMM MIB ROUND reply_ms done_ms total_time_ms file_bytes restore_ms load_ms last first
#     (none where there is no figure; load_ms: launch to loaded, QEMU's
#     query-migrate completed, conduit's "restored from" log line, which
#     it writes once the snapshot is in and just before its vCPUs start)
#   BENCH-SNAP-OWN conduit MIB ROUND SAVE_MS RESTORE_MS (conduit -v's own
#     "saved to ... in N ms" and "restored from ... in N ms")
#   BENCH-SNAP-INFO ROUNDS "MIBS"
#   # bench-snapshot VMM MIB MiB round N: ... (the same, readable)

BENCH_SNAP_MIB=${BENCH_SNAP_MIB:-1024 512}
BENCH_SNAP_ROUNDS=${BENCH_SNAP_ROUNDS:-${BENCH_RUNS:-3}}
BENCH_SNAP_BOOT=${BENCH_SNAP_BOOT:-120}
SB_CMDLINE="console=ttyS0 quiet conduit.test=counter"

# sb_counts FILE: the L2-COUNT values of FILE's whole lines, one a line
# (a line the guest was halfway through at the stop is not one).
sb_counts() {
	sb_drop=$((1 - $(tail -c 1 "$1" | wc -l)))
	tr -d '\r' <"$1" | awk -v drop="$sb_drop" \
		'{ l[NR] = $0 } END { n = NR - drop; for (i = 1; i <= n; i++) if (l[i] ~ /^L2-COUNT [0-9]+$/) print substr(l[i], 10) }'
}

# sb_wait_count FILE PID SECS [MARK T0]: 0 once FILE has an L2-COUNT line
# (polled every 20 ms), 1 if PID ended first or at the timeout; with MARK,
# SB_MARK is the ms from T0 to the first poll that found MARK in FILE.
sb_wait_count() {
	sb_deadline=$(($(now_ms) + $3 * 1000))
	SB_MARK=''
	while :; do
		[ -z "${4:-}" ] || [ -n "$SB_MARK" ] || ! grep -qaF -- "$4" "$1" 2>/dev/null || SB_MARK=$(($(now_ms) - $5))
		grep -qa '^L2-COUNT [0-9]' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || { grep -qa '^L2-COUNT [0-9]' "$1" 2>/dev/null; return; }
		[ "$(now_ms)" -lt "$sb_deadline" ] || return 1
		sleep 0.02
	done
}

# sb_client SOCK [wait]: qmp-client.py on SOCK fed from fd 5, its log in
# qlog, pid qpid; with "wait", started before the VMM (QMP_CONNECT_WAIT):
# returns once it runs (QMP-WAITING), else once it has the greeting.
sb_client() {
	qlog=$RUNNER_WORK/sb.$sb_vmm.$sb_n.qmp
	qfifo=$RUNNER_WORK/sb.qfifo
	rm -f "$qfifo"
	: >"$qlog"
	mkfifo "$qfifo"
	exec 5<>"$qfifo"
	if [ "${2:-}" = wait ]; then
		QMP_CONNECT_WAIT=$BENCH_SNAP_BOOT PYTHONPATH=$QMP_DIR/python /usr/bin/python3 "$QMP_DIR/qmp-client.py" "$1" \
			<"$qfifo" >"$qlog" 2>&1 5>&- &
		qpid=$!
		wait_for "$qlog" QMP-WAITING 60 "$qpid" || { sb_no "the QMP client did not start: $(head -c 300 "$qlog")"; return 1; }
	else
		PYTHONPATH=$QMP_DIR/python /usr/bin/python3 "$QMP_DIR/qmp-client.py" "$1" \
			<"$qfifo" >"$qlog" 2>&1 5>&- &
		qpid=$!
		wait_for "$qlog" QMP-GREETING 30 "$qpid" || { sb_no "no QMP greeting: $(head -c 300 "$qlog")"; return 1; }
	fi
}

# sb_no MESSAGE: this turn has no figure: conduit's fails the case, QEMU's
# is shown (a peer's miss) and counted as none.
sb_no() {
	SB_OK=''
	case $sb_vmm in
	conduit) fail "conduit $sb_mib MiB round $sb_round: $*" ;;
	*) echo "# bench-snapshot qemu $sb_mib MiB round $sb_round: $* (a peer's miss: no figure)" ;;
	esac
	for f in "${SB_SHOW:-}" "${qlog:-}"; do
		[ -n "$f" ] && [ -s "$f" ] && tail -n 8 "$f" | tr -cd '\11\12\40-\176' |
			awk -v p="# $sb_vmm round $sb_round $(basename "$f") | " '{ print p $0 }'
	done
	return 1
}

# sb_end PID FILE: the VMM ended (quit over the open client, or killed).
sb_end() {
	if kill -0 "$1" 2>/dev/null; then
		if [ -n "${qpid:-}" ]; then echo quit >&5; else kill "$1"; fi
	fi
	qmp_close
	wait_exit "$1" "$EXIT_TIMEOUT" "$2" || true
}

# sb_launch_src: the source VM (pid sb_pid, output SB_SHOW, socket sb_sock).
sb_launch_src() {
	SB_SHOW=$RUNNER_WORK/sb.$sb_vmm.src.out
	sb_sock=$RUNNER_WORK/sb.src.sock
	rm -f "$sb_sock"
	if [ "$sb_vmm" = conduit ]; then
		"$CONDUIT_BIN" -v --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory "${sb_mib}M" \
			--cmdline "$SB_CMDLINE" --api-socket "$sb_sock" </dev/null >"$SB_SHOW" 2>&1 &
	else
		# shellcheck disable=SC2086
		qemu-system-x86_64 $SB_QEMU -append "$SB_CMDLINE" -qmp "unix:$sb_sock,server=on,wait=off" \
			</dev/null >"$SB_SHOW" 2>&1 &
	fi
	sb_pid=$!
}

# sb_turn VMM MIB ROUND: one save and restore, its BENCH-SNAP line.
sb_turn() {
	sb_vmm=$1 sb_mib=$2 sb_round=$3 SB_OK=1 qpid='' qlog=''
	sb_n=$((sb_n + 1))
	snap=$RUNNER_WORK/sb.snap
	rm -f "$snap"
	SB_QEMU="-machine q35 -enable-kvm -cpu host -m $sb_mib -smp 1 -nodefaults -nographic -no-reboot
		-chardev stdio,id=c0,signal=off -serial chardev:c0
		-device virtio-serial-pci -chardev null,id=h0 -device virtconsole,chardev=h0
		-kernel $L2_KERNEL -initrd $L2_INITRD"
	reply=none done=none tt=none size=none rest=none load='' last=none first=none own_s=none own_r=none

	sb_launch_src
	wait_for "$SB_SHOW" "L2-COUNT 20" "$BENCH_SNAP_BOOT" "$sb_pid" ||
		{ sb_no "the guest did not count to 20"; sb_end "$sb_pid" "$SB_SHOW"; sb_line; return; }
	[ -S "$sb_sock" ] || { sb_no "no socket"; sb_end "$sb_pid" "$SB_SHOW"; sb_line; return; }
	sb_client "$sb_sock" || { sb_end "$sb_pid" "$SB_SHOW"; sb_line; return; }
	uri="file:$snap"
	[ "$sb_vmm" = conduit ] || uri="exec:cat > $snap"
	qn=$(lines "$qlog")
	{
		echo stop
		echo "sleep 0.5"
		echo "timed migrate {\"uri\": \"$uri\"}"
		echo "wait-query query-migrate status completed|failed 300"
		# QEMU 7.2 says completed a moment before it fills in total-time
		# (0 until then): its figures from a second query.
		echo "sleep 0.3"
		echo "timed query-migrate"
	} >&5
	wait_new "$qlog" "$qn" '^QMP-QUERY-TIMEOUT query-migrate|^QMP-TIMED query-migrate|^QMP-ERROR (migrate|query-migrate)|^QMP-CLOSED' 330 ||
		{ sb_no "no answer to migrate"; sb_end "$sb_pid" "$SB_SHOW"; sb_line; return; }
	last=$(sb_counts "$SB_SHOW" | tail -n 1)
	new=$(tail -n +"$((qn + 1))" "$qlog" | tr -d '\r')
	reply=$(echo "$new" | sed -n 's/^QMP-TIMED migrate ms=\([0-9.]*\) .*/\1/p' | head -n 1)
	q=$(echo "$new" | grep -m1 '^QMP-QUERY query-migrate')
	case $q in
	*'"status": "completed"'*)
		done=$(echo "$q" | sed -n 's/.* ms=\([0-9.]*\) .*/\1/p')
		q=$(echo "$new" | grep -m1 '^QMP-TIMED query-migrate')
		tt=$(echo "$q" | sed -n 's/.*"total-time": \([0-9]*\).*/\1/p')
		;;
	*) sb_no "migrate: $(echo "$new" | grep -m1 '^QMP-ERROR\|^QMP-QUERY')" ;;
	esac
	echo "# bench-snapshot $sb_vmm $sb_mib MiB round $sb_round query-migrate: $(echo "$q" | cut -d' ' -f6- | cut -c1-300)"
	sb_end "$sb_pid" "$SB_SHOW"
	own_s=$(tr -d '\r' <"$SB_SHOW" | sed -n 's/.*migrate: saved to .* in \([0-9.]*\) ms.*/\1/p' | head -n 1)
	[ -n "$SB_OK" ] || { sb_line; return; }
	[ -n "$last" ] || { sb_no "no count before the stop"; sb_line; return; }
	[ -s "$snap" ] || { sb_no "no snapshot file"; sb_line; return; }
	size=$(wc -c <"$snap")

	# Restore to running.
	SB_SHOW=$RUNNER_WORK/sb.$sb_vmm.dst.out
	sb_sock=$RUNNER_WORK/sb.dst.sock
	rm -f "$sb_sock"
	: >"$SB_SHOW"
	qpid='' qlog=''
	if [ "$sb_vmm" = conduit ]; then
		t0=$(now_ms)
		"$CONDUIT_BIN" -v --kernel "$L2_KERNEL" --api-socket "$sb_sock" --restore "$snap" \
			--memory "${sb_mib}M" </dev/null >"$SB_SHOW" 2>&1 &
		sb_pid=$!
	else
		sb_client "$sb_sock" wait || { sb_line; return; }
		{
			echo "wait-query query-migrate status completed|failed $BENCH_SNAP_BOOT"
			echo "timed cont"
		} >&5
		t0=$(now_ms)
		# shellcheck disable=SC2086
		qemu-system-x86_64 $SB_QEMU -append "$SB_CMDLINE" -qmp "unix:$sb_sock,server=on,wait=off" \
			-incoming "exec:cat $snap" </dev/null >"$SB_SHOW" 2>&1 &
		sb_pid=$!
	fi
	if sb_wait_count "$SB_SHOW" "$sb_pid" "$BENCH_SNAP_BOOT" "restored from" "$t0"; then
		rest=$(($(now_ms) - t0))
		[ "$sb_vmm" != conduit ] || load=${SB_MARK:-}
	else
		sb_no "the restored guest printed no count"
	fi
	if [ "$sb_vmm" = qemu ] && [ -n "$qlog" ]; then
		# The client's stamp on the clock now_ms reads: the epoch's, or
		# /proc/uptime's where busybox date has no %N.
		clk=at
		case $(date +%s%N 2>/dev/null) in *N* | "") clk=up ;; esac
		at=$(tr -d '\r' <"$qlog" | grep -m1 '^QMP-QUERY query-migrate .*"completed"' | sed -n "s/.* $clk=\([0-9]*\) .*/\1/p")
		[ -z "$at" ] || load=$((at - t0))
	fi
	if [ -n "$SB_OK" ]; then
		first=$(sb_counts "$SB_SHOW" | head -n 1)
		[ -n "$first" ] || { wait_for "$SB_SHOW" "L2-COUNT" 5 "$sb_pid"; first=$(sb_counts "$SB_SHOW" | head -n 1); }
		if [ -n "$first" ] && [ "$first" -gt "$last" ] && [ "$first" -le $((last + 2)) ]; then
			wait_for "$SB_SHOW" "L2-COUNT $((first + 5))" 30 "$sb_pid" ||
				sb_no "the restored guest stopped counting after $first"
		else
			sb_no "the restored guest's first count is '${first:-none}', the saved one's last $last"
		fi
	fi
	[ -n "$SB_OK" ] || rest=none
	own_r=$(tr -d '\r' <"$SB_SHOW" | sed -n 's/.*restored from .* in \([0-9.]*\) ms.*/\1/p' | head -n 1)
	if [ "$sb_vmm" = conduit ]; then
		"$CONDUIT_BIN" ctl "$sb_sock" quit >/dev/null 2>&1
		wait_exit "$sb_pid" "$EXIT_TIMEOUT" "$SB_SHOW" || true
	else
		sb_end "$sb_pid" "$SB_SHOW"
	fi
	rm -f "$snap"
	sb_line
}

sb_line() {
	rm -f "$snap"
	echo "# bench-snapshot $sb_vmm $sb_mib MiB round $sb_round: save reply ${reply:-none} ms," \
		"completed ${done:-none} ms, total-time ${tt:-none} ms, file ${size:-none} B;" \
		"restore to running ${rest:-none} ms${load:+ (launch to loaded $load ms)}; counts $last -> $first" \
		"${own_s:+; conduit: saved in $own_s ms, restored in ${own_r:-none} ms}"
	echo "BENCH-SNAP $sb_vmm $sb_mib $sb_round ${reply:-none} ${done:-none} ${tt:-none} ${size:-none} ${rest:-none}" \
		"${load:-none} ${last:-none} ${first:-none}"
	[ "$sb_vmm" != conduit ] || echo "BENCH-SNAP-OWN conduit $sb_mib $sb_round ${own_s:-none} ${own_r:-none}"
}

case_bench_snapshot() {
	qmp_tools || return
	command -v qemu-system-x86_64 >/dev/null || { fail "no QEMU in L1 (INCLUDE_QEMU=1)"; return; }
	OUT=$RUNNER_WORK/$CASE_NAME.out
	: >"$OUT"
	sb_n=0
	echo "BENCH-SNAP-INFO $BENCH_SNAP_ROUNDS \"$BENCH_SNAP_MIB\""
	r=1
	while [ "$r" -le "$BENCH_SNAP_ROUNDS" ]; do
		for mib in $BENCH_SNAP_MIB; do
			if [ $((r % 2)) = 1 ]; then order="conduit qemu"; else order="qemu conduit"; fi
			for v in $order; do
				sb_turn "$v" "$mib" "$r"
				OUT=$SB_SHOW
			done
		done
		r=$((r + 1))
	done
}
