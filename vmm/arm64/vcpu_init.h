/* arm64 vCPU set-up through KVM: KVM_ARM_VCPU_INIT on the target KVM
 * prefers with PSCI 0.2 (secondary vCPUs start powered off, the guest
 * starts them with PSCI CPU_ON, which KVM handles), the boot vCPU's
 * registers by KVM_SET_ONE_REG, and the MPIDR KVM gave a vCPU. Takes the
 * fds only; this header uses plain types. */
#ifndef CONDUIT_ARM64_VCPU_INIT_H
#define CONDUIT_ARM64_VCPU_INIT_H

#include <stddef.h>
#include <stdint.h>
#include "regs.h"

/* KVM_ARM_VCPU_INIT of vcpu_fd (vCPU id; id 0 boots, the others are
 * powered off). Returns 0, or -1 with a one-line err. */
int arm64_vcpu_init(int vm_fd, int vcpu_fd, int id, char *err, size_t errlen);
/* KVM_SET_ONE_REG of each register. Returns 0, or -1 with a one-line err
 * naming the register id. */
int arm64_vcpu_set_regs(int vcpu_fd, const struct arm64_reg *regs, int n, char *err,
			size_t errlen);
/* The boot vCPU's registers for Linux: PC = entry, X0 = dtb (regs.h). */
int arm64_vcpu_set_boot(int vcpu_fd, uint64_t entry, uint64_t dtb, char *err, size_t errlen);
/* MPIDR_EL1 of an initialised vCPU. Returns 0 or -errno. */
int arm64_vcpu_read_mpidr(int vcpu_fd, uint64_t *mpidr);
/* PC of a vCPU (for an error report). Returns 0 or -errno. */
int arm64_vcpu_pc(int vcpu_fd, uint64_t *pc);

#endif
