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
#include "live_dirty.h"
#include "migrate_rounds.h"
#include "migrate_throttle.h"

struct machine;

struct machine_snapshot_stats {
	uint64_t ram_bytes;             /* guest RAM written (non-zero pages) */
	uint64_t ram_total;             /* guest RAM in all */
	uint64_t device_bytes;          /* device state and data */
	uint64_t data_bytes;            /* of which VFIO migration data */
	unsigned data_runs;             /* loading: runs of VFIO data records between
					 * other records (more than one: pre-copy data
					 * came while the source's guest ran) */
	uint64_t bytes;                 /* the whole stream */
	uint64_t ns;                    /* how long it took */
	uint64_t io_ns;                 /* of which in the fd's read(2)/write(2) and
					 * poll(2): the peer's or the link's pace */
	uint64_t sync_ns;               /* live: of which reading the dirty logs */
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

/* What query-migrate's x-conduit-* fields and the log say of a live
 * migration beyond QEMU's figures: where each sync's dirty pages came
 * from, and the passed-through devices' data. */
struct machine_live_figures {
	uint64_t dirty_last[LIVE_DIRTY_NR];     /* the last sync's pages per source */
	uint64_t dirty_total[LIVE_DIRTY_NR];    /* every sync's */
	uint64_t precopy_bytes;         /* device data read in PRE_COPY, guest running */
	uint64_t stop_copy_bytes;       /* device data read in STOP_COPY, vCPUs paused */
	unsigned precopy_devices;       /* devices that were in PRE_COPY */
};

/* A live migration's controls and figures, shared between the thread that
 * sends and the main thread (query-migrate, migrate_cancel). */
struct machine_live {
	struct migrate_limits limits;   /* downtime limit, rounds, bandwidth */
	bool dirty_all_dma;             /* x-conduit-dirty-all-dma */
	bool no_dma_logging;            /* x-conduit-device-dirty-tracking=false */
	bool no_container_dirty;        /* x-conduit-container-dirty-tracking=false */
	atomic_bool cancel;             /* set: stop after the current round */
	struct migrate_throttle *throttle;  /* paces every write; NULL: none */
	pthread_mutex_t lock;           /* limits (changed by migrate-set-parameters), fig, xfig */
	struct migrate_figures fig;
	struct machine_live_figures xfig;
};

/* Whether this running machine can be migrated live: what
 * machine_snapshot_check asks, and for each passed-through device a way to
 * see the guest RAM it writes by DMA (its DMA logging, its IOMMU's dirty
 * tracking, or with ctl->dirty_all_dma every DMA-mapped page counted dirty;
 * ctl->no_dma_logging: never DMA logging). 0, or -1
 * with one line naming the device. From the main thread, before anything
 * changes. */
int machine_live_check(struct machine *m, const struct machine_live *ctl, char *err,
		       size_t errlen);

/* Send the running machine to fd while it runs: every page not all zero,
 * then rounds of what the guest (KVM's dirty log) and conduit's own device
 * emulation wrote since, until what is left fits the downtime limit (or
 * the round limit); then the vCPUs pause (and stay paused: the guest runs
 * on at the destination) and the last pages, the VM, the vCPUs and the
 * devices go. Passed-through devices go RUNNING -> PRE_COPY where offered
 * at the start, their pre-copy data goes during the rounds (no switchover
 * before every device's initial bytes are out), their MIG_DATA_SIZE counts
 * in the downtime estimate, the pages they write come from
 * vmm/live_dirty.c; at the switchover every device is quiesced
 * (PRE_COPY_P2P or RUNNING_P2P) before any goes to STOP_COPY, drained, to
 * STOP. On cancel or failure every device is back in RUNNING before this
 * returns. 0, or -1 with one line in err; on failure the vCPUs may be
 * paused (the caller resumes them if the guest ran before). From any
 * thread. */
int machine_snapshot_send_live(struct machine *m, int fd, struct machine_live *ctl,
			       struct machine_snapshot_stats *st, char *err, size_t errlen);

#endif
