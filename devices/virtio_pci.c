/* The virtio 1.x modern PCI transport (virtio spec 4.1). BAR0 holds the
 * common config, ISR, device config, notify area and the MSI-X table/PBA;
 * five vendor capabilities point at them. Queue kicks arrive on ioeventfds
 * registered at the notify addresses, interrupts leave through one irqfd per
 * MSI-X vector (or INTx when the driver does not enable MSI-X). Every field
 * the driver writes is checked: queue sizes, vector numbers, ring addresses
 * and feature bits. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "../vmm/event_loop.h"
#include "../vmm/log.h"
#include "../vmm/vm.h"
#include "virtio_pci.h"


enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4 };

static void add_virtio_cap(struct pci_device *d, uint8_t type, uint32_t off,
			   uint32_t len, bool notify)
{
	unsigned c = pci_add_cap(d, PCI_CAP_ID_VNDR, notify ? 20 : 16);

	if (!c)
		return;
	d->cfg[c + 2] = notify ? 20 : 16;
	d->cfg[c + 3] = type;
	d->cfg[c + 4] = 0;              /* BAR0 */
	memcpy(d->cfg + c + 8, &off, 4);
	memcpy(d->cfg + c + 12, &len, 4);
	if (notify)
		memcpy(d->cfg + c + 16, &(uint32_t){ VIRTIO_NOTIFY_MULT }, 4);
}

static uint64_t device_features(const struct virtio_pci *vp)
{
	return VIRTIO_F_VERSION_1 | vp->ops->features;
}

static void set_intx(struct virtio_pci *vp, bool level)
{
	if (level == vp->intx_level)
		return;
	vp->intx_level = level;
	if (vp->vm)
		irq_line(vp->vm->vm_fd, pci_intx_gsi((unsigned)vp->pci.slot, 0), level);
	if (level)
		vp->pci.cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		vp->pci.cfg[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
}

static void signal_vector(struct virtio_pci *vp, uint16_t vec)
{
	if (!msix_enabled(&vp->msix)) {
		if (!(vp->pci.cfg[PCI_COMMAND + 1] & (PCI_COMMAND_INTX_DISABLE >> 8)))
			set_intx(vp, true);
		return;
	}
	if (vec == VIRTIO_NO_VECTOR || !msix_fire(&vp->msix, vec))
		return;
	if (vp->vm && irq_vector_signal(&vp->vec[vec]))
		pr_debug("%s: irqfd write: %s", vp->ops->name, strerror(errno));
}

void virtio_pci_signal_queue(struct virtio_pci *vp, unsigned q)
{
	if (q >= vp->ops->n_queues || !vp->vq[q].ready || !virtq_needs_interrupt(&vp->vq[q]))
		return;
	vp->isr |= 1;
	signal_vector(vp, vp->vq_vector[q]);
}

static void signal_config(struct virtio_pci *vp)
{
	vp->isr |= 2;
	signal_vector(vp, vp->msix_config);
}

bool virtio_pci_queue_live(const struct virtio_pci *vp, unsigned q)
{
	return q < vp->ops->n_queues && vp->vq[q].ready &&
	       (vp->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(vp->status & VIRTIO_STATUS_NEEDS_RESET);
}

void virtio_pci_queue_broken(struct virtio_pci *vp, unsigned q, const char *why)
{
	pr_warn("%s: guest broke queue %u: %s; device needs reset", vp->ops->name,
		q, why);
	vp->broken++;
	vp->vq[q].ready = false;
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	signal_config(vp);
}

static void reset(struct virtio_pci *vp)
{
	unsigned q;

	vp->status = 0;
	vp->drv_features = 0;
	vp->dev_feature_sel = vp->drv_feature_sel = 0;
	vp->queue_sel = 0;
	vp->msix_config = VIRTIO_NO_VECTOR;
	vp->isr = 0;
	set_intx(vp, false);
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		virtq_reset(&vp->vq[q]);
		vp->vq_vector[q] = VIRTIO_NO_VECTOR;
	}
	if (vp->ops->reset)
		vp->ops->reset(vp);
}

/* Common configuration (virtio 4.1.4.3), laid out as the spec's struct. */
static void common_image(const struct virtio_pci *vp, uint8_t img[VIRTIO_COMMON_LEN])
{
	const struct virtq *vq = vp->queue_sel < vp->ops->n_queues ?
				 &vp->vq[vp->queue_sel] : NULL;
	uint64_t f = device_features(vp);
	uint32_t feat = vp->dev_feature_sel == 0 ? (uint32_t)f :
			vp->dev_feature_sel == 1 ? (uint32_t)(f >> 32) : 0;
	uint32_t drv = vp->drv_feature_sel == 0 ? (uint32_t)vp->drv_features :
		       vp->drv_feature_sel == 1 ? (uint32_t)(vp->drv_features >> 32) : 0;
	uint16_t nq = (uint16_t)vp->ops->n_queues;
	uint16_t qsize = vq ? vq->size : 0, qvec = vq ? vp->vq_vector[vp->queue_sel] :
			 VIRTIO_NO_VECTOR;
	uint16_t qen = vq ? vq->ready : 0, qnoff = vq ? vp->queue_sel : 0;
	uint64_t z = 0;

	memset(img, 0, VIRTIO_COMMON_LEN);
	memcpy(img + 0x00, &vp->dev_feature_sel, 4);
	memcpy(img + 0x04, &feat, 4);
	memcpy(img + 0x08, &vp->drv_feature_sel, 4);
	memcpy(img + 0x0c, &drv, 4);
	memcpy(img + 0x10, &vp->msix_config, 2);
	memcpy(img + 0x12, &nq, 2);
	img[0x14] = vp->status;
	img[0x15] = vp->config_gen;
	memcpy(img + 0x16, &vp->queue_sel, 2);
	memcpy(img + 0x18, &qsize, 2);
	memcpy(img + 0x1a, &qvec, 2);
	memcpy(img + 0x1c, &qen, 2);
	memcpy(img + 0x1e, &qnoff, 2);
	memcpy(img + 0x20, vq ? &vq->desc_gpa : &z, 8);
	memcpy(img + 0x28, vq ? &vq->avail_gpa : &z, 8);
	memcpy(img + 0x30, vq ? &vq->used_gpa : &z, 8);
}

static void write_status(struct virtio_pci *vp, uint8_t s)
{
	if (s == 0) {
		reset(vp);
		return;
	}
	/* FEATURES_OK only sticks when the driver took VERSION_1 and nothing
	 * the device did not offer. */
	if ((s & VIRTIO_STATUS_FEATURES_OK) && !(vp->status & VIRTIO_STATUS_FEATURES_OK) &&
	    (!(vp->drv_features & VIRTIO_F_VERSION_1) ||
	     (vp->drv_features & ~device_features(vp))))
		s &= ~VIRTIO_STATUS_FEATURES_OK;
	vp->status = s | (vp->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void queue_enable(struct virtio_pci *vp, struct virtq *vq, uint16_t v)
{
	unsigned q = vp->queue_sel;

	if (v != 1 || vq->ready || !vp->vm)
		return;
	if (virtq_enable(vq, &vp->vm->mem)) {
		pr_warn("%s: queue %u: rings outside guest RAM or bad size %u", vp->ops->name,
			q, vq->size);
		vp->broken++;
		vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	}
}

/* Writes outside a field, of the wrong width, or to a read-only field are
 * dropped. 64-bit ring addresses may be written as two 32-bit halves. */
static void common_write(struct virtio_pci *vp, unsigned off, unsigned size, uint64_t v)
{
	struct virtq *vq = vp->queue_sel < vp->ops->n_queues ? &vp->vq[vp->queue_sel] : NULL;
	bool live = vq && !vq->ready;
	uint64_t *ring = NULL;

	switch (off | size << 8) {
	case 0x00 | 4 << 8: vp->dev_feature_sel = (uint32_t)v; return;
	case 0x08 | 4 << 8: vp->drv_feature_sel = (uint32_t)v; return;
	case 0x0c | 4 << 8:
		if (vp->status & VIRTIO_STATUS_FEATURES_OK || vp->drv_feature_sel > 1)
			return;
		if (vp->drv_feature_sel == 0)
			vp->drv_features = (vp->drv_features & ~0xffffffffULL) | (uint32_t)v;
		else
			vp->drv_features = (vp->drv_features & 0xffffffffULL) | v << 32;
		return;
	case 0x10 | 2 << 8:
		vp->msix_config = v < vp->msix.n ? (uint16_t)v : VIRTIO_NO_VECTOR;
		return;
	case 0x14 | 1 << 8: write_status(vp, (uint8_t)v); return;
	case 0x16 | 2 << 8: vp->queue_sel = (uint16_t)v; return;
	case 0x18 | 2 << 8:
		if (live && v && v <= VIRTQ_MAX_SIZE && !(v & (v - 1)))
			vq->size = (uint16_t)v;
		return;
	case 0x1a | 2 << 8:
		if (vq)
			vp->vq_vector[vp->queue_sel] = v < vp->msix.n ? (uint16_t)v :
						       VIRTIO_NO_VECTOR;
		return;
	case 0x1c | 2 << 8:
		if (vq)
			queue_enable(vp, vq, (uint16_t)v);
		return;
	}
	if (!live || off < 0x20 || off >= 0x38 || (size != 4 && size != 8) || off % size)
		return;
	ring = off < 0x28 ? &vq->desc_gpa : off < 0x30 ? &vq->avail_gpa : &vq->used_gpa;
	if (size == 8)
		*ring = v;
	else if (off % 8 == 0)
		*ring = (*ring & ~0xffffffffULL) | (uint32_t)v;
	else
		*ring = (*ring & 0xffffffffULL) | v << 32;
}

static bool in(uint64_t off, unsigned size, uint64_t base, uint64_t len)
{
	return off >= base && off - base < len && size <= len - (off - base);
}

uint64_t virtio_pci_bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_pci *vp = opaque;
	uint8_t img[VIRTIO_COMMON_LEN];
	uint64_t v = 0;

	if (in(off, size, VIRTIO_COMMON_OFF, VIRTIO_COMMON_LEN)) {
		common_image(vp, img);
		memcpy(&v, img + off, size);
	} else if (in(off, size, VIRTIO_ISR_OFF, 1)) {
		v = vp->isr;
		vp->isr = 0;
		set_intx(vp, false);
	} else if (in(off, size, VIRTIO_DEVCFG_OFF, vp->ops->config_len)) {
		memcpy(&v, vp->config + (off - VIRTIO_DEVCFG_OFF), size);
	} else if (in(off, size, VIRTIO_MSIX_OFF, (uint64_t)vp->msix.n * MSIX_ENTRY_SIZE)) {
		v = msix_table_read(&vp->msix, off - VIRTIO_MSIX_OFF, size);
	} else if (in(off, size, VIRTIO_PBA_OFF, 8)) {
		v = msix_pba_read(&vp->msix, off - VIRTIO_PBA_OFF, size);
	}
	return v;
}

void virtio_pci_bar_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct virtio_pci *vp = opaque;

	if (in(off, size, VIRTIO_COMMON_OFF, VIRTIO_COMMON_LEN)) {
		common_write(vp, (unsigned)off, size, v);
	} else if (in(off, size, VIRTIO_NOTIFY_OFF,
		      (uint64_t)vp->ops->n_queues * VIRTIO_NOTIFY_MULT)) {
		unsigned q = (unsigned)(off - VIRTIO_NOTIFY_OFF) / VIRTIO_NOTIFY_MULT;

		if (virtio_pci_queue_live(vp, q))
			vp->ops->notify(vp, q);
	} else if (in(off, size, VIRTIO_MSIX_OFF, (uint64_t)vp->msix.n * MSIX_ENTRY_SIZE)) {
		msix_table_write(&vp->msix, off - VIRTIO_MSIX_OFF, size, v);
	}
}

static void vector_changed(struct msix *m, unsigned vec)
{
	struct virtio_pci *vp = m->opaque;

	if (!vp->vm)
		return;
	if (!msix_enabled(m) || msix_masked(m, vec))
		return;
	if (irq_msi_set(&vp->vm->irq, vp->vec[vec].gsi, msix_address(m, vec),
			m->table[vec].data, pci_requester_id(&vp->pci)))
		pr_debug("%s: vector %u has no valid MSI address", vp->ops->name, vec);
	if (msix_take_pending(m, vec) && irq_vector_signal(&vp->vec[vec]))
		pr_debug("%s: irqfd write: %s", vp->ops->name, strerror(errno));
}

static int ioeventfds(struct virtio_pci *vp, uint64_t bar, bool assign)
{
	unsigned q;

	for (q = 0; q < vp->ops->n_queues; q++) {
		struct kvm_ioeventfd e = {
			.addr = bar + VIRTIO_NOTIFY_OFF + q * VIRTIO_NOTIFY_MULT,
			.len = 2,
			.fd = vp->notify_efd[q],
			.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
		};

		if (ioctl(vp->vm->vm_fd, KVM_IOEVENTFD, &e) < 0 && assign)
			return -errno;
	}
	return 0;
}

static void bar_map(struct pci_device *d, int bar, uint64_t addr)
{
	struct virtio_pci *vp = d->opaque;

	if (bar == 0 && vp->vm && ioeventfds(vp, addr, true))
		pr_warn("%s: ioeventfd registration failed; kicks will trap", vp->ops->name);
}

static void bar_unmap(struct pci_device *d, int bar, uint64_t addr)
{
	struct virtio_pci *vp = d->opaque;

	if (bar == 0 && vp->vm)
		ioeventfds(vp, addr, false);
}

static void cfg_write(struct pci_device *d, unsigned off, unsigned size, uint32_t val)
{
	struct virtio_pci *vp = d->opaque;

	pci_cfg_write(d, off, size, val);
	msix_config_written(&vp->msix, off, size);
}

static void teardown(struct pci_device *d)
{
	virtio_pci_cleanup(d->opaque);
}

/* What the PCI bus calls for a virtio device. */
static const struct pci_device_ops virtio_pci_ops = {
	.kind = "virtio-pci",
	.cfg_write = cfg_write,
	.bar_map = bar_map,
	.bar_unmap = bar_unmap,
	.teardown = teardown,
	.save = virtio_pci_save,
	.load = virtio_pci_load,
};

int virtio_pci_init(struct virtio_pci *vp, struct vm *vm,
		    const struct virtio_device_ops *ops, void *dev, uint8_t *config)
{
	unsigned q, n_vec = ops->n_queues + 1;
	struct pci_device *d = &vp->pci;

	memset(vp, 0, sizeof(*vp));
	if (ops->n_queues > VIRTIO_MAX_QUEUES)
		return -EINVAL;
	vp->vm = vm;
	vp->ops = ops;
	vp->dev = dev;
	vp->config = config;
	for (q = 0; q < VIRTIO_MAX_QUEUES + 1; q++)
		vp->vec[q].efd = -1;
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++)
		vp->notify_efd[q] = -1;
	pci_device_init(d, ops->name, VIRTIO_PCI_VENDOR,
			VIRTIO_PCI_DEVICE_BASE + ops->device_id, VIRTIO_PCI_CLASS, 1);
	d->cfg[PCI_SUBSYSTEM_VENDOR_ID] = VIRTIO_PCI_VENDOR & 0xff;
	d->cfg[PCI_SUBSYSTEM_VENDOR_ID + 1] = VIRTIO_PCI_VENDOR >> 8;
	d->cfg[PCI_SUBSYSTEM_ID] = (uint8_t)ops->device_id;
	d->cfg[PCI_INTERRUPT_PIN] = 1;
	d->opaque = vp;
	d->ops = &virtio_pci_ops;
	pci_device_set_bar(d, 0, VIRTIO_BAR_SIZE, 0, virtio_pci_bar_read,
			   virtio_pci_bar_write, vp);
	if (msix_init(&vp->msix, d, n_vec, 0, VIRTIO_MSIX_OFF, VIRTIO_PBA_OFF))
		return -EINVAL;
	vp->msix.vector_changed = vector_changed;
	vp->msix.opaque = vp;
	add_virtio_cap(d, CAP_COMMON, VIRTIO_COMMON_OFF, VIRTIO_COMMON_LEN, false);
	add_virtio_cap(d, CAP_NOTIFY, VIRTIO_NOTIFY_OFF,
		       ops->n_queues * VIRTIO_NOTIFY_MULT, true);
	add_virtio_cap(d, CAP_ISR, VIRTIO_ISR_OFF, 1, false);
	add_virtio_cap(d, CAP_DEVICE, VIRTIO_DEVCFG_OFF, ops->config_len, false);
	reset(vp);
	return 0;
}

static void notify_ready(void *opaque, int fd)
{
	struct virtio_pci *vp = opaque;
	uint64_t cnt;
	unsigned q;

	if (read(fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return;
	pthread_mutex_lock(&devices_lock);
	for (q = 0; q < vp->ops->n_queues; q++)
		if (vp->notify_efd[q] == fd && virtio_pci_queue_live(vp, q))
			vp->ops->notify(vp, q);
	pthread_mutex_unlock(&devices_lock);
}

int virtio_pci_plug(struct virtio_pci *vp, struct pci_bus *bus)
{
	struct vm *vm = vp->vm;
	unsigned q;
	int slot;

	for (q = 0; q < vp->msix.n; q++) {
		if (irq_vector_init(&vm->irq, &vp->vec[q]) ||
		    irq_vector_set_live(vm->vm_fd, &vp->vec[q], true))
			return -1;
	}
	for (q = 0; q < vp->ops->n_queues; q++) {
		vp->notify_efd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vp->notify_efd[q] < 0 ||
		    event_loop_add(vm->loop, vp->notify_efd[q], notify_ready, vp))
			return -1;
	}
	slot = pci_bus_add(bus, &vp->pci);
	if (slot < 0)
		return -1;
	vp->pci.cfg[PCI_INTERRUPT_LINE] = (uint8_t)pci_intx_gsi((unsigned)slot, 0);
	return 0;
}

void virtio_pci_cleanup(struct virtio_pci *vp)
{
	unsigned q;

	for (q = 0; q < VIRTIO_MAX_QUEUES + 1; q++) {
		irq_vector_release(vp->vm ? &vp->vm->irq : NULL, &vp->vec[q]);
	}
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (vp->notify_efd[q] >= 0)
			close(vp->notify_efd[q]);
		vp->notify_efd[q] = -1;
	}
}

void virtio_pci_modaliases(unsigned device_id, char *pci, size_t pci_len,
			   char *virtio, size_t virtio_len)
{
	snprintf(pci, pci_len, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
		 VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BASE + device_id, VIRTIO_PCI_VENDOR,
		 device_id, VIRTIO_PCI_CLASS >> 16, (VIRTIO_PCI_CLASS >> 8) & 0xff,
		 VIRTIO_PCI_CLASS & 0xff);
	snprintf(virtio, virtio_len, "virtio:d%08Xv%08X", device_id, VIRTIO_PCI_VENDOR);
}

void virtio_pci_kick_all(struct pci_device *d)
{
	struct virtio_pci *vp = d->opaque;
	unsigned q;

	for (q = 0; q < vp->ops->n_queues; q++)
		if (virtio_pci_queue_live(vp, q))
			vp->ops->notify(vp, q);
}
