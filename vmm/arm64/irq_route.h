/* arm64 interrupt routes for the GICv3 and its ITS. An MSI route carries
 * the PCI requester id as its ITS device id (KVM_MSI_VALID_DEVID; KVM
 * reports KVM_CAP_MSI_DEVID once an ITS exists, yet 6.1 still takes a
 * route without one, which the ITS then reads as device 0: another
 * device, so conduit always sets it) and must name the ITS doorbell
 * (GITS_TRANSLATER); a shared line (SPI) is an irqchip route whose pin is
 * the SPI number (GIC intid - 32), the same numbering irqfd and INTx
 * resample use (the SPI of a slot's INTx: arm64_pci_intx_spi() of
 * layout.h, the swizzle the device tree's interrupt-map has).
 * KVM_SET_GSI_ROUTING replaces KVM's default table (GSI n ->
 * SPI n), so the table conduit commits starts with those SPI routes and
 * puts the MSI GSIs after them. Pure: fills the architecture-neutral
 * struct kvm_irq_routing_entry of linux/kvm.h; unit-tested on x86. */
#ifndef CONDUIT_ARM64_IRQ_ROUTE_H
#define CONDUIT_ARM64_IRQ_ROUTE_H

#include <stdint.h>
#include <linux/kvm.h>

/* The PCI requester id (bus 8 bits, device 5, function 3) of a device: its
 * ITS device id, as the device tree's msi-map (rid -> devid 1:1) says. */
uint32_t arm64_pci_devid(unsigned bus, unsigned slot, unsigned fn);

/* The MSI route of gsi: addr must be the ITS doorbell (arm64_its_doorbell
 * of the ITS base), data is the event id. Returns 0, or -EINVAL (e left
 * untouched) for another address or a devid over 16 bits. */
int arm64_msi_route(struct kvm_irq_routing_entry *e, uint32_t gsi, uint64_t addr,
		    uint32_t data, uint32_t devid, uint64_t doorbell);
/* The irqchip route of gsi to SPI spi. */
void arm64_spi_route(struct kvm_irq_routing_entry *e, uint32_t gsi, uint32_t spi);
/* KVM's default table for nr_spis SPIs (GSI n -> SPI n) in e[0..nr_spis-1];
 * returns nr_spis. */
int arm64_default_routes(struct kvm_irq_routing_entry *e, uint32_t nr_spis);

/* The irq field of KVM_IRQ_LINE for SPI spi (type SPI, intid 32 + spi). */
uint32_t arm64_irq_line_spi(uint32_t spi);

#endif
