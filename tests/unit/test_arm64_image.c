/* Tests of the arm64 Image header (boot/arm64/image.c): a header built as
 * Documentation/arch/arm64/booting.rst lays it out, and the files that
 * are refused (bzImage, compressed, short, wrong magic, big-endian). */
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "../../boot/arm64/image.h"

#define MiB (1ULL << 20)
#define IMG_LEN 8192

static uint8_t img[IMG_LEN];
static char err[256];

static void w16(size_t off, uint16_t v)
{
	img[off] = (uint8_t)v;
	img[off + 1] = (uint8_t)(v >> 8);
}

static void w32(size_t off, uint32_t v)
{
	img[off] = (uint8_t)v;
	img[off + 1] = (uint8_t)(v >> 8);
	img[off + 2] = (uint8_t)(v >> 16);
	img[off + 3] = (uint8_t)(v >> 24);
}

static void w64(size_t off, uint64_t v)
{
	w32(off, (uint32_t)v);
	w32(off + 4, (uint32_t)(v >> 32));
}

/* A 64-byte header as booting.rst documents it, the EFI stub's PE header
 * at 0x40 (two sections whose raw data ends at IMG_LEN, as a real Image's
 * .data ends near its file's end), then recognisable "code". */
static void make_image(uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	size_t i;

	memset(img, 0, sizeof(img));
	w32(0x00, 0x91005a4d);          /* code0: "MZ" + add x13, x18, #0x16 */
	w32(0x04, 0x14000000);          /* code1: b stext */
	w64(0x08, text_offset);
	w64(0x10, image_size);
	w64(0x18, flags);
	w32(0x38, 0x644d5241);          /* "ARM\x64" */
	w32(0x3c, 0x40);                /* PE header offset */
	memcpy(img + 0x40, "PE\0\0", 4);
	for (i = 0x44; i < IMG_LEN; i++)
		img[i] = (uint8_t)(i * 13 + 5);
	w16(0x44, 0xaa64);              /* COFF: machine arm64 */
	w16(0x46, 2);                   /* two sections */
	w16(0x54, 0xa0);                /* optional header size */
	memcpy(img + 0xf8, ".text\0\0\0", 8);
	w32(0xf8 + 16, 0x800);          /* raw size */
	w32(0xf8 + 20, 0x1000);         /* raw offset */
	memcpy(img + 0x120, ".data\0\0\0", 8);
	w32(0x120 + 16, 0x800);
	w32(0x120 + 20, 0x1800);        /* ends at 0x2000 = IMG_LEN */
}

static void parse_ok(size_t len, struct arm64_image *im)
{
	err[0] = '\0';
	ck_assert_msg(arm64_image_parse(img, len, im, err, sizeof(err)) == 0, "%s", err);
}

static void parse_bad(size_t len, const char *what)
{
	struct arm64_image im;

	err[0] = '\0';
	ck_assert_int_eq(arm64_image_parse(img, len, &im, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, what), "expected '%s' in '%s'", what, err);
	ck_assert_msg(!strchr(err, '\n'), "not one line: '%s'", err);
	ck_assert_ptr_null(im.data);
}

START_TEST(image_valid)
{
	struct arm64_image im;

	/* 4 KiB pages, placement anywhere, as a 6.1 defconfig kernel says. */
	make_image(0, 20 * MiB, 2 | 8);
	parse_ok(IMG_LEN, &im);
	ck_assert_ptr_eq(im.data, img);
	ck_assert_uint_eq(im.len, IMG_LEN);
	ck_assert_uint_eq(im.text_offset, 0);
	ck_assert_uint_eq(im.image_size, 20 * MiB);
	ck_assert_uint_eq(im.load_size, 20 * MiB);
	ck_assert_uint_eq(im.page_kib, 4);
	ck_assert_int_eq(im.anywhere, 1);
}
END_TEST

START_TEST(image_fields)
{
	struct arm64_image im;

	/* An older kernel: text_offset 0x80000, 64 KiB pages, near RAM start. */
	make_image(0x80000, 12 * MiB, 3 << 1);
	parse_ok(IMG_LEN, &im);
	ck_assert_uint_eq(im.text_offset, 0x80000);
	ck_assert_uint_eq(im.page_kib, 64);
	ck_assert_int_eq(im.anywhere, 0);
	make_image(0x1000, 12 * MiB, 2 << 1);
	parse_ok(IMG_LEN, &im);
	ck_assert_uint_eq(im.text_offset, 0x1000);
	ck_assert_uint_eq(im.page_kib, 16);
	make_image(0, 12 * MiB, 0);
	parse_ok(IMG_LEN, &im);
	ck_assert_uint_eq(im.page_kib, 0);
	/* image_size smaller than the file (padding appended): the file wins. */
	make_image(0, 4096, 2);
	parse_ok(IMG_LEN, &im);
	ck_assert_uint_eq(im.load_size, IMG_LEN);
}
END_TEST

/* Before 3.17: image_size 0, text_offset of unknown endianness: booting.rst
 * says to assume 0x80000, whatever the field and flags hold. */
START_TEST(image_size_zero)
{
	struct arm64_image im;

	make_image(0x00000800ULL << 32, 0, 1);  /* a "big-endian" 0x80000, BE flag */
	parse_ok(IMG_LEN, &im);
	ck_assert_uint_eq(im.text_offset, ARM64_IMAGE_OLD_OFFSET);
	ck_assert_uint_eq(im.image_size, 0);
	ck_assert_uint_eq(im.load_size, IMG_LEN);
	ck_assert_uint_eq(im.page_kib, 0);
}
END_TEST

START_TEST(image_big_endian)
{
	make_image(0, 20 * MiB, 1 | 2 | 8);
	parse_bad(IMG_LEN, "big-endian arm64 Image");
}
END_TEST

START_TEST(image_wrong_magic)
{
	make_image(0, 20 * MiB, 2);
	w32(0x38, 0x016f2818);          /* an arm32 zImage's magic, wrong place */
	parse_bad(IMG_LEN, "not an arm64 Linux Image (no \"ARM\\x64\" magic at offset 0x38)");
	make_image(0, 20 * MiB, 2);
	img[0x3b] = 0x65;               /* "ARM\x65" */
	parse_bad(IMG_LEN, "no \"ARM\\x64\" magic");
}
END_TEST

START_TEST(image_too_small)
{
	make_image(0, 20 * MiB, 2);
	parse_bad(0, "file is 0 bytes, too small to be an arm64 Image");
	parse_bad(40, "file is 40 bytes, too small to be an arm64 Image");
	parse_bad(63, "63 bytes");
}
END_TEST

/* An EFI stub Image cut short: before its PE header, in its section
 * table, or before the end of its sections' raw data. */
START_TEST(image_truncated)
{
	make_image(0, 20 * MiB, 2);
	parse_bad(IMG_LEN - 1, "truncated: the PE header says 8192 bytes, the file has 8191");
	parse_bad(0x1000, "truncated: the PE header says 8192 bytes");
	parse_bad(0x130, "truncated: the file (304 bytes) ends before the end of its PE header at 0x40");
	w32(0x3c, 0x1000);
	parse_bad(0x800, "truncated: the file (2048 bytes) ends before the end of its PE header at 0x1000");
	w32(0x3c, 0xffffffff);
	parse_bad(IMG_LEN, "truncated");
	/* A PE header that is not arm64's is not read: no check. */
	make_image(0, 20 * MiB, 2);
	w16(0x44, 0x8664);
	{
		struct arm64_image im;

		parse_ok(0x1000, &im);
	}
}
END_TEST

START_TEST(image_bzimage)
{
	memset(img, 0, sizeof(img));
	img[0] = 'M';
	img[1] = 'Z';
	img[0x1fe] = 0x55;
	img[0x1ff] = 0xaa;
	memcpy(img + 0x202, "HdrS", 4);
	parse_bad(IMG_LEN, "an x86 bzImage, not an arm64 Image");
}
END_TEST

START_TEST(image_compressed)
{
	memset(img, 0, sizeof(img));
	img[0] = 0x1f;
	img[1] = 0x8b;
	parse_bad(IMG_LEN, "gzip-compressed");
	memcpy(img, "\x28\xb5\x2f\xfd", 4);
	parse_bad(IMG_LEN, "zstd-compressed");
	memcpy(img, "\xfd" "7zXZ\0", 6);
	parse_bad(IMG_LEN, "xz-compressed");
	memcpy(img, "\x7f" "ELF", 4);
	parse_bad(IMG_LEN, "an ELF file");
	/* Short files of those kinds are named too, not "too small". */
	memcpy(img, "\x1f\x8b", 2);
	parse_bad(10, "gzip-compressed");
}
END_TEST

START_TEST(image_text_offset_too_big)
{
	make_image(2 * MiB, 20 * MiB, 2);
	parse_bad(IMG_LEN, "text_offset 0x200000 in the Image header is not below 2 MiB");
	make_image(UINT64_MAX, 20 * MiB, 2);
	parse_bad(IMG_LEN, "not below 2 MiB");
}
END_TEST

START_TEST(image_load)
{
	struct arm64_image im;
	struct guest_mem gm;
	uint8_t *ram = malloc(4 * MiB);
	size_t i;

	ck_assert_ptr_nonnull(ram);
	memset(ram, 0xff, 4 * MiB);
	memset(&gm, 0, sizeof(gm));
	gm.ram[0] = (struct ram_region){ 0x40000000ULL, 4 * MiB, ram };
	gm.n_ram = 1;
	gm.ram_size = 4 * MiB;
	make_image(0x80000, IMG_LEN + 4096, 2);
	parse_ok(IMG_LEN, &im);
	ck_assert_int_eq(arm64_image_load(&im, &gm, 0x40080000ULL, err, sizeof(err)), 0);
	ck_assert_mem_eq(ram + 0x80000, img, IMG_LEN);
	for (i = 0; i < 4096; i++)      /* bss zeroed */
		ck_assert_uint_eq(ram[0x80000 + IMG_LEN + i], 0);
	ck_assert_uint_eq(ram[0x80000 + IMG_LEN + 4096], 0xff);
	ck_assert_uint_eq(ram[0x7ffff], 0xff);
	/* Past the end of RAM: refused, nothing written. */
	memset(ram, 0xff, 4 * MiB);
	ck_assert_int_eq(arm64_image_load(&im, &gm, 0x40000000ULL + 4 * MiB - IMG_LEN,
					  err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is not in guest RAM"), "%s", err);
	ck_assert_uint_eq(ram[4 * MiB - 1], 0xff);
	free(ram);
}
END_TEST

Suite *arm64_image_suite(void)
{
	Suite *s = suite_create("arm64_image");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, image_valid);
	tcase_add_test(tc, image_fields);
	tcase_add_test(tc, image_size_zero);
	tcase_add_test(tc, image_big_endian);
	tcase_add_test(tc, image_wrong_magic);
	tcase_add_test(tc, image_too_small);
	tcase_add_test(tc, image_truncated);
	tcase_add_test(tc, image_bzimage);
	tcase_add_test(tc, image_compressed);
	tcase_add_test(tc, image_text_offset_too_big);
	tcase_add_test(tc, image_load);
	suite_add_tcase(s, tc);
	return s;
}
