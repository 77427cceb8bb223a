/* Host-side subcommands that run instead of a VM: "conduit devices",
 * "conduit bind BDF" and "conduit unbind BDF". */
#ifndef CONDUIT_COMMANDS_H
#define CONDUIT_COMMANDS_H

#include <stdbool.h>

/* Whether name (argv[1]) is a subcommand. */
bool command_exists(const char *name);

/* Run the subcommand argv[0] with its arguments; returns the exit code:
 * 0 success, 1 failure (one-line error on stderr), 2 usage error. */
int command_run(int argc, char **argv);

#endif
