/* A passed-through device's BARs. Every mmap-able piece of a memory BAR
 * (whole region, or the areas of the sparse-mmap capability) is mmap'd from
 * the device fd and installed as a KVM memory slot at the guest-programmed
 * BAR address, so the guest's BAR accesses cause no exit; the slots move
 * when the guest moves the BAR. The pages holding the MSI-X table and PBA
 * are left out and trapped: conduit emulates them. Everything not mmap'd,
 * and I/O-port BARs, is trapped and forwarded with pread/pwrite. The
 * expansion ROM is trapped and read-only. Where and when a BAR decodes is
 * the PCI bus's decision (devices/pci.c); it calls vfio_bar_map/unmap. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../vmm/log.h"
#include "../vmm/vm.h"
#include "helpers.h"
#include "vfio_pci.h"

#define PAGE 4096ULL

static uint64_t page_down(uint64_t x) { return x & ~(PAGE - 1); }
static uint64_t page_up(uint64_t x) { return (x + PAGE - 1) & ~(PAGE - 1); }

static struct vfio_region_info *region_info(struct vfio_pci *v, unsigned index)
{
	struct vfio_region_info q = { .argsz = sizeof(q), .index = index };

	return vfio_info_query(v->fd, VFIO_DEVICE_GET_REGION_INFO, &q, sizeof(q));
}

static void add_area(struct vfio_bar *b, uint64_t off, uint64_t size)
{
	if (size && b->n_areas < VFIO_MAX_AREAS) {
		b->area[b->n_areas].off = off;
		b->area[b->n_areas].size = size;
		b->n_areas++;
	}
}

/* Cut the trapped window [s, e) out of the areas. */
static void cut(struct vfio_bar *b, uint64_t s, uint64_t e)
{
	struct vfio_area old[VFIO_MAX_AREAS];
	int n = b->n_areas, i;

	memcpy(old, b->area, sizeof(old));
	b->n_areas = 0;
	for (i = 0; i < n; i++) {
		uint64_t as = old[i].off, ae = old[i].off + old[i].size;

		if (e <= as || s >= ae) {
			add_area(b, as, ae - as);
			continue;
		}
		if (s > as)
			add_area(b, as, s - as);
		if (e < ae)
			add_area(b, e, ae - e);
	}
}

/* The areas of the sparse-mmap capability, or the whole BAR. */
static void sparse_areas(struct vfio_bar *b, struct vfio_region_info *ri)
{
	struct vfio_region_info_cap_sparse_mmap sp;
	struct vfio_region_sparse_mmap_area a;
	uint32_t off = 0, i;
	size_t at;

	if (ri->flags & VFIO_REGION_INFO_FLAG_CAPS)
		off = vfio_info_cap(ri, ri->argsz, ri->cap_offset, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	if (!off || off + sizeof(sp) > ri->argsz) {
		add_area(b, 0, b->size);
		return;
	}
	memcpy(&sp, (char *)ri + off, sizeof(sp));
	for (i = 0, at = off + sizeof(sp); i < sp.nr_areas && at + sizeof(a) <= ri->argsz;
	     i++, at += sizeof(a)) {
		memcpy(&a, (char *)ri + at, sizeof(a));
		add_area(b, a.offset, a.size);
	}
}

static void mmap_areas(struct vfio_pci *v, struct vfio_bar *b)
{
	int i;

	for (i = 0; i < b->n_areas; i++) {
		struct vfio_area *a = &b->area[i];

		if (a->off % PAGE || a->size % PAGE || a->off + a->size > b->size) {
			a->size = 0;    /* not slot-able: stays trapped */
			continue;
		}
		a->hva = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
			      (off_t)(b->region_off + a->off));
		if (a->hva == MAP_FAILED) {
			vdev_pr(LOG_WARN, v, "BAR%d: mmap of 0x%llx+0x%llx failed (%s); it will trap",
				b->index, (unsigned long long)a->off,
				(unsigned long long)a->size, strerror(errno));
			a->hva = NULL;
			a->size = 0;
			continue;
		}
		a->slot = memslot_alloc(&v->vm->slots);
		if (a->slot < 0) {
			vdev_pr(LOG_WARN, v, "BAR%d: no free KVM memory slot for 0x%llx+0x%llx; it will trap",
				b->index, (unsigned long long)a->off,
				(unsigned long long)a->size);
			munmap(a->hva, a->size);
			a->hva = NULL;
			a->size = 0;
		}
	}
}

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct vfio_bar *b = opaque;
	struct vfio_pci *v = b->dev;
	uint64_t val = 0;

	if (b->index == v->msix_bar) {
		if (off >= v->msix_table && off - v->msix_table < v->msix_table_len) {
			v->stats.msix_accesses++;
			return msix_table_read(&v->msix, off - v->msix_table, size);
		}
		if (off >= v->msix_pba && off - v->msix_pba < v->msix_pba_len) {
			v->stats.msix_accesses++;
			vfio_msix_sync_pending(v);
			return msix_pba_read(&v->msix, off - v->msix_pba, size);
		}
	}
	if (b->io)
		v->stats.pio_exits++;
	else
		v->stats.mmio_exits++;
	if (pread(v->fd, &val, size, (off_t)(b->region_off + off)) != (ssize_t)size)
		return ~0ULL;
	return val;
}

static void bar_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct vfio_bar *b = opaque;
	struct vfio_pci *v = b->dev;

	if (b->index == v->msix_bar) {
		if (off >= v->msix_table && off - v->msix_table < v->msix_table_len) {
			v->stats.msix_accesses++;
			v->stats.msix_table_writes++;
			msix_table_write(&v->msix, off - v->msix_table, size, val);
			return;
		}
		if (off >= v->msix_pba && off - v->msix_pba < v->msix_pba_len) {
			v->stats.msix_accesses++;
			return;         /* the PBA is read-only */
		}
	}
	if (b->io)
		v->stats.pio_exits++;
	else
		v->stats.mmio_exits++;
	if (pwrite(v->fd, &val, size, (off_t)(b->region_off + off)) != (ssize_t)size)
		vdev_pr(LOG_DEBUG, v, "BAR%d write at 0x%llx failed", b->index,
			 (unsigned long long)off);
}

int vfio_bars_init(struct vfio_pci *v, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		struct vfio_region_info *ri = region_info(v, VFIO_PCI_BAR0_REGION_INDEX + i);
		struct vfio_bar *b = &v->bar[i];
		uint32_t raw, flags;

		b->dev = v;
		b->index = i;
		if (!ri || !ri->size) {
			free(ri);
			continue;
		}
		if (ri->size & (ri->size - 1)) {
			vdev_errmsg(v, err, errlen, "BAR%d size 0x%llx is not a power of two",
				    i, (unsigned long long)ri->size);
			free(ri);
			return -1;
		}
		if (pread(v->fd, &raw, 4, (off_t)(v->cfg_off + PCI_BASE_ADDRESS_0 + 4 * i)) != 4)
			raw = 0;
		b->io = raw & PCI_BASE_ADDRESS_SPACE_IO;
		flags = b->io ? PCI_BASE_ADDRESS_SPACE_IO : raw & (PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
		b->size = ri->size < 16 && !b->io ? 16 : ri->size;
		b->region_off = ri->offset;
		if (!b->io && (ri->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
			sparse_areas(b, ri);
			if (i == v->msix_bar) {
				cut(b, page_down(v->msix_table), page_up(v->msix_table + v->msix_table_len));
				cut(b, page_down(v->msix_pba), page_up(v->msix_pba + v->msix_pba_len));
			}
			mmap_areas(v, b);
		}
		pci_device_set_bar(&v->pci, i, b->size, flags, bar_read, bar_write, b);
		vdev_pr(LOG_INFO, v, "BAR%d %s%s size 0x%llx, %d mmap'd area(s)", i,
			b->io ? "I/O" : "memory", flags & PCI_BASE_ADDRESS_MEM_TYPE_64 ? " 64-bit" : "",
			(unsigned long long)b->size, b->n_areas);
		free(ri);
		if (flags & PCI_BASE_ADDRESS_MEM_TYPE_64)
			i++;
	}
	return 0;
}

static int set_slot(struct vfio_pci *v, struct vfio_area *a, uint64_t gpa, bool on)
{
	int ret = memslot_set(v->vm->vm_fd, a->slot, gpa, on ? a->size : 0, a->hva, 0);

	if (!ret)
		a->installed = on;
	return ret;
}

/* The bus says BAR i decodes at addr: the mmap'd areas go in as memory
 * slots over the trapped range. A slot KVM refuses leaves that area
 * trapped, which still works. */
void vfio_bar_map(struct pci_device *d, int i, uint64_t addr)
{
	struct vfio_pci *v = d->opaque;
	struct vfio_bar *b;
	int j;

	if (i == PCI_ROM_BAR)
		return;         /* trapped and read-only */
	b = &v->bar[i];
	for (j = 0; j < b->n_areas; j++) {
		struct vfio_area *a = &b->area[j];

		if (!a->hva || !a->size || a->installed)
			continue;
		if (set_slot(v, a, addr + a->off, true))
			vdev_pr(LOG_WARN, v, "BAR%d: memory slot at 0x%llx refused; that area will trap",
				i, (unsigned long long)(addr + a->off));
	}
}

/* BAR i stops decoding at addr: its memory slots come out. */
void vfio_bar_unmap(struct pci_device *d, int i, uint64_t addr)
{
	struct vfio_pci *v = d->opaque;
	int j;

	if (i == PCI_ROM_BAR)
		return;
	for (j = 0; j < v->bar[i].n_areas; j++)
		if (v->bar[i].area[j].installed)
			set_slot(v, &v->bar[i].area[j], 0, false);
	vdev_pr(LOG_DEBUG, v, "BAR%d unmapped from 0x%llx", i, (unsigned long long)addr);
}

static uint64_t rom_read(void *opaque, uint64_t off, unsigned size)
{
	struct vfio_pci *v = opaque;
	uint64_t val = 0;

	if (off >= v->rom_size || size > v->rom_size - off ||
	    pread(v->fd, &val, size, (off_t)(v->rom_off + off)) != (ssize_t)size)
		return ~0ULL;
	return val;
}

static void rom_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	(void)opaque; (void)off; (void)size; (void)val;   /* read-only */
}

/* The expansion ROM: the bus decodes it, every read traps to the device. */
void vfio_rom_init(struct vfio_pci *v)
{
	if (v->rom_size)
		pci_device_set_rom(&v->pci, v->rom_size, rom_read, rom_write, v);
}

void vfio_bars_cleanup(struct vfio_pci *v)
{
	int i, j;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		struct vfio_bar *b = &v->bar[i];

		for (j = 0; j < b->n_areas; j++) {
			struct vfio_area *a = &b->area[j];

			if (a->installed)
				set_slot(v, a, 0, false);
			if (a->hva) {
				munmap(a->hva, a->size);
				memslot_free(&v->vm->slots, a->slot);
			}
			a->hva = NULL;
		}
	}
}
