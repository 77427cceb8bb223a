/* Unit tests for the exits that end the guest (vmm/vcpu_exit.c): the exit
 * code and the message for a triple fault, a failed VM entry (VMX and SVM
 * reasons), each KVM internal error suberror with its data, and an exit
 * reason conduit does not know; a message that does not fit is cut. */
#include <string.h>
#include "../../vmm/vcpu_exit.h"
#include "../../vmm/vm.h"
#include "suites.h"

static struct kvm_run run;
static char msg[512];

static void setup(void)
{
	memset(&run, 0, sizeof(run));
	memset(msg, 'X', sizeof(msg));
}

START_TEST(triple_fault)
{
	run.exit_reason = KVM_EXIT_SHUTDOWN;
	ck_assert_int_eq(vcpu_exit_report(&run, 3, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_str_eq(msg, "vCPU 3: guest triple fault (shutdown)");
}
END_TEST

START_TEST(fail_entry_vmx_invalid_state)
{
	run.exit_reason = KVM_EXIT_FAIL_ENTRY;
	run.fail_entry.hardware_entry_failure_reason = 0x80000021;
	run.fail_entry.cpu = 1;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_str_eq(msg, "vCPU 0: VM entry failed on host CPU 1, hardware reason 0x80000021 "
			 "(invalid guest state)");
}
END_TEST

START_TEST(fail_entry_other_reasons)
{
	run.exit_reason = KVM_EXIT_FAIL_ENTRY;
	run.fail_entry.hardware_entry_failure_reason = 0x80000022;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_str_eq(msg, "vCPU 0: VM entry failed on host CPU 0, hardware reason 0x80000022 "
			 "(MSR loading)");

	run.fail_entry.hardware_entry_failure_reason = ~0ULL;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_str_eq(msg, "vCPU 0: VM entry failed on host CPU 0, hardware reason "
			 "0xffffffffffffffff (VMRUN refused the VMCB (SVM_EXIT_ERR))");

	/* a VM-instruction error number: no name, only the number */
	run.fail_entry.hardware_entry_failure_reason = 7;
	ck_assert_int_eq(vcpu_exit_report(&run, 2, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_str_eq(msg, "vCPU 2: VM entry failed on host CPU 0, hardware reason 0x7");
}
END_TEST

START_TEST(internal_emulation_with_instruction)
{
	static const __u8 insn[] = { 0xd9, 0x00, 0xeb, 0xfe };

	run.exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run.emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run.emulation_failure.ndata = 4;
	run.emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	run.emulation_failure.insn_size = sizeof(insn);
	memcpy(run.emulation_failure.insn_bytes, insn, sizeof(insn));
	run.internal.data[3] = 0x1000;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_str_eq(msg, "vCPU 0: KVM internal error: emulation failure: KVM cannot emulate "
			 "the instruction (suberror 1), instruction d9 00 eb fe, data 0x1000");
}
END_TEST

START_TEST(internal_emulation_without_instruction)
{
	/* An older KVM: no flags, so data[] is not read as instruction bytes. */
	run.exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run.internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_str_eq(msg, "vCPU 0: KVM internal error: emulation failure: KVM cannot emulate "
			 "the instruction (suberror 1)");

	run.internal.ndata = 3;
	run.internal.data[0] = 0;       /* flags without INSTRUCTION_BYTES */
	run.internal.data[1] = 0x20;
	run.internal.data[2] = 0x30;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_str_eq(msg, "vCPU 0: KVM internal error: emulation failure: KVM cannot emulate "
			 "the instruction (suberror 1), data 0x0 0x20 0x30");
}
END_TEST

START_TEST(internal_other_suberrors)
{
	run.exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run.internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	run.internal.ndata = 2;
	run.internal.data[0] = 0x80000b0e;
	run.internal.data[1] = 0x31;
	ck_assert_int_eq(vcpu_exit_report(&run, 1, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_str_eq(msg, "vCPU 1: KVM internal error: exit while delivering an event "
			 "(suberror 3), data 0x80000b0e 0x31");

	run.internal.suberror = KVM_INTERNAL_ERROR_SIMUL_EX;
	run.internal.ndata = 0;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_str_eq(msg, "vCPU 0: KVM internal error: simultaneous exceptions (suberror 2)");

	run.internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_str_eq(msg, "vCPU 0: KVM internal error: unexpected exit reason (suberror 4)");

	run.internal.suberror = 99;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_str_eq(msg, "vCPU 0: KVM internal error: unknown suberror (suberror 99)");
}
END_TEST

START_TEST(internal_ndata_is_bounded)
{
	int i;

	/* ndata beyond data[16] (a hostile or garbled kvm_run) reads 16 words. */
	run.exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run.internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	run.internal.ndata = 1000;
	for (i = 0; i < 16; i++)
		run.internal.data[i] = (__u64)i;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_ptr_nonnull(strstr(msg, ", data 0x0 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8 0x9 0xa "
				     "0xb 0xc 0xd 0xe 0xf"));
	ck_assert(msg[strlen(msg) - 1] == 'f');

	/* an instruction length beyond the 15 bytes there are */
	run.emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run.emulation_failure.ndata = 3;
	run.emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	run.emulation_failure.insn_size = 200;
	memset(run.emulation_failure.insn_bytes, 0x90, 15);
	ck_assert_int_eq(vcpu_exit_report(&run, 0, msg, sizeof(msg)), EXIT_CRASH);
	ck_assert_ptr_nonnull(strstr(msg, ", instruction 90 90 90 90 90 90 90 90 90 90 90 90 90 90 90"));
	ck_assert(msg[strlen(msg) - 1] == '0');
}
END_TEST

START_TEST(unknown_exit_reason)
{
	run.exit_reason = KVM_EXIT_NOTIFY;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, msg, sizeof(msg)), EXIT_ERROR);
	ck_assert_str_eq(msg, "vCPU 0: unexpected exit reason 37");
}
END_TEST

START_TEST(message_is_cut_to_fit)
{
	char small[16];

	memset(small, 'X', sizeof(small));
	run.exit_reason = KVM_EXIT_SHUTDOWN;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, small, sizeof(small)), EXIT_CRASH);
	ck_assert_str_eq(small, "vCPU 0: guest t");

	/* the later parts of a long message are dropped, not written past */
	memset(small, 'X', sizeof(small));
	run.exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run.internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	run.internal.ndata = 16;
	ck_assert_int_eq(vcpu_exit_report(&run, 0, small, sizeof(small)), EXIT_CRASH);
	ck_assert_str_eq(small, "vCPU 0: KVM int");
	ck_assert_int_eq(vcpu_exit_report(&run, 0, small, 0), EXIT_CRASH);
	ck_assert_str_eq(small, "vCPU 0: KVM int");     /* untouched */
}
END_TEST

Suite *vcpu_exit_suite(void)
{
	Suite *s = suite_create("vcpu_exit");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, triple_fault);
	tcase_add_test(tc, fail_entry_vmx_invalid_state);
	tcase_add_test(tc, fail_entry_other_reasons);
	tcase_add_test(tc, internal_emulation_with_instruction);
	tcase_add_test(tc, internal_emulation_without_instruction);
	tcase_add_test(tc, internal_other_suberrors);
	tcase_add_test(tc, internal_ndata_is_bounded);
	tcase_add_test(tc, unknown_exit_reason);
	tcase_add_test(tc, message_is_cut_to_fit);
	suite_add_tcase(s, tc);
	return s;
}
