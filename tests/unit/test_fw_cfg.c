/* Tests for devices/fw_cfg.c: the signature, ID, file directory and items
 * through the selector/data ports and through DMA, the item API's checks,
 * and hostile guests (addresses and lengths outside RAM, wrapping
 * addresses, odd access sizes, write requests). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "../../devices/fw_cfg.h"
#include "../../vmm/memmap.h"
#include "suites.h"

#define RAM_SIZE  0x10000ULL
#define HIGH_GPA  0x100000000ULL
#define DESC      0x1000ULL
#define BUF       0x2000ULL

static uint8_t low_ram[RAM_SIZE], high_ram[RAM_SIZE];
static struct guest_mem gm;
static struct fw_cfg fc;
static struct io_bus pio;
static int translations;

static void *translate(void *opaque, uint64_t gpa, uint64_t len)
{
	ck_assert_ptr_eq(opaque, &gm);
	translations++;
	return gpa_to_hva(&gm, gpa, len);
}

static void attach(void)
{
	memset(&pio, 0, sizeof(pio));
	pio.name = "test pio";
	ck_assert_int_eq(fw_cfg_attach(&fc, &pio), 0);
}

static void setup(void)
{
	memset(&gm, 0, sizeof(gm));
	memset(low_ram, 0, sizeof(low_ram));
	memset(high_ram, 0, sizeof(high_ram));
	gm.ram[0] = (struct ram_region){ 0, RAM_SIZE, low_ram };
	gm.ram[1] = (struct ram_region){ HIGH_GPA, RAM_SIZE, high_ram };
	gm.n_ram = 2;
	translations = 0;
	ck_assert_int_eq(fw_cfg_init(&fc, translate, &gm), 0);
	attach();
}

static void teardown(void)
{
	fw_cfg_destroy(&fc);
}

static void sel(uint16_t key)
{
	io_bus_write(&pio, FW_CFG_PORT_SEL, 2, key);
}

static uint8_t rdb(void)
{
	uint64_t v = io_bus_read(&pio, FW_CFG_PORT_SEL + 1, 1);

	ck_assert_uint_le(v, 0xff);
	return (uint8_t)v;
}

static void rdn(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n--)
		*p++ = rdb();
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint8_t *host(uint64_t gpa)
{
	return gpa >= HIGH_GPA ? high_ram + (gpa - HIGH_GPA) : low_ram + gpa;
}

/* Write a FWCfgDmaAccess at gpa (in RAM). */
static void put_desc(uint64_t gpa, uint32_t control, uint32_t len, uint64_t addr)
{
	uint8_t *d = host(gpa);

	put_be32(d, control);
	put_be32(d + 4, len);
	put_be32(d + 8, (uint32_t)(addr >> 32));
	put_be32(d + 12, (uint32_t)addr);
}

/* Start the DMA at gpa the way SeaBIOS does: the high half only when it is
 * not zero, then the low half. Both are big-endian on the wire. */
static void kick(uint64_t gpa)
{
	if (gpa >> 32)
		io_bus_write(&pio, FW_CFG_PORT_DMA, 4, __builtin_bswap32((uint32_t)(gpa >> 32)));
	io_bus_write(&pio, FW_CFG_PORT_DMA + 4, 4, __builtin_bswap32((uint32_t)gpa));
}

/* One DMA request with the descriptor at DESC; returns its control word after. */
static uint32_t dma(uint32_t control, uint32_t len, uint64_t addr)
{
	put_desc(DESC, control, len, addr);
	kick(DESC);
	return be32(host(DESC));
}

#define SELECT(key) ((uint32_t)(key) << 16 | FW_CFG_DMA_SELECT)

START_TEST(signature_by_port)
{
	char sig[5] = { 0 };
	int i;

	sel(FW_CFG_SIGNATURE);
	rdn(sig, 4);
	ck_assert_str_eq(sig, "QEMU");
	/* Past the end: zeros, however long the guest keeps reading. */
	for (i = 0; i < 1000; i++)
		ck_assert_uint_eq(rdb(), 0);
	/* Selecting again starts over. */
	sel(FW_CFG_SIGNATURE);
	ck_assert_uint_eq(rdb(), 'Q');
	/* The write bit in the selector does not matter for reads. */
	sel(FW_CFG_WRITE | FW_CFG_SIGNATURE);
	ck_assert_uint_eq(rdb(), 'Q');
}
END_TEST

START_TEST(id_by_port)
{
	uint8_t id[4];

	sel(FW_CFG_ID);
	rdn(id, 4);
	ck_assert_uint_eq(id[0], FW_CFG_ID_TRAD | FW_CFG_ID_DMA);
	ck_assert_uint_eq(id[1] | id[2] | id[3], 0);
	ck_assert_uint_eq(rdb(), 0);
}
END_TEST

/* Without a translation callback there is no DMA: the ID says so and the
 * DMA port does nothing. */
START_TEST(no_dma_without_callback)
{
	fw_cfg_destroy(&fc);
	ck_assert_int_eq(fw_cfg_init(&fc, NULL, NULL), 0);
	attach();
	sel(FW_CFG_ID);
	ck_assert_uint_eq(rdb(), FW_CFG_ID_TRAD);
	put_desc(DESC, SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ, 4, BUF);
	kick(DESC);
	ck_assert_uint_eq(be32(host(DESC)), SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ);
	ck_assert_uint_eq(be32(host(BUF)), 0);
}
END_TEST

START_TEST(empty_directory)
{
	uint8_t b[4];

	sel(FW_CFG_FILE_DIR);
	rdn(b, 4);
	ck_assert_uint_eq(be32(b), 0);
	ck_assert_uint_eq(rdb(), 0);
}
END_TEST

struct dir_entry {
	uint32_t size;
	uint16_t key;
	char name[FW_CFG_NAME_LEN];
};

static void read_dir_entry(struct dir_entry *e)
{
	uint8_t b[8];

	rdn(b, 8);
	e->size = be32(b);
	e->key = (uint16_t)(b[4] << 8 | b[5]);
	ck_assert_uint_eq(b[6] | b[7], 0);
	rdn(e->name, sizeof(e->name));
	ck_assert_uint_eq(e->name[FW_CFG_NAME_LEN - 1], 0);
}

START_TEST(directory_by_port)
{
	static const uint8_t e820[20] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa, 0, 0, 0, 0, 0, 1 };
	static const uint8_t wait[4] = { 0x60, 0xea, 0, 0 };
	const char *boot = "/pci@i0cf8/*@4\n";
	struct dir_entry e;
	uint8_t b[32];

	ck_assert_int_eq(fw_cfg_add_file(&fc, "etc/e820", e820, sizeof(e820)), 0);
	ck_assert_int_eq(fw_cfg_add_file(&fc, "bootorder", boot, strlen(boot)), 0);
	ck_assert_int_eq(fw_cfg_add_file(&fc, "etc/boot-fail-wait", wait, sizeof(wait)), 0);
	ck_assert_int_eq(fw_cfg_add_file(&fc, "etc/empty", NULL, 0), 0);

	sel(FW_CFG_FILE_DIR);
	rdn(b, 4);
	ck_assert_uint_eq(be32(b), 4);
	read_dir_entry(&e);
	ck_assert_uint_eq(e.size, sizeof(e820));
	ck_assert_uint_eq(e.key, FW_CFG_FILE_FIRST);
	ck_assert_str_eq(e.name, "etc/e820");
	read_dir_entry(&e);
	ck_assert_uint_eq(e.size, strlen(boot));
	ck_assert_uint_eq(e.key, FW_CFG_FILE_FIRST + 1);
	ck_assert_str_eq(e.name, "bootorder");
	read_dir_entry(&e);
	ck_assert_uint_eq(e.size, 4);
	ck_assert_uint_eq(e.key, FW_CFG_FILE_FIRST + 2);
	ck_assert_str_eq(e.name, "etc/boot-fail-wait");
	read_dir_entry(&e);
	ck_assert_uint_eq(e.size, 0);
	ck_assert_str_eq(e.name, "etc/empty");
	ck_assert_uint_eq(rdb(), 0);

	/* Each file reads back by its key. */
	sel(FW_CFG_FILE_FIRST);
	rdn(b, sizeof(e820));
	ck_assert_mem_eq(b, e820, sizeof(e820));
	ck_assert_uint_eq(rdb(), 0);
	sel(FW_CFG_FILE_FIRST + 1);
	rdn(b, strlen(boot));
	ck_assert_mem_eq(b, boot, strlen(boot));
	sel(FW_CFG_FILE_FIRST + 2);
	rdn(b, 4);
	ck_assert_mem_eq(b, wait, 4);
	sel(FW_CFG_FILE_FIRST + 3);
	ck_assert_uint_eq(rdb(), 0);
}
END_TEST

START_TEST(items_by_port)
{
	uint16_t cpus = 4;
	uint64_t ram = 256ULL << 20, got64 = 0;
	uint16_t got16 = 0;
	uint8_t e820[3] = { 1, 2, 3 }, b[3];

	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_NB_CPUS, &cpus, sizeof(cpus)), 0);
	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_RAM_SIZE, &ram, sizeof(ram)), 0);
	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_E820_TABLE, e820, sizeof(e820)), 0);
	/* The items are copies: later changes to the source do not show. */
	cpus = 9;
	e820[0] = 0xee;
	sel(FW_CFG_NB_CPUS);
	rdn(&got16, 2);
	ck_assert_uint_eq(got16, 4);
	sel(FW_CFG_RAM_SIZE);
	rdn(&got64, 8);
	ck_assert_uint_eq(got64, 256ULL << 20);
	sel(FW_CFG_E820_TABLE);
	rdn(b, 3);
	ck_assert_uint_eq(b[0], 1);
	ck_assert_uint_eq(b[2], 3);
	/* The same index without the arch bit is another (unknown) key. */
	sel(FW_CFG_E820_TABLE & ~FW_CFG_ARCH_LOCAL);
	ck_assert_uint_eq(rdb(), 0);
}
END_TEST

START_TEST(add_errors)
{
	char name[FW_CFG_NAME_LEN + 1];
	uint8_t x = 1;
	int i;

	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_SIGNATURE, &x, 1), -EEXIST);
	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_ID, &x, 1), -EEXIST);
	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_FILE_DIR, &x, 1), -EEXIST);
	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_FILE_FIRST, &x, 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(&fc, 0x3fff, &x, 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_ARCH_LOCAL | 0x20, &x, 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_WRITE | FW_CFG_NB_CPUS, &x, 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_NB_CPUS, NULL, 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_NB_CPUS, &x, (size_t)UINT32_MAX + 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_NB_CPUS, &x, 1), 0);
	ck_assert_int_eq(fw_cfg_add_item(&fc, FW_CFG_NB_CPUS, &x, 1), -EEXIST);

	ck_assert_int_eq(fw_cfg_add_file(&fc, NULL, &x, 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_file(&fc, "", &x, 1), -EINVAL);
	memset(name, 'a', sizeof(name) - 1);
	name[FW_CFG_NAME_LEN] = 0;                      /* 56 characters: too long */
	ck_assert_int_eq(fw_cfg_add_file(&fc, name, &x, 1), -EINVAL);
	name[FW_CFG_NAME_LEN - 1] = 0;                  /* 55: fits */
	ck_assert_int_eq(fw_cfg_add_file(&fc, name, &x, 1), 0);
	ck_assert_int_eq(fw_cfg_add_file(&fc, name, &x, 1), -EEXIST);
	ck_assert_int_eq(fw_cfg_add_file(&fc, "x", NULL, 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_file(&fc, "x", &x, (size_t)UINT32_MAX + 1), -EINVAL);
	/* Failed adds left nothing behind: the directory has the one file. */
	for (i = 1; i < FW_CFG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ck_assert_int_eq(fw_cfg_add_file(&fc, name, &x, 1), 0);
	}
	ck_assert_int_eq(fw_cfg_add_file(&fc, "one-too-many", &x, 1), -ENOSPC);
	sel(FW_CFG_FILE_DIR);
	ck_assert_uint_eq(rdb(), 0);
	ck_assert_uint_eq(rdb(), 0);
	ck_assert_uint_eq(rdb(), 0);
	ck_assert_uint_eq(rdb(), FW_CFG_MAX_FILES);
	/* The last file's key. */
	sel(FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES - 1);
	ck_assert_uint_eq(rdb(), 1);
}
END_TEST

START_TEST(unknown_keys_read_zero)
{
	static const uint16_t keys[] = { 0x0002, 0x0018, 0x001f, 0x0020, 0x3fff,
					 0x8000, 0xbfff, 0xffff };
	size_t i;
	int j;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		sel(keys[i]);
		for (j = 0; j < 16; j++)
			ck_assert_uint_eq(rdb(), 0);
	}
	/* And by DMA: the whole buffer is zeroed, and that is no error. */
	memset(host(BUF), 0xff, 64);
	ck_assert_uint_eq(dma(SELECT(0x1234) | FW_CFG_DMA_READ, 64, BUF), 0);
	for (j = 0; j < 64; j++)
		ck_assert_uint_eq(host(BUF)[j], 0);
	ck_assert_uint_eq(host(BUF)[64], 0);
}
END_TEST

/* Data-port writes are dropped: the item and the offset stay. */
START_TEST(data_writes_ignored)
{
	unsigned size;

	sel(FW_CFG_SIGNATURE);
	ck_assert_uint_eq(rdb(), 'Q');
	for (size = 1; size <= 8; size *= 2)
		io_bus_write(&pio, FW_CFG_PORT_SEL + 1, size, 0x4141414141414141ULL);
	sel(FW_CFG_WRITE | FW_CFG_SIGNATURE);
	io_bus_write(&pio, FW_CFG_PORT_SEL + 1, 1, 'X');
	ck_assert_uint_eq(rdb(), 'Q');
	ck_assert_uint_eq(rdb(), 'E');
	sel(FW_CFG_SIGNATURE);
	ck_assert_uint_eq(rdb(), 'Q');
}
END_TEST

START_TEST(port_sizes)
{
	sel(FW_CFG_SIGNATURE);
	/* Only byte reads of the data port; the selector is write-only. */
	ck_assert_uint_eq(io_bus_read(&pio, FW_CFG_PORT_SEL, 2), ~0ULL);
	ck_assert_uint_eq(io_bus_read(&pio, FW_CFG_PORT_SEL, 1), ~0ULL);
	ck_assert_uint_eq(io_bus_read(&pio, FW_CFG_PORT_SEL + 1, 2), ~0ULL);
	ck_assert_uint_eq(io_bus_read(&pio, FW_CFG_PORT_SEL + 1, 4), ~0ULL);
	ck_assert_uint_eq(fw_cfg_read(&fc, 2, 1), ~0ULL);
	ck_assert_uint_eq(fw_cfg_read(&fc, ~0ULL, 1), ~0ULL);
	ck_assert_uint_eq(rdb(), 'Q');                  /* none of those advanced */
	/* Only 16-bit selector writes select. */
	io_bus_write(&pio, FW_CFG_PORT_SEL, 1, FW_CFG_ID);
	io_bus_write(&pio, FW_CFG_PORT_SEL, 4, FW_CFG_ID);
	fw_cfg_write(&fc, 2, 2, FW_CFG_ID);
	fw_cfg_write(&fc, ~0ULL, 2, FW_CFG_ID);
	ck_assert_uint_eq(rdb(), 'E');
	/* A selector value wider than 16 bits is truncated. */
	io_bus_write(&pio, FW_CFG_PORT_SEL, 2, 0xabcd0000ULL | FW_CFG_ID);
	ck_assert_uint_eq(rdb(), FW_CFG_ID_TRAD | FW_CFG_ID_DMA);
}
END_TEST

START_TEST(dma_read)
{
	uint8_t *buf = host(BUF);

	memset(buf, 0xff, 16);
	ck_assert_uint_eq(dma(SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ, 4, BUF), 0);
	ck_assert_mem_eq(buf, "QEMU", 4);
	ck_assert_uint_eq(buf[4], 0xff);                /* exactly the length */
	/* Longer than the item: the rest is zeros. */
	ck_assert_uint_eq(dma(SELECT(FW_CFG_ID) | FW_CFG_DMA_READ, 12, BUF), 0);
	ck_assert_uint_eq(buf[0], 3);
	ck_assert_uint_eq(buf[1] | buf[2] | buf[3] | buf[11], 0);
	ck_assert_uint_eq(buf[12], 0xff);
	/* Without SELECT the transfer continues where the last one ended. */
	ck_assert_uint_eq(dma(SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ, 2, BUF), 0);
	ck_assert_uint_eq(dma(FW_CFG_DMA_READ, 2, BUF + 2), 0);
	ck_assert_mem_eq(buf, "QEMU", 4);
	/* So do port reads. */
	ck_assert_uint_eq(rdb(), 0);
	/* A zero-length read is a no-op that succeeds. */
	ck_assert_uint_eq(dma(SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ, 0, BUF), 0);
	ck_assert_uint_eq(rdb(), 'Q');
}
END_TEST

/* Descriptor and buffer above 4 GiB; the high half of the address is reset
 * after each request, as SeaBIOS writes it only when it is not zero. */
START_TEST(dma_high_addresses)
{
	put_desc(HIGH_GPA + 0x100, SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ, 4, HIGH_GPA + 0x200);
	kick(HIGH_GPA + 0x100);
	ck_assert_uint_eq(be32(host(HIGH_GPA + 0x100)), 0);
	ck_assert_mem_eq(host(HIGH_GPA + 0x200), "QEMU", 4);
	ck_assert_uint_eq(dma(SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ, 4, BUF), 0);
	ck_assert_mem_eq(host(BUF), "QEMU", 4);
}
END_TEST

START_TEST(dma_skip_and_select)
{
	static const char text[] = "0123456789abcdef";
	uint8_t *buf = host(BUF);

	ck_assert_int_eq(fw_cfg_add_file(&fc, "etc/text", text, 16), 0);
	ck_assert_uint_eq(dma(SELECT(FW_CFG_FILE_FIRST) | FW_CFG_DMA_SKIP, 3, 0xdeadbeef000ULL), 0);
	ck_assert_uint_eq(dma(FW_CFG_DMA_READ, 5, BUF), 0);
	ck_assert_mem_eq(buf, "34567", 5);
	/* SELECT alone: the port reads start at the item's beginning. */
	ck_assert_uint_eq(dma(SELECT(FW_CFG_FILE_FIRST), 0xffffffff, 0), 0);
	ck_assert_uint_eq(rdb(), '0');
	/* A skip past the end stops at the end. */
	ck_assert_uint_eq(dma(FW_CFG_DMA_SKIP, 0xffffffff, 0), 0);
	ck_assert_uint_eq(rdb(), 0);
	ck_assert_uint_eq(dma(FW_CFG_DMA_SKIP, 0xffffffff, 0), 0);
	memset(buf, 0xff, 4);
	ck_assert_uint_eq(dma(FW_CFG_DMA_READ, 4, BUF), 0);
	ck_assert_uint_eq(be32(buf), 0);
	/* READ wins over SKIP when both are set. */
	ck_assert_uint_eq(dma(SELECT(FW_CFG_FILE_FIRST) | FW_CFG_DMA_SKIP | FW_CFG_DMA_READ, 2, BUF), 0);
	ck_assert_mem_eq(buf, "01", 2);
	/* No operation bit at all: nothing moves, no error. */
	ck_assert_uint_eq(dma(0, 8, BUF + 100), 0);
	ck_assert_uint_eq(rdb(), '2');
}
END_TEST

/* A snapshot of all guest RAM but the descriptor's control word, to show a
 * refused request wrote nothing else. */
static uint8_t before_low[RAM_SIZE], before_high[RAM_SIZE];

static void snapshot(void)
{
	memcpy(before_low, low_ram, RAM_SIZE);
	memcpy(before_high, high_ram, RAM_SIZE);
}

/* A request that must fail: returns its control word after, having checked
 * that nothing else in RAM changed. */
static uint32_t dma_refused(uint32_t control, uint32_t len, uint64_t addr)
{
	put_desc(DESC, control, len, addr);
	snapshot();
	kick(DESC);
	memcpy(before_low + DESC, low_ram + DESC, 4);
	ck_assert_int_eq(memcmp(before_low, low_ram, RAM_SIZE), 0);
	ck_assert_int_eq(memcmp(before_high, high_ram, RAM_SIZE), 0);
	return be32(host(DESC));
}

START_TEST(dma_outside_ram)
{
	static const struct { uint64_t addr; uint32_t len; } bad[] = {
		{ RAM_SIZE, 1 },                        /* just past low RAM */
		{ RAM_SIZE - 3, 4 },                    /* straddles its end */
		{ BUF, 0xffffffff },                    /* huge length */
		{ BUF, (uint32_t)RAM_SIZE },            /* past the end */
		{ 0, (uint32_t)RAM_SIZE + 1 },
		{ 0xc0000000ULL, 4 },                   /* the PCI hole */
		{ 0xfee00000ULL, 4 },                   /* the MSI window */
		{ HIGH_GPA - 2, 4 },                    /* runs into high RAM */
		{ HIGH_GPA + RAM_SIZE - 1, 2 },
		{ 0xfffffffffffffff0ULL, 0x20 },        /* wraps around */
		{ 0xffffffffffffffffULL, 1 },
		{ 0xffffffffffffffffULL, 0xffffffff },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_uint_eq(dma_refused(SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ,
					      bad[i].len, bad[i].addr), FW_CFG_DMA_ERROR);
		/* The failed read did not advance the offset. */
		ck_assert_uint_eq(rdb(), 'Q');
	}
	/* The exact end of a region is fine. */
	ck_assert_uint_eq(dma(SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ, 4, RAM_SIZE - 4), 0);
	ck_assert_mem_eq(host(RAM_SIZE - 4), "QEMU", 4);
	ck_assert_uint_eq(dma(SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ, 4,
			      HIGH_GPA + RAM_SIZE - 4), 0);
	ck_assert_mem_eq(high_ram + RAM_SIZE - 4, "QEMU", 4);
}
END_TEST

/* A descriptor that is not wholly in RAM is never read or written. */
START_TEST(dma_descriptor_outside_ram)
{
	static const uint64_t bad[] = {
		RAM_SIZE, RAM_SIZE - 8, RAM_SIZE - 15, 0xc0000000ULL, HIGH_GPA - 8,
		HIGH_GPA + RAM_SIZE - 1, 0xfffffffffffffff8ULL, 0xffffffffffffffffULL,
	};
	size_t i;

	put_desc(RAM_SIZE - 16, SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ, 4, BUF);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snapshot();
		kick(bad[i]);
		ck_assert_int_eq(memcmp(before_low, low_ram, RAM_SIZE), 0);
		ck_assert_int_eq(memcmp(before_high, high_ram, RAM_SIZE), 0);
	}
	/* The last 16 bytes of RAM hold a valid one. */
	kick(RAM_SIZE - 16);
	ck_assert_uint_eq(be32(host(RAM_SIZE - 16)), 0);
	ck_assert_mem_eq(host(BUF), "QEMU", 4);
}
END_TEST

START_TEST(dma_write_refused)
{
	uint8_t *buf = host(BUF);

	memcpy(buf, "EVIL", 4);
	ck_assert_uint_eq(dma_refused(SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_WRITE, 4, BUF),
			  FW_CFG_DMA_ERROR);
	ck_assert_uint_eq(dma_refused(SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_WRITE | FW_CFG_DMA_SKIP,
			      4, BUF), FW_CFG_DMA_ERROR);
	sel(FW_CFG_SIGNATURE);
	ck_assert_uint_eq(rdb(), 'Q');
	/* A stale error bit from the guest is cleared on success. */
	ck_assert_uint_eq(dma(SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ | FW_CFG_DMA_ERROR,
			      4, BUF), 0);
}
END_TEST

/* The DMA ports take 32-bit writes at 0x514 and 0x518 only; reads show
 * the "QEMU CFG" signature. */
START_TEST(dma_port_sizes)
{
	unsigned size, off;

	put_desc(DESC, SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ, 4, BUF);
	for (size = 1; size <= 8; size *= 2) {
		for (off = 0; off < 8; off++) {
			if (size == 4 && (off == 0 || off == 4))
				continue;
			io_bus_write(&pio, FW_CFG_PORT_DMA + off, size,
				     __builtin_bswap32((uint32_t)DESC));
		}
	}
	ck_assert_uint_eq(be32(host(BUF)), 0);
	ck_assert_uint_eq(translations, 0);
	ck_assert_uint_eq(io_bus_read(&pio, FW_CFG_PORT_DMA, 4), 0x554d4551);    /* "QEMU" */
	ck_assert_uint_eq(io_bus_read(&pio, FW_CFG_PORT_DMA + 4, 4), 0x47464320); /* " CFG" */
	ck_assert_uint_eq(io_bus_read(&pio, FW_CFG_PORT_DMA + 7, 1), 'G');
	ck_assert_uint_eq(io_bus_read(&pio, FW_CFG_PORT_DMA + 6, 2), 0x4746);
	ck_assert_uint_eq(io_bus_read(&pio, FW_CFG_PORT_DMA + 6, 4), ~0ULL);
	ck_assert_uint_eq(io_bus_read(&pio, FW_CFG_PORT_DMA, 8), ~0ULL);
	ck_assert_uint_eq(io_bus_read(&pio, FW_CFG_PORT_DMA + 1, 3), ~0ULL);
	ck_assert_uint_eq(fw_cfg_dma_read(&fc, ~0ULL, 1), ~0ULL);
	ck_assert_uint_eq(fw_cfg_dma_read(&fc, ~0ULL - 1, 4), ~0ULL);
	fw_cfg_dma_write(&fc, ~0ULL, 4, 0);
	/* A lone high half does nothing until the low half comes. */
	io_bus_write(&pio, FW_CFG_PORT_DMA, 4, __builtin_bswap32(1));
	ck_assert_uint_eq(translations, 0);
	kick(HIGH_GPA + 0x100);
	ck_assert_uint_eq(translations, 1);             /* an all-zero descriptor */
	ck_assert_uint_eq(be32(host(HIGH_GPA + 0x100)), 0);
}
END_TEST

/* The descriptor overlaps its own destination, and the destination is the
 * descriptor: the guest gets what it asked for and nothing breaks. */
START_TEST(dma_self_overlap)
{
	ck_assert_uint_eq(dma(SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ, 16, DESC), 0);
	ck_assert_uint_eq(be32(host(DESC)), 0);         /* control overwritten last */
	ck_assert_uint_eq(be32(host(DESC + 4)), 0);     /* zero fill after "QEMU" */
	put_desc(DESC, SELECT(FW_CFG_SIGNATURE) | FW_CFG_DMA_READ, 4, DESC + 8);
	kick(DESC);
	ck_assert_mem_eq(host(DESC + 8), "QEMU", 4);
}
END_TEST

/* A file added while the directory is selected: the reads go on in the
 * new, longer directory and stop at its end. */
START_TEST(reselect_after_add)
{
	uint8_t b[4];
	int i;

	ck_assert_int_eq(fw_cfg_add_file(&fc, "a", "A", 1), 0);
	sel(FW_CFG_FILE_DIR);
	rdn(b, 4);
	ck_assert_int_eq(fw_cfg_add_file(&fc, "b", "B", 1), 0);
	for (i = 0; i < 2 * 64 + 16; i++)
		rdb();
	ck_assert_uint_eq(rdb(), 0);
	sel(FW_CFG_FILE_DIR);
	rdn(b, 4);
	ck_assert_uint_eq(be32(b), 2);
}
END_TEST

Suite *fw_cfg_suite(void)
{
	Suite *s = suite_create("fw_cfg");
	TCase *ports = tcase_create("ports");
	TCase *dmas = tcase_create("dma");

	tcase_add_checked_fixture(ports, setup, teardown);
	tcase_add_test(ports, signature_by_port);
	tcase_add_test(ports, id_by_port);
	tcase_add_test(ports, no_dma_without_callback);
	tcase_add_test(ports, empty_directory);
	tcase_add_test(ports, directory_by_port);
	tcase_add_test(ports, items_by_port);
	tcase_add_test(ports, add_errors);
	tcase_add_test(ports, unknown_keys_read_zero);
	tcase_add_test(ports, data_writes_ignored);
	tcase_add_test(ports, port_sizes);
	tcase_add_test(ports, reselect_after_add);
	suite_add_tcase(s, ports);

	tcase_add_checked_fixture(dmas, setup, teardown);
	tcase_add_test(dmas, dma_read);
	tcase_add_test(dmas, dma_high_addresses);
	tcase_add_test(dmas, dma_skip_and_select);
	tcase_add_test(dmas, dma_outside_ram);
	tcase_add_test(dmas, dma_descriptor_outside_ram);
	tcase_add_test(dmas, dma_write_refused);
	tcase_add_test(dmas, dma_port_sizes);
	tcase_add_test(dmas, dma_self_overlap);
	suite_add_tcase(s, dmas);
	return s;
}
