/* The firmware debug console: port 0x402, where SeaBIOS (and OVMF) write
 * their log one byte at a time. Reads return 0xe9 so the firmware knows the
 * port is there. Output goes to a file (--bios-log) or nowhere. */
#ifndef CONDUIT_DEBUGCON_H
#define CONDUIT_DEBUGCON_H

#include <stddef.h>
#include <stdint.h>
#include "../vmm/io_bus.h"

#define DEBUGCON_PORT     0x402
#define DEBUGCON_READBACK 0xe9
#define DEBUGCON_BUF      4096

struct debugcon {
	int fd;                 /* -1: output dropped */
	size_t len;
	uint8_t buf[DEBUGCON_BUF];
	uint64_t bytes;         /* written by the guest in all */
};

/* Claim the port; fd (owned from now on, may be -1) receives the output. */
int debugcon_init(struct debugcon *d, int fd, struct io_bus *pio);
/* Write out what is buffered and close the file. */
void debugcon_close(struct debugcon *d);
uint64_t debugcon_read(void *opaque, uint64_t off, unsigned size);
void debugcon_write(void *opaque, uint64_t off, unsigned size, uint64_t v);

#endif
