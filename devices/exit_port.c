/* The exit port (0x501): takes one well-formed exit-status report from the
 * guest and hands it to its owner; every other access is ignored. */
#include "exit_port.h"

int exit_port_init(struct exit_port *e, struct io_bus *pio,
		   exit_port_done_fn done, void *opaque)
{
	e->done = done;
	e->opaque = opaque;
	e->reported = false;
	e->status = -1;
	e->ignored = 0;
	return io_bus_add(pio, EXIT_PORT, EXIT_PORT_LEN, exit_port_read,
			  exit_port_write, e, "exit port");
}

uint32_t exit_port_value(uint8_t status)
{
	return EXIT_PORT_MAGIC << 8 | status;
}

uint64_t exit_port_read(void *opaque, uint64_t off, unsigned size)
{
	if (off != 0 || size != 4)
		return ~0ULL;
	return (uint64_t)EXIT_PORT_MAGIC << 8;
}

static bool well_formed(uint64_t off, unsigned size, uint64_t v)
{
	return off == 0 && size == 4 && v >> 8 == EXIT_PORT_MAGIC;
}

void exit_port_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct exit_port *e = opaque;

	if (e->reported || !well_formed(off, size, v)) {
		e->ignored++;
		return;
	}
	e->reported = true;
	e->status = (int)(v & 0xff);
	if (e->done)
		e->done(e->opaque, e->status);
}
