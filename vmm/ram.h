/* Guest RAM: its backing (anonymous memory with or without transparent
 * hugepages, or a hugetlbfs memfd of 2 MiB or 1 GiB pages) and the
 * parallel prefault that precedes pinning it for DMA. */
#ifndef CONDUIT_RAM_H
#define CONDUIT_RAM_H

#include <pthread.h>
#include <stdbool.h>
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

/* A restore's RAM load writes pages scattered over all of guest RAM: with
 * transparent hugepages each first write faults in and zeroes a whole
 * 2 MiB page (1 GiB of zeroing under nested emulation for 80 MiB of
 * snapshot, seconds). ram_load_begin() asks for 4 KiB pages while it
 * loads, ram_load_end() for hugepages again (khugepaged may merge the
 * loaded ones later). Nothing for the other backings. */
void ram_load_begin(struct guest_mem *gm, enum ram_backing b);
void ram_load_end(struct guest_mem *gm, enum ram_backing b);

/* A prefault of all guest RAM, in 64 MiB pieces handed to its threads. */
struct ram_prefault {
	struct guest_mem *gm;
	pthread_mutex_t lock;
	int region;
	uint64_t off;           /* next piece to hand out */
	uint64_t handed;        /* bytes handed out so far */
	int error;              /* errno of the first failure */
	bool stop;
	bool running;
	uint64_t t0, end_ns;    /* started; the last thread done */
	pthread_t tid[RAM_PREFAULT_MAX_THREADS];
	unsigned started;
};

/* One thread per online CPU, at most max_threads (and the hard cap). */
unsigned ram_prefault_threads(unsigned max_threads);
/* Start faulting every page of guest RAM in, with helpers threads in the
 * background (so that pinning for DMA later finds them present), while the
 * caller does other work. Returns the threads started (0: the caller does
 * it all in ram_prefault_wait). */
unsigned ram_prefault_start(struct ram_prefault *pf, struct guest_mem *gm, unsigned helpers);
/* The caller takes a share of what is left and waits for the end. Returns
 * the threads that worked, or -errno; *ns gets the time from start to the
 * last page, *waited_ns (if not NULL) how long the caller waited here. */
int ram_prefault_wait(struct ram_prefault *pf, uint64_t *ns, uint64_t *waited_ns);
/* Stop early (pieces under way finish) and join; returns the bytes that
 * were handed out. Nothing to do when not running. */
uint64_t ram_prefault_stop(struct ram_prefault *pf);
/* Start and wait in one, with up to max_threads threads counting the
 * caller. Returns the threads used, or -errno; *ns gets the time taken. */
int ram_prefault(struct guest_mem *gm, unsigned max_threads, uint64_t *ns);

#endif
