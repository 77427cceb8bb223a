/* The in-kernel GICv3 and ITS (see gic.h): the attribute values (pure) and
 * the KVM_CREATE_DEVICE / KVM_SET_DEVICE_ATTR calls that apply them. Built
 * against the arm64 asm/kvm.h, also on x86 for the unit tests. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "gic.h"

#define FRAME_ALIGN 0x10000ULL

int arm64_gic_addr_attrs(const struct arm64_gic_addrs *a, struct arm64_dev_attr out[2])
{
	out[0] = (struct arm64_dev_attr){ KVM_DEV_ARM_VGIC_GRP_ADDR,
					  KVM_VGIC_V3_ADDR_TYPE_DIST, a->dist };
	out[1] = (struct arm64_dev_attr){ KVM_DEV_ARM_VGIC_GRP_ADDR,
					  KVM_VGIC_V3_ADDR_TYPE_REDIST, a->redist };
	return 2;
}

struct arm64_dev_attr arm64_its_addr_attr(uint64_t its)
{
	return (struct arm64_dev_attr){ KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, its };
}

uint32_t arm64_gic_nr_irqs(unsigned nr_spis)
{
	uint64_t n = (uint64_t)ARM64_GIC_PRIVATE_IRQS + nr_spis;

	n = (n + 31) / 32 * 32;
	if (n < 64)
		n = 64;
	return n > ARM64_GIC_MAX_IRQS ? 0 : (uint32_t)n;
}

uint64_t arm64_gic_redist_size(unsigned n_cpus)
{
	return (uint64_t)n_cpus * ARM64_GIC_REDIST_SIZE;
}

uint64_t arm64_its_doorbell(uint64_t its_base)
{
	return its_base + ARM64_GITS_TRANSLATER;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int arm64_gic_check(const struct arm64_gic_addrs *a, unsigned n_cpus, char *err,
		    size_t errlen)
{
	uint64_t rd = arm64_gic_redist_size(n_cpus);

	if ((a->dist | a->redist | a->its) & (FRAME_ALIGN - 1)) {
		snprintf(err, errlen, "GIC frames must be 64 KiB aligned (distributor 0x%llx, redistributors 0x%llx, ITS 0x%llx)",
			 (unsigned long long)a->dist, (unsigned long long)a->redist,
			 (unsigned long long)a->its);
		return -1;
	}
	if (overlap(a->dist, ARM64_GIC_DIST_SIZE, a->redist, rd) ||
	    overlap(a->dist, ARM64_GIC_DIST_SIZE, a->its, ARM64_GIC_ITS_SIZE) ||
	    overlap(a->its, ARM64_GIC_ITS_SIZE, a->redist, rd)) {
		snprintf(err, errlen, "GIC frames overlap: distributor 0x%llx, ITS 0x%llx, %u redistributors at 0x%llx",
			 (unsigned long long)a->dist, (unsigned long long)a->its, n_cpus,
			 (unsigned long long)a->redist);
		return -1;
	}
	return 0;
}

static int set_attr(int fd, const struct arm64_dev_attr *a, bool has_value, uint32_t width)
{
	uint64_t v64 = a->value;
	uint32_t v32 = (uint32_t)a->value;
	struct kvm_device_attr d = { .group = a->group, .attr = a->attr };

	if (has_value)
		d.addr = width == 4 ? (uint64_t)(uintptr_t)&v32 : (uint64_t)(uintptr_t)&v64;
	return ioctl(fd, KVM_SET_DEVICE_ATTR, &d) < 0 ? -errno : 0;
}

static int create_device(int vm_fd, uint32_t type)
{
	struct kvm_create_device cd = { .type = type };

	return ioctl(vm_fd, KVM_CREATE_DEVICE, &cd) < 0 ? -errno : (int)cd.fd;
}

static void init_fds(struct arm64_gic *g)
{
	g->gic_fd = -1;
	g->its_fd = -1;
}

int arm64_gic_create(int vm_fd, const struct arm64_gic_addrs *a, struct arm64_gic *g,
		     char *err, size_t errlen)
{
	struct arm64_dev_attr attrs[2], its;
	int i, n, ret;

	init_fds(g);
	ret = create_device(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V3);
	if (ret < 0) {
		snprintf(err, errlen, "cannot create the in-kernel GICv3: %s", strerror(-ret));
		return -1;
	}
	g->gic_fd = ret;
	n = arm64_gic_addr_attrs(a, attrs);
	for (i = 0; i < n; i++) {
		ret = set_attr(g->gic_fd, &attrs[i], true, 8);
		if (ret) {
			snprintf(err, errlen, "GICv3 %s address 0x%llx: %s",
				 i == 0 ? "distributor" : "redistributor",
				 (unsigned long long)attrs[i].value, strerror(-ret));
			goto fail;
		}
	}
	ret = create_device(vm_fd, KVM_DEV_TYPE_ARM_VGIC_ITS);
	if (ret < 0) {
		snprintf(err, errlen, "cannot create the in-kernel GICv3 ITS: %s", strerror(-ret));
		goto fail;
	}
	g->its_fd = ret;
	its = arm64_its_addr_attr(a->its);
	ret = set_attr(g->its_fd, &its, true, 8);
	if (ret) {
		snprintf(err, errlen, "GICv3 ITS address 0x%llx: %s",
			 (unsigned long long)a->its, strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	arm64_gic_close(g);
	return -1;
}

int arm64_gic_init(struct arm64_gic *g, unsigned nr_spis, char *err, size_t errlen)
{
	struct arm64_dev_attr nr = { KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, arm64_gic_nr_irqs(nr_spis) };
	struct arm64_dev_attr init = { KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0 };
	int ret;

	if (!nr.value) {
		snprintf(err, errlen, "GICv3: %u SPIs are more than it has", nr_spis);
		return -1;
	}
	ret = set_attr(g->gic_fd, &nr, true, 4);
	if (ret) {
		snprintf(err, errlen, "GICv3: %llu interrupts: %s",
			 (unsigned long long)nr.value, strerror(-ret));
		return -1;
	}
	ret = set_attr(g->gic_fd, &init, false, 0);
	if (ret) {
		snprintf(err, errlen, "GICv3 initialisation: %s", strerror(-ret));
		return -1;
	}
	ret = set_attr(g->its_fd, &init, false, 0);
	if (ret) {
		snprintf(err, errlen, "GICv3 ITS initialisation: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

void arm64_gic_close(struct arm64_gic *g)
{
	if (g->its_fd >= 0)
		close(g->its_fd);
	if (g->gic_fd >= 0)
		close(g->gic_fd);
	init_fds(g);
}
