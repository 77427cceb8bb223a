/* Dirty page tracking by the device and by the IOMMU: VFIO device DMA
 * logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_*) on a device fd, and IOMMUFD
 * dirty tracking on a HWPT (IOMMU_GET_HW_INFO, IOMMU_HWPT_ALLOC with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_SET_DIRTY_TRACKING,
 * IOMMU_HWPT_GET_DIRTY_BITMAP), each reporting into a struct
 * vfio_dirty_bitmap. Live migration (vmm/live_dirty.c) uses them; the
 * IOMMUFD backend (vfio/iommufd.c) allocates the HWPT with dirty tracking. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include "dirty.h"
#include "helpers.h"

/* ---- device DMA logging ---- */

bool vfio_dma_logging_offered(int device_fd)
{
	return vfio_device_feature(device_fd, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
				   VFIO_DEVICE_FEATURE_DMA_LOGGING_START, NULL, 0) == 0;
}

static bool overlap(const struct vfio_dirty_range *a, const struct vfio_dirty_range *b)
{
	return a->iova < b->iova + b->length && b->iova < a->iova + a->length;
}

/* The ranges as the kernel takes them; the reason in why when not. */
static bool ranges_ok(const struct vfio_dirty_range *r, unsigned n, uint64_t page_size,
		      const char **why)
{
	unsigned i, j;

	*why = NULL;
	if (!n || n > VFIO_DIRTY_MAX_RANGES)
		*why = "1 to 256 ranges";
	else if (page_size < 4096 || (page_size & (page_size - 1)))
		*why = "a page size that is a power of two of at least 4096";
	for (i = 0; i < n && !*why; i++) {
		if (!r[i].length || (r[i].iova | r[i].length) & (page_size - 1) ||
		    r[i].iova + r[i].length - 1 < r[i].iova)
			*why = "ranges in whole pages";
		for (j = 0; j < i && !*why; j++)
			if (overlap(&r[i], &r[j]))
				*why = "ranges that do not overlap";
	}
	return !*why;
}

int vfio_dma_logging_start(int device_fd, const char *name, const struct vfio_dirty_range *r,
			   unsigned n, uint64_t *page_size, char *err, size_t errlen)
{
	struct vfio_device_feature_dma_logging_range ranges[VFIO_DIRTY_MAX_RANGES];
	struct vfio_device_feature_dma_logging_control ctl = { 0 };
	const char *why;
	unsigned i;
	int ret;

	if (!ranges_ok(r, n, *page_size, &why)) {
		snprintf(err, errlen, "%s: DMA logging takes %s", name, why);
		return -1;
	}
	for (i = 0; i < n; i++) {
		ranges[i].iova = r[i].iova;
		ranges[i].length = r[i].length;
	}
	ctl.page_size = *page_size;
	ctl.num_ranges = n;
	ctl.ranges = (uintptr_t)ranges;
	ret = vfio_device_feature(device_fd, VFIO_DEVICE_FEATURE_SET |
				  VFIO_DEVICE_FEATURE_DMA_LOGGING_START, &ctl, sizeof(ctl));
	if (ret == -ENOTTY)
		snprintf(err, errlen, "%s: the device offers no DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_START: %s)",
			 name, strerror(-ret));
	else if (ret == -E2BIG)
		snprintf(err, errlen, "%s: VFIO_DEVICE_FEATURE_DMA_LOGGING_START: the device takes fewer than %u ranges",
			 name, n);
	else if (ret)
		snprintf(err, errlen, "%s: VFIO_DEVICE_FEATURE_DMA_LOGGING_START: %s", name,
			 strerror(-ret));
	if (ret)
		return -1;
	*page_size = ctl.page_size;
	return 0;
}

int vfio_dma_logging_report(int device_fd, struct vfio_dirty_bitmap *b)
{
	struct vfio_device_feature_dma_logging_report rep = {
		.iova = b->iova, .length = b->length, .page_size = b->page_size,
		.bitmap = (uintptr_t)b->bits,
	};

	vfio_dirty_bitmap_clear(b);
	return vfio_device_feature(device_fd, VFIO_DEVICE_FEATURE_GET |
				   VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, &rep, sizeof(rep));
}

int vfio_dma_logging_stop(int device_fd)
{
	return vfio_device_feature(device_fd, VFIO_DEVICE_FEATURE_SET |
				   VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, NULL, 0);
}

/* ---- IOMMUFD dirty tracking ---- */

int vfio_iommufd_dirty_offered(int iommufd, uint32_t dev_id, bool *offered)
{
	struct iommu_hw_info info = { .size = sizeof(info), .dev_id = dev_id };

	if (ioctl(iommufd, IOMMU_GET_HW_INFO, &info) < 0)
		return -errno;
	*offered = info.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING;
	return 0;
}

int vfio_iommufd_hwpt_alloc_dirty(int iommufd, uint32_t dev_id, uint32_t pt_id,
				  uint32_t *hwpt_id)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = dev_id, .pt_id = pt_id, .data_type = IOMMU_HWPT_DATA_NONE,
	};

	if (ioctl(iommufd, IOMMU_HWPT_ALLOC, &a) < 0)
		return -errno;
	*hwpt_id = a.out_hwpt_id;
	return 0;
}

int vfio_iommufd_set_dirty(int iommufd, uint32_t hwpt_id, bool on)
{
	struct iommu_hwpt_set_dirty_tracking s = {
		.size = sizeof(s), .hwpt_id = hwpt_id,
		.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
	};

	return ioctl(iommufd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s) < 0 ? -errno : 0;
}

int vfio_iommufd_dirty_bitmap(int iommufd, uint32_t hwpt_id, struct vfio_dirty_bitmap *b,
			      bool keep)
{
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g), .hwpt_id = hwpt_id,
		.flags = keep ? IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0,
		.iova = b->iova, .length = b->length, .page_size = b->page_size,
		.data = (uintptr_t)b->bits,
	};

	vfio_dirty_bitmap_clear(b);
	return ioctl(iommufd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g) < 0 ? -errno : 0;
}
