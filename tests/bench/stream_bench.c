/* make bench-stream: what the snapshot stream costs per byte, on the host.
 * 256 MiB of guest RAM go from one memory region to another through the
 * real writer, a socketpair and the real reader, the writer in a second
 * thread: as scattered 4 KiB pages (one put per page, in a shuffled order,
 * as dirty pages go in a round) and as one contiguous run (a first pass
 * over RAM that is not zero). Three ways each:
 *   plain   write()/read() of the same bytes in 64 KiB pieces: the floor
 *   before  the copy into a 1 MiB bounce buffer, snapshot_write_ram(), the
 *           reader's payload buffer and a memcpy into RAM (the loader
 *           until the in-place reads)
 *   now     snapshot_write_ram_copy() and the reader's ram destination
 * BENCH_MIB (a power of two) sends that many MiB instead, BENCH_WAY and
 * BENCH_WHAT ("pages", "run") run one way or one pattern alone (for
 * valgrind --tool=callgrind, whose instruction counts stand for what TCG
 * emulates). Each prints MiB/s (wall, best of BENCH_REPEAT runs, 3 unless set) and the
 * CPU time each side spent per MiB: under TCG every instruction is
 * emulated, so the CPU per byte is what a nested migration pays. The
 * destination must end up equal to the source, or the bench fails. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "../../vmm/snapshot/stream.h"

#define PAGE      4096ULL
#define PAGES     (RAM_SIZE / PAGE)

static uint64_t RAM_SIZE = 256ULL << 20;        /* BENCH_MIB: a power of two */
#define PIECE     (64U << 10)

enum way { PLAIN, BEFORE, NOW };
static const char *const way_name[] = { "plain", "before", "now" };

struct run {
	enum way way;
	bool pages;
	int fd;
	const uint8_t *src;
	uint8_t *dst;
	const struct snapshot_shape *shape;
	double cpu_ns;          /* the thread's own CPU time */
	int ret;
	char err[SNAPSHOT_ERR_LEN];
};

static uint8_t bounce[SNAPSHOT_RAM_CHUNK_MAX];

static double now_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The i-th page to send: a walk over every page in a shuffled order (an
 * odd stride modulo a power of two visits each once). */
static uint64_t page_at(uint64_t i)
{
	return (i * 40503ULL + 12345ULL) % PAGES;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int plain_send(struct run *r)
{
	uint64_t i, off;

	if (!r->pages) {
		for (off = 0; off < RAM_SIZE; off += PIECE)
			if (write_all(r->fd, r->src + off, PIECE))
				return -1;
		return 0;
	}
	for (i = 0; i < PAGES; i++)
		if (write_all(r->fd, r->src + page_at(i) * PAGE, PAGE))
			return -1;
	return 0;
}

/* The old live source: each chunk copied into the bounce buffer first. */
static int put_bounced(struct snapshot_writer *w, uint64_t gpa, const uint8_t *p, uint64_t len)
{
	uint64_t n;
	int ret = 0;

	for (; len && !ret; gpa += n, p += n, len -= n) {
		n = len < SNAPSHOT_RAM_CHUNK_MAX ? len : SNAPSHOT_RAM_CHUNK_MAX;
		memcpy(bounce, p, n);
		ret = snapshot_write_ram(w, gpa, bounce, n);
	}
	return ret;
}

static int put(struct run *r, struct snapshot_writer *w, uint64_t gpa, uint64_t len)
{
	if (r->way == BEFORE)
		return put_bounced(w, gpa, r->src + gpa, len);
	return snapshot_write_ram_copy(w, gpa, r->src + gpa, len);
}

static int stream_send(struct run *r)
{
	struct snapshot_writer w;
	uint64_t i;
	int ret;

	ret = snapshot_writer_open(&w, r->fd, r->shape);
	if (!r->pages && !ret)
		ret = put(r, &w, 0, RAM_SIZE);
	for (i = 0; r->pages && i < PAGES && !ret; i++)
		ret = put(r, &w, page_at(i) * PAGE, PAGE);
	if (!ret)
		ret = snapshot_write_end(&w);
	snapshot_writer_free(&w);
	return ret;
}

static void *sender(void *arg)
{
	struct run *r = arg;
	double t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);

	r->ret = r->way == PLAIN ? plain_send(r) : stream_send(r);
	r->cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
	shutdown(r->fd, SHUT_WR);
	return NULL;
}

static int plain_recv(struct run *r)
{
	uint64_t got = 0, i = 0, k;
	ssize_t n;

	if (!r->pages) {
		while (got < RAM_SIZE) {
			n = read(r->fd, r->dst + got, RAM_SIZE - got < PIECE ? RAM_SIZE - got : PIECE);
			if (n <= 0)
				return -1;
			got += (uint64_t)n;
		}
		return 0;
	}
	for (i = 0; i < PAGES; i++)
		for (k = 0; k < PAGE; k += (uint64_t)n) {
			n = read(r->fd, r->dst + page_at(i) * PAGE + k, PAGE - k);
			if (n <= 0)
				return -1;
		}
	return 0;
}

static uint8_t *dest(void *opaque, uint64_t gpa, size_t len)
{
	return (uint8_t *)opaque + gpa;
}

static int copy_in(void *opaque, const struct snapshot_record *rec, char *err, size_t errlen)
{
	uint8_t *dst = opaque;

	if (rec->type != SNAPSHOT_REC_RAM)
		return -1;
	if (rec->data != dst + rec->gpa)
		memcpy(dst + rec->gpa, rec->data, rec->len);
	return 0;
}

static int stream_recv(struct run *r)
{
	struct snapshot_reader rd;
	int ret;

	snapshot_reader_init_fd(&rd, r->fd);
	if (r->way == NOW)
		snapshot_reader_set_ram_dest(&rd, dest, r->dst);
	ret = snapshot_load(&rd, r->shape, copy_in, r->dst, r->err, sizeof(r->err));
	snapshot_reader_free(&rd);
	return ret;
}

/* One transfer: the wall time in ns, the two sides' CPU in *tx, *rx; < 0
 * when it failed. */
static double transfer(enum way way, bool pages, const uint8_t *src, uint8_t *dst,
		       const struct snapshot_shape *shape, double *tx, double *rx)
{
	struct run s = { .way = way, .pages = pages, .src = src, .dst = dst, .shape = shape };
	struct run d = s;
	pthread_t t;
	double t0, t1, c0;
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	s.fd = sv[0];
	d.fd = sv[1];
	memset(dst, 0x5a, RAM_SIZE);
	t0 = now_ns(CLOCK_MONOTONIC);
	if (pthread_create(&t, NULL, sender, &s)) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	ret = way == PLAIN ? plain_recv(&d) : stream_recv(&d);
	*rx = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	if (ret)
		shutdown(sv[1], SHUT_RDWR);
	pthread_join(t, NULL);
	t1 = now_ns(CLOCK_MONOTONIC);
	close(sv[0]);
	close(sv[1]);
	*tx = s.cpu_ns;
	if (ret || s.ret) {
		fprintf(stderr, "bench-stream: %s %s failed: %s\n", way_name[way],
			pages ? "pages" : "run", d.err[0] ? d.err : "a write or read failed");
		return -1;
	}
	if (memcmp(src, dst, RAM_SIZE)) {
		fprintf(stderr, "bench-stream: %s %s: the destination differs from the source\n",
			way_name[way], pages ? "pages" : "run");
		return -1;
	}
	return t1 - t0;
}

static uint8_t *region(void)
{
	uint8_t *p = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int main(void)
{
	const char *rep = getenv("BENCH_REPEAT"), *mb = getenv("BENCH_MIB");
	const char *only = getenv("BENCH_WAY"), *what = getenv("BENCH_WHAT");
	int repeat = rep ? atoi(rep) : 3;
	struct snapshot_shape shape;
	uint8_t *src, *dst;
	double mib;
	uint64_t i;
	int p, w, k;

	if (mb && (atoi(mb) < 1 || (atoi(mb) & (atoi(mb) - 1)))) {
		fprintf(stderr, "bench-stream: BENCH_MIB must be a power of two\n");
		return 1;
	}
	if (mb)
		RAM_SIZE = (uint64_t)atoi(mb) << 20;
	mib = (double)(RAM_SIZE >> 20);
	src = region();
	dst = region();
	signal(SIGPIPE, SIG_IGN);
	if (!src || !dst || repeat < 1) {
		fprintf(stderr, "bench-stream: no memory for two regions of 256 MiB\n");
		return 1;
	}
	for (i = 0; i < RAM_SIZE / 8; i++)
		((uint64_t *)src)[i] = i * 0x9e3779b97f4a7c15ULL;
	snapshot_shape_init(&shape);
	snapshot_shape_add_ram(&shape, 0, RAM_SIZE);
	snapshot_shape_set_vcpus(&shape, 1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("%-6s %-6s %9s %13s %13s\n", "what", "way", "MiB/s", "tx CPU ms/GiB",
	       "rx CPU ms/GiB");
	for (p = 1; p >= 0; p--) {
		if (what && strcmp(what, p ? "pages" : "run"))
			continue;
		for (w = PLAIN; w <= NOW; w++) {
			double best = 0, tx_best = 0, rx_best = 0, ns, tx, rx;

			if (only && strcmp(only, way_name[w]))
				continue;
			for (k = 0; k < repeat; k++) {
				ns = transfer((enum way)w, p, src, dst, &shape, &tx, &rx);
				if (ns < 0)
					return 1;
				if (!best || ns < best) {
					best = ns;
					tx_best = tx;
					rx_best = rx;
				}
			}
			printf("%-6s %-6s %9.0f %13.0f %13.0f\n", p ? "pages" : "run",
			       way_name[w], mib / (best / 1e9), tx_best / 1e6 * (1024 / mib),
			       rx_best / 1e6 * (1024 / mib));
		}
	}
	return 0;
}
