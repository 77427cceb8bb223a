/* Tests of the arm64 boot (boot/arm64/boot.c): an Image, an initrd and the
 * device tree planned and loaded into a fake guest RAM; what each refusal
 * is about; --dump-dtb's file is the blob that goes into RAM. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libfdt.h>
#include "suites.h"
#include "../../boot/arm64/boot.h"

#define MiB (1ULL << 20)
#define KLEN (64 * 1024)
#define ILEN (3 * MiB + 123)
#define RAM (64 * MiB)
#define CMDLINE "console=ttyS0 quiet"

static uint8_t kernel[KLEN];
static uint8_t initrd[ILEN];
static char err[256];

static void w64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* An Image of KLEN bytes that wants image_size bytes at text_offset. */
static void make_kernel(uint64_t text_offset, uint64_t image_size)
{
	size_t i;

	memset(kernel, 0, sizeof(kernel));
	for (i = 64; i < KLEN; i++)
		kernel[i] = (uint8_t)(i * 7 + 1);
	w64(kernel + 0x08, text_offset);
	w64(kernel + 0x10, image_size);
	w64(kernel + 0x18, 2 | 8);
	memcpy(kernel + 0x38, "ARM\x64", 4);
}

static void prepare_ok(struct arm64_boot *b, uint64_t ilen)
{
	err[0] = '\0';
	ck_assert_msg(arm64_boot_prepare(b, kernel, KLEN, ilen, RAM, 2, CMDLINE, true,
					 err, sizeof(err)) == 0, "%s", err);
}

static void prepare_bad(const uint8_t *k, size_t klen, uint64_t ilen, uint64_t mem,
			unsigned ncpus, const char *cmdline, int code, const char *what)
{
	struct arm64_boot b;

	err[0] = '\0';
	ck_assert_int_eq(arm64_boot_prepare(&b, k, klen, ilen, mem, ncpus, cmdline, true,
					    err, sizeof(err)), code);
	ck_assert_msg(strstr(err, what), "expected '%s' in '%s'", what, err);
	ck_assert_msg(!strchr(err, '\n'), "not one line: '%s'", err);
}

static uint64_t chosen_u64(const void *fdt, const char *name)
{
	const void *p = fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), name, NULL);
	fdt64_t v;

	ck_assert_ptr_nonnull(p);
	memcpy(&v, p, 8);               /* only 4-byte aligned in a blob */
	return fdt64_to_cpu(v);
}

START_TEST(boot_prepare)
{
	struct arm64_boot b;

	make_kernel(0x80000, 4 * MiB);
	prepare_ok(&b, ILEN);
	ck_assert_uint_eq(b.layout.ram_size, RAM);
	ck_assert_uint_eq(b.layout.ncpus, 2);
	ck_assert_uint_eq(b.plan.kernel_addr, 0x40080000);
	ck_assert_uint_eq(b.plan.kernel_size, 4 * MiB);
	ck_assert_uint_eq(b.plan.dtb_addr, 0x40000000 + RAM - 2 * MiB);
	ck_assert_uint_eq(b.plan.initrd_size, ILEN);
	ck_assert_uint_le(b.plan.initrd_addr + ILEN, b.plan.dtb_addr);
	ck_assert_uint_ge(b.plan.initrd_addr, 0x40080000 + 4 * MiB);
	ck_assert_str_eq(b.cmdline, CMDLINE);
	ck_assert(b.its);
}
END_TEST

START_TEST(boot_refused)
{
	static char longcmd[ARM64_CMDLINE_MAX + 1];

	make_kernel(0, 4 * MiB);
	prepare_bad(kernel, 40, 0, RAM, 2, CMDLINE, ARM64_BOOT_ERR_KERNEL, "too small to be an arm64 Image");
	memset(longcmd, 'x', sizeof(longcmd) - 1);
	prepare_bad(kernel, KLEN, 0, RAM, 2, longcmd, ARM64_BOOT_ERR_CMDLINE,
		    "command line is 2048 bytes, the arm64 kernel takes at most 2047");
	longcmd[ARM64_CMDLINE_MAX - 1] = '\0';
	ck_assert_int_eq(arm64_boot_prepare(&(struct arm64_boot){ 0 }, kernel, KLEN, 0, RAM, 2,
					    longcmd, true, err, sizeof(err)), 0);
	prepare_bad(kernel, KLEN, 0, 32 * MiB, 2, CMDLINE, ARM64_BOOT_ERR_MACHINE, "32 MiB of RAM");
	prepare_bad(kernel, KLEN, 0, RAM, 65, CMDLINE, ARM64_BOOT_ERR_MACHINE, "65 vCPUs");
	prepare_bad(kernel, KLEN, 61 * MiB, RAM, 2, CMDLINE, ARM64_BOOT_ERR_INITRD,
		    "initrd of 61 MiB does not fit");
	make_kernel(0, 100 * MiB);
	prepare_bad(kernel, KLEN, 0, RAM, 2, CMDLINE, ARM64_BOOT_ERR_KERNEL,
		    "the kernel needs 100 MiB of RAM");
}
END_TEST

START_TEST(boot_load)
{
	struct arm64_boot b;
	struct guest_mem gm;
	uint8_t *ram = malloc(RAM), *dtb;
	size_t i;
	int root;

	ck_assert_ptr_nonnull(ram);
	memset(ram, 0xee, RAM);
	for (i = 0; i < ILEN; i++)
		initrd[i] = (uint8_t)(i * 3 + 11);
	memset(&gm, 0, sizeof(gm));
	gm.ram[0] = (struct ram_region){ 0x40000000ULL, RAM, ram };
	gm.n_ram = 1;
	gm.ram_size = RAM;
	make_kernel(0, 4 * MiB);
	prepare_ok(&b, ILEN);
	ck_assert_msg(arm64_boot_load(&b, &gm, initrd, err, sizeof(err)) == 0, "%s", err);
	ck_assert_mem_eq(ram, kernel, KLEN);
	ck_assert_uint_eq(ram[4 * MiB - 1], 0);                 /* bss zeroed */
	ck_assert_mem_eq(ram + (b.plan.initrd_addr - 0x40000000), initrd, ILEN);
	dtb = ram + (b.plan.dtb_addr - 0x40000000);
	ck_assert_int_eq(fdt_check_header(dtb), 0);
	ck_assert_uint_eq(chosen_u64(dtb, "linux,initrd-start"), b.plan.initrd_addr);
	ck_assert_uint_eq(chosen_u64(dtb, "linux,initrd-end"), b.plan.initrd_addr + ILEN);
	ck_assert_str_eq(fdt_getprop(dtb, fdt_path_offset(dtb, "/chosen"), "bootargs", NULL),
			 CMDLINE);
	root = fdt_path_offset(dtb, "/memory@40000000");
	ck_assert_int_ge(root, 0);
	/* A RAM too small for the plan (another guest_mem): refused. */
	gm.ram[0].size = 16 * MiB;
	ck_assert_int_eq(arm64_boot_load(&b, &gm, initrd, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "does not fit guest RAM"), "%s", err);
	free(ram);
}
END_TEST

/* --dump-dtb writes exactly the blob that goes into guest RAM. */
START_TEST(boot_dump_dtb)
{
	static uint8_t blob[ARM64_DTB_MAX], file[ARM64_DTB_MAX];
	char path[] = "/tmp/conduit-dtb-XXXXXX";
	struct arm64_boot b;
	int size, fd;
	ssize_t n;

	make_kernel(0, 4 * MiB);
	prepare_ok(&b, ILEN);
	size = arm64_boot_dtb(&b, blob, sizeof(blob), err, sizeof(err));
	ck_assert_msg(size > 0, "%s", err);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_msg(arm64_boot_dump_dtb(&b, path, err, sizeof(err)) == 0, "%s", err);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, file, sizeof(file));
	close(fd);
	unlink(path);
	ck_assert_int_eq(n, size);
	ck_assert_mem_eq(file, blob, (size_t)size);
}
END_TEST

Suite *arm64_boot_suite(void)
{
	Suite *s = suite_create("arm64_boot");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, boot_prepare);
	tcase_add_test(tc, boot_refused);
	tcase_add_test(tc, boot_load);
	tcase_add_test(tc, boot_dump_dtb);
	suite_add_tcase(s, tc);
	return s;
}
