/* Tests of split virtqueues with well-formed and hostile rings (devices/virtqueue.c). */
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "../../devices/virtqueue.h"

#define RAM_SIZE  (1U << 20)
#define DESC_GPA  0x1000ULL
#define AVAIL_GPA 0x3000ULL
#define USED_GPA  0x4000ULL
#define QSIZE     16

static uint8_t *ram;
static struct guest_mem gm;
static struct virtq vq;
static struct virtq_chain chain;
static const char *why;

static void put16(uint64_t gpa, uint16_t v)
{
	memcpy(ram + gpa, &v, 2);
}

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, ram + gpa, 2);
	return v;
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram + gpa, 4);
	return v;
}

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct virtq_desc d = { addr, len, flags, next };

	memcpy(ram + DESC_GPA + 16 * i, &d, sizeof(d));
}

/* Put head in the next available slot and publish it. */
static void offer(uint16_t head)
{
	uint16_t idx = get16(AVAIL_GPA + 2);

	put16(AVAIL_GPA + 4 + 2 * (idx % vq.size), head);
	put16(AVAIL_GPA + 2, (uint16_t)(idx + 1));
}

static int enable(uint16_t size)
{
	virtq_reset(&vq);
	vq.size = size;
	vq.desc_gpa = DESC_GPA;
	vq.avail_gpa = AVAIL_GPA;
	vq.used_gpa = USED_GPA;
	return virtq_enable(&vq, &gm);
}

static void setup(void)
{
	ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	memset(&gm, 0, sizeof(gm));
	gm.ram[0] = (struct ram_region){ 0, RAM_SIZE, ram };
	gm.n_ram = 1;
	gm.ram_size = gm.low_end = RAM_SIZE;
	ck_assert_int_eq(enable(QSIZE), 0);
	memset(&chain, 0, sizeof(chain));
	why = NULL;
}

static void teardown(void)
{
	free(ram);
}

static int pop(void)
{
	return virtq_pop(&vq, &gm, &chain, &why);
}

/* The ring is broken: -1 with a reason that mentions what. */
static void pop_fails(const char *what)
{
	why = NULL;
	ck_assert_int_eq(pop(), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, what), "expected '%s' in '%s'", what, why);
}

START_TEST(enable_sizes)
{
	ck_assert(vq.ready);
	ck_assert_ptr_eq(vq.desc, (void *)(ram + DESC_GPA));
	ck_assert_ptr_eq(vq.avail, (void *)(ram + AVAIL_GPA));
	ck_assert_ptr_eq(vq.used, ram + USED_GPA);
	ck_assert_int_eq(enable(0), -1);
	ck_assert(!vq.ready);
	ck_assert_int_eq(enable(3), -1);
	ck_assert_int_eq(enable(24), -1);
	ck_assert_int_eq(enable(257), -1);
	ck_assert_int_eq(enable(512), -1);
	ck_assert_int_eq(enable(0xffff), -1);
	ck_assert(!vq.ready);
	ck_assert_int_eq(enable(1), 0);
	ck_assert_int_eq(enable(256), 0);
	ck_assert(vq.ready);

	virtq_reset(&vq);
	ck_assert_uint_eq(vq.size, VIRTQ_MAX_SIZE);
	ck_assert(!vq.ready);
	ck_assert_uint_eq(vq.desc_gpa, 0);
}
END_TEST

START_TEST(enable_ring_bounds)
{
	/* Rings that end exactly at the end of RAM are fine. */
	vq.ready = false;
	vq.desc_gpa = RAM_SIZE - 16 * QSIZE;
	vq.avail_gpa = RAM_SIZE - (6 + 2 * QSIZE);
	vq.used_gpa = RAM_SIZE - 136;           /* 6 + 8 * 16 = 134, 4-aligned */
	vq.last_avail = 7;
	vq.used_idx = 9;
	ck_assert_int_eq(virtq_enable(&vq, &gm), 0);
	ck_assert(vq.ready);
	ck_assert_uint_eq(vq.last_avail, 0);
	ck_assert_uint_eq(vq.used_idx, 0);

	vq.desc_gpa = RAM_SIZE - 16 * QSIZE + 16;
	ck_assert_int_eq(virtq_enable(&vq, &gm), -1);
	ck_assert(!vq.ready);
	vq.desc_gpa = DESC_GPA;
	vq.avail_gpa = RAM_SIZE - (6 + 2 * QSIZE) + 2;
	ck_assert_int_eq(virtq_enable(&vq, &gm), -1);
	vq.avail_gpa = AVAIL_GPA;
	vq.used_gpa = RAM_SIZE - 132;
	ck_assert_int_eq(virtq_enable(&vq, &gm), -1);
	vq.used_gpa = 2 * RAM_SIZE;
	ck_assert_int_eq(virtq_enable(&vq, &gm), -1);
	vq.used_gpa = UINT64_MAX - 3;
	ck_assert_int_eq(virtq_enable(&vq, &gm), -1);
	vq.used_gpa = USED_GPA;
	vq.desc_gpa = 0xfffffffffffffff0ULL;
	ck_assert_int_eq(virtq_enable(&vq, &gm), -1);
	ck_assert(!vq.ready);
	vq.desc_gpa = DESC_GPA;
	ck_assert_int_eq(virtq_enable(&vq, &gm), 0);
}
END_TEST

START_TEST(enable_alignment)
{
	vq.desc_gpa = DESC_GPA + 8;
	ck_assert_int_eq(virtq_enable(&vq, &gm), -1);
	ck_assert(!vq.ready);
	vq.desc_gpa = DESC_GPA;
	vq.avail_gpa = AVAIL_GPA + 1;
	ck_assert_int_eq(virtq_enable(&vq, &gm), -1);
	vq.avail_gpa = AVAIL_GPA + 2;
	vq.used_gpa = USED_GPA + 2;
	ck_assert_int_eq(virtq_enable(&vq, &gm), -1);
	vq.used_gpa = USED_GPA + 4;
	ck_assert_int_eq(virtq_enable(&vq, &gm), 0);
}
END_TEST

START_TEST(pop_empty_and_not_ready)
{
	ck_assert_int_eq(pop(), 0);
	ck_assert_ptr_null(why);
	set_desc(0, 0x10000, 8, 0, 0);
	offer(0);
	vq.ready = false;
	ck_assert_int_eq(pop(), 0);
	vq.ready = true;
	ck_assert_int_eq(pop(), 1);
	ck_assert_int_eq(pop(), 0);
}
END_TEST

START_TEST(pop_two_descriptor_chain)
{
	set_desc(0, 0x10000, 100, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, 0x20000, 200, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	ck_assert_int_eq(pop(), 1);
	ck_assert_uint_eq(chain.head, 0);
	ck_assert_int_eq(chain.n, 2);
	ck_assert_ptr_eq(chain.seg[0].hva, ram + 0x10000);
	ck_assert_uint_eq(chain.seg[0].len, 100);
	ck_assert(!chain.seg[0].write);
	ck_assert_ptr_eq(chain.seg[1].hva, ram + 0x20000);
	ck_assert_uint_eq(chain.seg[1].len, 200);
	ck_assert(chain.seg[1].write);
	ck_assert_uint_eq(chain.readable, 100);
	ck_assert_uint_eq(chain.writable, 200);
	ck_assert_uint_eq(vq.last_avail, 1);
	ck_assert_int_eq(pop(), 0);
}
END_TEST

START_TEST(pop_in_order)
{
	set_desc(5, 0x10000, 10, VIRTQ_DESC_F_NEXT, 9);
	set_desc(9, 0x10100, 20, VIRTQ_DESC_F_NEXT, 2);
	set_desc(2, 0x10200, 30, VIRTQ_DESC_F_WRITE, 0);
	set_desc(7, 0x20000, 40, VIRTQ_DESC_F_WRITE, 0);
	offer(5);
	offer(7);
	ck_assert_int_eq(pop(), 1);
	ck_assert_uint_eq(chain.head, 5);
	ck_assert_int_eq(chain.n, 3);
	ck_assert_uint_eq(chain.readable, 30);
	ck_assert_uint_eq(chain.writable, 30);
	ck_assert_ptr_eq(chain.seg[2].hva, ram + 0x10200);
	ck_assert_int_eq(pop(), 1);
	ck_assert_uint_eq(chain.head, 7);
	ck_assert_int_eq(chain.n, 1);
	ck_assert_uint_eq(chain.readable, 0);
	ck_assert_uint_eq(chain.writable, 40);
	ck_assert_int_eq(pop(), 0);
}
END_TEST

START_TEST(pop_zero_length_skipped)
{
	set_desc(0, 0xdeadbeef00000000ULL, 0, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, 0x10000, 10, 0, 0);
	offer(0);
	ck_assert_int_eq(pop(), 1);
	ck_assert_int_eq(chain.n, 1);
	ck_assert_ptr_eq(chain.seg[0].hva, ram + 0x10000);
	ck_assert_uint_eq(chain.readable, 10);
}
END_TEST

START_TEST(pop_avail_index_jump)
{
	unsigned i;

	for (i = 0; i < QSIZE; i++)
		set_desc(i, 0x10000 + 64 * i, 64, 0, 0);
	put16(AVAIL_GPA + 2, QSIZE + 1);
	pop_fails("queue size");
	put16(AVAIL_GPA + 2, 0x8000);
	pop_fails("queue size");
	ck_assert_uint_eq(vq.last_avail, 0);
	/* Exactly a full ring is fine. */
	for (i = 0; i < QSIZE; i++)
		put16(AVAIL_GPA + 4 + 2 * i, (uint16_t)(QSIZE - 1 - i));
	put16(AVAIL_GPA + 2, QSIZE);
	for (i = 0; i < QSIZE; i++) {
		ck_assert_int_eq(pop(), 1);
		ck_assert_uint_eq(chain.head, QSIZE - 1 - i);
	}
	ck_assert_int_eq(pop(), 0);
}
END_TEST

START_TEST(pop_index_wraps)
{
	set_desc(2, 0x10000, 8, 0, 0);
	vq.last_avail = 0xffff;
	put16(AVAIL_GPA + 4 + 2 * (0xffff % QSIZE), 2);
	put16(AVAIL_GPA + 2, 0);
	ck_assert_int_eq(pop(), 1);
	ck_assert_uint_eq(chain.head, 2);
	ck_assert_uint_eq(vq.last_avail, 0);
	ck_assert_int_eq(pop(), 0);
}
END_TEST

START_TEST(pop_head_out_of_range)
{
	offer(QSIZE);
	pop_fails("head");
	put16(AVAIL_GPA + 4, 0xffff);
	pop_fails("head");
}
END_TEST

START_TEST(pop_next_out_of_range)
{
	set_desc(0, 0x10000, 8, VIRTQ_DESC_F_NEXT, QSIZE);
	offer(0);
	pop_fails("next");
	set_desc(0, 0x10000, 8, VIRTQ_DESC_F_NEXT, 0xffff);
	pop_fails("next");
}
END_TEST

START_TEST(pop_loops)
{
	set_desc(0, 0x10000, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, 0x10100, 8, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
	pop_fails("loop");
	/* A descriptor pointing at itself. */
	set_desc(0, 0x10000, 8, VIRTQ_DESC_F_NEXT, 0);
	pop_fails("loop");
	/* Empty descriptors in a loop take no segments: still caught. */
	ck_assert_int_eq(enable(256), 0);
	set_desc(0, 0, 0, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, 0, 0, VIRTQ_DESC_F_NEXT, 0);
	put16(AVAIL_GPA + 4, 0);
	put16(AVAIL_GPA + 2, 1);
	pop_fails("loop");
	/* With buffers, the segment limit trips first in a big ring. */
	set_desc(0, 0x10000, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, 0x10100, 8, VIRTQ_DESC_F_NEXT, 0);
	pop_fails("too long");
}
END_TEST

START_TEST(pop_buffer_outside_ram)
{
	set_desc(0, RAM_SIZE, 1, 0, 0);
	offer(0);
	pop_fails("outside");
	set_desc(0, RAM_SIZE - 10, 11, 0, 0);
	pop_fails("outside");
	set_desc(0, 0x10000, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, 0x80000000ULL, 8, VIRTQ_DESC_F_WRITE, 0);
	pop_fails("outside");
	/* The last bytes of RAM are fine. */
	set_desc(0, RAM_SIZE - 10, 10, 0, 0);
	ck_assert_int_eq(pop(), 1);
	ck_assert_ptr_eq(chain.seg[0].hva, ram + RAM_SIZE - 10);
}
END_TEST

START_TEST(pop_address_wraps)
{
	set_desc(0, 0xfffffffffffffff0ULL, 0x20, 0, 0);
	offer(0);
	pop_fails("outside");
	set_desc(0, 0x100, 0xffffffff, 0, 0);
	pop_fails("outside");
	set_desc(0, UINT64_MAX, 1, 0, 0);
	pop_fails("outside");
}
END_TEST

START_TEST(pop_indirect)
{
	set_desc(0, 0x10000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	pop_fails("indirect");
	set_desc(0, 0x10000, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, 0x10000, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	pop_fails("indirect");
}
END_TEST

static void long_chain(unsigned n)
{
	unsigned i;

	ck_assert_int_eq(enable(128), 0);
	for (i = 0; i < n; i++)
		set_desc(i, 0x10000 + i, 1, i + 1 < n ? VIRTQ_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	offer(0);
}

START_TEST(pop_chain_too_long)
{
	long_chain(VIRTQ_MAX_SEGS + 1);
	pop_fails("too long");
}
END_TEST

START_TEST(pop_chain_max_length)
{
	long_chain(VIRTQ_MAX_SEGS);
	ck_assert_int_eq(pop(), 1);
	ck_assert_int_eq(chain.n, VIRTQ_MAX_SEGS);
	ck_assert_uint_eq(chain.readable, VIRTQ_MAX_SEGS);
	ck_assert_ptr_eq(chain.seg[63].hva, ram + 0x10000 + 63);
}
END_TEST

START_TEST(pop_readable_after_writable)
{
	set_desc(0, 0x10000, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	set_desc(1, 0x10100, 8, 0, 0);
	offer(0);
	pop_fails("readable");
	/* Without an error pointer the failure is still reported. */
	ck_assert_int_eq(virtq_pop(&vq, &gm, &chain, NULL), -1);
}
END_TEST

START_TEST(push_used_ring)
{
	unsigned i;

	virtq_push(&vq, 5, 1234);
	ck_assert_uint_eq(get16(USED_GPA + 2), 1);
	ck_assert_uint_eq(get32(USED_GPA + 4), 5);
	ck_assert_uint_eq(get32(USED_GPA + 8), 1234);
	ck_assert_uint_eq(get16(USED_GPA), 0);
	virtq_push(&vq, 15, 0);
	ck_assert_uint_eq(get16(USED_GPA + 2), 2);
	ck_assert_uint_eq(get32(USED_GPA + 12), 15);
	ck_assert_uint_eq(get32(USED_GPA + 16), 0);
	/* The ring wraps; the index keeps counting. */
	for (i = 2; i < QSIZE; i++)
		virtq_push(&vq, 1, 1);
	virtq_push(&vq, 9, 99);
	ck_assert_uint_eq(get16(USED_GPA + 2), QSIZE + 1);
	ck_assert_uint_eq(get32(USED_GPA + 4), 9);
	ck_assert_uint_eq(get32(USED_GPA + 8), 99);
	ck_assert_uint_eq(get32(USED_GPA + 4 + 8 * QSIZE), 0);
	vq.used_idx = 0xffff;
	virtq_push(&vq, 3, 3);
	ck_assert_uint_eq(get16(USED_GPA + 2), 0);
}
END_TEST

START_TEST(chain_write_spreads)
{
	static const char msg[] = "ABCDEFGHIJKLMNOPQRST";

	memset(ram + 0x10000, 0xee, 4);
	set_desc(0, 0x10000, 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, 0x20000, 3, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	set_desc(2, 0x30000, 5, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	ck_assert_int_eq(pop(), 1);
	ck_assert_uint_eq(chain.writable, 8);

	ck_assert_uint_eq(virtq_chain_write(&chain, msg, 6), 6);
	ck_assert_mem_eq(ram + 0x20000, "ABC", 3);
	ck_assert_mem_eq(ram + 0x30000, "DEF", 3);
	ck_assert_uint_eq(ram[0x30003], 0);
	ck_assert_uint_eq(ram[0x10000], 0xee);

	ck_assert_uint_eq(virtq_chain_write(&chain, msg, 20), 8);
	ck_assert_mem_eq(ram + 0x20000, "ABC", 3);
	ck_assert_mem_eq(ram + 0x30000, "DEFGH", 5);
	ck_assert_uint_eq(ram[0x30005], 0);
	ck_assert_uint_eq(ram[0x20003], 0);
	ck_assert_mem_eq(ram + 0x10000, "\xee\xee\xee\xee", 4);

	ck_assert_uint_eq(virtq_chain_write(&chain, msg, 0), 0);
}
END_TEST

START_TEST(needs_interrupt)
{
	ck_assert(virtq_needs_interrupt(&vq));
	put16(AVAIL_GPA, VIRTQ_AVAIL_F_NO_INTERRUPT);
	ck_assert(!virtq_needs_interrupt(&vq));
	put16(AVAIL_GPA, 2);
	ck_assert(virtq_needs_interrupt(&vq));
	put16(AVAIL_GPA, 0xffff);
	ck_assert(!virtq_needs_interrupt(&vq));
}
END_TEST

/* What the device writes into guest RAM, the used ring and the buffers of
 * a chain, is noted for a live migration (KVM's dirty log does not see
 * it): only those pages. */
START_TEST(host_writes_noted_for_migration)
{
	uint64_t bits[RAM_SIZE / 4096 / 64] = { 0 };
	const char msg[] = "hello";

	ck_assert_int_eq(enable(QSIZE), 0);
	gm.host_dirty[0] = bits;
	set_desc(0, 0x9000, 64, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	ck_assert_int_eq(virtq_pop(&vq, &gm, &chain, &why), 1);
	ck_assert_uint_eq(virtq_chain_write(&chain, msg, sizeof(msg)), sizeof(msg));
	virtq_push(&vq, chain.head, sizeof(msg));
	ck_assert_uint_eq(bits[0], (1ULL << (USED_GPA / 4096)) | (1ULL << (0x9000 / 4096)));
	gm.host_dirty[0] = NULL;
}
END_TEST

Suite *virtqueue_suite(void)
{
	Suite *s = suite_create("virtqueue");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, enable_sizes);
	tcase_add_test(tc, host_writes_noted_for_migration);
	tcase_add_test(tc, enable_ring_bounds);
	tcase_add_test(tc, enable_alignment);
	tcase_add_test(tc, pop_empty_and_not_ready);
	tcase_add_test(tc, pop_two_descriptor_chain);
	tcase_add_test(tc, pop_in_order);
	tcase_add_test(tc, pop_zero_length_skipped);
	tcase_add_test(tc, pop_avail_index_jump);
	tcase_add_test(tc, pop_index_wraps);
	tcase_add_test(tc, pop_head_out_of_range);
	tcase_add_test(tc, pop_next_out_of_range);
	tcase_add_test(tc, pop_loops);
	tcase_add_test(tc, pop_buffer_outside_ram);
	tcase_add_test(tc, pop_address_wraps);
	tcase_add_test(tc, pop_indirect);
	tcase_add_test(tc, pop_chain_too_long);
	tcase_add_test(tc, pop_chain_max_length);
	tcase_add_test(tc, pop_readable_after_writable);
	tcase_add_test(tc, push_used_ring);
	tcase_add_test(tc, chain_write_spreads);
	tcase_add_test(tc, needs_interrupt);
	suite_add_tcase(s, tc);
	return s;
}
