/* Migration of the machine's passed-through devices as a whole (issue
 * 15): whether every one of them can migrate, the rule that several
 * migrate together only when each offers P2P, and the steps that must
 * reach every device before any device takes the next one (quiesce on the
 * source, RUNNING_P2P then RUNNING on the destination, and the way back
 * to RUNNING). Each device's own steps are vfio/pci_migrate.c's. */
#include <stdio.h>
#include <string.h>
#include "../vmm/log.h"
#include "host/host_pci.h"
#include "passthrough.h"
#include "pci_migrate.h"
#include "vfio_pci.h"

/* The driver a host PCI device is bound to, for the refusal; "" for an
 * mdev or a handed-over fd (the message then says "its driver"). */
static void driver_of(const struct vfio_dev_ref *ref, char *name, size_t len)
{
	struct pci_addr a;
	char msg[HOST_PCI_ERR_LEN];

	name[0] = '\0';
	if (ref->kind != VFIO_DEV_PCI || pci_addr_parse(ref->name, &a, msg, sizeof(msg)))
		return;
	if (host_pci_driver(&a, name, len) < 0)
		name[0] = '\0';
}

int passthrough_can_migrate(struct passthrough *pt, char *err, size_t errlen)
{
	char driver[HOST_PCI_NAME_LEN];
	int i;

	for (i = 0; i < pt->n_dev; i++) {
		driver_of(&pt->ref[i], driver, sizeof(driver));
		if (vfio_pci_mig_probe(pt->dev[i], driver[0] ? driver : NULL, err, errlen))
			return -1;
	}
	return 0;
}

int passthrough_all_p2p(const struct passthrough *pt, char *err, size_t errlen)
{
	const struct vfio_pci *v;
	int i;

	if (pt->n_dev < 2)
		return 0;
	for (i = 0; i < pt->n_dev; i++) {
		v = pt->dev[i];
		if (!v->mig_probed) {
			vdev_errmsg(v, err, errlen, "migration was not probed");
			return -1;
		}
		if (!vfio_pci_mig_offers(v, VFIO_MIGRATION_P2P)) {
			vdev_errmsg(v, err, errlen,
				    "offers migration without P2P (flags %s): %d devices migrate together only when every one offers P2P",
				    vfio_mig_flags_name(v->mig.flags), pt->n_dev);
			return -1;
		}
	}
	return 0;
}

int passthrough_mig_start(struct passthrough *pt, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < pt->n_dev; i++)
		if (vfio_pci_mig_start(pt->dev[i], err, errlen))
			return -1;
	return 0;
}

int passthrough_mig_quiesce(struct passthrough *pt, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < pt->n_dev; i++)
		if (vfio_pci_mig_quiesce(pt->dev[i], err, errlen))
			return -1;
	return 0;
}

int passthrough_mig_running_p2p(struct passthrough *pt, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < pt->n_dev; i++)
		if (vfio_pci_mig_running_p2p(pt->dev[i], err, errlen))
			return -1;
	return 0;
}

int passthrough_mig_running(struct passthrough *pt, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < pt->n_dev; i++)
		if (vfio_pci_mig_running(pt->dev[i], err, errlen))
			return -1;
	return 0;
}

/* Every probed device back to RUNNING, each tried whatever the others
 * did; err keeps the first failure. */
int passthrough_mig_cancel(struct passthrough *pt, char *err, size_t errlen)
{
	char msg[512];
	int i, ret = 0;

	for (i = 0; i < pt->n_dev; i++) {
		if (!pt->dev[i]->mig_probed)
			continue;
		if (vfio_pci_mig_cancel(pt->dev[i], msg, sizeof(msg)) == 0)
			continue;
		if (!ret)
			snprintf(err, errlen, "%s", msg);
		ret = -1;
	}
	return ret;
}
