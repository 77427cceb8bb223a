/* The one-line errors that passthrough and bind print when the host is
 * not set up for a device (IOMMU off, group shared, device on another
 * driver or missing, /dev/vfio/N not usable), each with what to run to fix
 * it, and the buffer helpers they are built with. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host_pci_internal.h"

/* Append to a message buffer; never overflows, keeps it NUL-terminated. */
void __attribute__((format(printf, 3, 4)))
host_pci_append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

const char *host_pci_driver_or_none(const char *driver)
{
	return driver[0] ? driver : "no driver";
}

char *host_pci_msg_no_iommu_group(const struct pci_addr *a, char *buf, size_t len)
{
	char bdf[PCI_ADDR_STRLEN];

	buf[0] = '\0';
	if (a) {
		pci_addr_format(a, bdf);
		host_pci_append(buf, len, "%s has no IOMMU group, so ", bdf);
	} else {
		host_pci_append(buf, len, "there are no IOMMU groups, so ");
	}
	host_pci_append(buf, len, "the IOMMU is off: boot the host kernel with "
			"intel_iommu=on (Intel) or amd_iommu=on (AMD), optionally with "
			"iommu=pt, and check that VT-d / AMD-Vi (IOMMU) is enabled in the "
			"firmware setup");
	return buf;
}

/* The fix for one blocking member: conduit bind, or unbinding a driver
 * that vfio-pci cannot replace (bridges, non-PCI devices). */
static void suggest_fix(const struct host_pci_member *m, bool first, char *buf, size_t len)
{
	uint32_t cls = 0;

	if (m->pci && host_pci_class(&m->addr, &cls) == 0 && !host_pci_is_bridge(cls))
		host_pci_append(buf, len, "%s'conduit bind %s'", first ? "" : ", ", m->name);
	else
		host_pci_append(buf, len, "%sunbind %s from %s", first ? "" : ", ", m->name,
				m->driver);
}

char *host_pci_msg_group_not_viable(const struct pci_addr *a, int group,
				    char *buf, size_t len)
{
	char bdf[PCI_ADDR_STRLEN], others[512];
	struct host_pci_member *m;
	bool first = true;
	size_t i, n;

	pci_addr_format(a, bdf);
	if (host_pci_group_members(group, &m, &n)) {
		snprintf(buf, len, "%s: IOMMU group %d is not viable and cannot be read: %s",
			 bdf, group, strerror(errno));
		return buf;
	}
	host_pci_describe_members(m, n, a, false, others, sizeof(others));
	snprintf(buf, len, "%s: IOMMU group %d is not viable: it also holds %s; "
		 "every device in a group must be bound to vfio-pci or to no driver: run ",
		 bdf, group, others[0] ? others : "no other device");
	for (i = 0; i < n; i++) {
		if (host_pci_is_self(&m[i], a) || host_pci_member_ok(&m[i]))
			continue;
		suggest_fix(&m[i], first, buf, len);
		first = false;
	}
	host_pci_append(buf, len, ", or move the card to a slot with an IOMMU group of "
			"its own");
	free(m);
	return buf;
}

char *host_pci_msg_other_driver(const struct pci_addr *a, const char *driver,
				char *buf, size_t len)
{
	char bdf[PCI_ADDR_STRLEN];

	pci_addr_format(a, bdf);
	if (!driver[0])
		snprintf(buf, len, "%s has no driver, not vfio-pci: run 'conduit bind %s' "
			 "to give it to vfio-pci", bdf, bdf);
	else
		snprintf(buf, len, "%s is bound to %s, not to vfio-pci: run 'conduit bind %s' "
			 "to take it from %s and give it to vfio-pci", bdf, driver, bdf, driver);
	return buf;
}

char *host_pci_msg_no_device(const struct pci_addr *a, char *buf, size_t len)
{
	char bdf[PCI_ADDR_STRLEN];

	pci_addr_format(a, bdf);
	snprintf(buf, len, "there is no PCI device %s on this host: 'conduit devices' "
		 "lists the devices and whether each can be passed through", bdf);
	return buf;
}

char *host_pci_msg_vfio_dev(int group, int errnum, char *buf, size_t len)
{
	const char *dev_dir = host_pci_dev_dir();

	switch (errnum) {
	case ENOENT:
		snprintf(buf, len, "%s/vfio/%d does not exist: vfio creates it once a device "
			 "of IOMMU group %d is bound to vfio-pci ('conduit bind BDF'); if one "
			 "is, check that devtmpfs or udev populates %s", dev_dir, group, group,
			 dev_dir);
		break;
	case EACCES:
	case EPERM:
		snprintf(buf, len, "cannot open %s/vfio/%d: %s: run conduit as root, or give "
			 "your user the group with a udev rule (SUBSYSTEM==\"vfio\", "
			 "OWNER=\"you\") or 'chown you %s/vfio/%d'",
			 dev_dir, group, strerror(errnum), dev_dir, group);
		break;
	case EBUSY:
		snprintf(buf, len, "%s/vfio/%d is busy: another process (another VM?) has "
			 "IOMMU group %d open", dev_dir, group, group);
		break;
	default:
		snprintf(buf, len, "cannot open %s/vfio/%d: %s", dev_dir, group, strerror(errnum));
	}
	return buf;
}

char *host_pci_msg_no_cdev(const struct pci_addr *a, int cdev, char *buf, size_t len)
{
	char bdf[PCI_ADDR_STRLEN];

	pci_addr_format(a, bdf);
	if (cdev < 0)
		snprintf(buf, len, "%s has no VFIO device cdev (vfio-dev/vfioN in sysfs): "
			 "the kernel needs CONFIG_VFIO_DEVICE_CDEV", bdf);
	else
		snprintf(buf, len, "%s has no VFIO device cdev (%s/vfio/devices/vfio%d does "
			 "not exist): the kernel needs CONFIG_VFIO_DEVICE_CDEV (Linux 6.6 or later)",
			 bdf, host_pci_dev_dir(), cdev);
	return buf;
}
