/* Tests of the MSI capability emulation (devices/msi.c): write masks,
 * vector count, per-vector data, mask and pending bits, and layouts that
 * do not fit. */
#include <string.h>
#include "suites.h"
#include "../../devices/msi.h"

#define CAP 0x50

static struct pci_device dev;
static struct msi m;
static int changes;

static void changed(struct msi *mm)
{
	ck_assert_ptr_eq(mm, &m);
	changes++;
}

/* A device whose config writes reach its MSI capability, as vfio-pci's do. */
static void cfg_write(struct pci_device *d, unsigned off, unsigned size, uint32_t v)
{
	pci_cfg_write(d, off, size, v);
	msi_config_written(&m, off, size);
}

static const struct pci_device_ops msi_ops = { .kind = "msi test", .cfg_write = cfg_write };

/* A capability at CAP with control word ctrl, as a device would hold it,
 * with enable, address, data, mask and pending bits already set. */
static int setup_ctrl(unsigned cap, uint16_t ctrl)
{
	int len;

	pci_device_init(&dev, "msi", 0x1234, 0x5678, 0, 0);
	dev.ops = &msi_ops;
	dev.cfg[cap] = 0x05;
	dev.cfg[cap + 1] = 0x00;
	memset(dev.cfg + cap + 4, 0xaa, 20 < 0x100 - cap - 4 ? 20 : 0x100 - cap - 4);
	ctrl |= MSI_CTRL_ENABLE | MSI_CTRL_MME;
	dev.cfg[cap + 2] = (uint8_t)ctrl;
	dev.cfg[cap + 3] = (uint8_t)(ctrl >> 8);
	len = msi_init_at(&m, &dev, cap);
	m.changed = changed;
	changes = 0;
	return len;
}

static uint32_t rd(unsigned off, unsigned size)
{
	return pci_cfg_read(&dev, off, size);
}

static void wr(unsigned off, unsigned size, uint32_t v)
{
	pci_guest_cfg_write(&dev, off, size, v);
}

/* 32-bit address, per-vector masking, 8 vectors (MMC 3). */
START_TEST(layout_32_pvm)
{
	ck_assert_int_eq(setup_ctrl(CAP, MSI_CTRL_PVM | 3 << 1), 20);
	ck_assert(!m.is64);
	ck_assert(m.pvm);
	ck_assert_uint_eq(m.max, 8);
	/* Init cleared enable, MME, address, data, mask and pending. */
	ck_assert_uint_eq(rd(CAP + 2, 2), MSI_CTRL_PVM | 3 << 1);
	ck_assert(!msi_enabled(&m));
	ck_assert_uint_eq(rd(CAP + 4, 4), 0);
	ck_assert_uint_eq(rd(CAP + 8, 4), 0);
	ck_assert_uint_eq(rd(CAP + 12, 4), 0);
	ck_assert_uint_eq(rd(CAP + 16, 4), 0);
	ck_assert_uint_eq(msi_vectors(&m), 1);

	/* Control: only enable and MME change; MMC, 64-bit, PVM are read-only. */
	wr(CAP + 2, 2, 0xffff);
	ck_assert_uint_eq(rd(CAP + 2, 2), MSI_CTRL_PVM | 3 << 1 | MSI_CTRL_ENABLE | MSI_CTRL_MME);
	ck_assert(msi_enabled(&m));
	ck_assert_int_eq(changes, 1);
	/* MME 7 (128) asks for more than MMC offers: 8. */
	ck_assert_uint_eq(msi_vectors(&m), 8);
	wr(CAP + 2, 2, MSI_CTRL_ENABLE | 2 << 4);
	ck_assert_uint_eq(msi_vectors(&m), 4);

	/* Address: dword aligned, no upper half in a 32-bit capability. */
	wr(CAP + 4, 4, 0xfee0100f);
	ck_assert_uint_eq(rd(CAP + 4, 4), 0xfee0100c);
	ck_assert_uint_eq(msi_address(&m), 0xfee0100cULL);
	/* Data: 16 bits; with 4 vectors its low 2 bits name the vector. */
	wr(CAP + 8, 4, 0xffff4025);
	ck_assert_uint_eq(rd(CAP + 8, 4), 0x4025);
	ck_assert_uint_eq(msi_data(&m, 0), 0x4024);
	ck_assert_uint_eq(msi_data(&m, 3), 0x4027);
	ck_assert_uint_eq(msi_data(&m, 5), 0x4025);     /* only the low bits */

	/* Mask bits exist for the 8 vectors only. */
	wr(CAP + 12, 4, 0xffffffff);
	ck_assert_uint_eq(rd(CAP + 12, 4), 0xff);
	ck_assert(msi_masked(&m, 2));
	wr(CAP + 12, 4, 0xfb);
	ck_assert(!msi_masked(&m, 2));
	ck_assert(msi_masked(&m, 1));
	ck_assert(msi_masked(&m, 4));   /* beyond the 4 enabled vectors */
	ck_assert(msi_masked(&m, 31));
	ck_assert(msi_masked(&m, 1000));

	/* Pending bits: read-only to the guest, set and taken by the owner. */
	ck_assert(msi_reads_pending(&m, CAP + 16, 4));
	ck_assert(msi_reads_pending(&m, CAP + 19, 1));
	ck_assert(msi_reads_pending(&m, CAP + 12, 8));
	ck_assert(!msi_reads_pending(&m, CAP + 12, 4));
	ck_assert(!msi_reads_pending(&m, CAP + 20, 4));
	wr(CAP + 16, 4, 0xffffffff);
	ck_assert_uint_eq(rd(CAP + 16, 4), 0);
	msi_set_pending(&m, 3);
	msi_set_pending(&m, 8);         /* no such vector */
	msi_set_pending(&m, 4000);
	ck_assert_uint_eq(rd(CAP + 16, 4), 0x8);
	ck_assert(msi_take_pending(&m, 3));
	ck_assert(!msi_take_pending(&m, 3));
	ck_assert(!msi_take_pending(&m, 4000));
	ck_assert_uint_eq(rd(CAP + 16, 4), 0);
}
END_TEST

/* 64-bit address, no masking: 14 bytes; what follows is not ours. */
START_TEST(layout_64)
{
	ck_assert_int_eq(setup_ctrl(CAP, MSI_CTRL_64BIT), 14);
	ck_assert(m.is64);
	ck_assert(!m.pvm);
	ck_assert_uint_eq(m.max, 1);
	wr(CAP + 4, 4, 0xfee00000);
	wr(CAP + 8, 4, 0x00000001);
	ck_assert_uint_eq(msi_address(&m), 0x1fee00000ULL);
	wr(CAP + 12, 2, 0x0031);
	ck_assert_uint_eq(msi_data(&m, 0), 0x31);
	/* Without per-vector masking nothing is masked and nothing pends. */
	wr(CAP + 2, 2, MSI_CTRL_ENABLE | 5 << 4);
	ck_assert_uint_eq(msi_vectors(&m), 1);
	ck_assert(!msi_masked(&m, 0));
	ck_assert(msi_masked(&m, 1));
	ck_assert(!msi_reads_pending(&m, CAP + 16, 4));
	msi_set_pending(&m, 0);
	ck_assert(!msi_take_pending(&m, 0));
	ck_assert_uint_eq(rd(CAP + 16, 4), 0xaaaaaaaa);  /* not touched */
	/* Writes that miss the capability do not count as changes. */
	changes = 0;
	wr(CAP + 14, 2, 0x1234);
	wr(CAP - 4, 4, 0x1234);
	wr(0x04, 2, 0x0006);
	ck_assert_int_eq(changes, 0);
	wr(CAP, 4, 0xffffffff);         /* the header dword touches control */
	ck_assert_int_eq(changes, 1);
	ck_assert_uint_eq(rd(CAP, 2), 0x0005);          /* id and next: read-only */
}
END_TEST

/* Layouts that do not fit in the first 256 bytes are refused. */
START_TEST(layouts_that_do_not_fit)
{
	ck_assert_int_eq(setup_ctrl(0xe8, MSI_CTRL_64BIT | MSI_CTRL_PVM), 24);
	ck_assert_int_eq(setup_ctrl(0xec, MSI_CTRL_64BIT | MSI_CTRL_PVM), -1);
	ck_assert(!msi_enabled(&m));
	ck_assert_uint_eq(msi_vectors(&m), 0);
	ck_assert(!msi_reads_pending(&m, 0xfc, 4));
	msi_config_written(&m, 0xec, 4);
	ck_assert_int_eq(changes, 0);
	ck_assert_int_eq(setup_ctrl(0xf4, 0), 10);
	ck_assert_int_eq(setup_ctrl(0xf8, 0), -1);
	ck_assert_int_eq(setup_ctrl(0x3c, 0), -1);
	/* MMC 6 and 7 are reserved: read as 32 vectors, never more. */
	ck_assert_int_eq(setup_ctrl(CAP, 7 << 1), 10);
	ck_assert_uint_eq(m.max, 32);
}
END_TEST

Suite *msi_suite(void)
{
	Suite *s = suite_create("msi");
	TCase *tc = tcase_create("msi");

	tcase_add_test(tc, layout_32_pvm);
	tcase_add_test(tc, layout_64);
	tcase_add_test(tc, layouts_that_do_not_fit);
	suite_add_tcase(s, tc);
	return s;
}
