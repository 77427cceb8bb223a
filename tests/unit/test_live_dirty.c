/* Unit tests for live migration's device dirty tracking (vmm/live_dirty.h):
 * the choice for each device (every combination of what it offers) and the
 * refusal, the start and stop on the fake vfio device (DMA logging), the
 * fake /dev/iommu (a HWPT with dirty tracking) and the fake type1
 * container (once for the devices sharing it), a sync merging KVM's,
 * conduit's and the devices' pages with a count per source, and
 * migrate-set-parameters' dirty tracking parameters (vmm/migrate.h). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <jansson.h>
#include "../../vmm/live_dirty.h"
#include "../../vmm/migrate.h"
#include "suites.h"
#include "../support/fake_ioctl.h"
#include "../support/fake_iommufd.h"
#include "../support/fake_type1.h"
#include "../support/fake_vfio.h"

#define PAGE 4096ULL
#define MIB  (1ULL << 20)

static char err[512];

static void misuse(const char *what)
{
	ck_abort_msg("%s", what);
}

static void dev(struct live_dirty_dev *d, const char *name, int iommufd, uint32_t hwpt,
		bool logging)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->fd = -1;
	d->iommufd = iommufd;
	d->hwpt = hwpt;
	d->dma_logging = logging;
	d->container = -1;
}

/* ---- the choice ---- */

START_TEST(choose_each_device)
{
	struct live_dirty_dev d[3];

	dev(&d[0], "a", 5, 7, true);            /* both: the IOMMU's */
	dev(&d[1], "b", 5, 0, true);            /* DMA logging */
	dev(&d[2], "c", -1, 0, false);          /* nothing: all-dma, when asked */
	ck_assert_int_eq(live_dirty_choose(d, 2, false, err, sizeof(err)), 0);
	ck_assert_int_eq(d[0].how, LIVE_TRACK_IOMMU);
	ck_assert_int_eq(d[1].how, LIVE_TRACK_DMA_LOGGING);
	ck_assert_int_eq(live_dirty_choose(d, 3, true, err, sizeof(err)), 0);
	ck_assert_int_eq(d[2].how, LIVE_TRACK_ALL_DMA);
	ck_assert_str_eq(live_dirty_how_name(d[2].how), "all-dma");
	ck_assert_str_eq(live_dirty_src_name(LIVE_DIRTY_DMA_LOGGING), "dma-logging");
	ck_assert_str_eq(live_dirty_src_name(LIVE_DIRTY_NR), "unknown");
}
END_TEST

START_TEST(choose_refuses_naming_the_device)
{
	struct live_dirty_dev d[2];

	dev(&d[0], "0000:00:03.0", -1, 0, true);
	dev(&d[1], "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001", -1, 0, false);
	ck_assert_int_eq(live_dirty_choose(d, 2, false, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001: live migration cannot see the guest RAM it writes by DMA: its driver offers no DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING), its type1 container has no dirty tracking (VFIO_IOMMU_DIRTY_PAGES) and the legacy backend has no IOMMU dirty tracking (--vfio-backend iommufd, on an IOMMU that tracks dirty pages); migrate-set-parameters x-conduit-dirty-all-dma=true counts every DMA-mapped page dirty in every round instead");
	d[1].iommufd = 4;
	ck_assert_int_eq(live_dirty_choose(d, 2, false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "and its IOMMU no dirty tracking (IOMMU_HW_CAP_DIRTY_TRACKING); migrate-set-parameters x-conduit-dirty-all-dma=true"));
	ck_assert_int_eq(live_dirty_choose(d, 2, true, err, sizeof(err)), 0);
	/* DMA logging offered but turned off by the user */
	d[0].dma_logging_off = true;
	ck_assert_int_eq(live_dirty_choose(d, 1, false, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "0000:00:03.0: live migration cannot see the guest RAM it writes by DMA: its DMA logging is off (x-conduit-device-dirty-tracking=false), its type1 container has no dirty tracking (VFIO_IOMMU_DIRTY_PAGES) and the legacy backend has no IOMMU dirty tracking (--vfio-backend iommufd, on an IOMMU that tracks dirty pages); migrate-set-parameters x-conduit-dirty-all-dma=true counts every DMA-mapped page dirty in every round instead");
	/* the container offers it, but x-conduit-container-dirty-tracking=false */
	d[0].container = 7;
	d[0].container_dirty = true;
	d[0].container_dirty_off = true;
	ck_assert_int_eq(live_dirty_choose(d, 1, false, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "0000:00:03.0: live migration cannot see the guest RAM it writes by DMA: its DMA logging is off (x-conduit-device-dirty-tracking=false), its type1 container's dirty tracking is off (x-conduit-container-dirty-tracking=false) and the legacy backend has no IOMMU dirty tracking (--vfio-backend iommufd, on an IOMMU that tracks dirty pages); migrate-set-parameters x-conduit-dirty-all-dma=true counts every DMA-mapped page dirty in every round instead");
	d[0].container_dirty_off = false;
	ck_assert_int_eq(live_dirty_choose(d, 1, false, err, sizeof(err)), 0);
	ck_assert_int_eq(d[0].how, LIVE_TRACK_TYPE1);
	ck_assert_str_eq(live_dirty_how_name(d[0].how), "type1");
	ck_assert_str_eq(live_dirty_src_name(LIVE_DIRTY_TYPE1), "type1");
	d[0].hwpt = 9;                          /* the IOMMU's needs no DMA logging */
	ck_assert_int_eq(live_dirty_choose(d, 1, false, err, sizeof(err)), 0);
	ck_assert_int_eq(d[0].how, LIVE_TRACK_IOMMU);
}
END_TEST

/* What the choice must be, written out as QEMU's order: the IOMMU's, the
 * device's DMA logging unless off, the type1 container's (legacy only)
 * unless off, all-dma when asked, else none (a refusal). */
static enum live_dirty_how expected(unsigned bits)
{
	bool hwpt = bits & 1, logging = bits & 2, logging_off = bits & 4;
	bool legacy = bits & 8, ct = bits & 16, ct_off = bits & 32, all = bits & 64;

	if (hwpt && !legacy)
		return LIVE_TRACK_IOMMU;
	if (logging && !logging_off)
		return LIVE_TRACK_DMA_LOGGING;
	if (legacy && ct && !ct_off)
		return LIVE_TRACK_TYPE1;
	if (all)
		return LIVE_TRACK_ALL_DMA;
	return LIVE_TRACK_NONE;
}

START_TEST(choose_every_combination)
{
	struct live_dirty_dev d;
	unsigned bits;
	int ret;

	for (bits = 0; bits < 128; bits++) {
		bool legacy = bits & 8;
		enum live_dirty_how want = expected(bits);

		if (legacy && (bits & 1))
			continue;               /* a HWPT is IOMMUFD's alone */
		dev(&d, "d", legacy ? -1 : 5, (bits & 1) ? 7 : 0, bits & 2);
		d.dma_logging_off = bits & 4;
		d.container = legacy ? 9 : -1;
		d.container_dirty = bits & 16;
		d.container_dirty_off = bits & 32;
		err[0] = 0;
		ret = live_dirty_choose(&d, 1, bits & 64, err, sizeof(err));
		if (want == LIVE_TRACK_NONE) {
			ck_assert_msg(ret == -1, "bits %u: chose %s", bits, live_dirty_how_name(d.how));
			ck_assert_ptr_nonnull(strstr(err, "d: live migration cannot see"));
			ck_assert_msg(!strstr(err, "type1 container") == !legacy,
				      "bits %u: %s", bits, err);
		} else {
			ck_assert_msg(ret == 0, "bits %u: %s", bits, err);
			ck_assert_msg(d.how == want, "bits %u: %s, want %s", bits,
				      live_dirty_how_name(d.how), live_dirty_how_name(want));
		}
	}
	/* a container fd that is not there chooses nothing of it */
	dev(&d, "d", -1, 0, false);
	d.container_dirty = true;
	ck_assert_int_eq(live_dirty_choose(&d, 1, false, err, sizeof(err)), -1);
}
END_TEST

/* ---- migrate-set-parameters ---- */

START_TEST(dirty_params)
{
	struct migrate_status s;
	json_t *a;

	memset(&s, 0, sizeof(s));
	a = json_pack("{s:b, s:b}", "x-conduit-container-dirty-tracking", 0,
		      "x-conduit-device-dirty-tracking", 0);
	ck_assert_int_eq(migrate_dirty_params(a, &s, err, sizeof(err)), 0);
	ck_assert(s.no_container_dirty);
	ck_assert(s.no_dma_logging);
	ck_assert(!s.dirty_all_dma);
	json_decref(a);
	/* what is not given stays */
	a = json_pack("{s:b}", "x-conduit-container-dirty-tracking", 1);
	ck_assert_int_eq(migrate_dirty_params(a, &s, err, sizeof(err)), 0);
	ck_assert(!s.no_container_dirty);
	ck_assert(s.no_dma_logging);
	json_decref(a);
	a = json_pack("{s:b}", "x-conduit-dirty-all-dma", 1);
	ck_assert_int_eq(migrate_dirty_params(a, &s, err, sizeof(err)), 0);
	ck_assert(s.dirty_all_dma);
	json_decref(a);
	/* not a bool: refused, nothing changed */
	a = json_pack("{s:b, s:i}", "x-conduit-device-dirty-tracking", 1,
		      "x-conduit-container-dirty-tracking", 0);
	ck_assert_int_eq(migrate_dirty_params(a, &s, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "x-conduit-container-dirty-tracking: true or false");
	ck_assert(s.no_dma_logging);
	ck_assert(!s.no_container_dirty);
	json_decref(a);
	a = json_pack("{s:s}", "x-conduit-dirty-all-dma", "yes");
	ck_assert_int_eq(migrate_dirty_params(a, &s, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "x-conduit-dirty-all-dma: true or false");
	ck_assert(s.dirty_all_dma);
	json_decref(a);
}
END_TEST

/* ---- on the fakes ---- */

static void setup(void)
{
	fake_vfio_reset(NULL, -1);
	fake_vfio.misuse = misuse;
	fake_vfio.fd = memfd_create("fake-vfio-device", MFD_CLOEXEC);
	ck_assert_int_ge(fake_vfio.fd, 0);
	fake_iommufd_reset();
	fake_iommufd.misuse = misuse;
	fake_iommufd.fd = memfd_create("fake-iommufd", MFD_CLOEXEC);
	ck_assert_int_ge(fake_iommufd.fd, 0);
	fake_iommufd.dev_id = 3;
	fake_iommufd.ioas = 2;
	fake_type1_reset();
	fake_type1.fd = memfd_create("fake-container", MFD_CLOEXEC);
	ck_assert_int_ge(fake_type1.fd, 0);
	fake_ioctl_reset(0);
	err[0] = 0;
}

static void teardown(void)
{
	close(fake_vfio.fd);
	fake_vfio.fd = -1;
	fake_vfio.misuse = NULL;
	close(fake_iommufd.fd);
	fake_iommufd_reset();
	close(fake_type1.fd);
	fake_type1_reset();
	ck_assert_uint_eq(fake_ioctl.strays, 0);
}

static const struct vfio_dirty_range ram[2] = { { 0, 2 * MIB }, { 4 * MIB, MIB } };

static void region(struct vfio_dirty_bitmap *b, unsigned i)
{
	ck_assert_int_eq(vfio_dirty_bitmap_init(b, ram[i].iova, ram[i].length, PAGE), 0);
}

/* A device without DMA logging and no parameter: refused before anything
 * starts. */
START_TEST(start_refused)
{
	struct live_dirty l = { .n = 1 };

	dev(&l.dev[0], "mdev", -1, 0, true);    /* what the caller thought: probed again */
	l.dev[0].fd = fake_vfio.fd;
	ck_assert_int_eq(live_dirty_start(&l, ram, 2, false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "mdev: live migration cannot see"));
	ck_assert_uint_eq(fake_vfio.mig.log_starts, 0);
	ck_assert(!l.dev[0].started);
	/* offered, but x-conduit-device-dirty-tracking=false */
	fake_vfio.mig.dma_logging = true;
	l.no_dma_logging = true;
	ck_assert_int_eq(live_dirty_start(&l, ram, 2, false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "mdev: live migration cannot see the guest RAM it writes by DMA: its DMA logging is off"));
	ck_assert_uint_eq(fake_vfio.mig.log_starts, 0);
	ck_assert_int_eq(live_dirty_start(&l, ram, 2, true, err, sizeof(err)), 0);
	ck_assert_int_eq(l.dev[0].how, LIVE_TRACK_ALL_DMA);
	ck_assert_uint_eq(fake_vfio.mig.log_starts, 0);
	live_dirty_stop(&l);
}
END_TEST

/* DMA logging over the RAM ranges, reported into each region's sync with
 * KVM's and conduit's pages; each source counted; STOP at the end. */
START_TEST(sync_dma_logging)
{
	struct live_dirty l = { .n = 1 };
	struct vfio_dirty_bitmap dst, kvm, host;
	int64_t n;

	fake_vfio.mig.dma_logging = true;
	dev(&l.dev[0], "0000:00:03.0", -1, 0, false);
	l.dev[0].fd = fake_vfio.fd;
	ck_assert_int_eq(live_dirty_start(&l, ram, 2, false, err, sizeof(err)), 0);
	ck_assert_int_eq(l.dev[0].how, LIVE_TRACK_DMA_LOGGING);
	ck_assert(fake_vfio.mig.logging);
	ck_assert_uint_eq(fake_vfio.mig.n_log_ranges, 2);
	ck_assert_uint_eq(fake_vfio.mig.log_range[1].iova, 4 * MIB);
	region(&dst, 0);
	region(&kvm, 0);
	region(&host, 0);
	vfio_dirty_bitmap_set(&kvm, 0);
	vfio_dirty_bitmap_set(&kvm, 5 * PAGE);
	vfio_dirty_bitmap_set(&host, 5 * PAGE);
	vfio_dirty_bitmap_set(&dst, 9 * PAGE);          /* already dirty: kept */
	fake_vfio.mig.dma_dirty[0] = 7 * PAGE + 12;
	fake_vfio.mig.dma_dirty[1] = 4 * MIB + 3 * PAGE; /* the other region */
	fake_vfio.mig.n_dma_dirty = 2;
	live_dirty_round(&l);
	n = live_dirty_sync(&l, &dst, &kvm, &host, true, err, sizeof(err));
	ck_assert_msg(n == 4, "%lld: %s", (long long)n, err);
	ck_assert(vfio_dirty_bitmap_test(&dst, 7 * PAGE));
	ck_assert(vfio_dirty_bitmap_test(&dst, 9 * PAGE));
	ck_assert_uint_eq(l.round[LIVE_DIRTY_KVM], 2);
	ck_assert_uint_eq(l.round[LIVE_DIRTY_CONDUIT], 1);
	ck_assert_uint_eq(l.round[LIVE_DIRTY_DMA_LOGGING], 1);
	ck_assert_uint_eq(l.round[LIVE_DIRTY_IOMMU], 0);
	/* the second region: only the device's page; the round adds up */
	vfio_dirty_bitmap_free(&dst);
	region(&dst, 1);
	n = live_dirty_sync(&l, &dst, NULL, NULL, true, err, sizeof(err));
	ck_assert_int_eq(n, 1);
	ck_assert(vfio_dirty_bitmap_test(&dst, 4 * MIB + 3 * PAGE));
	ck_assert_uint_eq(l.round[LIVE_DIRTY_DMA_LOGGING], 2);
	ck_assert_uint_eq(l.total[LIVE_DIRTY_DMA_LOGGING], 2);
	/* reported once: the device's log was cleared */
	live_dirty_round(&l);
	vfio_dirty_bitmap_clear(&dst);
	ck_assert_int_eq(live_dirty_sync(&l, &dst, NULL, NULL, true, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.round[LIVE_DIRTY_DMA_LOGGING], 0);
	ck_assert_uint_eq(l.total[LIVE_DIRTY_DMA_LOGGING], 2);
	live_dirty_stop(&l);
	ck_assert(!fake_vfio.mig.logging);
	ck_assert(!l.dev[0].started);
	vfio_dirty_bitmap_free(&dst);
	vfio_dirty_bitmap_free(&kvm);
	vfio_dirty_bitmap_free(&host);
}
END_TEST

/* A device logging in larger pages than 4 KiB: each of its dirty pages
 * marks every 4 KiB page inside it. */
START_TEST(sync_coarse_log)
{
	struct live_dirty l = { .n = 1 };
	struct vfio_dirty_bitmap dst;

	fake_vfio.mig.dma_logging = true;
	fake_vfio.mig.dma_page_size = 4 * PAGE;
	dev(&l.dev[0], "dev", -1, 0, false);
	l.dev[0].fd = fake_vfio.fd;
	ck_assert_int_eq(live_dirty_start(&l, ram, 2, false, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.dev[0].page_size, 4 * PAGE);
	fake_vfio.mig.dma_dirty[0] = 4 * MIB + 5 * PAGE;
	fake_vfio.mig.n_dma_dirty = 1;
	region(&dst, 1);
	ck_assert_int_eq(live_dirty_sync(&l, &dst, NULL, NULL, true, err, sizeof(err)), 4);
	ck_assert(vfio_dirty_bitmap_test(&dst, 4 * MIB + 4 * PAGE));
	ck_assert(vfio_dirty_bitmap_test(&dst, 4 * MIB + 7 * PAGE));
	ck_assert(!vfio_dirty_bitmap_test(&dst, 4 * MIB + 8 * PAGE));
	ck_assert_uint_eq(l.round[LIVE_DIRTY_DMA_LOGGING], 4);
	live_dirty_stop(&l);
	vfio_dirty_bitmap_free(&dst);
}
END_TEST

/* The IOMMU's dirty tracking on the device's HWPT: on at the start (what it
 * held before cleared), its bitmap in each sync, off at the stop. With a
 * second device on all-dma, every page of a DMA-mapped region is dirty,
 * and none of one that is not mapped. */
START_TEST(sync_iommu_and_all_dma)
{
	struct live_dirty l = { .n = 2 };
	struct vfio_dirty_bitmap dst;
	uint32_t hwpt;

	fake_iommufd.caps = IOMMU_HW_CAP_DIRTY_TRACKING;
	ck_assert_int_eq(vfio_iommufd_hwpt_alloc_dirty(fake_iommufd.fd, 3, 2, &hwpt), 0);
	fake_iommufd.dirty[0] = 3 * PAGE;               /* before the start: no news */
	fake_iommufd.n_dirty = 1;
	dev(&l.dev[0], "nic", fake_iommufd.fd, hwpt, false);
	l.dev[0].fd = fake_vfio.fd;
	dev(&l.dev[1], "mtty", fake_iommufd.fd, 0, false);
	l.dev[1].fd = fake_vfio.fd;
	ck_assert_int_eq(live_dirty_start(&l, ram, 2, false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "mtty: live migration cannot see"));
	ck_assert(!fake_iommufd.tracking);
	ck_assert_int_eq(live_dirty_start(&l, ram, 2, true, err, sizeof(err)), 0);
	ck_assert(fake_iommufd.tracking);
	ck_assert_int_eq(l.dev[0].how, LIVE_TRACK_IOMMU);
	ck_assert_int_eq(l.dev[1].how, LIVE_TRACK_ALL_DMA);
	ck_assert(live_dirty_all_dma(&l));
	fake_iommufd.dirty[0] = PAGE;
	fake_iommufd.n_dirty = 1;
	region(&dst, 0);
	ck_assert_int_eq(live_dirty_sync(&l, &dst, NULL, NULL, false, err, sizeof(err)), 1);
	ck_assert(vfio_dirty_bitmap_test(&dst, PAGE));
	ck_assert(!vfio_dirty_bitmap_test(&dst, 3 * PAGE));
	ck_assert_uint_eq(l.round[LIVE_DIRTY_IOMMU], 1);
	ck_assert_uint_eq(l.round[LIVE_DIRTY_ALL_DMA], 0);
	live_dirty_round(&l);
	ck_assert_int_eq(live_dirty_sync(&l, &dst, NULL, NULL, true, err, sizeof(err)), 512);
	ck_assert_uint_eq(l.round[LIVE_DIRTY_ALL_DMA], 512);
	ck_assert_uint_eq(l.total[LIVE_DIRTY_IOMMU], 1);
	live_dirty_stop(&l);
	ck_assert(!fake_iommufd.tracking);
	vfio_dirty_bitmap_free(&dst);
}
END_TEST

/* Two legacy devices without DMA logging in one type1 container: the
 * container's tracking, started once, one GET_BITMAP a sync for both,
 * counted as type1, stopped once. Refused where the container has no
 * capability or the user turned it off. */
START_TEST(sync_type1_container)
{
	struct live_dirty l = { .n = 2 };
	struct vfio_dirty_bitmap dst;
	unsigned i;

	for (i = 0; i < 2; i++) {
		dev(&l.dev[i], i ? "mdev-b" : "mdev-a", -1, 0, false);
		l.dev[i].fd = fake_vfio.fd;
		l.dev[i].container = fake_type1.fd;
	}
	fake_type1.no_cap = true;
	ck_assert_int_eq(live_dirty_start(&l, ram, 2, false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "mdev-a: live migration cannot see the guest RAM it writes by DMA: its driver offers no DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING), its type1 container has no dirty tracking (VFIO_IOMMU_DIRTY_PAGES)"));
	fake_type1.no_cap = false;
	l.no_container_dirty = true;
	ck_assert_int_eq(live_dirty_start(&l, ram, 2, false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "its type1 container's dirty tracking is off (x-conduit-container-dirty-tracking=false)"));
	ck_assert_uint_eq(fake_type1.starts, 0);
	l.no_container_dirty = false;
	/* DMA logging goes first where the device has it (one device: the
	 * fake has one log) */
	fake_vfio.mig.dma_logging = true;
	l.n = 1;
	ck_assert_msg(live_dirty_start(&l, ram, 2, false, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(l.dev[0].how, LIVE_TRACK_DMA_LOGGING);
	ck_assert_uint_eq(fake_type1.starts, 0);
	live_dirty_stop(&l);
	l.n = 2;
	/* without it (or turned off): the container's */
	l.no_dma_logging = true;
	ck_assert_int_eq(live_dirty_start(&l, ram, 2, false, err, sizeof(err)), 0);
	ck_assert_int_eq(l.dev[0].how, LIVE_TRACK_TYPE1);
	ck_assert_int_eq(l.dev[1].how, LIVE_TRACK_TYPE1);
	ck_assert_uint_eq(fake_type1.starts, 1);
	ck_assert_uint_eq(fake_vfio.mig.log_starts, 1);  /* the one before */
	ck_assert_uint_eq(l.n_ct, 1);
	fake_type1.dirty[0] = 4 * MIB + 2 * PAGE;
	fake_type1.dirty[1] = 4 * MIB + 9 * PAGE;
	fake_type1.dirty[2] = 0;                        /* region 0's */
	fake_type1.n_dirty = 3;
	region(&dst, 1);
	live_dirty_round(&l);
	ck_assert_int_eq(live_dirty_sync(&l, &dst, NULL, NULL, true, err, sizeof(err)), 2);
	ck_assert_uint_eq(fake_type1.gets, 1);          /* once for both devices */
	ck_assert_uint_eq(fake_type1.get[0].iova, 4 * MIB);
	ck_assert_uint_eq(fake_type1.get[0].size, MIB);
	ck_assert(vfio_dirty_bitmap_test(&dst, 4 * MIB + 9 * PAGE));
	ck_assert_uint_eq(l.round[LIVE_DIRTY_TYPE1], 2);
	ck_assert_uint_eq(l.round[LIVE_DIRTY_ALL_DMA], 0);
	ck_assert_uint_eq(l.ct[0].gets, 1);
	/* a failed GET_BITMAP names the device and the ioctl */
	fake_type1.fail_get = EFAULT;
	ck_assert_int_eq(live_dirty_sync(&l, &dst, NULL, NULL, true, err, sizeof(err)), -EFAULT);
	ck_assert_str_eq(err, "mdev-a: VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP: Bad address");
	live_dirty_stop(&l);
	ck_assert_uint_eq(fake_type1.stops, 1);
	ck_assert(!fake_type1.tracking);
	live_dirty_stop(&l);                            /* twice: nothing more */
	ck_assert_uint_eq(fake_type1.stops, 1);
	vfio_dirty_bitmap_free(&dst);
}
END_TEST

/* An IOMMUFD device never uses a container, even one that offers it. */
START_TEST(type1_not_on_iommufd)
{
	struct live_dirty l = { .n = 1 };

	dev(&l.dev[0], "mtty", fake_iommufd.fd, 0, false);
	l.dev[0].fd = fake_vfio.fd;
	l.dev[0].container = fake_type1.fd;
	ck_assert_int_eq(live_dirty_start(&l, ram, 2, false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "its driver offers no DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING) and its IOMMU no dirty tracking"));
	ck_assert_uint_eq(fake_type1.starts, 0);
	ck_assert_uint_eq(l.n_ct, 0);
}
END_TEST

Suite *live_dirty_suite(void)
{
	Suite *s = suite_create("live_dirty");
	TCase *tc = tcase_create("choose");
	TCase *tf = tcase_create("fakes");

	tcase_add_test(tc, choose_each_device);
	tcase_add_test(tc, choose_refuses_naming_the_device);
	tcase_add_test(tc, choose_every_combination);
	tcase_add_test(tc, dirty_params);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, start_refused);
	tcase_add_test(tf, sync_dma_logging);
	tcase_add_test(tf, sync_coarse_log);
	tcase_add_test(tf, sync_iommu_and_all_dma);
	tcase_add_test(tf, sync_type1_container);
	tcase_add_test(tf, type1_not_on_iommufd);
	suite_add_tcase(s, tf);
	return s;
}
