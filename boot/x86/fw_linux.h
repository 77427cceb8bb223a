/* Booting Linux through the firmware (SeaBIOS): the kernel's pieces and an
 * option ROM that loads them, offered to the firmware over fw_cfg. */
#ifndef CONDUIT_FW_LINUX_H
#define CONDUIT_FW_LINUX_H

#include <stddef.h>
#include <stdint.h>
#include "bzimage.h"
#include "../../devices/fw_cfg.h"

/* Guest physical layout the ROM loads (the 16-bit boot protocol's). */
#define FW_LINUX_SETUP_ADDR    0x10000ULL   /* real-mode setup, 64 KiB segment */
#define FW_LINUX_CMDLINE_ADDR  0x20000ULL
#define FW_LINUX_CMDLINE_MAX   0x10000ULL   /* with its NUL */
#define FW_LINUX_KERNEL_ADDR   0x100000ULL  /* protected-mode kernel */
#define FW_LINUX_SETUP_MAX     0x8000ULL    /* what Linux's setup.ld allows */
#define FW_LINUX_HEAP_END      0xfe00       /* heap_end_ptr: stack ends at 0x10000 */
#define FW_LINUX_STACK         0xfff0       /* sp at entry, in the setup segment */
#define FW_LINUX_TOP_MARGIN    (1ULL << 20) /* below ram_top, left to the firmware */

/* fw_cfg files added (the initrd only when there is one). */
#define FW_LINUX_ROM_FILE      "genroms/conduit-linux.bin"
#define FW_LINUX_SETUP_FILE    "etc/conduit/linux-setup"
#define FW_LINUX_KERNEL_FILE   "etc/conduit/linux-kernel"
#define FW_LINUX_INITRD_FILE   "etc/conduit/linux-initrd"
#define FW_LINUX_CMDLINE_FILE  "etc/conduit/linux-cmdline"
/* The ROM's boot entry as SeaBIOS names it in a "bootorder" file. */
#define FW_LINUX_BOOTORDER     "/rom@" FW_LINUX_ROM_FILE

/* Offer the firmware the kernel bz (parsed by bzimage_parse), its initrd
 * (initrd_len 0: none) and command line (NULL: empty), and the option ROM
 * that loads and starts them. ram_top is the end of the RAM below 4 GiB the
 * firmware hands to the OS; the initrd goes as high as it can below both
 * ram_top - FW_LINUX_TOP_MARGIN and the kernel's initrd_addr_max, 4 KiB
 * aligned. Everything is checked before fc is touched: returns -1 with a
 * one-line err naming what does not fit (fc unchanged), or when fw_cfg
 * refuses a file (fc may then hold some of the files). */
int fw_linux_setup(struct fw_cfg *fc, const struct bzimage *bz,
		   const uint8_t *initrd, size_t initrd_len,
		   const char *cmdline, uint64_t ram_top,
		   char *err, size_t errlen);

#endif
