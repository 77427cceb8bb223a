# tests/cli/lib.sh - shared by the command-line test scripts: a scratch folder,
# the pass/fail/skip counters, expect(), skip() and summary().
# Sourced with BIN set to the conduit binary.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
skipped=0

# skip NAME REASON: a test that cannot run on this machine; not a pass.
skip() {
	echo "skip - $1: $2"
	skipped=$((skipped + 1))
}

# summary SCRIPT: "SCRIPT: N passed, N failed[, N skipped]"; fails when a
# test failed.
summary() {
	more=
	[ "$skipped" -eq 0 ] || more=", $skipped skipped"
	echo "$1: $pass passed, $fail failed$more"
	[ "$fail" -eq 0 ]
}

# expect NAME EXIT_CODE PATTERN -- ARGS...: runs conduit ARGS with no input and
# checks its exit code, that PATTERN is in its output, and that an error is
# exactly one line.
expect() {
	name=$1 want=$2 pattern=$3
	shift 4
	"$BIN" "$@" > "$T/out" 2> "$T/err" < /dev/null
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "not ok - $name: exit $got, want $want; stderr: $(head -c 300 "$T/err")"
		fail=$((fail + 1))
	elif ! grep -q -- "$pattern" "$T/out" "$T/err"; then
		echo "not ok - $name: output lacks '$pattern'; got: $(head -c 300 "$T/out" "$T/err")"
		fail=$((fail + 1))
	elif [ "$want" -ne 0 ] && [ "$(wc -l < "$T/err")" -ne 1 ]; then
		echo "not ok - $name: error is not one line: $(cat "$T/err")"
		fail=$((fail + 1))
	else
		echo "ok - $name"
		pass=$((pass + 1))
	fi
}
