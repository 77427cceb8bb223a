/* ELF64 little-endian headers, read with every offset and size checked
 * against the file's length: only the program headers are looked at. */
#include <elf.h>
#include <string.h>
#include "elf_info.h"

static enum elf_kind find_interp(const uint8_t *data, size_t len, const Elf64_Ehdr *eh,
				 char *interp, size_t cap)
{
	Elf64_Phdr ph;
	uint16_t i;

	if (eh->e_phentsize != sizeof(ph) || eh->e_phoff > len ||
	    (uint64_t)eh->e_phnum * sizeof(ph) > len - eh->e_phoff)
		return ELF_BAD;
	for (i = 0; i < eh->e_phnum; i++) {
		memcpy(&ph, data + eh->e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset || ph.p_filesz < 2 ||
		    ph.p_filesz > cap || data[ph.p_offset + ph.p_filesz - 1] != '\0')
			return ELF_BAD;
		memcpy(interp, data + ph.p_offset, ph.p_filesz);
		return strlen(interp) + 1 == ph.p_filesz ? ELF_DYNAMIC : ELF_BAD;
	}
	return ELF_STATIC;
}

enum elf_kind elf_info(const uint8_t *data, size_t len, char *interp, size_t cap)
{
	Elf64_Ehdr eh;

	if (cap)
		interp[0] = '\0';
	if (len < SELFMAG || memcmp(data, ELFMAG, SELFMAG))
		return ELF_NOT_ELF;
	if (len < sizeof(eh))
		return ELF_BAD;
	memcpy(&eh, data, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return ELF_BAD;
	return find_interp(data, len, &eh, interp, cap);
}
