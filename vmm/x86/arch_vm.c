/* x86's VM-wide part of vmm/arch.h: the capabilities it needs, the
 * supported CPUID (kept in vm->arch for the vCPUs), the TSS and identity
 * map pages, the in-kernel IOAPIC/PIC and PIT, and the guest memory map
 * (vmm/memmap.c) with its 64-bit PCI window up to the guest's physical
 * address width. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "../../vfio/dma.h"
#include "../arch.h"
#include "../vm.h"
#include "arch_x86.h"

int arch_vm_check_caps(int kvm_fd, char *err, size_t errlen)
{
	static const struct { int cap; const char *name; } need[] = {
		{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	};
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			snprintf(err, errlen, "/dev/kvm lacks %s: this kernel's KVM is too old",
				 need[i].name);
			return -1;
		}
	}
	return 0;
}

unsigned long arch_vm_type(int kvm_fd)
{
	(void)kvm_fd;
	return 0;
}

static int get_cpuid(struct vm *vm, char *err, size_t errlen)
{
	struct arch_vm *a = vm->arch;
	int n = 256;

	for (;;) {
		a->cpuid = calloc(1, sizeof(*a->cpuid) + n * sizeof(a->cpuid->entries[0]));
		if (!a->cpuid)
			break;
		a->cpuid->nent = n;
		if (!ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, a->cpuid))
			return 0;
		free(a->cpuid);
		a->cpuid = NULL;
		if (errno != E2BIG || n >= 4096)
			break;
		n *= 2;
	}
	snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	return -1;
}

int arch_vm_init(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_pit_config pit = { .flags = 0 };

	vm->arch = calloc(1, sizeof(*vm->arch));
	if (!vm->arch) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (get_cpuid(vm, err, errlen))
		return -1;
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, MEM_KVM_TSS) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &(uint64_t){ MEM_KVM_IDMAP }) < 0) {
		snprintf(err, errlen, "KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP) < 0) {
		snprintf(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		snprintf(err, errlen, "KVM_CREATE_PIT2: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int arch_vm_memmap(struct vm *vm, uint64_t size, char *err, size_t errlen)
{
	if (memmap_layout(&vm->mem, size)) {
		snprintf(err, errlen, "memory size %llu is too small", (unsigned long long)size);
		return -1;
	}
	if (memmap_set_pci64(&vm->mem, vm_phys_bits(vm))) {
		snprintf(err, errlen, "--memory %llu MiB leaves no room for PCI BARs below the "
			 "guest's %u-bit physical address limit", (unsigned long long)(size >> 20),
			 vm_phys_bits(vm));
		return -1;
	}
	return 0;
}

int arch_check_iova(const struct vm *vm, const struct iova_range *r, int n, char *err,
		    size_t errlen)
{
	return dma_check_layout(&vm->mem, r, n, err, errlen);
}

int arch_vm_vcpus_created(struct vm *vm, char *err, size_t errlen)
{
	(void)vm;
	(void)err;
	(void)errlen;
	return 0;
}

void arch_vm_destroy(struct vm *vm)
{
	if (vm->arch)
		free(vm->arch->cpuid);
	free(vm->arch);
	vm->arch = NULL;
}

unsigned vm_phys_bits(const struct vm *vm)
{
	const struct kvm_cpuid2 *c = vm->arch ? vm->arch->cpuid : NULL;
	uint32_t i;

	for (i = 0; c && i < c->nent; i++)
		if (c->entries[i].function == 0x80000008)
			return c->entries[i].eax & 0xff;
	return 36;      /* what a CPU without the leaf has */
}

bool vm_has_la57(const struct vm *vm)
{
	const struct kvm_cpuid2 *c = vm->arch ? vm->arch->cpuid : NULL;
	uint32_t i;

	for (i = 0; c && i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 7 && e->index == 0)
			return e->ecx & (1U << 16);
	}
	return false;
}
