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
#include "helpers.h"
#include "vfio_pci.h"

/* The guest's EOI (the resample eventfd fired): unmask the device's INTx
 * from here, for a device that takes no unmask eventfd. */
static void intx_resample_ready(void *opaque, int fd)
{
	struct vfio_pci *v = opaque;
	uint64_t cnt;
	int ret;

	if (read(fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return;
	if (!v->intx_on)
		return;
	/* DATA_NONE with count 1: vector 0 unmasked (count 0 would be the
	 * "tear down" form, which mdevs such as mtty refuse for UNMASK). */
	ret = vfio_set_irqs(v->fd, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, NULL);
	if (ret) {
		vdev_pr(LOG_DEBUG, v, "INTx unmask: %s", strerror(-ret));
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
		vdev_pr(LOG_INFO, v, "INTx takes no unmask eventfd: conduit unmasks it at each EOI");
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
		vfio_set_irqs(v->fd, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
		f.flags = KVM_IRQFD_FLAG_DEASSIGN;
		ioctl(v->vm->vm_fd, KVM_IRQFD, &f);
		v->intx_on = false;
		return 0;
	}
	if (ioctl(v->vm->vm_fd, KVM_IRQFD, &f) < 0)
		return -errno;
	ret = vfio_set_irqs(v->fd, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1,
			    &v->intx_efd);
	if (!ret)
		ret = vfio_set_irqs(v->fd, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1,
				    &v->intx_resample);
	if (ret == -ENOTTY)
		ret = intx_unmask_by_hand(v);
	if (ret) {
		/* vfio-pci may have taken the trigger: off again, or a later
		 * MSI or MSI-X enable is refused. */
		vfio_set_irqs(v->fd, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
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

/* Hand vfio-pci the eventfds of n vectors for index (MSI or MSI-X). */
static int vectors_on(struct vfio_pci *v, uint32_t index, const struct irq_vector *vec,
		      unsigned n)
{
	int *fds = calloc(n, sizeof(int));
	unsigned i;
	int ret;

	if (!fds)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		fds[i] = vec[i].efd;
	ret = vfio_set_irqs(v->fd, index, VFIO_IRQ_SET_ACTION_TRIGGER, 0, n, fds);
	free(fds);
	return ret;
}

static int msix_enable(struct vfio_pci *v, bool on)
{
	int ret;

	if (on == v->msix_on)
		return 0;
	if (on && v->msi_nvec) {
		vdev_pr(LOG_DEBUG, v, "guest enabled MSI-X while MSI is on; ignored");
		return -EBUSY;
	}
	if (on) {
		intx_enable(v, false);
		ret = vectors_on(v, VFIO_PCI_MSIX_IRQ_INDEX, v->msix_vec, v->msix.n);
		if (ret) {
			vdev_pr(LOG_ERROR, v, "enabling MSI-X: %s", strerror(-ret));
			intx_update(v);
			return ret;
		}
	} else {
		vfio_set_irqs(v->fd, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	}
	v->msix_on = on;
	intx_update(v);
	vdev_pr(LOG_DEBUG, v, "MSI-X %s", on ? "on" : "off");
	return 0;
}

/* One MSI or MSI-X vector: route it to addr/data and attach its irqfd when
 * it should be live (enabled, unmasked, a valid MSI address), else detach
 * the irqfd so signals wait in the eventfd. A pending bit the guest saw
 * (take_pending) is signalled again once live: the one relay through
 * conduit. */
static void vector_update(struct vfio_pci *v, unsigned n, struct irq_vector *vec, bool live,
			  uint64_t addr, uint32_t data, bool (*take_pending)(void *, unsigned),
			  void *state)
{
	if (live && irq_msi_set(&v->vm->irq, vec->gsi, addr, data, pci_requester_id(&v->pci))) {
		vdev_pr(LOG_DEBUG, v, "vector %u has no valid MSI address", n);
		live = false;
	}
	irq_vector_set_live(v->vm->vm_fd, vec, live);
	if (vec->live && take_pending(state, n) && !irq_vector_signal(vec))
		v->stats.relayed_irqs++;
}

static bool msix_pending(void *m, unsigned n)
{
	return msix_take_pending(m, n);
}

static bool msi_pending(void *m, unsigned n)
{
	return msi_take_pending(m, n);
}

static void msix_vector_changed(struct msix *m, unsigned n)
{
	struct vfio_pci *v = m->opaque;

	if (msix_enable(v, msix_enabled(m)))
		return;
	vector_update(v, n, &v->msix_vec[n], msix_enabled(m) && !msix_masked(m, n),
		      msix_address(m, n), m->table[n].data, msix_pending, m);
}

/* For a PBA read: move signals waiting in masked vectors' eventfds into
 * the pending bits. */
void vfio_msix_sync_pending(struct vfio_pci *v)
{
	unsigned i;

	for (i = 0; i < v->msix.n; i++)
		if (irq_vector_take_signal(&v->msix_vec[i]))
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
		vdev_pr(LOG_DEBUG, v, "guest enabled MSI while MSI-X is on; ignored");
		return -EBUSY;
	}
	if (v->msi_nvec) {
		for (i = 0; i < v->msi_nvec; i++)
			irq_vector_set_live(v->vm->vm_fd, &v->msi_vec[i], false);
		vfio_set_irqs(v->fd, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
		v->msi_nvec = 0;
	}
	if (nvec) {
		intx_enable(v, false);
		ret = vectors_on(v, VFIO_PCI_MSI_IRQ_INDEX, v->msi_vec, nvec);
		if (ret) {
			vdev_pr(LOG_ERROR, v, "enabling %u MSI vector(s): %s",
				nvec, strerror(-ret));
			intx_update(v);
			return ret;
		}
		v->msi_nvec = nvec;
	}
	intx_update(v);
	vdev_pr(LOG_DEBUG, v, "MSI %s (%u vectors)", nvec ? "on" : "off", nvec);
	return 0;
}

static void msi_changed(struct msi *m)
{
	struct vfio_pci *v = m->opaque;
	unsigned i;

	v->stats.msi_updates++;
	if (msi_set_count(v, msi_enabled(m) ? msi_vectors(m) : 0))
		return;
	for (i = 0; i < v->msi_nvec; i++)
		vector_update(v, i, &v->msi_vec[i], !msi_masked(m, i), msi_address(m),
			      msi_data(m, i), msi_pending, m);
}

/* For a read of the pending bits: signals held in masked vectors'
 * eventfds become pending bits. */
void vfio_msi_sync_pending(struct vfio_pci *v)
{
	unsigned i;

	for (i = 0; i < v->msi_nvec; i++)
		if (irq_vector_take_signal(&v->msi_vec[i]))
			msi_set_pending(&v->msi, i);
}

/* n vectors, each with its eventfd and GSI. */
static int vectors_init(struct vfio_pci *v, struct irq_vector *vec, unsigned n)
{
	unsigned i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = irq_vector_init(&v->vm->irq, &vec[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static int init_intx(struct vfio_pci *v)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_INTX_IRQ_INDEX };
	uint8_t pin = v->pci.cfg[PCI_INTERRUPT_PIN];

	v->intx_efd = v->intx_resample = -1;
	if (!pin || pin > 4 || ioctl(v->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0 || !ii.count)
		return 0;
	v->intx_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->intx_resample = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->intx_efd < 0 || v->intx_resample < 0)
		return -errno;
	v->intx_gsi = pci_intx_gsi((unsigned)v->pci.slot, pin - 1U);
	v->pci.cfg[PCI_INTERRUPT_LINE] = (uint8_t)v->intx_gsi;
	return intx_enable(v, true);
}

void vfio_irqs_prepare(struct vfio_pci *v)
{
	unsigned i;

	for (i = 0; i < MSI_MAX_VECTORS; i++)
		v->msi_vec[i].efd = -1;
	v->intx_efd = v->intx_resample = -1;
}

int vfio_irqs_init(struct vfio_pci *v, char *err, size_t errlen)
{
	unsigned i, n = v->msix.n;
	int ret;

	if (n) {
		v->msix_vec = calloc(n, sizeof(*v->msix_vec));
		if (!v->msix_vec) {
			vdev_errmsg(v, err, errlen, "out of memory for %u MSI-X vectors", n);
			return -1;
		}
		for (i = 0; i < n; i++)
			v->msix_vec[i].efd = -1;
		ret = vectors_init(v, v->msix_vec, n);
		if (ret) {
			vdev_errmsg(v, err, errlen, "cannot set up %u MSI-X vectors: %s", n,
				 strerror(-ret));
			return -1;
		}
		v->msix.vector_changed = msix_vector_changed;
		v->msix.opaque = v;
	}
	if (v->msi.dev) {
		ret = vectors_init(v, v->msi_vec, v->msi.max);
		if (ret) {
			vdev_errmsg(v, err, errlen, "cannot set up %u MSI vectors: %s",
				    v->msi.max, strerror(-ret));
			return -1;
		}
		v->msi.changed = msi_changed;
		v->msi.opaque = v;
	}
	ret = init_intx(v);
	if (ret) {
		vdev_errmsg(v, err, errlen, "INTx setup: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

void vfio_irqs_cleanup(struct vfio_pci *v)
{
	unsigned i;

	if (v->msix_on)
		vfio_set_irqs(v->fd, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	v->msix_on = false;
	msi_set_count(v, 0);
	intx_enable(v, false);
	for (i = 0; i < MSI_MAX_VECTORS; i++)
		irq_vector_release(&v->vm->irq, &v->msi_vec[i]);
	for (i = 0; v->msix_vec && i < v->msix.n; i++)
		irq_vector_release(&v->vm->irq, &v->msix_vec[i]);
	free(v->msix_vec);
	v->msix_vec = NULL;
	if (v->intx_efd >= 0)
		close(v->intx_efd);
	if (v->intx_watched)
		event_loop_remove(v->vm->loop, v->intx_resample);
	v->intx_watched = false;
	if (v->intx_resample >= 0)
		close(v->intx_resample);
	v->intx_efd = v->intx_resample = -1;
}
