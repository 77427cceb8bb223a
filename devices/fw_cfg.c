/* QEMU's fw_cfg as firmware (SeaBIOS) uses it on x86: a table of items
 * keyed by 16-bit selectors, read-only from the guest's side.
 *
 *   0x510  selector, 16-bit writes: select an item, offset 0
 *   0x511  data, byte reads: the next byte of the item, 0 past its end
 *   0x514  DMA address, be32 high half then be32 low half at 0x518; writing
 *          the low half runs the FWCfgDmaAccess at that address
 *
 * Every item, the file directory (0x19) included, is a private copy, so
 * nothing the guest does reaches caller memory. Every guest address goes
 * through the gpa_to_hva callback with its full length before any byte is
 * read or written: a descriptor outside RAM is ignored, a transfer outside
 * RAM (or a write, or anything else refused) sets the error bit and moves
 * nothing. Lengths are the guest's and are never trusted past that check. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "../vmm/snapshot/cursor.h"
#include "fw_cfg.h"

#define DIR_ENTRY_SIZE (4 + 2 + 2 + FW_CFG_NAME_LEN)
#define DMA_DESC_SIZE  16
#define KEY_INDEX(k)   ((k) & 0x3fff)

static const char dma_signature[8] = "QEMU CFG";

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int find(const struct fw_cfg *fc, uint16_t key)
{
	int i;

	for (i = 0; i < fc->n_items; i++)
		if (fc->items[i].key == key)
			return i;
	return -1;
}

/* Append a copy of data as item key; returns its index or -errno. */
static int add(struct fw_cfg *fc, uint16_t key, const void *data, size_t len)
{
	struct fw_cfg_item *it;
	uint8_t *copy = NULL;

	if (len > UINT32_MAX || (len && !data))
		return -EINVAL;
	if (find(fc, key) >= 0)
		return -EEXIST;
	if (fc->n_items == FW_CFG_MAX_ITEMS)
		return -ENOSPC;
	if (len) {
		copy = malloc(len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, len);
	}
	it = &fc->items[fc->n_items];
	memset(it, 0, sizeof(*it));
	it->key = key;
	it->len = (uint32_t)len;
	it->data = copy;
	return fc->n_items++;
}

/* Rebuild the directory item from the files: be32 count, then per file
 * be32 size, be16 key, be16 reserved and the NUL-padded name. */
static int build_dir(struct fw_cfg *fc)
{
	struct fw_cfg_item *dir = &fc->items[find(fc, FW_CFG_FILE_DIR)];
	size_t len = 4 + (size_t)fc->n_files * DIR_ENTRY_SIZE;
	uint8_t *buf = calloc(1, len), *e;
	int i;

	if (!buf)
		return -ENOMEM;
	put_be32(buf, (uint32_t)fc->n_files);
	e = buf + 4;
	for (i = 0; i < fc->n_items; i++) {
		const struct fw_cfg_item *it = &fc->items[i];

		if (!it->name[0])
			continue;
		put_be32(e, it->len);
		e[4] = (uint8_t)(it->key >> 8);
		e[5] = (uint8_t)it->key;
		memcpy(e + 8, it->name, FW_CFG_NAME_LEN);
		e += DIR_ENTRY_SIZE;
	}
	free(dir->data);
	dir->data = buf;
	dir->len = (uint32_t)len;
	return 0;
}

int fw_cfg_init(struct fw_cfg *fc, fw_cfg_gpa_fn gpa_to_hva, void *gpa_opaque)
{
	uint8_t id[4] = { FW_CFG_ID_TRAD | (gpa_to_hva ? FW_CFG_ID_DMA : 0), 0, 0, 0 };

	memset(fc, 0, sizeof(*fc));
	fc->cur = -1;
	fc->gpa_to_hva = gpa_to_hva;
	fc->gpa_opaque = gpa_opaque;
	if (add(fc, FW_CFG_SIGNATURE, "QEMU", 4) < 0 ||
	    add(fc, FW_CFG_ID, id, sizeof(id)) < 0 ||
	    add(fc, FW_CFG_FILE_DIR, NULL, 0) < 0 || build_dir(fc))
		goto err;
	return 0;
err:
	fw_cfg_destroy(fc);
	return -ENOMEM;
}

void fw_cfg_destroy(struct fw_cfg *fc)
{
	int i;

	for (i = 0; i < fc->n_items; i++)
		free(fc->items[i].data);
	fc->n_items = fc->n_files = 0;
	fc->cur = -1;
}

int fw_cfg_add_item(struct fw_cfg *fc, uint16_t key, const void *data, size_t len)
{
	int r;

	if ((key & FW_CFG_WRITE) || KEY_INDEX(key) >= FW_CFG_FILE_FIRST)
		return -EINVAL;
	r = add(fc, key, data, len);
	return r < 0 ? r : 0;
}

int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, size_t len)
{
	size_t nlen = name ? strnlen(name, FW_CFG_NAME_LEN) : 0;
	int i, r;

	if (!nlen || nlen == FW_CFG_NAME_LEN)
		return -EINVAL;
	for (i = 0; i < fc->n_items; i++)
		if (!strcmp(fc->items[i].name, name))
			return -EEXIST;
	if (fc->n_files == FW_CFG_MAX_FILES)
		return -ENOSPC;
	r = add(fc, (uint16_t)(FW_CFG_FILE_FIRST + fc->n_files), data, len);
	if (r < 0)
		return r;
	memcpy(fc->items[r].name, name, nlen);
	fc->n_files++;
	if (build_dir(fc)) {
		/* Leave the table as it was. */
		fc->n_files--;
		free(fc->items[r].data);
		fc->n_items--;
		return -ENOMEM;
	}
	return 0;
}

static void select_key(struct fw_cfg *fc, uint16_t key)
{
	fc->cur = find(fc, key & ~FW_CFG_WRITE);
	fc->offset = 0;
}

/* Bytes left in the selected item (0 for an unknown key). */
static uint32_t remaining(const struct fw_cfg *fc)
{
	return fc->cur < 0 ? 0 : fc->items[fc->cur].len - fc->offset;
}

uint64_t fw_cfg_read(void *opaque, uint64_t off, unsigned size)
{
	struct fw_cfg *fc = opaque;
	uint8_t b;

	if (off != 1 || size != 1)          /* the selector is write-only */
		return ~0ULL;
	if (!remaining(fc))
		return 0;
	b = fc->items[fc->cur].data[fc->offset++];
	return b;
}

void fw_cfg_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	/* Only selection: data-port writes are dropped (read-only interface). */
	if (off == 0 && size == 2)
		select_key(opaque, (uint16_t)v);
}

static void skip(struct fw_cfg *fc, uint32_t len)
{
	uint32_t n = remaining(fc);

	fc->offset += len < n ? len : n;
}

static uint32_t dma_read_item(struct fw_cfg *fc, uint32_t len, uint64_t gpa)
{
	uint32_t n = remaining(fc);
	uint8_t *dst;

	if (!len)
		return 0;
	dst = fc->gpa_to_hva(fc->gpa_opaque, gpa, len);
	if (!dst)
		return FW_CFG_DMA_ERROR;
	if (n > len)
		n = len;
	if (n)
		memcpy(dst, fc->items[fc->cur].data + fc->offset, n);
	memset(dst + n, 0, len - n);        /* past the end reads as zeros */
	fc->offset += n;
	return 0;
}

/* One FWCfgDmaAccess: select, then read, write or skip (in that order of
 * precedence when several are set). Returns the control word to store. */
static uint32_t dma_transfer(struct fw_cfg *fc, uint32_t control, uint32_t len,
			     uint64_t gpa)
{
	if (control & FW_CFG_DMA_SELECT)
		select_key(fc, (uint16_t)(control >> 16));
	if (control & FW_CFG_DMA_READ)
		return dma_read_item(fc, len, gpa);
	if (control & FW_CFG_DMA_WRITE)
		return FW_CFG_DMA_ERROR;
	if (control & FW_CFG_DMA_SKIP)
		skip(fc, len);
	return 0;
}

static void dma_run(struct fw_cfg *fc, uint64_t desc_gpa)
{
	uint8_t *desc = fc->gpa_to_hva(fc->gpa_opaque, desc_gpa, DMA_DESC_SIZE);
	uint8_t d[DMA_DESC_SIZE];
	uint64_t gpa;

	if (!desc)
		return;                         /* nowhere to report the error */
	memcpy(d, desc, sizeof(d));         /* read the guest's fields once */
	gpa = (uint64_t)get_be32(d + 8) << 32 | get_be32(d + 12);
	put_be32(desc, dma_transfer(fc, get_be32(d), get_be32(d + 4), gpa));
}

uint64_t fw_cfg_dma_read(void *opaque, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	unsigned i;

	(void)opaque;
	if ((size != 1 && size != 2 && size != 4) || off > sizeof(dma_signature) - size)
		return ~0ULL;
	for (i = 0; i < size; i++)
		v |= (uint64_t)(uint8_t)dma_signature[off + i] << (8 * i);
	return v;
}

void fw_cfg_dma_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct fw_cfg *fc = opaque;
	uint32_t half = __builtin_bswap32((uint32_t)v);

	if (size != 4 || !fc->gpa_to_hva)
		return;
	if (off == 0) {
		fc->dma_hi = half;
	} else if (off == 4) {
		dma_run(fc, (uint64_t)fc->dma_hi << 32 | half);
		fc->dma_hi = 0;
	}
}

int fw_cfg_attach(struct fw_cfg *fc, struct io_bus *pio)
{
	if (io_bus_add(pio, FW_CFG_PORT_SEL, 2, fw_cfg_read, fw_cfg_write, fc, "fw_cfg") ||
	    io_bus_add(pio, FW_CFG_PORT_DMA, 8, fw_cfg_dma_read, fw_cfg_dma_write, fc,
		       "fw_cfg DMA"))
		return -1;
	return 0;
}

/* --- snapshot state ------------------------------------------------------
 *
 *   u8  version (FW_CFG_STATE_VERSION)
 *   u8  1: an item is selected, 0: none (an unknown key, or never selected)
 *   u16 the selected item's key (0 when none)
 *   u32 the offset in it (0 when none)
 *   u32 the DMA address's high half, written and not yet run */

int fw_cfg_save(const struct fw_cfg *fc, struct snap_out *out)
{
	bool sel = fc->cur >= 0;

	snap_put_u8(out, FW_CFG_STATE_VERSION);
	snap_put_u8(out, sel ? 1 : 0);
	snap_put_u16(out, sel ? fc->items[fc->cur].key : 0);
	snap_put_u32(out, sel ? fc->offset : 0);
	snap_put_u32(out, fc->dma_hi);
	return snap_out_error(out);
}

/* The item the saved selection names here, or -1 with the reason in in. */
static int load_selection(const struct fw_cfg *fc, uint8_t sel, uint16_t key,
			  uint32_t offset, struct snap_in *in)
{
	int cur;

	if (sel > 1) {
		snap_in_fail(in, "a selection flag other than 0 or 1");
		return -1;
	}
	if (!sel) {
		if (key || offset)
			snap_in_fail(in, "a key or offset with no item selected");
		return -1;
	}
	cur = find(fc, key);
	if (cur < 0)
		snap_in_fail(in, "a selected item this machine's fw_cfg does not have "
			     "(was it booted with the same --bios, --kernel and options?)");
	else if (offset > fc->items[cur].len)
		snap_in_fail(in, "an offset past the end of the selected item");
	return cur;
}

int fw_cfg_load(struct fw_cfg *fc, struct snap_in *in)
{
	uint8_t version = snap_get_u8(in), sel;
	uint16_t key;
	uint32_t offset, dma_hi;
	int cur;

	if (version != FW_CFG_STATE_VERSION)
		snap_in_fail(in, "a version this conduit does not read (it reads 1)");
	sel = snap_get_u8(in);
	key = snap_get_u16(in);
	offset = snap_get_u32(in);
	dma_hi = snap_get_u32(in);
	if (snap_in_failed(in))
		return -1;
	cur = load_selection(fc, sel, key, offset, in);
	if (snap_in_failed(in))
		return -1;
	fc->cur = cur;
	fc->offset = cur < 0 ? 0 : offset;
	fc->dma_hi = dma_hi;
	return 0;
}
