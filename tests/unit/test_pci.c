/* Tests of PCI config space, BARs, capabilities and the bus (devices/pci.c). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "suites.h"
#include "../../devices/pci.h"
#include "../../vmm/memmap.h"

#define PCI64_BASE 0x800000000ULL
#define CF8(slot, reg) (0x80000000U | (slot) << 11 | (reg))

static struct io_bus pio, mmio;
static struct pci_bus bus;
static struct pci_device dev, dev2;

/* What the BAR handlers saw. */
static struct {
	int reads, writes;
	void *opaque;
	uint64_t off, val;
	unsigned size;
} seen;

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
	seen.reads++;
	seen.opaque = opaque;
	seen.off = off;
	seen.size = size;
	return 0xab000000 | off;
}

static void bar_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	seen.writes++;
	seen.opaque = opaque;
	seen.off = off;
	seen.size = size;
	seen.val = v;
}

static int resets;

static void reset_cb(void *opaque)
{
	ck_assert_ptr_eq(opaque, &resets);
	resets++;
}

START_TEST(identity_read_only)
{
	struct pci_device *d = &dev;

	pci_device_init(d, "test", 0x1234, 0x5678, 0x010802, 3);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_VENDOR_ID, 4), 0x56781234);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_DEVICE_ID, 2), 0x5678);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_REVISION_ID, 4), 0x01080203);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_HEADER_TYPE, 1), 0);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_CAPABILITY_LIST, 1), 0);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_STATUS, 2), 0);

	pci_cfg_write(d, PCI_VENDOR_ID, 4, 0xffffffff);
	pci_cfg_write(d, PCI_REVISION_ID, 4, 0);
	pci_cfg_write(d, PCI_CLASS_PROG + 1, 1, 0x77);
	pci_cfg_write(d, PCI_STATUS, 2, 0xffff);
	pci_cfg_write(d, PCI_INTERRUPT_PIN, 1, 4);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_VENDOR_ID, 4), 0x56781234);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_REVISION_ID, 4), 0x01080203);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_STATUS, 2), 0);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_INTERRUPT_PIN, 1), 0);
	/* The interrupt line is the one scratch field. */
	pci_cfg_write(d, PCI_INTERRUPT_LINE, 1, 0x2a);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_INTERRUPT_LINE, 1), 0x2a);
}
END_TEST

START_TEST(command_mask)
{
	struct pci_device *d = &dev;

	pci_device_init(d, "test", 0x1234, 0x5678, 0, 0);
	pci_cfg_write(d, PCI_COMMAND, 2, 0xffff);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_COMMAND, 2), 0x0407);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_STATUS, 2), 0);
	pci_cfg_write(d, PCI_COMMAND, 4, 0xffff0000);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_COMMAND, 4), 0);
	pci_cfg_write(d, PCI_COMMAND + 1, 1, 0xff);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_COMMAND, 2), 0x0400);
	pci_cfg_write(d, PCI_COMMAND, 1, 0x06);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_COMMAND, 2), 0x0406);
}
END_TEST

START_TEST(bad_accesses)
{
	struct pci_device *d = &dev;

	pci_device_init(d, "test", 0x1234, 0x5678, 0, 0);
	ck_assert_uint_eq(pci_cfg_read(d, 3, 2), 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, 4095, 4), 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, 4094, 4), 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, 0, 3), 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, 0, 8), 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, 0, 0), 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, 4096, 1), 0xffffffff);
	/* The last dword and byte of extended config space are fine. */
	ck_assert_uint_eq(pci_cfg_read(d, 4092, 4), 0);
	ck_assert_uint_eq(pci_cfg_read(d, 4095, 1), 0);

	pci_cfg_write(d, PCI_COMMAND, 3, 0x07);
	pci_cfg_write(d, PCI_COMMAND + 1, 2, 0xffff);
	pci_cfg_write(d, PCI_COMMAND, 8, 0x07);
	pci_cfg_write(d, 4096, 1, 0xff);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_COMMAND, 2), 0);
	pci_cfg_write(d, PCI_INTERRUPT_LINE - 1, 2, 0xffff);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_INTERRUPT_LINE, 1), 0);
}
END_TEST

START_TEST(bar_sizing_32)
{
	struct pci_device *d = &dev;

	pci_device_init(d, "test", 0x1234, 0x5678, 0, 0);
	pci_device_set_bar(d, 0, 0x1000, 0, bar_read, bar_write, d);
	pci_device_set_bar(d, 1, 0x100000, PCI_BASE_ADDRESS_MEM_PREFETCH, bar_read, bar_write, d);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0, 4), 0);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0 + 4, 4), PCI_BASE_ADDRESS_MEM_PREFETCH);
	pci_cfg_write(d, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	pci_cfg_write(d, PCI_BASE_ADDRESS_0 + 4, 4, 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0, 4), 0xfffff000);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0 + 4, 4), 0xfff00008);
	pci_cfg_write(d, PCI_BASE_ADDRESS_0, 4, 0x12345678);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0, 4), 0x12345000);
	ck_assert_uint_eq(pci_bar_address(d, 0), 0x12345000);
	/* Unimplemented BARs stay zero. */
	pci_cfg_write(d, PCI_BASE_ADDRESS_0 + 8, 4, 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0 + 8, 4), 0);
	pci_cfg_write(d, PCI_ROM_ADDRESS, 4, 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_ROM_ADDRESS, 4), 0);
}
END_TEST

START_TEST(bar_sizing_64)
{
	struct pci_device *d = &dev;

	pci_device_init(d, "test", 0x1234, 0x5678, 0, 0);
	pci_device_set_bar(d, 2, 0x4000, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH,
			   bar_read, bar_write, d);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0 + 8, 4), 0xc);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0 + 12, 4), 0);
	pci_cfg_write(d, PCI_BASE_ADDRESS_0 + 8, 4, 0xffffffff);
	pci_cfg_write(d, PCI_BASE_ADDRESS_0 + 12, 4, 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0 + 8, 4), 0xffffc00c);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0 + 12, 4), 0xffffffff);
	pci_cfg_write(d, PCI_BASE_ADDRESS_0 + 8, 4, 0x23450000);
	pci_cfg_write(d, PCI_BASE_ADDRESS_0 + 12, 4, 0x1);
	ck_assert_uint_eq(pci_bar_address(d, 2), 0x123450000ULL);

	/* An 8 GiB BAR: nothing writable in the lower half's address bits. */
	pci_device_set_bar(d, 0, 8ULL << 30, PCI_BASE_ADDRESS_MEM_TYPE_64, bar_read, bar_write, d);
	pci_cfg_write(d, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	pci_cfg_write(d, PCI_BASE_ADDRESS_0 + 4, 4, 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0, 4), 0x4);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0 + 4, 4), 0xfffffffe);
}
END_TEST

START_TEST(bar_sizing_io)
{
	struct pci_device *d = &dev;

	pci_device_init(d, "test", 0x1234, 0x5678, 0, 0);
	pci_device_set_bar(d, 1, 0x20, PCI_BASE_ADDRESS_SPACE_IO, bar_read, bar_write, d);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0 + 4, 4), 0x1);
	pci_cfg_write(d, PCI_BASE_ADDRESS_0 + 4, 4, 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0 + 4, 4), 0xffffffe1);
	pci_cfg_write(d, PCI_BASE_ADDRESS_0 + 4, 4, 0xc05f);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0 + 4, 4), 0xc041);
	ck_assert_uint_eq(pci_bar_address(d, 1), 0xc040);
}
END_TEST

START_TEST(capabilities)
{
	struct pci_device *d = &dev;

	pci_device_init(d, "test", 0x1234, 0x5678, 0, 0);
	ck_assert_uint_eq(pci_add_cap(d, 0x11, 12), 0x40);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_CAPABILITY_LIST, 1), 0x40);
	ck_assert_uint_eq(pci_cfg_read(d, 0x40, 2), 0x0011);
	/* The next one goes on the next dword and is chained. */
	ck_assert_uint_eq(pci_add_cap(d, 0x09, 17), 0x4c);
	ck_assert_uint_eq(pci_cfg_read(d, 0x40, 2), 0x4c11);
	ck_assert_uint_eq(pci_cfg_read(d, 0x4c, 2), 0x0009);
	ck_assert_uint_eq(pci_add_cap(d, 0x05, 8), 0x60);
	ck_assert_uint_eq(pci_cfg_read(d, 0x4c, 2), 0x6009);
	ck_assert_uint_eq(pci_cfg_read(d, 0x60, 2), 0x0005);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_CAPABILITY_LIST, 1), 0x40);
	/* The list is read-only to the guest. */
	pci_cfg_write(d, PCI_CAPABILITY_LIST, 1, 0x80);
	pci_cfg_write(d, 0x40, 4, 0);
	pci_cfg_write(d, PCI_STATUS, 2, 0xffff);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_CAPABILITY_LIST, 1), 0x40);
	ck_assert_uint_eq(pci_cfg_read(d, 0x40, 2), 0x4c11);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	/* Too long, too short. */
	ck_assert_uint_eq(pci_add_cap(d, 0x01, 0x100), 0);
	ck_assert_uint_eq(pci_add_cap(d, 0x01, 1), 0);
	ck_assert_uint_eq(pci_cfg_read(d, 0x60, 2), 0x0005);
}
END_TEST

START_TEST(capabilities_full)
{
	struct pci_device *d = &dev;

	pci_device_init(d, "test", 0x1234, 0x5678, 0, 0);
	ck_assert_uint_eq(pci_add_cap(d, 0x01, 0x40), 0x40);
	ck_assert_uint_eq(pci_add_cap(d, 0x02, 0x40), 0x80);
	ck_assert_uint_eq(pci_add_cap(d, 0x03, 0x41), 0);      /* 0xc0 + 0x41 > 0x100 */
	ck_assert_uint_eq(pci_add_cap(d, 0x03, 0x40), 0xc0);
	ck_assert_uint_eq(pci_add_cap(d, 0x04, 2), 0);
	ck_assert_uint_eq(pci_cfg_read(d, 0xc0, 2), 0x0003);
	ck_assert_uint_eq(pci_cfg_read(d, 0x80, 2), 0xc002);
	ck_assert_uint_eq(pci_cfg_read(d, 0x100, 4), 0);
}
END_TEST

static void bus_setup(void)
{
	memset(&pio, 0, sizeof(pio));
	memset(&mmio, 0, sizeof(mmio));
	pio.name = "pio";
	mmio.name = "mmio";
	memset(&seen, 0, sizeof(seen));
	resets = 0;
	ck_assert_int_eq(pci_bus_init(&bus, &pio, &mmio, MEM_ECAM_START, MEM_PCI32_START,
				      MEM_PCI32_SIZE, PCI64_BASE, 64ULL << 30), 0);
	pci_device_init(&dev, "dev", 0x1af4, 0x1041, 0x020000, 1);
	pci_device_set_bar(&dev, 0, 0x1000, 0, bar_read, bar_write, &dev);
	pci_device_set_bar(&dev, 1, 0x100, PCI_BASE_ADDRESS_SPACE_IO, bar_read, bar_write, &seen);
	pci_device_set_bar(&dev, 2, 0x100000, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH,
			   bar_read, bar_write, &bus);
	pci_device_init(&dev2, "dev2", 0x8086, 0x10d3, 0x020000, 0);
	pci_device_set_bar(&dev2, 0, 0x10000, 0, bar_read, bar_write, &dev2);
	pci_device_set_bar(&dev2, 1, 0x20, PCI_BASE_ADDRESS_SPACE_IO, bar_read, bar_write, &dev2);
}

static uint32_t cfg1_read(unsigned slot, unsigned reg, unsigned size)
{
	io_bus_write(&pio, 0xcf8, 4, CF8(slot, reg & ~3U));
	return (uint32_t)io_bus_read(&pio, 0xcfc + (reg & 3), size);
}

static void cfg1_write(unsigned slot, unsigned reg, unsigned size, uint32_t v)
{
	io_bus_write(&pio, 0xcf8, 4, CF8(slot, reg & ~3U));
	io_bus_write(&pio, 0xcfc + (reg & 3), size, v);
}

START_TEST(mech1_host_bridge)
{
	ck_assert_uint_eq(cfg1_read(0, 0, 4), 0x00081b36);
	ck_assert_uint_eq(cfg1_read(0, 0, 2), 0x1b36);
	ck_assert_uint_eq(cfg1_read(0, 2, 2), 0x0008);
	ck_assert_uint_eq(cfg1_read(0, 0x0b, 1), 0x06);
	ck_assert_uint_eq(cfg1_read(0, 0x08, 4), 0x06000000);
	ck_assert_uint_eq(io_bus_read(&pio, 0xcf8, 4), CF8(0, 8));
	/* The host bridge is entirely read-only. */
	cfg1_write(0, PCI_COMMAND, 2, 0xffff);
	cfg1_write(0, PCI_INTERRUPT_LINE, 1, 0xff);
	ck_assert_uint_eq(cfg1_read(0, PCI_COMMAND, 2), 0);
	ck_assert_uint_eq(cfg1_read(0, PCI_INTERRUPT_LINE, 1), 0);
	/* Without the enable bit nothing answers. */
	io_bus_write(&pio, 0xcf8, 4, 0);
	ck_assert_uint_eq((uint32_t)io_bus_read(&pio, 0xcfc, 4), 0xffffffff);
	/* Empty slot, other function, other bus. */
	ck_assert_uint_eq(cfg1_read(5, 0, 4), 0xffffffff);
	ck_assert_uint_eq(cfg1_read(31, 0, 2) & 0xffff, 0xffff);
	io_bus_write(&pio, 0xcf8, 4, 0x80000000 | 1 << 8);
	ck_assert_uint_eq((uint32_t)io_bus_read(&pio, 0xcfc, 4), 0xffffffff);
	io_bus_write(&pio, 0xcf8, 4, 0x80000000 | 1 << 16);
	ck_assert_uint_eq((uint32_t)io_bus_read(&pio, 0xcfc, 4), 0xffffffff);
	/* Only dword accesses reach the address register. */
	io_bus_write(&pio, 0xcf8, 4, CF8(0, 0));
	io_bus_write(&pio, 0xcf8, 2, 0);
	ck_assert_uint_eq(io_bus_read(&pio, 0xcf8, 4), CF8(0, 0));
	ck_assert_uint_eq(io_bus_read(&pio, 0xcf8, 2), ~0ULL);
	/* An access that runs past 0xcff is refused. */
	ck_assert_uint_eq((uint32_t)io_bus_read(&pio, 0xcfe, 4), 0xffffffff);
}
END_TEST

START_TEST(mech1_endpoint)
{
	ck_assert_int_eq(pci_bus_add(&bus, &dev), 1);
	ck_assert_int_eq(pci_bus_add(&bus, &dev2), 2);
	ck_assert_int_eq(dev.slot, 1);
	ck_assert_ptr_eq(dev.bus, &bus);
	ck_assert_uint_eq(cfg1_read(1, 0, 4), 0x10411af4);
	ck_assert_uint_eq(cfg1_read(2, 0, 4), 0x10d38086);
	ck_assert_uint_eq(cfg1_read(1, 0x0a, 2), 0x0200);
	cfg1_write(1, PCI_INTERRUPT_LINE, 1, 0x21);
	ck_assert_uint_eq(dev.cfg[PCI_INTERRUPT_LINE], 0x21);
	ck_assert_uint_eq(dev2.cfg[PCI_INTERRUPT_LINE], 0);
	cfg1_write(2, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	ck_assert_uint_eq(cfg1_read(2, PCI_COMMAND, 2), PCI_COMMAND_MASTER);
	ck_assert_uint_eq(cfg1_read(1, PCI_COMMAND, 2), 0);
}
END_TEST

/* pci_bus_add_at: the slot asked for when it is free, else the first free
 * one (a device plugged again after a reboot keeps its slot). */
START_TEST(add_at_slot)
{
	ck_assert_int_eq(pci_bus_add_at(&bus, &dev, 12), 12);
	ck_assert_int_eq(dev.slot, 12);
	ck_assert_ptr_eq(bus.slot[12], &dev);
	ck_assert_uint_eq(cfg1_read(12, 0, 4), 0x10411af4);
	ck_assert_int_eq(pci_bus_add_at(&bus, &dev2, 12), 1);
	ck_assert_int_eq(dev2.slot, 1);
}
END_TEST

START_TEST(add_at_any)
{
	ck_assert_int_eq(pci_bus_add_at(&bus, &dev, 0), 1);
	ck_assert_int_eq(pci_bus_add_at(&bus, &dev2, PCI_MAX_SLOTS), 2);
}
END_TEST

START_TEST(ecam_access)
{
	ck_assert_int_eq(pci_bus_add(&bus, &dev), 1);
	ck_assert_uint_eq(io_bus_read(&mmio, MEM_ECAM_START, 4), 0x00081b36);
	ck_assert_uint_eq(io_bus_read(&mmio, MEM_ECAM_START + (1 << 15), 4), 0x10411af4);
	ck_assert_uint_eq(io_bus_read(&mmio, MEM_ECAM_START + (1 << 15) + 2, 2), 0x1041);
	ck_assert_uint_eq((uint32_t)io_bus_read(&mmio, MEM_ECAM_START + (2 << 15), 4),
			  0xffffffff);
	ck_assert_uint_eq((uint32_t)io_bus_read(&mmio, MEM_ECAM_START + (1 << 15) + (1 << 12), 4),
			  0xffffffff);
	ck_assert_uint_eq((uint32_t)io_bus_read(&mmio, MEM_ECAM_START + (1 << 20), 4),
			  0xffffffff);
	/* Extended config space reads as zero; an 8-byte access is refused. */
	ck_assert_uint_eq(io_bus_read(&mmio, MEM_ECAM_START + (1 << 15) + 0x100, 4), 0);
	ck_assert_uint_eq(io_bus_read(&mmio, MEM_ECAM_START + (1 << 15), 8), ~0ULL);
	io_bus_write(&mmio, MEM_ECAM_START + (1 << 15) + PCI_INTERRUPT_LINE, 1, 0x33);
	ck_assert_uint_eq(dev.cfg[PCI_INTERRUPT_LINE], 0x33);
	io_bus_write(&mmio, MEM_ECAM_START + (1 << 15) + PCI_INTERRUPT_LINE - 3, 4, 0x44);
	ck_assert_uint_eq(dev.cfg[PCI_INTERRUPT_LINE], 0x33);
}
END_TEST

/* arm64's bus: config space by ECAM only (16 buses, 16 MiB), no CF8/CFC on
 * the port bus; an I/O BAR is still placed on the port bus (the I/O window
 * reaches it through MMIO). */
START_TEST(ecam_only_bus)
{
	const uint64_t ecam = 0x3f000000;

	memset(&pio, 0, sizeof(pio));
	memset(&mmio, 0, sizeof(mmio));
	ck_assert_int_eq(pci_bus_init_ecam(&bus, &pio, &mmio, ecam, 16, 0x10000000, 0x2eff0000,
					   0x8000000000ULL, 0x8000000000ULL), 0);
	ck_assert_int_eq(pio.n, 0);
	ck_assert_int_eq(mmio.n, 1);
	ck_assert_uint_eq(mmio.r[0].base, ecam);
	ck_assert_uint_eq(mmio.r[0].len, 16ULL << 20);
	ck_assert_uint_eq((uint32_t)io_bus_read(&pio, 0xcfc, 4), 0xffffffff);
	ck_assert_int_eq(pci_bus_add(&bus, &dev), 1);
	ck_assert_uint_eq(io_bus_read(&mmio, ecam, 4), 0x00081b36);
	ck_assert_uint_eq(io_bus_read(&mmio, ecam + (1 << 15), 4), 0x10411af4);
	/* bus 15 is decoded (nothing there), bus 16 is past the ECAM */
	ck_assert_uint_eq((uint32_t)io_bus_read(&mmio, ecam + (15ULL << 20), 4), 0xffffffff);
	ck_assert_uint_eq((uint32_t)io_bus_read(&mmio, ecam + (16ULL << 20), 4), 0xffffffff);
	ck_assert_int_eq(mmio.n, 1);
	/* no buses, or more than PCI has, is refused */
	ck_assert_int_eq(pci_bus_init_ecam(&bus, &pio, &mmio, ecam, 0, 0, 0, 0, 0), -1);
	ck_assert_int_eq(pci_bus_init_ecam(&bus, &pio, &mmio, ecam, 257, 0, 0, 0, 0), -1);
}
END_TEST

START_TEST(reset_port)
{
	io_bus_write(&pio, 0xcf9, 1, 0x06);     /* no hook: nothing happens */
	bus.reset_request = reset_cb;
	bus.reset_opaque = &resets;
	io_bus_write(&pio, 0xcf9, 1, 0x02);
	ck_assert_int_eq(resets, 0);
	io_bus_write(&pio, 0xcf9, 2, 0x0606);
	ck_assert_int_eq(resets, 0);
	io_bus_write(&pio, 0xcf9, 1, 0x06);
	ck_assert_int_eq(resets, 1);
	/* The address register is not disturbed by 0xcf9. */
	io_bus_write(&pio, 0xcf8, 4, CF8(0, 0));
	io_bus_write(&pio, 0xcf9, 1, 0x06);
	ck_assert_int_eq(resets, 2);
	ck_assert_uint_eq(io_bus_read(&pio, 0xcf8, 4), CF8(0, 0));
}
END_TEST

START_TEST(bar_assignment)
{
	ck_assert_int_eq(pci_bus_add(&bus, &dev), 1);
	ck_assert_int_eq(pci_bus_add(&bus, &dev2), 2);
	ck_assert_uint_eq(pci_cfg_read(&dev, PCI_BASE_ADDRESS_0, 4), 0xc0000000);
	ck_assert_uint_eq(pci_cfg_read(&dev, PCI_BASE_ADDRESS_0 + 4, 4), 0x1001);
	ck_assert_uint_eq(pci_cfg_read(&dev, PCI_BASE_ADDRESS_0 + 8, 4), 0x0000000c);
	ck_assert_uint_eq(pci_cfg_read(&dev, PCI_BASE_ADDRESS_0 + 12, 4), 0x8);
	ck_assert_uint_eq(pci_bar_address(&dev, 2), PCI64_BASE);
	/* dev2's 64 KiB BAR is naturally aligned after dev's 4 KiB one. */
	ck_assert_uint_eq(pci_bar_address(&dev2, 0), 0xc0010000);
	ck_assert_uint_eq(pci_bar_address(&dev2, 1), 0x1100);
	ck_assert_uint_eq(bus.mem32_next, 0xc0020000);
	/* Nothing is mapped until the guest enables decoding. */
	ck_assert_int_eq(mmio.n, 1);
	ck_assert_int_eq(pio.n, 2);
	ck_assert(!dev.bar[0].mapped);
}
END_TEST

START_TEST(bar_does_not_fit)
{
	static struct pci_device big;
	char err[256] = "";

	/* 1 GiB does not fit the 512 MiB 32-bit window: the device is still
	 * plugged, and placing the bus names device, BAR, size and window. */
	pci_device_init(&big, "big", 0x1234, 0x1, 0, 0);
	pci_device_set_bar(&big, 0, 1ULL << 30, 0, bar_read, bar_write, &big);
	ck_assert_int_eq(pci_bus_add(&bus, &dev), 1);
	ck_assert_int_eq(pci_bus_add(&bus, &big), 2);
	ck_assert_uint_eq(pci_bar_address(&big, 0), 0);
	ck_assert_int_eq(pci_bus_assign_all(&bus, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "big: BAR0 of 1 GiB does not fit the 32-bit PCI window "
			 "0xc0000000-0xdfffffff (512 MiB free from 0xc0000000, and a BAR "
			 "must be aligned to its size)");
	/* 512 MiB fills the window: the next BAR does not fit, and the message
	 * names the one that took the room. */
	pci_device_set_bar(&big, 0, 512ULL << 20, 0, bar_read, bar_write, &big);
	err[0] = 0;
	ck_assert_int_eq(pci_bus_assign_all(&bus, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "dev: BAR0 of 4 KiB does not fit the 32-bit PCI window "
			 "0xc0000000-0xdfffffff (0 bytes free from 0xe0000000, and a BAR "
			 "must be aligned to its size; the largest BAR in it is big BAR0 of 512 MiB)");
	/* 64-bit: 64 GiB window, a 128 GiB BAR does not fit either. */
	pci_device_set_bar(&big, 0, 128ULL << 30, PCI_BASE_ADDRESS_MEM_TYPE_64, bar_read, bar_write, &big);
	err[0] = 0;
	ck_assert_int_eq(pci_bus_assign_all(&bus, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "big: BAR0 of 128 GiB does not fit the 64-bit PCI window"));
	/* 64 GiB is the window's size, but 64 GiB-aligned it would end beyond
	 * the window (which starts at 32 GiB); 32 GiB fits, aligned, first. */
	pci_device_set_bar(&big, 0, 64ULL << 30, PCI_BASE_ADDRESS_MEM_TYPE_64, bar_read, bar_write, &big);
	ck_assert_int_eq(pci_bus_assign_all(&bus, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "64 GiB free from 0x800000000"));
	pci_device_set_bar(&big, 0, 32ULL << 30, PCI_BASE_ADDRESS_MEM_TYPE_64, bar_read, bar_write, &big);
	pci_device_set_bar(&dev, 2, 0, 0, NULL, NULL, NULL);
	ck_assert_msg(pci_bus_assign_all(&bus, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(pci_bar_address(&big, 0), PCI64_BASE);
}
END_TEST

/* Largest first, naturally aligned, per window, whatever the plug order. */
START_TEST(bar_largest_first)
{
	static struct pci_device small, huge;
	char err[256] = "";

	pci_device_init(&small, "small", 0x1234, 0x2, 0, 0);
	pci_device_set_bar(&small, 0, 0x4000, 0, bar_read, bar_write, &small);
	pci_device_set_bar(&small, 2, 0x200000, PCI_BASE_ADDRESS_MEM_TYPE_64, bar_read, bar_write, &small);
	pci_device_init(&huge, "huge", 0x1234, 0x3, 0, 0);
	pci_device_set_bar(&huge, 0, 0x10000000, 0, bar_read, bar_write, &huge);
	pci_device_set_bar(&huge, 2, 16ULL << 30, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH,
			   bar_read, bar_write, &huge);
	ck_assert_int_eq(pci_bus_add(&bus, &small), 1);
	ck_assert_int_eq(pci_bus_add(&bus, &dev), 2);
	ck_assert_int_eq(pci_bus_add(&bus, &huge), 3);
	ck_assert_int_eq(pci_bus_assign_all(&bus, err, sizeof(err)), 0);
	/* 32-bit: 256 MiB, 64 KiB... dev's 4 KiB and small's 16 KiB. */
	ck_assert_uint_eq(pci_bar_address(&huge, 0), 0xc0000000);
	ck_assert_uint_eq(pci_bar_address(&small, 0), 0xd0000000);
	ck_assert_uint_eq(pci_bar_address(&dev, 0), 0xd0004000);
	/* 64-bit: 16 GiB at the (16 GiB-aligned) base, then 2 MiB, then 1 MiB. */
	ck_assert_uint_eq(pci_bar_address(&huge, 2), PCI64_BASE);
	ck_assert_uint_eq(pci_bar_address(&small, 2), PCI64_BASE + (16ULL << 30));
	ck_assert_uint_eq(pci_bar_address(&dev, 2), PCI64_BASE + (16ULL << 30) + 0x200000);
	/* Every address is a multiple of its size; type bits survive. */
	ck_assert_uint_eq(pci_bar_address(&dev, 2) % 0x100000, 0);
	ck_assert_uint_eq(cfg1_read(3, PCI_BASE_ADDRESS_0 + 8, 4) & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	ck_assert_uint_eq(pci_bar_address(&dev, 1), 0x1000);    /* I/O */
}
END_TEST

START_TEST(bus_full)
{
	static struct pci_device many[PCI_MAX_SLOTS];
	int i;

	for (i = 1; i < PCI_MAX_SLOTS; i++) {
		pci_device_init(&many[i], "n", 0x1234, (uint16_t)i, 0, 0);
		ck_assert_int_eq(pci_bus_add(&bus, &many[i]), i);
	}
	pci_device_init(&many[0], "n", 0x1234, 0, 0, 0);
	ck_assert_int_eq(pci_bus_add(&bus, &many[0]), -1);
	ck_assert_uint_eq(cfg1_read(31, 0, 4), 0x001f1234);
}
END_TEST

START_TEST(bar_decode_mapping)
{
	ck_assert_int_eq(pci_bus_add(&bus, &dev), 1);
	ck_assert_uint_eq(io_bus_read(&mmio, 0xc0000010, 4), ~0ULL);

	cfg1_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert(dev.bar[0].mapped);
	ck_assert_uint_eq(dev.bar[0].addr, 0xc0000000);
	ck_assert_uint_eq(io_bus_read(&mmio, 0xc0000010, 4), 0xab000010);
	ck_assert_ptr_eq(seen.opaque, &dev);
	ck_assert_uint_eq(seen.size, 4);
	io_bus_write(&mmio, 0xc0000ffc, 4, 0xcafe);
	ck_assert_int_eq(seen.writes, 1);
	ck_assert_uint_eq(seen.off, 0xffc);
	ck_assert_uint_eq(seen.val, 0xcafe);
	ck_assert_uint_eq(io_bus_read(&mmio, 0xc0001000, 4), ~0ULL);
	/* The 64-bit BAR is mapped too, the I/O BAR is not. */
	ck_assert_uint_eq(io_bus_read(&mmio, PCI64_BASE + 0xfff00, 8), 0xab0fff00);
	ck_assert_ptr_eq(seen.opaque, &bus);
	ck_assert_uint_eq(io_bus_read(&pio, 0x1000, 1), ~0ULL);

	cfg1_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	ck_assert_uint_eq(io_bus_read(&pio, 0x1004, 1), 0xab000004);
	ck_assert_ptr_eq(seen.opaque, &seen);

	/* Moving the BAR moves the mapping. */
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, 0xc0100000);
	ck_assert_uint_eq(dev.bar[0].addr, 0xc0100000);
	ck_assert_uint_eq(io_bus_read(&mmio, 0xc0000010, 4), ~0ULL);
	ck_assert_uint_eq(io_bus_read(&mmio, 0xc0100020, 4), 0xab000020);

	/* Disabling memory decode removes both memory BARs. */
	cfg1_write(1, PCI_COMMAND, 2, PCI_COMMAND_IO);
	ck_assert(!dev.bar[0].mapped);
	ck_assert(!dev.bar[2].mapped);
	ck_assert(dev.bar[1].mapped);
	ck_assert_uint_eq(io_bus_read(&mmio, 0xc0100020, 4), ~0ULL);
	ck_assert_uint_eq(io_bus_read(&mmio, PCI64_BASE, 4), ~0ULL);
	ck_assert_int_eq(mmio.n, 1);
	cfg1_write(1, PCI_COMMAND, 2, 0);
	ck_assert_int_eq(pio.n, 2);
}
END_TEST

START_TEST(bar_insane_addresses)
{
	ck_assert_int_eq(pci_bus_add(&bus, &dev), 1);
	cfg1_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	ck_assert(dev.bar[0].mapped);

	/* Overlapping ECAM: refused by the bus, ECAM still works. */
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, (uint32_t)MEM_ECAM_START);
	ck_assert(!dev.bar[0].mapped);
	ck_assert_uint_eq(io_bus_read(&mmio, MEM_ECAM_START, 4), 0x00081b36);
	ck_assert_uint_eq(io_bus_read(&mmio, 0xc0000000, 4), ~0ULL);
	/* Back to a free spot: mapped again. */
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, 0xc0000000);
	ck_assert(dev.bar[0].mapped);
	ck_assert_uint_eq(io_bus_read(&mmio, 0xc0000004, 4), 0xab000004);

	/* Address 0 and a 64-bit BAR sized with all-ones do not decode. */
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, 0);
	ck_assert(!dev.bar[0].mapped);
	cfg1_write(1, PCI_BASE_ADDRESS_0 + 8, 4, 0xffffffff);
	cfg1_write(1, PCI_BASE_ADDRESS_0 + 12, 4, 0xffffffff);
	ck_assert(!dev.bar[2].mapped);
	ck_assert_int_eq(mmio.n, 1);
	/* An I/O BAR must end below 64 KiB. */
	cfg1_write(1, PCI_BASE_ADDRESS_0 + 4, 4, 0x1ff00);
	ck_assert(!dev.bar[1].mapped);
	cfg1_write(1, PCI_BASE_ADDRESS_0 + 4, 4, 0xff00);
	ck_assert(dev.bar[1].mapped);
	ck_assert_uint_eq(io_bus_read(&pio, 0xffff, 1), 0xab0000ff);
	/* Over the config ports: refused. */
	cfg1_write(1, PCI_BASE_ADDRESS_0 + 4, 4, 0xc00);
	ck_assert(!dev.bar[1].mapped);
	ck_assert_uint_eq(io_bus_read(&pio, 0xcf8, 4), CF8(1, PCI_BASE_ADDRESS_0 + 4));

	/* Unmapping everything (on exit) leaves only the bus's own ranges. */
	cfg1_write(1, PCI_BASE_ADDRESS_0 + 4, 4, 0x1000);
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, 0xc0000000);
	ck_assert_int_eq(mmio.n, 2);
	ck_assert_int_eq(pio.n, 3);
	pci_bus_destroy(&bus);
	ck_assert(!dev.bar[0].mapped);
	ck_assert(!dev.bar[1].mapped);
	ck_assert_int_eq(mmio.n, 1);
	ck_assert_int_eq(pio.n, 2);
}
END_TEST

/* What the bus told a device through its ops, in order. */
static char calls[256];

static void note(const char *what, int bar, uint64_t addr, bool on_bus)
{
	size_t n = strlen(calls);

	snprintf(calls + n, sizeof(calls) - n, "%s%s%d@%llx%s", n ? " " : "", what, bar,
		 (unsigned long long)addr, on_bus ? "+" : "-");
}

static void ops_map(struct pci_device *d, int bar, uint64_t addr)
{
	note("map", bar, addr, io_bus_read(&mmio, addr, 4) != ~0ULL);
}

static void ops_unmap(struct pci_device *d, int bar, uint64_t addr)
{
	note("unmap", bar, addr, io_bus_read(&mmio, addr, 4) != ~0ULL);
}

static void ops_teardown(struct pci_device *d)
{
	note("teardown", d->slot, d->bar[0].mapped, d->bus->slot[d->slot] == d);
}

static const struct pci_device_ops counting_ops = {
	.kind = "counting", .bar_map = ops_map, .bar_unmap = ops_unmap,
	.teardown = ops_teardown,
};

/* The bus decodes and calls down: bar_map once the trapped range is on the
 * MMIO bus, bar_unmap while it still is, teardown after unplugging. */
START_TEST(ops_called_by_the_bus)
{
	calls[0] = '\0';
	dev.ops = &counting_ops;
	ck_assert_int_eq(pci_bus_add(&bus, &dev), 1);
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, 0xc0000000);
	cfg1_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert_str_eq(calls, "map0@c0000000+ map2@800000000+");
	calls[0] = '\0';
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, 0xc0010000);         /* a move: off, then on */
	ck_assert_str_eq(calls, "unmap0@c0000000+ map0@c0010000+");
	calls[0] = '\0';
	pci_bus_remove(&bus, &dev);
	ck_assert_str_eq(calls, "unmap0@c0010000+ unmap2@800000000+ teardown1@0-");
	ck_assert_ptr_null(bus.slot[1]);
	ck_assert_int_eq(mmio.n, 1);                    /* ECAM alone */
	dev.ops = NULL;
}
END_TEST

/* Firmware sizes a 32-bit BAR with all-ones while memory decode is on: the
 * pattern (0xfffe0000 for 128 KiB) lands on the firmware image, reserved,
 * so the BAR is simply not mapped and nothing is said; the same for RAM
 * and the LAPIC window. A sane address maps as usual. */
START_TEST(bar_over_reserved_not_decoded)
{
	struct pci_device nic;

	pci_device_init(&nic, "nic", 0x8086, 0x10d3, 0x020000, 0);
	pci_device_set_bar(&nic, 0, 0x20000, 0, bar_read, bar_write, &nic);
	ck_assert_int_eq(pci_bus_reserve(&bus, 0, 256ULL << 20), 0);        /* RAM */
	ck_assert_int_eq(pci_bus_reserve(&bus, 0xfee00000, 0x100000), 0);   /* LAPIC */
	ck_assert_int_eq(pci_bus_reserve(&bus, 0xfffc0000, 0x40000), 0);    /* firmware */
	ck_assert_int_eq(pci_bus_add(&bus, &nic), 1);
	cfg1_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert(nic.bar[0].mapped);
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	ck_assert_uint_eq(cfg1_read(1, PCI_BASE_ADDRESS_0, 4), 0xfffe0000);
	ck_assert(!nic.bar[0].mapped);
	ck_assert_int_eq(mmio.n, 1);
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, 0x00100000);                         /* RAM */
	ck_assert(!nic.bar[0].mapped);
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, 0xfee20000);                         /* LAPIC */
	ck_assert(!nic.bar[0].mapped);
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, 0x0ffe0000);                 /* RAM's last 128 KiB */
	ck_assert(!nic.bar[0].mapped);
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, 0x10000000);                 /* just above RAM */
	ck_assert(nic.bar[0].mapped);
	ck_assert_uint_eq(io_bus_read(&mmio, 0x10000004, 4), 0xab000004);
	cfg1_write(1, PCI_BASE_ADDRESS_0, 4, 0xfebe0000);                 /* below the IOAPIC */
	ck_assert(nic.bar[0].mapped);
	ck_assert_uint_eq(nic.bar[0].addr, 0xfebe0000);
	pci_bus_destroy(&bus);
	ck_assert_int_eq(mmio.n, 1);
}
END_TEST

/* An expansion ROM decodes only while enabled and memory decode is on,
 * at what the guest wrote; its enable bit and size mask are the bus's. */
START_TEST(rom_decoding)
{
	pci_device_set_rom(&dev, 0x10000, bar_read, bar_write, &seen);
	ck_assert_int_eq(pci_bus_add(&bus, &dev), 1);
	cfg1_write(1, PCI_ROM_ADDRESS, 4, 0xffffffff);
	ck_assert_uint_eq(cfg1_read(1, PCI_ROM_ADDRESS, 4), 0xffff0001);
	ck_assert(!dev.bar[PCI_ROM_BAR].mapped);                /* decode off */
	cfg1_write(1, PCI_ROM_ADDRESS, 4, 0xc8000000);
	cfg1_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert(!dev.bar[PCI_ROM_BAR].mapped);                /* not enabled */
	cfg1_write(1, PCI_ROM_ADDRESS, 4, 0xc8000001);
	ck_assert(dev.bar[PCI_ROM_BAR].mapped);
	ck_assert_uint_eq(dev.bar[PCI_ROM_BAR].addr, 0xc8000000);
	ck_assert_uint_eq(io_bus_read(&mmio, 0xc8000010, 4), 0xab000010);
	ck_assert_ptr_eq(seen.opaque, &seen);
	cfg1_write(1, PCI_ROM_ADDRESS, 4, 0xc8010001);                  /* moved */
	ck_assert_uint_eq(dev.bar[PCI_ROM_BAR].addr, 0xc8010000);
	ck_assert_uint_eq(io_bus_read(&mmio, 0xc8000010, 4), ~0ULL);
	cfg1_write(1, PCI_COMMAND, 2, 0);
	ck_assert(!dev.bar[PCI_ROM_BAR].mapped);
}
END_TEST

Suite *pci_suite(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("config_space");
	TCase *tb = tcase_create("bus");

	tcase_add_test(tc, identity_read_only);
	tcase_add_test(tc, command_mask);
	tcase_add_test(tc, bad_accesses);
	tcase_add_test(tc, bar_sizing_32);
	tcase_add_test(tc, bar_sizing_64);
	tcase_add_test(tc, bar_sizing_io);
	tcase_add_test(tc, capabilities);
	tcase_add_test(tc, capabilities_full);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tb, bus_setup, NULL);
	tcase_add_test(tb, mech1_host_bridge);
	tcase_add_test(tb, mech1_endpoint);
	tcase_add_test(tb, add_at_slot);
	tcase_add_test(tb, add_at_any);
	tcase_add_test(tb, ecam_access);
	tcase_add_test(tb, ecam_only_bus);
	tcase_add_test(tb, reset_port);
	tcase_add_test(tb, bar_assignment);
	tcase_add_test(tb, bar_does_not_fit);
	tcase_add_test(tb, bar_largest_first);
	tcase_add_test(tb, bus_full);
	tcase_add_test(tb, bar_decode_mapping);
	tcase_add_test(tb, bar_insane_addresses);
	tcase_add_test(tb, ops_called_by_the_bus);
	tcase_add_test(tb, bar_over_reserved_not_decoded);
	tcase_add_test(tb, rom_decoding);
	suite_add_tcase(s, tb);
	return s;
}
