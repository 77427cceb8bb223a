/* The machine's parts, shared by vmm/machine.c (build, run, tear down)
 * and the control plane that acts on a running machine (vmm/control.c,
 * vmm/hotplug.c). */
#ifndef CONDUIT_MACHINE_INTERNAL_H
#define CONDUIT_MACHINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "../boot/x86/firmware.h"
#include "../devices/acpi_hotplug.h"
#include "../devices/acpi_pm.h"
#include "../devices/cmos.h"
#include "../devices/debugcon.h"
#include "../devices/fw_cfg.h"
#include "../devices/pci.h"
#include "../devices/serial.h"
#include "../devices/virtio_console.h"
#include "../vfio/passthrough.h"
#include "event_loop.h"
#include "migrate_socket.h"
#include "output.h"
#include "terminal.h"
#include "vcpu.h"
#include "vm.h"

struct arch_boot;
struct control;
struct exec_session;

struct file_map {
	uint8_t *data;
	size_t len;
	bool borrowed;          /* someone else's memory: not unmapped */
};

struct machine {
	struct vm vm;
	struct event_loop loop;
	struct pci_bus pci;
	struct serial serial;
	struct acpi_pm pm;              /* x86's ACPI power button and SCI */
	bool acpi;                      /* pm and hp are live (x86, not arm64) */
	struct virtio_console *vcon;
	enum console_kind console;
	struct escape_state esc;
	int sig_fd;
	struct file_map kernel, initrd;
	const char *kernel_path;
	struct arch_boot *boot;         /* the architecture's (vmm/arch.h) */
	bool dumped;                    /* --dump-dtb's file is written */
	/* x86's --bios: the firmware and what only it needs */
	bool bios;
	struct firmware fw;
	struct fw_cfg *fwcfg;
	struct cmos cmos;
	struct debugcon dbg;
	int bios_log_fd;
	struct passthrough_dev pt_devs[MAX_PASSTHROUGH];
	int n_pt;
	struct passthrough pt;
	bool stats;
	struct output out;
	struct vcpu vcpus[MAX_CPUS];
	int n_vcpus;
	struct control *ctl;            /* the control plane (outlives the boot) */
	struct acpi_hotplug hp;         /* ACPI PCI hotplug of bus 0's slots */
	struct exec_session *exec;      /* `conduit exec`'s parts, or NULL */
	const char *restore;            /* --restore's snapshot or --incoming's URI
					 * (first boot only) */
	bool incoming;                  /* restore is a migration URI */
	int incoming_idle_ms;           /* --incoming-timeout, in ms */
	struct migrate_listener listener;       /* --incoming: before the accept */
	bool pt_stopped;                /* a save left the passed-through devices in STOP */
	int restore_fd;
};

#endif
