/* The test binaries' ioctl(): owns the interception that sends ioctls on
 * the fake vfio device fd to fake_vfio.c (its migration data fd to
 * fake_vfio_mig.c), those on the fake /dev/iommu to fake_iommufd.c, those
 * on the fake type1 container to fake_type1.c, those
 * on the fake KVM vm fd to fake_kvm.c and those on the fake /dev/kvm and
 * vCPU fds to fake_kvm_x86.c. Every other ioctl goes to the system call,
 * and the ones on descriptors that are neither fake nor expected are
 * counted as strays, so a test can check that nothing reached a real
 * descriptor unexpectedly.
 * Linked only into binaries that want the override (the unit tests and
 * the fuzzers that drive vfio/); see the Makefile. */
#ifndef CONDUIT_TESTS_FAKE_IOCTL_H
#define CONDUIT_TESTS_FAKE_IOCTL_H

struct fake_ioctl_stats {
	unsigned strays;        /* on fd -1, or on any other fd while strict */
	int last_stray_fd;
	unsigned long last_stray_req;
	/* strict: an ioctl on a descriptor that is not a fake one is a stray
	 * (and fails with ENOTTY instead of reaching the kernel); not strict:
	 * only those on fd -1 are strays, the rest reach the kernel. */
	int strict;
};

extern struct fake_ioctl_stats fake_ioctl;

/* Forget the counters; strict as given. */
void fake_ioctl_reset(int strict);

#endif
