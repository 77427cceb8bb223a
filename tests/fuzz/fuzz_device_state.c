/* Fuzzer for the emulated devices' snapshot loads (issue 15): the first
 * byte picks the loader (modulo 7: 0 serial_load, 1 cmos_load, 2
 * acpi_pm_load, 3 acpi_hotplug_load with its PM1, 4 pci_bus_load, 5
 * pci_device_load of virtio-console: config space, BARs, the transport,
 * queues, MSI-X and the console's input, 6 fw_cfg_load on a table with a
 * short item and a file), the rest is the state, given to
 * it on a device built afresh. A load either fails with one line from
 * snap_in_finish() or succeeds; a load that succeeds saves back to exactly
 * its input, and then the device is driven a little as a guest would
 * (register reads and writes, queue kicks, the ISR, MSI-X unmasking) with
 * its invariants checked. As in fuzz_virtio_pci, the struct vm is real
 * apart from KVM: vm_fd is -1 and ioctl() fails on it. */
#include <errno.h>
#include "fuzz.h"
#include "../../devices/acpi_hotplug.h"
#include "../../devices/acpi_pm.h"
#include "../../devices/cmos.h"
#include "../../devices/fw_cfg.h"
#include "../../devices/pci_state.h"
#include "../../devices/serial.h"
#include "../../devices/virtio_console.h"
#include "../../vmm/log.h"
#include "../../vmm/snapshot/cursor.h"
#include "../../vmm/vm.h"

#define RAM_SIZE 0x40000ULL
#define ERR_LEN  512

enum { SEL_SERIAL, SEL_CMOS, SEL_PM, SEL_HOTPLUG, SEL_BUS, SEL_VIRTIO, SEL_FWCFG, SEL_N };

static struct vm vm;
static struct pci_bus bus;
static struct virtio_console vc;
static struct serial uart;
static struct cmos rtc;
static struct acpi_pm pm;
static struct acpi_hotplug hp;
static struct io_bus pio;
static uint8_t *ram;
static int irq_level = -1, sci_level = -1;

int ioctl(int fd, unsigned long req, ...)
{
	FUZZ_ASSERT(fd == -1);          /* only ever the (absent) VM fd */
	errno = EBADF;
	return -1;
}

static void output(void *opaque, const uint8_t *buf, size_t len)
{
	volatile uint8_t sink = 0;

	if (len)
		sink ^= buf[0] ^ buf[len - 1];
	(void)sink;
}

static void set_irq(void *opaque, int level)
{
	irq_level = level;
}

static void set_sci(void *opaque, int level)
{
	sci_level = level;
}

static void tx(void *opaque, uint8_t b)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_verbosity = LOG_ERROR;
	ram = malloc(RAM_SIZE);
	if (!ram)
		abort();
	return 0;
}

/* The saved bytes of a device that loaded must be the input again. */
static void same_again(const uint8_t *p, size_t n, struct snap_out *out)
{
	FUZZ_ASSERT(snap_out_error(out) == 0);
	FUZZ_ASSERT(out->len == n && (n == 0 || !memcmp(out->buf, p, n)));
}

/* ---- the UART ---- */

static int serial_try(struct snap_in *in)
{
	serial_init(&uart);
	uart.tx = tx;
	uart.set_irq = set_irq;
	irq_level = -1;
	return serial_load(&uart, in);
}

static void serial_drive(void)
{
	unsigned r;

	FUZZ_ASSERT(irq_level == uart.irq_level);
	FUZZ_ASSERT(uart.rx_len <= SERIAL_RX_SIZE && uart.rx_head < SERIAL_RX_SIZE);
	for (r = 0; r < 8; r++)
		(void)serial_read(&uart, r, 1);
	serial_write(&uart, 0, 1, 'x');
	serial_receive(&uart, (const uint8_t *)"abc", 3);
	for (r = 0; r < 8; r++)
		(void)serial_read(&uart, r, 1);
	FUZZ_ASSERT(irq_level == uart.irq_level);
	FUZZ_ASSERT(uart.rx_len <= SERIAL_RX_SIZE);
}

/* ---- the RTC ---- */

static int64_t fixed_clock(void *opaque)
{
	return 1700000000;
}

static int cmos_try(struct snap_in *in)
{
	struct guest_mem gm = { .low_end = RAM_SIZE };

	FUZZ_ASSERT(cmos_init(&rtc, &gm, 1) == 0);
	rtc.clock = fixed_clock;
	return cmos_load(&rtc, in);
}

static void cmos_drive(void)
{
	unsigned i;

	FUZZ_ASSERT(rtc.index < CMOS_SIZE);
	for (i = 0; i < CMOS_SIZE; i++) {
		cmos_write(&rtc, 0, 1, i);
		(void)cmos_read(&rtc, 1, 1);
	}
	cmos_write(&rtc, 0, 1, CMOS_REG_B);
	cmos_write(&rtc, 1, 1, rtc.ram[CMOS_REG_B] | CMOS_B_SET);
	cmos_write(&rtc, 1, 1, rtc.ram[CMOS_REG_B] & ~CMOS_B_SET);
	cmos_write(&rtc, 0, 1, CMOS_SECONDS);
	(void)cmos_read(&rtc, 1, 1);
}

/* ---- PM1 and the hotplug/GPE0 block ---- */

static int pm_try(struct snap_in *in)
{
	memset(&pm, 0, sizeof(pm));
	pm.set_sci = set_sci;
	sci_level = -1;
	return acpi_pm_load(&pm, in);
}

static void pm_drive(void)
{
	FUZZ_ASSERT(sci_level == ((pm.pm1_sts & pm.pm1_en) != 0));
	(void)acpi_pm_read(&pm, 0, 4);
	(void)acpi_pm_read(&pm, 4, 2);
	acpi_pm_write(&pm, 0, 2, 0xffff);
	FUZZ_ASSERT(pm.pm1_sts == 0 && sci_level == 0);
	acpi_pm_power_button(&pm);
	FUZZ_ASSERT(sci_level == ((pm.pm1_en & ACPI_PM1_PWRBTN) != 0));
}

static int hotplug_try(struct snap_in *in)
{
	memset(&pio, 0, sizeof(pio));
	memset(&pm, 0, sizeof(pm));
	pm.set_sci = set_sci;
	sci_level = -1;
	FUZZ_ASSERT(acpi_hotplug_init(&hp, &pio, &pm, ACPI_HOTPLUG_SLOTS_ALL, NULL, NULL) == 0);
	return acpi_hotplug_load(&hp, in);
}

static void hotplug_drive(void)
{
	unsigned off;

	FUZZ_ASSERT(pm.gpe == ((hp.gpe_sts & hp.gpe_en) != 0));
	FUZZ_ASSERT(sci_level == -1 ? !pm.gpe : sci_level == pm.gpe);
	FUZZ_ASSERT(!((hp.ins | hp.pending) & ~hp.slots) && !(hp.rem & ~hp.pending));
	for (off = 0; off < ACPI_HP_LEN; off += 4)
		(void)acpi_hotplug_read(&hp, off, 4);
	acpi_hotplug_write(&hp, ACPI_HP_EJ, 4, 0xffffffff);
	FUZZ_ASSERT(hp.pending == 0 && hp.rem == 0);
	acpi_gpe_write(&hp, 0, 2, 0xffff);
	FUZZ_ASSERT(!pm.gpe);
	acpi_hotplug_plug(&hp, 9);
	FUZZ_ASSERT(pm.gpe == ((hp.gpe_en >> ACPI_GPE_PCI_HOTPLUG) & 1));
}

/* ---- the PCI bus and virtio-console ---- */

static void machine_up(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.kvm_fd = vm.vm_fd = vm.stop_efd = -1;
	vm.pio.name = "pio";
	vm.mmio.name = "mmio";
	vm.mem.ram[0] = (struct ram_region){ 0, RAM_SIZE, ram };
	vm.mem.n_ram = 1;
	vm.mem.ram_size = RAM_SIZE;
	vm.mem.low_end = RAM_SIZE;
	memset(ram, 0, RAM_SIZE);
	irq_router_init(&vm.irq, -1);
	if (pci_bus_init(&bus, &vm.pio, &vm.mmio, MEM_ECAM_START, MEM_PCI32_START,
			 MEM_PCI32_SIZE, MEM_4G, MEM_PCI64_SIZE))
		abort();
	if (virtio_console_init(&vc, &vm) || pci_bus_add(&bus, &vc.vp.pci) != 1)
		abort();
	vc.output = output;
}

static void machine_down(void)
{
	pci_bus_destroy(&bus);
	pthread_mutex_destroy(&vm.irq.lock);
}

static int bus_try(struct snap_in *in)
{
	return pci_bus_load(&bus, in);
}

static void bus_drive(void)
{
	(void)io_bus_read(&vm.pio, 0xcf8, 4);
	(void)io_bus_read(&vm.pio, 0xcfc, 4);
	io_bus_write(&vm.pio, 0xcfc, 2, 0);
	(void)io_bus_read(&vm.pio, 0xcfe, 2);
}

static int virtio_try(struct snap_in *in)
{
	return pci_device_load(&vc.vp.pci, in);
}

/* What must hold of a loaded transport, whatever the bytes were. */
static void virtio_check(void)
{
	struct virtio_pci *vp = &vc.vp;
	unsigned q;

	FUZZ_ASSERT(vp->msix_config == VIRTIO_NO_VECTOR || vp->msix_config < vp->msix.n);
	FUZZ_ASSERT(vc.pending_len <= VCON_PENDING);
	for (q = 0; q < vp->ops->n_queues; q++) {
		const struct virtq *vq = &vp->vq[q];

		FUZZ_ASSERT(vp->vq_vector[q] == VIRTIO_NO_VECTOR || vp->vq_vector[q] < vp->msix.n);
		FUZZ_ASSERT(vq->size && vq->size <= VIRTQ_MAX_SIZE && !(vq->size & (vq->size - 1)));
		if (!vq->ready)
			continue;
		FUZZ_ASSERT(gpa_to_hva(&vm.mem, vq->desc_gpa, 16ULL * vq->size) == (void *)vq->desc);
		FUZZ_ASSERT(gpa_to_hva(&vm.mem, vq->used_gpa, 6 + 8ULL * vq->size) == vq->used);
	}
}

static void virtio_drive(void)
{
	struct pci_device *d = &vc.vp.pci;
	uint64_t bar = pci_bar_address(d, 0);
	unsigned q, off, v;

	virtio_check();
	for (q = 0; q < 3; q++) {
		io_bus_write(&vm.mmio, bar + 0x16, 2, q);
		for (off = 0; off < VIRTIO_COMMON_LEN; off += 4)
			(void)io_bus_read(&vm.mmio, bar + off, 4);
	}
	for (q = 0; q < vc.vp.ops->n_queues; q++)
		io_bus_write(&vm.mmio, bar + VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_MULT * q, 2, q);
	virtio_console_input(&vc, (const uint8_t *)"input", 5);
	(void)io_bus_read(&vm.mmio, bar + VIRTIO_ISR_OFF, 1);
	for (v = 0; v < vc.vp.msix.n; v++)
		io_bus_write(&vm.mmio, bar + VIRTIO_MSIX_OFF + MSIX_ENTRY_SIZE * v + 12, 4, 0);
	(void)io_bus_read(&vm.mmio, bar + VIRTIO_PBA_OFF, 8);
	pci_guest_cfg_write(d, vc.vp.msix.cap + 2, 2, 0);
	pci_guest_cfg_write(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	virtio_console_drain(&vc);
	virtio_check();
}

/* ---- fw_cfg ---- */

static struct fw_cfg fwc;
static bool fwc_up;

/* No DMA target: every DMA request fails, as for an address outside RAM. */
static void *no_ram(void *opaque, uint64_t gpa, uint64_t len)
{
	return NULL;
}

static int fwcfg_try(struct snap_in *in)
{
	static const uint8_t file[40] = "etc/fuzz contents";

	if (fwc_up)
		fw_cfg_destroy(&fwc);
	FUZZ_ASSERT(fw_cfg_init(&fwc, no_ram, NULL) == 0);
	fwc_up = true;
	FUZZ_ASSERT(fw_cfg_add_item(&fwc, FW_CFG_NB_CPUS, "\x02\x00", 2) == 0);
	FUZZ_ASSERT(fw_cfg_add_file(&fwc, "etc/fuzz", file, sizeof(file)) == 0);
	return fw_cfg_load(&fwc, in);
}

/* A loaded selection is one of the table's items (or none) and its offset
 * at most that item's length; reads past the end give 0; reselecting and
 * a DMA request outside RAM leave it so. */
static void fwcfg_drive(void)
{
	unsigned i;

	FUZZ_ASSERT(fwc.cur >= -1 && fwc.cur < fwc.n_items);
	if (fwc.cur >= 0)
		FUZZ_ASSERT(fwc.offset <= fwc.items[fwc.cur].len);
	for (i = 0; i < 64; i++)
		(void)fw_cfg_read(&fwc, 1, 1);
	if (fwc.cur >= 0)
		FUZZ_ASSERT(fwc.offset <= fwc.items[fwc.cur].len);
	fw_cfg_dma_write(&fwc, 4, 4, 0x1000);
	fw_cfg_write(&fwc, 0, 2, FW_CFG_FILE_DIR);
	FUZZ_ASSERT(fwc.cur >= 0 && fwc.offset == 0);
	(void)fw_cfg_read(&fwc, 1, 1);
}

/* ---- the loaders, by selector ---- */

typedef int (*try_fn)(struct snap_in *in);
typedef int (*resave_fn)(struct snap_out *out);

static int serial_resave(struct snap_out *out)
{
	return serial_save(&uart, out);
}

static int cmos_resave(struct snap_out *out)
{
	return cmos_save(&rtc, out);
}

static int pm_resave(struct snap_out *out)
{
	return acpi_pm_save(&pm, out);
}

static int hotplug_resave(struct snap_out *out)
{
	return acpi_hotplug_save(&hp, out);
}

static int bus_resave(struct snap_out *out)
{
	return pci_bus_save(&bus, out);
}

static int virtio_resave(struct snap_out *out)
{
	return pci_device_save(&vc.vp.pci, out);
}

static int fwcfg_resave(struct snap_out *out)
{
	return fw_cfg_save(&fwc, out);
}

static const struct {
	try_fn load;
	resave_fn save;
	void (*drive)(void);
	bool machine;
} loaders[SEL_N] = {
	[SEL_SERIAL] = { serial_try, serial_resave, serial_drive, false },
	[SEL_CMOS] = { cmos_try, cmos_resave, cmos_drive, false },
	[SEL_PM] = { pm_try, pm_resave, pm_drive, false },
	[SEL_HOTPLUG] = { hotplug_try, hotplug_resave, hotplug_drive, false },
	[SEL_BUS] = { bus_try, bus_resave, bus_drive, true },
	[SEL_VIRTIO] = { virtio_try, virtio_resave, virtio_drive, true },
	[SEL_FWCFG] = { fwcfg_try, fwcfg_resave, fwcfg_drive, false },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel;
	struct snap_in in;
	struct snap_out out;
	char err[ERR_LEN];
	int r, f;

	if (size < 1)
		return 0;
	sel = data[0] % SEL_N;
	if (loaders[sel].machine)
		machine_up();
	snap_in_init(&in, data + 1, size - 1, 0);
	r = loaders[sel].load(&in);
	f = snap_in_finish(&in, "state", err, sizeof(err));
	FUZZ_ASSERT(!r || f == -1);
	if (f) {
		FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
	} else {
		snap_out_init(&out);
		FUZZ_ASSERT(loaders[sel].save(&out) == 0);
		same_again(data + 1, size - 1, &out);
		snap_out_free(&out);
		loaders[sel].drive();
	}
	if (loaders[sel].machine)
		machine_down();
	return 0;
}
