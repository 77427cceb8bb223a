/* Capture and restore of an x86 KVM vCPU's state (see vcpu_save.h): the
 * ioctls, their order and why, and the TSC. The byte encoding is in
 * vcpu_save_codec.c. A snapshot saves and restores every
 * vCPU with it (vmm/machine_snapshot.c).
 *
 * Capture order:
 *  1. MP state first: KVM_GET_MP_STATE makes KVM act on a latched INIT or
 *     SIPI, which resets or starts the vCPU and so changes its registers;
 *     read them after that, not before.
 *  2. Events before the special and debug registers: KVM_GET_VCPU_EVENTS
 *     (without KVM_CAP_EXCEPTION_PAYLOAD, which conduit leaves off) delivers
 *     a pending exception's payload into CR2 or DR6 as it reads.
 *  3. The rest in any order: registers, special registers, FPU, XCRs,
 *     debug registers, LAPIC, TSC rate, MSRs.
 *
 * Restore order:
 *  1. TSC rate (KVM_SET_TSC_KHZ, only if it differs from this vCPU's):
 *     before the TSC is written, since KVM converts at the vCPU's rate.
 *  2. General registers before events: KVM_SET_REGS drops a pending
 *     exception.
 *  3. Special registers after the registers (KVM_SET_SREGS marks a BSP it
 *     finds at the reset vector runnable: the MP state comes last) and
 *     before the LAPIC and the MSRs: the APIC base says whether the LAPIC
 *     is enabled and in x2APIC mode, which decides how KVM_SET_LAPIC reads
 *     the ID register, and EFER and CR4 are what MSR writes are checked
 *     against. Before events too: KVM_SET_SREGS queues the interrupt of
 *     its bitmap, which events then state exactly.
 *  4. FPU (XSAVE image or legacy FPU) and XCRs, then debug registers: no
 *     dependency on the rest (KVM checks the XSAVE image against the
 *     features the guest's CPUID allows, not against XCR0).
 *  5. LAPIC before the MSRs and events: the TSC-deadline MSR is dropped
 *     unless the LAPIC timer is in TSC-deadline mode, and KVM_SET_LAPIC
 *     restarts the timer from the saved registers.
 *  6. MSRs: the TSC alone first, then the others in batches: the TSC
 *     deadline and the kvmclock MSRs are read against the guest's TSC, so
 *     it must already be the restored one.
 *  7. Events after the registers, special registers and LAPIC (see 2, 3):
 *     the pending and injected exception, interrupt and NMI, the interrupt
 *     shadow, SMM, and the latched INIT and SIPI vector, which are LAPIC
 *     state in KVM. The NMI-pending and SIPI-vector flags are set on the
 *     way in: KVM reports neither, and ignores both fields without them.
 *  8. MP state last: the steps before can change it (3), and KVM refuses
 *     INIT_RECEIVED and SIPI_RECEIVED while events say an INIT is latched
 *     in SMM, so events go first.
 *
 * The TSC: the saved MSR_IA32_TSC value, moved on by the advance the VM
 * clock got (vm_save_restore(): 0 for a snapshot, the real time that
 * passed for a migration), converted at the saved TSC rate, is written
 * with KVM_SET_MSRS. Not the KVM_VCPU_TSC_OFFSET attribute: an offset is
 * relative to the host's TSC, meaningless on another host unless combined
 * with KVM_GET_CLOCK's host TSC and equal TSC rates on both, and KVM only
 * has it since 5.16; the MSR value is the guest's own and works on any
 * KVM. KVM matches host writes of the TSC that land within a second of
 * the previous vCPU's (kvm_synchronize_tsc), so the vCPUs, restored one
 * after the other, keep one TSC between them. The guest's TSC goes on
 * from where it was captured, consistent with the kvmclock, which
 * vm_save_restore() set from the same moment. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "vcpu_save.h"

#define MSR_IA32_TSC            0x10
#define MSR_KVM_WALL_CLOCK      0x11
#define MSR_KVM_SYSTEM_TIME     0x12
#define MSR_KVM_WALL_CLOCK_NEW  0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define LEGACY_XSAVE_SIZE       4096

static int fail(char *err, size_t errlen, int id, const char *what)
{
	snprintf(err, errlen, "vCPU %d: %s: %s", id, what, strerror(errno));
	return -1;
}

static int get_msr_list(int kvm_fd, struct vcpu_save_host *h, char *err, size_t errlen)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;

	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG) {
		snprintf(err, errlen, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
		return -1;
	}
	if (probe.nmsrs > VCPU_SAVE_MAX_MSRS) {
		snprintf(err, errlen, "KVM_GET_MSR_INDEX_LIST: %u MSRs, at most %d",
			 probe.nmsrs, VCPU_SAVE_MAX_MSRS);
		return -1;
	}
	l = calloc(1, sizeof(*l) + (probe.nmsrs + 8) * sizeof(uint32_t));
	h->msrs = calloc(probe.nmsrs + 8, sizeof(uint32_t));
	if (!l || !h->msrs) {
		free(l);
		snprintf(err, errlen, "KVM_GET_MSR_INDEX_LIST: out of memory");
		return -1;
	}
	l->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
		snprintf(err, errlen, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
		free(l);
		return -1;
	}
	memcpy(h->msrs, l->indices, l->nmsrs * sizeof(uint32_t));
	h->n_msrs = l->nmsrs;
	free(l);
	return 0;
}

/* The TSC and kvmclock MSRs are captured even on a KVM that did not list
 * them (h->msrs has room for them). */
static void add_msr(struct vcpu_save_host *h, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < h->n_msrs; i++)
		if (h->msrs[i] == index)
			return;
	h->msrs[h->n_msrs++] = index;
}

int vcpu_save_probe(int kvm_fd, int vm_fd, struct vcpu_save_host *h, char *err, size_t errlen)
{
	int n;

	memset(h, 0, sizeof(*h));
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_EVENTS) <= 0 ||
	    ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DEBUGREGS) <= 0) {
		snprintf(err, errlen, "KVM lacks KVM_CAP_VCPU_EVENTS or KVM_CAP_DEBUGREGS: "
			 "this kernel's KVM is too old to save a vCPU");
		return -1;
	}
	h->sregs2 = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SREGS2) > 0;
	h->xcrs = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
	n = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	if (n >= LEGACY_XSAVE_SIZE && n <= VCPU_SAVE_MAX_XSAVE) {
		h->xsave2 = 1;
		h->xsave_size = (uint32_t)n;
	} else if (n > VCPU_SAVE_MAX_XSAVE) {
		snprintf(err, errlen, "KVM_CAP_XSAVE2: an XSAVE area of %d bytes, at most %d",
			 n, VCPU_SAVE_MAX_XSAVE);
		return -1;
	} else if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0) {
		h->xsave_size = LEGACY_XSAVE_SIZE;
	}
	if (get_msr_list(kvm_fd, h, err, errlen)) {
		vcpu_save_host_free(h);
		return -1;
	}
	add_msr(h, MSR_IA32_TSC);
	add_msr(h, MSR_KVM_WALL_CLOCK);
	add_msr(h, MSR_KVM_SYSTEM_TIME);
	add_msr(h, MSR_KVM_WALL_CLOCK_NEW);
	add_msr(h, MSR_KVM_SYSTEM_TIME_NEW);
	return 0;
}

void vcpu_save_host_free(struct vcpu_save_host *h)
{
	free(h->msrs);
	h->msrs = NULL;
	h->n_msrs = 0;
}

void vcpu_save_free(struct vcpu_save *s)
{
	free(s->xsave);
	free(s->msrs);
	memset(s, 0, sizeof(*s));
}

uint64_t vcpu_save_tsc(const struct vcpu_save *s, int *found)
{
	uint32_t i;

	for (i = 0; i < s->n_msrs; i++) {
		if (s->msrs[i].index == MSR_IA32_TSC) {
			*found = 1;
			return s->msrs[i].data;
		}
	}
	*found = 0;
	return 0;
}

static void sregs_from_legacy(struct vcpu_save *s, const struct kvm_sregs *o)
{
	struct kvm_sregs2 *n = &s->sregs;

	n->cs = o->cs; n->ds = o->ds; n->es = o->es; n->fs = o->fs;
	n->gs = o->gs; n->ss = o->ss; n->tr = o->tr; n->ldt = o->ldt;
	n->gdt = o->gdt; n->idt = o->idt;
	n->cr0 = o->cr0; n->cr2 = o->cr2; n->cr3 = o->cr3; n->cr4 = o->cr4;
	n->cr8 = o->cr8; n->efer = o->efer; n->apic_base = o->apic_base;
	n->flags = 0;
	memcpy(s->interrupt_bitmap, o->interrupt_bitmap, sizeof(s->interrupt_bitmap));
}

static void sregs_to_legacy(const struct vcpu_save *s, struct kvm_sregs *o)
{
	const struct kvm_sregs2 *n = &s->sregs;

	memset(o, 0, sizeof(*o));
	o->cs = n->cs; o->ds = n->ds; o->es = n->es; o->fs = n->fs;
	o->gs = n->gs; o->ss = n->ss; o->tr = n->tr; o->ldt = n->ldt;
	o->gdt = n->gdt; o->idt = n->idt;
	o->cr0 = n->cr0; o->cr2 = n->cr2; o->cr3 = n->cr3; o->cr4 = n->cr4;
	o->cr8 = n->cr8; o->efer = n->efer; o->apic_base = n->apic_base;
	memcpy(o->interrupt_bitmap, s->interrupt_bitmap, sizeof(s->interrupt_bitmap));
}

static int get_sregs(int fd, int id, const struct vcpu_save_host *h, struct vcpu_save *s,
		     char *err, size_t errlen)
{
	struct kvm_sregs o;

	if (h->sregs2)
		return ioctl(fd, KVM_GET_SREGS2, &s->sregs) < 0 ?
			fail(err, errlen, id, "KVM_GET_SREGS2") : 0;
	if (ioctl(fd, KVM_GET_SREGS, &o) < 0)
		return fail(err, errlen, id, "KVM_GET_SREGS");
	sregs_from_legacy(s, &o);
	return 0;
}

static int get_fpu(int fd, int id, const struct vcpu_save_host *h, struct vcpu_save *s,
		   char *err, size_t errlen)
{
	if (!h->xsave_size) {
		s->fpu_kind = VCPU_SAVE_FPU_LEGACY;
		return ioctl(fd, KVM_GET_FPU, &s->fpu) < 0 ? fail(err, errlen, id, "KVM_GET_FPU") : 0;
	}
	s->fpu_kind = VCPU_SAVE_FPU_XSAVE;
	s->xsave = calloc(1, h->xsave_size);
	if (!s->xsave) {
		errno = ENOMEM;
		return fail(err, errlen, id, "XSAVE area");
	}
	s->xsave_len = h->xsave_size;
	if (h->xsave2)
		return ioctl(fd, KVM_GET_XSAVE2, s->xsave) < 0 ?
			fail(err, errlen, id, "KVM_GET_XSAVE2") : 0;
	return ioctl(fd, KVM_GET_XSAVE, s->xsave) < 0 ? fail(err, errlen, id, "KVM_GET_XSAVE") : 0;
}

/* A struct kvm_msrs with room for VCPU_SAVE_MSR_BATCH entries. */
static struct kvm_msrs *msr_batch(int id, char *err, size_t errlen)
{
	struct kvm_msrs *b = calloc(1, sizeof(*b) + VCPU_SAVE_MSR_BATCH * sizeof(b->entries[0]));

	if (!b) {
		errno = ENOMEM;
		fail(err, errlen, id, "MSR batch");
	}
	return b;
}

/* One KVM_GET_MSRS of up to a batch from list: what it read goes to
 * s->msrs; returns how many of m it read, or -1. */
static int get_msr_batch(int fd, int id, struct kvm_msrs *b, const uint32_t *list, uint32_t m,
			 struct vcpu_save *s, char *err, size_t errlen)
{
	uint32_t j;
	int got;

	memset(b->entries, 0, VCPU_SAVE_MSR_BATCH * sizeof(b->entries[0]));
	b->nmsrs = m;
	for (j = 0; j < m; j++)
		b->entries[j].index = list[j];
	got = ioctl(fd, KVM_GET_MSRS, b);
	if (got < 0)
		return fail(err, errlen, id, "KVM_GET_MSRS");
	if ((uint32_t)got > m) {
		snprintf(err, errlen, "vCPU %d: KVM_GET_MSRS read %d of %u MSRs", id, got, m);
		return -1;
	}
	memcpy(&s->msrs[s->n_msrs], b->entries, (size_t)got * sizeof(b->entries[0]));
	s->n_msrs += (uint32_t)got;
	return got;
}

/* KVM_GET_MSRS stops at the first MSR it cannot read and returns how many
 * it read: keep those, drop the one that failed, go on after it. */
static int get_msrs(int fd, int id, const struct vcpu_save_host *h, struct vcpu_save *s,
		    char *err, size_t errlen)
{
	struct kvm_msrs *b;
	uint32_t i = 0, m;
	int got = 0;

	s->msrs = calloc(h->n_msrs ? h->n_msrs : 1, sizeof(s->msrs[0]));
	b = msr_batch(id, err, errlen);
	if (!s->msrs || !b) {
		free(b);
		errno = ENOMEM;
		return fail(err, errlen, id, "MSR list");
	}
	while (i < h->n_msrs && got >= 0) {
		m = h->n_msrs - i < VCPU_SAVE_MSR_BATCH ? h->n_msrs - i : VCPU_SAVE_MSR_BATCH;
		got = get_msr_batch(fd, id, b, &h->msrs[i], m, s, err, errlen);
		if (got >= 0 && (uint32_t)got < m)
			s->dropped_msrs++;
		i += got >= 0 && (uint32_t)got < m ? (uint32_t)got + 1 : m;
	}
	free(b);
	return got < 0 ? -1 : 0;
}

static int get_simple(int fd, int id, const struct vcpu_save_host *h, struct vcpu_save *s,
		      char *err, size_t errlen)
{
	int khz;

	if (ioctl(fd, KVM_GET_REGS, &s->regs) < 0)
		return fail(err, errlen, id, "KVM_GET_REGS");
	if (h->xcrs && ioctl(fd, KVM_GET_XCRS, &s->xcrs) < 0)
		return fail(err, errlen, id, "KVM_GET_XCRS");
	if (ioctl(fd, KVM_GET_DEBUGREGS, &s->debugregs) < 0)
		return fail(err, errlen, id, "KVM_GET_DEBUGREGS");
	if (ioctl(fd, KVM_GET_LAPIC, &s->lapic) < 0)
		return fail(err, errlen, id, "KVM_GET_LAPIC");
	khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);
	s->tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	return 0;
}

int vcpu_save_capture(int fd, int id, const struct vcpu_save_host *h, struct vcpu_save *s,
		      char *err, size_t errlen)
{
	struct kvm_mp_state mp;

	vcpu_save_free(s);
	if (ioctl(fd, KVM_GET_MP_STATE, &mp) < 0)
		return fail(err, errlen, id, "KVM_GET_MP_STATE");
	s->mp_state = mp.mp_state;
	if (ioctl(fd, KVM_GET_VCPU_EVENTS, &s->events) < 0)
		return fail(err, errlen, id, "KVM_GET_VCPU_EVENTS");
	if (get_sregs(fd, id, h, s, err, errlen) || get_fpu(fd, id, h, s, err, errlen) ||
	    get_simple(fd, id, h, s, err, errlen) || get_msrs(fd, id, h, s, err, errlen)) {
		vcpu_save_free(s);
		return -1;
	}
	return 0;
}

static int set_tsc_khz(int fd, int id, const struct vcpu_save *s, char *err, size_t errlen)
{
	int khz;

	if (!s->tsc_khz)
		return 0;
	khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);
	if (khz > 0 && (uint32_t)khz == s->tsc_khz)
		return 0;
	if (ioctl(fd, KVM_SET_TSC_KHZ, (unsigned long)s->tsc_khz) < 0) {
		snprintf(err, errlen, "vCPU %d state: a TSC of %u kHz, this vCPU's is %d kHz and "
			 "KVM_SET_TSC_KHZ refused it: %s", id, s->tsc_khz, khz, strerror(errno));
		return -1;
	}
	return 0;
}

static int set_sregs(int fd, int id, const struct vcpu_save_host *h, const struct vcpu_save *s,
		     char *err, size_t errlen)
{
	struct kvm_sregs2 n;
	struct kvm_sregs o;

	if (h->sregs2) {
		n = s->sregs;
		return ioctl(fd, KVM_SET_SREGS2, &n) < 0 ? fail(err, errlen, id, "KVM_SET_SREGS2") : 0;
	}
	/* Without SREGS2 KVM reloads the PDPTRs from guest memory (CR3). */
	sregs_to_legacy(s, &o);
	return ioctl(fd, KVM_SET_SREGS, &o) < 0 ? fail(err, errlen, id, "KVM_SET_SREGS") : 0;
}

static int set_xsave(int fd, int id, const struct vcpu_save_host *h, const struct vcpu_save *s,
		     char *err, size_t errlen)
{
	uint8_t *img;
	int ret;

	if (!h->xsave_size) {
		snprintf(err, errlen, "vCPU %d state: an XSAVE image, this host's KVM has no "
			 "KVM_SET_XSAVE", id);
		return -1;
	}
	if (s->xsave_len > h->xsave_size) {
		snprintf(err, errlen, "vCPU %d state: XSAVE area of %u bytes, this host's KVM uses %u",
			 id, s->xsave_len, h->xsave_size);
		return -1;
	}
	/* A smaller image (a host without dynamic features) is the same
	 * layout with those features absent: zeros after it. */
	img = calloc(1, h->xsave_size);
	if (!img) {
		errno = ENOMEM;
		return fail(err, errlen, id, "XSAVE area");
	}
	memcpy(img, s->xsave, s->xsave_len);
	ret = ioctl(fd, KVM_SET_XSAVE, img) < 0 ? fail(err, errlen, id, "KVM_SET_XSAVE") : 0;
	free(img);
	return ret;
}

static int set_fpu(int fd, int id, const struct vcpu_save_host *h, const struct vcpu_save *s,
		   char *err, size_t errlen)
{
	struct kvm_xcrs x = s->xcrs;
	struct kvm_fpu f = s->fpu;

	if (s->fpu_kind == VCPU_SAVE_FPU_XSAVE) {
		if (set_xsave(fd, id, h, s, err, errlen))
			return -1;
	} else if (ioctl(fd, KVM_SET_FPU, &f) < 0) {
		return fail(err, errlen, id, "KVM_SET_FPU");
	}
	if (!s->xcrs.nr_xcrs)
		return 0;
	if (!h->xcrs) {
		snprintf(err, errlen, "vCPU %d state: %u XCRs, this host's KVM has no KVM_SET_XCRS",
			 id, s->xcrs.nr_xcrs);
		return -1;
	}
	return ioctl(fd, KVM_SET_XCRS, &x) < 0 ? fail(err, errlen, id, "KVM_SET_XCRS") : 0;
}

/* tsc advanced by ns nanoseconds at khz kHz, without overflow for any
 * advance below 2^64 ms. */
static uint64_t tsc_after(uint64_t tsc, uint64_t ns, uint32_t khz)
{
	return tsc + ns / 1000000 * khz + ns % 1000000 * khz / 1000000;
}

static int set_msr_batch(int fd, int id, const struct kvm_msr_entry *e, uint32_t n,
			 char *err, size_t errlen)
{
	struct kvm_msrs *b = msr_batch(id, err, errlen);
	int put;

	if (!b)
		return -1;
	b->nmsrs = n;
	memcpy(b->entries, e, n * sizeof(e[0]));
	put = ioctl(fd, KVM_SET_MSRS, b);
	free(b);
	if (put < 0)
		return fail(err, errlen, id, "KVM_SET_MSRS");
	if ((uint32_t)put < n) {
		snprintf(err, errlen, "vCPU %d state: KVM_SET_MSRS refused MSR 0x%x (value 0x%llx)",
			 id, e[put].index, (unsigned long long)e[put].data);
		return -1;
	}
	return 0;
}

static int set_msrs(int fd, int id, const struct vcpu_save *s, uint64_t advance_ns,
		    char *err, size_t errlen)
{
	struct kvm_msr_entry batch[VCPU_SAVE_MSR_BATCH];
	uint32_t i, n = 0;
	int found;
	uint64_t tsc = vcpu_save_tsc(s, &found);

	if (found) {
		batch[0] = (struct kvm_msr_entry){ .index = MSR_IA32_TSC,
			.data = tsc_after(tsc, advance_ns, s->tsc_khz) };
		if (set_msr_batch(fd, id, batch, 1, err, errlen))
			return -1;
	}
	for (i = 0; i < s->n_msrs; i++) {
		if (s->msrs[i].index == MSR_IA32_TSC)
			continue;
		batch[n++] = s->msrs[i];
		if (n == VCPU_SAVE_MSR_BATCH) {
			if (set_msr_batch(fd, id, batch, n, err, errlen))
				return -1;
			n = 0;
		}
	}
	return n ? set_msr_batch(fd, id, batch, n, err, errlen) : 0;
}

int vcpu_save_restore(int fd, int id, const struct vcpu_save_host *h, const struct vcpu_save *s,
		      uint64_t tsc_advance_ns, char *err, size_t errlen)
{
	struct kvm_regs regs = s->regs;
	struct kvm_debugregs dbg = s->debugregs;
	struct kvm_lapic_state lapic = s->lapic;
	struct kvm_vcpu_events ev = s->events;
	struct kvm_mp_state mp = { .mp_state = s->mp_state };

	/* KVM_GET_VCPU_EVENTS does not set these two flags, and without them
	 * KVM_SET_VCPU_EVENTS ignores the pending NMIs and the SIPI vector. */
	ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	if (set_tsc_khz(fd, id, s, err, errlen))
		return -1;
	if (ioctl(fd, KVM_SET_REGS, &regs) < 0)
		return fail(err, errlen, id, "KVM_SET_REGS");
	if (set_sregs(fd, id, h, s, err, errlen) || set_fpu(fd, id, h, s, err, errlen))
		return -1;
	if (ioctl(fd, KVM_SET_DEBUGREGS, &dbg) < 0)
		return fail(err, errlen, id, "KVM_SET_DEBUGREGS");
	if (ioctl(fd, KVM_SET_LAPIC, &lapic) < 0)
		return fail(err, errlen, id, "KVM_SET_LAPIC");
	if (set_msrs(fd, id, s, tsc_advance_ns, err, errlen))
		return -1;
	if (ioctl(fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return fail(err, errlen, id, "KVM_SET_VCPU_EVENTS");
	if (ioctl(fd, KVM_SET_MP_STATE, &mp) < 0)
		return fail(err, errlen, id, "KVM_SET_MP_STATE");
	return 0;
}
