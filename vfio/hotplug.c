/* Passthrough devices added to and removed from a running guest. The
 * machine (vmm/) decides when, talks to the guest's ACPI hotplug and
 * answers the control socket; this file does the VFIO side.
 *
 * Adding: the first device of a VM without passthrough opens the IOMMU
 * backend, as at start, and maps all guest RAM for DMA once the device is
 * in (type1 sets its IOMMU only when a group joins the container); later
 * devices join the container or IOAS whose mappings are already there (the
 * kernel replays a type1 container's mappings into a new group's domain).
 * Removing: the device is reset and closed, the backend lets go of what
 * only it held (its group, for type1), and when the last device is gone
 * guest RAM is unmapped and the backend closed: no page stays pinned for a
 * device that is not there, and the next device maps RAM afresh. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "../devices/pci.h"
#include "../vmm/log.h"
#include "../vmm/vm.h"
#include "dma.h"
#include "passthrough_internal.h"
#include "vfio_pci.h"

struct vfio_pci *passthrough_at_slot(const struct passthrough *pt, int slot)
{
	int i;

	for (i = 0; i < pt->n_dev; i++)
		if (pt->dev[i]->pci.slot == slot)
			return pt->dev[i];
	return NULL;
}

static void close_backend(struct passthrough *pt)
{
	if (pt->dma_mapped)
		dma_unmap_guest(pt->backend, &pt->vm->mem);
	pt->dma_mapped = false;
	pt->backend->ops->close(pt->backend);
	pt->backend = NULL;
}

static int map_ram(struct passthrough *pt, struct vfio_pci *v, char *err, size_t errlen)
{
	uint64_t ns;

	if (dma_map_guest(pt->backend, &pt->vm->mem, &ns, err, errlen))
		return -1;
	pt->dma_mapped = true;
	v->stats.dma_map_ns = ns;
	pr_info("vfio: %llu MiB of guest RAM mapped for DMA in %.1f ms (first device hot-added)",
		(unsigned long long)(pt->vm->mem.ram_size >> 20), ns / 1e6);
	return 0;
}

struct vfio_pci *passthrough_hot_add(struct passthrough *pt, const struct passthrough_dev *dev,
				     int slot, enum vfio_backend_kind want,
				     char *err, size_t errlen)
{
	bool fresh = !pt->backend;
	struct vfio_pci *v;

	if (pt->n_dev == MAX_PASSTHROUGH) {
		snprintf(err, errlen, "%s: this VM has %d passthrough devices, the most it takes",
			 dev->ref.name, MAX_PASSTHROUGH);
		return NULL;
	}
	if (fresh) {
		pt->backend = passthrough_open_backend(want, dev, 1, err, errlen);
		if (!pt->backend)
			return NULL;
	}
	v = vfio_pci_attach(pt->vm, pt->bus, pt->backend, &dev->ref, dev->flags, slot,
			    err, errlen);
	if (!v)
		goto fail;
	if (fresh && map_ram(pt, v, err, errlen)) {
		pthread_mutex_lock(&devices_lock);
		pci_bus_unplug(pt->bus, &v->pci);
		pthread_mutex_unlock(&devices_lock);
		vfio_pci_detach(v);
		goto fail;
	}
	pt->dev[pt->n_dev] = v;
	pt->ref[pt->n_dev] = dev->ref;
	pt->own_fd[pt->n_dev] = dev->ref.kind == VFIO_DEV_FD && dev->iommufd < 0;
	pt->n_dev++;
	return v;
fail:
	if (fresh)
		close_backend(pt);
	else if (pt->backend->ops->put_device)
		pt->backend->ops->put_device(pt->backend, &dev->ref);
	return NULL;
}

void passthrough_hot_remove(struct passthrough *pt, struct vfio_pci *v)
{
	struct vfio_dev_ref ref;
	bool own_fd;
	int i;

	for (i = 0; i < pt->n_dev && pt->dev[i] != v; i++)
		;
	if (i == pt->n_dev)
		return;
	ref = pt->ref[i];
	own_fd = pt->own_fd[i];
	pt->n_dev--;
	pt->dev[i] = pt->dev[pt->n_dev];
	pt->ref[i] = pt->ref[pt->n_dev];
	pt->own_fd[i] = pt->own_fd[pt->n_dev];
	vfio_pci_detach(v);             /* interrupts, slots, reset, fd */
	if (own_fd) {
		vfio_iommufd_forget_device(ref.fd);
		close(ref.fd);
	}
	if (!pt->n_dev)
		close_backend(pt);
	else if (pt->backend->ops->put_device)
		pt->backend->ops->put_device(pt->backend, &ref);
}
