/* The byte encoding of an x86 vCPU's saved state (layout in vcpu_save.h):
 * its sections' payloads, written and read back from untrusted bytes with
 * every length, count and reserved field checked; the header and the
 * section framing around them are vmm/snapshot/section.c's. A snapshot's
 * vCPU records (vmm/machine_snapshot.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../snapshot/section.h"
#include "vcpu_save.h"

#define WHAT             "vCPU state"
#define VCPU_SAVE_MAGIC  0x50435663U    /* "cVCP" */
#define SEG_LEN          23
#define DTABLE_LEN       10
#define REGS_LEN         144
#define SREGS_LEN        (8 * SEG_LEN + 2 * DTABLE_LEN + 7 * 8 + 8 + 4 * 8 + 4 * 8)
#define LEGACY_FPU_LEN   411
#define XCR_LEN          12
#define DEBUGREGS_LEN    56
#define LAPIC_LEN        KVM_APIC_REG_SIZE
#define EVENTS_LEN       37
#define MSR_LEN          12
#define MISC_LEN         8
#define MIN_XSAVE        4096
#define EVENT_FLAGS      0x3fU          /* KVM_VCPUEVENT_VALID_* known */

enum {
	TAG_REGS = 1, TAG_SREGS, TAG_FPU, TAG_XCRS, TAG_DEBUGREGS, TAG_LAPIC,
	TAG_EVENTS, TAG_MSRS, TAG_MISC,
};

static void put_regs(struct snap_out *o, const void *state)
{
	const struct kvm_regs *r = &((const struct vcpu_save *)state)->regs;
	const uint64_t v[] = {
		r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rsp, r->rbp,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
		r->rip, r->rflags,
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		snap_put_u64(o, v[i]);
}

static void put_segment(struct snap_out *o, const struct kvm_segment *s)
{
	snap_put_u64(o, s->base);
	snap_put_u32(o, s->limit);
	snap_put_u16(o, s->selector);
	snap_put_u8(o, s->type);
	snap_put_u8(o, s->present);
	snap_put_u8(o, s->dpl);
	snap_put_u8(o, s->db);
	snap_put_u8(o, s->s);
	snap_put_u8(o, s->l);
	snap_put_u8(o, s->g);
	snap_put_u8(o, s->avl);
	snap_put_u8(o, s->unusable);
}

static void put_sregs(struct snap_out *o, const void *state)
{
	const struct vcpu_save *s = state;
	const struct kvm_sregs2 *r = &s->sregs;
	const struct kvm_segment *seg[] = {
		&r->cs, &r->ds, &r->es, &r->fs, &r->gs, &r->ss, &r->tr, &r->ldt,
	};
	size_t i;

	for (i = 0; i < 8; i++)
		put_segment(o, seg[i]);
	snap_put_u64(o, r->gdt.base);
	snap_put_u16(o, r->gdt.limit);
	snap_put_u64(o, r->idt.base);
	snap_put_u16(o, r->idt.limit);
	snap_put_u64(o, r->cr0);
	snap_put_u64(o, r->cr2);
	snap_put_u64(o, r->cr3);
	snap_put_u64(o, r->cr4);
	snap_put_u64(o, r->cr8);
	snap_put_u64(o, r->efer);
	snap_put_u64(o, r->apic_base);
	snap_put_u64(o, r->flags);
	for (i = 0; i < 4; i++)
		snap_put_u64(o, r->pdptrs[i]);
	for (i = 0; i < 4; i++)
		snap_put_u64(o, s->interrupt_bitmap[i]);
}

static void put_fpu(struct snap_out *o, const void *state)
{
	const struct vcpu_save *s = state;
	const struct kvm_fpu *f = &s->fpu;

	snap_put_u32(o, s->fpu_kind);
	if (s->fpu_kind == VCPU_SAVE_FPU_XSAVE) {
		snap_put_bytes(o, s->xsave, s->xsave_len);
		return;
	}
	snap_put_bytes(o, f->fpr, sizeof(f->fpr));
	snap_put_u16(o, f->fcw);
	snap_put_u16(o, f->fsw);
	snap_put_u8(o, f->ftwx);
	snap_put_u16(o, f->last_opcode);
	snap_put_u64(o, f->last_ip);
	snap_put_u64(o, f->last_dp);
	snap_put_bytes(o, f->xmm, sizeof(f->xmm));
	snap_put_u32(o, f->mxcsr);
}

static void put_xcrs(struct snap_out *o, const void *state)
{
	const struct kvm_xcrs *x = &((const struct vcpu_save *)state)->xcrs;
	uint32_t i;

	snap_put_u32(o, x->nr_xcrs);
	snap_put_u32(o, x->flags);
	for (i = 0; i < x->nr_xcrs && i < KVM_MAX_XCRS; i++) {
		snap_put_u32(o, x->xcrs[i].xcr);
		snap_put_u64(o, x->xcrs[i].value);
	}
}

static void put_debugregs(struct snap_out *o, const void *state)
{
	const struct kvm_debugregs *d = &((const struct vcpu_save *)state)->debugregs;
	int i;

	for (i = 0; i < 4; i++)
		snap_put_u64(o, d->db[i]);
	snap_put_u64(o, d->dr6);
	snap_put_u64(o, d->dr7);
	snap_put_u64(o, d->flags);
}

static void put_lapic(struct snap_out *o, const void *state)
{
	const struct kvm_lapic_state *l = &((const struct vcpu_save *)state)->lapic;

	snap_put_bytes(o, l->regs, sizeof(l->regs));
}

static void put_events(struct snap_out *o, const void *state)
{
	const struct kvm_vcpu_events *e = &((const struct vcpu_save *)state)->events;

	snap_put_u8(o, e->exception.injected);
	snap_put_u8(o, e->exception.nr);
	snap_put_u8(o, e->exception.has_error_code);
	snap_put_u8(o, e->exception.pending);
	snap_put_u32(o, e->exception.error_code);
	snap_put_u8(o, e->interrupt.injected);
	snap_put_u8(o, e->interrupt.nr);
	snap_put_u8(o, e->interrupt.soft);
	snap_put_u8(o, e->interrupt.shadow);
	snap_put_u8(o, e->nmi.injected);
	snap_put_u8(o, e->nmi.pending);
	snap_put_u8(o, e->nmi.masked);
	snap_put_u32(o, e->sipi_vector);
	snap_put_u32(o, e->flags);
	snap_put_u8(o, e->smi.smm);
	snap_put_u8(o, e->smi.pending);
	snap_put_u8(o, e->smi.smm_inside_nmi);
	snap_put_u8(o, e->smi.latched_init);
	snap_put_u8(o, e->triple_fault.pending);
	snap_put_u8(o, e->exception_has_payload);
	snap_put_u64(o, e->exception_payload);
}

static void put_msrs(struct snap_out *o, const void *state)
{
	const struct vcpu_save *s = state;
	uint32_t i;

	snap_put_u32(o, s->n_msrs);
	for (i = 0; i < s->n_msrs; i++) {
		snap_put_u32(o, s->msrs[i].index);
		snap_put_u64(o, s->msrs[i].data);
	}
}

static void put_misc(struct snap_out *o, const void *state)
{
	const struct vcpu_save *s = state;

	snap_put_u32(o, s->mp_state);
	snap_put_u32(o, s->tsc_khz);
}

static int get_regs(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	struct kvm_regs *g = &((struct vcpu_save *)state)->regs;
	__u64 *v[] = {
		&g->rax, &g->rbx, &g->rcx, &g->rdx, &g->rsi, &g->rdi, &g->rsp, &g->rbp,
		&g->r8, &g->r9, &g->r10, &g->r11, &g->r12, &g->r13, &g->r14, &g->r15,
		&g->rip, &g->rflags,
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		*v[i] = snap_get_u64(sub);
	return 0;
}

static void get_segment(struct snap_in *in, struct kvm_segment *s)
{
	s->base = snap_get_u64(in);
	s->limit = snap_get_u32(in);
	s->selector = snap_get_u16(in);
	s->type = snap_get_u8(in);
	s->present = snap_get_u8(in);
	s->dpl = snap_get_u8(in);
	s->db = snap_get_u8(in);
	s->s = snap_get_u8(in);
	s->l = snap_get_u8(in);
	s->g = snap_get_u8(in);
	s->avl = snap_get_u8(in);
	s->unusable = snap_get_u8(in);
}

static int get_sregs(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	struct vcpu_save *s = state;
	struct kvm_sregs2 *g = &s->sregs;
	struct kvm_segment *seg[] = {
		&g->cs, &g->ds, &g->es, &g->fs, &g->gs, &g->ss, &g->tr, &g->ldt,
	};
	size_t i;

	for (i = 0; i < 8; i++)
		get_segment(sub, seg[i]);
	g->gdt.base = snap_get_u64(sub);
	g->gdt.limit = snap_get_u16(sub);
	g->idt.base = snap_get_u64(sub);
	g->idt.limit = snap_get_u16(sub);
	g->cr0 = snap_get_u64(sub);
	g->cr2 = snap_get_u64(sub);
	g->cr3 = snap_get_u64(sub);
	g->cr4 = snap_get_u64(sub);
	g->cr8 = snap_get_u64(sub);
	g->efer = snap_get_u64(sub);
	g->apic_base = snap_get_u64(sub);
	g->flags = snap_get_u64(sub);
	for (i = 0; i < 4; i++)
		g->pdptrs[i] = snap_get_u64(sub);
	for (i = 0; i < 4; i++)
		s->interrupt_bitmap[i] = snap_get_u64(sub);
	if (g->flags & ~(uint64_t)KVM_SREGS2_FLAGS_PDPTRS_VALID) {
		snprintf(err, errlen, WHAT ": special registers flags 0x%llx, only 0x%x is known",
			 (unsigned long long)g->flags, KVM_SREGS2_FLAGS_PDPTRS_VALID);
		return -1;
	}
	return 0;
}

static void get_legacy_fpu(struct snap_in *in, struct kvm_fpu *f)
{
	snap_get_bytes(in, f->fpr, sizeof(f->fpr));
	f->fcw = snap_get_u16(in);
	f->fsw = snap_get_u16(in);
	f->ftwx = snap_get_u8(in);
	f->last_opcode = snap_get_u16(in);
	f->last_ip = snap_get_u64(in);
	f->last_dp = snap_get_u64(in);
	snap_get_bytes(in, f->xmm, sizeof(f->xmm));
	f->mxcsr = snap_get_u32(in);
}

static int get_xsave(struct snap_in *sub, struct vcpu_save *s, char *err, size_t errlen)
{
	size_t n = snap_in_left(sub);

	if (n < MIN_XSAVE || n > VCPU_SAVE_MAX_XSAVE) {
		snprintf(err, errlen, WHAT ": XSAVE area of %zu bytes, %s %d", n,
			 n < MIN_XSAVE ? "at least" : "at most",
			 n < MIN_XSAVE ? MIN_XSAVE : VCPU_SAVE_MAX_XSAVE);
		return -1;
	}
	s->xsave = malloc(n);
	if (!s->xsave) {
		snprintf(err, errlen, WHAT ": out of memory for an XSAVE area of %zu bytes", n);
		return -1;
	}
	s->xsave_len = (uint32_t)n;
	snap_get_bytes(sub, s->xsave, n);
	return 0;
}

static int get_fpu(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	struct vcpu_save *s = state;

	s->fpu_kind = snap_get_u32(sub);
	if (snap_in_failed(sub)) {
		snprintf(err, errlen, WHAT ": FPU section of %zu bytes, too short for its kind",
			 sub->len);
		return -1;
	}
	if (s->fpu_kind == VCPU_SAVE_FPU_XSAVE)
		return get_xsave(sub, s, err, errlen);
	if (s->fpu_kind != VCPU_SAVE_FPU_LEGACY) {
		snprintf(err, errlen, WHAT ": FPU kind %u, not %d (XSAVE) or %d (legacy)",
			 s->fpu_kind, VCPU_SAVE_FPU_XSAVE, VCPU_SAVE_FPU_LEGACY);
		return -1;
	}
	if (snap_sect_expect(sub, WHAT, "legacy FPU", 4 + LEGACY_FPU_LEN, err, errlen))
		return -1;
	get_legacy_fpu(sub, &s->fpu);
	return 0;
}

static int get_xcrs(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	struct kvm_xcrs *x = &((struct vcpu_save *)state)->xcrs;
	uint32_t i;

	x->nr_xcrs = snap_get_u32(sub);
	x->flags = snap_get_u32(sub);
	if (snap_in_failed(sub)) {
		snprintf(err, errlen, WHAT ": XCRs section of %zu bytes, at least 8", sub->len);
		return -1;
	}
	if (x->nr_xcrs > KVM_MAX_XCRS) {
		snprintf(err, errlen, WHAT ": %u XCRs, at most %d", x->nr_xcrs, KVM_MAX_XCRS);
		return -1;
	}
	if (x->flags) {
		snprintf(err, errlen, WHAT ": XCRs flags 0x%x, not 0", x->flags);
		return -1;
	}
	if (snap_sect_expect(sub, WHAT, "XCRs", 8 + (size_t)x->nr_xcrs * XCR_LEN, err, errlen))
		return -1;
	for (i = 0; i < x->nr_xcrs; i++) {
		x->xcrs[i].xcr = snap_get_u32(sub);
		x->xcrs[i].value = snap_get_u64(sub);
	}
	return 0;
}

static int get_debugregs(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	struct kvm_debugregs *d = &((struct vcpu_save *)state)->debugregs;
	int i;

	for (i = 0; i < 4; i++)
		d->db[i] = snap_get_u64(sub);
	d->dr6 = snap_get_u64(sub);
	d->dr7 = snap_get_u64(sub);
	d->flags = snap_get_u64(sub);
	if (d->flags) {
		snprintf(err, errlen, WHAT ": debug registers flags 0x%llx, not 0",
			 (unsigned long long)d->flags);
		return -1;
	}
	return 0;
}

static int get_lapic(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	struct kvm_lapic_state *l = &((struct vcpu_save *)state)->lapic;

	snap_get_bytes(sub, l->regs, sizeof(l->regs));
	return 0;
}

static int get_events(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	struct kvm_vcpu_events *e = &((struct vcpu_save *)state)->events;

	e->exception.injected = snap_get_u8(sub);
	e->exception.nr = snap_get_u8(sub);
	e->exception.has_error_code = snap_get_u8(sub);
	e->exception.pending = snap_get_u8(sub);
	e->exception.error_code = snap_get_u32(sub);
	e->interrupt.injected = snap_get_u8(sub);
	e->interrupt.nr = snap_get_u8(sub);
	e->interrupt.soft = snap_get_u8(sub);
	e->interrupt.shadow = snap_get_u8(sub);
	e->nmi.injected = snap_get_u8(sub);
	e->nmi.pending = snap_get_u8(sub);
	e->nmi.masked = snap_get_u8(sub);
	e->sipi_vector = snap_get_u32(sub);
	e->flags = snap_get_u32(sub);
	e->smi.smm = snap_get_u8(sub);
	e->smi.pending = snap_get_u8(sub);
	e->smi.smm_inside_nmi = snap_get_u8(sub);
	e->smi.latched_init = snap_get_u8(sub);
	e->triple_fault.pending = snap_get_u8(sub);
	e->exception_has_payload = snap_get_u8(sub);
	e->exception_payload = snap_get_u64(sub);
	if (e->flags & ~EVENT_FLAGS) {
		snprintf(err, errlen, WHAT ": events flags 0x%x, only 0x%x are known", e->flags,
			 EVENT_FLAGS);
		return -1;
	}
	return 0;
}

static int get_msrs(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	struct vcpu_save *s = state;
	uint32_t i, n;

	n = snap_get_u32(sub);
	if (snap_in_failed(sub)) {
		snprintf(err, errlen, WHAT ": MSRs section of %zu bytes, at least 4", sub->len);
		return -1;
	}
	if (n > VCPU_SAVE_MAX_MSRS) {
		snprintf(err, errlen, WHAT ": %u MSRs, at most %d", n, VCPU_SAVE_MAX_MSRS);
		return -1;
	}
	if (snap_sect_expect(sub, WHAT, "MSRs", 4 + (size_t)n * MSR_LEN, err, errlen))
		return -1;
	s->msrs = calloc(n ? n : 1, sizeof(s->msrs[0]));
	if (!s->msrs) {
		snprintf(err, errlen, WHAT ": out of memory for %u MSRs", n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		s->msrs[i].index = snap_get_u32(sub);
		s->msrs[i].data = snap_get_u64(sub);
	}
	s->n_msrs = n;
	return 0;
}

static int valid_mp_state(uint32_t v)
{
	return v == KVM_MP_STATE_RUNNABLE || v == KVM_MP_STATE_UNINITIALIZED ||
	       v == KVM_MP_STATE_INIT_RECEIVED || v == KVM_MP_STATE_HALTED ||
	       v == KVM_MP_STATE_SIPI_RECEIVED || v == KVM_MP_STATE_AP_RESET_HOLD ||
	       v == KVM_MP_STATE_SUSPENDED;
}

static int get_misc(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	struct vcpu_save *s = state;

	s->mp_state = snap_get_u32(sub);
	s->tsc_khz = snap_get_u32(sub);
	if (!valid_mp_state(s->mp_state)) {
		snprintf(err, errlen, WHAT ": MP state %u is not an x86 one", s->mp_state);
		return -1;
	}
	return 0;
}

static const struct snap_sect sections[] = {
	{ TAG_REGS, "registers", REGS_LEN, put_regs, get_regs },
	{ TAG_SREGS, "special registers", SREGS_LEN, put_sregs, get_sregs },
	{ TAG_FPU, "FPU", SNAP_SECT_ANY_LEN, put_fpu, get_fpu },
	{ TAG_XCRS, "XCRs", SNAP_SECT_ANY_LEN, put_xcrs, get_xcrs },
	{ TAG_DEBUGREGS, "debug registers", DEBUGREGS_LEN, put_debugregs, get_debugregs },
	{ TAG_LAPIC, "LAPIC", LAPIC_LEN, put_lapic, get_lapic },
	{ TAG_EVENTS, "events", EVENTS_LEN, put_events, get_events },
	{ TAG_MSRS, "MSRs", SNAP_SECT_ANY_LEN, put_msrs, get_msrs },
	{ TAG_MISC, "MP state", MISC_LEN, put_misc, get_misc },
};

static const struct snap_sect_format format = {
	.what = WHAT,
	.magic = VCPU_SAVE_MAGIC,
	.magic_name = "cVCP",
	.version = VCPU_SAVE_VERSION,
	.sect = sections,
	.n_sect = sizeof(sections) / sizeof(sections[0]),
};

int vcpu_save_encode(const struct vcpu_save *s, uint8_t **out, size_t *len)
{
	return snap_sect_encode(&format, s, out, len);
}

int vcpu_save_decode(const uint8_t *buf, size_t len, struct vcpu_save *s, char *err, size_t errlen)
{
	vcpu_save_free(s);
	if (snap_sect_decode(&format, buf, len, s, err, errlen)) {
		vcpu_save_free(s);
		return -1;
	}
	return 0;
}
