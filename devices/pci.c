/* The PCI bus. One host bridge at 00:00.0; endpoints in slots 1-31 of bus 0.
 * Config space is reached by mechanism #1 (ports 0xcf8/0xcfc) and by ECAM.
 * A guest config access goes to the device's ops (or its emulated view,
 * whose write and write-1-to-clear masks keep read-only fields read-only
 * and make BAR sizing work by itself); after a write, the bus decides which
 * BARs and ROM decode where, puts their trapped handlers on the I/O or
 * MMIO bus and tells the device. Devices are plugged and removed here. */
#include <stdio.h>
#include <string.h>
#include "../vmm/log.h"
#include "pci.h"

#define ECAM_BUS_SHIFT 20

static void put(uint8_t *p, unsigned size, uint32_t v)
{
	unsigned i;

	for (i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get(const uint8_t *p, unsigned size)
{
	uint32_t v = 0;
	unsigned i;

	for (i = 0; i < size; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

void pci_device_init(struct pci_device *d, const char *name, uint16_t vendor,
		     uint16_t device, uint32_t class_code, uint8_t revision)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	put(d->cfg + PCI_VENDOR_ID, 2, vendor);
	put(d->cfg + PCI_DEVICE_ID, 2, device);
	d->cfg[PCI_REVISION_ID] = revision;
	put(d->cfg + PCI_CLASS_PROG, 3, class_code);
	put(d->wmask + PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
	    PCI_COMMAND_INTX_DISABLE);
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->dmask[PCI_STATUS] = PCI_STATUS_INTERRUPT;
	d->next_cap = 0x40;
}

void pci_device_set_bar(struct pci_device *d, int bar, uint64_t size,
			uint32_t flags, io_read_fn rd, io_write_fn wr, void *opaque)
{
	struct pci_bar *b = &d->bar[bar];
	unsigned off = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint64_t mask = ~(size - 1);

	b->size = size;
	b->io = flags & PCI_BASE_ADDRESS_SPACE_IO;
	b->is64 = flags & PCI_BASE_ADDRESS_MEM_TYPE_64;
	b->prefetch = flags & PCI_BASE_ADDRESS_MEM_PREFETCH;
	b->read = rd;
	b->write = wr;
	b->opaque = opaque;
	put(d->cfg + off, 4, flags);
	put(d->wmask + off, 4, (uint32_t)mask & (b->io ? ~0x3U : ~0xfU));
	if (b->is64)
		put(d->wmask + off + 4, 4, (uint32_t)(mask >> 32));
}

unsigned pci_add_cap(struct pci_device *d, uint8_t id, unsigned len)
{
	unsigned off = d->next_cap, p;

	if (off < 0x40 || off + len > 0x100 || len < 2)
		return 0;
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	if (!d->cfg[PCI_CAPABILITY_LIST]) {
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	} else {
		for (p = d->cfg[PCI_CAPABILITY_LIST]; d->cfg[p + 1]; p = d->cfg[p + 1])
			;
		d->cfg[p + 1] = (uint8_t)off;
	}
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->next_cap = (uint8_t)((off + len + 3) & ~3U);
	return off;
}

uint64_t pci_bar_address(const struct pci_device *d, int bar)
{
	const struct pci_bar *b = &d->bar[bar];
	uint64_t lo;

	if (bar == PCI_ROM_BAR)
		return get(d->cfg + PCI_ROM_ADDRESS, 4) & ~0x7ffULL;
	lo = get(d->cfg + PCI_BASE_ADDRESS_0 + 4 * bar, 4);
	if (b->io)
		return lo & ~0x3ULL;
	lo &= ~0xfULL;
	if (b->is64)
		lo |= (uint64_t)get(d->cfg + PCI_BASE_ADDRESS_0 + 4 * bar + 4, 4) << 32;
	return lo;
}

void pci_device_set_rom(struct pci_device *d, uint64_t size, io_read_fn rd,
			io_write_fn wr, void *opaque)
{
	struct pci_bar *b = &d->bar[PCI_ROM_BAR];
	uint32_t mask = ((uint32_t)~(size - 1) & ~0x7feU) | 1;

	b->size = size;
	b->read = rd;
	b->write = wr;
	b->opaque = opaque;
	put(d->wmask + PCI_ROM_ADDRESS, 4, mask);
}

static bool reserved(const struct pci_bus *bus, uint64_t addr, uint64_t end)
{
	int i;

	for (i = 0; i < bus->n_reserved; i++)
		if (addr < bus->reserved[i].end && end > bus->reserved[i].start)
			return true;
	return false;
}

/* A BAR decodes when its space is enabled and its address is sane: not 0,
 * not wrapping, below 64 KiB for I/O, below 4 GiB for a 32-bit BAR, and
 * clear of every reserved range (the all-ones sizing pattern of a 32-bit
 * BAR lands on the firmware or the LAPIC). The ROM also needs its enable
 * bit. Anything else simply does not decode, as on real hardware. */
static bool bar_decodes(const struct pci_device *d, int i, uint64_t addr)
{
	const struct pci_bar *b = &d->bar[i];
	uint16_t cmd = (uint16_t)get(d->cfg + PCI_COMMAND, 2);
	uint64_t end = addr + b->size;

	if (!(cmd & (b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
		return false;
	if (i == PCI_ROM_BAR && !(d->cfg[PCI_ROM_ADDRESS] & 1))
		return false;
	if (addr == 0 || end < addr)
		return false;
	if (b->io)
		return end <= 0x10000;
	if (!b->is64 && end > 0x100000000ULL)
		return false;
	return end <= (1ULL << 52) && !reserved(d->bus, addr, end);
}

static void bar_off(struct pci_device *d, int i)
{
	struct pci_bar *b = &d->bar[i];

	if (d->ops && d->ops->bar_unmap)
		d->ops->bar_unmap(d, i, b->addr);
	io_bus_remove(b->io ? d->bus->pio : d->bus->mmio, b->addr, b->opaque);
	b->mapped = false;
}

static void bar_on(struct pci_device *d, int i, uint64_t addr)
{
	struct pci_bar *b = &d->bar[i];

	if (io_bus_add(b->io ? d->bus->pio : d->bus->mmio, addr, b->size, b->read, b->write,
		       b->opaque, d->name)) {
		pr_debug("%s: BAR%d at 0x%llx not mapped (overlap)", d->name, i,
			 (unsigned long long)addr);
		return;
	}
	b->mapped = true;
	b->addr = addr;
	if (d->ops && d->ops->bar_map)
		d->ops->bar_map(d, i, addr);
	if (i == PCI_ROM_BAR)
		pr_info("pci 00:%02x.0 %s: ROM at 0x%llx, size 0x%llx", d->slot, d->name,
			(unsigned long long)addr, (unsigned long long)b->size);
	else
		pr_info("pci 00:%02x.0 %s: BAR%d at 0x%llx, size 0x%llx [%s]", d->slot,
			d->name, i, (unsigned long long)addr, (unsigned long long)b->size,
			b->io ? "io" : b->prefetch ? "prefmem" : "mem");
}

/* The bus's own job after a config write: which BARs decode where. */
void pci_update_decoding(struct pci_device *d)
{
	int i;

	if (!d->bus)
		return;
	for (i = 0; i <= PCI_ROM_BAR; i++) {
		struct pci_bar *b = &d->bar[i];
		uint64_t addr;
		bool on;

		if (!b->size)
			continue;
		addr = pci_bar_address(d, i);
		on = bar_decodes(d, i, addr);
		if (b->mapped && (!on || addr != b->addr))
			bar_off(d, i);
		if (on && !b->mapped)
			bar_on(d, i, addr);
		if (b->is64)
			i++;
	}
}

uint32_t pci_cfg_read(struct pci_device *d, unsigned off, unsigned size)
{
	if ((size != 1 && size != 2 && size != 4) || off % size ||
	    off >= PCI_CFG_SIZE || size > PCI_CFG_SIZE - off)
		return ~0U;
	return get(d->cfg + off, size);
}

void pci_cfg_write(struct pci_device *d, unsigned off, unsigned size, uint32_t val)
{
	unsigned i;

	if ((size != 1 && size != 2 && size != 4) || off % size ||
	    off >= PCI_CFG_SIZE || size > PCI_CFG_SIZE - off)
		return;
	for (i = 0; i < size; i++) {
		uint8_t v = (uint8_t)(val >> (8 * i));
		unsigned o = off + i;

		d->cfg[o] = (d->cfg[o] & ~d->wmask[o]) | (v & d->wmask[o]);
		d->cfg[o] &= ~(v & d->w1cmask[o]);
	}
}

/* Whether a write of size bytes at off touches what decoding depends on:
 * the command register, the BARs or the ROM BAR. */
static bool decode_write(unsigned off, unsigned size)
{
	unsigned end = off + size;

	return (off < PCI_COMMAND + 2 && end > PCI_COMMAND) ||
	       (off < PCI_BASE_ADDRESS_0 + 24 && end > PCI_BASE_ADDRESS_0) ||
	       (off < PCI_ROM_ADDRESS + 4 && end > PCI_ROM_ADDRESS);
}

uint32_t pci_guest_cfg_read(struct pci_device *d, unsigned off, unsigned size)
{
	if (d->ops && d->ops->cfg_read)
		return d->ops->cfg_read(d, off, size);
	return pci_cfg_read(d, off, size);
}

void pci_guest_cfg_write(struct pci_device *d, unsigned off, unsigned size, uint32_t val)
{
	if (d->ops && d->ops->cfg_write)
		d->ops->cfg_write(d, off, size, val);
	else
		pci_cfg_write(d, off, size, val);
	if (decode_write(off, size))
		pci_update_decoding(d);
}

static struct pci_device *lookup(struct pci_bus *bus, unsigned busno,
				 unsigned slot, unsigned fn)
{
	if (busno != 0 || fn != 0 || slot >= PCI_MAX_SLOTS)
		return NULL;
	return bus->slot[slot];
}

/* Mechanism #1: 0xcf8 address, 0xcf9 reset control, 0xcfc-0xcff data. */
static uint64_t cf8_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_bus *bus = opaque;

	return off == 0 && size == 4 ? bus->cf8 : ~0ULL;
}

static void cf8_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct pci_bus *bus = opaque;

	if (off == 0 && size == 4)
		bus->cf8 = (uint32_t)v;
	else if (off == 1 && size == 1 && (v & 0x04) && bus->reset_request)
		bus->reset_request(bus->reset_opaque);
}

static struct pci_device *cf8_target(struct pci_bus *bus, unsigned *reg)
{
	uint32_t a = bus->cf8;

	if (!(a & 0x80000000U))
		return NULL;
	*reg = a & 0xfc;
	return lookup(bus, (a >> 16) & 0xff, (a >> 11) & 0x1f, (a >> 8) & 0x7);
}

static uint64_t cfc_read(void *opaque, uint64_t off, unsigned size)
{
	unsigned reg;
	struct pci_device *d = cf8_target(opaque, &reg);

	if (!d || off + size > 4)
		return ~0ULL;
	return pci_guest_cfg_read(d, reg + (unsigned)off, size);
}

static void cfc_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	unsigned reg;
	struct pci_device *d = cf8_target(opaque, &reg);

	if (d && off + size <= 4)
		pci_guest_cfg_write(d, reg + (unsigned)off, size, (uint32_t)v);
}

static struct pci_device *ecam_target(struct pci_bus *bus, uint64_t off,
				      unsigned *reg)
{
	*reg = off & 0xfff;
	return lookup(bus, (unsigned)(off >> ECAM_BUS_SHIFT),
		      (off >> 15) & 0x1f, (off >> 12) & 0x7);
}

static uint64_t ecam_read(void *opaque, uint64_t off, unsigned size)
{
	unsigned reg;
	struct pci_device *d = ecam_target(opaque, off, &reg);

	if (!d || size > 4)
		return ~0ULL;
	return pci_guest_cfg_read(d, reg, size);
}

static void ecam_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	unsigned reg;
	struct pci_device *d = ecam_target(opaque, off, &reg);

	if (d && size <= 4)
		pci_guest_cfg_write(d, reg, size, (uint32_t)v);
}

static void bus_init(struct pci_bus *bus, struct io_bus *pio, struct io_bus *mmio,
		     uint64_t mem32_base, uint64_t mem32_size, uint64_t mem64_base,
		     uint64_t mem64_size)
{
	memset(bus, 0, sizeof(*bus));
	bus->pio = pio;
	bus->mmio = mmio;
	bus->io_next = 0x1000;
	bus->mem32_next = bus->mem32_base = mem32_base;
	bus->mem32_end = mem32_base + mem32_size;
	bus->mem64_next = bus->mem64_base = mem64_base;
	bus->mem64_end = mem64_base + mem64_size;
	/* Red Hat's "QEMU PCIe host bridge" id: no OS quirks attach to it. */
	pci_device_init(&bus->host, "host bridge", 0x1b36, 0x0008, 0x060000, 0);
	memset(bus->host.wmask, 0, sizeof(bus->host.wmask));
	bus->host.bus = bus;
	bus->slot[0] = &bus->host;
}

static int attach_ecam(struct pci_bus *bus, uint64_t ecam_base, unsigned buses)
{
	uint64_t len = (uint64_t)buses << ECAM_BUS_SHIFT;

	pci_bus_reserve(bus, ecam_base, len);
	return io_bus_add(bus->mmio, ecam_base, len, ecam_read, ecam_write, bus, "PCI ECAM");
}

int pci_bus_init(struct pci_bus *bus, struct io_bus *pio, struct io_bus *mmio,
		 uint64_t ecam_base, uint64_t mem32_base, uint64_t mem32_size,
		 uint64_t mem64_base, uint64_t mem64_size)
{
	bus_init(bus, pio, mmio, mem32_base, mem32_size, mem64_base, mem64_size);
	if (io_bus_add(pio, 0xcf8, 2, cf8_read, cf8_write, bus, "PCI config address") ||
	    io_bus_add(pio, 0xcfc, 4, cfc_read, cfc_write, bus, "PCI config data") ||
	    attach_ecam(bus, ecam_base, 256))
		return -1;
	return 0;
}

int pci_bus_init_ecam(struct pci_bus *bus, struct io_bus *pio, struct io_bus *mmio,
		      uint64_t ecam_base, unsigned buses, uint64_t mem32_base,
		      uint64_t mem32_size, uint64_t mem64_base, uint64_t mem64_size)
{
	bus_init(bus, pio, mmio, mem32_base, mem32_size, mem64_base, mem64_size);
	return buses < 1 || buses > 256 || attach_ecam(bus, ecam_base, buses) ? -1 : 0;
}

int pci_bus_reserve(struct pci_bus *bus, uint64_t base, uint64_t len)
{
	if (bus->n_reserved == PCI_MAX_RESERVED)
		return -1;
	bus->reserved[bus->n_reserved].start = base;
	bus->reserved[bus->n_reserved].end = base + len;
	bus->n_reserved++;
	return 0;
}

/* The window a BAR goes in: its next free address, its start and end. */
static uint64_t *window(struct pci_bus *bus, const struct pci_bar *b,
			uint64_t *start, uint64_t *end, const char **name)
{
	if (b->io) {
		*start = 0x1000;
		*end = 0x10000;
		*name = "I/O port";
		return &bus->io_next;
	}
	if (b->is64) {
		*start = bus->mem64_base;
		*end = bus->mem64_end;
		*name = "64-bit";
		return &bus->mem64_next;
	}
	*start = bus->mem32_base;
	*end = bus->mem32_end;
	*name = "32-bit";
	return &bus->mem32_next;
}

static void write_bar(struct pci_device *d, int i, uint64_t addr)
{
	unsigned off = PCI_BASE_ADDRESS_0 + 4 * i;

	put(d->cfg + off, 4, (uint32_t)addr | (get(d->cfg + off, 4) & (d->bar[i].io ? 0x3 : 0xf)));
	if (d->bar[i].is64)
		put(d->cfg + off + 4, 4, (uint32_t)(addr >> 32));
}

static int assign(struct pci_bus *bus, struct pci_device *d, int i)
{
	struct pci_bar *b = &d->bar[i];
	const char *name;
	uint64_t start, end, addr, *next = window(bus, b, &start, &end, &name);

	addr = (*next + b->size - 1) & ~(b->size - 1);
	if (addr < *next || addr + b->size > end || addr + b->size < addr)
		return -1;
	*next = addr + b->size;
	write_bar(d, i, addr);
	return 0;
}

/* Into slot (or the lowest free one when slot < 0); place: give the BARs
 * addresses after the ones already placed (at boot). */
static int plug(struct pci_bus *bus, struct pci_device *d, int slot, bool place)
{
	uint32_t id;
	int i;

	if (slot < 0)
		for (slot = 1; slot < PCI_MAX_SLOTS && bus->slot[slot]; slot++)
			;
	if (slot < 1 || slot >= PCI_MAX_SLOTS || bus->slot[slot])
		return -1;
	for (i = 0; place && i < PCI_NUM_BARS; i++) {
		if (d->bar[i].size && assign(bus, d, i))
			write_bar(d, i, 0);     /* placed by pci_bus_assign_all */
		if (d->bar[i].is64)
			i++;
	}
	d->bus = bus;
	d->slot = slot;
	bus->slot[slot] = d;
	id = pci_guest_cfg_read(d, PCI_VENDOR_ID, 4);
	pr_info("pci 00:%02x.0 %04x:%04x %s", slot, id & 0xffff, id >> 16, d->name);
	return slot;
}

int pci_bus_add(struct pci_bus *bus, struct pci_device *d)
{
	return plug(bus, d, -1, true);
}

int pci_bus_add_at(struct pci_bus *bus, struct pci_device *d, int slot)
{
	if (slot < 1 || slot >= PCI_MAX_SLOTS || bus->slot[slot])
		slot = -1;
	return plug(bus, d, slot, true);
}

int pci_bus_plug_at(struct pci_bus *bus, struct pci_device *d, int slot)
{
	return plug(bus, d, slot, false);
}

void pci_bar_write(struct pci_device *d, int bar, uint64_t addr)
{
	write_bar(d, bar, addr);
}

static void size_text(uint64_t n, char *buf, size_t len)
{
	static const char *unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;

	while (u < 4 && n >= 1024 && !(n & 1023)) {
		n >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)n, unit[u]);
}

struct bar_ref {
	struct pci_device *d;
	int bar;
};

static int collect_bars(struct pci_bus *bus, struct bar_ref *refs)
{
	int s, i, n = 0, j;

	for (s = 1; s < PCI_MAX_SLOTS; s++) {
		struct pci_device *d = bus->slot[s];

		for (i = 0; d && i < PCI_NUM_BARS; i++) {
			if (!d->bar[i].size)
				continue;
			/* Insertion by size, largest first; equal sizes keep
			 * slot and BAR order. */
			for (j = n; j > 0 && refs[j - 1].d->bar[refs[j - 1].bar].size < d->bar[i].size; j--)
				refs[j] = refs[j - 1];
			refs[j].d = d;
			refs[j].bar = i;
			n++;
			if (d->bar[i].is64)
				i++;
		}
	}
	return n;
}

/* Ends the message of a BAR that did not fit: the largest BAR already in
 * its window (refs are sorted, so the first one found), which is what the
 * user would take away to make room. */
static void name_largest(const struct bar_ref *refs, int k, const uint64_t *next,
			 struct pci_bus *bus, char *err, size_t errlen)
{
	size_t len = strlen(err);
	char sz[32];
	uint64_t s, e;
	const char *n;
	int j;

	for (j = 0; j < k; j++) {
		const struct pci_bar *p = &refs[j].d->bar[refs[j].bar];

		if (window(bus, p, &s, &e, &n) == next)
			break;
	}
	if (j == k) {
		snprintf(err + len, errlen - len, ")");
		return;
	}
	size_text(refs[j].d->bar[refs[j].bar].size, sz, sizeof(sz));
	snprintf(err + len, errlen - len, "; the largest BAR in it is %s BAR%d of %s)",
		 refs[j].d->name, refs[j].bar, sz);
}

int pci_bus_assign_all(struct pci_bus *bus, char *err, size_t errlen)
{
	struct bar_ref refs[PCI_MAX_SLOTS * PCI_NUM_BARS];
	char sz[32], free_sz[32];
	const char *name;
	uint64_t start, end, *next;
	int n, k;

	bus->io_next = 0x1000;
	bus->mem32_next = bus->mem32_base;
	bus->mem64_next = bus->mem64_base;
	n = collect_bars(bus, refs);
	for (k = 0; k < n; k++) {
		struct pci_device *d = refs[k].d;
		struct pci_bar *b = &d->bar[refs[k].bar];

		if (b->mapped)          /* never moved under a running guest */
			continue;
		if (assign(bus, d, refs[k].bar) == 0)
			continue;
		next = window(bus, b, &start, &end, &name);
		size_text(b->size, sz, sizeof(sz));
		size_text(end > *next ? end - *next : 0, free_sz, sizeof(free_sz));
		snprintf(err, errlen, "%s: BAR%d of %s does not fit the %s PCI window "
			 "0x%llx-0x%llx (%s free from 0x%llx, and a BAR must be aligned to its size",
			 d->name, refs[k].bar, sz, name, (unsigned long long)start,
			 (unsigned long long)end - 1, free_sz, (unsigned long long)*next);
		name_largest(refs, k, next, bus, err, errlen);
		return -1;
	}
	return 0;
}

void pci_bus_unplug(struct pci_bus *bus, struct pci_device *d)
{
	int i;

	for (i = 0; i <= PCI_ROM_BAR; i++)
		if (d->bar[i].mapped)
			bar_off(d, i);
	if (d->slot > 0 && d->slot < PCI_MAX_SLOTS && bus->slot[d->slot] == d)
		bus->slot[d->slot] = NULL;
}

void pci_bus_remove(struct pci_bus *bus, struct pci_device *d)
{
	pci_bus_unplug(bus, d);
	if (d->ops && d->ops->teardown)
		d->ops->teardown(d);
}

void pci_bus_destroy(struct pci_bus *bus)
{
	int s;

	for (s = 1; s < PCI_MAX_SLOTS; s++)
		if (bus->slot[s])
			pci_bus_remove(bus, bus->slot[s]);
}
