/* ACPI fixed hardware: PM1 registers (S5 poweroff) and the reset paths. */
#ifndef CONDUIT_ACPI_PM_H
#define CONDUIT_ACPI_PM_H

#include <stdint.h>
#include "../vmm/io_bus.h"

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
