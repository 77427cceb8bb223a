/* The arm64 Linux boot protocol's Image header (Documentation/arch/arm64/
 * booting.rst): validation and what it says about placement. */
#ifndef CONDUIT_ARM64_IMAGE_H
#define CONDUIT_ARM64_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "../../vmm/memmap.h"

#define ARM64_IMAGE_HDR_SIZE     64
#define ARM64_IMAGE_MAGIC        0x644d5241u    /* "ARM\x64" at 0x38 */
#define ARM64_IMAGE_OLD_OFFSET   0x80000ULL     /* text_offset before 3.17 */

/* flags (booting.rst): bit 0 big-endian, bits 1-2 page size, bit 3 the
 * 2 MiB aligned base may be anywhere in RAM (else: near its start). */
#define ARM64_IMAGE_FLAG_BE      (1ULL << 0)
#define ARM64_IMAGE_FLAG_ANYWHERE (1ULL << 3)

struct arm64_image {
	const uint8_t *data;
	size_t len;
	uint64_t text_offset;           /* from a 2 MiB aligned base */
	uint64_t image_size;            /* as the header says; 0: before 3.17 */
	uint64_t load_size;             /* bytes the kernel owns from its load
	                                   address: max(image_size, len) */
	unsigned page_kib;              /* 4, 16, 64, or 0: not said */
	int anywhere;                   /* flag bit 3 */
};

/* Validate an Image held in memory: the magic, a little-endian kernel, a
 * text_offset below 2 MiB. An image_size of 0 (kernels before 3.17) means
 * text_offset 0x80000 whatever the header holds. On error, err says what
 * is wrong in one line (an x86 bzImage, a compressed file and a short one
 * are named as such); the caller prefixes the file name. */
int arm64_image_parse(const uint8_t *data, size_t len, struct arm64_image *img,
		      char *err, size_t errlen);

/* Copy the Image to kernel_addr in guest RAM (its load_size bytes must be
 * RAM; the part past the file is zeroed for the kernel's bss). */
int arm64_image_load(const struct arm64_image *img, const struct guest_mem *gm,
		     uint64_t kernel_addr, char *err, size_t errlen);

#endif
