/* Booting Linux on an arm64 guest: the Image, the initrd and the device
 * tree planned into the memory map (vmm/arm64/layout.h) and copied into
 * guest RAM; the same plan gives the blob --dump-dtb writes. */
#ifndef CONDUIT_ARM64_BOOT_H
#define CONDUIT_ARM64_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../../vmm/memmap.h"
#include "../../vmm/arm64/layout.h"
#include "image.h"

/* arm64's COMMAND_LINE_SIZE: the kernel keeps at most this, NUL included. */
#define ARM64_CMDLINE_MAX 2048

struct arm64_boot {
	struct arm64_layout layout;
	struct arm64_image image;
	struct arm64_boot_plan plan;
	const char *cmdline;            /* not copied: the caller's */
	bool its;
};

/* What an error is about, for the caller's prefix ("kernel PATH: ",
 * "initrd PATH: ", "--cmdline: ", "--memory/--cpus: "). */
enum {
	ARM64_BOOT_ERR_KERNEL = -1, ARM64_BOOT_ERR_INITRD = -2,
	ARM64_BOOT_ERR_CMDLINE = -3, ARM64_BOOT_ERR_MACHINE = -4,
};

/* Check the Image (kernel, klen bytes), lay out mem_size of RAM for ncpus
 * vCPUs and plan the kernel, an initrd of initrd_len bytes (0: none) and
 * the device tree. 0, or one of the errors above with a one-line err. */
int arm64_boot_prepare(struct arm64_boot *b, const uint8_t *kernel, size_t klen,
		       uint64_t initrd_len, uint64_t mem_size, unsigned ncpus,
		       const char *cmdline, bool its, char *err, size_t errlen);

/* The device tree for a prepared boot into buf: its size, or -1. */
int arm64_boot_dtb(const struct arm64_boot *b, void *buf, size_t cap,
		   char *err, size_t errlen);

/* --dump-dtb: the same blob written to path. 0, or -1 with err. */
int arm64_boot_dump_dtb(const struct arm64_boot *b, const char *path,
			char *err, size_t errlen);

/* Copy the kernel and the initrd (initrd_len bytes as prepared) into guest
 * RAM and write the device tree at plan.dtb_addr. The vCPU then starts at
 * plan.kernel_addr with X0 = plan.dtb_addr. 0, or -1 with err. */
int arm64_boot_load(const struct arm64_boot *b, const struct guest_mem *gm,
		    const uint8_t *initrd, char *err, size_t errlen);

#endif
