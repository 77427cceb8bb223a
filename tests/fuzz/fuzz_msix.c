/* Fuzzer for MSI-X emulation (devices/msix.c): vector table and PBA
 * accesses of every size and offset, writes to the capability's control
 * word, and the device side (fire, pending, take). The function is set up
 * either with msix_init() (a fuzzed vector count, table and PBA offsets) or
 * with msix_init_at() on a fuzzed capability offset, as a passthrough
 * device's. A model of the table, the pending bits and the enable/mask
 * state runs beside it: every read must return what the model holds,
 * reserved control bits stay zero, nothing beyond the last vector is ever
 * written, and vector_changed only names vectors that exist. */
#include "fuzz.h"
#include "../../devices/msix.h"

static struct pci_device dev;
static struct msix m;
static struct msix_entry model[MSIX_MAX_VECTORS];
static bool pend[MSIX_MAX_VECTORS];
static unsigned changed;

static void vector_changed(struct msix *x, unsigned vec)
{
	FUZZ_ASSERT(x == &m && vec < m.n);
	changed++;
}

static uint16_t ctrl(void)
{
	return (uint16_t)(dev.cfg[m.cap + 2] | dev.cfg[m.cap + 3] << 8);
}

static bool model_enabled(void)
{
	return ctrl() & MSIX_CTRL_ENABLE;
}

static bool model_masked(unsigned v)
{
	return v >= m.n || (ctrl() & MSIX_CTRL_FMASK) || (model[v].ctrl & MSIX_VEC_MASKED);
}

static bool ok(uint64_t off, unsigned size, uint64_t limit)
{
	return (size == 4 || size == 8) && off % size == 0 && off < limit &&
	       size <= limit - off;
}

static void table_write(uint64_t off, unsigned size, uint64_t v)
{
	unsigned vec = (unsigned)(off / MSIX_ENTRY_SIZE);

	msix_table_write(&m, off, size, v);
	if (!ok(off, size, (uint64_t)m.n * MSIX_ENTRY_SIZE))
		return;
	memcpy((uint8_t *)model + off, &v, size);
	model[vec].ctrl &= MSIX_VEC_MASKED;
	FUZZ_ASSERT(!memcmp(&m.table[vec], &model[vec], sizeof(model[vec])));
}

static void table_read(uint64_t off, unsigned size)
{
	uint64_t want = 0, got = msix_table_read(&m, off, size);

	if (ok(off, size, (uint64_t)m.n * MSIX_ENTRY_SIZE))
		memcpy(&want, (uint8_t *)model + off, size);
	FUZZ_ASSERT(got == want);
}

static void pba_read(uint64_t off, unsigned size)
{
	uint64_t want = 0, got = msix_pba_read(&m, off, size);
	unsigned i;

	if (ok(off, size, ((m.n + 63) / 64) * 8ULL))
		for (i = 0; i < size * 8; i++)
			if (pend[off * 8 + i])
				want |= 1ULL << i;
	FUZZ_ASSERT(got == want);
}

static void device_side(uint8_t op, unsigned v)
{
	bool r, want;

	switch (op % 4) {
	case 0:
		want = v < m.n && model_enabled() && !model_masked(v);
		if (v < m.n && model_enabled() && model_masked(v))
			pend[v] = true;
		r = msix_fire(&m, v);
		FUZZ_ASSERT(r == want);
		break;
	case 1:
		want = v < m.n && !model_masked(v) && model_enabled() && pend[v];
		r = msix_take_pending(&m, v);
		FUZZ_ASSERT(r == want);
		if (r)
			pend[v] = false;
		break;
	case 2:
		msix_set_pending(&m, v);
		if (v < m.n)
			pend[v] = true;
		break;
	case 3:
		FUZZ_ASSERT(msix_masked(&m, v) == model_masked(v));
		FUZZ_ASSERT(msix_address(&m, v) == (v < m.n ?
			    (uint64_t)model[v].addr_hi << 32 | model[v].addr_lo : 0));
		break;
	}
}

/* Vectors [from, to) agree with the model. */
static void check(unsigned from, unsigned to)
{
	unsigned v;

	FUZZ_ASSERT(msix_enabled(&m) == model_enabled());
	for (v = from; v < to && v < MSIX_MAX_VECTORS; v++) {
		FUZZ_ASSERT(!(m.table[v].ctrl & ~MSIX_VEC_MASKED));
		FUZZ_ASSERT(!!(m.pba[v / 64] & (1ULL << (v % 64))) == pend[v]);
		if (v >= m.n)
			FUZZ_ASSERT(!m.table[v].addr_lo && !m.table[v].addr_hi &&
				    !m.table[v].data && !m.table[v].ctrl);
	}
}

static int setup(struct fuzz_in *in)
{
	uint8_t how = fuzz_u8(in);
	unsigned n = fuzz_u16(in) % (MSIX_MAX_VECTORS + 2), v;
	int ret;

	pci_device_init(&dev, "msix", 0x1234, 0x5678, 0xff0000, 0);
	if (how & 1) {
		dev.next_cap = fuzz_u8(in);
		ret = msix_init(&m, &dev, n, how >> 5, fuzz_u32(in) & ~7U, fuzz_u32(in) & ~7U);
	} else {
		ret = msix_init_at(&m, &dev, fuzz_u8(in), n);
	}
	if (ret)
		return -1;
	FUZZ_ASSERT(m.n == n && n >= 1 && n <= MSIX_MAX_VECTORS);
	FUZZ_ASSERT(m.cap >= 0x40 && m.cap + 12 <= 0x100);
	memset(model, 0, sizeof(model));
	memset(pend, 0, sizeof(pend));
	for (v = 0; v < n; v++)
		model[v].ctrl = MSIX_VEC_MASKED;
	m.vector_changed = vector_changed;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned ops = 0;

	if (setup(&in))
		return 0;
	check(0, MSIX_MAX_VECTORS);
	while (fuzz_more(&in) && ops++ < 512) {
		uint8_t op = fuzz_u8(&in), b = fuzz_u8(&in);
		uint64_t off = fuzz_u16(&in) % (m.n * MSIX_ENTRY_SIZE + 32);
		unsigned sz = b & 0x80 ? (b & 0x7f) % 17 : fuzz_mmio_size(b);

		switch (op % 6) {
		case 0:
			table_write(off, sz, fuzz_u64(&in));
			break;
		case 1:
			table_read(b & 0x40 ? fuzz_u64(&in) : off, sz);
			break;
		case 2:
			pba_read(off % 264, sz);
			break;
		case 3: {       /* the control word, as the guest writes it */
			unsigned o = m.cap + (b & 3);

			pci_cfg_write(&dev, o, fuzz_pio_size(b >> 2), fuzz_u16(&in));
			msix_config_written(&m, o, fuzz_pio_size(b >> 2));
			break;
		}
		case 4:
		case 5:
			device_side(b, fuzz_u16(&in) % (m.n + 2));
			break;
		}
		check(off / MSIX_ENTRY_SIZE, off / MSIX_ENTRY_SIZE + 2);
	}
	check(0, MSIX_MAX_VECTORS);
	return 0;
}
