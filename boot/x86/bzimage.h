/* The Linux x86 boot protocol: bzImage header validation and loading. */
#ifndef CONDUIT_BZIMAGE_H
#define CONDUIT_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "../../vmm/memmap.h"

#define BOOT_MIN_PROTOCOL 0x020c  /* 2.12: xloadflags and the 64-bit entry */

struct bzimage {
	const uint8_t *data;
	size_t len;
	uint16_t version;
	size_t setup_size;          /* real-mode part, bytes */
	size_t kernel_size;         /* protected-mode part, bytes */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	uint32_t init_size;
	uint64_t pref_address;
	uint32_t kernel_alignment;
};

/* Validate a bzImage held in memory. On error, err says what is wrong
 * (the caller prefixes the file name). */
int bzimage_parse(const uint8_t *data, size_t len, struct bzimage *bz,
		  char *err, size_t errlen);

/* The kernel's release ("6.1.0-57-cloud-amd64"): the first word of the
 * header's kernel_version string, which names /lib/modules/RELEASE. 0, or
 * -1 when the header has none or it is not printable text in the setup
 * part. Works on any bytes (checks what bzimage_parse does not). */
int bzimage_release(const uint8_t *data, size_t len, char *out, size_t cap);

/* Where things go in guest memory, computed from the header and RAM. */
struct boot_layout {
	uint64_t kernel_addr;
	uint64_t initrd_addr;
	uint64_t initrd_size;
	uint64_t cmdline_addr;
	uint64_t zero_page_addr;
	uint64_t entry;             /* 64-bit entry point */
};

/* Returns 0, or BOOT_ERR_KERNEL / BOOT_ERR_INITRD / BOOT_ERR_CMDLINE with
 * err saying what does not fit. */
enum { BOOT_ERR_KERNEL = -1, BOOT_ERR_INITRD = -2, BOOT_ERR_CMDLINE = -3 };
int bzimage_plan(const struct bzimage *bz, const struct guest_mem *gm,
		 uint64_t initrd_size, size_t cmdline_len,
		 struct boot_layout *out, char *err, size_t errlen);

/* Copy kernel, initrd and command line into guest RAM and fill the zero page
 * (setup header, e820 map, RSDP address). */
int bzimage_load(const struct bzimage *bz, const struct guest_mem *gm,
		 const struct boot_layout *lay, const uint8_t *initrd,
		 const char *cmdline, uint64_t rsdp_addr,
		 char *err, size_t errlen);

#endif
