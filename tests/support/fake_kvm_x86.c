/* The fake x86 KVM (see fake_kvm_x86.h): the /dev/kvm and vCPU fds' state
 * ioctls and the vm fd's x86 ones, on a model of the state, with chosen
 * MSRs failing and every call logged. */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "fake_kvm_x86.h"

#define LEGACY_XSAVE 4096

struct fake_kvm_x86 fake_kvm_x86 = { .sys_fd = -1, .vcpu_fd = -1 };

void fake_kvm_x86_open(void)
{
	int sys_fd = fake_kvm_x86.sys_fd, vcpu_fd = fake_kvm_x86.vcpu_fd;

	if (sys_fd < 0)
		sys_fd = eventfd(0, EFD_CLOEXEC);
	if (vcpu_fd < 0)
		vcpu_fd = eventfd(0, EFD_CLOEXEC);
	memset(&fake_kvm_x86, 0, sizeof(fake_kvm_x86));
	fake_kvm_x86.sys_fd = sys_fd;
	fake_kvm_x86.vcpu_fd = vcpu_fd;
	fake_kvm_x86.cap_sregs2 = 1;
	fake_kvm_x86.cap_xsave = 1;
	fake_kvm_x86.cap_xsave2 = LEGACY_XSAVE;
	fake_kvm_x86.cap_xcrs = 1;
	fake_kvm_x86.cap_events = 1;
	fake_kvm_x86.cap_debugregs = 1;
	fake_kvm_x86.cap_adjust_clock = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME |
					KVM_CLOCK_HOST_TSC;
}

void fake_kvm_x86_close(void)
{
	if (fake_kvm_x86.sys_fd >= 0)
		close(fake_kvm_x86.sys_fd);
	if (fake_kvm_x86.vcpu_fd >= 0)
		close(fake_kvm_x86.vcpu_fd);
	fake_kvm_x86.sys_fd = fake_kvm_x86.vcpu_fd = -1;
}

struct kvm_msr_entry *fake_kvm_x86_msr(uint32_t index)
{
	uint32_t i;

	for (i = 0; i < fake_kvm_x86.n_msrs; i++)
		if (fake_kvm_x86.msrs[i].index == index)
			return &fake_kvm_x86.msrs[i];
	return NULL;
}

void fake_kvm_x86_set_msr(uint32_t index, uint64_t data)
{
	struct kvm_msr_entry *e = fake_kvm_x86_msr(index);

	if (!e && fake_kvm_x86.n_msrs < FAKE_X86_MSRS)
		e = &fake_kvm_x86.msrs[fake_kvm_x86.n_msrs++];
	if (e)
		*e = (struct kvm_msr_entry){ .index = index, .data = data };
}

int fake_kvm_x86_logged(unsigned long req, unsigned from)
{
	unsigned i;

	for (i = from; i < fake_kvm_x86.n_log && i < FAKE_X86_LOG; i++)
		if (fake_kvm_x86.log[i] == req)
			return (int)i;
	return -1;
}

static void log_call(unsigned long req)
{
	if (fake_kvm_x86.n_log < FAKE_X86_LOG)
		fake_kvm_x86.log[fake_kvm_x86.n_log] = req;
	fake_kvm_x86.n_log++;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

static int msr_index_list(struct kvm_msr_list *l)
{
	uint32_t want = fake_kvm_x86.n_msr_list, room = l->nmsrs;

	l->nmsrs = want;
	if (room < want)
		return fail(E2BIG);
	memcpy(l->indices, fake_kvm_x86.msr_list, want * sizeof(uint32_t));
	return 0;
}

static int get_msrs(struct kvm_msrs *m)
{
	uint32_t i;

	fake_kvm_x86.get_msrs_calls++;
	for (i = 0; i < m->nmsrs; i++) {
		struct kvm_msr_entry *e = fake_kvm_x86_msr(m->entries[i].index);

		if (!e || m->entries[i].index == fake_kvm_x86.bad_read_msr)
			break;
		m->entries[i].data = e->data;
	}
	return (int)i;
}

static int set_msrs(const struct kvm_msrs *m)
{
	uint32_t i;

	fake_kvm_x86.set_msrs_calls++;
	for (i = 0; i < m->nmsrs; i++) {
		if (m->entries[i].index == fake_kvm_x86.bad_write_msr)
			break;
		fake_kvm_x86_set_msr(m->entries[i].index, m->entries[i].data);
	}
	return (int)i;
}

static void sregs_get_legacy(struct kvm_sregs *o)
{
	const struct kvm_sregs2 *n = &fake_kvm_x86.sregs;

	memset(o, 0, sizeof(*o));
	o->cs = n->cs; o->ds = n->ds; o->es = n->es; o->fs = n->fs;
	o->gs = n->gs; o->ss = n->ss; o->tr = n->tr; o->ldt = n->ldt;
	o->gdt = n->gdt; o->idt = n->idt;
	o->cr0 = n->cr0; o->cr2 = n->cr2; o->cr3 = n->cr3; o->cr4 = n->cr4;
	o->cr8 = n->cr8; o->efer = n->efer; o->apic_base = n->apic_base;
	memcpy(o->interrupt_bitmap, fake_kvm_x86.interrupt_bitmap, sizeof(o->interrupt_bitmap));
}

static void sregs_set_legacy(const struct kvm_sregs *o)
{
	struct kvm_sregs2 *n = &fake_kvm_x86.sregs;

	n->cs = o->cs; n->ds = o->ds; n->es = o->es; n->fs = o->fs;
	n->gs = o->gs; n->ss = o->ss; n->tr = o->tr; n->ldt = o->ldt;
	n->gdt = o->gdt; n->idt = o->idt;
	n->cr0 = o->cr0; n->cr2 = o->cr2; n->cr3 = o->cr3; n->cr4 = o->cr4;
	n->cr8 = o->cr8; n->efer = o->efer; n->apic_base = o->apic_base;
	n->flags = 0;
	memcpy(fake_kvm_x86.interrupt_bitmap, o->interrupt_bitmap, sizeof(o->interrupt_bitmap));
}

/* The XSAVE image size KVM_GET_XSAVE2 / KVM_SET_XSAVE use. */
static size_t xsave_size(void)
{
	return fake_kvm_x86.cap_xsave2 > 0 ? (size_t)fake_kvm_x86.cap_xsave2 : LEGACY_XSAVE;
}

static int xsave_ioctl(unsigned long req, void *arg)
{
	struct fake_kvm_x86 *f = &fake_kvm_x86;

	if (!f->cap_xsave || (req == KVM_GET_XSAVE2 && f->cap_xsave2 <= 0))
		return fail(ENOTTY);
	if (req == KVM_GET_XSAVE && f->cap_xsave2 > LEGACY_XSAVE)
		return fail(EINVAL);            /* KVM: the image does not fit */
	if (req == KVM_SET_XSAVE)
		memcpy(f->xsave, arg, xsave_size());
	else
		memcpy(arg, f->xsave, req == KVM_GET_XSAVE ? LEGACY_XSAVE : xsave_size());
	return 0;
}

static int copy_in(void *to, const void *from, size_t n)
{
	memcpy(to, from, n);
	return 0;
}

static int vcpu_state(unsigned long req, void *arg)
{
	struct fake_kvm_x86 *f = &fake_kvm_x86;

	switch (req) {
	case KVM_GET_REGS: return copy_in(arg, &f->regs, sizeof(f->regs));
	case KVM_SET_REGS: return copy_in(&f->regs, arg, sizeof(f->regs));
	case KVM_GET_SREGS2:
	case KVM_SET_SREGS2:
		if (!f->cap_sregs2)
			return fail(ENOTTY);
		return req == KVM_GET_SREGS2 ? copy_in(arg, &f->sregs, sizeof(f->sregs)) :
					      copy_in(&f->sregs, arg, sizeof(f->sregs));
	case KVM_GET_SREGS: sregs_get_legacy(arg); return 0;
	case KVM_SET_SREGS: sregs_set_legacy(arg); return 0;
	case KVM_GET_FPU: return copy_in(arg, &f->fpu, sizeof(f->fpu));
	case KVM_SET_FPU: return copy_in(&f->fpu, arg, sizeof(f->fpu));
	case KVM_GET_XSAVE:
	case KVM_GET_XSAVE2:
	case KVM_SET_XSAVE:
		return xsave_ioctl(req, arg);
	case KVM_GET_XCRS: return f->cap_xcrs ? copy_in(arg, &f->xcrs, sizeof(f->xcrs)) : fail(ENOTTY);
	case KVM_SET_XCRS: return f->cap_xcrs ? copy_in(&f->xcrs, arg, sizeof(f->xcrs)) : fail(ENOTTY);
	case KVM_GET_DEBUGREGS: return copy_in(arg, &f->debugregs, sizeof(f->debugregs));
	case KVM_SET_DEBUGREGS: return copy_in(&f->debugregs, arg, sizeof(f->debugregs));
	case KVM_GET_LAPIC: return copy_in(arg, &f->lapic, sizeof(f->lapic));
	case KVM_SET_LAPIC: return copy_in(&f->lapic, arg, sizeof(f->lapic));
	case KVM_GET_VCPU_EVENTS: return copy_in(arg, &f->events, sizeof(f->events));
	case KVM_SET_VCPU_EVENTS: return copy_in(&f->events, arg, sizeof(f->events));
	}
	return fail(ENOTTY);
}

static int vcpu_ioctl(unsigned long req, void *arg)
{
	struct fake_kvm_x86 *f = &fake_kvm_x86;

	log_call(req);
	switch (req) {
	case KVM_GET_TSC_KHZ:
		return f->tsc_khz ? (int)f->tsc_khz : fail(EIO);
	case KVM_SET_TSC_KHZ:
		f->tsc_khz = (uint32_t)(unsigned long)arg;
		return 0;
	case KVM_GET_MP_STATE:
		((struct kvm_mp_state *)arg)->mp_state = f->mp_state;
		return 0;
	case KVM_SET_MP_STATE:
		f->mp_state = ((struct kvm_mp_state *)arg)->mp_state;
		return 0;
	case KVM_GET_MSRS:
		return get_msrs(arg);
	case KVM_SET_MSRS:
		return set_msrs(arg);
	}
	return vcpu_state(req, arg);
}

int fake_kvm_x86_ioctl(int fd, unsigned long req, void *arg)
{
	if (fd == fake_kvm_x86.sys_fd) {
		log_call(req);
		if (req == KVM_GET_MSR_INDEX_LIST)
			return msr_index_list(arg);
		return fail(ENOTTY);
	}
	return vcpu_ioctl(req, arg);
}

static int check_extension(unsigned long cap)
{
	struct fake_kvm_x86 *f = &fake_kvm_x86;

	switch (cap) {
	case KVM_CAP_SREGS2: return f->cap_sregs2;
	case KVM_CAP_XSAVE: return f->cap_xsave;
	case KVM_CAP_XSAVE2: return f->cap_xsave2;
	case KVM_CAP_XCRS: return f->cap_xcrs;
	case KVM_CAP_VCPU_EVENTS: return f->cap_events;
	case KVM_CAP_DEBUGREGS: return f->cap_debugregs;
	case KVM_CAP_ADJUST_CLOCK: return f->cap_adjust_clock;
	}
	return 0;
}

static int irqchip(unsigned long req, struct kvm_irqchip *c)
{
	struct fake_kvm_x86 *f = &fake_kvm_x86;

	if (c->chip_id > KVM_IRQCHIP_IOAPIC)
		return fail(EINVAL);
	if (c->chip_id == KVM_IRQCHIP_IOAPIC) {
		if (req == KVM_GET_IRQCHIP)
			c->chip.ioapic = f->ioapic;
		else
			f->ioapic = c->chip.ioapic;
		return 0;
	}
	if (req == KVM_GET_IRQCHIP)
		c->chip.pic = f->pic[c->chip_id];
	else
		f->pic[c->chip_id] = c->chip.pic;
	return 0;
}

/* KVM's KVM_SET_CLOCK: unknown flags refused; with KVM_CLOCK_REALTIME the
 * clock moves on by how far realtime_now is past the one given. */
static int set_clock(const struct kvm_clock_data *c)
{
	struct fake_kvm_x86 *f = &fake_kvm_x86;

	if (c->flags & ~(uint32_t)KVM_CLOCK_REALTIME)
		return fail(EINVAL);
	f->clock.clock = c->clock;
	if ((c->flags & KVM_CLOCK_REALTIME) && f->realtime_now > c->realtime)
		f->clock.clock += f->realtime_now - c->realtime;
	return 0;
}

int fake_kvm_x86_vm_ioctl(unsigned long req, void *arg)
{
	struct fake_kvm_x86 *f = &fake_kvm_x86;

	if (req == KVM_CHECK_EXTENSION)
		return check_extension((unsigned long)arg);
	log_call(req);
	switch (req) {
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		return irqchip(req, arg);
	case KVM_GET_PIT2: return copy_in(arg, &f->pit, sizeof(f->pit));
	case KVM_SET_PIT2: return copy_in(&f->pit, arg, sizeof(f->pit));
	case KVM_GET_CLOCK:
		f->clock.realtime = f->realtime_now;
		f->clock.flags = f->cap_adjust_clock & (KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC);
		return copy_in(arg, &f->clock, sizeof(f->clock));
	case KVM_SET_CLOCK:
		return set_clock(arg);
	}
	return fail(ENOTTY);
}
