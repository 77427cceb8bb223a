/* The guest's view of a passed-through device's config space. The header's
 * BARs and expansion ROM BAR, the interrupt line, and the MSI and MSI-X
 * capabilities are emulated (served from and written to the view in struct pci_device,
 * through its write masks); every other byte is read from and written to
 * the device through the vfio config region, where vfio-pci applies its
 * own filtering. Writes to emulated bytes never reach the device. The
 * command register is both: the device needs its bus-master and decode
 * bits, and the view's copy drives BAR mapping. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "../vmm/log.h"
#include "vfio_pci.h"


static void emulate(struct vfio_pci *v, unsigned off, unsigned len)
{
	memset(v->emu + off, 1, len);
}

static uint32_t dev_read(struct vfio_pci *v, unsigned off, unsigned size)
{
	uint32_t val = 0;

	if (pread(v->fd, &val, size, (off_t)(v->cfg_off + off)) != (ssize_t)size)
		return ~0U;
	return val;
}

static void dev_write(struct vfio_pci *v, unsigned off, unsigned size, uint32_t val)
{
	if (pwrite(v->fd, &val, size, (off_t)(v->cfg_off + off)) != (ssize_t)size)
		vdev_pr(LOG_DEBUG, v, "config write at 0x%x failed: %s", off, strerror(errno));
}

/* Find a standard capability by walking the device's list (bounded). */
static unsigned find_cap(const uint8_t *cfg, uint8_t id)
{
	unsigned p = cfg[PCI_CAPABILITY_LIST] & ~3U, steps = 0;

	if (!(cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return 0;
	while (p >= 0x40 && p < 0x100 && steps++ < 48) {
		if (cfg[p] == id)
			return p;
		p = cfg[p + 1] & ~3U;
	}
	return 0;
}

/* Hide a capability from the guest by emulating the pointer that leads to
 * it (an MSI capability that does not fit in config space, or MSI-X with
 * msix=off). */
static void hide_cap(struct vfio_pci *v, unsigned cap)
{
	uint8_t *cfg = v->pci.cfg;
	unsigned p = PCI_CAPABILITY_LIST, steps = 0;

	while (steps++ < 48) {
		unsigned next = (p == PCI_CAPABILITY_LIST ? cfg[p] : cfg[p + 1]) & ~3U;
		unsigned ptr = p == PCI_CAPABILITY_LIST ? p : p + 1;

		if (next < 0x40 || next >= 0x100)
			return;
		if (next == cap) {
			cfg[ptr] = cfg[cap + 1];
			emulate(v, ptr, 1);
			return;
		}
		p = next;
	}
}

int vfio_config_init(struct vfio_pci *v, char *err, size_t errlen)
{
	uint8_t *cfg = v->pci.cfg;
	size_t len = v->cfg_size < PCI_CFG_SIZE ? v->cfg_size : PCI_CFG_SIZE;
	unsigned msix, msi;
	int msi_len;

	memset(cfg, 0xff, PCI_CFG_SIZE);
	if (pread(v->fd, cfg, len, (off_t)v->cfg_off) != (ssize_t)len) {
		vdev_errmsg(v, err, errlen, "cannot read config space: %s", strerror(errno));
		return -1;
	}
	memset(v->pci.wmask, 0, sizeof(v->pci.wmask));
	memset(v->pci.w1cmask, 0, sizeof(v->pci.w1cmask));
	memset(v->emu, 0, sizeof(v->emu));
	/* Header type 0 only: bridges are not passed through. */
	if ((cfg[PCI_HEADER_TYPE] & 0x7f) != 0) {
		vdev_errmsg(v, err, errlen, "header type %u is not a PCI endpoint; bridges cannot be passed through",
			    cfg[PCI_HEADER_TYPE] & 0x7f);
		return -1;
	}
	/* Multi-function bit off: the guest sees a single function. */
	cfg[PCI_HEADER_TYPE] &= 0x7f;
	emulate(v, PCI_HEADER_TYPE, 1);
	emulate(v, PCI_BASE_ADDRESS_0, 24);
	emulate(v, PCI_ROM_ADDRESS, 4);
	emulate(v, PCI_INTERRUPT_LINE, 1);
	memset(cfg + PCI_BASE_ADDRESS_0, 0, 24);
	memset(cfg + PCI_ROM_ADDRESS, 0, 4);
	v->pci.wmask[PCI_INTERRUPT_LINE] = 0xff;
	v->pci.wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	v->pci.wmask[PCI_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;

	msix = find_cap(cfg, PCI_CAP_ID_MSIX);
	msi = find_cap(cfg, PCI_CAP_ID_MSI);
	if (msix && (v->flags & VFIO_PCI_NO_MSIX)) {
		hide_cap(v, msix);
		msix = 0;
	}
	if (msix)
		emulate(v, msix, 12);
	if (msi) {
		msi_len = msi_init_at(&v->msi, &v->pci, msi);
		if (msi_len > 0)
			emulate(v, msi, (unsigned)msi_len);
		else
			hide_cap(v, msi);
	}
	v->pci.next_cap = 0;    /* no capabilities are added */
	return (int)msix;
}

static bool all_emulated(const struct vfio_pci *v, unsigned off, unsigned size)
{
	unsigned i;

	for (i = 0; i < size; i++)
		if (!v->emu[off + i])
			return false;
	return true;
}

static bool none_emulated(const struct vfio_pci *v, unsigned off, unsigned size)
{
	unsigned i;

	for (i = 0; i < size; i++)
		if (v->emu[off + i])
			return false;
	return true;
}

static bool bad_access(unsigned off, unsigned size)
{
	return (size != 1 && size != 2 && size != 4) || off % size ||
	       off >= PCI_CFG_SIZE || size > PCI_CFG_SIZE - off;
}

uint32_t vfio_config_read(struct pci_device *d, unsigned off, unsigned size)
{
	struct vfio_pci *v = d->opaque;
	uint32_t val = 0;
	unsigned i;

	if (bad_access(off, size) || off >= v->cfg_size)
		return ~0U;
	if (msi_reads_pending(&v->msi, off, size))
		vfio_msi_sync_pending(v);
	if (all_emulated(v, off, size))
		return pci_cfg_read(d, off, size);
	if (none_emulated(v, off, size)) {
		val = dev_read(v, off, size);
		/* No function has vendor ID 0xffff: the device is gone. */
		if (off == PCI_VENDOR_ID && (val & 0xffff) == 0xffff)
			vfio_device_gone(v, "the device no longer responds (its config space reads all-ones)");
		return val;
	}
	for (i = 0; i < size; i++) {
		uint32_t b = v->emu[off + i] ? d->cfg[off + i] : dev_read(v, off + i, 1) & 0xff;

		val |= b << (8 * i);
	}
	return val;
}

void vfio_config_write(struct pci_device *d, unsigned off, unsigned size, uint32_t val)
{
	struct vfio_pci *v = d->opaque;
	unsigned i;

	if (bad_access(off, size) || off >= v->cfg_size)
		return;
	if (all_emulated(v, off, size)) {
		pci_cfg_write(d, off, size, val);
	} else if (none_emulated(v, off, size)) {
		dev_write(v, off, size, val);
	} else {
		for (i = 0; i < size; i++) {
			uint8_t b = (uint8_t)(val >> (8 * i));

			if (v->emu[off + i])
				pci_cfg_write(d, off + i, 1, b);
			else
				dev_write(v, off + i, 1, b);
		}
	}
	/* Mirror the command register into the view: the bus decodes BARs
	 * from it once this returns. */
	if (off <= PCI_COMMAND + 1 && off + size > PCI_COMMAND && !all_emulated(v, off, size)) {
		uint32_t cmd = dev_read(v, PCI_COMMAND, 2);

		if (cmd != ~0U)
			pci_cfg_write(d, PCI_COMMAND, 2, cmd);
	}
	/* The interrupt capabilities act on what was written. */
	if (v->msix.n)
		msix_config_written(&v->msix, off, size);
	msi_config_written(&v->msi, off, size);
}
