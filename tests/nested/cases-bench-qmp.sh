# tests/nested/cases-bench-qmp.sh - the QMP peer figures (issue 14 point 8),
# sourced by runner.sh; suites/bench-qmp. Needs QEMU and python3 in L1
# (run.sh sets INCLUDE_QEMU=1 and INCLUDE_PYTHON=1 for a bench-qmp run).
#
# bench-qmp-qemu: QEMU 7.2 as the L1 VMM (q35, KVM, a pcie-root-port rp1,
# ACPI PCI hotplug: QEMU's q35 default since 6.1), its -qmp socket driven by
# QEMU's own QMPClient (qmp-client.py), the hotplug L2 agent (l2-init.sh).
# BENCH_QMP_ROUNDS rounds (BENCH_RUNS, which run.sh passes from L0; 3) of:
#   device_add driver=vfio-pci host=NVMe bus=rp1 id=hp0, timed to the guest's
#     L2-HP-BOUND (nvme driver bound) and L2-HP-MD5 (whole disk read)
#   device_del id=hp0, timed to DEVICE_DELETED
# then BENCH_QMP_RTT (1000) query-status round trips (p50/p99/max).
# bench-qmp-conduit: the same against conduit --api-socket (no bus=: conduit
# picks the slot), once conduit has it.
# Lines: "# bench-qmp VMM round N: add->bound MS add->md5 MS del->DEVICE_DELETED MS",
# "# bench-qmp VMM query-status: n=N p50=MS p99=MS max=MS",
# "BENCH-QMP VMM add_bound_ms=MEDIAN add_md5_ms=MEDIAN del_ms=MEDIAN rtt_p50_ms=X rtt_p99_ms=Y".
# Times are from the client's clock (time.monotonic in L1): from sending the
# command to the event's arrival, or to the guest line's appearance in the
# VMM's output file (polled every 10 ms).

BENCH_QMP_ROUNDS=${BENCH_QMP_ROUNDS:-${BENCH_RUNS:-3}}
BENCH_QMP_RTT=${BENCH_QMP_RTT:-1000}

case_bench_qmp_bind() {
	pt_dev || return
	bind_case "$dev"
}

case_bench_qmp_unbind() {
	pt_dev || return
	unbind_case "$dev"
}

# bq_median: the median of the numbers on stdin.
bq_median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "none" }'
}

# bq_run VMM BUS_ARG: the rounds and the round trips over the open session
# (qmp_open, cases-qmp.sh) on the VM in OUT.
bq_run() {
	vmm=$1 busarg=$2
	: >"$RUNNER_WORK/bq.add" ; : >"$RUNNER_WORK/bq.md5" ; : >"$RUNNER_WORK/bq.del"
	r=1
	while [ $r -le "$BENCH_QMP_ROUNDS" ]; do
		qn=$(lines "$qlog")
		{
			echo "mark-file $OUT"
			echo "device_add driver=vfio-pci host=$dev $busarg id=hp0"
			echo "wait-file $OUT ^L2-HP-BOUND.*driver=nvme 45"
			echo "wait-file $OUT ^L2-HP-MD5 45"
			echo "wait-file $OUT ^L2-HP-READER-START 20"
		} >&5
		# Under run.sh's NESTED_STALL (150 s of a silent console) in all.
		wait_new "$qlog" "$qn" '^QMP-FILE-(MATCHED|TIMEOUT) .*READER-START|^QMP-FILE-TIMEOUT \^L2-HP-READER' 120 ||
			{ fail "$vmm round $r: no answer to device_add"; break; }
		add=$(tail -n +"$((qn + 1))" "$qlog" | sed -n 's/^QMP-FILE-MATCHED ms=\([0-9.]*\) L2-HP-BOUND.*/\1/p' | head -n 1)
		md5ms=$(tail -n +"$((qn + 1))" "$qlog" | sed -n 's/^QMP-FILE-MATCHED ms=\([0-9.]*\) L2-HP-MD5.*/\1/p' | head -n 1)
		md5=$(tail -n +"$((qn + 1))" "$qlog" | sed -n 's/^QMP-FILE-MATCHED ms=[0-9.]* L2-HP-MD5 gen=[0-9]* [^ ]* \([0-9a-f]*\).*/\1/p' | head -n 1)
		tail -n +"$((qn + 1))" "$qlog" | grep -q '^QMP-RETURN device_add' ||
			{ fail "$vmm round $r: device_add: $(tail -n +"$((qn + 1))" "$qlog" | grep -m1 '^QMP-ERROR')"; break; }
		[ -n "$add" ] && [ -n "$md5ms" ] || { fail "$vmm round $r: the guest did not bind or read the NVMe"; break; }
		[ -z "${DISK_MD5:-}" ] || [ "$md5" = "$DISK_MD5" ] || fail "$vmm round $r: guest md5 $md5, L0's image $DISK_MD5"
		qn=$(lines "$qlog")
		{
			echo "device_del id=hp0"
			echo "wait-event DEVICE_DELETED 60"
		} >&5
		wait_new "$qlog" "$qn" '^QMP-(WAITED|WAIT-TIMEOUT) DEVICE_DELETED' 80 ||
			{ fail "$vmm round $r: no answer to device_del"; break; }
		del=$(tail -n +"$((qn + 1))" "$qlog" | sed -n 's/^QMP-WAITED DEVICE_DELETED ms=\([0-9.]*\).*/\1/p')
		[ -n "$del" ] || { fail "$vmm round $r: no DEVICE_DELETED"; break; }
		wait_for "$OUT" "L2-HP-READER-END gen=$r" 30 "$vm" || fail "$vmm round $r: the guest's reader did not end"
		echo "# bench-qmp $vmm round $r: add->bound $add ms add->md5 $md5ms ms del->DEVICE_DELETED $del ms"
		echo "$add" >>"$RUNNER_WORK/bq.add"
		echo "$md5ms" >>"$RUNNER_WORK/bq.md5"
		echo "$del" >>"$RUNNER_WORK/bq.del"
		r=$((r + 1))
	done
	[ -z "$FAIL" ] || { qmp_show; return; }
	qn=$(lines "$qlog")
	echo "bench $BENCH_QMP_RTT query-status" >&5
	wait_new "$qlog" "$qn" '^QMP-BENCH query-status' 120 || fail "$vmm: no round-trip figures"
	rtt=$LINE
	echo "# bench-qmp $vmm query-status: ${rtt#QMP-BENCH query-status }"
	p50=$(echo "$rtt" | sed -n 's/.* p50=\([0-9.]*\).*/\1/p')
	p99=$(echo "$rtt" | sed -n 's/.* p99=\([0-9.]*\).*/\1/p')
	echo "BENCH-QMP $vmm add_bound_ms=$(bq_median <"$RUNNER_WORK/bq.add") add_md5_ms=$(bq_median <"$RUNNER_WORK/bq.md5") del_ms=$(bq_median <"$RUNNER_WORK/bq.del") rtt_p50_ms=$p50 rtt_p99_ms=$p99"
}

case_bench_qmp_qemu() {
	qmp_tools || return
	pt_dev || return
	command -v qemu-system-x86_64 >/dev/null || { fail "no QEMU in L1 (INCLUDE_QEMU=1)"; return; }
	OUT=$RUNNER_WORK/$CASE_NAME.out
	sock=$RUNNER_WORK/$CASE_NAME.sock
	rm -f "$sock"
	qemu-system-x86_64 -machine q35 -enable-kvm -cpu host -m "$L2_MEMORY" -smp 1 \
		-nodefaults -nographic -no-reboot -chardev stdio,id=c0,signal=off -serial chardev:c0 \
		-kernel "$L2_KERNEL" -initrd "$L2_INITRD" -append "console=ttyS0 quiet conduit.test=hotplug" \
		-device pcie-root-port,id=rp1,chassis=1,slot=1 \
		-qmp "unix:$sock,server=on,wait=off" </dev/null >"$OUT" 2>&1 &
	vm=$!
	wait_for "$OUT" L2-ACPID-READY "$BOOT_TIMEOUT" "$vm" || { fail "QEMU's guest did not start"; kill "$vm"; return; }
	qmp_open || { kill "$vm"; return; }
	bq_run qemu "bus=rp1"
	echo system_powerdown >&5
	qmp_close
	wait_exit "$vm" "$EXIT_TIMEOUT" "$OUT" || fail "QEMU still running after system_powerdown"
	grep -a '^L2-HP\|^L2-POWER' "$OUT" | tr -d '\r' | sed 's/^/# /'
}

case_bench_qmp_conduit() {
	qmp_tools || return
	pt_dev || return
	qmp_vm hotplug || { qmp_vm_end; return; }
	qmp_open || { qmp_vm_end; return; }
	bq_run conduit ""
	qmp_vm_end
}
