/* Tests of the snapshot stream (vmm/snapshot/): the serialisation cursor. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "suites.h"
#include "../../vmm/snapshot/cursor.h"

static char err[256];

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
	return s;
}
