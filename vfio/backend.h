/* The IOMMU backend interface: how a device is opened and how guest RAM is
 * made visible to it. Two backends sit behind it: type1 (the VFIO
 * container and groups, vfio/container.c) and IOMMUFD (/dev/iommu and the
 * VFIO device cdev, vfio/iommufd.c); the device code sees only this. */
#ifndef CONDUIT_VFIO_BACKEND_H
#define CONDUIT_VFIO_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../vmm/config.h"      /* enum vfio_backend_kind */

#define VFIO_DEV_NAME_LEN    40         /* a PCI address or an mdev UUID */

struct iova_range {
	uint64_t start, end;            /* inclusive */
};

enum vfio_dev_kind {
	VFIO_DEV_PCI,                   /* a host PCI device on vfio-pci */
	VFIO_DEV_MDEV,                  /* a mediated device, by UUID */
	VFIO_DEV_FD,                    /* a device cdev handed over a socket */
};

/* One device to open: what it is called and where vfio has it. */
struct vfio_dev_ref {
	enum vfio_dev_kind kind;
	char name[VFIO_DEV_NAME_LEN];   /* "0000:03:00.0" or the mdev's UUID */
	int group;                      /* IOMMU group, -1 when unknown */
	int cdev;                       /* N of /dev/vfio/devices/vfioN, -1: none */
	int fd;                         /* VFIO_DEV_FD: the handed-over cdev fd */
	int slot;                       /* at boot: the guest slot it asks for (a device
					 * added by device_add, plugged again after a
					 * reboot, keeps its slot); 0 or taken: the
					 * first free one */
};

struct vfio_backend;

struct vfio_backend_ops {
	const char *name;
	/* Open the device; returns its fd or -1 with a one-line error. */
	int (*open_device)(struct vfio_backend *b, const struct vfio_dev_ref *ref,
			   char *err, size_t errlen);
	/* Usable IOVA ranges, however many there are: returns how many with
	 * *r malloc'd (the caller frees it), or -1 when the IOMMU does not
	 * say (an old type1 kernel) or the query fails. */
	int (*iova_ranges)(struct vfio_backend *b, struct iova_range **r);
	int (*map)(struct vfio_backend *b, uint64_t iova, uint64_t size, void *hva);
	int (*unmap)(struct vfio_backend *b, uint64_t iova, uint64_t size);
	/* A device opened through open_device is gone (its fd closed):
	 * release what it alone held (type1: its group, when no other open
	 * device is in it), so the host can use it again. NULL: nothing. */
	void (*put_device)(struct vfio_backend *b, const struct vfio_dev_ref *ref);
	/* After every device fd is closed (or, for handed-over devices,
	 * detached): release the backend. */
	void (*close)(struct vfio_backend *b);
};

struct vfio_backend {
	const struct vfio_backend_ops *ops;
};

/* The type1 container/group backend (vfio/container.c). */
struct vfio_backend *vfio_type1_open(char *err, size_t errlen);
/* The type1 backend's container fd (its IOMMU set), for its dirty tracking
 * (vfio/type1_dirty.c); -1 when b is not the type1 backend. */
int vfio_type1_container(struct vfio_backend *b);

/* The IOMMUFD backend (vfio/iommufd.c): /dev/iommu, or iommufd >= 0 when
 * one was handed over (it is then kept open across close, for the next
 * boot after a guest reboot). */
struct vfio_backend *vfio_iommufd_open(int iommufd, char *err, size_t errlen);
/* Device fd's IOMMUFD: its iommufd and, where it is attached to a HWPT
 * allocated with dirty tracking, that HWPT (else 0). -1 when b is not the
 * IOMMUFD backend. */
int vfio_iommufd_dirty_hwpt(struct vfio_backend *b, int fd, int *iommufd, uint32_t *hwpt);
/* A handed-over device fd stays open when its VM stops: undo what the
 * backend did to it (the IOAS attachment) so the next boot can attach it
 * again. */
void vfio_iommufd_release_device(struct vfio_backend *b, int fd);
/* A handed-over device fd is about to be closed for good (hot-removed):
 * the number may come back as another fd, which is not bound. */
void vfio_iommufd_forget_device(int fd);

#endif
