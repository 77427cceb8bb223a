/* Where vfio has a device: the cdev number from sysfs's vfio-dev/vfioN
 * directory (PCI devices under bus/pci/devices, mediated devices under
 * bus/mdev/devices), an mdev's IOMMU group from its iommu_group link, and
 * the presence of /dev/iommu and /dev/vfio/vfio. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "host_pci_internal.h"
#include "host_vfio.h"

#define UUID_HINT "an mdev is named by its UUID, e.g. " \
		  "mdev:83b8f4f2-509f-382f-3c1e-e6bfe0fa1001 (see /sys/bus/mdev/devices)"

/* N of the "vfioN" entry in DIR/vfio-dev, or -1. */
static int cdev_in(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *d;
	int n = -1;
	DIR *dp;

	if (snprintf(path, sizeof(path), "%s/vfio-dev", dir) >= (int)sizeof(path))
		return -1;
	dp = opendir(path);
	if (!dp)
		return -1;
	while ((d = readdir(dp)) && n < 0) {
		char *end;
		long v;

		if (strncmp(d->d_name, "vfio", 4) || !isdigit((unsigned char)d->d_name[4]))
			continue;
		v = strtol(d->d_name + 4, &end, 10);
		if (!*end && v >= 0 && v <= 0xffff)
			n = (int)v;
	}
	closedir(dp);
	return n;
}

int host_vfio_pci_cdev(const struct pci_addr *a)
{
	char dir[PATH_MAX], bdf[PCI_ADDR_STRLEN];

	pci_addr_format(a, bdf);
	if (snprintf(dir, sizeof(dir), "%s/bus/pci/devices/%s", host_pci_sysfs_root(), bdf) >=
	    (int)sizeof(dir))
		return -1;
	return cdev_in(dir);
}

/* 8-4-4-4-12 hex digits. */
static bool uuid_ok(const char *s)
{
	static const int group[] = { 8, 4, 4, 4, 12 };
	int i, j;

	for (i = 0; i < 5; i++) {
		for (j = 0; j < group[i]; j++, s++)
			if (!isxdigit((unsigned char)*s))
				return false;
		if (*s != (i < 4 ? '-' : '\0'))
			return false;
		s++;
	}
	return true;
}

static int group_of(const char *dir)
{
	char path[PATH_MAX], name[32], *end;
	long g;

	if (snprintf(path, sizeof(path), "%s/iommu_group", dir) >= (int)sizeof(path) ||
	    host_pci_link_name(path, name, sizeof(name)))
		return -1;
	g = strtol(name, &end, 10);
	return end == name || *end || g < 0 || g > 0x7fffffff ? -1 : (int)g;
}

int host_vfio_mdev_ref(const char *uuid, struct vfio_dev_ref *ref, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;

	if (!uuid_ok(uuid)) {
		snprintf(err, errlen, "--passthrough mdev:%s: not a UUID (%s)", uuid, UUID_HINT);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/bus/mdev/devices/%s", host_pci_sysfs_root(), uuid);
	if (stat(dir, &st) < 0) {
		snprintf(err, errlen, "mdev %s: no such mediated device (%s: %s): create it through its parent's mdev_supported_types/TYPE/create",
			 uuid, dir, strerror(errno));
		return -1;
	}
	memset(ref, 0, sizeof(*ref));
	ref->kind = VFIO_DEV_MDEV;
	ref->fd = -1;
	snprintf(ref->name, sizeof(ref->name), "%s", uuid);
	ref->group = group_of(dir);
	ref->cdev = cdev_in(dir);
	if (ref->group < 0 && ref->cdev < 0) {
		snprintf(err, errlen, "mdev %s: vfio has no group or cdev for it: is its vendor driver a vfio mdev driver (e.g. mtty, a vGPU driver)?",
			 uuid);
		return -1;
	}
	return 0;
}

static bool exists(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", host_pci_dev_dir(), name);
	return access(path, F_OK) == 0;
}

bool host_vfio_has_iommufd(void)
{
	return exists("iommu");
}

bool host_vfio_has_container(void)
{
	return exists("vfio/vfio");
}
