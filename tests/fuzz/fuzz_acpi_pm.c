/* Fuzzer for the ACPI fixed hardware (devices/acpi_pm.c): guest port reads
 * and writes of sizes 1, 2 and 4 anywhere in the PM1 event block (status,
 * enable), PM1 control and the keyboard controller's reset port, through the
 * I/O bus as the vCPU loop dispatches them. A byte-level model of the
 * registers runs beside it: a write changes exactly the enable or control
 * bytes it covers (status is write-1-to-clear and never set; control takes
 * whole 16-bit writes only; SLP_EN never reads back), reads return the
 * model or all-ones when they run past a register block, and poweroff and
 * reset happen exactly on S5 + SLP_EN and on 0xfe to port 0x64. */
#include "fuzz.h"
#include "../../devices/acpi_pm.h"
#include "../../devices/acpi_pm.h"

#define SLP_EN 0x2000U

static struct acpi_pm pm;
static struct io_bus pio;
static uint8_t en[2], cnt[2];
static unsigned poweroffs, resets, want_poweroffs, want_resets;

static void on_poweroff(void *opaque) { poweroffs++; }
static void on_reset(void *opaque) { resets++; }

static void model_write(unsigned port, unsigned size, uint32_t v)
{
	unsigned i;

	if (port == 0x64) {
		want_resets += size == 1 && (v & 0xff) == 0xfe;
		return;
	}
	if (port == ACPI_PM1_CNT_PORT && size == 2) {
		cnt[0] = (uint8_t)v;
		cnt[1] = (uint8_t)((v & ~SLP_EN) >> 8);
		want_poweroffs += (v & SLP_EN) && ((v >> 10) & 7) == ACPI_S5_SLP_TYP;
		return;
	}
	for (i = 0; i < size; i++) {
		unsigned p = port + i;

		if (p == ACPI_PM1_EVT_PORT + 2 || p == ACPI_PM1_EVT_PORT + 3)
			en[p - ACPI_PM1_EVT_PORT - 2] = (uint8_t)(v >> (8 * i));
	}
}

static uint64_t model_read(unsigned port, unsigned size)
{
	uint8_t regs[6] = { 0, 0, en[0], en[1], (uint8_t)(cnt[0] | 1), cnt[1] };
	unsigned off = port - ACPI_PM1_EVT_PORT, i;
	uint64_t v = 0;

	if (port == 0x64)
		return 0;
	if ((off < 4 && off + size > 4) || (off >= 4 && off + size > 6))
		return ~0ULL;
	for (i = 0; i < size; i++)
		v |= (uint64_t)regs[off + i] << (8 * i);
	return v;
}

/* A port in or just around the two blocks, or the keyboard port. */
static unsigned port(uint8_t b)
{
	return b & 0x80 ? 0x64 : ACPI_PM1_EVT_PORT + (b & 7);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned ops = 0;

	memset(&pm, 0, sizeof(pm));
	memset(&pio, 0, sizeof(pio));
	pio.name = "pio";
	pm.poweroff = on_poweroff;
	pm.reset = on_reset;
	if (acpi_pm_init(&pm, &pio))
		abort();
	memset(en, 0, sizeof(en));
	memset(cnt, 0, sizeof(cnt));
	poweroffs = resets = want_poweroffs = want_resets = 0;
	while (fuzz_more(&in) && ops++ < 1024) {
		uint8_t op = fuzz_u8(&in);
		unsigned p = port(op), sz = fuzz_pio_size(op >> 3);

		if (op & 0x40) {
			uint32_t v = (uint32_t)fuzz_bytes(&in, sz);     /* zero-extended */

			io_bus_write(&pio, p, sz, v);
			model_write(p, sz, v);
		} else {
			uint64_t mask = sz == 4 ? 0xffffffffULL : (1ULL << (8 * sz)) - 1;

			FUZZ_ASSERT((io_bus_read(&pio, p, sz) & mask) == (model_read(p, sz) & mask));
		}
		FUZZ_ASSERT(poweroffs == want_poweroffs && resets == want_resets);
	}
	return 0;
}
