/* Unit tests of vmm/arm64/'s pure logic, run on x86: the KVM_SET_ONE_REG
 * ids and boot register values, MPIDR affinity, the GICv3/ITS
 * attribute values and frame checks, MSI routes with device ids and SPI
 * routes, the KVM_IRQ_LINE encoding, the KVM_CREATE_VM
 * IPA type, and what a system event means. The expected ids and values are
 * written out as numbers (from the arm64 KVM API documentation), not taken
 * from the headers the code uses, so a wrong header or offset fails. */
#include <errno.h>
#include <string.h>
#include "../../vmm/arm64/exit.h"
#include "../../vmm/arm64/gic.h"
#include "../../vmm/arm64/irq_route.h"
#include "../../vmm/arm64/regs.h"
#include "../../vmm/arm64/vcpu_init.h"
#include "../../vmm/arm64/vm_caps.h"
#include "suites.h"

START_TEST(core_register_ids)
{
	/* KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | word offset */
	ck_assert_uint_eq(arm64_reg_x(0), 0x6030000000100000ULL);
	ck_assert_uint_eq(arm64_reg_x(1), 0x6030000000100002ULL);
	ck_assert_uint_eq(arm64_reg_x(30), 0x603000000010003cULL);
	ck_assert_uint_eq(arm64_reg_x(31), 0);          /* no X31: SP is apart */
	ck_assert_uint_eq(arm64_reg_pc(), 0x6030000000100040ULL);
	ck_assert_uint_eq(arm64_reg_pstate(), 0x6030000000100042ULL);
	ck_assert_uint_eq(arm64_reg_sp(), 0x603000000010003eULL);
	ck_assert_uint_eq(arm64_reg_sp_el1(), 0x6030000000100044ULL);
	ck_assert_uint_eq(arm64_reg_elr_el1(), 0x6030000000100046ULL);
	/* MPIDR_EL1: sysreg op0 3, op1 0, CRn 0, CRm 0, op2 5 */
	ck_assert_uint_eq(arm64_reg_mpidr(), 0x603000000013c005ULL);
}
END_TEST

START_TEST(boot_registers)
{
	struct arm64_reg r[ARM64_BOOT_REGS];
	int n, i;

	memset(r, 0xa5, sizeof(r));
	n = arm64_boot_regs(0x40200000, 0x7fe00000, r);
	ck_assert_int_eq(n, ARM64_BOOT_REGS);
	ck_assert_uint_eq(r[0].id, arm64_reg_x(0));
	ck_assert_uint_eq(r[0].value, 0x7fe00000);      /* X0 = DTB */
	for (i = 1; i <= 3; i++) {
		ck_assert_uint_eq(r[i].id, arm64_reg_x((unsigned)i));
		ck_assert_uint_eq(r[i].value, 0);       /* X1-X3 reserved, 0 */
	}
	ck_assert_uint_eq(r[4].id, arm64_reg_pc());
	ck_assert_uint_eq(r[4].value, 0x40200000);
	ck_assert_uint_eq(r[5].id, arm64_reg_pstate());
	/* EL1h (5) with D, A, I, F (bits 9-6) masked */
	ck_assert_uint_eq(r[5].value, 0x3c5);
	ck_assert_uint_eq(arm64_boot_pstate(), 0x3c5);
}
END_TEST

START_TEST(mpidr_affinity)
{
	ck_assert_uint_eq(arm64_mpidr_affinity(0x80000000ULL), 0);
	ck_assert_uint_eq(arm64_mpidr_affinity(0x8000030fULL), 0x30f);
	ck_assert_uint_eq(arm64_mpidr_affinity(0xc1000001ULL), 1);      /* U, MT bits off */
	ck_assert_uint_eq(arm64_mpidr_affinity(0xff81abcdefULL), 0xff00abcdefULL);
}
END_TEST

static const struct arm64_gic_addrs layout = {
	.dist = 0x08000000, .redist = 0x080a0000, .its = 0x08080000,
};

START_TEST(gic_attributes)
{
	struct arm64_dev_attr a[2], its;

	ck_assert_int_eq(arm64_gic_addr_attrs(&layout, a), 2);
	/* KVM_DEV_ARM_VGIC_GRP_ADDR 0; V3 DIST 2, V3 REDIST 3, ITS 4 */
	ck_assert_uint_eq(a[0].group, 0);
	ck_assert_uint_eq(a[0].attr, 2);
	ck_assert_uint_eq(a[0].value, 0x08000000);
	ck_assert_uint_eq(a[1].group, 0);
	ck_assert_uint_eq(a[1].attr, 3);
	ck_assert_uint_eq(a[1].value, 0x080a0000);
	its = arm64_its_addr_attr(0x08080000);
	ck_assert_uint_eq(its.group, 0);
	ck_assert_uint_eq(its.attr, 4);
	ck_assert_uint_eq(its.value, 0x08080000);
	ck_assert_uint_eq(arm64_its_doorbell(0x08080000), 0x08090040);
	ck_assert_uint_eq(arm64_gic_redist_size(2), 0x40000);
	ck_assert_uint_eq(arm64_gic_redist_size(64), 0x800000);
}
END_TEST

START_TEST(gic_nr_irqs)
{
	ck_assert_uint_eq(arm64_gic_nr_irqs(0), 64);    /* KVM's minimum */
	ck_assert_uint_eq(arm64_gic_nr_irqs(7), 64);
	ck_assert_uint_eq(arm64_gic_nr_irqs(32), 64);
	ck_assert_uint_eq(arm64_gic_nr_irqs(33), 96);
	ck_assert_uint_eq(arm64_gic_nr_irqs(64), 96);
	ck_assert_uint_eq(arm64_gic_nr_irqs(992), 1024);
	ck_assert_uint_eq(arm64_gic_nr_irqs(993), 0);
	ck_assert_uint_eq(arm64_gic_nr_irqs(0xffffffffU), 0);   /* no wrap */
}
END_TEST

START_TEST(gic_frames_checked)
{
	struct arm64_gic_addrs a = layout;
	char err[256];

	ck_assert_int_eq(arm64_gic_check(&a, 64, err, sizeof(err)), 0);
	/* 65 redistributors from 0x080a0000 still fit before nothing else */
	ck_assert_int_eq(arm64_gic_check(&a, 65, err, sizeof(err)), 0);
	a.its = 0x080c0000;     /* inside the second vCPU's redistributor */
	ck_assert_int_eq(arm64_gic_check(&a, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(arm64_gic_check(&a, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "GIC frames overlap: distributor 0x8000000, ITS 0x80c0000, 2 redistributors at 0x80a0000");
	a = layout;
	a.dist = 0x08001000;
	ck_assert_int_eq(arm64_gic_check(&a, 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "64 KiB aligned"));
	a = layout;
	a.redist = 0x07ff0000;  /* over the distributor */
	ck_assert_int_eq(arm64_gic_check(&a, 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "overlap"));
}
END_TEST

START_TEST(msi_route_carries_devid)
{
	struct kvm_irq_routing_entry e;
	uint64_t bell = arm64_its_doorbell(0x08080000);

	ck_assert_uint_eq(arm64_pci_devid(0, 2, 0), 0x10);
	ck_assert_uint_eq(arm64_pci_devid(0, 31, 7), 0xff);
	ck_assert_uint_eq(arm64_pci_devid(1, 0, 1), 0x101);
	memset(&e, 0xa5, sizeof(e));
	ck_assert_int_eq(arm64_msi_route(&e, 70, bell, 5, 0x10, bell), 0);
	ck_assert_uint_eq(e.gsi, 70);
	ck_assert_uint_eq(e.type, 2);                   /* KVM_IRQ_ROUTING_MSI */
	ck_assert_uint_eq(e.flags, 1);                  /* KVM_MSI_VALID_DEVID */
	ck_assert_uint_eq(e.u.msi.address_lo, 0x08090040);
	ck_assert_uint_eq(e.u.msi.address_hi, 0);
	ck_assert_uint_eq(e.u.msi.data, 5);
	ck_assert_uint_eq(e.u.msi.devid, 0x10);
	ck_assert_uint_eq(e.pad, 0);
}
END_TEST

START_TEST(msi_route_refuses_other_addresses)
{
	struct kvm_irq_routing_entry e, before;
	uint64_t bell = arm64_its_doorbell(0x08080000);

	memset(&e, 0x5a, sizeof(e));
	before = e;
	/* the x86 window, the ITS base itself, the doorbell + 4: all refused */
	ck_assert_int_eq(arm64_msi_route(&e, 70, 0xfee00000, 5, 0x10, bell), -EINVAL);
	ck_assert_int_eq(arm64_msi_route(&e, 70, 0x08080000, 5, 0x10, bell), -EINVAL);
	ck_assert_int_eq(arm64_msi_route(&e, 70, bell + 4, 5, 0x10, bell), -EINVAL);
	ck_assert_int_eq(arm64_msi_route(&e, 70, bell | 1ULL << 32, 5, 0x10, bell), -EINVAL);
	ck_assert_int_eq(arm64_msi_route(&e, 70, bell, 5, 0x10000, bell), -EINVAL);
	ck_assert_int_eq(memcmp(&e, &before, sizeof(e)), 0);
}
END_TEST

START_TEST(spi_routes)
{
	struct kvm_irq_routing_entry e[8];
	int i;

	memset(e, 0xa5, sizeof(e));
	ck_assert_int_eq(arm64_default_routes(e, 7), 7);
	for (i = 0; i < 7; i++) {
		ck_assert_uint_eq(e[i].gsi, (unsigned)i);
		ck_assert_uint_eq(e[i].type, 1);        /* KVM_IRQ_ROUTING_IRQCHIP */
		ck_assert_uint_eq(e[i].flags, 0);
		ck_assert_uint_eq(e[i].u.irqchip.irqchip, 0);
		ck_assert_uint_eq(e[i].u.irqchip.pin, (unsigned)i);
	}
	ck_assert_uint_eq(e[7].gsi, 0xa5a5a5a5);        /* untouched */
	arm64_spi_route(&e[0], 100, 3);
	ck_assert_uint_eq(e[0].gsi, 100);
	ck_assert_uint_eq(e[0].u.irqchip.pin, 3);
}
END_TEST

START_TEST(irq_line)
{
	/* type SPI (1) << 24 | intid */
	ck_assert_uint_eq(arm64_irq_line_spi(1), 0x01000021);   /* the UART, intid 33 */
	ck_assert_uint_eq(arm64_irq_line_spi(3), 0x01000023);
	ck_assert_uint_eq(arm64_irq_line_spi(95), 0x0100007f);
}
END_TEST

START_TEST(vm_ipa_type)
{
	char err[256] = "";

	/* The guest map up to the end of the 64-bit PCI window (1 TiB): the
	 * default 40 bits, type 0, whatever the host offers. */
	ck_assert_int_eq(arm64_vm_type(1ULL << 40, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(arm64_vm_type(1ULL << 40, 48, err, sizeof(err)), 0);
	ck_assert_int_eq(arm64_vm_type(0x40000000, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(arm64_vm_type((1ULL << 40) + 1, 48, err, sizeof(err)), 41);
	ck_assert_int_eq(arm64_vm_type(1ULL << 44, 48, err, sizeof(err)), 44);
	ck_assert_int_eq(arm64_vm_type((1ULL << 44) + 1, 44, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the guest's address space needs 45 physical address bits; KVM on this host offers 44");
	ck_assert_int_eq(arm64_vm_type((1ULL << 40) + 1, 0, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the guest's address space needs 41 physical address bits; KVM on this host offers 40");
}
END_TEST

START_TEST(system_events)
{
	__u64 reset2 = 1, d[20];
	char msg[256];
	int i;

	ck_assert_int_eq(arm64_system_event(1, 0, NULL, 0, msg, sizeof(msg)), ARM64_EVENT_POWEROFF);
	ck_assert_str_eq(msg, "vCPU 0: PSCI SYSTEM_OFF");
	ck_assert_int_eq(arm64_system_event(2, 0, NULL, 1, msg, sizeof(msg)), ARM64_EVENT_REBOOT);
	ck_assert_str_eq(msg, "vCPU 1: PSCI SYSTEM_RESET");
	ck_assert_int_eq(arm64_system_event(2, 1, &reset2, 1, msg, sizeof(msg)), ARM64_EVENT_REBOOT);
	ck_assert_str_eq(msg, "vCPU 1: PSCI SYSTEM_RESET2");
	ck_assert_int_eq(arm64_system_event(3, 1, &reset2, 0, msg, sizeof(msg)), ARM64_EVENT_CRASH);
	ck_assert_str_eq(msg, "vCPU 0: the guest reported a crash (system event 3), data 0x1");
	/* SUSPEND (5) is not asked for, so not expected: an error */
	ck_assert_int_eq(arm64_system_event(5, 0, NULL, 0, msg, sizeof(msg)), ARM64_EVENT_UNKNOWN);
	ck_assert_str_eq(msg, "vCPU 0: unexpected system event (system event 5)");
	ck_assert_int_eq(arm64_system_event(0xffffffffU, 0, NULL, 3, msg, sizeof(msg)),
			 ARM64_EVENT_UNKNOWN);
	ck_assert_str_eq(msg, "vCPU 3: unexpected system event (system event 4294967295)");
	/* ndata from the guest side of the ABI: at most 16 words read, and a
	 * NULL data is no data */
	for (i = 0; i < 20; i++)
		d[i] = (__u64)i;
	ck_assert_int_eq(arm64_system_event(9, 20, d, 0, msg, sizeof(msg)), ARM64_EVENT_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(msg, " 0xf"));
	ck_assert_ptr_null(strstr(msg, "0x10"));
	ck_assert_int_eq(arm64_system_event(2, 7, NULL, 0, msg, sizeof(msg)), ARM64_EVENT_REBOOT);
	ck_assert_str_eq(msg, "vCPU 0: PSCI SYSTEM_RESET");
}
END_TEST

/* What each event ends conduit with: the exit codes README documents. */
START_TEST(system_event_exit_codes)
{
	ck_assert_int_eq(arm64_event_exit_code(ARM64_EVENT_POWEROFF), 0);
	ck_assert_int_eq(arm64_event_exit_code(ARM64_EVENT_REBOOT), 3);
	ck_assert_int_eq(arm64_event_exit_code(ARM64_EVENT_CRASH), 4);
	ck_assert_int_eq(arm64_event_exit_code(ARM64_EVENT_UNKNOWN), 1);
	ck_assert_int_eq(arm64_event_exit_code((enum arm64_event)99), 1);
}
END_TEST

START_TEST(system_event_message_cut)
{
	__u64 d[16];
	char msg[40];
	int i;

	for (i = 0; i < 16; i++)
		d[i] = ~0ULL;
	memset(msg, 'x', sizeof(msg));
	ck_assert_int_eq(arm64_system_event(3, 16, d, 12, msg, sizeof(msg)), ARM64_EVENT_CRASH);
	ck_assert_uint_eq(strlen(msg), sizeof(msg) - 1);
	ck_assert_int_eq(arm64_system_event(9, 16, d, 12, msg, 10), ARM64_EVENT_UNKNOWN);
	ck_assert_str_eq(msg, "vCPU 12: ");
}
END_TEST

START_TEST(nisv_report)
{
	char msg[256];

	arm64_nisv_report(0x93c08006ULL & 0x1ffffff, 0x9000008, 1, msg, sizeof(msg));
	ck_assert_str_eq(msg, "vCPU 1: MMIO access at 0x9000008 by an instruction KVM cannot decode (ESR ISS 0x1c08006, no syndrome)");
}
END_TEST

/* Without KVM (fd -1) the ioctl side fails with a one-line error and
 * leaves nothing open. */
START_TEST(no_kvm_errors)
{
	struct arm64_gic g = { 7, 8 };
	struct arm64_reg r = { arm64_reg_pc(), 0 };
	uint64_t v;
	char err[256];

	ck_assert_int_eq(arm64_gic_create(-1, &layout, &g, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cannot create the in-kernel GICv3: Bad file descriptor");
	ck_assert_int_eq(g.gic_fd, -1);
	ck_assert_int_eq(g.its_fd, -1);
	ck_assert_int_eq(arm64_vcpu_init(-1, -1, 0, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "KVM_ARM_PREFERRED_TARGET: Bad file descriptor");
	ck_assert_int_eq(arm64_vcpu_set_regs(-1, &r, 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "KVM_SET_ONE_REG 0x6030000000100040: Bad file descriptor");
	ck_assert_int_eq(arm64_vcpu_read_mpidr(-1, &v), -EBADF);
	ck_assert_int_eq(arm64_gic_init(&g, 2000, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "GICv3: 2000 SPIs are more than it has");
}
END_TEST

Suite *arm64_kvm_suite(void)
{
	Suite *s = suite_create("arm64_kvm");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, core_register_ids);
	tcase_add_test(tc, boot_registers);
	tcase_add_test(tc, mpidr_affinity);
	tcase_add_test(tc, gic_attributes);
	tcase_add_test(tc, gic_nr_irqs);
	tcase_add_test(tc, gic_frames_checked);
	tcase_add_test(tc, msi_route_carries_devid);
	tcase_add_test(tc, msi_route_refuses_other_addresses);
	tcase_add_test(tc, spi_routes);
	tcase_add_test(tc, irq_line);
	tcase_add_test(tc, vm_ipa_type);
	tcase_add_test(tc, system_events);
	tcase_add_test(tc, system_event_exit_codes);
	tcase_add_test(tc, system_event_message_cut);
	tcase_add_test(tc, nisv_report);
	tcase_add_test(tc, no_kvm_errors);
	suite_add_tcase(s, tc);
	return s;
}
