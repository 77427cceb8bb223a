/* The CPU state the Linux 64-bit boot protocol expects at its entry point. */
#ifndef CONDUIT_CPU_STATE_H
#define CONDUIT_CPU_STATE_H

#include <stdint.h>
#include "../vmm/memmap.h"

#define BOOT_GDT        0x500ULL
#define BOOT_STACK_TOP  0x8ff0ULL
#define BOOT_PML4       0x9000ULL   /* PML4, PDPT, then 4 page directories */

/* Write the GDT and the identity page tables (first 4 GiB, 2 MiB pages). */
int boot_write_tables(const struct guest_mem *gm);

/* Put vCPU fd into 64-bit mode at entry, rsi = zero page. */
int boot_set_regs(int vcpu_fd, uint64_t entry, uint64_t zero_page);

#endif
