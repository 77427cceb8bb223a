/* MSI-X emulation: the capability's enable and function-mask bits, the
 * vector table (16-byte entries of address, data and control) and the
 * pending-bit array. Guest accesses must be 4 or 8 bytes, naturally aligned
 * and inside the table; anything else reads as zero and writes are dropped,
 * and the reserved control bits stay zero. */
#include <string.h>
#include "msix.h"
#include "../vmm/snapshot/cursor.h"

#define MSIX_CAP_ID 0x11

static void reset_table(struct msix *m, struct pci_device *d, unsigned cap,
			unsigned n)
{
	unsigned i;

	memset(m->table, 0, sizeof(m->table));
	memset(m->pba, 0, sizeof(m->pba));
	m->dev = d;
	m->cap = cap;
	m->n = n;
	for (i = 0; i < n; i++)
		m->table[i].ctrl = MSIX_VEC_MASKED;
	d->cfg[cap + 3] &= ~((MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK) >> 8);
	d->wmask[cap + 3] = (MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK) >> 8;
}

int msix_init_at(struct msix *m, struct pci_device *d, unsigned cap, unsigned n)
{
	if (n == 0 || n > MSIX_MAX_VECTORS || cap < 0x40 || cap > 0xf4)
		return -1;
	reset_table(m, d, cap, n);
	return 0;
}

int msix_init(struct msix *m, struct pci_device *d, unsigned n, int bir,
	      uint32_t table_off, uint32_t pba_off)
{
	unsigned cap;

	if (n == 0 || n > MSIX_MAX_VECTORS)
		return -1;
	cap = pci_add_cap(d, MSIX_CAP_ID, 12);
	if (!cap)
		return -1;
	d->cfg[cap + 2] = (uint8_t)(n - 1);
	d->cfg[cap + 3] = (uint8_t)((n - 1) >> 8);
	reset_table(m, d, cap, n);
	memcpy(d->cfg + cap + 4, &(uint32_t){ table_off | (uint32_t)bir }, 4);
	memcpy(d->cfg + cap + 8, &(uint32_t){ pba_off | (uint32_t)bir }, 4);
	return 0;
}

static uint16_t ctrl(const struct msix *m)
{
	return (uint16_t)(m->dev->cfg[m->cap + 2] | m->dev->cfg[m->cap + 3] << 8);
}

bool msix_enabled(const struct msix *m)
{
	return m->n && (ctrl(m) & MSIX_CTRL_ENABLE);
}

bool msix_masked(const struct msix *m, unsigned v)
{
	return v >= m->n || (ctrl(m) & MSIX_CTRL_FMASK) ||
	       (m->table[v].ctrl & MSIX_VEC_MASKED);
}

uint64_t msix_address(const struct msix *m, unsigned v)
{
	if (v >= m->n)
		return 0;
	return (uint64_t)m->table[v].addr_hi << 32 | m->table[v].addr_lo;
}

void msix_config_written(struct msix *m, unsigned off, unsigned size)
{
	unsigned v;

	if (!m->n || off > m->cap + 3 || off + size <= m->cap + 2)
		return;
	for (v = 0; v < m->n && m->vector_changed; v++)
		m->vector_changed(m, v);
}

static bool access_ok(const struct msix *m, uint64_t off, unsigned size,
		      uint64_t limit)
{
	return (size == 4 || size == 8) && !(off % size) && off < limit &&
	       size <= limit - off && m->n;
}

uint64_t msix_table_read(struct msix *m, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	if (!access_ok(m, off, size, (uint64_t)m->n * MSIX_ENTRY_SIZE))
		return 0;
	memcpy(&v, (uint8_t *)m->table + off, size);
	return v;
}

void msix_table_write(struct msix *m, uint64_t off, unsigned size, uint64_t v)
{
	unsigned vec = (unsigned)(off / MSIX_ENTRY_SIZE);
	struct msix_entry *e, old;

	if (!access_ok(m, off, size, (uint64_t)m->n * MSIX_ENTRY_SIZE))
		return;
	e = &m->table[vec];
	old = *e;
	memcpy((uint8_t *)m->table + off, &v, size);
	e->ctrl &= MSIX_VEC_MASKED;
	if (memcmp(&old, e, sizeof(old)) && m->vector_changed)
		m->vector_changed(m, vec);
}

uint64_t msix_pba_read(struct msix *m, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	if (!access_ok(m, off, size, ((m->n + 63) / 64) * 8))
		return 0;
	memcpy(&v, (uint8_t *)m->pba + off, size);
	return v;
}

void msix_set_pending(struct msix *m, unsigned v)
{
	if (v < m->n)
		m->pba[v / 64] |= 1ULL << (v % 64);
}

bool msix_fire(struct msix *m, unsigned v)
{
	if (v >= m->n || !msix_enabled(m))
		return false;
	if (msix_masked(m, v)) {
		msix_set_pending(m, v);
		return false;
	}
	return true;
}

bool msix_take_pending(struct msix *m, unsigned v)
{
	if (v >= m->n || msix_masked(m, v) || !msix_enabled(m) ||
	    !(m->pba[v / 64] & (1ULL << (v % 64))))
		return false;
	m->pba[v / 64] &= ~(1ULL << (v % 64));
	return true;
}

static unsigned pba_words(const struct msix *m)
{
	return (m->n + 63) / 64;
}

int msix_save(const struct msix *m, struct snap_out *out)
{
	unsigned i;

	snap_put_u16(out, (uint16_t)m->n);
	for (i = 0; i < m->n; i++) {
		snap_put_u32(out, m->table[i].addr_lo);
		snap_put_u32(out, m->table[i].addr_hi);
		snap_put_u32(out, m->table[i].data);
		snap_put_u32(out, m->table[i].ctrl);
	}
	for (i = 0; i < pba_words(m); i++)
		snap_put_u64(out, m->pba[i]);
	return snap_out_error(out);
}

static void load_entry(struct msix_entry *e, struct snap_in *in)
{
	e->addr_lo = snap_get_u32(in);
	e->addr_hi = snap_get_u32(in);
	e->data = snap_get_u32(in);
	e->ctrl = snap_get_u32(in);
	if (e->ctrl & ~MSIX_VEC_MASKED)
		snap_in_fail(in, "an MSI-X vector control with reserved bits set");
}

/* The bits of the last PBA word that stand for no vector. */
static uint64_t pba_beyond(const struct msix *m, unsigned word)
{
	unsigned used = m->n - 64 * word;

	return used >= 64 ? 0 : ~0ULL << used;
}

/* Never so while running: an unmask or enable delivers what was pending. */
static bool pending_unmasked(const struct msix *m, unsigned v)
{
	return msix_enabled(m) && !msix_masked(m, v) && (m->pba[v / 64] & (1ULL << (v % 64)));
}

int msix_load(struct msix *m, struct snap_in *in)
{
	unsigned i, n = snap_get_u16(in);

	if (n != m->n)
		snap_in_fail(in, "an MSI-X table of another size than this device's");
	for (i = 0; i < m->n && !snap_in_failed(in); i++)
		load_entry(&m->table[i], in);
	for (i = 0; i < pba_words(m) && !snap_in_failed(in); i++) {
		m->pba[i] = snap_get_u64(in);
		if (m->pba[i] & pba_beyond(m, i))
			snap_in_fail(in, "MSI-X pending bits past the last vector");
	}
	for (i = 0; i < m->n && !snap_in_failed(in); i++)
		if (pending_unmasked(m, i))
			snap_in_fail(in, "an MSI-X vector pending while enabled and unmasked");
	if (snap_in_failed(in))
		return -1;
	for (i = 0; i < m->n && m->vector_changed; i++)
		m->vector_changed(m, i);
	return 0;
}
