/* Booting Linux on an arm64 guest (Documentation/arch/arm64/booting.rst):
 * the Image checked, the memory map laid out, kernel / initrd / device tree
 * placed, then copied into guest RAM. The vCPU side (PC, X0, PSTATE) is
 * vmm/arm64/'s. */
#include <stdio.h>
#include <string.h>
#include "boot.h"
#include "fdt.h"

int arm64_boot_prepare(struct arm64_boot *b, const uint8_t *kernel, size_t klen,
		       uint64_t initrd_len, uint64_t mem_size, unsigned ncpus,
		       const char *cmdline, bool its, char *err, size_t errlen)
{
	size_t clen = cmdline ? strlen(cmdline) : 0;

	memset(b, 0, sizeof(*b));
	if (arm64_image_parse(kernel, klen, &b->image, err, errlen))
		return ARM64_BOOT_ERR_KERNEL;
	if (clen + 1 > ARM64_CMDLINE_MAX) {
		snprintf(err, errlen, "command line is %zu bytes, the arm64 kernel takes at most %d",
			 clen, ARM64_CMDLINE_MAX - 1);
		return ARM64_BOOT_ERR_CMDLINE;
	}
	if (arm64_layout_init(&b->layout, mem_size, ncpus, err, errlen))
		return ARM64_BOOT_ERR_MACHINE;
	switch (arm64_boot_plan(&b->layout, b->image.text_offset, b->image.load_size,
				initrd_len, &b->plan, err, errlen)) {
	case 0:
		break;
	case ARM64_PLAN_ERR_INITRD:
		return ARM64_BOOT_ERR_INITRD;
	default:
		return ARM64_BOOT_ERR_KERNEL;
	}
	b->cmdline = cmdline;
	b->its = its;
	return 0;
}

static void describe(const struct arm64_boot *b, struct arm64_fdt_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->layout = &b->layout;
	d->bootargs = b->cmdline;
	d->initrd_start = b->plan.initrd_addr;
	d->initrd_size = b->plan.initrd_size;
	d->its = b->its;
}

int arm64_boot_dtb(const struct arm64_boot *b, void *buf, size_t cap,
		   char *err, size_t errlen)
{
	struct arm64_fdt_desc d;

	describe(b, &d);
	return arm64_fdt_build(&d, buf, cap, err, errlen);
}

int arm64_boot_dump_dtb(const struct arm64_boot *b, const char *path,
			char *err, size_t errlen)
{
	struct arm64_fdt_desc d;

	describe(b, &d);
	return arm64_fdt_dump(&d, path, err, errlen);
}

int arm64_boot_load(const struct arm64_boot *b, const struct guest_mem *gm,
		    const uint8_t *initrd, char *err, size_t errlen)
{
	const struct arm64_boot_plan *p = &b->plan;
	uint8_t *idst = NULL, *ddst;
	int size;

	ddst = gpa_to_hva(gm, p->dtb_addr, ARM64_DTB_MAX);
	if (p->initrd_size)
		idst = gpa_to_hva(gm, p->initrd_addr, p->initrd_size);
	if (!ddst || (p->initrd_size && (!idst || !initrd))) {
		snprintf(err, errlen, "boot layout does not fit guest RAM");
		return -1;
	}
	if (arm64_image_load(&b->image, gm, p->kernel_addr, err, errlen))
		return -1;
	size = arm64_boot_dtb(b, ddst, ARM64_DTB_MAX, err, errlen);
	if (size < 0)
		return -1;
	guest_mem_host_wrote(gm, ddst, (size_t)size);
	if (idst) {
		memcpy(idst, initrd, p->initrd_size);
		guest_mem_host_wrote(gm, idst, p->initrd_size);
	}
	return 0;
}
