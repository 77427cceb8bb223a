/* ACPI fixed hardware: PM1 registers (S5 poweroff, the power button), the
 * SCI line they share with the GPE block, and the reset paths. */
#ifndef CONDUIT_ACPI_PM_H
#define CONDUIT_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>
#include "../vmm/io_bus.h"

/* The ACPI fixed hardware this device is, where the FADT says it is. */
#define ACPI_PM1_EVT_PORT  0x600   /* PM1a status (2) + enable (2) */
#define ACPI_PM1_CNT_PORT  0x604   /* PM1a control (2) */
#define ACPI_SCI_IRQ       9       /* ISA IRQ 9 = GSI 9, level, active high */
#define ACPI_S5_SLP_TYP    5

#define ACPI_PM1_PWRBTN    0x0100  /* PWRBTN_STS / PWRBTN_EN */

struct acpi_pm {
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	bool gpe;               /* a GPE block has an enabled event pending */
	int sci_level;          /* what set_sci was last told */
	void (*poweroff)(void *opaque);
	void (*reset)(void *opaque);
	/* Drive the SCI (GSI ACPI_SCI_IRQ, level): called only when the
	 * level changes. NULL: no SCI (the tables still describe one). */
	void (*set_sci)(void *opaque, int level);
	void *opaque;           /* for every callback above */
};

int acpi_pm_init(struct acpi_pm *pm, struct io_bus *pio);
uint64_t acpi_pm_read(void *opaque, uint64_t off, unsigned size);
void acpi_pm_write(void *opaque, uint64_t off, unsigned size, uint64_t v);

/* The user pressed the power button: PWRBTN_STS is set, and the SCI asserts
 * while PWRBTN_EN is set too, until the guest writes 1 to the status bit.
 * Caller holds devices_lock. */
void acpi_pm_power_button(struct acpi_pm *pm);

/* A GPE block's share of the SCI: pending is (its status & its enable) != 0.
 * The SCI is (pm1_sts & pm1_en) | that. Caller holds devices_lock. */
void acpi_pm_set_gpe(struct acpi_pm *pm, bool pending);

/* Snapshot state (issue 15): u16 PM1 status, PM1 enable, PM1 control. The
 * GPE share of the SCI is not here: the GPE block's load sets it. Save
 * returns 0 or the cursor's error. Load refuses status bits other than the
 * power button's and a control with SLP_EN (snap_in_fail), then drives
 * set_sci to the level, changed or not. Returns 0 or -1. */
struct snap_out;
struct snap_in;
int acpi_pm_save(const struct acpi_pm *pm, struct snap_out *out);
int acpi_pm_load(struct acpi_pm *pm, struct snap_in *in);

#endif
