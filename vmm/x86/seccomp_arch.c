/* x86-64's part of the seccomp sandbox (vmm/seccomp_arch.h): calls only
 * AUDIT_ARCH_X86_64 with the x32 bit clear, glibc's readlink and access
 * (x86 has the old calls and glibc uses them), the names of the old calls
 * for the message, and ioctl's request in RSI. */
#include <sys/syscall.h>
#include <ucontext.h>
#include <linux/audit.h>
#include "../seccomp_arch.h"

static const struct rule main_rules[] = {
	ALLOW(readlink), ALLOW(access),
};

static const struct syscall_name names[] = {
#define N(n) { __NR_##n, #n }
	N(open), N(creat), N(fork), N(vfork), N(unlink), N(rename),
	N(mkdir), N(chmod), N(chown), N(dup2), N(poll), N(readlinkat), N(faccessat),
#undef N
};

const struct seccomp_arch seccomp_arch = {
	.audit_arch = AUDIT_ARCH_X86_64,
	.foreign_nr_bit = 0x40000000U,  /* __X32_SYSCALL_BIT */
	.foreign = " of a foreign ABI (i386 or x32)",
	.main_rules = main_rules,
	.n_main_rules = sizeof(main_rules) / sizeof(main_rules[0]),
	.names = names,
	.n_names = sizeof(names) / sizeof(names[0]),
};

unsigned long seccomp_arch_ioctl_request(const void *ucontext)
{
	const ucontext_t *uc = ucontext;

	return (unsigned long)uc->uc_mcontext.gregs[REG_RSI];
}
