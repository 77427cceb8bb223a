/* Capture and restore of an x86 KVM VM's in-kernel irqchip, PIT and clock
 * (see vm_save.h for when, and for the two clock modes). The encoding is
 * in vm_save_codec.c. A snapshot saves and restores the VM's
 * in-kernel state with it (vmm/machine_snapshot.c).
 *
 * Restore order: the PIC master and slave and the IOAPIC, then the PIT
 * (its channel 0 drives IRQ 0 through the chips just restored), then the
 * clock last, so that the advance it reports is measured as close as
 * possible to the vCPUs' TSC writes that use it. KVM_SET_PIT2 restarts
 * each channel's count from now: the captured count_load_time is a time
 * on the source host and is not used. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include "vm_save.h"

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "VM: %s: %s", what, strerror(errno));
	return -1;
}

static int get_chip(int vm_fd, uint32_t id, struct kvm_irqchip *c)
{
	memset(c, 0, sizeof(*c));
	c->chip_id = id;
	return ioctl(vm_fd, KVM_GET_IRQCHIP, c);
}

int vm_save_capture(int vm_fd, struct vm_save *s, char *err, size_t errlen)
{
	struct kvm_irqchip c;

	memset(s, 0, sizeof(*s));
	if (get_chip(vm_fd, KVM_IRQCHIP_PIC_MASTER, &c) < 0)
		return fail(err, errlen, "KVM_GET_IRQCHIP (PIC master)");
	s->pic[0] = c.chip.pic;
	if (get_chip(vm_fd, KVM_IRQCHIP_PIC_SLAVE, &c) < 0)
		return fail(err, errlen, "KVM_GET_IRQCHIP (PIC slave)");
	s->pic[1] = c.chip.pic;
	if (get_chip(vm_fd, KVM_IRQCHIP_IOAPIC, &c) < 0)
		return fail(err, errlen, "KVM_GET_IRQCHIP (IOAPIC)");
	s->ioapic = c.chip.ioapic;
	if (ioctl(vm_fd, KVM_GET_PIT2, &s->pit) < 0)
		return fail(err, errlen, "KVM_GET_PIT2");
	if (ioctl(vm_fd, KVM_GET_CLOCK, &s->clock) < 0)
		return fail(err, errlen, "KVM_GET_CLOCK");
	return 0;
}

static int set_pic(int vm_fd, uint32_t id, const struct kvm_pic_state *p)
{
	struct kvm_irqchip c;

	memset(&c, 0, sizeof(c));
	c.chip_id = id;
	c.chip.pic = *p;
	return ioctl(vm_fd, KVM_SET_IRQCHIP, &c);
}

static int set_ioapic(int vm_fd, const struct kvm_ioapic_state *a)
{
	struct kvm_irqchip c;

	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_IOAPIC;
	c.chip.ioapic = *a;
	return ioctl(vm_fd, KVM_SET_IRQCHIP, &c);
}

/* Whether ADVANCE can be done: the capture carried CLOCK_REALTIME and this
 * KVM takes it (KVM_CAP_ADJUST_CLOCK reports the flags KVM_SET_CLOCK
 * accepts). */
static int can_advance(int vm_fd, const struct vm_save *s)
{
	int flags = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK);

	return (s->clock.flags & KVM_CLOCK_REALTIME) && flags > 0 && (flags & KVM_CLOCK_REALTIME);
}

static int set_clock(int vm_fd, const struct vm_save *s, enum vm_save_clock mode,
		     uint64_t *advance_ns, char *err, size_t errlen)
{
	struct kvm_clock_data c = { .clock = s->clock.clock }, now = { 0 };
	int advance = mode == VM_SAVE_CLOCK_ADVANCE && can_advance(vm_fd, s);

	*advance_ns = 0;
	if (advance) {
		c.flags = KVM_CLOCK_REALTIME;
		c.realtime = s->clock.realtime;
	}
	if (ioctl(vm_fd, KVM_SET_CLOCK, &c) < 0)
		return fail(err, errlen, "KVM_SET_CLOCK");
	if (!advance)
		return 0;
	if (ioctl(vm_fd, KVM_GET_CLOCK, &now) < 0)
		return fail(err, errlen, "KVM_GET_CLOCK");
	*advance_ns = now.clock > s->clock.clock ? now.clock - s->clock.clock : 0;
	return 0;
}

int vm_save_restore(int vm_fd, const struct vm_save *s, enum vm_save_clock mode,
		    uint64_t *advance_ns, char *err, size_t errlen)
{
	struct kvm_pit_state2 pit = s->pit;

	*advance_ns = 0;
	if (set_pic(vm_fd, KVM_IRQCHIP_PIC_MASTER, &s->pic[0]) < 0)
		return fail(err, errlen, "KVM_SET_IRQCHIP (PIC master)");
	if (set_pic(vm_fd, KVM_IRQCHIP_PIC_SLAVE, &s->pic[1]) < 0)
		return fail(err, errlen, "KVM_SET_IRQCHIP (PIC slave)");
	if (set_ioapic(vm_fd, &s->ioapic) < 0)
		return fail(err, errlen, "KVM_SET_IRQCHIP (IOAPIC)");
	if (ioctl(vm_fd, KVM_SET_PIT2, &pit) < 0)
		return fail(err, errlen, "KVM_SET_PIT2");
	return set_clock(vm_fd, s, mode, advance_ns, err, errlen);
}
