# tests/nested/cases-soak.sh - the soak case, sourced by runner.sh: for
# SOAK_SECS (40) L2 writes random data to the passed-through NVMe, reads it
# back and compares, and floods virtio-console with numbered lines, while the
# runner samples conduit's RSS and open file descriptors every 2 s. Guest RAM
# is 2 MiB hugetlbfs pages, which RSS does not count, so VmRSS is conduit's
# own memory. The bound is on its anonymous part (RssAnon: heap, stacks,
# and with a sanitizer build its shadow): a leak grows that. The file-backed
# part is the binary's own text and data, faulted in as the guest first
# takes a code path, bounded by the binary's size; it is reported, not
# bounded. The mappings that grew most are printed after every run. The
# baseline is the first sample SOAK_WARMUP (10) s after both loads have run
# one round. Any
# mismatch, a lost console line, RssAnon growing by more than
# SOAK_RSS_SLACK_KB past the baseline or any change in the fd count fails
# the case.

SOAK_SECS=${SOAK_SECS:-40}
SOAK_RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-512}
SOAK_WARMUP=${SOAK_WARMUP:-10}

# soak_sample PID: prints "RSS_KB FDS ANON_KB" for the process, nothing once
# it is gone.
soak_sample() {
	mem=$(awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } END { if (r != "") print r, a }' \
		"/proc/$1/status" 2>/dev/null)
	fds=$(ls "/proc/$1/fd" 2>/dev/null | wc -l)
	[ -n "$mem" ] && set -- $mem && echo "$1 $fds $2"
}

# soak_maps PID: prints "RSS_KB MAPPING" for every mapping of the process.
soak_maps() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { m = $1 " " $6 } /^Rss:/ { print $2, m }' \
		"/proc/$1/smaps" 2>/dev/null
}

# soak_grown FIRST LAST: the mappings whose RSS grew between two soak_maps.
soak_grown() {
	awk 'NR == FNR { a[$2 " " $3] = $1; next }
	     { k = $2 " " $3; if ($1 > a[k] + 0) print "#   " $1 - a[k] " KiB more in " k }' "$1" "$2" |
		sort -k2 -n -r | head -n 8
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
	# The baseline is taken SOAK_WARMUP s after both loads have run a round
	# (L2's first 50 console lines follow its first NVMe write and
	# read-back): in that window conduit's fd count was seen to go from 16 to
	# 87 once (as the guest's drivers finish their set-up), and an ASan
	# build's RssAnon from 4 to 8 MiB once, then both stay flat. That is
	# warm-up, reported below, not growth.
	wait_for "$OUT" "L2-SOAK-LINE 50 " "$BOOT_TIMEOUT" "$pid" || { fail "the soak did not start"; return; }
	warm=$(soak_sample "$pid")
	sleep "$SOAK_WARMUP"
	soak_maps "$pid" >"$samples.maps0"
	# Until L2 reports the end: a sample taken while conduit tears the
	# machine down (fds closing) is not the running VM's.
	while kill -0 "$pid" 2>/dev/null && ! grep -aq L2-SOAK-DONE "$OUT"; do
		soak_sample "$pid" >>"$samples"
		soak_maps "$pid" >"$samples.maps.new"
		[ ! -s "$samples.maps.new" ] || mv "$samples.maps.new" "$samples.maps"
		sleep 2
	done
	wait_exit "$pid" "$EXIT_TIMEOUT"
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
	rss0=$1 fd0=$2 anon0=$3
	rssmax=$(awk '{ if ($1 > m) m = $1 } END { print m }' "$samples")
	anonmax=$(awk '{ if ($3 > m) m = $3 } END { print m }' "$samples")
	fdset=$(awk '{ print $2 }' "$samples" | sort -u | tr '\n' ' ')
	if [ $((anonmax - anon0)) -gt "$SOAK_RSS_SLACK_KB" ]; then
		fail "conduit's anonymous memory grew from $anon0 to $anonmax KiB"
		echo "# RssAnon samples (KiB): $(awk '{ print $3 }' "$samples" | tr '\n' ' ')"
	fi
	[ "$fdset" = "$fd0 " ] || fail "conduit's fd count changed: $fdset"
	echo "# soak warm-up: at the first round RSS, fds, RssAnon were: ${warm:-none}"
	echo "# soak: ${SOAK_SECS}s, $verified bytes written and verified through the NVMe," \
		"$got console lines, $n samples: RSS $rss0..$rssmax KiB" \
		"(anonymous $anon0..$anonmax KiB), fds $fdset"
	soak_grown "$samples.maps0" "$samples.maps"
	grep -a "stats $dev" "$OUT" | tr -d '\r' | sed 's/^/# /'
}
