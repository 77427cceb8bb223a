# tests/nested/cases-soak.sh - the soak case, sourced by runner.sh: for
# SOAK_SECS (40) L2 writes random data to the passed-through NVMe, reads it
# back and compares, and floods virtio-console with numbered lines, while the
# runner samples conduit's RSS and open file descriptors every 2 s. Guest RAM
# is 2 MiB hugetlbfs pages, which RSS does not count, so VmRSS is conduit's
# own memory. Any mismatch, a lost console line, RSS growing by more than
# SOAK_RSS_SLACK_KB or any change in the fd count fails the case.

SOAK_SECS=${SOAK_SECS:-40}
SOAK_RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-512}

# soak_sample PID: prints "RSS_KB FDS" for the process, nothing once it is gone.
soak_sample() {
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	fds=$(ls "/proc/$1/fd" 2>/dev/null | wc -l)
	[ -n "$rss" ] && echo "$rss $fds"
}

case_pt_soak() {
	pt_dev || return
	[ -d "$HP_POOL" ] || { skip "no 2 MiB hugepage pool"; return; }
	echo 160 >"$HP_POOL/nr_hugepages"
	OUT=$RUNNER_WORK/$CASE_NAME.out
	samples=$RUNNER_WORK/$CASE_NAME.samples
	: >"$samples"
	"$CONDUIT_BIN" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --passthrough "$dev" \
		--hugepages 2M --memory "${L2_MEMORY}M" --stats \
		--cmdline "console=ttyS0 quiet conduit.test=soak conduit.soaksecs=$SOAK_SECS" \
		</dev/null >"$OUT" 2>&1 &
	pid=$!
	wait_for "$OUT" CONDUIT-L2-INIT "$BOOT_TIMEOUT" "$pid" || { fail "the VM did not start"; return; }
	# Let the guest's drivers come up before the first sample.
	sleep 5
	while kill -0 "$pid" 2>/dev/null; do
		soak_sample "$pid" >>"$samples"
		sleep 2
	done
	wait_exit "$pid" 5
	echo 0 >"$HP_POOL/nr_hugepages"
	expect_rc 0
	expect_out L2-SOAK-DONE
	grep -aq L2-SOAK-MISMATCH "$OUT" && fail "L2 read back something else than it wrote"
	done_line=$(tr -d '\r' <"$OUT" | grep -a '^L2-SOAK-DONE' | tail -n 1)
	verified=$(echo "$done_line" | sed -n 's/.*verified=\([0-9]*\).*/\1/p')
	lines=$(echo "$done_line" | sed -n 's/.*lines=\([0-9]*\).*/\1/p')
	got=$(tr -d '\r' <"$OUT" | grep -ac '^L2-SOAK-LINE [0-9]* \.\.\.')
	[ "${verified:-0}" -gt 0 ] || fail "nothing verified"
	[ "$got" = "${lines:-x}" ] || fail "L2 sent ${lines:-?} console lines, ${got} arrived"
	n=$(wc -l <"$samples")
	[ "$n" -ge 3 ] || { fail "only $n samples of conduit's RSS"; return; }
	# The first sample is the baseline; later ones may not grow past the slack.
	set -- $(head -n 1 "$samples")
	rss0=$1 fd0=$2
	rssmax=$(awk '{ if ($1 > m) m = $1 } END { print m }' "$samples")
	fdset=$(awk '{ print $2 }' "$samples" | sort -u | tr '\n' ' ')
	[ $((rssmax - rss0)) -le "$SOAK_RSS_SLACK_KB" ] ||
		fail "conduit's RSS grew from $rss0 to $rssmax KiB"
	[ "$fdset" = "$fd0 " ] || fail "conduit's fd count changed: $fdset"
	echo "# soak: ${SOAK_SECS}s, $verified bytes written and verified through the NVMe," \
		"$got console lines, $n samples: RSS $rss0..$rssmax KiB, fds $fdset"
	grep -a "stats $dev" "$OUT" | tr -d '\r' | sed 's/^/# /'
}
