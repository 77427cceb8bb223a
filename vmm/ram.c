/* Guest RAM backing and prefault. The default is anonymous memory with
 * MADV_HUGEPAGE (transparent hugepages where the host has them, else 4 KiB
 * pages); "none" asks for 4 KiB pages; 2M and 1G put guest RAM in one
 * hugetlbfs memfd (MFD_HUGETLB), mapped shared so the kernel reserves every
 * page at mmap time: a host without enough free pages is an error at start,
 * never a SIGBUS later, and never a silent fallback to small pages.
 *
 * Before guest RAM is pinned for DMA it is prefaulted by several threads at
 * once (MADV_POPULATE_WRITE on each thread's share, or a write per page on
 * kernels without it): faulting and zeroing pages is most of the cost of
 * pinning, and it parallelises where pinning does not. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/memfd.h>
#include "ram.h"
#include "clock.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PREFAULT_CHUNK (64ULL << 20)    /* work is handed out in 64 MiB pieces */

uint64_t ram_page_size(enum ram_backing b)
{
	if (b == RAM_2M)
		return 2ULL << 20;
	if (b == RAM_1G)
		return 1ULL << 30;
	return 0;
}

static const char *page_name(uint64_t page)
{
	return page == (1ULL << 30) ? "1G" : "2M";
}

static int read_count(const char *dir, const char *file, unsigned long long *out)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%llu", out) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

int ram_hugepages_check(const char *sysfs_root, uint64_t page, uint64_t bytes,
			char *err, size_t errlen)
{
	unsigned long long free_pages, resv, total, need = bytes / page, avail;
	char dir[256];

	if (bytes % page) {
		snprintf(err, errlen, "--hugepages %s: --memory %llu MiB is not a multiple of the "
			 "%llu MiB page size", page_name(page), (unsigned long long)(bytes >> 20),
			 (unsigned long long)(page >> 20));
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/kernel/mm/hugepages/hugepages-%llukB",
		 sysfs_root ? sysfs_root : "/sys", (unsigned long long)(page >> 10));
	if (access(dir, F_OK)) {
		snprintf(err, errlen, "--hugepages %s: this host has no %s pages (no %s): use "
			 "--hugepages 2M or thp", page_name(page), page_name(page), dir);
		return -1;
	}
	if (read_count(dir, "free_hugepages", &free_pages) ||
	    read_count(dir, "resv_hugepages", &resv) ||
	    read_count(dir, "nr_hugepages", &total)) {
		snprintf(err, errlen, "--hugepages %s: cannot read the page counts in %s",
			 page_name(page), dir);
		return -1;
	}
	avail = free_pages > resv ? free_pages - resv : 0;
	if (avail >= need)
		return 0;
	/* Raising the pool by what is missing is enough. */
	snprintf(err, errlen, "--hugepages %s: %llu MiB of guest RAM needs %llu pages of %s, "
		 "the host has %llu free: reserve more with 'echo %llu > %s/nr_hugepages' "
		 "(as root), or hugepages= on the host kernel command line", page_name(page),
		 (unsigned long long)(bytes >> 20), need, page_name(page), avail,
		 total + need - avail, dir);
	return -1;
}

static int alloc_anon(struct guest_mem *gm, enum ram_backing b, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < gm->n_ram; i++) {
		struct ram_region *r = &gm->ram[i];
		void *p = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED) {
			snprintf(err, errlen, "cannot reserve %llu MiB of guest RAM: %s",
				 (unsigned long long)(r->size >> 20), strerror(errno));
			return -1;
		}
		/* THP: fewer nested page-table entries and faults. */
		madvise(p, r->size, b == RAM_NONE ? MADV_NOHUGEPAGE : MADV_HUGEPAGE);
		r->hva = p;
	}
	return 0;
}

static void advise_all(struct guest_mem *gm, int advice)
{
	int i;

	for (i = 0; i < gm->n_ram; i++)
		madvise(gm->ram[i].hva, gm->ram[i].size, advice);
}

void ram_load_begin(struct guest_mem *gm, enum ram_backing b)
{
	if (b == RAM_THP)
		advise_all(gm, MADV_NOHUGEPAGE);
}

void ram_load_end(struct guest_mem *gm, enum ram_backing b)
{
	if (b == RAM_THP)
		advise_all(gm, MADV_HUGEPAGE);
}

static int alloc_hugetlb(struct guest_mem *gm, enum ram_backing b, char *err, size_t errlen)
{
	uint64_t page = ram_page_size(b), off = 0;
	unsigned flags = MFD_CLOEXEC | MFD_HUGETLB |
			 (b == RAM_1G ? MFD_HUGE_1GB : MFD_HUGE_2MB);
	int fd, i, ret = -1;

	/* machine.c checked the pool with ram_hugepages_check() before any VM
	 * existed; a pool that shrank since fails the mmap below. */
	fd = memfd_create("conduit-guest-ram", flags);
	if (fd < 0) {
		snprintf(err, errlen, "--hugepages %s: memfd_create: %s", page_name(page),
			 strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)gm->ram_size)) {
		snprintf(err, errlen, "--hugepages %s: sizing guest RAM to %llu MiB: %s",
			 page_name(page), (unsigned long long)(gm->ram_size >> 20), strerror(errno));
		goto out;
	}
	for (i = 0; i < gm->n_ram; i++) {
		struct ram_region *r = &gm->ram[i];
		void *p = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);

		if (p == MAP_FAILED) {
			/* The pool shrank between the check and here. */
			snprintf(err, errlen, "--hugepages %s: cannot reserve %llu MiB of %s pages: %s",
				 page_name(page), (unsigned long long)(r->size >> 20),
				 page_name(page), strerror(errno));
			goto out;
		}
		r->hva = p;
		off += r->size;
	}
	ret = 0;
out:
	close(fd);              /* the mappings keep the memory */
	return ret;
}

int ram_alloc(struct guest_mem *gm, enum ram_backing b, char *err, size_t errlen)
{
	int ret = ram_page_size(b) ? alloc_hugetlb(gm, b, err, errlen)
				   : alloc_anon(gm, b, err, errlen);

	if (ret)
		ram_free(gm);
	return ret;
}

void ram_free(struct guest_mem *gm)
{
	int i;

	for (i = 0; i < gm->n_ram; i++) {
		if (gm->ram[i].hva)
			munmap(gm->ram[i].hva, gm->ram[i].size);
		gm->ram[i].hva = NULL;
	}
}

/* ---- prefault ---- */

/* The next piece of work, or false when everything is handed out or the
 * prefault is stopped. */
static bool next_piece(struct ram_prefault *j, uint8_t **p, uint64_t *len)
{
	bool got = false;

	pthread_mutex_lock(&j->lock);
	while (j->region < j->gm->n_ram && j->off >= j->gm->ram[j->region].size) {
		j->region++;
		j->off = 0;
	}
	if (!j->stop && !j->error && j->region < j->gm->n_ram) {
		struct ram_region *r = &j->gm->ram[j->region];

		*p = r->hva + j->off;
		*len = r->size - j->off < PREFAULT_CHUNK ? r->size - j->off : PREFAULT_CHUNK;
		j->off += *len;
		j->handed += *len;
		got = true;
	}
	pthread_mutex_unlock(&j->lock);
	return got;
}

static void touch_pages(uint8_t *p, uint64_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t i;

	for (i = 0; i < len; i += (uint64_t)page)
		((volatile uint8_t *)p)[i] = ((volatile uint8_t *)p)[i];
}

/* Takes pieces until none is left; returns how many it did. */
static unsigned prefault_work(struct ram_prefault *j)
{
	unsigned done = 0;
	uint64_t t, len;
	uint8_t *p;

	while (next_piece(j, &p, &len)) {
		done++;
		if (madvise(p, len, MADV_POPULATE_WRITE) == 0)
			continue;
		if (errno != EINVAL) {  /* EINVAL: a kernel before 5.14 */
			pthread_mutex_lock(&j->lock);
			if (!j->error)
				j->error = errno;
			pthread_mutex_unlock(&j->lock);
			break;
		}
		touch_pages(p, len);
	}
	t = clock_ns();
	pthread_mutex_lock(&j->lock);
	if (t > j->end_ns)
		j->end_ns = t;
	pthread_mutex_unlock(&j->lock);
	return done;
}

static void *prefault_thread(void *arg)
{
	prefault_work(arg);
	return NULL;
}

unsigned ram_prefault_threads(unsigned max_threads)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = cpus > 0 ? (unsigned)cpus : 1;

	if (n > max_threads)
		n = max_threads;
	if (n > RAM_PREFAULT_MAX_THREADS)
		n = RAM_PREFAULT_MAX_THREADS;
	return n < 1 ? 1 : n;
}

unsigned ram_prefault_start(struct ram_prefault *pf, struct guest_mem *gm, unsigned helpers)
{
	memset(pf, 0, sizeof(*pf));
	pf->gm = gm;
	pf->t0 = clock_ns();
	pthread_mutex_init(&pf->lock, NULL);
	pf->running = true;
	if (helpers > RAM_PREFAULT_MAX_THREADS)
		helpers = RAM_PREFAULT_MAX_THREADS;
	while (pf->started < helpers &&
	       pthread_create(&pf->tid[pf->started], NULL, prefault_thread, pf) == 0)
		pf->started++;
	return pf->started;
}

static void join_all(struct ram_prefault *pf)
{
	unsigned i;

	for (i = 0; i < pf->started; i++)
		pthread_join(pf->tid[i], NULL);
	pthread_mutex_destroy(&pf->lock);
	pf->running = false;
}

int ram_prefault_wait(struct ram_prefault *pf, uint64_t *ns, uint64_t *waited_ns)
{
	uint64_t t = clock_ns();
	int threads = (int)pf->started;

	if (!pf->running)
		return -EINVAL;
	/* What is left is shared with this thread. */
	if (prefault_work(pf) || !threads)
		threads++;
	join_all(pf);
	*ns = pf->end_ns - pf->t0;
	if (waited_ns)
		*waited_ns = clock_ns() - t;
	return pf->error ? -pf->error : threads;
}

uint64_t ram_prefault_stop(struct ram_prefault *pf)
{
	if (!pf->running)
		return 0;
	pthread_mutex_lock(&pf->lock);
	pf->stop = true;
	pthread_mutex_unlock(&pf->lock);
	join_all(pf);
	return pf->handed;
}

int ram_prefault(struct guest_mem *gm, unsigned max_threads, uint64_t *ns)
{
	struct ram_prefault pf;

	/* This thread works too: n - 1 helpers. */
	ram_prefault_start(&pf, gm, ram_prefault_threads(max_threads) - 1);
	return ram_prefault_wait(&pf, ns, NULL);
}
