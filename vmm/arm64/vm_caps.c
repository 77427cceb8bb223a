/* VM-wide arm64 KVM choices (see vm_caps.h). Built against the arm64
 * asm/kvm.h, also on x86 for the unit tests. */
#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "vm_caps.h"

static int bits_for(uint64_t top)
{
	int bits = 0;

	while (bits < 64 && (bits == 0 || (top - 1) >> bits))
		bits++;
	return bits;
}

long arm64_vm_type(uint64_t top, int max_ipa_bits, char *err, size_t errlen)
{
	int need = top ? bits_for(top) : 0;

	if (need <= ARM64_DEFAULT_IPA_BITS)
		return 0;
	if (max_ipa_bits <= 0 || need > max_ipa_bits) {
		snprintf(err, errlen,
			 "the guest's address space needs %d physical address bits; KVM on this host offers %d",
			 need, max_ipa_bits > 0 ? max_ipa_bits : ARM64_DEFAULT_IPA_BITS);
		return -1;
	}
	return (long)KVM_VM_TYPE_ARM_IPA_SIZE(need);
}

int arm64_max_ipa_bits(int kvm_fd)
{
	return ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
}

int arm64_enable_nisv_exit(int vm_fd)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_NISV_TO_USER };

	return ioctl(vm_fd, KVM_ENABLE_CAP, &cap) < 0 ? -errno : 0;
}

int arm64_msi_needs_devid(int vm_fd)
{
	return ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MSI_DEVID) > 0;
}
