/* Snapshot state of the virtio PCI transport (issue 15), saved and loaded
 * as the virtio kind's pci_device_ops save/load, after the bus has put back
 * config space (MSI-X enable and mask bits included) and made BAR0 decode,
 * which registered the queue notify ioeventfds again. Layout:
 *
 *   u8  device status          u8  config generation
 *   u8  ISR                    u8  INTx level (0/1)
 *   u64 driver features        u32 device / u32 driver feature select
 *   u16 config vector          u16 queue select
 *   u64 queues the guest broke
 *   u8  queues, then per queue its virtq state (virtqueue.h) and u16 vector
 *   the MSI-X table and PBA (msix.h)
 *   the device's own state (virtio_device_ops save), if any
 *
 * A load checks each value as the transport's write path would have let
 * the driver set it: vectors inside the MSI-X table or none, features
 * accepted only as write_status lets FEATURES_OK stick, queue sizes and
 * rings as an enable checks them. It then remakes what a running device
 * holds outside its fields: the MSI routes of enabled, unmasked vectors
 * (msix_load tells the transport each vector changed) and the INTx line,
 * driven to the saved level (which must agree with the INTx status bit the
 * bus loaded). */
#include <string.h>
#include "virtio_pci.h"
#include "../vmm/snapshot/cursor.h"
#include "../vmm/vm.h"

#define ISR_BITS 0x3            /* queue interrupt, config change */

static void save_common(const struct virtio_pci *vp, struct snap_out *out)
{
	snap_put_u8(out, vp->status);
	snap_put_u8(out, vp->config_gen);
	snap_put_u8(out, vp->isr);
	snap_put_u8(out, vp->intx_level);
	snap_put_u64(out, vp->drv_features);
	snap_put_u32(out, vp->dev_feature_sel);
	snap_put_u32(out, vp->drv_feature_sel);
	snap_put_u16(out, vp->msix_config);
	snap_put_u16(out, vp->queue_sel);
	snap_put_u64(out, vp->broken);
}

int virtio_pci_save(struct pci_device *d, struct snap_out *out)
{
	struct virtio_pci *vp = d->opaque;
	unsigned q;

	save_common(vp, out);
	snap_put_u8(out, (uint8_t)vp->ops->n_queues);
	for (q = 0; q < vp->ops->n_queues; q++) {
		virtq_save(&vp->vq[q], out);
		snap_put_u16(out, vp->vq_vector[q]);
	}
	msix_save(&vp->msix, out);
	if (snap_out_error(out))
		return snap_out_error(out);
	if (vp->ops->save)
		return vp->ops->save(vp, out);
	return 0;
}

static bool vector_ok(const struct virtio_pci *vp, uint16_t v)
{
	return v == VIRTIO_NO_VECTOR || v < vp->msix.n;
}

/* FEATURES_OK sticks only on features the device offers, VERSION_1 among
 * them, and the driver cannot change them afterwards. */
static bool features_ok(const struct virtio_pci *vp)
{
	uint64_t offered = VIRTIO_F_VERSION_1 | vp->ops->features;

	if (!(vp->status & VIRTIO_STATUS_FEATURES_OK))
		return true;
	return (vp->drv_features & VIRTIO_F_VERSION_1) && !(vp->drv_features & ~offered);
}

static void load_common(struct virtio_pci *vp, uint8_t *intx, struct snap_in *in)
{
	vp->status = snap_get_u8(in);
	vp->config_gen = snap_get_u8(in);
	vp->isr = snap_get_u8(in);
	if (vp->isr & ~ISR_BITS)
		snap_in_fail(in, "an ISR with bits other than queue (1) and config (2)");
	*intx = snap_get_u8(in);
	if (*intx > 1)
		snap_in_fail(in, "an INTx level other than 0 or 1");
	vp->drv_features = snap_get_u64(in);
	if (!features_ok(vp))
		snap_in_fail(in, "features accepted (FEATURES_OK) that the device does "
			     "not offer, or without VERSION_1");
	vp->dev_feature_sel = snap_get_u32(in);
	vp->drv_feature_sel = snap_get_u32(in);
	vp->msix_config = snap_get_u16(in);
	if (!vector_ok(vp, vp->msix_config))
		snap_in_fail(in, "a config vector beyond the MSI-X table");
	vp->queue_sel = snap_get_u16(in);
	vp->broken = snap_get_u64(in);
}

static void load_queues(struct virtio_pci *vp, struct snap_in *in)
{
	const struct guest_mem *gm = vp->vm ? &vp->vm->mem : NULL;
	unsigned q, n = snap_get_u8(in);

	if (n != vp->ops->n_queues)
		snap_in_fail(in, "another number of queues than this device has");
	for (q = 0; q < vp->ops->n_queues && !snap_in_failed(in); q++) {
		virtq_load(&vp->vq[q], gm, in);
		vp->vq_vector[q] = snap_get_u16(in);
		if (!vector_ok(vp, vp->vq_vector[q]))
			snap_in_fail(in, "a queue vector beyond the MSI-X table");
	}
}

/* The line to the saved level whatever it was, and the status bit with it. */
static void drive_intx(struct virtio_pci *vp, bool level)
{
	vp->intx_level = level;
	if (vp->vm)
		irq_line(vp->vm->vm_fd, pci_intx_gsi((unsigned)vp->pci.slot, 0), level);
	if (level)
		vp->pci.cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		vp->pci.cfg[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
}

int virtio_pci_load(struct pci_device *d, struct snap_in *in)
{
	struct virtio_pci *vp = d->opaque;
	uint8_t intx = 0;

	load_common(vp, &intx, in);
	if (!snap_in_failed(in))
		load_queues(vp, in);
	if (!snap_in_failed(in) &&
	    !(vp->pci.cfg[PCI_STATUS] & PCI_STATUS_INTERRUPT) != !intx)
		snap_in_fail(in, "an INTx level other than the PCI status bit's");
	if (snap_in_failed(in) || msix_load(&vp->msix, in))
		return -1;
	drive_intx(vp, intx);
	if (vp->ops->load && vp->ops->load(vp, in))
		return -1;
	return snap_in_failed(in) ? -1 : 0;
}
