/* Guest RAM in the IOMMU: every RAM range mapped for device DMA. */
#ifndef CONDUIT_VFIO_DMA_H
#define CONDUIT_VFIO_DMA_H

#include <stddef.h>
#include <stdint.h>
#include "../vmm/memmap.h"
#include "backend.h"

/* Check the guest layout against the usable IOVA ranges (n of them, or
 * n < 0 when the IOMMU cannot tell: then 0): 0 when every RAM region lies
 * in their union, -1 with err naming the region otherwise. */
int dma_check_layout(const struct guest_mem *gm, const struct iova_range *r, int n,
		     char *err, size_t errlen);

/* Map all guest RAM (IOVA = guest physical address); on failure nothing
 * stays mapped. *ns receives the time it took. */
int dma_map_guest(struct vfio_backend *b, const struct guest_mem *gm,
		  uint64_t *ns, char *err, size_t errlen);
void dma_unmap_guest(struct vfio_backend *b, const struct guest_mem *gm);

#endif
