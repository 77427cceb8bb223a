/* The host terminal: raw mode while conduit runs, and the Ctrl-A escape. */
#ifndef CONDUIT_TERMINAL_H
#define CONDUIT_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TERM_ESCAPE 0x01        /* Ctrl-A */

struct escape_state {
	bool armed;                 /* Ctrl-A seen, waiting for the command */
};

/* Put stdin in raw mode if it is a terminal; terminal_restore() undoes it
 * and is safe to call more than once. */
int terminal_raw(void);
void terminal_restore(void);
/* Whether conduit has the terminal in raw mode now. */
bool terminal_is_raw(void);

/* Filter input in place: Ctrl-A x sets *quit, Ctrl-A Ctrl-A yields one
 * Ctrl-A, Ctrl-A followed by anything else yields that byte. Returns the
 * number of bytes left for the guest. */
size_t escape_filter(struct escape_state *st, uint8_t *buf, size_t len, bool *quit);

#endif
