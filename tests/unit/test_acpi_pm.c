/* Tests for devices/acpi_pm.c: the guest-driven PM1 ports (S5 poweroff) and
 * the keyboard-controller reset port, including odd sizes and offsets. */
#include <check.h>
#include <string.h>
#include "../../devices/acpi_pm.h"
#include "../../devices/acpi_pm.h"
#include "suites.h"

static int poweroffs, resets;

static void on_poweroff(void *opaque) { (void)opaque; poweroffs++; }
static void on_reset(void *opaque) { (void)opaque; resets++; }

static struct acpi_pm pm;
static struct io_bus pio;

static void setup(void)
{
	memset(&pm, 0, sizeof(pm));
	memset(&pio, 0, sizeof(pio));
	pio.name = "test pio";
	pm.poweroff = on_poweroff;
	pm.reset = on_reset;
	poweroffs = resets = 0;
	ck_assert_int_eq(acpi_pm_init(&pm, &pio), 0);
}

#define SLP_EN (1U << 13)
#define SLP_TYP(t) ((unsigned)(t) << 10)

START_TEST(cnt_reads_sci_en)
{
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_CNT_PORT, 2), 1);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_CNT_PORT, 1), 1);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_EVT_PORT, 4), 0);
}
END_TEST

START_TEST(s5_powers_off)
{
	io_bus_write(&pio, ACPI_PM1_CNT_PORT, 2, SLP_TYP(ACPI_S5_SLP_TYP) | SLP_EN);
	ck_assert_int_eq(poweroffs, 1);
	ck_assert_int_eq(resets, 0);
	/* SLP_EN is write-only: it never reads back. */
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_CNT_PORT, 2),
			  SLP_TYP(ACPI_S5_SLP_TYP) | 1);
}
END_TEST

START_TEST(other_sleep_types_do_nothing)
{
	io_bus_write(&pio, ACPI_PM1_CNT_PORT, 2, SLP_TYP(3) | SLP_EN);
	io_bus_write(&pio, ACPI_PM1_CNT_PORT, 2, SLP_TYP(ACPI_S5_SLP_TYP));
	ck_assert_int_eq(poweroffs, 0);
}
END_TEST

START_TEST(bad_sizes_and_offsets)
{
	/* Control is two bytes: a 4-byte read of it, or one straddling its end,
	 * reads all-ones; a 1- or 4-byte write to it is dropped. */
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_CNT_PORT, 4), ~0ULL);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_CNT_PORT + 1, 2), ~0ULL);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_EVT_PORT + 2, 4), ~0ULL);
	io_bus_write(&pio, ACPI_PM1_CNT_PORT, 4, SLP_TYP(ACPI_S5_SLP_TYP) | SLP_EN);
	io_bus_write(&pio, ACPI_PM1_CNT_PORT, 1, SLP_TYP(ACPI_S5_SLP_TYP) | SLP_EN);
	io_bus_write(&pio, ACPI_PM1_CNT_PORT + 1, 1, (SLP_TYP(ACPI_S5_SLP_TYP) | SLP_EN) >> 8);
	ck_assert_int_eq(poweroffs, 0);
}
END_TEST

START_TEST(pm1_enable_stored)
{
	io_bus_write(&pio, ACPI_PM1_EVT_PORT + 2, 2, 0x0120);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_EVT_PORT + 2, 2), 0x0120);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_EVT_PORT, 4), 0x01200000);
	/* Status is write-1-to-clear and never set: writing it changes nothing. */
	io_bus_write(&pio, ACPI_PM1_EVT_PORT, 2, 0xffff);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_EVT_PORT, 2), 0);
}
END_TEST

/* Byte writes change only the enable bytes they cover (found by
 * tests/fuzz/fuzz_acpi_pm.c: a write to the high byte was dropped, one to
 * the low byte cleared the high byte). */
START_TEST(pm1_enable_byte_writes)
{
	io_bus_write(&pio, ACPI_PM1_EVT_PORT + 2, 2, 0x0120);
	io_bus_write(&pio, ACPI_PM1_EVT_PORT + 3, 1, 0x7c);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_EVT_PORT + 2, 2), 0x7c20);
	io_bus_write(&pio, ACPI_PM1_EVT_PORT + 2, 1, 0x55);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_EVT_PORT + 2, 2), 0x7c55);
	/* Status high byte and enable low byte: only the latter sticks. */
	io_bus_write(&pio, ACPI_PM1_EVT_PORT + 1, 2, 0xaabb);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_EVT_PORT, 4), 0x7caa0000);
}
END_TEST

START_TEST(keyboard_reset)
{
	io_bus_write(&pio, 0x64, 1, 0xfd);
	io_bus_write(&pio, 0x64, 2, 0xfe);
	ck_assert_int_eq(resets, 0);
	io_bus_write(&pio, 0x64, 1, 0xfe);
	ck_assert_int_eq(resets, 1);
	ck_assert_int_eq(poweroffs, 0);
}
END_TEST

Suite *acpi_pm_suite(void)
{
	Suite *s = suite_create("acpi_pm");
	TCase *tc = tcase_create("ports");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, cnt_reads_sci_en);
	tcase_add_test(tc, s5_powers_off);
	tcase_add_test(tc, other_sleep_types_do_nothing);
	tcase_add_test(tc, bad_sizes_and_offsets);
	tcase_add_test(tc, pm1_enable_stored);
	tcase_add_test(tc, pm1_enable_byte_writes);
	tcase_add_test(tc, keyboard_reset);
	suite_add_tcase(s, tc);
	return s;
}
