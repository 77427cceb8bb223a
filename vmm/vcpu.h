/* Virtual CPUs: creation, CPUID, the KVM_RUN loop on one thread each. */
#ifndef CONDUIT_VCPU_H
#define CONDUIT_VCPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <linux/kvm.h>

struct vm;

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	atomic_bool state_request;      /* vcpu_request_state() */
};

int vcpu_create(struct vm *vm, struct vcpu *v, int id, char *err, size_t errlen);
int vcpu_start(struct vcpu *v);
/* Make a running vCPU leave KVM_RUN promptly and its thread end. */
void vcpu_kick(struct vcpu *v);
/* Make a running vCPU print its state (vmm/x86/vcpu_state.c) and go on. */
void vcpu_request_state(struct vcpu *v);
void vcpu_join(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);

#endif
