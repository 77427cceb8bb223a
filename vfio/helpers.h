/* VFIO ioctl plumbing shared by the backends and the device code: the
 * argsz-sized info queries, their capability chains, SET_IRQS, and
 * VFIO_DEVICE_FEATURE. */
#ifndef CONDUIT_VFIO_HELPERS_H
#define CONDUIT_VFIO_HELPERS_H

#include <stddef.h>
#include <stdint.h>

/* An info ioctl whose reply may not fit (VFIO_DEVICE_GET_REGION_INFO,
 * VFIO_IOMMU_GET_INFO...): query (size bytes, argsz first, the rest such
 * as the index filled in) is sent, and sent again in a buffer as large as
 * the kernel's argsz asks for. Returns the malloc'd reply (its argsz says
 * how much of it is valid), or NULL with errno set. */
void *vfio_info_query(int fd, unsigned long req, const void *query, size_t size);
/* The capability with this id in an info reply's chain starting at
 * cap_offset, within argsz bytes: its offset, or 0 when there is none. The
 * chain comes from the kernel but is walked defensively (bounded, never
 * backwards). */
uint32_t vfio_info_cap(const void *info, uint32_t argsz, uint32_t cap_offset, uint16_t id);
/* VFIO_DEVICE_SET_IRQS on vectors [start, start + count) of index: with
 * fds, their eventfds (DATA_EVENTFD); without, DATA_NONE (count 0 with
 * ACTION_TRIGGER turns the index off). Returns 0 or -errno. */
int vfio_set_irqs(int fd, uint32_t index, uint32_t action, uint32_t start, uint32_t count,
		  const int *fds);

/* The largest VFIO_DEVICE_FEATURE payload vfio_device_feature carries
 * (struct vfio_device_feature_dma_logging_report is 32 bytes). */
#define VFIO_FEATURE_DATA_MAX 32
/* VFIO_DEVICE_FEATURE with flags (the feature index and GET, SET or
 * PROBE) and len bytes of payload from data, which the kernel's answer is
 * copied back into (SET answers too: MIG_DEVICE_STATE's data_fd). Returns
 * 0 or -errno (-EINVAL for a payload over VFIO_FEATURE_DATA_MAX). */
int vfio_device_feature(int fd, uint32_t flags, void *data, size_t len);

#endif
