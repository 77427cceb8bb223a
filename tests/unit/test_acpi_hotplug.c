/* Tests for devices/acpi_hotplug.c (PCI hotplug registers and the GPE0
 * block) and the SCI it shares with devices/acpi_pm.c (power button). */
#include <check.h>
#include <errno.h>
#include <string.h>
#include "../../devices/acpi_hotplug.h"
#include "suites.h"

static struct acpi_pm pm;
static struct acpi_hotplug hp;
static struct io_bus pio;
static int sci, sci_calls, ejects, last_eject;

static void on_sci(void *opaque, int level) { (void)opaque; sci = level; sci_calls++; }
static void on_eject(void *opaque, unsigned slot) { (void)opaque; ejects++; last_eject = (int)slot; }

#define GPE_BIT (1U << ACPI_GPE_PCI_HOTPLUG)

static void setup(void)
{
	memset(&pm, 0, sizeof(pm));
	memset(&pio, 0, sizeof(pio));
	pio.name = "test pio";
	pm.set_sci = on_sci;
	sci = sci_calls = ejects = 0;
	last_eject = -1;
	ck_assert_int_eq(acpi_pm_init(&pm, &pio), 0);
	ck_assert_int_eq(acpi_hotplug_init(&hp, &pio, &pm, ACPI_HOTPLUG_SLOTS_ALL, on_eject, NULL), 0);
}

static uint32_t hp_reg(unsigned off)
{
	return (uint32_t)io_bus_read(&pio, ACPI_HP_PORT + off, 4);
}

static void enable_gpe(void)
{
	io_bus_write(&pio, ACPI_GPE0_PORT + 2, 1, GPE_BIT);
}

START_TEST(init_state)
{
	ck_assert_uint_eq(hp_reg(ACPI_HP_INS), 0);
	ck_assert_uint_eq(hp_reg(ACPI_HP_REM), 0);
	ck_assert_uint_eq(hp_reg(ACPI_HP_EJ), 0);
	ck_assert_uint_eq(hp_reg(ACPI_HP_SLOTS), ACPI_HOTPLUG_SLOTS_ALL);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_GPE0_PORT, 4), 0);
	ck_assert_int_eq(sci_calls, 0);
}
END_TEST

START_TEST(plug_sets_bit_sci_only_when_enabled)
{
	acpi_hotplug_plug(&hp, 5);
	ck_assert_uint_eq(hp_reg(ACPI_HP_INS), 1U << 5);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_GPE0_PORT, 1), GPE_BIT);
	ck_assert_int_eq(sci, 0);       /* GPE not enabled */
	enable_gpe();
	ck_assert_int_eq(sci, 1);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_GPE0_PORT + 2, 1), GPE_BIT);
	/* Disabling it drops the SCI, the status stays. */
	io_bus_write(&pio, ACPI_GPE0_PORT + 2, 1, 0);
	ck_assert_int_eq(sci, 0);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_GPE0_PORT, 1), GPE_BIT);
}
END_TEST

START_TEST(clear_by_write_one_lowers_sci)
{
	enable_gpe();
	acpi_hotplug_plug(&hp, 3);
	ck_assert_int_eq(sci, 1);
	io_bus_write(&pio, ACPI_GPE0_PORT, 1, 0);       /* writing 0 clears nothing */
	ck_assert_int_eq(sci, 1);
	io_bus_write(&pio, ACPI_GPE0_PORT, 1, GPE_BIT);
	ck_assert_int_eq(sci, 0);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_GPE0_PORT, 1), 0);
	/* INS is acknowledged separately, by writing its bits back. */
	ck_assert_uint_eq(hp_reg(ACPI_HP_INS), 1U << 3);
	io_bus_write(&pio, ACPI_HP_PORT + ACPI_HP_INS, 4, 1U << 3);
	ck_assert_uint_eq(hp_reg(ACPI_HP_INS), 0);
}
END_TEST

START_TEST(bad_slots_ignored)
{
	enable_gpe();
	acpi_hotplug_plug(&hp, 0);
	acpi_hotplug_plug(&hp, 32);
	acpi_hotplug_plug(&hp, 1000);
	ck_assert_uint_eq(hp_reg(ACPI_HP_INS), 0);
	ck_assert_int_eq(sci, 0);
	ck_assert_int_eq(acpi_hotplug_request_unplug(&hp, 0), -EINVAL);
	ck_assert_int_eq(acpi_hotplug_request_unplug(&hp, 32), -EINVAL);
	ck_assert(!acpi_hotplug_unplug_pending(&hp, 32));
	acpi_hotplug_cancel(&hp, 99);
}
END_TEST

START_TEST(request_unplug_twice_busy)
{
	enable_gpe();
	ck_assert_int_eq(acpi_hotplug_request_unplug(&hp, 7), 0);
	ck_assert(acpi_hotplug_unplug_pending(&hp, 7));
	ck_assert_uint_eq(hp_reg(ACPI_HP_REM), 1U << 7);
	ck_assert_int_eq(sci, 1);
	ck_assert_int_eq(acpi_hotplug_request_unplug(&hp, 7), -EBUSY);
	/* The guest acknowledging the request does not end it. */
	io_bus_write(&pio, ACPI_HP_PORT + ACPI_HP_REM, 4, 1U << 7);
	ck_assert_uint_eq(hp_reg(ACPI_HP_REM), 0);
	ck_assert(acpi_hotplug_unplug_pending(&hp, 7));
	ck_assert_int_eq(acpi_hotplug_request_unplug(&hp, 7), -EBUSY);
	/* Cancelled, it may be asked again. */
	acpi_hotplug_cancel(&hp, 7);
	ck_assert(!acpi_hotplug_unplug_pending(&hp, 7));
	ck_assert_int_eq(acpi_hotplug_request_unplug(&hp, 7), 0);
}
END_TEST

START_TEST(eject_only_when_requested)
{
	/* Nobody asked: ignored. */
	io_bus_write(&pio, ACPI_HP_PORT + ACPI_HP_EJ, 4, 1U << 4);
	ck_assert_int_eq(ejects, 0);
	ck_assert_int_eq(acpi_hotplug_request_unplug(&hp, 4), 0);
	io_bus_write(&pio, ACPI_HP_PORT + ACPI_HP_EJ, 4, 1U << 4);
	ck_assert_int_eq(ejects, 1);
	ck_assert_int_eq(last_eject, 4);
	ck_assert(!acpi_hotplug_unplug_pending(&hp, 4));
	ck_assert_uint_eq(hp_reg(ACPI_HP_REM), 0);
	/* A second _EJ0 is no longer requested. */
	io_bus_write(&pio, ACPI_HP_PORT + ACPI_HP_EJ, 4, 1U << 4);
	ck_assert_int_eq(ejects, 1);
	/* Cancelled: ignored. */
	ck_assert_int_eq(acpi_hotplug_request_unplug(&hp, 9), 0);
	acpi_hotplug_cancel(&hp, 9);
	io_bus_write(&pio, ACPI_HP_PORT + ACPI_HP_EJ, 4, 1U << 9);
	ck_assert_int_eq(ejects, 1);
}
END_TEST

START_TEST(eject_byte_write_and_many_bits)
{
	ck_assert_int_eq(acpi_hotplug_request_unplug(&hp, 17), 0);
	ck_assert_int_eq(acpi_hotplug_request_unplug(&hp, 31), 0);
	/* One byte at EJ + 2 covers slots 16-23: only 17 was asked. */
	io_bus_write(&pio, ACPI_HP_PORT + ACPI_HP_EJ + 2, 1, 0xff);
	ck_assert_int_eq(ejects, 1);
	ck_assert_int_eq(last_eject, 17);
	io_bus_write(&pio, ACPI_HP_PORT + ACPI_HP_EJ, 4, 0xffffffff);
	ck_assert_int_eq(ejects, 2);
	ck_assert_int_eq(last_eject, 31);
}
END_TEST

START_TEST(odd_accesses)
{
	acpi_hotplug_plug(&hp, 9);
	/* Sizes other than 1, 2, 4 read all-ones and write nothing. */
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_HP_PORT, 3), ~0ULL);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_HP_PORT, 8), ~0ULL);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_GPE0_PORT, 0), ~0ULL);
	io_bus_write(&pio, ACPI_HP_PORT, 8, ~0ULL);
	io_bus_write(&pio, ACPI_HP_PORT, 0, ~0ULL);
	ck_assert_uint_eq(hp_reg(ACPI_HP_INS), 1U << 9);
	/* Straddling the end: bytes past it read 0xff, writes stop there. */
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_HP_PORT + 14, 4), 0xffff0000 | (ACPI_HOTPLUG_SLOTS_ALL >> 16));
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_GPE0_PORT + 3, 4), 0xffffff00);
	io_bus_write(&pio, ACPI_GPE0_PORT + 3, 4, 0xffffffff);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_GPE0_PORT, 4), 0xff000000 | GPE_BIT);
	/* An unaligned word read across INS and REM. */
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_HP_PORT + 1, 2), (1U << 9) >> 8);
	/* SLOTS is read-only. */
	io_bus_write(&pio, ACPI_HP_PORT + ACPI_HP_SLOTS, 4, 0);
	ck_assert_uint_eq(hp_reg(ACPI_HP_SLOTS), ACPI_HOTPLUG_SLOTS_ALL);
}
END_TEST

START_TEST(slot_bitmap_limits)
{
	struct io_bus bus2 = { .name = "pio2" };
	struct acpi_hotplug h2;

	ck_assert_int_eq(acpi_hotplug_init(&h2, &bus2, NULL, 0x11, NULL, NULL), 0);
	ck_assert_uint_eq(io_bus_read(&bus2, ACPI_HP_PORT + ACPI_HP_SLOTS, 4), 0x10);
	acpi_hotplug_plug(&h2, 1);
	ck_assert_uint_eq(h2.ins, 0);
	acpi_hotplug_plug(&h2, 4);      /* no pm: no SCI, no crash */
	ck_assert_uint_eq(h2.ins, 0x10);
	ck_assert_int_eq(acpi_hotplug_request_unplug(&h2, 4), 0);
	io_bus_write(&bus2, ACPI_HP_PORT + ACPI_HP_EJ, 4, 0x10);    /* no callback */
	ck_assert(!acpi_hotplug_unplug_pending(&h2, 4));
	/* The ports are taken once. */
	ck_assert_int_eq(acpi_hotplug_init(&h2, &bus2, NULL, 0x10, NULL, NULL), -EBUSY);
}
END_TEST

START_TEST(power_button)
{
	acpi_pm_power_button(&pm);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_EVT_PORT, 2), ACPI_PM1_PWRBTN);
	ck_assert_int_eq(sci, 0);       /* PWRBTN_EN clear */
	io_bus_write(&pio, ACPI_PM1_EVT_PORT + 2, 2, ACPI_PM1_PWRBTN);
	ck_assert_int_eq(sci, 1);
	/* Writing 0 to status, or 1 to another bit, keeps it. */
	io_bus_write(&pio, ACPI_PM1_EVT_PORT, 2, 0x0001);
	ck_assert_int_eq(sci, 1);
	io_bus_write(&pio, ACPI_PM1_EVT_PORT + 1, 1, 0x01);     /* byte write: bit 8 */
	ck_assert_int_eq(sci, 0);
	ck_assert_uint_eq(io_bus_read(&pio, ACPI_PM1_EVT_PORT, 2), 0);
}
END_TEST

START_TEST(sci_shared_by_pm1_and_gpe)
{
	io_bus_write(&pio, ACPI_PM1_EVT_PORT + 2, 2, ACPI_PM1_PWRBTN);
	enable_gpe();
	acpi_pm_power_button(&pm);
	acpi_hotplug_plug(&hp, 2);
	ck_assert_int_eq(sci, 1);
	ck_assert_int_eq(sci_calls, 1);         /* told only on a change */
	io_bus_write(&pio, ACPI_PM1_EVT_PORT, 2, ACPI_PM1_PWRBTN);
	ck_assert_int_eq(sci, 1);               /* the GPE still pends */
	io_bus_write(&pio, ACPI_GPE0_PORT, 1, GPE_BIT);
	ck_assert_int_eq(sci, 0);
	ck_assert_int_eq(sci_calls, 2);
}
END_TEST

Suite *acpi_hotplug_suite(void)
{
	Suite *s = suite_create("acpi_hotplug");
	TCase *tc = tcase_create("ports");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, init_state);
	tcase_add_test(tc, plug_sets_bit_sci_only_when_enabled);
	tcase_add_test(tc, clear_by_write_one_lowers_sci);
	tcase_add_test(tc, bad_slots_ignored);
	tcase_add_test(tc, request_unplug_twice_busy);
	tcase_add_test(tc, eject_only_when_requested);
	tcase_add_test(tc, eject_byte_write_and_many_bits);
	tcase_add_test(tc, odd_accesses);
	tcase_add_test(tc, slot_bitmap_limits);
	tcase_add_test(tc, power_button);
	tcase_add_test(tc, sci_shared_by_pm1_and_gpe);
	suite_add_tcase(s, tc);
	return s;
}
