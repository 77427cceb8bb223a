/* The real-KVM check of the x86 state save (vmm/x86/vcpu_save.c,
 * vm_save.c), run by `make kvm-save-check` (not part of make check: it
 * needs /dev/kvm). VM A gets an in-kernel irqchip and PIT and 2 vCPUs with
 * recognisable state: registers, special and debug registers, XCR0 and
 * XMM registers, MSRs (the TSC, the TSC deadline, kvmclock, SYSENTER,
 * syscall), LAPIC registers, a pending NMI and an injected exception, MP
 * states, the PIC, IOAPIC and PIT, the clock. A is captured and encoded;
 * the bytes are decoded and restored into a fresh VM B (clock frozen, as a
 * snapshot) and, after a pause, into VM C (clock advanced, as a
 * migration); B and C are captured again and compared with A field by
 * field. Prints one line per part and exits 1 on any difference. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "../../vmm/x86/vcpu_save.h"
#include "../../vmm/x86/vm_save.h"

#define N_VCPUS        2
#define RAM_SIZE       (2 << 20)
#define MSR_IA32_TSC   0x10
#define MSR_SYSENTER_CS  0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_STAR       0xc0000081
#define MSR_LSTAR      0xc0000082
#define MSR_KERNEL_GS  0xc0000102
#define MSR_KVM_WALL_CLOCK_NEW  0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define GUEST_TSC      1000000000000ULL
#define PAUSE_US       300000

struct vm {
	int vm_fd;
	int vcpu[N_VCPUS];
	void *ram;
};

static int kvm_fd;
static struct kvm_cpuid2 *cpuid;
static int failures;
static int tsc_writes_ignored;

static void die(const char *what)
{
	fprintf(stderr, "kvm-save-check: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void get_cpuid(void)
{
	int n = 256;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
		if (!cpuid)
			die("calloc");
		cpuid->nent = n;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
			return;
		if (errno != E2BIG)
			die("KVM_GET_SUPPORTED_CPUID");
		free(cpuid);
		n *= 2;
	}
}

/* vmm/vcpu.c's CPUID, in short: the APIC id, TSC deadline, hypervisor. */
static void set_cpuid(int fd, int id)
{
	size_t sz = sizeof(*cpuid) + cpuid->nent * sizeof(cpuid->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	uint32_t i;

	if (!c)
		die("malloc");
	memcpy(c, cpuid, sz);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1) {
			e->ebx = (e->ebx & 0xffff) | (uint32_t)id << 24 | N_VCPUS << 16;
			e->ecx |= 1U << 31 | 1U << 24;
		} else if (e->function == 0xb || e->function == 0x1f) {
			e->edx = (uint32_t)id;
		}
	}
	if (ioctl(fd, KVM_SET_CPUID2, c) < 0)
		die("KVM_SET_CPUID2");
	free(c);
}

static void create_vm(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = 0 };
	struct kvm_userspace_memory_region mr = { 0 };
	int i;

	vm->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		die("KVM_CREATE_VM");
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		die("KVM_SET_TSS_ADDR");
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP) < 0)
		die("KVM_CREATE_IRQCHIP");
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		die("KVM_CREATE_PIT2");
	vm->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->ram == MAP_FAILED)
		die("mmap");
	mr.memory_size = RAM_SIZE;
	mr.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	for (i = 0; i < N_VCPUS; i++) {
		vm->vcpu[i] = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (vm->vcpu[i] < 0)
			die("KVM_CREATE_VCPU");
		set_cpuid(vm->vcpu[i], i);
	}
}

static void destroy_vm(struct vm *vm)
{
	int i;

	for (i = 0; i < N_VCPUS; i++)
		close(vm->vcpu[i]);
	close(vm->vm_fd);
	munmap(vm->ram, RAM_SIZE);
}

static void set_msrs(int fd, const uint32_t *idx, const uint64_t *val, uint32_t n)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[16];
	} b = { .hdr.nmsrs = n };
	uint32_t i;
	int ret;

	for (i = 0; i < n; i++)
		b.e[i] = (struct kvm_msr_entry){ .index = idx[i], .data = val[i] };
	ret = ioctl(fd, KVM_SET_MSRS, &b);
	if (ret != (int)n) {
		fprintf(stderr, "kvm-save-check: KVM_SET_MSRS set %d of %u (MSR 0x%x)\n", ret, n,
			ret >= 0 && ret < (int)n ? idx[ret] : 0);
		exit(2);
	}
}

static uint64_t get_tsc(int fd)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[1];
	} b = { .hdr.nmsrs = 1, .e[0].index = MSR_IA32_TSC };

	if (ioctl(fd, KVM_GET_MSRS, &b) != 1)
		die("KVM_GET_MSRS (TSC)");
	return b.e[0].data;
}

/* Writes GUEST_TSC and says whether KVM took it: some hosts' KVM keeps
 * the guest's TSC on the host's (then the TSC checks below only show that
 * nothing broke it). */
static uint64_t set_tsc(int fd, int id)
{
	const uint32_t idx = MSR_IA32_TSC;
	const uint64_t val = GUEST_TSC;
	uint64_t now;

	set_msrs(fd, &idx, &val, 1);
	now = get_tsc(fd);
	tsc_writes_ignored |= now - GUEST_TSC > 1000000000ULL;
	if (now - GUEST_TSC > 1000000000ULL)
		printf("note: vCPU %d: KVM kept TSC 0x%llx after a write of 0x%llx: this host's "
		       "KVM ignores TSC writes\n", id, (unsigned long long)now,
		       (unsigned long long)GUEST_TSC);
	return now;
}

static void put_reg32(struct kvm_lapic_state *l, unsigned off, uint32_t v)
{
	memcpy(&l->regs[off], &v, 4);
}

static void set_lapic(int fd, int id)
{
	struct kvm_lapic_state l;

	if (ioctl(fd, KVM_GET_LAPIC, &l) < 0)
		die("KVM_GET_LAPIC");
	put_reg32(&l, 0x80, 0x20 + id);                 /* TPR */
	put_reg32(&l, 0xd0, 1U << (24 + id));           /* LDR */
	put_reg32(&l, 0xe0, 0xffffffff);                /* DFR flat */
	put_reg32(&l, 0xf0, 0x1ff);                     /* SVR: enabled, 0xff */
	put_reg32(&l, 0x320, 2U << 17 | 0xec);          /* LVTT: TSC deadline */
	put_reg32(&l, 0x350, 7U << 8);                  /* LINT0 ExtINT */
	put_reg32(&l, 0x360, 4U << 8);                  /* LINT1 NMI */
	put_reg32(&l, 0x370, 0xfe);                     /* LVT error */
	if (ioctl(fd, KVM_SET_LAPIC, &l) < 0)
		die("KVM_SET_LAPIC");
}

static void set_fpu(int vm_fd, int fd, int id)
{
	struct kvm_xcrs x = { .nr_xcrs = 1, .xcrs[0] = { .xcr = 0, .value = 3 } };
	int size = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	uint8_t *img = calloc(1, size > 4096 ? size : 4096);
	int i;

	if (!img)
		die("calloc");
	if (ioctl(fd, KVM_SET_XCRS, &x) < 0)
		die("KVM_SET_XCRS");
	if (ioctl(fd, size > 0 ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, img) < 0)
		die("KVM_GET_XSAVE");
	for (i = 0; i < 32; i++)                        /* XMM0, XMM1 */
		img[160 + i] = (uint8_t)(0xa0 + i + id);
	img[512] |= 3;                                  /* XSTATE_BV: x87, SSE */
	if (ioctl(fd, KVM_SET_XSAVE, img) < 0)
		die("KVM_SET_XSAVE");
	free(img);
}

static void set_vcpu(struct vm *vm, int id)
{
	int fd = vm->vcpu[id];
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_debugregs d = { .db = { 0x1000, 0x2000, 0x3000, 0x4000 + id },
				   .dr6 = 0xffff0ff0, .dr7 = 0x400 | 0x2 };
	struct kvm_vcpu_events ev;
	struct kvm_mp_state mp = { id ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_HALTED };
	const uint32_t idx[] = { MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP,
				 MSR_STAR, MSR_LSTAR, MSR_KERNEL_GS, MSR_KVM_SYSTEM_TIME_NEW,
				 MSR_TSC_DEADLINE };
	uint64_t val[] = { 0x10, 0xffff8000dead0000ULL + id, 0xffff8000beef0000ULL,
			   0x0023001000000000ULL, 0xffffffff81a00000ULL + id, 0x12345000ULL + id,
			   0x100000 + 0x40 * id + 1, 0 };

	if (ioctl(fd, KVM_GET_REGS, &r) < 0 || ioctl(fd, KVM_GET_SREGS, &s) < 0)
		die("KVM_GET_REGS");
	r.rax = 0x1111111111111111ULL * (id + 1);
	r.rbx = 0xb0b0b0b0;
	r.r15 = 0xf15f15f15ULL + id;
	r.rip = 0x7c00 + id;
	r.rsp = 0x6ff0;
	r.rflags = 0x2 | 0x200 | 0x40;
	if (ioctl(fd, KVM_SET_REGS, &r) < 0)
		die("KVM_SET_REGS");
	s.cr2 = 0xdead000 + id;
	s.gdt.base = 0x5000;
	s.gdt.limit = 0x7f;
	s.idt.base = 0x6000 + 0x100 * id;
	s.idt.limit = 0x3ff;
	s.cr0 |= 1U << 18 | 1U << 5;                  /* AM, NE */
	s.cr4 |= 1U << 18 | 1U << 9;                  /* OSXSAVE, OSFXSR */
	if (ioctl(fd, KVM_SET_SREGS, &s) < 0)
		die("KVM_SET_SREGS");
	set_fpu(vm->vm_fd, fd, id);
	if (ioctl(fd, KVM_SET_DEBUGREGS, &d) < 0)
		die("KVM_SET_DEBUGREGS");
	set_lapic(fd, id);
	/* the deadline about 1000 s ahead of the TSC, whatever KVM made it */
	val[7] = set_tsc(fd, id) + 2600000000000ULL + id;
	set_msrs(fd, idx, val, sizeof(idx) / sizeof(idx[0]));
	if (ioctl(fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		die("KVM_GET_VCPU_EVENTS");
	if (id == 0) {
		ev.nmi.pending = 1;
		ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING;
	} else {
		ev.exception.injected = 1;
		ev.exception.nr = 6;
		ev.interrupt.shadow = 1;                /* MOV SS shadow */
		ev.flags |= KVM_VCPUEVENT_VALID_SHADOW;
	}
	if (ioctl(fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		die("KVM_SET_VCPU_EVENTS");
	if (ioctl(fd, KVM_SET_MP_STATE, &mp) < 0)
		die("KVM_SET_MP_STATE");
}

static void set_vm(struct vm *vm)
{
	struct kvm_irqchip c = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clk = { .clock = 123456789000ULL };

	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &c) < 0)
		die("KVM_GET_IRQCHIP");
	c.chip.pic.irq_base = 0x20;
	c.chip.pic.imr = 0xfa;
	c.chip.pic.init4 = 1;
	c.chip.pic.elcr = 0x0c;
	if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &c) < 0)
		die("KVM_SET_IRQCHIP");
	c.chip_id = KVM_IRQCHIP_PIC_SLAVE;
	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &c) < 0)
		die("KVM_GET_IRQCHIP");
	c.chip.pic.irq_base = 0x28;
	c.chip.pic.imr = 0xef;
	if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &c) < 0)
		die("KVM_SET_IRQCHIP");
	c.chip_id = KVM_IRQCHIP_IOAPIC;
	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &c) < 0)
		die("KVM_GET_IRQCHIP");
	c.chip.ioapic.id = 2U << 24;
	c.chip.ioapic.ioregsel = 0x12;
	c.chip.ioapic.redirtbl[4].bits = 0x34;                  /* vector 0x34, unmasked */
	c.chip.ioapic.redirtbl[9].bits = 0x39 | 1ULL << 15 | 1ULL << 56; /* level, dest 1 */
	if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &c) < 0)
		die("KVM_SET_IRQCHIP");
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &pit) < 0)
		die("KVM_GET_PIT2");
	pit.channels[0].count = 11932;
	pit.channels[0].mode = 2;
	pit.channels[0].rw_mode = 3;
	pit.channels[2].count = 1193;
	pit.channels[2].mode = 3;
	pit.channels[2].rw_mode = 3;
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &pit) < 0)
		die("KVM_SET_PIT2");
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clk) < 0)
		die("KVM_SET_CLOCK");
}

static void check(int ok, const char *part, const char *detail)
{
	printf("  %-4s %s%s%s\n", ok ? "ok" : "FAIL", part, detail[0] ? ": " : "", detail);
	failures += !ok;
}

/* Bytes that differ, as "off 0x390 (4 bytes)" runs; "" when equal. */
static int diff_bytes(const void *a, const void *b, size_t n, const size_t *skip, size_t n_skip,
		      char *out, size_t outlen)
{
	const uint8_t *x = a, *y = b;
	size_t i, j, used = 0;
	int runs = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		int skipped = 0;

		for (j = 0; j < n_skip; j++)
			skipped |= i >= skip[2 * j] && i < skip[2 * j] + skip[2 * j + 1];
		if (skipped || x[i] == y[i])
			continue;
		for (j = i; j < n && x[j] != y[j]; j++)
			;
		if (used < outlen)
			used += snprintf(out + used, outlen - used, "%soff 0x%zx (%zu bytes)",
					 runs ? ", " : "", i, j - i);
		runs++;
		i = j;
	}
	return runs;
}

static void check_bytes(const char *part, const void *a, const void *b, size_t n,
			const size_t *skip, size_t n_skip)
{
	char d[256];

	check(!diff_bytes(a, b, n, skip, n_skip, d, sizeof(d)), part, d);
}

static const struct kvm_msr_entry *find_msr(const struct vcpu_save *s, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < s->n_msrs; i++)
		if (s->msrs[i].index == index)
			return &s->msrs[i];
	return NULL;
}

/* On a host whose KVM ignores TSC writes (guest TSC = host TSC), the TSC
 * write of a restore that advances the clock moves the TSC deadline there
 * by the TSC the write asked for less the one KVM kept: the time between
 * the capture of the clock and of that vCPU's TSC, microseconds, more when
 * the capture thread was preempted. Allowed up to 2 ms, and shown. */
static int deadline_drift(int id, const struct kvm_msr_entry *a, const struct kvm_msr_entry *b,
			  uint32_t khz)
{
	int64_t d = (int64_t)(b->data - a->data);

	if (a->index != MSR_TSC_DEADLINE || !tsc_writes_ignored || !khz ||
	    d > 2 * (int64_t)khz || d < -2 * (int64_t)khz)
		return 0;
	printf("  note vCPU %d TSC deadline moved by %+lld cycles (%+.3f us) on this host\n", id,
	       (long long)d, d * 1000.0 / khz);
	return 1;
}

/* The restored TSC is the captured one moved on by want_ns, plus the
 * time from the restore to the second capture (at most slack_ns). */
static void check_msrs(int id, const struct vcpu_save *a, const struct vcpu_save *b,
		       uint64_t want_ns, uint64_t slack_ns)
{
	char part[64], d[512];
	uint32_t i, diffs = 0;
	size_t used = 0;
	int64_t dt;
	double ms;

	snprintf(part, sizeof(part), "vCPU %d MSRs", id);
	d[0] = '\0';
	for (i = 0; i < a->n_msrs; i++) {
		const struct kvm_msr_entry *e = find_msr(b, a->msrs[i].index);

		if (a->msrs[i].index == MSR_IA32_TSC)
			continue;
		if (e && (e->data == a->msrs[i].data || deadline_drift(id, &a->msrs[i], e, a->tsc_khz)))
			continue;
		diffs++;
		if (used < sizeof(d))
			used += snprintf(d + used, sizeof(d) - used, "%s0x%x 0x%llx -> %s0x%llx",
					 diffs > 1 ? ", " : "", a->msrs[i].index,
					 (unsigned long long)a->msrs[i].data, e ? "" : "missing ",
					 e ? (unsigned long long)e->data : 0ULL);
	}
	if (b->n_msrs != a->n_msrs)
		diffs++;
	if (!diffs)
		snprintf(d, sizeof(d), "%u equal (%u listed ones unreadable, dropped)", a->n_msrs,
			 a->dropped_msrs);
	check(!diffs, part, d);
	dt = (int64_t)(find_msr(b, MSR_IA32_TSC)->data - find_msr(a, MSR_IA32_TSC)->data);
	ms = (double)dt / a->tsc_khz;
	snprintf(part, sizeof(part), "vCPU %d TSC", id);
	snprintf(d, sizeof(d), "0x%llx -> 0x%llx, +%.3f ms (want +%.3f ms, + at most %.3f)",
		 (unsigned long long)find_msr(a, MSR_IA32_TSC)->data,
		 (unsigned long long)find_msr(b, MSR_IA32_TSC)->data, ms, want_ns / 1e6,
		 slack_ns / 1e6);
	check(ms * 1e6 >= (double)want_ns && ms * 1e6 <= (double)(want_ns + slack_ns), part, d);
}

static void compare_vcpu(int id, const struct vcpu_save *a, const struct vcpu_save *b,
			 uint64_t want_ns, uint64_t slack_ns)
{
	const size_t lapic_skip[] = { 0x390, 4 };      /* timer current count */
	char part[64];

	snprintf(part, sizeof(part), "vCPU %d registers", id);
	check_bytes(part, &a->regs, &b->regs, sizeof(a->regs), NULL, 0);
	snprintf(part, sizeof(part), "vCPU %d special registers", id);
	check_bytes(part, &a->sregs, &b->sregs, sizeof(a->sregs), NULL, 0);
	snprintf(part, sizeof(part), "vCPU %d XSAVE (%u bytes)", id, a->xsave_len);
	if (a->xsave_len != b->xsave_len)
		check(0, part, "the sizes differ");
	else
		check_bytes(part, a->xsave, b->xsave, a->xsave_len, NULL, 0);
	snprintf(part, sizeof(part), "vCPU %d XCRs (%u)", id, a->xcrs.nr_xcrs);
	check_bytes(part, &a->xcrs, &b->xcrs, sizeof(a->xcrs), NULL, 0);
	snprintf(part, sizeof(part), "vCPU %d debug registers", id);
	check_bytes(part, &a->debugregs, &b->debugregs, sizeof(a->debugregs), NULL, 0);
	snprintf(part, sizeof(part), "vCPU %d LAPIC (but the timer's current count)", id);
	check_bytes(part, &a->lapic, &b->lapic, sizeof(a->lapic), lapic_skip, 1);
	snprintf(part, sizeof(part), "vCPU %d events (nmi.pending %u, exception %u/%u)", id,
		 a->events.nmi.pending, a->events.exception.injected, a->events.exception.nr);
	check_bytes(part, &a->events, &b->events, sizeof(a->events), NULL, 0);
	snprintf(part, sizeof(part), "vCPU %d MP state %u, TSC %u kHz", id, a->mp_state, a->tsc_khz);
	check(a->mp_state == b->mp_state && a->tsc_khz == b->tsc_khz, part, "");
	check_msrs(id, a, b, want_ns, slack_ns);
}

static void compare_vm(const struct vm_save *a, const struct vm_save *b, uint64_t want_ns,
		       uint64_t slack_ns)
{
	const size_t pit_skip[] = {
		16, 8, 16 + 24, 8, 16 + 48, 8,          /* each count_load_time */
	};
	char d[160];
	int64_t dt = (int64_t)(b->clock.clock - a->clock.clock);

	check_bytes("PIC master", &a->pic[0], &b->pic[0], sizeof(a->pic[0]), NULL, 0);
	check_bytes("PIC slave", &a->pic[1], &b->pic[1], sizeof(a->pic[1]), NULL, 0);
	check_bytes("IOAPIC", &a->ioapic, &b->ioapic, sizeof(a->ioapic), NULL, 0);
	check_bytes("PIT (but the count load times)", &a->pit, &b->pit, sizeof(a->pit), pit_skip, 3);
	snprintf(d, sizeof(d), "%llu -> %llu ns, +%.3f ms (want +%.3f ms, + at most %.3f), flags 0x%x",
		 (unsigned long long)a->clock.clock, (unsigned long long)b->clock.clock, dt / 1e6,
		 want_ns / 1e6, slack_ns / 1e6, a->clock.flags);
	check(dt >= (int64_t)want_ns && dt <= (int64_t)(want_ns + slack_ns), "clock", d);
}

struct saved {
	uint8_t *vm_bytes, *vcpu_bytes[N_VCPUS];
	size_t vm_len, vcpu_len[N_VCPUS];
};

static void capture(struct vm *vm, const struct vcpu_save_host *h, struct vm_save *vs,
		    struct vcpu_save *cs)
{
	char err[256];
	int i;

	if (vm_save_capture(vm->vm_fd, vs, err, sizeof(err))) {
		fprintf(stderr, "kvm-save-check: %s\n", err);
		exit(2);
	}
	for (i = 0; i < N_VCPUS; i++) {
		if (vcpu_save_capture(vm->vcpu[i], i, h, &cs[i], err, sizeof(err))) {
			fprintf(stderr, "kvm-save-check: %s\n", err);
			exit(2);
		}
	}
}

static void encode(const struct vm_save *vs, const struct vcpu_save *cs, struct saved *out)
{
	int i;

	if (vm_save_encode(vs, &out->vm_bytes, &out->vm_len))
		die("vm_save_encode");
	for (i = 0; i < N_VCPUS; i++)
		if (vcpu_save_encode(&cs[i], &out->vcpu_bytes[i], &out->vcpu_len[i]))
			die("vcpu_save_encode");
}

/* Decode the bytes and load them into vm; what restore said, or exit. */
static uint64_t restore(struct vm *vm, const struct vcpu_save_host *h, const struct saved *in,
			enum vm_save_clock mode)
{
	struct vm_save vs;
	struct vcpu_save cs = { 0 };
	uint64_t advance;
	char err[256];
	int i;

	if (vm_save_decode(in->vm_bytes, in->vm_len, &vs, err, sizeof(err)) ||
	    vm_save_restore(vm->vm_fd, &vs, mode, &advance, err, sizeof(err))) {
		fprintf(stderr, "kvm-save-check: %s\n", err);
		exit(1);
	}
	for (i = 0; i < N_VCPUS; i++) {
		if (vcpu_save_decode(in->vcpu_bytes[i], in->vcpu_len[i], &cs, err, sizeof(err)) ||
		    vcpu_save_restore(vm->vcpu[i], i, h, &cs, advance, err, sizeof(err))) {
			fprintf(stderr, "kvm-save-check: %s\n", err);
			exit(1);
		}
	}
	vcpu_save_free(&cs);
	return advance;
}

static void round_trip(const char *name, const struct vcpu_save_host *h, const struct saved *in,
		       const struct vm_save *va, const struct vcpu_save *ca, enum vm_save_clock mode,
		       unsigned pause_us)
{
	struct vm vm;
	struct vm_save vb;
	struct vcpu_save cb[N_VCPUS];
	uint64_t advance, want;
	int i;

	memset(cb, 0, sizeof(cb));
	usleep(pause_us);
	create_vm(&vm);
	advance = restore(&vm, h, in, mode);
	capture(&vm, h, &vb, cb);
	want = mode == VM_SAVE_CLOCK_ADVANCE ? (uint64_t)pause_us * 1000 : 0;
	printf("%s: restore moved the clock on by %.3f ms\n", name, advance / 1e6);
	compare_vm(va, &vb, want, 100000000);
	for (i = 0; i < N_VCPUS; i++) {
		compare_vcpu(i, &ca[i], &cb[i], want, 100000000);
		vcpu_save_free(&cb[i]);
	}
	destroy_vm(&vm);
}

int main(void)
{
	struct vm a;
	struct vcpu_save_host h;
	struct vm_save va;
	struct vcpu_save ca[N_VCPUS];
	struct saved bytes;
	char err[256];
	int i;

	memset(ca, 0, sizeof(ca));
	setvbuf(stdout, NULL, _IOLBF, 0);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("/dev/kvm");
	get_cpuid();
	create_vm(&a);
	if (vcpu_save_probe(kvm_fd, a.vm_fd, &h, err, sizeof(err))) {
		fprintf(stderr, "kvm-save-check: %s\n", err);
		return 2;
	}
	printf("host: SREGS2 %s, XSAVE %u bytes via %s, XCRS %s, %u MSRs listed\n",
	       h.sregs2 ? "yes" : "no", h.xsave_size, h.xsave2 ? "KVM_GET_XSAVE2" : "KVM_GET_XSAVE",
	       h.xcrs ? "yes" : "no", h.n_msrs);
	set_vm(&a);
	for (i = 0; i < N_VCPUS; i++)
		set_vcpu(&a, i);
	capture(&a, &h, &va, ca);
	encode(&va, ca, &bytes);
	printf("captured VM A: VM state %zu bytes, vCPU state %zu and %zu bytes\n",
	       bytes.vm_len, bytes.vcpu_len[0], bytes.vcpu_len[1]);
	round_trip("VM B (snapshot: clock frozen)", &h, &bytes, &va, ca, VM_SAVE_CLOCK_FREEZE, 0);
	round_trip("VM C (migration: clock advanced, 300 ms later)", &h, &bytes, &va, ca,
		   VM_SAVE_CLOCK_ADVANCE, PAUSE_US);
	printf("kvm-save-check: %s (%d difference%s)\n", failures ? "FAILED" : "all equal",
	       failures, failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
