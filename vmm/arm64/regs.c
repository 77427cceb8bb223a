/* arm64 register ids and boot register values (see regs.h). Built against
 * the arm64 asm/kvm.h (and its asm/ptrace.h for the PSR bits) even on x86:
 * nothing of its uAPI types leaves this file. */
#include <stddef.h>
#include <linux/kvm.h>
#include "regs.h"

/* KVM_REG_ARM_CORE ids count 32-bit words into struct kvm_regs. */
static uint64_t core_reg(size_t offset)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
	       (uint64_t)(offset / sizeof(__u32));
}

uint64_t arm64_reg_x(unsigned n)
{
	if (n > 30)
		return 0;
	return core_reg(offsetof(struct kvm_regs, regs.regs) + n * sizeof(__u64));
}

uint64_t arm64_reg_pc(void)
{
	return core_reg(offsetof(struct kvm_regs, regs.pc));
}

uint64_t arm64_reg_pstate(void)
{
	return core_reg(offsetof(struct kvm_regs, regs.pstate));
}

uint64_t arm64_reg_sp(void)
{
	return core_reg(offsetof(struct kvm_regs, regs.sp));
}

uint64_t arm64_reg_elr_el1(void)
{
	return core_reg(offsetof(struct kvm_regs, elr_el1));
}

uint64_t arm64_reg_sp_el1(void)
{
	return core_reg(offsetof(struct kvm_regs, sp_el1));
}

/* MPIDR_EL1 is op0 3, op1 0, CRn 0, CRm 0, op2 5. */
uint64_t arm64_reg_mpidr(void)
{
	return ARM64_SYS_REG(3, 0, 0, 0, 5);
}

uint64_t arm64_boot_pstate(void)
{
	return PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT;
}

int arm64_boot_regs(uint64_t entry, uint64_t dtb, struct arm64_reg *out)
{
	unsigned i;
	int n = 0;

	for (i = 0; i < 4; i++) {
		out[n].id = arm64_reg_x(i);
		out[n++].value = i == 0 ? dtb : 0;
	}
	out[n].id = arm64_reg_pc();
	out[n++].value = entry;
	out[n].id = arm64_reg_pstate();
	out[n++].value = arm64_boot_pstate();
	return n;
}

/* Aff3 (bits 39:32) and Aff2-Aff0 (bits 23:0). */
uint64_t arm64_mpidr_affinity(uint64_t mpidr)
{
	return mpidr & 0xff00ffffffULL;
}
