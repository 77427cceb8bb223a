/* `conduit exec`'s machine parts: the stderr UART, the exit port, the
 * console tail and the timer (see exec_session.h). The UART and the port
 * are called from vCPU threads under devices_lock; the timer from the
 * event loop. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "clock.h"
#include "event_loop.h"
#include "exec_session.h"
#include "io_bus.h"
#include "irq.h"
#include "log.h"
#include "vm.h"

void exec_session_init(struct exec_session *s, unsigned timeout_s, bool echo_console)
{
	memset(s, 0, sizeof(*s));
	s->timeout_s = timeout_s;
	s->echo_console = echo_console;
	s->start_ns = clock_ns();
	s->timer_fd = -1;
	s->err_out.fd = s->err_out.timer_fd = -1;
	s->console_out.fd = s->console_out.timer_fd = -1;
	s->status = -1;
}

static void err_tx(void *opaque, uint8_t b)
{
	struct exec_session *s = opaque;

	output_byte(&s->err_out, b);
}

static void err_irq(void *opaque, int level)
{
	struct exec_session *s = opaque;

	irq_line(s->vm->vm_fd, EXEC_STDERR_IRQ, level);
}

static void reported(void *opaque, int status)
{
	struct exec_session *s = opaque;

	s->reported = true;
	s->status = status;
	vm_request_exit(s->vm, EXIT_POWEROFF);
}

static int arm_timer(struct exec_session *s, unsigned seconds)
{
	struct itimerspec t = { .it_value = { .tv_sec = seconds } };

	return timerfd_settime(s->timer_fd, 0, &t, NULL);
}

static void timer_ready(void *opaque, int fd)
{
	struct exec_session *s = opaque;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	s->timed_out = true;
	vm_request_exit(s->vm, EXIT_POWEROFF);
}

int exec_session_attach(struct exec_session *s, struct vm *vm, struct io_bus *pio,
			struct event_loop *loop)
{
	s->vm = vm;
	serial_init(&s->err_uart);
	s->err_uart.tx = err_tx;
	s->err_uart.set_irq = err_irq;
	s->err_uart.opaque = s;
	if (output_init(&s->err_out, STDERR_FILENO, loop) ||
	    (s->echo_console && output_init(&s->console_out, STDERR_FILENO, loop)))
		return -1;
	if (io_bus_add(pio, EXEC_STDERR_PORT, 8, serial_read, serial_write, &s->err_uart,
		       "serial (exec stderr)") ||
	    exit_port_init(&s->port, pio, reported, s))
		return -1;
	if (!s->timeout_s)
		return 0;
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->timer_fd < 0 || arm_timer(s, s->timeout_s + EXEC_BOOT_ALLOWANCE_S))
		return -1;
	return event_loop_add(loop, s->timer_fd, timer_ready, s);
}

/* A whole console line: the start mark starts the command's clock; the
 * first panic line is kept to say why the guest died. */
static void console_line(struct exec_session *s)
{
	const char *panic;

	s->line[s->line_len] = '\0';
	panic = strstr(s->line, EXEC_PANIC_MARK);
	if (panic && !s->panic[0])
		snprintf(s->panic, sizeof(s->panic), "%s", panic);
	if (s->command_ns || strncmp(s->line, EXEC_START_MARK, strlen(EXEC_START_MARK)))
		return;
	s->command_ns = clock_ns();
	pr_info("exec: the command started %.0f ms after conduit did",
		(double)(s->command_ns - s->start_ns) / 1e6);
	if (s->timer_fd >= 0 && arm_timer(s, s->timeout_s))
		pr_warn("exec: cannot set the --timeout timer: %s", strerror(errno));
}

void exec_session_console(struct exec_session *s, uint8_t b)
{
	s->tail[(s->tail_head + s->tail_len) % EXEC_TAIL_SIZE] = (char)b;
	if (s->tail_len < EXEC_TAIL_SIZE)
		s->tail_len++;
	else
		s->tail_head = (s->tail_head + 1) % EXEC_TAIL_SIZE;
	if (s->echo_console && s->console_out.fd >= 0)
		output_byte(&s->console_out, b);
	if (b == '\n' || b == '\r') {
		if (s->line_len)
			console_line(s);
		s->line_len = 0;
	} else if (s->line_len < EXEC_LINE_MAX - 1) {
		s->line[s->line_len++] = (char)b;
	}
}

void exec_session_detach(struct exec_session *s)
{
	if (s->err_out.fd >= 0)
		output_close(&s->err_out);
	if (s->console_out.fd >= 0)
		output_close(&s->console_out);
	s->err_out.fd = s->console_out.fd = -1;
	if (s->timer_fd >= 0)
		close(s->timer_fd);
	s->timer_fd = -1;
}

size_t exec_session_tail(const struct exec_session *s, unsigned n, char *out, size_t cap)
{
	size_t i, start = s->tail_len, len = 0;
	unsigned lines = 0;
	char c;

	/* Walk back over n line ends (a final one does not count). */
	while (start > 0) {
		c = s->tail[(s->tail_head + start - 1) % EXEC_TAIL_SIZE];
		if (c == '\n' && start != s->tail_len && ++lines == n)
			break;
		start--;
	}
	for (i = start; i < s->tail_len && len + 1 < cap; i++) {
		c = s->tail[(s->tail_head + i) % EXEC_TAIL_SIZE];
		if (c != '\r')
			out[len++] = c;
	}
	if (cap)
		out[len] = '\0';
	return len;
}

static const char *ended_how(int machine_code)
{
	switch (machine_code) {
	case EXIT_POWEROFF:
		return "powered off";
	case EXIT_REBOOT:
		return "rebooted (a kernel panic reboots it)";
	case EXIT_CRASH:
		return "crashed";
	}
	return "stopped";
}

int exec_session_result(struct exec_session *s, int machine_code)
{
	char tail[EXEC_TAIL_SIZE + 1];
	size_t len;

	if (s->reported) {
		pr_info("exec: the command exited with status %d", s->status);
		return s->status;
	}
	if (s->timed_out) {
		if (s->command_ns)
			pr_err("exec: --timeout %u: the command ran %u s without finishing; "
			       "the guest is stopped", s->timeout_s, s->timeout_s);
		else
			pr_err("exec: --timeout %u: the guest did not start the command within "
			       "%u s; the guest is stopped", s->timeout_s,
			       s->timeout_s + EXEC_BOOT_ALLOWANCE_S);
		return EXEC_EXIT_TIMEOUT;
	}
	if (machine_code == EXIT_ERROR || machine_code == EXIT_USAGE ||
	    machine_code == EXIT_SECCOMP || machine_code >= EXIT_SIGNAL_BASE)
		return machine_code;
	if (s->panic[0])
		pr_err("exec: the guest panicked (%s) before the command's exit status came "
		       "back; its last console lines:", s->panic);
	else
		pr_err("exec: the guest %s before the command's exit status came back%s",
		       ended_how(machine_code), s->tail_len ? "; its last console lines:" :
		       " (it wrote nothing on its console)");
	len = exec_session_tail(s, EXEC_TAIL_LINES, tail, sizeof(tail));
	if (len) {
		fwrite(tail, 1, len, stderr);
		if (tail[len - 1] != '\n')
			fputc('\n', stderr);
	}
	return EXEC_EXIT_GUEST_DIED;
}
