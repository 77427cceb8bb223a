/* ACPI tables: the guest learns its CPUs (MADT), the ECAM window (MCFG), the
 * PCI root bridge with its windows and INTx routing (DSDT), and how to power
 * off and reset (FADT PM1a control + \_S5, reset register), the
 * fixed-feature power button, and with hotplug_slots the ACPI PCI hotplug
 * slots and their GPE (devices/acpi_hotplug.c describes the AML's side).
 * Linux's x86 cloud kernels have no MP-table support, so this is the only
 * way in. */
#include <stdio.h>
#include <string.h>
#include "../../devices/acpi_hotplug.h"
#include "../../devices/acpi_pm.h"
#include "../../devices/pci.h"
#include "acpi.h"
#include "aml.h"
#include "../../vmm/memmap.h"

#define OEM_ID       "CONDUI"
#define OEM_TABLE_ID "CONDUIT "

struct builder {
	uint8_t *base;
	uint64_t gpa;
	size_t len, used;
};

static uint8_t *alloc(struct builder *b, size_t n, size_t align, uint64_t *gpa)
{
	size_t off = (b->used + align - 1) & ~(align - 1);

	if (off > b->len || n > b->len - off)
		return NULL;
	b->used = off + n;
	*gpa = b->gpa + off;
	memset(b->base + off, 0, n);
	return b->base + off;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }

uint8_t acpi_checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum += *p++;
	return sum;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put32(t + 24, 1);
	memcpy(t + 28, "CNDT", 4);
	put32(t + 32, 1);
}

static void finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = (uint8_t)-acpi_checksum(t, len);
}

/* Resource descriptors (ACPI 6.4 section 6.4). */
static void rd_word(struct aml *r, uint8_t type, uint8_t tflags,
		    uint16_t min, uint16_t max)
{
	uint8_t d[16] = { 0x88, 13, 0, type, 0x0c, tflags };

	put16(d + 8, min);
	put16(d + 10, max);
	put16(d + 14, (uint16_t)(max - min + 1));
	aml_bytes(r, d, sizeof(d));
}

static void rd_dword_mem(struct aml *r, uint32_t min, uint32_t size)
{
	uint8_t d[26] = { 0x87, 23, 0, 0, 0x0c, 0x01 };

	put32(d + 10, min);
	put32(d + 14, min + size - 1);
	put32(d + 22, size);
	aml_bytes(r, d, sizeof(d));
}

static void rd_qword_mem(struct aml *r, uint64_t min, uint64_t size)
{
	uint8_t d[46] = { 0x8a, 43, 0, 0, 0x0c, 0x03 };

	put64(d + 14, min);
	put64(d + 22, min + size - 1);
	put64(d + 38, size);
	aml_bytes(r, d, sizeof(d));
}

static void rd_io(struct aml *r, uint16_t port, uint8_t len)
{
	uint8_t d[8] = { 0x47, 1, 0, 0, 0, 0, 1, len };

	put16(d + 2, port);
	put16(d + 4, port);
	aml_bytes(r, d, sizeof(d));
}

static void rd_mem32_fixed(struct aml *r, uint32_t base, uint32_t size)
{
	uint8_t d[12] = { 0x86, 9, 0, 1 };

	put32(d + 4, base);
	put32(d + 8, size);
	aml_bytes(r, d, sizeof(d));
}

static void rd_end(struct aml *r)
{
	aml_byte(r, 0x79);
	aml_byte(r, 0);
}

static void name_crs(struct aml *a, struct aml *r)
{
	rd_end(r);
	aml_name(a, "_CRS");
	aml_buffer(a, r->buf, r->len);
	if (r->failed)
		a->failed = true;
	aml_free(r);
}

static void slot_name(char name[5], unsigned slot)
{
	snprintf(name, 5, "S%02X", slot & 0xff);
}

/* Store(value, name) */
static void store_int(struct aml *a, uint64_t value, const char *name)
{
	aml_store(a);
	aml_integer(a, value);
	aml_namestring(a, name);
}

/* Device(Sxx) { Name(_ADR, slot << 16) Name(_SUN, slot)
 *               Method(_EJ0, 1) { Store(1 << slot, HEJC) } } */
static void dsdt_slot(struct aml *a, unsigned slot)
{
	char name[5];
	size_t dev, m;

	slot_name(name, slot);
	dev = aml_device_open(a, name);
	aml_name(a, "_ADR");
	aml_integer(a, (uint64_t)slot << 16);
	aml_name(a, "_SUN");
	aml_integer(a, slot);
	m = aml_method_open(a, "_EJ0", 1, false);
	store_int(a, 1ULL << slot, "HEJC");
	aml_close(a, m);
	aml_close(a, dev);
}

/* If (And(LocalN, 1 << slot, Zero)) { Notify(Sxx, event) } */
static void notify_if(struct aml *a, unsigned local, unsigned slot, unsigned event)
{
	char name[5];
	size_t m;

	slot_name(name, slot);
	m = aml_if_open(a);
	aml_and(a);
	aml_local(a, local);
	aml_integer(a, 1ULL << slot);
	aml_null_name(a);
	aml_notify(a);
	aml_namestring(a, name);
	aml_integer(a, event);
	aml_close(a, m);
}

/* Store(reg, LocalN) Store(LocalN, reg): take the bits and acknowledge
 * exactly those (the register is write-1-to-clear). */
static void take_bits(struct aml *a, const char *reg, unsigned local)
{
	aml_store(a);
	aml_namestring(a, reg);
	aml_local(a, local);
	aml_store(a);
	aml_local(a, local);
	aml_namestring(a, reg);
}

/* PCNT: Device Check (1) for each slot plugged, Eject Request (3) for
 * each slot whose removal is asked. */
static void dsdt_pcnt(struct aml *a, uint32_t slots)
{
	unsigned slot;
	size_t m;

	m = aml_method_open(a, "PCNT", 0, true);
	take_bits(a, "HINS", 0);
	take_bits(a, "HREM", 1);
	for (slot = 1; slot < 32; slot++)
		if (slots & (1U << slot))
			notify_if(a, 0, slot, 1);
	for (slot = 1; slot < 32; slot++)
		if (slots & (1U << slot))
			notify_if(a, 1, slot, 3);
	aml_close(a, m);
}

/* Inside \_SB.PCI0: the hotplug registers, a Device per slot, PCNT. */
static void dsdt_hotplug(struct aml *a, uint32_t slots)
{
	size_t f;
	unsigned slot;

	aml_operation_region(a, "HPIO", AML_SPACE_SYSTEM_IO, ACPI_HP_PORT, ACPI_HP_LEN);
	f = aml_field_open(a, "HPIO", AML_FIELD_DWORD_ACC | AML_FIELD_WRITE_ZEROS);
	aml_field_unit(a, "HINS", 32);
	aml_field_unit(a, "HREM", 32);
	aml_field_unit(a, "HEJC", 32);
	aml_field_unit(a, "HSLT", 32);
	aml_close(a, f);
	for (slot = 1; slot < 32; slot++)
		if (slots & (1U << slot))
			dsdt_slot(a, slot);
	dsdt_pcnt(a, slots);
}

/* \_GPE._E01: the hotplug GPE (edge: its status is latched). */
static void dsdt_gpe(struct aml *a)
{
	char name[5];
	size_t scope, m;

	snprintf(name, sizeof(name), "_E%02X", ACPI_GPE_PCI_HOTPLUG);
	scope = aml_scope_open(a, "\\_GPE");
	m = aml_method_open(a, name, 0, false);
	aml_namestring(a, "\\_SB.PCI0.PCNT");
	aml_close(a, m);
	aml_close(a, scope);
}

static void dsdt_pci0(struct aml *a, const struct acpi_params *p)
{
	struct aml r;
	size_t dev, prt, ent;
	unsigned slot, pin;

	dev = aml_device_open(a, "PCI0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A08");
	aml_name(a, "_CID");
	aml_eisaid(a, "PNP0A03");
	aml_name(a, "_SEG");
	aml_integer(a, 0);
	aml_name(a, "_BBN");
	aml_integer(a, 0);
	aml_name(a, "_UID");
	aml_integer(a, 0);

	/* The windows are the bus's whole windows (pci_bus_init gets the same
	 * bases and sizes), not what boot-time BARs use: a hot-added device's
	 * BARs are assigned by the guest inside them. */
	aml_init(&r);
	rd_word(&r, 2, 0, 0, (uint16_t)(p->ecam_size / (1 << 20) - 1));
	rd_io(&r, 0xcf8, 8);
	rd_word(&r, 1, 3, 0x0000, 0x0cf7);
	rd_word(&r, 1, 3, 0x0d00, 0xffff);
	rd_dword_mem(&r, (uint32_t)p->pci32_base, (uint32_t)p->pci32_size);
	rd_qword_mem(&r, p->pci64_base, p->pci64_size);
	name_crs(a, &r);

	aml_name(a, "_PRT");
	prt = aml_package_open(a, 31 * 4);
	for (slot = 1; slot < 32; slot++) {
		for (pin = 0; pin < 4; pin++) {
			ent = aml_package_open(a, 4);
			aml_integer(a, (uint64_t)slot << 16 | 0xffff);
			aml_integer(a, pin);
			aml_integer(a, 0);
			aml_integer(a, pci_intx_gsi(slot, pin));
			aml_close(a, ent);
		}
	}
	aml_close(a, prt);
	if (p->hotplug_slots)
		dsdt_hotplug(a, p->hotplug_slots);
	aml_close(a, dev);
}

/* The ECAM window is a motherboard resource, so Linux trusts MCFG. */
static void dsdt_res0(struct aml *a, const struct acpi_params *p)
{
	struct aml r;
	size_t dev;

	dev = aml_device_open(a, "RES0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0C02");
	aml_init(&r);
	rd_mem32_fixed(&r, (uint32_t)p->ecam_base, (uint32_t)p->ecam_size);
	if (p->hotplug_slots)
		rd_io(&r, ACPI_HP_PORT, ACPI_HP_LEN);
	name_crs(a, &r);
	aml_close(a, dev);
}

static uint8_t *build_dsdt(struct builder *b, const struct acpi_params *p,
			   uint64_t *gpa)
{
	struct aml a;
	size_t scope, pkg;
	uint8_t *t = NULL;

	aml_init(&a);
	scope = aml_scope_open(&a, "\\_SB_");
	dsdt_pci0(&a, p);
	dsdt_res0(&a, p);
	aml_close(&a, scope);
	if (p->hotplug_slots)
		dsdt_gpe(&a);
	aml_name(&a, "_S5_");
	pkg = aml_package_open(&a, 4);
	aml_integer(&a, ACPI_S5_SLP_TYP);
	aml_integer(&a, ACPI_S5_SLP_TYP);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_close(&a, pkg);
	if (a.failed)
		goto out;
	t = alloc(b, 36 + a.len, 16, gpa);
	if (!t)
		goto out;
	header(t, "DSDT", 36 + a.len, 2);
	memcpy(t + 36, a.buf, a.len);
	finish(t, 36 + a.len);
out:
	aml_free(&a);
	return t;
}

/* A generic address structure for count bytes of system I/O at port. */
static void gas_io(uint8_t *g, uint16_t port, uint8_t count)
{
	g[0] = 1;
	g[1] = (uint8_t)(8 * count);
	g[2] = 0;
	g[3] = 1;               /* byte access */
	put64(g + 4, port);
}

static uint8_t *build_fadt(struct builder *b, const struct acpi_params *p,
			   uint64_t dsdt, uint64_t facs, uint64_t *gpa)
{
	uint8_t *t = alloc(b, 276, 16, gpa);

	if (!t)
		return NULL;
	header(t, "FACP", 276, 6);
	put32(t + 36, (uint32_t)facs);
	put32(t + 40, (uint32_t)dsdt);
	put16(t + 46, ACPI_SCI_IRQ);
	put32(t + 56, ACPI_PM1_EVT_PORT);
	put32(t + 64, ACPI_PM1_CNT_PORT);
	t[88] = 4;                      /* PM1_EVT_LEN */
	t[89] = 2;                      /* PM1_CNT_LEN */
	if (p->hotplug_slots) {
		put32(t + 80, ACPI_GPE0_PORT);  /* GPE0_BLK */
		t[92] = ACPI_GPE0_LEN;
		gas_io(t + 220, ACPI_GPE0_PORT, ACPI_GPE0_LEN);        /* X_GPE0_BLK */
	}
	put16(t + 96, 101);             /* C2 latency: no C2 */
	put16(t + 98, 1001);            /* C3 latency: no C3 */
	/* IAPC_BOOT_ARCH: no VGA, no CMOS RTC; no 8042 and no legacy devices. */
	put16(t + 109, 1 << 2 | 1 << 5);
	/* Flags: WBINVD, no sleep button, reset register supported. PWR_BUTTON
	 * (bit 4) is clear: the power button is the fixed-feature one
	 * (PWRBTN_STS/EN in PM1, acpi_pm_power_button). */
	put32(t + 112, 1 << 0 | 1 << 5 | 1 << 10);
	t[116] = 1;                     /* RESET_REG: system I/O */
	t[117] = 8;
	t[119] = 1;
	put64(t + 120, PCI_RESET_PORT);
	t[128] = PCI_RESET_VALUE;
	put64(t + 140, dsdt);           /* X_DSDT */
	memcpy(t + 268, "CONDUIT ", 8); /* hypervisor vendor identity */
	finish(t, 276);
	return t;
}

static uint8_t *build_madt(struct builder *b, const struct acpi_params *p,
			   uint64_t *gpa)
{
	uint32_t len = 44 + 8 * p->n_cpus + 12 + 10 + 6;
	uint8_t *t = alloc(b, len, 16, gpa), *e;
	int i;

	if (!t)
		return NULL;
	header(t, "APIC", len, 5);
	put32(t + 36, (uint32_t)MEM_LAPIC_START);
	put32(t + 40, 1);               /* PCAT_COMPAT: 8259s present */
	e = t + 44;
	for (i = 0; i < p->n_cpus; i++, e += 8) {
		e[0] = 0;               /* processor local APIC */
		e[1] = 8;
		e[2] = (uint8_t)i;      /* ACPI processor UID */
		e[3] = (uint8_t)i;      /* APIC id */
		put32(e + 4, 1);        /* enabled */
	}
	e[0] = 1;                       /* I/O APIC */
	e[1] = 12;
	e[2] = 0;
	put32(e + 4, (uint32_t)MEM_IOAPIC_START);
	put32(e + 8, 0);
	e += 12;
	e[0] = 2;                       /* interrupt source override: SCI */
	e[1] = 10;
	e[3] = ACPI_SCI_IRQ;
	put32(e + 4, ACPI_SCI_IRQ);
	put16(e + 8, 0x000d);           /* level, active high */
	e += 10;
	e[0] = 4;                       /* local APIC NMI on LINT1, all CPUs */
	e[1] = 6;
	e[2] = 0xff;
	e[5] = 1;
	finish(t, len);
	return t;
}

static uint8_t *build_mcfg(struct builder *b, const struct acpi_params *p,
			   uint64_t *gpa)
{
	uint8_t *t = alloc(b, 60, 16, gpa);

	if (!t)
		return NULL;
	header(t, "MCFG", 60, 1);
	put64(t + 44, p->ecam_base);
	put16(t + 52, 0);
	t[54] = 0;
	t[55] = (uint8_t)(p->ecam_size / (1 << 20) - 1);
	finish(t, 60);
	return t;
}

uint64_t acpi_build(const struct acpi_params *p, uint8_t *dst,
		    uint64_t dst_gpa, size_t dst_len)
{
	struct builder b = { dst, dst_gpa, dst_len, 0 };
	uint64_t rsdp = 0, xsdt = 0, facs = 0, dsdt = 0, fadt = 0, madt = 0, mcfg = 0;
	uint8_t *r, *x, *f;

	r = alloc(&b, 36, 16, &rsdp);
	x = alloc(&b, 36 + 3 * 8, 16, &xsdt);
	f = alloc(&b, 64, 64, &facs);
	if (!r || !x || !f || !build_dsdt(&b, p, &dsdt) ||
	    !build_fadt(&b, p, dsdt, facs, &fadt) || !build_madt(&b, p, &madt) ||
	    !build_mcfg(&b, p, &mcfg))
		return 0;
	memcpy(f, "FACS", 4);
	put32(f + 4, 64);
	f[32] = 2;                      /* version */

	header(x, "XSDT", 36 + 3 * 8, 1);
	put64(x + 36, fadt);
	put64(x + 44, madt);
	put64(x + 52, mcfg);
	finish(x, 36 + 3 * 8);

	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, OEM_ID, 6);
	r[15] = 2;
	put32(r + 20, 36);
	put64(r + 24, xsdt);
	r[8] = (uint8_t)-acpi_checksum(r, 20);
	r[32] = (uint8_t)-acpi_checksum(r, 36);
	return rsdp;
}
