/* Tests for devices/cmos.c: the memory-size bytes for several RAM layouts,
 * the clock in BCD/binary and 12/24-hour forms against a fixed host clock,
 * setting the clock, status registers A-D and hostile port accesses. */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include "../../devices/cmos.h"
#include "suites.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

#define T_LEAP_DAY 1709211909LL         /* Thu 2024-02-29 13:05:09 UTC */
#define T_2030     1907742600LL         /* Sat 2030-06-15 08:30:00 UTC */

static struct cmos c;
static struct io_bus pio;
static int64_t now;

static int64_t fixed_clock(void *opaque)
{
	ck_assert_ptr_eq(opaque, &now);
	return now;
}

static void init_with(uint64_t ram, int cpus)
{
	struct guest_mem gm;

	ck_assert_int_eq(memmap_layout(&gm, ram), 0);
	ck_assert_int_eq(cmos_init(&c, &gm, cpus), 0);
	c.clock = fixed_clock;
	c.clock_opaque = &now;
	memset(&pio, 0, sizeof(pio));
	pio.name = "test pio";
	ck_assert_int_eq(cmos_attach(&c, &pio), 0);
}

static void setup(void)
{
	now = T_LEAP_DAY;
	init_with(256 * MiB, 2);
}

static uint8_t rd(uint8_t idx)
{
	uint64_t v;

	io_bus_write(&pio, 0x70, 1, idx);
	v = io_bus_read(&pio, 0x71, 1);
	ck_assert_uint_le(v, 0xff);
	return (uint8_t)v;
}

static void wr(uint8_t idx, uint8_t v)
{
	io_bus_write(&pio, 0x70, 1, idx);
	io_bus_write(&pio, 0x71, 1, v);
}

static unsigned rd16(uint8_t lo)
{
	return rd(lo) | (unsigned)rd(lo + 1) << 8;
}

static unsigned rd24(uint8_t lo)
{
	return rd16(lo) | (unsigned)rd(lo + 2) << 16;
}

START_TEST(memory_256m)
{
	ck_assert_uint_eq(rd16(CMOS_BASEMEM_LO), 640);
	ck_assert_uint_eq(rd16(CMOS_EXTMEM_LO), 0xffff);       /* 255 MiB: capped */
	ck_assert_uint_eq(rd16(CMOS_EXTMEM2_LO), 0xffff);
	ck_assert_uint_eq(rd16(CMOS_MEM16M_LO), (256 - 16) * 16);
	ck_assert_uint_eq(rd24(CMOS_MEM4G_LO), 0);
	ck_assert_uint_eq(rd(CMOS_NR_CPUS), 1);
}
END_TEST

START_TEST(memory_3g)
{
	init_with(3 * GiB, 4);
	ck_assert_uint_eq(rd16(CMOS_BASEMEM_LO), 640);
	ck_assert_uint_eq(rd16(CMOS_EXTMEM_LO), 0xffff);
	ck_assert_uint_eq(rd16(CMOS_MEM16M_LO), 0xbf00);       /* (3 GiB - 16 MiB) / 64 KiB */
	ck_assert_uint_eq(rd24(CMOS_MEM4G_LO), 0);
	ck_assert_uint_eq(rd(CMOS_NR_CPUS), 3);
}
END_TEST

START_TEST(memory_8g)
{
	init_with(8 * GiB, 1);
	ck_assert_uint_eq(rd16(CMOS_MEM16M_LO), 0xbf00);       /* low RAM ends at 3 GiB */
	ck_assert_uint_eq(rd(CMOS_MEM4G_LO), 0x00);
	ck_assert_uint_eq(rd(CMOS_MEM4G_MID), 0x40);
	ck_assert_uint_eq(rd(CMOS_MEM4G_HI), 0x01);            /* 5 GiB = 0x14000 * 64 KiB */
	ck_assert_uint_eq(rd(CMOS_NR_CPUS), 0);
}
END_TEST

START_TEST(memory_small_and_huge)
{
	/* 16 MiB: nothing above 16 MiB, 15 MiB of extended memory. */
	init_with(16 * MiB, 1);
	ck_assert_uint_eq(rd16(CMOS_EXTMEM_LO), 15 * 1024);
	ck_assert_uint_eq(rd16(CMOS_EXTMEM2_LO), 15 * 1024);
	ck_assert_uint_eq(rd16(CMOS_MEM16M_LO), 0);
	init_with(40 * MiB, 1);
	ck_assert_uint_eq(rd16(CMOS_EXTMEM_LO), 39 * 1024);
	ck_assert_uint_eq(rd16(CMOS_MEM16M_LO), 24 * 16);
	/* 2 TiB: the 24-bit count above 4 GiB saturates. */
	init_with(2048 * GiB, 1);
	ck_assert_uint_eq(rd24(CMOS_MEM4G_LO), 0xffffff);
}
END_TEST

START_TEST(cpu_count)
{
	struct guest_mem gm;

	ck_assert_int_eq(memmap_layout(&gm, 256 * MiB), 0);
	ck_assert_int_eq(cmos_init(&c, &gm, 0), -EINVAL);
	ck_assert_int_eq(cmos_init(&c, &gm, -3), -EINVAL);
	ck_assert_int_eq(cmos_init(&c, &gm, 257), -EINVAL);
	ck_assert_int_eq(cmos_init(&c, &gm, 256), 0);
	ck_assert_uint_eq(c.ram[CMOS_NR_CPUS], 255);
	ck_assert_int_eq(cmos_init(&c, &gm, 64), 0);
	ck_assert_uint_eq(c.ram[CMOS_NR_CPUS], 63);
}
END_TEST

START_TEST(checksum)
{
	unsigned i, sum = 0;

	for (i = 0x10; i < 0x2e; i++)
		sum += rd((uint8_t)i);
	ck_assert_uint_eq(rd(CMOS_CSUM_HI), (sum >> 8) & 0xff);
	ck_assert_uint_eq(rd(CMOS_CSUM_LO), sum & 0xff);
	ck_assert_uint_ne(sum, 0);
}
END_TEST

START_TEST(time_bcd_24h)
{
	ck_assert_uint_eq(rd(CMOS_REG_B), CMOS_B_24H);         /* the reset mode */
	ck_assert_uint_eq(rd(CMOS_SECONDS), 0x09);
	ck_assert_uint_eq(rd(CMOS_MINUTES), 0x05);
	ck_assert_uint_eq(rd(CMOS_HOURS), 0x13);
	ck_assert_uint_eq(rd(CMOS_WEEKDAY), 5);                /* Thursday; Sunday = 1 */
	ck_assert_uint_eq(rd(CMOS_MDAY), 0x29);
	ck_assert_uint_eq(rd(CMOS_MONTH), 0x02);
	ck_assert_uint_eq(rd(CMOS_YEAR), 0x24);
	ck_assert_uint_eq(rd(CMOS_CENTURY), 0x20);
	now += 3600 * 10 + 60 * 54 + 50;                       /* 23:59:59 */
	ck_assert_uint_eq(rd(CMOS_HOURS), 0x23);
	ck_assert_uint_eq(rd(CMOS_MINUTES), 0x59);
	ck_assert_uint_eq(rd(CMOS_SECONDS), 0x59);
	now++;                                                 /* March 1st */
	ck_assert_uint_eq(rd(CMOS_MDAY), 0x01);
	ck_assert_uint_eq(rd(CMOS_MONTH), 0x03);
	ck_assert_uint_eq(rd(CMOS_WEEKDAY), 6);
	ck_assert_uint_eq(rd(CMOS_HOURS), 0x00);
}
END_TEST

START_TEST(time_binary)
{
	wr(CMOS_REG_B, CMOS_B_24H | CMOS_B_DM);
	ck_assert_uint_eq(rd(CMOS_SECONDS), 9);
	ck_assert_uint_eq(rd(CMOS_MINUTES), 5);
	ck_assert_uint_eq(rd(CMOS_HOURS), 13);
	ck_assert_uint_eq(rd(CMOS_MDAY), 29);
	ck_assert_uint_eq(rd(CMOS_MONTH), 2);
	ck_assert_uint_eq(rd(CMOS_YEAR), 24);
	ck_assert_uint_eq(rd(CMOS_CENTURY), 20);
	now = T_2030;
	ck_assert_uint_eq(rd(CMOS_YEAR), 30);
	ck_assert_uint_eq(rd(CMOS_MONTH), 6);
	ck_assert_uint_eq(rd(CMOS_MDAY), 15);
	ck_assert_uint_eq(rd(CMOS_WEEKDAY), 7);                /* Saturday */
}
END_TEST

START_TEST(time_12h)
{
	wr(CMOS_REG_B, 0);                                     /* 12-hour BCD */
	ck_assert_uint_eq(rd(CMOS_HOURS), 0x81);               /* 1 PM */
	now = 1709164800LL;                                    /* 00:00 */
	ck_assert_uint_eq(rd(CMOS_HOURS), 0x12);               /* 12 AM */
	now += 12 * 3600;
	ck_assert_uint_eq(rd(CMOS_HOURS), 0x92);               /* 12 PM */
	now += 11 * 3600;
	ck_assert_uint_eq(rd(CMOS_HOURS), 0x91);               /* 11 PM */
	wr(CMOS_REG_B, CMOS_B_DM);                             /* 12-hour binary */
	ck_assert_uint_eq(rd(CMOS_HOURS), 0x8b);
	now -= 13 * 3600;
	ck_assert_uint_eq(rd(CMOS_HOURS), 10);                 /* 10 AM */
}
END_TEST

/* The date arithmetic agrees with the C library over many years. */
START_TEST(time_matches_gmtime)
{
	int64_t t;
	struct tm tm;

	wr(CMOS_REG_B, CMOS_B_24H | CMOS_B_DM);
	for (t = 0; t < 4200000000LL; t += 86400LL * 37 + 3601 * 5 + 7) {
		time_t tt = (time_t)t;

		now = t;
		ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
		ck_assert_uint_eq(rd(CMOS_SECONDS), (unsigned)tm.tm_sec);
		ck_assert_uint_eq(rd(CMOS_MINUTES), (unsigned)tm.tm_min);
		ck_assert_uint_eq(rd(CMOS_HOURS), (unsigned)tm.tm_hour);
		ck_assert_uint_eq(rd(CMOS_WEEKDAY), (unsigned)tm.tm_wday + 1);
		ck_assert_uint_eq(rd(CMOS_MDAY), (unsigned)tm.tm_mday);
		ck_assert_uint_eq(rd(CMOS_MONTH), (unsigned)tm.tm_mon + 1);
		ck_assert_uint_eq(rd(CMOS_YEAR), (unsigned)(tm.tm_year + 1900) % 100);
		ck_assert_uint_eq(rd(CMOS_CENTURY), (unsigned)(tm.tm_year + 1900) / 100);
	}
}
END_TEST

/* The guest sets the clock the way Linux does: SET, fields, clear SET. The
 * new time is an offset from the host clock, so it keeps ticking. */
START_TEST(set_time_with_set_bit)
{
	wr(CMOS_REG_B, CMOS_B_24H | CMOS_B_SET);
	/* Frozen: the fields read back as they were when SET went on... */
	now += 100;
	ck_assert_uint_eq(rd(CMOS_SECONDS), 0x09);
	wr(CMOS_SECONDS, 0x00);
	wr(CMOS_MINUTES, 0x30);
	wr(CMOS_HOURS, 0x08);
	wr(CMOS_MDAY, 0x15);
	wr(CMOS_MONTH, 0x06);
	wr(CMOS_YEAR, 0x30);
	/* ...and as written. */
	ck_assert_uint_eq(rd(CMOS_MINUTES), 0x30);
	ck_assert_uint_eq(rd(CMOS_YEAR), 0x30);
	wr(CMOS_REG_B, CMOS_B_24H);
	ck_assert_int_eq(c.offset, T_2030 - now);
	ck_assert_uint_eq(rd(CMOS_YEAR), 0x30);
	ck_assert_uint_eq(rd(CMOS_WEEKDAY), 7);
	now += 61;
	ck_assert_uint_eq(rd(CMOS_HOURS), 0x08);
	ck_assert_uint_eq(rd(CMOS_MINUTES), 0x31);
	ck_assert_uint_eq(rd(CMOS_SECONDS), 0x01);
}
END_TEST

START_TEST(set_time_12h_binary)
{
	wr(CMOS_REG_B, CMOS_B_DM | CMOS_B_SET);
	wr(CMOS_HOURS, 0x80 | 7);                              /* 7 PM */
	wr(CMOS_REG_B, CMOS_B_DM | CMOS_B_24H);
	ck_assert_uint_eq(rd(CMOS_HOURS), 19);
	ck_assert_uint_eq(rd(CMOS_MINUTES), 5);
	ck_assert_uint_eq(rd(CMOS_MDAY), 29);
	ck_assert_int_eq(c.offset, 6 * 3600);
}
END_TEST

/* One field written without SET is committed at once. */
START_TEST(set_single_field)
{
	wr(CMOS_MINUTES, 0x45);
	ck_assert_uint_eq(rd(CMOS_MINUTES), 0x45);
	ck_assert_uint_eq(rd(CMOS_HOURS), 0x13);
	ck_assert_uint_eq(rd(CMOS_SECONDS), 0x09);
	ck_assert_int_eq(c.offset, 40 * 60);
	wr(CMOS_CENTURY, 0x21);                                /* 2124 */
	ck_assert_uint_eq(rd(CMOS_CENTURY), 0x21);
	ck_assert_uint_eq(rd(CMOS_YEAR), 0x24);
	ck_assert_uint_eq(rd(CMOS_MDAY), 0x29);                /* 2124 is a leap year */
	/* The weekday follows the date; writing it changes nothing. */
	wr(CMOS_WEEKDAY, 1);
	ck_assert_uint_ne(rd(CMOS_WEEKDAY), 1);
}
END_TEST

static void expect_unchanged_time(void)
{
	ck_assert_int_eq(c.offset, 0);
	ck_assert_uint_eq(rd(CMOS_SECONDS), 0x09);
	ck_assert_uint_eq(rd(CMOS_MDAY), 0x29);
	ck_assert_uint_eq(rd(CMOS_MONTH), 0x02);
	ck_assert_uint_eq(rd(CMOS_YEAR), 0x24);
}

START_TEST(bad_times_dropped)
{
	static const uint8_t bad[][2] = {
		{ CMOS_SECONDS, 0x60 }, { CMOS_SECONDS, 0x1a }, { CMOS_MINUTES, 0xff },
		{ CMOS_HOURS, 0x24 }, { CMOS_MDAY, 0x00 }, { CMOS_MDAY, 0x30 },
		{ CMOS_MONTH, 0x00 }, { CMOS_MONTH, 0x13 }, { CMOS_YEAR, 0xa0 },
		{ CMOS_CENTURY, 0x19 }, { CMOS_CENTURY, 0x9a },
	};
	size_t i;

	/* Without SET: each bad field is dropped (Feb 30th too). */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wr(bad[i][0], bad[i][1]);
		expect_unchanged_time();
	}
	/* With SET: the whole set is dropped at commit. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wr(CMOS_REG_B, CMOS_B_24H | CMOS_B_SET);
		wr(CMOS_MINUTES, 0x33);
		wr(bad[i][0], bad[i][1]);
		wr(CMOS_REG_B, CMOS_B_24H);
		expect_unchanged_time();
	}
	/* 12-hour form: hour 0 and 13 do not exist. */
	wr(CMOS_REG_B, 0);
	wr(CMOS_HOURS, 0x00);
	wr(CMOS_HOURS, 0x93);
	wr(CMOS_REG_B, CMOS_B_24H);
	expect_unchanged_time();
	/* Binary 99 seconds, and 1969. */
	wr(CMOS_REG_B, CMOS_B_24H | CMOS_B_DM);
	wr(CMOS_SECONDS, 99);
	wr(CMOS_CENTURY, 19);
	ck_assert_int_eq(c.offset, 0);
}
END_TEST

START_TEST(reg_a)
{
	ck_assert_uint_eq(rd(CMOS_REG_A), 0x26);
	wr(CMOS_REG_A, 0xff);
	ck_assert_uint_eq(rd(CMOS_REG_A), 0x7f);               /* UIP is never set */
	wr(CMOS_REG_A, 0x26);
	ck_assert_uint_eq(rd(CMOS_REG_A), 0x26);
}
END_TEST

START_TEST(reg_c_read_clears)
{
	ck_assert_uint_eq(rd(CMOS_REG_C), CMOS_C_UF);          /* a second has passed */
	ck_assert_uint_eq(rd(CMOS_REG_C), 0);                  /* cleared by the read */
	ck_assert_uint_eq(rd(CMOS_REG_C), 0);
	now++;
	ck_assert_uint_eq(rd(CMOS_REG_C), CMOS_C_UF);
	ck_assert_uint_eq(rd(CMOS_REG_C), 0);
	/* With the update interrupt enabled IRQF goes with it. */
	wr(CMOS_REG_B, CMOS_B_24H | 0x10);
	now += 5;
	ck_assert_uint_eq(rd(CMOS_REG_C), CMOS_C_IRQF | CMOS_C_UF);
	ck_assert_uint_eq(rd(CMOS_REG_C), 0);
	/* C is read-only. */
	wr(CMOS_REG_C, 0xff);
	ck_assert_uint_eq(rd(CMOS_REG_C), 0);
}
END_TEST

START_TEST(reg_d)
{
	ck_assert_uint_eq(rd(CMOS_REG_D), CMOS_D_VRT);
	wr(CMOS_REG_D, 0);
	ck_assert_uint_eq(rd(CMOS_REG_D), CMOS_D_VRT);
	wr(CMOS_REG_D, 0xff);
	ck_assert_uint_eq(rd(CMOS_REG_D), CMOS_D_VRT);
}
END_TEST

/* Bit 7 of the index is NMI disable: ignored, the index is 7 bits. */
START_TEST(index_masking)
{
	ck_assert_uint_eq(rd(0x80 | CMOS_REG_D), CMOS_D_VRT);
	ck_assert_uint_eq(rd(0x80 | CMOS_NR_CPUS), 1);
	wr(0x80 | 0x40, 0x5a);
	ck_assert_uint_eq(rd(0x40), 0x5a);
	ck_assert_uint_eq(rd(0xff), rd(0x7f));
}
END_TEST

START_TEST(nvram)
{
	unsigned i;

	for (i = 0x40; i < CMOS_SIZE; i++)
		if (i != CMOS_MEM4G_LO && i != CMOS_MEM4G_MID && i != CMOS_MEM4G_HI &&
		    i != CMOS_NR_CPUS)
			ck_assert_uint_eq(rd((uint8_t)i), 0);
	for (i = 0x40; i < CMOS_SIZE; i++)
		wr((uint8_t)i, (uint8_t)(i ^ 0xa5));
	for (i = 0x40; i < CMOS_SIZE; i++)
		ck_assert_uint_eq(rd((uint8_t)i), i ^ 0xa5);
	/* Alarm bytes are plain storage. */
	wr(CMOS_SECONDS_ALARM, 0x42);
	ck_assert_uint_eq(rd(CMOS_SECONDS_ALARM), 0x42);
	wr(0x0f, 0x0a);                                        /* shutdown status */
	ck_assert_uint_eq(rd(0x0f), 0x0a);
}
END_TEST

START_TEST(bad_sizes_and_offsets)
{
	unsigned size;

	wr(0x40, 0x11);
	/* The index port is write-only; only byte accesses count. */
	ck_assert_uint_eq(io_bus_read(&pio, 0x70, 1), ~0ULL);
	for (size = 2; size <= 8; size *= 2) {
		ck_assert_uint_eq(io_bus_read(&pio, 0x71, size), ~0ULL);
		ck_assert_uint_eq(io_bus_read(&pio, 0x70, size), ~0ULL);
		io_bus_write(&pio, 0x71, size, 0x2222);
		io_bus_write(&pio, 0x70, size, 0x41);
	}
	ck_assert_uint_eq(io_bus_read(&pio, 0x71, 1), 0x11);   /* index still 0x40 */
	ck_assert_uint_eq(cmos_read(&c, 2, 1), ~0ULL);
	ck_assert_uint_eq(cmos_read(&c, ~0ULL, 1), ~0ULL);
	cmos_write(&c, 2, 1, 0x41);
	cmos_write(&c, ~0ULL, 1, 0x41);
	ck_assert_uint_eq(cmos_read(&c, 1, 1), 0x11);
	/* High bits of a byte write are dropped. */
	io_bus_write(&pio, 0x71, 1, 0xffffff33);
	ck_assert_uint_eq(rd(0x40), 0x33);
}
END_TEST

/* A host clock far outside the range (or a guest that set year 9999 and
 * waited) still reads as a valid date. */
START_TEST(extreme_clocks)
{
	unsigned i;

	now = -1000;
	ck_assert_uint_eq(rd(CMOS_YEAR), 0x70);
	ck_assert_uint_eq(rd(CMOS_CENTURY), 0x19);
	ck_assert_uint_eq(rd(CMOS_MDAY), 0x01);
	now = INT64_MAX;
	ck_assert_uint_eq(rd(CMOS_YEAR), 0x99);
	ck_assert_uint_eq(rd(CMOS_CENTURY), 0x99);
	ck_assert_uint_eq(rd(CMOS_MONTH), 0x12);
	ck_assert_uint_eq(rd(CMOS_MDAY), 0x31);
	ck_assert_uint_eq(rd(CMOS_SECONDS), 0x59);
	/* Setting the time against such a clock must not overflow. */
	now = INT64_MIN;
	wr(CMOS_MINUTES, 0x10);
	now = INT64_MAX;
	wr(CMOS_MINUTES, 0x10);
	for (i = 0; i < CMOS_SIZE; i++)
		rd((uint8_t)i);
	/* Year 9999 set by the guest. */
	now = T_LEAP_DAY;
	c.offset = 0;
	wr(CMOS_MDAY, 0x28);            /* 9999-02-29 does not exist */
	wr(CMOS_CENTURY, 0x99);
	wr(CMOS_YEAR, 0x99);
	ck_assert_uint_eq(rd(CMOS_YEAR), 0x99);
	ck_assert_uint_eq(rd(CMOS_CENTURY), 0x99);
	ck_assert_uint_eq(rd(CMOS_MONTH), 0x02);
	ck_assert_uint_eq(rd(CMOS_MDAY), 0x28);
	ck_assert_uint_eq(rd(CMOS_HOURS), 0x13);
	wr(CMOS_MDAY, 0x29);                                   /* 9999 is no leap year */
	ck_assert_uint_eq(rd(CMOS_MDAY), 0x28);
}
END_TEST

Suite *cmos_suite(void)
{
	Suite *s = suite_create("cmos");
	TCase *mem = tcase_create("memory");
	TCase *rtc = tcase_create("rtc");
	TCase *ports = tcase_create("ports");

	tcase_add_checked_fixture(mem, setup, NULL);
	tcase_add_test(mem, memory_256m);
	tcase_add_test(mem, memory_3g);
	tcase_add_test(mem, memory_8g);
	tcase_add_test(mem, memory_small_and_huge);
	tcase_add_test(mem, cpu_count);
	tcase_add_test(mem, checksum);
	suite_add_tcase(s, mem);

	tcase_add_checked_fixture(rtc, setup, NULL);
	tcase_add_test(rtc, time_bcd_24h);
	tcase_add_test(rtc, time_binary);
	tcase_add_test(rtc, time_12h);
	tcase_add_test(rtc, time_matches_gmtime);
	tcase_add_test(rtc, set_time_with_set_bit);
	tcase_add_test(rtc, set_time_12h_binary);
	tcase_add_test(rtc, set_single_field);
	tcase_add_test(rtc, bad_times_dropped);
	tcase_add_test(rtc, reg_a);
	tcase_add_test(rtc, reg_c_read_clears);
	tcase_add_test(rtc, reg_d);
	tcase_add_test(rtc, extreme_clocks);
	suite_add_tcase(s, rtc);

	tcase_add_checked_fixture(ports, setup, NULL);
	tcase_add_test(ports, index_masking);
	tcase_add_test(ports, nvram);
	tcase_add_test(ports, bad_sizes_and_offsets);
	suite_add_tcase(s, ports);
	return s;
}
