/* Unit tests of a passed-through device's snapshot and migration side
 * (issue 15): its own state as the vfio-pci kind's ops->save and
 * ops->load (vfio/pci_state.c), its migration data steps
 * (vfio/pci_migrate.c) and the passthrough-level helpers
 * (vfio/passthrough_migrate.c).
 *
 * The device is the fake of tests/support/fake_vfio.c over a temporary
 * file, plugged by the real vfio_pci_attach(), its vm fd the fake KVM:
 *
 *   0x00000 - 0x00fff  config space: MSI (64-bit, per-vector masking,
 *                      4 vectors) at 0x50, MSI-X (4 vectors, table at
 *                      BAR0 + 0x2000, PBA at + 0x3000) at 0x70, INTx pin A
 *   0x10000 - 0x13fff  BAR0, 64-bit memory, mmap-able: its first 8 KiB
 *                      go into a KVM memory slot while it decodes
 *   0x14000 - 0x140ff  BAR2, I/O, trapped
 *   0x18000 - 0x1bfff  the expansion ROM
 *
 * A state test programs the device as a guest would (config writes,
 * MSI-X table writes through the BAR), pictures what VFIO and KVM hold,
 * saves, unplugs the device (nothing is left in KVM), attaches a fresh
 * one over a fresh file, loads, and pictures again: the same routes,
 * irqfds, SET_IRQS, memory slots, guest view and device command register,
 * whatever eventfd and GSI numbers the second device got. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include "suites.h"
#include "../../devices/msi.h"
#include "../../devices/msix.h"
#include "../../devices/pci.h"
#include "../../vfio/host/host_pci.h"
#include "../../vfio/passthrough.h"
#include "../../vfio/pci_migrate.h"
#include "../../vfio/vfio_pci.h"
#include "../../vmm/memmap.h"
#include "../../vmm/snapshot/cursor.h"
#include "../../vmm/vm.h"
#include "../support/fake_ioctl.h"
#include "../support/fake_kvm.h"
#include "../support/fake_sysfs.h"
#include "../support/fake_vfio.h"

#define RAM_SIZE   (256ULL << 20)
#define FILE_SIZE  0x20000
#define BAR_OFF    0x10000ULL
#define BAR_SIZE   0x4000ULL
#define IO_OFF     0x14000ULL
#define IO_SIZE    0x100ULL
#define ROM_OFF    0x18000ULL
#define ROM_SIZE   0x4000ULL
#define TABLE      0x2000ULL
#define PBA        0x3000ULL
#define NVEC       4
#define BAR_GPA    0xc0000000ULL
#define ROM_GPA    0xc0100000ULL
#define IO_PORT    0xc000U

#define CAP_MSI    0x50
#define CAP_MSIX   0x70
#define MSI_MASK   (CAP_MSI + 16)
#define MSI_PEND   (CAP_MSI + 20)

#define WHAT       "device 1's state"
#define DEV        "0000:01:00.0"

/* Where the fields are in a state with NVEC MSI-X vectors (pci_state.c). */
#define AT_VERSION   0
#define AT_DEVICE    3
#define AT_COMMAND   5
#define AT_BAR(i)    (7 + 17 * (i))
#define AT_PIN       126
#define AT_INTX_ON   128
#define AT_MODE      129
#define AT_VECTORS   130
#define AT_MSI_CAP   132
#define AT_MSI_CTRL  133
#define AT_MSI_ADDR  135
#define AT_MSI_MASK  145
#define AT_MSIX_N    153
#define AT_MSIX_FL   155
#define AT_ENTRY(i)  (156 + 16 * (i))
#define AT_PBA       AT_ENTRY(NVEC)
#define STATE_LEN    (AT_PBA + 8)

static void misuse(const char *what)
{
	ck_abort_msg("%s", what);
}

/* ---- the synthetic device ---- */

static void put16(uint8_t *p, unsigned off, uint16_t v) { memcpy(p + off, &v, 2); }
static void put32(uint8_t *p, unsigned off, uint32_t v) { memcpy(p + off, &v, 4); }

static void build_config(uint8_t *c)
{
	memset(c, 0, 4096);
	put16(c, PCI_VENDOR_ID, 0x8086);
	put16(c, PCI_DEVICE_ID, 0x1533);
	put16(c, PCI_STATUS, PCI_STATUS_CAP_LIST);
	put32(c, PCI_REVISION_ID, 0x02000003);
	put32(c, PCI_BASE_ADDRESS_0, 0x4);              /* 64-bit memory */
	put32(c, PCI_BASE_ADDRESS_2, 0x1);              /* I/O */
	c[PCI_CAPABILITY_LIST] = CAP_MSI;
	c[PCI_INTERRUPT_PIN] = 1;
	c[CAP_MSI] = PCI_CAP_ID_MSI;
	c[CAP_MSI + 1] = CAP_MSIX;
	put16(c, CAP_MSI + 2, MSI_CTRL_64BIT | MSI_CTRL_PVM | (2 << 1));   /* 4 vectors */
	c[CAP_MSIX] = PCI_CAP_ID_MSIX;
	put16(c, CAP_MSIX + 2, NVEC - 1);
	put32(c, CAP_MSIX + 4, (uint32_t)TABLE);
	put32(c, CAP_MSIX + 8, (uint32_t)PBA);
}

static struct fake_vfio_desc describe(void)
{
	struct fake_vfio_desc d = { .flags = 0 };
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

	d.region[VFIO_PCI_BAR0_REGION_INDEX] = (struct fake_vfio_region){
		BAR_OFF, BAR_SIZE, rw | VFIO_REGION_INFO_FLAG_MMAP };
	d.region[VFIO_PCI_BAR2_REGION_INDEX] = (struct fake_vfio_region){ IO_OFF, IO_SIZE, rw };
	d.region[VFIO_PCI_ROM_REGION_INDEX] = (struct fake_vfio_region){
		ROM_OFF, ROM_SIZE, VFIO_REGION_INFO_FLAG_READ };
	d.region[VFIO_PCI_CONFIG_REGION_INDEX] = (struct fake_vfio_region){ 0, 4096, rw };
	d.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	d.irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 4;
	d.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = NVEC;
	return d;
}

static int make_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	uint8_t *buf = calloc(1, FILE_SIZE);
	int fd;

	ck_assert_ptr_nonnull(buf);
	build_config(buf);
	snprintf(path, sizeof(path), "%s/conduit-vfio-state-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(pwrite(fd, buf, FILE_SIZE, 0), FILE_SIZE);
	free(buf);
	return fd;
}

/* ---- the rig ---- */

static struct {
	struct vm *vm;
	struct pci_bus bus;
	struct vfio_pci *v;
	int fd;                 /* the test's descriptor of the current file */
	unsigned flags;         /* vfio_pci_attach's */
	struct snap_out out;
	char err[512];
} R = { .fd = -1 };

static void vm_up(void)
{
	R.vm = calloc(1, sizeof(*R.vm));
	ck_assert_ptr_nonnull(R.vm);
	fake_ioctl_reset(0);
	fake_kvm.misuse = misuse;
	ck_assert_int_ge(fake_kvm_open(), 0);
	fake_kvm_reset();
	R.vm->kvm_fd = -1;
	R.vm->vm_fd = fake_kvm.fd;
	R.vm->stop_efd = -1;
	R.vm->pio.name = "pio";
	R.vm->mmio.name = "mmio";
	ck_assert_int_eq(irq_router_init(&R.vm->irq, fake_kvm.fd), 0);
	ck_assert_int_eq(memmap_layout(&R.vm->mem, RAM_SIZE), 0);
	ck_assert_int_eq(pci_bus_init(&R.bus, &R.vm->pio, &R.vm->mmio, MEM_ECAM_START,
				      MEM_PCI32_START, MEM_PCI32_SIZE,
				      R.vm->mem.pci64_base, R.vm->mem.pci64_size), 0);
	ck_assert_int_eq(pci_bus_reserve(&R.bus, R.vm->mem.ram[0].gpa, R.vm->mem.ram[0].size), 0);
	memslots_init(&R.vm->slots, 0);
	fake_vfio_reset(NULL, -1);
	fake_vfio.misuse = misuse;
	snap_out_init(&R.out);
}

/* A fresh device over a fresh file, as conduit's start path plugs it. */
static void attach(void)
{
	struct fake_vfio_desc desc = describe();

	if (R.fd >= 0)
		close(R.fd);
	R.fd = make_file();
	fake_vfio_reset(&desc, R.fd);
	R.v = vfio_pci_attach(R.vm, &R.bus, &fake_vfio_backend, &fake_vfio_ref, R.flags, -1,
			      R.err, sizeof(R.err));
	ck_assert_msg(R.v != NULL, "attach: %s", R.err);
	ck_assert_int_eq(R.v->pci.slot, 1);
}

/* Unplug it: nothing of it is left in KVM or vfio-pci. */
static void detach(void)
{
	pci_bus_remove(&R.bus, &R.v->pci);
	R.v = NULL;
	ck_assert_uint_eq(fake_kvm.n_irqfds, 0);
	ck_assert_uint_eq(fake_kvm_slots(), 0);
	ck_assert_int_eq(fake_vfio.active, -1);
}

static void setup(void)
{
	vm_up();
	attach();
}

static void setup_no_msix(void)
{
	R.flags = VFIO_PCI_NO_MSIX;
	setup();
}

static void teardown(void)
{
	if (R.v)
		detach();
	ck_assert_msg(fake_ioctl.strays == 0, "%u stray ioctl(s), the last 0x%lx on fd %d",
		      fake_ioctl.strays, fake_ioctl.last_stray_req, fake_ioctl.last_stray_fd);
	ck_assert_uint_eq(fake_kvm.other_calls, 0);
	fake_vfio_reset(NULL, -1);
	fake_kvm_close();
	pthread_mutex_destroy(&R.vm->irq.lock);
	free(R.vm);
	R.vm = NULL;
	if (R.fd >= 0)
		close(R.fd);
	R.fd = -1;
	R.flags = 0;
	snap_out_free(&R.out);
}

/* ---- the guest ---- */

static void cfg_wr(unsigned off, unsigned size, uint32_t val)
{
	pci_guest_cfg_write(&R.v->pci, off, size, val);
}

static uint32_t cfg_rd(unsigned off, unsigned size)
{
	return pci_guest_cfg_read(&R.v->pci, off, size);
}

static void table_wr(unsigned vec, uint64_t addr, uint32_t data, uint32_t ctrl)
{
	uint64_t at = BAR_GPA + TABLE + (uint64_t)vec * MSIX_ENTRY_SIZE;

	io_bus_write(&R.vm->mmio, at, 8, addr);
	io_bus_write(&R.vm->mmio, at + 8, 4, data);
	io_bus_write(&R.vm->mmio, at + 12, 4, ctrl);
}

static uint64_t msix_addr(unsigned vec)
{
	return 0xfee00000ULL | (uint64_t)vec << 12;
}

/* BAR0 at BAR_GPA, BAR2 at IO_PORT, the ROM at ROM_GPA (enabled), memory
 * and I/O decode and bus mastering on. */
static void program_bars(void)
{
	cfg_wr(PCI_BASE_ADDRESS_0, 4, (uint32_t)BAR_GPA);
	cfg_wr(PCI_BASE_ADDRESS_1, 4, (uint32_t)(BAR_GPA >> 32));
	cfg_wr(PCI_BASE_ADDRESS_2, 4, IO_PORT);
	cfg_wr(PCI_ROM_ADDRESS, 4, (uint32_t)ROM_GPA | PCI_ROM_ADDRESS_ENABLE);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
}

/* The eventfd vfio-pci got for vector vec of index at its last enable. */
static int efd_of(uint32_t index, unsigned vec)
{
	const struct fake_vfio_set *s = fake_vfio_last_set(index, VFIO_IRQ_SET_ACTION_TRIGGER);

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_gt(s->count, vec);
	return s->fd[vec];
}

static void signal_efd(int efd)
{
	uint64_t one = 1;

	ck_assert_int_eq(write(efd, &one, 8), 8);
}

/* MSI-X on: vectors 0, 1 and 3 unmasked, 2 masked with an interrupt
 * waiting in its eventfd. */
static void program_msix(void)
{
	unsigned i;

	program_bars();
	for (i = 0; i < NVEC; i++)
		table_wr(i, msix_addr(i), 0x30 + i, i == 2 ? MSIX_VEC_MASKED : 0);
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE);
	ck_assert(R.v->msix_on);
	signal_efd(efd_of(VFIO_PCI_MSIX_IRQ_INDEX, 2));
}

/* MSI on with 4 vectors, vector 1 masked. */
static void program_msi(void)
{
	program_bars();
	cfg_wr(CAP_MSI + 4, 4, 0xfee01000);
	cfg_wr(CAP_MSI + 8, 4, 0);
	cfg_wr(CAP_MSI + 12, 2, 0x60);
	cfg_wr(MSI_MASK, 4, 0x2);
	cfg_wr(CAP_MSI + 2, 2, MSI_CTRL_ENABLE | (2 << 4));
	ck_assert_uint_eq(R.v->msi_nvec, 4);
}

/* ---- what VFIO and KVM hold ---- */

struct vec_picture {
	bool live;
	uint64_t addr;
	uint32_t data;
};

struct picture {
	int active;                     /* vfio-pci's trigger index */
	uint32_t count;                 /* its vectors at the last enable */
	struct vec_picture vec[NVEC];   /* by position in that enable */
	bool intx;                      /* an irqfd with a resample eventfd */
	uint32_t intx_gsi;
	unsigned slots;
	struct fake_kvm_slot slot[4];   /* the used ones, in slot order */
	bool mapped[PCI_NUM_BARS + 1];
	uint64_t bar_addr[PCI_NUM_BARS + 1];
	uint32_t view[64];              /* the guest's view of 0x00 - 0xff */
	uint16_t dev_command;           /* what the device holds */
};

static void picture_vectors(struct picture *p)
{
	const struct fake_vfio_set *s;
	unsigned i;

	if (p->active != VFIO_PCI_MSI_IRQ_INDEX && p->active != VFIO_PCI_MSIX_IRQ_INDEX)
		return;
	s = fake_vfio_last_set((uint32_t)p->active, VFIO_IRQ_SET_ACTION_TRIGGER);
	ck_assert_ptr_nonnull(s);
	p->count = s->count;
	for (i = 0; i < s->count && i < NVEC; i++) {
		const struct fake_kvm_irqfd *f = fake_kvm_irqfd_of(s->fd[i]);
		const struct kvm_irq_routing_entry *e;

		if (!f)
			continue;
		e = fake_kvm_msi_route(f->gsi);
		ck_assert_ptr_nonnull(e);
		p->vec[i].live = true;
		p->vec[i].addr = (uint64_t)e->u.msi.address_hi << 32 | e->u.msi.address_lo;
		p->vec[i].data = e->u.msi.data;
	}
}

static void picture_slots(struct picture *p)
{
	unsigned i;

	for (i = 0; i < FAKE_KVM_SLOTS; i++) {
		if (!fake_kvm.slot[i].used)
			continue;
		ck_assert_uint_lt(p->slots, 4);
		p->slot[p->slots] = fake_kvm.slot[i];
		p->slot[p->slots].hva = 0;      /* another mmap */
		p->slots++;
	}
}

static void picture(struct picture *p)
{
	unsigned i;

	memset(p, 0, sizeof(*p));
	p->active = fake_vfio.active;
	picture_vectors(p);
	for (i = 0; i < fake_kvm.n_irqfds; i++) {
		if (fake_kvm.irqfd[i].resamplefd < 0)
			continue;
		p->intx = true;
		p->intx_gsi = fake_kvm.irqfd[i].gsi;
	}
	picture_slots(p);
	for (i = 0; i <= PCI_NUM_BARS; i++) {
		p->mapped[i] = R.v->pci.bar[i].mapped;
		p->bar_addr[i] = R.v->pci.bar[i].addr;
	}
	for (i = 0; i < 64; i++)
		p->view[i] = cfg_rd(4 * i, 4);
	ck_assert_int_eq(pread(R.fd, &p->dev_command, 2, PCI_COMMAND), 2);
}

static void expect_same(const struct picture *a, const struct picture *b)
{
	unsigned i;

	ck_assert_int_eq(b->active, a->active);
	ck_assert_uint_eq(b->count, a->count);
	for (i = 0; i < NVEC; i++) {
		ck_assert_msg(b->vec[i].live == a->vec[i].live, "vector %u live %d, was %d",
			      i, b->vec[i].live, a->vec[i].live);
		ck_assert_uint_eq(b->vec[i].addr, a->vec[i].addr);
		ck_assert_uint_eq(b->vec[i].data, a->vec[i].data);
	}
	ck_assert_int_eq(b->intx, a->intx);
	ck_assert_uint_eq(b->intx_gsi, a->intx_gsi);
	ck_assert_uint_eq(b->slots, a->slots);
	for (i = 0; i < a->slots; i++) {
		ck_assert_uint_eq(b->slot[i].gpa, a->slot[i].gpa);
		ck_assert_uint_eq(b->slot[i].size, a->slot[i].size);
	}
	for (i = 0; i <= PCI_NUM_BARS; i++) {
		ck_assert_int_eq(b->mapped[i], a->mapped[i]);
		if (a->mapped[i])
			ck_assert_uint_eq(b->bar_addr[i], a->bar_addr[i]);
	}
	for (i = 0; i < 64; i++)
		ck_assert_msg(b->view[i] == a->view[i], "config dword 0x%02x: 0x%08x, was 0x%08x",
			      4 * i, b->view[i], a->view[i]);
	ck_assert_uint_eq(b->dev_command, a->dev_command);
}

/* ---- save, move, load ---- */

static void save(void)
{
	snap_out_reset(&R.out);
	ck_assert_int_eq(R.v->pci.ops->save(&R.v->pci, &R.out), 0);
	ck_assert_int_eq(snap_out_error(&R.out), 0);
	ck_assert_uint_eq(R.out.len, STATE_LEN);
}

/* The device unplugged, a fresh one attached in its place. */
static void move_to_fresh_device(void)
{
	detach();
	fake_kvm_reset();
	attach();
	fake_vfio_clear_log();
}

/* Load buf into the device: what snap_in_finish() says ("" when fine). */
static int load(const uint8_t *buf, size_t len)
{
	struct snap_in in;
	int ret;

	R.err[0] = '\0';
	snap_in_init(&in, buf, len, 0);
	ret = R.v->pci.ops->load(&R.v->pci, &in);
	if (snap_in_finish(&in, WHAT, R.err, sizeof(R.err)))
		return -1;
	ck_assert_int_eq(ret, 0);
	return 0;
}

static unsigned effects(void)
{
	return fake_vfio.n_sets + fake_kvm.irqfd_calls + fake_kvm.routing_commits +
	       fake_kvm.slot_calls;
}

/* ---- 1. state round trips ---- */

START_TEST(msix_round_trip)
{
	struct picture before, after;
	uint8_t *state;
	int efd;

	program_msix();
	picture(&before);
	ck_assert_int_eq(before.active, VFIO_PCI_MSIX_IRQ_INDEX);
	ck_assert(before.vec[0].live && before.vec[1].live && !before.vec[2].live &&
		  before.vec[3].live);
	ck_assert_uint_eq(before.vec[3].addr, msix_addr(3));
	ck_assert_uint_eq(before.vec[3].data, 0x33);
	ck_assert(!before.intx);
	ck_assert_uint_eq(before.slots, 1);             /* BAR0's first 8 KiB */
	ck_assert_uint_eq(before.slot[0].gpa, BAR_GPA);
	ck_assert_uint_eq(before.slot[0].size, 0x2000);
	ck_assert(before.mapped[0] && before.mapped[2] && before.mapped[PCI_ROM_BAR]);
	save();
	/* The masked vector's waiting interrupt became its pending bit. */
	ck_assert_uint_eq(R.out.buf[AT_PBA], 1U << 2);
	state = malloc(R.out.len);
	memcpy(state, R.out.buf, R.out.len);

	move_to_fresh_device();
	ck_assert(!R.v->msix_on);
	ck_assert(R.v->intx_on);
	ck_assert_msg(load(state, STATE_LEN) == 0, "%s", R.err);
	picture(&after);
	expect_same(&before, &after);
	/* One MSI-X enable with the 4 eventfds, INTx off: as the guest's. */
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER), 1);
	ck_assert_ptr_nonnull(fake_vfio_last_set(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER));
	ck_assert_uint_eq(fake_vfio_last_set(VFIO_PCI_INTX_IRQ_INDEX,
					     VFIO_IRQ_SET_ACTION_TRIGGER)->count, 0);

	/* It behaves the same: the table and the pending bit read back, the
	 * BARs' data trap where the guest put them, and unmasking vector 2
	 * delivers its interrupt (relayed once) and makes it live. */
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + TABLE + 3 * 16, 4), (uint32_t)msix_addr(3));
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + TABLE + 3 * 16 + 8, 4), 0x33);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + PBA, 8), 1U << 2);
	ck_assert_uint_eq(io_bus_read(&R.vm->pio, IO_PORT, 1), 0);
	efd = efd_of(VFIO_PCI_MSIX_IRQ_INDEX, 2);
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 2 * 16 + 12, 4, 0);
	ck_assert_uint_eq(R.v->stats.relayed_irqs, 1);
	ck_assert_ptr_nonnull(fake_kvm_irqfd_of(efd));
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + PBA, 8), 0);
	/* Saved again, it is the same state but for that vector. */
	save();
	state[AT_ENTRY(2) + 12] = 0;
	state[AT_PBA] = 0;
	ck_assert(!memcmp(state, R.out.buf, STATE_LEN));
	free(state);
}
END_TEST

START_TEST(msi_round_trip)
{
	struct picture before, after;
	uint8_t *state;

	program_msi();
	picture(&before);
	ck_assert_int_eq(before.active, VFIO_PCI_MSI_IRQ_INDEX);
	ck_assert_uint_eq(before.count, 4);
	ck_assert(before.vec[0].live && !before.vec[1].live && before.vec[3].live);
	ck_assert_uint_eq(before.vec[3].data, 0x63);
	/* Vector 1 masked with an interrupt waiting: a pending bit. */
	signal_efd(efd_of(VFIO_PCI_MSI_IRQ_INDEX, 1));
	save();
	ck_assert_uint_eq(R.out.buf[AT_MODE], 1);
	state = malloc(R.out.len);
	memcpy(state, R.out.buf, R.out.len);
	before.view[MSI_PEND / 4] = 0x2;        /* what the read made of it */

	move_to_fresh_device();
	ck_assert_msg(load(state, STATE_LEN) == 0, "%s", R.err);
	ck_assert_uint_eq(R.v->msi_nvec, 4);
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER), 1);
	picture(&after);
	expect_same(&before, &after);
	/* Unmasked, the pending interrupt is delivered. */
	cfg_wr(MSI_MASK, 4, 0);
	ck_assert_uint_eq(R.v->stats.relayed_irqs, 1);
	ck_assert_uint_eq(cfg_rd(MSI_PEND, 4), 0);
	free(state);
}
END_TEST

/* Neither MSI nor MSI-X: INTx stays on; the guest's INTx disable and the
 * memory-only decode reach the device; BARs the guest moved are where it
 * put them, the I/O BAR does not decode. */
START_TEST(intx_round_trip)
{
	struct picture before, after;
	uint8_t *state;

	program_bars();
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	cfg_wr(PCI_INTERRUPT_LINE, 1, 0x0a);
	picture(&before);
	ck_assert(before.intx && before.mapped[0] && !before.mapped[2]);
	ck_assert_uint_eq(before.dev_command, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	save();
	ck_assert_uint_eq(R.out.buf[AT_INTX_ON], 1);
	state = malloc(R.out.len);
	memcpy(state, R.out.buf, R.out.len);

	move_to_fresh_device();
	ck_assert_uint_eq(R.v->pci.cfg[PCI_INTERRUPT_LINE], before.intx_gsi);
	ck_assert_msg(load(state, STATE_LEN) == 0, "%s", R.err);
	picture(&after);
	expect_same(&before, &after);
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_LINE, 1), 0x0a);
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_INTX_IRQ_INDEX, 0), 0);      /* left as it was */
	free(state);
}
END_TEST

/* A device the guest never touched: no BAR decodes, no slot; loaded, the
 * fresh device stays as it is. */
START_TEST(untouched_round_trip)
{
	struct picture before, after;
	uint8_t *state;

	picture(&before);
	ck_assert_uint_eq(before.slots, 0);
	save();
	state = malloc(R.out.len);
	memcpy(state, R.out.buf, R.out.len);
	move_to_fresh_device();
	ck_assert_msg(load(state, STATE_LEN) == 0, "%s", R.err);
	picture(&after);
	before.bar_addr[0] = after.bar_addr[0];
	expect_same(&before, &after);
	ck_assert_uint_eq(fake_kvm.slot_calls, 0);
	free(state);
}
END_TEST

/* ---- 2. refusals ---- */

static uint8_t *saved_msix_state(void)
{
	uint8_t *state;

	program_msix();
	save();
	state = malloc(STATE_LEN);
	memcpy(state, R.out.buf, STATE_LEN);
	move_to_fresh_device();
	return state;
}

static void set16(uint8_t *s, unsigned at, uint16_t v) { memcpy(s + at, &v, 2); }
static void set32(uint8_t *s, unsigned at, uint32_t v) { memcpy(s + at, &v, 4); }
static void set64(uint8_t *s, unsigned at, uint64_t v) { memcpy(s + at, &v, 8); }

/* A copy of good with change applied is refused with exactly want, and
 * nothing reached VFIO or KVM. */
static void refused(const uint8_t *good, void (*change)(uint8_t *), const char *want)
{
	uint8_t s[STATE_LEN];
	unsigned before = effects();

	memcpy(s, good, STATE_LEN);
	change(s);
	ck_assert_int_eq(load(s, STATE_LEN), -1);
	ck_assert_str_eq(R.err, want);
	ck_assert_uint_eq(effects(), before);
	ck_assert(!R.v->msix_on);
}

static void c_version(uint8_t *s) { s[AT_VERSION] = 2; }
static void c_device(uint8_t *s) { set16(s, AT_DEVICE, 0x1534); }
static void c_command(uint8_t *s) { set16(s, AT_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_SERR); }
static void c_bar_flags(uint8_t *s) { s[AT_BAR(0)] |= 0x10; }
static void c_bar_size(uint8_t *s) { set64(s, AT_BAR(0) + 1, 0x8000); }
static void c_bar_kind(uint8_t *s) { s[AT_BAR(0)] = 0x1 | 0x8; }
static void c_bar_align(uint8_t *s) { set64(s, AT_BAR(0) + 9, BAR_GPA + 0x1000); }
static void c_bar_extra(uint8_t *s) { s[AT_BAR(1)] = 0; set64(s, AT_BAR(1) + 1, 0x1000); }
static void c_bar_io_high(uint8_t *s) { set64(s, AT_BAR(2) + 9, 0x100000000ULL); }
static void c_rom_size(uint8_t *s) { set64(s, AT_BAR(6) + 1, 0x8000); }
static void c_rom_bits(uint8_t *s) { set64(s, AT_BAR(6) + 9, ROM_GPA | 0x3); }
static void c_pin(uint8_t *s) { s[AT_PIN] = 2; }
static void c_intx_two(uint8_t *s) { s[AT_INTX_ON] = 2; }
static void c_mode(uint8_t *s) { s[AT_MODE] = 3; }
static void c_msi_cap(uint8_t *s) { s[AT_MSI_CAP] = 0x60; }
static void c_msi_ro(uint8_t *s) { set16(s, AT_MSI_CTRL, MSI_CTRL_PVM | (2 << 1)); }
static void c_msi_vectors(uint8_t *s)
{
	set16(s, AT_MSI_CTRL, MSI_CTRL_64BIT | MSI_CTRL_PVM | (2 << 1) | (3 << 4));
}
static void c_msi_addr(uint8_t *s) { set32(s, AT_MSI_ADDR, 0xfee00002); }
static void c_msi_mask(uint8_t *s) { set32(s, AT_MSI_MASK, 0x10); }
static void c_msix_n(uint8_t *s) { set16(s, AT_MSIX_N, 8); }
static void c_msix_flags(uint8_t *s) { s[AT_MSIX_FL] |= 0x20; }
static void c_msix_ctrl(uint8_t *s) { set32(s, AT_ENTRY(1) + 12, 0x2); }
static void c_pba(uint8_t *s) { s[AT_PBA] |= 0x20; }
static void c_msix_count(uint8_t *s) { set16(s, AT_VECTORS, 3); }
static void c_msi_off(uint8_t *s) { s[AT_MODE] = 1; set16(s, AT_VECTORS, 1); }
static void c_none_enabled(uint8_t *s)
{
	s[AT_MODE] = 0;
	set16(s, AT_VECTORS, 0);
	s[AT_INTX_ON] = 1;
}
static void c_intx_and_msix(uint8_t *s) { s[AT_INTX_ON] = 1; }
static void c_intx_off(uint8_t *s)
{
	s[AT_MODE] = 0;
	set16(s, AT_VECTORS, 0);
	s[AT_MSIX_FL] = 0;
}

#define INVALID(why, at) WHAT " is invalid: " DEV ": " why " (the field before byte " #at ")"

START_TEST(refusals)
{
	uint8_t *good = saved_msix_state();

	refused(good, c_version, INVALID("vfio-pci state version 2, this conduit reads 1", 1));
	refused(good, c_device, INVALID("the snapshot's device is 8086:1534, this one is 8086:1533", 5));
	refused(good, c_command, INVALID("command register bits 0x100 that a guest cannot set", 7));
	refused(good, c_bar_flags, INVALID("BAR0 has unknown flags 0x1a", 24));
	refused(good, c_bar_size, INVALID("BAR0 is 64-bit memory of 0x8000 bytes in the snapshot, 64-bit memory of 0x4000 bytes here", 24));
	refused(good, c_bar_kind, INVALID("BAR0 is I/O of 0x4000 bytes in the snapshot, 64-bit memory of 0x4000 bytes here", 24));
	refused(good, c_bar_align, INVALID("BAR0 address 0xc0001000 is not aligned to its size 0x4000", 24));
	refused(good, c_bar_extra, INVALID("BAR1 is implemented in the snapshot (0x1000 bytes), not on this device", 41));
	refused(good, c_bar_io_high, INVALID("BAR2 address 0x100000000 does not fit its 32-bit register", 58));
	refused(good, c_rom_size, INVALID("the expansion ROM is 0x8000 bytes in the snapshot, 0x4000 here", 126));
	refused(good, c_rom_bits, INVALID("expansion ROM register 0xc0100003: bits this ROM does not have", 126));
	refused(good, c_pin, INVALID("interrupt pin 2 in the snapshot, 1 on this device", 127));
	refused(good, c_intx_two, INVALID("INTx on is 2, not 0 or 1", 129));
	refused(good, c_mode, INVALID("interrupt mode 3 does not exist", 132));
	refused(good, c_msi_cap, INVALID("MSI capability at 0x60 in the snapshot, at 0x50 here", 153));
	refused(good, c_msi_ro, INVALID("MSI control 0x0104 does not match this device's (0x0184)", 153));
	refused(good, c_msi_vectors, INVALID("MSI with 8 vectors enabled, the device offers 4", 153));
	refused(good, c_msi_addr, INVALID("MSI address 0x00000000fee00002 does not fit its capability", 153));
	refused(good, c_msi_mask, INVALID("MSI mask or pending bits beyond the device's 4 vectors", 153));
	refused(good, c_msix_n, INVALID("8 MSI-X vectors in the snapshot, the device offers 4", 155));
	refused(good, c_msix_flags, INVALID("MSI-X control flags 0xa0 that the capability does not have", 156));
	refused(good, c_msix_ctrl, INVALID("MSI-X vector 1 has reserved control bits 0x2", 188));
	refused(good, c_pba, INVALID("MSI-X pending bits beyond the device's 4 vectors", 228));
	refused(good, c_msix_count, INVALID("MSI-X on with 3 vector(s) disagrees with its capability (enabled, 4 vector(s))", 228));
	refused(good, c_msi_off, INVALID("MSI on with 1 vector(s) disagrees with its capability (disabled, 1 vector(s))", 228));
	refused(good, c_none_enabled, INVALID("neither MSI nor MSI-X was on, yet a capability is enabled", 228));
	refused(good, c_intx_and_msix, INVALID("INTx was on while MSI-X was", 228));
	refused(good, c_intx_off, INVALID("INTx was off with neither MSI nor MSI-X on", 228));
	/* Still loads whole, after all that. */
	ck_assert_msg(load(good, STATE_LEN) == 0, "%s", R.err);
	ck_assert(R.v->msix_on);
	free(good);
}
END_TEST

/* A byte more than the fields; a state loaded twice; vfio-pci offering
 * fewer MSI-X vectors than were on. */
START_TEST(refusals_around)
{
	uint8_t *good = saved_msix_state(), longer[STATE_LEN + 1];

	memcpy(longer, good, STATE_LEN);
	longer[STATE_LEN] = 0;
	ck_assert_int_eq(load(longer, sizeof(longer)), -1);
	ck_assert_str_eq(R.err, WHAT " has 1 bytes more than its fields (they end at byte 228)");
	ck_assert(R.v->msix_on);        /* the fields were fine, so they applied */
	ck_assert_int_eq(load(good, STATE_LEN), -1);
	ck_assert_str_eq(R.err, INVALID("its interrupts are set up already: a state loads into a device just attached", 0));

	move_to_fresh_device();
	fake_vfio.desc.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 2;
	ck_assert_int_eq(load(good, STATE_LEN), -1);
	ck_assert_str_eq(R.err, INVALID("MSI-X on with 4 vector(s), vfio-pci offers 2 for this device", 228));
	ck_assert_uint_eq(fake_vfio.n_sets, 0);
	free(good);
}
END_TEST

/* What the replay could not reproduce: a BAR the bus will not decode
 * where the snapshot had it (over guest RAM here), and vfio-pci refusing
 * the MSI-X enable (another index holds its trigger). */
START_TEST(refusals_after_replay)
{
	uint8_t *good = saved_msix_state(), s[STATE_LEN];

	memcpy(s, good, STATE_LEN);
	set64(s, AT_BAR(0) + 9, 0x100000);
	ck_assert_int_eq(load(s, STATE_LEN), -1);
	ck_assert_str_eq(R.err, INVALID("BAR0 does not decode at 0x100000 here, as it did in the snapshot", 228));

	move_to_fresh_device();
	fake_vfio.active = VFIO_PCI_MSI_IRQ_INDEX;
	ck_assert_int_eq(load(good, STATE_LEN), -1);
	ck_assert_str_eq(R.err, INVALID("its interrupts could not be set up as in the snapshot (see the log)", 228));
	ck_assert(!R.v->msix_on);
	fake_vfio.active = -1;
	free(good);
}
END_TEST

/* Cut anywhere, the state is too short, said so, and nothing changes;
 * the same device then takes it whole. */
START_TEST(truncated_everywhere)
{
	uint8_t *good = saved_msix_state();
	unsigned before = effects();
	char want[256];
	size_t len;

	for (len = 0; len < STATE_LEN; len++) {
		ck_assert_int_eq(load(good, len), -1);
		snprintf(want, sizeof(want), WHAT " is too short: it ends at byte %zu", len);
		ck_assert_msg(!strncmp(R.err, want, strlen(want)), "%zu: %s", len, R.err);
		ck_assert_uint_eq(effects(), before);
	}
	ck_assert_msg(load(good, STATE_LEN) == 0, "%s", R.err);
	ck_assert(R.v->msix_on);
	free(good);
}
END_TEST

/* A device with msix=off: the MSI-X snapshot does not fit it, and a mode
 * it lacks is named. */
START_TEST(mode_the_device_lacks)
{
	uint8_t *good = NULL, s[AT_MSIX_N + 3];

	/* The state of a device whose MSI-X is hidden ends after the MSI-X
	 * count and flags. */
	program_bars();
	snap_out_reset(&R.out);
	ck_assert_int_eq(R.v->pci.ops->save(&R.v->pci, &R.out), 0);
	ck_assert_uint_eq(R.out.len, sizeof(s));
	good = malloc(sizeof(s));
	memcpy(good, R.out.buf, sizeof(s));
	move_to_fresh_device();
	memcpy(s, good, sizeof(s));
	s[AT_MODE] = 2;
	set16(s, AT_VECTORS, 4);
	s[AT_INTX_ON] = 0;
	ck_assert_int_eq(load(s, sizeof(s)), -1);
	ck_assert_str_eq(R.err, INVALID("MSI-X was on, and this device has no MSI-X", 156));
	memcpy(s, good, sizeof(s));
	set16(s, AT_MSIX_N, 4);
	ck_assert_int_eq(load(s, sizeof(s)), -1);
	ck_assert_str_eq(R.err, INVALID("4 MSI-X vectors in the snapshot, the device offers 0", 155));
	ck_assert_msg(load(good, sizeof(s)) == 0, "%s", R.err);
	free(good);
}
END_TEST

/* ---- 3. migration data (vfio/pci_migrate.c) ---- */

#define FULL    (VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY)
#define SC_ONLY VFIO_MIGRATION_STOP_COPY
#define S_ERR   VFIO_DEVICE_STATE_ERROR
#define S_STOP  VFIO_DEVICE_STATE_STOP
#define S_RUN   VFIO_DEVICE_STATE_RUNNING
#define S_SC    VFIO_DEVICE_STATE_STOP_COPY
#define S_RES   VFIO_DEVICE_STATE_RESUMING
#define S_RP2P  VFIO_DEVICE_STATE_RUNNING_P2P
#define S_PRE   VFIO_DEVICE_STATE_PRE_COPY
#define S_PP2P  VFIO_DEVICE_STATE_PRE_COPY_P2P

/* The sink: every byte checked against the fake's stream, in order;
 * fails once it has fail_after bytes (0: never). */
static struct {
	uint64_t n, fail_after;
	uint8_t *keep;          /* the first keep_max bytes, when set */
	size_t keep_max;
} K;

static int sink(void *opaque, const void *buf, size_t len, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != fake_vfio_mig_byte(K.n + i)) {
			snprintf(err, errlen, "byte %llu is not the stream's",
				 (unsigned long long)(K.n + i));
			return -1;
		}
		if (K.keep && K.n + i < K.keep_max)
			K.keep[K.n + i] = p[i];
	}
	K.n += len;
	if (K.fail_after && K.n >= K.fail_after) {
		snprintf(err, errlen, "the sink is full");
		return -1;
	}
	return 0;
}

/* The fake device offers flags (in RUNNING), and v is probed on it. */
static void mig_device(uint32_t flags)
{
	fake_vfio_mig_reset(&fake_vfio.mig);
	fake_vfio.mig.flags = flags;
	memset(&K, 0, sizeof(K));
	ck_assert_msg(vfio_pci_mig_probe(R.v, "mtty", R.err, sizeof(R.err)) == 0, "%s", R.err);
	ck_assert(R.v->mig_probed);
}

/* The arcs taken since arc number from, exactly; never a refused or a
 * forbidden request. Returns the count now. */
static unsigned arcs(unsigned from, const uint32_t (*want)[2], unsigned n)
{
	unsigned i;

	ck_assert_uint_eq(fake_vfio.mig.n_arcs, from + n);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(vfio_mig_state_name(fake_vfio.mig.arc[from + i][0]),
				 vfio_mig_state_name(want[i][0]));
		ck_assert_str_eq(vfio_mig_state_name(fake_vfio.mig.arc[from + i][1]),
				 vfio_mig_state_name(want[i][1]));
	}
	ck_assert_uint_eq(fake_vfio.mig.forbidden, 0);
	ck_assert_uint_eq(fake_vfio.mig.refused, 0);
	return from + n;
}

#define OK(call) ck_assert_msg((call) == 0, "%s", R.err)
#define ARCS(from, ...) arcs(from, (const uint32_t[][2]){ __VA_ARGS__ }, \
			     sizeof((const uint32_t[][2]){ __VA_ARGS__ }) / sizeof(uint32_t[2]))

START_TEST(source_all_states)
{
	uint64_t initial, dirty, size;
	unsigned n;

	mig_device(FULL);
	fake_vfio.mig.initial_bytes = 3000;
	fake_vfio.mig.dirty_bytes = 500;
	fake_vfio.mig.stop_copy_bytes = 5000;
	fake_vfio.mig.data_size = 5000;
	OK(vfio_pci_mig_start(R.v, R.err, sizeof(R.err)));
	n = ARCS(0, { S_RUN, S_PRE });
	/* Pre-copy in budgets: the initial data goes first. */
	OK(vfio_pci_mig_precopy(R.v, 1000, sink, NULL, &initial, &dirty, R.err, sizeof(R.err)));
	ck_assert_uint_eq(K.n, 1000);
	ck_assert_uint_eq(initial, 2000);
	ck_assert_uint_eq(dirty, 500);
	OK(vfio_pci_mig_precopy(R.v, 2000, sink, NULL, &initial, &dirty, R.err, sizeof(R.err)));
	ck_assert_uint_eq(initial, 0);
	ck_assert_uint_eq(dirty, 500);
	OK(vfio_pci_mig_precopy(R.v, 0, sink, NULL, &initial, &dirty, R.err, sizeof(R.err)));
	ck_assert_uint_eq(K.n, 3500);
	ck_assert_uint_eq(initial + dirty, 0);
	ck_assert_uint_eq(fake_vfio.mig.precopy_infos, 3);
	OK(vfio_pci_mig_data_size(R.v, &size, R.err, sizeof(R.err)));
	ck_assert_uint_eq(size, 5000);
	ck_assert_uint_eq(fake_vfio.mig.n_arcs, n);
	/* Switchover: quiesced, then STOP_COPY drained to its end, STOP. */
	OK(vfio_pci_mig_quiesce(R.v, R.err, sizeof(R.err)));
	n = ARCS(n, { S_PRE, S_PP2P });
	OK(vfio_pci_mig_stop_copy(R.v, sink, NULL, R.err, sizeof(R.err)));
	ARCS(n, { S_PP2P, S_SC }, { S_SC, S_STOP });
	ck_assert_uint_eq(K.n, 8500);
	ck_assert_uint_eq(R.v->mig.data_cap, 3500 + 2 * 5000 + (16ULL << 20));
	ck_assert_int_eq(R.v->mig.data_fd, -1);
	ck_assert_uint_eq(fake_vfio.mig.state, S_STOP);
}
END_TEST

/* What each flag set's device goes through, step by step. */
START_TEST(source_each_flag_set)
{
	const uint32_t p2p = SC_ONLY | VFIO_MIGRATION_P2P, pre = SC_ONLY | VFIO_MIGRATION_PRE_COPY;
	uint64_t initial, dirty;
	unsigned n;

	mig_device(SC_ONLY);
	fake_vfio.mig.stop_copy_bytes = 700;
	OK(vfio_pci_mig_start(R.v, R.err, sizeof(R.err)));
	OK(vfio_pci_mig_precopy(R.v, 0, sink, NULL, &initial, &dirty, R.err, sizeof(R.err)));
	OK(vfio_pci_mig_quiesce(R.v, R.err, sizeof(R.err)));
	ck_assert_uint_eq(fake_vfio.mig.n_arcs, 0);
	ck_assert_uint_eq(K.n, 0);
	OK(vfio_pci_mig_stop_copy(R.v, sink, NULL, R.err, sizeof(R.err)));
	ARCS(0, { S_RUN, S_STOP }, { S_STOP, S_SC }, { S_SC, S_STOP });
	ck_assert_uint_eq(K.n, 700);

	mig_device(p2p);
	fake_vfio.mig.stop_copy_bytes = 700;
	OK(vfio_pci_mig_start(R.v, R.err, sizeof(R.err)));
	OK(vfio_pci_mig_quiesce(R.v, R.err, sizeof(R.err)));
	n = ARCS(0, { S_RUN, S_RP2P });
	OK(vfio_pci_mig_stop_copy(R.v, sink, NULL, R.err, sizeof(R.err)));
	ARCS(n, { S_RP2P, S_STOP }, { S_STOP, S_SC }, { S_SC, S_STOP });

	mig_device(pre);
	fake_vfio.mig.initial_bytes = 10;
	fake_vfio.mig.stop_copy_bytes = 700;
	OK(vfio_pci_mig_start(R.v, R.err, sizeof(R.err)));
	n = ARCS(0, { S_RUN, S_PRE });
	OK(vfio_pci_mig_quiesce(R.v, R.err, sizeof(R.err)));
	ck_assert_uint_eq(fake_vfio.mig.n_arcs, n);
	OK(vfio_pci_mig_stop_copy(R.v, sink, NULL, R.err, sizeof(R.err)));
	ARCS(n, { S_PRE, S_SC }, { S_SC, S_STOP });
	ck_assert_uint_eq(K.n, 710);            /* the unread pre-copy data first */

	/* Started again from STOP_COPY (a caller's mistake): the walk goes
	 * round through STOP, never STOP_COPY -> PRE_COPY. */
	mig_device(FULL);
	fake_vfio.mig.stop_copy_bytes = 700;
	fake_vfio.mig.state = S_SC;
	R.v->mig.state = S_SC;
	OK(vfio_pci_mig_start(R.v, R.err, sizeof(R.err)));
	ARCS(0, { S_SC, S_STOP }, { S_STOP, S_RP2P }, { S_RP2P, S_RUN }, { S_RUN, S_PRE });
}
END_TEST

/* A step to take before cancelling: 0 start, 1 pre-copy, 2 quiesce,
 * 3 stop-copy failing midway (the sink), 4 stop-copy done. */
static void source_until(unsigned step)
{
	uint64_t initial, dirty;

	OK(vfio_pci_mig_start(R.v, R.err, sizeof(R.err)));
	if (step >= 1)
		OK(vfio_pci_mig_precopy(R.v, 100, sink, NULL, &initial, &dirty, R.err, sizeof(R.err)));
	if (step >= 2)
		OK(vfio_pci_mig_quiesce(R.v, R.err, sizeof(R.err)));
	if (step == 3) {
		K.fail_after = 2000;
		ck_assert_int_eq(vfio_pci_mig_stop_copy(R.v, sink, NULL, R.err, sizeof(R.err)), -1);
		ck_assert_str_eq(R.err, "the sink is full");
	}
	if (step == 4)
		OK(vfio_pci_mig_stop_copy(R.v, sink, NULL, R.err, sizeof(R.err)));
}

START_TEST(source_cancel_anywhere)
{
	static const uint32_t after[5] = { S_PRE, S_PRE, S_PP2P, S_SC, S_STOP };
	static const uint32_t back[5][3][2] = {
		{ { S_PRE, S_RUN } },
		{ { S_PRE, S_RUN } },
		{ { S_PP2P, S_RP2P }, { S_RP2P, S_RUN } },
		{ { S_SC, S_STOP }, { S_STOP, S_RP2P }, { S_RP2P, S_RUN } },
		{ { S_STOP, S_RP2P }, { S_RP2P, S_RUN } },
	};
	static const unsigned nback[5] = { 1, 1, 2, 3, 2 };
	unsigned step, n;

	for (step = 0; step < 5; step++) {
		mig_device(FULL);
		fake_vfio.mig.initial_bytes = 1000;
		fake_vfio.mig.stop_copy_bytes = 1u << 20;
		source_until(step);
		ck_assert_uint_eq(fake_vfio.mig.state, after[step]);
		n = fake_vfio.mig.n_arcs;
		OK(vfio_pci_mig_cancel(R.v, R.err, sizeof(R.err)));
		arcs(n, back[step], nback[step]);
		ck_assert_uint_eq(fake_vfio.mig.state, S_RUN);
		ck_assert_int_eq(R.v->mig.data_fd, -1);
		/* Cancelled again: nothing to do. */
		OK(vfio_pci_mig_cancel(R.v, R.err, sizeof(R.err)));
		ck_assert_uint_eq(fake_vfio.mig.n_arcs, n + nback[step]);
	}
}
END_TEST

START_TEST(source_error_and_reset)
{
	mig_device(FULL);
	fake_vfio.mig.stop_copy_bytes = 100;
	fake_vfio.mig.fail_arc = true;
	fake_vfio.mig.fail_from = S_PP2P;
	fake_vfio.mig.fail_to = S_SC;
	fake_vfio.mig.fail_to_error = true;
	source_until(2);
	ck_assert_int_eq(vfio_pci_mig_stop_copy(R.v, sink, NULL, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, DEV ": migration PRE_COPY_P2P -> STOP_COPY: Input/output error; the device is in ERROR: reset (VFIO_DEVICE_RESET), now RUNNING");
	ck_assert_uint_eq(fake_vfio.resets, 1);
	ck_assert_uint_eq(fake_vfio.mig.state, S_RUN);
	OK(vfio_pci_mig_cancel(R.v, R.err, sizeof(R.err)));
	ck_assert_uint_eq(fake_vfio.mig.n_arcs, 2);

	/* Found in ERROR by the cancel: reset, RUNNING, not a failure. */
	fake_vfio.mig.state = S_ERR;
	OK(vfio_pci_mig_cancel(R.v, R.err, sizeof(R.err)));
	ck_assert_uint_eq(fake_vfio.resets, 2);
	ck_assert_uint_eq(fake_vfio.mig.state, S_RUN);

	/* A reset that fails leaves it in ERROR: the cancel says so. */
	fake_vfio.mig.state = S_ERR;
	fake_vfio.mig.reset_errno = EIO;
	ck_assert_int_eq(vfio_pci_mig_cancel(R.v, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, DEV ": migration to RUNNING: found in ERROR; the device is in ERROR and VFIO_DEVICE_RESET failed: Input/output error");
	ck_assert_uint_eq(fake_vfio.mig.forbidden, 0);
}
END_TEST

/* More STOP_COPY data than twice the estimate and 16 MiB: refused. */
START_TEST(source_data_cap)
{
	mig_device(SC_ONLY);
	fake_vfio.mig.data_size = 0;
	fake_vfio.mig.stop_copy_bytes = (16u << 20) + 1;
	ck_assert_int_eq(vfio_pci_mig_stop_copy(R.v, sink, NULL, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, DEV ": the device's migration data passes 16777216 bytes, more than its MIG_DATA_SIZE estimate allows");
	OK(vfio_pci_mig_cancel(R.v, R.err, sizeof(R.err)));
	ck_assert_uint_eq(fake_vfio.mig.state, S_RUN);
}
END_TEST

static void write_chunks(const uint8_t *data, size_t len, size_t chunk)
{
	size_t at;

	for (at = 0; at < len; at += chunk)
		OK(vfio_pci_mig_load_chunk(R.v, data + at, len - at < chunk ? len - at : chunk,
					   R.err, sizeof(R.err)));
}

START_TEST(destination_steps)
{
	uint8_t data[3000];
	unsigned i, n;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	mig_device(FULL);
	fake_vfio.mig.max_io = 333;             /* short writes */
	OK(vfio_pci_mig_load_start(R.v, R.err, sizeof(R.err)));
	n = ARCS(0, { S_RUN, S_RP2P }, { S_RP2P, S_STOP }, { S_STOP, S_RES });
	write_chunks(data, sizeof(data), 1024);
	OK(vfio_pci_mig_load_end(R.v, R.err, sizeof(R.err)));
	n = ARCS(n, { S_RES, S_STOP });
	ck_assert_uint_eq(fake_vfio.mig.resumed_len, sizeof(data));
	ck_assert(!memcmp(fake_vfio.mig.resumed, data, sizeof(data)));
	ck_assert_int_eq(R.v->mig.data_fd, -1);
	OK(vfio_pci_mig_running_p2p(R.v, R.err, sizeof(R.err)));
	n = ARCS(n, { S_STOP, S_RP2P });
	OK(vfio_pci_mig_running(R.v, R.err, sizeof(R.err)));
	ARCS(n, { S_RP2P, S_RUN });

	mig_device(SC_ONLY);
	OK(vfio_pci_mig_load_start(R.v, R.err, sizeof(R.err)));
	n = ARCS(0, { S_RUN, S_STOP }, { S_STOP, S_RES });
	write_chunks(data, 10, 1024);
	OK(vfio_pci_mig_load_end(R.v, R.err, sizeof(R.err)));
	n = ARCS(n, { S_RES, S_STOP });
	OK(vfio_pci_mig_running_p2p(R.v, R.err, sizeof(R.err)));
	ck_assert_uint_eq(fake_vfio.mig.n_arcs, n);
	OK(vfio_pci_mig_running(R.v, R.err, sizeof(R.err)));
	ARCS(n, { S_STOP, S_RUN });
}
END_TEST

START_TEST(destination_refusals)
{
	ck_assert_int_eq(vfio_pci_mig_load_start(R.v, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, DEV ": migration was not probed");
	fake_vfio.mig.flags = 0;
	ck_assert_int_eq(vfio_pci_mig_probe(R.v, "vfio-pci", R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, DEV ": vfio-pci offers no migration (VFIO_DEVICE_FEATURE_MIGRATION: Inappropriate ioctl for device)");
	ck_assert(!R.v->mig_probed);
	mig_device(FULL);
	ck_assert_int_eq(vfio_pci_mig_load_end(R.v, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, DEV ": its migration data ends in RUNNING, not RESUMING");
	ck_assert_int_eq(vfio_pci_mig_load_chunk(R.v, "x", 1, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, DEV ": no migration data to write in RUNNING");
	/* The driver refuses what it was given. */
	fake_vfio.mig.fail_arc = true;
	fake_vfio.mig.fail_from = S_RES;
	fake_vfio.mig.fail_to = S_STOP;
	fake_vfio.mig.fail_errno = EINVAL;
	OK(vfio_pci_mig_load_start(R.v, R.err, sizeof(R.err)));
	write_chunks((const uint8_t *)"garbage", 7, 7);
	ck_assert_int_eq(vfio_pci_mig_load_end(R.v, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, DEV ": migration RESUMING -> STOP: Invalid argument; the device stays in RESUMING");
	ck_assert_uint_eq(fake_vfio.mig.forbidden + fake_vfio.mig.refused, 0);
}
END_TEST

/* The whole move in the order of vfio/pci_migrate.h: the source's data
 * and config state, the device unplugged, a fresh one resumed from them,
 * its config state loaded between STOP and RUNNING_P2P. */
START_TEST(move_in_order)
{
	static uint8_t stream[4000];
	struct picture before, after;
	uint64_t initial, dirty;
	uint8_t *state;
	unsigned n;

	program_msix();
	picture(&before);
	mig_device(FULL);
	fake_vfio.mig.initial_bytes = 1500;
	fake_vfio.mig.stop_copy_bytes = 2500;
	K.keep = stream;
	K.keep_max = sizeof(stream);
	OK(vfio_pci_mig_start(R.v, R.err, sizeof(R.err)));
	OK(vfio_pci_mig_precopy(R.v, 0, sink, NULL, &initial, &dirty, R.err, sizeof(R.err)));
	ck_assert_uint_eq(initial, 0);
	OK(vfio_pci_mig_quiesce(R.v, R.err, sizeof(R.err)));
	OK(vfio_pci_mig_stop_copy(R.v, sink, NULL, R.err, sizeof(R.err)));
	ck_assert_uint_eq(K.n, sizeof(stream));
	save();
	state = malloc(STATE_LEN);
	memcpy(state, R.out.buf, STATE_LEN);

	move_to_fresh_device();
	mig_device(FULL);
	OK(vfio_pci_mig_load_start(R.v, R.err, sizeof(R.err)));
	write_chunks(stream, sizeof(stream), 1000);
	OK(vfio_pci_mig_load_end(R.v, R.err, sizeof(R.err)));
	ck_assert(!memcmp(fake_vfio.mig.resumed, stream, sizeof(stream)));
	ck_assert_msg(load(state, STATE_LEN) == 0, "%s", R.err);
	n = fake_vfio.mig.n_arcs;
	OK(vfio_pci_mig_running_p2p(R.v, R.err, sizeof(R.err)));
	OK(vfio_pci_mig_running(R.v, R.err, sizeof(R.err)));
	ARCS(n, { S_STOP, S_RP2P }, { S_RP2P, S_RUN });
	picture(&after);
	expect_same(&before, &after);
	free(state);
}
END_TEST

/* ---- 4. the machine's passthrough (vfio/passthrough_migrate.c) ---- */

static struct fake_sysfs T;

/* A host where both devices are bound to vfio-pci. */
static void host_tree(void)
{
	const char *dir = getenv("TMPDIR");
	struct fake_sysfs_dev d = { .bdf = DEV, .vendor = 0x8086, .device = 0x1533,
				    .class_code = 0x020000, .driver = "vfio-pci", .group = 7 };

	fake_sysfs_create(&T, dir && *dir ? dir : "/tmp");
	fake_sysfs_add_driver(&T, "vfio-pci", "vfio_pci");
	fake_sysfs_add_device(&T, &d);
	d.bdf = "0000:02:00.0";
	d.device = 0x0a54;
	d.class_code = 0x010802;
	d.group = 8;
	fake_sysfs_add_device(&T, &d);
	host_pci_set_root(T.sys, T.mod);
}

static void host_tree_gone(void)
{
	fake_sysfs_remove(&T);
	host_pci_set_root(NULL, NULL);
}

/* A second device, named 0000:02:00.0, on fd (not owned). */
static struct vfio_pci *other_device(int fd)
{
	struct vfio_pci *v = calloc(1, sizeof(*v));

	ck_assert_ptr_nonnull(v);
	v->fd = fd;
	v->mig.data_fd = -1;
	snprintf(v->bdf, sizeof(v->bdf), "0000:02:00.0");
	return v;
}

static void two_devices(struct passthrough *pt, struct vfio_pci *first, struct vfio_pci *second)
{
	memset(pt, 0, sizeof(*pt));
	pt->n_dev = 2;
	pt->dev[0] = first;
	pt->dev[1] = second;
	pt->ref[0] = first == R.v ? fake_vfio_ref : (struct vfio_dev_ref){
		.kind = VFIO_DEV_PCI, .name = "0000:02:00.0", .group = 8, .cdev = -1, .fd = -1 };
	pt->ref[1] = second == R.v ? fake_vfio_ref : (struct vfio_dev_ref){
		.kind = VFIO_DEV_PCI, .name = "0000:02:00.0", .group = 8, .cdev = -1, .fd = -1 };
}

/* An NVMe under plain vfio-pci beside a device that migrates: named,
 * with its driver, whichever comes first; nothing is asked of any
 * device's state. */
START_TEST(passthrough_refuses_nvme)
{
	int nvme_fd = memfd_create("nvme", MFD_CLOEXEC);
	struct vfio_pci *nvme = other_device(nvme_fd);
	struct passthrough pt;

	host_tree();
	fake_vfio.mig.flags = FULL;
	two_devices(&pt, R.v, nvme);
	ck_assert_int_eq(passthrough_can_migrate(&pt, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, "0000:02:00.0: vfio-pci offers no migration (VFIO_DEVICE_FEATURE_MIGRATION: Inappropriate ioctl for device)");
	two_devices(&pt, nvme, R.v);
	ck_assert_int_eq(passthrough_can_migrate(&pt, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, "0000:02:00.0: vfio-pci offers no migration (VFIO_DEVICE_FEATURE_MIGRATION: Inappropriate ioctl for device)");
	ck_assert_uint_eq(fake_vfio.mig.sets, 0);
	/* An mdev's driver is not looked up. */
	pt.ref[0].kind = VFIO_DEV_MDEV;
	ck_assert_int_eq(passthrough_can_migrate(&pt, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, "0000:02:00.0: its driver offers no migration (VFIO_DEVICE_FEATURE_MIGRATION: Inappropriate ioctl for device)");
	/* The fake device alone: it migrates; without migration it is named. */
	pt.n_dev = 1;
	pt.dev[0] = R.v;
	pt.ref[0] = fake_vfio_ref;
	OK(passthrough_can_migrate(&pt, R.err, sizeof(R.err)));
	ck_assert(R.v->mig_probed);
	fake_vfio.mig.flags = 0;
	ck_assert_int_eq(passthrough_can_migrate(&pt, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, DEV ": vfio-pci offers no migration (VFIO_DEVICE_FEATURE_MIGRATION: Inappropriate ioctl for device)");
	host_tree_gone();
	free(nvme);
	close(nvme_fd);
}
END_TEST

START_TEST(passthrough_p2p_rule)
{
	struct vfio_pci *second = other_device(fake_vfio.fd);
	struct passthrough pt;

	two_devices(&pt, R.v, second);
	ck_assert_int_eq(passthrough_all_p2p(&pt, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, DEV ": migration was not probed");
	mig_device(FULL);
	fake_vfio.mig.flags = SC_ONLY | VFIO_MIGRATION_PRE_COPY;
	OK(vfio_pci_mig_probe(second, "mtty", R.err, sizeof(R.err)));
	ck_assert_int_eq(passthrough_all_p2p(&pt, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, "0000:02:00.0: offers migration without P2P (flags STOP_COPY+PRE_COPY): 2 devices migrate together only when every one offers P2P");
	/* Alone, a device without P2P migrates. */
	pt.n_dev = 1;
	pt.dev[0] = second;
	OK(passthrough_all_p2p(&pt, R.err, sizeof(R.err)));
	pt.n_dev = 2;
	pt.dev[0] = R.v;
	fake_vfio.mig.flags = FULL;
	OK(vfio_pci_mig_probe(second, "mtty", R.err, sizeof(R.err)));
	OK(passthrough_all_p2p(&pt, R.err, sizeof(R.err)));
	vfio_mig_release(&second->mig);
	free(second);
}
END_TEST

/* The all-devices steps; a cancel tries every device whatever the others
 * do, and names the first that could not go back. */
START_TEST(passthrough_steps_and_cancel)
{
	int dead_fd = memfd_create("dead", MFD_CLOEXEC);
	struct vfio_pci *dead = other_device(dead_fd);
	struct passthrough pt;
	unsigned n;

	memset(&pt, 0, sizeof(pt));
	pt.n_dev = 1;
	pt.dev[0] = R.v;
	mig_device(FULL);
	OK(passthrough_mig_start(&pt, R.err, sizeof(R.err)));
	OK(passthrough_mig_quiesce(&pt, R.err, sizeof(R.err)));
	n = ARCS(0, { S_RUN, S_PRE }, { S_PRE, S_PP2P });
	OK(passthrough_mig_cancel(&pt, R.err, sizeof(R.err)));
	n = ARCS(n, { S_PP2P, S_RP2P }, { S_RP2P, S_RUN });
	OK(vfio_pci_mig_load_start(R.v, R.err, sizeof(R.err)));
	OK(vfio_pci_mig_load_end(R.v, R.err, sizeof(R.err)));
	n = fake_vfio.mig.n_arcs;
	OK(passthrough_mig_running_p2p(&pt, R.err, sizeof(R.err)));
	n = ARCS(n, { S_STOP, S_RP2P });
	OK(passthrough_mig_running(&pt, R.err, sizeof(R.err)));
	n = ARCS(n, { S_RP2P, S_RUN });

	/* A device whose state cannot be read first, then the fake in
	 * PRE_COPY: the fake still goes back to RUNNING. */
	dead->mig_probed = true;
	dead->mig.fd = dead_fd;
	dead->mig.flags = FULL;
	dead->mig.state = S_PRE;
	snprintf(dead->mig.name, sizeof(dead->mig.name), "0000:02:00.0");
	OK(vfio_pci_mig_start(R.v, R.err, sizeof(R.err)));
	n = ARCS(n, { S_RUN, S_PRE });
	pt.n_dev = 2;
	pt.dev[0] = dead;
	pt.dev[1] = R.v;
	ck_assert_int_eq(passthrough_mig_cancel(&pt, R.err, sizeof(R.err)), -1);
	ck_assert_str_eq(R.err, "0000:02:00.0: VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE (get): Inappropriate ioctl for device");
	ARCS(n, { S_PRE, S_RUN });
	ck_assert_uint_eq(fake_vfio.mig.state, S_RUN);
	free(dead);
	close(dead_fd);
}
END_TEST

Suite *vfio_state_suite(void)
{
	Suite *s = suite_create("vfio_state");
	TCase *ts = tcase_create("state");
	TCase *tn = tcase_create("no_msix");
	TCase *tm = tcase_create("migration");

	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_add_test(ts, msix_round_trip);
	tcase_add_test(ts, msi_round_trip);
	tcase_add_test(ts, intx_round_trip);
	tcase_add_test(ts, untouched_round_trip);
	tcase_add_test(ts, refusals);
	tcase_add_test(ts, refusals_around);
	tcase_add_test(ts, refusals_after_replay);
	tcase_add_test(ts, truncated_everywhere);
	suite_add_tcase(s, ts);
	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_add_test(tm, source_all_states);
	tcase_add_test(tm, source_each_flag_set);
	tcase_add_test(tm, source_cancel_anywhere);
	tcase_add_test(tm, source_error_and_reset);
	tcase_add_test(tm, source_data_cap);
	tcase_add_test(tm, destination_steps);
	tcase_add_test(tm, destination_refusals);
	tcase_add_test(tm, move_in_order);
	tcase_add_test(tm, passthrough_refuses_nvme);
	tcase_add_test(tm, passthrough_p2p_rule);
	tcase_add_test(tm, passthrough_steps_and_cancel);
	suite_add_tcase(s, tm);
	tcase_add_checked_fixture(tn, setup_no_msix, teardown);
	tcase_add_test(tn, mode_the_device_lacks);
	suite_add_tcase(s, tn);
	return s;
}
