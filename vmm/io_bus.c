/* Dispatch of trapped port I/O and MMIO: a small table of address ranges,
 * each owned by a device model. Overlaps are refused when a range is added. */
#include <errno.h>
#include "io_bus.h"
#include "log.h"

pthread_mutex_t devices_lock = PTHREAD_MUTEX_INITIALIZER;

int io_bus_add(struct io_bus *bus, uint64_t base, uint64_t len,
	       io_read_fn rd, io_write_fn wr, void *opaque, const char *name)
{
	int i;

	if (!len || base + len < base)
		return -EINVAL;
	for (i = 0; i < bus->n; i++) {
		const struct io_range *r = &bus->r[i];

		if (base < r->base + r->len && r->base < base + len) {
			pr_debug("%s: %s at 0x%llx overlaps %s", bus->name, name,
				 (unsigned long long)base, r->name);
			return -EBUSY;
		}
	}
	if (bus->n == IO_BUS_MAX)
		return -ENOSPC;
	bus->r[bus->n++] = (struct io_range){ base, len, rd, wr, opaque, name };
	return 0;
}

int io_bus_remove(struct io_bus *bus, uint64_t base, void *opaque)
{
	int i;

	for (i = 0; i < bus->n; i++) {
		if (bus->r[i].base == base && bus->r[i].opaque == opaque) {
			bus->r[i] = bus->r[--bus->n];
			return 0;
		}
	}
	return -ENOENT;
}

static struct io_range *find(struct io_bus *bus, uint64_t addr)
{
	int i;

	for (i = 0; i < bus->n; i++) {
		struct io_range *r = &bus->r[i];

		if (addr >= r->base && addr - r->base < r->len)
			return r;
	}
	return NULL;
}

uint64_t io_bus_read(struct io_bus *bus, uint64_t addr, unsigned size)
{
	struct io_range *r = find(bus, addr);

	if (r && r->read)
		return r->read(r->opaque, addr - r->base, size);
	bus->unhandled++;
	pr_debug("%s: unclaimed read of %u at 0x%llx", bus->name, size,
		 (unsigned long long)addr);
	return ~0ULL;
}

void io_bus_write(struct io_bus *bus, uint64_t addr, unsigned size, uint64_t v)
{
	struct io_range *r = find(bus, addr);

	if (r && r->write) {
		r->write(r->opaque, addr - r->base, size, v);
		return;
	}
	bus->unhandled++;
	pr_debug("%s: unclaimed write of %u at 0x%llx = 0x%llx", bus->name, size,
		 (unsigned long long)addr, (unsigned long long)v);
}
