/* Guest RAM in the IOMMU. Before the guest runs, every RAM region is mapped
 * read/write at IOVA = guest physical address, so a passed-through device
 * DMAs straight into guest memory. The layout is checked first against the
 * IOMMU's usable IOVA ranges (the MSI window and other reserved regions are
 * holes there): a clash is an error naming the range, never a silent hole.
 * Mapping pins the pages; a pin that fails for RLIMIT_MEMLOCK says how much
 * is needed and how to raise it. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include "dma.h"
#include "../vmm/clock.h"

/* Whether [s, e] lies in the union of the ranges, which may come in any
 * order and touch or overlap: a RAM region may span two ranges that meet.
 * Each step moves s past the end of one range, so n steps suffice. */
static bool covered(uint64_t s, uint64_t e, const struct iova_range *r, int n)
{
	int step, j;

	for (step = 0; step < n; step++) {
		for (j = 0; j < n; j++)
			if (r[j].start <= s && s <= r[j].end)
				break;
		if (j == n)
			return false;
		if (r[j].end >= e)
			return true;
		s = r[j].end + 1;       /* r[j].end < e: cannot wrap */
	}
	return false;
}

int dma_check_layout(const struct guest_mem *gm, const struct iova_range *r, int n,
		     char *err, size_t errlen)
{
	int i;

	if (n < 0)
		return 0;       /* the IOMMU does not say (old type1): trust the layout */
	for (i = 0; i < gm->n_ram; i++) {
		uint64_t s = gm->ram[i].gpa, e = s + gm->ram[i].size - 1;

		if (!covered(s, e, r, n)) {
			snprintf(err, errlen, "guest RAM 0x%llx-0x%llx is not usable IOVA space for this IOMMU%s",
				 (unsigned long long)s, (unsigned long long)e,
				 n ? "" : " (no usable ranges)");
			return -1;
		}
	}
	return 0;
}

static void memlock_error(uint64_t need, char *err, size_t errlen)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY) {
		/* No limit to hit: the host is short of memory. */
		snprintf(err, errlen, "cannot pin %llu MiB of guest RAM for DMA: out of memory (the memlock limit is unlimited): lower --memory or free host memory",
			 (unsigned long long)(need >> 20));
		return;
	}
	snprintf(err, errlen, "cannot pin guest RAM for DMA: the memlock limit is %llu KiB, passthrough needs %llu MiB (raise it: ulimit -l %llu, or LimitMEMLOCK= / limits.conf, or run as root)",
		 (unsigned long long)(rl.rlim_cur >> 10),
		 (unsigned long long)(need >> 20), (unsigned long long)((need >> 10) + 65536));
}

int dma_map_guest(struct vfio_backend *b, const struct guest_mem *gm,
		  uint64_t *ns, char *err, size_t errlen)
{
	uint64_t t0 = clock_ns();
	int i, ret;

	for (i = 0; i < gm->n_ram; i++) {
		const struct ram_region *r = &gm->ram[i];

		ret = b->ops->map(b, r->gpa, r->size, r->hva);
		if (ret) {
			if (ret == -ENOMEM)
				memlock_error(gm->ram_size, err, errlen);
			else
				snprintf(err, errlen, "VFIO DMA map of guest RAM 0x%llx+0x%llx: %s",
					 (unsigned long long)r->gpa,
					 (unsigned long long)r->size, strerror(-ret));
			while (i-- > 0)
				b->ops->unmap(b, gm->ram[i].gpa, gm->ram[i].size);
			return -1;
		}
	}
	*ns = clock_ns() - t0;
	return 0;
}

void dma_unmap_guest(struct vfio_backend *b, const struct guest_mem *gm)
{
	int i;

	for (i = 0; i < gm->n_ram; i++)
		b->ops->unmap(b, gm->ram[i].gpa, gm->ram[i].size);
}
