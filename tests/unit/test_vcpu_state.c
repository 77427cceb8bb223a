/* Unit tests for the vCPU state line SIGUSR2 prints (vmm/x86/vcpu_state.c): run
 * state, rip and IF; the LAPIC timer in TSC-deadline mode (armed ahead, past,
 * not armed, TSC rate unknown) and in one-shot mode; the highest vector in
 * service and pending across the 256-bit registers; a line that does not
 * fit is cut. */
#include <string.h>
#include "../../vmm/x86/vcpu_state.h"
#include "suites.h"

static struct vcpu_state st;
static char line[256];

static void set_reg(unsigned off, uint32_t v)
{
	memcpy(&st.lapic.regs[off], &v, sizeof(v));
}

static void setup(void)
{
	memset(&st, 0, sizeof(st));
	memset(line, 'X', sizeof(line));
	st.rip = 0xffffffff81e0c5d4ULL;
	st.rflags = 0x246;               /* IF set */
	st.mp_state = KVM_MP_STATE_HALTED;
	st.tsc_khz = 2596000;
	st.tsc = 1000000000ULL;
	set_reg(0x320, 2U << 17 | 0xec); /* TSC-deadline mode, vector 0xec */
}

START_TEST(deadline_ahead)
{
	st.tsc_deadline = st.tsc + 2596000ULL * 12;   /* 12 ms */
	vcpu_state_format(&st, 0, line, sizeof(line));
	ck_assert_str_eq(line, "vCPU 0: halted, rip 0xffffffff81e0c5d4, IF=1; timer tsc-deadline "
			 "vector 0xec, fires in 12.000 ms; in service none, pending none");
}
END_TEST

/* What a host timer that never fired looks like: the deadline long past, the
 * vCPU halted with interrupts on and nothing pending. */
START_TEST(deadline_passed)
{
	st.tsc = 1000000000000ULL;
	st.tsc_deadline = st.tsc - 2596000ULL * 5000;  /* 5 s ago */
	vcpu_state_format(&st, 1, line, sizeof(line));
	ck_assert_str_eq(line, "vCPU 1: halted, rip 0xffffffff81e0c5d4, IF=1; timer tsc-deadline "
			 "vector 0xec, deadline passed 5000.000 ms ago; in service none, pending none");
}
END_TEST

START_TEST(deadline_not_armed_masked_if_off)
{
	st.rflags = 0x2;
	st.mp_state = KVM_MP_STATE_RUNNABLE;
	set_reg(0x320, 2U << 17 | 1U << 16 | 0xec);
	vcpu_state_format(&st, 0, line, sizeof(line));
	ck_assert_str_eq(line, "vCPU 0: running, rip 0xffffffff81e0c5d4, IF=0; timer tsc-deadline "
			 "vector 0xec (masked), not armed; in service none, pending none");
}
END_TEST

START_TEST(deadline_without_tsc_rate)
{
	st.tsc_khz = 0;
	st.tsc_deadline = 0x12345678ULL;
	st.tsc = 0x1000ULL;
	vcpu_state_format(&st, 0, line, sizeof(line));
	ck_assert_str_eq(line, "vCPU 0: halted, rip 0xffffffff81e0c5d4, IF=1; timer tsc-deadline "
			 "vector 0xec, deadline 0x12345678, TSC 0x1000; in service none, pending none");
}
END_TEST

START_TEST(one_shot_counts)
{
	set_reg(0x320, 0xef);
	set_reg(0x380, 100000);
	set_reg(0x390, 1234);
	st.mp_state = KVM_MP_STATE_UNINITIALIZED;
	vcpu_state_format(&st, 3, line, sizeof(line));
	ck_assert_str_eq(line, "vCPU 3: waiting for INIT, rip 0xffffffff81e0c5d4, IF=1; timer "
			 "one-shot vector 0xef, count 1234 of 100000; in service none, pending none");
}
END_TEST

/* ISR and IRR are eight 32-bit words 16 bytes apart; the highest set bit of
 * all of them is named. */
START_TEST(highest_vectors)
{
	st.tsc_deadline = st.tsc;
	set_reg(0x100 + 0x10 * 1, 1U << 16);             /* ISR 0x30 */
	set_reg(0x100 + 0x10 * 7, 1U << 12);             /* ISR 0xec */
	set_reg(0x200 + 0x10 * 1, 1U << 1);              /* IRR 0x21 */
	set_reg(0x200 + 0x10 * 0, 1U << 31);             /* IRR 0x1f */
	vcpu_state_format(&st, 0, line, sizeof(line));
	ck_assert_str_eq(line, "vCPU 0: halted, rip 0xffffffff81e0c5d4, IF=1; timer tsc-deadline "
			 "vector 0xec, fires in 0.000 ms; in service 0xec, pending 0x21");
}
END_TEST

START_TEST(unknown_run_state_and_cut)
{
	st.mp_state = 99;
	vcpu_state_format(&st, 0, line, 24);
	ck_assert_str_eq(line, "vCPU 0: in an unknown r");
	ck_assert_int_eq(line[25], 'X');
}
END_TEST

Suite *vcpu_state_suite(void)
{
	Suite *s = suite_create("vcpu_state");
	TCase *tc = tcase_create("format");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, deadline_ahead);
	tcase_add_test(tc, deadline_passed);
	tcase_add_test(tc, deadline_not_armed_masked_if_off);
	tcase_add_test(tc, deadline_without_tsc_rate);
	tcase_add_test(tc, one_shot_counts);
	tcase_add_test(tc, highest_vectors);
	tcase_add_test(tc, unknown_run_state_and_cut);
	suite_add_tcase(s, tc);
	return s;
}
