/* arm64 vCPU registers as KVM_SET_ONE_REG names them, and the values a
 * vCPU boots Linux with (Documentation/arch/arm64/booting.rst: PC at the
 * Image's entry, X0 the DTB's guest address, X1-X3 zero, EL1h with the
 * D, A, I and F exceptions masked). Pure: the register ids come from the
 * arm64 uAPI (asm/kvm.h) at build time, so this file builds on x86 too
 * (against the arm64 headers, see the Makefile) and is unit-tested there.
 * This header itself uses plain integer types only. */
#ifndef CONDUIT_ARM64_REGS_H
#define CONDUIT_ARM64_REGS_H

#include <stddef.h>
#include <stdint.h>

/* One register for KVM_SET_ONE_REG: its id and the value to load. */
struct arm64_reg {
	uint64_t id;
	uint64_t value;
};

/* Registers arm64_boot_regs() fills: X0-X3, PC and PSTATE. */
#define ARM64_BOOT_REGS 6

/* KVM_SET_ONE_REG ids of the core registers (struct kvm_regs). */
uint64_t arm64_reg_x(unsigned n);       /* X0-X30; n > 30: 0 */
uint64_t arm64_reg_pc(void);
uint64_t arm64_reg_pstate(void);
uint64_t arm64_reg_sp(void);            /* SP_EL0 */
uint64_t arm64_reg_sp_el1(void);
uint64_t arm64_reg_elr_el1(void);
/* The id of MPIDR_EL1 (a system register), read to name the vCPU in the
 * device tree. */
uint64_t arm64_reg_mpidr(void);

/* PSTATE at boot: EL1 using SP_EL1 (EL1h), D, A, I, F masked. */
uint64_t arm64_boot_pstate(void);

/* The boot vCPU's registers: X0 = dtb, X1-X3 = 0, PC = entry, PSTATE as
 * above. out holds ARM64_BOOT_REGS entries; returns how many it filled. */
int arm64_boot_regs(uint64_t entry, uint64_t dtb, struct arm64_reg *out);

/* The affinity bits of an MPIDR_EL1 value (Aff3, Aff2-Aff0): what a
 * device tree's cpu@ reg and PSCI CPU_ON's target carry. KVM gives vCPU i
 * the affinity arm64_vcpu_mpidr(i) of vmm/arm64/layout.h. */
uint64_t arm64_mpidr_affinity(uint64_t mpidr);

#endif
