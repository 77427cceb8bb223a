/* The machine's shape: building it, its encoding in the stream header, and
 * the comparison a loader makes, with a one-line message per mismatch.
 *
 * Encoding: u8 RAM ranges, each u64 gpa and u64 size; u16 vCPUs; u8
 * devices, each string id, string kind, u8 slot, string identity (strings
 * as the cursor writes them). Decoding goes through the same add functions
 * as building, so a decoded shape keeps every rule. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "shape.h"

#define MIB ((uint64_t)1 << 20)

void snapshot_shape_init(struct snapshot_shape *s)
{
	memset(s, 0, sizeof(*s));
}

int snapshot_shape_add_ram(struct snapshot_shape *s, uint64_t gpa, uint64_t size)
{
	const struct snapshot_ram *last;

	if (s->n_ram >= SNAPSHOT_MAX_RAM)
		return -ENOSPC;
	if (!size || gpa + size - 1 < gpa)
		return -EINVAL;
	if (s->n_ram) {
		last = &s->ram[s->n_ram - 1];
		if (gpa <= last->gpa + last->size - 1)
			return -EINVAL;
	}
	s->ram[s->n_ram].gpa = gpa;
	s->ram[s->n_ram].size = size;
	s->n_ram++;
	return 0;
}

int snapshot_shape_set_vcpus(struct snapshot_shape *s, unsigned vcpus)
{
	if (vcpus < 1 || vcpus > SNAPSHOT_MAX_VCPUS)
		return -EINVAL;
	s->vcpus = vcpus;
	return 0;
}

static bool name_ok(const char *name, bool may_be_empty)
{
	size_t len = strnlen(name, SNAPSHOT_NAME_MAX + 1);

	if (len > SNAPSHOT_NAME_MAX || (!len && !may_be_empty))
		return false;
	return snap_str_ok(name);
}

static bool slot_taken(const struct snapshot_shape *s, unsigned slot)
{
	unsigned i;

	if (slot == SNAPSHOT_NO_SLOT)
		return false;
	for (i = 0; i < s->n_devices; i++)
		if (s->dev[i].slot == slot)
			return true;
	return false;
}

int snapshot_shape_add_device(struct snapshot_shape *s, const char *id, const char *kind,
			      const char *identity, unsigned slot)
{
	struct snapshot_device *d;

	if (s->n_devices >= SNAPSHOT_MAX_DEVICES)
		return -ENOSPC;
	if (!name_ok(id, false) || !name_ok(kind, false) || !name_ok(identity, true))
		return -EINVAL;
	if (slot >= SNAPSHOT_PCI_SLOTS && slot != SNAPSHOT_NO_SLOT)
		return -EINVAL;
	if (snapshot_shape_find(s, id) >= 0 || slot_taken(s, slot))
		return -EINVAL;
	d = &s->dev[s->n_devices++];
	strcpy(d->id, id);
	strcpy(d->kind, kind);
	strcpy(d->identity, identity);
	d->slot = slot;
	return 0;
}

int snapshot_shape_find(const struct snapshot_shape *s, const char *id)
{
	unsigned i;

	for (i = 0; i < s->n_devices; i++)
		if (!strcmp(s->dev[i].id, id))
			return (int)i;
	return -1;
}

uint64_t snapshot_shape_ram_total(const struct snapshot_shape *s)
{
	uint64_t total = 0;
	unsigned i;

	for (i = 0; i < s->n_ram; i++)
		total += s->ram[i].size;
	return total;
}

bool snapshot_shape_has_ram(const struct snapshot_shape *s, uint64_t gpa, uint64_t len)
{
	const struct snapshot_ram *r;
	unsigned i;

	if (!len || gpa + len - 1 < gpa)
		return false;
	for (i = 0; i < s->n_ram; i++) {
		r = &s->ram[i];
		if (gpa >= r->gpa && gpa + len - 1 <= r->gpa + r->size - 1)
			return true;
	}
	return false;
}

void snapshot_shape_encode(const struct snapshot_shape *s, struct snap_out *o)
{
	const struct snapshot_device *d;
	unsigned i;

	snap_put_u8(o, (uint8_t)s->n_ram);
	for (i = 0; i < s->n_ram; i++) {
		snap_put_u64(o, s->ram[i].gpa);
		snap_put_u64(o, s->ram[i].size);
	}
	snap_put_u16(o, (uint16_t)s->vcpus);
	snap_put_u8(o, (uint8_t)s->n_devices);
	for (i = 0; i < s->n_devices; i++) {
		d = &s->dev[i];
		snap_put_str(o, d->id);
		snap_put_str(o, d->kind);
		snap_put_u8(o, (uint8_t)d->slot);
		snap_put_str(o, d->identity);
	}
}

static int damaged(char *err, size_t errlen, const struct snap_in *in, const char *what)
{
	snprintf(err, errlen, "the snapshot's header is damaged: %s (before byte %" PRIu64 ")",
		 what, in->base + in->off);
	return -1;
}

static int decode_ram(struct snap_in *in, struct snapshot_shape *s, char *err, size_t errlen)
{
	unsigned n = snap_get_u8(in), i;
	uint64_t gpa, size;

	if (n > SNAPSHOT_MAX_RAM)
		return damaged(err, errlen, in, "more RAM ranges than conduit takes");
	for (i = 0; i < n; i++) {
		gpa = snap_get_u64(in);
		size = snap_get_u64(in);
		if (snap_in_failed(in))
			return 0;       /* reported by snap_in_finish() */
		if (snapshot_shape_add_ram(s, gpa, size))
			return damaged(err, errlen, in,
				       "a RAM range empty, wrapping or out of order");
	}
	return 0;
}

static int decode_device(struct snap_in *in, struct snapshot_shape *s, char *err,
			 size_t errlen)
{
	char id[SNAPSHOT_NAME_MAX + 1], kind[SNAPSHOT_NAME_MAX + 1];
	char identity[SNAPSHOT_NAME_MAX + 1];
	unsigned slot;

	snap_get_str(in, id, sizeof(id));
	snap_get_str(in, kind, sizeof(kind));
	slot = snap_get_u8(in);
	snap_get_str(in, identity, sizeof(identity));
	if (snap_in_failed(in))
		return 0;
	if (snapshot_shape_add_device(s, id, kind, identity, slot))
		return damaged(err, errlen, in,
			       "a device with an empty or repeated id or kind, or a bad or repeated slot");
	return 0;
}

int snapshot_shape_decode(struct snap_in *in, struct snapshot_shape *s,
			  char *err, size_t errlen)
{
	unsigned vcpus, n, i;

	snapshot_shape_init(s);
	if (decode_ram(in, s, err, errlen))
		return -1;
	vcpus = snap_get_u16(in);
	if (!snap_in_failed(in) && snapshot_shape_set_vcpus(s, vcpus))
		return damaged(err, errlen, in, "no vCPUs, or more than conduit takes");
	n = snap_get_u8(in);
	if (n > SNAPSHOT_MAX_DEVICES)
		return damaged(err, errlen, in, "more devices than conduit takes");
	for (i = 0; i < n && !snap_in_failed(in); i++)
		if (decode_device(in, s, err, errlen))
			return -1;
	return snap_in_finish(in, "the snapshot's header", err, errlen);
}

/* "512 MiB", or in bytes when it is no whole number of MiB. */
static void fmt_size(char *buf, size_t len, uint64_t size)
{
	if (size % MIB)
		snprintf(buf, len, "%" PRIu64 " bytes", size);
	else
		snprintf(buf, len, "%" PRIu64 " MiB", size / MIB);
}

static void fmt_range(char *buf, size_t len, const struct snapshot_shape *s, unsigned i)
{
	if (i >= s->n_ram)
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "0x%" PRIx64 "-0x%" PRIx64, s->ram[i].gpa,
			 s->ram[i].gpa + s->ram[i].size - 1);
}

static int check_ram(const struct snapshot_shape *want, const struct snapshot_shape *got,
		     char *err, size_t errlen)
{
	uint64_t w = snapshot_shape_ram_total(want), g = snapshot_shape_ram_total(got);
	char a[48], b[48];
	unsigned i;

	if (w != g) {
		fmt_size(a, sizeof(a), g);
		fmt_size(b, sizeof(b), w);
		snprintf(err, errlen, "the snapshot's guest has %s of RAM, this machine %s (--memory)",
			 a, b);
		return -1;
	}
	for (i = 0; i < want->n_ram || i < got->n_ram; i++) {
		if (i < want->n_ram && i < got->n_ram &&
		    want->ram[i].gpa == got->ram[i].gpa && want->ram[i].size == got->ram[i].size)
			continue;
		fmt_range(a, sizeof(a), got, i);
		fmt_range(b, sizeof(b), want, i);
		snprintf(err, errlen, "the snapshot's guest RAM range %u is %s, this machine's %s "
			 "(the same size laid out otherwise: another conduit?)", i + 1, a, b);
		return -1;
	}
	return 0;
}

static int check_vcpus(const struct snapshot_shape *want, const struct snapshot_shape *got,
		       char *err, size_t errlen)
{
	if (want->vcpus == got->vcpus)
		return 0;
	snprintf(err, errlen, "the snapshot has %u vCPU%s, this machine %u (--cpus)",
		 got->vcpus, got->vcpus == 1 ? "" : "s", want->vcpus);
	return -1;
}

static bool is_vfio(const struct snapshot_device *d)
{
	return !strcmp(d->kind, "vfio-pci") || !strcmp(d->kind, "vfio-mdev");
}

/* The devices only a machine booted with --bios has (x86's CMOS RTC and
 * fw_cfg): a mismatch there is the --bios option. */
static bool is_firmware(const struct snapshot_device *d)
{
	return !strcmp(d->kind, "cmos") || !strcmp(d->kind, "fw-cfg");
}

/* "vfio-pci 1b36:0010 at slot 3", "serial". */
static void describe(char *buf, size_t len, const struct snapshot_device *d)
{
	char slot[16] = "";

	if (d->slot != SNAPSHOT_NO_SLOT)
		snprintf(slot, sizeof(slot), " at slot %u", d->slot);
	snprintf(buf, len, "%s%s%s%s", d->kind, d->identity[0] ? " " : "", d->identity, slot);
}

static void fmt_slot(char *buf, size_t len, unsigned slot)
{
	if (slot == SNAPSHOT_NO_SLOT)
		snprintf(buf, len, "on no PCI slot");
	else
		snprintf(buf, len, "at slot %u", slot);
}

static int check_device(const struct snapshot_device *want, const struct snapshot_device *got,
			char *err, size_t errlen)
{
	char a[24], b[24];

	if (strcmp(want->kind, got->kind)) {
		snprintf(err, errlen, "device %s is of kind %s in the snapshot and %s here",
			 got->id, got->kind, want->kind);
		return -1;
	}
	if (strcmp(want->identity, got->identity)) {
		if (!strcmp(got->kind, "vfio-mdev"))
			snprintf(err, errlen, "device %s is an mdev of type %s in the snapshot and %s here",
				 got->id, got->identity, want->identity);
		else if (!strcmp(got->kind, "vfio-pci"))
			snprintf(err, errlen, "device %s is vfio-pci %s in the snapshot and %s here",
				 got->id, got->identity, want->identity);
		else
			snprintf(err, errlen, "device %s (%s) is \"%s\" in the snapshot and \"%s\" here",
				 got->id, got->kind, got->identity, want->identity);
		return -1;
	}
	if (want->slot != got->slot) {
		fmt_slot(a, sizeof(a), got->slot);
		fmt_slot(b, sizeof(b), want->slot);
		snprintf(err, errlen, "device %s is %s in the snapshot and %s here "
			 "(give the devices in the same order)", got->id, a, b);
		return -1;
	}
	return 0;
}

static int check_devices(const struct snapshot_shape *want, const struct snapshot_shape *got,
			 char *err, size_t errlen)
{
	const struct snapshot_device *d;
	char what[3 * SNAPSHOT_NAME_MAX + 32];
	unsigned i;
	int k;

	for (i = 0; i < got->n_devices; i++) {
		d = &got->dev[i];
		k = snapshot_shape_find(want, d->id);
		if (k >= 0) {
			if (check_device(&want->dev[k], d, err, errlen))
				return -1;
			continue;
		}
		describe(what, sizeof(what), d);
		snprintf(err, errlen, "the snapshot has device %s (%s), this machine has none: %s",
			 d->id, what, is_vfio(d) ? "give the same --passthrough" :
			 is_firmware(d) ? "give --bios (the snapshot's guest was booted with it)" :
			 "give the same device options");
		return -1;
	}
	for (i = 0; i < want->n_devices; i++) {
		d = &want->dev[i];
		if (snapshot_shape_find(got, d->id) >= 0)
			continue;
		describe(what, sizeof(what), d);
		snprintf(err, errlen, "this machine has device %s (%s), the snapshot has none: %s",
			 d->id, what, is_vfio(d) ? "leave out its --passthrough" :
			 is_firmware(d) ? "leave out --bios (the snapshot's guest was booted "
			 "without it)" : "leave out its option");
		return -1;
	}
	return 0;
}

int snapshot_shape_check(const struct snapshot_shape *expected,
			 const struct snapshot_shape *got, char *err, size_t errlen)
{
	if (check_ram(expected, got, err, errlen))
		return -1;
	if (check_vcpus(expected, got, err, errlen))
		return -1;
	return check_devices(expected, got, err, errlen);
}
