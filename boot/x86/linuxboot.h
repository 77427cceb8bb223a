/* Layout of the Linux boot option ROM (boot/linuxboot.S), shared by the ROM
 * source and conduit (boot/fw_linux.c), which fills its parameter table.
 * Only #defines outside the C part: the assembler includes this file too.
 *
 *   0x000  0x55 0xaa, size in 512-byte blocks (1)
 *   0x003  init entry: a jump to an lret
 *   0x018  PCI data structure pointer: 0 (none)
 *   0x01a  PnP expansion header pointer: 0x20
 *   0x020  PnP expansion header, 32 bytes; its BEV is the loader; its
 *          checksum byte (0x029) is 0 in the build, set by conduit
 *   0x040  parameter table, filled by conduit:
 *            0x40  char[4]  magic "cLnx"
 *            0x44  u16      real-mode setup segment
 *            0x46  u16      stack pointer to enter the kernel with
 *            0x48  4 blobs of 12 bytes each:
 *                    +0 u16 fw_cfg selector, +2 u16 zero,
 *                    +4 u32 guest physical destination, +8 u32 length
 *                    (length 0: no blob)
 *   0x078  product name, then the code
 *   0x1ff  checksum byte: 0 in the build, set by conduit so all 512 bytes
 *          sum to 0
 *
 * All fields are little-endian. The BEV routine uses 16 bytes of the stack
 * it is called with for its FWCfgDmaAccess descriptor.
 */
#ifndef CONDUIT_LINUXBOOT_H
#define CONDUIT_LINUXBOOT_H

#define LINUXBOOT_ROM_SIZE      512
#define LINUXBOOT_PCI_PTR       0x18
#define LINUXBOOT_PNP_PTR       0x1a
#define LINUXBOOT_PNP           0x20
#define LINUXBOOT_PNP_LEN       32
#define LINUXBOOT_PNP_CSUM      (LINUXBOOT_PNP + 0x09)
#define LINUXBOOT_PNP_NAME      (LINUXBOOT_PNP + 0x10)  /* u16: product name */
#define LINUXBOOT_PNP_BEV       (LINUXBOOT_PNP + 0x1a)  /* u16: boot entry */
#define LINUXBOOT_TABLE         0x40
#define LINUXBOOT_CSUM          (LINUXBOOT_ROM_SIZE - 1)

#define LINUXBOOT_MAGIC         "cLnx"
/* Offsets within the table */
#define LT_MAGIC                0x00
#define LT_SETUP_SEG            0x04
#define LT_STACK                0x06
#define LT_BLOBS                0x08
#define LT_BLOB_SIZE            12
#define LT_BLOB_KEY             0x00
#define LT_BLOB_ADDR            0x04
#define LT_BLOB_LEN             0x08
#define LINUXBOOT_NBLOBS        4
#define LINUXBOOT_TABLE_LEN     (LT_BLOBS + LINUXBOOT_NBLOBS * LT_BLOB_SIZE)

/* The parts of the fw_cfg interface the ROM uses (devices/fw_cfg.h has the
 * same values for C; boot/fw_linux.c asserts they agree). */
#define LINUXBOOT_FW_CFG_DMA    0x514
#define LINUXBOOT_DMA_ERROR     0x01
#define LINUXBOOT_DMA_READ      0x02
#define LINUXBOOT_DMA_SELECT    0x08

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The ROM image as built (boot/linuxboot_blob.S): table and checksums 0. */
extern const uint8_t linuxboot_rom[];
extern const uint8_t linuxboot_rom_end[];
#endif

#endif
