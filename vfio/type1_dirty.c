/* The legacy type1 container's own dirty tracking, VFIO_IOMMU_DIRTY_PAGES
 * (see dirty.h): whether the container offers it (VFIO_IOMMU_GET_INFO's
 * VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION: the one page size its bitmaps take
 * and the largest bitmap one call fills), START and STOP, and GET_BITMAP
 * over a range into conduit's bitmap, split into as many calls as the
 * kernel's limit needs and folded from the kernel's page size into the
 * bitmap's. The kernel reports every page pinned for the container's
 * devices while tracking is on (all mapped pages when some group is not
 * of "pinned page dirty scope", such as a plain vfio-pci device). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>
#include "dirty.h"
#include "helpers.h"

int vfio_type1_dirty_probe(int container, struct vfio_type1_dirty *c)
{
	struct vfio_iommu_type1_info q = { .argsz = sizeof(q) }, *info;
	struct vfio_iommu_type1_info_cap_migration cap;
	uint32_t off = 0;

	memset(c, 0, sizeof(*c));
	info = vfio_info_query(container, VFIO_IOMMU_GET_INFO, &q, sizeof(q));
	if (!info)
		return errno ? -errno : -EIO;
	if (info->flags & VFIO_IOMMU_INFO_CAPS)
		off = vfio_info_cap(info, info->argsz, info->cap_offset,
				    VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	if (off && off + sizeof(cap) <= info->argsz) {
		memcpy(&cap, (char *)info + off, sizeof(cap));
		vfio_type1_dirty_caps(c, cap.pgsize_bitmap, cap.max_dirty_bitmap_size);
	}
	free(info);
	return 0;
}

void vfio_type1_dirty_caps(struct vfio_type1_dirty *c, uint64_t pgsize_bitmap,
			   uint64_t max_bitmap_bytes)
{
	memset(c, 0, sizeof(*c));
	if (!pgsize_bitmap)
		return;
	/* the kernel takes only the smallest page size it offers */
	c->page_size = pgsize_bitmap & -pgsize_bitmap;
	c->max_bitmap_bytes = max_bitmap_bytes & ~7ULL;   /* whole u64 words */
	c->offered = c->page_size >= 4096 && c->max_bitmap_bytes > 0;
}

static int dirty_pages(int container, uint32_t flag)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof(d), .flags = flag };

	return ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &d) < 0 ? -errno : 0;
}

int vfio_type1_dirty_set(int container, bool on)
{
	return dirty_pages(container, on ? VFIO_IOMMU_DIRTY_PAGES_FLAG_START :
			   VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
}

uint64_t vfio_type1_dirty_piece(const struct vfio_type1_dirty *c, uint64_t len)
{
	uint64_t max_pages = c->max_bitmap_bytes * 8;

	if (!c->offered || !len)
		return 0;
	if (len / c->page_size > max_pages)
		return max_pages * c->page_size;
	return len;
}

void vfio_type1_dirty_fold(struct vfio_dirty_bitmap *b, const uint64_t *bits, uint64_t iova,
			   uint64_t pages, uint64_t page_size)
{
	uint64_t p, a, lo, hi, end = b->iova + b->length;

	for (p = 0; p < pages; p++) {
		if (!(bits[p / 64] & (1ULL << (p % 64))))
			continue;
		lo = iova + p * page_size;
		hi = lo + page_size;
		if (hi <= b->iova || lo >= end)
			continue;
		if (lo < b->iova)
			lo = b->iova;
		lo &= ~(b->page_size - 1);
		for (a = lo; a < hi && a < end; a += b->page_size)
			vfio_dirty_bitmap_set(b, a);
	}
}

/* One GET_BITMAP over [iova, iova + len) into words (cleared first). */
static int get_bitmap(int container, const struct vfio_type1_dirty *c, uint64_t iova,
		      uint64_t len, uint64_t *words, uint64_t nwords)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap d;
		struct vfio_iommu_type1_dirty_bitmap_get g;
	} q;

	memset(&q, 0, sizeof(q));
	memset(words, 0, nwords * sizeof(*words));
	q.d.argsz = sizeof(q);
	q.d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	q.g.iova = iova;
	q.g.size = len;
	q.g.bitmap.pgsize = c->page_size;
	q.g.bitmap.size = nwords * sizeof(*words);
	q.g.bitmap.data = (__u64 *)words;
	return ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &q) < 0 ? -errno : 0;
}

int vfio_type1_dirty_bitmap(int container, const struct vfio_type1_dirty *c,
			    struct vfio_dirty_bitmap *b)
{
	uint64_t lo, hi, at, len, pages, *words;
	int ret = 0;

	if (!c->offered)
		return -EOPNOTSUPP;
	vfio_dirty_bitmap_clear(b);
	lo = b->iova & ~(c->page_size - 1);
	hi = (b->iova + b->length + c->page_size - 1) & ~(c->page_size - 1);
	len = vfio_type1_dirty_piece(c, hi - lo);
	words = calloc((len / c->page_size + 63) / 64, sizeof(*words));
	if (!words)
		return -ENOMEM;
	for (at = lo; !ret && at < hi; at += len) {
		len = vfio_type1_dirty_piece(c, hi - at);
		pages = len / c->page_size;
		ret = get_bitmap(container, c, at, len, words, (pages + 63) / 64);
		if (!ret)
			vfio_type1_dirty_fold(b, words, at, pages, c->page_size);
	}
	free(words);
	return ret;
}
