/* Tests of the exit port (devices/exit_port.c): only a 4-byte write of the
 * magic and a status at 0x501 reports, once; everything else is counted. */
#include <errno.h>
#include <string.h>
#include "suites.h"
#include "../../devices/exit_port.h"

static struct exit_port ep;
static struct io_bus pio;
static int calls, last;

static void done(void *opaque, int status)
{
	ck_assert_ptr_eq(opaque, &ep);
	calls++;
	last = status;
}

static void setup(void)
{
	memset(&pio, 0, sizeof(pio));
	pio.name = "pio";
	ck_assert_int_eq(exit_port_init(&ep, &pio, done, &ep), 0);
	calls = 0;
	last = -1;
}

START_TEST(report_zero)
{
	io_bus_write(&pio, EXIT_PORT, 4, exit_port_value(0));
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(last, 0);
	ck_assert(ep.reported);
	ck_assert_int_eq(ep.status, 0);
	ck_assert_uint_eq(ep.ignored, 0);
}
END_TEST

START_TEST(report_each_status)
{
	int s;

	for (s = 0; s < 256; s++) {
		setup();
		io_bus_write(&pio, EXIT_PORT, 4, exit_port_value((uint8_t)s));
		ck_assert_int_eq(calls, 1);
		ck_assert_int_eq(last, s);
	}
	ck_assert_uint_eq(exit_port_value(137), 0xc0de5e89U);
}
END_TEST

START_TEST(only_once)
{
	io_bus_write(&pio, EXIT_PORT, 4, exit_port_value(7));
	io_bus_write(&pio, EXIT_PORT, 4, exit_port_value(0));
	io_bus_write(&pio, EXIT_PORT, 4, exit_port_value(7));
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(last, 7);
	ck_assert_int_eq(ep.status, 7);
	ck_assert_uint_eq(ep.ignored, 2);
}
END_TEST

START_TEST(malformed_ignored)
{
	uint32_t v = exit_port_value(1);

	io_bus_write(&pio, EXIT_PORT, 1, 1);            /* isa-debug-exit style */
	io_bus_write(&pio, EXIT_PORT, 2, v & 0xffff);
	io_bus_write(&pio, EXIT_PORT, 1, v);
	io_bus_write(&pio, EXIT_PORT + 1, 4, v);        /* wrong port */
	io_bus_write(&pio, EXIT_PORT + 3, 1, v >> 24);
	io_bus_write(&pio, EXIT_PORT, 4, v ^ 0x100);    /* wrong magic */
	io_bus_write(&pio, EXIT_PORT, 4, 1);
	io_bus_write(&pio, EXIT_PORT, 4, (uint64_t)v | 1ULL << 32);
	ck_assert_int_eq(calls, 0);
	ck_assert(!ep.reported);
	ck_assert_uint_eq(ep.ignored, 8);
	ck_assert_uint_eq(pio.unhandled, 0);
	/* still takes the real report afterwards */
	io_bus_write(&pio, EXIT_PORT, 4, v);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(last, 1);
}
END_TEST

/* Byte writes through the guest's /dev/port (one outb per byte) never
 * report: the guest needs an outl. */
START_TEST(byte_writes_ignored)
{
	uint32_t v = exit_port_value(0);
	unsigned i;

	for (i = 0; i < 4; i++)
		io_bus_write(&pio, EXIT_PORT + i, 1, v >> (8 * i) & 0xff);
	ck_assert_int_eq(calls, 0);
	ck_assert_uint_eq(ep.ignored, 4);
}
END_TEST

START_TEST(reads)
{
	ck_assert_uint_eq(io_bus_read(&pio, EXIT_PORT, 4), (uint64_t)EXIT_PORT_MAGIC << 8);
	ck_assert_uint_eq(io_bus_read(&pio, EXIT_PORT, 1), ~0ULL);
	ck_assert_uint_eq(io_bus_read(&pio, EXIT_PORT + 2, 4), ~0ULL);
	ck_assert_int_eq(calls, 0);
}
END_TEST

START_TEST(no_callback)
{
	ck_assert_int_eq(exit_port_init(&ep, &pio, NULL, NULL), -EBUSY);
	memset(&pio, 0, sizeof(pio));
	ck_assert_int_eq(exit_port_init(&ep, &pio, NULL, NULL), 0);
	io_bus_write(&pio, EXIT_PORT, 4, exit_port_value(3));
	ck_assert(ep.reported);
	ck_assert_int_eq(ep.status, 3);
	ck_assert_int_eq(calls, 0);
}
END_TEST

Suite *exit_port_suite(void)
{
	Suite *s = suite_create("exit_port");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, report_zero);
	tcase_add_test(tc, report_each_status);
	tcase_add_test(tc, only_once);
	tcase_add_test(tc, malformed_ignored);
	tcase_add_test(tc, byte_writes_ignored);
	tcase_add_test(tc, reads);
	tcase_add_test(tc, no_callback);
	suite_add_tcase(s, tc);
	return s;
}
