/* The arm64 Linux Image header (Documentation/arch/arm64/booting.rst):
 *
 *   0x00 code0, code1 (u32 each)    0x08 text_offset (u64, little-endian)
 *   0x10 image_size (u64)           0x18 flags (u64)
 *   0x20 res2, res3, res4 (u64)     0x38 magic "ARM\x64" (u32)  0x3c res5
 *
 * Validating it, reading where the kernel wants to be, and copying it into
 * guest RAM. */
#include <stdio.h>
#include <string.h>
#include "image.h"

#define MAGIC_OFF        0x38
#define KERNEL_ALIGN     0x200000ULL

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* A one-line name for a file that is not an arm64 Image, when it is a
 * kind one can tell: an x86 bzImage, a compressed kernel. */
static const char *other_kind(const uint8_t *d, size_t len)
{
	if (len >= 0x206 && !memcmp(d + 0x202, "HdrS", 4))
		return "an x86 bzImage, not an arm64 Image";
	if (len >= 2 && d[0] == 0x1f && d[1] == 0x8b)
		return "a gzip-compressed file, not an arm64 Image (decompress it: zcat FILE > Image)";
	if (len >= 4 && !memcmp(d, "\x28\xb5\x2f\xfd", 4))
		return "a zstd-compressed file, not an arm64 Image (decompress it first)";
	if (len >= 6 && !memcmp(d, "\xfd" "7zXZ", 6))
		return "an xz-compressed file, not an arm64 Image (decompress it first)";
	if (len >= 4 && !memcmp(d, "\x7f" "ELF", 4))
		return "an ELF file (vmlinux?), not an arm64 Image (use arch/arm64/boot/Image)";
	return NULL;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* An EFI stub kernel ("MZ", res5 = the PE header's offset): the end of
 * its sections' raw data, which the file must reach. 0 when there is no
 * arm64 PE header to read; -1 when the file ends before that header. */
static int pe_raw_end(const uint8_t *d, size_t len, uint64_t *end)
{
	uint32_t pe = rd32(d + 0x3c);
	uint64_t sec;
	unsigned i, nsec;

	*end = 0;
	if (d[0] != 'M' || d[1] != 'Z' || !pe)
		return 0;
	if (pe > len || len - pe < 24)
		return -1;
	if (memcmp(d + pe, "PE\0\0", 4) || rd16(d + pe + 4) != 0xaa64)
		return 0;
	nsec = rd16(d + pe + 6);
	sec = (uint64_t)pe + 24 + rd16(d + pe + 20);        /* past the optional header */
	for (i = 0; i < nsec; i++, sec += 40) {
		uint64_t raw_end;

		if (sec + 40 > len)
			return -1;
		raw_end = (uint64_t)rd32(d + sec + 20) + rd32(d + sec + 16);
		if (raw_end > *end)
			*end = raw_end;
	}
	return 0;
}

static const unsigned page_kib[4] = { 0, 4, 16, 64 };

int arm64_image_parse(const uint8_t *data, size_t len, struct arm64_image *img,
		      char *err, size_t errlen)
{
	const char *kind;
	uint64_t flags, raw_end;

	memset(img, 0, sizeof(*img));
	if (len < ARM64_IMAGE_HDR_SIZE || rd32(data + MAGIC_OFF) != ARM64_IMAGE_MAGIC) {
		kind = other_kind(data, len);
		if (kind)
			snprintf(err, errlen, "%s", kind);
		else if (len < ARM64_IMAGE_HDR_SIZE)
			snprintf(err, errlen, "file is %zu bytes, too small to be an arm64 Image (64-byte header)",
				 len);
		else
			snprintf(err, errlen, "not an arm64 Linux Image (no \"ARM\\x64\" magic at offset 0x38)");
		return -1;
	}
	if (pe_raw_end(data, len, &raw_end)) {
		snprintf(err, errlen, "truncated: the file (%zu bytes) ends before the end of its PE header at 0x%x",
			 len, rd32(data + 0x3c));
		return -1;
	}
	if (raw_end > len) {
		snprintf(err, errlen, "truncated: the PE header says %llu bytes, the file has %zu",
			 (unsigned long long)raw_end, len);
		return -1;
	}
	flags = rd64(data + 0x18);
	img->image_size = rd64(data + 0x10);
	/* Before 3.17 image_size is 0, flags are not set and text_offset's
	 * endianness is not defined: booting.rst says to assume 0x80000. */
	if (img->image_size == 0) {
		img->text_offset = ARM64_IMAGE_OLD_OFFSET;
		flags = 0;
	} else {
		img->text_offset = rd64(data + 0x08);
	}
	if (flags & ARM64_IMAGE_FLAG_BE) {
		snprintf(err, errlen, "a big-endian arm64 Image: conduit boots little-endian kernels only");
		return -1;
	}
	if (img->text_offset >= KERNEL_ALIGN) {
		snprintf(err, errlen, "text_offset 0x%llx in the Image header is not below 2 MiB",
			 (unsigned long long)img->text_offset);
		return -1;
	}
	img->page_kib = page_kib[(flags >> 1) & 3];
	img->anywhere = !!(flags & ARM64_IMAGE_FLAG_ANYWHERE);
	img->load_size = img->image_size > len ? img->image_size : len;
	img->data = data;
	img->len = len;
	return 0;
}

int arm64_image_load(const struct arm64_image *img, const struct guest_mem *gm,
		     uint64_t kernel_addr, char *err, size_t errlen)
{
	uint8_t *dst = gpa_to_hva(gm, kernel_addr, img->load_size);

	if (!dst) {
		snprintf(err, errlen, "the kernel at 0x%llx (%llu bytes) is not in guest RAM",
			 (unsigned long long)kernel_addr,
			 (unsigned long long)img->load_size);
		return -1;
	}
	memcpy(dst, img->data, img->len);
	memset(dst + img->len, 0, img->load_size - img->len);
	guest_mem_host_wrote(gm, dst, img->load_size);
	return 0;
}
