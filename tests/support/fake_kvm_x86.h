/* A fake x86 KVM for the state save tests (vmm/x86/vcpu_save.c,
 * vm_save.c): a fake /dev/kvm fd (KVM_GET_MSR_INDEX_LIST), one fake vCPU fd
 * holding every piece of state KVM_GET/SET_* move (registers, special
 * registers, legacy FPU, XSAVE image, XCRs, debug registers, LAPIC, events,
 * MP state, TSC rate, an MSR table), and the vm fd's x86 state of
 * tests/support/fake_kvm.c (the capabilities KVM_CHECK_EXTENSION reports,
 * the PICs, IOAPIC, PIT and clock). Chosen MSRs fail to read or to write,
 * as KVM_GET_MSRS and KVM_SET_MSRS do (they stop at the first and return
 * how many they did). Every call is logged in order (KVM_CHECK_EXTENSION
 * aside), vm and vCPU calls in one log, so a test can check the order of a
 * restore. The fds are eventfds of the test's own; reached through
 * tests/support/fake_ioctl.c. */
#ifndef CONDUIT_TESTS_FAKE_KVM_X86_H
#define CONDUIT_TESTS_FAKE_KVM_X86_H

#include <stdint.h>
#include <linux/kvm.h>

#define FAKE_X86_MSRS      256
#define FAKE_X86_LOG       512
#define FAKE_X86_XSAVE_MAX 16384

struct fake_kvm_x86 {
	int sys_fd, vcpu_fd;            /* -1: none */
	/* What KVM_CHECK_EXTENSION answers on the vm fd. */
	int cap_sregs2, cap_xsave, cap_xsave2, cap_xcrs, cap_events, cap_debugregs;
	int cap_adjust_clock;
	/* KVM_GET_MSR_INDEX_LIST's answer. */
	uint32_t msr_list[FAKE_X86_MSRS];
	uint32_t n_msr_list;
	/* The vCPU. */
	struct kvm_regs regs;
	struct kvm_sregs2 sregs;        /* pdptrs and flags only through SREGS2 */
	uint64_t interrupt_bitmap[4];
	struct kvm_fpu fpu;
	uint8_t xsave[FAKE_X86_XSAVE_MAX];
	struct kvm_xcrs xcrs;
	struct kvm_debugregs debugregs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	uint32_t mp_state;
	uint32_t tsc_khz;
	struct kvm_msr_entry msrs[FAKE_X86_MSRS];
	uint32_t n_msrs;
	uint32_t bad_read_msr, bad_write_msr;   /* 0: none */
	/* The VM. */
	struct kvm_pic_state pic[2];
	struct kvm_ioapic_state ioapic;
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	uint64_t realtime_now;          /* what KVM_CLOCK_REALTIME compares with */
	/* The log, and counts. */
	unsigned long log[FAKE_X86_LOG];
	unsigned n_log, get_msrs_calls, set_msrs_calls;
};

extern struct fake_kvm_x86 fake_kvm_x86;

/* Opens the fake /dev/kvm and vCPU fds (once; again after close) and resets
 * everything to a modern KVM: SREGS2, XSAVE2 of 4096 bytes, XCRS, events,
 * debug registers, KVM_CLOCK_REALTIME; an empty MSR list and table. */
void fake_kvm_x86_open(void);
void fake_kvm_x86_close(void);
/* The MSR table entry of index (NULL: none); sets one (added if absent). */
struct kvm_msr_entry *fake_kvm_x86_msr(uint32_t index);
void fake_kvm_x86_set_msr(uint32_t index, uint64_t data);
/* Position of req in the log from from on (-1: not there). */
int fake_kvm_x86_logged(unsigned long req, unsigned from);

/* The vCPU and /dev/kvm fds' ioctls, and the vm fd's x86 ones (called by
 * fake_kvm_ioctl()); arg as ioctl() got it. */
int fake_kvm_x86_ioctl(int fd, unsigned long req, void *arg);
int fake_kvm_x86_vm_ioctl(unsigned long req, void *arg);

#endif
