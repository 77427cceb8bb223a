/* QMP migrate (see migrate.h). To a file: the guest must be stopped; the
 * snapshot is written in one go on the main thread (vmm/machine_snapshot.c),
 * into a file created new (the sandbox lets the main thread create a file
 * only with O_EXCL, so nothing existing is ever overwritten), synced. To
 * unix: or tcp:, live, in a thread of its own (vmm/migrate_job.c).
 * MIGRATION events for each state as QEMU sends them; migrate_cancel,
 * migrate-set-parameters (downtime-limit, max-bandwidth,
 * x-conduit-max-rounds, x-conduit-dirty-all-dma,
 * x-conduit-device-dirty-tracking, x-conduit-container-dirty-tracking),
 * query-migrate (QEMU's
 * fields, and x-conduit-dirty-pages / x-conduit-device for a live one). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "control.h"
#include "log.h"
#include "machine_internal.h"
#include "machine_snapshot.h"
#include "migrate.h"
#include "migrate_job.h"
#include "migrate_socket.h"
#include "qmp/server.h"
#include "vm_pause.h"

static void event(struct control *c, const char *status)
{
	control_event(c, "MIGRATION", json_pack("{s:s}", "status", status));
}

static int failed(struct control *c, struct qmp_request *req, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failed(struct control *c, struct qmp_request *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->mig.error, sizeof(c->mig.error), fmt, ap);
	va_end(ap);
	c->mig.status = "failed";
	event(c, "failed");
	pr_err("migrate: %s", c->mig.error);
	qmp_error(req, "GenericError", "%s", c->mig.error);
	return -1;
}

/* unix: or tcp:, live, in its own thread. */
static int live(struct control *c, struct qmp_request *req, struct machine *m,
		const struct migrate_uri *u)
{
	struct machine_live want = {
		.dirty_all_dma = c->mig.dirty_all_dma, .no_dma_logging = c->mig.no_dma_logging,
		.no_container_dirty = c->mig.no_container_dirty,
	};
	char err[512];

	if (c->mig.job) {
		qmp_error(req, "GenericError", "a migration is running: migrate_cancel it first");
		return -1;
	}
	if (machine_live_check(m, &want, err, sizeof(err))) {
		pr_err("migrate: %s", err);
		qmp_error(req, "GenericError", "%s", err);
		return -1;
	}
	event(c, "setup");
	if (migrate_job_start(c, u, err, sizeof(err)))
		return failed(c, req, "%s", err);
	c->mig.status = "active";
	c->mig.error[0] = '\0';
	pr_info("migrate: live to %s", u->text);
	event(c, "active");
	return 0;
}

static int save(struct control *c, struct qmp_request *req, struct machine *m, const char *path)
{
	struct machine_snapshot_stats st;
	char err[512];
	int fd, ret;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return failed(c, req, "file:%s: %s%s", path, strerror(errno),
			      errno == EEXIST ? " (conduit writes a snapshot to a new file only)" : "");
	event(c, "active");
	ret = machine_snapshot_save(m, fd, &st, err, sizeof(err));
	if (!ret && fdatasync(fd)) {
		snprintf(err, sizeof(err), "file:%.300s: %s", path, strerror(errno));
		ret = -1;
	}
	if (ret && ftruncate(fd, 0) == 0)
		strncat(err, " (the file is left empty)", sizeof(err) - strlen(err) - 1);
	close(fd);
	if (ret)
		return failed(c, req, "%s", err);
	c->mig.status = "completed";
	c->mig.total_ms = st.ns / 1000000;
	c->mig.bytes = st.bytes;
	c->mig.ram_bytes = st.ram_bytes;
	c->mig.ram_total = st.ram_total;
	c->mig.device_bytes = st.device_bytes;
	c->mig.error[0] = '\0';
	pr_info("migrate: saved to %s: %llu MiB (%llu MiB of RAM not zero) in %.1f ms", path,
		(unsigned long long)(st.bytes >> 20), (unsigned long long)(st.ram_bytes >> 20),
		(double)st.ns / 1e6);
	event(c, "completed");
	return 0;
}

int migrate_cmd(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;
	struct machine *m = c->m;
	const char *uri = json_string_value(json_object_get(args, "uri"));
	struct migrate_uri u;
	const char *path;
	char err[512];

	if (!m || atomic_load(&m->vm.stopping)) {
		qmp_error(req, "GenericError", "the guest is not running (it is shutting down or "
			  "rebooting)");
		return -1;
	}
	if (migrate_uri_parse(uri, &u, err, sizeof(err))) {
		qmp_error(req, "GenericError", "%s", err);
		return -1;
	}
	if (u.kind != MIGRATE_FILE)
		return live(c, req, m, &u);
	path = u.path;
	if (!vm_paused(&m->vm)) {
		qmp_error(req, "GenericError", "the guest is running: stop it first (migrate to "
			  "file: saves a stopped guest)");
		return -1;
	}
	if (machine_snapshot_check(m, err, sizeof(err))) {
		qmp_error(req, "GenericError", "%s", err);
		return -1;
	}
	event(c, "setup");
	return save(c, req, m, path);
}

/* The dirty pages per source, as {"kvm": N, ...}. */
static json_t *sources(const uint64_t *pages)
{
	json_t *o = json_object();
	int k;

	for (k = 0; o && k < LIVE_DIRTY_NR; k++)
		json_object_set_new(o, live_dirty_src_name((enum live_dirty_src)k),
				    json_integer((json_int_t)pages[k]));
	return o;
}

/* A live migration's x-conduit-* fields: where the dirty pages came from
 * (the last sync and all of them), and the passed-through devices' data
 * in pre-copy (guest running) and stop-copy (vCPUs paused). */
static void add_xfigures(struct control *c, json_t *ret)
{
	struct machine_live_figures x = c->mig.xfig;

	if (c->mig.job)
		migrate_job_xfigures_of(c->mig.job, &x);
	json_object_set_new(ret, "x-conduit-dirty-pages",
			    json_pack("{s:o,s:o}", "last-sync", sources(x.dirty_last),
				      "total", sources(x.dirty_total)));
	json_object_set_new(ret, "x-conduit-device",
			    json_pack("{s:I,s:I,s:I,s:I}",
				      "transferred", (json_int_t)(x.precopy_bytes + x.stop_copy_bytes),
				      "precopy-bytes", (json_int_t)x.precopy_bytes,
				      "stop-copy-bytes", (json_int_t)x.stop_copy_bytes,
				      "precopy-devices", (json_int_t)x.precopy_devices));
}

int migrate_query(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;
	const struct migrate_status *s = &c->mig;

	if (!s->status) {
		*ret = json_object();
		return 0;
	}
	if (s->job || s->fig.total) {
		struct migrate_figures f = s->fig;

		if (s->job)
			migrate_job_figures(c, &f);
		*ret = json_pack("{s:s,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I}}",
				 "status", s->status, "total-time", (json_int_t)f.total_time,
				 "setup-time", (json_int_t)f.setup_time,
				 "expected-downtime", (json_int_t)f.expected_downtime,
				 "downtime", (json_int_t)f.downtime,
				 "ram", "transferred", (json_int_t)f.transferred,
				 "remaining", (json_int_t)f.remaining, "total", (json_int_t)f.total,
				 "dirty-sync-count", (json_int_t)f.dirty_sync_count,
				 "dirty-pages-rate", (json_int_t)f.dirty_pages_rate,
				 "mbps", (json_int_t)f.mbps);
		if (*ret && strcmp(s->status, "completed") && strcmp(s->status, "active"))
			json_object_set_new(*ret, "error-desc", json_string(s->error));
		if (*ret)
			add_xfigures(c, *ret);
		return 0;
	}
	if (!strcmp(s->status, "failed")) {
		*ret = json_pack("{s:s,s:s}", "status", s->status, "error-desc", s->error);
		return 0;
	}
	*ret = json_pack("{s:s,s:I,s:I,s:{s:I,s:I,s:I},s:{s:I}}", "status", s->status,
			 "total-time", (json_int_t)s->total_ms, "downtime", (json_int_t)s->total_ms,
			 "ram", "transferred", (json_int_t)s->ram_bytes, "total",
			 (json_int_t)s->ram_total, "remaining", (json_int_t)0,
			 "x-conduit-device", "transferred", (json_int_t)s->device_bytes);
	return 0;
}

int migrate_cancel_cmd(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;

	if (c->mig.job) {
		pr_info("migrate: cancelled (QMP migrate_cancel)");
		migrate_job_cancel(c);
	}
	return 0;
}

/* downtime-limit (ms), max-bandwidth (bytes per second),
 * x-conduit-max-rounds (these three also for a migration under way, from
 * its next step, as QEMU does), x-conduit-dirty-all-dma (bool: a passed-through
 * device with neither DMA logging nor IOMMU dirty tracking has every
 * DMA-mapped page counted dirty in every round, as QEMU's vfio-pci
 * enable-migration=on does, instead of refusing the live migration),
 * x-conduit-device-dirty-tracking (bool, default true; false: no device DMA
 * logging, as QEMU's vfio-pci x-device-dirty-page-tracking=off),
 * x-conduit-container-dirty-tracking (bool, default true; false: not the
 * legacy type1 container's VFIO_IOMMU_DIRTY_PAGES): for the next
 * migration. */
int migrate_set_parameters(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;
	struct migrate_limits l = c->mig.limits;
	struct migrate_status s = c->mig;
	char err[128];
	json_t *v;

	v = json_object_get(args, "downtime-limit");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > 2000000)) {
		qmp_error(req, "GenericError", "downtime-limit: milliseconds from 1 to 2000000");
		return -1;
	}
	if (v)
		l.downtime_limit_ms = (uint64_t)json_integer_value(v);
	v = json_object_get(args, "max-bandwidth");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0)) {
		qmp_error(req, "GenericError", "max-bandwidth: bytes per second, 0 for no cap");
		return -1;
	}
	if (v)
		l.max_bandwidth = (uint64_t)json_integer_value(v);
	v = json_object_get(args, "x-conduit-max-rounds");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > 1000)) {
		qmp_error(req, "GenericError", "x-conduit-max-rounds: from 1 to 1000");
		return -1;
	}
	if (v)
		l.max_rounds = (unsigned)json_integer_value(v);
	if (migrate_dirty_params(args, &s, err, sizeof(err))) {
		qmp_error(req, "GenericError", "%s", err);
		return -1;
	}
	c->mig.dirty_all_dma = s.dirty_all_dma;
	c->mig.no_dma_logging = s.no_dma_logging;
	c->mig.no_container_dirty = s.no_container_dirty;
	c->mig.limits = l;
	if (c->mig.job && !atomic_load(&c->mig.job->finished)) {
		migrate_job_set_limits(c->mig.job, &l);
		pr_info("migrate: now downtime-limit %llu ms, max-bandwidth %llu bytes/s%s, "
			"x-conduit-max-rounds %u, for the migration under way",
			(unsigned long long)l.downtime_limit_ms,
			(unsigned long long)l.max_bandwidth, l.max_bandwidth ? "" : " (no cap)",
			l.max_rounds);
	}
	return 0;
}

/* The bool parameter name in args, where given, into *val (negated with
 * negate). 0, or -1 with one line. */
static int bool_param(json_t *args, const char *name, bool negate, bool *val, char *err,
		      size_t errlen)
{
	json_t *v = json_object_get(args, name);

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(err, errlen, "%s: true or false", name);
		return -1;
	}
	*val = json_is_true(v) != negate;
	return 0;
}

int migrate_dirty_params(json_t *args, struct migrate_status *s, char *err, size_t errlen)
{
	bool all = s->dirty_all_dma, no_log = s->no_dma_logging, no_ct = s->no_container_dirty;

	if (bool_param(args, "x-conduit-dirty-all-dma", false, &all, err, errlen) ||
	    bool_param(args, "x-conduit-device-dirty-tracking", true, &no_log, err, errlen) ||
	    bool_param(args, "x-conduit-container-dirty-tracking", true, &no_ct, err, errlen))
		return -1;
	s->dirty_all_dma = all;
	s->no_dma_logging = no_log;
	s->no_container_dirty = no_ct;
	return 0;
}
