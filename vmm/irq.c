/* Guest interrupt routing. KVM_SET_GSI_ROUTING replaces the whole table, so
 * the table lives here: the default ISA/IOAPIC routes (GSI n -> PIC and
 * IOAPIC pin n, as KVM's own default) plus one MSI route per vector that a
 * device model or passthrough device has programmed. */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "arch.h"
#include "irq.h"

static int commit(struct irq_router *r)
{
	/* Aligned for the header and its 8-byte-aligned entries. */
	static __thread _Alignas(struct kvm_irq_routing_entry) char
		buf[sizeof(struct kvm_irq_routing) +
		    IRQ_MAX_ROUTES * sizeof(struct kvm_irq_routing_entry)];
	struct kvm_irq_routing *t = (void *)buf;

	t->nr = r->n;
	t->flags = 0;
	memcpy(t->entries, r->e, r->n * sizeof(r->e[0]));
	return ioctl(r->vm_fd, KVM_SET_GSI_ROUTING, t) < 0 ? -errno : 0;
}

int irq_router_init(struct irq_router *r, int vm_fd)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->vm_fd = vm_fd;
	r->n = (int)arch_irq_default_routes(r->e, IRQ_MAX_ROUTES, &r->first_msi_gsi);
	return commit(r);
}

int irq_msi_alloc(struct irq_router *r, uint32_t *gsi)
{
	uint32_t g;
	int ret = -ENOSPC;

	pthread_mutex_lock(&r->lock);
	for (g = r->first_msi_gsi; g < IRQ_MAX_ROUTES; g++) {
		if (!(r->gsi_used[g / 64] & (1ULL << (g % 64)))) {
			r->gsi_used[g / 64] |= 1ULL << (g % 64);
			*gsi = g;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void irq_msi_free(struct irq_router *r, uint32_t gsi)
{
	if (gsi < r->first_msi_gsi || gsi >= IRQ_MAX_ROUTES)
		return;
	irq_msi_clear(r, gsi);
	pthread_mutex_lock(&r->lock);
	r->gsi_used[gsi / 64] &= ~(1ULL << (gsi % 64));
	pthread_mutex_unlock(&r->lock);
}

static struct kvm_irq_routing_entry *find_msi(struct irq_router *r, uint32_t gsi)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->e[i].gsi == gsi && r->e[i].type == KVM_IRQ_ROUTING_MSI)
			return &r->e[i];
	return NULL;
}

int irq_msi_set(struct irq_router *r, uint32_t gsi, uint64_t addr, uint32_t data,
		uint32_t devid)
{
	struct kvm_irq_routing_entry *e, route;
	int ret;

	memset(&route, 0, sizeof(route));
	if (arch_msi_route(&route, addr, data, devid)) {
		irq_msi_clear(r, gsi);
		return -EINVAL;
	}
	pthread_mutex_lock(&r->lock);
	e = find_msi(r, gsi);
	if (!e) {
		if (r->n == IRQ_MAX_ROUTES) {
			pthread_mutex_unlock(&r->lock);
			return -ENOSPC;
		}
		e = &r->e[r->n++];
	}
	*e = route;
	e->gsi = gsi;
	ret = commit(r);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int irq_msi_clear(struct irq_router *r, uint32_t gsi)
{
	struct kvm_irq_routing_entry *e;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	e = find_msi(r, gsi);
	if (e) {
		*e = r->e[--r->n];
		ret = commit(r);
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int irq_line(int vm_fd, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = arch_irq_line(gsi), .level = level };

	return ioctl(vm_fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

int irqfd_assign(int vm_fd, int efd, uint32_t gsi, bool assign)
{
	struct kvm_irqfd f = { .fd = (uint32_t)efd, .gsi = gsi,
			       .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN };

	return ioctl(vm_fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

int irq_vector_init(struct irq_router *r, struct irq_vector *v)
{
	int ret;

	v->live = false;
	v->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->efd < 0)
		return -errno;
	ret = irq_msi_alloc(r, &v->gsi);
	if (ret) {
		close(v->efd);
		v->efd = -1;
	}
	return ret;
}

int irq_vector_set_live(int vm_fd, struct irq_vector *v, bool live)
{
	int ret;

	if (v->efd < 0 || live == v->live)
		return 0;
	ret = irqfd_assign(vm_fd, v->efd, v->gsi, live);
	if (!ret)
		v->live = live;
	return ret;
}

bool irq_vector_take_signal(struct irq_vector *v)
{
	uint64_t cnt;

	return v->efd >= 0 && !v->live && read(v->efd, &cnt, sizeof(cnt)) == sizeof(cnt);
}

int irq_vector_signal(struct irq_vector *v)
{
	uint64_t one = 1;

	return write(v->efd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

void irq_vector_release(struct irq_router *r, struct irq_vector *v)
{
	if (v->efd < 0)
		return;
	if (v->live && r)
		irqfd_assign(r->vm_fd, v->efd, v->gsi, false);
	if (r)
		irq_msi_free(r, v->gsi);
	close(v->efd);
	v->efd = -1;
	v->live = false;
}
