/* The exit port: where a guest run by `conduit exec` reports its command's
 * exit status, a channel apart from the console that printing cannot fake.
 * On the machine of a `conduit exec` run only (vmm/exec_session.c).
 *
 * Port 0x501 (QEMU's isa-debug-exit port; nothing else of conduit's is at
 * 0x500-0x50f), 4 ports wide. The one well-formed report is a 4-byte write
 * (outl) at 0x501 of EXIT_PORT_MAGIC << 8 | status, status 0-255 (128 + N
 * for a command killed by signal N, as a shell reports it). It calls done()
 * once; anything else (another size, port, magic, or a second report) is
 * ignored and counted. A 4-byte read at 0x501 returns EXIT_PORT_MAGIC << 8,
 * so the guest can see the port is there; other reads return all-ones. */
#ifndef CONDUIT_EXIT_PORT_H
#define CONDUIT_EXIT_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include "../vmm/io_bus.h"

#define EXIT_PORT       0x501
#define EXIT_PORT_LEN   4
#define EXIT_PORT_MAGIC 0xc0de5eU     /* bits 8-31 of a report */

/* Called under devices_lock, once, with the status (0-255). */
typedef void (*exit_port_done_fn)(void *opaque, int status);

struct exit_port {
	exit_port_done_fn done;
	void *opaque;
	bool reported;
	int status;             /* valid once reported */
	uint64_t ignored;       /* writes that were not a (first) report */
};

/* Claim the ports on pio; done (may be NULL) gets the report. */
int exit_port_init(struct exit_port *e, struct io_bus *pio,
		   exit_port_done_fn done, void *opaque);
/* The value a guest writes to report status (0-255). */
uint32_t exit_port_value(uint8_t status);
uint64_t exit_port_read(void *opaque, uint64_t off, unsigned size);
void exit_port_write(void *opaque, uint64_t off, unsigned size, uint64_t v);

#endif
