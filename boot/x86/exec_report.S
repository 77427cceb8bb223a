/* conduit exec's report helper, /conduit/report in the guest: a tiny
 * static x86-64 program (no libc) that reports the command's exit status
 * on conduit's exit port (devices/exit_port.h), a channel apart from the
 * console. `report STATUS` (0-255, decimal) takes the port with ioperm(2)
 * and writes EXIT_PORT_MAGIC << 8 | STATUS there with one 4-byte OUT.
 * It exits 0 after the write, 2 on a bad argument or when ioperm fails
 * (the init script then says so on the console). */
#define SYS_exit   60
#define SYS_ioperm 173
#define EXIT_PORT  0x501
#define MAGIC      0xc0de5e

	.text
	.globl	_start
_start:
	mov	(%rsp), %rcx		/* argc */
	cmp	$2, %rcx
	jne	fail
	mov	16(%rsp), %rsi		/* argv[1] */
	xor	%eax, %eax		/* the value */
	xor	%ecx, %ecx		/* digits seen */
next:
	movzbl	(%rsi), %edx
	test	%edx, %edx
	jz	parsed
	sub	$'0', %edx
	cmp	$9, %edx
	ja	fail
	inc	%ecx
	cmp	$3, %ecx
	ja	fail
	imul	$10, %eax, %eax
	add	%edx, %eax
	inc	%rsi
	jmp	next
parsed:
	test	%ecx, %ecx
	jz	fail
	cmp	$255, %eax
	ja	fail
	mov	%eax, %r12d
	mov	$SYS_ioperm, %eax
	mov	$EXIT_PORT, %edi
	mov	$4, %esi
	mov	$1, %edx
	syscall
	test	%rax, %rax
	jnz	fail
	mov	$MAGIC, %eax
	shl	$8, %eax
	or	%r12d, %eax
	mov	$EXIT_PORT, %edx
	out	%eax, (%dx)
	xor	%edi, %edi
	mov	$SYS_exit, %eax
	syscall
fail:
	mov	$2, %edi
	mov	$SYS_exit, %eax
	syscall

	.section .note.GNU-stack, "", @progbits
