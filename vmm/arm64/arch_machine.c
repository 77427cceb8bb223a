/* arm64's machine part of vmm/arch.h: the Image checked and, with the
 * initrd and the device tree, planned into the memory map of
 * vmm/arm64/layout.h before KVM (boot/arm64/boot.c; --dump-dtb writes that
 * plan's blob), the PCI bus on ECAM only with its I/O window reached
 * through MMIO, the 16550 UART on MMIO at SPI 1, the kernel, initrd and
 * device tree in guest RAM, and the boot vCPU at the Image's entry with
 * X0 = the device tree. No firmware (--bios), ACPI power button or ACPI
 * hotplug on arm64. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../boot/arm64/boot.h"
#include "../arch.h"
#include "../log.h"
#include "../machine_internal.h"
#include "arch_arm64.h"
#include "vcpu_init.h"

#define ERRLEN 512

struct arch_boot {
	struct arm64_boot b;
};

/* An Image's header names no release (conduit exec's modules). */
int arch_kernel_release(const uint8_t *data, size_t len, char *out, size_t cap)
{
	(void)data;
	(void)len;
	(void)out;
	(void)cap;
	return -1;
}

const char *arch_default_cmdline(void)
{
	return "console=ttyS0";
}

int arch_machine_check(struct machine *m, const struct vm_config *cfg)
{
	char err[ERRLEN];

	m->boot = calloc(1, sizeof(*m->boot));
	if (!m->boot) {
		pr_err("out of memory");
		return -1;
	}
	if (cfg->bios) {
		pr_err("--bios %s: firmware boot is x86's; an arm64 guest boots its --kernel "
		       "Image directly", cfg->bios);
		return -1;
	}
	if (cfg->dump_dtb && (cfg->restore || cfg->incoming)) {
		pr_err("--dump-dtb %s: a restored guest keeps the device tree it booted "
		       "with; give --kernel without --restore or --incoming", cfg->dump_dtb);
		return -1;
	}
	if (cfg->dump_dtb && !m->kernel.data) {
		pr_err("--dump-dtb %s needs --kernel (the device tree names where the "
		       "initrd goes)", cfg->dump_dtb);
		return -1;
	}
	if (m->kernel.data && arm64_image_parse(m->kernel.data, m->kernel.len,
						&m->boot->b.image, err, sizeof(err))) {
		pr_err("kernel %s: %s", cfg->kernel, err);
		return -1;
	}
	return 0;
}

int arch_machine_plan(struct machine *m, const struct vm_config *cfg, const char *cmdline)
{
	char err[ERRLEN];
	int ret;

	ret = arm64_boot_prepare(&m->boot->b, m->kernel.data, m->kernel.len, m->initrd.len,
				 cfg->mem_size, (unsigned)cfg->cpus, cmdline, true, err, sizeof(err));
	switch (ret) {
	case 0:
		break;
	case ARM64_BOOT_ERR_INITRD:
		pr_err("initrd %s: %s", cfg->initrd ? cfg->initrd : "(conduit exec's)", err);
		return -1;
	case ARM64_BOOT_ERR_CMDLINE:
		pr_err("--cmdline: %s", err);
		return -1;
	case ARM64_BOOT_ERR_KERNEL:
		pr_err("kernel %s: %s", cfg->kernel, err);
		return -1;
	default:
		pr_err("%s", err);
		return -1;
	}
	if (!cfg->dump_dtb)
		return 0;
	if (arm64_boot_dump_dtb(&m->boot->b, cfg->dump_dtb, err, sizeof(err))) {
		pr_err("--dump-dtb %s: %s", cfg->dump_dtb, err);
		return -1;
	}
	pr_info("device tree written to %s", cfg->dump_dtb);
	m->dumped = true;
	return 0;
}

static void serial_irq(void *opaque, int level)
{
	struct machine *m = opaque;

	irq_line(m->vm.vm_fd, ARM64_UART_SPI, level);
}

/* The PCI I/O window: CPU MMIO at pci_io_base + port is PCI I/O port
 * `port` on the port I/O bus (where I/O BARs are). devices_lock is held. */
static uint64_t pio_window_read(void *opaque, uint64_t off, unsigned size)
{
	struct vm *vm = opaque;

	if (size != 1 && size != 2 && size != 4)
		return ~0ULL;
	return io_bus_read(&vm->pio, off, size);
}

static void pio_window_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct vm *vm = opaque;

	if (size == 1 || size == 2 || size == 4)
		io_bus_write(&vm->pio, off, size, v);
}

/* What no memory BAR may decode over: guest RAM, the GIC's frames, the
 * UART and the I/O window (ECAM the bus reserves itself). */
static int reserve_fixed_ranges(struct machine *m)
{
	const struct arm64_layout *l = &m->vm.arch->layout;
	int ret = 0;

	ret |= pci_bus_reserve(&m->pci, l->ram_base, l->ram_size);
	ret |= pci_bus_reserve(&m->pci, l->gicd_base, l->gicd_size);
	ret |= pci_bus_reserve(&m->pci, l->its_base, l->its_size);
	ret |= pci_bus_reserve(&m->pci, l->gicr_base, l->gicr_size);
	ret |= pci_bus_reserve(&m->pci, l->uart_base, l->uart_size);
	ret |= pci_bus_reserve(&m->pci, l->pci_io_base, l->pci_io_size);
	return ret;
}

int arch_machine_devices(struct machine *m)
{
	struct vm *vm = &m->vm;
	const struct arm64_layout *l = &vm->arch->layout;

	if (pci_bus_init_ecam(&m->pci, &vm->pio, &vm->mmio, l->ecam_base,
			      l->bus_last - l->bus_first + 1, l->mmio32_base, l->mmio32_size,
			      l->mmio64_base, l->mmio64_size)) {
		pr_err("PCI bus setup failed");
		return -1;
	}
	if (reserve_fixed_ranges(m)) {
		pr_err("PCI bus setup failed: too many reserved ranges");
		return -1;
	}
	m->serial.set_irq = serial_irq;
	if (io_bus_add(&vm->mmio, l->pci_io_base, l->pci_io_size, pio_window_read,
		       pio_window_write, vm, "PCI I/O window") ||
	    io_bus_add(&vm->mmio, l->uart_base, 8, serial_read, serial_write, &m->serial,
		       "serial")) {
		pr_err("device setup failed: too many MMIO ranges");
		return -1;
	}
	return 0;
}

int arch_machine_load_restore(struct machine *m, const char *cmdline)
{
	(void)m;
	(void)cmdline;
	return 0;               /* the device tree and kernel are in the snapshot's RAM */
}

int arch_machine_load(struct machine *m, const char *cmdline)
{
	char err[ERRLEN];

	(void)cmdline;          /* in the plan already */
	if (arm64_boot_load(&m->boot->b, &m->vm.mem, m->initrd.data, err, sizeof(err))) {
		pr_err("loading the kernel: %s", err);
		return -1;
	}
	return 0;
}

int arch_machine_boot_regs(struct machine *m)
{
	char err[ERRLEN];

	if (arm64_vcpu_set_boot(m->vcpus[0].fd, m->boot->b.plan.kernel_addr,
				m->boot->b.plan.dtb_addr, err, sizeof(err))) {
		pr_err("setting boot registers: %s", err);
		return -1;
	}
	return 0;
}

void arch_machine_teardown(struct machine *m)
{
	free(m->boot);
	m->boot = NULL;
}
