/* A whole machine's state as a snapshot stream (vmm/snapshot/stream.h) and
 * back: its shape (RAM ranges, vCPUs, every device with state), guest RAM,
 * the in-kernel PIC, IOAPIC, PIT and KVM clock, each vCPU, and each
 * device's state through its save and load (the PCI devices through
 * struct pci_device_ops, by the bus's pci_device_save/load). */
#ifndef CONDUIT_MACHINE_SNAPSHOT_H
#define CONDUIT_MACHINE_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

struct machine;

struct machine_snapshot_stats {
	uint64_t ram_bytes;             /* guest RAM written (non-zero pages) */
	uint64_t ram_total;             /* guest RAM in all */
	uint64_t device_bytes;          /* device state and data */
	uint64_t bytes;                 /* the whole stream */
	uint64_t ns;                    /* how long it took */
};

/* Whether this machine can be saved now: 0, or -1 with one line in err
 * (what it has that cannot be saved). */
int machine_snapshot_check(struct machine *m, char *err, size_t errlen);

/* Write the stopped machine (vm_pause()d) to fd. 0, or -1 with one line. */
int machine_snapshot_save(struct machine *m, int fd, struct machine_snapshot_stats *st,
			  char *err, size_t errlen);

/* After a save, the passed-through devices wait in STOP: back to RUNNING
 * (QMP cont). 0, or -1 with one line. */
int machine_snapshot_resume_devices(struct machine *m, char *err, size_t errlen);

/* Load the snapshot on fd into a machine built from the same arguments
 * whose vCPUs do not run yet: the shape is checked first (a mismatch is
 * one line naming it), then every record applied. On failure the machine
 * is half loaded and must not run. 0, or -1 with one line in err. */
int machine_snapshot_load(struct machine *m, int fd, struct machine_snapshot_stats *st,
			  char *err, size_t errlen);

#endif
