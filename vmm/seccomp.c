/* The seccomp sandbox. Once the machine is set up, the main thread installs
 * a classic-BPF allow-list (with no_new_privs); every vCPU thread, created
 * afterwards, inherits it and stacks a tighter one of its own. A call
 * outside the lists (or from another ABI: i386 or x32 on x86, arm32 on
 * arm64) traps: the SIGSYS
 * handler puts the terminal back, writes one line naming the call and
 * _exits with EXIT_SECCOMP. --no-seccomp leaves all of it off.
 *
 * vCPU threads run KVM_RUN and the emulation of everything the guest
 * touches (port I/O, MMIO, config space, trapped BARs), so theirs is the
 * short list: KVM/VFIO/terminal ioctls, read/write/pread/pwrite on the fds
 * they already have, futex, anonymous non-executable memory for malloc,
 * signal return and exit. No open, no new fds, no threads or processes.
 *
 * The main thread runs the event loop and the teardown, and a guest reboot
 * builds the whole machine again in this process (machine_run), so its list
 * also has what setup needs: openat (never creating or truncating), mmap,
 * eventfd/signalfd/timerfd/io_uring creation, threads (clone with
 * CLONE_THREAD only; clone3 answers ENOSYS, its flags are out of a filter's
 * reach, and glibc falls back to clone). Re-executing conduit on reboot
 * would not help: a seccomp filter survives execve and cannot be removed,
 * so the new image would still run its setup under this list. Neither list
 * has execve, fork, ptrace, mount or module calls; the main thread's socket
 * creation is a stream socket of AF_UNIX, AF_INET or AF_INET6 only, for a
 * live migration's source to connect while the guest runs (no bind or
 * listen: the destination listens before its sandbox goes on); no mmap or
 * mprotect may make memory executable; signals go only to this process.
 * The event loop's ring only accepts poll requests (vmm/event_loop.c), so
 * io_uring is no way around the filter.
 *
 * The lists are what strace -f showed for boots with and without
 * passthrough (MSI-X, MSI, INTx, I/O BARs), poweroff, in-place reboot,
 * SIGTERM, SIGUSR2 (the vCPU states: KVM ioctls and write) and Ctrl-A x,
 * plus what the SIGSYS handler itself needs. A call
 * made while every signal is blocked (inside pthread_create, say) cannot
 * reach the handler: the kernel kills conduit with SIGSYS (status 159).
 *
 * What differs per architecture (the audit arch, the calls arm64 only has
 * in their *at form, the register holding ioctl's request) is in
 * vmm/seccomp_arch.h, which also says why this is hand-written BPF and not
 * libseccomp. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/memfd.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "seccomp.h"
#include "seccomp_arch.h"
#include "terminal.h"
#include "vm.h"

#define MAX_INSNS 512
#define O_TMPFILE_BIT 020000000U        /* __O_TMPFILE, without O_DIRECTORY */
#define KVM_IOCTL_TYPE  0xAE            /* KVMIO */
#define VFIO_IOCTL_TYPE ';'             /* VFIO_TYPE */

enum thread_kind { THREAD_OTHER, THREAD_MAIN, THREAD_VCPU };

/* Both thread kinds: device fds and eventfds (read, write, pread, pwrite:
 * trapped BARs, config space, irqfds), KVM_RUN and the other KVM/VFIO
 * ioctls, the terminal for the SIGSYS handler, devices_lock (futex), the
 * output timer, malloc (brk, mmap, munmap, madvise, mprotect), the vCPU
 * kick (rt_sigreturn), a thread's end (madvise, exit). Seen with strace -f
 * on boots with and without passthrough, poweroff, reboot, SIGTERM,
 * SIGUSR2 and Ctrl-A x. */
#define COMMON_RULES \
	{ __NR_ioctl, "ioctl", RULE_IOCTL, { { 0 } } }, \
	ALLOW(read), ALLOW(write), ALLOW(pread64), ALLOW(pwrite64), \
	ALLOW(futex), ALLOW(timerfd_settime), ALLOW(clock_gettime), \
	ALLOW(brk), ARGS1(mprotect, CHECK_CLEAR, 2, PROT_EXEC), \
	ALLOW(munmap), ALLOW(madvise), \
	ALLOW(rt_sigreturn), ALLOW(rt_sigprocmask), ALLOW(restart_syscall), \
	ALLOW(exit), ALLOW(exit_group), \
	/* harmless, and what the ASan/UBSan runtimes call in every thread \
	 * (the end-to-end tests run once with them, sandbox on) */ \
	ALLOW(gettid), ALLOW(sigaltstack), ALLOW(sched_getaffinity)

static const struct rule main_rules[] = {
	COMMON_RULES,
	ARGS1(mmap, CHECK_CLEAR, 2, PROT_EXEC),
	/* the event loop, the vCPU kick, the teardown, report_memory() */
	ALLOW(io_uring_enter), ALLOW(getpid), ARGS1(tgkill, CHECK_PID, 0, 0),
	ALLOW(close), ALLOW(mincore), ALLOW(newfstatat),
	/* a reboot builds the machine again (vmm/ram.c's hugetlbfs memfd and
	 * prefault threads, the memlock error's getrlimit) and starts vCPU
	 * threads, which begin under this filter */
	ARGS2(openat, CHECK_CLEAR, 2, O_TRUNC | O_TMPFILE_BIT, CHECK_CREAT_EXCL, 2, 0),
	ALLOW(getdents64), ALLOW(sysinfo),        /* + readlink, access: the arch's */
	ARGS1(memfd_create, CHECK_SET, 1, MFD_HUGETLB), ALLOW(ftruncate),
	ARGS1(prlimit64, CHECK_EQ, 0, 0),
	ALLOW(eventfd2), ALLOW(signalfd4), ALLOW(timerfd_create),
	ALLOW(io_uring_setup), ALLOW(io_uring_register), ALLOW(rt_sigaction),
	ARGS1(clone, CHECK_SET, 0, CLONE_THREAD),
	{ __NR_clone3, "clone3", RULE_ENOSYS, { { 0 } } },
	ALLOW(set_robust_list), ALLOW(rseq),
	/* each new vCPU thread adds its filter (no_new_privs is inherited) */
	ARGS1(prctl, CHECK_EQ, 0, PR_SET_NO_NEW_PRIVS), ALLOW(seccomp),
	/* the QMP control socket's clients, on its listening socket */
	ALLOW(accept4), ALLOW(recvmsg), ALLOW(sendto), ALLOW(shutdown),
	/* QMP migrate to file: a new file (openat's O_CREAT only with
	 * O_EXCL, above), made durable */
	ALLOW(fdatasync),
	/* live migration's source (vmm/migrate_socket.c): a stream socket
	 * to the destination, connected with a timeout (SO_SNDTIMEO) and
	 * TCP_NODELAY; no raw, packet, netlink or datagram sockets */
	ARGS2(socket, CHECK_SOCK_DOMAIN, 0, 0, CHECK_SOCK_STREAM, 1, 0),
	ALLOW(connect),
	ARGS1(setsockopt, CHECK_SOCKOPT, 1, 0),
	/* its bandwidth cap sleeps on that socket, so migrate_cancel's
	 * shutdown wakes it (vmm/migrate_throttle.c) */
	ALLOW(ppoll),
};

static const struct rule vcpu_rules[] = {
	COMMON_RULES,
	/* malloc's arenas: anonymous memory only */
	ARGS2(mmap, CHECK_CLEAR, 2, PROT_EXEC, CHECK_SET, 3, MAP_ANONYMOUS),
};

/* Names for the message of calls that are in neither list. */
static const struct syscall_name other_names[] = {
#define N(n) { __NR_##n, #n }
	N(execve), N(execveat), N(socket),
	N(socketpair), N(connect), N(bind), N(listen), N(accept), N(accept4),
	N(sendto), N(recvfrom), N(sendmsg), N(recvmsg), N(ptrace), N(kill),
	N(tkill), N(mount), N(umount2), N(chroot), N(pivot_root), N(unshare),
	N(setns), N(setuid), N(setgid), N(bpf), N(perf_event_open),
	N(init_module), N(finit_module), N(delete_module), N(kexec_load),
	N(reboot), N(process_vm_readv), N(process_vm_writev),
	N(userfaultfd), N(keyctl), N(add_key), N(personality),
	N(unlinkat), N(renameat2), N(mkdirat),
	N(fchmod), N(truncate), N(dup), N(dup3),
	N(pipe2), N(wait4), N(pkey_mprotect), N(mremap), N(nanosleep),
	N(clock_nanosleep), N(epoll_create1), N(getrandom),
	N(uname), N(sched_setaffinity),
	N(lseek), N(fstat), N(statx), N(readv), N(writev), N(fcntl),
	N(sched_yield), N(gettimeofday),
#undef N
};

static __thread enum thread_kind thread_kind;
static bool main_on;

/* --- building a filter ---------------------------------------------------- */

struct prog {
	struct sock_filter insn[MAX_INSNS];
	unsigned n;
	bool overflow;
};

static void emit(struct prog *p, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	if (p->n == MAX_INSNS) {
		p->overflow = true;
		return;
	}
	p->insn[p->n++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

static void load(struct prog *p, uint32_t offset)
{
	emit(p, BPF_LD | BPF_W | BPF_ABS, offset, 0, 0);
}

static void emit_ret(struct prog *p, uint32_t action)
{
	emit(p, BPF_RET | BPF_K, action, 0, 0);
}

/* "if A == k return action" */
static void ret_if_eq(struct prog *p, uint32_t k, uint32_t action)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, k, 0, 1);
	emit_ret(p, action);
}

/* The low 32 bits of argument i: every value checked here is an int or
 * flags the kernel truncates to 32 bits. */
static uint32_t arg_lo(unsigned i)
{
	return offsetof(struct seccomp_data, args) + 8 * i;
}

/* The accumulator (a socket's domain) is one of the three. */
static void check_sock_domain(struct prog *p)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 3, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 2, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 1, 0);
	emit_ret(p, SECCOMP_RET_TRAP);
}

/* The accumulator (a socket's type), its flags aside, is SOCK_STREAM. */
static void check_sock_stream(struct prog *p)
{
	emit(p, BPF_ALU | BPF_AND | BPF_K, ~(uint32_t)(SOCK_CLOEXEC | SOCK_NONBLOCK), 0, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, SOCK_STREAM, 1, 0);
	emit_ret(p, SECCOMP_RET_TRAP);
}

/* The accumulator is argument arg (setsockopt's level), arg + 1 its
 * optname: the pair is one of the two allowed. */
static void check_sockopt(struct prog *p, unsigned arg)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, SOL_SOCKET, 0, 2);
	load(p, arg_lo(arg + 1));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, SO_SNDTIMEO, 4, 3);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 2);
	load(p, arg_lo(arg + 1));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, TCP_NODELAY, 1, 0);
	emit_ret(p, SECCOMP_RET_TRAP);
}

/* Return TRAP unless the check passes (the accumulator is clobbered). */
static void check(struct prog *p, const struct check *c)
{
	uint32_t val = c->kind == CHECK_PID ? (uint32_t)getpid() : c->val;

	if (c->kind == CHECK_NONE)
		return;
	load(p, arg_lo(c->arg));
	switch (c->kind) {
	case CHECK_CREAT_EXCL:
		emit(p, BPF_JMP | BPF_JSET | BPF_K, O_CREAT, 0, 2);
		emit(p, BPF_JMP | BPF_JSET | BPF_K, O_EXCL, 1, 0);
		emit_ret(p, SECCOMP_RET_TRAP);
		return;
	case CHECK_SOCK_DOMAIN:
		check_sock_domain(p);
		return;
	case CHECK_SOCK_STREAM:
		check_sock_stream(p);
		return;
	case CHECK_SOCKOPT:
		check_sockopt(p, c->arg);
		return;
	}
	if (c->kind == CHECK_CLEAR)
		emit(p, BPF_JMP | BPF_JSET | BPF_K, val, 0, 1);
	else if (c->kind == CHECK_SET)
		emit(p, BPF_JMP | BPF_JSET | BPF_K, val, 1, 0);
	else
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, val, 1, 0);
	emit_ret(p, SECCOMP_RET_TRAP);
}

static void ioctl_block(struct prog *p)
{
	load(p, arg_lo(1));
	ret_if_eq(p, TCGETS, SECCOMP_RET_ALLOW);
	ret_if_eq(p, TCSETS, SECCOMP_RET_ALLOW);
	emit(p, BPF_ALU | BPF_AND | BPF_K, 0xff00, 0, 0);
	ret_if_eq(p, KVM_IOCTL_TYPE << 8, SECCOMP_RET_ALLOW);
	ret_if_eq(p, VFIO_IOCTL_TYPE << 8, SECCOMP_RET_ALLOW);
	emit_ret(p, SECCOMP_RET_TRAP);
}

/* The block run when the syscall number matched; it always returns. */
static void rule_block(struct prog *p, const struct rule *r)
{
	switch (r->kind) {
	case RULE_ALLOW:
		emit_ret(p, SECCOMP_RET_ALLOW);
		break;
	case RULE_ARGS:
		check(p, &r->c[0]);
		check(p, &r->c[1]);
		emit_ret(p, SECCOMP_RET_ALLOW);
		break;
	case RULE_IOCTL:
		ioctl_block(p);
		break;
	default:
		emit_ret(p, SECCOMP_RET_ERRNO | ENOSYS);
		break;
	}
}

/* One "if nr == r->nr { block }" per rule; the block's length is known once
 * it is emitted, and the jump over it is patched then. */
static void rule(struct prog *p, const struct rule *r)
{
	unsigned at = p->n;

	emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0, 0);
	rule_block(p, r);
	if (p->n - at - 1 > UINT8_MAX)
		p->overflow = true;     /* a block too long to jump over */
	if (!p->overflow)
		p->insn[at].jf = (uint8_t)(p->n - at - 1);
}

/* Calls of this architecture's native ABI only, then the rules of each
 * list (extra: the architecture's, or NULL). */
static int build(struct prog *p, const struct rule *rules, size_t n,
		 const struct rule *extra, size_t n_extra)
{
	size_t i;

	p->n = 0;
	p->overflow = false;
	load(p, offsetof(struct seccomp_data, arch));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch.audit_arch, 1, 0);
	emit_ret(p, SECCOMP_RET_TRAP);
	load(p, offsetof(struct seccomp_data, nr));
	if (seccomp_arch.foreign_nr_bit) {
		emit(p, BPF_JMP | BPF_JSET | BPF_K, seccomp_arch.foreign_nr_bit, 0, 1);
		emit_ret(p, SECCOMP_RET_TRAP);
	}
	for (i = 0; i < n; i++)
		rule(p, &rules[i]);
	for (i = 0; i < n_extra; i++)
		rule(p, &extra[i]);
	emit_ret(p, SECCOMP_RET_TRAP);
	return p->overflow ? -E2BIG : 0;
}

static int install(const struct rule *rules, size_t n, const struct rule *extra,
		   size_t n_extra)
{
	struct prog p;                  /* 4 KiB of stack, per thread */
	struct sock_fprog fprog;
	int ret;

	ret = build(&p, rules, n, extra, n_extra);
	if (ret)
		return ret;
	fprog.len = (unsigned short)p.n;
	fprog.filter = p.insn;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog))
		return -errno;
	return 0;
}

/* --- the SIGSYS handler (async-signal-safe: write, tcsetattr, _exit) ---- */

static const char *syscall_name(int nr)
{
	size_t i;

	for (i = 0; i < sizeof(main_rules) / sizeof(main_rules[0]); i++)
		if (main_rules[i].nr == nr)
			return main_rules[i].name;
	for (i = 0; i < seccomp_arch.n_main_rules; i++)
		if (seccomp_arch.main_rules[i].nr == nr)
			return seccomp_arch.main_rules[i].name;
	for (i = 0; i < sizeof(other_names) / sizeof(other_names[0]); i++)
		if (other_names[i].nr == nr)
			return other_names[i].name;
	for (i = 0; i < seccomp_arch.n_names; i++)
		if (seccomp_arch.names[i].nr == nr)
			return seccomp_arch.names[i].name;
	return NULL;
}

static size_t put(char *buf, size_t n, size_t size, const char *s)
{
	while (*s && n + 1 < size)
		buf[n++] = *s++;
	return n;
}

static size_t put_num(char *buf, size_t n, size_t size, unsigned long v, unsigned base)
{
	char digits[24];
	int i = 0;

	do {
		digits[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16)
		n = put(buf, n, size, "0x");
	while (i && n + 1 < size)
		buf[n++] = digits[--i];
	return n;
}

static void on_sigsys(int sig, siginfo_t *si, void *ucontext)
{
	const char *name = NULL;
	bool foreign = si->si_arch != seccomp_arch.audit_arch ||
		       (si->si_syscall & seccomp_arch.foreign_nr_bit);
	char buf[320];
	size_t n;

	(void)sig;
	terminal_restore();
	n = put(buf, 0, sizeof(buf), "conduit: error: seccomp: system call ");
	n = put_num(buf, n, sizeof(buf), (unsigned)si->si_syscall, 10);
	if (!foreign)
		name = syscall_name(si->si_syscall);
	if (name) {
		n = put(buf, n, sizeof(buf), " (");
		n = put(buf, n, sizeof(buf), name);
		if (si->si_syscall == __NR_ioctl) {
			n = put(buf, n, sizeof(buf), " ");
			n = put_num(buf, n, sizeof(buf),
				    (uint32_t)seccomp_arch_ioctl_request(ucontext), 16);
		}
		n = put(buf, n, sizeof(buf), ")");
	}
	if (foreign)
		n = put(buf, n, sizeof(buf), seccomp_arch.foreign);
	n = put(buf, n, sizeof(buf), " is not allowed");
	if (thread_kind != THREAD_OTHER)
		n = put(buf, n, sizeof(buf), thread_kind == THREAD_VCPU ?
			" in a vCPU thread" : " in the main thread");
	n = put(buf, n, sizeof(buf), "; conduit stops (--no-seccomp disables the sandbox)\r\n");
	if (write(STDERR_FILENO, buf, n) < 0)
		n = 0;
	_exit(EXIT_SECCOMP);
}

/* --- installing ------------------------------------------------------------ */

int seccomp_start_main(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	int ret;

	if (main_on)
		return 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		return -errno;
	ret = install(main_rules, sizeof(main_rules) / sizeof(main_rules[0]),
		      seccomp_arch.main_rules, seccomp_arch.n_main_rules);
	if (ret)
		return ret;
	thread_kind = THREAD_MAIN;
	main_on = true;
	return 0;
}

int seccomp_start_vcpu(void)
{
	int ret;

	if (!main_on)
		return 0;
	ret = install(vcpu_rules, sizeof(vcpu_rules) / sizeof(vcpu_rules[0]), NULL, 0);
	if (!ret)
		thread_kind = THREAD_VCPU;
	return ret;
}

bool seccomp_active(void)
{
	return main_on;
}
