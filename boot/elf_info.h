/* What `conduit exec` needs to know of a host executable before putting
 * it in a guest's initramfs: whether it is a 64-bit ELF file, and whether
 * it is static or names a program interpreter (PT_INTERP: the dynamic
 * loader, which would need the host's shared libraries). Pure, on bytes. */
#ifndef CONDUIT_ELF_INFO_H
#define CONDUIT_ELF_INFO_H

#include <stddef.h>
#include <stdint.h>

enum elf_kind {
	ELF_NOT_ELF,            /* no ELF magic: a script or data */
	ELF_BAD,                /* ELF magic, but not a well-formed 64-bit LE file */
	ELF_STATIC,             /* no PT_INTERP */
	ELF_DYNAMIC,            /* PT_INTERP: interp holds the loader's path */
};

/* interp (cap bytes) gets the interpreter's path for ELF_DYNAMIC. */
enum elf_kind elf_info(const uint8_t *data, size_t len, char *interp, size_t cap);

#endif
