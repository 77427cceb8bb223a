/* Fuzzer for the bzImage loader (boot/x86/bzimage.c): the input is the kernel
 * file after a 4-byte prefix that picks the guest RAM size, the initrd size
 * and the command line length. A header that parses is planned into guest
 * RAM the way conduit does it (memmap_layout of the RAM size) and, when the
 * plan fits, loaded into a real buffer. Checked: a parsed image's setup and
 * kernel parts add up to the file, a plan keeps kernel, initrd and command
 * line inside RAM and apart, and the loaded zero page and kernel bytes are
 * what the header and file say. */
#include <asm/bootparam.h>
#include "fuzz.h"
#include "../../boot/x86/bzimage.h"

#define RAM_MAX   (48ULL << 20)
#define INITRD_MAX (1ULL << 20)

static uint8_t *ram, *initrd;
static char cmdline[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ram = malloc(RAM_MAX);
	initrd = calloc(1, INITRD_MAX);
	if (!ram || !initrd)
		abort();
	memset(cmdline, 'c', sizeof(cmdline));
	return 0;
}

static void check_plan(const struct bzimage *bz, const struct guest_mem *gm,
		       const struct boot_layout *lay, size_t clen)
{
	uint64_t kend = lay->kernel_addr + bz->init_size;

	FUZZ_ASSERT(lay->kernel_addr >= 0x100000 && kend <= gm->low_end);
	FUZZ_ASSERT(lay->entry == lay->kernel_addr + 0x200);
	FUZZ_ASSERT(clen + 1 <= bz->cmdline_size);
	FUZZ_ASSERT(lay->cmdline_addr + clen + 1 <= lay->zero_page_addr ||
		    lay->cmdline_addr >= lay->zero_page_addr + 4096);
	FUZZ_ASSERT(lay->cmdline_addr + clen + 1 <= lay->kernel_addr);
	if (!lay->initrd_size)
		return;
	FUZZ_ASSERT(!(lay->initrd_addr & 0xfff));
	FUZZ_ASSERT(lay->initrd_addr >= kend);
	FUZZ_ASSERT(lay->initrd_addr + lay->initrd_size <= gm->low_end);
	if (bz->initrd_addr_max)
		FUZZ_ASSERT(lay->initrd_addr + lay->initrd_size - 1 <= bz->initrd_addr_max);
}

static void check_load(const struct bzimage *bz, const struct boot_layout *lay,
		       const char *cl)
{
	const struct boot_params *bp = (const void *)(ram + lay->zero_page_addr);

	FUZZ_ASSERT(!memcmp(ram + lay->kernel_addr, bz->data + bz->setup_size,
			    bz->kernel_size));
	FUZZ_ASSERT(!strcmp((const char *)ram + lay->cmdline_addr, cl));
	FUZZ_ASSERT(bp->hdr.cmd_line_ptr == lay->cmdline_addr);
	FUZZ_ASSERT(bp->hdr.code32_start == lay->kernel_addr);
	FUZZ_ASSERT(bp->hdr.ramdisk_size == lay->initrd_size);
	FUZZ_ASSERT(bp->e820_entries >= 4 && bp->e820_entries <= E820_MAX_ENTRIES_ZEROPAGE);
	if (lay->initrd_size)
		FUZZ_ASSERT(!memcmp(ram + lay->initrd_addr, initrd, lay->initrd_size));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t ram_sel = fuzz_u8(&in), rd_sel = fuzz_u8(&in);
	size_t clen = fuzz_u16(&in) % sizeof(cmdline);
	struct boot_layout lay;
	struct guest_mem gm;
	struct bzimage bz;
	char err[256], c;
	uint64_t ram_size = (16ULL << 20) + (ram_sel % 33) * (1ULL << 20);
	uint64_t rd_size = rd_sel < 0x80 ? 0 : (uint64_t)(rd_sel & 0x7f) << 13;
	int r;

	err[0] = '\0';
	if (bzimage_parse(in.p, in.n, &bz, err, sizeof(err))) {
		FUZZ_ASSERT(err[0] && strlen(err) < sizeof(err) && !bz.data);
		return 0;
	}
	FUZZ_ASSERT(bz.data == in.p && bz.len == in.n);
	FUZZ_ASSERT(bz.setup_size >= 1024 && bz.setup_size < bz.len);
	FUZZ_ASSERT(bz.setup_size + bz.kernel_size == bz.len);
	FUZZ_ASSERT(bz.init_size >= bz.kernel_size);
	FUZZ_ASSERT(bz.version >= BOOT_MIN_PROTOCOL);

	if (memmap_layout(&gm, ram_size))
		abort();
	gm.ram[0].hva = ram;
	r = bzimage_plan(&bz, &gm, rd_size, clen, &lay, err, sizeof(err));
	if (r) {
		FUZZ_ASSERT(r == BOOT_ERR_KERNEL || r == BOOT_ERR_INITRD || r == BOOT_ERR_CMDLINE);
		FUZZ_ASSERT(err[0]);
		return 0;
	}
	check_plan(&bz, &gm, &lay, clen);
	c = cmdline[clen];
	cmdline[clen] = '\0';
	r = bzimage_load(&bz, &gm, &lay, initrd, cmdline, 0xe0000, err, sizeof(err));
	if (!r)
		check_load(&bz, &lay, cmdline);
	cmdline[clen] = c;
	return 0;
}
