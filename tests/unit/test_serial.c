/* Tests of the 16550A UART model (devices/serial.c). */
#include <string.h>
#include "suites.h"
#include "../../devices/serial.h"

#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static struct serial s;
static uint8_t txbuf[64];
static int ntx, irq_calls, irq_level;

static void tx(void *opaque, uint8_t b)
{
	ck_assert_ptr_eq(opaque, &s);
	if (ntx < (int)sizeof(txbuf))
		txbuf[ntx] = b;
	ntx++;
}

static void set_irq(void *opaque, int level)
{
	ck_assert_ptr_eq(opaque, &s);
	irq_calls++;
	irq_level = level;
}

static void setup(void)
{
	serial_init(&s);
	s.tx = tx;
	s.set_irq = set_irq;
	s.opaque = &s;
	ntx = irq_calls = irq_level = 0;
}

static uint8_t rd(unsigned off)
{
	uint64_t v = serial_read(&s, off, 1);

	ck_assert_uint_le(v, 0xff);
	return (uint8_t)v;
}

static void wr(unsigned off, uint8_t v)
{
	serial_write(&s, off, 1, v);
}

START_TEST(reset_state)
{
	ck_assert_uint_eq(rd(LCR), 0x03);
	ck_assert_uint_eq(rd(MCR), 0x08);
	ck_assert_uint_eq(rd(IER), 0);
	ck_assert_uint_eq(rd(IIR), 0x01);
	ck_assert_uint_eq(rd(LSR), 0x60);
	ck_assert_uint_eq(rd(MSR), 0xb0);
	ck_assert_uint_eq(rd(RBR), 0);
	ck_assert_int_eq(irq_calls, 0);
}
END_TEST

START_TEST(scratch)
{
	wr(SCR, 0x55);
	ck_assert_uint_eq(rd(SCR), 0x55);
	wr(SCR, 0xaa);
	ck_assert_uint_eq(rd(SCR), 0xaa);
}
END_TEST

START_TEST(loopback_probe)
{
	/* What Linux's 8250 autoconfig does. */
	wr(MCR, 0x10);
	ck_assert_uint_eq(rd(MSR) & 0xf0, 0);
	wr(MCR, 0x1a);
	ck_assert_uint_eq(rd(MSR) & 0xf0, 0x90);
	/* Each output maps to its input. */
	wr(MCR, 0x10 | 0x01);
	ck_assert_uint_eq(rd(MSR), 0x20);
	wr(MCR, 0x10 | 0x04);
	ck_assert_uint_eq(rd(MSR), 0x40);
	wr(MCR, 0x1f);
	ck_assert_uint_eq(rd(MSR), 0xf0);
	ck_assert_uint_eq(rd(MCR), 0x1f);
	/* Upper MCR bits do not exist. */
	wr(MCR, 0xe3);
	ck_assert_uint_eq(rd(MCR), 0x03);
	ck_assert_uint_eq(rd(MSR), 0xb0);
}
END_TEST

START_TEST(loopback_data)
{
	wr(MCR, 0x10);
	wr(RBR, 'Z');
	ck_assert_int_eq(ntx, 0);
	ck_assert_uint_eq(rd(LSR), 0x61);
	ck_assert_uint_eq(rd(RBR), 'Z');
	ck_assert_uint_eq(rd(LSR), 0x60);
}
END_TEST

START_TEST(fifo_id)
{
	ck_assert_uint_eq(rd(IIR) & 0xc0, 0);
	wr(FCR, 0x01);
	ck_assert_uint_eq(rd(IIR), 0xc1);
	wr(FCR, 0xe7);
	ck_assert_uint_eq(rd(IIR), 0xc1);
	wr(FCR, 0x00);
	ck_assert_uint_eq(rd(IIR), 0x01);
}
END_TEST

START_TEST(transmit)
{
	wr(RBR, 'h');
	wr(RBR, 'i');
	ck_assert_int_eq(ntx, 2);
	ck_assert_mem_eq(txbuf, "hi", 2);
	/* THR empty, no interrupt enabled: line stays low. */
	ck_assert_int_eq(irq_calls, 0);
	s.tx = NULL;
	wr(RBR, '!');
	ck_assert_int_eq(ntx, 2);
}
END_TEST

START_TEST(thri_interrupt)
{
	wr(IER, 0x02);
	ck_assert_int_eq(irq_calls, 1);
	ck_assert_int_eq(irq_level, 1);
	ck_assert_uint_eq(rd(IER), 0x02);
	/* Reading IIR reports THRI once and drops the line. */
	ck_assert_uint_eq(rd(IIR), 0x02);
	ck_assert_int_eq(irq_calls, 2);
	ck_assert_int_eq(irq_level, 0);
	ck_assert_uint_eq(rd(IIR), 0x01);
	ck_assert_int_eq(irq_calls, 2);
	/* Each transmitted byte raises it again. */
	wr(RBR, 'x');
	ck_assert_int_eq(irq_level, 1);
	ck_assert_int_eq(irq_calls, 3);
	/* Re-writing IER with THRI still set does not. */
	ck_assert_uint_eq(rd(IIR), 0x02);
	wr(IER, 0x02);
	ck_assert_int_eq(irq_level, 0);
	ck_assert_int_eq(irq_calls, 4);
	/* Disabling THRI clears a pending one. */
	wr(RBR, 'y');
	ck_assert_int_eq(irq_level, 1);
	wr(IER, 0x00);
	ck_assert_int_eq(irq_level, 0);
	ck_assert_uint_eq(rd(IIR), 0x01);
	/* Only the four IER bits exist. */
	wr(IER, 0xf0);
	ck_assert_uint_eq(rd(IER), 0);
}
END_TEST

START_TEST(receive)
{
	static const uint8_t in[] = "abc";

	ck_assert_uint_eq(serial_receive(&s, in, 3), 3);
	ck_assert_uint_eq(rd(LSR), 0x61);
	/* Interrupt off: no IRQ yet. */
	ck_assert_int_eq(irq_calls, 0);
	ck_assert_uint_eq(rd(IIR), 0x01);
	wr(IER, 0x01);
	ck_assert_int_eq(irq_level, 1);
	ck_assert_uint_eq(rd(IIR), 0x04);
	ck_assert_uint_eq(rd(RBR), 'a');
	ck_assert_uint_eq(rd(RBR), 'b');
	ck_assert_int_eq(irq_level, 1);
	ck_assert_uint_eq(rd(RBR), 'c');
	ck_assert_int_eq(irq_level, 0);
	ck_assert_uint_eq(rd(LSR), 0x60);
	ck_assert_uint_eq(rd(IIR), 0x01);
	ck_assert_uint_eq(rd(RBR), 0);
	/* With RDI enabled, new input raises the line immediately. */
	ck_assert_uint_eq(serial_receive(&s, in + 1, 1), 1);
	ck_assert_int_eq(irq_level, 1);
	ck_assert_uint_eq(rd(RBR), 'b');
	ck_assert_int_eq(irq_level, 0);
}
END_TEST

START_TEST(rx_priority_over_thri)
{
	wr(IER, 0x03);
	serial_receive(&s, (const uint8_t *)"q", 1);
	wr(FCR, 0x01);
	ck_assert_uint_eq(rd(IIR), 0xc4);
	ck_assert_uint_eq(rd(RBR), 'q');
	ck_assert_uint_eq(rd(IIR), 0xc2);
	ck_assert_uint_eq(rd(IIR), 0xc1);
	ck_assert_int_eq(irq_level, 0);
}
END_TEST

START_TEST(receive_full)
{
	static uint8_t big[SERIAL_RX_SIZE + 10];
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13);
	ck_assert_uint_eq(serial_receive(&s, big, 100), 100);
	ck_assert_uint_eq(serial_receive(&s, big + 100, sizeof(big) - 100),
			  SERIAL_RX_SIZE - 100);
	ck_assert_uint_eq(serial_receive(&s, big, 1), 0);
	/* Order survives the ring's wrap. */
	for (i = 0; i < 50; i++)
		ck_assert_uint_eq(rd(RBR), big[i]);
	ck_assert_uint_eq(serial_receive(&s, (const uint8_t *)"xyz", 3), 3);
	for (i = 50; i < SERIAL_RX_SIZE; i++)
		ck_assert_uint_eq(rd(RBR), big[i]);
	ck_assert_uint_eq(rd(RBR), 'x');
	ck_assert_uint_eq(rd(RBR), 'y');
	ck_assert_uint_eq(rd(RBR), 'z');
	ck_assert_uint_eq(rd(LSR), 0x60);
}
END_TEST

START_TEST(fifo_clear)
{
	serial_receive(&s, (const uint8_t *)"abc", 3);
	wr(FCR, 0x03);
	ck_assert_uint_eq(rd(LSR), 0x60);
	ck_assert_uint_eq(rd(IIR), 0xc1);
}
END_TEST

START_TEST(dlab)
{
	wr(LCR, 0x83);
	ck_assert_uint_eq(rd(RBR), 0x0c);       /* divisor latch, 9600 baud */
	ck_assert_uint_eq(rd(IER), 0);
	wr(RBR, 0x01);
	wr(IER, 0x02);
	ck_assert_uint_eq(rd(RBR), 0x01);
	ck_assert_uint_eq(rd(IER), 0x02);
	ck_assert_int_eq(ntx, 0);
	ck_assert_int_eq(irq_calls, 0);
	wr(LCR, 0x03);
	ck_assert_uint_eq(rd(LCR), 0x03);
	/* The real IER was not touched. */
	ck_assert_uint_eq(rd(IER), 0);
	wr(RBR, 'k');
	ck_assert_int_eq(ntx, 1);
	ck_assert_uint_eq(txbuf[0], 'k');
	/* Received data waits while DLAB is set. */
	serial_receive(&s, (const uint8_t *)"r", 1);
	wr(LCR, 0x83);
	ck_assert_uint_eq(rd(RBR), 0x01);
	wr(LCR, 0x03);
	ck_assert_uint_eq(rd(RBR), 'r');
}
END_TEST

START_TEST(bad_accesses)
{
	wr(SCR, 0x42);
	ck_assert_uint_eq(serial_read(&s, SCR, 2), ~0ULL);
	ck_assert_uint_eq(serial_read(&s, 0, 4), ~0ULL);
	ck_assert_uint_eq(serial_read(&s, 8, 1), ~0ULL);
	ck_assert_uint_eq(serial_read(&s, UINT64_MAX, 1), ~0ULL);
	serial_write(&s, SCR, 2, 0x11);
	serial_write(&s, 8 + SCR, 1, 0x11);
	serial_write(&s, 0, 2, 'a');
	serial_write(&s, 0, 4, 'a');
	serial_write(&s, IER, 2, 0x0f);
	ck_assert_uint_eq(rd(SCR), 0x42);
	ck_assert_uint_eq(rd(IER), 0);
	ck_assert_int_eq(ntx, 0);
	/* A wide value is truncated to the register's 8 bits. */
	serial_write(&s, SCR, 1, 0x1234);
	ck_assert_uint_eq(rd(SCR), 0x34);
	/* Writes to LSR and MSR do nothing. */
	serial_write(&s, LSR, 1, 0xff);
	serial_write(&s, MSR, 1, 0x00);
	ck_assert_uint_eq(rd(LSR), 0x60);
	ck_assert_uint_eq(rd(MSR), 0xb0);
}
END_TEST

Suite *serial_suite(void)
{
	Suite *suite = suite_create("serial");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, reset_state);
	tcase_add_test(tc, scratch);
	tcase_add_test(tc, loopback_probe);
	tcase_add_test(tc, loopback_data);
	tcase_add_test(tc, fifo_id);
	tcase_add_test(tc, transmit);
	tcase_add_test(tc, thri_interrupt);
	tcase_add_test(tc, receive);
	tcase_add_test(tc, rx_priority_over_thri);
	tcase_add_test(tc, receive_full);
	tcase_add_test(tc, fifo_clear);
	tcase_add_test(tc, dlab);
	tcase_add_test(tc, bad_accesses);
	suite_add_tcase(suite, tc);
	return suite;
}
