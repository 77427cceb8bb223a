/* QEMU's fw_cfg interface on x86 ports (selector 0x510, data 0x511, DMA
 * 0x514): the read-only channel that hands firmware its configuration. */
#ifndef CONDUIT_FW_CFG_H
#define CONDUIT_FW_CFG_H

#include <stddef.h>
#include <stdint.h>
#include "../vmm/io_bus.h"

struct snap_out;
struct snap_in;

#define FW_CFG_PORT_SEL   0x510 /* 16-bit selector; data is at + 1 */
#define FW_CFG_PORT_DMA   0x514 /* be32 high half, be32 low half at + 4 */

#define FW_CFG_SIGNATURE  0x0000
#define FW_CFG_ID         0x0001
#define FW_CFG_RAM_SIZE   0x0003
#define FW_CFG_NB_CPUS    0x0005
#define FW_CFG_MAX_CPUS   0x000f
#define FW_CFG_FILE_DIR   0x0019
#define FW_CFG_FILE_FIRST 0x0020
#define FW_CFG_WRITE      0x4000        /* selector bit: ignored, nothing is writable */
#define FW_CFG_ARCH_LOCAL 0x8000
#define FW_CFG_E820_TABLE 0x8003

#define FW_CFG_ID_TRAD    0x01
#define FW_CFG_ID_DMA     0x02

/* FWCfgDmaAccess.control bits */
#define FW_CFG_DMA_ERROR  0x01
#define FW_CFG_DMA_READ   0x02
#define FW_CFG_DMA_SKIP   0x04
#define FW_CFG_DMA_SELECT 0x08
#define FW_CFG_DMA_WRITE  0x10

#define FW_CFG_NAME_LEN   56            /* with the terminating NUL */
#define FW_CFG_MAX_FILES  32
#define FW_CFG_MAX_ITEMS  (3 + 16 + FW_CFG_MAX_FILES)

struct fw_cfg_item {
	uint16_t key;
	uint32_t len;
	uint8_t *data;                  /* owned copy (the directory too) */
	char name[FW_CFG_NAME_LEN];     /* files only */
};

/* Host pointer for [gpa, gpa + len) wholly inside guest RAM, else NULL. */
typedef void *(*fw_cfg_gpa_fn)(void *opaque, uint64_t gpa, uint64_t len);

struct fw_cfg {
	struct fw_cfg_item items[FW_CFG_MAX_ITEMS];
	int n_items;
	int n_files;
	int cur;                        /* selected item, -1 for an unknown key */
	uint32_t offset;                /* within the selected item, at most its length */
	uint32_t dma_hi;                /* high half of the DMA address, until the low one */
	fw_cfg_gpa_fn gpa_to_hva;
	void *gpa_opaque;
};

/* Start with the signature, ID and (empty) file directory items. DMA goes
 * through gpa_to_hva. Returns -ENOMEM. */
int fw_cfg_init(struct fw_cfg *fc, fw_cfg_gpa_fn gpa_to_hva, void *gpa_opaque);
void fw_cfg_destroy(struct fw_cfg *fc);
/* Claim the selector/data ports and the DMA ports on pio. */
int fw_cfg_attach(struct fw_cfg *fc, struct io_bus *pio);

/* Add a copy of data as item key (below 0x20, or arch-local 0x8000-0x801f;
 * not one of the built-in items): -EINVAL, -EEXIST, -ENOSPC, -ENOMEM. */
int fw_cfg_add_item(struct fw_cfg *fc, uint16_t key, const void *data, size_t len);
/* Add a copy of data as a named file (1 to 55 characters) with the next
 * free key from 0x20, listed in the directory: same errors. */
int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, size_t len);

uint64_t fw_cfg_read(void *opaque, uint64_t off, unsigned size);
void fw_cfg_write(void *opaque, uint64_t off, unsigned size, uint64_t v);
uint64_t fw_cfg_dma_read(void *opaque, uint64_t off, unsigned size);
void fw_cfg_dma_write(void *opaque, uint64_t off, unsigned size, uint64_t v);

/* Snapshot state (issue 15): what the guest changes at run time, the
 * selection (by key), the offset in it and the DMA address's high half.
 * The items are not saved: the destination builds them from the same
 * arguments. Load checks every field against this table (untrusted bytes)
 * and changes nothing when it refuses; the cursor holds the reason. */
#define FW_CFG_STATE_VERSION 1
int fw_cfg_save(const struct fw_cfg *fc, struct snap_out *out);
int fw_cfg_load(struct fw_cfg *fc, struct snap_in *in);

#endif
