/* arm64-dtb-tool: writes the device tree conduit gives an arm64 guest, for
 * a kernel Image, RAM size, vCPU count, initrd size and command line, on
 * any host (the boot/arm64 code is pure C). tests/arm64/dtb-qemu.sh boots
 * Debian's arm64 kernel under QEMU with it.
 *
 *   arm64-dtb-tool [--qemu-ecam] IMAGE OUT.dtb MEM_MIB CPUS INITRD_BYTES CMDLINE
 *
 * --qemu-ecam moves the ECAM alone to where QEMU 7.2's virt machine has it
 * with highmem on (0x40_1000_0000, 256 buses); everything else is conduit's
 * map, which is QEMU virt's for the GIC, ITS, UART address, PCI windows and
 * INTx SPIs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../boot/arm64/boot.h"

#define QEMU_ECAM_BASE 0x4010000000ULL
#define QEMU_ECAM_SIZE 0x10000000ULL

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct arm64_boot b;
	char err[256];
	int qemu_ecam = argc > 1 && !strcmp(argv[1], "--qemu-ecam");
	uint8_t *kernel;
	size_t klen = 0;

	argv += qemu_ecam;
	argc -= qemu_ecam;
	if (argc != 7) {
		fprintf(stderr, "usage: arm64-dtb-tool [--qemu-ecam] IMAGE OUT.dtb MEM_MIB CPUS INITRD_BYTES CMDLINE\n");
		return 2;
	}
	kernel = read_file(argv[1], &klen);
	if (!kernel) {
		fprintf(stderr, "arm64-dtb-tool: cannot read %s\n", argv[1]);
		return 1;
	}
	if (arm64_boot_prepare(&b, kernel, klen, strtoull(argv[5], NULL, 0),
			       strtoull(argv[3], NULL, 0) << 20, (unsigned)atoi(argv[4]),
			       argv[6], true, err, sizeof(err))) {
		fprintf(stderr, "arm64-dtb-tool: %s\n", err);
		return 1;
	}
	if (qemu_ecam) {
		b.layout.ecam_base = QEMU_ECAM_BASE;
		b.layout.ecam_size = QEMU_ECAM_SIZE;
		b.layout.bus_last = 255;
	}
	if (arm64_layout_check(&b.layout, err, sizeof(err)) ||
	    arm64_boot_dump_dtb(&b, argv[2], err, sizeof(err))) {
		fprintf(stderr, "arm64-dtb-tool: %s\n", err);
		return 1;
	}
	printf("kernel 0x%llx initrd 0x%llx dtb 0x%llx\n",
	       (unsigned long long)b.plan.kernel_addr, (unsigned long long)b.plan.initrd_addr,
	       (unsigned long long)b.plan.dtb_addr);
	free(kernel);
	return 0;
}
