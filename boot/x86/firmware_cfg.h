/* What firmware learns over fw_cfg: RAM size and e820 map, CPU count, boot
 * menu and boot-failure policy, and conduit's ACPI tables handed over
 * through the table loader (the firmware copies the RSDP into its F
 * segment, where an OS looks for it). */
#ifndef CONDUIT_FIRMWARE_CFG_H
#define CONDUIT_FIRMWARE_CFG_H

#include <stdint.h>
#include "../../devices/fw_cfg.h"
#include "../../vmm/memmap.h"

/* In a --bios boot the ACPI tables live in the last 128 KiB of RAM below
 * 4 GiB, which the e820 map marks reserved. */
#define FIRMWARE_ACPI_SIZE (128ULL << 10)
/* Where the firmware maps 32-bit BARs (SeaBIOS allocates downwards from the
 * IOAPIC): the window the ACPI tables advertise in a --bios boot. */
#define FIRMWARE_PCI32_START 0xf0000000ULL
#define FIRMWARE_PCI32_SIZE  (MEM_IOAPIC_START - FIRMWARE_PCI32_START)

/* Table-loader command, as SeaBIOS reads "etc/table-loader". */
#define LOADER_ENTRY_SIZE    128
#define LOADER_ALLOCATE      1
#define LOADER_ZONE_FSEG     2

uint64_t firmware_acpi_base(const struct guest_mem *gm);

/* Add the items above. rsdp is a copy of the RSDP (length bytes) whose
 * tables are already in guest RAM at firmware_acpi_base(). */
int firmware_cfg_fill(struct fw_cfg *fc, const struct guest_mem *gm, int n_cpus,
		      const uint8_t *rsdp, size_t rsdp_len);

#endif
