/* The host terminal. When stdin is a tty it goes raw (no echo, no line
 * buffering, no signals from ^C: those keys belong to the guest) and is put
 * back by terminal_restore() on every exit path; Ctrl-A x quits. */
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "terminal.h"

static struct termios saved;
static bool is_raw;

void terminal_restore(void)
{
	if (is_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	is_raw = false;
}

bool terminal_is_raw(void)
{
	return is_raw;
}

int terminal_raw(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO))
		return 0;
	if (tcgetattr(STDIN_FILENO, &saved))
		return -1;
	t = saved;
	cfmakeraw(&t);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t))
		return -1;
	is_raw = true;
	atexit(terminal_restore);
	return 0;
}

size_t escape_filter(struct escape_state *st, uint8_t *buf, size_t len, bool *quit)
{
	size_t in, out = 0;

	for (in = 0; in < len; in++) {
		uint8_t c = buf[in];

		if (st->armed) {
			st->armed = false;
			if (c == 'x' || c == 'X') {
				*quit = true;
				return out;
			}
			buf[out++] = c;
			continue;
		}
		if (c == TERM_ESCAPE) {
			st->armed = true;
			continue;
		}
		buf[out++] = c;
	}
	return out;
}
