# tests/nested/resume.sh - what run.sh does again in a new L1 after one
# died or a case's guest did (sourced by run.sh, and by selftest.sh, which
# checks it on made-up logs in `make check`): the TAP and crash patterns,
# the guests' deaths in a log, and the cases (with their binds) to run again.

# tap_awk: awk code that sets name for a TAP case line ("ok N - name ...",
# "not ok N - name: why") and leaves it empty for any other line.
TAP_AWK='{ name = "" } /^(not )?ok [0-9]+ - / { name = $0; sub(/^(not )?ok [0-9]+ - /, "", name); sub(/[: ].*/, "", name) }'

# CRASH_AWK: awk code (after TAP_AWK) that sets crash to "L2 triple fault" or
# "L2 KVM internal error" on a line of a failed case's shown output (the
# "#   | " lines after its TAP line; conduit's messages) that says its guest
# died that way, and last to that case; crash is empty on any other line.
CRASH_AWK='
	{ crash = "" }
	name != "" { last = name; failed = /^not ok/ }
	name == "" && failed && /^#   \| .*guest triple fault/ { crash = "L2 triple fault" }
	name == "" && failed && /^#   \| .*KVM internal error/ { crash = "L2 KVM internal error" }'

# crashes: the "CAUSE<TAB>CASE" of each failed case of the log on stdin whose
# guest died (CRASH_AWK), once a case (its first such line names the cause).
crashes() {
	tr -d '\r' | awk "$TAP_AWK$CRASH_AWK"'
		crash != "" && !seen[last]++ { print crash "\t" last }'
}

# resume_cases LOG CASES...: the cases still to run after the attempts in
# LOG: those never reported, those whose last result failed with their
# guest's death (CRASH_AWK) and the one during which an L1 CPU's timer
# stopped (its L1-TIMER-DEAD line comes before its result), in suite order,
# each with the binds (X-bind ... X-unbind) it ran inside: a bind with a
# case still to run between it and its unbind (or after it, with no unbind
# in CASES), or whose unbind is still to run, is done again, and so is its
# unbind. (Only the binds before the first case still to run were, once:
# fw-optionrom, retried after fw-rom-unbind had run, then ran without its
# card given to vfio-pci.)
resume_cases() {
	log=$1
	shift
	tr -d '\r' <"$log" | awk "$TAP_AWK$CRASH_AWK"'
		name != "" && sick { sick = 0; next }
		name != "" { done[name] = 1; next }
		crash != "" { delete done[last] }
		/^L1-TIMER-DEAD|^L1-TSC-MISMATCH/ { sick = 1 }
		/^BUG: (TASK stack|unable to handle)|^Kernel panic/ { sick = 1 }
		END { for (n in done) print n }' >"$OUT_DIR/resume.done"
	resume_plan "$OUT_DIR/resume.done" "$@"
}

# resume_plan DONE CASES...: resume_cases's list from DONE, the cases done
# (one a line): CASES in order, those not done and the binds (and their
# unbinds) to do again around them.
resume_plan() {
	done_file=$1
	shift
	awk -v list="$*" 'BEGIN { n = split(list, c, " ") }
		{ done[$1] = 1 }
		END {
			for (i = 1; i <= n; i++) {
				u = c[i]
				if (!sub(/-bind$/, "-unbind", u)) continue
				k = n + 1
				for (j = i + 1; j <= n; j++) if (c[j] == u) { k = j; break }
				need = k <= n && !(u in done)
				for (j = i + 1; j < k; j++) if (!(c[j] in done)) need = 1
				if (need) { again[c[i]] = 1; if (k <= n) again[u] = 1 }
			}
			for (i = 1; i <= n; i++) if (!(c[i] in done) || (c[i] in again)) printf "%s ", c[i]
		}' "$done_file" </dev/null
}
