# tests/nested/cases-bench-migrate.sh - live migration against QEMU 7.2
# (issue 15, point 9, the live part), sourced by runner.sh;
# suites/bench-migrate, run by bench.sh (BENCH_SUITE=bench-migrate, or
# `make bench-migrate`), which prints the table. Needs QEMU and python3
# with QEMU's QMP client in L1 (run.sh sets INCLUDE_QEMU=1 and
# INCLUDE_PYTHON=1 for this suite).
#
# The guest: BENCH_MIG_MIB (1024) of RAM, 1 vCPU, no passthrough, the same
# kernel and initramfs for both VMMs, with one of two loads:
#   idle     l2-init.sh's counter (L2-COUNT n every 0.1 s)
#   writer   l2-init.sh's mempattern: BENCH_MIG_WSET MiB (128) of a seeded
#            pattern rewritten at BENCH_MIG_RATE MiB/s (8) and verified
# Each turn: the source booted until its load runs (L2-COUNT 20, or the
# writer's first verify pass); the destination started on the same
# command line with conduit --incoming unix:PATH / QEMU -incoming
# unix:PATH, in the same L1; QEMU's client (qmp-client.py) on the source:
# QEMU gets max-bandwidth 100 GiB/s (7.2's default caps it at 32 MiB/s;
# conduit has no cap by default), both keep the 300 ms downtime-limit;
# `migrate`, query-migrate polled every 10 ms until completed, one more
# 0.3 s later for the figures (QEMU 7.2 fills them in a moment after it
# says completed). Then the guest must run on at the destination (the
# count goes on from the source's last, one or two past it; the writer's
# passes there all say bad=0 with its seed), else the turn is no figure
# (conduit's: a failure; QEMU's: shown, counted as none).
# Figures per turn:
#   total-time, downtime, setup-time, ram.transferred, dirty-sync-count
#     (rounds), from the source's query-migrate (QEMU's and conduit's
#     fields mean the same: downtime from pausing the vCPUs at the source
#     to the source's end of the migration, the last bytes sent; neither
#     counts the destination's load of the last bytes nor its start);
#   conduit's end-to-end downtime: its source's log line "vCPUs paused for
#     the switchover at N ns" to its destination's "vCPUs started at N ns"
#     (CLOCK_REALTIME, one L1);
#   device data bytes: 0 (no passed-through device).
# Lines:
#   BENCH-MIG VMM LOAD ROUND total_ms downtime_ms e2e_downtime_ms rounds bytes setup_ms device_bytes
#   BENCH-MIG-INFO ROUNDS MIB WSET RATE
#   # bench-migrate VMM LOAD round N: ... (the same, readable)

BENCH_MIG_MIB=${BENCH_MIG_MIB:-1024}
BENCH_MIG_WSET=${BENCH_MIG_WSET:-128}
BENCH_MIG_RATE=${BENCH_MIG_RATE:-8}
BENCH_MIG_ROUNDS=${BENCH_MIG_ROUNDS:-${BENCH_RUNS:-1}}
BENCH_MIG_BOOT=${BENCH_MIG_BOOT:-180}

# bm_no MESSAGE: this turn has no figure (see sb_no).
bm_no() {
	BM_OK=''
	case $bm_vmm in
	conduit) fail "conduit $bm_load round $bm_round: $*" ;;
	*) echo "# bench-migrate qemu $bm_load round $bm_round: $* (a peer's miss: no figure)" ;;
	esac
	for f in "${bm_src:-}" "${bm_dst:-}" "${qlog:-}"; do
		[ -n "$f" ] && [ -s "$f" ] && tail -n 6 "$f" | tr -cd '\11\12\40-\176' |
			awk -v p="# $bm_vmm $bm_load $(basename "$f") | " '{ print p $0 }'
	done
	return 1
}

# bm_launch ROLE OUTFILE SOCK [ARGS...]: the VMM of this turn on the
# turn's guest (pid in bm_pid).
bm_launch() {
	role=$1 o=$2 s=$3
	shift 3
	rm -f "$s"
	if [ "$bm_vmm" = conduit ]; then
		if [ "$role" = src ]; then
			"$CONDUIT_BIN" -v --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory "${BENCH_MIG_MIB}M" \
				--cmdline "$bm_cmdline" --api-socket "$s" "$@" </dev/null >"$o" 2>&1 &
		else
			"$CONDUIT_BIN" -v --kernel "$L2_KERNEL" --memory "${BENCH_MIG_MIB}M" \
				--api-socket "$s" "$@" </dev/null >"$o" 2>&1 &
		fi
	else
		# shellcheck disable=SC2086
		qemu-system-x86_64 -machine q35 -enable-kvm -cpu host -m "$BENCH_MIG_MIB" -smp 1 \
			-nodefaults -nographic -no-reboot \
			-chardev stdio,id=c0,signal=off -serial chardev:c0 \
			-device virtio-serial-pci -chardev null,id=h0 -device virtconsole,chardev=h0 \
			-kernel "$L2_KERNEL" -initrd "$L2_INITRD" -append "$bm_cmdline" \
			-qmp "unix:$s,server=on,wait=off" "$@" </dev/null >"$o" 2>&1 &
	fi
	bm_pid=$!
}

# bm_quit PID SOCK OUT: the VMM ended by QMP quit (killed after EXIT_TIMEOUT).
bm_quit() {
	if kill -0 "$1" 2>/dev/null; then
		"$CONDUIT_BIN" ctl "$2" quit >/dev/null 2>&1 || kill "$1" 2>/dev/null
	fi
	wait_exit "$1" "$EXIT_TIMEOUT" "$3" || true
}

# bm_num KEY TEXT: the number after the first "KEY": in TEXT.
bm_num() {
	echo "$2" | tr ',{' '\n\n' | sed -n "s/.*\"$1\": \\([0-9]*\\).*/\\1/p" | head -n 1
}

# bm_realtime FILE TEXT: the ns of conduit's log line with TEXT.
bm_realtime() {
	tr -d '\r' <"$1" | sed -n "s/.*$2 at \\([0-9]*\\) ns (CLOCK_REALTIME).*/\\1/p" | head -n 1
}

# bm_check: the guest runs on at the destination.
bm_check() {
	if [ "$bm_load" = idle ]; then
		last=$(sb_counts "$bm_src" | tail -n 1)
		wait_for "$bm_dst" "L2-COUNT $((${last:-0} + 5))" 60 "$bm_dpid" ||
			{ bm_no "the destination does not count on past ${last:-none}"; return; }
		first=$(sb_counts "$bm_dst" | head -n 1)
		[ -n "$last" ] && [ -n "$first" ] && [ "$first" -gt "$last" ] && [ "$first" -le $((last + 2)) ] ||
			bm_no "the destination's first count is '${first:-none}', the source's last '${last:-none}'"
		bm_seen="counts $last -> $first"
		return
	fi
	i=0
	while [ "$(mp_lines "$bm_dst" | wc -l)" -lt 2 ] && [ $i -lt 1800 ] && kill -0 "$bm_dpid" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	n=$(mp_lines "$bm_dst" | wc -l)
	[ "$n" -ge 2 ] || { bm_no "$n verify passes at the destination, want 2"; return; }
	bad=$(mp_lines "$bm_dst" | grep -v " bad=0 rewritten=[0-9]* seed=$bm_seed\$")
	[ -z "$bad" ] || { bm_no "the pattern at the destination: $(echo "$bad" | head -n 1)"; return; }
	bm_seen="$n passes bad=0 at the destination"
}

# bm_turn VMM LOAD ROUND: one live migration, its BENCH-MIG line.
bm_turn() {
	bm_vmm=$1 bm_load=$2 bm_round=$3 BM_OK=1 qpid='' qlog='' bm_seen=''
	tt=none dt=none e2e=none rounds=none bytes=none setup=none dev=none
	bm_seed=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
	if [ "$bm_load" = idle ]; then
		bm_cmdline="console=ttyS0 quiet conduit.test=counter"
		ready="L2-COUNT 20"
	else
		bm_cmdline="console=ttyS0 quiet conduit.test=mempattern conduit.mpsize=$BENCH_MIG_WSET conduit.mprate=$BENCH_MIG_RATE conduit.mpseed=$bm_seed"
		ready="L2-MEMPATTERN pass=1 "
	fi
	bm_src=$RUNNER_WORK/bm.$bm_vmm.$bm_load.src.out
	bm_dst=$RUNNER_WORK/bm.$bm_vmm.$bm_load.dst.out
	ssock=$RUNNER_WORK/bm.src.sock dsock=$RUNNER_WORK/bm.dst.sock
	mig=$RUNNER_WORK/bm.mig
	rm -f "$mig"
	bm_launch src "$bm_src" "$ssock"
	bm_spid=$bm_pid
	if ! wait_for "$bm_src" "$ready" "$BENCH_MIG_BOOT" "$bm_spid"; then
		bm_no "the source's load did not start ($ready)"
		bm_quit "$bm_spid" "$ssock" "$bm_src"
		bm_line
		return
	fi
	if [ "$bm_vmm" = conduit ]; then
		bm_launch dst "$bm_dst" "$dsock" --incoming "unix:$mig"
	else
		bm_launch dst "$bm_dst" "$dsock" -incoming "unix:$mig"
	fi
	bm_dpid=$bm_pid
	i=0
	while [ ! -S "$mig" ] && [ $i -lt 600 ] && kill -0 "$bm_dpid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	[ -S "$mig" ] || bm_no "the destination does not listen on $mig"
	if [ -n "$BM_OK" ]; then
		sb_vmm=$bm_vmm sb_n=$bm_round
		sb_client "$ssock" || BM_OK=''
	fi
	if [ -n "$BM_OK" ]; then
		qn=$(lines "$qlog")
		{
			[ "$bm_vmm" = conduit ] || echo 'migrate-set-parameters {"max-bandwidth": 107374182400}'
			echo "timed migrate {\"uri\": \"unix:$mig\"}"
			echo "wait-query query-migrate status completed|failed|cancelled 600"
			echo "sleep 0.3"
			echo "timed query-migrate"
		} >&5
		wait_new "$qlog" "$qn" '^QMP-QUERY-TIMEOUT query-migrate|^QMP-TIMED query-migrate|^QMP-ERROR (migrate|query-migrate)|^QMP-CLOSED' 660 ||
			bm_no "no answer to migrate"
	fi
	if [ -n "$BM_OK" ]; then
		new=$(tail -n +"$((qn + 1))" "$qlog" | tr -d '\r')
		q=$(echo "$new" | grep -m1 '^QMP-TIMED query-migrate')
		echo "# bench-migrate $bm_vmm $bm_load round $bm_round query-migrate: $(echo "$q" | cut -d' ' -f6- | cut -c1-400)"
		case $q in
		*'"status": "completed"'*)
			tt=$(bm_num total-time "$q") dt=$(bm_num downtime "$q") setup=$(bm_num setup-time "$q")
			rounds=$(bm_num dirty-sync-count "$q") bytes=$(bm_num transferred "$q")
			dev=0
			;;
		*) bm_no "migrate: $(echo "$new" | grep -m1 '^QMP-ERROR\|^QMP-QUERY')" ;;
		esac
	fi
	[ -z "$BM_OK" ] || bm_check
	if [ -n "$BM_OK" ] && [ "$bm_vmm" = conduit ]; then
		p=$(bm_realtime "$bm_src" "vCPUs paused for the switchover")
		s=$(bm_realtime "$bm_dst" "vCPUs started")
		[ -n "$p" ] && [ -n "$s" ] && e2e=$(((s - p) / 1000000)) ||
			bm_no "no pause or start time in the logs ('$p', '$s')"
	fi
	qmp_close
	bm_quit "$bm_spid" "$ssock" "$bm_src"
	bm_quit "$bm_dpid" "$dsock" "$bm_dst"
	[ "$bm_vmm" != conduit ] || echo "# bench-migrate conduit $bm_load: $(tr -d '\r' <"$bm_dst" | grep -a -m1 'restored from')"
	[ "$bm_vmm" != conduit ] || echo "# bench-migrate conduit $bm_load: $(tr -d '\r' <"$bm_src" | grep -a -m1 'migrate: [0-9]* ms in all')"
	bm_line
}

bm_line() {
	[ -n "$BM_OK" ] || { tt=none dt=none e2e=none rounds=none bytes=none setup=none dev=none; }
	echo "# bench-migrate $bm_vmm $bm_load round $bm_round: total-time ${tt} ms, downtime ${dt} ms" \
		"(end to end ${e2e} ms), setup ${setup} ms, ${rounds} rounds, ${bytes} bytes, device data ${dev} bytes; ${bm_seen:-no check}"
	echo "BENCH-MIG $bm_vmm $bm_load $bm_round $tt $dt $e2e $rounds $bytes $setup $dev"
}

case_bench_migrate() {
	qmp_tools || return
	command -v qemu-system-x86_64 >/dev/null || { fail "no QEMU in L1 (INCLUDE_QEMU=1)"; return; }
	OUT=$RUNNER_WORK/$CASE_NAME.out
	: >"$OUT"
	echo "BENCH-MIG-INFO $BENCH_MIG_ROUNDS $BENCH_MIG_MIB $BENCH_MIG_WSET $BENCH_MIG_RATE"
	r=1
	while [ "$r" -le "$BENCH_MIG_ROUNDS" ]; do
		for load in idle writer; do
			if [ $((r % 2)) = 1 ]; then order="conduit qemu"; else order="qemu conduit"; fi
			for v in $order; do
				bm_turn "$v" "$load" "$r"
				OUT=$bm_src
			done
		done
		r=$((r + 1))
	done
}
