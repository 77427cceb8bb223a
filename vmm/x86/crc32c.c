/* CRC-32C by SSE4.2's crc32 instruction (vmm/snapshot/crc32c.h): 8 bytes
 * an instruction, after the bytes up to an 8-byte boundary one at a time.
 * Whether the CPU has it is asked once, by CPUID leaf 1 (ECX bit 20). */
#include <cpuid.h>
#include <nmmintrin.h>
#include <pthread.h>
#include <string.h>
#include "../snapshot/crc32c.h"

static bool has_sse42;
static pthread_once_t asked = PTHREAD_ONCE_INIT;

static void ask_cpu(void)
{
	unsigned int a, b, c, d;

	has_sse42 = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2);
}

__attribute__((target("sse4.2")))
static uint32_t sse42_update(uint32_t reg, const uint8_t *p, size_t len)
{
	uint64_t r = reg;

	while (len && ((uintptr_t)p & 7)) {
		r = _mm_crc32_u8((uint32_t)r, *p++);
		len--;
	}
	for (; len >= 8; len -= 8, p += 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		r = _mm_crc32_u64(r, v);
	}
	while (len--)
		r = _mm_crc32_u8((uint32_t)r, *p++);
	return (uint32_t)r;
}

bool crc32c_arch(uint32_t *reg, const void *p, size_t len)
{
	pthread_once(&asked, ask_cpu);
	if (!has_sse42)
		return false;
	*reg = sse42_update(*reg, p, len);
	return true;
}
