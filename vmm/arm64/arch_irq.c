/* arm64's interrupt part of vmm/arch.h: MSIs go to the ITS doorbell
 * (GITS_TRANSLATER) with the requester id as device id, INTx of bus 0's
 * slots is swizzled onto SPIs 3-6 (the device tree's interrupt-map says
 * the same), the default routes are GSI n -> SPI n as KVM's own, and
 * KVM_IRQ_LINE takes a GSI as the SPI of that number. The logic is
 * vmm/arm64/irq_route.c's and layout.c's, unit-tested on x86. */
#include <linux/kvm.h>
#include "../arch.h"
#include "arch_arm64.h"
#include "irq_route.h"

int arch_msi_route(struct kvm_irq_routing_entry *e, uint64_t addr, uint32_t data,
		   uint32_t devid)
{
	return arm64_msi_route(e, e->gsi, addr, data, devid,
			       arm64_its_doorbell(ARM64_GITS_BASE));
}

unsigned arch_intx_gsi(unsigned slot, unsigned pin)
{
	const struct arm64_layout l = { .intx_spi = ARM64_PCI_INTX_SPI };

	return arm64_pci_intx_spi(&l, slot, pin + 1);
}

unsigned arch_irq_default_routes(struct kvm_irq_routing_entry *e, unsigned max,
				 uint32_t *first_msi_gsi)
{
	*first_msi_gsi = ARM64_GIC_SPIS;
	return (unsigned)arm64_default_routes(e, max < ARM64_GIC_SPIS ? max : ARM64_GIC_SPIS);
}

uint32_t arch_irq_line(uint32_t gsi)
{
	return arm64_irq_line_spi(gsi);
}
