/* The KVM VM: open /dev/kvm, create the VM with the architecture's
 * in-kernel interrupt controllers and clocks (vmm/arch.h), allocate guest
 * RAM on the architecture's memory map and install it as memory slots
 * (vmm/memslot.c hands out their numbers). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "arch.h"
#include "log.h"
#include "memslot.h"
#include "ram.h"
#include "vm.h"

/* What the KVM API says to assume of a KVM that reports no vCPU limit. */
#define KVM_DEFAULT_VCPUS 4

static int check_caps(struct vm *vm, char *err, size_t errlen)
{
	static const struct { int cap; const char *name; } need[] = {
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
		{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
		{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	};
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			snprintf(err, errlen, "/dev/kvm lacks %s: this kernel's KVM is too old",
				 need[i].name);
			return -1;
		}
	}
	return arch_vm_check_caps(vm->kvm_fd, err, errlen);
}

static int setup_ram(struct vm *vm, uint64_t size, enum ram_backing backing,
		     char *err, size_t errlen)
{
	int i;

	if (arch_vm_memmap(vm, size, err, errlen))
		return -1;
	if (ram_alloc(&vm->mem, backing, err, errlen))
		return -1;
	for (i = 0; i < vm->mem.n_ram; i++) {
		struct ram_region *r = &vm->mem.ram[i];
		int slot = memslot_alloc(&vm->slots), ret;

		ret = slot < 0 ? -ENOSPC : memslot_set(vm->vm_fd, slot, r->gpa, r->size, r->hva, 0);
		vm->ram_slot[i] = slot;
		if (ret) {
			snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION for RAM at 0x%llx: %s",
				 (unsigned long long)r->gpa, strerror(-ret));
			return -1;
		}
	}
	return 0;
}

static int setup_irqchip(struct vm *vm, char *err, size_t errlen)
{
	if (arch_vm_init(vm, err, errlen))
		return -1;
	if (irq_router_init(&vm->irq, vm->vm_fd)) {
		snprintf(err, errlen, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int vm_check_cpus(int cpus, int max_vcpus, int nr_vcpus, char *err, size_t errlen)
{
	if (max_vcpus > 0) {
		if (cpus <= max_vcpus)
			return 0;
		snprintf(err, errlen, "--cpus %d is more than KVM allows on this host: at most %d "
			 "vCPUs (KVM_CAP_MAX_VCPUS)", cpus, max_vcpus);
		return -1;
	}
	if (nr_vcpus > 0) {
		if (cpus <= nr_vcpus)
			return 0;
		snprintf(err, errlen, "--cpus %d is more than KVM allows on this host: at most %d "
			 "vCPUs (KVM_CAP_NR_VCPUS; this KVM has no KVM_CAP_MAX_VCPUS)", cpus, nr_vcpus);
		return -1;
	}
	if (cpus <= KVM_DEFAULT_VCPUS)
		return 0;
	snprintf(err, errlen, "--cpus %d is more than KVM allows on this host: at most %d vCPUs "
		 "(this KVM reports neither KVM_CAP_MAX_VCPUS nor KVM_CAP_NR_VCPUS)", cpus,
		 KVM_DEFAULT_VCPUS);
	return -1;
}

int vm_create(struct vm *vm, const struct vm_config *cfg, char *err, size_t errlen)
{
	int ver, tries;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->stop_efd = -1;
	atomic_init(&vm->exit_code, -1);
	vm_pause_init(&vm->pause);
	vm->pio.name = "port I/O";
	vm->mmio.name = "MMIO";
	vm->n_cpus = cfg->cpus;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		snprintf(err, errlen, "cannot open /dev/kvm: %s (%s)", strerror(errno),
			 errno == ENOENT ? "load kvm-intel or kvm-amd, or enable virtualization in the firmware" :
			 errno == EACCES ? "add yourself to the kvm group or run as root" :
			 "is KVM available on this host?");
		return -1;
	}
	ver = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm speaks API version %d, conduit needs %d",
			 ver, KVM_API_VERSION);
		return -1;
	}
	if (check_caps(vm, err, errlen))
		return -1;
	if (vm_check_cpus(cfg->cpus, ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS),
			  ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS), err, errlen))
		return -1;
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -1;
	}
	/* KVM_CREATE_VM can fail with EINTR (seen on arm64 at a guest reboot):
	 * it is asked again, a bounded number of times. */
	for (tries = 0; tries < 100; tries++) {
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, arch_vm_type(vm->kvm_fd));
		if (vm->vm_fd >= 0 || errno != EINTR)
			break;
	}
	if (vm->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	memslots_init(&vm->slots, ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS));
	if (setup_irqchip(vm, err, errlen))
		return -1;
	return setup_ram(vm, cfg->mem_size, cfg->hugepages, err, errlen);
}

void vm_request_exit(struct vm *vm, int code)
{
	int expected = -1;
	uint64_t one = 1;

	if (atomic_compare_exchange_strong(&vm->exit_code, &expected, code))
		pr_debug("VM stop requested, exit code %d", code);
	atomic_store(&vm->stopping, true);
	vm_pause_release(vm);
	if (write(vm->stop_efd, &one, sizeof(one)) < 0)
		pr_debug("stop eventfd: %s", strerror(errno));
}

void vm_destroy(struct vm *vm)
{
	ram_free(&vm->mem);
	arch_vm_destroy(vm);
	vm_pause_destroy(&vm->pause);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	memset(&vm->mem, 0, sizeof(vm->mem));
}

uint64_t vm_guest_resident(const struct vm *vm)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t total = 0;
	int i;

	for (i = 0; i < vm->mem.n_ram; i++) {
		const struct ram_region *r = &vm->mem.ram[i];
		size_t n = (r->size + page - 1) / page, j;
		unsigned char *vec = malloc(n);

		if (!vec)
			continue;
		if (!mincore(r->hva, r->size, vec))
			for (j = 0; j < n; j++)
				total += (vec[j] & 1) ? (uint64_t)page : 0;
		free(vec);
	}
	return total;
}
