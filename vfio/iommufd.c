/* The IOMMUFD backend: /dev/iommu and the VFIO device cdev. One IO address
 * space (IOAS) is allocated and shared by every device. A device is opened
 * as /dev/vfio/devices/vfioN, bound to the iommufd
 * (VFIO_DEVICE_BIND_IOMMUFD) and attached to the IOAS
 * (VFIO_DEVICE_ATTACH_IOMMUFD_PT); guest RAM goes in with IOMMU_IOAS_MAP at
 * fixed IOVAs, checked first against IOMMU_IOAS_IOVA_RANGES. No group is
 * opened: the kernel checks the group's DMA ownership at bind time.
 *
 * Where the IOMMU tracks dirty pages (IOMMU_GET_HW_INFO's
 * IOMMU_HW_CAP_DIRTY_TRACKING), a device conduit opened itself is attached
 * instead to a HWPT of its own over that IOAS, allocated with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING, so live migration can turn tracking on
 * (vmm/live_dirty.c): the flag cannot be added to a HWPT later.
 *
 * A device fd and iommufd handed over a socket (--passthrough fd:SOCKET)
 * cannot be opened again, so they outlive one boot: at the end of a boot
 * the device is detached from the IOAS and the IOAS destroyed, and the next
 * boot allocates a new IOAS and attaches the same, still bound, device. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include "../vmm/log.h"
#include "backend.h"
#include "dirty.h"
#include "host/host_pci.h"
#include "host/host_vfio.h"

#define MAX_BOUND 16
#define MAX_DIRTY_HWPT 16

struct iommufd {
	struct vfio_backend b;
	int fd;
	bool keep_fd;                   /* handed over: not closed at the end */
	uint32_t ioas;
	bool ioas_live;
	struct {
		int dev_fd;             /* the device attached to it */
		uint32_t hwpt;
	} dirty[MAX_DIRTY_HWPT];        /* HWPTs allocated with dirty tracking */
	int n_dirty;
};

/* Device fds bound to a handed-over iommufd, which stay bound across boots
 * (binding is once per open file). */
static int bound_fd[MAX_BOUND];
static int n_bound;

static bool is_bound(int fd)
{
	int i;

	for (i = 0; i < n_bound; i++)
		if (bound_fd[i] == fd)
			return true;
	return false;
}

static int open_cdev(const struct vfio_dev_ref *ref, char *err, size_t errlen)
{
	char path[64];
	int fd;

	if (ref->cdev < 0) {
		snprintf(err, errlen, "%s: no VFIO device cdev (no vfio-dev/vfioN in sysfs): the host kernel needs CONFIG_VFIO_DEVICE_CDEV, or use --vfio-backend legacy",
			 ref->name);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/vfio/devices/vfio%d", host_pci_dev_dir(), ref->cdev);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM)
			snprintf(err, errlen, "%s: cannot open %s: %s: run conduit as root, or 'chown you %s', or hand the device over with 'conduit bind %s --serve SOCKET' and --passthrough fd:SOCKET",
				 ref->name, path, strerror(errno), path, ref->name);
		else
			snprintf(err, errlen, "%s: cannot open %s: %s", ref->name, path,
				 strerror(errno));
	}
	return fd;
}

static int bind_device(struct iommufd *t, int fd, const char *name, uint32_t *dev_id,
		       char *err, size_t errlen)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .iommufd = t->fd,
	};

	if (ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) == 0) {
		*dev_id = bind.out_devid;
		return 0;
	}
	/* The kernel's answers: EINVAL when the device is open and bound
	 * elsewhere, EBUSY when its group is open through /dev/vfio or the
	 * group's DMA ownership cannot be claimed. */
	if (errno == EINVAL)
		snprintf(err, errlen, "%s: VFIO_DEVICE_BIND_IOMMUFD: the device is busy: already in use by another VMM or conduit",
			 name);
	else if (errno == EBUSY)
		snprintf(err, errlen, "%s: VFIO_DEVICE_BIND_IOMMUFD: the device is busy: its IOMMU group is open through /dev/vfio (a VMM on the legacy backend), or another device in the group is on a host driver (see 'conduit devices')",
			 name);
	else
		snprintf(err, errlen, "%s: VFIO_DEVICE_BIND_IOMMUFD: %s", name, strerror(errno));
	return -1;
}

/* A device fd number seen again (the device that had it was hot-removed,
 * its fd closed): the HWPT kept for it is stale, destroyed now. */
static void forget_hwpt(struct iommufd *t, int fd)
{
	struct iommu_destroy d = { .size = sizeof(d) };
	int i;

	for (i = 0; i < t->n_dirty; i++) {
		if (t->dirty[i].dev_fd != fd)
			continue;
		d.id = t->dirty[i].hwpt;
		if (ioctl(t->fd, IOMMU_DESTROY, &d) < 0)
			pr_debug("vfio: IOMMU_DESTROY of HWPT %u: %s", d.id, strerror(errno));
		t->dirty[i--] = t->dirty[--t->n_dirty];
	}
}

/* A device conduit opened itself, on an IOMMU that tracks dirty pages: a
 * HWPT of its own with dirty tracking, to attach it to; 0 where there is
 * none (it goes on the IOAS as before). */
static uint32_t dirty_hwpt(struct iommufd *t, int fd, uint32_t dev_id, const char *name)
{
	bool offered = false;
	uint32_t hwpt;
	int ret;

	if (t->n_dirty >= MAX_DIRTY_HWPT ||
	    vfio_iommufd_dirty_offered(t->fd, dev_id, &offered) || !offered)
		return 0;
	ret = vfio_iommufd_hwpt_alloc_dirty(t->fd, dev_id, t->ioas, &hwpt);
	if (ret) {
		pr_debug("%s: IOMMU_HWPT_ALLOC with dirty tracking: %s", name, strerror(-ret));
		return 0;
	}
	t->dirty[t->n_dirty].dev_fd = fd;
	t->dirty[t->n_dirty++].hwpt = hwpt;
	pr_debug("%s: on HWPT %u, with dirty tracking", name, hwpt);
	return hwpt;
}

static int iommufd_open_device(struct vfio_backend *b, const struct vfio_dev_ref *ref,
			       char *err, size_t errlen)
{
	struct iommufd *t = (struct iommufd *)b;
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at), .pt_id = t->ioas,
	};
	bool handed = ref->kind == VFIO_DEV_FD;
	int fd = handed ? ref->fd : open_cdev(ref, err, errlen);
	uint32_t dev_id = 0, hwpt = 0;

	if (fd < 0)
		return -1;
	if (!handed || !is_bound(fd)) {
		if (bind_device(t, fd, ref->name, &dev_id, err, errlen))
			goto fail;
		if (handed && n_bound < MAX_BOUND)
			bound_fd[n_bound++] = fd;
	}
	if (!handed) {
		forget_hwpt(t, fd);
		hwpt = dirty_hwpt(t, fd, dev_id, ref->name);
	}
	if (hwpt)
		at.pt_id = hwpt;
	if (ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) < 0) {
		snprintf(err, errlen, "%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT: %s%s", ref->name,
			 strerror(errno), errno == EPERM ?
			 " (no interrupt remapping on this host: boot it with the IOMMU's interrupt remapping on)" : "");
		goto fail;
	}
	return fd;
fail:
	if (!handed)
		close(fd);
	return -1;
}

void vfio_iommufd_forget_device(int fd)
{
	int i;

	for (i = 0; i < n_bound; i++) {
		if (bound_fd[i] == fd) {
			bound_fd[i] = bound_fd[--n_bound];
			return;
		}
	}
}

void vfio_iommufd_release_device(struct vfio_backend *b, int fd)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

	if (b && ioctl(fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d) < 0)
		pr_warn("VFIO_DEVICE_DETACH_IOMMUFD_PT: %s", strerror(errno));
}

/* IOMMU_IOAS_IOVA_RANGES fails with EMSGSIZE and the count when the array
 * given is too small: asked first with none, then with room for all (and
 * again if the count grew in between). */
static int iommufd_iova_ranges(struct vfio_backend *b, struct iova_range **r)
{
	struct iommufd *t = (struct iommufd *)b;
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = t->ioas };
	struct iommu_iova_range *ranges = NULL;
	uint32_t i, room = 0;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		q.num_iovas = room;
		q.allowed_iovas = (uintptr_t)ranges;
		if (ioctl(t->fd, IOMMU_IOAS_IOVA_RANGES, &q) == 0)
			break;
		free(ranges);
		ranges = NULL;
		if (errno != EMSGSIZE || !q.num_iovas)
			return -1;
		room = q.num_iovas;
		ranges = calloc(room, sizeof(*ranges));
		if (!ranges)
			return -1;
	}
	*r = tries < 3 ? calloc(q.num_iovas + 1, sizeof(**r)) : NULL;
	for (i = 0; *r && i < q.num_iovas; i++) {
		(*r)[i].start = ranges[i].start;
		(*r)[i].end = ranges[i].last;
	}
	free(ranges);
	return *r ? (int)q.num_iovas : -1;
}

static int iommufd_map(struct vfio_backend *b, uint64_t iova, uint64_t size, void *hva)
{
	struct iommufd *t = (struct iommufd *)b;
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = t->ioas,
		.user_va = (uintptr_t)hva,
		.length = size,
		.iova = iova,
	};

	return ioctl(t->fd, IOMMU_IOAS_MAP, &m) < 0 ? -errno : 0;
}

static int iommufd_unmap(struct vfio_backend *b, uint64_t iova, uint64_t size)
{
	struct iommufd *t = (struct iommufd *)b;
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = t->ioas, .iova = iova, .length = size,
	};

	return ioctl(t->fd, IOMMU_IOAS_UNMAP, &u) < 0 ? -errno : 0;
}

static void iommufd_close(struct vfio_backend *b)
{
	struct iommufd *t = (struct iommufd *)b;
	struct iommu_destroy d = { .size = sizeof(d), .id = t->ioas };
	struct iommu_destroy h = { .size = sizeof(h) };
	int i;

	for (i = 0; i < t->n_dirty; i++) {
		h.id = t->dirty[i].hwpt;
		if (ioctl(t->fd, IOMMU_DESTROY, &h) < 0)
			pr_debug("vfio: IOMMU_DESTROY of HWPT %u: %s", h.id, strerror(errno));
	}
	if (t->ioas_live && ioctl(t->fd, IOMMU_DESTROY, &d) < 0)
		pr_warn("vfio: IOMMU_DESTROY of IOAS %u: %s", t->ioas, strerror(errno));
	if (!t->keep_fd)
		close(t->fd);
	free(t);
}

static const struct vfio_backend_ops iommufd_ops = {
	.name = "iommufd",
	.open_device = iommufd_open_device,
	.iova_ranges = iommufd_iova_ranges,
	.map = iommufd_map,
	.unmap = iommufd_unmap,
	.close = iommufd_close,
};

int vfio_iommufd_dirty_hwpt(struct vfio_backend *b, int fd, int *iommufd, uint32_t *hwpt)
{
	struct iommufd *t = (struct iommufd *)b;
	int i;

	if (!b || b->ops != &iommufd_ops)
		return -1;
	*iommufd = t->fd;
	*hwpt = 0;
	for (i = 0; i < t->n_dirty; i++)
		if (t->dirty[i].dev_fd == fd)
			*hwpt = t->dirty[i].hwpt;
	return 0;
}

struct vfio_backend *vfio_iommufd_open(int iommufd, char *err, size_t errlen)
{
	struct iommufd *t = calloc(1, sizeof(*t));
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	char path[64];

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->b.ops = &iommufd_ops;
	t->keep_fd = iommufd >= 0;
	t->fd = iommufd;
	snprintf(path, sizeof(path), "%s/iommu", host_pci_dev_dir());
	if (t->fd < 0)
		t->fd = open(path, O_RDWR | O_CLOEXEC);
	if (t->fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s (%s)", path, strerror(errno),
			 errno == ENOENT ? "the host kernel has no IOMMUFD (CONFIG_IOMMUFD): use --vfio-backend legacy" :
			 "run as root, or hand the device over with 'conduit bind BDF --serve SOCKET'");
		goto fail;
	}
	if (ioctl(t->fd, IOMMU_IOAS_ALLOC, &a) < 0) {
		snprintf(err, errlen, "%s: IOMMU_IOAS_ALLOC: %s", path, strerror(errno));
		goto fail;
	}
	t->ioas = a.out_ioas_id;
	t->ioas_live = true;
	pr_info("vfio: iommufd backend (IOAS %u%s)", t->ioas,
		t->keep_fd ? ", iommufd handed over" : "");
	return &t->b;
fail:
	if (t->fd >= 0 && !t->keep_fd)
		close(t->fd);
	free(t);
	return NULL;
}
