/* Room on a running bus for a hot-added device's BARs. */
#ifndef CONDUIT_PCI_ROOM_H
#define CONDUIT_PCI_ROOM_H

#include <stddef.h>

struct pci_bus;
struct pci_device;

/* Give each BAR of d (not yet plugged) an address in free room of its
 * window around what the guest has programmed. Returns 0, or -1 with err
 * ("no room for its BARs: ...") naming the BAR that fits nowhere. */
int pci_bus_find_room(const struct pci_bus *bus, struct pci_device *d, char *err, size_t errlen);

#endif
