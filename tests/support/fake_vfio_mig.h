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
 * stable fix hangs on, is refused and counted apart.
 *
 * A session's data fd is a memfd whose read(), write() and ioctl() the
 * test binaries' overrides (fake_io.c, fake_ioctl.c) send here: PRE_COPY
 * yields initial_bytes + dirty_bytes and then ENOMSG, STOP_COPY
 * stop_copy_bytes more and then end of file, every byte of the stream
 * fake_vfio_mig_byte(its offset); RESUMING keeps what is written.
 *
 * DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_*), where offered, reports
 * the IOVAs a test put in dma_dirty[] that fall in the range asked for,
 * and forgets them as the kernel clears its log. */
#ifndef CONDUIT_TESTS_FAKE_VFIO_MIG_H
#define CONDUIT_TESTS_FAKE_VFIO_MIG_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_MIG_LOG 32                 /* arcs kept */
#define FAKE_MIG_RESUME_MAX 65536       /* RESUMING bytes kept */
#define FAKE_MIG_DIRTY 16               /* DMA-written IOVAs the log holds */
#define FAKE_MIG_RANGES 8               /* LOGGING_START ranges kept */

struct fake_vfio_mig {
	/* set by the test */
	uint32_t flags;                 /* VFIO_MIGRATION_*; 0: no migration (ENOTTY) */
	bool fail_arc;                  /* the arc fail_from -> fail_to fails... */
	uint32_t fail_from, fail_to;
	int fail_errno;                 /* ...with this errno (0: EIO)... */
	bool fail_to_error;             /* ...into ERROR (else the device stays) */
	int reset_errno;                /* VFIO_DEVICE_RESET fails with it; 0: works */
	uint64_t initial_bytes, dirty_bytes;    /* PRE_COPY's data, then ENOMSG */
	uint64_t stop_copy_bytes;       /* STOP_COPY's, then end of file */
	uint64_t data_size;             /* MIG_DATA_SIZE's stop_copy_length */
	size_t max_io;                  /* bytes per read() or write(); 0: any */
	unsigned eintr_every;           /* every Nth read()/write() fails EINTR */
	unsigned eagain_every;          /* every Nth fails EAGAIN (N != eintr's) */
	bool dma_logging;               /* offered */
	uint64_t dma_page_size;         /* what START picks; 0: the hint */
	uint64_t dma_dirty[FAKE_MIG_DIRTY];     /* IOVAs the device wrote */
	unsigned n_dma_dirty;
	/* the device */
	bool logging;                   /* between START and STOP */
	unsigned log_starts, reports;
	unsigned n_log_ranges;          /* of the last START; log_range[] the first */
	struct { uint64_t iova, length; } log_range[FAKE_MIG_RANGES];
	uint32_t state;
	int data_fd;                    /* the session's fd (a memfd), -1: none */
	uint64_t pos, limit;            /* saving: bytes read, and readable now */
	uint64_t resumed_len;           /* RESUMING: bytes written */
	uint8_t resumed[FAKE_MIG_RESUME_MAX];   /* the first of them */
	/* what happened */
	unsigned sets, gets;            /* MIG_DEVICE_STATE requests */
	unsigned refused;               /* SETs that were no single arc */
	unsigned forbidden;             /* STOP_COPY -> PRE_COPY(_P2P) asked for */
	unsigned io_calls;              /* read()s and write()s on the data fd */
	unsigned precopy_infos;         /* VFIO_MIG_GET_PRECOPY_INFOs */
	unsigned n_arcs;                /* arcs taken; arc[] keeps the first */
	uint32_t arc[FAKE_MIG_LOG][2];
};

/* A device that offers nothing, in RUNNING; nothing happened. */
void fake_vfio_mig_reset(struct fake_vfio_mig *m);
/* VFIO_DEVICE_RESET: back to RUNNING, the session gone. 0 or -1. */
int fake_vfio_mig_device_reset(struct fake_vfio_mig *m);
/* VFIO_DEVICE_FEATURE on the fake device fd. */
int fake_vfio_mig_feature(struct fake_vfio_mig *m, void *arg, void (*misuse)(const char *));

/* The data fd's answers: read(), write() (-1 with errno), ioctl(). */
bool fake_vfio_mig_owns(const struct fake_vfio_mig *m, int fd);
long fake_vfio_mig_read(struct fake_vfio_mig *m, void *buf, size_t len);
long fake_vfio_mig_write(struct fake_vfio_mig *m, const void *buf, size_t len);
int fake_vfio_mig_data_ioctl(struct fake_vfio_mig *m, unsigned long req, void *arg);
/* Byte pos of a saving session's stream. */
uint8_t fake_vfio_mig_byte(uint64_t pos);

/* The state the kernel moves a device with these flags to next when asked
 * for target from cur; VFIO_DEVICE_STATE_ERROR when it refuses (a state
 * the flags lack, ERROR asked for, STOP_COPY -> PRE_COPY...). */
uint32_t fake_vfio_mig_next(uint32_t flags, uint32_t cur, uint32_t target);
/* Whether cur -> next is a single arc: the next state for some target. */
bool fake_vfio_mig_arc(uint32_t flags, uint32_t cur, uint32_t next);

#endif
