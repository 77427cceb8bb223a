/* Tests of the snapshot stream (vmm/snapshot/): the serialisation cursor,
 * the machine's shape and its comparison, and the stream's writer and
 * reader, through a file, a pipe and memory, with every error's wording. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>
#include "suites.h"
#include "../../vmm/snapshot/checksum.h"
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

/* A --bios machine has cmos and fw-cfg parts: a restore with or without
 * --bios against the snapshot's is refused naming the option. */
START_TEST(test_shape_mismatch_bios)
{
	struct snapshot_shape want, got;

	one_device(&got, "fw-cfg", "fw-cfg", "", SNAPSHOT_NO_SLOT);
	one_device(&want, NULL, NULL, NULL, 0);
	ck_assert_str_eq(mismatch(&want, &got), "the snapshot has device fw-cfg (fw-cfg), this "
			 "machine has none: give --bios (the snapshot's guest was booted with it)");
	ck_assert_str_eq(mismatch(&got, &want), "this machine has device fw-cfg (fw-cfg), the "
			 "snapshot has none: leave out --bios (the snapshot's guest was booted "
			 "without it)");
	one_device(&got, "cmos", "cmos", "", SNAPSHOT_NO_SLOT);
	ck_assert_str_eq(mismatch(&want, &got), "the snapshot has device cmos (cmos), this "
			 "machine has none: give --bios (the snapshot's guest was booted with it)");
	one_device(&want, "cmos", "cmos", "", SNAPSHOT_NO_SLOT);
	ck_assert_int_eq(snapshot_shape_check(&want, &got, (char[8]){0}, 8), 0);
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

/* ---- the stream ---- */

#define LOW_RAM  (2U << 20)
#define HIGH_RAM (1U << 20)
#define HIGH_GPA (1ULL << 32)

/* What a loader's callback saw, as a device would read it. */
struct collect {
	unsigned n[SNAPSHOT_REC_END + 1];
	unsigned calls;
	uint8_t *ram;                   /* LOW_RAM + HIGH_RAM, as the guest has it */
	uint64_t rip[2];
	unsigned serial_ier, serial_lcr;
	unsigned vcon_queue;
	char vcon_name[16];
	uint8_t pt_config[64];
	char data[64];                  /* pt0's device data, in order */
	size_t data_len;
	unsigned refuse_at;             /* refuse that record (1 is the first) */
	unsigned ram_in_place;          /* ram records whose data was in c->ram */
	bool refuse_quietly;
};

static uint8_t *ram_at(struct collect *c, uint64_t gpa)
{
	return gpa < LOW_RAM ? c->ram + gpa : c->ram + LOW_RAM + (gpa - HIGH_GPA);
}

static int load_device(struct collect *c, const struct snapshot_record *rec,
		       char *e, size_t elen)
{
	char what[96];
	struct snap_in in;

	snap_in_init(&in, rec->data, rec->len, rec->offset + SNAPSHOT_REC_HDR_LEN);
	snprintf(what, sizeof(what), "device %s's state", rec->dev->id);
	if (!strcmp(rec->dev->id, "serial0")) {
		c->serial_ier = snap_get_u8(&in);
		c->serial_lcr = snap_get_u8(&in);
	} else if (!strcmp(rec->dev->id, "vcon")) {
		c->vcon_queue = snap_get_u16(&in);
		snap_get_str(&in, c->vcon_name, sizeof(c->vcon_name));
	} else {
		snap_get_bytes(&in, c->pt_config, sizeof(c->pt_config));
	}
	return snap_in_finish(&in, what, e, elen);
}

static int collect_fn(void *opaque, const struct snapshot_record *rec, char *e, size_t elen)
{
	struct collect *c = opaque;
	struct snap_in in;

	c->calls++;
	if (c->calls == c->refuse_at) {
		if (!c->refuse_quietly)
			snprintf(e, elen, "record %u: no thanks", rec->seq);
		return -1;
	}
	ck_assert_uint_eq(rec->seq, c->calls);
	c->n[rec->type]++;
	switch (rec->type) {
	case SNAPSHOT_REC_RAM:
		c->ram_in_place += rec->data == ram_at(c, rec->gpa);
		if (rec->data != ram_at(c, rec->gpa))
			memcpy(ram_at(c, rec->gpa), rec->data, rec->len);
		return 0;
	case SNAPSHOT_REC_VCPU:
		snap_in_init(&in, rec->data, rec->len, 0);
		c->rip[rec->index] = snap_get_u64(&in);
		snap_get_u64(&in);
		return snap_in_finish(&in, "a vCPU's state", e, elen);
	case SNAPSHOT_REC_DEVICE_STATE:
		return load_device(c, rec, e, elen);
	case SNAPSHOT_REC_DEVICE_DATA:
		ck_assert_str_eq(rec->dev->id, "pt0");
		ck_assert_uint_le(c->data_len + rec->len, sizeof(c->data) - 1);
		memcpy(c->data + c->data_len, rec->data, rec->len);
		c->data_len += rec->len;
		return 0;
	default:
		return 0;
	}
}

/* Forget what an earlier load handed over (RAM stays as it is). */
static void collect_reset(struct collect *c)
{
	memset(c->n, 0, sizeof(c->n));
	c->calls = 0;
	c->ram_in_place = 0;
	c->data_len = 0;
}

static void collect_init(struct collect *c)
{
	memset(c, 0, sizeof(*c));
	c->ram = calloc(1, LOW_RAM + HIGH_RAM);
	ck_assert_ptr_nonnull(c->ram);
}

/* The guest RAM the sample writes: a pattern no two pages share. */
static uint8_t *sample_ram(void)
{
	uint8_t *ram = malloc(LOW_RAM + HIGH_RAM);
	size_t i;

	ck_assert_ptr_nonnull(ram);
	for (i = 0; i < LOW_RAM + HIGH_RAM; i++)
		ram[i] = (uint8_t)(i * 31 + (i >> 12) * 7);
	return ram;
}

static void write_vcpu(struct snapshot_writer *w, unsigned i)
{
	struct snap_out o;

	snap_out_init(&o);
	snap_put_u64(&o, 0x1000 + i);
	snap_put_u64(&o, 0x7000);
	ck_assert_int_eq(snapshot_write_record(w, SNAPSHOT_REC_VCPU, i, o.buf, o.len), 0);
	snap_out_free(&o);
}

static void write_devices(struct snapshot_writer *w)
{
	uint8_t cfg[64];
	struct snap_out o;
	unsigned i;

	snap_out_init(&o);
	snap_put_u8(&o, 0x0f);
	snap_put_u8(&o, 0x03);
	ck_assert_int_eq(snapshot_write_record(w, SNAPSHOT_REC_DEVICE_STATE, 0, o.buf, o.len), 0);
	snap_out_reset(&o);
	snap_put_u16(&o, 256);
	snap_put_str(&o, "rx0");
	ck_assert_int_eq(snapshot_write_record(w, SNAPSHOT_REC_DEVICE_STATE, 1, o.buf, o.len), 0);
	snap_out_free(&o);
	for (i = 0; i < sizeof(cfg); i++)
		cfg[i] = (uint8_t)(0xa0 + i);
	ck_assert_int_eq(snapshot_write_record(w, SNAPSHOT_REC_DEVICE_STATE, 2, cfg, sizeof(cfg)), 0);
	ck_assert_int_eq(snapshot_write_record(w, SNAPSHOT_REC_DEVICE_DATA, 2, "hello ", 6), 0);
	ck_assert_int_eq(snapshot_write_record(w, SNAPSHOT_REC_DEVICE_DATA, 2, "mtty", 4), 0);
}

/* A pace for the sample's writer (NULL: none), and what it was asked. */
static snapshot_pace_fn sample_pace;
static size_t paced_bytes, paced_calls;

/* At most 1000 bytes at a time, as a slow link's throttle grants them. */
static ssize_t pace_1000(void *opaque, size_t len)
{
	ck_assert_ptr_null(opaque);
	ck_assert_uint_gt(len, 0);
	paced_calls++;
	len = len < 1000 ? len : 1000;
	paced_bytes += len;
	return (ssize_t)len;
}

static ssize_t pace_reset(void *opaque, size_t len)
{
	paced_calls++;
	return -ECONNRESET;
}

/* The sample stream: all of RAM when big (the low 2 MiB cut into two
 * records), else 16 bytes at 0x1000 and 8 at 4 GiB. */
static void write_sample(int fd, const struct snapshot_shape *s, const uint8_t *ram, bool big)
{
	uint8_t irq[32] = { 1, 2, 3 }, clock[SNAPSHOT_CLOCK_LEN] = { 0x40 };
	struct snapshot_writer w;

	ck_assert_int_eq(snapshot_writer_open(&w, fd, s), 0);
	if (sample_pace)
		snapshot_writer_set_pace(&w, sample_pace, NULL);
	write_vcpu(&w, 0);
	write_vcpu(&w, 1);
	ck_assert_int_eq(snapshot_write_record(&w, SNAPSHOT_REC_IRQCHIP, 0, irq, sizeof(irq)), 0);
	ck_assert_int_eq(snapshot_write_record(&w, SNAPSHOT_REC_CLOCK, 0, clock, sizeof(clock)), 0);
	if (big) {
		ck_assert_int_eq(snapshot_write_ram(&w, 0, ram, LOW_RAM), 0);
		ck_assert_int_eq(snapshot_write_ram(&w, HIGH_GPA, ram + LOW_RAM, HIGH_RAM), 0);
	} else {
		ck_assert_int_eq(snapshot_write_ram(&w, 0x1000, ram + 0x1000, 16), 0);
		ck_assert_int_eq(snapshot_write_ram(&w, HIGH_GPA, ram + LOW_RAM, 8), 0);
	}
	write_devices(&w);
	ck_assert_int_eq(snapshot_write_end(&w), 0);
	snapshot_writer_free(&w);
}

/* What every good load of the sample must have given. */
static void check_collected(const struct collect *c, const uint8_t *ram, bool big)
{
	ck_assert_uint_eq(c->n[SNAPSHOT_REC_VCPU], 2);
	ck_assert_uint_eq(c->n[SNAPSHOT_REC_IRQCHIP], 1);
	ck_assert_uint_eq(c->n[SNAPSHOT_REC_CLOCK], 1);
	ck_assert_uint_eq(c->n[SNAPSHOT_REC_RAM], big ? 3 : 2);
	ck_assert_uint_eq(c->n[SNAPSHOT_REC_DEVICE_STATE], 3);
	ck_assert_uint_eq(c->n[SNAPSHOT_REC_DEVICE_DATA], 2);
	ck_assert_uint_eq(c->n[SNAPSHOT_REC_END], 0);
	ck_assert_uint_eq(c->rip[0], 0x1000);
	ck_assert_uint_eq(c->rip[1], 0x1001);
	ck_assert_uint_eq(c->serial_ier, 0x0f);
	ck_assert_uint_eq(c->serial_lcr, 0x03);
	ck_assert_uint_eq(c->vcon_queue, 256);
	ck_assert_str_eq(c->vcon_name, "rx0");
	ck_assert_uint_eq(c->pt_config[0], 0xa0);
	ck_assert_uint_eq(c->pt_config[63], 0xa0 + 63);
	ck_assert_uint_eq(c->data_len, 10);
	ck_assert_mem_eq(c->data, "hello mtty", 10);
	if (big) {
		ck_assert(!memcmp(c->ram, ram, LOW_RAM + HIGH_RAM));
	} else {
		ck_assert_mem_eq(c->ram + 0x1000, ram + 0x1000, 16);
		ck_assert_mem_eq(c->ram + LOW_RAM, ram + LOW_RAM, 8);
		ck_assert_uint_eq(c->ram[0x1010], 0);
	}
}

/* The loads below read ram records straight into c->ram when set (a
 * machine's loader does, vmm/machine_snapshot.c); dest_null_above: the
 * destination has no memory at and above that gpa (0: it has it all). */
static bool in_place;
static uint64_t dest_null_above;
static unsigned dest_calls;

static uint8_t *dest_fn(void *opaque, uint64_t gpa, size_t len)
{
	dest_calls++;
	if (dest_null_above && gpa + len > dest_null_above)
		return NULL;
	return ram_at(opaque, gpa);
}

static void maybe_in_place(struct snapshot_reader *r, struct collect *c)
{
	if (in_place && c)
		snapshot_reader_set_ram_dest(r, dest_fn, c);
}

static int load_fd(int fd, const struct snapshot_shape *want, struct collect *c)
{
	struct snapshot_reader r;
	int ret;

	snapshot_reader_init_fd(&r, fd);
	maybe_in_place(&r, c);
	err[0] = '\0';
	ret = snapshot_load(&r, want, c ? collect_fn : NULL, c, err, sizeof(err));
	snapshot_reader_free(&r);
	ck_assert_ptr_null(strchr(err, '\n'));
	return ret;
}

static int load_mem(const void *buf, size_t len, const struct snapshot_shape *want,
		    struct collect *c)
{
	struct snapshot_reader r;
	int ret;

	snapshot_reader_init_mem(&r, buf, len);
	maybe_in_place(&r, c);
	err[0] = '\0';
	ret = snapshot_load(&r, want, c ? collect_fn : NULL, c, err, sizeof(err));
	snapshot_reader_free(&r);
	ck_assert_ptr_null(strchr(err, '\n'));
	return ret;
}

/* The whole of a memfd's contents. */
static uint8_t *slurp(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	uint8_t *buf;

	ck_assert_int_gt(end, 0);
	buf = malloc((size_t)end);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, (size_t)end, 0), end);
	*len = (size_t)end;
	return buf;
}

static uint8_t *sample_bytes(bool big, size_t *len)
{
	struct snapshot_shape s;
	uint8_t *ram = sample_ram(), *buf;
	int fd = memfd_create("snap", 0);

	ck_assert_int_ge(fd, 0);
	sample_shape(&s);
	write_sample(fd, &s, ram, big);
	buf = slurp(fd, len);
	close(fd);
	free(ram);
	return buf;
}

START_TEST(test_stream_round_trip_file)
{
	struct snapshot_shape s;
	uint8_t *ram = sample_ram();
	struct collect c;
	int fd = memfd_create("snap", 0);

	ck_assert_int_ge(fd, 0);
	sample_shape(&s);
	write_sample(fd, &s, ram, true);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	collect_init(&c);
	ck_assert_msg(load_fd(fd, &s, &c) == 0, "%s", err);
	check_collected(&c, ram, true);
	close(fd);
	free(c.ram);
	free(ram);
}
END_TEST

/* A paced writer writes no more than each grant, and the stream is whole. */
START_TEST(test_stream_paced)
{
	struct snapshot_shape s;
	uint8_t *ram = sample_ram();
	struct collect c;
	int fd = memfd_create("snap", 0);
	off_t len;

	ck_assert_int_ge(fd, 0);
	sample_shape(&s);
	sample_pace = pace_1000;
	paced_bytes = paced_calls = 0;
	write_sample(fd, &s, ram, true);
	sample_pace = NULL;
	len = lseek(fd, 0, SEEK_CUR);
	ck_assert_uint_eq(paced_bytes, (size_t)len);
	ck_assert_uint_ge(paced_calls, (size_t)len / 1000);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	collect_init(&c);
	ck_assert_msg(load_fd(fd, &s, &c) == 0, "%s", err);
	check_collected(&c, ram, true);
	close(fd);
	free(c.ram);
	free(ram);
}
END_TEST

/* A pace that fails (a cancel's shutdown woke it) fails the writer for good. */
START_TEST(test_stream_pace_fails)
{
	struct snapshot_writer w;
	struct snapshot_shape s;
	uint8_t *ram = sample_ram();
	int fd = memfd_create("snap", 0);

	ck_assert_int_ge(fd, 0);
	sample_shape(&s);
	paced_calls = 0;
	ck_assert_int_eq(snapshot_writer_open(&w, fd, &s), 0);
	snapshot_writer_set_pace(&w, pace_reset, NULL);
	ck_assert_int_eq(snapshot_write_ram(&w, 0, ram, LOW_RAM), -ECONNRESET);
	ck_assert_int_eq(snapshot_write_end(&w), -ECONNRESET);
	ck_assert_uint_eq(paced_calls, 1);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 0);
	snapshot_writer_free(&w);
	close(fd);
	free(ram);
}
END_TEST

/* A live reader on a socket: the source hanging up midway and before
 * anything are named as such, and a source that sends nothing for the idle
 * time is an error, not a hang. */
static int live_read(const void *buf, size_t len, bool hang_up, char *e, size_t elen)
{
	struct snapshot_reader r;
	struct snapshot_record rec;
	int sv[2], ret;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], buf, len), (ssize_t)len);
	if (hang_up)
		close(sv[1]);
	snapshot_reader_init_fd(&r, sv[0]);
	snapshot_reader_set_live(&r, 150);
	ret = snapshot_read_header(&r, e, elen);
	while (!ret && (ret = snapshot_read_record(&r, &rec, e, elen)) == 1)
		ret = 0;
	snapshot_reader_free(&r);
	close(sv[0]);
	if (!hang_up)
		close(sv[1]);
	return ret;
}

START_TEST(test_stream_live_source)
{
	size_t len;
	uint8_t *b = sample_bytes(false, &len);
	char e[SNAPSHOT_ERR_LEN];

	ck_assert_int_eq(live_read(b, len - 20, true, e, sizeof(e)), -1);
	ck_assert_msg(strstr(e, "the source closed the connection (cancelled or failed there) "
			     "at byte ") != NULL, "%s", e);
	ck_assert_int_eq(live_read(b, 0, true, e, sizeof(e)), -1);
	ck_assert_str_eq(e, "the source closed the connection before sending anything");
	ck_assert_int_eq(live_read(b, 100, false, e, sizeof(e)), -1);
	ck_assert_str_eq(e, "nothing came from the source for 150 ms (at byte 16): it hangs "
			 "or is gone");
	/* (the byte named is where the piece it waited for starts: the shape) */
	/* the whole stream reads to its end */
	ck_assert_int_eq(live_read(b, len, true, e, sizeof(e)), 0);
	free(b);
}
END_TEST

START_TEST(test_stream_layout)
{
	size_t len;
	uint8_t *b = sample_bytes(false, &len);
	uint32_t crc = snapshot_sum_of(SNAPSHOT_VERSION, b, len - 12);
	const uint8_t end_hdr[] = { SNAPSHOT_REC_END, 0, 0, 0, 4, 0, 0, 0 };
	const uint8_t crc_le[] = { (uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
				   (uint8_t)(crc >> 24) };

	ck_assert_mem_eq(b, "CONDSNAP\x02\0\0\0", 12);
	ck_assert_mem_eq(b + len - 12, end_hdr, sizeof(end_hdr));
	ck_assert_mem_eq(b + len - 4, crc_le, 4);
	free(b);
}
END_TEST

struct pipe_writer {
	int fd;
	const struct snapshot_shape *shape;
	const uint8_t *ram;
};

static void *pipe_write(void *arg)
{
	struct pipe_writer *pw = arg;

	write_sample(pw->fd, pw->shape, pw->ram, true);
	close(pw->fd);
	return NULL;
}

/* Through a pipe, both ends non-blocking: short writes and reads, EAGAIN,
 * the reader taking 3 MiB as it arrives in 64 KiB pieces. */
START_TEST(test_stream_round_trip_pipe)
{
	struct pipe_writer pw;
	struct snapshot_shape s;
	struct collect c;
	pthread_t t;
	int p[2];

	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	sample_shape(&s);
	pw.fd = p[1];
	pw.shape = &s;
	pw.ram = sample_ram();
	ck_assert_int_eq(pthread_create(&t, NULL, pipe_write, &pw), 0);
	collect_init(&c);
	ck_assert_msg(load_fd(p[0], &s, &c) == 0, "%s", err);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	check_collected(&c, pw.ram, true);
	close(p[0]);
	free(c.ram);
	free((void *)pw.ram);
}
END_TEST

START_TEST(test_stream_round_trip_memory)
{
	struct snapshot_shape s;
	uint8_t *ram = sample_ram(), *b;
	struct collect c;
	size_t len;

	sample_shape(&s);
	b = sample_bytes(true, &len);
	ck_assert_int_eq(load_mem(b, len, &s, NULL), 0);        /* check it whole first */
	collect_init(&c);
	ck_assert_msg(load_mem(b, len, &s, &c) == 0, "%s", err);
	check_collected(&c, ram, true);
	free(c.ram);
	free(b);
	free(ram);
}
END_TEST

START_TEST(test_stream_reader_one_by_one)
{
	struct snapshot_reader r;
	struct snapshot_record rec;
	size_t len;
	uint8_t *b = sample_bytes(false, &len);
	unsigned n = 0;
	int ret;

	snapshot_reader_init_mem(&r, b, len);
	ck_assert_int_eq(snapshot_read_record(&r, &rec, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the snapshot's header is not read yet");
	snapshot_reader_init_mem(&r, b, len);
	ck_assert_int_eq(snapshot_read_header(&r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.shape.n_devices, 3);
	ck_assert_str_eq(r.shape.dev[2].identity, "mtty-2");
	while ((ret = snapshot_read_record(&r, &rec, err, sizeof(err))) == 1) {
		n++;
		if (rec.type == SNAPSHOT_REC_RAM && rec.gpa == HIGH_GPA)
			ck_assert_uint_eq(rec.len, 8);
		if (rec.type == SNAPSHOT_REC_DEVICE_DATA)
			ck_assert_str_eq(rec.dev->id, "pt0");
	}
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(n, 11);
	ck_assert_int_eq(snapshot_read_record(&r, &rec, err, sizeof(err)), 0);
	snapshot_reader_free(&r);
	free(b);
}
END_TEST

/* A prefix of k bytes of the stream in a memfd. */
static int prefix_fd(const uint8_t *b, size_t k)
{
	int fd = memfd_create("snap", 0);

	ck_assert_int_ge(fd, 0);
	if (k)
		ck_assert_int_eq(write(fd, b, k), (ssize_t)k);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Every prefix of a small stream is refused with one line that names the
 * byte where it stops, the same from memory and from an fd. */
START_TEST(test_stream_truncated_everywhere)
{
	struct snapshot_shape s;
	char from_mem[SNAPSHOT_ERR_LEN], at[96];
	size_t len, k, hdr;
	uint8_t *b = sample_bytes(false, &len);
	struct collect c;
	int fd;

	sample_shape(&s);
	hdr = 16 + (b[12] | b[13] << 8);
	collect_init(&c);
	for (k = 0; k < len; k++) {
		collect_reset(&c);
		ck_assert_int_eq(load_mem(b, k, &s, &c), -1);
		strcpy(from_mem, err);
		fd = prefix_fd(b, k);
		collect_reset(&c);
		ck_assert_int_eq(load_fd(fd, &s, &c), -1);
		close(fd);
		ck_assert_str_eq(err, from_mem);
		if (k == 0) {
			ck_assert_str_eq(err, "the snapshot is empty");
			continue;
		}
		snprintf(at, sizeof(at), "the snapshot is truncated at byte %zu, inside ", k);
		if (k < hdr) {
			ck_assert_msg(!strncmp(err, at, strlen(at)), "%zu: %s", k, err);
			ck_assert_msg(strstr(err, "its header"), "%zu: %s", k, err);
			continue;
		}
		if (strncmp(err, at, strlen(at))) {
			snprintf(at, sizeof(at), "the snapshot has no end record: it stops at "
				 "byte %zu, after ", k);
			ck_assert_msg(!strncmp(err, at, strlen(at)), "%zu: %s", k, err);
		}
	}
	ck_assert_int_eq(load_mem(b, len, &s, NULL), 0);
	free(c.ram);
	free(b);
}
END_TEST

/* ---- hand-made streams, for what the writer refuses to write ---- */

static void raw_header(struct snap_out *o, const struct snapshot_shape *s, uint32_t version)
{
	struct snap_out sh;

	snap_out_init(&sh);
	snapshot_shape_encode(s, &sh);
	snap_put_bytes(o, SNAPSHOT_MAGIC, SNAPSHOT_MAGIC_LEN);
	snap_put_u32(o, version);
	snap_put_u32(o, (uint32_t)sh.len);
	snap_put_bytes(o, sh.buf, sh.len);
	snap_out_free(&sh);
}

static void raw_rec(struct snap_out *o, unsigned type, unsigned index, size_t len)
{
	size_t i;

	snap_put_u16(o, (uint16_t)type);
	snap_put_u16(o, (uint16_t)index);
	snap_put_u32(o, (uint32_t)len);
	for (i = 0; i < len; i++)
		snap_put_u8(o, (uint8_t)i);
}

/* The end record with the checksum of the given format version. */
static void raw_end_version(struct snap_out *o, uint32_t version)
{
	uint32_t crc = snapshot_sum_of(version, o->buf, o->len);

	raw_rec(o, SNAPSHOT_REC_END, 0, 0);
	o->buf[o->len - 4] = 4;
	snap_put_u32(o, crc);
}

static void raw_end(struct snap_out *o)
{
	raw_end_version(o, SNAPSHOT_VERSION);
}

/* A header, then a record that breaks a rule; the error, and no record
 * handed to the callback. */
static const char *raw_error(unsigned type, unsigned index, size_t len, size_t *hdr_len)
{
	struct snapshot_shape s;
	struct collect c;
	struct snap_out o;

	sample_shape(&s);
	snap_out_init(&o);
	raw_header(&o, &s, SNAPSHOT_VERSION);
	*hdr_len = o.len;
	raw_rec(&o, type, index, len);
	raw_end(&o);
	collect_init(&c);
	ck_assert_int_eq(load_mem(o.buf, o.len, &s, &c), -1);
	ck_assert_uint_eq(c.calls, 0);
	free(c.ram);
	snap_out_free(&o);
	return err;
}

static void assert_err(const char *fmt, size_t at)
{
	char want[SNAPSHOT_ERR_LEN];

	snprintf(want, sizeof(want), fmt, at);
	ck_assert_str_eq(err, want);
}

START_TEST(test_stream_wrong_size)
{
	size_t h;

	raw_error(SNAPSHOT_REC_CLOCK, 0, 12, &h);
	assert_err("record 1 (clock) at byte %zu has 12 bytes; clock records have 16", h);
	raw_error(SNAPSHOT_REC_VCPU, 0, 0, &h);
	assert_err("record 1 (vcpu) at byte %zu has 0 bytes; vcpu records have 1 to 262144", h);
	raw_error(SNAPSHOT_REC_RAM, 0, 8, &h);
	assert_err("record 1 (ram) at byte %zu has 8 bytes; ram records have 9 to 1048584", h);
	raw_error(SNAPSHOT_REC_END, 0, 5, &h);
	assert_err("record 1 (end) at byte %zu has 5 bytes; end records have 4", h);
}
END_TEST

/* A length far above the cap is refused from the header alone: the reader
 * neither allocates nor waits for the bytes. */
START_TEST(test_stream_huge_length)
{
	struct snapshot_shape s;
	struct snap_out o;
	size_t h;

	sample_shape(&s);
	snap_out_init(&o);
	raw_header(&o, &s, SNAPSHOT_VERSION);
	h = o.len;
	snap_put_u16(&o, SNAPSHOT_REC_DEVICE_DATA);
	snap_put_u16(&o, 2);
	snap_put_u32(&o, 0xffffffff);
	ck_assert_int_eq(load_mem(o.buf, o.len, &s, NULL), -1);
	assert_err("record 1 (device-data) at byte %zu has 4294967295 bytes; "
		   "device-data records have 1 to 1048576", h);
	snap_out_free(&o);
}
END_TEST

START_TEST(test_stream_bad_index)
{
	size_t h;

	raw_error(SNAPSHOT_REC_VCPU, 2, 16, &h);
	assert_err("record 1 (vcpu) at byte %zu is for vCPU 2; the snapshot's header has 2 vCPUs", h);
	raw_error(SNAPSHOT_REC_DEVICE_STATE, 3, 2, &h);
	assert_err("record 1 (device-state) at byte %zu is for device 3; the snapshot's "
		   "header has 3 devices", h);
	raw_error(SNAPSHOT_REC_DEVICE_DATA, 0xffff, 2, &h);
	assert_err("record 1 (device-data) at byte %zu is for device 65535; the snapshot's "
		   "header has 3 devices", h);
	raw_error(SNAPSHOT_REC_IRQCHIP, 1, 8, &h);
	assert_err("record 1 (irqchip) at byte %zu has index 1; irqchip records have index 0", h);
}
END_TEST

START_TEST(test_stream_unknown_type)
{
	size_t h;

	raw_error(9, 0, 4, &h);
	assert_err("record 1 at byte %zu has an unknown type 9", h);
	raw_error(0, 0, 4, &h);
	assert_err("record 1 at byte %zu has an unknown type 0", h);
}
END_TEST

START_TEST(test_stream_ram_outside)
{
	struct snapshot_shape s;
	struct snap_out o;
	size_t h;

	sample_shape(&s);
	snap_out_init(&o);
	raw_header(&o, &s, SNAPSHOT_VERSION);
	h = o.len;
	snap_put_u16(&o, SNAPSHOT_REC_RAM);
	snap_put_u16(&o, 0);
	snap_put_u32(&o, 8 + 16);
	snap_put_u64(&o, LOW_RAM - 8);
	snap_put_bytes(&o, "0123456789abcdef", 16);
	raw_end(&o);
	ck_assert_int_eq(load_mem(o.buf, o.len, &s, NULL), -1);
	assert_err("record 1 (ram) at byte %zu is for 0x1ffff8-0x200007, outside the guest's RAM", h);
	snap_out_free(&o);
}
END_TEST

START_TEST(test_stream_bad_header)
{
	struct snapshot_shape s;
	struct snap_out o;

	sample_shape(&s);
	ck_assert_int_eq(load_mem("hello", 5, &s, NULL), -1);
	ck_assert_str_eq(err, "not a conduit snapshot");
	ck_assert_int_eq(load_mem("CONDS", 5, &s, NULL), -1);
	ck_assert_str_eq(err, "the snapshot is truncated at byte 5, inside its header");
	ck_assert_int_eq(load_mem("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", 16, &s, NULL), -1);
	ck_assert_str_eq(err, "not a conduit snapshot");

	snap_out_init(&o);
	raw_header(&o, &s, 3);
	raw_end(&o);
	ck_assert_int_eq(load_mem(o.buf, o.len, &s, NULL), -1);
	ck_assert_str_eq(err, "the snapshot has format version 3; this conduit reads versions 1 to 2");

	snap_out_reset(&o);
	snap_put_bytes(&o, SNAPSHOT_MAGIC, SNAPSHOT_MAGIC_LEN);
	snap_put_u32(&o, SNAPSHOT_VERSION);
	snap_put_u32(&o, 0x10000000);
	ck_assert_int_eq(load_mem(o.buf, o.len, &s, NULL), -1);
	ck_assert_str_eq(err, "the snapshot's header says it has 268435456 bytes, "
			 "more than the 16384 conduit takes");

	snap_out_reset(&o);
	snap_put_bytes(&o, SNAPSHOT_MAGIC, SNAPSHOT_MAGIC_LEN);
	snap_put_u32(&o, SNAPSHOT_VERSION);
	snap_put_u32(&o, 5);
	snap_put_bytes(&o, "\0\0\0\0\0", 5);
	ck_assert_int_eq(load_mem(o.buf, o.len, &s, NULL), -1);
	ck_assert_str_eq(err, "the snapshot's header is damaged: no vCPUs, or more than "
			 "conduit takes (before byte 19)");
	snap_out_free(&o);
}
END_TEST

START_TEST(test_stream_checksum)
{
	struct snapshot_shape s;
	char want[SNAPSHOT_ERR_LEN];
	struct snap_out o;
	uint32_t crc;
	size_t len;
	uint8_t *b;

	sample_shape(&s);
	snap_out_init(&o);
	raw_header(&o, &s, SNAPSHOT_VERSION);
	raw_rec(&o, SNAPSHOT_REC_CLOCK, 0, 16);
	crc = snapshot_sum_of(SNAPSHOT_VERSION, o.buf, o.len);
	raw_rec(&o, SNAPSHOT_REC_END, 0, 0);
	o.buf[o.len - 4] = 4;
	snap_put_u32(&o, 0xdeadbeef);
	ck_assert_int_eq(load_mem(o.buf, o.len, &s, NULL), -1);
	snprintf(want, sizeof(want), "the snapshot is corrupted: its end record's checksum is "
		 "0xdeadbeef, the %zu bytes before it sum to 0x%08x", o.len - 12, crc);
	ck_assert_str_eq(err, want);
	snap_out_free(&o);

	/* one bit flipped in pt0's device data, the last record before the end */
	b = sample_bytes(false, &len);
	b[len - 13] ^= 0x20;
	ck_assert_int_eq(load_mem(b, len, &s, NULL), -1);
	ck_assert_msg(!strncmp(err, "the snapshot is corrupted: ", 27), "%s", err);
	free(b);
}
END_TEST

/* Format 2's checksum: XXH64's low half (its reference value for an empty
 * input and for "123456789"), the same in pieces as in one call; format
 * 1's: zlib's crc32 (its check value). */
START_TEST(test_checksum_values)
{
	static const uint8_t nine[] = "123456789";
	struct snapshot_sum s;
	uint8_t b[300];
	uint32_t seed = 12345;

	ck_assert_uint_eq(snapshot_sum_of(2, nine, 0), 0x51D8E999U);    /* XXH64 ef46db3751d8e999 */
	ck_assert_uint_eq(snapshot_sum_of(1, nine, 9), 0xCBF43926U);
	ck_assert_uint_ne(snapshot_sum_of(2, nine, 9), snapshot_sum_of(1, nine, 9));
	for (size_t i = 0; i < sizeof(b); i++) {
		seed = seed * 1103515245U + 12345U;
		b[i] = (uint8_t)(seed >> 16);
	}
	for (uint32_t version = 1; version <= 2; version++)
		for (size_t cut = 0; cut <= sizeof(b); cut += 13) {
			ck_assert_int_eq(snapshot_sum_init(&s, version), 0);
			snapshot_sum_update(&s, b, cut);
			snapshot_sum_update(&s, NULL, 0);
			snapshot_sum_update(&s, b + cut, sizeof(b) - cut);
			ck_assert_uint_eq(snapshot_sum_value(&s), snapshot_sum_of(version, b, sizeof(b)));
			snapshot_sum_free(&s);
		}
	/* one bit anywhere changes it */
	for (size_t i = 0; i < sizeof(b) * 8; i += 7) {
		uint32_t want = snapshot_sum_of(2, b, sizeof(b));

		b[i / 8] ^= (uint8_t)(1 << (i % 8));
		ck_assert_uint_ne(snapshot_sum_of(2, b, sizeof(b)), want);
		b[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
}
END_TEST

/* A version 1 stream (zlib's crc32 at its end, as conduits before
 * version 2 wrote) still loads; the same stream summed the new way does
 * not; versions 0 and 3 are refused by name. */
START_TEST(test_stream_version1)
{
	struct snapshot_shape s;
	struct collect c;
	size_t len;
	uint8_t *b = sample_bytes(false, &len);
	uint32_t old;

	sample_shape(&s);
	ck_assert_uint_eq(b[8], SNAPSHOT_VERSION);
	b[8] = 1;
	old = (uint32_t)crc32(0, b, (uInt)(len - 4 - 8));
	ck_assert_uint_ne(old, snapshot_sum_of(2, b, len - 12));
	for (int k = 0; k < 4; k++)
		b[len - 4 + k] = (uint8_t)(old >> (8 * k));
	collect_init(&c);
	ck_assert_msg(load_mem(b, len, &s, &c) == 0, "%s", err);
	ck_assert_uint_gt(c.calls, 0);
	free(c.ram);

	old = snapshot_sum_of(2, b, len - 12);
	for (int k = 0; k < 4; k++)
		b[len - 4 + k] = (uint8_t)(old >> (8 * k));
	ck_assert_int_eq(load_mem(b, len, &s, NULL), -1);
	ck_assert_msg(!strncmp(err, "the snapshot is corrupted: ", 27), "%s", err);

	b[8] = 0;
	ck_assert_int_eq(load_mem(b, len, &s, NULL), -1);
	ck_assert_str_eq(err, "the snapshot has format version 0; this conduit reads versions 1 to 2");
	free(b);
}
END_TEST

START_TEST(test_stream_after_end)
{
	struct snapshot_shape s;
	uint8_t *b, *more;
	size_t len;
	int fd;

	sample_shape(&s);
	b = sample_bytes(false, &len);
	more = malloc(len + 1);
	memcpy(more, b, len);
	more[len] = 0;
	ck_assert_int_eq(load_mem(more, len + 1, &s, NULL), -1);
	assert_err("the snapshot goes on after its end record, which ends at byte %zu", len);
	fd = prefix_fd(more, len + 1);
	ck_assert_int_eq(load_fd(fd, &s, NULL), -1);
	assert_err("the snapshot goes on after its end record, which ends at byte %zu", len);
	close(fd);
	free(more);
	free(b);
}
END_TEST

START_TEST(test_stream_missing_end)
{
	struct snapshot_shape s;
	struct snap_out o;

	sample_shape(&s);
	snap_out_init(&o);
	raw_header(&o, &s, SNAPSHOT_VERSION);
	ck_assert_int_eq(load_mem(o.buf, o.len, &s, NULL), -1);
	assert_err("the snapshot has no end record: it stops at byte %zu, after its header", o.len);
	raw_rec(&o, SNAPSHOT_REC_CLOCK, 0, 16);
	raw_rec(&o, SNAPSHOT_REC_IRQCHIP, 0, 3);
	ck_assert_int_eq(load_mem(o.buf, o.len, &s, NULL), -1);
	assert_err("the snapshot has no end record: it stops at byte %zu, after record 2", o.len);
	snap_out_free(&o);
}
END_TEST

/* The shape is checked before any record reaches the callback. */
START_TEST(test_stream_shape_first)
{
	struct snapshot_shape s, here;
	struct collect c;
	size_t len;
	uint8_t *b = sample_bytes(false, &len);

	sample_shape(&s);
	sample_shape(&here);
	snapshot_shape_set_vcpus(&here, 1);
	collect_init(&c);
	ck_assert_int_eq(load_mem(b, len, &here, &c), -1);
	ck_assert_str_eq(err, "the snapshot has 2 vCPUs, this machine 1 (--cpus)");
	ck_assert_uint_eq(c.calls, 0);

	here = s;
	strcpy(here.dev[2].identity, "mtty-1");
	ck_assert_int_eq(load_mem(b, len, &here, &c), -1);
	ck_assert_str_eq(err, "device pt0 is an mdev of type mtty-2 in the snapshot and mtty-1 here");
	ck_assert_uint_eq(c.calls, 0);
	free(c.ram);
	free(b);
}
END_TEST

START_TEST(test_stream_callback_refuses)
{
	struct snapshot_shape s;
	struct snapshot_reader r;
	struct snapshot_record rec;
	struct collect c;
	size_t len, h;
	uint8_t *b = sample_bytes(false, &len);

	sample_shape(&s);
	h = 16 + (b[12] | b[13] << 8);
	collect_init(&c);
	c.refuse_at = 2;
	ck_assert_int_eq(load_mem(b, len, &s, &c), -1);
	ck_assert_str_eq(err, "record 2: no thanks");
	ck_assert_uint_eq(c.calls, 2);

	collect_reset(&c);
	c.refuse_quietly = true;
	ck_assert_int_eq(load_mem(b, len, &s, &c), -1);
	assert_err("record 2 (vcpu) at byte %zu was refused", h + 24);

	/* after a failure, the reader stays failed */
	snapshot_reader_init_mem(&r, b, len - 1);
	ck_assert_int_eq(snapshot_load(&r, &s, NULL, NULL, err, sizeof(err)), -1);
	ck_assert_int_eq(snapshot_read_record(&r, &rec, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the snapshot stopped at an earlier error");
	snapshot_reader_free(&r);
	free(c.ram);
	free(b);
}
END_TEST

/* A device whose state is shorter than its load function reads: the
 * cursor's message is the load's. */
START_TEST(test_stream_device_state_short)
{
	struct snapshot_shape s;
	char want[SNAPSHOT_ERR_LEN];
	struct snapshot_writer w;
	struct collect c;
	size_t len;
	uint8_t *b;
	int fd = memfd_create("snap", 0);

	sample_shape(&s);
	ck_assert_int_eq(snapshot_writer_open(&w, fd, &s), 0);
	ck_assert_int_eq(snapshot_write_record(&w, SNAPSHOT_REC_DEVICE_STATE, 0, "\x0f", 1), 0);
	ck_assert_int_eq(snapshot_write_end(&w), 0);
	snapshot_writer_free(&w);
	b = slurp(fd, &len);
	collect_init(&c);
	ck_assert_int_eq(load_mem(b, len, &s, &c), -1);
	snprintf(want, sizeof(want), "device serial0's state is too short: it ends at byte "
		 "%zu, a field at byte %zu needs 1 bytes", len - 12, len - 12);
	ck_assert_str_eq(err, want);
	close(fd);
	free(c.ram);
	free(b);
}
END_TEST

/* A new writer in place of w, whose error was sticky. */
static void fresh(struct snapshot_writer *w, int fd, const struct snapshot_shape *s)
{
	snapshot_writer_free(w);
	ck_assert_int_eq(snapshot_writer_open(w, fd, s), 0);
}

START_TEST(test_stream_writer_refuses)
{
	static uint8_t big[SNAPSHOT_VCPU_MAX + 1];
	struct snapshot_shape s;
	struct snapshot_writer w;
	int fd = memfd_create("snap", 0), ro;

	sample_shape(&s);
	ck_assert_int_eq(snapshot_writer_open(&w, fd, &s), 0);
	ck_assert_int_eq(snapshot_write_record(&w, SNAPSHOT_REC_VCPU, 2, "x", 1), -EINVAL);
	/* sticky */
	ck_assert_int_eq(snapshot_write_record(&w, SNAPSHOT_REC_VCPU, 0, "x", 1), -EINVAL);
	fresh(&w, fd, &s);
	ck_assert_int_eq(snapshot_write_record(&w, SNAPSHOT_REC_DEVICE_STATE, 3, "x", 1), -EINVAL);
	fresh(&w, fd, &s);
	ck_assert_int_eq(snapshot_write_record(&w, SNAPSHOT_REC_CLOCK, 0, "x", 1), -EINVAL);
	fresh(&w, fd, &s);
	ck_assert_int_eq(snapshot_write_record(&w, SNAPSHOT_REC_VCPU, 0, big, sizeof(big)),
			 -EMSGSIZE);
	fresh(&w, fd, &s);
	ck_assert_int_eq(snapshot_write_record(&w, SNAPSHOT_REC_RAM, 0, big, 16), -EINVAL);
	fresh(&w, fd, &s);
	ck_assert_int_eq(snapshot_write_record(&w, SNAPSHOT_REC_END, 0, big, 4), -EINVAL);
	fresh(&w, fd, &s);
	ck_assert_int_eq(snapshot_write_record(&w, 42, 0, big, 4), -EINVAL);
	fresh(&w, fd, &s);
	ck_assert_int_eq(snapshot_write_ram(&w, LOW_RAM - 8, big, 16), -EINVAL);
	fresh(&w, fd, &s);
	ck_assert_int_eq(snapshot_write_end(&w), 0);
	ck_assert_int_eq(snapshot_write_record(&w, SNAPSHOT_REC_VCPU, 0, "x", 1), -EINVAL);
	snapshot_writer_free(&w);
	ro = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(ro, 0);
	ck_assert_int_eq(snapshot_writer_open(&w, ro, &s), 0);      /* buffered */
	ck_assert_int_eq(snapshot_write_end(&w), -EBADF);
	ck_assert_int_eq(snapshot_write_record(&w, SNAPSHOT_REC_VCPU, 0, "x", 1), -EBADF);
	snapshot_writer_free(&w);
	close(ro);
	close(fd);
}
END_TEST

/* ---- ram records read in place ---- */

/* The sample read with a ram destination: every ram record lands in c->ram
 * itself (no copy through the reader), the rest as without one. */
START_TEST(test_stream_in_place_round_trip)
{
	struct snapshot_shape s;
	uint8_t *ram = sample_ram();
	struct collect c;
	int fd = memfd_create("snap", 0);

	ck_assert_int_ge(fd, 0);
	sample_shape(&s);
	write_sample(fd, &s, ram, true);
	collect_init(&c);
	in_place = true;
	dest_calls = 0;
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_msg(load_fd(fd, &s, &c) == 0, "%s", err);
	check_collected(&c, ram, true);
	ck_assert_uint_eq(c.ram_in_place, 3);
	ck_assert_uint_eq(dest_calls, 3);
	/* from memory too */
	memset(c.ram, 0, LOW_RAM + HIGH_RAM);
	collect_reset(&c);
	{
		size_t len;
		uint8_t *b = slurp(fd, &len);

		ck_assert_msg(load_mem(b, len, &s, &c) == 0, "%s", err);
		free(b);
	}
	check_collected(&c, ram, true);
	ck_assert_uint_eq(c.ram_in_place, 3);
	in_place = false;
	close(fd);
	free(c.ram);
	free(ram);
}
END_TEST

/* A destination without memory for a record: that one comes through the
 * reader's buffer, whole and checked. */
START_TEST(test_stream_in_place_no_memory)
{
	struct snapshot_shape s;
	uint8_t *b, *ram = sample_ram();
	struct collect c;
	size_t len;

	sample_shape(&s);
	b = sample_bytes(true, &len);
	collect_init(&c);
	in_place = true;
	dest_null_above = HIGH_GPA;
	ck_assert_msg(load_mem(b, len, &s, &c) == 0, "%s", err);
	check_collected(&c, ram, true);
	ck_assert_uint_eq(c.ram_in_place, 2);
	in_place = false;
	dest_null_above = 0;
	free(c.ram);
	free(ram);
	free(b);
}
END_TEST

/* Every prefix of a stream, and a flipped bit in RAM, give the same one
 * line with the ram records read in place as without. */
START_TEST(test_stream_in_place_same_errors)
{
	struct snapshot_shape s;
	char plain[SNAPSHOT_ERR_LEN];
	size_t len, k;
	uint8_t *b = sample_bytes(false, &len);
	struct collect c;
	int fd;

	sample_shape(&s);
	collect_init(&c);
	for (k = 0; k < len; k++) {
		in_place = false;
		collect_reset(&c);
		ck_assert_int_eq(load_mem(b, k, &s, &c), -1);
		strcpy(plain, err);
		in_place = true;
		collect_reset(&c);
		ck_assert_int_eq(load_mem(b, k, &s, &c), -1);
		ck_assert_str_eq(err, plain);
		fd = prefix_fd(b, k);
		collect_reset(&c);
		ck_assert_int_eq(load_fd(fd, &s, &c), -1);
		close(fd);
		ck_assert_str_eq(err, plain);
	}
	/* the first ram record's 16 bytes follow its gpa: one bit of them */
	for (k = 0; k + 8 < len; k++)
		if (b[k] == SNAPSHOT_REC_RAM && b[k + 1] == 0 && b[k + 4] == 24 &&
		    b[k + 8] == 0x00 && b[k + 9] == 0x10)
			break;
	ck_assert_uint_lt(k + 8, len);
	b[k + 20] ^= 0x01;
	in_place = false;
	collect_reset(&c);
	ck_assert_int_eq(load_mem(b, len, &s, &c), -1);
	strcpy(plain, err);
	ck_assert_msg(!strncmp(err, "the snapshot is corrupted: ", 27), "%s", err);
	in_place = true;
	collect_reset(&c);
	ck_assert_int_eq(load_mem(b, len, &s, &c), -1);
	ck_assert_str_eq(err, plain);
	ck_assert_uint_eq(c.ram_in_place, 2);
	in_place = false;
	free(c.ram);
	free(b);
}
END_TEST

/* Outside the shape's RAM: refused before the destination is asked. */
START_TEST(test_stream_in_place_outside)
{
	struct snapshot_shape s;
	struct snap_out o;
	struct collect c;
	size_t h;

	sample_shape(&s);
	snap_out_init(&o);
	raw_header(&o, &s, SNAPSHOT_VERSION);
	h = o.len;
	snap_put_u16(&o, SNAPSHOT_REC_RAM);
	snap_put_u16(&o, 0);
	snap_put_u32(&o, 8 + 16);
	snap_put_u64(&o, LOW_RAM - 8);
	snap_put_bytes(&o, "0123456789abcdef", 16);
	raw_end(&o);
	collect_init(&c);
	in_place = true;
	dest_calls = 0;
	ck_assert_int_eq(load_mem(o.buf, o.len, &s, &c), -1);
	assert_err("record 1 (ram) at byte %zu is for 0x1ffff8-0x200007, outside the guest's RAM", h);
	ck_assert_uint_eq(dest_calls, 0);
	ck_assert_uint_eq(c.calls, 0);
	in_place = false;
	free(c.ram);
	snap_out_free(&o);
}
END_TEST

/* snapshot_copy() copies every byte of any length, across its pieces. */
START_TEST(test_stream_copy)
{
	static const size_t lens[] = { 0, 1, 2047, 2048, 2049, 4096, 10000 };
	uint8_t src[10002], dst[10002];
	unsigned i;
	size_t k;

	for (k = 0; k < sizeof(src); k++)
		src[k] = (uint8_t)(k * 13 + 1);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(dst, 0xee, sizeof(dst));
		snapshot_copy(dst + 1, src + 1, lens[i]);
		ck_assert_uint_eq(dst[0], 0xee);
		ck_assert(!memcmp(dst + 1, src + 1, lens[i]));
		ck_assert_uint_eq(dst[1 + lens[i]], 0xee);
	}
}
END_TEST

/* snapshot_write_ram_copy() writes the same bytes as snapshot_write_ram(),
 * for runs of pages, single pages and odd sizes. */
static uint8_t *ram_stream(const uint8_t *ram, bool copy, size_t *len)
{
	static const size_t runs[][2] = {
		{ 0, 4096 }, { 8192, 4096 }, { 0x10000, 0x180000 }, { 0x1ff000, 4096 },
		{ 0x3, 70000 },
	};
	struct snapshot_shape s;
	struct snapshot_writer w;
	uint8_t *b;
	unsigned i;
	int fd = memfd_create("snap", 0);

	ck_assert_int_ge(fd, 0);
	sample_shape(&s);
	ck_assert_int_eq(snapshot_writer_open(&w, fd, &s), 0);
	write_vcpu(&w, 0);
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		ck_assert_int_eq((copy ? snapshot_write_ram_copy : snapshot_write_ram)
				 (&w, runs[i][0], ram + runs[i][0], runs[i][1]), 0);
	ck_assert_int_eq((copy ? snapshot_write_ram_copy : snapshot_write_ram)
			 (&w, HIGH_GPA, ram + LOW_RAM, HIGH_RAM), 0);
	ck_assert_int_eq(snapshot_write_end(&w), 0);
	snapshot_writer_free(&w);
	b = slurp(fd, len);
	close(fd);
	return b;
}

START_TEST(test_stream_write_ram_copy)
{
	uint8_t *ram = sample_ram(), *a, *b;
	struct snapshot_shape s;
	size_t alen, blen;

	a = ram_stream(ram, false, &alen);
	b = ram_stream(ram, true, &blen);
	ck_assert_uint_eq(alen, blen);
	ck_assert(!memcmp(a, b, alen));
	sample_shape(&s);
	ck_assert_msg(load_mem(b, blen, &s, NULL) == 0, "%s", err);
	free(a);
	free(b);
	free(ram);
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
	tcase_add_test(tc, test_shape_mismatch_bios);
	tcase_add_test(tc, test_shape_mismatch_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("stream");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stream_round_trip_file);
	tcase_add_test(tc, test_stream_paced);
	tcase_add_test(tc, test_stream_pace_fails);
	tcase_add_test(tc, test_stream_live_source);
	tcase_add_test(tc, test_stream_layout);
	tcase_add_test(tc, test_stream_round_trip_pipe);
	tcase_add_test(tc, test_stream_round_trip_memory);
	tcase_add_test(tc, test_stream_reader_one_by_one);
	tcase_add_test(tc, test_stream_truncated_everywhere);
	tcase_add_test(tc, test_stream_in_place_round_trip);
	tcase_add_test(tc, test_stream_in_place_no_memory);
	tcase_add_test(tc, test_stream_in_place_same_errors);
	tcase_add_test(tc, test_stream_in_place_outside);
	tcase_add_test(tc, test_stream_write_ram_copy);
	tcase_add_test(tc, test_stream_copy);
	tcase_add_test(tc, test_stream_wrong_size);
	tcase_add_test(tc, test_stream_huge_length);
	tcase_add_test(tc, test_stream_bad_index);
	tcase_add_test(tc, test_stream_unknown_type);
	tcase_add_test(tc, test_stream_ram_outside);
	tcase_add_test(tc, test_stream_bad_header);
	tcase_add_test(tc, test_stream_checksum);
	tcase_add_test(tc, test_checksum_values);
	tcase_add_test(tc, test_stream_version1);
	tcase_add_test(tc, test_stream_after_end);
	tcase_add_test(tc, test_stream_missing_end);
	tcase_add_test(tc, test_stream_shape_first);
	tcase_add_test(tc, test_stream_callback_refuses);
	tcase_add_test(tc, test_stream_device_state_short);
	tcase_add_test(tc, test_stream_writer_refuses);
	suite_add_tcase(s, tc);
	return s;
}
