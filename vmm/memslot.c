/* The KVM memory-slot allocator: a bitmap of slot numbers, bounded by what
 * KVM reports, and the one place that issues KVM_SET_USER_MEMORY_REGION. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "memslot.h"

#define KVM_MIN_MEMSLOTS 32

void memslots_init(struct memslots *s, int kvm_limit)
{
	memset(s, 0, sizeof(*s));
	if (kvm_limit <= 0)
		kvm_limit = KVM_MIN_MEMSLOTS;
	s->limit = kvm_limit < MEMSLOT_MAX ? (unsigned)kvm_limit : MEMSLOT_MAX;
}

int memslot_alloc(struct memslots *s)
{
	unsigned i;

	for (i = 0; i < s->limit; i++) {
		if (!(s->used[i / 64] & (1ULL << (i % 64)))) {
			s->used[i / 64] |= 1ULL << (i % 64);
			return (int)i;
		}
	}
	return -1;
}

void memslot_free(struct memslots *s, int slot)
{
	if (slot >= 0 && (unsigned)slot < s->limit)
		s->used[slot / 64] &= ~(1ULL << (slot % 64));
}

int memslot_set(int vm_fd, int slot, uint64_t gpa, uint64_t size, void *hva,
		uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = (uint32_t)slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}
