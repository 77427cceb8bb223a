/* ACPI tables for the guest: RSDP, XSDT, FADT/FACS, DSDT, MADT, MCFG. */
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
};

/* Build all tables into dst (guest address dst_gpa, dst_len bytes).
 * Returns the RSDP's guest address, or 0 if they do not fit. */
uint64_t acpi_build(const struct acpi_params *p, uint8_t *dst,
		    uint64_t dst_gpa, size_t dst_len);

/* Sum of bytes, for table checksums. */
uint8_t acpi_checksum(const uint8_t *p, size_t n);

#endif
