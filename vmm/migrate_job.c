/* The source side of a live migration, in its own thread (see
 * migrate_job.h). The thread only connects and sends; every QMP event and
 * every change to the machine's run state after it is the main thread's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "clock.h"
#include "control.h"
#include "event_loop.h"
#include "log.h"
#include "machine_internal.h"
#include "migrate_job.h"
#include "vm_pause.h"

#define CONNECT_TIMEOUT_MS 10000

static void *job_thread(void *arg)
{
	struct migrate_job *j = arg;
	uint64_t one = 1;
	int fd;

	fd = migrate_connect(&j->uri, CONNECT_TIMEOUT_MS, MIGRATE_CONNECT_NUMERIC, j->err,
			     sizeof(j->err));
	if (fd < 0) {
		j->ret = -1;
	} else {
		atomic_store(&j->fd, fd);
		pthread_mutex_lock(&j->live.lock);
		migrate_throttle_init(&j->throttle, j->live.limits.max_bandwidth, fd);
		pthread_mutex_unlock(&j->live.lock);
		j->live.throttle = &j->throttle;
		if (atomic_load(&j->live.cancel))
			shutdown(fd, SHUT_RDWR);
		j->ret = machine_snapshot_send_live(j->m, fd, &j->live, &j->st, j->err,
						    sizeof(j->err));
		atomic_store(&j->fd, -1);
		close(fd);
	}
	j->end_ns = clock_ns();
	atomic_store(&j->finished, true);
	if (write(j->efd, &one, sizeof(one)) < 0)
		pr_debug("migrate: eventfd: %s", strerror(errno));
	return NULL;
}

void migrate_job_set_limits(struct migrate_job *j, const struct migrate_limits *l)
{
	pthread_mutex_lock(&j->live.lock);
	j->live.limits = *l;
	/* before the thread's init, which reads the limits under the lock */
	migrate_throttle_set_rate(&j->throttle, l->max_bandwidth);
	pthread_mutex_unlock(&j->live.lock);
}

static void job_free(struct migrate_job *j)
{
	close(j->efd);
	pthread_mutex_destroy(&j->live.lock);
	free(j);
}

/* The thread ended: join it, say how it went, resume a guest that ran. */
static void job_done(void *opaque, int fd)
{
	struct control *c = opaque;
	struct migrate_job *j = c->mig.job;
	struct migrate_status *s = &c->mig;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 || !j)
		return;
	pthread_join(j->thread, NULL);
	event_loop_remove(&j->m->loop, j->efd);
	c->mig.job = NULL;
	migrate_job_figures_of(j, &s->fig);
	migrate_job_xfigures_of(j, &s->xfig);
	s->total_ms = s->fig.total_time;
	s->bytes = j->st.bytes;
	s->ram_bytes = s->fig.transferred;
	s->ram_total = s->fig.total;
	s->device_bytes = j->st.device_bytes;
	/* over the whole migration once it is over, as QEMU has it */
	if (s->fig.total_time)
		s->fig.mbps = j->st.bytes * 8 / (s->fig.total_time * 1000);
	if (!j->ret) {
		s->status = "completed";
		s->error[0] = '\0';
		pr_info("migrate: completed to %s: %llu MiB in %llu ms, %llu rounds, downtime %llu ms",
			j->uri.text, (unsigned long long)(j->st.bytes >> 20),
			(unsigned long long)s->fig.total_time,
			(unsigned long long)s->fig.dirty_sync_count,
			(unsigned long long)s->fig.downtime);
		control_event(c, "STOP", NULL);
	} else {
		s->status = atomic_load(&j->live.cancel) ? "cancelled" : "failed";
		snprintf(s->error, sizeof(s->error), "%s", atomic_load(&j->live.cancel) ?
			 "cancelled (migrate_cancel)" : j->err);
		pr_err("migrate to %s: %s; the guest goes on here", j->uri.text, s->error);
		if (!j->was_paused && vm_resume(&j->m->vm) == 0)
			pr_info("resumed after the failed migration");
	}
	control_event(c, "MIGRATION", json_pack("{s:s}", "status", s->status));
	job_free(j);
}

int migrate_job_start(struct control *c, const struct migrate_uri *u, char *err, size_t errlen)
{
	struct migrate_job *j = calloc(1, sizeof(*j));

	if (!j) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	j->c = c;
	j->m = c->m;
	j->uri = *u;
	j->was_paused = vm_paused(&c->m->vm);
	j->start_ns = clock_ns();
	atomic_init(&j->finished, false);
	atomic_init(&j->fd, -1);
	atomic_init(&j->live.cancel, false);
	j->live.limits = c->mig.limits;
	j->live.dirty_all_dma = c->mig.dirty_all_dma;
	j->live.no_dma_logging = c->mig.no_dma_logging;
	j->live.no_container_dirty = c->mig.no_container_dirty;
	pthread_mutex_init(&j->live.lock, NULL);
	j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (j->efd < 0 || event_loop_add(&c->m->loop, j->efd, job_done, c)) {
		snprintf(err, errlen, "cannot start the migration: %s", strerror(errno));
		if (j->efd >= 0)
			close(j->efd);
		free(j);
		return -1;
	}
	c->mig.job = j;
	if (pthread_create(&j->thread, NULL, job_thread, j)) {
		snprintf(err, errlen, "cannot start the migration thread");
		event_loop_remove(&c->m->loop, j->efd);
		c->mig.job = NULL;
		job_free(j);
		return -1;
	}
	return 0;
}

void migrate_job_cancel(struct control *c)
{
	struct migrate_job *j = c->mig.job;
	int fd;

	if (!j)
		return;
	atomic_store(&j->live.cancel, true);
	fd = atomic_load(&j->fd);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

void migrate_job_abort(struct control *c)
{
	struct migrate_job *j = c->mig.job;

	if (!j)
		return;
	migrate_job_cancel(c);
	pthread_join(j->thread, NULL);
	event_loop_remove(&j->m->loop, j->efd);
	c->mig.job = NULL;
	c->mig.status = "cancelled";
	job_free(j);
}

void migrate_job_figures_of(struct migrate_job *j, struct migrate_figures *f)
{
	uint64_t rate = migrate_throttle_rate(&j->throttle);
	uint64_t sent = migrate_throttle_bytes(&j->throttle);

	pthread_mutex_lock(&j->live.lock);
	*f = j->live.fig;
	pthread_mutex_unlock(&j->live.lock);
	/* mbps: what the link carried in the last half second */
	if (rate)
		f->mbps = rate * 8 / 1000000;
	/* ram.transferred: every byte sent so far, the round in progress
	 * too (the planner counts a round once it is over) */
	if (sent > f->transferred)
		f->transferred = sent;
	/* total-time runs on while it sends (the planner's figures are of
	 * the last round) */
	if (!atomic_load(&j->finished))
		f->total_time = (clock_ns() - j->start_ns) / 1000000;
	else if (!f->total_time)        /* it ended before the planner's end */
		f->total_time = (j->end_ns - j->start_ns) / 1000000;
	/* ram.total before the first round's figures */
	if (!f->total)
		f->total = j->m->vm.mem.ram_size;
}

void migrate_job_xfigures_of(struct migrate_job *j, struct machine_live_figures *f)
{
	pthread_mutex_lock(&j->live.lock);
	*f = j->live.xfig;
	pthread_mutex_unlock(&j->live.lock);
}

void migrate_job_figures(struct control *c, struct migrate_figures *f)
{
	memset(f, 0, sizeof(*f));
	if (c->mig.job)
		migrate_job_figures_of(c->mig.job, f);
}
