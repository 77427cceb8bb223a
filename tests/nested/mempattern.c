/* tests/nested/mempattern.c - L2's memory-pattern agent for the live
 * migration cases (l2-init.sh's mempattern; a static program in the L2
 * initramfs as /bin/mempattern). Owns a check that no page a guest wrote
 * is lost or changed by a migration:
 *
 *   mempattern MIB RATE SEED
 *
 * fills MIB MiB with a pattern seeded by SEED (each 4 KiB page's 512 words
 * a function of SEED, the page's number and its generation; the
 * generations in an array of their own), then forever, in one thread:
 * rewrites pages in turn with their next generation at RATE MiB/s (0: none),
 * and verifies pages in turn against their generation, 4 MiB every 10 ms.
 * Each whole verify pass prints
 *
 *   L2-MEMPATTERN pass=N pages=P bad=B rewritten=R seed=SEED
 *
 * (B the pages whose words were not what their generation says; the first
 * bad page's number and word go to L2-MEMPATTERN-BAD lines, at most 8 a
 * pass). "L2-MEMPATTERN-READY" once filled. A pass that began before a
 * migration and ended after it checks pages from both sides; the case
 * takes a pass that ran wholly after it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096UL
#define WORDS (PAGE / 8)
#define TICK_NS 10000000ULL             /* 10 ms */
#define VERIFY_PER_TICK (4UL << 20)     /* bytes */
#define MAX_BAD_LINES 8

static uint64_t seed;

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t word(uint64_t page, uint32_t gen, unsigned i)
{
	return mix(seed ^ mix(page << 32 | gen) ^ i);
}

static void fill(uint64_t *p, uint64_t page, uint32_t gen)
{
	unsigned i;

	for (i = 0; i < WORDS; i++)
		p[i] = word(page, gen, i);
}

/* The first word that is wrong, or -1. */
static int check(const uint64_t *p, uint64_t page, uint32_t gen)
{
	unsigned i;

	for (i = 0; i < WORDS; i++)
		if (p[i] != word(page, gen, i))
			return (int)i;
	return -1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	uint64_t pages, rate, w = 0, v = 0, due = 0, written = 0, t0, pass = 0, bad = 0;
	uint64_t *mem, per_tick = VERIFY_PER_TICK / PAGE, k;
	uint32_t *gen;
	unsigned lines = 0;
	int at;

	if (argc != 4) {
		fprintf(stderr, "usage: mempattern MIB RATE_MIB_S SEED\n");
		return 2;
	}
	pages = strtoull(argv[1], NULL, 0) * (1 << 20) / PAGE;
	rate = strtoull(argv[2], NULL, 0) * (1 << 20) / PAGE;   /* pages a second */
	seed = strtoull(argv[3], NULL, 16);
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		   MAP_POPULATE, -1, 0);
	gen = calloc(pages, sizeof(*gen));
	if (!pages || mem == MAP_FAILED || !gen) {
		printf("L2-MEMPATTERN-ERROR: cannot map %s MiB\n", argv[1]);
		return 1;
	}
	for (k = 0; k < pages; k++)
		fill(mem + k * WORDS, k, 0);
	printf("L2-MEMPATTERN-READY pages=%llu rate=%llu/s seed=%s\n", (unsigned long long)pages,
	       (unsigned long long)rate, argv[3]);
	fflush(stdout);
	t0 = now_ns();
	for (;;) {
		/* the writer: the pages due by now at rate */
		due = (now_ns() - t0) / 1000 * rate / 1000000;
		while (written < due) {
			gen[w]++;
			fill(mem + w * WORDS, w, gen[w]);
			w = (w + 1) % pages;
			written++;
		}
		/* the verifier: the next slice */
		for (k = 0; k < per_tick; k++) {
			at = check(mem + v * WORDS, v, gen[v]);
			if (at >= 0) {
				bad++;
				if (lines++ < MAX_BAD_LINES)
					printf("L2-MEMPATTERN-BAD page=%llu gen=%u word=%d\n",
					       (unsigned long long)v, gen[v], at);
			}
			if (++v < pages)
				continue;
			v = 0;
			pass++;
			printf("L2-MEMPATTERN pass=%llu pages=%llu bad=%llu rewritten=%llu seed=%s\n",
			       (unsigned long long)pass, (unsigned long long)pages,
			       (unsigned long long)bad, (unsigned long long)written, argv[3]);
			fflush(stdout);
			bad = 0;
			lines = 0;
		}
		fflush(stdout);
		{
			struct timespec ts = { 0, (long)TICK_NS };

			nanosleep(&ts, NULL);
		}
	}
}
