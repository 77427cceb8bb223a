/* The arm64 guest's device tree, built with libfdt: memory, cpus (PSCI),
 * psci, the GICv3 and its ITS, the architected timer, the PCI host bridge
 * (ECAM, windows, INTx map, msi-map), the 16550 UART and chosen. */
#ifndef CONDUIT_ARM64_FDT_H
#define CONDUIT_ARM64_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../../vmm/arm64/layout.h"

/* Phandles of the two interrupt controllers in the blob. */
#define ARM64_FDT_PHANDLE_GIC   1
#define ARM64_FDT_PHANDLE_ITS   2

/* What the guest is given. The layout says where everything is (RAM,
 * GIC, UART, PCI windows, the INTx SPIs) and how many vCPUs there are. */
struct arm64_fdt_desc {
	const struct arm64_layout *layout;
	const char *bootargs;           /* NULL: none */
	uint64_t initrd_start, initrd_size;     /* size 0: no initrd */
	bool its;                       /* an ITS: the msi-controller, msi-map */
};

/* Build the blob into buf (cap bytes; ARM64_DTB_MAX is always enough for
 * what conduit builds). Returns its size, or -1 with a one-line err. */
int arm64_fdt_build(const struct arm64_fdt_desc *d, void *buf, size_t cap,
		    char *err, size_t errlen);

/* Build the blob for d and write it to path (--dump-dtb). 0, or -1 with a
 * one-line err. */
int arm64_fdt_dump(const struct arm64_fdt_desc *d, const char *path,
		   char *err, size_t errlen);

#endif
