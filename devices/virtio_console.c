/* virtio-console (virtio spec 5.3) with a single port and no features:
 * queue 0 (receiveq) carries terminal input to the guest, queue 1
 * (transmitq) carries guest output to the terminal. Input that arrives
 * before the guest has posted buffers waits in a small buffer. */
#include <string.h>
#include "../vmm/snapshot/cursor.h"
#include "../vmm/vm.h"
#include "virtio_console.h"

#define RXQ 0
#define TXQ 1

static void flush_rx(struct virtio_console *vc)
{
	struct virtio_pci *vp = &vc->vp;
	struct virtq *vq = &vp->vq[RXQ];
	struct virtq_chain c;
	const char *why;
	bool pushed = false;
	uint32_t n;
	int r;

	while (vc->pending_len && virtio_pci_queue_live(vp, RXQ)) {
		r = virtq_pop(vq, &vp->vm->mem, &c, &why);
		if (r < 0) {
			virtio_pci_queue_broken(vp, RXQ, why);
			break;
		}
		if (r == 0)
			break;
		n = virtq_chain_write(&c, vc->pending, (uint32_t)vc->pending_len);
		memmove(vc->pending, vc->pending + n, vc->pending_len - n);
		vc->pending_len -= n;
		virtq_push(vq, c.head, n);
		pushed = true;
	}
	if (pushed)
		virtio_pci_signal_queue(vp, RXQ);
}

static void drain_tx(struct virtio_console *vc)
{
	struct virtio_pci *vp = &vc->vp;
	struct virtq *vq = &vp->vq[TXQ];
	struct virtq_chain c;
	const char *why;
	bool pushed = false;
	int r, i;

	while (virtio_pci_queue_live(vp, TXQ)) {
		r = virtq_pop(vq, &vp->vm->mem, &c, &why);
		if (r < 0) {
			virtio_pci_queue_broken(vp, TXQ, why);
			break;
		}
		if (r == 0)
			break;
		for (i = 0; i < c.n; i++)
			if (!c.seg[i].write && vc->output)
				vc->output(vc->output_opaque, c.seg[i].hva, c.seg[i].len);
		virtq_push(vq, c.head, 0);
		pushed = true;
	}
	if (pushed)
		virtio_pci_signal_queue(vp, TXQ);
}

static void notify(struct virtio_pci *vp, unsigned q)
{
	struct virtio_console *vc = vp->dev;

	if (q == RXQ)
		flush_rx(vc);
	else if (q == TXQ)
		drain_tx(vc);
}

/* Snapshot state (issue 15), after the transport's: u32 bytes of input
 * waiting for guest buffers (at most VCON_PENDING), those bytes, u64 input
 * bytes dropped. The port's size and count are fixed: not state. */
static int save(struct virtio_pci *vp, struct snap_out *out)
{
	struct virtio_console *vc = vp->dev;

	snap_put_u32(out, (uint32_t)vc->pending_len);
	snap_put_bytes(out, vc->pending, vc->pending_len);
	snap_put_u64(out, vc->dropped);
	return snap_out_error(out);
}

static int load(struct virtio_pci *vp, struct snap_in *in)
{
	struct virtio_console *vc = vp->dev;
	uint32_t n = snap_get_u32(in);

	if (n > VCON_PENDING)
		snap_in_fail(in, "more pending input than the console's buffer holds");
	if (snap_in_failed(in))
		return -1;
	snap_get_bytes(in, vc->pending, n);
	vc->dropped = snap_get_u64(in);
	if (snap_in_failed(in))
		return -1;
	vc->pending_len = n;
	return 0;
}

static const struct virtio_device_ops console_ops = {
	.name = "virtio-console",
	.device_id = VCON_DEVICE_ID,
	.features = 0,
	.n_queues = 2,
	.config_len = 12,
	.notify = notify,
	.save = save,
	.load = load,
};

int virtio_console_init(struct virtio_console *vc, struct vm *vm)
{
	memset(vc, 0, sizeof(*vc));
	vc->config[0] = 80;             /* cols */
	vc->config[2] = 25;             /* rows */
	vc->config[4] = 1;              /* max_nr_ports */
	return virtio_pci_init(&vc->vp, vm, &console_ops, vc, vc->config);
}

size_t virtio_console_input(struct virtio_console *vc, const uint8_t *buf, size_t len)
{
	size_t room = VCON_PENDING - vc->pending_len;
	size_t n = len < room ? len : room;

	memcpy(vc->pending + vc->pending_len, buf, n);
	vc->pending_len += n;
	flush_rx(vc);
	return n;
}

void virtio_console_drain(struct virtio_console *vc)
{
	drain_tx(vc);
}
