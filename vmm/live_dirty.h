/* Live migration's dirty pages beyond KVM's log, on the source (issue 15):
 * for each passed-through device, how the guest RAM it writes by DMA is
 * found while the guest runs: its IOMMU's dirty tracking on the IOMMUFD
 * HWPT it is attached to, or the device's own DMA logging
 * (VFIO_DEVICE_FEATURE_DMA_LOGGING_*), or on the legacy backend its type1
 * container's (VFIO_IOMMU_DIRTY_PAGES: one for every device in the
 * container, started, synced and stopped once), or, when the user asks for it
 * (migrate-set-parameters x-conduit-dirty-all-dma, QEMU's vfio-pci
 * enable-migration=on), every DMA-mapped page counted dirty in every
 * round; where none of them is there, the refusal. Then the tracking
 * started and stopped, and each sync's pages from every source (KVM,
 * conduit's own device emulation, the devices) merged into one region's
 * bitmap with a count per source for query-migrate and the log.
 *
 * Devices come as plain descriptions (name, device fd, IOMMUFD HWPT,
 * type1 container fd), so
 * this file knows nothing of the machine; vmm/machine_snapshot.c fills
 * them from the passthrough. */
#ifndef CONDUIT_LIVE_DIRTY_H
#define CONDUIT_LIVE_DIRTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"             /* MAX_PASSTHROUGH */
#include "../vfio/dirty.h"

/* Where a dirty page came from. */
enum live_dirty_src {
	LIVE_DIRTY_KVM,                 /* the vCPUs' writes: KVM's dirty log */
	LIVE_DIRTY_CONDUIT,             /* conduit's own writes (virtio, fw_cfg...) */
	LIVE_DIRTY_DMA_LOGGING,         /* a device's DMA logging */
	LIVE_DIRTY_IOMMU,               /* IOMMUFD dirty tracking */
	LIVE_DIRTY_ALL_DMA,             /* every DMA-mapped page (x-conduit-dirty-all-dma) */
	LIVE_DIRTY_TYPE1,               /* the type1 container's VFIO_IOMMU_DIRTY_PAGES */
	LIVE_DIRTY_NR,
};

/* How one device's DMA writes are tracked. */
enum live_dirty_how {
	LIVE_TRACK_NONE,                /* not chosen yet */
	LIVE_TRACK_IOMMU,
	LIVE_TRACK_DMA_LOGGING,
	LIVE_TRACK_ALL_DMA,
	LIVE_TRACK_TYPE1,
};

struct live_dirty_dev {
	char name[64];                  /* for messages: "0000:00:03.0", an mdev UUID */
	int fd;                         /* the VFIO device fd; not owned */
	int iommufd;                    /* its iommufd, -1: the legacy backend */
	uint32_t hwpt;                  /* its HWPT, allocated with dirty tracking; 0: none */
	bool dma_logging;               /* its driver offers DMA logging... */
	bool dma_logging_off;           /* ...but x-conduit-device-dirty-tracking=false */
	int container;                  /* its type1 container fd, -1: none (IOMMUFD) */
	bool container_dirty;           /* the container offers VFIO_IOMMU_DIRTY_PAGES... */
	bool container_dirty_off;       /* ...but x-conduit-container-dirty-tracking=false */
	enum live_dirty_how how;        /* live_dirty_choose's choice */
	bool started;                   /* tracking on */
	uint64_t page_size;             /* DMA logging's page size, as the device chose */
};

/* A type1 container whose dirty tracking some device uses. */
struct live_dirty_container {
	int fd;
	struct vfio_type1_dirty caps;
	bool started;
	uint64_t gets;                  /* GET_BITMAP calls since the start */
};

struct live_dirty {
	struct live_dirty_dev dev[MAX_PASSTHROUGH];
	unsigned n;
	bool no_dma_logging;            /* x-conduit-device-dirty-tracking=false */
	bool no_container_dirty;        /* x-conduit-container-dirty-tracking=false */
	struct live_dirty_container ct[MAX_PASSTHROUGH];
	unsigned n_ct;
	uint64_t round[LIVE_DIRTY_NR];  /* pages from each source since live_dirty_round */
	uint64_t total[LIVE_DIRTY_NR];  /* all syncs */
};

/* "kvm", "conduit", "dma-logging", "iommu", "all-dma", "type1". */
const char *live_dirty_src_name(enum live_dirty_src s);
/* "iommu", "dma-logging", "type1", "all-dma", "none". */
const char *live_dirty_how_name(enum live_dirty_how h);

/* For each device, from what it offers (dma_logging, hwpt,
 * container_dirty): IOMMU dirty tracking first (one bitmap for everything
 * the device writes), then DMA logging (unless dma_logging_off: the user
 * turned it off, as QEMU's vfio-pci x-device-dirty-page-tracking=off
 * does), then on the legacy backend the type1 container's (unless
 * container_dirty_off), then, with all_dma, every DMA-mapped page. Pure.
 * 0, or -1 with
 * one line naming the first device that has none of them, what is
 * missing, and the parameter that overrides. */
int live_dirty_choose(struct live_dirty_dev *d, unsigned n, bool all_dma,
		      char *err, size_t errlen);

/* What each device offers: whether its driver has DMA logging (a PROBE
 * each; off for all with l->no_dma_logging) and its type1 container dirty
 * tracking (a GET_INFO a container; off with l->no_container_dirty). */
void live_dirty_probe(struct live_dirty *l);

/* live_dirty_probe, the choice, then the
 * tracking started over the n guest RAM ranges (iova == gpa), a container's
 * once for all its devices. 0, or -1 with one line (whatever was started
 * is stopped). */
int live_dirty_start(struct live_dirty *l, const struct vfio_dirty_range *ram, unsigned n,
		     bool all_dma, char *err, size_t errlen);
/* Whether some device counts every DMA-mapped page dirty. */
bool live_dirty_all_dma(const struct live_dirty *l);
/* A new round: round[] back to 0. */
void live_dirty_round(struct live_dirty *l);
/* One RAM region's sync: KVM's bitmap, conduit's own (either NULL: none)
 * and every device's pages in dst's range (dma_mapped: the range is mapped
 * for DMA, so all-dma devices count it all) ORed into dst, each source's
 * pages added to round[] and total[]. Returns the dirty pages in dst, or
 * -errno (a device's report failed: its log must be taken as lost; err
 * names it). */
int64_t live_dirty_sync(struct live_dirty *l, struct vfio_dirty_bitmap *dst,
			const struct vfio_dirty_bitmap *kvm, const struct vfio_dirty_bitmap *host,
			bool dma_mapped, char *err, size_t errlen);
/* Tracking off on every device and container that has it on. */
void live_dirty_stop(struct live_dirty *l);

#endif
