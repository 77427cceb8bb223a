/* VFIO migration v2 on one device fd: which states its driver offers
 * (VFIO_DEVICE_FEATURE_MIGRATION), its state machine (the single arcs the
 * FSM has for those flags and a planner for the shortest walk along them,
 * vfio/mig_plan.c), moving it from state to state and recovering a device
 * that fell into ERROR (vfio/migration.c), and the data transfer session:
 * reading a PRE_COPY or STOP_COPY data fd, writing a RESUMING one, the
 * PRE_COPY and STOP_COPY size estimates (vfio/mig_data.c). The snapshot
 * (vmm/machine_snapshot.c, through vfio/pci_migrate.c) uses it.
 *
 * States are the kernel's enum vfio_device_mig_state values; flags are
 * VFIO_MIGRATION_* bits. Every function that can fail either returns
 * -errno (the raw ioctl wrappers) or -1 with a one-line message in err
 * starting with the device's name. */
#ifndef CONDUIT_VFIO_MIGRATION_H
#define CONDUIT_VFIO_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>
#include "backend.h"            /* VFIO_DEV_NAME_LEN */

#define VFIO_MIG_NR_STATES  8           /* ERROR .. PRE_COPY_P2P */
#define VFIO_MIG_UNKNOWN    VFIO_MIG_NR_STATES      /* could not be read back */
#define VFIO_MIG_MAX_PATH   (VFIO_MIG_NR_STATES - 1)
#define VFIO_MIG_FLAGS      (VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | \
			     VFIO_MIGRATION_PRE_COPY)

/* ---- the state machine, without a device (mig_plan.c) ---- */

/* "RUNNING", "PRE_COPY_P2P"..., "unknown" for anything else. */
const char *vfio_mig_state_name(uint32_t state);
/* "STOP_COPY+P2P+PRE_COPY", "none" for no known flag. */
const char *vfio_mig_flags_name(uint32_t flags);
/* Whether a device with these flags has this state as a target: RUNNING,
 * STOP, STOP_COPY and RESUMING with STOP_COPY; RUNNING_P2P with P2P too;
 * PRE_COPY with PRE_COPY too; PRE_COPY_P2P with all three. Never ERROR
 * (it cannot be asked for) and never anything without STOP_COPY. */
bool vfio_mig_state_offered(uint32_t flags, uint32_t state);
/* Whether from -> to is one arc of the FSM for these flags. Where P2P is
 * missing the arcs that skip RUNNING_P2P (RUNNING <-> STOP, PRE_COPY ->
 * STOP_COPY) are single arcs. STOP_COPY -> PRE_COPY and STOP_COPY ->
 * PRE_COPY_P2P never are: the uAPI forbids them, and 6.12 kernels without
 * a 2026 stable fix loop forever on that request holding the device lock. */
bool vfio_mig_arc_offered(uint32_t flags, uint32_t from, uint32_t to);
/* The shortest walk from -> to along single arcs for these flags, with
 * only RUNNING, RUNNING_P2P and STOP inside it, or saving states when it
 * goes from one saving state to another (PRE_COPY -> PRE_COPY_P2P ->
 * STOP_COPY): it never opens a data session it does not end in, as the
 * kernel's own combination arcs do. path[i] is the state after arc i. Returns the number of arcs (0
 * when from == to), or -EINVAL when either state is not offered or ERROR. */
int vfio_mig_plan(uint32_t flags, uint32_t from, uint32_t to,
		  uint32_t path[VFIO_MIG_MAX_PATH]);
/* PRE_COPY, PRE_COPY_P2P and STOP_COPY: the states that share a saving
 * session's data fd. */
bool vfio_mig_state_saving(uint32_t state);

/* ---- a device (migration.c) ---- */

struct vfio_mig {
	int fd;                         /* the device fd; not owned */
	char name[VFIO_DEV_NAME_LEN];   /* for messages: "0000:00:03.0" */
	uint32_t flags;                 /* VFIO_MIGRATION_* it offers */
	uint32_t state;                 /* as last set or read back */
	int data_fd;                    /* the session's data fd, -1: none; owned */
	uint64_t data_bytes;            /* read or written in this session */
	uint64_t data_cap;              /* vfio_mig_read fails past it; 0: no cap */
	unsigned resets;                /* VFIO_DEVICE_RESETs out of ERROR */
};

/* VFIO_DEVICE_FEATURE_MIGRATION: the flags (unknown bits dropped) or
 * -errno (-ENOTTY: the driver has no migration). */
int vfio_mig_probe(int fd, uint32_t *flags);
/* MIG_DEVICE_STATE GET: 0 or -errno. */
int vfio_mig_get_state(int fd, uint32_t *state);
/* MIG_DEVICE_STATE SET to state: 0 with *data_fd the new session's fd (or
 * -1 when the arc opens none), or -errno. One request; the kernel walks
 * combination arcs itself, so callers go through vfio_mig_goto instead. */
int vfio_mig_set_state(int fd, uint32_t state, int *data_fd);

/* Probe the device fd fd, named name, and read its state. A device that
 * cannot migrate is -1 and one line: "NAME: DRIVER offers no migration
 * (VFIO_DEVICE_FEATURE_MIGRATION: Inappropriate ioctl for device)" or
 * "...offers migration without STOP_COPY (...)"; driver NULL: "its
 * driver". */
int vfio_mig_init(struct vfio_mig *m, int fd, const char *name, const char *driver,
		  char *err, size_t errlen);
/* Close the session's data fd, if any. The device fd stays open. */
void vfio_mig_release(struct vfio_mig *m);
/* Take the device from its current state (read back first) to target
 * along the planner's path, one arc per request. */
int vfio_mig_goto(struct vfio_mig *m, uint32_t target, char *err, size_t errlen);
/* Take the device along path (n states, as vfio_mig_plan gives them) from
 * m->state. A new session's data fd goes in m->data_fd; leaving the saving
 * states or RESUMING closes it. On a failed arc the state is read back: a
 * device in ERROR is reset (VFIO_DEVICE_RESET, then RUNNING) and the
 * message says so; otherwise it says where the device stayed. */
int vfio_mig_step(struct vfio_mig *m, const uint32_t *path, int n, char *err, size_t errlen);

/* ---- the data transfer session (mig_data.c) ---- */

#define VFIO_MIG_CHUNK    (1u << 20)    /* bytes per read() of a data fd */
#define VFIO_MIG_POLL_MS  10000         /* EAGAIN: how long to wait for it */

/* Where each chunk read goes, in order: 0, or -1 with a message in err
 * (which stops the read). */
typedef int (*vfio_mig_sink)(void *opaque, const void *buf, size_t len,
			     char *err, size_t errlen);

enum vfio_mig_read_end {
	VFIO_MIG_READ_END,              /* end of stream: the device's state is out */
	VFIO_MIG_READ_FOR_NOW,          /* PRE_COPY: ENOMSG, no more data for now */
	VFIO_MIG_READ_BUDGET,           /* budget bytes read; more may follow */
};

/* Read the session's data fd (PRE_COPY, PRE_COPY_P2P or STOP_COPY) into
 * sink until its end, ENOMSG in a PRE_COPY state, or budget bytes (0: no
 * budget); EINTR is retried, EAGAIN waits in poll(). The session's total
 * may not pass m->data_cap. *end says why it stopped. */
int vfio_mig_read(struct vfio_mig *m, uint64_t budget, vfio_mig_sink sink, void *opaque,
		  enum vfio_mig_read_end *end, char *err, size_t errlen);
/* Write len bytes, the next of the stream, into the RESUMING data fd,
 * however many write() calls that takes. */
int vfio_mig_write(struct vfio_mig *m, const void *buf, size_t len, char *err, size_t errlen);
/* VFIO_MIG_GET_PRECOPY_INFO on the session's fd (PRE_COPY states only):
 * initial data still to read, and dirty data. */
int vfio_mig_precopy_info(struct vfio_mig *m, uint64_t *initial, uint64_t *dirty,
			  char *err, size_t errlen);
/* VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: the device's estimate of its
 * STOP_COPY data, for the downtime estimate. */
int vfio_mig_data_size(struct vfio_mig *m, uint64_t *stop_copy_length,
		       char *err, size_t errlen);
/* A cap for m->data_cap from that estimate: twice it and 16 MiB more
 * (estimates are estimates), saturating. */
uint64_t vfio_mig_data_cap(uint64_t stop_copy_length);

#endif
