/* Unit tests of live migration's bandwidth cap (vmm/migrate_throttle.c):
 * the bucket's grants and waits at given times, its burst, a long run on a
 * simulated clock that never goes over the rate, the measured rate, a
 * sleep the socket cuts short, and no cap at all. */
#include <check.h>
#include <errno.h>
#include "../../vmm/migrate_throttle.h"
#include "suites.h"

#define SEC 1000000000ULL
#define MS  1000000ULL
#define MIB (1ULL << 20)

/* The simulated world: a clock that only the sleep moves on. */
static uint64_t now;
static unsigned sleeps;
static int sleep_ret;

static uint64_t fake_clock(void)
{
	return now;
}

static int fake_sleep(int fd, uint64_t ns)
{
	ck_assert_int_eq(fd, 7);
	ck_assert_uint_gt(ns, 0);
	sleeps++;
	if (sleep_ret)
		return sleep_ret;
	now += ns;
	return 0;
}

static void world(uint64_t start)
{
	now = start;
	sleeps = 0;
	sleep_ret = 0;
}

START_TEST(grant_waits_for_its_cost)
{
	struct migrate_throttle t;
	uint64_t wait;

	world(5 * SEC);
	migrate_throttle_init_with(&t, 100000000, 7, fake_clock, fake_sleep);
	/* it starts empty: 64 KiB at 100 MB/s costs 655360 ns */
	ck_assert_uint_eq(migrate_throttle_grant(&t, now, 65536, &wait), 0);
	ck_assert_uint_eq(wait, 655360);
	ck_assert_uint_eq(migrate_throttle_grant(&t, now + 655359, 65536, &wait), 0);
	ck_assert_uint_eq(wait, 1);
	ck_assert_uint_eq(migrate_throttle_grant(&t, now + 655360, 65536, &wait), 65536);
	ck_assert_uint_eq(wait, 0);
	/* paid until then: the next 64 KiB waits its own cost again */
	ck_assert_uint_eq(migrate_throttle_grant(&t, now + 655360, 65536, &wait), 0);
	ck_assert_uint_eq(wait, 655360);
}
END_TEST

START_TEST(grant_keeps_one_burst)
{
	struct migrate_throttle t;
	uint64_t wait;

	world(SEC);
	migrate_throttle_init_with(&t, 1000000, 7, fake_clock, fake_sleep);
	/* ten idle seconds buy 50 ms worth, 50000 bytes, no more */
	now += 10 * SEC;
	ck_assert_uint_eq(migrate_throttle_grant(&t, now, MIB, &wait), 50000);
	ck_assert_uint_eq(migrate_throttle_grant(&t, now, MIB, &wait), 0);
	ck_assert_uint_eq(wait, 50 * MS);
	/* a small write waits for its own bytes only */
	ck_assert_uint_eq(migrate_throttle_grant(&t, now, 1000, &wait), 0);
	ck_assert_uint_eq(wait, MS);
	ck_assert_uint_eq(migrate_throttle_grant(&t, now + MS, 1000, &wait), 1000);
}
END_TEST

START_TEST(grant_tiny_rate)
{
	struct migrate_throttle t;
	uint64_t wait;

	world(0);
	migrate_throttle_init_with(&t, 3, 7, fake_clock, fake_sleep);
	/* 50 ms of 3 bytes/s is no byte: one at a time, each a third of a second */
	ck_assert_uint_eq(migrate_throttle_grant(&t, now, 100, &wait), 0);
	ck_assert_uint_eq(wait, 333333334);
	ck_assert_uint_eq(migrate_throttle_grant(&t, now + wait, 100, &wait), 1);
}
END_TEST

/* 20 MB in writes of 1 MiB and 64 KiB at 4 MB/s: at no time more than the
 * rate times the time so far (it starts empty), and done in 5 s. */
START_TEST(pace_long_run_never_over)
{
	const uint64_t rate = 4000000, total = 20000000, start = 3 * SEC;
	struct migrate_throttle t;
	uint64_t sent = 0;
	ssize_t n;
	size_t len;
	unsigned i = 0;

	world(start);
	migrate_throttle_init_with(&t, rate, 7, fake_clock, fake_sleep);
	while (sent < total) {
		len = i++ % 2 ? MIB : 65536;
		if (len > total - sent)
			len = total - sent;
		while (len) {
			n = migrate_throttle_pace(&t, len);
			ck_assert_int_gt(n, 0);
			ck_assert_uint_le((size_t)n, len);
			sent += (uint64_t)n;
			len -= (size_t)n;
			ck_assert_uint_le(sent * SEC, rate * (now - start));
		}
	}
	ck_assert_uint_ge(now - start, 5 * SEC);
	ck_assert_uint_le(now - start, 5 * SEC + MS);
	ck_assert_uint_eq(migrate_throttle_bytes(&t), total);
	/* the last whole window measured the rate, within 1% */
	ck_assert_uint_ge(migrate_throttle_rate(&t), rate / 100 * 99);
	ck_assert_uint_le(migrate_throttle_rate(&t), rate / 100 * 101);
}
END_TEST

/* max-bandwidth raised, then lowered, then lifted while bytes go: each
 * stretch keeps to its own rate (within one burst) from the next grant. */
START_TEST(pace_rate_changed_midway)
{
	const uint64_t start = 2 * SEC;
	struct migrate_throttle t;
	uint64_t t0, sent;
	ssize_t n;
	unsigned k;
	static const uint64_t rates[] = { 1000000, 8000000, 500000 };

	world(start);
	migrate_throttle_init_with(&t, rates[0], 7, fake_clock, fake_sleep);
	for (k = 0; k < 3; k++) {
		if (k)
			migrate_throttle_set_rate(&t, rates[k]);
		t0 = now;
		for (sent = 0; sent < rates[k] * 2; sent += (uint64_t)n) {
			n = migrate_throttle_pace(&t, 65536);
			ck_assert_int_gt(n, 0);
		}
		/* 2 s of bytes at this rate took 2 s, less at most one burst */
		ck_assert_uint_ge(now - t0, 2 * SEC - THROTTLE_BURST_NS - 100 * MS);
		ck_assert_uint_le(now - t0, 2 * SEC + 100 * MS);
	}
	migrate_throttle_set_rate(&t, 0);
	k = sleeps;
	for (sent = 0; sent < 100 * MIB; sent += MIB)
		ck_assert_int_eq(migrate_throttle_pace(&t, MIB), (ssize_t)MIB);
	ck_assert_uint_eq(sleeps, k);
}
END_TEST

START_TEST(pace_cut_short)
{
	struct migrate_throttle t;

	world(SEC);
	migrate_throttle_init_with(&t, 1000, 7, fake_clock, fake_sleep);
	sleep_ret = -ECONNRESET;
	ck_assert_int_eq(migrate_throttle_pace(&t, 4096), -ECONNRESET);
	ck_assert_uint_eq(sleeps, 1);
	ck_assert_uint_eq(migrate_throttle_bytes(&t), 0);
}
END_TEST

START_TEST(pace_no_cap)
{
	struct migrate_throttle t;
	unsigned i;

	world(SEC);
	migrate_throttle_init_with(&t, 0, 7, fake_clock, fake_sleep);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(migrate_throttle_pace(&t, MIB), (ssize_t)MIB);
	ck_assert_uint_eq(sleeps, 0);
	/* no time passed: no window ended, nothing measured yet */
	ck_assert_uint_eq(migrate_throttle_rate(&t), 0);
	now += SEC;
	ck_assert_int_eq(migrate_throttle_pace(&t, 1), 1);
	ck_assert_uint_eq(migrate_throttle_rate(&t), 1000 * MIB + 1);
}
END_TEST

Suite *migrate_throttle_suite(void)
{
	Suite *s = suite_create("migrate_throttle");
	TCase *tc = tcase_create("throttle");

	tcase_add_test(tc, grant_waits_for_its_cost);
	tcase_add_test(tc, grant_keeps_one_burst);
	tcase_add_test(tc, grant_tiny_rate);
	tcase_add_test(tc, pace_long_run_never_over);
	tcase_add_test(tc, pace_rate_changed_midway);
	tcase_add_test(tc, pace_cut_short);
	tcase_add_test(tc, pace_no_cap);
	suite_add_tcase(s, tc);
	return s;
}
