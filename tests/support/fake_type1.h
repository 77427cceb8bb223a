/* A fake type1 VFIO container for tests: owns the answers to
 * VFIO_IOMMU_GET_INFO (the migration capability, or none) and
 * VFIO_IOMMU_DIRTY_PAGES (START, STOP, GET_BITMAP checked as the kernel
 * checks them: the one page size, alignment, the bitmap's size, tracking
 * on), with the dirty pages a test sets. Reached through
 * tests/support/fake_ioctl.c. */
#ifndef CONDUIT_TESTS_FAKE_TYPE1_H
#define CONDUIT_TESTS_FAKE_TYPE1_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_TYPE1_DIRTY  64    /* dirty pages a test can set */
#define FAKE_TYPE1_GETS   16    /* GET_BITMAP ranges kept */

struct fake_type1 {
	int fd;                         /* the container fd; -1: none */
	bool no_cap;                    /* GET_INFO without the migration capability */
	uint64_t pgsize_bitmap;         /* the capability's fields */
	uint64_t max_bitmap_bytes;
	bool tracking;
	unsigned starts, stops, gets, get_errors;
	int fail_get;                   /* errno for GET_BITMAP; 0: none */
	struct { uint64_t iova, size; } get[FAKE_TYPE1_GETS];
	uint64_t dirty[FAKE_TYPE1_DIRTY];       /* iovas of dirty pages */
	unsigned n_dirty;
};

extern struct fake_type1 fake_type1;

/* No fd, 4 KiB pages, the kernel's 256 MiB bitmap limit, nothing dirty. */
void fake_type1_reset(void);
int fake_type1_ioctl(unsigned long req, void *arg);

#endif
