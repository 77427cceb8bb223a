/* Fuzzer for the virtio 1.x PCI transport (devices/virtio_pci.c) with the
 * virtio-console device behind it (devices/virtio_console.c), as the guest
 * drives them: BAR0 accesses (common config, ISR, device config, notify,
 * MSI-X table and PBA), config-space writes through ECAM, MMIO through the
 * bus once BAR0 is mapped, writes to the rings in guest RAM, and terminal
 * input. The struct vm is real apart from KVM: vm_fd is -1 and ioctl() is
 * stubbed to fail on it (irq lines, MSI routes, ioeventfds), so no kernel
 * is touched. After every step the transport's state is checked: live
 * queues have their rings in RAM, vectors are in range, the device's
 * identity and num_queues never change. */
#include <errno.h>
#include <stdarg.h>
#include "fuzz.h"
#include "../../devices/virtio_console.h"
#include "../../vmm/log.h"
#include "../../vmm/vm.h"

#define R0_SIZE 0x10000ULL
#define R1_GPA  0x100000ULL
#define R1_SIZE 0x8000ULL

static struct vm vm;
static struct pci_bus bus;
static struct virtio_console vc;
static uint8_t *r0, *r1;
static uint64_t out_bytes;

int ioctl(int fd, unsigned long req, ...)
{
	FUZZ_ASSERT(fd == -1);          /* only ever the (absent) VM fd */
	errno = EBADF;
	return -1;
}

static void output(void *opaque, const uint8_t *buf, size_t len)
{
	volatile uint8_t sink = 0;
	size_t i;

	for (i = 0; i < len; i += 61)
		sink ^= buf[i];
	if (len)
		sink ^= buf[len - 1];
	out_bytes += len;
	(void)sink;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_verbosity = LOG_ERROR;
	r0 = malloc(R0_SIZE);
	r1 = malloc(R1_SIZE);
	if (!r0 || !r1)
		abort();
	return 0;
}

static void machine_up(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.kvm_fd = vm.vm_fd = vm.stop_efd = -1;
	vm.pio.name = "pio";
	vm.mmio.name = "mmio";
	vm.mem.ram[0] = (struct ram_region){ 0, R0_SIZE, r0 };
	vm.mem.ram[1] = (struct ram_region){ R1_GPA, R1_SIZE, r1 };
	vm.mem.n_ram = 2;
	vm.mem.ram_size = R0_SIZE + R1_SIZE;
	vm.mem.low_end = R1_GPA + R1_SIZE;
	memset(r0, 0, R0_SIZE);
	memset(r1, 0, R1_SIZE);
	irq_router_init(&vm.irq, -1);
	if (pci_bus_init(&bus, &vm.pio, &vm.mmio, MEM_ECAM_START, MEM_PCI32_START,
			 MEM_PCI32_SIZE, MEM_4G, MEM_PCI64_SIZE))
		abort();
	if (virtio_console_init(&vc, &vm) || pci_bus_add(&bus, &vc.vp.pci) != 1)
		abort();
	vc.output = output;
}

static uint64_t gpa(struct fuzz_in *in)
{
	uint32_t v = fuzz_u32(in);

	if ((v >> 24) == 0xff)
		return UINT64_MAX - (v & 0xffff);
	return v & 0x1fffff;
}

static void guest_write(uint64_t addr, const void *p, size_t len)
{
	uint8_t *h = gpa_to_hva(&vm.mem, addr, len);

	if (h)
		memcpy(h, p, len);
}

static uint16_t guest_read16(uint64_t addr)
{
	uint16_t v = 0;
	uint8_t *h = gpa_to_hva(&vm.mem, addr, 2);

	if (h)
		memcpy(&v, h, 2);
	return v;
}

/* A BAR0 offset: mostly inside one of the structures, sometimes anywhere. */
static uint64_t bar_off(struct fuzz_in *in)
{
	static const uint32_t base[] = { VIRTIO_COMMON_OFF, VIRTIO_ISR_OFF,
		VIRTIO_DEVCFG_OFF, VIRTIO_NOTIFY_OFF, VIRTIO_MSIX_OFF, VIRTIO_PBA_OFF };
	uint8_t sel = fuzz_u8(in);
	uint16_t off = fuzz_u16(in);

	if (sel < 6 * 40)
		return base[sel % 6] + (off & 0x7f);
	return sel == 0xff ? fuzz_u64(in) : off;
}

static void common_wr(unsigned off, unsigned size, uint64_t v)
{
	virtio_pci_bar_write(&vc.vp, VIRTIO_COMMON_OFF + off, size, v);
}

/* What a driver does to bring a queue up, with fuzzed values. */
static void queue_setup(struct fuzz_in *in)
{
	uint8_t q = fuzz_u8(in);

	common_wr(0x08, 4, 1);
	common_wr(0x0c, 4, 1);                          /* VERSION_1 */
	common_wr(0x14, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER |
		  VIRTIO_STATUS_FEATURES_OK);
	common_wr(0x16, 2, q & 3);
	common_wr(0x18, 2, 1U << (fuzz_u8(in) % 10));
	common_wr(0x1a, 2, fuzz_u8(in) % 4);
	common_wr(0x20, 8, gpa(in));
	common_wr(0x28, 8, gpa(in));
	common_wr(0x30, 8, gpa(in));
	common_wr(0x1c, 2, 1);
	common_wr(0x14, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER |
		  VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

static void put_desc(struct fuzz_in *in)
{
	struct virtq *vq = &vc.vp.vq[fuzz_u8(in) & 1];
	uint16_t i = fuzz_u8(in);
	struct virtq_desc d;

	d.addr = gpa(in);
	d.len = fuzz_u16(in);
	d.flags = fuzz_u8(in) & 7;
	d.next = fuzz_u8(in);
	guest_write(vq->desc_gpa + 16ULL * i, &d, sizeof(d));
}

static void offer(struct fuzz_in *in)
{
	struct virtq *vq = &vc.vp.vq[fuzz_u8(in) & 1];
	uint16_t head = fuzz_u8(in), idx = guest_read16(vq->avail_gpa + 2);
	uint16_t slot = vq->size ? idx % vq->size : 0;

	guest_write(vq->avail_gpa + 4 + 2ULL * slot, &head, 2);
	idx++;
	guest_write(vq->avail_gpa + 2, &idx, 2);
}

/* Whether BAR0 is on the MMIO bus at addr. */
static bool on_bus(uint64_t addr)
{
	int i;

	for (i = 0; i < vm.mmio.n; i++)
		if (vm.mmio.r[i].base == addr && vm.mmio.r[i].opaque == &vc.vp &&
		    vm.mmio.r[i].len == VIRTIO_BAR_SIZE)
			return true;
	return false;
}

static void check(void)
{
	const struct virtio_pci *vp = &vc.vp;
	unsigned q;

	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		const struct virtq *vq = &vp->vq[q];
		uint16_t s = vq->size;

		FUZZ_ASSERT(s && s <= VIRTQ_MAX_SIZE && !(s & (s - 1)));
		FUZZ_ASSERT(vp->vq_vector[q] == VIRTIO_NO_VECTOR || vp->vq_vector[q] < vp->msix.n);
		if (!vq->ready)
			continue;
		FUZZ_ASSERT(q < vp->ops->n_queues);
		FUZZ_ASSERT(gpa_to_hva(&vm.mem, vq->desc_gpa, 16ULL * s) == (void *)vq->desc);
		FUZZ_ASSERT(gpa_to_hva(&vm.mem, vq->avail_gpa, 6 + 2ULL * s) == (void *)vq->avail);
		FUZZ_ASSERT(gpa_to_hva(&vm.mem, vq->used_gpa, 6 + 8ULL * s) == vq->used);
	}
	/* FEATURES_OK only with VERSION_1 and nothing the device did not offer. */
	if (vp->status & VIRTIO_STATUS_FEATURES_OK)
		FUZZ_ASSERT((vp->drv_features & VIRTIO_F_VERSION_1) &&
			    !(vp->drv_features & ~(VIRTIO_F_VERSION_1 | vp->ops->features)));
	/* The common config reads back the selected queue's state. */
	q = vp->queue_sel;
	FUZZ_ASSERT(virtio_pci_bar_read(&vc.vp, VIRTIO_COMMON_OFF + 0x18, 2) ==
		    (q < vp->ops->n_queues ? vp->vq[q].size : 0));
	FUZZ_ASSERT(virtio_pci_bar_read(&vc.vp, VIRTIO_COMMON_OFF + 0x1c, 2) ==
		    (q < vp->ops->n_queues && vp->vq[q].ready));
	FUZZ_ASSERT(vp->msix_config == VIRTIO_NO_VECTOR || vp->msix_config < vp->msix.n);
	FUZZ_ASSERT(vc.pending_len <= VCON_PENDING);
	FUZZ_ASSERT(vp->isr <= 3);
	FUZZ_ASSERT(virtio_pci_bar_read(&vc.vp, VIRTIO_COMMON_OFF + 0x12, 2) == 2);
	FUZZ_ASSERT(pci_cfg_read(&vc.vp.pci, PCI_VENDOR_ID, 4) == 0x10431af4);
	if (vp->pci.bar[0].mapped)
		FUZZ_ASSERT(on_bus(vp->pci.bar[0].addr));
}

static void step(struct fuzz_in *in)
{
	uint8_t op = fuzz_u8(in), b;
	unsigned size;
	uint64_t off;

	switch (op % 12) {
	case 0:
		b = fuzz_u8(in);
		size = fuzz_mmio_size(b >> 6);
		common_wr(b % 0x40, size, fuzz_value(in, size));
		break;
	case 1:
		off = bar_off(in);
		(void)virtio_pci_bar_read(&vc.vp, off, fuzz_mmio_size(fuzz_u8(in)));
		break;
	case 2:
		off = bar_off(in);
		size = fuzz_mmio_size(fuzz_u8(in));
		virtio_pci_bar_write(&vc.vp, off, size, fuzz_value(in, size));
		break;
	case 3: {       /* ECAM, mostly at 00:01.0 */
		uint32_t a = fuzz_u32(in);
		uint64_t ecam = (a & 0x80000000U) ? a & 0xfffffff : (1U << 15) | (a & 0xfff);

		size = fuzz_pio_size(fuzz_u8(in));
		if (a & 0x40000000U)
			(void)io_bus_read(&vm.mmio, MEM_ECAM_START + ecam, size);
		else
			io_bus_write(&vm.mmio, MEM_ECAM_START + ecam, size, fuzz_value(in, size));
		break;
	}
	case 4:         /* MMIO through the bus at BAR0's current address */
		b = fuzz_u8(in);
		off = pci_bar_address(&vc.vp.pci, 0) + (fuzz_u16(in) & 0x7fff);
		if (b & 0x80)
			(void)io_bus_read(&vm.mmio, off, fuzz_mmio_size(b));
		else
			io_bus_write(&vm.mmio, off, fuzz_mmio_size(b),
				     fuzz_value(in, fuzz_mmio_size(b)));
		break;
	case 5: {
		uint64_t a = gpa(in);
		uint8_t buf[64];
		size_t len;
		const uint8_t *p = fuzz_take(in, fuzz_u8(in) % sizeof(buf), &len);

		memcpy(buf, p, len);
		guest_write(a, buf, len);
		break;
	}
	case 6: {
		size_t len;
		const uint8_t *p = fuzz_take(in, fuzz_u8(in), &len);

		(void)virtio_console_input(&vc, p, len);
		break;
	}
	case 7:         /* MSI-X enable and function mask, as the driver sets them */
		b = fuzz_u8(in);
		pci_guest_cfg_write(&vc.vp.pci, vc.vp.msix.cap + 2, 2,
			      (b & 1 ? MSIX_CTRL_ENABLE : 0) | (b & 2 ? MSIX_CTRL_FMASK : 0));
		break;
	case 8:
		queue_setup(in);
		break;
	case 9:
		put_desc(in);
		break;
	case 10:
		offer(in);
		break;
	case 11:        /* a kick: the notify address of queue q */
		virtio_pci_bar_write(&vc.vp, VIRTIO_NOTIFY_OFF +
				     (fuzz_u8(in) % 4) * VIRTIO_NOTIFY_MULT, 2, 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned ops = 0;

	machine_up();
	/* Firmware's part: memory decoding and bus mastering on. */
	if (fuzz_u8(&in) & 1)
		pci_guest_cfg_write(&vc.vp.pci, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	while (fuzz_more(&in) && ops++ < 256) {
		step(&in);
		check();
	}
	pci_bus_destroy(&bus);          /* and virtio-pci's teardown */
	pthread_mutex_destroy(&vm.irq.lock);
	return 0;
}
