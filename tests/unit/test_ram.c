/* Tests of guest RAM backing and prefault (vmm/ram.c): the hugetlbfs pool
 * check against a fake sysfs, anonymous backing, and that prefault leaves
 * every page resident. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "suites.h"
#include "../../vmm/clock.h"
#include "../../vmm/ram.h"

static char root[256];

static void put_count(const char *pool, const char *file, unsigned long long v)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/kernel/mm/hugepages/%s/%s", root, pool, file);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%llu\n", v);
	fclose(f);
}

static void make_pool(const char *pool, unsigned long long nr, unsigned long long free_pages,
		      unsigned long long resv)
{
	char path[512];

	snprintf(path, sizeof(path), "mkdir -p %s/kernel/mm/hugepages/%s", root, pool);
	ck_assert_int_eq(system(path), 0);
	put_count(pool, "nr_hugepages", nr);
	put_count(pool, "free_hugepages", free_pages);
	put_count(pool, "resv_hugepages", resv);
}

static void sysfs_up(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/conduit-ram-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void sysfs_down(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(hugepages_check)
{
	char err[512];
	const char *dir2m = "hugepages-2048kB";

	make_pool(dir2m, 200, 150, 10);
	/* 256 MiB = 128 pages; 150 free, 10 of them reserved: 140 available. */
	ck_assert_int_eq(ram_hugepages_check(root, 2ULL << 20, 256ULL << 20, err, sizeof(err)), 0);
	ck_assert_int_eq(ram_hugepages_check(root, 2ULL << 20, 280ULL << 20, err, sizeof(err)), 0);
	/* 282 MiB = 141 pages: one short. The fix asks for 201 in all. */
	ck_assert_int_eq(ram_hugepages_check(root, 2ULL << 20, 282ULL << 20, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "282 MiB of guest RAM needs 141 pages of 2M, the host has 140 free"),
		      "%s", err);
	ck_assert_msg(strstr(err, "'echo 201 > "), "%s", err);
	ck_assert_msg(strstr(err, "hugepages-2048kB/nr_hugepages'"), "%s", err);
	/* Reserved beyond free (a racing reader): nothing available. */
	put_count(dir2m, "resv_hugepages", 400);
	ck_assert_int_eq(ram_hugepages_check(root, 2ULL << 20, 2ULL << 20, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "the host has 0 free"), "%s", err);
	/* Not a multiple of the page size. */
	ck_assert_int_eq(ram_hugepages_check(root, 2ULL << 20, 3ULL << 20, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "--memory 3 MiB is not a multiple of the 2 MiB page size"), "%s", err);
	/* No 1 GiB pool at all. */
	ck_assert_int_eq(ram_hugepages_check(root, 1ULL << 30, 1ULL << 30, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "--hugepages 1G: this host has no 1G pages"), "%s", err);
	/* A pool whose counts cannot be read. */
	make_pool("hugepages-1048576kB", 4, 4, 0);
	ck_assert_int_eq(ram_hugepages_check(root, 1ULL << 30, 2ULL << 30, err, sizeof(err)), 0);
	put_count("hugepages-1048576kB", "free_hugepages", 0);
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages", root);
		ck_assert_int_eq(truncate(path, 0), 0);
	}
	ck_assert_int_eq(ram_hugepages_check(root, 1ULL << 30, 1ULL << 30, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "cannot read the page counts"), "%s", err);
}
END_TEST

static unsigned resident_pages(const uint8_t *p, uint64_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t n = (len + (uint64_t)page - 1) / (uint64_t)page, i;
	unsigned char *vec = calloc(n, 1);
	unsigned count = 0;

	ck_assert_ptr_nonnull(vec);
	ck_assert_int_eq(mincore((void *)p, len, vec), 0);
	for (i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

/* Two regions, none backing: nothing resident after alloc, everything
 * after prefault, whatever the thread count. */
START_TEST(alloc_and_prefault)
{
	struct guest_mem gm;
	char err[256];
	uint64_t ns = 0;
	long page = sysconf(_SC_PAGESIZE);
	unsigned threads;
	int ret;

	for (threads = 1; threads <= 3; threads += 2) {
		memset(&gm, 0, sizeof(gm));
		gm.n_ram = 2;
		gm.ram[0].size = 72ULL << 20;   /* more than one 64 MiB piece */
		gm.ram[1].size = 8ULL << 20;
		gm.ram_size = 80ULL << 20;
		ck_assert_int_eq(ram_alloc(&gm, RAM_NONE, err, sizeof(err)), 0);
		ck_assert_ptr_nonnull(gm.ram[0].hva);
		ck_assert_ptr_nonnull(gm.ram[1].hva);
		ck_assert_uint_eq(resident_pages(gm.ram[1].hva, gm.ram[1].size), 0);
		ret = ram_prefault(&gm, threads, &ns);
		ck_assert_int_ge(ret, 1);
		ck_assert_int_le(ret, (int)threads);
		ck_assert_uint_gt(ns, 0);
		ck_assert_uint_eq(resident_pages(gm.ram[0].hva, gm.ram[0].size),
				  gm.ram[0].size / (uint64_t)page);
		ck_assert_uint_eq(resident_pages(gm.ram[1].hva, gm.ram[1].size),
				  gm.ram[1].size / (uint64_t)page);
		/* Contents are still zero: prefault writes nothing visible. */
		ck_assert_uint_eq(gm.ram[0].hva[12345], 0);
		ram_free(&gm);
		ck_assert_ptr_null(gm.ram[0].hva);
	}
}
END_TEST

/* In the background: the caller joins in at wait and everything is
 * resident; a prefault stopped at once hands out at most one 64 MiB piece
 * per thread, and nothing is left running (a second stop and a wait after
 * the stop do nothing). */
START_TEST(prefault_background_and_stop)
{
	struct guest_mem gm;
	struct ram_prefault pf;
	char err[256];
	uint64_t ns = 0, waited = 0, handed, t0, t1;
	long page = sysconf(_SC_PAGESIZE);
	unsigned started;
	int ret;

	memset(&gm, 0, sizeof(gm));
	gm.n_ram = 1;
	gm.ram[0].size = gm.ram_size = 200ULL << 20;
	ck_assert_int_eq(ram_alloc(&gm, RAM_NONE, err, sizeof(err)), 0);
	t0 = clock_ns();
	started = ram_prefault_start(&pf, &gm, 2);
	ck_assert_uint_eq(started, 2);
	ret = ram_prefault_wait(&pf, &ns, &waited);
	t1 = clock_ns();
	ck_assert_int_ge(ret, 2);
	ck_assert_int_le(ret, 3);
	ck_assert_uint_gt(ns, 0);
	/* Both figures lie inside the test's own window: no timing slack,
	 * so a loaded machine cannot fail it. */
	ck_assert_uint_le(ns, t1 - t0);
	ck_assert_uint_gt(waited, 0);
	ck_assert_uint_le(waited, t1 - t0);
	ck_assert(!pf.running);
	ck_assert_uint_eq(resident_pages(gm.ram[0].hva, gm.ram[0].size),
			  gm.ram[0].size / (uint64_t)page);
	ram_free(&gm);

	memset(&gm, 0, sizeof(gm));
	gm.n_ram = 1;
	gm.ram[0].size = gm.ram_size = 1ULL << 30;
	ck_assert_int_eq(ram_alloc(&gm, RAM_NONE, err, sizeof(err)), 0);
	ram_prefault_start(&pf, &gm, 2);
	handed = ram_prefault_stop(&pf);
	ck_assert(!pf.running);
	ck_assert_uint_le(handed, 2 * (64ULL << 20));
	ck_assert_uint_le(resident_pages(gm.ram[0].hva, gm.ram[0].size) * (uint64_t)page, handed);
	ck_assert_uint_eq(ram_prefault_stop(&pf), 0);
	ck_assert_int_eq(ram_prefault_wait(&pf, &ns, NULL), -EINVAL);
	ram_free(&gm);
}
END_TEST

START_TEST(page_sizes)
{
	ck_assert_uint_eq(ram_page_size(RAM_THP), 0);
	ck_assert_uint_eq(ram_page_size(RAM_NONE), 0);
	ck_assert_uint_eq(ram_page_size(RAM_2M), 2ULL << 20);
	ck_assert_uint_eq(ram_page_size(RAM_1G), 1ULL << 30);
}
END_TEST

Suite *ram_suite(void)
{
	Suite *s = suite_create("ram");
	TCase *tc = tcase_create("hugepages");
	TCase *tp = tcase_create("prefault");

	tcase_add_checked_fixture(tc, sysfs_up, sysfs_down);
	tcase_add_test(tc, hugepages_check);
	tcase_add_test(tc, page_sizes);
	suite_add_tcase(s, tc);
	tcase_add_test(tp, alloc_and_prefault);
	tcase_add_test(tp, prefault_background_and_stop);
	suite_add_tcase(s, tp);
	return s;
}
