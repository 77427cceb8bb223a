/* Passthrough as the machine sees it: check, start and stop every
 * --passthrough device. */
#ifndef CONDUIT_PASSTHROUGH_H
#define CONDUIT_PASSTHROUGH_H

#include <stdbool.h>
#include <stddef.h>
#include "../vmm/config.h"
#include "../vmm/ram.h"
#include "backend.h"

struct vm;
struct pci_bus;
struct vfio_pci;

/* The machine's passthrough: the IOMMU backend, the devices attached
 * through it, and guest RAM's prefault and DMA mapping. Owned by vfio/,
 * held by the machine. */
struct passthrough {
	struct vm *vm;
	struct pci_bus *bus;
	struct vfio_backend *backend;   /* NULL without passthrough */
	struct vfio_pci *dev[MAX_PASSTHROUGH];
	struct vfio_dev_ref ref[MAX_PASSTHROUGH];      /* how each was opened */
	bool own_fd[MAX_PASSTHROUGH];   /* a hot-added fd (getfd): closed with it */
	int n_dev;
	bool dma_mapped;
	struct ram_prefault prefault;   /* runs while the devices are set up */
};

struct passthrough_dev {
	struct vfio_dev_ref ref;
	int iommufd;                    /* handed over with ref.fd, else -1 */
	unsigned flags;                 /* VFIO_PCI_* in vfio_pci.h */
};

/* Everything that can be checked before a VM exists, for "BDF", "mdev:UUID"
 * or "fd:SOCKET", each with ",msix=off" allowed: the BDF, the device, its
 * IOMMU group, its driver, the group's viability, its cdev; an mdev's sysfs
 * entry; a handed-over device's fds (received here, once). One-line errors. */
int passthrough_check(const char *spec, struct passthrough_dev *out,
		      char *err, size_t errlen);
/* The backend for these devices (see passthrough.c); why says which and
 * why, or what is missing. Pure, for tests. */
int passthrough_choose_backend(enum vfio_backend_kind want, const struct passthrough_dev *devs,
			       int n, bool have_iommufd, bool have_container,
			       char *why, size_t whylen);
/* The same with what this host has: the backend kind, or -1 with why
 * saying what is missing (0 devices: VFIO_BACKEND_AUTO, nothing checked). */
int passthrough_check_backend(enum vfio_backend_kind want, const struct passthrough_dev *devs,
			      int n, char *why, size_t whylen);
/* Start the prefault of guest RAM in the background, choose and open the
 * IOMMU backend and attach every device (its BARs are then known, to be
 * placed); nothing is pinned yet. On error all is undone, the prefault
 * stopped. */
int passthrough_start(struct passthrough *pt, struct vm *vm, struct pci_bus *bus,
		      const struct passthrough_dev *devs, int n,
		      enum vfio_backend_kind backend, char *err, size_t errlen);
/* Join and finish the prefault passthrough_start began, then map all guest
 * RAM for DMA: called once the BARs are placed, so a machine that cannot be
 * built fails before the pinning. On error all is undone, as by
 * passthrough_stop. */
int passthrough_map_ram(struct passthrough *pt, char *err, size_t errlen);
/* Devices unplugged (interrupts off, slots out, reset, fds closed), DMA
 * unmapped, the backend closed. Safe on a passthrough never started. */
void passthrough_stop(struct passthrough *pt);
void passthrough_print_stats(const struct passthrough *pt);

/* Migration (issue 15, vfio/passthrough_migrate.c; the order of the calls
 * is in vfio/pci_migrate.h). Each returns 0, or -1 with one line in err
 * naming the device. */
/* Probe every device (vfio_pci_mig_probe, the driver named for a host PCI
 * device): the first that cannot migrate and why ("0000:03:00.0: vfio-pci
 * offers no migration (VFIO_DEVICE_FEATURE_MIGRATION: ...)"). Before
 * anything changes; 0 without devices. */
int passthrough_can_migrate(struct passthrough *pt, char *err, size_t errlen);
/* After passthrough_can_migrate: with two devices or more, every one must
 * offer P2P, else the first that does not is named. */
int passthrough_all_p2p(const struct passthrough *pt, char *err, size_t errlen);
/* Source: every device -> PRE_COPY where offered (vfio_pci_mig_start). */
int passthrough_mig_start(struct passthrough *pt, char *err, size_t errlen);
/* Source, the vCPUs paused: every device quiesced (-> PRE_COPY_P2P or
 * RUNNING_P2P) before any goes to STOP_COPY. */
int passthrough_mig_quiesce(struct passthrough *pt, char *err, size_t errlen);
/* Destination, every device's data and config state loaded: every device
 * -> RUNNING_P2P (where offered), then with the second call every device
 * -> RUNNING. */
int passthrough_mig_running_p2p(struct passthrough *pt, char *err, size_t errlen);
int passthrough_mig_running(struct passthrough *pt, char *err, size_t errlen);
/* Cancel or failure: every probed device back to RUNNING (one in ERROR is
 * reset), each tried whatever the others did; err has the first that
 * could not. */
int passthrough_mig_cancel(struct passthrough *pt, char *err, size_t errlen);

/* Hotplug (vfio/hotplug.c), from the main thread while the guest runs. */
/* Attach dev (checked by passthrough_check) into the free slot of the
 * running guest's bus. The first device opens the backend (want, or what
 * the devices already attached use) and maps all guest RAM for DMA; a
 * later one joins it, RAM already mapped. Returns the device, or NULL
 * with a one-line err (the running guest is untouched). */
struct vfio_pci *passthrough_hot_add(struct passthrough *pt, const struct passthrough_dev *dev,
				     int slot, enum vfio_backend_kind want,
				     char *err, size_t errlen);
/* Tear down a device already unplugged from the bus (pci_bus_unplug): its
 * interrupts, slots and fd (reset first) and what the backend held for it
 * alone; the last device out unmaps guest RAM and closes the backend, so
 * nothing stays pinned. */
void passthrough_hot_remove(struct passthrough *pt, struct vfio_pci *v);
/* The attached device in slot, or NULL. */
struct vfio_pci *passthrough_at_slot(const struct passthrough *pt, int slot);

#endif
