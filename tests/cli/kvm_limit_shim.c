/* tests/cli/kvm_limit_shim.c - an LD_PRELOAD library for the command-line
 * tests: it makes KVM_CHECK_EXTENSION report KVM_CAP_MAX_VCPUS as
 * $SHIM_MAX_VCPUS and KVM_CAP_NR_VCPUS as $SHIM_NR_VCPUS, so conduit meets a
 * KVM with fewer vCPUs than the host's. Every other ioctl goes through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <linux/kvm.h>

typedef int (*ioctl_fn)(int, unsigned long, ...);

static int fake(const char *var, int *val)
{
	const char *s = getenv(var);

	if (!s)
		return 0;
	*val = atoi(s);
	return 1;
}

int ioctl(int fd, unsigned long req, ...)
{
	static ioctl_fn real;
	va_list ap;
	void *arg;
	int val;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
	if (req == KVM_CHECK_EXTENSION) {
		if ((long)arg == KVM_CAP_MAX_VCPUS && fake("SHIM_MAX_VCPUS", &val))
			return val;
		if ((long)arg == KVM_CAP_NR_VCPUS && fake("SHIM_NR_VCPUS", &val))
			return val;
	}
	return real(fd, req, arg);
}
