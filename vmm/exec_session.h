/* The parts of a running machine that only `conduit exec` has: the
 * command's stderr channel (a second 16550 UART, ttyS1 at 0x2f8, IRQ 3,
 * written to conduit's stderr), the exit port where the guest reports the
 * command's status (devices/exit_port.h), the guest console (ttyS0) kept
 * as its last lines and echoed with -v, and --timeout. Its stdout is the
 * machine's virtio-console (hvc0), on conduit's stdout as in a plain run.
 *
 * One session lasts the run (exec runs with --no-reboot: one boot);
 * exec_session_result() turns how the run ended into conduit's exit code. */
#ifndef CONDUIT_EXEC_SESSION_H
#define CONDUIT_EXEC_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../devices/exit_port.h"
#include "../devices/serial.h"
#include "output.h"

#define EXEC_STDERR_PORT  0x2f8
#define EXEC_STDERR_IRQ   3
#define EXEC_TAIL_SIZE    16384  /* console bytes kept */
#define EXEC_TAIL_LINES   20     /* shown when the guest ends without a status */
#define EXEC_LINE_MAX     256
/* The guest's init says this on the console just before the command. */
#define EXEC_START_MARK   "conduit-exec: running the command"
/* What the guest kernel says first when it panics. */
#define EXEC_PANIC_MARK   "Kernel panic - not syncing"
/* Before the command starts, the guest has this long to boot (on top of
 * --timeout, which counts from the command's start). */
#define EXEC_BOOT_ALLOWANCE_S 120
/* conduit's exit codes of its own for exec (the command's are 0-255). */
#define EXEC_EXIT_GUEST_DIED 4
#define EXEC_EXIT_TIMEOUT    124

struct vm;
struct event_loop;
struct io_bus;

struct exec_session {
	unsigned timeout_s;             /* 0: no limit */
	bool echo_console;              /* -v: the console to stderr as it comes */
	uint64_t start_ns;              /* conduit started */
	/* for one boot */
	struct vm *vm;
	struct serial err_uart;
	struct output err_out, console_out;
	struct exit_port port;
	int timer_fd;
	/* what happened */
	uint64_t command_ns;            /* the command started (0: not yet) */
	bool reported;
	int status;
	bool timed_out;
	/* the console: the last EXEC_TAIL_SIZE bytes, and the line being read */
	char tail[EXEC_TAIL_SIZE];
	size_t tail_head, tail_len;
	char line[EXEC_LINE_MAX];
	size_t line_len;
	char panic[EXEC_LINE_MAX];      /* the first panic line, "" when none */
};

void exec_session_init(struct exec_session *s, unsigned timeout_s, bool echo_console);
/* Put the stderr UART and the exit port on pio, arm the timer in loop. */
int exec_session_attach(struct exec_session *s, struct vm *vm, struct io_bus *pio,
			struct event_loop *loop);
/* One byte the guest wrote on its console (ttyS0). */
void exec_session_console(struct exec_session *s, uint8_t b);
/* Flush what is buffered; close the timer. */
void exec_session_detach(struct exec_session *s);
/* conduit's exit code for a run the machine ended with machine_code: the
 * command's status when it came back; EXEC_EXIT_TIMEOUT after --timeout;
 * conduit's own failure or signal code as it is; else EXEC_EXIT_GUEST_DIED,
 * with the console's last lines on stderr. Says why on stderr. */
int exec_session_result(struct exec_session *s, int machine_code);

/* The last n lines of the console tail into out (cap bytes). Pure, for tests. */
size_t exec_session_tail(const struct exec_session *s, unsigned n, char *out, size_t cap);

#endif
