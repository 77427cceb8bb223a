/* CRC-32C by the arm64 CRC extension's crc32c instructions
 * (vmm/snapshot/crc32c.h): 8 bytes an instruction, after the bytes up to
 * an 8-byte boundary one at a time. Whether the CPU has them is asked once,
 * from the kernel's HWCAP_CRC32. */
#include <arm_acle.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>
#include <asm/hwcap.h>
#include "../snapshot/crc32c.h"

static bool has_crc;
static pthread_once_t asked = PTHREAD_ONCE_INIT;

static void ask_cpu(void)
{
	has_crc = (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
}

__attribute__((target("+crc")))
static uint32_t crc_update(uint32_t reg, const uint8_t *p, size_t len)
{
	while (len && ((uintptr_t)p & 7)) {
		reg = __crc32cb(reg, *p++);
		len--;
	}
	for (; len >= 8; len -= 8, p += 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		reg = __crc32cd(reg, v);
	}
	while (len--)
		reg = __crc32cb(reg, *p++);
	return reg;
}

bool crc32c_arch(uint32_t *reg, const void *p, size_t len)
{
	pthread_once(&asked, ask_cpu);
	if (!has_crc)
		return false;
	*reg = crc_update(*reg, p, len);
	return true;
}
