#!/bin/busybox sh
# conduit exec's /init in the guest: mount what a command expects, load
# the modules conduit chose (/conduit/modules: "name file" per line, in
# load order), wait for the command's two channels (stdout: virtio-console
# hvc0, stderr: the second UART ttyS1), run /conduit/command on them and
# report its exit status through /conduit/report (the exit port). Its own
# messages go to the console (ttyS0), which conduit shows with -v and, when
# the guest ends without a report, in its last lines.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts

while read -r name file; do
	insmod "$file" || echo "conduit-exec: insmod $name ($file) failed"
done < /conduit/modules

wait_for() {
	i=0
	while [ ! -c "$1" ]; do
		i=$((i + 1))
		if [ $i -gt 1000 ]; then
			echo "conduit-exec: $1 did not appear in 10 s ($2)"
			return 1
		fi
		sleep 0.01
	done
}
wait_for /dev/hvc0 "virtio-console: is virtio_console loaded or built in?" || poweroff -f
wait_for /dev/ttyS1 "the second 8250 UART" || poweroff -f
# Held open here for the whole run: hvc resets a tty's modes at its last
# close, and raw (no \n -> \r\n) must hold from the first byte to the last.
# (`command exec`: a failed open is a status here, not the end of init.)
i=0
until command exec 3<>/dev/hvc0 4<>/dev/ttyS1; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "conduit-exec: cannot open /dev/hvc0 and /dev/ttyS1"
		poweroff -f
	fi
	sleep 0.01
done
stty raw -echo <&3
stty raw -echo <&4

echo "conduit-exec: running the command"
sh /conduit/command </dev/null >&3 2>&4 3>&- 4>&-
status=$?
/conduit/report "$status" || echo "conduit-exec: cannot report exit status $status"
poweroff -f
