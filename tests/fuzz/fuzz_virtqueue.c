/* Fuzzer for split virtqueues (devices/virtqueue.c): the guest's side of
 * the rings is the input. Guest RAM is two regions with a hole between
 * them, each its own allocation so ASan sees any access past either; the
 * input is a sequence of guest writes (raw bytes, descriptors, available
 * ring entries and index) and device operations (enable, pop, write into
 * the chain, push, interrupt check). Every popped chain is checked: head
 * and length bounded by the ring, every segment wholly inside one region,
 * readable before writable, byte totals right. */
#include "fuzz.h"
#include "../../devices/virtqueue.h"

#define R0_GPA  0x0ULL
#define R0_SIZE 0x10000ULL
#define R1_GPA  0x100000ULL
#define R1_SIZE 0x8000ULL

static uint8_t *r0, *r1;
static struct guest_mem gm;
static struct virtq vq;
static uint8_t src[8192];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	r0 = malloc(R0_SIZE);
	r1 = malloc(R1_SIZE);
	if (!r0 || !r1)
		abort();
	gm.ram[0] = (struct ram_region){ R0_GPA, R0_SIZE, r0 };
	gm.ram[1] = (struct ram_region){ R1_GPA, R1_SIZE, r1 };
	gm.n_ram = 2;
	gm.ram_size = R0_SIZE + R1_SIZE;
	gm.low_end = R1_GPA + R1_SIZE;
	memset(src, 0x5a, sizeof(src));
	return 0;
}

/* A guest physical address: mostly in or near RAM, sometimes at the top of
 * the address space where gpa + len wraps. */
static uint64_t gpa(struct fuzz_in *in)
{
	uint32_t v = fuzz_u32(in);

	if ((v >> 24) == 0xff)
		return UINT64_MAX - (v & 0xffff);
	return v & 0x1fffff;
}

static void guest_write(uint64_t addr, const void *p, size_t len)
{
	uint8_t *h = gpa_to_hva(&gm, addr, len);

	if (h)
		memcpy(h, p, len);
}

static uint16_t guest_read16(uint64_t addr)
{
	uint16_t v = 0;
	uint8_t *h = gpa_to_hva(&gm, addr, 2);

	if (h)
		memcpy(&v, h, 2);
	return v;
}

static bool in_region(const uint8_t *p, uint32_t len)
{
	int i;

	for (i = 0; i < gm.n_ram; i++) {
		const struct ram_region *r = &gm.ram[i];

		if (p >= r->hva && p < r->hva + r->size)
			return len <= (uint64_t)(r->hva + r->size - p);
	}
	return false;
}

static void check_chain(const struct virtq_chain *c)
{
	uint64_t rd = 0, wr = 0;
	volatile uint8_t sink = 0;
	bool seen_write = false;
	int i;

	FUZZ_ASSERT(c->head < vq.size);
	FUZZ_ASSERT(c->n >= 0 && c->n <= VIRTQ_MAX_SEGS && c->n <= vq.size);
	for (i = 0; i < c->n; i++) {
		const struct virtq_seg *s = &c->seg[i];
		uint32_t j;

		FUZZ_ASSERT(s->len > 0);
		FUZZ_ASSERT(in_region(s->hva, s->len));
		FUZZ_ASSERT(s->write || !seen_write);
		seen_write |= s->write;
		if (s->write)
			wr += s->len;
		else
			rd += s->len;
		/* The device reads every readable byte (ASan checks them). */
		for (j = 0; !s->write && j < s->len; j += 97)
			sink ^= s->hva[j];
		if (!s->write)
			sink ^= s->hva[s->len - 1];
	}
	FUZZ_ASSERT(rd == c->readable && wr == c->writable);
	(void)sink;
}

static void pop(struct fuzz_in *in)
{
	struct virtq_chain c;
	const char *why = NULL;
	uint16_t before = vq.last_avail;
	uint32_t len, n;
	int r;

	memset(&c, 0, sizeof(c));
	r = virtq_pop(&vq, &gm, &c, &why);
	if (r <= 0) {
		FUZZ_ASSERT(vq.last_avail == before);
		FUZZ_ASSERT(r == 0 || why);
		return;
	}
	FUZZ_ASSERT(r == 1);
	FUZZ_ASSERT(vq.last_avail == (uint16_t)(before + 1));
	check_chain(&c);
	len = fuzz_u16(in) % sizeof(src);
	n = virtq_chain_write(&c, src, len);
	FUZZ_ASSERT(n == (len < c.writable ? len : c.writable));
	if (fuzz_u8(in) & 1) {
		virtq_push(&vq, c.head, n);
		FUZZ_ASSERT(guest_read16(vq.used_gpa + 2) == vq.used_idx);
	}
}

static void put_desc(struct fuzz_in *in)
{
	uint16_t i = fuzz_u8(in);
	struct virtq_desc d;

	d.addr = gpa(in);
	d.len = fuzz_u16(in);
	if (d.len == 0xffff)
		d.len = fuzz_u32(in);
	d.flags = fuzz_u8(in) & 7;
	d.next = fuzz_u8(in);
	guest_write(vq.desc_gpa + 16ULL * i, &d, sizeof(d));
}

static void offer(struct fuzz_in *in)
{
	uint16_t head = fuzz_u8(in), idx = guest_read16(vq.avail_gpa + 2);
	uint16_t slot = vq.size ? idx % vq.size : 0;

	guest_write(vq.avail_gpa + 4 + 2ULL * slot, &head, 2);
	idx++;
	guest_write(vq.avail_gpa + 2, &idx, 2);
}

static void enable(struct fuzz_in *in)
{
	uint8_t s = fuzz_u8(in);

	/* Mostly powers of two up to 512, sometimes anything. */
	vq.size = s < 0xf0 ? (uint16_t)(1U << (s % 10)) : fuzz_u16(in);
	vq.desc_gpa = gpa(in);
	vq.avail_gpa = gpa(in);
	vq.used_gpa = gpa(in);
	if (virtq_enable(&vq, &gm) == 0) {
		FUZZ_ASSERT(vq.ready && vq.size && vq.size <= VIRTQ_MAX_SIZE);
		FUZZ_ASSERT(gpa_to_hva(&gm, vq.desc_gpa, 16ULL * vq.size) == (void *)vq.desc);
		FUZZ_ASSERT(gpa_to_hva(&gm, vq.used_gpa, 6 + 8ULL * vq.size) == vq.used);
	} else {
		FUZZ_ASSERT(!vq.ready);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t buf[64];
	unsigned ops = 0;

	memset(r0, 0, R0_SIZE);
	memset(r1, 0, R1_SIZE);
	virtq_reset(&vq);
	enable(&in);
	while (fuzz_more(&in) && ops++ < 512) {
		switch (fuzz_u8(&in) % 9) {
		case 0: {
			uint64_t a = gpa(&in);
			size_t len;
			const uint8_t *p = fuzz_take(&in, fuzz_u8(&in) % sizeof(buf), &len);

			memcpy(buf, p, len);
			guest_write(a, buf, len);
			break;
		}
		case 1:
			put_desc(&in);
			break;
		case 2:
			offer(&in);
			break;
		case 3:
		case 4:
			pop(&in);
			break;
		case 5:
			if (vq.ready) {
				uint16_t head = fuzz_u16(&in);

				virtq_push(&vq, head, fuzz_u32(&in));
			}
			break;
		case 6:
			if (vq.ready)
				(void)virtq_needs_interrupt(&vq);
			break;
		case 7:
			enable(&in);
			break;
		case 8: {
			uint16_t idx = fuzz_u16(&in);

			guest_write(vq.avail_gpa + 2, &idx, 2);
			break;
		}
		}
	}
	return 0;
}
