# tests/nested/cases-exec.sh - `conduit exec` cases (suites/exec), sourced by
# runner.sh. Owns running one command in a fresh L2 guest: exit statuses
# (a plain one, a signal, a panic, a timeout), stdout and stderr apart, a
# --file script and a host-path COMMAND with awkward arguments, a COMMAND
# that is not there, and passed-through devices: the NVMe read whole (md5
# against L0's image; Debian's cloud kernel has nvme built in, so conduit
# warns naming its modalias) and the
# vmxnet3 NIC, whose driver is a module found by its modalias (its .ko.xz
# decompressed by conduit). The L2 kernel's module tree is
# /nested/l2/modules/RELEASE (build.sh: modules.dep/alias/builtin from
# depmod, and only the .ko files these cases load).
# Every status is checked together with conduit's own -v line that says the
# status came back through the exit port, so conduit's own exit 1 can never
# pass for `false`.

EXEC_MODULES=$(ls -d /nested/l2/modules/* 2>/dev/null | head -n 1)
EXEC_LIMIT=${EXEC_LIMIT:-150}

# exec_run ARGS...: conduit exec on the L2 kernel with its modules and -v;
# EXEC_OUT and EXEC_ERR get its stdout and stderr, RC its exit code, OUT
# (shown on failure) both.
exec_run() {
	EXEC_OUT=$RUNNER_WORK/$CASE_NAME.stdout
	EXEC_ERR=$RUNNER_WORK/$CASE_NAME.stderr
	OUT=$RUNNER_WORK/$CASE_NAME.out
	t0=$(now_ms)
	"$CONDUIT_BIN" exec -v --kernel "$L2_KERNEL" --modules "$EXEC_MODULES" "$@" \
		</dev/null >"$EXEC_OUT" 2>"$EXEC_ERR" &
	wait_exit $! "$EXEC_LIMIT" "$EXEC_ERR" || fail "conduit exec still running after ${EXEC_LIMIT}s, killed"
	{ echo "--- stdout"; cat "$EXEC_OUT"; echo "--- stderr"; cat "$EXEC_ERR"; } >"$OUT"
	echo "# time $CASE_NAME: total=$(($(now_ms) - t0)) ms $(grep -o 'the command started [0-9]* ms' "$EXEC_ERR")"
}

# exec_status N: the exit code is N and conduit says the command gave it.
exec_status() {
	expect_rc "$1"
	grep -qF "conduit: exec: the command exited with status $1" "$EXEC_ERR" ||
		fail "no 'the command exited with status $1' from conduit"
	! grep -q '^conduit: error' "$EXEC_ERR" || fail "conduit: $(grep -m1 '^conduit: error' "$EXEC_ERR")"
}

# stdout_is TEXT / stderr_has TEXT
stdout_is() {
	[ "$(cat "$EXEC_OUT")" = "$1" ] || fail "stdout is '$(head -c 200 "$EXEC_OUT" | tr '\r\n' '^|')', want '$1'"
}

stderr_has() {
	grep -qF -- "$1" "$EXEC_ERR" || fail "stderr lacks '$1'"
}

exec_ready() {
	[ -n "$EXEC_MODULES" ] || { skip "no /nested/l2/modules/RELEASE in this L1"; return 1; }
}

case_exec_true() {
	exec_ready || return
	exec_run -- true
	exec_status 0
	stdout_is ""
	stderr_has "conduit: exec: the command started"
}

case_exec_false() {
	exec_ready || return
	exec_run -- false
	exec_status 1
}

case_exec_exit_7() {
	exec_ready || return
	exec_run -- sh -c 'exit 7'
	exec_status 7
}

case_exec_signal() {
	exec_ready || return
	exec_run -- sh -c 'kill -9 $$'
	exec_status 137
}

# stdout on conduit's stdout, stderr on its stderr, in order, nothing else
# (no console lines, no \r) on stdout.
case_exec_streams() {
	exec_ready || return
	exec_run --cpus 2 -- sh -c 'echo out-1; echo err-1 >&2; echo out-2; echo err-2 >&2; nproc'
	exec_status 0
	stdout_is "out-1
out-2
2"
	[ "$(grep -c '^err-[12]$' "$EXEC_ERR")" = 2 ] || fail "stderr lacks err-1 and err-2"
	! grep -q 'err-' "$EXEC_OUT" || fail "stderr's lines on stdout"
	! grep -q 'out-' "$EXEC_ERR" || fail "stdout's lines on stderr"
}

# A panic ends conduit with 4 and the panic line from the guest's console.
case_exec_panic() {
	exec_ready || return
	exec_run -- sh -c 'echo about-to-panic; echo c > /proc/sysrq-trigger; sleep 10'
	expect_rc 4
	stdout_is "about-to-panic"
	stderr_has "exec: the guest panicked (Kernel panic - not syncing: sysrq triggered crash) before the command's exit status came back; its last console lines:"
}

case_exec_timeout() {
	exec_ready || return
	exec_run --timeout 5 -- sleep 100
	expect_rc 124
	stderr_has "exec: --timeout 5: the command ran 5 s without finishing"
	stderr_has "conduit: exec: the command started"
}

# A --file script, and a host-path COMMAND whose arguments hold spaces,
# quotes, a glob and a $: each arrives as one argument, unexpanded.
case_exec_file() {
	exec_ready || return
	s=$RUNNER_WORK/exec-script.sh
	printf '#!/bin/sh\necho "script:$# [$1] [$2] [$3] in $(pwd)"\nexit 3\n' >"$s"
	chmod 755 "$s"
	exec_run --file "$s:/opt/t/run.sh" -- /opt/t/run.sh "a b" "it's" '*$HOME'
	exec_status 3
	stdout_is "script:3 [a b] [it's] [*\$HOME] in $(pwd)"
	here=$(pwd)
	cd "$RUNNER_WORK" || return
	exec_run -- ./exec-script.sh x
	cd "$here" || return
	exec_status 3
	stdout_is "script:1 [x] [] [] in $RUNNER_WORK"
}

case_exec_missing_command() {
	exec_ready || return
	exec_run -- /nested/no-such-test
	expect_rc 1
	[ "$(cat "$EXEC_ERR")" = "conduit: error: exec: command /nested/no-such-test: No such file or directory (a COMMAND with a '/' is a host file, copied into the guest)" ] ||
		fail "not the one-line error: $(head -c 300 "$EXEC_ERR")"
	[ ! -s "$EXEC_OUT" ] || fail "stdout not empty"
}

# exec_bind DEV: DEV on vfio-pci for the case (EXEC_BOUND: we bound it).
exec_bind() {
	EXEC_BOUND=''
	[ "$(pt_driver "$1")" = vfio-pci ] && return 0
	"$CONDUIT_BIN" bind "$1" >"$RUNNER_WORK/$CASE_NAME.bind" 2>&1 ||
		{ fail "conduit bind $1: $(cat "$RUNNER_WORK/$CASE_NAME.bind")"; return 1; }
	EXEC_BOUND=$1
}

exec_unbind() {
	[ -z "$EXEC_BOUND" ] || "$CONDUIT_BIN" unbind "$EXEC_BOUND" >/dev/null 2>&1 ||
		fail "conduit unbind $EXEC_BOUND failed"
}

case_exec_nvme_md5() {
	exec_ready || return
	pt_dev || return
	exec_bind "$dev" || return
	exec_run --passthrough "$dev" --cpus 2 -- sh -c 'md5sum /dev/nvme0n1'
	exec_unbind
	exec_status 0
	# Debian's 6.1 cloud kernel has nvme built in, and its
	# modules.builtin.modinfo has no device-table aliases (newer kernels'
	# do): conduit warns, naming the modalias, and the built-in driver binds.
	stderr_has "conduit: warning: exec: no driver module for $dev (modalias pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02) in $EXEC_MODULES: the command runs with what the kernel has built in"
	if [ -n "${DISK_MD5:-}" ]; then
		stdout_is "$DISK_MD5  /dev/nvme0n1"
	else
		grep -q '^[0-9a-f]\{32\}  /dev/nvme0n1$' "$EXEC_OUT" || fail "no md5 of /dev/nvme0n1"
	fi
	[ -z "${CONDUIT_VFIO_BACKEND:-}" ] || stderr_has "vfio: backend $CONDUIT_VFIO_BACKEND"
}

# vmxnet3 is a module in the L2 kernel: conduit finds it by the device's
# modalias, decompresses its .ko.xz and the guest's driver binds the NIC.
case_exec_module() {
	exec_ready || return
	d=${CONDUIT_TEST_MSI_DEVICE:-}
	[ -n "$d" ] || { skip "no CONDUIT_TEST_MSI_DEVICE (the vmxnet3)"; return; }
	exec_bind "$d" || return
	exec_run --passthrough "$d" -- sh -c \
		'grep -o "^vmxnet3 " /proc/modules; ls /sys/bus/pci/drivers/vmxnet3 | grep -c "^0000:"'
	exec_unbind
	exec_status 0
	stderr_has "exec: $d: driver vmxnet3"
	stdout_is "vmxnet3 
1"
}
