/* Buffered terminal output. The serial port hands over one byte per guest
 * OUT instruction; writing each with its own write(2) costs a syscall per
 * character, so bytes are gathered and written at a newline, when the buffer
 * fills, or 10 ms after the first unwritten byte (a timerfd in the event
 * loop), so prompts without a newline still show at once. */
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "event_loop.h"
#include "log.h"
#include "output.h"

static void write_all(struct output *o, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(o->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;     /* the terminal went away: drop output */
		o->writes++;
		p += n;
		len -= (size_t)n;
	}
}

static void flush_locked(struct output *o)
{
	write_all(o, o->buf, o->len);
	o->len = 0;
}

static void arm_timer(struct output *o)
{
	struct itimerspec t = { .it_value = { 0, OUTPUT_FLUSH_NS } };

	if (o->timer_fd < 0 || o->timer_armed)
		return;
	if (timerfd_settime(o->timer_fd, 0, &t, NULL) == 0)
		o->timer_armed = 1;
}

static void timer_ready(void *opaque, int fd)
{
	struct output *o = opaque;
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) < 0)
		return;
	pthread_mutex_lock(&o->lock);
	o->timer_armed = 0;
	flush_locked(o);
	pthread_mutex_unlock(&o->lock);
}

int output_init(struct output *o, int fd, struct event_loop *loop)
{
	memset(o, 0, sizeof(*o));
	pthread_mutex_init(&o->lock, NULL);
	o->fd = fd;
	o->timer_fd = -1;
	if (!loop)
		return 0;
	o->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (o->timer_fd < 0)
		return -errno;
	return event_loop_add(loop, o->timer_fd, timer_ready, o);
}

void output_byte(struct output *o, uint8_t b)
{
	pthread_mutex_lock(&o->lock);
	o->buf[o->len++] = b;
	if (b == '\n' || o->len == OUTPUT_BUF || o->timer_fd < 0)
		flush_locked(o);
	else
		arm_timer(o);
	pthread_mutex_unlock(&o->lock);
}

void output_write(struct output *o, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&o->lock);
	flush_locked(o);
	write_all(o, buf, len);
	pthread_mutex_unlock(&o->lock);
}

void output_flush(struct output *o)
{
	pthread_mutex_lock(&o->lock);
	flush_locked(o);
	pthread_mutex_unlock(&o->lock);
}

void output_close(struct output *o)
{
	output_flush(o);
	if (o->timer_fd >= 0)
		close(o->timer_fd);
	o->timer_fd = -1;
}
