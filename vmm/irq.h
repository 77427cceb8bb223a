/* Guest interrupt routing: the KVM GSI table, MSI routes, irqfds, lines. */
#ifndef CONDUIT_IRQ_H
#define CONDUIT_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#define IRQ_IOAPIC_PINS 24
#define IRQ_MAX_ROUTES 1024

struct irq_router {
	int vm_fd;
	pthread_mutex_t lock;
	struct kvm_irq_routing_entry e[IRQ_MAX_ROUTES];
	int n;
	uint32_t next_gsi;
};

int irq_router_init(struct irq_router *r, int vm_fd);
/* Allocate a GSI for an MSI; it routes nowhere until irq_msi_set(). */
int irq_msi_alloc(struct irq_router *r, uint32_t *gsi);
/* Point the GSI at an MSI address/data pair; an address outside the
 * 0xfee00000 window is refused with -EINVAL and leaves no route. */
int irq_msi_set(struct irq_router *r, uint32_t gsi, uint64_t addr, uint32_t data);
int irq_msi_clear(struct irq_router *r, uint32_t gsi);
int irq_line(int vm_fd, uint32_t gsi, int level);
int irqfd_assign(int vm_fd, int efd, uint32_t gsi, bool assign);

#endif
