/* Fuzzer for size arguments (vmm/config.c parse_size, as --memory and the
 * config file's memory key use it, and the cpus key): the input, up to its
 * first NUL, is the argument. parse_size() is checked against a small
 * independent parser of the documented grammar (decimal digits, then B, or
 * K/M/G/T optionally followed by i and/or B, any case; a bare number is in
 * the default unit; no overflow), for both default units conduit uses, and
 * config_set() must accept exactly the sizes of at least 16 MiB. */
#include <ctype.h>
#include "fuzz.h"
#include "../../vmm/config.h"

static int ref_parse(const char *s, uint64_t unit, uint64_t *out)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return -1;
	switch (toupper((unsigned char)*s)) {
	case '\0':
		break;
	case 'B':
		unit = 1;
		s++;
		break;
	case 'K': case 'M': case 'G': case 'T':
		unit = 1ULL << (toupper((unsigned char)*s) == 'K' ? 10 :
				toupper((unsigned char)*s) == 'M' ? 20 :
				toupper((unsigned char)*s) == 'G' ? 30 : 40);
		s++;
		if (*s == 'i' || *s == 'I')
			s++;
		if (*s == 'b' || *s == 'B')
			s++;
		break;
	default:
		return -1;
	}
	if (*s || __builtin_mul_overflow(v, unit, out))
		return -1;
	return 0;
}

static void one(const char *s, uint64_t unit)
{
	char err[CONFIG_ERR_LEN] = "";
	uint64_t got = 0xdeadbeef, want = 0;
	int r = parse_size(s, unit, &got, err, sizeof(err));
	int rr = ref_parse(s, unit, &want);

	FUZZ_ASSERT(r == rr);
	if (r == 0)
		FUZZ_ASSERT(got == want);
	else
		FUZZ_ASSERT(got == 0xdeadbeef && err[0] && strlen(err) < sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[CONFIG_ERR_LEN];
	struct vm_config cfg;
	uint64_t mib;
	int r;

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	one(s, 1);
	one(s, 1ULL << 20);
	(void)parse_size(s, 1ULL << 20, &mib, err, 8);  /* a short error buffer */

	config_init(&cfg);
	r = config_set(&cfg, "memory", s, err, sizeof(err));
	if (ref_parse(s, 1ULL << 20, &mib) == 0 && mib >= (16ULL << 20))
		FUZZ_ASSERT(r == 0 && cfg.mem_size == mib);
	else
		FUZZ_ASSERT(r == -1 && cfg.mem_size == (256ULL << 20));
	r = config_set(&cfg, "cpus", s, err, sizeof(err));
	FUZZ_ASSERT(r ? cfg.cpus == 1 : cfg.cpus >= 1 && cfg.cpus <= MAX_CPUS);
	config_free(&cfg);
	free(s);
	return 0;
}
