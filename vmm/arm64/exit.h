/* What an arm64 vCPU exit that is not a device access means: the system
 * events PSCI raises (SYSTEM_OFF -> poweroff, SYSTEM_RESET and
 * SYSTEM_RESET2 -> reboot, a crash event -> crash) and an MMIO access KVM
 * could not decode (KVM_EXIT_ARM_NISV). Pure: plain values in, an action
 * and a one-line message out, unit-tested on x86. */
#ifndef CONDUIT_ARM64_EXIT_H
#define CONDUIT_ARM64_EXIT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

enum arm64_event {
	ARM64_EVENT_POWEROFF,   /* the guest powered off: exit 0 */
	ARM64_EVENT_REBOOT,     /* it asked for a reset: conduit's reboot */
	ARM64_EVENT_CRASH,      /* it reported a crash */
	ARM64_EVENT_UNKNOWN,    /* an event conduit does not handle: an error */
};

/* A KVM_EXIT_SYSTEM_EVENT of vCPU id: type, and its ndata words of data
 * (at most 16 are read; data may be NULL when ndata is 0; __u64 as in
 * struct kvm_run). msg says what
 * happened in one line. */
enum arm64_event arm64_system_event(uint32_t type, uint32_t ndata, const __u64 *data,
				    int id, char *msg, size_t len);

/* conduit's exit code for an event (vm.h): poweroff 0, reboot 3, crash 4,
 * an unknown event 1 (an error). */
int arm64_event_exit_code(enum arm64_event e);

/* The one-line report of KVM_EXIT_ARM_NISV: a data abort on an address
 * outside RAM by an instruction whose syndrome KVM cannot decode (a load
 * or store pair, a writeback, ...), which conduit cannot emulate. */
void arm64_nisv_report(uint64_t esr_iss, uint64_t fault_ipa, int id, char *msg, size_t len);

#endif
