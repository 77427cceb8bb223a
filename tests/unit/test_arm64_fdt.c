/* Tests of the arm64 device tree (boot/arm64/fdt.c): the blob is parsed
 * back with libfdt and every node and property the guest relies on is
 * checked; dtc must read a dumped blob without a warning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libfdt.h>
#include "suites.h"
#include "../../boot/arm64/fdt.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define BOOTARGS "console=ttyS0 earlycon=uart8250,mmio,0x9000000 panic=-1"

static uint8_t blob[ARM64_DTB_MAX];
static char err[256];
static struct arm64_layout lay;

static void build(unsigned ncpus, bool its, bool initrd, const char *bootargs)
{
	struct arm64_fdt_desc d = {
		.layout = &lay, .bootargs = bootargs, .its = its,
		.initrd_start = initrd ? 0x7e000000ULL : 0,
		.initrd_size = initrd ? 30 * MiB + 5 : 0,
	};
	int size;

	ck_assert_int_eq(arm64_layout_init(&lay, 1 * GiB, ncpus, err, sizeof(err)), 0);
	err[0] = '\0';
	size = arm64_fdt_build(&d, blob, sizeof(blob), err, sizeof(err));
	ck_assert_msg(size > 0, "%s", err);
	ck_assert_int_eq(fdt_check_header(blob), 0);
	ck_assert_int_eq(fdt_totalsize(blob), size);
	ck_assert_int_le(size, 64 * 1024);
}

static int node(const char *path)
{
	int off = fdt_path_offset(blob, path);

	ck_assert_msg(off >= 0, "no node %s", path);
	return off;
}

static const void *prop(int off, const char *name, int want_len)
{
	int len;
	const void *p = fdt_getprop(blob, off, name, &len);

	ck_assert_msg(p, "no property %s in %s", name, fdt_get_name(blob, off, NULL));
	if (want_len >= 0)
		ck_assert_msg(len == want_len, "%s: %d bytes, expected %d", name, len, want_len);
	return p;
}

static void no_prop(int off, const char *name)
{
	ck_assert_msg(!fdt_getprop(blob, off, name, NULL), "unexpected property %s", name);
}

static uint32_t u32(int off, const char *name)
{
	return fdt32_to_cpu(*(const fdt32_t *)prop(off, name, 4));
}

static void str(int off, const char *name, const char *want)
{
	const char *s = prop(off, name, (int)strlen(want) + 1);

	ck_assert_str_eq(s, want);
}

/* Cell i of a property of n cells. */
static uint32_t cell(int off, const char *name, int n, int i)
{
	const fdt32_t *c = prop(off, name, n * 4);

	return fdt32_to_cpu(c[i]);
}

static uint64_t cell64(int off, const char *name, int n, int i)
{
	return (uint64_t)cell(off, name, n, i) << 32 | cell(off, name, n, i + 1);
}

START_TEST(fdt_root)
{
	int root, gic;

	build(2, true, true, BOOTARGS);
	root = node("/");
	str(root, "compatible", "linux,dummy-virt");
	ck_assert_uint_eq(u32(root, "#address-cells"), 2);
	ck_assert_uint_eq(u32(root, "#size-cells"), 2);
	gic = fdt_node_offset_by_phandle(blob, u32(root, "interrupt-parent"));
	ck_assert_int_eq(gic, node("/intc@8000000"));
}
END_TEST

START_TEST(fdt_memory)
{
	int mem;

	build(2, true, true, BOOTARGS);
	mem = node("/memory@40000000");
	str(mem, "device_type", "memory");
	ck_assert_uint_eq(cell64(mem, "reg", 4, 0), 0x40000000);
	ck_assert_uint_eq(cell64(mem, "reg", 4, 2), 1 * GiB);
}
END_TEST

static void check_cpus(unsigned ncpus)
{
	unsigned count = 0;
	int cpus, c;

	build(ncpus, true, true, BOOTARGS);
	cpus = node("/cpus");
	ck_assert_uint_eq(u32(cpus, "#address-cells"), 1);
	ck_assert_uint_eq(u32(cpus, "#size-cells"), 0);
	fdt_for_each_subnode(c, blob, cpus) {
		char name[32];

		str(c, "device_type", "cpu");
		str(c, "enable-method", "psci");
		ck_assert_uint_eq(u32(c, "reg"), arm64_vcpu_mpidr(count));
		snprintf(name, sizeof(name), "cpu@%x", u32(c, "reg"));
		ck_assert_str_eq(fdt_get_name(blob, c, NULL), name);
		count++;
	}
	ck_assert_uint_eq(count, ncpus);
}

START_TEST(fdt_cpus)
{
	check_cpus(1);
	check_cpus(2);
	check_cpus(20);
	ck_assert_int_ge(fdt_path_offset(blob, "/cpus/cpu@103"), 0);      /* vCPU 19 */
	check_cpus(64);
}
END_TEST

START_TEST(fdt_psci)
{
	int psci;

	build(2, true, true, BOOTARGS);
	psci = node("/psci");
	str(psci, "compatible", "arm,psci-0.2");
	str(psci, "method", "hvc");
}
END_TEST

START_TEST(fdt_gic)
{
	int gic, its;

	build(4, true, true, BOOTARGS);
	gic = node("/intc@8000000");
	str(gic, "compatible", "arm,gic-v3");
	prop(gic, "interrupt-controller", 0);
	ck_assert_uint_eq(u32(gic, "#interrupt-cells"), 3);
	ck_assert_uint_eq(u32(gic, "#address-cells"), 2);
	ck_assert_uint_eq(u32(gic, "#size-cells"), 2);
	ck_assert_uint_eq(u32(gic, "phandle"), ARM64_FDT_PHANDLE_GIC);
	prop(gic, "ranges", 0);
	/* Distributor, then one region of redistributors for 4 vCPUs. */
	ck_assert_uint_eq(cell64(gic, "reg", 8, 0), 0x08000000);
	ck_assert_uint_eq(cell64(gic, "reg", 8, 2), 0x10000);
	ck_assert_uint_eq(cell64(gic, "reg", 8, 4), 0x080a0000);
	ck_assert_uint_eq(cell64(gic, "reg", 8, 6), 4 * 0x20000);
	ck_assert_uint_eq(u32(gic, "#redistributor-regions"), 1);
	its = node("/intc@8000000/msi-controller@8080000");
	ck_assert_int_eq(fdt_node_check_compatible(blob, its, "arm,gic-v3-its"), 0);
	prop(its, "msi-controller", 0);
	ck_assert_uint_eq(u32(its, "#msi-cells"), 1);
	ck_assert_uint_eq(cell64(its, "reg", 4, 0), 0x08080000);
	ck_assert_uint_eq(cell64(its, "reg", 4, 2), 0x20000);
	ck_assert_uint_eq(u32(its, "phandle"), ARM64_FDT_PHANDLE_ITS);
}
END_TEST

START_TEST(fdt_timer)
{
	static const uint32_t ppis[4] = { 13, 14, 11, 10 };
	int t, i;

	build(2, true, true, BOOTARGS);
	t = node("/timer");
	ck_assert_int_eq(fdt_node_check_compatible(blob, t, "arm,armv8-timer"), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(cell(t, "interrupts", 12, 3 * i), 1);     /* PPI */
		ck_assert_uint_eq(cell(t, "interrupts", 12, 3 * i + 1), ppis[i]);
		ck_assert_uint_eq(cell(t, "interrupts", 12, 3 * i + 2), 4); /* level-high */
	}
}
END_TEST

START_TEST(fdt_uart)
{
	int u;

	build(2, true, true, BOOTARGS);
	u = node("/serial@9000000");
	str(u, "compatible", "ns16550a");
	ck_assert_uint_eq(cell64(u, "reg", 4, 0), 0x09000000);
	ck_assert_uint_eq(cell64(u, "reg", 4, 2), 0x1000);
	ck_assert_uint_eq(cell(u, "interrupts", 3, 0), 0);              /* SPI */
	ck_assert_uint_eq(cell(u, "interrupts", 3, 1), 1);
	ck_assert_uint_eq(cell(u, "interrupts", 3, 2), 4);
	ck_assert_uint_eq(u32(u, "clock-frequency"), 1843200);
	ck_assert_uint_eq(u32(u, "reg-shift"), 0);
	ck_assert_uint_eq(u32(u, "reg-io-width"), 1);
}
END_TEST

/* A 64-bit property: in a blob only 4-byte aligned. */
static uint64_t prop64(int off, const char *name)
{
	fdt64_t v;

	memcpy(&v, prop(off, name, 8), 8);
	return fdt64_to_cpu(v);
}

START_TEST(fdt_chosen)
{
	int c;

	build(2, true, true, BOOTARGS);
	c = node("/chosen");
	str(c, "bootargs", BOOTARGS);
	ck_assert_int_eq(fdt_path_offset(blob, prop(c, "stdout-path", -1)), node("/serial@9000000"));
	ck_assert_uint_eq(prop64(c, "linux,initrd-start"), 0x7e000000);
	ck_assert_uint_eq(prop64(c, "linux,initrd-end"), 0x7e000000 + 30 * MiB + 5);
	/* No initrd, no bootargs: neither property. */
	build(2, true, false, NULL);
	c = node("/chosen");
	no_prop(c, "linux,initrd-start");
	no_prop(c, "linux,initrd-end");
	no_prop(c, "bootargs");
	prop(c, "stdout-path", -1);
}
END_TEST

START_TEST(fdt_pci)
{
	int pci;

	build(2, true, true, BOOTARGS);
	pci = node("/pcie@3f000000");
	str(pci, "compatible", "pci-host-ecam-generic");
	str(pci, "device_type", "pci");
	ck_assert_uint_eq(cell64(pci, "reg", 4, 0), 0x3f000000);
	ck_assert_uint_eq(cell64(pci, "reg", 4, 2), 16 * MiB);
	ck_assert_uint_eq(cell(pci, "bus-range", 2, 0), 0);
	ck_assert_uint_eq(cell(pci, "bus-range", 2, 1), 15);
	ck_assert_uint_eq(u32(pci, "#address-cells"), 3);
	ck_assert_uint_eq(u32(pci, "#size-cells"), 2);
	ck_assert_uint_eq(u32(pci, "#interrupt-cells"), 1);
	ck_assert_uint_eq(u32(pci, "linux,pci-domain"), 0);
	prop(pci, "dma-coherent", 0);
}
END_TEST

/* ranges: 3 entries of PCI address (3) + CPU address (2) + size (2). */
START_TEST(fdt_pci_ranges)
{
	int pci;

	build(2, true, true, BOOTARGS);
	pci = node("/pcie@3f000000");
	/* I/O: PCI 0 at CPU 0x3eff0000, 64 KiB. */
	ck_assert_uint_eq(cell(pci, "ranges", 21, 0), 0x01000000);
	ck_assert_uint_eq(cell64(pci, "ranges", 21, 1), 0);
	ck_assert_uint_eq(cell64(pci, "ranges", 21, 3), 0x3eff0000);
	ck_assert_uint_eq(cell64(pci, "ranges", 21, 5), 0x10000);
	/* 32-bit memory, 1:1. */
	ck_assert_uint_eq(cell(pci, "ranges", 21, 7), 0x02000000);
	ck_assert_uint_eq(cell64(pci, "ranges", 21, 8), 0x10000000);
	ck_assert_uint_eq(cell64(pci, "ranges", 21, 10), 0x10000000);
	ck_assert_uint_eq(cell64(pci, "ranges", 21, 12), 0x2eff0000);
	/* 64-bit memory, 1:1. */
	ck_assert_uint_eq(cell(pci, "ranges", 21, 14), 0x03000000);
	ck_assert_uint_eq(cell64(pci, "ranges", 21, 15), 0x8000000000ULL);
	ck_assert_uint_eq(cell64(pci, "ranges", 21, 17), 0x8000000000ULL);
	ck_assert_uint_eq(cell64(pci, "ranges", 21, 19), 0x8000000000ULL);
}
END_TEST

/* Resolve INTx for every slot and pin as the kernel does: mask the child
 * address and pin, find the entry, read the GIC specifier. */
START_TEST(fdt_pci_intx)
{
	int pci, gic, len, i;
	const fdt32_t *map;
	unsigned slot, pin;

	build(2, true, true, BOOTARGS);
	pci = node("/pcie@3f000000");
	gic = node("/intc@8000000");
	ck_assert_uint_eq(cell(pci, "interrupt-map-mask", 4, 0), 0x1800);
	ck_assert_uint_eq(cell(pci, "interrupt-map-mask", 4, 1), 0);
	ck_assert_uint_eq(cell(pci, "interrupt-map-mask", 4, 2), 0);
	ck_assert_uint_eq(cell(pci, "interrupt-map-mask", 4, 3), 7);
	map = fdt_getprop(blob, pci, "interrupt-map", &len);
	ck_assert_ptr_nonnull(map);
	ck_assert_int_eq(len, 16 * 10 * 4);
	for (slot = 0; slot < 32; slot++)
		for (pin = 1; pin <= 4; pin++) {
			uint32_t addr = (slot << 11) & 0x1800;
			int found = 0;

			for (i = 0; i < 16; i++) {
				const fdt32_t *e = map + 10 * i;

				if (fdt32_to_cpu(e[0]) != addr || fdt32_to_cpu(e[1]) || fdt32_to_cpu(e[2]) ||
				    fdt32_to_cpu(e[3]) != pin)
					continue;
				found++;
				ck_assert_int_eq(fdt_node_offset_by_phandle(blob, fdt32_to_cpu(e[4])), gic);
				ck_assert_uint_eq(fdt32_to_cpu(e[5]), 0);       /* GIC unit address */
				ck_assert_uint_eq(fdt32_to_cpu(e[6]), 0);
				ck_assert_uint_eq(fdt32_to_cpu(e[7]), 0);       /* SPI */
				ck_assert_uint_eq(fdt32_to_cpu(e[8]), 3 + (slot + pin - 1) % 4);
				ck_assert_uint_eq(fdt32_to_cpu(e[8]), arm64_pci_intx_spi(&lay, slot, pin));
				ck_assert_uint_eq(fdt32_to_cpu(e[9]), 4);       /* level-high */
			}
			ck_assert_int_eq(found, 1);
		}
}
END_TEST

START_TEST(fdt_pci_msi_map)
{
	int pci;

	build(2, true, true, BOOTARGS);
	pci = node("/pcie@3f000000");
	ck_assert_uint_eq(cell(pci, "msi-map", 4, 0), 0);
	ck_assert_int_eq(fdt_node_offset_by_phandle(blob, cell(pci, "msi-map", 4, 1)),
			 node("/intc@8000000/msi-controller@8080000"));
	ck_assert_uint_eq(cell(pci, "msi-map", 4, 2), 0);
	ck_assert_uint_eq(cell(pci, "msi-map", 4, 3), 0x10000);
}
END_TEST

/* Without an ITS: no msi-controller and no msi-map (INTx only). */
START_TEST(fdt_no_its)
{
	build(2, false, true, BOOTARGS);
	ck_assert_int_lt(fdt_path_offset(blob, "/intc@8000000/msi-controller@8080000"), 0);
	ck_assert_int_lt(fdt_node_offset_by_phandle(blob, ARM64_FDT_PHANDLE_ITS), 0);
	no_prop(node("/pcie@3f000000"), "msi-map");
	prop(node("/pcie@3f000000"), "interrupt-map", -1);
}
END_TEST

START_TEST(fdt_refused)
{
	struct arm64_fdt_desc d = { .layout = &lay, .bootargs = BOOTARGS, .its = true };
	static char longargs[8192];

	ck_assert_int_eq(arm64_layout_init(&lay, 1 * GiB, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(arm64_fdt_build(&d, blob, 512, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "device tree does not fit in 512 bytes"), "%s", err);
	memset(longargs, 'a', sizeof(longargs) - 1);
	d.bootargs = longargs;
	ck_assert_int_eq(arm64_fdt_build(&d, blob, 8192, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "(the command line is too long)"), "%s", err);
	d.bootargs = NULL;
	d.initrd_start = 0x3000000;     /* below RAM */
	d.initrd_size = 4096;
	ck_assert_int_eq(arm64_fdt_build(&d, blob, sizeof(blob), err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "the initrd 0x3000000+0x1000 is not in guest RAM"), "%s", err);
	d.initrd_start = 0x40000000ULL + 1 * GiB - 4095;        /* past its end */
	ck_assert_int_eq(arm64_fdt_build(&d, blob, sizeof(blob), err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is not in guest RAM"), "%s", err);
	d.initrd_start = 0x40000000ULL + 1 * GiB - 4096;        /* the last page: fine */
	ck_assert_int_gt(arm64_fdt_build(&d, blob, sizeof(blob), err, sizeof(err)), 0);
	lay.ncpus = 0;
	ck_assert_int_eq(arm64_fdt_build(&d, blob, sizeof(blob), err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "vCPU count"), "%s", err);
	d.layout = NULL;
	ck_assert_int_eq(arm64_fdt_build(&d, blob, sizeof(blob), err, sizeof(err)), -1);
}
END_TEST

/* Dump the blob as --dump-dtb does and have dtc decompile it: exit 0 and
 * nothing on stderr (dtc's checks print warnings there). */
static void dtc_clean(unsigned ncpus, bool its, bool initrd, const char *bootargs)
{
	struct arm64_fdt_desc d = {
		.layout = &lay, .bootargs = bootargs, .its = its,
		.initrd_start = initrd ? 0x7e000000ULL : 0, .initrd_size = initrd ? 30 * MiB : 0,
	};
	char dir[] = "/tmp/conduit-fdt-XXXXXX", dtb[64], dts[64], log[64], cmd[256];
	FILE *f;
	long n;

	ck_assert_int_eq(system("command -v dtc >/dev/null 2>&1"), 0);    /* install-deps */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dtb, sizeof(dtb), "%s/guest.dtb", dir);
	snprintf(dts, sizeof(dts), "%s/guest.dts", dir);
	snprintf(log, sizeof(log), "%s/dtc.log", dir);
	ck_assert_int_eq(arm64_layout_init(&lay, 1 * GiB, ncpus, err, sizeof(err)), 0);
	ck_assert_msg(arm64_fdt_dump(&d, dtb, err, sizeof(err)) == 0, "%s", err);
	snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts -o %s %s 2>%s", dts, dtb, log);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(log, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	if (n) {
		char buf[512] = "";

		rewind(f);
		buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
		ck_abort_msg("dtc warned: %s", buf);
	}
	fclose(f);
	/* The source it wrote names the nodes the guest needs. */
	snprintf(cmd, sizeof(cmd), "grep -q 'pci-host-ecam-generic' %s && grep -q 'arm,gic-v3' %s",
		 dts, dts);
	ck_assert_int_eq(system(cmd), 0);
	unlink(dtb);
	unlink(dts);
	unlink(log);
	rmdir(dir);
}

START_TEST(fdt_dtc)
{
	dtc_clean(2, true, true, BOOTARGS);
	dtc_clean(1, false, false, NULL);
	dtc_clean(64, true, false, "");
}
END_TEST

START_TEST(fdt_dump_error)
{
	struct arm64_fdt_desc d = { .layout = &lay, .its = true };

	ck_assert_int_eq(arm64_layout_init(&lay, 1 * GiB, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(arm64_fdt_dump(&d, "/nonexistent-dir/guest.dtb", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent-dir/guest.dtb: No such file or directory");
}
END_TEST

Suite *arm64_fdt_suite(void)
{
	Suite *s = suite_create("arm64_fdt");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, fdt_root);
	tcase_add_test(tc, fdt_memory);
	tcase_add_test(tc, fdt_cpus);
	tcase_add_test(tc, fdt_psci);
	tcase_add_test(tc, fdt_gic);
	tcase_add_test(tc, fdt_timer);
	tcase_add_test(tc, fdt_uart);
	tcase_add_test(tc, fdt_chosen);
	tcase_add_test(tc, fdt_pci);
	tcase_add_test(tc, fdt_pci_ranges);
	tcase_add_test(tc, fdt_pci_intx);
	tcase_add_test(tc, fdt_pci_msi_map);
	tcase_add_test(tc, fdt_no_its);
	tcase_add_test(tc, fdt_refused);
	tcase_add_test(tc, fdt_dtc);
	tcase_add_test(tc, fdt_dump_error);
	suite_add_tcase(s, tc);
	return s;
}
