/* arm64's vCPU part of vmm/arch.h: KVM_ARM_VCPU_INIT with PSCI 0.2 (the
 * secondaries powered off until the guest's PSCI CPU_ON, which KVM
 * handles), the exits only arm64 has (PSCI's system events: poweroff,
 * reboot, crash; an MMIO access KVM cannot decode), and the register
 * dump and state line read by KVM_GET_ONE_REG. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include "../arch.h"
#include "../log.h"
#include "../vcpu.h"
#include "../vm.h"
#include "arch_arm64.h"
#include "exit.h"
#include "regs.h"
#include "vcpu_init.h"

int arch_vcpu_init(struct vcpu *v, char *err, size_t errlen)
{
	return arm64_vcpu_init(v->vm->vm_fd, v->fd, v->id, err, errlen);
}

static enum arch_exit system_event(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char msg[256];
	enum arm64_event e = arm64_system_event(run->system_event.type, run->system_event.ndata,
						run->system_event.data, v->id, msg, sizeof(msg));

	if (e == ARM64_EVENT_POWEROFF || e == ARM64_EVENT_REBOOT)
		pr_debug("%s", msg);
	else
		pr_err("%s", msg);
	vm_request_exit(v->vm, arm64_event_exit_code(e));
	return ARCH_EXIT_STOP;
}

/* A load/store pair, a writeback or an atomic to an address outside RAM:
 * no device model can be given it, so the guest stops with an error. */
static enum arch_exit nisv(struct vcpu *v)
{
	char msg[256];

	arm64_nisv_report(v->run->arm_nisv.esr_iss, v->run->arm_nisv.fault_ipa, v->id, msg,
			  sizeof(msg));
	pr_err("%s", msg);
	arch_vcpu_report_regs(v);
	vm_request_exit(v->vm, EXIT_CRASH);
	return ARCH_EXIT_STOP;
}

enum arch_exit arch_vcpu_exit(struct vcpu *v)
{
	switch (v->run->exit_reason) {
	case KVM_EXIT_SYSTEM_EVENT:
		return system_event(v);
	case KVM_EXIT_ARM_NISV:
		return nisv(v);
	}
	return ARCH_EXIT_UNKNOWN;
}

static int get(struct vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)val };

	return ioctl(v->fd, KVM_GET_ONE_REG, &r) < 0 ? -errno : 0;
}

/* Control state on one line, X0-X30 on the next. */
void arch_vcpu_report_regs(struct vcpu *v)
{
	uint64_t pc, pstate, sp, sp_el1, elr, x[31];
	char line[31 * 24 + 32];
	size_t used = 0;
	unsigned i;
	int ret = get(v, arm64_reg_pc(), &pc);

	if (!ret)
		ret = get(v, arm64_reg_pstate(), &pstate);
	if (!ret)
		ret = get(v, arm64_reg_sp(), &sp);
	if (!ret)
		ret = get(v, arm64_reg_sp_el1(), &sp_el1);
	if (!ret)
		ret = get(v, arm64_reg_elr_el1(), &elr);
	for (i = 0; !ret && i < 31; i++)
		ret = get(v, arm64_reg_x(i), &x[i]);
	if (ret) {
		pr_err("vCPU %d: cannot read its registers: %s", v->id, strerror(-ret));
		return;
	}
	pr_err("vCPU %d: pc=0x%llx pstate=0x%llx sp_el0=0x%llx sp_el1=0x%llx elr_el1=0x%llx",
	       v->id, (unsigned long long)pc, (unsigned long long)pstate,
	       (unsigned long long)sp, (unsigned long long)sp_el1, (unsigned long long)elr);
	for (i = 0; i < 31 && used < sizeof(line); i++) {
		int n = snprintf(line + used, sizeof(line) - used, "%sx%u=0x%llx", i ? " " : "",
				 i, (unsigned long long)x[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	pr_err("vCPU %d: %s", v->id, line);
}

/* SIGUSR2: where the vCPU is and whether it runs (PSCI off = mp_state 5). */
void arch_vcpu_report_state(struct vcpu *v)
{
	struct kvm_mp_state mp;
	uint64_t pc, pstate;

	if (get(v, arm64_reg_pc(), &pc) || get(v, arm64_reg_pstate(), &pstate) ||
	    ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0) {
		pr_err("vCPU %d: cannot read its state: %s", v->id, strerror(errno));
		return;
	}
	log_report("vCPU %d: pc=0x%llx pstate=0x%llx mp_state=%u%s", v->id,
		   (unsigned long long)pc, (unsigned long long)pstate, mp.mp_state,
		   mp.mp_state == KVM_MP_STATE_STOPPED ? " (powered off)" : "");
}
