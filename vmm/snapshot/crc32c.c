/* CRC-32C for the snapshot stream (crc32c.h): the inversions around the
 * register, the architecture's instruction where the CPU has it, and a
 * byte-wise table otherwise. */
#include <pthread.h>
#include "crc32c.h"

#define CRC32C_POLY_REFLECTED 0x82F63B78U

static uint32_t table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_fill(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY_REFLECTED : c >> 1;
		table[i] = c;
	}
}

static uint32_t table_update(uint32_t reg, const uint8_t *p, size_t len)
{
	pthread_once(&table_once, table_fill);
	while (len--)
		reg = table[(reg ^ *p++) & 0xff] ^ (reg >> 8);
	return reg;
}

uint32_t crc32c_table(uint32_t crc, const void *p, size_t len)
{
	return ~table_update(~crc, p, len);
}

uint32_t crc32c(uint32_t crc, const void *p, size_t len)
{
	uint32_t reg = ~crc;

	if (!crc32c_arch(&reg, p, len))
		reg = table_update(reg, p, len);
	return ~reg;
}
