/* ACPI fixed hardware: PM1 registers (S5 poweroff) and the reset paths. */
#ifndef CONDUIT_ACPI_PM_H
#define CONDUIT_ACPI_PM_H

#include <stdint.h>
#include "../vmm/io_bus.h"

/* The ACPI fixed hardware this device is, where the FADT says it is. */
#define ACPI_PM1_EVT_PORT  0x600   /* PM1a status (2) + enable (2) */
#define ACPI_PM1_CNT_PORT  0x604   /* PM1a control (2) */
#define ACPI_SCI_IRQ       9
#define ACPI_S5_SLP_TYP    5

struct acpi_pm {
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	void (*poweroff)(void *opaque);
	void (*reset)(void *opaque);
	void *opaque;
};

int acpi_pm_init(struct acpi_pm *pm, struct io_bus *pio);
uint64_t acpi_pm_read(void *opaque, uint64_t off, unsigned size);
void acpi_pm_write(void *opaque, uint64_t off, unsigned size, uint64_t v);

#endif
