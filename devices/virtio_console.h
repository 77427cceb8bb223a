/* virtio-console: one port, wired to conduit's terminal. */
#ifndef CONDUIT_VIRTIO_CONSOLE_H
#define CONDUIT_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include "virtio_pci.h"

#define VCON_PENDING 4096
#define VCON_DEVICE_ID 3        /* the virtio device type */

struct virtio_console {
	struct virtio_pci vp;
	uint8_t config[12];             /* cols, rows, max_nr_ports, emerg_wr */
	uint8_t pending[VCON_PENDING];  /* input waiting for guest buffers */
	size_t pending_len;
	uint64_t dropped;
	void (*output)(void *opaque, const uint8_t *buf, size_t len);
	void *output_opaque;
};

int virtio_console_init(struct virtio_console *vc, struct vm *vm);
/* Input from the terminal; returns bytes taken (the rest did not fit). */
size_t virtio_console_input(struct virtio_console *vc, const uint8_t *buf, size_t len);
/* Hand what the guest has queued for output to vc->output now (at exit,
 * for output whose kick the event loop has not seen). */
void virtio_console_drain(struct virtio_console *vc);

#endif
