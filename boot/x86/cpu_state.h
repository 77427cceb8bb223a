/* The CPU state the Linux 64-bit boot protocol expects at its entry point. */
#ifndef CONDUIT_CPU_STATE_H
#define CONDUIT_CPU_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include "../../vmm/memmap.h"

#define BOOT_GDT        0x500ULL
#define BOOT_STACK_TOP  0x8ff0ULL
#define BOOT_PML4       0x9000ULL   /* PML4, PDPT, then 4 page directories */
#define BOOT_PML5       0xf000ULL   /* with LA57: the level above BOOT_PML4 */

/* Write the GDT and the identity page tables (first 4 GiB, 2 MiB pages),
 * with a fifth level on top when la57. */
int boot_write_tables(const struct guest_mem *gm, bool la57);

/* Put vCPU fd into 64-bit mode at entry, rsi = zero page. With la57 the CPU
 * is already in 5-level paging, the mode a kernel picks on such a CPU, so
 * its decompressor need not leave long mode to switch (a path that also
 * trips emulators running nested guests). */
int boot_set_regs(int vcpu_fd, uint64_t entry, uint64_t zero_page, bool la57);

#endif
