/* IOMMU groups: their members and drivers, the rule that makes a group
 * viable for userspace, access to /dev/vfio/N, and the verdict that
 * "conduit devices" prints: ready, bindable, or not and why. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host_pci_internal.h"

static int read_member(const char *dir, const char *name, struct host_pci_member *m)
{
	char path[PATH_MAX], err[160];

	memset(m, 0, sizeof(*m));
	memcpy(m->name, name, strnlen(name, sizeof(m->name) - 1));
	m->pci = pci_addr_parse(name, &m->addr, err, sizeof(err)) == 0;
	if (host_pci_path_fmt(path, sizeof(path), "%s/%s/driver", dir, name))
		return -1;
	if (host_pci_link_name(path, m->driver, sizeof(m->driver)) && errno != ENOENT)
		return -1;
	return 0;
}

int host_pci_group_members(int group, struct host_pci_member **out, size_t *n)
{
	struct dirent **names = NULL;
	struct host_pci_member *list;
	char dir[PATH_MAX];
	int i, count;

	*out = NULL;
	*n = 0;
	if (host_pci_path_fmt(dir, sizeof(dir), "%s/kernel/iommu_groups/%d/devices",
			      host_pci_sysfs_root(), group))
		return -1;
	count = scandir(dir, &names, host_pci_not_dot, alphasort);
	if (count < 0)
		return -1;
	list = calloc(count ? count : 1, sizeof(*list));
	if (!list)
		goto out;
	for (i = 0; i < count; i++) {
		if (read_member(dir, names[i]->d_name, &list[i])) {
			free(list);
			list = NULL;
			goto out;
		}
	}
	*out = list;
	*n = count;
out:
	host_pci_free_dirents(names, count);
	return list ? 0 : -1;
}

bool host_pci_member_ok(const struct host_pci_member *m)
{
	return !m->driver[0] || host_pci_driver_is_vfio(m->driver) ||
	       !strcmp(m->driver, "pci-stub") || !strcmp(m->driver, "pcieport");
}

bool host_pci_is_self(const struct host_pci_member *m, const struct pci_addr *a)
{
	return a && m->pci && pci_addr_equal(&m->addr, a);
}

int host_pci_group_viable(int group, const struct pci_addr *except)
{
	struct host_pci_member *m;
	size_t i, n;
	int viable = 1;

	if (host_pci_group_members(group, &m, &n))
		return -1;
	for (i = 0; i < n; i++)
		if (!host_pci_is_self(&m[i], except) && !host_pci_member_ok(&m[i]))
			viable = 0;
	free(m);
	return viable;
}

int host_pci_vfio_dev_access(int group)
{
	char path[PATH_MAX];

	if (host_pci_path_fmt(path, sizeof(path), "%s/vfio/%d", host_pci_dev_dir(), group))
		return -ENAMETOOLONG;
	if (access(path, R_OK | W_OK))
		return -errno;
	return 0;
}

/* "0000:00:1f.2 (ahci), 0000:00:1f.3 (no driver)" for the members other
 * than a; only those that block the group when blockers_only. */
int host_pci_describe_members(const struct host_pci_member *m, size_t n,
			      const struct pci_addr *a, bool blockers_only,
			      char *buf, size_t len)
{
	int count = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (host_pci_is_self(&m[i], a) ||
		    (blockers_only && host_pci_member_ok(&m[i])))
			continue;
		host_pci_append(buf, len, "%s%s (%s)", count ? ", " : "", m[i].name,
				host_pci_driver_or_none(m[i].driver));
		count++;
	}
	return count;
}

/* For a bindable device whose vfio driver is not loaded: what to load. */
static void bindable_hint(const struct pci_addr *a, char *why, size_t whylen)
{
	char module[HOST_PCI_NAME_LEN], driver[HOST_PCI_NAME_LEN];

	host_pci_choose_vfio_module(a, module, sizeof(module));
	if (host_pci_module_driver(module, driver, sizeof(driver)))
		snprintf(why, whylen, "after 'modprobe %s'", module);
}

enum host_pci_verdict host_pci_verdict(const struct pci_addr *a, char *why, size_t whylen)
{
	char drv[HOST_PCI_NAME_LEN], blockers[512];
	struct host_pci_member *m;
	uint32_t cls;
	size_t n;
	int group, nblock, acc;

	why[0] = '\0';
	if (!host_pci_exists(a)) {
		snprintf(why, whylen, "no such device");
		return HOST_PCI_NO;
	}
	if (host_pci_class(a, &cls) == 0 &&
	    (host_pci_is_bridge(cls) || host_pci_is_host_bridge(cls))) {
		snprintf(why, whylen, "it is %s", host_pci_is_bridge(cls) ?
			 "a PCI bridge" : "the host bridge");
		return HOST_PCI_NO;
	}
	group = host_pci_iommu_group(a);
	if (group < 0) {
		snprintf(why, whylen, "no IOMMU group (the IOMMU is off)");
		return HOST_PCI_NO;
	}
	if (host_pci_group_members(group, &m, &n)) {
		snprintf(why, whylen, "cannot read IOMMU group %d: %s", group, strerror(errno));
		return HOST_PCI_NO;
	}
	nblock = host_pci_describe_members(m, n, a, true, blockers, sizeof(blockers));
	free(m);
	if (nblock) {
		snprintf(why, whylen, "IOMMU group %d is shared with devices on host "
			 "drivers: %s", group, blockers);
		return HOST_PCI_NO;
	}
	host_pci_driver(a, drv, sizeof(drv));
	if (!host_pci_driver_is_vfio(drv)) {
		bindable_hint(a, why, whylen);
		return HOST_PCI_BINDABLE;
	}
	acc = host_pci_vfio_dev_access(group);
	if (acc) {
		snprintf(why, whylen, "%s/vfio/%d: %s", host_pci_dev_dir(), group,
			 strerror(-acc));
		return HOST_PCI_NO;
	}
	return HOST_PCI_READY;
}
