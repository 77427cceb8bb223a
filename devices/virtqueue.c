/* Split virtqueues (virtio 1.x, 2.7). Everything read from the rings is
 * guest-controlled: indexes are bounded by the queue size, every buffer is
 * translated through gpa_to_hva() with its full length, chains are cut at
 * VIRTQ_MAX_SEGS descriptors and at the queue size (which catches loops),
 * byte totals are checked for overflow, and indirect descriptors (never
 * offered) are refused. */
#include <string.h>
#include "virtqueue.h"
#include "../vmm/snapshot/cursor.h"

#define AVAIL_FLAGS 0
#define AVAIL_IDX   1
#define AVAIL_RING  2

static uint16_t load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

int virtq_enable(struct virtq *vq, const struct guest_mem *gm)
{
	uint64_t n = vq->size;

	vq->ready = false;
	if (n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return -1;
	vq->desc = gpa_to_hva(gm, vq->desc_gpa, 16 * n);
	vq->avail = gpa_to_hva(gm, vq->avail_gpa, 6 + 2 * n);
	vq->used = gpa_to_hva(gm, vq->used_gpa, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used ||
	    (vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return -1;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->gm = gm;
	vq->ready = true;
	return 0;
}

void virtq_reset(struct virtq *vq)
{
	memset(vq, 0, sizeof(*vq));
	vq->size = VIRTQ_MAX_SIZE;
}

static int fail(const char **err, const char *why)
{
	if (err)
		*err = why;
	return -1;
}

int virtq_pop(struct virtq *vq, const struct guest_mem *gm,
	      struct virtq_chain *c, const char **err)
{
	uint16_t avail_idx, idx;
	uint64_t readable = 0, writable = 0;
	unsigned steps = 0;
	bool seen_write = false;

	if (!vq->ready)
		return 0;
	c->gm = gm;
	avail_idx = load16(&vq->avail[AVAIL_IDX]);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return fail(err, "available index moved by more than the queue size");
	idx = load16(&vq->avail[AVAIL_RING + (vq->last_avail % vq->size)]);
	if (idx >= vq->size)
		return fail(err, "head descriptor index out of range");
	c->head = idx;
	c->n = 0;
	for (;;) {
		struct virtq_desc d;

		memcpy(&d, &vq->desc[idx], sizeof(d));
		if (++steps > vq->size)
			return fail(err, "descriptor chain loops");
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return fail(err, "indirect descriptor (not negotiated)");
		if (c->n == VIRTQ_MAX_SEGS)
			return fail(err, "descriptor chain too long");
		if (d.len) {
			struct virtq_seg *s = &c->seg[c->n];

			s->hva = gpa_to_hva(gm, d.addr, d.len);
			if (!s->hva)
				return fail(err, "buffer outside guest RAM");
			s->len = d.len;
			s->write = d.flags & VIRTQ_DESC_F_WRITE;
			if (!s->write && seen_write)
				return fail(err, "readable buffer after a writable one");
			seen_write |= s->write;
			if (s->write)
				writable += d.len;
			else
				readable += d.len;
			c->n++;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		idx = d.next;
		if (idx >= vq->size)
			return fail(err, "next descriptor index out of range");
	}
	if (readable > UINT32_MAX || writable > UINT32_MAX)
		return fail(err, "chain longer than 4 GiB");
	c->readable = (uint32_t)readable;
	c->writable = (uint32_t)writable;
	vq->last_avail++;
	return 1;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	uint8_t *e = vq->used + 4 + 8 * (vq->used_idx % vq->size);
	uint32_t id = head;

	memcpy(e, &id, 4);
	memcpy(e + 4, &len, 4);
	vq->used_idx++;
	__atomic_store_n((uint16_t *)(vq->used + 2), vq->used_idx, __ATOMIC_RELEASE);
	guest_mem_host_wrote(vq->gm, e, 8);
	guest_mem_host_wrote(vq->gm, vq->used + 2, 2);
}

bool virtq_needs_interrupt(const struct virtq *vq)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(load16(&vq->avail[AVAIL_FLAGS]) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

uint32_t virtq_chain_write(const struct virtq_chain *c, const void *src, uint32_t len)
{
	const uint8_t *p = src;
	uint32_t done = 0;
	int i;

	for (i = 0; i < c->n && done < len; i++) {
		uint32_t n;

		if (!c->seg[i].write)
			continue;
		n = c->seg[i].len < len - done ? c->seg[i].len : len - done;
		memcpy(c->seg[i].hva, p + done, n);
		guest_mem_host_wrote(c->gm, c->seg[i].hva, n);
		done += n;
	}
	return done;
}

int virtq_save(const struct virtq *vq, struct snap_out *out)
{
	snap_put_u16(out, vq->size);
	snap_put_u8(out, vq->ready);
	snap_put_u64(out, vq->desc_gpa);
	snap_put_u64(out, vq->avail_gpa);
	snap_put_u64(out, vq->used_gpa);
	snap_put_u16(out, vq->last_avail);
	snap_put_u16(out, vq->used_idx);
	return snap_out_error(out);
}

static bool size_ok(unsigned n)
{
	return n && n <= VIRTQ_MAX_SIZE && !(n & (n - 1));
}

/* A ready queue's rings, made usable again as the guest's enable made them. */
static void load_ready(struct virtq *vq, const struct guest_mem *gm,
		       uint16_t last_avail, uint16_t used_idx, struct snap_in *in)
{
	if (!gm) {
		snap_in_fail(in, "a queue enabled on a device without guest RAM");
		return;
	}
	if (virtq_enable(vq, gm)) {
		snap_in_fail(in, "a queue's rings outside guest RAM or misaligned");
		return;
	}
	if ((uint16_t)(last_avail - used_idx) > vq->size) {
		snap_in_fail(in, "more buffers in flight than the queue holds");
		return;
	}
	vq->last_avail = last_avail;
	vq->used_idx = used_idx;
}

int virtq_load(struct virtq *vq, const struct guest_mem *gm, struct snap_in *in)
{
	uint16_t size, last_avail, used_idx;
	uint8_t ready;

	virtq_reset(vq);
	size = snap_get_u16(in);
	if (!snap_in_failed(in) && !size_ok(size))
		snap_in_fail(in, "a queue size that is not a power of two up to 256");
	ready = snap_get_u8(in);
	if (ready > 1)
		snap_in_fail(in, "a queue enable flag other than 0 or 1");
	vq->desc_gpa = snap_get_u64(in);
	vq->avail_gpa = snap_get_u64(in);
	vq->used_gpa = snap_get_u64(in);
	last_avail = snap_get_u16(in);
	used_idx = snap_get_u16(in);
	if (snap_in_failed(in))
		return -1;
	vq->size = size;
	if (ready) {
		load_ready(vq, gm, last_avail, used_idx, in);
	} else {
		vq->last_avail = last_avail;
		vq->used_idx = used_idx;
	}
	return snap_in_failed(in) ? -1 : 0;
}
