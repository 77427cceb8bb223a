/* The fw_cfg items a --bios boot gives the firmware. */
#include <errno.h>
#include <string.h>
#include "firmware_cfg.h"

#define FW_CFG_BOOT_MENU   0x000e
#define E820_TYPE_RAM      1
#define E820_TYPE_RESERVED 2
#define MAX_E820           4

struct fw_e820 {                /* "etc/e820": little-endian, packed */
	uint64_t addr;
	uint64_t len;
	uint32_t type;
} __attribute__((packed));

uint64_t firmware_acpi_base(const struct guest_mem *gm)
{
	return gm->low_end - FIRMWARE_ACPI_SIZE;
}

static int add_e820(struct fw_cfg *fc, const struct guest_mem *gm)
{
	struct fw_e820 e[MAX_E820];
	int n = 0;

	e[n++] = (struct fw_e820){ 0, firmware_acpi_base(gm), E820_TYPE_RAM };
	e[n++] = (struct fw_e820){ firmware_acpi_base(gm), FIRMWARE_ACPI_SIZE,
				   E820_TYPE_RESERVED };
	if (gm->high_end > MEM_4G)
		e[n++] = (struct fw_e820){ MEM_4G, gm->high_end - MEM_4G, E820_TYPE_RAM };
	return fw_cfg_add_file(fc, "etc/e820", e, (size_t)n * sizeof(e[0]));
}

static int add_loader(struct fw_cfg *fc, const uint8_t *rsdp, size_t rsdp_len)
{
	uint8_t cmd[LOADER_ENTRY_SIZE] = { 0 };
	uint32_t v = LOADER_ALLOCATE;
	int ret;

	memcpy(cmd, &v, 4);                     /* command */
	strcpy((char *)cmd + 4, "etc/acpi/rsdp"); /* file, 56 bytes */
	v = 16;
	memcpy(cmd + 4 + FW_CFG_NAME_LEN, &v, 4); /* alignment */
	cmd[4 + FW_CFG_NAME_LEN + 4] = LOADER_ZONE_FSEG;
	ret = fw_cfg_add_file(fc, "etc/acpi/rsdp", rsdp, rsdp_len);
	if (!ret)
		ret = fw_cfg_add_file(fc, "etc/table-loader", cmd, sizeof(cmd));
	return ret;
}

int firmware_cfg_fill(struct fw_cfg *fc, const struct guest_mem *gm, int n_cpus,
		      const uint8_t *rsdp, size_t rsdp_len)
{
	uint64_t ram = gm->ram_size;
	uint16_t cpus = (uint16_t)n_cpus, menu = 0;
	uint32_t fail_wait = UINT32_MAX;        /* no bootable device: stay, no reset */
	uint16_t sercon = 0x3f8;                /* no VGA: int 10h text to the serial port */
	int ret;

	ret = fw_cfg_add_item(fc, FW_CFG_RAM_SIZE, &ram, sizeof(ram));
	if (!ret)
		ret = fw_cfg_add_item(fc, FW_CFG_NB_CPUS, &cpus, sizeof(cpus));
	if (!ret)
		ret = fw_cfg_add_item(fc, FW_CFG_MAX_CPUS, &cpus, sizeof(cpus));
	if (!ret)
		ret = fw_cfg_add_item(fc, FW_CFG_BOOT_MENU, &menu, sizeof(menu));
	if (!ret)
		ret = fw_cfg_add_file(fc, "etc/boot-fail-wait", &fail_wait, sizeof(fail_wait));
	if (!ret)
		ret = fw_cfg_add_file(fc, "etc/sercon-port", &sercon, sizeof(sercon));
	if (!ret)
		ret = add_e820(fc, gm);
	if (!ret)
		ret = add_loader(fc, rsdp, rsdp_len);
	return ret;
}
