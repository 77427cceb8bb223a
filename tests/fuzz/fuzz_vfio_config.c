/* Fuzzer for a passed-through device as the guest sees it: the virtualized
 * config space (vfio/pci_config.c) on top of the device's own, plus what
 * config writes drive (BAR and ROM mapping in vfio/bar.c, MSI-X and MSI in
 * vfio/interrupts.c, devices/msix.c and devices/msi.c) and the MSI-X table
 * and PBA trapped in a BAR.
 *
 * As in tests/unit/test_vfio.c a file stands in for the vfio device fd (a
 * memfd here: config space at 0, BAR i's region at (i + 1) * 64 KiB, the
 * ROM at 7 * 64 KiB), handed out by a fake IOMMU backend, and ioctl() is
 * provided by this file: for that fd it answers the VFIO queries with what
 * the input says (config size, BAR sizes and mmap flags, ROM, INTx/MSI/
 * MSI-X vector counts) and accepts SET_IRQS after checking its argument;
 * ioctls on fd -1 (the struct vm's KVM fds) succeed without a kernel; any
 * other ioctl is a bug. The device's first 256 config bytes come from the
 * input, the device is plugged by the real vfio_pci_attach(), and the rest
 * of the input is guest accesses: config reads and writes of every size
 * and offset (directly and through mechanism #1 / ECAM), BAR accesses
 * (the MSI-X table and PBA among them), ROM reads, and device interrupts.
 *
 * Checked after every step: bytes served from the view never reach the
 * device, reads of bytes that are not emulated return the device's, the
 * view's BARs never show the device's, MSI and MSI-X are never on together
 * and INTx is off while either is; after detach, no descriptor leaked. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "../../vfio/vfio_pci.h"
#include "../../vmm/log.h"
#include "../../vmm/vm.h"

#define REGION(i)  (0x10000ULL * ((i) + 1))
#define ROM_OFF    REGION(6)
#define FILE_SIZE  REGION(7)
#define ROM_SIZE   0x4000ULL

static int memfd = -1, dev_fd = -1;
static struct vm vm;
static struct pci_bus bus;
static struct {
	uint64_t cfg_size, bar_size[PCI_NUM_BARS], rom_size;
	uint32_t bar_flags[PCI_NUM_BARS];
	uint32_t irq_count[VFIO_PCI_NUM_IRQS];
} fake;

static int set_irqs_ok(const struct vfio_irq_set *s)
{
	uint32_t i;

	FUZZ_ASSERT(s->index < VFIO_PCI_NUM_IRQS);
	FUZZ_ASSERT(s->argsz == sizeof(*s) + s->count * sizeof(int));
	FUZZ_ASSERT(s->start == 0);
	if (s->flags & VFIO_IRQ_SET_DATA_EVENTFD)
		for (i = 0; i < s->count; i++)
			FUZZ_ASSERT(fcntl(((const int *)s->data)[i], F_GETFD) >= 0);
	if (s->count > fake.irq_count[s->index]) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int region_info(struct vfio_region_info *ri)
{
	FUZZ_ASSERT(ri->argsz >= sizeof(*ri));
	ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	ri->cap_offset = 0;
	ri->size = 0;
	ri->offset = 0;
	if (ri->index < PCI_NUM_BARS) {
		ri->size = fake.bar_size[ri->index];
		ri->offset = REGION(ri->index);
		ri->flags |= fake.bar_flags[ri->index];
	} else if (ri->index == VFIO_PCI_ROM_REGION_INDEX) {
		ri->size = fake.rom_size;
		ri->offset = ROM_OFF;
	} else if (ri->index == VFIO_PCI_CONFIG_REGION_INDEX) {
		ri->size = fake.cfg_size;
	}
	return 0;
}

static int fake_vfio_ioctl(unsigned long req, void *arg)
{
	struct vfio_device_info *di = arg;
	struct vfio_irq_info *ii = arg;

	switch (req) {
	case VFIO_DEVICE_GET_INFO:
		di->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
		di->num_regions = VFIO_PCI_NUM_REGIONS;
		di->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		FUZZ_ASSERT(ii->index < VFIO_PCI_NUM_IRQS);
		ii->flags = VFIO_IRQ_INFO_EVENTFD;
		ii->count = fake.irq_count[ii->index];
		return 0;
	case VFIO_DEVICE_SET_IRQS:
		return set_irqs_ok(arg);
	case VFIO_DEVICE_RESET:
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd == -1)
		return 0;               /* KVM, which this fuzzer has none of */
	FUZZ_ASSERT(fd == dev_fd);
	return fake_vfio_ioctl(req, arg);
}

static int fake_open_device(struct vfio_backend *b, const struct vfio_dev_ref *ref,
			    char *err, size_t errlen)
{
	dev_fd = dup(memfd);
	if (dev_fd < 0)
		abort();
	return dev_fd;
}

static int fake_iova_ranges(struct vfio_backend *b, struct iova_range **r)
{
	return -1;
}

static const struct vfio_backend_ops fake_ops = {
	.name = "fake",
	.open_device = fake_open_device,
	.iova_ranges = fake_iova_ranges,
};

static const struct vfio_dev_ref fake_ref = {
	.kind = VFIO_DEV_PCI, .name = "0000:01:00.0", .group = 7, .cdev = -1, .fd = -1,
};

static struct vfio_backend fake_backend = { .ops = &fake_ops };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t *buf = malloc(FILE_SIZE);
	uint64_t i;

	log_verbosity = LOG_ERROR;
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
	vm.kvm_fd = vm.vm_fd = vm.stop_efd = -1;
	vm.pio.name = "pio";
	vm.mmio.name = "mmio";
	irq_router_init(&vm.irq, -1);
	memslots_init(&vm.slots, 0);
	if (memmap_layout(&vm.mem, 256ULL << 20) ||
	    pci_bus_init(&bus, &vm.pio, &vm.mmio, MEM_ECAM_START, MEM_PCI32_START,
			 MEM_PCI32_SIZE, vm.mem.pci64_base, vm.mem.pci64_size))
		abort();
	/* As the machine does: no BAR decodes over guest RAM. */
	pci_bus_reserve(&bus, vm.mem.ram[0].gpa, vm.mem.ram[0].size);
}

/* The device as the input describes it. */
static void describe(struct fuzz_in *in, unsigned *flags)
{
	uint8_t cfg[4096] = { 0 }, how = fuzz_u8(in);
	const uint8_t *p;
	size_t len;
	int i;

	fake.cfg_size = how & 1 ? 256 : 4096;
	fake.rom_size = how & 2 ? ROM_SIZE : 0;
	*flags = how & 4 ? VFIO_PCI_NO_MSIX : 0;
	for (i = 0; i < PCI_NUM_BARS; i++) {
		uint8_t b = fuzz_u8(in);

		/* 0: none; otherwise a power of two up to 64 KiB, rarely not. */
		fake.bar_size[i] = !b ? 0 : b == 0xff ? 0x3000 : 1ULL << (b % 17);
		fake.bar_flags[i] = b & 0x20 ? VFIO_REGION_INFO_FLAG_MMAP : 0;
	}
	fake.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = how >> 3 & 1;
	fake.irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 32;
	fake.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = MSIX_MAX_VECTORS;
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
	case 6: {       /* the device raises an interrupt */
		uint64_t one = 1;
		int fd = b & 1 ? (v->msix.n ? v->msix_vec[fuzz_u16(in) % v->msix.n].efd : -1) :
			 v->msi_vec[fuzz_u8(in) % MSI_MAX_VECTORS].efd;

		if (fd >= 0 && write(fd, &one, sizeof(one)) != sizeof(one))
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

	describe(&in, &flags);
	vm_up();
	v = vfio_pci_attach(&vm, &bus, &fake_backend, &fake_ref, flags, err, sizeof(err));
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
	return 0;
}
