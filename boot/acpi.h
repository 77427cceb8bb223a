/* ACPI tables for the guest: RSDP, XSDT, FADT/FACS, DSDT, MADT, MCFG. */
#ifndef CONDUIT_ACPI_H
#define CONDUIT_ACPI_H

#include <stddef.h>
#include <stdint.h>

/* I/O ports of the ACPI fixed hardware conduit emulates (devices/acpi_pm.c). */
#define ACPI_PM1_EVT_PORT  0x600   /* PM1a status (2) + enable (2) */
#define ACPI_PM1_CNT_PORT  0x604   /* PM1a control (2) */
#define ACPI_RESET_PORT    0xcf9
#define ACPI_RESET_VALUE   0x06
#define ACPI_SCI_IRQ       9
#define ACPI_S5_SLP_TYP    5

/* The INTx GSI of PCI slot/pin (pin 0 = INTA), as the DSDT's _PRT says. */
#define PCI_INTX_GSI_BASE  16
static inline unsigned pci_intx_gsi(unsigned slot, unsigned pin)
{
	return PCI_INTX_GSI_BASE + ((slot + pin) & 7);
}

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
