/* Dirty page bitmaps in the layout VFIO's DMA logging and IOMMUFD report
 * (bit i: the page at iova + i * page_size), and merging several sources'
 * into one with what each gave, so a round's figures can say where its
 * dirty pages came from. Groundwork for issue 15; nothing uses it yet. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dirty.h"

static bool power_of_two(uint64_t x)
{
	return x && !(x & (x - 1));
}

uint64_t vfio_dirty_bitmap_pages(const struct vfio_dirty_bitmap *b)
{
	return b->length / b->page_size;
}

uint64_t vfio_dirty_bitmap_words(const struct vfio_dirty_bitmap *b)
{
	return (vfio_dirty_bitmap_pages(b) + 63) / 64;
}

int vfio_dirty_bitmap_init(struct vfio_dirty_bitmap *b, uint64_t iova, uint64_t length,
			   uint64_t page_size)
{
	memset(b, 0, sizeof(*b));
	if (!power_of_two(page_size) || page_size < 4096 || !length ||
	    (iova | length) & (page_size - 1) || iova + length - 1 < iova)
		return -EINVAL;
	b->iova = iova;
	b->length = length;
	b->page_size = page_size;
	b->bits = calloc(vfio_dirty_bitmap_words(b), sizeof(uint64_t));
	return b->bits ? 0 : -ENOMEM;
}

void vfio_dirty_bitmap_free(struct vfio_dirty_bitmap *b)
{
	free(b->bits);
	b->bits = NULL;
}

void vfio_dirty_bitmap_clear(struct vfio_dirty_bitmap *b)
{
	memset(b->bits, 0, vfio_dirty_bitmap_words(b) * sizeof(uint64_t));
}

uint64_t vfio_dirty_bitmap_count(const struct vfio_dirty_bitmap *b)
{
	uint64_t i, n = 0;

	for (i = 0; i < vfio_dirty_bitmap_words(b); i++)
		n += (uint64_t)__builtin_popcountll(b->bits[i]);
	return n;
}

static bool page_of(const struct vfio_dirty_bitmap *b, uint64_t iova, uint64_t *page)
{
	if (iova < b->iova || iova - b->iova >= b->length)
		return false;
	*page = (iova - b->iova) / b->page_size;
	return true;
}

bool vfio_dirty_bitmap_test(const struct vfio_dirty_bitmap *b, uint64_t iova)
{
	uint64_t p;

	return page_of(b, iova, &p) && (b->bits[p / 64] >> (p % 64) & 1);
}

void vfio_dirty_bitmap_set(struct vfio_dirty_bitmap *b, uint64_t iova)
{
	uint64_t p;

	if (page_of(b, iova, &p))
		b->bits[p / 64] |= 1ULL << (p % 64);
}

static bool same_geometry(const struct vfio_dirty_bitmap *a, const struct vfio_dirty_bitmap *b)
{
	return a->iova == b->iova && a->length == b->length && a->page_size == b->page_size;
}

/* The bits of word i that stand for pages of the range (the last word's
 * tail stands for none, whatever a source left there). */
static uint64_t word_mask(const struct vfio_dirty_bitmap *b, uint64_t i)
{
	uint64_t pages = vfio_dirty_bitmap_pages(b);

	if ((i + 1) * 64 <= pages)
		return ~0ULL;
	return (1ULL << (pages % 64)) - 1;
}

/* One word of the merge: dst's word i, and each source's share of it. */
static void merge_word(struct vfio_dirty_bitmap *dst, const struct vfio_dirty_bitmap *const *src,
		       unsigned n, struct vfio_dirty_count *count, uint64_t i)
{
	uint64_t mask = word_mask(dst, i), all = 0, others;
	unsigned j, k;

	for (j = 0; j < n; j++)
		all |= src[j]->bits[i] & mask;
	dst->bits[i] = all;
	for (j = 0; j < n; j++) {
		uint64_t mine = src[j]->bits[i] & mask;

		others = 0;
		for (k = 0; k < n; k++)
			if (k != j)
				others |= src[k]->bits[i];
		count[j].pages += (uint64_t)__builtin_popcountll(mine);
		count[j].only += (uint64_t)__builtin_popcountll(mine & ~others);
	}
}

int64_t vfio_dirty_merge(struct vfio_dirty_bitmap *dst,
			 const struct vfio_dirty_bitmap *const *src, unsigned n,
			 struct vfio_dirty_count *count)
{
	uint64_t i;
	unsigned j;

	for (j = 0; j < n; j++)
		if (!same_geometry(dst, src[j]))
			return -EINVAL;
	memset(count, 0, n * sizeof(*count));
	for (i = 0; i < vfio_dirty_bitmap_words(dst); i++)
		merge_word(dst, src, n, count, i);
	return (int64_t)vfio_dirty_bitmap_count(dst);
}
