/* MSI state of one function: the capability's control word (enable,
 * multiple message enable), message address and data, and the per-vector
 * mask and pending bits when the capability has them. */
#ifndef CONDUIT_MSI_H
#define CONDUIT_MSI_H

#include <stdbool.h>
#include <stdint.h>
#include "pci.h"

#define MSI_MAX_VECTORS   32
#define MSI_CTRL_ENABLE   0x0001
#define MSI_CTRL_MMC      0x000e        /* multiple message capable, log2 */
#define MSI_CTRL_MME      0x0070        /* multiple message enable, log2 */
#define MSI_CTRL_64BIT    0x0080
#define MSI_CTRL_PVM      0x0100        /* per-vector masking */

struct msi {
	struct pci_device *dev;
	unsigned cap;                   /* capability offset in config space */
	unsigned len;                   /* capability length: 10, 14, 20 or 24 */
	bool is64, pvm;
	unsigned max;                   /* vectors the function can use */
	/* The capability changed (enable, vector count, address, data or
	 * mask): the owner updates its routes. */
	void (*changed)(struct msi *m);
	void *opaque;
};

/* Take over an existing capability at cap (a passthrough device's): set
 * the write masks, clear enable, the mask and pending bits. Returns the
 * capability's length, or -1 when cap does not hold one that fits. */
int msi_init_at(struct msi *m, struct pci_device *d, unsigned cap);
bool msi_enabled(const struct msi *m);
/* Vectors enabled: 2^MME, never more than the function offers. */
unsigned msi_vectors(const struct msi *m);
uint64_t msi_address(const struct msi *m);
/* The message data of vector v: the low log2(vectors) bits are v. */
uint32_t msi_data(const struct msi *m, unsigned v);
bool msi_masked(const struct msi *m, unsigned v);
/* Pending bits (capabilities with per-vector masking only). */
void msi_set_pending(struct msi *m, unsigned v);
bool msi_take_pending(struct msi *m, unsigned v);
/* Whether [off, off + size) touches the pending bits. */
bool msi_reads_pending(const struct msi *m, unsigned off, unsigned size);
/* Call after a config write that may have touched the capability. */
void msi_config_written(struct msi *m, unsigned off, unsigned size);

#endif
