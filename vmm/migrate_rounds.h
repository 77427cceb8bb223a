/* Live migration's round planner, pure: after each round of guest RAM sent
 * while the guest runs, whether to send another round of what it dirtied or
 * to switch over (pause the vCPUs, stop the devices and send the rest);
 * and the figures query-migrate reports. No clock, no I/O: the caller
 * passes the times and the byte counts. Groundwork for issue 15's live
 * migration; nothing uses it yet.
 *
 * Switch over when what remains (guest RAM found dirty after the round,
 * and every device's stop-copy data, VFIO_DEVICE_FEATURE_MIG_DATA_SIZE)
 * would go over the link, at the bandwidth measured in the last round that
 * sent something (capped by max-bandwidth), within the downtime limit, and
 * no device has precopy initial bytes left to send
 * (VFIO_MIG_GET_PRECOPY_INFO's initial_bytes: its destination needs them
 * before it can load the rest quickly). At the round limit, switch over
 * anyway: a guest that dirties memory faster than the link carries it
 * would otherwise never finish. */
#ifndef CONDUIT_MIGRATE_ROUNDS_H
#define CONDUIT_MIGRATE_ROUNDS_H

#include <stddef.h>
#include <stdint.h>

#define MIGRATE_DOWNTIME_LIMIT_MS 300   /* QEMU's default downtime-limit */
#define MIGRATE_MAX_ROUNDS 30           /* live rounds before switching over anyway */
#define MIGRATE_PAGE_SIZE 4096ULL       /* dirty-pages-rate counts these */

/* migrate-set-parameters' side of it. */
struct migrate_limits {
	uint64_t downtime_limit_ms;     /* downtime-limit */
	unsigned max_rounds;            /* at least 1: the first round is all of RAM */
	uint64_t max_bandwidth;         /* bytes per second; 0: no cap (max-bandwidth) */
};

/* What a passed-through device still has, as it said after the round. */
struct migrate_device_left {
	const char *name;               /* for the log, e.g. "0000:01:00.0" */
	uint64_t data_size;             /* MIG_DATA_SIZE: its stop-copy data */
	uint64_t initial_bytes;         /* PRECOPY_INFO initial_bytes not yet sent */
};

/* One round while the guest ran. */
struct migrate_round {
	uint64_t sent_bytes;            /* all of it: RAM pages and device data */
	uint64_t device_bytes;          /* of which device data */
	uint64_t ns;                    /* how long sending it took */
	uint64_t dirty_bytes;           /* guest RAM found dirty after it */
	const struct migrate_device_left *dev;
	unsigned n_dev;
};

enum migrate_next {
	MIGRATE_NEXT_ROUND,             /* send what was dirtied, then ask again */
	MIGRATE_SWITCHOVER,             /* what remains fits the downtime limit */
	MIGRATE_SWITCHOVER_FORCED,      /* it does not, but the round limit is reached */
};

/* query-migrate's figures (QEMU's names), without JSON. Sizes in bytes,
 * times in milliseconds. */
struct migrate_figures {
	uint64_t transferred;           /* ram.transferred: every byte sent so far */
	uint64_t device_transferred;    /* of which device data */
	uint64_t remaining;             /* ram.remaining: dirty RAM, device data and
					 * initial bytes left after the last round */
	uint64_t total;                 /* ram.total: guest RAM */
	uint64_t dirty_pages_rate;      /* ram.dirty-pages-rate: pages per second */
	uint64_t mbps;                  /* ram.mbps: the bandwidth the planner used */
	uint64_t dirty_sync_count;      /* ram.dirty-sync-count: rounds, the final one
					 * (vCPUs paused) counted once it is done */
	uint64_t expected_downtime;     /* expected-downtime */
	uint64_t downtime;              /* downtime: vCPUs paused here to running there */
	uint64_t setup_time;            /* setup-time */
	uint64_t total_time;            /* total-time: so far, or start to the end */
};

struct migrate_rounds {
	struct migrate_limits limits;
	struct migrate_figures fig;
	uint64_t start_ns, setup_ns, switchover_ns, end_ns;     /* 0: not yet */
	uint64_t bandwidth;             /* bytes per second used last; 0: none yet */
};

/* QEMU's defaults: 300 ms, MIGRATE_MAX_ROUNDS, no bandwidth cap. */
void migrate_limits_default(struct migrate_limits *l);

/* A migration starts at now_ns with ram_total bytes of guest RAM. */
void migrate_rounds_start(struct migrate_rounds *r, const struct migrate_limits *l,
			  uint64_t ram_total, uint64_t now_ns);
/* migrate-set-parameters while the migration runs: the next decision
 * (and the bandwidth it plans with) takes these limits. */
void migrate_rounds_set_limits(struct migrate_rounds *r, const struct migrate_limits *l);
/* Setup is done (devices in PRE_COPY, dirty logging on): the first round
 * starts. */
void migrate_rounds_setup_done(struct migrate_rounds *r, uint64_t now_ns);

/* After a round: what next, with one line for the log in why saying so
 * and why (what remains, the estimate against the limit, the device that
 * holds it back). */
enum migrate_next migrate_rounds_next(struct migrate_rounds *r, const struct migrate_round *round,
				      char *why, size_t whylen);

/* The vCPUs are paused for the switchover at now_ns. */
void migrate_rounds_switchover(struct migrate_rounds *r, uint64_t now_ns);
/* The final round sent bytes (device_bytes of them device data) and the
 * destination runs the guest at now_ns: downtime and total-time are set. */
void migrate_rounds_complete(struct migrate_rounds *r, uint64_t bytes, uint64_t device_bytes,
			     uint64_t now_ns);

/* The figures at now_ns (total-time runs on until the migration ends). */
void migrate_rounds_figures(const struct migrate_rounds *r, uint64_t now_ns,
			    struct migrate_figures *out);

#endif
