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
expect "missing config"        2 "config file $T/none.cfg: No such file" -- --config "$T/none.cfg"
expect "bad config key"        2 "badkey.cfg:3: unknown key 'bogus'" -- --config "$T/badkey.cfg"
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
fi
expect "memory beyond host"    1 "more than this host's" -- --kernel "$T/good" --memory 64T
expect "command line overrides config" 1 "kernel $T/good2: No such file" -- --config "$T/ok.cfg" --kernel "$T/good2"
expect "config value is used"  1 "kernel $T/text: file is" -- --config "$T/ok.cfg"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
