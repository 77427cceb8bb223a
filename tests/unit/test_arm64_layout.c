/* Tests of the arm64 guest memory map (vmm/arm64/layout.c): the fixed
 * map, overlap checks, kernel / initrd / DTB placement for several RAM and
 * initrd sizes, and the check against the host's usable IOVA ranges with
 * the SMMU's MSI doorbell hole. */
#include <string.h>
#include "suites.h"
#include "../../vmm/arm64/layout.h"
#include "../../vfio/backend.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static char err[256];

/* What the SMMU in the nested L1 reports (NESTED-ARM64.md). */
static const struct iova_range smmu_ranges[] = {
	{ 0x0, 0x7ffffff },
	{ 0x8100000, 0xffffffffffffULL },
};

static void layout_ok(struct arm64_layout *l, uint64_t ram, unsigned ncpus)
{
	err[0] = '\0';
	ck_assert_msg(arm64_layout_init(l, ram, ncpus, err, sizeof(err)) == 0, "%s", err);
}

static void expect_err(int ret, const char *what)
{
	ck_assert_int_eq(ret, -1);
	ck_assert_msg(strstr(err, what), "expected '%s' in '%s'", what, err);
	ck_assert_msg(!strchr(err, '\n'), "not one line: '%s'", err);
}

static void expect_code(int ret, int code, const char *what)
{
	ck_assert_int_eq(ret, code);
	ck_assert_msg(strstr(err, what), "expected '%s' in '%s'", what, err);
	ck_assert_msg(!strchr(err, '\n'), "not one line: '%s'", err);
}

START_TEST(map_fixed)
{
	struct arm64_layout l;

	layout_ok(&l, 1 * GiB, 2);
	ck_assert_uint_eq(l.ram_base, 0x40000000);
	ck_assert_uint_eq(l.ram_size, 1 * GiB);
	ck_assert_uint_eq(l.gicd_base, 0x08000000);
	ck_assert_uint_eq(l.gicd_size, 0x10000);
	ck_assert_uint_eq(l.its_base, 0x08080000);
	ck_assert_uint_eq(l.its_size, 0x20000);
	ck_assert_uint_eq(l.gicr_base, 0x080a0000);
	ck_assert_uint_eq(l.gicr_size, 2 * 0x20000);
	ck_assert_uint_eq(l.uart_base, 0x09000000);
	ck_assert_uint_eq(l.uart_size, 0x1000);
	ck_assert_uint_eq(l.uart_spi, 1);
	ck_assert_uint_eq(l.mmio32_base, 0x10000000);
	ck_assert_uint_eq(l.mmio32_base + l.mmio32_size - 1, 0x3efeffff);
	ck_assert_uint_eq(l.pci_io_base, 0x3eff0000);
	ck_assert_uint_eq(l.pci_io_size, 0x10000);
	ck_assert_uint_eq(l.ecam_base, 0x3f000000);
	ck_assert_uint_eq(l.ecam_size, 16 * MiB);
	ck_assert_uint_eq(l.bus_first, 0);
	ck_assert_uint_eq(l.bus_last, 15);
	ck_assert_uint_eq(l.mmio64_base, 0x8000000000ULL);
	ck_assert_uint_eq(l.mmio64_size, 0x8000000000ULL);
	ck_assert_uint_eq(l.intx_spi, 3);
	ck_assert_uint_eq(l.ncpus, 2);
	/* 64 vCPUs' redistributors end below the UART. */
	layout_ok(&l, 1 * GiB, 64);
	ck_assert_uint_eq(l.gicr_size, 64 * 0x20000);
	ck_assert_uint_le(l.gicr_base + l.gicr_size, l.uart_base);
	/* The largest RAM ends where the 64-bit window starts. */
	layout_ok(&l, ARM64_RAM_MAX, 1);
	ck_assert_uint_eq(l.ram_base + l.ram_size, l.mmio64_base);
}
END_TEST

START_TEST(map_refused)
{
	struct arm64_layout l;

	expect_err(arm64_layout_init(&l, 1 * GiB, 0, err, sizeof(err)), "0 vCPUs: arm64 guests take 1 to 64");
	expect_err(arm64_layout_init(&l, 1 * GiB, 65, err, sizeof(err)), "65 vCPUs");
	expect_err(arm64_layout_init(&l, 32 * MiB, 1, err, sizeof(err)), "32 MiB of RAM: arm64 guests take 64 MiB to 523264 MiB");
	expect_err(arm64_layout_init(&l, ARM64_RAM_MAX + 2 * MiB, 1, err, sizeof(err)), "of RAM: arm64 guests take");
	expect_err(arm64_layout_init(&l, 1 * GiB + 4096, 1, err, sizeof(err)), "not a multiple of 2 MiB");
}
END_TEST

START_TEST(map_overlap)
{
	struct arm64_layout l;

	layout_ok(&l, 1 * GiB, 2);
	l.mmio32_base = 0x3ff00000;     /* into the ECAM */
	l.mmio32_size = 0x00080000;
	expect_err(arm64_layout_check(&l, err, sizeof(err)),
		   "the PCI ECAM (0x3f000000-0x3fffffff) overlaps the PCI 32-bit window (0x3ff00000-0x3ff7ffff)");
	layout_ok(&l, 1 * GiB, 2);
	l.ram_size = 0x8000000000ULL;   /* into the 64-bit window */
	expect_err(arm64_layout_check(&l, err, sizeof(err)), "RAM (0x40000000-0x803fffffff) overlaps the PCI 64-bit window");
	layout_ok(&l, 1 * GiB, 2);
	l.mmio64_base = 1ULL << 48;
	expect_err(arm64_layout_check(&l, err, sizeof(err)), "the PCI 64-bit window at 0x1000000000000 size 0x8000000000 is empty or past the 48-bit");
	layout_ok(&l, 1 * GiB, 2);
	l.bus_last = 16;
	expect_err(arm64_layout_check(&l, err, sizeof(err)), "PCI buses 0-16 do not fit the ECAM of 16 MiB");
}
END_TEST

/* A made-up map with RAM over the SMMU's doorbell window (the GIC moved out
 * of the way): refused by name, whatever the host says. */
static void doorbell_layout(struct arm64_layout *l)
{
	layout_ok(l, 1 * GiB, 2);
	l->gicd_base = 0x02000000;
	l->its_base = 0x02080000;
	l->gicr_base = 0x020a0000;
	l->ram_base = 0x07f00000;
	l->ram_size = 0x00200000;
}

START_TEST(map_doorbell_window)
{
	struct arm64_layout l;

	doorbell_layout(&l);
	expect_err(arm64_layout_check(&l, err, sizeof(err)),
		   "RAM (0x7f00000-0x80fffff) overlaps the SMMU's MSI doorbell window 0x8000000-0x80fffff");
	/* Just below it is fine. */
	l.ram_base = 0x07e00000;
	ck_assert_int_eq(arm64_layout_check(&l, err, sizeof(err)), 0);
}
END_TEST

START_TEST(intx_swizzle)
{
	struct arm64_layout l;
	unsigned slot, pin;

	layout_ok(&l, 1 * GiB, 1);
	ck_assert_uint_eq(arm64_pci_intx_spi(&l, 0, 1), 3);     /* INTA of slot 0 */
	ck_assert_uint_eq(arm64_pci_intx_spi(&l, 0, 4), 6);
	ck_assert_uint_eq(arm64_pci_intx_spi(&l, 1, 1), 4);
	ck_assert_uint_eq(arm64_pci_intx_spi(&l, 2, 1), 5);     /* the NVMe at 00:02.0 */
	ck_assert_uint_eq(arm64_pci_intx_spi(&l, 3, 2), 3);
	ck_assert_uint_eq(arm64_pci_intx_spi(&l, 31, 4), 5);
	for (slot = 0; slot < 32; slot++)
		for (pin = 1; pin <= 4; pin++) {
			unsigned spi = arm64_pci_intx_spi(&l, slot, pin);

			ck_assert_uint_ge(spi, 3);
			ck_assert_uint_le(spi, 6);
			ck_assert_uint_eq(spi, arm64_pci_intx_spi(&l, slot % 4, pin));
		}
}
END_TEST

START_TEST(vcpu_mpidr)
{
	ck_assert_uint_eq(arm64_vcpu_mpidr(0), 0);
	ck_assert_uint_eq(arm64_vcpu_mpidr(1), 1);
	ck_assert_uint_eq(arm64_vcpu_mpidr(15), 15);
	ck_assert_uint_eq(arm64_vcpu_mpidr(16), 0x100);
	ck_assert_uint_eq(arm64_vcpu_mpidr(63), 0x30f);
}
END_TEST

/* Checks every plan must meet (booting.rst and the brief). */
static void plan_sane(const struct arm64_layout *l, const struct arm64_boot_plan *p,
		      uint64_t text_offset, uint64_t ksize, uint64_t isize)
{
	uint64_t ram_end = l->ram_base + l->ram_size;

	ck_assert_uint_eq(p->kernel_addr, l->ram_base + text_offset);
	ck_assert_uint_eq((p->kernel_addr - text_offset) % (2 * MiB), 0);
	ck_assert_uint_eq(p->kernel_size, ksize);
	ck_assert_uint_eq(p->dtb_addr, ram_end - 2 * MiB);
	ck_assert_uint_eq(p->dtb_addr % 8, 0);
	ck_assert_uint_le(p->kernel_addr + ksize, p->dtb_addr);
	ck_assert_uint_eq(p->initrd_size, isize);
	if (!isize) {
		ck_assert_uint_eq(p->initrd_addr, 0);
		return;
	}
	ck_assert_uint_ge(p->initrd_addr, p->kernel_addr + ksize);
	ck_assert_uint_le(p->initrd_addr + isize, p->dtb_addr);
	ck_assert_uint_eq(p->initrd_addr % (64 * 1024), 0);
	/* In the 32 GiB window, 1 GiB aligned, that covers the kernel. */
	ck_assert_uint_le(p->initrd_addr + isize, (p->kernel_addr & ~(GiB - 1)) + 32 * GiB);
}

START_TEST(plan_sizes)
{
	static const uint64_t rams[] = { 64 * MiB, 256 * MiB, 1 * GiB, 3 * GiB, 16 * GiB };
	static const uint64_t initrds[] = { 0, 1, 4095, 30 * MiB + 17, 40 * MiB };
	struct arm64_layout l;
	struct arm64_boot_plan p;
	size_t i, j;

	for (i = 0; i < sizeof(rams) / sizeof(rams[0]); i++)
		for (j = 0; j < sizeof(initrds) / sizeof(initrds[0]); j++) {
			layout_ok(&l, rams[i], 2);
			ck_assert_msg(arm64_boot_plan(&l, 0x80000, 20 * MiB, initrds[j], &p,
						      err, sizeof(err)) == 0,
				      "%llu MiB RAM, initrd %llu: %s",
				      (unsigned long long)(rams[i] / MiB),
				      (unsigned long long)initrds[j], err);
			plan_sane(&l, &p, 0x80000, 20 * MiB, initrds[j]);
		}
}
END_TEST

/* The exact addresses for the nested test's guest: 1 GiB, a 30 MiB initrd. */
START_TEST(plan_exact)
{
	struct arm64_layout l;
	struct arm64_boot_plan p;

	layout_ok(&l, 1 * GiB, 2);
	ck_assert_int_eq(arm64_boot_plan(&l, 0, 40 * MiB, 30 * MiB, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.kernel_addr, 0x40000000);
	ck_assert_uint_eq(p.dtb_addr, 0x7fe00000);
	ck_assert_uint_eq(p.initrd_addr, 0x7e000000);
	/* An odd size: the start is rounded down to 64 KiB, the end stays below. */
	ck_assert_int_eq(arm64_boot_plan(&l, 0, 40 * MiB, 100000, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.initrd_addr, 0x7fde0000);
	ck_assert_uint_le(p.initrd_addr + 100000, 0x7fe00000);
}
END_TEST

/* RAM beyond 32 GiB: the DTB at the top, the initrd inside the window. */
START_TEST(plan_initrd_window)
{
	struct arm64_layout l;
	struct arm64_boot_plan p;

	layout_ok(&l, 64 * GiB, 2);
	ck_assert_int_eq(arm64_boot_plan(&l, 0, 40 * MiB, 30 * MiB, &p, err, sizeof(err)), 0);
	plan_sane(&l, &p, 0, 40 * MiB, 30 * MiB);
	ck_assert_uint_eq(p.dtb_addr, 0x40000000ULL + 64 * GiB - 2 * MiB);
	ck_assert_uint_eq(p.initrd_addr, 0x40000000ULL + 32 * GiB - 30 * MiB);
}
END_TEST

START_TEST(plan_refused)
{
	struct arm64_layout l;
	struct arm64_boot_plan p;

	layout_ok(&l, 64 * MiB, 1);
	/* 64 MiB less the DTB's 2 MiB is 62 MiB for the kernel. */
	ck_assert_int_eq(arm64_boot_plan(&l, 0, 62 * MiB, 0, &p, err, sizeof(err)), 0);
	expect_err(arm64_boot_plan(&l, 0, 62 * MiB + 1, 0, &p, err, sizeof(err)),
		   "the kernel needs 63 MiB of RAM, the guest has 62 MiB below the device tree: raise --memory");
	expect_err(arm64_boot_plan(&l, 0x80000, 62 * MiB, 0, &p, err, sizeof(err)), "raise --memory");
	expect_err(arm64_boot_plan(&l, 0, UINT64_MAX, 0, &p, err, sizeof(err)), "raise --memory");
	expect_err(arm64_boot_plan(&l, 2 * MiB, 1 * MiB, 0, &p, err, sizeof(err)), "the kernel needs");
	/* 40 MiB of kernel leaves 22 MiB for the initrd. */
	ck_assert_int_eq(arm64_boot_plan(&l, 0, 40 * MiB, 22 * MiB, &p, err, sizeof(err)), 0);
	expect_code(arm64_boot_plan(&l, 0, 40 * MiB, 22 * MiB + 1, &p, err, sizeof(err)),
		    ARM64_PLAN_ERR_INITRD,
		   "initrd of 23 MiB does not fit in guest RAM between the kernel and the device tree (22 MiB free): raise --memory");
	expect_code(arm64_boot_plan(&l, 0, 40 * MiB, UINT64_MAX, &p, err, sizeof(err)),
		    ARM64_PLAN_ERR_INITRD, "does not fit");
	/* A kernel that fills RAM to the DTB leaves nothing. */
	expect_code(arm64_boot_plan(&l, 0, 62 * MiB, 1, &p, err, sizeof(err)),
		    ARM64_PLAN_ERR_INITRD, "(0 MiB free)");
}
END_TEST

START_TEST(iova_ok)
{
	static const struct iova_range split[] = {      /* unsorted, touching */
		{ 0x80000000ULL, 0xffffffffffffULL },
		{ 0x0, 0x7fffffffULL },
	};
	struct arm64_layout l;

	layout_ok(&l, 1 * GiB, 2);
	ck_assert_int_eq(arm64_layout_check_iova(&l, smmu_ranges, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(arm64_layout_check_iova(&l, split, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(arm64_layout_check_iova(&l, NULL, -1, err, sizeof(err)), 0);
	layout_ok(&l, ARM64_RAM_MAX, 64);
	ck_assert_int_eq(arm64_layout_check_iova(&l, smmu_ranges, 2, err, sizeof(err)), 0);
}
END_TEST

START_TEST(iova_doorbell)
{
	struct arm64_layout l;

	doorbell_layout(&l);
	expect_err(arm64_layout_check_iova(&l, smmu_ranges, 2, err, sizeof(err)),
		   "guest RAM 0x7f00000-0x80fffff overlaps the SMMU's MSI doorbell window 0x8000000-0x80fffff, which the host IOMMU reserves");
}
END_TEST

START_TEST(iova_other_holes)
{
	static const struct iova_range low32[] = { { 0x0, 0xffffffffULL } };
	static const struct iova_range gap[] = {
		{ 0x0, 0x5fffffffULL }, { 0x60100000ULL, 0xffffffffffffULL },
	};
	struct arm64_layout l;

	layout_ok(&l, 4 * GiB, 2);      /* 0x40000000-0x13fffffff */
	expect_err(arm64_layout_check_iova(&l, low32, 1, err, sizeof(err)),
		   "guest RAM 0x40000000-0x13fffffff is not usable IOVA space for this IOMMU (0x100000000-0xffffffffffffffff is reserved)");
	expect_err(arm64_layout_check_iova(&l, gap, 2, err, sizeof(err)), "(0x60000000-0x600fffff is reserved)");
	expect_err(arm64_layout_check_iova(&l, NULL, 0, err, sizeof(err)), "reserved: no usable ranges");
}
END_TEST

Suite *arm64_layout_suite(void)
{
	Suite *s = suite_create("arm64_layout");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, map_fixed);
	tcase_add_test(tc, map_refused);
	tcase_add_test(tc, map_overlap);
	tcase_add_test(tc, map_doorbell_window);
	tcase_add_test(tc, intx_swizzle);
	tcase_add_test(tc, vcpu_mpidr);
	tcase_add_test(tc, plan_sizes);
	tcase_add_test(tc, plan_exact);
	tcase_add_test(tc, plan_initrd_window);
	tcase_add_test(tc, plan_refused);
	tcase_add_test(tc, iova_ok);
	tcase_add_test(tc, iova_doorbell);
	tcase_add_test(tc, iova_other_holes);
	suite_add_tcase(s, tc);
	return s;
}
