/* A vfio-pci device's lifecycle: open it through the IOMMU backend, read
 * what vfio says about it (VFIO_DEVICE_GET_INFO, every region and IRQ
 * index), reset it if it was handed over (the kernel resets a device it
 * opens), build the guest's config view, BARs and interrupts,
 * plug it into the guest's PCI bus; and on exit undo all of it, the device
 * reset again so it goes back clean (by the kernel, at the close). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "../vmm/arch.h"
#include "../vmm/clock.h"
#include "../vmm/log.h"
#include "../vmm/vm.h"
#include "../devices/pci_room.h"
#include "dma.h"
#include "vfio_pci.h"

void vdev_errmsg(const struct vfio_pci *v, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: ", v->bdf);

	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void describe(struct vfio_pci *v)
{
	static const char *const name[] = { "BAR0", "BAR1", "BAR2", "BAR3", "BAR4",
					    "BAR5", "ROM", "config", "VGA" };
	static const char *const irq[] = { "INTx", "MSI", "MSI-X", "ERR", "REQ" };
	uint32_t i;

	vdev_pr(LOG_INFO, v, "%u regions, %u IRQ indexes%s", v->info.num_regions,
		v->info.num_irqs, v->info.flags & VFIO_DEVICE_FLAGS_RESET ? ", resettable" : "");
	for (i = 0; i < v->info.num_regions && i < 9; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };

		if (ioctl(v->fd, VFIO_DEVICE_GET_REGION_INFO, &ri) == 0 && ri.size)
			vdev_pr(LOG_DEBUG, v, "region %s: size 0x%llx flags 0x%x", name[i],
				 (unsigned long long)ri.size, ri.flags);
	}
	for (i = 0; i < v->info.num_irqs && i < 5; i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = i };

		if (ioctl(v->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) == 0 && ii.count)
			vdev_pr(LOG_DEBUG, v, "IRQ %s: %u vector(s) flags 0x%x", irq[i],
				 ii.count, ii.flags);
	}
}

static int region(struct vfio_pci *v, unsigned index, uint64_t *off, uint64_t *size)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = index };

	if (ioctl(v->fd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		return -errno;
	*off = ri.offset;
	*size = ri.size;
	return 0;
}

static void reset(struct vfio_pci *v)
{
	if ((v->info.flags & VFIO_DEVICE_FLAGS_RESET) &&
	    ioctl(v->fd, VFIO_DEVICE_RESET) < 0)
		vdev_pr(LOG_WARN, v, "VFIO_DEVICE_RESET: %s", strerror(errno));
}

/* MSI-X table and PBA locations from the device's capability. */
static int msix_layout(struct vfio_pci *v, unsigned cap, char *err, size_t errlen)
{
	uint32_t table, pba;
	unsigned n = ((v->pci.cfg[cap + 2] | v->pci.cfg[cap + 3] << 8) & 0x7ff) + 1;

	memcpy(&table, v->pci.cfg + cap + 4, 4);
	memcpy(&pba, v->pci.cfg + cap + 8, 4);
	if ((table & 7) != (pba & 7) || (table & 7) > 5) {
		vdev_errmsg(v, err, errlen, "MSI-X table and PBA in different BARs (%u, %u) are not supported",
			    table & 7, pba & 7);
		return -1;
	}
	v->msix_bar = (int)(table & 7);
	v->msix_table = table & ~7U;
	v->msix_table_len = (uint64_t)n * MSIX_ENTRY_SIZE;
	v->msix_pba = pba & ~7U;
	v->msix_pba_len = ((n + 63) / 64) * 8ULL;
	if (msix_init_at(&v->msix, &v->pci, cap, n)) {
		vdev_errmsg(v, err, errlen, "MSI-X with %u vectors is not supported", n);
		return -1;
	}
	return 0;
}

static void teardown(struct pci_device *d)
{
	vfio_pci_detach(d->opaque);
}

/* What the PCI bus calls for a passed-through device. */
static const struct pci_device_ops vfio_pci_ops = {
	.kind = "vfio-pci",
	.cfg_read = vfio_config_read,
	.cfg_write = vfio_config_write,
	.bar_map = vfio_bar_map,
	.bar_unmap = vfio_bar_unmap,
	.teardown = teardown,
	.save = vfio_pci_state_save,
	.load = vfio_pci_state_load,
};

static int setup(struct vfio_pci *v, char *err, size_t errlen)
{
	int cap;

	v->info.argsz = sizeof(v->info);
	if (ioctl(v->fd, VFIO_DEVICE_GET_INFO, &v->info) < 0) {
		vdev_errmsg(v, err, errlen, "VFIO_DEVICE_GET_INFO: %s", strerror(errno));
		return -1;
	}
	if (!(v->info.flags & VFIO_DEVICE_FLAGS_PCI)) {
		vdev_errmsg(v, err, errlen, "not a PCI device for vfio");
		return -1;
	}
	describe(v);
	/* The kernel resets a device when it is first opened; one handed
	 * over may have been used before. */
	if (v->keep_fd)
		reset(v);
	if (region(v, VFIO_PCI_CONFIG_REGION_INDEX, &v->cfg_off, &v->cfg_size) ||
	    region(v, VFIO_PCI_ROM_REGION_INDEX, &v->rom_off, &v->rom_size)) {
		vdev_errmsg(v, err, errlen, "VFIO_DEVICE_GET_REGION_INFO: %s", strerror(errno));
		return -1;
	}
	v->msix_bar = -1;
	cap = vfio_config_init(v, err, errlen);
	if (cap < 0 || (cap && msix_layout(v, (unsigned)cap, err, errlen)))
		return -1;
	if (vfio_bars_init(v, err, errlen))
		return -1;
	vfio_rom_init(v);
	v->pci.opaque = v;
	v->pci.name = v->bdf;
	v->pci.ops = &vfio_pci_ops;
	return 0;
}

/* Into a running guest: room for the BARs first, the interrupts set up
 * while the guest cannot see the device yet (the INTx pin follows from
 * the slot), then plugged under devices_lock, which every vCPU's config
 * access takes. */
static int hot_plug(struct vfio_pci *v, struct pci_bus *bus, int slot, char *err, size_t errlen)
{
	char msg[256];
	int ret;

	if (pci_bus_find_room(bus, &v->pci, msg, sizeof(msg))) {
		vdev_errmsg(v, err, errlen, "%s", msg);
		return -1;
	}
	v->pci.slot = slot;
	if (vfio_irqs_init(v, err, errlen))
		return -1;
	vfio_faults_init(v);
	pthread_mutex_lock(&devices_lock);
	ret = pci_bus_plug_at(bus, &v->pci, slot);
	pthread_mutex_unlock(&devices_lock);
	if (ret < 0) {
		vdev_errmsg(v, err, errlen, "PCI slot %d is taken", slot);
		return -1;
	}
	return 0;
}

struct vfio_pci *vfio_pci_attach(struct vm *vm, struct pci_bus *bus, struct vfio_backend *b,
				 const struct vfio_dev_ref *ref, unsigned flags, int hot_slot,
				 char *err, size_t errlen)
{
	struct vfio_pci *v = calloc(1, sizeof(*v));
	struct iova_range *r = NULL;
	uint64_t t0 = clock_ns();
	int n, ret;

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	v->vm = vm;
	v->fd = v->req_efd = v->err_efd = -1;
	vfio_irqs_prepare(v);
	snprintf(v->bdf, sizeof(v->bdf), "%s", ref->name);
	v->flags = flags;
	v->fd = b->ops->open_device(b, ref, err, errlen);
	if (v->fd < 0)
		goto fail;
	/* A handed-over device fd cannot be opened again: it outlives a
	 * guest reboot. */
	if (ref->kind == VFIO_DEV_FD) {
		v->backend = b;
		v->keep_fd = true;
	}
	n = b->ops->iova_ranges(b, &r);
	ret = arch_check_iova(vm, r, n, err, errlen);
	free(r);
	if (ret)
		goto fail;
	if (setup(v, err, errlen))
		goto fail;
	if (hot_slot >= 0) {
		if (hot_plug(v, bus, hot_slot, err, errlen))
			goto fail;
	} else {
		if (pci_bus_add_at(bus, &v->pci, ref->slot) < 0) {
			vdev_errmsg(v, err, errlen, "no free PCI slot (at most %d devices)",
				    PCI_MAX_SLOTS - 1);
			goto fail;
		}
		if (vfio_irqs_init(v, err, errlen))
			goto fail;
		vfio_faults_init(v);
	}
	v->stats.dma_map_ns = 0;
	v->stats.attach_ns = clock_ns() - t0;
	vdev_pr(LOG_INFO, v, "passed through at guest 00:%02x.0 (%02x%02x:%02x%02x)", v->pci.slot,
		v->pci.cfg[1], v->pci.cfg[0], v->pci.cfg[3], v->pci.cfg[2]);
	return v;
fail:
	if (v->pci.bus)
		pci_bus_remove(v->pci.bus, &v->pci);   /* and its teardown */
	else
		vfio_pci_detach(v);
	return NULL;
}

void vfio_pci_detach(struct vfio_pci *v)
{
	if (!v)
		return;
	if (v->mig_probed)
		vfio_mig_release(&v->mig);
	vfio_faults_cleanup(v);
	vfio_irqs_cleanup(v);
	vfio_bars_cleanup(v);
	if (v->fd >= 0) {
		/* A device fd that stays open (handed over) is reset here; the
		 * last close of any other resets the device in the kernel
		 * (vfio_pci_core_disable), and a second reset would cost
		 * another function-level reset's 100 ms wait, on every exit
		 * and every hot-remove. */
		if (v->keep_fd) {
			reset(v);
			vfio_iommufd_release_device(v->backend, v->fd);
		} else {
			close(v->fd);
		}
	}
	free(v);
}

void vfio_pci_print_stats(const struct vfio_pci *v)
{
	fprintf(stderr, "conduit: stats %s: BAR data exits: MMIO %llu, PIO %llu; "
		"MSI-X table/PBA accesses %llu (table writes %llu); MSI capability writes %llu; "
		"interrupts relayed by conduit %llu; INTx unmasks by conduit %llu\r\n", v->bdf,
		(unsigned long long)v->stats.mmio_exits, (unsigned long long)v->stats.pio_exits,
		(unsigned long long)v->stats.msix_accesses,
		(unsigned long long)v->stats.msix_table_writes,
		(unsigned long long)v->stats.msi_updates,
		(unsigned long long)v->stats.relayed_irqs,
		(unsigned long long)v->stats.intx_unmasks);
}
