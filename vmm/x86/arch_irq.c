/* x86's interrupt part of vmm/arch.h: MSIs go to the LAPIC window at
 * 0xfee00000 (the requester id plays no part), INTx of bus 0's slots is
 * swizzled onto IOAPIC pins 16-23 (boot/x86/acpi.c's _PRT says the
 * same), and KVM_IRQ_LINE takes the GSI as it is. */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>
#include "../arch.h"
#include "../memmap.h"

#define INTX_GSI_BASE 16

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

uint32_t arch_irq_line(uint32_t gsi)
{
	return gsi;
}
