/* The Linux x86 boot protocol (Documentation/arch/x86/boot.rst): validate a
 * bzImage's setup header, plan where kernel, initrd and command line go, and
 * fill the zero page for the 64-bit entry point. */
#include <stdio.h>
#include <string.h>
#include <asm/bootparam.h>
#include "bzimage.h"
#include "e820.h"

#define BOOT_ZERO_PAGE   0x7000ULL
#define BOOT_CMDLINE     0x20000ULL
#define BOOT_CMDLINE_MAX 0x10000ULL
#define BOOT_KERNEL_LOW  0x100000ULL
#define HDR_OFFSET       0x1f1

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

int bzimage_parse(const uint8_t *data, size_t len, struct bzimage *bz,
		  char *err, size_t errlen)
{
	unsigned setup_sects;
	uint64_t syssize;

	memset(bz, 0, sizeof(*bz));
	if (len < 0x264) {
		snprintf(err, errlen, "file is %zu bytes, too small to be a bzImage", len);
		return -1;
	}
	if (rd16(data + 0x1fe) != 0xaa55 || memcmp(data + 0x202, "HdrS", 4)) {
		snprintf(err, errlen, "not a Linux bzImage (no boot signature / HdrS header)");
		return -1;
	}
	bz->version = rd16(data + 0x206);
	if (bz->version < BOOT_MIN_PROTOCOL) {
		snprintf(err, errlen, "boot protocol %u.%02u is too old (need 2.12 or newer)",
			 bz->version >> 8, bz->version & 0xff);
		return -1;
	}
	if (!(data[0x211] & LOADED_HIGH)) {
		snprintf(err, errlen, "a zImage, not a bzImage (not loaded high)");
		return -1;
	}
	if (!(rd16(data + 0x236) & XLF_KERNEL_64)) {
		snprintf(err, errlen, "no 64-bit entry point (a 32-bit kernel?)");
		return -1;
	}
	setup_sects = data[0x1f1] ? data[0x1f1] : 4;
	bz->setup_size = (setup_sects + 1) * 512ULL;
	syssize = rd32(data + 0x1f4) * 16ULL;
	if (bz->setup_size >= len || syssize == 0 || syssize > len - bz->setup_size) {
		snprintf(err, errlen, "truncated: header says %llu bytes, file has %zu",
			 (unsigned long long)(bz->setup_size + syssize), len);
		return -1;
	}
	bz->data = data;
	bz->len = len;
	bz->kernel_size = len - bz->setup_size;
	bz->initrd_addr_max = rd32(data + 0x22c);
	bz->kernel_alignment = rd32(data + 0x230);
	bz->cmdline_size = rd32(data + 0x238);
	bz->pref_address = rd32(data + 0x258) | (uint64_t)rd32(data + 0x25c) << 32;
	bz->init_size = rd32(data + 0x260);
	if (bz->init_size < bz->kernel_size)
		bz->init_size = bz->kernel_size;
	return 0;
}

int bzimage_plan(const struct bzimage *bz, const struct guest_mem *gm,
		 uint64_t initrd_size, size_t cmdline_len,
		 struct boot_layout *out, char *err, size_t errlen)
{
	uint64_t kaddr, kend, top;

	memset(out, 0, sizeof(*out));
	if (cmdline_len + 1 > bz->cmdline_size || cmdline_len + 1 > BOOT_CMDLINE_MAX) {
		snprintf(err, errlen, "command line is %zu bytes, the kernel takes at most %u",
			 cmdline_len, bz->cmdline_size ? bz->cmdline_size - 1 : 0);
		return BOOT_ERR_CMDLINE;
	}
	/* A relocatable kernel decompresses to pref_address whatever address
	 * it is loaded at, so it needs [pref_address, + init_size) in RAM. */
	kaddr = bz->pref_address >= BOOT_KERNEL_LOW ? bz->pref_address : BOOT_KERNEL_LOW;
	if (kaddr >= gm->low_end || bz->init_size > gm->low_end - kaddr) {
		snprintf(err, errlen, "needs %u MiB of RAM from %llu MiB up, guest has %llu MiB below 4 GiB: raise --memory",
			 (unsigned)(((uint64_t)bz->init_size + (1 << 20) - 1) >> 20),
			 (unsigned long long)(kaddr >> 20),
			 (unsigned long long)(gm->low_end >> 20));
		return BOOT_ERR_KERNEL;
	}
	kend = kaddr + bz->init_size;
	out->kernel_addr = kaddr;
	out->entry = kaddr + 0x200;
	out->zero_page_addr = BOOT_ZERO_PAGE;
	out->cmdline_addr = BOOT_CMDLINE;
	out->initrd_size = initrd_size;
	if (!initrd_size)
		return 0;
	top = gm->low_end;
	if (bz->initrd_addr_max && top > (uint64_t)bz->initrd_addr_max + 1)
		top = (uint64_t)bz->initrd_addr_max + 1;
	if (initrd_size > top || ((top - initrd_size) & ~0xfffULL) < kend) {
		snprintf(err, errlen, "initrd of %llu MiB does not fit in guest RAM above the kernel (%llu MiB free below %llu MiB): raise --memory",
			 (unsigned long long)(initrd_size >> 20),
			 (unsigned long long)(top > kend ? (top - kend) >> 20 : 0),
			 (unsigned long long)(top >> 20));
		return BOOT_ERR_INITRD;
	}
	out->initrd_addr = (top - initrd_size) & ~0xfffULL;
	return 0;
}

int bzimage_load(const struct bzimage *bz, const struct guest_mem *gm,
		 const struct boot_layout *lay, const uint8_t *initrd,
		 const char *cmdline, uint64_t rsdp_addr,
		 char *err, size_t errlen)
{
	struct boot_params *bp;
	size_t hdr_end = 0x202 + bz->data[0x201];
	size_t cmdlen = strlen(cmdline) + 1;
	uint8_t *kdst, *idst = NULL;
	char *cdst;
	int n;

	bp = gpa_to_hva(gm, lay->zero_page_addr, sizeof(*bp));
	kdst = gpa_to_hva(gm, lay->kernel_addr, bz->kernel_size);
	cdst = gpa_to_hva(gm, lay->cmdline_addr, cmdlen);
	if (lay->initrd_size)
		idst = gpa_to_hva(gm, lay->initrd_addr, lay->initrd_size);
	if (!bp || !kdst || !cdst || (lay->initrd_size && !idst) ||
	    hdr_end > bz->setup_size || hdr_end > 0x1f1 + sizeof(bp->hdr) + 0x100) {
		snprintf(err, errlen, "boot layout does not fit guest RAM");
		return -1;
	}
	memset(bp, 0, sizeof(*bp));
	if (hdr_end - HDR_OFFSET > sizeof(bp->hdr))
		hdr_end = HDR_OFFSET + sizeof(bp->hdr);
	memcpy(&bp->hdr, bz->data + HDR_OFFSET, hdr_end - HDR_OFFSET);
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.code32_start = (uint32_t)lay->kernel_addr;
	bp->hdr.cmd_line_ptr = (uint32_t)lay->cmdline_addr;
	bp->hdr.ramdisk_image = (uint32_t)lay->initrd_addr;
	bp->hdr.ramdisk_size = (uint32_t)lay->initrd_size;
	bp->ext_ramdisk_image = (uint32_t)(lay->initrd_addr >> 32);
	bp->ext_ramdisk_size = (uint32_t)(lay->initrd_size >> 32);
	bp->acpi_rsdp_addr = rsdp_addr;
	n = e820_build(gm, bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE);
	if (n < 0) {
		snprintf(err, errlen, "e820 map does not fit the zero page");
		return -1;
	}
	bp->e820_entries = (uint8_t)n;
	memcpy(kdst, bz->data + bz->setup_size, bz->kernel_size);
	memcpy(cdst, cmdline, cmdlen);
	if (idst)
		memcpy(idst, initrd, lay->initrd_size);
	return 0;
}

int bzimage_release(const uint8_t *data, size_t len, char *out, size_t cap)
{
	size_t at, setup, n = 0;

	if (!cap || len < 0x264 || memcmp(data + 0x202, "HdrS", 4))
		return -1;
	setup = ((size_t)(data[0x1f1] ? data[0x1f1] : 4) + 1) * 512;
	at = 0x200 + (size_t)rd16(data + 0x20e);
	if (rd16(data + 0x20e) == 0 || at >= len || at >= setup)
		return -1;
	while (at + n < len && at + n < setup && n + 1 < cap) {
		uint8_t c = data[at + n];

		if (c == ' ' || c == '\0')
			break;
		if (c < 0x21 || c > 0x7e || c == '/')
			return -1;
		out[n++] = (char)c;
	}
	if (!n || (n + 1 == cap && at + n < len && data[at + n] != ' '))
		return -1;
	out[n] = '\0';
	return 0;
}
