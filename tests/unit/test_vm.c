/* Unit tests for the checks vmm/vm.c makes of KVM before creating the VM:
 * --cpus against KVM's vCPU limit (vm_check_cpus), with KVM_CAP_MAX_VCPUS,
 * with only KVM_CAP_NR_VCPUS, and with neither. */
#include <string.h>
#include "../../vmm/vm.h"
#include "suites.h"

static char err[256];

START_TEST(max_vcpus_is_the_limit)
{
	err[0] = '\0';
	ck_assert_int_eq(vm_check_cpus(1, 1024, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(vm_check_cpus(64, 64, 2, err, sizeof(err)), 0);
	/* KVM_CAP_NR_VCPUS is only a recommendation once MAX_VCPUS is known */
	ck_assert_int_eq(vm_check_cpus(8, 16, 2, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");

	ck_assert_int_eq(vm_check_cpus(17, 16, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--cpus 17 is more than KVM allows on this host: at most 16 vCPUs "
			 "(KVM_CAP_MAX_VCPUS)");
	ck_assert_int_eq(vm_check_cpus(64, 1, 0, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--cpus 64 is more than KVM allows on this host: at most 1 vCPUs "
			 "(KVM_CAP_MAX_VCPUS)");
}
END_TEST

START_TEST(nr_vcpus_without_max)
{
	ck_assert_int_eq(vm_check_cpus(8, 0, 8, err, sizeof(err)), 0);
	ck_assert_int_eq(vm_check_cpus(9, -1, 8, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--cpus 9 is more than KVM allows on this host: at most 8 vCPUs "
			 "(KVM_CAP_NR_VCPUS; this KVM has no KVM_CAP_MAX_VCPUS)");
}
END_TEST

START_TEST(neither_cap_means_four)
{
	ck_assert_int_eq(vm_check_cpus(4, 0, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(vm_check_cpus(5, 0, -1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--cpus 5 is more than KVM allows on this host: at most 4 vCPUs "
			 "(this KVM reports neither KVM_CAP_MAX_VCPUS nor KVM_CAP_NR_VCPUS)");
}
END_TEST

Suite *vm_suite(void)
{
	Suite *s = suite_create("vm");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, max_vcpus_is_the_limit);
	tcase_add_test(tc, nr_vcpus_without_max);
	tcase_add_test(tc, neither_cap_means_four);
	suite_add_tcase(s, tc);
	return s;
}
