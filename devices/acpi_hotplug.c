/* ACPI PCI hotplug of bus 0's slots, and the GPE0 block that signals it.
 *
 * Ports (both blocks are byte-addressed: an access of size 1, 2 or 4 at any
 * offset covers the bytes it covers; other sizes are ignored, and read
 * all-ones, as do bytes past a block's end):
 *
 *   0x620-0x621  GPE0 status, GPE 0-15, write-1-to-clear
 *   0x622-0x623  GPE0 enable, GPE 0-15, read/write
 *   0x630  INS   slots plugged that the guest has not acknowledged (R/W1C)
 *   0x634  REM   slots whose removal is asked and not acknowledged (R/W1C)
 *   0x638  EJ    the guest's _EJ0 writes its slot's bit here (W, reads 0)
 *   0x63c  SLOTS the hotpluggable slots (R)
 *
 * Only GPE 1 (ACPI_GPE_PCI_HOTPLUG) is ever set: by a plug or an unplug
 * request. Its status is latched until the guest writes 1 to it, so the
 * DSDT's handler is _E01 (edge: ACPICA clears the status, then runs the
 * method; an event during the method sets it again and the method runs
 * again). The SCI is shared with PM1 (devices/acpi_pm.c owns the line):
 * level = (pm1_sts & pm1_en) | (gpe_sts & gpe_en).
 *
 * The DSDT (boot/x86/acpi.c) has, under \_SB.PCI0, a Device Sxx per hotpluggable
 * slot (xx the slot in hex) with _ADR slot << 16, _SUN slot and _EJ0, which
 * writes the slot's bit to EJ; \_SB.PCI0.PCNT reads INS and REM, writes
 * what it read back (acknowledging exactly those bits) and does Notify(Sxx,
 * 1) per inserted slot and Notify(Sxx, 3) per removal request; \_GPE._E01
 * calls PCNT. Every slot 1-31 is described (ACPI_HOTPLUG_SLOTS_ALL), also
 * those filled at boot (virtio-console, boot-time passthrough), so any
 * device can be removed; a slot without a device reads as empty config
 * space, so its Sxx is harmless.
 *
 * What Linux's acpiphp (drivers/pci/hotplug/acpiphp_glue.c) needs of a slot
 * on the root bus: the root bus gets an acpiphp bridge whenever the host
 * bridge has an ACPI companion (PCI0); every child Device of PCI0 with an
 * _ADR becomes a function of slot _ADR >> 16; the slot is registered (and
 * its notifications acted on) when acpi_pci_check_ejectable() says so: the
 * object's parent is the bus's ACPI handle and it has _EJ0 or _RMV. _STA
 * is optional: without it acpiphp reads the vendor id in config space to
 * see whether the slot is filled. _SUN names the slot in
 * /sys/bus/pci/slots/ (acpiphp needs it unique). Native PCIe hotplug only
 * takes over where a bridge has a hot-plug capable slot and _OSC granted
 * native hotplug control; bus 0 has no bridge and PCI0 (PNP0A08 with
 * PNP0A03) has no _OSC, so acpiphp handles these slots. On Device Check
 * (Notify 1) acpiphp scans the slot, sizes and assigns the new device's
 * BARs from the root bus's windows (PCI0's _CRS: the bus's whole I/O,
 * 32-bit and 64-bit windows, so there is room) and adds the device; on
 * Eject Request (Notify 3) it stops and removes the device, then evaluates
 * _EJ0(1). The guest kernel needs CONFIG_HOTPLUG_PCI_ACPI (Debian's has it).
 *
 * Ejects: only requested ones are honoured. An _EJ0 for a slot whose
 * removal nobody asked for (a guest's "safely remove" through
 * /sys/bus/pci/slots/N/power) is acknowledged and ignored, logged once: the
 * guest is untrusted, and conduit keeps the device until the user removes
 * it; the guest sees it again after a rescan. */
#include <errno.h>
#include "../vmm/log.h"
#include "../vmm/snapshot/cursor.h"
#include "acpi_hotplug.h"

static bool slot_ok(const struct acpi_hotplug *hp, unsigned slot)
{
	return slot < 32 && (hp->slots & (1U << slot));
}

static void update_gpe(struct acpi_hotplug *hp)
{
	if (hp->pm)
		acpi_pm_set_gpe(hp->pm, (hp->gpe_sts & hp->gpe_en) != 0);
}

static void raise_gpe(struct acpi_hotplug *hp)
{
	hp->gpe_sts |= 1U << ACPI_GPE_PCI_HOTPLUG;
	update_gpe(hp);
}

void acpi_hotplug_plug(struct acpi_hotplug *hp, unsigned slot)
{
	if (!slot_ok(hp, slot))
		return;
	hp->ins |= 1U << slot;
	raise_gpe(hp);
}

int acpi_hotplug_request_unplug(struct acpi_hotplug *hp, unsigned slot)
{
	if (!slot_ok(hp, slot))
		return -EINVAL;
	if (hp->pending & (1U << slot))
		return -EBUSY;
	hp->pending |= 1U << slot;
	hp->rem |= 1U << slot;
	raise_gpe(hp);
	return 0;
}

bool acpi_hotplug_unplug_pending(const struct acpi_hotplug *hp, unsigned slot)
{
	return slot < 32 && (hp->pending & (1U << slot));
}

void acpi_hotplug_cancel(struct acpi_hotplug *hp, unsigned slot)
{
	if (slot >= 32)
		return;
	hp->pending &= ~(1U << slot);
	hp->rem &= ~(1U << slot);
}

/* The guest wrote these slot bits to EJ. */
static void eject(struct acpi_hotplug *hp, uint32_t bits)
{
	unsigned slot;

	for (slot = 0; slot < 32; slot++) {
		if (!(bits & (1U << slot)))
			continue;
		if (!(hp->pending & (1U << slot))) {
			if (!hp->warned)
				pr_warn("ACPI hotplug: the guest ejected slot %u, whose removal "
					"was not requested: ignored (logged once)", slot);
			hp->warned = true;
			continue;
		}
		hp->pending &= ~(1U << slot);
		hp->rem &= ~(1U << slot);
		if (hp->eject)
			hp->eject(hp->opaque, slot);
	}
}

static uint8_t hp_read_byte(const struct acpi_hotplug *hp, unsigned off)
{
	uint32_t reg;

	switch (off & ~3U) {
	case ACPI_HP_INS:
		reg = hp->ins;
		break;
	case ACPI_HP_REM:
		reg = hp->rem;
		break;
	case ACPI_HP_SLOTS:
		reg = hp->slots;
		break;
	default:
		reg = 0;        /* EJ */
		break;
	}
	return (uint8_t)(reg >> (8 * (off & 3)));
}

static void hp_write_byte(struct acpi_hotplug *hp, unsigned off, uint8_t b)
{
	uint32_t bits = (uint32_t)b << (8 * (off & 3));

	switch (off & ~3U) {
	case ACPI_HP_INS:
		hp->ins &= ~bits;
		break;
	case ACPI_HP_REM:
		hp->rem &= ~bits;
		break;
	case ACPI_HP_EJ:
		eject(hp, bits);
		break;
	default:
		break;          /* SLOTS is read-only */
	}
}

static bool size_ok(unsigned size)
{
	return size == 1 || size == 2 || size == 4;
}

/* A register block accessed a byte at a time: bytes past its len read
 * 0xff and take no writes; sizes other than 1, 2 and 4 read all-ones. */
typedef uint8_t (*byte_read_fn)(const struct acpi_hotplug *hp, unsigned off);
typedef void (*byte_write_fn)(struct acpi_hotplug *hp, unsigned off, uint8_t b);

static uint64_t read_bytes(const struct acpi_hotplug *hp, uint64_t off, unsigned size,
			   unsigned len, byte_read_fn rd)
{
	uint64_t v = 0;
	unsigned i;

	if (!size_ok(size))
		return ~0ULL;
	for (i = 0; i < size; i++) {
		uint8_t b = off + i < len ? rd(hp, (unsigned)(off + i)) : 0xff;

		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

static void write_bytes(struct acpi_hotplug *hp, uint64_t off, unsigned size, unsigned len,
			uint64_t v, byte_write_fn wr)
{
	unsigned i;

	if (!size_ok(size))
		return;
	for (i = 0; i < size && off + i < len; i++)
		wr(hp, (unsigned)(off + i), (uint8_t)(v >> (8 * i)));
}

uint64_t acpi_hotplug_read(void *opaque, uint64_t off, unsigned size)
{
	return read_bytes(opaque, off, size, ACPI_HP_LEN, hp_read_byte);
}

void acpi_hotplug_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	write_bytes(opaque, off, size, ACPI_HP_LEN, v, hp_write_byte);
}

static uint8_t gpe_read_byte(const struct acpi_hotplug *hp, unsigned off)
{
	uint16_t reg = off < 2 ? hp->gpe_sts : hp->gpe_en;

	return (uint8_t)(reg >> (8 * (off & 1)));
}

static void gpe_write_byte(struct acpi_hotplug *hp, unsigned off, uint8_t b)
{
	unsigned shift = 8 * (off & 1);

	if (off < 2)
		hp->gpe_sts &= (uint16_t)~(b << shift);
	else
		hp->gpe_en = (uint16_t)((hp->gpe_en & ~(0xffU << shift)) | (unsigned)b << shift);
}

uint64_t acpi_gpe_read(void *opaque, uint64_t off, unsigned size)
{
	return read_bytes(opaque, off, size, ACPI_GPE0_LEN, gpe_read_byte);
}

void acpi_gpe_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct acpi_hotplug *hp = opaque;

	write_bytes(hp, off, size, ACPI_GPE0_LEN, v, gpe_write_byte);
	if (size_ok(size))
		update_gpe(hp);
}

int acpi_hotplug_init(struct acpi_hotplug *hp, struct io_bus *pio, struct acpi_pm *pm,
		      uint32_t slots, void (*eject_fn)(void *opaque, unsigned slot),
		      void *opaque)
{
	int ret;

	*hp = (struct acpi_hotplug){
		.slots = slots & ACPI_HOTPLUG_SLOTS_ALL,
		.pm = pm,
		.eject = eject_fn,
		.opaque = opaque,
	};
	ret = io_bus_add(pio, ACPI_GPE0_PORT, ACPI_GPE0_LEN, acpi_gpe_read, acpi_gpe_write,
			 hp, "ACPI GPE0");
	if (ret)
		return ret;
	ret = io_bus_add(pio, ACPI_HP_PORT, ACPI_HP_LEN, acpi_hotplug_read, acpi_hotplug_write,
			 hp, "ACPI PCI hotplug");
	if (ret)
		io_bus_remove(pio, ACPI_GPE0_PORT, hp);
	return ret;
}

int acpi_hotplug_save(const struct acpi_hotplug *hp, struct snap_out *out)
{
	snap_put_u32(out, hp->slots);
	snap_put_u32(out, hp->ins);
	snap_put_u32(out, hp->rem);
	snap_put_u32(out, hp->pending);
	snap_put_u16(out, hp->gpe_sts);
	snap_put_u16(out, hp->gpe_en);
	snap_put_u8(out, hp->warned);
	return snap_out_error(out);
}

static void load_slots(struct acpi_hotplug *hp, struct acpi_hotplug *s, struct snap_in *in)
{
	s->slots = snap_get_u32(in);
	s->ins = snap_get_u32(in);
	s->rem = snap_get_u32(in);
	s->pending = snap_get_u32(in);
	if (s->slots != hp->slots)
		snap_in_fail(in, "other hotpluggable slots than this machine's");
	else if ((s->ins | s->pending) & ~hp->slots)
		snap_in_fail(in, "a plug or removal for a slot that is not hotpluggable");
	else if (s->rem & ~s->pending)
		snap_in_fail(in, "a removal request without its pending removal");
}

int acpi_hotplug_load(struct acpi_hotplug *hp, struct snap_in *in)
{
	struct acpi_hotplug s;
	uint8_t warned;

	load_slots(hp, &s, in);
	s.gpe_sts = snap_get_u16(in);
	if (s.gpe_sts & ~(1U << ACPI_GPE_PCI_HOTPLUG))
		snap_in_fail(in, "GPE0 status bits other than PCI hotplug's (GPE 1)");
	s.gpe_en = snap_get_u16(in);
	warned = snap_get_u8(in);
	if (warned > 1)
		snap_in_fail(in, "a logged-eject flag other than 0 or 1");
	if (snap_in_failed(in))
		return -1;
	hp->ins = s.ins;
	hp->rem = s.rem;
	hp->pending = s.pending;
	hp->gpe_sts = s.gpe_sts;
	hp->gpe_en = s.gpe_en;
	hp->warned = warned;
	update_gpe(hp);
	return 0;
}
