/* Linux through the firmware, started the way a 16-bit boot loader starts it
 * (Documentation/arch/x86/boot.rst): plan where the real-mode setup code,
 * command line, protected-mode kernel and initrd go, patch a copy of the
 * setup header to say so, and offer the pieces to the firmware as fw_cfg
 * files together with the option ROM that loads them (boot/linuxboot.S),
 * its parameter table filled in and its checksums fixed. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/bootparam.h>
#include "fw_linux.h"
#include "linuxboot.h"

_Static_assert(LINUXBOOT_FW_CFG_DMA == FW_CFG_PORT_DMA, "fw_cfg DMA port");
_Static_assert(LINUXBOOT_DMA_ERROR == FW_CFG_DMA_ERROR &&
	       LINUXBOOT_DMA_READ == FW_CFG_DMA_READ &&
	       LINUXBOOT_DMA_SELECT == FW_CFG_DMA_SELECT, "fw_cfg DMA control bits");
_Static_assert(FW_LINUX_SETUP_ADDR % 16 == 0 && FW_LINUX_SETUP_ADDR < 0x100000,
	       "the setup code starts a real-mode segment");

#define HDR(field)          offsetof(struct boot_params, hdr.field)
#define MiB(x)              ((unsigned long long)(x) >> 20)
#define OLD_INITRD_MAX      0x37ffffffULL   /* before protocol 2.03 */
#define OLD_CMDLINE_SIZE    256             /* before 2.06, with the NUL */

enum { BLOB_SETUP, BLOB_CMDLINE, BLOB_KERNEL, BLOB_INITRD };

struct blob {
	const char *name;
	const void *data;
	uint64_t addr;
	uint64_t len;
	uint16_t key;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* Check the kernel against the boot protocol and RAM and choose the initrd
 * address (0 without one). *cmdline_len includes the NUL. */
static int plan(const struct bzimage *bz, size_t initrd_len, size_t *cmdline_len,
		uint64_t ram_top, uint64_t *initrd_addr, char *err, size_t errlen)
{
	uint64_t kaddr = FW_LINUX_KERNEL_ADDR, ksize = bz->kernel_size;
	uint64_t kend, top, imax, cmax;

	if (bz->version < 0x0202) {
		snprintf(err, errlen, "boot protocol %u.%02u is too old to boot through the firmware (need 2.02 or newer)",
			 bz->version >> 8, bz->version & 0xff);
		return -1;
	}
	if (!(bz->data[HDR(loadflags)] & LOADED_HIGH)) {
		snprintf(err, errlen, "a zImage, not a bzImage (not loaded high)");
		return -1;
	}
	if (bz->setup_size > FW_LINUX_SETUP_MAX) {
		snprintf(err, errlen, "real-mode setup code is %zu bytes, at most %llu fit below its heap",
			 bz->setup_size, FW_LINUX_SETUP_MAX);
		return -1;
	}
	cmax = bz->version >= 0x0206 ? bz->cmdline_size : OLD_CMDLINE_SIZE;
	if (cmax > FW_LINUX_CMDLINE_MAX)
		cmax = FW_LINUX_CMDLINE_MAX;
	if (*cmdline_len > cmax) {
		snprintf(err, errlen, "command line is %zu bytes, the kernel takes at most %llu",
			 *cmdline_len - 1, (unsigned long long)(cmax ? cmax - 1 : 0));
		return -1;
	}
	/* From 2.10 a kernel decompresses to pref_address (or above) whatever
	 * address it is loaded at and needs init_size bytes there. */
	if (bz->version >= 0x020a) {
		if (bz->pref_address > kaddr)
			kaddr = bz->pref_address;
		if (bz->init_size > ksize)
			ksize = bz->init_size;
	}
	top = ram_top > FW_LINUX_TOP_MARGIN ? ram_top - FW_LINUX_TOP_MARGIN : 0;
	if (top > MEM_4G)
		top = MEM_4G;
	if (kaddr >= top || ksize > top - kaddr) {
		snprintf(err, errlen, "kernel needs RAM up to %llu MiB, the firmware leaves it %llu MiB: raise --memory",
			 MiB(kaddr + ksize + (1 << 20) - 1), MiB(top));
		return -1;
	}
	kend = kaddr + ksize;
	*initrd_addr = 0;
	if (!initrd_len)
		return 0;
	imax = bz->version >= 0x0203 && bz->initrd_addr_max ?
	       bz->initrd_addr_max : OLD_INITRD_MAX;
	if (top > imax + 1)
		top = imax + 1;
	if (initrd_len > top || ((top - initrd_len) & ~0xfffULL) < kend) {
		snprintf(err, errlen, "initrd of %llu MiB does not fit in guest RAM above the kernel (%llu MiB free below %llu MiB): raise --memory",
			 MiB(initrd_len), MiB(top > kend ? top - kend : 0), MiB(top));
		return -1;
	}
	*initrd_addr = (top - initrd_len) & ~0xfffULL;
	return 0;
}

/* The header fields a 16-bit boot loader fills in. */
static void patch_setup(uint8_t *setup, uint64_t initrd_addr, size_t initrd_len)
{
	setup[HDR(type_of_loader)] = 0xff;
	setup[HDR(loadflags)] |= CAN_USE_HEAP;
	put16(setup + HDR(heap_end_ptr), FW_LINUX_HEAP_END);
	put32(setup + HDR(cmd_line_ptr), (uint32_t)FW_LINUX_CMDLINE_ADDR);
	put32(setup + HDR(ramdisk_image), (uint32_t)initrd_addr);
	put32(setup + HDR(ramdisk_size), (uint32_t)initrd_len);
}

static int add_blob(struct fw_cfg *fc, struct blob *b, char *err, size_t errlen)
{
	int i, r = fw_cfg_add_file(fc, b->name, b->data, b->len);

	if (r < 0) {
		snprintf(err, errlen, "fw_cfg: cannot add %s: %s", b->name, strerror(-r));
		return -1;
	}
	for (i = 0; i < fc->n_items; i++) {
		if (!strcmp(fc->items[i].name, b->name)) {
			b->key = fc->items[i].key;
			return 0;
		}
	}
	snprintf(err, errlen, "fw_cfg: %s missing after adding it", b->name);
	return -1;
}

/* The ROM as built, with the table listing blobs and both checksums fixed. */
static void build_rom(uint8_t *rom, const struct blob *blobs)
{
	uint8_t *t = rom + LINUXBOOT_TABLE;
	int i;

	memcpy(rom, linuxboot_rom, LINUXBOOT_ROM_SIZE);
	put16(t + LT_SETUP_SEG, (uint16_t)(FW_LINUX_SETUP_ADDR >> 4));
	put16(t + LT_STACK, FW_LINUX_STACK);
	for (i = 0; i < LINUXBOOT_NBLOBS; i++) {
		uint8_t *e = t + LT_BLOBS + i * LT_BLOB_SIZE;

		put16(e + LT_BLOB_KEY, blobs[i].len ? blobs[i].key : 0);
		put32(e + LT_BLOB_ADDR, (uint32_t)blobs[i].addr);
		put32(e + LT_BLOB_LEN, (uint32_t)blobs[i].len);
	}
	rom[LINUXBOOT_PNP_CSUM] = 0;
	rom[LINUXBOOT_PNP_CSUM] = (uint8_t)-sum(rom + LINUXBOOT_PNP, LINUXBOOT_PNP_LEN);
	rom[LINUXBOOT_CSUM] = 0;
	rom[LINUXBOOT_CSUM] = (uint8_t)-sum(rom, LINUXBOOT_ROM_SIZE);
}

int fw_linux_setup(struct fw_cfg *fc, const struct bzimage *bz,
		   const uint8_t *initrd, size_t initrd_len,
		   const char *cmdline, uint64_t ram_top,
		   char *err, size_t errlen)
{
	struct blob blobs[LINUXBOOT_NBLOBS];
	uint8_t rom[LINUXBOOT_ROM_SIZE], *setup = NULL;
	struct blob rom_blob = { FW_LINUX_ROM_FILE, rom, 0, sizeof(rom), 0 };
	size_t cmdline_len;
	uint64_t initrd_addr;
	int i, ret = -1;

	if (!cmdline)
		cmdline = "";
	cmdline_len = strlen(cmdline) + 1;
	if (plan(bz, initrd_len, &cmdline_len, ram_top, &initrd_addr, err, errlen))
		return -1;
	if (linuxboot_rom_end - linuxboot_rom != LINUXBOOT_ROM_SIZE ||
	    memcmp(linuxboot_rom + LINUXBOOT_TABLE + LT_MAGIC, LINUXBOOT_MAGIC, 4)) {
		snprintf(err, errlen, "built-in option ROM is malformed (%td bytes)",
			 linuxboot_rom_end - linuxboot_rom);
		return -1;
	}
	setup = malloc(bz->setup_size);
	if (!setup) {
		snprintf(err, errlen, "out of memory for the kernel's setup code");
		return -1;
	}
	memcpy(setup, bz->data, bz->setup_size);
	patch_setup(setup, initrd_addr, initrd_len);

	blobs[BLOB_SETUP] = (struct blob){ FW_LINUX_SETUP_FILE, setup,
					   FW_LINUX_SETUP_ADDR, bz->setup_size, 0 };
	blobs[BLOB_CMDLINE] = (struct blob){ FW_LINUX_CMDLINE_FILE, cmdline,
					     FW_LINUX_CMDLINE_ADDR, cmdline_len, 0 };
	blobs[BLOB_KERNEL] = (struct blob){ FW_LINUX_KERNEL_FILE, bz->data + bz->setup_size,
					    FW_LINUX_KERNEL_ADDR, bz->kernel_size, 0 };
	blobs[BLOB_INITRD] = (struct blob){ FW_LINUX_INITRD_FILE, initrd,
					    initrd_addr, initrd_len, 0 };
	for (i = 0; i < LINUXBOOT_NBLOBS; i++)
		if (blobs[i].len && add_blob(fc, &blobs[i], err, errlen))
			goto out;
	build_rom(rom, blobs);
	if (add_blob(fc, &rom_blob, err, errlen))
		goto out;
	ret = 0;
out:
	free(setup);
	return ret;
}
