/* The command line: options, --help, --version, --config. */
#ifndef CONDUIT_CLI_H
#define CONDUIT_CLI_H

#include "config.h"

#define CONDUIT_VERSION "0.1.0"

enum cli_result { CLI_RUN, CLI_EXIT_OK, CLI_EXIT_USAGE };

/* Fill cfg from argv (config file first, then options on top). */
enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg);

#endif
