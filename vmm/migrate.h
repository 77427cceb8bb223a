/* QMP migrate and query-migrate (QEMU's names and shapes): a stopped guest
 * saved to a new file (uri "file:PATH"), which `conduit --restore PATH`
 * resumes. Live migration (unix:, tcp:) is issue 15's next step. */
#ifndef CONDUIT_MIGRATE_H
#define CONDUIT_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "machine_snapshot.h"   /* struct machine_live_figures */
#include "migrate_rounds.h"

struct qmp_request;

struct migrate_job;

/* The last migration, for query-migrate; held in struct control. */
struct migrate_status {
	const char *status;             /* NULL (none yet), "completed", "failed",
					 * "cancelled"; a running job: "active" */
	uint64_t total_ms;
	uint64_t bytes, ram_bytes, ram_total, device_bytes;
	struct migrate_figures fig;     /* a live migration's last figures */
	struct machine_live_figures xfig;       /* and its x-conduit-* ones */
	char error[512];
	struct migrate_limits limits;   /* migrate-set-parameters */
	bool dirty_all_dma;             /* x-conduit-dirty-all-dma */
	bool no_dma_logging;            /* x-conduit-device-dirty-tracking=false */
	bool no_container_dirty;        /* x-conduit-container-dirty-tracking=false */
	struct migrate_job *job;        /* the live migration running, or NULL */
};

int migrate_cmd(void *opaque, struct qmp_request *req, json_t *args, json_t **ret);
int migrate_query(void *opaque, struct qmp_request *req, json_t *args, json_t **ret);
int migrate_cancel_cmd(void *opaque, struct qmp_request *req, json_t *args, json_t **ret);
int migrate_set_parameters(void *opaque, struct qmp_request *req, json_t *args, json_t **ret);

/* The dirty tracking parameters of migrate-set-parameters in args
 * (x-conduit-dirty-all-dma, x-conduit-device-dirty-tracking,
 * x-conduit-container-dirty-tracking: each a bool where given) into s's
 * fields; nothing changed on an error. 0, or -1 with one line. Pure. */
int migrate_dirty_params(json_t *args, struct migrate_status *s, char *err, size_t errlen);

#endif
