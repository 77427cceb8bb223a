/* Tests of MSI-X capability, vector table and pending bits (devices/msix.c). */
#include <string.h>
#include "suites.h"
#include "../../devices/msix.h"

#define NVEC 4

static struct pci_device dev;
static struct msix m;
static int changes, last_vector, config_writes;

static void vector_changed(struct msix *mx, unsigned v)
{
	ck_assert_ptr_eq(mx, &m);
	changes++;
	last_vector = (int)v;
}

/* A device whose config writes reach its MSI-X capability. */
static void cfg_write(struct pci_device *d, unsigned off, unsigned size, uint32_t v)
{
	pci_cfg_write(d, off, size, v);
	config_writes++;
	msix_config_written(&m, off, size);
}

static const struct pci_device_ops msix_ops = { .kind = "msix test", .cfg_write = cfg_write };

static void setup_n(unsigned n)
{
	pci_device_init(&dev, "msix", 0x1234, 0x5678, 0, 0);
	dev.ops = &msix_ops;
	ck_assert_int_eq(msix_init(&m, &dev, n, 2, 0x2000, 0x3000), 0);
	m.vector_changed = vector_changed;
	changes = 0;
	last_vector = -1;
	config_writes = 0;
}

static void setup(void)
{
	setup_n(NVEC);
}

static void ctrl_write(uint16_t v)
{
	pci_guest_cfg_write(&dev, m.cap + 2, 2, v);
}

START_TEST(capability_layout)
{
	struct msix m2;

	ck_assert_uint_eq(m.cap, 0x40);
	ck_assert_uint_eq(m.n, NVEC);
	ck_assert_uint_eq(pci_cfg_read(&dev, PCI_CAPABILITY_LIST, 1), 0x40);
	ck_assert_uint_eq(pci_cfg_read(&dev, 0x40, 4), 0x00030011);
	ck_assert_uint_eq(pci_cfg_read(&dev, 0x44, 4), 0x2002);
	ck_assert_uint_eq(pci_cfg_read(&dev, 0x48, 4), 0x3002);
	ck_assert(!msix_enabled(&m));
	/* Table offset/BIR and table size are read-only. */
	pci_guest_cfg_write(&dev, 0x44, 4, 0);
	ctrl_write(0x07ff);
	ck_assert_uint_eq(pci_cfg_read(&dev, 0x44, 4), 0x2002);
	ck_assert_uint_eq(pci_cfg_read(&dev, 0x42, 2), 0x0003);
	ctrl_write(0xffff);
	ck_assert_uint_eq(pci_cfg_read(&dev, 0x42, 2), 0xc003);

	ck_assert_int_eq(msix_init(&m2, &dev, 0, 0, 0, 0), -1);
	ck_assert_int_eq(msix_init(&m2, &dev, MSIX_MAX_VECTORS + 1, 0, 0, 0), -1);
}
END_TEST

START_TEST(table_initial_state)
{
	unsigned v;

	for (v = 0; v < NVEC; v++) {
		ck_assert_uint_eq(msix_table_read(&m, 16 * v, 4), 0);
		ck_assert_uint_eq(msix_table_read(&m, 16 * v + 12, 4), MSIX_VEC_MASKED);
		ck_assert(msix_masked(&m, v));
	}
	ck_assert_uint_eq(msix_pba_read(&m, 0, 8), 0);
}
END_TEST

START_TEST(table_rw_4_8)
{
	msix_table_write(&m, 0, 4, 0xfee00000);
	msix_table_write(&m, 4, 4, 0x1);
	msix_table_write(&m, 8, 4, 0x4041);
	ck_assert_uint_eq(msix_table_read(&m, 0, 4), 0xfee00000);
	ck_assert_uint_eq(msix_table_read(&m, 4, 4), 0x1);
	ck_assert_uint_eq(msix_table_read(&m, 8, 4), 0x4041);
	ck_assert_uint_eq(msix_table_read(&m, 0, 8), 0x1fee00000ULL);
	ck_assert_uint_eq(msix_address(&m, 0), 0x1fee00000ULL);
	ck_assert_uint_eq(m.table[0].data, 0x4041);

	msix_table_write(&m, 16, 8, 0x00000000fee01000ULL);
	msix_table_write(&m, 24, 8, 0x0000000000000055ULL);    /* data, unmask */
	ck_assert_uint_eq(msix_address(&m, 1), 0xfee01000);
	ck_assert_uint_eq(msix_table_read(&m, 24, 4), 0x55);
	ck_assert_uint_eq(msix_table_read(&m, 28, 4), 0);
	ck_assert_uint_eq(msix_table_read(&m, 24, 8), 0x55);
	ck_assert(!msix_masked(&m, 1));
	/* The last entry's control word. */
	msix_table_write(&m, 16 * (NVEC - 1) + 8, 8, 0x1ULL << 32 | 0x99);
	ck_assert_uint_eq(msix_table_read(&m, 16 * (NVEC - 1) + 8, 8), 0x100000099ULL);
	ck_assert_uint_eq(msix_address(&m, NVEC), 0);
}
END_TEST

START_TEST(table_bad_accesses)
{
	msix_table_write(&m, 0, 4, 0xfee00000);
	ck_assert_int_eq(changes, 1);
	changes = 0;
	/* Misaligned, wrong size, out of range: dropped / read as 0. */
	msix_table_write(&m, 2, 4, 0xffffffff);
	msix_table_write(&m, 4, 8, 0xffffffffffffffffULL);
	msix_table_write(&m, 0, 2, 0x1234);
	msix_table_write(&m, 0, 1, 0x12);
	msix_table_write(&m, 12, 2, 0);
	msix_table_write(&m, 16 * NVEC, 4, 0x1);
	msix_table_write(&m, 16 * NVEC - 4, 8, 0);
	ck_assert_uint_eq(msix_table_read(&m, 0, 4), 0xfee00000);
	ck_assert_uint_eq(msix_table_read(&m, 4, 4), 0);
	ck_assert_uint_eq(msix_table_read(&m, 12, 4), MSIX_VEC_MASKED);
	ck_assert_uint_eq(msix_table_read(&m, 16 * NVEC - 4, 4), MSIX_VEC_MASKED);
	ck_assert_int_eq(changes, 0);

	ck_assert_uint_eq(msix_table_read(&m, 2, 4), 0);
	ck_assert_uint_eq(msix_table_read(&m, 0, 2), 0);
	ck_assert_uint_eq(msix_table_read(&m, 12, 1), 0);
	ck_assert_uint_eq(msix_table_read(&m, 4, 8), 0);
	ck_assert_uint_eq(msix_table_read(&m, 16 * NVEC, 4), 0);
	ck_assert_uint_eq(msix_table_read(&m, 16 * NVEC - 4, 8), 0);
	ck_assert_uint_eq(msix_table_read(&m, UINT64_MAX - 7, 8), 0);
	ck_assert_uint_eq(msix_pba_read(&m, 8, 8), 0);
	ck_assert_uint_eq(msix_pba_read(&m, 0, 2), 0);
	ck_assert_uint_eq(msix_pba_read(&m, 2, 4), 0);
}
END_TEST

START_TEST(reserved_ctrl_bits)
{
	msix_table_write(&m, 12, 4, 0xfffffffe);
	ck_assert_uint_eq(msix_table_read(&m, 12, 4), 0);
	ck_assert_uint_eq(m.table[0].ctrl, 0);
	msix_table_write(&m, 12, 4, 0xffffffff);
	ck_assert_uint_eq(msix_table_read(&m, 12, 4), 1);
	msix_table_write(&m, 8, 8, 0xfffffffe00000007ULL);
	ck_assert_uint_eq(msix_table_read(&m, 8, 8), 0x7);
}
END_TEST

START_TEST(vector_changed_calls)
{
	msix_table_write(&m, 16, 4, 0xfee00000);
	ck_assert_int_eq(changes, 1);
	ck_assert_int_eq(last_vector, 1);
	/* Same value again: no change. */
	msix_table_write(&m, 16, 4, 0xfee00000);
	ck_assert_int_eq(changes, 1);
	/* Writing the reserved bits only is no change either. */
	msix_table_write(&m, 28, 4, 0xfff0 | MSIX_VEC_MASKED);
	ck_assert_int_eq(changes, 1);
	msix_table_write(&m, 16 * 3 + 12, 4, 0);
	ck_assert_int_eq(changes, 2);
	ck_assert_int_eq(last_vector, 3);
	/* The control word: every vector is told. */
	ctrl_write(MSIX_CTRL_ENABLE);
	ck_assert_int_eq(changes, 2 + NVEC);
	ck_assert_int_eq(last_vector, NVEC - 1);
	/* Config writes elsewhere reach the hook but change no vector. */
	pci_guest_cfg_write(&dev, PCI_INTERRUPT_LINE, 1, 5);
	pci_guest_cfg_write(&dev, m.cap + 4, 4, 0);
	pci_guest_cfg_write(&dev, m.cap, 2, 0);
	ck_assert_int_eq(config_writes, 4);
	ck_assert_int_eq(changes, 2 + NVEC);
	/* A dword write covering the control word counts. */
	pci_guest_cfg_write(&dev, m.cap, 4, 0);
	ck_assert_int_eq(changes, 2 + 2 * NVEC);
	ck_assert(!msix_enabled(&m));
	/* No callback: no crash. */
	m.vector_changed = NULL;
	msix_table_write(&m, 0, 4, 0x1000);
	ctrl_write(MSIX_CTRL_ENABLE);
	ck_assert(msix_enabled(&m));
}
END_TEST

START_TEST(fire_disabled)
{
	msix_table_write(&m, 12, 4, 0);
	ck_assert(!msix_fire(&m, 0));
	ck_assert_uint_eq(m.pba[0], 0);
	ck_assert(!msix_take_pending(&m, 0));
}
END_TEST

START_TEST(fire_masked_then_unmasked)
{
	ctrl_write(MSIX_CTRL_ENABLE);
	ck_assert(msix_enabled(&m));
	/* Vector 2 is masked (reset state): recorded as pending. */
	ck_assert(!msix_fire(&m, 2));
	ck_assert_uint_eq(m.pba[0], 1 << 2);
	ck_assert_uint_eq(msix_pba_read(&m, 0, 8), 1 << 2);
	ck_assert_uint_eq(msix_pba_read(&m, 0, 4), 1 << 2);
	ck_assert(!msix_take_pending(&m, 2));
	ck_assert_uint_eq(msix_pba_read(&m, 0, 4), 1 << 2);
	/* Unmask: the pending bit is handed over once. */
	msix_table_write(&m, 16 * 2 + 12, 4, 0);
	ck_assert(msix_take_pending(&m, 2));
	ck_assert(!msix_take_pending(&m, 2));
	ck_assert_uint_eq(msix_pba_read(&m, 0, 8), 0);
	/* Unmasked vectors fire directly and leave no pending bit. */
	ck_assert(msix_fire(&m, 2));
	ck_assert_uint_eq(m.pba[0], 0);
	ck_assert(!msix_take_pending(&m, 2));
	/* Out of range. */
	ck_assert(!msix_fire(&m, NVEC));
	ck_assert(msix_masked(&m, NVEC));
	ck_assert(!msix_take_pending(&m, NVEC));
	ck_assert_uint_eq(m.pba[0], 0);
}
END_TEST

START_TEST(function_mask)
{
	unsigned v;

	for (v = 0; v < NVEC; v++)
		msix_table_write(&m, 16 * v + 12, 4, 0);
	ctrl_write(MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	ck_assert_uint_eq(pci_cfg_read(&dev, m.cap + 2, 2), 0xc003);
	for (v = 0; v < NVEC; v++)
		ck_assert(msix_masked(&m, v));
	ck_assert(!msix_fire(&m, 0));
	ck_assert(!msix_fire(&m, 3));
	ck_assert_uint_eq(msix_pba_read(&m, 0, 4), 0x9);
	ck_assert(!msix_take_pending(&m, 0));
	/* Clearing the function mask (byte write of the upper half). */
	pci_guest_cfg_write(&dev, m.cap + 3, 1, MSIX_CTRL_ENABLE >> 8);
	ck_assert_uint_eq(pci_cfg_read(&dev, m.cap + 2, 2), 0x8003);
	ck_assert(!msix_masked(&m, 0));
	ck_assert(msix_take_pending(&m, 0));
	ck_assert(msix_take_pending(&m, 3));
	ck_assert_uint_eq(m.pba[0], 0);
	/* Disabled: pending bits are neither set nor taken. */
	ctrl_write(MSIX_CTRL_FMASK);
	ck_assert(!msix_fire(&m, 1));
	ck_assert_uint_eq(m.pba[0], 0);
}
END_TEST

START_TEST(pba_upper_half)
{
	setup_n(40);
	ck_assert_uint_eq(m.cap, 0x40);
	ck_assert_uint_eq(pci_cfg_read(&dev, 0x42, 2), 39);
	ctrl_write(MSIX_CTRL_ENABLE);
	ck_assert(!msix_fire(&m, 35));
	ck_assert(!msix_fire(&m, 1));
	ck_assert_uint_eq(msix_pba_read(&m, 0, 4), 0x2);
	ck_assert_uint_eq(msix_pba_read(&m, 4, 4), 0x8);
	ck_assert_uint_eq(msix_pba_read(&m, 0, 8), (1ULL << 35) | 2);
	/* 40 entries make a 640-byte table. */
	msix_table_write(&m, 39 * 16 + 12, 4, 0);
	ck_assert_uint_eq(msix_table_read(&m, 636, 4), 0);
	ck_assert(!msix_masked(&m, 39));
	ck_assert_uint_eq(msix_table_read(&m, 640, 4), 0);
}
END_TEST

Suite *msix_suite(void)
{
	Suite *s = suite_create("msix");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, capability_layout);
	tcase_add_test(tc, table_initial_state);
	tcase_add_test(tc, table_rw_4_8);
	tcase_add_test(tc, table_bad_accesses);
	tcase_add_test(tc, reserved_ctrl_bits);
	tcase_add_test(tc, vector_changed_calls);
	tcase_add_test(tc, fire_disabled);
	tcase_add_test(tc, fire_masked_then_unmasked);
	tcase_add_test(tc, function_mask);
	tcase_add_test(tc, pba_upper_half);
	suite_add_tcase(s, tc);
	return s;
}
