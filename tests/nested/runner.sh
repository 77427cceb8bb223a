#!/bin/sh
# tests/nested/runner.sh - the L1-side test runner (busybox sh in L1, or sh on a
# host with real KVM). Owns launching the VMM under test on the L2 guest, bounded
# waits, killing hung runs, timing, TAP-like output. Binding devices to
# vfio-pci is conduit's own (`conduit bind`, bind_case in cases-passthrough.sh).
# Test cases live in cases-*.sh next to this file; suites are lists of case names
# in suites/NAME (one a line, '#' comments).
#
#   runner.sh --suite FILE | --cases "a b c" | --demo
# Environment:
#   CONDUIT_VMM  conduit (default) or qemu (stand-in: QEMU as the L1 VMM)
#   CONDUIT_BIN  the conduit binary            L2_KERNEL / L2_INITRD  the L2 guest
#   RUNNER_WORK  scratch dir (default /tmp/conduit-runner.$$)
#   CONDUIT_TEST_DEVICE  PCI address for passthrough suites (empty: they skip)
#   STANDIN_ACCEL=tcg    run the QEMU stand-in without KVM (debugging the harness)
#   RUNNER_VERBOSE=1     print every case's whole VMM output, not only on failure
#   CONDUIT_EXTRA_ARGS   more conduit options for run_guest (passthrough cases)
#   CONDUIT_VFIO_BACKEND iommufd|legacy: conduit runs get --vfio-backend (a wrapper)
#   BOOT_TIMEOUT (45 s: launch to CONDUIT-L2-INIT, and to L2-READY)
#   EXIT_TIMEOUT (30 s: to the VMM's exit after that); a VMM past them is killed
# Output: "1..N", "ok N - name", "not ok N - name: reason", "ok N - name # SKIP why",
# "# time name: launch-to-init=X ms total=Y ms", diagnostics as "# ..." lines.

RUNNER_DIR=$(cd "$(dirname "$0")" && pwd)
CONDUIT_VMM=${CONDUIT_VMM:-conduit}
CONDUIT_BIN=${CONDUIT_BIN:-conduit}
CONDUIT_TEST_DEVICE=${CONDUIT_TEST_DEVICE:-}
RUNNER_WORK=${RUNNER_WORK:-/tmp/conduit-runner.$$}
L2_MEMORY=${L2_MEMORY:-256}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-45}
EXIT_TIMEOUT=${EXIT_TIMEOUT:-30}

now_ms() {
	t=$(date +%s%N 2>/dev/null)
	case $t in
	*N* | "") awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime ;;
	*) echo $((t / 1000000)) ;;
	esac
}

# --- launching the VMM --------------------------------------------------------

# vmm_exec CPUS CONSOLE TEST TRACEFILE: replaces the shell with the VMM booting
# the L2 guest with conduit.test=TEST. CONSOLE is virtio or serial.
vmm_exec() {
	cpus=$1 console=$2 test=$3 trace=$4
	cmdline="console=ttyS0 quiet conduit.test=$test${L2_EXTRA_CMDLINE:+ $L2_EXTRA_CMDLINE}"
	if [ "$CONDUIT_VMM" = conduit ]; then
		# shellcheck disable=SC2086
		exec "$CONDUIT_BIN" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" \
			--cmdline "$cmdline" --memory "${L2_MEMORY}M" --cpus "$cpus" \
			--console "$console" ${CONDUIT_EXTRA_ARGS:-}
	fi
	# QEMU STAND-IN (CONDUIT_VMM=qemu): same wiring as conduit's --console modes.
	# On an arm64 L1 (tests/nested/arm64/) QEMU's virt machine: its UART is
	# a PL011 (ttyAMA0, not conduit's 16550); STANDIN_EXTRA_ARGS carries what
	# conduit's --passthrough would (-device vfio-pci,host=BDF), and
	# STANDIN_NO_REBOOT='' lets a guest reboot in place.
	if [ "$(uname -m)" = aarch64 ]; then
		if [ "$console" = virtio ]; then
			set -- -chardev stdio,id=c0,mux=on,signal=off -serial chardev:c0 \
				-device virtio-serial-pci -device virtconsole,chardev=c0
		else
			set -- -chardev stdio,id=c0,signal=off -serial chardev:c0
		fi
		# shellcheck disable=SC2086
		exec qemu-system-aarch64 -machine virt,gic-version=3 -accel kvm -cpu host \
			-m "$L2_MEMORY" -smp "$cpus" -nodefaults -nographic ${STANDIN_NO_REBOOT--no-reboot} \
			-kernel "$L2_KERNEL" -initrd "$L2_INITRD" \
			-append "$(echo "$cmdline" | sed 's/console=ttyS0/console=ttyAMA0/')" \
			-trace "enable=qemu_system_shutdown_request,file=$trace" "$@" ${STANDIN_EXTRA_ARGS:-}
	fi
	if [ "$console" = virtio ]; then
		set -- -chardev stdio,id=c0,mux=on,signal=off -serial chardev:c0 \
			-device virtio-serial-pci -device virtconsole,chardev=c0
	else
		set -- -chardev stdio,id=c0,signal=off -serial chardev:c0
	fi
	# STANDIN_ACCEL=tcg lets the stand-in run where KVM cannot (harness debugging).
	if [ "${STANDIN_ACCEL:-kvm}" = kvm ]; then
		set -- -enable-kvm -cpu host "$@"
	else
		set -- -accel tcg -cpu max "$@"
	fi
	exec qemu-system-x86_64 -machine q35 -m "$L2_MEMORY" \
		-smp "$cpus" -nodefaults -nographic -no-reboot \
		-kernel "$L2_KERNEL" -initrd "$L2_INITRD" -append "$cmdline" \
		-trace "enable=qemu_system_shutdown_request,file=$trace" "$@"
}

# vmm_status RAW TRACEFILE: prints the conduit-style exit code.
vmm_status() {
	if [ "$CONDUIT_VMM" = conduit ]; then
		echo "$1"
		return
	fi
	# QEMU STAND-IN mapping: with -no-reboot QEMU exits 0 both on guest poweroff
	# and on guest reset; only a poweroff goes through qemu_system_shutdown_request
	# (traced), so exit 0 without that trace line is a reboot (conduit's 3).
	if [ "$1" -ne 0 ]; then
		echo 1
	elif grep -q qemu_system_shutdown_request "$2" 2>/dev/null; then
		echo 0
	else
		echo 3
	fi
}

# --- bounded waits -------------------------------------------------------------

# wait_for FILE STRING SECONDS PID: 0 once FILE contains STRING, 1 if PID exited
# without it, 2 on timeout.
wait_for() {
	deadline=$(($(now_ms) + $3 * 1000))
	while :; do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		if ! kill -0 "$4" 2>/dev/null; then
			grep -qF -- "$2" "$1" 2>/dev/null && return 0
			return 1
		fi
		[ "$(now_ms)" -lt "$deadline" ] || return 2
		sleep 0.05
	done
}

# wait_exit PID SECONDS [OUT]: sets RC to PID's exit code; kills it after
# SECONDS and returns 1 (RC=137), after stuck_report has said what it was
# doing (OUT: the VMM's output file, for its vCPU states).
wait_exit() {
	deadline=$(($(now_ms) + $2 * 1000))
	while kill -0 "$1" 2>/dev/null; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			[ "$2" -le 1 ] || stuck_report "$1" "${3:-}"
			kill -TERM "$1" 2>/dev/null
			sleep 1
			kill -KILL "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			RC=137
			return 1
		fi
		sleep 0.05
	done
	wait "$1"
	RC=$?
	return 0
}

# --- a VMM past its deadline --------------------------------------------------

# stuck_report PID [OUT]: what each thread of a VMM past its deadline is doing
# (state, the L1 CPU it last ran on, the syscall it is in, its kernel stack
# where L1's kernel shows it), each vCPU's state as conduit prints it on
# SIGUSR2 into OUT (its output file), then l1_timer_probe. A vCPU thread
# asleep in KVM_RUN with nothing to wake it is a halted guest waiting for an
# interrupt. Lines start "# stuck:".
stuck_report() {
	for sr_t in /proc/"$1"/task/*; do
		[ -r "$sr_t/stat" ] || continue
		# KVM's own kernel thread (kvm-nx-lpage-recovery) is listed too.
		case $(cat "$sr_t/comm" 2>/dev/null) in kvm-*) continue ;; esac
		# Fields after the ")" of comm: 3 is the state, 39 the CPU.
		sr_st=$(sed 's/.*) //' "$sr_t/stat" 2>/dev/null | awk '{ print $1, $37 }')
		# The syscall it is in: "16 0xae80" is ioctl(KVM_RUN), a vCPU
		# (asleep in it: its guest halted and waits for an interrupt).
		sr_sys=$(awk '{ print $1, $3 }' "$sr_t/syscall" 2>/dev/null)
		case $sr_sys in "16 0xae80") sr_sys="ioctl KVM_RUN" ;; esac
		sr_stack=$(awk 'NR <= 4 { sub(/\+.*/, "", $2); printf " %s", $2 }' "$sr_t/stack" 2>/dev/null)
		echo "# stuck: thread $(cat "$sr_t/comm" 2>/dev/null) state/cpu $sr_st syscall ${sr_sys:-?}${sr_stack:+ stack$sr_stack}"
	done
	# conduit's SIGUSR2: each vCPU's run state, rip and LAPIC timer, in OUT;
	# twice, 1 s apart, to show whether a running vCPU moves.
	if [ "$CONDUIT_VMM" = conduit ] && [ -n "${2:-}" ] && kill -USR2 "$1" 2>/dev/null; then
		sr_c=0
		while [ "$sr_c" -lt 20 ] && ! grep -aq "conduit: vCPU [0-9]*: .*; timer " "$2"; do
			sleep 0.1
			sr_c=$((sr_c + 1))
		done
		sleep 1
		kill -USR2 "$1" 2>/dev/null
		sleep 0.5
		grep -a "conduit: vCPU [0-9]*: .*; timer " "$2" | tr -d '\r' | tail -n 16 | sed 's/^/# stuck: /'
		# A halted vCPU that takes interrupts, its timer unmasked, nothing in
		# service, its TSC deadline a second or more past: L1's KVM did not
		# fire the guest's timer (conduit leaves the LAPIC timer to KVM), the
		# same L1 fault as a dead L1 CPU timer.
		sr_lost=$(grep -a "conduit: vCPU [0-9]*: halted, .*IF=1; timer tsc-deadline vector 0x[0-9a-f]*, deadline passed [0-9.]* ms ago; in service none" "$2" |
			tr -d '\r' | tail -n 16 | sed 's/.*conduit: vCPU \([0-9]*\): .*deadline passed \([0-9]*\)\.[0-9]* ms ago.*/\1 \2/' |
			awk '$2 >= 1000 { printf " vCPU %s (%s ms past)", $1, $2 }')
		if [ -n "$sr_lost" ]; then
			echo "L1-TIMER-DEAD: L1's KVM did not fire the LAPIC timer of halted L2$sr_lost"
			L1_TIMER_DEAD=1
		fi
	fi
	l1_timer_probe || L1_TIMER_DEAD=1
	# L1's KVM could not give the L2 vCPUs its TSC rate (l1-init.sh's
	# tsc_check says why): the guest's timers misfire, an L1 fault too.
	if dmesg 2>/dev/null | grep -q 'TSC rate below hardware speed'; then
		echo "L1-TSC-MISMATCH: L1's KVM logged 'user requested TSC rate below hardware speed' for this guest's vCPUs"
		L1_TIMER_DEAD=1
	fi
}

# guest_stuck PID OUT FROM LABEL: a running guest (VMM PID, output OUT) that
# did not get on in time: stuck_report (its threads, each vCPU's state, L1's
# timers: a dead one makes run.sh go on in a new L1), then OUT's last 20
# lines after line FROM as "# LABEL | ". STUCK_LAST: the guest's last line
# after FROM that is not conduit's own, for the failure message.
guest_stuck() {
	stuck_report "$1" "$2"
	STUCK_LAST=$(tail -n +"$(($3 + 1))" "$2" | tr -cd '\11\12\40-\176' | grep -av '^conduit: ' |
		grep -a '[^[:space:]]' | tail -n 1 | cut -c1-120)
	tail -n +"$(($3 + 1))" "$2" | tail -n 20 | tr -cd '\11\12\40-\176' | sed "s/^/# $4 | /"
}

# l1_timer_probe: a 0.2 s sleep pinned to each L1 CPU; one that has not ended
# after 5 s means that CPU's timer interrupt stopped (its sleepers, a halted
# vCPU among them, then never wake). Prints "# stuck: L1 CPU N ..." lines, and
# L1-TIMER-DEAD (read by run.sh) when a CPU failed; returns 1 then.
l1_timer_probe() {
	command -v taskset >/dev/null || { echo "# stuck: no taskset, L1's timers not probed"; return 0; }
	sr_n=$(nproc 2>/dev/null || echo 1)
	sr_c=0 sr_probes=''
	while [ "$sr_c" -lt "$sr_n" ]; do
		taskset -c "$sr_c" sleep 0.2 &
		sr_probes="$sr_probes $sr_c:$!"
		sr_c=$((sr_c + 1))
	done
	sr_deadline=$(($(now_ms) + 5000))
	sr_dead=''
	for sr_p in $sr_probes; do
		while kill -0 "${sr_p#*:}" 2>/dev/null && [ "$(now_ms)" -lt "$sr_deadline" ]; do
			sleep 0.05
		done
		if kill -0 "${sr_p#*:}" 2>/dev/null; then
			sr_dead="$sr_dead ${sr_p%%:*}"
			kill -KILL "${sr_p#*:}" 2>/dev/null
		fi
		wait "${sr_p#*:}" 2>/dev/null
	done
	echo "# stuck: L1 local timer interrupts: $(grep '^ *LOC:' /proc/interrupts | tr -s ' ')"
	echo "# stuck: L1 clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
	dmesg 2>/dev/null | grep -i -E 'clocksource|tsc|rcu|watchdog|timer' | tail -n 4 | sed 's/^/# stuck: L1 dmesg: /'
	[ -n "$sr_dead" ] || { echo "# stuck: L1 CPUs 0-$((sr_n - 1)): a pinned 0.2 s sleep ended on each"; return 0; }
	echo "L1-TIMER-DEAD: a 0.2 s sleep pinned to L1 CPU(s)$sr_dead did not end in 5 s"
	return 1
}

# --- running one guest ----------------------------------------------------------

# run_guest CPUS CONSOLE TEST [ECHO]: boots the guest and waits for it to end.
# Sets OUT (output file), RC (conduit-style exit code), BOOT_MS (launch to
# CONDUIT-L2-INIT, empty if never seen), TOTAL_MS. With ECHO=1, stdin is a FIFO:
# after L2-READY a line ECHO_LINE is written to it. Failures go to fail().
run_guest() {
	cpus=$1 console=$2 test=$3 echo=${4:-}
	OUT=$RUNNER_WORK/$CASE_NAME.out
	trace=$RUNNER_WORK/$CASE_NAME.trace
	fifo=$RUNNER_WORK/$CASE_NAME.fifo
	rm -f "$OUT" "$trace" "$fifo"
	: >"$OUT"
	BOOT_MS='' RC='' ECHO_LINE=''
	t0=$(now_ms)
	if [ -n "$echo" ]; then
		mkfifo "$fifo" || { fail "mkfifo failed"; return; }
		# Opened read-write first, so neither side can block on the open.
		exec 3<>"$fifo"
		vmm_exec "$cpus" "$console" "$test" "$trace" <"$fifo" >"$OUT" 2>&1 3>&- &
		pid=$!
	else
		vmm_exec "$cpus" "$console" "$test" "$trace" </dev/null >"$OUT" 2>&1 &
		pid=$!
	fi
	wait_for "$OUT" CONDUIT-L2-INIT "$BOOT_TIMEOUT" "$pid"
	case $? in
	0) BOOT_MS=$(($(now_ms) - t0)) ;;
	1) fail "VMM exited before CONDUIT-L2-INIT" ;;
	2) fail "no CONDUIT-L2-INIT within ${BOOT_TIMEOUT}s" ;;
	esac
	if [ -n "$echo" ] && [ -n "$BOOT_MS" ]; then
		ECHO_LINE=hello-conduit-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
		if wait_for "$OUT" L2-READY "$BOOT_TIMEOUT" "$pid"; then
			echo "$ECHO_LINE" >&3
		else
			fail "no L2-READY"
		fi
	fi
	if [ -n "$BOOT_MS" ] || kill -0 "$pid" 2>/dev/null; then
		wait_exit "$pid" "$EXIT_TIMEOUT" "$OUT" || fail "VMM still running after ${EXIT_TIMEOUT}s, killed"
	else
		wait_exit "$pid" 1
	fi
	[ -z "$echo" ] || exec 3>&-
	TOTAL_MS=$(($(now_ms) - t0))
	[ "$RC" = 137 ] || RC=$(vmm_status "$RC" "$trace")
	echo "# time $CASE_NAME: launch-to-init=${BOOT_MS:-none} ms total=$TOTAL_MS ms"
}

# --- assertions -------------------------------------------------------------

# fail REASON: marks the current case failed (the first reason is kept).
fail() {
	[ -n "$FAIL" ] || FAIL=$*
}

# skip REASON: marks the current case skipped.
skip() {
	SKIP=$*
}

expect_rc() {
	[ "$RC" = "$1" ] || fail "exit code $RC, want $1"
}

expect_out() {
	grep -qF -- "$1" "$OUT" || fail "output lacks '$1'"
}

# --- main -----------------------------------------------------------------------

for f in "$RUNNER_DIR"/cases-*.sh; do
	# shellcheck disable=SC1090
	[ -f "$f" ] && . "$f"
done

# run_case N NAME: runs case_NAME (dashes become underscores), prints TAP.
run_case() {
	CASE_NAME=$2 FAIL='' SKIP=''
	fn=case_$(echo "$2" | tr - _)
	if ! type "$fn" >/dev/null 2>&1; then
		fail "no such case"
	else
		"$fn"
	fi
	if [ -n "$FAIL" ]; then
		echo "not ok $1 - $2: $FAIL"
		FAILED=$((FAILED + 1))
		[ -n "${RUNNER_VERBOSE:-}" ] || show_output 15
		show_guest_deaths
	elif [ -n "$SKIP" ]; then
		echo "ok $1 - $2 # SKIP $SKIP"
		SKIPPED=$((SKIPPED + 1))
	else
		echo "ok $1 - $2"
		PASSED=$((PASSED + 1))
	fi
	[ -z "${RUNNER_VERBOSE:-}" ] || show_output 100000
}

# show_output LINES: the last LINES lines of the case's VMM output, as comments.
show_output() {
	[ -n "$OUT" ] && [ -s "$OUT" ] || return 0
	# awk ends an unterminated last line, so the next TAP line starts afresh.
	tail -n "$1" "$OUT" | tr -cd '\11\12\40-\176' | awk '{ print "#   | " $0 }'
}

# show_guest_deaths: after a failed case, the first line of each VMM output
# the case wrote (OUT and every RUNNER_WORK/CASE_NAME.* file, where cases
# keep their VMMs' outputs) that says its guest triple-faulted or died in
# KVM's emulator, as "#   | FILE: LINE", so run.sh knows the guest's death
# (CRASH_AWK) even when it was not OUT's guest or not in OUT's last lines.
# (pt-in-use's first VM triple-faulted in CI on 2026-12-06: the case failed
# "first VM did not start", and the death, printed before the result, went
# unseen.) By name, not by time: busybox's find -newer counts whole seconds.
show_guest_deaths() {
	for sgd_f in ${OUT:+"$OUT"} "$RUNNER_WORK/$CASE_NAME".*; do
		[ -f "$sgd_f" ] || continue
		sgd_l=$(tr -d '\r' <"$sgd_f" | grep -a -m1 -E 'conduit: error: vCPU [0-9]+: (guest triple fault|KVM internal error)')
		[ -z "$sgd_l" ] || echo "#   | ${sgd_f##*/}: $sgd_l"
	done | awk '!seen[$0]++'
}

# demo: the default guest with the console attached (interactive).
run_demo() {
	echo "demo: $CONDUIT_VMM on the default L2 guest (a shell on hvc0); exit it to stop"
	# conduit boots the default guest from its ready configuration, with
	# the test device (L1's NVMe) passed through.
	if [ "$CONDUIT_VMM" = conduit ]; then
		set --
		if [ -n "$CONDUIT_TEST_DEVICE" ] && "$CONDUIT_BIN" bind "$CONDUIT_TEST_DEVICE"; then
			echo "demo: $CONDUIT_TEST_DEVICE is passed through (in the guest: cat /proc/partitions, md5sum /dev/nvme0n1)"
			set -- --passthrough "$CONDUIT_TEST_DEVICE"
		fi
		exec "$CONDUIT_BIN" --config /nested/nested-l2.conf "$@"
	fi
	vmm_exec "${DEMO_CPUS:-1}" virtio shell "$RUNNER_WORK/demo.trace"
}

CASES='' DEMO=''
while [ $# -gt 0 ]; do
	case $1 in
	--suite)
		if [ ! -f "$2" ]; then
			printf '1..1\nnot ok 1 - suite %s: no such file\n' "$2"
			exit 1
		fi
		CASES="$CASES $(sed 's/#.*//' "$2")" && shift
		;;
	--cases) CASES="$CASES $(echo "$2" | tr , ' ')" && shift ;;
	--demo) DEMO=1 ;;
	*) echo "usage: runner.sh --suite FILE | --cases 'a b' | --demo" >&2 && exit 2 ;;
	esac
	shift
done
mkdir -p "$RUNNER_WORK"
[ -z "$DEMO" ] || { run_demo; exit $?; }

# CONDUIT_VFIO_BACKEND=iommufd|legacy: every conduit run (not the bind,
# unbind, devices and ctl helpers) gets --vfio-backend through a wrapper.
if [ -n "${CONDUIT_VFIO_BACKEND:-}" ] && [ "$CONDUIT_VMM" = conduit ]; then
	REAL_CONDUIT_BIN=$CONDUIT_BIN
	CONDUIT_BIN=$RUNNER_WORK/conduit-backend
	{
		echo '#!/bin/sh'
		echo 'case $1 in'
		echo "bind | unbind | devices | ctl) exec $REAL_CONDUIT_BIN \"\$@\" ;;"
		echo "exec) shift; exec $REAL_CONDUIT_BIN exec --vfio-backend $CONDUIT_VFIO_BACKEND \"\$@\" ;;"
		echo 'esac'
		echo "exec $REAL_CONDUIT_BIN --vfio-backend $CONDUIT_VFIO_BACKEND \"\$@\""
	} >"$CONDUIT_BIN"
	chmod 755 "$CONDUIT_BIN"
	echo "# runner: every conduit run has --vfio-backend $CONDUIT_VFIO_BACKEND"
fi

echo "# runner: vmm=$CONDUIT_VMM kernel=$L2_KERNEL initrd=$L2_INITRD"
if [ "$CONDUIT_VMM" = conduit ] && [ ! -x "$CONDUIT_BIN" ] &&
	! command -v "$CONDUIT_BIN" >/dev/null 2>&1; then
	echo "# runner: conduit binary '$CONDUIT_BIN' not found; every case will fail"
fi
set -- $CASES
echo "1..$#"
PASSED=0 FAILED=0 SKIPPED=0 N=0 L1_TIMER_DEAD=''
for c in "$@"; do
	N=$((N + 1))
	OUT=
	run_case "$N" "$c"
	# Every guest after this would hang the same way: run.sh boots a new L1
	# for this case and the rest.
	if [ -n "$L1_TIMER_DEAD" ]; then
		echo "# runner: L1's timers failed during $c (the L1-TIMER-DEAD or L1-TSC-MISMATCH line above); stopping this L1"
		break
	fi
done
echo "# runner: $PASSED pass, $FAILED fail, $SKIPPED skip"
[ "$FAILED" -eq 0 ] && [ "$N" -gt 0 ]
