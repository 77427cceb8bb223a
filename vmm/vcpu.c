/* Virtual CPUs: each vCPU is set up by the architecture (vmm/arch.h) and
 * gets a thread that runs KVM_RUN, dispatches MMIO exits to the MMIO bus
 * and the architecture's own exits (x86 port I/O) to the architecture. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "arch.h"
#include "log.h"
#include "seccomp.h"
#include "vcpu.h"
#include "vcpu_exit.h"
#include "vm.h"

#define VCPU_KICK_SIGNAL SIGUSR1

int vcpu_create(struct vm *vm, struct vcpu *v, int id, char *err, size_t errlen)
{
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
	return arch_vcpu_init(v, err, errlen);
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

/* An exit that ends the guest: say why, dump the registers, stop. */
static void fault(struct vcpu *v)
{
	char msg[512];
	int code = vcpu_exit_report(v->run, v->id, msg, sizeof(msg));

	pr_err("%s", msg);
	arch_vcpu_report_regs(v);
	vm_request_exit(v->vm, code);
}

/* Returns false when the vCPU loop must end. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (arch_vcpu_exit(v)) {
	case ARCH_EXIT_CONTINUE:
		return true;
	case ARCH_EXIT_STOP:
		return false;
	case ARCH_EXIT_UNKNOWN:
		break;
	}
	switch (run->exit_reason) {
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
				arch_vcpu_report_state(v);
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
