/* Split virtqueues: validating the guest's rings and walking descriptor chains. */
#ifndef CONDUIT_VIRTQUEUE_H
#define CONDUIT_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include "../vmm/memmap.h"

#define VIRTQ_MAX_SIZE  256
#define VIRTQ_MAX_SEGS  64
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq {
	uint16_t size;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t last_avail;
	uint16_t used_idx;
	/* Host views, valid while ready. */
	struct virtq_desc *desc;
	uint16_t *avail;        /* flags, idx, ring[size] */
	uint8_t *used;          /* flags, idx, ring[size] of {id, len} */
	const struct guest_mem *gm;     /* where the rings are (host writes noted) */
};

struct virtq_seg {
	uint8_t *hva;
	uint32_t len;
	bool write;             /* device writes into it */
};

struct virtq_chain {
	uint16_t head;
	int n;
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
	uint32_t readable, writable;    /* byte totals */
	const struct guest_mem *gm;     /* host writes into it are noted */
};

/* Check the rings lie in guest RAM and size is a power of two up to
 * VIRTQ_MAX_SIZE; on success the queue is ready. */
int virtq_enable(struct virtq *vq, const struct guest_mem *gm);
void virtq_reset(struct virtq *vq);

/* Take the next available chain. Returns 1 with *c filled, 0 when there is
 * none, or -1 when the guest broke the ring (index out of range, a loop, an
 * address outside RAM, an indirect descriptor, a chain too long); err then
 * says which. */
int virtq_pop(struct virtq *vq, const struct guest_mem *gm,
	      struct virtq_chain *c, const char **err);
/* Return a chain to the guest with len bytes written. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);
/* Whether the guest wants an interrupt for used buffers. */
bool virtq_needs_interrupt(const struct virtq *vq);
/* Copy from/into a chain's segments; return bytes copied. */
uint32_t virtq_chain_write(const struct virtq_chain *c, const void *src, uint32_t len);

/* Snapshot state (issue 15): u16 size, u8 ready, u64 descriptor, driver
 * (avail) and device (used) ring addresses, u16 last_avail, u16 used_idx.
 * Save returns 0 or the cursor's error. Load checks the size (a power of
 * two up to VIRTQ_MAX_SIZE), a ready queue's rings as virtq_enable() does
 * against gm (NULL: no guest RAM, so no queue may be ready), and that no
 * more chains are in flight than the queue holds; it fails the cursor
 * (snap_in_fail) and returns -1 on a bad value, else 0. */
struct snap_out;
struct snap_in;
int virtq_save(const struct virtq *vq, struct snap_out *out);
int virtq_load(struct virtq *vq, const struct guest_mem *gm, struct snap_in *in);

#endif
