# tests/nested/cases-seccomp.sh - the seccomp sandbox case, sourced by runner.sh.
# Owns case_seccomp: by default conduit runs the guest under its filters
# (/proc/PID/status: Seccomp 2, NoNewPrivs 1, vCPU threads with a filter of
# their own on top of the main thread's); --no-seccomp says so in the log and
# runs without. Every other case runs with the sandbox on, so the whole suite
# passing is what shows that boots and passthrough are unaffected.

# seccomp_boot OUT ARGS...: conduit on the guest that hangs, in the
# background (pid in $pid); returns once it printed CONDUIT-L2-INIT.
seccomp_boot() {
	out=$1
	shift
	"$CONDUIT_BIN" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" "$@" \
		--cmdline "console=ttyS0 quiet conduit.test=hang" --memory "${L2_MEMORY}M" \
		</dev/null >"$out" 2>&1 &
	pid=$!
	wait_for "$out" CONDUIT-L2-INIT "$BOOT_TIMEOUT" "$pid"
}

# seccomp_stop: SIGTERM stops the guest cleanly (exit 143).
seccomp_stop() {
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" "$EXIT_TIMEOUT" || fail "conduit ignored SIGTERM"
	[ "$RC" = 143 ] || fail "exit code $RC after SIGTERM, want 143"
}

# status_field FILE NAME: a field of a /proc/.../status file.
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" "$1"
}

# The vCPU threads (Seccomp_filters: 2) stacked a filter on the main one (1).
seccomp_vcpu_filters() {
	grep -q '^Seccomp_filters:' "/proc/$pid/status" || return 0
	n=0
	for t in /proc/"$pid"/task/*/status; do
		[ "$(status_field "$t" Seccomp_filters)" = 2 ] && n=$((n + 1))
	done
	echo "# seccomp: $n vCPU thread(s) with 2 filters, main thread with $(status_field "/proc/$pid/status" Seccomp_filters)"
	[ "$n" -ge 1 ] || fail "no vCPU thread has its own seccomp filter"
	[ "$(status_field "/proc/$pid/status" Seccomp_filters)" = 1 ] ||
		fail "the main thread has $(status_field "/proc/$pid/status" Seccomp_filters) filters, want 1"
}

case_seccomp() {
	OUT=$RUNNER_WORK/$CASE_NAME.on.out
	if seccomp_boot "$OUT" -v; then
		st=/proc/$pid/status
		[ "$(status_field "$st" Seccomp)" = 2 ] ||
			fail "Seccomp: '$(status_field "$st" Seccomp)' while the guest runs, want 2 (filter)"
		[ "$(status_field "$st" NoNewPrivs)" = 1 ] ||
			fail "NoNewPrivs: '$(status_field "$st" NoNewPrivs)', want 1"
		seccomp_vcpu_filters
	else
		fail "the guest did not start under the sandbox"
	fi
	seccomp_stop
	expect_out "seccomp sandbox on"
	[ -n "$FAIL" ] && return
	OUT=$RUNNER_WORK/$CASE_NAME.off.out
	if seccomp_boot "$OUT" --no-seccomp; then
		[ "$(status_field "/proc/$pid/status" Seccomp)" = 0 ] ||
			fail "Seccomp: '$(status_field "/proc/$pid/status" Seccomp)' with --no-seccomp, want 0"
	else
		fail "the guest did not start with --no-seccomp"
	fi
	seccomp_stop
	expect_out "conduit: warning: --no-seccomp: running without the seccomp sandbox"
}
