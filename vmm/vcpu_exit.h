/* vCPU exits that end the guest: the exit code and the message. */
#ifndef CONDUIT_VCPU_EXIT_H
#define CONDUIT_VCPU_EXIT_H

#include <stddef.h>
#include <linux/kvm.h>

/* For an exit that ends the guest (KVM_EXIT_SHUTDOWN, KVM_EXIT_FAIL_ENTRY,
 * KVM_EXIT_INTERNAL_ERROR, or any reason conduit does not handle): writes
 * the one-line message for vCPU id to buf and returns the exit code,
 * EXIT_CRASH for the three faults and EXIT_ERROR for an unknown reason. */
int vcpu_exit_report(const struct kvm_run *run, int id, char *buf, size_t len);

#endif
