/* The unit tests' read() and write() overrides: the fake vfio device's
 * migration data fd (fake_vfio_mig.c) answers with ENOMSG, EINTR, EAGAIN
 * and short transfers as a test configures; every other descriptor goes
 * to the system call. Linked into the unit tests only (not the fuzzers). */
#include <sys/syscall.h>
#include <unistd.h>
#include "fake_vfio.h"

ssize_t read(int fd, void *buf, size_t len)
{
	if (fake_vfio_mig_owns(&fake_vfio.mig, fd))
		return fake_vfio_mig_read(&fake_vfio.mig, buf, len);
	return syscall(SYS_read, fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	if (fake_vfio_mig_owns(&fake_vfio.mig, fd))
		return fake_vfio_mig_write(&fake_vfio.mig, buf, len);
	return syscall(SYS_write, fd, buf, len);
}
