/* The type1 IOMMU backend: one VFIO container shared by every group.
 * /dev/vfio/vfio is checked for the API version and the type1 extension
 * (type1v2 preferred), each device's group is opened from /dev/vfio/N,
 * checked viable, put in the container, and the IOMMU type is set once the
 * first group is in. DMA maps go through VFIO_IOMMU_MAP_DMA. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>
#include "../vmm/log.h"
#include "backend.h"
#include "helpers.h"
#include "host/host_pci.h"

#define MAX_GROUPS 16

struct type1 {
	struct vfio_backend b;
	int container;
	int iommu_type;
	bool iommu_set;
	int group_fd[MAX_GROUPS];
	int group_id[MAX_GROUPS];
	int group_devs[MAX_GROUPS];     /* devices opened from each group */
	int n_groups;
};

static int group_fd(struct type1 *t, int group, const char *bdf, char *err, size_t errlen)
{
	char msg[HOST_PCI_ERR_LEN];
	struct pci_addr a;
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int i, fd;

	for (i = 0; i < t->n_groups; i++)
		if (t->group_id[i] == group)
			return t->group_fd[i];
	if (t->n_groups == MAX_GROUPS) {
		snprintf(err, errlen, "%s: more than %d IOMMU groups", bdf, MAX_GROUPS);
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EBUSY)
			snprintf(err, errlen, "%s: %s is busy: the device is already in use by another VMM or conduit",
				 bdf, path);
		else
			host_pci_msg_vfio_dev(group, errno, err, errlen);
		return -1;
	}
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0) {
		snprintf(err, errlen, "%s: VFIO_GROUP_GET_STATUS: %s", bdf, strerror(errno));
		goto fail;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		if (pci_addr_parse(bdf, &a, msg, sizeof(msg)) == 0)
			host_pci_msg_group_not_viable(&a, group, err, errlen);
		else
			snprintf(err, errlen, "%s: IOMMU group %d is not viable: another device in it is bound to a host driver",
				 bdf, group);
		goto fail;
	}
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &t->container) < 0) {
		snprintf(err, errlen, "%s: VFIO_GROUP_SET_CONTAINER: %s", bdf, strerror(errno));
		goto fail;
	}
	if (!t->iommu_set) {
		if (ioctl(t->container, VFIO_SET_IOMMU, t->iommu_type) < 0) {
			snprintf(err, errlen, "%s: VFIO_SET_IOMMU: %s%s", bdf, strerror(errno),
				 errno == EPERM ? " (no interrupt remapping: boot the host with it, or load vfio_iommu_type1 with allow_unsafe_interrupts=1)" : "");
			goto fail;
		}
		t->iommu_set = true;
	}
	t->group_fd[t->n_groups] = fd;
	t->group_id[t->n_groups] = group;
	t->n_groups++;
	return fd;
fail:
	close(fd);
	return -1;
}

static int type1_open_device(struct vfio_backend *b, const struct vfio_dev_ref *ref,
			     char *err, size_t errlen)
{
	struct type1 *t = (struct type1 *)b;
	int gfd, fd, i;

	if (ref->kind == VFIO_DEV_FD || ref->group < 0) {
		snprintf(err, errlen, "%s: the legacy (type1) VFIO backend needs the device's IOMMU group; use --vfio-backend iommufd",
			 ref->name);
		return -1;
	}
	gfd = group_fd(t, ref->group, ref->name, err, errlen);
	if (gfd < 0)
		return -1;
	/* The group names its devices by their sysfs names: the PCI address,
	 * or an mdev's UUID. */
	fd = ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, ref->name);
	if (fd < 0) {
		snprintf(err, errlen, "%s: VFIO_GROUP_GET_DEVICE_FD: %s%s", ref->name, strerror(errno),
			 errno == EBUSY ? " (the device is already in use)" : "");
		return -1;
	}
	for (i = 0; i < t->n_groups; i++)
		if (t->group_id[i] == ref->group)
			t->group_devs[i]++;
	return fd;
}

/* A hot-removed device: its group leaves the container once no open
 * device is in it, so the host can open the group again. The last group
 * never leaves here: the container would lose its IOMMU and with it the
 * DMA mappings; the caller closes the whole backend instead. */
static void type1_put_device(struct vfio_backend *b, const struct vfio_dev_ref *ref)
{
	struct type1 *t = (struct type1 *)b;
	int i;

	for (i = 0; i < t->n_groups; i++)
		if (t->group_id[i] == ref->group)
			break;
	if (i == t->n_groups || --t->group_devs[i] > 0 || t->n_groups == 1)
		return;
	ioctl(t->group_fd[i], VFIO_GROUP_UNSET_CONTAINER);
	close(t->group_fd[i]);
	t->n_groups--;
	t->group_fd[i] = t->group_fd[t->n_groups];
	t->group_id[i] = t->group_id[t->n_groups];
	t->group_devs[i] = t->group_devs[t->n_groups];
}

static int type1_iova_ranges(struct vfio_backend *b, struct iova_range **r)
{
	struct type1 *t = (struct type1 *)b;
	struct vfio_iommu_type1_info q = { .argsz = sizeof(q) }, *info;
	struct vfio_iommu_type1_info_cap_iova_range c;
	struct vfio_iova_range ir;
	uint32_t off = 0, i;
	size_t at;
	int n = -1;

	info = vfio_info_query(t->container, VFIO_IOMMU_GET_INFO, &q, sizeof(q));
	if (!info)
		return -1;
	if (info->flags & VFIO_IOMMU_INFO_CAPS)
		off = vfio_info_cap(info, info->argsz, info->cap_offset,
				    VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	if (off && off + sizeof(c) <= info->argsz) {
		memcpy(&c, (char *)info + off, sizeof(c));
		*r = calloc(c.nr_iovas ? c.nr_iovas : 1, sizeof(**r));
		for (i = 0, n = 0, at = off + sizeof(c); *r && i < c.nr_iovas &&
		     at + sizeof(ir) <= info->argsz; i++, n++, at += sizeof(ir)) {
			memcpy(&ir, (char *)info + at, sizeof(ir));
			(*r)[n].start = ir.start;
			(*r)[n].end = ir.end;
		}
		if (!*r)
			n = -1;
	}
	free(info);
	return n;
}

static int type1_map(struct vfio_backend *b, uint64_t iova, uint64_t size, void *hva)
{
	struct type1 *t = (struct type1 *)b;
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uint64_t)(uintptr_t)hva,
		.iova = iova,
		.size = size,
	};

	return ioctl(t->container, VFIO_IOMMU_MAP_DMA, &m) < 0 ? -errno : 0;
}

static int type1_unmap(struct vfio_backend *b, uint64_t iova, uint64_t size)
{
	struct type1 *t = (struct type1 *)b;
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = size,
	};

	return ioctl(t->container, VFIO_IOMMU_UNMAP_DMA, &u) < 0 ? -errno : 0;
}

static void type1_close(struct vfio_backend *b)
{
	struct type1 *t = (struct type1 *)b;
	int i;

	for (i = 0; i < t->n_groups; i++) {
		ioctl(t->group_fd[i], VFIO_GROUP_UNSET_CONTAINER);
		close(t->group_fd[i]);
	}
	if (t->container >= 0)
		close(t->container);
	free(t);
}

static const struct vfio_backend_ops type1_ops = {
	.name = "type1",
	.open_device = type1_open_device,
	.iova_ranges = type1_iova_ranges,
	.map = type1_map,
	.unmap = type1_unmap,
	.put_device = type1_put_device,
	.close = type1_close,
};

int vfio_type1_container(struct vfio_backend *b)
{
	struct type1 *t = (struct type1 *)b;

	if (!b || b->ops != &type1_ops || !t->iommu_set)
		return -1;
	return t->container;
}

struct vfio_backend *vfio_type1_open(char *err, size_t errlen)
{
	struct type1 *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->b.ops = &type1_ops;
	t->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (t->container < 0) {
		snprintf(err, errlen, "cannot open /dev/vfio/vfio: %s (%s)", strerror(errno),
			 errno == ENOENT ? "load the vfio-pci module: modprobe vfio-pci" :
			 "run as root or give your user access to /dev/vfio");
		goto fail;
	}
	if (ioctl(t->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		snprintf(err, errlen, "/dev/vfio/vfio: unsupported VFIO API version");
		goto fail;
	}
	if (ioctl(t->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0) {
		t->iommu_type = VFIO_TYPE1v2_IOMMU;
	} else if (ioctl(t->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0) {
		t->iommu_type = VFIO_TYPE1_IOMMU;
	} else {
		snprintf(err, errlen, "/dev/vfio/vfio: no type1 IOMMU support (load vfio_iommu_type1)");
		goto fail;
	}
	pr_info("vfio: type1 backend (%s)", t->iommu_type == VFIO_TYPE1v2_IOMMU ? "v2" : "v1");
	return &t->b;
fail:
	if (t->container >= 0)
		close(t->container);
	free(t);
	return NULL;
}
