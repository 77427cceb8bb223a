/* Unit tests of KVM dirty logging of guest RAM (vmm/dirty_log.c) on the
 * fake KVM vm fd: the manual-protect capability enabled before any slot
 * logs, the RAM slots installed again with and without
 * KVM_MEM_LOG_DIRTY_PAGES, a sync with and without manual protect (what
 * KVM_GET_DIRTY_LOG hands out, what KVM_CLEAR_DIRTY_LOG clears and in which
 * pieces), the merge with a device's bitmap, and the error paths. */
#include <check.h>
#include <errno.h>
#include <string.h>
#include "../../vmm/dirty_log.h"
#include "../../vmm/memslot.h"
#include "suites.h"
#include "../support/fake_ioctl.h"
#include "../support/fake_kvm.h"

#define PAGE 4096ULL
#define MIB  (1ULL << 20)
#define GIB  (1ULL << 30)

static struct guest_mem gm;
static int slots[MAX_RAM_REGIONS];
static struct dirty_log d;
static char err[256];

static void misuse(const char *what)
{
	ck_abort_msg("%s", what);
}

/* Guest RAM as vm.c installs it: region i in slot i, flags 0. The hvas
 * are never touched by the fake. */
static void install(int n, const uint64_t *size)
{
	uint64_t gpa = 0;
	int i;

	memset(&gm, 0, sizeof(gm));
	for (i = 0; i < n; i++) {
		gm.ram[i] = (struct ram_region){ .gpa = gpa, .size = size[i],
			.hva = (uint8_t *)(uintptr_t)(0x7f0000000000ULL + gpa) };
		slots[i] = i;
		ck_assert_int_eq(memslot_set(fake_kvm.fd, i, gpa, size[i], gm.ram[i].hva, 0), 0);
		gpa = i ? gpa + size[i] : 4 * GIB;
	}
	gm.n_ram = n;
	dirty_log_init(&d, fake_kvm.fd, &gm, slots);
}

static void setup(void)
{
	fake_kvm_open();
	fake_kvm.misuse = misuse;
	fake_ioctl_reset(0);
	err[0] = '\0';
}

static void teardown(void)
{
	fake_kvm_reset();
}

static void two_regions(void)
{
	install(2, (const uint64_t[]){ 2 * GIB, GIB });
}

START_TEST(without_manual_protect)
{
	struct vfio_dirty_bitmap b;

	two_regions();
	ck_assert_int_eq(dirty_log_start(&d, err, sizeof(err)), 0);
	ck_assert_uint_eq(fake_kvm.enable_cap_calls, 0);        /* not offered */
	ck_assert_uint_eq(d.manual, 0);
	ck_assert_uint_eq(fake_kvm.log_flag_calls, 2);
	ck_assert_uint_eq(fake_kvm.slot[0].flags, KVM_MEM_LOG_DIRTY_PAGES);
	ck_assert_uint_eq(fake_kvm.slot[1].flags, KVM_MEM_LOG_DIRTY_PAGES);
	ck_assert_uint_eq(fake_kvm.slot[1].gpa, 4 * GIB);       /* the same slot, again */
	ck_assert_uint_eq(fake_kvm_slots(), 2);

	ck_assert_int_eq(dirty_log_bitmap_init(&d, 1, &b), 0);
	ck_assert_uint_eq(b.iova, 4 * GIB);
	ck_assert_uint_eq(b.length, GIB);
	ck_assert_uint_eq(b.page_size, PAGE);
	fake_kvm_dirty(1, 0);
	fake_kvm_dirty(1, 65);
	fake_kvm_dirty(1, GIB / PAGE - 1);
	ck_assert_int_eq(dirty_log_sync(&d, 1, &b), 3);
	ck_assert(vfio_dirty_bitmap_test(&b, 4 * GIB));
	ck_assert(vfio_dirty_bitmap_test(&b, 4 * GIB + 65 * PAGE));
	ck_assert(vfio_dirty_bitmap_test(&b, 5 * GIB - PAGE));
	ck_assert_uint_eq(fake_kvm.get_dirty_calls, 1);
	ck_assert_uint_eq(fake_kvm.clear_calls, 0);     /* GET cleared it */
	ck_assert_uint_eq(fake_kvm.reprotected, 3);
	ck_assert_uint_eq(fake_kvm_dirty_pages(1), 0);
	ck_assert_int_eq(dirty_log_sync(&d, 1, &b), 0);  /* nothing since */
	ck_assert_uint_eq(vfio_dirty_bitmap_count(&b), 0);

	ck_assert_int_eq(dirty_log_stop(&d, err, sizeof(err)), 0);
	ck_assert_uint_eq(fake_kvm.slot[0].flags, 0);
	ck_assert_ptr_null(fake_kvm.slot[1].dirty);             /* KVM dropped the log */
	ck_assert_uint_eq(fake_kvm_slots(), 2);
	ck_assert_int_eq(dirty_log_sync(&d, 1, &b), -EINVAL);   /* off */
	vfio_dirty_bitmap_free(&b);
}
END_TEST

START_TEST(manual_protect_clears_what_was_read)
{
	struct vfio_dirty_bitmap b;

	two_regions();
	fake_kvm.cap_manual_protect = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	ck_assert_int_eq(dirty_log_start(&d, err, sizeof(err)), 0);
	ck_assert_uint_eq(fake_kvm.enable_cap_calls, 1);
	ck_assert_uint_eq(fake_kvm.manual_protect, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	ck_assert_uint_eq(d.manual, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);

	ck_assert_int_eq(dirty_log_bitmap_init(&d, 0, &b), 0);
	ck_assert_int_eq(dirty_log_sync(&d, 0, &b), 0);
	ck_assert_uint_eq(fake_kvm.clear_calls, 0);     /* nothing read, nothing cleared */
	fake_kvm_dirty(0, 5);
	fake_kvm_dirty(0, 300000);                      /* the second 1 GiB piece */
	ck_assert_int_eq(dirty_log_sync(&d, 0, &b), 2);
	ck_assert(vfio_dirty_bitmap_test(&b, 5 * PAGE));
	ck_assert(vfio_dirty_bitmap_test(&b, 300000 * PAGE));
	ck_assert_uint_eq(fake_kvm.clear_calls, 2);
	ck_assert_uint_eq(fake_kvm.clear[0].first_page, 0);
	ck_assert_uint_eq(fake_kvm.clear[0].num_pages, DIRTY_LOG_CLEAR_PAGES);
	ck_assert_uint_eq(fake_kvm.clear[0].cleared, 1);
	ck_assert_uint_eq(fake_kvm.clear[1].first_page, DIRTY_LOG_CLEAR_PAGES);
	ck_assert_uint_eq(fake_kvm.clear[1].num_pages, DIRTY_LOG_CLEAR_PAGES);
	ck_assert_uint_eq(fake_kvm.clear[1].cleared, 1);
	ck_assert_uint_eq(fake_kvm.reprotected, 2);
	ck_assert_uint_eq(fake_kvm_dirty_pages(0), 0);
	ck_assert_int_eq(dirty_log_sync(&d, 0, &b), 0);
	ck_assert_uint_eq(fake_kvm.clear_calls, 2);
	ck_assert_int_eq(dirty_log_stop(&d, err, sizeof(err)), 0);
	vfio_dirty_bitmap_free(&b);
}
END_TEST

/* INITIALLY_SET: every page starts dirty, so the first sync is all of RAM
 * (cleared in 1 GiB pieces, the last one ending at the slot's end). */
START_TEST(initially_set_first_sync_is_everything)
{
	const uint64_t size = 2 * GIB + GIB / 2 + 3 * PAGE;   /* not a multiple of 64 pages */
	const uint64_t pages = size / PAGE;
	struct vfio_dirty_bitmap b;

	install(1, &size);
	fake_kvm.cap_manual_protect = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
				      KVM_DIRTY_LOG_INITIALLY_SET | (1 << 5);
	ck_assert_int_eq(dirty_log_start(&d, err, sizeof(err)), 0);
	ck_assert_uint_eq(fake_kvm.manual_protect, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
			  KVM_DIRTY_LOG_INITIALLY_SET);    /* only the flags conduit knows */
	ck_assert_int_eq(dirty_log_bitmap_init(&d, 0, &b), 0);
	ck_assert_int_eq(dirty_log_sync(&d, 0, &b), (int64_t)pages);
	ck_assert_uint_eq(fake_kvm.clear_calls, 3);
	ck_assert_uint_eq(fake_kvm.clear[2].first_page, 2 * DIRTY_LOG_CLEAR_PAGES);
	ck_assert_uint_eq(fake_kvm.clear[2].num_pages, pages - 2 * DIRTY_LOG_CLEAR_PAGES);
	ck_assert_uint_eq(fake_kvm.reprotected, pages);
	fake_kvm_dirty(0, pages - 1);
	ck_assert_int_eq(dirty_log_sync(&d, 0, &b), 1);
	ck_assert_uint_eq(fake_kvm.clear_calls, 4);
	ck_assert_uint_eq(fake_kvm.clear[3].first_page, 2 * DIRTY_LOG_CLEAR_PAGES);
	ck_assert_int_eq(dirty_log_stop(&d, err, sizeof(err)), 0);
	vfio_dirty_bitmap_free(&b);
}
END_TEST

/* A KVM that offers only INITIALLY_SET (meaningless alone): not enabled. */
START_TEST(manual_protect_needs_its_enable_flag)
{
	two_regions();
	fake_kvm.cap_manual_protect = KVM_DIRTY_LOG_INITIALLY_SET;
	ck_assert_int_eq(dirty_log_start(&d, err, sizeof(err)), 0);
	ck_assert_uint_eq(fake_kvm.enable_cap_calls, 0);
	ck_assert_uint_eq(d.manual, 0);
	ck_assert_uint_eq(fake_kvm_dirty_pages(0), 0);
	ck_assert_int_eq(dirty_log_stop(&d, err, sizeof(err)), 0);
}
END_TEST

/* KVM's bitmap merges with a device's over the same gpa range. */
START_TEST(merges_with_a_device_bitmap)
{
	struct vfio_dirty_bitmap kvm, dev, all;
	const struct vfio_dirty_bitmap *src[2] = { &kvm, &dev };
	struct vfio_dirty_count c[2];

	install(1, (const uint64_t[]){ 64 * MIB });
	ck_assert_int_eq(dirty_log_start(&d, err, sizeof(err)), 0);
	ck_assert_int_eq(dirty_log_bitmap_init(&d, 0, &kvm), 0);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&dev, 0, 64 * MIB, PAGE), 0);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&all, 0, 64 * MIB, PAGE), 0);
	fake_kvm_dirty(0, 1);
	fake_kvm_dirty(0, 2);
	ck_assert_int_eq(dirty_log_sync(&d, 0, &kvm), 2);
	vfio_dirty_bitmap_set(&dev, 2 * PAGE);
	vfio_dirty_bitmap_set(&dev, 9 * PAGE);
	ck_assert_int_eq(vfio_dirty_merge(&all, src, 2, c), 3);
	ck_assert_uint_eq(c[0].pages, 2);
	ck_assert_uint_eq(c[0].only, 1);
	ck_assert_uint_eq(c[1].only, 1);
	vfio_dirty_bitmap_free(&kvm);
	vfio_dirty_bitmap_free(&dev);
	vfio_dirty_bitmap_free(&all);
	ck_assert_int_eq(dirty_log_stop(&d, err, sizeof(err)), 0);
}
END_TEST

/* The second slot refuses the flag: the first is put back, logging off. */
START_TEST(start_failure_puts_slots_back)
{
	two_regions();
	fake_kvm_fail(1U << 1, ENOMEM);
	ck_assert_int_eq(dirty_log_start(&d, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "KVM_SET_USER_MEMORY_REGION turning on dirty logging for RAM at "
			 "0x100000000: Cannot allocate memory");
	ck_assert(!d.on);
	ck_assert_uint_eq(fake_kvm.slot[0].flags, 0);
	ck_assert_ptr_null(fake_kvm.slot[0].dirty);
	ck_assert_uint_eq(fake_kvm.slot[1].flags, 0);
	ck_assert_uint_eq(fake_kvm_slots(), 2);
}
END_TEST

/* Every slot is tried; the error names the first that failed. */
START_TEST(stop_failure_named)
{
	two_regions();
	ck_assert_int_eq(dirty_log_start(&d, err, sizeof(err)), 0);
	fake_kvm_fail(1U << 0, EFAULT);
	ck_assert_int_eq(dirty_log_stop(&d, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "KVM_SET_USER_MEMORY_REGION turning off dirty logging for RAM at "
			 "0x0: Bad address");
	ck_assert(!d.on);
	ck_assert_uint_eq(fake_kvm.slot[1].flags, 0);
	ck_assert_uint_eq(fake_kvm.slot[0].flags, KVM_MEM_LOG_DIRTY_PAGES);
}
END_TEST

START_TEST(sync_refuses_what_does_not_fit)
{
	struct vfio_dirty_bitmap b, other;

	two_regions();
	ck_assert_int_eq(dirty_log_bitmap_init(&d, 2, &b), -EINVAL);
	ck_assert_int_eq(dirty_log_bitmap_init(&d, -1, &b), -EINVAL);
	ck_assert_int_eq(dirty_log_bitmap_init(&d, 0, &b), 0);
	ck_assert_int_eq(dirty_log_sync(&d, 0, &b), -EINVAL);   /* not started */
	ck_assert_int_eq(dirty_log_start(&d, err, sizeof(err)), 0);
	ck_assert_int_eq(dirty_log_start(&d, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "dirty logging of guest RAM is on already");
	ck_assert_int_eq(dirty_log_sync(&d, 1, &b), -EINVAL);   /* region 0's bitmap */
	ck_assert_int_eq(dirty_log_sync(&d, 2, &b), -EINVAL);
	ck_assert_int_eq(vfio_dirty_bitmap_init(&other, 0, 2 * GIB, 2 * MIB), 0);
	ck_assert_int_eq(dirty_log_sync(&d, 0, &other), -EINVAL);
	/* the slot went away under it (a bug elsewhere): KVM's ENOENT */
	ck_assert_int_eq(memslot_set(fake_kvm.fd, 0, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(dirty_log_sync(&d, 0, &b), -ENOENT);
	vfio_dirty_bitmap_free(&b);
	vfio_dirty_bitmap_free(&other);
}
END_TEST

/* The fake's own checks, which the tests above rely on. */
START_TEST(fake_checks_slot_changes)
{
	uint8_t *hva = (uint8_t *)(uintptr_t)0x7f0000000000ULL;

	install(1, (const uint64_t[]){ 64 * MIB });
	ck_assert_int_eq(memslot_set(fake_kvm.fd, 0, 0, 32 * MIB, hva, 0), -EINVAL);
	ck_assert_int_eq(memslot_set(fake_kvm.fd, 0, 0, 64 * MIB, hva + PAGE, 0), -EINVAL);
	ck_assert_int_eq(memslot_set(fake_kvm.fd, 0, 0, 64 * MIB, hva, KVM_MEM_READONLY),
			 -EINVAL);
	ck_assert_int_eq(memslot_set(fake_kvm.fd, 0, GIB, 64 * MIB, hva, 0), 0);   /* a move */
	ck_assert_uint_eq(fake_kvm.slot[0].gpa, GIB);
}
END_TEST

Suite *dirty_log_suite(void)
{
	Suite *s = suite_create("dirty_log");
	TCase *tc = tcase_create("dirty_log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, without_manual_protect);
	tcase_add_test(tc, manual_protect_clears_what_was_read);
	tcase_add_test(tc, initially_set_first_sync_is_everything);
	tcase_add_test(tc, manual_protect_needs_its_enable_flag);
	tcase_add_test(tc, merges_with_a_device_bitmap);
	tcase_add_test(tc, start_failure_puts_slots_back);
	tcase_add_test(tc, stop_failure_named);
	tcase_add_test(tc, sync_refuses_what_does_not_fit);
	tcase_add_test(tc, fake_checks_slot_changes);
	suite_add_tcase(s, tc);
	return s;
}
