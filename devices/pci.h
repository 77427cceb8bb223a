/* The PCI bus: host bridge, config mechanism #1 and ECAM, config space with
 * write masks, capabilities, BAR placement and decoding, INTx routing, and
 * the ops table through which it drives each kind of device. */
#ifndef CONDUIT_PCI_H
#define CONDUIT_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/pci_regs.h>
#include "../vmm/arch.h"
#include "../vmm/io_bus.h"

#define PCI_CFG_SIZE      4096
#define PCI_MAX_SLOTS     32
#define PCI_NUM_BARS      PCI_STD_NUM_BARS

/* Port 0xcf9 beside mechanism #1: writing 0x06 resets the machine (the
 * FADT's reset register points here). */
#define PCI_RESET_PORT    0xcf9
#define PCI_RESET_VALUE   0x06

#define PCI_ROM_BAR       PCI_NUM_BARS  /* bar[] index of the expansion ROM */
#define PCI_LOAD_WHY_LEN  160

/* The INTx GSI of slot/pin (pin 0 = INTA): the architecture routes INTx
 * (vmm/arch.h), and its firmware tables (x86's _PRT, arm64's
 * interrupt-map) describe what it says. */
static inline unsigned pci_intx_gsi(unsigned slot, unsigned pin)
{
	return arch_intx_gsi(slot, pin);
}

struct pci_device;

struct pci_bar {
	uint64_t size;          /* power of two; 0 = BAR not implemented */
	bool io, is64, prefetch;
	bool mapped;
	uint64_t addr;          /* where it decodes, while mapped */
	io_read_fn read;        /* trapped accesses (the whole BAR; a device */
	io_write_fn write;      /* may back parts of it with memory slots) */
	void *opaque;
};

/* What a kind of PCI device does; one const table per kind. The bus calls
 * down into it and never the other way round: the guest's config accesses
 * arrive here, and after a config write the bus itself decides which BARs
 * (and the ROM) decode where, puts their trapped handlers on the I/O or
 * MMIO bus, and tells the device through bar_map / bar_unmap. */
struct snap_out;
struct snap_in;

struct pci_device_ops {
	const char *kind;
	/* The guest's config accesses; NULL: the emulated view alone
	 * (pci_cfg_read / pci_cfg_write). A device with capabilities that
	 * act (MSI, MSI-X) applies their effects here. */
	uint32_t (*cfg_read)(struct pci_device *d, unsigned off, unsigned size);
	void (*cfg_write)(struct pci_device *d, unsigned off, unsigned size, uint32_t val);
	/* A BAR (or PCI_ROM_BAR) began to decode at addr, its trapped
	 * handlers already on the bus; or stops decoding at addr, before they
	 * come off. NULL: trapping is all there is. */
	void (*bar_map)(struct pci_device *d, int bar, uint64_t addr);
	void (*bar_unmap)(struct pci_device *d, int bar, uint64_t addr);
	/* Unplugged, its BARs already off: release everything it holds. The
	 * device must not be touched afterwards. NULL: nothing to release. */
	void (*teardown)(struct pci_device *d);
	/* Snapshot and migration (issue 15): the kind's own state, after the
	 * config space and BARs the bus saves itself; load puts it into a
	 * device built the same way, before the guest runs, checking every
	 * value (the bytes are untrusted) and failing the cursor with a
	 * one-line reason (snap_in_fail). NULL: config space is all there is. */
	int (*save)(struct pci_device *d, struct snap_out *out);
	int (*load)(struct pci_device *d, struct snap_in *in);
};

struct pci_device {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];    /* bits the guest may change */
	uint8_t w1cmask[PCI_CFG_SIZE];  /* bits the guest clears by writing 1 */
	/* Bits the device model changes on its own (the INTx status bit): a
	 * snapshot's load takes them as saved (devices/pci_state.c). */
	uint8_t dmask[PCI_CFG_SIZE];
	uint8_t next_cap;               /* where the next capability goes */
	struct pci_bar bar[PCI_NUM_BARS + 1];   /* + the expansion ROM */
	const struct pci_device_ops *ops;
	struct pci_bus *bus;
	int slot;
	const char *name;
	void *opaque;
	/* Why a snapshot's load refused this device: the cursor keeps a
	 * pointer to it until the loader reports it. */
	char load_why[PCI_LOAD_WHY_LEN];
};

/* A bus-0 device's PCI requester id (bus << 8 | slot << 3 | function 0):
 * the device id its MSIs carry (arm64's ITS tells devices apart by it). */
static inline uint32_t pci_requester_id(const struct pci_device *d)
{
	return (uint32_t)d->slot << 3;
}

#define PCI_MAX_RESERVED 16

struct pci_bus {
	struct pci_device *slot[PCI_MAX_SLOTS];
	struct pci_device host;
	uint32_t cf8;
	struct io_bus *pio, *mmio;
	uint64_t io_next, mem32_next, mem32_end, mem64_next, mem64_end;
	uint64_t mem32_base, mem64_base;
	/* Guest-physical ranges no memory BAR may decode at (RAM, firmware,
	 * ECAM, IOAPIC, LAPIC): a BAR the guest puts there stays unmapped. */
	struct { uint64_t start, end; } reserved[PCI_MAX_RESERVED];  /* [start, end) */
	int n_reserved;
	void (*reset_request)(void *opaque);   /* write of 0x06 to port 0xcf9 */
	void *reset_opaque;
};

/* The bus, its host bridge, mechanism #1 and ECAM (which is reserved). */
int pci_bus_init(struct pci_bus *bus, struct io_bus *pio, struct io_bus *mmio,
		 uint64_t ecam_base, uint64_t mem32_base, uint64_t mem32_size,
		 uint64_t mem64_base, uint64_t mem64_size);
/* The same without mechanism #1 (arm64: config space by ECAM only), its
 * ECAM buses buses long (1 MiB each). */
int pci_bus_init_ecam(struct pci_bus *bus, struct io_bus *pio, struct io_bus *mmio,
		      uint64_t ecam_base, unsigned buses, uint64_t mem32_base,
		      uint64_t mem32_size, uint64_t mem64_base, uint64_t mem64_size);
/* Reserve [base, base + len) against memory BARs. Returns 0, or -1 when
 * the table is full. */
int pci_bus_reserve(struct pci_bus *bus, uint64_t base, uint64_t len);

/* Set up an endpoint's identity (type 0 header) and its kind's ops (NULL:
 * a purely emulated device). */
void pci_device_init(struct pci_device *d, const char *name, uint16_t vendor,
		     uint16_t device, uint32_t class_code, uint8_t revision);
/* Declare a BAR; its address is assigned by pci_bus_add(). */
void pci_device_set_bar(struct pci_device *d, int bar, uint64_t size,
			uint32_t flags, io_read_fn rd, io_write_fn wr, void *opaque);
/* Declare an expansion ROM of size bytes (a power of two, 2 KiB or more):
 * the guest places it, and it decodes when enabled with memory decode on. */
void pci_device_set_rom(struct pci_device *d, uint64_t size, io_read_fn rd,
			io_write_fn wr, void *opaque);
/* Reserve a capability of len bytes with the given id; returns its offset
 * or 0 when config space is full. */
unsigned pci_add_cap(struct pci_device *d, uint8_t id, unsigned len);
/* Plug into the first free slot and give its BARs addresses after the ones
 * already placed (a BAR that does not fit stays at 0 until
 * pci_bus_assign_all). Returns the slot, or -1 when the bus is full. */
int pci_bus_add(struct pci_bus *bus, struct pci_device *d);
/* The same, into slot if it is free (1 to PCI_MAX_SLOTS - 1), else into
 * the first free one. */
int pci_bus_add_at(struct pci_bus *bus, struct pci_device *d, int slot);
/* Plug into a bus whose guest already runs (hotplug): into slot, which
 * must be free, the BARs as the caller placed them (pci_bus_find_room),
 * decoding off until the guest turns it on. Returns slot, or -1. */
int pci_bus_plug_at(struct pci_bus *bus, struct pci_device *d, int slot);
/* Set a BAR's address in config space (as firmware would). */
void pci_bar_write(struct pci_device *d, int bar, uint64_t addr);
/* Unplug: every BAR stops decoding, the slot is freed, then the device's
 * teardown runs (after which d is gone). */
void pci_bus_remove(struct pci_bus *bus, struct pci_device *d);
/* The first half of pci_bus_remove, without the teardown: for a caller
 * that unplugs under devices_lock and tears down outside it. */
void pci_bus_unplug(struct pci_bus *bus, struct pci_device *d);
/* Remove every device still plugged (on exit). */
void pci_bus_destroy(struct pci_bus *bus);
/* Place every BAR on the bus anew as firmware would: per window (I/O,
 * 32-bit, 64-bit), largest first, each naturally aligned. Call once every
 * device is plugged and before the guest runs. Returns 0, or -1 with err
 * naming the device, the BAR, its size and the window it does not fit. */
int pci_bus_assign_all(struct pci_bus *bus, char *err, size_t errlen);

/* The guest's config access to a plugged device, as mechanism #1 and ECAM
 * make it: through the device's ops, then (writes) BAR decoding. */
uint32_t pci_guest_cfg_read(struct pci_device *d, unsigned off, unsigned size);
void pci_guest_cfg_write(struct pci_device *d, unsigned off, unsigned size, uint32_t val);

/* The emulated view: reads, and writes through the write and
 * write-1-to-clear masks. No side effects: BAR decoding is the bus's. */
uint32_t pci_cfg_read(struct pci_device *d, unsigned off, unsigned size);
void pci_cfg_write(struct pci_device *d, unsigned off, unsigned size, uint32_t val);

/* The bus's own decision after a config write, made again: which BARs
 * (and the ROM) decode where, their trapped handlers on the bus and the
 * device told through bar_map / bar_unmap. For a device whose config space
 * was loaded from a snapshot; nothing for a device on no bus. */
void pci_update_decoding(struct pci_device *d);

/* Current guest-programmed address of a BAR (or PCI_ROM_BAR). */
uint64_t pci_bar_address(const struct pci_device *d, int bar);

#endif
