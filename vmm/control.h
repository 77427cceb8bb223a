/* The control plane: the QMP socket (--api-socket) bound to the machine.
 * It outlives one boot: a reboot builds the machine anew and the socket,
 * its clients and the devices added by device_add carry over. */
#ifndef CONDUIT_CONTROL_H
#define CONDUIT_CONTROL_H

#include <stdatomic.h>
#include <stdbool.h>
#include "config.h"
#include "migrate.h"
#include "qmp/reaper.h"

struct machine;
struct qmp_server;
struct qmp_request;

#define HOT_ID_LEN   64
#define HOT_SPEC_LEN 128

/* A device the control plane knows by id: added by device_add, or given
 * with --passthrough (id "ptN"). */
struct hot_dev {
	struct control *owner;
	bool used;
	bool hot;                       /* added by device_add */
	char id[HOT_ID_LEN];
	char spec[HOT_SPEC_LEN];        /* to plug again after a reboot; "" for an fd */
	int slot;
	bool unplug_pending;            /* device_del sent, the guest not done */
	int timer_fd;                   /* the eject timeout, -1 */
	struct qmp_request *del_req;    /* device_del's deferred reply */
	long long asked_ns;
};

struct control {
	struct qmp_server *qmp;         /* NULL without --api-socket */
	struct socket_reaper reaper;    /* removes the socket file at exit */
	const struct vm_config *cfg;
	struct machine *m;              /* the running boot, or NULL */
	struct hot_dev dev[MAX_PASSTHROUGH];
	int last_exit;                  /* why the last boot ended (exit code) */
	bool quit, reset;               /* asked over the socket */
	atomic_uint ejected;            /* slots the guest ejected (bits) */
	int eject_efd;                  /* signalled when ejected gets a bit */
	struct migrate_status mig;      /* the last migrate, for query-migrate */
};

/* Open the socket of cfg->api_socket (nothing without one). Returns 0, or
 * -1 after printing the one-line error. */
int control_open(struct control *c, const struct vm_config *cfg);
/* A boot's machine is built: watch the socket in its loop. */
int control_attach(struct control *c, struct machine *m);
/* The boot ends (before the machine's teardown): deferred replies are
 * answered, the socket leaves the loop. */
void control_detach(struct control *c);
/* The boot ended with exit code: SHUTDOWN or RESET events. */
void control_boot_ended(struct control *c, int code);
/* Close and unlink the socket. */
void control_close(struct control *c);
/* An event to every client (data stolen, may be NULL). */
void control_event(struct control *c, const char *name, void *json_data);

#endif
