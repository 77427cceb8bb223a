/* Unit tests of live migration's round planner (vmm/migrate_rounds.c): a
 * table of simulated migrations (a guest of some size dirtying memory at
 * some rate over a link of some bandwidth, with devices holding data) run
 * round by round until the planner switches over, with the rounds and the
 * decision each should take; then the decision's lines for the log word
 * for word, and query-migrate's figures. */
#include <check.h>
#include <string.h>
#include "../../vmm/migrate_rounds.h"
#include "suites.h"

#define KIB (1ULL << 10)
#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define SEC 1000000000ULL
#define MS  1000000ULL

/* A simulated migration: the first round sends all of RAM, each next one
 * what was dirtied during the one before; the guest dirties dirty_rate
 * bytes a second of a working set; a device has stop-copy data and
 * precopy initial bytes, of which each round sends initial_per_round. */
struct scenario {
	const char *name;
	uint64_t ram, link, dirty_rate, working_set;
	uint64_t data_size, initial, initial_per_round;
	struct migrate_limits limits;
	/* expected */
	enum migrate_next decision;
	unsigned rounds;                /* live rounds until the decision */
	const char *why;                /* a part of the decision's line */
};

#define DEFAULT_LIMITS { MIGRATE_DOWNTIME_LIMIT_MS, MIGRATE_MAX_ROUNDS, 0 }

static const struct scenario scenarios[] = {
	{ "idle guest: the first round, then the final one",
	  GIB, GIB, MIB, GIB, 0, 0, 0, DEFAULT_LIMITS,
	  MIGRATE_SWITCHOVER, 1, "switching over after round 1: 1 MiB left takes about 1 ms" },
	{ "a writer the link outruns: converges in two rounds",
	  GIB, GIB, 400 * MIB, GIB, 0, 0, 0, DEFAULT_LIMITS,
	  MIGRATE_SWITCHOVER, 2, "156.2 MiB left takes about 153 ms at 1 GiB/s" },
	{ "a small working set rewritten fast: stays over the limit, round limit",
	  GIB, GIB, 4 * GIB, 512 * MIB, 0, 0, 0, DEFAULT_LIMITS,
	  MIGRATE_SWITCHOVER_FORCED, MIGRATE_MAX_ROUNDS,
	  "after round 30, the round limit: 512 MiB left takes about 500 ms" },
	{ "a writer faster than the link: the round limit",
	  GIB, 100 * MIB, 200 * MIB, GIB, 0, 0, 0, DEFAULT_LIMITS,
	  MIGRATE_SWITCHOVER_FORCED, MIGRATE_MAX_ROUNDS,
	  "over the 300 ms downtime limit" },
	{ "the same writer, a round limit of 5",
	  GIB, 100 * MIB, 200 * MIB, GIB, 0, 0, 0, { MIGRATE_DOWNTIME_LIMIT_MS, 5, 0 },
	  MIGRATE_SWITCHOVER_FORCED, 5, "switching over anyway after round 5, the round limit: " },
	{ "the same writer with a generous downtime limit",
	  GIB, 100 * MIB, 200 * MIB, GIB, 0, 0, 0, { 20000, 5, 0 },
	  MIGRATE_SWITCHOVER, 1, "1 GiB left takes about 10240 ms at 100 MiB/s, within the 20000 ms" },
	{ "a device with initial bytes left: no switchover until they are sent",
	  GIB, GIB, MIB, GIB, 64 * KIB, 3 * MIB, MIB, DEFAULT_LIMITS,
	  MIGRATE_SWITCHOVER, 3, "after round 3: 64 KiB left (RAM 0 bytes, device data 64 KiB)" },
	{ "a device whose initial bytes never drain: the round limit names it",
	  GIB, GIB, MIB, GIB, 64 * KIB, 3 * MIB, 0, { MIGRATE_DOWNTIME_LIMIT_MS, 4, 0 },
	  MIGRATE_SWITCHOVER_FORCED, 4,
	  "0000:01:00.0 still has 3 MiB of precopy initial data to send" },
	{ "a device's stop-copy data alone is over the limit",
	  GIB, GIB, 0, GIB, 512 * MIB, 0, 0, { MIGRATE_DOWNTIME_LIMIT_MS, 3, 0 },
	  MIGRATE_SWITCHOVER_FORCED, 3,
	  "512 MiB left (RAM 0 bytes, device data 512 MiB) takes about 500 ms" },
	{ "... and within a larger limit",
	  GIB, GIB, 0, GIB, 512 * MIB, 0, 0, { 600, 3, 0 },
	  MIGRATE_SWITCHOVER, 1, "within the 600 ms downtime limit" },
	{ "a downtime limit of 0: only nothing left fits",
	  GIB, GIB, GIB, 8 * MIB, 0, 0, 0, { 0, 3, 0 },
	  MIGRATE_SWITCHOVER_FORCED, 3, "over the 0 ms downtime limit" },
	{ "a guest that wrote nothing with a limit of 0",
	  GIB, GIB, 0, GIB, 0, 0, 0, { 0, 3, 0 },
	  MIGRATE_SWITCHOVER, 1, "switching over after round 1: 0 bytes left, within the 0 ms" },
	{ "a round limit of 0 is 1: the first round is all of RAM",
	  GIB, 100 * MIB, 200 * MIB, GIB, 0, 0, 0, { MIGRATE_DOWNTIME_LIMIT_MS, 0, 0 },
	  MIGRATE_SWITCHOVER_FORCED, 1, "after round 1, the round limit: 1 GiB left" },
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Runs s; returns the last decision, with the rounds and the line. */
static enum migrate_next simulate(const struct scenario *s, struct migrate_rounds *r,
				  unsigned *rounds, char *why, size_t len)
{
	struct migrate_device_left dev = { "0000:01:00.0", s->data_size, s->initial };
	uint64_t to_send = s->ram, now = 0, link;
	enum migrate_next next;

	migrate_rounds_start(r, &s->limits, s->ram, now);
	migrate_rounds_setup_done(r, now += 5 * MS);
	link = s->limits.max_bandwidth ? min_u64(s->link, s->limits.max_bandwidth) : s->link;
	*rounds = 0;
	do {
		uint64_t dev_sent = min_u64(dev.initial_bytes, s->initial_per_round);
		uint64_t sent = to_send + dev_sent;
		uint64_t ns = sent * SEC / link;
		struct migrate_round round = {
			.sent_bytes = sent, .device_bytes = dev_sent, .ns = ns,
			.dev = &dev, .n_dev = s->data_size || s->initial ? 1 : 0,
		};

		dev.initial_bytes -= dev_sent;
		round.dirty_bytes = min_u64(s->dirty_rate * ns / SEC, s->working_set);
		round.dirty_bytes &= ~(MIGRATE_PAGE_SIZE - 1);
		now += ns;
		next = migrate_rounds_next(r, &round, why, len);
		to_send = round.dirty_bytes;
		(*rounds)++;
		ck_assert_uint_le(*rounds, 1000);
	} while (next == MIGRATE_NEXT_ROUND);
	return next;
}

START_TEST(scenario_table)
{
	const struct scenario *s = &scenarios[_i];
	struct migrate_rounds r;
	unsigned rounds;
	char why[512];
	enum migrate_next next = simulate(s, &r, &rounds, why, sizeof(why));

	ck_assert_msg(next == s->decision, "%s: decision %d, want %d (%s)", s->name, next,
		      s->decision, why);
	ck_assert_msg(rounds == s->rounds, "%s: %u rounds, want %u (%s)", s->name, rounds,
		      s->rounds, why);
	ck_assert_msg(strstr(why, s->why), "%s: '%s' lacks '%s'", s->name, why, s->why);
	ck_assert_uint_eq(r.fig.dirty_sync_count, rounds);
	ck_assert(!strchr(why, '\n'));
}
END_TEST

/* The idle guest's whole migration: one live round, then the final one
 * (dirty-sync-count 2), with every figure. */
START_TEST(idle_guest_figures)
{
	struct migrate_limits l;
	struct migrate_rounds r;
	struct migrate_figures f;
	struct migrate_round round = { .sent_bytes = GIB, .ns = SEC, .dirty_bytes = 2 * MIB };
	char why[256];

	migrate_limits_default(&l);
	ck_assert_uint_eq(l.downtime_limit_ms, 300);
	migrate_rounds_start(&r, &l, GIB, 10 * SEC);
	migrate_rounds_figures(&r, 10 * SEC + 3 * MS, &f);
	ck_assert_uint_eq(f.total, GIB);
	ck_assert_uint_eq(f.remaining, GIB);
	ck_assert_uint_eq(f.total_time, 3);
	ck_assert_uint_eq(f.dirty_sync_count, 0);
	migrate_rounds_setup_done(&r, 10 * SEC + 7 * MS);

	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, sizeof(why)), MIGRATE_SWITCHOVER);
	ck_assert_str_eq(why, "switching over after round 1: 2 MiB left takes about 2 ms at "
			 "1 GiB/s, within the 300 ms downtime limit");
	migrate_rounds_figures(&r, 11 * SEC + 7 * MS, &f);
	ck_assert_uint_eq(f.setup_time, 7);
	ck_assert_uint_eq(f.transferred, GIB);
	ck_assert_uint_eq(f.remaining, 2 * MIB);
	ck_assert_uint_eq(f.expected_downtime, 2);
	ck_assert_uint_eq(f.mbps, 8589);                /* 1 GiB/s in megabits */
	ck_assert_uint_eq(f.dirty_pages_rate, 512);     /* 2 MiB in a second */
	ck_assert_uint_eq(f.dirty_sync_count, 1);
	ck_assert_uint_eq(f.total_time, 1007);
	ck_assert_uint_eq(f.downtime, 0);

	migrate_rounds_switchover(&r, 11 * SEC + 10 * MS);
	migrate_rounds_complete(&r, 2 * MIB + 4 * KIB, 4 * KIB, 11 * SEC + 14 * MS);
	migrate_rounds_figures(&r, 99 * SEC, &f);       /* total-time stopped at the end */
	ck_assert_uint_eq(f.dirty_sync_count, 2);
	ck_assert_uint_eq(f.downtime, 4);
	ck_assert_uint_eq(f.total_time, 1014);
	ck_assert_uint_eq(f.transferred, GIB + 2 * MIB + 4 * KIB);
	ck_assert_uint_eq(f.device_transferred, 4 * KIB);
	ck_assert_uint_eq(f.remaining, 0);
}
END_TEST

/* Another round, the device named, the devices' data in remaining. */
START_TEST(another_round_lines)
{
	struct migrate_limits l = { 300, 30, 0 };
	struct migrate_device_left dev[2] = {
		{ "0000:01:00.0", 100 * KIB, 0 },
		{ "0000:02:00.0", 28 * KIB, 1536 * KIB },
	};
	struct migrate_round round = { .sent_bytes = GIB, .device_bytes = 512 * KIB, .ns = SEC,
				       .dirty_bytes = 600 * MIB };
	struct migrate_rounds r;
	char why[256];

	migrate_rounds_start(&r, &l, GIB, 0);
	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, sizeof(why)), MIGRATE_NEXT_ROUND);
	ck_assert_str_eq(why, "another round after round 1: 600 MiB left takes about 586 ms at "
			 "1 GiB/s, over the 300 ms downtime limit");
	round.dirty_bytes = MIB;
	round.dev = dev;
	round.n_dev = 2;
	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, sizeof(why)), MIGRATE_NEXT_ROUND);
	ck_assert_str_eq(why, "another round after round 2: 0000:02:00.0 still has 1.5 MiB of "
			 "precopy initial data to send (1.1 MiB left (RAM 1 MiB, device data "
			 "128 KiB) takes about 2 ms at 1 GiB/s)");
	ck_assert_uint_eq(r.fig.remaining, MIB + 128 * KIB + 1536 * KIB);
	ck_assert_uint_eq(r.fig.device_transferred, MIB);
	dev[1].initial_bytes = 0;
	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, sizeof(why)), MIGRATE_SWITCHOVER);
	ck_assert_str_eq(why, "switching over after round 3: 1.1 MiB left (RAM 1 MiB, device "
			 "data 128 KiB) takes about 2 ms at 1 GiB/s, within the 300 ms downtime "
			 "limit");
}
END_TEST

/* The round the cap tests share: 1 GiB sent in a second, 10 MiB dirtied,
 * under l (a 10 MiB/s cap and a 300 ms limit): another round is due. */
static const struct migrate_round capped_round = {
	.sent_bytes = GIB, .ns = SEC, .dirty_bytes = 10 * MIB
};

static void capped_first_round(struct migrate_rounds *r, const struct migrate_limits *l,
			       char *why, size_t len)
{
	migrate_rounds_start(r, l, GIB, 0);
	ck_assert_int_eq(migrate_rounds_next(r, &capped_round, why, len), MIGRATE_NEXT_ROUND);
}

/* max-bandwidth caps what the estimate assumes. */
START_TEST(bandwidth_cap)
{
	struct migrate_limits l = { 300, 30, 10 * MIB };
	struct migrate_rounds r;
	char why[256];

	capped_first_round(&r, &l, why, sizeof(why));
	ck_assert_str_eq(why, "another round after round 1: 10 MiB left takes about 1000 ms at "
			 "10 MiB/s, over the 300 ms downtime limit");
	ck_assert_uint_eq(r.fig.mbps, 83);
	l.max_bandwidth = 0;
	migrate_rounds_start(&r, &l, GIB, 0);
	ck_assert_int_eq(migrate_rounds_next(&r, &capped_round, why, sizeof(why)), MIGRATE_SWITCHOVER);
	ck_assert_uint_eq(r.fig.expected_downtime, 10);
}
END_TEST

/* migrate-set-parameters during the migration: the next decision takes
 * the new downtime limit and cap; rounds already counted stay. */
START_TEST(limits_changed_midway)
{
	struct migrate_limits l = { 300, 30, 10 * MIB };
	struct migrate_rounds r;
	char why[256];

	capped_first_round(&r, &l, why, sizeof(why));
	l.downtime_limit_ms = 2000;
	migrate_rounds_set_limits(&r, &l);
	ck_assert_int_eq(migrate_rounds_next(&r, &capped_round, why, sizeof(why)), MIGRATE_SWITCHOVER);
	ck_assert_str_eq(why, "switching over after round 2: 10 MiB left takes about 1000 ms at "
			 "10 MiB/s, within the 2000 ms downtime limit");

	l.downtime_limit_ms = 300;
	capped_first_round(&r, &l, why, sizeof(why));
	l.max_bandwidth = 0;            /* the cap lifted: 1 GiB/s as measured */
	l.max_rounds = 0;               /* taken as 1 */
	migrate_rounds_set_limits(&r, &l);
	ck_assert_uint_eq(r.limits.max_rounds, 1);
	ck_assert_int_eq(migrate_rounds_next(&r, &capped_round, why, sizeof(why)), MIGRATE_SWITCHOVER);
	ck_assert_uint_eq(r.fig.expected_downtime, 10);
}
END_TEST

/* A round that measures nothing keeps the last bandwidth; before any,
 * nothing left to send still fits and anything else does not. */
START_TEST(bandwidth_unmeasured)
{
	struct migrate_limits l = { 300, 30, 0 };
	struct migrate_round round = { .sent_bytes = 4 * MIB, .ns = 0, .dirty_bytes = 4 * KIB };
	struct migrate_rounds r;
	char why[256];

	migrate_rounds_start(&r, &l, GIB, 0);
	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, sizeof(why)), MIGRATE_NEXT_ROUND);
	ck_assert_str_eq(why, "another round after round 1: 4 KiB left and no bandwidth measured "
			 "yet, over the 300 ms downtime limit");
	ck_assert_uint_eq(r.fig.expected_downtime, UINT64_MAX);
	ck_assert_uint_eq(r.fig.dirty_pages_rate, 0);
	round.ns = 4 * MS;                              /* 1000 MiB/s */
	round.dirty_bytes = 500 * MIB;
	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, sizeof(why)), MIGRATE_NEXT_ROUND);
	ck_assert_uint_eq(r.fig.expected_downtime, 500);
	round.sent_bytes = 0;                           /* measures nothing: 1000 MiB/s still */
	round.dirty_bytes = 200 * MIB;
	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, sizeof(why)), MIGRATE_SWITCHOVER);
	ck_assert_uint_eq(r.fig.expected_downtime, 200);

	migrate_rounds_start(&r, &l, GIB, 0);
	round = (struct migrate_round){ .sent_bytes = GIB };
	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, sizeof(why)), MIGRATE_SWITCHOVER);
	ck_assert_str_eq(why, "switching over after round 1: 0 bytes left, within the 300 ms "
			 "downtime limit");
}
END_TEST

/* Sizes at the edges: what rounds up, saturation instead of wrapping. */
START_TEST(estimate_edges)
{
	struct migrate_limits l = { 1, 30, 0 };
	struct migrate_device_left dev = { NULL, UINT64_MAX, 0 };
	struct migrate_round round = { .sent_bytes = 1000, .ns = SEC, .dirty_bytes = 1 };
	struct migrate_rounds r;
	char why[256];

	migrate_rounds_start(&r, &l, GIB, 0);
	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, sizeof(why)), MIGRATE_SWITCHOVER);
	ck_assert_uint_eq(r.fig.expected_downtime, 1);  /* 1 byte at 1000 B/s: 1 ms */
	round.dirty_bytes = 2;
	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, sizeof(why)), MIGRATE_NEXT_ROUND);
	ck_assert_uint_eq(r.fig.expected_downtime, 2);
	round.dev = &dev;
	round.n_dev = 1;
	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, sizeof(why)), MIGRATE_NEXT_ROUND);
	ck_assert_uint_eq(r.fig.remaining, UINT64_MAX);
	ck_assert_uint_eq(r.fig.expected_downtime, UINT64_MAX);
	dev = (struct migrate_device_left){ NULL, 0, 10 };
	round.dirty_bytes = 0;
	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, sizeof(why)), MIGRATE_NEXT_ROUND);
	ck_assert_str_eq(why, "another round after round 4: a device still has 10 bytes of "
			 "precopy initial data to send (0 bytes left (RAM 0 bytes, device data "
			 "0 bytes))");
	/* a short buffer: cut, still terminated */
	ck_assert_int_eq(migrate_rounds_next(&r, &round, why, 12), MIGRATE_NEXT_ROUND);
	ck_assert_str_eq(why, "another rou");
}
END_TEST

Suite *migrate_rounds_suite(void)
{
	Suite *s = suite_create("migrate_rounds");
	TCase *tc = tcase_create("migrate_rounds");

	tcase_add_loop_test(tc, scenario_table, 0, sizeof(scenarios) / sizeof(scenarios[0]));
	tcase_add_test(tc, idle_guest_figures);
	tcase_add_test(tc, another_round_lines);
	tcase_add_test(tc, bandwidth_cap);
	tcase_add_test(tc, limits_changed_midway);
	tcase_add_test(tc, bandwidth_unmeasured);
	tcase_add_test(tc, estimate_edges);
	suite_add_tcase(s, tc);
	return s;
}
