# tests/nested/cases-migrate.sh - live migration within one L1 (issue 15),
# in suites/qmp, sourced by runner.sh. Owns: migrate_cancel in the middle
# of a round held long by max-bandwidth (the cap kept, the source's guest
# running on, the destination gone with an error naming the hang-up,
# nothing left listening), and L2's memory-pattern agent (mempattern,
# tests/nested/mempattern.c) migrated live over unix: and tcp: while it
# rewrites pages, every page verified at the destination.
# Uses qmp_vm, qmp_vm_end and last_count from cases-qmp.sh, snap_ctl,
# snap_restore, live_dest and live_wait from cases-snapshot.sh.

# mig_num KEY: the number after the first "KEY": in CTL (the last conduit
# ctl answer).
mig_num() {
	echo "$CTL" | tr ',{' '\n\n' | sed -n "s/.*\"$1\": \\([0-9]*\\).*/\\1/p" | head -n 1
}

# The first round (every page not zero, some MiB of L2's kernel and
# initramfs) at max-bandwidth 2 MB/s takes seconds; 2.5 s into it the
# figures show the cap kept (no more than 2 MB/s plus the writer's 64 KiB
# buffer and one 50 ms burst) and the transfer moving; the cap raised to
# 6 MB/s then holds from the next writes (mbps about 48, at least 5 MB in
# the next 1.5 s where the old cap gives 3); migrate_cancel then
# ends it within 5 s: query-migrate says cancelled, the guest counts on
# and runs (query-status), the destination exits 1 with one error line
# naming the source's hang-up, its socket file is gone and nothing
# listens there.
case_migrate_cancel() {
	bw=2000000
	qmp_vm counter -v || { qmp_vm_end; return; }
	wait_for "$OUT" "L2-COUNT 10" 30 "$vm" || fail "the guest counter does not run"
	live_dest cancel --memory "${L2_MEMORY}M" || { qmp_vm_end; return; }
	snap_ctl "$sock" migrate-set-parameters max-bandwidth=$bw || fail "migrate-set-parameters: $CTL"
	snap_ctl "$sock" migrate "uri=$mig_uri" || fail "migrate: $CTL"
	sleep 2.5
	snap_ctl "$sock" query-migrate
	echo "# before the cancel: $(echo "$CTL" | tr -d '\n' | cut -c1-300)"
	case $CTL in *'"status": "active"'*) ;; *) fail "not active 2.5 s in: $CTL" ;; esac
	t=$(mig_num total-time) x=$(mig_num transferred) mbps=$(mig_num mbps)
	[ -n "$t" ] && [ -n "$x" ] && [ -n "$mbps" ] || fail "no figures in: $CTL"
	[ "${x:-0}" -le $((bw * ${t:-0} / 1000 + 65536 + bw / 20)) ] ||
		fail "$x bytes sent in $t ms: over the cap of $bw bytes/s"
	[ "${x:-0}" -ge $((bw * (${t:-0} - 1000) / 2000)) ] ||
		fail "$x bytes sent in $t ms: not moving at the cap of $bw bytes/s"
	[ "${mbps:-0}" -ge 8 ] && [ "${mbps:-0}" -le 18 ] ||
		fail "mbps $mbps, want about $((bw * 8 / 1000000))"
	# the cap raised while it runs: the next writes go at the new rate
	bw=6000000
	snap_ctl "$sock" query-migrate
	x0=$(mig_num transferred)
	snap_ctl "$sock" migrate-set-parameters max-bandwidth=$bw || fail "migrate-set-parameters midway: $CTL"
	grep -q "migrate: now downtime-limit [0-9]* ms, max-bandwidth $bw bytes/s, .*for the migration under way" "$OUT" ||
		fail "no log line for the raised cap"
	sleep 1.5
	snap_ctl "$sock" query-migrate
	echo "# 1.5 s after raising the cap to $bw bytes/s: $(echo "$CTL" | tr -d '\n' | cut -c1-300)"
	x=$(mig_num transferred) mbps=$(mig_num mbps)
	[ "${mbps:-0}" -ge 30 ] && [ "${mbps:-0}" -le 56 ] ||
		fail "mbps $mbps after raising the cap, want about $((bw * 8 / 1000000))"
	[ $((${x:-0} - ${x0:-0})) -ge 5000000 ] ||
		fail "$((${x:-0} - ${x0:-0})) bytes in 1.5 s after raising the cap to $bw bytes/s"
	t0=$(now_ms)
	snap_ctl "$sock" migrate_cancel || fail "migrate_cancel: $CTL"
	live_wait "$sock" cancelled 5 || fail "not cancelled within 5 s: $CTL"
	echo "# cancelled $(($(now_ms) - t0)) ms after migrate_cancel: $(echo "$CTL" | tr -d '\n' | cut -c1-300)"
	case $CTL in *'cancelled (migrate_cancel)'*) ;; *) fail "the error: $CTL" ;; esac
	snap_ctl "$sock" query-status
	case $CTL in *'"status": "running"'*) ;; *) fail "the source after the cancel: $CTL" ;; esac
	c1=$(last_count)
	sleep 1
	[ "$(last_count)" -gt "${c1:-0}" ] || fail "the source's guest does not go on after the cancel"
	wait_exit "$rvm" 30 "$ROUT" || fail "the destination still runs 30 s after the cancel"
	[ "$RC" = 1 ] || fail "the destination: exit $RC, want 1"
	n=$(grep -c '^conduit: error' "$ROUT")
	[ "$n" = 1 ] || fail "the destination has $n error lines"
	grep -q '^conduit: error: --incoming .*: the source closed the connection (cancelled or failed there) at byte ' "$ROUT" ||
		fail "the destination's error: $(grep '^conduit: error' "$ROUT")"
	echo "# destination: $(grep -m1 '^conduit: error' "$ROUT")"
	! grep -q 'restored from' "$ROUT" || fail "the destination restored a guest"
	[ ! -e "$RUNNER_WORK/$CASE_NAME.mig" ] || fail "the destination's socket file is left"
	! python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' \
		"$RUNNER_WORK/$CASE_NAME.mig" 2>/dev/null || fail "something still listens on $mig_uri"
	qmp_vm_end
}

# mp_lines FILE: L2's verify lines in FILE, one a line.
mp_lines() {
	tr -d '\r' <"$1" | grep '^L2-MEMPATTERN pass='
}

# mp_case KIND: the mempattern agent (32 MiB, rewritten at 2 MiB/s, a
# random seed) migrated live over KIND (unix or tcp) once it verified a
# pass; at the destination every pass (at least two: one wholly after the
# migration) says bad=0 with this seed, no page was reported bad, and the
# writer went on (its count of pages rewritten past the source's last).
mp_case() {
	seed=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
	QMP_CMDLINE="conduit.mpseed=$seed conduit.mpsize=32 conduit.mprate=2" qmp_vm mempattern ||
		{ qmp_vm_end; return; }
	wait_for "$OUT" "L2-MEMPATTERN pass=1 " 120 "$vm" ||
		{ fail "no verify pass at the source: $(grep -m1 L2-MEMPATTERN "$OUT")"; qmp_vm_end; return; }
	if [ "$1" = tcp ]; then
		# L1's init leaves the loopback interface down
		ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null ||
			{ fail "cannot bring L1's loopback interface up"; qmp_vm_end; return; }
		mig_uri=tcp:127.0.0.1:$((20000 + $$ % 20000))
		snap_restore "$1" --incoming "$mig_uri" --memory "${L2_MEMORY}M"
		wait_for "$ROUT" "waiting for a migration on $mig_uri" 60 "$rvm" ||
			{ fail "the destination does not listen: $(grep -m1 '^conduit: error' "$ROUT")"; qmp_vm_end; return; }
	else
		live_dest "$1" --memory "${L2_MEMORY}M" || { qmp_vm_end; return; }
	fi
	snap_ctl "$sock" migrate "uri=$mig_uri" || fail "migrate: $CTL"
	live_wait "$sock" completed 180 || fail "the migration did not complete: $CTL"
	echo "# query-migrate: $(echo "$CTL" | tr -d '\n' | cut -c1-300)"
	src=$(mp_lines "$OUT" | tail -n 1)
	i=0
	while [ "$(mp_lines "$ROUT" | wc -l)" -lt 2 ] && [ $i -lt 1200 ] && kill -0 "$rvm" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	n=$(mp_lines "$ROUT" | wc -l)
	[ "$n" -ge 2 ] || fail "$n verify passes at the destination, want 2"
	bad=$(mp_lines "$ROUT" | grep -v " bad=0 rewritten=[0-9]* seed=$seed\$")
	[ -z "$bad" ] && [ "$n" -ge 1 ] || fail "at the destination: $(echo "$bad" | head -n 2 | tr '\n' ' ')"
	! tr -d '\r' <"$ROUT" | grep -q '^L2-MEMPATTERN-BAD' ||
		fail "bad pages: $(tr -d '\r' <"$ROUT" | grep -m3 '^L2-MEMPATTERN-BAD' | tr '\n' ' ')"
	r0=$(echo "$src" | sed -n 's/.* rewritten=\([0-9]*\) .*/\1/p')
	r1=$(mp_lines "$ROUT" | tail -n 1 | sed -n 's/.* rewritten=\([0-9]*\) .*/\1/p')
	[ "${r1:-0}" -gt "${r0:-0}" ] || fail "the writer did not go on: $r0 pages at the source, $r1 after"
	echo "# mempattern $1: source '$src'; destination $n passes, last '$(mp_lines "$ROUT" | tail -n 1)'"
	live_end
}

case_migrate_mempattern_unix() { mp_case unix; }
case_migrate_mempattern_tcp() { mp_case tcp; }
