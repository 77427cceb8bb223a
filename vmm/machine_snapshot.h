/* A whole machine's state as a snapshot stream (vmm/snapshot/stream.h) and
 * back: its shape (RAM ranges, vCPUs, every device with state), guest RAM,
 * the in-kernel PIC, IOAPIC, PIT and KVM clock, each vCPU, and each
 * device's state through its save and load (the PCI devices through
 * struct pci_device_ops, by the bus's pci_device_save/load). */
#ifndef CONDUIT_MACHINE_SNAPSHOT_H
#define CONDUIT_MACHINE_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "migrate_rounds.h"
#include "migrate_throttle.h"

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

/* A live migration's controls and figures, shared between the thread that
 * sends and the main thread (query-migrate, migrate_cancel). */
struct machine_live {
	struct migrate_limits limits;   /* downtime limit, rounds, bandwidth */
	atomic_bool cancel;             /* set: stop after the current round */
	struct migrate_throttle *throttle;  /* paces every write; NULL: none */
	pthread_mutex_t lock;           /* fig */
	struct migrate_figures fig;
};

/* Send the running machine to fd while it runs: every page not all zero,
 * then rounds of what the guest (KVM's dirty log) and conduit's own device
 * emulation wrote since, until what is left fits the downtime limit (or
 * the round limit); then the vCPUs pause (and stay paused: the guest runs
 * on at the destination) and the last pages, the VM, the vCPUs and the
 * devices go. A machine with a passed-through device is refused (not yet).
 * 0, or -1 with one line in err; on failure the vCPUs may be paused (the
 * caller resumes them if the guest ran before). From any thread. */
int machine_snapshot_send_live(struct machine *m, int fd, struct machine_live *ctl,
			       struct machine_snapshot_stats *st, char *err, size_t errlen);

#endif
