/* A passed-through device's migration data through VFIO migration v2
 * (issue 15), on top of vfio/migration.h: whether it can migrate, and the
 * steps the machine's orchestration takes it through on the source and
 * on the destination. The config-space side (what conduit virtualizes) is
 * the kind's ops->save and ops->load, vfio/pci_state.c; the steps that
 * span every device are in vfio/passthrough.h.
 *
 * Every function returns 0, or -1 with one line in err that starts with
 * the device's name. The device's states are the kernel's; every walk goes
 * one single arc per request (vfio_mig_goto) and never asks for STOP_COPY
 * -> PRE_COPY or PRE_COPY_P2P. A failed arc that leaves the device in
 * ERROR resets it (VFIO_DEVICE_RESET: RUNNING again) and says so.
 *
 * The order, for every passed-through device (pt->dev[i]):
 *
 * Both sides, before anything changes:
 *   vfio_pci_mig_probe              (passthrough_can_migrate for all; with
 *                                   more than one device,
 *                                   passthrough_all_p2p as well)
 * Source:
 *   vfio_pci_mig_start              RUNNING -> PRE_COPY where offered
 *   vfio_pci_mig_precopy ...        during the RAM rounds, in budgets;
 *                                   switch over once initial is 0
 *   vfio_pci_mig_data_size          any time: the downtime estimate
 *   [the vCPUs pause]
 *   vfio_pci_mig_quiesce            EVERY device, before any goes on:
 *                                   -> PRE_COPY_P2P or RUNNING_P2P
 *   vfio_pci_mig_stop_copy          then each device: -> STOP_COPY, its
 *                                   data drained to the end into the
 *                                   sink, -> STOP
 *   [ops->save: the config state]
 *   On cancel or any failure, at any point: vfio_pci_mig_cancel on every
 *   device (-> RUNNING), then the vCPUs go on.
 * Destination (devices freshly attached, the guest not started):
 *   vfio_pci_mig_load_start         -> RESUMING
 *   vfio_pci_mig_load_chunk ...     every chunk of its data, in order
 *   vfio_pci_mig_load_end           -> STOP, where the driver checks it
 *   [ops->load: the config state, routes and BARs]
 *   vfio_pci_mig_running_p2p        EVERY device -> RUNNING_P2P (where
 *                                   offered) before any goes on
 *   vfio_pci_mig_running            then every device -> RUNNING, then
 *                                   the vCPUs
 *   On failure: the destination is thrown away (its devices reset when
 *   their fds close); the source cancels. */
#ifndef CONDUIT_VFIO_PCI_MIGRATE_H
#define CONDUIT_VFIO_PCI_MIGRATE_H

#include <stddef.h>
#include <stdint.h>
#include "migration.h"

struct vfio_pci;

/* Whether the device can migrate (its driver offers STOP_COPY), and its
 * state, into v->mig. driver names the driver in the refusal ("vfio-pci
 * offers no migration (...)"); NULL: "its driver". Probing again is
 * allowed. */
int vfio_pci_mig_probe(struct vfio_pci *v, const char *driver, char *err, size_t errlen);
/* Whether the probed device offers flag (VFIO_MIGRATION_P2P, ...). */
bool vfio_pci_mig_offers(const struct vfio_pci *v, uint32_t flag);
/* For the machine's live migration (vmm/machine_snapshot.c, which sees no
 * struct vfio_pci): the device's name (BDF or mdev UUID), its VFIO device
 * fd, its migration state as last set or read, and the flags it offers. */
const char *vfio_pci_mig_name(const struct vfio_pci *v);
int vfio_pci_mig_fd(const struct vfio_pci *v);
uint32_t vfio_pci_mig_state(const struct vfio_pci *v);
uint32_t vfio_pci_mig_flags(const struct vfio_pci *v);

/* ---- source ---- */

/* RUNNING -> PRE_COPY when the device offers it; else it stays RUNNING
 * (nothing to read before the switchover). */
int vfio_pci_mig_start(struct vfio_pci *v, char *err, size_t errlen);
/* In PRE_COPY: read at most budget bytes (0: until the device has no
 * more for now) into sink, then ask what is left: *initial (the initial
 * data, which must reach the destination before the switchover) and
 * *dirty. Outside PRE_COPY: nothing read, both 0. */
int vfio_pci_mig_precopy(struct vfio_pci *v, uint64_t budget, vfio_mig_sink sink, void *opaque,
			 uint64_t *initial, uint64_t *dirty, char *err, size_t errlen);
/* The device's estimate of its STOP_COPY data (MIG_DATA_SIZE). */
int vfio_pci_mig_data_size(struct vfio_pci *v, uint64_t *bytes, char *err, size_t errlen);
/* The vCPUs are paused: PRE_COPY -> PRE_COPY_P2P, RUNNING ->
 * RUNNING_P2P, where the device offers P2P; without P2P nothing (a
 * device without P2P migrates alone: passthrough_all_p2p). */
int vfio_pci_mig_quiesce(struct vfio_pci *v, char *err, size_t errlen);
/* Every device quiesced: -> STOP_COPY, its data read to the end into
 * sink (capped by twice its MIG_DATA_SIZE and 16 MiB more), -> STOP. */
int vfio_pci_mig_stop_copy(struct vfio_pci *v, vfio_mig_sink sink, void *opaque,
			   char *err, size_t errlen);
/* Back to RUNNING from wherever the device is (a device in ERROR is
 * reset, which ends in RUNNING too). -1 only when it is not RUNNING
 * after all; a reset on the way is logged. */
int vfio_pci_mig_cancel(struct vfio_pci *v, char *err, size_t errlen);

/* ---- destination ---- */

/* -> RESUMING: a new session, its data fd open for the stream. */
int vfio_pci_mig_load_start(struct vfio_pci *v, char *err, size_t errlen);
/* The next len bytes of the device's data, in the order they were read. */
int vfio_pci_mig_load_chunk(struct vfio_pci *v, const void *buf, size_t len,
			    char *err, size_t errlen);
/* RESUMING -> STOP: the driver takes (and checks) what was written. */
int vfio_pci_mig_load_end(struct vfio_pci *v, char *err, size_t errlen);
/* Its config state loaded: -> RUNNING_P2P where offered (else it stays
 * in STOP). */
int vfio_pci_mig_running_p2p(struct vfio_pci *v, char *err, size_t errlen);
/* -> RUNNING. */
int vfio_pci_mig_running(struct vfio_pci *v, char *err, size_t errlen);

#endif
