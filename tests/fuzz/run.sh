#!/bin/sh
# Runs each fuzzer for a bounded time, one after the other, starting from its
# seed corpus (tests/fuzz/corpus/NAME, read-only) plus what earlier runs
# found (build/fuzz/corpus/NAME). Prints one line per fuzzer (runs, coverage)
# and fails if any of them crashed, leaked, hung or broke an invariant; the
# input that did it is in build/fuzz/crashes/, the log in build/fuzz/logs/.
# Usage: tests/fuzz/run.sh SECONDS NAME...
set -u
secs=$1
shift
out=build/fuzz
failed=""
mkdir -p "$out/crashes" "$out/logs"
for t in "$@"; do
	case $t in
	bzimage) max=16384 ;;
	arm64_boot) max=16384 ;;
	x86_save) max=8192 ;;
	device_state) max=8192 ;;      # a virtio device's state is over 4 KiB
	*) max=4096 ;;
	esac
	mkdir -p "$out/corpus/$t"
	log=$out/logs/$t.log
	"./$out/fuzz_$t" -max_total_time="$secs" -max_len=$max -timeout=10 \
		-rss_limit_mb=2048 -use_value_profile=1 -print_final_stats=1 \
		-artifact_prefix="$out/crashes/$t-" \
		"$out/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
	corp=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		printf 'fuzz %-12s ok    %9s runs  %s  %s\n' "$t" "${runs:-?}" "$cov" "$corp"
	else
		printf 'fuzz %-12s FAIL  (exit %d), log %s:\n' "$t" $rc "$log"
		grep -E 'ERROR|SUMMARY|invariant|runtime error|Test unit written' "$log" | head -n 20
		failed="$failed $t"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed"
	exit 1
fi
echo "fuzz: all $# fuzzers ran ${secs}s each without a finding"
