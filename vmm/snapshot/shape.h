/* The machine's shape as a snapshot stream records it in its header: guest
 * RAM ranges, the number of vCPUs, and the devices with their stable ids,
 * kinds, PCI slots and identities. A loader compares the snapshot's shape
 * with the machine it restores into before anything is applied, and a
 * mismatch is one line naming it. The snapshot and restore
 * (vmm/machine_snapshot.c) build and check it.
 *
 * RAM ranges come in ascending order, none empty, overlapping or wrapping
 * past 2^64. A device's id ("pt0", "vcon", "serial0") is unique; its kind
 * says what state its records carry ("vfio-pci", "vfio-mdev",
 * "virtio-console", "serial", ...); its identity is what must also match
 * for that kind (a vfio-pci device's "vendor:device", an mdev's type such
 * as "mtty-2"; may be empty). Ids, kinds and identities are 1 to
 * SNAPSHOT_NAME_MAX bytes of printable ASCII (identity 0 to that). */
#ifndef CONDUIT_SNAPSHOT_SHAPE_H
#define CONDUIT_SNAPSHOT_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cursor.h"

#define SNAPSHOT_MAX_RAM        8
#define SNAPSHOT_MAX_VCPUS      1024
#define SNAPSHOT_MAX_DEVICES    64
#define SNAPSHOT_NAME_MAX       63
#define SNAPSHOT_PCI_SLOTS      32
#define SNAPSHOT_NO_SLOT        0xff    /* a device that is not on PCI */

struct snapshot_ram {
	uint64_t gpa;
	uint64_t size;
};

struct snapshot_device {
	char id[SNAPSHOT_NAME_MAX + 1];
	char kind[SNAPSHOT_NAME_MAX + 1];
	char identity[SNAPSHOT_NAME_MAX + 1];
	unsigned slot;          /* 0 to 31, or SNAPSHOT_NO_SLOT */
};

struct snapshot_shape {
	unsigned n_ram;
	struct snapshot_ram ram[SNAPSHOT_MAX_RAM];
	unsigned vcpus;
	unsigned n_devices;
	struct snapshot_device dev[SNAPSHOT_MAX_DEVICES];
};

/* An empty shape: no RAM, no vCPUs, no devices. */
void snapshot_shape_init(struct snapshot_shape *s);

/* Each returns 0, -EINVAL for what breaks the rules above (an empty,
 * wrapping or out-of-order range, a vCPU count outside 1 to
 * SNAPSHOT_MAX_VCPUS, a bad name, a taken id or slot, a slot above 31 but
 * SNAPSHOT_NO_SLOT) or -ENOSPC when the table is full. */
int snapshot_shape_add_ram(struct snapshot_shape *s, uint64_t gpa, uint64_t size);
int snapshot_shape_set_vcpus(struct snapshot_shape *s, unsigned vcpus);
int snapshot_shape_add_device(struct snapshot_shape *s, const char *id, const char *kind,
			      const char *identity, unsigned slot);

/* The index of the device with that id, or -1. */
int snapshot_shape_find(const struct snapshot_shape *s, const char *id);
uint64_t snapshot_shape_ram_total(const struct snapshot_shape *s);
/* Whether [gpa, gpa + len) lies inside one RAM range (len > 0). */
bool snapshot_shape_has_ram(const struct snapshot_shape *s, uint64_t gpa, uint64_t len);

/* The header's encoding; a shape that breaks no rule (built by the
 * functions above) encodes to bytes that decode to it again. */
void snapshot_shape_encode(const struct snapshot_shape *s, struct snap_out *o);
/* Decode all of in into s, every rule checked: 0, or -1 and one line in
 * err naming what is damaged. */
int snapshot_shape_decode(struct snap_in *in, struct snapshot_shape *s,
			  char *err, size_t errlen);

/* Compare the snapshot's shape (got) with this machine's (expected): 0 when
 * they match, or -1 and one line naming the first mismatch (RAM, then
 * vCPUs, then the snapshot's devices, then the devices only this machine
 * has), with the option to give the same where there is one. Devices are
 * matched by id, not by their order. */
int snapshot_shape_check(const struct snapshot_shape *expected,
			 const struct snapshot_shape *got, char *err, size_t errlen);

#endif
