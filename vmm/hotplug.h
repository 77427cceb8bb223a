/* The machine's side of PCI hotplug: device_add and device_del on the
 * control socket, the guest's ACPI eject, the devices carried over a
 * reboot. */
#ifndef CONDUIT_HOTPLUG_H
#define CONDUIT_HOTPLUG_H

#include <jansson.h>

struct control;
struct machine;
struct qmp_request;

#define EJECT_TIMEOUT_S 15

/* QMP device_add / device_del (vmm/qmp/server.h's qmp_cmd_fn). */
int hotplug_device_add(void *opaque, struct qmp_request *req, json_t *args, json_t **ret);
int hotplug_device_del(void *opaque, struct qmp_request *req, json_t *args, json_t **ret);

/* Before a boot's passthrough starts: the devices added in an earlier boot
 * join m's device list (a device that cannot be opened any more is
 * dropped with a warning). */
void hotplug_boot_devices(struct control *c, struct machine *m);
/* Once passthrough started: every device gets its slot and an id (the
 * --passthrough ones "ptN"); the eject eventfd is watched. */
int hotplug_boot_started(struct control *c, struct machine *m);
/* The boot ends: removals still waiting for the guest are done with the
 * machine (DEVICE_DELETED, their replies sent). */
void hotplug_boot_ends(struct control *c);
/* Called by the ACPI hotplug controller (a vCPU thread, devices_lock
 * held) when the guest has ejected a slot: handed to the main thread. */
void hotplug_guest_ejected(void *opaque, unsigned slot);

#endif
