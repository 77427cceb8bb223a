/* The Linux boot option ROM image (build/boot/linuxboot.bin, flattened from
 * boot/linuxboot.S) as read-only data between linuxboot_rom and
 * linuxboot_rom_end. The Makefile puts build/boot on the assembler's
 * include path. */
	.section .rodata
	.balign	16
	.globl	linuxboot_rom
	.globl	linuxboot_rom_end
	.type	linuxboot_rom, @object
linuxboot_rom:
	.incbin	"linuxboot.bin"
linuxboot_rom_end:
	.size	linuxboot_rom, linuxboot_rom_end - linuxboot_rom

	.section .note.GNU-stack, "", @progbits
