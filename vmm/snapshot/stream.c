/* The stream's record types: their names, the payload lengths each may
 * have and what their index counts, in one table the writer and the reader
 * both check against; and the clock and the copy both use for the bytes
 * of the stream. */
#include <stddef.h>
#include <string.h>
#include <time.h>
#include "stream.h"

uint64_t snapshot_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#define COPY_PIECE 2048U

/* glibc's memcpy() moves a block above 2 KiB (on a CPU with SSE2 alone, as
 * QEMU 7.2's TCG offers: -cpu max there has ERMS and no AVX) with rep
 * movsb, which TCG runs a byte at a time; 2 KiB pieces take its vector
 * loop, 16 bytes at a time. A nested migration copies every byte of guest
 * RAM once on each side, so that is most of what a copy costs there. */
void snapshot_copy(void *dst, const void *src, size_t len)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	size_t n;

	for (; len; d += n, s += n, len -= n) {
		n = len < COPY_PIECE ? len : COPY_PIECE;
		memcpy(d, s, n);
	}
}

struct rec_rule {
	const char *name;
	size_t min;
	size_t max;
	char index;             /* 'v' a vCPU, 'd' a device, 0 none */
};

static const struct rec_rule rules[] = {
	[SNAPSHOT_REC_VCPU] = { "vcpu", 1, SNAPSHOT_VCPU_MAX, 'v' },
	[SNAPSHOT_REC_IRQCHIP] = { "irqchip", 1, SNAPSHOT_IRQCHIP_MAX, 0 },
	[SNAPSHOT_REC_CLOCK] = { "clock", SNAPSHOT_CLOCK_LEN, SNAPSHOT_CLOCK_LEN, 0 },
	[SNAPSHOT_REC_RAM] = { "ram", 9, 8 + SNAPSHOT_RAM_CHUNK_MAX, 0 },
	[SNAPSHOT_REC_DEVICE_STATE] = { "device-state", 0, SNAPSHOT_DEVICE_MAX, 'd' },
	[SNAPSHOT_REC_DEVICE_DATA] = { "device-data", 1, SNAPSHOT_DATA_CHUNK_MAX, 'd' },
	[SNAPSHOT_REC_END] = { "end", 4, 4, 0 },
};

static const struct rec_rule *rule(unsigned type)
{
	if (type >= sizeof(rules) / sizeof(rules[0]) || !rules[type].name)
		return NULL;
	return &rules[type];
}

const char *snapshot_rec_name(unsigned type)
{
	const struct rec_rule *r = rule(type);

	return r ? r->name : NULL;
}

void snapshot_rec_len_range(unsigned type, size_t *min, size_t *max)
{
	const struct rec_rule *r = rule(type);

	*min = r ? r->min : 0;
	*max = r ? r->max : 0;
}

char snapshot_rec_index_kind(unsigned type)
{
	const struct rec_rule *r = rule(type);

	return r ? r->index : 0;
}
