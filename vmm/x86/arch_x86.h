/* What the x86 implementation of vmm/arch.h keeps per VM, and what only
 * x86 code asks of it (the guest's CPUID). */
#ifndef CONDUIT_ARCH_X86_H
#define CONDUIT_ARCH_X86_H

#include <stdbool.h>
#include <linux/kvm.h>

struct vm;

struct arch_vm {
	struct kvm_cpuid2 *cpuid;       /* KVM_GET_SUPPORTED_CPUID */
};

/* Whether the guest's CPUID offers 5-level paging (LA57). */
bool vm_has_la57(const struct vm *vm);
/* The guest's physical address width (CPUID 0x80000008 EAX[7:0]). */
unsigned vm_phys_bits(const struct vm *vm);

#endif
