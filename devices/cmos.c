/* The MC146818 CMOS RTC: port 0x70 selects one of 128 bytes (bit 7, NMI
 * disable, is ignored), port 0x71 reads or writes it.
 *
 * Time and date (0x00, 0x02, 0x04, 0x06-0x09 and the century at 0x32) are
 * computed on every read from the host clock plus an offset, in BCD or
 * binary (register B bit 2) and 12- or 24-hour form (bit 1). A guest that
 * sets the clock moves the offset; nothing touches the host clock. Setting
 * the time the usual way (B.SET on, write the fields, B.SET off) freezes the
 * fields in the NVRAM bytes and commits them when SET is cleared; a single
 * field written without SET is committed at once. A set of fields that is
 * not a valid date from 1970 to 9999 in the current mode is dropped.
 *
 * The date arithmetic is done here rather than with gmtime_r/timegm, which
 * may read the time zone database: this runs in vCPU threads under seccomp.
 *
 * No interrupt line: register C reports the update-ended flag (set once
 * per new second, cleared by reading C) for guests that poll it; UIP in A
 * always reads 0, so a guest never waits on it. Everything else is NVRAM,
 * seeded at reset with the memory sizes firmware reads. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "cmos.h"
#include "../vmm/snapshot/cursor.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)
#define SECS_PER_DAY 86400
#define MIN_YEAR 1970
#define MAX_YEAR 9999
#define REG_A_RESET  0x26       /* 32.768 kHz divider, 1024 Hz periodic rate */

struct rtc_time {
	unsigned sec, min, hour, mday, mon, wday;   /* mon 1-12, wday 0 = Sunday */
	unsigned year;                              /* full year */
};

static bool is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
	static const uint8_t dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Leap years in 1..y. */
static int64_t leaps_through(unsigned y)
{
	return y / 4 - y / 100 + y / 400;
}

/* Days from 1970-01-01 to January 1st of y (y >= 1970). */
static int64_t days_before_year(unsigned y)
{
	return 365LL * (y - MIN_YEAR) + leaps_through(y - 1) - leaps_through(MIN_YEAR - 1);
}

static void time_to_rtc(int64_t t, struct rtc_time *tm)
{
	int64_t days, rem;
	unsigned y;

	if (t < 0)
		t = 0;
	if (t >= days_before_year(MAX_YEAR + 1) * SECS_PER_DAY)
		t = days_before_year(MAX_YEAR + 1) * SECS_PER_DAY - 1;
	days = t / SECS_PER_DAY;
	rem = t % SECS_PER_DAY;
	tm->hour = (unsigned)(rem / 3600);
	tm->min = (unsigned)(rem / 60 % 60);
	tm->sec = (unsigned)(rem % 60);
	tm->wday = (unsigned)((days + 4) % 7);          /* 1970-01-01 was a Thursday */
	/* A year has at most 366 days, so this guess is never too late. */
	y = MIN_YEAR + (unsigned)(days / 366);
	while (days_before_year(y + 1) <= days)
		y++;
	days -= days_before_year(y);
	tm->year = y;
	for (tm->mon = 1; days >= days_in_month(y, tm->mon); tm->mon++)
		days -= days_in_month(y, tm->mon);
	tm->mday = (unsigned)days + 1;
}

static int64_t rtc_to_time(const struct rtc_time *tm)
{
	int64_t days = days_before_year(tm->year);
	unsigned m;

	for (m = 1; m < tm->mon; m++)
		days += days_in_month(tm->year, m);
	days += tm->mday - 1;
	return days * SECS_PER_DAY + tm->hour * 3600 + tm->min * 60 + tm->sec;
}

static int64_t host_now(const struct cmos *c)
{
	return c->clock ? c->clock(c->clock_opaque) : (int64_t)time(NULL);
}

static int64_t guest_now(const struct cmos *c)
{
	int64_t t;

	if (__builtin_add_overflow(host_now(c), c->offset, &t))
		return 0;
	return t;
}

static bool binary_mode(const struct cmos *c)
{
	return c->ram[CMOS_REG_B] & CMOS_B_DM;
}

static uint8_t encode(const struct cmos *c, unsigned v)
{
	return (uint8_t)(binary_mode(c) ? v : (v / 10) << 4 | v % 10);
}

/* The value of a register byte in the current mode, -1 for bad BCD. */
static int decode(const struct cmos *c, uint8_t v)
{
	if (binary_mode(c))
		return v;
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t encode_hour(const struct cmos *c, unsigned h)
{
	unsigned h12 = h % 12 ? h % 12 : 12;

	if (c->ram[CMOS_REG_B] & CMOS_B_24H)
		return encode(c, h);
	return (uint8_t)(encode(c, h12) | (h >= 12 ? 0x80 : 0));
}

static int decode_hour(const struct cmos *c, uint8_t v)
{
	int h;

	if (c->ram[CMOS_REG_B] & CMOS_B_24H) {
		h = decode(c, v);
		return h < 24 ? h : -1;
	}
	h = decode(c, v & 0x7f);
	if (h < 1 || h > 12)
		return -1;
	return h % 12 + (v & 0x80 ? 12 : 0);
}

static bool is_time_reg(unsigned idx)
{
	return (idx <= CMOS_YEAR && idx != CMOS_SECONDS_ALARM &&
		idx != CMOS_MINUTES_ALARM && idx != CMOS_HOURS_ALARM) ||
	       idx == CMOS_CENTURY;
}

static uint8_t time_reg(const struct cmos *c, unsigned idx, const struct rtc_time *tm)
{
	switch (idx) {
	case CMOS_SECONDS:
		return encode(c, tm->sec);
	case CMOS_MINUTES:
		return encode(c, tm->min);
	case CMOS_HOURS:
		return encode_hour(c, tm->hour);
	case CMOS_WEEKDAY:
		return encode(c, tm->wday + 1);
	case CMOS_MDAY:
		return encode(c, tm->mday);
	case CMOS_MONTH:
		return encode(c, tm->mon);
	case CMOS_YEAR:
		return encode(c, tm->year % 100);
	default:        /* CMOS_CENTURY */
		return encode(c, tm->year / 100);
	}
}

/* Freeze the guest's current time into the NVRAM bytes of the time registers. */
static void snapshot_time(struct cmos *c)
{
	static const uint8_t regs[] = { CMOS_SECONDS, CMOS_MINUTES, CMOS_HOURS,
		CMOS_WEEKDAY, CMOS_MDAY, CMOS_MONTH, CMOS_YEAR, CMOS_CENTURY };
	struct rtc_time tm;
	size_t i;

	time_to_rtc(guest_now(c), &tm);
	for (i = 0; i < sizeof(regs); i++)
		c->ram[regs[i]] = time_reg(c, regs[i], &tm);
}

/* Turn the frozen time bytes into the clock offset; invalid dates are
 * dropped. The weekday byte is ignored: it follows from the date. */
static void commit_time(struct cmos *c)
{
	struct rtc_time tm;
	int64_t offset;
	int sec = decode(c, c->ram[CMOS_SECONDS]);
	int min = decode(c, c->ram[CMOS_MINUTES]);
	int hour = decode_hour(c, c->ram[CMOS_HOURS]);
	int mday = decode(c, c->ram[CMOS_MDAY]);
	int mon = decode(c, c->ram[CMOS_MONTH]);
	int year = decode(c, c->ram[CMOS_YEAR]);
	int century = decode(c, c->ram[CMOS_CENTURY]);

	if (sec < 0 || sec > 59 || min < 0 || min > 59 || hour < 0 ||
	    mon < 1 || mon > 12 || year < 0 || year > 99 || century < 0 || century > 99)
		return;
	tm.year = (unsigned)(century * 100 + year);
	if (tm.year < MIN_YEAR || tm.year > MAX_YEAR)
		return;
	if (mday < 1 || (unsigned)mday > days_in_month(tm.year, (unsigned)mon))
		return;
	tm.sec = (unsigned)sec;
	tm.min = (unsigned)min;
	tm.hour = (unsigned)hour;
	tm.mday = (unsigned)mday;
	tm.mon = (unsigned)mon;
	if (__builtin_sub_overflow(rtc_to_time(&tm), host_now(c), &offset))
		return;
	c->offset = offset;
}

static uint8_t read_reg_c(struct cmos *c)
{
	int64_t now = guest_now(c);
	uint8_t v = c->ram[CMOS_REG_C];

	if (now != c->last_uf)
		v |= CMOS_C_UF;
	c->last_uf = now;
	if (v & c->ram[CMOS_REG_B] & 0x70)
		v |= CMOS_C_IRQF;
	c->ram[CMOS_REG_C] = 0;
	return v;
}

static uint8_t read_reg(struct cmos *c, unsigned idx)
{
	struct rtc_time tm;

	if (is_time_reg(idx) && !(c->ram[CMOS_REG_B] & CMOS_B_SET)) {
		time_to_rtc(guest_now(c), &tm);
		return time_reg(c, idx, &tm);
	}
	switch (idx) {
	case CMOS_REG_A:
		return c->ram[idx] & 0x7f;      /* UIP never set */
	case CMOS_REG_C:
		return read_reg_c(c);
	case CMOS_REG_D:
		return CMOS_D_VRT;
	}
	return c->ram[idx];
}

static void write_reg_b(struct cmos *c, uint8_t v)
{
	uint8_t old = c->ram[CMOS_REG_B];

	/* Commit in the mode the frozen fields were written in; snapshot in
	 * the mode they will be read in. */
	if ((old & CMOS_B_SET) && !(v & CMOS_B_SET))
		commit_time(c);
	c->ram[CMOS_REG_B] = v;
	if (!(old & CMOS_B_SET) && (v & CMOS_B_SET))
		snapshot_time(c);
}

static void write_reg(struct cmos *c, unsigned idx, uint8_t v)
{
	if (is_time_reg(idx)) {
		if (c->ram[CMOS_REG_B] & CMOS_B_SET) {
			c->ram[idx] = v;
			return;
		}
		snapshot_time(c);
		c->ram[idx] = v;
		commit_time(c);
		return;
	}
	switch (idx) {
	case CMOS_REG_A:
		c->ram[idx] = v & 0x7f;
		break;
	case CMOS_REG_B:
		write_reg_b(c, v);
		break;
	case CMOS_REG_C:
	case CMOS_REG_D:
		break;                          /* read-only */
	default:
		c->ram[idx] = v;
	}
}

uint64_t cmos_read(void *opaque, uint64_t off, unsigned size)
{
	struct cmos *c = opaque;

	if (size != 1 || off != 1)              /* the index port is write-only */
		return ~0ULL;
	return read_reg(c, c->index);
}

void cmos_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct cmos *c = opaque;

	if (size != 1 || off > 1)
		return;
	if (off == 0)
		c->index = v & (CMOS_SIZE - 1);  /* bit 7 is NMI disable: ignored */
	else
		write_reg(c, c->index, (uint8_t)v);
}

static void put16(struct cmos *c, unsigned lo, uint64_t v)
{
	c->ram[lo] = (uint8_t)v;
	c->ram[lo + 1] = (uint8_t)(v >> 8);
}

static void set_memory_sizes(struct cmos *c, const struct guest_mem *gm)
{
	uint64_t ext = gm->low_end > MiB ? (gm->low_end - MiB) / KiB : 0;
	uint64_t mem16 = gm->low_end > 16 * MiB ? (gm->low_end - 16 * MiB) / (64 * KiB) : 0;
	uint64_t high = gm->high_end > MEM_4G ? (gm->high_end - MEM_4G) / (64 * KiB) : 0;
	unsigned i, sum = 0;

	put16(c, CMOS_BASEMEM_LO, 640);
	put16(c, CMOS_EXTMEM_LO, ext > 0xffff ? 0xffff : ext);
	put16(c, CMOS_EXTMEM2_LO, ext > 0xffff ? 0xffff : ext);
	put16(c, CMOS_MEM16M_LO, mem16 > 0xffff ? 0xffff : mem16);
	if (high > 0xffffff)
		high = 0xffffff;
	c->ram[CMOS_MEM4G_LO] = (uint8_t)high;
	c->ram[CMOS_MEM4G_MID] = (uint8_t)(high >> 8);
	c->ram[CMOS_MEM4G_HI] = (uint8_t)(high >> 16);
	for (i = 0x10; i < CMOS_CSUM_HI; i++)
		sum += c->ram[i];
	c->ram[CMOS_CSUM_HI] = (uint8_t)(sum >> 8);
	c->ram[CMOS_CSUM_LO] = (uint8_t)sum;
}

int cmos_init(struct cmos *c, const struct guest_mem *gm, int n_cpus)
{
	if (n_cpus < 1 || n_cpus > 256)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->ram[CMOS_REG_A] = REG_A_RESET;
	c->ram[CMOS_REG_B] = CMOS_B_24H;
	c->ram[CMOS_REG_D] = CMOS_D_VRT;
	set_memory_sizes(c, gm);
	c->ram[CMOS_NR_CPUS] = (uint8_t)(n_cpus - 1);
	return 0;
}

int cmos_attach(struct cmos *c, struct io_bus *pio)
{
	int ret = io_bus_add(pio, CMOS_PORT, 2, cmos_read, cmos_write, c, "CMOS RTC");

	c->attached = ret == 0;
	return ret;
}

int cmos_save(const struct cmos *c, struct snap_out *out)
{
	snap_put_u8(out, c->index);
	snap_put_bytes(out, c->ram, CMOS_SIZE);
	snap_put_u64(out, (uint64_t)c->offset);
	snap_put_u64(out, (uint64_t)c->last_uf);
	return snap_out_error(out);
}

/* The most a clock offset can be: the span of the years the chip counts. */
static int64_t offset_max(void)
{
	return days_before_year(MAX_YEAR + 1) * SECS_PER_DAY;
}

static void check_regs(const uint8_t *ram, struct snap_in *in)
{
	if (ram[CMOS_REG_A] & 0x80)
		snap_in_fail(in, "register A with UIP set (it never is)");
	else if (ram[CMOS_REG_C])
		snap_in_fail(in, "register C with flags latched (it never holds any)");
	else if (ram[CMOS_REG_D] != CMOS_D_VRT)
		snap_in_fail(in, "register D other than VRT (0x80)");
}

int cmos_load(struct cmos *c, struct snap_in *in)
{
	uint8_t index = snap_get_u8(in), ram[CMOS_SIZE];
	int64_t offset, last_uf;

	if (index >= CMOS_SIZE)
		snap_in_fail(in, "an index past the 128 bytes");
	snap_get_bytes(in, ram, CMOS_SIZE);
	if (!snap_in_failed(in))
		check_regs(ram, in);
	offset = (int64_t)snap_get_u64(in);
	if (offset > offset_max() || offset < -offset_max())
		snap_in_fail(in, "a clock offset beyond the years 1970-9999");
	last_uf = (int64_t)snap_get_u64(in);
	if (snap_in_failed(in))
		return -1;
	c->index = index;
	memcpy(c->ram, ram, CMOS_SIZE);
	c->offset = offset;
	c->last_uf = last_uf;
	return 0;
}
