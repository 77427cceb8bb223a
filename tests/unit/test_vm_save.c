/* Unit tests of the x86 VM-level state save (vmm/x86/vm_save.c and its
 * encoding, vm_save_codec.c) against the fake KVM vm fd
 * (tests/support/fake_kvm_x86.c): capture, the restore's ioctls in order,
 * the clock frozen (snapshot) or advanced by KVM_CLOCK_REALTIME (migration)
 * and the fallback when either side lacks it, encode and decode round
 * trips, every decode error with its wording, and every truncation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "../support/fake_ioctl.h"
#include "../support/fake_kvm.h"
#include "../support/fake_kvm_x86.h"
#include "../../vmm/x86/vm_save.h"

static struct vm_save st, back;
static uint8_t *enc;
static size_t enc_len;
static char err[256];

static void fill_vm(void)
{
	struct fake_kvm_x86 *f = &fake_kvm_x86;

	f->pic[0].irq_base = 0x20;
	f->pic[0].imr = 0xfa;
	f->pic[0].elcr_mask = 0xf8;
	f->pic[1].irq_base = 0x28;
	f->pic[1].isr = 0x10;
	f->ioapic.base_address = 0xfec00000;
	f->ioapic.id = 2U << 24;
	f->ioapic.irr = 1 << 9;
	f->ioapic.redirtbl[9].bits = 0x39 | 1ULL << 15;
	f->ioapic.redirtbl[23].bits = 1ULL << 16;
	f->pit.channels[0].count = 0x10000;
	f->pit.channels[0].mode = 2;
	f->pit.channels[2].count = 1193;
	f->pit.channels[2].gate = 1;
	f->pit.channels[1].count_load_time = -5;
	f->pit.flags = KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	f->clock.clock = 5000000000ULL;
	f->realtime_now = 1700000000000000000ULL;
}

static void setup(void)
{
	fake_ioctl_reset(1);
	fake_kvm_open();
	fake_kvm_x86_open();
	fill_vm();
	memset(&st, 0, sizeof(st));
	err[0] = '\0';
}

static void teardown(void)
{
	free(enc);
	enc = NULL;
	enc_len = 0;
	ck_assert_msg(fake_ioctl.strays == 0, "%u stray ioctl(s), the last 0x%lx on fd %d",
		      fake_ioctl.strays, fake_ioctl.last_stray_req, fake_ioctl.last_stray_fd);
}

static void capture(void)
{
	ck_assert_msg(vm_save_capture(fake_kvm.fd, &st, err, sizeof(err)) == 0, "%s", err);
}

static uint64_t restore(enum vm_save_clock mode)
{
	uint64_t advance = 1;

	ck_assert_msg(vm_save_restore(fake_kvm.fd, &st, mode, &advance, err, sizeof(err)) == 0,
		      "%s", err);
	return advance;
}

START_TEST(capture_reads_everything)
{
	capture();
	ck_assert_uint_eq(st.pic[0].imr, 0xfa);
	ck_assert_uint_eq(st.pic[1].isr, 0x10);
	ck_assert_uint_eq(st.ioapic.redirtbl[9].bits, 0x39 | 1ULL << 15);
	ck_assert_uint_eq(st.pit.channels[0].count, 0x10000);
	ck_assert_uint_eq(st.clock.clock, 5000000000ULL);
	ck_assert_uint_eq(st.clock.flags, KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC);
	ck_assert_uint_eq(st.clock.realtime, 1700000000000000000ULL);
}
END_TEST

START_TEST(restore_order_and_state)
{
	const unsigned long order[] = {
		KVM_SET_IRQCHIP, KVM_SET_IRQCHIP, KVM_SET_IRQCHIP, KVM_SET_PIT2, KVM_SET_CLOCK,
	};
	struct fake_kvm_x86 before;
	unsigned i;

	capture();
	before = fake_kvm_x86;
	memset(fake_kvm_x86.pic, 0, sizeof(fake_kvm_x86.pic));
	memset(&fake_kvm_x86.ioapic, 0, sizeof(fake_kvm_x86.ioapic));
	memset(&fake_kvm_x86.pit, 0, sizeof(fake_kvm_x86.pit));
	fake_kvm_x86.clock.clock = 1;
	fake_kvm_x86.n_log = 0;
	ck_assert_uint_eq(restore(VM_SAVE_CLOCK_FREEZE), 0);
	ck_assert_uint_eq(fake_kvm_x86.n_log, 5);
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(fake_kvm_x86.log[i], order[i]);
	ck_assert_mem_eq(fake_kvm_x86.pic, before.pic, sizeof(before.pic));
	ck_assert_mem_eq(&fake_kvm_x86.ioapic, &before.ioapic, sizeof(before.ioapic));
	ck_assert_mem_eq(&fake_kvm_x86.pit, &before.pit, sizeof(before.pit));
	ck_assert_uint_eq(fake_kvm_x86.clock.clock, 5000000000ULL);
}
END_TEST

START_TEST(restore_advance_by_realtime)
{
	capture();
	fake_kvm_x86.realtime_now += 250000000;          /* 250 ms later */
	fake_kvm_x86.n_log = 0;
	ck_assert_uint_eq(restore(VM_SAVE_CLOCK_ADVANCE), 250000000);
	ck_assert_uint_eq(fake_kvm_x86.clock.clock, 5250000000ULL);
	ck_assert_uint_eq(fake_kvm_x86.log[4], KVM_SET_CLOCK);
	ck_assert_uint_eq(fake_kvm_x86.log[5], KVM_GET_CLOCK);
}
END_TEST

START_TEST(restore_freeze_ignores_realtime)
{
	capture();
	fake_kvm_x86.realtime_now += 250000000;
	ck_assert_uint_eq(restore(VM_SAVE_CLOCK_FREEZE), 0);
	ck_assert_uint_eq(fake_kvm_x86.clock.clock, 5000000000ULL);
}
END_TEST

START_TEST(restore_advance_falls_back)
{
	capture();
	fake_kvm_x86.realtime_now += 250000000;
	fake_kvm_x86.cap_adjust_clock = KVM_CLOCK_TSC_STABLE;   /* a pre-5.16 KVM */
	ck_assert_uint_eq(restore(VM_SAVE_CLOCK_ADVANCE), 0);
	ck_assert_uint_eq(fake_kvm_x86.clock.clock, 5000000000ULL);
	fake_kvm_x86.cap_adjust_clock = KVM_CLOCK_REALTIME;
	st.clock.flags = 0;                                     /* a source without it */
	ck_assert_uint_eq(restore(VM_SAVE_CLOCK_ADVANCE), 0);
	ck_assert_uint_eq(fake_kvm_x86.clock.clock, 5000000000ULL);
}
END_TEST

static void encode(void)
{
	free(enc);
	ck_assert_int_eq(vm_save_encode(&st, &enc, &enc_len), 0);
}

static void put32(size_t off, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		enc[off + i] = (uint8_t)(v >> (8 * i));
}

static void decode_fails(const char *want)
{
	ck_assert_int_eq(vm_save_decode(enc, enc_len, &back, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
}

/* Section payloads: header 8, PIC 8+16 twice, IOAPIC 8+212, PIT 8+76,
 * clock 8+28. */
enum { PIC0 = 16, PIC1 = 40, IOAPIC = 64, PIT = 284, CLOCK = 368, END = 396 };

START_TEST(round_trip)
{
	uint8_t *again;
	size_t again_len;

	capture();
	encode();
	ck_assert_uint_eq(enc_len, END);
	ck_assert_msg(vm_save_decode(enc, enc_len, &back, err, sizeof(err)) == 0, "%s", err);
	ck_assert_mem_eq(back.pic, st.pic, sizeof(st.pic));
	ck_assert_mem_eq(&back.ioapic, &st.ioapic, sizeof(st.ioapic));
	ck_assert_mem_eq(&back.pit, &st.pit, sizeof(st.pit));
	ck_assert_mem_eq(&back.clock, &st.clock, sizeof(st.clock));
	ck_assert_uint_eq(enc[PIC0 + 2], 0xfa);
	ck_assert_uint_eq(enc[PIC1 + 3], 0x10);
	ck_assert_int_eq(vm_save_encode(&back, &again, &again_len), 0);
	ck_assert_uint_eq(again_len, enc_len);
	ck_assert_mem_eq(again, enc, enc_len);
	free(again);
}
END_TEST

START_TEST(decode_errors)
{
	capture();
	encode();
	put32(0, 0x12345678);
	decode_fails("VM state: magic 0x12345678, not 0x534d5663 (\"cVMS\")");
	encode();
	enc[4] = 7;
	decode_fails("VM state: version 7, this conduit reads version 1");
	encode();
	enc[IOAPIC - 8] = 4;
	decode_fails("VM state: a section tagged 4 where the IOAPIC section (3) belongs");
	encode();
	put32(PIC1 - 4, 15);
	decode_fails("VM state: PIC slave section of 15 bytes, expected 16");
	encode();
	put32(PIT + 24, 0x10001);
	decode_fails("VM state: PIT channel 1 count 65537, at most 65536");
	encode();
	put32(PIT + 72, 4);
	decode_fails("VM state: PIT flags 0x4, only 0x3 are known");
	encode();
	put32(CLOCK + 8, 0x10);
	decode_fails("VM state: clock flags 0x10, only 0xe are known");
	encode();
	put32(CLOCK - 4, 29);
	decode_fails("VM state: truncated at byte 396 (the clock section says 29 bytes, 28 are left)");
	encode();
	enc = realloc(enc, enc_len + 1);
	enc[enc_len++] = 0;
	decode_fails("VM state: 1 bytes after the last section");
}
END_TEST

START_TEST(decode_every_truncation)
{
	char want[64];
	size_t n;

	capture();
	encode();
	for (n = 0; n < enc_len; n++) {
		uint8_t *cut = malloc(n ? n : 1);

		memcpy(cut, enc, n);
		ck_assert_int_eq(vm_save_decode(cut, n, &back, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "VM state: truncated at byte %zu (", n);
		ck_assert_msg(!strncmp(err, want, strlen(want)), "at %zu: %s", n, err);
		free(cut);
	}
}
END_TEST

Suite *vm_save_suite(void)
{
	Suite *s = suite_create("vm_save");
	TCase *t = tcase_create("vm_save");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, capture_reads_everything);
	tcase_add_test(t, restore_order_and_state);
	tcase_add_test(t, restore_advance_by_realtime);
	tcase_add_test(t, restore_freeze_ignores_realtime);
	tcase_add_test(t, restore_advance_falls_back);
	tcase_add_test(t, round_trip);
	tcase_add_test(t, decode_errors);
	tcase_add_test(t, decode_every_truncation);
	suite_add_tcase(s, t);
	return s;
}
