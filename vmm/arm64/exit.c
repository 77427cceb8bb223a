/* arm64 system events and undecodable MMIO (see exit.h). The event types
 * and the PSCI reset2 flag come from the arm64 uAPI headers. */
#include <stdio.h>
#include <linux/kvm.h>
#include "../vm.h"
#include "exit.h"

#define DATA_MAX 16

static void reset_message(uint32_t ndata, const __u64 *data, int id, char *msg,
			  size_t len)
{
	if (ndata >= 1 && (data[0] & KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2))
		snprintf(msg, len, "vCPU %d: PSCI SYSTEM_RESET2", id);
	else
		snprintf(msg, len, "vCPU %d: PSCI SYSTEM_RESET", id);
}

static void data_message(uint32_t type, uint32_t ndata, const __u64 *data, int id,
			 const char *what, char *msg, size_t len)
{
	size_t used;
	uint32_t i;
	int n;

	n = snprintf(msg, len, "vCPU %d: %s (system event %u)", id, what, type);
	if (n < 0 || (size_t)n >= len)
		return;
	used = (size_t)n;
	if (ndata > DATA_MAX)
		ndata = DATA_MAX;
	for (i = 0; i < ndata && used < len; i++) {
		n = snprintf(msg + used, len - used, "%s0x%llx", i ? " " : ", data ",
			     (unsigned long long)data[i]);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

enum arm64_event arm64_system_event(uint32_t type, uint32_t ndata, const __u64 *data,
				    int id, char *msg, size_t len)
{
	if (!data)
		ndata = 0;
	switch (type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		snprintf(msg, len, "vCPU %d: PSCI SYSTEM_OFF", id);
		return ARM64_EVENT_POWEROFF;
	case KVM_SYSTEM_EVENT_RESET:
		reset_message(ndata, data, id, msg, len);
		return ARM64_EVENT_REBOOT;
	case KVM_SYSTEM_EVENT_CRASH:
		data_message(type, ndata, data, id, "the guest reported a crash", msg, len);
		return ARM64_EVENT_CRASH;
	}
	data_message(type, ndata, data, id, "unexpected system event", msg, len);
	return ARM64_EVENT_UNKNOWN;
}

int arm64_event_exit_code(enum arm64_event e)
{
	switch (e) {
	case ARM64_EVENT_POWEROFF:
		return EXIT_POWEROFF;
	case ARM64_EVENT_REBOOT:
		return EXIT_REBOOT;
	case ARM64_EVENT_CRASH:
		return EXIT_CRASH;
	case ARM64_EVENT_UNKNOWN:
		break;
	}
	return EXIT_ERROR;
}

void arm64_nisv_report(uint64_t esr_iss, uint64_t fault_ipa, int id, char *msg, size_t len)
{
	snprintf(msg, len,
		 "vCPU %d: MMIO access at 0x%llx by an instruction KVM cannot decode (ESR ISS 0x%llx, no syndrome)",
		 id, (unsigned long long)fault_ipa, (unsigned long long)esr_iss);
}
