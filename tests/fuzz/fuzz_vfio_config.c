/* Fuzzer for a passed-through device as the guest sees it: the virtualized
 * config space (vfio/pci_config.c) on top of the device's own, plus what
 * config writes drive (BAR and ROM mapping in vfio/bar.c, MSI-X and MSI in
 * vfio/interrupts.c, devices/msix.c and devices/msi.c) and the MSI-X table
 * and PBA trapped in a BAR.
 *
 * As in tests/unit/test_vfio.c the fakes of tests/support/ stand in for the
 * kernel: a memfd is the vfio device fd (config space at 0, BAR i's region
 * at (i + 1) * 64 KiB, the ROM at 7 * 64 KiB), handed out by the fake IOMMU
 * backend, and the fake vfio device answers the VFIO queries with what the
 * input says (config size, BAR sizes and mmap flags, ROM, INTx/MSI/MSI-X
 * vector counts) and checks every SET_IRQS; the struct vm's vm fd is the
 * fake KVM vm fd, which fails the KVM calls the input picks (a failure
 * mask and an errno) and keeps what KVM would hold. Any other ioctl is a
 * bug. The device's first 256 config bytes come from the input, the device
 * is plugged by the real vfio_pci_attach(), and the rest of the input is
 * guest accesses: config reads and writes of every size and offset
 * (directly and through mechanism #1 / ECAM), BAR accesses (the MSI-X table
 * and PBA among them), ROM reads, and device interrupts.
 *
 * Input: how (bit 0: 256-byte config space, 1: ROM, 2: msix=off, 3: INTx),
 * 6 BAR bytes, the KVM failure mask (u32: the n-th failable KVM call fails
 * when bit n % 32 is set) and its errno (u8), 256 config bytes, then steps.
 *
 * Checked after every step: bytes served from the view never reach the
 * device, reads of bytes that are not emulated return the device's, the
 * view's BARs never show the device's, MSI and MSI-X are never on together
 * and INTx is off while either is (in conduit's state, and in vfio-pci's,
 * which refuses a second index), every irqfd KVM holds for an MSI vector
 * has a route; after detach, nothing is left in vfio-pci or KVM and no
 * descriptor leaked. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "../../vfio/vfio_pci.h"
#include "../../vmm/log.h"
#include "../../vmm/vm.h"
#include "../support/fake_ioctl.h"
#include "../support/fake_kvm.h"
#include "../support/fake_vfio.h"

#define REGION(i)  (0x10000ULL * ((i) + 1))
#define ROM_OFF    REGION(6)
#define FILE_SIZE  REGION(7)
#define ROM_SIZE   0x4000ULL

static int memfd = -1;
static uint32_t fail_mask;      /* the input's KVM failure plan */
static int fail_errno;
static struct vm vm;
static struct pci_bus bus;

static void misuse(const char *what)
{
	fprintf(stderr, "invariant broken: %s\n", what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t *buf = malloc(FILE_SIZE);
	uint64_t i;

	log_verbosity = LOG_ERROR;
	fake_vfio.misuse = misuse;
	fake_kvm.misuse = misuse;
	fake_ioctl_reset(1);            /* an ioctl on anything else: a stray */
	if (fake_kvm_open() < 0)
		abort();
	memfd = memfd_create("fuzz-vfio", 0);
	if (memfd < 0 || !buf)
		abort();
	for (i = 0; i < FILE_SIZE; i++)
		buf[i] = (uint8_t)(i * 13 + (i >> 8));
	if (pwrite(memfd, buf, FILE_SIZE, 0) != (ssize_t)FILE_SIZE)
		abort();
	free(buf);
	return 0;
}

static void vm_up(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.kvm_fd = vm.stop_efd = -1;
	vm.vm_fd = fake_kvm.fd;
	vm.pio.name = "pio";
	vm.mmio.name = "mmio";
	/* Before the failure plan: a VMM that cannot set up its routing
	 * table does not get as far as plugging devices. */
	if (irq_router_init(&vm.irq, fake_kvm.fd))
		abort();
	memslots_init(&vm.slots, 0);
	if (memmap_layout(&vm.mem, 256ULL << 20) ||
	    pci_bus_init(&bus, &vm.pio, &vm.mmio, MEM_ECAM_START, MEM_PCI32_START,
			 MEM_PCI32_SIZE, vm.mem.pci64_base, vm.mem.pci64_size))
		abort();
	/* As the machine does: no BAR decodes over guest RAM. */
	pci_bus_reserve(&bus, vm.mem.ram[0].gpa, vm.mem.ram[0].size);
}

/* The device as the input describes it, and the KVM calls that fail. */
static void describe(struct fuzz_in *in, unsigned *flags)
{
	static const int errs[] = { EINVAL, ENOSPC, EFAULT, ENOMEM };
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	struct fake_vfio_desc d = { .flags = VFIO_DEVICE_FLAGS_RESET };
	uint8_t cfg[4096] = { 0 }, how = fuzz_u8(in);
	const uint8_t *p;
	size_t len;
	int i;

	*flags = how & 4 ? VFIO_PCI_NO_MSIX : 0;
	for (i = 0; i < PCI_NUM_BARS; i++) {
		uint8_t b = fuzz_u8(in);

		/* 0: none; otherwise a power of two up to 64 KiB, rarely not. */
		d.region[i].size = !b ? 0 : b == 0xff ? 0x3000 : 1ULL << (b % 17);
		d.region[i].offset = REGION(i);
		d.region[i].flags = rw | (b & 0x20 ? VFIO_REGION_INFO_FLAG_MMAP : 0);
	}
	d.region[VFIO_PCI_ROM_REGION_INDEX] =
		(struct fake_vfio_region){ ROM_OFF, how & 2 ? ROM_SIZE : 0, rw };
	d.region[VFIO_PCI_CONFIG_REGION_INDEX] =
		(struct fake_vfio_region){ 0, how & 1 ? 256 : 4096, rw };
	d.region[VFIO_PCI_VGA_REGION_INDEX].flags = rw;
	d.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = how >> 3 & 1;
	d.irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 32;
	d.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = MSIX_MAX_VECTORS;
	fake_vfio_reset(&d, memfd);
	fail_mask = fuzz_u32(in);
	fail_errno = errs[fuzz_u8(in) % 4];
	p = fuzz_take(in, 256, &len);
	memcpy(cfg, p, len);
	if (pwrite(memfd, cfg, sizeof(cfg), 0) != (ssize_t)sizeof(cfg))
		abort();
}

static uint32_t file_cfg(unsigned off, unsigned size)
{
	uint32_t v = 0;

	if (pread(memfd, &v, size, off) != (ssize_t)size)
		abort();
	return v;
}

static bool none_emulated(const struct vfio_pci *v, unsigned off, unsigned size)
{
	unsigned i;

	for (i = 0; i < size; i++)
		if (v->emu[off + i])
			return false;
	return true;
}

static void check_read(struct vfio_pci *v, unsigned off, unsigned size, uint32_t got)
{
	bool valid = (size == 1 || size == 2 || size == 4) && off % size == 0 &&
		     off < v->cfg_size && off + size <= PCI_CFG_SIZE;

	if (!valid) {
		FUZZ_ASSERT(got == ~0U);
		return;
	}
	if (none_emulated(v, off, size))
		FUZZ_ASSERT(got == file_cfg(off, size));
	if (off >= PCI_BASE_ADDRESS_0 && off < PCI_BASE_ADDRESS_0 + 24)
		FUZZ_ASSERT(!memcmp(&got, v->pci.cfg + off, size));
}

static uint16_t emulated[PCI_CFG_SIZE];        /* offsets with emu[] set */
static unsigned n_emulated;

static void list_emulated(const struct vfio_pci *v)
{
	unsigned i;

	n_emulated = 0;
	for (i = 0; i < PCI_CFG_SIZE; i++)
		if (v->emu[i])
			emulated[n_emulated++] = (uint16_t)i;
}

/* A mapped BAR is where the guest put it, never over RAM; the ROM decodes
 * exactly when enabled with memory decode on. */
static void check_mappings(const struct vfio_pci *v)
{
	const struct pci_device *d = &v->pci;
	uint32_t rom;
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &d->bar[i];

		if (!b->size || !b->mapped)
			continue;
		FUZZ_ASSERT(b->addr == pci_bar_address(d, i) && !(b->addr & (b->size - 1)));
		FUZZ_ASSERT(b->io || !gpa_overlaps_ram(&vm.mem, b->addr, b->size));
	}
	memcpy(&rom, d->cfg + PCI_ROM_ADDRESS, 4);
	if (d->bar[PCI_ROM_BAR].mapped)
		FUZZ_ASSERT((rom & 1) && (d->cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY) &&
			    d->bar[PCI_ROM_BAR].addr == (rom & ~0x7ffU));
}

/* What KVM holds: an irqfd of an MSI or MSI-X vector has its route (KVM
 * keeps the last table committed, a refused commit changes nothing); the
 * INTx one (with a resample eventfd) is on an IOAPIC pin. Nothing but
 * the fakes was reached. */
static void check_kvm(void)
{
	unsigned i;

	for (i = 0; i < fake_kvm.n_irqfds; i++) {
		const struct fake_kvm_irqfd *f = &fake_kvm.irqfd[i];

		if (f->resamplefd >= 0)
			FUZZ_ASSERT(f->gsi < vm.irq.first_msi_gsi);
		else
			FUZZ_ASSERT(fake_kvm_msi_route(f->gsi));
	}
	FUZZ_ASSERT(fake_kvm.other_calls == 0 && fake_ioctl.strays == 0);
}

static void check(struct vfio_pci *v, const uint8_t *snap)
{
	uint8_t now[PCI_CFG_SIZE];
	unsigned i;

	if (pread(memfd, now, sizeof(now), 0) != (ssize_t)sizeof(now))
		abort();
	for (i = 0; i < n_emulated; i++)
		FUZZ_ASSERT(now[emulated[i]] == snap[emulated[i]]);
	FUZZ_ASSERT(!(v->pci.cfg[PCI_HEADER_TYPE] & 0x80));
	FUZZ_ASSERT(!(v->msix_on && v->msi_nvec));
	FUZZ_ASSERT(!v->intx_on || (!v->msix_on && !v->msi_nvec));
	FUZZ_ASSERT(v->msi_nvec <= v->msi.max && v->msi_nvec <= MSI_MAX_VECTORS);
	for (i = 0; i < v->msix.n; i++)
		FUZZ_ASSERT(!(v->msix.table[i].ctrl & ~MSIX_VEC_MASKED));
	check_mappings(v);
	check_kvm();
}

/* An offset into BAR i, mostly near the MSI-X structures when they are
 * there. */
static uint64_t bar_off(struct fuzz_in *in, const struct vfio_pci *v, int i)
{
	uint8_t sel = fuzz_u8(in);
	uint32_t off = fuzz_u32(in);
	uint64_t size = v->pci.bar[i].size ? v->pci.bar[i].size : 0x10000;

	if (i == v->msix_bar && sel < 0x60)
		off = (uint32_t)(v->msix_table + off % (v->msix_table_len + 16));
	else if (i == v->msix_bar && sel < 0xa0)
		off = (uint32_t)(v->msix_pba + off % (v->msix_pba_len + 16));
	return off % size;      /* io_bus only dispatches offsets inside the BAR */
}

/* The last SET_IRQS that gave vfio-pci eventfds for index, or NULL. */
static const struct fake_vfio_set *last_eventfds(uint32_t index)
{
	unsigned i = fake_vfio.n_sets < FAKE_VFIO_LOG ? fake_vfio.n_sets : FAKE_VFIO_LOG;

	while (i--)
		if (fake_vfio.set[i].index == index && fake_vfio.set[i].count &&
		    fake_vfio.set[i].action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return &fake_vfio.set[i];
	return NULL;
}

static void step(struct fuzz_in *in, struct vfio_pci *v)
{
	struct pci_device *d = &v->pci;
	uint8_t op = fuzz_u8(in), b = fuzz_u8(in);
	unsigned off, size;
	uint64_t a;
	int i;

	switch (op % 8) {
	case 0:
		off = fuzz_u16(in) % (PCI_CFG_SIZE + 4);
		size = b & 0x80 ? b % 9 : fuzz_pio_size(b);
		check_read(v, off, size, pci_guest_cfg_read(d, off, size));
		break;
	case 1:
		off = b & 0x80 ? fuzz_u16(in) % (PCI_CFG_SIZE + 4) : fuzz_u8(in) & 0xfc;
		size = b & 0x40 ? b % 9 : fuzz_pio_size(b);
		pci_guest_cfg_write(d, off, size, (uint32_t)fuzz_value(in, size));
		break;
	case 2:         /* mechanism #1 and ECAM, at 00:01.0 */
		off = fuzz_u16(in) & 0xfff;
		if (b & 1) {
			io_bus_write(&vm.pio, 0xcf8, 4, 0x80000800U | (off & 0xfc));
			if (b & 2)
				(void)io_bus_read(&vm.pio, 0xcfc + (off & 3), fuzz_pio_size(b >> 2));
			else
				io_bus_write(&vm.pio, 0xcfc + (off & 3), fuzz_pio_size(b >> 2),
					     fuzz_value(in, fuzz_pio_size(b >> 2)));
		} else if (b & 2) {
			(void)io_bus_read(&vm.mmio, MEM_ECAM_START + 0x8000 + off,
					  fuzz_mmio_size(b >> 2));
		} else {
			io_bus_write(&vm.mmio, MEM_ECAM_START + 0x8000 + off,
				     fuzz_mmio_size(b >> 2), fuzz_value(in, fuzz_mmio_size(b >> 2)));
		}
		break;
	case 3:         /* a trapped BAR access, as io_bus hands it over */
	case 4:
		i = b % PCI_NUM_BARS;
		if (!d->bar[i].size)
			break;
		a = bar_off(in, v, i);
		size = v->bar[i].io ? fuzz_pio_size(b >> 3) : fuzz_mmio_size(b >> 3);
		if (op % 8 == 3)
			(void)d->bar[i].read(d->bar[i].opaque, a, size);
		else
			d->bar[i].write(d->bar[i].opaque, a, size, fuzz_value(in, size));
		break;
	case 5:         /* through the bus, wherever the guest put things */
		a = (b & 1 ? d->bar[PCI_ROM_BAR].addr : pci_bar_address(d, b % PCI_NUM_BARS)) +
		    (fuzz_u16(in) & 0x3fff);
		size = b & 2 ? fuzz_pio_size(b >> 2) : fuzz_mmio_size(b >> 2);
		if (b & 0x80)
			(void)io_bus_read(b & 2 ? &vm.pio : &vm.mmio, a, size);
		else
			io_bus_write(b & 2 ? &vm.pio : &vm.mmio, a, size, 0);
		break;
	case 6: {       /* the device raises an interrupt, on an eventfd vfio-pci has */
		uint64_t one = 1;
		const struct fake_vfio_set *s = last_eventfds(b & 1 ? VFIO_PCI_MSIX_IRQ_INDEX :
							     VFIO_PCI_MSI_IRQ_INDEX);
		unsigned n = s ? (s->count < FAKE_VFIO_LOG_FDS ? s->count : FAKE_VFIO_LOG_FDS) : 0;
		uint16_t vec = fuzz_u16(in);

		if (n && write(s->fd[vec % n], &one, sizeof(one)) != sizeof(one))
			abort();
		break;
	}
	case 7:         /* firmware: decode on, BARs where pci_bus_add put them */
		pci_guest_cfg_write(d, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		pci_guest_cfg_write(d, PCI_ROM_ADDRESS, 4, (uint32_t)(0xc8000000U | (b & 1)));
		break;
	}
}

/* The lowest free descriptor: it moves when one leaks. */
static int probe_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t snap[PCI_CFG_SIZE];
	struct vfio_pci *v;
	char err[512] = "";
	unsigned flags, ops = 0;
	int fd0 = probe_fd();

	fake_kvm_reset();
	fake_ioctl_reset(1);
	describe(&in, &flags);
	vm_up();
	fake_kvm_fail(fail_mask, fail_errno);
	v = vfio_pci_attach(&vm, &bus, &fake_vfio_backend, &fake_vfio_ref, flags, -1, err,
			    sizeof(err));
	if (!v) {
		FUZZ_ASSERT(err[0] && !bus.slot[1]);
		goto out;
	}
	FUZZ_ASSERT(bus.slot[1] == &v->pci);
	if (pread(memfd, snap, sizeof(snap), 0) != (ssize_t)sizeof(snap))
		abort();
	list_emulated(v);
	check(v, snap);
	while (fuzz_more(&in) && ops++ < 256) {
		step(&in, v);
		check(v, snap);
	}
	pci_bus_remove(&bus, &v->pci);  /* and its teardown */
out:
	pthread_mutex_destroy(&vm.irq.lock);
	FUZZ_ASSERT(probe_fd() == fd0);
	/* Nothing of the device is left in vfio-pci or KVM. */
	FUZZ_ASSERT(fake_vfio.active < 0);
	FUZZ_ASSERT(fake_kvm.n_irqfds == 0 && fake_kvm_slots() == 0);
	check_kvm();
	return 0;
}
