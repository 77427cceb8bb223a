/* x86's interrupt part of vmm/arch.h: MSIs go to the LAPIC window at
 * 0xfee00000 (the requester id plays no part), INTx of bus 0's slots is
 * swizzled onto IOAPIC pins 16-23 (boot/x86/acpi.c's _PRT says the
 * same), the default routes are the PICs' and the IOAPIC's pins, and
 * KVM_IRQ_LINE takes the GSI as it is. */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>
#include "../arch.h"
#include "../memmap.h"

#define INTX_GSI_BASE 16
#define IOAPIC_PINS   24

int arch_msi_route(struct kvm_irq_routing_entry *e, uint64_t addr, uint32_t data,
		   uint32_t devid)
{
	(void)devid;
	if (addr < MEM_LAPIC_START || addr >= MEM_LAPIC_START + MEM_MSI_SIZE)
		return -EINVAL;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->flags = 0;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
	return 0;
}

unsigned arch_intx_gsi(unsigned slot, unsigned pin)
{
	return INTX_GSI_BASE + ((slot + pin) & 7);
}

static void add_irqchip(struct kvm_irq_routing_entry *e, uint32_t gsi, uint32_t chip,
			uint32_t pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/* GSIs 0-15 on the two PICs and 0-23 on the IOAPIC, as KVM's default. */
unsigned arch_irq_default_routes(struct kvm_irq_routing_entry *e, unsigned max,
				 uint32_t *first_msi_gsi)
{
	unsigned i, n = 0;

	for (i = 0; i < 16 && n < max; i++, n++)
		add_irqchip(&e[n], i, i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
			    i % 8);
	for (i = 0; i < IOAPIC_PINS && n < max; i++, n++)
		add_irqchip(&e[n], i, KVM_IRQCHIP_IOAPIC, i);
	*first_msi_gsi = IOAPIC_PINS;
	return n;
}

uint32_t arch_irq_line(uint32_t gsi)
{
	return gsi;
}
