/* The byte encoding of an x86 VM's irqchip, PIT and clock state (layout in
 * vm_save.h): writing it, and reading it back from untrusted bytes with
 * every length and flag checked. Groundwork for issue 15; nothing uses it
 * yet. */
#include <stdio.h>
#include <string.h>
#include "save_buf.h"
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

static void put_pic(struct save_wr *w, uint16_t tag, const struct kvm_pic_state *p)
{
	struct kvm_pic_state copy = *p;
	size_t at = save_wr_begin(w, tag);
	int i;

	for (i = 0; i < PIC_LEN; i++)
		save_wr_u8(w, *pic_field(&copy, i));
	save_wr_end(w, at);
}

static void put_ioapic(struct save_wr *w, const struct kvm_ioapic_state *a)
{
	size_t at = save_wr_begin(w, TAG_IOAPIC);
	int i;

	save_wr_u64(w, a->base_address);
	save_wr_u32(w, a->ioregsel);
	save_wr_u32(w, a->id);
	save_wr_u32(w, a->irr);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		save_wr_u64(w, a->redirtbl[i].bits);
	save_wr_end(w, at);
}

static void put_pit(struct save_wr *w, const struct kvm_pit_state2 *p)
{
	size_t at = save_wr_begin(w, TAG_PIT);
	int i;

	for (i = 0; i < 3; i++) {
		const struct kvm_pit_channel_state *c = &p->channels[i];

		save_wr_u32(w, c->count);
		save_wr_u16(w, c->latched_count);
		save_wr_u8(w, c->count_latched);
		save_wr_u8(w, c->status_latched);
		save_wr_u8(w, c->status);
		save_wr_u8(w, c->read_state);
		save_wr_u8(w, c->write_state);
		save_wr_u8(w, c->write_latch);
		save_wr_u8(w, c->rw_mode);
		save_wr_u8(w, c->mode);
		save_wr_u8(w, c->bcd);
		save_wr_u8(w, c->gate);
		save_wr_u64(w, (uint64_t)c->count_load_time);
	}
	save_wr_u32(w, p->flags);
	save_wr_end(w, at);
}

static void put_clock(struct save_wr *w, const struct kvm_clock_data *c)
{
	size_t at = save_wr_begin(w, TAG_CLOCK);

	save_wr_u64(w, c->clock);
	save_wr_u32(w, c->flags);
	save_wr_u64(w, c->realtime);
	save_wr_u64(w, c->host_tsc);
	save_wr_end(w, at);
}

int vm_save_encode(const struct vm_save *s, uint8_t **out, size_t *len)
{
	struct save_wr w = { 0 };

	save_wr_u32(&w, VM_SAVE_MAGIC);
	save_wr_u16(&w, VM_SAVE_VERSION);
	save_wr_u16(&w, 0);
	put_pic(&w, TAG_PIC_MASTER, &s->pic[0]);
	put_pic(&w, TAG_PIC_SLAVE, &s->pic[1]);
	put_ioapic(&w, &s->ioapic);
	put_pit(&w, &s->pit);
	put_clock(&w, &s->clock);
	return save_wr_finish(&w, out, len);
}

static int get_pic(struct save_rd *r, uint16_t tag, const char *name, struct kvm_pic_state *p,
		   char *err, size_t errlen)
{
	struct save_rd sub;
	int i;

	if (save_rd_section(r, WHAT, tag, name, &sub, err, errlen) ||
	    save_rd_expect(&sub, WHAT, name, PIC_LEN, err, errlen))
		return -1;
	for (i = 0; i < PIC_LEN; i++)
		*pic_field(p, i) = save_rd_u8(&sub);
	return 0;
}

static int get_ioapic(struct save_rd *r, struct kvm_ioapic_state *a, char *err, size_t errlen)
{
	struct save_rd sub;
	int i;

	if (save_rd_section(r, WHAT, TAG_IOAPIC, "IOAPIC", &sub, err, errlen) ||
	    save_rd_expect(&sub, WHAT, "IOAPIC", IOAPIC_LEN, err, errlen))
		return -1;
	a->base_address = save_rd_u64(&sub);
	a->ioregsel = save_rd_u32(&sub);
	a->id = save_rd_u32(&sub);
	a->irr = save_rd_u32(&sub);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		a->redirtbl[i].bits = save_rd_u64(&sub);
	return 0;
}

static void get_pit_channel(struct save_rd *r, struct kvm_pit_channel_state *c)
{
	c->count = save_rd_u32(r);
	c->latched_count = save_rd_u16(r);
	c->count_latched = save_rd_u8(r);
	c->status_latched = save_rd_u8(r);
	c->status = save_rd_u8(r);
	c->read_state = save_rd_u8(r);
	c->write_state = save_rd_u8(r);
	c->write_latch = save_rd_u8(r);
	c->rw_mode = save_rd_u8(r);
	c->mode = save_rd_u8(r);
	c->bcd = save_rd_u8(r);
	c->gate = save_rd_u8(r);
	c->count_load_time = (int64_t)save_rd_u64(r);
}

static int get_pit(struct save_rd *r, struct kvm_pit_state2 *p, char *err, size_t errlen)
{
	struct save_rd sub;
	int i;

	if (save_rd_section(r, WHAT, TAG_PIT, "PIT", &sub, err, errlen) ||
	    save_rd_expect(&sub, WHAT, "PIT", PIT_LEN, err, errlen))
		return -1;
	for (i = 0; i < 3; i++)
		get_pit_channel(&sub, &p->channels[i]);
	p->flags = save_rd_u32(&sub);
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

static int get_clock(struct save_rd *r, struct kvm_clock_data *c, char *err, size_t errlen)
{
	struct save_rd sub;

	if (save_rd_section(r, WHAT, TAG_CLOCK, "clock", &sub, err, errlen) ||
	    save_rd_expect(&sub, WHAT, "clock", CLOCK_LEN, err, errlen))
		return -1;
	c->clock = save_rd_u64(&sub);
	c->flags = save_rd_u32(&sub);
	c->realtime = save_rd_u64(&sub);
	c->host_tsc = save_rd_u64(&sub);
	if (c->flags & ~(uint32_t)CLOCK_FLAGS) {
		snprintf(err, errlen, WHAT ": clock flags 0x%x, only 0x%x are known", c->flags,
			 CLOCK_FLAGS);
		return -1;
	}
	return 0;
}

static int get_header(struct save_rd *r, char *err, size_t errlen)
{
	uint32_t magic = save_rd_u32(r);
	uint16_t version = save_rd_u16(r), zero = save_rd_u16(r);

	if (r->short_read) {
		snprintf(err, errlen, WHAT ": truncated at byte %zu (in the header)", r->len);
		return -1;
	}
	if (magic != VM_SAVE_MAGIC) {
		snprintf(err, errlen, WHAT ": magic 0x%08x, not 0x%08x (\"cVMS\")", magic,
			 VM_SAVE_MAGIC);
		return -1;
	}
	if (version != VM_SAVE_VERSION) {
		snprintf(err, errlen, WHAT ": version %u, this conduit reads version %d", version,
			 VM_SAVE_VERSION);
		return -1;
	}
	if (zero) {
		snprintf(err, errlen, WHAT ": header's reserved field is 0x%x, not 0", zero);
		return -1;
	}
	return 0;
}

int vm_save_decode(const uint8_t *buf, size_t len, struct vm_save *s, char *err, size_t errlen)
{
	struct save_rd r = { .p = buf, .len = len };

	memset(s, 0, sizeof(*s));
	if (get_header(&r, err, errlen) ||
	    get_pic(&r, TAG_PIC_MASTER, "PIC master", &s->pic[0], err, errlen) ||
	    get_pic(&r, TAG_PIC_SLAVE, "PIC slave", &s->pic[1], err, errlen) ||
	    get_ioapic(&r, &s->ioapic, err, errlen) || get_pit(&r, &s->pit, err, errlen) ||
	    get_clock(&r, &s->clock, err, errlen) || save_rd_end(&r, WHAT, err, errlen))
		return -1;
	return 0;
}
