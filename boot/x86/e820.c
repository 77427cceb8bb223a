/* The e820 memory map: RAM around the legacy hole and the PCI hole, with the
 * ACPI tables and the ECAM window marked reserved (Linux checks that the
 * MCFG region is reserved before it uses ECAM). */
#include "e820.h"

#define E820_RAM      1
#define E820_RESERVED 2

static int add(struct boot_e820_entry *tab, int n, int max,
	       uint64_t addr, uint64_t size, uint32_t type)
{
	if (n < 0 || n >= max)
		return -1;
	tab[n].addr = addr;
	tab[n].size = size;
	tab[n].type = type;
	return n + 1;
}

int e820_build(const struct guest_mem *gm, struct boot_e820_entry *tab, int max)
{
	int n = 0;

	n = add(tab, n, max, 0, MEM_EBDA_START, E820_RAM);
	n = add(tab, n, max, MEM_EBDA_START, 0xa0000 - MEM_EBDA_START, E820_RESERVED);
	n = add(tab, n, max, MEM_ACPI_START, MEM_ACPI_SIZE, E820_RESERVED);
	n = add(tab, n, max, MEM_HIGH_START, gm->low_end - MEM_HIGH_START, E820_RAM);
	n = add(tab, n, max, MEM_ECAM_START, MEM_ECAM_SIZE, E820_RESERVED);
	if (gm->high_end)
		n = add(tab, n, max, MEM_4G, gm->high_end - MEM_4G, E820_RAM);
	return n;
}
