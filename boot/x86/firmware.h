/* Firmware loading for --bios: the image is checked, mapped read-only just
 * below 4 GiB (where the CPU's reset vector points), and its last 128 KiB
 * copied into the writable shadow RAM below 1 MiB, as a PC chipset aliases
 * them at reset. */
#ifndef CONDUIT_FIRMWARE_H
#define CONDUIT_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>
#include "../../vmm/memmap.h"

#define SEABIOS_PATH       "/usr/share/seabios/bios.bin"
#define FIRMWARE_MIN_SIZE  (64ULL << 10)
#define FIRMWARE_MAX_SIZE  (16ULL << 20)
#define FIRMWARE_LOW_SIZE  (128ULL << 10)  /* aliased at 0xe0000-0xfffff */
#define FIRMWARE_LOW_START (0x100000ULL - FIRMWARE_LOW_SIZE)

struct firmware {
	uint8_t *image;         /* private anonymous copy, backs the memory slot */
	size_t size;
	char path[256];
};

/* The path --bios names: "seabios" is the packaged SeaBIOS. */
const char *firmware_path(const char *bios);

/* Check an image held in memory: size (a multiple of 64 KiB from 64 KiB to
 * 16 MiB) and a jump instruction at the reset vector (16 bytes from the
 * end, after optional NOPs). err says what is wrong. */
int firmware_check(const uint8_t *data, size_t len, char *err, size_t errlen);

/* Read and check the file; err names the file and the problem. */
int firmware_load(const char *bios, struct firmware *fw, char *err, size_t errlen);

/* Map fw in the VM as a read-only KVM memory slot (number slot, from
 * vmm/memslot.c) ending at 4 GiB. */
int firmware_map(const struct firmware *fw, int vm_fd, int slot, char *err, size_t errlen);

/* Copy fw's last 128 KiB (or all of a smaller image) into RAM just below
 * 1 MiB, the shadow a chipset shows at reset. A restore leaves this out:
 * the snapshot's RAM has the copy as the guest left it. */
int firmware_shadow(const struct firmware *fw, const struct guest_mem *gm, char *err,
		    size_t errlen);

void firmware_free(struct firmware *fw);

#endif
