/* Unit tests of the x86 vCPU state save (vmm/x86/vcpu_save.c and its
 * encoding, vcpu_save_codec.c) against the fake KVM of
 * tests/support/fake_kvm_x86.c: the probe (MSR list, the TSC and kvmclock
 * MSRs added), the capture (MP state and events first; SREGS2 or SREGS;
 * XSAVE2, XSAVE or the legacy FPU; MSRs in batches with a failing MSR
 * dropped wherever it falls), the restore (the exact ioctls in their
 * order, the TSC moved on by the advance, the TSC rate set only when it
 * differs, what this host cannot take), encode and decode round trips,
 * every decode error with its wording, and every truncation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "../support/fake_ioctl.h"
#include "../support/fake_kvm.h"
#include "../support/fake_kvm_x86.h"
#include "../../vmm/x86/vcpu_save.h"

#define MSR_TSC          0x10
#define MSR_TSC_DEADLINE 0x6e0
#define KHZ              2000000U       /* 2 GHz: 2 cycles a nanosecond */

static struct vcpu_save_host host;
static struct vcpu_save st, back;
static char err[256];

/* A vCPU with something different in every piece of state. */
static void fill_vcpu(void)
{
	struct fake_kvm_x86 *f = &fake_kvm_x86;
	uint32_t i;

	f->regs.rax = 0x1111;
	f->regs.r15 = 0xf15;
	f->regs.rip = 0xffffffff81000000ULL;
	f->regs.rflags = 0x246;
	f->sregs.cs.selector = 0x10;
	f->sregs.cs.l = 1;
	f->sregs.cr0 = 0x80050033;
	f->sregs.cr3 = 0x1000;
	f->sregs.efer = 0xd01;
	f->sregs.apic_base = 0xfee00900;
	f->sregs.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID;
	f->sregs.pdptrs[2] = 0x2222;
	for (i = 0; i < FAKE_X86_XSAVE_MAX; i++)
		f->xsave[i] = (uint8_t)(i * 7 + 1);
	f->fpu.fcw = 0x37f;
	f->fpu.xmm[3][4] = 0x44;
	f->fpu.mxcsr = 0x1f80;
	f->xcrs.nr_xcrs = 1;
	f->xcrs.xcrs[0].value = 7;
	f->debugregs.db[1] = 0xdb1;
	f->debugregs.dr7 = 0x402;
	f->lapic.regs[0x80] = 0x20;
	f->lapic.regs[0x320] = 0xec;
	f->events.nmi.pending = 1;
	f->events.exception.injected = 1;
	f->events.exception.nr = 14;
	f->events.flags = KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
	f->mp_state = KVM_MP_STATE_HALTED;
	f->tsc_khz = KHZ;
	for (i = 0; i < 100; i++) {
		f->msr_list[i] = 0x100 + i;
		fake_kvm_x86_set_msr(0x100 + i, 0xabc000 + i);
	}
	f->msr_list[100] = MSR_TSC;
	f->msr_list[101] = MSR_TSC_DEADLINE;
	f->n_msr_list = 102;
	fake_kvm_x86_set_msr(MSR_TSC, 1000000000ULL);
	fake_kvm_x86_set_msr(MSR_TSC_DEADLINE, 1000500000ULL);
	fake_kvm_x86_set_msr(0x11, 0x11111);
	fake_kvm_x86_set_msr(0x12, 0x12121);
	fake_kvm_x86_set_msr(0x4b564d00, 0x4d00);
	fake_kvm_x86_set_msr(0x4b564d01, 0x4d01);
}

static void setup(void)
{
	fake_ioctl_reset(1);
	fake_kvm_open();
	fake_kvm_x86_open();
	fill_vcpu();
	memset(&host, 0, sizeof(host));
	memset(&st, 0, sizeof(st));
	memset(&back, 0, sizeof(back));
	err[0] = '\0';
}

static void teardown(void)
{
	vcpu_save_free(&st);
	vcpu_save_free(&back);
	vcpu_save_host_free(&host);
	ck_assert_msg(fake_ioctl.strays == 0, "%u stray ioctl(s), the last 0x%lx on fd %d",
		      fake_ioctl.strays, fake_ioctl.last_stray_req, fake_ioctl.last_stray_fd);
}

static void probe(void)
{
	ck_assert_msg(vcpu_save_probe(fake_kvm_x86.sys_fd, fake_kvm.fd, &host, err,
				      sizeof(err)) == 0, "%s", err);
}

static void capture(void)
{
	ck_assert_msg(vcpu_save_capture(fake_kvm_x86.vcpu_fd, 0, &host, &st, err,
					sizeof(err)) == 0, "%s", err);
}

static int has_msr(const struct vcpu_save *s, uint32_t index, uint64_t *data)
{
	uint32_t i;

	for (i = 0; i < s->n_msrs; i++) {
		if (s->msrs[i].index == index) {
			*data = s->msrs[i].data;
			return 1;
		}
	}
	return 0;
}

START_TEST(probe_adds_tsc_and_kvmclock)
{
	const uint32_t added[] = { 0x11, 0x12, 0x4b564d00, 0x4b564d01 };
	uint32_t i, j, tscs = 0;

	probe();
	ck_assert_int_eq(host.sregs2, 1);
	ck_assert_int_eq(host.xsave2, 1);
	ck_assert_uint_eq(host.xsave_size, 4096);
	ck_assert_uint_eq(host.n_msrs, 102 + 4);
	for (i = 0; i < host.n_msrs; i++)
		tscs += host.msrs[i] == MSR_TSC;
	ck_assert_uint_eq(tscs, 1);
	for (j = 0; j < 4; j++) {
		for (i = 0; i < host.n_msrs && host.msrs[i] != added[j]; i++)
			;
		ck_assert_msg(i < host.n_msrs, "MSR 0x%x not added", added[j]);
	}
}
END_TEST

START_TEST(probe_without_events_fails)
{
	fake_kvm_x86.cap_events = 0;
	ck_assert_int_eq(vcpu_save_probe(fake_kvm_x86.sys_fd, fake_kvm.fd, &host, err,
					 sizeof(err)), -1);
	ck_assert_str_eq(err, "KVM lacks KVM_CAP_VCPU_EVENTS or KVM_CAP_DEBUGREGS: this "
			 "kernel's KVM is too old to save a vCPU");
}
END_TEST

START_TEST(capture_reads_mp_state_and_events_first)
{
	probe();
	fake_kvm_x86.n_log = 0;
	capture();
	ck_assert_uint_eq(fake_kvm_x86.log[0], KVM_GET_MP_STATE);
	ck_assert_uint_eq(fake_kvm_x86.log[1], KVM_GET_VCPU_EVENTS);
	ck_assert_int_gt(fake_kvm_x86_logged(KVM_GET_SREGS2, 2), 1);
	ck_assert_int_gt(fake_kvm_x86_logged(KVM_GET_DEBUGREGS, 2), 1);
	ck_assert_int_eq(fake_kvm_x86_logged(KVM_GET_SREGS, 0), -1);
	ck_assert_uint_eq(st.mp_state, KVM_MP_STATE_HALTED);
	ck_assert_uint_eq(st.events.exception.nr, 14);
	ck_assert_uint_eq(st.regs.r15, 0xf15);
	ck_assert_uint_eq(st.sregs.pdptrs[2], 0x2222);
	ck_assert_uint_eq(st.xcrs.xcrs[0].value, 7);
	ck_assert_uint_eq(st.debugregs.db[1], 0xdb1);
	ck_assert_uint_eq((uint8_t)st.lapic.regs[0x80], 0x20);
	ck_assert_uint_eq(st.tsc_khz, KHZ);
	ck_assert_uint_eq(st.n_msrs, 106);
	ck_assert_uint_eq(st.dropped_msrs, 0);
}
END_TEST

START_TEST(capture_without_sregs2_uses_sregs)
{
	fake_kvm_x86.cap_sregs2 = 0;
	fake_kvm_x86.interrupt_bitmap[1] = 1ULL << 3;
	probe();
	capture();
	ck_assert_int_ge(fake_kvm_x86_logged(KVM_GET_SREGS, 0), 0);
	ck_assert_int_eq(fake_kvm_x86_logged(KVM_GET_SREGS2, 0), -1);
	ck_assert_uint_eq(st.sregs.flags, 0);
	ck_assert_uint_eq(st.sregs.pdptrs[2], 0);
	ck_assert_uint_eq(st.sregs.efer, 0xd01);
	ck_assert_uint_eq(st.interrupt_bitmap[1], 1ULL << 3);
}
END_TEST

START_TEST(capture_xsave2_size)
{
	fake_kvm_x86.cap_xsave2 = 8192;
	probe();
	capture();
	ck_assert_int_ge(fake_kvm_x86_logged(KVM_GET_XSAVE2, 0), 0);
	ck_assert_int_eq(fake_kvm_x86_logged(KVM_GET_XSAVE, 0), -1);
	ck_assert_uint_eq(st.fpu_kind, VCPU_SAVE_FPU_XSAVE);
	ck_assert_uint_eq(st.xsave_len, 8192);
	ck_assert_mem_eq(st.xsave, fake_kvm_x86.xsave, 8192);
}
END_TEST

START_TEST(capture_xsave_without_xsave2)
{
	fake_kvm_x86.cap_xsave2 = 0;
	probe();
	capture();
	ck_assert_int_ge(fake_kvm_x86_logged(KVM_GET_XSAVE, 0), 0);
	ck_assert_int_eq(fake_kvm_x86_logged(KVM_GET_XSAVE2, 0), -1);
	ck_assert_uint_eq(st.xsave_len, 4096);
	ck_assert_mem_eq(st.xsave, fake_kvm_x86.xsave, 4096);
}
END_TEST

START_TEST(capture_legacy_fpu_without_xsave)
{
	fake_kvm_x86.cap_xsave2 = 0;
	fake_kvm_x86.cap_xsave = 0;
	fake_kvm_x86.cap_xcrs = 0;
	probe();
	capture();
	ck_assert_int_ge(fake_kvm_x86_logged(KVM_GET_FPU, 0), 0);
	ck_assert_int_eq(fake_kvm_x86_logged(KVM_GET_XSAVE, 0), -1);
	ck_assert_int_eq(fake_kvm_x86_logged(KVM_GET_XCRS, 0), -1);
	ck_assert_uint_eq(st.fpu_kind, VCPU_SAVE_FPU_LEGACY);
	ck_assert_ptr_null(st.xsave);
	ck_assert_uint_eq(st.fpu.xmm[3][4], 0x44);
	ck_assert_uint_eq(st.xcrs.nr_xcrs, 0);
}
END_TEST

/* The failing MSR at list position pos (0x100 + pos) is dropped, and
 * every other listed MSR is read, in as few calls as the batches allow. */
static void drop_at(uint32_t pos, unsigned calls)
{
	uint64_t v;
	uint32_t i;

	fake_kvm_x86.bad_read_msr = 0x100 + pos;
	probe();
	capture();
	ck_assert_uint_eq(st.dropped_msrs, 1);
	ck_assert_uint_eq(st.n_msrs, 105);
	ck_assert_int_eq(has_msr(&st, 0x100 + pos, &v), 0);
	for (i = 0; i < 100; i++) {
		if (i == pos)
			continue;
		ck_assert_msg(has_msr(&st, 0x100 + i, &v), "MSR 0x%x missing", 0x100 + i);
		ck_assert_uint_eq(v, 0xabc000 + i);
	}
	ck_assert(has_msr(&st, MSR_TSC, &v));
	ck_assert_uint_eq(fake_kvm_x86.get_msrs_calls, calls);
}

START_TEST(msr_read_failure_dropped)
{
	drop_at(70, 3);         /* 64, then 42 stopping at 6, then 35 */
}
END_TEST

START_TEST(msr_read_failure_first_of_batch)
{
	drop_at(0, 3);          /* 64 stopping at 0, then 64, then 41 */
}
END_TEST

START_TEST(msr_read_failure_last_of_batch)
{
	drop_at(63, 2);         /* 64 stopping at 63, then 42 */
}
END_TEST

START_TEST(msr_unlisted_failures_all_dropped)
{
	uint32_t i;

	/* Listed MSRs this vCPU has none of: every one is dropped. */
	for (i = 0; i < 10; i++)
		fake_kvm_x86.msr_list[fake_kvm_x86.n_msr_list++] = 0x900 + i;
	probe();
	capture();
	ck_assert_uint_eq(st.dropped_msrs, 10);
	ck_assert_uint_eq(st.n_msrs, 106);
}
END_TEST

static const unsigned long restore_order[] = {
	KVM_SET_REGS, KVM_SET_SREGS2, KVM_SET_XSAVE, KVM_SET_XCRS, KVM_SET_DEBUGREGS,
	KVM_SET_LAPIC, KVM_SET_MSRS, KVM_SET_MSRS, KVM_SET_MSRS, KVM_SET_VCPU_EVENTS,
	KVM_SET_MP_STATE,
};

/* The log without the reads (KVM_GET_TSC_KHZ). */
static unsigned writes(unsigned long *out, unsigned max)
{
	unsigned i, n = 0;

	for (i = 0; i < fake_kvm_x86.n_log && i < FAKE_X86_LOG; i++)
		if (fake_kvm_x86.log[i] != KVM_GET_TSC_KHZ && n < max)
			out[n++] = fake_kvm_x86.log[i];
	return n;
}

static void restore(uint64_t advance)
{
	ck_assert_msg(vcpu_save_restore(fake_kvm_x86.vcpu_fd, 1, &host, &st, advance, err,
					sizeof(err)) == 0, "%s", err);
}

/* Capture, wipe the fake vCPU, restore: every piece comes back. */
START_TEST(restore_order_and_state)
{
	struct fake_kvm_x86 before;
	unsigned long got[32];
	unsigned n, i;

	probe();
	capture();
	before = fake_kvm_x86;
	memset(&fake_kvm_x86.regs, 0, sizeof(fake_kvm_x86.regs));
	memset(&fake_kvm_x86.sregs, 0, sizeof(fake_kvm_x86.sregs));
	memset(fake_kvm_x86.xsave, 0, sizeof(fake_kvm_x86.xsave));
	memset(&fake_kvm_x86.xcrs, 0, sizeof(fake_kvm_x86.xcrs));
	memset(&fake_kvm_x86.debugregs, 0, sizeof(fake_kvm_x86.debugregs));
	memset(&fake_kvm_x86.lapic, 0, sizeof(fake_kvm_x86.lapic));
	memset(&fake_kvm_x86.events, 0, sizeof(fake_kvm_x86.events));
	fake_kvm_x86.n_msrs = 0;
	fake_kvm_x86.mp_state = KVM_MP_STATE_RUNNABLE;
	fake_kvm_x86.n_log = 0;
	restore(0);
	n = writes(got, 32);
	ck_assert_uint_eq(n, sizeof(restore_order) / sizeof(restore_order[0]));
	for (i = 0; i < n; i++)
		ck_assert_msg(got[i] == restore_order[i], "call %u is 0x%lx, not 0x%lx", i, got[i],
			      restore_order[i]);
	ck_assert_mem_eq(&fake_kvm_x86.regs, &before.regs, sizeof(before.regs));
	ck_assert_mem_eq(&fake_kvm_x86.sregs, &before.sregs, sizeof(before.sregs));
	ck_assert_mem_eq(fake_kvm_x86.xsave, before.xsave, 4096);
	ck_assert_mem_eq(&fake_kvm_x86.xcrs, &before.xcrs, sizeof(before.xcrs));
	ck_assert_mem_eq(&fake_kvm_x86.debugregs, &before.debugregs, sizeof(before.debugregs));
	ck_assert_mem_eq(&fake_kvm_x86.lapic, &before.lapic, sizeof(before.lapic));
	ck_assert_uint_eq(fake_kvm_x86.mp_state, KVM_MP_STATE_HALTED);
	ck_assert_uint_eq(fake_kvm_x86.n_msrs, 106);
	/* the TSC alone first, then the rest in batches of 64 */
	ck_assert_uint_eq(fake_kvm_x86.msrs[0].index, MSR_TSC);
	ck_assert_uint_eq(fake_kvm_x86.msrs[0].data, 1000000000ULL);
	ck_assert_uint_eq(fake_kvm_x86_msr(MSR_TSC_DEADLINE)->data, 1000500000ULL);
	/* the NMI-pending and SIPI flags added on the way in */
	ck_assert_uint_eq(fake_kvm_x86.events.flags, KVM_VCPUEVENT_VALID_SHADOW |
			  KVM_VCPUEVENT_VALID_SMM | KVM_VCPUEVENT_VALID_NMI_PENDING |
			  KVM_VCPUEVENT_VALID_SIPI_VECTOR);
	ck_assert_uint_eq(fake_kvm_x86.events.exception.nr, 14);
	ck_assert_uint_eq(fake_kvm_x86.events.nmi.pending, 1);
}
END_TEST

START_TEST(restore_advances_tsc)
{
	probe();
	capture();
	/* 1.5 s and 3 ns at 2 GHz: 3000000006 cycles */
	restore(1500000003ULL);
	ck_assert_uint_eq(fake_kvm_x86_msr(MSR_TSC)->data, 1000000000ULL + 3000000006ULL);
	ck_assert_uint_eq(fake_kvm_x86_msr(MSR_TSC_DEADLINE)->data, 1000500000ULL);
}
END_TEST

START_TEST(restore_sets_other_tsc_rate_first)
{
	probe();
	capture();
	fake_kvm_x86.tsc_khz = 3000000;
	fake_kvm_x86.n_log = 0;
	restore(0);
	ck_assert_uint_eq(fake_kvm_x86.tsc_khz, KHZ);
	ck_assert_int_lt(fake_kvm_x86_logged(KVM_SET_TSC_KHZ, 0), fake_kvm_x86_logged(KVM_SET_REGS, 0));
	ck_assert_int_ge(fake_kvm_x86_logged(KVM_SET_TSC_KHZ, 0), 0);
	fake_kvm_x86.n_log = 0;
	restore(0);
	ck_assert_int_eq(fake_kvm_x86_logged(KVM_SET_TSC_KHZ, 0), -1);
}
END_TEST

START_TEST(restore_legacy_sregs_and_fpu)
{
	fake_kvm_x86.cap_xsave2 = 0;
	fake_kvm_x86.cap_xsave = 0;
	fake_kvm_x86.cap_sregs2 = 0;
	fake_kvm_x86.interrupt_bitmap[0] = 1 << 5;
	probe();
	capture();
	memset(&fake_kvm_x86.fpu, 0, sizeof(fake_kvm_x86.fpu));
	memset(fake_kvm_x86.interrupt_bitmap, 0, sizeof(fake_kvm_x86.interrupt_bitmap));
	fake_kvm_x86.n_log = 0;
	restore(0);
	ck_assert_int_ge(fake_kvm_x86_logged(KVM_SET_SREGS, 0), 0);
	ck_assert_int_ge(fake_kvm_x86_logged(KVM_SET_FPU, 0), 0);
	ck_assert_uint_eq(fake_kvm_x86.fpu.xmm[3][4], 0x44);
	ck_assert_uint_eq(fake_kvm_x86.interrupt_bitmap[0], 1 << 5);
}
END_TEST

START_TEST(restore_xsave_too_big_for_host)
{
	fake_kvm_x86.cap_xsave2 = 8192;
	probe();
	capture();
	fake_kvm_x86.cap_xsave2 = 4096;
	host.xsave_size = 4096;
	fake_kvm_x86.n_log = 0;
	ck_assert_int_eq(vcpu_save_restore(fake_kvm_x86.vcpu_fd, 1, &host, &st, 0, err,
					   sizeof(err)), -1);
	ck_assert_str_eq(err, "vCPU 1 state: XSAVE area of 8192 bytes, this host's KVM uses 4096");
	ck_assert_int_eq(fake_kvm_x86_logged(KVM_SET_XSAVE, 0), -1);
}
END_TEST

START_TEST(restore_smaller_xsave_padded)
{
	probe();
	capture();                      /* 4096 bytes */
	host.xsave_size = 8192;
	fake_kvm_x86.cap_xsave2 = 8192;
	restore(0);
	ck_assert_mem_eq(fake_kvm_x86.xsave, st.xsave, 4096);
	ck_assert_uint_eq(fake_kvm_x86.xsave[4096], 0);
	ck_assert_uint_eq(fake_kvm_x86.xsave[8191], 0);
}
END_TEST

START_TEST(restore_xcrs_on_host_without)
{
	probe();
	capture();
	host.xcrs = 0;
	ck_assert_int_eq(vcpu_save_restore(fake_kvm_x86.vcpu_fd, 2, &host, &st, 0, err,
					   sizeof(err)), -1);
	ck_assert_str_eq(err, "vCPU 2 state: 1 XCRs, this host's KVM has no KVM_SET_XCRS");
}
END_TEST

START_TEST(restore_refused_msr)
{
	probe();
	capture();
	fake_kvm_x86.bad_write_msr = 0x142;
	ck_assert_int_eq(vcpu_save_restore(fake_kvm_x86.vcpu_fd, 1, &host, &st, 0, err,
					   sizeof(err)), -1);
	ck_assert_str_eq(err, "vCPU 1 state: KVM_SET_MSRS refused MSR 0x142 (value 0xabc042)");
	ck_assert_int_eq(fake_kvm_x86_logged(KVM_SET_VCPU_EVENTS, 0), -1);
}
END_TEST

static uint8_t *enc;
static size_t enc_len;

static void encode(void)
{
	free(enc);
	ck_assert_int_eq(vcpu_save_encode(&st, &enc, &enc_len), 0);
}

static void encoded(void)
{
	probe();
	capture();
	encode();
}

static void put32(size_t off, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		enc[off + i] = (uint8_t)(v >> (8 * i));
}

/* Offset of the payload of the section tagged tag, walking the headers. */
static size_t payload(uint16_t tag)
{
	size_t off = 8;

	while (off + 8 <= enc_len) {
		uint16_t t = (uint16_t)(enc[off] | enc[off + 1] << 8);
		uint32_t n = (uint32_t)enc[off + 4] | (uint32_t)enc[off + 5] << 8 |
			     (uint32_t)enc[off + 6] << 16 | (uint32_t)enc[off + 7] << 24;

		if (t == tag)
			return off + 8;
		off += 8 + n;
	}
	ck_abort_msg("no section %u", tag);
	return 0;
}

static void decode_fails(const char *want)
{
	ck_assert_int_eq(vcpu_save_decode(enc, enc_len, &back, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(back.msrs);
	ck_assert_ptr_null(back.xsave);
}

static void decode_ok(void)
{
	ck_assert_msg(vcpu_save_decode(enc, enc_len, &back, err, sizeof(err)) == 0, "%s", err);
}

static void assert_same(const struct vcpu_save *a, const struct vcpu_save *b)
{
	ck_assert_mem_eq(&a->regs, &b->regs, sizeof(a->regs));
	ck_assert_mem_eq(&a->sregs, &b->sregs, sizeof(a->sregs));
	ck_assert_mem_eq(a->interrupt_bitmap, b->interrupt_bitmap, sizeof(a->interrupt_bitmap));
	ck_assert_uint_eq(a->fpu_kind, b->fpu_kind);
	ck_assert_uint_eq(a->xsave_len, b->xsave_len);
	if (a->xsave_len)
		ck_assert_mem_eq(a->xsave, b->xsave, a->xsave_len);
	ck_assert_mem_eq(&a->fpu, &b->fpu, sizeof(a->fpu));
	ck_assert_mem_eq(&a->xcrs, &b->xcrs, sizeof(a->xcrs));
	ck_assert_mem_eq(&a->debugregs, &b->debugregs, sizeof(a->debugregs));
	ck_assert_mem_eq(&a->lapic, &b->lapic, sizeof(a->lapic));
	ck_assert_mem_eq(&a->events, &b->events, sizeof(a->events));
	ck_assert_uint_eq(a->n_msrs, b->n_msrs);
	ck_assert_mem_eq(a->msrs, b->msrs, a->n_msrs * sizeof(a->msrs[0]));
	ck_assert_uint_eq(a->mp_state, b->mp_state);
	ck_assert_uint_eq(a->tsc_khz, b->tsc_khz);
}

/* decode(encode(s)) is s, and encode(decode(bytes)) the same bytes. */
static void round_trip(void)
{
	uint8_t *again;
	size_t again_len;

	encode();
	decode_ok();
	assert_same(&st, &back);
	ck_assert_int_eq(vcpu_save_encode(&back, &again, &again_len), 0);
	ck_assert_uint_eq(again_len, enc_len);
	ck_assert_mem_eq(again, enc, enc_len);
	free(again);
}

static void codec_teardown(void)
{
	free(enc);
	enc = NULL;
	enc_len = 0;
	teardown();
}

START_TEST(round_trip_xsave)
{
	fake_kvm_x86.cap_xsave2 = 8192;
	probe();
	capture();
	round_trip();
	ck_assert_uint_eq(enc_len, 8 + 9 * 8 + 144 + 332 + 4 + 8192 + 8 + 12 + 56 + 1024 + 37 +
			  4 + 106 * 12 + 8);
}
END_TEST

START_TEST(round_trip_legacy_fpu)
{
	fake_kvm_x86.cap_xsave2 = 0;
	fake_kvm_x86.cap_xsave = 0;
	fake_kvm_x86.cap_sregs2 = 0;
	fake_kvm_x86.interrupt_bitmap[3] = 1ULL << 63;
	probe();
	capture();
	round_trip();
	ck_assert_uint_eq(back.interrupt_bitmap[3], 1ULL << 63);
}
END_TEST

START_TEST(round_trip_then_restore)
{
	encoded();
	decode_ok();
	fake_kvm_x86.n_msrs = 0;
	memset(&fake_kvm_x86.lapic, 0, sizeof(fake_kvm_x86.lapic));
	ck_assert_msg(vcpu_save_restore(fake_kvm_x86.vcpu_fd, 0, &host, &back, 0, err,
					sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq((uint8_t)fake_kvm_x86.lapic.regs[0x320], 0xec);
	ck_assert_uint_eq(fake_kvm_x86.n_msrs, 106);
}
END_TEST

START_TEST(decode_header_errors)
{
	encoded();
	put32(0, 0);
	decode_fails("vCPU state: magic 0x00000000, not 0x50435663 (\"cVCP\")");
	encode();
	enc[4] = 2;
	decode_fails("vCPU state: version 2, this conduit reads version 1");
	encode();
	enc[6] = 1;
	decode_fails("vCPU state: header's reserved field is 0x1, not 0");
	encode();
	enc[8] = 9;
	decode_fails("vCPU state: a section tagged 9 where the registers section (1) belongs");
	encode();
	enc[payload(6) - 6] = 5;
	decode_fails("vCPU state: the LAPIC section's reserved field is 0x5, not 0");
	encode();
	enc = realloc(enc, enc_len + 3);
	memset(enc + enc_len, 0, 3);
	enc_len += 3;
	decode_fails("vCPU state: 3 bytes after the last section");
}
END_TEST

START_TEST(decode_length_errors)
{
	char want[160];
	size_t p;

	encoded();
	put32(payload(1) - 4, 143);
	decode_fails("vCPU state: registers section of 143 bytes, expected 144");
	encode();
	p = payload(6);
	put32(p - 4, 5000);
	snprintf(want, sizeof(want), "vCPU state: truncated at byte %zu (the LAPIC section says "
		 "5000 bytes, %zu are left)", enc_len, enc_len - p);
	decode_fails(want);
	encode();
	put32(payload(4), 2);
	decode_fails("vCPU state: XCRs section of 20 bytes, expected 32");
	encode();
	put32(payload(8), 105);
	decode_fails("vCPU state: MSRs section of 1276 bytes, expected 1264");
}
END_TEST

START_TEST(decode_count_and_flag_errors)
{
	encoded();
	put32(payload(2) + 8 * 23 + 20 + 56, 3);
	decode_fails("vCPU state: special registers flags 0x3, only 0x1 is known");
	encode();
	put32(payload(3), 3);
	decode_fails("vCPU state: FPU kind 3, not 1 (XSAVE) or 2 (legacy)");
	encode();
	put32(payload(3), 2);
	decode_fails("vCPU state: legacy FPU section of 4100 bytes, expected 415");
	encode();
	put32(payload(4), 17);
	decode_fails("vCPU state: 17 XCRs, at most 16");
	encode();
	put32(payload(4) + 4, 1);
	decode_fails("vCPU state: XCRs flags 0x1, not 0");
	encode();
	put32(payload(5) + 48, 1);
	decode_fails("vCPU state: debug registers flags 0x1, not 0");
	encode();
	put32(payload(7) + 19, 0x4c);
	decode_fails("vCPU state: events flags 0x4c, only 0x3f are known");
	encode();
	put32(payload(8), 3000);
	decode_fails("vCPU state: 3000 MSRs, at most 1024");
	encode();
	put32(payload(9), 5);
	decode_fails("vCPU state: MP state 5 is not an x86 one");
}
END_TEST

START_TEST(decode_xsave_size_errors)
{
	probe();
	capture();
	free(st.xsave);
	st.xsave = calloc(1, VCPU_SAVE_MAX_XSAVE + 4);
	st.xsave_len = VCPU_SAVE_MAX_XSAVE + 4;
	encode();
	decode_fails("vCPU state: XSAVE area of 65540 bytes, at most 65536");
	st.xsave_len = 4092;
	encode();
	decode_fails("vCPU state: XSAVE area of 4092 bytes, at least 4096");
	st.xsave_len = VCPU_SAVE_MAX_XSAVE;
	round_trip();
}
END_TEST

/* Every prefix of a good encoding is refused as truncated, at its end. */
START_TEST(decode_every_truncation)
{
	uint8_t *full;
	size_t full_len, n;
	char want[64];

	encoded();
	full = enc;
	full_len = enc_len;
	for (n = 0; n < full_len; n++) {
		enc = malloc(n ? n : 1);
		memcpy(enc, full, n);
		enc_len = n;
		ck_assert_int_eq(vcpu_save_decode(enc, n, &back, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "vCPU state: truncated at byte %zu (", n);
		ck_assert_msg(!strncmp(err, want, strlen(want)), "at %zu: %s", n, err);
		free(enc);
	}
	enc = full;
	enc_len = full_len;
	decode_ok();
}
END_TEST

Suite *vcpu_save_suite(void)
{
	Suite *s = suite_create("vcpu_save");
	TCase *k = tcase_create("kvm");
	TCase *c = tcase_create("codec");

	tcase_add_checked_fixture(k, setup, teardown);
	tcase_add_test(k, probe_adds_tsc_and_kvmclock);
	tcase_add_test(k, probe_without_events_fails);
	tcase_add_test(k, capture_reads_mp_state_and_events_first);
	tcase_add_test(k, capture_without_sregs2_uses_sregs);
	tcase_add_test(k, capture_xsave2_size);
	tcase_add_test(k, capture_xsave_without_xsave2);
	tcase_add_test(k, capture_legacy_fpu_without_xsave);
	tcase_add_test(k, msr_read_failure_dropped);
	tcase_add_test(k, msr_read_failure_first_of_batch);
	tcase_add_test(k, msr_read_failure_last_of_batch);
	tcase_add_test(k, msr_unlisted_failures_all_dropped);
	tcase_add_test(k, restore_order_and_state);
	tcase_add_test(k, restore_advances_tsc);
	tcase_add_test(k, restore_sets_other_tsc_rate_first);
	tcase_add_test(k, restore_legacy_sregs_and_fpu);
	tcase_add_test(k, restore_xsave_too_big_for_host);
	tcase_add_test(k, restore_smaller_xsave_padded);
	tcase_add_test(k, restore_xcrs_on_host_without);
	tcase_add_test(k, restore_refused_msr);
	suite_add_tcase(s, k);
	tcase_add_checked_fixture(c, setup, codec_teardown);
	tcase_add_test(c, round_trip_xsave);
	tcase_add_test(c, round_trip_legacy_fpu);
	tcase_add_test(c, round_trip_then_restore);
	tcase_add_test(c, decode_header_errors);
	tcase_add_test(c, decode_length_errors);
	tcase_add_test(c, decode_count_and_flag_errors);
	tcase_add_test(c, decode_xsave_size_errors);
	tcase_add_test(c, decode_every_truncation);
	suite_add_tcase(s, c);
	return s;
}
