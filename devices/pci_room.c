/* Room on a running bus for a hot-added device's BARs. The guest owns BAR
 * placement once it runs and may have moved anything, so the free room is
 * what lies between the addresses it has programmed (every BAR and enabled
 * ROM of every plugged device) and the reserved ranges, inside the windows
 * the ACPI tables give it. Each BAR of the new device, largest first, gets
 * the lowest naturally aligned gap: a device whose BARs do not all fit is
 * refused before anything is plugged, and the addresses found are where
 * the BARs start (the guest's hotplug driver may still move them). */
#include <stdio.h>
#include <string.h>
#include "pci.h"
#include "pci_room.h"

#define MAX_USED (PCI_MAX_SLOTS * (PCI_NUM_BARS + 1) + PCI_MAX_RESERVED + PCI_NUM_BARS)

struct used {
	struct { uint64_t start, end; } r[MAX_USED];
	int n;
};

static void use(struct used *u, uint64_t start, uint64_t len)
{
	if (len && u->n < MAX_USED) {
		u->r[u->n].start = start;
		u->r[u->n].end = start + len;
		u->n++;
	}
}

/* Everything the guest has placed in the I/O (io) or memory space. */
static void collect(const struct pci_bus *bus, bool io, struct used *u)
{
	int s, i;

	u->n = 0;
	for (s = 1; s < PCI_MAX_SLOTS; s++) {
		const struct pci_device *d = bus->slot[s];

		for (i = 0; d && i <= PCI_ROM_BAR; i++) {
			const struct pci_bar *b = &d->bar[i];
			uint64_t a;

			if (!b->size || b->io != io)
				continue;
			a = pci_bar_address(d, i);
			if (a)
				use(u, a, b->size);
		}
	}
	for (i = 0; !io && i < bus->n_reserved; i++)
		use(u, bus->reserved[i].start, bus->reserved[i].end - bus->reserved[i].start);
}

/* The lowest address in [start, end) aligned to size where size bytes
 * overlap nothing in u; 0 when there is none. */
static uint64_t gap(const struct used *u, uint64_t start, uint64_t end, uint64_t size)
{
	uint64_t a = (start + size - 1) & ~(size - 1);
	bool moved = true;
	int i;

	while (moved) {
		moved = false;
		if (a < start || a + size > end || a + size < a)
			return 0;
		for (i = 0; i < u->n; i++) {
			if (a < u->r[i].end && u->r[i].start < a + size) {
				a = (u->r[i].end + size - 1) & ~(size - 1);
				if (a < u->r[i].end)
					return 0;       /* wrapped */
				moved = true;
			}
		}
	}
	return a;
}

static uint64_t place(const struct pci_bus *bus, const struct pci_bar *b, struct used *u)
{
	uint64_t a = 0;

	if (b->io)
		return gap(u, 0x1000, 0x10000, b->size);
	if (b->is64)
		a = gap(u, bus->mem64_base, bus->mem64_end, b->size);
	if (!a)
		a = gap(u, bus->mem32_base, bus->mem32_end, b->size);
	return a;
}

static const char *space(const struct pci_bar *b)
{
	return b->io ? "I/O port" : b->is64 ? "64-bit or 32-bit" : "32-bit";
}

int pci_bus_find_room(const struct pci_bus *bus, struct pci_device *d, char *err, size_t errlen)
{
	uint64_t addr[PCI_NUM_BARS] = { 0 };
	bool done[PCI_NUM_BARS] = { false };
	struct used u;
	int k, i, big;

	for (k = 0; k < PCI_NUM_BARS; k++) {
		big = -1;
		for (i = 0; i < PCI_NUM_BARS; i++)
			if (d->bar[i].size && !done[i] &&
			    (big < 0 || d->bar[i].size > d->bar[big].size))
				big = i;
		if (big < 0)
			break;
		done[big] = true;
		collect(bus, d->bar[big].io, &u);
		for (i = 0; i < PCI_NUM_BARS; i++)      /* this device's, placed so far */
			if (addr[i] && d->bar[i].io == d->bar[big].io)
				use(&u, addr[i], d->bar[i].size);
		addr[big] = place(bus, &d->bar[big], &u);
		if (!addr[big]) {
			snprintf(err, errlen, "no room for its BARs: BAR%d (0x%llx bytes) fits nowhere in the %s PCI window around the BARs the guest has placed",
				 big, (unsigned long long)d->bar[big].size, space(&d->bar[big]));
			return -1;
		}
	}
	for (i = 0; i < PCI_NUM_BARS; i++)
		if (addr[i])
			pci_bar_write(d, i, addr[i]);
	return 0;
}
