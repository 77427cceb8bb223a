/* Unit tests for guest RAM in the IOMMU (vfio/dma.c): the layout check
 * against the usable IOVA ranges (inside one range, across ranges that
 * touch or overlap in any order, a reserved hole, none reported, unknown),
 * and mapping through a fake backend: one map per RAM region at IOVA = GPA,
 * what was mapped unmapped again when a map fails, the memlock message for
 * ENOMEM, and the unmap at exit. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include "../../vfio/dma.h"
#include "suites.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static char err[512];

/* 8 GiB of guest RAM: below the 32-bit PCI hole and from 4 GiB up. */
static struct guest_mem layout_8g(void)
{
	struct guest_mem gm;

	ck_assert_int_eq(memmap_layout(&gm, 8 * GiB), 0);
	ck_assert_int_eq(gm.n_ram, 2);
	return gm;
}

START_TEST(layout_inside_ranges)
{
	struct guest_mem gm = layout_8g();
	/* x86 with the MSI window 0xfee00000-0xfeefffff reserved */
	struct iova_range r[] = {
		{ 0, 0xfedfffff }, { 0xfef00000, (1ULL << 48) - 1 },
	};

	ck_assert_int_eq(dma_check_layout(&gm, r, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(dma_check_layout(&gm, r, -1, err, sizeof(err)), 0);
}
END_TEST

START_TEST(layout_in_a_hole)
{
	struct guest_mem gm = layout_8g();
	struct iova_range low[] = { { 0, 0xfedfffff } };
	/* a reservation inside the high RAM */
	struct iova_range holed[] = { { 0, 5 * GiB - 1 }, { 5 * GiB + 4096, UINT64_MAX } };
	uint64_t hs = gm.ram[1].gpa, he = hs + gm.ram[1].size - 1;
	char want[200];

	snprintf(want, sizeof(want), "guest RAM 0x%llx-0x%llx is not usable IOVA space for this IOMMU",
		 (unsigned long long)hs, (unsigned long long)he);
	ck_assert_int_eq(dma_check_layout(&gm, low, 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(dma_check_layout(&gm, holed, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(dma_check_layout(&gm, low, 0, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "guest RAM 0x0-0xbfffffff is not usable IOVA space for this IOMMU "
			 "(no usable ranges)");
}
END_TEST

START_TEST(layout_across_touching_ranges)
{
	struct guest_mem gm = layout_8g();
	/* unsorted; the high RAM spans three that touch, the low RAM two that overlap */
	struct iova_range r[] = {
		{ 6 * GiB, 7 * GiB - 1 }, { 7 * GiB, UINT64_MAX }, { 0x80000000, 0xbfffffff },
		{ 4 * GiB, 6 * GiB - 1 }, { 0, 0x9fffffff },
	};

	ck_assert_int_eq(dma_check_layout(&gm, r, 5, err, sizeof(err)), 0);
	/* one byte missing between two of them */
	r[0].start = 6 * GiB + 1;
	ck_assert_int_eq(dma_check_layout(&gm, r, 5, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "guest RAM 0x100000000-"));
}
END_TEST

START_TEST(layout_ram_at_the_top)
{
	/* a region ending at the last IOVA, and ranges ending there too */
	struct guest_mem gm = { .n_ram = 1 };
	struct iova_range r[] = { { 0, UINT64_MAX - 8192 }, { UINT64_MAX - 8191, UINT64_MAX } };

	gm.ram[0].gpa = UINT64_MAX - 65535;
	gm.ram[0].size = 65536;
	ck_assert_int_eq(dma_check_layout(&gm, r, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(dma_check_layout(&gm, r, 1, err, sizeof(err)), -1);
}
END_TEST

/* A backend that records what it is asked and fails the map_fail-th map. */
struct fake {
	struct vfio_backend b;
	int maps, unmaps, map_fail, map_errno;
	uint64_t map_iova[8], map_size[8], unmap_iova[8], unmap_size[8];
	void *map_hva[8];
};

static int fake_map(struct vfio_backend *b, uint64_t iova, uint64_t size, void *hva)
{
	struct fake *f = (struct fake *)b;

	if (f->maps + 1 == f->map_fail)
		return -f->map_errno;
	f->map_iova[f->maps] = iova;
	f->map_size[f->maps] = size;
	f->map_hva[f->maps] = hva;
	f->maps++;
	return 0;
}

static int fake_unmap(struct vfio_backend *b, uint64_t iova, uint64_t size)
{
	struct fake *f = (struct fake *)b;

	f->unmap_iova[f->unmaps] = iova;
	f->unmap_size[f->unmaps] = size;
	f->unmaps++;
	return 0;
}

static const struct vfio_backend_ops fake_ops = {
	.name = "fake", .map = fake_map, .unmap = fake_unmap,
};

/* The two RAM regions of 7 GiB at made-up host addresses (never touched). */
static struct guest_mem two_regions(void)
{
	struct guest_mem gm = { .n_ram = 2, .ram_size = 7 * GiB };

	gm.ram[0] = (struct ram_region){ 0, 3 * GiB, (uint8_t *)0x10000000 };
	gm.ram[1] = (struct ram_region){ 4 * GiB, 4 * GiB, (uint8_t *)0x20000000 };
	return gm;
}

START_TEST(map_every_region)
{
	struct fake f = { .b = { &fake_ops } };
	struct guest_mem gm = two_regions();
	uint64_t ns = ~0ULL;
	int i;

	ck_assert_int_eq(dma_map_guest(&f.b, &gm, &ns, err, sizeof(err)), 0);
	ck_assert_int_eq(f.maps, 2);
	ck_assert_int_eq(f.unmaps, 0);
	for (i = 0; i < 2; i++) {
		ck_assert_uint_eq(f.map_iova[i], gm.ram[i].gpa);
		ck_assert_uint_eq(f.map_size[i], gm.ram[i].size);
		ck_assert_ptr_eq(f.map_hva[i], gm.ram[i].hva);
	}
	ck_assert_uint_lt(ns, 10ULL * 1000000000ULL);

	dma_unmap_guest(&f.b, &gm);
	ck_assert_int_eq(f.unmaps, 2);
	for (i = 0; i < 2; i++) {
		ck_assert_uint_eq(f.unmap_iova[i], gm.ram[i].gpa);
		ck_assert_uint_eq(f.unmap_size[i], gm.ram[i].size);
	}
}
END_TEST

START_TEST(map_failure_unmaps_what_was_mapped)
{
	struct fake f = { .b = { &fake_ops }, .map_fail = 2, .map_errno = EFAULT };
	struct guest_mem gm = two_regions();
	uint64_t ns = 0;

	ck_assert_int_eq(dma_map_guest(&f.b, &gm, &ns, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "VFIO DMA map of guest RAM 0x100000000+0x100000000: Bad address");
	ck_assert_int_eq(f.maps, 1);
	ck_assert_int_eq(f.unmaps, 1);
	ck_assert_uint_eq(f.unmap_iova[0], 0);
	ck_assert_uint_eq(f.unmap_size[0], 3 * GiB);

	/* the first map failing leaves nothing to undo */
	memset(&f, 0, sizeof(f));
	f.b.ops = &fake_ops;
	f.map_fail = 1;
	f.map_errno = EINVAL;
	ck_assert_int_eq(dma_map_guest(&f.b, &gm, &ns, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "VFIO DMA map of guest RAM 0x0+0xc0000000: Invalid argument");
	ck_assert_int_eq(f.unmaps, 0);
}
END_TEST

START_TEST(map_enomem_names_memlock)
{
	struct fake f = { .b = { &fake_ops }, .map_fail = 2, .map_errno = ENOMEM };
	struct guest_mem gm = two_regions();
	struct rlimit saved, rl;
	uint64_t ns = 0;
	char want[400];

	ck_assert_int_eq(getrlimit(RLIMIT_MEMLOCK, &saved), 0);
	rl.rlim_cur = 64 << 10;
	rl.rlim_max = saved.rlim_max;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur)
		rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	ck_assert_int_eq(dma_map_guest(&f.b, &gm, &ns, err, sizeof(err)), -1);
	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &saved), 0);
	ck_assert_int_eq(f.unmaps, 1);
	snprintf(want, sizeof(want), "cannot pin guest RAM for DMA: the memlock limit is %llu KiB, "
		 "passthrough needs 7168 MiB (raise it: ulimit -l %llu, or LimitMEMLOCK= / "
		 "limits.conf, or run as root)", (unsigned long long)(rl.rlim_cur >> 10),
		 (unsigned long long)((7 * GiB >> 10) + 65536));
	ck_assert_str_eq(err, want);
}
END_TEST

Suite *dma_suite(void)
{
	Suite *s = suite_create("dma");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, layout_inside_ranges);
	tcase_add_test(tc, layout_in_a_hole);
	tcase_add_test(tc, layout_across_touching_ranges);
	tcase_add_test(tc, layout_ram_at_the_top);
	tcase_add_test(tc, map_every_region);
	tcase_add_test(tc, map_failure_unmaps_what_was_mapped);
	tcase_add_test(tc, map_enomem_names_memlock);
	suite_add_tcase(s, tc);
	return s;
}
