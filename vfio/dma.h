/* Guest RAM in the IOMMU: every RAM range mapped for device DMA. */
#ifndef CONDUIT_VFIO_DMA_H
#define CONDUIT_VFIO_DMA_H

#include <stddef.h>
#include <stdint.h>
#include "../vmm/memmap.h"
#include "backend.h"

/* Check the guest layout against the usable IOVA ranges: 0 when every RAM
 * region lies inside one range, -1 with err naming the clash otherwise. */
int dma_check_layout(const struct guest_mem *gm, const struct iova_range *r, int n,
		     char *err, size_t errlen);

/* Map all guest RAM (IOVA = guest physical address); on failure nothing
 * stays mapped. *ns receives the time it took. */
int dma_map_guest(struct vfio_backend *b, const struct guest_mem *gm,
		  uint64_t *ns, char *err, size_t errlen);
void dma_unmap_guest(struct vfio_backend *b, const struct guest_mem *gm);

#endif
