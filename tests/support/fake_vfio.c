/* The fake vfio-pci device (see fake_vfio.h): its ioctl answers, the
 * SET_IRQS record and the fake IOMMU backend that opens it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "fake_vfio.h"

struct fake_vfio fake_vfio = { .file = -1, .fd = -1, .active = -1, .mig.data_fd = -1,
			       .mig.state = VFIO_DEVICE_STATE_RUNNING };

void fake_vfio_reset(const struct fake_vfio_desc *desc, int file)
{
	void (*misuse)(const char *) = fake_vfio.misuse;

	memset(&fake_vfio, 0, sizeof(fake_vfio));
	if (desc)
		fake_vfio.desc = *desc;
	fake_vfio.file = file;
	fake_vfio.fd = -1;
	fake_vfio.active = -1;
	fake_vfio.misuse = misuse;
	fake_vfio_mig_reset(&fake_vfio.mig);
}

void fake_vfio_clear_log(void)
{
	fake_vfio.n_sets = 0;
	memset(fake_vfio.set, 0, sizeof(fake_vfio.set));
}

static bool matches(const struct fake_vfio_set *s, uint32_t index, uint32_t action)
{
	return s->index == index && (!action || s->action == action);
}

const struct fake_vfio_set *fake_vfio_last_set(uint32_t index, uint32_t action)
{
	unsigned i = fake_vfio.n_sets < FAKE_VFIO_LOG ? fake_vfio.n_sets : FAKE_VFIO_LOG;

	while (i--)
		if (matches(&fake_vfio.set[i], index, action))
			return &fake_vfio.set[i];
	return NULL;
}

unsigned fake_vfio_sets(uint32_t index, uint32_t action)
{
	unsigned i, n = 0;

	for (i = 0; i < fake_vfio.n_sets && i < FAKE_VFIO_LOG; i++)
		n += matches(&fake_vfio.set[i], index, action);
	return n;
}

static int misuse(const char *what)
{
	if (fake_vfio.misuse)
		fake_vfio.misuse(what);
	errno = EINVAL;
	return -1;
}

static int set_irqs(const struct vfio_irq_set *s)
{
	uint32_t data = s->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	uint32_t action = s->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	size_t each = data == VFIO_IRQ_SET_DATA_EVENTFD ? sizeof(int) :
		      data == VFIO_IRQ_SET_DATA_BOOL ? 1 : 0;
	const int *fds = (const int *)s->data;
	struct fake_vfio_set *rec;
	uint32_t i;

	if (s->argsz < sizeof(*s) || s->index >= VFIO_PCI_NUM_IRQS ||
	    (data & (data - 1)) || !data || (action & (action - 1)) || !action ||
	    s->argsz < sizeof(*s) + s->count * each)
		return misuse("VFIO_DEVICE_SET_IRQS: malformed argument");
	if (s->start != 0)
		return misuse("VFIO_DEVICE_SET_IRQS: start is not 0");
	if (data == VFIO_IRQ_SET_DATA_EVENTFD)
		for (i = 0; i < s->count; i++)
			if (fds[i] < 0 || fcntl(fds[i], F_GETFD) < 0)
				return misuse("VFIO_DEVICE_SET_IRQS: not an open eventfd");
	if (fake_vfio.n_sets < FAKE_VFIO_LOG) {
		rec = &fake_vfio.set[fake_vfio.n_sets];
		rec->index = s->index;
		rec->action = action;
		rec->data = data;
		rec->start = s->start;
		rec->count = s->count;
		for (i = 0; data == VFIO_IRQ_SET_DATA_EVENTFD && i < s->count &&
			    i < FAKE_VFIO_LOG_FDS; i++)
			rec->fd[i] = fds[i];
	}
	fake_vfio.n_sets++;
	/* vfio-pci: more vectors than the index has is refused. */
	if (s->count > fake_vfio.desc.irq_count[s->index]) {
		errno = EINVAL;
		return -1;
	}
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER || s->index > VFIO_PCI_MSIX_IRQ_INDEX)
		return 0;
	/* INTx, MSI and MSI-X triggers: one index at a time; switching
	 * another one on while one is on is refused. */
	if (!s->count) {
		if (fake_vfio.active == (int)s->index)
			fake_vfio.active = -1;
		return 0;
	}
	if (fake_vfio.active >= 0 && fake_vfio.active != (int)s->index) {
		errno = EINVAL;
		return -1;
	}
	fake_vfio.active = (int)s->index;
	return 0;
}

static int region_info(struct vfio_region_info *ri)
{
	const struct fake_vfio_region *r;

	if (ri->argsz < sizeof(*ri))
		return misuse("VFIO_DEVICE_GET_REGION_INFO: argsz too small");
	fake_vfio.region_queries++;
	ri->flags = 0;
	ri->cap_offset = 0;
	ri->size = 0;
	ri->offset = 0;
	if (ri->index >= VFIO_PCI_NUM_REGIONS)
		return 0;
	r = &fake_vfio.desc.region[ri->index];
	ri->flags = r->flags;
	ri->size = r->size;
	ri->offset = r->offset;
	return 0;
}

int fake_vfio_ioctl(unsigned long req, void *arg)
{
	struct vfio_device_info *di = arg;
	struct vfio_irq_info *ii = arg;

	if (req == VFIO_DEVICE_RESET) {
		fake_vfio.resets++;
		return fake_vfio_mig_device_reset(&fake_vfio.mig);
	}
	if (!arg) {
		errno = EFAULT;
		return -1;
	}
	switch (req) {
	case VFIO_DEVICE_GET_INFO:
		di->flags = VFIO_DEVICE_FLAGS_PCI | fake_vfio.desc.flags;
		di->num_regions = VFIO_PCI_NUM_REGIONS;
		di->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		if (ii->index >= VFIO_PCI_NUM_IRQS)
			return misuse("VFIO_DEVICE_GET_IRQ_INFO: no such index");
		fake_vfio.irq_queries++;
		ii->count = fake_vfio.desc.irq_count[ii->index];
		ii->flags = ii->count ? VFIO_IRQ_INFO_EVENTFD : 0;
		return 0;
	case VFIO_DEVICE_SET_IRQS:
		return set_irqs(arg);
	case VFIO_DEVICE_FEATURE:
		return fake_vfio_mig_feature(&fake_vfio.mig, arg, fake_vfio.misuse);
	}
	errno = ENOTTY;         /* as a regular file answers */
	return -1;
}

/* ---- the IOMMU backend that opens it ---- */

static int open_device(struct vfio_backend *b, const struct vfio_dev_ref *ref,
		       char *err, size_t errlen)
{
	int fd = dup(fake_vfio.file);

	if (fd < 0)
		snprintf(err, errlen, "dup: %s", strerror(errno));
	fake_vfio.fd = fd;
	return fd;
}

static int iova_ranges(struct vfio_backend *b, struct iova_range **r)
{
	return -1;              /* unknown: dma_check_layout trusts the layout */
}

static const struct vfio_backend_ops fake_ops = {
	.name = "fake",
	.open_device = open_device,
	.iova_ranges = iova_ranges,
};

const struct vfio_dev_ref fake_vfio_ref = {
	.kind = VFIO_DEV_PCI, .name = "0000:01:00.0", .group = 7, .cdev = -1, .fd = -1,
};

struct vfio_backend fake_vfio_backend = { .ops = &fake_ops };
