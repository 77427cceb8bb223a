/* The architecture interface: what the generic VMM (vmm/, devices/, vfio/)
 * asks of the architecture it runs on. There is one implementation per
 * architecture folder, vmm/x86/ and vmm/arm64/ (with boot/x86/ and
 * boot/arm64/ for the boot protocols and firmware tables); the Makefile
 * builds exactly one (ARCH=x86 or ARCH=arm64). Nothing outside those
 * folders asks which architecture it is on.
 *
 * The calls, in the order a boot makes them:
 *   arch_machine_check      the firmware and kernel files, no KVM yet
 *   arch_machine_plan       where kernel, initrd and command line go
 *   arch_vm_check_caps, arch_vm_type, arch_vm_init, arch_vm_memmap
 *                           building the KVM VM (vmm/vm.c)
 *   arch_machine_devices    the PCI bus's windows and config access, the
 *                           serial port on its bus, the arch's own devices
 *   arch_machine_load       kernel, initrd and firmware tables into RAM
 *   arch_vcpu_init, arch_vm_vcpus_created, arch_machine_boot_regs
 *   arch_vcpu_exit ...      while the guest runs
 *   arch_machine_teardown, arch_vm_destroy
 */
#ifndef CONDUIT_ARCH_H
#define CONDUIT_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arch_restore;
struct iova_range;
struct kvm_irq_routing_entry;
struct machine;
struct snapshot_writer;
struct vcpu;
struct vm;
struct vm_config;

/* --- the VM (vmm/vm.c) --- */

/* The KVM capabilities this architecture needs beyond the generic ones
 * (irqfd, ioeventfd, routing, user memory): 0, or -1 with a one-line err
 * naming the first one missing. */
int arch_vm_check_caps(int kvm_fd, char *err, size_t errlen);
/* KVM_CREATE_VM's argument (arm64: the IPA size; x86: 0). */
unsigned long arch_vm_type(int kvm_fd);
/* Right after KVM_CREATE_VM, before RAM: the VM-wide state the vCPUs
 * and the interrupt router need (x86: the supported CPUID, the TSS and
 * identity map, in-kernel IOAPIC/PIC and PIT; arm64: the GIC and ITS
 * devices, created but not yet initialised). Fills vm->arch. */
int arch_vm_init(struct vm *vm, char *err, size_t errlen);
/* The guest memory map for size bytes of RAM: vm->mem's RAM regions and
 * 64-bit PCI window (nothing allocated). 0, or -1 with a one-line err. */
int arch_vm_memmap(struct vm *vm, uint64_t size, char *err, size_t errlen);
/* Once every vCPU exists (arm64 initialises the GIC then). */
int arch_vm_vcpus_created(struct vm *vm, char *err, size_t errlen);
/* Frees vm->arch (safe on a VM arch_vm_init never reached). */
void arch_vm_destroy(struct vm *vm);

/* Whether all guest RAM is usable IOVA for a passed-through device's
 * IOMMU (r: n ranges, inclusive; n < 0: the IOMMU does not say). 0, or -1
 * with a one-line err naming the RAM range (arm64: and the reserved window
 * it hits, e.g. the SMMU's MSI doorbells). */
int arch_check_iova(const struct vm *vm, const struct iova_range *r, int n, char *err,
		    size_t errlen);

/* --- vCPUs (vmm/vcpu.c) --- */

/* After KVM_CREATE_VCPU and the kvm_run mmap: the vCPU's architectural
 * set-up (x86: CPUID, LAPIC; arm64: KVM_ARM_VCPU_INIT with PSCI). */
int arch_vcpu_init(struct vcpu *v, char *err, size_t errlen);

enum arch_exit {
	ARCH_EXIT_UNKNOWN,      /* not one the architecture handles */
	ARCH_EXIT_CONTINUE,     /* handled, run the vCPU again */
	ARCH_EXIT_STOP,         /* handled, this vCPU's loop ends */
};
/* The exits only the architecture knows (x86: port I/O; arm64: PSCI
 * system events). The generic loop handles MMIO and HLT itself. */
enum arch_exit arch_vcpu_exit(struct vcpu *v);
/* After a fatal exit: the registers, logged with pr_err. */
void arch_vcpu_report_regs(struct vcpu *v);
/* SIGUSR2: the vCPU's state in one log line (from its own thread). */
void arch_vcpu_report_state(struct vcpu *v);

/* --- interrupts (vmm/irq.c, devices/pci.h) --- */

/* Fill an MSI route for a message (addr, data) from the PCI requester
 * id devid (bus << 8 | devfn): 0, or -EINVAL for an address the
 * architecture's MSI controller does not decode. e->gsi is the caller's. */
int arch_msi_route(struct kvm_irq_routing_entry *e, uint64_t addr, uint32_t data,
		   uint32_t devid);
/* The GSI (irqfd number) of INTx pin (0 = INTA) of a bus-0 slot. */
unsigned arch_intx_gsi(unsigned slot, unsigned pin);
/* The routing table's fixed part, what KVM's default table holds (x86:
 * the PIC and IOAPIC pins; arm64: GSI n -> SPI n), into e (room for max);
 * returns how many, and sets *first_msi_gsi to the first GSI MSIs may take. */
unsigned arch_irq_default_routes(struct kvm_irq_routing_entry *e, unsigned max,
				 uint32_t *first_msi_gsi);
/* KVM_IRQ_LINE's irq field for a GSI (x86: the GSI; arm64: an SPI). */
uint32_t arch_irq_line(uint32_t gsi);

/* --- the machine (vmm/machine.c) --- */

/* The kernel's release ("6.1.0-57-amd64") from its file's header, for
 * conduit exec's modules: 0, or -1 when the header names none (any bytes
 * in: checked). */
int arch_kernel_release(const uint8_t *data, size_t len, char *out, size_t cap);
/* The kernel command line when the user gives none. */
const char *arch_default_cmdline(void);
/* Before any KVM object exists: the firmware (x86 --bios) and the
 * kernel file (m->kernel, mapped when given) checked; what they say is
 * kept in m->boot. Logs its one-line error. */
int arch_machine_check(struct machine *m, const struct vm_config *cfg);
/* Still before KVM, for a boot of m->kernel (not a restore): where the
 * kernel, the initrd (m->initrd) and the command line go in
 * cfg->mem_size of RAM. Logs its one-line error. */
int arch_machine_plan(struct machine *m, const struct vm_config *cfg, const char *cmdline);
/* The PCI bus on the architecture's windows and config access, what no
 * BAR may take, the serial port on its bus, the architecture's own
 * devices (x86: ACPI PM and hotplug, --bios's CMOS, fw_cfg, debug port).
 * Logs its one-line error. */
int arch_machine_devices(struct machine *m);
/* Kernel, initrd and the firmware tables (x86: ACPI, e820; arm64: the
 * device tree) into guest RAM. Logs its one-line error. */
int arch_machine_load(struct machine *m, const char *cmdline);
/* For a restore, instead of arch_machine_load: what the snapshot does not
 * carry and the restored guest still needs (x86 --bios: the firmware's
 * read-only slot below 4 GiB and the fw_cfg items, built from the same
 * arguments as at boot). Guest RAM is left zeroed: the snapshot fills it.
 * Logs its one-line error. */
int arch_machine_load_restore(struct machine *m, const char *cmdline);
/* The boot vCPU's registers at the kernel's entry (not for --bios or a
 * restore). Logs its one-line error. */
int arch_machine_boot_regs(struct machine *m);
/* What arch_machine_check and arch_machine_devices kept (safe twice,
 * and on a machine arch_machine_check never saw). */
void arch_machine_teardown(struct machine *m);

/* --- snapshots and migration (vmm/machine_snapshot.c) --- */

/* The VM's in-kernel state as one SNAPSHOT_REC_IRQCHIP record, and each
 * vCPU's as a SNAPSHOT_REC_VCPU record (index = vCPU id), of a paused
 * machine. 0, or -1 with a one-line err. */
int arch_snapshot_write_vm(struct machine *m, struct snapshot_writer *w, char *err,
			   size_t errlen);
int arch_snapshot_write_vcpus(struct machine *m, struct snapshot_writer *w, char *err,
			      size_t errlen);
/* A restore into m: begin (NULL with err when this host cannot take the
 * state), then each record's bytes (untrusted: decoded and checked), then
 * end (safe on NULL). */
struct arch_restore *arch_restore_begin(struct machine *m, char *err, size_t errlen);
int arch_restore_vm(struct arch_restore *r, struct vm *vm, const uint8_t *data, size_t len,
		    char *err, size_t errlen);
int arch_restore_vcpu(struct arch_restore *r, int vcpu_fd, int id, const uint8_t *data,
		      size_t len, char *err, size_t errlen);
void arch_restore_end(struct arch_restore *r);

#endif
