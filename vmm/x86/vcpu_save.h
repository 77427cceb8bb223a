/* An x86 KVM vCPU's whole state: captured from a vCPU fd, applied to
 * another, and encoded to and decoded from a versioned byte buffer.
 * Groundwork for issue 15 (snapshot, restore, live migration); nothing
 * uses it yet.
 *
 * The state: general registers, special registers (KVM_GET_SREGS2 where
 * KVM_CAP_SREGS2 is offered, else KVM_GET_SREGS), the FPU (KVM_GET_XSAVE2,
 * else KVM_GET_XSAVE, else KVM_GET_FPU), XCRs, debug registers, the LAPIC,
 * pending events, the MP state, the guest's TSC rate and every MSR of
 * KVM_GET_MSR_INDEX_LIST this vCPU can read (the TSC and kvmclock MSRs
 * among them).
 *
 * What the caller does around it: the target vCPU has had KVM_SET_CPUID2
 * (as vcpu_create() does) before vcpu_save_restore(), because KVM checks
 * XSAVE features and many MSRs against the guest's CPUID; the VM-level
 * state (vm_save.h) is restored before the vCPUs, because the TSC advance
 * comes from its clock; the vCPUs are not running during either. A guest
 * inside its own nested guest (KVM_GET_NESTED_STATE) is not covered. */
#ifndef CONDUIT_X86_VCPU_SAVE_H
#define CONDUIT_X86_VCPU_SAVE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define VCPU_SAVE_VERSION    1
#define VCPU_SAVE_MAX_MSRS   1024       /* KVM lists a few hundred */
#define VCPU_SAVE_MAX_XSAVE  65536      /* AMX makes it about 11 KiB */
#define VCPU_SAVE_MSR_BATCH  64         /* MSRs per KVM_GET_MSRS call */

enum vcpu_save_fpu {
	VCPU_SAVE_FPU_XSAVE = 1,        /* xsave/xsave_len: a struct kvm_xsave image */
	VCPU_SAVE_FPU_LEGACY = 2,       /* fpu: KVM_GET_FPU's */
};

/* What this host's KVM offers, probed once per VM (vcpu_save_probe). */
struct vcpu_save_host {
	int sregs2;                     /* KVM_CAP_SREGS2 */
	int xsave2;                     /* KVM_CAP_XSAVE2: KVM_GET_XSAVE2 */
	uint32_t xsave_size;            /* image size; 0: no XSAVE at all */
	int xcrs;                       /* KVM_CAP_XCRS */
	uint32_t *msrs;                 /* KVM_GET_MSR_INDEX_LIST, plus the TSC
					 * and kvmclock MSRs if it lacked them */
	uint32_t n_msrs;
};

struct vcpu_save {
	struct kvm_regs regs;
	/* KVM_GET_SREGS2's, or KVM_GET_SREGS's fields with flags 0; the
	 * interrupt bitmap only from KVM_GET_SREGS (SREGS2 reports an injected
	 * interrupt in events alone). */
	struct kvm_sregs2 sregs;
	uint64_t interrupt_bitmap[4];
	uint32_t fpu_kind;              /* enum vcpu_save_fpu */
	uint8_t *xsave;                 /* malloc'd */
	uint32_t xsave_len;
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs;           /* nr_xcrs 0: none (host without XCRS) */
	struct kvm_debugregs debugregs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_msr_entry *msrs;     /* malloc'd; the TSC among them */
	uint32_t n_msrs;
	uint32_t mp_state;
	uint32_t tsc_khz;               /* KVM_GET_TSC_KHZ; 0: unknown */
	uint32_t dropped_msrs;          /* listed MSRs this vCPU refused to read
					 * (capture only; not encoded) */
};

/* Fills h from /dev/kvm (kvm_fd) and the VM (vm_fd): 0, or -1 with err. */
int vcpu_save_probe(int kvm_fd, int vm_fd, struct vcpu_save_host *h, char *err, size_t errlen);
void vcpu_save_host_free(struct vcpu_save_host *h);

/* Reads vCPU id's state from its fd into s (freed and refilled): 0, or -1
 * with err ("vCPU 1: KVM_GET_LAPIC: ..."). */
int vcpu_save_capture(int fd, int id, const struct vcpu_save_host *h, struct vcpu_save *s,
		      char *err, size_t errlen);

/* Loads s into vCPU id in the order written down in vcpu_save.c, with the
 * guest's TSC moved on by tsc_advance_ns nanoseconds (vm_save_restore()'s
 * advance: 0 for a snapshot). 0, or -1 with err naming the step, or what
 * this host cannot take ("vCPU 1 state: XSAVE area of 8192 bytes, this
 * host's KVM uses 4096"). */
int vcpu_save_restore(int fd, int id, const struct vcpu_save_host *h, const struct vcpu_save *s,
		      uint64_t tsc_advance_ns, char *err, size_t errlen);

void vcpu_save_free(struct vcpu_save *s);

/* The guest TSC among s's MSRs (0 if absent; *found tells). */
uint64_t vcpu_save_tsc(const struct vcpu_save *s, int *found);

/* The encoding, version 1, little-endian:
 *   u32 magic "cVCP", u16 version, u16 0,
 *   then sections in this order, each u16 tag, u16 0, u32 payload length:
 *   1 registers (144), 2 special registers (332), 3 FPU (u32 kind, then
 *   the XSAVE image or the 411-byte legacy FPU), 4 XCRs (u32 count, u32
 *   flags, count x (u32 xcr, u64 value)), 5 debug registers (56), 6 LAPIC
 *   (1024), 7 events (37), 8 MSRs (u32 count, count x (u32 index, u64
 *   value)), 9 MP state and TSC rate (8).
 * Every struct field has its fixed width; KVM's padding is not encoded.
 * Encode: a malloc'd buffer in *out, its length in *len; 0, or -1 when
 * memory ran out. Decode: s filled from untrusted bytes (every length
 * and count checked, reserved fields zero, nothing after the last
 * section); 0, or -1 with one line in err. s is freed and refilled. */
int vcpu_save_encode(const struct vcpu_save *s, uint8_t **out, size_t *len);
int vcpu_save_decode(const uint8_t *buf, size_t len, struct vcpu_save *s, char *err, size_t errlen);

#endif
