/*
 * tests/nested/arm64/hello.c - the smallest check of run.sh --exec: a static
 * arm64 program that prints its arguments, opens /dev/kvm and asks its API
 * version (KVM_GET_API_VERSION, 12), and says whether /dev/vfio/vfio opens.
 * Exit code 0 only when both open.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

int main(int argc, char **argv)
{
	int kvm, vfio, api, i, rc = 0;

	printf("A64-HELLO: argc=%d", argc);
	for (i = 1; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("A64-HELLO: /dev/kvm: %s\n", strerror(errno));
		rc = 1;
	} else {
		api = ioctl(kvm, KVM_GET_API_VERSION, 0);
		printf("A64-HELLO: KVM API version %d\n", api);
		close(kvm);
	}
	vfio = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (vfio < 0) {
		printf("A64-HELLO: /dev/vfio/vfio: %s\n", strerror(errno));
		rc = 1;
	} else {
		printf("A64-HELLO: /dev/vfio/vfio opened\n");
		close(vfio);
	}
	return rc;
}
