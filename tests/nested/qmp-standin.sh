#!/bin/sh
# tests/nested/qmp-standin.sh - conduit's QMP surface played by QEMU, to check
# the QMP cases themselves (cases-qmp.sh) before conduit has --api-socket:
# NESTED_CASES="qmp-standin-on qmp-greeting ... qmp-standin-off" (run.sh puts
# QEMU and python3 into L1 for a case list naming qmp-standin).
#   conduit --kernel K --initrd I --memory M --cmdline C --api-socket S ...
#       -> QEMU -machine pc (ACPI PCI hotplug on the root bus, so device_add
#          needs no bus=, as with conduit), KVM, serial on stdout, -qmp S
#   conduit ctl SOCKET CMD k=v...  -> one command through qmp-client.py:
#       exit 0 on a return (printed), 1 on an error (its desc printed)
#   conduit bind|unbind|devices ... -> the real conduit (/usr/bin/conduit)
# conduit's own error wording (messages.c) is not QEMU's: qmp-errors' wording
# checks fail under the stand-in, the rest of the cases should pass.
QMP_DIR=$(cd "$(dirname "$0")" && pwd)
case ${1:-} in
bind | unbind | devices) exec /usr/bin/conduit "$@" ;;
ctl)
	sock=$2
	shift 2
	r=$(printf '%s\n' "$*" | PYTHONPATH=$QMP_DIR/python python3 "$QMP_DIR/qmp-client.py" "$sock" 2>&1)
	case $r in
	*QMP-RETURN*) echo "$r" | sed -n 's/^QMP-RETURN [^ ]* //p'; exit 0 ;;
	*QMP-ERROR*) echo "$r" | sed -n 's/^QMP-ERROR [^ ]* [^:]*: /error: /p' >&2; exit 1 ;;
	*) echo "$r" >&2; exit 2 ;;
	esac
	;;
esac
kernel='' initrd='' mem=256 cmdline='' sock='' cpus=1
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2 && shift ;;
	--initrd) initrd=$2 && shift ;;
	--memory) mem=${2%M} && shift ;;
	--cmdline) cmdline=$2 && shift ;;
	--api-socket) sock=$2 && shift ;;
	--cpus) cpus=$2 && shift ;;
	--console | --vfio-backend) shift ;;
	*) echo "qmp-standin: option $1 not played" >&2 ;;
	esac
	shift
done
exec qemu-system-x86_64 -machine pc -enable-kvm -cpu host -m "$mem" -smp "$cpus" \
	-nodefaults -nographic -no-reboot -chardev stdio,id=c0,signal=off -serial chardev:c0 \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	${sock:+-qmp "unix:$sock,server=on,wait=off"}
