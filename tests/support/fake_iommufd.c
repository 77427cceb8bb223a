/* The fake /dev/iommu's dirty tracking answers (see fake_iommufd.h). */
#include <errno.h>
#include <string.h>
#include <linux/iommufd.h>
#include "fake_iommufd.h"

#define FAKE_HWPT 100

struct fake_iommufd fake_iommufd = { .fd = -1 };

void fake_iommufd_reset(void)
{
	memset(&fake_iommufd, 0, sizeof(fake_iommufd));
	fake_iommufd.fd = -1;
}

static int fail(int e)
{
	errno = e;
	return -1;
}

static int misuse(const char *what)
{
	if (fake_iommufd.misuse)
		fake_iommufd.misuse(what);
	return fail(EINVAL);
}

static int hw_info(struct iommu_hw_info *h)
{
	if (h->size < sizeof(*h) || h->flags)
		return misuse("IOMMU_GET_HW_INFO: malformed argument");
	if (h->dev_id != fake_iommufd.dev_id)
		return fail(ENOENT);
	h->out_data_type = IOMMU_HW_INFO_TYPE_NONE;
	h->out_capabilities = fake_iommufd.caps;
	h->data_len = 0;
	return 0;
}

static int hwpt_alloc(struct iommu_hwpt_alloc *a)
{
	if (a->size < sizeof(*a) || a->data_type != IOMMU_HWPT_DATA_NONE)
		return misuse("IOMMU_HWPT_ALLOC: malformed argument");
	if (a->dev_id != fake_iommufd.dev_id || a->pt_id != fake_iommufd.ioas)
		return fail(ENOENT);
	if ((a->flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !(fake_iommufd.caps & IOMMU_HW_CAP_DIRTY_TRACKING))
		return fail(EOPNOTSUPP);
	fake_iommufd.hwpt = FAKE_HWPT;
	a->out_hwpt_id = FAKE_HWPT;
	return 0;
}

static int set_dirty(const struct iommu_hwpt_set_dirty_tracking *s)
{
	if (s->size < sizeof(*s) || s->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return misuse("IOMMU_HWPT_SET_DIRTY_TRACKING: malformed argument");
	if (!fake_iommufd.hwpt || s->hwpt_id != fake_iommufd.hwpt)
		return fail(ENOENT);
	fake_iommufd.tracking = s->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	return 0;
}

static int dirty_bitmap(const struct iommu_hwpt_get_dirty_bitmap *g)
{
	uint64_t *bits = (uint64_t *)(uintptr_t)g->data;
	unsigned i, kept = 0;

	if (g->size < sizeof(*g) || !g->page_size || (g->page_size & (g->page_size - 1)) ||
	    (g->iova | g->length) & (g->page_size - 1) || !bits)
		return misuse("IOMMU_HWPT_GET_DIRTY_BITMAP: malformed argument");
	if (!fake_iommufd.hwpt || g->hwpt_id != fake_iommufd.hwpt)
		return fail(ENOENT);
	fake_iommufd.bitmaps++;
	for (i = 0; i < fake_iommufd.n_dirty; i++) {
		uint64_t a = fake_iommufd.dirty[i], page;
		bool in = a >= g->iova && a - g->iova < g->length;

		if (!in || !fake_iommufd.tracking ||
		    (g->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR))
			fake_iommufd.dirty[kept++] = a;
		if (!in || !fake_iommufd.tracking)
			continue;
		page = (a - g->iova) / g->page_size;
		bits[page / 64] |= 1ULL << (page % 64);
	}
	fake_iommufd.n_dirty = kept;
	return 0;
}

int fake_iommufd_ioctl(unsigned long req, void *arg)
{
	if (!arg)
		return fail(EFAULT);
	switch (req) {
	case IOMMU_GET_HW_INFO:
		return hw_info(arg);
	case IOMMU_HWPT_ALLOC:
		return hwpt_alloc(arg);
	case IOMMU_HWPT_SET_DIRTY_TRACKING:
		return set_dirty(arg);
	case IOMMU_HWPT_GET_DIRTY_BITMAP:
		return dirty_bitmap(arg);
	}
	return fail(ENOTTY);
}
