/* Tests of the Ctrl-A escape filter on terminal input (vmm/terminal.c). */
#include <string.h>
#include "suites.h"
#include "../../vmm/terminal.h"

static struct escape_state st;
static bool quit;

static size_t filter(uint8_t *b, size_t n)
{
	return escape_filter(&st, b, n, &quit);
}

static void setup(void)
{
	memset(&st, 0, sizeof(st));
	quit = false;
}

START_TEST(plain_bytes)
{
	uint8_t b[] = "hello\r\n\x03\x1b[A\x7f";
	uint8_t copy[sizeof(b)];

	memcpy(copy, b, sizeof(b));
	ck_assert_uint_eq(filter(b, sizeof(b) - 1), sizeof(b) - 1);
	ck_assert_mem_eq(b, copy, sizeof(b));
	ck_assert(!quit);
	ck_assert(!st.armed);
	ck_assert_uint_eq(filter(b, 0), 0);
}
END_TEST

START_TEST(ctrl_a_x_quits)
{
	uint8_t b[] = "ab\x01xcd";

	ck_assert_uint_eq(filter(b, 6), 2);
	ck_assert(quit);
	ck_assert_mem_eq(b, "ab", 2);
	ck_assert(!st.armed);

	quit = false;
	memcpy(b, "\x01X", 2);
	ck_assert_uint_eq(filter(b, 2), 0);
	ck_assert(quit);
}
END_TEST

START_TEST(ctrl_a_twice)
{
	uint8_t b[] = "a\x01\x01z";

	ck_assert_uint_eq(filter(b, 4), 3);
	ck_assert_mem_eq(b, "a\x01z", 3);
	ck_assert(!quit);
	ck_assert(!st.armed);
	/* Four Ctrl-As make two. */
	memcpy(b, "\x01\x01\x01\x01", 4);
	ck_assert_uint_eq(filter(b, 4), 2);
	ck_assert_mem_eq(b, "\x01\x01", 2);
}
END_TEST

START_TEST(ctrl_a_split)
{
	uint8_t b1[] = "q\x01", b2[] = "x", b3[] = "\x01", b4[] = "\x01!";

	ck_assert_uint_eq(filter(b1, 2), 1);
	ck_assert_uint_eq(b1[0], 'q');
	ck_assert(st.armed);
	ck_assert(!quit);
	ck_assert_uint_eq(filter(b2, 1), 0);
	ck_assert(quit);

	quit = false;
	ck_assert_uint_eq(filter(b3, 1), 0);
	ck_assert(st.armed);
	ck_assert_uint_eq(filter(b4, 2), 2);
	ck_assert_mem_eq(b4, "\x01!", 2);
	ck_assert(!quit);
}
END_TEST

START_TEST(ctrl_a_other)
{
	uint8_t b[] = "\x01" "c\x01\r";

	ck_assert_uint_eq(filter(b, 4), 2);
	ck_assert_mem_eq(b, "c\r", 2);
	ck_assert(!quit);
	ck_assert(!st.armed);
}
END_TEST

Suite *terminal_suite(void)
{
	Suite *s = suite_create("terminal");
	TCase *tc = tcase_create("escape");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, plain_bytes);
	tcase_add_test(tc, ctrl_a_x_quits);
	tcase_add_test(tc, ctrl_a_twice);
	tcase_add_test(tc, ctrl_a_split);
	tcase_add_test(tc, ctrl_a_other);
	suite_add_tcase(s, tc);
	return s;
}
