/* KVM dirty logging of guest RAM: KVM_MEM_LOG_DIRTY_PAGES on and off for
 * the RAM memory slots, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 where KVM offers
 * it, and each slot's dirty bitmap read and cleared into a vfio/dirty.h
 * bitmap, so that it merges with the devices' (DMA logging, IOMMUFD).
 * Groundwork for issue 15's live migration; nothing uses it yet.
 *
 * The bitmap type is vfio/dirty.h's struct vfio_dirty_bitmap, not one of
 * its own: KVM lays a slot's log out the same way (bit i: the page at the
 * slot's start + i * 4096, in 64-bit words on x86-64), VFIO maps guest RAM
 * for DMA at iova == gpa (vfio/dma.c), so a bitmap over a RAM region's gpa
 * range has the geometry vfio_dirty_merge() wants of every source, and
 * KVM fills its words directly. */
#ifndef CONDUIT_DIRTY_LOG_H
#define CONDUIT_DIRTY_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memmap.h"
#include "../vfio/dirty.h"

#define DIRTY_LOG_PAGE 4096ULL
/* KVM_CLEAR_DIRTY_LOG re-protects at most this many pages (1 GiB) a call,
 * so KVM's MMU lock is never held for a whole large slot at once. */
#define DIRTY_LOG_CLEAR_PAGES (1U << 18)

struct dirty_log {
	int vm_fd;
	const struct guest_mem *gm;     /* the RAM regions */
	int slot[MAX_RAM_REGIONS];      /* and their KVM memory slots */
	uint64_t manual;                /* KVM_DIRTY_LOG_* enabled; 0: none */
	bool on;
};

/* slot[i]: the KVM memory slot of gm->ram[i] (struct vm's ram_slot). */
void dirty_log_init(struct dirty_log *d, int vm_fd, const struct guest_mem *gm,
		    const int *slot);

/* Enable KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 where KVM offers it (with
 * KVM_DIRTY_LOG_INITIALLY_SET when offered too: every page then starts
 * dirty, so the first sync reports all of RAM and KVM need not
 * write-protect it all at once), then install every RAM slot again with
 * KVM_MEM_LOG_DIRTY_PAGES. On failure the slots already changed are put
 * back. 0, or -1 with a one-line err. */
int dirty_log_start(struct dirty_log *d, char *err, size_t errlen);

/* Install every RAM slot again without the flag (KVM frees the logs). All
 * of them are tried; 0, or -1 with a one-line err naming the first that
 * failed. */
int dirty_log_stop(struct dirty_log *d, char *err, size_t errlen);

/* A cleared bitmap over RAM region i's gpa range in 4 KiB pages. 0 or
 * -EINVAL / -ENOMEM. */
int dirty_log_bitmap_init(const struct dirty_log *d, int i, struct vfio_dirty_bitmap *b);

/* RAM region i's pages written since its last sync into b (made by
 * dirty_log_bitmap_init for i), and KVM's log of them cleared with the
 * pages write-protected again: KVM_GET_DIRTY_LOG, and with the manual
 * capability KVM_CLEAR_DIRTY_LOG of exactly the pages read (pieces of
 * DIRTY_LOG_CLEAR_PAGES, those with none skipped). A page must be read for
 * sending only after this returns; a write after it is in the next sync.
 * Returns the dirty pages, or -errno (-EINVAL: logging is off or b is not
 * region i's). */
int64_t dirty_log_sync(struct dirty_log *d, int i, struct vfio_dirty_bitmap *b);

#endif
