/* Dispatch of trapped port I/O and MMIO to device handlers. */
#ifndef CONDUIT_IO_BUS_H
#define CONDUIT_IO_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define IO_BUS_MAX 64

typedef uint64_t (*io_read_fn)(void *opaque, uint64_t offset, unsigned size);
typedef void (*io_write_fn)(void *opaque, uint64_t offset, unsigned size,
			    uint64_t value);

struct io_range {
	uint64_t base;
	uint64_t len;
	io_read_fn read;
	io_write_fn write;
	void *opaque;
	const char *name;
};

struct io_bus {
	struct io_range r[IO_BUS_MAX];
	int n;
	const char *name;
	uint64_t unhandled;
};

/* Every device model runs under this one lock: vCPU exits and the event
 * loop both take it, so device code never races with itself. */
extern pthread_mutex_t devices_lock;

int io_bus_add(struct io_bus *bus, uint64_t base, uint64_t len,
	       io_read_fn rd, io_write_fn wr, void *opaque, const char *name);
/* Remove the range that starts at base and belongs to opaque. */
int io_bus_remove(struct io_bus *bus, uint64_t base, void *opaque);

/* Find the range holding addr and call its handler. Unclaimed reads return
 * all-ones and unclaimed writes are dropped. Caller holds devices_lock. */
uint64_t io_bus_read(struct io_bus *bus, uint64_t addr, unsigned size);
void io_bus_write(struct io_bus *bus, uint64_t addr, unsigned size, uint64_t v);

#endif
