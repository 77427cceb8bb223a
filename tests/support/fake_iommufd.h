/* A fake /dev/iommu for the dirty tracking tests: owns the answers to
 * IOMMU_GET_HW_INFO (capabilities as configured), IOMMU_HWPT_ALLOC (with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING refused, EOPNOTSUPP, where the IOMMU
 * lacks IOMMU_HW_CAP_DIRTY_TRACKING), IOMMU_HWPT_SET_DIRTY_TRACKING and
 * IOMMU_HWPT_GET_DIRTY_BITMAP, which reports the IOVAs a test put in
 * dirty[] while tracking is on and clears them unless asked not to.
 * Reached through tests/support/fake_ioctl.c. */
#ifndef CONDUIT_TESTS_FAKE_IOMMUFD_H
#define CONDUIT_TESTS_FAKE_IOMMUFD_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_IOMMUFD_DIRTY 16

struct fake_iommufd {
	int fd;                         /* the fake's descriptor; -1: none */
	uint32_t dev_id;                /* the one device bound to it */
	uint32_t ioas;                  /* its IOAS */
	uint64_t caps;                  /* IOMMU_HW_CAP_* */
	uint64_t dirty[FAKE_IOMMUFD_DIRTY];     /* IOVAs written by DMA */
	unsigned n_dirty;
	/* what happened */
	uint32_t hwpt;                  /* allocated for dirty tracking; 0: none */
	bool tracking;
	unsigned bitmaps;               /* GET_DIRTY_BITMAPs answered */
	void (*misuse)(const char *what);
};

extern struct fake_iommufd fake_iommufd;

/* Forget everything: no descriptor, no capability. */
void fake_iommufd_reset(void);
int fake_iommufd_ioctl(unsigned long req, void *arg);

#endif
