/* The snapshot stream's checksum (checksum.h): format 2's XXH64 through
 * libxxhash's streaming state, format 1's zlib crc32. */
#include <errno.h>
#include <xxhash.h>
#include <zlib.h>
#include "checksum.h"

int snapshot_sum_init(struct snapshot_sum *s, uint32_t version)
{
	s->version = version;
	s->crc = 0;
	s->xxh = NULL;
	if (version == 1)
		return 0;
	s->xxh = XXH64_createState();
	if (!s->xxh || XXH64_reset(s->xxh, 0) != XXH_OK) {
		snapshot_sum_free(s);
		return -ENOMEM;
	}
	return 0;
}

/* zlib's crc32() takes at most UINT_MAX bytes a call. */
static uint32_t zlib_crc32(uint32_t crc, const uint8_t *p, size_t len)
{
	size_t n;

	for (; len; p += n, len -= n) {
		n = len < (1U << 30) ? len : (1U << 30);
		crc = (uint32_t)crc32(crc, p, (uInt)n);
	}
	return crc;
}

void snapshot_sum_update(struct snapshot_sum *s, const void *p, size_t len)
{
	if (!len)
		return;
	if (s->xxh)
		XXH64_update(s->xxh, p, len);
	else
		s->crc = zlib_crc32(s->crc, p, len);
}

uint32_t snapshot_sum_value(const struct snapshot_sum *s)
{
	return s->xxh ? (uint32_t)XXH64_digest(s->xxh) : s->crc;
}

void snapshot_sum_free(struct snapshot_sum *s)
{
	XXH64_freeState(s->xxh);
	s->xxh = NULL;
}

uint32_t snapshot_sum_of(uint32_t version, const void *p, size_t len)
{
	if (version == 1)
		return zlib_crc32(0, p, len);
	return (uint32_t)XXH64(p, len, 0);
}
