/* Tests for boot/x86/firmware.c and boot/x86/firmware_cfg.c: which images --bios
 * accepts (size, reset-vector jump), reading one from a file with its
 * errors, and the fw_cfg items a firmware boot gets (e820 with the ACPI area
 * reserved, CPU count, boot policy, the table loader's one command). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../../boot/x86/firmware.h"
#include "../../boot/x86/firmware_cfg.h"
#include "suites.h"

static uint8_t *image(size_t len, const uint8_t *rv, size_t rvlen)
{
	uint8_t *p = calloc(1, len);

	ck_assert_ptr_nonnull(p);
	memcpy(p + len - 16, rv, rvlen);
	return p;
}

static int check(size_t len, const uint8_t *rv, size_t rvlen, char *err, size_t errlen)
{
	uint8_t *p = image(len, rv, rvlen);
	int ret = firmware_check(p, len, err, errlen);

	free(p);
	return ret;
}

START_TEST(test_check_accepts)
{
	static const uint8_t far[] = { 0xea, 0x5b, 0xe0, 0x00, 0xf0 };  /* SeaBIOS */
	static const uint8_t ovmf[] = { 0x90, 0x90, 0xe9, 0x00, 0x00 };
	static const uint8_t short_jmp[] = { 0xeb, 0xfe };
	char err[160];

	ck_assert_int_eq(check(64 << 10, far, sizeof(far), err, sizeof(err)), 0);
	ck_assert_int_eq(check(128 << 10, ovmf, sizeof(ovmf), err, sizeof(err)), 0);
	ck_assert_int_eq(check(16 << 20, short_jmp, sizeof(short_jmp), err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_check_sizes)
{
	static const uint8_t far[] = { 0xea };
	static const size_t bad[] = { 16, (64 << 10) - 16, (64 << 10) + 4096, (16 << 20) + (64 << 10) };
	char err[160];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(check(bad[i], far, sizeof(far), err, sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "a multiple of 64 KiB from 64 KiB to 16 MiB"));
	}
}
END_TEST

START_TEST(test_check_not_firmware)
{
	static const uint8_t zero[] = { 0 };
	static const uint8_t five_nops[] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0xe9 };
	static const uint8_t ret[] = { 0xc3 };
	char err[160];

	ck_assert_int_eq(check(64 << 10, zero, sizeof(zero), err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a firmware image"));
	ck_assert_int_eq(check(64 << 10, five_nops, sizeof(five_nops), err, sizeof(err)), -1);
	ck_assert_int_eq(check(64 << 10, ret, sizeof(ret), err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_path)
{
	ck_assert_str_eq(firmware_path("seabios"), SEABIOS_PATH);
	ck_assert_str_eq(firmware_path("/x/bios.bin"), "/x/bios.bin");
}
END_TEST

START_TEST(test_load)
{
	static const uint8_t far[] = { 0xea, 0x5b, 0xe0, 0x00, 0xf0 };
	char path[] = "/tmp/conduit-fw-XXXXXX", err[512];
	uint8_t *p = image(128 << 10, far, sizeof(far));
	struct firmware fw;
	FILE *f;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	p[0] = 0x42;
	f = fdopen(fd, "w");
	ck_assert_uint_eq(fwrite(p, 1, 128 << 10, f), 128 << 10);
	fclose(f);
	ck_assert_int_eq(firmware_load(path, &fw, err, sizeof(err)), 0);
	ck_assert_uint_eq(fw.size, 128 << 10);
	ck_assert_int_eq(memcmp(fw.image, p, fw.size), 0);
	ck_assert_str_eq(fw.path, path);
	firmware_free(&fw);
	ck_assert_ptr_null(fw.image);

	/* Cut short: the size is wrong, and the message names the file. */
	ck_assert_int_eq(truncate(path, 100), 0);
	ck_assert_int_eq(firmware_load(path, &fw, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "is 100 bytes"));
	ck_assert_ptr_null(fw.image);
	unlink(path);
	ck_assert_int_eq(firmware_load(path, &fw, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	free(p);
}
END_TEST

static const struct fw_cfg_item *file(const struct fw_cfg *fc, const char *name)
{
	int i;

	for (i = 0; i < fc->n_items; i++)
		if (!strcmp(fc->items[i].name, name))
			return &fc->items[i];
	return NULL;
}

static const struct fw_cfg_item *item(const struct fw_cfg *fc, uint16_t key)
{
	int i;

	for (i = 0; i < fc->n_items; i++)
		if (fc->items[i].key == key)
			return &fc->items[i];
	return NULL;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void fill(struct fw_cfg *fc, uint64_t mem, int cpus, struct guest_mem *gm)
{
	uint8_t rsdp[36];

	memset(rsdp, 0xab, sizeof(rsdp));
	ck_assert_int_eq(memmap_layout(gm, mem), 0);
	ck_assert_int_eq(fw_cfg_init(fc, NULL, NULL), 0);
	ck_assert_int_eq(firmware_cfg_fill(fc, gm, cpus, rsdp, sizeof(rsdp)), 0);
}

START_TEST(test_cfg_low_memory)
{
	struct fw_cfg fc;
	struct guest_mem gm;
	const struct fw_cfg_item *e, *it;
	uint64_t acpi;

	fill(&fc, 512ULL << 20, 3, &gm);
	acpi = firmware_acpi_base(&gm);
	ck_assert_uint_eq(acpi, (512ULL << 20) - FIRMWARE_ACPI_SIZE);
	e = file(&fc, "etc/e820");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->len, 2 * 20);
	ck_assert_uint_eq(le(e->data, 8), 0);
	ck_assert_uint_eq(le(e->data + 8, 8), acpi);
	ck_assert_uint_eq(le(e->data + 16, 4), 1);
	ck_assert_uint_eq(le(e->data + 20, 8), acpi);
	ck_assert_uint_eq(le(e->data + 28, 8), FIRMWARE_ACPI_SIZE);
	ck_assert_uint_eq(le(e->data + 36, 4), 2);
	it = item(&fc, FW_CFG_NB_CPUS);
	ck_assert_ptr_nonnull(it);
	ck_assert_uint_eq(le(it->data, 2), 3);
	it = item(&fc, FW_CFG_RAM_SIZE);
	ck_assert_uint_eq(le(it->data, 8), 512ULL << 20);
	it = file(&fc, "etc/boot-fail-wait");
	ck_assert_uint_eq(le(it->data, 4), 0xffffffffULL);
	it = file(&fc, "etc/sercon-port");
	ck_assert_uint_eq(le(it->data, 2), 0x3f8);
	it = file(&fc, "etc/acpi/rsdp");
	ck_assert_uint_eq(it->len, 36);
	ck_assert_uint_eq(it->data[35], 0xab);
	/* One ALLOCATE of the RSDP in the F segment, 16-byte aligned. */
	it = file(&fc, "etc/table-loader");
	ck_assert_uint_eq(it->len, LOADER_ENTRY_SIZE);
	ck_assert_uint_eq(le(it->data, 4), LOADER_ALLOCATE);
	ck_assert_str_eq((const char *)it->data + 4, "etc/acpi/rsdp");
	ck_assert_uint_eq(le(it->data + 4 + FW_CFG_NAME_LEN, 4), 16);
	ck_assert_uint_eq(it->data[4 + FW_CFG_NAME_LEN + 4], LOADER_ZONE_FSEG);
	fw_cfg_destroy(&fc);
}
END_TEST

START_TEST(test_cfg_high_memory)
{
	struct fw_cfg fc;
	struct guest_mem gm;
	const struct fw_cfg_item *e;

	fill(&fc, 5ULL << 30, 1, &gm);
	e = file(&fc, "etc/e820");
	ck_assert_uint_eq(e->len, 3 * 20);
	ck_assert_uint_eq(le(e->data + 8, 8), gm.low_end - FIRMWARE_ACPI_SIZE);
	ck_assert_uint_eq(le(e->data + 40, 8), MEM_4G);
	ck_assert_uint_eq(le(e->data + 48, 8), gm.high_end - MEM_4G);
	ck_assert_uint_eq(le(e->data + 56, 4), 1);
	ck_assert_uint_eq(gm.low_end - FIRMWARE_ACPI_SIZE + FIRMWARE_ACPI_SIZE + (gm.high_end - MEM_4G),
			  5ULL << 30);
	fw_cfg_destroy(&fc);
}
END_TEST

Suite *firmware_suite(void)
{
	Suite *s = suite_create("firmware");
	TCase *tc = tcase_create("firmware");

	tcase_add_test(tc, test_check_accepts);
	tcase_add_test(tc, test_check_sizes);
	tcase_add_test(tc, test_check_not_firmware);
	tcase_add_test(tc, test_path);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_cfg_low_memory);
	tcase_add_test(tc, test_cfg_high_memory);
	suite_add_tcase(s, tc);
	return s;
}
