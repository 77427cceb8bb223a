/* An x86 KVM VM's in-kernel state beside its vCPUs: the PIC master and
 * slave and the IOAPIC (KVM_GET/SET_IRQCHIP), the PIT (KVM_GET/SET_PIT2)
 * and the KVM clock (KVM_GET/SET_CLOCK); captured from a VM fd, applied to
 * another, encoded to and decoded from a versioned byte buffer.
 * Groundwork for issue 15 (snapshot, restore, live migration); nothing
 * uses it yet.
 *
 * Restore it before the vCPUs (vcpu_save.h): its clock decides how far the
 * guest's TSC moves on. Capture it right before or after the vCPUs, all
 * of them stopped, so the clock and the TSCs are read at nearly one moment.
 *
 * The clock, two ways (enum vm_save_clock):
 *  - FREEZE, for a snapshot restore: the kvmclock is set to the captured
 *    value, so the guest's time goes on from where it stopped, as over a
 *    pause (vm_pause.c). A snapshot can be restored hours later; advancing
 *    by that would fire every guest timer at once and trip its watchdogs.
 *    The guest's wall clock lags until its NTP or agent sets it.
 *  - ADVANCE, for a live migration: the kvmclock moves on by the real time
 *    that passed since the capture (KVM_CLOCK_REALTIME: KVM adds the
 *    difference between its CLOCK_REALTIME and the captured one), so the
 *    guest loses no time over the downtime. It needs the two hosts'
 *    CLOCK_REALTIME in step (NTP) and a short downtime. Where either side
 *    lacks KVM_CLOCK_REALTIME, restore falls back to FREEZE, and says so
 *    through *advance_ns being 0. */
#ifndef CONDUIT_X86_VM_SAVE_H
#define CONDUIT_X86_VM_SAVE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define VM_SAVE_VERSION 1

enum vm_save_clock {
	VM_SAVE_CLOCK_FREEZE,
	VM_SAVE_CLOCK_ADVANCE,
};

struct vm_save {
	struct kvm_pic_state pic[2];            /* master, slave */
	struct kvm_ioapic_state ioapic;
	struct kvm_pit_state2 pit;
	/* clock, flags (KVM_CLOCK_TSC_STABLE, _REALTIME, _HOST_TSC as KVM
	 * reported them), realtime and host_tsc where flagged */
	struct kvm_clock_data clock;
};

/* Reads the state from vm_fd: 0, or -1 with err naming the ioctl. */
int vm_save_capture(int vm_fd, struct vm_save *s, char *err, size_t errlen);

/* Loads s into vm_fd (which has its in-kernel irqchip and PIT): PIC master,
 * PIC slave, IOAPIC, PIT, then the clock as mode says. *advance_ns is how
 * far the clock was moved past the captured value (0 for FREEZE), for
 * vcpu_save_restore()'s TSC. 0, or -1 with err. */
int vm_save_restore(int vm_fd, const struct vm_save *s, enum vm_save_clock mode,
		    uint64_t *advance_ns, char *err, size_t errlen);

/* The encoding, version 1, little-endian:
 *   u32 magic "cVMS", u16 version, u16 0,
 *   then sections in this order, each u16 tag, u16 0, u32 payload length:
 *   1 PIC master (16), 2 PIC slave (16), 3 IOAPIC (u64 base, u32 ioregsel,
 *   u32 id, u32 irr, 24 x u64 redirection entries: 212), 4 PIT (3 channels
 *   of 24 bytes, u32 flags: 76), 5 clock (u64 clock, u32 flags, u64
 *   realtime, u64 host_tsc: 28).
 * Encode: a malloc'd buffer in *out, its length in *len; 0, or -1 when
 * memory ran out. Decode: from untrusted bytes, every length checked, flags
 * only known bits, PIT counts at most 65536; 0, or -1 with one line in err
 * ("VM state: truncated at byte 120 (in the IOAPIC section)"). */
int vm_save_encode(const struct vm_save *s, uint8_t **out, size_t *len);
int vm_save_decode(const uint8_t *buf, size_t len, struct vm_save *s, char *err, size_t errlen);

#endif
