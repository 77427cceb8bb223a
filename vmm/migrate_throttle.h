/* Live migration's bandwidth cap (migrate-set-parameters max-bandwidth) and
 * the rate query-migrate reports (mbps): a token bucket that the stream's
 * writer (vmm/snapshot/stream_write.c) asks before each write() how many
 * bytes may go now, sleeping in the migration thread until some may.
 *
 * The bucket counts time, not tokens: each byte costs 1e9 / rate ns, and a
 * grant moves "paid until" on by its cost; at most THROTTLE_BURST_NS of
 * unused time is kept, and no grant is larger than what that time buys
 * (at least one byte). So over any span T the bytes granted are at most
 * rate * T plus one burst. It starts empty: nothing goes before its time.
 *
 * The sleep is a ppoll() on the migration socket, so migrate_cancel (which
 * shuts the socket down) and a destination that hangs up end it at once;
 * either is -ECONNRESET to the writer, and the caller tells them apart by
 * its cancel flag. The clock and the sleep are the struct's, so the unit
 * tests drive it with their own. */
#ifndef CONDUIT_MIGRATE_THROTTLE_H
#define CONDUIT_MIGRATE_THROTTLE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define THROTTLE_BURST_NS   50000000ULL     /* 50 ms of unused bandwidth kept */
#define THROTTLE_WINDOW_NS 500000000ULL     /* the measured rate's window */

struct migrate_throttle {
	_Atomic uint64_t rate;          /* bytes per second; 0: no cap (measure only);
					 * another thread may change it (set_rate) */
	uint64_t paid_ns;               /* the bucket: bytes granted are paid until */
	/* the measured rate, over windows of THROTTLE_WINDOW_NS */
	uint64_t win_start_ns, win_bytes;
	_Atomic uint64_t bytes;         /* granted in all (any thread may read) */
	_Atomic uint64_t measured;      /* bytes per second, the last whole window */
	/* the world: the monotonic clock, and a sleep of ns on fd that
	 * returns 0, or -ECONNRESET when the socket woke it early */
	uint64_t (*clock)(void);
	int (*sleep)(int fd, uint64_t ns);
	int fd;
};

/* A throttle of rate bytes per second (0: none) for sends on fd, from now,
 * on the real clock and ppoll(). */
void migrate_throttle_init(struct migrate_throttle *t, uint64_t rate, int fd);
/* The same on the given clock and sleep (tests). */
void migrate_throttle_init_with(struct migrate_throttle *t, uint64_t rate, int fd,
				uint64_t (*clock)(void), int (*sleep)(int fd, uint64_t ns));

/* max-bandwidth changed while the migration runs (from any thread): the
 * next grant goes at the new rate; a sleep under way ends at its time (at
 * most one burst's or one byte's cost at the old rate). */
void migrate_throttle_set_rate(struct migrate_throttle *t, uint64_t rate);

/* The bucket alone, pure: how many of len bytes may go at now_ns (then
 * paid for), or 0 with *wait_ns, how long until some may. */
size_t migrate_throttle_grant(struct migrate_throttle *t, uint64_t now_ns, size_t len,
			      uint64_t *wait_ns);
/* Record n bytes sent at now_ns for the measured rate. */
void migrate_throttle_count(struct migrate_throttle *t, uint64_t now_ns, size_t n);

/* The writer's hook (opaque is the throttle): sleeps until some of len
 * bytes may go, then returns how many (1 to len); or -ECONNRESET when the
 * sleep was cut short by the socket (cancel, hang-up). */
ssize_t migrate_throttle_pace(void *opaque, size_t len);

/* The measured rate, bytes per second: the last whole window's (0 before
 * the first one ends). Any thread. */
uint64_t migrate_throttle_rate(const struct migrate_throttle *t);
/* The bytes granted so far (sent, or being sent). Any thread. */
uint64_t migrate_throttle_bytes(const struct migrate_throttle *t);

#endif
