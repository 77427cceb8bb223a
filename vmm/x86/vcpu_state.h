/* A running vCPU's state in one line, for SIGUSR2: run state, rip, IF, the
 * LAPIC timer and the interrupts in service and pending. */
#ifndef CONDUIT_VCPU_STATE_H
#define CONDUIT_VCPU_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* What the vCPU thread read with KVM_GET_REGS, KVM_GET_MP_STATE,
 * KVM_GET_LAPIC, KVM_GET_MSRS (TSC and TSC deadline, read together) and
 * KVM_GET_TSC_KHZ (0 when unknown). */
struct vcpu_state {
	uint64_t rip;
	uint64_t rflags;
	uint32_t mp_state;
	struct kvm_lapic_state lapic;
	uint64_t tsc;
	uint64_t tsc_deadline;
	uint32_t tsc_khz;
};

/* Writes "vCPU ID: halted, rip 0x..., IF=1; timer ...; ISR ..., IRR ..."
 * to buf (cut to len). */
void vcpu_state_format(const struct vcpu_state *s, int id, char *buf, size_t len);

#endif
