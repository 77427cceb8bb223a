/* Pages written by devices, for live migration's dirty rounds: device DMA
 * logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_START/REPORT/STOP on a device
 * fd), IOMMUFD dirty tracking (IOMMU_GET_HW_INFO's
 * IOMMU_HW_CAP_DIRTY_TRACKING, a HWPT allocated with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_SET_DIRTY_TRACKING and
 * IOMMU_HWPT_GET_DIRTY_BITMAP) (vfio/dirty.c), and the bitmaps they fill,
 * merged with a count per source (vfio/dirty_bitmap.c). Live migration
 * uses them through vmm/live_dirty.c.
 *
 * A bitmap covers [iova, iova + length) in page_size pages, bit i (word
 * i / 64, bit i % 64) for the page at iova + i * page_size, as both
 * kernel interfaces lay it out. */
#ifndef CONDUIT_VFIO_DIRTY_H
#define CONDUIT_VFIO_DIRTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel takes at least a page's worth of ranges in one
 * DMA_LOGGING_START (4096 / 16); drivers may take fewer. */
#define VFIO_DIRTY_MAX_RANGES 256

struct vfio_dirty_range {
	uint64_t iova, length;
};

struct vfio_dirty_bitmap {
	uint64_t iova, length, page_size;
	uint64_t *bits;                 /* words() of them */
};

/* ---- bitmaps (dirty_bitmap.c) ---- */

/* page_size a power of two of at least 4096; iova and length multiples of
 * it, length not 0. 0, or -EINVAL / -ENOMEM. The bitmap starts clear. */
int vfio_dirty_bitmap_init(struct vfio_dirty_bitmap *b, uint64_t iova, uint64_t length,
			   uint64_t page_size);
void vfio_dirty_bitmap_free(struct vfio_dirty_bitmap *b);
void vfio_dirty_bitmap_clear(struct vfio_dirty_bitmap *b);
uint64_t vfio_dirty_bitmap_pages(const struct vfio_dirty_bitmap *b);
uint64_t vfio_dirty_bitmap_words(const struct vfio_dirty_bitmap *b);
/* Dirty pages in it. */
uint64_t vfio_dirty_bitmap_count(const struct vfio_dirty_bitmap *b);
/* Whether the page holding iova is dirty (false outside the range). */
bool vfio_dirty_bitmap_test(const struct vfio_dirty_bitmap *b, uint64_t iova);
void vfio_dirty_bitmap_set(struct vfio_dirty_bitmap *b, uint64_t iova);

/* What one source gave to a merge. */
struct vfio_dirty_count {
	uint64_t pages;                 /* dirty pages it reported */
	uint64_t only;                  /* of them, pages no other source had */
};

/* dst = the OR of the n sources (each of dst's geometry), count[i] what
 * source i gave. Returns the dirty pages in dst, or -EINVAL when a
 * source's iova, length or page size differ from dst's. */
int64_t vfio_dirty_merge(struct vfio_dirty_bitmap *dst,
			 const struct vfio_dirty_bitmap *const *src, unsigned n,
			 struct vfio_dirty_count *count);

/* ---- device DMA logging (dirty.c) ---- */

/* Whether the device offers DMA logging (a PROBE of LOGGING_START). */
bool vfio_dma_logging_offered(int device_fd);
/* Start logging DMA writes over n ranges (1 to VFIO_DIRTY_MAX_RANGES,
 * each a multiple of *page_size, none overlapping); *page_size is a hint
 * in (a power of two, at least 4096) and what the device chose out. 0, or
 * -1 with a one-line error naming name. */
int vfio_dma_logging_start(int device_fd, const char *name, const struct vfio_dirty_range *r,
			   unsigned n, uint64_t *page_size, char *err, size_t errlen);
/* The pages written in b's range since the last report (the device's
 * log is cleared for it), into b (cleared first: REPORT only sets bits).
 * 0 or -errno; after an error the log must be taken as lost. */
int vfio_dma_logging_report(int device_fd, struct vfio_dirty_bitmap *b);
/* 0 or -errno. */
int vfio_dma_logging_stop(int device_fd);

/* ---- IOMMUFD dirty tracking (dirty.c) ---- */

/* Whether the IOMMU behind dev_id (bound to iommufd) tracks dirty pages:
 * IOMMU_GET_HW_INFO's IOMMU_HW_CAP_DIRTY_TRACKING. 0 or -errno. */
int vfio_iommufd_dirty_offered(int iommufd, uint32_t dev_id, bool *offered);
/* IOMMU_HWPT_ALLOC of a paging HWPT for dev_id over the IOAS pt_id with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING (-EOPNOTSUPP where the IOMMU lacks it).
 * 0 or -errno. */
int vfio_iommufd_hwpt_alloc_dirty(int iommufd, uint32_t dev_id, uint32_t pt_id,
				  uint32_t *hwpt_id);
/* IOMMU_HWPT_SET_DIRTY_TRACKING on or off. 0 or -errno. */
int vfio_iommufd_set_dirty(int iommufd, uint32_t hwpt_id, bool on);
/* IOMMU_HWPT_GET_DIRTY_BITMAP for b's range into b (cleared first); the
 * IOMMU's dirty bits are cleared too unless keep. 0 or -errno. */
int vfio_iommufd_dirty_bitmap(int iommufd, uint32_t hwpt_id, struct vfio_dirty_bitmap *b,
			      bool keep);

/* ---- the type1 container's dirty tracking (type1_dirty.c) ---- */

/* What VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION says. */
struct vfio_type1_dirty {
	bool offered;                   /* the capability is there and usable */
	uint64_t page_size;             /* the one page size GET_BITMAP takes */
	uint64_t max_bitmap_bytes;      /* the largest bitmap one GET_BITMAP fills */
};

/* VFIO_IOMMU_GET_INFO on a type1 container: c->offered where it has the
 * migration capability. 0 or -errno (the query failed). */
int vfio_type1_dirty_probe(int container, struct vfio_type1_dirty *c);
/* c from the capability's fields (the smallest page size of the bitmap,
 * the bitmap size in whole u64 words); offered where both are usable.
 * Pure. */
void vfio_type1_dirty_caps(struct vfio_type1_dirty *c, uint64_t pgsize_bitmap,
			   uint64_t max_bitmap_bytes);
/* VFIO_IOMMU_DIRTY_PAGES_FLAG_START or _STOP. 0 or -errno. */
int vfio_type1_dirty_set(int container, bool on);
/* How many of len bytes (a multiple of c->page_size) the next GET_BITMAP
 * covers: all of them, or as many pages as a max_bitmap_bytes bitmap
 * holds. 0 where c is not offered or len is 0. Pure. */
uint64_t vfio_type1_dirty_piece(const struct vfio_type1_dirty *c, uint64_t len);
/* The kernel's bitmap (pages pages of page_size from iova, bit p in word
 * p / 64) ORed into b: every page of b's that overlaps a dirty one, the
 * rest of both ranges ignored. Pure. */
void vfio_type1_dirty_fold(struct vfio_dirty_bitmap *b, const uint64_t *bits, uint64_t iova,
			   uint64_t pages, uint64_t page_size);
/* GET_BITMAP over b's range rounded out to c->page_size, in pieces of
 * vfio_type1_dirty_piece, into b (cleared first). The kernel takes a piece
 * only where it starts and ends on its DMA mappings' edges: conduit maps
 * each RAM region in one piece, so a region's range always does. 0 or
 * -errno; after an error the pages must be taken as lost. */
int vfio_type1_dirty_bitmap(int container, const struct vfio_type1_dirty *c,
			    struct vfio_dirty_bitmap *b);

#endif
