/* Where vfio has a device, read from sysfs and /dev: the VFIO device cdev
 * (vfio-dev/vfioN) of a PCI device or an mdev, a mediated device's IOMMU
 * group, and whether the host has IOMMUFD (/dev/iommu) and the VFIO
 * container (/dev/vfio/vfio). Paths hang off host_pci's roots, so the unit
 * tests run on a fake tree. */
#ifndef CONDUIT_HOST_VFIO_H
#define CONDUIT_HOST_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include "../backend.h"
#include "host_pci.h"

/* N of the device's /dev/vfio/devices/vfioN, or -1 when it has none (not on
 * vfio, or a kernel without CONFIG_VFIO_DEVICE_CDEV). */
int host_vfio_pci_cdev(const struct pci_addr *a);

/* "mdev:UUID": checks the UUID's form and that the mdev exists, and fills
 * ref (kind, name, group, cdev). Returns 0 or -1 with a one-line error. */
int host_vfio_mdev_ref(const char *uuid, struct vfio_dev_ref *ref,
		       char *err, size_t errlen);

bool host_vfio_has_iommufd(void);       /* /dev/iommu exists */
bool host_vfio_has_container(void);     /* /dev/vfio/vfio exists */

#endif
