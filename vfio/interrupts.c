/* A passed-through device's interrupts, delivered without waking conduit.
 * MSI-X: each vector has an eventfd that vfio-pci signals
 * (VFIO_DEVICE_SET_IRQS) and KVM consumes through an irqfd on the vector's
 * MSI route. A masked vector has its irqfd detached, so the device's
 * signals collect in the eventfd counter: that is the pending bit. On
 * unmask the irqfd is attached again and KVM injects what is pending at
 * once. An address/data change rewrites the route. MSI works the same way
 * with up to 32 vectors, its mask and pending bits in the capability.
 * INTx: an eventfd plus a resample eventfd (KVM_IRQFD_FLAG_RESAMPLE) on the
 * IOAPIC pin of the device's slot, used while MSI and MSI-X are off. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "../vmm/event_loop.h"
#include "../vmm/log.h"
#include "../vmm/vm.h"
#include "vfio_pci.h"

static int set_irqs(struct vfio_pci *v, uint32_t index, uint32_t action,
		    const int *fds, uint32_t count)
{
	size_t sz = sizeof(struct vfio_irq_set) + count * sizeof(int);
	struct vfio_irq_set *s = calloc(1, sz);
	int ret;

	if (!s)
		return -ENOMEM;
	s->argsz = (uint32_t)sz;
	s->flags = (count ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE) | action;
	s->index = index;
	s->start = 0;
	s->count = count;
	if (count)
		memcpy(s->data, fds, count * sizeof(int));
	ret = ioctl(v->fd, VFIO_DEVICE_SET_IRQS, s) < 0 ? -errno : 0;
	free(s);
	return ret;
}

/* The guest's EOI (the resample eventfd fired): unmask the device's INTx
 * from here, for a device that takes no unmask eventfd. */
static void intx_resample_ready(void *opaque, int fd)
{
	/* DATA_NONE with count 1: vector 0 unmasked (count 0 would be the
	 * "tear down" form, which mdevs such as mtty refuse for UNMASK). */
	struct vfio_irq_set unmask = {
		.argsz = sizeof(unmask), .index = VFIO_PCI_INTX_IRQ_INDEX,
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
		.start = 0, .count = 1,
	};
	struct vfio_pci *v = opaque;
	uint64_t cnt;

	if (read(fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return;
	if (!v->intx_on)
		return;
	if (ioctl(v->fd, VFIO_DEVICE_SET_IRQS, &unmask) < 0) {
		pr_debug("%s: INTx unmask: %s", v->bdf, strerror(errno));
		return;
	}
	v->stats.intx_unmasks++;
}

/* A device that masks its INTx when it fires but cannot be unmasked by an
 * eventfd (mdevs such as mtty answer ENOTTY): conduit watches the resample
 * eventfd and unmasks with VFIO_IRQ_SET_DATA_NONE, one wake-up per EOI (the
 * interrupt itself still reaches the guest through the irqfd). */
static int intx_unmask_by_hand(struct vfio_pci *v)
{
	if (!v->vm->loop)
		return -ENOTTY;
	if (!v->intx_watched) {
		if (event_loop_add(v->vm->loop, v->intx_resample, intx_resample_ready, v))
			return -ENOSPC;
		v->intx_watched = true;
		pr_info("%s: INTx takes no unmask eventfd: conduit unmasks it at each EOI", v->bdf);
	}
	return 0;
}

static int intx_enable(struct vfio_pci *v, bool on)
{
	struct kvm_irqfd f = {
		.fd = (uint32_t)v->intx_efd, .gsi = v->intx_gsi,
		.flags = KVM_IRQFD_FLAG_RESAMPLE, .resamplefd = (uint32_t)v->intx_resample,
	};
	int ret;

	if (v->intx_efd < 0 || on == v->intx_on)
		return 0;
	if (!on) {
		set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0);
		f.flags = KVM_IRQFD_FLAG_DEASSIGN;
		ioctl(v->vm->vm_fd, KVM_IRQFD, &f);
		v->intx_on = false;
		return 0;
	}
	if (ioctl(v->vm->vm_fd, KVM_IRQFD, &f) < 0)
		return -errno;
	ret = set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, &v->intx_efd, 1);
	if (!ret)
		ret = set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK,
			       &v->intx_resample, 1);
	if (ret == -ENOTTY)
		ret = intx_unmask_by_hand(v);
	if (ret) {
		f.flags = KVM_IRQFD_FLAG_DEASSIGN;
		ioctl(v->vm->vm_fd, KVM_IRQFD, &f);
		return ret;
	}
	v->intx_on = true;
	return 0;
}

/* INTx is live exactly while neither MSI nor MSI-X is. */
static void intx_update(struct vfio_pci *v)
{
	intx_enable(v, !v->msix_on && !v->msi_nvec);
}

static int msix_enable(struct vfio_pci *v, bool on)
{
	int ret;

	if (on == v->msix_on)
		return 0;
	if (on && v->msi_nvec) {
		pr_debug("%s: guest enabled MSI-X while MSI is on; ignored", v->bdf);
		return -EBUSY;
	}
	if (on) {
		intx_enable(v, false);
		ret = set_irqs(v, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			       v->vec_efd, v->msix.n);
		if (ret) {
			pr_err("%s: enabling MSI-X: %s", v->bdf, strerror(-ret));
			intx_update(v);
			return ret;
		}
	} else {
		set_irqs(v, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0);
	}
	v->msix_on = on;
	intx_update(v);
	pr_debug("%s: MSI-X %s", v->bdf, on ? "on" : "off");
	return 0;
}

static void vector_live(struct vfio_pci *v, int efd, uint32_t gsi, bool *is_live, bool live)
{
	if (live == *is_live)
		return;
	if (irqfd_assign(v->vm->vm_fd, efd, gsi, live) == 0)
		*is_live = live;
}

/* One MSI or MSI-X vector: route it to addr/data and attach its irqfd when
 * it should be live (enabled, unmasked, a valid MSI address), else detach
 * the irqfd so signals wait in the eventfd. Returns whether it is live. */
static bool vector_update(struct vfio_pci *v, unsigned vec, int efd, uint32_t gsi,
			  bool *is_live, bool live, uint64_t addr, uint32_t data)
{
	if (live && irq_msi_set(&v->vm->irq, gsi, addr, data)) {
		pr_debug("%s: vector %u has no valid MSI address", v->bdf, vec);
		live = false;
	}
	vector_live(v, efd, gsi, is_live, live);
	return live;
}

/* A pending bit the guest saw was taken out of the eventfd: signal it
 * again now that the vector is live (the one relay through conduit). */
static void relay_pending(struct vfio_pci *v, int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) == sizeof(one))
		v->stats.relayed_irqs++;
}

void vfio_msix_vector_changed(struct msix *m, unsigned vec)
{
	struct vfio_pci *v = m->opaque;
	bool live;

	if (msix_enable(v, msix_enabled(m)))
		return;
	live = msix_enabled(m) && !msix_masked(m, vec);
	live = vector_update(v, vec, v->vec_efd[vec], v->vec_gsi[vec], &v->vec_live[vec],
			     live, msix_address(m, vec), m->table[vec].data);
	if (live && msix_take_pending(m, vec))
		relay_pending(v, v->vec_efd[vec]);
}

/* For a PBA read: move signals waiting in masked vectors' eventfds into
 * the pending bits. */
void vfio_msix_sync_pending(struct vfio_pci *v)
{
	uint64_t cnt;
	unsigned i;

	for (i = 0; i < v->msix.n; i++)
		if (!v->vec_live[i] && read(v->vec_efd[i], &cnt, sizeof(cnt)) == sizeof(cnt))
			msix_set_pending(&v->msix, i);
}

/* vfio-pci's MSI vectors: nvec eventfds, or none (0). A change of count
 * goes through off, as vfio-pci requires. */
static int msi_set_count(struct vfio_pci *v, unsigned nvec)
{
	unsigned i;
	int ret;

	if (nvec == v->msi_nvec)
		return 0;
	if (nvec && v->msix_on) {
		pr_debug("%s: guest enabled MSI while MSI-X is on; ignored", v->bdf);
		return -EBUSY;
	}
	if (v->msi_nvec) {
		for (i = 0; i < v->msi_nvec; i++)
			vector_live(v, v->msi_efd[i], v->msi_gsi[i], &v->msi_live[i], false);
		set_irqs(v, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0);
		v->msi_nvec = 0;
	}
	if (nvec) {
		intx_enable(v, false);
		ret = set_irqs(v, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			       v->msi_efd, nvec);
		if (ret) {
			pr_err("%s: enabling %u MSI vector(s): %s", v->bdf, nvec, strerror(-ret));
			intx_update(v);
			return ret;
		}
		v->msi_nvec = nvec;
	}
	intx_update(v);
	pr_debug("%s: MSI %s (%u vectors)", v->bdf, nvec ? "on" : "off", nvec);
	return 0;
}

void vfio_msi_changed(struct msi *m)
{
	struct vfio_pci *v = m->opaque;
	unsigned i;
	bool live;

	v->stats.msi_updates++;
	if (msi_set_count(v, msi_enabled(m) ? msi_vectors(m) : 0))
		return;
	for (i = 0; i < v->msi_nvec; i++) {
		live = vector_update(v, i, v->msi_efd[i], v->msi_gsi[i], &v->msi_live[i],
				     !msi_masked(m, i), msi_address(m), msi_data(m, i));
		if (live && msi_take_pending(m, i))
			relay_pending(v, v->msi_efd[i]);
	}
}

/* For a read of the pending bits: signals held in masked vectors'
 * eventfds become pending bits. */
void vfio_msi_sync_pending(struct vfio_pci *v)
{
	uint64_t cnt;
	unsigned i;

	for (i = 0; i < v->msi_nvec; i++)
		if (!v->msi_live[i] && read(v->msi_efd[i], &cnt, sizeof(cnt)) == sizeof(cnt))
			msi_set_pending(&v->msi, i);
}

static int init_msi(struct vfio_pci *v)
{
	unsigned i;

	if (!v->msi.dev)
		return 0;
	for (i = 0; i < v->msi.max; i++) {
		v->msi_efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->msi_efd[i] < 0)
			return -errno;
		irq_msi_alloc(&v->vm->irq, &v->msi_gsi[i]);
	}
	v->msi.changed = vfio_msi_changed;
	v->msi.opaque = v;
	return 0;
}

static int init_intx(struct vfio_pci *v)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_INTX_IRQ_INDEX };
	uint8_t pin = v->pci.cfg[PCI_INT_PIN];

	v->intx_efd = v->intx_resample = -1;
	if (!pin || pin > 4 || ioctl(v->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0 || !ii.count)
		return 0;
	v->intx_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->intx_resample = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->intx_efd < 0 || v->intx_resample < 0)
		return -errno;
	v->intx_gsi = pci_intx_gsi((unsigned)v->pci.slot, pin - 1U);
	v->pci.cfg[PCI_INT_LINE] = (uint8_t)v->intx_gsi;
	return intx_enable(v, true);
}

int vfio_irqs_init(struct vfio_pci *v, char *err, size_t errlen)
{
	unsigned i, n = v->msix.n;
	int ret;

	if (n) {
		v->vec_efd = calloc(n, sizeof(int));
		v->vec_gsi = calloc(n, sizeof(uint32_t));
		v->vec_live = calloc(n, sizeof(bool));
		if (!v->vec_efd || !v->vec_gsi || !v->vec_live)
			goto nomem;
		for (i = 0; i < n; i++) {
			v->vec_efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (v->vec_efd[i] < 0)
				goto nomem;
			irq_msi_alloc(&v->vm->irq, &v->vec_gsi[i]);
		}
		v->msix.vector_changed = vfio_msix_vector_changed;
		v->msix.opaque = v;
	}
	ret = init_msi(v);
	if (ret) {
		snprintf(err, errlen, "%s: cannot allocate MSI eventfds: %s", v->bdf, strerror(-ret));
		return -1;
	}
	ret = init_intx(v);
	if (ret) {
		snprintf(err, errlen, "%s: INTx setup: %s", v->bdf, strerror(-ret));
		return -1;
	}
	return 0;
nomem:
	snprintf(err, errlen, "%s: cannot allocate %u MSI-X eventfds: %s", v->bdf, n,
		 strerror(errno));
	return -1;
}

void vfio_irqs_cleanup(struct vfio_pci *v)
{
	unsigned i;

	if (v->msix_on)
		set_irqs(v, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0);
	v->msix_on = false;
	msi_set_count(v, 0);
	intx_enable(v, false);
	for (i = 0; i < MSI_MAX_VECTORS; i++) {
		if (v->msi_efd[i] >= 0)
			close(v->msi_efd[i]);
		v->msi_efd[i] = -1;
	}
	for (i = 0; v->vec_efd && i < v->msix.n; i++) {
		if (v->vec_live && v->vec_live[i])
			irqfd_assign(v->vm->vm_fd, v->vec_efd[i], v->vec_gsi[i], false);
		if (v->vec_efd[i] > 0)
			close(v->vec_efd[i]);
	}
	if (v->intx_efd >= 0)
		close(v->intx_efd);
	if (v->intx_watched)
		event_loop_remove(v->vm->loop, v->intx_resample);
	v->intx_watched = false;
	if (v->intx_resample >= 0)
		close(v->intx_resample);
	v->intx_efd = v->intx_resample = -1;
	free(v->vec_efd);
	free(v->vec_gsi);
	free(v->vec_live);
	v->vec_efd = NULL;
	v->vec_gsi = NULL;
	v->vec_live = NULL;
}
