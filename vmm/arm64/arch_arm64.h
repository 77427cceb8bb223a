/* What the arm64 implementation of vmm/arch.h keeps per VM: the guest
 * memory map (vmm/arm64/layout.h) and the in-kernel GICv3 and ITS. The
 * arch_*.c files of vmm/arm64/ are built only for ARCH=arm64; the pieces
 * they call (regs, gic, irq_route, exit, vcpu_init, vm_caps, layout) are
 * built and unit-tested on x86 too. */
#ifndef CONDUIT_ARCH_ARM64_H
#define CONDUIT_ARCH_ARM64_H

#include "gic.h"
#include "layout.h"

/* SPIs the GIC offers (intids 32-95): the UART's and INTx A-D among the
 * first few; KVM's default routing table holds GSI n -> SPI n for each,
 * and so does conduit's, so MSI GSIs start at ARM64_GIC_SPIS. */
#define ARM64_GIC_SPIS 64

struct arch_vm {
	struct arm64_layout layout;     /* set by arch_vm_memmap */
	struct arm64_gic gic;
};

#endif
