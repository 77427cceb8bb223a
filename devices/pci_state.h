/* Snapshot state of the PCI bus and of each device on it, at the bus's
 * level: config space as the guest left it and where the BARs decode, then
 * the kind's own state (pci_device_ops save/load). Groundwork for issue 15;
 * the machine's orchestration calls it. */
#ifndef CONDUIT_PCI_STATE_H
#define CONDUIT_PCI_STATE_H

#include "pci.h"
#include "../vmm/snapshot/cursor.h"

/* A device's state:
 *   str  kind            ops->kind, or "emulated" for a device without ops
 *   u16  config length   PCI_CFG_SIZE
 *   config space         that many bytes
 *   per BAR 0-5 and the ROM: u64 size, u8 decoding (0/1), u64 address
 *                        (where it decodes; 0 when it does not)
 *   the kind's own state (ops->save), if it has any
 * Returns 0 or the cursor's error (-ENOMEM). */
int pci_device_save(struct pci_device *d, struct snap_out *out);

/* Into a device built the same way (same kind, same BAR sizes), plugged
 * and not yet run. Every config byte must equal the device's outside the
 * bits the guest may write (wmask, w1cmask) and the ones the device drives
 * itself (dmask); then the BARs decode where the snapshot had them, through
 * the bus's own path (bar_map runs, trapped BARs go on the I/O or MMIO
 * bus), and the kind's load runs. Returns 0, or -1 with the cursor failed
 * and one line naming the device and what is wrong (snap_in_finish tells
 * it); the device is then half loaded and must be thrown away. */
int pci_device_load(struct pci_device *d, struct snap_in *in);

/* The bus's own state, apart from its devices: u32, the mechanism #1
 * address latch (port 0xcf8). */
int pci_bus_save(const struct pci_bus *bus, struct snap_out *out);
int pci_bus_load(struct pci_bus *bus, struct snap_in *in);

#endif
