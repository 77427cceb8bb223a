/* The stream's checksum from format version 2 on: CRC-32C (Castagnoli,
 * polynomial 0x1EDC6F41 reflected, the one iSCSI, ext4 and SCTP use),
 * because x86 (SSE4.2) and arm64 (the CRC extension) compute it with one
 * instruction per 8 bytes. zlib's crc32, version 1's checksum, has no such
 * instruction and was most of the stream's cost per byte. */
#ifndef CONDUIT_SNAPSHOT_CRC32C_H
#define CONDUIT_SNAPSHOT_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* As zlib's crc32(): crc is the previous result (0 to start), the result
 * is the CRC-32C of everything so far. crc32c(0, "123456789", 9) is
 * 0xE3069283. */
uint32_t crc32c(uint32_t crc, const void *p, size_t len);

/* The same by a table, one byte at a time: what crc32c() falls back to on
 * a CPU without the instruction, and what the tests compare against. */
uint32_t crc32c_table(uint32_t crc, const void *p, size_t len);

/* The architecture's instruction (vmm/<arch>/crc32c.c), on the
 * pre-inverted register *reg: false, with *reg untouched, when this CPU
 * lacks it. */
bool crc32c_arch(uint32_t *reg, const void *p, size_t len);

#endif
