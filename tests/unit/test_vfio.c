/* Tests of a passed-through device's config view, BARs, MSI-X, MSI and
 * INTx (vfio/pci_config.c, vfio/bar.c, vfio/interrupts.c, devices/msix.c,
 * devices/msi.c, devices/pci.c).
 *
 * Every device access of that code is a pread/pwrite on the vfio device fd
 * at the config region's offset (config space) or a BAR region's offset
 * (BAR data), so an unlinked temporary file stands in for the device:
 *
 *   0x00000 - 0x00fff  config space (cfg_off 0, cfg_size 4096)
 *   0x10000 - 0x13fff  BAR0 contents (16 KiB, 64-bit memory BAR); the
 *                      MSI-X table is at BAR0 + 0x2000, the PBA at + 0x3000
 *   0x18000 - 0x1bfff  expansion ROM contents
 *
 * The device is plugged by the real vfio_pci_attach() (so device.c's setup(),
 * msix_layout(), ops table, expansion ROM and interrupts.c are the ones
 * under test) through the fake IOMMU backend of tests/support/fake_vfio.c,
 * which hands out a descriptor of that file and answers the VFIO ioctls on
 * it: regions without the mmap flag (BAR data always traps, no KVM memory
 * slot is ever used), MSI-X, MSI and (in the "interrupts" cases) INTx
 * vectors, and every VFIO_DEVICE_SET_IRQS recorded. The struct vm's vm fd
 * is the fake KVM vm fd of tests/support/fake_kvm.c, which records
 * KVM_IRQFD and KVM_SET_GSI_ROUTING and keeps what KVM would hold: the
 * interrupt tests assert on what reached VFIO and KVM, not on conduit's
 * own bookkeeping. Every other ioctl of the test binary goes to the system
 * call; those on fd -1 are counted (tests/support/fake_ioctl.c) and every
 * test checks that there were none, and that after detach no irqfd and no
 * memory slot is left in KVM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "suites.h"
#include "../../devices/msix.h"
#include "../../devices/pci.h"
#include "../../vfio/vfio_pci.h"
#include "../../vmm/memmap.h"
#include "../../vmm/vm.h"
#include "../support/fake_ioctl.h"
#include "../support/fake_kvm.h"
#include "../support/fake_vfio.h"

#define RAM_SIZE   (256ULL << 20)
#define FILE_SIZE  0x20000
#define BAR_OFF    0x10000ULL   /* BAR0 region offset in the "device fd" */
#define BAR_SIZE   0x4000ULL
#define ROM_OFF    0x18000ULL
#define ROM_SIZE   0x4000ULL
#define TABLE      0x2000ULL    /* MSI-X table offset in BAR0 */
#define PBA        0x3000ULL
#define NVEC       4
#define BAR_GPA    0xc0000000ULL
#define ROM_GPA    0xc0100000ULL

#define CAP_PM     0x40
#define CAP_MSI    0x50
#define CAP_MSIX   0x70
#define CAP_EXP    0x90

/* Device values of the synthetic config space (what the file holds). */
#define DEV_BAR0   0xfe000004U  /* 64-bit memory, not prefetchable */
#define DEV_BAR1   0x00000000U
#define DEV_ROM    0xfe100000U
#define DEV_EXP0   0x00020010U  /* PCIe cap: id 0x10, next 0, version 2 */
#define DEV_EXP4   0x00008fc0U
#define DEV_EXT    0x14820001U  /* extended capability header at 0x100 */

/* ---- the fake device and KVM ---- */

static void misuse(const char *what)
{
	ck_abort_msg("%s", what);
}

/* What the fake vfio device offers: BAR0, optionally the ROM, config space
 * of cfg_size; MSI (one vector), MSI-X (NVEC) and intx INTx vectors. */
static struct fake_vfio_desc describe(uint64_t cfg_size, uint64_t rom_size, unsigned intx)
{
	struct fake_vfio_desc d = { .flags = 0 };       /* no RESET: no reset ioctl */

	d.region[VFIO_PCI_BAR0_REGION_INDEX] = (struct fake_vfio_region){
		BAR_OFF, BAR_SIZE, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE };
	if (rom_size)
		d.region[VFIO_PCI_ROM_REGION_INDEX] = (struct fake_vfio_region){
			ROM_OFF, rom_size, VFIO_REGION_INFO_FLAG_READ };
	d.region[VFIO_PCI_CONFIG_REGION_INDEX] = (struct fake_vfio_region){
		0, cfg_size, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE };
	d.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = intx;
	d.irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 1;
	d.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = NVEC;
	return d;
}

/* ---- the synthetic device ---- */

static void put8(uint8_t *p, unsigned off, uint8_t v) { p[off] = v; }
static void put16(uint8_t *p, unsigned off, uint16_t v) { memcpy(p + off, &v, 2); }
static void put32(uint8_t *p, unsigned off, uint32_t v) { memcpy(p + off, &v, 4); }

/* The config space described in the brief: PM -> MSI -> MSI-X -> PCIe. */
static void build_config(uint8_t *c)
{
	memset(c, 0, 4096);
	put16(c, PCI_VENDOR_ID, 0x8086);
	put16(c, PCI_DEVICE_ID, 0x1533);
	put16(c, PCI_COMMAND, 0x0000);
	put16(c, PCI_STATUS, PCI_STATUS_CAP_LIST);
	put32(c, PCI_REVISION_ID, 0x02000003);        /* class 0x020000, rev 3 */
	put8(c, 0x0c, 0x10);                       /* cache line size */
	put8(c, 0x0d, 0x00);                       /* latency timer */
	put8(c, PCI_HEADER_TYPE, 0x80);            /* type 0, multi-function */
	put32(c, PCI_BASE_ADDRESS_0, DEV_BAR0);
	put32(c, PCI_BASE_ADDRESS_0 + 4, DEV_BAR1);
	put32(c, PCI_BASE_ADDRESS_0 + 8, 0xfe200008);        /* file garbage for BAR2-5 */
	put32(c, PCI_BASE_ADDRESS_0 + 12, 0x12345678);
	put32(c, PCI_BASE_ADDRESS_0 + 16, 0x0000e001);
	put32(c, PCI_BASE_ADDRESS_0 + 20, 0x9abcdef0);
	put16(c, PCI_SUBSYSTEM_VENDOR_ID, 0x8086);
	put16(c, PCI_SUBSYSTEM_ID, 0x0001);
	put32(c, PCI_ROM_ADDRESS, DEV_ROM);
	put8(c, PCI_CAPABILITY_LIST, CAP_PM);
	put8(c, PCI_INTERRUPT_LINE, 0x0b);
	put8(c, PCI_INTERRUPT_PIN, 0x01);
	put8(c, 0x3e, 0x02);                       /* min_gnt */
	put8(c, 0x3f, 0x03);                       /* max_lat */
	/* PM */
	put8(c, CAP_PM, 0x01);
	put8(c, CAP_PM + 1, CAP_MSI);
	put16(c, CAP_PM + 2, 0xc823);              /* PMC */
	put16(c, CAP_PM + 4, 0x0008);              /* PMCSR */
	/* MSI, 64-bit */
	put8(c, CAP_MSI, 0x05);
	put8(c, CAP_MSI + 1, CAP_MSIX);
	put16(c, CAP_MSI + 2, 0x0080);
	/* MSI-X: 4 vectors, table in BAR0 at 0x2000, PBA at 0x3000 */
	put8(c, CAP_MSIX, 0x11);
	put8(c, CAP_MSIX + 1, CAP_EXP);
	put16(c, CAP_MSIX + 2, NVEC - 1);
	put32(c, CAP_MSIX + 4, (uint32_t)TABLE | 0);
	put32(c, CAP_MSIX + 8, (uint32_t)PBA | 0);
	/* PCIe */
	put32(c, CAP_EXP, DEV_EXP0);
	put32(c, CAP_EXP + 4, DEV_EXP4);
	/* An extended capability */
	put32(c, 0x100, DEV_EXT);
}

/* BAR0 and ROM contents: each dword holds a tag and its own offset. */
static uint32_t bar_pattern(uint64_t off) { return 0xb0000000U | (uint32_t)off; }
static uint32_t rom_pattern(uint64_t off) { return 0xa0000000U | (uint32_t)off; }

static int make_file(const uint8_t *cfg)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	uint8_t *buf = calloc(1, FILE_SIZE);
	uint64_t i;
	int fd;

	ck_assert_ptr_nonnull(buf);
	snprintf(path, sizeof(path), "%s/conduit-vfio-test-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);           /* gone as soon as the fd is closed */
	memcpy(buf, cfg, 4096);
	for (i = 0; i < BAR_SIZE; i += 4)
		put32(buf, (unsigned)(BAR_OFF + i), bar_pattern(i));
	for (i = 0; i < ROM_SIZE; i += 4)
		put32(buf, (unsigned)(ROM_OFF + i), rom_pattern(i));
	ck_assert_int_eq(pwrite(fd, buf, FILE_SIZE, 0), FILE_SIZE);
	free(buf);
	return fd;
}

/* ---- the rig: a vm, a PCI bus and the device on it ---- */

static struct {
	int fd;                 /* the test's own descriptor of the file */
	struct vm *vm;
	struct pci_bus bus;
	struct vfio_pci *v;
	struct pci_device *d;
	unsigned flags;         /* vfio_pci_attach's */
	unsigned intx;          /* INTx vectors the device offers */
	int base_mmio;          /* ranges on the MMIO bus before any BAR maps */
} R = { .fd = -1 };

static struct vfio_pci *new_vfio(int fd, uint64_t cfg_size)
{
	struct vfio_pci *v = calloc(1, sizeof(*v));

	ck_assert_ptr_nonnull(v);
	v->fd = fd;
	v->cfg_off = 0;
	v->cfg_size = cfg_size;
	snprintf(v->bdf, sizeof(v->bdf), "0000:01:00.0");
	v->msix_bar = -1;
	v->intx_efd = v->intx_resample = -1;
	return v;
}

/* A struct vm as far as the passthrough code needs one: RAM layout, the
 * buses, the PCI bus, an IRQ router; its vm fd is the fake KVM's. */
static void vm_up(void)
{
	R.vm = calloc(1, sizeof(*R.vm));
	ck_assert_ptr_nonnull(R.vm);
	fake_ioctl_reset(0);
	fake_kvm.misuse = misuse;
	fake_vfio.misuse = misuse;
	ck_assert_int_ge(fake_kvm_open(), 0);
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
	/* As the machine does: no BAR decodes over guest RAM. */
	ck_assert_int_eq(pci_bus_reserve(&R.bus, R.vm->mem.ram[0].gpa, R.vm->mem.ram[0].size), 0);
	memslots_init(&R.vm->slots, 0);
	fake_vfio_reset(NULL, -1);
}

/* Plug the device with cfg as its config space; returns attach's result. */
static int attach(const uint8_t *cfg, uint64_t cfg_size, uint64_t rom_size,
		  char *err, size_t errlen)
{
	struct fake_vfio_desc desc = describe(cfg_size, rom_size, R.intx);

	R.fd = make_file(cfg);
	fake_vfio_reset(&desc, R.fd);
	R.v = vfio_pci_attach(R.vm, &R.bus, &fake_vfio_backend, &fake_vfio_ref, R.flags, -1,
			      err, errlen);
	return R.v ? 0 : -1;
}

static void rig_up(uint64_t cfg_size, uint64_t rom_size)
{
	uint8_t cfg[4096];
	char err[256] = "";

	build_config(cfg);
	vm_up();
	ck_assert_msg(attach(cfg, cfg_size, rom_size, err, sizeof(err)) == 0,
		      "attach: %s", err);
	ck_assert_ptr_nonnull(R.v);
	ck_assert_ptr_eq(R.bus.slot[1], &R.v->pci);
	R.d = &R.v->pci;
	ck_assert_int_eq(R.v->fd, fake_vfio.fd);
	ck_assert_int_eq(R.d->slot, 1);
	ck_assert_ptr_eq(R.bus.slot[1], R.d);
	R.base_mmio = R.vm->mmio.n;
}

static void setup(void)
{
	rig_up(4096, 0);
}

static void setup_rom(void)
{
	rig_up(4096, ROM_SIZE);
}

static void setup_small_cfg(void)
{
	rig_up(256, 0);
}

static void setup_intx(void)
{
	R.intx = 1;
	rig_up(4096, 0);
}

static void teardown(void)
{
	if (R.v) {
		pci_bus_remove(&R.bus, &R.v->pci);      /* closes the device fd */
		R.v = NULL;
	}
	ck_assert_msg(fake_ioctl.strays == 0, "%u stray ioctl(s), the last 0x%lx on fd %d",
		      fake_ioctl.strays, fake_ioctl.last_stray_req, fake_ioctl.last_stray_fd);
	/* Detached: nothing of the device is left in KVM. */
	ck_assert_uint_eq(fake_kvm.n_irqfds, 0);
	ck_assert_uint_eq(fake_kvm_slots(), 0);
	ck_assert_uint_eq(fake_kvm.other_calls, 0);
	ck_assert_int_eq(fake_vfio.active, -1);         /* and no trigger in vfio-pci */
	fake_vfio_reset(NULL, -1);
	fake_kvm_close();
	R.intx = 0;
	if (R.vm)
		pthread_mutex_destroy(&R.vm->irq.lock);
	free(R.vm);
	R.vm = NULL;
	if (R.fd >= 0)
		close(R.fd);
	R.fd = -1;
}

/* ---- helpers ---- */

static uint32_t cfg_rd(unsigned off, unsigned size)
{
	return pci_guest_cfg_read(R.d, off, size);
}

static void cfg_wr(unsigned off, unsigned size, uint32_t val)
{
	pci_guest_cfg_write(R.d, off, size, val);
}

static uint32_t file32(uint64_t off)
{
	uint32_t v = 0;

	ck_assert_int_eq(pread(R.fd, &v, 4, (off_t)off), 4);
	return v;
}

static uint16_t file16(uint64_t off)
{
	uint16_t v = 0;

	ck_assert_int_eq(pread(R.fd, &v, 2, (off_t)off), 2);
	return v;
}

static uint8_t file8(uint64_t off)
{
	uint8_t v = 0;

	ck_assert_int_eq(pread(R.fd, &v, 1, (off_t)off), 1);
	return v;
}

static void set_file32(uint64_t off, uint32_t v)
{
	ck_assert_int_eq(pwrite(R.fd, &v, 4, (off_t)off), 4);
}

static void file_snapshot(uint8_t *buf, uint64_t off, size_t len)
{
	ck_assert_int_eq(pread(R.fd, buf, len, (off_t)off), (ssize_t)len);
}

static uint16_t view16(unsigned off)
{
	return (uint16_t)(R.d->cfg[off] | R.d->cfg[off + 1] << 8);
}

/* Program BAR0 (64-bit) to addr and turn memory decode on. */
static void map_bar0(uint64_t addr)
{
	cfg_wr(PCI_BASE_ADDRESS_0, 4, (uint32_t)addr);
	cfg_wr(PCI_BASE_ADDRESS_0 + 4, 4, (uint32_t)(addr >> 32));
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* ---- what reached VFIO and KVM ---- */

/* The last SET_IRQS on index with action: its vector count as given, an
 * eventfd each (or none, count 0: the index switched off). */
static const struct fake_vfio_set *expect_set(uint32_t index, uint32_t action, uint32_t count)
{
	const struct fake_vfio_set *s = fake_vfio_last_set(index, action);
	uint32_t i, j;

	ck_assert_msg(s != NULL, "no SET_IRQS(index %u, action 0x%x)", index, action);
	ck_assert_uint_eq(s->count, count);
	ck_assert_uint_eq(s->start, 0);
	ck_assert_uint_eq(s->data, count ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	for (i = 0; i < count && i < FAKE_VFIO_LOG_FDS; i++)
		for (j = 0; j < i; j++)
			ck_assert_int_ne(s->fd[i], s->fd[j]);
	return s;
}

/* Vector vec's eventfd, as vfio-pci got it when MSI-X was last enabled. */
static int msix_efd(unsigned vec)
{
	const struct fake_vfio_set *s = expect_set(VFIO_PCI_MSIX_IRQ_INDEX,
						   VFIO_IRQ_SET_ACTION_TRIGGER, NVEC);

	return s->fd[vec];
}

/* efd is live in KVM: an irqfd on it, its GSI routed to addr/data. */
static uint32_t expect_live(int efd, uint64_t addr, uint32_t data)
{
	const struct fake_kvm_irqfd *f = fake_kvm_irqfd_of(efd);
	const struct kvm_irq_routing_entry *e;

	ck_assert_msg(f != NULL, "eventfd %d has no irqfd in KVM", efd);
	ck_assert_int_eq(f->resamplefd, -1);
	e = fake_kvm_msi_route(f->gsi);
	ck_assert_msg(e != NULL, "GSI %u of eventfd %d has no MSI route", f->gsi, efd);
	ck_assert_uint_eq(e->u.msi.address_lo, (uint32_t)addr);
	ck_assert_uint_eq(e->u.msi.address_hi, (uint32_t)(addr >> 32));
	ck_assert_uint_eq(e->u.msi.data, data);
	return f->gsi;
}

static void expect_detached(int efd)
{
	ck_assert_msg(fake_kvm_irqfd_of(efd) == NULL, "eventfd %d still has an irqfd", efd);
}

/* The last KVM_IRQFD call detached efd from gsi. */
static void expect_deassigned(int efd, uint32_t gsi)
{
	const struct kvm_irqfd *f;

	ck_assert_uint_gt(fake_kvm.n_log, 0);
	ck_assert_uint_le(fake_kvm.n_log, FAKE_KVM_LOG);
	f = &fake_kvm.log[fake_kvm.n_log - 1];
	ck_assert_int_eq((int)f->fd, efd);
	ck_assert_uint_eq(f->gsi, gsi);
	ck_assert(f->flags & KVM_IRQFD_FLAG_DEASSIGN);
}

/* The INTx irqfd (the one with a resample eventfd), or NULL. */
static const struct fake_kvm_irqfd *intx_irqfd(void)
{
	unsigned i;

	for (i = 0; i < fake_kvm.n_irqfds; i++)
		if (fake_kvm.irqfd[i].resamplefd >= 0)
			return &fake_kvm.irqfd[i];
	return NULL;
}

/* INTx live: its irqfd with a resample eventfd on the slot's IOAPIC pin,
 * and vfio-pci signalling and unmasking through those two eventfds. */
static void expect_intx_on(void)
{
	const struct fake_kvm_irqfd *f = intx_irqfd();
	const struct fake_vfio_set *s;

	ck_assert_msg(f != NULL, "no INTx irqfd in KVM");
	ck_assert_uint_eq(f->gsi, pci_intx_gsi(1, 0));
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_LINE, 1), f->gsi);
	s = expect_set(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 1);
	ck_assert_int_eq(s->fd[0], f->efd);
	s = expect_set(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 1);
	ck_assert_int_eq(s->fd[0], f->resamplefd);
	ck_assert_int_eq(fake_vfio.active, VFIO_PCI_INTX_IRQ_INDEX);
}

static void expect_intx_off(void)
{
	ck_assert_ptr_null(intx_irqfd());
	expect_set(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0);
	ck_assert_int_ne(fake_vfio.active, VFIO_PCI_INTX_IRQ_INDEX);
}

/* MSI-X table entry vec through the BAR: address, data, control. */
static void table_wr(unsigned vec, uint64_t addr, uint32_t data, uint32_t ctrl)
{
	uint64_t at = BAR_GPA + TABLE + (uint64_t)vec * MSIX_ENTRY_SIZE;

	io_bus_write(&R.vm->mmio, at, 8, addr);
	io_bus_write(&R.vm->mmio, at + 8, 4, data);
	io_bus_write(&R.vm->mmio, at + 12, 4, ctrl);
}

static void unmask(unsigned vec, bool on)
{
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + (uint64_t)vec * MSIX_ENTRY_SIZE + 12, 4,
		     on ? 0 : MSIX_VEC_MASKED);
}

static uint64_t pba_rd(void)
{
	return io_bus_read(&R.vm->mmio, BAR_GPA + PBA, 8);
}

/* Calls that reached VFIO's SET_IRQS or KVM so far. */
static unsigned irq_calls(void)
{
	return fake_vfio.n_sets + fake_kvm.irqfd_calls + fake_kvm.routing_commits;
}

/* ---- 1. config view set up by vfio_config_init ---- */

START_TEST(init_view)
{
	unsigned p, steps = 0, seen[8], n = 0, i;

	ck_assert_uint_eq(cfg_rd(PCI_VENDOR_ID, 4), 0x15338086);
	ck_assert_uint_eq(cfg_rd(PCI_REVISION_ID, 4), 0x02000003);
	/* Header type: multi-function bit off, in the view only. */
	ck_assert_uint_eq(cfg_rd(PCI_HEADER_TYPE, 1), 0x00);
	ck_assert_uint_eq(cfg_rd(0x0c, 4), 0x00000010);
	ck_assert_uint_eq(cfg_rd(0x0e, 2), 0x0000);
	ck_assert_uint_eq(file8(PCI_HEADER_TYPE), 0x80);
	cfg_wr(PCI_HEADER_TYPE, 1, 0xff);                 /* read-only */
	ck_assert_uint_eq(cfg_rd(PCI_HEADER_TYPE, 1), 0x00);
	ck_assert_uint_eq(file8(PCI_HEADER_TYPE), 0x80);
	/* Status (with the capability bit) and the pointer come from the device. */
	ck_assert_uint_eq(cfg_rd(PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	ck_assert_uint_eq(cfg_rd(PCI_CAPABILITY_LIST, 1), CAP_PM);
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_PIN, 1), 1);

	/* Walk the capability list as a guest would. */
	for (p = cfg_rd(PCI_CAPABILITY_LIST, 1) & ~3U; p && steps < 48; steps++) {
		ck_assert_uint_lt(n, 8);
		seen[n++] = p;
		p = cfg_rd(p + 1, 1) & ~3U;
	}
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(seen[0], CAP_PM);
	ck_assert_uint_eq(seen[1], CAP_MSI);
	ck_assert_uint_eq(seen[2], CAP_MSIX);
	ck_assert_uint_eq(seen[3], CAP_EXP);

	/* PM reads through, its next pointer included. */
	ck_assert_uint_eq(cfg_rd(CAP_PM + 1, 1), CAP_MSI);
	ck_assert_uint_eq(cfg_rd(CAP_PM, 4), 0xc8235001);
	ck_assert_uint_eq(cfg_rd(CAP_PM + 4, 2), 0x0008);
	/* MSI: emulated, 64-bit, one vector, off. */
	ck_assert_uint_eq(cfg_rd(CAP_MSI, 4), 0x00807005);
	ck_assert_ptr_eq(R.v->msi.dev, R.d);
	ck_assert_uint_eq(R.v->msi.len, 14);
	for (i = 0; i < 14; i++)
		ck_assert(R.v->emu[CAP_MSI + i]);
	ck_assert(!R.v->emu[CAP_MSI + 14]);
	/* PCIe and extended config space read through. */
	ck_assert_uint_eq(cfg_rd(CAP_EXP, 4), DEV_EXP0);
	ck_assert_uint_eq(cfg_rd(CAP_EXP + 4, 4), DEV_EXP4);
	ck_assert_uint_eq(cfg_rd(CAP_EXP + 2, 2), 0x0002);
	ck_assert_uint_eq(cfg_rd(0x100, 4), DEV_EXT);
	/* MSI-X capability header. */
	ck_assert_uint_eq(cfg_rd(CAP_MSIX, 4), 0x00039011);

	/* What vfio_bars_init made of BAR0: 64-bit memory, trapped entirely. */
	ck_assert_uint_ge(fake_vfio.region_queries, 1);
	ck_assert_int_eq(memslot_alloc(&R.vm->slots), 0); /* nothing mmap'd: no KVM slot */
	ck_assert_uint_eq(R.v->cfg_size, 4096);
	ck_assert_uint_eq(R.v->rom_size, 0);
	/* No INTx vectors offered: no INTx set up, nothing in KVM. */
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_INTX_IRQ_INDEX, 0), 0);
	ck_assert_uint_eq(fake_kvm.n_irqfds, 0);
	ck_assert_uint_eq(fake_kvm.irqfd_calls, 0);
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_LINE, 1), 0x0b);
	ck_assert_str_eq(R.d->name, "0000:01:00.0");
	ck_assert_uint_eq(R.v->bar[0].size, BAR_SIZE);
	ck_assert_uint_eq(R.v->bar[0].region_off, BAR_OFF);
	ck_assert_int_eq(R.v->bar[0].n_areas, 0);
	ck_assert(!R.v->bar[0].io);
	ck_assert(R.d->bar[0].is64);
	ck_assert_uint_eq(R.d->bar[0].size, BAR_SIZE);
	for (i = 1; i < PCI_NUM_BARS; i++)
		ck_assert_uint_eq(R.d->bar[i].size, 0);
	ck_assert_int_eq(R.v->msix_bar, 0);
	ck_assert_uint_eq(R.v->msix_table, TABLE);
	ck_assert_uint_eq(R.v->msix_table_len, NVEC * MSIX_ENTRY_SIZE);
	ck_assert_uint_eq(R.v->msix_pba, PBA);
	ck_assert_uint_eq(R.v->msix_pba_len, 8);
	ck_assert_uint_eq(R.v->msix.n, NVEC);
}
END_TEST

/* Without MSI-X nothing is hidden; a bridge is refused; a config region
 * that cannot be read is an error. No rig: just the view. */
START_TEST(init_variants)
{
	uint8_t cfg[4096];
	char err[256];
	struct vfio_pci *v;
	int fd;

	/* PM -> MSI -> PCIe, no MSI-X: init returns 0, MSI stays listed. */
	build_config(cfg);
	cfg[CAP_MSI + 1] = CAP_EXP;
	memset(cfg + CAP_MSIX, 0, 12);
	fd = make_file(cfg);
	v = new_vfio(fd, 4096);
	v->pci.opaque = v;
	ck_assert_int_eq(vfio_config_init(v, err, sizeof(err)), 0);
	ck_assert_uint_eq(vfio_config_read(&v->pci, CAP_PM + 1, 1), CAP_MSI);
	ck_assert_uint_eq(vfio_config_read(&v->pci, CAP_MSI, 2), 0x9005);
	ck_assert_uint_eq(vfio_config_read(&v->pci, PCI_HEADER_TYPE, 1), 0);
	free(v);
	close(fd);

	/* An MSI capability first in the list that runs past byte 0xff (64-bit
	 * with masking at 0xf0): hidden, by emulating the capabilities pointer. */
	build_config(cfg);
	cfg[PCI_CAPABILITY_LIST] = 0xf0;
	cfg[0xf0] = 0x05;
	cfg[0xf1] = CAP_PM;
	cfg[0xf2] = 0x80;
	cfg[0xf3] = 0x01;
	cfg[CAP_PM + 1] = CAP_MSIX;
	fd = make_file(cfg);
	v = new_vfio(fd, 4096);
	v->pci.opaque = v;
	ck_assert_int_eq(vfio_config_init(v, err, sizeof(err)), CAP_MSIX);
	ck_assert_ptr_null(v->msi.dev);
	ck_assert_uint_eq(vfio_config_read(&v->pci, PCI_CAPABILITY_LIST, 1), CAP_PM);
	ck_assert_uint_eq(vfio_config_read(&v->pci, CAP_PM + 1, 1), CAP_MSIX);
	vfio_config_write(&v->pci, PCI_CAPABILITY_LIST, 1, 0x50);       /* read-only */
	ck_assert_uint_eq(vfio_config_read(&v->pci, PCI_CAPABILITY_LIST, 1), CAP_PM);
	ck_assert_int_eq(pread(fd, cfg, 1, PCI_CAPABILITY_LIST), 1);
	ck_assert_uint_eq(cfg[0], 0xf0);                        /* device untouched */
	free(v);
	close(fd);

	/* Type 1 header (a bridge): refused. */
	build_config(cfg);
	cfg[PCI_HEADER_TYPE] = 0x81;
	fd = make_file(cfg);
	v = new_vfio(fd, 4096);
	err[0] = 0;
	ck_assert_int_eq(vfio_config_init(v, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "bridge"));
	free(v);
	close(fd);

	/* Config region beyond the end of the fd: an error, not a crash. */
	build_config(cfg);
	fd = make_file(cfg);
	v = new_vfio(fd, 4096);
	v->cfg_off = FILE_SIZE - 16;
	err[0] = 0;
	ck_assert_int_eq(vfio_config_init(v, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "config space"));
	free(v);
	close(fd);
}
END_TEST

/* ---- 2. BAR registers ---- */

START_TEST(bar_sizing)
{
	uint8_t before[24], after[24], rom_before[4], rom_after[4];
	unsigned i;

	file_snapshot(before, PCI_BASE_ADDRESS_0, 24);
	file_snapshot(rom_before, PCI_ROM_ADDRESS, 4);
	/* pci_bus_add assigned BAR0 in the 64-bit window; type bits kept. */
	ck_assert_uint_eq(cfg_rd(PCI_BASE_ADDRESS_0, 4) & 0xf, 0x4);
	ck_assert_uint_eq((uint64_t)cfg_rd(PCI_BASE_ADDRESS_0 + 4, 4) << 32 |
			  (cfg_rd(PCI_BASE_ADDRESS_0, 4) & ~0xfU), R.vm->mem.pci64_base);

	cfg_wr(PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	cfg_wr(PCI_BASE_ADDRESS_0 + 4, 4, 0xffffffff);
	ck_assert_uint_eq(cfg_rd(PCI_BASE_ADDRESS_0, 4), (uint32_t)~(BAR_SIZE - 1) | 0x4);
	ck_assert_uint_eq(cfg_rd(PCI_BASE_ADDRESS_0 + 4, 4), 0xffffffff);
	/* Unimplemented BARs read 0 whatever is written and the file holds. */
	for (i = 2; i < PCI_NUM_BARS; i++) {
		cfg_wr(PCI_BASE_ADDRESS_0 + 4 * i, 4, 0xffffffff);
		ck_assert_uint_eq(cfg_rd(PCI_BASE_ADDRESS_0 + 4 * i, 4), 0);
	}
	/* Byte and word writes are emulated too. */
	cfg_wr(PCI_BASE_ADDRESS_0 + 1, 1, 0x00);
	cfg_wr(PCI_BASE_ADDRESS_0 + 2, 2, 0x1234);
	ck_assert_uint_eq(cfg_rd(PCI_BASE_ADDRESS_0, 4), 0x12340004);
	cfg_wr(PCI_BASE_ADDRESS_0, 4, 0);
	cfg_wr(PCI_BASE_ADDRESS_0 + 4, 4, 0);
	ck_assert_uint_eq(cfg_rd(PCI_BASE_ADDRESS_0, 4), 0x4);
	ck_assert_uint_eq(cfg_rd(PCI_BASE_ADDRESS_0 + 4, 4), 0);
	file_snapshot(after, PCI_BASE_ADDRESS_0, 24);
	ck_assert_msg(!memcmp(before, after, 24), "a BAR write reached the device");
	ck_assert_uint_eq(file32(PCI_BASE_ADDRESS_0), DEV_BAR0);

	/* Expansion ROM: no ROM region, so the BAR is read-only zero, and
	 * nothing reaches the file. */
	ck_assert_uint_eq(cfg_rd(PCI_ROM_ADDRESS, 4), 0);
	cfg_wr(PCI_ROM_ADDRESS, 4, 0xffffffff);
	ck_assert_uint_eq(cfg_rd(PCI_ROM_ADDRESS, 4), 0);
	cfg_wr(PCI_ROM_ADDRESS, 4, 0xfffff800);
	cfg_wr(PCI_ROM_ADDRESS + 2, 2, 0xffff);
	cfg_wr(PCI_ROM_ADDRESS, 1, 0x01);
	ck_assert_uint_eq(cfg_rd(PCI_ROM_ADDRESS, 4), 0);
	file_snapshot(rom_after, PCI_ROM_ADDRESS, 4);
	ck_assert(!memcmp(rom_before, rom_after, 4));
	ck_assert_uint_eq(file32(PCI_ROM_ADDRESS), DEV_ROM);
	ck_assert(!R.d->bar[PCI_ROM_BAR].mapped);
}
END_TEST

/* Regression (fixed) (vfio/device.c:125, setup()): the expansion ROM BAR's write
 * mask is computed as (uint32_t)~(rom_size - 1) & ~0x7feU; since rom_size
 * is at least 2 KiB, ~(rom_size - 1) already has bit 0 clear, so the ROM
 * enable bit (bit 0) never becomes writable. Sizing works, but the guest can
 * never enable the ROM and the bus never maps it: the device's
 * option ROM is unreachable. Fix: (uint32_t)~(v->rom_size - 1) | 1 (the
 * address bits of the size, which for a size >= 2 KiB exclude bits 1-10,
 * plus the enable bit). */
START_TEST(rom_sizing)
{
	uint8_t before[4], after[4];

	file_snapshot(before, PCI_ROM_ADDRESS, 4);
	ck_assert_uint_eq(R.v->rom_size, ROM_SIZE);
	ck_assert_uint_eq(R.v->rom_off, ROM_OFF);
	ck_assert_uint_eq(cfg_rd(PCI_ROM_ADDRESS, 4), 0);
	/* Sizing the address bits. */
	cfg_wr(PCI_ROM_ADDRESS, 4, 0xfffff800);
	ck_assert_uint_eq(cfg_rd(PCI_ROM_ADDRESS, 4), (uint32_t)~(ROM_SIZE - 1));
	cfg_wr(PCI_ROM_ADDRESS + 2, 2, 0);
	ck_assert_uint_eq(cfg_rd(PCI_ROM_ADDRESS, 4), (uint32_t)~(ROM_SIZE - 1) & 0xffff);
	cfg_wr(PCI_ROM_ADDRESS, 4, 0);
	ck_assert_uint_eq(cfg_rd(PCI_ROM_ADDRESS, 4), 0);
	ck_assert(!R.d->bar[PCI_ROM_BAR].mapped);
	file_snapshot(after, PCI_ROM_ADDRESS, 4);
	ck_assert(!memcmp(before, after, 4));

	/* The enable bit must be writable (PCI: bit 0 of the ROM BAR). */
	cfg_wr(PCI_ROM_ADDRESS, 4, 0xffffffff);
	file_snapshot(after, PCI_ROM_ADDRESS, 4);
	ck_assert(!memcmp(before, after, 4));
	ck_assert_msg(cfg_rd(PCI_ROM_ADDRESS, 4) == ((uint32_t)~(ROM_SIZE - 1) | 1),
		      "Regression (fixed) vfio/device.c:125: ROM enable bit not writable: "
		      "ROM BAR reads 0x%08x after writing 0xffffffff, expected 0x%08x",
		      cfg_rd(PCI_ROM_ADDRESS, 4), (uint32_t)~(ROM_SIZE - 1) | 1);
	/* Consequence: an enabled ROM with memory decode on is not mapped. */
	cfg_wr(PCI_ROM_ADDRESS, 4, (uint32_t)ROM_GPA | 1);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert_msg(R.d->bar[PCI_ROM_BAR].mapped,
		      "Regression (fixed) vfio/device.c:125: the guest cannot enable the expansion ROM");
}
END_TEST

/* The ROM's trapped data path (decoded by the bus; rom_read, rom_write). The
 * write mask is first corrected by hand to what setup() should set (see
 * rom_sizing: Regression (fixed)), so this tests bar.c on its own. */
START_TEST(rom_data_path)
{
	uint8_t before[4], after[4];
	uint32_t mask = (uint32_t)~(ROM_SIZE - 1) | 1;

	memcpy(R.d->wmask + PCI_ROM_ADDRESS, &mask, 4);
	file_snapshot(before, PCI_ROM_ADDRESS, 4);
	cfg_wr(PCI_ROM_ADDRESS, 4, 0xffffffff);
	ck_assert_uint_eq(cfg_rd(PCI_ROM_ADDRESS, 4), (uint32_t)~(ROM_SIZE - 1) | 1);
	ck_assert(!R.d->bar[PCI_ROM_BAR].mapped);                     /* decode is off */
	cfg_wr(PCI_ROM_ADDRESS, 4, 0);

	/* Enabled ROM + memory decode: trapped, read from the ROM region. */
	cfg_wr(PCI_ROM_ADDRESS, 4, (uint32_t)ROM_GPA | 1);
	ck_assert(!R.d->bar[PCI_ROM_BAR].mapped);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert(R.d->bar[PCI_ROM_BAR].mapped);
	ck_assert_uint_eq(R.d->bar[PCI_ROM_BAR].addr, ROM_GPA);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, ROM_GPA + 0x40, 4), rom_pattern(0x40));
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, ROM_GPA + ROM_SIZE - 4, 4),
			  rom_pattern(ROM_SIZE - 4));
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, ROM_GPA + 0x41, 2),
			  (rom_pattern(0x40) >> 8) & 0xffff);
	/* Read-only: writes reach neither the ROM contents nor config space. */
	io_bus_write(&R.vm->mmio, ROM_GPA + 0x40, 4, 0xdeadbeef);
	ck_assert_uint_eq(file32(ROM_OFF + 0x40), rom_pattern(0x40));
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, ROM_GPA + 0x40, 4), rom_pattern(0x40));
	/* Straddling the end of the ROM: all-ones, no read past it. */
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, ROM_GPA + ROM_SIZE - 2, 4),
			  0xffffffffffffffffULL);
	/* Moved while enabled: follows. */
	cfg_wr(PCI_ROM_ADDRESS, 4, (uint32_t)(ROM_GPA + 0x10000) | 1);
	ck_assert(R.d->bar[PCI_ROM_BAR].mapped);
	ck_assert_uint_eq(R.d->bar[PCI_ROM_BAR].addr, ROM_GPA + 0x10000);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, ROM_GPA + 0x40, 4), 0xffffffffffffffffULL);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, ROM_GPA + 0x10040, 4), rom_pattern(0x40));
	/* Enable bit off: unmapped. Decode off: unmapped. */
	cfg_wr(PCI_ROM_ADDRESS, 4, (uint32_t)ROM_GPA);
	ck_assert(!R.d->bar[PCI_ROM_BAR].mapped);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, ROM_GPA + 0x40, 4), 0xffffffffffffffffULL);
	cfg_wr(PCI_ROM_ADDRESS, 4, (uint32_t)ROM_GPA | 1);
	ck_assert(R.d->bar[PCI_ROM_BAR].mapped);
	cfg_wr(PCI_COMMAND, 2, 0);
	ck_assert(!R.d->bar[PCI_ROM_BAR].mapped);
	ck_assert_int_eq(R.vm->mmio.n, R.base_mmio);
	/* Mapped again at exit: vfio_pci_detach (teardown) removes it. */
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert(R.d->bar[PCI_ROM_BAR].mapped);

	file_snapshot(after, PCI_ROM_ADDRESS, 4);
	ck_assert(!memcmp(before, after, 4));
	ck_assert_uint_eq(file32(PCI_ROM_ADDRESS), DEV_ROM);
}
END_TEST

/* ---- 3. command register ---- */

START_TEST(command_register)
{
	cfg_wr(PCI_COMMAND, 2, 0x0006);
	ck_assert_uint_eq(file16(PCI_COMMAND), 0x0006);
	ck_assert_uint_eq(view16(PCI_COMMAND), 0x0006);
	ck_assert_uint_eq(cfg_rd(PCI_COMMAND, 2), 0x0006);
	/* The device gets every bit (vfio-pci filters); the view only the
	 * bits conduit models: I/O, memory, bus master, INTx disable. */
	cfg_wr(PCI_COMMAND, 2, 0xffff);
	ck_assert_uint_eq(file16(PCI_COMMAND), 0xffff);
	ck_assert_uint_eq(view16(PCI_COMMAND), 0x0407);
	ck_assert_uint_eq(view16(PCI_COMMAND) & ~0x0407U, 0);
	cfg_wr(PCI_COMMAND, 2, 0x0146);                 /* parity + SERR */
	ck_assert_uint_eq(file16(PCI_COMMAND), 0x0146);
	ck_assert_uint_eq(view16(PCI_COMMAND), 0x0006);
	/* Byte writes to either half. */
	cfg_wr(PCI_COMMAND + 1, 1, 0x04);
	ck_assert_uint_eq(file16(PCI_COMMAND), 0x0446);
	ck_assert_uint_eq(view16(PCI_COMMAND), 0x0406);
	cfg_wr(PCI_COMMAND, 1, 0x00);
	ck_assert_uint_eq(file16(PCI_COMMAND), 0x0400);
	ck_assert_uint_eq(view16(PCI_COMMAND), 0x0400);
	/* A dword write covering command and status. */
	cfg_wr(PCI_COMMAND, 4, 0x00000002);
	ck_assert_uint_eq(file16(PCI_COMMAND), 0x0002);
	ck_assert_uint_eq(view16(PCI_COMMAND), 0x0002);
	cfg_wr(PCI_COMMAND, 2, 0);
	ck_assert_uint_eq(file16(PCI_COMMAND), 0);
	ck_assert_uint_eq(view16(PCI_COMMAND), 0);
	/* The view's status is never touched by command writes. */
	ck_assert_uint_eq(view16(PCI_STATUS), PCI_STATUS_CAP_LIST);
}
END_TEST

/* ---- 4. passthrough bytes ---- */

START_TEST(passthrough_bytes)
{
	uint8_t view_before[PCI_CFG_SIZE];

	memcpy(view_before, R.d->cfg, sizeof(view_before));
	/* PMCSR inside the PM capability: to the device only. */
	cfg_wr(CAP_PM + 4, 2, 0x8103);
	ck_assert_uint_eq(file16(CAP_PM + 4), 0x8103);
	ck_assert_uint_eq(cfg_rd(CAP_PM + 4, 2), 0x8103);
	cfg_wr(CAP_PM + 4, 4, 0x11228003);
	ck_assert_uint_eq(file32(CAP_PM + 4), 0x11228003);
	cfg_wr(CAP_PM + 6, 1, 0x55);
	ck_assert_uint_eq(file8(CAP_PM + 6), 0x55);
	/* A dword at the PM header: all of it goes to the device (vfio-pci
	 * keeps capability headers read-only on real hardware). */
	cfg_wr(CAP_PM, 4, 0xaabbccdd);
	ck_assert_uint_eq(file32(CAP_PM), 0xaabbccdd);
	ck_assert_uint_eq(cfg_rd(CAP_PM, 4), 0xaabbccdd);
	/* Reads follow the device. */
	ck_assert_uint_eq(cfg_rd(CAP_EXP, 4), DEV_EXP0);
	set_file32(CAP_EXP + 4, 0x13572468);
	ck_assert_uint_eq(cfg_rd(CAP_EXP + 4, 4), 0x13572468);
	ck_assert_uint_eq(cfg_rd(CAP_EXP + 6, 2), 0x1357);
	ck_assert_uint_eq(cfg_rd(CAP_EXP + 5, 1), 0x24);
	set_file32(CAP_EXP + 4, 0x0badf00d);
	ck_assert_uint_eq(cfg_rd(CAP_EXP + 4, 4), 0x0badf00d);
	set_file32(0x100, 0x11111111);
	ck_assert_uint_eq(cfg_rd(0x100, 4), 0x11111111);
	cfg_wr(0xffc, 4, 0xcafe0001);                    /* last dword */
	ck_assert_uint_eq(file32(0xffc), 0xcafe0001);
	ck_assert_uint_eq(cfg_rd(0xffc, 4), 0xcafe0001);
	ck_assert_uint_eq(cfg_rd(0xfff, 1), 0xca);
	/* None of it touched the view. */
	ck_assert(!memcmp(view_before, R.d->cfg, sizeof(view_before)));
}
END_TEST

/* ---- 5. MSI-X capability ---- */

START_TEST(msix_capability)
{
	uint8_t before[12], after[12];

	file_snapshot(before, CAP_MSIX, 12);
	ck_assert_uint_eq(cfg_rd(CAP_MSIX + 2, 2) & 0x7ff, NVEC - 1);
	ck_assert_uint_eq(cfg_rd(CAP_MSIX + 2, 2), NVEC - 1);
	ck_assert_uint_eq(cfg_rd(CAP_MSIX + 4, 4), (uint32_t)TABLE);
	ck_assert_uint_eq(cfg_rd(CAP_MSIX + 8, 4), (uint32_t)PBA);

	/* Enable and function mask: the view only. */
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	ck_assert_uint_eq(cfg_rd(CAP_MSIX + 2, 2), 0xc000 | (NVEC - 1));
	ck_assert(msix_enabled(&R.v->msix));
	ck_assert(msix_masked(&R.v->msix, 0));
	ck_assert_uint_eq(file16(CAP_MSIX + 2), NVEC - 1);
	/* Table size and reserved bits are read-only. */
	cfg_wr(CAP_MSIX + 2, 2, 0xffff);
	ck_assert_uint_eq(cfg_rd(CAP_MSIX + 2, 2), 0xc000 | (NVEC - 1));
	cfg_wr(CAP_MSIX + 3, 1, 0x80);
	ck_assert_uint_eq(cfg_rd(CAP_MSIX + 2, 2), 0x8000 | (NVEC - 1));
	/* Dword write at the header: id and next are read-only. */
	cfg_wr(CAP_MSIX, 4, 0x4000ffff);
	ck_assert_uint_eq(cfg_rd(CAP_MSIX, 4), 0x40039011);
	ck_assert(!msix_enabled(&R.v->msix));
	/* Table offset/BIR and PBA offset/BIR: read-only. */
	cfg_wr(CAP_MSIX + 4, 4, 0xdeadbeef);
	cfg_wr(CAP_MSIX + 8, 4, 0xffffffff);
	cfg_wr(CAP_MSIX + 4, 1, 0x05);
	cfg_wr(CAP_MSIX + 10, 2, 0x1234);
	ck_assert_uint_eq(cfg_rd(CAP_MSIX + 4, 4), (uint32_t)TABLE);
	ck_assert_uint_eq(cfg_rd(CAP_MSIX + 8, 4), (uint32_t)PBA);
	cfg_wr(CAP_MSIX + 2, 2, 0);
	ck_assert_uint_eq(cfg_rd(CAP_MSIX + 2, 2), NVEC - 1);

	file_snapshot(after, CAP_MSIX, 12);
	ck_assert_msg(!memcmp(before, after, 12),
		      "an MSI-X capability write reached the device");
}
END_TEST

/* ---- 6. hostile accesses ---- */

static void hostile_batch(const unsigned (*acc)[2], size_t n)
{
	uint8_t file_before[4096], file_after[4096];
	uint8_t view_before[PCI_CFG_SIZE], wmask_before[PCI_CFG_SIZE];
	size_t i;

	file_snapshot(file_before, 0, sizeof(file_before));
	memcpy(view_before, R.d->cfg, sizeof(view_before));
	memcpy(wmask_before, R.d->wmask, sizeof(wmask_before));
	for (i = 0; i < n; i++) {
		unsigned off = acc[i][0], size = acc[i][1];

		ck_assert_msg(cfg_rd(off, size) == ~0U, "read of %u at 0x%x is not ~0", size, off);
		cfg_wr(off, size, 0);
		cfg_wr(off, size, 0xffffffff);
		cfg_wr(off, size, 0x5a5a5a5a);
	}
	file_snapshot(file_after, 0, sizeof(file_after));
	ck_assert_msg(!memcmp(file_before, file_after, sizeof(file_before)),
		      "a bad config access reached the device");
	ck_assert_msg(!memcmp(view_before, R.d->cfg, sizeof(view_before)),
		      "a bad config access changed the view");
	ck_assert(!memcmp(wmask_before, R.d->wmask, sizeof(wmask_before)));
	/* Nor did any of it reach the interrupt code, VFIO or KVM. */
	ck_assert_uint_eq(R.v->stats.msi_updates, 0);
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_MSIX_IRQ_INDEX, 0), 0);
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_MSI_IRQ_INDEX, 0), 0);
	ck_assert_uint_eq(fake_kvm.irqfd_calls, 0);
	ck_assert_uint_eq(fake_kvm.n_irqfds, 0);
}

START_TEST(hostile_accesses)
{
	static const unsigned acc[][2] = {
		{ PCI_COMMAND, 3 }, { 0x40, 3 }, { PCI_BASE_ADDRESS_0, 3 }, { 0, 0 }, { 0, 8 },
		{ 0x41, 2 }, { PCI_COMMAND + 1, 2 }, { PCI_COMMAND + 1, 4 },
		{ CAP_MSIX + 2, 4 }, { PCI_BASE_ADDRESS_0 + 2, 4 }, { PCI_INTERRUPT_LINE + 1, 2 },
		{ 4095, 4 }, { 4095, 2 }, { 4094, 4 }, { 4096, 1 }, { 4096, 4 },
		{ 0x7fffffff, 1 }, { 0xffffffff, 1 }, { 0xfffffffc, 4 },
	};

	hostile_batch(acc, sizeof(acc) / sizeof(acc[0]));
}
END_TEST

START_TEST(hostile_beyond_cfg_size)
{
	static const unsigned acc[][2] = {
		{ 0x100, 4 }, { 0x100, 1 }, { 0x102, 2 }, { 0x1fc, 4 }, { 0xffc, 4 },
		{ 0xfff, 1 }, { 0x41, 2 }, { PCI_COMMAND, 3 },
	};

	ck_assert_uint_eq(file32(0x100), DEV_EXT);
	hostile_batch(acc, sizeof(acc) / sizeof(acc[0]));
	/* Legal accesses inside the 256 bytes still work. */
	ck_assert_uint_eq(cfg_rd(CAP_EXP, 4), DEV_EXP0);
	ck_assert_uint_eq(cfg_rd(0xfc, 4), 0);
	cfg_wr(0xfc, 4, 0x01020304);
	ck_assert_uint_eq(file32(0xfc), 0x01020304);
}
END_TEST

START_TEST(mixed_int_line_dword)
{
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_LINE, 4), 0x0302010b);
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_LINE, 2), 0x010b);
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_LINE + 2, 2), 0x0302);
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_PIN, 1), 0x01);

	/* Interrupt line to the view only, the rest to the device. */
	cfg_wr(PCI_INTERRUPT_LINE, 4, 0x44332211);
	ck_assert_uint_eq(R.d->cfg[PCI_INTERRUPT_LINE], 0x11);
	ck_assert_uint_eq(file8(PCI_INTERRUPT_LINE), 0x0b);
	ck_assert_uint_eq(file8(PCI_INTERRUPT_PIN), 0x22);
	ck_assert_uint_eq(file8(0x3e), 0x33);
	ck_assert_uint_eq(file8(0x3f), 0x44);
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_LINE, 4), 0x44332211);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_LINE + i, 1), 0x11U * (i + 1));
	/* Pin and min_gnt follow the device. */
	set_file32(PCI_INTERRUPT_LINE, 0x030201ee);
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_LINE, 4), 0x03020111);
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_LINE, 2), 0x0111);
	/* Word and byte writes. */
	cfg_wr(PCI_INTERRUPT_LINE, 2, 0x0905);
	ck_assert_uint_eq(R.d->cfg[PCI_INTERRUPT_LINE], 0x05);
	ck_assert_uint_eq(file8(PCI_INTERRUPT_PIN), 0x09);
	ck_assert_uint_eq(file8(PCI_INTERRUPT_LINE), 0xee);
	cfg_wr(PCI_INTERRUPT_LINE, 1, 0xff);
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_LINE, 4), 0x030209ff);
	cfg_wr(0x3e, 2, 0x0102);
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_LINE, 4), 0x010209ff);
	ck_assert_uint_eq(R.d->cfg[PCI_INTERRUPT_LINE], 0xff);
}
END_TEST

/* ---- 7. BAR data path ---- */

START_TEST(bar_data_path)
{
	uint8_t table_before[0x40], table_after[0x40];
	uint64_t exits;

	file_snapshot(table_before, BAR_OFF + TABLE, sizeof(table_before));
	ck_assert(!R.d->bar[0].mapped);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + 0x100, 4), 0xffffffffffffffffULL);
	map_bar0(BAR_GPA);
	ck_assert(R.d->bar[0].mapped);
	ck_assert_uint_eq(R.d->bar[0].addr, BAR_GPA);
	ck_assert_int_eq(R.vm->mmio.n, R.base_mmio + 1);

	/* Data: pread/pwrite at region_off + offset, counted as MMIO exits. */
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + 0x100, 4), bar_pattern(0x100));
	ck_assert_uint_eq(R.v->stats.mmio_exits, 1);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + 0x102, 2),
			  bar_pattern(0x100) >> 16);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + 0x103, 1),
			  bar_pattern(0x100) >> 24);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + 0x100, 8),
			  (uint64_t)bar_pattern(0x104) << 32 | bar_pattern(0x100));
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA, 4), bar_pattern(0));
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + BAR_SIZE - 4, 4),
			  bar_pattern(BAR_SIZE - 4));
	ck_assert_uint_eq(R.v->stats.mmio_exits, 6);
	io_bus_write(&R.vm->mmio, BAR_GPA + 0x104, 4, 0x12345678);
	ck_assert_uint_eq(file32(BAR_OFF + 0x104), 0x12345678);
	ck_assert_uint_eq(file32(BAR_OFF + 0x100), bar_pattern(0x100));
	ck_assert_uint_eq(file32(BAR_OFF + 0x108), bar_pattern(0x108));
	io_bus_write(&R.vm->mmio, BAR_GPA + 0x10a, 2, 0xbeef);
	ck_assert_uint_eq(file32(BAR_OFF + 0x108), (bar_pattern(0x108) & 0xffff) | 0xbeef0000);
	io_bus_write(&R.vm->mmio, BAR_GPA + 0x200, 8, 0x1122334455667788ULL);
	ck_assert_uint_eq(file32(BAR_OFF + 0x200), 0x55667788);
	ck_assert_uint_eq(file32(BAR_OFF + 0x204), 0x11223344);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + 0x104, 4), 0x12345678);
	ck_assert_uint_eq(R.v->stats.mmio_exits, 10);
	ck_assert_uint_eq(R.v->stats.pio_exits, 0);
	ck_assert_uint_eq(R.v->stats.msix_accesses, 0);

	/* The MSI-X table is emulated: the device's table is never touched. */
	exits = R.v->stats.mmio_exits;
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + TABLE, 4), 0);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + TABLE + 12, 4), MSIX_VEC_MASKED);
	ck_assert_uint_eq(R.v->stats.msix_accesses, 2);
	ck_assert_uint_eq(R.v->stats.msix_table_writes, 0);
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE, 4, 0xfee00000);
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 4, 4, 0);
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 8, 4, 0x4041);
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 0x30, 8, 0x00000000fee01000ULL);
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 0x3c, 4, 0xffffffff);
	ck_assert_uint_eq(R.v->msix.table[0].addr_lo, 0xfee00000);
	ck_assert_uint_eq(R.v->msix.table[0].data, 0x4041);
	ck_assert_uint_eq(R.v->msix.table[3].addr_lo, 0xfee01000);
	ck_assert_uint_eq(R.v->msix.table[3].ctrl, MSIX_VEC_MASKED); /* reserved bits */
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + TABLE + 8, 4), 0x4041);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + TABLE, 8), 0xfee00000);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + TABLE + 0x3c, 4), MSIX_VEC_MASKED);
	ck_assert_uint_eq(R.v->stats.msix_table_writes, 5);
	ck_assert_uint_eq(R.v->stats.msix_accesses, 10);
	ck_assert_uint_eq(R.v->stats.mmio_exits, exits);
	/* Bad table accesses (misaligned, byte-sized) are dropped, not forwarded. */
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 2, 4, 0xffffffff);
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 8, 1, 0xff);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + TABLE + 1, 1), 0);
	ck_assert_uint_eq(R.v->msix.table[0].addr_lo, 0xfee00000);
	ck_assert_uint_eq(R.v->msix.table[0].data, 0x4041);
	ck_assert_uint_eq(R.v->stats.mmio_exits, exits);
	ck_assert_uint_eq(R.v->stats.msix_table_writes, 7);
	ck_assert_uint_eq(R.v->stats.msix_accesses, 13);
	file_snapshot(table_after, BAR_OFF + TABLE, sizeof(table_after));
	ck_assert_msg(!memcmp(table_before, table_after, sizeof(table_before)),
		      "an MSI-X table access reached the device");
	/* Right after the table: the device again. */
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + TABLE + 0x40, 4),
			  bar_pattern(TABLE + 0x40));
	ck_assert_uint_eq(R.v->stats.mmio_exits, exits + 1);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + TABLE - 4, 4),
			  bar_pattern(TABLE - 4));
	ck_assert_uint_eq(R.v->stats.mmio_exits, exits + 2);

	/* PBA: read-only, emulated. */
	exits = R.v->stats.mmio_exits;
	io_bus_write(&R.vm->mmio, BAR_GPA + PBA, 8, ~0ULL);
	io_bus_write(&R.vm->mmio, BAR_GPA + PBA, 4, ~0ULL);
	ck_assert_uint_eq(file32(BAR_OFF + PBA), bar_pattern(PBA));
	ck_assert_uint_eq(file32(BAR_OFF + PBA + 4), bar_pattern(PBA + 4));
	ck_assert_uint_eq(R.v->msix.pba[0], 0);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + PBA, 8), 0);
	ck_assert_uint_eq(R.v->stats.mmio_exits, exits);
	ck_assert_uint_eq(R.v->stats.msix_table_writes, 7);
	ck_assert_uint_eq(R.v->stats.msix_accesses, 16);
	/* A masked vector's eventfd holding a signal shows as pending (the
	 * eventfd is the one vfio-pci got for vector 2 when MSI-X went on). */
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	ck_assert_int_eq(write(msix_efd(2), &(uint64_t){ 1 }, 8), 8);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + PBA, 8), 1U << 2);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + PBA, 4), 1U << 2);
	/* After the PBA: the device. */
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + PBA + 8, 4), bar_pattern(PBA + 8));
	ck_assert_uint_eq(R.v->stats.mmio_exits, exits + 1);

	/* No config access to the BAR ever reached the device either. */
	ck_assert_uint_eq(file32(PCI_BASE_ADDRESS_0), DEV_BAR0);
	ck_assert_uint_eq(file32(PCI_BASE_ADDRESS_0 + 4), DEV_BAR1);
}
END_TEST

START_TEST(bar_placement)
{
	uint64_t exits, unhandled;

	map_bar0(BAR_GPA);
	ck_assert(R.d->bar[0].mapped);

	/* Over guest RAM: refused, the old mapping is gone, nothing crashes. */
	exits = R.v->stats.mmio_exits;
	cfg_wr(PCI_BASE_ADDRESS_0, 4, 0x01000000);
	ck_assert_uint_eq(cfg_rd(PCI_BASE_ADDRESS_0, 4), 0x01000004);
	ck_assert(!R.d->bar[0].mapped);
	ck_assert_int_eq(R.vm->mmio.n, R.base_mmio);
	unhandled = R.vm->mmio.unhandled;
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, 0x01000100, 4), 0xffffffffffffffffULL);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + 0x100, 4), 0xffffffffffffffffULL);
	io_bus_write(&R.vm->mmio, 0x01000100, 4, 0);
	ck_assert_uint_eq(R.vm->mmio.unhandled, unhandled + 3);
	ck_assert_uint_eq(R.v->stats.mmio_exits, exits);
	ck_assert_uint_eq(file32(BAR_OFF + 0x100), bar_pattern(0x100));
	/* The last BAR-sized piece of RAM: refused; just above RAM: mapped. */
	cfg_wr(PCI_BASE_ADDRESS_0, 4, (uint32_t)(RAM_SIZE - BAR_SIZE / 2) & ~(uint32_t)(BAR_SIZE - 1));
	ck_assert(!R.d->bar[0].mapped);
	cfg_wr(PCI_BASE_ADDRESS_0, 4, (uint32_t)RAM_SIZE);
	ck_assert(R.d->bar[0].mapped);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, RAM_SIZE + 0x100, 4), bar_pattern(0x100));
	/* Over the ECAM window (another range on the bus): refused. */
	cfg_wr(PCI_BASE_ADDRESS_0, 4, (uint32_t)MEM_ECAM_START);
	ck_assert(!R.d->bar[0].mapped);
	ck_assert_int_eq(R.vm->mmio.n, R.base_mmio);
	/* 64-bit: above 4 GiB. */
	cfg_wr(PCI_BASE_ADDRESS_0, 4, 0);
	cfg_wr(PCI_BASE_ADDRESS_0 + 4, 4, 0x8);
	ck_assert(R.d->bar[0].mapped);
	ck_assert_uint_eq(R.d->bar[0].addr, 0x800000000ULL);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, 0x800000000ULL + 0x40, 4), bar_pattern(0x40));
	/* Back below 4 GiB and then memory decode off: unmapped. */
	cfg_wr(PCI_BASE_ADDRESS_0 + 4, 4, 0);
	cfg_wr(PCI_BASE_ADDRESS_0, 4, (uint32_t)BAR_GPA);
	ck_assert(R.d->bar[0].mapped);
	ck_assert_uint_eq(R.d->bar[0].addr, BAR_GPA);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	ck_assert_uint_eq(file16(PCI_COMMAND), PCI_COMMAND_MASTER);
	ck_assert(!R.d->bar[0].mapped);
	ck_assert_int_eq(R.vm->mmio.n, R.base_mmio);
	exits = R.v->stats.mmio_exits;
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + 0x100, 4), 0xffffffffffffffffULL);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + TABLE, 4), 0xffffffffffffffffULL);
	ck_assert_uint_eq(R.v->stats.mmio_exits, exits);
	ck_assert_uint_eq(R.v->stats.msix_accesses, 0);
	/* Sizing while decode is off maps nothing; on again: back. */
	cfg_wr(PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	cfg_wr(PCI_BASE_ADDRESS_0, 4, (uint32_t)BAR_GPA);
	ck_assert(!R.d->bar[0].mapped);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert(R.d->bar[0].mapped);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + 0x100, 4), bar_pattern(0x100));
	/* Decode off through a dword write at 0x04 as well. */
	cfg_wr(PCI_COMMAND, 4, 0);
	ck_assert(!R.d->bar[0].mapped);
	ck_assert_int_eq(R.vm->mmio.n, R.base_mmio);
	/* Removing every device on exit is harmless when nothing is mapped. */
	pci_bus_destroy(&R.bus);
	R.v = NULL;
	ck_assert_ptr_null(R.bus.slot[1]);
	ck_assert_int_eq(R.vm->mmio.n, R.base_mmio);
}
END_TEST

/* ---- 8. MSI-X vectors through VFIO and KVM ---- */

/* What guest table and capability writes make reach VFIO and KVM: nothing
 * while MSI-X is off, one SET_IRQS with every vector's eventfd when it goes
 * on, nothing for writes that change nothing or are not MSI-X's, and
 * SET_IRQS with no vectors when it goes off. */
START_TEST(msix_vector_changed)
{
	unsigned calls;

	map_bar0(BAR_GPA);
	calls = irq_calls();
	/* Unmask vector 1 and give vector 2 an address: MSI-X is off. */
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 16 + 12, 4, 0);
	ck_assert(!(R.v->msix.table[1].ctrl & MSIX_VEC_MASKED));
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 16 + 12, 4, 0);
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 32, 8, 0xfee00000ULL);
	ck_assert_uint_eq(irq_calls(), calls);

	/* Enable MSI-X through config space: one SET_IRQS, NVEC eventfds. */
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE);
	ck_assert(msix_enabled(&R.v->msix));
	expect_set(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, NVEC);
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_MSIX_IRQ_INDEX, 0), 1);
	ck_assert(!msix_masked(&R.v->msix, 1));
	ck_assert(msix_masked(&R.v->msix, 0));
	/* Vector 1 is unmasked but has no valid address; 2 is masked: none
	 * is live. */
	ck_assert_uint_eq(fake_kvm.n_irqfds, 0);
	/* Function mask on (a byte write to the upper control byte): MSI-X
	 * stays on, no second SET_IRQS. */
	cfg_wr(CAP_MSIX + 3, 1, (MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK) >> 8);
	ck_assert(msix_masked(&R.v->msix, 1));
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_MSIX_IRQ_INDEX, 0), 1);
	/* Config writes elsewhere and bad table accesses: nothing. */
	calls = irq_calls();
	cfg_wr(CAP_MSIX + 4, 4, 0);
	cfg_wr(CAP_PM + 4, 2, 0);
	cfg_wr(PCI_INTERRUPT_LINE, 1, 5);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 16 + 13, 1, 1);
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 0x40, 4, 0);   /* past it: device */
	ck_assert_uint_eq(irq_calls(), calls);
	/* Disable: SET_IRQS with no vectors; the device's capability never
	 * changed. */
	cfg_wr(CAP_MSIX + 2, 2, 0);
	ck_assert(!msix_enabled(&R.v->msix));
	expect_set(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0);
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_MSIX_IRQ_INDEX, 0), 2);
	ck_assert_uint_eq(file16(CAP_MSIX + 2), NVEC - 1);
	ck_assert_uint_eq(R.v->stats.msix_table_writes, 4);
}
END_TEST

/* A vector is live in KVM (routed to its address/data, irqfd attached)
 * exactly while MSI-X is on, the vector and function unmasked and its
 * address valid. */
START_TEST(msix_routes)
{
	int fd[NVEC];
	uint32_t g1, g2;
	unsigned i;

	map_bar0(BAR_GPA);
	table_wr(1, 0xfee00000, 0x4041, 0);
	table_wr(2, 0xfee01000, 0x4043, MSIX_VEC_MASKED);
	table_wr(3, 0x12345000, 0x0001, 0);             /* not an MSI address */
	ck_assert_uint_eq(fake_kvm.n_irqfds, 0);
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE);
	for (i = 0; i < NVEC; i++) {
		fd[i] = msix_efd(i);
		ck_assert_int_ge(fd[i], 0);
	}
	g1 = expect_live(fd[1], 0xfee00000, 0x4041);
	expect_detached(fd[0]);
	expect_detached(fd[2]);
	expect_detached(fd[3]);
	ck_assert_ptr_null(fake_kvm_msi_route(fake_kvm_irqfd_of(fd[1])->gsi + 100));
	ck_assert_uint_eq(fake_kvm.n_irqfds, 1);
	/* New data for a live vector: the route follows, the irqfd stays. */
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 16 + 8, 4, 0x4042);
	ck_assert_uint_eq(expect_live(fd[1], 0xfee00000, 0x4042), g1);
	/* Unmasking vector 2: live on a GSI of its own. */
	unmask(2, true);
	g2 = expect_live(fd[2], 0xfee01000, 0x4043);
	ck_assert_uint_ne(g2, g1);
	/* Masking vector 1: its irqfd is detached, vector 2 stays. */
	unmask(1, false);
	expect_deassigned(fd[1], g1);
	expect_detached(fd[1]);
	expect_live(fd[2], 0xfee01000, 0x4043);
	unmask(1, true);
	ck_assert_uint_eq(expect_live(fd[1], 0xfee00000, 0x4042), g1);
	/* A live vector given an address outside the window: detached. */
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 16, 8, 0x80000000ULL);
	expect_detached(fd[1]);
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 16, 8, 0xfee00000ULL);
	expect_live(fd[1], 0xfee00000, 0x4042);
	/* Function mask: nothing live; off again: both back. */
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	ck_assert_uint_eq(fake_kvm.n_irqfds, 0);
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE);
	expect_live(fd[1], 0xfee00000, 0x4042);
	expect_live(fd[2], 0xfee01000, 0x4043);
	ck_assert_uint_eq(fake_kvm.n_irqfds, 2);
	/* MSI-X off: SET_IRQS with no vectors, nothing left in KVM. */
	cfg_wr(CAP_MSIX + 2, 2, 0);
	expect_set(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0);
	ck_assert_uint_eq(fake_kvm.n_irqfds, 0);
	/* On again: live again; teardown detaches (checked there). */
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE);
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_MSIX_IRQ_INDEX, 0), 3);
	expect_live(msix_efd(1), 0xfee00000, 0x4042);
}
END_TEST

/* Signals of a masked vector wait in its eventfd: a PBA read shows them as
 * pending; unmasking relays the pending one (once) and clears the bit. */
START_TEST(msix_pending_relay)
{
	uint64_t cnt;
	int fd0, fd2;

	map_bar0(BAR_GPA);
	table_wr(2, 0xfee01000, 0x4043, MSIX_VEC_MASKED);
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE);
	fd0 = msix_efd(0);
	fd2 = msix_efd(2);
	ck_assert_uint_eq(pba_rd(), 0);
	ck_assert_int_eq(write(fd2, &(uint64_t){ 1 }, 8), 8);
	ck_assert_int_eq(write(fd0, &(uint64_t){ 1 }, 8), 8);
	ck_assert_uint_eq(pba_rd(), 1U << 2 | 1U << 0);
	ck_assert_uint_eq(io_bus_read(&R.vm->mmio, BAR_GPA + PBA, 4), 1U << 2 | 1U << 0);
	ck_assert_int_eq(read(fd2, &cnt, 8), -1);       /* moved into the PBA */
	ck_assert_uint_eq(R.v->stats.relayed_irqs, 0);
	/* Unmask vector 2: live, and the pending signal goes to its eventfd
	 * (which KVM now consumes) once. */
	unmask(2, true);
	expect_live(fd2, 0xfee01000, 0x4043);
	ck_assert_uint_eq(R.v->stats.relayed_irqs, 1);
	ck_assert_uint_eq(pba_rd(), 1U << 0);
	ck_assert_int_eq(read(fd2, &cnt, 8), 8);
	ck_assert_uint_eq(cnt, 1);
	/* A live vector's signals are KVM's: a PBA read leaves them. */
	ck_assert_int_eq(write(fd2, &(uint64_t){ 1 }, 8), 8);
	ck_assert_uint_eq(pba_rd(), 1U << 0);
	ck_assert_int_eq(read(fd2, &cnt, 8), 8);
	/* Vector 0 unmasked without a valid address: not live, nothing
	 * relayed, still pending. */
	unmask(0, true);
	expect_detached(fd0);
	ck_assert_uint_eq(R.v->stats.relayed_irqs, 1);
	ck_assert_uint_eq(pba_rd(), 1U << 0);
}
END_TEST

/* The MSI capability through the config view: emulated in full, never
 * written to the device; enabling it gives vfio-pci its vector's eventfd
 * and makes it live in KVM when its address is valid; bytes after it are
 * the device's again. */
START_TEST(msi_capability)
{
	uint8_t dev_before[14], dev_after[14];
	unsigned calls;

	file_snapshot(dev_before, CAP_MSI, sizeof(dev_before));
	/* Address and data first, then enable, as Linux does. */
	calls = irq_calls();
	cfg_wr(CAP_MSI + 4, 4, 0xfee0300b);
	cfg_wr(CAP_MSI + 8, 4, 0x00000002);
	cfg_wr(CAP_MSI + 12, 2, 0x4041);
	ck_assert_uint_eq(R.v->stats.msi_updates, 3);
	ck_assert(!msi_enabled(&R.v->msi));
	ck_assert_uint_eq(irq_calls(), calls);          /* off: nothing */
	cfg_wr(CAP_MSI + 2, 2, 0xffff);
	ck_assert_uint_eq(R.v->stats.msi_updates, 4);
	ck_assert(msi_enabled(&R.v->msi));
	ck_assert_uint_eq(cfg_rd(CAP_MSI + 2, 2), 0x00f1);      /* 64-bit, MME, enable */
	ck_assert_uint_eq(msi_vectors(&R.v->msi), 1);           /* MMC 0: one vector */
	ck_assert_uint_eq(msi_address(&R.v->msi), 0x2fee03008ULL);
	ck_assert_uint_eq(msi_data(&R.v->msi, 0), 0x4041);
	ck_assert_uint_eq(cfg_rd(CAP_MSI, 4), 0x00f17005);
	ck_assert_uint_eq(cfg_rd(CAP_MSI + 4, 4), 0xfee03008);
	/* vfio-pci has the vector; its address is above 4 GiB, not an MSI
	 * address: not live. */
	expect_set(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 1);
	ck_assert_uint_eq(fake_kvm.n_irqfds, 0);
	/* A dword over the data: two bytes are the view's, two the device's. */
	cfg_wr(CAP_MSI + 12, 4, 0xdeadbeef);
	ck_assert_uint_ge(R.v->stats.msi_updates, 5);   /* a mixed write goes byte by byte */
	ck_assert_uint_eq(msi_data(&R.v->msi, 0), 0xbeef);
	ck_assert_uint_eq(file16(CAP_MSI + 14), 0xdead);
	ck_assert_uint_eq(cfg_rd(CAP_MSI + 12, 4), 0xdeadbeef);
	/* The upper address dword cleared: live, routed to the address. */
	cfg_wr(CAP_MSI + 8, 4, 0);
	expect_live(fake_vfio_last_set(VFIO_PCI_MSI_IRQ_INDEX, 0)->fd[0], 0xfee03008, 0xbeef);
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_MSI_IRQ_INDEX, 0), 1);
	/* The capability's 14 bytes stayed off the device. */
	file_snapshot(dev_after, CAP_MSI, sizeof(dev_after));
	ck_assert(!memcmp(dev_after, dev_before, sizeof(dev_after)));
	/* Id and next pointer are read-only; writes elsewhere are not MSI's. */
	cfg_wr(CAP_MSI, 2, 0xffff);
	ck_assert_uint_eq(cfg_rd(CAP_MSI, 2), 0x7005);
	calls = R.v->stats.msi_updates;
	cfg_wr(CAP_MSIX + 2, 2, 0);
	cfg_wr(CAP_PM + 4, 2, 0);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	ck_assert_uint_eq(R.v->stats.msi_updates, calls);
	cfg_wr(CAP_MSI + 2, 1, 0);
	ck_assert_uint_eq(R.v->stats.msi_updates, calls + 1);
	ck_assert(!msi_enabled(&R.v->msi));
	/* Off: SET_IRQS with no vectors, nothing live. */
	expect_set(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0);
	ck_assert_uint_eq(fake_kvm.n_irqfds, 0);
	/* No per-vector masking here: the pending register does not exist. */
	ck_assert(!msi_reads_pending(&R.v->msi, CAP_MSI + 16, 4));
}
END_TEST

/* MSI and MSI-X are never on together: whichever the guest enables second
 * is ignored, and nothing of it reaches VFIO or KVM. */
START_TEST(msi_msix_exclusive)
{
	int efd;

	map_bar0(BAR_GPA);
	table_wr(0, 0xfee00000, 0x4050, 0);
	cfg_wr(CAP_MSI + 4, 4, 0xfee02000);
	cfg_wr(CAP_MSI + 12, 2, 0x4051);
	cfg_wr(CAP_MSI + 2, 2, MSI_CTRL_ENABLE);
	efd = expect_set(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 1)->fd[0];
	expect_live(efd, 0xfee02000, 0x4051);
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE);
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_MSIX_IRQ_INDEX, 0), 0);
	ck_assert_uint_eq(fake_kvm.n_irqfds, 1);
	expect_live(efd, 0xfee02000, 0x4051);
	cfg_wr(CAP_MSIX + 2, 2, 0);
	/* MSI off, then MSI-X on: now it is MSI-X's turn. */
	cfg_wr(CAP_MSI + 2, 2, 0);
	expect_set(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0);
	expect_detached(efd);
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE);
	expect_live(msix_efd(0), 0xfee00000, 0x4050);
	cfg_wr(CAP_MSI + 2, 2, MSI_CTRL_ENABLE);
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER), 2);
	ck_assert_uint_eq(fake_kvm.n_irqfds, 1);
}
END_TEST

/* INTx is live exactly while MSI and MSI-X are off. */
START_TEST(intx_follows_msi)
{
	const struct fake_kvm_irqfd *f;
	int efd, resample;

	expect_intx_on();
	f = intx_irqfd();
	efd = f->efd;
	resample = f->resamplefd;
	map_bar0(BAR_GPA);
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE);
	expect_intx_off();
	expect_deassigned(efd, pci_intx_gsi(1, 0));
	cfg_wr(CAP_MSIX + 2, 2, 0);
	expect_intx_on();
	ck_assert_int_eq(intx_irqfd()->efd, efd);
	ck_assert_int_eq(intx_irqfd()->resamplefd, resample);
	cfg_wr(CAP_MSI + 4, 4, 0xfee02000);
	cfg_wr(CAP_MSI + 2, 2, MSI_CTRL_ENABLE);
	expect_intx_off();
	cfg_wr(CAP_MSI + 2, 2, 0);
	expect_intx_on();
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER), 5);
}
END_TEST

/* KVM refusing a route or an irqfd leaves the vector waiting (not live,
 * its signals pending), and the next change makes it live. */
START_TEST(kvm_refusals)
{
	uint64_t relayed, cnt;
	int fd1, efd;

	expect_intx_on();
	map_bar0(BAR_GPA);
	table_wr(1, 0xfee00000, 0x4041, 0);
	/* Every KVM call refused: MSI-X goes on in vfio-pci all the same. */
	fake_kvm_fail(~0U, ENOSPC);
	cfg_wr(CAP_MSIX + 2, 2, MSIX_CTRL_ENABLE);
	fd1 = msix_efd(1);
	expect_intx_off();
	ck_assert_uint_gt(fake_kvm.injected, 0);
	ck_assert_uint_eq(fake_kvm.n_irqfds, 0);
	ck_assert_int_eq(write(fd1, &(uint64_t){ 1 }, 8), 8);
	ck_assert_uint_eq(pba_rd(), 1U << 1);
	/* KVM takes the route but refuses the irqfd (the second call): not
	 * live, and the pending signal is not lost (it shows again). */
	fake_kvm_fail(1U << 1, EINVAL);
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 16 + 8, 4, 0x4042);
	ck_assert_msg(fake_kvm.injected == 1, "injected %u of %u", fake_kvm.injected,
		      fake_kvm.failable_calls);
	ck_assert_ptr_nonnull(fake_kvm_msi_route(fake_kvm.route[fake_kvm.n_routes - 1].gsi));
	expect_detached(fd1);
	ck_assert_uint_eq(pba_rd(), 1U << 1);
	/* KVM fine again: the next change makes it live and relays. */
	fake_kvm_fail(0, 0);
	relayed = R.v->stats.relayed_irqs;
	io_bus_write(&R.vm->mmio, BAR_GPA + TABLE + 16 + 8, 4, 0x4043);
	expect_live(fd1, 0xfee00000, 0x4043);
	ck_assert_uint_eq(R.v->stats.relayed_irqs, relayed + 1);
	ck_assert_uint_eq(pba_rd(), 0);
	ck_assert_int_eq(read(fd1, &cnt, 8), 8);
	/* MSI-X off with KVM refusing the INTx irqfd: INTx stays off in
	 * vfio-pci too. */
	fake_kvm_fail(~0U, EFAULT);
	cfg_wr(CAP_MSIX + 2, 2, 0);
	ck_assert_ptr_null(intx_irqfd());
	ck_assert_uint_eq(fake_vfio_sets(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER), 2);
	expect_set(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0);
	/* MSI with KVM refusing: vfio-pci has the vector, KVM nothing. */
	cfg_wr(CAP_MSI + 4, 4, 0xfee02000);
	cfg_wr(CAP_MSI + 2, 2, MSI_CTRL_ENABLE);
	efd = expect_set(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 1)->fd[0];
	expect_detached(efd);
	fake_kvm_fail(0, 0);
	cfg_wr(CAP_MSI + 12, 2, 0x4051);
	expect_live(efd, 0xfee02000, 0x4051);
}
END_TEST

/* msix=off: the MSI-X capability is left out of the guest's list (MSI
 * stays), nothing of it is emulated or trapped, and the BAR is plain. */
START_TEST(attach_no_msix)
{
	uint8_t cfg[4096];
	char err[256] = "";
	unsigned p, n = 0, seen[8], steps = 0;

	build_config(cfg);
	R.flags = VFIO_PCI_NO_MSIX;
	ck_assert_msg(attach(cfg, 4096, 0, err, sizeof(err)) == 0, "attach: %s", err);
	R.flags = 0;
	R.d = &R.v->pci;
	for (p = cfg_rd(PCI_CAPABILITY_LIST, 1) & ~3U; p && steps < 48; steps++) {
		ck_assert_uint_lt(n, 8);
		seen[n++] = p;
		p = cfg_rd(p + 1, 1) & ~3U;
	}
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(seen[0], CAP_PM);
	ck_assert_uint_eq(seen[1], CAP_MSI);
	ck_assert_uint_eq(seen[2], CAP_EXP);
	ck_assert_uint_eq(cfg_rd(CAP_MSI + 1, 1), CAP_EXP);
	ck_assert_uint_eq(file8(CAP_MSI + 1), CAP_MSIX);        /* device untouched */
	ck_assert_uint_eq(R.v->msix.n, 0);
	ck_assert_int_eq(R.v->msix_bar, -1);
	ck_assert_ptr_eq(R.v->msi.dev, R.d);
	ck_assert(!R.v->emu[CAP_MSIX + 2]);
}
END_TEST

/* A device that vanished reads all-ones: reported once, the guest stopped. */
START_TEST(device_gone)
{
	int saved = dup(2), devnull = open("/dev/null", O_WRONLY);

	atomic_store(&R.vm->exit_code, -1);
	ck_assert_uint_eq(cfg_rd(PCI_VENDOR_ID, 2), 0x8086);
	ck_assert(!R.v->gone);
	set_file32(PCI_VENDOR_ID, 0xffffffff);
	dup2(devnull, 2);               /* the expected error is not test output */
	ck_assert_uint_eq(cfg_rd(PCI_VENDOR_ID, 4), 0xffffffff);
	ck_assert_uint_eq(cfg_rd(PCI_VENDOR_ID, 2), 0xffff);
	dup2(saved, 2);
	close(saved);
	close(devnull);
	ck_assert(R.v->gone);
	ck_assert_int_eq(atomic_load(&R.vm->exit_code), EXIT_ERROR);
	/* Other all-ones reads are the device's business. */
	set_file32(PCI_VENDOR_ID, 0x15338086);
	R.v->gone = false;
	atomic_store(&R.vm->exit_code, -1);
	set_file32(CAP_EXP + 4, 0xffffffff);
	ck_assert_uint_eq(cfg_rd(CAP_EXP + 4, 4), 0xffffffff);
	ck_assert(!R.v->gone);
	ck_assert_int_eq(atomic_load(&R.vm->exit_code), -1);
}
END_TEST

/* Refusals by vfio_pci_attach leave nothing behind: no slot on the bus,
 * no range on the MMIO bus, the device fd closed. */
static void attach_fails(uint8_t *cfg, const char *why)
{
	char err[256] = "";
	int fd, mmio_n = R.vm->mmio.n;

	ck_assert_int_eq(attach(cfg, 4096, 0, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, why), "error \"%s\" does not say \"%s\"", err, why);
	fd = fake_vfio.fd;
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);       /* closed by detach */
	ck_assert_ptr_null(R.v);
	ck_assert_ptr_null(R.bus.slot[1]);
	ck_assert_int_eq(R.vm->mmio.n, mmio_n);
	fake_vfio.fd = -1;
	close(R.fd);
	R.fd = -1;
}

START_TEST(attach_refusals)
{
	uint8_t cfg[4096];

	build_config(cfg);
	put32(cfg, CAP_MSIX + 8, (uint32_t)PBA | 2);    /* PBA in BAR2 */
	attach_fails(cfg, "different BARs");
	build_config(cfg);
	put32(cfg, CAP_MSIX + 4, (uint32_t)TABLE | 6);  /* BIR 6: reserved */
	put32(cfg, CAP_MSIX + 8, (uint32_t)PBA | 6);
	attach_fails(cfg, "different BARs");
	build_config(cfg);
	cfg[PCI_HEADER_TYPE] = 0x01;
	attach_fails(cfg, "bridge");
	ck_assert_uint_eq(fake_ioctl.strays, 0);
}
END_TEST

/* Hot-added into a running guest's bus: into the slot asked for, its BARs
 * in free room of their windows (around a device the guest has placed),
 * INTx on the new slot's pin, decoding off until the guest turns it on; a
 * taken slot is refused leaving nothing behind. */
START_TEST(hot_attach_into_slot)
{
	struct fake_vfio_desc desc;
	struct pci_device other;
	uint8_t cfg[4096];
	char err[256] = "";
	int i;

	R.intx = 1;
	desc = describe(4096, 0, R.intx);
	build_config(cfg);
	pci_device_init(&other, "other", 0x8086, 0x1234, 0x020000, 0);
	pci_device_set_bar(&other, 0, 1 << 20, PCI_BASE_ADDRESS_SPACE_MEMORY, NULL, NULL, NULL);
	pci_bar_write(&other, 0, MEM_PCI32_START);              /* where the guest put it */
	ck_assert_int_eq(pci_bus_plug_at(&R.bus, &other, 3), 3);

	R.fd = make_file(cfg);
	fake_vfio_reset(&desc, R.fd);
	ck_assert_ptr_null(vfio_pci_attach(R.vm, &R.bus, &fake_vfio_backend, &fake_vfio_ref,
					   0, 3, err, sizeof(err)));
	ck_assert_msg(strstr(err, "PCI slot 3 is taken"), "error: %s", err);
	ck_assert_ptr_eq(R.bus.slot[3], &other);
	ck_assert_uint_eq(fake_kvm.n_irqfds, 0);                /* nothing left */
	close(R.fd);

	R.fd = make_file(cfg);
	fake_vfio_reset(&desc, R.fd);
	R.v = vfio_pci_attach(R.vm, &R.bus, &fake_vfio_backend, &fake_vfio_ref, 0, 5,
			      err, sizeof(err));
	ck_assert_msg(R.v != NULL, "hot attach: %s", err);
	ck_assert_int_eq(R.v->pci.slot, 5);
	ck_assert_ptr_eq(R.bus.slot[5], &R.v->pci);
	ck_assert_uint_eq(R.v->intx_gsi, pci_intx_gsi(5, 0));
	for (i = 0; i < PCI_NUM_BARS; i++) {
		uint64_t a = pci_bar_address(&R.v->pci, i);

		if (!R.v->pci.bar[i].size)
			continue;
		ck_assert_uint_ne(a, 0);
		ck_assert(!R.v->pci.bar[i].mapped);             /* decode is off */
		if (!R.v->pci.bar[i].io && !R.v->pci.bar[i].is64)
			ck_assert(a >= MEM_PCI32_START + (1 << 20));    /* not over other */
	}
	pci_bus_unplug(&R.bus, &other);
}
END_TEST

Suite *vfio_suite(void)
{
	Suite *s = suite_create("vfio");
	TCase *tc = tcase_create("config");
	TCase *tr = tcase_create("rom");
	TCase *ts = tcase_create("small_config");
	TCase *tb = tcase_create("bars");
	TCase *ti = tcase_create("init");
	TCase *tx = tcase_create("interrupts");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, init_view);
	tcase_add_test(tc, bar_sizing);
	tcase_add_test(tc, command_register);
	tcase_add_test(tc, passthrough_bytes);
	tcase_add_test(tc, msix_capability);
	tcase_add_test(tc, msi_capability);
	tcase_add_test(tc, device_gone);
	tcase_add_test(tc, hostile_accesses);
	tcase_add_test(tc, mixed_int_line_dword);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tr, setup_rom, teardown);
	tcase_add_test(tr, rom_sizing);
	tcase_add_test(tr, rom_data_path);
	suite_add_tcase(s, tr);

	tcase_add_checked_fixture(ts, setup_small_cfg, teardown);
	tcase_add_test(ts, hostile_beyond_cfg_size);
	suite_add_tcase(s, ts);

	tcase_add_checked_fixture(tb, setup, teardown);
	tcase_add_test(tb, bar_data_path);
	tcase_add_test(tb, bar_placement);
	tcase_add_test(tb, msix_vector_changed);
	tcase_add_test(tb, msix_routes);
	tcase_add_test(tb, msix_pending_relay);
	tcase_add_test(tb, msi_msix_exclusive);
	suite_add_tcase(s, tb);

	tcase_add_checked_fixture(tx, setup_intx, teardown);
	tcase_add_test(tx, intx_follows_msi);
	tcase_add_test(tx, kvm_refusals);
	suite_add_tcase(s, tx);

	tcase_add_checked_fixture(ti, vm_up, teardown);
	tcase_add_test(ti, init_variants);
	tcase_add_test(ti, attach_refusals);
	tcase_add_test(ti, attach_no_msix);
	tcase_add_test(ti, hot_attach_into_slot);
	suite_add_tcase(s, ti);
	return s;
}
