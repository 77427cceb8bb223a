/* KVM dirty logging of guest RAM (see dirty_log.h): the manual-protect
 * capability, the RAM slots' KVM_MEM_LOG_DIRTY_PAGES flag (set through
 * memslot.c, the one place that installs slots), and the read and clear of
 * each slot's log. Groundwork for issue 15's live migration; nothing uses
 * it yet. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "dirty_log.h"
#include "memslot.h"

void dirty_log_init(struct dirty_log *d, int vm_fd, const struct guest_mem *gm,
		    const int *slot)
{
	int i;

	memset(d, 0, sizeof(*d));
	d->vm_fd = vm_fd;
	d->gm = gm;
	for (i = 0; i < gm->n_ram && i < MAX_RAM_REGIONS; i++)
		d->slot[i] = slot[i];
}

/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 with what KVM offers of it (its
 * KVM_CHECK_EXTENSION answer is the flags it takes); nothing when it
 * offers none. It must come before any slot has KVM_MEM_LOG_DIRTY_PAGES. */
static int enable_manual(struct dirty_log *d, char *err, size_t errlen)
{
	const uint64_t want = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 };
	int offered = ioctl(d->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);

	d->manual = 0;
	if (offered <= 0 || !(offered & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
		return 0;
	cap.args[0] = (uint64_t)offered & want;
	if (ioctl(d->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		snprintf(err, errlen, "KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): %s",
			 strerror(errno));
		return -1;
	}
	d->manual = cap.args[0];
	return 0;
}

static int set_logging(const struct dirty_log *d, int i, bool on)
{
	const struct ram_region *r = &d->gm->ram[i];

	return memslot_set(d->vm_fd, d->slot[i], r->gpa, r->size, r->hva,
			   on ? KVM_MEM_LOG_DIRTY_PAGES : 0);
}

static void slot_error(const struct dirty_log *d, int i, bool on, int ret, char *err,
		       size_t errlen)
{
	snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION %s dirty logging for RAM at 0x%llx: %s",
		 on ? "turning on" : "turning off", (unsigned long long)d->gm->ram[i].gpa,
		 strerror(-ret));
}

int dirty_log_start(struct dirty_log *d, char *err, size_t errlen)
{
	int i, ret;

	if (d->on) {
		snprintf(err, errlen, "dirty logging of guest RAM is on already");
		return -1;
	}
	if (enable_manual(d, err, errlen))
		return -1;
	for (i = 0; i < d->gm->n_ram; i++) {
		ret = set_logging(d, i, true);
		if (ret) {
			slot_error(d, i, true, ret, err, errlen);
			while (i--)
				set_logging(d, i, false);
			return -1;
		}
	}
	d->on = true;
	return 0;
}

int dirty_log_stop(struct dirty_log *d, char *err, size_t errlen)
{
	int i, ret, failed = -1, first = 0;

	for (i = 0; i < d->gm->n_ram; i++) {
		ret = set_logging(d, i, false);
		if (ret && failed < 0) {
			failed = i;
			first = ret;
		}
	}
	d->on = false;
	if (failed < 0)
		return 0;
	slot_error(d, failed, false, first, err, errlen);
	return -1;
}

int dirty_log_bitmap_init(const struct dirty_log *d, int i, struct vfio_dirty_bitmap *b)
{
	if (i < 0 || i >= d->gm->n_ram) {
		memset(b, 0, sizeof(*b));
		return -EINVAL;
	}
	return vfio_dirty_bitmap_init(b, d->gm->ram[i].gpa, d->gm->ram[i].size, DIRTY_LOG_PAGE);
}

static bool piece_dirty(const struct vfio_dirty_bitmap *b, uint64_t first, uint64_t n)
{
	uint64_t w;

	for (w = first / 64; w < (first + n + 63) / 64; w++)
		if (b->bits[w])
			return true;
	return false;
}

/* KVM_CLEAR_DIRTY_LOG of the pages set in b, a piece at a time (first_page
 * a multiple of 64, as KVM wants; the last piece ends at the slot's end). */
static int clear_read(const struct dirty_log *d, int slot, const struct vfio_dirty_bitmap *b)
{
	uint64_t pages = vfio_dirty_bitmap_pages(b), first;

	for (first = 0; first < pages; first += DIRTY_LOG_CLEAR_PAGES) {
		uint64_t n = pages - first < DIRTY_LOG_CLEAR_PAGES ? pages - first :
			     DIRTY_LOG_CLEAR_PAGES;
		struct kvm_clear_dirty_log c = {
			.slot = (uint32_t)slot,
			.num_pages = (uint32_t)n,
			.first_page = first,
			.dirty_bitmap = b->bits + first / 64,
		};

		if (!piece_dirty(b, first, n))
			continue;
		if (ioctl(d->vm_fd, KVM_CLEAR_DIRTY_LOG, &c) < 0)
			return -errno;
	}
	return 0;
}

static bool bitmap_is_region(const struct dirty_log *d, int i, const struct vfio_dirty_bitmap *b)
{
	const struct ram_region *r;

	if (i < 0 || i >= d->gm->n_ram || !b->bits)
		return false;
	r = &d->gm->ram[i];
	return b->iova == r->gpa && b->length == r->size && b->page_size == DIRTY_LOG_PAGE;
}

int64_t dirty_log_sync(struct dirty_log *d, int i, struct vfio_dirty_bitmap *b)
{
	struct kvm_dirty_log log = { 0 };
	int ret;

	if (!d->on || !bitmap_is_region(d, i, b))
		return -EINVAL;
	log.slot = (uint32_t)d->slot[i];
	log.dirty_bitmap = b->bits;
	if (ioctl(d->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
		return -errno;
	if (d->manual & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
		ret = clear_read(d, d->slot[i], b);
		if (ret)
			return ret;
	}
	return (int64_t)vfio_dirty_bitmap_count(b);
}
