/* ACPI PCI hotplug for the slots of bus 0 (what the guest's acpiphp driver
 * drives) and the GPE0 block whose one event, "PCI hotplug", signals it.
 * Port layout, register semantics and what Linux needs: acpi_hotplug.c. */
#ifndef CONDUIT_ACPI_HOTPLUG_H
#define CONDUIT_ACPI_HOTPLUG_H

#include <stdbool.h>
#include <stdint.h>
#include "../vmm/io_bus.h"
#include "acpi_pm.h"

/* GPE0 block (the FADT's GPE0_BLK): status bytes 0-1, enable bytes 2-3. */
#define ACPI_GPE0_PORT        0x620
#define ACPI_GPE0_LEN         4
#define ACPI_GPE_PCI_HOTPLUG  1        /* GPE number: \_GPE._E01 */

/* The hotplug registers, four 32-bit little-endian words, bit n = slot n. */
#define ACPI_HP_PORT          0x630
#define ACPI_HP_LEN           16
#define ACPI_HP_INS           0x0     /* R/W1C: inserted, not yet seen */
#define ACPI_HP_REM           0x4     /* R/W1C: removal asked, not yet seen */
#define ACPI_HP_EJ            0x8     /* W: the guest ejects; reads 0 */
#define ACPI_HP_SLOTS         0xc     /* R: the hotpluggable slots */

/* Slot 0 is the host bridge: never hotpluggable. */
#define ACPI_HOTPLUG_SLOTS_ALL 0xfffffffeU

struct acpi_hotplug {
	uint32_t slots;         /* hotpluggable (bit n = slot n), never slot 0 */
	uint32_t ins;           /* plug events the guest has not acknowledged */
	uint32_t rem;           /* eject requests the guest has not acknowledged */
	uint32_t pending;       /* removals asked for, not yet ejected or cancelled */
	uint16_t gpe_sts, gpe_en;
	bool warned;            /* an unrequested eject was logged */
	struct acpi_pm *pm;     /* owns the SCI this GPE block shares */
	/* The guest ran _EJ0 for a slot whose removal was requested (it has
	 * let go of the device). Called under devices_lock from a vCPU
	 * thread: must not block. NULL: ejects are only acknowledged. */
	void (*eject)(void *opaque, unsigned slot);
	void *opaque;
};

/* Put the GPE0 block and the hotplug registers on pio. slots: which slots
 * the DSDT describes as hotpluggable (ACPI_HOTPLUG_SLOTS_ALL; slot 0 is
 * dropped); pm: whose SCI the GPE raises (NULL: none). Returns 0 or the
 * io_bus_add error. */
int acpi_hotplug_init(struct acpi_hotplug *hp, struct io_bus *pio, struct acpi_pm *pm,
		      uint32_t slots, void (*eject)(void *opaque, unsigned slot),
		      void *opaque);

/* The functions below are called with devices_lock held. */

/* A device is already on the bus in slot: set its inserted bit and raise
 * the GPE; the guest's AML does Notify(Sxx, 1) (Device Check) and acpiphp
 * scans the slot. A slot that is not hotpluggable is ignored. */
void acpi_hotplug_plug(struct acpi_hotplug *hp, unsigned slot);

/* Ask the guest to let go of slot's device: set its removal bit and raise
 * the GPE; the AML does Notify(Sxx, 3) (Eject Request), acpiphp unbinds the
 * driver, removes the device and runs _EJ0, which reaches eject(). Returns
 * 0, -EBUSY if a removal is already pending, -EINVAL for a slot that is not
 * hotpluggable. */
int acpi_hotplug_request_unplug(struct acpi_hotplug *hp, unsigned slot);

/* A removal was requested for slot and neither ejected nor cancelled. */
bool acpi_hotplug_unplug_pending(const struct acpi_hotplug *hp, unsigned slot);

/* Forget a pending removal (the guest did not eject in time): a later
 * _EJ0 for the slot is ignored like any unrequested one. */
void acpi_hotplug_cancel(struct acpi_hotplug *hp, unsigned slot);

/* Snapshot state (issue 15): u32 hotpluggable slots, inserted, removal
 * requested, removal pending; u16 GPE0 status and enable; u8 whether an
 * unrequested eject was logged. Save returns 0 or the cursor's error. Load
 * refuses other hotpluggable slots than this machine's, events for slots
 * that are not hotpluggable, a removal request without its pending
 * removal, GPE status bits other than GPE 1's (snap_in_fail); then the GPE
 * block's share of the SCI is set from it. Returns 0 or -1. */
struct snap_out;
struct snap_in;
int acpi_hotplug_save(const struct acpi_hotplug *hp, struct snap_out *out);
int acpi_hotplug_load(struct acpi_hotplug *hp, struct snap_in *in);

uint64_t acpi_hotplug_read(void *opaque, uint64_t off, unsigned size);
void acpi_hotplug_write(void *opaque, uint64_t off, unsigned size, uint64_t v);
uint64_t acpi_gpe_read(void *opaque, uint64_t off, unsigned size);
void acpi_gpe_write(void *opaque, uint64_t off, unsigned size, uint64_t v);

#endif
