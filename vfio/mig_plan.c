/* The VFIO migration v2 state machine as data: which single arcs a device
 * offers for its VFIO_MIGRATION_* flags, and a breadth-first search for
 * the shortest walk between two states along them. No ioctls here.
 * Every migration state change conduit makes goes through it.
 *
 * The arcs are those include/uapi/linux/vfio.h describes for a device with
 * every flag, minus the ones touching a state the flags lack, plus the
 * ones that appear when RUNNING_P2P is missing and the kernel skips over
 * it (RUNNING <-> STOP, PRE_COPY -> STOP_COPY). STOP_COPY -> PRE_COPY and
 * STOP_COPY -> PRE_COPY_P2P are in no table and refused by a check of their
 * own as well. */
#include <errno.h>
#include <string.h>
#include "migration.h"

#define SC   VFIO_MIGRATION_STOP_COPY
#define P2P  VFIO_MIGRATION_P2P
#define PRE  VFIO_MIGRATION_PRE_COPY

#define S_STOP       VFIO_DEVICE_STATE_STOP
#define S_RUNNING    VFIO_DEVICE_STATE_RUNNING
#define S_STOP_COPY  VFIO_DEVICE_STATE_STOP_COPY
#define S_RESUMING   VFIO_DEVICE_STATE_RESUMING
#define S_RUN_P2P    VFIO_DEVICE_STATE_RUNNING_P2P
#define S_PRE        VFIO_DEVICE_STATE_PRE_COPY
#define S_PRE_P2P    VFIO_DEVICE_STATE_PRE_COPY_P2P

struct mig_arc {
	uint8_t from, to;
	uint8_t needs;          /* flags the arc needs */
	uint8_t unless;         /* flags whose presence removes it (it skips
				 * over a state they would offer) */
};

static const struct mig_arc arcs[] = {
	/* STOP_COPY: the base states */
	{ S_STOP,      S_STOP_COPY, SC,           0 },
	{ S_STOP_COPY, S_STOP,      SC,           0 },
	{ S_STOP,      S_RESUMING,  SC,           0 },
	{ S_RESUMING,  S_STOP,      SC,           0 },
	{ S_RUNNING,   S_STOP,      SC,           P2P },
	{ S_STOP,      S_RUNNING,   SC,           P2P },
	/* P2P: RUNNING and STOP meet in RUNNING_P2P */
	{ S_RUNNING,   S_RUN_P2P,   SC | P2P,     0 },
	{ S_RUN_P2P,   S_RUNNING,   SC | P2P,     0 },
	{ S_RUN_P2P,   S_STOP,      SC | P2P,     0 },
	{ S_STOP,      S_RUN_P2P,   SC | P2P,     0 },
	/* PRE_COPY */
	{ S_RUNNING,   S_PRE,       SC | PRE,     0 },
	{ S_PRE,       S_RUNNING,   SC | PRE,     0 },
	{ S_PRE,       S_STOP_COPY, SC | PRE,     P2P },
	/* PRE_COPY_P2P: STOP_COPY is reached through it */
	{ S_PRE,       S_PRE_P2P,   SC | P2P | PRE, 0 },
	{ S_PRE_P2P,   S_PRE,       SC | P2P | PRE, 0 },
	{ S_RUN_P2P,   S_PRE_P2P,   SC | P2P | PRE, 0 },
	{ S_PRE_P2P,   S_RUN_P2P,   SC | P2P | PRE, 0 },
	{ S_PRE_P2P,   S_STOP_COPY, SC | P2P | PRE, 0 },
};

#define N_ARCS (sizeof(arcs) / sizeof(arcs[0]))

/* What each state needs of the flags; ERROR none (it is never offered as
 * a target, see vfio_mig_state_offered). */
static const uint8_t state_needs[VFIO_MIG_NR_STATES] = {
	[VFIO_DEVICE_STATE_ERROR] = 0,
	[S_STOP] = SC,
	[S_RUNNING] = SC,
	[S_STOP_COPY] = SC,
	[S_RESUMING] = SC,
	[S_RUN_P2P] = SC | P2P,
	[S_PRE] = SC | PRE,
	[S_PRE_P2P] = SC | P2P | PRE,
};

static const char *const state_names[VFIO_MIG_NR_STATES] = {
	[VFIO_DEVICE_STATE_ERROR] = "ERROR",
	[S_STOP] = "STOP",
	[S_RUNNING] = "RUNNING",
	[S_STOP_COPY] = "STOP_COPY",
	[S_RESUMING] = "RESUMING",
	[S_RUN_P2P] = "RUNNING_P2P",
	[S_PRE] = "PRE_COPY",
	[S_PRE_P2P] = "PRE_COPY_P2P",
};

const char *vfio_mig_state_name(uint32_t state)
{
	return state < VFIO_MIG_NR_STATES ? state_names[state] : "unknown";
}

const char *vfio_mig_flags_name(uint32_t flags)
{
	static const char *const names[8] = {
		"none", "STOP_COPY", "P2P", "STOP_COPY+P2P", "PRE_COPY",
		"STOP_COPY+PRE_COPY", "P2P+PRE_COPY", "STOP_COPY+P2P+PRE_COPY",
	};

	return names[flags & VFIO_MIG_FLAGS];
}

bool vfio_mig_state_offered(uint32_t flags, uint32_t state)
{
	if (state >= VFIO_MIG_NR_STATES || state == VFIO_DEVICE_STATE_ERROR)
		return false;
	return (flags & state_needs[state]) == state_needs[state];
}

bool vfio_mig_state_saving(uint32_t state)
{
	return state == S_PRE || state == S_PRE_P2P || state == S_STOP_COPY;
}

static bool forbidden(uint32_t from, uint32_t to)
{
	return from == S_STOP_COPY && (to == S_PRE || to == S_PRE_P2P);
}

static bool arc_has(const struct mig_arc *a, uint32_t flags)
{
	return (flags & a->needs) == a->needs && !(flags & a->unless);
}

bool vfio_mig_arc_offered(uint32_t flags, uint32_t from, uint32_t to)
{
	size_t i;

	if (forbidden(from, to) || !vfio_mig_state_offered(flags, from) ||
	    !vfio_mig_state_offered(flags, to))
		return false;
	for (i = 0; i < N_ARCS; i++)
		if (arcs[i].from == from && arcs[i].to == to)
			return arc_has(&arcs[i], flags);
	return false;
}

/* A state a walk from -> to may pass through: RUNNING, RUNNING_P2P or
 * STOP; and a saving state when the walk goes from one saving state to
 * another (PRE_COPY -> PRE_COPY_P2P -> STOP_COPY, one session all along).
 * So a walk never opens a session it does not end in, nor RESUMING. */
static bool interior(uint32_t state, uint32_t from, uint32_t to)
{
	if (state == S_RUNNING || state == S_RUN_P2P || state == S_STOP)
		return true;
	return vfio_mig_state_saving(state) && vfio_mig_state_saving(from) &&
	       vfio_mig_state_saving(to);
}

/* Breadth-first from from; prev[] the state each was first reached from.
 * Arcs are tried in table order, so the answer is always the same. */
static bool search(uint32_t flags, uint32_t from, uint32_t to, int prev[VFIO_MIG_NR_STATES])
{
	uint32_t queue[VFIO_MIG_NR_STATES];
	unsigned head = 0, tail = 0;
	size_t i;

	for (i = 0; i < VFIO_MIG_NR_STATES; i++)
		prev[i] = -1;
	prev[from] = (int)from;
	queue[tail++] = from;
	while (head < tail) {
		uint32_t s = queue[head++];

		if (s == to)
			return true;
		if (s != from && !interior(s, from, to))
			continue;
		for (i = 0; i < N_ARCS; i++) {
			uint32_t t = arcs[i].to;

			if (arcs[i].from != s || prev[t] >= 0 ||
			    !vfio_mig_arc_offered(flags, s, t))
				continue;
			prev[t] = (int)s;
			queue[tail++] = t;
		}
	}
	return false;
}

int vfio_mig_plan(uint32_t flags, uint32_t from, uint32_t to,
		  uint32_t path[VFIO_MIG_MAX_PATH])
{
	int prev[VFIO_MIG_NR_STATES];
	uint32_t s;
	int n = 0, i;

	if (!vfio_mig_state_offered(flags, from) || !vfio_mig_state_offered(flags, to))
		return -EINVAL;
	if (from == to)
		return 0;
	if (!search(flags, from, to, prev))
		return -EINVAL;
	for (s = to; s != from; s = (uint32_t)prev[s])
		n++;
	for (s = to, i = n - 1; s != from; s = (uint32_t)prev[s], i--)
		path[i] = s;
	return n;
}
