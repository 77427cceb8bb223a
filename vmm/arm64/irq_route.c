/* arm64 interrupt routes (see irq_route.h). KVM_ARM_IRQ_* come from the
 * arm64 asm/kvm.h, which this file is built against, also on x86. */
#include <errno.h>
#include <string.h>
#include "irq_route.h"

uint32_t arm64_pci_devid(unsigned bus, unsigned slot, unsigned fn)
{
	return (bus & 0xffU) << 8 | (slot & 0x1fU) << 3 | (fn & 0x7U);
}

int arm64_msi_route(struct kvm_irq_routing_entry *e, uint32_t gsi, uint64_t addr,
		    uint32_t data, uint32_t devid, uint64_t doorbell)
{
	if (addr != doorbell || devid > 0xffff)
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->flags = KVM_MSI_VALID_DEVID;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
	e->u.msi.devid = devid;
	return 0;
}

void arm64_spi_route(struct kvm_irq_routing_entry *e, uint32_t gsi, uint32_t spi)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = 0;
	e->u.irqchip.pin = spi;
}

int arm64_default_routes(struct kvm_irq_routing_entry *e, uint32_t nr_spis)
{
	uint32_t i;

	for (i = 0; i < nr_spis; i++)
		arm64_spi_route(&e[i], i, i);
	return (int)nr_spis;
}

uint32_t arm64_irq_line_spi(uint32_t spi)
{
	return (uint32_t)KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT |
	       ((32 + spi) & KVM_ARM_IRQ_NUM_MASK) << KVM_ARM_IRQ_NUM_SHIFT;
}
