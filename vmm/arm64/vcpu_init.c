/* arm64 vCPU set-up (see vcpu_init.h). Built against the arm64 asm/kvm.h,
 * also on x86 for the unit tests. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "vcpu_init.h"

int arm64_vcpu_init(int vm_fd, int vcpu_fd, int id, char *err, size_t errlen)
{
	struct kvm_vcpu_init init;

	memset(&init, 0, sizeof(init));
	if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
		snprintf(err, errlen, "KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
		return -1;
	}
	init.features[0] = 1U << KVM_ARM_VCPU_PSCI_0_2;
	if (id != 0)
		init.features[0] |= 1U << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(vcpu_fd, KVM_ARM_VCPU_INIT, &init) < 0) {
		snprintf(err, errlen, "KVM_ARM_VCPU_INIT of vCPU %d (target %u, PSCI 0.2): %s", id,
			 init.target, strerror(errno));
		return -1;
	}
	return 0;
}

int arm64_vcpu_set_regs(int vcpu_fd, const struct arm64_reg *regs, int n, char *err,
			size_t errlen)
{
	int i;

	for (i = 0; i < n; i++) {
		uint64_t v = regs[i].value;
		struct kvm_one_reg r = { .id = regs[i].id, .addr = (uint64_t)(uintptr_t)&v };

		if (ioctl(vcpu_fd, KVM_SET_ONE_REG, &r) < 0) {
			snprintf(err, errlen, "KVM_SET_ONE_REG 0x%llx: %s",
				 (unsigned long long)regs[i].id, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int arm64_vcpu_set_boot(int vcpu_fd, uint64_t entry, uint64_t dtb, char *err, size_t errlen)
{
	struct arm64_reg regs[ARM64_BOOT_REGS];
	int n = arm64_boot_regs(entry, dtb, regs);

	return arm64_vcpu_set_regs(vcpu_fd, regs, n, err, errlen);
}

static int get_reg(int vcpu_fd, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)val };

	return ioctl(vcpu_fd, KVM_GET_ONE_REG, &r) < 0 ? -errno : 0;
}

int arm64_vcpu_read_mpidr(int vcpu_fd, uint64_t *mpidr)
{
	return get_reg(vcpu_fd, arm64_reg_mpidr(), mpidr);
}

int arm64_vcpu_pc(int vcpu_fd, uint64_t *pc)
{
	return get_reg(vcpu_fd, arm64_reg_pc(), pc);
}
