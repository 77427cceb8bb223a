#!/bin/sh
# The host-side subcommands (conduit devices / bind / unbind) on the real
# host: exit codes and one-line errors for inputs that are wrong on any
# machine. Nothing here changes a driver binding: the addresses used do not
# exist (domain ffff). Binding for real is tested in the nested harness.
# Usage: tests/cli/host_pci.sh ./conduit
set -u
BIN=${1:-./conduit}
. "$(dirname "$0")/lib.sh"


expect "devices lists"            0 "^ADDRESS .*VERDICT$" -- devices
expect "devices --help"           0 "usage: conduit devices" -- devices --help
expect "devices stray argument"   2 "unexpected argument 'x'" -- devices x
expect "devices unknown option"   2 "unknown option '--frob'" -- devices --frob
expect "bind --help"              0 "usage: conduit bind" -- bind --help
expect "unbind --help"            0 "usage: conduit unbind" -- unbind -h
expect "bind without address"     2 "missing BDF" -- bind
expect "bind bad address"         2 "'zz' is not a PCI address" -- bind zz
expect "bind short address"       2 "e.g. 0000:03:00.0" -- bind 3:0.0
expect "bind device out of range" 2 "device 99 is out of range" -- bind 0000:00:99.0
expect "bind function too big"    2 "function 8 is out of range" -- bind 00:00.8
expect "bind two addresses"       2 "unexpected argument" -- bind 00:00.0 00:01.0
expect "bind missing device"      1 "no PCI device ffff:ff:1f.7.*conduit devices" -- bind ffff:ff:1f.7
expect "unbind missing device"    1 "no PCI device ffff:ff:1f.7" -- unbind ffff:ff:1f.7
expect "unbind bad address"       2 "not a PCI address" -- unbind 0000:00:00.0.0
expect "bind --serve without a value" 2 "bind: option '--serve' needs a value" -- bind 00:00.0 --serve
expect "bind --user not a number"  2 "bind: --user bob: not a uid" -- bind 00:00.0 --serve /tmp/s --user bob
expect "bind --user without --serve" 2 "bind: --user goes with --serve SOCKET" -- bind 00:00.0 --user 1000
expect "unbind --serve"            2 "unbind: --serve is an option of 'conduit bind'" -- unbind 00:00.0 --serve /tmp/s

# Without IOMMU groups, devices says so and how to turn the IOMMU on.
if [ -z "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ]; then
	expect "devices: IOMMU off"   0 "the IOMMU is off: boot the host kernel with intel_iommu=on" -- devices
	# the first device that is not a bridge (class 06xxxx); bind stops
	# before writing anything
	dev=
	for d in /sys/bus/pci/devices/*; do
		case $(cat "$d/class" 2>/dev/null) in
		0x06*|"") ;;
		*) dev=${d##*/}; break ;;
		esac
	done
	if [ -n "$dev" ]; then
		expect "bind without IOMMU" 1 "$dev has no IOMMU group" -- bind "$dev"
	else
		skip "bind without IOMMU" "no PCI device other than bridges"
	fi
else
	skip "devices: IOMMU off" "this host's IOMMU is on"
	skip "bind without IOMMU" "this host's IOMMU is on"
fi

summary host_pci
