/* A passed-through device's own state for snapshot and migration (issue
 * 15): what conduit virtualizes for it, as the vfio-pci kind's
 * struct pci_device_ops save and load. That is the guest's view of the
 * command register, the BARs and expansion ROM BAR as the guest
 * programmed them (and whether each decoded), the interrupt pin and line,
 * the MSI capability (control, address, data, mask and pending bits), the
 * MSI-X capability's enable and function-mask bits with the vector table
 * and pending bits conduit emulates, and which interrupt mode was live
 * with how many vectors. The device's internal state travels apart,
 * through VFIO migration v2 (vfio/pci_migrate.c).
 *
 * Load takes a device freshly attached by the normal start path (BARs
 * assigned, INTx as attach left it, MSI and MSI-X off) and checks every
 * value against it before anything changes; a refusal is one line naming
 * the device, through snap_in_fail(). It then replays what the guest did,
 * through the same code a guest's accesses reach (vfio/pci_config.c,
 * vfio/interrupts.c, the bus's BAR decoding): the KVM MSI routes and
 * irqfds, VFIO_DEVICE_SET_IRQS, the BARs' memory slots and the command
 * register written through to the device are what the running code makes
 * of it. Last it checks that the device got where the snapshot was (a BAR
 * that decoded decodes, the live interrupt mode is on).
 *
 * The state, little-endian (vmm/snapshot/cursor.h):
 *   u8  version                 VFIO_STATE_VERSION
 *   u16 vendor, u16 device      of the view: the same device kind
 *   u16 command                 the bits the guest may set
 *   7 x { u8 flags, u64 size, u64 address }   BAR0-5 and the ROM; flags
 *                               BAR_IO, BAR_64, BAR_PREFETCH, BAR_MAPPED;
 *                               the ROM's address is its whole register
 *   u8  pin, u8 line, u8 intx_on
 *   u8  mode, u16 vectors       MODE_*: the live interrupt mode
 *   u8  MSI capability offset (0: none), u16 control, u32 address low,
 *   u32 address high, u16 data, u32 mask, u32 pending
 *   u16 MSI-X vectors (0: none), u8 flags (enable, function mask: the
 *   control word's high byte), then per vector u32 address low, u32
 *   address high, u32 data, u32 control, then the pending bits as
 *   (vectors + 63) / 64 u64 words */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "../vmm/snapshot/cursor.h"
#include "vfio_pci.h"

#define VFIO_STATE_VERSION 1

#define BAR_IO          0x1
#define BAR_64          0x2
#define BAR_PREFETCH    0x4
#define BAR_MAPPED      0x8
#define BAR_FLAGS       (BAR_IO | BAR_64 | BAR_PREFETCH | BAR_MAPPED)
#define N_BARS          (PCI_NUM_BARS + 1)      /* and the ROM */

#define CMD_GUEST       (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
			 PCI_COMMAND_INTX_DISABLE)
#define MSIX_FLAGS      ((MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK) >> 8)
#define MSI_GUEST_CTRL  (MSI_CTRL_ENABLE | MSI_CTRL_MME)

enum vfio_irq_mode {
	MODE_NONE,              /* neither MSI nor MSI-X: INTx, where there is one */
	MODE_MSI,
	MODE_MSIX,
	MODE_COUNT,
};

struct bar_state {
	uint8_t flags;
	uint64_t size, addr;
};

struct msi_state {
	uint8_t cap;
	uint16_t ctrl, data;
	uint32_t addr_lo, addr_hi, mask, pending;
};

struct vfio_state {
	uint16_t vendor, device, command;
	struct bar_state bar[N_BARS];
	uint8_t pin, line, intx_on;
	uint8_t mode;
	uint16_t vectors;
	struct msi_state msi;
	uint16_t msix_n;
	uint8_t msix_flags;
	struct msix_entry table[MSIX_MAX_VECTORS];
	uint64_t pba[MSIX_MAX_VECTORS / 64];
};

static uint16_t cfg16(const struct pci_device *d, unsigned off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}

static uint32_t cfg32(const struct pci_device *d, unsigned off)
{
	uint32_t v;

	memcpy(&v, d->cfg + off, 4);
	return v;
}

static void set_cfg32(struct pci_device *d, unsigned off, uint32_t v)
{
	memcpy(d->cfg + off, &v, 4);
}

static unsigned msi_data_off(const struct msi *m)
{
	return m->is64 ? 12 : 8;
}

static unsigned msi_mask_off(const struct msi *m)
{
	return m->is64 ? 16 : 12;
}

static uint32_t msi_vector_bits(unsigned n)
{
	return n >= 32 ? ~0U : (1U << n) - 1;
}

static unsigned pba_words(unsigned n)
{
	return (n + 63) / 64;
}

/* ---- save ---- */

/* What the device's BAR i is: its kind and size, without the address. */
static uint8_t bar_kind(const struct pci_bar *b)
{
	return (b->io ? BAR_IO : 0) | (b->is64 ? BAR_64 : 0) | (b->prefetch ? BAR_PREFETCH : 0);
}

static void capture_bars(const struct vfio_pci *v, struct vfio_state *st)
{
	const struct pci_device *d = &v->pci;
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &d->bar[i];

		if (!b->size)
			continue;
		st->bar[i].flags = bar_kind(b) | (b->mapped ? BAR_MAPPED : 0);
		st->bar[i].size = b->size;
		st->bar[i].addr = pci_bar_address(d, i);
	}
	if (d->bar[PCI_ROM_BAR].size) {
		st->bar[PCI_ROM_BAR].flags = d->bar[PCI_ROM_BAR].mapped ? BAR_MAPPED : 0;
		st->bar[PCI_ROM_BAR].size = d->bar[PCI_ROM_BAR].size;
		st->bar[PCI_ROM_BAR].addr = cfg32(d, PCI_ROM_ADDRESS);
	}
}

static void capture_msi(const struct vfio_pci *v, struct msi_state *s)
{
	const struct msi *m = &v->msi;
	const struct pci_device *d = &v->pci;

	if (!m->dev)
		return;
	s->cap = (uint8_t)m->cap;
	s->ctrl = cfg16(d, m->cap + 2);
	s->addr_lo = cfg32(d, m->cap + 4);
	s->addr_hi = m->is64 ? cfg32(d, m->cap + 8) : 0;
	s->data = cfg16(d, m->cap + msi_data_off(m));
	if (m->pvm) {
		s->mask = cfg32(d, m->cap + msi_mask_off(m));
		s->pending = cfg32(d, m->cap + msi_mask_off(m) + 4);
	}
}

static void capture_irqs(const struct vfio_pci *v, struct vfio_state *st)
{
	const struct pci_device *d = &v->pci;

	st->pin = d->cfg[PCI_INTERRUPT_PIN];
	st->line = d->cfg[PCI_INTERRUPT_LINE];
	st->intx_on = v->intx_on;
	if (v->msix_on) {
		st->mode = MODE_MSIX;
		st->vectors = (uint16_t)v->msix.n;
	} else if (v->msi_nvec) {
		st->mode = MODE_MSI;
		st->vectors = (uint16_t)v->msi_nvec;
	}
	capture_msi(v, &st->msi);
	st->msix_n = (uint16_t)v->msix.n;
	if (v->msix.n) {
		st->msix_flags = d->cfg[v->msix.cap + 3] & MSIX_FLAGS;
		memcpy(st->table, v->msix.table, v->msix.n * sizeof(st->table[0]));
		memcpy(st->pba, v->msix.pba, pba_words(v->msix.n) * 8);
	}
}

static void capture(struct vfio_pci *v, struct vfio_state *st)
{
	const struct pci_device *d = &v->pci;

	/* Signals waiting in masked vectors' eventfds become pending bits,
	 * as a read of the PBA or the MSI pending bits would make them. */
	vfio_msix_sync_pending(v);
	vfio_msi_sync_pending(v);
	memset(st, 0, sizeof(*st));
	st->vendor = cfg16(d, PCI_VENDOR_ID);
	st->device = cfg16(d, PCI_DEVICE_ID);
	st->command = cfg16(d, PCI_COMMAND) & CMD_GUEST;
	capture_bars(v, st);
	capture_irqs(v, st);
}

static void encode_msi(const struct msi_state *s, struct snap_out *out)
{
	snap_put_u8(out, s->cap);
	snap_put_u16(out, s->ctrl);
	snap_put_u32(out, s->addr_lo);
	snap_put_u32(out, s->addr_hi);
	snap_put_u16(out, s->data);
	snap_put_u32(out, s->mask);
	snap_put_u32(out, s->pending);
}

static void encode_msix(const struct vfio_state *st, struct snap_out *out)
{
	unsigned i;

	snap_put_u16(out, st->msix_n);
	snap_put_u8(out, st->msix_flags);
	for (i = 0; i < st->msix_n; i++) {
		snap_put_u32(out, st->table[i].addr_lo);
		snap_put_u32(out, st->table[i].addr_hi);
		snap_put_u32(out, st->table[i].data);
		snap_put_u32(out, st->table[i].ctrl);
	}
	for (i = 0; i < pba_words(st->msix_n); i++)
		snap_put_u64(out, st->pba[i]);
}

static void encode(const struct vfio_state *st, struct snap_out *out)
{
	int i;

	snap_put_u8(out, VFIO_STATE_VERSION);
	snap_put_u16(out, st->vendor);
	snap_put_u16(out, st->device);
	snap_put_u16(out, st->command);
	for (i = 0; i < N_BARS; i++) {
		snap_put_u8(out, st->bar[i].flags);
		snap_put_u64(out, st->bar[i].size);
		snap_put_u64(out, st->bar[i].addr);
	}
	snap_put_u8(out, st->pin);
	snap_put_u8(out, st->line);
	snap_put_u8(out, st->intx_on);
	snap_put_u8(out, st->mode);
	snap_put_u16(out, st->vectors);
	encode_msi(&st->msi, out);
	encode_msix(st, out);
}

int vfio_pci_state_save(struct pci_device *d, struct snap_out *out)
{
	struct vfio_pci *v = d->opaque;
	struct vfio_state *st = malloc(sizeof(*st));

	if (!st) {
		vdev_pr(LOG_ERROR, v, "out of memory saving its state");
		return -1;
	}
	capture(v, st);
	encode(st, out);
	free(st);
	return snap_out_error(out) ? -1 : 0;
}

/* ---- load: decode and check ---- */

/* Fail the cursor with one line naming the device (kept in v, which
 * outlives the caller's snap_in_finish()). The first refusal wins. */
static void __attribute__((format(printf, 3, 4)))
refuse(struct vfio_pci *v, struct snap_in *in, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (snap_in_failed(in))
		return;
	n = snprintf(v->state_why, sizeof(v->state_why), "%s: ", v->bdf);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(v->state_why))
		vsnprintf(v->state_why + n, sizeof(v->state_why) - (size_t)n, fmt, ap);
	va_end(ap);
	snap_in_fail(in, v->state_why);
}

static void decode_ids(struct vfio_pci *v, struct snap_in *in, struct vfio_state *st)
{
	uint8_t version = snap_get_u8(in);

	if (!snap_in_failed(in) && version != VFIO_STATE_VERSION) {
		refuse(v, in, "vfio-pci state version %u, this conduit reads %u",
		       version, VFIO_STATE_VERSION);
		return;
	}
	st->vendor = snap_get_u16(in);
	st->device = snap_get_u16(in);
	if (!snap_in_failed(in) && (st->vendor != cfg16(&v->pci, PCI_VENDOR_ID) ||
				    st->device != cfg16(&v->pci, PCI_DEVICE_ID)))
		refuse(v, in, "the snapshot's device is %04x:%04x, this one is %04x:%04x",
		       st->vendor, st->device, cfg16(&v->pci, PCI_VENDOR_ID),
		       cfg16(&v->pci, PCI_DEVICE_ID));
	st->command = snap_get_u16(in);
	if (!snap_in_failed(in) && (st->command & ~CMD_GUEST))
		refuse(v, in, "command register bits 0x%x that a guest cannot set",
		       st->command & ~CMD_GUEST);
}

static const char *bar_kind_name(uint8_t flags)
{
	if (flags & BAR_IO)
		return "I/O";
	if (flags & BAR_64)
		return flags & BAR_PREFETCH ? "64-bit prefetchable memory" : "64-bit memory";
	return flags & BAR_PREFETCH ? "32-bit prefetchable memory" : "32-bit memory";
}

/* BAR i (not the ROM) as the snapshot has it, against this device's. */
static void check_bar(struct vfio_pci *v, struct snap_in *in, int i, const struct bar_state *s)
{
	const struct pci_bar *b = &v->pci.bar[i];
	uint8_t kind = s->flags & ~BAR_MAPPED;

	if (s->flags & ~BAR_FLAGS) {
		refuse(v, in, "BAR%d has unknown flags 0x%x", i, s->flags);
	} else if (!b->size && (s->size || s->flags || s->addr)) {
		refuse(v, in, "BAR%d is implemented in the snapshot (0x%llx bytes), not on this device",
		       i, (unsigned long long)s->size);
	} else if (b->size && (s->size != b->size || kind != bar_kind(b))) {
		refuse(v, in, "BAR%d is %s of 0x%llx bytes in the snapshot, %s of 0x%llx bytes here",
		       i, s->size ? bar_kind_name(kind) : "not implemented",
		       (unsigned long long)s->size, bar_kind_name(bar_kind(b)),
		       (unsigned long long)b->size);
	} else if (b->size && (s->addr & (s->size - 1))) {
		refuse(v, in, "BAR%d address 0x%llx is not aligned to its size 0x%llx", i,
		       (unsigned long long)s->addr, (unsigned long long)s->size);
	} else if (b->size && !b->is64 && s->addr > UINT32_MAX) {
		refuse(v, in, "BAR%d address 0x%llx does not fit its 32-bit register", i,
		       (unsigned long long)s->addr);
	}
}

static void check_rom(struct vfio_pci *v, struct snap_in *in, const struct bar_state *s)
{
	uint64_t size = v->pci.bar[PCI_ROM_BAR].size;
	uint32_t mask;

	if (s->flags & ~BAR_MAPPED) {
		refuse(v, in, "the expansion ROM has flags 0x%x", s->flags);
	} else if (s->size != size) {
		refuse(v, in, "the expansion ROM is 0x%llx bytes in the snapshot, 0x%llx here",
		       (unsigned long long)s->size, (unsigned long long)size);
	} else {
		mask = size ? (((uint32_t)~(size - 1) & ~0x7feU) | 1) : 0;
		if (s->addr & ~(uint64_t)mask)
			refuse(v, in, "expansion ROM register 0x%llx: bits this ROM does not have",
			       (unsigned long long)s->addr);
	}
}

static void decode_bars(struct vfio_pci *v, struct snap_in *in, struct vfio_state *st)
{
	int i;

	for (i = 0; i < N_BARS; i++) {
		struct bar_state *s = &st->bar[i];

		s->flags = snap_get_u8(in);
		s->size = snap_get_u64(in);
		s->addr = snap_get_u64(in);
		if (snap_in_failed(in))
			return;
		if (i == PCI_ROM_BAR)
			check_rom(v, in, s);
		else
			check_bar(v, in, i, s);
	}
}

static bool has_intx(const struct vfio_pci *v)
{
	return v->intx_efd >= 0;
}

static void decode_intx(struct vfio_pci *v, struct snap_in *in, struct vfio_state *st)
{
	st->pin = snap_get_u8(in);
	if (!snap_in_failed(in) && st->pin != v->pci.cfg[PCI_INTERRUPT_PIN])
		refuse(v, in, "interrupt pin %u in the snapshot, %u on this device", st->pin,
		       v->pci.cfg[PCI_INTERRUPT_PIN]);
	st->line = snap_get_u8(in);
	st->intx_on = snap_get_u8(in);
	if (!snap_in_failed(in) && st->intx_on > 1)
		refuse(v, in, "INTx on is %u, not 0 or 1", st->intx_on);
	else if (!snap_in_failed(in) && st->intx_on && !has_intx(v))
		refuse(v, in, "INTx was on, and this device has no INTx");
	st->mode = snap_get_u8(in);
	st->vectors = snap_get_u16(in);
	if (!snap_in_failed(in) && st->mode >= MODE_COUNT)
		refuse(v, in, "interrupt mode %u does not exist", st->mode);
}

/* The MSI fields against this device's capability. */
static void check_msi(struct vfio_pci *v, struct snap_in *in, const struct msi_state *s)
{
	const struct msi *m = &v->msi;
	uint16_t ro = cfg16(&v->pci, m->cap + 2) & (uint16_t)~MSI_GUEST_CTRL;
	unsigned want = 1U << ((s->ctrl & MSI_CTRL_MME) >> 4);
	uint32_t bits = msi_vector_bits(m->max);

	if (s->cap != m->cap) {
		refuse(v, in, "MSI capability at 0x%x in the snapshot, at 0x%x here", s->cap, m->cap);
	} else if ((s->ctrl & (uint16_t)~MSI_GUEST_CTRL) != ro) {
		refuse(v, in, "MSI control 0x%04x does not match this device's (0x%04x)", s->ctrl, ro);
	} else if (want > m->max) {
		refuse(v, in, "MSI with %u vectors enabled, the device offers %u", want, m->max);
	} else if ((s->addr_lo & 3) || (!m->is64 && s->addr_hi)) {
		refuse(v, in, "MSI address 0x%08x%08x does not fit its capability",
		       s->addr_hi, s->addr_lo);
	} else if ((!m->pvm && (s->mask || s->pending)) || (s->mask & ~bits) ||
		   (s->pending & ~bits)) {
		refuse(v, in, "MSI mask or pending bits beyond the device's %u vectors%s", m->max,
		       m->pvm ? "" : " (it has no per-vector masking)");
	}
}

static void decode_msi(struct vfio_pci *v, struct snap_in *in, struct msi_state *s)
{
	s->cap = snap_get_u8(in);
	s->ctrl = snap_get_u16(in);
	s->addr_lo = snap_get_u32(in);
	s->addr_hi = snap_get_u32(in);
	s->data = snap_get_u16(in);
	s->mask = snap_get_u32(in);
	s->pending = snap_get_u32(in);
	if (snap_in_failed(in))
		return;
	if (!v->msi.dev && (s->cap || s->ctrl || s->addr_lo || s->addr_hi || s->data ||
			    s->mask || s->pending))
		refuse(v, in, "the snapshot has an MSI capability at 0x%x, this device none", s->cap);
	else if (v->msi.dev)
		check_msi(v, in, s);
}

static void decode_msix_table(struct vfio_pci *v, struct snap_in *in, struct vfio_state *st)
{
	unsigned i, n = st->msix_n;
	uint64_t last;

	for (i = 0; i < n && !snap_in_failed(in); i++) {
		struct msix_entry *e = &st->table[i];

		e->addr_lo = snap_get_u32(in);
		e->addr_hi = snap_get_u32(in);
		e->data = snap_get_u32(in);
		e->ctrl = snap_get_u32(in);
		if (!snap_in_failed(in) && (e->ctrl & ~(uint32_t)MSIX_VEC_MASKED))
			refuse(v, in, "MSI-X vector %u has reserved control bits 0x%x", i, e->ctrl);
	}
	for (i = 0; i < pba_words(n); i++)
		st->pba[i] = snap_get_u64(in);
	last = n % 64 ? st->pba[pba_words(n) - 1] >> (n % 64) : 0;
	if (!snap_in_failed(in) && last)
		refuse(v, in, "MSI-X pending bits beyond the device's %u vectors", n);
}

static void decode_msix(struct vfio_pci *v, struct snap_in *in, struct vfio_state *st)
{
	st->msix_n = snap_get_u16(in);
	if (!snap_in_failed(in) && st->msix_n != v->msix.n) {
		refuse(v, in, "%u MSI-X vectors in the snapshot, the device offers %u",
		       st->msix_n, v->msix.n);
		return;
	}
	st->msix_flags = snap_get_u8(in);
	if (!snap_in_failed(in) && (st->msix_flags & ~MSIX_FLAGS || (!st->msix_n && st->msix_flags)))
		refuse(v, in, "MSI-X control flags 0x%02x that the capability does not have",
		       st->msix_flags);
	if (!snap_in_failed(in))
		decode_msix_table(v, in, st);
}

/* The live mode, its vector count and INTx against the capabilities. */
static void check_mode(struct vfio_pci *v, struct snap_in *in, const struct vfio_state *st)
{
	bool msi_on = st->msi.ctrl & MSI_CTRL_ENABLE;
	bool msix_on = st->msix_flags & (MSIX_CTRL_ENABLE >> 8);
	unsigned msi_n = 1U << ((st->msi.ctrl & MSI_CTRL_MME) >> 4);

	if (st->mode == MODE_MSIX && !v->msix.n)
		refuse(v, in, "MSI-X was on, and this device has no MSI-X");
	else if (st->mode == MODE_MSI && !v->msi.dev)
		refuse(v, in, "MSI was on, and this device has no MSI");
	else if (st->mode == MODE_MSIX && (!msix_on || st->vectors != v->msix.n))
		refuse(v, in, "MSI-X on with %u vector(s) disagrees with its capability (%s, %u vector(s))",
		       st->vectors, msix_on ? "enabled" : "disabled", v->msix.n);
	else if (st->mode == MODE_MSI && (!msi_on || st->vectors != msi_n))
		refuse(v, in, "MSI on with %u vector(s) disagrees with its capability (%s, %u vector(s))",
		       st->vectors, msi_on ? "enabled" : "disabled", msi_n);
	else if (st->mode == MODE_NONE && (st->vectors || msi_on || msix_on))
		refuse(v, in, "neither MSI nor MSI-X was on, yet %s",
		       st->vectors ? "it has vectors" : "a capability is enabled");
	else if (st->intx_on && st->mode != MODE_NONE)
		refuse(v, in, "INTx was on while %s was", st->mode == MODE_MSIX ? "MSI-X" : "MSI");
	else if (!st->intx_on && st->mode == MODE_NONE && has_intx(v))
		refuse(v, in, "INTx was off with neither MSI nor MSI-X on");
}

/* What vfio-pci offers for an interrupt index (VFIO_DEVICE_GET_IRQ_INFO):
 * its vectors, 0 when it says nothing. */
static unsigned vfio_vectors(const struct vfio_pci *v, uint32_t index)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = index };

	if (ioctl(v->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0)
		return 0;
	return ii.count;
}

/* The live mode's vectors against what vfio-pci offers for its index. */
static void check_vfio_vectors(struct vfio_pci *v, struct snap_in *in,
			       const struct vfio_state *st)
{
	uint32_t index = st->mode == MODE_MSIX ? VFIO_PCI_MSIX_IRQ_INDEX : VFIO_PCI_MSI_IRQ_INDEX;
	unsigned n;

	if (st->mode == MODE_NONE)
		return;
	n = vfio_vectors(v, index);
	if (st->vectors > n)
		refuse(v, in, "%s on with %u vector(s), vfio-pci offers %u for this device",
		       st->mode == MODE_MSIX ? "MSI-X" : "MSI", st->vectors, n);
}

static int decode(struct vfio_pci *v, struct snap_in *in, struct vfio_state *st)
{
	decode_ids(v, in, st);
	if (!snap_in_failed(in))
		decode_bars(v, in, st);
	if (!snap_in_failed(in))
		decode_intx(v, in, st);
	if (!snap_in_failed(in))
		decode_msi(v, in, &st->msi);
	if (!snap_in_failed(in))
		decode_msix(v, in, st);
	if (!snap_in_failed(in))
		check_mode(v, in, st);
	if (!snap_in_failed(in))
		check_vfio_vectors(v, in, st);
	return snap_in_failed(in) ? -1 : 0;
}

/* ---- load: replay ---- */

static void guest_write(struct vfio_pci *v, unsigned off, unsigned size, uint32_t val)
{
	pci_guest_cfg_write(&v->pci, off, size, val);
}

/* BAR and ROM registers as the guest left them; decoding follows the
 * command register's write (apply_command). */
static void apply_bars(struct vfio_pci *v, const struct vfio_state *st)
{
	struct pci_device *d = &v->pci;
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].size)
			pci_bar_write(d, i, st->bar[i].addr);
	if (d->bar[PCI_ROM_BAR].size)
		pci_cfg_write(d, PCI_ROM_ADDRESS, 4, (uint32_t)st->bar[PCI_ROM_BAR].addr);
}

/* The MSI capability's registers, enable left as it is: the guest's
 * writes (vfio/interrupts.c acts on each); pending bits, which no guest
 * writes, straight into the view. */
static void apply_msi_regs(struct vfio_pci *v, const struct msi_state *s)
{
	const struct msi *m = &v->msi;

	if (!m->dev)
		return;
	if (m->pvm) {
		set_cfg32(&v->pci, m->cap + msi_mask_off(m) + 4, s->pending);
		guest_write(v, m->cap + msi_mask_off(m), 4, s->mask);
	}
	guest_write(v, m->cap + 4, 4, s->addr_lo);
	if (m->is64)
		guest_write(v, m->cap + 8, 4, s->addr_hi);
	guest_write(v, m->cap + msi_data_off(m), 2, s->data);
}

static void apply_msi_enable(struct vfio_pci *v, const struct vfio_state *st)
{
	if (v->msi.dev)
		guest_write(v, v->msi.cap + 2, 2, st->msi.ctrl);
}

static void apply_msix_enable(struct vfio_pci *v, const struct vfio_state *st)
{
	if (v->msix.n)
		guest_write(v, v->msix.cap + 3, 1, st->msix_flags);
}

/* The table and pending bits as the guest left them (conduit emulates
 * them), then both capabilities' control words: the live mode first, so
 * the other one's enable bit is ignored as it was on the source. Each
 * vector's route and irqfd, the SET_IRQS and INTx follow. */
static void apply_irqs(struct vfio_pci *v, const struct vfio_state *st)
{
	struct pci_device *d = &v->pci;

	pci_cfg_write(d, PCI_INTERRUPT_LINE, 1, st->line);
	if (v->msix.n) {
		memcpy(v->msix.table, st->table, v->msix.n * sizeof(st->table[0]));
		memcpy(v->msix.pba, st->pba, pba_words(v->msix.n) * 8);
	}
	apply_msi_regs(v, &st->msi);
	if (st->mode == MODE_MSIX) {
		apply_msix_enable(v, st);
		apply_msi_enable(v, st);
	} else {
		apply_msi_enable(v, st);
		apply_msix_enable(v, st);
	}
}

/* The guest's bits of the command register over what the device holds,
 * written as a guest write: through to the device, mirrored into the
 * view, and the bus decodes the BARs from it. */
static void apply_command(struct vfio_pci *v, const struct vfio_state *st)
{
	uint32_t cur = pci_guest_cfg_read(&v->pci, PCI_COMMAND, 2);

	if (cur == ~0U)
		cur = 0;
	guest_write(v, PCI_COMMAND, 2, (cur & ~(uint32_t)CMD_GUEST) | st->command);
}

static void bar_name(int i, char *buf, size_t len)
{
	if (i == PCI_ROM_BAR)
		snprintf(buf, len, "the expansion ROM");
	else
		snprintf(buf, len, "BAR%d", i);
}

/* Where the replay got: the same BARs decode, the same mode is live. */
static void check_result(struct vfio_pci *v, struct snap_in *in, const struct vfio_state *st)
{
	char name[24];
	int i;

	for (i = 0; i < N_BARS; i++) {
		bool want = st->bar[i].flags & BAR_MAPPED;

		if (!v->pci.bar[i].size || v->pci.bar[i].mapped == want)
			continue;
		bar_name(i, name, sizeof(name));
		refuse(v, in, "%s %s at 0x%llx here, as it %s in the snapshot", name,
		       want ? "does not decode" : "decodes",
		       (unsigned long long)pci_bar_address(&v->pci, i),
		       want ? "did" : "did not");
		return;
	}
	if ((st->mode == MODE_MSIX) != v->msix_on ||
	    (st->mode == MODE_MSI ? st->vectors : 0) != v->msi_nvec ||
	    (bool)st->intx_on != v->intx_on)
		refuse(v, in, "its interrupts could not be set up as in the snapshot (see the log)");
}

static void apply(struct vfio_pci *v, const struct vfio_state *st)
{
	apply_bars(v, st);
	apply_irqs(v, st);
	apply_command(v, st);
}

int vfio_pci_state_load(struct pci_device *d, struct snap_in *in)
{
	struct vfio_pci *v = d->opaque;
	struct vfio_state *st = calloc(1, sizeof(*st));

	if (!st) {
		refuse(v, in, "out of memory loading its state");
		return -1;
	}
	if (v->msix_on || v->msi_nvec)
		refuse(v, in, "its interrupts are set up already: a state loads into a device just attached");
	else if (decode(v, in, st) == 0) {
		apply(v, st);
		check_result(v, in, st);
	}
	free(st);
	return snap_in_failed(in) ? -1 : 0;
}
