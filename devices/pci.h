/* The PCI bus: host bridge, config mechanism #1 and ECAM, config space with
 * write masks, capabilities, BAR placement and mapping. */
#ifndef CONDUIT_PCI_H
#define CONDUIT_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "../vmm/io_bus.h"

#define PCI_CFG_SIZE      4096
#define PCI_MAX_SLOTS     32
#define PCI_NUM_BARS      6

#define PCI_VENDOR_ID     0x00
#define PCI_DEVICE_ID     0x02
#define PCI_COMMAND       0x04
#define  PCI_CMD_IO       0x0001
#define  PCI_CMD_MEM      0x0002
#define  PCI_CMD_MASTER   0x0004
#define  PCI_CMD_INTX_OFF 0x0400
#define PCI_STATUS        0x06
#define  PCI_STATUS_INTX  0x0008
#define  PCI_STATUS_CAPS  0x0010
#define PCI_REVISION      0x08
#define PCI_CLASS_PROG    0x09
#define PCI_HEADER_TYPE   0x0e
#define PCI_BAR0          0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID     0x2e
#define PCI_ROM           0x30
#define PCI_CAP_PTR       0x34
#define PCI_INT_LINE      0x3c
#define PCI_INT_PIN       0x3d

#define PCI_BAR_IO        0x1
#define PCI_BAR_MEM64     0x4
#define PCI_BAR_PREFETCH  0x8

struct pci_device;

struct pci_bar {
	uint64_t size;          /* power of two; 0 = BAR not implemented */
	bool io, is64, prefetch;
	bool mapped;
	uint64_t addr;          /* where it is mapped, when mapped */
	io_read_fn read;        /* trapped access handlers (emulated BARs) */
	io_write_fn write;
	void *opaque;
};

struct pci_device {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];    /* bits the guest may change */
	uint8_t w1cmask[PCI_CFG_SIZE];  /* bits the guest clears by writing 1 */
	uint8_t next_cap;               /* where the next capability goes */
	struct pci_bar bar[PCI_NUM_BARS];
	struct pci_bus *bus;
	int slot;
	const char *name;
	void *opaque;
	/* Called when a BAR's mapping changes; NULL: register the BAR's
	 * handlers on the I/O or MMIO bus. */
	int (*map_bar)(struct pci_device *d, int bar, bool map, uint64_t addr);
	/* Guest config accesses go here instead of pci_cfg_read/write when set
	 * (a passthrough device mixes emulated and real bytes). */
	uint32_t (*cfg_read)(struct pci_device *d, unsigned off, unsigned size);
	void (*cfg_write)(struct pci_device *d, unsigned off, unsigned size, uint32_t val);
	/* Called after a guest write to config space was applied. */
	void (*config_written)(struct pci_device *d, unsigned off, unsigned size);
};

struct pci_bus {
	struct pci_device *slot[PCI_MAX_SLOTS];
	struct pci_device host;
	uint32_t cf8;
	struct io_bus *pio, *mmio;
	uint64_t io_next, mem32_next, mem32_end, mem64_next, mem64_end;
	uint64_t mem32_base, mem64_base;
	void (*reset_request)(void *opaque);   /* write of 0x06 to port 0xcf9 */
	void *reset_opaque;
};

int pci_bus_init(struct pci_bus *bus, struct io_bus *pio, struct io_bus *mmio,
		 uint64_t ecam_base, uint64_t mem32_base, uint64_t mem32_size,
		 uint64_t mem64_base, uint64_t mem64_size);

/* Set up an endpoint's identity (type 0 header). */
void pci_device_init(struct pci_device *d, const char *name, uint16_t vendor,
		     uint16_t device, uint32_t class_code, uint8_t revision);
/* Declare a BAR; its address is assigned by pci_bus_add(). */
void pci_device_set_bar(struct pci_device *d, int bar, uint64_t size,
			uint32_t flags, io_read_fn rd, io_write_fn wr, void *opaque);
/* Reserve a capability of len bytes with the given id; returns its offset
 * or 0 when config space is full. */
unsigned pci_add_cap(struct pci_device *d, uint8_t id, unsigned len);
/* Plug into the first free slot and give its BARs addresses after the ones
 * already placed (a BAR that does not fit stays at 0 until
 * pci_bus_assign_all). Returns the slot, or -1 when the bus is full. */
int pci_bus_add(struct pci_bus *bus, struct pci_device *d);
/* Place every BAR on the bus anew as firmware would: per window (I/O,
 * 32-bit, 64-bit), largest first, each naturally aligned. Call once every
 * device is plugged and before the guest runs. Returns 0, or -1 with err
 * naming the device, the BAR, its size and the window it does not fit. */
int pci_bus_assign_all(struct pci_bus *bus, char *err, size_t errlen);

uint32_t pci_cfg_read(struct pci_device *d, unsigned off, unsigned size);
void pci_cfg_write(struct pci_device *d, unsigned off, unsigned size, uint32_t val);

/* Mapping of one BAR on the I/O or MMIO bus (what map_bar == NULL does). */
int pci_bar_map_trapped(struct pci_device *d, int bar, bool map, uint64_t addr);
/* Current guest-programmed address of a BAR. */
uint64_t pci_bar_address(const struct pci_device *d, int bar);

/* Unmap every BAR (on exit). */
void pci_bus_unmap_all(struct pci_bus *bus);

#endif
