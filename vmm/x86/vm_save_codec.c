/* The byte encoding of an x86 VM's irqchip, PIT and clock state (layout in
 * vm_save.h): its sections' payloads, written and read back from untrusted
 * bytes with every flag and count checked; the header and the section
 * framing around them are vmm/snapshot/section.c's. A snapshot's
 * irqchip record (vmm/machine_snapshot.c). */
#include <stdio.h>
#include <string.h>
#include "../snapshot/section.h"
#include "vm_save.h"

#define WHAT           "VM state"
#define VM_SAVE_MAGIC  0x534d5663U      /* "cVMS" */
#define PIC_LEN        16
#define IOAPIC_LEN     (8 + 4 + 4 + 4 + KVM_IOAPIC_NUM_PINS * 8)
#define PIT_CHAN_LEN   24
#define PIT_LEN        (3 * PIT_CHAN_LEN + 4)
#define CLOCK_LEN      28
#define PIT_MAX_COUNT  0x10000
#define PIT_FLAGS      (KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON)
#define CLOCK_FLAGS    (KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)

enum { TAG_PIC_MASTER = 1, TAG_PIC_SLAVE, TAG_IOAPIC, TAG_PIT, TAG_CLOCK };

/* The PIC's fields in struct order, each one byte. */
static __u8 *pic_field(struct kvm_pic_state *p, int i)
{
	__u8 *f[PIC_LEN] = {
		&p->last_irr, &p->irr, &p->imr, &p->isr, &p->priority_add, &p->irq_base,
		&p->read_reg_select, &p->poll, &p->special_mask, &p->init_state,
		&p->auto_eoi, &p->rotate_on_auto_eoi, &p->special_fully_nested_mode,
		&p->init4, &p->elcr, &p->elcr_mask,
	};

	return f[i];
}

static void put_pic(struct snap_out *o, const struct kvm_pic_state *p)
{
	struct kvm_pic_state copy = *p;
	int i;

	for (i = 0; i < PIC_LEN; i++)
		snap_put_u8(o, *pic_field(&copy, i));
}

static void put_pic_master(struct snap_out *o, const void *state)
{
	put_pic(o, &((const struct vm_save *)state)->pic[0]);
}

static void put_pic_slave(struct snap_out *o, const void *state)
{
	put_pic(o, &((const struct vm_save *)state)->pic[1]);
}

static void put_ioapic(struct snap_out *o, const void *state)
{
	const struct kvm_ioapic_state *a = &((const struct vm_save *)state)->ioapic;
	int i;

	snap_put_u64(o, a->base_address);
	snap_put_u32(o, a->ioregsel);
	snap_put_u32(o, a->id);
	snap_put_u32(o, a->irr);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		snap_put_u64(o, a->redirtbl[i].bits);
}

static void put_pit(struct snap_out *o, const void *state)
{
	const struct kvm_pit_state2 *p = &((const struct vm_save *)state)->pit;
	int i;

	for (i = 0; i < 3; i++) {
		const struct kvm_pit_channel_state *c = &p->channels[i];

		snap_put_u32(o, c->count);
		snap_put_u16(o, c->latched_count);
		snap_put_u8(o, c->count_latched);
		snap_put_u8(o, c->status_latched);
		snap_put_u8(o, c->status);
		snap_put_u8(o, c->read_state);
		snap_put_u8(o, c->write_state);
		snap_put_u8(o, c->write_latch);
		snap_put_u8(o, c->rw_mode);
		snap_put_u8(o, c->mode);
		snap_put_u8(o, c->bcd);
		snap_put_u8(o, c->gate);
		snap_put_u64(o, (uint64_t)c->count_load_time);
	}
	snap_put_u32(o, p->flags);
}

static void put_clock(struct snap_out *o, const void *state)
{
	const struct kvm_clock_data *c = &((const struct vm_save *)state)->clock;

	snap_put_u64(o, c->clock);
	snap_put_u32(o, c->flags);
	snap_put_u64(o, c->realtime);
	snap_put_u64(o, c->host_tsc);
}

static void get_pic(struct snap_in *sub, struct kvm_pic_state *p)
{
	int i;

	for (i = 0; i < PIC_LEN; i++)
		*pic_field(p, i) = snap_get_u8(sub);
}

static int get_pic_master(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	get_pic(sub, &((struct vm_save *)state)->pic[0]);
	return 0;
}

static int get_pic_slave(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	get_pic(sub, &((struct vm_save *)state)->pic[1]);
	return 0;
}

static int get_ioapic(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	struct kvm_ioapic_state *a = &((struct vm_save *)state)->ioapic;
	int i;

	a->base_address = snap_get_u64(sub);
	a->ioregsel = snap_get_u32(sub);
	a->id = snap_get_u32(sub);
	a->irr = snap_get_u32(sub);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		a->redirtbl[i].bits = snap_get_u64(sub);
	return 0;
}

static void get_pit_channel(struct snap_in *in, struct kvm_pit_channel_state *c)
{
	c->count = snap_get_u32(in);
	c->latched_count = snap_get_u16(in);
	c->count_latched = snap_get_u8(in);
	c->status_latched = snap_get_u8(in);
	c->status = snap_get_u8(in);
	c->read_state = snap_get_u8(in);
	c->write_state = snap_get_u8(in);
	c->write_latch = snap_get_u8(in);
	c->rw_mode = snap_get_u8(in);
	c->mode = snap_get_u8(in);
	c->bcd = snap_get_u8(in);
	c->gate = snap_get_u8(in);
	c->count_load_time = (int64_t)snap_get_u64(in);
}

static int get_pit(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	struct kvm_pit_state2 *p = &((struct vm_save *)state)->pit;
	int i;

	for (i = 0; i < 3; i++)
		get_pit_channel(sub, &p->channels[i]);
	p->flags = snap_get_u32(sub);
	for (i = 0; i < 3; i++) {
		if (p->channels[i].count > PIT_MAX_COUNT) {
			snprintf(err, errlen, WHAT ": PIT channel %d count %u, at most %u", i,
				 p->channels[i].count, PIT_MAX_COUNT);
			return -1;
		}
	}
	if (p->flags & ~(uint32_t)PIT_FLAGS) {
		snprintf(err, errlen, WHAT ": PIT flags 0x%x, only 0x%x are known", p->flags,
			 PIT_FLAGS);
		return -1;
	}
	return 0;
}

static int get_clock(struct snap_in *sub, void *state, char *err, size_t errlen)
{
	struct kvm_clock_data *c = &((struct vm_save *)state)->clock;

	c->clock = snap_get_u64(sub);
	c->flags = snap_get_u32(sub);
	c->realtime = snap_get_u64(sub);
	c->host_tsc = snap_get_u64(sub);
	if (c->flags & ~(uint32_t)CLOCK_FLAGS) {
		snprintf(err, errlen, WHAT ": clock flags 0x%x, only 0x%x are known", c->flags,
			 CLOCK_FLAGS);
		return -1;
	}
	return 0;
}

static const struct snap_sect sections[] = {
	{ TAG_PIC_MASTER, "PIC master", PIC_LEN, put_pic_master, get_pic_master },
	{ TAG_PIC_SLAVE, "PIC slave", PIC_LEN, put_pic_slave, get_pic_slave },
	{ TAG_IOAPIC, "IOAPIC", IOAPIC_LEN, put_ioapic, get_ioapic },
	{ TAG_PIT, "PIT", PIT_LEN, put_pit, get_pit },
	{ TAG_CLOCK, "clock", CLOCK_LEN, put_clock, get_clock },
};

static const struct snap_sect_format format = {
	.what = WHAT,
	.magic = VM_SAVE_MAGIC,
	.magic_name = "cVMS",
	.version = VM_SAVE_VERSION,
	.sect = sections,
	.n_sect = sizeof(sections) / sizeof(sections[0]),
};

int vm_save_encode(const struct vm_save *s, uint8_t **out, size_t *len)
{
	return snap_sect_encode(&format, s, out, len);
}

int vm_save_decode(const uint8_t *buf, size_t len, struct vm_save *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	return snap_sect_decode(&format, buf, len, s, err, errlen);
}
