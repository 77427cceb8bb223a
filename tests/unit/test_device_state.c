/* Tests of the emulated devices' snapshot state (issue 15): the PCI bus
 * level (devices/pci_state.c), the virtio transport, its queues, MSI-X and
 * virtio-console (devices/virtio_pci_state.c, virtqueue.c, msix.c,
 * virtio_console.c), the UART, the CMOS RTC, fw_cfg, ACPI PM1 and the
 * hotplug/GPE0 block. Each device is brought to a recognisable state through its
 * guest-facing interface, saved, loaded into a device built afresh and
 * compared field by field and by what the guest sees; every refusal is
 * checked with its wording, and every truncation of each device's bytes
 * must fail cleanly. The virtio rigs run on the fake KVM vm fd
 * (tests/support/fake_kvm.c), which records irqfds, routes and ioeventfds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "suites.h"
#include "../../devices/acpi_hotplug.h"
#include "../../devices/acpi_pm.h"
#include "../../devices/cmos.h"
#include "../../devices/fw_cfg.h"
#include "../../devices/pci_state.h"
#include "../../devices/serial.h"
#include "../../devices/virtio_console.h"
#include "../../vmm/event_loop.h"
#include "../../vmm/log.h"
#include "../../vmm/snapshot/cursor.h"
#include "../../vmm/vm.h"
#include "../support/fake_ioctl.h"
#include "../support/fake_kvm.h"

#define ERR_LEN 512

/* ---- saving, loading, truncating ---- */

struct saved {
	uint8_t *p;
	size_t len;
};

typedef int (*save_fn)(void *dev, struct snap_out *out);
/* Build a fresh device and load in into it: the loader's result. */
typedef int (*fresh_load_fn)(struct snap_in *in);

static struct saved save_with(save_fn fn, void *dev)
{
	struct snap_out out;
	struct saved s;

	snap_out_init(&out);
	ck_assert_int_eq(fn(dev, &out), 0);
	ck_assert_int_eq(snap_out_error(&out), 0);
	s.p = malloc(out.len);
	ck_assert_ptr_nonnull(s.p);
	memcpy(s.p, out.buf, out.len);
	s.len = out.len;
	snap_out_free(&out);
	return s;
}

/* Load len bytes of p with fn: 0, or -1 with the loader's line in err. The
 * loader's own result must agree with the cursor's. */
static int load_bytes(fresh_load_fn fn, const uint8_t *p, size_t len, char *err)
{
	struct snap_in in;
	int r, f;

	err[0] = '\0';
	snap_in_init(&in, p, len, 0);
	r = fn(&in);
	f = snap_in_finish(&in, "device state", err, ERR_LEN);
	if (r)
		ck_assert_msg(f == -1, "loader failed, cursor did not");
	return f;
}

/* The saved bytes with one byte changed: must be refused with why. */
static void refused_at(fresh_load_fn fn, const struct saved *s, size_t off,
		       uint8_t v, const char *why)
{
	uint8_t *p = malloc(s->len);
	char err[ERR_LEN];

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_lt(off, s->len);
	memcpy(p, s->p, s->len);
	p[off] = v;
	ck_assert_int_eq(load_bytes(fn, p, s->len, err), -1);
	ck_assert_msg(strstr(err, "device state is invalid: ") == err && strstr(err, why),
		      "wanted \"%s\", got \"%s\"", why, err);
	free(p);
}

/* Every prefix fails as too short; one byte more fails as extra. */
static void truncations(fresh_load_fn fn, const struct saved *s)
{
	uint8_t *p = malloc(s->len + 1);
	char err[ERR_LEN];
	size_t n;

	ck_assert_ptr_nonnull(p);
	memcpy(p, s->p, s->len);
	for (n = 0; n < s->len; n++) {
		ck_assert_int_eq(load_bytes(fn, p, n, err), -1);
		ck_assert_msg(strstr(err, "is too short"), "at %zu: %s", n, err);
	}
	p[s->len] = 0;
	ck_assert_int_eq(load_bytes(fn, p, s->len + 1, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "has 1 bytes more than its fields"));
	ck_assert_int_eq(load_bytes(fn, p, s->len, err), 0);
	free(p);
}

/* ---- the UART ---- */

static struct serial uart, uart2;
static int irq_calls, irq_last;
static char tx_seen[64];
static size_t tx_len;

static void uart_irq(void *opaque, int level)
{
	irq_calls++;
	irq_last = level;
}

static void uart_tx(void *opaque, uint8_t b)
{
	if (tx_len < sizeof(tx_seen))
		tx_seen[tx_len++] = (char)b;
}

static void uart_fresh(struct serial *s)
{
	serial_init(s);
	s->set_irq = uart_irq;
	s->tx = uart_tx;
	s->opaque = s;
}

static void uart_out(struct serial *s, unsigned reg, uint8_t v)
{
	serial_write(s, reg, 1, v);
}

static uint8_t uart_in(struct serial *s, unsigned reg)
{
	return (uint8_t)serial_read(s, reg, 1);
}

/* A guest's setup: 115200 baud (divisor 1), 8N1, FIFOs on, RX and THR
 * interrupts, OUT2 and DTR, a scratch value; then "hello" arrives and the
 * guest reads the first byte. The THR interrupt stays pending. */
static void uart_drive(struct serial *s)
{
	uart_out(s, 3, 0x80);
	uart_out(s, 0, 0x01);
	uart_out(s, 1, 0x00);
	uart_out(s, 3, 0x03);
	uart_out(s, 2, 0xc7);
	uart_out(s, 4, 0x09);
	uart_out(s, 7, 0x5a);
	uart_out(s, 1, 0x03);
	serial_receive(s, (const uint8_t *)"hello", 5);
	ck_assert_uint_eq(uart_in(s, 0), 'h');
}

static int uart_save(void *dev, struct snap_out *out)
{
	return serial_save(dev, out);
}

static int uart_fresh_load(struct snap_in *in)
{
	uart_fresh(&uart2);
	return serial_load(&uart2, in);
}

START_TEST(serial_round_trip)
{
	struct saved s;
	char err[ERR_LEN];
	unsigned r;

	uart_fresh(&uart);
	uart_drive(&uart);
	ck_assert(uart.irq_level);
	s = save_with(uart_save, &uart);
	ck_assert_uint_eq(s.len, 11 + 4);
	irq_calls = 0;
	irq_last = -1;
	ck_assert_int_eq(load_bytes(uart_fresh_load, s.p, s.len, err), 0);
	/* The line is driven to the loaded level on load. */
	ck_assert_int_eq(irq_calls, 1);
	ck_assert_int_eq(irq_last, 1);
	ck_assert_uint_eq(uart2.ier, uart.ier);
	ck_assert_uint_eq(uart2.lcr, uart.lcr);
	ck_assert_uint_eq(uart2.mcr, uart.mcr);
	ck_assert_uint_eq(uart2.scr, uart.scr);
	ck_assert_uint_eq(uart2.dll, uart.dll);
	ck_assert_uint_eq(uart2.dlm, uart.dlm);
	ck_assert_uint_eq(uart2.fcr, uart.fcr);
	ck_assert_int_eq(uart2.thr_ipending, uart.thr_ipending);
	ck_assert_uint_eq(uart2.rx_len, 4);
	/* What the guest sees: every register but the data, then the data. */
	for (r = 1; r < 8; r++)
		ck_assert_uint_eq(uart_in(&uart2, r), uart_in(&uart, r));
	uart_out(&uart2, 3, 0x83);
	ck_assert_uint_eq(uart_in(&uart2, 0), 0x01);
	ck_assert_uint_eq(uart_in(&uart2, 1), 0x00);
	uart_out(&uart2, 3, 0x03);
	ck_assert_uint_eq(uart_in(&uart2, 0), 'e');
	ck_assert_uint_eq(uart_in(&uart2, 0), 'l');
	ck_assert_uint_eq(uart_in(&uart2, 0), 'l');
	ck_assert_uint_eq(uart_in(&uart2, 0), 'o');
	ck_assert_uint_eq(uart_in(&uart2, 5) & 0x01, 0);
	/* The loaded instance transmits as before. */
	tx_len = 0;
	uart_out(&uart2, 0, 'x');
	ck_assert_uint_eq(tx_len, 1);
	ck_assert_int_eq(tx_seen[0], 'x');
	free(s.p);
}
END_TEST

/* Two instances (conduit exec's second UART) keep their own state; an
 * idle line is driven low on load, and a full wrapped FIFO comes back in
 * order. */
START_TEST(serial_two_instances)
{
	static struct serial a, b;
	uint8_t fill[SERIAL_RX_SIZE];
	struct saved sa, sb;
	char err[ERR_LEN];
	unsigned i;

	uart_fresh(&a);
	uart_fresh(&b);
	uart_drive(&a);
	for (i = 0; i < SERIAL_RX_SIZE; i++)
		fill[i] = (uint8_t)(i * 7);
	uart_out(&b, 7, 0x33);
	serial_receive(&b, fill, 100);
	for (i = 0; i < 100; i++)
		ck_assert_uint_eq(uart_in(&b, 0), fill[i]);
	ck_assert_uint_eq(serial_receive(&b, fill, SERIAL_RX_SIZE), SERIAL_RX_SIZE);
	sa = save_with(uart_save, &a);
	sb = save_with(uart_save, &b);
	irq_calls = 0;
	irq_last = -1;
	ck_assert_int_eq(load_bytes(uart_fresh_load, sb.p, sb.len, err), 0);
	ck_assert_int_eq(irq_calls, 1);
	ck_assert_int_eq(irq_last, 0);
	ck_assert_uint_eq(uart_in(&uart2, 7), 0x33);
	for (i = 0; i < SERIAL_RX_SIZE; i++)
		ck_assert_uint_eq(uart_in(&uart2, 0), fill[i]);
	ck_assert_int_eq(load_bytes(uart_fresh_load, sa.p, sa.len, err), 0);
	ck_assert_uint_eq(uart_in(&uart2, 7), 0x5a);
	free(sa.p);
	free(sb.p);
}
END_TEST

START_TEST(serial_refusals)
{
	struct saved s;

	uart_fresh(&uart);
	uart_drive(&uart);
	s = save_with(uart_save, &uart);
	refused_at(uart_fresh_load, &s, 0, 0x13, "an IER with bits the UART does not have");
	refused_at(uart_fresh_load, &s, 2, 0x29, "an MCR with bits the UART does not have");
	refused_at(uart_fresh_load, &s, 6, 0xc3, "an FCR with bits the UART does not keep");
	refused_at(uart_fresh_load, &s, 7, 2, "a THR interrupt flag other than 0 or 1");
	refused_at(uart_fresh_load, &s, 8, 2, "an IRQ level other than 0 or 1");
	refused_at(uart_fresh_load, &s, 8, 0, "an IRQ level its registers and FIFO do not give");
	refused_at(uart_fresh_load, &s, 10, 0x04, "more received bytes than the FIFO holds");
	free(s.p);
}
END_TEST

START_TEST(serial_truncations)
{
	struct saved s;

	uart_fresh(&uart);
	uart_drive(&uart);
	s = save_with(uart_save, &uart);
	truncations(uart_fresh_load, &s);
	free(s.p);
}
END_TEST

/* ---- the CMOS RTC ---- */

static struct cmos rtc, rtc2;
static struct guest_mem rtc_gm = { .low_end = 256ULL << 20 };
static int64_t host_time = 1700000000;

static int64_t fixed_clock(void *opaque)
{
	return host_time;
}

static void rtc_fresh(struct cmos *c)
{
	ck_assert_int_eq(cmos_init(c, &rtc_gm, 2), 0);
	c->clock = fixed_clock;
}

static void rtc_out(struct cmos *c, uint8_t idx, uint8_t v)
{
	cmos_write(c, 0, 1, idx);
	cmos_write(c, 1, 1, v);
}

static uint8_t rtc_in(struct cmos *c, uint8_t idx)
{
	cmos_write(c, 0, 1, idx);
	return (uint8_t)cmos_read(c, 1, 1);
}

/* A guest that sets the clock to 2031-05-17 13:45:30 in binary 24-hour
 * mode, writes NVRAM, polls register C, and leaves the index at 0x40. */
static void rtc_drive(struct cmos *c)
{
	rtc_out(c, CMOS_REG_B, CMOS_B_24H | CMOS_B_DM | CMOS_B_SET);
	rtc_out(c, CMOS_SECONDS, 30);
	rtc_out(c, CMOS_MINUTES, 45);
	rtc_out(c, CMOS_HOURS, 13);
	rtc_out(c, CMOS_MDAY, 17);
	rtc_out(c, CMOS_MONTH, 5);
	rtc_out(c, CMOS_YEAR, 31);
	rtc_out(c, CMOS_CENTURY, 20);
	rtc_out(c, CMOS_REG_B, CMOS_B_24H | CMOS_B_DM);
	rtc_out(c, 0x40, 0xab);
	rtc_out(c, 0x7f, 0xcd);
	(void)rtc_in(c, CMOS_REG_C);
	cmos_write(c, 0, 1, 0x40);
}

static int rtc_save(void *dev, struct snap_out *out)
{
	return cmos_save(dev, out);
}

static int rtc_fresh_load(struct snap_in *in)
{
	rtc_fresh(&rtc2);
	return cmos_load(&rtc2, in);
}

START_TEST(cmos_round_trip)
{
	struct saved s;
	char err[ERR_LEN];
	unsigned i;

	rtc_fresh(&rtc);
	rtc_drive(&rtc);
	ck_assert_int_ne(rtc.offset, 0);
	s = save_with(rtc_save, &rtc);
	ck_assert_uint_eq(s.len, 1 + CMOS_SIZE + 16);
	ck_assert_int_eq(load_bytes(rtc_fresh_load, s.p, s.len, err), 0);
	ck_assert_uint_eq(rtc2.index, 0x40);
	ck_assert_int_eq(rtc2.offset, rtc.offset);
	ck_assert_int_eq(rtc2.last_uf, rtc.last_uf);
	ck_assert_mem_eq(rtc2.ram, rtc.ram, CMOS_SIZE);
	/* The data port reads the byte at the loaded index. */
	ck_assert_uint_eq(cmos_read(&rtc2, 1, 1), 0xab);
	/* The time goes on with the host's, as it would have. */
	host_time += 3600 + 10;
	ck_assert_uint_eq(rtc_in(&rtc2, CMOS_HOURS), 14);
	ck_assert_uint_eq(rtc_in(&rtc2, CMOS_MINUTES), 45);
	ck_assert_uint_eq(rtc_in(&rtc2, CMOS_SECONDS), 40);
	ck_assert_uint_eq(rtc_in(&rtc2, CMOS_YEAR), 31);
	for (i = 0; i < CMOS_SIZE; i++)
		if (i != CMOS_REG_C)
			ck_assert_uint_eq(rtc_in(&rtc2, (uint8_t)i), rtc_in(&rtc, (uint8_t)i));
	/* Register C: no update-ended flag twice in the same second. */
	ck_assert_uint_eq(rtc_in(&rtc2, CMOS_REG_C) & CMOS_C_UF, CMOS_C_UF);
	ck_assert_uint_eq(rtc_in(&rtc2, CMOS_REG_C) & CMOS_C_UF, 0);
	host_time -= 3600 + 10;
	free(s.p);
}
END_TEST

/* The time frozen by SET is state too: the fields the guest is writing. */
START_TEST(cmos_set_in_progress)
{
	struct saved s;
	char err[ERR_LEN];

	rtc_fresh(&rtc);
	rtc_out(&rtc, CMOS_REG_B, CMOS_B_24H | CMOS_B_DM | CMOS_B_SET);
	rtc_out(&rtc, CMOS_HOURS, 7);
	s = save_with(rtc_save, &rtc);
	ck_assert_int_eq(load_bytes(rtc_fresh_load, s.p, s.len, err), 0);
	ck_assert_uint_eq(rtc_in(&rtc2, CMOS_HOURS), 7);
	rtc_out(&rtc, CMOS_REG_B, CMOS_B_24H | CMOS_B_DM);
	rtc_out(&rtc2, CMOS_REG_B, CMOS_B_24H | CMOS_B_DM);
	ck_assert_int_eq(rtc2.offset, rtc.offset);
	ck_assert_uint_eq(rtc_in(&rtc2, CMOS_HOURS), 7);
	free(s.p);
}
END_TEST

START_TEST(cmos_refusals)
{
	struct saved s;

	rtc_fresh(&rtc);
	rtc_drive(&rtc);
	s = save_with(rtc_save, &rtc);
	refused_at(rtc_fresh_load, &s, 0, 0x80, "an index past the 128 bytes");
	refused_at(rtc_fresh_load, &s, 1 + CMOS_REG_A, 0xa6, "register A with UIP set");
	refused_at(rtc_fresh_load, &s, 1 + CMOS_REG_C, 0x10, "register C with flags latched");
	refused_at(rtc_fresh_load, &s, 1 + CMOS_REG_D, 0x00, "register D other than VRT (0x80)");
	/* Offsets: the top byte of a positive and of a negative one. */
	refused_at(rtc_fresh_load, &s, 1 + CMOS_SIZE + 7, 0x40,
		   "a clock offset beyond the years 1970-9999");
	refused_at(rtc_fresh_load, &s, 1 + CMOS_SIZE + 7, 0x80,
		   "a clock offset beyond the years 1970-9999");
	free(s.p);
}
END_TEST

START_TEST(cmos_truncations)
{
	struct saved s;

	rtc_fresh(&rtc);
	rtc_drive(&rtc);
	s = save_with(rtc_save, &rtc);
	truncations(rtc_fresh_load, &s);
	free(s.p);
}
END_TEST

/* ---- fw_cfg (--bios) ---- */

static struct fw_cfg fwc, fwc2;
static uint8_t fw_file[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* No DMA target: the state never needs guest RAM. */
static void *fw_no_ram(void *opaque, uint64_t gpa, uint64_t len)
{
	(void)opaque;
	(void)gpa;
	(void)len;
	return NULL;
}

/* The table of a machine: the built-in items, one item, one file of
 * file_len bytes (key 0x20). */
static void fw_fresh(struct fw_cfg *fc, size_t file_len)
{
	static const uint8_t cpus[2] = { 2, 0 };

	fw_cfg_destroy(fc);
	ck_assert_int_eq(fw_cfg_init(fc, fw_no_ram, NULL), 0);
	ck_assert_int_eq(fw_cfg_add_item(fc, FW_CFG_NB_CPUS, cpus, sizeof(cpus)), 0);
	ck_assert_int_eq(fw_cfg_add_file(fc, "etc/test", fw_file, file_len), 0);
}

static void fw_select(struct fw_cfg *fc, uint16_t key)
{
	fw_cfg_write(fc, 0, 2, key);
}

static uint8_t fw_byte(struct fw_cfg *fc)
{
	return (uint8_t)fw_cfg_read(fc, 1, 1);
}

static int fw_save(void *dev, struct snap_out *out)
{
	return fw_cfg_save(dev, out);
}

static int fw_fresh_load(struct snap_in *in)
{
	fw_fresh(&fwc2, sizeof(fw_file));
	return fw_cfg_load(&fwc2, in);
}

/* The firmware stopped 5 bytes into the file with the DMA address's high
 * half written: the restored channel goes on at byte 5. */
static struct saved fw_mid_transfer(void)
{
	unsigned i;

	fw_fresh(&fwc, sizeof(fw_file));
	fw_select(&fwc, FW_CFG_FILE_FIRST);
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(fw_byte(&fwc), i);
	fw_cfg_dma_write(&fwc, 0, 4, __builtin_bswap32(0x12));
	return save_with(fw_save, &fwc);
}

START_TEST(fw_cfg_round_trip)
{
	struct saved s = fw_mid_transfer();
	char err[ERR_LEN];
	unsigned i;

	ck_assert_uint_eq(s.len, 12);
	ck_assert_uint_eq(s.p[0], FW_CFG_STATE_VERSION);
	ck_assert_int_eq(load_bytes(fw_fresh_load, s.p, s.len, err), 0);
	ck_assert_int_eq(fwc2.cur, fwc.cur);
	ck_assert_uint_eq(fwc2.offset, 5);
	ck_assert_uint_eq(fwc2.dma_hi, 0x12);
	for (i = 5; i < sizeof(fw_file); i++)
		ck_assert_uint_eq(fw_byte(&fwc2), i);
	ck_assert_uint_eq(fw_byte(&fwc2), 0);           /* past the end, as before */
	/* Selecting again starts over, as on the source. */
	fw_select(&fwc2, FW_CFG_NB_CPUS);
	ck_assert_uint_eq(fw_byte(&fwc2), 2);
	free(s.p);
}
END_TEST

/* An unknown key selected, and a channel never used, load as "none". */
START_TEST(fw_cfg_nothing_selected)
{
	struct saved s;
	char err[ERR_LEN];

	fw_fresh(&fwc, sizeof(fw_file));
	fw_select(&fwc, 0x1234);
	s = save_with(fw_save, &fwc);
	ck_assert_uint_eq(s.p[1], 0);
	ck_assert_int_eq(load_bytes(fw_fresh_load, s.p, s.len, err), 0);
	ck_assert_int_eq(fwc2.cur, -1);
	ck_assert_uint_eq(fw_byte(&fwc2), 0);
	free(s.p);
	/* The signature at its last byte: the whole item read. */
	fw_select(&fwc, FW_CFG_SIGNATURE);
	ck_assert_uint_eq(fw_byte(&fwc), 'Q');
	ck_assert_uint_eq(fw_byte(&fwc), 'E');
	ck_assert_uint_eq(fw_byte(&fwc), 'M');
	ck_assert_uint_eq(fw_byte(&fwc), 'U');
	s = save_with(fw_save, &fwc);
	ck_assert_int_eq(load_bytes(fw_fresh_load, s.p, s.len, err), 0);
	ck_assert_uint_eq(fwc2.offset, 4);
	ck_assert_uint_eq(fw_byte(&fwc2), 0);
	free(s.p);
}
END_TEST

/* A destination whose file is shorter than the source's offset in it. */
static int fw_short_load(struct snap_in *in)
{
	fw_fresh(&fwc2, 4);
	return fw_cfg_load(&fwc2, in);
}

START_TEST(fw_cfg_refusals)
{
	struct saved s = fw_mid_transfer();
	char err[ERR_LEN];

	refused_at(fw_fresh_load, &s, 0, 2, "a version this conduit does not read (it reads 1)");
	refused_at(fw_fresh_load, &s, 0, 0, "a version this conduit does not read");
	refused_at(fw_fresh_load, &s, 1, 2, "a selection flag other than 0 or 1");
	refused_at(fw_fresh_load, &s, 1, 0, "a key or offset with no item selected");
	refused_at(fw_fresh_load, &s, 2, 0x77, "a selected item this machine's fw_cfg does "
		   "not have");
	refused_at(fw_fresh_load, &s, 4, 17, "an offset past the end of the selected item");
	refused_at(fw_fresh_load, &s, 7, 1, "an offset past the end of the selected item");
	/* Offset 16 of 16 is the end, and fine. */
	s.p[4] = 16;
	ck_assert_int_eq(load_bytes(fw_fresh_load, s.p, s.len, err), 0);
	ck_assert_uint_eq(fw_byte(&fwc2), 0);
	s.p[4] = 5;
	ck_assert_int_eq(load_bytes(fw_short_load, s.p, s.len, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "an offset past the end of the selected item"));
	/* A refused load changes nothing. */
	fw_select(&fwc2, FW_CFG_NB_CPUS);
	s.p[0] = 9;
	ck_assert_int_eq(fw_cfg_load(&fwc2, &(struct snap_in){ 0 }), -1);
	ck_assert_uint_eq(fw_byte(&fwc2), 2);
	free(s.p);
}
END_TEST

START_TEST(fw_cfg_truncations)
{
	struct saved s = fw_mid_transfer();

	truncations(fw_fresh_load, &s);
	free(s.p);
}
END_TEST

/* ---- ACPI PM1 and the hotplug/GPE0 block ---- */

static struct acpi_pm pm, pm2;
static struct acpi_hotplug hp, hp2;
static int sci_calls, sci_last, ejected;

static void sci(void *opaque, int level)
{
	sci_calls++;
	sci_last = level;
}

static void eject_cb(void *opaque, unsigned slot)
{
	ejected = (int)slot;
}

static void pm_fresh(struct acpi_pm *p)
{
	memset(p, 0, sizeof(*p));
	p->set_sci = sci;
}

/* The guest enables the power button event and sets SCI_EN with a sleep
 * type; the user presses the button. */
static void pm_drive(struct acpi_pm *p)
{
	acpi_pm_write(p, 2, 2, ACPI_PM1_PWRBTN);
	acpi_pm_write(p, 4, 2, 0x0c01);
	acpi_pm_power_button(p);
}

static int pm_save(void *dev, struct snap_out *out)
{
	return acpi_pm_save(dev, out);
}

static int pm_fresh_load(struct snap_in *in)
{
	pm_fresh(&pm2);
	return acpi_pm_load(&pm2, in);
}

START_TEST(acpi_pm_round_trip)
{
	struct saved s;
	char err[ERR_LEN];

	pm_fresh(&pm);
	pm_drive(&pm);
	ck_assert_int_eq(pm.sci_level, 1);
	s = save_with(pm_save, &pm);
	ck_assert_uint_eq(s.len, 6);
	sci_calls = 0;
	ck_assert_int_eq(load_bytes(pm_fresh_load, s.p, s.len, err), 0);
	ck_assert_int_eq(sci_calls, 1);
	ck_assert_int_eq(sci_last, 1);
	ck_assert_uint_eq(acpi_pm_read(&pm2, 0, 4), acpi_pm_read(&pm, 0, 4));
	ck_assert_uint_eq(acpi_pm_read(&pm2, 4, 2), acpi_pm_read(&pm, 4, 2));
	ck_assert_uint_eq(acpi_pm_read(&pm2, 0, 4), ACPI_PM1_PWRBTN | ACPI_PM1_PWRBTN << 16);
	/* The guest acknowledges the button: the SCI goes low. */
	acpi_pm_write(&pm2, 0, 2, ACPI_PM1_PWRBTN);
	ck_assert_int_eq(sci_calls, 2);
	ck_assert_int_eq(sci_last, 0);
	/* A quiet PM1 drives the line low on load. */
	free(s.p);
	pm_fresh(&pm);
	s = save_with(pm_save, &pm);
	sci_calls = 0;
	sci_last = -1;
	ck_assert_int_eq(load_bytes(pm_fresh_load, s.p, s.len, err), 0);
	ck_assert_int_eq(sci_calls, 1);
	ck_assert_int_eq(sci_last, 0);
	free(s.p);
}
END_TEST

START_TEST(acpi_pm_refusals_and_truncations)
{
	struct saved s;

	pm_fresh(&pm);
	pm_drive(&pm);
	s = save_with(pm_save, &pm);
	refused_at(pm_fresh_load, &s, 0, 0x01, "PM1 status bits other than the power button's");
	refused_at(pm_fresh_load, &s, 5, 0x2c, "a PM1 control with SLP_EN set (it never sticks)");
	truncations(pm_fresh_load, &s);
	free(s.p);
}
END_TEST

static void hp_fresh(struct acpi_hotplug *h, struct acpi_pm *p, uint32_t slots)
{
	static struct io_bus pio;

	memset(&pio, 0, sizeof(pio));
	pm_fresh(p);
	ck_assert_int_eq(acpi_hotplug_init(h, &pio, p, slots, eject_cb, NULL), 0);
}

/* Slots 3 and 4 plugged (the guest acknowledged 4), slot 5's removal asked
 * (acknowledged, not yet ejected), GPE 1 enabled. */
static void hp_drive(struct acpi_hotplug *h)
{
	acpi_gpe_write(h, 2, 2, 1U << ACPI_GPE_PCI_HOTPLUG);
	acpi_hotplug_plug(h, 3);
	acpi_hotplug_plug(h, 4);
	acpi_hotplug_write(h, ACPI_HP_INS, 4, 1U << 4);
	ck_assert_int_eq(acpi_hotplug_request_unplug(h, 5), 0);
	acpi_hotplug_write(h, ACPI_HP_REM, 4, 1U << 5);
}

static int hp_save(void *dev, struct snap_out *out)
{
	return acpi_hotplug_save(dev, out);
}

static int hp_fresh_load(struct snap_in *in)
{
	hp_fresh(&hp2, &pm2, ACPI_HOTPLUG_SLOTS_ALL);
	return acpi_hotplug_load(&hp2, in);
}

START_TEST(acpi_hotplug_round_trip)
{
	struct saved s;
	char err[ERR_LEN];
	unsigned off;

	hp_fresh(&hp, &pm, ACPI_HOTPLUG_SLOTS_ALL);
	hp_drive(&hp);
	s = save_with(hp_save, &hp);
	ck_assert_uint_eq(s.len, 21);
	sci_calls = 0;
	ck_assert_int_eq(load_bytes(hp_fresh_load, s.p, s.len, err), 0);
	/* The GPE's share of the SCI came back, and with it the line. */
	ck_assert(pm2.gpe);
	ck_assert_int_eq(sci_calls, 1);
	ck_assert_int_eq(sci_last, 1);
	for (off = 0; off < ACPI_HP_LEN; off += 4)
		ck_assert_uint_eq(acpi_hotplug_read(&hp2, off, 4), acpi_hotplug_read(&hp, off, 4));
	ck_assert_uint_eq(acpi_gpe_read(&hp2, 0, 4), acpi_gpe_read(&hp, 0, 4));
	ck_assert_uint_eq(acpi_hotplug_read(&hp2, ACPI_HP_INS, 4), 1U << 3);
	ck_assert_uint_eq(hp2.pending, 1U << 5);
	/* The removal asked before the snapshot is honoured after it. */
	ejected = -1;
	acpi_hotplug_write(&hp2, ACPI_HP_EJ, 4, 1U << 5);
	ck_assert_int_eq(ejected, 5);
	/* PM1 loaded after the GPE block keeps the GPE's share. */
	{
		struct snap_out out;
		struct snap_in in;

		snap_out_init(&out);
		ck_assert_int_eq(acpi_pm_save(&pm, &out), 0);
		snap_in_init(&in, out.buf, out.len, 0);
		sci_calls = 0;
		ck_assert_int_eq(acpi_pm_load(&pm2, &in), 0);
		ck_assert_int_eq(sci_last, 1);
		snap_out_free(&out);
	}
	free(s.p);
}
END_TEST

START_TEST(acpi_hotplug_refusals_and_truncations)
{
	struct saved s;

	hp_fresh(&hp, &pm, ACPI_HOTPLUG_SLOTS_ALL);
	hp_drive(&hp);
	s = save_with(hp_save, &hp);
	refused_at(hp_fresh_load, &s, 3, 0x7f, "other hotpluggable slots than this machine's");
	refused_at(hp_fresh_load, &s, 4, 0x09,
		   "a plug or removal for a slot that is not hotpluggable");
	refused_at(hp_fresh_load, &s, 12, 0x01,
		   "a plug or removal for a slot that is not hotpluggable");
	refused_at(hp_fresh_load, &s, 8, 0x40, "a removal request without its pending removal");
	refused_at(hp_fresh_load, &s, 16, 0x03, "GPE0 status bits other than PCI hotplug's (GPE 1)");
	refused_at(hp_fresh_load, &s, 20, 2, "a logged-eject flag other than 0 or 1");
	truncations(hp_fresh_load, &s);
	free(s.p);
}
END_TEST

/* ---- the PCI bus level, with a device kind of the test's own ---- */

#define T_BAR0 0xc1230000ULL    /* 4 KiB, 32-bit memory */
#define T_BAR2 0x980000000ULL   /* 1 MiB, 64-bit prefetchable */
#define T_BAR4 0x2300ULL        /* 256 ports */
#define T_COOKIE 0x5eedcafeU

struct tdev {
	struct pci_device pci;
	uint32_t cookie;
	int maps;
	uint64_t map_addr[PCI_ROM_BAR + 1];
};

struct trig {
	struct io_bus pio, mmio;
	struct pci_bus bus;
	struct tdev dev;
};

static struct trig *T1, *T2;

static uint64_t t_read(void *opaque, uint64_t off, unsigned size)
{
	return 0x77000000U | off;
}

static void t_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
}

static void t_bar_map(struct pci_device *d, int bar, uint64_t addr)
{
	struct tdev *t = d->opaque;

	t->maps++;
	t->map_addr[bar] = addr;
}

static void t_bar_unmap(struct pci_device *d, int bar, uint64_t addr)
{
	struct tdev *t = d->opaque;

	t->map_addr[bar] = 0;
}

static int t_save(struct pci_device *d, struct snap_out *out)
{
	struct tdev *t = d->opaque;

	snap_put_u32(out, t->cookie);
	return snap_out_error(out);
}

static int t_load(struct pci_device *d, struct snap_in *in)
{
	struct tdev *t = d->opaque;

	t->cookie = snap_get_u32(in);
	if (t->cookie != T_COOKIE)
		snap_in_fail(in, "not the test's cookie");
	return snap_in_failed(in) ? -1 : 0;
}

static const struct pci_device_ops t_ops = {
	.kind = "test-kind",
	.bar_map = t_bar_map,
	.bar_unmap = t_bar_unmap,
	.save = t_save,
	.load = t_load,
};

static void trig_up(struct trig *r)
{
	struct pci_device *d = &r->dev.pci;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(pci_bus_init(&r->bus, &r->pio, &r->mmio, MEM_ECAM_START,
				      MEM_PCI32_START, MEM_PCI32_SIZE, 0x800000000ULL,
				      MEM_PCI64_SIZE), 0);
	pci_device_init(d, "tdev", 0x1234, 0xabcd, 0x020000, 2);
	d->ops = &t_ops;
	d->opaque = &r->dev;
	pci_device_set_bar(d, 0, 0x1000, 0, t_read, t_write, &r->dev);
	pci_device_set_bar(d, 2, 0x100000, PCI_BASE_ADDRESS_MEM_TYPE_64 |
			   PCI_BASE_ADDRESS_MEM_PREFETCH, t_read, t_write, &r->dev);
	pci_device_set_bar(d, 4, 0x100, PCI_BASE_ADDRESS_SPACE_IO, t_read, t_write, &r->dev);
	ck_assert_int_eq(pci_bus_add(&r->bus, d), 1);
}

/* The guest places the BARs away from where the bus put them, turns on
 * I/O, memory and bus mastering, sets the interrupt line, and leaves the
 * 0xcf8 latch pointing at the device's command register. */
static void trig_drive(struct trig *r)
{
	struct pci_device *d = &r->dev.pci;

	pci_guest_cfg_write(d, PCI_BASE_ADDRESS_0, 4, (uint32_t)T_BAR0);
	pci_guest_cfg_write(d, PCI_BASE_ADDRESS_2, 4, (uint32_t)T_BAR2);
	pci_guest_cfg_write(d, PCI_BASE_ADDRESS_3, 4, (uint32_t)(T_BAR2 >> 32));
	pci_guest_cfg_write(d, PCI_BASE_ADDRESS_4, 4, (uint32_t)T_BAR4);
	pci_guest_cfg_write(d, PCI_INTERRUPT_LINE, 1, 11);
	pci_guest_cfg_write(d, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
			    PCI_COMMAND_MASTER);
	io_bus_write(&r->pio, 0xcf8, 4, 0x80000000U | 1 << 11 | PCI_COMMAND);
	r->dev.cookie = T_COOKIE;
}

static int t_dev_save(void *dev, struct snap_out *out)
{
	return pci_device_save(dev, out);
}

static int t_bus_save(void *bus, struct snap_out *out)
{
	return pci_bus_save(bus, out);
}

static int t_fresh_load(struct snap_in *in)
{
	trig_up(T2);
	return pci_device_load(&T2->dev.pci, in);
}

/* Offsets in a saved device: kind string, config, then per BAR 17 bytes. */
#define T_KIND_LEN (1 + 9)
#define T_CFG      (T_KIND_LEN + 2)
#define T_BARS     (T_CFG + PCI_CFG_SIZE)
#define T_BAR(i)   (T_BARS + 17 * (i))

static void trigs_up(void)
{
	T1 = calloc(1, sizeof(*T1));
	T2 = calloc(1, sizeof(*T2));
	ck_assert_ptr_nonnull(T1);
	ck_assert_ptr_nonnull(T2);
	trig_up(T1);
	trig_drive(T1);
}

static void trigs_down(void)
{
	free(T1);
	free(T2);
}

START_TEST(pci_round_trip)
{
	struct pci_device *d2 = &T2->dev.pci;
	struct saved s, sb;
	struct snap_in in;
	char err[ERR_LEN];
	unsigned o;

	s = save_with(t_dev_save, &T1->dev.pci);
	ck_assert_uint_eq(s.len, T_BAR(PCI_ROM_BAR + 1) + 4);
	ck_assert_int_eq(load_bytes(t_fresh_load, s.p, s.len, err), 0);
	ck_assert_mem_eq(d2->cfg, T1->dev.pci.cfg, PCI_CFG_SIZE);
	ck_assert_uint_eq(T2->dev.cookie, T_COOKIE);
	/* The BARs decode where the guest had them, through bar_map. */
	ck_assert_int_eq(T2->dev.maps, 3);
	ck_assert_uint_eq(T2->dev.map_addr[0], T_BAR0);
	ck_assert_uint_eq(T2->dev.map_addr[2], T_BAR2);
	ck_assert_uint_eq(T2->dev.map_addr[4], T_BAR4);
	ck_assert(d2->bar[0].mapped && d2->bar[2].mapped && d2->bar[4].mapped);
	ck_assert_uint_eq(io_bus_read(&T2->mmio, T_BAR0 + 0x10, 4), 0x77000010);
	ck_assert_uint_eq(io_bus_read(&T2->mmio, T_BAR2 + 0x20, 4), 0x77000020);
	ck_assert_uint_eq(io_bus_read(&T2->pio, T_BAR4 + 3, 1), 0x77000003);
	/* The guest's view of config space is the same, byte for byte. */
	for (o = 0; o < PCI_CFG_SIZE; o += 4)
		ck_assert_uint_eq(pci_guest_cfg_read(d2, o, 4),
				  pci_guest_cfg_read(&T1->dev.pci, o, 4));
	/* The bus's latch: 0xcfc reads the command register on the new bus. */
	sb = save_with(t_bus_save, &T1->bus);
	ck_assert_uint_eq(sb.len, 4);
	snap_in_init(&in, sb.p, sb.len, 0);
	ck_assert_int_eq(pci_bus_load(&T2->bus, &in), 0);
	ck_assert_int_eq(snap_in_finish(&in, "bus", err, sizeof(err)), 0);
	ck_assert_uint_eq(io_bus_read(&T2->pio, 0xcfc, 2), PCI_COMMAND_IO |
			  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	snap_in_init(&in, sb.p, 3, 0);
	ck_assert_int_eq(pci_bus_load(&T2->bus, &in), -1);
	/* Turning decoding off afterwards takes the BARs off as usual. */
	pci_guest_cfg_write(d2, PCI_COMMAND, 2, 0);
	ck_assert_uint_ne(io_bus_read(&T2->mmio, T_BAR0, 4), 0x77000000);
	ck_assert_uint_eq(T2->dev.map_addr[0], 0);
	free(s.p);
	free(sb.p);
}
END_TEST

START_TEST(pci_refusals)
{
	struct saved s = save_with(t_dev_save, &T1->dev.pci);
	char why[160];

	refused_at(t_fresh_load, &s, 1, 'b', "tdev: a snapshot of a best-kind device, "
		   "this one is test-kind");
	refused_at(t_fresh_load, &s, T_CFG - 1, 0x08,
		   "tdev: config space of 2048 bytes, this device's has 4096");
	refused_at(t_fresh_load, &s, T_CFG + PCI_VENDOR_ID, 0x35,
		   "tdev: config space at 0x000 is 0x35 where the device has 0x34 "
		   "(read-only bits 0xff)");
	refused_at(t_fresh_load, &s, T_CFG + PCI_COMMAND + 1, 0x08,
		   "tdev: config space at 0x005 is 0x08 where the device has 0x00 "
		   "(read-only bits 0xfb)");
	/* The low BAR bits that say what kind of BAR it is are fixed. */
	refused_at(t_fresh_load, &s, T_CFG + PCI_BASE_ADDRESS_0, 0x08,
		   "tdev: config space at 0x010 is 0x08 where the device has 0x00 "
		   "(read-only bits 0xff)");
	refused_at(t_fresh_load, &s, T_CFG + 0x100, 0x01,
		   "tdev: config space at 0x100 is 0x01 where the device has 0x00");
	refused_at(t_fresh_load, &s, T_BAR(0) + 1, 0x20,
		   "tdev: BAR0 of 0x2000 bytes in the snapshot, this device's is 0x1000");
	refused_at(t_fresh_load, &s, T_BAR(4) + 8, 2, "tdev: BAR4 decoding flag 2 (not 0 or 1)");
	refused_at(t_fresh_load, &s, T_BAR(1) + 9 + 2, 0x10, "tdev: BAR1 has an address "
		   "(0x100000) and did not decode");
	/* The kind's own load runs last, with its own refusals. */
	refused_at(t_fresh_load, &s, s.len - 1, 0, "not the test's cookie");
	/* Memory decoding off in the saved command register: BAR0 and BAR2
	 * would not decode where the snapshot says they did. */
	snprintf(why, sizeof(why), "tdev: BAR0 decoded at 0x%llx in the snapshot and does "
		 "not here", (unsigned long long)T_BAR0);
	refused_at(t_fresh_load, &s, T_CFG + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER,
		   why);
	snprintf(why, sizeof(why), "tdev: BAR4 did not decode in the snapshot and does here, "
		 "at 0x%llx", (unsigned long long)T_BAR4);
	memset(s.p + T_BAR(4) + 9, 0, 8);
	refused_at(t_fresh_load, &s, T_BAR(4) + 8, 0, why);
	free(s.p);
}
END_TEST

/* Bits the guest writes may differ, and so may the INTx status bit. */
START_TEST(pci_writable_bits_load)
{
	struct saved s = save_with(t_dev_save, &T1->dev.pci);
	char err[ERR_LEN];

	s.p[T_CFG + PCI_INTERRUPT_LINE] = 0x42;
	s.p[T_CFG + PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	ck_assert_int_eq(load_bytes(t_fresh_load, s.p, s.len, err), 0);
	ck_assert_uint_eq(pci_guest_cfg_read(&T2->dev.pci, PCI_INTERRUPT_LINE, 1), 0x42);
	ck_assert_uint_eq(pci_guest_cfg_read(&T2->dev.pci, PCI_STATUS, 1) & PCI_STATUS_INTERRUPT,
			  PCI_STATUS_INTERRUPT);
	free(s.p);
}
END_TEST

START_TEST(pci_truncations)
{
	struct saved s = save_with(t_dev_save, &T1->dev.pci);

	truncations(t_fresh_load, &s);
	free(s.p);
}
END_TEST

/* ---- virtio-console on the virtio PCI transport ---- */

#define RAM_SIZE (1ULL << 20)
#define DESC0  0x10000ULL       /* queue 0 (receiveq) rings */
#define AVAIL0 0x11000ULL
#define USED0  0x12000ULL
#define DESC1  0x20000ULL       /* queue 1 (transmitq) rings */
#define AVAIL1 0x21000ULL
#define USED1  0x22000ULL
#define TXBUF  0x30000ULL
#define RXBUF  0x40000ULL
#define QSIZE  16

#define COMMON(off) (bar + VIRTIO_COMMON_OFF + (off))

struct vrig {
	struct vm vm;
	struct event_loop loop;
	struct pci_bus bus;
	struct virtio_console vc;
	uint8_t *ram;
	bool plugged;
	char out[64];
	size_t out_len;
};

static struct vrig *A, *B;
static uint64_t bar;

static void vmisuse(const char *what)
{
	ck_abort_msg("fake KVM misuse: %s", what);
}

static void v_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct vrig *r = opaque;

	if (len > sizeof(r->out) - r->out_len)
		len = sizeof(r->out) - r->out_len;
	memcpy(r->out + r->out_len, buf, len);
	r->out_len += len;
}

/* A machine with RAM at 0, the fake KVM's vm fd and the console plugged
 * into slot 1 as the machine plugs it (irqfds live, notify eventfds on an
 * event loop). */
static void vrig_up(struct vrig *r)
{
	memset(r, 0, sizeof(*r));
	r->ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(r->ram);
	r->vm.kvm_fd = -1;
	r->vm.vm_fd = fake_kvm.fd;
	r->vm.stop_efd = -1;
	r->vm.pio.name = "pio";
	r->vm.mmio.name = "mmio";
	r->vm.mem.ram[0] = (struct ram_region){ 0, RAM_SIZE, r->ram };
	r->vm.mem.n_ram = 1;
	r->vm.mem.ram_size = RAM_SIZE;
	r->vm.mem.low_end = RAM_SIZE;
	ck_assert_int_eq(irq_router_init(&r->vm.irq, fake_kvm.fd), 0);
	ck_assert_int_eq(pci_bus_init(&r->bus, &r->vm.pio, &r->vm.mmio, MEM_ECAM_START,
				      MEM_PCI32_START, MEM_PCI32_SIZE, MEM_4G,
				      MEM_PCI64_SIZE), 0);
	ck_assert_int_eq(virtio_console_init(&r->vc, &r->vm), 0);
	r->vc.output = v_output;
	r->vc.output_opaque = r;
	ck_assert_int_eq(event_loop_init(&r->loop), 0);
	r->vm.loop = &r->loop;
	ck_assert_int_eq(virtio_pci_plug(&r->vc.vp, &r->bus), 0);
	ck_assert_int_eq(r->vc.vp.pci.slot, 1);
	r->plugged = true;
	bar = pci_bar_address(&r->vc.vp.pci, 0);
}

static void vrig_down(struct vrig *r)
{
	if (!r)
		return;
	pci_bus_destroy(&r->bus);
	if (r->plugged)
		event_loop_exit(&r->loop);
	pthread_mutex_destroy(&r->vm.irq.lock);
	free(r->ram);
}

static void mw(struct vrig *r, uint64_t addr, unsigned size, uint64_t v)
{
	io_bus_write(&r->vm.mmio, addr, size, v);
}

static uint64_t mr(struct vrig *r, uint64_t addr, unsigned size)
{
	return io_bus_read(&r->vm.mmio, addr, size);
}

static void ram_put(struct vrig *r, uint64_t gpa, const void *p, size_t n)
{
	memcpy(r->ram + gpa, p, n);
}

static void queue_setup(struct vrig *r, unsigned q, uint64_t desc, uint64_t avail,
			uint64_t used, uint16_t vec)
{
	mw(r, COMMON(0x16), 2, q);
	mw(r, COMMON(0x18), 2, QSIZE);
	mw(r, COMMON(0x20), 4, (uint32_t)desc);
	mw(r, COMMON(0x24), 4, 0);
	mw(r, COMMON(0x28), 8, avail);
	mw(r, COMMON(0x30), 8, used);
	mw(r, COMMON(0x1a), 2, vec);
	mw(r, COMMON(0x1c), 2, 1);
}

/* A descriptor at desc[idx], offered in the avail ring's slot n. */
static void offer(struct vrig *r, uint64_t desc, uint64_t avail, unsigned idx,
		  uint64_t addr, uint32_t len, uint16_t flags, uint16_t n)
{
	struct virtq_desc d = { addr, len, flags, 0 };
	uint16_t head = (uint16_t)idx, next = (uint16_t)(n + 1);

	ram_put(r, desc + 16 * idx, &d, sizeof(d));
	ram_put(r, avail + 4 + 2 * (n % QSIZE), &head, 2);
	ram_put(r, avail + 2, &next, 2);
}

static void msix_entry(struct vrig *r, unsigned v, uint32_t data, bool masked)
{
	uint64_t e = bar + VIRTIO_MSIX_OFF + MSIX_ENTRY_SIZE * v;

	mw(r, e, 4, 0xfee00000U | v << 12);
	mw(r, e + 4, 4, 0);
	mw(r, e + 8, 4, data);
	mw(r, e + 12, 4, masked);
}

/* The guest's driver: memory decode and bus mastering on, MSI-X enabled or
 * not (config vector 0, receiveq 1, transmitq 2, which is masked, so its
 * interrupt stays pending), features negotiated, both queues live, the
 * last selectors 1; it sends "hi!" and leaves the ISR unread. Then terminal
 * input arrives with no receive buffer posted, so it waits in the device. */
static void vrig_drive(struct vrig *r, bool msix)
{
	struct pci_device *d = &r->vc.vp.pci;
	unsigned cap = r->vc.vp.msix.cap;

	pci_guest_cfg_write(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (msix)
		pci_guest_cfg_write(d, cap + 2, 2, MSIX_CTRL_ENABLE);
	msix_entry(r, 0, 0x40, false);
	msix_entry(r, 1, 0x41, false);
	msix_entry(r, 2, 0x42, true);
	mw(r, COMMON(0x14), 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
	mw(r, COMMON(0x08), 4, 1);
	mw(r, COMMON(0x0c), 4, 1);              /* VERSION_1 */
	mw(r, COMMON(0x14), 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK);
	mw(r, COMMON(0x10), 2, 0);
	queue_setup(r, 0, DESC0, AVAIL0, USED0, 1);
	queue_setup(r, 1, DESC1, AVAIL1, USED1, 2);
	mw(r, COMMON(0x14), 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	mw(r, COMMON(0x00), 4, 1);
	ram_put(r, TXBUF, "hi!", 3);
	offer(r, DESC1, AVAIL1, 3, TXBUF, 3, 0, 0);
	mw(r, bar + VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_MULT, 2, 1);
	ck_assert_uint_eq(r->out_len, 3);
	ck_assert_uint_eq(virtio_console_input(&r->vc, (const uint8_t *)"typed", 5), 5);
	ck_assert_uint_eq(r->vc.pending_len, 5);
}

static int v_save(void *dev, struct snap_out *out)
{
	return pci_device_save(dev, out);
}

static int v_fresh_load(struct snap_in *in)
{
	vrig_down(B);
	fake_kvm_reset();
	fake_kvm.misuse = vmisuse;
	vrig_up(B);
	memcpy(B->ram, A->ram, RAM_SIZE);
	return pci_device_load(&B->vc.vp.pci, in);
}

static void vrigs_up(void)
{
	fake_ioctl_reset(0);
	ck_assert_int_ge(fake_kvm_open(), 0);
	fake_kvm_reset();
	fake_kvm.misuse = vmisuse;
	A = calloc(1, sizeof(*A));
	B = calloc(1, sizeof(*B));
	ck_assert_ptr_nonnull(A);
	ck_assert_ptr_nonnull(B);
	log_verbosity = LOG_ERROR;
	vrig_up(A);
	vrig_up(B);
}

static void vrigs_down(void)
{
	vrig_down(A);
	vrig_down(B);
	free(A);
	free(B);
	A = B = NULL;
	fake_kvm_close();
}

/* Where the transport's state starts in a saved virtio device, and its
 * fields (virtio_pci_state.c's layout). */
#define V_PCI      (1 + 10 + 2 + PCI_CFG_SIZE + 17 * (PCI_ROM_BAR + 1))
#define V_STATUS   (V_PCI + 0)
#define V_ISR      (V_PCI + 2)
#define V_INTX     (V_PCI + 3)
#define V_FEAT     (V_PCI + 4)
#define V_CFGVEC   (V_PCI + 20)
#define V_NQ       (V_PCI + 32)
#define V_Q(q)     (V_PCI + 33 + 33 * (q))
#define V_QSIZE(q) (V_Q(q) + 0)
#define V_QREADY(q) (V_Q(q) + 2)
#define V_QDESC(q) (V_Q(q) + 3)
#define V_QLAST(q) (V_Q(q) + 27)
#define V_QVEC(q)  (V_Q(q) + 31)
#define V_MSIX     (V_Q(2))
#define V_ENTRY(v) (V_MSIX + 2 + 16 * (v))
#define V_PBA      (V_ENTRY(3))
#define V_CON      (V_PBA + 8)

static bool has_ioeventfd(int fd, uint64_t addr)
{
	unsigned i;

	for (i = 0; i < fake_kvm.n_ioeventfds; i++)
		if (fake_kvm.ioeventfd[i].fd == fd && fake_kvm.ioeventfd[i].addr == addr)
			return true;
	return false;
}

static void assert_route(struct vrig *r, unsigned v)
{
	const struct fake_kvm_irqfd *f = fake_kvm_irqfd_of(r->vc.vp.vec[v].efd);
	const struct kvm_irq_routing_entry *e;

	ck_assert_ptr_nonnull(f);
	e = fake_kvm_msi_route(f->gsi);
	ck_assert_msg(e != NULL, "vector %u has no route", v);
	ck_assert_uint_eq(e->u.msi.address_lo, 0xfee00000U | v << 12);
	ck_assert_uint_eq(e->u.msi.data, 0x40 + v);
}

START_TEST(virtio_round_trip)
{
	struct virtio_pci *va = &A->vc.vp, *vb;
	uint8_t got[8];
	struct saved s;
	char err[ERR_LEN];
	unsigned q, off;

	vrig_drive(A, true);
	ck_assert_uint_eq(va->isr, 1);
	ck_assert_uint_eq(va->vq[1].last_avail, 1);
	ck_assert_uint_eq(msix_pba_read(&va->msix, 0, 8), 1U << 2);
	s = save_with(v_save, &va->pci);
	ck_assert_uint_eq(s.len, V_CON + 4 + 5 + 8);
	ck_assert_int_eq(load_bytes(v_fresh_load, s.p, s.len, err), 0);
	vb = &B->vc.vp;
	/* Field by field. */
	ck_assert_uint_eq(vb->status, va->status);
	ck_assert_uint_eq(vb->drv_features, VIRTIO_F_VERSION_1);
	ck_assert_uint_eq(vb->dev_feature_sel, 1);
	ck_assert_uint_eq(vb->drv_feature_sel, 1);
	ck_assert_uint_eq(vb->msix_config, 0);
	ck_assert_uint_eq(vb->queue_sel, 1);
	ck_assert_uint_eq(vb->isr, 1);
	for (q = 0; q < 2; q++) {
		ck_assert(vb->vq[q].ready);
		ck_assert_uint_eq(vb->vq[q].size, QSIZE);
		ck_assert_uint_eq(vb->vq[q].desc_gpa, va->vq[q].desc_gpa);
		ck_assert_uint_eq(vb->vq[q].avail_gpa, va->vq[q].avail_gpa);
		ck_assert_uint_eq(vb->vq[q].used_gpa, va->vq[q].used_gpa);
		ck_assert_uint_eq(vb->vq[q].last_avail, va->vq[q].last_avail);
		ck_assert_uint_eq(vb->vq[q].used_idx, va->vq[q].used_idx);
		ck_assert_uint_eq(vb->vq_vector[q], va->vq_vector[q]);
		ck_assert_ptr_eq(vb->vq[q].desc, B->ram + va->vq[q].desc_gpa);
	}
	ck_assert_mem_eq(vb->msix.table, va->msix.table, 3 * sizeof(struct msix_entry));
	ck_assert_uint_eq(vb->msix.pba[0], 1U << 2);
	ck_assert_uint_eq(B->vc.pending_len, 5);
	ck_assert_mem_eq(B->vc.pending, "typed", 5);
	/* The guest's view of the common config, per queue, and of MSI-X. */
	for (q = 0; q < 2; q++) {
		mw(A, COMMON(0x16), 2, q);
		mw(B, COMMON(0x16), 2, q);
		for (off = 0; off < VIRTIO_COMMON_LEN; off += 4)
			ck_assert_uint_eq(mr(B, COMMON(off), 4), mr(A, COMMON(off), 4));
	}
	for (off = 0; off < 3 * MSIX_ENTRY_SIZE; off += 4)
		ck_assert_uint_eq(mr(B, bar + VIRTIO_MSIX_OFF + off, 4),
				  mr(A, bar + VIRTIO_MSIX_OFF + off, 4));
	/* Routes for the enabled, unmasked vectors; none for the masked one;
	 * kicks registered where BAR0 decodes. */
	assert_route(B, 0);
	assert_route(B, 1);
	ck_assert_ptr_null(fake_kvm_msi_route(fake_kvm_irqfd_of(vb->vec[2].efd)->gsi));
	for (q = 0; q < 2; q++)
		ck_assert(has_ioeventfd(vb->notify_efd[q],
					bar + VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_MULT * q));
	/* Unmasking vector 2 delivers the interrupt that was pending. */
	mw(B, bar + VIRTIO_MSIX_OFF + 2 * MSIX_ENTRY_SIZE + 12, 4, 0);
	ck_assert_uint_eq(msix_pba_read(&vb->msix, 0, 8), 0);
	ck_assert(irq_vector_take_signal(&(struct irq_vector){ .efd = vb->vec[2].efd }));
	/* The ISR read clears it, as on the source. */
	ck_assert_uint_eq(mr(B, bar + VIRTIO_ISR_OFF, 1), 1);
	/* The guest posts a receive buffer: the waiting input goes in, the
	 * used ring going on from the loaded index. */
	offer(B, DESC0, AVAIL0, 7, RXBUF, 8, VIRTQ_DESC_F_WRITE, 0);
	mw(B, bar + VIRTIO_NOTIFY_OFF, 2, 0);
	ck_assert_uint_eq(B->vc.pending_len, 0);
	memcpy(got, B->ram + RXBUF, 5);
	ck_assert_mem_eq(got, "typed", 5);
	ck_assert_uint_eq(*(uint16_t *)(B->ram + USED0 + 2), 1);
	ck_assert_uint_eq(*(uint32_t *)(B->ram + USED0 + 4), 7);
	/* And it sends again: the transmitq goes on at index 1. */
	ram_put(B, TXBUF, "yo", 2);
	offer(B, DESC1, AVAIL1, 4, TXBUF, 2, 0, 1);
	mw(B, bar + VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_MULT, 2, 1);
	ck_assert_uint_eq(B->out_len, 2);
	ck_assert_mem_eq(B->out, "yo", 2);
	ck_assert_uint_eq(*(uint16_t *)(B->ram + USED1 + 2), 2);
	free(s.p);
}
END_TEST

/* Without MSI-X the transport interrupts by INTx: the level and the status
 * bit come back, the line driven on load. */
START_TEST(virtio_intx)
{
	struct saved s;
	char err[ERR_LEN];
	unsigned lines;

	vrig_drive(A, false);
	ck_assert(A->vc.vp.intx_level);
	s = save_with(v_save, &A->vc.vp.pci);
	ck_assert_uint_eq(s.p[V_INTX], 1);
	ck_assert_int_eq(load_bytes(v_fresh_load, s.p, s.len, err), 0);
	lines = fake_kvm.irq_lines;
	ck_assert_uint_ge(lines, 1);
	ck_assert(B->vc.vp.intx_level);
	ck_assert_uint_eq(pci_guest_cfg_read(&B->vc.vp.pci, PCI_STATUS, 2) &
			  PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
	/* Reading the ISR lowers it. */
	ck_assert_uint_eq(mr(B, bar + VIRTIO_ISR_OFF, 1), 1);
	ck_assert(!B->vc.vp.intx_level);
	ck_assert_uint_eq(fake_kvm.irq_lines, lines + 1);
	ck_assert_uint_eq(pci_guest_cfg_read(&B->vc.vp.pci, PCI_STATUS, 2) &
			  PCI_STATUS_INTERRUPT, 0);
	free(s.p);
}
END_TEST

/* A freshly reset device (what the firmware sees) round-trips too. */
START_TEST(virtio_idle)
{
	struct saved s = save_with(v_save, &A->vc.vp.pci);
	char err[ERR_LEN];
	unsigned v;

	ck_assert_int_eq(load_bytes(v_fresh_load, s.p, s.len, err), 0);
	ck_assert_uint_eq(B->vc.vp.vq[0].size, VIRTQ_MAX_SIZE);
	ck_assert(!B->vc.vp.pci.bar[0].mapped);
	ck_assert_uint_eq(fake_kvm.n_ioeventfds, 0);
	for (v = 0; v < B->vc.vp.msix.n; v++)
		ck_assert_ptr_null(fake_kvm_msi_route(B->vc.vp.vec[v].gsi));
	free(s.p);
}
END_TEST

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The saved bytes with n bytes at off replaced by v: refused with why. */
static void v_refused(const struct saved *s, size_t off, uint64_t v, unsigned n,
		      const char *why)
{
	struct saved t = { malloc(s->len), s->len };
	char err[ERR_LEN];

	ck_assert_ptr_nonnull(t.p);
	memcpy(t.p, s->p, s->len);
	put_le(t.p + off, v, n);
	ck_assert_int_eq(load_bytes(v_fresh_load, t.p, t.len, err), -1);
	ck_assert_msg(strstr(err, why), "wanted \"%s\", got \"%s\"", why, err);
	free(t.p);
}

START_TEST(virtio_refusals)
{
	struct saved s;

	vrig_drive(A, true);
	s = save_with(v_save, &A->vc.vp.pci);
	/* The kind and the identity, at the bus's level. */
	v_refused(&s, 1, 'w', 1, "virtio-console: a snapshot of a wirtio-pci device, "
		  "this one is virtio-pci");
	v_refused(&s, 13 + PCI_DEVICE_ID, 0x1041, 2, "virtio-console: config space at "
		  "0x002 is 0x41 where the device has 0x43 (read-only bits 0xff)");
	v_refused(&s, 13 + A->vc.vp.msix.cap + 2, 7, 1, "virtio-console: config space at "
		  "0x042 is 0x07 where the device has 0x02 (read-only bits 0xff)");
	/* The transport. */
	v_refused(&s, V_ISR, 4, 1, "an ISR with bits other than queue (1) and config (2)");
	v_refused(&s, V_INTX, 2, 1, "an INTx level other than 0 or 1");
	v_refused(&s, V_INTX, 1, 1, "an INTx level other than the PCI status bit's");
	v_refused(&s, V_FEAT, 2, 8, "features accepted (FEATURES_OK) that the device "
		  "does not offer, or without VERSION_1");
	v_refused(&s, V_FEAT, VIRTIO_F_VERSION_1 | 1ULL << 40, 8, "features accepted "
		  "(FEATURES_OK) that the device does not offer");
	v_refused(&s, V_CFGVEC, 3, 2, "a config vector beyond the MSI-X table");
	v_refused(&s, V_NQ, 3, 1, "another number of queues than this device has");
	v_refused(&s, V_QSIZE(0), 24, 2, "a queue size that is not a power of two up to 256");
	v_refused(&s, V_QSIZE(1), 512, 2, "a queue size that is not a power of two up to 256");
	v_refused(&s, V_QSIZE(1), 0, 2, "a queue size that is not a power of two up to 256");
	v_refused(&s, V_QREADY(0), 2, 1, "a queue enable flag other than 0 or 1");
	v_refused(&s, V_QDESC(1), RAM_SIZE - 16, 8, "a queue's rings outside guest RAM "
		  "or misaligned");
	v_refused(&s, V_QDESC(0), DESC0 + 8, 8, "a queue's rings outside guest RAM or "
		  "misaligned");
	v_refused(&s, V_QLAST(1), QSIZE + 2, 2, "more buffers in flight than the queue holds");
	v_refused(&s, V_QVEC(1), 3, 2, "a queue vector beyond the MSI-X table");
	/* MSI-X. */
	v_refused(&s, V_MSIX, 4, 2, "an MSI-X table of another size than this device's");
	v_refused(&s, V_ENTRY(1) + 12, 2, 4, "an MSI-X vector control with reserved bits set");
	v_refused(&s, V_PBA, 1U << 3, 8, "MSI-X pending bits past the last vector");
	v_refused(&s, V_PBA, 1U << 1, 8, "an MSI-X vector pending while enabled and unmasked");
	/* virtio-console. */
	v_refused(&s, V_CON, VCON_PENDING + 1, 4, "more pending input than the console's "
		  "buffer holds");
	free(s.p);
}
END_TEST

/* A queue that is not ready keeps whatever the driver wrote; a queue may
 * not be ready on a device without guest RAM. */
START_TEST(virtqueue_load_edges)
{
	struct virtq vq = { .size = 64, .desc_gpa = 0x12345, .last_avail = 9 }, v2;
	struct snap_out out;
	struct snap_in in;
	char err[ERR_LEN];

	snap_out_init(&out);
	ck_assert_int_eq(virtq_save(&vq, &out), 0);
	ck_assert_uint_eq(out.len, 31);
	snap_in_init(&in, out.buf, out.len, 0);
	ck_assert_int_eq(virtq_load(&v2, NULL, &in), 0);
	ck_assert_uint_eq(v2.size, 64);
	ck_assert_uint_eq(v2.desc_gpa, 0x12345);
	ck_assert_uint_eq(v2.last_avail, 9);
	ck_assert(!v2.ready);
	out.buf[2] = 1;
	snap_in_init(&in, out.buf, out.len, 0);
	ck_assert_int_eq(virtq_load(&v2, NULL, &in), -1);
	ck_assert_int_eq(snap_in_finish(&in, "queue", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "queue is invalid: a queue enabled on a device without guest "
			 "RAM (the field before byte 31)");
	snap_out_free(&out);
}
END_TEST

START_TEST(virtio_truncations)
{
	struct saved s;

	vrig_drive(A, true);
	s = save_with(v_save, &A->vc.vp.pci);
	truncations(v_fresh_load, &s);
	free(s.p);
}
END_TEST

Suite *device_state_suite(void)
{
	Suite *suite = suite_create("device_state");
	TCase *tc = tcase_create("core");
	TCase *tp = tcase_create("pci");
	TCase *tv = tcase_create("virtio");

	tcase_add_test(tc, serial_round_trip);
	tcase_add_test(tc, serial_two_instances);
	tcase_add_test(tc, serial_refusals);
	tcase_add_test(tc, serial_truncations);
	tcase_add_test(tc, cmos_round_trip);
	tcase_add_test(tc, cmos_set_in_progress);
	tcase_add_test(tc, cmos_refusals);
	tcase_add_test(tc, cmos_truncations);
	tcase_add_test(tc, fw_cfg_round_trip);
	tcase_add_test(tc, fw_cfg_nothing_selected);
	tcase_add_test(tc, fw_cfg_refusals);
	tcase_add_test(tc, fw_cfg_truncations);
	tcase_add_test(tc, acpi_pm_round_trip);
	tcase_add_test(tc, acpi_pm_refusals_and_truncations);
	tcase_add_test(tc, acpi_hotplug_round_trip);
	tcase_add_test(tc, acpi_hotplug_refusals_and_truncations);
	tcase_add_test(tc, virtqueue_load_edges);
	suite_add_tcase(suite, tc);
	tcase_add_checked_fixture(tp, trigs_up, trigs_down);
	tcase_add_test(tp, pci_round_trip);
	tcase_add_test(tp, pci_refusals);
	tcase_add_test(tp, pci_writable_bits_load);
	tcase_add_test(tp, pci_truncations);
	suite_add_tcase(suite, tp);
	tcase_add_checked_fixture(tv, vrigs_up, vrigs_down);
	tcase_set_timeout(tv, 60);
	tcase_add_test(tv, virtio_round_trip);
	tcase_add_test(tv, virtio_intx);
	tcase_add_test(tv, virtio_idle);
	tcase_add_test(tv, virtio_refusals);
	tcase_add_test(tv, virtio_truncations);
	suite_add_tcase(suite, tv);
	return suite;
}
