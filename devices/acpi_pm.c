/* ACPI fixed hardware as the FADT describes it: PM1a status/enable at
 * ACPI_PM1_EVT_PORT, PM1a control at ACPI_PM1_CNT_PORT. Writing SLP_EN with
 * the \_S5 sleep type powers the VM off. The one status bit ever set is
 * PWRBTN_STS (acpi_pm_power_button; the FADT says the power button is the
 * fixed-feature one); status bits are write-1-to-clear. This device owns
 * the SCI line: level = (pm1_sts & pm1_en) != 0 || a GPE block's enabled
 * event is pending (acpi_pm_set_gpe, devices/acpi_hotplug.c), told to the
 * machine through set_sci only when it changes. The reset register (0xcf9) lives on
 * the PCI config-address port (devices/pci.c); the legacy keyboard
 * controller reset (0xfe to port 0x64) is caught here too. */
#include "acpi_pm.h"
#include "../vmm/snapshot/cursor.h"

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

static void update_sci(struct acpi_pm *pm)
{
	int level = (pm->pm1_sts & pm->pm1_en) || pm->gpe;

	if (level == pm->sci_level)
		return;
	pm->sci_level = level;
	if (pm->set_sci)
		pm->set_sci(pm->opaque, level);
}

/* A write to the PM1 event block: the status bytes it covers are
 * write-1-to-clear, the enable bytes take the value. */
static void write_pm1_evt(struct acpi_pm *pm, uint64_t off, unsigned size, uint64_t v)
{
	unsigned i, shift;
	uint16_t b;

	for (i = 0; i < size && off + i < 4; i++) {
		b = (uint16_t)((v >> (8 * i)) & 0xff);
		if (off + i < 2) {
			pm->pm1_sts &= (uint16_t)~(b << (8 * (unsigned)(off + i)));
			continue;
		}
		shift = 8 * (unsigned)(off + i - 2);
		pm->pm1_en = (uint16_t)((pm->pm1_en & ~(0xffU << shift)) | b << shift);
	}
	update_sci(pm);
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pm->pm1_sts |= ACPI_PM1_PWRBTN;
	update_sci(pm);
}

void acpi_pm_set_gpe(struct acpi_pm *pm, bool pending)
{
	pm->gpe = pending;
	update_sci(pm);
}

void acpi_pm_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct acpi_pm *pm = opaque;

	if (size != 1 && size != 2 && size != 4)
		return;
	if (off < 4) {
		write_pm1_evt(pm, off, size, v);
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

int acpi_pm_save(const struct acpi_pm *pm, struct snap_out *out)
{
	snap_put_u16(out, pm->pm1_sts);
	snap_put_u16(out, pm->pm1_en);
	snap_put_u16(out, pm->pm1_cnt);
	return snap_out_error(out);
}

int acpi_pm_load(struct acpi_pm *pm, struct snap_in *in)
{
	uint16_t sts = snap_get_u16(in), en = snap_get_u16(in), cnt = snap_get_u16(in);

	if (sts & ~ACPI_PM1_PWRBTN)
		snap_in_fail(in, "PM1 status bits other than the power button's");
	else if (cnt & PM1_CNT_SLP_EN)
		snap_in_fail(in, "a PM1 control with SLP_EN set (it never sticks)");
	if (snap_in_failed(in))
		return -1;
	pm->pm1_sts = sts;
	pm->pm1_en = en;
	pm->pm1_cnt = cnt;
	pm->sci_level = (pm->pm1_sts & pm->pm1_en) || pm->gpe;
	if (pm->set_sci)
		pm->set_sci(pm->opaque, pm->sci_level);
	return 0;
}
