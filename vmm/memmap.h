/* The guest physical memory map and host access to guest RAM.
 *
 *   0x00000000 - 0x0009fbff  RAM (boot structures: GDT, zero page, page tables, cmdline)
 *   0x0009fc00 - 0x0009ffff  reserved (EBDA)
 *   0x000e0000 - 0x000fffff  reserved: ACPI tables (RSDP at 0xe0000)
 *   0x00100000 - low_end     RAM, low_end = min(memory, 3 GiB)
 *   0xc0000000 - 0xdfffffff  32-bit PCI BAR window
 *   0xe0000000 - 0xefffffff  PCI ECAM (buses 0-255)
 *   0xfec00000               IOAPIC
 *   0xfee00000 - 0xfeefffff  LAPIC / MSI window: nothing else is ever placed here
 *   0xfeffc000 - 0xfeffffff  KVM identity map and TSS pages (Intel only)
 *   4 GiB - size .. 4 GiB    --bios: the firmware image, read-only (up to 16 MiB)
 *   0x100000000 - high_end   RAM beyond 3 GiB
 *   pci64_base ...           64-bit PCI BAR window, 1 GiB-aligned above RAM,
 *                            up to the guest's physical address width
 */
#ifndef CONDUIT_MEMMAP_H
#define CONDUIT_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_EBDA_START     0x0009fc00ULL
#define MEM_ACPI_START     0x000e0000ULL
#define MEM_ACPI_SIZE      0x00020000ULL
#define MEM_HIGH_START     0x00100000ULL
#define MEM_LOW_LIMIT      0xc0000000ULL
#define MEM_PCI32_START    0xc0000000ULL
#define MEM_PCI32_SIZE     0x20000000ULL
#define MEM_ECAM_START     0xe0000000ULL
#define MEM_ECAM_SIZE      0x10000000ULL  /* room for 256 buses */
#define PCI_ECAM_BUS_SIZE  0x00100000ULL  /* one bus: what ACPI advertises */
#define MEM_IOAPIC_START   0xfec00000ULL
#define MEM_LAPIC_START    0xfee00000ULL
#define MEM_MSI_SIZE       0x00100000ULL
#define MEM_KVM_IDMAP      0xfeffc000ULL
#define MEM_KVM_TSS        0xfeffd000ULL
#define MEM_4G             0x100000000ULL
#define MEM_PCI64_SIZE     (64ULL << 30)

#define MAX_RAM_REGIONS 2

struct ram_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_mem {
	struct ram_region ram[MAX_RAM_REGIONS];
	int n_ram;
	/* While a live migration runs: one bit per 4 KiB page of each region
	 * that conduit itself wrote (virtqueues), which KVM's dirty log does
	 * not see. NULL otherwise. Set with atomic ORs from any thread. */
	uint64_t *host_dirty[MAX_RAM_REGIONS];
	uint64_t ram_size;      /* total */
	uint64_t low_end;       /* end of RAM below 4 GiB */
	uint64_t high_end;      /* end of RAM above 4 GiB, or 0 */
	uint64_t pci64_base;
	uint64_t pci64_size;
};

/* Lay out size bytes of RAM around the holes (no allocation). The 64-bit
 * PCI window gets a default size of MEM_PCI64_SIZE. */
int memmap_layout(struct guest_mem *gm, uint64_t size);
/* Size the 64-bit PCI window from the guest's physical address width
 * (CPUID 0x80000008 EAX[7:0]): from its base to 2^phys_bits. Returns -1
 * when that leaves no room above RAM. */
int memmap_set_pci64(struct guest_mem *gm, unsigned phys_bits);

/* Host pointer for [gpa, gpa + len) when it lies wholly in one RAM region,
 * NULL otherwise (including on overflow). Every guest-supplied address goes
 * through this. */
void *gpa_to_hva(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Note that conduit wrote len bytes at hva in guest RAM (nothing unless a
 * live migration tracks it: gm->host_dirty). */
void guest_mem_host_wrote(const struct guest_mem *gm, const void *hva, size_t len);

/* Whether [gpa, gpa + len) touches guest RAM (a BAR must not). */
bool gpa_overlaps_ram(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

#endif
