/* The fake KVM vm fd (see fake_kvm.h): answers the vm ioctls, keeps the
 * model of KVM's state, and fails what the failure plan says. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "fake_kvm.h"
#include "fake_kvm_x86.h"

struct fake_kvm fake_kvm = { .fd = -1 };

int fake_kvm_open(void)
{
	if (fake_kvm.fd < 0)
		fake_kvm.fd = eventfd(0, EFD_CLOEXEC);
	fake_kvm_reset();
	return fake_kvm.fd;
}

void fake_kvm_close(void)
{
	if (fake_kvm.fd >= 0)
		close(fake_kvm.fd);
	fake_kvm.fd = -1;
}

void fake_kvm_reset(void)
{
	int fd = fake_kvm.fd;
	void (*misuse)(const char *) = fake_kvm.misuse;
	unsigned i;

	for (i = 0; i < FAKE_KVM_SLOTS; i++)
		free(fake_kvm.slot[i].dirty);

	memset(&fake_kvm, 0, sizeof(fake_kvm));
	fake_kvm.fd = fd;
	fake_kvm.misuse = misuse;
}

void fake_kvm_fail(uint32_t mask, int err)
{
	fake_kvm.fail_mask = mask;
	fake_kvm.fail_errno = err ? err : EINVAL;
	fake_kvm.failable_calls = 0;
	fake_kvm.injected = 0;
}

static int misuse(const char *what)
{
	if (fake_kvm.misuse)
		fake_kvm.misuse(what);
	errno = EINVAL;
	return -1;
}

/* A call that a real KVM may refuse: does the plan say it fails? */
static bool plan_fails(void)
{
	unsigned n = fake_kvm.failable_calls++;

	if (!(fake_kvm.fail_mask & (1U << (n % 32))))
		return false;
	fake_kvm.injected++;
	errno = fake_kvm.fail_errno;
	return true;
}

static bool open_fd(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

const struct fake_kvm_irqfd *fake_kvm_irqfd_of(int efd)
{
	unsigned i;

	for (i = 0; i < fake_kvm.n_irqfds; i++)
		if (fake_kvm.irqfd[i].efd == efd)
			return &fake_kvm.irqfd[i];
	return NULL;
}

const struct kvm_irq_routing_entry *fake_kvm_msi_route(uint32_t gsi)
{
	unsigned i;

	for (i = 0; i < fake_kvm.n_routes; i++)
		if (fake_kvm.route[i].gsi == gsi && fake_kvm.route[i].type == KVM_IRQ_ROUTING_MSI)
			return &fake_kvm.route[i];
	return NULL;
}

unsigned fake_kvm_slots(void)
{
	unsigned i, n = 0;

	for (i = 0; i < FAKE_KVM_SLOTS; i++)
		n += fake_kvm.slot[i].used;
	return n;
}

static int irqfd(const struct kvm_irqfd *f)
{
	struct fake_kvm_irqfd *e = (struct fake_kvm_irqfd *)fake_kvm_irqfd_of((int)f->fd);
	bool resample = f->flags & KVM_IRQFD_FLAG_RESAMPLE;

	fake_kvm.irqfd_calls++;
	if (fake_kvm.n_log < FAKE_KVM_LOG)
		fake_kvm.log[fake_kvm.n_log] = *f;
	fake_kvm.n_log++;
	if (f->flags & ~(uint32_t)(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return misuse("KVM_IRQFD: unknown flags");
	if (!open_fd((int)f->fd)) {
		errno = EBADF;
		return -1;
	}
	if (f->flags & KVM_IRQFD_FLAG_DEASSIGN) {
		/* KVM: deassigning what is not there is not an error. */
		if (e && e->gsi == f->gsi)
			*e = fake_kvm.irqfd[--fake_kvm.n_irqfds];
		return 0;
	}
	if (resample && !open_fd((int)f->resamplefd))
		return misuse("KVM_IRQFD: resample without an open resamplefd");
	if (e) {
		errno = EBUSY;  /* one irqfd per eventfd */
		return -1;
	}
	if (fake_kvm.n_irqfds == FAKE_KVM_IRQFDS)
		return misuse("KVM_IRQFD: more irqfds than the fake holds");
	if (plan_fails())
		return -1;
	fake_kvm.irqfd[fake_kvm.n_irqfds++] = (struct fake_kvm_irqfd){
		.efd = (int)f->fd, .gsi = f->gsi, .resamplefd = resample ? (int)f->resamplefd : -1,
	};
	return 0;
}

static int routing(const struct kvm_irq_routing *t)
{
	uint32_t i;

	if (t->flags || t->nr > FAKE_KVM_ROUTES)
		return misuse("KVM_SET_GSI_ROUTING: bad table");
	for (i = 0; i < t->nr; i++)
		if (t->entries[i].type != KVM_IRQ_ROUTING_IRQCHIP &&
		    t->entries[i].type != KVM_IRQ_ROUTING_MSI)
			return misuse("KVM_SET_GSI_ROUTING: unknown route type");
	if (plan_fails())
		return -1;
	fake_kvm.routing_commits++;
	memcpy(fake_kvm.route, t->entries, t->nr * sizeof(t->entries[0]));
	fake_kvm.n_routes = t->nr;
	return 0;
}

static uint64_t slot_pages(const struct fake_kvm_slot *s)
{
	return s->size / 4096;
}

static uint64_t log_words(const struct fake_kvm_slot *s)
{
	return (slot_pages(s) + 63) / 64;
}

void fake_kvm_dirty(uint32_t slot, uint64_t page)
{
	struct fake_kvm_slot *s = slot < FAKE_KVM_SLOTS ? &fake_kvm.slot[slot] : NULL;

	if (!s || !s->dirty || page >= slot_pages(s)) {
		misuse("fake_kvm_dirty: no dirty log there");
		return;
	}
	s->dirty[page / 64] |= 1ULL << (page % 64);
}

uint64_t fake_kvm_dirty_pages(uint32_t slot)
{
	const struct fake_kvm_slot *s = &fake_kvm.slot[slot];
	uint64_t i, n = 0;

	for (i = 0; s->dirty && i < log_words(s); i++)
		n += (uint64_t)__builtin_popcountll(s->dirty[i]);
	return n;
}

/* The slot's log as KVM keeps it: made when KVM_MEM_LOG_DIRTY_PAGES comes
 * on (every page set under manual protect with INITIALLY_SET), dropped
 * when it goes off. */
static int set_log(struct fake_kvm_slot *s, bool on)
{
	uint64_t pages = slot_pages(s), i;

	if (!on || s->dirty) {
		if (!on) {
			free(s->dirty);
			s->dirty = NULL;
		}
		return 0;
	}
	s->dirty = calloc(log_words(s), sizeof(uint64_t));
	if (!s->dirty) {
		errno = ENOMEM;
		return -1;
	}
	if (fake_kvm.manual_protect & KVM_DIRTY_LOG_INITIALLY_SET)
		for (i = 0; i < pages; i++)
			s->dirty[i / 64] |= 1ULL << (i % 64);
	return 0;
}

/* KVM's checks of a change to an installed slot: the same memory (a new
 * gpa is a move), and KVM_MEM_READONLY cannot change. */
static bool bad_change(const struct fake_kvm_slot *s, const struct kvm_userspace_memory_region *r)
{
	return r->memory_size != s->size || r->userspace_addr != s->hva ||
	       ((r->flags ^ s->flags) & KVM_MEM_READONLY);
}

static int memory_region(const struct kvm_userspace_memory_region *r)
{
	struct fake_kvm_slot *s;

	fake_kvm.slot_calls++;
	if (r->slot >= FAKE_KVM_SLOTS)
		return misuse("KVM_SET_USER_MEMORY_REGION: slot out of range");
	if (r->flags & ~(uint32_t)(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY))
		return misuse("KVM_SET_USER_MEMORY_REGION: unknown flags");
	s = &fake_kvm.slot[r->slot];
	if (!r->memory_size) {
		set_log(s, false);
		s->used = false;
		return 0;
	}
	if (r->flags & KVM_MEM_LOG_DIRTY_PAGES)
		fake_kvm.log_flag_calls++;
	if ((r->guest_phys_addr | r->memory_size | r->userspace_addr) & 0xfff ||
	    (s->used && bad_change(s, r))) {
		errno = EINVAL;         /* as KVM answers */
		return -1;
	}
	if (plan_fails())
		return -1;
	if (!s->used)
		*s = (struct fake_kvm_slot){ .used = true, .size = r->memory_size,
					     .hva = r->userspace_addr };
	s->gpa = r->guest_phys_addr;
	s->flags = r->flags;
	return set_log(s, r->flags & KVM_MEM_LOG_DIRTY_PAGES);
}

static bool any_slot_logging(void)
{
	unsigned i;

	for (i = 0; i < FAKE_KVM_SLOTS; i++)
		if (fake_kvm.slot[i].dirty)
			return true;
	return false;
}

static int enable_cap(const struct kvm_enable_cap *c)
{
	fake_kvm.enable_cap_calls++;
	if (c->cap != KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)
		return misuse("KVM_ENABLE_CAP: a capability the fake does not know");
	if (any_slot_logging())
		return misuse("KVM_ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2) after a slot has "
			      "KVM_MEM_LOG_DIRTY_PAGES");
	if (c->flags || !fake_kvm.cap_manual_protect ||
	    (c->args[0] & ~(uint64_t)fake_kvm.cap_manual_protect)) {
		errno = EINVAL;
		return -1;
	}
	fake_kvm.manual_protect = c->args[0];
	return 0;
}

static struct fake_kvm_slot *logging_slot(uint32_t slot)
{
	if (slot >= FAKE_KVM_SLOTS || !fake_kvm.slot[slot].dirty) {
		errno = ENOENT;         /* no such slot, or no log: as KVM */
		return NULL;
	}
	return &fake_kvm.slot[slot];
}

/* Without manual protect KVM hands the log out and clears it (the pages
 * are write-protected again); with it, the log stays as it is. */
static int get_dirty_log(const struct kvm_dirty_log *l)
{
	struct fake_kvm_slot *s;
	uint64_t i;

	fake_kvm.get_dirty_calls++;
	s = logging_slot(l->slot);
	if (!s)
		return -1;
	memcpy(l->dirty_bitmap, s->dirty, log_words(s) * sizeof(uint64_t));
	if (fake_kvm.manual_protect & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		return 0;
	for (i = 0; i < log_words(s); i++)
		fake_kvm.reprotected += (uint64_t)__builtin_popcountll(s->dirty[i]);
	memset(s->dirty, 0, log_words(s) * sizeof(uint64_t));
	return 0;
}

/* KVM's checks: first_page a multiple of 64, the range inside the slot,
 * num_pages a multiple of 64 unless the range ends at the slot's end. */
static bool bad_clear_range(const struct fake_kvm_slot *s, const struct kvm_clear_dirty_log *c)
{
	uint64_t pages = slot_pages(s);

	return (c->first_page & 63) || c->first_page > pages ||
	       c->num_pages > pages - c->first_page ||
	       (c->num_pages < pages - c->first_page && (c->num_pages & 63));
}

static int clear_dirty_log(const struct kvm_clear_dirty_log *c)
{
	const uint64_t *mask = c->dirty_bitmap;
	struct fake_kvm_clear *rec = NULL;
	struct fake_kvm_slot *s;
	uint64_t i, page, cleared = 0;

	if (fake_kvm.clear_calls < FAKE_KVM_LOG)
		rec = &fake_kvm.clear[fake_kvm.clear_calls];
	fake_kvm.clear_calls++;
	s = logging_slot(c->slot);
	if (!s)
		return -1;
	if (bad_clear_range(s, c)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < c->num_pages; i++) {
		page = c->first_page + i;
		if (!(mask[i / 64] >> (i % 64) & 1) || !(s->dirty[page / 64] >> (page % 64) & 1))
			continue;
		s->dirty[page / 64] &= ~(1ULL << (page % 64));
		cleared++;
	}
	fake_kvm.reprotected += cleared;
	if (rec)
		*rec = (struct fake_kvm_clear){ c->slot, c->num_pages, c->first_page, cleared };
	return 0;
}

static int ioeventfd(const struct kvm_ioeventfd *e)
{
	unsigned i;

	fake_kvm.ioeventfd_calls++;
	if (!open_fd(e->fd)) {
		errno = EBADF;
		return -1;
	}
	for (i = 0; i < fake_kvm.n_ioeventfds; i++)
		if (fake_kvm.ioeventfd[i].addr == e->addr &&
		    fake_kvm.ioeventfd[i].fd == e->fd)
			break;
	if (e->flags & KVM_IOEVENTFD_FLAG_DEASSIGN) {
		if (i == fake_kvm.n_ioeventfds) {
			errno = ENOENT;
			return -1;
		}
		fake_kvm.ioeventfd[i] = fake_kvm.ioeventfd[--fake_kvm.n_ioeventfds];
		return 0;
	}
	if (i < fake_kvm.n_ioeventfds) {
		errno = EEXIST;
		return -1;
	}
	if (fake_kvm.n_ioeventfds == FAKE_KVM_IOEVENTFDS)
		return misuse("KVM_IOEVENTFD: more than the fake holds");
	if (plan_fails())
		return -1;
	fake_kvm.ioeventfd[fake_kvm.n_ioeventfds++] = *e;
	return 0;
}

int fake_kvm_ioctl(unsigned long req, void *arg)
{
	if (req == KVM_CHECK_EXTENSION &&
	    (unsigned long)arg == KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)
		return fake_kvm.cap_manual_protect;
	switch (req) {
	case KVM_CHECK_EXTENSION:
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
	case KVM_GET_CLOCK:
	case KVM_SET_CLOCK:
		return fake_kvm_x86_vm_ioctl(req, arg);
	}
	if (!arg) {
		errno = EFAULT;
		return -1;
	}
	switch (req) {
	case KVM_IRQFD:
		return irqfd(arg);
	case KVM_SET_GSI_ROUTING:
		return routing(arg);
	case KVM_SET_USER_MEMORY_REGION:
		return memory_region(arg);
	case KVM_IOEVENTFD:
		return ioeventfd(arg);
	case KVM_ENABLE_CAP:
		return enable_cap(arg);
	case KVM_GET_DIRTY_LOG:
		return get_dirty_log(arg);
	case KVM_CLEAR_DIRTY_LOG:
		return clear_dirty_log(arg);
	case KVM_IRQ_LINE:
		fake_kvm.irq_lines++;
		return 0;
	}
	fake_kvm.other_calls++;
	errno = ENOTTY;
	return -1;
}
