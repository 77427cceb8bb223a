/* Live migration's bandwidth cap and measured rate (see migrate_throttle.h):
 * the bucket, the window the rate is measured over, and the writer's hook
 * that sleeps on the socket. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "migrate_throttle.h"

#define NS_PER_SEC 1000000000ULL

/* a * b / c, rounded down or up, saturated; c not 0. */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c, int up)
{
	unsigned __int128 x = (unsigned __int128)a * b;

	x = up ? (x + c - 1) / c : x / c;
	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

/* Sleep ns on fd's socket: 0 when the time ran out, -ECONNRESET when the
 * socket has something to say (shut down by migrate_cancel, or the
 * destination hung up: it never sends anything), -errno when ppoll
 * failed. EINTR sleeps again for what is left. */
static int socket_sleep(int fd, uint64_t ns)
{
	uint64_t end = clock_ns() + ns, now;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts;
	int ret;

	for (;;) {
		ts.tv_sec = (time_t)(ns / NS_PER_SEC);
		ts.tv_nsec = (long)(ns % NS_PER_SEC);
		ret = ppoll(&pfd, 1, &ts, NULL);
		if (ret > 0)
			return -ECONNRESET;
		if (!ret)
			return 0;
		if (errno != EINTR)
			return -errno;
		now = clock_ns();
		if (now >= end)
			return 0;
		ns = end - now;
	}
}

void migrate_throttle_init_with(struct migrate_throttle *t, uint64_t rate, int fd,
				uint64_t (*clock)(void), int (*sleep)(int fd, uint64_t ns))
{
	uint64_t now = clock();

	atomic_store(&t->rate, rate);
	t->paid_ns = now;
	t->win_start_ns = now;
	t->win_bytes = 0;
	atomic_init(&t->bytes, 0);
	atomic_init(&t->measured, 0);
	t->clock = clock;
	t->sleep = sleep;
	t->fd = fd;
}

void migrate_throttle_init(struct migrate_throttle *t, uint64_t rate, int fd)
{
	migrate_throttle_init_with(t, rate, fd, clock_ns, socket_sleep);
}

void migrate_throttle_set_rate(struct migrate_throttle *t, uint64_t rate)
{
	atomic_store(&t->rate, rate);
}

/* The most one grant gives: what THROTTLE_BURST_NS buys, at least a byte. */
static uint64_t burst_bytes(uint64_t rate)
{
	uint64_t b = muldiv(rate, THROTTLE_BURST_NS, NS_PER_SEC, 0);

	return b ? b : 1;
}

size_t migrate_throttle_grant(struct migrate_throttle *t, uint64_t now_ns, size_t len,
			      uint64_t *wait_ns)
{
	uint64_t rate = atomic_load(&t->rate), want, cost, keep;

	*wait_ns = 0;
	if (!rate || !len)
		return len;
	want = burst_bytes(rate);
	if (want > len)
		want = len;
	cost = muldiv(want, NS_PER_SEC, rate, 1);
	/* unused time beyond one burst (or one byte's cost, at a rate that
	 * low) is lost */
	keep = cost > THROTTLE_BURST_NS ? cost : THROTTLE_BURST_NS;
	if (now_ns > keep && t->paid_ns < now_ns - keep)
		t->paid_ns = now_ns - keep;
	if (t->paid_ns + cost > now_ns) {
		*wait_ns = t->paid_ns + cost - now_ns;
		return 0;
	}
	t->paid_ns += cost;
	return (size_t)want;
}

void migrate_throttle_count(struct migrate_throttle *t, uint64_t now_ns, size_t n)
{
	uint64_t span = now_ns - t->win_start_ns;

	atomic_fetch_add(&t->bytes, n);
	t->win_bytes += n;
	if (span < THROTTLE_WINDOW_NS)
		return;
	atomic_store(&t->measured, muldiv(t->win_bytes, NS_PER_SEC, span, 0));
	t->win_start_ns = now_ns;
	t->win_bytes = 0;
}

ssize_t migrate_throttle_pace(void *opaque, size_t len)
{
	struct migrate_throttle *t = opaque;
	uint64_t wait;
	size_t n;
	int ret;

	for (;;) {
		n = migrate_throttle_grant(t, t->clock(), len, &wait);
		if (n) {
			migrate_throttle_count(t, t->clock(), n);
			return (ssize_t)n;
		}
		ret = t->sleep(t->fd, wait);
		if (ret)
			return ret;
	}
}

uint64_t migrate_throttle_rate(const struct migrate_throttle *t)
{
	return atomic_load(&t->measured);
}

uint64_t migrate_throttle_bytes(const struct migrate_throttle *t)
{
	return atomic_load(&t->bytes);
}
