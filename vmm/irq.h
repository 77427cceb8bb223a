/* Guest interrupt routing: the KVM GSI table, MSI routes, irqfds, lines. */
#ifndef CONDUIT_IRQ_H
#define CONDUIT_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#define IRQ_MAX_ROUTES 1024

struct irq_router {
	int vm_fd;
	pthread_mutex_t lock;
	struct kvm_irq_routing_entry e[IRQ_MAX_ROUTES];
	int n;
	uint32_t first_msi_gsi;         /* below: the architecture's lines */
	uint64_t gsi_used[IRQ_MAX_ROUTES / 64];  /* MSI GSIs handed out */
};

/* One MSI or MSI-X vector delivered by irqfd: the eventfd the device (or
 * device model) signals, the GSI whose MSI route says where it goes, and
 * whether the irqfd is attached. Detached, signals wait in the eventfd's
 * counter: that is how a masked vector keeps its pending interrupt. */
struct irq_vector {
	int efd;                /* -1: not set up */
	uint32_t gsi;
	bool live;              /* irqfd attached */
};

int irq_router_init(struct irq_router *r, int vm_fd);
/* Allocate a GSI for an MSI (the lowest free one: a hot-removed device's
 * GSIs are used again); it routes nowhere until irq_msi_set(). Returns 0,
 * or -ENOSPC when the routing table has no GSI left. */
int irq_msi_alloc(struct irq_router *r, uint32_t *gsi);
/* Give a GSI back: its route is cleared. */
void irq_msi_free(struct irq_router *r, uint32_t gsi);
/* Point the GSI at an MSI address/data pair from the device whose PCI
 * requester id is devid (arm64's ITS needs it; x86 ignores it); an
 * address the architecture's MSI controller does not decode (x86: outside
 * the 0xfee00000 window) is refused with -EINVAL and leaves no route. */
int irq_msi_set(struct irq_router *r, uint32_t gsi, uint64_t addr, uint32_t data,
		uint32_t devid);
int irq_msi_clear(struct irq_router *r, uint32_t gsi);
/* Drive a GSI's line (the architecture says what KVM_IRQ_LINE calls it). */
int irq_line(int vm_fd, uint32_t gsi, int level);
int irqfd_assign(int vm_fd, int efd, uint32_t gsi, bool assign);

/* A vector's eventfd and GSI; detached. Returns 0 or -errno (the vector
 * is left with efd -1). */
int irq_vector_init(struct irq_router *r, struct irq_vector *v);
/* Attach (live) or detach its irqfd; returns 0 or -errno. */
int irq_vector_set_live(int vm_fd, struct irq_vector *v, bool live);
/* A detached vector's waiting signals, taken out of its eventfd: whether
 * there were any. */
bool irq_vector_take_signal(struct irq_vector *v);
/* Signal it from conduit (a device model's interrupt, or a pending one
 * relayed). Returns 0 or -errno. */
int irq_vector_signal(struct irq_vector *v);
/* Detach, close, and give its GSI back (safe on a vector never set up;
 * r may be NULL for a vector that never had a router). */
void irq_vector_release(struct irq_router *r, struct irq_vector *v);

#endif
