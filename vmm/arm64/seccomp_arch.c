/* arm64's part of the seccomp sandbox (vmm/seccomp_arch.h): calls only
 * AUDIT_ARCH_AARCH64 (an arm32 task's calls have AUDIT_ARCH_ARM: foreign),
 * glibc's readlink and access as the readlinkat and faccessat they are on
 * arm64 (it has no open, readlink, access, poll, fork, dup2 ...), and
 * ioctl's request in X1. */
#include <sys/syscall.h>
#include <ucontext.h>
#include <linux/audit.h>
#include "../seccomp_arch.h"

static const struct rule main_rules[] = {
	ALLOW(readlinkat), ALLOW(faccessat),
};

static const struct syscall_name names[] = {
#define N(n) { __NR_##n, #n }
	N(faccessat2),
#undef N
};

const struct seccomp_arch seccomp_arch = {
	.audit_arch = AUDIT_ARCH_AARCH64,
	.foreign_nr_bit = 0,
	.foreign = " of a foreign ABI (arm32)",
	.main_rules = main_rules,
	.n_main_rules = sizeof(main_rules) / sizeof(main_rules[0]),
	.names = names,
	.n_names = sizeof(names) / sizeof(names[0]),
};

unsigned long seccomp_arch_ioctl_request(const void *ucontext)
{
	const ucontext_t *uc = ucontext;

	return (unsigned long)uc->uc_mcontext.regs[1];
}
