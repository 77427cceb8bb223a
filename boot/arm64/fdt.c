/* The arm64 guest's flattened device tree, written with libfdt's
 * sequential-write API from a description (fdt.h) into a caller's buffer:
 *
 *   /              linux,dummy-virt, #address-cells = #size-cells = 2
 *   chosen         bootargs, stdout-path, linux,initrd-start/-end
 *   memory@...     the RAM
 *   cpus/cpu@N     enable-method "psci", reg = the vCPU's MPIDR
 *   psci           arm,psci-0.2 by hvc (the kernel asks for the version)
 *   intc@...       arm,gic-v3: distributor and redistributors, with its
 *                  ITS child (arm,gic-v3-its, msi-controller)
 *   timer          arm,armv8-timer on the four architected PPIs
 *   serial@...     ns16550a on an SPI, the console
 *   pcie@...       pci-host-ecam-generic: ECAM, I/O + 32-bit + 64-bit
 *                  windows, INTx by interrupt-map, MSIs by msi-map
 *
 * No state outside the description; errors are one line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libfdt.h>
#include "fdt.h"

/* GIC interrupt specifier cells (bindings/interrupt-controller/arm,gic-v3). */
#define GIC_SPI             0
#define GIC_PPI             1
#define IRQ_LEVEL_HIGH      4

/* PCI address space codes in the first cell of a ranges child address. */
#define PCI_SPACE_IO        0x01000000u
#define PCI_SPACE_MEM32     0x02000000u
#define PCI_SPACE_MEM64     0x03000000u

#define MAP_CELLS           10      /* one interrupt-map entry */

static int prop_cells(void *fdt, const char *name, const uint32_t *cells, int n)
{
	fdt32_t be[MAP_CELLS * 16];     /* the largest: the interrupt-map */
	int i;

	if (n < 0 || n > (int)(sizeof(be) / sizeof(be[0])))
		return -FDT_ERR_INTERNAL;
	for (i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	return fdt_property(fdt, name, be, n * (int)sizeof(fdt32_t));
}

static uint32_t hi32(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

static uint32_t lo32(uint64_t v)
{
	return (uint32_t)v;
}

/* reg = <base size> with two cells each. */
static int prop_reg(void *fdt, uint64_t base, uint64_t size)
{
	uint32_t c[4] = { hi32(base), lo32(base), hi32(size), lo32(size) };

	return prop_cells(fdt, "reg", c, 4);
}

static int begin_node_at(void *fdt, const char *name, uint64_t addr)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s@%llx", name, (unsigned long long)addr);
	return fdt_begin_node(fdt, buf);
}

static int add_chosen(void *fdt, const struct arm64_fdt_desc *d)
{
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/serial@%llx", (unsigned long long)d->layout->uart_base);
	if ((r = fdt_begin_node(fdt, "chosen")) < 0 ||
	    (r = fdt_property_string(fdt, "stdout-path", path)) < 0)
		return r;
	if (d->bootargs && (r = fdt_property_string(fdt, "bootargs", d->bootargs)) < 0)
		return r;
	if (d->initrd_size &&
	    ((r = fdt_property_u64(fdt, "linux,initrd-start", d->initrd_start)) < 0 ||
	     (r = fdt_property_u64(fdt, "linux,initrd-end", d->initrd_start + d->initrd_size)) < 0))
		return r;
	return fdt_end_node(fdt);
}

static int add_memory(void *fdt, const struct arm64_layout *l)
{
	int r;

	if ((r = begin_node_at(fdt, "memory", l->ram_base)) < 0 ||
	    (r = fdt_property_string(fdt, "device_type", "memory")) < 0 ||
	    (r = prop_reg(fdt, l->ram_base, l->ram_size)) < 0)
		return r;
	return fdt_end_node(fdt);
}

static int add_cpu(void *fdt, unsigned i)
{
	uint64_t mpidr = arm64_vcpu_mpidr(i);
	int r;

	if ((r = begin_node_at(fdt, "cpu", mpidr)) < 0 ||
	    (r = fdt_property_string(fdt, "device_type", "cpu")) < 0 ||
	    (r = fdt_property_string(fdt, "compatible", "arm,arm-v8")) < 0 ||
	    (r = fdt_property_string(fdt, "enable-method", "psci")) < 0 ||
	    (r = fdt_property_u32(fdt, "reg", (uint32_t)mpidr)) < 0)
		return r;
	return fdt_end_node(fdt);
}

static int add_cpus(void *fdt, const struct arm64_layout *l)
{
	unsigned i;
	int r;

	if ((r = fdt_begin_node(fdt, "cpus")) < 0 ||
	    (r = fdt_property_u32(fdt, "#address-cells", 1)) < 0 ||
	    (r = fdt_property_u32(fdt, "#size-cells", 0)) < 0)
		return r;
	for (i = 0; i < l->ncpus; i++)
		if ((r = add_cpu(fdt, i)) < 0)
			return r;
	return fdt_end_node(fdt);
}

static int add_psci(void *fdt)
{
	int r;

	if ((r = fdt_begin_node(fdt, "psci")) < 0 ||
	    (r = fdt_property_string(fdt, "compatible", "arm,psci-0.2")) < 0 ||
	    (r = fdt_property_string(fdt, "method", "hvc")) < 0)
		return r;
	return fdt_end_node(fdt);
}

static int add_its(void *fdt, const struct arm64_layout *l)
{
	int r;

	if ((r = begin_node_at(fdt, "msi-controller", l->its_base)) < 0 ||
	    (r = fdt_property_string(fdt, "compatible", "arm,gic-v3-its")) < 0 ||
	    (r = fdt_property(fdt, "msi-controller", NULL, 0)) < 0 ||
	    (r = fdt_property_u32(fdt, "#msi-cells", 1)) < 0 ||
	    (r = prop_reg(fdt, l->its_base, l->its_size)) < 0 ||
	    (r = fdt_property_u32(fdt, "phandle", ARM64_FDT_PHANDLE_ITS)) < 0)
		return r;
	return fdt_end_node(fdt);
}

static int add_gic(void *fdt, const struct arm64_fdt_desc *d)
{
	const struct arm64_layout *l = d->layout;
	uint32_t reg[8] = {
		hi32(l->gicd_base), lo32(l->gicd_base), hi32(l->gicd_size), lo32(l->gicd_size),
		hi32(l->gicr_base), lo32(l->gicr_base), hi32(l->gicr_size), lo32(l->gicr_size),
	};
	int r;

	if ((r = begin_node_at(fdt, "intc", l->gicd_base)) < 0 ||
	    (r = fdt_property_string(fdt, "compatible", "arm,gic-v3")) < 0 ||
	    (r = fdt_property_u32(fdt, "#interrupt-cells", 3)) < 0 ||
	    (r = fdt_property(fdt, "interrupt-controller", NULL, 0)) < 0 ||
	    (r = prop_cells(fdt, "reg", reg, 8)) < 0 ||
	    (r = fdt_property_u32(fdt, "#redistributor-regions", 1)) < 0 ||
	    (r = fdt_property_u32(fdt, "#address-cells", 2)) < 0 ||
	    (r = fdt_property_u32(fdt, "#size-cells", 2)) < 0 ||
	    (r = fdt_property(fdt, "ranges", NULL, 0)) < 0 ||
	    (r = fdt_property_u32(fdt, "phandle", ARM64_FDT_PHANDLE_GIC)) < 0)
		return r;
	if (d->its && (r = add_its(fdt, l)) < 0)
		return r;
	return fdt_end_node(fdt);
}

static int add_timer(void *fdt)
{
	static const char compat[] = "arm,armv8-timer\0arm,armv7-timer";
	uint32_t irqs[12] = {
		GIC_PPI, ARM64_TIMER_PPI_SEC, IRQ_LEVEL_HIGH,
		GIC_PPI, ARM64_TIMER_PPI_NS, IRQ_LEVEL_HIGH,
		GIC_PPI, ARM64_TIMER_PPI_VIRT, IRQ_LEVEL_HIGH,
		GIC_PPI, ARM64_TIMER_PPI_HYP, IRQ_LEVEL_HIGH,
	};
	int r;

	if ((r = fdt_begin_node(fdt, "timer")) < 0 ||
	    (r = fdt_property(fdt, "compatible", compat, sizeof(compat))) < 0 ||
	    (r = prop_cells(fdt, "interrupts", irqs, 12)) < 0 ||
	    (r = fdt_property(fdt, "always-on", NULL, 0)) < 0)
		return r;
	return fdt_end_node(fdt);
}

static int add_uart(void *fdt, const struct arm64_layout *l)
{
	uint32_t irq[3] = { GIC_SPI, l->uart_spi, IRQ_LEVEL_HIGH };
	int r;

	if ((r = begin_node_at(fdt, "serial", l->uart_base)) < 0 ||
	    (r = fdt_property_string(fdt, "compatible", "ns16550a")) < 0 ||
	    (r = prop_reg(fdt, l->uart_base, l->uart_size)) < 0 ||
	    (r = prop_cells(fdt, "interrupts", irq, 3)) < 0 ||
	    (r = fdt_property_u32(fdt, "clock-frequency", ARM64_UART_CLOCK)) < 0 ||
	    (r = fdt_property_u32(fdt, "reg-shift", 0)) < 0 ||
	    (r = fdt_property_u32(fdt, "reg-io-width", 1)) < 0)
		return r;
	return fdt_end_node(fdt);
}

/* ranges: PCI I/O from 0, the 32-bit window 1:1, the 64-bit window 1:1. */
static int add_pci_ranges(void *fdt, const struct arm64_layout *l)
{
	uint32_t c[21] = {
		PCI_SPACE_IO, 0, 0,
		hi32(l->pci_io_base), lo32(l->pci_io_base),
		hi32(l->pci_io_size), lo32(l->pci_io_size),
		PCI_SPACE_MEM32, hi32(l->mmio32_base), lo32(l->mmio32_base),
		hi32(l->mmio32_base), lo32(l->mmio32_base),
		hi32(l->mmio32_size), lo32(l->mmio32_size),
		PCI_SPACE_MEM64, hi32(l->mmio64_base), lo32(l->mmio64_base),
		hi32(l->mmio64_base), lo32(l->mmio64_base),
		hi32(l->mmio64_size), lo32(l->mmio64_size),
	};

	return prop_cells(fdt, "ranges", c, 21);
}

/* INTx: the mask keeps the low two bits of the device number and the pin,
 * so 4 slots x 4 pins cover every slot with the standard swizzle. Each
 * entry: child address (3), pin (1), GIC phandle (1), GIC unit address
 * (2, its #address-cells), GIC specifier (3). */
static int add_pci_intx(void *fdt, const struct arm64_layout *l)
{
	static const uint32_t mask[4] = { 0x1800, 0, 0, 7 };
	uint32_t map[16 * MAP_CELLS], *e = map;
	unsigned slot, pin;
	int r;

	for (slot = 0; slot < 4; slot++)
		for (pin = 1; pin <= 4; pin++, e += MAP_CELLS) {
			uint32_t entry[MAP_CELLS] = {
				slot << 11, 0, 0, pin, ARM64_FDT_PHANDLE_GIC, 0, 0,
				GIC_SPI, arm64_pci_intx_spi(l, slot, pin), IRQ_LEVEL_HIGH,
			};

			memcpy(e, entry, sizeof(entry));
		}
	if ((r = prop_cells(fdt, "interrupt-map-mask", mask, 4)) < 0)
		return r;
	return prop_cells(fdt, "interrupt-map", map, 16 * MAP_CELLS);
}

static int add_pci(void *fdt, const struct arm64_fdt_desc *d)
{
	const struct arm64_layout *l = d->layout;
	uint32_t bus_range[2] = { l->bus_first, l->bus_last };
	/* Requester ids 0-0xffff to the ITS, device id = requester id. */
	uint32_t msi_map[4] = { 0, ARM64_FDT_PHANDLE_ITS, 0, 0x10000 };
	int r;

	if ((r = begin_node_at(fdt, "pcie", l->ecam_base)) < 0 ||
	    (r = fdt_property_string(fdt, "compatible", "pci-host-ecam-generic")) < 0 ||
	    (r = fdt_property_string(fdt, "device_type", "pci")) < 0 ||
	    (r = prop_reg(fdt, l->ecam_base, l->ecam_size)) < 0 ||
	    (r = prop_cells(fdt, "bus-range", bus_range, 2)) < 0 ||
	    (r = fdt_property_u32(fdt, "linux,pci-domain", 0)) < 0 ||
	    (r = fdt_property_u32(fdt, "#address-cells", 3)) < 0 ||
	    (r = fdt_property_u32(fdt, "#size-cells", 2)) < 0 ||
	    (r = fdt_property_u32(fdt, "#interrupt-cells", 1)) < 0 ||
	    (r = fdt_property(fdt, "dma-coherent", NULL, 0)) < 0 ||
	    (r = add_pci_ranges(fdt, l)) < 0 ||
	    (r = add_pci_intx(fdt, l)) < 0)
		return r;
	if (d->its && (r = prop_cells(fdt, "msi-map", msi_map, 4)) < 0)
		return r;
	return fdt_end_node(fdt);
}

static int add_root(void *fdt, const struct arm64_fdt_desc *d)
{
	int r;

	if ((r = fdt_begin_node(fdt, "")) < 0 ||
	    (r = fdt_property_string(fdt, "compatible", "linux,dummy-virt")) < 0 ||
	    (r = fdt_property_string(fdt, "model", "conduit")) < 0 ||
	    (r = fdt_property_u32(fdt, "#address-cells", 2)) < 0 ||
	    (r = fdt_property_u32(fdt, "#size-cells", 2)) < 0 ||
	    (r = fdt_property_u32(fdt, "interrupt-parent", ARM64_FDT_PHANDLE_GIC)) < 0 ||
	    (r = add_chosen(fdt, d)) < 0 ||
	    (r = add_memory(fdt, d->layout)) < 0 ||
	    (r = add_cpus(fdt, d->layout)) < 0 ||
	    (r = add_psci(fdt)) < 0 ||
	    (r = add_gic(fdt, d)) < 0 ||
	    (r = add_timer(fdt)) < 0 ||
	    (r = add_uart(fdt, d->layout)) < 0 ||
	    (r = add_pci(fdt, d)) < 0)
		return r;
	return fdt_end_node(fdt);
}

static int check_desc(const struct arm64_fdt_desc *d, size_t cap, char *err, size_t errlen)
{
	const struct arm64_layout *l = d->layout;

	if (!l || l->ncpus < 1 || l->ncpus > ARM64_MAX_VCPUS) {
		snprintf(err, errlen, "device tree: no layout, or a vCPU count out of 1..%u",
			 ARM64_MAX_VCPUS);
		return -1;
	}
	if (d->initrd_size && (d->initrd_start < l->ram_base ||
			       d->initrd_start - l->ram_base > l->ram_size ||
			       d->initrd_size > l->ram_size - (d->initrd_start - l->ram_base))) {
		snprintf(err, errlen, "device tree: the initrd 0x%llx+0x%llx is not in guest RAM",
			 (unsigned long long)d->initrd_start, (unsigned long long)d->initrd_size);
		return -1;
	}
	if (cap > INT32_MAX) {
		snprintf(err, errlen, "device tree: buffer of %zu bytes is too large", cap);
		return -1;
	}
	return 0;
}

int arm64_fdt_build(const struct arm64_fdt_desc *d, void *buf, size_t cap,
		    char *err, size_t errlen)
{
	int r;

	if (check_desc(d, cap, err, errlen))
		return -1;
	if ((r = fdt_create(buf, (int)cap)) < 0 ||
	    (r = fdt_finish_reservemap(buf)) < 0 ||
	    (r = add_root(buf, d)) < 0 ||
	    (r = fdt_finish(buf)) < 0) {
		if (r == -FDT_ERR_NOSPACE)
			snprintf(err, errlen, "device tree does not fit in %zu bytes%s", cap,
				 d->bootargs && strlen(d->bootargs) >= cap / 2 ?
				 " (the command line is too long)" : "");
		else
			snprintf(err, errlen, "device tree: %s", fdt_strerror(r));
		return -1;
	}
	if (fdt_totalsize(buf) > ARM64_DTB_MAX) {
		snprintf(err, errlen, "device tree of %u bytes is over the 2 MiB the kernel takes",
			 fdt_totalsize(buf));
		return -1;
	}
	return (int)fdt_totalsize(buf);
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int arm64_fdt_dump(const struct arm64_fdt_desc *d, const char *path,
		   char *err, size_t errlen)
{
	uint8_t *blob = malloc(ARM64_DTB_MAX);
	int size, fd, bad;

	if (!blob) {
		snprintf(err, errlen, "device tree: out of memory");
		return -1;
	}
	size = arm64_fdt_build(d, blob, ARM64_DTB_MAX, err, errlen);
	if (size < 0) {
		free(blob);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(blob);
		return -1;
	}
	bad = write_all(fd, blob, (size_t)size);
	if (bad)
		snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
	if (close(fd) && !bad) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		bad = 1;
	}
	free(blob);
	if (bad)
		unlink(path);
	return bad ? -1 : 0;
}
