/* The guest physical memory map: where RAM goes around the PCI hole, and
 * bounds-checked translation of guest addresses to host pointers. */
#include <string.h>
#include "memmap.h"

int memmap_layout(struct guest_mem *gm, uint64_t size)
{
	uint64_t low = size < MEM_LOW_LIMIT ? size : MEM_LOW_LIMIT;

	memset(gm, 0, sizeof(*gm));
	if (size < MEM_HIGH_START)
		return -1;
	gm->ram_size = size;
	gm->ram[0].gpa = 0;
	gm->ram[0].size = low;
	gm->n_ram = 1;
	gm->low_end = low;
	if (size > low) {
		gm->ram[1].gpa = MEM_4G;
		gm->ram[1].size = size - low;
		gm->n_ram = 2;
		gm->high_end = MEM_4G + size - low;
	}
	gm->pci64_base = gm->high_end ? gm->high_end : MEM_4G;
	gm->pci64_base = (gm->pci64_base + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
	gm->pci64_size = MEM_PCI64_SIZE;
	return 0;
}

int memmap_set_pci64(struct guest_mem *gm, unsigned phys_bits)
{
	uint64_t end;

	if (phys_bits < 32 || phys_bits > 52)
		return -1;
	end = 1ULL << phys_bits;
	if (end <= gm->pci64_base)
		return -1;
	gm->pci64_size = end - gm->pci64_base;
	return 0;
}

void *gpa_to_hva(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	int i;

	for (i = 0; i < gm->n_ram; i++) {
		const struct ram_region *r = &gm->ram[i];

		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

void guest_mem_host_wrote(const struct guest_mem *gm, const void *hva, size_t len)
{
	const uint8_t *p = hva;
	uint64_t first, last, pg;
	int i;

	if (!gm || !len)
		return;
	for (i = 0; i < gm->n_ram; i++) {
		const struct ram_region *r = &gm->ram[i];

		if (!gm->host_dirty[i] || p < r->hva || (uint64_t)(p - r->hva) >= r->size)
			continue;
		first = (uint64_t)(p - r->hva) >> 12;
		last = ((uint64_t)(p - r->hva) + len - 1) >> 12;
		if (last >= r->size >> 12)
			last = (r->size >> 12) - 1;
		for (pg = first; pg <= last; pg++)
			__atomic_fetch_or(&gm->host_dirty[i][pg / 64], 1ULL << (pg % 64),
					  __ATOMIC_RELAXED);
		return;
	}
}

bool gpa_overlaps_ram(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;
	int i;

	if (end < gpa)
		return true;
	for (i = 0; i < gm->n_ram; i++)
		if (gpa < gm->ram[i].gpa + gm->ram[i].size && gm->ram[i].gpa < end)
			return true;
	return false;
}
