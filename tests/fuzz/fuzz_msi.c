/* Fuzzer for MSI emulation (devices/msi.c): a passthrough device's config
 * space (the first 256 bytes come from the input) with the MSI capability
 * taken over at a fuzzed offset, then guest config writes of every size
 * around it and the device side (pending bits, masks, vector data). Checked
 * after every step: the capability fits in the first 256 bytes, bytes the
 * guest may not write (the pending bits among them) keep their values, the
 * vector count is a power of two no larger than what the function offers,
 * message data carries the vector number in its low bits, and changed() is
 * called exactly for writes that touch the capability. */
#include "fuzz.h"
#include "../../devices/msi.h"

static struct pci_device dev;
static struct msi m;
static uint8_t snap[PCI_CFG_SIZE];
static unsigned changed;

static void on_changed(struct msi *x)
{
	FUZZ_ASSERT(x == &m);
	changed++;
}

/* As the capability's owner does (vfio/pci_config.c): an access that is
 * not naturally aligned is dropped before anything sees it. */
static void cfg_write(struct pci_device *d, unsigned off, unsigned size, uint32_t v)
{
	if ((size != 1 && size != 2 && size != 4) || off % size)
		return;
	pci_cfg_write(d, off, size, v);
	msi_config_written(&m, off, size);
}

static const struct pci_device_ops msi_ops = { .kind = "msi fuzz", .cfg_write = cfg_write };

/* Config bytes [from, to) and the MSI state. */
static void check(unsigned from, unsigned to)
{
	unsigned n = msi_vectors(&m), i;

	for (i = from; i < to; i++)
		if (!dev.wmask[i])
			FUZZ_ASSERT(dev.cfg[i] == snap[i]);
	FUZZ_ASSERT(m.max && m.max <= MSI_MAX_VECTORS && !(m.max & (m.max - 1)));
	FUZZ_ASSERT(n && n <= m.max && !(n & (n - 1)));
	for (i = 0; i < MSI_MAX_VECTORS + 2; i++) {
		FUZZ_ASSERT((msi_data(&m, i) & (n - 1)) == (i & (n - 1)));
		if (i >= n)
			FUZZ_ASSERT(msi_masked(&m, i));
		if (!m.pvm)
			FUZZ_ASSERT(msi_masked(&m, i) == (i >= n));
	}
	if (!m.is64)
		FUZZ_ASSERT(msi_address(&m) <= UINT32_MAX);
	FUZZ_ASSERT(!(msi_address(&m) & 3));
}

static int setup(struct fuzz_in *in)
{
	size_t len;
	const uint8_t *p = fuzz_take(in, 256, &len);
	unsigned cap = fuzz_u8(in);
	int r;

	pci_device_init(&dev, "msi", 0x1234, 0x5678, 0xff0000, 0);
	memcpy(dev.cfg, p, len);
	memset(&m, 0, sizeof(m));
	r = msi_init_at(&m, &dev, cap);
	if (r < 0) {
		FUZZ_ASSERT(!msi_enabled(&m) && msi_vectors(&m) == 0);
		return -1;
	}
	FUZZ_ASSERT(r == 10 || r == 14 || r == 20 || r == 24);
	FUZZ_ASSERT((unsigned)r == m.len && cap >= 0x40 && cap + m.len <= 0x100);
	FUZZ_ASSERT(!msi_enabled(&m));
	m.changed = on_changed;
	dev.ops = &msi_ops;
	memcpy(snap, dev.cfg, PCI_CFG_SIZE);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned ops = 0;

	if (setup(&in))
		return 0;
	check(0, PCI_CFG_SIZE);
	while (fuzz_more(&in) && ops++ < 256) {
		uint8_t op = fuzz_u8(&in), b = fuzz_u8(&in);
		unsigned v = b % (MSI_MAX_VECTORS + 2);

		switch (op % 5) {
		case 0: {       /* a guest config write near the capability */
			unsigned off = m.cap - 4 + b % (m.len + 8);
			unsigned sz = fuzz_pio_size(op >> 3), before = changed;
			bool valid = off % sz == 0;

			pci_guest_cfg_write(&dev, off, sz, fuzz_u32(&in));
			FUZZ_ASSERT(changed == before + (valid && off < m.cap + m.len &&
							  off + sz > m.cap));
			break;
		}
		case 1:
			msi_set_pending(&m, v);
			break;
		case 2: {
			unsigned p = m.cap + (m.is64 ? 20 : 16);
			uint32_t bits = 0;
			bool was;

			if (m.pvm)
				memcpy(&bits, dev.cfg + p, 4);
			was = msi_take_pending(&m, v);
			FUZZ_ASSERT(was == (m.pvm && v < m.max && (bits >> v & 1)));
			break;
		}
		case 3:
			(void)msi_reads_pending(&m, fuzz_u16(&in) % 0x110, fuzz_pio_size(b));
			break;
		case 4:
			(void)msi_address(&m);
			(void)msi_data(&m, v);
			break;
		}
		/* The device side may change the pending bits; the guest may not. */
		if (op % 5 == 1 || op % 5 == 2)
			memcpy(snap, dev.cfg, PCI_CFG_SIZE);
		check(m.cap - 8, m.cap + m.len + 8);
	}
	check(0, PCI_CFG_SIZE);
	return 0;
}
