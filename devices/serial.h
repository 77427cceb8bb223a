/* A 16550A UART (COM1: port 0x3f8, IRQ 4). */
#ifndef CONDUIT_SERIAL_H
#define CONDUIT_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_PORT 0x3f8
#define SERIAL_IRQ  4
#define SERIAL_RX_SIZE 1024

struct serial {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thr_ipending;
	uint8_t rx[SERIAL_RX_SIZE];
	size_t rx_head, rx_len;
	bool irq_level;
	/* Output sink and interrupt line, set by the owner. */
	void (*tx)(void *opaque, uint8_t byte);
	void (*set_irq)(void *opaque, int level);
	void *opaque;
};

void serial_init(struct serial *s);
uint64_t serial_read(void *opaque, uint64_t off, unsigned size);
void serial_write(void *opaque, uint64_t off, unsigned size, uint64_t v);
/* Queue input bytes; returns how many were taken (the rest do not fit). */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);

/* Snapshot state (issue 15): u8 IER, LCR, MCR, SCR, DLL, DLM and FCR, u8
 * THR-empty interrupt pending, u8 IRQ level, u16 bytes received and not yet
 * read (at most SERIAL_RX_SIZE), then those bytes, oldest first. Save
 * returns 0 or the cursor's error. Load (into an instance whose tx, set_irq
 * and opaque are set) refuses register bits the chip does not have, flags
 * other than 0/1, an IRQ level its registers do not give and an overfull
 * FIFO (snap_in_fail), then drives set_irq to the level. Returns 0 or -1. */
struct snap_out;
struct snap_in;
int serial_save(const struct serial *s, struct snap_out *out);
int serial_load(struct serial *s, struct snap_in *in);

#endif
