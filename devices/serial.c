/* A 16550A UART: enough of the chip for Linux's 8250 driver to detect it
 * (scratch register, loopback, FIFO id) and to run it interrupt-driven.
 * Transmitted bytes go straight to the sink; received bytes wait in a
 * buffer until the guest reads them. All register offsets and values from
 * the guest are masked to the bits the chip has. */
#include <string.h>
#include "serial.h"
#include "../vmm/snapshot/cursor.h"

#define UART_RBR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI  0x01
#define IER_THRI 0x02
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI  0x04
#define IIR_FIFO 0xc0
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define IER_BITS 0x0f
#define MCR_BITS 0x1f
#define FCR_BITS 0xc9

void serial_init(struct serial *s)
{
	memset(s, 0, sizeof(*s));
	s->lcr = 0x03;
	s->mcr = 0x08;
	s->dll = 0x0c;
}

static uint8_t iir(const struct serial *s)
{
	uint8_t fifo = s->fcr & FCR_ENABLE ? IIR_FIFO : 0;

	if ((s->ier & IER_RDI) && s->rx_len)
		return IIR_RDI | fifo;
	if ((s->ier & IER_THRI) && s->thr_ipending)
		return IIR_THRI | fifo;
	return IIR_NONE | fifo;
}

static void update_irq(struct serial *s)
{
	bool level = !(iir(s) & IIR_NONE);

	if (level != s->irq_level && s->set_irq)
		s->set_irq(s->opaque, level);
	s->irq_level = level;
}

static uint8_t rx_pop(struct serial *s)
{
	uint8_t b;

	if (!s->rx_len)
		return 0;
	b = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_RX_SIZE;
	s->rx_len--;
	return b;
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	while (n < len && s->rx_len < SERIAL_RX_SIZE) {
		s->rx[(s->rx_head + s->rx_len) % SERIAL_RX_SIZE] = buf[n++];
		s->rx_len++;
	}
	update_irq(s);
	return n;
}

/* Loopback reflects MCR outputs on MSR inputs: RTS->CTS, DTR->DSR,
 * OUT1->RI, OUT2->DCD. Otherwise report a connected, ready line. */
static uint8_t msr(const struct serial *s)
{
	if (s->mcr & MCR_LOOP)
		return (uint8_t)((s->mcr & 0x02) << 3 | (s->mcr & 0x01) << 5 |
				 (s->mcr & 0x04) << 4 | (s->mcr & 0x08) << 4);
	return 0xb0;    /* DCD, DSR, CTS */
}

static void transmit(struct serial *s, uint8_t b)
{
	if (s->mcr & MCR_LOOP)
		serial_receive(s, &b, 1);
	else if (s->tx)
		s->tx(s->opaque, b);
	s->thr_ipending = true;
}

uint64_t serial_read(void *opaque, uint64_t off, unsigned size)
{
	struct serial *s = opaque;
	uint8_t v = 0xff;

	if (size != 1 || off > 7)
		return ~0ULL;
	switch (off) {
	case UART_RBR:
		v = s->lcr & LCR_DLAB ? s->dll : rx_pop(s);
		break;
	case UART_IER:
		v = s->lcr & LCR_DLAB ? s->dlm : s->ier;
		break;
	case UART_IIR:
		v = iir(s);
		if ((v & 0x0f) == IIR_THRI)
			s->thr_ipending = false;
		break;
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		v = LSR_THRE | LSR_TEMT | (s->rx_len ? LSR_DR : 0);
		break;
	case UART_MSR:
		v = msr(s);
		break;
	case UART_SCR:
		v = s->scr;
		break;
	}
	update_irq(s);
	return v;
}

void serial_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct serial *s = opaque;
	uint8_t v = (uint8_t)val;

	if (size != 1 || off > 7)
		return;
	switch (off) {
	case UART_RBR:
		if (s->lcr & LCR_DLAB)
			s->dll = v;
		else
			transmit(s, v);
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		/* Enabling the THR interrupt with an empty THR raises it. */
		if ((v & IER_THRI) && !(s->ier & IER_THRI))
			s->thr_ipending = true;
		s->ier = v & IER_BITS;
		break;
	case UART_IIR:
		s->fcr = v & FCR_BITS;
		if (v & FCR_CLEAR_RX)
			s->rx_head = s->rx_len = 0;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & MCR_BITS;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	}
	update_irq(s);
}

int serial_save(const struct serial *s, struct snap_out *out)
{
	size_t i;

	snap_put_u8(out, s->ier);
	snap_put_u8(out, s->lcr);
	snap_put_u8(out, s->mcr);
	snap_put_u8(out, s->scr);
	snap_put_u8(out, s->dll);
	snap_put_u8(out, s->dlm);
	snap_put_u8(out, s->fcr);
	snap_put_u8(out, s->thr_ipending);
	snap_put_u8(out, s->irq_level);
	snap_put_u16(out, (uint16_t)s->rx_len);
	for (i = 0; i < s->rx_len; i++)
		snap_put_u8(out, s->rx[(s->rx_head + i) % SERIAL_RX_SIZE]);
	return snap_out_error(out);
}

static void load_regs(struct serial *s, struct snap_in *in)
{
	s->ier = snap_get_u8(in);
	if (s->ier & ~IER_BITS)
		snap_in_fail(in, "an IER with bits the UART does not have");
	s->lcr = snap_get_u8(in);
	s->mcr = snap_get_u8(in);
	if (s->mcr & ~MCR_BITS)
		snap_in_fail(in, "an MCR with bits the UART does not have");
	s->scr = snap_get_u8(in);
	s->dll = snap_get_u8(in);
	s->dlm = snap_get_u8(in);
	s->fcr = snap_get_u8(in);
	if (s->fcr & ~FCR_BITS)
		snap_in_fail(in, "an FCR with bits the UART does not keep");
}

static void load_fifo(struct serial *s, struct snap_in *in)
{
	size_t n = snap_get_u16(in);

	if (n > SERIAL_RX_SIZE)
		snap_in_fail(in, "more received bytes than the FIFO holds");
	if (snap_in_failed(in))
		return;
	s->rx_head = 0;
	snap_get_bytes(in, s->rx, n);
	s->rx_len = snap_in_failed(in) ? 0 : n;
}

int serial_load(struct serial *s, struct snap_in *in)
{
	uint8_t thri, level;

	load_regs(s, in);
	thri = snap_get_u8(in);
	if (thri > 1)
		snap_in_fail(in, "a THR interrupt flag other than 0 or 1");
	s->thr_ipending = thri;
	level = snap_get_u8(in);
	if (level > 1)
		snap_in_fail(in, "an IRQ level other than 0 or 1");
	load_fifo(s, in);
	if (!snap_in_failed(in) && level != !(iir(s) & IIR_NONE))
		snap_in_fail(in, "an IRQ level its registers and FIFO do not give");
	if (snap_in_failed(in))
		return -1;
	s->irq_level = level;
	if (s->set_irq)
		s->set_irq(s->opaque, level);
	return 0;
}
