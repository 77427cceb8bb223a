/* Logging: one-line messages to stderr, with a verbosity switch. */
#ifndef CONDUIT_LOG_H
#define CONDUIT_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_verbosity;

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What the user asked for (SIGUSR2's vCPU states): at any verbosity, no tag. */
void log_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define pr_err(...)   log_msg(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
