/* What the seccomp sandbox (vmm/seccomp.c) takes from the architecture
 * (vmm/x86/seccomp_arch.c, vmm/arm64/seccomp_arch.c): the audit arch a
 * system call must come from, how a foreign ABI's call is recognised, the
 * calls whose names differ per architecture (arm64 has no open, readlink,
 * access, poll, fork ...: only their *at and p* forms), and where the
 * SIGSYS context holds ioctl's request.
 *
 * The filter stays hand-written classic BPF rather than libseccomp: no
 * new library in the static builds, the same argument checks on both
 * architectures, and the numbers are the target's own __NR_ constants
 * from <sys/syscall.h>, so a name an architecture lacks fails its build
 * instead of drifting: there is no table of numbers to keep in step. */
#ifndef CONDUIT_SECCOMP_ARCH_H
#define CONDUIT_SECCOMP_ARCH_H

#include <stddef.h>
#include <stdint.h>

/* How a rule decides. */
enum rule_kind {
	RULE_ALLOW,             /* always */
	RULE_ARGS,              /* when both checks pass */
	RULE_IOCTL,             /* KVM and VFIO ioctls, and the terminal ones */
	RULE_ENOSYS,            /* fail with ENOSYS (clone3: glibc falls back) */
};

enum check_kind {
	CHECK_NONE,
	CHECK_CLEAR,            /* (arg & val) == 0 */
	CHECK_SET,              /* (arg & val) != 0 */
	CHECK_EQ,               /* arg == val */
	CHECK_PID,              /* arg == this process's pid */
	CHECK_CREAT_EXCL,       /* O_CREAT only with O_EXCL: a new file, none clobbered */
	CHECK_SOCK_DOMAIN,      /* AF_UNIX, AF_INET or AF_INET6 */
	CHECK_SOCK_STREAM,      /* SOCK_STREAM, with SOCK_CLOEXEC or SOCK_NONBLOCK or not */
	CHECK_SOCKOPT,          /* arg and the next: SOL_SOCKET's SO_SNDTIMEO, or
				 * IPPROTO_TCP's TCP_NODELAY */
};

struct check {
	uint8_t kind;
	uint8_t arg;
	uint32_t val;
};

struct rule {
	int nr;
	const char *name;
	uint8_t kind;
	struct check c[2];
};

struct syscall_name {
	int nr;
	const char *name;
};

#define ALLOW(n)                { __NR_##n, #n, RULE_ALLOW, { { 0 } } }
#define ARGS1(n, k, a, v)       { __NR_##n, #n, RULE_ARGS, { { k, a, v } } }
#define ARGS2(n, k, a, v, k2, a2, v2) \
	{ __NR_##n, #n, RULE_ARGS, { { k, a, v }, { k2, a2, v2 } } }

struct seccomp_arch {
	uint32_t audit_arch;            /* AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64 */
	uint32_t foreign_nr_bit;        /* a number with it set is a foreign ABI
					 * (x86's x32); 0: none */
	const char *foreign;            /* " of a foreign ABI (...)" */
	const struct rule *main_rules;  /* the main thread's, beyond the common list */
	size_t n_main_rules;
	const struct syscall_name *names;       /* for the message: calls in no list */
	size_t n_names;
};

extern const struct seccomp_arch seccomp_arch;

/* ioctl's request (its second argument) in the SIGSYS handler's context. */
unsigned long seccomp_arch_ioctl_request(const void *ucontext);

#endif
