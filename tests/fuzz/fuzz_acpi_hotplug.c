/* Fuzzer for the ACPI PCI hotplug device and its GPE0 block
 * (devices/acpi_hotplug.c), with the PM1 event block (devices/acpi_pm.c)
 * whose SCI they share. Input: a u32 of hotpluggable slots, then ops. An
 * op byte with bit 7 set is a call from conduit's side, (op >> 5) & 3
 * choosing plug, request_unplug, cancel or the power button, the next byte
 * the slot (0-63, so bad slots too); else it is a guest port access, bit 6
 * a write, size 1, 2 or 4 from op >> 3, the next byte the port (bits 7:6:
 * 0 the PM1 event block 0x600 + b & 3, 1 the GPE0 block and past it 0x620 +
 * b & 15, else the hotplug block and past it 0x630 + b & 31), and for a
 * write the value. A byte-level model runs beside it: reads must match it
 * (all-ones where an access starts outside a block or runs past one's end
 * for PM1; 0xff per byte past the end of the GPE and hotplug blocks), the
 * eject callback must run for exactly the requested slots a write to EJ
 * names, in order, and the SCI must always be (pm1_sts & pm1_en) |
 * (gpe_sts & gpe_en), told only on a change. */
#include <errno.h>
#include "fuzz.h"
#include "../../devices/acpi_hotplug.h"

static struct acpi_pm pm;
static struct acpi_hotplug hp;
static struct io_bus pio;

static int sci, sci_changes;
static unsigned got[32], n_got;

/* The model. */
static uint32_t m_slots, m_ins, m_rem, m_pending;
static uint16_t m_gpe_sts, m_gpe_en, m_pm1_sts, m_pm1_en;
static unsigned want[32], n_want;
static int m_sci;

static void on_sci(void *opaque, int level)
{
	FUZZ_ASSERT(level != sci);
	sci = level;
	sci_changes++;
}

static void on_eject(void *opaque, unsigned slot)
{
	FUZZ_ASSERT(n_got < 32);
	got[n_got++] = slot;
}

static void model_eject(uint32_t bits)
{
	unsigned s;

	for (s = 0; s < 32; s++) {
		if (!(bits & (1U << s)) || !(m_pending & (1U << s)))
			continue;
		m_pending &= ~(1U << s);
		m_rem &= ~(1U << s);
		want[n_want++] = s;
	}
}

static void model_hp_write_byte(unsigned off, uint8_t b)
{
	uint32_t bits = (uint32_t)b << (8 * (off & 3));

	if (off < 4)
		m_ins &= ~bits;
	else if (off < 8)
		m_rem &= ~bits;
	else if (off < 12)
		model_eject(bits);
}

static uint8_t model_hp_byte(unsigned off)
{
	uint32_t regs[4] = { m_ins, m_rem, 0, m_slots };

	if (off >= ACPI_HP_LEN)
		return 0xff;
	return (uint8_t)(regs[off / 4] >> (8 * (off & 3)));
}

static uint8_t model_gpe_byte(unsigned off)
{
	if (off >= ACPI_GPE0_LEN)
		return 0xff;
	return (uint8_t)((off < 2 ? m_gpe_sts : m_gpe_en) >> (8 * (off & 1)));
}

static void model_gpe_write_byte(unsigned off, uint8_t b)
{
	unsigned shift = 8 * (off & 1);

	if (off < 2)
		m_gpe_sts &= (uint16_t)~(b << shift);
	else if (off < 4)
		m_gpe_en = (uint16_t)((m_gpe_en & ~(0xffU << shift)) | (unsigned)b << shift);
}

static void model_pm1_write_byte(unsigned off, uint8_t b)
{
	unsigned shift = 8 * (off & 1);

	if (off < 2)
		m_pm1_sts &= (uint16_t)~(b << shift);
	else if (off < 4)
		m_pm1_en = (uint16_t)((m_pm1_en & ~(0xffU << shift)) | (unsigned)b << shift);
}

static void model_write(unsigned port, unsigned size, uint32_t v)
{
	unsigned i;

	for (i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i));

		if (port < ACPI_PM1_EVT_PORT + 4)
			model_pm1_write_byte(port - ACPI_PM1_EVT_PORT + i, b);
		else if (port < ACPI_GPE0_PORT + ACPI_GPE0_LEN)
			model_gpe_write_byte(port - ACPI_GPE0_PORT + i, b);
		else if (port >= ACPI_HP_PORT && port < ACPI_HP_PORT + ACPI_HP_LEN)
			model_hp_write_byte(port - ACPI_HP_PORT + i, b);
	}
}

static uint64_t model_read(unsigned port, unsigned size)
{
	uint64_t v = 0;
	unsigned i, off;

	if (port < ACPI_PM1_EVT_PORT + 4) {
		uint32_t regs = m_pm1_sts | (uint32_t)m_pm1_en << 16;

		off = port - ACPI_PM1_EVT_PORT;
		if (off + size > 4)
			return ~0ULL;
		return (regs >> (8 * off)) & (size == 4 ? 0xffffffffU : (1U << (8 * size)) - 1);
	}
	if (port >= ACPI_GPE0_PORT + ACPI_GPE0_LEN &&
	    (port < ACPI_HP_PORT || port >= ACPI_HP_PORT + ACPI_HP_LEN))
		return ~0ULL;   /* unclaimed */
	for (i = 0; i < size; i++) {
		uint8_t b = port < ACPI_HP_PORT ? model_gpe_byte(port - ACPI_GPE0_PORT + i)
						: model_hp_byte(port - ACPI_HP_PORT + i);

		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

static void model_update_sci(void)
{
	int level = (m_pm1_sts & m_pm1_en) || (m_gpe_sts & m_gpe_en);

	m_sci = level;
}

static void host_call(unsigned kind, unsigned slot)
{
	bool ok = slot < 32 && (m_slots & (1U << slot));
	int ret;

	switch (kind) {
	case 0:
		acpi_hotplug_plug(&hp, slot);
		if (ok) {
			m_ins |= 1U << slot;
			m_gpe_sts |= 1U << ACPI_GPE_PCI_HOTPLUG;
		}
		break;
	case 1:
		ret = acpi_hotplug_request_unplug(&hp, slot);
		if (!ok) {
			FUZZ_ASSERT(ret == -EINVAL);
		} else if (m_pending & (1U << slot)) {
			FUZZ_ASSERT(ret == -EBUSY);
		} else {
			FUZZ_ASSERT(ret == 0);
			m_pending |= 1U << slot;
			m_rem |= 1U << slot;
			m_gpe_sts |= 1U << ACPI_GPE_PCI_HOTPLUG;
		}
		break;
	case 2:
		acpi_hotplug_cancel(&hp, slot);
		if (slot < 32) {
			m_pending &= ~(1U << slot);
			m_rem &= ~(1U << slot);
		}
		break;
	default:
		acpi_pm_power_button(&pm);
		m_pm1_sts |= ACPI_PM1_PWRBTN;
		break;
	}
	FUZZ_ASSERT(acpi_hotplug_unplug_pending(&hp, slot) ==
		    (slot < 32 && (m_pending & (1U << slot))));
}

static unsigned port(uint8_t b)
{
	switch (b >> 6) {
	case 0:
		return ACPI_PM1_EVT_PORT + (b & 3);
	case 1:
		return ACPI_GPE0_PORT + (b & 15);
	default:
		return ACPI_HP_PORT + (b & 31);
	}
}

static void reset(uint32_t slots)
{
	memset(&pm, 0, sizeof(pm));
	memset(&pio, 0, sizeof(pio));
	pio.name = "pio";
	pm.set_sci = on_sci;
	if (acpi_pm_init(&pm, &pio) ||
	    acpi_hotplug_init(&hp, &pio, &pm, slots, on_eject, NULL))
		abort();
	sci = sci_changes = 0;
	m_slots = slots & ACPI_HOTPLUG_SLOTS_ALL;
	m_ins = m_rem = m_pending = 0;
	m_gpe_sts = m_gpe_en = m_pm1_sts = m_pm1_en = 0;
	m_sci = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned ops = 0, i;

	reset(fuzz_u32(&in));
	while (fuzz_more(&in) && ops++ < 1024) {
		uint8_t op = fuzz_u8(&in), b = fuzz_u8(&in);
		unsigned p = port(b), sz = fuzz_pio_size(op >> 3);
		int changes = sci_changes, before = m_sci;

		n_got = n_want = 0;
		if (op & 0x80) {
			host_call((op >> 5) & 3, b & 63);
		} else if (op & 0x40) {
			uint32_t v = (uint32_t)fuzz_bytes(&in, sz);

			io_bus_write(&pio, p, sz, v);
			model_write(p, sz, v);
		} else {
			uint64_t mask = sz == 4 ? 0xffffffffULL : (1ULL << (8 * sz)) - 1;

			FUZZ_ASSERT((io_bus_read(&pio, p, sz) & mask) == (model_read(p, sz) & mask));
		}
		model_update_sci();
		FUZZ_ASSERT(sci == m_sci);
		FUZZ_ASSERT(sci_changes - changes == (m_sci != before));
		FUZZ_ASSERT(n_got == n_want);
		for (i = 0; i < n_got; i++)
			FUZZ_ASSERT(got[i] == want[i]);
		FUZZ_ASSERT(hp.ins == m_ins && hp.rem == m_rem && hp.pending == m_pending);
	}
	return 0;
}
