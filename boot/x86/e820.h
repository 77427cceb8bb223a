/* The e820 memory map that the guest kernel is given. */
#ifndef CONDUIT_E820_H
#define CONDUIT_E820_H

#include <asm/bootparam.h>
#include "../../vmm/memmap.h"

/* Fill at most max entries; returns the count or -1 if they do not fit. */
int e820_build(const struct guest_mem *gm, struct boot_e820_entry *tab, int max);

#endif
