/* Unit tests of devices/pci_room.c: room for a hot-added device's BARs on
 * a running bus, around what the guest has programmed and the reserved
 * ranges; a device that does not fit is refused naming the BAR, and
 * pci_bus_plug_at / pci_bus_unplug put a device in a given slot and take it
 * out without its teardown. */
#include <string.h>
#include "../../devices/pci.h"
#include "../../devices/pci_room.h"
#include "suites.h"

#define M32   0xc0000000ULL
#define M32SZ 0x10000000ULL     /* 256 MiB */
#define M64   0x800000000ULL
#define M64SZ 0x100000000ULL    /* 4 GiB */

static struct io_bus pio, mmio;
static struct pci_bus bus;
static struct pci_device a, b;

static void setup(void)
{
	memset(&pio, 0, sizeof(pio));
	memset(&mmio, 0, sizeof(mmio));
	ck_assert_int_eq(pci_bus_init(&bus, &pio, &mmio, 0xb0000000ULL, M32, M32SZ, M64, M64SZ), 0);
	pci_device_init(&a, "a", 0x8086, 0x1111, 0x020000, 0);
	pci_device_init(&b, "b", 0x8086, 0x2222, 0x010802, 0);
}

START_TEST(room_around_programmed_bars)
{
	char err[256];

	/* a is at boot: BAR0 1 MiB 32-bit, BAR2 16 MiB 64-bit, BAR4 I/O 256 */
	pci_device_set_bar(&a, 0, 1 << 20, PCI_BASE_ADDRESS_SPACE_MEMORY, NULL, NULL, NULL);
	pci_device_set_bar(&a, 2, 16 << 20, PCI_BASE_ADDRESS_MEM_TYPE_64, NULL, NULL, NULL);
	pci_device_set_bar(&a, 4, 256, PCI_BASE_ADDRESS_SPACE_IO, NULL, NULL, NULL);
	ck_assert_int_eq(pci_bus_add(&bus, &a), 1);
	ck_assert_int_eq(pci_bus_assign_all(&bus, err, sizeof(err)), 0);
	/* the guest moves a's BAR0 up by 4 MiB */
	pci_bar_write(&a, 0, M32 + (4 << 20));
	pci_device_set_bar(&b, 0, 2 << 20, PCI_BASE_ADDRESS_SPACE_MEMORY, NULL, NULL, NULL);
	pci_device_set_bar(&b, 2, 16 << 20, PCI_BASE_ADDRESS_MEM_TYPE_64, NULL, NULL, NULL);
	pci_device_set_bar(&b, 4, 256, PCI_BASE_ADDRESS_SPACE_IO, NULL, NULL, NULL);
	ck_assert_int_eq(pci_bus_find_room(&bus, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(pci_bar_address(&b, 0), M32);         /* freed by the move */
	ck_assert_uint_eq(pci_bar_address(&b, 2), M64 + (16 << 20));
	ck_assert_uint_eq(pci_bar_address(&b, 4), pci_bar_address(&a, 4) + 256);
	ck_assert_int_eq(pci_bus_plug_at(&bus, &b, 7), 7);
	ck_assert_ptr_eq(bus.slot[7], &b);
	ck_assert_int_eq(pci_bus_plug_at(&bus, &b, 7), -1);     /* taken */
	pci_bus_unplug(&bus, &b);
	ck_assert_ptr_null(bus.slot[7]);
}
END_TEST

START_TEST(no_room_names_the_bar)
{
	char err[256];

	/* 32-bit only BARs: a takes 128 MiB at the window's start, b wants
	 * 256 MiB, which cannot fit an aligned 256 MiB window any more */
	pci_device_set_bar(&a, 0, 128 << 20, PCI_BASE_ADDRESS_SPACE_MEMORY, NULL, NULL, NULL);
	ck_assert_int_eq(pci_bus_add(&bus, &a), 1);
	pci_device_set_bar(&b, 1, 256 << 20, PCI_BASE_ADDRESS_SPACE_MEMORY, NULL, NULL, NULL);
	ck_assert_int_eq(pci_bus_find_room(&bus, &b, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no room for its BARs: BAR1"));
	ck_assert_ptr_nonnull(strstr(err, "32-bit"));
	ck_assert_uint_eq(pci_bar_address(&b, 1), 0);           /* untouched */
}
END_TEST

START_TEST(reserved_ranges_are_avoided)
{
	char err[256];

	ck_assert_int_eq(pci_bus_reserve(&bus, M32, 1 << 20), 0);
	pci_device_set_bar(&b, 0, 1 << 20, PCI_BASE_ADDRESS_SPACE_MEMORY, NULL, NULL, NULL);
	ck_assert_int_eq(pci_bus_find_room(&bus, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(pci_bar_address(&b, 0), M32 + (1 << 20));
}
END_TEST

Suite *pci_room_suite(void)
{
	Suite *s = suite_create("pci_room");
	TCase *tc = tcase_create("pci_room");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, room_around_programmed_bars);
	tcase_add_test(tc, no_room_names_the_bar);
	tcase_add_test(tc, reserved_ranges_are_avoided);
	suite_add_tcase(s, tc);
	return s;
}
