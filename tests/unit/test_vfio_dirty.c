/* Unit tests for dirty page tracking (vfio/dirty.h): bitmap geometry, the
 * merge and what each source gave to it, device DMA logging on the fake
 * vfio device, IOMMUFD dirty tracking on the fake /dev/iommu, and the type1
 * container's: the capability, the GET_BITMAP pieces and their folding
 * (pure), then on the fake container. */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include "../../vfio/dirty.h"
#include "suites.h"
#include "../support/fake_ioctl.h"
#include "../support/fake_iommufd.h"
#include "../support/fake_type1.h"
#include "../support/fake_vfio.h"

#define DEV  "0000:01:00.0"
#define PAGE 4096ULL
#define GIB  (1ULL << 30)
#define MIB  (1ULL << 20)

static char err[512];

static void misuse(const char *what)
{
	ck_abort_msg("%s", what);
}

/* ---- bitmaps ---- */

START_TEST(bitmap_geometry)
{
	struct vfio_dirty_bitmap b;

	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, 0, MIB, 2048), -EINVAL);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, 0, MIB, 3 * PAGE), -EINVAL);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, 0x800, MIB, PAGE), -EINVAL);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, 0, MIB + 1, PAGE), -EINVAL);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, 0, 0, PAGE), -EINVAL);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, -PAGE, 2 * PAGE, PAGE), -EINVAL);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, GIB, 130 * PAGE, PAGE), 0);
	ck_assert_uint_eq(vfio_dirty_bitmap_pages(&b), 130);
	ck_assert_uint_eq(vfio_dirty_bitmap_words(&b), 3);
	vfio_dirty_bitmap_set(&b, GIB + 129 * PAGE + 5);
	vfio_dirty_bitmap_set(&b, GIB);
	vfio_dirty_bitmap_set(&b, GIB + 130 * PAGE);            /* outside: nothing */
	vfio_dirty_bitmap_set(&b, GIB - 1);
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&b), 2);
	ck_assert(vfio_dirty_bitmap_test(&b, GIB + 129 * PAGE));
	ck_assert(!vfio_dirty_bitmap_test(&b, GIB + 128 * PAGE));
	ck_assert(!vfio_dirty_bitmap_test(&b, GIB + 130 * PAGE));
	ck_assert_uint_eq(b.bits[2], 2);
	vfio_dirty_bitmap_clear(&b);
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&b), 0);
	vfio_dirty_bitmap_free(&b);
}
END_TEST

static void mark(struct vfio_dirty_bitmap *b, const unsigned *pages, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		vfio_dirty_bitmap_set(b, b->iova + pages[i] * b->page_size);
}

START_TEST(merge_counts_each_source)
{
	struct vfio_dirty_bitmap kvm, dev, iommu, all, other;
	const struct vfio_dirty_bitmap *src[3] = { &kvm, &dev, &iommu };
	struct vfio_dirty_count c[3];

	ck_assert_int_eq(vfio_dirty_bitmap_init(&kvm, 0, 130 * PAGE, PAGE), 0);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&dev, 0, 130 * PAGE, PAGE), 0);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&iommu, 0, 130 * PAGE, PAGE), 0);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&all, 0, 130 * PAGE, PAGE), 0);
	mark(&kvm, (const unsigned[]){ 0, 1, 2, 64 }, 4);
	mark(&dev, (const unsigned[]){ 1, 100 }, 2);
	mark(&iommu, (const unsigned[]){ 2, 129 }, 2);
	iommu.bits[2] |= 1ULL << 5;             /* past the last page: not one */
	memset(all.bits, 0xff, 3 * sizeof(uint64_t));   /* overwritten */
	ck_assert_int_eq(vfio_dirty_merge(&all, src, 3, c), 6);
	ck_assert_uint_eq(c[0].pages, 4);
	ck_assert_uint_eq(c[0].only, 2);        /* 0 and 64 */
	ck_assert_uint_eq(c[1].pages, 2);
	ck_assert_uint_eq(c[1].only, 1);        /* 100 */
	ck_assert_uint_eq(c[2].pages, 2);
	ck_assert_uint_eq(c[2].only, 1);        /* 129 */
	ck_assert(vfio_dirty_bitmap_test(&all, 100 * PAGE));
	ck_assert(!vfio_dirty_bitmap_test(&all, 3 * PAGE));
	ck_assert_uint_eq(all.bits[2], 2);
	/* one source alone: all of it is its own */
	ck_assert_int_eq(vfio_dirty_merge(&all, src + 1, 1, c), 2);
	ck_assert_uint_eq(c[0].only, 2);
	/* another geometry is refused */
	ck_assert_int_eq(vfio_dirty_bitmap_init(&other, 0, 130 * PAGE, 2 * PAGE), 0);
	src[1] = &other;
	ck_assert_int_eq(vfio_dirty_merge(&all, src, 3, c), -EINVAL);
	vfio_dirty_bitmap_free(&kvm);
	vfio_dirty_bitmap_free(&dev);
	vfio_dirty_bitmap_free(&iommu);
	vfio_dirty_bitmap_free(&all);
	vfio_dirty_bitmap_free(&other);
}
END_TEST

/* ---- device DMA logging ---- */

static void setup_dev(void)
{
	fake_vfio_reset(NULL, -1);
	fake_vfio.misuse = misuse;
	fake_vfio.fd = memfd_create("fake-vfio-device", MFD_CLOEXEC);
	ck_assert_int_ge(fake_vfio.fd, 0);
	fake_ioctl_reset(0);
	err[0] = 0;
}

static void teardown_dev(void)
{
	close(fake_vfio.fd);
	fake_vfio.fd = -1;
	fake_vfio.misuse = NULL;
	ck_assert_uint_eq(fake_ioctl.strays, 0);
}

static const struct vfio_dirty_range guest_ram[2] = {
	{ 0, 2 * GIB }, { 4 * GIB, GIB },
};

START_TEST(dma_logging_probe)
{
	uint64_t page = PAGE;

	ck_assert(!vfio_dma_logging_offered(fake_vfio.fd));
	ck_assert_int_eq(vfio_dma_logging_start(fake_vfio.fd, DEV, guest_ram, 2, &page, err,
						sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": the device offers no DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_START: Inappropriate ioctl for device)");
	fake_vfio.mig.dma_logging = true;
	ck_assert(vfio_dma_logging_offered(fake_vfio.fd));
	ck_assert_uint_eq(fake_vfio.mig.log_starts, 0);
}
END_TEST

START_TEST(dma_logging_reports_per_range)
{
	struct vfio_dirty_bitmap low, high;
	uint64_t page = PAGE;

	fake_vfio.mig.dma_logging = true;
	fake_vfio.mig.dma_page_size = 2 * PAGE;         /* the device's choice */
	ck_assert_msg(vfio_dma_logging_start(fake_vfio.fd, DEV, guest_ram, 2, &page, err,
					     sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(page, 2 * PAGE);
	ck_assert_uint_eq(fake_vfio.mig.n_log_ranges, 2);
	ck_assert_uint_eq(fake_vfio.mig.log_range[1].iova, 4 * GIB);
	ck_assert_uint_eq(fake_vfio.mig.log_range[1].length, GIB);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&low, 0, 2 * GIB, PAGE), 0);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&high, 4 * GIB, GIB, PAGE), 0);
	fake_vfio.mig.dma_dirty[0] = 0x1000;
	fake_vfio.mig.dma_dirty[1] = 0x7fff;
	fake_vfio.mig.dma_dirty[2] = 4 * GIB + 0x3000;
	fake_vfio.mig.n_dma_dirty = 3;
	low.bits[9] = 1;                        /* stale: cleared before the report */
	ck_assert_int_eq(vfio_dma_logging_report(fake_vfio.fd, &low), 0);
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&low), 2);
	ck_assert(vfio_dirty_bitmap_test(&low, 0x1000) && vfio_dirty_bitmap_test(&low, 0x7000));
	/* the log of that range is cleared; the other's is not */
	ck_assert_int_eq(vfio_dma_logging_report(fake_vfio.fd, &low), 0);
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&low), 0);
	ck_assert_int_eq(vfio_dma_logging_report(fake_vfio.fd, &high), 0);
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&high), 1);
	ck_assert(vfio_dirty_bitmap_test(&high, 4 * GIB + 0x3000));
	ck_assert_uint_eq(fake_vfio.mig.reports, 3);
	ck_assert_int_eq(vfio_dma_logging_stop(fake_vfio.fd), 0);
	ck_assert(!fake_vfio.mig.logging);
	ck_assert_int_eq(vfio_dma_logging_report(fake_vfio.fd, &high), -EINVAL);
	vfio_dirty_bitmap_free(&low);
	vfio_dirty_bitmap_free(&high);
}
END_TEST

START_TEST(dma_logging_refuses_bad_ranges)
{
	static struct vfio_dirty_range many[VFIO_DIRTY_MAX_RANGES + 1];
	const struct vfio_dirty_range overlapping[2] = { { 0, 2 * MIB }, { MIB, MIB } };
	const struct vfio_dirty_range partial[1] = { { 0, MIB + 512 } };
	uint64_t page = PAGE;
	unsigned i;

	fake_vfio.mig.dma_logging = true;
	ck_assert_int_eq(vfio_dma_logging_start(fake_vfio.fd, DEV, overlapping, 2, &page, err,
						sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": DMA logging takes ranges that do not overlap");
	ck_assert_int_eq(vfio_dma_logging_start(fake_vfio.fd, DEV, partial, 1, &page, err,
						sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": DMA logging takes ranges in whole pages");
	for (i = 0; i <= VFIO_DIRTY_MAX_RANGES; i++)
		many[i] = (struct vfio_dirty_range){ i * MIB, MIB };
	ck_assert_int_eq(vfio_dma_logging_start(fake_vfio.fd, DEV, many, i, &page, err,
						sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": DMA logging takes 1 to 256 ranges");
	page = 1000;
	ck_assert_int_eq(vfio_dma_logging_start(fake_vfio.fd, DEV, many, 1, &page, err,
						sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": DMA logging takes a page size that is a power of two of at least 4096");
	ck_assert_uint_eq(fake_vfio.mig.log_starts, 0);
	/* 256 is fine, and a second START before a STOP is the device's EBUSY */
	page = PAGE;
	ck_assert_msg(vfio_dma_logging_start(fake_vfio.fd, DEV, many, VFIO_DIRTY_MAX_RANGES,
					     &page, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(vfio_dma_logging_start(fake_vfio.fd, DEV, many, 1, &page, err,
						sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": VFIO_DEVICE_FEATURE_DMA_LOGGING_START: Device or resource busy");
}
END_TEST

/* ---- IOMMUFD dirty tracking ---- */

static void setup_iommufd(void)
{
	fake_iommufd_reset();
	fake_iommufd.misuse = misuse;
	fake_iommufd.fd = memfd_create("fake-iommufd", MFD_CLOEXEC);
	ck_assert_int_ge(fake_iommufd.fd, 0);
	fake_iommufd.dev_id = 3;
	fake_iommufd.ioas = 2;
	fake_ioctl_reset(0);
}

static void teardown_iommufd(void)
{
	close(fake_iommufd.fd);
	fake_iommufd_reset();
	ck_assert_uint_eq(fake_ioctl.strays, 0);
}

START_TEST(iommufd_without_dirty_tracking)
{
	bool offered = true;
	uint32_t hwpt = 0;

	ck_assert_int_eq(vfio_iommufd_dirty_offered(fake_iommufd.fd, 3, &offered), 0);
	ck_assert(!offered);
	ck_assert_int_eq(vfio_iommufd_hwpt_alloc_dirty(fake_iommufd.fd, 3, 2, &hwpt), -EOPNOTSUPP);
	ck_assert_int_eq(vfio_iommufd_dirty_offered(fake_iommufd.fd, 4, &offered), -ENOENT);
}
END_TEST

START_TEST(iommufd_dirty_bitmap)
{
	struct vfio_dirty_bitmap b;
	bool offered = false;
	uint32_t hwpt = 0;

	fake_iommufd.caps = IOMMU_HW_CAP_DIRTY_TRACKING;
	ck_assert_int_eq(vfio_iommufd_dirty_offered(fake_iommufd.fd, 3, &offered), 0);
	ck_assert(offered);
	ck_assert_int_eq(vfio_iommufd_hwpt_alloc_dirty(fake_iommufd.fd, 3, 2, &hwpt), 0);
	ck_assert_uint_eq(hwpt, fake_iommufd.hwpt);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, GIB, GIB, PAGE), 0);
	fake_iommufd.dirty[0] = GIB + 5 * PAGE;
	fake_iommufd.dirty[1] = GIB + 70 * PAGE + 1;
	fake_iommufd.dirty[2] = 3 * GIB;                /* outside */
	fake_iommufd.n_dirty = 3;
	/* not tracking yet: nothing */
	ck_assert_int_eq(vfio_iommufd_dirty_bitmap(fake_iommufd.fd, hwpt, &b, false), 0);
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&b), 0);
	ck_assert_int_eq(vfio_iommufd_set_dirty(fake_iommufd.fd, hwpt, true), 0);
	ck_assert(fake_iommufd.tracking);
	/* keep: the IOMMU's bits stay for the next read */
	ck_assert_int_eq(vfio_iommufd_dirty_bitmap(fake_iommufd.fd, hwpt, &b, true), 0);
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&b), 2);
	ck_assert_int_eq(vfio_iommufd_dirty_bitmap(fake_iommufd.fd, hwpt, &b, false), 0);
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&b), 2);
	ck_assert(vfio_dirty_bitmap_test(&b, GIB + 70 * PAGE));
	ck_assert_int_eq(vfio_iommufd_dirty_bitmap(fake_iommufd.fd, hwpt, &b, false), 0);
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&b), 0);
	ck_assert_uint_eq(fake_iommufd.n_dirty, 1);
	ck_assert_int_eq(vfio_iommufd_set_dirty(fake_iommufd.fd, hwpt, false), 0);
	ck_assert(!fake_iommufd.tracking);
	ck_assert_int_eq(vfio_iommufd_set_dirty(fake_iommufd.fd, hwpt + 1, true), -ENOENT);
	ck_assert_uint_eq(fake_iommufd.bitmaps, 4);
	vfio_dirty_bitmap_free(&b);
}
END_TEST

/* ---- the type1 container's dirty tracking ---- */

START_TEST(type1_caps)
{
	struct vfio_type1_dirty c;

	vfio_type1_dirty_caps(&c, PAGE | 2 * MIB | GIB, 1ULL << 28);
	ck_assert(c.offered);
	ck_assert_uint_eq(c.page_size, PAGE);           /* the smallest only */
	ck_assert_uint_eq(c.max_bitmap_bytes, 1ULL << 28);
	vfio_type1_dirty_caps(&c, 64 * 1024, 13);       /* whole words: 8 bytes */
	ck_assert(c.offered);
	ck_assert_uint_eq(c.page_size, 64 * 1024);
	ck_assert_uint_eq(c.max_bitmap_bytes, 8);
	vfio_type1_dirty_caps(&c, 0, 1ULL << 28);
	ck_assert(!c.offered);
	vfio_type1_dirty_caps(&c, PAGE, 7);             /* not one word */
	ck_assert(!c.offered);
	vfio_type1_dirty_caps(&c, 2048, 8);             /* under 4 KiB */
	ck_assert(!c.offered);
}
END_TEST

/* The kernel's limit in pages: 8 bytes of bitmap hold 64 pages. */
START_TEST(type1_pieces)
{
	struct vfio_type1_dirty c;

	vfio_type1_dirty_caps(&c, PAGE, 8);
	ck_assert_uint_eq(vfio_type1_dirty_piece(&c, 64 * PAGE), 64 * PAGE);
	ck_assert_uint_eq(vfio_type1_dirty_piece(&c, 65 * PAGE), 64 * PAGE);
	ck_assert_uint_eq(vfio_type1_dirty_piece(&c, PAGE), PAGE);
	ck_assert_uint_eq(vfio_type1_dirty_piece(&c, 0), 0);
	vfio_type1_dirty_caps(&c, PAGE, 1ULL << 28);    /* 8 TiB a call */
	ck_assert_uint_eq(vfio_type1_dirty_piece(&c, 64 * GIB), 64 * GIB);
	ck_assert_uint_eq(vfio_type1_dirty_piece(&c, 16ULL << 40), 8ULL << 40);
	vfio_type1_dirty_caps(&c, 0, 8);
	ck_assert_uint_eq(vfio_type1_dirty_piece(&c, PAGE), 0);
}
END_TEST

/* Kernel pages larger, equal and outside: each dirty one marks every page
 * of b's that it overlaps, nothing outside b's range. */
START_TEST(type1_fold)
{
	struct vfio_dirty_bitmap b;
	uint64_t bits[2] = { 0, 0 };

	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, MIB, MIB, PAGE), 0);
	bits[0] = 1ULL << 1 | 1ULL << 63;       /* 64 KiB pages from 0.9375 MiB */
	bits[1] = 1ULL << 0;
	vfio_type1_dirty_fold(&b, bits, MIB - 64 * 1024, 65, 64 * 1024);
	/* page 1: [MIB, MIB + 64K) */
	ck_assert(vfio_dirty_bitmap_test(&b, MIB));
	ck_assert(vfio_dirty_bitmap_test(&b, MIB + 15 * PAGE));
	ck_assert(!vfio_dirty_bitmap_test(&b, MIB + 16 * PAGE));
	/* pages 63 and 64 lie past b's end: nothing */
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&b), 16);
	vfio_dirty_bitmap_clear(&b);
	bits[0] = 1ULL << 0 | 1ULL << 5;        /* same page size */
	bits[1] = 0;
	vfio_type1_dirty_fold(&b, bits, MIB, 64, PAGE);
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&b), 2);
	ck_assert(vfio_dirty_bitmap_test(&b, MIB + 5 * PAGE));
	vfio_dirty_bitmap_free(&b);
}
END_TEST

static void setup_type1(void)
{
	fake_type1_reset();
	fake_type1.fd = memfd_create("fake-container", MFD_CLOEXEC);
	ck_assert_int_ge(fake_type1.fd, 0);
	fake_ioctl_reset(0);
}

static void teardown_type1(void)
{
	close(fake_type1.fd);
	fake_type1_reset();
	ck_assert_uint_eq(fake_ioctl.strays, 0);
}

START_TEST(type1_probe)
{
	struct vfio_type1_dirty c;

	fake_type1.pgsize_bitmap = PAGE | 2 * MIB;
	ck_assert_int_eq(vfio_type1_dirty_probe(fake_type1.fd, &c), 0);
	ck_assert(c.offered);
	ck_assert_uint_eq(c.page_size, PAGE);
	ck_assert_uint_eq(c.max_bitmap_bytes, 1ULL << 28);
	fake_type1.no_cap = true;
	ck_assert_int_eq(vfio_type1_dirty_probe(fake_type1.fd, &c), 0);
	ck_assert(!c.offered);
	ck_assert_int_eq(vfio_type1_dirty_set(fake_type1.fd, true), 0);
	ck_assert(fake_type1.tracking);
	ck_assert_int_eq(vfio_type1_dirty_set(fake_type1.fd, false), 0);
	ck_assert(!fake_type1.tracking);
	ck_assert_uint_eq(fake_type1.starts, 1);
	ck_assert_uint_eq(fake_type1.stops, 1);
}
END_TEST

/* 1 MiB with a kernel limit of 64 pages a call: four GET_BITMAPs, each
 * aligned and sized as the kernel checks, the pages of all of them. */
START_TEST(type1_bitmap_split)
{
	struct vfio_type1_dirty c;
	struct vfio_dirty_bitmap b;
	unsigned i;

	fake_type1.max_bitmap_bytes = 8;
	ck_assert_int_eq(vfio_type1_dirty_probe(fake_type1.fd, &c), 0);
	ck_assert_int_eq(vfio_type1_dirty_set(fake_type1.fd, true), 0);
	fake_type1.dirty[0] = GIB;
	fake_type1.dirty[1] = GIB + 64 * PAGE;
	fake_type1.dirty[2] = GIB + 255 * PAGE;
	fake_type1.dirty[3] = GIB + MIB;                /* past the range */
	fake_type1.n_dirty = 4;
	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, GIB, MIB, PAGE), 0);
	vfio_dirty_bitmap_set(&b, GIB + 9 * PAGE);      /* stale: cleared first */
	ck_assert_int_eq(vfio_type1_dirty_bitmap(fake_type1.fd, &c, &b), 0);
	ck_assert_uint_eq(fake_type1.gets, 4);
	ck_assert_uint_eq(fake_type1.get_errors, 0);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(fake_type1.get[i].iova, GIB + i * 64 * PAGE);
		ck_assert_uint_eq(fake_type1.get[i].size, 64 * PAGE);
	}
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&b), 3);
	ck_assert(vfio_dirty_bitmap_test(&b, GIB + 64 * PAGE));
	ck_assert(vfio_dirty_bitmap_test(&b, GIB + 255 * PAGE));
	/* 65 pages: a piece of 64, then one of 1 */
	vfio_dirty_bitmap_free(&b);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, GIB, 65 * PAGE, PAGE), 0);
	fake_type1.gets = 0;
	ck_assert_int_eq(vfio_type1_dirty_bitmap(fake_type1.fd, &c, &b), 0);
	ck_assert_uint_eq(fake_type1.gets, 2);
	ck_assert_uint_eq(fake_type1.get[1].iova, GIB + 64 * PAGE);
	ck_assert_uint_eq(fake_type1.get[1].size, PAGE);
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&b), 2);
	/* an error: reported, the pages taken as lost by the caller */
	fake_type1.fail_get = EFAULT;
	ck_assert_int_eq(vfio_type1_dirty_bitmap(fake_type1.fd, &c, &b), -EFAULT);
	/* tracking off: the kernel refuses */
	fake_type1.fail_get = 0;
	ck_assert_int_eq(vfio_type1_dirty_set(fake_type1.fd, false), 0);
	ck_assert_int_eq(vfio_type1_dirty_bitmap(fake_type1.fd, &c, &b), -EINVAL);
	vfio_dirty_bitmap_free(&b);
}
END_TEST

/* Kernel pages of 64 KiB over a 4 KiB bitmap not aligned to them: the
 * range asked is rounded out, each dirty page marks the 4 KiB ones in it. */
START_TEST(type1_bitmap_large_pages)
{
	struct vfio_type1_dirty c;
	struct vfio_dirty_bitmap b;

	fake_type1.pgsize_bitmap = 64 * 1024;
	ck_assert_int_eq(vfio_type1_dirty_probe(fake_type1.fd, &c), 0);
	ck_assert_int_eq(vfio_type1_dirty_set(fake_type1.fd, true), 0);
	fake_type1.dirty[0] = MIB;                      /* [1 MiB, +64K) */
	fake_type1.n_dirty = 1;
	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, MIB + 8 * PAGE, 16 * PAGE, PAGE), 0);
	ck_assert_int_eq(vfio_type1_dirty_bitmap(fake_type1.fd, &c, &b), 0);
	ck_assert_uint_eq(fake_type1.get[0].iova, MIB);
	ck_assert_uint_eq(fake_type1.get[0].size, 2 * 64 * 1024);
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&b), 8);
	ck_assert(vfio_dirty_bitmap_test(&b, MIB + 15 * PAGE));
	ck_assert(!vfio_dirty_bitmap_test(&b, MIB + 16 * PAGE));
	vfio_dirty_bitmap_free(&b);
	/* not offered: nothing asked */
	c.offered = false;
	ck_assert_int_eq(vfio_dirty_bitmap_init(&b, MIB, MIB, PAGE), 0);
	ck_assert_int_eq(vfio_type1_dirty_bitmap(fake_type1.fd, &c, &b), -EOPNOTSUPP);
	ck_assert_uint_eq(fake_type1.gets, 1);
	vfio_dirty_bitmap_free(&b);
}
END_TEST

Suite *vfio_dirty_suite(void)
{
	Suite *s = suite_create("vfio_dirty");
	TCase *tb = tcase_create("bitmap");
	TCase *td = tcase_create("dma_logging");
	TCase *ti = tcase_create("iommufd");
	TCase *tt = tcase_create("type1");

	tcase_add_test(tb, bitmap_geometry);
	tcase_add_test(tb, merge_counts_each_source);
	suite_add_tcase(s, tb);
	tcase_add_checked_fixture(td, setup_dev, teardown_dev);
	tcase_add_test(td, dma_logging_probe);
	tcase_add_test(td, dma_logging_reports_per_range);
	tcase_add_test(td, dma_logging_refuses_bad_ranges);
	suite_add_tcase(s, td);
	tcase_add_checked_fixture(ti, setup_iommufd, teardown_iommufd);
	tcase_add_test(ti, iommufd_without_dirty_tracking);
	tcase_add_test(ti, iommufd_dirty_bitmap);
	suite_add_tcase(s, ti);
	tcase_add_test(tt, type1_caps);
	tcase_add_test(tt, type1_pieces);
	tcase_add_test(tt, type1_fold);
	tcase_add_checked_fixture(tt, setup_type1, teardown_type1);
	tcase_add_test(tt, type1_probe);
	tcase_add_test(tt, type1_bitmap_split);
	tcase_add_test(tt, type1_bitmap_large_pages);
	suite_add_tcase(s, tt);
	return s;
}
