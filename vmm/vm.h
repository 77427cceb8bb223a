/* The virtual machine as KVM sees it: its handles, guest RAM and memory
 * slots, the vCPUs, the I/O buses, interrupt routing, and how it ends. The
 * devices are the machine's (vmm/machine.c), not the VM's. */
#ifndef CONDUIT_VM_H
#define CONDUIT_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>
#include "config.h"
#include "io_bus.h"
#include "irq.h"
#include "memmap.h"
#include "memslot.h"
#include "ram.h"
#include "vm_pause.h"

/* Exit codes of conduit (documented in README.md and --help). */
enum exit_code {
	EXIT_POWEROFF = 0,      /* the guest powered off */
	EXIT_ERROR = 1,         /* conduit failed: setup or runtime error */
	EXIT_USAGE = 2,         /* bad command line or config file */
	EXIT_REBOOT = 3,        /* the guest asked for a reboot */
	EXIT_CRASH = 4,         /* guest triple fault or KVM internal error */
	EXIT_QUIT = 5,          /* the user quit with Ctrl-A x */
	EXIT_SECCOMP = 6,       /* a system call outside the seccomp sandbox */
	EXIT_SIGNAL_BASE = 128, /* 128 + signal number (SIGINT, SIGTERM, SIGHUP) */
};

struct arch_vm;
struct vcpu;
struct event_loop;

struct vm {
	int kvm_fd;
	int vm_fd;
	int run_size;
	struct guest_mem mem;
	struct memslots slots;          /* KVM memory slot numbers in use */
	int ram_slot[MAX_RAM_REGIONS];  /* the slot of each mem.ram[i] */
	int n_cpus;
	struct vcpu *vcpus;
	struct arch_vm *arch;           /* the architecture's (vmm/arch.h) */
	struct io_bus pio;
	struct io_bus mmio;
	struct irq_router irq;
	struct event_loop *loop;        /* the main thread's (eventfds, timers) */
	int stop_efd;                  /* written once the VM should stop */
	atomic_int exit_code;          /* -1 while running */
	atomic_bool stopping;
	struct vm_pause pause;          /* QMP stop / cont */
};

int vm_create(struct vm *vm, const struct vm_config *cfg, char *err, size_t errlen);
void vm_destroy(struct vm *vm);

/* Whether KVM takes cpus vCPUs: max_vcpus and nr_vcpus are what
 * KVM_CHECK_EXTENSION says of KVM_CAP_MAX_VCPUS and KVM_CAP_NR_VCPUS (0 or
 * less: not reported). The limit is KVM_CAP_MAX_VCPUS, else
 * KVM_CAP_NR_VCPUS, else 4. Returns 0, or -1 with a one-line err naming
 * the limit. */
int vm_check_cpus(int cpus, int max_vcpus, int nr_vcpus, char *err, size_t errlen);

/* Bytes of guest RAM currently resident in host memory. */
uint64_t vm_guest_resident(const struct vm *vm);

/* Ask the VM to stop with the given exit code (the first request wins).
 * Safe from any thread. */
void vm_request_exit(struct vm *vm, int code);

#endif
