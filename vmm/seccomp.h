/* The seccomp sandbox: system-call allow-lists for the main thread and the
 * vCPU threads, and the SIGSYS handler that ends conduit on a call outside
 * them (exit code EXIT_SECCOMP). */
#ifndef CONDUIT_SECCOMP_H
#define CONDUIT_SECCOMP_H

#include <stdbool.h>

/* The main thread's filter, with no_new_privs and the SIGSYS handler.
 * Threads created afterwards inherit it. Once per process: a second call
 * (the next boot after a guest reboot) does nothing. Returns 0 or -errno. */
int seccomp_start_main(void);

/* Add the vCPU filter to the calling thread if the main filter is on (it
 * is stacked on the inherited main filter). Returns 0 or -errno. */
int seccomp_start_vcpu(void);

/* Whether seccomp_start_main() installed the sandbox in this process. */
bool seccomp_active(void);

#endif
