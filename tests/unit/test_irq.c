/* Unit tests of vmm/irq.c's MSI GSI allocation and irq_vector: a vector's
 * eventfd and GSI, signals held while detached, release; the GSI space
 * running out is an error, not a wrap. No KVM: vm_fd is -1, so attaching
 * an irqfd fails and the vector stays detached. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "../../vmm/arch.h"
#include "../../vmm/irq.h"
#include "suites.h"

static struct irq_router r;

static void router_up(void)
{
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.lock, NULL);
	r.vm_fd = -1;
	r.n = (int)arch_irq_default_routes(r.e, IRQ_MAX_ROUTES, &r.first_msi_gsi);
}

START_TEST(gsi_alloc_runs_out)
{
	uint32_t gsi, last = 0;
	int n = 0;

	router_up();
	ck_assert_uint_eq(r.first_msi_gsi, 24);         /* x86: past the IOAPIC's pins */
	while (irq_msi_alloc(&r, &gsi) == 0) {
		ck_assert_uint_ge(gsi, r.first_msi_gsi);
		if (n++)
			ck_assert_uint_eq(gsi, last + 1);
		last = gsi;
	}
	ck_assert_int_eq(n, IRQ_MAX_ROUTES - (int)r.first_msi_gsi);
	ck_assert_int_eq(irq_msi_alloc(&r, &gsi), -ENOSPC);
	ck_assert_uint_eq(last, IRQ_MAX_ROUTES - 1);
	irq_msi_free(&r, r.first_msi_gsi + 5);
	ck_assert_int_eq(irq_msi_alloc(&r, &gsi), 0);   /* a freed GSI comes back */
	ck_assert_uint_eq(gsi, r.first_msi_gsi + 5);
}
END_TEST

START_TEST(vector_signals_wait_while_detached)
{
	struct irq_vector v = { .efd = -1 }, w = { .efd = -1 };

	router_up();
	ck_assert(!irq_vector_take_signal(&v));         /* never set up */
	ck_assert_int_eq(irq_vector_init(&r, &v), 0);
	ck_assert_int_eq(irq_vector_init(&r, &w), 0);
	ck_assert_int_ge(v.efd, 0);
	ck_assert_uint_eq(v.gsi, r.first_msi_gsi);
	ck_assert_uint_eq(w.gsi, r.first_msi_gsi + 1);
	ck_assert(!v.live);
	ck_assert(!irq_vector_take_signal(&v));         /* nothing yet */
	ck_assert_int_eq(irq_vector_signal(&v), 0);
	ck_assert_int_eq(irq_vector_signal(&v), 0);
	ck_assert(irq_vector_take_signal(&v));          /* both, at once */
	ck_assert(!irq_vector_take_signal(&v));
	/* No KVM here: attaching fails and the vector stays detached. */
	ck_assert_int_ne(irq_vector_set_live(-1, &v, true), 0);
	ck_assert(!v.live);
	ck_assert_int_eq(irq_vector_set_live(-1, &v, false), 0);   /* already so */
	irq_vector_release(&r, &v);
	ck_assert_int_eq(v.efd, -1);
	irq_vector_release(&r, &v);                     /* twice: harmless */
	/* v's GSI is free again and the lowest: the next vector takes it */
	ck_assert_int_eq(irq_vector_init(&r, &v), 0);
	ck_assert_uint_eq(v.gsi, r.first_msi_gsi);
	irq_vector_release(&r, &v);
	irq_vector_release(&r, &w);
}
END_TEST

START_TEST(vector_init_fails_cleanly)
{
	struct irq_vector v = { .efd = -1 };

	uint32_t gsi;

	router_up();
	while (irq_msi_alloc(&r, &gsi) == 0)
		;
	ck_assert_int_eq(irq_vector_init(&r, &v), -ENOSPC);
	ck_assert_int_eq(v.efd, -1);                    /* its eventfd closed */
}
END_TEST

/* x86's side of vmm/arch.h's interrupt calls: MSIs only into the LAPIC
 * window (the requester id plays no part), INTx swizzled over IOAPIC pins
 * 16-23, the PICs' and IOAPIC's default routes, KVM_IRQ_LINE by GSI. */
START_TEST(x86_arch_routes)
{
	struct kvm_irq_routing_entry e, t[64];
	uint32_t first = 0;
	unsigned n, i, ioapic = 0;

	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(arch_msi_route(&e, 0xfee01000, 0x4041, 0x18), 0);
	ck_assert_uint_eq(e.type, KVM_IRQ_ROUTING_MSI);
	ck_assert_uint_eq(e.u.msi.address_lo, 0xfee01000);
	ck_assert_uint_eq(e.u.msi.address_hi, 0);
	ck_assert_uint_eq(e.u.msi.data, 0x4041);
	ck_assert_uint_eq(e.flags, 0);                  /* no device id on x86 */
	ck_assert_int_eq(arch_msi_route(&e, 0xfed00000, 0, 0), -EINVAL);
	ck_assert_int_eq(arch_msi_route(&e, 0xfef00000, 0, 0), -EINVAL);
	ck_assert_int_eq(arch_msi_route(&e, 0x1fee00000ULL, 0, 0), -EINVAL);
	ck_assert_uint_eq(arch_intx_gsi(0, 0), 16);
	ck_assert_uint_eq(arch_intx_gsi(3, 1), 20);
	ck_assert_uint_eq(arch_intx_gsi(7, 3), 18);     /* (7 + 3) & 7 = 2 */
	ck_assert_uint_eq(arch_irq_line(9), 9);
	n = arch_irq_default_routes(t, 64, &first);
	ck_assert_uint_eq(n, 40);
	ck_assert_uint_eq(first, 24);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(t[i].type, KVM_IRQ_ROUTING_IRQCHIP);
		if (t[i].u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			ck_assert_uint_eq(t[i].gsi, t[i].u.irqchip.pin);
			ioapic++;
		}
	}
	ck_assert_uint_eq(ioapic, 24);
	ck_assert_uint_eq(arch_irq_default_routes(t, 10, &first), 10);  /* never past max */
}
END_TEST

Suite *irq_suite(void)
{
	Suite *s = suite_create("irq");
	TCase *tc = tcase_create("irq");

	tcase_add_test(tc, gsi_alloc_runs_out);
	tcase_add_test(tc, vector_signals_wait_while_detached);
	tcase_add_test(tc, vector_init_fails_cleanly);
	tcase_add_test(tc, x86_arch_routes);
	suite_add_tcase(s, tc);
	return s;
}
