/* The snapshot stream's checksum (the end record's value, stream.h), kept
 * over every byte as the writer sends it and as the reader takes it.
 *
 * Format 2 (written): the low 32 bits of XXH64 (seed 0, libxxhash), which
 * runs at about 9 GB/s here and still at about 5 GB/s when the CPU is
 * emulated by QEMU's TCG (nested tests, a migrating L1), where CRC-32C's
 * crc32q instruction is a slow helper (about 120 MiB/s) and zlib's crc32
 * was most of the stream's cost per byte (about 870 MiB/s); zstd's frames
 * carry the same checksum. Format 1 (read, for snapshots of older
 * conduits): zlib's crc32. */
#ifndef CONDUIT_SNAPSHOT_CHECKSUM_H
#define CONDUIT_SNAPSHOT_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

struct snapshot_sum {
	uint32_t version;               /* the stream format's */
	uint32_t crc;                   /* format 1: zlib's crc32 so far */
	void *xxh;                      /* format 2: an XXH64_state_t */
};

/* Starts the checksum of a stream of this format version: 0, or -ENOMEM. */
int snapshot_sum_init(struct snapshot_sum *s, uint32_t version);
/* Adds len bytes at p (len 0: nothing, p may be NULL). */
void snapshot_sum_update(struct snapshot_sum *s, const void *p, size_t len);
/* The end record's value for everything added so far. */
uint32_t snapshot_sum_value(const struct snapshot_sum *s);
void snapshot_sum_free(struct snapshot_sum *s);

/* The end record's value for the bytes at p in one call (tests, fuzzers). */
uint32_t snapshot_sum_of(uint32_t version, const void *p, size_t len);

#endif
