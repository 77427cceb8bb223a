/* The in-kernel GICv3 and its ITS (KVM_DEV_TYPE_ARM_VGIC_V3 and _ITS):
 * created with their guest addresses before the vCPUs exist, initialised
 * once every vCPU is created and KVM_ARM_VCPU_INIT'd (KVM sizes the
 * redistributors from the vCPUs then). The attribute values are computed
 * by pure functions, unit-tested on x86. This header uses plain types. */
#ifndef CONDUIT_ARM64_GIC_H
#define CONDUIT_ARM64_GIC_H

#include <stddef.h>
#include <stdint.h>

#define ARM64_GIC_DIST_SIZE     0x10000ULL      /* 64 KiB */
#define ARM64_GIC_REDIST_SIZE   0x20000ULL      /* per vCPU: RD + SGI frames */
#define ARM64_GIC_ITS_SIZE      0x20000ULL      /* control + translation frames */
#define ARM64_GITS_TRANSLATER   0x10040ULL      /* MSI doorbell, from the ITS base */
#define ARM64_GIC_PRIVATE_IRQS  32              /* SGIs and PPIs */
#define ARM64_GIC_MAX_IRQS      1024

/* Guest physical addresses of the GIC's frames. */
struct arm64_gic_addrs {
	uint64_t dist;
	uint64_t redist;        /* the first vCPU's; one ARM64_GIC_REDIST_SIZE each */
	uint64_t its;
};

/* One KVM_SET_DEVICE_ATTR: group, attr, and the value its addr points to
 * (a u64 for an address, a u32 for the number of interrupts, none for a
 * control). */
struct arm64_dev_attr {
	uint32_t group;
	uint64_t attr;
	uint64_t value;
};

/* The GIC device's address attributes: distributor then redistributors.
 * Returns 2. */
int arm64_gic_addr_attrs(const struct arm64_gic_addrs *a, struct arm64_dev_attr out[2]);
/* The ITS device's address attribute. */
struct arm64_dev_attr arm64_its_addr_attr(uint64_t its);
/* The NR_IRQS attribute's value for nr_spis shared interrupts: the 32
 * private ones plus the SPIs, rounded up to 32, at least 64; 0 when more
 * than the GIC's 1024 would be needed. */
uint32_t arm64_gic_nr_irqs(unsigned nr_spis);
/* Bytes of redistributor frames for n_cpus vCPUs. */
uint64_t arm64_gic_redist_size(unsigned n_cpus);
/* The MSI doorbell a PCI device's MSI address must name: GITS_TRANSLATER. */
uint64_t arm64_its_doorbell(uint64_t its_base);
/* Whether the frames are 64 KiB aligned and do not overlap with n_cpus
 * redistributors. Returns 0, or -1 with a one-line err naming the frames. */
int arm64_gic_check(const struct arm64_gic_addrs *a, unsigned n_cpus, char *err,
		    size_t errlen);

/* The devices' fds; -1 when not created. */
struct arm64_gic {
	int gic_fd;
	int its_fd;
};

/* Create the GICv3 and its ITS on vm_fd and give them their addresses.
 * Before the vCPUs are created. Returns 0, or -1 with a one-line err. */
int arm64_gic_create(int vm_fd, const struct arm64_gic_addrs *a, struct arm64_gic *g,
		     char *err, size_t errlen);
/* After every vCPU is created and initialised: the number of SPIs, then
 * KVM_DEV_ARM_VGIC_CTRL_INIT on the GIC and on the ITS. Returns 0, or -1
 * with a one-line err. */
int arm64_gic_init(struct arm64_gic *g, unsigned nr_spis, char *err, size_t errlen);
void arm64_gic_close(struct arm64_gic *g);

#endif
