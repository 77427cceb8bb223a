/* A PCI device passed through with vfio-pci: its fd and regions, the
 * guest's virtualized view of its config space, its BARs and interrupts. */
#ifndef CONDUIT_VFIO_PCI_H
#define CONDUIT_VFIO_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/vfio.h>
#include "../devices/msi.h"
#include "../devices/msix.h"
#include "../devices/pci.h"
#include "../vmm/irq.h"
#include "../vmm/log.h"
#include "backend.h"
#include "migration.h"

#define VFIO_MAX_AREAS 8
#define VFIO_STATE_WHY_LEN 192

struct vm;
struct vfio_pci;

struct vfio_area {              /* an mmap'd, page-aligned piece of a BAR */
	uint64_t off, size;
	void *hva;
	int slot;               /* KVM memory slot, while hva is set */
	bool installed;
};

struct vfio_bar {
	struct vfio_pci *dev;
	int index;
	uint64_t size;
	uint64_t region_off;    /* offset of the region in the device fd */
	struct vfio_area area[VFIO_MAX_AREAS];
	int n_areas;
	bool io;
};

struct vfio_stats {
	uint64_t mmio_exits, pio_exits; /* BAR data accesses that trapped */
	uint64_t msix_accesses;         /* MSI-X table and PBA accesses */
	uint64_t msi_updates;           /* guest writes to the MSI capability */
	uint64_t msix_table_writes;
	uint64_t relayed_irqs;  /* interrupts that passed through conduit */
	uint64_t intx_unmasks;  /* INTx EOIs unmasked by conduit (no unmask eventfd) */
	uint64_t attach_ns;             /* open (the kernel resets it), set up */
	uint64_t dma_map_ns;
	uint64_t prefault_ns;           /* faulting guest RAM in before the map */
	uint64_t prefault_wait_ns;      /* of it, after the devices were set up */
	unsigned prefault_threads;
};

struct vfio_pci {
	struct pci_device pci;          /* the guest's view */
	uint8_t emu[PCI_CFG_SIZE];      /* 1: byte served from the view */
	struct vm *vm;
	char bdf[VFIO_DEV_NAME_LEN];     /* the PCI address, or an mdev UUID */
	unsigned flags;                 /* VFIO_PCI_* */
	int fd;
	bool keep_fd;                   /* handed over: detached, never closed */
	struct vfio_backend *backend;   /* the one that opened it (keep_fd) */
	uint64_t cfg_off, cfg_size;     /* config region */
	struct vfio_device_info info;
	struct vfio_bar bar[PCI_NUM_BARS];
	/* Expansion ROM, read-only, trapped. */
	uint64_t rom_off, rom_size;
	/* MSI-X */
	struct msix msix;
	int msix_bar;
	uint64_t msix_table, msix_table_len, msix_pba, msix_pba_len;
	struct irq_vector *msix_vec;    /* msix.n of them */
	bool msix_on;
	/* MSI: one vector per vector the capability offers */
	struct msi msi;
	struct irq_vector msi_vec[MSI_MAX_VECTORS];
	unsigned msi_nvec;              /* vectors vfio-pci has enabled, 0: off */
	/* The host asking for the device back (REQ) and device errors (ERR) */
	int req_efd, err_efd;
	/* INTx */
	int intx_efd, intx_resample;
	uint32_t intx_gsi;
	bool intx_on;
	bool intx_watched;      /* intx_resample is on the event loop */
	bool gone;                      /* reported as gone: stop touching it */
	struct vfio_stats stats;
	/* Snapshot and migration (issue 15): the device's migration v2 state
	 * once probed (vfio/pci_migrate.c), and the reason a load refused
	 * (vfio/pci_state.c), kept here for snap_in_finish()'s message. */
	struct vfio_mig mig;
	bool mig_probed;
	char state_why[VFIO_STATE_WHY_LEN];
};

#define VFIO_PCI_NO_MSIX 0x1            /* hide the MSI-X capability */

/* A log line about device v, prefixed with its name ("0000:03:00.0: ..."). */
#define vdev_pr(level, v, fmt, ...) log_msg(level, "%s: " fmt, (v)->bdf, ##__VA_ARGS__)
/* The same prefix for a one-line error handed back in err. */
void vdev_errmsg(const struct vfio_pci *v, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Open, describe and plug a device into bus; everything is undone on
 * failure (NULL, err says why). pci_bus_remove() tears it down again.
 * hot_slot < 0: at boot, BARs placed with the others; else hot-added into
 * that (free) slot of a running guest, its BARs in free room. */
struct vfio_pci *vfio_pci_attach(struct vm *vm, struct pci_bus *bus, struct vfio_backend *b,
				 const struct vfio_dev_ref *ref, unsigned flags, int hot_slot,
				 char *err, size_t errlen);

/* vfio/pci_config.c */
int vfio_config_init(struct vfio_pci *v, char *err, size_t errlen);
uint32_t vfio_config_read(struct pci_device *d, unsigned off, unsigned size);
void vfio_config_write(struct pci_device *d, unsigned off, unsigned size, uint32_t val);

/* vfio/bar.c */
int vfio_bars_init(struct vfio_pci *v, char *err, size_t errlen);
void vfio_bar_map(struct pci_device *d, int bar, uint64_t addr);
void vfio_bar_unmap(struct pci_device *d, int bar, uint64_t addr);
void vfio_rom_init(struct vfio_pci *v);
void vfio_bars_cleanup(struct vfio_pci *v);

/* vfio/interrupts.c */
/* Every fd -1, before anything can fail (cleanup is then safe). */
void vfio_irqs_prepare(struct vfio_pci *v);
int vfio_irqs_init(struct vfio_pci *v, char *err, size_t errlen);
void vfio_msix_sync_pending(struct vfio_pci *v);
void vfio_msi_sync_pending(struct vfio_pci *v);
void vfio_irqs_cleanup(struct vfio_pci *v);

/* vfio/pci_state.c: the kind's own state for snapshot and migration, as
 * struct pci_device_ops save and load (see the file). */
int vfio_pci_state_save(struct pci_device *d, struct snap_out *out);
int vfio_pci_state_load(struct pci_device *d, struct snap_in *in);

/* vfio/faults.c: watch the device's request and error interrupts where the
 * device and host offer them (nothing to fail: unwatched is a debug line);
 * either one, or the device reading back all-ones, stops the guest with a
 * message (once). */
void vfio_faults_init(struct vfio_pci *v);
void vfio_faults_cleanup(struct vfio_pci *v);
void vfio_device_gone(struct vfio_pci *v, const char *why);

/* Device teardown (unplugged, or never plugged): interrupts off, BAR
 * memory slots out, reset, fd closed, freed. */
void vfio_pci_detach(struct vfio_pci *v);
/* --stats: one block per device. */
void vfio_pci_print_stats(const struct vfio_pci *v);

#endif
