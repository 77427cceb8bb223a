/* VM-wide arm64 KVM choices: the KVM_CREATE_VM type that gives the guest
 * enough physical address bits (the IPA size), and the capabilities
 * conduit turns on or relies on once the VM exists (MMIO aborts KVM cannot
 * decode reported to userspace; MSI device ids required once the ITS
 * exists). The choice of type is pure and unit-tested; plain types here. */
#ifndef CONDUIT_ARM64_VM_CAPS_H
#define CONDUIT_ARM64_VM_CAPS_H

#include <stddef.h>
#include <stdint.h>

#define ARM64_DEFAULT_IPA_BITS 40

/* The KVM_CREATE_VM type for guest physical addresses below top (the end
 * of the highest region: RAM or the 64-bit PCI window), given what
 * KVM_CAP_ARM_VM_IPA_SIZE says (0: not reported, only the default 40 bits).
 * Returns the type (0 for the default), or -1 with a one-line err when the
 * host cannot map that far. */
long arm64_vm_type(uint64_t top, int max_ipa_bits, char *err, size_t errlen);

/* On a new VM: the IPA size KVM offers, through kvm_fd. */
int arm64_max_ipa_bits(int kvm_fd);
/* On the VM: report undecodable MMIO aborts as KVM_EXIT_ARM_NISV (instead
 * of KVM_RUN failing with ENOSYS). Returns 0 or -errno. */
int arm64_enable_nisv_exit(int vm_fd);
/* Whether MSI routes of this VM need a device id (1 once an ITS exists). */
int arm64_msi_needs_devid(int vm_fd);

#endif
