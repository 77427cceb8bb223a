/* The MC146818 CMOS real-time clock and its 128 bytes of NVRAM at ports
 * 0x70 (index) and 0x71 (data), with the memory-size bytes firmware reads. */
#ifndef CONDUIT_CMOS_H
#define CONDUIT_CMOS_H

#include <stdbool.h>
#include <stdint.h>
#include "../vmm/io_bus.h"
#include "../vmm/memmap.h"

#define CMOS_PORT 0x70          /* index; CMOS_PORT + 1 is data */
#define CMOS_SIZE 128

/* Register indices (the ones that are not plain NVRAM, and the ones
 * firmware reads). */
#define CMOS_SECONDS      0x00
#define CMOS_SECONDS_ALARM 0x01
#define CMOS_MINUTES      0x02
#define CMOS_MINUTES_ALARM 0x03
#define CMOS_HOURS        0x04
#define CMOS_HOURS_ALARM  0x05
#define CMOS_WEEKDAY      0x06  /* 1 = Sunday */
#define CMOS_MDAY         0x07
#define CMOS_MONTH        0x08
#define CMOS_YEAR         0x09  /* year % 100 */
#define CMOS_REG_A        0x0a
#define CMOS_REG_B        0x0b
#define CMOS_REG_C        0x0c
#define CMOS_REG_D        0x0d
#define CMOS_BASEMEM_LO   0x15  /* KiB below 1 MiB */
#define CMOS_BASEMEM_HI   0x16
#define CMOS_EXTMEM_LO    0x17  /* KiB above 1 MiB, at most 0xffff */
#define CMOS_EXTMEM_HI    0x18
#define CMOS_CSUM_HI      0x2e  /* sum of 0x10-0x2d */
#define CMOS_CSUM_LO      0x2f
#define CMOS_EXTMEM2_LO   0x30  /* copy of 0x17/0x18 */
#define CMOS_EXTMEM2_HI   0x31
#define CMOS_CENTURY      0x32
#define CMOS_MEM16M_LO    0x34  /* 64 KiB units from 16 MiB to the end of low RAM */
#define CMOS_MEM16M_HI    0x35
#define CMOS_MEM4G_LO     0x5b  /* 64 KiB units above 4 GiB, 24 bits */
#define CMOS_MEM4G_MID    0x5c
#define CMOS_MEM4G_HI     0x5d
#define CMOS_NR_CPUS      0x5f  /* number of CPUs minus 1 */

#define CMOS_B_SET   0x80       /* updates frozen: the guest is setting the time */
#define CMOS_B_DM    0x04       /* binary (else BCD) */
#define CMOS_B_24H   0x02
#define CMOS_C_IRQF  0x80
#define CMOS_C_UF    0x10
#define CMOS_D_VRT   0x80

struct cmos {
	uint8_t index;
	uint8_t ram[CMOS_SIZE];
	int64_t offset;         /* guest clock minus host clock, seconds */
	int64_t last_uf;        /* guest second at which UF was last reported */
	/* Host clock in seconds since the epoch (UTC); NULL means time(NULL).
	 * Set after cmos_init (tests fix the time with it). */
	int64_t (*clock)(void *opaque);
	void *clock_opaque;
	bool attached;          /* on a bus: the machine has this chip */
};

/* Reset the chip: 24-hour BCD clock, valid RAM, and the memory sizes of gm
 * and the CPU count (1 to 256). Returns -EINVAL on a bad count. */
int cmos_init(struct cmos *c, const struct guest_mem *gm, int n_cpus);
/* Claim ports 0x70-0x71 on pio. */
int cmos_attach(struct cmos *c, struct io_bus *pio);
/* Snapshot state (issue 15): u8 index, the 128 bytes, u64 clock offset
 * (guest minus host, seconds, two's complement: the guest's clock goes on
 * with the host's, keeping the time the guest set), u64 the guest second
 * of the last update-ended flag. Save returns 0 or the cursor's error. Load
 * refuses an index past 127, register A with UIP, register C with flags
 * (it never holds any), register D other than VRT and an offset beyond
 * the years the chip counts (snap_in_fail). No interrupt line. Returns 0
 * or -1. */
struct snap_out;
struct snap_in;
int cmos_save(const struct cmos *c, struct snap_out *out);
int cmos_load(struct cmos *c, struct snap_in *in);

uint64_t cmos_read(void *opaque, uint64_t off, unsigned size);
void cmos_write(void *opaque, uint64_t off, unsigned size, uint64_t v);

#endif
