/* Virtual CPUs: each vCPU gets KVM's supported CPUID with its own APIC id,
 * a LAPIC wired for virtual-wire mode, and a thread that runs KVM_RUN and
 * dispatches port I/O and MMIO exits to the device buses. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "log.h"
#include "seccomp.h"
#include "vcpu.h"
#include "vcpu_exit.h"
#include "vcpu_state.h"
#include "vm.h"

#define VCPU_KICK_SIGNAL SIGUSR1
#define CPUID_HYPERVISOR     (1U << 31)
#define CPUID_TSC_DEADLINE   (1U << 24)
#define CPUID_HTT            (1U << 28)
#define MSR_IA32_TSC         0x10
#define MSR_IA32_TSCDEADLINE 0x6e0

static int set_cpuid(struct vcpu *v)
{
	struct vm *vm = v->vm;
	size_t sz = sizeof(*vm->cpuid) + vm->cpuid->nent * sizeof(vm->cpuid->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	uint32_t i;
	int ret;

	if (!c)
		return -ENOMEM;
	memcpy(c, vm->cpuid, sz);
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

int vcpu_create(struct vm *vm, struct vcpu *v, int id, char *err, size_t errlen)
{
	int ret;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VCPU %d: %s", id, strerror(errno));
		return -1;
	}
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		snprintf(err, errlen, "mmap of vCPU %d state: %s", id, strerror(errno));
		return -1;
	}
	ret = set_cpuid(v);
	if (!ret)
		ret = set_lapic(v);
	if (ret) {
		snprintf(err, errlen, "vCPU %d setup: %s", id, strerror(-ret));
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

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len;
	uint64_t val = 0;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return;
	pthread_mutex_lock(&devices_lock);
	if (run->mmio.is_write) {
		memcpy(&val, run->mmio.data, len);
		io_bus_write(&v->vm->mmio, run->mmio.phys_addr, len, val);
	} else {
		val = io_bus_read(&v->vm->mmio, run->mmio.phys_addr, len);
		memcpy(run->mmio.data, &val, len);
	}
	pthread_mutex_unlock(&devices_lock);
}

/* The register dump after a fault: control state on one line, the
 * general-purpose registers on the next. */
static void report_regs(struct vcpu *v)
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

/* An exit that ends the guest: say why, dump the registers, stop. */
static void fault(struct vcpu *v)
{
	char msg[512];
	int code = vcpu_exit_report(v->run, v->id, msg, sizeof(msg));

	pr_err("%s", msg);
	report_regs(v);
	vm_request_exit(v->vm, code);
}

/* Returns false when the vCPU loop must end. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		return true;
	case KVM_EXIT_HLT:
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		vm_request_exit(v->vm, run->system_event.type == KVM_SYSTEM_EVENT_RESET ?
				EXIT_REBOOT : EXIT_POWEROFF);
		return false;
	case KVM_EXIT_SHUTDOWN:
		/* A guest that asked for a reset falls through to a triple fault
		 * while conduit stops: not a crash. */
		if (atomic_load(&v->vm->stopping))
			return false;
		break;
	}
	/* a triple fault, a failed VM entry, a KVM internal error, or an
	 * exit conduit does not handle */
	fault(v);
	return false;
}

/* SIGUSR2 (vcpu_request_state): this vCPU's state in one line, read by
 * its own thread between two KVM_RUNs. */
static void report_state(struct vcpu *v)
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

static void kick_handler(int sig)
{
	(void)sig;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;
	int ret;

	ret = seccomp_start_vcpu();
	if (ret) {
		pr_err("vCPU %d: cannot install its seccomp filter: %s", v->id, strerror(-ret));
		vm_request_exit(v->vm, EXIT_ERROR);
		return NULL;
	}
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	/* A guest restored with --paused waits before its first instruction. */
	if (vm_paused(v->vm))
		vm_pause_park(v);
	while (!atomic_load(&v->vm->stopping)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				pr_err("vCPU %d: KVM_RUN: %s", v->id, strerror(errno));
				vm_request_exit(v->vm, EXIT_ERROR);
				break;
			}
			/* A stop kicks too, after setting stopping: the loop
			 * condition sees it whatever is cleared here. */
			if (atomic_exchange(&v->state_request, false)) {
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				report_state(v);
			}
			if (vm_paused(v->vm)) {
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				vm_pause_park(v);
			}
			continue;
		}
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	char name[16];
	int ret;

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	ret = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (ret)
		return -ret;
	v->started = true;
	/* "vcpu0" in ps -L, top -H and /proc/PID/task/TID/comm (glibc writes
	 * that file: openat and write, which the sandbox allows). */
	snprintf(name, sizeof(name), "vcpu%d", v->id);
	pthread_setname_np(v->thread, name);
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->started)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_request_state(struct vcpu *v)
{
	if (!v->started)
		return;
	atomic_store(&v->state_request, true);
	vcpu_kick(v);
}

void vcpu_join(struct vcpu *v)
{
	if (v->started)
		pthread_join(v->thread, NULL);
	v->started = false;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, v->vm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}
