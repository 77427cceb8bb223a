/* Unit tests of the KVM memory-slot allocator (vmm/memslot.c): lowest free
 * slot first, freed slots reused, the bound KVM reports and conduit's own. */
#include "../../vmm/memslot.h"
#include "suites.h"

START_TEST(lowest_free_first_and_reused)
{
	struct memslots s;

	memslots_init(&s, 509);
	ck_assert_uint_eq(s.limit, 509);
	ck_assert_int_eq(memslot_alloc(&s), 0);
	ck_assert_int_eq(memslot_alloc(&s), 1);
	ck_assert_int_eq(memslot_alloc(&s), 2);
	memslot_free(&s, 1);
	ck_assert_int_eq(memslot_alloc(&s), 1);         /* a freed slot comes back */
	ck_assert_int_eq(memslot_alloc(&s), 3);
	memslot_free(&s, 0);
	memslot_free(&s, 3);
	ck_assert_int_eq(memslot_alloc(&s), 0);
	ck_assert_int_eq(memslot_alloc(&s), 3);
}
END_TEST

START_TEST(bounded_by_kvm_and_by_conduit)
{
	struct memslots s;
	int i;

	memslots_init(&s, 0);           /* not reported: the 32 every KVM has */
	for (i = 0; i < 32; i++)
		ck_assert_int_eq(memslot_alloc(&s), i);
	ck_assert_int_eq(memslot_alloc(&s), -1);
	memslot_free(&s, 31);
	ck_assert_int_eq(memslot_alloc(&s), 31);
	ck_assert_int_eq(memslot_alloc(&s), -1);
	memslot_free(&s, 32);           /* out of range: ignored */
	memslot_free(&s, -1);
	ck_assert_int_eq(memslot_alloc(&s), -1);

	memslots_init(&s, 32764);       /* KVM's x86 figure: conduit's bound */
	ck_assert_uint_eq(s.limit, MEMSLOT_MAX);
	for (i = 0; i < MEMSLOT_MAX; i++)
		ck_assert_int_eq(memslot_alloc(&s), i);
	ck_assert_int_eq(memslot_alloc(&s), -1);
	memslot_free(&s, 100);
	memslot_free(&s, 64);
	ck_assert_int_eq(memslot_alloc(&s), 64);
	ck_assert_int_eq(memslot_alloc(&s), 100);
}
END_TEST

Suite *memslot_suite(void)
{
	Suite *s = suite_create("memslot");
	TCase *tc = tcase_create("memslot");

	tcase_add_test(tc, lowest_free_first_and_reused);
	tcase_add_test(tc, bounded_by_kvm_and_by_conduit);
	suite_add_tcase(s, tc);
	return s;
}
