#!/bin/bash
# tests/nested/bench.sh - `make bench`: boots the same L2 guest with conduit,
# QEMU q35 and QEMU microvm inside one L1 run (nested under QEMU/TCG here, or
# natively on a dev box), and prints per VMM the launch-to-init times, the
# median, the ratio conduit/QEMU, and conduit's own memory (peak RSS minus
# resident guest RAM). Then the passthrough benchmark in the same L1 run:
# MB/s of a sequential direct-I/O read of the whole NVMe in L1 natively, in L2
# under conduit and in L2 under QEMU's vfio-pci (medians, the ratios), conduit's
# BAR data exits, and a table of guest RAM prefault + DMA-map time for 1, 2 and
# 4 GiB with none/thp/2M backing, conduit next to QEMU (-mem-prealloc or a 2M
# hugetlb memfd, vfio-pci), ms per GiB and the ratio against the 0.5x target.
# Then the IOMMU backends (a second L1) and the QMP hotplug figures, conduit
# against QEMU (a third L1: bench-qmp lines with the ratios), and `conduit
# exec`'s boot to command against QEMU q35 and microvm and conduit's plain
# boot on the same kernel and initramfs (a fourth L1: suites/bench-exec),
# and snapshot save and restore-to-running against QEMU's migrate to a file
# and -incoming (a fifth L1: suites/bench-snapshot), and live migration
# against QEMU's -incoming (a sixth L1: suites/bench-migrate).
# Absolute figures under TCG mean little; the ratios measured in the same L1
# run are the figures.
set -u
NESTED_DIR=$(cd "$(dirname "$0")" && pwd)
# BENCH_SUITE=bench-passthrough: only the passthrough part (NESTED_CASES: any cases).
NESTED_SUITE=${BENCH_SUITE:-bench}
# BENCH_SUITE=boot-rate: how often an L2 boot crashes or hangs, conduit
# against QEMU q35 (cases-bench.sh boot-rate), BENCH_RUNS rounds of one boot
# each (100 by default), in one L1 on the project kernel (NESTED_L1_KERNEL
# overrides it); L1's time bound grows with the count (120 s a round). An
# L1 death ends the measurement (NESTED_RETRIES=0): a new L1 would start the
# case again from round 1; the table counts it against the VMM whose boot
# was running.
if [ "$NESTED_SUITE" = boot-rate ]; then
	export BENCH_RUNS=${BENCH_RUNS:-100} NESTED_L1_KERNEL=${NESTED_L1_KERNEL:-project}
	export NESTED_TIMEOUT=${NESTED_TIMEOUT:-$((600 + BENCH_RUNS * 120))} NESTED_RETRIES=${NESTED_RETRIES:-0}
fi
# BENCH_SUITE=bench-exec: only `conduit exec`'s boot to command (below),
# 5 rounds unless BENCH_RUNS says otherwise.
[ "$NESTED_SUITE" != bench-exec ] || export BENCH_RUNS=${BENCH_RUNS:-5}
# BENCH_SUITE=bench-migrate: only live migration (below), 1 round unless
# BENCH_RUNS says otherwise.
[ "$NESTED_SUITE" != bench-migrate ] || export BENCH_RUNS=${BENCH_RUNS:-1}
export INCLUDE_QEMU=1 NESTED_SUITE BENCH_RUNS=${BENCH_RUNS:-3}
# BENCH_SUITE=bench-iommufd: only the IOMMU backends (below), on the project kernel;
# BENCH_SUITE=bench-qmp: only the QMP hotplug figures (below), the same.
# BENCH_SUITE=bench-exec: the same; BENCH_SUITE=bench-snapshot and
# bench-migrate: the same.
case $NESTED_SUITE in bench-iommufd | bench-qmp | bench-exec | bench-snapshot | bench-migrate)
	export NESTED_L1_KERNEL=project ;;
esac
# The passthrough part pins up to 4 GiB of guest RAM in L1 (and reserves 4 GiB
# of 2M pages) for the DMA-map figures, each taking tens of seconds under
# TCG: L1 gets 6 GiB and more time.
export NESTED_L1_MEM=${NESTED_L1_MEM:-6144} NESTED_TIMEOUT=${NESTED_TIMEOUT:-1800}
export NESTED_STALL=${NESTED_STALL:-400}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bash "$NESTED_DIR/run.sh" >"$log" 2>&1
rc=$?
L1_LOG=$(sed -n 's/^# booting L1 (log: \(.*\))$/\1/p' "$log" | tail -n 1)
src=${L1_LOG:-$log}
[ -f "$src" ] || src=$log

# The IOMMU backends (cases-bench.sh bench-backends) need IOMMUFD: a second
# L1, on the project's kernel (BENCH_BACKENDS=0 leaves it out; with
# BENCH_SUITE=bench-iommufd it is the only run).
# AWK_MED: awk's med(key), the median of val[key, 1..cnt[key]] ("none" if empty).
AWK_MED='
function med(key,   n, i, j, t, a) {
	n = cnt[key]
	if (!n) return "none"
	for (i = 1; i <= n; i++) a[i] = val[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'

# backends_report LOG: the table of the BENCH-BACKEND lines of that run.
backends_report() {
	local L1_LOG src
	L1_LOG=$(sed -n 's/^# booting L1 (log: \(.*\))$/\1/p' "$1" | tail -n 1)
	src=${L1_LOG:-$1}
	[ -f "$src" ] || src=$1
	echo "IOMMU backends: type1 (legacy) against IOMMUFD, the NVMe alone and with the pci-serial card"
	echo "(two IOMMU groups), in one L1 on the project kernel; medians; pinned pages as the host"
	echo "accounts them in /proc/PID/status while the guest runs (type1: VmLck, IOMMUFD: VmPin):"
	tr -d '\r' <"$src" | awk "$AWK_MED"'
	function add(key, v) { if (v == "none" || v == "") return; val[key, ++cnt[key]] = v }
	function f(v, d) { return v == "none" ? "-" : sprintf("%." d "f", v) }
	$1 == "BENCH-BACKEND" {
		k = $2 SUBSEP $3 SUBSEP $4; if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
		runs[k]++; add("pf" SUBSEP k, $5); add("map" SUBSEP k, $6); add("lck" SUBSEP k, $7); add("pin" SUBSEP k, $8)
	}
	END {
		if (!nk) { print "  no figures (see the L1 log)"; exit }
		printf "  %-8s %7s %5s %4s | %9s %8s %10s | %9s %9s\n", "backend", "devices", "MiB", "runs",
			"prefault", "map ms", "map /GiB", "VmLck MiB", "VmPin MiB"
		for (i = 1; i <= nk; i++) {
			split(keys[i], p, SUBSEP); k = keys[i]
			mp = med("map" SUBSEP k); l = med("lck" SUBSEP k); q = med("pin" SUBSEP k)
			printf "  %-8s %7d %5d %4d | %9s %8s %10s | %9s %9s\n", p[1], p[2], p[3], runs[k],
				f(med("pf" SUBSEP k), 0), f(mp, 1), mp == "none" ? "-" : sprintf("%.1f", mp * 1024 / p[3]),
				l == "none" ? "-" : sprintf("%.0f", l / 1024), q == "none" ? "-" : sprintf("%.0f", q / 1024)
			if (mp != "none") { ms[p[1]] += mp; gib[p[1]] += p[3] / 1024 }
		}
		if (gib["legacy"] > 0 && gib["iommufd"] > 0)
			printf "  DMA map over all sizes and device counts: type1 %.1f ms per GiB, IOMMUFD %.1f ms per GiB (IOMMUFD / type1 = %.2f)\n",
				ms["legacy"] / gib["legacy"], ms["iommufd"] / gib["iommufd"],
				(ms["legacy"] > 0 ? (ms["iommufd"] / gib["iommufd"]) / (ms["legacy"] / gib["legacy"]) : 0)
	}'
	grep -E '^nested:' "$1"
}
if [ "$NESTED_SUITE" = bench-iommufd ]; then
	backends_report "$log"
	exit $rc
fi

# qmp_report LOG: the QMP hotplug and round-trip figures of that run
# (cases-bench-qmp.sh: QEMU 7.2 q35 and conduit in the same L1): each
# round, then one line a figure with the medians and conduit / QEMU.
qmp_report() {
	local L1_LOG src
	L1_LOG=$(sed -n 's/^# booting L1 (log: \(.*\))$/\1/p' "$1" | tail -n 1)
	src=${L1_LOG:-$1}
	[ -f "$src" ] || src=$1
	echo "QMP hotplug and round trips, QEMU 7.2 q35 (ACPI hotplug on a pcie-root-port) and conduit"
	echo "(--api-socket) in one L1 on the project kernel, QEMU's QMPClient, the NVMe hot-added and removed"
	echo "$BENCH_RUNS times each (medians), then 1000 query-status round trips:"
	tr -d '\r' <"$src" | grep -a '^# bench-qmp ' | sed 's/^# /  /'
	tr -d '\r' <"$src" | awk '
	$1 == "BENCH-QMP" { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[$2, kv[1]] = kv[2] } }
	function line(label, key, unit,   c, q) {
		c = v["conduit", key]; q = v["qemu", key]
		printf "bench-qmp: %s conduit %s %s, QEMU %s %s, ratio %s\n", label,
			(c == "" ? "none" : c), unit, (q == "" ? "none" : q), unit,
			(c != "" && q != "" && c != "none" && q != "none" && q > 0 ? sprintf("%.2f", c / q) : "n/a")
	}
	END {
		line("add->bound", "add_bound_ms", "ms")
		line("add->md5", "add_md5_ms", "ms")
		line("del->DEVICE_DELETED", "del_ms", "ms")
		line("query-status p50", "rtt_p50_ms", "ms")
		line("query-status p99", "rtt_p99_ms", "ms")
	}'
	grep -E '^nested:' "$1"
}
if [ "$NESTED_SUITE" = bench-qmp ]; then
	qmp_report "$log"
	exit $rc
fi

# exec_report LOG: `conduit exec`'s boot to command (cases-bench-exec.sh):
# per VMM the rounds, the medians of launch to the init's marker and to the
# VMM's exit, then conduit exec against QEMU microvm, QEMU q35 and
# conduit's plain boot, and conduit's own memory for the exec run.
exec_report() {
	local L1_LOG src
	L1_LOG=$(sed -n 's/^# booting L1 (log: \(.*\))$/\1/p' "$1" | tail -n 1)
	src=${L1_LOG:-$1}
	[ -f "$src" ] || src=$1
	tr -d '\r' <"$src" | awk "$AWK_MED"'
	function add(key, v) { if (v == "none" || v == "" || v == "-") return; val[key, ++cnt[key]] = v }
	function r(a, b) { return (a != "none" && b != "none" && b > 0) ? sprintf("%.2f", a / b) : "n/a" }
	$1 == "BENCH-EXEC-INFO" { info = sprintf("%.0f KiB", $2 / 1024); mib = $3; cpus = $4; rounds = $5 }
	$1 == "BENCH-EXEC" && NF >= 7 {
		v = $2; if (!(v in seen)) { seen[v] = 1; vm[++nv] = v }
		runs[v] = runs[v] " " $4; add("boot" SUBSEP v, $4); add("total" SUBSEP v, $5)
		add("own" SUBSEP v, $6); add("self" SUBSEP v, $7)
	}
	END {
		printf "conduit exec: boot to command (ms, launch -> \"conduit-exec: running the command\" on the\n"
		printf "guest console ttyS0), the same kernel (Debian cloud) and initramfs (conduit exec\n"
		printf "--dump-initramfs, %s) for all, %s MiB, %s vCPU, one L1 run, the VMMs taking turns:\n", info, mib, cpus
		if (!nv) { print "  no figures (see the L1 log)"; exit }
		printf "  %-16s %-36s %8s %13s\n", "vmm", "to command, each round", "median", "to exit (med)"
		for (i = 1; i <= nv; i++) {
			v = vm[i]; b[v] = med("boot" SUBSEP v); t = med("total" SUBSEP v)
			printf "  %-16s %-36s %8s %13s\n", v, substr(runs[v], 2), b[v], t
		}
		c = b["conduit-exec"]
		printf "  conduit exec / qemu-microvm  = %s   (target <= 1.00)\n", r(c, b["qemu-microvm"])
		if ("qemu-microvm-rtc" in b)
			printf "  conduit exec / qemu-microvm-rtc = %s   (microvm,rtc=on)\n", r(c, b["qemu-microvm-rtc"])
		printf "  conduit exec / qemu-q35      = %s\n", r(c, b["qemu-q35"])
		printf "  conduit exec / conduit plain = %s   (exec builds its initramfs first)\n", r(c, b["conduit-plain"])
		s = med("self" SUBSEP "conduit-exec")
		if (s != "none")
			printf "  conduit exec -v, its own clock: \"the command started %d ms after conduit did\" (median)\n", s
		printf "conduit'"'"'s own memory for the exec run (peak RSS - resident guest RAM): %s KiB   (plain boot: %s KiB)\n",
			med("own" SUBSEP "conduit-exec"), med("own" SUBSEP "conduit-plain")
	}'
	grep -E '^nested:' "$1"
}
if [ "$NESTED_SUITE" = bench-exec ]; then
	exec_report "$log"
	exit $rc
fi

# snapshot_report LOG: snapshot save and restore-to-running, conduit
# against QEMU 7.2 (cases-bench-snapshot.sh): each round, then per VMM and
# guest size the medians (ms and ms per GiB of guest RAM, the file's MiB),
# the ratios conduit / QEMU and conduit's own figures from its log.
snapshot_report() {
	local L1_LOG src
	L1_LOG=$(sed -n 's/^# booting L1 (log: \(.*\))$/\1/p' "$1" | tail -n 1)
	src=${L1_LOG:-$1}
	[ -f "$src" ] || src=$1
	tr -d '\r' <"$src" | awk "$AWK_MED"'
	function add(key, v) { if (v == "none" || v == "" || v == "-") return; val[key, ++cnt[key]] = v }
	function f0(v) { return v == "none" ? "-" : sprintf("%.0f", v) }
	function pg(v, mib) { return v == "none" ? "-" : sprintf("%.0f", v * 1024 / mib) }
	function r(a, b) { return (a != "none" && b != "none" && b > 0) ? sprintf("%.2f", a / b) : "n/a" }
	$1 == "BENCH-SNAP-INFO" { rounds = $2 }
	/^# bench-snapshot [a-z]* [0-9]* MiB round [0-9]*:/ { sub(/^# /, "  "); rl[++nr] = $0 }
	$1 == "BENCH-SNAP" && NF >= 12 {
		v = $2; m = $3; k = v SUBSEP m
		if (!(m in seenm)) { seenm[m] = 1; mibs[++nm] = m }
		runs[k]++; if ($9 != "none") ok[k]++
		add("reply" SUBSEP k, $5); add("done" SUBSEP k, $6); add("tt" SUBSEP k, $7)
		if ($8 != "none") add("file" SUBSEP k, $8 / 1048576)
		add("rest" SUBSEP k, $9); add("load" SUBSEP k, $10)
	}
	$1 == "BENCH-SNAP-OWN" { k = $3; add("osave" SUBSEP k, $5); add("orest" SUBSEP k, $6) }
	END {
		print "snapshot save and restore to running: conduit (QMP stop, migrate uri=file:PATH; conduit"
		print "--restore PATH) against QEMU 7.2 q35 (stop, migrate uri=\"exec:cat > PATH\"; the same command"
		print "line with -incoming \"exec:cat PATH\", cont once query-migrate says completed), the L2 guest"
		printf "counter (1 vCPU, no passthrough), one L1 run, %s rounds taking turns, L1 /tmp (RAM):\n", rounds
		for (i = 1; i <= nr; i++) print rl[i]
		if (!nm) { print "  no figures (see the L1 log)"; exit }
		print "  save = migrate sent -> query-migrate completed (conduit replies when the file is written);"
		print "  restore = launch -> the restored guest'"'"'s first L2-COUNT (its count checked: one or two past"
		print "  the last before the stop); to loaded = launch -> QEMU'"'"'s query-migrate completed, conduit'"'"'s"
		print "  \"restored from\" log line (just before its vCPUs start);"
		print "  medians; /GiB = ms per GiB of guest RAM"
		printf "  %-7s %5s %6s | %7s %6s %8s %10s | %8s | %10s %6s %10s\n", "vmm", "MiB", "ok", "save ms", "/GiB",
			"reply ms", "total-time", "file MiB", "restore ms", "/GiB", "to loaded"
		for (j = 1; j <= nm; j++) for (i = 1; i <= 2; i++) {
			v = (i == 1 ? "conduit" : "qemu"); m = mibs[j]; k = v SUBSEP m
			if (!runs[k]) continue
			d[k] = med("done" SUBSEP k); rs[k] = med("rest" SUBSEP k); fm = med("file" SUBSEP k); ld = med("load" SUBSEP k)
			printf "  %-7s %5d %3d/%-2d | %7s %6s %8s %10s | %8s | %10s %6s %10s\n", v, m, ok[k], runs[k],
				f0(d[k]), pg(d[k], m), f0(med("reply" SUBSEP k)), f0(med("tt" SUBSEP k)),
				fm == "none" ? "-" : sprintf("%.1f", fm), f0(rs[k]), pg(rs[k], m), f0(ld)
		}
		for (j = 1; j <= nm; j++) {
			m = mibs[j]; c = "conduit" SUBSEP m; q = "qemu" SUBSEP m
			printf "  %d MiB: conduit / QEMU: save %s, restore to running %s\n", m, r(d[c], d[q]), r(rs[c], rs[q])
			if (d[c] != "none" && d[q] != "none") { cs += d[c]; qs += d[q]; gs += m / 1024 }
			if (rs[c] != "none" && rs[q] != "none") { cr += rs[c]; qr += rs[q]; gr += m / 1024 }
		}
		if (gs > 0 || gr > 0)
			printf "  all sizes together: save conduit %s ms per GiB, QEMU %s (ratio %s); restore conduit %s ms per GiB, QEMU %s (ratio %s)\n",
				gs ? f0(cs / gs) : "-", gs ? f0(qs / gs) : "-", r(cs, qs), gr ? f0(cr / gr) : "-", gr ? f0(qr / gr) : "-", r(cr, qr)
		for (j = 1; j <= nm; j++) {
			m = mibs[j]; os = med("osave" SUBSEP m); orr = med("orest" SUBSEP m)
			printf "  conduit'"'"'s own log, %d MiB (medians): \"migrate: saved to ... in %s ms\", \"restored from ... in %s ms\"\n",
				m, os == "none" ? "none" : sprintf("%.1f", os), orr == "none" ? "none" : sprintf("%.1f", orr)
		}
	}'
	grep -E '^nested:' "$1"
}
if [ "$NESTED_SUITE" = bench-snapshot ]; then
	snapshot_report "$log"
	exit $rc
fi

# migrate_report LOG: live migration, conduit against QEMU 7.2
# (cases-bench-migrate.sh): each turn, then per VMM and load the medians
# and the ratios conduit / QEMU of downtime and total time.
migrate_report() {
	local L1_LOG src
	L1_LOG=$(sed -n 's/^# booting L1 (log: \(.*\))$/\1/p' "$1" | tail -n 1)
	src=${L1_LOG:-$1}
	[ -f "$src" ] || src=$1
	tr -d '\r' <"$src" | awk "$AWK_MED"'
	function add(key, v) { if (v == "none" || v == "" || v == "-") return; val[key, ++cnt[key]] = v }
	function f0(v) { return v == "none" ? "-" : sprintf("%.0f", v) }
	function r(a, b) { return (a != "none" && b != "none" && b > 0) ? sprintf("%.2f", a / b) : "n/a" }
	$1 == "BENCH-MIG-INFO" { rounds = $2; mib = $3; wset = $4; rate = $5 }
	/^# bench-migrate [a-z]* [a-z]* round [0-9]*:/ { sub(/^# /, "  "); rl[++nr] = $0 }
	$1 == "BENCH-MIG" && NF >= 11 {
		v = $2; l = $3; k = v SUBSEP l
		if (!(l in seenl)) { seenl[l] = 1; loads[++nl] = l }
		runs[k]++; if ($5 != "none") ok[k]++
		add("tt" SUBSEP k, $5); add("dt" SUBSEP k, $6); add("e2e" SUBSEP k, $7)
		add("rounds" SUBSEP k, $8); if ($9 != "none") add("mib" SUBSEP k, $9 / 1048576)
		add("setup" SUBSEP k, $10); add("dev" SUBSEP k, $11)
	}
	END {
		print "live migration: conduit (QMP migrate uri=unix:PATH to conduit --incoming unix:PATH) against"
		print "QEMU 7.2 q35 (migrate to -incoming unix:PATH, max-bandwidth 100 GiB/s: 7.2 caps at 32 MiB/s"
		printf "by default), both downtime-limit 300 ms, a %s MiB guest (1 vCPU, no passthrough), idle (the\n", mib
		printf "counter) and with a writer (mempattern: %s MiB rewritten at %s MiB/s), same L1, %s round(s):\n", wset, rate, rounds
		for (i = 1; i <= nr; i++) print rl[i]
		if (!nl) { print "  no figures (see the L1 log)"; exit }
		print "  downtime = query-migrate'"'"'s field at the source for both: vCPUs paused at the source to the"
		print "  source'"'"'s end of the migration (the last bytes sent); conduit'"'"'s end to end = paused at the"
		print "  source to vCPUs started at the destination (CLOCK_REALTIME in both logs, one L1); medians"
		printf "  %-7s %-6s %6s | %9s %8s %11s | %6s %8s %8s %8s\n", "vmm", "load", "ok", "total ms", "downtime",
			"end to end", "rounds", "MiB sent", "setup ms", "dev data"
		for (j = 1; j <= nl; j++) for (i = 1; i <= 2; i++) {
			v = (i == 1 ? "conduit" : "qemu"); l = loads[j]; k = v SUBSEP l
			if (!runs[k]) continue
			t[k] = med("tt" SUBSEP k); d[k] = med("dt" SUBSEP k); mb = med("mib" SUBSEP k)
			printf "  %-7s %-6s %3d/%-2d | %9s %8s %11s | %6s %8s %8s %8s\n", v, l, ok[k], runs[k],
				f0(t[k]), f0(d[k]), f0(med("e2e" SUBSEP k)), f0(med("rounds" SUBSEP k)),
				mb == "none" ? "-" : sprintf("%.1f", mb), f0(med("setup" SUBSEP k)), f0(med("dev" SUBSEP k))
		}
		for (j = 1; j <= nl; j++) {
			l = loads[j]; c = "conduit" SUBSEP l; q = "qemu" SUBSEP l
			printf "  %s: conduit / QEMU: downtime %s, total time %s (target: at or below 1)\n", l,
				r(d[c], d[q]), r(t[c], t[q])
		}
	}'
	grep -E '^nested:' "$1"
}
if [ "$NESTED_SUITE" = bench-migrate ]; then
	migrate_report "$log"
	exit $rc
fi

# rate_report LOG: the boot-rate table from the RATE lines of every L1 of
# that run (l1-all.log: an L1 that died is booted again by run.sh and runs
# the case again, so boots can exceed the rounds): per VMM the boots, ok,
# crash, hang and other (rate_class in cases-bench.sh), L1 deaths during
# one of its boots (a RATE-BOOT whose RATE never came), the rates, the
# launch-to-init median of the ok boots; then each cause with its rounds.
rate_report() {
	local L1_LOG src
	L1_LOG=$(sed -n 's/^# booting L1 (log: \(.*\))$/\1/p' "$1" | tail -n 1)
	src=$(dirname "${L1_LOG:-.}")/l1-all.log
	[ -s "$src" ] || src=${L1_LOG:-$1}
	[ -f "$src" ] || src=$1
	tr -d '\r' <"$src" | awk "$AWK_MED"'
	function died() { key = pend SUBSEP "l1-death" SUBSEP "-"; if (!(key in cnt_c)) ck[++nk] = key
		cnt_c[key]++; rounds_c[key] = rounds_c[key] " " pround; boots[pend]++; l1d[pend]++; pend = "" }
	/CONDUIT-L1-INIT/ { if (pend != "") died(); l1s++ }
	$1 == "RATE-INFO" { info = $2 " rounds, " $3 " MiB, " $4 " vCPU" }
	$1 == "RATE-BOOT" { if (pend != "") died(); pend = $2; pround = $3; if (!($2 in seen)) { seen[$2] = 1; vm[++nv] = $2 } }
	$1 == "RATE" && NF >= 7 {
		pend = ""; boots[$2]++; n[$2, $4]++
		if ($4 == "ok") { if ($6 != "none") val[$2, ++cnt[$2]] = $6 }
		else { key = $2 SUBSEP $4 SUBSEP $5; if (!(key in cnt_c)) ck[++nk] = key; cnt_c[key]++; rounds_c[key] = rounds_c[key] " " $3 }
		tot[$2] += $7; if ($8 == 1) warned[$2]++
	}
	END {
		if (pend != "") died()
		if (!nv) { print "  no RATE lines (see the L1 log)"; exit }
		printf "  in %d L1 boot(s); %s\n", l1s, info
		printf "  %-10s %6s %6s %6s %6s %6s %8s %8s %8s %14s %10s %10s\n", "vmm", "boots", "ok", "crash", "hang", "other",
			"L1 died", "crash %", "hang %", "init ms (med)", "total s", "guest WARN"
		for (i = 1; i <= nv; i++) {
			v = vm[i]; b = boots[v]
			printf "  %-10s %6d %6d %6d %6d %6d %8d %8.1f %8.1f %14s %10.0f %10d\n", v, b, n[v, "ok"], n[v, "crash"], n[v, "hang"],
				n[v, "other"], l1d[v], b ? 100 * n[v, "crash"] / b : 0, b ? 100 * n[v, "hang"] / b : 0, med(v), tot[v] / 1000, warned[v]
		}
		for (i = 1; i <= nk; i++) {
			split(ck[i], p, SUBSEP)
			printf "  %s: %s: %d (round%s%s)\n", p[1], (p[2] == "l1-death" ? "L1 died during its boot" : p[2] " " p[3]),
				cnt_c[ck[i]], (cnt_c[ck[i]] > 1 ? "s" : ""), rounds_c[ck[i]]
		}
	}'
	grep -E '^nested:|^# RETRY|^# NOT RETRIED' "$1"
}
if [ "$NESTED_SUITE" = boot-rate ]; then
	echo "boot rate: L2 to init and power-off (conduit.test=init), conduit and QEMU q35 taking turns,"
	echo "one L1 run on the ${NESTED_L1_KERNEL} kernel; crash = triple fault, KVM internal error, failed"
	echo "VM entry, guest panic or an unasked reset; hang = no init marker or no exit in time:"
	rate_report "$log"
	exit $rc
fi

median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "none"; else if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

echo "boot to guest init (ms, launch -> CONDUIT-L2-INIT), one L1 run:"
for vmm in conduit conduit-bios qemu-q35 qemu-microvm; do
	runs=$(tr -d '\r' <"$src" | awk -v v="$vmm" '$1 == "BENCH" && $2 == v && $3 != "none" { print $3 }')
	eval "med_${vmm//-/_}=$(echo "$runs" | grep . | median)"
	printf '  %-13s %d runs: %s  median %s\n' "$vmm" "$(echo "$runs" | grep -c .)" \
		"$(echo $runs)" "$(eval echo \$med_${vmm//-/_})"
done
ratio() {
	[ "$1" != none ] && [ "$2" != none ] && [ "$2" -gt 0 ] &&
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo n/a
}
echo "  conduit / qemu-q35     = $(ratio "$med_conduit" "$med_qemu_q35")   (target <= 0.60)"
echo "  conduit / qemu-microvm = $(ratio "$med_conduit" "$med_qemu_microvm")   (target <= 1.00)"
echo "  through firmware (SeaBIOS; QEMU q35 boots through SeaBIOS too):"
echo "    conduit-bios / conduit  = $(ratio "$med_conduit_bios" "$med_conduit")   (the firmware's cost)"
echo "    conduit-bios / qemu-q35 = $(ratio "$med_conduit_bios" "$med_qemu_q35")"
own=$(tr -d '\r' <"$src" | awk '$1 == "BENCH-OWN-KIB" { print $2 }' | sort -n | tail -n 1)
echo "conduit's own memory (peak RSS - resident guest RAM): ${own:-none} KiB   (target < 8192)"

# Passthrough: MB/s medians (one decimal) of the BENCH-DD runs per setup.
fmedian() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "none"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
fratio() {
	[ "$1" != none ] && [ "$2" != none ] &&
		awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }' || echo n/a
}
set -- $(tr -d '\r' <"$src" | awk '$1 == "BENCH-PT-INFO" { print $2, $3 }' | tail -n 1)
echo "passthrough: sequential read of the whole NVMe (${1:-?} MiB, ${2:-?} times a run), dd bs=1M iflag=direct,"
echo "MB/s (10^6 B/s), the three setups taking turns ($BENCH_RUNS rounds), one L1 run:"
for s in l1 conduit qemu; do
	runs=$(tr -d '\r' <"$src" | awk -v s="$s" '$1 == "BENCH-DD" && $2 == s { print $3 }')
	eval "dd_$s=$(echo "$runs" | grep . | fmedian)"
	printf '  %-22s %d runs: %s  median %s  best %s\n' "$(case $s in l1) echo "L1 native" ;;
		conduit) echo "L2 under conduit" ;; qemu) echo "L2 under QEMU vfio-pci" ;; esac)" \
		"$(echo "$runs" | grep -c .)" "$(echo $runs)" "$(eval echo \$dd_$s)" \
		"$(echo "$runs" | grep . | sort -n | tail -n 1)"
done
echo "  conduit / L1 native = $(fratio "$dd_conduit" "$dd_l1")   (target >= 0.90)"
echo "  conduit / QEMU      = $(fratio "$dd_conduit" "$dd_qemu")   (target >= 1.00)"
# The same ratios per round (means of a round's reads): the load of the
# machine changes between rounds more than within one.
tr -d '\r' <"$src" | awk '$1 == "BENCH-DD" && $4 != "" { s[$4, $2] += $3; n[$4, $2]++; if ($4 > max) max = $4 }
	function r(a, b) { return n[i, a] && n[i, b] ? sprintf("%.2f", (s[i, a] / n[i, a]) / (s[i, b] / n[i, b])) : "n/a" }
	END { for (i = 1; i <= max; i++) { l = l " " r("conduit", "l1"); q = q " " r("conduit", "qemu") }
		if (max) printf "  per round: conduit / L1 native:%s   conduit / QEMU:%s\n", l, q }'
set -- $(tr -d '\r' <"$src" | awk '$1 == "BENCH-PT-EXITS" { n++; if ($2 $3 ~ /^[0-9]+$/) { m += $2; p += $3 } else bad = 1 }
	END { if (n && !bad) print m, p, n }')
echo "  conduit BAR data exits outside the MSI-X table/PBA: MMIO ${1:-none}, PIO ${2:-none} (${3:-0} boots)   (target 0, 0)"
if tr -d '\r' <"$src" | grep -q '^BENCH-MAP '; then
	echo "conduit's DMA-map time in the bench-pt boots (--stats, thp):"
	for mib in $(tr -d '\r' <"$src" | awk '$1 == "BENCH-MAP" { print $2 }' | sort -nu); do
		runs=$(tr -d '\r' <"$src" | awk -v m="$mib" '$1 == "BENCH-MAP" && $2 == m && $3 != "none" { print $3 }')
		ms=$(echo "$runs" | grep . | fmedian)
		[ "$ms" = none ] || ms=$(awk -v ms="$ms" -v mib="$mib" 'BEGIN { printf "%.0f ms (%.0f ms per GiB)", ms, ms * 1024 / mib }')
		printf '  %5d MiB %d runs: %s  median %s\n' "$mib" "$(echo "$runs" | grep -c .)" \
			"$(echo $runs | awk '{ for (i = 1; i <= NF; i++) printf "%s%.0f", (i > 1 ? " " : ""), $i }')" "$ms"
	done
fi
# Guest RAM prefault + DMA map, conduit against QEMU (cases-bench.sh,
# bench-pt-map-*): medians per size and backing of the BENCH-MAPX lines.
if tr -d '\r' <"$src" | grep -q '^BENCH-MAPX'; then
	echo "guest RAM prefault + DMA map, conduit against QEMU 7.2 in the same L1 run (ms; /GiB = ms per GiB):"
	echo "  conduit: --passthrough --stats -v; prefault and map as --stats gives them; net = launch to"
	echo "           'guest started' minus the same launch without --passthrough"
	echo "  QEMU:    -S -smp 2 -device vfio-pci with prealloc; net = launch to the monitor's answer minus"
	echo "           the same launch without prealloc and vfio-pci. none: -mem-prealloc, THP off (never);"
	echo "           thp: -mem-prealloc (QEMU's default RAM, MADV_HUGEPAGE); 2M: memory-backend-memfd,"
	echo "           hugetlb=on,hugetlbsize=2M,prealloc=on,prealloc-threads=2"
	echo "  ratio = conduit net / QEMU net (both wall time minus baseline, measured the same way)"
	tr -d '\r' <"$src" | awk "$AWK_MED"'
	function add(key, v) { if (v == "none" || v == "-" || v == "") return; val[key, ++cnt[key]] = v }
	function f0(v) { return v == "none" ? "-" : sprintf("%.0f", v) }
	function pg(v, mib) { return v == "none" ? "-" : sprintf("%.0f", v * 1024 / mib) }
	$1 == "BENCH-MAPX" {
		b = $2; m = $3; if (!((b, m) in seen)) { seen[b, m] = 1; sizes[b] = sizes[b] " " m }
		if ($4 == "conduit") {
			add("pf" SUBSEP b SUBSEP m, $5); add("map" SUBSEP b SUBSEP m, $6)
			if ($5 != "none" && $6 != "none") add("tot" SUBSEP b SUBSEP m, $5 + $6)
			if ($7 != "none" && $8 != "none") add("cnet" SUBSEP b SUBSEP m, $7 - $8)
			runs[b, m]++
		} else if ($7 != "none" && $8 != "none") add(($4 == "qemu" ? "qnet" : "q1net") SUBSEP b SUBSEP m, $7 - $8)
	}
	$1 == "BENCH-MAPX-SKIP" { skipped = skipped sprintf("  %s %d MiB: skipped, %s\n", $2, $3, substr($0, index($0, $4))) }
	END {
		printf "  %-18s | %-31s | %-14s | %-15s|\n", "", "conduit --stats", "conduit net", "QEMU net -smp 2"
		printf "  %-7s %5s %4s | %8s %7s %7s %6s | %7s %6s | %7s %6s | %s\n", "backing", "MiB", "runs",
			"prefault", "map", "total", "/GiB", "ms", "/GiB", "ms", "/GiB", "conduit/QEMU"
		nb = split("none thp 2M", bs, " ")
		for (k = 1; k <= nb; k++) {
			b = bs[k]; ns = split(sizes[b], ms, " ")
			for (i = 1; i <= ns; i++) {
				m = ms[i]
				pf = med("pf" SUBSEP b SUBSEP m); mp = med("map" SUBSEP b SUBSEP m)
				tot = med("tot" SUBSEP b SUBSEP m); c = med("cnet" SUBSEP b SUBSEP m)
				q = med("qnet" SUBSEP b SUBSEP m)
				r = (c != "none" && q != "none" && q > 0) ? sprintf("%.2f", c / q) : "n/a"
				printf "  %-7s %5d %4d | %8s %7s %7s %6s | %7s %6s | %7s %6s | %s\n", b, m, runs[b, m],
					f0(pf), f0(mp), f0(tot), pg(tot, m), f0(c), pg(c, m), f0(q), pg(q, m), r
				if (b == "2M" && c != "none" && q != "none") { c2 += c; q2 += q; g2 += m / 1024 }
				q1 = med("q1net" SUBSEP b SUBSEP m)
				if (q1 != "none") {
					one = one sprintf("    %d MiB: QEMU -smp 1 net %.0f ms, %.0f per GiB; conduit / that = %s\n", m,
						q1, q1 * 1024 / m, (c != "none" && q1 > 0) ? sprintf("%.2f", c / q1) : "n/a")
					if (c != "none") { c1 += c; q1s += q1; g1 += m / 1024 }
				}
			}
		}
		printf "%s", skipped
		if (g2 > 0) {
			printf "  2M pages, all sizes together (%.0f GiB): conduit net %.0f ms per GiB, QEMU net %.0f ms per GiB\n", g2, c2 / g2, q2 / g2
			printf "  target: conduit <= 0.5x QEMU per GiB with 2M pages, against QEMU with memory-backend-memfd\n"
			printf "  hugetlb 2M, prealloc=on, -smp 2 (2 prealloc threads, like conduit): conduit / QEMU = %.2f   (target <= 0.50: %s)\n",
				(q2 > 0 ? c2 / q2 : 0), ((q2 > 0 && c2 / q2 <= 0.5) ? "met" : "not met")
		} else
			print "  2M pages: no conduit and QEMU figures to compare   (target conduit / QEMU <= 0.50)"
		if (g1 > 0) {
			printf "  for reference, QEMU as a 1-vCPU guest (-smp 1: its default of 1 prealloc thread), 2M:\n%s", one
			printf "  all sizes together: QEMU -smp 1 %.0f ms per GiB; conduit / QEMU -smp 1 = %.2f\n", q1s / g1, (q1s > 0 ? c1 / q1s : 0)
		}
	}'
fi
grep -E '^nested:' "$log"

rc2=0
if [ "${BENCH_BACKENDS:-1}" != 0 ]; then
	log2=$(mktemp)
	trap 'rm -f "$log" "$log2"' EXIT
	NESTED_SUITE=bench-iommufd NESTED_L1_KERNEL=project bash "$NESTED_DIR/run.sh" >"$log2" 2>&1
	rc2=$?
	backends_report "$log2"
fi
# The QMP hotplug figures (cases-bench-qmp.sh), conduit against QEMU: a
# third L1 on the project kernel with python3 and QEMU's client
# (BENCH_QMP=0 leaves it out; BENCH_SUITE=bench-qmp runs only it).
rc3=0
if [ "${BENCH_QMP:-1}" != 0 ]; then
	log3=$(mktemp)
	trap 'rm -f "$log" "${log2:-}" "$log3"' EXIT
	NESTED_SUITE=bench-qmp NESTED_L1_KERNEL=project bash "$NESTED_DIR/run.sh" >"$log3" 2>&1
	rc3=$?
	qmp_report "$log3"
fi
# conduit exec's boot to command (cases-bench-exec.sh): a fourth L1 on the
# project kernel (BENCH_EXEC=0 leaves it out; BENCH_SUITE=bench-exec runs
# only it), BENCH_EXEC_RUNS rounds (5).
rc4=0
if [ "${BENCH_EXEC:-1}" != 0 ]; then
	log4=$(mktemp)
	trap 'rm -f "$log" "${log2:-}" "${log3:-}" "$log4"' EXIT
	NESTED_SUITE=bench-exec NESTED_L1_KERNEL=project BENCH_RUNS=${BENCH_EXEC_RUNS:-5} \
		bash "$NESTED_DIR/run.sh" >"$log4" 2>&1
	rc4=$?
	exec_report "$log4"
fi
# Snapshot save and restore against QEMU's migrate to a file and
# -incoming (cases-bench-snapshot.sh): a fifth L1 on the project kernel
# with QEMU and python3 (BENCH_SNAPSHOT=0 leaves it out;
# BENCH_SUITE=bench-snapshot runs only it), BENCH_SNAPSHOT_RUNS rounds (3).
rc5=0
if [ "${BENCH_SNAPSHOT:-1}" != 0 ]; then
	log5=$(mktemp)
	trap 'rm -f "$log" "${log2:-}" "${log3:-}" "${log4:-}" "$log5"' EXIT
	NESTED_SUITE=bench-snapshot NESTED_L1_KERNEL=project BENCH_RUNS=${BENCH_SNAPSHOT_RUNS:-3} \
		bash "$NESTED_DIR/run.sh" >"$log5" 2>&1
	rc5=$?
	snapshot_report "$log5"
fi
# Live migration against QEMU's -incoming (cases-bench-migrate.sh): a sixth
# L1 on the project kernel with QEMU and python3 (BENCH_MIGRATE=0 leaves
# it out; BENCH_SUITE=bench-migrate runs only it), BENCH_MIGRATE_RUNS
# rounds (1).
rc6=0
if [ "${BENCH_MIGRATE:-1}" != 0 ]; then
	log6=$(mktemp)
	trap 'rm -f "$log" "${log2:-}" "${log3:-}" "${log4:-}" "${log5:-}" "$log6"' EXIT
	NESTED_SUITE=bench-migrate NESTED_L1_KERNEL=project BENCH_RUNS=${BENCH_MIGRATE_RUNS:-1} \
		bash "$NESTED_DIR/run.sh" >"$log6" 2>&1
	rc6=$?
	migrate_report "$log6"
fi
[ "$rc" = 0 ] || exit $rc
[ "$rc2" = 0 ] || exit $rc2
[ "$rc3" = 0 ] || exit $rc3
[ "$rc4" = 0 ] || exit $rc4
[ "$rc5" = 0 ] || exit $rc5
exit $rc6
