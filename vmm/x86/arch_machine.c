/* x86's machine part of vmm/arch.h: the bzImage (or --bios's firmware)
 * checked and placed before KVM, the PCI bus with CF8/CFC and ECAM on
 * x86's windows, the serial port at 0x3f8 on IRQ 4, ACPI power management
 * and hotplug, the firmware's devices (CMOS, fw_cfg, debug port), the
 * ACPI tables and the kernel in guest RAM, and the boot vCPU's registers
 * at the 64-bit entry. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../../boot/x86/acpi.h"
#include "../../boot/x86/bzimage.h"
#include "../../boot/x86/cpu_state.h"
#include "../../boot/x86/firmware.h"
#include "../../boot/x86/firmware_cfg.h"
#include "../../boot/x86/fw_linux.h"
#include "../arch.h"
#include "../hotplug.h"
#include "../log.h"
#include "../machine_internal.h"
#include "arch_x86.h"

#define ERRLEN 512

/* What the checks found, for the loads after KVM exists. */
struct arch_boot {
	struct bzimage bz;
	struct boot_layout lay;
};

int arch_kernel_release(const uint8_t *data, size_t len, char *out, size_t cap)
{
	return bzimage_release(data, len, out, cap);
}

const char *arch_default_cmdline(void)
{
	return "console=ttyS0";
}

/* Whether an earlier boot of this conduit run opened --bios-log. */
static bool bios_log_started;

/* --bios: the image, and the log file, opened now so a bad path fails
 * before any VM exists. The first boot creates or truncates the log; a
 * reboot's firmware output follows in the same file (the sandbox, on by
 * then, lets no file be truncated or created but new). */
static int check_bios(struct machine *m, const struct vm_config *cfg)
{
	int flags = bios_log_started ? O_WRONLY | O_APPEND : O_WRONLY | O_CREAT | O_TRUNC;
	char err[ERRLEN];

	m->bios = true;
	if (firmware_load(cfg->bios, &m->fw, err, sizeof(err))) {
		pr_err("%s", err);
		return -1;
	}
	if (!cfg->bios_log)
		return 0;
	m->bios_log_fd = open(cfg->bios_log, flags | O_CLOEXEC, 0644);
	if (m->bios_log_fd < 0) {
		pr_err("--bios-log %s: %s", cfg->bios_log, strerror(errno));
		return -1;
	}
	bios_log_started = true;
	return 0;
}

int arch_machine_check(struct machine *m, const struct vm_config *cfg)
{
	char err[ERRLEN];

	m->boot = calloc(1, sizeof(*m->boot));
	if (!m->boot) {
		pr_err("out of memory");
		return -1;
	}
	if (cfg->dump_dtb) {
		pr_err("--dump-dtb %s: an x86 guest has ACPI tables, not a device tree "
		       "(--dump-dtb is for arm64)", cfg->dump_dtb);
		return -1;
	}
	if (cfg->bios && check_bios(m, cfg))
		return -1;
	if (m->kernel.data &&
	    bzimage_parse(m->kernel.data, m->kernel.len, &m->boot->bz, err, sizeof(err))) {
		pr_err("kernel %s: %s", cfg->kernel, err);
		return -1;
	}
	return 0;
}

int arch_machine_plan(struct machine *m, const struct vm_config *cfg, const char *cmdline)
{
	char err[ERRLEN];
	struct guest_mem gm;

	if (m->bios)
		return 0;       /* the firmware loads the kernel: fw_linux_setup checks it */
	memmap_layout(&gm, cfg->mem_size);
	switch (bzimage_plan(&m->boot->bz, &gm, m->initrd.len, strlen(cmdline), &m->boot->lay,
			     err, sizeof(err))) {
	case 0:
		return 0;
	case BOOT_ERR_INITRD:
		pr_err("initrd %s: %s", cfg->initrd ? cfg->initrd : "(conduit exec's)", err);
		return -1;
	case BOOT_ERR_CMDLINE:
		pr_err("--cmdline: %s", err);
		return -1;
	default:
		pr_err("kernel %s: %s", cfg->kernel, err);
		return -1;
	}
}

static void serial_irq(void *opaque, int level)
{
	struct machine *m = opaque;

	irq_line(m->vm.vm_fd, SERIAL_IRQ, level);
}

/* The ACPI SCI (PM1 events, GPE0), level-triggered on GSI 9. */
static void acpi_sci(void *opaque, int level)
{
	struct vm *vm = opaque;

	irq_line(vm->vm_fd, ACPI_SCI_IRQ, level);
}

static void guest_poweroff(void *opaque)
{
	vm_request_exit(opaque, EXIT_POWEROFF);
}

static void guest_reset(void *opaque)
{
	vm_request_exit(opaque, EXIT_REBOOT);
}

static void *fw_cfg_gpa(void *opaque, uint64_t gpa, uint64_t len)
{
	return gpa_to_hva(opaque, gpa, len);
}

/* CMOS, fw_cfg and the debug port: what the firmware talks to. */
static int setup_firmware_devices(struct machine *m)
{
	struct vm *vm = &m->vm;

	m->fwcfg = calloc(1, sizeof(*m->fwcfg));
	if (!m->fwcfg || fw_cfg_init(m->fwcfg, fw_cfg_gpa, &vm->mem) ||
	    fw_cfg_attach(m->fwcfg, &vm->pio) ||
	    cmos_init(&m->cmos, &vm->mem, vm->n_cpus) || cmos_attach(&m->cmos, &vm->pio) ||
	    debugcon_init(&m->dbg, m->bios_log_fd, &vm->pio)) {
		pr_err("firmware device setup failed");
		return -1;
	}
	m->bios_log_fd = -1;    /* the debug port owns it now */
	return 0;
}

/* What no memory BAR may decode over: guest RAM, the IOAPIC, the LAPIC
 * and MSI window, KVM's identity map and TSS pages, and the firmware image
 * (ECAM the bus reserves itself). */
static int reserve_fixed_ranges(struct machine *m)
{
	const struct guest_mem *gm = &m->vm.mem;
	int i, ret = 0;

	for (i = 0; i < gm->n_ram; i++)
		ret |= pci_bus_reserve(&m->pci, gm->ram[i].gpa, gm->ram[i].size);
	ret |= pci_bus_reserve(&m->pci, MEM_IOAPIC_START, 0x1000);
	ret |= pci_bus_reserve(&m->pci, MEM_LAPIC_START, MEM_MSI_SIZE);
	ret |= pci_bus_reserve(&m->pci, MEM_KVM_IDMAP, 0x4000);  /* + the 3 TSS pages */
	if (m->bios)
		ret |= pci_bus_reserve(&m->pci, MEM_4G - m->fw.size, m->fw.size);
	return ret;
}

int arch_machine_devices(struct machine *m)
{
	struct vm *vm = &m->vm;

	if (pci_bus_init(&m->pci, &vm->pio, &vm->mmio, MEM_ECAM_START,
			 m->bios ? FIRMWARE_PCI32_START : MEM_PCI32_START,
			 m->bios ? FIRMWARE_PCI32_SIZE : MEM_PCI32_SIZE,
			 vm->mem.pci64_base, vm->mem.pci64_size)) {
		pr_err("PCI bus setup failed");
		return -1;
	}
	if (reserve_fixed_ranges(m)) {
		pr_err("PCI bus setup failed: too many reserved ranges");
		return -1;
	}
	m->serial.set_irq = serial_irq;
	m->pm.poweroff = guest_poweroff;
	m->pm.reset = guest_reset;
	m->pm.set_sci = acpi_sci;
	m->pm.opaque = vm;
	if (io_bus_add(&vm->pio, SERIAL_PORT, 8, serial_read, serial_write, &m->serial,
		       "serial") || acpi_pm_init(&m->pm, &vm->pio) ||
	    acpi_hotplug_init(&m->hp, &vm->pio, &m->pm, ACPI_HOTPLUG_SLOTS_ALL,
			      hotplug_guest_ejected, m->ctl)) {
		pr_err("legacy device setup failed");
		return -1;
	}
	m->acpi = true;
	if (m->bios && setup_firmware_devices(m))
		return -1;
	return 0;
}

/* --bios: the ACPI tables at the top of low RAM, handed over through the
 * table loader. On a boot they are built in RAM; a restore builds them in
 * a scratch buffer, for the RSDP that fw_cfg carries, and leaves RAM (the
 * tables as the guest left them) to the snapshot. Returns the RSDP in the
 * tables built, or NULL; *scratch is the buffer to free (NULL on a boot). */
static uint8_t *firmware_acpi(struct machine *m, bool in_ram, uint8_t **scratch)
{
	struct vm *vm = &m->vm;
	uint64_t base = firmware_acpi_base(&vm->mem);
	struct acpi_params ap = {
		.n_cpus = vm->n_cpus,
		.ecam_base = MEM_ECAM_START, .ecam_size = PCI_ECAM_BUS_SIZE,
		.pci32_base = FIRMWARE_PCI32_START, .pci32_size = FIRMWARE_PCI32_SIZE,
		.pci64_base = vm->mem.pci64_base, .pci64_size = vm->mem.pci64_size,
		.hotplug_slots = ACPI_HOTPLUG_SLOTS_ALL,
	};
	uint8_t *acpi;
	uint64_t at;

	*scratch = NULL;
	if (in_ram)
		acpi = gpa_to_hva(&vm->mem, base, FIRMWARE_ACPI_SIZE);
	else
		acpi = *scratch = calloc(1, FIRMWARE_ACPI_SIZE);
	at = acpi ? acpi_build(&ap, acpi, base, FIRMWARE_ACPI_SIZE) : 0;
	if (!at) {
		pr_err("ACPI tables do not fit at 0x%llx", (unsigned long long)base);
		return NULL;
	}
	return acpi + (at - base);
}

/* --bios: the fw_cfg items (the RSDP among them), the firmware's read-only
 * slot below 4 GiB and, with in_ram (a boot, not a restore), what the
 * firmware finds in RAM at reset: the ACPI tables and its shadow copy. */
static int load_firmware(struct machine *m, const char *cmdline, bool in_ram)
{
	struct vm *vm = &m->vm;
	uint8_t *rsdp, *scratch;
	char err[ERRLEN];
	int ret;

	rsdp = firmware_acpi(m, in_ram, &scratch);
	ret = rsdp ? firmware_cfg_fill(m->fwcfg, &vm->mem, vm->n_cpus, rsdp, 36) : -1;
	free(scratch);
	if (!rsdp)
		return -1;
	if (ret) {
		pr_err("firmware configuration does not fit in fw_cfg");
		return -1;
	}
	if (firmware_map(&m->fw, vm->vm_fd, memslot_alloc(&vm->slots), err, sizeof(err)) ||
	    (in_ram && firmware_shadow(&m->fw, &vm->mem, err, sizeof(err)))) {
		pr_err("%s", err);
		return -1;
	}
	if (m->kernel.data && fw_linux_setup(m->fwcfg, &m->boot->bz, m->initrd.data,
					     m->initrd.len, cmdline, firmware_acpi_base(&vm->mem),
					     err, sizeof(err))) {
		pr_err("kernel %s through the firmware: %s", m->kernel_path, err);
		return -1;
	}
	/* The firmware boots conduit's option ROM first. */
	if (m->kernel.data && fw_cfg_add_file(m->fwcfg, "bootorder", FW_LINUX_BOOTORDER "\n",
					      strlen(FW_LINUX_BOOTORDER "\n"))) {
		pr_err("firmware configuration does not fit in fw_cfg");
		return -1;
	}
	pr_info("firmware %s (%zu KiB) at 0x%llx", m->fw.path, m->fw.size >> 10,
		(unsigned long long)(MEM_4G - m->fw.size));
	return 0;
}

static int load_kernel(struct machine *m, const char *cmdline)
{
	struct vm *vm = &m->vm;
	struct acpi_params ap = {
		.n_cpus = vm->n_cpus,
		.ecam_base = MEM_ECAM_START, .ecam_size = PCI_ECAM_BUS_SIZE,  /* bus 0 only */
		.pci32_base = MEM_PCI32_START, .pci32_size = MEM_PCI32_SIZE,
		.pci64_base = vm->mem.pci64_base, .pci64_size = vm->mem.pci64_size,
		.hotplug_slots = ACPI_HOTPLUG_SLOTS_ALL,
	};
	uint8_t *acpi = gpa_to_hva(&vm->mem, MEM_ACPI_START, MEM_ACPI_SIZE);
	char err[ERRLEN];
	uint64_t rsdp;

	rsdp = acpi ? acpi_build(&ap, acpi, MEM_ACPI_START, MEM_ACPI_SIZE) : 0;
	if (!rsdp) {
		pr_err("ACPI tables do not fit below 1 MiB");
		return -1;
	}
	if (boot_write_tables(&vm->mem, vm_has_la57(vm)) ||
	    bzimage_load(&m->boot->bz, &vm->mem, &m->boot->lay, m->initrd.data, cmdline, rsdp,
			 err, sizeof(err))) {
		pr_err("loading the kernel: %s", err);
		return -1;
	}
	return 0;
}

int arch_machine_load(struct machine *m, const char *cmdline)
{
	return m->bios ? load_firmware(m, cmdline, true) : load_kernel(m, cmdline);
}

/* --bios: the same fw_cfg items and firmware slot as at boot, RAM left to
 * the snapshot. A direct boot wrote only RAM, which is all in the
 * snapshot. */
int arch_machine_load_restore(struct machine *m, const char *cmdline)
{
	return m->bios ? load_firmware(m, cmdline, false) : 0;
}

int arch_machine_boot_regs(struct machine *m)
{
	int ret = boot_set_regs(m->vcpus[0].fd, m->boot->lay.entry, m->boot->lay.zero_page_addr,
				vm_has_la57(&m->vm));

	if (ret) {
		pr_err("setting boot registers: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

void arch_machine_teardown(struct machine *m)
{
	if (m->fwcfg) {
		debugcon_close(&m->dbg);
		fw_cfg_destroy(m->fwcfg);
		free(m->fwcfg);
		m->fwcfg = NULL;
	}
	if (m->bios_log_fd >= 0)
		close(m->bios_log_fd);
	m->bios_log_fd = -1;
	firmware_free(&m->fw);
	free(m->boot);
	m->boot = NULL;
}
