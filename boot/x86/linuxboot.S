/* The option ROM that boots Linux through SeaBIOS: conduit offers it as the
 * fw_cfg file genroms/conduit-linux.bin. Its init entry only returns, so
 * SeaBIOS registers the BEV of its PnP header as a boot entry; the BEV
 * copies the kernel's pieces into guest memory with fw_cfg DMA, as listed
 * in the parameter table conduit fills in (layout: boot/linuxboot.h), and
 * enters the kernel's real-mode setup code the way the Linux x86 boot
 * protocol asks of a 16-bit boot loader. Any DMA error halts.
 *
 * 16-bit code, assembled with gcc -m16 and linked at 0 into a flat image;
 * every address is an offset in the ROM's own segment. */
#include "linuxboot.h"

#define OFF(x)          ((x) - _start)
#define DESC_SIZE       16      /* FWCfgDmaAccess: be32 control, length; be64 address */

	.code16
	.text
	.globl	_start
_start:
	.byte	0x55, 0xaa
	.byte	LINUXBOOT_ROM_SIZE / 512
	jmp	init

	.org	LINUXBOOT_PCI_PTR
	.word	0                       /* no PCI data structure */
	.word	OFF(pnp)

	.org	LINUXBOOT_PNP
pnp:
	.ascii	"$PnP"
	.byte	0x01                    /* structure revision */
	.byte	LINUXBOOT_PNP_LEN / 16  /* length in 16-byte units */
	.word	0                       /* no next header */
	.byte	0                       /* reserved */
	.byte	0                       /* checksum: set by conduit */
	.long	0                       /* device identifier */
	.word	0                       /* manufacturer string: none */
	.word	OFF(product)            /* product name string */
	.byte	0, 0, 0                 /* device type code */
	.byte	0                       /* device indicators */
	.word	0                       /* boot connection vector: none */
	.word	0                       /* disconnect vector: none */
	.word	OFF(bev)                /* bootstrap entry vector */
	.word	0                       /* reserved */
	.word	0                       /* static resource information: none */

	.org	LINUXBOOT_TABLE
table:
	.ascii	LINUXBOOT_MAGIC
	.fill	LINUXBOOT_TABLE_LEN - 4, 1, 0

product:
	.asciz	"conduit Linux boot"

init:
	lret

/* Boot entry. For each blob with a non-zero length: one SELECT|READ DMA
 * transfer of that many bytes of the selected item to the destination, with
 * the descriptor on our stack at ss:bp (physical ss * 16 + bp, in %ebx,
 * byte-swapped for the DMA port). The transfer is done when the control
 * field reads 0. */
bev:
	cli
	pushw	%cs
	popw	%ds                     /* ds: the ROM, for the table */
	subw	$DESC_SIZE, %sp
	andw	$~15, %sp
	movw	%sp, %bp
	movw	%ss, %bx
	movzwl	%bx, %ebx
	shll	$4, %ebx
	movzwl	%bp, %eax
	addl	%eax, %ebx
	bswapl	%ebx
	movw	$OFF(table) + LT_BLOBS, %si
	movw	$LINUXBOOT_NBLOBS, %cx
next:
	movl	LT_BLOB_LEN(%si), %eax
	testl	%eax, %eax
	jz	skip
	bswapl	%eax
	movl	%eax, 4(%bp)            /* length */
	movzwl	LT_BLOB_KEY(%si), %eax
	shll	$16, %eax
	orw	$LINUXBOOT_DMA_SELECT | LINUXBOOT_DMA_READ, %ax
	bswapl	%eax
	movl	%eax, 0(%bp)            /* control: selector << 16 | SELECT | READ */
	movl	LT_BLOB_ADDR(%si), %eax
	bswapl	%eax
	movl	%eax, 12(%bp)           /* address, low half */
	xorl	%eax, %eax
	movl	%eax, 8(%bp)            /* address, high half */
	movw	$LINUXBOOT_FW_CFG_DMA, %dx
	outl	%eax, %dx               /* descriptor address, high half: 0 */
	addw	$4, %dx
	movl	%ebx, %eax
	outl	%eax, %dx               /* low half: runs the transfer */
wait:
	movl	0(%bp), %eax
	bswapl	%eax
	testb	$LINUXBOOT_DMA_ERROR, %al
	jnz	halt
	testl	%eax, %eax
	jnz	wait
skip:
	addw	$LT_BLOB_SIZE, %si
	loop	next

	/* ds = es = fs = gs = ss = setup segment, sp from the table, and on
	 * to setup segment + 0x20 : 0 with interrupts off. */
	movw	OFF(table) + LT_SETUP_SEG, %ax
	movw	OFF(table) + LT_STACK, %dx
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movw	%ax, %ss
	movzwl	%dx, %esp
	movw	%ax, %ds
	addw	$0x20, %ax
	pushw	%ax
	pushw	$0
	lretw

halt:
	hlt
	jmp	halt

	.org	LINUXBOOT_CSUM
	.byte	0                       /* checksum: set by conduit */

	.section .note.GNU-stack, "", @progbits
