/* Live migration's dirty pages beyond KVM's log (see live_dirty.h): the
 * choice of tracking for each passed-through device, its start and stop
 * (a type1 container's once for all its devices), and one region's sync
 * merging every source with a count per source. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "live_dirty.h"
#include "log.h"

#define PAGE 4096ULL

static const char *const src_names[LIVE_DIRTY_NR] = {
	[LIVE_DIRTY_KVM] = "kvm",
	[LIVE_DIRTY_CONDUIT] = "conduit",
	[LIVE_DIRTY_DMA_LOGGING] = "dma-logging",
	[LIVE_DIRTY_IOMMU] = "iommu",
	[LIVE_DIRTY_ALL_DMA] = "all-dma",
	[LIVE_DIRTY_TYPE1] = "type1",
};

const char *live_dirty_src_name(enum live_dirty_src s)
{
	return (unsigned)s < LIVE_DIRTY_NR ? src_names[s] : "unknown";
}

const char *live_dirty_how_name(enum live_dirty_how h)
{
	switch (h) {
	case LIVE_TRACK_IOMMU:
		return "iommu";
	case LIVE_TRACK_DMA_LOGGING:
		return "dma-logging";
	case LIVE_TRACK_ALL_DMA:
		return "all-dma";
	case LIVE_TRACK_TYPE1:
		return "type1";
	default:
		return "none";
	}
}

/* The refusal for d: what it lacks, each item with how to get it. */
static void refusal(const struct live_dirty_dev *d, char *err, size_t errlen)
{
	const char *container = "";

	if (d->iommufd < 0)
		container = d->container_dirty ?
			", its type1 container's dirty tracking is off (x-conduit-container-dirty-tracking=false)" :
			", its type1 container has no dirty tracking (VFIO_IOMMU_DIRTY_PAGES)";
	snprintf(err, errlen, "%s: live migration cannot see the guest RAM it writes "
		 "by DMA: %s%s and %s; "
		 "migrate-set-parameters x-conduit-dirty-all-dma=true counts every "
		 "DMA-mapped page dirty in every round instead", d->name,
		 d->dma_logging ?
		 "its DMA logging is off (x-conduit-device-dirty-tracking=false)" :
		 "its driver offers no DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING)",
		 container,
		 d->iommufd < 0 ?
		 "the legacy backend has no IOMMU dirty tracking (--vfio-backend iommufd, on an IOMMU that tracks dirty pages)" :
		 "its IOMMU no dirty tracking (IOMMU_HW_CAP_DIRTY_TRACKING)");
}

int live_dirty_choose(struct live_dirty_dev *d, unsigned n, bool all_dma,
		      char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (d[i].hwpt)
			d[i].how = LIVE_TRACK_IOMMU;
		else if (d[i].dma_logging && !d[i].dma_logging_off)
			d[i].how = LIVE_TRACK_DMA_LOGGING;
		else if (d[i].iommufd < 0 && d[i].container >= 0 && d[i].container_dirty &&
			 !d[i].container_dirty_off)
			d[i].how = LIVE_TRACK_TYPE1;
		else if (all_dma)
			d[i].how = LIVE_TRACK_ALL_DMA;
		else {
			refusal(&d[i], err, errlen);
			return -1;
		}
	}
	return 0;
}

/* The entry of container fd in l, or NULL. */
static struct live_dirty_container *container_of_fd(struct live_dirty *l, int fd)
{
	unsigned i;

	for (i = 0; i < l->n_ct; i++)
		if (l->ct[i].fd == fd)
			return &l->ct[i];
	return NULL;
}

/* Whether d's type1 container offers dirty tracking: a GET_INFO the first
 * time the container is seen, remembered in l->ct. */
static bool container_offered(struct live_dirty *l, const struct live_dirty_dev *d)
{
	struct live_dirty_container *c;
	int ret;

	if (d->iommufd >= 0 || d->container < 0)
		return false;
	c = container_of_fd(l, d->container);
	if (c)
		return c->caps.offered;
	if (l->n_ct == MAX_PASSTHROUGH)
		return false;
	c = &l->ct[l->n_ct++];
	memset(c, 0, sizeof(*c));
	c->fd = d->container;
	ret = vfio_type1_dirty_probe(c->fd, &c->caps);
	if (ret)
		pr_debug("migrate: type1 container: VFIO_IOMMU_GET_INFO: %s", strerror(-ret));
	return c->caps.offered;
}

/* The container's tracking on, once for all its devices. */
static int container_start(struct live_dirty *l, const struct live_dirty_dev *d,
			   char *err, size_t errlen)
{
	struct live_dirty_container *c = container_of_fd(l, d->container);
	int ret;

	if (!c) {
		snprintf(err, errlen, "%s: its type1 container was not probed", d->name);
		return -1;
	}
	if (c->started)
		return 0;
	ret = vfio_type1_dirty_set(c->fd, true);
	if (ret) {
		snprintf(err, errlen, "%s: VFIO_IOMMU_DIRTY_PAGES_FLAG_START: %s", d->name,
			 strerror(-ret));
		return -1;
	}
	c->started = true;
	c->gets = 0;
	pr_info("migrate: type1 container: VFIO_IOMMU_DIRTY_PAGES started (pages of %llu "
		"bytes, at most %llu bitmap bytes a call)", (unsigned long long)c->caps.page_size,
		(unsigned long long)c->caps.max_bitmap_bytes);
	return 0;
}

static int start_one(struct live_dirty *l, struct live_dirty_dev *d,
		     const struct vfio_dirty_range *ram, unsigned n, char *err, size_t errlen)
{
	struct vfio_dirty_bitmap b;
	unsigned i;
	int ret;

	switch (d->how) {
	case LIVE_TRACK_DMA_LOGGING:
		d->page_size = PAGE;
		if (vfio_dma_logging_start(d->fd, d->name, ram, n, &d->page_size, err, errlen))
			return -1;
		break;
	case LIVE_TRACK_IOMMU:
		ret = vfio_iommufd_set_dirty(d->iommufd, d->hwpt, true);
		if (ret) {
			snprintf(err, errlen, "%s: IOMMU_HWPT_SET_DIRTY_TRACKING: %s", d->name,
				 strerror(-ret));
			return -1;
		}
		/* Whatever the IOMMU had marked before the start is no news. */
		for (i = 0; i < n; i++) {
			if (vfio_dirty_bitmap_init(&b, ram[i].iova, ram[i].length, PAGE))
				continue;
			if (vfio_iommufd_dirty_bitmap(d->iommufd, d->hwpt, &b, false))
				pr_debug("%s: clearing the IOMMU's dirty bits failed", d->name);
			vfio_dirty_bitmap_free(&b);
		}
		break;
	case LIVE_TRACK_TYPE1:
		if (container_start(l, d, err, errlen))
			return -1;
		break;
	default:
		break;
	}
	d->started = true;
	return 0;
}

void live_dirty_probe(struct live_dirty *l)
{
	unsigned i;

	l->n_ct = 0;
	for (i = 0; i < l->n; i++) {
		l->dev[i].dma_logging = vfio_dma_logging_offered(l->dev[i].fd);
		l->dev[i].dma_logging_off = l->no_dma_logging;
		l->dev[i].container_dirty = container_offered(l, &l->dev[i]);
		l->dev[i].container_dirty_off = l->no_container_dirty;
	}
}

int live_dirty_start(struct live_dirty *l, const struct vfio_dirty_range *ram, unsigned n,
		     bool all_dma, char *err, size_t errlen)
{
	unsigned i;

	memset(l->round, 0, sizeof(l->round));
	memset(l->total, 0, sizeof(l->total));
	live_dirty_probe(l);
	for (i = 0; i < l->n; i++)
		l->dev[i].started = false;
	if (live_dirty_choose(l->dev, l->n, all_dma, err, errlen))
		return -1;
	for (i = 0; i < l->n; i++) {
		if (start_one(l, &l->dev[i], ram, n, err, errlen)) {
			live_dirty_stop(l);
			return -1;
		}
		pr_info("migrate: %s: its DMA writes tracked by %s", l->dev[i].name,
			live_dirty_how_name(l->dev[i].how));
	}
	return 0;
}

bool live_dirty_all_dma(const struct live_dirty *l)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		if (l->dev[i].how == LIVE_TRACK_ALL_DMA)
			return true;
	return false;
}

void live_dirty_round(struct live_dirty *l)
{
	memset(l->round, 0, sizeof(l->round));
}

/* A DMA log kept in pages larger than dst's: reported over dst's range
 * rounded out to them, each dirty page of the device's marking all of
 * dst's pages inside it. */
static int report_coarse(const struct live_dirty_dev *d, struct vfio_dirty_bitmap *out)
{
	uint64_t ps = d->page_size, lo = out->iova & ~(ps - 1);
	uint64_t hi = (out->iova + out->length + ps - 1) & ~(ps - 1), p, a;
	struct vfio_dirty_bitmap c;
	int ret;

	ret = vfio_dirty_bitmap_init(&c, lo, hi - lo, ps);
	if (ret)
		return ret;
	ret = vfio_dma_logging_report(d->fd, &c);
	vfio_dirty_bitmap_clear(out);
	for (p = 0; !ret && p < vfio_dirty_bitmap_pages(&c); p++) {
		if (!vfio_dirty_bitmap_test(&c, lo + p * ps))
			continue;
		for (a = lo + p * ps; a < lo + (p + 1) * ps; a += out->page_size)
			vfio_dirty_bitmap_set(out, a);
	}
	vfio_dirty_bitmap_free(&c);
	return ret;
}

/* Device d's pages in out's range, into out. */
static int report(const struct live_dirty_dev *d, struct vfio_dirty_bitmap *out)
{
	if (d->how == LIVE_TRACK_IOMMU)
		return vfio_iommufd_dirty_bitmap(d->iommufd, d->hwpt, out, false);
	if (d->page_size == out->page_size)
		return vfio_dma_logging_report(d->fd, out);
	return report_coarse(d, out);
}

struct sources {
	const struct vfio_dirty_bitmap *b[2 + MAX_PASSTHROUGH + 1];
	enum live_dirty_src kind[2 + MAX_PASSTHROUGH + 1];
	struct vfio_dirty_count count[2 + MAX_PASSTHROUGH + 1];
	struct vfio_dirty_bitmap own[MAX_PASSTHROUGH + 1];     /* allocated here */
	unsigned n, n_own;
};

static void add_source(struct sources *s, const struct vfio_dirty_bitmap *b,
		       enum live_dirty_src kind)
{
	s->b[s->n] = b;
	s->kind[s->n++] = kind;
}

/* A bitmap of dst's geometry owned by s, or NULL. */
static struct vfio_dirty_bitmap *own_bitmap(struct sources *s, const struct vfio_dirty_bitmap *dst)
{
	struct vfio_dirty_bitmap *b = &s->own[s->n_own];

	if (vfio_dirty_bitmap_init(b, dst->iova, dst->length, dst->page_size))
		return NULL;
	s->n_own++;
	return b;
}

/* The pages of d's type1 container in dst's range, once a sync for all
 * the container's devices (synced: those done). */
static int container_source(struct live_dirty *l, struct sources *s,
			    const struct live_dirty_dev *d, const struct vfio_dirty_bitmap *dst,
			    bool *synced, char *err, size_t errlen)
{
	struct live_dirty_container *c = container_of_fd(l, d->container);
	struct vfio_dirty_bitmap *b;
	int ret;

	if (!c || !c->started || synced[c - l->ct])
		return 0;
	synced[c - l->ct] = true;
	b = own_bitmap(s, dst);
	if (!b)
		return -ENOMEM;
	ret = vfio_type1_dirty_bitmap(c->fd, &c->caps, b);
	c->gets++;
	if (ret) {
		snprintf(err, errlen, "%s: VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP: %s", d->name,
			 strerror(-ret));
		return ret;
	}
	add_source(s, b, LIVE_DIRTY_TYPE1);
	return 0;
}

static int device_sources(struct live_dirty *l, struct sources *s,
			  const struct vfio_dirty_bitmap *dst, bool dma_mapped,
			  char *err, size_t errlen)
{
	bool synced[MAX_PASSTHROUGH] = { false };
	struct vfio_dirty_bitmap *b;
	bool all = false;
	unsigned i;
	int ret;

	for (i = 0; i < l->n; i++) {
		struct live_dirty_dev *d = &l->dev[i];

		if (!d->started)
			continue;
		if (d->how == LIVE_TRACK_ALL_DMA) {
			all = true;
			continue;
		}
		if (d->how == LIVE_TRACK_TYPE1) {
			ret = container_source(l, s, d, dst, synced, err, errlen);
			if (ret)
				return ret;
			continue;
		}
		b = own_bitmap(s, dst);
		if (!b)
			return -ENOMEM;
		ret = report(d, b);
		if (ret) {
			snprintf(err, errlen, "%s: %s: %s", d->name, d->how == LIVE_TRACK_IOMMU ?
				 "IOMMU_HWPT_GET_DIRTY_BITMAP" :
				 "VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT", strerror(-ret));
			return ret;
		}
		add_source(s, b, d->how == LIVE_TRACK_IOMMU ? LIVE_DIRTY_IOMMU :
			   LIVE_DIRTY_DMA_LOGGING);
	}
	if (all && dma_mapped) {
		b = own_bitmap(s, dst);
		if (!b)
			return -ENOMEM;
		memset(b->bits, 0xff, vfio_dirty_bitmap_words(b) * sizeof(uint64_t));
		add_source(s, b, LIVE_DIRTY_ALL_DMA);
	}
	return 0;
}

int64_t live_dirty_sync(struct live_dirty *l, struct vfio_dirty_bitmap *dst,
			const struct vfio_dirty_bitmap *kvm, const struct vfio_dirty_bitmap *host,
			bool dma_mapped, char *err, size_t errlen)
{
	struct sources s = { .n = 0 };
	struct vfio_dirty_bitmap merged;
	uint64_t w;
	unsigned i;
	int64_t ret;

	if (kvm)
		add_source(&s, kvm, LIVE_DIRTY_KVM);
	if (host)
		add_source(&s, host, LIVE_DIRTY_CONDUIT);
	ret = device_sources(l, &s, dst, dma_mapped, err, errlen);
	if (!ret && vfio_dirty_bitmap_init(&merged, dst->iova, dst->length, dst->page_size))
		ret = -ENOMEM;
	if (!ret) {
		ret = vfio_dirty_merge(&merged, s.b, s.n, s.count);
		for (w = 0; ret >= 0 && w < vfio_dirty_bitmap_words(dst); w++)
			dst->bits[w] |= merged.bits[w];
		vfio_dirty_bitmap_free(&merged);
	}
	if (ret == -ENOMEM || ret == -EINVAL)
		snprintf(err, errlen, "merging the dirty pages: %s", strerror((int)-ret));
	for (i = 0; ret >= 0 && i < s.n; i++) {
		l->round[s.kind[i]] += s.count[i].pages;
		l->total[s.kind[i]] += s.count[i].pages;
	}
	for (i = 0; i < s.n_own; i++)
		vfio_dirty_bitmap_free(&s.own[i]);
	return ret < 0 ? ret : (int64_t)vfio_dirty_bitmap_count(dst);
}

void live_dirty_stop(struct live_dirty *l)
{
	unsigned i;
	int ret;

	for (i = 0; i < l->n; i++) {
		struct live_dirty_dev *d = &l->dev[i];

		if (!d->started)
			continue;
		d->started = false;
		ret = 0;
		if (d->how == LIVE_TRACK_DMA_LOGGING)
			ret = vfio_dma_logging_stop(d->fd);
		else if (d->how == LIVE_TRACK_IOMMU)
			ret = vfio_iommufd_set_dirty(d->iommufd, d->hwpt, false);
		if (ret)
			pr_warn("migrate: %s: stopping its dirty tracking: %s", d->name,
				strerror(-ret));
	}
	for (i = 0; i < l->n_ct; i++) {
		struct live_dirty_container *c = &l->ct[i];

		if (!c->started)
			continue;
		c->started = false;
		ret = vfio_type1_dirty_set(c->fd, false);
		if (ret)
			pr_warn("migrate: type1 container: VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP: %s",
				strerror(-ret));
		else
			pr_info("migrate: type1 container: VFIO_IOMMU_DIRTY_PAGES stopped after %llu "
				"GET_BITMAP reports", (unsigned long long)c->gets);
	}
}
