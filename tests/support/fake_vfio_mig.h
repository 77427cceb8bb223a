/* The fake vfio device's migration v2 side (see fake_vfio.h): the
 * VFIO_DEVICE_FEATURE answers for MIGRATION and MIG_DEVICE_STATE, a
 * state machine that takes single arcs only, and an independent model of
 * the kernel's state machine, written as the kernel thinks of it (for
 * every state and target, the next state on the way, with states the
 * flags lack skipped over), which the tests hold the planner in
 * vfio/mig_plan.c against.
 *
 * The fake is stricter than the kernel: the kernel walks a combination
 * request itself, the fake refuses anything but a single arc with EINVAL,
 * so a test sees any request that would have relied on the kernel's walk.
 * STOP_COPY -> PRE_COPY(_P2P), which a 6.12 kernel without the 2026
 * stable fix hangs on, is refused and counted apart. */
#ifndef CONDUIT_TESTS_FAKE_VFIO_MIG_H
#define CONDUIT_TESTS_FAKE_VFIO_MIG_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_MIG_LOG 32                 /* arcs kept */

struct fake_vfio_mig {
	/* set by the test */
	uint32_t flags;                 /* VFIO_MIGRATION_*; 0: no migration (ENOTTY) */
	bool fail_arc;                  /* the arc fail_from -> fail_to fails... */
	uint32_t fail_from, fail_to;
	int fail_errno;                 /* ...with this errno (0: EIO)... */
	bool fail_to_error;             /* ...into ERROR (else the device stays) */
	int reset_errno;                /* VFIO_DEVICE_RESET fails with it; 0: works */
	/* the device */
	uint32_t state;
	int data_fd;                    /* the session's fd (a memfd), -1: none */
	/* what happened */
	unsigned sets, gets;            /* MIG_DEVICE_STATE requests */
	unsigned refused;               /* SETs that were no single arc */
	unsigned forbidden;             /* STOP_COPY -> PRE_COPY(_P2P) asked for */
	unsigned n_arcs;                /* arcs taken; arc[] keeps the first */
	uint32_t arc[FAKE_MIG_LOG][2];
};

/* A device that offers nothing, in RUNNING; nothing happened. */
void fake_vfio_mig_reset(struct fake_vfio_mig *m);
/* VFIO_DEVICE_RESET: back to RUNNING, the session gone. 0 or -1. */
int fake_vfio_mig_device_reset(struct fake_vfio_mig *m);
/* VFIO_DEVICE_FEATURE on the fake device fd. */
int fake_vfio_mig_feature(struct fake_vfio_mig *m, void *arg, void (*misuse)(const char *));

/* The state the kernel moves a device with these flags to next when asked
 * for target from cur; VFIO_DEVICE_STATE_ERROR when it refuses (a state
 * the flags lack, ERROR asked for, STOP_COPY -> PRE_COPY...). */
uint32_t fake_vfio_mig_next(uint32_t flags, uint32_t cur, uint32_t target);
/* Whether cur -> next is a single arc: the next state for some target. */
bool fake_vfio_mig_arc(uint32_t flags, uint32_t cur, uint32_t next);

#endif
