/* The fake vfio device's migration v2 side (see fake_vfio_mig.h). */
#include <linux/vfio.h>
#include "fake_vfio_mig.h"

#define NR     8
#define ERR    VFIO_DEVICE_STATE_ERROR
#define STOP   VFIO_DEVICE_STATE_STOP
#define RUN    VFIO_DEVICE_STATE_RUNNING
#define SC     VFIO_DEVICE_STATE_STOP_COPY
#define RES    VFIO_DEVICE_STATE_RESUMING
#define RP2P   VFIO_DEVICE_STATE_RUNNING_P2P
#define PRE    VFIO_DEVICE_STATE_PRE_COPY
#define PP2P   VFIO_DEVICE_STATE_PRE_COPY_P2P

/* hop[cur][target]: the next state for a device with every flag, by the
 * uAPI's rules (shortest walk, no saving state inside it). Columns in
 * enum order: ERROR, STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P,
 * PRE_COPY, PRE_COPY_P2P. */
static const uint8_t hop[NR][NR] = {
	[ERR]  = { ERR, ERR,  ERR,  ERR,  ERR,  ERR,  ERR,  ERR },
	[STOP] = { ERR, STOP, RP2P, SC,   RES,  RP2P, RP2P, RP2P },
	[RUN]  = { ERR, RP2P, RUN,  RP2P, RP2P, RP2P, PRE,  RP2P },
	[SC]   = { ERR, STOP, STOP, SC,   STOP, STOP, ERR,  ERR },
	[RES]  = { ERR, STOP, STOP, STOP, RES,  STOP, STOP, STOP },
	[RP2P] = { ERR, STOP, RUN,  STOP, STOP, RP2P, RUN,  PP2P },
	[PRE]  = { ERR, RUN,  RUN,  PP2P, RUN,  RUN,  PRE,  PP2P },
	[PP2P] = { ERR, RP2P, RP2P, SC,   RP2P, RP2P, PRE,  PP2P },
};

/* What each state needs of the VFIO_MIGRATION_* flags. */
static uint32_t needs(uint32_t state)
{
	switch (state) {
	case RP2P:
		return VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P;
	case PRE:
		return VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_PRE_COPY;
	case PP2P:
		return VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY;
	default:
		return VFIO_MIGRATION_STOP_COPY;
	}
}

static bool has(uint32_t flags, uint32_t state)
{
	return state < NR && state != ERR && (flags & needs(state)) == needs(state);
}

uint32_t fake_vfio_mig_next(uint32_t flags, uint32_t cur, uint32_t target)
{
	uint32_t next;

	if (!has(flags, cur) || !has(flags, target))
		return ERR;
	next = hop[cur][target];
	while (next != ERR && !has(flags, next))
		next = hop[next][target];
	return next;
}

bool fake_vfio_mig_arc(uint32_t flags, uint32_t cur, uint32_t next)
{
	uint32_t t;

	if (cur == next || next == ERR)
		return false;
	for (t = 0; t < NR; t++)
		if (fake_vfio_mig_next(flags, cur, t) == next)
			return true;
	return false;
}
