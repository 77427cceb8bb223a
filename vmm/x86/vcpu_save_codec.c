/* The byte encoding of an x86 vCPU's saved state (layout in vcpu_save.h):
 * writing it, and reading it back from untrusted bytes with every length,
 * count and reserved field checked. Groundwork for issue 15; nothing uses
 * it yet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "save_buf.h"
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

static void put_regs(struct save_wr *w, const struct kvm_regs *r)
{
	const uint64_t v[] = {
		r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rsp, r->rbp,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
		r->rip, r->rflags,
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		save_wr_u64(w, v[i]);
}

static void put_segment(struct save_wr *w, const struct kvm_segment *s)
{
	save_wr_u64(w, s->base);
	save_wr_u32(w, s->limit);
	save_wr_u16(w, s->selector);
	save_wr_u8(w, s->type);
	save_wr_u8(w, s->present);
	save_wr_u8(w, s->dpl);
	save_wr_u8(w, s->db);
	save_wr_u8(w, s->s);
	save_wr_u8(w, s->l);
	save_wr_u8(w, s->g);
	save_wr_u8(w, s->avl);
	save_wr_u8(w, s->unusable);
}

static void put_sregs(struct save_wr *w, const struct vcpu_save *s)
{
	const struct kvm_sregs2 *r = &s->sregs;
	const struct kvm_segment *seg[] = {
		&r->cs, &r->ds, &r->es, &r->fs, &r->gs, &r->ss, &r->tr, &r->ldt,
	};
	size_t i;

	for (i = 0; i < 8; i++)
		put_segment(w, seg[i]);
	save_wr_u64(w, r->gdt.base);
	save_wr_u16(w, r->gdt.limit);
	save_wr_u64(w, r->idt.base);
	save_wr_u16(w, r->idt.limit);
	save_wr_u64(w, r->cr0);
	save_wr_u64(w, r->cr2);
	save_wr_u64(w, r->cr3);
	save_wr_u64(w, r->cr4);
	save_wr_u64(w, r->cr8);
	save_wr_u64(w, r->efer);
	save_wr_u64(w, r->apic_base);
	save_wr_u64(w, r->flags);
	for (i = 0; i < 4; i++)
		save_wr_u64(w, r->pdptrs[i]);
	for (i = 0; i < 4; i++)
		save_wr_u64(w, s->interrupt_bitmap[i]);
}

static void put_fpu(struct save_wr *w, const struct vcpu_save *s)
{
	const struct kvm_fpu *f = &s->fpu;

	save_wr_u32(w, s->fpu_kind);
	if (s->fpu_kind == VCPU_SAVE_FPU_XSAVE) {
		save_wr_bytes(w, s->xsave, s->xsave_len);
		return;
	}
	save_wr_bytes(w, f->fpr, sizeof(f->fpr));
	save_wr_u16(w, f->fcw);
	save_wr_u16(w, f->fsw);
	save_wr_u8(w, f->ftwx);
	save_wr_u16(w, f->last_opcode);
	save_wr_u64(w, f->last_ip);
	save_wr_u64(w, f->last_dp);
	save_wr_bytes(w, f->xmm, sizeof(f->xmm));
	save_wr_u32(w, f->mxcsr);
}

static void put_xcrs(struct save_wr *w, const struct kvm_xcrs *x)
{
	uint32_t i;

	save_wr_u32(w, x->nr_xcrs);
	save_wr_u32(w, x->flags);
	for (i = 0; i < x->nr_xcrs && i < KVM_MAX_XCRS; i++) {
		save_wr_u32(w, x->xcrs[i].xcr);
		save_wr_u64(w, x->xcrs[i].value);
	}
}

static void put_debugregs(struct save_wr *w, const struct kvm_debugregs *d)
{
	int i;

	for (i = 0; i < 4; i++)
		save_wr_u64(w, d->db[i]);
	save_wr_u64(w, d->dr6);
	save_wr_u64(w, d->dr7);
	save_wr_u64(w, d->flags);
}

static void put_events(struct save_wr *w, const struct kvm_vcpu_events *e)
{
	save_wr_u8(w, e->exception.injected);
	save_wr_u8(w, e->exception.nr);
	save_wr_u8(w, e->exception.has_error_code);
	save_wr_u8(w, e->exception.pending);
	save_wr_u32(w, e->exception.error_code);
	save_wr_u8(w, e->interrupt.injected);
	save_wr_u8(w, e->interrupt.nr);
	save_wr_u8(w, e->interrupt.soft);
	save_wr_u8(w, e->interrupt.shadow);
	save_wr_u8(w, e->nmi.injected);
	save_wr_u8(w, e->nmi.pending);
	save_wr_u8(w, e->nmi.masked);
	save_wr_u32(w, e->sipi_vector);
	save_wr_u32(w, e->flags);
	save_wr_u8(w, e->smi.smm);
	save_wr_u8(w, e->smi.pending);
	save_wr_u8(w, e->smi.smm_inside_nmi);
	save_wr_u8(w, e->smi.latched_init);
	save_wr_u8(w, e->triple_fault.pending);
	save_wr_u8(w, e->exception_has_payload);
	save_wr_u64(w, e->exception_payload);
}

static void put_msrs(struct save_wr *w, const struct vcpu_save *s)
{
	uint32_t i;

	save_wr_u32(w, s->n_msrs);
	for (i = 0; i < s->n_msrs; i++) {
		save_wr_u32(w, s->msrs[i].index);
		save_wr_u64(w, s->msrs[i].data);
	}
}

int vcpu_save_encode(const struct vcpu_save *s, uint8_t **out, size_t *len)
{
	struct save_wr w = { 0 };
	size_t at;

	save_wr_u32(&w, VCPU_SAVE_MAGIC);
	save_wr_u16(&w, VCPU_SAVE_VERSION);
	save_wr_u16(&w, 0);
	at = save_wr_begin(&w, TAG_REGS);
	put_regs(&w, &s->regs);
	save_wr_end(&w, at);
	at = save_wr_begin(&w, TAG_SREGS);
	put_sregs(&w, s);
	save_wr_end(&w, at);
	at = save_wr_begin(&w, TAG_FPU);
	put_fpu(&w, s);
	save_wr_end(&w, at);
	at = save_wr_begin(&w, TAG_XCRS);
	put_xcrs(&w, &s->xcrs);
	save_wr_end(&w, at);
	at = save_wr_begin(&w, TAG_DEBUGREGS);
	put_debugregs(&w, &s->debugregs);
	save_wr_end(&w, at);
	at = save_wr_begin(&w, TAG_LAPIC);
	save_wr_bytes(&w, s->lapic.regs, sizeof(s->lapic.regs));
	save_wr_end(&w, at);
	at = save_wr_begin(&w, TAG_EVENTS);
	put_events(&w, &s->events);
	save_wr_end(&w, at);
	at = save_wr_begin(&w, TAG_MSRS);
	put_msrs(&w, s);
	save_wr_end(&w, at);
	at = save_wr_begin(&w, TAG_MISC);
	save_wr_u32(&w, s->mp_state);
	save_wr_u32(&w, s->tsc_khz);
	save_wr_end(&w, at);
	return save_wr_finish(&w, out, len);
}

static int get_regs(struct save_rd *r, struct kvm_regs *g, char *err, size_t errlen)
{
	__u64 *v[] = {
		&g->rax, &g->rbx, &g->rcx, &g->rdx, &g->rsi, &g->rdi, &g->rsp, &g->rbp,
		&g->r8, &g->r9, &g->r10, &g->r11, &g->r12, &g->r13, &g->r14, &g->r15,
		&g->rip, &g->rflags,
	};
	struct save_rd sub;
	size_t i;

	if (save_rd_section(r, WHAT, TAG_REGS, "registers", &sub, err, errlen) ||
	    save_rd_expect(&sub, WHAT, "registers", REGS_LEN, err, errlen))
		return -1;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		*v[i] = save_rd_u64(&sub);
	return 0;
}

static void get_segment(struct save_rd *r, struct kvm_segment *s)
{
	s->base = save_rd_u64(r);
	s->limit = save_rd_u32(r);
	s->selector = save_rd_u16(r);
	s->type = save_rd_u8(r);
	s->present = save_rd_u8(r);
	s->dpl = save_rd_u8(r);
	s->db = save_rd_u8(r);
	s->s = save_rd_u8(r);
	s->l = save_rd_u8(r);
	s->g = save_rd_u8(r);
	s->avl = save_rd_u8(r);
	s->unusable = save_rd_u8(r);
}

static int get_sregs(struct save_rd *r, struct vcpu_save *s, char *err, size_t errlen)
{
	struct kvm_sregs2 *g = &s->sregs;
	struct kvm_segment *seg[] = {
		&g->cs, &g->ds, &g->es, &g->fs, &g->gs, &g->ss, &g->tr, &g->ldt,
	};
	struct save_rd sub;
	size_t i;

	if (save_rd_section(r, WHAT, TAG_SREGS, "special registers", &sub, err, errlen) ||
	    save_rd_expect(&sub, WHAT, "special registers", SREGS_LEN, err, errlen))
		return -1;
	for (i = 0; i < 8; i++)
		get_segment(&sub, seg[i]);
	g->gdt.base = save_rd_u64(&sub);
	g->gdt.limit = save_rd_u16(&sub);
	g->idt.base = save_rd_u64(&sub);
	g->idt.limit = save_rd_u16(&sub);
	g->cr0 = save_rd_u64(&sub);
	g->cr2 = save_rd_u64(&sub);
	g->cr3 = save_rd_u64(&sub);
	g->cr4 = save_rd_u64(&sub);
	g->cr8 = save_rd_u64(&sub);
	g->efer = save_rd_u64(&sub);
	g->apic_base = save_rd_u64(&sub);
	g->flags = save_rd_u64(&sub);
	for (i = 0; i < 4; i++)
		g->pdptrs[i] = save_rd_u64(&sub);
	for (i = 0; i < 4; i++)
		s->interrupt_bitmap[i] = save_rd_u64(&sub);
	if (g->flags & ~(uint64_t)KVM_SREGS2_FLAGS_PDPTRS_VALID) {
		snprintf(err, errlen, WHAT ": special registers flags 0x%llx, only 0x%x is known",
			 (unsigned long long)g->flags, KVM_SREGS2_FLAGS_PDPTRS_VALID);
		return -1;
	}
	return 0;
}

static void get_legacy_fpu(struct save_rd *r, struct kvm_fpu *f)
{
	save_rd_bytes(r, f->fpr, sizeof(f->fpr));
	f->fcw = save_rd_u16(r);
	f->fsw = save_rd_u16(r);
	f->ftwx = save_rd_u8(r);
	f->last_opcode = save_rd_u16(r);
	f->last_ip = save_rd_u64(r);
	f->last_dp = save_rd_u64(r);
	save_rd_bytes(r, f->xmm, sizeof(f->xmm));
	f->mxcsr = save_rd_u32(r);
}

static int get_xsave(struct save_rd *sub, struct vcpu_save *s, char *err, size_t errlen)
{
	size_t n = save_rd_left(sub);

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
	save_rd_bytes(sub, s->xsave, n);
	return 0;
}

static int get_fpu(struct save_rd *r, struct vcpu_save *s, char *err, size_t errlen)
{
	struct save_rd sub;

	if (save_rd_section(r, WHAT, TAG_FPU, "FPU", &sub, err, errlen))
		return -1;
	s->fpu_kind = save_rd_u32(&sub);
	if (sub.short_read) {
		snprintf(err, errlen, WHAT ": FPU section of %zu bytes, too short for its kind",
			 sub.len);
		return -1;
	}
	if (s->fpu_kind == VCPU_SAVE_FPU_XSAVE)
		return get_xsave(&sub, s, err, errlen);
	if (s->fpu_kind != VCPU_SAVE_FPU_LEGACY) {
		snprintf(err, errlen, WHAT ": FPU kind %u, not %d (XSAVE) or %d (legacy)",
			 s->fpu_kind, VCPU_SAVE_FPU_XSAVE, VCPU_SAVE_FPU_LEGACY);
		return -1;
	}
	if (save_rd_expect(&sub, WHAT, "legacy FPU", 4 + LEGACY_FPU_LEN, err, errlen))
		return -1;
	get_legacy_fpu(&sub, &s->fpu);
	return 0;
}

static int get_xcrs(struct save_rd *r, struct kvm_xcrs *x, char *err, size_t errlen)
{
	struct save_rd sub;
	uint32_t i;

	if (save_rd_section(r, WHAT, TAG_XCRS, "XCRs", &sub, err, errlen))
		return -1;
	x->nr_xcrs = save_rd_u32(&sub);
	x->flags = save_rd_u32(&sub);
	if (sub.short_read) {
		snprintf(err, errlen, WHAT ": XCRs section of %zu bytes, at least 8", sub.len);
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
	if (save_rd_expect(&sub, WHAT, "XCRs", 8 + (size_t)x->nr_xcrs * XCR_LEN, err, errlen))
		return -1;
	for (i = 0; i < x->nr_xcrs; i++) {
		x->xcrs[i].xcr = save_rd_u32(&sub);
		x->xcrs[i].value = save_rd_u64(&sub);
	}
	return 0;
}

static int get_debugregs(struct save_rd *r, struct kvm_debugregs *d, char *err, size_t errlen)
{
	struct save_rd sub;
	int i;

	if (save_rd_section(r, WHAT, TAG_DEBUGREGS, "debug registers", &sub, err, errlen) ||
	    save_rd_expect(&sub, WHAT, "debug registers", DEBUGREGS_LEN, err, errlen))
		return -1;
	for (i = 0; i < 4; i++)
		d->db[i] = save_rd_u64(&sub);
	d->dr6 = save_rd_u64(&sub);
	d->dr7 = save_rd_u64(&sub);
	d->flags = save_rd_u64(&sub);
	if (d->flags) {
		snprintf(err, errlen, WHAT ": debug registers flags 0x%llx, not 0",
			 (unsigned long long)d->flags);
		return -1;
	}
	return 0;
}

static int get_lapic(struct save_rd *r, struct kvm_lapic_state *l, char *err, size_t errlen)
{
	struct save_rd sub;

	if (save_rd_section(r, WHAT, TAG_LAPIC, "LAPIC", &sub, err, errlen) ||
	    save_rd_expect(&sub, WHAT, "LAPIC", LAPIC_LEN, err, errlen))
		return -1;
	save_rd_bytes(&sub, l->regs, sizeof(l->regs));
	return 0;
}

static int get_events(struct save_rd *r, struct kvm_vcpu_events *e, char *err, size_t errlen)
{
	struct save_rd sub;

	if (save_rd_section(r, WHAT, TAG_EVENTS, "events", &sub, err, errlen) ||
	    save_rd_expect(&sub, WHAT, "events", EVENTS_LEN, err, errlen))
		return -1;
	e->exception.injected = save_rd_u8(&sub);
	e->exception.nr = save_rd_u8(&sub);
	e->exception.has_error_code = save_rd_u8(&sub);
	e->exception.pending = save_rd_u8(&sub);
	e->exception.error_code = save_rd_u32(&sub);
	e->interrupt.injected = save_rd_u8(&sub);
	e->interrupt.nr = save_rd_u8(&sub);
	e->interrupt.soft = save_rd_u8(&sub);
	e->interrupt.shadow = save_rd_u8(&sub);
	e->nmi.injected = save_rd_u8(&sub);
	e->nmi.pending = save_rd_u8(&sub);
	e->nmi.masked = save_rd_u8(&sub);
	e->sipi_vector = save_rd_u32(&sub);
	e->flags = save_rd_u32(&sub);
	e->smi.smm = save_rd_u8(&sub);
	e->smi.pending = save_rd_u8(&sub);
	e->smi.smm_inside_nmi = save_rd_u8(&sub);
	e->smi.latched_init = save_rd_u8(&sub);
	e->triple_fault.pending = save_rd_u8(&sub);
	e->exception_has_payload = save_rd_u8(&sub);
	e->exception_payload = save_rd_u64(&sub);
	if (e->flags & ~EVENT_FLAGS) {
		snprintf(err, errlen, WHAT ": events flags 0x%x, only 0x%x are known", e->flags,
			 EVENT_FLAGS);
		return -1;
	}
	return 0;
}

static int get_msrs(struct save_rd *r, struct vcpu_save *s, char *err, size_t errlen)
{
	struct save_rd sub;
	uint32_t i, n;

	if (save_rd_section(r, WHAT, TAG_MSRS, "MSRs", &sub, err, errlen))
		return -1;
	n = save_rd_u32(&sub);
	if (sub.short_read) {
		snprintf(err, errlen, WHAT ": MSRs section of %zu bytes, at least 4", sub.len);
		return -1;
	}
	if (n > VCPU_SAVE_MAX_MSRS) {
		snprintf(err, errlen, WHAT ": %u MSRs, at most %d", n, VCPU_SAVE_MAX_MSRS);
		return -1;
	}
	if (save_rd_expect(&sub, WHAT, "MSRs", 4 + (size_t)n * MSR_LEN, err, errlen))
		return -1;
	s->msrs = calloc(n ? n : 1, sizeof(s->msrs[0]));
	if (!s->msrs) {
		snprintf(err, errlen, WHAT ": out of memory for %u MSRs", n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		s->msrs[i].index = save_rd_u32(&sub);
		s->msrs[i].data = save_rd_u64(&sub);
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

static int get_misc(struct save_rd *r, struct vcpu_save *s, char *err, size_t errlen)
{
	struct save_rd sub;

	if (save_rd_section(r, WHAT, TAG_MISC, "MP state", &sub, err, errlen) ||
	    save_rd_expect(&sub, WHAT, "MP state", MISC_LEN, err, errlen))
		return -1;
	s->mp_state = save_rd_u32(&sub);
	s->tsc_khz = save_rd_u32(&sub);
	if (!valid_mp_state(s->mp_state)) {
		snprintf(err, errlen, WHAT ": MP state %u is not an x86 one", s->mp_state);
		return -1;
	}
	return 0;
}

static int get_header(struct save_rd *r, char *err, size_t errlen)
{
	uint32_t magic = save_rd_u32(r);
	uint16_t version = save_rd_u16(r), zero = save_rd_u16(r);

	if (r->short_read) {
		snprintf(err, errlen, WHAT ": truncated at byte %zu (in the header)", r->len);
		return -1;
	}
	if (magic != VCPU_SAVE_MAGIC) {
		snprintf(err, errlen, WHAT ": magic 0x%08x, not 0x%08x (\"cVCP\")", magic,
			 VCPU_SAVE_MAGIC);
		return -1;
	}
	if (version != VCPU_SAVE_VERSION) {
		snprintf(err, errlen, WHAT ": version %u, this conduit reads version %d", version,
			 VCPU_SAVE_VERSION);
		return -1;
	}
	if (zero) {
		snprintf(err, errlen, WHAT ": header's reserved field is 0x%x, not 0", zero);
		return -1;
	}
	return 0;
}

int vcpu_save_decode(const uint8_t *buf, size_t len, struct vcpu_save *s, char *err, size_t errlen)
{
	struct save_rd r = { .p = buf, .len = len };

	vcpu_save_free(s);
	if (get_header(&r, err, errlen) || get_regs(&r, &s->regs, err, errlen) ||
	    get_sregs(&r, s, err, errlen) || get_fpu(&r, s, err, errlen) ||
	    get_xcrs(&r, &s->xcrs, err, errlen) || get_debugregs(&r, &s->debugregs, err, errlen) ||
	    get_lapic(&r, &s->lapic, err, errlen) || get_events(&r, &s->events, err, errlen) ||
	    get_msrs(&r, s, err, errlen) || get_misc(&r, s, err, errlen) ||
	    save_rd_end(&r, WHAT, err, errlen)) {
		vcpu_save_free(s);
		return -1;
	}
	return 0;
}
