/* Fuzzer for the firmware debug console (devices/debugcon.c): guest port
 * writes of any size (single bytes, strings, long runs without a newline)
 * and reads on and around port 0x402, and closing the console midway. The
 * output is no file (-1), a pipe, a memfd, a pipe nobody reads (EPIPE;
 * SIGPIPE is ignored, as in conduit) or a descriptor open only for reading
 * (EBADF). A model runs beside it: every write to 0x402 counts one byte,
 * its low byte; bytes reach the file a line (or a full buffer) at a time,
 * in order, nothing more and nothing else; reads return 0xe9; other ports
 * are not the console's. After closing, the file has everything written
 * before and the console's descriptor is closed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "../../devices/debugcon.h"

#define RUNS_MAX   (4 * DEBUGCON_BUF)  /* long runs stop there (time) */
#define STREAM_MAX (1U << 20)       /* > RUNS_MAX + 1024 strings of 255 */

enum out { OUT_NONE, OUT_PIPE, OUT_MEMFD, OUT_BROKEN_PIPE, OUT_READ_ONLY, OUT_KINDS };

static struct debugcon d;
static struct io_bus pio;
static enum out kind;
static int ours = -1;           /* our end: the pipe's read end, the memfd */
static int theirs = -1;         /* the descriptor given to the console */
static bool closed;

/* The model: everything written, how much of it is buffered, how much
 * must have gone out (always a prefix), how much of that we have read. */
static uint8_t stream[STREAM_MAX];
static size_t written, buffered, flushed, seen;
static uint8_t got[DEBUGCON_BUF * 4];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void open_output(void)
{
	int p[2];

	ours = theirs = -1;
	switch (kind) {
	case OUT_NONE:
	case OUT_KINDS:
		break;
	case OUT_PIPE:
	case OUT_BROKEN_PIPE:
	case OUT_READ_ONLY:
		FUZZ_ASSERT(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
		if (kind == OUT_READ_ONLY) {
			ours = p[1];
			theirs = p[0];
		} else {
			ours = p[0];
			theirs = p[1];
		}
		if (kind == OUT_BROKEN_PIPE) {
			close(ours);
			ours = -1;
		}
		break;
	case OUT_MEMFD:
		ours = memfd_create("debugcon", MFD_CLOEXEC);
		FUZZ_ASSERT(ours >= 0);
		theirs = dup(ours);
		FUZZ_ASSERT(theirs >= 0);
		break;
	}
}

/* What reached the file so far is exactly what the model flushed. */
static void check_output(void)
{
	ssize_t n;

	if (kind == OUT_PIPE) {
		while ((n = read(ours, got, sizeof(got))) > 0) {
			FUZZ_ASSERT(seen + (size_t)n <= flushed);
			FUZZ_ASSERT(!memcmp(got, stream + seen, (size_t)n));
			seen += (size_t)n;
		}
		FUZZ_ASSERT(n == 0 ? closed : errno == EAGAIN);
		FUZZ_ASSERT(seen == flushed);
	} else if (kind == OUT_MEMFD) {
		while ((n = pread(ours, got, sizeof(got), (off_t)seen)) > 0) {
			FUZZ_ASSERT(seen + (size_t)n <= flushed);
			FUZZ_ASSERT(!memcmp(got, stream + seen, (size_t)n));
			seen += (size_t)n;
		}
		FUZZ_ASSERT(n == 0 && seen == flushed);
	}
}

static void check(void)
{
	FUZZ_ASSERT(d.bytes == written);
	FUZZ_ASSERT(d.len == buffered && d.len < DEBUGCON_BUF);
	FUZZ_ASSERT(d.fd == (closed ? -1 : theirs));
	check_output();
}

/* Out go the buffered bytes, unless the console is closed (nowhere). */
static void flush(void)
{
	if (!closed)
		flushed += buffered;
	buffered = 0;
	FUZZ_ASSERT(closed || flushed == written);
}

static void close_console(void)
{
	debugcon_close(&d);
	flush();
	closed = true;
}

static void guest_write(unsigned port, unsigned size, uint64_t v)
{
	io_bus_write(&pio, port, size, v);
	if (port != DEBUGCON_PORT)
		return;
	FUZZ_ASSERT(written < STREAM_MAX);
	stream[written++] = (uint8_t)v;
	if (++buffered == DEBUGCON_BUF || (uint8_t)v == '\n')
		flush();
}

/* Ports 0x401-0x403, mostly the console's. */
static unsigned port(uint8_t b)
{
	switch (b & 3) {
	case 2:
		return DEBUGCON_PORT - 1;
	case 3:
		return DEBUGCON_PORT + 1;
	default:
		return DEBUGCON_PORT;
	}
}

/* Input: the kind of output, then operations: an op byte (bits 0-1 the
 * kind) and its operands. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned ops = 0;

	kind = (enum out)(fuzz_u8(&in) % OUT_KINDS);
	open_output();
	memset(&pio, 0, sizeof(pio));
	pio.name = "pio";
	FUZZ_ASSERT(debugcon_init(&d, theirs, &pio) == 0);
	written = buffered = flushed = seen = 0;
	closed = false;
	check();
	while (fuzz_more(&in) && ops++ < 1024) {
		uint8_t op = fuzz_u8(&in);
		unsigned sz = fuzz_pio_size(op >> 2 & 3);

		switch (op & 3) {
		case 0:         /* one access of any size */
			guest_write(port(op >> 4), sz, fuzz_value(&in, sz));
			break;
		case 1: {       /* a string, a byte at a time */
			size_t len, i;
			const uint8_t *p = fuzz_take(&in, fuzz_u8(&in), &len);

			for (i = 0; i < len; i++)
				guest_write(DEBUGCON_PORT, 1, p[i]);
			break;
		}
		case 2: {       /* a run of one byte, past the buffer's size */
			unsigned n = fuzz_u16(&in) % (DEBUGCON_BUF + DEBUGCON_BUF / 2), i;
			uint8_t b = fuzz_u8(&in);

			if (written + n > RUNS_MAX)
				break;
			for (i = 0; i < n; i++)
				guest_write(DEBUGCON_PORT, 1, b);
			break;
		}
		case 3:
			if (op & 0x80) {
				close_console();
			} else {
				uint64_t v = io_bus_read(&pio, port(op >> 4), sz);

				FUZZ_ASSERT(v == (port(op >> 4) == DEBUGCON_PORT ?
						  DEBUGCON_READBACK : ~0ULL));
			}
			break;
		}
		check();
	}
	close_console();
	check();
	FUZZ_ASSERT(d.fd == -1);
	if (theirs >= 0)
		FUZZ_ASSERT(fcntl(theirs, F_GETFD) == -1 && errno == EBADF);
	if (ours >= 0)
		close(ours);
	return 0;
}
