/* The test binaries' ioctl() override (see fake_ioctl.h): dispatches on the
 * descriptor to the fake vfio device, its migration data fd, the fake
 * /dev/iommu, the fake KVM vm and the fake x86 /dev/kvm and vCPU
 * (fake_kvm_x86.c), counts strays,
 * and lets the rest through to the system call. */
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fake_ioctl.h"
#include "fake_iommufd.h"
#include "fake_kvm.h"
#include "fake_kvm_x86.h"
#include "fake_type1.h"
#include "fake_vfio.h"

struct fake_ioctl_stats fake_ioctl = { .last_stray_fd = -2 };

void fake_ioctl_reset(int strict)
{
	fake_ioctl.strays = 0;
	fake_ioctl.last_stray_fd = -2;
	fake_ioctl.last_stray_req = 0;
	fake_ioctl.strict = strict;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fake_vfio.fd >= 0 && fd == fake_vfio.fd)
		return fake_vfio_ioctl(req, arg);
	if (fake_vfio_mig_owns(&fake_vfio.mig, fd))
		return fake_vfio_mig_data_ioctl(&fake_vfio.mig, req, arg);
	if (fake_kvm.fd >= 0 && fd == fake_kvm.fd)
		return fake_kvm_ioctl(req, arg);
	if (fake_iommufd.fd >= 0 && fd == fake_iommufd.fd)
		return fake_iommufd_ioctl(req, arg);
	if (fake_type1.fd >= 0 && fd == fake_type1.fd)
		return fake_type1_ioctl(req, arg);
	if (fd >= 0 && (fd == fake_kvm_x86.sys_fd || fd == fake_kvm_x86.vcpu_fd))
		return fake_kvm_x86_ioctl(fd, req, arg);
	if (fd == -1 || fake_ioctl.strict) {
		fake_ioctl.strays++;
		fake_ioctl.last_stray_fd = fd;
		fake_ioctl.last_stray_req = req;
		if (fake_ioctl.strict) {
			errno = fd == -1 ? EBADF : ENOTTY;
			return -1;
		}
	}
	return (int)syscall(SYS_ioctl, fd, req, arg);
}
