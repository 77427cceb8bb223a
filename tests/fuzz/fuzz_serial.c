/* Fuzzer for the 16550A UART (devices/serial.c): guest port reads and
 * writes of any offset and size, and host input arriving in bursts. A FIFO
 * model runs beside the chip: every byte the guest reads from RBR is the
 * next one received (host input or, in loopback, its own output), LSR's
 * data-ready bit says whether one is waiting, nothing is lost while there is
 * room, a FIFO reset empties it, transmitted bytes reach the sink only when
 * not in loopback, and the interrupt line follows IER/IIR with no repeated
 * edges. */
#include "fuzz.h"
#include "../../devices/serial.h"

static struct serial s;
static uint8_t fifo[SERIAL_RX_SIZE];
static size_t f_head, f_len;
static size_t sent, sent_expected;
static int level = -1;

static void tx(void *opaque, uint8_t b)
{
	FUZZ_ASSERT(opaque == &s && !(s.mcr & 0x10));
	sent++;
}

static void set_irq(void *opaque, int l)
{
	FUZZ_ASSERT(l != level);
	level = l;
}

static void model_push(const uint8_t *p, size_t len, size_t taken)
{
	size_t i, want = len < SERIAL_RX_SIZE - f_len ? len : SERIAL_RX_SIZE - f_len;

	FUZZ_ASSERT(taken == want);
	for (i = 0; i < taken; i++, f_len++)
		fifo[(f_head + f_len) % SERIAL_RX_SIZE] = p[i];
}

static void guest_read(unsigned off, unsigned size)
{
	bool dlab = s.lcr & 0x80;
	uint64_t v = serial_read(&s, off, size);

	if (size != 1 || off > 7) {
		FUZZ_ASSERT(v == ~0ULL);
		return;
	}
	FUZZ_ASSERT(v <= 0xff);
	if (off == 0 && !dlab) {
		if (!f_len) {
			FUZZ_ASSERT(v == 0);
			return;
		}
		FUZZ_ASSERT(v == fifo[f_head]);
		f_head = (f_head + 1) % SERIAL_RX_SIZE;
		f_len--;
	}
	if (off == 5)
		FUZZ_ASSERT(!!(v & 1) == !!f_len);
}

static void guest_write(unsigned off, unsigned size, uint8_t v)
{
	bool dlab = s.lcr & 0x80, loop = s.mcr & 0x10;
	size_t before = s.rx_len;

	serial_write(&s, off, size, v);
	if (size != 1 || off > 7)
		return;
	if (off == 0 && !dlab) {
		if (loop)
			model_push(&v, 1, s.rx_len - before);
		else
			sent_expected++;
	}
	if (off == 2 && (v & 2))
		f_head = f_len = 0;
}

static void check(void)
{
	bool want = ((s.ier & 1) && s.rx_len) || ((s.ier & 2) && s.thr_ipending);

	FUZZ_ASSERT(s.rx_len == f_len && s.rx_len <= SERIAL_RX_SIZE);
	FUZZ_ASSERT(s.rx_head < SERIAL_RX_SIZE);
	FUZZ_ASSERT(!f_len || s.rx[s.rx_head] == fifo[f_head]);
	FUZZ_ASSERT(s.irq_level == want);
	FUZZ_ASSERT(level == -1 ? !want : level == want);
	FUZZ_ASSERT(sent == sent_expected);
	FUZZ_ASSERT(!(s.ier & 0xf0) && !(s.mcr & 0xe0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned ops = 0;

	serial_init(&s);
	s.tx = tx;
	s.set_irq = set_irq;
	s.opaque = &s;
	f_head = f_len = sent = sent_expected = 0;
	level = -1;
	while (fuzz_more(&in) && ops++ < 2048) {
		uint8_t op = fuzz_u8(&in);
		unsigned off = op >> 4 & 7, sz = op & 0x80 ? fuzz_u8(&in) % 9 : 1;

		if (op & 0x08)
			off += fuzz_u8(&in);
		switch (op & 3) {
		case 0:
			guest_read(off, sz);
			break;
		case 1:
		case 2:
			guest_write(off, sz, fuzz_u8(&in));
			break;
		case 3: {
			size_t len, taken;
			const uint8_t *p = fuzz_take(&in, fuzz_u16(&in) % 1500, &len);

			taken = serial_receive(&s, p, len);
			model_push(p, len, taken);
			break;
		}
		}
		check();
	}
	return 0;
}
