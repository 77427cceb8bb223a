/* x86's vCPU part of vmm/arch.h: each vCPU gets KVM's supported CPUID
 * with its own APIC id and a LAPIC wired for virtual-wire mode; port I/O
 * exits go to the port I/O bus; the register dump after a fault and the
 * SIGUSR2 state line (vmm/x86/vcpu_state.c) read x86 state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "../arch.h"
#include "../log.h"
#include "../vcpu.h"
#include "../vm.h"
#include "arch_x86.h"
#include "vcpu_state.h"

#define CPUID_HYPERVISOR     (1U << 31)
#define CPUID_TSC_DEADLINE   (1U << 24)
#define CPUID_HTT            (1U << 28)
#define MSR_IA32_TSC         0x10
#define MSR_IA32_TSCDEADLINE 0x6e0

static int set_cpuid(struct vcpu *v)
{
	struct vm *vm = v->vm;
	const struct kvm_cpuid2 *base = vm->arch->cpuid;
	size_t sz = sizeof(*base) + base->nent * sizeof(base->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	uint32_t i;
	int ret;

	if (!c)
		return -ENOMEM;
	memcpy(c, base, sz);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x0000ffff) | (uint32_t)v->id << 24 |
				 (uint32_t)(vm->n_cpus & 0xff) << 16;
			e->ecx |= CPUID_HYPERVISOR;
			if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
				e->ecx |= CPUID_TSC_DEADLINE;
			if (vm->n_cpus > 1)
				e->edx |= CPUID_HTT;
			break;
		case 0xb:
		case 0x1f:
			e->edx = (uint32_t)v->id;
			break;
		case 0x8000001e:
			e->eax = (uint32_t)v->id;
			break;
		}
	}
	ret = ioctl(v->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	return ret;
}

/* LINT0 delivers the 8259's ExtINT, LINT1 the NMI, as firmware would leave it. */
static int set_lapic(struct vcpu *v)
{
	struct kvm_lapic_state l;
	uint32_t *lvt0 = (uint32_t *)&l.regs[0x350];
	uint32_t *lvt1 = (uint32_t *)&l.regs[0x360];

	if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
		return -errno;
	*lvt0 = (*lvt0 & ~0x700U & ~0x10000U) | 7U << 8;
	*lvt1 = (*lvt1 & ~0x700U & ~0x10000U) | 4U << 8;
	return ioctl(v->fd, KVM_SET_LAPIC, &l) < 0 ? -errno : 0;
}

int arch_vcpu_init(struct vcpu *v, char *err, size_t errlen)
{
	int ret = set_cpuid(v);

	if (!ret)
		ret = set_lapic(v);
	if (ret) {
		snprintf(err, errlen, "vCPU %d setup: %s", v->id, strerror(-ret));
		return -1;
	}
	return 0;
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;
	uint32_t i;

	if (size != 1 && size != 2 && size != 4)
		return;
	pthread_mutex_lock(&devices_lock);
	for (i = 0; i < run->io.count; i++, data += size) {
		uint64_t val = 0;

		if (run->io.direction == KVM_EXIT_IO_OUT) {
			memcpy(&val, data, size);
			io_bus_write(&v->vm->pio, run->io.port, size, val);
		} else {
			val = io_bus_read(&v->vm->pio, run->io.port, size);
			memcpy(data, &val, size);
		}
	}
	pthread_mutex_unlock(&devices_lock);
}

enum arch_exit arch_vcpu_exit(struct vcpu *v)
{
	if (v->run->exit_reason != KVM_EXIT_IO)
		return ARCH_EXIT_UNKNOWN;
	handle_io(v);
	return ARCH_EXIT_CONTINUE;
}

/* Control state on one line, the general-purpose registers on the next. */
void arch_vcpu_report_regs(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		pr_err("vCPU %d: cannot read its registers: %s", v->id, strerror(errno));
		return;
	}
	pr_err("vCPU %d: rip=0x%llx rsp=0x%llx rflags=0x%llx cr0=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx cs=0x%x",
	       v->id, r.rip, r.rsp, r.rflags, s.cr0, s.cr3, s.cr4, s.efer, s.cs.selector);
	pr_err("vCPU %d: rax=0x%llx rbx=0x%llx rcx=0x%llx rdx=0x%llx rsi=0x%llx rdi=0x%llx rbp=0x%llx "
	       "r8=0x%llx r9=0x%llx r10=0x%llx r11=0x%llx r12=0x%llx r13=0x%llx r14=0x%llx r15=0x%llx",
	       v->id, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
	       r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15);
}

void arch_vcpu_report_state(struct vcpu *v)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[2];
	} msrs = { .hdr.nmsrs = 2, .e = { { .index = MSR_IA32_TSC },
					  { .index = MSR_IA32_TSCDEADLINE } } };
	struct vcpu_state st = { 0 };
	struct kvm_mp_state mp;
	struct kvm_regs r;
	char line[256];
	int khz;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0 ||
	    ioctl(v->fd, KVM_GET_LAPIC, &st.lapic) < 0 || ioctl(v->fd, KVM_GET_MSRS, &msrs) != 2) {
		pr_err("vCPU %d: cannot read its state: %s", v->id, strerror(errno));
		return;
	}
	khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	st.rip = r.rip;
	st.rflags = r.rflags;
	st.mp_state = mp.mp_state;
	st.tsc = msrs.e[0].data;
	st.tsc_deadline = msrs.e[1].data;
	st.tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	vcpu_state_format(&st, v->id, line, sizeof(line));
	log_report("%s", line);
}
