/* A live migration in progress on the source (QMP migrate uri=unix: or
 * tcp:): its own thread connects and sends (vmm/machine_snapshot.c's
 * machine_snapshot_send_live) while the main thread goes on answering QMP
 * (query-migrate's figures, migrate_cancel); its end comes back to the
 * main thread through an eventfd in the event loop, which emits the
 * MIGRATION event and resumes the guest when the migration failed. */
#ifndef CONDUIT_MIGRATE_JOB_H
#define CONDUIT_MIGRATE_JOB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "machine_snapshot.h"
#include "migrate_socket.h"

struct control;
struct machine;

struct migrate_job {
	pthread_t thread;
	struct control *c;
	struct machine *m;
	struct migrate_uri uri;
	bool was_paused;                /* the guest was stopped before */
	int efd;                        /* the thread is done */
	atomic_int fd;                  /* the connection, -1 before and after */
	struct machine_live live;
	struct migrate_throttle throttle;   /* max-bandwidth, and the rate measured */
	uint64_t start_ns;              /* migrate, on the monotonic clock */
	uint64_t end_ns;                /* the thread done (set before finished) */
	atomic_bool finished;           /* the thread is done sending */
	struct machine_snapshot_stats st;
	int ret;
	char err[512];
};

/* Start migrating c->m to u in a thread. 0, or -1 with one line in err. */
int migrate_job_start(struct control *c, const struct migrate_uri *u, char *err, size_t errlen);
/* migrate_cancel: the thread stops at its next step (its socket shut). */
void migrate_job_cancel(struct control *c);
/* The boot ends: cancel a running job and wait for its thread. */
void migrate_job_abort(struct control *c);
/* migrate-set-parameters while j runs: downtime-limit, max-bandwidth and
 * x-conduit-max-rounds apply from its next step (the bandwidth from its
 * next write). */
void migrate_job_set_limits(struct migrate_job *j, const struct migrate_limits *l);
/* query-migrate's figures of the running job (zeros without one), or of
 * job j, under its lock. */
void migrate_job_figures(struct control *c, struct migrate_figures *f);
void migrate_job_figures_of(struct migrate_job *j, struct migrate_figures *f);
/* Its x-conduit-* figures (dirty pages per source, device data). */
void migrate_job_xfigures_of(struct migrate_job *j, struct machine_live_figures *f);

#endif
