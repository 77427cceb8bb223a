/* The control plane: QMP commands bound to the running machine. The
 * socket, the protocol and the built-in commands are vmm/qmp/'s; here are
 * the machine's commands (status, stop and cont, power button, reset,
 * quit, the PCI bus as the guest sees it, live statistics) and its events.
 * device_add and device_del are vmm/hotplug.c's. Everything runs on the
 * main thread, between two turns of the event loop; what vCPU threads
 * also touch (config space, BARs, ACPI registers) is read or changed under
 * devices_lock. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "../vfio/vfio_pci.h"
#include "cli.h"
#include "control.h"
#include "hotplug.h"
#include "log.h"
#include "migrate.h"
#include "migrate_job.h"
#include "machine_internal.h"
#include "machine_snapshot.h"
#include "qmp/server.h"

static struct machine *running(struct control *c, struct qmp_request *req)
{
	if (!c->m || atomic_load(&c->m->vm.stopping)) {
		qmp_error(req, "GenericError", "the guest is not running (it is shutting down or rebooting)");
		return NULL;
	}
	return c->m;
}

void control_event(struct control *c, const char *name, void *json_data)
{
	if (c->qmp)
		qmp_event(c->qmp, name, json_data);
	else
		json_decref(json_data);
}

static int cmd_query_version(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	/* QEMU's shape, so its clients read it; the package says what it is. */
	*ret = json_pack("{s:{s:i,s:i,s:i},s:s}", "qemu", "major", 7, "minor", 2, "micro", 0,
			 "package", "conduit " CONDUIT_VERSION);
	return 0;
}

static int cmd_query_status(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;
	const char *st = "running";

	if (!c->m || atomic_load(&c->m->vm.stopping))
		st = "shutdown";
	else if (vm_paused(&c->m->vm))
		st = "paused";
	*ret = json_pack("{s:s,s:b,s:b}", "status", st, "running", !strcmp(st, "running"),
			 "singlestep", 0);
	return 0;
}

static int cmd_stop(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;
	struct machine *m = running(c, req);

	if (!m)
		return -1;
	if (vm_pause(&m->vm) == 0) {
		pr_info("paused (QMP stop)");
		control_event(c, "STOP", NULL);
	}
	return 0;
}

static int cmd_cont(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;
	struct machine *m = running(c, req);
	char err[512];

	if (!m)
		return -1;
	if (machine_snapshot_resume_devices(m, err, sizeof(err))) {
		qmp_error(req, "GenericError", "%s", err);
		return -1;
	}
	if (vm_resume(&m->vm) == 0) {
		pr_info("resumed (QMP cont)");
		control_event(c, "RESUME", NULL);
	}
	return 0;
}

static int cmd_system_powerdown(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;
	struct machine *m = running(c, req);

	if (!m)
		return -1;
	if (!m->acpi) {
		qmp_error(req, "GenericError", "system_powerdown: this machine has no ACPI power "
			  "button (arm64 has none yet)");
		return -1;
	}
	pthread_mutex_lock(&devices_lock);
	acpi_pm_power_button(&m->pm);
	pthread_mutex_unlock(&devices_lock);
	pr_info("ACPI power button pressed (QMP system_powerdown)");
	control_event(c, "POWERDOWN", NULL);
	return 0;
}

static int cmd_system_reset(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;
	struct machine *m = running(c, req);

	if (!m)
		return -1;
	pr_info("reset (QMP system_reset)");
	c->reset = true;
	vm_request_exit(&m->vm, EXIT_REBOOT);
	return 0;
}

static int cmd_quit(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;

	pr_info("quit (QMP quit)");
	c->quit = true;
	if (c->m)
		vm_request_exit(&c->m->vm, EXIT_QUIT);
	return 0;
}

static const char *bar_type(const struct pci_bar *b)
{
	return b->io ? "io" : "memory";
}

static json_t *pci_regions(struct pci_device *d)
{
	json_t *regions = json_array();
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &d->bar[i];

		if (!b->size)
			continue;
		json_array_append_new(regions, json_pack("{s:i,s:s,s:I,s:I,s:b,s:b,s:b}",
			"bar", i, "type", bar_type(b), "address", (json_int_t)pci_bar_address(d, i),
			"size", (json_int_t)b->size, "prefetch", b->prefetch, "mem_type_64", b->is64,
			"x-conduit-decoding", b->mapped));
	}
	return regions;
}

static const char *dev_id(struct control *c, int slot)
{
	int i;

	for (i = 0; i < MAX_PASSTHROUGH; i++)
		if (c->dev[i].used && c->dev[i].slot == slot)
			return c->dev[i].id;
	return "";
}

static json_t *pci_device_json(struct control *c, struct pci_device *d)
{
	json_t *o;
	uint32_t id = pci_cfg_read(d, PCI_VENDOR_ID, 4);
	uint32_t sub = pci_cfg_read(d, PCI_SUBSYSTEM_VENDOR_ID, 4);
	uint32_t cls = pci_cfg_read(d, PCI_CLASS_REVISION, 4);
	bool vfio = d->ops && !strcmp(d->ops->kind, "vfio-pci");

	o = json_pack("{s:i,s:i,s:i,s:{s:i},s:{s:i,s:i,s:i,s:i},s:s,s:o,s:s,s:i}",
		      "bus", 0, "slot", d->slot, "function", 0,
		      "class_info", "class", (int)(cls >> 16),
		      "id", "vendor", (int)(id & 0xffff), "device", (int)(id >> 16),
		      "subsystem-vendor", (int)(sub & 0xffff), "subsystem", (int)(sub >> 16),
		      "qdev_id", dev_id(c, d->slot), "regions", pci_regions(d),
		      "x-conduit-kind", d->ops ? d->ops->kind : "emulated",
		      "irq", (int)pci_cfg_read(d, PCI_INTERRUPT_LINE, 1));
	if (o && vfio)
		json_object_set_new(o, "x-conduit-host", json_string(((struct vfio_pci *)d->opaque)->bdf));
	return o;
}

static int cmd_query_pci(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;
	struct machine *m = running(c, req);
	json_t *devs;
	int s;

	if (!m)
		return -1;
	devs = json_array();
	pthread_mutex_lock(&devices_lock);
	for (s = 0; s < PCI_MAX_SLOTS; s++)
		if (m->pci.slot[s])
			json_array_append_new(devs, pci_device_json(c, m->pci.slot[s]));
	pthread_mutex_unlock(&devices_lock);
	*ret = json_pack("[{s:i,s:o}]", "bus", 0, "devices", devs);
	return 0;
}

static json_t *vfio_stats_json(struct control *c, const struct vfio_pci *v)
{
	const struct vfio_stats *st = &v->stats;

	return json_pack("{s:s,s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f}",
		"id", dev_id(c, v->pci.slot), "host", v->bdf, "slot", v->pci.slot,
		"mmio-exits", (json_int_t)st->mmio_exits, "pio-exits", (json_int_t)st->pio_exits,
		"msix-accesses", (json_int_t)st->msix_accesses,
		"msix-table-writes", (json_int_t)st->msix_table_writes,
		"msi-updates", (json_int_t)st->msi_updates,
		"relayed-irqs", (json_int_t)st->relayed_irqs,
		"intx-unmasks", (json_int_t)st->intx_unmasks,
		"attach-ms", st->attach_ns / 1e6, "dma-map-ms", st->dma_map_ns / 1e6);
}

static int cmd_query_stats(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;
	struct machine *m = running(c, req);
	json_t *devs;
	int i;

	if (!m)
		return -1;
	devs = json_array();
	pthread_mutex_lock(&devices_lock);
	for (i = 0; i < m->pt.n_dev; i++)
		json_array_append_new(devs, vfio_stats_json(c, m->pt.dev[i]));
	*ret = json_pack("{s:i,s:I,s:I,s:I,s:I,s:o}", "vcpus", m->vm.n_cpus,
			 "guest-ram-bytes", (json_int_t)m->vm.mem.ram_size,
			 "guest-ram-resident-bytes", (json_int_t)vm_guest_resident(&m->vm),
			 "event-loop-wakeups", (json_int_t)m->loop.wakeups,
			 "unhandled-exits", (json_int_t)(m->vm.pio.unhandled + m->vm.mmio.unhandled),
			 "passthrough", devs);
	pthread_mutex_unlock(&devices_lock);
	return 0;
}

static const struct qmp_arg device_add_args[] = {
	{ "driver", QMP_ARG_STR, true },
	{ "id", QMP_ARG_STR, true },
	{ "host", QMP_ARG_STR, false },
	{ "sysfsdev", QMP_ARG_STR, false },
	{ "fd", QMP_ARG_STR, false },
	{ "addr", QMP_ARG_ANY, false },
	{ "x-msix", QMP_ARG_BOOL, false },
	{ NULL, 0, false },
};

static const struct qmp_arg device_del_args[] = {
	{ "id", QMP_ARG_STR, true },
	{ NULL, 0, false },
};

static const struct qmp_arg migrate_args[] = {
	{ "uri", QMP_ARG_STR, true },
	{ "detach", QMP_ARG_BOOL, false },
	{ NULL, 0, false },
};

static const struct qmp_arg migrate_params_args[] = {
	{ "downtime-limit", QMP_ARG_INT, false },
	{ "max-bandwidth", QMP_ARG_INT, false },
	{ "x-conduit-max-rounds", QMP_ARG_INT, false },
	{ "x-conduit-dirty-all-dma", QMP_ARG_BOOL, false },
	{ "x-conduit-device-dirty-tracking", QMP_ARG_BOOL, false },
	{ "x-conduit-container-dirty-tracking", QMP_ARG_BOOL, false },
	{ NULL, 0, false },
};

static const struct qmp_command commands[] = {
	{ "query-version", NULL, cmd_query_version },
	{ "query-status", NULL, cmd_query_status },
	{ "stop", NULL, cmd_stop },
	{ "cont", NULL, cmd_cont },
	{ "system_powerdown", NULL, cmd_system_powerdown },
	{ "system_reset", NULL, cmd_system_reset },
	{ "quit", NULL, cmd_quit },
	{ "query-pci", NULL, cmd_query_pci },
	{ "x-conduit-query-stats", NULL, cmd_query_stats },
	{ "device_add", device_add_args, hotplug_device_add },
	{ "device_del", device_del_args, hotplug_device_del },
	{ "migrate", migrate_args, migrate_cmd },
	{ "query-migrate", NULL, migrate_query },
	{ "migrate_cancel", NULL, migrate_cancel_cmd },
	{ "migrate-set-parameters", migrate_params_args, migrate_set_parameters },
};

int control_open(struct control *c, const struct vm_config *cfg)
{
	char err[512];
	int i, ret;

	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->eject_efd = -1;
	migrate_limits_default(&c->mig.limits);
	c->reaper.done_fd = c->reaper.ack_fd = -1;
	for (i = 0; i < MAX_PASSTHROUGH; i++)
		c->dev[i].timer_fd = -1;
	if (!cfg->api_socket)
		return 0;
	if (qmp_server_open(&c->qmp, cfg->api_socket, err, sizeof(err))) {
		pr_err("%s", err);
		return -1;
	}
	ret = socket_reaper_start(&c->reaper, cfg->api_socket);
	if (ret)
		pr_warn("control socket: no helper to remove %s at exit: %s", cfg->api_socket,
			strerror(-ret));
	qmp_server_register(c->qmp, commands, sizeof(commands) / sizeof(commands[0]), c);
	pr_info("control socket (QMP) on %s", cfg->api_socket);
	return 0;
}

int control_attach(struct control *c, struct machine *m)
{
	int ret;

	c->m = m;
	c->reset = false;
	if (!c->qmp)
		return 0;
	ret = qmp_server_attach(c->qmp, &m->loop);
	if (ret)
		pr_err("control socket: cannot watch it: %s", strerror(-ret));
	return ret;
}

void control_detach(struct control *c)
{
	migrate_job_abort(c);
	hotplug_boot_ends(c);
	if (c->qmp)
		qmp_server_detach(c->qmp);
	c->m = NULL;
}

void control_boot_ended(struct control *c, int code)
{
	const char *reason;
	bool guest = false;

	c->last_exit = code;
	if (code == EXIT_REBOOT) {
		reason = c->reset ? "host-qmp-system-reset" : "guest-reset";
		control_event(c, "RESET", json_pack("{s:b,s:s}", "guest", !c->reset, "reason", reason));
		if (!c->cfg->no_reboot)
			return;
	}
	switch (code) {
	case EXIT_POWEROFF:
		reason = "guest-shutdown";
		guest = true;
		break;
	case EXIT_REBOOT:
		reason = "guest-reset";
		guest = !c->reset;
		break;
	case EXIT_QUIT:
		reason = c->quit ? "host-qmp-quit" : "host-ui";
		break;
	case EXIT_CRASH:
		reason = "guest-panic";
		guest = true;
		break;
	default:
		reason = code >= EXIT_SIGNAL_BASE ? "host-signal" : "host-error";
		break;
	}
	control_event(c, "SHUTDOWN", json_pack("{s:b,s:s}", "guest", guest, "reason", reason));
}

void control_close(struct control *c)
{
	if (c->qmp)
		qmp_server_close(c->qmp);
	c->qmp = NULL;
	socket_reaper_finish(&c->reaper);
}
