/* Fuzzer for the arm64 boot (boot/arm64/image.c, boot.c, fdt.c and
 * vmm/arm64/layout.c): the input is the kernel file after a 5-byte prefix
 * that picks the guest RAM size, the vCPU count, the initrd size and the
 * command line length. An Image that parses is planned as conduit does it
 * and, when the plan fits, loaded with its initrd and device tree into a
 * real buffer. Checked: the plan keeps the kernel, initrd and DTB in RAM,
 * aligned and apart; the loaded kernel and initrd are the input's bytes;
 * the device tree in RAM is valid and its chosen node names that initrd
 * and command line. */
#include <libfdt.h>
#include "fuzz.h"
#include "../../boot/arm64/boot.h"

#define RAM_MAX    (70ULL << 20)
#define INITRD_MAX (1ULL << 20)
#define LOAD_MAX   (4ULL << 20)     /* load (and compare) only kernels this small */

static uint8_t *ram, *initrd;
static char cmdline[ARM64_CMDLINE_MAX + 16];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ram = malloc(RAM_MAX);
	initrd = malloc(INITRD_MAX);
	if (!ram || !initrd)
		abort();
	memset(initrd, 0x5a, INITRD_MAX);
	memset(cmdline, 'c', sizeof(cmdline));
	return 0;
}

static void check_plan(const struct arm64_boot *b, size_t klen)
{
	const struct arm64_boot_plan *p = &b->plan;
	uint64_t ram_end = b->layout.ram_base + b->layout.ram_size;

	FUZZ_ASSERT(b->image.text_offset < ARM64_KERNEL_ALIGN);
	FUZZ_ASSERT(b->image.load_size >= klen);
	FUZZ_ASSERT(p->kernel_addr == b->layout.ram_base + b->image.text_offset);
	FUZZ_ASSERT(p->kernel_size == b->image.load_size);
	FUZZ_ASSERT(p->dtb_addr % ARM64_DTB_MAX == 0 && p->dtb_addr + ARM64_DTB_MAX == ram_end);
	FUZZ_ASSERT(p->kernel_addr + p->kernel_size <= p->dtb_addr);
	if (!p->initrd_size)
		return;
	FUZZ_ASSERT(p->initrd_addr % 0x10000 == 0);
	FUZZ_ASSERT(p->initrd_addr >= p->kernel_addr + p->kernel_size);
	FUZZ_ASSERT(p->initrd_addr + p->initrd_size <= p->dtb_addr);
}

static uint64_t chosen64(const void *fdt, const char *name)
{
	const void *v = fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), name, NULL);
	fdt64_t x;

	FUZZ_ASSERT(v);
	memcpy(&x, v, 8);
	return fdt64_to_cpu(x);
}

static void check_load(const struct arm64_boot *b, const uint8_t *k, size_t klen)
{
	const struct arm64_boot_plan *p = &b->plan;
	const uint8_t *dtb = ram + (p->dtb_addr - b->layout.ram_base);
	const char *args;

	FUZZ_ASSERT(!memcmp(ram + (p->kernel_addr - b->layout.ram_base), k, klen));
	FUZZ_ASSERT(fdt_check_header(dtb) == 0 && fdt_totalsize(dtb) <= ARM64_DTB_MAX);
	args = fdt_getprop(dtb, fdt_path_offset(dtb, "/chosen"), "bootargs", NULL);
	FUZZ_ASSERT(args && !strcmp(args, b->cmdline));
	if (!p->initrd_size)
		return;
	FUZZ_ASSERT(!memcmp(ram + (p->initrd_addr - b->layout.ram_base), initrd, p->initrd_size));
	FUZZ_ASSERT(chosen64(dtb, "linux,initrd-start") == p->initrd_addr);
	FUZZ_ASSERT(chosen64(dtb, "linux,initrd-end") == p->initrd_addr + p->initrd_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t ram_sel = fuzz_u8(&in), cpu_sel = fuzz_u8(&in), rd_sel = fuzz_u8(&in);
	size_t clen = fuzz_u16(&in) % sizeof(cmdline);
	uint64_t ram_size = (60ULL << 20) + (ram_sel % 6) * (2ULL << 20);
	uint64_t rd_size = rd_sel < 0x80 ? 0 : (uint64_t)(rd_sel & 0x7f) << 13;
	struct arm64_boot b;
	struct guest_mem gm;
	char err[256], c;
	int r;

	err[0] = '\0';
	c = cmdline[clen];
	cmdline[clen] = '\0';
	r = arm64_boot_prepare(&b, in.p, in.n, rd_size, ram_size, cpu_sel % 70, cmdline, cpu_sel & 1,
			       err, sizeof(err));
	if (r) {
		FUZZ_ASSERT(r >= ARM64_BOOT_ERR_MACHINE && r <= ARM64_BOOT_ERR_KERNEL);
		FUZZ_ASSERT(err[0] && strlen(err) < sizeof(err) && !strchr(err, '\n'));
		cmdline[clen] = c;
		return 0;
	}
	check_plan(&b, in.n);
	if (b.image.load_size <= LOAD_MAX) {
		memset(&gm, 0, sizeof(gm));
		gm.ram[0] = (struct ram_region){ b.layout.ram_base, ram_size, ram };
		gm.n_ram = 1;
		gm.ram_size = ram_size;
		r = arm64_boot_load(&b, &gm, initrd, err, sizeof(err));
		FUZZ_ASSERT(r == 0);
		check_load(&b, in.p, in.n);
	}
	cmdline[clen] = c;
	return 0;
}
