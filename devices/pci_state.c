/* Snapshot state at the PCI bus's level (issue 15): a device's config space
 * and BAR decoding, saved as they are and loaded only into a device with the
 * same identity (every byte outside the guest-writable and device-driven
 * bits must match), then handed to the kind's own save and load; and the
 * bus's 0xcf8 address latch. Layouts: pci_state.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "pci_state.h"

#define KIND_EMULATED "emulated"

struct bar_state {
	uint64_t size;
	uint8_t decoding;
	uint64_t addr;
};

static const char *kind_of(const struct pci_device *d)
{
	return d->ops && d->ops->kind ? d->ops->kind : KIND_EMULATED;
}

/* Fail the cursor with a reason formatted into the device's own buffer
 * (the cursor keeps the pointer); nothing once it has failed, so a reason
 * in use is never overwritten. */
static void __attribute__((format(printf, 3, 4)))
refuse(struct pci_device *d, struct snap_in *in, const char *fmt, ...)
{
	va_list ap;

	if (snap_in_failed(in))
		return;
	va_start(ap, fmt);
	vsnprintf(d->load_why, sizeof(d->load_why), fmt, ap);
	va_end(ap);
	snap_in_fail(in, d->load_why);
}

static void save_bar(const struct pci_bar *b, struct snap_out *out)
{
	snap_put_u64(out, b->size);
	snap_put_u8(out, b->mapped);
	snap_put_u64(out, b->mapped ? b->addr : 0);
}

int pci_device_save(struct pci_device *d, struct snap_out *out)
{
	int i;

	snap_put_str(out, kind_of(d));
	snap_put_u16(out, PCI_CFG_SIZE);
	snap_put_bytes(out, d->cfg, PCI_CFG_SIZE);
	for (i = 0; i <= PCI_ROM_BAR; i++)
		save_bar(&d->bar[i], out);
	if (snap_out_error(out))
		return snap_out_error(out);
	if (d->ops && d->ops->save)
		return d->ops->save(d, out);
	return 0;
}

static void load_kind(struct pci_device *d, struct snap_in *in)
{
	char kind[SNAP_STR_MAX + 1];

	snap_get_str(in, kind, sizeof(kind));
	if (!snap_in_failed(in) && strcmp(kind, kind_of(d)))
		refuse(d, in, "%s: a snapshot of a %s device, this one is %s", d->name,
		       kind, kind_of(d));
}

/* The saved config space against the device's: bytes may differ only in
 * the bits the guest writes or the device drives. */
static void check_cfg(struct pci_device *d, const uint8_t *cfg, struct snap_in *in)
{
	unsigned o;
	uint8_t fixed;

	for (o = 0; o < PCI_CFG_SIZE; o++) {
		fixed = (uint8_t)~(d->wmask[o] | d->w1cmask[o] | d->dmask[o]);
		if (!((cfg[o] ^ d->cfg[o]) & fixed))
			continue;
		refuse(d, in, "%s: config space at 0x%03x is 0x%02x where the device "
		       "has 0x%02x (read-only bits 0x%02x)", d->name, o, cfg[o],
		       d->cfg[o], fixed);
		return;
	}
}

static void load_cfg(struct pci_device *d, uint8_t *cfg, struct snap_in *in)
{
	uint16_t len = snap_get_u16(in);

	if (!snap_in_failed(in) && len != PCI_CFG_SIZE)
		refuse(d, in, "%s: config space of %u bytes, this device's has %u",
		       d->name, len, PCI_CFG_SIZE);
	snap_get_bytes(in, cfg, PCI_CFG_SIZE);
	if (!snap_in_failed(in))
		check_cfg(d, cfg, in);
}

static void load_bar(struct pci_device *d, int i, struct bar_state *s, struct snap_in *in)
{
	s->size = snap_get_u64(in);
	if (!snap_in_failed(in) && s->size != d->bar[i].size)
		refuse(d, in, "%s: BAR%d of 0x%llx bytes in the snapshot, this device's "
		       "is 0x%llx", d->name, i, (unsigned long long)s->size,
		       (unsigned long long)d->bar[i].size);
	s->decoding = snap_get_u8(in);
	if (!snap_in_failed(in) && s->decoding > 1)
		refuse(d, in, "%s: BAR%d decoding flag %u (not 0 or 1)", d->name, i,
		       s->decoding);
	s->addr = snap_get_u64(in);
	if (!snap_in_failed(in) && !s->decoding && s->addr)
		refuse(d, in, "%s: BAR%d has an address (0x%llx) and did not decode",
		       d->name, i, (unsigned long long)s->addr);
}

/* After the bus decided anew: each BAR decodes exactly where it did. */
static void check_decoding(struct pci_device *d, const struct bar_state *s,
			   struct snap_in *in)
{
	int i;

	for (i = 0; i <= PCI_ROM_BAR; i++) {
		const struct pci_bar *b = &d->bar[i];

		if (s[i].decoding == b->mapped && (!b->mapped || s[i].addr == b->addr))
			continue;
		if (s[i].decoding)
			refuse(d, in, "%s: BAR%d decoded at 0x%llx in the snapshot and "
			       "does not here (reserved, overlapping or disabled)",
			       d->name, i, (unsigned long long)s[i].addr);
		else
			refuse(d, in, "%s: BAR%d did not decode in the snapshot and "
			       "does here, at 0x%llx", d->name, i,
			       (unsigned long long)b->addr);
		return;
	}
}

int pci_device_load(struct pci_device *d, struct snap_in *in)
{
	uint8_t cfg[PCI_CFG_SIZE];
	struct bar_state s[PCI_ROM_BAR + 1];
	int i;

	load_kind(d, in);
	load_cfg(d, cfg, in);
	for (i = 0; i <= PCI_ROM_BAR; i++)
		load_bar(d, i, &s[i], in);
	if (snap_in_failed(in))
		return -1;
	memcpy(d->cfg, cfg, PCI_CFG_SIZE);
	pci_update_decoding(d);
	check_decoding(d, s, in);
	if (snap_in_failed(in))
		return -1;
	if (d->ops && d->ops->load && d->ops->load(d, in))
		return -1;
	return snap_in_failed(in) ? -1 : 0;
}

int pci_bus_save(const struct pci_bus *bus, struct snap_out *out)
{
	snap_put_u32(out, bus->cf8);
	return snap_out_error(out);
}

int pci_bus_load(struct pci_bus *bus, struct snap_in *in)
{
	uint32_t cf8 = snap_get_u32(in);

	if (snap_in_failed(in))
		return -1;
	bus->cf8 = cf8;
	return 0;
}
