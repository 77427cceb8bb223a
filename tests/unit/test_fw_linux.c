/* Tests for boot/x86/fw_linux.c and the option ROM it offers (boot/x86/linuxboot.S):
 * the ROM image (signature, size, checksums, PnP header, BEV), its
 * parameter table, the patched setup header, where the initrd goes, what
 * the ROM's DMA transfers put in guest RAM (done here the way the ROM does
 * them, through the fw_cfg DMA port), and every error path. The kernel is a
 * fake bzImage built here. */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/bootparam.h>
#include "../../boot/x86/fw_linux.h"
#include "../../boot/x86/linuxboot.h"
#include "suites.h"

#define MiB          (1ULL << 20)
#define HDR(field)   offsetof(struct boot_params, hdr.field)
#define SETUP_SECTS  4
#define SETUP_SIZE   ((SETUP_SECTS + 1) * 512)
#define KSIZE        8192
#define IMG_LEN      (SETUP_SIZE + KSIZE)
#define PREF_ADDR    (2 * MiB)
#define INIT_SIZE    (4 * MiB)
#define KERNEL_END   (PREF_ADDR + INIT_SIZE)
#define RAM_SIZE     (32 * MiB)
#define INITRD_LEN   10000
#define INITRD_MAX   (8 * MiB)       /* the most any test passes */
#define DESC_GPA     0x7000ULL
#define CMDLINE      "console=ttyS0 root=/dev/ram0"

static uint8_t img[IMG_LEN], initrd[INITRD_MAX];
static uint8_t *ram;
static struct guest_mem gm;
static struct fw_cfg fc;
static struct bzimage bz;
static char err[256];

static void w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void w32(uint8_t *p, uint32_t v)
{
	w16(p, (uint16_t)v);
	w16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t r16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t r32(const uint8_t *p)
{
	return r16(p) | (uint32_t)r16(p + 2) << 16;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	w32(p, __builtin_bswap32(v));
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* A protocol 2.15 bzImage: relocatable, 64-bit entry, KSIZE bytes of
 * payload, decompressing to PREF_ADDR. */
static void make_image(void)
{
	size_t i;

	memset(img, 0, sizeof(img));
	for (i = 0; i < SETUP_SIZE; i++)
		img[i] = (uint8_t)(i * 13 + 1);
	memset(img + 0x1f1, 0, 0x264 - 0x1f1);
	img[0x1f1] = SETUP_SECTS;
	w32(img + 0x1f4, KSIZE / 16);
	w16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a;
	memcpy(img + 0x202, "HdrS", 4);
	w16(img + 0x206, 0x020f);
	img[HDR(loadflags)] = LOADED_HIGH;
	w32(img + 0x214, 0x100000);             /* code32_start */
	w32(img + 0x22c, 0x7fffffff);           /* initrd_addr_max */
	w32(img + 0x230, 0x200000);             /* kernel_alignment */
	img[0x234] = 1;                         /* relocatable */
	w16(img + 0x236, XLF_KERNEL_64);
	w32(img + 0x238, 2048);                 /* cmdline_size */
	w32(img + 0x258, (uint32_t)PREF_ADDR);
	w32(img + 0x260, (uint32_t)INIT_SIZE);
	for (i = 0; i < KSIZE; i++)
		img[SETUP_SIZE + i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < INITRD_LEN; i++)
		initrd[i] = (uint8_t)(i * 5 + 11);
	ck_assert_int_eq(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
}

static void *translate(void *opaque, uint64_t gpa, uint64_t len)
{
	return gpa_to_hva(opaque, gpa, len);
}

static void setup(void)
{
	ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	memset(&gm, 0, sizeof(gm));
	gm.ram[0] = (struct ram_region){ 0, RAM_SIZE, ram };
	gm.n_ram = 1;
	gm.ram_size = gm.low_end = RAM_SIZE;
	ck_assert_int_eq(fw_cfg_init(&fc, translate, &gm), 0);
	make_image();
	err[0] = '\0';
}

static void teardown(void)
{
	fw_cfg_destroy(&fc);
	free(ram);
}

static int run(size_t initrd_len, const char *cmdline, uint64_t ram_top)
{
	err[0] = '\0';
	return fw_linux_setup(&fc, &bz, initrd, initrd_len, cmdline, ram_top,
			      err, sizeof(err));
}

static void run_ok(size_t initrd_len, const char *cmdline, uint64_t ram_top)
{
	ck_assert_msg(run(initrd_len, cmdline, ram_top) == 0, "%s", err);
}

static void run_bad(size_t initrd_len, const char *cmdline, uint64_t ram_top,
		    const char *what)
{
	int files = fc.n_files;

	ck_assert_int_eq(run(initrd_len, cmdline, ram_top), -1);
	ck_assert_msg(strstr(err, what), "expected '%s' in '%s'", what, err);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_int_eq(fc.n_files, files);    /* nothing added */
}

static const struct fw_cfg_item *file(const char *name)
{
	int i;

	for (i = 0; i < fc.n_items; i++)
		if (!strcmp(fc.items[i].name, name))
			return &fc.items[i];
	return NULL;
}

static const uint8_t *rom(void)
{
	const struct fw_cfg_item *it = file(FW_LINUX_ROM_FILE);

	ck_assert_ptr_nonnull(it);
	ck_assert_uint_eq(it->len, LINUXBOOT_ROM_SIZE);
	return it->data;
}

static const uint8_t *blob(int i)
{
	return rom() + LINUXBOOT_TABLE + LT_BLOBS + i * LT_BLOB_SIZE;
}

static const uint8_t *setup_hdr(void)
{
	const struct fw_cfg_item *it = file(FW_LINUX_SETUP_FILE);

	ck_assert_ptr_nonnull(it);
	ck_assert_uint_eq(it->len, SETUP_SIZE);
	return it->data;
}

/* What the ROM's BEV does for each blob: one SELECT|READ DMA transfer with
 * the descriptor in RAM, the high half of its address 0, then the low half
 * (big-endian on the wire). */
static void run_rom_dma(void)
{
	int i;

	for (i = 0; i < LINUXBOOT_NBLOBS; i++) {
		const uint8_t *e = blob(i);
		uint8_t *d = ram + DESC_GPA;

		if (!r32(e + LT_BLOB_LEN))
			continue;
		put_be32(d, (uint32_t)r16(e + LT_BLOB_KEY) << 16 |
			 FW_CFG_DMA_SELECT | FW_CFG_DMA_READ);
		put_be32(d + 4, r32(e + LT_BLOB_LEN));
		put_be32(d + 8, 0);
		put_be32(d + 12, r32(e + LT_BLOB_ADDR));
		fw_cfg_dma_write(&fc, 0, 4, 0);
		fw_cfg_dma_write(&fc, 4, 4, __builtin_bswap32((uint32_t)DESC_GPA));
		ck_assert_uint_eq(r32(d), 0);   /* done, no error */
	}
}

/* The expected initrd address below top (page-aligned, as high as fits). */
static uint64_t initrd_below(uint64_t top, uint64_t len)
{
	return (top - len) & ~0xfffULL;
}

START_TEST(embedded_rom)
{
	const uint8_t *r = linuxboot_rom, *t = r + LINUXBOOT_TABLE;
	size_t i;

	ck_assert_int_eq(linuxboot_rom_end - linuxboot_rom, LINUXBOOT_ROM_SIZE);
	ck_assert_uint_eq(LINUXBOOT_ROM_SIZE % 512, 0);
	ck_assert_uint_eq(r[0], 0x55);
	ck_assert_uint_eq(r[1], 0xaa);
	ck_assert_uint_eq(r[2] * 512, LINUXBOOT_ROM_SIZE);
	/* As built: magic, an empty table, checksums left to conduit. */
	ck_assert_mem_eq(t + LT_MAGIC, LINUXBOOT_MAGIC, 4);
	for (i = 4; i < LINUXBOOT_TABLE_LEN; i++)
		ck_assert_uint_eq(t[i], 0);
	ck_assert_uint_eq(r[LINUXBOOT_CSUM], 0);
	ck_assert_uint_eq(r[LINUXBOOT_PNP_CSUM], 0);
}
END_TEST

START_TEST(rom_image)
{
	const uint8_t *r, *pnp;
	uint16_t init, bev, name;

	run_ok(INITRD_LEN, CMDLINE, RAM_SIZE);
	r = rom();
	ck_assert_uint_eq(r[0], 0x55);
	ck_assert_uint_eq(r[1], 0xaa);
	ck_assert_uint_eq(r[2] * 512, LINUXBOOT_ROM_SIZE);
	ck_assert_uint_eq(sum(r, LINUXBOOT_ROM_SIZE), 0);

	/* Offset 3: a jump (near or short) to an lret. */
	if (r[3] == 0xe9)
		init = (uint16_t)(6 + r16(r + 4));
	else if (r[3] == 0xeb)
		init = (uint16_t)(5 + (int8_t)r[4]);
	else
		ck_abort_msg("no jump at offset 3 (0x%02x)", r[3]);
	ck_assert_uint_lt(init, LINUXBOOT_ROM_SIZE);
	ck_assert_uint_eq(r[init], 0xcb);

	/* PnP expansion header with a BEV, checksummed. */
	ck_assert_uint_eq(r16(r + LINUXBOOT_PCI_PTR), 0);
	ck_assert_uint_eq(r16(r + LINUXBOOT_PNP_PTR), LINUXBOOT_PNP);
	pnp = r + LINUXBOOT_PNP;
	ck_assert_mem_eq(pnp, "$PnP", 4);
	ck_assert_uint_eq(pnp[4], 1);                   /* revision */
	ck_assert_uint_eq(pnp[5] * 16, LINUXBOOT_PNP_LEN);
	ck_assert_uint_eq(r16(pnp + 6), 0);             /* no next header */
	ck_assert_uint_eq(sum(pnp, LINUXBOOT_PNP_LEN), 0);
	ck_assert_uint_eq(r16(pnp + 0x14), 0);          /* no BCV */
	bev = r16(r + LINUXBOOT_PNP_BEV);
	ck_assert_uint_ge(bev, LINUXBOOT_TABLE + LINUXBOOT_TABLE_LEN);
	ck_assert_uint_lt(bev, LINUXBOOT_CSUM);
	ck_assert_uint_ne(bev, init);
	ck_assert_uint_eq(r[bev], 0xfa);                /* cli first */
	name = r16(r + LINUXBOOT_PNP_NAME);
	ck_assert_uint_ge(name, LINUXBOOT_TABLE + LINUXBOOT_TABLE_LEN);
	ck_assert_uint_lt(name, LINUXBOOT_ROM_SIZE - sizeof("conduit Linux boot"));
	ck_assert_str_eq((const char *)r + name, "conduit Linux boot");

	/* Only the table and the two checksum bytes differ from the build. */
	ck_assert_mem_eq(r, linuxboot_rom, LINUXBOOT_PNP_CSUM);
	ck_assert_mem_eq(r + LINUXBOOT_PNP_CSUM + 1, linuxboot_rom + LINUXBOOT_PNP_CSUM + 1,
			 LINUXBOOT_TABLE - LINUXBOOT_PNP_CSUM - 1);
	ck_assert_mem_eq(r + LINUXBOOT_TABLE + LINUXBOOT_TABLE_LEN,
			 linuxboot_rom + LINUXBOOT_TABLE + LINUXBOOT_TABLE_LEN,
			 LINUXBOOT_CSUM - LINUXBOOT_TABLE - LINUXBOOT_TABLE_LEN);
}
END_TEST

START_TEST(rom_table)
{
	static const char *const names[LINUXBOOT_NBLOBS] = {
		FW_LINUX_SETUP_FILE, FW_LINUX_CMDLINE_FILE,
		FW_LINUX_KERNEL_FILE, FW_LINUX_INITRD_FILE,
	};
	const uint64_t addrs[LINUXBOOT_NBLOBS] = {
		FW_LINUX_SETUP_ADDR, FW_LINUX_CMDLINE_ADDR, FW_LINUX_KERNEL_ADDR,
		initrd_below(RAM_SIZE - FW_LINUX_TOP_MARGIN, INITRD_LEN),
	};
	const uint32_t lens[LINUXBOOT_NBLOBS] = {
		SETUP_SIZE, sizeof(CMDLINE), KSIZE, INITRD_LEN,
	};
	const uint8_t *t;
	int i;

	run_ok(INITRD_LEN, CMDLINE, RAM_SIZE);
	t = rom() + LINUXBOOT_TABLE;
	ck_assert_mem_eq(t + LT_MAGIC, LINUXBOOT_MAGIC, 4);
	ck_assert_uint_eq(r16(t + LT_SETUP_SEG), FW_LINUX_SETUP_ADDR >> 4);
	ck_assert_uint_eq(r16(t + LT_STACK), FW_LINUX_STACK);
	ck_assert_int_eq(fc.n_files, 5);
	for (i = 0; i < LINUXBOOT_NBLOBS; i++) {
		const struct fw_cfg_item *it = file(names[i]);

		ck_assert_ptr_nonnull(it);
		ck_assert_uint_eq(r16(blob(i) + LT_BLOB_KEY), it->key);
		ck_assert_uint_eq(r16(blob(i) + 2), 0);
		ck_assert_uint_eq(r32(blob(i) + LT_BLOB_ADDR), addrs[i]);
		ck_assert_uint_eq(r32(blob(i) + LT_BLOB_LEN), lens[i]);
		ck_assert_uint_eq(it->len, lens[i]);
	}
	ck_assert_mem_eq(file(FW_LINUX_KERNEL_FILE)->data, img + SETUP_SIZE, KSIZE);
	ck_assert_mem_eq(file(FW_LINUX_INITRD_FILE)->data, initrd, INITRD_LEN);
	ck_assert_str_eq((const char *)file(FW_LINUX_CMDLINE_FILE)->data, CMDLINE);
}
END_TEST

START_TEST(setup_header)
{
	const uint8_t *s;
	uint8_t orig[SETUP_SIZE];
	size_t i;

	memcpy(orig, img, SETUP_SIZE);
	run_ok(INITRD_LEN, CMDLINE, RAM_SIZE);
	s = setup_hdr();
	ck_assert_uint_eq(s[HDR(type_of_loader)], 0xff);
	ck_assert_uint_eq(s[HDR(loadflags)], LOADED_HIGH | CAN_USE_HEAP);
	ck_assert_uint_eq(r16(s + HDR(heap_end_ptr)), FW_LINUX_HEAP_END);
	ck_assert_uint_eq(r32(s + HDR(cmd_line_ptr)), FW_LINUX_CMDLINE_ADDR);
	ck_assert_uint_eq(r32(s + HDR(ramdisk_image)),
			  initrd_below(RAM_SIZE - FW_LINUX_TOP_MARGIN, INITRD_LEN));
	ck_assert_uint_eq(r32(s + HDR(ramdisk_size)), INITRD_LEN);
	ck_assert_uint_eq(r32(s + HDR(code32_start)), FW_LINUX_KERNEL_ADDR);
	/* The stack the ROM sets lies in the heap/stack area above the heap. */
	ck_assert_uint_gt(FW_LINUX_STACK, FW_LINUX_HEAP_END);
	ck_assert_uint_ge(FW_LINUX_HEAP_END, FW_LINUX_SETUP_MAX);
	/* Every other byte is the image's, and the image is untouched. */
	for (i = 0; i < SETUP_SIZE; i++) {
		if (i == HDR(type_of_loader) || i == HDR(loadflags) ||
		    (i >= HDR(heap_end_ptr) && i < HDR(heap_end_ptr) + 2) ||
		    (i >= HDR(cmd_line_ptr) && i < HDR(cmd_line_ptr) + 4) ||
		    (i >= HDR(ramdisk_image) && i < HDR(ramdisk_image) + 8))
			continue;
		ck_assert_msg(s[i] == img[i], "setup byte 0x%zx changed", i);
	}
	ck_assert_mem_eq(img, orig, SETUP_SIZE);
}
END_TEST

START_TEST(dma_loads_everything)
{
	uint64_t iaddr = initrd_below(RAM_SIZE - FW_LINUX_TOP_MARGIN, INITRD_LEN);

	run_ok(INITRD_LEN, CMDLINE, RAM_SIZE);
	memset(ram + FW_LINUX_CMDLINE_ADDR + sizeof(CMDLINE), 0xaa, 16);
	run_rom_dma();
	ck_assert_mem_eq(ram + FW_LINUX_SETUP_ADDR, setup_hdr(), SETUP_SIZE);
	ck_assert_uint_eq(ram[FW_LINUX_SETUP_ADDR + HDR(type_of_loader)], 0xff);
	ck_assert_str_eq((const char *)ram + FW_LINUX_CMDLINE_ADDR, CMDLINE);
	ck_assert_uint_eq(ram[FW_LINUX_CMDLINE_ADDR + sizeof(CMDLINE)], 0xaa);
	ck_assert_mem_eq(ram + FW_LINUX_KERNEL_ADDR, img + SETUP_SIZE, KSIZE);
	ck_assert_uint_eq(r32(ram + FW_LINUX_SETUP_ADDR + HDR(ramdisk_image)), iaddr);
	ck_assert_mem_eq(ram + iaddr, initrd, INITRD_LEN);
}
END_TEST

START_TEST(initrd_placement)
{
	uint64_t top = RAM_SIZE - FW_LINUX_TOP_MARGIN, a;

	/* As high as fits below ram_top less the margin, page-aligned. */
	run_ok(INITRD_LEN, CMDLINE, RAM_SIZE);
	a = r32(setup_hdr() + HDR(ramdisk_image));
	ck_assert_uint_eq(a, initrd_below(top, INITRD_LEN));
	ck_assert_uint_eq(a & 0xfff, 0);
	ck_assert_uint_le(a + INITRD_LEN, top);
	ck_assert_uint_gt(a + INITRD_LEN + 0x1000, top);
	ck_assert_uint_ge(a, KERNEL_END);
	fw_cfg_destroy(&fc);
	ck_assert_int_eq(fw_cfg_init(&fc, translate, &gm), 0);

	/* Below initrd_addr_max when that is lower. */
	w32(img + 0x22c, 12 * MiB - 1);
	ck_assert_int_eq(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
	run_ok(INITRD_LEN, CMDLINE, RAM_SIZE);
	a = r32(setup_hdr() + HDR(ramdisk_image));
	ck_assert_uint_eq(a, initrd_below(12 * MiB, INITRD_LEN));
	ck_assert_uint_eq(r32(blob(3) + LT_BLOB_ADDR), a);
	run_rom_dma();
	ck_assert_mem_eq(ram + a, initrd, INITRD_LEN);
	fw_cfg_destroy(&fc);
	ck_assert_int_eq(fw_cfg_init(&fc, translate, &gm), 0);

	/* An exact fit right above the kernel's decompression area. */
	run_ok(12 * MiB - KERNEL_END, CMDLINE, RAM_SIZE);
	ck_assert_uint_eq(r32(setup_hdr() + HDR(ramdisk_image)), KERNEL_END);
	fw_cfg_destroy(&fc);
	ck_assert_int_eq(fw_cfg_init(&fc, translate, &gm), 0);

	/* RAM beyond 4 GiB: still below 4 GiB and initrd_addr_max. */
	w32(img + 0x22c, 0xffffffff);
	ck_assert_int_eq(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
	run_ok(INITRD_LEN, CMDLINE, 8ULL << 30);
	ck_assert_uint_eq(r32(setup_hdr() + HDR(ramdisk_image)),
			  initrd_below(MEM_4G, INITRD_LEN));
}
END_TEST

START_TEST(old_protocol_defaults)
{
	/* Before 2.03 initrd_addr_max is 0x37ffffff whatever the field says,
	 * before 2.06 the command line is at most 255 characters. */
	char line[300];

	w32(img + 0x22c, 0xffffffff);
	ck_assert_int_eq(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
	bz.version = 0x0202;
	run_ok(INITRD_LEN, CMDLINE, 2ULL << 30);
	ck_assert_uint_eq(r32(setup_hdr() + HDR(ramdisk_image)),
			  initrd_below(0x38000000, INITRD_LEN));
	fw_cfg_destroy(&fc);
	ck_assert_int_eq(fw_cfg_init(&fc, translate, &gm), 0);

	memset(line, 'x', sizeof(line));
	line[255] = '\0';
	bz.version = 0x0205;
	run_ok(0, line, RAM_SIZE);
	fw_cfg_destroy(&fc);
	ck_assert_int_eq(fw_cfg_init(&fc, translate, &gm), 0);
	line[255] = 'x';
	line[256] = '\0';
	run_bad(0, line, RAM_SIZE, "at most 255");
}
END_TEST

START_TEST(no_initrd)
{
	const uint8_t *s;

	run_ok(0, NULL, RAM_SIZE);
	ck_assert_int_eq(fc.n_files, 4);
	ck_assert_ptr_null(file(FW_LINUX_INITRD_FILE));
	ck_assert_uint_eq(r16(blob(3) + LT_BLOB_KEY), 0);
	ck_assert_uint_eq(r32(blob(3) + LT_BLOB_ADDR), 0);
	ck_assert_uint_eq(r32(blob(3) + LT_BLOB_LEN), 0);
	s = setup_hdr();
	ck_assert_uint_eq(r32(s + HDR(ramdisk_image)), 0);
	ck_assert_uint_eq(r32(s + HDR(ramdisk_size)), 0);
	/* A NULL command line is an empty one. */
	ck_assert_uint_eq(r32(blob(1) + LT_BLOB_LEN), 1);
	ck_assert_uint_eq(file(FW_LINUX_CMDLINE_FILE)->len, 1);
	ck_assert_uint_eq(file(FW_LINUX_CMDLINE_FILE)->data[0], 0);
	ram[FW_LINUX_CMDLINE_ADDR] = 'x';
	run_rom_dma();
	ck_assert_uint_eq(ram[FW_LINUX_CMDLINE_ADDR], 0);
	ck_assert_mem_eq(ram + FW_LINUX_KERNEL_ADDR, img + SETUP_SIZE, KSIZE);
}
END_TEST

START_TEST(cmdline_limit)
{
	static char line[2049];

	memset(line, 'c', sizeof(line));
	line[2047] = '\0';                      /* 2047 + NUL = cmdline_size */
	run_ok(0, line, RAM_SIZE);
	ck_assert_uint_eq(file(FW_LINUX_CMDLINE_FILE)->len, 2048);
	fw_cfg_destroy(&fc);
	ck_assert_int_eq(fw_cfg_init(&fc, translate, &gm), 0);
	line[2047] = 'c';
	line[2048] = '\0';
	run_bad(0, line, RAM_SIZE, "command line is 2048 bytes, the kernel takes at most 2047");
}
END_TEST

START_TEST(errors)
{
	struct bzimage good;

	good = bz;
	bz.version = 0x0201;
	run_bad(0, CMDLINE, RAM_SIZE, "boot protocol 2.01 is too old");

	bz = good;
	bz.setup_size = FW_LINUX_SETUP_MAX + 512;
	run_bad(0, CMDLINE, RAM_SIZE, "real-mode setup code is");

	bz = good;
	img[HDR(loadflags)] &= ~LOADED_HIGH;
	run_bad(0, CMDLINE, RAM_SIZE, "zImage");
	img[HDR(loadflags)] |= LOADED_HIGH;

	/* The kernel's decompression area must fit below ram_top - margin. */
	run_bad(0, CMDLINE, KERNEL_END + FW_LINUX_TOP_MARGIN - 1, "kernel needs RAM up to 6 MiB");
	run_bad(0, CMDLINE, 0, "kernel");
	run_ok(0, CMDLINE, KERNEL_END + FW_LINUX_TOP_MARGIN);
	fw_cfg_destroy(&fc);
	ck_assert_int_eq(fw_cfg_init(&fc, translate, &gm), 0);

	/* The initrd must fit between the kernel and the top. */
	run_bad(INITRD_LEN, CMDLINE, KERNEL_END + FW_LINUX_TOP_MARGIN, "initrd of 0 MiB does not fit");
	run_bad(64 * MiB, CMDLINE, RAM_SIZE, "initrd of 64 MiB does not fit");
	run_bad(RAM_SIZE - FW_LINUX_TOP_MARGIN - KERNEL_END + 1, CMDLINE, RAM_SIZE,
		"initrd of 25 MiB does not fit in guest RAM above the kernel (25 MiB free below 31 MiB)");
	w32(img + 0x22c, KERNEL_END + 0x800);   /* initrd_addr_max */
	ck_assert_int_eq(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
	run_bad(INITRD_LEN, CMDLINE, RAM_SIZE, "initrd");
}
END_TEST

START_TEST(fw_cfg_refuses)
{
	char name[FW_CFG_NAME_LEN];
	int i;

	/* The ROM's name is taken: nothing gets its BEV registered. */
	ck_assert_int_eq(fw_cfg_add_file(&fc, FW_LINUX_ROM_FILE, "x", 1), 0);
	ck_assert_int_eq(run(INITRD_LEN, CMDLINE, RAM_SIZE), -1);
	ck_assert_str_eq(err, "fw_cfg: cannot add " FW_LINUX_ROM_FILE ": File exists");
	fw_cfg_destroy(&fc);
	ck_assert_int_eq(fw_cfg_init(&fc, translate, &gm), 0);

	/* Two free file slots: the third file (the kernel) does not fit. */
	for (i = 0; i < FW_CFG_MAX_FILES - 2; i++) {
		snprintf(name, sizeof(name), "opt/f%d", i);
		ck_assert_int_eq(fw_cfg_add_file(&fc, name, "x", 1), 0);
	}
	ck_assert_int_eq(run(INITRD_LEN, CMDLINE, RAM_SIZE), -1);
	ck_assert_str_eq(err, "fw_cfg: cannot add " FW_LINUX_KERNEL_FILE ": No space left on device");
}
END_TEST

Suite *fw_linux_suite(void)
{
	Suite *s = suite_create("fw_linux");
	TCase *tc = tcase_create("fw_linux");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, embedded_rom);
	tcase_add_test(tc, rom_image);
	tcase_add_test(tc, rom_table);
	tcase_add_test(tc, setup_header);
	tcase_add_test(tc, dma_loads_everything);
	tcase_add_test(tc, initrd_placement);
	tcase_add_test(tc, old_protocol_defaults);
	tcase_add_test(tc, no_initrd);
	tcase_add_test(tc, cmdline_limit);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, fw_cfg_refuses);
	suite_add_tcase(s, tc);
	return s;
}
