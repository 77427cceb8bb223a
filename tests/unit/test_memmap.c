/* Tests of the guest memory layout (vmm/memmap.c) and the e820 map (boot/x86/e820.c). */
#include <string.h>
#include "suites.h"
#include "../../boot/x86/e820.h"
#include "../../vmm/memmap.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define E820_RAM 1
#define E820_RESERVED 2

START_TEST(layout_256m)
{
	struct guest_mem gm;

	ck_assert_int_eq(memmap_layout(&gm, 256 * MiB), 0);
	ck_assert_int_eq(gm.n_ram, 1);
	ck_assert_uint_eq(gm.ram[0].gpa, 0);
	ck_assert_uint_eq(gm.ram[0].size, 256 * MiB);
	ck_assert_ptr_null(gm.ram[0].hva);
	ck_assert_uint_eq(gm.ram_size, 256 * MiB);
	ck_assert_uint_eq(gm.low_end, 256 * MiB);
	ck_assert_uint_eq(gm.high_end, 0);
	ck_assert_uint_eq(gm.pci64_base, 4 * GiB);
	ck_assert_uint_eq(gm.pci64_size, 64 * GiB);
}
END_TEST

START_TEST(layout_3g)
{
	struct guest_mem gm;

	ck_assert_int_eq(memmap_layout(&gm, 3 * GiB), 0);
	ck_assert_int_eq(gm.n_ram, 1);
	ck_assert_uint_eq(gm.ram[0].size, 3 * GiB);
	ck_assert_uint_eq(gm.low_end, 0xc0000000ULL);
	ck_assert_uint_eq(gm.high_end, 0);
	ck_assert_uint_eq(gm.pci64_base, 4 * GiB);
}
END_TEST

START_TEST(layout_4g)
{
	struct guest_mem gm;

	ck_assert_int_eq(memmap_layout(&gm, 4 * GiB), 0);
	ck_assert_int_eq(gm.n_ram, 2);
	ck_assert_uint_eq(gm.ram[0].gpa, 0);
	ck_assert_uint_eq(gm.ram[0].size, 3 * GiB);
	ck_assert_uint_eq(gm.ram[1].gpa, 4 * GiB);
	ck_assert_uint_eq(gm.ram[1].size, 1 * GiB);
	ck_assert_uint_eq(gm.low_end, 3 * GiB);
	ck_assert_uint_eq(gm.high_end, 5 * GiB);
	ck_assert_uint_eq(gm.ram_size, 4 * GiB);
	ck_assert_uint_eq(gm.pci64_base, 5 * GiB);
}
END_TEST

START_TEST(layout_8g_and_odd)
{
	struct guest_mem gm;

	ck_assert_int_eq(memmap_layout(&gm, 8 * GiB), 0);
	ck_assert_uint_eq(gm.ram[1].size, 5 * GiB);
	ck_assert_uint_eq(gm.high_end, 9 * GiB);
	ck_assert_uint_eq(gm.pci64_base, 9 * GiB);

	/* The 64-bit window starts on the next GiB above RAM. */
	ck_assert_int_eq(memmap_layout(&gm, 3 * GiB + 100 * MiB), 0);
	ck_assert_uint_eq(gm.high_end, 4 * GiB + 100 * MiB);
	ck_assert_uint_eq(gm.pci64_base, 5 * GiB);

	ck_assert_int_eq(memmap_layout(&gm, MiB - 1), -1);
	ck_assert_int_eq(memmap_layout(&gm, 0), -1);
}
END_TEST

static int build(uint64_t size, struct boot_e820_entry *tab, int max,
		 struct guest_mem *gm)
{
	ck_assert_int_eq(memmap_layout(gm, size), 0);
	return e820_build(gm, tab, max);
}

static void check_sane(const struct boot_e820_entry *t, int n, uint64_t ram)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < n; i++) {
		uint64_t end = t[i].addr + t[i].size;

		ck_assert_uint_gt(t[i].size, 0);
		if (i)
			ck_assert_uint_ge(t[i].addr, t[i - 1].addr + t[i - 1].size);
		if (t[i].type == E820_RAM) {
			total += t[i].size;
			/* RAM never reaches into the 32-bit hole. */
			ck_assert(end <= 0xc0000000ULL || t[i].addr >= 0x100000000ULL);
			ck_assert(!(t[i].addr < 0xa0000 && end > 0x9fc00));
		} else {
			ck_assert_uint_eq(t[i].type, E820_RESERVED);
		}
	}
	/* RAM entries cover all guest RAM except the EBDA's 1 KiB and the
	 * 384 KiB legacy hole below 1 MiB. */
	ck_assert_uint_eq(total, ram - (MiB - 0x9fc00));
}

/* The 64-bit PCI window runs from its base above RAM to 2^phys_bits. */
START_TEST(pci64_window)
{
	struct guest_mem gm;

	ck_assert_int_eq(memmap_layout(&gm, 8ULL << 30), 0);
	ck_assert_uint_eq(gm.pci64_base, 9ULL << 30);
	ck_assert_int_eq(memmap_set_pci64(&gm, 40), 0);
	ck_assert_uint_eq(gm.pci64_base + gm.pci64_size, 1ULL << 40);
	ck_assert_int_eq(memmap_set_pci64(&gm, 48), 0);
	ck_assert_uint_eq(gm.pci64_size, (1ULL << 48) - (9ULL << 30));
	/* 36 bits (64 GiB) still leaves room above 9 GiB. */
	ck_assert_int_eq(memmap_set_pci64(&gm, 36), 0);
	ck_assert_uint_eq(gm.pci64_size, (64ULL << 30) - (9ULL << 30));
	/* Widths that leave nothing, or make no sense, are refused. */
	ck_assert_int_eq(memmap_set_pci64(&gm, 33), -1);
	ck_assert_int_eq(memmap_set_pci64(&gm, 31), -1);
	ck_assert_int_eq(memmap_set_pci64(&gm, 53), -1);
	ck_assert_int_eq(memmap_set_pci64(&gm, 64), -1);
	ck_assert_uint_eq(gm.pci64_size, (64ULL << 30) - (9ULL << 30));     /* unchanged */
	ck_assert_int_eq(memmap_layout(&gm, 64ULL << 30), 0);
	ck_assert_int_eq(memmap_set_pci64(&gm, 36), -1);        /* RAM reaches 65 GiB */
}
END_TEST

START_TEST(e820_small)
{
	struct boot_e820_entry t[16];
	struct guest_mem gm;
	int n = build(256 * MiB, t, 16, &gm);

	ck_assert_int_eq(n, 5);
	ck_assert_uint_eq(t[0].addr, 0);
	ck_assert_uint_eq(t[0].size, 0x9fc00);
	ck_assert_uint_eq(t[0].type, E820_RAM);
	ck_assert_uint_eq(t[1].addr, 0x9fc00);
	ck_assert_uint_eq(t[1].size, 0x400);
	ck_assert_uint_eq(t[1].type, E820_RESERVED);
	ck_assert_uint_eq(t[2].addr, 0xe0000);
	ck_assert_uint_eq(t[2].size, 0x20000);
	ck_assert_uint_eq(t[2].type, E820_RESERVED);
	ck_assert_uint_eq(t[3].addr, MiB);
	ck_assert_uint_eq(t[3].size, 255 * MiB);
	ck_assert_uint_eq(t[3].type, E820_RAM);
	ck_assert_uint_eq(t[4].addr, 0xe0000000ULL);
	ck_assert_uint_eq(t[4].size, 0x10000000ULL);
	ck_assert_uint_eq(t[4].type, E820_RESERVED);
	check_sane(t, n, 256 * MiB);
}
END_TEST

START_TEST(e820_3g)
{
	struct boot_e820_entry t[16];
	struct guest_mem gm;
	int n = build(3 * GiB, t, 16, &gm);

	ck_assert_int_eq(n, 5);
	ck_assert_uint_eq(t[3].addr + t[3].size, 0xc0000000ULL);
	check_sane(t, n, 3 * GiB);
}
END_TEST

START_TEST(e820_4g_8g)
{
	struct boot_e820_entry t[16];
	struct guest_mem gm;
	int n = build(4 * GiB, t, 16, &gm);

	ck_assert_int_eq(n, 6);
	ck_assert_uint_eq(t[3].addr + t[3].size, 0xc0000000ULL);
	ck_assert_uint_eq(t[4].addr, 0xe0000000ULL);
	ck_assert_uint_eq(t[4].type, E820_RESERVED);
	ck_assert_uint_eq(t[5].addr, 4 * GiB);
	ck_assert_uint_eq(t[5].size, 1 * GiB);
	ck_assert_uint_eq(t[5].type, E820_RAM);
	check_sane(t, n, 4 * GiB);

	n = build(8 * GiB, t, 16, &gm);
	ck_assert_int_eq(n, 6);
	ck_assert_uint_eq(t[5].addr, 4 * GiB);
	ck_assert_uint_eq(t[5].size, 5 * GiB);
	check_sane(t, n, 8 * GiB);
}
END_TEST

START_TEST(e820_too_small)
{
	struct boot_e820_entry t[16];
	struct guest_mem gm;

	memset(t, 0x5c, sizeof(t));
	ck_assert_int_eq(build(256 * MiB, t, 4, &gm), -1);
	/* Nothing is written past max. */
	ck_assert_uint_eq(t[4].type, 0x5c5c5c5c);
	ck_assert_int_eq(build(256 * MiB, t, 0, &gm), -1);
	ck_assert_int_eq(build(4 * GiB, t, 5, &gm), -1);
	ck_assert_int_eq(build(4 * GiB, t, 6, &gm), 6);
	ck_assert_int_eq(build(256 * MiB, t, 5, &gm), 5);
}
END_TEST

/* Two small regions with real backing: 64 KiB at 0, 64 KiB at 4 GiB. */
static uint8_t low[65536], high[65536];

static struct guest_mem two_regions(void)
{
	struct guest_mem gm;

	memset(&gm, 0, sizeof(gm));
	gm.ram[0] = (struct ram_region){ 0, sizeof(low), low };
	gm.ram[1] = (struct ram_region){ 4 * GiB, sizeof(high), high };
	gm.n_ram = 2;
	return gm;
}

START_TEST(gpa_inside)
{
	struct guest_mem gm = two_regions();

	ck_assert_ptr_eq(gpa_to_hva(&gm, 0, 1), low);
	ck_assert_ptr_eq(gpa_to_hva(&gm, 0x1234, 16), low + 0x1234);
	ck_assert_ptr_eq(gpa_to_hva(&gm, 0, sizeof(low)), low);
	ck_assert_ptr_eq(gpa_to_hva(&gm, sizeof(low) - 1, 1), low + sizeof(low) - 1);
	ck_assert_ptr_eq(gpa_to_hva(&gm, 4 * GiB + 8, 8), high + 8);
	ck_assert_ptr_eq(gpa_to_hva(&gm, 4 * GiB, sizeof(high)), high);
	/* A zero-length access inside a region is fine. */
	ck_assert_ptr_eq(gpa_to_hva(&gm, 100, 0), low + 100);
}
END_TEST

START_TEST(gpa_straddling)
{
	struct guest_mem gm = two_regions();

	ck_assert_ptr_null(gpa_to_hva(&gm, sizeof(low) - 8, 9));
	ck_assert_ptr_null(gpa_to_hva(&gm, 0, sizeof(low) + 1));
	ck_assert_ptr_null(gpa_to_hva(&gm, 4 * GiB + sizeof(high) - 1, 2));
	ck_assert_ptr_null(gpa_to_hva(&gm, sizeof(low), 1));
	ck_assert_ptr_null(gpa_to_hva(&gm, 4 * GiB + sizeof(high), 0));
	/* Just below a region, reaching into it. */
	ck_assert_ptr_null(gpa_to_hva(&gm, 4 * GiB - 4, 8));
}
END_TEST

START_TEST(gpa_wrapping)
{
	struct guest_mem gm = two_regions();

	ck_assert_ptr_null(gpa_to_hva(&gm, UINT64_MAX, 1));
	ck_assert_ptr_null(gpa_to_hva(&gm, UINT64_MAX - 7, 16));
	ck_assert_ptr_null(gpa_to_hva(&gm, 0x10, UINT64_MAX));
	ck_assert_ptr_null(gpa_to_hva(&gm, 0x10, UINT64_MAX - 0xf));
	ck_assert_ptr_null(gpa_to_hva(&gm, 4 * GiB + 0x10, UINT64_MAX - 4 * GiB));
	ck_assert_ptr_null(gpa_to_hva(&gm, 4 * GiB + 0x10, 0ULL - (4 * GiB + 0x10)));
}
END_TEST

START_TEST(gpa_hole)
{
	static uint8_t dummy[1];
	struct guest_mem gm;

	ck_assert_int_eq(memmap_layout(&gm, 4 * GiB), 0);
	/* Only NULL results are checked, so any pointer will do. */
	gm.ram[0].hva = dummy;
	gm.ram[1].hva = dummy;
	ck_assert_ptr_null(gpa_to_hva(&gm, 0xc0000000ULL, 4));
	ck_assert_ptr_null(gpa_to_hva(&gm, 0xd0000000ULL, 4));
	ck_assert_ptr_null(gpa_to_hva(&gm, 0xe0000000ULL, 4));
	ck_assert_ptr_null(gpa_to_hva(&gm, 0xfee00000ULL, 4));
	ck_assert_ptr_null(gpa_to_hva(&gm, 0xffffffffULL, 1));
	ck_assert_ptr_null(gpa_to_hva(&gm, 0xbffffffcULL, 8));
	ck_assert_ptr_null(gpa_to_hva(&gm, 5 * GiB, 1));
	ck_assert_ptr_null(gpa_to_hva(&gm, 64 * GiB, 1));
	gm.n_ram = 0;
	ck_assert_ptr_null(gpa_to_hva(&gm, 0, 1));
}
END_TEST

/* Host writes into guest RAM are noted, page by page, only while a live
 * migration gives the region a bitmap; a write crossing pages notes each,
 * one at a region's end stays inside it, one outside RAM notes nothing. */
START_TEST(host_writes_noted)
{
	static uint8_t ram_lo[64 << 12], ram_hi[16 << 12];
	uint64_t bits_low[1] = { 0 }, bits_high[1] = { 0 };
	struct guest_mem gm = { 0 };

	gm.n_ram = 2;
	gm.ram[0] = (struct ram_region){ .gpa = 0, .size = sizeof(ram_lo), .hva = ram_lo };
	gm.ram[1] = (struct ram_region){ .gpa = 1ULL << 32, .size = sizeof(ram_hi), .hva = ram_hi };
	guest_mem_host_wrote(&gm, ram_lo + 4096, 8);       /* no bitmap: nothing */
	gm.host_dirty[0] = bits_low;
	gm.host_dirty[1] = bits_high;
	guest_mem_host_wrote(&gm, ram_lo + 4096 * 3 + 4090, 10);  /* pages 3 and 4 */
	guest_mem_host_wrote(&gm, ram_lo, 1);                      /* page 0 */
	guest_mem_host_wrote(&gm, ram_hi + 15 * 4096, 4096);      /* the last page */
	guest_mem_host_wrote(&gm, ram_hi + 2 * 4096, 0);          /* nothing */
	guest_mem_host_wrote(&gm, &gm, 8);                      /* not guest RAM */
	guest_mem_host_wrote(NULL, ram_lo, 8);
	ck_assert_uint_eq(bits_low[0], (1ULL << 0) | (1ULL << 3) | (1ULL << 4));
	ck_assert_uint_eq(bits_high[0], 1ULL << 15);
}
END_TEST

Suite *memmap_suite(void)
{
	Suite *s = suite_create("memmap");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, layout_256m);
	tcase_add_test(tc, host_writes_noted);
	tcase_add_test(tc, layout_3g);
	tcase_add_test(tc, layout_4g);
	tcase_add_test(tc, layout_8g_and_odd);
	tcase_add_test(tc, pci64_window);
	tcase_add_test(tc, e820_small);
	tcase_add_test(tc, e820_3g);
	tcase_add_test(tc, e820_4g_8g);
	tcase_add_test(tc, e820_too_small);
	tcase_add_test(tc, gpa_inside);
	tcase_add_test(tc, gpa_straddling);
	tcase_add_test(tc, gpa_wrapping);
	tcase_add_test(tc, gpa_hole);
	suite_add_tcase(s, tc);
	return s;
}
