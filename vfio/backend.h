/* The IOMMU backend interface: how a device is opened and how guest RAM is
 * made visible to it. type1 (container/group) now; IOMMUFD can be added
 * behind the same interface without touching the device code. */
#ifndef CONDUIT_VFIO_BACKEND_H
#define CONDUIT_VFIO_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#define VFIO_MAX_IOVA_RANGES 16

struct iova_range {
	uint64_t start, end;            /* inclusive */
};

struct vfio_backend;

struct vfio_backend_ops {
	const char *name;
	/* Open the device with the given BDF ("0000:03:00.0") in IOMMU group
	 * group; returns the device fd or -1 with a one-line error. */
	int (*open_device)(struct vfio_backend *b, const char *bdf, int group,
			   char *err, size_t errlen);
	/* Usable IOVA ranges; returns how many, or -1 when unknown. */
	int (*iova_ranges)(struct vfio_backend *b, struct iova_range *r, int max);
	int (*map)(struct vfio_backend *b, uint64_t iova, uint64_t size, void *hva);
	int (*unmap)(struct vfio_backend *b, uint64_t iova, uint64_t size);
	void (*close)(struct vfio_backend *b);
};

struct vfio_backend {
	const struct vfio_backend_ops *ops;
};

/* The type1 container/group backend (vfio/container.c). */
struct vfio_backend *vfio_type1_open(char *err, size_t errlen);

#endif
