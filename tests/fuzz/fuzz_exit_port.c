/* Fuzzer for the exit port (devices/exit_port.c): guest reads and writes of
 * any size on 0x4ff-0x506, the magic right, nearly right or wrong. A model
 * runs beside it: done() is called exactly once, by the first 4-byte write
 * at 0x501 whose bits 8-31 are the magic (and 32-63 zero), with its low
 * byte; every other write to the port's four addresses is counted as
 * ignored, and accesses outside them never reach the device (the bus
 * counts them unhandled). */
#include "fuzz.h"
#include "../../devices/exit_port.h"

static struct exit_port ep;
static struct io_bus pio;
static int calls, status;
static uint64_t ignored, outside;

static void done(void *opaque, int s)
{
	FUZZ_ASSERT(opaque == &ep);
	calls++;
	status = s;
}

/* After the write; first: no report had been taken before it. */
static void model_write(unsigned port, unsigned size, uint64_t v, bool first)
{
	bool ours = port >= EXIT_PORT && port < EXIT_PORT + EXIT_PORT_LEN;
	bool report = port == EXIT_PORT && size == 4 && v >> 8 == EXIT_PORT_MAGIC;

	if (!ours) {
		outside++;
		return;
	}
	if (report && first) {
		FUZZ_ASSERT(calls == 1 && ep.reported && ep.status == (int)(v & 0xff));
		return;
	}
	ignored++;
}

static uint64_t value(struct fuzz_in *in, uint8_t op, unsigned size)
{
	switch (op >> 5 & 3) {
	case 0:         /* a report of a fuzzed status */
		return exit_port_value(fuzz_u8(in));
	case 1:         /* a report with one bit flipped */
		return exit_port_value(fuzz_u8(in)) ^ 1ULL << (fuzz_u8(in) % 40);
	default:
		return fuzz_value(in, size);
	}
}

/* Input: ops; an op byte (bits 0-2 the port 0x4ff + n, bits 3-4 the size,
 * bits 5-6 the kind of value, bit 7 a read) and its operands. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned ops = 0;

	memset(&pio, 0, sizeof(pio));
	pio.name = "pio";
	FUZZ_ASSERT(exit_port_init(&ep, &pio, done, &ep) == 0);
	calls = 0;
	status = -1;
	ignored = outside = 0;
	while (fuzz_more(&in) && ops++ < 4096) {
		uint8_t op = fuzz_u8(&in);
		unsigned port = EXIT_PORT - 2 + (op & 7);
		unsigned sz = fuzz_pio_size(op >> 3 & 3);
		int before = calls;

		if (op & 0x80) {
			uint64_t v = io_bus_read(&pio, port, sz);

			if (port < EXIT_PORT || port >= EXIT_PORT + EXIT_PORT_LEN)
				outside++;
			if (port == EXIT_PORT && sz == 4)
				FUZZ_ASSERT(v == (uint64_t)EXIT_PORT_MAGIC << 8);
			else
				FUZZ_ASSERT(v == ~0ULL);
		} else {
			uint64_t v = value(&in, op, sz);

			if (sz < 4)
				v &= (1ULL << (8 * sz)) - 1;
			if (sz == 4)
				v &= 0xffffffffULL;
			if (fuzz_u8(&in) == 0xa5)
				v |= 1ULL << 32;        /* never from a real exit */
			io_bus_write(&pio, port, sz, v);
			model_write(port, sz, v, before == 0);
		}
		FUZZ_ASSERT(calls <= 1 && calls - before <= 1);
		FUZZ_ASSERT(ep.reported == (calls == 1));
		FUZZ_ASSERT(!ep.reported || ep.status == status);
		FUZZ_ASSERT(ep.ignored == ignored);
		FUZZ_ASSERT(pio.unhandled == outside);
	}
	return 0;
}
