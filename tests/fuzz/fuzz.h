/* What every fuzzer shares: reading typed values from the fuzz input (a
 * byte stream that reads as zeros once it runs out), access sizes as the
 * vCPU exit handlers pass them, and an invariant check that aborts (so
 * libFuzzer keeps the input as a crash). Header-only: each fuzzer is one
 * translation unit linked against the project's objects. */
#ifndef CONDUIT_FUZZ_H
#define CONDUIT_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline bool fuzz_more(const struct fuzz_in *in)
{
	return in->n > 0;
}

/* k bytes, little-endian; missing bytes are zero. */
static inline uint64_t fuzz_bytes(struct fuzz_in *in, unsigned k)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < k && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)in->p[0] << (8 * i);
	return v;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	return (uint8_t)fuzz_bytes(in, 1);
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	return (uint16_t)fuzz_bytes(in, 2);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	return (uint32_t)fuzz_bytes(in, 4);
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	return fuzz_bytes(in, 8);
}

/* Up to max bytes of the input, as they are. */
static inline const uint8_t *fuzz_take(struct fuzz_in *in, size_t max, size_t *len)
{
	const uint8_t *p = in->p;

	*len = in->n < max ? in->n : max;
	in->p += *len;
	in->n -= *len;
	return p;
}

/* An MMIO access size (1, 2, 4 or 8), as KVM reports them. */
static inline unsigned fuzz_mmio_size(uint8_t b)
{
	return 1U << (b & 3);
}

/* A value written with an access of size bytes: zero-extended, as the vCPU
 * loop passes it. */
static inline uint64_t fuzz_value(struct fuzz_in *in, unsigned size)
{
	return fuzz_bytes(in, size > 8 ? 8 : size);
}

/* A port I/O access size (1, 2 or 4). */
static inline unsigned fuzz_pio_size(uint8_t b)
{
	return 1U << (b % 3);
}

#define FUZZ_ASSERT(cond) do {                                              \
	if (!(cond)) {                                                      \
		fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__,  \
			__LINE__, #cond);                                   \
		abort();                                                    \
	}                                                                   \
} while (0)

#endif
