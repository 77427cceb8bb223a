/* ACPI fixed hardware as the FADT describes it: PM1a status/enable at
 * ACPI_PM1_EVT_PORT, PM1a control at ACPI_PM1_CNT_PORT. Writing SLP_EN with
 * the \_S5 sleep type powers the VM off. The reset register (0xcf9) lives on
 * the PCI config-address port (devices/pci.c); the legacy keyboard
 * controller reset (0xfe to port 0x64) is caught here too. */
#include "acpi_pm.h"

#define PM1_CNT_SCI_EN   0x0001
#define PM1_CNT_SLP_EN   0x2000
#define PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define KBD_PORT         0x64
#define KBD_RESET        0xfe

uint64_t acpi_pm_read(void *opaque, uint64_t off, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint32_t regs = pm->pm1_sts | (uint32_t)pm->pm1_en << 16;

	if (off >= 4) {           /* PM1a control */
		off -= 4;
		regs = pm->pm1_cnt | PM1_CNT_SCI_EN;
		if (off + size > 2)
			return ~0ULL;
	} else if (off + size > 4) {
		return ~0ULL;
	}
	return (regs >> (8 * off)) & (size == 4 ? 0xffffffffU : (1U << (8 * size)) - 1);
}

/* A write to the PM1 event block changes the enable bytes it covers (status
 * bits are write-1-to-clear; nothing ever sets them). */
static void write_pm1_en(struct acpi_pm *pm, uint64_t off, unsigned size, uint64_t v)
{
	unsigned i, shift;

	for (i = 0; i < size; i++) {
		if (off + i < 2 || off + i > 3)
			continue;
		shift = 8 * (unsigned)(off + i - 2);
		pm->pm1_en = (uint16_t)((pm->pm1_en & ~(0xffU << shift)) |
					((v >> (8 * i)) & 0xff) << shift);
	}
}

void acpi_pm_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct acpi_pm *pm = opaque;

	if (off < 4) {
		write_pm1_en(pm, off, size, v);
		return;
	}
	if (off != 4 || size != 2)
		return;
	pm->pm1_cnt = (uint16_t)(v & ~PM1_CNT_SLP_EN);
	if ((v & PM1_CNT_SLP_EN) && PM1_CNT_SLP_TYP(v) == ACPI_S5_SLP_TYP && pm->poweroff)
		pm->poweroff(pm->opaque);
}

static uint64_t kbd_read(void *opaque, uint64_t off, unsigned size)
{
	(void)opaque; (void)off; (void)size;
	return 0;
}

static void kbd_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct acpi_pm *pm = opaque;

	if (off == 0 && size == 1 && (v & 0xff) == KBD_RESET && pm->reset)
		pm->reset(pm->opaque);
}

int acpi_pm_init(struct acpi_pm *pm, struct io_bus *pio)
{
	if (io_bus_add(pio, ACPI_PM1_EVT_PORT, 6, acpi_pm_read, acpi_pm_write, pm,
		       "ACPI PM1") ||
	    io_bus_add(pio, KBD_PORT, 1, kbd_read, kbd_write, pm, "keyboard reset"))
		return -1;
	return 0;
}
