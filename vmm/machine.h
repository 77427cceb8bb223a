/* Assemble a VM from a configuration, run it, tear it down. */
#ifndef CONDUIT_MACHINE_H
#define CONDUIT_MACHINE_H

#include "config.h"

/* Returns the process exit code (enum exit_code). */
int machine_run(const struct vm_config *cfg);

#endif
