/* Passthrough as the machine sees it: check, start and stop every
 * --passthrough device. */
#ifndef CONDUIT_PASSTHROUGH_H
#define CONDUIT_PASSTHROUGH_H

#include <stddef.h>
#include "../vmm/config.h"

struct vm;

struct passthrough_dev {
	char bdf[16];
	int group;
	unsigned flags;                 /* VFIO_PCI_* in vfio_pci.h */
};

/* Everything that can be checked before a VM exists: the BDF and its
 * options ("BDF[,msix=off]"), the device, its IOMMU group, its driver, the
 * group's viability. One-line errors. */
int passthrough_check(const char *spec, struct passthrough_dev *out,
		      char *err, size_t errlen);
/* Open the IOMMU backend, attach every device, map all guest RAM for DMA. */
int passthrough_start(struct vm *vm, const struct passthrough_dev *devs, int n,
		      char *err, size_t errlen);
/* Interrupts off, slots out, DMA unmapped, devices reset, fds closed. */
void passthrough_stop(struct vm *vm);
void passthrough_print_stats(const struct vm *vm);

#endif
