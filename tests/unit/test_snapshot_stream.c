/* Tests of the snapshot stream (vmm/snapshot/): the serialisation cursor,
 * and the machine's shape with its comparison and every mismatch's
 * wording. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include "suites.h"
#include "../../vmm/snapshot/cursor.h"
#include "../../vmm/snapshot/shape.h"
#include "../../vmm/snapshot/stream.h"

static char err[SNAPSHOT_ERR_LEN];

/* ---- the cursor ---- */

START_TEST(test_cursor_round_trip)
{
	static const uint8_t want[] = {
		0x5a, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12,
		0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
		'a', 'b', 'c', 3, 'p', 't', '0', 0,
	};
	struct snap_out o;
	struct snap_in in;
	uint8_t blob[3];
	char s[8], e[4];

	snap_out_init(&o);
	snap_put_u8(&o, 0x5a);
	snap_put_u16(&o, 0x1234);
	snap_put_u32(&o, 0x12345678);
	snap_put_u64(&o, 0x0123456789abcdefULL);
	snap_put_bytes(&o, "abc", 3);
	snap_put_str(&o, "pt0");
	snap_put_str(&o, "");
	ck_assert_int_eq(snap_out_error(&o), 0);
	ck_assert_uint_eq(o.len, sizeof(want));
	ck_assert_mem_eq(o.buf, want, sizeof(want));

	snap_in_init(&in, o.buf, o.len, 0);
	ck_assert_uint_eq(snap_get_u8(&in), 0x5a);
	ck_assert_uint_eq(snap_get_u16(&in), 0x1234);
	ck_assert_uint_eq(snap_get_u32(&in), 0x12345678);
	ck_assert_uint_eq(snap_get_u64(&in), 0x0123456789abcdefULL);
	snap_get_bytes(&in, blob, 3);
	ck_assert_mem_eq(blob, "abc", 3);
	snap_get_str(&in, s, sizeof(s));
	ck_assert_str_eq(s, "pt0");
	snap_get_str(&in, e, sizeof(e));
	ck_assert_str_eq(e, "");
	ck_assert_uint_eq(snap_in_left(&in), 0);
	ck_assert_int_eq(snap_in_finish(&in, "x", err, sizeof(err)), 0);

	snap_out_reset(&o);
	ck_assert_uint_eq(o.len, 0);
	snap_out_free(&o);
}
END_TEST

START_TEST(test_cursor_grows)
{
	struct snap_out o;
	struct snap_in in;
	unsigned i;

	snap_out_init(&o);
	for (i = 0; i < 100000; i++)
		snap_put_u32(&o, i * 7);
	ck_assert_int_eq(snap_out_error(&o), 0);
	ck_assert_uint_eq(o.len, 400000);
	snap_in_init(&in, o.buf, o.len, 0);
	for (i = 0; i < 100000; i++)
		ck_assert_uint_eq(snap_get_u32(&in), i * 7);
	ck_assert_int_eq(snap_in_finish(&in, "x", err, sizeof(err)), 0);
	snap_out_free(&o);
}
END_TEST

START_TEST(test_cursor_short_is_sticky)
{
	static const uint8_t b[] = { 1, 2, 3 };
	struct snap_in in;
	uint8_t blob[4] = { 9, 9, 9, 9 };

	snap_in_init(&in, b, sizeof(b), 100);
	ck_assert_uint_eq(snap_get_u8(&in), 1);
	ck_assert_uint_eq(snap_get_u32(&in), 0);
	ck_assert(snap_in_failed(&in));
	/* what fits now comes back as zero: the error is sticky */
	ck_assert_uint_eq(snap_get_u8(&in), 0);
	snap_get_bytes(&in, blob, sizeof(blob));
	ck_assert_mem_eq(blob, "\0\0\0\0", 4);
	ck_assert_ptr_null(snap_get_span(&in, 1));
	ck_assert_int_eq(snap_in_finish(&in, "device serial0's state", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "device serial0's state is too short: it ends at byte 103, "
			 "a field at byte 101 needs 4 bytes");
}
END_TEST

START_TEST(test_cursor_leftover)
{
	static const uint8_t b[] = { 1, 2, 3, 4, 5, 6 };
	struct snap_in in;

	snap_in_init(&in, b, sizeof(b), 0);
	ck_assert_uint_eq(snap_get_u32(&in), 0x04030201);
	ck_assert_int_eq(snap_in_finish(&in, "the clock", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the clock has 2 bytes more than its fields (they end at byte 4)");
}
END_TEST

START_TEST(test_cursor_bad_strings)
{
	static const uint8_t ctl[] = { 3, 'a', '\n', 'b', 7 };
	static const uint8_t nul[] = { 2, 'a', 0 };
	static const uint8_t longer[] = { 4, 'a', 'b', 'c', 'd' };
	static const uint8_t high[] = { 1, 0xc3 };
	struct snap_in in;
	char s[4] = "zz";

	snap_in_init(&in, ctl, sizeof(ctl), 10);
	snap_get_str(&in, s, sizeof(s));
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(snap_get_u8(&in), 0);
	ck_assert_int_eq(snap_in_finish(&in, "the header", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the header has a bad string at byte 10 "
			 "(too long, or not printable ASCII)");

	snap_in_init(&in, nul, sizeof(nul), 0);
	snap_get_str(&in, s, sizeof(s));
	ck_assert(snap_in_failed(&in));
	snap_in_init(&in, high, sizeof(high), 0);
	snap_get_str(&in, s, sizeof(s));
	ck_assert(snap_in_failed(&in));
	/* four characters need five bytes with the NUL */
	snap_in_init(&in, longer, sizeof(longer), 0);
	snap_get_str(&in, s, sizeof(s));
	ck_assert_int_eq(in.err, SNAP_IN_BAD_STRING);
	snap_in_init(&in, longer, 3, 0);
	snap_get_str(&in, s, sizeof(s));
	ck_assert_int_eq(in.err, SNAP_IN_SHORT);
}
END_TEST

START_TEST(test_cursor_put_str_rules)
{
	char s[SNAP_STR_MAX + 2], back[SNAP_STR_MAX + 1];
	struct snap_out o;
	struct snap_in in;

	memset(s, 'x', SNAP_STR_MAX);
	s[SNAP_STR_MAX] = '\0';
	snap_out_init(&o);
	snap_put_str(&o, s);
	ck_assert_int_eq(snap_out_error(&o), 0);
	ck_assert_uint_eq(o.len, 1 + SNAP_STR_MAX);
	snap_in_init(&in, o.buf, o.len, 0);
	snap_get_str(&in, back, sizeof(back));
	ck_assert_str_eq(back, s);
	ck_assert_int_eq(snap_in_finish(&in, "x", err, sizeof(err)), 0);

	s[SNAP_STR_MAX] = 'x';
	s[SNAP_STR_MAX + 1] = '\0';
	ck_assert(!snap_str_ok(s));
	snap_put_str(&o, s);
	ck_assert_int_eq(snap_out_error(&o), -EINVAL);
	/* sticky: later puts are dropped */
	snap_put_u8(&o, 1);
	ck_assert_uint_eq(o.len, 1 + SNAP_STR_MAX);
	snap_out_reset(&o);
	snap_put_str(&o, "tab\there");
	ck_assert_int_eq(snap_out_error(&o), -EINVAL);
	snap_out_free(&o);
}
END_TEST

START_TEST(test_cursor_caller_refuses)
{
	static const uint8_t b[] = { 40, 0, 0, 0, 1 };
	struct snap_in in;

	snap_in_init(&in, b, sizeof(b), 20);
	if (snap_get_u32(&in) > 23)
		snap_in_fail(&in, "an IRQ line above 23");
	snap_get_u32(&in);      /* short too, but the first error stays */
	ck_assert_int_eq(snap_in_finish(&in, "device pt0's state", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "device pt0's state is invalid: an IRQ line above 23 "
			 "(the field before byte 24)");
}
END_TEST

/* ---- the machine's shape ---- */

/* Two RAM ranges (2 MiB below 4 GiB, 1 MiB above), 2 vCPUs, and three
 * devices: the shape the stream tests write and expect. */
static void sample_shape(struct snapshot_shape *s)
{
	snapshot_shape_init(s);
	ck_assert_int_eq(snapshot_shape_add_ram(s, 0, 2 << 20), 0);
	ck_assert_int_eq(snapshot_shape_add_ram(s, 1ULL << 32, 1 << 20), 0);
	ck_assert_int_eq(snapshot_shape_set_vcpus(s, 2), 0);
	ck_assert_int_eq(snapshot_shape_add_device(s, "serial0", "serial", "",
						   SNAPSHOT_NO_SLOT), 0);
	ck_assert_int_eq(snapshot_shape_add_device(s, "vcon", "virtio-console", "", 2), 0);
	ck_assert_int_eq(snapshot_shape_add_device(s, "pt0", "vfio-mdev", "mtty-2", 3), 0);
}

START_TEST(test_shape_rules)
{
	struct snapshot_shape s;
	char name[SNAPSHOT_NAME_MAX + 2];
	unsigned i;

	snapshot_shape_init(&s);
	ck_assert_int_eq(snapshot_shape_add_ram(&s, 0x1000, 0), -EINVAL);
	ck_assert_int_eq(snapshot_shape_add_ram(&s, UINT64_MAX - 4095, 8192), -EINVAL);
	ck_assert_int_eq(snapshot_shape_add_ram(&s, UINT64_MAX - 4095, 4096), 0);
	snapshot_shape_init(&s);
	ck_assert_int_eq(snapshot_shape_add_ram(&s, 0x100000, 0x100000), 0);
	ck_assert_int_eq(snapshot_shape_add_ram(&s, 0x1fffff, 0x1000), -EINVAL);
	ck_assert_int_eq(snapshot_shape_add_ram(&s, 0, 0x1000), -EINVAL);
	ck_assert_int_eq(snapshot_shape_add_ram(&s, 0x200000, 0x1000), 0);
	for (i = 2; i < SNAPSHOT_MAX_RAM; i++)
		ck_assert_int_eq(snapshot_shape_add_ram(&s, (uint64_t)i << 30, 0x1000), 0);
	ck_assert_int_eq(snapshot_shape_add_ram(&s, 1ULL << 40, 0x1000), -ENOSPC);
	ck_assert_uint_eq(snapshot_shape_ram_total(&s), 0x100000 + 7 * 0x1000);
	ck_assert(snapshot_shape_has_ram(&s, 0x100000, 0x100000));
	ck_assert(!snapshot_shape_has_ram(&s, 0x100000, 0x100001));
	ck_assert(!snapshot_shape_has_ram(&s, 0x1ff000, 0x2000));       /* spans two */
	ck_assert(!snapshot_shape_has_ram(&s, 0x100000, 0));
	ck_assert(!snapshot_shape_has_ram(&s, UINT64_MAX, 2));

	ck_assert_int_eq(snapshot_shape_set_vcpus(&s, 0), -EINVAL);
	ck_assert_int_eq(snapshot_shape_set_vcpus(&s, SNAPSHOT_MAX_VCPUS + 1), -EINVAL);
	ck_assert_int_eq(snapshot_shape_set_vcpus(&s, SNAPSHOT_MAX_VCPUS), 0);

	ck_assert_int_eq(snapshot_shape_add_device(&s, "pt0", "vfio-pci", "1b36:0010", 3), 0);
	ck_assert_int_eq(snapshot_shape_add_device(&s, "pt0", "vfio-pci", "1b36:0010", 4), -EINVAL);
	ck_assert_int_eq(snapshot_shape_add_device(&s, "pt1", "vfio-pci", "1b36:0010", 3), -EINVAL);
	ck_assert_int_eq(snapshot_shape_add_device(&s, "pt1", "vfio-pci", "", 32), -EINVAL);
	ck_assert_int_eq(snapshot_shape_add_device(&s, "", "serial", "", SNAPSHOT_NO_SLOT), -EINVAL);
	ck_assert_int_eq(snapshot_shape_add_device(&s, "s", "", "", SNAPSHOT_NO_SLOT), -EINVAL);
	ck_assert_int_eq(snapshot_shape_add_device(&s, "s\n", "serial", "", SNAPSHOT_NO_SLOT),
			 -EINVAL);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(snapshot_shape_add_device(&s, name, "serial", "", SNAPSHOT_NO_SLOT),
			 -EINVAL);
	name[SNAPSHOT_NAME_MAX] = '\0';
	ck_assert_int_eq(snapshot_shape_add_device(&s, name, "serial", "", SNAPSHOT_NO_SLOT), 0);
	ck_assert_int_eq(snapshot_shape_find(&s, name), 1);
	ck_assert_int_eq(snapshot_shape_find(&s, "pt0"), 0);
	ck_assert_int_eq(snapshot_shape_find(&s, "pt1"), -1);
	for (i = 2; i < SNAPSHOT_MAX_DEVICES; i++) {
		snprintf(name, sizeof(name), "d%u", i);
		ck_assert_int_eq(snapshot_shape_add_device(&s, name, "serial", "",
							   SNAPSHOT_NO_SLOT), 0);
	}
	ck_assert_int_eq(snapshot_shape_add_device(&s, "last", "serial", "", SNAPSHOT_NO_SLOT),
			 -ENOSPC);
}
END_TEST

START_TEST(test_shape_encode_decode)
{
	static const uint8_t want_start[] = {
		2,                                      /* RAM ranges */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0,
		2, 0,                                   /* vCPUs */
		3,                                      /* devices */
		7, 's', 'e', 'r', 'i', 'a', 'l', '0', 6, 's', 'e', 'r', 'i', 'a', 'l',
		0xff, 0,
	};
	struct snapshot_shape s, back;
	struct snap_out o;
	struct snap_in in;

	sample_shape(&s);
	snap_out_init(&o);
	snapshot_shape_encode(&s, &o);
	ck_assert_int_eq(snap_out_error(&o), 0);
	ck_assert_mem_eq(o.buf, want_start, sizeof(want_start));
	snap_in_init(&in, o.buf, o.len, 0);
	ck_assert_int_eq(snapshot_shape_decode(&in, &back, err, sizeof(err)), 0);
	ck_assert_mem_eq(&back, &s, sizeof(s));
	ck_assert_str_eq(back.dev[2].identity, "mtty-2");
	ck_assert_uint_eq(back.dev[2].slot, 3);
	snap_out_free(&o);
}
END_TEST

/* Decode len bytes at 16 (where the header puts the shape). */
static int decode(const uint8_t *b, size_t len)
{
	struct snapshot_shape s;
	struct snap_in in;

	snap_in_init(&in, b, len, 16);
	return snapshot_shape_decode(&in, &s, err, sizeof(err));
}

START_TEST(test_shape_decode_damaged)
{
	static const uint8_t too_many_ram[] = { 9 };
	static const uint8_t overlap[] = {
		2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0,
		0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0,
	};
	static const uint8_t no_vcpus[] = { 0, 0, 0, 0 };
	static const uint8_t many_devices[] = { 0, 1, 0, 65 };
	static const uint8_t dup_id[] = {
		0, 1, 0, 2, 1, 'a', 1, 'k', 0xff, 0, 1, 'a', 1, 'k', 0xff, 0,
	};
	static const uint8_t bad_slot[] = { 0, 1, 0, 1, 1, 'a', 1, 'k', 32, 0 };
	static const uint8_t extra[] = { 0, 1, 0, 0, 0xee };
	static const uint8_t short_dev[] = { 0, 1, 0, 1, 1, 'a' };

	ck_assert_int_eq(decode(too_many_ram, sizeof(too_many_ram)), -1);
	ck_assert_str_eq(err, "the snapshot's header is damaged: more RAM ranges than "
			 "conduit takes (before byte 17)");
	ck_assert_int_eq(decode(overlap, sizeof(overlap)), -1);
	ck_assert_str_eq(err, "the snapshot's header is damaged: a RAM range empty, "
			 "wrapping or out of order (before byte 49)");
	ck_assert_int_eq(decode(no_vcpus, sizeof(no_vcpus)), -1);
	ck_assert_str_eq(err, "the snapshot's header is damaged: no vCPUs, or more than "
			 "conduit takes (before byte 19)");
	ck_assert_int_eq(decode(many_devices, sizeof(many_devices)), -1);
	ck_assert_str_eq(err, "the snapshot's header is damaged: more devices than "
			 "conduit takes (before byte 20)");
	ck_assert_int_eq(decode(dup_id, sizeof(dup_id)), -1);
	ck_assert_str_eq(err, "the snapshot's header is damaged: a device with an empty or "
			 "repeated id or kind, or a bad or repeated slot (before byte 32)");
	ck_assert_int_eq(decode(bad_slot, sizeof(bad_slot)), -1);
	ck_assert_str_eq(err, "the snapshot's header is damaged: a device with an empty or "
			 "repeated id or kind, or a bad or repeated slot (before byte 26)");
	ck_assert_int_eq(decode(extra, sizeof(extra)), -1);
	ck_assert_str_eq(err, "the snapshot's header has 1 bytes more than its fields "
			 "(they end at byte 20)");
	ck_assert_int_eq(decode(short_dev, sizeof(short_dev)), -1);
	ck_assert_str_eq(err, "the snapshot's header is too short: it ends at byte 22, "
			 "a field at byte 22 needs 1 bytes");
}
END_TEST

/* The mismatch message when the snapshot has got and this machine want. */
static const char *mismatch(const struct snapshot_shape *want, const struct snapshot_shape *got)
{
	err[0] = '\0';
	ck_assert_int_eq(snapshot_shape_check(want, got, err, sizeof(err)), -1);
	ck_assert_ptr_null(strchr(err, '\n'));
	return err;
}

START_TEST(test_shape_match)
{
	struct snapshot_shape a, b;

	sample_shape(&a);
	sample_shape(&b);
	ck_assert_int_eq(snapshot_shape_check(&a, &b, err, sizeof(err)), 0);
	/* devices match by id, whatever their order */
	snapshot_shape_init(&b);
	snapshot_shape_add_ram(&b, 0, 2 << 20);
	snapshot_shape_add_ram(&b, 1ULL << 32, 1 << 20);
	snapshot_shape_set_vcpus(&b, 2);
	snapshot_shape_add_device(&b, "pt0", "vfio-mdev", "mtty-2", 3);
	snapshot_shape_add_device(&b, "vcon", "virtio-console", "", 2);
	snapshot_shape_add_device(&b, "serial0", "serial", "", SNAPSHOT_NO_SLOT);
	ck_assert_int_eq(snapshot_shape_check(&a, &b, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_shape_mismatch_ram)
{
	struct snapshot_shape want, got;

	snapshot_shape_init(&want);
	snapshot_shape_add_ram(&want, 0, 512 << 20);
	snapshot_shape_set_vcpus(&want, 1);
	snapshot_shape_init(&got);
	snapshot_shape_add_ram(&got, 0, 1024 << 20);
	snapshot_shape_set_vcpus(&got, 1);
	ck_assert_str_eq(mismatch(&want, &got),
			 "the snapshot's guest has 1024 MiB of RAM, this machine 512 MiB (--memory)");

	snapshot_shape_init(&got);
	snapshot_shape_add_ram(&got, 0, (512 << 20) + 4096);
	snapshot_shape_set_vcpus(&got, 1);
	ck_assert_str_eq(mismatch(&want, &got), "the snapshot's guest has 536875008 bytes "
			 "of RAM, this machine 512 MiB (--memory)");

	snapshot_shape_init(&got);
	snapshot_shape_add_ram(&got, 0, 256 << 20);
	snapshot_shape_add_ram(&got, 1ULL << 32, 256 << 20);
	snapshot_shape_set_vcpus(&got, 1);
	ck_assert_str_eq(mismatch(&want, &got), "the snapshot's guest RAM range 1 is "
			 "0x0-0xfffffff, this machine's 0x0-0x1fffffff "
			 "(the same size laid out otherwise: another conduit?)");
}
END_TEST

START_TEST(test_shape_mismatch_vcpus)
{
	struct snapshot_shape want, got;

	sample_shape(&got);
	sample_shape(&want);
	snapshot_shape_set_vcpus(&want, 1);
	ck_assert_str_eq(mismatch(&want, &got), "the snapshot has 2 vCPUs, this machine 1 (--cpus)");
	snapshot_shape_set_vcpus(&want, 4);
	snapshot_shape_set_vcpus(&got, 1);
	ck_assert_str_eq(mismatch(&want, &got), "the snapshot has 1 vCPU, this machine 4 (--cpus)");
}
END_TEST

/* A one-device machine with the sample's RAM and vCPUs. */
static void one_device(struct snapshot_shape *s, const char *id, const char *kind,
		       const char *identity, unsigned slot)
{
	snapshot_shape_init(s);
	snapshot_shape_add_ram(s, 0, 2 << 20);
	snapshot_shape_set_vcpus(s, 1);
	if (id)
		ck_assert_int_eq(snapshot_shape_add_device(s, id, kind, identity, slot), 0);
}

START_TEST(test_shape_mismatch_devices)
{
	struct snapshot_shape want, got;

	one_device(&got, "pt0", "vfio-pci", "1b36:0010", 3);
	one_device(&want, NULL, NULL, NULL, 0);
	ck_assert_str_eq(mismatch(&want, &got), "the snapshot has device pt0 (vfio-pci 1b36:0010 "
			 "at slot 3), this machine has none: give the same --passthrough");
	ck_assert_str_eq(mismatch(&got, &want), "this machine has device pt0 (vfio-pci "
			 "1b36:0010 at slot 3), the snapshot has none: leave out its --passthrough");

	one_device(&want, "pt0", "vfio-pci", "8086:100e", 3);
	ck_assert_str_eq(mismatch(&want, &got),
			 "device pt0 is vfio-pci 1b36:0010 in the snapshot and 8086:100e here");
	one_device(&want, "pt0", "vfio-pci", "1b36:0010", 4);
	ck_assert_str_eq(mismatch(&want, &got), "device pt0 is at slot 3 in the snapshot and "
			 "at slot 4 here (give the devices in the same order)");
	one_device(&want, "pt0", "vfio-mdev", "mtty-2", 3);
	ck_assert_str_eq(mismatch(&want, &got),
			 "device pt0 is of kind vfio-pci in the snapshot and vfio-mdev here");

	one_device(&got, "pt0", "vfio-mdev", "mtty-2", 3);
	one_device(&want, "pt0", "vfio-mdev", "mtty-1", 3);
	ck_assert_str_eq(mismatch(&want, &got),
			 "device pt0 is an mdev of type mtty-2 in the snapshot and mtty-1 here");

	one_device(&got, "serial0", "serial", "", SNAPSHOT_NO_SLOT);
	one_device(&want, "serial0", "serial", "16550a", SNAPSHOT_NO_SLOT);
	ck_assert_str_eq(mismatch(&want, &got),
			 "device serial0 (serial) is \"\" in the snapshot and \"16550a\" here");
	one_device(&want, "serial0", "serial", "", 5);
	ck_assert_str_eq(mismatch(&want, &got), "device serial0 is on no PCI slot in the "
			 "snapshot and at slot 5 here (give the devices in the same order)");
	one_device(&want, "vcon", "virtio-console", "", 2);
	ck_assert_str_eq(mismatch(&want, &got), "the snapshot has device serial0 (serial), "
			 "this machine has none: give the same device options");
	one_device(&got, NULL, NULL, NULL, 0);
	ck_assert_str_eq(mismatch(&want, &got), "this machine has device vcon (virtio-console "
			 "at slot 2), the snapshot has none: leave out its option");
}
END_TEST

START_TEST(test_shape_mismatch_order)
{
	struct snapshot_shape want, got;

	/* RAM is named before vCPUs, vCPUs before devices */
	one_device(&got, "pt0", "vfio-pci", "1b36:0010", 3);
	snapshot_shape_set_vcpus(&got, 2);
	one_device(&want, NULL, NULL, NULL, 0);
	ck_assert_str_eq(mismatch(&want, &got), "the snapshot has 2 vCPUs, this machine 1 (--cpus)");
	snapshot_shape_init(&want);
	snapshot_shape_add_ram(&want, 0, 4 << 20);
	snapshot_shape_set_vcpus(&want, 1);
	ck_assert_str_eq(mismatch(&want, &got),
			 "the snapshot's guest has 2 MiB of RAM, this machine 4 MiB (--memory)");
}
END_TEST

Suite *snapshot_stream_suite(void)
{
	Suite *s = suite_create("snapshot_stream");
	TCase *tc = tcase_create("cursor");

	tcase_add_test(tc, test_cursor_round_trip);
	tcase_add_test(tc, test_cursor_grows);
	tcase_add_test(tc, test_cursor_short_is_sticky);
	tcase_add_test(tc, test_cursor_leftover);
	tcase_add_test(tc, test_cursor_bad_strings);
	tcase_add_test(tc, test_cursor_put_str_rules);
	tcase_add_test(tc, test_cursor_caller_refuses);
	suite_add_tcase(s, tc);

	tc = tcase_create("shape");
	tcase_add_test(tc, test_shape_rules);
	tcase_add_test(tc, test_shape_encode_decode);
	tcase_add_test(tc, test_shape_decode_damaged);
	tcase_add_test(tc, test_shape_match);
	tcase_add_test(tc, test_shape_mismatch_ram);
	tcase_add_test(tc, test_shape_mismatch_vcpus);
	tcase_add_test(tc, test_shape_mismatch_devices);
	tcase_add_test(tc, test_shape_mismatch_order);
	suite_add_tcase(s, tc);
	return s;
}
