/* The one-line state of a vCPU that SIGUSR2 prints: whether it runs or is
 * halted, where, whether it takes interrupts, what its LAPIC timer will do
 * and when, and the highest vector in service and pending. A guest that
 * hangs halted with its timer deadline long past points at the host's
 * timer, one whose deadline lies far ahead at the guest's own clock. */
#include <stdio.h>
#include <string.h>
#include "vcpu_state.h"

#define APIC_ISR   0x100
#define APIC_IRR   0x200
#define APIC_LVTT  0x320
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define LVT_MASKED (1U << 16)
#define RFLAGS_IF  (1ULL << 9)

static uint32_t apic_reg(const struct kvm_lapic_state *l, unsigned off)
{
	uint32_t v;

	memcpy(&v, &l->regs[off], sizeof(v));
	return v;
}

/* The highest vector set in the 256-bit register at off, or -1. */
static int highest_vector(const struct kvm_lapic_state *l, unsigned off)
{
	int i, bit;

	for (i = 7; i >= 0; i--) {
		uint32_t w = apic_reg(l, off + 0x10 * (unsigned)i);

		for (bit = 31; bit >= 0; bit--)
			if (w & (1U << bit))
				return i * 32 + bit;
	}
	return -1;
}

static const char *mp_state_name(uint32_t s)
{
	switch (s) {
	case KVM_MP_STATE_RUNNABLE:
		return "running";
	case KVM_MP_STATE_UNINITIALIZED:
		return "waiting for INIT";
	case KVM_MP_STATE_INIT_RECEIVED:
		return "waiting for SIPI";
	case KVM_MP_STATE_HALTED:
		return "halted";
	case KVM_MP_STATE_SIPI_RECEIVED:
		return "SIPI received";
	}
	return "in an unknown run state";
}

/* "tsc-deadline vector 0xec, fires in 1.250 ms" and the like. */
static void format_timer(const struct vcpu_state *s, char *buf, size_t len)
{
	uint32_t lvtt = apic_reg(&s->lapic, APIC_LVTT);
	unsigned mode = (lvtt >> 17) & 3, vec = lvtt & 0xff;
	static const char *const modes[] = { "one-shot", "periodic", "tsc-deadline", "reserved" };
	const char *masked = lvtt & LVT_MASKED ? " (masked)" : "";

	if (mode != 2) {
		snprintf(buf, len, "%s vector 0x%x%s, count %u of %u", modes[mode], vec, masked,
			 apic_reg(&s->lapic, APIC_TMCCT), apic_reg(&s->lapic, APIC_TMICT));
		return;
	}
	if (!s->tsc_deadline) {
		snprintf(buf, len, "tsc-deadline vector 0x%x%s, not armed", vec, masked);
		return;
	}
	if (!s->tsc_khz) {
		snprintf(buf, len, "tsc-deadline vector 0x%x%s, deadline 0x%llx, TSC 0x%llx", vec,
			 masked, (unsigned long long)s->tsc_deadline, (unsigned long long)s->tsc);
		return;
	}
	if (s->tsc_deadline >= s->tsc)
		snprintf(buf, len, "tsc-deadline vector 0x%x%s, fires in %.3f ms", vec, masked,
			 (double)(s->tsc_deadline - s->tsc) / s->tsc_khz);
	else
		snprintf(buf, len, "tsc-deadline vector 0x%x%s, deadline passed %.3f ms ago", vec,
			 masked, (double)(s->tsc - s->tsc_deadline) / s->tsc_khz);
}

static void format_vector(int v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "0x%x", (unsigned)v);
}

void vcpu_state_format(const struct vcpu_state *s, int id, char *buf, size_t len)
{
	char timer[128], isr[8], irr[8];

	format_timer(s, timer, sizeof(timer));
	format_vector(highest_vector(&s->lapic, APIC_ISR), isr, sizeof(isr));
	format_vector(highest_vector(&s->lapic, APIC_IRR), irr, sizeof(irr));
	snprintf(buf, len, "vCPU %d: %s, rip 0x%llx, IF=%d; timer %s; in service %s, pending %s",
		 id, mp_state_name(s->mp_state), (unsigned long long)s->rip,
		 (s->rflags & RFLAGS_IF) ? 1 : 0, timer, isr, irr);
}
