/* Pausing and resuming every vCPU of a running VM (QMP stop / cont): the
 * vCPU threads park between two KVM_RUNs, and the guest's kvmclock is held
 * still while they do. */
#ifndef CONDUIT_VM_PAUSE_H
#define CONDUIT_VM_PAUSE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;

struct vm_pause {
	pthread_mutex_t lock;
	pthread_cond_t cond;            /* parked changed, or paused cleared */
	bool paused;                    /* asked for: vCPUs park and stay */
	int parked;                     /* vCPU threads parked now */
	bool clock_saved;
	uint64_t clock;                 /* kvmclock at the pause (KVM_GET_CLOCK) */
};

void vm_pause_init(struct vm_pause *p);
void vm_pause_destroy(struct vm_pause *p);
/* Paused before any vCPU has run (a --paused restore): the threads park
 * before their first KVM_RUN, until vm_resume(). */
void vm_pause_at_start(struct vm *vm);
/* Stop every started vCPU and wait until each is parked (or the VM is
 * stopping). Returns 0, or -EALREADY when already paused. Main thread. */
int vm_pause(struct vm *vm);
/* Let the parked vCPUs run again. Returns 0, or -EALREADY when running. */
int vm_resume(struct vm *vm);
bool vm_paused(struct vm *vm);
/* Called by a vCPU thread when KVM_RUN was interrupted: park while the VM
 * is paused. Returns at once when it is not. */
void vm_pause_park(struct vcpu *v);
/* Wake every parked vCPU for good: the VM is stopping. */
void vm_pause_release(struct vm *vm);

#endif
