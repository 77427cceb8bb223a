/* MSI emulation: the guest-visible capability of a function, laid out as
 * the PCI spec gives it (control, address, upper address if 64-bit, data,
 * then mask and pending bits if per-vector masking is offered). The guest
 * may write the enable bit, the multiple message enable field, the address
 * (dword aligned), the 16-bit data and the mask bits of vectors that
 * exist; everything else, the pending bits included, is read-only. */
#include <string.h>
#include "msi.h"

static uint16_t ctrl(const struct msi *m)
{
	return (uint16_t)(m->dev->cfg[m->cap + 2] | m->dev->cfg[m->cap + 3] << 8);
}

static uint32_t cfg32(const struct msi *m, unsigned off)
{
	uint32_t v;

	memcpy(&v, m->dev->cfg + m->cap + off, 4);
	return v;
}

static unsigned data_off(const struct msi *m)
{
	return m->is64 ? 12 : 8;
}

static unsigned mask_off(const struct msi *m)
{
	return m->is64 ? 16 : 12;
}

static void set_wmask32(struct pci_device *d, unsigned off, uint32_t mask)
{
	memcpy(d->wmask + off, &mask, 4);
}

int msi_init_at(struct msi *m, struct pci_device *d, unsigned cap)
{
	uint16_t c;
	uint32_t vmask;

	if (cap < 0x40 || cap > 0xf4)
		return -1;
	memset(m, 0, sizeof(*m));
	m->dev = d;
	m->cap = cap;
	c = ctrl(m);
	m->is64 = c & MSI_CTRL_64BIT;
	m->pvm = c & MSI_CTRL_PVM;
	m->len = (m->is64 ? 14 : 10) + (m->pvm ? 10 : 0);
	if (cap + m->len > 0x100) {     /* capabilities live in the first 256 bytes */
		m->dev = NULL;
		return -1;
	}
	/* MMC above 5 (32 vectors) is reserved: treat it as 32. */
	m->max = 1U << (((c & MSI_CTRL_MMC) >> 1) > 5 ? 5 : (c & MSI_CTRL_MMC) >> 1);
	c &= (uint16_t)~(MSI_CTRL_ENABLE | MSI_CTRL_MME);
	d->cfg[cap + 2] = (uint8_t)c;
	d->cfg[cap + 3] = (uint8_t)(c >> 8);
	memset(d->cfg + cap + 4, 0, m->len - 4);
	memset(d->wmask + cap, 0, m->len);
	d->wmask[cap + 2] = MSI_CTRL_ENABLE | MSI_CTRL_MME;
	set_wmask32(d, cap + 4, ~3U);
	if (m->is64)
		set_wmask32(d, cap + 8, ~0U);
	d->wmask[cap + data_off(m)] = 0xff;
	d->wmask[cap + data_off(m) + 1] = 0xff;
	if (m->pvm) {
		vmask = m->max == 32 ? ~0U : (1U << m->max) - 1;
		set_wmask32(d, cap + mask_off(m), vmask);
	}
	return (int)m->len;
}

bool msi_enabled(const struct msi *m)
{
	return m->dev && (ctrl(m) & MSI_CTRL_ENABLE);
}

unsigned msi_vectors(const struct msi *m)
{
	unsigned n;

	if (!m->dev)
		return 0;
	n = 1U << ((ctrl(m) & MSI_CTRL_MME) >> 4);
	return n > m->max ? m->max : n;
}

uint64_t msi_address(const struct msi *m)
{
	uint64_t a = cfg32(m, 4);

	if (m->is64)
		a |= (uint64_t)cfg32(m, 8) << 32;
	return a;
}

uint32_t msi_data(const struct msi *m, unsigned v)
{
	unsigned n = msi_vectors(m);
	uint32_t d = m->dev->cfg[m->cap + data_off(m)] |
		     (uint32_t)m->dev->cfg[m->cap + data_off(m) + 1] << 8;

	return (d & ~(n - 1)) | (v & (n - 1));
}

bool msi_masked(const struct msi *m, unsigned v)
{
	if (v >= msi_vectors(m))
		return true;
	return m->pvm && (cfg32(m, mask_off(m)) & (1U << v));
}

static void pending_update(struct msi *m, unsigned v, bool set)
{
	uint32_t p;

	if (!m->pvm || v >= m->max)
		return;
	p = cfg32(m, mask_off(m) + 4);
	p = set ? p | 1U << v : p & ~(1U << v);
	memcpy(m->dev->cfg + m->cap + mask_off(m) + 4, &p, 4);
}

void msi_set_pending(struct msi *m, unsigned v)
{
	pending_update(m, v, true);
}

bool msi_take_pending(struct msi *m, unsigned v)
{
	bool was;

	if (!m->pvm || v >= m->max)
		return false;
	was = cfg32(m, mask_off(m) + 4) & (1U << v);
	pending_update(m, v, false);
	return was;
}

bool msi_reads_pending(const struct msi *m, unsigned off, unsigned size)
{
	unsigned p;

	if (!m->dev || !m->pvm)
		return false;
	p = m->cap + mask_off(m) + 4;
	return off < p + 4 && off + size > p;
}

void msi_config_written(struct msi *m, unsigned off, unsigned size)
{
	if (!m->dev || off >= m->cap + m->len || off + size <= m->cap)
		return;
	if (m->changed)
		m->changed(m);
}
