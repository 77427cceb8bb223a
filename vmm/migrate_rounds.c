/* Live migration's round planner (see migrate_rounds.h): the bandwidth a
 * round measured, the downtime what remains would take, the decision and
 * its line for the log, and query-migrate's figures. Groundwork for issue
 * 15's live migration; nothing uses it yet. */
#include <stdio.h>
#include <string.h>
#include "migrate_rounds.h"

#define NS_PER_SEC 1000000000ULL
#define NS_PER_MS  1000000ULL

/* a * b / c without overflow in between, saturated; c not 0. */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	unsigned __int128 x = (unsigned __int128)a * b / c;

	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

/* a * b / c rounded up, saturated; c not 0. */
static uint64_t muldiv_up(uint64_t a, uint64_t b, uint64_t c)
{
	unsigned __int128 x = ((unsigned __int128)a * b + c - 1) / c;

	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* "512 bytes", "4 KiB", "1.5 MiB": a size for the log, in tenths. */
static void format_size(uint64_t v, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	uint64_t scale = 1024;
	unsigned u = 0, tenths;

	if (v < 1024) {
		snprintf(buf, len, "%llu bytes", (unsigned long long)v);
		return;
	}
	while (u + 1 < sizeof(unit) / sizeof(unit[0]) && v / scale >= 1024) {
		scale *= 1024;
		u++;
	}
	tenths = (unsigned)(v % scale * 10 / scale);
	if (tenths)
		snprintf(buf, len, "%llu.%u %s", (unsigned long long)(v / scale), tenths, unit[u]);
	else
		snprintf(buf, len, "%llu %s", (unsigned long long)(v / scale), unit[u]);
}

void migrate_limits_default(struct migrate_limits *l)
{
	l->downtime_limit_ms = MIGRATE_DOWNTIME_LIMIT_MS;
	l->max_rounds = MIGRATE_MAX_ROUNDS;
	l->max_bandwidth = 0;
}

void migrate_rounds_set_limits(struct migrate_rounds *r, const struct migrate_limits *l)
{
	r->limits = *l;
	if (!r->limits.max_rounds)
		r->limits.max_rounds = 1;
}

void migrate_rounds_start(struct migrate_rounds *r, const struct migrate_limits *l,
			  uint64_t ram_total, uint64_t now_ns)
{
	memset(r, 0, sizeof(*r));
	migrate_rounds_set_limits(r, l);
	r->fig.total = ram_total;
	r->fig.remaining = ram_total;
	r->start_ns = now_ns;
}

void migrate_rounds_setup_done(struct migrate_rounds *r, uint64_t now_ns)
{
	r->setup_ns = now_ns;
	r->fig.setup_time = (now_ns - r->start_ns) / NS_PER_MS;
}

/* The bandwidth to plan with: what this round measured, else the last
 * one's (a round that sent nothing, or took no time, measures nothing),
 * never above the cap. */
static void measure(struct migrate_rounds *r, const struct migrate_round *round)
{
	uint64_t cap = r->limits.max_bandwidth;

	if (round->sent_bytes && round->ns)
		r->bandwidth = muldiv(round->sent_bytes, NS_PER_SEC, round->ns);
	if (cap && (!r->bandwidth || r->bandwidth > cap))
		r->bandwidth = cap;
}

/* The first device with precopy initial bytes left, or NULL. */
static const struct migrate_device_left *initial_left(const struct migrate_round *round)
{
	unsigned i;

	for (i = 0; i < round->n_dev; i++)
		if (round->dev[i].initial_bytes)
			return &round->dev[i];
	return NULL;
}

static uint64_t device_data(const struct migrate_round *round)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < round->n_dev; i++)
		n = add_sat(n, round->dev[i].data_size);
	return n;
}

static uint64_t initial_bytes(const struct migrate_round *round)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < round->n_dev; i++)
		n = add_sat(n, round->dev[i].initial_bytes);
	return n;
}

/* The downtime of sending stop bytes: 0 for nothing, UINT64_MAX when no
 * bandwidth is known yet. */
static uint64_t downtime_ms(const struct migrate_rounds *r, uint64_t stop)
{
	if (!stop)
		return 0;
	if (!r->bandwidth)
		return UINT64_MAX;
	return muldiv_up(stop, 1000, r->bandwidth);
}

static void update_figures(struct migrate_rounds *r, const struct migrate_round *round,
			   uint64_t stop)
{
	struct migrate_figures *f = &r->fig;

	f->transferred = add_sat(f->transferred, round->sent_bytes);
	f->device_transferred = add_sat(f->device_transferred, round->device_bytes);
	f->remaining = add_sat(stop, initial_bytes(round));
	f->dirty_sync_count++;
	f->dirty_pages_rate = round->ns ? muldiv(round->dirty_bytes / MIGRATE_PAGE_SIZE,
						 NS_PER_SEC, round->ns) : 0;
	f->mbps = muldiv(r->bandwidth, 8, 1000000);
	f->expected_downtime = downtime_ms(r, stop);
}

/* "1.5 MiB left (RAM 1 MiB, device data 512 KiB) takes about 2 ms at
 * 940 MiB/s" */
static void describe_left(const struct migrate_rounds *r, const struct migrate_round *round,
			  uint64_t stop, char *buf, size_t len)
{
	char all[32], ram[32], dev[32], bw[32];
	int n;

	format_size(stop, all, sizeof(all));
	format_size(round->dirty_bytes, ram, sizeof(ram));
	format_size(device_data(round), dev, sizeof(dev));
	n = round->n_dev ? snprintf(buf, len, "%s left (RAM %s, device data %s)", all, ram, dev) :
			   snprintf(buf, len, "%s left", all);
	if (n < 0 || (size_t)n >= len)
		return;
	if (!stop)
		return;
	if (!r->bandwidth) {
		snprintf(buf + n, len - n, " and no bandwidth measured yet");
		return;
	}
	format_size(r->bandwidth, bw, sizeof(bw));
	snprintf(buf + n, len - n, " takes about %llu ms at %s/s",
		 (unsigned long long)r->fig.expected_downtime, bw);
}

/* Why what remains does not allow a switchover yet, into buf. */
static void held_back(const struct migrate_rounds *r, const struct migrate_round *round,
		      uint64_t stop, char *buf, size_t len)
{
	const struct migrate_device_left *d = initial_left(round);
	char left[160], init[32];

	describe_left(r, round, stop, left, sizeof(left));
	if (r->fig.expected_downtime > r->limits.downtime_limit_ms) {
		snprintf(buf, len, "%s, over the %llu ms downtime limit", left,
			 (unsigned long long)r->limits.downtime_limit_ms);
		return;
	}
	format_size(d->initial_bytes, init, sizeof(init));
	snprintf(buf, len, "%s still has %s of precopy initial data to send (%s)",
		 d->name ? d->name : "a device", init, left);
}

enum migrate_next migrate_rounds_next(struct migrate_rounds *r, const struct migrate_round *round,
				      char *why, size_t whylen)
{
	uint64_t stop = add_sat(round->dirty_bytes, device_data(round));
	unsigned n;
	char buf[320];

	measure(r, round);
	update_figures(r, round, stop);
	n = (unsigned)r->fig.dirty_sync_count;
	if (r->fig.expected_downtime <= r->limits.downtime_limit_ms && !initial_left(round)) {
		describe_left(r, round, stop, buf, sizeof(buf));
		snprintf(why, whylen, "switching over after round %u: %s, within the %llu ms "
			 "downtime limit", n, buf, (unsigned long long)r->limits.downtime_limit_ms);
		return MIGRATE_SWITCHOVER;
	}
	held_back(r, round, stop, buf, sizeof(buf));
	if (n >= r->limits.max_rounds) {
		snprintf(why, whylen, "switching over anyway after round %u, the round limit: %s",
			 n, buf);
		return MIGRATE_SWITCHOVER_FORCED;
	}
	snprintf(why, whylen, "another round after round %u: %s", n, buf);
	return MIGRATE_NEXT_ROUND;
}

void migrate_rounds_switchover(struct migrate_rounds *r, uint64_t now_ns)
{
	r->switchover_ns = now_ns;
}

void migrate_rounds_complete(struct migrate_rounds *r, uint64_t bytes, uint64_t device_bytes,
			     uint64_t now_ns)
{
	struct migrate_figures *f = &r->fig;

	r->end_ns = now_ns;
	f->transferred = add_sat(f->transferred, bytes);
	f->device_transferred = add_sat(f->device_transferred, device_bytes);
	f->remaining = 0;
	f->dirty_sync_count++;
	f->downtime = r->switchover_ns ? (now_ns - r->switchover_ns) / NS_PER_MS : 0;
	f->total_time = (now_ns - r->start_ns) / NS_PER_MS;
}

void migrate_rounds_figures(const struct migrate_rounds *r, uint64_t now_ns,
			    struct migrate_figures *out)
{
	*out = r->fig;
	if (!r->end_ns)
		out->total_time = (now_ns - r->start_ns) / NS_PER_MS;
}
