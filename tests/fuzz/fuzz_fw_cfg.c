/* Fuzzer for fw_cfg (devices/fw_cfg.c): guest port reads and writes of any
 * size on and around the selector/data ports (0x510/0x511) and the DMA
 * address ports (0x514 high half, 0x518 low half), FWCfgDmaAccess
 * descriptors written into guest RAM, and DMA triggered at any address.
 * fw_cfg is set up with the built-in items, a few items and files, and a
 * number of extra files chosen by the input (past the directory's limit),
 * with or without DMA.
 *
 * Guest RAM is 64 KiB at 0x10000 and 4 KiB at 4 GiB, each with guard bytes
 * on both sides in the same allocation (writes there are invisible to
 * ASan). DMA goes through the project's gpa_to_hva, as in the machine, and
 * every answer it gives is checked against an independent one. A model
 * runs beside the device: the selected item and offset, the DMA high half,
 * and a shadow of guest RAM to which every DMA is applied as the interface
 * describes it. After every access: the offset is within the selected
 * item, data-port and signature reads are the model's, guard bytes are
 * intact, and after a DMA guest RAM equals the shadow and the descriptor's
 * control field is 0 or the error bit. At the end, every item (the
 * directory too) still holds exactly what the host added. */
#include <errno.h>
#include "fuzz.h"
#include "../../devices/fw_cfg.h"
#include "../../vmm/memmap.h"

#define LOW_GPA    0x10000ULL
#define LOW_SIZE   0x10000ULL
#define HIGH_GPA   0x100000000ULL
#define HIGH_SIZE  0x1000ULL
#define GUARD      256
#define GUARD_BYTE 0xa7
#define FILL_BYTE  0xcc

#define DIR_ENTRY  (4 + 2 + 2 + FW_CFG_NAME_LEN)
#define MAX_EXTRA  31
#define DATA_MAX   5000

struct region {
	uint64_t gpa, size;
	uint8_t *buf;           /* GUARD + size + GUARD */
	uint8_t *shadow;        /* the model's copy of the RAM part */
};

/* What the host put in: every item the guest may see. */
struct ref_item {
	uint16_t key;
	uint32_t len;
	const uint8_t *data;
};

static struct region regs[2];
static struct guest_mem gm;
static struct fw_cfg fc;
static struct io_bus pio;
static struct ref_item ref[FW_CFG_MAX_ITEMS];
static int n_ref;
static bool dma_on;

/* The model. */
static int m_item = -1;         /* index in ref, -1 for an unknown key */
static uint32_t m_off, m_hi;

/* Item contents (fixed) and the expected directory (built per run). */
static uint8_t ram_size[8], nb_cpus[2], max_cpus[2], e820[60], id[4];
static uint8_t boot_order[] = "/pci@i0cf8/*@1\nHALT";
static uint8_t rom[512], big[DATA_MAX], extra[DATA_MAX];
static uint8_t dir[4 + FW_CFG_MAX_FILES * DIR_ENTRY];
static uint32_t dir_len;
static char extra_names[MAX_EXTRA][16];
static const char long_name[] =
	"opt/org.example/a-name-that-is-exactly-55-characters-ok";
_Static_assert(sizeof(long_name) == FW_CFG_NAME_LEN, "the longest name there is");

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	regs[0] = (struct region){ LOW_GPA, LOW_SIZE, NULL, NULL };
	regs[1] = (struct region){ HIGH_GPA, HIGH_SIZE, NULL, NULL };
	for (i = 0; i < 2; i++) {
		regs[i].buf = malloc(regs[i].size + 2 * GUARD);
		regs[i].shadow = malloc(regs[i].size);
		if (!regs[i].buf || !regs[i].shadow)
			abort();
		gm.ram[i] = (struct ram_region){ regs[i].gpa, regs[i].size,
						 regs[i].buf + GUARD };
	}
	gm.n_ram = 2;
	gm.ram_size = LOW_SIZE + HIGH_SIZE;
	gm.low_end = LOW_GPA + LOW_SIZE;
	gm.high_end = HIGH_GPA + HIGH_SIZE;
	for (i = 0; i < 8; i++)
		ram_size[i] = (uint8_t)((256ULL << 20) >> (8 * i));
	nb_cpus[0] = max_cpus[0] = 4;
	for (i = 0; i < sizeof(e820); i++)
		e820[i] = (uint8_t)(i * 13 + 1);
	for (i = 0; i < sizeof(rom); i++)
		rom[i] = (uint8_t)(i ^ 0x55);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + (i >> 8));
	for (i = 0; i < sizeof(extra); i++)
		extra[i] = (uint8_t)(0xff - i * 3);
	for (i = 0; i < MAX_EXTRA; i++)
		snprintf(extra_names[i], sizeof(extra_names[i]), "opt/fuzz/%zu", i);
	return 0;
}

/* The host pointer for [gpa, gpa + len) inside one region, worked out
 * independently of gpa_to_hva; shadow picks the model's copy. */
static uint8_t *ram_at(uint64_t gpa, uint64_t len, bool shadow)
{
	int i;

	for (i = 0; i < 2; i++) {
		const struct region *r = &regs[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return (shadow ? r->shadow : r->buf + GUARD) + (gpa - r->gpa);
	}
	return NULL;
}

static void *translate(void *opaque, uint64_t gpa, uint64_t len)
{
	void *p;

	FUZZ_ASSERT(opaque == &gm);
	p = gpa_to_hva(&gm, gpa, len);
	FUZZ_ASSERT(p == ram_at(gpa, len, false));
	return p;
}

static void add_ref(uint16_t key, const uint8_t *data, uint32_t len)
{
	ref[n_ref++] = (struct ref_item){ key, len, data };
}

static void add_file(const char *name, const uint8_t *data, uint32_t len, int want)
{
	int files = (int)(dir_len - 4) / DIR_ENTRY;
	uint8_t *e = dir + dir_len;

	FUZZ_ASSERT(fw_cfg_add_file(&fc, name, data, len) == want);
	if (want)
		return;
	add_ref((uint16_t)(FW_CFG_FILE_FIRST + files), data, len);
	be32(e, len);
	e[4] = (uint8_t)((FW_CFG_FILE_FIRST + files) >> 8);
	e[5] = (uint8_t)(FW_CFG_FILE_FIRST + files);
	e[6] = e[7] = 0;
	memset(e + 8, 0, FW_CFG_NAME_LEN);
	memcpy(e + 8, name, strlen(name));
	dir_len += DIR_ENTRY;
	be32(dir, (uint32_t)files + 1);
}

/* fw_cfg with the built-in items, four items and 5 + n_extra files (the
 * ones past FW_CFG_MAX_FILES refused), plus the API's refusals. */
static void setup(unsigned n_extra)
{
	char too_long[FW_CFG_NAME_LEN + 1];
	unsigned i;

	FUZZ_ASSERT(fw_cfg_init(&fc, dma_on ? translate : NULL, &gm) == 0);
	n_ref = 0;
	id[0] = FW_CFG_ID_TRAD | (dma_on ? FW_CFG_ID_DMA : 0);
	add_ref(FW_CFG_SIGNATURE, (const uint8_t *)"QEMU", 4);
	add_ref(FW_CFG_ID, id, 4);
	add_ref(FW_CFG_FILE_DIR, dir, 0);       /* its length is set below */
	memset(dir, 0, 4);
	dir_len = 4;
	FUZZ_ASSERT(fw_cfg_add_item(&fc, FW_CFG_RAM_SIZE, ram_size, 8) == 0);
	add_ref(FW_CFG_RAM_SIZE, ram_size, 8);
	FUZZ_ASSERT(fw_cfg_add_item(&fc, FW_CFG_NB_CPUS, nb_cpus, 2) == 0);
	add_ref(FW_CFG_NB_CPUS, nb_cpus, 2);
	FUZZ_ASSERT(fw_cfg_add_item(&fc, FW_CFG_MAX_CPUS, NULL, 0) == 0);  /* empty */
	add_ref(FW_CFG_MAX_CPUS, max_cpus, 0);
	FUZZ_ASSERT(fw_cfg_add_item(&fc, FW_CFG_E820_TABLE, e820, sizeof(e820)) == 0);
	add_ref(FW_CFG_E820_TABLE, e820, sizeof(e820));
	/* What the host API refuses. */
	FUZZ_ASSERT(fw_cfg_add_item(&fc, FW_CFG_NB_CPUS, nb_cpus, 2) == -EEXIST);
	FUZZ_ASSERT(fw_cfg_add_item(&fc, FW_CFG_FILE_DIR, nb_cpus, 2) == -EEXIST);
	FUZZ_ASSERT(fw_cfg_add_item(&fc, FW_CFG_WRITE | 0x10, nb_cpus, 2) == -EINVAL);
	FUZZ_ASSERT(fw_cfg_add_item(&fc, FW_CFG_FILE_FIRST, nb_cpus, 2) == -EINVAL);
	FUZZ_ASSERT(fw_cfg_add_item(&fc, FW_CFG_ARCH_LOCAL | 0x20, nb_cpus, 2) == -EINVAL);
	FUZZ_ASSERT(fw_cfg_add_item(&fc, 0x10, NULL, 2) == -EINVAL);

	add_file("etc/boot-order", boot_order, sizeof(boot_order) - 1, 0);
	add_file("genroms/linuxboot.bin", rom, sizeof(rom), 0);
	add_file("etc/empty", NULL, 0, 0);
	add_file(long_name, big, sizeof(big), 0);
	memset(too_long, 'x', FW_CFG_NAME_LEN);
	too_long[FW_CFG_NAME_LEN] = 0;
	add_file(too_long, rom, 1, -EINVAL);
	add_file("", rom, 1, -EINVAL);
	FUZZ_ASSERT(fw_cfg_add_file(&fc, NULL, rom, 1) == -EINVAL);
	add_file("etc/empty", rom, 1, -EEXIST);
	add_file("etc/table-loader", big + 100, 1000, 0);
	for (i = 0; i < n_extra; i++)
		add_file(extra_names[i], extra + i, (i * 37) % 300,
			 5 + i < FW_CFG_MAX_FILES ? 0 : -ENOSPC);
	ref[2].len = dir_len;
	memset(&pio, 0, sizeof(pio));
	pio.name = "pio";
	FUZZ_ASSERT(fw_cfg_attach(&fc, &pio) == 0);
}

static int ref_find(uint16_t key)
{
	int i;

	for (i = 0; i < n_ref; i++)
		if (ref[i].key == key)
			return i;
	return -1;
}

static uint32_t m_left(void)
{
	return m_item < 0 ? 0 : ref[m_item].len - m_off;
}

static void m_select(uint16_t key)
{
	m_item = ref_find(key & ~FW_CFG_WRITE);
	m_off = 0;
}

/* The model's answer to a read of size bytes at port p. */
static uint64_t m_read(unsigned p, unsigned size)
{
	static const char sig[] = "QEMU CFG";
	uint64_t v = 0;
	unsigned i;

	if (p == FW_CFG_PORT_SEL + 1 && size == 1) {
		if (!m_left())
			return 0;
		return ref[m_item].data[m_off++];
	}
	if (p >= FW_CFG_PORT_DMA && p + size <= FW_CFG_PORT_DMA + 8) {
		for (i = 0; i < size; i++)
			v |= (uint64_t)(uint8_t)sig[p - FW_CFG_PORT_DMA + i] << (8 * i);
		return v;
	}
	return ~0ULL;   /* the selector, odd sizes, partial or unclaimed ports */
}

/* One FWCfgDmaAccess at gpa, applied to the shadow: select, then read
 * (zeros past the item's end), write (refused) or skip; a transfer outside
 * one RAM region is an error and moves nothing; the control word becomes 0
 * or the error bit. A descriptor outside RAM is ignored. Returns whether
 * it was run. */
static bool m_dma(uint64_t gpa)
{
	uint8_t *d = ram_at(gpa, 16, true), *dst;
	uint32_t control, len, result = 0, n;
	uint64_t addr;

	if (!d)
		return false;
	control = get_be(d);
	len = get_be(d + 4);
	addr = (uint64_t)get_be(d + 8) << 32 | get_be(d + 12);
	if (control & FW_CFG_DMA_SELECT)
		m_select((uint16_t)(control >> 16));
	if (control & FW_CFG_DMA_READ) {
		dst = len ? ram_at(addr, len, true) : NULL;
		if (len && !dst) {
			result = FW_CFG_DMA_ERROR;
		} else if (len) {
			n = m_left() < len ? m_left() : len;
			if (n)
				memcpy(dst, ref[m_item].data + m_off, n);
			memset(dst + n, 0, len - n);
			m_off += n;
		}
	} else if (control & FW_CFG_DMA_WRITE) {
		result = FW_CFG_DMA_ERROR;
	} else if (control & FW_CFG_DMA_SKIP) {
		m_off += m_left() < len ? m_left() : len;
	}
	be32(d, result);
	return true;
}

static void m_write(unsigned p, unsigned size, uint32_t v)
{
	uint32_t half = __builtin_bswap32(v);

	if (p == FW_CFG_PORT_SEL && size == 2)
		m_select((uint16_t)v);
	if (!dma_on || size != 4)
		return;
	if (p == FW_CFG_PORT_DMA) {
		m_hi = half;
	} else if (p == FW_CFG_PORT_DMA + 4) {
		m_dma((uint64_t)m_hi << 32 | half);
		m_hi = 0;
	}
}

static void check_guards(void)
{
	static uint8_t guard[GUARD];
	int i;

	if (!guard[0])
		memset(guard, GUARD_BYTE, GUARD);
	for (i = 0; i < 2; i++)
		FUZZ_ASSERT(!memcmp(regs[i].buf, guard, GUARD) &&
			    !memcmp(regs[i].buf + GUARD + regs[i].size, guard, GUARD));
}

static void check_ram(void)
{
	int i;

	for (i = 0; i < 2; i++)
		FUZZ_ASSERT(!memcmp(regs[i].buf + GUARD, regs[i].shadow, regs[i].size));
}

static void check(void)
{
	FUZZ_ASSERT(fc.cur >= -1 && fc.cur < fc.n_items);
	if (fc.cur < 0) {
		FUZZ_ASSERT(m_item < 0 && fc.offset == 0);
	} else {
		FUZZ_ASSERT(m_item >= 0 && fc.items[fc.cur].key == ref[m_item].key);
		FUZZ_ASSERT(fc.offset <= fc.items[fc.cur].len);
	}
	FUZZ_ASSERT(fc.offset == m_off && m_off <= (m_item < 0 ? 0 : ref[m_item].len));
	FUZZ_ASSERT(fc.dma_hi == m_hi);
	check_guards();
}

/* What the host added is what the device holds, untouched. */
static void check_items(void)
{
	int i, j;

	FUZZ_ASSERT(fc.n_items == n_ref);
	for (i = 0; i < n_ref; i++) {
		j = ref_find(fc.items[i].key);
		FUZZ_ASSERT(j >= 0 && fc.items[i].len == ref[j].len);
		FUZZ_ASSERT(!ref[j].len || !memcmp(fc.items[i].data, ref[j].data, ref[j].len));
	}
}

/* A guest physical address: mostly in or around the 64 KiB region (both
 * ends), sometimes around the 4 GiB one, anywhere, or where gpa + len
 * wraps. */
static uint64_t gpa(struct fuzz_in *in)
{
	uint32_t v = fuzz_u32(in);

	switch (v >> 29) {
	case 7:
		return UINT64_MAX - (v & 0xfff);
	case 6:
		return HIGH_GPA - 0x100 + (v & 0x1fff);
	case 5:
		return (uint64_t)(v & 0x1fffffff) << (v & 7);
	case 4:
		return LOW_GPA + LOW_SIZE - 0x1000 + (v & 0x1fff);
	default:
		return LOW_GPA - 0x40 + (v & 0xffff);
	}
}

static void guest_write(uint64_t addr, const uint8_t *p, size_t len)
{
	uint8_t *h = ram_at(addr, len, false), *s = ram_at(addr, len, true);

	if (h) {
		memcpy(h, p, len);
		memcpy(s, p, len);
	}
}

static void port_read(unsigned p, unsigned size)
{
	uint64_t want = m_read(p, size);

	FUZZ_ASSERT(io_bus_read(&pio, p, size) == want);
}

static void port_write(unsigned p, unsigned size, uint32_t v)
{
	io_bus_write(&pio, p, size, v);
	m_write(p, size, v);
}

/* Point the device at a descriptor: be32 halves, high then low (or the
 * low half only, after whatever high half the device holds). */
static void dma_kick(uint64_t desc, bool write_hi)
{
	uint8_t *ctl;

	if (write_hi)
		port_write(FW_CFG_PORT_DMA, 4, __builtin_bswap32((uint32_t)(desc >> 32)));
	else
		desc = (uint64_t)m_hi << 32 | (uint32_t)desc;
	ctl = dma_on ? ram_at(desc, 16, false) : NULL;
	port_write(FW_CFG_PORT_DMA + 4, 4, __builtin_bswap32((uint32_t)desc));
	check_ram();
	if (ctl) {
		uint32_t c = get_be(ctl);

		FUZZ_ASSERT(c == 0 || c == FW_CFG_DMA_ERROR);
	}
}

/* Input: one byte (bits 0-1: DMA unless both set; bits 2-6: extra files),
 * then operations, each an op byte (bits 0-2 the kind) and its operands. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned ops = 0, i;
	uint8_t h = fuzz_u8(&in);

	dma_on = (h & 3) != 3;
	for (i = 0; i < 2; i++) {
		memset(regs[i].buf, GUARD_BYTE, GUARD);
		memset(regs[i].buf + GUARD, FILL_BYTE, regs[i].size);
		memset(regs[i].buf + GUARD + regs[i].size, GUARD_BYTE, GUARD);
		memset(regs[i].shadow, FILL_BYTE, regs[i].size);
	}
	setup(h >> 2 & MAX_EXTRA);
	m_item = -1;
	m_off = m_hi = 0;
	check();
	while (fuzz_more(&in) && ops++ < 2048) {
		uint8_t op = fuzz_u8(&in);

		switch (op & 7) {
		case 0:         /* select any key */
			port_write(FW_CFG_PORT_SEL, 2, fuzz_u16(&in));
			break;
		case 1: {       /* select one that exists, maybe with the write bit */
			uint8_t b = fuzz_u8(&in);

			port_write(FW_CFG_PORT_SEL, 2,
				   ref[b % n_ref].key | (b & 0x80 ? FW_CFG_WRITE : 0));
			break;
		}
		case 2:         /* a burst of data-port byte reads */
			for (i = 0; i <= (unsigned)(op >> 3); i++)
				port_read(FW_CFG_PORT_SEL + 1, 1);
			break;
		case 3: {       /* any access on or around the ports */
			unsigned p = 0x50e + fuzz_u8(&in) % 16, sz = fuzz_pio_size(op >> 3);

			if (op & 0x80)
				port_write(p, sz, (uint32_t)fuzz_value(&in, sz));
			else
				port_read(p, sz);
			break;
		}
		case 4: {       /* write a descriptor and run it */
			uint8_t d[16];
			uint64_t at = gpa(&in), addr;
			uint32_t control = fuzz_u8(&in) | (uint32_t)fuzz_u16(&in) << 16;
			uint32_t len = op & 0x80 ? fuzz_u32(&in) : fuzz_u16(&in);

			addr = gpa(&in);
			be32(d, control);
			be32(d + 4, len);
			be32(d + 8, (uint32_t)(addr >> 32));
			be32(d + 12, (uint32_t)addr);
			guest_write(at, d, sizeof(d));
			dma_kick(at, !(op & 0x40));
			break;
		}
		case 5:         /* run whatever is at an address */
			dma_kick(gpa(&in), !(op & 0x40));
			break;
		case 6: {       /* raw bytes into guest RAM */
			size_t len;
			uint64_t at = gpa(&in);
			const uint8_t *p = fuzz_take(&in, fuzz_u8(&in), &len);

			guest_write(at, p, len);
			break;
		}
		case 7:         /* the data port read with other sizes, or written */
			if (op & 0x80)
				port_write(FW_CFG_PORT_SEL + 1, fuzz_pio_size(op >> 3), fuzz_u8(&in));
			else
				port_read(FW_CFG_PORT_SEL + 1, fuzz_pio_size(op >> 3));
			break;
		}
		check();
	}
	check_ram();
	check_items();
	fw_cfg_destroy(&fc);
	return 0;
}
