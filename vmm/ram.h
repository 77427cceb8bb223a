/* Guest RAM: its backing (anonymous memory with or without transparent
 * hugepages, or a hugetlbfs memfd of 2 MiB or 1 GiB pages) and the
 * parallel prefault that precedes pinning it for DMA. */
#ifndef CONDUIT_RAM_H
#define CONDUIT_RAM_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "memmap.h"

#define RAM_PREFAULT_MAX_THREADS 16

/* Page size of a backing: 2 MiB, 1 GiB, or 0 for the anonymous ones. */
uint64_t ram_page_size(enum ram_backing b);

/* Whether the host can back bytes of RAM with hugetlbfs pages of size
 * page: the pool must exist under sysfs_root (NULL: "/sys") and have
 * enough pages free (free minus reserved). Returns 0, or -1 with a message
 * that says how many pages are needed and free and how to reserve more. */
int ram_hugepages_check(const char *sysfs_root, uint64_t page, uint64_t bytes,
			char *err, size_t errlen);

/* Back every region of gm (laid out by memmap_layout) with host memory:
 * sets each region's hva. On failure nothing stays mapped. */
int ram_alloc(struct guest_mem *gm, enum ram_backing b, char *err, size_t errlen);
void ram_free(struct guest_mem *gm);

/* Fault every page of guest RAM in with up to max_threads threads (each
 * takes a share of the pages), so that pinning for DMA finds them present.
 * Returns the number of threads used, or -errno; *ns gets the time taken. */
int ram_prefault(struct guest_mem *gm, unsigned max_threads, uint64_t *ns);

#endif
