# tests/nested/arm64/results.sh - the pure parts of the arm64 harness's
# reporting, sourced by run.sh and bench.sh and checked by selftest.sh (in
# `make check`): which cases an L1 left without a result, each case's last
# result, the counts, and the bench's medians, peaks and ratio. Logs are L1
# consoles (TAP lines "ok N - name", "not ok N - name: why", "# SKIP").

A64_TAP_AWK='{ name = "" } /^(not )?ok [0-9]+ - / { name = $0; sub(/^(not )?ok [0-9]+ - /, "", name); sub(/[: ].*/, "", name) }'

# a64_unreported LOG CASES...: the CASES with no result line in LOG, in
# order, separated by spaces.
a64_unreported() {
	local log=$1 done_list c
	shift
	done_list=" $(tr -d '\r' <"$log" | awk "$A64_TAP_AWK"' name != "" { printf "%s ", name }')"
	for c in "$@"; do
		case $done_list in *" $c "*) ;; *) printf '%s ' "$c" ;; esac
	done
}

# a64_compose LOG: the timing, L1 and BENCH lines of LOG, then each case's
# last result line (a case run again in a new L1 counts once), in first-seen order.
a64_compose() {
	tr -d '\r' <"$1" | awk "$A64_TAP_AWK"'
		name != "" { if (!(name in line)) order[++n] = name; line[name] = $0; next }
		/^# time |^# phase |^L1-(ERROR|UPTIME|VFIO|KVM|IOMMUFD)|^BENCH/ { print }
		END { for (i = 1; i <= n; i++) print line[order[i]] }'
}

# a64_counts RESULTS PLAN: "PASS FAIL SKIP" of a64_compose's output, cases
# never reported (PLAN minus the results) counted as failed.
a64_counts() {
	local pass skip fail
	pass=$(grep -cE '^ok [0-9]+ - ' "$1")
	skip=$(grep -cE '^ok [0-9]+ - .* # SKIP' "$1")
	fail=$(grep -cE '^not ok [0-9]+ - ' "$1")
	pass=$((pass - skip))
	[ $((pass + skip + fail)) -ge "$2" ] || fail=$(($2 - pass - skip))
	echo "$pass $fail $skip"
}

# a64_median LOG VMM: the median launch-to-init (ms) of VMM's
# "BENCH VMM BOOT TOTAL" lines (the lower middle one of an even count), or none.
a64_median() {
	tr -d '\r' <"$1" | awk -v v="$2" '$1 == "BENCH" && $2 == v && $3 ~ /^[0-9]+$/ { print $3 }' |
		sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "none" }'
}

# a64_peak LOG KIND [VMM]: the largest number ending KIND's lines (for VMM
# when given, as the second word), or none.
a64_peak() {
	tr -d '\r' <"$1" | awk -v k="$2" -v v="${3:-}" '
		$1 == k && (v == "" || $2 == v) && $NF ~ /^[0-9]+$/ && $NF + 0 > m { m = $NF + 0 }
		END { print (m ? m : "none") }'
}

# a64_ratio A B: A / B with two decimals, or none when either is none.
a64_ratio() {
	case "$1 $2" in *none*) echo none; return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "none" }'
}
