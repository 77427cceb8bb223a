/* The machine's side of PCI hotplug.
 *
 * device_add checks the device as --passthrough does at start (the same
 * one-line errors), picks the slot (addr, or the lowest free one), has
 * vfio/hotplug.c attach it with its BARs in free room, then tells the
 * guest through the ACPI hotplug controller (devices/acpi_hotplug.c): the
 * guest's acpiphp driver scans the slot, places the BARs and binds its
 * driver.
 *
 * device_del asks the guest to eject (an ACPI eject request); its reply
 * waits. When the guest has let go (its _EJ0 writes the controller's eject
 * register, on a vCPU thread) the slot is handed to the main thread over
 * an eventfd; there the device comes off the bus under devices_lock and is
 * torn down outside it (memory slots, irqfds, reset, fd), DEVICE_DELETED
 * goes out and device_del is answered. A guest that never ejects leaves
 * the device where it is: after EJECT_TIMEOUT_S the request is withdrawn
 * and device_del answered with an error saying so. A second device_del
 * while one waits is an error, not a second teardown.
 *
 * Devices added by device_add are remembered by their spec and plugged
 * again at the next boot after a reboot, as if given with --passthrough;
 * one handed over as an fd (getfd) cannot be opened again and is not. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "../devices/acpi_hotplug.h"
#include "../vfio/vfio_pci.h"
#include "clock.h"
#include "control.h"
#include "hotplug.h"
#include "log.h"
#include "machine_internal.h"
#include "qmp/server.h"

static struct hot_dev *find_id(struct control *c, const char *id)
{
	int i;

	for (i = 0; i < MAX_PASSTHROUGH; i++)
		if (c->dev[i].used && !strcmp(c->dev[i].id, id))
			return &c->dev[i];
	return NULL;
}

static struct hot_dev *find_slot(struct control *c, int slot)
{
	int i;

	for (i = 0; i < MAX_PASSTHROUGH; i++)
		if (c->dev[i].used && c->dev[i].slot == slot)
			return &c->dev[i];
	return NULL;
}

static struct hot_dev *new_record(struct control *c, const char *id, int slot)
{
	int i;

	for (i = 0; i < MAX_PASSTHROUGH; i++) {
		struct hot_dev *h = &c->dev[i];

		if (h->used)
			continue;
		memset(h, 0, sizeof(*h));
		h->owner = c;
		h->used = true;
		h->timer_fd = -1;
		h->slot = slot;
		snprintf(h->id, sizeof(h->id), "%s", id);
		return h;
	}
	return NULL;
}

static void stop_timer(struct control *c, struct hot_dev *h);

static void drop_record(struct control *c, struct hot_dev *h)
{
	stop_timer(c, h);
	memset(h, 0, sizeof(*h));
	h->timer_fd = -1;
}

static void stop_timer(struct control *c, struct hot_dev *h)
{
	if (h->timer_fd < 0)
		return;
	if (c->m)
		event_loop_remove(&c->m->loop, h->timer_fd);
	close(h->timer_fd);
	h->timer_fd = -1;
}

/* QEMU's rule for ids: a letter, then letters, digits, '-', '.', '_'. */
static bool id_valid(const char *id)
{
	size_t i, n = strlen(id);

	if (!n || n >= HOT_ID_LEN || !((id[0] >= 'a' && id[0] <= 'z') ||
				       (id[0] >= 'A' && id[0] <= 'Z')))
		return false;
	for (i = 1; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._",
			    id[i]))
			return false;
	return true;
}

/* addr: an integer slot, or QEMU's "SLOT[.FN]" in hex (function 0 only).
 * Returns the slot, or -1 with err. */
static int parse_addr(json_t *addr, char *err, size_t errlen)
{
	long long slot;
	char *end;

	if (json_is_integer(addr)) {
		slot = json_integer_value(addr);
	} else if (json_is_string(addr)) {
		const char *s = json_string_value(addr);

		slot = strtoll(s, &end, 16);
		if (end == s || (*end && strcmp(end, ".0") && strcmp(end, ".00"))) {
			snprintf(err, errlen, "addr '%s': expected a slot as SLOT or SLOT.0 in hex (function 0 only)", s);
			return -1;
		}
	} else {
		snprintf(err, errlen, "Parameter 'addr' expects a slot number or a string SLOT.0");
		return -1;
	}
	if (slot < 1 || slot >= PCI_MAX_SLOTS) {
		snprintf(err, errlen, "addr %lld: a slot is 1 to %d (0 is the host bridge)", slot,
			 PCI_MAX_SLOTS - 1);
		return -1;
	}
	return (int)slot;
}

static int pick_slot(struct machine *m, json_t *addr, char *err, size_t errlen)
{
	int slot;

	if (addr) {
		slot = parse_addr(addr, err, errlen);
		if (slot > 0 && m->pci.slot[slot]) {
			snprintf(err, errlen, "addr %02x.0: PCI slot %d is taken by %s", slot, slot,
				 m->pci.slot[slot]->name);
			return -1;
		}
		return slot;
	}
	for (slot = 1; slot < PCI_MAX_SLOTS; slot++)
		if (!m->pci.slot[slot])
			return slot;
	snprintf(err, errlen, "no free PCI slot (at most %d devices)", PCI_MAX_SLOTS - 1);
	return -1;
}

/* The spec passthrough_check takes, from host= or sysfsdev=. */
static int make_spec(const char *host, const char *sysfsdev, char *spec, size_t len,
		     char *err, size_t errlen)
{
	const char *uuid;

	if (host) {
		snprintf(spec, len, "%s", host);
		return 0;
	}
	uuid = strrchr(sysfsdev, '/');
	uuid = uuid ? uuid + 1 : sysfsdev;
	if (!*uuid) {
		snprintf(err, errlen, "sysfsdev '%s': expected /sys/bus/mdev/devices/UUID", sysfsdev);
		return -1;
	}
	snprintf(spec, len, "mdev:%s", uuid);
	return 0;
}

/* The start-time check's wording names the command-line option; over the
 * socket the argument is named instead. */
static void rename_option(char *err, size_t errlen, const char *arg)
{
	const char *opt = "--passthrough ";
	char tmp[512];

	if (strncmp(err, opt, strlen(opt)))
		return;
	snprintf(tmp, sizeof(tmp), "%s=%s", arg, err + strlen(opt));
	snprintf(err, errlen, "%s", tmp);
}

static int check_device(struct control *c, json_t *args, struct passthrough_dev *dev,
			char *spec, size_t speclen, char *err, size_t errlen)
{
	const char *host = json_string_value(json_object_get(args, "host"));
	const char *sysfsdev = json_string_value(json_object_get(args, "sysfsdev"));
	const char *fdname = json_string_value(json_object_get(args, "fd"));
	int fd;

	if (!!host + !!sysfsdev + !!fdname != 1) {
		snprintf(err, errlen, "device_add vfio-pci takes exactly one of host (a PCI address), sysfsdev (an mdev) or fd (a VFIO device cdev passed with getfd)");
		return -1;
	}
	if (fdname) {
		fd = qmp_fd_take(c->qmp, fdname);
		if (fd < 0) {
			snprintf(err, errlen, "fd=%s: no file descriptor of that name (pass one with getfd first)",
				 fdname);
			return -1;
		}
		memset(dev, 0, sizeof(*dev));
		dev->ref.kind = VFIO_DEV_FD;
		dev->ref.group = dev->ref.cdev = -1;
		dev->ref.fd = fd;
		dev->iommufd = -1;
		snprintf(dev->ref.name, sizeof(dev->ref.name), "fd=%.36s", fdname);
		spec[0] = '\0';
		return 0;
	}
	if (make_spec(host, sysfsdev, spec, speclen, err, errlen))
		return -1;
	if (passthrough_check(spec, dev, err, errlen)) {
		rename_option(err, errlen, host ? "host" : "sysfsdev");
		return -1;
	}
	return 0;
}

/* The same host device twice in one guest: the kernel would hand out a
 * second fd of a device this guest already drives. */
static int in_guest(struct control *c, struct machine *m, const struct passthrough_dev *dev,
		    char *err, size_t errlen)
{
	int i;

	for (i = 0; i < m->pt.n_dev; i++) {
		if (m->pt.ref[i].kind == dev->ref.kind && !strcmp(m->pt.ref[i].name, dev->ref.name)) {
			const char *id = "";
			struct hot_dev *h = find_slot(c, m->pt.dev[i]->pci.slot);

			if (h)
				id = h->id;
			snprintf(err, errlen, "%s: the device is busy: already in use by this guest (id '%s', slot %d)",
				 dev->ref.name, id, m->pt.dev[i]->pci.slot);
			return -1;
		}
	}
	return 0;
}

/* What refuses any hot-add or removal: a guest that is going away, a
 * machine without the ACPI hotplug controller, a live migration sending
 * the devices there are now. 0, or -1 with the error reply made. */
static int hotplug_refused(struct control *c, struct qmp_request *req, const char *cmd)
{
	struct machine *m = c->m;

	if (!m || atomic_load(&m->vm.stopping)) {
		qmp_error(req, "GenericError", "the guest is not running (it is shutting down or rebooting)");
		return -1;
	}
	if (!m->acpi) {
		qmp_error(req, "GenericError", "%s: this machine has no ACPI hotplug "
			  "controller (arm64 has none yet)", cmd);
		return -1;
	}
	if (c->mig.job) {
		qmp_error(req, "GenericError", "a live migration is running (it sends the devices "
			  "there are now): migrate_cancel it or wait for its end");
		return -1;
	}
	return 0;
}

int hotplug_device_add(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;
	struct machine *m = c->m;
	const char *driver = json_string_value(json_object_get(args, "driver"));
	const char *id = json_string_value(json_object_get(args, "id"));
	json_t *msix = json_object_get(args, "x-msix");
	struct passthrough_dev dev;
	char err[512], spec[HOT_SPEC_LEN];
	struct vfio_pci *v;
	struct hot_dev *h;
	uint64_t t0 = clock_ns();
	int slot;

	if (hotplug_refused(c, req, "device_add"))
		return -1;
	if (strcmp(driver, "vfio-pci")) {
		qmp_error(req, "GenericError", "driver '%s' cannot be added: conduit hot-adds vfio-pci devices only", driver);
		return -1;
	}
	if (!id_valid(id)) {
		qmp_error(req, "GenericError", "Parameter 'id' expects an identifier (a letter, then letters, digits, '-', '.' or '_', under %d characters)",
			  HOT_ID_LEN);
		return -1;
	}
	if (find_id(c, id)) {
		qmp_error(req, "GenericError", "Duplicate device ID '%s'", id);
		return -1;
	}
	slot = pick_slot(m, json_object_get(args, "addr"), err, sizeof(err));
	if (slot < 0 || check_device(c, args, &dev, spec, sizeof(spec), err, sizeof(err))) {
		qmp_error(req, "GenericError", "%s", err);
		return -1;
	}
	if (dev.ref.kind != VFIO_DEV_FD && in_guest(c, m, &dev, err, sizeof(err))) {
		qmp_error(req, "GenericError", "%s", err);
		return -1;
	}
	if (msix && json_is_false(msix))
		dev.flags |= VFIO_PCI_NO_MSIX;
	h = new_record(c, id, slot);
	v = h ? passthrough_hot_add(&m->pt, &dev, slot, c->cfg->vfio_backend, err, sizeof(err)) : NULL;
	if (!v) {
		if (!h)
			snprintf(err, sizeof(err), "%s: this VM has %d passthrough devices, the most it takes",
				 dev.ref.name, MAX_PASSTHROUGH);
		if (dev.ref.kind == VFIO_DEV_FD)
			close(dev.ref.fd);
		if (h)
			drop_record(c, h);
		qmp_error(req, "GenericError", "%s", err);
		return -1;
	}
	h->hot = true;
	snprintf(h->spec, sizeof(h->spec), "%s%s", spec,
		 spec[0] && (dev.flags & VFIO_PCI_NO_MSIX) ? ",msix=off" : "");
	pthread_mutex_lock(&devices_lock);
	acpi_hotplug_plug(&m->hp, (unsigned)slot);
	pthread_mutex_unlock(&devices_lock);
	pr_info("device_add %s: %s at guest 00:%02x.0 in %.1f ms; the guest was notified", id,
		v->bdf, slot, (clock_ns() - t0) / 1e6);
	return 0;
}

/* The guest did not eject in time: the request is withdrawn, the device
 * stays, device_del says so. */
static void eject_timeout(void *opaque, int fd)
{
	struct hot_dev *h = opaque;
	struct control *c = h->owner;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	stop_timer(c, h);
	if (!h->unplug_pending)
		return;
	h->unplug_pending = false;
	if (c->m) {
		pthread_mutex_lock(&devices_lock);
		acpi_hotplug_cancel(&c->m->hp, (unsigned)h->slot);
		pthread_mutex_unlock(&devices_lock);
	}
	pr_warn("device_del %s: the guest did not eject it within %d s; it stays plugged",
		h->id, EJECT_TIMEOUT_S);
	if (h->del_req)
		qmp_reply_error(h->del_req, "GenericError",
				"device '%s': the guest did not eject it within %d s (is its ACPI hotplug driver, acpiphp, loaded?); the device stays plugged and in use by the guest; device_del again to ask again",
				h->id, EJECT_TIMEOUT_S);
	h->del_req = NULL;
}

static int arm_timeout(struct control *c, struct hot_dev *h)
{
	struct itimerspec its = { .it_value.tv_sec = EJECT_TIMEOUT_S };

	h->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (h->timer_fd < 0)
		return -errno;
	if (timerfd_settime(h->timer_fd, 0, &its, NULL) < 0 ||
	    event_loop_add(&c->m->loop, h->timer_fd, eject_timeout, h)) {
		close(h->timer_fd);
		h->timer_fd = -1;
		return -EIO;
	}
	return 0;
}

int hotplug_device_del(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct control *c = opaque;
	struct machine *m = c->m;
	const char *id = json_string_value(json_object_get(args, "id"));
	struct hot_dev *h = find_id(c, id);
	int rc;

	if (!h) {
		qmp_error(req, "DeviceNotFound", "Device '%s' not found", id);
		return -1;
	}
	if (hotplug_refused(c, req, "device_del"))
		return -1;
	if (h->unplug_pending) {
		qmp_error(req, "GenericError", "device '%s': its removal is already pending (asked %.1f s ago); the guest has not ejected it yet",
			  id, (clock_ns() - (uint64_t)h->asked_ns) / 1e9);
		return -1;
	}
	pthread_mutex_lock(&devices_lock);
	rc = acpi_hotplug_request_unplug(&m->hp, (unsigned)h->slot);
	pthread_mutex_unlock(&devices_lock);
	if (rc) {
		qmp_error(req, "GenericError", "device '%s': cannot ask the guest to eject slot %d: %s",
			  id, h->slot, strerror(-rc));
		return -1;
	}
	rc = arm_timeout(c, h);
	if (rc) {
		pthread_mutex_lock(&devices_lock);
		acpi_hotplug_cancel(&m->hp, (unsigned)h->slot);
		pthread_mutex_unlock(&devices_lock);
		qmp_error(req, "GenericError", "device '%s': no timer for the eject: %s", id, strerror(-rc));
		return -1;
	}
	h->unplug_pending = true;
	h->asked_ns = (long long)clock_ns();
	h->del_req = req;
	pr_info("device_del %s: the guest was asked to eject slot %d", id, h->slot);
	return QMP_DEFERRED;
}

void hotplug_guest_ejected(void *opaque, unsigned slot)
{
	struct control *c = opaque;
	uint64_t one = 1;

	if (slot >= PCI_MAX_SLOTS)
		return;
	atomic_fetch_or(&c->ejected, 1U << slot);
	if (write(c->eject_efd, &one, sizeof(one)) < 0)
		pr_debug("eject eventfd: %s", strerror(errno));
}

/* The device leaves: off the bus under devices_lock, torn down outside
 * it, DEVICE_DELETED, device_del answered. */
static void remove_device(struct control *c, struct hot_dev *h, bool with_machine)
{
	struct machine *m = c->m;
	struct vfio_pci *v = passthrough_at_slot(&m->pt, h->slot);
	uint64_t t0 = clock_ns();
	char path[HOT_ID_LEN + 32];

	if (v && !with_machine) {
		pthread_mutex_lock(&devices_lock);
		pci_bus_unplug(&m->pci, &v->pci);
		pthread_mutex_unlock(&devices_lock);
		passthrough_hot_remove(&m->pt, v);
	}
	pr_info("device_del %s: %s (torn down in %.1f ms)", h->id,
		with_machine ? "removed with the machine" : "the guest ejected it",
		(clock_ns() - t0) / 1e6);
	snprintf(path, sizeof(path), "/machine/peripheral/%s", h->id);
	control_event(c, "DEVICE_DELETED", json_pack("{s:s,s:s}", "device", h->id, "path", path));
	if (h->del_req)
		qmp_reply(h->del_req, NULL);
	h->del_req = NULL;
	drop_record(c, h);
}

static void eject_ready(void *opaque, int fd)
{
	struct control *c = opaque;
	unsigned bits, slot;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	bits = atomic_exchange(&c->ejected, 0);
	for (slot = 1; slot < PCI_MAX_SLOTS; slot++) {
		struct hot_dev *h;

		if (!(bits & (1U << slot)))
			continue;
		h = find_slot(c, (int)slot);
		if (!h || !h->unplug_pending) {
			pr_warn("the guest ejected slot %u, which nobody asked to remove: ignored", slot);
			continue;
		}
		remove_device(c, h, false);
	}
}

void hotplug_boot_devices(struct control *c, struct machine *m)
{
	char err[512];
	int i;

	for (i = 0; i < MAX_PASSTHROUGH; i++) {
		struct hot_dev *h = &c->dev[i];

		if (!h->used)
			continue;
		if (!h->hot || !h->spec[0] || m->n_pt == MAX_PASSTHROUGH ||
		    passthrough_check(h->spec, &m->pt_devs[m->n_pt], err, sizeof(err))) {
			if (h->hot)
				pr_warn("%s (added by device_add) is not plugged again after the reboot%s%s",
					h->id, h->spec[0] ? ": " : ": it was handed over as an fd",
					h->spec[0] ? err : "");
			drop_record(c, h);
			continue;
		}
		/* The slot it had: QEMU's devices keep their address too. */
		m->pt_devs[m->n_pt].ref.slot = h->slot > 0 ? h->slot : 0;
		h->slot = -1 - m->n_pt;         /* resolved in hotplug_boot_started */
		m->n_pt++;
	}
}

int hotplug_boot_started(struct control *c, struct machine *m)
{
	int i, j, n_cfg = c->cfg->n_passthrough;
	char id[HOT_ID_LEN];

	c->eject_efd = -1;
	for (i = 0; i < m->pt.n_dev; i++) {
		struct hot_dev *h = NULL;

		for (j = 0; j < MAX_PASSTHROUGH; j++)
			if (c->dev[j].used && c->dev[j].slot == -1 - i)
				h = &c->dev[j];
		if (!h && i < n_cfg) {
			snprintf(id, sizeof(id), "pt%d", i);
			h = find_id(c, id) ? NULL : new_record(c, id, 0);
		}
		if (h)
			h->slot = m->pt.dev[i]->pci.slot;
	}
	atomic_store(&c->ejected, 0);
	c->eject_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->eject_efd < 0 || event_loop_add(&m->loop, c->eject_efd, eject_ready, c))
		return -1;
	return 0;
}

void hotplug_boot_ends(struct control *c)
{
	int i;

	for (i = 0; i < MAX_PASSTHROUGH; i++) {
		struct hot_dev *h = &c->dev[i];

		if (!h->used)
			continue;
		if (h->unplug_pending)
			remove_device(c, h, true);
		else if (!h->hot)
			drop_record(c, h);      /* --passthrough: named again next boot */
		else
			stop_timer(c, h);
	}
	if (c->eject_efd >= 0) {
		if (c->m)
			event_loop_remove(&c->m->loop, c->eject_efd);
		close(c->eject_efd);
	}
	c->eject_efd = -1;
}
