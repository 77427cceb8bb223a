/* Fuzzer for the emulated PCI bus (devices/pci.c): the guest's config
 * accesses through mechanism #1 (ports 0xcf8-0xcff, including the 0xcf9
 * reset register) and ECAM, direct config-space calls with odd sizes and
 * offsets, and port/MMIO accesses that land in whatever BARs the guest has
 * mapped. On the bus: the host bridge, an endpoint with I/O, 32-bit and
 * 64-bit prefetchable BARs plus an MSI-X capability whose table lives in
 * BAR1, and a second endpoint with a 4 GiB 64-bit BAR whose bar_map and
 * bar_unmap ops check the bus calls them only while the BAR is on the bus,
 * at the address it decodes at. After every access: the
 * host bridge is untouched, every byte outside the write masks keeps its
 * value, and a BAR is on the I/O or MMIO bus exactly when it says it is
 * mapped, at its programmed, size-aligned address. */
#include "fuzz.h"
#include "../../devices/msix.h"
#include "../../devices/pci.h"
#include "../../vmm/log.h"
#include "../../vmm/memmap.h"

static struct io_bus pio, mmio;
static struct pci_bus bus;
static struct pci_device dev_a, dev_b;
static struct msix msix_a;
static uint8_t snap_host[PCI_CFG_SIZE], snap_a[PCI_CFG_SIZE], snap_b[PCI_CFG_SIZE];
static unsigned resets;

static uint64_t bar_rd(void *opaque, uint64_t off, unsigned size)
{
	const struct pci_bar *b = opaque;

	FUZZ_ASSERT(off < b->size);
	return off;
}

static void bar_wr(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	const struct pci_bar *b = opaque;

	FUZZ_ASSERT(off < b->size);
}

static uint64_t table_rd(void *opaque, uint64_t off, unsigned size)
{
	return off < 0x800 ? msix_table_read(&msix_a, off, size) :
	       msix_pba_read(&msix_a, off - 0x800, size);
}

static void table_wr(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	if (off < 0x800)
		msix_table_write(&msix_a, off, size, v);
}

static void msix_changed(struct msix *m, unsigned vec)
{
	FUZZ_ASSERT(m == &msix_a && vec < m->n);
}

/* The bus tells dev_b where BAR0 decodes, once it is on the bus, and
 * before it comes off. */
static void b_bar_map(struct pci_device *d, int bar, uint64_t addr)
{
	FUZZ_ASSERT(d == &dev_b && bar == 0);
	FUZZ_ASSERT(d->bar[bar].mapped && addr == d->bar[bar].addr);
}

static void b_bar_unmap(struct pci_device *d, int bar, uint64_t addr)
{
	FUZZ_ASSERT(d == &dev_b && bar == 0);
	FUZZ_ASSERT(d->bar[bar].mapped && addr == d->bar[bar].addr);
}

static const struct pci_device_ops b_ops = {
	.kind = "b", .bar_map = b_bar_map, .bar_unmap = b_bar_unmap,
};

static void a_cfg_write(struct pci_device *d, unsigned off, unsigned size, uint32_t v)
{
	FUZZ_ASSERT(d == &dev_a);
	pci_cfg_write(d, off, size, v);
	if (off < PCI_CFG_SIZE && size <= PCI_CFG_SIZE - off)
		msix_config_written(&msix_a, off, size);
}

static const struct pci_device_ops a_ops = { .kind = "a", .cfg_write = a_cfg_write };

static void reset_request(void *opaque)
{
	resets++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_verbosity = LOG_ERROR;
	return 0;
}

static void bus_up(void)
{
	char err[256];

	memset(&pio, 0, sizeof(pio));
	memset(&mmio, 0, sizeof(mmio));
	pio.name = "pio";
	mmio.name = "mmio";
	if (pci_bus_init(&bus, &pio, &mmio, MEM_ECAM_START, MEM_PCI32_START,
			 MEM_PCI32_SIZE, MEM_4G, MEM_PCI64_SIZE))
		abort();
	bus.reset_request = reset_request;

	pci_device_init(&dev_a, "a", 0x1234, 0x5678, 0x020000, 1);
	pci_device_set_bar(&dev_a, 0, 32, PCI_BASE_ADDRESS_SPACE_IO, bar_rd, bar_wr, &dev_a.bar[0]);
	pci_device_set_bar(&dev_a, 1, 4096, 0, table_rd, table_wr, &dev_a.bar[1]);
	pci_device_set_bar(&dev_a, 2, 1 << 20, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH,
			   bar_rd, bar_wr, &dev_a.bar[2]);
	pci_device_set_bar(&dev_a, 5, 16, 0, bar_rd, bar_wr, &dev_a.bar[5]);
	dev_a.cfg[PCI_INTERRUPT_PIN] = 1;
	if (!pci_add_cap(&dev_a, 0x09, 8) || msix_init(&msix_a, &dev_a, 4, 1, 0, 0x800))
		abort();
	msix_a.vector_changed = msix_changed;
	dev_a.ops = &a_ops;

	pci_device_init(&dev_b, "b", 0x1af4, 0x1000, 0x010000, 0);
	pci_device_set_bar(&dev_b, 0, 1ULL << 32, PCI_BASE_ADDRESS_MEM_TYPE_64, bar_rd, bar_wr,
			   &dev_b.bar[0]);
	dev_b.ops = &b_ops;
	if (pci_bus_add(&bus, &dev_a) != 1 || pci_bus_add(&bus, &dev_b) != 2 ||
	    pci_bus_assign_all(&bus, err, sizeof(err)))
		abort();
	memcpy(snap_host, bus.host.cfg, PCI_CFG_SIZE);
	memcpy(snap_a, dev_a.cfg, PCI_CFG_SIZE);
	memcpy(snap_b, dev_b.cfg, PCI_CFG_SIZE);
}

/* Bytes [from, to) that the guest cannot change keep their values. */
static void check_ro(const struct pci_device *d, const uint8_t *snap,
		     unsigned from, unsigned to)
{
	unsigned i;

	for (i = from; i < to && i < PCI_CFG_SIZE; i++)
		if (!d->wmask[i] && !d->w1cmask[i])
			FUZZ_ASSERT(d->cfg[i] == snap[i]);
}

static int ranges_at(const struct io_bus *b, uint64_t base, const void *opaque,
		     uint64_t len)
{
	int i, n = 0;

	for (i = 0; i < b->n; i++)
		if (b->r[i].opaque == opaque) {
			FUZZ_ASSERT(b->r[i].base == base && b->r[i].len == len);
			n++;
		}
	return n;
}

static void check_bars(const struct pci_device *d)
{
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &d->bar[i];
		const struct io_bus *on = b->io ? &pio : &mmio;

		if (!b->size)
			continue;
		if (b->mapped) {
			FUZZ_ASSERT(b->addr == pci_bar_address(d, i));
			FUZZ_ASSERT(!(b->addr & (b->size - 1)) && b->addr);
			FUZZ_ASSERT(ranges_at(on, b->addr, b->opaque, b->size) == 1);
		} else {
			FUZZ_ASSERT(ranges_at(on, 0, b->opaque, 0) == 0);
		}
		if (b->is64)
			i++;
	}
}

static void check_no_overlap(const struct io_bus *b)
{
	int i, j;

	for (i = 0; i < b->n; i++)
		for (j = i + 1; j < b->n; j++)
			FUZZ_ASSERT(b->r[i].base >= b->r[j].base + b->r[j].len ||
				    b->r[j].base >= b->r[i].base + b->r[i].len);
}

/* After each access: the header and capabilities, and the bytes around
 * the last config offset the guest named; everything at the end. */
static void check(unsigned last, bool all)
{
	unsigned from = all ? 0 : last & ~0xfU, to = all ? PCI_CFG_SIZE : from + 16;

	FUZZ_ASSERT(!memcmp(bus.host.cfg, snap_host, PCI_CFG_SIZE));
	check_ro(&dev_a, snap_a, 0, 0x100);
	check_ro(&dev_b, snap_b, 0, 0x100);
	check_ro(&dev_a, snap_a, from, to);
	check_ro(&dev_b, snap_b, from, to);
	check_bars(&dev_a);
	check_bars(&dev_b);
	check_no_overlap(&pio);
	check_no_overlap(&mmio);
}

/* A mechanism #1 address: mostly enabled, bus 0, a real slot. */
static uint32_t cf8_value(struct fuzz_in *in)
{
	uint8_t sel = fuzz_u8(in);
	uint8_t reg = fuzz_u8(in);

	if (sel < 0xc0)
		return 0x80000000U | (sel % 4) << 11 | reg;
	return fuzz_u32(in);
}

/* An address where a BAR of either device may be, or anywhere. */
static uint64_t bar_addr(struct fuzz_in *in, bool *io)
{
	uint8_t sel = fuzz_u8(in);
	uint32_t off = fuzz_u32(in);
	const struct pci_device *d = sel & 1 ? &dev_b : &dev_a;
	int i = (sel >> 1) % PCI_NUM_BARS;

	if (sel >= 0xf0) {
		*io = sel & 1;
		return sel & 2 ? fuzz_u64(in) : off;
	}
	*io = d->bar[i].io;
	return pci_bar_address(d, i) + (d->bar[i].size ? off & (d->bar[i].size - 1) : off);
}

static unsigned last_off;     /* the last config offset a step named */

static void step(struct fuzz_in *in)
{
	uint8_t op = fuzz_u8(in), b = fuzz_u8(in);
	uint64_t a;
	bool io;

	switch (op % 9) {
	case 0:
		if (b & 0x80)
			io_bus_write(&pio, 0xcf8, 4, cf8_value(in));
		else if (b & 0x40)
			io_bus_write(&pio, 0xcf9, 1, fuzz_u8(in));
		else
			io_bus_write(&pio, 0xcf8 + (b & 1), fuzz_pio_size(b >> 1),
				     fuzz_value(in, fuzz_pio_size(b >> 1)));
		break;
	case 1:
		(void)io_bus_read(&pio, 0xcf8 + (b & 7), fuzz_pio_size(b >> 3));
		break;
	case 2:
		io_bus_write(&pio, 0xcfc + (b & 3), fuzz_pio_size(b >> 2),
			     fuzz_value(in, fuzz_pio_size(b >> 2)));
		break;
	case 3:
		a = fuzz_u32(in) & (b & 0x80 ? 0x0fffffff : 0x17fff);
		(void)io_bus_read(&mmio, MEM_ECAM_START + a, fuzz_mmio_size(b));
		break;
	case 4:
		a = fuzz_u32(in) & (b & 0x80 ? 0x0fffffff : 0x17fff);
		last_off = a & 0xfff;
		io_bus_write(&mmio, MEM_ECAM_START + a, fuzz_mmio_size(b),
			     fuzz_value(in, fuzz_mmio_size(b)));
		break;
	case 5:
		a = bar_addr(in, &io);
		if (io)
			(void)io_bus_read(&pio, a, fuzz_pio_size(b));
		else
			(void)io_bus_read(&mmio, a, fuzz_mmio_size(b));
		break;
	case 6:
		a = bar_addr(in, &io);
		if (io)
			io_bus_write(&pio, a, fuzz_pio_size(b), fuzz_value(in, fuzz_pio_size(b)));
		else
			io_bus_write(&mmio, a, fuzz_mmio_size(b), fuzz_value(in, fuzz_mmio_size(b)));
		break;
	case 7: {       /* the config-space API itself, any arguments */
		struct pci_device *d = b & 1 ? &dev_b : &dev_a;
		unsigned off = fuzz_u16(in) % (PCI_CFG_SIZE + 8);

		last_off = off;
		if (b & 2)
			(void)pci_guest_cfg_read(d, off, (b >> 2) % 9);
		else
			pci_guest_cfg_write(d, off, (b >> 2) % 9, fuzz_u32(in));
		break;
	}
	case 8:         /* BAR sizing: all ones, read back, restore */
		io_bus_write(&pio, 0xcf8, 4, 0x80000000U | ((b & 1) + 1) << 11 |
			     (PCI_BASE_ADDRESS_0 + 4 * ((b >> 1) % 6)));
		io_bus_write(&pio, 0xcfc, 4, 0xffffffff);
		(void)io_bus_read(&pio, 0xcfc, 4);
		io_bus_write(&pio, 0xcfc, 4, fuzz_u32(in));
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned ops = 0;

	bus_up();
	while (fuzz_more(&in) && ops++ < 256) {
		step(&in);
		check(last_off, false);
	}
	check(0, true);
	pci_bus_destroy(&bus);
	FUZZ_ASSERT(pio.n == 2 && mmio.n == 1);         /* 0xcf8, 0xcfc; ECAM */
	return 0;
}
