# tests/nested/cases-basic.sh - the basic L2 boot cases, sourced by runner.sh.
# Owns: case_<name> functions for suites/basic. Each calls run_guest (boot and
# wait) then expect_* assertions; run_guest and the helpers live in runner.sh.

case_init() {
	run_guest 1 virtio init
	expect_rc 0
}

case_nproc_1() {
	run_guest 1 virtio nproc
	expect_out L2-NPROC=1
	expect_rc 0
}

case_nproc_2() {
	run_guest 2 virtio nproc
	expect_out L2-NPROC=2
	expect_rc 0
}

case_echo_hvc() {
	run_guest 1 virtio echo-hvc 1
	[ -n "$ECHO_LINE" ] && expect_out "L2-ECHO:$ECHO_LINE"
	expect_rc 0
}

case_echo_serial() {
	run_guest 1 serial echo-serial 1
	[ -n "$ECHO_LINE" ] && expect_out "L2-ECHO:$ECHO_LINE"
	expect_rc 0
}

case_poweroff() {
	run_guest 1 virtio poweroff
	expect_out L2-POWEROFF
	expect_rc 0
}

# With --no-reboot a guest reboot ends conduit with exit code 3 (the
# in-place reboot is pt-reboot's, with a device passed through).
case_reboot() {
	CONDUIT_EXTRA_ARGS="--no-reboot${CONDUIT_EXTRA_ARGS:+ $CONDUIT_EXTRA_ARGS}" run_guest 1 virtio reboot
	expect_out L2-REBOOT
	expect_rc 3
}

# Diagnostic (not in suites/basic): the CPU flags and FPU/xsave setup of L2.
case_cpuinfo() {
	run_guest 1 virtio cpuinfo
	expect_out L2-FLAGS:
	expect_rc 0
}

# Diagnostic (not in suites/basic): L2's whole kernel log.
case_dmesg() {
	run_guest 1 virtio dmesg
	expect_out L2-DMESG:
	expect_rc 0
}

# For testing the harness itself (in no suite): the first L1 panics here on
# purpose; run.sh must boot a new L1 and go on with the cases after it.
case_debug_l1_panic() {
	[ -z "${NESTED_RESUMED:-}" ] || return 0
	# The project's kernel has no CONFIG_MAGIC_SYSRQ: say so, not pass.
	[ -e /proc/sysrq-trigger ] || { fail "no /proc/sysrq-trigger in this L1 kernel: cannot crash it (NESTED_L1_KERNEL=debian has it)"; return; }
	echo "# debug-l1-panic: crashing L1 on purpose"
	echo c >/proc/sysrq-trigger
	sleep 30
	fail "L1 still alive 30 s after sysrq c"
}

# For testing the harness itself (in no suite): in the first L1 the guest
# triple-faults on purpose (Linux's reboot=t: an empty IDT, then int3, on
# `reboot -f`), so the case fails with conduit's "guest triple fault";
# run.sh must count it as an L2 triple fault, boot a new L1 and run it
# again, where it boots and powers off.
case_debug_l2_crash() {
	if [ -n "${NESTED_RESUMED:-}" ]; then
		run_guest 1 virtio init
		expect_rc 0
		return
	fi
	echo "# debug-l2-crash: the guest triple-faults on purpose"
	L2_EXTRA_CMDLINE="reboot=t" run_guest 1 virtio reboot
	expect_rc 0
}

# debug-l2-crash-aside (in no suite): the same death in a guest whose
# output is not the one the case shows (as pt-in-use's first VM): the case
# moves it aside and shows a clean OUT, so run.sh can know of the death
# only through runner.sh's show_guest_deaths.
case_debug_l2_crash_aside() {
	case_debug_l2_crash
	[ -z "${NESTED_RESUMED:-}" ] || return
	mv "$OUT" "$RUNNER_WORK/$CASE_NAME.first"
	echo "the case's own output" >"$OUT"
}

# debug-stuck (in no suite): a guest that never powers off, so run_guest's
# deadline passes and stuck_report runs; the case passes when the report
# shows a thread in KVM_RUN, conduit's SIGUSR2 state of the halted vCPU, and
# L1's timer probe found every CPU's timer alive.
case_debug_stuck() {
	report=$RUNNER_WORK/$CASE_NAME.report
	EXIT_TIMEOUT=5 run_guest 1 serial hang >"$report"
	sed 's/^/# /' "$report"
	case $FAIL in
	"VMM still running after 5s, killed") FAIL='' ;;
	*) fail "run_guest: '$FAIL', want the 5 s deadline to pass"; return ;;
	esac
	grep -q "^# stuck: thread .* syscall ioctl KVM_RUN" "$report" || fail "no vCPU thread in KVM_RUN in the report"
	grep -q "^# stuck: conduit: vCPU 0: halted, rip 0x[0-9a-f]*, IF=1; timer " "$report" ||
		fail "no SIGUSR2 state of a halted vCPU 0 in the report"
	grep -q "^# stuck: L1 CPUs 0-.*ended on each" "$report" || fail "L1's timer probe did not pass"
}
