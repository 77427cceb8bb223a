/* Logging: one-line messages to stderr prefixed with "conduit:". */
#include <stdio.h>
#include <string.h>
#include "log.h"

enum log_level log_verbosity = LOG_WARN;

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	char buf[1024];
	va_list ap;
	int n;

	if (level > log_verbosity)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* \r\n so messages stay readable while the terminal is raw. */
	fprintf(stderr, "conduit: %s%s\r\n", tag[level], buf);
}
