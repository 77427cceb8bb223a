/* Saving and loading a whole machine (see machine_snapshot.h), and sending
 * a running one live (the end of this file), passed-through devices with
 * it: their pre-copy data in the rounds, their DMA writes from
 * vmm/live_dirty.c, the P2P switchover. The stream
 * holds, in this order: each passed-through device's own data (VFIO
 * migration v2: the vCPUs are paused, every device goes to RUNNING_P2P,
 * then each to STOP_COPY, drained, STOP, before guest RAM is read, so no
 * device writes RAM behind the copy), guest RAM (pages that are not all zero: a restored
 * machine's RAM starts zeroed), the VM's in-kernel state (x86: PIC, IOAPIC,
 * PIT and the KVM clock, in the irqchip record), each vCPU (both written and
 * loaded by the architecture, vmm/arch.h), then each device's state. RAM goes first so the kvmclock pages the vCPUs' MSRs point at
 * hold the snapshot's bytes before KVM writes them again.
 *
 * Every part of the machine with state is a device of the shape: the
 * legacy ones by name (serial0, acpi-pm, acpi-hotplug, pci-bus: the 0xcf8
 * latch; with --bios also cmos and fw-cfg, so the shape says the machine
 * was booted with it), the PCI ones by
 * their slot ("00:02.0"), with their kind and vendor:device, so a restore
 * into a machine given other devices is refused by name before anything
 * is loaded. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../devices/acpi_hotplug.h"
#include "../devices/acpi_pm.h"
#include "../devices/fw_cfg.h"
#include "../devices/pci.h"
#include "../devices/pci_state.h"
#include "../devices/serial.h"
#include "../devices/virtio_pci.h"
#include "../vfio/passthrough.h"
#include "../vfio/pci_migrate.h"
#include "arch.h"
#include "clock.h"
#include "dirty_log.h"
#include "vm_pause.h"
#include "log.h"
#include "machine_internal.h"
#include "machine_snapshot.h"
#include "snapshot/cursor.h"
#include "snapshot/stream.h"

#define PAGE 4096UL

typedef int (*part_save_fn)(void *obj, struct snap_out *out);
typedef int (*part_load_fn)(void *obj, struct snap_in *in);

struct part {
	char id[SNAPSHOT_NAME_MAX + 1];
	const char *kind;
	char identity[SNAPSHOT_NAME_MAX + 1];
	unsigned slot;
	part_save_fn save;
	part_load_fn load;
	void *obj;
	bool loaded;
};

struct parts {
	struct part p[SNAPSHOT_MAX_DEVICES];
	unsigned n;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int serial_part_save(void *o, struct snap_out *out) { return serial_save(o, out); }
static int serial_part_load(void *o, struct snap_in *in) { return serial_load(o, in); }
static int cmos_part_save(void *o, struct snap_out *out) { return cmos_save(o, out); }
static int cmos_part_load(void *o, struct snap_in *in) { return cmos_load(o, in); }
static int fwcfg_part_save(void *o, struct snap_out *out) { return fw_cfg_save(o, out); }
static int fwcfg_part_load(void *o, struct snap_in *in) { return fw_cfg_load(o, in); }
static int pm_part_save(void *o, struct snap_out *out) { return acpi_pm_save(o, out); }
static int pm_part_load(void *o, struct snap_in *in) { return acpi_pm_load(o, in); }
static int hp_part_save(void *o, struct snap_out *out) { return acpi_hotplug_save(o, out); }
static int hp_part_load(void *o, struct snap_in *in) { return acpi_hotplug_load(o, in); }
static int bus_part_save(void *o, struct snap_out *out) { return pci_bus_save(o, out); }
static int bus_part_load(void *o, struct snap_in *in) { return pci_bus_load(o, in); }
static int pci_part_save(void *o, struct snap_out *out) { return pci_device_save(o, out); }
static int pci_part_load(void *o, struct snap_in *in) { return pci_device_load(o, in); }

static void add_part(struct parts *ps, const char *id, const char *kind, const char *identity,
		     unsigned slot, part_save_fn save, part_load_fn load, void *obj)
{
	struct part *p = &ps->p[ps->n++];

	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->kind = kind;
	snprintf(p->identity, sizeof(p->identity), "%s", identity);
	p->slot = slot;
	p->save = save;
	p->load = load;
	p->obj = obj;
}

static uint16_t cfg16(const struct pci_device *d, unsigned off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}

/* Every part of the machine with state, in a fixed order. */
static void machine_parts(struct machine *m, struct parts *ps)
{
	char id[16], identity[16];
	int s;

	ps->n = 0;
	add_part(ps, "serial0", "serial", "", SNAPSHOT_NO_SLOT, serial_part_save,
		 serial_part_load, &m->serial);
	if (m->cmos.attached)   /* x86's RTC and CMOS RAM */
		add_part(ps, "cmos", "cmos", "", SNAPSHOT_NO_SLOT, cmos_part_save,
			 cmos_part_load, &m->cmos);
	if (m->fwcfg)           /* --bios: the firmware's configuration channel */
		add_part(ps, "fw-cfg", "fw-cfg", "", SNAPSHOT_NO_SLOT, fwcfg_part_save,
			 fwcfg_part_load, m->fwcfg);
	add_part(ps, "acpi-pm", "acpi-pm", "", SNAPSHOT_NO_SLOT, pm_part_save, pm_part_load,
		 &m->pm);
	add_part(ps, "acpi-hotplug", "acpi-hotplug", "", SNAPSHOT_NO_SLOT, hp_part_save,
		 hp_part_load, &m->hp);
	add_part(ps, "pci-bus", "pci-bus", "", SNAPSHOT_NO_SLOT, bus_part_save, bus_part_load,
		 &m->pci);
	for (s = 1; s < PCI_MAX_SLOTS && ps->n < SNAPSHOT_MAX_DEVICES; s++) {
		struct pci_device *d = m->pci.slot[s];

		if (!d)
			continue;
		snprintf(id, sizeof(id), "00:%02x.0", s);
		snprintf(identity, sizeof(identity), "%04x:%04x", cfg16(d, 0), cfg16(d, 2));
		add_part(ps, id, d->ops ? d->ops->kind : "pci", identity, (unsigned)s,
			 pci_part_save, pci_part_load, d);
	}
}

static int machine_shape(struct machine *m, const struct parts *ps, struct snapshot_shape *sh,
			 char *err, size_t errlen)
{
	const struct guest_mem *gm = &m->vm.mem;
	unsigned i;
	int ret = 0;

	snapshot_shape_init(sh);
	for (i = 0; i < (unsigned)gm->n_ram && !ret; i++)
		ret = snapshot_shape_add_ram(sh, gm->ram[i].gpa, gm->ram[i].size);
	if (!ret)
		ret = snapshot_shape_set_vcpus(sh, (unsigned)m->vm.n_cpus);
	for (i = 0; i < ps->n && !ret; i++)
		ret = snapshot_shape_add_device(sh, ps->p[i].id, ps->p[i].kind,
						ps->p[i].identity, ps->p[i].slot);
	if (ret)
		return fail(err, errlen, "the machine's shape: %s", strerror(-ret));
	return 0;
}

int machine_snapshot_check(struct machine *m, char *err, size_t errlen)
{
	if (m->exec)
		return fail(err, errlen, "a conduit exec guest cannot be saved");
	/* Every passed-through device must offer VFIO migration (STOP_COPY),
	 * and several only together when each offers P2P. */
	if (passthrough_can_migrate(&m->pt, err, errlen) ||
	    (m->pt.n_dev > 1 && passthrough_all_p2p(&m->pt, err, errlen)))
		return -1;
	return 0;
}

/* The part that is passed-through device v. */
static int part_of(struct machine *m, const struct parts *ps, const struct vfio_pci *v)
{
	unsigned i;

	for (i = 0; i < ps->n; i++)
		if (ps->p[i].slot != SNAPSHOT_NO_SLOT &&
		    passthrough_at_slot(&m->pt, (int)ps->p[i].slot) == v)
			return (int)i;
	return -1;
}

struct data_sink {
	struct snapshot_writer *w;
	unsigned index;
	struct machine_snapshot_stats *st;
};

static int data_sink(void *opaque, const void *buf, size_t len, char *err, size_t errlen)
{
	struct data_sink *s = opaque;
	const uint8_t *p = buf;
	size_t n;
	int ret;

	for (; len; p += n, len -= n) {
		n = len < SNAPSHOT_DATA_CHUNK_MAX ? len : SNAPSHOT_DATA_CHUNK_MAX;
		ret = snapshot_write_record(s->w, SNAPSHOT_REC_DEVICE_DATA, s->index, p, n);
		if (ret)
			return fail(err, errlen, "writing device data: %s", strerror(-ret));
		s->st->device_bytes += n;
	}
	return 0;
}

/* The vCPUs are paused: every device quiesced, then each one's data out
 * to the end, each left in STOP (the caller's failure path cancels). */
static int write_device_data(struct machine *m, struct parts *ps, struct snapshot_writer *w,
			     struct machine_snapshot_stats *st, char *err, size_t errlen)
{
	struct data_sink s = { .w = w, .st = st };
	int i, at;

	if (!m->pt.n_dev)
		return 0;
	if (passthrough_mig_quiesce(&m->pt, err, errlen))
		return -1;
	for (i = 0; i < m->pt.n_dev; i++) {
		at = part_of(m, ps, m->pt.dev[i]);
		if (at < 0)
			return fail(err, errlen, "%s: not on the bus", m->pt.ref[i].name);
		s.index = (unsigned)at;
		if (vfio_pci_mig_stop_copy(m->pt.dev[i], data_sink, &s, err, errlen))
			return -1;
	}
	m->pt_stopped = true;
	return 0;
}

int machine_snapshot_resume_devices(struct machine *m, char *err, size_t errlen)
{
	if (!m->pt_stopped)
		return 0;
	m->pt_stopped = false;
	return passthrough_mig_cancel(&m->pt, err, errlen);
}

static bool page_zero(const uint8_t *p)
{
	return p[0] == 0 && !memcmp(p, p + 1, PAGE - 1);
}

/* Guest RAM at gpa (hva) into ram records. With copy (the guest runs, a
 * live migration) the writer copies each byte before it sums and sends it,
 * so the bytes sent are the bytes the stream's checksum covered: a page the
 * guest changes meanwhile is dirty again and goes in the next round. */
static int put_ram(struct snapshot_writer *w, uint64_t gpa, const uint8_t *hva, uint64_t len,
		   bool copy)
{
	return copy ? snapshot_write_ram_copy(w, gpa, hva, len) :
		      snapshot_write_ram(w, gpa, hva, len);
}

/* Each run of pages that are not all zero. */
static int write_ram(struct machine *m, struct snapshot_writer *w,
		     struct machine_snapshot_stats *st, bool copy)
{
	const struct guest_mem *gm = &m->vm.mem;
	uint64_t off, run;
	int i, ret = 0;

	for (i = 0; i < gm->n_ram && !ret; i++) {
		const struct ram_region *r = &gm->ram[i];

		st->ram_total += r->size;
		for (off = 0; off < r->size && !ret; off += run ? run : PAGE) {
			run = 0;
			while (off + run < r->size && !page_zero(r->hva + off + run))
				run += PAGE;
			if (!run)
				continue;
			ret = put_ram(w, r->gpa + off, r->hva + off, run, copy);
			st->ram_bytes += run;
		}
	}
	return ret;
}

static int write_devices(struct parts *ps, struct snapshot_writer *w,
			 struct machine_snapshot_stats *st, char *err, size_t errlen)
{
	struct snap_out out;
	unsigned i;
	int ret = 0;

	snap_out_init(&out);
	for (i = 0; i < ps->n && !ret; i++) {
		snap_out_reset(&out);
		if (ps->p[i].save(ps->p[i].obj, &out) || snap_out_error(&out)) {
			ret = fail(err, errlen, "device %s (%s): its state could not be saved",
				   ps->p[i].id, ps->p[i].kind);
			break;
		}
		ret = snapshot_write_record(w, SNAPSHOT_REC_DEVICE_STATE, i, out.buf, out.len);
		st->device_bytes += out.len;
		if (ret)
			fail(err, errlen, "writing device %s's state: %s", ps->p[i].id,
			     strerror(-ret));
	}
	snap_out_free(&out);
	return ret ? -1 : 0;
}

int machine_snapshot_save(struct machine *m, int fd, struct machine_snapshot_stats *st,
			  char *err, size_t errlen)
{
	struct snapshot_shape *sh = malloc(sizeof(*sh));
	struct parts *ps = malloc(sizeof(*ps));
	struct snapshot_writer w;
	uint64_t t0 = clock_ns();
	int ret = -1, r;

	memset(st, 0, sizeof(*st));
	if (!sh || !ps) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	if (machine_snapshot_check(m, err, errlen))
		goto out;
	machine_parts(m, ps);
	if (machine_shape(m, ps, sh, err, errlen))
		goto out;
	r = snapshot_writer_open(&w, fd, sh);
	if (r) {
		fail(err, errlen, "writing the snapshot: %s", strerror(-r));
	} else if (write_device_data(m, ps, &w, st, err, errlen)) {
		/* err says what; the devices go back to RUNNING below */
	} else if (write_ram(m, &w, st, false)) {
		fail(err, errlen, "writing guest RAM: %s", strerror(w.err ? -w.err : EIO));
	} else if (!arch_snapshot_write_vm(m, &w, err, errlen) &&
		   !arch_snapshot_write_vcpus(m, &w, err, errlen) &&
		   !write_devices(ps, &w, st, err, errlen)) {
		r = snapshot_write_end(&w);
		if (r)
			fail(err, errlen, "writing the snapshot: %s", strerror(-r));
		else
			ret = 0;
	}
	st->bytes = w.offset;
	snapshot_writer_free(&w);
	if (ret && m->pt.n_dev) {
		char why[256];

		m->pt_stopped = false;
		if (passthrough_mig_cancel(&m->pt, why, sizeof(why)))
			pr_err("after the failed save: %s", why);
	}
out:
	st->ns = clock_ns() - t0;
	free(sh);
	free(ps);
	return ret;
}

/* --- loading ------------------------------------------------------------ */

struct loader {
	struct machine *m;
	struct parts *ps;
	struct arch_restore *arch;      /* the architecture's, vmm/arch.h */
	bool vm_loaded;
	bool vcpu_loaded[MAX_CPUS];
	bool resuming[SNAPSHOT_MAX_DEVICES];     /* a passed-through part in RESUMING */
	bool in_data_run;               /* the last record was VFIO data */
	struct machine_snapshot_stats *st;
};

static struct part *find_part(struct loader *l, const char *id)
{
	unsigned i;

	for (i = 0; i < l->ps->n; i++)
		if (!strcmp(l->ps->p[i].id, id))
			return &l->ps->p[i];
	return NULL;
}

static struct vfio_pci *part_vfio(struct loader *l, const struct part *p)
{
	return p->slot == SNAPSHOT_NO_SLOT ? NULL :
	       passthrough_at_slot(&l->m->pt, (int)p->slot);
}

/* A passed-through device's data, written into it in RESUMING. */
static int load_data(struct loader *l, const struct snapshot_record *rec, char *err,
		     size_t errlen)
{
	struct part *p = find_part(l, rec->dev->id);
	struct vfio_pci *v = p ? part_vfio(l, p) : NULL;

	if (!v || !l->resuming[p - l->ps->p])
		return fail(err, errlen, "record %u: VFIO data for device %s, which is no "
			    "passed-through device here", rec->seq, rec->dev->id);
	l->st->device_bytes += rec->len;
	l->st->data_bytes += rec->len;
	if (!l->in_data_run)
		l->st->data_runs++;
	l->in_data_run = true;
	return vfio_pci_mig_load_chunk(v, rec->data, rec->len, err, errlen);
}

/* Every passed-through device to RESUMING before the first record. */
static int resume_all(struct loader *l, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < l->ps->n; i++) {
		struct vfio_pci *v = part_vfio(l, &l->ps->p[i]);

		if (!v)
			continue;
		if (vfio_pci_mig_load_start(v, err, errlen))
			return -1;
		l->resuming[i] = true;
	}
	return 0;
}

static int load_ram(struct loader *l, const struct snapshot_record *rec, char *err, size_t errlen)
{
	uint8_t *hva = gpa_to_hva(&l->m->vm.mem, rec->gpa, rec->len);

	if (!hva)
		return fail(err, errlen, "RAM record %u at 0x%llx (%zu bytes): not in this "
			    "machine's RAM", rec->seq, (unsigned long long)rec->gpa, rec->len);
	if (hva != rec->data)   /* not read in place (ram_dest() below) */
		memcpy(hva, rec->data, rec->len);
	l->st->ram_bytes += rec->len;
	return 0;
}

/* The reader puts a ram record's bytes straight into guest RAM: the machine
 * runs only after the whole stream checked out (a failed load ends the
 * process, vmm/machine.c restore()). */
static uint8_t *ram_dest(void *opaque, uint64_t gpa, size_t len)
{
	struct machine *m = opaque;

	return gpa_to_hva(&m->vm.mem, gpa, len);
}

static int load_vm(struct loader *l, const struct snapshot_record *rec, char *err, size_t errlen)
{
	if (l->vm_loaded)
		return fail(err, errlen, "record %u: the VM's state a second time", rec->seq);
	if (arch_restore_vm(l->arch, &l->m->vm, rec->data, rec->len, err, errlen))
		return -1;
	l->vm_loaded = true;
	return 0;
}

static int load_vcpu(struct loader *l, const struct snapshot_record *rec, char *err,
		     size_t errlen)
{
	unsigned i = rec->index;

	if (i >= (unsigned)l->m->n_vcpus || l->vcpu_loaded[i])
		return fail(err, errlen, "record %u: vCPU %u's state %s", rec->seq, i,
			    i >= (unsigned)l->m->n_vcpus ? "for a vCPU this machine lacks" :
			    "a second time");
	if (arch_restore_vcpu(l->arch, l->m->vcpus[i].fd, (int)i, rec->data, rec->len,
			      err, errlen))
		return -1;
	l->vcpu_loaded[i] = true;
	return 0;
}

static int load_device(struct loader *l, const struct snapshot_record *rec, char *err,
		       size_t errlen)
{
	char what[SNAPSHOT_NAME_MAX * 2 + 32];
	struct snap_in in;
	struct part *p = find_part(l, rec->dev->id);

	if (!p)
		return fail(err, errlen, "record %u: state for device %s, which this machine "
			    "lacks", rec->seq, rec->dev->id);
	if (p->loaded)
		return fail(err, errlen, "record %u: device %s's state a second time", rec->seq,
			    p->id);
	/* A passed-through device takes its data (RESUMING -> STOP: its
	 * driver checks it) before its config state is replayed. */
	if (l->resuming[p - l->ps->p]) {
		l->resuming[p - l->ps->p] = false;
		if (vfio_pci_mig_load_end(part_vfio(l, p), err, errlen))
			return -1;
	}
	snprintf(what, sizeof(what), "device %s (%s) state", p->id, p->kind);
	snap_in_init(&in, rec->data, rec->len, rec->offset + SNAPSHOT_REC_HDR_LEN);
	p->load(p->obj, &in);
	if (snap_in_finish(&in, what, err, errlen))
		return -1;
	p->loaded = true;
	l->st->device_bytes += rec->len;
	return 0;
}

static int load_record(void *opaque, const struct snapshot_record *rec, char *err,
		       size_t errlen)
{
	struct loader *l = opaque;

	if (rec->type != SNAPSHOT_REC_DEVICE_DATA)
		l->in_data_run = false;
	switch (rec->type) {
	case SNAPSHOT_REC_RAM:
		return load_ram(l, rec, err, errlen);
	case SNAPSHOT_REC_IRQCHIP:
		return load_vm(l, rec, err, errlen);
	case SNAPSHOT_REC_VCPU:
		return load_vcpu(l, rec, err, errlen);
	case SNAPSHOT_REC_DEVICE_STATE:
		return load_device(l, rec, err, errlen);
	case SNAPSHOT_REC_DEVICE_DATA:
		return load_data(l, rec, err, errlen);
	default:
		return fail(err, errlen, "record %u: a %s record, which this conduit does not "
			    "load", rec->seq, snapshot_rec_name(rec->type));
	}
}

/* Everything with state must have had it loaded. */
static int load_complete(struct loader *l, char *err, size_t errlen)
{
	int i;
	unsigned d;

	if (!l->vm_loaded)
		return fail(err, errlen, "the snapshot has no VM state (irqchip record)");
	for (i = 0; i < l->m->n_vcpus; i++)
		if (!l->vcpu_loaded[i])
			return fail(err, errlen, "the snapshot has no state for vCPU %d", i);
	for (d = 0; d < l->ps->n; d++)
		if (!l->ps->p[d].loaded)
			return fail(err, errlen, "the snapshot has no state for device %s (%s)",
				    l->ps->p[d].id, l->ps->p[d].kind);
	return 0;
}

/* The guest may have kicked a queue the source had not yet served when
 * it saved (a guest that waits for its output buffer back spins until it
 * is): every virtio queue is served once now. */
static void kick_virtio(struct machine *m)
{
	int s;

	for (s = 1; s < PCI_MAX_SLOTS; s++) {
		struct pci_device *d = m->pci.slot[s];

		if (d && d->ops && !strcmp(d->ops->kind, "virtio-pci"))
			virtio_pci_kick_all(d);
	}
}

int machine_snapshot_load(struct machine *m, int fd, struct machine_snapshot_stats *st,
			  char *err, size_t errlen)
{
	struct loader *l = calloc(1, sizeof(*l));
	struct snapshot_shape *sh = malloc(sizeof(*sh));
	struct snapshot_reader r;
	uint64_t t0 = clock_ns();
	int ret = -1;

	memset(st, 0, sizeof(*st));
	snapshot_reader_init_fd(&r, fd);
	if (m->incoming)
		snapshot_reader_set_live(&r, m->incoming_idle_ms);
	snapshot_reader_set_ram_dest(&r, ram_dest, m);
	if (!l || !sh || !(l->ps = malloc(sizeof(*l->ps)))) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	l->m = m;
	l->st = st;
	if (machine_snapshot_check(m, err, errlen))
		goto out;
	machine_parts(m, l->ps);
	if (machine_shape(m, l->ps, sh, err, errlen) ||
	    !(l->arch = arch_restore_begin(m, err, errlen)))
		goto out;
	ret = resume_all(l, err, errlen);
	if (!ret)
		ret = snapshot_load(&r, sh, load_record, l, err, errlen);
	if (!ret)
		ret = load_complete(l, err, errlen);
	if (!ret)
		kick_virtio(m);
	/* Every device's data and config in: all to RUNNING_P2P, then all
	 * to RUNNING, before any vCPU runs. */
	if (!ret && m->pt.n_dev)
		ret = passthrough_mig_running_p2p(&m->pt, err, errlen) ||
		      passthrough_mig_running(&m->pt, err, errlen) ? -1 : 0;
	arch_restore_end(l->arch);
	st->bytes = r.offset;
	st->io_ns = r.io_ns;
out:
	st->ns = clock_ns() - t0;
	snapshot_reader_free(&r);
	if (l)
		free(l->ps);
	free(l);
	free(sh);
	return ret;
}

/* --- live migration: the source ----------------------------------------- */

/* One region's pages that are set in b, each sent whole (a page that became
 * zero is sent too: the destination has the old bytes). */
static int send_pages(struct snapshot_writer *w, const struct ram_region *r,
		      const struct vfio_dirty_bitmap *b, bool copy, uint64_t *sent)
{
	uint64_t pages = r->size / PAGE, p, run;
	int ret = 0;

	for (p = 0; p < pages && !ret; p += run ? run : 1) {
		run = 0;
		while (p + run < pages && vfio_dirty_bitmap_test(b, r->gpa + (p + run) * PAGE))
			run++;
		if (!run)
			continue;
		ret = put_ram(w, r->gpa + p * PAGE, r->hva + p * PAGE, run * PAGE, copy);
		*sent += run * PAGE;
	}
	return ret;
}

struct live {
	struct machine *m;
	struct machine_live *ctl;
	struct parts *ps;
	struct machine_snapshot_stats *st;
	struct snapshot_writer w;
	struct dirty_log dl;
	struct live_dirty ld;
	bool devices_started;           /* some device left RUNNING */
	struct vfio_dirty_bitmap b[MAX_RAM_REGIONS];
	struct migrate_rounds r;
	struct migrate_device_left left[MAX_PASSTHROUGH];
	uint64_t sent;
};

/* Conduit's own writes to region i since the last sync, taken. */
static int take_host_dirty(struct machine *m, int i, struct vfio_dirty_bitmap *host)
{
	const struct guest_mem *gm = &m->vm.mem;
	uint64_t w;

	if (vfio_dirty_bitmap_init(host, gm->ram[i].gpa, gm->ram[i].size, PAGE))
		return -ENOMEM;
	for (w = 0; w < vfio_dirty_bitmap_words(host); w++)
		host->bits[w] = __atomic_exchange_n(&gm->host_dirty[i][w], 0, __ATOMIC_RELAXED);
	return 0;
}

/* What KVM logged, conduit itself wrote and the devices wrote by DMA since
 * the last sync, ORed into each region's bitmap (counted per source in
 * l->ld); the dirty bytes in all, or -errno with err saying what. */
static int64_t sync_dirty(struct live *l, char *err, size_t errlen)
{
	struct machine *m = l->m;
	const struct guest_mem *gm = &m->vm.mem;
	struct vfio_dirty_bitmap kvm, host;
	uint64_t bytes = 0, t0 = clock_ns();
	int i;
	int64_t n;

	live_dirty_round(&l->ld);
	for (i = 0; i < gm->n_ram; i++) {
		if (dirty_log_bitmap_init(&l->dl, i, &kvm))
			return -ENOMEM;
		n = dirty_log_sync(&l->dl, i, &kvm);
		if (n < 0) {
			snprintf(err, errlen, "reading KVM's dirty log: %s", strerror((int)-n));
		} else if (take_host_dirty(m, i, &host)) {
			n = -ENOMEM;
			snprintf(err, errlen, "out of memory");
		} else {
			n = live_dirty_sync(&l->ld, &l->b[i], &kvm, &host, m->pt.dma_mapped,
					    err, errlen);
			vfio_dirty_bitmap_free(&host);
		}
		vfio_dirty_bitmap_free(&kvm);
		if (n < 0)
			return n;
		bytes += (uint64_t)n * PAGE;
	}
	l->st->sync_ns += clock_ns() - t0;
	return (int64_t)bytes;
}

static int send_dirty(struct machine *m, struct snapshot_writer *w, struct vfio_dirty_bitmap *b,
		      bool copy, uint64_t *sent)
{
	const struct guest_mem *gm = &m->vm.mem;
	int i, ret = 0;

	for (i = 0; i < gm->n_ram && !ret; i++) {
		ret = send_pages(w, &gm->ram[i], &b[i], copy, sent);
		vfio_dirty_bitmap_clear(&b[i]);
	}
	return ret;
}

/* Host-write tracking on (a bitmap per region, published) or off. */
static int host_dirty_set(struct machine *m, bool on)
{
	struct guest_mem *gm = &m->vm.mem;
	uint64_t *old[MAX_RAM_REGIONS] = { NULL };
	int i;

	pthread_mutex_lock(&devices_lock);
	for (i = 0; i < gm->n_ram; i++) {
		old[i] = gm->host_dirty[i];
		gm->host_dirty[i] = on ? calloc((gm->ram[i].size / PAGE + 63) / 64, 8) : NULL;
		if (on && !gm->host_dirty[i]) {
			pthread_mutex_unlock(&devices_lock);
			host_dirty_set(m, false);
			return -ENOMEM;
		}
	}
	pthread_mutex_unlock(&devices_lock);
	for (i = 0; i < MAX_RAM_REGIONS; i++)
		free(old[i]);
	return 0;
}

/* A send that failed: a destination that hung up is named as such. */
static int send_failed(char *err, size_t errlen, const char *what, int e)
{
	if (e == EPIPE || e == ECONNRESET)
		return fail(err, errlen, "%s: the destination closed the connection (its own "
			    "error says why)", what);
	return fail(err, errlen, "%s: %s", what, strerror(e));
}

static void live_progress(struct live *l)
{
	struct machine_live_figures *x = &l->ctl->xfig;

	pthread_mutex_lock(&l->ctl->lock);
	migrate_rounds_figures(&l->r, clock_ns(), &l->ctl->fig);
	memcpy(x->dirty_last, l->ld.round, sizeof(x->dirty_last));
	memcpy(x->dirty_total, l->ld.total, sizeof(x->dirty_total));
	pthread_mutex_unlock(&l->ctl->lock);
}

/* "kvm 120, conduit 3, dma-logging 0, iommu 0, all-dma 0" */
static void describe_sources(const uint64_t *pages, char *buf, size_t len)
{
	size_t n = 0;
	int k, r;

	buf[0] = '\0';
	for (k = 0; k < LIVE_DIRTY_NR && n < len; k++) {
		r = snprintf(buf + n, len - n, "%s%s %llu", k ? ", " : "",
			     live_dirty_src_name((enum live_dirty_src)k),
			     (unsigned long long)pages[k]);
		if (r < 0)
			break;
		n += (size_t)r;
	}
}

/* The limits as migrate-set-parameters left them, for the next decision. */
static void limits_now(struct live *l)
{
	pthread_mutex_lock(&l->ctl->lock);
	migrate_rounds_set_limits(&l->r, &l->ctl->limits);
	pthread_mutex_unlock(&l->ctl->lock);
}

static void log_sync(struct live *l, unsigned round)
{
	char buf[200];

	describe_sources(l->ld.round, buf, sizeof(buf));
	pr_info("migrate: dirty pages after round %u: %s", round, buf);
}

/* --- the passed-through devices while the guest runs --- */

static void device_names(struct machine *m, const struct machine_live *ctl,
			 struct live_dirty *ld)
{
	int i, iommufd;
	uint32_t hwpt;

	memset(ld, 0, sizeof(*ld));
	ld->n = (unsigned)m->pt.n_dev;
	ld->no_dma_logging = ctl->no_dma_logging;
	ld->no_container_dirty = ctl->no_container_dirty;
	for (i = 0; i < m->pt.n_dev; i++) {
		struct live_dirty_dev *d = &ld->dev[i];

		snprintf(d->name, sizeof(d->name), "%s", vfio_pci_mig_name(m->pt.dev[i]));
		d->fd = vfio_pci_mig_fd(m->pt.dev[i]);
		d->iommufd = -1;
		if (vfio_iommufd_dirty_hwpt(m->pt.backend, d->fd, &iommufd, &hwpt) == 0) {
			d->iommufd = iommufd;
			d->hwpt = hwpt;
		}
		d->container = vfio_type1_container(m->pt.backend);
	}
}

int machine_live_check(struct machine *m, const struct machine_live *ctl, char *err,
		       size_t errlen)
{
	struct live_dirty *ld;
	int ret;

	if (machine_snapshot_check(m, err, errlen))
		return -1;
	if (!m->pt.n_dev)
		return 0;
	ld = malloc(sizeof(*ld));
	if (!ld)
		return fail(err, errlen, "out of memory");
	device_names(m, ctl, ld);
	live_dirty_probe(ld);
	ret = live_dirty_choose(ld->dev, ld->n, ctl->dirty_all_dma, err, errlen);
	free(ld);
	return ret;
}

/* Every device's tracking on, then every device RUNNING -> PRE_COPY where
 * offered. */
static int devices_start(struct live *l, char *err, size_t errlen)
{
	struct machine *m = l->m;
	struct vfio_dirty_range ram[MAX_RAM_REGIONS];
	int i;

	device_names(m, l->ctl, &l->ld);
	for (i = 0; i < m->vm.mem.n_ram; i++) {
		ram[i].iova = m->vm.mem.ram[i].gpa;
		ram[i].length = m->vm.mem.ram[i].size;
	}
	if (!m->pt.n_dev)
		return 0;
	if (live_dirty_start(&l->ld, ram, (unsigned)m->vm.mem.n_ram, l->ctl->dirty_all_dma,
			     err, errlen))
		return -1;
	l->devices_started = true;
	if (passthrough_mig_start(&m->pt, err, errlen))
		return -1;
	for (i = 0; i < m->pt.n_dev; i++) {
		struct vfio_pci *v = m->pt.dev[i];

		pr_info("migrate: %s: %s (it offers %s)", vfio_pci_mig_name(v),
			vfio_mig_state_name(vfio_pci_mig_state(v)),
			vfio_mig_flags_name(vfio_pci_mig_flags(v)));
		if (vfio_pci_mig_state(v) == VFIO_DEVICE_STATE_PRE_COPY)
			l->ctl->xfig.precopy_devices++;
	}
	return 0;
}

/* Each device's pre-copy data, as much as it has now, into the stream; what
 * each still has (initial bytes, MIG_DATA_SIZE) into round for the planner. */
static int devices_precopy(struct live *l, struct migrate_round *round, char *err,
			   size_t errlen)
{
	struct data_sink s = { .w = &l->w, .st = l->st };
	struct machine *m = l->m;
	uint64_t before = l->st->device_bytes, initial, dirty, size;
	int i, at;

	for (i = 0; i < m->pt.n_dev; i++) {
		struct vfio_pci *v = m->pt.dev[i];

		at = part_of(m, l->ps, v);
		if (at < 0)
			return fail(err, errlen, "%s: not on the bus", vfio_pci_mig_name(v));
		s.index = (unsigned)at;
		if (vfio_pci_mig_precopy(v, 0, data_sink, &s, &initial, &dirty, err, errlen))
			return -1;
		if (vfio_pci_mig_data_size(v, &size, err, errlen))
			return -1;
		l->left[i].name = vfio_pci_mig_name(v);
		l->left[i].initial_bytes = initial;
		l->left[i].data_size = size;
		pr_debug("migrate: %s: pre-copy initial %llu, dirty %llu, stop-copy %llu bytes",
			 vfio_pci_mig_name(v), (unsigned long long)initial, (unsigned long long)dirty,
			 (unsigned long long)size);
	}
	round->dev = l->left;
	round->n_dev = (unsigned)m->pt.n_dev;
	round->device_bytes = l->st->device_bytes - before;
	round->sent_bytes += round->device_bytes;
	pthread_mutex_lock(&l->ctl->lock);
	l->ctl->xfig.precopy_bytes += round->device_bytes;
	pthread_mutex_unlock(&l->ctl->lock);
	return 0;
}

/* Cancel or failure: every device back to RUNNING, its tracking off. */
static void devices_cancel(struct live *l, char *err, size_t errlen)
{
	struct machine *m = l->m;
	char why[512];
	int i, ret;

	if (!l->devices_started)
		return;
	l->devices_started = false;
	live_dirty_stop(&l->ld);
	m->pt_stopped = false;
	ret = passthrough_mig_cancel(&m->pt, why, sizeof(why));
	for (i = 0; i < m->pt.n_dev; i++)
		pr_info("migrate: %s: back in %s", vfio_pci_mig_name(m->pt.dev[i]),
			vfio_mig_state_name(vfio_pci_mig_state(m->pt.dev[i])));
	if (!ret)
		return;
	pr_err("migrate: %s", why);
	strncat(err, "; ", errlen - strlen(err) - 1);
	strncat(err, why, errlen - strlen(err) - 1);
}

/* Where a live migration's time went, for whoever tunes it: the dirty logs,
 * the socket (writes wait while the destination or the link is slower),
 * and the rest (pages scanned, copied and summed; device state). */
static void log_time(const struct machine_snapshot_stats *st, uint64_t ns)
{
	uint64_t parts = st->io_ns + st->sync_ns;
	uint64_t rest = ns > parts ? ns - parts : 0;

	pr_info("migrate: %.0f ms in all: dirty-log syncs %.0f ms, socket writes %.0f ms "
		"(waiting for the destination included), the rest %.0f ms (pages scanned, "
		"copied and summed, device state)", (double)ns / 1e6,
		(double)st->sync_ns / 1e6, (double)st->io_ns / 1e6, (double)rest / 1e6);
}

/* Rounds while the guest runs, until the planner switches over. */
static int live_rounds(struct live *l, struct migrate_round *round, char *err, size_t errlen)
{
	char why[320];
	uint64_t t0;
	int64_t dirty;
	enum migrate_next next;

	for (;;) {
		if (atomic_load(&l->ctl->cancel))
			return fail(err, errlen, "cancelled");
		dirty = sync_dirty(l, err, errlen);
		if (dirty < 0)
			return -1;
		round->dirty_bytes = (uint64_t)dirty;
		log_sync(l, (unsigned)l->r.fig.dirty_sync_count + 1);
		limits_now(l);
		next = migrate_rounds_next(&l->r, round, why, sizeof(why));
		pr_info("migrate: %s", why);
		if (next != MIGRATE_NEXT_ROUND)
			return 0;
		t0 = clock_ns();
		round->sent_bytes = 0;
		if (send_dirty(l->m, &l->w, l->b, true, &round->sent_bytes))
			return send_failed(err, errlen, "sending guest RAM", -l->w.err);
		if (devices_precopy(l, round, err, errlen))
			return -1;
		round->ns = clock_ns() - t0;
		l->sent += round->sent_bytes;
		live_progress(l);
	}
}

/* The devices stopped: the last dirty pages. */
static int last_pages(struct live *l, uint64_t *sent, char *err, size_t errlen)
{
	if (sync_dirty(l, err, errlen) < 0)
		return -1;
	log_sync(l, (unsigned)l->r.fig.dirty_sync_count + 1);
	if (send_dirty(l->m, &l->w, l->b, true, sent))
		return send_failed(err, errlen, "sending the last guest RAM",
				   l->w.err ? -l->w.err : EIO);
	return 0;
}

/* The vCPUs paused: every device quiesced and drained (STOP), then the
 * last dirty pages (the devices' last DMA writes with them), the VM, the
 * vCPUs and the devices, then the end. */
static int live_switchover(struct live *l, char *err, size_t errlen)
{
	struct machine_snapshot_stats *st = l->st;
	uint64_t sent = 0, dev0 = st->device_bytes;
	int ret = -1, r;

	vm_pause(&l->m->vm);
	pr_info("migrate: vCPUs paused for the switchover at %llu ns (CLOCK_REALTIME)",
		(unsigned long long)clock_realtime_ns());
	migrate_rounds_switchover(&l->r, clock_ns());
	pthread_mutex_lock(&devices_lock);
	r = write_device_data(l->m, l->ps, &l->w, st, err, errlen);
	pthread_mutex_lock(&l->ctl->lock);
	l->ctl->xfig.stop_copy_bytes = st->device_bytes - dev0;
	pthread_mutex_unlock(&l->ctl->lock);
	if (r || last_pages(l, &sent, err, errlen)) {
		/* err says what; the caller takes the devices back to RUNNING */
	} else if (!arch_snapshot_write_vm(l->m, &l->w, err, errlen) &&
		   !arch_snapshot_write_vcpus(l->m, &l->w, err, errlen) &&
		   !write_devices(l->ps, &l->w, st, err, errlen)) {
		r = snapshot_write_end(&l->w);
		if (r)
			send_failed(err, errlen, "sending the end", -r);
		else
			ret = 0;
	}
	pthread_mutex_unlock(&devices_lock);
	l->sent += sent;
	migrate_rounds_complete(&l->r, sent, st->device_bytes, clock_ns());
	live_progress(l);
	return ret;
}

/* Guest RAM's first pass and the devices' first pre-copy data, then the
 * rounds and the switchover. */
static int live_send(struct live *l, struct snapshot_shape *sh, int fd, char *err,
		     size_t errlen)
{
	struct migrate_round round = { 0 };
	struct machine *m = l->m;
	uint64_t t0;
	int i, r;

	r = snapshot_writer_open(&l->w, fd, sh);
	if (r)
		return send_failed(err, errlen, "sending the header", -r);
	if (l->ctl->throttle)
		snapshot_writer_set_pace(&l->w, migrate_throttle_pace, l->ctl->throttle);
	/* The logs from here on; everything not zero goes in the first round. */
	if (sync_dirty(l, err, errlen) < 0)
		return -1;
	for (i = 0; i < m->vm.mem.n_ram; i++)
		vfio_dirty_bitmap_clear(&l->b[i]);
	memset(l->ld.total, 0, sizeof(l->ld.total));
	migrate_rounds_setup_done(&l->r, clock_ns());
	t0 = clock_ns();
	/* The devices' initial data first, so the destination has it before
	 * anything else (and guest RAM always lies between it and the
	 * stop-copy data) */
	if (devices_precopy(l, &round, err, errlen))
		return -1;
	if (write_ram(m, &l->w, l->st, true))
		return send_failed(err, errlen, "sending guest RAM", l->w.err ? -l->w.err : EIO);
	l->sent = l->st->ram_bytes;
	/* the planner measures the link on the first pass too */
	round.sent_bytes += l->st->ram_bytes;
	round.ns = clock_ns() - t0;
	live_progress(l);
	if (live_rounds(l, &round, err, errlen) || live_switchover(l, err, errlen))
		return -1;
	return 0;
}

int machine_snapshot_send_live(struct machine *m, int fd, struct machine_live *ctl,
			       struct machine_snapshot_stats *st, char *err, size_t errlen)
{
	struct live *l = calloc(1, sizeof(*l));
	struct snapshot_shape *sh = malloc(sizeof(*sh));
	struct parts *ps = malloc(sizeof(*ps));
	uint64_t t0 = clock_ns();
	char why[256], buf[200];
	int i, ret = -1;

	memset(st, 0, sizeof(*st));
	if (!l || !sh || !ps) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	l->m = m;
	l->ctl = ctl;
	l->ps = ps;
	l->st = st;
	if (machine_live_check(m, ctl, err, errlen))
		goto out;
	machine_parts(m, ps);
	if (machine_shape(m, ps, sh, err, errlen))
		goto out;
	for (i = 0; i < m->vm.mem.n_ram; i++)
		if (vfio_dirty_bitmap_init(&l->b[i], m->vm.mem.ram[i].gpa, m->vm.mem.ram[i].size,
					   PAGE)) {
			fail(err, errlen, "out of memory");
			goto out;
		}
	dirty_log_init(&l->dl, m->vm.vm_fd, &m->vm.mem, m->vm.ram_slot);
	if (host_dirty_set(m, true) || dirty_log_start(&l->dl, err, errlen)) {
		if (!err[0])
			fail(err, errlen, "out of memory");
		goto out_log;
	}
	pthread_mutex_lock(&l->ctl->lock);
	migrate_rounds_start(&l->r, &ctl->limits, m->vm.mem.ram_size, t0);
	pthread_mutex_unlock(&l->ctl->lock);
	if (devices_start(l, err, errlen) == 0 && live_send(l, sh, fd, err, errlen) == 0)
		ret = 0;
	st->bytes = l->w.offset;
	st->io_ns = l->w.io_ns;
	snapshot_writer_free(&l->w);
	if (ret) {
		devices_cancel(l, err, errlen);
	} else if (l->devices_started) {
		/* The devices wait in STOP: the guest runs on at the destination
		 * (a QMP cont here takes them back to RUNNING). */
		live_dirty_stop(&l->ld);
	}
	describe_sources(l->ld.total, buf, sizeof(buf));
	pr_info("migrate: dirty pages in all: %s; device data %llu bytes in pre-copy, %llu in "
		"stop-copy", buf, (unsigned long long)ctl->xfig.precopy_bytes,
		(unsigned long long)ctl->xfig.stop_copy_bytes);
	log_time(st, clock_ns() - t0);
out_log:
	if (dirty_log_stop(&l->dl, why, sizeof(why)))
		pr_warn("migrate: %s", why);
	host_dirty_set(m, false);
out:
	if (l)
		for (i = 0; i < MAX_RAM_REGIONS; i++)
			if (l->b[i].bits)
				vfio_dirty_bitmap_free(&l->b[i]);
	st->ns = clock_ns() - t0;
	free(l);
	free(sh);
	free(ps);
	return ret;
}
