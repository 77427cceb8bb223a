/* The arm64 guest physical memory map: where the GIC, the UART, the PCI
 * host bridge and RAM sit, where the kernel, initrd and device tree go in
 * RAM (Documentation/arch/arm64/booting.rst), and the check of guest RAM
 * against the host IOMMU's usable IOVA ranges.
 *
 *   0x0800_0000 - 0x0800_ffff   GICv3 distributor (64 KiB)
 *   0x0808_0000 - 0x0809_ffff   GICv3 ITS (128 KiB)
 *   0x080a_0000 - ...           GICv3 redistributors, 128 KiB per vCPU (max 64)
 *   0x0900_0000 - 0x0900_0fff   UART 16550 ("ns16550a"), SPI 1
 *   0x1000_0000 - 0x3efe_ffff   PCI 32-bit MMIO window (PCI address = CPU address)
 *   0x3eff_0000 - 0x3eff_ffff   PCI I/O window (PCI I/O addresses 0 - 0xffff)
 *   0x3f00_0000 - 0x3fff_ffff   PCI ECAM, buses 0-15
 *   0x4000_0000 - ...           RAM (at most up to the 64-bit window)
 *   0x80_0000_0000 - 0xff_ffff_ffff  PCI 64-bit MMIO window (512 GiB)
 *
 * The host SMMU reserves IOVA 0x800_0000-0x80f_ffff for MSI doorbells: guest
 * RAM is never placed there (the distributor is, which is not DMA-mapped).
 * INTx A-D of slot 0 are SPIs 3-6, swizzled by slot; the timer's PPIs are
 * the architected ones (secure 13, non-secure 14, virtual 11, hyp 10).
 * GIC interrupt numbers: an SPI n is INTID 32 + n, a PPI n is INTID 16 + n. */
#ifndef CONDUIT_ARM64_LAYOUT_H
#define CONDUIT_ARM64_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define ARM64_GICD_BASE         0x08000000ULL
#define ARM64_GICD_SIZE         0x00010000ULL
#define ARM64_GITS_BASE         0x08080000ULL
#define ARM64_GITS_SIZE         0x00020000ULL
#define ARM64_GICR_BASE         0x080a0000ULL
#define ARM64_GICR_SIZE_PER_CPU 0x00020000ULL   /* RD_base + SGI_base frames */
#define ARM64_MAX_VCPUS         64

#define ARM64_UART_BASE         0x09000000ULL
#define ARM64_UART_SIZE         0x00001000ULL
#define ARM64_UART_SPI          1               /* INTID 33, level-high */
#define ARM64_UART_CLOCK        1843200

#define ARM64_PCI_MMIO32_BASE   0x10000000ULL
#define ARM64_PCI_MMIO32_SIZE   0x2eff0000ULL
#define ARM64_PCI_IO_BASE       0x3eff0000ULL   /* CPU address of PCI I/O 0 */
#define ARM64_PCI_IO_SIZE       0x00010000ULL
#define ARM64_PCI_ECAM_BASE     0x3f000000ULL
#define ARM64_PCI_ECAM_SIZE     0x01000000ULL   /* 1 MiB per bus */
#define ARM64_PCI_BUSES         16
#define ARM64_PCI_MMIO64_BASE   0x8000000000ULL
#define ARM64_PCI_MMIO64_SIZE   0x8000000000ULL
#define ARM64_PCI_INTX_SPI      3               /* INTA of slot 0; B-D follow */
#define ARM64_PCI_INTX_SPIS     4

#define ARM64_RAM_BASE          0x40000000ULL
#define ARM64_RAM_MAX           (ARM64_PCI_MMIO64_BASE - ARM64_RAM_BASE)
#define ARM64_RAM_MIN           (64ULL << 20)

/* The IOVA window that Linux's SMMU drivers reserve for MSI doorbells. */
#define ARM64_MSI_IOVA_BASE     0x08000000ULL
#define ARM64_MSI_IOVA_SIZE     0x00100000ULL

#define ARM64_GIC_SPI_INTID(n)  (32 + (n))
#define ARM64_GIC_PPI_INTID(n)  (16 + (n))
#define ARM64_TIMER_PPI_SEC     13
#define ARM64_TIMER_PPI_NS      14
#define ARM64_TIMER_PPI_VIRT    11
#define ARM64_TIMER_PPI_HYP     10

/* The device tree's 2 MiB limit and the kernel's 2 MiB alignment
 * (booting.rst). */
#define ARM64_DTB_MAX           0x00200000ULL
#define ARM64_KERNEL_ALIGN      0x00200000ULL
/* booting.rst: the initrd must lie in a 1 GiB aligned window of at most
 * 32 GiB that also covers the kernel Image. */
#define ARM64_INITRD_WINDOW     (32ULL << 30)

/* One guest's map: the fixed addresses above plus what depends on the
 * RAM size and the vCPU count. */
struct arm64_layout {
	uint64_t ram_base, ram_size;
	uint64_t gicd_base, gicd_size;
	uint64_t gicr_base, gicr_size;          /* all redistributors */
	uint64_t its_base, its_size;
	uint64_t uart_base, uart_size;
	unsigned uart_spi;
	uint64_t ecam_base, ecam_size;
	unsigned bus_first, bus_last;
	uint64_t pci_io_base, pci_io_size;      /* CPU address, size */
	uint64_t mmio32_base, mmio32_size;
	uint64_t mmio64_base, mmio64_size;
	unsigned intx_spi;                      /* SPI of INTA on slot 0 */
	unsigned ncpus;
};

/* Fill l for ram_size bytes of RAM and ncpus vCPUs. -1 with a one-line err
 * when the RAM does not fit the map or ncpus is out of 1..64; the map is
 * also checked for overlaps and for RAM in the MSI doorbell window. */
int arm64_layout_init(struct arm64_layout *l, uint64_t ram_size, unsigned ncpus,
		      char *err, size_t errlen);

/* Check any layout (also a hand-made one): regions inside the 48-bit
 * guest physical space, no two overlapping, RAM outside the MSI doorbell
 * window. 0, or -1 with err naming the regions. */
int arm64_layout_check(const struct arm64_layout *l, char *err, size_t errlen);

/* The SPI that pin (1 = INTA .. 4 = INTD) of a device in slot raises: the
 * standard swizzle, (slot + pin - 1) mod 4 past l->intx_spi. */
unsigned arm64_pci_intx_spi(const struct arm64_layout *l, unsigned slot, unsigned pin);

/* The MPIDR affinity KVM gives vCPU i (Aff0 = i % 16, Aff1 = i / 16): the
 * reg of its cpu node. */
uint64_t arm64_vcpu_mpidr(unsigned i);

/* Where the kernel, initrd and device tree go in RAM. */
struct arm64_boot_plan {
	uint64_t kernel_addr;           /* = entry point: 2 MiB base + text_offset */
	uint64_t kernel_size;           /* bytes from kernel_addr the kernel owns */
	uint64_t initrd_addr, initrd_size;  /* size 0: no initrd */
	uint64_t dtb_addr;              /* 2 MiB aligned, ARM64_DTB_MAX bytes */
};

/* Plan a boot: the kernel at the RAM base (2 MiB aligned) + text_offset,
 * owning kernel_size bytes; the device tree in the top 2 MiB of RAM; the
 * initrd just below it (64 KiB aligned), inside the 32 GiB window from the
 * RAM base. 0, or ARM64_PLAN_ERR_KERNEL (the kernel or the device tree
 * does not fit) / ARM64_PLAN_ERR_INITRD with a one-line err. */
enum { ARM64_PLAN_ERR_KERNEL = -1, ARM64_PLAN_ERR_INITRD = -2 };
int arm64_boot_plan(const struct arm64_layout *l, uint64_t text_offset,
		    uint64_t kernel_size, uint64_t initrd_size,
		    struct arm64_boot_plan *p, char *err, size_t errlen);

struct iova_range;      /* vfio/backend.h: usable IOVA, inclusive */

/* Every RAM byte must be usable IOVA (n < 0: the IOMMU does not say, 0).
 * -1 with err naming the RAM range and the reserved hole it hits ("the
 * SMMU's MSI doorbell window" for 0x8000000-0x80fffff). */
int arm64_layout_check_iova(const struct arm64_layout *l,
			    const struct iova_range *r, int n,
			    char *err, size_t errlen);

#endif
