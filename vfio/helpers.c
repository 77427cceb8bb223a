/* VFIO ioctl plumbing, written once: argsz-retrying info queries, the walk
 * of their capability chains, VFIO_DEVICE_SET_IRQS and VFIO_DEVICE_FEATURE.
 * The kernel packs capabilities without aligning them for their u64
 * fields, so callers copy fields out with memcpy, bounded by argsz. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>
#include "helpers.h"

void *vfio_info_query(int fd, unsigned long req, const void *query, size_t size)
{
	uint32_t argsz = (uint32_t)size;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		uint8_t *buf = calloc(1, argsz);
		uint32_t want;

		if (!buf)
			return NULL;
		memcpy(buf, query, size);
		memcpy(buf, &argsz, sizeof(argsz));
		if (ioctl(fd, req, buf) < 0) {
			free(buf);
			return NULL;
		}
		memcpy(&want, buf, sizeof(want));
		if (want <= argsz)
			return buf;
		free(buf);
		argsz = want;
	}
	errno = EMSGSIZE;       /* it asked for more twice */
	return NULL;
}

uint32_t vfio_info_cap(const void *info, uint32_t argsz, uint32_t cap_offset, uint16_t id)
{
	struct vfio_info_cap_header h;
	uint32_t off;

	for (off = cap_offset; off && off + sizeof(h) <= argsz; off = h.next) {
		memcpy(&h, (const char *)info + off, sizeof(h));
		if (h.id == id)
			return off;
		if (h.next <= off)
			break;
	}
	return 0;
}

int vfio_set_irqs(int fd, uint32_t index, uint32_t action, uint32_t start, uint32_t count,
		  const int *fds)
{
	size_t sz = sizeof(struct vfio_irq_set) + (fds ? count * sizeof(int) : 0);
	struct vfio_irq_set *s = calloc(1, sz);
	int ret;

	if (!s)
		return -ENOMEM;
	s->argsz = (uint32_t)sz;
	s->flags = (fds ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE) | action;
	s->index = index;
	s->start = start;
	s->count = count;
	if (fds)
		memcpy(s->data, fds, count * sizeof(int));
	ret = ioctl(fd, VFIO_DEVICE_SET_IRQS, s) < 0 ? -errno : 0;
	free(s);
	return ret;
}

int vfio_device_feature(int fd, uint32_t flags, void *data, size_t len)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) + VFIO_FEATURE_DATA_MAX) /
		     sizeof(uint64_t)];
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;

	if (len > VFIO_FEATURE_DATA_MAX)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	f->argsz = (uint32_t)(sizeof(*f) + len);
	f->flags = flags;
	if (len)
		memcpy(f->data, data, len);
	if (ioctl(fd, VFIO_DEVICE_FEATURE, f) < 0)
		return -errno;
	if (len)
		memcpy(data, f->data, len);
	return 0;
}
