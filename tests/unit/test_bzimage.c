/* Tests of bzImage header parsing, boot planning and loading (boot/x86/bzimage.c). */
#include <stdlib.h>
#include <string.h>
#include <asm/bootparam.h>
#include "suites.h"
#include "../../boot/x86/bzimage.h"
#include "../../boot/x86/e820.h"

#define MiB (1ULL << 20)
#define SETUP_SECTS 4
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)
#define KSIZE 8192
#define PREF_ADDR (16 * MiB)
#define INIT_SIZE (4 * MiB)
#define IMG_LEN (SETUP_SIZE + KSIZE)

static uint8_t img[IMG_LEN + 4096];
static char err[256];

static void w16(size_t off, uint16_t v)
{
	img[off] = (uint8_t)v;
	img[off + 1] = (uint8_t)(v >> 8);
}

static void w32(size_t off, uint32_t v)
{
	w16(off, (uint16_t)v);
	w16(off + 2, (uint16_t)(v >> 16));
}

/* A well-formed protocol 2.15 bzImage with a KSIZE-byte payload. */
static void make_image(void)
{
	size_t i;

	memset(img, 0, sizeof(img));
	img[0x1f1] = SETUP_SECTS;
	w32(0x1f4, KSIZE / 16);                 /* syssize */
	w16(0x1fe, 0xaa55);
	img[0x200] = 0xeb;                      /* jmp to the end of the header */
	img[0x201] = 0x6a;
	memcpy(img + 0x202, "HdrS", 4);
	w16(0x206, 0x020f);
	img[0x211] = LOADED_HIGH;
	w32(0x22c, 0x7fffffff);                 /* initrd_addr_max */
	w32(0x230, 0x200000);                   /* kernel_alignment */
	img[0x234] = 1;                         /* relocatable */
	w16(0x236, XLF_KERNEL_64);
	w32(0x238, 2048);                       /* cmdline_size */
	w32(0x258, (uint32_t)PREF_ADDR);
	w32(0x260, (uint32_t)INIT_SIZE);
	for (i = 0; i < KSIZE; i++)
		img[SETUP_SIZE + i] = (uint8_t)(i * 7 + 3);
}

static void parse_ok(size_t len, struct bzimage *bz)
{
	err[0] = '\0';
	ck_assert_msg(bzimage_parse(img, len, bz, err, sizeof(err)) == 0, "%s", err);
}

static void parse_bad(size_t len, const char *what)
{
	struct bzimage bz;

	err[0] = '\0';
	ck_assert_int_eq(bzimage_parse(img, len, &bz, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, what), "expected '%s' in '%s'", what, err);
	ck_assert_ptr_null(bz.data);
}

START_TEST(parse_valid)
{
	struct bzimage bz;

	make_image();
	parse_ok(IMG_LEN, &bz);
	ck_assert_ptr_eq(bz.data, img);
	ck_assert_uint_eq(bz.len, IMG_LEN);
	ck_assert_uint_eq(bz.version, 0x020f);
	ck_assert_uint_eq(bz.setup_size, SETUP_SIZE);
	ck_assert_uint_eq(bz.kernel_size, KSIZE);
	ck_assert_uint_eq(bz.initrd_addr_max, 0x7fffffff);
	ck_assert_uint_eq(bz.kernel_alignment, 0x200000);
	ck_assert_uint_eq(bz.cmdline_size, 2048);
	ck_assert_uint_eq(bz.init_size, INIT_SIZE);
	ck_assert_uint_eq(bz.pref_address, PREF_ADDR);
}
END_TEST

START_TEST(parse_field_details)
{
	struct bzimage bz;

	make_image();
	/* setup_sects 0 means 4. */
	img[0x1f1] = 0;
	/* The upper half of pref_address is read too. */
	w32(0x25c, 0x1);
	/* init_size below the payload is raised to the payload size. */
	w32(0x260, 100);
	parse_ok(IMG_LEN, &bz);
	ck_assert_uint_eq(bz.setup_size, 5 * 512);
	ck_assert_uint_eq(bz.pref_address, 0x100000000ULL | PREF_ADDR);
	ck_assert_uint_eq(bz.init_size, KSIZE);

	/* The oldest accepted protocol is 2.12; trailing bytes (syssize
	 * smaller than the file) count as payload. */
	make_image();
	w16(0x206, 0x020c);
	parse_ok(IMG_LEN + 16, &bz);
	ck_assert_uint_eq(bz.version, 0x020c);
	ck_assert_uint_eq(bz.kernel_size, KSIZE + 16);
}
END_TEST

START_TEST(parse_too_small)
{
	make_image();
	parse_bad(0x263, "too small");
	parse_bad(0, "too small");
}
END_TEST

START_TEST(parse_no_signature)
{
	make_image();
	w16(0x1fe, 0xaa56);
	parse_bad(IMG_LEN, "not a Linux bzImage");
	make_image();
	memcpy(img + 0x202, "HdrT", 4);
	parse_bad(IMG_LEN, "not a Linux bzImage");
}
END_TEST

START_TEST(parse_old_protocol)
{
	make_image();
	w16(0x206, 0x0200);
	parse_bad(IMG_LEN, "2.00 is too old");
	w16(0x206, 0x020b);
	parse_bad(IMG_LEN, "2.11 is too old");
}
END_TEST

START_TEST(parse_not_loaded_high)
{
	make_image();
	img[0x211] = (uint8_t)~LOADED_HIGH;
	parse_bad(IMG_LEN, "zImage");
}
END_TEST

START_TEST(parse_no_64bit_entry)
{
	make_image();
	w16(0x236, (uint16_t)~XLF_KERNEL_64);
	parse_bad(IMG_LEN, "64-bit");
}
END_TEST

START_TEST(parse_truncated)
{
	make_image();
	w32(0x1f4, KSIZE / 16 + 1);
	parse_bad(IMG_LEN, "truncated");
	make_image();
	parse_bad(IMG_LEN - 1, "truncated");
	make_image();
	w32(0x1f4, 0);
	parse_bad(IMG_LEN, "truncated");
	/* Setup sectors beyond the end of the file. */
	make_image();
	img[0x1f1] = 0xff;
	parse_bad(IMG_LEN, "truncated");
	/* syssize * 16 does not wrap in 32 bits. */
	make_image();
	w32(0x1f4, 0x10000000 + KSIZE / 16);
	parse_bad(IMG_LEN, "truncated");
}
END_TEST

static struct bzimage parsed(void)
{
	struct bzimage bz;

	make_image();
	parse_ok(IMG_LEN, &bz);
	return bz;
}

START_TEST(plan_basic)
{
	struct bzimage bz = parsed();
	struct guest_mem gm;
	struct boot_layout lay;

	ck_assert_int_eq(memmap_layout(&gm, 256 * MiB), 0);
	ck_assert_int_eq(bzimage_plan(&bz, &gm, 0, 20, &lay, err, sizeof(err)), 0);
	ck_assert_uint_eq(lay.kernel_addr, PREF_ADDR);
	ck_assert_uint_eq(lay.entry, PREF_ADDR + 0x200);
	ck_assert_uint_eq(lay.zero_page_addr, 0x7000);
	ck_assert_uint_eq(lay.cmdline_addr, 0x20000);
	ck_assert_uint_eq(lay.initrd_addr, 0);
	ck_assert_uint_eq(lay.initrd_size, 0);

	/* A preferred address below 1 MiB loads at 1 MiB. */
	bz.pref_address = 0x8000;
	ck_assert_int_eq(bzimage_plan(&bz, &gm, 0, 20, &lay, err, sizeof(err)), 0);
	ck_assert_uint_eq(lay.kernel_addr, MiB);
	ck_assert_uint_eq(lay.entry, MiB + 0x200);
}
END_TEST

START_TEST(plan_initrd_placement)
{
	struct bzimage bz = parsed();
	struct guest_mem gm;
	struct boot_layout lay;
	uint64_t size = 10 * MiB + 123;

	ck_assert_int_eq(memmap_layout(&gm, 256 * MiB), 0);
	ck_assert_int_eq(bzimage_plan(&bz, &gm, size, 0, &lay, err, sizeof(err)), 0);
	ck_assert_uint_eq(lay.initrd_size, size);
	ck_assert_uint_eq(lay.initrd_addr, (256 * MiB - size) & ~0xfffULL);
	ck_assert_uint_eq(lay.initrd_addr, 0xf5ff000);
	ck_assert_uint_ge(lay.initrd_addr, lay.kernel_addr + INIT_SIZE);

	/* With 4 GiB (3 GiB below the hole), initrd_addr_max caps it. */
	ck_assert_int_eq(memmap_layout(&gm, 4096 * MiB), 0);
	ck_assert_int_eq(bzimage_plan(&bz, &gm, size, 0, &lay, err, sizeof(err)), 0);
	ck_assert_uint_eq(lay.initrd_addr, (0x80000000ULL - size) & ~0xfffULL);
	ck_assert_uint_eq(lay.initrd_addr % 4096, 0);
	ck_assert_uint_le(lay.initrd_addr + size, 0x80000000ULL);
	bz.initrd_addr_max = 0x37ffffff;
	ck_assert_int_eq(bzimage_plan(&bz, &gm, size, 0, &lay, err, sizeof(err)), 0);
	ck_assert_uint_eq(lay.initrd_addr, (0x38000000ULL - size) & ~0xfffULL);
	/* initrd_addr_max 0 means "no limit": the top of low RAM. */
	bz.initrd_addr_max = 0;
	ck_assert_int_eq(bzimage_plan(&bz, &gm, 4096, 0, &lay, err, sizeof(err)), 0);
	ck_assert_uint_eq(lay.initrd_addr, 0xc0000000ULL - 4096);
}
END_TEST

START_TEST(plan_initrd_too_large)
{
	struct bzimage bz = parsed();
	struct guest_mem gm;
	struct boot_layout lay;
	uint64_t kend = PREF_ADDR + INIT_SIZE;

	ck_assert_int_eq(memmap_layout(&gm, 256 * MiB), 0);
	/* Exactly what fits between the kernel's end and the top of RAM. */
	ck_assert_int_eq(bzimage_plan(&bz, &gm, 256 * MiB - kend, 0, &lay,
				      err, sizeof(err)), 0);
	ck_assert_uint_eq(lay.initrd_addr, kend);
	/* One byte more would need the page below the kernel's end. */
	err[0] = '\0';
	ck_assert_int_eq(bzimage_plan(&bz, &gm, 256 * MiB - kend + 1, 0, &lay,
				      err, sizeof(err)), BOOT_ERR_INITRD);
	ck_assert_ptr_nonnull(strstr(err, "initrd"));
	ck_assert_int_eq(bzimage_plan(&bz, &gm, 1024 * MiB, 0, &lay, err, sizeof(err)),
			 BOOT_ERR_INITRD);
	ck_assert_int_eq(bzimage_plan(&bz, &gm, UINT64_MAX, 0, &lay, err, sizeof(err)),
			 BOOT_ERR_INITRD);
}
END_TEST

START_TEST(plan_cmdline_too_long)
{
	struct bzimage bz = parsed();
	struct guest_mem gm;
	struct boot_layout lay;

	ck_assert_int_eq(memmap_layout(&gm, 256 * MiB), 0);
	ck_assert_int_eq(bzimage_plan(&bz, &gm, 0, 2047, &lay, err, sizeof(err)), 0);
	err[0] = '\0';
	ck_assert_int_eq(bzimage_plan(&bz, &gm, 0, 2048, &lay, err, sizeof(err)),
			 BOOT_ERR_CMDLINE);
	ck_assert_ptr_nonnull(strstr(err, "2047"));
	/* The kernel's limit is also capped by the 64 KiB cmdline area. */
	bz.cmdline_size = 0x100000;
	ck_assert_int_eq(bzimage_plan(&bz, &gm, 0, 0xffff, &lay, err, sizeof(err)), 0);
	ck_assert_int_eq(bzimage_plan(&bz, &gm, 0, 0x10000, &lay, err, sizeof(err)),
			 BOOT_ERR_CMDLINE);
	bz.cmdline_size = 0;
	ck_assert_int_eq(bzimage_plan(&bz, &gm, 0, 0, &lay, err, sizeof(err)),
			 BOOT_ERR_CMDLINE);
}
END_TEST

START_TEST(plan_tiny_ram)
{
	struct bzimage bz = parsed();
	struct guest_mem gm;
	struct boot_layout lay;

	ck_assert_int_eq(memmap_layout(&gm, 2 * MiB), 0);
	err[0] = '\0';
	ck_assert_int_eq(bzimage_plan(&bz, &gm, 0, 0, &lay, err, sizeof(err)),
			 BOOT_ERR_KERNEL);
	ck_assert_ptr_nonnull(strstr(err, "--memory"));
}
END_TEST

START_TEST(load_zero_page)
{
	static const char cmdline[] = "console=ttyS0 root=/dev/vda";
	struct bzimage bz = parsed();
	struct boot_e820_entry e820[8];
	struct boot_params *bp;
	struct boot_layout lay;
	struct guest_mem gm;
	uint8_t initrd[5000];
	uint8_t *ram;
	size_t i;
	int n;

	ck_assert_int_eq(memmap_layout(&gm, 64 * MiB), 0);
	ram = calloc(1, 64 * MiB);
	ck_assert_ptr_nonnull(ram);
	gm.ram[0].hva = ram;
	for (i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	/* Leftovers in the zero page must be cleared by the load. */
	memset(ram + 0x7000, 0xaa, 4096);

	ck_assert_int_eq(bzimage_plan(&bz, &gm, sizeof(initrd), strlen(cmdline), &lay,
				      err, sizeof(err)), 0);
	ck_assert_uint_eq(lay.initrd_addr, (64 * MiB - sizeof(initrd)) & ~0xfffULL);
	err[0] = '\0';
	ck_assert_msg(bzimage_load(&bz, &gm, &lay, initrd, cmdline, 0xe0000,
				   err, sizeof(err)) == 0, "%s", err);

	bp = (struct boot_params *)(ram + 0x7000);
	ck_assert_uint_eq(bp->hdr.boot_flag, 0xaa55);
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);  /* "HdrS" */
	ck_assert_uint_eq(bp->hdr.version, 0x020f);
	ck_assert_uint_eq(bp->hdr.setup_sects, SETUP_SECTS);
	ck_assert_uint_eq(bp->hdr.init_size, INIT_SIZE);
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
	ck_assert_uint_eq(bp->hdr.heap_end_ptr, 0xfe00);
	ck_assert_uint_eq(bp->hdr.code32_start, PREF_ADDR);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, 0x20000);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, lay.initrd_addr);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, sizeof(initrd));
	ck_assert_uint_eq(bp->ext_ramdisk_image, 0);
	ck_assert_uint_eq(bp->ext_ramdisk_size, 0);
	ck_assert_uint_eq(bp->ext_cmd_line_ptr, 0);
	ck_assert_uint_eq(bp->acpi_rsdp_addr, 0xe0000);
	ck_assert_uint_eq(bp->screen_info.orig_x, 0);
	ck_assert_uint_eq(bp->screen_info.orig_video_isVGA, 0);

	n = e820_build(&gm, e820, 8);
	ck_assert_int_eq(n, 5);
	ck_assert_uint_eq(bp->e820_entries, 5);
	ck_assert_mem_eq(bp->e820_table, e820, sizeof(e820[0]) * 5);
	ck_assert_uint_eq(bp->e820_table[3].addr, MiB);
	ck_assert_uint_eq(bp->e820_table[3].size, 63 * MiB);

	ck_assert_mem_eq(ram + PREF_ADDR, img + SETUP_SIZE, KSIZE);
	ck_assert_uint_eq(ram[PREF_ADDR + KSIZE], 0);
	ck_assert_str_eq((char *)ram + 0x20000, cmdline);
	ck_assert_mem_eq(ram + lay.initrd_addr, initrd, sizeof(initrd));
	free(ram);
}
END_TEST

START_TEST(load_layout_outside_ram)
{
	struct bzimage bz = parsed();
	struct boot_layout lay;
	struct guest_mem gm;
	uint8_t *ram;

	ck_assert_int_eq(memmap_layout(&gm, 16 * MiB), 0);
	ram = calloc(1, 16 * MiB);
	ck_assert_ptr_nonnull(ram);
	gm.ram[0].hva = ram;
	memset(&lay, 0, sizeof(lay));
	lay.zero_page_addr = 0x7000;
	lay.cmdline_addr = 0x20000;
	lay.kernel_addr = 16 * MiB - KSIZE + 1;         /* one byte past the end */
	err[0] = '\0';
	ck_assert_int_eq(bzimage_load(&bz, &gm, &lay, NULL, "", 0, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "does not fit"));
	lay.kernel_addr = MiB;
	lay.initrd_addr = 15 * MiB;
	lay.initrd_size = MiB + 1;
	ck_assert_int_eq(bzimage_load(&bz, &gm, &lay, ram, "", 0, err, sizeof(err)), -1);
	/* Nothing was written. */
	ck_assert_uint_eq(ram[MiB], 0);
	ck_assert_uint_eq(ram[0x7000 + 0x1fe], 0);
	free(ram);
}
END_TEST

/*
 * Regression (fixed in bzimage_plan): when pref_address +
 * init_size does not fit, the kernel is "placed" at 1 MiB instead. A
 * relocatable kernel moves itself to max(align_up(load, kernel_alignment),
 * pref_address) before decompressing (Documentation/arch/x86/boot.rst,
 * init_size), so it still needs [pref_address, pref_address + init_size):
 * the plan succeeds for RAM that cannot hold the kernel and puts the initrd
 * where decompression overwrites it. Expected: BOOT_ERR_KERNEL.
 */
START_TEST(bug_plan_fallback_below_pref_address)
{
	struct bzimage bz = parsed();
	struct guest_mem gm;
	struct boot_layout lay;
	int ret;

	bz.init_size = 12 * MiB;
	ck_assert_int_eq(memmap_layout(&gm, 24 * MiB), 0);
	ret = bzimage_plan(&bz, &gm, 8 * MiB, 0, &lay, err, sizeof(err));
	ck_assert_msg(ret == BOOT_ERR_KERNEL,
		      "kernel needs [16M, 28M) but plan returned %d with "
		      "kernel at 0x%llx and initrd at 0x%llx in 24M of RAM", ret,
		      (unsigned long long)lay.kernel_addr,
		      (unsigned long long)lay.initrd_addr);
}
END_TEST

/*
 * Regression (fixed in bzimage_plan): kaddr + init_size
 * wraps for a pref_address near 2^64 (read from the untrusted header), so
 * the check passes and the plan returns a kernel address outside guest RAM.
 */
START_TEST(bug_plan_pref_address_wraps)
{
	struct bzimage bz = parsed();
	struct guest_mem gm;
	struct boot_layout lay;
	int ret;

	bz.pref_address = 0xffffffffffe00000ULL;
	ck_assert_int_eq(memmap_layout(&gm, 256 * MiB), 0);
	ret = bzimage_plan(&bz, &gm, 0, 0, &lay, err, sizeof(err));
	ck_assert_msg(ret != 0 || (lay.kernel_addr < gm.low_end &&
				   bz.init_size <= gm.low_end - lay.kernel_addr),
		      "plan returned 0 with kernel at 0x%llx, outside RAM",
		      (unsigned long long)lay.kernel_addr);
}
END_TEST

Suite *bzimage_suite(void)
{
	Suite *s = suite_create("bzimage");
	TCase *tc = tcase_create("core");
	TCase *bugs = tcase_create("regressions");

	tcase_add_test(tc, parse_valid);
	tcase_add_test(tc, parse_field_details);
	tcase_add_test(tc, parse_too_small);
	tcase_add_test(tc, parse_no_signature);
	tcase_add_test(tc, parse_old_protocol);
	tcase_add_test(tc, parse_not_loaded_high);
	tcase_add_test(tc, parse_no_64bit_entry);
	tcase_add_test(tc, parse_truncated);
	tcase_add_test(tc, plan_basic);
	tcase_add_test(tc, plan_initrd_placement);
	tcase_add_test(tc, plan_initrd_too_large);
	tcase_add_test(tc, plan_cmdline_too_long);
	tcase_add_test(tc, plan_tiny_ram);
	tcase_add_test(tc, load_zero_page);
	tcase_add_test(tc, load_layout_outside_ram);
	suite_add_tcase(s, tc);
	tcase_add_test(bugs, bug_plan_fallback_below_pref_address);
	tcase_add_test(bugs, bug_plan_pref_address_wraps);
	suite_add_tcase(s, bugs);
	return s;
}
