/* The fake type1 container (see fake_type1.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <linux/vfio.h>
#include "fake_type1.h"

struct fake_type1 fake_type1 = { .fd = -1 };

void fake_type1_reset(void)
{
	memset(&fake_type1, 0, sizeof(fake_type1));
	fake_type1.fd = -1;
	fake_type1.pgsize_bitmap = 4096;
	fake_type1.max_bitmap_bytes = 1ULL << 28;
}

static int fail(int e)
{
	errno = e;
	return -1;
}

static int get_info(struct vfio_iommu_type1_info *info)
{
	struct vfio_iommu_type1_info_cap_migration cap;
	uint32_t want = sizeof(*info) + sizeof(cap);

	if (info->argsz < offsetof(struct vfio_iommu_type1_info, cap_offset))
		return fail(EINVAL);
	info->flags = VFIO_IOMMU_INFO_PGSIZES;
	info->iova_pgsizes = fake_type1.pgsize_bitmap;
	if (fake_type1.no_cap)
		return 0;
	info->flags |= VFIO_IOMMU_INFO_CAPS;
	if (info->argsz < want) {
		info->argsz = want;
		return 0;
	}
	memset(&cap, 0, sizeof(cap));
	cap.header.id = VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION;
	cap.header.version = 1;
	cap.pgsize_bitmap = fake_type1.pgsize_bitmap;
	cap.max_dirty_bitmap_size = fake_type1.max_bitmap_bytes;
	memcpy((char *)info + sizeof(*info), &cap, sizeof(cap));
	info->cap_offset = sizeof(*info);
	return 0;
}

static int get_bitmap(const struct vfio_iommu_type1_dirty_bitmap_get *g)
{
	uint64_t ps = fake_type1.pgsize_bitmap & -fake_type1.pgsize_bitmap, pages, p;
	unsigned i;

	if (fake_type1.gets < FAKE_TYPE1_GETS) {
		fake_type1.get[fake_type1.gets].iova = g->iova;
		fake_type1.get[fake_type1.gets].size = g->size;
	}
	fake_type1.gets++;
	if (fake_type1.fail_get)
		return fail(fake_type1.fail_get);
	pages = g->size / ps;
	if (g->bitmap.pgsize != ps || g->iova % ps || !g->size || g->size % ps ||
	    g->bitmap.size > fake_type1.max_bitmap_bytes ||
	    g->bitmap.size < (pages + 63) / 64 * 8 || !fake_type1.tracking) {
		fake_type1.get_errors++;
		return fail(EINVAL);
	}
	memset(g->bitmap.data, 0, g->bitmap.size);
	for (i = 0; i < fake_type1.n_dirty; i++) {
		if (fake_type1.dirty[i] < g->iova || fake_type1.dirty[i] >= g->iova + g->size)
			continue;
		p = (fake_type1.dirty[i] - g->iova) / ps;
		g->bitmap.data[p / 64] |= 1ULL << (p % 64);
	}
	return 0;
}

static int dirty_pages(struct vfio_iommu_type1_dirty_bitmap *d)
{
	switch (d->flags) {
	case VFIO_IOMMU_DIRTY_PAGES_FLAG_START:
		fake_type1.starts++;
		fake_type1.tracking = true;
		return 0;
	case VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP:
		fake_type1.stops++;
		fake_type1.tracking = false;
		return 0;
	case VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP:
		if (d->argsz < sizeof(*d) + sizeof(struct vfio_iommu_type1_dirty_bitmap_get))
			return fail(EINVAL);
		return get_bitmap((const struct vfio_iommu_type1_dirty_bitmap_get *)d->data);
	default:
		return fail(EINVAL);
	}
}

int fake_type1_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_IOMMU_GET_INFO:
		return get_info(arg);
	case VFIO_IOMMU_DIRTY_PAGES:
		return dirty_pages(arg);
	default:
		return fail(ENOTTY);
	}
}
