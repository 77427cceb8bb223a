/* The firmware debug console on port 0x402: bytes are buffered and written
 * to the log file a line (or a full buffer) at a time. */
#include <errno.h>
#include <unistd.h>
#include "debugcon.h"

static void flush(struct debugcon *d)
{
	size_t done = 0;

	while (d->fd >= 0 && done < d->len) {
		ssize_t n = write(d->fd, d->buf + done, d->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;          /* a full disk loses firmware log, nothing else */
		done += (size_t)n;
	}
	d->len = 0;
}

int debugcon_init(struct debugcon *d, int fd, struct io_bus *pio)
{
	d->fd = fd;
	d->len = 0;
	d->bytes = 0;
	return io_bus_add(pio, DEBUGCON_PORT, 1, debugcon_read, debugcon_write, d, "debugcon");
}

void debugcon_close(struct debugcon *d)
{
	flush(d);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

uint64_t debugcon_read(void *opaque, uint64_t off, unsigned size)
{
	return DEBUGCON_READBACK;
}

void debugcon_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct debugcon *d = opaque;
	uint8_t c = (uint8_t)v;

	d->bytes++;
	d->buf[d->len++] = c;
	if (c == '\n' || d->len == sizeof(d->buf))
		flush(d);
}
