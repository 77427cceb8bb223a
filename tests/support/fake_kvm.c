/* The fake KVM vm fd (see fake_kvm.h): answers the vm ioctls, keeps the
 * model of KVM's state, and fails what the failure plan says. */
#include <errno.h>
#include <fcntl.h>
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

static int memory_region(const struct kvm_userspace_memory_region *r)
{
	struct fake_kvm_slot *s;

	fake_kvm.slot_calls++;
	if (r->slot >= FAKE_KVM_SLOTS)
		return misuse("KVM_SET_USER_MEMORY_REGION: slot out of range");
	s = &fake_kvm.slot[r->slot];
	if (!r->memory_size) {
		s->used = false;
		return 0;
	}
	if ((r->guest_phys_addr | r->memory_size | r->userspace_addr) & 0xfff) {
		errno = EINVAL;         /* as KVM answers */
		return -1;
	}
	if (plan_fails())
		return -1;
	*s = (struct fake_kvm_slot){ true, r->guest_phys_addr, r->memory_size,
				     r->userspace_addr };
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
	case KVM_IRQ_LINE:
		fake_kvm.irq_lines++;
		return 0;
	}
	fake_kvm.other_calls++;
	errno = ENOTTY;
	return -1;
}
