/* Fuzzer for the CMOS RTC and NVRAM (devices/cmos.c): guest index and data
 * port accesses (any size, on and around ports 0x70/0x71) against a host
 * clock the input sets and moves (the struct cmos clock hook), after a
 * reset with a RAM size and CPU count from the input.
 *
 * After the reset the memory-size bytes, checksum and CPU count must be
 * what cmos.h describes for that layout, and registers A, B and D the
 * reset values; every byte is read once. A model runs beside the chip:
 * the index (7 bits, bit 7 ignored), plain NVRAM (what was read after the
 * reset until the guest writes it: the memory-size bytes included, nothing
 * else changes them), register A without UIP, C's update flag (once per
 * new guest second, IRQF with it when enabled, cleared by the read), D
 * always VRT, and the clock: guest time is host time plus an offset, read
 * in the mode register B gives, frozen while B.SET is on and committed when
 * it goes off (or at once, for one field written without SET), invalid
 * dates dropped. The date arithmetic of the model is the C library's
 * (gmtime_r, timegm), not the device's. Every read must match the model,
 * and a time register read with SET off must be valid BCD or binary for
 * its field. */
#include <errno.h>
#include <time.h>
#include "fuzz.h"
#include "../../devices/cmos.h"

#define MAX_T  253402300799LL   /* 9999-12-31 23:59:59 UTC */
#define KiB    1024ULL
#define MiB    (1024 * KiB)

static struct cmos c;
static struct io_bus pio;
static int64_t host;

/* The model. */
static uint8_t nv[CMOS_SIZE];
static uint8_t m_index;
static int64_t m_offset, m_last_uf;
static bool uf_known;
static bool written[CMOS_SIZE];
static uint8_t at_reset[CMOS_SIZE];

static const uint8_t time_regs[] = { CMOS_SECONDS, CMOS_MINUTES, CMOS_HOURS,
	CMOS_WEEKDAY, CMOS_MDAY, CMOS_MONTH, CMOS_YEAR, CMOS_CENTURY };
static const uint8_t mem_regs[] = { CMOS_BASEMEM_LO, CMOS_BASEMEM_HI,
	CMOS_EXTMEM_LO, CMOS_EXTMEM_HI, CMOS_CSUM_HI, CMOS_CSUM_LO,
	CMOS_EXTMEM2_LO, CMOS_EXTMEM2_HI, CMOS_MEM16M_LO, CMOS_MEM16M_HI,
	CMOS_MEM4G_LO, CMOS_MEM4G_MID, CMOS_MEM4G_HI, CMOS_NR_CPUS };

static int64_t clock_hook(void *opaque)
{
	FUZZ_ASSERT(opaque == &host);
	return host;
}

static bool is_time(unsigned idx)
{
	return memchr(time_regs, (int)idx, sizeof(time_regs)) != NULL;
}

static bool binary(void)
{
	return nv[CMOS_REG_B] & CMOS_B_DM;
}

static bool set_on(void)
{
	return nv[CMOS_REG_B] & CMOS_B_SET;
}

static int64_t guest_time(void)
{
	int64_t t;

	if (__builtin_add_overflow(host, m_offset, &t))
		return 0;
	return t;
}

static uint8_t enc(unsigned v)
{
	return (uint8_t)(binary() ? v : (v / 10) << 4 | v % 10);
}

static int dec(uint8_t v)
{
	if (binary())
		return v;
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

/* Hour 0-23 in the current form: 12-hour is 1-12 with bit 7 for PM. */
static uint8_t enc_hour(unsigned h)
{
	if (nv[CMOS_REG_B] & CMOS_B_24H)
		return enc(h);
	return (uint8_t)(enc(h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

static int dec_hour(uint8_t v)
{
	int h;

	if (nv[CMOS_REG_B] & CMOS_B_24H) {
		h = dec(v);
		return h >= 0 && h < 24 ? h : -1;
	}
	h = dec(v & 0x7f);
	if (h < 1 || h > 12)
		return -1;
	return (h == 12 ? 0 : h) + (v & 0x80 ? 12 : 0);
}

/* The time register idx at the guest's current time (clamped to the years
 * the chip holds), in the current mode. */
static uint8_t time_value(unsigned idx)
{
	int64_t t = guest_time();
	time_t tt;
	struct tm tm;

	if (t < 0)
		t = 0;
	if (t > MAX_T)
		t = MAX_T;
	tt = (time_t)t;
	FUZZ_ASSERT(gmtime_r(&tt, &tm));
	switch (idx) {
	case CMOS_SECONDS:
		return enc((unsigned)tm.tm_sec);
	case CMOS_MINUTES:
		return enc((unsigned)tm.tm_min);
	case CMOS_HOURS:
		return enc_hour((unsigned)tm.tm_hour);
	case CMOS_WEEKDAY:
		return enc((unsigned)tm.tm_wday + 1);
	case CMOS_MDAY:
		return enc((unsigned)tm.tm_mday);
	case CMOS_MONTH:
		return enc((unsigned)tm.tm_mon + 1);
	case CMOS_YEAR:
		return enc((unsigned)(tm.tm_year + 1900) % 100);
	default:
		return enc((unsigned)(tm.tm_year + 1900) / 100);
	}
}

static void m_snapshot(void)
{
	size_t i;

	for (i = 0; i < sizeof(time_regs); i++)
		nv[time_regs[i]] = time_value(time_regs[i]);
}

/* The frozen fields, decoded in the current mode, become the offset if
 * they are a valid date from 1970 to 9999; the weekday is ignored. */
static void m_commit(void)
{
	int sec = dec(nv[CMOS_SECONDS]), min = dec(nv[CMOS_MINUTES]);
	int hour = dec_hour(nv[CMOS_HOURS]), mday = dec(nv[CMOS_MDAY]);
	int mon = dec(nv[CMOS_MONTH]), yy = dec(nv[CMOS_YEAR]);
	int cent = dec(nv[CMOS_CENTURY]), year;
	struct tm tm;
	time_t t;
	int64_t off;

	if (sec < 0 || sec > 59 || min < 0 || min > 59 || hour < 0 || mday < 1 ||
	    mday > 31 || mon < 1 || mon > 12 || yy < 0 || yy > 99 || cent < 0 || cent > 99)
		return;
	year = cent * 100 + yy;
	if (year < 1970)
		return;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (tm.tm_mday != mday || tm.tm_mon != mon - 1)
		return;                 /* no such day: timegm moved it */
	if (__builtin_sub_overflow((int64_t)t, host, &off))
		return;
	m_offset = off;
}

static void m_write(unsigned idx, uint8_t v)
{
	uint8_t old = nv[CMOS_REG_B];

	if (is_time(idx)) {
		if (set_on()) {
			nv[idx] = v;
		} else {
			m_snapshot();
			nv[idx] = v;
			m_commit();
		}
		return;
	}
	switch (idx) {
	case CMOS_REG_A:
		nv[idx] = v & 0x7f;
		break;
	case CMOS_REG_B:
		if ((old & CMOS_B_SET) && !(v & CMOS_B_SET))
			m_commit();             /* in the mode they were written in */
		nv[idx] = v;
		if (!(old & CMOS_B_SET) && (v & CMOS_B_SET))
			m_snapshot();           /* in the mode they will be read in */
		break;
	case CMOS_REG_C:
	case CMOS_REG_D:
		break;
	default:
		nv[idx] = v;
		written[idx] = true;
	}
}

/* A time register read with SET off is a valid value for its field. */
static void check_time_value(unsigned idx, uint8_t v)
{
	bool h24 = nv[CMOS_REG_B] & CMOS_B_24H;
	int x;

	if (idx == CMOS_HOURS && !h24)
		v &= 0x7f;
	if (!binary())
		FUZZ_ASSERT((v & 0x0f) <= 9 && (v >> 4) <= 9);
	x = dec(v);
	switch (idx) {
	case CMOS_SECONDS:
	case CMOS_MINUTES:
		FUZZ_ASSERT(x <= 59);
		break;
	case CMOS_HOURS:
		FUZZ_ASSERT(h24 ? x <= 23 : x >= 1 && x <= 12);
		break;
	case CMOS_WEEKDAY:
		FUZZ_ASSERT(x >= 1 && x <= 7);
		break;
	case CMOS_MDAY:
		FUZZ_ASSERT(x >= 1 && x <= 31);
		break;
	case CMOS_MONTH:
		FUZZ_ASSERT(x >= 1 && x <= 12);
		break;
	case CMOS_YEAR:
		FUZZ_ASSERT(x <= 99);
		break;
	default:
		FUZZ_ASSERT(x >= 19 && x <= 99);
	}
}

/* A data-port read of the selected register, checked against the model. */
static uint8_t guest_read(void)
{
	uint64_t v = io_bus_read(&pio, CMOS_PORT + 1, 1);
	unsigned idx = m_index;

	FUZZ_ASSERT(v <= 0xff);
	if (is_time(idx) && !set_on()) {
		check_time_value(idx, (uint8_t)v);
		FUZZ_ASSERT(v == time_value(idx));
	} else if (idx == CMOS_REG_A) {
		FUZZ_ASSERT(v == (nv[idx] & 0x7f));
	} else if (idx == CMOS_REG_C) {
		int64_t now = guest_time();

		FUZZ_ASSERT(!(v & ~(CMOS_C_IRQF | CMOS_C_UF)));
		if (uf_known)
			FUZZ_ASSERT(!!(v & CMOS_C_UF) == (now != m_last_uf));
		FUZZ_ASSERT(!!(v & CMOS_C_IRQF) ==
			    ((v & CMOS_C_UF) && (nv[CMOS_REG_B] & 0x10)));
		uf_known = true;
		m_last_uf = now;
	} else if (idx == CMOS_REG_D) {
		FUZZ_ASSERT(v == CMOS_D_VRT);
	} else {
		FUZZ_ASSERT(v == nv[idx]);
	}
	return (uint8_t)v;
}

static void select_reg(uint8_t v)
{
	io_bus_write(&pio, CMOS_PORT, 1, v);
	m_index = v & 0x7f;
}

static void guest_write(uint8_t v)
{
	io_bus_write(&pio, CMOS_PORT + 1, 1, v);
	m_write(m_index, v);
}

static unsigned rd(uint8_t idx)
{
	select_reg(idx);
	return guest_read();
}

static void check(void)
{
	FUZZ_ASSERT(c.index < CMOS_SIZE && c.index == m_index);
	FUZZ_ASSERT(c.offset == m_offset);
}

/* A host clock: mostly now-ish, sometimes anything at all. */
static int64_t host_time(struct fuzz_in *in)
{
	uint8_t how = fuzz_u8(in);

	switch (how & 3) {
	case 0:
		return (int64_t)fuzz_u64(in);
	case 1:
		return -(int64_t)fuzz_u32(in);
	case 2:
		return (int64_t)fuzz_bytes(in, 5);      /* up to year 36812 */
	default:
		return 1700000000LL + fuzz_u32(in) % (200LL * 366 * 86400);
	}
}

static uint64_t reset16(unsigned lo)
{
	return at_reset[lo] | (unsigned)at_reset[lo + 1] << 8;
}

/* The memory-size bytes of a RAM layout, as cmos.h describes them. */
static void check_reset(const struct guest_mem *gm, int cpus)
{
	uint64_t ext = gm->low_end > MiB ? (gm->low_end - MiB) / KiB : 0;
	uint64_t m16 = gm->low_end > 16 * MiB ? (gm->low_end - 16 * MiB) / (64 * KiB) : 0;
	uint64_t high = gm->high_end > MEM_4G ? (gm->high_end - MEM_4G) / (64 * KiB) : 0;
	unsigned i, sum = 0;

	ext = ext > 0xffff ? 0xffff : ext;
	m16 = m16 > 0xffff ? 0xffff : m16;
	high = high > 0xffffff ? 0xffffff : high;
	for (i = 0; i < CMOS_SIZE; i++) {
		select_reg((uint8_t)i);
		if (is_time(i) || i == CMOS_REG_C)
			guest_read();   /* the model's clock: host time, 24-hour BCD */
		else
			at_reset[i] = (uint8_t)io_bus_read(&pio, CMOS_PORT + 1, 1);
	}
	FUZZ_ASSERT(reset16(CMOS_BASEMEM_LO) == 640);
	FUZZ_ASSERT(reset16(CMOS_EXTMEM_LO) == ext);
	FUZZ_ASSERT(reset16(CMOS_EXTMEM2_LO) == ext);
	FUZZ_ASSERT(reset16(CMOS_MEM16M_LO) == m16);
	FUZZ_ASSERT((at_reset[CMOS_MEM4G_LO] | at_reset[CMOS_MEM4G_MID] << 8 |
		     (unsigned)at_reset[CMOS_MEM4G_HI] << 16) == high);
	FUZZ_ASSERT(at_reset[CMOS_NR_CPUS] == cpus - 1);
	for (i = 0x10; i < CMOS_CSUM_HI; i++)
		sum += at_reset[i];
	FUZZ_ASSERT(at_reset[CMOS_CSUM_HI] == (uint8_t)(sum >> 8));
	FUZZ_ASSERT(at_reset[CMOS_CSUM_LO] == (uint8_t)sum);
	FUZZ_ASSERT(at_reset[CMOS_REG_A] == 0x26);              /* 32.768 kHz, 1024 Hz */
	FUZZ_ASSERT(at_reset[CMOS_REG_B] == CMOS_B_24H);        /* 24-hour BCD, running */
	FUZZ_ASSERT(at_reset[CMOS_REG_D] == CMOS_D_VRT);
}

/* Input: RAM size (u16, shift), CPU count (u16), host clock, then
 * operations: an op byte (bits 0-2 the kind) and its operands. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct guest_mem gm;
	unsigned ops = 0, i;
	uint64_t ram = (fuzz_u16(&in) + 1ULL) << (16 + fuzz_u8(&in) % 16);
	int cpus = fuzz_u16(&in) % 300;

	memmap_layout(&gm, ram);        /* below 1 MiB: no RAM at all */
	if (cpus < 1 || cpus > 256) {
		FUZZ_ASSERT(cmos_init(&c, &gm, cpus) == -EINVAL);
		cpus = 1;
	}
	FUZZ_ASSERT(cmos_init(&c, &gm, cpus) == 0);
	host = host_time(&in);
	c.clock = clock_hook;
	c.clock_opaque = &host;
	memset(&pio, 0, sizeof(pio));
	pio.name = "pio";
	FUZZ_ASSERT(cmos_attach(&c, &pio) == 0);

	memset(nv, 0, sizeof(nv));
	memset(written, 0, sizeof(written));
	nv[CMOS_REG_B] = CMOS_B_24H;
	m_index = c.index;
	m_offset = 0;
	uf_known = false;
	check_reset(&gm, cpus);
	for (i = 0; i < CMOS_SIZE; i++)
		if (!is_time(i))
			nv[i] = at_reset[i];
	check();

	while (fuzz_more(&in) && ops++ < 2048) {
		uint8_t op = fuzz_u8(&in);

		switch (op & 7) {
		case 0:
			select_reg(fuzz_u8(&in));
			break;
		case 1:
			guest_read();
			break;
		case 2:
			guest_write(fuzz_u8(&in));
			break;
		case 3:         /* select and read, what firmware does */
			select_reg(fuzz_u8(&in));
			guest_read();
			break;
		case 4:
			select_reg(fuzz_u8(&in));
			guest_write(fuzz_u8(&in));
			break;
		case 5: {       /* time passes on the host (or goes back) */
			int64_t d = (int8_t)fuzz_u8(&in);

			if (op & 0x08)
				d *= 3600;
			if (op & 0x10)
				d *= 86400 * 30;
			host = (int64_t)((uint64_t)host + (uint64_t)d);
			break;
		}
		case 6:
			host = host_time(&in);
			break;
		case 7: {       /* any size, on or around the two ports */
			unsigned p = CMOS_PORT - 1 + (op >> 3 & 3), sz = fuzz_pio_size(op >> 5 & 3);

			if (op & 0x80) {
				uint64_t v = fuzz_value(&in, sz);

				io_bus_write(&pio, p, sz, v);
				if (sz == 1 && p == CMOS_PORT)
					m_index = v & 0x7f;
				else if (sz == 1 && p == CMOS_PORT + 1)
					m_write(m_index, (uint8_t)v);
			} else if (p == CMOS_PORT + 1 && sz == 1) {
				guest_read();
			} else {
				FUZZ_ASSERT(io_bus_read(&pio, p, sz) == ~0ULL);
			}
			break;
		}
		}
		check();
	}
	/* Everything once more: the memory sizes stand unless written. */
	for (i = 0; i < sizeof(mem_regs); i++)
		if (!written[mem_regs[i]])
			FUZZ_ASSERT(rd(mem_regs[i]) == at_reset[mem_regs[i]]);
	for (i = 0; i < CMOS_SIZE; i++)
		rd((uint8_t)i);
	check();
	return 0;
}
