/* The arm64 guest memory map (see layout.h): filling it for a RAM size and
 * vCPU count, checking a map for overlaps, the MSI doorbell window and the
 * host's usable IOVA ranges, and planning where the kernel, initrd and
 * device tree go in RAM (Documentation/arch/arm64/booting.rst). */
#include <stdio.h>
#include <string.h>
#include "layout.h"
#include "../../vfio/backend.h"

#define MiB (1ULL << 20)
#define GUEST_PA_LIMIT (1ULL << 48)     /* what a 48-bit IPA space holds */
#define INITRD_ALIGN (64 * 1024ULL)     /* a page of any granule */

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

int arm64_layout_init(struct arm64_layout *l, uint64_t ram_size, unsigned ncpus,
		      char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	if (ncpus < 1 || ncpus > ARM64_MAX_VCPUS) {
		snprintf(err, errlen, "%u vCPUs: arm64 guests take 1 to %u", ncpus,
			 ARM64_MAX_VCPUS);
		return -1;
	}
	if (ram_size < ARM64_RAM_MIN || ram_size > ARM64_RAM_MAX) {
		snprintf(err, errlen, "%llu MiB of RAM: arm64 guests take %llu MiB to %llu MiB",
			 (unsigned long long)(ram_size / MiB),
			 (unsigned long long)(ARM64_RAM_MIN / MiB),
			 (unsigned long long)(ARM64_RAM_MAX / MiB));
		return -1;
	}
	if (ram_size % (2 * MiB)) {
		snprintf(err, errlen, "RAM of %llu bytes is not a multiple of 2 MiB",
			 (unsigned long long)ram_size);
		return -1;
	}
	l->ram_base = ARM64_RAM_BASE;
	l->ram_size = ram_size;
	l->gicd_base = ARM64_GICD_BASE;
	l->gicd_size = ARM64_GICD_SIZE;
	l->gicr_base = ARM64_GICR_BASE;
	l->gicr_size = ncpus * ARM64_GICR_SIZE_PER_CPU;
	l->its_base = ARM64_GITS_BASE;
	l->its_size = ARM64_GITS_SIZE;
	l->uart_base = ARM64_UART_BASE;
	l->uart_size = ARM64_UART_SIZE;
	l->uart_spi = ARM64_UART_SPI;
	l->ecam_base = ARM64_PCI_ECAM_BASE;
	l->ecam_size = ARM64_PCI_ECAM_SIZE;
	l->bus_first = 0;
	l->bus_last = ARM64_PCI_BUSES - 1;
	l->pci_io_base = ARM64_PCI_IO_BASE;
	l->pci_io_size = ARM64_PCI_IO_SIZE;
	l->mmio32_base = ARM64_PCI_MMIO32_BASE;
	l->mmio32_size = ARM64_PCI_MMIO32_SIZE;
	l->mmio64_base = ARM64_PCI_MMIO64_BASE;
	l->mmio64_size = ARM64_PCI_MMIO64_SIZE;
	l->intx_spi = ARM64_PCI_INTX_SPI;
	l->ncpus = ncpus;
	return arm64_layout_check(l, err, errlen);
}

struct region {
	const char *name;
	uint64_t base, size;
};

static int fill_regions(const struct arm64_layout *l, struct region *r)
{
	int n = 0;

	r[n++] = (struct region){ "RAM", l->ram_base, l->ram_size };
	r[n++] = (struct region){ "the GIC distributor", l->gicd_base, l->gicd_size };
	r[n++] = (struct region){ "the GIC redistributors", l->gicr_base, l->gicr_size };
	r[n++] = (struct region){ "the GIC ITS", l->its_base, l->its_size };
	r[n++] = (struct region){ "the UART", l->uart_base, l->uart_size };
	r[n++] = (struct region){ "the PCI ECAM", l->ecam_base, l->ecam_size };
	r[n++] = (struct region){ "the PCI I/O window", l->pci_io_base, l->pci_io_size };
	r[n++] = (struct region){ "the PCI 32-bit window", l->mmio32_base, l->mmio32_size };
	r[n++] = (struct region){ "the PCI 64-bit window", l->mmio64_base, l->mmio64_size };
	return n;
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int arm64_layout_check(const struct arm64_layout *l, char *err, size_t errlen)
{
	struct region r[9];
	int n = fill_regions(l, r), i, j;

	for (i = 0; i < n; i++) {
		if (!r[i].size || r[i].base >= GUEST_PA_LIMIT ||
		    r[i].size > GUEST_PA_LIMIT - r[i].base) {
			snprintf(err, errlen, "%s at 0x%llx size 0x%llx is empty or past the 48-bit guest address space",
				 r[i].name, (unsigned long long)r[i].base,
				 (unsigned long long)r[i].size);
			return -1;
		}
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (overlaps(r[i].base, r[i].size, r[j].base, r[j].size)) {
				snprintf(err, errlen, "%s (0x%llx-0x%llx) overlaps %s (0x%llx-0x%llx)",
					 r[i].name, (unsigned long long)r[i].base,
					 (unsigned long long)(r[i].base + r[i].size - 1),
					 r[j].name, (unsigned long long)r[j].base,
					 (unsigned long long)(r[j].base + r[j].size - 1));
				return -1;
			}
	if (overlaps(l->ram_base, l->ram_size, ARM64_MSI_IOVA_BASE, ARM64_MSI_IOVA_SIZE)) {
		snprintf(err, errlen, "RAM (0x%llx-0x%llx) overlaps the SMMU's MSI doorbell window 0x%llx-0x%llx, which the host IOMMU reserves",
			 (unsigned long long)l->ram_base,
			 (unsigned long long)(l->ram_base + l->ram_size - 1),
			 ARM64_MSI_IOVA_BASE, ARM64_MSI_IOVA_BASE + ARM64_MSI_IOVA_SIZE - 1);
		return -1;
	}
	if (l->bus_last < l->bus_first ||
	    (uint64_t)(l->bus_last - l->bus_first + 1) * MiB > l->ecam_size) {
		snprintf(err, errlen, "PCI buses %u-%u do not fit the ECAM of %llu MiB",
			 l->bus_first, l->bus_last, (unsigned long long)(l->ecam_size / MiB));
		return -1;
	}
	return 0;
}

unsigned arm64_pci_intx_spi(const struct arm64_layout *l, unsigned slot, unsigned pin)
{
	return l->intx_spi + (slot + pin - 1) % ARM64_PCI_INTX_SPIS;
}

uint64_t arm64_vcpu_mpidr(unsigned i)
{
	return (uint64_t)(i / 16) << 8 | (i % 16);
}

int arm64_boot_plan(const struct arm64_layout *l, uint64_t text_offset,
		    uint64_t kernel_size, uint64_t initrd_size,
		    struct arm64_boot_plan *p, char *err, size_t errlen)
{
	uint64_t base = (l->ram_base + ARM64_KERNEL_ALIGN - 1) & ~(ARM64_KERNEL_ALIGN - 1);
	uint64_t ram_end = l->ram_base + l->ram_size, kend, top, window_end;

	memset(p, 0, sizeof(*p));
	if (l->ram_size < ARM64_DTB_MAX || ram_end - ARM64_DTB_MAX < base) {
		snprintf(err, errlen, "RAM of %llu MiB has no room for the device tree",
			 (unsigned long long)(l->ram_size / MiB));
		return ARM64_PLAN_ERR_KERNEL;
	}
	p->dtb_addr = align_down(ram_end - ARM64_DTB_MAX, ARM64_DTB_MAX);
	if (text_offset >= ARM64_KERNEL_ALIGN || kernel_size > p->dtb_addr - base ||
	    text_offset > p->dtb_addr - base - kernel_size) {
		snprintf(err, errlen, "the kernel needs %llu MiB of RAM, the guest has %llu MiB below the device tree: raise --memory",
			 (unsigned long long)((text_offset + kernel_size + MiB - 1) / MiB),
			 (unsigned long long)((p->dtb_addr - base) / MiB));
		return ARM64_PLAN_ERR_KERNEL;
	}
	p->kernel_addr = base + text_offset;
	p->kernel_size = kernel_size;
	if (!initrd_size)
		return 0;
	/* The 32 GiB window from the 1 GiB aligned base below the kernel. */
	window_end = align_down(p->kernel_addr, 1ULL << 30) + ARM64_INITRD_WINDOW;
	top = p->dtb_addr < window_end ? p->dtb_addr : window_end;
	kend = p->kernel_addr + kernel_size;
	if (initrd_size > top || align_down(top - initrd_size, INITRD_ALIGN) < kend) {
		snprintf(err, errlen, "initrd of %llu MiB does not fit in guest RAM between the kernel and the device tree (%llu MiB free): raise --memory",
			 (unsigned long long)((initrd_size + MiB - 1) / MiB),
			 (unsigned long long)(top > kend ? (top - kend) / MiB : 0));
		return ARM64_PLAN_ERR_INITRD;
	}
	p->initrd_addr = align_down(top - initrd_size, INITRD_ALIGN);
	p->initrd_size = initrd_size;
	return 0;
}

/* The first reserved hole (gap between usable ranges) that [s, e] touches:
 * its bounds in *hs, *he; 0 when [s, e] lies wholly in one range. */
static int find_hole(uint64_t s, uint64_t e, const struct iova_range *r, int n,
		     uint64_t *hs, uint64_t *he)
{
	uint64_t at = s;
	int i, moved = 1;

	/* Walk forward through ranges that cover at, in any order. */
	while (moved) {
		moved = 0;
		for (i = 0; i < n; i++) {
			if (r[i].start <= at && at <= r[i].end) {
				if (r[i].end >= e)
					return 0;
				at = r[i].end + 1;
				moved = 1;
			}
		}
	}
	*hs = at;
	*he = UINT64_MAX;
	for (i = 0; i < n; i++)
		if (r[i].start > at && r[i].start - 1 < *he)
			*he = r[i].start - 1;
	return 1;
}

int arm64_layout_check_iova(const struct arm64_layout *l,
			    const struct iova_range *r, int n,
			    char *err, size_t errlen)
{
	uint64_t s = l->ram_base, e = l->ram_base + l->ram_size - 1, hs, he;

	if (n < 0)
		return 0;       /* the IOMMU does not say (old type1): trust the layout */
	if (!find_hole(s, e, r, n, &hs, &he))
		return 0;
	if (overlaps(hs, he - hs + 1, ARM64_MSI_IOVA_BASE, ARM64_MSI_IOVA_SIZE) &&
	    overlaps(s, e - s + 1, ARM64_MSI_IOVA_BASE, ARM64_MSI_IOVA_SIZE)) {
		snprintf(err, errlen, "guest RAM 0x%llx-0x%llx overlaps the SMMU's MSI doorbell window 0x%llx-0x%llx, which the host IOMMU reserves",
			 (unsigned long long)s, (unsigned long long)e,
			 ARM64_MSI_IOVA_BASE, ARM64_MSI_IOVA_BASE + ARM64_MSI_IOVA_SIZE - 1);
		return -1;
	}
	snprintf(err, errlen, "guest RAM 0x%llx-0x%llx is not usable IOVA space for this IOMMU (0x%llx-0x%llx is reserved%s)",
		 (unsigned long long)s, (unsigned long long)e,
		 (unsigned long long)hs, (unsigned long long)he,
		 n ? "" : ": no usable ranges");
	return -1;
}
