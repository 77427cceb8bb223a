/* Logging: one-line messages to stderr prefixed with "conduit:". */
#include <stdio.h>
#include <string.h>
#include "log.h"
#include "terminal.h"

enum log_level log_verbosity = LOG_WARN;

static void emit(const char *tag, const char *fmt, va_list ap)
{
	char buf[1024];

	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		return;
	/* \r\n so messages stay readable while the terminal is raw. */
	fprintf(stderr, "conduit: %s%s%s", tag, buf, terminal_is_raw() ? "\r\n" : "\n");
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	va_list ap;

	if (level > log_verbosity)
		return;
	va_start(ap, fmt);
	emit(tag[level], fmt, ap);
	va_end(ap);
}

void log_report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}
