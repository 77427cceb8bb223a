# tests/nested/same.sh - the one check of the harness self-tests
# (selftest.sh, arm64/selftest.sh): same NAME GOT WANT counts a pass in P or
# a failure in F, and prints the failure.
P=0 F=0

# same NAME GOT WANT
same() {
	if [ "$2" = "$3" ]; then
		P=$((P + 1))
	else
		F=$((F + 1))
		echo "not ok - $1: got '$2', want '$3'"
	fi
}
