/* A fake vfio-pci device for tests and fuzzers: owns the answers to the
 * VFIO device-fd ioctls (GET_INFO, GET_REGION_INFO, GET_IRQ_INFO, SET_IRQS,
 * RESET) and a fake IOMMU backend whose open_device() hands out a dup of a
 * file the test prepared (config space and region contents live in that
 * file; the device code reaches them with pread/pwrite). What the device
 * offers is a struct fake_vfio_desc; every SET_IRQS is checked for form
 * and recorded. Its migration v2 side (VFIO_DEVICE_FEATURE) is in
 * fake_vfio_mig.c. Reached through tests/support/fake_ioctl.c. */
#ifndef CONDUIT_TESTS_FAKE_VFIO_H
#define CONDUIT_TESTS_FAKE_VFIO_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/vfio.h>
#include "../../vfio/backend.h"
#include "fake_vfio_mig.h"

#define FAKE_VFIO_LOG      64   /* SET_IRQS calls kept */
#define FAKE_VFIO_LOG_FDS  32   /* eventfds kept of each */

struct fake_vfio_region {
	uint64_t offset, size;
	uint32_t flags;                 /* VFIO_REGION_INFO_FLAG_* */
};

struct fake_vfio_desc {
	uint32_t flags;                 /* VFIO_DEVICE_FLAGS_*, _PCI added */
	struct fake_vfio_region region[VFIO_PCI_NUM_REGIONS];
	uint32_t irq_count[VFIO_PCI_NUM_IRQS];
};

/* One VFIO_DEVICE_SET_IRQS as it reached the device. */
struct fake_vfio_set {
	uint32_t index, action, data;   /* data: VFIO_IRQ_SET_DATA_* */
	uint32_t start, count;
	int fd[FAKE_VFIO_LOG_FDS];      /* DATA_EVENTFD: the first ones */
};

struct fake_vfio {
	struct fake_vfio_desc desc;
	int file;                       /* what open_device() dups */
	int fd;                         /* the device fd handed out; -1: none */
	unsigned region_queries, irq_queries, resets;
	/* The interrupt index vfio-pci has triggers on (INTx, MSI or MSI-X,
	 * one at a time as vfio-pci allows); -1: none. */
	int active;
	unsigned n_sets;                /* SET_IRQS calls; set[] keeps the first */
	struct fake_vfio_set set[FAKE_VFIO_LOG];
	struct fake_vfio_mig mig;       /* migration v2: none until set */
	/* Called with a description of a malformed call (the test fails). */
	void (*misuse)(const char *what);
};

extern struct fake_vfio fake_vfio;
extern struct vfio_backend fake_vfio_backend;
extern const struct vfio_dev_ref fake_vfio_ref;

/* Forget everything: the device is desc (NULL: nothing), open_device()
 * dups file; no device fd yet. */
void fake_vfio_reset(const struct fake_vfio_desc *desc, int file);
/* Forget the recorded SET_IRQS calls only. */
void fake_vfio_clear_log(void);
/* The last recorded SET_IRQS on index with action (0: any), or NULL; how
 * many there were. */
const struct fake_vfio_set *fake_vfio_last_set(uint32_t index, uint32_t action);
unsigned fake_vfio_sets(uint32_t index, uint32_t action);

int fake_vfio_ioctl(unsigned long req, void *arg);

#endif
