/* MSI-X state of one function: capability, vector table and PBA. */
#ifndef CONDUIT_MSIX_H
#define CONDUIT_MSIX_H

#include <stdbool.h>
#include <stdint.h>
#include "pci.h"

#define MSIX_MAX_VECTORS 2048
#define MSIX_ENTRY_SIZE  16
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_FMASK  0x4000
#define MSIX_VEC_MASKED  0x1

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct msix {
	struct pci_device *dev;
	unsigned cap;                   /* capability offset in config space */
	unsigned n;                     /* vectors */
	struct msix_entry table[MSIX_MAX_VECTORS];
	uint64_t pba[MSIX_MAX_VECTORS / 64];    /* pending bits */
	/* A vector's address/data or mask changed, or the function was enabled,
	 * disabled, masked or unmasked: the owner updates its route. */
	void (*vector_changed)(struct msix *m, unsigned vector);
	void *opaque;
};

/* Add the capability: table and PBA in BAR bir at the given offsets. */
int msix_init(struct msix *m, struct pci_device *d, unsigned n, int bir,
	      uint32_t table_off, uint32_t pba_off);
/* Take over an existing capability at cap (a passthrough device's). */
int msix_init_at(struct msix *m, struct pci_device *d, unsigned cap, unsigned n);
bool msix_enabled(const struct msix *m);
/* Masked by the vector's own bit or the function mask. */
bool msix_masked(const struct msix *m, unsigned vector);
/* Call after a config write that may have touched the capability. */
void msix_config_written(struct msix *m, unsigned off, unsigned size);

uint64_t msix_table_read(struct msix *m, uint64_t off, unsigned size);
void msix_table_write(struct msix *m, uint64_t off, unsigned size, uint64_t v);
uint64_t msix_pba_read(struct msix *m, uint64_t off, unsigned size);

/* Deliver or, if masked, record as pending. Returns true when the caller
 * should signal the vector now. */
bool msix_fire(struct msix *m, unsigned vector);
/* Mark a vector pending (its interrupt arrived while masked). */
void msix_set_pending(struct msix *m, unsigned vector);
/* After an unmask: true when the vector was pending (and is no longer). */
bool msix_take_pending(struct msix *m, unsigned vector);
uint64_t msix_address(const struct msix *m, unsigned vector);

/* Snapshot state (issue 15), the capability's bits being in config space
 * (saved by the bus): u16 vectors, then each entry's address low, address
 * high, data and control (u32 each), then the PBA's u64 words. Save returns
 * 0 or the cursor's error. Load goes into a function with the same number
 * of vectors, refuses reserved control bits, pending bits past the last
 * vector and a pending bit on an enabled, unmasked vector (the running
 * code delivers those at once) (snap_in_fail), and then tells the owner
 * every vector changed, so routes are made again for the enabled, unmasked
 * ones. Returns 0 or -1. */
struct snap_out;
struct snap_in;
int msix_save(const struct msix *m, struct snap_out *out);
int msix_load(struct msix *m, struct snap_in *in);

#endif
