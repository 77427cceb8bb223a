/* ACPI tables for the guest: RSDP, XSDT, FADT/FACS, DSDT, MADT, MCFG;
 * with hotplug_slots, the PCI hotplug slots and GPE0 block too. */
#ifndef CONDUIT_ACPI_H
#define CONDUIT_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct acpi_params {
	int n_cpus;
	uint64_t ecam_base;
	uint64_t ecam_size;
	uint64_t pci32_base, pci32_size;
	uint64_t pci64_base, pci64_size;
	/* Slots of bus 0 the guest may hot-(un)plug through ACPI (bit n = slot
	 * n; slot 0 is ignored; devices/acpi_hotplug.h): the DSDT gets a slot
	 * object per bit, the hotplug methods and \_GPE._E01, and the FADT
	 * the GPE0 block. 0: none of that (no acpi_hotplug device). */
	uint32_t hotplug_slots;
};

/* Build all tables into dst (guest address dst_gpa, dst_len bytes).
 * Returns the RSDP's guest address, or 0 if they do not fit. */
uint64_t acpi_build(const struct acpi_params *p, uint8_t *dst,
		    uint64_t dst_gpa, size_t dst_len);

/* Sum of bytes, for table checksums. */
uint8_t acpi_checksum(const uint8_t *p, size_t n);

#endif
