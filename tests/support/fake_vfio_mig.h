/* The fake vfio device's migration v2 side (see fake_vfio.h): an
 * independent model of the kernel's state machine, written as the kernel
 * thinks of it (for every state and target, the next state on the way,
 * with states the flags lack skipped over), which the tests hold the
 * planner in vfio/mig_plan.c against. */
#ifndef CONDUIT_TESTS_FAKE_VFIO_MIG_H
#define CONDUIT_TESTS_FAKE_VFIO_MIG_H

#include <stdbool.h>
#include <stdint.h>

/* The state the kernel moves a device with these flags to next when asked
 * for target from cur; VFIO_DEVICE_STATE_ERROR when it refuses (a state
 * the flags lack, ERROR asked for, STOP_COPY -> PRE_COPY...). */
uint32_t fake_vfio_mig_next(uint32_t flags, uint32_t cur, uint32_t target);
/* Whether cur -> next is a single arc: the next state for some target. */
bool fake_vfio_mig_arc(uint32_t flags, uint32_t cur, uint32_t next);

#endif
