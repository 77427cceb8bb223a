#!/bin/sh
# tests/nested/l2-init.sh - the L2 guest agent, installed as /init of the L2
# initramfs (busybox sh). Owns what the guest does for each test case, chosen by
# conduit.test=NAME on the kernel command line:
#   init         print the markers and power off
#   nproc        print L2-NPROC=<n> and power off
#   echo-hvc     on /dev/hvc0: print L2-READY, read a line, print L2-ECHO:<line>
#   echo-serial  the same on /dev/ttyS0
#   poweroff     print L2-POWEROFF, poweroff -f   (conduit exits 0)
#   reboot       print L2-REBOOT, reboot -f       (conduit exits 3)
#   shell        interactive busybox shell on /dev/hvc0 (the demo guest)
#   shell-serial interactive busybox shell on /dev/ttyS0
#   hang         print the markers and never end (tests the harness's timeouts)
#   nvme-read    md5 of the whole passed-through NVMe (L2-MD5=), its MSI-X
#                interrupt count and mode (L2-NVME-IRQS=N msix) and PCI ids (L2-PCI:);
#                on arm64 the count and number of its ITS-MSI vectors (L2-NVME-ITS=N V)
#   nvme-write   write conduit.pattern=P at sector 1000 of the NVMe, read it
#                back (L2-READBACK=)
#   dmesg        print the kernel log (L2-DMESG: lines), to see where boot time goes
#   nvme-serial  nvme-read, then write conduit.pattern=P (repeated to 256
#                bytes, so the 16550 needs its THRE interrupt) to the tty of the
#                passed-through PCI serial card (two devices at once)
#   cpuinfo      print L2-FLAGS: (the CPU flags the guest sees) and xsave lines
#   reboot-nvme  reboot in place with the NVMe passed through: if sector 2000
#                does not hold conduit.pattern=P, write it (L2-REBOOT-WROTE)
#                and reboot; if it does (the second boot, after conduit reset
#                the device), print L2-REBOOT-SEEN=P and power off
#   ivshmem      through /dev/mem, write conduit.pattern=P (two 32-bit hex
#                words) at offset 0 and 5 GiB of the ivshmem device's 8 GiB
#                BAR2, read them back (L2-IVSHMEM-READ=), print the BAR
#                (L2-IVSHMEM-BAR2=start size)
#   soak         for conduit.soaksecs=N seconds: write 1 MiB of random data
#                to the NVMe at 4 MiB (direct I/O), read it back and compare
#                (L2-SOAK-MISMATCH on a difference), and send numbered lines
#                to hvc0 (L2-SOAK-LINE n); at the end L2-SOAK-DONE
#                verified=<bytes> lines=<n>
#   meminfo      print L2-MEMTOTAL-KB= (MemTotal) and the RAM ranges the
#                kernel took from e820 (L2-E820:)
#   mtty         the kernel's mtty sample mdev (a 2-port 16550 pair, PCI
#                4348:3253, I/O-port BARs and INTx), passed through: write
#                conduit.pattern=P to its first port, read back what mtty
#                loops into the receive FIFO (L2-MTTY-READ=), its interrupt
#                count (L2-MTTY-IRQS=)
#   net-dhcp     a DHCP lease over the passed-through vmxnet3 from L0's user
#                network (L2-LEASE=), the interrupt mode of the NIC's vectors
#                (L2-NET-IRQMODE=) and their count (L2-NET-IRQS=)
#   counter      (QMP stop/cont) L2-COUNT n every 0.1 s, forever
#   mtty-snap    (snapshot) the mtty mdev's first port opened by L2's serial
#                driver and held open: conduit.pattern=P + "a" through
#                mtty's loopback (L2-MTTY-BEFORE=what came back), then
#                L2-COUNT n every 0.1 s, and at count 100 P + "b" through
#                the same open port (L2-MTTY-AFTER=): after a restore in
#                between, only a device whose registers (IER, LCR, MCR...)
#                and INTx came back answers
#   powerbtn     (QMP system_powerdown) L2-TICK n every second, forever; the
#                power button ends it: busybox acpid runs /etc/acpi/PWRF/00000080
#                (L2-POWER-BUTTON, poweroff -f)
#   hotplug      (QMP device_add / device_del) watches the PCI devices with
#                ids conduit.hpid=VVVV:DDDD (default 1b36:0010, QEMU's NVMe)
#                every 0.2 s: L2-HP-ADDED BDF VVVV:DDDD, L2-HP-BOUND BDF
#                driver=DRV, L2-HP-UNBOUND BDF, L2-HP-GONE BDF; for each bound
#                NVMe (a generation N from 1 on) the md5 of its whole
#                namespace (L2-HP-MD5 gen=N BDF MD5), then a reader that
#                reads it again and again (dd, direct I/O) until a read fails:
#                L2-HP-READER-START gen=N BDF, L2-HP-READER-END gen=N
#                passes=P; for a bound 16550 card (serial driver: the mtty
#                mdev, conduit.hpid=4348:3253) conduit.pattern=P through its
#                loopback (L2-HP-MTTY-READ gen=N P, L2-HP-MTTY-IRQS gen=N C);
#                L2-TICK n every second, forever
#   mtty-live    (live migration with the mtty mdev) conduit.pattern=P (8
#                hex digits): 64 files of 1 MiB in RAM (rootfs), file i of
#                generation g all 16-byte lines "P" + i (3 digits) + g (4
#                digits), L2-MEM-FILLED; then a writer rewriting one file
#                after another with the next generation (a new file renamed
#                over the old), a checker reading every file again and
#                again (every line the one its first line says, 1 MiB
#                long: L2-MEMCHECK pass=N ok files=64, or
#                L2-MEMCHECK-BAD pass=N file=I ...), and every 0.1 s
#                L2-COUNT n on the console and L2-HVC n on /dev/hvc0, every
#                10th count "m" + n through mtty's loopback on the first
#                port of the first mtty device, held open
#                (L2-MTTY-LOOP n=N ok, or bad got=...)
#   mempattern   (live migration) /bin/mempattern (tests/nested/mempattern.c):
#                conduit.mpsize=MiB (default 64) filled with a pattern seeded
#                by conduit.mpseed=HEX, rewritten at conduit.mprate=MiB/s
#                (default 4), verified pass after pass: L2-MEMPATTERN pass=N
#                pages=P bad=B rewritten=R seed=HEX
#   counter, mtty-snap, mtty-live, mempattern, powerbtn and hotplug load the virtio, button and evdev modules
#   and start acpid first (L2-ACPID-READY inputs=NAMES), so the power button
#   ends each of them.
# Markers go to /dev/console (ttyS0 with console=ttyS0) and always start a line.

# First thing: the boot-to-init marker (the runner times launch -> this line).
echo CONDUIT-L2-INIT

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

# Drivers the guest needs whatever its test, as modules in this kernel
# (the arm64 L2's nvme, tests/nested/arm64/build.sh): loaded first.
if [ -f /lib/modules/early ]; then
	for m in $(cat /lib/modules/early); do
		insmod "/lib/modules/$m" || echo "L2-ERROR: insmod $m failed"
	done
fi

TEST=
for w in $(cat /proc/cmdline); do
	case $w in
	conduit.test=*) TEST=${w#conduit.test=} ;;
	esac
done
echo "L2-TEST=$TEST"

# Output written just before poweroff -f may still sit in the UART's buffer.
finish() {
	sleep "${DRAIN:-0.1}"
	case $1 in
	reboot) reboot -f ;;
	*) poweroff -f ;;
	esac
	sleep 10
}

fail() {
	echo "L2-ERROR: $*"
	finish poweroff
}

load_virtio() {
	for m in $(cat /lib/modules/order); do
		insmod "/lib/modules/$m" || echo "L2-ERROR: insmod $m failed"
	done
}

# wait_dev PATH: up to 10 s for a device node to appear.
wait_dev() {
	i=0
	while [ ! -c "$1" ]; do
		i=$((i + 1))
		[ "$i" -le 100 ] || return 1
		sleep 0.1
	done
}

# wait_blk PATH: up to 10 s for a block device node to appear.
wait_blk() {
	i=0
	while [ ! -b "$1" ]; do
		i=$((i + 1))
		[ "$i" -le 100 ] || return 1
		sleep 0.1
	done
}

# agent_start: modules (virtio, the ACPI button, evdev) and busybox acpid
# on every input device, so an ACPI power-button press powers L2 off.
agent_start() {
	load_virtio
	i=0
	while ! ls /dev/input/event* >/dev/null 2>&1 && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	names=$(cat /sys/class/input/input*/name 2>/dev/null | tr ' ' _ | tr '\n' ,)
	mkdir -p /var/log /var/run
	# Without -e, busybox acpid reads /dev/input/event*.
	acpid -f -l /var/log/acpid.log &
	echo "L2-ACPID-READY inputs=${names%,}"
}

# ticks SECS PREFIX: PREFIX n, n = 1, 2, ..., every SECS seconds, forever.
ticks() {
	n=0
	while :; do
		n=$((n + 1))
		echo "$2 $n"
		sleep "$1"
	done
}

# hp_reader GEN BDF: waits for BDF's NVMe namespace, prints its md5, then
# reads it until a read fails (the device went away).
# mtty_loop P: P written to the port open on fd 4, what mtty's loopback
# gives back within 10 s printed.
mtty_loop() {
	( timeout 10 head -c ${#1} <&4 >/tmp/mtty.loop ) &
	ml=$!
	sleep 0.5
	printf '%s' "$1" >&4
	wait "$ml"
	cat /tmp/mtty.loop
}

# mtty_tty: the tty of the first port of the first mtty device (4348:3253)
# in tty, or fail.
mtty_tty() {
	tty=''
	for t in /sys/class/tty/ttyS*; do
		d=$(readlink -f "$t/device" 2>/dev/null)
		[ -n "$d" ] && [ -f "$d/vendor" ] || continue
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x4348:0x3253 ] || continue
		[ -n "$tty" ] || tty=/dev/${t##*/}
	done
	[ -n "$tty" ] || fail "no tty of the mtty device (4348:3253)"
}

# mem_line SEED I G: the 16-byte line (newline included) of file I, generation G.
mem_line() {
	printf '%s%03d%04d' "$1" "$2" "$3"
}

# mem_write SEED I G: file I of generation G, written aside and renamed in.
mem_write() {
	yes "$(mem_line "$1" "$2" "$3")" | head -c 1048576 >/tmp/mem/.new
	mv /tmp/mem/.new "/tmp/mem/$2"
}

# mem_writer SEED: file (g * 7) % 64 rewritten with generation g, g = 1...,
# until /tmp/mem.stop appears.
mem_writer() {
	g=0
	while [ ! -e /tmp/mem.stop ]; do
		g=$((g % 9999 + 1))
		mem_write "$1" $(((g * 7) % 64)) "$g"
	done
}

# mem_checker SEED: every file checked, again and again: 1 MiB long, every
# line the line of the seed, its number and the generation its first line
# says.
mem_checker() {
	p=0
	while :; do
		p=$((p + 1))
		bad=0
		i=0
		while [ $i -lt 64 ]; do
			# a link to the file as it is now: the writer renames a
			# new one over the name, never changes this one
			f=/tmp/mem.check
			rm -f "$f"
			ln "/tmp/mem/$i" "$f"
			first=$(head -n 1 "$f")
			case $first in
			"$(printf '%s%03d' "$1" $i)"????) ;;
			*) echo "L2-MEMCHECK-BAD pass=$p file=$i first line '$first'"; bad=1 ;;
			esac
			n=$(grep -c -v -x -F "$first" "$f")
			len=$(wc -c <"$f")
			[ "$n" = 0 ] && [ "$len" = 1048576 ] ||
				{ echo "L2-MEMCHECK-BAD pass=$p file=$i lines not '$first': $n, bytes $len"; bad=1; }
			i=$((i + 1))
		done
		[ $bad = 1 ] || echo "L2-MEMCHECK pass=$p ok files=64"
	done
}

hp_reader() {
	gen=$1 bdf=$2 blk=''
	i=0
	while [ -z "$blk" ] && [ $i -lt 100 ]; do
		blk=$(ls -d /sys/bus/pci/devices/"$bdf"/nvme/nvme*/nvme*n1 2>/dev/null | head -n 1)
		[ -n "$blk" ] || sleep 0.1
		i=$((i + 1))
	done
	[ -n "$blk" ] || { echo "L2-HP-ERROR gen=$gen $bdf: no namespace"; return; }
	dev=/dev/${blk##*/}
	wait_blk "$dev" || { echo "L2-HP-ERROR gen=$gen $bdf: no $dev"; return; }
	echo "L2-HP-MD5 gen=$gen $bdf $(md5sum <"$dev" | cut -d' ' -f1)"
	echo "L2-HP-READER-START gen=$gen $bdf"
	p=0
	while dd if="$dev" of=/dev/null bs=1M iflag=direct 2>/dev/null; do
		p=$((p + 1))
	done
	echo "L2-HP-READER-END gen=$gen passes=$p"
}

# hp_serial GEN BDF: a hot-added 16550 card (the mtty mdev): conduit.pattern=P
# written to its first port, read back through mtty's loopback (by port I/O
# and INTx): L2-HP-MTTY-READ gen=N P, and its interrupt count
# (L2-HP-MTTY-IRQS gen=N COUNT); the tty is closed again, so the 8250
# driver lets the card go at device_del.
hp_serial() {
	gen=$1 bdf=$2 tty=''
	PAT=$(sed -n 's/.*conduit.pattern=\([^ ]*\).*/\1/p' /proc/cmdline)
	i=0
	while [ -z "$tty" ] && [ $i -lt 50 ]; do
		for t in /sys/class/tty/ttyS*; do
			case $(readlink -f "$t/device" 2>/dev/null) in
			*/"$bdf") [ -n "$tty" ] || tty=/dev/${t##*/} ;;
			esac
		done
		[ -n "$tty" ] || sleep 0.1
		i=$((i + 1))
	done
	[ -n "$tty" ] || { echo "L2-HP-ERROR gen=$gen $bdf: no tty"; return; }
	wait_dev "$tty" || { echo "L2-HP-ERROR gen=$gen $bdf: no $tty"; return; }
	echo "L2-HP-MTTY-TTY gen=$gen $bdf $tty"
	stty -F "$tty" raw -echo 115200 || echo "L2-WARN: stty on $tty failed"
	exec 4<>"$tty"
	( timeout 10 head -c ${#PAT} <&4 >/tmp/hp-mtty.read ) &
	rd=$!
	sleep 0.5
	printf '%s' "$PAT" >&4
	wait "$rd"
	irqs=$(awk '/ttyS|serial/ && !/ 4-edge/ { for (i = 2; i < NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' /proc/interrupts)
	grep -i "ttyS\|serial" /proc/interrupts | sed 's/^/L2-IRQ: /'
	echo "L2-HP-MTTY-IRQS gen=$gen $irqs"
	echo "L2-HP-MTTY-READ gen=$gen $(cat /tmp/hp-mtty.read)"
	# Closing a port with output it could not send waits 30 s to drain.
	[ ! -s /tmp/hp-mtty.read ] || exec 4>&-
}

# hp_watch ID: the PCI devices with vendor:device ID coming, binding,
# unbinding and going (hotplug above).
hp_watch() {
	want=$1 known='' gen=0
	vid=0x${want%%:*} did=0x${want##*:}
	while :; do
		now=''
		for d in /sys/bus/pci/devices/*; do
			[ "$(cat "$d/vendor" 2>/dev/null)" = "$vid" ] || continue
			[ "$(cat "$d/device" 2>/dev/null)" = "$did" ] || continue
			now="$now ${d##*/}=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)"
		done
		for e in $now; do
			b=${e%%=*} drv=${e#*=}
			case " $known " in *" $e "*) continue ;; esac
			case " $known " in *" $b="*) ;; *) echo "L2-HP-ADDED $b $want" ;; esac
			if [ -n "$drv" ]; then
				echo "L2-HP-BOUND $b driver=$drv"
				if [ "$drv" = nvme ]; then
					gen=$((gen + 1))
					hp_reader "$gen" "$b" &
				elif [ "$drv" = serial ]; then
					gen=$((gen + 1))
					hp_serial "$gen" "$b" &
				fi
			else
				for k in $known; do
					[ "${k%%=*}" = "$b" ] && [ -n "${k#*=}" ] && echo "L2-HP-UNBOUND $b"
				done
			fi
		done
		for e in $known; do
			b=${e%%=*}
			case " $now " in *" $b="*) ;; *) echo "L2-HP-GONE $b" ;; esac
		done
		known=$now
		sleep 0.2
	done
}

# pci_serial_write: the pattern, 256 bytes, to the tty whose device is a PCI
# serial card (not the legacy COM ports).
pci_serial_write() {
	PAT=$(sed -n 's/.*conduit.pattern=\([^ ]*\).*/\1/p' /proc/cmdline)
	tty=''
	for t in /sys/class/tty/ttyS*; do
		case $(readlink "$t/device" 2>/dev/null) in
		*/0000:00:*) tty=/dev/${t##*/} ;;
		esac
	done
	[ -n "$tty" ] || fail "no tty for a PCI serial card"
	stty -F "$tty" raw -echo 115200 || echo "L2-WARN: stty on $tty failed"
	line=''
	while [ ${#line} -lt 256 ]; do line="$line$PAT."; done
	# Held open: the 8250 driver frees its interrupt when the tty closes.
	exec 4>"$tty"
	printf '%s\n' "$line" >&4
	sleep 1
	echo "L2-PCISERIAL-SENT $tty ${#line}"
	grep -i "ttyS\|serial" /proc/interrupts | sed 's/^/L2-IRQ: /'
	echo "L2-INTX=$(awk '/ttyS|serial/ && !/ 4-edge/ { for (i = 2; i < NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' /proc/interrupts)"
	exec 4>&-
}

# echo_on DEV: the echo protocol on a tty, with its own echo switched off.
echo_on() {
	wait_dev "$1" || fail "no $1"
	exec 3<>"$1" || fail "cannot open $1"
	stty -echo <&3 || echo "L2-WARN: stty -echo on $1 failed"
	echo L2-READY >&3
	IFS= read -r line <&3
	echo "L2-ECHO:$line" >&3
	exec 3>&-
}

# shell_on DEV: an interactive shell with DEV as its controlling tty.
shell_on() {
	wait_dev "$1" || fail "no $1"
	echo "L2-SHELL on $1 (exit the shell to power off)"
	setsid sh -c "exec sh -i <$1 >$1 2>&1"
}

case $TEST in
init) ;;
nproc) echo "L2-NPROC=$(nproc)" ;;
echo-hvc) load_virtio && echo_on /dev/hvc0 ;;
echo-serial) echo_on /dev/ttyS0 ;;
poweroff) echo L2-POWEROFF ;;
reboot)
	echo L2-REBOOT
	finish reboot
	;;
shell) load_virtio && shell_on /dev/hvc0 ;;
shell-serial) shell_on /dev/ttyS0 ;;
hang) while :; do sleep 1000; done ;;
nvme-read | nvme-serial)
	wait_blk /dev/nvme0n1 || fail "no /dev/nvme0n1"
	for d in /sys/bus/pci/devices/*; do
		echo "L2-PCI: ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") driver=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)"
	done
	echo "L2-MD5=$(md5sum </dev/nvme0n1 | cut -d' ' -f1)"
	# The count from /proc/interrupts, the mode from sysfs (msi_irqs/N
	# holds "msi" or "msix"; 6.1's /proc/interrupts says PCI-MSI for both).
	mode=$(cat /sys/bus/pci/drivers/nvme/*/msi_irqs/* 2>/dev/null | sort -u | tr '\n' ' ')
	echo "L2-NVME-IRQS=$(awk '/nvme/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' /proc/interrupts) ${mode:-none}"
	# arm64: the NVMe's vectors are MSIs through the GICv3 ITS ("ITS-MSI"
	# lines): their interrupt count and how many vectors (0 0 on x86).
	echo "L2-NVME-ITS=$(awk '/ITS-MSI/ && /nvme/ { n++; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0, n + 0 }' /proc/interrupts)"
	[ "$TEST" = nvme-read ] || pci_serial_write
	;;
reboot-nvme)
	wait_blk /dev/nvme0n1 || fail "no /dev/nvme0n1"
	PAT=$(sed -n 's/.*conduit.pattern=\([^ ]*\).*/\1/p' /proc/cmdline)
	[ -n "$PAT" ] || fail "no conduit.pattern="
	got=$(dd if=/dev/nvme0n1 bs=512 skip=2000 count=1 iflag=direct 2>/dev/null | head -c ${#PAT})
	if [ "$got" = "$PAT" ]; then
		echo "L2-REBOOT-SEEN=$got"
	else
		printf '%s' "$PAT" | dd of=/dev/nvme0n1 bs=512 seek=2000 conv=notrunc,fsync 2>/dev/null
		sync
		echo "L2-REBOOT-WROTE"
		finish reboot
	fi
	;;
ivshmem)
	dev=''
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1af4:0x1110 ] && dev=$d
	done
	[ -n "$dev" ] || fail "no ivshmem device"
	set -- $(sed -n 3p "$dev/resource")
	start=$(($1)) size=$(($2 - $1 + 1))
	echo "L2-IVSHMEM-BAR2=$(printf '0x%x' "$start") $size"
	PAT=$(sed -n 's/.*conduit.pattern=\([^ ]*\).*/\1/p' /proc/cmdline)
	w0=0x${PAT%%,*} w1=0x${PAT##*,}
	echo 1 >"$dev/enable" 2>/dev/null
	devmem $((start)) 32 "$w0" || fail "devmem write at BAR2"
	devmem $((start + (5 << 30))) 32 "$w1" || fail "devmem write at BAR2 + 5 GiB"
	echo "L2-IVSHMEM-READ=$(devmem $((start)) 32) $(devmem $((start + (5 << 30))) 32)"
	;;
soak)
	load_virtio
	wait_blk /dev/nvme0n1 || fail "no /dev/nvme0n1"
	wait_dev /dev/hvc0 || fail "no /dev/hvc0"
	secs=$(sed -n 's/.*conduit.soaksecs=\([0-9]*\).*/\1/p' /proc/cmdline)
	end=$(($(cut -d. -f1 /proc/uptime) + ${secs:-30}))
	verified=0 lines=0
	exec 5>/dev/hvc0
	while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
		head -c 1048576 /dev/urandom >/tmp/soak.w
		dd if=/tmp/soak.w of=/dev/nvme0n1 bs=65536 seek=64 oflag=direct conv=notrunc 2>/dev/null ||
			fail "NVMe write failed"
		dd if=/dev/nvme0n1 of=/tmp/soak.r bs=65536 skip=64 count=16 iflag=direct 2>/dev/null ||
			fail "NVMe read failed"
		if ! cmp -s /tmp/soak.w /tmp/soak.r; then
			echo "L2-SOAK-MISMATCH after $verified bytes"
			break
		fi
		verified=$((verified + 1048576))
		i=0
		while [ $i -lt 50 ]; do
			lines=$((lines + 1))
			echo "L2-SOAK-LINE $lines ................................................................" >&5
			i=$((i + 1))
		done
	done
	exec 5>&-
	echo "L2-SOAK-DONE verified=$verified lines=$lines"
	;;
meminfo)
	echo "L2-MEMTOTAL-KB=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
	grep "System RAM" /proc/iomem | sed 's/^/L2-E820: /'
	;;
net-dhcp)
	load_virtio
	nic=''
	i=0
	while [ -z "$nic" ] && [ $i -lt 100 ]; do
		for n in /sys/class/net/*; do
			[ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)" 2>/dev/null)" = vmxnet3 ] && nic=${n##*/}
		done
		[ -n "$nic" ] || sleep 0.1
		i=$((i + 1))
	done
	[ -n "$nic" ] || fail "no vmxnet3 interface"
	ip link set "$nic" up || fail "ip link set $nic up"
	printf '#!/bin/sh\n[ "$1" = bound ] && echo "L2-LEASE=$ip"\nexit 0\n' >/tmp/dhcp.sh
	chmod 755 /tmp/dhcp.sh
	udhcpc -i "$nic" -n -q -t 10 -T 1 -s /tmp/dhcp.sh || echo "L2-ERROR: udhcpc on $nic failed"
	echo "L2-NET-IRQMODE=$(cat /sys/class/net/"$nic"/device/msi_irqs/* 2>/dev/null | sort -u | tr '\n' ' ')"
	echo "L2-NET-IRQS=$(awk -v n="$nic" '$0 ~ n { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' /proc/interrupts)"
	grep "$nic" /proc/interrupts | sed 's/^/L2-IRQ: /'
	;;
nvme-write)
	wait_blk /dev/nvme0n1 || fail "no /dev/nvme0n1"
	PAT=$(sed -n 's/.*conduit.pattern=\([^ ]*\).*/\1/p' /proc/cmdline)
	[ -n "$PAT" ] || fail "no conduit.pattern="
	printf '%s' "$PAT" | dd of=/dev/nvme0n1 bs=512 seek=1000 conv=notrunc,fsync 2>/dev/null
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo "L2-READBACK=$(dd if=/dev/nvme0n1 bs=512 skip=1000 count=1 iflag=direct 2>/dev/null | head -c ${#PAT})"
	;;
nvme-dd)
	# The passthrough benchmark (cases-bench.sh): conduit.runs=N timed runs,
	# each reading the whole NVMe conduit.passes=M times with dd (direct I/O,
	# 1 MiB blocks); one line a run: L2-DD <MB/s (10^6 B/s)> <bytes> <ms>.
	wait_blk /dev/nvme0n1 || fail "no /dev/nvme0n1"
	runs=$(sed -n 's/.*conduit.runs=\([0-9]*\).*/\1/p' /proc/cmdline)
	passes=$(sed -n 's/.*conduit.passes=\([0-9]*\).*/\1/p' /proc/cmdline)
	runs=${runs:-3} passes=${passes:-4} mib=$(($(cat /sys/block/nvme0n1/size) / 2048)) r=0
	while [ "$r" -lt "$runs" ]; do
		: >/tmp/dd.err
		t0=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime) p=0
		while [ "$p" -lt "$passes" ]; do
			dd if=/dev/nvme0n1 of=/dev/null bs=1M iflag=direct 2>>/tmp/dd.err
			p=$((p + 1))
		done
		ms=$(($(awk '{ printf "%d", $1 * 1000 }' /proc/uptime) - t0))
		[ "$(grep -c "^$mib+0 records in" /tmp/dd.err)" = "$passes" ] ||
			fail "dd did not read $mib MiB: $(tr '\n' ' ' </tmp/dd.err)"
		awk -v b=$((mib * 1048576 * passes)) -v ms="$ms" \
			'BEGIN { printf "L2-DD %.1f %d %d\n", (ms > 0 ? b / ms / 1000 : 0), b, ms }'
		r=$((r + 1))
	done
	;;
mtty)
	PAT=$(sed -n 's/.*conduit.pattern=\([^ ]*\).*/\1/p' /proc/cmdline)
	[ -n "$PAT" ] || fail "no conduit.pattern="
	tty=''
	for t in /sys/class/tty/ttyS*; do
		d=$(readlink -f "$t/device" 2>/dev/null)
		[ -n "$d" ] && [ -f "$d/vendor" ] || continue
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x4348:0x3253 ] || continue
		[ -n "$tty" ] || tty=/dev/${t##*/}
	done
	[ -n "$tty" ] || fail "no tty of the mtty device (4348:3253)"
	echo "L2-MTTY-TTY=$tty"
	stty -F "$tty" raw -echo 115200 || echo "L2-WARN: stty on $tty failed"
	exec 4<>"$tty"
	( timeout 10 head -c ${#PAT} <&4 >/tmp/mtty.read ) &
	rd=$!
	sleep 0.5
	printf '%s' "$PAT" >&4
	wait "$rd"
	echo "L2-MTTY-READ=$(cat /tmp/mtty.read)"
	# The UART's own counters (tx/rx, the irq) and the kernel's view.
	sed 's/^/L2-MTTY-UART: /' /proc/tty/driver/serial 2>/dev/null
	[ -s /tmp/mtty.read ] || dmesg | grep -i 'tty\|serial\|irq' | tail -n 20 | sed 's/^/L2-DMESG: /'
	grep -i "ttyS\|serial" /proc/interrupts | sed 's/^/L2-IRQ: /'
	echo "L2-MTTY-IRQS=$(awk '/ttyS|serial/ && !/ 4-edge/ { for (i = 2; i < NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' /proc/interrupts)"
	# Closing a port with output it could not send waits 30 s for it
	# to drain: only close what worked (poweroff -f does not care).
	[ ! -s /tmp/mtty.read ] || exec 4>&-
	;;
mtty-snap)
	agent_start
	PAT=$(sed -n 's/.*conduit.pattern=\([^ ]*\).*/\1/p' /proc/cmdline)
	[ -n "$PAT" ] || fail "no conduit.pattern="
	tty=''
	for t in /sys/class/tty/ttyS*; do
		d=$(readlink -f "$t/device" 2>/dev/null)
		[ -n "$d" ] && [ -f "$d/vendor" ] || continue
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x4348:0x3253 ] || continue
		[ -n "$tty" ] || tty=/dev/${t##*/}
	done
	[ -n "$tty" ] || fail "no tty of the mtty device (4348:3253)"
	stty -F "$tty" raw -echo 115200 || echo "L2-WARN: stty on $tty failed"
	exec 4<>"$tty"
	echo "L2-MTTY-BEFORE=$(mtty_loop "${PAT}a")"
	n=0
	while :; do
		n=$((n + 1))
		echo "L2-COUNT $n"
		[ $n != 100 ] || echo "L2-MTTY-AFTER=$(mtty_loop "${PAT}b")"
		sleep 0.1
	done
	;;
mtty-live)
	agent_start
	PAT=$(sed -n 's/.*conduit.pattern=\([0-9a-f]\{8\}\).*/\1/p' /proc/cmdline)
	[ -n "$PAT" ] || fail "no conduit.pattern= of 8 hex digits"
	mtty_tty
	stty -F "$tty" raw -echo 115200 || echo "L2-WARN: stty on $tty failed"
	exec 4<>"$tty"
	wait_dev /dev/hvc0 || fail "no /dev/hvc0"
	exec 5>/dev/hvc0
	mkdir -p /tmp/mem
	i=0
	while [ $i -lt 64 ]; do
		mem_write "$PAT" $i 0
		i=$((i + 1))
	done
	echo "L2-MEM-FILLED files=64"
	mem_writer "$PAT" &
	mem_checker "$PAT" &
	n=0
	while :; do
		n=$((n + 1))
		echo "L2-COUNT $n"
		echo "L2-HVC $n" >&5
		if [ $((n % 10)) = 0 ]; then
			got=$(mtty_loop "m$n")
			if [ "$got" = "m$n" ]; then
				echo "L2-MTTY-LOOP n=$n ok"
			else
				echo "L2-MTTY-LOOP n=$n bad got='$got'"
			fi
		fi
		sleep 0.1
	done
	;;
counter)
	agent_start
	n=0
	while :; do
		n=$((n + 1))
		echo "L2-COUNT $n"
		sleep 0.1
	done
	;;
mempattern)
	agent_start
	arg() { sed -n "s/.*conduit.$1=\([0-9a-f]*\).*/\1/p" /proc/cmdline; }
	size=$(arg mpsize) rate=$(arg mprate) seed=$(arg mpseed)
	exec /bin/mempattern "${size:-64}" "${rate:-4}" "${seed:-5eed}"
	;;
powerbtn)
	agent_start
	ticks 1 L2-TICK
	;;
hotplug)
	agent_start
	id=$(sed -n 's/.*conduit.hpid=\([0-9a-f]*:[0-9a-f]*\).*/\1/p' /proc/cmdline)
	hp_watch "${id:-1b36:0010}" &
	ticks 1 L2-TICK
	;;
dmesg) dmesg | sed 's/^/L2-DMESG: /' ;;
cpuinfo)
	echo "L2-FLAGS: $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2)"
	dmesg | grep -iE 'xsave|xstate|fpu' | sed 's/^/L2-DMESG: /'
	;;
*) fail "unknown conduit.test='$TEST'" ;;
esac
finish poweroff
