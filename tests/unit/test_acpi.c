/* Tests of the AML encoder (boot/x86/aml.c) and the ACPI tables (boot/x86/acpi.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "../../boot/x86/acpi.h"
#include "../../devices/acpi_hotplug.h"
#include "../../devices/pci.h"
#include "../../boot/x86/aml.h"
#include "../../vmm/memmap.h"

#define BUF_SIZE (128 * 1024)
#define BASE_GPA MEM_ACPI_START

static uint8_t buf[BUF_SIZE];

/* Decode a PkgLength by the ACPI spec (20.2.4): bits 7:6 of the lead byte
 * count the bytes that follow; with none, bits 5:0 are the length, else
 * bits 3:0 are its low nibble (5:4 reserved) and each following byte adds
 * the next 8 bits. */
static size_t decode_pkglength(const uint8_t *p, int *nbytes)
{
	int follow = p[0] >> 6, i;
	size_t v;

	*nbytes = follow + 1;
	if (!follow)
		return p[0] & 0x3f;
	ck_assert_uint_eq(p[0] & 0x30, 0);
	v = p[0] & 0xf;
	for (i = 1; i <= follow; i++)
		v |= (size_t)p[i] << (4 + 8 * (i - 1));
	return v;
}

static void check_pkglength(size_t payload, int n, const uint8_t *expect)
{
	uint8_t out[4] = { 0 };
	int nb;

	ck_assert_int_eq(aml_pkglength(out, payload), n);
	ck_assert_mem_eq(out, expect, (size_t)n);
	ck_assert_uint_eq(decode_pkglength(out, &nb), payload + n);
	ck_assert_int_eq(nb, n);
}

START_TEST(pkglength_encodings)
{
	check_pkglength(0, 1, (const uint8_t[]){ 0x01 });
	check_pkglength(62, 1, (const uint8_t[]){ 0x3f });
	check_pkglength(63, 2, (const uint8_t[]){ 0x41, 0x04 });
	check_pkglength(4000, 2, (const uint8_t[]){ 0x42, 0xfa });
	check_pkglength(1 << 20, 4, (const uint8_t[]){ 0xc4, 0x00, 0x00, 0x01 });
	/* The edges between two, three and four bytes. */
	check_pkglength(0xffd, 2, (const uint8_t[]){ 0x4f, 0xff });
	check_pkglength(0xffe, 3, (const uint8_t[]){ 0x81, 0x00, 0x01 });
	check_pkglength(0xffffc, 3, (const uint8_t[]){ 0x8f, 0xff, 0xff });
	check_pkglength(0xffffd, 4, (const uint8_t[]){ 0xc1, 0x00, 0x00, 0x01 });
	check_pkglength((1 << 28) - 5, 4, (const uint8_t[]){ 0xcf, 0xff, 0xff, 0xff });
}
END_TEST

START_TEST(pkglength_round_trip)
{
	uint8_t out[4];
	size_t payload;
	int n, nb;

	for (payload = 0; payload < 70000; payload += (payload < 5000 ? 1 : 97)) {
		n = aml_pkglength(out, payload);
		ck_assert_int_ge(n, 1);
		ck_assert_uint_eq(decode_pkglength(out, &nb), payload + n);
		ck_assert_int_eq(nb, n);
		/* Always the shortest encoding. */
		if (n > 1)
			ck_assert_uint_ge(payload + n - 1, n == 2 ? 0x40 : 1ULL << (4 + 8 * (n - 2)));
	}
}
END_TEST

START_TEST(pkglength_too_large)
{
	uint8_t out[4];

	ck_assert_int_eq(aml_pkglength(out, (1 << 28) - 4), 0);
	ck_assert_int_eq(aml_pkglength(out, 1ULL << 30), 0);
}
END_TEST

START_TEST(eisaid)
{
	struct aml a;

	aml_init(&a);
	aml_eisaid(&a, "PNP0A03");
	aml_eisaid(&a, "PNP0A08");
	aml_eisaid(&a, "PNP0C02");
	ck_assert(!a.failed);
	ck_assert_uint_eq(a.len, 15);
	ck_assert_mem_eq(a.buf, "\x0c\x41\xd0\x0a\x03", 5);
	ck_assert_mem_eq(a.buf + 5, "\x0c\x41\xd0\x0a\x08", 5);
	ck_assert_mem_eq(a.buf + 10, "\x0c\x41\xd0\x0c\x02", 5);
	aml_free(&a);
	ck_assert_ptr_null(a.buf);
}
END_TEST

START_TEST(integers_and_names)
{
	static const uint8_t expect[] = {
		0x00, 0x01, 0x0a, 0x02, 0x0a, 0xff, 0x0b, 0x00, 0x01,
		0x0c, 0x00, 0x00, 0x01, 0x00, 0x0c, 0xff, 0xff, 0xff, 0xff,
		0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		'_', 'S', '5', '_', 'A', 'B', '_', '_',
		0x08, 'P', 'C', 'I', '0',
	};
	struct aml a;

	aml_init(&a);
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 2);
	aml_integer(&a, 0xff);
	aml_integer(&a, 0x100);
	aml_integer(&a, 0x10000);
	aml_integer(&a, 0xffffffff);
	aml_integer(&a, 1ULL << 32);
	aml_nameseg(&a, "_S5");
	aml_nameseg(&a, "AB");
	aml_name(&a, "PCI0");
	ck_assert_uint_eq(a.len, sizeof(expect));
	ck_assert_mem_eq(a.buf, expect, sizeof(expect));
	aml_free(&a);
}
END_TEST

START_TEST(package_buffer_close)
{
	static const uint8_t data[3] = { 0xde, 0xad, 0x01 };
	uint8_t big[100];
	struct aml a;
	size_t mark;

	aml_init(&a);
	mark = aml_package_open(&a, 2);
	aml_integer(&a, 5);
	aml_integer(&a, 6);
	aml_close(&a, mark);
	aml_buffer(&a, data, 3);
	ck_assert_uint_eq(a.len, 14);
	ck_assert_mem_eq(a.buf, "\x12\x06\x02\x0a\x05\x0a\x06", 7);
	ck_assert_mem_eq(a.buf + 7, "\x11\x06\x0a\x03\xde\xad\x01", 7);
	aml_free(&a);

	/* A 100-byte payload needs a two-byte PkgLength: the body moves. */
	memset(big, 0x77, sizeof(big));
	aml_init(&a);
	mark = aml_device_open(&a, "DEV");
	aml_bytes(&a, big, sizeof(big));
	aml_close(&a, mark);
	ck_assert_uint_eq(a.len, 2 + 2 + 4 + 100);
	ck_assert_mem_eq(a.buf, "\x5b\x82\x4a\x06" "DEV_", 8);
	ck_assert_mem_eq(a.buf + 8, big, sizeof(big));
	aml_free(&a);

	aml_init(&a);
	mark = aml_scope_open(&a, "\\_SB_");
	aml_close(&a, mark);
	ck_assert_uint_eq(a.len, 7);
	ck_assert_mem_eq(a.buf, "\x10\x06\\_SB_", 7);
	aml_free(&a);
}
END_TEST


START_TEST(method_if_field_paths)
{
	static const uint8_t expect[] = {
		/* Method(PCNT, 0, Serialized) { If (And(Local0, 4, Zero)) {
		 *   Notify(S02_, 1) } Return(Arg0) } */
		0x14, 0x15, 'P', 'C', 'N', 'T', 0x08,
		0xa0, 0x0c, 0x7b, 0x60, 0x0a, 0x04, 0x00,
		0x86, 'S', '0', '2', '_', 0x01,
		0xa4, 0x68,
		/* \_SB.PCI0.PCNT, PCI0.S08_, HINS */
		'\\', 0x2f, 0x03, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'P', 'C', 'N', 'T',
		0x2e, 'P', 'C', 'I', '0', 'S', '0', '8', '_',
		'H', 'I', 'N', 'S',
		/* OperationRegion(HPIO, SystemIO, 0x630, 16) */
		0x5b, 0x80, 'H', 'P', 'I', 'O', 0x01, 0x0b, 0x30, 0x06, 0x0a, 0x10,
		/* Field(HPIO, DWordAcc, NoLock, WriteAsZeros) { HINS, 32, BIG_, 100 } */
		0x5b, 0x81, 0x11, 'H', 'P', 'I', 'O', 0x43,
		'H', 'I', 'N', 'S', 0x20, 'B', 'I', 'G', '_', 0x44, 0x06,
		/* Store(Local7, Arg6) */
		0x70, 0x67, 0x6e,
	};
	struct aml a;
	size_t m, i;

	aml_init(&a);
	m = aml_method_open(&a, "PCNT", 0, true);
	i = aml_if_open(&a);
	aml_and(&a);
	aml_local(&a, 0);
	aml_integer(&a, 4);
	aml_null_name(&a);
	aml_notify(&a);
	aml_namestring(&a, "S02");
	aml_integer(&a, 1);
	aml_close(&a, i);
	aml_return(&a);
	aml_arg(&a, 0);
	aml_close(&a, m);
	aml_namestring(&a, "\\_SB.PCI0.PCNT");
	aml_namestring(&a, "PCI0.S08");
	aml_namestring(&a, "HINS");
	aml_operation_region(&a, "HPIO", AML_SPACE_SYSTEM_IO, 0x630, 16);
	m = aml_field_open(&a, "HPIO", AML_FIELD_DWORD_ACC | AML_FIELD_WRITE_ZEROS);
	aml_field_unit(&a, "HINS", 32);
	aml_field_unit(&a, "BIG", 100);
	aml_close(&a, m);
	aml_store(&a);
	aml_local(&a, 7);
	aml_arg(&a, 6);
	ck_assert(!a.failed);
	ck_assert_uint_eq(a.len, sizeof(expect));
	ck_assert_mem_eq(a.buf, expect, sizeof(expect));
	/* Out of range: the encoder fails rather than emit something else. */
	aml_local(&a, 8);
	ck_assert(a.failed);
	aml_free(&a);
	aml_init(&a);
	aml_field_unit(&a, "HUGE", 4096);
	ck_assert(a.failed);
	aml_free(&a);
}
END_TEST

static const struct acpi_params params = {
	.n_cpus = 4,
	.ecam_base = MEM_ECAM_START,
	.ecam_size = MEM_ECAM_SIZE,
	.pci32_base = MEM_PCI32_START,
	.pci32_size = MEM_PCI32_SIZE,
	.pci64_base = 5ULL << 30,
	.pci64_size = MEM_PCI64_SIZE,
};

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* A table at gpa inside buf, with a sane header and checksum. */
static const uint8_t *table(uint64_t gpa, const char *sig)
{
	const uint8_t *t;
	uint32_t len;

	ck_assert_uint_ge(gpa, BASE_GPA);
	ck_assert_uint_lt(gpa, BASE_GPA + BUF_SIZE - 36);
	t = buf + (gpa - BASE_GPA);
	ck_assert_mem_eq(t, sig, 4);
	len = rd32(t + 4);
	ck_assert_uint_ge(len, 36);
	ck_assert_uint_le(gpa - BASE_GPA + len, BUF_SIZE);
	ck_assert_uint_eq(acpi_checksum(t, len), 0);
	ck_assert_mem_eq(t + 10, "CONDUI", 6);
	return t;
}

static const uint8_t *build(int n_cpus)
{
	struct acpi_params p = params;
	uint64_t rsdp;

	p.n_cpus = n_cpus;
	memset(buf, 0xcc, sizeof(buf));
	rsdp = acpi_build(&p, buf, BASE_GPA, sizeof(buf));
	ck_assert_uint_eq(rsdp, BASE_GPA);
	return buf;
}

static const uint8_t *xsdt_entry(const uint8_t *r, int i, const char *sig)
{
	const uint8_t *x = table(rd64(r + 24), "XSDT");

	return table(rd64(x + 36 + 8 * i), sig);
}

START_TEST(rsdp_and_xsdt)
{
	const uint8_t *r = build(4), *x;

	ck_assert_mem_eq(r, "RSD PTR ", 8);
	ck_assert_uint_eq(acpi_checksum(r, 20), 0);
	ck_assert_uint_eq(acpi_checksum(r, 36), 0);
	ck_assert_uint_eq(r[15], 2);
	ck_assert_uint_eq(rd32(r + 16), 0);             /* no RSDT */
	ck_assert_uint_eq(rd32(r + 20), 36);
	ck_assert_mem_eq(r + 9, "CONDUI", 6);

	x = table(rd64(r + 24), "XSDT");
	ck_assert_uint_eq(rd32(x + 4), 36 + 3 * 8);
	ck_assert_uint_eq(rd64(r + 24) % 16, 0);
	xsdt_entry(r, 0, "FACP");
	xsdt_entry(r, 1, "APIC");
	xsdt_entry(r, 2, "MCFG");
}
END_TEST

START_TEST(madt)
{
	const uint8_t *m = xsdt_entry(build(4), 1, "APIC"), *e;
	int i;

	ck_assert_uint_eq(rd32(m + 4), 44 + 8 * 4 + 12 + 10 + 6);
	ck_assert_uint_eq(rd32(m + 36), 0xfee00000);
	ck_assert_uint_eq(rd32(m + 40), 1);
	for (i = 0, e = m + 44; i < 4; i++, e += 8) {
		ck_assert_uint_eq(e[0], 0);
		ck_assert_uint_eq(e[1], 8);
		ck_assert_uint_eq(e[2], i);
		ck_assert_uint_eq(e[3], i);
		ck_assert_uint_eq(rd32(e + 4), 1);
	}
	ck_assert_uint_eq(e[0], 1);
	ck_assert_uint_eq(e[1], 12);
	ck_assert_uint_eq(rd32(e + 4), 0xfec00000);
	ck_assert_uint_eq(rd32(e + 8), 0);
	e += 12;
	ck_assert_uint_eq(e[0], 2);
	ck_assert_uint_eq(e[1], 10);
	ck_assert_uint_eq(e[3], 9);
	ck_assert_uint_eq(rd32(e + 4), 9);
	e += 10;
	ck_assert_uint_eq(e[0], 4);
	ck_assert_uint_eq(e[1], 6);
	ck_assert_ptr_eq(e + 6, m + rd32(m + 4));

	/* One CPU and the maximum. */
	m = xsdt_entry(build(1), 1, "APIC");
	ck_assert_uint_eq(rd32(m + 4), 44 + 8 + 28);
	ck_assert_uint_eq(m[44 + 8], 1);
	m = xsdt_entry(build(64), 1, "APIC");
	ck_assert_uint_eq(rd32(m + 4), 44 + 8 * 64 + 28);
	ck_assert_uint_eq(m[44 + 8 * 63 + 3], 63);
	ck_assert_uint_eq(m[44 + 8 * 64], 1);
}
END_TEST

START_TEST(mcfg)
{
	const uint8_t *m = xsdt_entry(build(2), 2, "MCFG");

	ck_assert_uint_eq(rd32(m + 4), 60);
	ck_assert_uint_eq(rd64(m + 36), 0);
	ck_assert_uint_eq(rd64(m + 44), MEM_ECAM_START);
	ck_assert_uint_eq(m[52] | m[53] << 8, 0);
	ck_assert_uint_eq(m[54], 0);
	ck_assert_uint_eq(m[55], 255);
}
END_TEST

START_TEST(fadt_dsdt_facs)
{
	const uint8_t *f = xsdt_entry(build(2), 0, "FACP"), *d, *facs;
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				      0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };

	ck_assert_uint_eq(rd32(f + 4), 276);
	ck_assert_uint_eq(f[8], 6);
	ck_assert_uint_eq(rd32(f + 40), rd64(f + 140));
	ck_assert_uint_eq(f[46] | f[47] << 8, 9);
	ck_assert_uint_eq(rd32(f + 56), 0x600);
	ck_assert_uint_eq(rd32(f + 64), 0x604);
	ck_assert_uint_eq(f[88], 4);
	ck_assert_uint_eq(f[89], 2);
	ck_assert_uint_eq(f[116], 1);
	ck_assert_uint_eq(rd64(f + 120), 0xcf9);
	ck_assert_uint_eq(f[128], 0x06);
	ck_assert_uint_eq(rd32(f + 112) & (1 << 10), 1 << 10);

	d = table(rd64(f + 140), "DSDT");
	ck_assert_uint_eq(d[8], 2);
	/* The root bridge's _HID and \_S5 are in there. */
	ck_assert_ptr_nonnull(memmem(d, rd32(d + 4), "PCI0", 4));
	ck_assert_ptr_nonnull(memmem(d, rd32(d + 4), "\x08_HID\x0c\x41\xd0\x0a\x08", 10));
	ck_assert_ptr_nonnull(memmem(d, rd32(d + 4), "\x08_CID\x0c\x41\xd0\x0a\x03", 10));
	ck_assert_ptr_nonnull(memmem(d, rd32(d + 4), s5, sizeof(s5)));
	/* The \_SB_ scope's PkgLength covers what follows it up to _S5_. */
	{
		int nb;
		size_t len = decode_pkglength(d + 37, &nb);
		const uint8_t *after = d + 37 + len;

		ck_assert_uint_eq(d[36], 0x10);
		ck_assert_mem_eq(d + 37 + nb, "\\_SB_", 5);
		ck_assert_mem_eq(after, s5, sizeof(s5));
		ck_assert_ptr_eq(after + sizeof(s5), d + rd32(d + 4));
	}

	ck_assert_uint_ne(rd32(f + 36), 0);
	ck_assert_uint_eq(rd32(f + 36) % 64, 0);
	facs = buf + (rd32(f + 36) - BASE_GPA);
	ck_assert_mem_eq(facs, "FACS", 4);
	ck_assert_uint_eq(rd32(facs + 4), 64);
	ck_assert_uint_eq(facs[32], 2);
}
END_TEST


static const uint8_t *build_hotplug(uint32_t slots)
{
	struct acpi_params p = params;

	p.hotplug_slots = slots;
	memset(buf, 0xcc, sizeof(buf));
	ck_assert_uint_eq(acpi_build(&p, buf, BASE_GPA, sizeof(buf)), BASE_GPA);
	return buf;
}

static bool has(const uint8_t *t, const void *what, size_t n)
{
	return memmem(t, rd32(t + 4), what, n) != NULL;
}

START_TEST(hotplug_fadt)
{
	const uint8_t *f = xsdt_entry(build(2), 0, "FACP");

	/* The power button is the fixed-feature one, hotplug or not. */
	ck_assert_uint_eq(rd32(f + 112) & (1 << 4), 0);
	ck_assert_uint_eq(rd32(f + 80), 0);
	ck_assert_uint_eq(f[92], 0);
	ck_assert_uint_eq(rd64(f + 224), 0);

	f = xsdt_entry(build_hotplug(ACPI_HOTPLUG_SLOTS_ALL), 0, "FACP");
	ck_assert_uint_eq(rd32(f + 112) & (1 << 4), 0);
	ck_assert_uint_eq(rd32(f + 80), ACPI_GPE0_PORT);
	ck_assert_uint_eq(f[92], ACPI_GPE0_LEN);
	ck_assert_uint_eq(f[220], 1);                   /* X_GPE0_BLK: system I/O */
	ck_assert_uint_eq(f[221], 8 * ACPI_GPE0_LEN);
	ck_assert_uint_eq(rd64(f + 224), ACPI_GPE0_PORT);
}
END_TEST

START_TEST(hotplug_dsdt)
{
	const uint8_t *f = xsdt_entry(build(2), 0, "FACP");
	const uint8_t *d = table(rd64(f + 140), "DSDT");
	static const uint8_t s08[] = { 0x5b, 0x82, 0x25, 'S', '0', '8', '_',
				       0x08, '_', 'A', 'D', 'R', 0x0c, 0, 0, 8, 0,
				       0x08, '_', 'S', 'U', 'N', 0x0a, 0x08,
				       0x14, 0x0e, '_', 'E', 'J', '0', 0x01,
				       0x70, 0x0b, 0x00, 0x01, 'H', 'E', 'J', 'C' };

	ck_assert(!has(d, "PCNT", 4));
	ck_assert(!has(d, "_GPE", 4));

	f = xsdt_entry(build_hotplug(ACPI_HOTPLUG_SLOTS_ALL), 0, "FACP");
	d = table(rd64(f + 140), "DSDT");
	ck_assert(has(d, s08, sizeof(s08)));
	ck_assert(has(d, "S01_", 4));
	ck_assert(has(d, "S1F_", 4));
	ck_assert(!has(d, "S00_", 4));
	ck_assert(has(d, "\x14\x15_E01\x00\\/\x03_SB_PCI0PCNT", 21));

	/* Only the slots asked for. */
	f = xsdt_entry(build_hotplug(1U << 8 | 1), 0, "FACP");
	d = table(rd64(f + 140), "DSDT");
	ck_assert(has(d, s08, sizeof(s08)));
	ck_assert(!has(d, "S01_", 4));
	ck_assert(!has(d, "S00_", 4));
}
END_TEST

/* Run cmd in dir; its output goes to dir/log, shown if it fails. */
static int run_in(const char *dir, const char *cmd)
{
	char line[1024];
	int ret;

	snprintf(line, sizeof(line), "cd %s && %s >>log 2>&1", dir, cmd);
	ret = system(line);
	if (ret) {
		snprintf(line, sizeof(line), "cat %s/log >&2", dir);
		if (system(line))
			fprintf(stderr, "(no log)\n");
	}
	return ret;
}

static bool file_has(const char *path, const char *what)
{
	static char text[256 * 1024];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	return strstr(text, what) != NULL;
}

/* The DSDT goes through ACPICA's disassembler and back through its
 * compiler without an error or a warning (acpica-tools, install-deps.sh). */
START_TEST(hotplug_dsdt_iasl)
{
	static const char *const names[] = {
		"Device (S01)", "Device (S1F)", "Method (_EJ0, 1", "HEJC = 0x80000000",
		"Method (PCNT, 0, Serialized)", "Notify (S1F, One)", "Notify (S01, 0x03)",
		"Method (_E01, 0", "\\_SB.PCI0.PCNT ()",
		"OperationRegion (HPIO, SystemIO, 0x0630, 0x10)",
		"IO (Decode16,\n                    0x0630,",
	};
	const char *tmp = getenv("TMPDIR");
	const uint8_t *f, *d;
	char dir[256], path[300];
	FILE *out;
	size_t i;

	if (system("command -v iasl >/dev/null 2>&1")) {
		printf("skip - acpi: iasl not installed (acpica-tools)\n");
		return;
	}
	f = xsdt_entry(build_hotplug(ACPI_HOTPLUG_SLOTS_ALL), 0, "FACP");
	d = table(rd64(f + 140), "DSDT");
	snprintf(dir, sizeof(dir), "%s/conduit-acpi-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dsdt.aml", dir);
	out = fopen(path, "w");
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(fwrite(d, 1, rd32(d + 4), out), rd32(d + 4));
	fclose(out);
	ck_assert_int_eq(run_in(dir, "iasl -d dsdt.aml"), 0);
	snprintf(path, sizeof(path), "%s/dsdt.dsl", dir);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(file_has(path, names[i]), "%s not in the disassembled DSDT", names[i]);
	ck_assert_int_eq(run_in(dir, "iasl -p again dsdt.dsl"), 0);
	snprintf(path, sizeof(path), "%s/log", dir);
	ck_assert_msg(file_has(path, "0 Errors, 0 Warnings"), "iasl: errors or warnings");
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

START_TEST(buffer_too_small)
{
	const uint8_t *r = build(4);
	const uint8_t *m = xsdt_entry(r, 2, "MCFG");
	size_t need = (size_t)(m - buf) + 60;

	/* MCFG is the last table: exactly its end is enough. */
	ck_assert_uint_eq(acpi_build(&params, buf, BASE_GPA, need), BASE_GPA);
	ck_assert_uint_eq(acpi_build(&params, buf, BASE_GPA, need - 1), 0);
	ck_assert_uint_eq(acpi_build(&params, buf, BASE_GPA, 1024), 0);
	ck_assert_uint_eq(acpi_build(&params, buf, BASE_GPA, 36), 0);
	ck_assert_uint_eq(acpi_build(&params, buf, BASE_GPA, 0), 0);
}
END_TEST

START_TEST(checksum)
{
	static const uint8_t bytes[] = { 0x10, 0x20, 0xf0, 0x05 };

	ck_assert_uint_eq(acpi_checksum(bytes, 4), 0x25);
	ck_assert_uint_eq(acpi_checksum(bytes, 0), 0);
	ck_assert_uint_eq(pci_intx_gsi(1, 0), 17);
	ck_assert_uint_eq(pci_intx_gsi(7, 1), 16);
	ck_assert_uint_eq(pci_intx_gsi(31, 3), 18);
}
END_TEST

Suite *acpi_suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *ta = tcase_create("aml");
	TCase *tt = tcase_create("tables");

	tcase_add_test(ta, pkglength_encodings);
	tcase_add_test(ta, pkglength_round_trip);
	tcase_add_test(ta, pkglength_too_large);
	tcase_add_test(ta, eisaid);
	tcase_add_test(ta, integers_and_names);
	tcase_add_test(ta, package_buffer_close);
	tcase_add_test(ta, method_if_field_paths);
	suite_add_tcase(s, ta);
	tcase_add_test(tt, rsdp_and_xsdt);
	tcase_add_test(tt, madt);
	tcase_add_test(tt, mcfg);
	tcase_add_test(tt, fadt_dsdt_facs);
	tcase_add_test(tt, buffer_too_small);
	tcase_add_test(tt, checksum);
	tcase_add_test(tt, hotplug_fadt);
	tcase_add_test(tt, hotplug_dsdt);
	tcase_add_test(tt, hotplug_dsdt_iasl);
	suite_add_tcase(s, tt);
	return s;
}
