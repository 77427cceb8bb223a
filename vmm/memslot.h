/* KVM memory slots: which slot numbers are in use, handed out and taken
 * back as RAM, the firmware image and passthrough BAR areas come and go. */
#ifndef CONDUIT_MEMSLOT_H
#define CONDUIT_MEMSLOT_H

#include <stdint.h>

#define MEMSLOT_MAX 512         /* conduit's own bound; KVM's may be lower */

struct memslots {
	uint64_t used[MEMSLOT_MAX / 64];
	unsigned limit;         /* slots 0..limit-1 may be handed out */
};

/* kvm_limit: what KVM_CAP_NR_MEMSLOTS says (0 or less: not reported, 32
 * is what every KVM has). */
void memslots_init(struct memslots *s, int kvm_limit);
/* The lowest free slot, or -1 when every one is in use. */
int memslot_alloc(struct memslots *s);
/* Give a slot back (it must be removed from KVM first). */
void memslot_free(struct memslots *s, int slot);
/* Install [gpa, gpa + size) backed by hva in slot, or remove the slot when
 * size is 0. flags: KVM_MEM_*. Returns 0 or -errno. */
int memslot_set(int vm_fd, int slot, uint64_t gpa, uint64_t size, void *hva,
		uint32_t flags);

#endif
