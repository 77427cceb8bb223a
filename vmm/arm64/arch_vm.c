/* arm64's VM-wide part of vmm/arch.h: the capabilities it needs and the
 * IPA size for its memory map, the GICv3 and ITS (created with the VM,
 * initialised once every vCPU exists: KVM sizes the redistributors then,
 * and takes no irqfd before), MMIO aborts KVM cannot decode reported as
 * exits, and the guest memory map of vmm/arm64/layout.h as vm->mem. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "../../vfio/backend.h"
#include "../../vfio/dma.h"
#include "../arch.h"
#include "../log.h"
#include "../vm.h"
#include "arch_arm64.h"
#include "vm_caps.h"

/* The top of the guest's physical address space: the 64-bit PCI window's end. */
#define MAP_TOP (ARM64_PCI_MMIO64_BASE + ARM64_PCI_MMIO64_SIZE)

int arch_vm_check_caps(int kvm_fd, char *err, size_t errlen)
{
	static const struct { int cap; const char *name; } need[] = {
		{ KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2" },
		{ KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL" },
		{ KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG" },
	};
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			snprintf(err, errlen, "/dev/kvm lacks %s: this kernel's KVM is too old",
				 need[i].name);
			return -1;
		}
	}
	return arm64_vm_type(MAP_TOP, arm64_max_ipa_bits(kvm_fd), err, errlen) < 0 ? -1 : 0;
}

unsigned long arch_vm_type(int kvm_fd)
{
	char err[160];
	long type = arm64_vm_type(MAP_TOP, arm64_max_ipa_bits(kvm_fd), err, sizeof(err));

	return type < 0 ? 0 : (unsigned long)type;
}

int arch_vm_init(struct vm *vm, char *err, size_t errlen)
{
	struct arm64_gic_addrs a = { .dist = ARM64_GICD_BASE, .redist = ARM64_GICR_BASE,
				     .its = ARM64_GITS_BASE };
	int ret;

	vm->arch = calloc(1, sizeof(*vm->arch));
	if (!vm->arch) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	vm->arch->gic.gic_fd = vm->arch->gic.its_fd = -1;
	if (arm64_gic_check(&a, (unsigned)vm->n_cpus, err, errlen))
		return -1;
	if (arm64_gic_create(vm->vm_fd, &a, &vm->arch->gic, err, errlen))
		return -1;
	ret = arm64_enable_nisv_exit(vm->vm_fd);
	if (ret)
		pr_debug("KVM_CAP_ARM_NISV_TO_USER: %s (such an access fails KVM_RUN instead)",
			 strerror(-ret));
	return 0;
}

int arch_vm_memmap(struct vm *vm, uint64_t size, char *err, size_t errlen)
{
	struct arm64_layout *l = &vm->arch->layout;
	uint64_t end;

	if (arm64_layout_init(l, size, (unsigned)vm->n_cpus, err, errlen))
		return -1;
	end = l->ram_base + l->ram_size;
	vm->mem.ram[0].gpa = l->ram_base;
	vm->mem.ram[0].size = l->ram_size;
	vm->mem.n_ram = 1;
	vm->mem.ram_size = l->ram_size;
	/* memmap.h's split at 4 GiB, kept true on arm64 too */
	vm->mem.low_end = end < (1ULL << 32) ? end : 1ULL << 32;
	vm->mem.high_end = end > (1ULL << 32) ? end : 0;
	vm->mem.pci64_base = l->mmio64_base;
	vm->mem.pci64_size = l->mmio64_size;
	return 0;
}

/* The layout's own check first: it names the reserved window RAM would
 * hit (the SMMU's MSI doorbells); then the generic one. */
int arch_check_iova(const struct vm *vm, const struct iova_range *r, int n, char *err,
		    size_t errlen)
{
	if (arm64_layout_check_iova(&vm->arch->layout, r, n, err, errlen))
		return -1;
	return dma_check_layout(&vm->mem, r, n, err, errlen);
}

int arch_vm_vcpus_created(struct vm *vm, char *err, size_t errlen)
{
	return arm64_gic_init(&vm->arch->gic, ARM64_GIC_SPIS, err, errlen);
}

void arch_vm_destroy(struct vm *vm)
{
	if (vm->arch)
		arm64_gic_close(&vm->arch->gic);
	free(vm->arch);
	vm->arch = NULL;
}
