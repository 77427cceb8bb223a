#!/bin/sh
# Command-line and input-validation tests: every bad input gets a one-line
# error naming the problem and the right exit code, before any VM exists.
# Usage: tests/cli/run.sh ./conduit
set -u
BIN=${1:-./conduit}
. "$(dirname "$0")/lib.sh"

# put LE integer: put FILE OFFSET BYTES VALUE
put() {
	i=0
	v=$4
	while [ $i -lt "$3" ]; do
		printf "\\$(printf %03o $((v & 255)))" |
			dd of="$1" bs=1 seek=$(($2 + i)) conv=notrunc status=none
		v=$((v >> 8))
		i=$((i + 1))
	done
}

# A synthetic bzImage: mkbz FILE [version] [loadflags] [xloadflags] [syssize_paragraphs]
mkbz() {
	f=$1
	head -c 8192 /dev/zero > "$f"
	put "$f" $((0x1f1)) 1 3                  # setup_sects: 4 * 512 + 512 = 2048
	put "$f" $((0x1f4)) 4 "${5:-384}"        # syssize in 16-byte units (6144 bytes)
	put "$f" $((0x1fe)) 2 $((0xaa55))
	printf 'HdrS' | dd of="$f" bs=1 seek=$((0x202)) conv=notrunc status=none
	put "$f" $((0x206)) 2 "${2:-$((0x020f))}"
	put "$f" $((0x211)) 1 "${3:-1}"
	put "$f" $((0x22c)) 4 $((0x7fffffff))    # initrd_addr_max
	put "$f" $((0x236)) 2 "${4:-1}"
	put "$f" $((0x238)) 4 2048               # cmdline_size
	put "$f" $((0x260)) 4 $((0x100000))      # init_size
}


mkbz "$T/good"
mkbz "$T/old" $((0x0200))
mkbz "$T/zimage" $((0x020f)) 0
mkbz "$T/k32" $((0x020f)) 1 0
mkbz "$T/trunc" $((0x020f)) 1 1 100000
printf 'just text\n' > "$T/text"
: > "$T/empty"
truncate -s 300M "$T/bigrd"
printf 'kernel = %s\n' "$T/text" > "$T/ok.cfg"
printf '# comment\nmemory = 64M\nbogus = 1\n' > "$T/badkey.cfg"
long=$(head -c 3000 /dev/zero | tr '\0' 'a')

expect "--version"             0 "conduit [0-9]" -- --version
expect "--help"                0 "Exit codes" -- --help
expect "no kernel"             2 "no kernel given" --
expect "unknown option"        2 "unknown option '--frobnicate'" -- --frobnicate
expect "missing option value"  2 "needs a value" -- --kernel
expect "stray argument"        2 "unexpected argument 'extra'" -- --kernel "$T/good" extra
expect "bad memory suffix"     2 "unknown suffix" -- --kernel "$T/good" --memory 12Q
expect "memory below minimum"  2 "below the 16M minimum" -- --kernel "$T/good" --memory 1M
expect "cpus 0"                2 "not a number from 1 to" -- --kernel "$T/good" --cpus 0
expect "cpus garbage"          2 "not a number from 1 to" -- --kernel "$T/good" --cpus 2x
expect "bad console"           2 "not 'virtio' or 'serial'" -- --kernel "$T/good" --console vga
expect "dump-dtb on x86"      1 "--dump-dtb $T/g.dtb: an x86 guest has ACPI tables, not a device tree" -- --kernel "$T/good" --dump-dtb "$T/g.dtb"
expect "missing config"        2 "config file $T/none.cfg: No such file" -- --config "$T/none.cfg"
expect "bad config key"        2 "badkey.cfg:3: unknown key 'bogus'" -- --config "$T/badkey.cfg"
head -c 65536 /dev/zero | tr '\0' '#' > "$T/64k.cfg"
expect "config of exactly 64 KiB" 2 "no kernel given" -- --config "$T/64k.cfg"
{ cat "$T/64k.cfg"; printf '#'; } > "$T/big.cfg"
expect "config over 64 KiB"    2 "big.cfg: unreadable or larger than 64 KiB" -- --config "$T/big.cfg"
expect "missing kernel"        1 "kernel $T/nope: No such file or directory" -- --kernel "$T/nope"
expect "kernel is a directory" 1 "not a regular file" -- --kernel "$T"
expect "empty kernel"          1 "file is empty" -- --kernel "$T/empty"
expect "text as kernel"        1 "too small to be a bzImage" -- --kernel "$T/text"
expect "not a bzImage"         1 "not a Linux bzImage" -- --kernel "$T/bigrd"
expect "old boot protocol"     1 "boot protocol 2.00 is too old" -- --kernel "$T/old"
expect "zImage"                1 "not loaded high" -- --kernel "$T/zimage"
expect "32-bit kernel"         1 "no 64-bit entry point" -- --kernel "$T/k32"
expect "truncated kernel"      1 "truncated: header says" -- --kernel "$T/trunc"
expect "missing initrd"        1 "initrd $T/nope: No such file" -- --kernel "$T/good" --initrd "$T/nope"
expect "initrd too big"        1 "initrd $T/bigrd: initrd of 300 MiB does not fit" -- --kernel "$T/good" --initrd "$T/bigrd" --memory 128M
expect "cmdline too long"      1 "command line is 3000 bytes" -- --kernel "$T/good" --cmdline "$long"
expect "passthrough bad option" 1 "--passthrough 00:03.0,bogus: unknown option 'bogus' (the one option is msix=off)" -- --kernel "$T/good" --passthrough 00:03.0,bogus
expect "passthrough bad address" 1 "'00:3.0,msix=off' is not a PCI address\|--passthrough 00:3.0,msix=off" -- --kernel "$T/good" --passthrough 00:3.0,msix=off
expect "--help: --no-reboot"   0 "no-reboot" -- --help
expect "bad --hugepages"       2 "hugepages '4K' is not none, thp, 2M or 1G" -- --kernel "$T/good" --hugepages 4K
expect "hugepages: odd memory" 1 "--memory 255 MiB is not a multiple of the 2 MiB page size" -- --kernel "$T/good" --hugepages 2M --memory 255M
hp=/sys/kernel/mm/hugepages/hugepages-2048kB
if [ -d "$hp" ] && [ $(($(cat $hp/free_hugepages) - $(cat $hp/resv_hugepages))) -lt 128 ]; then
	expect "hugepages: none free" 1 "256 MiB of guest RAM needs 128 pages of 2M, the host has [0-9]* free: reserve more with 'echo [0-9]* > $hp/nr_hugepages'" -- --kernel "$T/good" --hugepages 2M --memory 256M
else
	skip "hugepages: none free" "no 2 MiB hugepage pool, or 128 of its pages free"
fi
expect "memory beyond host"    1 "more than this host's" -- --kernel "$T/good" --memory 64T
expect "command line overrides config" 1 "kernel $T/good2: No such file" -- --config "$T/ok.cfg" --kernel "$T/good2"
expect "config value is used"  1 "kernel $T/text: file is" -- --config "$T/ok.cfg"

# The bad-input table in README.md ("Bad input"): the rows not above.
head -c 65536 /dev/urandom > "$T/random"
printf 'kernel = %s\nmemory\n' "$T/good" > "$T/noeq.cfg"
mkbz "$T/huge"
put "$T/huge" $((0x260)) 4 $((64 << 20))   # init_size: 64 MiB
expect "random bytes as kernel" 1 "kernel $T/random: not a Linux bzImage (no boot signature / HdrS header)" -- --kernel "$T/random"
expect "kernel too big for memory" 1 "kernel $T/huge: needs 64 MiB of RAM from 1 MiB up, guest has 32 MiB below 4 GiB: raise --memory" -- --kernel "$T/huge" --memory 32M
expect "memory 0"              2 "--memory: memory '0' is below the 16M minimum" -- --kernel "$T/good" --memory 0
expect "cpus 65"               2 "--cpus: cpus '65' is not a number from 1 to 64" -- --kernel "$T/good" --cpus 65
expect "config line without =" 2 "noeq.cfg:2: expected 'key = value'" -- --config "$T/noeq.cfg"
expect "passthrough malformed address" 1 "--passthrough 00:3.0: '00:3.0' is not a PCI address: a PCI address is DDDD:BB:DD.F" -- --kernel "$T/good" --passthrough 00:3.0
expect "passthrough empty address" 1 "--passthrough : no PCI address given" -- --kernel "$T/good" --passthrough ""
expect "passthrough no such device" 1 "there is no PCI device ffff:ff:1f.7 on this host: 'conduit devices' lists" -- --kernel "$T/good" --passthrough ffff:ff:1f.7
expect "bad --vfio-backend"    2 "--vfio-backend: vfio-backend 'bogus' is not auto, iommufd or legacy" -- --kernel "$T/good" --vfio-backend bogus
expect "mdev not a UUID"       1 "--passthrough mdev:1234: not a UUID (an mdev is named by its UUID" -- --kernel "$T/good" --passthrough mdev:1234
expect "mdev absent"           1 "mdev 8bb6cfae-de86-42b1-9b4b-6aa5d85ac2c5: no such mediated device (/sys/bus/mdev/devices/8bb6cfae-de86-42b1-9b4b-6aa5d85ac2c5: No such file or directory): create it" -- --kernel "$T/good" --passthrough mdev:8bb6cfae-de86-42b1-9b4b-6aa5d85ac2c5
expect "fd: without a socket"  1 "--passthrough fd:: no socket path given" -- --kernel "$T/good" --passthrough fd:
expect "fd: nobody serving"    1 "--passthrough fd:$T/nosock: cannot connect: No such file or directory (start 'conduit bind BDF --serve $T/nosock' first" -- --kernel "$T/good" --passthrough "fd:$T/nosock"

# --restore: a missing snapshot is one line before any VM (a config file's
# relative path is the file's); --paused alone.
printf 'restore = none.snap\n' > "$T/restore.cfg"
expect "--paused without --restore" 2 "--paused needs --restore" -- --kernel "$T/good" --paused
expect "--restore missing file" 1 "--restore $T/none.snap: No such file or directory" -- --restore "$T/none.snap"
expect "--restore from config" 1 "--restore $T/none.snap: No such file or directory" -- --config "$T/restore.cfg"

# conduit exec: usage errors and what is checked before any VM exists (the
# command, --file, the busybox, the module directory), each one line.
printf '#!/bin/sh\necho hi\n' > "$T/notexec.sh"
printf 'initrd = %s\n' "$T/good" > "$T/initrd.cfg"
expect "exec --help"           0 "usage: conduit exec \[options\] -- COMMAND" -- exec --help
expect "exec without a command" 2 "exec: no command given: conduit exec \[options\] -- COMMAND" -- exec --kernel "$T/good"
expect "exec --timeout 0"      2 "exec: --timeout 0: give whole seconds, 1 to 604800" -- exec --timeout 0 -- true
expect "exec --timeout junk"   2 "exec: --timeout 5s: give whole seconds" -- exec --timeout 5s -- true
expect "exec unknown option"   2 "exec: unknown option '--bogus'" -- exec --bogus -- true
expect "exec initrd from config" 2 "exec: 'initrd' does not apply: exec builds the guest's initramfs" -- exec --config "$T/initrd.cfg" -- true
expect "exec command not there" 1 "exec: command ./no-such-test: No such file or directory (a COMMAND with a '/' is a host file" -- exec --kernel "$T/good" --modules none -- ./no-such-test
expect "exec command not executable" 1 "exec: command $T/notexec.sh: not executable (chmod +x it, or run it as 'sh $T/notexec.sh')" -- exec --kernel "$T/good" --modules none -- "$T/notexec.sh"
expect "exec --file not there" 1 "exec: --file $T/nofile: No such file or directory" -- exec --kernel "$T/good" --file "$T/nofile" -- true
expect "exec --file onto /init" 1 "exec: --file $T/notexec.sh: /init is conduit's or the guest kernel's in the guest; choose another place" -- exec --kernel "$T/good" --file "$T/notexec.sh:/init" -- true
expect "exec --file without SRC" 1 "exec: --file :/x: give SRC or SRC:DST" -- exec --kernel "$T/good" --file :/x -- true
expect "exec --modules not there" 1 "exec: $T/nomods/modules.dep: No such file or directory" -- exec --kernel "$T/good" --modules "$T/nomods" -- true
expect "exec kernel names no release" 1 "exec: kernel $T/good names no release in its header: give --modules DIR" -- exec --kernel "$T/good" -- true
expect "exec busybox not there" 1 "exec: busybox $T/nobb: No such file or directory: conduit exec needs a static busybox (Debian: apt-get install busybox-static)" -- exec --kernel "$T/good" --modules none --busybox "$T/nobb" -- true
expect "exec busybox a script" 1 "exec: busybox $T/notexec.sh is not an x86-64 ELF program" -- exec --kernel "$T/good" --modules none --busybox "$T/notexec.sh" -- true
# --module: a module no modalias names (QEMU microvm's virtio_mmio), from
# the module tree only; --dump-initramfs writes the archive and boots nothing.
mkdir -p "$T/mods"
printf 'kernel/virtio_console.ko:\n' > "$T/mods/modules.dep"
printf 'alias virtio:d00000003v* virtio_console\n' > "$T/mods/modules.alias"
expect "exec --module without a tree" 1 "exec: --module virtio_mmio: no module tree (--modules none)" -- exec --kernel "$T/good" --modules none --module virtio_mmio -- true
expect "exec --module not in the tree" 1 "exec: $T/mods/modules.dep: no module nosuch (nor in modules.builtin)" -- exec --kernel "$T/good" --modules "$T/mods" --module nosuch -- true
if [ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then
	expect "exec --dump-initramfs" 0 "exec: the initramfs written to $T/ir.cpio ([0-9]* bytes); not booting" -- exec -v --kernel "$T/good" --modules none --dump-initramfs "$T/ir.cpio" -- true
	if [ "$(head -c 6 "$T/ir.cpio" 2>/dev/null)" = 070701 ] && grep -aq 'conduit/command' "$T/ir.cpio" &&
		grep -aq 'TRAILER!!!' "$T/ir.cpio"; then
		echo "ok - exec --dump-initramfs: a newc archive with the command"
		pass=$((pass + 1))
	else
		echo "not ok - exec --dump-initramfs: $T/ir.cpio is not the newc archive with conduit/command"
		fail=$((fail + 1))
	fi
	expect "exec --dump-initramfs unwritable" 1 "exec: --dump-initramfs $T/nodir/ir.cpio: No such file or directory" -- exec --kernel "$T/good" --modules none --dump-initramfs "$T/nodir/ir.cpio" -- true
else
	skip "exec --dump-initramfs" "no static /bin/busybox (busybox-static)"
fi
expect "exec --help: --dump-initramfs" 0 "dump-initramfs FILE" -- exec --help

# conduit ctl: usage errors, connection errors, and a session with a fake
# QMP server (tests/cli/fake_qmp.py): arguments as JSON or strings, the
# return value, {} printing nothing, an error's desc, events skipped or
# printed, an fd passed, no reply in time.
expect "--api-socket without a value" 2 "option '--api-socket' needs a value" -- --kernel "$T/good" --api-socket
expect "ctl without arguments" 2 "conduit ctl: no SOCKET and COMMAND given" -- ctl
expect "ctl without a command" 2 "conduit ctl: no COMMAND given" -- ctl "$T/nosock"
expect "ctl argument not KEY=VALUE" 2 "argument 'x' is not KEY=VALUE" -- ctl "$T/nosock" cmd x
expect "ctl argument twice"    2 "argument 'a' given twice" -- ctl "$T/nosock" cmd a=1 a=2
expect "ctl bad --timeout"     2 "--timeout 0: not a number of seconds" -- ctl --timeout 0 "$T/nosock" cmd
expect "ctl unknown option"    2 "unknown option '--bogus'" -- ctl --bogus "$T/nosock" cmd
expect "ctl --help"            0 "usage: conduit ctl" -- ctl --help
expect "ctl nobody there"      1 "conduit ctl: $T/nosock: cannot connect: No such file or directory" -- ctl "$T/nosock" query-commands
python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$T/stale.sock"
expect "ctl stale socket"      1 "conduit ctl: $T/stale.sock: cannot connect: Connection refused" -- ctl "$T/stale.sock" query-commands

# fake_qmp MODE-ARGS...: run conduit ctl against a fresh fake server
fake_qmp() {
	rm -f "$T/qmp.sock" "$T/fake.out"
	python3 "$(dirname "$0")/fake_qmp.py" "$T/qmp.sock" > "$T/fake.out" &
	fake=$!
	i=0
	while ! grep -q ready "$T/fake.out" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}
if command -v python3 > /dev/null; then
	fake_qmp
	expect "ctl arguments"     0 '{"n": 3, "b": true, "s": "hello", "q": "3", "z": null, "w": "two words"}' -- ctl "$T/qmp.sock" echo n=3 b=true s=hello 'q="3"' z=null 'w=two words'
	wait $fake
	fake_qmp
	expect "ctl error"         1 "^conduit ctl: Device 'x' not found\$" -- ctl "$T/qmp.sock" fail
	wait $fake
	fake_qmp
	"$BIN" ctl "$T/qmp.sock" empty > "$T/out" 2>&1
	if [ $? -eq 0 ] && [ ! -s "$T/out" ]; then
		pass=$((pass + 1))
	else
		echo "not ok - ctl {} prints nothing: $(cat "$T/out")"
		fail=$((fail + 1))
	fi
	wait $fake
	fake_qmp
	expect "ctl -e prints events" 0 '"event": "TEST_EVENT"' -- ctl -e "$T/qmp.sock" empty
	wait $fake
	fake_qmp
	expect "ctl --pass-fd"     0 '{"fds": 1}' -- ctl "$T/qmp.sock" fd --pass-fd 0
	wait $fake
	fake_qmp
	expect "ctl no reply"      1 "conduit ctl: $T/qmp.sock: no answer within 1 s" -- ctl --timeout 1 "$T/qmp.sock" hang
	wait $fake
else
	skip "ctl with a fake server" "no python3"
fi

# --bios: the image is checked before any VM exists.
head -c 65536 /dev/zero > "$T/zero64k"
{ head -c 65520 /dev/zero; printf '\352\133\340\000\360'; head -c 11 /dev/zero; } > "$T/fw64k"
expect "--help: --bios"        0 "--bios FILE" -- --help
expect "bios missing"          1 "--bios $T/nope: No such file or directory" -- --bios "$T/nope"
expect "bios is a directory"   1 "--bios $T: not a regular file" -- --bios "$T"
expect "bios wrong size"       1 "--bios $T/text: is 10 bytes: a firmware image is a multiple of 64 KiB from 64 KiB to 16 MiB" -- --bios "$T/text"
expect "bios not firmware"     1 "--bios $T/zero64k: is not a firmware image: no jump at its reset vector" -- --bios "$T/zero64k"
expect "bios log unwritable"   1 "--bios-log $T/nodir/log: No such file or directory" -- --bios "$T/fw64k" --bios-log "$T/nodir/log"
expect "initrd without kernel" 1 "--initrd $T/good needs --kernel" -- --bios "$T/fw64k" --initrd "$T/good"
printf 'bios = fw64k\nbios-log = fw.log\nkernel = nope\n' > "$T/bios.cfg"
expect "bios in config, relative" 1 "kernel $T/nope: No such file" -- --config "$T/bios.cfg"

# --passthrough of a real device on a host whose IOMMU is off (the first
# device that is not a bridge, class 06xxxx): checked before any VM exists.
dev=
for d in /sys/bus/pci/devices/*; do
	case $(cat "$d/class" 2>/dev/null) in
	0x06*|"") ;;
	*) dev=${d##*/}; break ;;
	esac
done
if [ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ]; then
	skip "passthrough without IOMMU" "this host's IOMMU is on"
elif [ -z "$dev" ]; then
	skip "passthrough without IOMMU" "no PCI device other than bridges"
else
	expect "passthrough without IOMMU" 1 "$dev has no IOMMU group, so the IOMMU is off: boot the host kernel with intel_iommu=on" -- --kernel "$T/good" --passthrough "$dev"
fi

# expect_via WRAPPER NAME ...: expect() with conduit started by WRAPPER.
expect_via() {
	saved=$BIN
	BIN=$1
	shift
	expect "$@"
	BIN=$saved
}

# Rows that need a user without root's rights. As root (CI), conduit runs as
# nobody (uid/gid 65534, no groups) through util-linux's setpriv; a user who
# is not root already is one. $T/pub holds what that user may use.
chmod 711 "$T"
mkdir "$T/pub"
cp "$BIN" "$T/pub/conduit"
cp "$T/good" "$T/pub/good"
cp "$T/good" "$T/pub/secret"
chmod 755 "$T/pub" "$T/pub/conduit"
chmod 644 "$T/pub/good"
unpriv=
if [ "$(id -u)" -eq 0 ]; then
	chmod 600 "$T/pub/secret"       # root's: nobody may not read it
	unpriv="setpriv --reuid=65534 --regid=65534 --clear-groups --"
else
	chmod 000 "$T/pub/secret"       # ours, but unreadable even to us
fi
printf '#!/bin/sh\nexec %s %s "$@"\n' "$unpriv" "$T/pub/conduit" > "$T/unpriv"
chmod 755 "$T/unpriv"
why=
if ! "$T/unpriv" --version > /dev/null 2> "$T/why"; then
	why="cannot run conduit as an unprivileged user: $(head -n 1 "$T/why")"
fi
if [ -n "$why" ]; then
	skip "unreadable kernel" "$why"
elif $unpriv test -r "$T/pub/secret"; then
	skip "unreadable kernel" "the unprivileged user can read a file of mode $(stat -c %a "$T/pub/secret")"
else
	expect_via "$T/unpriv" "unreadable kernel" 1 "kernel $T/pub/secret: Permission denied" -- --kernel "$T/pub/secret"
fi
# conduit sets up its io_uring before it opens /dev/kvm.
uring=$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)
if [ -n "$why" ]; then
	skip "no permission on /dev/kvm" "$why"
elif [ ! -e /dev/kvm ]; then
	skip "no permission on /dev/kvm" "this host has no /dev/kvm"
elif $unpriv sh -c 'test -r /dev/kvm && test -w /dev/kvm'; then
	skip "no permission on /dev/kvm" "/dev/kvm (mode $(stat -c %a /dev/kvm)) is open to the unprivileged user"
elif [ "$uring" != 0 ]; then
	skip "no permission on /dev/kvm" "kernel.io_uring_disabled is $uring: conduit stops at io_uring, before /dev/kvm"
else
	expect_via "$T/unpriv" "no permission on /dev/kvm" 1 "cannot open /dev/kvm: Permission denied (add yourself to the kvm group or run as root)" -- --kernel "$T/pub/good"
fi

# No /dev/kvm: as root, conduit in a private mount namespace whose /dev is a
# tmpfs holding only null.
nodev='mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3'
cat > "$T/nokvm" << EOF
#!/bin/sh
exec unshare -m --propagation private sh -c '$nodev && exec "\$0" "\$@"' "$T/pub/conduit" "\$@"
EOF
chmod 755 "$T/nokvm"
if [ "$(id -u)" -ne 0 ]; then
	skip "no /dev/kvm" "needs root to mount a /dev without kvm"
elif ! command -v unshare > /dev/null; then
	skip "no /dev/kvm" "no unshare (util-linux)"
elif ! unshare -m --propagation private sh -c "$nodev && ! test -e /dev/kvm" > /dev/null 2> "$T/why"; then
	skip "no /dev/kvm" "cannot mount a private /dev: $(head -n 1 "$T/why")"
else
	expect_via "$T/nokvm" "no /dev/kvm" 1 "cannot open /dev/kvm: No such file or directory (load kvm-intel or kvm-amd, or enable virtualization in the firmware)" -- --kernel "$T/pub/good"
fi

# crash_case NAME KERNEL PATTERN...: conduit runs the fake KERNEL on KVM and
# ends with exit code 4, every PATTERN (grep) in its stderr; skipped without
# a usable /dev/kvm. Guests this small run on any working /dev/kvm.
crash_case() {
	name=$1 kernel=$2
	shift 2
	if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
		skip "$name" "no usable /dev/kvm"
		return
	fi
	"$BIN" --kernel "$kernel" --memory 64M --console serial </dev/null >"$T/out" 2>"$T/err"
	got=$? missing=
	for pat in "$@"; do
		grep -q -- "$pat" "$T/err" || missing="$missing '$pat'"
	done
	if [ "$got" -eq 4 ] && [ -z "$missing" ]; then
		echo "ok - $name: exit 4, $# lines on stderr"
		pass=$((pass + 1))
	else
		echo "not ok - $name: exit $got, want 4; missing:$missing; stderr: $(head -c 600 "$T/err")"
		fail=$((fail + 1))
	fi
}

# A guest that triple-faults: a fake kernel whose 64-bit entry (load address
# + 0x200) is ud2, with no IDT: the exit reason and the vCPU's registers.
mkbz "$T/crash"
put "$T/crash" $((2048 + 0x200)) 2 $((0x0b0f))
crash_case "guest triple fault" "$T/crash" \
	"^conduit: error: vCPU 0: guest triple fault (shutdown)" \
	"^conduit: error: vCPU 0: rip=0x100200 .*cr0=0x80000031"

# A KVM internal error from a real guest: at its 64-bit entry the fake
# kernel loads from unbacked guest-physical 0xd8000000 (the PCI hole, no BAR
# there) with fld, an x87 load KVM's instruction emulator does not know, so
# the MMIO exit cannot be emulated (KVM_INTERNAL_ERROR_EMULATION, the
# instruction bytes with it): the suberror, the instruction and the
# registers; rax holds the address.
mkbz "$T/emufail"
at=$((2048 + 0x200))
printf '\110\270\000\000\000\330\000\000\000\000\331\000\353\376' |
	dd of="$T/emufail" bs=1 seek=$at conv=notrunc status=none   # movabs rax, 0xd8000000; fld dword [rax]; jmp .
crash_case "KVM internal error" "$T/emufail" \
	"^conduit: error: vCPU 0: KVM internal error: emulation failure: KVM cannot emulate the instruction (suberror 1), instruction d9 00 eb fe" \
	"^conduit: error: vCPU 0: rip=0x10020a .*cr0=0x80000031" \
	"^conduit: error: vCPU 0: rax=0xd8000000 "

# wait_started ERRFILE: up to 10 s for conduit -v to log "guest started".
wait_started() {
	i=0
	while [ $i -lt 100 ] && ! grep -q "guest started" "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
}

# wait_gone PID: up to 10 s for PID to end (a zombie counts); after that it
# is killed and 1 returned.
wait_gone() {
	i=0
	while [ $i -lt 100 ] && [ "$(cut -d' ' -f3 /proc/$1/stat 2>/dev/null || echo Z)" != Z ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ $i -lt 100 ] && return 0
	kill -KILL "$1"
	return 1
}

# SIGINT and SIGTERM: a fake kernel that spins (jmp . at its 64-bit entry)
# runs until the signal; conduit logs it once, ends with 128 + N, and leaves
# nothing behind: its process is gone and its working directory and TMPDIR
# (empty folders of their own) are still empty.
mkbz "$T/spin"
printf '\353\376' | dd of="$T/spin" bs=1 seek=$((2048 + 0x200)) conv=notrunc status=none
absbin=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
# signal_case SIG NUMBER: runs the guest, sends SIG once it has started.
signal_case() {
	d=$T/sig-$1
	mkdir -p "$d/cwd" "$d/tmp"
	(cd "$d/cwd" && TMPDIR=$d/tmp exec "$absbin" --kernel "$T/spin" --memory 64M --console serial -v \
		</dev/null >"$d/out" 2>"$d/err") &
	spid=$!
	wait_started "$d/err"
	kill -"$1" $spid
	why=
	wait_gone $spid || why="still running 10 s after SIG$1;"
	wait $spid
	got=$?
	[ "$got" -eq $((128 + $2)) ] || why="$why exit $got, want $((128 + $2))"
	[ "$(grep -c "^conduit: signal $2 (SIG$1): shutting down" "$d/err")" -eq 1 ] ||
		why="$why; no single 'signal $2 (SIG$1): shutting down' line"
	! kill -0 $spid 2>/dev/null || why="$why; process $spid still there"
	[ -z "$(ls -A "$d/cwd")$(ls -A "$d/tmp")" ] ||
		why="$why; left behind: $(ls -A "$d/cwd" "$d/tmp" | tr '\n' ' ')"
	if [ -z "$why" ]; then
		echo "ok - SIG$1: exit $((128 + $2)), one log line, nothing left behind"
		pass=$((pass + 1))
	else
		echo "not ok - SIG$1: $why; stderr: $(head -c 400 "$d/err")"
		fail=$((fail + 1))
	fi
}
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	signal_case INT 2
	signal_case TERM 15
else
	skip "SIGINT" "no usable /dev/kvm"
	skip "SIGTERM" "no usable /dev/kvm"
fi

# SIGUSR2: each vCPU's state, and the VM goes on. A fake kernel that halts
# (hlt; jmp back, with interrupts off as the boot protocol leaves them) on
# two vCPUs (threads named vcpu0 and vcpu1): vCPU 0 halted just after its
# hlt, its LAPIC timer as reset left it, vCPU 1 never started by the guest.
# SIGTERM then still ends it.
mkbz "$T/halt"
printf '\364\353\375' | dd of="$T/halt" bs=1 seek=$((2048 + 0x200)) conv=notrunc status=none
state_case() {
	d=$T/usr2
	mkdir -p "$d"
	"$BIN" --kernel "$T/halt" --memory 64M --cpus 2 --console serial -v \
		</dev/null >"$d/out" 2>"$d/err" &
	spid=$!
	wait_started "$d/err"
	kill -USR2 $spid
	i=0
	while [ $i -lt 100 ] && [ "$(grep -c '^conduit: vCPU [01]: ' "$d/err")" -lt 2 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	why=
	kill -0 $spid 2>/dev/null || why="conduit ended after SIGUSR2;"
	names=$(cat /proc/$spid/task/*/comm 2>/dev/null | sort | tr '\n' ' ')
	case $names in *"vcpu0 vcpu1 "*) ;; *) why="$why threads named '$names', want vcpu0 and vcpu1;" ;; esac
	kill -TERM $spid 2>/dev/null
	wait_gone $spid || why="$why still running 10 s after SIGTERM;"
	wait $spid
	got=$?
	[ "$got" -eq 143 ] || why="$why exit $got after SIGTERM, want 143;"
	for want in "^conduit: signal 12 (SIGUSR2): the state of each vCPU follows" \
		"^conduit: vCPU 0: halted, rip 0x100201, IF=0; timer one-shot vector 0x0 (masked), count 0 of 0; in service none, pending none" \
		"^conduit: vCPU 1: waiting for INIT, "; do
		[ "$(grep -c -- "$want" "$d/err")" -eq 1 ] || why="$why no single line '$want';"
	done
	if [ -z "$why" ]; then
		echo "ok - SIGUSR2: one state line per vCPU (threads vcpu0, vcpu1), the VM goes on, SIGTERM ends it (143)"
		pass=$((pass + 1))
	else
		echo "not ok - SIGUSR2: $why stderr: $(head -c 1200 "$d/err" | tr "\r" " ")"
		fail=$((fail + 1))
	fi
}
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	state_case
else
	skip "SIGUSR2" "no usable /dev/kvm"
fi

# The terminal is given back as conduit found it: with stdin and stdout on
# a pty (tests/cli/pty_restore.py) conduit makes it raw; after SIGTERM, after
# Ctrl-A x, after a guest triple fault and after guest poweroff the pty's termios and file status
# flags equal what they were before.
# pty_case NAME KERNEL HOW EXIT_CODE
pty_case() {
	if ! command -v python3 > /dev/null; then
		skip "terminal restored: $1" "no python3"
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		skip "terminal restored: $1" "no usable /dev/kvm"
	elif why=$(TMPDIR=$T python3 "$(dirname "$0")/pty_restore.py" "$BIN" "$2" "$3" "$4"); then
		echo "ok - terminal restored: $1 (exit $4)"
		pass=$((pass + 1))
	else
		echo "not ok - terminal restored: $1: $why"
		fail=$((fail + 1))
	fi
}
# Guest poweroff: the fake kernel writes S5 with SLP_EN to the PM1a control
# port (0x604); conduit ends with 0, says nothing at default verbosity and
# creates nothing in its working directory or TMPDIR.
mkbz "$T/poweroff"
printf '\146\272\004\006\146\270\000\064\146\357\353\376' |
	dd of="$T/poweroff" bs=1 seek=$((2048 + 0x200)) conv=notrunc status=none   # mov dx, 0x604; mov ax, 0x3400; out dx, ax; jmp .
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	d=$T/poweroff-run
	mkdir -p "$d/cwd" "$d/tmp"
	(cd "$d/cwd" && TMPDIR=$d/tmp exec timeout 20 "$absbin" --kernel "$T/poweroff" --memory 64M \
		--console serial </dev/null >"$d/out" 2>"$d/err")
	got=$?
	if [ "$got" -eq 0 ] && [ ! -s "$d/err" ] && [ -z "$(ls -A "$d/cwd")$(ls -A "$d/tmp")" ]; then
		echo "ok - guest poweroff: exit 0, no message, nothing left behind"
		pass=$((pass + 1))
	else
		echo "not ok - guest poweroff: exit $got, want 0; left: $(ls -A "$d/cwd" "$d/tmp" | tr '\n' ' '); stderr: $(head -c 300 "$d/err")"
		fail=$((fail + 1))
	fi
else
	skip "guest poweroff" "no usable /dev/kvm"
fi

pty_case "after SIGTERM" "$T/spin" sigterm 143
pty_case "after Ctrl-A x" "$T/spin" quit 5
pty_case "after a triple fault" "$T/crash" self 4
pty_case "after guest poweroff" "$T/poweroff" self 0

# --cpus beyond KVM's vCPU limit. This host's KVM allows more than conduit's
# own 64, so a preloaded library (tests/cli/kvm_limit_shim.c, built here)
# makes KVM_CHECK_EXTENSION report a smaller limit; the check is conduit's.
# An ASan build takes the library with verify_asan_link_order=0.
# shim_run MAX NR ARGS...: conduit ARGS against a KVM reporting MAX and NR.
shim_run() {
	SHIM_MAX_VCPUS=$1 SHIM_NR_VCPUS=$2 LD_PRELOAD=$T/shim.so \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$BIN" --kernel "$T/crash" --memory 64M --console serial --cpus "$3" \
		</dev/null >"$T/out" 2>"$T/err"
}
# shim_case NAME MAX NR CPUS EXIT_CODE PATTERN: PATTERN on the first line of
# stderr; a failure at the check (exit 1) says exactly one line.
shim_case() {
	shim_run "$2" "$3" "$4"
	got=$?
	if [ "$got" -eq "$5" ] && head -n 1 "$T/err" | grep -q -- "$6" &&
		{ [ "$5" -ne 1 ] || [ "$(wc -l < "$T/err")" -eq 1 ]; }; then
		echo "ok - $1"
		pass=$((pass + 1))
	else
		echo "not ok - $1: exit $got, want $5; stderr: $(head -c 300 "$T/err")"
		fail=$((fail + 1))
	fi
}
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	skip "cpus beyond KVM's limit" "no usable /dev/kvm"
elif ! ${CC:-cc} -shared -fPIC -o "$T/shim.so" "$(dirname "$0")/kvm_limit_shim.c" -ldl 2> "$T/why"; then
	skip "cpus beyond KVM's limit" "cannot build the preload library: $(head -n 1 "$T/why")"
elif ! ldd "$BIN" > /dev/null 2>&1; then
	skip "cpus beyond KVM's limit" "$BIN is statically linked: LD_PRELOAD cannot reach its ioctl"
else
	shim_case "cpus beyond KVM_CAP_MAX_VCPUS" 4 2 8 1 \
		"^conduit: error: --cpus 8 is more than KVM allows on this host: at most 4 vCPUs (KVM_CAP_MAX_VCPUS)"
	shim_case "cpus beyond KVM_CAP_NR_VCPUS, no KVM_CAP_MAX_VCPUS" 0 2 3 1 \
		"^conduit: error: --cpus 3 is more than KVM allows on this host: at most 2 vCPUs (KVM_CAP_NR_VCPUS; this KVM has no KVM_CAP_MAX_VCPUS)"
	# at the limit the VM is built and runs: the crash kernel triple-faults
	shim_case "cpus at KVM_CAP_MAX_VCPUS" 2 1 2 4 "^conduit: error: vCPU 0: guest triple fault"
fi

# SeaBIOS (Debian's seabios) on the host's KVM: small enough to run where
# Linux guests are too slow. Its banner reaches the serial console, its log
# (port 0x402) the --bios-log file, and every BAR it assigns is where conduit
# maps it.
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ -r /usr/share/seabios/bios.bin ]; then
	"$BIN" --bios seabios --bios-log "$T/bios.log" --memory 128M -v </dev/null >"$T/out" 2>"$T/err" &
	bpid=$!
	i=0
	while [ $i -lt 600 ] && ! grep -q "No bootable device" "$T/out" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -TERM $bpid 2>/dev/null
	wait $bpid
	got=$?
	fwbars=$(sed -n 's/^PCI: map device bdf=\([0-9a-f:.]*\) *bar \([0-9]\), addr \([0-9a-f]*\), .*/\1 \2 \3/p' "$T/bios.log" | sed 's/ 0*\([0-9a-f][0-9a-f]*\)$/ \1/' | sort)
	ourbars=$(sed -n 's/^conduit: pci \([0-9a-f:.]*\) .*: BAR\([0-9]\) at 0x\([0-9a-f]*\),.*/\1 \2 \3/p' "$T/err" |
		awk '{ last[$1 " " $2] = $3 } END { for (k in last) print k, last[k] }' | sort)
	fwids=$(sed -n 's/^PCI: init bdf=\([0-9a-f:.]*\) id=\([0-9a-f:]*\).*/\1 \2/p' "$T/bios.log" | grep -v '^00:00.0' | sort)
	ourids=$(sed -n 's/^conduit: pci \([0-9a-f:.]*\) \([0-9a-f]*:[0-9a-f]*\) .*/\1 \2/p' "$T/err" | sort)
	if [ "$got" -eq 143 ] && grep -q "^SeaBIOS (version" "$T/bios.log" && grep -q "SeaBIOS (version" "$T/out" &&
		[ -n "$fwbars" ] && [ "$fwbars" = "$ourbars" ] && [ -n "$fwids" ] && [ "$fwids" = "$ourids" ]; then
		echo "ok - SeaBIOS on host KVM: banner, and its PCI listing is conduit's ($(echo $fwbars))"
		pass=$((pass + 1))
	else
		echo "not ok - SeaBIOS on host KVM: exit $got (want 143); firmware BARs '$fwbars' vs conduit '$ourbars'; ids '$fwids' vs '$ourids'; stderr: $(head -c 300 "$T/err")"
		fail=$((fail + 1))
	fi
else
	skip "SeaBIOS on host KVM" "no usable /dev/kvm or no /usr/share/seabios/bios.bin"
fi

# --incoming's socket is untrusted: a small hostile source
# (tests/cli/migrate_send.py) sends the snapshot of the spinning fake guest
# (saved through QMP stop and migrate to file:) spoiled one way per row, or
# nothing. Each row: conduit exits 1 with one error line naming what was
# wrong, no guest ran (no 'restored from'), nothing is left running or
# listening (the process is gone, its socket file removed). The control row
# sends the stream whole: the guest is restored (-v says so) and runs until
# SIGTERM (143).
expect "--incoming-timeout without --incoming" 2 "--incoming-timeout needs --incoming" -- \
	--kernel "$T/good" --incoming-timeout 5
expect "--incoming-timeout bad value" 2 "'0' is not a number of seconds from 1 to 3600" -- \
	--incoming unix:"$T/x.sock" --incoming-timeout 0

# incoming_case NAME URI_KIND MODE EXIT PATTERN [DEST ARGS...]
incoming_case() {
	name=$1 kind=$2 mode=$3 want=$4 pattern=$5
	shift 5
	d=$T/in-$mode-$kind
	mkdir -p "$d"
	if [ "$kind" = tcp ]; then
		port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		uri=tcp:127.0.0.1:$port
	else
		uri=unix:$d/in.sock
	fi
	"$BIN" --incoming "$uri" --memory 64M --console serial --incoming-timeout 2 "$@" \
		</dev/null >"$d/out" 2>"$d/err" &
	dpid=$!
	python3 "$(dirname "$0")/migrate_send.py" "$uri" "$mode" "$T/spin.snap" 2>"$d/send.err" &
	spid=$!
	why=
	if [ "$want" = 143 ]; then
		i=0
		while [ $i -lt 100 ] && kill -0 $dpid 2>/dev/null && ! grep -q "restored from" "$d/err"; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -TERM $dpid 2>/dev/null
	fi
	wait_gone $dpid || why="still running after 10 s;"
	wait $dpid
	got=$?
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	[ "$got" -eq "$want" ] || why="$why exit $got, want $want;"
	grep -q -- "$pattern" "$d/err" || why="$why no '$pattern';"
	if [ "$want" != 143 ]; then
		[ "$(wc -l <"$d/err")" -eq 1 ] || why="$why not one line;"
		! grep -q "restored from" "$d/err" || why="$why the guest was restored;"
	fi
	[ ! -e "$d/in.sock" ] || why="$why the socket file is left;"
	[ "$kind" != tcp ] || ! python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null ||
		why="$why something still listens on port $port;"
	if [ -z "$why" ]; then
		echo "ok - --incoming $kind: $name"
		pass=$((pass + 1))
	else
		echo "not ok - --incoming $kind: $name: $why stderr: $(head -c 500 "$d/err"); sender: $(head -c 200 "$d/send.err")"
		fail=$((fail + 1))
	fi
}

if ! command -v python3 > /dev/null; then
	skip "--incoming hostile sources" "no python3"
elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	skip "--incoming hostile sources" "no usable /dev/kvm"
else
	"$BIN" --kernel "$T/spin" --memory 64M --console serial --api-socket "$T/snap.sock" \
		</dev/null >"$T/snap.out" 2>"$T/snap.err" &
	vpid=$!
	i=0
	while [ $i -lt 100 ] && [ ! -S "$T/snap.sock" ]; do sleep 0.1; i=$((i + 1)); done
	"$BIN" ctl "$T/snap.sock" stop >/dev/null 2>&1
	"$BIN" ctl "$T/snap.sock" migrate uri=file:"$T/spin.snap" >/dev/null 2>&1
	"$BIN" ctl "$T/snap.sock" quit >/dev/null 2>&1
	wait_gone $vpid
	wait $vpid
	if [ ! -s "$T/spin.snap" ]; then
		echo "not ok - --incoming hostile sources: no snapshot of the fake guest: $(head -c 300 "$T/snap.err")"
		fail=$((fail + 1))
	else
		incoming_case "the whole stream loads (control)" unix whole 143 "restored from unix:" -v
		incoming_case "the whole stream loads (control)" tcp whole 143 "restored from tcp:" -v
		incoming_case "truncated: the source hung up" unix truncate 1 \
			"the source closed the connection (cancelled or failed there) at byte [0-9]*, inside record [0-9]* (ram)"
		incoming_case "corrupted: bad checksum" unix crc 1 "the snapshot is corrupted: its end record's checksum is"
		incoming_case "corrupted: bad checksum" tcp crc 1 "the snapshot is corrupted: its end record's checksum is"
		incoming_case "another format version" unix version 1 \
			"the snapshot has format version 99; this conduit reads versions 1 to 2"
		incoming_case "a record of the wrong size" unix recsize 1 \
			"record 1 (ram) at byte [0-9]* has 2147483648 bytes; ram records have 9 to 1048584"
		incoming_case "a device's state one byte too long" unix devsize 1 \
			"device serial0 (serial) state has 1 bytes more than its fields"
		incoming_case "a record for a device that is not there" unix devindex 1 \
			"(device-state) at byte [0-9]* is for device 200; the snapshot's header has 4 devices"
		incoming_case "a record of an unknown type" unix rectype 1 "record 1 at byte [0-9]* has an unknown type 99"
		incoming_case "a device the destination has and the source not" unix whole 1 \
			"this machine has device 00:01.0 (virtio-pci 1af4:1043 at slot 1), the snapshot has none" \
			--console virtio
		incoming_case "other --memory" unix whole 1 \
			"the snapshot's guest has 64 MiB of RAM, this machine 128 MiB (--memory)" --memory 128M
		incoming_case "connects and hangs up" unix hangup 1 "the source closed the connection before sending anything"
		incoming_case "connects and hangs up" tcp hangup 1 "the source closed the connection before sending anything"
		incoming_case "connects and never sends" unix silent 1 \
			"nothing came from the source for 2 s (at byte 0): it hangs or is gone"
		incoming_case "connects and never sends" tcp silent 1 \
			"nothing came from the source for 2 s (at byte 0): it hangs or is gone"
	fi
fi

summary cli
