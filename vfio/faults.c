/* When a passed-through device goes away under the guest. vfio-pci signals
 * the request interrupt (VFIO_PCI_REQ_IRQ_INDEX) when the host wants the
 * device back (it is being unbound or hot-removed) and the error interrupt
 * (VFIO_PCI_ERR_IRQ_INDEX) on an uncorrectable AER error; a device that has
 * vanished reads all-ones. Each is reported once, in one line naming the
 * device, and stops the guest (exit code 1): conduit never keeps running a
 * guest against a device that is not there, and never loops on it. */
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

void vfio_device_gone(struct vfio_pci *v, const char *why)
{
	if (v->gone)
		return;
	v->gone = true;
	vdev_pr(LOG_ERROR, v, "%s: stopping the guest", why);
	vm_request_exit(v->vm, EXIT_ERROR);
}

static void req_ready(void *opaque, int fd)
{
	struct vfio_pci *v = opaque;
	uint64_t cnt;

	if (read(fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return;
	vfio_device_gone(v, "the host asked for the device back (it is being unbound or removed)");
}

static void err_ready(void *opaque, int fd)
{
	struct vfio_pci *v = opaque;
	uint64_t cnt;

	if (read(fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return;
	vfio_device_gone(v, "the device reported an uncorrectable error (AER)");
}

/* An eventfd on irq index, watched by the event loop; -1 when the device
 * has no such interrupt or the host cannot set it up (not an error). */
static int watch(struct vfio_pci *v, uint32_t index, event_fn fn)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = index };
	int efd, ret;

	if (!v->vm->loop || ioctl(v->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0 || ii.count < 1)
		return -1;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = vfio_set_irqs(v->fd, index, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd);
	if (!ret && event_loop_add(v->vm->loop, efd, fn, v))
		ret = -ENOSPC;
	if (!ret)
		return efd;
	close(efd);
fail:
	vdev_pr(LOG_DEBUG, v, "not watching interrupt index %u: %s", index, strerror(-ret));
	return -1;
}

void vfio_faults_init(struct vfio_pci *v)
{
	v->req_efd = watch(v, VFIO_PCI_REQ_IRQ_INDEX, req_ready);
	v->err_efd = watch(v, VFIO_PCI_ERR_IRQ_INDEX, err_ready);
}

static void unwatch(struct vfio_pci *v, uint32_t index, int *efd)
{
	if (*efd < 0)
		return;
	vfio_set_irqs(v->fd, index, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	if (v->vm->loop)
		event_loop_remove(v->vm->loop, *efd);
	close(*efd);
	*efd = -1;
}

void vfio_faults_cleanup(struct vfio_pci *v)
{
	unwatch(v, VFIO_PCI_REQ_IRQ_INDEX, &v->req_efd);
	unwatch(v, VFIO_PCI_ERR_IRQ_INDEX, &v->err_efd);
}
